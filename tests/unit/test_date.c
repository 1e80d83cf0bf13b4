/* lib/core/date: the calendar, "YYYY-MM-DD", day numbers, Denmark's offset and ISO 8601
 * date-times, as tables, one loop test per table so a failing row is reported by its index.
 * Expected values are literals worked out outside the code under test (day numbers and
 * offsets with Python's datetime and zoneinfo Europe/Copenhagen), never recomputed with it. */
#include "gptest.h"
#include "lib/core/date.h"

#include <check.h>
#include <stdio.h>
#include <string.h>

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))

/* ---- leap years and month ends ------------------------------------------------------------ */

static const struct {
    int y;
    bool leap;
} leap_rows[] = {
    {1900, false}, /* a century not divisible by 400 */
    {2000, true},  /* divisible by 400 */
    {2024, true},  {2023, false}, {2100, false}, {1600, true}, {1800, false}, {1996, true},
    {0, true},     {-4, true},    {-100, false}, {-400, true}, {-1, false},
};

START_TEST(test_leap)
{
    ck_assert_msg(gp_date_leap(leap_rows[_i].y) == leap_rows[_i].leap, "%d", leap_rows[_i].y);
}
END_TEST

static const struct {
    int y, m, days;
} month_rows[] = {
    {2023, 1, 31},  {2023, 2, 28},  {2023, 3, 31}, {2023, 4, 30}, {2023, 5, 31},
    {2023, 6, 30},  {2023, 7, 31},  {2023, 8, 31}, {2023, 9, 30}, {2023, 10, 31},
    {2023, 11, 30}, {2023, 12, 31}, {2024, 2, 29}, {2000, 2, 29}, {1900, 2, 28},
    {2100, 2, 28},  {2024, 0, 0},   {2024, 13, 0}, {2024, -1, 0}, /* not a month */
};

START_TEST(test_month_days)
{
    ck_assert_int_eq(gp_date_month_days(month_rows[_i].y, month_rows[_i].m), month_rows[_i].days);
    /* the last day exists, the one after it does not */
    int y = month_rows[_i].y, m = month_rows[_i].m, n = month_rows[_i].days;
    ck_assert(gp_date_exists(y, m, n) == (n > 0));
    ck_assert(!gp_date_exists(y, m, n + 1));
    ck_assert(!gp_date_exists(y, m, 0));
}
END_TEST

/* ---- day numbers ---------------------------------------------------------------------------- */

static const struct {
    int y, m, d;
    long long day;
} civil_rows[] = {
    {1970, 1, 1, 0},         {1969, 12, 31, -1},    {1900, 2, 28, -25509}, {1900, 3, 1, -25508},
    {2000, 2, 29, 11016},    {2000, 3, 1, 11017},   {2024, 2, 29, 19782},  {2024, 12, 31, 20088},
    {1600, 2, 29, -135081},  {1800, 1, 1, -62091},  {1, 1, 1, -719162},    {0, 1, 1, -719528},
    {9999, 12, 31, 2932896}, {-1, 12, 31, -719529}, /* before year 0 */
};

START_TEST(test_civil)
{
    int y, m, d;
    ck_assert_int_eq(gp_days_from_civil(civil_rows[_i].y, civil_rows[_i].m, civil_rows[_i].d),
                     civil_rows[_i].day);
    gp_civil_from_days(civil_rows[_i].day, &y, &m, &d);
    ck_assert_int_eq(y, civil_rows[_i].y);
    ck_assert_int_eq(m, civil_rows[_i].m);
    ck_assert_int_eq(d, civil_rows[_i].d);
}
END_TEST

/* Every day from 1599-12-01 to 2401-01-31 follows the one before it in the calendar. (One
 * assertion at the end: Check reports every assertion to its parent process.) */
START_TEST(test_civil_consecutive)
{
    int py = 1599, pm = 11, pd = 30;
    int64_t first_bad = 0;
    bool ok = true;
    for (int64_t day = gp_days_from_civil(1599, 12, 1); day <= gp_days_from_civil(2401, 1, 31);
         day++) {
        int y, m, d;
        gp_civil_from_days(day, &y, &m, &d);
        bool next = (y == py && m == pm && d == pd + 1) ||
                    (y == py && m == pm + 1 && d == 1 && pd == gp_date_month_days(py, pm)) ||
                    (y == py + 1 && m == 1 && d == 1 && pm == 12 && pd == 31);
        if ((!next || gp_days_from_civil(y, m, d) != day) && ok) {
            ok = false;
            first_bad = day;
        }
        py = y, pm = m, pd = d;
    }
    ck_assert_msg(ok, "day %lld", (long long)first_bad);
}
END_TEST

/* ---- "YYYY-MM-DD" --------------------------------------------------------------------------- */

static const struct {
    const char *s;
    bool ok;
    long long day;
} text_rows[] = {
    {"1970-01-01", true, 0},
    {"2000-02-29", true, 11016},
    {"2024-02-29", true, 19782},
    {"2024-12-31", true, 20088},
    {"1800-01-01", true, -62091},
    {"9999-12-31", true, 2932896},
    {"1900-02-29", false, 0}, /* not a leap year */
    {"2023-02-29", false, 0},
    {"2024-04-31", false, 0},
    {"2024-13-01", false, 0},
    {"2024-00-10", false, 0},
    {"2024-01-00", false, 0},
    {"1799-12-31", false, 0}, /* before 1800 */
    {"2024-1-01", false, 0},
    {"2024-01-011", false, 0},
    {"2024-01-01T10:00:00Z", false, 0}, /* a date only */
    {"2024/01/01", false, 0},
    {" 2024-01-01", false, 0},
    {"2024-01-0 ", false, 0},
    {"", false, 0},
    {"2024", false, 0},
    {"abcd-ef-gh", false, 0},
};

START_TEST(test_text)
{
    const char *s = text_rows[_i].s;
    int32_t day = 12345;
    int y = -7, m = -7, d = -7;
    ck_assert_msg(gp_date_valid(s) == text_rows[_i].ok, "%s", s);
    ck_assert(gp_date_parse(s, &y, &m, &d) == text_rows[_i].ok);
    ck_assert(gp_day_parse(s, &day) == text_rows[_i].ok);
    if (!text_rows[_i].ok) {
        ck_assert(y == -7 && m == -7 && d == -7 && day == 12345); /* untouched */
        return;
    }
    ck_assert_int_eq(day, text_rows[_i].day);
    ck_assert_int_eq(gp_days_from_civil(y, m, d), text_rows[_i].day);
    char back[11];
    gp_day_format(day, back);
    ck_assert_str_eq(back, s);
    ck_assert(gp_date_format(y, m, d, back));
    ck_assert_str_eq(back, s);
}
END_TEST

START_TEST(test_text_edges)
{
    ck_assert(!gp_date_valid(NULL));
    ck_assert(!gp_day_parse(NULL, &(int32_t){0}));
    char out[11] = "xxxxxxxxxx";
    /* years 0..9999 only, and only dates that exist: never cut short, never with a sign */
    ck_assert(gp_date_format(0, 1, 1, out));
    ck_assert_str_eq(out, "0000-01-01");
    ck_assert(!gp_date_format(10000, 1, 1, out));
    ck_assert_str_eq(out, "");
    ck_assert(!gp_date_format(-1, 12, 31, out));
    ck_assert_str_eq(out, "");
    ck_assert(!gp_date_format(2023, 2, 29, out));
    ck_assert_str_eq(out, "");
    gp_day_format(gp_days_from_civil(10000, 1, 1), out);
    ck_assert_str_eq(out, "");
    gp_day_format(gp_days_from_civil(-1, 12, 31), out);
    ck_assert_str_eq(out, "");
    gp_day_format(-719528, out);
    ck_assert_str_eq(out, "0000-01-01");
    gp_day_format(-1, out);
    ck_assert_str_eq(out, "1969-12-31");
}
END_TEST

static const struct {
    const char *from;
    int months;
    const char *want;
} minus_rows[] = {
    {"2024-05-31", 3, "2024-02-29"}, /* clamped to a leap February */
    {"2023-05-31", 3, "2023-02-28"},  {"2024-05-15", 3, "2024-02-15"},
    {"2024-01-31", 1, "2023-12-31"},  {"2024-03-31", 1, "2024-02-29"},
    {"2100-03-31", 1, "2100-02-28"}, /* 2100 is not a leap year */
    {"2000-03-31", 1, "2000-02-29"},  {"2024-02-29", 12, "2023-02-28"},
    {"2024-07-31", 0, "2024-07-31"},  {"2024-01-15", 25, "2021-12-15"},
    {"2024-01-15", -1, "2024-02-15"}, /* minus a negative count: later */
};

START_TEST(test_minus_months)
{
    int32_t d;
    char got[11];
    ck_assert(gp_day_parse(minus_rows[_i].from, &d));
    gp_day_format(gp_day_minus_months(d, minus_rows[_i].months), got);
    ck_assert_str_eq(got, minus_rows[_i].want);
}
END_TEST

/* ---- instants and Denmark's offset -------------------------------------------------------- */

static const struct {
    long long t, day;
} epoch_rows[] = {
    {0, 0}, {86399, 0}, {86400, 1}, {-1, -1}, {-86400, -1}, {-86401, -2}, {1711846800, 19813},
};

START_TEST(test_epoch_day)
{
    ck_assert_int_eq(gp_epoch_day(epoch_rows[_i].t), epoch_rows[_i].day);
}
END_TEST

static const struct {
    long long t;
    int offset;
} dk_rows[] = {
    {1711846799, 3600},                    /* 2024-03-31 00:59:59 UTC: still winter */
    {1711846800, 7200},                    /* 01:00 UTC: summer */
    {1729990799, 7200},                    /* 2024-10-27 00:59:59 UTC: still summer */
    {1729990800, 3600},                    /* 01:00 UTC: winter */
    {1705320000, 3600},                    /* 2024-01-15 */
    {4118083200, 7200},                    /* 2100-07-01 */
    {299678400, 3600},                     /* 1979-07-01: no summer time before 1980 */
    {-299894400, 3600},                    /* 1960-07-01, a negative instant */
    {323830799, 3600},                     /* 1980-04-06 00:59:59 UTC: 1980's own dates */
    {323830800, 7200},  {338950799, 7200}, /* 1980-09-28 00:59:59 UTC */
    {338950800, 3600},  {354675600, 7200}, /* 1981-03-29 01:00 UTC: last Sunday of March */
    {811904399, 7200},                     /* 1995-09-24 00:59:59 UTC: ended in September */
    {811904400, 3600},  {812548800, 3600}, /* 1995-10-01 */
    {844171200, 7200},                     /* 1996-10-01: since 1996 into October */
    {846377999, 7200},  {846378000, 3600}, /* 1996-10-27 01:00 UTC */
};

START_TEST(test_dk_offset)
{
    ck_assert_msg(gp_dk_offset(dk_rows[_i].t) == dk_rows[_i].offset, "%lld", dk_rows[_i].t);
}
END_TEST

/* Copenhagen wall-clock times on the 2024 switch days (seconds as if UTC). */
static const struct {
    const char *local;
    int offset;
} local_rows[] = {
    {"2024-03-31T01:59:59", 3600}, {"2024-03-31T02:30:00", 3600}, /* skipped: winter */
    {"2024-03-31T03:00:00", 7200}, {"2024-10-27T01:59:59", 7200},
    {"2024-10-27T02:30:00", 3600}, /* repeated: winter */
    {"2024-10-27T03:00:00", 3600}, {"2024-07-01T12:00:00", 7200},
    {"2024-01-01T00:00:00", 3600},
};

START_TEST(test_dk_offset_local)
{
    struct gp_datetime t;
    ck_assert(gp_datetime_parse(local_rows[_i].local, false, &t));
    ck_assert_msg(gp_dk_offset_local(gp_datetime_wall(&t)) == local_rows[_i].offset, "%s",
                  local_rows[_i].local);
}
END_TEST

static const struct {
    long long t;
    const char *date;
} dk_day_rows[] = {
    {1725141600, "2024-09-01"}, /* 2024-08-31 22:00 UTC: midnight CEST */
    {1725141599, "2024-08-31"}, {1730070000, "2024-10-28"}, /* 23:00 UTC: midnight CET */
    {1730069999, "2024-10-27"}, {-1, "1970-01-01"},         /* 00:59:59 CET */
    {-3601, "1969-12-31"},
};

START_TEST(test_dk_day)
{
    char out[11];
    gp_day_format(gp_dk_day(dk_day_rows[_i].t), out);
    ck_assert_str_eq(out, dk_day_rows[_i].date);
}
END_TEST

/* ---- ISO 8601 date-times ------------------------------------------------------------------ */

/* A row that must not parse. */
#define BAD(s, partial)                                                                            \
    {                                                                                              \
        s, partial, false, 0, 0, 0, 0, 0, 0, 0, false, false, 0                                    \
    }

static const struct {
    const char *s;
    bool partial, ok;
    int y, m, d, hh, mm, ss, frac;
    bool has_time, has_offset;
    int offset_s;
} dt_rows[] = {
    {"2024-09-01", false, true, 2024, 9, 1, 0, 0, 0, 0, false, false, 0},
    {"2024-09-01T08:01:45", false, true, 2024, 9, 1, 8, 1, 45, 0, true, false, 0},
    {"2024-09-01 08:01", false, true, 2024, 9, 1, 8, 1, 0, 0, true, false, 0},
    {"2024-08-31T22:00:00Z", false, true, 2024, 8, 31, 22, 0, 0, 0, true, true, 0},
    {"2024-08-31T21:59:59.999Z", false, true, 2024, 8, 31, 21, 59, 59, 3, true, true, 0},
    {"2005-12-24T09:43:41+11:00", false, true, 2005, 12, 24, 9, 43, 41, 0, true, true, 39600},
    {"2024-01-01T10:00:00-0130", false, true, 2024, 1, 1, 10, 0, 0, 0, true, true, -5400},
    {"2016-12-31T23:59:60Z", false, true, 2016, 12, 31, 23, 59, 60, 0, true, true, 0},
    {"0000-02-29", false, true, 0, 2, 29, 0, 0, 0, 0, false, false, 0}, /* any year */
    {"9999-12-31", false, true, 9999, 12, 31, 0, 0, 0, 0, false, false, 0},
    {"2024", true, true, 2024, 0, 0, 0, 0, 0, 0, false, false, 0},
    {"2024-02", true, true, 2024, 2, 0, 0, 0, 0, 0, false, false, 0},
    BAD("2024", false),
    BAD("2024-02", false),
    BAD("2023-02-29", false),
    BAD("2024-02-30T00:00:00Z", false),
    BAD("2024-13", true),
    BAD("2024-01-01T24:00:00Z", false),
    BAD("2024-01-01T10:60:00Z", false),
    BAD("2024-01-01T10:00:61Z", false),
    BAD("2024-01-01T10:00:00.Z", false),
    BAD("2024-01-01T10:00:00.12345678901Z", false), /* more than ten fraction digits */
    BAD("2024-01-01T10:00:00+1", false),
    BAD("2024-01-01T10:00:00+15:00", false),
    BAD("2024-01-01T10:00:00Zx", false),
    BAD("2024-01-01x", false),
    BAD("2024-01-01T", false),
    BAD(" 2024-01-01", false),
    BAD("", true),
    BAD("20240101", false),
};

#undef BAD

START_TEST(test_datetime_parse)
{
    struct gp_datetime t;
    bool ok = gp_datetime_parse(dt_rows[_i].s, dt_rows[_i].partial, &t);
    ck_assert_msg(ok == dt_rows[_i].ok, "%s", dt_rows[_i].s);
    if (!ok)
        return;
    ck_assert_int_eq(t.y, dt_rows[_i].y);
    ck_assert_int_eq(t.m, dt_rows[_i].m);
    ck_assert_int_eq(t.d, dt_rows[_i].d);
    ck_assert_int_eq(t.hh, dt_rows[_i].hh);
    ck_assert_int_eq(t.mm, dt_rows[_i].mm);
    ck_assert_int_eq(t.ss, dt_rows[_i].ss);
    ck_assert_int_eq(t.frac_digits, dt_rows[_i].frac);
    ck_assert(t.has_time == dt_rows[_i].has_time);
    ck_assert(t.has_offset == dt_rows[_i].has_offset);
    ck_assert_int_eq(t.offset_s, dt_rows[_i].offset_s);
}
END_TEST

START_TEST(test_datetime_wall)
{
    struct gp_datetime t;
    ck_assert(!gp_datetime_parse(NULL, true, &t));
    ck_assert(gp_datetime_parse("2024-08-31T22:00:00Z", false, &t));
    ck_assert_int_eq(gp_datetime_wall(&t), 1725141600);
    ck_assert(gp_datetime_parse("2005-12-24T09:43:41+11:00", false, &t));
    ck_assert_int_eq(gp_datetime_wall(&t) - t.offset_s, 1135377821); /* 2005-12-23 22:43:41Z */
    ck_assert(gp_datetime_parse("1969-12-31T23:59:59", false, &t));
    ck_assert_int_eq(gp_datetime_wall(&t), -1);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("date");
    TCase *tc = tcase_create("calendar");
    tcase_add_loop_test(tc, test_leap, 0, N_ROWS(leap_rows));
    tcase_add_loop_test(tc, test_month_days, 0, N_ROWS(month_rows));
    tcase_add_loop_test(tc, test_civil, 0, N_ROWS(civil_rows));
    tcase_add_test(tc, test_civil_consecutive);
    suite_add_tcase(s, tc);
    tc = tcase_create("text");
    tcase_add_loop_test(tc, test_text, 0, N_ROWS(text_rows));
    tcase_add_test(tc, test_text_edges);
    tcase_add_loop_test(tc, test_minus_months, 0, N_ROWS(minus_rows));
    suite_add_tcase(s, tc);
    tc = tcase_create("denmark");
    tcase_add_loop_test(tc, test_epoch_day, 0, N_ROWS(epoch_rows));
    tcase_add_loop_test(tc, test_dk_offset, 0, N_ROWS(dk_rows));
    tcase_add_loop_test(tc, test_dk_offset_local, 0, N_ROWS(local_rows));
    tcase_add_loop_test(tc, test_dk_day, 0, N_ROWS(dk_day_rows));
    suite_add_tcase(s, tc);
    tc = tcase_create("iso8601");
    tcase_add_loop_test(tc, test_datetime_parse, 0, N_ROWS(dt_rows));
    tcase_add_test(tc, test_datetime_wall);
    suite_add_tcase(s, tc);
    return gpt_run_suite(s);
}
