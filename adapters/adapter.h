/* The adapter interface: one implementation per department-system kind (momentum, sensum,
 * fhir-r4, dubu). An adapter knows its system's native request and answer shapes and nothing
 * else: it builds URLs and turns native bodies into gp_records. It never touches the
 * database, the HTTP server or the network (lib/federate does the HTTP).
 *
 * Adapters normalise what is theirs to know — the vendor's status words into open/closed/
 * planned, its date formats into YYYY-MM-DD, its document kinds into data types — and pass
 * the vendor's own type code and legal-basis spelling through untouched: mapping those onto
 * the shared case-type taxonomy is data (migrations), done by lib/index. */
#ifndef GP_ADAPTER_H
#define GP_ADAPTER_H

#include "lib/core/record.h"

#include <stdbool.h>
#include <stddef.h>

/* One page of a bulk export. */
struct gp_export_page {
    struct gp_record_list records;
    char next_cursor[256]; /* "" when this was the last page */
};

struct gp_adapter {
    const char *kind;   /* "momentum", "sensum", "fhir-r4", "dubu" */
    const char *accept; /* Accept header for its requests */
    /* The system answers a lookup of a citizen it does not know with 404 (and a body that
     * parse_lookup turns into zero records) rather than an empty 200. */
    bool not_found_is_answer;
    /* The URL of the per-CPR lookup. cpr is ten digits. False when it does not fit. */
    bool (*lookup_url)(const char *base_url, const char *cpr, char *url, size_t len);
    /* Parses a lookup answer for cpr. False with a reason in err when the body is not what
     * the system answers (malformed, wrong shape). A citizen the system does not know parses
     * as zero records. */
    bool (*parse_lookup)(const char *cpr, const char *body, size_t len, struct gp_record_list *out,
                         char *err, size_t errlen);
    /* Paged lookup answers; NULL for a system that answers a citizen in one body.
     * lookup_next: the pager of the fan-out (gp_fetch_next_fn, lib/federate.h) — given the
     * first URL and a page, 1 with the next page's URL, 0 for the last page, -1 with a reason
     * for a link it will not follow. parse_lookup_pages: parses the n pages of one answer
     * (one after the other in body, page k page_len[k] bytes) exactly as if they were one. */
    int (*lookup_next)(const char *first_url, const char *body, size_t len, char *next,
                       size_t next_len);
    bool (*parse_lookup_pages)(const char *cpr, const char *body, const size_t *page_len, size_t n,
                               struct gp_record_list *out, char *err, size_t errlen);
    /* The URL of an export page: cursor "" for the first page. */
    bool (*export_url)(const char *base_url, const char *cursor, int limit, char *url, size_t len);
    /* Parses an export page (records carry their own cpr). */
    bool (*parse_export)(const char *body, size_t len, struct gp_export_page *out, char *err,
                         size_t errlen);
};

/* The adapter of a kind, or NULL. */
const struct gp_adapter *gp_adapter_find(const char *kind);
/* All kinds, NULL-terminated. */
extern const struct gp_adapter *const gp_adapters[];

#endif
