/* The CPR button's press: see lib/federation/press.h for the steps and who calls them. */
#include "lib/federation/press.h"

#include "adapters/adapter.h"
#include "lib/core/alloc.h"
#include "lib/core/cpr.h"
#include "lib/core/digest.h"
#include "lib/core/log.h"
#include "lib/db/stmt.h"
#include "lib/sharing/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

const char *gp_refresh_name(enum gp_refresh r)
{
    switch (r) {
    case GP_REFRESH_ALWAYS:
        return "always";
    case GP_REFRESH_NEVER:
        return "never";
    case GP_REFRESH_AUTO:
        break;
    }
    return "auto";
}

bool gp_refresh_parse(const char *s, enum gp_refresh *out)
{
    if (!s || !strcmp(s, "auto"))
        *out = GP_REFRESH_AUTO;
    else if (!strcmp(s, "always"))
        *out = GP_REFRESH_ALWAYS;
    else if (!strcmp(s, "never"))
        *out = GP_REFRESH_NEVER;
    else
        return false;
    return true;
}

void gp_press_init(struct gp_press *p, const struct gp_cpr *cpr, enum gp_refresh refresh,
                   const struct gp_policy_caller *caller)
{
    memset(p, 0, sizeof *p);
    p->cpr = *cpr;
    p->refresh = refresh;
    p->caller = *caller;
}

static void free_parsed(struct gp_press *p)
{
    for (size_t i = 0; p->parsed && i < p->fanout.n; i++)
        gp_record_list_free(&p->parsed[i]);
    free(p->parsed);
    p->parsed = NULL;
}

void gp_press_free(struct gp_press *p)
{
    if (!p)
        return;
    free_parsed(p);
    for (size_t i = 0; i < p->fanout.n; i++)
        free(p->fanout.results[i].body);
    free(p->fanout.results);
    free(p->sources);
    gp_source_fetch_list_free(&p->known);
    gp_indexed_list_free(&p->records);
    gp_sharing_free(&p->sharing);
    memset(p, 0, sizeof *p);
}

/* ---- load and plan ---- */

static int cmp_source_id(const void *a, const void *b)
{
    return strcmp(((const struct gp_press_source *)a)->src.id,
                  ((const struct gp_press_source *)b)->src.id);
}

struct load_call {
    struct gp_press *p;
    int64_t client_id;
    bool freshness; /* what the index knows of each source: freshness and digests */
};

static enum gp_qs run_load(struct gp_db_conn *c, void *cls)
{
    struct load_call *lc = cls;
    /* Both reads in one round trip. */
    struct gp_db_batch_item items[2];
    gp_sharing_load_item(&items[0], lc->p->cpr.digits, lc->client_id, &lc->p->sharing);
    gp_index_read_fetches_item(&items[1], lc->p->cpr.digits, &lc->p->known);
    return gp_db_exec_batch(c, items, lc->freshness ? 2 : 1);
}

enum gp_qs gp_press_load(struct gp_db_pool *pool, struct gp_press *p, int64_t client_id,
                         const struct gp_press_settings *s)
{
    struct gp_source *all = NULL;
    size_t nall = 0;
    if (gp_sources_load(pool, &all, &nall) != GP_SOURCE_OK)
        return GP_QS_HARD_ERROR;
    p->sources = gp_xcalloc(nall ? nall : 1, sizeof *p->sources);
    for (size_t i = 0; i < nall; i++) {
        if (!all[i].enabled || !gp_adapter_find(all[i].kind))
            continue;
        struct gp_press_source *ps = &p->sources[p->n++];
        ps->src = all[i];
        ps->age_s = -1;
    }
    free(all);
    qsort(p->sources, p->n, sizeof *p->sources, cmp_source_id);

    /* What the citizen has said about sharing (judged now: a withdrawal or block takes effect
     * on the very next request), and for refresh=auto (or digests) what the index holds. */
    struct load_call lc = {.p = p,
                           .client_id = client_id,
                           .freshness =
                               p->refresh == GP_REFRESH_AUTO ||
                               (p->refresh == GP_REFRESH_ALWAYS && s->index_digest_ttl_s > 0)};
    enum gp_qs qs = gp_db_with_conn(pool, "press_load", run_load, &lc);
    if (qs < 0)
        return qs;
    p->policy = gp_sharing_context(&p->sharing);
    return GP_QS_ONE_RESULT;
}

size_t gp_press_plan(struct gp_press *p, const struct gp_press_settings *s,
                     struct gp_fetch_request *reqs, char *key, size_t keylen)
{
    size_t nreqs = 0;
    size_t klen = 0;
    if (keylen)
        klen = (size_t)snprintf(key, keylen, "%s", p->cpr.digits);
    for (size_t k = 0; k < p->n; k++) {
        struct gp_press_source *ps = &p->sources[k];
        /* A source the citizen's block covers for this caller is not even asked. */
        if (gp_policy_source_blocked(&p->caller, p->policy, ps->src.department, ps->src.area)) {
            ps->blocked = true;
            snprintf(ps->status, sizeof ps->status, "blocked");
            continue;
        }
        if (p->refresh == GP_REFRESH_NEVER)
            continue;
        const struct gp_source_fetch *known = gp_source_fetch_find(&p->known, ps->src.id);
        if (p->refresh == GP_REFRESH_AUTO && known && known->ok_age_s >= 0 &&
            known->ok_age_s <= s->index_ttl_s)
            continue;
        if (known && known->digest_age_s >= 0 && known->digest_age_s <= s->index_digest_ttl_s)
            gp_rec_set(ps->vouched, sizeof ps->vouched, known->digest);
        const struct gp_adapter *ad = gp_adapter_find(ps->src.kind);
        struct gp_fetch_request *fr = &reqs[nreqs];
        memset(fr, 0, sizeof *fr);
        bool built =
            ad->lookup_start
                ? ad->lookup_start(ps->src.base_url, ps->src.options, p->cpr.digits, fr->url,
                                   sizeof fr->url, fr->next_arg, sizeof fr->next_arg)
                : ad->lookup_url(ps->src.base_url, p->cpr.digits, fr->url, sizeof fr->url);
        if (!built) {
            /* `glasplade source set` checks options and URL: a source that gets here was
             * written around it. Not asked; its status says why. */
            ps->planned = true;
            snprintf(ps->status, sizeof ps->status, "error");
            snprintf(ps->error, sizeof ps->error,
                     "the source's options or base URL are not usable by its adapter");
            GP_LOG_WARN("source %s: %s", ps->src.id, ps->error);
            continue;
        }
        gp_rec_set(fr->source_id, sizeof fr->source_id, ps->src.id);
        gp_rec_set(fr->accept, sizeof fr->accept, ad->accept);
        gp_rec_set(fr->prefer, sizeof fr->prefer, ad->prefer);
        fr->auth = ps->src.auth;
        fr->not_found_is_answer = ad->not_found_is_answer;
        fr->next_page = ad->lookup_next; /* NULL for systems that answer in one body */
        fr->timeout_ms = ps->src.timeout_ms;
        nreqs++;
        if (klen < keylen)
            klen += (size_t)snprintf(key + klen, keylen - klen, "|%s", ps->src.id);
    }
    return nreqs;
}

void gp_press_take(struct gp_press *p, const struct gp_fanout_result *res)
{
    p->fanout.n = res->n;
    p->fanout.joined = res->joined;
    p->fanout.results = gp_xcalloc(res->n ? res->n : 1, sizeof *res->results);
    for (size_t i = 0; i < res->n; i++) {
        p->fanout.results[i] = res->results[i];
        p->fanout.results[i].body = NULL;
        if (res->results[i].body)
            p->fanout.results[i].body = gp_xstrndup(res->results[i].body, res->results[i].body_len);
    }
}

void gp_press_take_more(struct gp_press *p, const struct gp_fetch_result *res, size_t n)
{
    free_parsed(p);
    for (size_t i = 0; i < p->fanout.n; i++)
        free(p->fanout.results[i].body);
    free(p->fanout.results);
    struct gp_fanout_result batch = {.n = n, .results = (struct gp_fetch_result *)res};
    gp_press_take(p, &batch);
}

/* ---- parse ---- */

static struct gp_press_source *source_of(struct gp_press *p, const char *id)
{
    for (size_t k = 0; k < p->n; k++) {
        if (!strcmp(p->sources[k].src.id, id))
            return &p->sources[k];
    }
    return NULL;
}

/* Department systems answer JSON (application/json, application/fhir+json or another
 * "+json" type, or FHIR DSTU2's legacy application/json+fhir, which R4 servers still send).
 * Anything else — an HTML error page from a proxy, say — is not an answer, even when its
 * bytes happen to parse. */
static bool json_media_type(const char *ct)
{
    size_t n = strcspn(ct, ";");
    while (n > 0 && ct[n - 1] == ' ')
        n--;
    static const char *const exact[] = {"application/json", "application/json+fhir"};
    for (size_t i = 0; i < sizeof exact / sizeof exact[0]; i++) {
        if (n == strlen(exact[i]) && !strncasecmp(ct, exact[i], n))
            return true;
    }
    return n > 17 && !strncasecmp(ct, "application/", 12) && !strncasecmp(ct + n - 5, "+json", 5);
}

/* A source answered, but not with something usable: its error, and against its circuit (once
 * per fan-out: joined callers see the same answer). */
static void mark_unusable(struct gp_federate *f, const struct gp_press *p,
                          struct gp_press_source *ps, const char *why)
{
    snprintf(ps->status, sizeof ps->status, "error");
    snprintf(ps->error, sizeof ps->error, "unusable answer: %.200s", why);
    gp_cpr_mask_in_place(ps->error);
    /* The engine logs it (at most once a while per source) and shows it on /v1/sources. */
    if (f && !p->fanout.joined)
        gp_federate_report_failure(f, ps->src.id, ps->error);
    else if (!f)
        GP_LOG_WARN("source %s: %s", ps->src.id, ps->error);
}

/* A failed answer's own words (FHIR: its OperationOutcome's diagnostics), after the
 * transfer's ("HTTP 400: OperationOutcome: ..."), CPR numbers masked. */
static void explain_error(struct gp_press_source *ps, const struct gp_fetch_result *fr)
{
    const struct gp_adapter *ad = gp_adapter_find(ps->src.kind);
    char said[200];
    if (!ad->describe_error || !fr->body || !fr->body_len || fr->http_status == 0 ||
        !ad->describe_error(fr->body, fr->body_len, said, sizeof said))
        return;
    char both[sizeof ps->error];
    snprintf(both, sizeof both, "%.50s: %s", fr->error, said);
    gp_cpr_mask_in_place(both);
    gp_rec_set(ps->error, sizeof ps->error, both);
}

/* Parses one OK answer with its source's adapter; a body that is not what the system answers
 * counts as the source's error, and against its circuit. */
static bool parse_answer(struct gp_federate *f, struct gp_press *p, struct gp_press_source *ps,
                         const struct gp_fetch_result *fr, struct gp_record_list *out)
{
    const struct gp_adapter *ad = gp_adapter_find(ps->src.kind);
    char err[200] = "";
    bool ok = fr->npages > 1 && ad->parse_lookup_pages
                  ? ad->parse_lookup_pages(p->cpr.digits, fr->body, fr->page_len, fr->npages, out,
                                           err, sizeof err)
                  : ad->parse_lookup(p->cpr.digits, fr->body ? fr->body : "", fr->body_len, out,
                                     err, sizeof err);
    if (!ok) {
        gp_record_list_free(out);
        ps->digest[0] = '\0';
        mark_unusable(f, p, ps, err);
    }
    return ok;
}

void gp_press_parse(struct gp_press *p, const struct gp_press_settings *s, struct gp_federate *f)
{
    free_parsed(p);
    p->parsed = gp_xcalloc(p->fanout.n ? p->fanout.n : 1, sizeof *p->parsed);
    for (size_t i = 0; i < p->fanout.n; i++) {
        const struct gp_fetch_result *fr = &p->fanout.results[i];
        struct gp_press_source *ps = source_of(p, fr->source_id);
        if (!ps)
            continue;
        /* A source behind an open circuit was planned but not asked. */
        ps->planned = true;
        ps->asked = fr->status != GP_FETCH_CIRCUIT_OPEN;
        ps->fetch = fr->status;
        ps->latency_ms = ps->asked ? fr->latency_ms : 0;
        snprintf(ps->status, sizeof ps->status, "%s", gp_fetch_status_name(fr->status));
        gp_rec_set(ps->error, sizeof ps->error, fr->error);
        if (fr->status == GP_FETCH_ERROR)
            explain_error(ps, fr);
        if (fr->status != GP_FETCH_OK)
            continue;
        if (!json_media_type(fr->content_type)) {
            char why[240];
            snprintf(why, sizeof why, "content type '%.100s'",
                     fr->content_type[0] ? fr->content_type : "(none)");
            mark_unusable(f, p, ps, why);
            continue;
        }
        if (s->index_digest_ttl_s > 0)
            gp_answer_digest(ps->src.kind, ps->src.department, fr->body ? fr->body : "",
                             fr->page_len, fr->npages, ps->digest);
        ps->unchanged = ps->digest[0] && !strcmp(ps->digest, ps->vouched);
        if (!ps->unchanged)
            parse_answer(f, p, ps, fr, &p->parsed[i]);
    }
}

/* ---- store, read back, audit ---- */

struct store_call {
    struct gp_classcache *cc;
    struct gp_federate *f;
    struct gp_press *p;
    struct gp_audit_entry *audit;
    struct gp_source_fetch_list fetches; /* read back with the records */
};

static bool is_ok(const struct gp_press_source *ps)
{
    return !strcmp(ps->status, "ok");
}

static enum gp_qs store_answers(struct gp_db_conn *c, struct store_call *sc)
{
    struct gp_press *p = sc->p;
    size_t cap = p->fanout.n ? p->fanout.n : 1;
    struct gp_index_answer *answers = gp_xcalloc(cap, sizeof *answers);
    size_t *result_of = gp_xcalloc(cap, sizeof *result_of); /* answer -> fan-out result */
    bool *refused = gp_xcalloc(cap, sizeof *refused);
    size_t n = 0;
    for (size_t i = 0; i < p->fanout.n; i++) {
        const struct gp_fetch_result *fr = &p->fanout.results[i];
        const struct gp_press_source *ps = source_of(p, fr->source_id);
        if (!ps || ps->fetch == GP_FETCH_CIRCUIT_OPEN)
            continue; /* nothing was asked: the last real attempt stays on record */
        bool ok = is_ok(ps);
        result_of[n] = i;
        answers[n++] =
            (struct gp_index_answer){.source_id = ps->src.id,
                                     .status = ps->status,
                                     .error = ps->error,
                                     .latency_ms = ps->latency_ms,
                                     .fetched_at = fr->fetched_at,
                                     .records = ok && !ps->unchanged ? &p->parsed[i] : NULL,
                                     .complete = ok,
                                     .digest = ps->digest[0] ? ps->digest : NULL,
                                     .unchanged = ok && ps->unchanged};
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    double now_s = (double)now.tv_sec;
    enum gp_qs qs = n ? gp_index_store_answers(c, sc->cc, now_s, p->cpr.digits, answers, n, refused)
                      : GP_QS_NO_RESULTS;
    /* An unchanged answer the index no longer vouches for (a sync or another press stored for
     * the citizen since this press began): parsed now and stored in full, in this transaction.
     * The transaction may run this again: a list parsed once is kept. */
    size_t nagain = 0;
    for (size_t a = 0; qs >= 0 && a < n; a++) {
        if (!refused[a])
            continue;
        size_t i = result_of[a];
        struct gp_press_source *ps = source_of(p, p->fanout.results[i].source_id);
        if (ps->unchanged) {
            ps->unchanged = false;
            parse_answer(sc->f, p, ps, &p->fanout.results[i], &p->parsed[i]);
        }
        bool ok = is_ok(ps);
        answers[a].status = ps->status;
        answers[a].error = ps->error;
        answers[a].records = ok ? &p->parsed[i] : NULL;
        answers[a].complete = ok;
        answers[a].digest = ok && ps->digest[0] ? ps->digest : NULL;
        answers[a].unchanged = false;
        answers[nagain++] = answers[a];
    }
    if (qs >= 0 && nagain)
        qs = gp_index_store_answers(c, sc->cc, now_s, p->cpr.digits, answers, nagain, NULL);
    free(answers);
    free(result_of);
    free(refused);
    return qs < 0 ? qs : GP_QS_ONE_RESULT;
}

static enum gp_qs read_and_audit(struct gp_db_conn *c, struct store_call *sc)
{
    struct gp_press *p = sc->p;
    /* The transaction may run again: start from nothing. */
    gp_source_fetch_list_free(&sc->fetches);
    gp_indexed_list_free(&p->records);
    /* Both reads in one round trip. */
    struct gp_db_batch_item items[2];
    gp_index_read_fetches_item(&items[0], p->cpr.digits, &sc->fetches);
    gp_index_read_all_item(&items[1], p->cpr.digits, &p->records);
    enum gp_qs qs = gp_db_exec_batch(c, items, 2);
    if (qs < 0)
        return qs;
    /* What the answer will show, decided by the same pure policy the route applies. */
    unsigned levels = 0;
    bool override_used = false;
    for (size_t i = 0; i < p->records.n; i++) {
        struct gp_policy_decision d = gp_press_decide(p, &p->records.items[i]);
        levels |= 1u << gp_policy_project(d.level, p->records.items[i].rec.kind).level;
        override_used |= d.override_used;
    }
    gp_audit_set_visibility(sc->audit, levels);
    sc->audit->override_used = override_used;
    /* Last: the row goes with the COMMIT (one round trip less). */
    enum gp_qs aqs = gp_audit_append(c, sc->audit, NULL);
    return aqs < 0 ? aqs : qs;
}

static enum gp_qs run_store(struct gp_db_conn *c, void *cls)
{
    struct store_call *sc = cls;
    if (sc->p->fanout.n) {
        enum gp_qs qs = store_answers(c, sc);
        if (qs < 0)
            return qs;
    }
    return read_and_audit(c, sc);
}

/* Marks each source's state in the answer from what the index knows of it. */
static void apply_freshness(struct gp_press *p, const struct gp_source_fetch_list *fetches,
                            int ttl_s)
{
    for (size_t k = 0; k < p->n; k++) {
        struct gp_press_source *ps = &p->sources[k];
        if (ps->blocked)
            continue; /* nothing of it is shown: neither its freshness */
        const struct gp_source_fetch *f = gp_source_fetch_find(fetches, ps->src.id);
        ps->age_s = f ? f->ok_age_s : -1;
        ps->fetched_at[0] = '\0';
        if (f && f->last_ok_at[0])
            gp_rec_set(ps->fetched_at, sizeof ps->fetched_at, f->last_ok_at);
        bool fresh = f && f->ok_age_s >= 0 && f->ok_age_s <= ttl_s;
        if (ps->planned) {
            /* A source that failed now (or whose circuit is open): the index's older answer
             * is shown, marked stale. */
            ps->stale = !is_ok(ps) && ps->age_s >= 0;
        } else if (fresh) {
            snprintf(ps->status, sizeof ps->status, "ok");
            ps->stale = false;
        } else {
            snprintf(ps->status, sizeof ps->status, "stale");
            ps->stale = true;
            if (!f)
                snprintf(ps->error, sizeof ps->error, "never fetched for this citizen");
        }
    }
}

enum gp_qs gp_press_store(struct gp_db_pool *pool, struct gp_classcache *cc, struct gp_federate *f,
                          struct gp_press *p, const struct gp_press_settings *s,
                          struct gp_audit_entry *audit)
{
    if (!p->parsed)
        gp_press_parse(p, s, f);
    for (size_t k = 0; k < p->n; k++) {
        const struct gp_press_source *ps = &p->sources[k];
        if (ps->asked && audit->n_sources_asked < GP_AUDIT_MAX_SOURCES)
            snprintf(audit->sources_asked[audit->n_sources_asked++], 64, "%s", ps->src.id);
        if (ps->asked && is_ok(ps) && audit->n_sources_answered < GP_AUDIT_MAX_SOURCES)
            snprintf(audit->sources_answered[audit->n_sources_answered++], 64, "%s", ps->src.id);
    }
    /* The one place every read of a citizen's records passes. Storing the answers, reading the
     * citizen's records back and writing the read's audit row are one transaction: the audit
     * row commits with the read it records, and a press costs one commit, not two. */
    struct store_call sc = {.cc = cc, .f = f, .p = p, .audit = audit};
    enum gp_qs qs = gp_db_tx(pool, "press", GP_DB_READ_COMMITTED, run_store, &sc);
    free_parsed(p);
    if (qs >= 0)
        apply_freshness(p, &sc.fetches, s->index_ttl_s);
    gp_source_fetch_list_free(&sc.fetches);
    return qs;
}

struct gp_policy_decision gp_press_decide(const struct gp_press *p, const struct gp_indexed *x)
{
    struct gp_policy_record pr = {x->department,       x->area,       x->case_type,
                                  x->cross_department, x->rec.status, x->withheld_from_citizen};
    return gp_policy_evaluate(&p->caller, p->policy, &pr);
}

bool gp_press_source_stale(const struct gp_press *p, const char *source_id)
{
    for (size_t k = 0; k < p->n; k++) {
        if (!strcmp(p->sources[k].src.id, source_id))
            return p->sources[k].stale;
    }
    return true;
}

struct gp_press_outcome gp_press_outcome(const struct gp_press *p)
{
    struct gp_press_outcome o = {0, 0, "complete"};
    for (size_t k = 0; k < p->n; k++) {
        const struct gp_press_source *ps = &p->sources[k];
        o.asked += !ps->blocked;
        o.answered += !ps->blocked && is_ok(ps);
    }
    o.status = o.answered == o.asked ? "complete" : o.answered == 0 ? "failed" : "partial";
    return o;
}
