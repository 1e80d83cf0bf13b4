#include "api/http.h"

#include "api/auth.h"
#include "lib/core/alloc.h"
#include "lib/federation/classcache.h"
#include "lib/core/cpr.h"
#include "lib/core/json_spec.h"
#include "lib/core/log.h"

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define GP_CLASSCACHE_SLOTS 16384
#define GP_CLASSCACHE_TTL_S 300

#define CORS_ALLOW_HEADERS  "Authorization, Content-Type, X-Purpose, X-Request-Id"
#define CORS_EXPOSE_HEADERS "X-Request-Id, Location, WWW-Authenticate, Allow"

static double elapsed_s(const struct timespec *start)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - start->tv_sec) + (double)(now.tv_nsec - start->tv_nsec) / 1e9;
}

/* A client's X-Request-Id is reused only when it is short and plain, so it is safe in logs
 * and headers; otherwise we make one. */
static bool request_id_ok(const char *s)
{
    size_t n = 0;
    for (; s[n]; n++) {
        char c = s[n];
        if (n == GP_REQUEST_ID_MAX || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                                        (c >= '0' && c <= '9') || c == '.' || c == '_' || c == '-'))
            return false;
    }
    return n > 0;
}

static void new_request_id(char out[GP_REQUEST_ID_MAX + 1])
{
    unsigned char raw[12];
    if (RAND_bytes(raw, sizeof raw) != 1)
        memset(raw, 0, sizeof raw);
    for (size_t i = 0; i < sizeof raw; i++)
        snprintf(out + 2 * i, 3, "%02x", raw[i]);
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
    /* Answers may hold personal data: no shared cache may keep them. */
    MHD_add_response_header(resp, "Cache-Control", "no-store");
    MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
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
    json_t *body = gp_problem_body(e, detail, req->request_id);
    if (!body) /* detail was not UTF-8: it came from the client; say it plainly */
        body = gp_problem_body(e, "the request contains bytes that are not UTF-8", req->request_id);
    if (extra) {
        json_object_update_missing(body, extra);
        json_decref(extra);
    }
    int status = gp_error_status(e);
    if (status >= 500)
        GP_LOG_ERROR("answering %d: %s", status, detail);
    else
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
    req->route_index = (size_t)-1;
    clock_gettime(CLOCK_MONOTONIC, &req->start);
    atomic_fetch_add(&s->inflight, 1);
    return req;
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

/* The access log's client: the TCP peer, or what a trusted proxy (the edge) says in
 * X-Forwarded-For (GLASPLADE_TRUSTED_PROXIES). */
static void note_client_addr(struct gp_request *req)
{
    char peer[GP_CLIENT_ADDR_MAX] = "";
    const union MHD_ConnectionInfo *ci =
        MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    const struct sockaddr *sa = ci ? ci->client_addr : NULL;
    if (sa && sa->sa_family == AF_INET)
        inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, peer, sizeof peer);
    else if (sa && sa->sa_family == AF_INET6)
        inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, peer, sizeof peer);
    gp_config_client_addr(req->server->cfg, peer, gp_req_header(req, "X-Forwarded-For"),
                          req->client_addr);
}

static bool content_type_is_json(const char *ct)
{
    if (!ct)
        return false;
    size_t n = strlen("application/json");
    return strncasecmp(ct, "application/json", n) == 0 && (ct[n] == '\0' || ct[n] == ';');
}

/* Everything that happens before the body is read. Returns true when the request may
 * proceed; otherwise it has been answered. */
static bool admit(struct gp_request *req, const char *url, const char *method)
{
    const struct gp_server *s = req->server;
    snprintf(req->method, sizeof req->method, "%s", method);
    snprintf(req->log_path, sizeof req->log_path, "%s", url);
    gp_cpr_mask_in_place(req->log_path);
    note_client_addr(req);

    if (req->uri_len > GP_MAX_URI_BYTES) {
        gp_reply_problem(req, GP_E_URI_TOO_LONG, "the request target is %zu bytes; at most %d",
                         req->uri_len, GP_MAX_URI_BYTES);
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
    }
    return true;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
    (void)cls;
    (void)version;
    struct gp_request *req = *con_cls;
    if (!req) /* not created by uri_logger: cannot happen, but never crash on it */
        return MHD_NO;
    gp_log_set_request_id(req->request_id[0] ? req->request_id : NULL);

    if (!req->request_id[0]) {
        /* First call: the headers are in. */
        const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
        if (rid && request_id_ok(rid))
            snprintf(req->request_id, sizeof req->request_id, "%s", rid);
        else
            new_request_id(req->request_id);
        gp_log_set_request_id(req->request_id);
        if (!admit(req, url, method))
            goto done;
        goto done; /* come back for the body, or for the final call */
    }

    if (req->answered) {
        *upload_data_size = 0; /* discard a body we no longer want */
        goto done;
    }

    if (*upload_data_size > 0) {
        size_t n = *upload_data_size;
        *upload_data_size = 0;
        if (!req->route->json_body || req->body_too_large)
            goto done;
        if (req->body_len + n > req->server->cfg->max_body_bytes) {
            /* A chunked upload without Content-Length: count, keep nothing, answer 413 at
             * the end. */
            req->body_too_large = true;
            free(req->body);
            req->body = NULL;
            goto done;
        }
        char *grown = realloc(req->body, req->body_len + n + 1);
        if (!grown) {
            gp_reply_problem(req, GP_E_INTERNAL, "out of memory reading the body");
            goto done;
        }
        req->body = grown;
        memcpy(req->body + req->body_len, upload_data, n);
        req->body_len += n;
        req->body[req->body_len] = '\0';
        goto done;
    }

    /* Final call: the whole request is in (or a suspended request was resumed). */
    if (req->resume_fn) {
        gp_handler_fn fn = req->resume_fn;
        req->resume_fn = NULL;
        req->suspended = false;
        fn(req);
    } else if (req->body_too_large) {
        gp_reply_problem(req, GP_E_PAYLOAD_TOO_LARGE, "the body may be at most %zu bytes",
                         req->server->cfg->max_body_bytes);
    } else {
        req->route->handler(req);
    }
    if (!req->answered && !req->suspended) {
        GP_LOG_BUG("handler for %s %s did not answer", req->route->method, req->route->pattern);
        gp_reply_problem(req, GP_E_INTERNAL, "the server did not produce an answer");
    }

done:
    gp_log_set_request_id(NULL);
    return MHD_YES;
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    struct gp_server *s = cls;
    struct gp_request *req = *con_cls;
    if (!req)
        return;
    *con_cls = NULL;
    double secs = elapsed_s(&req->start);
    gp_log_set_request_id(req->request_id[0] ? req->request_id : NULL);
    const char *route = req->routed ? req->route->pattern : "unmatched";
    json_t *line = json_pack("{s:s, s:s, s:s, s:s, s:i, s:f}", "msg", "request", "method",
                             req->method, "route", route, "path", req->log_path, "status",
                             req->status, "latency_ms", secs * 1000.0);
    if (line && req->client_addr[0])
        json_object_set_new(line, "client_addr", json_string(req->client_addr));
    if (line && req->authenticated)
        json_object_set_new(line, "client_id", json_integer(req->client.id));
    if (line && toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        json_object_set_new(line, "terminated", json_integer((int)toe));
    gp_log_json_steal(req->status >= 500 ? GP_LOG_ERROR : GP_LOG_INFO, line);
    gp_log_set_request_id(NULL);
    if (req->status)
        gp_metrics_observe(s->metrics, req->route_index, req->method, req->status, secs);
    for (size_t i = 0; i < req->nextra; i++)
        free(req->extra[i].value);
    if (req->state_free)
        req->state_free(req->state);
    free(req->body);
    free(req);
    atomic_fetch_sub(&s->inflight, 1);
}

__attribute__((format(printf, 2, 0))) static void mhd_log(void *cls, const char *fmt, va_list ap)
{
    (void)cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    msg[strcspn(msg, "\n")] = '\0';
    GP_LOG_WARN("libmicrohttpd: %s", msg);
}

bool gp_server_start(struct gp_server *s, char *err, size_t errlen)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof ss);
    socklen_t sslen;
    struct sockaddr_in *v4 = (struct sockaddr_in *)&ss;
    struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)&ss;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_USE_ITC |
                     MHD_USE_ERROR_LOG | MHD_ALLOW_SUSPEND_RESUME;
    if (inet_pton(AF_INET, s->cfg->listen, &v4->sin_addr) == 1) {
        v4->sin_family = AF_INET;
        v4->sin_port = htons((uint16_t)s->cfg->port);
        sslen = sizeof *v4;
    } else if (inet_pton(AF_INET6, s->cfg->listen, &v6->sin6_addr) == 1) {
        v6->sin6_family = AF_INET6;
        v6->sin6_port = htons((uint16_t)s->cfg->port);
        sslen = sizeof *v6;
        flags |= MHD_USE_IPv6;
    } else {
        snprintf(err, errlen, "GLASPLADE_LISTEN is not an IP address: %s", s->cfg->listen);
        return false;
    }
    (void)sslen;
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

    s->daemon = MHD_start_daemon(
        flags, (uint16_t)s->cfg->port, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &ss,
        MHD_OPTION_THREAD_POOL_SIZE, (unsigned)s->cfg->threads, MHD_OPTION_URI_LOG_CALLBACK,
        uri_logger, s, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_CONNECTION_TIMEOUT,
        (unsigned)30, MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)(128 * 1024),
        MHD_OPTION_EXTERNAL_LOGGER, mhd_log, NULL, MHD_OPTION_END);
    if (!s->daemon) {
        snprintf(err, errlen, "cannot listen on %s port %d (in use, or not permitted)",
                 s->cfg->listen, s->cfg->port);
        gp_metrics_destroy(s->metrics);
        s->metrics = NULL;
        gp_classcache_destroy(s->classcache);
        s->classcache = NULL;
        return false;
    }
    const union MHD_DaemonInfo *info = MHD_get_daemon_info(s->daemon, MHD_DAEMON_INFO_BIND_PORT);
    s->port = info ? info->port : (uint16_t)s->cfg->port;
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
    MHD_stop_daemon(s->daemon);
    s->daemon = NULL;
    gp_metrics_destroy(s->metrics);
    s->metrics = NULL;
    gp_classcache_destroy(s->classcache);
    s->classcache = NULL;
}
