/* GET /v1/citizens/{cpr}/timeline: what happened when, across every department, on one time
 * axis — cases opened and closed, activities with their periods, encounters, certificates,
 * plans and decisions on their dates — and the periods in which the citizen had no open effort
 * anywhere (gaps), each shown only as far as the caller may see it.
 *
 * The CPR button first (api/lookup: fan-out, store, read back, audit row), then the policy's
 * decision on every record (gp_press_decide) and the pure timeline (lib/timeline), which
 * reads each record only through the view its visibility allows. Areas the caller may only
 * know to exist are named once in `existence`, never with dates or counts. */
#include "api/citizen_common.h"
#include "api/handlers.h"
#include "api/http.h"
#include "api/input.h"
#include "api/lookup.h"
#include "lib/core/alloc.h"
#include "lib/core/json_spec.h"
#include "lib/core/log.h"
#include "lib/sharing/policy.h"
#include "lib/insight/timeline.h"

#include <stdlib.h>
#include <string.h>

struct timeline_query {
    char from[11], to[11], area[32]; /* "" when not given */
};

static const char *const areas[] = {"employment",       "social",          "family",
                                    "health_municipal", "health_regional", NULL};

static bool one_of(const char *v, const char *const *list)
{
    for (; *list; list++) {
        if (!strcmp(v, *list))
            return true;
    }
    return false;
}

/* from, to and area, every bad one named in one answer. */
static bool parse_query(struct gp_request *req, struct timeline_query *q)
{
    memset(q, 0, sizeof *q);
    struct gp_field_errors fe = {0};
    const char *from = gp_req_query(req, "from");
    const char *to = gp_req_query(req, "to");
    const char *area = gp_req_query(req, "area");
    if (from && !gp_date_valid(from))
        gp_field_errors_add(&fe, "from", "must be a date YYYY-MM-DD");
    else if (from)
        snprintf(q->from, sizeof q->from, "%s", from);
    if (to && !gp_date_valid(to))
        gp_field_errors_add(&fe, "to", "must be a date YYYY-MM-DD");
    else if (to)
        snprintf(q->to, sizeof q->to, "%s", to);
    if (q->from[0] && q->to[0] && strcmp(q->from, q->to) > 0)
        gp_field_errors_add(&fe, "to", "must not be before from (%s)", q->from);
    if (area && !one_of(area, areas))
        gp_field_errors_add(&fe, "area",
                            "must be employment, social, family, health_municipal or "
                            "health_regional");
    else if (area)
        snprintf(q->area, sizeof q->area, "%s", area);
    if (gp_field_errors_count(&fe)) {
        gp_reply_field_errors(req, GP_E_INVALID_PARAMETER, &fe);
        return false;
    }
    return true;
}

static int cmp_by_id(const void *a, const void *b)
{
    int64_t x = (*(const struct gp_indexed *const *)a)->id;
    int64_t y = (*(const struct gp_indexed *const *)b)->id;
    return x < y ? -1 : x > y;
}

/* The record with id among byid (sorted by id), or NULL. */
static const struct gp_indexed *record_by_id(const struct gp_indexed *const *byid, size_t n,
                                             int64_t id)
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        if (byid[mid]->id == id)
            return byid[mid];
        if (byid[mid]->id < id)
            lo = mid + 1;
        else
            hi = mid;
    }
    return NULL;
}

/* One event. At summary: area, department, case type, status and dates; the title and data
 * type only at full (lib/timeline left them "" otherwise; they are not even emitted). */
static json_t *event_json(const struct gp_tl_event *e, bool stale)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s}", "record_id", (json_int_t)e->record_id, "kind",
                          gp_tl_kind_name(e->kind), "visibility", gp_visibility_name(e->visibility),
                          "date", e->date);
    json_object_set_new(o, "start", gp_json_string_or_null(e->start));
    json_object_set_new(o, "end", gp_json_string_or_null(e->end));
    json_object_set_new(o, "ongoing", json_boolean(e->ongoing));
    json_object_set_new(o, "area", json_string(e->area));
    json_object_set_new(o, "department", json_string(e->department));
    json_object_set_new(o, "case_type",
                        json_pack("{s:s, s:s, s:s}", "code", e->case_type, "label_da",
                                  e->case_label_da, "label_en", e->case_label_en));
    json_object_set_new(o, "status", json_string(e->status));
    if (e->visibility == GP_VIS_FULL) {
        json_object_set_new(o, "data_type", gp_json_string_or_null(e->data_type));
        json_object_set_new(o, "title", gp_json_string_or_null(e->title));
    }
    json_object_set_new(o, "stale", json_boolean(stale));
    return o;
}

static void timeline_finish(struct gp_request *req)
{
    struct gp_press *lk = gp_lookup_of(req);
    const struct timeline_query *q = gp_lookup_route_state(req);
    size_t n = lk->records.n;

    enum gp_visibility *vis = gp_xcalloc(n ? n : 1, sizeof *vis);
    const struct gp_indexed **byid = gp_xcalloc(n ? n : 1, sizeof *byid);
    for (size_t i = 0; i < n; i++) {
        vis[i] = gp_press_decide(lk, &lk->records.items[i]).level;
        byid[i] = &lk->records.items[i];
    }
    qsort(byid, n, sizeof *byid, cmp_by_id);

    char today[11];
    if (lk->sharing.today[0])
        snprintf(today, sizeof today, "%s", lk->sharing.today);
    else
        gp_input_today(today);
    struct gp_timeline_query tq = {.from = q->from[0] ? q->from : NULL,
                                   .to = q->to[0] ? q->to : NULL,
                                   .area = q->area[0] ? q->area : NULL,
                                   .today = today};
    struct gp_timeline t;
    enum gp_tl_rc rc = gp_timeline_build(lk->records.items, vis, n, &tq, &t);
    free(vis);
    if (rc != GP_TL_OK) {
        /* The query was checked before the lookup: only a date in the index can be bad. */
        GP_LOG_BUG("timeline: %s", rc == GP_TL_BAD_RANGE ? "bad range" : "bad date");
        free(byid);
        gp_reply_problem(req, GP_E_INTERNAL, "the timeline could not be built");
        return;
    }

    json_t *events = json_array();
    for (size_t i = 0; i < t.n_events; i++) {
        const struct gp_tl_event *e = &t.events[i];
        const struct gp_indexed *x = record_by_id(byid, n, e->record_id);
        bool stale = x ? gp_press_source_stale(lk, x->source_id) : true;
        json_array_append_new(events, event_json(e, stale));
    }
    free(byid);
    json_t *gaps = json_array();
    for (size_t i = 0; i < t.gaps.n; i++) {
        const struct gp_tl_gap *g = &t.gaps.items[i];
        json_array_append_new(gaps, json_pack("{s:s, s:s, s:i}", "start", g->start, "end", g->end,
                                              "days", (int)g->days));
    }
    json_t *existence = json_array();
    for (size_t i = 0; i < t.n_existence; i++)
        json_array_append_new(existence, json_string(t.existence[i]));

    json_t *body = json_pack("{s:s}", "cpr", lk->cpr.digits);
    gp_lookup_describe(lk, body);
    json_object_set_new(body, "events", events);
    json_object_set_new(body, "gaps", gaps);
    json_object_set_new(body, "gap_window",
                        json_pack("{s:o, s:o}", "from", gp_json_string_or_null(t.gaps.from), "to",
                                  gp_json_string_or_null(t.gaps.to)));
    json_object_set_new(body, "existence", existence);
    json_object_set_new(body, "redacted", json_boolean(t.redacted));
    gp_timeline_free(&t);
    gp_reply_json(req, 200, body);
}

void gp_handle_timeline(struct gp_request *req)
{
    struct gp_cpr cpr;
    enum gp_refresh refresh;
    struct timeline_query q;
    if (!gp_citizen_cpr_param(req, &cpr) || !gp_citizen_purpose_ok(req) ||
        !gp_lookup_parse_refresh(req, &refresh) || !parse_query(req, &q))
        return;
    struct timeline_query *copy = gp_xmalloc(sizeof q);
    memcpy(copy, &q, sizeof q);
    gp_lookup_begin(req, &cpr, refresh, timeline_finish, copy, free);
}
