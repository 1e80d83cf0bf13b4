/* GET /v1/citizens/{cpr}/recommendations: what a caseworker should do next for one citizen —
 * a candidate for a coordinated effort, data to gather before a rehabilitation meeting, a
 * department to invite, colliding efforts, stale or failing sources — each with the rule that
 * fired, a title and a reason in Danish and English, the evidence (record ids), the area and a
 * priority.
 *
 * The CPR button first (api/lookup: fan-out, store, read back, audit row); then the pure rules
 * (lib/recommend) over the records at the visibility the policy gives each (gp_press_decide),
 * the areas the caller's purpose has a consent for (lk->sharing) and each source's outcome in
 * this lookup (lk->sources), and the names of areas and departments from the database
 * (lib/insight/labels). lib/recommend reads every record through the view its visibility
 * allows, so a recommendation never names what the caller may not see. */
#include "api/citizen_common.h"
#include "api/handlers.h"
#include "api/http.h"
#include "api/input.h"
#include "api/lookup.h"
#include "lib/core/alloc.h"
#include "lib/core/config.h"
#include "lib/core/log.h"
#include "lib/sharing/policy.h"
#include "lib/insight/labels.h"
#include "lib/insight/recommend.h"

#include <stdlib.h>
#include <string.h>

#define MAX_CONSENT_AREAS 32

/* The area of the caller's department, from the database's department table (as loaded with
 * the labels); "" when none or unknown. */
static const char *caller_area(const struct gp_labels *labels, const char *dept)
{
    const struct gp_label *l = gp_label_find(labels->departments, labels->n_departments, dept);
    return l ? l->area : "";
}

/* The areas for which a consent for the caller's purpose is in force today (gp_sharing_load
 * loads those in force; the dates are checked again as the policy checks them). A consent that
 * names departments still counts for its areas: the citizen has been asked about the area. */
static size_t consent_areas(const struct gp_press *lk, const char *purpose,
                            const char *out[MAX_CONSENT_AREAS])
{
    size_t n = 0;
    const struct gp_sharing *s = &lk->sharing;
    if (!purpose || !*purpose)
        return 0;
    for (size_t i = 0; i < s->n_consents; i++) {
        const struct gp_sharing_consent *c = &s->consents[i];
        if (strcmp(c->purpose, purpose) != 0 || !c->valid_from[0] ||
            strcmp(c->valid_from, s->today) > 0 ||
            (c->valid_until[0] && strcmp(c->valid_until, s->today) < 0))
            continue;
        for (size_t a = 0; a < c->n_areas && a < GP_POLICY_MAX_AREAS; a++) {
            bool dup = false;
            for (size_t k = 0; k < n; k++)
                dup |= !strcmp(out[k], c->areas[a]);
            if (!dup && n < MAX_CONSENT_AREAS)
                out[n++] = c->areas[a];
        }
    }
    return n;
}

/* What each source contributed, as the rules see it. A source the citizen's block keeps from
 * this caller is left out: nothing of it is shown, not even its freshness. */
static size_t rec_sources(const struct gp_press *lk, struct gp_rec_source *out)
{
    size_t n = 0;
    for (size_t k = 0; k < lk->n; k++) {
        const struct gp_press_source *ls = &lk->sources[k];
        if (ls->blocked)
            continue;
        struct gp_rec_source *s = &out[n++];
        s->id = ls->src.id;
        s->department = ls->src.department;
        s->area = ls->src.area;
        s->age_s = ls->age_s;
        s->asked = ls->asked;
        if (!strcmp(ls->status, "ok"))
            s->state = GP_REC_SOURCE_OK;
        else /* not answering now (asked and failed, or not asked and not fresh) */
            s->state = ls->age_s >= 0 ? GP_REC_SOURCE_STALE : GP_REC_SOURCE_FAILING;
    }
    return n;
}

static json_t *recommendation_json(const struct gp_recommendation *r)
{
    json_t *evidence = json_array();
    for (size_t i = 0; i < r->n_evidence; i++)
        json_array_append_new(evidence, json_integer((json_int_t)r->evidence[i]));
    json_t *o =
        json_pack("{s:s, s:s, s:s, s:{s:s, s:s}, s:{s:s, s:s}, s:o}", "code", r->code, "trigger",
                  r->trigger, "priority", gp_rec_priority_name(r->priority), "title", "da",
                  r->title_da, "en", r->title_en, "reason", "da", r->reason_da ? r->reason_da : "",
                  "en", r->reason_en ? r->reason_en : "", "evidence", evidence);
    json_object_set_new(o, "area", gp_json_string_or_null(r->area));
    json_object_set_new(o, "department", gp_json_string_or_null(r->department));
    json_object_set_new(o, "source", gp_json_string_or_null(r->source_id));
    return o;
}

static void recommendations_finish(struct gp_request *req)
{
    struct gp_press *lk = gp_lookup_of(req);
    const struct gp_labels *labels = gp_lookup_route_state(req);
    const struct gp_config *cfg = req->server->cfg;
    size_t n = lk->records.n;
    bool redacted = false;
    enum gp_visibility *vis = gp_xcalloc(n ? n : 1, sizeof *vis);
    for (size_t i = 0; i < n; i++) {
        vis[i] = gp_press_decide(lk, &lk->records.items[i]).level;
        redacted |= vis[i] != GP_VIS_FULL;
    }
    const char *areas[MAX_CONSENT_AREAS];
    size_t n_areas = consent_areas(lk, lk->caller.purpose, areas);
    struct gp_rec_source *sources = gp_xcalloc(lk->n ? lk->n : 1, sizeof *sources);
    size_t n_sources = rec_sources(lk, sources);
    char today[11];
    if (lk->sharing.today[0])
        snprintf(today, sizeof today, "%s", lk->sharing.today);
    else
        gp_input_today(today);
    struct gp_rec_thresholds th = {.coordinated_min_areas = cfg->rec_min_areas,
                                   .coordinated_min_caseworkers = cfg->rec_min_caseworkers,
                                   .lae265_max_months = cfg->rec_lae265_months,
                                   .source_max_age_s = cfg->rec_source_max_age_s};
    const char *dept = req->client.department;
    struct gp_rec_input in = {.records = lk->records.items,
                              .visibility = vis,
                              .n = n,
                              .consent_areas = areas,
                              .n_consent_areas = n_areas,
                              .sources = sources,
                              .n_sources = n_sources,
                              .caller_department = dept,
                              .caller_area = caller_area(labels, dept),
                              .purpose = lk->caller.purpose,
                              .today = today,
                              .thresholds = &th,
                              .labels = labels};
    struct gp_recommendation_list list;
    enum gp_rec_rc rc = gp_recommend(&in, &list);
    free(vis);
    free(sources);
    if (rc != GP_REC_OK) {
        GP_LOG_BUG("recommendations: %s", rc == GP_REC_BAD_TODAY ? "bad today" : "bad thresholds");
        gp_reply_problem(req, GP_E_INTERNAL, "the recommendations could not be worked out");
        return;
    }
    json_t *recs = json_array();
    for (size_t i = 0; i < list.n; i++)
        json_array_append_new(recs, recommendation_json(&list.items[i]));
    gp_recommendation_list_free(&list);

    json_t *body = json_pack("{s:s}", "cpr", lk->cpr.digits);
    gp_lookup_describe(lk, body);
    json_object_set_new(body, "recommendations", recs);
    json_object_set_new(body, "redacted", json_boolean(redacted));
    gp_reply_json(req, 200, body);
}

static void labels_free(void *p)
{
    gp_labels_free(p);
    free(p);
}

void gp_handle_recommendations(struct gp_request *req)
{
    struct gp_cpr cpr;
    enum gp_refresh refresh;
    if (!gp_citizen_cpr_param(req, &cpr) || !gp_citizen_purpose_ok(req) ||
        !gp_lookup_parse_refresh(req, &refresh))
        return;
    /* The names reasons give areas and departments are the database's: read before the
     * lookup, so a database that cannot answer stops the request before any source is asked. */
    struct gp_labels *labels = gp_xcalloc(1, sizeof *labels);
    if (gp_labels_load(req->server->pool, labels) < 0) {
        labels_free(labels);
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
        return;
    }
    gp_lookup_begin(req, &cpr, refresh, recommendations_finish, labels, labels_free);
}
