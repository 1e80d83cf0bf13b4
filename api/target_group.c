/* POST /v1/target-group/searches: the CPR list (analyst role). The criteria come in the body;
 * one page of candidates goes out, each with the areas and departments that qualified them and
 * the ongoing services that may be shared without consent (lib/target_group.h says exactly
 * which). The search and its one audit row — the criteria and every CPR on the page — are one
 * transaction: no answer without its audit row.
 *
 * Errors: a body that is not the documented shape is 400 naming the field (the first, as
 * lib/json_spec finds it; then every malformed combination); well-formed criteria that cannot
 * be searched — unknown codes, contradictions, a search that is not across departments — are
 * 422 naming every bad field in errors[]. The purpose is fixed by the resource:
 * target_group_identification (an X-Purpose header, if sent, must say so: any other purpose is
 * 403 naming purpose, as table role_purpose has it). Paging: the answer's
 * next_cursor goes back in the body with the same criteria. */
#include "api/target_group.h"

#include "api/citizen_common.h"
#include "api/http.h"
#include "lib/core/alloc.h"
#include "lib/sharing/audit.h"
#include "lib/core/json_spec.h"
#include "lib/core/purpose.h"
#include "lib/insight/target_group.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TG_PURPOSE "target_group_identification"
#define TG_ROUTE   "POST /v1/target-group/searches"

/* Problems as errors[] and a detail sentence naming the first. */
static void reply_problems(struct gp_request *req, enum gp_error e, const struct gp_tg_problems *p)
{
    json_t *errors = json_array();
    for (size_t i = 0; i < p->n; i++)
        json_array_append_new(errors, json_pack("{s:s, s:s}", "field", p->items[i].field, "reason",
                                                p->items[i].reason));
    json_t *extra = json_pack("{s:o}", "errors", errors);
    if (p->n > 1)
        gp_reply_problem_extra(req, e, extra, "%s %s (and %zu more problems in errors)",
                               p->items[0].field, p->items[0].reason, p->n - 1);
    else
        gp_reply_problem_extra(req, e, extra, "%s %s", p->items[0].field, p->items[0].reason);
}

static bool named(const struct gp_tg_problems *p, const char *field)
{
    for (size_t i = 0; i < p->n; i++) {
        if (!strcmp(p->items[i].field, field))
            return true;
    }
    return false;
}

/* Copies the strings of a (type-checked) array into a fixed table. A string too long for its
 * column cannot be a known code: that is a problem of the value (422), named by position. */
static size_t copy_codes(const json_t *a, char *table, size_t width, const char *field,
                         const char *reason, struct gp_tg_problems *bad)
{
    size_t i, n = 0;
    json_t *v;
    json_array_foreach(a, i, v)
    {
        const char *s = json_string_value(v);
        char *dst = table + n * width;
        if (strlen(s) >= width) {
            char f[72];
            snprintf(f, sizeof f, "%s[%zu]", field, i);
            gp_tg_problem_add(bad, f, "%s", reason);
            dst[0] = '\0'; /* keeps positions; the check skips fields already named */
        } else {
            memcpy(dst, s, strlen(s) + 1);
        }
        n++;
    }
    return n;
}

/* required_combinations: an array (at most GP_TG_MAX_COMBOS, checked by the spec) of arrays
 * of 1..GP_TG_MAX_COMBO_AREAS strings. Shape problems go to shape (400), values to bad. */
static void copy_combos(const json_t *a, struct gp_tg_criteria *c, struct gp_tg_problems *shape,
                        struct gp_tg_problems *bad)
{
    size_t i, j;
    json_t *k, *v;
    char f[72];
    json_array_foreach(a, i, k)
    {
        snprintf(f, sizeof f, "required_combinations[%zu]", i);
        bool strings = json_is_array(k);
        json_array_foreach(k, j, v)
        {
            strings &= json_is_string(v) && json_string_length(v) > 0 &&
                       strlen(json_string_value(v)) == json_string_length(v);
        }
        if (!strings) {
            gp_tg_problem_add(shape, f, "must be an array of non-empty strings (area codes)");
            continue;
        }
        if (json_array_size(k) > GP_TG_MAX_COMBO_AREAS) {
            gp_tg_problem_add(shape, f, "must have at most %d elements", GP_TG_MAX_COMBO_AREAS);
            continue;
        }
        struct gp_tg_combo *combo = &c->combos[c->n_combos++];
        combo->n =
            copy_codes(k, &combo->areas[0][0], GP_TG_AREA_LEN, f, "is not a known area", bad);
    }
}

struct codes_call {
    const struct gp_tg_criteria *crit;
    struct gp_tg_problems found;
};

static enum gp_qs run_codes(struct gp_db_conn *conn, void *cls)
{
    struct codes_call *cc = cls;
    cc->found.n = 0;
    return gp_tg_check_codes(conn, cc->crit, &cc->found);
}

struct search_call {
    const struct gp_tg_criteria *crit;     /* normalised: what is searched */
    const struct gp_tg_criteria *as_given; /* the client's order: what problems name */
    struct gp_audit_entry *audit;
    struct gp_tg_problems unknown;
    struct gp_tg_page page;
    int64_t audit_id;
    bool bug; /* the audit details did not fit: our bug, a 500 */
};

/* Codes known, the search, and its audit row. */
static enum gp_qs run_search(struct gp_db_conn *conn, void *cls)
{
    struct search_call *sc = cls;
    sc->unknown.n = 0; /* a retried attempt starts afresh */
    gp_tg_page_free(&sc->page);
    enum gp_qs qs = gp_tg_check_codes(conn, sc->as_given, &sc->unknown);
    if (qs < 0 || sc->unknown.n > 0)
        return qs < 0 ? qs : GP_QS_NO_RESULTS; /* nothing read, nothing to audit */
    qs = gp_tg_search(conn, sc->crit, &sc->page);
    if (qs < 0)
        return qs;
    struct gp_audit_entry *a = sc->audit;
    if (!gp_tg_audit_details(sc->crit, &sc->page, a->details, sizeof a->details)) {
        sc->bug = true;
        return GP_QS_HARD_ERROR;
    }
    /* The reasons name areas (existence); listed services are summaries. */
    bool services = false;
    for (size_t i = 0; i < sc->page.n; i++)
        services |= sc->page.items[i].n_services > 0;
    snprintf(a->visibility, sizeof a->visibility, "%s",
             sc->page.n == 0 ? ""
             : services      ? "summary,existence"
                             : "existence");
    enum gp_qs aqs = gp_audit_append(conn, a, &sc->audit_id);
    return aqs < 0 ? aqs : qs;
}

static json_t *candidate_json(const struct gp_tg_criteria *c, const struct gp_tg_candidate *x)
{
    json_t *areas = json_array(), *depts = json_array(), *combos = json_array();
    for (size_t i = 0; i < x->n_areas; i++)
        json_array_append_new(areas, json_string(x->areas[i]));
    for (size_t i = 0; i < x->n_departments; i++)
        json_array_append_new(depts, json_string(x->departments[i]));
    for (size_t i = 0; i < c->n_combos; i++) {
        if (!(x->combos_met & (1u << i)))
            continue;
        json_t *k = json_array();
        for (size_t j = 0; j < c->combos[i].n; j++)
            json_array_append_new(k, json_string(c->combos[i].areas[j]));
        json_array_append_new(combos, k);
    }
    json_t *services = json_array();
    for (size_t i = 0; i < x->n_services; i++) {
        const struct gp_tg_service *s = &x->services[i];
        json_t *o = json_pack("{s:s, s:s, s:{s:s, s:s, s:s}}", "area", s->area, "department",
                              s->department, "case_type", "code", s->case_type, "label_da",
                              s->label_da, "label_en", s->label_en);
        json_object_set_new(o, "legal_basis", gp_json_string_or_null(s->legal_basis));
        json_object_set_new(o, "caseworker",
                            json_pack("{s:o, s:o}", "name",
                                      gp_json_string_or_null(s->caseworker_name), "contact",
                                      gp_json_string_or_null(s->caseworker_contact)));
        json_array_append_new(services, o);
    }
    json_t *o = json_pack("{s:s}", "cpr", x->cpr);
    json_object_set_new(o, "birth_date", gp_json_string_or_null(x->birth_date));
    json_object_set_new(o, "age", x->age >= 0 ? json_integer(x->age) : json_null());
    json_object_set_new(
        o, "reasons",
        json_pack("{s:o, s:o, s:o}", "areas", areas, "departments", depts, "combinations", combos));
    json_object_set_new(o, "services", services);
    return o;
}

static void audit_entry(struct gp_request *req, struct gp_audit_entry *e);

/* Runs the search with its audit row and answers. */
static void search_and_reply(struct gp_request *req, const struct gp_tg_criteria *crit,
                             const struct gp_tg_criteria *as_given)
{
    struct search_call sc = {.crit = crit, .as_given = as_given};
    sc.audit = gp_xmalloc(sizeof *sc.audit);
    audit_entry(req, sc.audit);
    enum gp_qs qs =
        gp_db_tx(req->server->pool, "target_group_search", GP_DB_READ_COMMITTED, run_search, &sc);
    if (qs < 0) {
        if (sc.bug)
            gp_reply_problem(req, GP_E_INTERNAL, "the search could not be recorded");
        else
            gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
    } else if (sc.unknown.n > 0) {
        reply_problems(req, GP_E_UNPROCESSABLE, &sc.unknown);
    } else {
        json_t *list = json_array();
        for (size_t i = 0; i < sc.page.n; i++)
            json_array_append_new(list, candidate_json(crit, &sc.page.items[i]));
        json_t *body = json_pack("{s:s, s:o, s:o}", "as_of", crit->today, "criteria",
                                 gp_tg_criteria_json(crit), "candidates", list);
        char next[GP_TG_CURSOR_LEN] = "";
        if (sc.page.more)
            gp_tg_cursor_make(crit, sc.page.items[sc.page.n - 1].cpr, next);
        json_object_set_new(body, "next_cursor", gp_json_string_or_null(next));
        json_object_set_new(body, "search_id", json_integer(sc.audit_id));
        gp_reply_json(req, 200, body);
    }
    gp_tg_page_free(&sc.page);
    free(sc.audit);
}

static void audit_entry(struct gp_request *req, struct gp_audit_entry *e)
{
    memset(e, 0, sizeof *e);
    e->client_id = req->client.id;
    snprintf(e->client_name, sizeof e->client_name, "%s", req->client.name);
    snprintf(e->subject, sizeof e->subject, "%s", req->client.subject);
    snprintf(e->client_app, sizeof e->client_app, "%s", req->client.client_app);
    snprintf(e->role, sizeof e->role, "%s", gp_role_name(req->client.role));
    snprintf(e->department, sizeof e->department, "%s", req->client.department);
    const struct gp_purpose *p = gp_purpose_find(TG_PURPOSE);
    snprintf(e->purpose, sizeof e->purpose, "%s", TG_PURPOSE);
    snprintf(e->legal_basis, sizeof e->legal_basis, "%s", p ? p->legal_basis : "");
    snprintf(e->action, sizeof e->action, "search");
    snprintf(e->route, sizeof e->route, TG_ROUTE);
    snprintf(e->request_id, sizeof e->request_id, "%s", req->request_id);
}

/* POST /v1/target-group/searches */
void gp_handle_target_group_search(struct gp_request *req)
{
    /* The purpose is the resource's (target_group_identification); a stated one must be a
     * purpose the role may claim here (role_purpose): 400 for an unknown one, 403 naming
     * purpose for any other. */
    if (!gp_citizen_purpose_check(req, false))
        return;

    struct gp_tg_criteria crit;
    gp_tg_criteria_init(&crit);
    json_t *areas = NULL, *combos = NULL, *exclude = NULL;
    int64_t min_areas = crit.min_areas, min_depts = crit.min_departments, age_min = -1,
            age_max = -1, limit = crit.limit;
    bool ongoing = crit.ongoing_only;
    char *cursor = NULL;
    struct gp_jspec spec[] = {
        {.field = "areas",
         .type = GP_JT_STRING_ARRAY,
         .optional = true,
         .max_len = GP_TG_MAX_AREAS,
         .dest = &areas},
        {.field = "min_areas",
         .type = GP_JT_INT64,
         .optional = true,
         .min = 1,
         .max = GP_TG_MAX_THRESHOLD,
         .dest = &min_areas},
        {.field = "min_departments",
         .type = GP_JT_INT64,
         .optional = true,
         .min = 1,
         .max = GP_TG_MAX_THRESHOLD,
         .dest = &min_depts},
        {.field = "required_combinations",
         .type = GP_JT_ARRAY,
         .optional = true,
         .max_len = GP_TG_MAX_COMBOS,
         .dest = &combos},
        {.field = "age_min",
         .type = GP_JT_INT64,
         .optional = true,
         .min = 0,
         .max = GP_TG_MAX_AGE,
         .dest = &age_min},
        {.field = "age_max",
         .type = GP_JT_INT64,
         .optional = true,
         .min = 0,
         .max = GP_TG_MAX_AGE,
         .dest = &age_max},
        {.field = "exclude_case_types",
         .type = GP_JT_STRING_ARRAY,
         .optional = true,
         .max_len = GP_TG_MAX_EXCLUDE,
         .dest = &exclude},
        {.field = "ongoing_only", .type = GP_JT_BOOL, .optional = true, .dest = &ongoing},
        {.field = "limit",
         .type = GP_JT_INT64,
         .optional = true,
         .min = 1,
         .max = GP_TG_MAX_LIMIT,
         .dest = &limit},
        {.field = "cursor",
         .type = GP_JT_STRING,
         .optional = true,
         .max_len = GP_TG_CURSOR_LEN,
         .dest = &cursor},
        GP_JSPEC_END,
    };
    struct gp_jspec_error jerr;
    if (!gp_jspec_parse_buffer(req->body ? req->body : "", req->body_len, spec, false, &jerr)) {
        gp_reply_jspec_error(req, &jerr);
        return;
    }

    struct gp_tg_problems shape = {0}, bad = {0};
    if (areas)
        crit.n_areas = copy_codes(areas, &crit.areas[0][0], GP_TG_AREA_LEN, "areas",
                                  "is not a known area", &bad);
    if (combos)
        copy_combos(combos, &crit, &shape, &bad);
    if (exclude)
        crit.n_exclude = copy_codes(exclude, &crit.exclude[0][0], GP_TG_TYPE_LEN,
                                    "exclude_case_types", "is not a known case type", &bad);
    crit.min_areas = (int)min_areas;
    crit.min_departments = (int)min_depts;
    crit.age_min = (int)age_min;
    crit.age_max = (int)age_max;
    crit.ongoing_only = ongoing;
    crit.limit = (int)limit;
    if (shape.n > 0) {
        reply_problems(req, GP_E_INVALID_BODY, &shape);
        goto done;
    }
    struct gp_tg_problems checked = {0};
    gp_tg_criteria_check(&crit, &checked);
    for (size_t i = 0; i < checked.n; i++) {
        if (!named(&bad, checked.items[i].field))
            gp_tg_problem_add(&bad, checked.items[i].field, "%s", checked.items[i].reason);
    }
    if (bad.n > 0) {
        /* Name the unknown codes too, so one answer lists everything to fix. If the
         * database cannot say, the problems found so far are still the answer. */
        struct codes_call cc = {.crit = &crit};
        if (gp_db_with_conn(req->server->pool, "target_group_codes", run_codes, &cc) >= 0) {
            for (size_t i = 0; i < cc.found.n; i++) {
                if (!named(&bad, cc.found.items[i].field))
                    gp_tg_problem_add(&bad, cc.found.items[i].field, "%s",
                                      cc.found.items[i].reason);
            }
        }
        reply_problems(req, GP_E_UNPROCESSABLE, &bad);
        goto done;
    }
    /* Unknown codes are named by the positions the client used; the search runs on the
     * sorted form (the cursor's fingerprint is of that form too). */
    struct gp_tg_criteria as_given = crit;
    gp_tg_criteria_normalise(&crit);
    if (cursor && !gp_tg_cursor_apply(&crit, cursor)) {
        gp_reply_bad_field(req, GP_E_INVALID_BODY, "cursor",
                           "is not a cursor of this search: send it back with the same criteria "
                           "as the search that answered it");
        goto done;
    }
    search_and_reply(req, &crit, &as_given);
done:
    gp_jspec_free(spec); /* frees cursor too */
}
