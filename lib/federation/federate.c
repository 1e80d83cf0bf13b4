/* The fan-out engine (contract in lib/federate.h).
 *
 * Threads and ownership:
 * - One engine thread owns the CURLM handle, the easy handles and every running fan-out's
 *   results. Done callbacks run on it, with no lock held, so they may call gp_federate_start(),
 *   gp_federate_health() or gp_federate_report_failure().
 * - `lock` guards what callers touch: the queue of new fan-outs, the list of joinable fan-outs
 *   (single flight), each fan-out's waiters and the stopping flag. gp_federate_start() queues
 *   and pokes the engine with curl_multi_wakeup() while holding it, so destroy can never free
 *   the multi handle under a late wake-up.
 * - `stats_lock` guards the per-source circuits and health figures, which the engine writes
 *   and other threads read (gp_federate_health) or write (gp_federate_report_failure).
 *
 * Connections are reused through the multi handle's connection cache: an easy handle is made
 * per request and cleaned up after it, but the connection it used stays in the multi handle's
 * cache (up to MAX_CONNECTS) for the next request to that host. */
#include "lib/federation/federate.h"
#include "lib/federation/federate_internal.h"
#include "lib/federation/http_get.h"
#include "lib/federation/sources.h"

#include "lib/core/alloc.h"
#include "lib/core/buf.h"
#include "lib/core/cpr.h"
#include "lib/core/log.h"

#include <curl/curl.h>
#include <inttypes.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#define DEFAULT_MAX_BODY_BYTES   ((size_t)8 << 20)
#define DEFAULT_BREAKER_FAILURES 5
#define DEFAULT_BREAKER_OPEN_MS  10000
#define MAX_CONNECTS             256
#define LATENCY_RING             256
#define MAX_SPARE_EASY           256
/* With nothing due, the engine still wakes now and then; it costs nothing and bounds the damage
 * of a lost wake-up. */
#define IDLE_POLL_MS 1000

/* ---- names ------------------------------------------------------------------------------ */

const char *gp_fetch_status_name(enum gp_fetch_status s)
{
    switch (s) {
    case GP_FETCH_OK:
        return "ok";
    case GP_FETCH_TIMEOUT:
        return "timeout";
    case GP_FETCH_ERROR:
        return "error";
    case GP_FETCH_UNAVAILABLE:
        return "unavailable";
    case GP_FETCH_CIRCUIT_OPEN:
        return "circuit_open";
    }
    return "unknown";
}

const char *gp_circuit_state_name(enum gp_circuit_state s)
{
    switch (s) {
    case GP_CIRCUIT_CLOSED:
        return "closed";
    case GP_CIRCUIT_OPEN:
        return "open";
    case GP_CIRCUIT_HALF_OPEN:
        return "half_open";
    }
    return "unknown";
}

/* ---- the circuit breaker (pure) --------------------------------------------------------- */

static void breaker_open(struct gp_breaker *b, int64_t now_ms)
{
    b->state = GP_CIRCUIT_OPEN;
    b->opened_at_ms = now_ms;
    b->probe_in_flight = false;
}

enum gp_breaker_verdict gp_breaker_admit(struct gp_breaker *b, int open_ms, int64_t now_ms,
                                         char *why, size_t why_len)
{
    if (b->state == GP_CIRCUIT_CLOSED)
        return GP_BREAKER_SEND;
    if (b->state == GP_CIRCUIT_OPEN) {
        int64_t left = b->opened_at_ms + open_ms - now_ms;
        if (left <= 0) {
            b->state = GP_CIRCUIT_HALF_OPEN;
            b->probe_in_flight = true;
            return GP_BREAKER_PROBE;
        }
        snprintf(why, why_len,
                 "circuit open after %d consecutive failures; next probe in %" PRId64 " ms",
                 b->consecutive_failures, left);
        return GP_BREAKER_REJECT;
    }
    /* Half-open: only one probe at a time, so a source that is barely up is not flooded. */
    if (!b->probe_in_flight) {
        b->probe_in_flight = true;
        return GP_BREAKER_PROBE;
    }
    snprintf(why, why_len, "circuit open after %d consecutive failures; probe in flight",
             b->consecutive_failures);
    return GP_BREAKER_REJECT;
}

bool gp_breaker_record(struct gp_breaker *b, int threshold, bool ok, bool probe, int64_t now_ms)
{
    if (probe && b->state == GP_CIRCUIT_HALF_OPEN && b->probe_in_flight) {
        b->probe_in_flight = false;
        if (ok) {
            b->state = GP_CIRCUIT_CLOSED;
            b->consecutive_failures = 0;
        } else {
            b->consecutive_failures++;
            breaker_open(b, now_ms);
        }
        return true;
    }
    if (b->state != GP_CIRCUIT_CLOSED) {
        /* A late answer to a request sent before the circuit opened: the probe alone decides
         * when to close, but a failure is still a failure. */
        if (!ok)
            b->consecutive_failures++;
        return false;
    }
    if (ok) {
        b->consecutive_failures = 0;
        return false;
    }
    b->consecutive_failures++;
    if (b->consecutive_failures < threshold)
        return false;
    breaker_open(b, now_ms);
    return true;
}

bool gp_breaker_report_failure(struct gp_breaker *b, int threshold, int64_t now_ms)
{
    if (b->state == GP_CIRCUIT_HALF_OPEN) {
        b->consecutive_failures++;
        breaker_open(b, now_ms);
        return true;
    }
    return gp_breaker_record(b, threshold, false, false, now_ms);
}

/* ---- percentiles, time (pure) ------------------------------------------------------------ */

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

double gp_federate_percentile(double *samples, size_t n, double p)
{
    if (n == 0)
        return 0;
    qsort(samples, n, sizeof *samples, cmp_double);
    /* Nearest rank: the smallest sample with at least p% of the samples at or below it. p * n
     * first, so that whole results (95 * 20 / 100) stay exact. */
    double rank = ceil(p * (double)n / 100.0);
    if (rank < 1)
        rank = 1;
    if (rank > (double)n)
        rank = (double)n;
    return samples[(size_t)rank - 1];
}

void gp_federate_iso8601(const struct timespec *ts, char out[32])
{
    struct tm tm;
    time_t sec = ts->tv_sec;
    gmtime_r(&sec, &tm);
    size_t n = strftime(out, 32, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(out + n, 32 - n, ".%03ldZ", (long)(ts->tv_nsec / 1000000L));
}

bool gp_warn_gate_pass(struct gp_warn_gate *g, int64_t now_ms, int interval_ms,
                       unsigned long *skipped)
{
    *skipped = 0;
    if (g->any && now_ms - g->last_ms < interval_ms) {
        g->suppressed++;
        return false;
    }
    *skipped = g->suppressed;
    g->suppressed = 0;
    g->any = true;
    g->last_ms = now_ms;
    return true;
}

/* ---- the engine's state ------------------------------------------------------------------ */

/* Circuit and figures of one source id; guarded by stats_lock. Sources are few (one per
 * configured department system), so a list is enough. */
struct source {
    char id[64];
    struct gp_breaker breaker;
    unsigned long requests, failures;
    double latency[LATENCY_RING]; /* ring of the last answered requests' latencies */
    size_t latency_n, latency_next;
    char last_status[16];
    char last_error[256];
    char last_at[32];
    struct gp_warn_gate warn; /* failed fetches logged at most once per interval */
    struct source *next;
};

/* A caller waiting for a fan-out: the one that started it and those that joined it. */
struct waiter {
    gp_fanout_done_fn done;
    void *cls;
    int64_t deadline_us; /* a joiner whose deadline comes first is answered on its own time */
    int deadline_ms;
    bool joined;
    struct waiter *next;
};

/* What libcurl's private pointer of an easy handle points to: a leg of a request or its
 * OAuth 2.0 token request (the first member of both). */
enum xfer_kind { X_LEG = 1, X_TOKEN };

/* One leg of a request: a URL and the pages that follow from it (lib/federation/federate.h). */
struct leg {
    enum xfer_kind what; /* X_LEG */
    struct fetch *ft;
    struct gp_http_get get; /* get.easy non-NULL while the leg has a handle */
    bool in_multi;          /* its handle is in the multi handle */
    char *url;              /* the page under way */
    struct gp_buf pages;    /* its pages so far */
    size_t npages;
    size_t page_len[GP_FETCH_MAX_PAGES];
    unsigned gen; /* the generation of the OAuth 2.0 token it was sent with */
    bool parked;  /* waiting for the request's token */
    bool done;
};

struct token_xfer {
    enum xfer_kind what; /* X_TOKEN */
    struct fetch *ft;
    struct gp_http_get get;
};

/* One request of a fan-out, on the engine thread. */
struct fetch {
    struct fanout *fo;
    size_t idx;
    struct leg *legs[GP_FETCH_MAX_LEGS];
    size_t nlegs, open_legs;
    struct token_xfer *token; /* the token request under way, NULL none */
    char *bearer;             /* OAuth 2.0: the access token in use, NULL none */
    unsigned gen;             /* bumped with every new bearer */
    bool refreshed;           /* a 401 made it fetch a fresh token (once per request) */
    size_t npages, bytes;     /* over all legs */
    char content_type[128];   /* of its pages: the first, or the first that differs */
    bool mixed_types;
    bool sent;
    bool probe; /* the circuit let it through as its half-open probe */
    bool finished;
    int64_t sent_us;
};

struct fanout {
    char *key; /* NULL: never joined */
    char rid[65];
    size_t n, pending;
    struct gp_fetch_request *reqs;
    struct gp_fetch_result *results;
    struct fetch *fetches;
    int64_t deadline_us;
    int deadline_ms;
    struct waiter *waiters;      /* lock; the originator first, never empty until done */
    struct fanout *next_queued;  /* lock: the queue of new fan-outs */
    struct fanout *next_keyed;   /* lock: fan-outs that may be joined */
    struct fanout *next_running; /* engine thread only */
};

struct gp_federate {
    size_t max_body_bytes;
    int breaker_failures;
    int breaker_open_ms;
    CURLM *multi;
    pthread_t thread;

    pthread_mutex_t lock;
    struct fanout *queue_head, *queue_tail;
    struct fanout *keyed;
    bool stopping;

    struct fanout *running; /* engine thread only */
    /* Easy handles of finished transfers, reset and kept for the next ones (engine thread
     * only): making one per request cost a large calloc and free each time. */
    CURL *spare[MAX_SPARE_EASY];
    size_t nspare;

    pthread_mutex_t stats_lock;
    struct source *sources;

    atomic_ulong sent;
};

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void now_iso(char out[32])
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    gp_federate_iso8601(&ts, out);
}

/* ---- per-source figures ------------------------------------------------------------------ */

/* stats_lock held. */
static struct source *source_find(struct gp_federate *f, const char *id)
{
    for (struct source *s = f->sources; s; s = s->next) {
        if (strcmp(s->id, id) == 0)
            return s;
    }
    return NULL;
}

/* stats_lock held. */
static struct source *source_get(struct gp_federate *f, const char *id)
{
    struct source *s = source_find(f, id);
    if (s)
        return s;
    s = gp_xcalloc(1, sizeof *s);
    snprintf(s->id, sizeof s->id, "%s", id);
    s->next = f->sources;
    f->sources = s;
    return s;
}

static void log_circuit(const char *id, const struct gp_breaker *b)
{
    if (b->state == GP_CIRCUIT_CLOSED)
        GP_LOG_INFO("source %s: circuit closed", id);
    else if (b->state == GP_CIRCUIT_HALF_OPEN)
        GP_LOG_INFO("source %s: circuit half-open, sending a probe", id);
    else
        GP_LOG_WARN("source %s: circuit open after %d consecutive failures", id,
                    b->consecutive_failures);
}

static enum gp_breaker_verdict source_admit(struct gp_federate *f, const char *id, char *why,
                                            size_t why_len)
{
    pthread_mutex_lock(&f->stats_lock);
    struct source *s = source_get(f, id);
    enum gp_breaker_verdict v =
        gp_breaker_admit(&s->breaker, f->breaker_open_ms, mono_us() / 1000, why, why_len);
    struct gp_breaker seen = s->breaker;
    pthread_mutex_unlock(&f->stats_lock);
    if (v == GP_BREAKER_PROBE)
        log_circuit(id, &seen);
    return v;
}

/* Counts one settled request: figures always, the circuit only for requests actually sent. */
static void source_account(struct gp_federate *f, const struct fetch *ft,
                           const struct gp_fetch_result *r)
{
    bool ok = r->status == GP_FETCH_OK;
    bool changed = false;
    pthread_mutex_lock(&f->stats_lock);
    struct source *s = source_get(f, r->source_id);
    s->requests++;
    if (ft->sent) {
        if (!ok)
            s->failures++;
        changed =
            gp_breaker_record(&s->breaker, f->breaker_failures, ok, ft->probe, mono_us() / 1000);
    }
    /* Latency figures describe how fast the source answers, so only requests it answered. */
    if (ok || (r->status == GP_FETCH_ERROR && r->http_status > 0)) {
        s->latency[s->latency_next] = r->latency_ms;
        s->latency_next = (s->latency_next + 1) % LATENCY_RING;
        if (s->latency_n < LATENCY_RING)
            s->latency_n++;
    }
    snprintf(s->last_status, sizeof s->last_status, "%s", gp_fetch_status_name(r->status));
    snprintf(s->last_error, sizeof s->last_error, "%s", r->error);
    now_iso(s->last_at);
    struct gp_breaker seen = s->breaker;
    pthread_mutex_unlock(&f->stats_lock);
    if (changed)
        log_circuit(r->source_id, &seen);
}

/* ---- one request ------------------------------------------------------------------------- */

/* The request's first URL for a log line: the CPR masked, user information (a source written
 * before credentials were configured apart) masked, nothing after its line. */
static void shown_url(const struct gp_fetch_request *rq, char *out, size_t len)
{
    char first[sizeof rq->url];
    snprintf(first, sizeof first, "%.*s", (int)strcspn(rq->url, "\r\n"), rq->url);
    gp_source_url_shown(first, out, len);
    gp_cpr_mask_in_place(out);
}

/* Logs a failure of source_id at warning level, at most once per interval per source. */
static void warn_failure(struct gp_federate *f, const char *rid, const char *source_id,
                         const char *status, const char *error, double latency_ms, const char *url)
{
    pthread_mutex_lock(&f->stats_lock);
    unsigned long skipped = 0;
    bool pass = gp_warn_gate_pass(&source_get(f, source_id)->warn, mono_us() / 1000,
                                  GP_FEDERATE_WARN_INTERVAL_MS, &skipped);
    pthread_mutex_unlock(&f->stats_lock);
    if (!pass)
        return;
    char more[96] = "";
    if (skipped)
        snprintf(more, sizeof more, " (%lu more failures since the last report)", skipped);
    gp_log_set_request_id(rid && rid[0] ? rid : NULL);
    if (url)
        GP_LOG_WARN("source %s: %s (%s) after %.0f ms%s: %s", source_id, status, error, latency_ms,
                    more, url);
    else
        GP_LOG_WARN("source %s: %s (%s)%s", source_id, status, error, more);
    gp_log_set_request_id(NULL);
}

/* Logs a settled request that failed, without leaking the CPR that its URL carries. */
static void log_fetch(struct gp_federate *f, const struct fanout *fo, const struct fetch *ft)
{
    const struct gp_fetch_result *r = &fo->results[ft->idx];
    if (r->status == GP_FETCH_OK || r->status == GP_FETCH_CIRCUIT_OPEN)
        return;
    char url[sizeof fo->reqs[0].url];
    shown_url(&fo->reqs[ft->idx], url, sizeof url);
    warn_failure(f, fo->rid, r->source_id, gp_fetch_status_name(r->status), r->error, r->latency_ms,
                 url);
}

/* Hands an easy handle back: to the spares, or cleaned up. */
static void easy_return(struct gp_federate *f, CURL *easy)
{
    if (easy && f->nspare < MAX_SPARE_EASY) {
        curl_easy_reset(easy); /* every option back to its default */
        f->spare[f->nspare++] = easy;
    } else if (easy) {
        curl_easy_cleanup(easy);
    }
}

static void leg_free(struct gp_federate *f, struct leg *l)
{
    if (!l)
        return;
    if (l->in_multi)
        curl_multi_remove_handle(f->multi, l->get.easy);
    easy_return(f, gp_http_get_release(&l->get));
    gp_buf_free(&l->pages);
    free(l->url);
    free(l);
}

static void token_free(struct gp_federate *f, struct token_xfer *t)
{
    if (!t)
        return;
    if (t->get.easy)
        curl_multi_remove_handle(f->multi, t->get.easy);
    easy_return(f, gp_http_get_release(&t->get));
    free(t);
}

/* Takes the request's transfers out of the multi handle and frees them. */
static void fetch_release(struct gp_federate *f, struct fetch *ft)
{
    for (size_t i = 0; i < ft->nlegs; i++) {
        leg_free(f, ft->legs[i]);
        ft->legs[i] = NULL;
    }
    ft->nlegs = ft->open_legs = 0;
    token_free(f, ft->token);
    ft->token = NULL;
    if (ft->bearer) {
        explicit_bzero(ft->bearer, strlen(ft->bearer));
        free(ft->bearer);
        ft->bearer = NULL;
    }
    ft->finished = true;
    ft->fo->pending--;
}

/* What is left of the request's time: of its own timeout (counted from its first send) and of
 * the fan-out's deadline. *deadline_bound says which is shorter. */
static long time_left_ms(const struct fetch *ft, bool *deadline_bound)
{
    const struct fanout *fo = ft->fo;
    const struct gp_fetch_request *rq = &fo->reqs[ft->idx];
    int64_t now = mono_us();
    long limit_ms = (long)((fo->deadline_us - now) / 1000);
    *deadline_bound = true;
    if (rq->timeout_ms > 0) {
        long left = rq->timeout_ms - (long)((now - ft->sent_us) / 1000);
        if (left < limit_ms) {
            limit_ms = left;
            *deadline_bound = false;
        }
    }
    return limit_ms;
}

/* Settles the request: its result is already filled in; accounting and logging. */
static void fetch_settle(struct gp_federate *f, struct fetch *ft)
{
    struct fanout *fo = ft->fo;
    struct gp_fetch_result *r = &fo->results[ft->idx];
    r->latency_ms = ft->sent ? (double)(mono_us() - ft->sent_us) / 1000.0 : 0;
    now_iso(r->fetched_at);
    if (!r->body)
        r->body = gp_xstrdup("");
    fetch_release(f, ft);
    log_fetch(f, fo, ft);
    source_account(f, ft, r);
}

/* The request failed: status, error and (the failing page's) body. */
static void fetch_fail(struct gp_federate *f, struct fetch *ft, enum gp_fetch_status status,
                       const char *error, const struct gp_http_get *g)
{
    struct gp_fetch_result *r = &ft->fo->results[ft->idx];
    r->status = status;
    snprintf(r->error, sizeof r->error, "%s", error);
    gp_cpr_mask_in_place(r->error);
    if (g) {
        r->http_status = g->http_status;
        snprintf(r->content_type, sizeof r->content_type, "%s", g->content_type);
        if (!g->too_large && g->body.data) {
            free(r->body);
            r->body = gp_xstrndup(g->body.data, g->body.len);
            r->body_len = g->body.len;
        }
    }
    fetch_settle(f, ft);
}

/* Every leg has ended: the answer is its legs' pages, in order. */
static void fetch_complete(struct gp_federate *f, struct fetch *ft)
{
    struct gp_fetch_result *r = &ft->fo->results[ft->idx];
    struct gp_buf all = {0};
    size_t k = 0;
    for (size_t i = 0; i < ft->nlegs; i++) {
        struct leg *l = ft->legs[i];
        for (size_t p = 0; p < l->npages; p++)
            r->page_len[k++] = l->page_len[p];
        gp_buf_append(&all, l->pages.data ? l->pages.data : "", l->pages.len);
    }
    r->status = GP_FETCH_OK;
    r->error[0] = '\0';
    r->http_status = ft->legs[0]->get.http_status;
    r->npages = k;
    snprintf(r->content_type, sizeof r->content_type, "%s", ft->content_type);
    gp_buf_append(&all, "", 0); /* NUL-terminated, also when empty */
    free(r->body);
    r->body = gp_buf_steal(&all, &r->body_len);
    fetch_settle(f, ft);
}

static void token_start(struct gp_federate *f, struct fetch *ft);

/* Sends (or sends on) leg l: its url, within what is left of the request's time. False when it
 * cannot be sent; the request has then failed (settled). */
static bool leg_send(struct gp_federate *f, struct leg *l)
{
    struct fetch *ft = l->ft;
    const struct gp_fetch_request *rq = &ft->fo->reqs[ft->idx];
    bool deadline_bound;
    long limit_ms = time_left_ms(ft, &deadline_bound);
    char why[256];
    if (limit_ms < 1) {
        snprintf(why, sizeof why, "no time left for page %zu", ft->npages + 1);
        fetch_fail(f, ft, GP_FETCH_TIMEOUT, why, NULL);
        return false;
    }
    size_t room = f->max_body_bytes - ft->bytes;
    if (l->get.easy) { /* a next page on the same handle (and connection) */
        if (l->in_multi)
            curl_multi_remove_handle(f->multi, l->get.easy);
        l->in_multi = false;
        gp_http_get_url(&l->get, l->url, limit_ms, room);
        l->get.terms.deadline_bound = deadline_bound;
        if (ft->bearer && l->gen != ft->gen && !gp_http_get_bearer(&l->get, ft->bearer)) {
            fetch_fail(f, ft, GP_FETCH_ERROR, "credentials: the access token is not usable", NULL);
            return false;
        }
    } else {
        struct gp_http_get_opts o = {
            .url = l->url,
            .accept = rq->accept,
            .prefer = rq->prefer,
            .user_agent = "glasplade-federate",
            .auth = rq->auth.kind == GP_AUTH_NONE && !rq->auth.ca_file[0] && !rq->auth.cert_file[0]
                        ? NULL
                        : &rq->auth,
            .oauth2_token = ft->bearer,
            .limit_ms = limit_ms,
            .max_body = room,
            .private_data = l,
            .terms = {.timeout_ms = rq->timeout_ms,
                      .deadline_bound = deadline_bound,
                      .deadline_ms = ft->fo->deadline_ms,
                      .not_found_is_answer = rq->not_found_is_answer,
                      .body_limit = f->max_body_bytes},
        };
        if (!gp_http_get_setup(&l->get, f->nspare ? f->spare[--f->nspare] : NULL, &o)) {
            snprintf(why, sizeof why, "%s", l->get.error);
            fetch_fail(f, ft, GP_FETCH_ERROR, why, NULL);
            return false;
        }
    }
    l->gen = ft->gen;
    if (curl_multi_add_handle(f->multi, l->get.easy) != CURLM_OK) {
        fetch_fail(f, ft, GP_FETCH_ERROR, "could not start a transfer", NULL);
        return false;
    }
    l->in_multi = true;
    l->parked = false;
    atomic_fetch_add(&f->sent, 1);
    return true;
}

/* A new leg of ft for url (copied up to its line end). False when it cannot be added (too many;
 * the request has then failed). */
static struct leg *leg_add(struct gp_federate *f, struct fetch *ft, const char *url, size_t len)
{
    if (ft->nlegs == GP_FETCH_MAX_LEGS) {
        char why[96];
        snprintf(why, sizeof why, "the answer needs more than %d searches", GP_FETCH_MAX_LEGS);
        fetch_fail(f, ft, GP_FETCH_ERROR, why, NULL);
        return NULL;
    }
    struct leg *l = gp_xcalloc(1, sizeof *l);
    l->what = X_LEG;
    l->ft = ft;
    l->url = gp_xstrndup(url, len);
    ft->legs[ft->nlegs++] = l;
    ft->open_legs++;
    return l;
}

/* Sends l now, or parks it until the request's OAuth 2.0 token is there. */
static bool leg_go(struct gp_federate *f, struct leg *l)
{
    struct fetch *ft = l->ft;
    if (ft->fo->reqs[ft->idx].auth.kind == GP_AUTH_OAUTH2_CC && !ft->bearer) {
        l->parked = true;
        if (!ft->token)
            token_start(f, ft);
        return !ft->finished;
    }
    return leg_send(f, l);
}

/* The media type of a content type (up to ';', blanks trimmed) has the same length and text. */
static bool same_media(const char *a, const char *b)
{
    size_t na = strcspn(a, "; "), nb = strcspn(b, "; ");
    return na == nb && !strncasecmp(a, b, na);
}

/* A page of leg l arrived OK: kept, and what the adapter says comes next is asked for. */
static void leg_page(struct gp_federate *f, struct leg *l)
{
    struct fetch *ft = l->ft;
    const struct gp_fetch_request *rq = &ft->fo->reqs[ft->idx];
    const struct gp_buf *body = &l->get.body;
    char why[256];
    if (ft->npages == GP_FETCH_MAX_PAGES) {
        snprintf(why, sizeof why, "the answer has more than %d pages", GP_FETCH_MAX_PAGES);
        fetch_fail(f, ft, GP_FETCH_ERROR, why, NULL);
        return;
    }
    /* The answer's media type is its first page's, unless a page differs: then that one's
     * (the press refuses an answer that is not all JSON). */
    if (ft->npages == 0) {
        snprintf(ft->content_type, sizeof ft->content_type, "%s", l->get.content_type);
    } else if (!ft->mixed_types && !same_media(ft->content_type, l->get.content_type)) {
        snprintf(ft->content_type, sizeof ft->content_type, "%s",
                 l->get.content_type[0] ? l->get.content_type : "(none)");
        ft->mixed_types = true;
    }
    l->page_len[l->npages++] = body->len;
    ft->npages++;
    ft->bytes += body->len;
    gp_buf_append(&l->pages, body->data, body->len);
    int n = 0;
    char *next = NULL;
    if (rq->next_page) {
        size_t cap = GP_FETCH_MAX_LEGS * GP_FETCH_URL_MAX;
        next = gp_xcalloc(1, cap);
        n = rq->next_page(rq->next_arg, l->url, body->data, body->len, next, cap);
        if (n < 0) {
            snprintf(why, sizeof why, "%.250s", next);
            free(next);
            fetch_fail(f, ft, GP_FETCH_ERROR, why, NULL);
            return;
        }
    }
    l->get.body.len = 0;
    if (ft->bytes > f->max_body_bytes) {
        free(next);
        snprintf(why, sizeof why, "response too large (over %zu bytes)", f->max_body_bytes);
        fetch_fail(f, ft, GP_FETCH_ERROR, why, NULL);
        return;
    }
    struct leg *go[GP_FETCH_MAX_LEGS];
    size_t ngo = 0;
    const char *p = next;
    for (int i = 0; i < n && p && *p; i++) {
        size_t len = strcspn(p, "\n");
        if (len == 0 || len >= GP_FETCH_URL_MAX)
            break;
        struct leg *target = l;
        if (i == 0) {
            free(l->url);
            l->url = gp_xstrndup(p, len);
        } else if (!(target = leg_add(f, ft, p, len))) {
            free(next);
            return;
        }
        go[ngo++] = target;
        p += len;
        if (*p == '\n')
            p++;
    }
    free(next);
    /* Every leg under way, and every follow-up, brings at least one more page. */
    if (ngo > 0 && ft->npages + (ft->open_legs - 1) + ngo > GP_FETCH_MAX_PAGES) {
        snprintf(why, sizeof why, "the answer has more than %d pages", GP_FETCH_MAX_PAGES);
        fetch_fail(f, ft, GP_FETCH_ERROR, why, NULL);
        return;
    }
    if (ngo == 0) {
        l->done = true;
        if (--ft->open_legs == 0)
            fetch_complete(f, ft);
        return;
    }
    for (size_t i = 0; i < ngo; i++) {
        if (!leg_go(f, go[i]))
            return; /* the request has failed */
    }
}

/* A 401 on a leg of an OAuth 2.0 source: the token is no good (revoked, expired early). The
 * first one makes the request fetch a fresh token and send its legs again; a leg that was
 * sent with an older token than the request has now is simply sent again. True when the leg
 * goes on. */
static bool leg_unauthorised(struct gp_federate *f, struct leg *l)
{
    struct fetch *ft = l->ft;
    const struct gp_fetch_request *rq = &ft->fo->reqs[ft->idx];
    if (rq->auth.kind != GP_AUTH_OAUTH2_CC)
        return false;
    if (l->in_multi)
        curl_multi_remove_handle(f->multi, l->get.easy);
    l->in_multi = false;
    if (ft->bearer && l->gen != ft->gen) {
        leg_send(f, l); /* on failure the request is settled */
        return true;
    }
    if (ft->refreshed && !ft->token)
        return false;
    if (!ft->refreshed) {
        char secret[1024], why[200];
        if (ft->bearer && gp_secret_read(rq->auth.secret, secret, sizeof secret, why, sizeof why))
            gp_oauth2_cache_forget(&rq->auth, secret, ft->bearer);
        explicit_bzero(secret, sizeof secret);
        ft->refreshed = true;
        if (ft->bearer) {
            explicit_bzero(ft->bearer, strlen(ft->bearer));
            free(ft->bearer);
            ft->bearer = NULL;
        }
    }
    l->parked = true;
    if (!ft->token)
        token_start(f, ft);
    return true;
}

/* A leg's transfer ended with code. */
static void leg_finish(struct gp_federate *f, struct leg *l, CURLcode code)
{
    struct fetch *ft = l->ft;
    enum gp_fetch_status st = gp_http_get_end(&l->get, code);
    if (st == GP_FETCH_OK) {
        leg_page(f, l);
        return;
    }
    if (st == GP_FETCH_ERROR && l->get.http_status == 401 && leg_unauthorised(f, l))
        return;
    char why[256];
    snprintf(why, sizeof why, "%s", l->get.error);
    fetch_fail(f, ft, st, why, &l->get);
}

static double mono_s(void)
{
    return (double)mono_us() / 1e6;
}

/* Asks the token endpoint for the request's OAuth 2.0 token (or takes it from the cache). */
static void token_start(struct gp_federate *f, struct fetch *ft)
{
    const struct gp_fetch_request *rq = &ft->fo->reqs[ft->idx];
    char secret[1024], why[256];
    if (!gp_secret_read(rq->auth.secret, secret, sizeof secret, why, sizeof why)) {
        fetch_fail(f, ft, GP_FETCH_ERROR, why, NULL);
        return;
    }
    char token[GP_OAUTH2_MAX_TOKEN];
    bool cached =
        !ft->refreshed && gp_oauth2_cache_get(&rq->auth, secret, mono_s(), token, sizeof token);
    explicit_bzero(secret, sizeof secret);
    if (cached) {
        ft->bearer = gp_xstrdup(token);
        explicit_bzero(token, sizeof token);
        ft->gen++;
        for (size_t i = 0; i < ft->nlegs && !ft->finished; i++) {
            if (ft->legs[i]->parked)
                leg_send(f, ft->legs[i]);
        }
        return;
    }
    bool deadline_bound;
    long limit_ms = time_left_ms(ft, &deadline_bound);
    if (limit_ms < 1) {
        fetch_fail(f, ft, GP_FETCH_TIMEOUT, "no time left for the OAuth 2.0 token request", NULL);
        return;
    }
    struct token_xfer *t = gp_xcalloc(1, sizeof *t);
    t->what = X_TOKEN;
    t->ft = ft;
    ft->token = t;
    if (!gp_http_token_setup(&t->get, f->nspare ? f->spare[--f->nspare] : NULL, &rq->auth, limit_ms,
                             t)) {
        snprintf(why, sizeof why, "OAuth 2.0 token request: %.200s", t->get.error);
        fetch_fail(f, ft, GP_FETCH_ERROR, why, NULL);
        return;
    }
    if (curl_multi_add_handle(f->multi, t->get.easy) != CURLM_OK) {
        fetch_fail(f, ft, GP_FETCH_ERROR, "could not start the OAuth 2.0 token request", NULL);
        return;
    }
    atomic_fetch_add(&f->sent, 1);
}

/* The token request ended with code: the parked legs go with the new token, or the request
 * fails with why there is none. */
static void token_finish(struct gp_federate *f, struct token_xfer *t, CURLcode code)
{
    struct fetch *ft = t->ft;
    const struct gp_fetch_request *rq = &ft->fo->reqs[ft->idx];
    gp_http_get_end(&t->get, code);
    char token[GP_OAUTH2_MAX_TOKEN];
    bool ok = gp_http_token_take(&t->get, &rq->auth, mono_s(), token, sizeof token);
    if (!ok) {
        char why[256];
        snprintf(why, sizeof why, "%s", t->get.error);
        enum gp_fetch_status st = t->get.status == GP_FETCH_OK ? GP_FETCH_ERROR : t->get.status;
        fetch_fail(f, ft, st, why, NULL);
        return;
    }
    ft->token = NULL;
    token_free(f, t);
    ft->bearer = gp_xstrdup(token);
    explicit_bzero(token, sizeof token);
    ft->gen++;
    for (size_t i = 0; i < ft->nlegs && !ft->finished; i++) {
        if (ft->legs[i]->parked)
            leg_send(f, ft->legs[i]);
    }
}

/* Settles a request that will not finish: its fan-out's time is up, or the engine stops.
 * count says whether it counts against the source (not when we are the ones giving up). */
static void fetch_abandon(struct gp_federate *f, struct fetch *ft, const char *why, bool count)
{
    struct gp_fetch_result *r = &ft->fo->results[ft->idx];
    r->status = GP_FETCH_TIMEOUT;
    snprintf(r->error, sizeof r->error, "%s", why);
    if (ft->sent)
        r->latency_ms = (double)(mono_us() - ft->sent_us) / 1000.0;
    now_iso(r->fetched_at);
    fetch_release(f, ft);
    if (count) {
        log_fetch(f, ft->fo, ft);
        source_account(f, ft, r);
    }
}

/* Settles a request that could not even be handed to libcurl: our own fault. */
static void fetch_fail_local(struct gp_federate *f, struct fetch *ft, const char *why)
{
    struct gp_fetch_result *r = &ft->fo->results[ft->idx];
    r->status = GP_FETCH_ERROR;
    snprintf(r->error, sizeof r->error, "%s", why);
    now_iso(r->fetched_at);
    fetch_release(f, ft);
    GP_LOG_BUG("source %s: %s", r->source_id, why);
    source_account(f, ft, r);
}

/* Sends one request of fo, unless its circuit is open or no time is left (then the deadline
 * sweep settles it). */
static void fetch_send(struct gp_federate *f, struct fetch *ft, int64_t now_us)
{
    struct fanout *fo = ft->fo;
    const struct gp_fetch_request *rq = &fo->reqs[ft->idx];
    struct gp_fetch_result *r = &fo->results[ft->idx];
    int64_t left_ms = (fo->deadline_us - now_us) / 1000;
    if (left_ms < 1)
        return;
    /* A header line break would let configuration smuggle headers: our bug, not the
     * source's, so it is settled before the circuit is asked. */
    if (!gp_http_header_value_ok(rq->accept) || !gp_http_header_value_ok(rq->prefer)) {
        fetch_fail_local(f, ft, "invalid Accept or Prefer header value");
        return;
    }

    enum gp_breaker_verdict v = source_admit(f, rq->source_id, r->error, sizeof r->error);
    if (v == GP_BREAKER_REJECT) {
        r->status = GP_FETCH_CIRCUIT_OPEN;
        now_iso(r->fetched_at);
        fetch_release(f, ft);
        source_account(f, ft, r);
        return;
    }
    /* From here on the request counts as sent for the circuit, even if libcurl cannot take
     * it: a probe must always come back, or the circuit would stay half-open for good. */
    ft->probe = v == GP_BREAKER_PROBE;
    ft->sent = true;
    ft->sent_us = now_us;
    for (const char *p = rq->url; *p && !ft->finished;) {
        size_t len = strcspn(p, "\n");
        if (len > 0 && !leg_add(f, ft, p, len))
            return;
        p += len;
        if (*p == '\n')
            p++;
    }
    if (ft->finished)
        return;
    if (ft->nlegs == 0) {
        fetch_fail_local(f, ft, "the request has no URL");
        return;
    }
    for (size_t i = 0; i < ft->nlegs && !ft->finished; i++)
        leg_go(f, ft->legs[i]);
}

/* ---- fan-outs ---------------------------------------------------------------------------- */

static struct fanout *fanout_new(const char *key, const struct gp_fetch_request *reqs, size_t n,
                                 int deadline_ms, int64_t now_us)
{
    struct fanout *fo = gp_xcalloc(1, sizeof *fo);
    fo->key = key ? gp_xstrdup(key) : NULL;
    const char *rid = gp_log_request_id();
    snprintf(fo->rid, sizeof fo->rid, "%s", rid ? rid : "");
    fo->n = fo->pending = n;
    fo->deadline_ms = deadline_ms;
    fo->deadline_us = now_us + (int64_t)deadline_ms * 1000;
    fo->reqs = gp_xcalloc(n, sizeof *fo->reqs);
    fo->results = gp_xcalloc(n, sizeof *fo->results);
    fo->fetches = gp_xcalloc(n, sizeof *fo->fetches);
    for (size_t i = 0; i < n; i++) {
        fo->reqs[i] = reqs[i];
        /* The request is copied from the caller's memory: make every string end. */
        fo->reqs[i].source_id[sizeof fo->reqs[i].source_id - 1] = '\0';
        fo->reqs[i].url[sizeof fo->reqs[i].url - 1] = '\0';
        fo->reqs[i].accept[sizeof fo->reqs[i].accept - 1] = '\0';
        fo->reqs[i].prefer[sizeof fo->reqs[i].prefer - 1] = '\0';
        fo->reqs[i].next_arg[sizeof fo->reqs[i].next_arg - 1] = '\0';
        struct gp_fetch_result *r = &fo->results[i];
        memcpy(r->source_id, fo->reqs[i].source_id, sizeof r->source_id);
        r->status = GP_FETCH_TIMEOUT;
        r->body = gp_xstrdup(""); /* callers may rely on a string, answered or not */
        fo->fetches[i].fo = fo;
        fo->fetches[i].idx = i;
    }
    return fo;
}

static void fanout_free(struct fanout *fo)
{
    if (!fo)
        return;
    for (size_t i = 0; i < fo->n; i++)
        free(fo->results[i].body);
    while (fo->waiters) {
        struct waiter *w = fo->waiters;
        fo->waiters = w->next;
        free(w);
    }
    free(fo->results);
    free(fo->fetches);
    free(fo->reqs);
    free(fo->key);
    free(fo);
}

static void fanout_launch(struct gp_federate *f, struct fanout *fo)
{
    int64_t now = mono_us();
    for (size_t i = 0; i < fo->n; i++)
        fetch_send(f, &fo->fetches[i], now);
}

/* Settles every unfinished request of fo with why. */
static void fanout_abandon(struct gp_federate *f, struct fanout *fo, const char *why, bool count)
{
    for (size_t i = 0; i < fo->n && fo->pending > 0; i++) {
        if (!fo->fetches[i].finished)
            fetch_abandon(f, &fo->fetches[i], why, count);
    }
}

/* Hands the results to every waiter and frees fo (already off the running list). */
static void fanout_complete(struct gp_federate *f, struct fanout *fo)
{
    pthread_mutex_lock(&f->lock);
    if (fo->key) {
        for (struct fanout **pp = &f->keyed; *pp; pp = &(*pp)->next_keyed) {
            if (*pp == fo) {
                *pp = fo->next_keyed;
                break;
            }
        }
    }
    /* Off the keyed list and with the waiters taken, nobody can join any more. */
    struct waiter *w = fo->waiters;
    fo->waiters = NULL;
    pthread_mutex_unlock(&f->lock);

    struct gp_fanout_result res = {.n = fo->n, .results = fo->results};
    while (w) {
        struct waiter *next = w->next;
        res.joined = w->joined;
        w->done(w->cls, &res);
        free(w);
        w = next;
    }
    fanout_free(fo);
}

/* What a joiner hears at its own deadline: the answers so far, TIMEOUT for the rest. Bodies
 * stay owned by fo, which outlives the done call. Free the array with free(). */
static struct gp_fetch_result *fanout_snapshot(const struct fanout *fo, int deadline_ms,
                                               int64_t now_us)
{
    struct gp_fetch_result *snap = gp_xcalloc(fo->n ? fo->n : 1, sizeof *snap);
    char now[32];
    now_iso(now);
    for (size_t i = 0; i < fo->n; i++) {
        const struct fetch *ft = &fo->fetches[i];
        snap[i] = fo->results[i];
        if (ft->finished)
            continue;
        snap[i].status = GP_FETCH_TIMEOUT;
        snap[i].http_status = 0;
        snap[i].latency_ms = ft->sent ? (double)(now_us - ft->sent_us) / 1000.0 : 0;
        snprintf(snap[i].error, sizeof snap[i].error, "deadline passed after %d ms", deadline_ms);
        memcpy(snap[i].fetched_at, now, sizeof now);
    }
    return snap;
}

/* Answers joiners whose own deadline has come before the fan-out's. The fan-out itself runs on
 * for the others. */
static void fanout_expire_joiners(struct gp_federate *f, struct fanout *fo, int64_t now_us)
{
    struct waiter *due = NULL;
    pthread_mutex_lock(&f->lock);
    for (struct waiter **pp = &fo->waiters->next; *pp;) {
        struct waiter *w = *pp;
        if (w->deadline_us <= now_us) {
            *pp = w->next;
            w->next = due;
            due = w;
        } else {
            pp = &w->next;
        }
    }
    pthread_mutex_unlock(&f->lock);

    while (due) {
        struct waiter *w = due;
        due = w->next;
        struct gp_fetch_result *snap = fanout_snapshot(fo, w->deadline_ms, now_us);
        struct gp_fanout_result res = {.n = fo->n, .results = snap, .joined = true};
        w->done(w->cls, &res);
        free(snap);
        free(w);
    }
}

/* Expires what is due and completes what is settled. */
static void sweep_running(struct gp_federate *f)
{
    int64_t now = mono_us();
    for (struct fanout **pp = &f->running; *pp;) {
        struct fanout *fo = *pp;
        if (fo->pending > 0 && now >= fo->deadline_us) {
            char why[64];
            snprintf(why, sizeof why, "deadline passed after %d ms", fo->deadline_ms);
            fanout_abandon(f, fo, why, true);
        }
        if (fo->pending > 0) {
            fanout_expire_joiners(f, fo, now);
            pp = &fo->next_running;
            continue;
        }
        *pp = fo->next_running;
        fanout_complete(f, fo);
    }
}

/* ---- the engine thread ------------------------------------------------------------------- */

static void drain_messages(struct gp_federate *f)
{
    CURLMsg *m;
    int left;
    while ((m = curl_multi_info_read(f->multi, &left))) {
        if (m->msg != CURLMSG_DONE)
            continue;
        char *priv = NULL;
        curl_easy_getinfo(m->easy_handle, CURLINFO_PRIVATE, &priv);
        /* m points into the multi handle: read it before the handle is removed. */
        CURLcode code = m->data.result;
        if (!priv)
            continue;
        if (*(enum xfer_kind *)(void *)priv == X_TOKEN) {
            struct token_xfer *t = (struct token_xfer *)(void *)priv;
            curl_multi_remove_handle(f->multi, t->get.easy);
            token_finish(f, t, code);
        } else {
            struct leg *l = (struct leg *)(void *)priv;
            curl_multi_remove_handle(f->multi, l->get.easy);
            l->in_multi = false;
            leg_finish(f, l, code);
        }
    }
}

/* Takes the queue of new fan-outs (in arrival order) and whether the engine must stop. */
static struct fanout *take_queue(struct gp_federate *f, bool *stopping)
{
    pthread_mutex_lock(&f->lock);
    struct fanout *q = f->queue_head;
    f->queue_head = f->queue_tail = NULL;
    *stopping = f->stopping;
    pthread_mutex_unlock(&f->lock);
    return q;
}

/* How long the engine may sleep: until the nearest deadline of a fan-out or a joiner. libcurl
 * shortens the wait further for its own timers. An open circuit needs no timer: its probe is
 * simply the next request after the open time. */
static int poll_timeout_ms(struct gp_federate *f)
{
    int64_t now = mono_us();
    int64_t next = now + (int64_t)IDLE_POLL_MS * 1000;
    pthread_mutex_lock(&f->lock);
    for (struct fanout *fo = f->running; fo; fo = fo->next_running) {
        if (fo->deadline_us < next)
            next = fo->deadline_us;
        for (struct waiter *w = fo->waiters; w; w = w->next) {
            if (w->deadline_us < next)
                next = w->deadline_us;
        }
    }
    pthread_mutex_unlock(&f->lock);
    if (next <= now)
        return 0;
    return (int)((next - now + 999) / 1000); /* round up: waking early only spins */
}

/* Completes everything still running or queued with TIMEOUT "shutting down". */
static void shut_down(struct gp_federate *f, struct fanout *queued)
{
    while (queued) {
        struct fanout *fo = queued;
        queued = fo->next_queued;
        fo->next_running = f->running;
        f->running = fo;
    }
    while (f->running) {
        struct fanout *fo = f->running;
        f->running = fo->next_running;
        fanout_abandon(f, fo, "shutting down", false);
        fanout_complete(f, fo);
    }
}

static void *engine_main(void *arg)
{
    struct gp_federate *f = arg;
    for (;;) {
        bool stopping;
        struct fanout *fresh = take_queue(f, &stopping);
        if (stopping) {
            shut_down(f, fresh);
            break;
        }
        while (fresh) {
            struct fanout *fo = fresh;
            fresh = fo->next_queued;
            fo->next_running = f->running;
            f->running = fo;
            fanout_launch(f, fo);
        }
        int still_running;
        CURLMcode mc = curl_multi_perform(f->multi, &still_running);
        drain_messages(f);
        sweep_running(f);
        if (mc == CURLM_OK)
            mc = curl_multi_poll(f->multi, NULL, 0, poll_timeout_ms(f), NULL);
        if (mc != CURLM_OK) {
            /* Should not happen; pause briefly rather than spin, deadlines still hold. */
            GP_LOG_BUG("federate: %s", curl_multi_strerror(mc));
            struct timespec pause = {0, 10 * 1000000L};
            nanosleep(&pause, NULL);
        }
    }
    return NULL;
}

/* ---- public ------------------------------------------------------------------------------ */

struct gp_federate *gp_federate_create(const struct gp_federate_config *cfg)
{
    if (!gp_http_global_init()) {
        GP_LOG_ERROR("federate: libcurl could not be initialised");
        return NULL;
    }
    struct gp_federate *f = gp_xcalloc(1, sizeof *f);
    f->max_body_bytes = cfg && cfg->max_body_bytes ? cfg->max_body_bytes : DEFAULT_MAX_BODY_BYTES;
    f->breaker_failures =
        cfg && cfg->breaker_failures > 0 ? cfg->breaker_failures : DEFAULT_BREAKER_FAILURES;
    f->breaker_open_ms =
        cfg && cfg->breaker_open_ms > 0 ? cfg->breaker_open_ms : DEFAULT_BREAKER_OPEN_MS;
    pthread_mutex_init(&f->lock, NULL);
    pthread_mutex_init(&f->stats_lock, NULL);
    atomic_init(&f->sent, 0);

    f->multi = curl_multi_init();
    if (!f->multi)
        goto fail;
    curl_multi_setopt(f->multi, CURLMOPT_MAXCONNECTS, (long)MAX_CONNECTS);
    if (cfg && cfg->max_connections_per_host > 0)
        curl_multi_setopt(f->multi, CURLMOPT_MAX_HOST_CONNECTIONS,
                          (long)cfg->max_connections_per_host);
    if (pthread_create(&f->thread, NULL, engine_main, f) != 0)
        goto fail;
    return f;

fail:
    GP_LOG_ERROR("federate: the engine could not be started");
    if (f->multi)
        curl_multi_cleanup(f->multi);
    pthread_mutex_destroy(&f->lock);
    pthread_mutex_destroy(&f->stats_lock);
    free(f);
    gp_http_global_cleanup();
    return NULL;
}

void gp_federate_destroy(struct gp_federate *f)
{
    if (!f)
        return;
    if (pthread_equal(pthread_self(), f->thread)) {
        /* From a done callback: joining ourselves would hang forever. */
        GP_LOG_BUG("gp_federate_destroy called on the engine thread");
        return;
    }
    pthread_mutex_lock(&f->lock);
    f->stopping = true;
    curl_multi_wakeup(f->multi);
    pthread_mutex_unlock(&f->lock);
    pthread_join(f->thread, NULL);

    curl_multi_cleanup(f->multi);
    while (f->nspare)
        curl_easy_cleanup(f->spare[--f->nspare]);
    while (f->sources) {
        struct source *s = f->sources;
        f->sources = s->next;
        free(s);
    }
    pthread_mutex_destroy(&f->lock);
    pthread_mutex_destroy(&f->stats_lock);
    free(f);
    gp_http_global_cleanup();
}

bool gp_federate_start(struct gp_federate *f, const char *key, const struct gp_fetch_request *reqs,
                       size_t n, int deadline_ms, gp_fanout_done_fn done, void *cls)
{
    int64_t now = mono_us();
    struct waiter *w = gp_xcalloc(1, sizeof *w);
    w->done = done;
    w->cls = cls;
    w->deadline_ms = deadline_ms;
    w->deadline_us = now + (int64_t)deadline_ms * 1000;
    /* Built before taking the lock so that callers never wait on each other's allocations;
     * thrown away again when the key turns out to be running already. */
    struct fanout *fo = fanout_new(key, reqs, n, deadline_ms, now);

    pthread_mutex_lock(&f->lock);
    if (f->stopping) {
        pthread_mutex_unlock(&f->lock);
        free(w);
        fanout_free(fo);
        return false;
    }
    struct fanout *run = NULL;
    for (struct fanout *k = key ? f->keyed : NULL; k && !run; k = k->next_keyed) {
        if (strcmp(k->key, key) == 0)
            run = k;
    }
    if (run) {
        struct waiter **pp = &run->waiters;
        while (*pp)
            pp = &(*pp)->next;
        w->joined = true;
        *pp = w;
    } else {
        fo->waiters = w;
        if (key) {
            fo->next_keyed = f->keyed;
            f->keyed = fo;
        }
        if (f->queue_tail)
            f->queue_tail->next_queued = fo;
        else
            f->queue_head = fo;
        f->queue_tail = fo;
        fo = NULL;
    }
    /* Also for a joiner: its deadline may be the nearest now. Under the lock, so that destroy
     * cannot free the multi handle between our check of `stopping` and this call. */
    curl_multi_wakeup(f->multi);
    pthread_mutex_unlock(&f->lock);
    fanout_free(fo);
    return true;
}

void gp_federate_report_failure(struct gp_federate *f, const char *source_id, const char *why)
{
    pthread_mutex_lock(&f->stats_lock);
    struct source *s = source_get(f, source_id);
    s->failures++;
    snprintf(s->last_status, sizeof s->last_status, "error");
    snprintf(s->last_error, sizeof s->last_error, "%s", why ? why : "");
    gp_cpr_mask_in_place(s->last_error);
    bool changed = gp_breaker_report_failure(&s->breaker, f->breaker_failures, mono_us() / 1000);
    struct gp_breaker seen = s->breaker;
    pthread_mutex_unlock(&f->stats_lock);
    if (changed)
        log_circuit(source_id, &seen);
    char shown[256];
    snprintf(shown, sizeof shown, "%s", why ? why : "");
    gp_cpr_mask_in_place(shown);
    warn_failure(f, gp_log_request_id(), source_id, "error", shown, 0, NULL);
}

void gp_federate_health(struct gp_federate *f, const char *source_id, struct gp_source_health *out)
{
    double samples[LATENCY_RING];
    size_t n = 0;
    memset(out, 0, sizeof *out);
    pthread_mutex_lock(&f->stats_lock);
    const struct source *s = source_find(f, source_id);
    if (s) {
        out->circuit = s->breaker.state;
        out->requests = s->requests;
        out->failures = s->failures;
        out->consecutive_failures = s->breaker.consecutive_failures;
        memcpy(out->last_status, s->last_status, sizeof out->last_status);
        memcpy(out->last_error, s->last_error, sizeof out->last_error);
        memcpy(out->last_at, s->last_at, sizeof out->last_at);
        n = s->latency_n;
        memcpy(samples, s->latency, n * sizeof *samples);
    }
    pthread_mutex_unlock(&f->stats_lock);
    /* Sorting happens on our copy, outside the lock. */
    out->latency_p50_ms = gp_federate_percentile(samples, n, 50);
    out->latency_p95_ms = gp_federate_percentile(samples, n, 95);
}

unsigned long gp_federate_sent(struct gp_federate *f)
{
    return atomic_load(&f->sent);
}
