/* Folding text for comparison: see lib/core/text.h. */
#include "lib/core/text.h"

#include <stdbool.h>

/* The ASCII digraph of the Danish letter UTF-8 encodes as 0xC3 c, or NULL. */
static const char *danish(unsigned char c)
{
    switch (c) {
    case 0x86: /* Æ */
    case 0xA6: /* æ */
        return "ae";
    case 0x98: /* Ø */
    case 0xB8: /* ø */
        return "oe";
    case 0x85: /* Å */
    case 0xA5: /* å */
        return "aa";
    default:
        return NULL;
    }
}

static bool blank(unsigned char c)
{
    return c == ' ' || c == '\t';
}

void gp_text_fold(const char *s, enum gp_fold how, char *out, size_t size)
{
    if (size == 0)
        return;
    const unsigned char *p = (const unsigned char *)(s ? s : "");
    if (how == GP_FOLD_WORD) {
        while (blank(*p))
            p++;
    }
    size_t o = 0;
    for (; *p && o + 3 < size; p++) {
        const char *rep = p[0] == 0xC3 && p[1] ? danish(p[1]) : NULL;
        if (rep) {
            out[o++] = rep[0];
            out[o++] = rep[1];
            p++;
        } else if (*p >= 'A' && *p <= 'Z') {
            out[o++] = (char)(*p - 'A' + 'a');
        } else if (how == GP_FOLD_WORD || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9')) {
            out[o++] = (char)*p;
        } else if (p[0] == 0xC3 && p[1]) {
            p++; /* GP_FOLD_ALNUM: another letter of the Latin-1 block, dropped whole */
        }
    }
    if (how == GP_FOLD_WORD) {
        while (o > 0 && blank((unsigned char)out[o - 1]))
            o--;
    }
    out[o] = '\0';
}
