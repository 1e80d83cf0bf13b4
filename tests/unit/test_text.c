/* lib/core/text: Danish letter folding in both of its modes, as a table (UTF-8 written as
 * escapes, so what each row tests is visible byte for byte), then the edges of the output
 * buffer. */
#include "gptest.h"
#include "lib/core/text.h"

#include <check.h>
#include <string.h>

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

#define AE_U "\xc3\x86" /* Æ */
#define AE_L "\xc3\xa6" /* æ */
#define OE_U "\xc3\x98" /* Ø */
#define OE_L "\xc3\xb8" /* ø */
#define AA_U "\xc3\x85" /* Å */
#define AA_L "\xc3\xa5" /* å */
#define E_AC "\xc3\xa9" /* é: a Latin-1 letter that is not Danish */
#define SECT "\xc2\xa7" /* § */

static const struct {
    const char *in, *word, *alnum;
} rows[] = {
    {"Oph" OE_L "rt", "ophoert", "ophoert"},
    {"OPH" OE_U "RT", "ophoert", "ophoert"},
    {AE_U AE_L OE_U OE_L AA_U AA_L, "aeaeoeoeaaaa", "aeaeoeoeaaaa"},
    {"  Afsluttet\t", "afsluttet", "afsluttet"}, /* blanks around: dropped in both */
    {" \t ", "", ""},
    {"L" AE_U " 265", "lae 265", "lae265"},
    {"LAE-265", "lae-265", "lae265"},
    {"lae265", "lae265", "lae265"},
    {"D" OE_L "gnbehandling (ambulant)", "doegnbehandling (ambulant)", "doegnbehandlingambulant"},
    {"Indl" AE_L "ggelse", "indlaeggelse", "indlaeggelse"},
    {"Caf" E_AC, "caf" E_AC, "caf"}, /* another letter: kept as written, or dropped whole */
    {"SEL " SECT " 85", "sel " SECT " 85", "sel85"},
    {"Anne  M\xc3"
     "a",
     "anne  m\xc3"
     "a",
     "annem"},               /* 0xC3 before ASCII: not UTF-8 */
    {"x\xc3", "x\xc3", "x"}, /* 0xC3 at the end */
    {"ABCXYZ abcxyz 0189", "abcxyz abcxyz 0189", "abcxyzabcxyz0189"},
    {"", "", ""},
};

START_TEST(test_fold)
{
    char out[64];
    gp_text_fold(rows[_i].in, GP_FOLD_WORD, out, sizeof out);
    ck_assert_msg(!strcmp(out, rows[_i].word), "word: '%s' gave '%s'", rows[_i].in, out);
    gp_text_fold(rows[_i].in, GP_FOLD_ALNUM, out, sizeof out);
    ck_assert_msg(!strcmp(out, rows[_i].alnum), "alnum: '%s' gave '%s'", rows[_i].in, out);
}
END_TEST

START_TEST(test_fold_edges)
{
    char out[8];
    gp_text_fold(NULL, GP_FOLD_WORD, out, sizeof out);
    ck_assert_str_eq(out, "");
    gp_text_fold(NULL, GP_FOLD_ALNUM, out, sizeof out);
    ck_assert_str_eq(out, "");
    /* size 0: nothing written */
    out[0] = 'z';
    gp_text_fold("abc", GP_FOLD_WORD, out, 0);
    ck_assert_int_eq(out[0], 'z');
    /* the input is cut where fewer than three bytes are left: a digraph is never halved */
    gp_text_fold("abcdefghij", GP_FOLD_WORD, out, sizeof out);
    ck_assert_str_eq(out, "abcde");
    gp_text_fold("abcd" AE_L "fg", GP_FOLD_ALNUM, out, sizeof out);
    ck_assert_str_eq(out, "abcdae");
    gp_text_fold("abcde" AE_L "fg", GP_FOLD_ALNUM, out, sizeof out);
    ck_assert_str_eq(out, "abcde"); /* three bytes left: no letter more */
    gp_text_fold(AE_L, GP_FOLD_WORD, out, 3);
    ck_assert_str_eq(out, ""); /* no room for "ae" and its NUL */
    gp_text_fold(AE_L, GP_FOLD_WORD, out, 4);
    ck_assert_str_eq(out, "ae");
    /* trailing blanks are dropped after the cut, too */
    gp_text_fold("abc    xyz", GP_FOLD_WORD, out, sizeof out);
    ck_assert_str_eq(out, "abc");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("text");
    TCase *tc = tcase_create("fold");
    tcase_add_loop_test(tc, test_fold, 0, N_ROWS(rows));
    tcase_add_test(tc, test_fold_edges);
    suite_add_tcase(s, tc);
    return gpt_run_suite(s);
}
