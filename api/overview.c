/* GET /v1/citizens/{cpr}/overview: the CPR button. Where is there data on this citizen —
 * which areas, departments and units, which case types and data types, open or closed, how
 * fresh, who the contact is — with each area shown only as far as the caller may see it. */
#include "api/citizen_common.h"
#include "api/handlers.h"
#include "api/http.h"
#include "api/lookup.h"
#include "api/overview.h"
#include "lib/core/log.h"
#include "lib/federation/view.h"
#include "lib/sharing/policy.h"

#include <string.h>

/* Adds s to the JSON array of strings arr unless already there. */
static void add_unique(json_t *arr, const char *s)
{
    if (!s || !*s)
        return;
    size_t i;
    json_t *v;
    json_array_foreach(arr, i, v)
    {
        if (!strcmp(json_string_value(v), s))
            return;
    }
    json_array_append_new(arr, json_string(s));
}

static void later_date(json_t *obj, const char *key, const char *date)
{
    if (!date || !*date)
        return;
    const char *cur = json_string_value(json_object_get(obj, key));
    if (!cur || strcmp(date, cur) > 0)
        json_object_set_new(obj, key, json_string(date));
}

struct area_acc {
    char area[32];
    enum gp_visibility vis;
    bool stale;
    json_t *departments, *units, *data_types, *contacts;
    json_t *case_types; /* object: code -> {code, label_da, label_en, legal_basis, open,...} */
    json_t *latest;
    int open, closed, planned;
};

#define MAX_AREAS 16 /* the taxonomy has five areas; room for those a migration may add */

/* The accumulator of area, added when new; NULL when MAX_AREAS are taken already. */
static struct area_acc *area_get(struct area_acc *acc, size_t *n, const char *area)
{
    for (size_t i = 0; i < *n; i++) {
        if (!strcmp(acc[i].area, area))
            return &acc[i];
    }
    if (*n == MAX_AREAS)
        return NULL;
    struct area_acc *a = &acc[(*n)++];
    memset(a, 0, sizeof *a);
    snprintf(a->area, sizeof a->area, "%s", area);
    a->departments = json_array();
    a->units = json_array();
    a->data_types = json_array();
    a->contacts = json_array();
    a->case_types = json_object();
    a->latest = json_object();
    return a;
}

/* Adds one record, as the caller may see it (its view), to its area's accumulator. */
static void add_record(struct area_acc *a, const struct gp_view *v, bool stale)
{
    if (v->vis > a->vis)
        a->vis = v->vis;
    a->stale |= stale;
    if (v->vis < GP_VIS_SUMMARY)
        return;
    add_unique(a->departments, v->department);
    json_t *ct = json_object_get(a->case_types, v->case_type);
    if (!ct) {
        ct = json_pack("{s:s, s:s, s:s, s:i, s:i, s:i}", "code", v->case_type, "label_da",
                       v->label_da, "label_en", v->label_en, "open", 0, "closed", 0, "planned", 0);
        json_object_set_new(ct, "legal_basis",
                            v->legal_basis[0] ? json_string(v->legal_basis) : json_null());
        json_object_set_new(a->case_types, v->case_type, ct);
    }
    json_object_set_new(ct, v->status,
                        json_integer(json_integer_value(json_object_get(ct, v->status)) + 1));
    if (!strcmp(v->status, "open"))
        a->open++;
    else if (!strcmp(v->status, "closed"))
        a->closed++;
    else
        a->planned++;
    later_date(a->latest, "start_date", v->start);
    later_date(a->latest, "end_date", v->end);
    if (v->caseworker_name[0] || v->caseworker_contact[0]) {
        json_t *c =
            json_pack("{s:s, s:s}", "name", v->caseworker_name, "contact", v->caseworker_contact);
        bool dup = false;
        size_t i;
        json_t *e;
        json_array_foreach(a->contacts, i, e) dup |= json_equal(e, c);
        if (!dup && json_array_size(a->contacts) < 10)
            json_array_append(a->contacts, c);
        json_decref(c);
    }
    if (v->vis == GP_VIS_FULL) {
        add_unique(a->units, v->unit);
        add_unique(a->data_types, v->data_type);
        later_date(a->latest, "document_date", v->document_date);
        later_date(a->latest, "fetched_at", v->fetched_at);
    }
}

static json_t *area_json(struct area_acc *a)
{
    json_t *o = json_pack("{s:s, s:s}", "area", a->area, "visibility", gp_visibility_name(a->vis));
    if (a->vis >= GP_VIS_SUMMARY) {
        json_t *cts = json_array();
        const char *k;
        json_t *v;
        json_object_foreach(a->case_types, k, v) json_array_append(cts, v);
        json_object_set_new(o, "departments", json_incref(a->departments));
        json_object_set_new(o, "case_types", cts);
        json_object_set_new(o, "status",
                            json_pack("{s:i, s:i, s:i}", "open", a->open, "closed", a->closed,
                                      "planned", a->planned));
        json_object_set_new(o, "latest", json_incref(a->latest));
        json_object_set_new(o, "contacts", json_incref(a->contacts));
    }
    if (a->vis == GP_VIS_FULL) {
        json_object_set_new(o, "units", json_incref(a->units));
        json_object_set_new(o, "data_types", json_incref(a->data_types));
    }
    json_object_set_new(o, "stale", json_boolean(a->stale));
    return o;
}

static void area_free(struct area_acc *a)
{
    json_decref(a->departments);
    json_decref(a->units);
    json_decref(a->data_types);
    json_decref(a->contacts);
    json_decref(a->case_types);
    json_decref(a->latest);
}

json_t *gp_overview_body(const struct gp_press *lk)
{
    struct area_acc acc[MAX_AREAS];
    size_t nacc = 0;
    bool redacted = false;
    for (size_t i = 0; i < lk->records.n; i++) {
        const struct gp_indexed *x = &lk->records.items[i];
        struct gp_view v;
        bool seen = gp_view_of(x, gp_press_decide(lk, x).level, &v);
        if (!seen || v.vis != GP_VIS_FULL)
            redacted = true;
        if (!seen)
            continue;
        struct area_acc *a = area_get(acc, &nacc, v.area);
        if (!a) {
            GP_LOG_BUG("more than %d areas in one overview", MAX_AREAS);
            continue;
        }
        add_record(a, &v, gp_press_source_stale(lk, x->source_id));
    }
    json_t *body =
        json_pack("{s:s, s:s}", "cpr", lk->cpr.digits, "refresh", gp_refresh_name(lk->refresh));
    gp_lookup_describe(lk, body);
    json_t *areas = json_array();
    for (size_t i = 0; i < nacc; i++) {
        json_array_append_new(areas, area_json(&acc[i]));
        area_free(&acc[i]);
    }
    json_object_set_new(body, "areas", areas);
    json_object_set_new(body, "redacted", json_boolean(redacted));
    return body;
}

static void overview_finish(struct gp_request *req)
{
    gp_reply_json(req, 200, gp_overview_body(gp_lookup_of(req)));
}

void gp_handle_overview(struct gp_request *req)
{
    struct gp_cpr cpr;
    enum gp_refresh refresh;
    if (!gp_citizen_cpr_param(req, &cpr) || !gp_citizen_purpose_ok(req) ||
        !gp_lookup_parse_refresh(req, &refresh))
        return;
    gp_lookup_begin(req, &cpr, refresh, overview_finish, NULL, NULL);
}
