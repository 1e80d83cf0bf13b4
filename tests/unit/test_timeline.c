/* lib/timeline: gaps as a table (overlapping, nested, touching, same-day, open-ended periods,
 * windows, clipping at today, bad input), checked once more against a day-by-day brute force
 * over random periods; then events from records (kinds, order, filters, what each visibility
 * shows), gaps from records (what counts as an effort), and the demo citizen Sofie with
 * colliding efforts, as deptsim and the real adapters produce her. */
#include "gpt_demo.h"
#include "gptest.h"
#include "lib/insight/timeline.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define N_ROWS(a) (sizeof(a) / sizeof((a)[0]))
#define MAXP      8

/* ---- dates ------------------------------------------------------------------------------- */

START_TEST(test_days)
{
    static const struct {
        const char *date;
        bool ok;
        int32_t day;
    } rows[] = {
        {"1970-01-01", true, 0},
        {"1970-01-02", true, 1},
        {"1969-12-31", true, -1},
        {"2000-02-29", true, 11016},
        {"2024-02-29", true, 19782},
        {"2024-03-01", true, 19783},
        {"2023-02-29", false, 0},
        {"1900-02-29", false, 0},
        {"2024-04-31", false, 0},
        {"2024-13-01", false, 0},
        {"2024-00-10", false, 0},
        {"2024-01-00", false, 0},
        {"1799-12-31", false, 0},
        {"2024-1-01", false, 0},
        {"2024-01-011", false, 0},
        {"2024/01/01", false, 0},
        {"", false, 0},
        {"abcd-ef-gh", false, 0},
        {"9999-12-31", true, 2932896},
        {"1800-01-01", true, -62091},
    };
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        int32_t d = 12345;
        ck_assert_msg(gp_day_parse(rows[i].date, &d) == rows[i].ok, "%s", rows[i].date);
        if (!rows[i].ok)
            continue;
        ck_assert_msg(d == rows[i].day, "%s: %d, want %d", rows[i].date, d, rows[i].day);
        char back[11];
        gp_day_format(d, back);
        ck_assert_str_eq(back, rows[i].date);
    }
    ck_assert(!gp_day_parse(NULL, &(int32_t){0}));
    /* every day of 1999-2001 round-trips and days are consecutive */
    int32_t d0;
    ck_assert(gp_day_parse("1999-01-01", &d0));
    for (int32_t d = d0; d < d0 + 3 * 366; d++) {
        char s[11];
        int32_t back;
        gp_day_format(d, s);
        ck_assert(gp_day_parse(s, &back));
        ck_assert_int_eq(back, d);
    }
}
END_TEST

START_TEST(test_minus_months)
{
    static const struct {
        const char *from;
        int months;
        const char *want;
    } rows[] = {
        {"2024-05-31", 3, "2024-02-29"},  {"2023-05-31", 3, "2023-02-28"},
        {"2024-05-15", 3, "2024-02-15"},  {"2024-01-31", 1, "2023-12-31"},
        {"2024-03-31", 1, "2024-02-29"},  {"2026-11-01", 3, "2026-08-01"},
        {"2024-02-29", 12, "2023-02-28"}, {"2024-07-31", 0, "2024-07-31"},
        {"2024-01-15", 25, "2021-12-15"},
    };
    for (size_t i = 0; i < N_ROWS(rows); i++) {
        int32_t d;
        char got[11];
        ck_assert(gp_day_parse(rows[i].from, &d));
        gp_day_format(gp_day_minus_months(d, rows[i].months), got);
        ck_assert_msg(!strcmp(got, rows[i].want), "%s - %d months: %s, want %s", rows[i].from,
                      rows[i].months, got, rows[i].want);
    }
}
END_TEST

/* ---- views ------------------------------------------------------------------------------------
 */

/* Every visibility × kind: which fields a view carries, and that the others are empty. */
START_TEST(test_views)
{
    static const enum gp_visibility levels[] = {GP_VIS_HIDDEN, GP_VIS_EXISTENCE, GP_VIS_SUMMARY,
                                                GP_VIS_FULL};
    static const char *const kinds[] = {"case", "activity", "document", "encounter", "x"};
    struct gp_indexed x;
    memset(&x, 0, sizeof x);
    x.id = 42;
    strcpy(x.department, "family");
    strcpy(x.area, "family");
    strcpy(x.case_type, "anbringelse");
    strcpy(x.case_label_da, "Anbringelse");
    strcpy(x.case_label_en, "Placement");
    strcpy(x.legal_basis, "Barnets Lov § 46");
    strcpy(x.source_id, "dubu");
    strcpy(x.rec.status, "open");
    strcpy(x.rec.start_date, "2024-01-01");
    strcpy(x.rec.end_date, "2024-12-31");
    strcpy(x.rec.document_date, "2024-01-02");
    strcpy(x.rec.caseworker_name, "Kim");
    strcpy(x.rec.caseworker_contact, "kim@example");
    strcpy(x.rec.data_type, "case_summary");
    strcpy(x.rec.title, "Anbringelse (Noah)");
    strcpy(x.rec.source_ref, "case/1");
    strcpy(x.rec.parent_ref, "parent/1");
    strcpy(x.rec.source_code, "ANBRINGELSE");
    for (size_t l = 0; l < N_ROWS(levels); l++) {
        for (size_t k = 0; k < N_ROWS(kinds); k++) {
            strcpy(x.rec.kind, kinds[k]);
            struct gp_view v;
            bool ok = gp_view_of(&x, levels[l], &v);
            ck_assert(ok == (levels[l] != GP_VIS_HIDDEN));
            if (!ok)
                continue;
            bool service = k < 2;
            enum gp_visibility want =
                levels[l] == GP_VIS_SUMMARY && !service ? GP_VIS_EXISTENCE : levels[l];
            ck_assert_int_eq(v.vis, want);
            ck_assert_str_eq(v.area, "family");
            bool sum = want >= GP_VIS_SUMMARY, full = want == GP_VIS_FULL;
            ck_assert_int_eq(v.id, sum ? 42 : 0);
            const char *const got_sum[] = {
                v.department,        v.kind,   v.case_type, v.label_da, v.label_en,
                v.legal_basis,       v.status, v.start,     v.end,      v.caseworker_name,
                v.caseworker_contact};
            const char *const want_sum[] = {"family",      kinds[k],     "anbringelse",
                                            "Anbringelse", "Placement",  "Barnets Lov § 46",
                                            "open",        "2024-01-01", "2024-12-31",
                                            "Kim",         "kim@example"};
            for (size_t f = 0; f < N_ROWS(got_sum); f++)
                ck_assert_str_eq(got_sum[f], sum ? want_sum[f] : "");
            const char *const got_full[] = {v.data_type,  v.title,      v.document_date,
                                            v.source_id,  v.source_ref, v.parent_ref,
                                            v.source_code};
            const char *const want_full[] = {
                "case_summary", "Anbringelse (Noah)", "2024-01-02", "dubu",
                "case/1",       "parent/1",           "ANBRINGELSE"};
            for (size_t f = 0; f < N_ROWS(got_full); f++)
                ck_assert_str_eq(got_full[f], full ? want_full[f] : "");
        }
    }
}
END_TEST

/* ---- gaps as a table ------------------------------------------------------------------------ */

struct gap_row {
    const char *name;
    const char *p[MAXP][2]; /* start, end ("" = open-ended); {NULL} ends the list */
    const char *from, *to, *today;
    enum gp_tl_rc rc;
    const char *want;   /* "start..end/days" separated by one space */
    const char *window; /* "from..to" or "" */
};

#define T "2024-06-30"

static const struct gap_row gap_rows[] = {
    {"no periods, no window", {{NULL}}, NULL, NULL, T, GP_TL_OK, "", ""},
    {"no periods, from",
     {{NULL}},
     "2024-06-01",
     NULL,
     T,
     GP_TL_OK,
     "2024-06-01..2024-06-30/30",
     "2024-06-01..2024-06-30"},
    {"no periods, from and to",
     {{NULL}},
     "2024-01-01",
     "2024-01-31",
     T,
     GP_TL_OK,
     "2024-01-01..2024-01-31/31",
     "2024-01-01..2024-01-31"},
    {"one closed period inside the window",
     {{"2024-02-01", "2024-02-29"}},
     "2024-01-01",
     "2024-03-31",
     T,
     GP_TL_OK,
     "2024-01-01..2024-01-31/31 2024-03-01..2024-03-31/31",
     "2024-01-01..2024-03-31"},
    {"overlapping",
     {{"2024-01-01", "2024-01-20"}, {"2024-01-10", "2024-02-10"}},
     "2024-01-01",
     "2024-02-29",
     T,
     GP_TL_OK,
     "2024-02-11..2024-02-29/19",
     "2024-01-01..2024-02-29"},
    {"nested",
     {{"2024-01-01", "2024-03-31"}, {"2024-02-01", "2024-02-10"}},
     "2024-01-01",
     "2024-04-30",
     T,
     GP_TL_OK,
     "2024-04-01..2024-04-30/30",
     "2024-01-01..2024-04-30"},
    {"nested, inner first",
     {{"2024-02-01", "2024-02-10"}, {"2024-01-01", "2024-03-31"}},
     "2024-01-01",
     "2024-04-30",
     T,
     GP_TL_OK,
     "2024-04-01..2024-04-30/30",
     "2024-01-01..2024-04-30"},
    {"nested, same start, inner shorter",
     {{"2024-01-01", "2024-01-05"}, {"2024-01-01", "2024-03-31"}},
     "2024-01-01",
     "2024-04-30",
     T,
     GP_TL_OK,
     "2024-04-01..2024-04-30/30",
     "2024-01-01..2024-04-30"},
    {"touching: end 03-01, start 03-02",
     {{"2024-01-01", "2024-03-01"}, {"2024-03-02", "2024-04-30"}},
     "2024-01-01",
     "2024-04-30",
     T,
     GP_TL_OK,
     "",
     "2024-01-01..2024-04-30"},
    {"one day apart",
     {{"2024-01-01", "2024-03-01"}, {"2024-03-03", "2024-04-30"}},
     "2024-01-01",
     "2024-04-30",
     T,
     GP_TL_OK,
     "2024-03-02..2024-03-02/1",
     "2024-01-01..2024-04-30"},
    {"sharing one day",
     {{"2024-01-01", "2024-03-01"}, {"2024-03-01", "2024-04-30"}},
     "2024-01-01",
     "2024-04-30",
     T,
     GP_TL_OK,
     "",
     "2024-01-01..2024-04-30"},
    {"same-day period",
     {{"2024-03-05", "2024-03-05"}},
     "2024-03-01",
     "2024-03-10",
     T,
     GP_TL_OK,
     "2024-03-01..2024-03-04/4 2024-03-06..2024-03-10/5",
     "2024-03-01..2024-03-10"},
    {"two same-day periods on one day",
     {{"2024-03-05", "2024-03-05"}, {"2024-03-05", "2024-03-05"}},
     "2024-03-01",
     "2024-03-10",
     T,
     GP_TL_OK,
     "2024-03-01..2024-03-04/4 2024-03-06..2024-03-10/5",
     "2024-03-01..2024-03-10"},
    {"same-day periods on consecutive days touch",
     {{"2024-03-06", "2024-03-06"}, {"2024-03-05", "2024-03-05"}},
     "2024-03-05",
     "2024-03-06",
     T,
     GP_TL_OK,
     "",
     "2024-03-05..2024-03-06"},
    {"same-day periods one day apart",
     {{"2024-03-05", "2024-03-05"}, {"2024-03-07", "2024-03-07"}},
     "2024-03-05",
     "2024-03-07",
     T,
     GP_TL_OK,
     "2024-03-06..2024-03-06/1",
     "2024-03-05..2024-03-07"},
    {"same-day period inside a longer one",
     {{"2024-03-01", "2024-03-31"}, {"2024-03-15", "2024-03-15"}},
     "2024-03-01",
     "2024-04-02",
     T,
     GP_TL_OK,
     "2024-04-01..2024-04-02/2",
     "2024-03-01..2024-04-02"},
    {"open-ended runs to today",
     {{"2024-05-01", ""}},
     "2024-04-01",
     NULL,
     T,
     GP_TL_OK,
     "2024-04-01..2024-04-30/30",
     "2024-04-01..2024-06-30"},
    {"open-ended starting today",
     {{"2024-06-30", ""}},
     "2024-06-01",
     NULL,
     T,
     GP_TL_OK,
     "2024-06-01..2024-06-29/29",
     "2024-06-01..2024-06-30"},
    {"open-ended starting after today covers nothing",
     {{"2024-07-15", ""}},
     "2024-06-01",
     NULL,
     T,
     GP_TL_OK,
     "2024-06-01..2024-06-30/30",
     "2024-06-01..2024-06-30"},
    {"open-ended beside a closed one",
     {{"2024-01-01", ""}, {"2024-02-01", "2024-02-28"}},
     "2024-01-01",
     NULL,
     T,
     GP_TL_OK,
     "",
     "2024-01-01..2024-06-30"},
    {"two open-ended",
     {{"2024-03-01", ""}, {"2024-01-01", ""}},
     "2023-12-01",
     NULL,
     T,
     GP_TL_OK,
     "2023-12-01..2023-12-31/31",
     "2023-12-01..2024-06-30"},
    {"gap before an open-ended period",
     {{"2024-01-01", "2024-01-31"}, {"2024-03-01", ""}},
     "2024-01-01",
     NULL,
     T,
     GP_TL_OK,
     "2024-02-01..2024-02-29/29",
     "2024-01-01..2024-06-30"},
    {"closed period ending after today",
     {{"2024-01-01", "2024-12-31"}},
     "2024-01-01",
     NULL,
     T,
     GP_TL_OK,
     "",
     "2024-01-01..2024-06-30"},
    {"to after today is clipped at today",
     {{"2024-01-01", "2024-05-31"}},
     "2024-01-01",
     "2024-12-31",
     T,
     GP_TL_OK,
     "2024-06-01..2024-06-30/30",
     "2024-01-01..2024-06-30"},
    {"window wholly after today", {{NULL}}, "2024-07-01", "2024-08-01", T, GP_TL_OK, "", ""},
    {"default from is the earliest start",
     {{"2024-05-01", "2024-05-31"}, {"2024-03-01", "2024-03-31"}},
     NULL,
     NULL,
     T,
     GP_TL_OK,
     "2024-04-01..2024-04-30/30 2024-06-01..2024-06-30/30",
     "2024-03-01..2024-06-30"},
    {"default from, to before the earliest start",
     {{"2024-03-01", "2024-03-31"}},
     NULL,
     "2024-02-01",
     T,
     GP_TL_OK,
     "",
     ""},
    {"from inside a period",
     {{"2024-01-01", "2024-03-31"}},
     "2024-02-15",
     "2024-04-10",
     T,
     GP_TL_OK,
     "2024-04-01..2024-04-10/10",
     "2024-02-15..2024-04-10"},
    {"window inside one period",
     {{"2024-01-01", "2024-03-31"}},
     "2024-02-01",
     "2024-02-28",
     T,
     GP_TL_OK,
     "",
     "2024-02-01..2024-02-28"},
    {"window inside a gap",
     {{"2024-01-01", "2024-01-31"}, {"2024-05-01", "2024-05-31"}},
     "2024-02-10",
     "2024-02-20",
     T,
     GP_TL_OK,
     "2024-02-10..2024-02-20/11",
     "2024-02-10..2024-02-20"},
    {"one-day window in a gap",
     {{"2024-01-01", "2024-01-31"}},
     "2024-02-10",
     "2024-02-10",
     T,
     GP_TL_OK,
     "2024-02-10..2024-02-10/1",
     "2024-02-10..2024-02-10"},
    {"one-day window covered by a same-day period",
     {{"2024-02-10", "2024-02-10"}},
     "2024-02-10",
     "2024-02-10",
     T,
     GP_TL_OK,
     "",
     "2024-02-10..2024-02-10"},
    {"one-day window on today, open-ended",
     {{"2024-06-01", ""}},
     T,
     T,
     T,
     GP_TL_OK,
     "",
     "2024-06-30..2024-06-30"},
    {"period wholly before the window",
     {{"2023-01-01", "2023-06-30"}},
     "2024-01-01",
     "2024-01-31",
     T,
     GP_TL_OK,
     "2024-01-01..2024-01-31/31",
     "2024-01-01..2024-01-31"},
    {"period ending the day before the window",
     {{"2023-06-01", "2023-12-31"}},
     "2024-01-01",
     "2024-01-31",
     T,
     GP_TL_OK,
     "2024-01-01..2024-01-31/31",
     "2024-01-01..2024-01-31"},
    {"period ending on the window's first day",
     {{"2023-12-01", "2024-01-01"}},
     "2024-01-01",
     "2024-01-31",
     T,
     GP_TL_OK,
     "2024-01-02..2024-01-31/30",
     "2024-01-01..2024-01-31"},
    {"period starting the day after the window",
     {{"2024-02-01", "2024-02-29"}},
     "2024-01-01",
     "2024-01-31",
     T,
     GP_TL_OK,
     "2024-01-01..2024-01-31/31",
     "2024-01-01..2024-01-31"},
    {"period starting on the window's last day",
     {{"2024-01-31", "2024-02-29"}},
     "2024-01-01",
     "2024-01-31",
     T,
     GP_TL_OK,
     "2024-01-01..2024-01-30/30",
     "2024-01-01..2024-01-31"},
    {"unsorted input",
     {{"2024-05-01", "2024-05-31"}, {"2024-01-01", "2024-01-31"}, {"2024-03-01", "2024-03-31"}},
     "2024-01-01",
     NULL,
     T,
     GP_TL_OK,
     "2024-02-01..2024-02-29/29 2024-04-01..2024-04-30/30 2024-06-01..2024-06-30/30",
     "2024-01-01..2024-06-30"},
    {"duplicates",
     {{"2024-03-01", "2024-03-31"}, {"2024-03-01", "2024-03-31"}, {"2024-03-01", "2024-03-31"}},
     "2024-03-01",
     "2024-04-02",
     T,
     GP_TL_OK,
     "2024-04-01..2024-04-02/2",
     "2024-03-01..2024-04-02"},
    {"end before start is the start day",
     {{"2024-03-10", "2024-03-01"}},
     "2024-03-09",
     "2024-03-11",
     T,
     GP_TL_OK,
     "2024-03-09..2024-03-09/1 2024-03-11..2024-03-11/1",
     "2024-03-09..2024-03-11"},
    {"leap day is a gap of its own",
     {{"2024-02-01", "2024-02-28"}, {"2024-03-01", "2024-03-31"}},
     "2024-02-01",
     "2024-03-31",
     T,
     GP_TL_OK,
     "2024-02-29..2024-02-29/1",
     "2024-02-01..2024-03-31"},
    {"28 February and 1 March touch in a common year",
     {{"2023-02-01", "2023-02-28"}, {"2023-03-01", "2023-03-31"}},
     "2023-02-01",
     "2023-03-31",
     "2023-06-30",
     GP_TL_OK,
     "",
     "2023-02-01..2023-03-31"},
    {"touching across the new year",
     {{"2023-11-01", "2023-12-31"}, {"2024-01-01", "2024-01-31"}},
     "2023-11-01",
     "2024-01-31",
     T,
     GP_TL_OK,
     "",
     "2023-11-01..2024-01-31"},
    {"gap across the new year",
     {{"2023-11-01", "2023-12-30"}, {"2024-01-02", "2024-01-31"}},
     "2023-11-01",
     "2024-01-31",
     T,
     GP_TL_OK,
     "2023-12-31..2024-01-01/2",
     "2023-11-01..2024-01-31"},
    {"a chain of touching periods",
     {{"2024-01-01", "2024-01-31"},
      {"2024-02-01", "2024-02-29"},
      {"2024-03-01", "2024-03-31"},
      {"2024-04-01", "2024-04-30"},
      {"2024-05-01", "2024-05-31"},
      {"2024-06-01", "2024-06-30"}},
     NULL,
     NULL,
     T,
     GP_TL_OK,
     "",
     "2024-01-01..2024-06-30"},
    {"one long period swallows later short ones",
     {{"2024-01-01", "2024-05-31"},
      {"2024-02-01", "2024-02-02"},
      {"2024-03-01", "2024-03-01"},
      {"2024-06-10", "2024-06-12"}},
     NULL,
     NULL,
     T,
     GP_TL_OK,
     "2024-06-01..2024-06-09/9 2024-06-13..2024-06-30/18",
     "2024-01-01..2024-06-30"},
    {"from after to", {{NULL}}, "2024-03-02", "2024-03-01", T, GP_TL_BAD_RANGE, "", ""},
    {"bad from", {{NULL}}, "2024-02-30", NULL, T, GP_TL_BAD_DATE, "", ""},
    {"bad to", {{NULL}}, NULL, "2024-1-01", T, GP_TL_BAD_DATE, "", ""},
    {"bad today", {{NULL}}, NULL, NULL, "", GP_TL_BAD_DATE, "", ""},
    {"no today", {{NULL}}, NULL, NULL, NULL, GP_TL_BAD_DATE, "", ""},
    {"bad period start", {{"2024-13-01", "2024-12-31"}}, NULL, NULL, T, GP_TL_BAD_DATE, "", ""},
    {"bad period end", {{"2024-01-01", "x"}}, NULL, NULL, T, GP_TL_BAD_DATE, "", ""},
};

static size_t periods_of(const struct gap_row *r, struct gp_tl_period *p)
{
    size_t n = 0;
    while (n < MAXP && r->p[n][0]) {
        p[n].start = r->p[n][0];
        p[n].end = r->p[n][1];
        n++;
    }
    return n;
}

static void render_gaps(const struct gp_tl_gaps *g, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < g->n; i++)
        o += (size_t)snprintf(buf + o, len - o, "%s%s..%s/%d", i ? " " : "", g->items[i].start,
                              g->items[i].end, g->items[i].days);
}

START_TEST(test_gaps_table)
{
    for (size_t i = 0; i < N_ROWS(gap_rows); i++) {
        const struct gap_row *r = &gap_rows[i];
        struct gp_tl_period p[MAXP];
        size_t n = periods_of(r, p);
        struct gp_tl_gaps g;
        enum gp_tl_rc rc = gp_timeline_gaps(p, n, r->from, r->to, r->today, &g);
        ck_assert_msg(rc == r->rc, "%s: rc %d, want %d", r->name, rc, r->rc);
        char got[1024], window[32];
        render_gaps(&g, got, sizeof got);
        snprintf(window, sizeof window, "%s%s%s", g.from, g.from[0] ? ".." : "", g.to);
        ck_assert_msg(!strcmp(got, r->want), "%s: gaps \"%s\", want \"%s\"", r->name, got, r->want);
        ck_assert_msg(!strcmp(window, r->window), "%s: window \"%s\", want \"%s\"", r->name, window,
                      r->window);
        gp_tl_gaps_free(&g);
    }
}
END_TEST

/* ---- gaps against a brute force ------------------------------------------------------------ */

static uint64_t rnd_state = 0x9E3779B97F4A7C15ull;
static uint32_t rnd(uint32_t n)
{
    rnd_state ^= rnd_state << 13;
    rnd_state ^= rnd_state >> 7;
    rnd_state ^= rnd_state << 17;
    return (uint32_t)(rnd_state % n);
}

/* Over a 120-day world around today: random periods (same-day, open-ended, reversed, touching
 * by chance), random windows; every day of the window is checked against the periods one by
 * one, independently of the sweep in lib/timeline.c. */
START_TEST(test_gaps_brute_force)
{
    int32_t base;
    ck_assert(gp_day_parse("2024-01-01", &base));
    int32_t today = base + 90;
    char today_s[11];
    gp_day_format(today, today_s);
    for (int iter = 0; iter < 3000; iter++) {
        size_t n = rnd(7);
        char starts[8][11], ends[8][11];
        struct gp_tl_period p[8];
        int32_t s[8], e[8];
        for (size_t i = 0; i < n; i++) {
            s[i] = base + (int32_t)rnd(120);
            uint32_t shape = rnd(10);
            if (shape == 0)
                e[i] = INT32_MAX; /* open-ended */
            else if (shape == 1)
                e[i] = s[i]; /* same day */
            else if (shape == 2)
                e[i] = s[i] - (int32_t)rnd(5) - 1; /* reversed: the start day */
            else
                e[i] = s[i] + (int32_t)rnd(20);
            gp_day_format(s[i], starts[i]);
            if (e[i] == INT32_MAX)
                ends[i][0] = '\0';
            else
                gp_day_format(e[i], ends[i]);
            p[i].start = starts[i];
            p[i].end = ends[i];
            if (e[i] == INT32_MAX)
                e[i] = today;
            else if (e[i] < s[i])
                e[i] = s[i];
        }
        bool has_from = rnd(4) != 0, has_to = rnd(3) != 0;
        int32_t f = base + (int32_t)rnd(120) - 10, t = f + (int32_t)rnd(60);
        char fs[11], ts[11];
        gp_day_format(f, fs);
        gp_day_format(t, ts);
        struct gp_tl_gaps g;
        ck_assert_int_eq(
            gp_timeline_gaps(p, n, has_from ? fs : NULL, has_to ? ts : NULL, today_s, &g),
            GP_TL_OK);
        /* the expected window */
        int32_t w0 = f, w1 = has_to && t < today ? t : today;
        if (!has_from) {
            w0 = INT32_MAX;
            for (size_t i = 0; i < n; i++)
                w0 = s[i] < w0 ? s[i] : w0;
        }
        bool window = (has_from || n > 0) && w0 <= w1;
        ck_assert_msg(window == (g.from[0] != '\0'), "iteration %d: window", iter);
        /* day by day */
        size_t k = 0;
        int32_t run = 0;
        bool in_gap = false;
        for (int32_t d = w0; window && d <= w1 + 1; d++) {
            bool covered = d > w1;
            for (size_t i = 0; i < n && !covered; i++)
                covered = s[i] <= d && d <= e[i];
            if (!covered && !in_gap) {
                in_gap = true;
                run = d;
            } else if (covered && in_gap) {
                in_gap = false;
                char a[11], b[11];
                gp_day_format(run, a);
                gp_day_format(d - 1, b);
                ck_assert_msg(k < g.n, "iteration %d: gap %s..%s missing", iter, a, b);
                ck_assert_str_eq(g.items[k].start, a);
                ck_assert_str_eq(g.items[k].end, b);
                ck_assert_int_eq(g.items[k].days, d - run);
                k++;
            }
        }
        ck_assert_msg(k == g.n, "iteration %d: %zu gaps, want %zu", iter, g.n, k);
        gp_tl_gaps_free(&g);
    }
}
END_TEST

/* ---- events ---------------------------------------------------------------------------------- */

struct trec {
    int64_t id;
    const char *dept, *area, *case_type, *kind, *data_type, *status;
    const char *start, *end, *doc, *title;
    enum gp_visibility vis;
};

static void mk(const struct trec *t, struct gp_indexed *x)
{
    memset(x, 0, sizeof *x);
    x->id = t->id;
    snprintf(x->department, sizeof x->department, "%s", t->dept);
    snprintf(x->area, sizeof x->area, "%s", t->area);
    snprintf(x->case_type, sizeof x->case_type, "%s", t->case_type);
    snprintf(x->case_label_da, sizeof x->case_label_da, "DA:%s", t->case_type);
    snprintf(x->case_label_en, sizeof x->case_label_en, "EN:%s", t->case_type);
    snprintf(x->source_id, sizeof x->source_id, "src-%s", t->dept);
    x->cross_department = true;
    struct gp_record *r = &x->rec;
    snprintf(r->kind, sizeof r->kind, "%s", t->kind);
    snprintf(r->data_type, sizeof r->data_type, "%s", t->data_type);
    snprintf(r->status, sizeof r->status, "%s", t->status);
    snprintf(r->start_date, sizeof r->start_date, "%s", t->start ? t->start : "");
    snprintf(r->end_date, sizeof r->end_date, "%s", t->end ? t->end : "");
    snprintf(r->document_date, sizeof r->document_date, "%s", t->doc ? t->doc : "");
    snprintf(r->title, sizeof r->title, "%s", t->title ? t->title : "");
    snprintf(r->source_ref, sizeof r->source_ref, "ref-%lld", (long long)t->id);
    snprintf(r->caseworker_name, sizeof r->caseworker_name, "Worker %lld", (long long)t->id);
}

#define F GP_VIS_FULL
#define S GP_VIS_SUMMARY
#define E GP_VIS_EXISTENCE
#define H GP_VIS_HIDDEN

struct tl_row {
    const char *name;
    struct trec recs[10];
    const char *from, *to, *area, *today;
    const char *events;    /* "date kind#id" separated by " | " */
    const char *gaps;      /* as in the gap table */
    const char *existence; /* areas, comma-separated */
    bool redacted;
};

#define TODAY "2024-06-30"

static const struct tl_row tl_rows[] = {
    {"a closed case opens and closes",
     {{1, "job_centre", "employment", "sygedagpenge", "case", "case_summary", "closed",
       "2024-01-10", "2024-02-10", NULL, "Sygedagpenge", F}},
     "2024-01-01",
     NULL,
     NULL,
     TODAY,
     "2024-01-10 case_opened#1 | 2024-02-10 case_closed#1",
     "2024-01-01..2024-01-09/9 2024-02-11..2024-06-30/141",
     "",
     false},
    {"an open case with a future end has not closed",
     {{1, "job_centre", "employment", "ressourceforloeb", "case", "case_summary", "open",
       "2024-01-10", "2024-12-31", NULL, "R", F}},
     NULL,
     NULL,
     NULL,
     TODAY,
     "2024-01-10 case_opened#1",
     "",
     "",
     false},
    {"an open case whose end date has passed closed on it",
     {{1, "job_centre", "employment", "ressourceforloeb", "case", "case_summary", "open",
       "2024-01-10", "2024-03-01", NULL, "R", F}},
     NULL,
     NULL,
     NULL,
     TODAY,
     "2024-01-10 case_opened#1 | 2024-03-01 case_closed#1",
     "2024-03-02..2024-06-30/121",
     "",
     false},
    {"a closed case without an end date: one day of effort, no closing event",
     {{1, "social_services", "social", "bostoette", "case", "grant", "closed", "2024-06-01", NULL,
       NULL, "B", F}},
     NULL,
     NULL,
     NULL,
     TODAY,
     "2024-06-01 case_opened#1",
     "2024-06-02..2024-06-30/29",
     "",
     false},
    {"activities, documents, encounters; only cases and activities are efforts",
     {{1, "job_centre", "employment", "mentor", "activity", "grant", "closed", "2024-05-01",
       "2024-05-31", NULL, "Mentor", F},
      {2, "job_centre", "employment", "mentor", "document", "certificate", "closed", NULL, NULL,
       "2024-06-10", "LÆ 265", F},
      {3, "region", "health_regional", "hospitalsforloeb", "encounter", "registration", "closed",
       "2024-06-12", "2024-06-14", NULL, "Indlæggelse", F},
      {4, "municipal_health", "health_municipal", "genoptraening", "document", "plan", "open",
       "2024-06-20", "2024-07-20", NULL, "Genoptræningsplan", F},
      {5, "job_centre", "employment", "mentor", "document", "journal_note", "closed", NULL, NULL,
       NULL, "No date", F}},
     NULL,
     NULL,
     NULL,
     TODAY,
     "2024-05-01 activity#1 | 2024-06-10 document#2 | 2024-06-12 encounter#3 | 2024-06-20 "
     "document#4",
     "2024-06-01..2024-06-30/30",
     "",
     false},
    {"one day: opened < activity < encounter < document < closed, then area, then id",
     {{9, "job_centre", "employment", "kontanthjaelp", "case", "case_summary", "closed",
       "2024-01-01", "2024-03-01", NULL, "K", F},
      {8, "job_centre", "employment", "mentor", "document", "decision", "closed", NULL, NULL,
       "2024-03-01", "Afgørelse", F},
      {7, "region", "health_regional", "hospitalsforloeb", "encounter", "registration", "closed",
       "2024-03-01", "2024-03-01", NULL, "Besøg", F},
      {6, "social_services", "social", "bostoette", "activity", "grant", "closed", "2024-03-01",
       "2024-03-02", NULL, "Støtte", F},
      {5, "job_centre", "employment", "mentor", "activity", "grant", "closed", "2024-03-01",
       "2024-03-02", NULL, "Mentor", F},
      {4, "job_centre", "employment", "kontanthjaelp", "case", "case_summary", "closed",
       "2024-03-01", "2024-03-02", NULL, "K2", F},
      {3, "job_centre", "employment", "mentor", "activity", "grant", "closed", "2024-03-01",
       "2024-03-02", NULL, "Mentor 2", F}},
     "2024-03-01",
     "2024-03-01",
     NULL,
     TODAY,
     "2024-03-01 case_opened#4 | 2024-03-01 activity#3 | 2024-03-01 activity#5 | 2024-03-01 "
     "activity#6 | 2024-03-01 encounter#7 | 2024-03-01 document#8 | 2024-03-01 case_closed#9",
     "",
     "",
     false},
    {"from/to: dated events inside, periods overlapping",
     {{1, "job_centre", "employment", "kontanthjaelp", "case", "case_summary", "closed",
       "2024-01-10", "2024-04-10", NULL, "K", F},
      {2, "job_centre", "employment", "mentor", "activity", "grant", "closed", "2024-02-01",
       "2024-03-05", NULL, "Mentor", F},
      {3, "job_centre", "employment", "mentor", "activity", "grant", "open", "2024-01-15", NULL,
       NULL, "Open-ended", F},
      {4, "job_centre", "employment", "mentor", "activity", "grant", "closed", "2024-01-15",
       "2024-02-29", NULL, "Ends before from", F},
      {5, "job_centre", "employment", "mentor", "activity", "grant", "planned", "2024-04-02",
       "2024-04-30", NULL, "Starts after to", F},
      {6, "job_centre", "employment", "mentor", "document", "plan", "closed", NULL, NULL,
       "2024-02-29", "Before", F},
      {7, "job_centre", "employment", "mentor", "document", "plan", "closed", NULL, NULL,
       "2024-04-01", "On to", F}},
     "2024-03-01",
     "2024-04-01",
     NULL,
     TODAY,
     "2024-01-15 activity#3 | 2024-02-01 activity#2 | 2024-04-01 document#7",
     "",
     "",
     false},
    {"area filter: events of one area; gaps still over every area",
     {{1, "job_centre", "employment", "kontanthjaelp", "case", "case_summary", "closed",
       "2024-01-01", "2024-03-31", NULL, "K", F},
      {2, "social_services", "social", "bostoette", "case", "grant", "open", "2024-04-01", NULL,
       NULL, "B", F},
      {3, "family", "family", "anbringelse", "case", "case_summary", "open", "2024-01-01", NULL,
       NULL, "Secret", E}},
     NULL,
     NULL,
     "social",
     TODAY,
     "2024-04-01 case_opened#2",
     "",
     "",
     true},
    {"existence: no event, no date, no effect on gaps; named once",
     {{1, "job_centre", "employment", "kontanthjaelp", "case", "case_summary", "closed",
       "2024-01-01", "2024-01-31", NULL, "K", F},
      {2, "family", "family", "anbringelse", "case", "case_summary", "open", "2024-01-01", NULL,
       NULL, "Anbringelse", E},
      {3, "family", "family", "stoettende_indsats", "activity", "grant", "open", "2024-02-01", NULL,
       NULL, "X", E},
      {4, "region", "health_regional", "psykiatrisk_behandling", "case", "case_summary", "closed",
       "2020-01-01", "2020-02-01", NULL, "Y", E}},
     "2024-01-01",
     "2024-03-31",
     NULL,
     TODAY,
     "2024-01-01 case_opened#1 | 2024-01-31 case_closed#1",
     "2024-02-01..2024-03-31/60",
     "family,health_regional",
     true},
    {"hidden: nothing at all, but redacted",
     {{1, "job_centre", "employment", "kontanthjaelp", "case", "case_summary", "open", "2024-01-01",
       NULL, NULL, "K", F},
      {2, "social_services", "social", "boligsikring", "case", "grant", "open", "2023-01-01", NULL,
       NULL, "Boligsikring", H}},
     NULL,
     NULL,
     NULL,
     TODAY,
     "2024-01-01 case_opened#1",
     "",
     "",
     true},
    {"summary: services with dates, documents and encounters only as existence",
     {{1, "social_services", "social", "bostoette", "case", "grant", "open", "2024-02-01", NULL,
       NULL, "Secret title", S},
      {2, "social_services", "social", "bostoette", "document", "plan", "closed", NULL, NULL,
       "2024-02-10", "Handleplan", S},
      {3, "region", "health_regional", "hospitalsforloeb", "encounter", "registration", "closed",
       "2024-03-01", "2024-03-01", NULL, "Besøg", S},
      {4, "job_centre", "employment", "mentor", "activity", "grant", "open", "2024-01-01",
       "2024-01-20", NULL, "Mentor", S}},
     NULL,
     NULL,
     NULL,
     TODAY,
     "2024-01-01 activity#4 | 2024-02-01 case_opened#1",
     "2024-01-21..2024-01-31/11",
     "health_regional,social",
     true},
    {"planned efforts are not open; existence efforts do not close gaps",
     {{1, "job_centre", "employment", "kontanthjaelp", "case", "case_summary", "closed",
       "2024-01-01", "2024-02-29", NULL, "K", F},
      {2, "job_centre", "employment", "mentor", "activity", "grant", "planned", "2024-03-01",
       "2024-03-31", NULL, "Planned", F},
      {3, "social_services", "social", "bostoette", "case", "grant", "open", "2024-03-01", NULL,
       NULL, "Unseen", E},
      {4, "social_services", "social", "bostoette", "case", "grant", "open", "2024-05-01", NULL,
       NULL, "Seen", S}},
     NULL,
     NULL,
     NULL,
     TODAY,
     "2024-01-01 case_opened#1 | 2024-02-29 case_closed#1 | 2024-03-01 activity#2 | "
     "2024-05-01 case_opened#4",
     "2024-03-01..2024-04-30/61",
     "social",
     true},
    {"records without the dates their events need",
     {{1, "job_centre", "employment", "kontanthjaelp", "case", "case_summary", "open", NULL, NULL,
       NULL, "No dates", F},
      {2, "job_centre", "employment", "mentor", "activity", "grant", "open", NULL, "2024-02-01",
       NULL, "No start", F},
      {3, "job_centre", "employment", "kontanthjaelp", "case", "case_summary", "closed", NULL,
       "2024-02-01", NULL, "Only an end", F}},
     NULL,
     NULL,
     NULL,
     TODAY,
     "2024-02-01 case_closed#3",
     "",
     "",
     false},
};

static void render_events(const struct gp_timeline *t, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < t->n_events && o < len; i++)
        o +=
            (size_t)snprintf(buf + o, len - o, "%s%s %s#%lld", i ? " | " : "", t->events[i].date,
                             gp_tl_kind_name(t->events[i].kind), (long long)t->events[i].record_id);
}

static size_t row_records(const struct tl_row *r, struct gp_indexed *x, enum gp_visibility *v)
{
    size_t n = 0;
    while (n < 10 && r->recs[n].id) {
        mk(&r->recs[n], &x[n]);
        v[n] = r->recs[n].vis;
        n++;
    }
    return n;
}

START_TEST(test_events_table)
{
    for (size_t i = 0; i < N_ROWS(tl_rows); i++) {
        const struct tl_row *r = &tl_rows[i];
        struct gp_indexed x[10];
        enum gp_visibility v[10];
        size_t n = row_records(r, x, v);
        struct gp_timeline_query q = {r->from, r->to, r->area, r->today};
        struct gp_timeline t;
        ck_assert_int_eq(gp_timeline_build(x, v, n, &q, &t), GP_TL_OK);
        char got[2048], gaps[1024], ex[256] = "";
        render_events(&t, got, sizeof got);
        render_gaps(&t.gaps, gaps, sizeof gaps);
        for (size_t k = 0; k < t.n_existence; k++)
            snprintf(ex + strlen(ex), sizeof ex - strlen(ex), "%s%s", k ? "," : "", t.existence[k]);
        ck_assert_msg(!strcmp(got, r->events), "%s: events\n  got  %s\n  want %s", r->name, got,
                      r->events);
        ck_assert_msg(!strcmp(gaps, r->gaps), "%s: gaps \"%s\", want \"%s\"", r->name, gaps,
                      r->gaps);
        ck_assert_msg(!strcmp(ex, r->existence), "%s: existence \"%s\", want \"%s\"", r->name, ex,
                      r->existence);
        ck_assert_msg(t.redacted == r->redacted, "%s: redacted", r->name);
        /* the same input in reverse order gives the same answer */
        struct gp_indexed y[10];
        enum gp_visibility w[10];
        for (size_t k = 0; k < n; k++) {
            y[k] = x[n - 1 - k];
            w[k] = v[n - 1 - k];
        }
        struct gp_timeline t2;
        ck_assert_int_eq(gp_timeline_build(y, w, n, &q, &t2), GP_TL_OK);
        char got2[2048];
        render_events(&t2, got2, sizeof got2);
        ck_assert_msg(!strcmp(got, got2), "%s: order depends on the input order", r->name);
        gp_timeline_free(&t2);
        gp_timeline_free(&t);
    }
}
END_TEST

/* What an event carries at each visibility. */
START_TEST(test_event_fields)
{
    struct trec recs[] = {
        {1, "social_services", "social", "bostoette", "case", "grant", "open", "2024-02-01", NULL,
         NULL, "Secret title", S},
        {2, "job_centre", "employment", "mentor", "activity", "grant", "open", "2024-01-01", NULL,
         NULL, "Mentor Hansen", F},
        {3, "job_centre", "employment", "mentor", "activity", "grant", "closed", "2024-01-01",
         "2024-01-31", NULL, "Done", F},
    };
    struct gp_indexed x[3];
    enum gp_visibility v[3];
    for (size_t i = 0; i < 3; i++) {
        mk(&recs[i], &x[i]);
        v[i] = recs[i].vis;
    }
    struct gp_timeline_query q = {NULL, NULL, NULL, TODAY};
    struct gp_timeline t;
    ck_assert_int_eq(gp_timeline_build(x, v, 3, &q, &t), GP_TL_OK);
    ck_assert_uint_eq(t.n_events, 3);
    /* 2024-01-01 activity#2, activity#3 (an activity is one event, its end is not another),
     * 2024-02-01 case_opened#1 */
    const struct gp_tl_event *a = &t.events[0], *b = &t.events[1], *c = &t.events[2];
    ck_assert_int_eq(a->record_id, 2);
    ck_assert(a->ongoing);
    ck_assert_str_eq(a->title, "Mentor Hansen");
    ck_assert_str_eq(a->data_type, "grant");
    ck_assert_int_eq(a->visibility, GP_VIS_FULL);
    ck_assert_int_eq(b->record_id, 3);
    ck_assert(!b->ongoing);
    ck_assert_str_eq(b->end, "2024-01-31");
    ck_assert_int_eq(c->record_id, 1);
    ck_assert_int_eq(c->kind, GP_TL_CASE_OPENED);
    ck_assert_int_eq(c->visibility, GP_VIS_SUMMARY);
    ck_assert_str_eq(c->title, "");
    ck_assert_str_eq(c->data_type, "");
    ck_assert_str_eq(c->case_type, "bostoette");
    ck_assert_str_eq(c->case_label_da, "DA:bostoette");
    ck_assert_str_eq(c->department, "social_services");
    ck_assert_str_eq(c->status, "open");
    ck_assert_str_eq(c->start, "2024-02-01");
    gp_timeline_free(&t);

    /* bad queries */
    q.today = "2024-02-30";
    ck_assert_int_eq(gp_timeline_build(x, v, 3, &q, &t), GP_TL_BAD_DATE);
    ck_assert_uint_eq(t.n_events, 0);
    gp_timeline_free(&t);
    q.today = TODAY;
    q.from = "2024-05-01";
    q.to = "2024-04-01";
    ck_assert_int_eq(gp_timeline_build(x, v, 3, &q, &t), GP_TL_BAD_RANGE);
    gp_timeline_free(&t);
    q.to = "soon";
    ck_assert_int_eq(gp_timeline_build(x, v, 3, &q, &t), GP_TL_BAD_DATE);
    gp_timeline_free(&t);
    /* nothing in, nothing out */
    q = (struct gp_timeline_query){NULL, NULL, NULL, TODAY};
    ck_assert_int_eq(gp_timeline_build(NULL, NULL, 0, &q, &t), GP_TL_OK);
    ck_assert_uint_eq(t.n_events + t.gaps.n + t.n_existence, 0);
    ck_assert(!t.redacted);
    gp_timeline_free(&t);
}
END_TEST

/* Whatever an existence-only or hidden record holds besides its area changes nothing. */
START_TEST(test_existence_leaks_nothing)
{
    struct trec base[] = {
        {1, "job_centre", "employment", "kontanthjaelp", "case", "case_summary", "closed",
         "2024-01-01", "2024-01-31", NULL, "K", F},
        {2, "social_services", "social", "bostoette", "case", "grant", "open", "2024-03-01", NULL,
         NULL, "B", S},
        {3, "family", "family", "anbringelse", "case", "case_summary", "open", "2024-02-01", NULL,
         NULL, "Anbringelse", E},
        {4, "social_services", "social", "boligsikring", "case", "grant", "open", "2024-02-01",
         NULL, NULL, "Boligsikring", H},
    };
    struct gp_indexed x[4];
    enum gp_visibility v[4];
    for (size_t i = 0; i < 4; i++) {
        mk(&base[i], &x[i]);
        v[i] = base[i].vis;
    }
    struct gp_timeline_query q = {"2024-01-01", NULL, NULL, TODAY};
    struct gp_timeline t0;
    ck_assert_int_eq(gp_timeline_build(x, v, 4, &q, &t0), GP_TL_OK);
    char e0[2048], g0[512];
    render_events(&t0, e0, sizeof e0);
    render_gaps(&t0.gaps, g0, sizeof g0);
    ck_assert_str_eq(g0, "2024-02-01..2024-02-29/29");
    static const char *const dates[] = {"2024-01-15", "2024-02-15", "", "2023-01-01"};
    static const char *const kinds[] = {"case", "activity", "document", "encounter"};
    for (int m = 0; m < 16; m++) {
        for (size_t i = 2; i < 4; i++) {
            struct gp_record *r = &x[i].rec;
            x[i].id = 1000 + m;
            snprintf(r->start_date, sizeof r->start_date, "%s", dates[m % 4]);
            snprintf(r->end_date, sizeof r->end_date, "%s", dates[(m + 1) % 4]);
            snprintf(r->kind, sizeof r->kind, "%s", kinds[m % 4]);
            snprintf(r->status, sizeof r->status, "%s", m & 1 ? "closed" : "open");
            snprintf(x[i].department, sizeof x[i].department, "dept%d", m);
            snprintf(x[i].case_type, sizeof x[i].case_type, "type%d", m);
        }
        struct gp_timeline t;
        ck_assert_int_eq(gp_timeline_build(x, v, 4, &q, &t), GP_TL_OK);
        char e[2048], g[512];
        render_events(&t, e, sizeof e);
        render_gaps(&t.gaps, g, sizeof g);
        ck_assert_str_eq(e, e0);
        ck_assert_str_eq(g, g0);
        ck_assert_uint_eq(t.n_existence, 1);
        ck_assert_str_eq(t.existence[0], "family");
        gp_timeline_free(&t);
    }
    gp_timeline_free(&t0);
}
END_TEST

/* ---- the demo citizen with colliding efforts ------------------------------------------------- */

#define SOFIE "1402959302"
#define AS_OF "2026-11-01"

static bool has_event(const struct gp_timeline *t, const char *date, enum gp_tl_kind kind,
                      const char *case_type, const char *dept)
{
    for (size_t i = 0; i < t->n_events; i++) {
        const struct gp_tl_event *e = &t->events[i];
        if (!strcmp(e->date, date) && e->kind == kind && !strcmp(e->case_type, case_type) &&
            !strcmp(e->department, dept))
            return true;
    }
    return false;
}

START_TEST(test_demo_sofie)
{
    struct gp_indexed_list l;
    gpt_demo_records(SOFIE, AS_OF, &l);
    ck_assert_uint_gt(l.n, 8);
    /* A coordinator of the social department with her consent for employment and regional
     * health: everything in full. */
    enum gp_visibility *v = calloc(l.n, sizeof *v);
    for (size_t i = 0; i < l.n; i++)
        v[i] = GP_VIS_FULL;
    struct gp_timeline_query q = {"2025-01-01", NULL, NULL, AS_OF};
    struct gp_timeline t;
    ck_assert_int_eq(gp_timeline_build(l.items, v, l.n, &q, &t), GP_TL_OK);
    /* døgnbehandling 2026-09-01..2026-12-15 (social), the kursus from 2026-10-05 and praktik
     * from 2026-11-02 (job centre), the psychiatric admission 2026-10-20..2026-11-03 */
    ck_assert(
        has_event(&t, "2026-09-01", GP_TL_CASE_OPENED, "misbrugsbehandling", "social_services"));
    ck_assert(has_event(&t, "2026-10-05", GP_TL_ACTIVITY, "opkvalificering", "job_centre"));
    ck_assert(has_event(&t, "2026-11-02", GP_TL_ACTIVITY, "virksomhedspraktik", "job_centre"));
    ck_assert(has_event(&t, "2026-10-20", GP_TL_CASE_OPENED, "psykiatrisk_behandling", "region"));
    ck_assert(has_event(&t, "2026-10-20", GP_TL_ENCOUNTER, "psykiatrisk_behandling", "region"));
    /* the ambulant treatment ended 2026-08-31, the day before døgnbehandling began */
    ck_assert(
        has_event(&t, "2026-08-31", GP_TL_CASE_CLOSED, "misbrugsbehandling", "social_services"));
    /* sorted */
    for (size_t i = 1; i < t.n_events; i++)
        ck_assert(strcmp(t.events[i - 1].date, t.events[i].date) <= 0);
    /* uddannelseshjælp runs since 2025-04-01: the only gap is before it */
    char g[256];
    render_gaps(&t.gaps, g, sizeof g);
    ck_assert_str_eq(g, "2025-01-01..2025-03-31/90");
    ck_assert(!t.redacted);
    gp_timeline_free(&t);

    /* The job centre without consent: its own records in full, the rest existence only. Its
     * own efforts alone leave no gap either (uddannelseshjælp is open), and nothing of the
     * social or regional records shows but their areas. */
    for (size_t i = 0; i < l.n; i++)
        v[i] = !strcmp(l.items[i].department, "job_centre") ? GP_VIS_FULL : GP_VIS_EXISTENCE;
    ck_assert_int_eq(gp_timeline_build(l.items, v, l.n, &q, &t), GP_TL_OK);
    for (size_t i = 0; i < t.n_events; i++)
        ck_assert_str_eq(t.events[i].department, "job_centre");
    ck_assert_uint_eq(t.n_existence, 2);
    ck_assert_str_eq(t.existence[0], "health_regional");
    ck_assert_str_eq(t.existence[1], "social");
    ck_assert(t.redacted);
    gp_timeline_free(&t);
    free(v);
    gp_indexed_list_free(&l);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("timeline");
    TCase *tc = tcase_create("gaps");
    tcase_add_test(tc, test_days);
    tcase_add_test(tc, test_minus_months);
    tcase_add_test(tc, test_views);
    tcase_add_test(tc, test_gaps_table);
    tcase_add_test(tc, test_gaps_brute_force);
    suite_add_tcase(s, tc);
    tc = tcase_create("events");
    tcase_add_test(tc, test_events_table);
    tcase_add_test(tc, test_event_fields);
    tcase_add_test(tc, test_existence_leaks_nothing);
    tcase_add_test(tc, test_demo_sofie);
    suite_add_tcase(s, tc);
    return gpt_run_suite(s);
}
