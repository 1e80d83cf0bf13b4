/* Out-of-memory is decided once: small internal objects come from these aborting allocators.
 * Where a size comes from a client (request bodies), callers use plain malloc and answer 413
 * or 500 instead. */
#ifndef GP_ALLOC_H
#define GP_ALLOC_H

#include <stddef.h>

void *gp_xmalloc(size_t n);
void *gp_xcalloc(size_t count, size_t size);
void *gp_xrealloc(void *p, size_t n);
char *gp_xstrdup(const char *s);
char *gp_xstrndup(const char *s, size_t n);
/* printf into a new string; aborts on OOM. */
char *gp_xasprintf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
