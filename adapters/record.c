/* Record lists and field helpers shared by the adapters and the index. */
#include "adapters/adapter.h"

#include "lib/alloc.h"

#include <stdlib.h>
#include <string.h>

struct gp_record *gp_record_list_add(struct gp_record_list *l)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? l->cap * 2 : 16;
        l->items = gp_xrealloc(l->items, l->cap * sizeof *l->items);
    }
    struct gp_record *r = &l->items[l->n++];
    memset(r, 0, sizeof *r);
    return r;
}

void gp_record_list_free(struct gp_record_list *l)
{
    free(l->items);
    memset(l, 0, sizeof *l);
}

void gp_rec_set(char *dst, size_t size, const char *s)
{
    if (!size)
        return;
    if (!s)
        s = "";
    size_t n = strnlen(s, size - 1);
    /* Never cut a UTF-8 sequence in half: back up to a character boundary. */
    if (n == size - 1)
        while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
            n--;
    memcpy(dst, s, n);
    dst[n] = '\0';
}
