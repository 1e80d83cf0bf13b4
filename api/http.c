#include "api/http.h"

#include "api/auth.h"
#include "api/static.h"
#include "api/conn.h"
#include "api/strict.h"
#include "api/throttle.h"
#include "lib/core/alloc.h"
#include "lib/federation/classcache.h"
#include "lib/core/cpr.h"
#include "lib/core/json_spec.h"
#include "lib/core/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#define GP_CLASSCACHE_SLOTS 16384
#define GP_CLASSCACHE_TTL_S 300

#define CORS_ALLOW_HEADERS  "Authorization, Content-Type, X-Purpose, X-Request-Id"
#define CORS_EXPOSE_HEADERS "X-Request-Id, Location, WWW-Authenticate, Allow, Retry-After"

/* libmicrohttpd's memory per connection: request head, its parsed headers and the answer's
 * head. Allocated with mmap and touched only as far as used, returned when the connection
 * closes; a request head larger than about half of it is answered 431 by libmicrohttpd. */
#define GP_CONNECTION_MEMORY (64 * 1024)
/* Request bodies being received at once, in bodies of GLASPLADE_MAX_BODY_BYTES: the memory
 * all of them may take together. */
#define GP_BODY_BUDGET 32
/* Header lines of one request at most (the strict checks look at every one). */
#define GP_MAX_HEADER_LINES 256
/* Descriptors kept for everything but client connections: the pool, the sources, logs. */
#define GP_FD_RESERVE 256
/* Retry-After of a 503: when the deadline ran out, soon; when the database is away, later. */
#define GP_RETRY_AFTER_DEADLINE_S "1"
#define GP_RETRY_AFTER_DATABASE_S "5"

static double elapsed_s(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* 24 random hexadecimal digits; drawn again when they hold ten decimal digits in a row, which
 * the log would take for a CPR number (1 draw in 7 would). */
static void new_request_id(char out[GP_REQUEST_ID_MAX + 1])
{
    for (int attempt = 0; attempt < 16; attempt++) {
        unsigned char raw[12];
        if (RAND_bytes(raw, sizeof raw) != 1)
            memset(raw, 0xab, sizeof raw);
        for (size_t i = 0; i < sizeof raw; i++)
            snprintf(out + 2 * i, 3, "%02x", raw[i]);
        if (gp_strict_request_id(out))
            return;
    }
}

const char *gp_req_header(struct gp_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const char *gp_req_query(struct gp_request *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *gp_req_param(struct gp_request *req, const char *name)
{
    return gp_path_param(&req->params, name);
}

void gp_req_suspend(struct gp_request *req, gp_handler_fn resume_fn)
{
    req->resume_fn = resume_fn;
    req->suspended = true;
    MHD_suspend_connection(req->conn);
}

void gp_req_resume(struct gp_request *req)
{
    MHD_resume_connection(req->conn);
}

double gp_req_elapsed_ms(const struct gp_request *req)
{
    return elapsed_s(&req->start) * 1000.0;
}

double gp_req_remaining_ms(const struct gp_request *req)
{
    return (double)(req->deadline_ms - gp_db_now_ms());
}

void gp_req_add_header(struct gp_request *req, const char *name, const char *value)
{
    if (req->nextra == GP_MAX_EXTRA_HEADERS) {
        GP_LOG_BUG("too many extra headers (%s)", name);
        return;
    }
    snprintf(req->extra[req->nextra].name, sizeof req->extra[0].name, "%s", name);
    req->extra[req->nextra].value = gp_xstrdup(value);
    req->nextra++;
}

static void add_common_headers(struct gp_request *req, struct MHD_Response *resp)
{
    MHD_add_response_header(resp, "X-Request-Id", req->request_id);
    /* Answers may hold personal data: no shared cache may keep them (only the page's own
     * files say otherwise, api/static.c). */
    MHD_add_response_header(resp, "Cache-Control",
                            req->cache_control ? req->cache_control : "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
    MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
    const char *origin = gp_req_header(req, "Origin");
    if (origin && gp_config_cors_allowed(req->server->cfg, origin)) {
        MHD_add_response_header(resp, "Access-Control-Allow-Origin", origin);
        MHD_add_response_header(resp, "Access-Control-Expose-Headers", CORS_EXPOSE_HEADERS);
        MHD_add_response_header(resp, "Vary", "Origin");
    }
    for (size_t i = 0; i < req->nextra; i++)
        MHD_add_response_header(resp, req->extra[i].name, req->extra[i].value);
}

void gp_reply_bytes(struct gp_request *req, int status, const char *content_type, const char *data,
                    size_t len)
{
    if (req->answered) {
        GP_LOG_BUG("second reply to one request (status %d)", status);
        return;
    }
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(len, (void *)data, MHD_RESPMEM_MUST_COPY);
    if (!resp) {
        GP_LOG_BUG("cannot create response");
        return;
    }
    if (content_type)
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    add_common_headers(req, resp);
    if (MHD_queue_response(req->conn, (unsigned)status, resp) != MHD_YES)
        GP_LOG_BUG("cannot queue response %d", status);
    MHD_destroy_response(resp);
    req->status = status;
    req->answered = true;
}

/* libmicrohttpd asks a streamed answer for more. */
static ssize_t stream_read(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    struct gp_request *req = cls;
    gp_log_set_request_id(req->request_id);
    long n = req->stream_fill(req, buf, max);
    gp_log_set_request_id(NULL);
    if (n == GP_STREAM_END)
        return MHD_CONTENT_READER_END_OF_STREAM;
    if (n < 0)
        return MHD_CONTENT_READER_END_WITH_ERROR;
    return (ssize_t)n;
}

void gp_reply_stream(struct gp_request *req, int status, const char *content_type,
                     gp_stream_fill_fn fill)
{
    if (req->answered) {
        GP_LOG_BUG("second reply to one request (status %d)", status);
        return;
    }
    req->stream_fill = fill;
    struct MHD_Response *resp =
        MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16 * 1024, stream_read, req, NULL);
    if (!resp) {
        GP_LOG_BUG("cannot create a streamed response");
        return;
    }
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, content_type);
    /* A proxy must pass each part on as it comes (nginx's and HAProxy's buffering). */
    MHD_add_response_header(resp, "X-Accel-Buffering", "no");
    add_common_headers(req, resp);
    if (MHD_queue_response(req->conn, (unsigned)status, resp) != MHD_YES)
        GP_LOG_BUG("cannot queue streamed response %d", status);
    MHD_destroy_response(resp);
    req->status = status;
    req->answered = true;
}

void gp_req_stream_pause(struct gp_request *req)
{
    MHD_suspend_connection(req->conn);
}

static void reply_json_typed(struct gp_request *req, int status, json_t *body, const char *type)
{
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_REAL_PRECISION(9));
    json_decref(body);
    if (!text) {
        static const char fallback[] = "{\"type\":\"urn:glasplade:problem:internal\",\"title\":"
                                       "\"Internal Server Error\",\"status\":500}";
        GP_LOG_BUG("cannot serialise a reply");
        gp_reply_bytes(req, 500, "application/problem+json", fallback, sizeof fallback - 1);
        return;
    }
    gp_reply_bytes(req, status, type, text, strlen(text));
    free(text);
}

json_t *gp_json_string_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

void gp_reply_json(struct gp_request *req, int status, json_t *body)
{
    reply_json_typed(req, status, body, "application/json");
}

json_t *gp_problem_body(enum gp_error e, const char *detail, const char *request_id)
{
    return json_pack("{s:s, s:s, s:i, s:s, s:s}", "type", gp_error_type(e), "title",
                     gp_error_title(e), "status", gp_error_status(e), "detail",
                     detail ? detail : gp_error_title(e), "request_id",
                     request_id ? request_id : "");
}

__attribute__((format(printf, 4, 0))) static void
reply_problem_v(struct gp_request *req, enum gp_error e, json_t *extra, const char *fmt, va_list ap)
{
    char detail[1024];
    vsnprintf(detail, sizeof detail, fmt, ap);
    /* A database failure that the request's deadline caused is the deadline's problem: the
     * client learns that it may retry at once, and the log that nothing is broken. */
    if (e == GP_E_DATABASE && gp_db_out_of_time()) {
        e = GP_E_DEADLINE;
        snprintf(detail, sizeof detail,
                 "the request did not finish within its deadline of %d ms; retry later",
                 req->server->cfg->request_deadline_ms);
    }
    if (e == GP_E_DEADLINE || e == GP_E_BUSY)
        gp_req_add_header(req, "Retry-After", GP_RETRY_AFTER_DEADLINE_S);
    else if (gp_error_status(e) == 503)
        gp_req_add_header(req, "Retry-After", GP_RETRY_AFTER_DATABASE_S);
    json_t *body = gp_problem_body(e, detail, req->request_id);
    if (!body) /* detail was not UTF-8: it came from the client; say it plainly */
        body = gp_problem_body(e, "the request contains bytes that are not UTF-8", req->request_id);
    if (extra) {
        json_object_update_missing(body, extra);
        json_decref(extra);
    }
    int status = gp_error_status(e);
    if (e == GP_E_DEADLINE || e == GP_E_BUSY)
        GP_LOG_WARN("answering %d: %s", status, detail);
    else if (status >= 500)
        GP_LOG_ERROR("answering %d: %s", status, detail);
    else if (e != GP_E_UNAUTHORIZED && e != GP_E_TOO_MANY_REQUESTS)
        /* Failed authentication has its access line and the throttle's lines: a flood of bad
         * tokens must not double the log. */
        GP_LOG_CLIENT("answering %d: %s", status, detail);
    reply_json_typed(req, status, body, "application/problem+json");
}

void gp_reply_problem(struct gp_request *req, enum gp_error e, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_problem_v(req, e, NULL, fmt, ap);
    va_end(ap);
}

void gp_reply_problem_extra(struct gp_request *req, enum gp_error e, json_t *extra, const char *fmt,
                            ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_problem_v(req, e, extra, fmt, ap);
    va_end(ap);
}

void gp_reply_bad_field(struct gp_request *req, enum gp_error e, const char *field,
                        const char *reason)
{
    json_t *errors = json_pack("{s:[{s:s, s:s}]}", "errors", "field", field, "reason", reason);
    gp_reply_problem_extra(req, e, errors, "%s %s", field, reason);
}

void gp_reply_jspec_error(struct gp_request *req, const struct gp_jspec_error *err)
{
    if (!err->field) {
        gp_reply_problem(req, GP_E_INVALID_BODY, "%s", err->detail);
        return;
    }
    json_t *errors =
        json_pack("{s:[{s:s, s:s}]}", "errors", "field", err->field, "reason", err->reason);
    gp_reply_problem_extra(req, GP_E_INVALID_BODY, errors, "%s", err->detail);
}

/* ---- the request life cycle ---- */

/* libmicrohttpd calls this first, with the whole request target: the place to create the
 * request context and to see the query string's length too. */
static void *uri_logger(void *cls, const char *uri, struct MHD_Connection *conn)
{
    struct gp_server *s = cls;
    struct gp_request *req = gp_xcalloc(1, sizeof *req);
    req->server = s;
    req->conn = conn;
    req->uri_len = strlen(uri);
    /* libmicrohttpd unescapes the path before we see it: an encoded NUL would cut it short. */
    req->uri_nul = strstr(uri, "%00") != NULL;
    req->route_index = (size_t)-1;
    clock_gettime(CLOCK_MONOTONIC, &req->start);
    req->deadline_ms = gp_db_now_ms() + s->cfg->request_deadline_ms;
    req->cx = gp_conn_of(conn);
    /* The target as the client sent it: libmicrohttpd decodes it (and cuts it at %00) later. */
    struct gp_strict_problem p;
    if (!gp_strict_target(uri, &p)) {
        req->target_bad = true;
        req->target_error = p.error;
        snprintf(req->target_detail, sizeof req->target_detail, "%s", p.detail);
    }
    atomic_fetch_add(&s->inflight, 1);
    return req;
}

/* ---- who asks ---- */

struct forwarded {
    const struct gp_config *cfg;
    struct gp_ipaddr found;
    bool any;
    bool bad;
};

/* X-Forwarded-For lists the hops, the nearest last; each proxy of ours appends the address it
 * got the request from. The client is the last address that is not one of our proxies. */
static enum MHD_Result scan_forwarded(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    struct forwarded *f = cls;
    if (strcasecmp(key, "X-Forwarded-For") != 0 || !value)
        return MHD_YES;
    char copy[512];
    snprintf(copy, sizeof copy, "%s", value);
    char *save = NULL;
    for (char *t = strtok_r(copy, ", \t", &save); t; t = strtok_r(NULL, ", \t", &save)) {
        struct gp_ipaddr a;
        if (!gp_ipaddr_parse(t, &a)) {
            f->bad = true;
            continue;
        }
        if (!gp_config_trusted_proxy(f->cfg, &a) || !f->any) {
            f->found = a; /* later entries override: the nearest untrusted hop wins */
            f->any = true;
        }
    }
    return MHD_YES;
}

static void identify_client(struct gp_request *req)
{
    if (req->cx && req->cx->addr.family) {
        req->client_ip = req->cx->addr;
        snprintf(req->client_addr, sizeof req->client_addr, "%s", req->cx->addr_text);
    }
    if (!req->cx || !req->cx->trusted_proxy)
        return;
    struct forwarded f = {.cfg = req->server->cfg};
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, scan_forwarded, &f);
    if (f.any && !f.bad) {
        req->client_ip = f.found;
        gp_ipaddr_format(&f.found, req->forwarded_for);
    }
}

/* ---- strict HTTP ---- */

struct head_fields {
    struct gp_head_field f[GP_MAX_HEADER_LINES];
    size_t n;
    bool too_many;
};

static enum MHD_Result collect_header(void *cls, enum MHD_ValueKind kind, const char *key,
                                      const char *value)
{
    (void)kind;
    struct head_fields *h = cls;
    if (h->n == GP_MAX_HEADER_LINES) {
        h->too_many = true;
        return MHD_NO;
    }
    h->f[h->n++] = (struct gp_head_field){.name = key ? key : "", .value = value ? value : ""};
    return MHD_YES;
}

/* Answers a problem found in the request head; when the framing is in doubt the connection is
 * closed after the answer (libmicrohttpd 0.9.75 closes after any answer given before the body
 * anyway; saying so keeps that true whatever it does later). */
static void answer_strict(struct gp_request *req, const struct gp_strict_problem *p)
{
    if (p->close)
        gp_req_add_header(req, "Connection", "close");
    gp_reply_problem(req, p->error, "%s", p->detail);
}

static bool strict_ok(struct gp_request *req, const char *version)
{
    struct head_fields *h = gp_xmalloc(sizeof *h);
    h->n = 0;
    h->too_many = false;
    MHD_get_connection_values(req->conn, MHD_HEADER_KIND, collect_header, h);
    struct gp_strict_problem p;
    bool ok = true;
    if (h->too_many) {
        gp_req_add_header(req, "Connection", "close");
        gp_reply_problem(req, GP_E_BAD_REQUEST, "the request has more than %d header lines",
                         GP_MAX_HEADER_LINES);
        ok = false;
    } else if (!gp_strict_head(h->f, h->n, !strcmp(version, MHD_HTTP_VERSION_1_0),
                               !strcmp(version, MHD_HTTP_VERSION_1_1), &p)) {
        answer_strict(req, &p);
        ok = false;
    } else if (req->target_bad) {
        gp_reply_problem(req, req->target_error, "%s", req->target_detail);
        ok = false;
    }
    free(h);
    return ok;
}

struct query_keys {
    const char *keys[64];
    size_t n;
    bool too_many;
};

static enum MHD_Result collect_query_key(void *cls, enum MHD_ValueKind kind, const char *key,
                                         const char *value)
{
    (void)kind;
    (void)value;
    struct query_keys *q = cls;
    if (q->n == sizeof q->keys / sizeof q->keys[0]) {
        q->too_many = true;
        return MHD_NO;
    }
    q->keys[q->n++] = key ? key : "";
    return MHD_YES;
}

/* A parameter given twice would mean whichever copy a reader takes: say which one it is. */
static bool query_unique(struct gp_request *req)
{
    struct query_keys q = {.n = 0};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, collect_query_key, &q);
    if (q.too_many) {
        gp_reply_problem(req, GP_E_INVALID_PARAMETER, "the query has more than %zu parameters",
                         sizeof q.keys / sizeof q.keys[0]);
        return false;
    }
    const char *twice = gp_strict_repeated(q.keys, q.n);
    if (!twice)
        return true;
    gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, twice, "is given more than once");
    return false;
}

static enum MHD_Result check_query_arg(void *cls, enum MHD_ValueKind kind, const char *key,
                                       const char *value)
{
    (void)kind;
    (void)value;
    const char **unknown = cls;
    const struct gp_route *route = (const struct gp_route *)unknown[1];
    for (const char *const *q = route->query; q && *q; q++) {
        if (!strcmp(*q, key))
            return MHD_YES;
    }
    unknown[0] = key;
    return MHD_NO;
}

static void answer_preflight(struct gp_request *req, const char *path)
{
    char allow[128];
    size_t idx;
    struct gp_path_params params;
    /* OPTIONS is never in the table: any route on this path makes it WRONG_METHOD. */
    if (gp_router_match(req->server->routes, "OPTIONS", path, &idx, &params, allow, sizeof allow) ==
        GP_ROUTE_NOT_FOUND) {
        gp_reply_problem(req, GP_E_NOT_FOUND, "no resource at this path");
        return;
    }
    char allow_with_options[160];
    snprintf(allow_with_options, sizeof allow_with_options, "%s, OPTIONS", allow);
    gp_req_add_header(req, "Allow", allow_with_options);
    const char *origin = gp_req_header(req, "Origin");
    if (origin && gp_config_cors_allowed(req->server->cfg, origin)) {
        gp_req_add_header(req, "Access-Control-Allow-Methods", allow_with_options);
        gp_req_add_header(req, "Access-Control-Allow-Headers", CORS_ALLOW_HEADERS);
        gp_req_add_header(req, "Access-Control-Max-Age", "600");
    }
    gp_reply_bytes(req, 204, NULL, "", 0);
}

static bool content_type_is_json(const char *ct)
{
    if (!ct)
        return false;
    size_t n = strlen("application/json");
    return strncasecmp(ct, "application/json", n) == 0 && (ct[n] == '\0' || ct[n] == ';');
}

/* Whether the request announces a body (a Content-Length above 0, or chunked). */
static bool has_body(struct gp_request *req)
{
    const char *cl = gp_req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
    return gp_req_header(req, MHD_HTTP_HEADER_TRANSFER_ENCODING) || (cl && strtoull(cl, NULL, 10));
}

/* Everything that happens before the body is read. Returns true when the request may
 * proceed; otherwise it has been answered. */
static bool admit(struct gp_request *req, const char *url, const char *method, const char *version)
{
    const struct gp_server *s = req->server;
    snprintf(req->method, sizeof req->method, "%s", method);
    snprintf(req->log_path, sizeof req->log_path, "%s", url);
    gp_cpr_mask_in_place(req->log_path);
    identify_client(req);

    if (!strict_ok(req, version))
        return false;
    if (req->uri_len > GP_MAX_URI_BYTES) {
        gp_reply_problem(req, GP_E_URI_TOO_LONG, "the request target is %zu bytes; at most %d",
                         req->uri_len, GP_MAX_URI_BYTES);
        return false;
    }
    if (!query_unique(req))
        return false;
    if (gp_static_path(url)) {
        if (req->uri_nul)
            gp_reply_problem(req, GP_E_NOT_FOUND, "no resource at this path");
        else
            gp_static_answer(req, method, url);
        return false;
    }
    if (!strcmp(method, "OPTIONS")) {
        answer_preflight(req, url);
        return false;
    }
    char allow[128];
    const char *lookup_method = strcmp(method, "HEAD") ? method : "GET";
    switch (gp_router_match(s->routes, lookup_method, url, &req->route_index, &req->params, allow,
                            sizeof allow)) {
    case GP_ROUTE_NOT_FOUND:
        gp_reply_problem(req, GP_E_NOT_FOUND, "no resource at this path");
        return false;
    case GP_ROUTE_WRONG_METHOD: {
        gp_req_add_header(req, "Allow", allow);
        json_t *extra = json_object();
        json_t *list = json_array();
        char *copy = gp_xstrdup(allow), *save = NULL;
        for (char *m = strtok_r(copy, ", ", &save); m; m = strtok_r(NULL, ", ", &save))
            json_array_append_new(list, json_string(m));
        free(copy);
        json_object_set_new(extra, "allow", list);
        gp_reply_problem_extra(req, GP_E_METHOD_NOT_ALLOWED, extra,
                               "%s is not allowed here; allowed: %s", method, allow);
        return false;
    }
    case GP_ROUTE_FOUND:
        break;
    }
    req->route = &s->routes[req->route_index];
    req->routed = true;

    const char *unknown[2] = {NULL, (const char *)req->route};
    MHD_get_connection_values(req->conn, MHD_GET_ARGUMENT_KIND, check_query_arg, unknown);
    if (unknown[0]) {
        gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, unknown[0],
                           "is not a query parameter of this resource");
        return false;
    }
    if (!req->route->json_body && has_body(req)) {
        /* Read nothing a route does not take: answering now closes the connection. */
        gp_req_add_header(req, "Connection", "close");
        gp_reply_problem(req, GP_E_PAYLOAD_TOO_LARGE, "%s %s takes no request body",
                         req->route->method, req->route->pattern);
        return false;
    }

    if (req->route->roles && !gp_auth_check(req))
        return false;

    if (req->route->json_body) {
        const char *ct = gp_req_header(req, MHD_HTTP_HEADER_CONTENT_TYPE);
        if (!content_type_is_json(ct)) {
            gp_reply_problem(req, GP_E_UNSUPPORTED_MEDIA_TYPE,
                             "the body must be application/json, got %s", ct ? ct : "none");
            return false;
        }
        const char *cl = gp_req_header(req, MHD_HTTP_HEADER_CONTENT_LENGTH);
        if (cl && strtoull(cl, NULL, 10) > s->cfg->max_body_bytes) {
            gp_reply_problem(req, GP_E_PAYLOAD_TOO_LARGE, "the body may be at most %zu bytes",
                             s->cfg->max_body_bytes);
            return false;
        }
        /* Bodies are held whole until the handler runs: all of them together stay within
         * GP_BODY_BUDGET caps, whatever the number of connections sending one. A chunked body
         * reserves the cap. */
        long long want = cl ? (long long)strtoull(cl, NULL, 10) : (long long)s->cfg->max_body_bytes;
        long long budget = (long long)s->cfg->max_body_bytes * GP_BODY_BUDGET;
        if (atomic_fetch_add(&req->server->body_bytes, want) + want > budget) {
            atomic_fetch_sub(&req->server->body_bytes, want);
            gp_req_add_header(req, "Connection", "close");
            gp_reply_problem(req, GP_E_BUSY,
                             "request bodies of %lld bytes are being received, the most this "
                             "server holds at once; retry shortly",
                             budget);
            return false;
        }
        req->body_reserved = want;
    }
    return true;
}

/* A chunked body grew past the size cap while it was being received. libmicrohttpd 0.9.75
 * takes no answer in the middle of a body (MHD_queue_response refuses in that state), so the
 * 413 problem is written straight to the socket (plain HTTP only: under TLS the bytes would have
 * to go through libmicrohttpd's session) and the connection is closed — nothing more of the
 * body is read. A client still sending may see the close before the answer. */
static void refuse_body(struct gp_request *req)
{
    const struct gp_server *s = req->server;
    req->status = 413;
    req->answered = true;
    GP_LOG_CLIENT("answering 413: the chunked body passed %zu bytes; closing the connection",
                  s->cfg->max_body_bytes);
    if (s->tls || !req->cx || req->cx->fd < 0)
        return;
    char detail[128];
    snprintf(detail, sizeof detail, "the body may be at most %zu bytes", s->cfg->max_body_bytes);
    json_t *body = gp_problem_body(GP_E_PAYLOAD_TOO_LARGE, detail, req->request_id);
    char *text = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(body);
    if (!text)
        return;
    char head[512];
    int n = snprintf(head, sizeof head,
                     "HTTP/1.1 413 Payload Too Large\r\nContent-Type: application/problem+json\r\n"
                     "Content-Length: %zu\r\nX-Request-Id: %s\r\nCache-Control: no-store\r\n"
                     "X-Content-Type-Options: nosniff\r\nConnection: close\r\n\r\n",
                     strlen(text), req->request_id);
    if (n > 0 && (size_t)n < sizeof head &&
        send(req->cx->fd, head, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) == n)
        (void)!send(req->cx->fd, text, strlen(text), MSG_NOSIGNAL | MSG_DONTWAIT);
    free(text);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    struct gp_request *req = *con_cls;
    if (!req) /* not created by uri_logger: cannot happen, but never crash on it */
        return MHD_NO;
    enum MHD_Result rc = MHD_YES;
    gp_log_set_request_id(req->request_id[0] ? req->request_id : NULL);
    /* The request's database work ends by its deadline (lib/db/db.h). */
    gp_db_deadline_set(req->deadline_ms);

    if (!req->request_id[0]) {
        /* First call: the head is in. Admitting it is our work (the token is looked up), not
         * the client's; the body, if any, then comes within the receive deadline again. */
        gp_conn_set_phase(req->cx, GP_CONN_HANDLING);
        const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
        if (rid && gp_strict_request_id(rid))
            snprintf(req->request_id, sizeof req->request_id, "%s", rid);
        else
            new_request_id(req->request_id);
        gp_log_set_request_id(req->request_id);
        if (admit(req, url, method, version) && has_body(req))
            gp_conn_set_phase(req->cx, GP_CONN_BODY);
        goto done; /* come back for the body, or for the final call */
    }

    if (req->answered) {
        *upload_data_size = 0; /* discard a body we no longer want */
        goto done;
    }

    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (req->body_len + n > req->server->cfg->max_body_bytes) {
            /* Only a chunked body gets here (a Content-Length above the cap was answered
             * before the body): stop reading it now. */
            refuse_body(req);
            rc = MHD_NO;
            goto done;
        }
        char *grown = realloc(req->body, req->body_len + n + 1);
        if (!grown) {
            GP_LOG_ERROR("out of memory reading a body of %zu bytes", req->body_len + n);
            req->status = 500;
            req->answered = true;
            rc = MHD_NO;
            goto done;
        }
        req->body = grown;
        memcpy(req->body + req->body_len, upload_data, n);
        req->body_len += n;
        req->body[req->body_len] = '\0';
        goto done;
    }

    /* Final call: the whole request is in (or a suspended request was resumed). */
    gp_conn_set_phase(req->cx, GP_CONN_HANDLING);
    if (req->resume_fn) {
        gp_handler_fn fn = req->resume_fn;
        req->resume_fn = NULL;
        req->suspended = false;
        fn(req);
    } else {
        req->route->handler(req);
    }
    if (!req->answered && !req->suspended) {
        GP_LOG_BUG("handler for %s %s did not answer", req->route->method, req->route->pattern);
        gp_reply_problem(req, GP_E_INTERNAL, "the server did not produce an answer");
    }

done:
    gp_db_deadline_set(0);
    gp_log_set_request_id(NULL);
    return rc;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    struct gp_server *s = cls;
    struct gp_request *req = *con_cls;
    if (!req)
        return;
    *con_cls = NULL;
    double secs = elapsed_s(&req->start);
    /* A kept-alive connection waits for its next request head from now on. */
    gp_conn_set_phase(req->cx, GP_CONN_HEAD);
    /* An answer libmicrohttpd gave itself (a head it could not parse or hold): its status. */
    bool by_library = false;
    if (!req->status) {
        const union MHD_ConnectionInfo *i =
            MHD_get_connection_info(conn, MHD_CONNECTION_INFO_HTTP_STATUS);
        if (i && i->http_status) {
            req->status = (int)i->http_status;
            by_library = true;
        }
    }
    if (!req->quiet) {
        gp_log_set_request_id(req->request_id[0] ? req->request_id : NULL);
        const char *route = req->routed ? req->route->pattern : "unmatched";
        json_t *line = json_pack("{s:s, s:s, s:s, s:s, s:i, s:f, s:s}", "msg", "request", "method",
                                 req->method, "route", route, "path", req->log_path, "status",
                                 req->status, "latency_ms", secs * 1000.0, "client_addr",
                                 req->client_addr[0] ? req->client_addr
                                 : req->cx           ? req->cx->addr_text
                                                     : "");
        if (line && req->forwarded_for[0])
            json_object_set_new(line, "forwarded_for", json_string(req->forwarded_for));
        if (line && req->authenticated)
            json_object_set_new(line, "client_id", json_integer(req->client.id));
        if (line && req->authenticated && req->client.person) /* who, never the token */
            json_object_set_new(line, "subject", json_string(req->client.subject));
        if (line && by_library)
            json_object_set_new(line, "answered_by", json_string("libmicrohttpd"));
        if (line && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
            json_object_set_new(line, "terminated", json_integer((int)toe));
        gp_log_json_steal(req->status >= 500 ? GP_LOG_ERROR : GP_LOG_INFO, line);
        gp_log_set_request_id(NULL);
    }
    if (req->status)
        gp_metrics_observe(s->metrics, req->route_index, req->method, req->status, secs);
    if (req->body_reserved)
        atomic_fetch_sub(&s->body_bytes, req->body_reserved);
    for (size_t i = 0; i < req->nextra; i++)
        free(req->extra[i].value);
    if (req->state_free)
        req->state_free(req->state);
    free(req->body);
    free(req);
    atomic_fetch_sub(&s->inflight, 1);
}

/* libmicrohttpd's own messages (a malformed request, a client gone): at most
 * GP_MHD_LOG_BURST lines per GP_MHD_LOG_WINDOW_MS, then one line saying how many were left out,
 * so that a client sending garbage cannot flood the log. */
#define GP_MHD_LOG_BURST     20
#define GP_MHD_LOG_WINDOW_MS 10000

static pthread_mutex_t mhd_log_lock = PTHREAD_MUTEX_INITIALIZER;
static long long mhd_log_window;
static unsigned mhd_log_count;
static unsigned long mhd_log_dropped;

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    long long now = gp_db_now_ms();
    unsigned long dropped = 0;
    bool write = true;
    pthread_mutex_lock(&mhd_log_lock);
    if (now - mhd_log_window >= GP_MHD_LOG_WINDOW_MS) {
        dropped = mhd_log_dropped;
        mhd_log_dropped = 0;
        mhd_log_window = now;
        mhd_log_count = 0;
    }
    if (++mhd_log_count > GP_MHD_LOG_BURST) {
        mhd_log_dropped++;
        write = false;
    }
    pthread_mutex_unlock(&mhd_log_lock);
    if (dropped)
        GP_LOG_WARN("libmicrohttpd: %lu more messages in the last %d s were not logged", dropped,
                    GP_MHD_LOG_WINDOW_MS / 1000);
    if (!write)
        return;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    GP_LOG_WARN("libmicrohttpd: %s", msg);
}

/* Reads a PEM file of at most 1 MiB into a new NUL-terminated string. */
static char *read_pem(const char *path, const char *var, char *err, size_t errlen)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat st;
    if (fd < 0 || fstat(fd, &st) != 0 || st.st_size <= 0 || st.st_size > 1024 * 1024) {
        snprintf(err, errlen, "%s: cannot read %s (%s)", var, path,
                 fd < 0 ? strerror(errno) : "empty, or larger than 1 MiB");
        if (fd >= 0)
            close(fd);
        return NULL;
    }
    char *buf = gp_xmalloc((size_t)st.st_size + 1);
    size_t got = 0;
    while (got < (size_t)st.st_size) {
        ssize_t r = read(fd, buf + got, (size_t)st.st_size - got);
        if (r <= 0)
            break;
        got += (size_t)r;
    }
    close(fd);
    buf[got] = '\0';
    if (got != (size_t)st.st_size || !strstr(buf, "-----BEGIN ")) {
        snprintf(err, errlen, "%s: %s is not a PEM file", var, path);
        free(buf);
        return NULL;
    }
    return buf;
}

static void free_secret(char **p)
{
    if (*p) {
        explicit_bzero(*p, strlen(*p));
        free(*p);
        *p = NULL;
    }
}

/* Raises the soft descriptor limit to what GLASPLADE_MAX_CONNECTIONS needs (the hard limit
 * permitting); returns how many client connections fit under the limit in force. */
static int fit_connections(const struct gp_config *cfg)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) != 0)
        return cfg->max_connections;
    rlim_t want = (rlim_t)cfg->max_connections + (rlim_t)cfg->db_pool_size + GP_FD_RESERVE;
    if (rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur < want) {
        struct rlimit raised = {.rlim_cur = want, .rlim_max = rl.rlim_max};
        if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want)
            raised.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &raised) == 0)
            rl.rlim_cur = raised.rlim_cur;
    }
    if (rl.rlim_cur == RLIM_INFINITY || rl.rlim_cur >= want)
        return cfg->max_connections;
    long fit = (long)rl.rlim_cur - cfg->db_pool_size - GP_FD_RESERVE;
    GP_LOG_WARN("the descriptor limit (%ld) holds %ld client connections, not the %d of "
                "GLASPLADE_MAX_CONNECTIONS; raise `ulimit -n` (hard) to %ld",
                (long)rl.rlim_cur, fit, cfg->max_connections, (long)want);
    return fit < 16 ? 16 : (int)fit;
}

static void release_start(struct gp_server *s)
{
    gp_static_free(s->web);
    s->web = NULL;
    gp_metrics_destroy(s->metrics);
    s->metrics = NULL;
    gp_classcache_destroy(s->classcache);
    s->classcache = NULL;
    gp_conn_guard_destroy(s->guard);
    s->guard = NULL;
    gp_throttle_destroy(s->throttle);
    s->throttle = NULL;
    free_secret(&s->tls_key_pem);
    free(s->tls_cert_pem);
    s->tls_cert_pem = NULL;
}

bool gp_server_start(struct gp_server *s, char *err, size_t errlen)
{
    const struct gp_config *cfg = s->cfg;
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (inet_pton(AF_INET, cfg->listen, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)cfg->port);
    } else if (inet_pton(AF_INET6, cfg->listen, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)cfg->port);
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errlen, "GLASPLADE_LISTEN is not an IP address: %s", cfg->listen);
        return false;
    }
    s->tls = cfg->tls_cert != NULL;
    if (s->tls) {
        if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            snprintf(err, errlen, "GLASPLADE_TLS_CERT is set, but this libmicrohttpd has no TLS");
            return false;
        }
        s->tls_cert_pem = read_pem(cfg->tls_cert, "GLASPLADE_TLS_CERT", err, errlen);
        s->tls_key_pem =
            s->tls_cert_pem ? read_pem(cfg->tls_key, "GLASPLADE_TLS_KEY", err, errlen) : NULL;
        if (!s->tls_key_pem) {
            release_start(s);
            return false;
        }
        flags |= MHD_USE_TLS;
    }
    size_t n = gp_router_count(s->routes);
    const char **methods = gp_xcalloc(n + 1, sizeof *methods);
    const char **patterns = gp_xcalloc(n + 1, sizeof *patterns);
    for (size_t i = 0; i < n; i++) {
        methods[i] = s->routes[i].method;
        patterns[i] = s->routes[i].pattern;
    }
    s->metrics = gp_metrics_create(methods, patterns, n);
    free(methods);
    free(patterns);
    /* 16 Ki classifications (an entry is about half a kilobyte: at most 8 MB, touched only as
     * it fills); a taxonomy change reaches every record within the TTL. */
    s->classcache = gp_classcache_create(GP_CLASSCACHE_SLOTS, GP_CLASSCACHE_TTL_S);
    s->web = gp_static_load(s->cfg);
    s->max_connections = fit_connections(cfg);
    s->guard = gp_conn_guard_create(cfg, s->max_connections);
    s->throttle = gp_throttle_create(cfg->auth_failures, cfg->auth_throttle_s);

    /* libmicrohttpd's own limit is split evenly over its threads and, when reached, stops
     * accepting (clients then wait in the backlog): keep it above ours, which refuses at once. */
    unsigned mhd_limit = (unsigned)s->max_connections * 2;
    /* Its idle timeout restarts on every byte; it bounds a client that stops reading an
     * answer. Receiving a request is bounded by the guard's watchdog. */
    unsigned idle_s = (unsigned)((cfg->receive_timeout_ms + 999) / 1000);
    /* GnuTLS: TLS 1.2 and 1.3 only, the server's preference among NORMAL's ciphers. */
    static const char tls_priorities[] = "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2:"
                                         "%SERVER_PRECEDENCE";
    struct MHD_OptionItem tls_options[] = {
        {MHD_OPTION_HTTPS_MEM_CERT, 0, s->tls_cert_pem},
        {MHD_OPTION_HTTPS_MEM_KEY, 0, s->tls_key_pem},
        {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)tls_priorities},
        {MHD_OPTION_END, 0, NULL},
    };
    struct MHD_OptionItem no_options[] = {{MHD_OPTION_END, 0, NULL}};

    s->daemon =
        MHD_start_daemon(flags, (uint16_t)cfg->port, gp_conn_accept, s->guard, on_request, s,
                         MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_SOCK_ADDR, &ss,
                         MHD_OPTION_THREAD_POOL_SIZE, (unsigned)cfg->threads,
                         MHD_OPTION_URI_LOG_CALLBACK, uri_logger, s, MHD_OPTION_NOTIFY_COMPLETED,
                         on_completed, s, MHD_OPTION_NOTIFY_CONNECTION, gp_conn_notify, s->guard,
                         MHD_OPTION_CONNECTION_LIMIT, mhd_limit, MHD_OPTION_CONNECTION_TIMEOUT,
                         idle_s, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)GP_CONNECTION_MEMORY,
                         MHD_OPTION_ARRAY, s->tls ? tls_options : no_options, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen, "cannot listen on %s port %d (in use, not permitted%s)", cfg->listen,
                 cfg->port, s->tls ? ", or the certificate and key do not fit" : "");
        release_start(s);
        return false;
    }
    /* The key is in GnuTLS's hands now. */
    free_secret(&s->tls_key_pem);
    if (!gp_conn_guard_start(s->guard)) {
        snprintf(err, errlen, "cannot start the connection watchdog thread");
        MHD_stop_daemon(s->daemon);
        s->daemon = NULL;
        release_start(s);
        return false;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : (uint16_t)cfg->port;
    return true;
}

void gp_server_stop(struct gp_server *s)
{
    if (!s->daemon)
        return;
    /* Stop accepting; requests already in flight finish (bounded by the shutdown timeout);
     * idle keep-alive connections are closed by MHD_stop_daemon. */
    MHD_socket ls = MHD_quiesce_daemon(s->daemon);
    if (ls != MHD_INVALID_SOCKET)
        close(ls);
    int waited = 0;
    while (atomic_load(&s->inflight) > 0 && waited < s->cfg->shutdown_timeout_ms) {
        usleep(10 * 1000);
        waited += 10;
    }
    if (atomic_load(&s->inflight) > 0)
        GP_LOG_WARN("shutdown: %d requests still running after %d ms; stopping anyway",
                    atomic_load(&s->inflight), waited);
    /* The watchdog first: it must not shut down descriptors the daemon is closing. */
    gp_conn_guard_stop(s->guard);
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    release_start(s);
}
