/* lib/cpr: every rule of DESIGN.md's CPR section as a table, one loop test per table so a
 * failing row is reported by its index. Expected values are literals worked out by hand (and
 * the modulus-11 flags by a separate script), never recomputed with the code under test. */
#include "lib/core/cpr.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))
/* A literal with its exact length, so embedded NULs count. */
#define LIT(s) s, sizeof(s) - 1

/* ---- valid numbers: every derived field, with and without modulus 11 ---- */

static const struct {
    const char *in;
    const char *digits;
    int year, month, day;
    bool female, mod11;
} valid_rows[] = {
    {"0707614285", "0707614285", 1961, 7, 7, false, true},
    {"070761-4285", "0707614285", 1961, 7, 7, false, true},
    {"0101901234", "0101901234", 1990, 1, 1, true, false},
    {"010190-1234", "0101901234", 1990, 1, 1, true, false},
    {"0101901235", "0101901235", 1990, 1, 1, false, false},
    {"0101900002", "0101900002", 1990, 1, 1, true, true},
    {"1506900006", "1506900006", 1990, 6, 15, true, true},
    {"1506904321", "1506904321", 1990, 6, 15, false, false},
    {"2902004001", "2902004001", 2000, 2, 29, false, true},
    {"290200-4000", "2902004000", 2000, 2, 29, true, false},
    {"3112990002", "3112990002", 1999, 12, 31, true, true},
    {"0101580008", "0101580008", 1958, 1, 1, true, true},
    {"0101585678", "0101585678", 1858, 1, 1, true, false},
    {"2902960018", "2902960018", 1996, 2, 29, true, true},
    {"0101000001", "0101000001", 1900, 1, 1, false, true},
    {"3112370004", "3112370004", 1937, 12, 31, true, true},
    {"2902560001", "2902560001", 1956, 2, 29, false, true},
    {"3112579999", "3112579999", 1957, 12, 31, false, false},
    {"0101369000", "0101369000", 2036, 1, 1, true, false},
};

START_TEST(test_parse_valid)
{
    struct gp_cpr c;
    const char *in = valid_rows[_i].in;
    ck_assert_int_eq(gp_cpr_parse(in, strlen(in), &c), GP_CPR_OK);
    ck_assert_str_eq(c.digits, valid_rows[_i].digits);
    ck_assert_int_eq(c.birth_year, valid_rows[_i].year);
    ck_assert_int_eq(c.birth_month, valid_rows[_i].month);
    ck_assert_int_eq(c.birth_day, valid_rows[_i].day);
    ck_assert_int_eq(c.female, valid_rows[_i].female);
    ck_assert_int_eq(c.modulus11, valid_rows[_i].mod11);
}
END_TEST

/* s need not be NUL-terminated: only len bytes are read. */
START_TEST(test_parse_reads_only_len)
{
    struct gp_cpr c;
    const char buf[] = "0101901234999";
    ck_assert_int_eq(gp_cpr_parse(buf, 10, &c), GP_CPR_OK);
    ck_assert_str_eq(c.digits, "0101901234");
    const char hy[] = "010190-1234-";
    ck_assert_int_eq(gp_cpr_parse(hy, 11, &c), GP_CPR_OK);
    ck_assert_str_eq(c.digits, "0101901234");
}
END_TEST

/* ---- malformed input: length, characters, hyphen, date ---- */

static const struct {
    const char *in;
    size_t len;
    enum gp_cpr_error want;
} bad_rows[] = {
    {LIT(""), GP_CPR_EMPTY},
    {LIT("010190123"), GP_CPR_LENGTH},
    {LIT("01019012345"), GP_CPR_LENGTH},
    {LIT("010190-123"), GP_CPR_LENGTH},
    {LIT("010190-12345"), GP_CPR_LENGTH},
    {LIT("0"), GP_CPR_LENGTH},
    {LIT("010190"), GP_CPR_LENGTH},
    {LIT("010190-"), GP_CPR_LENGTH},
    {LIT("01019012341234567890"), GP_CPR_LENGTH},
    {LIT("01019O1234"), GP_CPR_NOT_DIGIT}, /* letter O */
    {LIT("abcdefghij"), GP_CPR_NOT_DIGIT},
    {LIT("010190123a"), GP_CPR_NOT_DIGIT},
    {LIT(" 0101901234"), GP_CPR_NOT_DIGIT},
    {LIT("0101901234 "), GP_CPR_NOT_DIGIT},
    {LIT("010190 1234"), GP_CPR_NOT_DIGIT},
    {LIT("0101901234\n"), GP_CPR_NOT_DIGIT},
    {LIT("\t0101901234"), GP_CPR_NOT_DIGIT},
    /* Octal escapes take at most three digits, so "\000" + "1234" is NUL then 1234. */
    {LIT("010190\0001234"), GP_CPR_NOT_DIGIT}, /* NUL where the hyphen goes */
    {LIT("01019\0001234"), GP_CPR_NOT_DIGIT},  /* NUL replacing a digit, length 10 */
    {LIT("0101901234\000"), GP_CPR_NOT_DIGIT}, /* len counts the terminator */
    {LIT("\0000101901234"), GP_CPR_NOT_DIGIT},
    /* "０１０１９０１２３４": fullwidth digits U+FF10.., three UTF-8 bytes each */
    {LIT("\xef\xbc\x90\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91\xef\xbc\x99\xef\xbc\x90"
         "\xef\xbc\x91\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94"),
     GP_CPR_NOT_DIGIT},
    {LIT("01019\357\274\2201234"), GP_CPR_NOT_DIGIT},  /* one fullwidth zero, 12 bytes */
    {LIT("010190\342\200\2231234"), GP_CPR_NOT_DIGIT}, /* en dash U+2013 for the hyphen */
    {LIT("010190_1234"), GP_CPR_NOT_DIGIT},
    {LIT("+0101901234"), GP_CPR_NOT_DIGIT},
    {LIT("010190/1234"), GP_CPR_NOT_DIGIT},
    {LIT("\xff\xff\xff\xff\xff\xff\xff\xff\xff\xff"), GP_CPR_NOT_DIGIT},
    {LIT("010190--1234"), GP_CPR_HYPHEN},
    {LIT("010190-12-34"), GP_CPR_HYPHEN},
    {LIT("0101-901234"), GP_CPR_HYPHEN},
    {LIT("01019-01234"), GP_CPR_HYPHEN},
    {LIT("0101901-234"), GP_CPR_HYPHEN},
    {LIT("-0101901234"), GP_CPR_HYPHEN},
    {LIT("0101901234-"), GP_CPR_HYPHEN},
    {LIT("-"), GP_CPR_HYPHEN},
    {LIT("----------"), GP_CPR_HYPHEN},
    {LIT("0001901234"), GP_CPR_BAD_DAY}, /* day 00 */
    {LIT("3201901234"), GP_CPR_BAD_DAY}, /* day 32 */
    {LIT("9901901234"), GP_CPR_BAD_DAY},
    {LIT("3104901234"), GP_CPR_BAD_DAY}, /* 30-day months */
    {LIT("3106901234"), GP_CPR_BAD_DAY},
    {LIT("3109901234"), GP_CPR_BAD_DAY},
    {LIT("311190-1234"), GP_CPR_BAD_DAY},
    {LIT("3002921234"), GP_CPR_BAD_DAY},   /* 30 February, even in a leap year */
    {LIT("0100901234"), GP_CPR_BAD_MONTH}, /* month 00 */
    {LIT("0113901234"), GP_CPR_BAD_MONTH}, /* month 13 */
    {LIT("010090-1234"), GP_CPR_BAD_MONTH},
    {LIT("0199901234"), GP_CPR_BAD_MONTH},
    /* order of checks: characters before hyphen before length before month before day */
    {LIT("01019a12345"), GP_CPR_NOT_DIGIT},
    {LIT("3213x01234"), GP_CPR_NOT_DIGIT},
    {LIT("01-0190 1234"), GP_CPR_NOT_DIGIT},
    {LIT("32-13901234567"), GP_CPR_HYPHEN},
    {LIT("321390123"), GP_CPR_LENGTH},
    {LIT("0000000000"), GP_CPR_BAD_MONTH},
    {LIT("9999999999"), GP_CPR_BAD_MONTH},
    {LIT("3213901234"), GP_CPR_BAD_MONTH},
};

START_TEST(test_parse_invalid)
{
    /* A failed parse leaves *out as it was. */
    struct gp_cpr c, before;
    memset(&c, 0xa5, sizeof c);
    memcpy(&before, &c, sizeof c);
    ck_assert_int_eq(gp_cpr_parse(bad_rows[_i].in, bad_rows[_i].len, &c), bad_rows[_i].want);
    ck_assert_int_eq(memcmp(&c, &before, sizeof c), 0);
}
END_TEST

START_TEST(test_parse_null_is_empty)
{
    struct gp_cpr c;
    ck_assert_int_eq(gp_cpr_parse(NULL, 0, &c), GP_CPR_EMPTY);
    ck_assert_int_eq(gp_cpr_parse(NULL, 10, &c), GP_CPR_EMPTY);
    ck_assert_int_eq(gp_cpr_parse("0101901234", 0, &c), GP_CPR_EMPTY);
}
END_TEST

/* Day 30 and 31 of every month of 1990 (common year) and day 29, 30 of February 1992. */
static const int month_len_1990[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

START_TEST(test_month_lengths)
{
    int month = _i + 1, last = month_len_1990[_i];
    char in[11];
    struct gp_cpr c;
    /* last day: valid */
    in[0] = (char)('0' + last / 10);
    in[1] = (char)('0' + last % 10);
    in[2] = (char)('0' + month / 10);
    in[3] = (char)('0' + month % 10);
    memcpy(in + 4, "901234", 7);
    ck_assert_int_eq(gp_cpr_parse(in, 10, &c), GP_CPR_OK);
    ck_assert_int_eq(c.birth_day, last);
    ck_assert_int_eq(c.birth_month, month);
    /* the day after: invalid */
    in[0] = (char)('0' + (last + 1) / 10);
    in[1] = (char)('0' + (last + 1) % 10);
    ck_assert_int_eq(gp_cpr_parse(in, 10, &c), GP_CPR_BAD_DAY);
}
END_TEST

/* ---- the century table, at every boundary, for every 7th digit ---- */

static const int yy_cols[] = {0, 36, 37, 57, 58, 99};
static const int century_table[10][6] = {
    /*      00    36    37    57    58    99 */
    /* 0 */ {1900, 1936, 1937, 1957, 1958, 1999},
    /* 1 */ {1900, 1936, 1937, 1957, 1958, 1999},
    /* 2 */ {1900, 1936, 1937, 1957, 1958, 1999},
    /* 3 */ {1900, 1936, 1937, 1957, 1958, 1999},
    /* 4 */ {2000, 2036, 1937, 1957, 1958, 1999},
    /* 5 */ {2000, 2036, 2037, 2057, 1858, 1899},
    /* 6 */ {2000, 2036, 2037, 2057, 1858, 1899},
    /* 7 */ {2000, 2036, 2037, 2057, 1858, 1899},
    /* 8 */ {2000, 2036, 2037, 2057, 1858, 1899},
    /* 9 */ {2000, 2036, 1937, 1957, 1958, 1999},
};

START_TEST(test_century_table)
{
    int d7 = _i;
    for (size_t col = 0; col < N_ROWS(yy_cols); col++) {
        int yy = yy_cols[col], want = century_table[d7][col];
        ck_assert_int_eq(gp_cpr_century_year(yy, d7), want);

        /* and through the parser: 01-01-YY, 7th digit d7 */
        char in[11] = "0101000000";
        in[4] = (char)('0' + yy / 10);
        in[5] = (char)('0' + yy % 10);
        in[6] = (char)('0' + d7);
        struct gp_cpr c;
        ck_assert_int_eq(gp_cpr_parse(in, 10, &c), GP_CPR_OK);
        ck_assert_msg(c.birth_year == want, "%s: year %d, want %d", in, c.birth_year, want);
    }
}
END_TEST

START_TEST(test_century_out_of_range)
{
    ck_assert_int_eq(gp_cpr_century_year(-1, 0), -1);
    ck_assert_int_eq(gp_cpr_century_year(100, 0), -1);
    ck_assert_int_eq(gp_cpr_century_year(0, -1), -1);
    ck_assert_int_eq(gp_cpr_century_year(0, 10), -1);
}
END_TEST

/* ---- 29 February under every century rule ---- */

static const struct {
    const char *in;
    enum gp_cpr_error want;
    int year; /* when OK */
} feb29_rows[] = {
    {"290200-0000", GP_CPR_BAD_DAY, 0}, /* 1900: divisible by 100, not by 400 */
    {"290200-3000", GP_CPR_BAD_DAY, 0}, /* 1900 */
    {"290200-4000", GP_CPR_OK, 2000},   /* 2000: divisible by 400 */
    {"290200-9000", GP_CPR_OK, 2000},   {"290200-5000", GP_CPR_OK, 2000},
    {"290200-8000", GP_CPR_OK, 2000},   {"290204-0000", GP_CPR_OK, 1904},
    {"290204-4000", GP_CPR_OK, 2004},                                       /* leap via digit 4 */
    {"290204-6000", GP_CPR_OK, 2004},   {"290201-4000", GP_CPR_BAD_DAY, 0}, /* 2001 */
    {"290236-4000", GP_CPR_OK, 2036}, /* last 20YY year for digit 4 */
    {"290236-9000", GP_CPR_OK, 2036},   {"290237-4000", GP_CPR_BAD_DAY, 0}, /* 1937 */
    {"290248-4000", GP_CPR_OK, 1948},   {"290248-9000", GP_CPR_OK, 1948},
    {"290256-5000", GP_CPR_OK, 2056},   {"290257-7000", GP_CPR_BAD_DAY, 0}, /* 2057 */
    {"290296-5000", GP_CPR_OK, 1896}, /* leap via digit 5-8, YY 96 */
    {"290296-2000", GP_CPR_OK, 1996},   {"290297-5000", GP_CPR_BAD_DAY, 0}, /* 1897 */
    {"290260-6000", GP_CPR_OK, 1860},   {"290272-7000", GP_CPR_OK, 1872},
    {"290299-8000", GP_CPR_BAD_DAY, 0},                                     /* 1899 */
    {"290258-5000", GP_CPR_BAD_DAY, 0},                                     /* 1858 */
    {"290292-3000", GP_CPR_OK, 1992},   {"290290-0000", GP_CPR_BAD_DAY, 0}, /* 1990 */
    {"2802000000", GP_CPR_OK, 1900},   /* 28 February always exists */
    {"3002004000", GP_CPR_BAD_DAY, 0}, /* 30 February never */
};

START_TEST(test_feb29)
{
    struct gp_cpr c;
    const char *in = feb29_rows[_i].in;
    ck_assert_int_eq(gp_cpr_parse(in, strlen(in), &c), feb29_rows[_i].want);
    if (feb29_rows[_i].want == GP_CPR_OK) {
        ck_assert_int_eq(c.birth_year, feb29_rows[_i].year);
        ck_assert_int_eq(c.birth_month, 2);
    }
}
END_TEST

/* ---- sex: last digit ---- */

START_TEST(test_sex_by_last_digit)
{
    static const bool female[10] = {true,  false, true,  false, true,
                                    false, true,  false, true,  false};
    char in[11] = "0101901230";
    in[9] = (char)('0' + _i);
    struct gp_cpr c;
    ck_assert_int_eq(gp_cpr_parse(in, 10, &c), GP_CPR_OK);
    ck_assert_int_eq(c.female, female[_i]);
}
END_TEST

/* ---- age ---- */

static const struct {
    const char *cpr;
    int y, m, d;
    int want;
} age_rows[] = {
    {"150690-1234", 2020, 6, 14, 29}, /* the day before the birthday */
    {"150690-1234", 2020, 6, 15, 30}, /* the birthday itself */
    {"150690-1234", 2020, 6, 16, 30},
    {"150690-1234", 2020, 5, 31, 29},
    {"150690-1234", 2020, 7, 1, 30},
    {"150690-1234", 1990, 6, 15, 0}, /* day of birth */
    {"150690-1234", 1991, 6, 14, 0},
    {"150690-1234", 1991, 6, 15, 1},
    {"150690-1234", 1990, 6, 14, -1}, /* before birth */
    {"150690-1234", 1980, 1, 1, -1},
    {"290200-4000", 2001, 2, 28, 0}, /* 29 February birthday, non-leap year */
    {"290200-4000", 2001, 3, 1, 1},
    {"290200-4000", 2023, 2, 28, 22},
    {"290200-4000", 2023, 3, 1, 23},
    {"290200-4000", 2024, 2, 28, 23}, /* leap year: birthday on the 29th */
    {"290200-4000", 2024, 2, 29, 24},
    {"290200-4000", 2100, 2, 28, 99}, /* 2100 is not a leap year */
    {"290200-4000", 2100, 3, 1, 100},
    {"311299-0002", 2000, 1, 1, 0},
    {"311299-0002", 2000, 12, 30, 0},
    {"311299-0002", 2000, 12, 31, 1},
    {"010101-0001", 2001, 1, 1, 100},
    {"010101-0001", 2000, 12, 31, 99},
    {"010158-5678", 2024, 1, 1, 166},
};

START_TEST(test_age_on)
{
    struct gp_cpr c;
    const char *in = age_rows[_i].cpr;
    ck_assert_int_eq(gp_cpr_parse(in, strlen(in), &c), GP_CPR_OK);
    ck_assert_int_eq(gp_cpr_age_on(&c, age_rows[_i].y, age_rows[_i].m, age_rows[_i].d),
                     age_rows[_i].want);
}
END_TEST

/* ---- birth date and mask: exact output, nothing written past the buffer ---- */

static const struct {
    const char *cpr;
    const char *date;
    const char *mask;
} format_rows[] = {
    {"0707614285", "1961-07-07", "070761-xxxx"}, {"070761-4285", "1961-07-07", "070761-xxxx"},
    {"0101585678", "1858-01-01", "010158-xxxx"}, {"3112990002", "1999-12-31", "311299-xxxx"},
    {"2902004001", "2000-02-29", "290200-xxxx"}, {"0101369000", "2036-01-01", "010136-xxxx"},
    {"3112579999", "1957-12-31", "311257-xxxx"},
};

START_TEST(test_birth_date_and_mask)
{
    struct gp_cpr c;
    const char *in = format_rows[_i].cpr;
    ck_assert_int_eq(gp_cpr_parse(in, strlen(in), &c), GP_CPR_OK);

    char date[16];
    memset(date, '#', sizeof date);
    gp_cpr_birth_date(&c, date);
    ck_assert_str_eq(date, format_rows[_i].date);
    ck_assert_int_eq(date[11], '#');

    char mask[16];
    memset(mask, '#', sizeof mask);
    gp_cpr_mask(&c, mask);
    ck_assert_str_eq(mask, format_rows[_i].mask);
    ck_assert_int_eq(mask[12], '#');
    ck_assert_ptr_null(strstr(mask, c.digits + 6)); /* the sequence never shows */
}
END_TEST

/* ---- masking inside arbitrary strings ---- */

static const struct {
    const char *in;
    const char *want;
} mask_rows[] = {
    {"/v1/citizens/0101901234/overview", "/v1/citizens/010190xxxx/overview"},
    {"/v1/citizens/010190-1234/overview", "/v1/citizens/010190-xxxx/overview"},
    {"/v1/citizens/0101901234", "/v1/citizens/010190xxxx"},
    {"/v1/citizens/0101901234?refresh=always", "/v1/citizens/010190xxxx?refresh=always"},
    {"0101901234", "010190xxxx"},
    {"010190-1234", "010190-xxxx"},
    {"0101901234x", "010190xxxxx"},
    {"x0101901234", "x010190xxxx"},
    {"a0101901234b", "a010190xxxxb"},
    {"0101901234 0202021234", "010190xxxx 020202xxxx"},
    {"0101901234-0101901234", "010190xxxx-010190xxxx"},
    {"010190-1234-5678", "010190-xxxx-5678"},
    {"cpr=0101901234&cpr=311299-0002", "cpr=010190xxxx&cpr=311299-xxxx"},
    {"9999999999", "999999xxxx"}, /* no date check: looks like a CPR, so masked */
    /* found by fuzzing: a chain of hyphenated candidates is masked as each one */
    {"cpr=056299-006299-0000~1", "cpr=056299-xxxxxx-xxxx~1"},
    /* other digit runs are left alone */
    {"", ""},
    {"no digits here", "no digits here"},
    {"010190123", "010190123"},
    {"01019012345", "010190xxxxx"},
    {"123456789012", "123456xxxxxx"},
    {"/v1/citizens/01019012345/overview", "/v1/citizens/010190xxxxx/overview"},
    {"010190-12345", "010190-xxxxx"},
    {"010190-123", "010190-123"},
    {"1010190-1234", "1010190-1234"},
    {"01019-1234", "01019-1234"},
    {"010190--1234", "010190--1234"},
    {"010190 1234", "010190 1234"},
    {"1234-5678", "1234-5678"},
    {"123456-0101901234", "123456-xxxxxxxxxx"},
    {"request 42 took 1234567 us", "request 42 took 1234567 us"},
    {"\xef\xbc\x90\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91\xef\xbc\x99\xef\xbc\x90\xef\xbc\x91"
     "\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94",
     "\xef\xbc\x90\xef\xbc\x91\xef\xbc\x90\xef\xbc\x91\xef\xbc\x99\xef\xbc\x90\xef\xbc\x91"
     "\xef\xbc\x92\xef\xbc\x93\xef\xbc\x94"}, /* fullwidth digits are not ASCII digits */
};

START_TEST(test_mask_in_place)
{
    char buf[128];
    size_t n = strlen(mask_rows[_i].in);
    ck_assert_uint_lt(n, sizeof buf);
    memcpy(buf, mask_rows[_i].in, n + 1);
    gp_cpr_mask_in_place(buf);
    ck_assert_str_eq(buf, mask_rows[_i].want);
}
END_TEST

START_TEST(test_mask_in_place_null)
{
    gp_cpr_mask_in_place(NULL); /* must simply return */
    char buf[] = "0101901234";
    gp_cpr_mask_in_place(buf);
    gp_cpr_mask_in_place(buf); /* idempotent */
    ck_assert_str_eq(buf, "010190xxxx");
}
END_TEST

/* ---- error texts ---- */

START_TEST(test_error_texts)
{
    static const enum gp_cpr_error all[] = {GP_CPR_OK,        GP_CPR_EMPTY,  GP_CPR_LENGTH,
                                            GP_CPR_NOT_DIGIT, GP_CPR_HYPHEN, GP_CPR_BAD_MONTH,
                                            GP_CPR_BAD_DAY};
    for (size_t i = 0; i < N_ROWS(all); i++) {
        const char *t = gp_cpr_error_text(all[i]);
        ck_assert_ptr_nonnull(t);
        ck_assert_uint_gt(strlen(t), 0);
        for (size_t j = 0; j < i; j++) /* each error says something different */
            ck_assert_str_ne(t, gp_cpr_error_text(all[j]));
    }
    ck_assert_str_eq(gp_cpr_error_text(GP_CPR_BAD_MONTH), "month must be 01-12");
    ck_assert_ptr_nonnull(gp_cpr_error_text((enum gp_cpr_error)99));
}
END_TEST

static Suite *cpr_suite(void)
{
    Suite *s = suite_create("cpr");
    TCase *tc = tcase_create("parse");
    tcase_add_loop_test(tc, test_parse_valid, 0, N_ROWS(valid_rows));
    tcase_add_test(tc, test_parse_reads_only_len);
    tcase_add_loop_test(tc, test_parse_invalid, 0, N_ROWS(bad_rows));
    tcase_add_test(tc, test_parse_null_is_empty);
    tcase_add_loop_test(tc, test_month_lengths, 0, 12);
    suite_add_tcase(s, tc);

    tc = tcase_create("century");
    tcase_add_loop_test(tc, test_century_table, 0, 10);
    tcase_add_test(tc, test_century_out_of_range);
    tcase_add_loop_test(tc, test_feb29, 0, N_ROWS(feb29_rows));
    suite_add_tcase(s, tc);

    tc = tcase_create("derived");
    tcase_add_loop_test(tc, test_sex_by_last_digit, 0, 10);
    tcase_add_loop_test(tc, test_age_on, 0, N_ROWS(age_rows));
    tcase_add_loop_test(tc, test_birth_date_and_mask, 0, N_ROWS(format_rows));
    tcase_add_test(tc, test_error_texts);
    suite_add_tcase(s, tc);

    tc = tcase_create("mask_in_place");
    tcase_add_loop_test(tc, test_mask_in_place, 0, N_ROWS(mask_rows));
    tcase_add_test(tc, test_mask_in_place_null);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(cpr_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
