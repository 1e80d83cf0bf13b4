#include "api/lookup.h"

#include "adapters/adapter.h"
#include "api/citizen_common.h"
#include "lib/sharing/audit.h"
#include "lib/core/digest.h"
#include "lib/sharing/sharing.h"
#include "lib/sharing/policy.h"
#include "lib/core/alloc.h"
#include "lib/core/log.h"
#include "lib/db/stmt.h" /* temporary: until the press moves to lib/ */

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* Time kept back from the request deadline for parsing, storing and answering, so the whole
 * answer stays within the deadline even when a source never answers. */
#define GP_LOOKUP_MARGIN_MS 60

struct lookup_state {
    struct gp_lookup lk;
    struct gp_request *req; /* for the engine's done callback */
};

static void lookup_free(void *p)
{
    struct lookup_state *st = p;
    if (!st)
        return;
    if (st->lk.route_state_free)
        st->lk.route_state_free(st->lk.route_state);
    for (size_t i = 0; i < st->lk.fanout.n; i++)
        free(st->lk.fanout.results[i].body);
    free(st->lk.fanout.results);
    free(st->lk.sources);
    gp_indexed_list_free(&st->lk.records);
    gp_sharing_free(&st->lk.sharing);
    free(st);
}

struct gp_lookup *gp_lookup_of(struct gp_request *req)
{
    return req->state ? &((struct lookup_state *)req->state)->lk : NULL;
}

bool gp_lookup_parse_refresh(struct gp_request *req, enum gp_refresh *out)
{
    const char *v = gp_req_query(req, "refresh");
    if (!v || !strcmp(v, "auto"))
        *out = GP_REFRESH_AUTO;
    else if (!strcmp(v, "always"))
        *out = GP_REFRESH_ALWAYS;
    else if (!strcmp(v, "never"))
        *out = GP_REFRESH_NEVER;
    else {
        gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, "refresh", "must be auto, always or never");
        return false;
    }
    return true;
}

/* ---- reading what the index knows ---- */

struct read_call {
    const char *cpr;
    struct gp_source_fetch_list fetches;
    struct gp_indexed_list records;
    bool with_records;
    struct gp_audit_entry *audit; /* the read's audit row, appended in the same transaction */
    const struct gp_lookup *lk;   /* whose caller and policy decide what the answer shows */
};

static enum gp_qs run_read(struct gp_db_conn *c, void *cls)
{
    struct read_call *rc = cls;
    /* Both reads in one round trip. */
    struct gp_db_batch_item items[2];
    gp_index_read_fetches_item(&items[0], rc->cpr, &rc->fetches);
    gp_index_read_all_item(&items[1], rc->cpr, &rc->records);
    enum gp_qs qs = gp_db_exec_batch(c, items, rc->with_records ? 2 : 1);
    if (qs < 0 || !rc->with_records || !rc->audit)
        return qs;
    /* What the answer will show, decided by the same pure policy the route applies. */
    unsigned levels = 0;
    bool override_used = false;
    for (size_t i = 0; i < rc->records.n; i++) {
        struct gp_policy_decision d = gp_lookup_decide(rc->lk, &rc->records.items[i]);
        levels |= 1u << d.level;
        override_used |= d.override_used;
    }
    gp_citizen_audit_visibility(rc->audit, levels);
    rc->audit->override_used = override_used;
    enum gp_qs aqs = gp_audit_append(c, rc->audit, NULL); /* last: it holds the chain lock */
    return aqs < 0 ? aqs : qs;
}

/* ---- the fan-out ---- */

static void on_fanout_done(void *cls, const struct gp_fanout_result *res)
{
    struct lookup_state *st = cls;
    /* Deep copy: the engine frees its results when this returns. */
    st->lk.fanout.n = res->n;
    st->lk.fanout.joined = res->joined;
    st->lk.fanout.results = gp_xcalloc(res->n ? res->n : 1, sizeof *res->results);
    for (size_t i = 0; i < res->n; i++) {
        st->lk.fanout.results[i] = res->results[i];
        st->lk.fanout.results[i].body = NULL;
        if (res->results[i].body) {
            st->lk.fanout.results[i].body =
                gp_xstrndup(res->results[i].body, res->results[i].body_len);
        }
    }
    gp_req_resume(st->req);
}

struct store_call {
    struct gp_server *srv;
    const char *cpr;
    struct gp_lookup *lk;
    struct gp_record_list *parsed; /* per fan-out result; n == 0 when not OK or unchanged */
};

static bool parse_answer(struct gp_server *srv, struct gp_lookup *lk, struct gp_lookup_source *ls,
                         const struct gp_fetch_result *fr, struct gp_record_list *out);

static struct gp_lookup_source *source_of(struct gp_lookup *lk, const char *id)
{
    for (size_t k = 0; k < lk->n; k++) {
        if (!strcmp(lk->sources[k].src.id, id))
            return &lk->sources[k];
    }
    return NULL;
}

static enum gp_qs run_store(struct gp_db_conn *c, void *cls)
{
    struct store_call *sc = cls;
    struct gp_lookup *lk = sc->lk;
    size_t cap = lk->fanout.n ? lk->fanout.n : 1;
    struct gp_index_answer *answers = gp_xcalloc(cap, sizeof *answers);
    size_t *result_of = gp_xcalloc(cap, sizeof *result_of); /* answer -> fan-out result */
    bool *refused = gp_xcalloc(cap, sizeof *refused);
    size_t n = 0;
    for (size_t i = 0; i < lk->fanout.n; i++) {
        const struct gp_fetch_result *fr = &lk->fanout.results[i];
        const struct gp_lookup_source *ls = source_of(lk, fr->source_id);
        if (!ls || ls->fetch == GP_FETCH_CIRCUIT_OPEN)
            continue; /* nothing was asked: the last real attempt stays on record */
        bool ok = !strcmp(ls->status, "ok");
        result_of[n] = i;
        answers[n++] =
            (struct gp_index_answer){.source_id = ls->src.id,
                                     .status = ls->status,
                                     .error = ls->error,
                                     .latency_ms = ls->latency_ms,
                                     .fetched_at = fr->fetched_at,
                                     .records = ok && !ls->unchanged ? &sc->parsed[i] : NULL,
                                     .complete = ok,
                                     .digest = ls->digest[0] ? ls->digest : NULL,
                                     .unchanged = ok && ls->unchanged};
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double now_s = (double)now.tv_sec;
    enum gp_qs qs =
        n ? gp_index_store_answers(c, sc->srv->classcache, now_s, sc->cpr, answers, n, refused)
          : GP_QS_NO_RESULTS;
    /* An unchanged answer the index no longer vouches for (a sync or another press stored for
     * the citizen since this press began): parsed now and stored in full, in this transaction.
     * The transaction may run this again: a list parsed once is kept. */
    size_t nagain = 0;
    for (size_t a = 0; qs >= 0 && a < n; a++) {
        if (!refused[a])
            continue;
        size_t i = result_of[a];
        struct gp_lookup_source *ls = source_of(lk, lk->fanout.results[i].source_id);
        if (ls->unchanged) {
            ls->unchanged = false;
            parse_answer(sc->srv, lk, ls, &lk->fanout.results[i], &sc->parsed[i]);
        }
        bool ok = !strcmp(ls->status, "ok");
        answers[a].status = ls->status;
        answers[a].error = ls->error;
        answers[a].records = ok ? &sc->parsed[i] : NULL;
        answers[a].complete = ok;
        answers[a].digest = ok && ls->digest[0] ? ls->digest : NULL;
        answers[a].unchanged = false;
        answers[nagain++] = answers[a];
    }
    if (qs >= 0 && nagain)
        qs = gp_index_store_answers(c, sc->srv->classcache, now_s, sc->cpr, answers, nagain, NULL);
    free(answers);
    free(result_of);
    free(refused);
    return qs < 0 ? qs : GP_QS_ONE_RESULT;
}

/* Marks each source's state in the answer from what the index knows of it. */
static void apply_freshness(struct gp_lookup *lk, const struct gp_source_fetch_list *fetches,
                            int ttl_s)
{
    for (size_t k = 0; k < lk->n; k++) {
        struct gp_lookup_source *ls = &lk->sources[k];
        if (ls->blocked)
            continue; /* nothing of it is shown: neither its freshness */
        const struct gp_source_fetch *f = gp_source_fetch_find(fetches, ls->src.id);
        ls->age_s = f ? f->ok_age_s : -1;
        ls->fetched_at[0] = '\0';
        if (f && f->last_ok_at[0])
            gp_rec_set(ls->fetched_at, sizeof ls->fetched_at, f->last_ok_at);
        bool fresh = f && f->ok_age_s >= 0 && f->ok_age_s <= ttl_s;
        if (ls->asked) {
            /* A source that failed now: the index's older answer is shown, marked stale. */
            ls->stale = strcmp(ls->status, "ok") != 0 && ls->age_s >= 0;
        } else if (fresh) {
            snprintf(ls->status, sizeof ls->status, "ok");
            ls->stale = false;
        } else {
            snprintf(ls->status, sizeof ls->status, "stale");
            ls->stale = true;
            if (!f)
                snprintf(ls->error, sizeof ls->error, "never fetched for this citizen");
        }
    }
}

/* Department systems answer JSON (application/json, application/fhir+json or another
 * "+json" type). Anything else — an HTML error page from a proxy, say — is not an answer,
 * even when its bytes happen to parse. */
static bool json_media_type(const char *ct)
{
    size_t n = strcspn(ct, ";");
    while (n > 0 && ct[n - 1] == ' ')
        n--;
    if (n == strlen("application/json") && !strncasecmp(ct, "application/json", n))
        return true;
    return n > 5 && !strncasecmp(ct, "application/", 12) && !strncasecmp(ct + n - 5, "+json", 5);
}

/* A source answered, but not with something usable: its error, and against its circuit (once
 * per fan-out: joined callers see the same answer). */
static void mark_unusable(struct gp_server *srv, const struct gp_lookup *lk,
                          struct gp_lookup_source *ls, const char *why)
{
    snprintf(ls->status, sizeof ls->status, "error");
    snprintf(ls->error, sizeof ls->error, "unusable answer: %.200s", why);
    if (!lk->fanout.joined)
        gp_federate_report_failure(srv->federate, ls->src.id);
    GP_LOG_WARN("source %s: %s", ls->src.id, ls->error);
}

/* Parses one OK answer with its source's adapter; a body that is not what the system answers
 * counts as the source's error, and against its circuit. */
static bool parse_answer(struct gp_server *srv, struct gp_lookup *lk, struct gp_lookup_source *ls,
                         const struct gp_fetch_result *fr, struct gp_record_list *out)
{
    const struct gp_adapter *ad = gp_adapter_find(ls->src.kind);
    char err[200] = "";
    bool ok = fr->npages > 1 && ad->parse_lookup_pages
                  ? ad->parse_lookup_pages(lk->cpr.digits, fr->body, fr->page_len, fr->npages, out,
                                           err, sizeof err)
                  : ad->parse_lookup(lk->cpr.digits, fr->body ? fr->body : "", fr->body_len, out,
                                     err, sizeof err);
    if (!ok) {
        gp_record_list_free(out);
        ls->digest[0] = '\0';
        mark_unusable(srv, lk, ls, err);
    }
    return ok;
}

struct store_read_call {
    struct store_call store;
    struct read_call read;
};

static enum gp_qs run_store_read(struct gp_db_conn *c, void *cls)
{
    struct store_read_call *call = cls;
    if (call->store.lk->fanout.n) {
        enum gp_qs qs = run_store(c, &call->store);
        if (qs < 0)
            return qs;
    }
    return run_read(c, &call->read);
}

static void finish_lookup(struct gp_request *req)
{
    struct lookup_state *st = req->state;
    struct gp_lookup *lk = &st->lk;
    struct gp_server *srv = req->server;
    const char *cpr = lk->cpr.digits;

    /* Parse every answer with its source's adapter — unless it is, byte for byte, the answer
     * the index already holds in full (its digest): then there is nothing to parse or store. */
    struct gp_record_list *parsed = gp_xcalloc(lk->fanout.n ? lk->fanout.n : 1, sizeof *parsed);
    for (size_t i = 0; i < lk->fanout.n; i++) {
        const struct gp_fetch_result *fr = &lk->fanout.results[i];
        struct gp_lookup_source *ls = source_of(lk, fr->source_id);
        if (!ls)
            continue;
        ls->asked = true;
        ls->fetch = fr->status;
        ls->latency_ms = fr->latency_ms;
        snprintf(ls->status, sizeof ls->status, "%s", gp_fetch_status_name(fr->status));
        gp_rec_set(ls->error, sizeof ls->error, fr->error);
        if (fr->status != GP_FETCH_OK)
            continue;
        if (!json_media_type(fr->content_type)) {
            char why[240];
            snprintf(why, sizeof why, "content type '%.100s'",
                     fr->content_type[0] ? fr->content_type : "(none)");
            mark_unusable(srv, lk, ls, why);
            continue;
        }
        if (srv->cfg->index_digest_ttl_s > 0)
            gp_answer_digest(ls->src.kind, ls->src.department, fr->body ? fr->body : "",
                             fr->page_len, fr->npages, ls->digest);
        ls->unchanged = ls->digest[0] && !strcmp(ls->digest, ls->vouched);
        if (!ls->unchanged)
            parse_answer(srv, lk, ls, fr, &parsed[i]);
    }

    /* The one place every read of a citizen's records passes. Storing the answers, reading the
     * citizen's records back and writing the read's audit row are one transaction: the audit
     * row commits with the read it records, and a press costs one commit, not two. */
    struct gp_audit_entry *audit = gp_xmalloc(sizeof *audit);
    gp_citizen_audit_entry(req, cpr, audit);
    for (size_t k = 0; k < lk->n; k++) {
        const struct gp_lookup_source *ls = &lk->sources[k];
        if (ls->asked && audit->n_sources_asked < GP_AUDIT_MAX_SOURCES)
            snprintf(audit->sources_asked[audit->n_sources_asked++], 64, "%s", ls->src.id);
        if (ls->asked && !strcmp(ls->status, "ok") &&
            audit->n_sources_answered < GP_AUDIT_MAX_SOURCES)
            snprintf(audit->sources_answered[audit->n_sources_answered++], 64, "%s", ls->src.id);
    }
    struct store_read_call call = {
        .store = {.srv = srv, .cpr = cpr, .lk = lk, .parsed = parsed},
        .read = {.cpr = cpr, .with_records = true, .audit = audit, .lk = lk}};
    enum gp_qs qs = gp_db_tx(srv->pool, "lookup", GP_DB_READ_COMMITTED, run_store_read, &call);
    struct read_call rc = call.read;
    for (size_t i = 0; i < lk->fanout.n; i++)
        gp_record_list_free(&parsed[i]);
    free(parsed);
    free(audit);
    if (qs < 0) {
        gp_source_fetch_list_free(&rc.fetches);
        gp_indexed_list_free(&rc.records);
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
        return;
    }
    apply_freshness(lk, &rc.fetches, srv->cfg->index_ttl_s);
    gp_source_fetch_list_free(&rc.fetches);
    lk->records = rc.records;
    lk->finish(req);
}

struct begin_call {
    const char *cpr;
    int64_t client_id;
    bool freshness; /* what the index knows of each source: freshness and digests */
    struct gp_lookup *lk;
    struct gp_source_fetch_list fetches;
};

static enum gp_qs run_begin(struct gp_db_conn *c, void *cls)
{
    struct begin_call *bc = cls;
    /* Both reads in one round trip. */
    struct gp_db_batch_item items[2];
    gp_sharing_load_item(&items[0], bc->cpr, bc->client_id, &bc->lk->sharing);
    gp_index_read_fetches_item(&items[1], bc->cpr, &bc->fetches);
    return gp_db_exec_batch(c, items, bc->freshness ? 2 : 1);
}

static int cmp_source_id(const void *a, const void *b)
{
    return strcmp(((const struct gp_lookup_source *)a)->src.id,
                  ((const struct gp_lookup_source *)b)->src.id);
}

void gp_lookup_begin(struct gp_request *req, const struct gp_cpr *cpr, enum gp_refresh refresh,
                     gp_handler_fn finish, void *route_state, void (*route_state_free)(void *))
{
    struct gp_server *srv = req->server;
    struct lookup_state *st = gp_xcalloc(1, sizeof *st);
    st->req = req;
    st->lk.cpr = *cpr;
    st->lk.refresh = refresh;
    st->lk.finish = finish;
    st->lk.route_state = route_state;
    st->lk.route_state_free = route_state_free;
    req->state = st;
    req->state_free = lookup_free;

    struct gp_source *all = NULL;
    size_t nall = 0;
    if (gp_sources_load(srv->pool, &all, &nall) != GP_SOURCE_OK) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
        return;
    }
    st->lk.sources = gp_xcalloc(nall ? nall : 1, sizeof *st->lk.sources);
    for (size_t i = 0; i < nall; i++) {
        if (!all[i].enabled || !gp_adapter_find(all[i].kind))
            continue;
        struct gp_lookup_source *ls = &st->lk.sources[st->lk.n++];
        ls->src = all[i];
        ls->age_s = -1;
    }
    free(all);
    qsort(st->lk.sources, st->lk.n, sizeof *st->lk.sources, cmp_source_id);

    /* What the citizen has said about sharing (judged now: a withdrawal or block takes effect
     * on the very next request), and for refresh=auto what the index already holds fresh:
     * one connection, one or two statements. */
    struct begin_call bc = {.cpr = cpr->digits,
                            .client_id = req->client.id,
                            .freshness =
                                refresh == GP_REFRESH_AUTO ||
                                (refresh == GP_REFRESH_ALWAYS && srv->cfg->index_digest_ttl_s > 0),
                            .lk = &st->lk};
    if (gp_db_with_conn(srv->pool, "lookup_begin", run_begin, &bc) < 0) {
        gp_source_fetch_list_free(&bc.fetches);
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
        return;
    }
    st->lk.caller = gp_citizen_caller(req);
    st->lk.policy = gp_sharing_context(&st->lk.sharing);

    /* Which sources to ask now. A source the citizen's block covers for this caller is not
     * even asked. */
    struct gp_fetch_request *reqs = gp_xcalloc(st->lk.n ? st->lk.n : 1, sizeof *reqs);
    size_t nreqs = 0;
    char key[1024];
    size_t keylen = (size_t)snprintf(key, sizeof key, "%s", cpr->digits);
    for (size_t k = 0; k < st->lk.n; k++) {
        struct gp_lookup_source *ls = &st->lk.sources[k];
        if (gp_policy_source_blocked(&st->lk.caller, st->lk.policy, ls->src.department,
                                     ls->src.area)) {
            ls->blocked = true;
            snprintf(ls->status, sizeof ls->status, "blocked");
            continue;
        }
        if (refresh == GP_REFRESH_NEVER)
            continue;
        if (refresh == GP_REFRESH_AUTO) {
            const struct gp_source_fetch *f = gp_source_fetch_find(&bc.fetches, ls->src.id);
            if (f && f->ok_age_s >= 0 && f->ok_age_s <= srv->cfg->index_ttl_s)
                continue;
        }
        const struct gp_source_fetch *known = gp_source_fetch_find(&bc.fetches, ls->src.id);
        if (known && known->digest_age_s >= 0 &&
            known->digest_age_s <= srv->cfg->index_digest_ttl_s)
            gp_rec_set(ls->vouched, sizeof ls->vouched, known->digest);
        const struct gp_adapter *ad = gp_adapter_find(ls->src.kind);
        struct gp_fetch_request *fr = &reqs[nreqs];
        if (!ad->lookup_url(ls->src.base_url, cpr->digits, fr->url, sizeof fr->url)) {
            GP_LOG_BUG("source %s: lookup URL does not fit", ls->src.id);
            continue;
        }
        gp_rec_set(fr->source_id, sizeof fr->source_id, ls->src.id);
        gp_rec_set(fr->accept, sizeof fr->accept, ad->accept);
        fr->not_found_is_answer = ad->not_found_is_answer;
        fr->next_page = ad->lookup_next; /* NULL for systems that answer in one body */
        fr->timeout_ms = ls->src.timeout_ms;
        nreqs++;
        if (keylen < sizeof key)
            keylen += (size_t)snprintf(key + keylen, sizeof key - keylen, "|%s", ls->src.id);
    }
    gp_source_fetch_list_free(&bc.fetches);

    if (nreqs == 0) {
        free(reqs);
        finish_lookup(req);
        return;
    }
    int deadline =
        (int)lround(srv->cfg->request_deadline_ms - gp_req_elapsed_ms(req) - GP_LOOKUP_MARGIN_MS);
    if (deadline < 10)
        deadline = 10;
    gp_req_suspend(req, finish_lookup);
    if (!gp_federate_start(srv->federate, key, reqs, nreqs, deadline, on_fanout_done, st)) {
        /* Shutting down: answer from the index, every source marked as not answered. */
        st->lk.fanout.n = 0;
        gp_req_resume(req);
    }
    free(reqs);
}

void gp_lookup_describe(const struct gp_lookup *lk, json_t *obj)
{
    /* A source the citizen's block keeps from this caller is listed as blocked and counts
     * neither as asked nor as missing: the answer is complete for what the caller may see. */
    size_t answered = 0, askable = 0;
    json_t *sources = json_array();
    for (size_t k = 0; k < lk->n; k++) {
        const struct gp_lookup_source *ls = &lk->sources[k];
        askable += !ls->blocked;
        if (!ls->blocked && !strcmp(ls->status, "ok"))
            answered++;
        json_t *s = json_pack("{s:s, s:s, s:s, s:s, s:b, s:b}", "id", ls->src.id, "department",
                              ls->src.department, "area", ls->src.area, "status", ls->status,
                              "asked", ls->asked, "stale", ls->stale);
        json_object_set_new(s, "latency_ms",
                            ls->asked ? json_real(round(ls->latency_ms * 10) / 10) : json_null());
        json_object_set_new(s, "fetched_at",
                            ls->fetched_at[0] ? json_string(ls->fetched_at) : json_null());
        json_object_set_new(s, "age_s",
                            ls->age_s >= 0 ? json_integer((json_int_t)ls->age_s) : json_null());
        json_object_set_new(s, "error", ls->error[0] ? json_string(ls->error) : json_null());
        json_array_append_new(sources, s);
    }
    const char *status = answered == askable ? "complete" : answered == 0 ? "failed" : "partial";
    json_object_set_new(obj, "status", json_string(status));
    json_object_set_new(obj, "completeness",
                        json_pack("{s:i, s:i}", "answered", (int)answered, "asked", (int)askable));
    json_object_set_new(obj, "sources", sources);
}

struct gp_policy_decision gp_lookup_decide(const struct gp_lookup *lk, const struct gp_indexed *x)
{
    struct gp_policy_record pr = {x->department, x->area, x->case_type, x->cross_department,
                                  x->rec.status};
    return gp_policy_evaluate(&lk->caller, lk->policy, &pr);
}

bool gp_lookup_source_stale(const struct gp_lookup *lk, const char *source_id)
{
    for (size_t k = 0; k < lk->n; k++) {
        if (!strcmp(lk->sources[k].src.id, source_id))
            return lk->sources[k].stale;
    }
    return true;
}
