/* A growable byte buffer for building replies and texts. Aborts on out-of-memory (sizes here
 * are ours, never a client's). */
#ifndef GP_BUF_H
#define GP_BUF_H

#include <stddef.h>

struct gp_buf {
    char *data; /* always NUL-terminated once anything was appended */
    size_t len;
    size_t cap;
};

void gp_buf_append(struct gp_buf *b, const char *s, size_t n);
void gp_buf_puts(struct gp_buf *b, const char *s);
void gp_buf_printf(struct gp_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Hands the data over to the caller (free()) and resets b. Never NULL. */
char *gp_buf_steal(struct gp_buf *b, size_t *len);
void gp_buf_free(struct gp_buf *b);

#endif
