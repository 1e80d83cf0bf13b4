/* GET /v1/citizens/{cpr}/cases: the normalised records, filtered (area, data_type, status,
 * since) and cursor-paginated, each shown only as far as the caller may see it.
 *
 * Pages are keyed on the record id, so they are stable and complete while records come and
 * go. Records the caller may not see individually (existence, hidden) are skipped before a
 * page is filled, so a page's size reveals nothing; areas known only to exist are named once
 * in `existence`, without counts. */
#include "api/citizen_common.h"
#include "api/handlers.h"
#include "api/http.h"
#include "api/lookup.h"
#include "lib/core/alloc.h"
#include "lib/core/json_spec.h"
#include "lib/federation/view.h"
#include "lib/sharing/policy.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CASES_DEFAULT_LIMIT 50
#define CASES_MAX_LIMIT     500

struct cases_query {
    char area[32], data_type[32], status[16], since[11];
    int limit;
    int64_t after_id;
};

static const char *const areas[] = {"employment",       "social",          "family",
                                    "health_municipal", "health_regional", NULL};
static const char *const data_types[] = {
    "case_summary", "grant",          "assessment", "certificate", "journal_note", "registration",
    "history",      "recommendation", "decision",   "plan",        "consent_form", NULL};
static const char *const statuses[] = {"open", "closed", "planned", NULL};

static bool one_of(const char *v, const char *const *list)
{
    for (; *list; list++) {
        if (!strcmp(v, *list))
            return true;
    }
    return false;
}

static bool enum_param(struct gp_request *req, const char *name, const char *const *list, char *out,
                       size_t size, const char *reason)
{
    const char *v = gp_req_query(req, name);
    if (!v)
        return true;
    if (!one_of(v, list)) {
        gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, name, reason);
        return false;
    }
    snprintf(out, size, "%s", v);
    return true;
}

static bool parse_query(struct gp_request *req, struct cases_query *q)
{
    memset(q, 0, sizeof *q);
    q->limit = CASES_DEFAULT_LIMIT;
    if (!enum_param(req, "area", areas, q->area, sizeof q->area,
                    "must be employment, social, family, health_municipal or health_regional") ||
        !enum_param(req, "data_type", data_types, q->data_type, sizeof q->data_type,
                    "must be a data type (case_summary, grant, assessment, certificate, "
                    "journal_note, registration, history, plan, recommendation, decision, "
                    "consent_form)") ||
        !enum_param(req, "status", statuses, q->status, sizeof q->status,
                    "must be open, closed or planned"))
        return false;
    const char *since = gp_req_query(req, "since");
    if (since) {
        if (!gp_date_valid(since)) {
            gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, "since", "must be a date YYYY-MM-DD");
            return false;
        }
        snprintf(q->since, sizeof q->since, "%s", since);
    }
    const char *limit = gp_req_query(req, "limit");
    if (limit) {
        char *end = NULL;
        errno = 0;
        long n = strtol(limit, &end, 10);
        if (errno || end == limit || *end || n < 1 || n > CASES_MAX_LIMIT || limit[0] == '+' ||
            limit[0] == ' ') {
            gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, "limit",
                               "must be an integer from 1 to 500");
            return false;
        }
        q->limit = (int)n;
    }
    const char *cursor = gp_req_query(req, "cursor");
    if (cursor) {
        char *end = NULL;
        errno = 0;
        long long id = cursor[0] == 'r' ? strtoll(cursor + 1, &end, 10) : -1;
        if (cursor[0] != 'r' || errno || !end || end == cursor + 1 || *end || id < 0 ||
            cursor[1] < '0' || cursor[1] > '9') {
            gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, "cursor",
                               "is not a cursor this server handed out");
            return false;
        }
        q->after_id = id;
    }
    return true;
}

/* One record as the caller may see it: built from its view (lib/federation/view.h), so only
 * what the projection shows can reach the answer. */
static json_t *record_json(const struct gp_view *v, bool stale)
{
    json_t *o = json_pack("{s:I, s:s, s:s, s:s, s:{s:s, s:s, s:s}}", "id", (json_int_t)v->id,
                          "visibility", gp_visibility_name(v->vis), "area", v->area, "department",
                          v->department, "case_type", "code", v->case_type, "label_da", v->label_da,
                          "label_en", v->label_en);
    json_object_set_new(o, "legal_basis", gp_json_string_or_null(v->legal_basis));
    json_object_set_new(o, "status", json_string(v->status));
    if (v->status_note && v->status_note[0])
        json_object_set_new(o, "status_note", json_string(v->status_note));
    json_object_set_new(o, "start_date", gp_json_string_or_null(v->start));
    json_object_set_new(o, "end_date", gp_json_string_or_null(v->end));
    json_object_set_new(o, "caseworker",
                        json_pack("{s:o, s:o}", "name", gp_json_string_or_null(v->caseworker_name),
                                  "contact", gp_json_string_or_null(v->caseworker_contact)));
    if (v->vis == GP_VIS_FULL) {
        json_object_set_new(o, "source", json_string(v->source_id));
        json_object_set_new(o, "source_ref", json_string(v->source_ref));
        json_object_set_new(o, "parent_ref", gp_json_string_or_null(v->parent_ref));
        json_object_set_new(o, "unit", gp_json_string_or_null(v->unit));
        json_object_set_new(o, "data_type", json_string(v->data_type));
        json_object_set_new(o, "kind", json_string(v->kind));
        json_object_set_new(o, "title", gp_json_string_or_null(v->title));
        json_object_set_new(o, "document_date", gp_json_string_or_null(v->document_date));
        json_object_set_new(o, "legal_basis_source", gp_json_string_or_null(v->legal_basis_source));
        json_object_set_new(o, "fetched_at", json_string(v->fetched_at));
    }
    json_object_set_new(o, "stale", json_boolean(stale));
    return o;
}

struct page_call {
    const char *cpr;
    struct gp_index_filter filter;
    struct gp_indexed_list rows;
};

static enum gp_qs run_page(struct gp_db_conn *c, void *cls)
{
    struct page_call *pc = cls;
    return gp_index_read_page(c, pc->cpr, &pc->filter, &pc->rows);
}

static void cases_finish(struct gp_request *req)
{
    struct gp_press *lk = gp_lookup_of(req);
    struct cases_query *q = gp_lookup_route_state(req);
    bool redacted = false;
    json_t *existence = json_array();
    json_t *cases = json_array();

    /* Areas that exist for the caller only as "something is there", from all live records
     * (not only this page), so the list does not change from page to page. */
    for (size_t i = 0; i < lk->records.n; i++) {
        const struct gp_indexed *x = &lk->records.items[i];
        struct gp_view v;
        bool seen = gp_view_of(x, gp_press_decide(lk, x).level, &v);
        if (!seen || v.vis != GP_VIS_FULL)
            redacted = true;
        if (seen && v.vis == GP_VIS_EXISTENCE) {
            bool dup = false;
            size_t k;
            json_t *e;
            json_array_foreach(existence, k, e) dup |= !strcmp(json_string_value(e), v.area);
            if (!dup)
                json_array_append_new(existence, json_string(v.area));
        }
    }

    /* Fill the page with records the caller may see individually, reading on past the ones
     * it may not, so a short page means the end and nothing else. */
    struct page_call pc = {.cpr = lk->cpr.digits};
    pc.filter.area = q->area[0] ? q->area : NULL;
    pc.filter.data_type = q->data_type[0] ? q->data_type : NULL;
    pc.filter.status = q->status[0] ? q->status : NULL;
    pc.filter.since = q->since[0] ? q->since : NULL;
    pc.filter.after_id = q->after_id;
    pc.filter.limit = q->limit + 1;
    int64_t last_id = -1;
    bool more = false;
    for (;;) {
        if (gp_db_tx(req->server->pool, "cases_page", GP_DB_READ_COMMITTED, run_page, &pc) < 0) {
            gp_indexed_list_free(&pc.rows);
            json_decref(cases);
            json_decref(existence);
            gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
            return;
        }
        for (size_t i = 0; i < pc.rows.n && !more; i++) {
            const struct gp_indexed *x = &pc.rows.items[i];
            struct gp_view v;
            if (!gp_view_of(x, gp_press_decide(lk, x).level, &v) || v.vis < GP_VIS_SUMMARY)
                continue;
            if (json_array_size(cases) == (size_t)q->limit) {
                more = true;
                break;
            }
            json_array_append_new(cases, record_json(&v, gp_press_source_stale(lk, x->source_id)));
            last_id = x->id;
        }
        bool exhausted = pc.rows.n < (size_t)pc.filter.limit;
        if (more || exhausted)
            break;
        pc.filter.after_id = pc.rows.items[pc.rows.n - 1].id;
    }
    gp_indexed_list_free(&pc.rows);

    json_t *body = json_pack("{s:s}", "cpr", lk->cpr.digits);
    gp_lookup_describe(lk, body);
    json_object_set_new(body, "cases", cases);
    char next[32];
    snprintf(next, sizeof next, "r%lld", (long long)last_id);
    json_object_set_new(body, "next_cursor", more ? json_string(next) : json_null());
    json_object_set_new(body, "existence", existence);
    json_object_set_new(body, "redacted", json_boolean(redacted));
    gp_reply_json(req, 200, body);
}

void gp_handle_cases(struct gp_request *req)
{
    struct gp_cpr cpr;
    enum gp_refresh refresh;
    struct cases_query q;
    if (!gp_citizen_cpr_param(req, &cpr) || !gp_citizen_purpose_ok(req) ||
        !gp_lookup_parse_refresh(req, &refresh) || !parse_query(req, &q))
        return;
    struct cases_query *copy = gp_xmalloc(sizeof q);
    memcpy(copy, &q, sizeof q);
    gp_lookup_begin(req, &cpr, refresh, cases_finish, copy, free);
}
