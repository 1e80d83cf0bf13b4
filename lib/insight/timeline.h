/* The timeline of one citizen: what happened when, across every department, and the periods
 * in which the citizen had no open effort anywhere (gaps). Pure: plain structs in, plain
 * structs out, no I/O; tested as tables in tests/unit/test_timeline.c.
 *
 * Input is the citizen's live records (lib/index.h) each with the visibility the policy gave it
 * for this caller (lib/policy.h). What a record contributes depends on that visibility only,
 * through one projection (gp_view_of, lib/federation/view.h, over the policy's gp_policy_project),
 * so no rule here can read a field the caller may not see:
 *
 *   full       every event of the record, with title and data type
 *   summary    services only: a case (opened/closed) or an activity (its period), with area,
 *              department, case type, status and dates — no title, no data type. Documents and
 *              encounters are not services ("no documents"): at summary they count as existence.
 *   existence  no event, no date, no effect on gaps; only the area is named, once, in
 *              existence[] (no counts), whatever from/to say (a date filter would reveal dates)
 *   hidden     nothing at all
 *
 * Decisions (see also gp_timeline_gaps):
 * - Events: a case gives "case_opened" on its start date and "case_closed" on its end date when
 *   it has one and is closed or the date has passed (an open case with a future end date has
 *   not closed); an activity or encounter gives one event on its start date carrying its period
 *   (end "" = ongoing); a document (certificate, plan, decision, note ...) one event on its
 *   document date, else its start date. A record without the date its event needs gives none.
 * - Sorted by date, then case_opened < activity < encounter < document < case_closed (on one day
 *   things open before they are worked on and close last), then area, then record id: the
 *   same input always gives the same order.
 * - from/to (inclusive) keep a dated event when its date is inside, and a period event
 *   (activity, encounter) when its period overlaps the window; area keeps one area's events
 *   and existence entry.
 * - An effort (what gaps are computed from) is a case or an activity with a start date, seen at
 *   summary or full, that is not planned. Open-ended means ongoing to today. A closed effort
 *   without an end date counts for its start day only (its real end is unknown, and claiming
 *   it ran until today would hide gaps). Encounters and documents are not efforts: an
 *   encounter belongs to a course that is one.
 * - Gaps are "no open effort anywhere" among what the caller may see: they are computed over
 *   every area the caller sees at summary or full, not only the area asked for; an effort the
 *   caller sees only as existence cannot close a gap without revealing its dates, so the
 *   answer is then marked redacted.
 * - redacted is true when any record passed in was not shown in full (hidden included), the
 *   same rule as GET /cases; it says that something was filtered, never how much. */
#ifndef GP_TIMELINE_H
#define GP_TIMELINE_H

/* Day numbers (gp_day_parse, gp_day_format, gp_day_minus_months), which this header used to
 * declare, are lib/core/date.h's: included for the timeline's callers. */
#include "lib/core/date.h"
#include "lib/federation/index.h"
#include "lib/federation/view.h"
#include "lib/sharing/policy.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ---- gaps ---------------------------------------------------------------------------------- */

/* A period of an effort: start required; end "" or NULL = open-ended (ongoing to today). Both
 * ends are inclusive days: a period ending 2024-03-01 and one starting 2024-03-02 touch, and
 * there is no gap between them. An end before the start is taken as the start day alone. */
struct gp_tl_period {
    const char *start;
    const char *end;
};

/* A gap: the inclusive days start..end (start == end for one day) and their number. */
struct gp_tl_gap {
    char start[11];
    char end[11];
    int32_t days;
};

struct gp_tl_gaps {
    struct gp_tl_gap *items; /* malloc'd (gp_tl_gaps_free) */
    size_t n;
    char from[11], to[11]; /* the window the gaps were computed over; "" when there was none
                              (no from and no periods, or a window wholly after today) */
};
void gp_tl_gaps_free(struct gp_tl_gaps *g);

enum gp_tl_rc {
    GP_TL_OK = 0,
    GP_TL_BAD_DATE,  /* from, to, today or a period date is not a real date */
    GP_TL_BAD_RANGE, /* from is after to */
};

/* The days in the window with no period covering them, as maximal runs, oldest first.
 * The window is [from, min(to, today)]: from NULL = the earliest period start (no leading gap
 * before anything is known; no periods and no from = no window, no gaps); to NULL = today;
 * days after today are never gaps (the future holds no open effort yet, and planned ones are
 * not open). today is required. */
enum gp_tl_rc gp_timeline_gaps(const struct gp_tl_period *periods, size_t n, const char *from,
                               const char *to, const char *today, struct gp_tl_gaps *out);

/* ---- events -------------------------------------------------------------------------------- */

enum gp_tl_kind {
    GP_TL_CASE_OPENED = 0,
    GP_TL_ACTIVITY,
    GP_TL_ENCOUNTER,
    GP_TL_DOCUMENT,
    GP_TL_CASE_CLOSED,
};

/* "case_opened", "activity", "encounter", "document", "case_closed". */
const char *gp_tl_kind_name(enum gp_tl_kind k);

struct gp_tl_event {
    enum gp_tl_kind kind;
    int64_t record_id;
    enum gp_visibility visibility; /* SUMMARY or FULL */
    char date[11];                 /* when it happened (a period's start) */
    char start[11], end[11];       /* the record's period, "" when it has none / is open */
    bool ongoing;                  /* a period with no end that is open */
    char area[32];
    char department[64];
    char case_type[64];
    char case_label_da[128];
    char case_label_en[128];
    char status[16];
    /* full only ("" at summary) */
    char data_type[32];
    char title[256];
};

struct gp_timeline_query {
    const char *from;  /* YYYY-MM-DD or NULL */
    const char *to;    /* YYYY-MM-DD or NULL */
    const char *area;  /* NULL = every area */
    const char *today; /* required */
};

#define GP_TL_MAX_EXISTENCE 16

struct gp_timeline {
    struct gp_tl_event *events; /* malloc'd, sorted */
    size_t n_events;
    struct gp_tl_gaps gaps;
    char existence[GP_TL_MAX_EXISTENCE][32]; /* areas known only to exist, sorted, distinct */
    size_t n_existence;
    bool redacted;
};

/* Builds the timeline of n records, vis[i] being records[i]'s visibility for the caller.
 * On an error *out is left empty (safe to free). */
enum gp_tl_rc gp_timeline_build(const struct gp_indexed *records, const enum gp_visibility *vis,
                                size_t n, const struct gp_timeline_query *q,
                                struct gp_timeline *out);
void gp_timeline_free(struct gp_timeline *t);

#endif
