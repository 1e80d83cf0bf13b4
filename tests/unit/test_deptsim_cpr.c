/* deptsim's own CPR module (cmd/deptsim/cpr.c) and the numbers the population is built from,
 * checked against the rules themselves: DESIGN.md's section "CPR numbers" and the CPR space of
 * cmd/deptsim/README.md, restated here as tables and small functions of this file. Dates are
 * checked with a leap-year rule of this file and the C library's gmtime_r, not with deptsim's
 * calendar. Only the last test compares with the service's lib/core/cpr.c, as a cross-check of
 * two independent implementations. No I/O. */
#include "cmd/deptsim/cpr.h"
#include "cmd/deptsim/dates.h"
#include "cmd/deptsim/log.h"
#include "cmd/deptsim/population.h"
#include "lib/core/cpr.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Check's ck_assert records every check that passes (a write each time); the loops below run
 * hundreds of thousands of cases and use these, which cost nothing until one fails. */
#define REQUIRE(expr)                                                                              \
    do {                                                                                           \
        if (!(expr))                                                                               \
            ck_abort_msg("Assertion '%s' failed", #expr);                                          \
    } while (0)
#define REQUIRE_EQ(a, b)                                                                           \
    do {                                                                                           \
        long long a_ = (long long)(a), b_ = (long long)(b);                                        \
        if (a_ != b_)                                                                              \
            ck_abort_msg("Assertion '%s == %s' failed: %lld != %lld", #a, #b, a_, b_);             \
    } while (0)

/* ---- the rules, as this test reads them --------------------------------------------------- */

/* The CPR office's table (DESIGN.md), one row per cell. */
static const struct {
    int d7_lo, d7_hi, yy_lo, yy_hi, century;
} century_table[] = {
    {0, 3, 0, 99, 1900},  {4, 4, 0, 36, 2000}, {4, 4, 37, 99, 1900}, {9, 9, 0, 36, 2000},
    {9, 9, 37, 99, 1900}, {5, 8, 0, 57, 2000}, {5, 8, 58, 99, 1800},
};

static int rule_year(int yy, int d7)
{
    int found = -1, rows = 0;
    for (size_t i = 0; i < sizeof century_table / sizeof century_table[0]; i++) {
        if (d7 >= century_table[i].d7_lo && d7 <= century_table[i].d7_hi &&
            yy >= century_table[i].yy_lo && yy <= century_table[i].yy_hi) {
            found = century_table[i].century + yy;
            rows++;
        }
    }
    REQUIRE_EQ(rows, 1); /* the table covers every (yy, d7) exactly once */
    return found;
}

static bool rule_leap(int y)
{
    return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static bool rule_date_exists(int y, int m, int d)
{
    static const int len[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    if (m < 1 || m > 12 || d < 1)
        return false;
    return d <= len[m - 1] + (m == 2 && rule_leap(y));
}

static int rule_weighted_sum(const char *digits, int n)
{
    static const int w[10] = {4, 3, 2, 7, 6, 5, 4, 3, 2, 1};
    int sum = 0;
    for (int i = 0; i < n; i++)
        sum += (digits[i] - '0') * w[i];
    return sum;
}

static bool rule_mod11(const char *ten)
{
    return rule_weighted_sum(ten, 10) % 11 == 0;
}

static int two(const char *p)
{
    return (p[0] - '0') * 10 + (p[1] - '0');
}

/* A CPR by the rules: ten digits whose date exists in the century the 7th digit gives. Returns
 * the birth year, or -1. */
static int rule_valid(const char *ten)
{
    for (int i = 0; i < 10; i++) {
        if (ten[i] < '0' || ten[i] > '9')
            return -1;
    }
    int year = rule_year(two(ten + 4), ten[6] - '0');
    return rule_date_exists(year, two(ten + 2), two(ten)) ? year : -1;
}

/* The civil date of a day number, by the C library. */
static void libc_date(int day, int *y, int *m, int *d)
{
    time_t t = (time_t)day * 86400;
    struct tm tm;
    REQUIRE(gmtime_r(&t, &tm) != NULL);
    *y = tm.tm_year + 1900;
    *m = tm.tm_mon + 1;
    *d = tm.tm_mday;
}

static int libc_day(int y, int m, int d)
{
    struct tm tm = {.tm_year = y - 1900, .tm_mon = m - 1, .tm_mday = d};
    time_t t = timegm(&tm);
    return (int)(t >= 0 ? t / 86400 : (t - 86399) / 86400);
}

/* ---- the century table -------------------------------------------------------------------- */

START_TEST(test_century_table)
{
    for (int yy = 0; yy <= 99; yy++) {
        for (int d7 = 0; d7 <= 9; d7++)
            ck_assert_int_eq(ds_cpr_century(yy, d7), rule_year(yy, d7));
    }
    /* The cells' edges, spelled out. */
    ck_assert_int_eq(ds_cpr_century(37, 4), 1937);
    ck_assert_int_eq(ds_cpr_century(36, 4), 2036);
    ck_assert_int_eq(ds_cpr_century(36, 9), 2036);
    ck_assert_int_eq(ds_cpr_century(37, 9), 1937);
    ck_assert_int_eq(ds_cpr_century(57, 5), 2057);
    ck_assert_int_eq(ds_cpr_century(58, 8), 1858);
    ck_assert_int_eq(ds_cpr_century(99, 5), 1899);
    ck_assert_int_eq(ds_cpr_century(0, 3), 1900);
    ck_assert_int_eq(ds_cpr_century(0, 4), 2000);
    ck_assert_int_eq(ds_cpr_century(99, 0), 1999);
    ck_assert_int_eq(ds_cpr_century(-1, 0), -1);
    ck_assert_int_eq(ds_cpr_century(100, 0), -1);
    ck_assert_int_eq(ds_cpr_century(10, 10), -1);
    ck_assert_int_eq(ds_cpr_century(10, -1), -1);
}
END_TEST

/* ---- parsing ------------------------------------------------------------------------------ */

static void parses(const char *s, int year, int month, int mday)
{
    struct ds_cpr c;
    ck_assert_msg(ds_cpr_parse(s, strlen(s), &c), "%s should parse", s);
    ck_assert_int_eq(c.year, year);
    ck_assert_int_eq(c.month, month);
    ck_assert_int_eq(c.mday, mday);
    ck_assert_int_eq(c.day, libc_day(year, month, mday));
    char ten[11];
    size_t n = 0;
    for (const char *p = s; *p; p++) {
        if (*p != '-')
            ten[n++] = *p;
    }
    ten[n] = '\0';
    ck_assert_str_eq(c.digits, ten);
    ck_assert_int_eq(c.female, (ten[9] - '0') % 2 == 0);
    ck_assert_int_eq(c.mod11, rule_mod11(ten));
}

static void rejects(const char *s, size_t len)
{
    struct ds_cpr c;
    memset(&c, 0x5a, sizeof c);
    ck_assert_msg(!ds_cpr_parse(s, len, &c), "%.*s should not parse", (int)len, s ? s : "");
    for (size_t i = 0; i < sizeof c; i++) /* untouched */
        ck_assert_int_eq(((unsigned char *)&c)[i], 0x5a);
}

START_TEST(test_parse_table_cases)
{
    /* Same DDMMYY, the 7th digit decides the century. */
    parses("0101374000", 1937, 1, 1);
    parses("0101364000", 2036, 1, 1);
    parses("0101369000", 2036, 1, 1);
    parses("0101379000", 1937, 1, 1);
    parses("0101375000", 2037, 1, 1);
    parses("0101575000", 2057, 1, 1);
    parses("0101585000", 1858, 1, 1);
    parses("0101582000", 1958, 1, 1);
    parses("311299-3999", 1999, 12, 31);
    /* 29 February exists in 2000 and 1996, not in 1900 or 1858. */
    parses("2902004000", 2000, 2, 29);
    parses("290200-5000", 2000, 2, 29);
    parses("2902961234", 1996, 2, 29);
    rejects("2902000000", 10);
    rejects("2902585000", 10);
    rejects("2902971234", 10);
    /* The demo citizens (README): years by the table, sexes by the last digit. */
    parses("1203849318", 1984, 3, 12);
    parses("120384-9318", 1984, 3, 12);
    parses("0507909301", 1990, 7, 5);
    parses("2311629339", 1962, 11, 23);
    parses("1402959302", 1995, 2, 14);
    parses("3006489329", 1948, 6, 30);
    parses("1806109319", 2010, 6, 18);
    parses("0101759994", 1975, 1, 1);
    struct ds_cpr c;
    ck_assert(ds_cpr_parse("1203849318", 10, &c));
    ck_assert(c.female && c.mod11); /* 4*1+3*2+2*0+7*3+6*8+5*4+4*9+3*3+2*1+1*8 = 154 = 14*11 */
    ck_assert(ds_cpr_parse("0507909301", 10, &c));
    ck_assert(!c.female && !c.mod11); /* README: without modulus 11, still valid */
    ck_assert(ds_cpr_parse("1402959302", 10, &c));
    ck_assert(c.female && !c.mod11);
}
END_TEST

START_TEST(test_parse_rejects)
{
    rejects(NULL, 10);
    rejects("", 0);
    rejects("120384931", 9);
    rejects("12038493181", 11); /* 11 characters without the hyphen */
    rejects("120384-93181", 12);
    rejects("12038-49318", 11); /* hyphen in the wrong place */
    rejects("1203849-318", 11);
    rejects("120384--9318", 12);
    rejects("120384-931-", 11);
    rejects("-1203849318", 11);
    rejects("120384 9318", 11);
    rejects("120384931a", 10);
    rejects("12038\0"
            "9318",
            10); /* a NUL inside */
    rejects("1203849318\n", 11);
    rejects("0013849318", 10); /* month 13 */
    rejects("0100849318", 10); /* month 00 */
    rejects("0001849318", 10); /* day 00 */
    rejects("3201849318", 10); /* day 32 */
    rejects("3104849318", 10); /* 31 April */
    rejects("3102849318", 10); /* 31 February */
}
END_TEST

/* Every date of every (yy, 7th digit): accepted exactly when the rules say so, with the
 * right date; not NUL-terminated input is read only to len. */
START_TEST(test_parse_every_date)
{
    char s[16];
    for (int d7 = 0; d7 <= 9; d7++) {
        for (int yy = 0; yy <= 99; yy++) {
            for (int m = 0; m <= 13; m++) {
                for (int d = 0; d <= 32; d++) {
                    snprintf(s, sizeof s, "%02d%02d%02d%d12345", d, m, yy, d7);
                    int year = rule_year(yy, d7);
                    bool want = rule_date_exists(year, m, d);
                    struct ds_cpr c;
                    REQUIRE_EQ(ds_cpr_parse(s, 10, &c), want); /* "...45" follows */
                    if (!want)
                        continue;
                    REQUIRE_EQ(c.year, year);
                    REQUIRE_EQ(c.day, libc_day(year, m, d));
                }
            }
        }
    }
}
END_TEST

/* ---- modulus 11 and making numbers -------------------------------------------------------- */

START_TEST(test_mod11_digit)
{
    uint64_t x = 88172645463325252ULL;
    int none = 0;
    for (int n = 0; n < 100000; n++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        char d[10];
        uint64_t v = x;
        for (int i = 0; i < 9; i++, v /= 10)
            d[i] = (char)('0' + v % 10);
        /* By brute force: which last digits pass? */
        int passing = -1, count = 0;
        for (int last = 0; last <= 9; last++) {
            d[9] = (char)('0' + last);
            if (rule_mod11(d)) {
                passing = last;
                count++;
            }
        }
        REQUIRE(count <= 1);
        REQUIRE_EQ(ds_cpr_mod11_digit(d), passing);
        none += passing < 0;
    }
    /* No digit passes for one prefix in eleven. */
    REQUIRE(none > 100000 / 11 - 1000);
    REQUIRE(none < 100000 / 11 + 1000);
}
END_TEST

/* ds_cpr_make for every third birth date the table can express (and a year on either side),
 * every 7th digit: a number exactly when the table gives that 7th digit the birth year; the date,
 * the sequence digits and the modulus-11 choice as asked. */
START_TEST(test_make_follows_the_table)
{
    int first = libc_day(1857, 1, 1), last = libc_day(2058, 12, 31);
    int made = 0, refused = 0;
    for (int day = first; day <= last; day += 3) {
        int y, m, d;
        libc_date(day, &y, &m, &d);
        for (int d7 = 0; d7 <= 9; d7++) {
            unsigned seq = (unsigned)d7 * 100 + (unsigned)(day % 100 + 100) % 100;
            uint64_t pick = (uint64_t)day * 2654435761u;
            char out[11];
            memset(out, '#', sizeof out);
            bool ok = ds_cpr_make(day, seq, day % 7 != 0, pick, out);
            bool want = y >= 1858 && y <= 2057 && rule_year(y % 100, d7) == y;
            REQUIRE_EQ(ok, want);
            if (!ok) {
                for (size_t i = 0; i < sizeof out; i++)
                    REQUIRE_EQ(out[i], '#'); /* untouched */
                refused++;
                continue;
            }
            made++;
            REQUIRE_EQ(strlen(out), 10);
            REQUIRE_EQ(rule_valid(out), y);
            REQUIRE_EQ(two(out), d);
            REQUIRE_EQ(two(out + 2), m);
            REQUIRE_EQ(out[6] - '0', d7);
            REQUIRE_EQ(two(out + 7), (int)(seq % 100));
            bool exists = ds_cpr_mod11_digit(out) >= 0;
            if (day % 7 != 0 && exists)
                REQUIRE(rule_mod11(out));
            else
                REQUIRE(!rule_mod11(out));
            struct ds_cpr c;
            REQUIRE(ds_cpr_parse(out, 10, &c));
            REQUIRE_EQ(c.day, day);
        }
    }
    REQUIRE(made > 0);
    REQUIRE(refused > 0);
    char out[11];
    REQUIRE(!ds_cpr_make(libc_day(1990, 5, 5), 1000, true, 0, out));
}
END_TEST

/* Without modulus 11, pick chooses among the nine other digits: both sexes, every digit but
 * the check digit. */
START_TEST(test_make_without_mod11_spreads)
{
    int day = libc_day(1984, 3, 12);
    char out[11];
    ck_assert(ds_cpr_make(day, 931, true, 0, out));
    ck_assert_str_eq(out, "1203849318"); /* Mette: the modulus-11 digit is 8 */
    bool seen[10] = {false};
    for (uint64_t pick = 0; pick < 9; pick++) {
        ck_assert(ds_cpr_make(day, 931, false, pick, out));
        ck_assert_int_eq(memcmp(out, "120384931", 9), 0);
        ck_assert(!rule_mod11(out));
        seen[out[9] - '0'] = true;
    }
    for (int k = 0; k <= 9; k++)
        ck_assert_int_eq(seen[k], k != 8);
    /* A prefix with no modulus-11 digit: every digit, whatever was asked. */
    int none_day = -1;
    unsigned none_seq = 0;
    for (unsigned s = 0; s < 400 && none_day < 0; s++) {
        ck_assert(ds_cpr_make(day, s, true, 0, out));
        if (ds_cpr_mod11_digit(out) < 0) {
            none_day = day;
            none_seq = s;
        }
    }
    ck_assert_int_ge(none_day, 0);
    memset(seen, 0, sizeof seen);
    for (uint64_t pick = 0; pick < 10; pick++) {
        ck_assert(ds_cpr_make(none_day, none_seq, true, pick, out));
        ck_assert(!rule_mod11(out));
        seen[out[9] - '0'] = true;
    }
    for (int k = 0; k <= 9; k++)
        ck_assert(seen[k]);
}
END_TEST

/* ---- the population's numbers (cmd/deptsim/README.md) -------------------------------------- */

static int day_of(const char *ymd)
{
    int d;
    ck_assert(ds_parse_date(ymd, &d));
    return d;
}

/* Generated citizens: valid, born 1930-2023, 7th digit 0-3 before 2000 and 4-7 from 2000
 * (README's CPR space), sexes by the last digit and balanced, 8-12 % without modulus 11. */
START_TEST(test_population_numbers)
{
    static const uint64_t seeds[] = {1, 42, 0xdeadbeef};
    const uint64_t n = 200000;
    for (size_t si = 0; si < sizeof seeds / sizeof seeds[0]; si++) {
        struct ds_population p;
        REQUIRE(ds_population_init(&p, seeds[si], n, day_of(DS_DEFAULT_AS_OF)));
        uint64_t no_mod11 = 0, women = 0, before_2000 = 0, records = 0;
        for (uint64_t pos = DS_DEMO_COUNT; pos < ds_pop_count(&p); pos++) {
            char cpr[11];
            REQUIRE(ds_pop_cpr(&p, pos, cpr));
            REQUIRE_EQ(strlen(cpr), 10);
            int year = rule_valid(cpr);
            if (year < 1930 || year > 2023)
                ck_abort_msg("%s: year %d", cpr, year);
            int d7 = cpr[6] - '0';
            if (year < 2000)
                REQUIRE(d7 <= 3);
            else
                REQUIRE(d7 >= 4 && d7 <= 7);
            before_2000 += year < 2000;
            bool female = (cpr[9] - '0') % 2 == 0;
            women += female;
            no_mod11 += !rule_mod11(cpr);
            if (pos % 50 == 0) { /* the record's sex is the number's */
                for (int s = 0; s < DS_NSYSTEMS; s++) {
                    struct ds_record r;
                    if (!ds_pop_generate(&p, pos, (enum ds_system)s, &r))
                        continue;
                    REQUIRE_EQ(r.female, female);
                    REQUIRE(strcmp(r.cpr, cpr) == 0);
                    records++;
                    ds_record_free(&r);
                }
            }
        }
        ck_assert_uint_ge(no_mod11, n * 8 / 100);
        ck_assert_uint_le(no_mod11, n * 12 / 100);
        ck_assert_uint_ge(women, n * 45 / 100);
        ck_assert_uint_le(women, n * 55 / 100);
        /* 70 of the 94 birth years are before 2000. */
        ck_assert_uint_ge(before_2000, n * 70 / 94 - n / 100);
        ck_assert_uint_le(before_2000, n * 70 / 94 + n / 100);
        ck_assert_uint_gt(records, 100);
    }
}
END_TEST

/* Children in family cases: valid, 7th digit 4 when born 1937-1999 and 8 when born 2000-2057
 * (README), at the default as-of date and at as-of dates whose children would be born outside
 * those years (before 1937, after 2057) if nothing kept them inside. */
START_TEST(test_children_numbers)
{
    static const char *const as_of[] = {DS_DEFAULT_AS_OF, "2090-06-01", "1900-01-01"};
    for (size_t a = 0; a < sizeof as_of / sizeof as_of[0]; a++) {
        struct ds_population p;
        REQUIRE(ds_population_init(&p, 7, 20000, day_of(as_of[a])));
        int children = 0;
        for (uint64_t pos = 0; pos < ds_pop_count(&p); pos++) {
            struct ds_record r;
            if (!ds_pop_generate(&p, pos, DS_FAMILY, &r))
                continue;
            for (size_t c = 0; c < r.nchildren; c++) {
                const char *cpr = r.children[c].cpr;
                int year = rule_valid(cpr);
                if (year < 0)
                    ck_abort_msg("%s (as of %s) is not a valid CPR", cpr, as_of[a]);
                int y, m, d;
                libc_date(r.children[c].birth, &y, &m, &d);
                REQUIRE_EQ(year, y);
                REQUIRE_EQ(two(cpr), d);
                REQUIRE_EQ(two(cpr + 2), m);
                if (pos >= DS_DEMO_COUNT)
                    REQUIRE_EQ(cpr[6], year < 2000 ? '4' : '8');
                children++;
            }
            ds_record_free(&r);
        }
        REQUIRE(children > 0);
    }
}
END_TEST

/* ---- masking ------------------------------------------------------------------------------ */

static void masks(const char *in, const char *want)
{
    char buf[256];
    snprintf(buf, sizeof buf, "%s", in);
    ds_cpr_mask_in_place(buf);
    ck_assert_str_eq(buf, want);
}

START_TEST(test_mask)
{
    struct ds_cpr c;
    char out[12];
    ck_assert(ds_cpr_parse("120384-9318", 11, &c));
    ds_cpr_mask(&c, out);
    ck_assert_str_eq(out, "120384-xxxx");
    ck_assert(ds_cpr_parse("0507909301", 10, &c));
    ds_cpr_mask(&c, out);
    ck_assert_str_eq(out, "050790-xxxx");

    masks("/momentum/api/v2/borgere/1203849318/forloeb",
          "/momentum/api/v2/borgere/120384xxxx/forloeb");
    masks("/sensum/api/Citizens/120384-9318/Cases", "/sensum/api/Citizens/120384-xxxx/Cases");
    masks("/fhir/Encounter?patient.identifier=urn:oid:1.2.208.176.1.2%7C1203849318&_count=5",
          "/fhir/Encounter?patient.identifier=urn:oid:1.2.208.176.1.2%7C120384xxxx&_count=5");
    masks("1203849318", "120384xxxx");
    masks("12038493181", "120384xxxxx"); /* one digit too many still names a person */
    masks("120384-93181", "120384-xxxxx");
    masks("a1203849318b2311629339", "a120384xxxxb231162xxxx");
    masks("120384931", "120384931");       /* 9 digits: not a CPR */
    masks("120384-931", "120384-931");     /* 3 after the hyphen */
    masks("1203845-9318", "1203845-9318"); /* 7 digits before the hyphen */
    masks("/dubu/rest/export?limit=100&after=123456", "/dubu/rest/export?limit=100&after=123456");
    masks("", "");
    ds_cpr_mask_in_place(NULL);

    /* The log's sanitiser masks too, and keeps the line ASCII. */
    char clean[64];
    ds_log_sanitize("GET /x/1203849318 \xc3\xa6", clean, sizeof clean);
    ck_assert_str_eq(clean, "GET /x/120384xxxx ??");
}
END_TEST

/* ---- cross-check with the service's parser ------------------------------------------------ */

/* Two implementations written apart must agree on what is a CPR and on what it says. */
START_TEST(test_agrees_with_service_parser)
{
    static const char alphabet[] = "0123456789012345678901234567890123456789-a";
    uint64_t x = 0x9e3779b97f4a7c15ULL;
    int valid = 0;
    for (int n = 0; n < 300000; n++) {
        x ^= x << 13, x ^= x >> 7, x ^= x << 17;
        char s[12];
        size_t len = 9 + (size_t)(x % 3);
        uint64_t v = x >> 2;
        for (size_t i = 0; i < len; i++, v /= 42)
            s[i] = alphabet[v % 42];
        if (len == 11 && (x >> 60) < 12)
            s[6] = '-';
        if ((x >> 40) % 4 == 0) { /* steer towards real dates */
            s[0] = (char)('0' + (v % 3));
            s[2] = (char)('0' + (v / 3) % 2);
        }
        struct ds_cpr a;
        struct gp_cpr b;
        bool ok = ds_cpr_parse(s, len, &a);
        REQUIRE_EQ(ok, gp_cpr_parse(s, len, &b) == GP_CPR_OK);
        if (!ok)
            continue;
        valid++;
        REQUIRE(strcmp(a.digits, b.digits) == 0);
        REQUIRE_EQ(a.year, b.birth_year);
        REQUIRE_EQ(a.month, b.birth_month);
        REQUIRE_EQ(a.mday, b.birth_day);
        REQUIRE_EQ(a.female, b.female);
        REQUIRE_EQ(a.mod11, b.modulus11);
    }
    REQUIRE(valid > 1000);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("deptsim_cpr");
    TCase *rules = tcase_create("rules");
    tcase_add_test(rules, test_century_table);
    tcase_add_test(rules, test_parse_table_cases);
    tcase_add_test(rules, test_parse_rejects);
    tcase_add_test(rules, test_parse_every_date);
    tcase_add_test(rules, test_mod11_digit);
    tcase_add_test(rules, test_make_follows_the_table);
    tcase_add_test(rules, test_make_without_mod11_spreads);
    tcase_add_test(rules, test_mask);
    suite_add_tcase(s, rules);
    TCase *pop = tcase_create("population");
    tcase_set_timeout(pop, 300);
    tcase_add_test(pop, test_population_numbers);
    tcase_add_test(pop, test_children_numbers);
    suite_add_tcase(s, pop);
    TCase *cross = tcase_create("crosscheck");
    tcase_add_test(cross, test_agrees_with_service_parser);
    suite_add_tcase(s, cross);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
