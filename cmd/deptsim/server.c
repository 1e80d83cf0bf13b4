/* libmicrohttpd plumbing: accept, route (routes.c / control.c), inject faults, log. */
#include "cmd/deptsim/server.h"

#include "cmd/deptsim/control.h"
#include "cmd/deptsim/log.h"
#include "cmd/deptsim/rng.h"
#include "cmd/deptsim/routes.h"
#include "cmd/deptsim/stats.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define NAP_SLICE_MS 20
#define CONTROL      DS_NSYSTEMS /* index of the control port in port arrays */

struct ds_server;

struct sysport {
    struct ds_server *srv;
    int sys; /* enum ds_system, or CONTROL */
    int port;
    pthread_mutex_t mu; /* guards d: start and stop come from control threads */
    struct MHD_Daemon *d;
    atomic_bool stopping; /* the port is closing: sleeping handlers give up now */
};

struct ds_server {
    struct ds_population pop;
    struct ds_faultset faults;
    struct ds_stats stats;
    struct ds_control ctl;
    struct sysport ports[DS_NSYSTEMS + 1];
    struct in_addr addr;
    char listen[INET_ADDRSTRLEN];
    bool quiet;
    atomic_bool shutting_down;
};

/* Per request, from libmicrohttpd's first callback to its completion callback. */
struct reqctx {
    struct timespec t0;
    char method[12];
    char path[256]; /* sanitised and CPR-masked */
    char cpr_masked[12];
    unsigned status;
    size_t bytes;
    const char *fault; /* static: which fault shaped the answer, for the log */
    bool counted;
    char *body; /* control uploads */
    size_t body_len;
    bool too_large;
};

/* A response body produced piecewise: truncation, slow drip and oversize padding. */
struct body_stream {
    struct sysport *sp;
    char *body;
    size_t len;    /* the real body */
    size_t total;  /* bytes announced in Content-Length */
    size_t cut_at; /* truncate: stop with an error here; 0 = never */
    int drip_rate; /* bytes per second; 0 = full speed */
    bool oversize;
};

/* ---- helpers ---------------------------------------------------------------------------- */

static double ms_since(const struct timespec *t0)
{
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* Per-thread random numbers for jitter and error rates: no locks, no shared state. */
static uint64_t thread_random(void)
{
    static atomic_uint_fast64_t threads;
    static _Thread_local struct ds_rng r;
    static _Thread_local bool seeded;
    if (!seeded) {
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        uint64_t n = atomic_fetch_add(&threads, 1);
        ds_rng_init(&r, (uint64_t)t.tv_nsec, n, (uint64_t)t.tv_sec);
        seeded = true;
    }
    return ds_rng_next(&r);
}

static bool port_stopping(const struct sysport *sp)
{
    return atomic_load(&sp->stopping) || atomic_load(&sp->srv->shutting_down);
}

/* Sleeps ms milliseconds in short slices; false when the port started closing meanwhile. */
static bool nap(struct sysport *sp, long ms)
{
    struct timespec start;
    clock_gettime(CLOCK_MONOTONIC, &start);
    for (;;) {
        if (port_stopping(sp))
            return false;
        double left = (double)ms - ms_since(&start);
        if (left <= 0)
            return true;
        long slice = left < NAP_SLICE_MS ? (long)left + 1 : NAP_SLICE_MS;
        struct timespec ts = {slice / 1000, (slice % 1000) * 1000000L};
        nanosleep(&ts, NULL);
    }
}

static int listen_socket(struct in_addr addr, int port, char *err, size_t errlen)
{
    int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) {
        snprintf(err, errlen, "socket: %s", strerror(errno));
        return -1;
    }
    int one = 1;
    /* The same port is reopened when "refuse" is cleared, while old connections may still be
     * in TIME_WAIT. */
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
    struct sockaddr_in sa;
    memset(&sa, 0, sizeof sa);
    sa.sin_family = AF_INET;
    sa.sin_port = htons((uint16_t)port);
    sa.sin_addr = addr;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 1024) != 0) {
        snprintf(err, errlen, "port %d: %s", port, strerror(errno));
        close(fd);
        return -1;
    }
    return fd;
}

static const char *port_name(const struct sysport *sp)
{
    return sp->sys == CONTROL ? "control" : ds_system_name((enum ds_system)sp->sys);
}

static void mhd_logger(void *cls, const char *fmt, va_list ap)
{
    char msg[512], clean[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n > 0 && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    ds_log_sanitize(msg, clean, sizeof clean);
    ds_log("warn", json_pack("{s:s, s:s}", "component", "libmicrohttpd", "msg", clean));
}

/* ---- completion: the access log --------------------------------------------------------- */

static void completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                      enum MHD_RequestTerminationCode toe)
{
    struct sysport *sp = cls;
    struct reqctx *rc = *con_cls;
    if (!rc)
        return;
    if (rc->counted && sp->sys != CONTROL)
        atomic_fetch_sub(&sp->srv->stats.in_flight[sp->sys], 1);
    if (!sp->srv->quiet) {
        json_t *line =
            json_pack("{s:s, s:i, s:s, s:s, s:i, s:I, s:f}", "system", port_name(sp), "port",
                      sp->port, "method", rc->method, "path", rc->path, "status", (int)rc->status,
                      "bytes", (json_int_t)rc->bytes, "ms", ms_since(&rc->t0));
        if (line && rc->cpr_masked[0])
            json_object_set_new(line, "cpr", json_string(rc->cpr_masked));
        if (line && rc->fault)
            json_object_set_new(line, "fault", json_string(rc->fault));
        if (line && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
            json_object_set_new(line, "aborted", json_true());
        ds_log(toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "info" : "warn", line);
    }
    free(rc->body);
    free(rc);
    *con_cls = NULL;
}

static struct reqctx *new_reqctx(const char *method, const char *url)
{
    struct reqctx *rc = calloc(1, sizeof *rc);
    if (!rc)
        return NULL;
    clock_gettime(CLOCK_MONOTONIC, &rc->t0);
    snprintf(rc->method, sizeof rc->method, "%s", method);
    ds_log_sanitize(url, rc->path, sizeof rc->path);
    return rc;
}

/* ---- responses -------------------------------------------------------------------------- */

static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    struct body_stream *bs = cls;
    size_t end = bs->cut_at ? bs->cut_at : bs->total;
    if (pos >= end)
        return bs->cut_at ? MHD_CONTENT_READER_END_WITH_ERROR : MHD_CONTENT_READER_END_OF_STREAM;
    size_t n = end - (size_t)pos;
    if (n > max)
        n = max;
    if (bs->drip_rate > 0) {
        /* About twenty small writes a second, each followed by its share of the time. */
        size_t chunk = (size_t)bs->drip_rate / 20;
        if (chunk < 1)
            chunk = 1;
        if (n > chunk)
            n = chunk;
        if (!nap(bs->sp, (long)(n * 1000 / (size_t)bs->drip_rate)))
            return MHD_CONTENT_READER_END_WITH_ERROR;
    }
    if (bs->oversize)
        ds_fault_oversize_read(bs->body, bs->len, bs->total, (size_t)pos, buf, n);
    else
        memcpy(buf, bs->body + pos, n);
    return (ssize_t)n;
}

static void stream_free(void *cls)
{
    struct body_stream *bs = cls;
    free(bs->body);
    free(bs);
}

/* Queues rep (whose body it takes over) with the transport faults of f applied. */
static enum MHD_Result send_reply(struct sysport *sp, struct MHD_Connection *conn,
                                  struct reqctx *rc, struct ds_reply *rep, const struct ds_fault *f,
                                  bool body_faults)
{
    struct MHD_Response *resp = NULL;
    struct ds_stats *st = &sp->srv->stats;
    bool stream =
        body_faults && (f->truncate || f->drip_bytes_per_sec > 0 || f->oversize_bytes > 0);
    if (stream) {
        struct body_stream *bs = calloc(1, sizeof *bs);
        if (!bs) {
            ds_reply_free(rep);
            return MHD_NO;
        }
        bs->sp = sp;
        bs->body = rep->body;
        bs->len = rep->len;
        bs->total = rep->len;
        rep->body = NULL;
        if (f->oversize_bytes > 0) {
            bs->total = ds_fault_oversize_len(bs->len, f->oversize_bytes);
            bs->oversize = bs->total != bs->len;
            ds_stats_add(st, (enum ds_system)sp->sys, DS_STAT_OVERSIZED, 1);
            rc->fault = "oversize";
        }
        if (f->truncate) {
            bs->cut_at = bs->total > 1 ? bs->total / 2 : 1;
            ds_stats_add(st, (enum ds_system)sp->sys, DS_STAT_TRUNCATED, 1);
            rc->fault = "truncate";
        }
        if (f->drip_bytes_per_sec > 0) {
            bs->drip_rate = f->drip_bytes_per_sec;
            ds_stats_add(st, (enum ds_system)sp->sys, DS_STAT_DRIPPED, 1);
            rc->fault = "drip";
        }
        rc->bytes = bs->cut_at ? bs->cut_at : bs->total;
        resp = MHD_create_response_from_callback(bs->total, 4096, stream_read, bs, stream_free);
        if (!resp) {
            stream_free(bs);
            return MHD_NO;
        }
    } else {
        rc->bytes = rep->len;
        resp = MHD_create_response_from_buffer(rep->len, rep->body, MHD_RESPMEM_MUST_FREE);
        if (!resp) {
            ds_reply_free(rep);
            return MHD_NO;
        }
        rep->body = NULL;
    }
    const char *ctype = rep->content_type;
    if (sp->sys != CONTROL && f->wrong_content_type[0]) {
        ctype = f->wrong_content_type;
        ds_stats_add(st, (enum ds_system)sp->sys, DS_STAT_WRONG_CONTENT_TYPE, 1);
        if (!rc->fault)
            rc->fault = "wrong_content_type";
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, ctype);
    if (rep->allow)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, rep->allow);
    if (rep->status == 503)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, "1");
    rc->status = rep->status;
    if (sp->sys != CONTROL) {
        enum ds_stat k = rep->status < 300   ? DS_STAT_STATUS_2XX
                         : rep->status < 500 ? DS_STAT_STATUS_4XX
                                             : DS_STAT_STATUS_5XX;
        ds_stats_add(st, (enum ds_system)sp->sys, k, 1);
        ds_stats_add(st, (enum ds_system)sp->sys, DS_STAT_BYTES_SENT, rc->bytes);
    }
    enum MHD_Result ret = MHD_queue_response(conn, rep->status, resp);
    MHD_destroy_response(resp);
    return ret;
}

/* ---- the five systems ------------------------------------------------------------------- */

static const char *query_arg(void *cls, const char *key)
{
    return MHD_lookup_connection_value((struct MHD_Connection *)cls, MHD_GET_ARGUMENT_KIND, key);
}

static void base_url(struct sysport *sp, struct MHD_Connection *conn, char *buf, size_t len)
{
    const char *host = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_HOST);
    bool ok = host && *host && strlen(host) < 200;
    for (const char *p = host; ok && *p; p++)
        ok = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
             *p == '.' || *p == ':' || *p == '-' || *p == '[' || *p == ']';
    if (ok)
        snprintf(buf, len, "http://%s", host);
    else
        snprintf(buf, len, "http://%s:%d", sp->srv->listen, sp->port);
}

/* Holds the request without answering until the hang is cleared, the port closes or
 * DS_HANG_MAX_MS pass; then drops the connection. Bounded so no thread sleeps forever. */
static enum MHD_Result hang(struct sysport *sp, struct reqctx *rc)
{
    struct ds_fault f;
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rc->fault = "hang";
    ds_stats_add(&sp->srv->stats, (enum ds_system)sp->sys, DS_STAT_HANGS, 1);
    do {
        if (!nap(sp, 50))
            break;
        ds_faultset_get(&sp->srv->faults, (enum ds_system)sp->sys, &f);
    } while (f.hang && ms_since(&t0) < DS_HANG_MAX_MS);
    return MHD_NO; /* close without a response */
}

static enum MHD_Result sys_access(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    struct sysport *sp = cls;
    struct ds_server *srv = sp->srv;
    enum ds_system sys = (enum ds_system)sp->sys;
    struct reqctx *rc = *con_cls;
    if (!rc) {
        rc = new_reqctx(method, url);
        if (!rc)
            return MHD_NO;
        *con_cls = rc;
        rc->counted = true;
        atomic_fetch_add(&srv->stats.in_flight[sys], 1);
        ds_stats_add(&srv->stats, sys, DS_STAT_REQUESTS, 1);
        return MHD_YES;
    }
    if (*upload_data_size) { /* read-only systems: request bodies are ignored */
        *upload_data_size = 0;
        return MHD_YES;
    }

    char base[256];
    base_url(sp, conn, base, sizeof base);
    struct ds_fault pf;
    ds_faultset_get(&srv->faults, sys, &pf);
    struct ds_request rq = {.sys = sys,
                            .method = method,
                            .path = url,
                            .arg = query_arg,
                            .arg_cls = conn,
                            .base_url = base,
                            .page_max = pf.page_max};
    struct ds_reply rep;
    if (!ds_route(&srv->pop, &rq, &rep)) {
        rc->status = 500;
        return MHD_NO;
    }
    snprintf(rc->cpr_masked, sizeof rc->cpr_masked, "%s", rep.cpr_masked);
    static const enum ds_stat kind_stat[] = {
        [DS_RK_OTHER] = DS_STAT_OTHER,     [DS_RK_HEALTHZ] = DS_STAT_HEALTHZ,
        [DS_RK_LOOKUP] = DS_STAT_LOOKUPS,  [DS_RK_EXPORT] = DS_STAT_EXPORTS,
        [DS_RK_SEARCH] = DS_STAT_SEARCHES,
    };
    ds_stats_add(&srv->stats, sys, kind_stat[rep.kind], 1);
    if (rep.kind == DS_RK_LOOKUP && rep.known)
        ds_stats_add(&srv->stats, sys, DS_STAT_LOOKUPS_KNOWN, 1);

    struct ds_fault f;
    memset(&f, 0, sizeof f);
    if (rep.kind != DS_RK_HEALTHZ)
        ds_faultset_get(&srv->faults, sys, &f);
    if (f.refuse) { /* the port is being closed right now: drop this one too */
        ds_reply_free(&rep);
        rc->fault = "refuse";
        return MHD_NO;
    }
    if (f.hang) {
        ds_reply_free(&rep);
        return hang(sp, rc);
    }
    struct ds_fault_plan plan;
    ds_fault_decide(&f, thread_random(), thread_random(), &plan);
    if (plan.delay_ms > 0) {
        ds_stats_add(&srv->stats, sys, DS_STAT_DELAYED, 1);
        rc->fault = "latency";
        if (!nap(sp, plan.delay_ms)) {
            ds_reply_free(&rep);
            return MHD_NO;
        }
    }
    if (plan.error) {
        ds_reply_free(&rep);
        if (!ds_route_error(sys, plan.error_status, "Simulated failure (deptsim fault injection)",
                            &rep))
            return MHD_NO;
        ds_stats_add(&srv->stats, sys, DS_STAT_ERRORS_INJECTED, 1);
        rc->fault = "error";
        return send_reply(sp, conn, rc, &rep, &f, false);
    }
    if (f.malformed) {
        size_t n;
        char *bad = ds_fault_malform(rep.body, rep.len, &n);
        if (!bad) {
            ds_reply_free(&rep);
            return MHD_NO;
        }
        free(rep.body);
        rep.body = bad;
        rep.len = n;
        ds_stats_add(&srv->stats, sys, DS_STAT_MALFORMED, 1);
        rc->fault = "malformed";
    }
    return send_reply(sp, conn, rc, &rep, &f, true);
}

/* ---- the control port ------------------------------------------------------------------- */

static enum MHD_Result control_access(void *cls, struct MHD_Connection *conn, const char *url,
                                      const char *method, const char *version,
                                      const char *upload_data, size_t *upload_data_size,
                                      void **con_cls)
{
    struct sysport *sp = cls;
    struct reqctx *rc = *con_cls;
    if (!rc) {
        rc = new_reqctx(method, url);
        if (!rc)
            return MHD_NO;
        *con_cls = rc;
        return MHD_YES;
    }
    if (*upload_data_size) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (rc->too_large || rc->body_len + n > DS_CONTROL_BODY_MAX) {
            rc->too_large = true; /* keep reading, answer 413 at the end */
            return MHD_YES;
        }
        char *b = realloc(rc->body, rc->body_len + n + 1);
        if (!b)
            return MHD_NO;
        memcpy(b + rc->body_len, upload_data, n);
        rc->body = b;
        rc->body_len += n;
        rc->body[rc->body_len] = '\0';
        return MHD_YES;
    }
    struct ds_reply rep;
    bool ok = ds_control_route(&sp->srv->ctl, method, url, rc->body,
                               rc->too_large ? DS_CONTROL_BODY_MAX + 1 : rc->body_len, &rep);
    if (!ok)
        return MHD_NO;
    struct ds_fault none;
    memset(&none, 0, sizeof none);
    return send_reply(sp, conn, rc, &rep, &none, false);
}

/* ---- starting and stopping ports -------------------------------------------------------- */

static bool port_start(struct sysport *sp, char *err, size_t errlen)
{
    struct ds_server *srv = sp->srv;
    struct in_addr addr = srv->addr;
    if (sp->sys == CONTROL)
        addr.s_addr = htonl(INADDR_LOOPBACK); /* the control API is never reachable from outside */
    int fd = listen_socket(addr, sp->port, err, errlen);
    if (fd < 0)
        return false;
    atomic_store(&sp->stopping, false);
    sp->d = MHD_start_daemon(
        MHD_USE_THREAD_PER_CONNECTION | MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_POLL |
            MHD_USE_ERROR_LOG,
        0, NULL, NULL, sp->sys == CONTROL ? control_access : sys_access, sp,
        /* the logger first, or libmicrohttpd complains through its own logger */
        MHD_OPTION_EXTERNAL_LOGGER, mhd_logger, NULL, MHD_OPTION_LISTEN_SOCKET, fd,
        MHD_OPTION_NOTIFY_COMPLETED, completed, sp, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned int)120, MHD_OPTION_CONNECTION_LIMIT, (unsigned int)4000, MHD_OPTION_END);
    if (!sp->d) {
        snprintf(err, errlen, "port %d: libmicrohttpd did not start", sp->port);
        close(fd);
        return false;
    }
    return true;
}

static void port_stop(struct sysport *sp)
{
    if (!sp->d)
        return;
    atomic_store(&sp->stopping, true);
    MHD_stop_daemon(sp->d); /* closes the listen socket: connect() is refused from now on */
    sp->d = NULL;
}

/* Control callback: open or close a system's port to match its "refuse" fault. */
static void on_fault_change(void *cls, enum ds_system s)
{
    struct ds_server *srv = cls;
    struct sysport *sp = &srv->ports[s];
    struct ds_fault f;
    ds_faultset_get(&srv->faults, s, &f);
    pthread_mutex_lock(&sp->mu);
    if (f.refuse && sp->d) {
        port_stop(sp);
        ds_logf("info", "%s: port %d closed (refuse)", ds_system_name(s), sp->port);
    } else if (!f.refuse && !sp->d && !atomic_load(&srv->shutting_down)) {
        char err[160];
        if (port_start(sp, err, sizeof err))
            ds_logf("info", "%s: port %d open again", ds_system_name(s), sp->port);
        else
            ds_logf("error", "%s: cannot reopen: %s", ds_system_name(s), err);
    }
    pthread_mutex_unlock(&sp->mu);
}

struct ds_server *ds_server_start(const struct ds_population *pop,
                                  const struct ds_server_config *cfg, char *err, size_t errlen)
{
    struct ds_server *srv = calloc(1, sizeof *srv);
    if (!srv) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    srv->pop = *pop;
    srv->quiet = cfg->quiet;
    atomic_init(&srv->shutting_down, false);
    ds_faultset_init(&srv->faults);
    ds_stats_init(&srv->stats);
    for (int i = 0; i <= DS_NSYSTEMS; i++) {
        struct sysport *sp = &srv->ports[i];
        sp->srv = srv;
        sp->sys = i;
        sp->port = cfg->base_port + i;
        pthread_mutex_init(&sp->mu, NULL);
        atomic_init(&sp->stopping, false);
    }
    snprintf(srv->listen, sizeof srv->listen, "%s", cfg->listen ? cfg->listen : "127.0.0.1");
    srv->ctl = (struct ds_control){.faults = &srv->faults,
                                   .stats = &srv->stats,
                                   .pop = &srv->pop,
                                   .on_change = on_fault_change,
                                   .cls = srv,
                                   .listen = srv->listen,
                                   .base_port = cfg->base_port};
    if (inet_pton(AF_INET, srv->listen, &srv->addr) != 1) {
        snprintf(err, errlen, "--listen %s: not an IPv4 address", srv->listen);
        goto fail;
    }
    if (cfg->base_port < 1 || cfg->base_port + DS_NSYSTEMS > 65535) {
        snprintf(err, errlen, "--base-port %d: ports must be 1..65535", cfg->base_port);
        goto fail;
    }
    for (int s = 0; s < DS_NSYSTEMS; s++)
        ds_faultset_set(&srv->faults, (enum ds_system)s, &cfg->initial[s]);
    for (int i = 0; i <= DS_NSYSTEMS; i++) {
        if (i < DS_NSYSTEMS && cfg->initial[i].refuse)
            continue; /* starts closed */
        if (!port_start(&srv->ports[i], err, errlen))
            goto fail;
    }
    return srv;
fail:
    ds_server_stop(srv);
    return NULL;
}

void ds_server_stop(struct ds_server *srv)
{
    if (!srv)
        return;
    atomic_store(&srv->shutting_down, true);
    /* Control first, so no fault change reopens a port while the others close. */
    for (int i = DS_NSYSTEMS; i >= 0; i--) {
        pthread_mutex_lock(&srv->ports[i].mu);
        port_stop(&srv->ports[i]);
        pthread_mutex_unlock(&srv->ports[i].mu);
    }
    for (int i = 0; i <= DS_NSYSTEMS; i++)
        pthread_mutex_destroy(&srv->ports[i].mu);
    ds_faultset_destroy(&srv->faults);
    free(srv);
}
