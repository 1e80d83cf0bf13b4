/* Record lists and the field helper (lib/core/record.h). */
#include "lib/core/record.h"

#include "lib/core/alloc.h"

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

void gp_record_inherit(struct gp_record *child, const struct gp_record *c, bool inherit_code)
{
    if (inherit_code) {
        GP_REC_SET(child->source_code, c->source_code);
        GP_REC_SET(child->legal_basis_raw, c->legal_basis_raw);
    }
    if (!child->unit[0])
        GP_REC_SET(child->unit, c->unit);
    if (!child->caseworker_name[0]) {
        GP_REC_SET(child->caseworker_name, c->caseworker_name);
        GP_REC_SET(child->caseworker_contact, c->caseworker_contact);
    } else if (!child->caseworker_contact[0] &&
               !strcmp(child->caseworker_name, c->caseworker_name)) {
        GP_REC_SET(child->caseworker_contact, c->caseworker_contact);
    }
}
