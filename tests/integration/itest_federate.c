/* lib/federate against real HTTP: tiny libmicrohttpd servers on 127.0.0.1 whose behaviour each
 * test sets (fast, slow, failing, never answering, truncating, oversize, dripping, refusing).
 * Checks the status of every fault, that the deadline holds with a source that never answers,
 * the circuit breaker, single flight, connection reuse and shutdown with work in flight.
 *
 * Done callbacks are awaited on condition variables with bounded waits. The only sleeps are
 * where time itself is what is tested (a circuit's open time must pass). Each test prints a
 * "timing:" line for the deadline measurements. */
#include "gptest.h"
#include "lib/federation/federate.h"
#include "lib/core/log.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_REQS       8
#define MAX_BODY       16384 /* the engine's limit in these tests */
#define OVERSIZE_BYTES 65536
#define HANG_CAP_MS    10000 /* a "never answering" handler gives up after this, at the latest */
/* Allowed lateness of a done callback after its deadline: the contract this suite checks. */
#define DEADLINE_SLACK_MS 100

static int64_t mono_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

/* ---- test servers ------------------------------------------------------------------------ */

enum behaviour {
    B_OK,               /* 200 {"ok":true,"hit":N} */
    B_DELAY,            /* the same after delay_ms */
    B_500,              /* 500 with a JSON body */
    B_HANG,             /* no answer until HANG_CAP_MS or the server stops */
    B_TRUNCATED,        /* Content-Length 1000, 100 bytes, then the connection breaks */
    B_OVERSIZE,         /* 64 KiB with a Content-Length */
    B_OVERSIZE_CHUNKED, /* 64 KiB chunked, so only the byte count can stop it */
    B_DRIP,             /* 8 bytes every delay_ms, chunked */
    B_PAGED, /* page k (?page=k, default 1) of `pages`: {"page":k,"of":pages,"pad":"..."} with
                `pad` bytes of padding, after delay_ms */
};

struct tsrv {
    struct MHD_Daemon *d;
    int port;
    atomic_int behaviour;
    atomic_int delay_ms;
    atomic_int pages, pad; /* B_PAGED */
    atomic_bool stopping;
    pthread_mutex_t m;
    pthread_cond_t c;
    int hits;        /* m */
    int connections; /* m: TCP connections accepted */
};

/* Sleeps ms, or less when the server is stopping (so that MHD_stop_daemon never waits long). */
static void nap(struct tsrv *s, int ms)
{
    int64_t until = mono_us() + (int64_t)ms * 1000;
    while (!atomic_load(&s->stopping) && mono_us() < until) {
        struct timespec ts = {0, 5 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static ssize_t read_truncated(void *cls, uint64_t pos, char *buf, size_t max)
{
    if (pos > 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    size_t n = max < 100 ? max : 100;
    memset(buf, 'x', n);
    return (ssize_t)n;
}

static ssize_t read_oversize(void *cls, uint64_t pos, char *buf, size_t max)
{
    if (pos >= OVERSIZE_BYTES)
        return MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = max < 4096 ? max : 4096;
    memset(buf, 'a', n);
    return (ssize_t)n;
}

static ssize_t read_drip(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct tsrv *s = cls;
    if (pos >= 400 || atomic_load(&s->stopping))
        return MHD_CONTENT_READER_END_OF_STREAM;
    nap(s, atomic_load(&s->delay_ms));
    size_t n = max < 8 ? max : 8;
    memset(buf, 'd', n);
    return (ssize_t)n;
}

static enum MHD_Result reply(struct MHD_Connection *c, struct MHD_Response *r, unsigned status)
{
    MHD_add_response_header(r, "Content-Type", "application/json");
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    struct tsrv *s = cls;
    if (!*req_cls) { /* first call: headers only */
        *req_cls = s;
        pthread_mutex_lock(&s->m);
        s->hits++;
        pthread_cond_broadcast(&s->c);
        pthread_mutex_unlock(&s->m);
        return MHD_YES;
    }
    pthread_mutex_lock(&s->m);
    int hit = s->hits;
    pthread_mutex_unlock(&s->m);
    char body[64];
    snprintf(body, sizeof body, "{\"ok\":true,\"hit\":%d}", hit);
    switch (atomic_load(&s->behaviour)) {
    case B_DELAY:
        nap(s, atomic_load(&s->delay_ms));
        break;
    case B_500:
        snprintf(body, sizeof body, "{\"error\":\"injected\"}");
        return reply(c, MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY),
                     MHD_HTTP_INTERNAL_SERVER_ERROR);
    case B_HANG:
        nap(s, HANG_CAP_MS);
        break;
    case B_TRUNCATED:
        return reply(c, MHD_create_response_from_callback(1000, 1024, read_truncated, s, NULL),
                     MHD_HTTP_OK);
    case B_OVERSIZE: {
        char *big = malloc(OVERSIZE_BYTES);
        memset(big, 'a', OVERSIZE_BYTES);
        return reply(c, MHD_create_response_from_buffer(OVERSIZE_BYTES, big, MHD_RESPMEM_MUST_FREE),
                     MHD_HTTP_OK);
    }
    case B_OVERSIZE_CHUNKED:
        return reply(
            c, MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 4096, read_oversize, s, NULL),
            MHD_HTTP_OK);
    case B_DRIP:
        return reply(c,
                     MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 1024, read_drip, s, NULL),
                     MHD_HTTP_OK);
    case B_PAGED: {
        nap(s, atomic_load(&s->delay_ms));
        const char *k = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "page");
        int pad = atomic_load(&s->pad);
        char *page = malloc((size_t)pad + 96);
        int n = snprintf(page, 96, "{\"page\":%d,\"of\":%d,\"pad\":\"", k ? atoi(k) : 1,
                         atomic_load(&s->pages));
        memset(page + n, 'p', (size_t)pad);
        memcpy(page + n + pad, "\"}", 3);
        return reply(c, MHD_create_response_from_buffer(strlen(page), page, MHD_RESPMEM_MUST_FREE),
                     MHD_HTTP_OK);
    }
    default:
        break;
    }
    return reply(c, MHD_create_response_from_buffer(strlen(body), body, MHD_RESPMEM_MUST_COPY),
                 MHD_HTTP_OK);
}

static void on_connection(void *cls, struct MHD_Connection *c, void **socket_context,
                          enum MHD_ConnectionNotificationCode code)
{
    struct tsrv *s = cls;
    if (code != MHD_CONNECTION_NOTIFY_STARTED)
        return;
    pthread_mutex_lock(&s->m);
    s->connections++;
    pthread_mutex_unlock(&s->m);
}

static void tsrv_start(struct tsrv *s, enum behaviour b, int delay_ms)
{
    memset(s, 0, sizeof *s);
    atomic_init(&s->behaviour, b);
    atomic_init(&s->delay_ms, delay_ms);
    atomic_init(&s->stopping, false);
    pthread_mutex_init(&s->m, NULL);
    pthread_cond_init(&s->c, NULL);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    s->d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION, 0,
                            NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &a,
                            MHD_OPTION_NOTIFY_CONNECTION, on_connection, s, MHD_OPTION_END);
    ck_assert_ptr_nonnull(s->d);
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT);
    ck_assert_ptr_nonnull(info);
    s->port = info->port;
    ck_assert_int_gt(s->port, 0);
}

static void tsrv_stop(struct tsrv *s)
{
    atomic_store(&s->stopping, true);
    MHD_stop_daemon(s->d);
    pthread_mutex_destroy(&s->m);
    pthread_cond_destroy(&s->c);
}

static int tsrv_hits(struct tsrv *s)
{
    pthread_mutex_lock(&s->m);
    int n = s->hits;
    pthread_mutex_unlock(&s->m);
    return n;
}

static int tsrv_connections(struct tsrv *s)
{
    pthread_mutex_lock(&s->m);
    int n = s->connections;
    pthread_mutex_unlock(&s->m);
    return n;
}

/* Waits (at most 5 s) until the server has seen n requests. */
static void tsrv_wait_hits(struct tsrv *s, int n)
{
    struct timespec until;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += 5;
    pthread_mutex_lock(&s->m);
    while (s->hits < n) {
        if (pthread_cond_timedwait(&s->c, &s->m, &until) != 0)
            break;
    }
    int got = s->hits;
    pthread_mutex_unlock(&s->m);
    ck_assert_int_ge(got, n);
}

/* ---- collecting done callbacks ----------------------------------------------------------- */

struct waitbox {
    pthread_mutex_t m;
    pthread_cond_t c;
    int done;
};

struct got_result {
    char source_id[64];
    enum gp_fetch_status status;
    long http_status;
    double latency_ms;
    char error[256];
    char content_type[128];
    char *body;
    size_t body_len;
    size_t npages;
    size_t page_len[GP_FETCH_MAX_PAGES];
    char fetched_at[32];
};

/* What one done callback saw, copied (the engine's result is valid only during the call). */
struct got {
    struct waitbox *box;
    struct gp_federate *f; /* when set, the callback tries to start again (shutdown test) */
    bool restart_ok;
    int calls;
    bool joined;
    int64_t start_us, done_us;
    size_t n;
    struct got_result r[MAX_REQS];
};

static void box_init(struct waitbox *b)
{
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&b->c, &ca);
    pthread_condattr_destroy(&ca);
    pthread_mutex_init(&b->m, NULL);
    b->done = 0;
}

static void box_destroy(struct waitbox *b)
{
    pthread_mutex_destroy(&b->m);
    pthread_cond_destroy(&b->c);
}

/* Waits until count callbacks have run, at most timeout_ms; returns how many did. */
static int box_wait(struct waitbox *b, int count, int timeout_ms)
{
    struct timespec until;
    clock_gettime(CLOCK_MONOTONIC, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&b->m);
    while (b->done < count) {
        if (pthread_cond_timedwait(&b->c, &b->m, &until) != 0)
            break;
    }
    int n = b->done;
    pthread_mutex_unlock(&b->m);
    return n;
}

static void on_done(void *cls, const struct gp_fanout_result *res)
{
    struct got *g = cls;
    /* Everything under the box's lock, so that a test may look at a got while others are
     * still running. */
    pthread_mutex_lock(&g->box->m);
    g->done_us = mono_us();
    g->calls++;
    g->joined = res->joined;
    g->n = res->n;
    for (size_t i = 0; i < res->n && i < MAX_REQS; i++) {
        const struct gp_fetch_result *r = &res->results[i];
        struct got_result *o = &g->r[i];
        memcpy(o->source_id, r->source_id, sizeof o->source_id);
        o->status = r->status;
        o->http_status = r->http_status;
        o->latency_ms = r->latency_ms;
        memcpy(o->error, r->error, sizeof o->error);
        memcpy(o->content_type, r->content_type, sizeof o->content_type);
        memcpy(o->fetched_at, r->fetched_at, sizeof o->fetched_at);
        o->body = r->body ? strndup(r->body, r->body_len) : NULL;
        o->body_len = r->body_len;
        o->npages = r->npages;
        memcpy(o->page_len, r->page_len, sizeof o->page_len);
    }
    if (g->f) {
        struct gp_fetch_request again = {.source_id = "again", .url = "http://127.0.0.1:1/"};
        g->restart_ok = gp_federate_start(g->f, NULL, &again, 1, 100, on_done, g);
    }
    g->box->done++;
    pthread_cond_broadcast(&g->box->c);
    pthread_mutex_unlock(&g->box->m);
}

static void got_free(struct got *g)
{
    for (size_t i = 0; i < MAX_REQS; i++) {
        free(g->r[i].body);
        g->r[i].body = NULL;
    }
}

static double got_elapsed_ms(const struct got *g)
{
    return (double)(g->done_us - g->start_us) / 1000.0;
}

static void req_for(struct gp_fetch_request *r, const char *id, int port, int timeout_ms)
{
    memset(r, 0, sizeof *r);
    snprintf(r->source_id, sizeof r->source_id, "%s", id);
    /* A CPR in the path, as real adapters send it: it must never reach a log line unmasked. */
    snprintf(r->url, sizeof r->url, "http://127.0.0.1:%d/citizens/0101901234", port);
    snprintf(r->accept, sizeof r->accept, "application/json");
    r->timeout_ms = timeout_ms;
}

/* Runs one fan-out and waits for its done callback (bounded well past the deadline). */
static void run_fanout(struct gp_federate *f, const char *key, const struct gp_fetch_request *reqs,
                       size_t n, int deadline_ms, struct got *g)
{
    struct waitbox box;
    box_init(&box);
    memset(g, 0, sizeof *g);
    g->box = &box;
    g->start_us = mono_us();
    ck_assert(gp_federate_start(f, key, reqs, n, deadline_ms, on_done, g));
    ck_assert_int_eq(box_wait(&box, 1, deadline_ms + 5000), 1);
    ck_assert_int_eq(g->calls, 1);
    box_destroy(&box);
}

static struct gp_federate *engine(int breaker_failures, int breaker_open_ms)
{
    struct gp_federate_config cfg = {.max_body_bytes = MAX_BODY,
                                     .breaker_failures = breaker_failures,
                                     .breaker_open_ms = breaker_open_ms};
    struct gp_federate *f = gp_federate_create(&cfg);
    ck_assert_ptr_nonnull(f);
    return f;
}

static void assert_ok(const struct got_result *r)
{
    ck_assert_msg(r->status == GP_FETCH_OK, "%s: %s (%s)", r->source_id,
                  gp_fetch_status_name(r->status), r->error);
    ck_assert_int_eq(r->http_status, 200);
    ck_assert_str_eq(r->error, "");
    ck_assert_ptr_nonnull(strstr(r->body, "\"ok\":true"));
}

/* The pager of B_PAGED answers: page k of n links to page k + 1 ("?page=" on the page's URL
 * without its query). */
static int next_of_paged(const char *arg, const char *leg_url, const char *body, size_t len,
                         char *next, size_t next_len)
{
    (void)arg, (void)len;
    int k = 0, n = 0;
    if (sscanf(body, "{\"page\":%d,\"of\":%d", &k, &n) != 2) {
        snprintf(next, next_len, "no page number");
        return -1;
    }
    if (k >= n)
        return 0;
    snprintf(next, next_len, "%.*s?page=%d", (int)strcspn(leg_url, "?"), leg_url, k + 1);
    return 1;
}

static int next_unusable(const char *arg, const char *leg_url, const char *body, size_t len,
                         char *next, size_t next_len)
{
    (void)arg, (void)leg_url, (void)body, (void)len;
    snprintf(next, next_len, "it points to another host");
    return -1;
}

/* A conversation: the first page of a leg whose URL ends in /start names three more searches
 * (/a, /b, /c, each paged like B_PAGED); arg says how many pages each has. */
static int next_forking(const char *arg, const char *leg_url, const char *body, size_t len,
                        char *next, size_t next_len)
{
    size_t path = strcspn(leg_url, "?");
    if (path >= 6 && !strncmp(leg_url + path - 6, "/start", 6)) {
        int base = (int)(path - 6);
        snprintf(next, next_len, "%.*s/a\n%.*s/b\n%.*s/c", base, leg_url, base, leg_url, base,
                 leg_url);
        return 3;
    }
    return next_of_paged(arg, leg_url, body, len, next, next_len);
}

static void assert_iso8601(const char *s)
{
    ck_assert_uint_eq(strlen(s), 24);
    ck_assert_msg(s[4] == '-' && s[10] == 'T' && s[19] == '.' && s[23] == 'Z', "%s", s);
}

/* ---- tests ------------------------------------------------------------------------------- */

/* A paged answer comes whole, its pages in order, or not at all: more pages than allowed, an
 * unusable link, the size limit over all pages and the deadline each fail it. */
START_TEST(paged_answers_come_whole_or_fail)
{
    struct gp_federate *f = engine(50, 10000);
    struct tsrv s;
    tsrv_start(&s, B_PAGED, 0);
    atomic_store(&s.pages, 5);
    atomic_store(&s.pad, 1000);
    struct gp_fetch_request req;
    req_for(&req, "paged", s.port, 2000);
    req.next_page = next_of_paged;
    struct got g;
    run_fanout(f, NULL, &req, 1, 2000, &g);
    struct got_result *r = &g.r[0];
    ck_assert_msg(r->status == GP_FETCH_OK, "%s", r->error);
    ck_assert_uint_eq(r->npages, 5);
    size_t off = 0;
    for (size_t k = 0; k < r->npages; k++) {
        char want[40];
        snprintf(want, sizeof want, "{\"page\":%zu,\"of\":5,", k + 1);
        ck_assert_msg(!strncmp(r->body + off, want, strlen(want)), "page %zu", k + 1);
        ck_assert_uint_eq(r->page_len[k], strlen(want) + strlen("\"pad\":\"") + 1000 + 2);
        off += r->page_len[k];
    }
    ck_assert_uint_eq(off, r->body_len);
    ck_assert_int_eq(s.hits, 5);
    free(r->body);

    /* One page, no link: npages 1, as without a pager. */
    atomic_store(&s.pages, 1);
    run_fanout(f, NULL, &req, 1, 2000, &g);
    ck_assert_int_eq(g.r[0].status, GP_FETCH_OK);
    ck_assert_uint_eq(g.r[0].npages, 1);
    ck_assert_uint_eq(g.r[0].page_len[0], g.r[0].body_len);
    free(g.r[0].body);

    /* Pages without end. */
    atomic_store(&s.pages, 1000);
    atomic_store(&s.pad, 10);
    int hits = s.hits;
    run_fanout(f, NULL, &req, 1, 2000, &g);
    ck_assert_int_eq(g.r[0].status, GP_FETCH_ERROR);
    ck_assert_str_eq(g.r[0].error, "the answer has more than 16 pages");
    ck_assert_uint_eq(g.r[0].npages, 0);
    ck_assert_int_eq(s.hits - hits, GP_FETCH_MAX_PAGES);
    free(g.r[0].body);

    /* A conversation: the first page forks into three searches, each paged, in parallel; the
     * answer is every leg's pages in the order the legs began. Two URLs to begin with are two
     * legs from the start. */
    atomic_store(&s.pages, 2);
    req.next_page = next_forking;
    snprintf(req.url, sizeof req.url, "http://127.0.0.1:%d/start", s.port);
    hits = s.hits;
    run_fanout(f, NULL, &req, 1, 2000, &g);
    ck_assert_msg(g.r[0].status == GP_FETCH_OK, "%s", g.r[0].error);
    ck_assert_uint_eq(g.r[0].npages, 7);
    ck_assert_int_eq(s.hits - hits, 7);
    static const int order[] = {1, 1, 2, 1, 2, 1, 2};
    off = 0;
    for (size_t k = 0; k < 7; k++) {
        char want[40];
        snprintf(want, sizeof want, "{\"page\":%d,\"of\":2,", order[k]);
        ck_assert_msg(!strncmp(g.r[0].body + off, want, strlen(want)), "page %zu", k + 1);
        off += g.r[0].page_len[k];
    }
    free(g.r[0].body);
    req.next_page = next_of_paged;
    snprintf(req.url, sizeof req.url, "http://127.0.0.1:%d/x\nhttp://127.0.0.1:%d/y", s.port,
             s.port);
    run_fanout(f, NULL, &req, 1, 2000, &g);
    ck_assert_msg(g.r[0].status == GP_FETCH_OK, "%s", g.r[0].error);
    ck_assert_uint_eq(g.r[0].npages, 4);
    free(g.r[0].body);
    req_for(&req, "paged", s.port, 2000);
    req.next_page = next_of_paged;
    atomic_store(&s.pages, 1000);

    /* A link the pager cannot use. */
    req.next_page = next_unusable;
    run_fanout(f, NULL, &req, 1, 2000, &g);
    ck_assert_int_eq(g.r[0].status, GP_FETCH_ERROR);
    ck_assert_str_eq(g.r[0].error, "it points to another host");
    free(g.r[0].body);
    req.next_page = next_of_paged;

    /* Each page under the limit, all of them over it. */
    atomic_store(&s.pages, 5);
    atomic_store(&s.pad, MAX_BODY / 3);
    run_fanout(f, NULL, &req, 1, 2000, &g);
    ck_assert_int_eq(g.r[0].status, GP_FETCH_ERROR);
    ck_assert_msg(strstr(g.r[0].error, "response too large"), "%s", g.r[0].error);
    free(g.r[0].body);

    /* Slow pages: the deadline holds for the whole answer. */
    atomic_store(&s.pad, 10);
    atomic_store(&s.delay_ms, 150);
    run_fanout(f, NULL, &req, 1, 400, &g);
    ck_assert_int_eq(g.r[0].status, GP_FETCH_TIMEOUT);
    double took = (double)(g.done_us - g.start_us) / 1000.0;
    printf("timing: paged answer at a 400 ms deadline settled after %.1f ms\n", took);
    ck_assert_msg(took < 400 + DEADLINE_SLACK_MS, "%.1f ms", took);
    free(g.r[0].body);
    tsrv_stop(&s);
    gp_federate_destroy(f);
}
END_TEST

START_TEST(all_sources_ok)
{
    static const char *const ids[] = {"jobcenter", "social", "health", "region", "family"};
    struct tsrv srv[5];
    struct gp_fetch_request reqs[5];
    for (int i = 0; i < 5; i++) {
        tsrv_start(&srv[i], B_OK, 0);
        req_for(&reqs[i], ids[i], srv[i].port, 1000);
    }
    struct gp_federate *f = engine(0, 0);
    struct got g;
    run_fanout(f, "0101901234", reqs, 5, 2000, &g);
    ck_assert(!g.joined);
    ck_assert_uint_eq(g.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_ok(&g.r[i]);
        ck_assert_str_eq(g.r[i].source_id, ids[i]); /* in the order of the requests */
        ck_assert_str_eq(g.r[i].content_type, "application/json");
        ck_assert_str_eq(g.r[i].body, "{\"ok\":true,\"hit\":1}");
        ck_assert_uint_eq(g.r[i].body_len, strlen(g.r[i].body));
        ck_assert(g.r[i].latency_ms > 0 && g.r[i].latency_ms < 2000);
        assert_iso8601(g.r[i].fetched_at);
        ck_assert_int_eq(tsrv_hits(&srv[i]), 1);
    }
    ck_assert_uint_eq(gp_federate_sent(f), 5);

    struct gp_source_health h;
    gp_federate_health(f, "social", &h);
    ck_assert_int_eq(h.circuit, GP_CIRCUIT_CLOSED);
    ck_assert_uint_eq(h.requests, 1);
    ck_assert_uint_eq(h.failures, 0);
    ck_assert_str_eq(h.last_status, "ok");
    ck_assert_str_eq(h.last_error, "");
    assert_iso8601(h.last_at);
    ck_assert(h.latency_p50_ms > 0 && h.latency_p50_ms == h.latency_p95_ms);

    gp_federate_health(f, "never-asked", &h);
    ck_assert_uint_eq(h.requests, 0);
    ck_assert_str_eq(h.last_status, "");
    ck_assert(h.latency_p95_ms == 0);

    gp_federate_destroy(f);
    got_free(&g);
    for (int i = 0; i < 5; i++)
        tsrv_stop(&srv[i]);
}
END_TEST

struct fault_case {
    const char *name;
    enum behaviour b;
    int delay_ms;
    int timeout_ms; /* per request */
    int deadline_ms;
    bool refused; /* point at a closed port instead of the server */
    enum gp_fetch_status want;
    long want_http;
    const char *want_error; /* substring */
};

static const struct fault_case faults[] = {
    {"http 500", B_500, 0, 1000, 2000, false, GP_FETCH_ERROR, 500, "HTTP 500"},
    {"refused", B_OK, 0, 1000, 2000, true, GP_FETCH_UNAVAILABLE, 0, "connection refused"},
    {"truncated", B_TRUNCATED, 0, 1000, 2000, false, GP_FETCH_ERROR, 200, "partial"},
    {"oversize", B_OVERSIZE, 0, 1000, 2000, false, GP_FETCH_ERROR, 200,
     "response too large (over 16384 bytes)"},
    {"oversize chunked", B_OVERSIZE_CHUNKED, 0, 1000, 2000, false, GP_FETCH_ERROR, 200,
     "response too large (over 16384 bytes)"},
    {"slow drip", B_DRIP, 50, 400, 2000, false, GP_FETCH_TIMEOUT, 200, "timed out after 400 ms"},
    {"never answers", B_HANG, 0, 5000, 800, false, GP_FETCH_TIMEOUT, 0,
     "deadline passed after 800 ms"},
    {"slow but in time", B_DELAY, 200, 1000, 2000, false, GP_FETCH_OK, 200, ""},
};

/* Each fault, between two healthy sources: the right status for it, OK for the others, and
 * the answer no later than the deadline. */
START_TEST(each_fault_is_reported_and_the_others_answer)
{
    const struct fault_case *fc = &faults[_i];
    struct tsrv ok1, bad, ok2;
    tsrv_start(&ok1, B_OK, 0);
    tsrv_start(&bad, fc->b, fc->delay_ms);
    tsrv_start(&ok2, B_OK, 0);
    struct gp_fetch_request reqs[3];
    req_for(&reqs[0], "a", ok1.port, 1000);
    req_for(&reqs[1], "faulty", fc->refused ? gpt_free_port() : bad.port, fc->timeout_ms);
    req_for(&reqs[2], "c", ok2.port, 1000);

    struct gp_federate *f = engine(0, 0);
    struct got g;
    run_fanout(f, NULL, reqs, 3, fc->deadline_ms, &g);
    fprintf(stderr, "timing: fault '%s': done after %.1f ms (deadline %d ms)\n", fc->name,
            got_elapsed_ms(&g), fc->deadline_ms);
    assert_ok(&g.r[0]);
    assert_ok(&g.r[2]);
    const struct got_result *r = &g.r[1];
    ck_assert_msg(r->status == fc->want, "%s: got %s (%s)", fc->name,
                  gp_fetch_status_name(r->status), r->error);
    ck_assert_int_eq(r->http_status, fc->want_http);
    ck_assert_msg(strstr(r->error, fc->want_error), "%s: error '%s' lacks '%s'", fc->name, r->error,
                  fc->want_error);
    ck_assert_ptr_nonnull(r->body); /* a string even when nothing usable came */
    if (fc->want != GP_FETCH_OK)
        ck_assert_msg(!strstr(r->error, "0101901234"), "CPR in error text: %s", r->error);
    if (fc->b == B_OVERSIZE || fc->b == B_OVERSIZE_CHUNKED)
        ck_assert_uint_eq(r->body_len, 0); /* the cut-off body is not handed on */
    ck_assert(got_elapsed_ms(&g) <= fc->deadline_ms + DEADLINE_SLACK_MS);

    /* Every fault but a late OK counts against the source; the healthy ones are untouched. */
    struct gp_source_health h;
    gp_federate_health(f, "faulty", &h);
    ck_assert_str_eq(h.last_status, gp_fetch_status_name(fc->want));
    ck_assert_int_eq(h.consecutive_failures, fc->want == GP_FETCH_OK ? 0 : 1);
    gp_federate_health(f, "a", &h);
    ck_assert_int_eq(h.consecutive_failures, 0);

    gp_federate_destroy(f);
    got_free(&g);
    tsrv_stop(&ok1);
    tsrv_stop(&bad);
    tsrv_stop(&ok2);
}
END_TEST

/* The contract: one source that never answers does not delay the answer past the deadline. */
START_TEST(never_answering_source_does_not_delay_past_deadline)
{
    const int deadline = 1500;
    struct tsrv ok1, hang, ok2;
    tsrv_start(&ok1, B_OK, 0);
    tsrv_start(&hang, B_HANG, 0);
    tsrv_start(&ok2, B_DELAY, 300);
    struct gp_fetch_request reqs[3];
    req_for(&reqs[0], "a", ok1.port, 5000);
    req_for(&reqs[1], "hang", hang.port, 5000); /* its own timeout is longer: deadline binds */
    req_for(&reqs[2], "slowish", ok2.port, 5000);

    struct gp_federate *f = engine(0, 0);
    struct got g;
    run_fanout(f, "k", reqs, 3, deadline, &g);
    double ms = got_elapsed_ms(&g);
    fprintf(stderr, "timing: never-answering source: done after %.1f ms (deadline %d ms)\n", ms,
            deadline);
    ck_assert_msg(ms >= deadline - 5, "done after %.1f ms, before the deadline", ms);
    ck_assert_msg(ms <= deadline + DEADLINE_SLACK_MS, "done after %.1f ms", ms);
    assert_ok(&g.r[0]);
    assert_ok(&g.r[2]);
    ck_assert_int_eq(g.r[1].status, GP_FETCH_TIMEOUT);
    ck_assert_str_eq(g.r[1].error, "deadline passed after 1500 ms");
    /* From send, which may come a little after start on a busy machine. */
    ck_assert(g.r[1].latency_ms > deadline / 2 && g.r[1].latency_ms <= ms + 1);
    assert_iso8601(g.r[1].fetched_at);

    gp_federate_destroy(f);
    got_free(&g);
    tsrv_stop(&ok1);
    tsrv_stop(&hang);
    tsrv_stop(&ok2);
}
END_TEST

START_TEST(request_timeout_shorter_than_deadline)
{
    struct tsrv slow;
    tsrv_start(&slow, B_DELAY, 1500);
    struct gp_fetch_request req;
    req_for(&req, "slow", slow.port, 300);
    struct gp_federate *f = engine(0, 0);
    struct got g;
    run_fanout(f, NULL, &req, 1, 3000, &g);
    double ms = got_elapsed_ms(&g);
    fprintf(stderr, "timing: request timeout 300 ms under a 3000 ms deadline: done after %.1f ms\n",
            ms);
    ck_assert_int_eq(g.r[0].status, GP_FETCH_TIMEOUT);
    ck_assert_str_eq(g.r[0].error, "timed out after 300 ms");
    ck_assert_msg(ms >= 295 && ms <= 300 + DEADLINE_SLACK_MS, "done after %.1f ms", ms);
    gp_federate_destroy(f);
    got_free(&g);
    tsrv_stop(&slow);
}
END_TEST

/* Opens the circuit of "src" at srv with three failed fan-outs; returns when the last ended. */
static int64_t open_circuit(struct gp_federate *f, struct tsrv *srv,
                            const struct gp_fetch_request *req)
{
    struct got g;
    int64_t last = 0;
    for (int i = 0; i < 3; i++) {
        run_fanout(f, NULL, req, 1, 2000, &g);
        ck_assert_int_eq(g.r[0].status, GP_FETCH_ERROR);
        last = g.done_us;
        got_free(&g);
    }
    ck_assert_int_eq(tsrv_hits(srv), 3);
    struct gp_source_health h;
    gp_federate_health(f, "src", &h);
    ck_assert_int_eq(h.circuit, GP_CIRCUIT_OPEN);
    ck_assert_int_eq(h.consecutive_failures, 3);
    ck_assert_uint_eq(h.failures, 3);
    return last;
}

/* Time passing is what is tested here: the circuit's open time must elapse. */
static void sleep_until(int64_t at_us)
{
    int64_t left = at_us - mono_us();
    if (left > 0) {
        struct timespec ts = {left / 1000000, (left % 1000000) * 1000};
        nanosleep(&ts, NULL);
    }
}

START_TEST(circuit_opens_half_opens_and_closes)
{
    const int open_ms = 400;
    struct tsrv srv;
    tsrv_start(&srv, B_500, 0);
    struct gp_fetch_request req;
    req_for(&req, "src", srv.port, 1000);
    struct gp_federate *f = engine(3, open_ms);
    int64_t opened = open_circuit(f, &srv, &req);

    struct got g;
    run_fanout(f, NULL, &req, 1, 2000, &g);
    ck_assert_int_eq(g.r[0].status, GP_FETCH_CIRCUIT_OPEN);
    ck_assert_msg(
        strncmp(g.r[0].error, "circuit open after 3 consecutive failures; next probe in ", 57) == 0,
        "%s", g.r[0].error);
    ck_assert(g.r[0].latency_ms == 0);
    assert_iso8601(g.r[0].fetched_at);
    ck_assert_int_eq(tsrv_hits(&srv), 3); /* not sent */
    ck_assert_uint_eq(gp_federate_sent(f), 3);
    got_free(&g);

    atomic_store(&srv.behaviour, B_OK);
    sleep_until(opened + (int64_t)(open_ms + 20) * 1000);
    run_fanout(f, NULL, &req, 1, 2000, &g); /* the probe */
    assert_ok(&g.r[0]);
    ck_assert_int_eq(tsrv_hits(&srv), 4);
    got_free(&g);

    struct gp_source_health h;
    gp_federate_health(f, "src", &h);
    ck_assert_int_eq(h.circuit, GP_CIRCUIT_CLOSED);
    ck_assert_int_eq(h.consecutive_failures, 0);
    ck_assert_uint_eq(h.requests, 5);
    ck_assert_uint_eq(h.failures, 3);
    ck_assert_str_eq(h.last_status, "ok");
    ck_assert(h.latency_p50_ms > 0); /* 500s were answered: they count for latency too */

    run_fanout(f, NULL, &req, 1, 2000, &g); /* closed: sent as usual */
    assert_ok(&g.r[0]);
    ck_assert_int_eq(tsrv_hits(&srv), 5);
    got_free(&g);

    gp_federate_destroy(f);
    tsrv_stop(&srv);
}
END_TEST

START_TEST(failed_probe_reopens_the_circuit)
{
    const int open_ms = 300;
    struct tsrv srv;
    tsrv_start(&srv, B_500, 0);
    struct gp_fetch_request req;
    req_for(&req, "src", srv.port, 1000);
    struct gp_federate *f = engine(3, open_ms);
    int64_t opened = open_circuit(f, &srv, &req);
    sleep_until(opened + (int64_t)(open_ms + 20) * 1000);

    struct got g;
    run_fanout(f, NULL, &req, 1, 2000, &g); /* the probe, failing */
    ck_assert_int_eq(g.r[0].status, GP_FETCH_ERROR);
    ck_assert_int_eq(tsrv_hits(&srv), 4);
    got_free(&g);

    run_fanout(f, NULL, &req, 1, 2000, &g); /* open again, with a fresh timer */
    ck_assert_int_eq(g.r[0].status, GP_FETCH_CIRCUIT_OPEN);
    ck_assert_msg(strstr(g.r[0].error, "after 4 consecutive failures; next probe in "), "%s",
                  g.r[0].error);
    ck_assert_int_eq(tsrv_hits(&srv), 4);
    got_free(&g);

    struct gp_source_health h;
    gp_federate_health(f, "src", &h);
    ck_assert_int_eq(h.circuit, GP_CIRCUIT_OPEN);
    ck_assert_str_eq(h.last_status, "circuit_open");
    gp_federate_destroy(f);
    tsrv_stop(&srv);
}
END_TEST

/* While the probe is out, other requests to that source are still not sent. */
START_TEST(half_open_lets_one_probe_through)
{
    const int open_ms = 300;
    struct tsrv srv;
    tsrv_start(&srv, B_500, 0);
    struct gp_fetch_request req;
    req_for(&req, "src", srv.port, 2000);
    struct gp_federate *f = engine(3, open_ms);
    int64_t opened = open_circuit(f, &srv, &req);
    atomic_store(&srv.delay_ms, 300);
    atomic_store(&srv.behaviour, B_DELAY);
    sleep_until(opened + (int64_t)(open_ms + 20) * 1000);

    struct waitbox box;
    box_init(&box);
    struct got probe = {.box = &box}, other = {.box = &box};
    probe.start_us = other.start_us = mono_us();
    ck_assert(gp_federate_start(f, NULL, &req, 1, 3000, on_done, &probe));
    tsrv_wait_hits(&srv, 4); /* the probe is at the server */
    ck_assert(gp_federate_start(f, NULL, &req, 1, 3000, on_done, &other));
    ck_assert_int_eq(box_wait(&box, 2, 6000), 2);
    assert_ok(&probe.r[0]);
    ck_assert_int_eq(other.r[0].status, GP_FETCH_CIRCUIT_OPEN);
    ck_assert_str_eq(other.r[0].error,
                     "circuit open after 3 consecutive failures; probe in flight");
    ck_assert(other.done_us < probe.done_us); /* rejected at once, not after the probe */
    ck_assert_int_eq(tsrv_hits(&srv), 4);

    struct gp_source_health h;
    gp_federate_health(f, "src", &h);
    ck_assert_int_eq(h.circuit, GP_CIRCUIT_CLOSED);
    got_free(&probe);
    got_free(&other);
    box_destroy(&box);
    gp_federate_destroy(f);
    tsrv_stop(&srv);
}
END_TEST

START_TEST(reported_failures_open_the_circuit)
{
    struct tsrv srv;
    tsrv_start(&srv, B_OK, 0);
    struct gp_fetch_request req;
    req_for(&req, "src", srv.port, 1000);
    struct gp_federate *f = engine(3, 10000);

    struct got g;
    run_fanout(f, NULL, &req, 1, 2000, &g);
    assert_ok(&g.r[0]);
    got_free(&g);
    /* Bodies that could not be parsed, found by the caller after the transfer. */
    for (int i = 0; i < 3; i++)
        gp_federate_report_failure(f, "src", "unusable answer: not JSON");
    struct gp_source_health h;
    gp_federate_health(f, "src", &h);
    ck_assert_int_eq(h.circuit, GP_CIRCUIT_OPEN);
    ck_assert_int_eq(h.consecutive_failures, 3);
    ck_assert_uint_eq(h.failures, 3);

    run_fanout(f, NULL, &req, 1, 2000, &g);
    ck_assert_int_eq(g.r[0].status, GP_FETCH_CIRCUIT_OPEN);
    ck_assert_int_eq(tsrv_hits(&srv), 1);
    got_free(&g);
    gp_federate_destroy(f);
    tsrv_stop(&srv);
}
END_TEST

#define FLIGHT_CALLERS 20
#define FLIGHT_SOURCES 3

struct flight_caller {
    pthread_barrier_t *barrier;
    struct gp_federate *f;
    const struct gp_fetch_request *reqs;
    struct got got;
    bool started;
};

static void *flight_thread(void *arg)
{
    struct flight_caller *c = arg;
    pthread_barrier_wait(c->barrier);
    c->got.start_us = mono_us();
    c->started = gp_federate_start(c->f, "0101901234|a,b,c", c->reqs, FLIGHT_SOURCES, 3000, on_done,
                                   &c->got);
    return NULL;
}

/* 20 callers at once with one key: each source is asked once, all 20 hear the same answer. */
START_TEST(single_flight_joins_concurrent_callers)
{
    struct tsrv srv[FLIGHT_SOURCES];
    struct gp_fetch_request reqs[FLIGHT_SOURCES];
    for (int i = 0; i < FLIGHT_SOURCES; i++) {
        tsrv_start(&srv[i], B_DELAY, 300); /* long enough for all 20 to arrive meanwhile */
        char id[8];
        snprintf(id, sizeof id, "s%d", i);
        req_for(&reqs[i], id, srv[i].port, 2000);
    }
    struct gp_federate *f = engine(0, 0);
    struct waitbox box;
    box_init(&box);
    pthread_barrier_t barrier;
    pthread_barrier_init(&barrier, NULL, FLIGHT_CALLERS);
    static struct flight_caller callers[FLIGHT_CALLERS];
    pthread_t th[FLIGHT_CALLERS];
    for (int i = 0; i < FLIGHT_CALLERS; i++) {
        memset(&callers[i], 0, sizeof callers[i]);
        callers[i] = (struct flight_caller){.barrier = &barrier, .f = f, .reqs = reqs};
        callers[i].got.box = &box;
        ck_assert_int_eq(pthread_create(&th[i], NULL, flight_thread, &callers[i]), 0);
    }
    for (int i = 0; i < FLIGHT_CALLERS; i++)
        pthread_join(th[i], NULL);
    ck_assert_int_eq(box_wait(&box, FLIGHT_CALLERS, 8000), FLIGHT_CALLERS);

    int first = 0;
    const struct got *leader = NULL;
    for (int i = 0; i < FLIGHT_CALLERS; i++) {
        ck_assert(callers[i].started);
        ck_assert_int_eq(callers[i].got.calls, 1);
        if (!callers[i].got.joined) {
            first++;
            leader = &callers[i].got;
        }
    }
    ck_assert_int_eq(first, 1);
    for (int s = 0; s < FLIGHT_SOURCES; s++)
        ck_assert_int_eq(tsrv_hits(&srv[s]), 1);
    ck_assert_uint_eq(gp_federate_sent(f), FLIGHT_SOURCES);
    for (int i = 0; i < FLIGHT_CALLERS; i++) {
        const struct got *g = &callers[i].got;
        ck_assert_uint_eq(g->n, FLIGHT_SOURCES);
        for (int s = 0; s < FLIGHT_SOURCES; s++) {
            assert_ok(&g->r[s]);
            ck_assert_str_eq(g->r[s].body, leader->r[s].body);
            ck_assert_str_eq(g->r[s].fetched_at, leader->r[s].fetched_at);
            ck_assert(g->r[s].latency_ms == leader->r[s].latency_ms);
        }
    }

    /* Done: the key is free again and a new caller asks the sources afresh. */
    struct got again;
    run_fanout(f, "0101901234|a,b,c", reqs, FLIGHT_SOURCES, 3000, &again);
    ck_assert(!again.joined);
    for (int s = 0; s < FLIGHT_SOURCES; s++) {
        ck_assert_int_eq(tsrv_hits(&srv[s]), 2);
        ck_assert_str_eq(again.r[s].body, "{\"ok\":true,\"hit\":2}");
    }
    got_free(&again);

    for (int i = 0; i < FLIGHT_CALLERS; i++)
        got_free(&callers[i].got);
    pthread_barrier_destroy(&barrier);
    box_destroy(&box);
    gp_federate_destroy(f);
    for (int i = 0; i < FLIGHT_SOURCES; i++)
        tsrv_stop(&srv[i]);
}
END_TEST

/* A joiner with a shorter deadline than the running fan-out is answered on its own time. */
START_TEST(joiner_keeps_its_own_deadline)
{
    struct tsrv srv;
    tsrv_start(&srv, B_DELAY, 800);
    struct gp_fetch_request req;
    req_for(&req, "slow", srv.port, 3000);
    struct gp_federate *f = engine(0, 0);
    struct waitbox box;
    box_init(&box);
    struct got leader = {.box = &box}, joiner = {.box = &box};
    leader.start_us = mono_us();
    ck_assert(gp_federate_start(f, "k", &req, 1, 3000, on_done, &leader));
    joiner.start_us = mono_us();
    ck_assert(gp_federate_start(f, "k", &req, 1, 300, on_done, &joiner));
    ck_assert_int_eq(box_wait(&box, 1, 2000), 1);
    pthread_mutex_lock(&box.m);
    int leader_calls = leader.calls;
    pthread_mutex_unlock(&box.m);
    ck_assert_int_eq(joiner.calls, 1);
    ck_assert_int_eq(leader_calls, 0); /* still waiting for the slow source */
    double ms = got_elapsed_ms(&joiner);
    fprintf(stderr, "timing: joiner with a 300 ms deadline: done after %.1f ms\n", ms);
    ck_assert(ms >= 295 && ms <= 300 + DEADLINE_SLACK_MS);
    ck_assert(joiner.joined);
    ck_assert_int_eq(joiner.r[0].status, GP_FETCH_TIMEOUT);
    ck_assert_str_eq(joiner.r[0].error, "deadline passed after 300 ms");
    assert_iso8601(joiner.r[0].fetched_at);

    ck_assert_int_eq(box_wait(&box, 2, 5000), 2);
    ck_assert(!leader.joined);
    assert_ok(&leader.r[0]);
    ck_assert_int_eq(tsrv_hits(&srv), 1);
    got_free(&leader);
    got_free(&joiner);
    box_destroy(&box);
    gp_federate_destroy(f);
    tsrv_stop(&srv);
}
END_TEST

/* A deadline that has passed before the engine gets to the fan-out: nothing is sent and the
 * answer comes at once. */
START_TEST(passed_deadline_sends_nothing)
{
    struct tsrv srv;
    tsrv_start(&srv, B_OK, 0);
    struct gp_fetch_request reqs[2];
    req_for(&reqs[0], "a", srv.port, 1000);
    req_for(&reqs[1], "b", srv.port, 1000);
    struct gp_federate *f = engine(0, 0);
    struct got g;
    run_fanout(f, NULL, reqs, 2, 0, &g);
    ck_assert(got_elapsed_ms(&g) <= DEADLINE_SLACK_MS);
    for (int i = 0; i < 2; i++) {
        ck_assert_int_eq(g.r[i].status, GP_FETCH_TIMEOUT);
        ck_assert_str_eq(g.r[i].error, "deadline passed after 0 ms");
        ck_assert(g.r[i].latency_ms == 0);
        assert_iso8601(g.r[i].fetched_at); /* settled, if never sent */
        ck_assert_str_eq(g.r[i].body, "");
    }
    ck_assert_int_eq(tsrv_hits(&srv), 0);
    ck_assert_uint_eq(gp_federate_sent(f), 0);
    struct gp_source_health h;
    gp_federate_health(f, "a", &h);
    ck_assert_int_eq(h.consecutive_failures, 0); /* never sent: not the source's fault */
    got_free(&g);
    gp_federate_destroy(f);
    tsrv_stop(&srv);
}
END_TEST

/* With one connection per host, the second request to a host that never answers waits in
 * libcurl's queue; the deadline still ends it on time. */
START_TEST(queued_request_ends_at_the_deadline)
{
    const int deadline = 800;
    struct tsrv hang;
    tsrv_start(&hang, B_HANG, 0);
    struct gp_fetch_request reqs[2];
    req_for(&reqs[0], "h1", hang.port, 5000);
    req_for(&reqs[1], "h2", hang.port, 5000);
    struct gp_federate_config cfg = {.max_body_bytes = MAX_BODY, .max_connections_per_host = 1};
    struct gp_federate *f = gp_federate_create(&cfg);
    ck_assert_ptr_nonnull(f);
    struct got g;
    run_fanout(f, NULL, reqs, 2, deadline, &g);
    double ms = got_elapsed_ms(&g);
    fprintf(stderr,
            "timing: queued behind a never-answering request: done after %.1f ms "
            "(deadline %d ms)\n",
            ms, deadline);
    ck_assert_msg(ms >= deadline - 5 && ms <= deadline + DEADLINE_SLACK_MS, "after %.1f ms", ms);
    ck_assert_int_eq(g.r[0].status, GP_FETCH_TIMEOUT);
    ck_assert_int_eq(g.r[1].status, GP_FETCH_TIMEOUT);
    ck_assert_int_eq(tsrv_hits(&hang), 1); /* the second never got a connection */
    got_free(&g);
    gp_federate_destroy(f);
    tsrv_stop(&hang);
}
END_TEST

/* An Accept value with a line break is refused locally: nothing sent, the circuit untouched. */
START_TEST(header_injection_is_refused)
{
    struct tsrv srv;
    tsrv_start(&srv, B_OK, 0);
    struct gp_fetch_request req;
    req_for(&req, "src", srv.port, 1000);
    snprintf(req.accept, sizeof req.accept, "application/json\r\nX-Evil: 1");
    struct gp_federate *f = engine(1, 10000);
    struct got g;
    run_fanout(f, NULL, &req, 1, 2000, &g);
    ck_assert_int_eq(g.r[0].status, GP_FETCH_ERROR);
    ck_assert_str_eq(g.r[0].error, "invalid Accept or Prefer header value");
    ck_assert_int_eq(tsrv_hits(&srv), 0);
    struct gp_source_health h;
    gp_federate_health(f, "src", &h);
    ck_assert_int_eq(h.circuit, GP_CIRCUIT_CLOSED); /* one failure would have opened it */
    got_free(&g);
    gp_federate_destroy(f);
    tsrv_stop(&srv);
}
END_TEST

/* Failures are logged (at debug) with the URL, whose CPR must come out masked. */
START_TEST(failure_logs_mask_the_cpr)
{
    char path[] = "/tmp/itest_federate_log_XXXXXX";
    int fd = mkstemp(path);
    ck_assert_int_ge(fd, 0);
    unlink(path);
    /* At warning level: a failed fetch is worth a warning, with its reason. */
    gp_log_set_level(GP_LOG_WARN);
    gp_log_set_fd(fd);
    struct gp_fetch_request req;
    int port = gpt_free_port();
    req_for(&req, "gone", port, 1000);
    /* A source written before credentials were configured apart: its password never logged. */
    snprintf(req.url, sizeof req.url, "http://u:s3cret@127.0.0.1:%d/citizens/0101901234", port);
    struct gp_federate *f = engine(0, 0);
    struct got g;
    for (int i = 0; i < 3; i++) {
        if (i)
            got_free(&g);
        run_fanout(f, NULL, &req, 1, 2000, &g);
        ck_assert_int_eq(g.r[0].status, GP_FETCH_UNAVAILABLE);
    }
    /* A body found unusable afterwards is a failure too: within the interval, not logged. */
    gp_federate_report_failure(f, "gone", "unusable answer: about 0101901234");
    gp_federate_destroy(f);
    gp_log_set_fd(-1);
    gp_log_set_level(GP_LOG_INFO);

    char log[8192];
    ssize_t n = pread(fd, log, sizeof log - 1, 0);
    close(fd);
    ck_assert_int_gt(n, 0);
    log[n] = '\0';
    ck_assert_msg(strstr(log, "/citizens/010190xxxx"), "URL not logged: %s", log);
    ck_assert_msg(!strstr(log, "0101901234"), "full CPR in the log: %s", log);
    ck_assert_msg(!strstr(log, "s3cret") && strstr(log, "http://***@127.0.0.1"), "%s", log);
    ck_assert_msg(strstr(log, "source gone: unavailable (connection refused)"), "%s", log);
    /* Once per interval: three failures and a reported one, one line. */
    int lines = 0;
    for (const char *p = log; (p = strstr(p, "source gone:")); p++)
        lines++;
    ck_assert_msg(lines == 1, "%d lines: %s", lines, log);
    got_free(&g);
}
END_TEST

/* 50 fan-outs one after another reuse the connections of the first. */
START_TEST(connections_are_kept_alive)
{
    struct tsrv srv;
    tsrv_start(&srv, B_OK, 0);
    struct gp_fetch_request reqs[2];
    req_for(&reqs[0], "a", srv.port, 1000);
    req_for(&reqs[1], "b", srv.port, 1000); /* two sources on one host: two connections */
    struct gp_federate *f = engine(0, 0);
    for (int i = 0; i < 50; i++) {
        struct got g;
        run_fanout(f, NULL, reqs, 2, 2000, &g);
        assert_ok(&g.r[0]);
        assert_ok(&g.r[1]);
        got_free(&g);
    }
    ck_assert_int_eq(tsrv_hits(&srv), 100);
    int conns = tsrv_connections(&srv);
    fprintf(stderr, "timing: 50 fan-outs of 2 requests used %d TCP connections\n", conns);
    ck_assert_int_le(conns, 3);
    gp_federate_destroy(f);
    tsrv_stop(&srv);
}
END_TEST

/* Destroy with a fan-out in flight: its caller hears TIMEOUT "shutting down" before destroy
 * returns, and a start from within that callback is refused. */
START_TEST(destroy_completes_fanouts_in_flight)
{
    struct tsrv hang, ok;
    tsrv_start(&hang, B_HANG, 0);
    tsrv_start(&ok, B_OK, 0);
    struct gp_fetch_request reqs[2];
    req_for(&reqs[0], "ok", ok.port, 10000);
    req_for(&reqs[1], "hang", hang.port, 10000);
    struct gp_federate *f = engine(0, 0);
    struct waitbox box;
    box_init(&box);
    struct got g = {.box = &box, .f = f, .restart_ok = true};
    g.start_us = mono_us();
    ck_assert(gp_federate_start(f, "k", reqs, 2, 10000, on_done, &g));
    tsrv_wait_hits(&hang, 1);
    int64_t t0 = mono_us();
    gp_federate_destroy(f);
    double ms = (double)(mono_us() - t0) / 1000.0;
    fprintf(stderr, "timing: destroy with a fan-out in flight took %.1f ms\n", ms);
    ck_assert_int_eq(box_wait(&box, 1, 0), 1); /* already called: no waiting */
    ck_assert_int_eq(g.calls, 1);
    ck_assert(!g.restart_ok);
    ck_assert_int_eq(g.r[1].status, GP_FETCH_TIMEOUT);
    ck_assert_str_eq(g.r[1].error, "shutting down");
    assert_iso8601(g.r[1].fetched_at);
    ck_assert(ms < 1000);
    got_free(&g);
    box_destroy(&box);
    tsrv_stop(&hang);
    tsrv_stop(&ok);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("federate");
    TCase *tc = tcase_create("fanout");
    tcase_set_timeout(tc, 60);
    tcase_add_test(tc, all_sources_ok);
    tcase_add_test(tc, paged_answers_come_whole_or_fail);
    tcase_add_loop_test(tc, each_fault_is_reported_and_the_others_answer, 0,
                        (int)(sizeof faults / sizeof faults[0]));
    tcase_add_test(tc, never_answering_source_does_not_delay_past_deadline);
    tcase_add_test(tc, request_timeout_shorter_than_deadline);
    tcase_add_test(tc, passed_deadline_sends_nothing);
    tcase_add_test(tc, queued_request_ends_at_the_deadline);
    tcase_add_test(tc, header_injection_is_refused);
    tcase_add_test(tc, failure_logs_mask_the_cpr);
    tcase_add_test(tc, connections_are_kept_alive);
    tcase_add_test(tc, destroy_completes_fanouts_in_flight);
    suite_add_tcase(s, tc);

    TCase *breaker = tcase_create("breaker");
    tcase_set_timeout(breaker, 60);
    tcase_add_test(breaker, circuit_opens_half_opens_and_closes);
    tcase_add_test(breaker, failed_probe_reopens_the_circuit);
    tcase_add_test(breaker, half_open_lets_one_probe_through);
    tcase_add_test(breaker, reported_failures_open_the_circuit);
    suite_add_tcase(s, breaker);

    TCase *flight = tcase_create("single_flight");
    tcase_set_timeout(flight, 60);
    tcase_add_test(flight, single_flight_joins_concurrent_callers);
    tcase_add_test(flight, joiner_keeps_its_own_deadline);
    suite_add_tcase(s, flight);

    return gpt_run_suite(s);
}
