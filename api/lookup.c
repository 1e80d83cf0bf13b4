/* The HTTP side of a press: api/lookup.h. The press itself is lib/federation/press.c. */
#include "api/lookup.h"

#include "api/citizen_common.h"
#include "lib/core/alloc.h"
#include "lib/sharing/audit.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

/* Time kept back from the request deadline for parsing, storing and answering, so the whole
 * answer stays within the deadline even when a source never answers: a fifth of the deadline,
 * at least GP_LOOKUP_MARGIN_MS. The database work gets what is left (lib/db/db.h), so this is
 * also what storing the answers may take when a source is slow. */
#define GP_LOOKUP_MARGIN_MS 60
#define GP_LOOKUP_DB_SHARE  5

struct lookup_state {
    struct gp_press press;
    struct gp_request *req;    /* for the engine's done callback */
    struct gp_server *counted; /* counted in its presses in flight (GLASPLADE_MAX_PRESSES) */
    gp_handler_fn finish;      /* the route's continuation */
    void *route_state;         /* the route's own state, freed by route_state_free */
    void (*route_state_free)(void *);
};

static void lookup_free(void *p)
{
    struct lookup_state *st = p;
    if (!st)
        return;
    if (st->route_state_free)
        st->route_state_free(st->route_state);
    gp_press_free(&st->press);
    if (st->counted)
        atomic_fetch_sub(&st->counted->presses, 1);
    free(st);
}

struct gp_press *gp_lookup_of(struct gp_request *req)
{
    return req->state ? &((struct lookup_state *)req->state)->press : NULL;
}

void *gp_lookup_route_state(struct gp_request *req)
{
    return req->state ? ((struct lookup_state *)req->state)->route_state : NULL;
}

bool gp_lookup_parse_refresh(struct gp_request *req, enum gp_refresh *out)
{
    if (gp_refresh_parse(gp_req_query(req, "refresh"), out))
        return true;
    gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, "refresh", "must be auto, always or never");
    return false;
}

static struct gp_press_settings settings_of(const struct gp_server *srv)
{
    return (struct gp_press_settings){.index_ttl_s = srv->cfg->index_ttl_s,
                                      .index_digest_ttl_s = srv->cfg->index_digest_ttl_s};
}

/* On the engine thread: the fan-out's results are copied and the request resumed. */
static void on_fanout_done(void *cls, const struct gp_fanout_result *res)
{
    struct lookup_state *st = cls;
    gp_press_take(&st->press, res);
    gp_req_resume(st->req);
}

static void finish_lookup(struct gp_request *req)
{
    struct lookup_state *st = req->state;
    struct gp_server *srv = req->server;
    struct gp_press_settings s = settings_of(srv);
    struct gp_audit_entry *audit = gp_xmalloc(sizeof *audit);
    gp_citizen_audit_entry(req, st->press.cpr.digits, audit);
    enum gp_qs qs =
        gp_press_store(srv->pool, srv->classcache, srv->federate, &st->press, &s, audit);
    free(audit);
    if (qs < 0) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
        return;
    }
    st->finish(req);
}

void gp_lookup_begin(struct gp_request *req, const struct gp_cpr *cpr, enum gp_refresh refresh,
                     gp_handler_fn finish, void *route_state, void (*route_state_free)(void *))
{
    struct gp_server *srv = req->server;
    struct lookup_state *st = gp_xcalloc(1, sizeof *st);
    st->req = req;
    st->finish = finish;
    st->route_state = route_state;
    st->route_state_free = route_state_free;
    req->state = st;
    req->state_free = lookup_free;

    /* Presses in flight hold the sources' answers and the citizen's records: a cap bounds the
     * memory they take together, and shedding the excess at once keeps the deadline for the
     * others (bench/README-memory.md). */
    if (atomic_fetch_add(&srv->presses, 1) >= srv->cfg->max_presses) {
        atomic_fetch_sub(&srv->presses, 1);
        gp_reply_problem(req, GP_E_BUSY,
                         "%d presses of the CPR button are in flight, the most this server takes "
                         "at once; retry shortly",
                         srv->cfg->max_presses);
        return;
    }
    st->counted = srv;

    struct gp_policy_caller caller = gp_citizen_caller(req);
    gp_press_init(&st->press, cpr, refresh, &caller);
    struct gp_press_settings s = settings_of(srv);
    if (gp_press_load(srv->pool, &st->press, req->client.id, &s) < 0) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
        return;
    }
    struct gp_fetch_request *reqs = gp_xcalloc(st->press.n ? st->press.n : 1, sizeof *reqs);
    char key[1024];
    size_t nreqs = gp_press_plan(&st->press, &s, reqs, key, sizeof key);
    if (nreqs == 0) {
        free(reqs);
        finish_lookup(req);
        return;
    }
    int margin = srv->cfg->request_deadline_ms / GP_LOOKUP_DB_SHARE;
    if (margin < GP_LOOKUP_MARGIN_MS)
        margin = GP_LOOKUP_MARGIN_MS;
    int deadline = (int)lround(gp_req_remaining_ms(req) - margin);
    if (deadline < 10)
        deadline = 10;
    gp_req_suspend(req, finish_lookup);
    if (!gp_federate_start(srv->federate, key, reqs, nreqs, deadline, on_fanout_done, st)) {
        /* Shutting down: answer from the index, every source marked as not answered. */
        gp_req_resume(req);
    }
    free(reqs);
}

void gp_lookup_describe(const struct gp_press *p, json_t *obj)
{
    json_t *sources = json_array();
    for (size_t k = 0; k < p->n; k++) {
        const struct gp_press_source *ps = &p->sources[k];
        json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "id", ps->src.id, "department",
                              ps->src.department, "area", ps->src.area, "status", ps->status,
                              "asked", ps->asked, "stale", ps->stale);
        json_object_set_new(s, "latency_ms",
                            ps->asked ? json_real(round(ps->latency_ms * 10) / 10) : json_null());
        json_object_set_new(s, "fetched_at",
                            ps->fetched_at[0] ? json_string(ps->fetched_at) : json_null());
        json_object_set_new(s, "age_s",
                            ps->age_s >= 0 ? json_integer((json_int_t)ps->age_s) : json_null());
        json_object_set_new(s, "error", ps->error[0] ? json_string(ps->error) : json_null());
        json_array_append_new(sources, s);
    }
    /* A source the citizen's block keeps from this caller is listed as blocked and counts
     * neither as asked nor as missing: the answer is complete for what the caller may see. */
    struct gp_press_outcome o = gp_press_outcome(p);
    json_object_set_new(obj, "status", json_string(o.status));
    json_object_set_new(
        obj, "completeness",
        json_pack("{s:i, s:i}", "answered", (int)o.answered, "asked", (int)o.asked));
    json_object_set_new(obj, "sources", sources);
}
