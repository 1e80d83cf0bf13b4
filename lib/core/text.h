/* Text compared as people write it: the one Danish letter folding the service has (status words
 * and document kinds in the adapters, keywords and caseworker names in the recommendations).
 * Bytes, not a locale: tolower() and friends depend on the machine's locale and know nothing of
 * UTF-8. */
#ifndef GP_TEXT_H
#define GP_TEXT_H

#include <stddef.h>

/* What gp_text_fold keeps besides the folded letters. */
enum gp_fold {
    /* every other byte as written (punctuation, spaces inside, other UTF-8 letters); blanks
     * (space, tab) before and after dropped: "  Ophørt " gives "ophoert" */
    GP_FOLD_WORD,
    /* letters and digits only, everything else dropped (spaces, punctuation, other UTF-8
     * letters): "LÆ 265", "LAE-265" and "lae265" all give "lae265" */
    GP_FOLD_ALNUM,
};

/* Folds s (UTF-8; NULL is "") into out for comparison: ASCII A-Z to a-z, and the Danish
 * letters Æ æ to "ae", Ø ø to "oe", Å å to "aa"; the rest as how says. out always ends with a
 * NUL (size 0: nothing is written); s is cut where fewer than three bytes of out are left, so a
 * letter is never cut in half. */
void gp_text_fold(const char *s, enum gp_fold how, char *out, size_t size);

#endif
