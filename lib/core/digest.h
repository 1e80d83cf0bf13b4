/* Answer digests: what lets a press skip parsing and storing an answer the index already holds
 * (api/lookup.c, lib/index.c, migration 0013). */
#ifndef GP_DIGEST_H
#define GP_DIGEST_H

#include <stdbool.h>
#include <stddef.h>

/* The running binary's GNU build id as hex (it changes with any change to the code or to the
 * migrations it embeds, the taxonomy among them), or "" when the binary has none. */
const char *gp_build_id(void);

/* Hex SHA-256 of one answer and of what turns it into records: the build id, the adapter kind,
 * the source's department (records carry it) and the answer's pages (page k is page_len[k]
 * bytes of body, one after the other). False, out "", when there is no build id: without it
 * a digest could outlive the code that parsed the answer. */
bool gp_answer_digest(const char *kind, const char *department, const char *body,
                      const size_t *page_len, size_t npages, char out[65]);

#endif
