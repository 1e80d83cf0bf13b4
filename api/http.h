/* The HTTP server: libmicrohttpd with a thread pool on epoll, the per-request context, and
 * every way of answering. Handlers (the api/ files) receive a gp_request whose route matched, whose
 * caller is authenticated and allowed, and whose body (if any) was read within the size cap
 * and has the right content type; they answer with exactly one gp_reply_* call.
 *
 * Every answer carries X-Request-Id and, for allowed origins, the CORS headers; every error
 * is application/problem+json built by gp_reply_problem from the error table. */
#ifndef GP_HTTP_H
#define GP_HTTP_H

#include "api/router.h"
#include "lib/sharing/clients.h"
#include "lib/core/config.h"
#include "lib/db/db.h"
#include "lib/core/error.h"
#include "lib/core/metrics.h"
#include "lib/core/netaddr.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <time.h>

#define GP_MAX_URI_BYTES  2048
#define GP_REQUEST_ID_MAX 64

struct MHD_Daemon;
struct MHD_Connection;

struct gp_federate;
struct gp_static;
struct gp_oidc;
struct gp_conn;
struct gp_conn_guard;
struct gp_throttle;

struct gp_server {
    const struct gp_config *cfg;  /* borrowed */
    struct gp_db_pool *pool;      /* borrowed */
    struct gp_federate *federate; /* borrowed; the fan-out engine for the CPR button */
    struct gp_oidc *oidc;         /* borrowed; sign-in at the identity provider, NULL: off */
    const struct gp_route *routes;
    struct gp_metrics *metrics;
    struct gp_classcache *classcache; /* owned: memoised record classifications (lib/index) */
    struct gp_static *web;            /* owned: the page's files (api/static.h) */
    const char *version;
    struct MHD_Daemon *daemon;
    uint16_t port; /* the bound port (useful with GLASPLADE_PORT=0) */
    _Atomic int inflight;
    _Atomic int presses;          /* presses of the CPR button in flight (api/lookup.c) */
    _Atomic long long body_bytes; /* request bodies reserved (their Content-Length or the cap) */
    struct gp_conn_guard *guard;  /* owned: connection limits and the receive deadline */
    struct gp_throttle *throttle; /* owned: failed authentications per address */
    bool tls;                     /* serving HTTPS */
    int max_connections;          /* in effect (the descriptor limit may lower the setting) */
    char *tls_cert_pem;           /* owned while the daemon runs */
    char *tls_key_pem;
};

#define GP_MAX_EXTRA_HEADERS 4

struct gp_request {
    struct gp_server *server;
    struct MHD_Connection *conn;
    char request_id[GP_REQUEST_ID_MAX + 1];
    char method[16];
    size_t uri_len; /* the full request target, query included */
    bool uri_nul;   /* the request target holds an encoded NUL (%00) */
    struct timespec start;
    long long deadline_ms; /* start + GLASPLADE_REQUEST_DEADLINE_MS, monotonic (gp_db_now_ms) */

    /* Who asks: the peer, or when it is a trusted proxy, the address X-Forwarded-For names. */
    struct gp_conn *cx; /* the connection (libmicrohttpd's socket context) */
    struct gp_ipaddr client_ip;
    char client_addr[GP_ADDR_TEXT_MAX];   /* the peer's address */
    char forwarded_for[GP_ADDR_TEXT_MAX]; /* the client behind a trusted proxy, "" none */
    bool target_bad;                      /* the raw request target failed gp_strict_target */
    enum gp_error target_error;
    char target_detail[256];
    bool quiet; /* no access line: a throttled refusal (the throttle logs those per interval) */

    /* Routing */
    bool routed;
    size_t route_index; /* (size_t)-1 when unmatched */
    const struct gp_route *route;
    struct gp_path_params params;

    /* Caller (valid when the route needs a role) */
    bool authenticated;
    struct gp_client client;

    /* Body (json_body routes): complete once the handler runs */
    char *body;
    size_t body_len;
    long long body_reserved; /* of server->body_bytes, given back when the request completes */

    /* Answer */
    int status;
    bool answered;
    size_t nextra;
    struct {
        char name[32];
        char *value;
    } extra[GP_MAX_EXTRA_HEADERS];
    char log_path[GP_MAX_URI_BYTES + 1]; /* path for the access log, CPR masked */
    const char *cache_control; /* static string; NULL: "no-store" (answers may be personal) */

    /* Asynchronous handlers: state that lives until the request completes, and the
     * continuation to run when the suspended request is resumed. */
    void *state;
    void (*state_free)(void *state);
    gp_handler_fn resume_fn;
    bool suspended;
    long (*stream_fill)(struct gp_request *req, char *buf, size_t max); /* gp_reply_stream */
};

/* Starts listening per cfg. Returns false and a message in err on failure. */
bool gp_server_start(struct gp_server *s, char *err, size_t errlen);
/* Stops accepting, lets in-flight requests finish (up to cfg->shutdown_timeout_ms), stops. */
void gp_server_stop(struct gp_server *s);

/* Request accessors. Values are owned by libmicrohttpd or the request; valid during it. */
const char *gp_req_header(struct gp_request *req, const char *name);
const char *gp_req_query(struct gp_request *req, const char *name);
const char *gp_req_param(struct gp_request *req, const char *name);

/* An extra header for the coming reply (e.g. Location). Copies value. */
void gp_req_add_header(struct gp_request *req, const char *name, const char *value);

/* Suspends the request without answering: the handler returns, the server thread is free,
 * and once gp_req_resume() is called (from any thread) resume_fn runs on a server thread to
 * answer. Must be called from within a handler. */
void gp_req_suspend(struct gp_request *req, gp_handler_fn resume_fn);
/* Resumes a suspended request; safe from any thread, exactly once per suspend. */
void gp_req_resume(struct gp_request *req);

/* Milliseconds since the request arrived. */
double gp_req_elapsed_ms(const struct gp_request *req);
/* Milliseconds left before the request's deadline (negative once it has passed). */
double gp_req_remaining_ms(const struct gp_request *req);

/* A JSON string of s, or null for NULL or "" (answers say null for what is absent). */
json_t *gp_json_string_or_null(const char *s);

/* Answers status with a JSON body (takes ownership of body). */
void gp_reply_json(struct gp_request *req, int status, json_t *body);
/* Answers with raw bytes (copied) of a content type. */
void gp_reply_bytes(struct gp_request *req, int status, const char *content_type, const char *data,
                    size_t len);
/* A streamed answer (chunked, no length), for answers that grow while the request runs.
 * fill runs on a server thread whenever the client can take more: it writes at most max bytes
 * into buf and returns how many (> 0), GP_STREAM_END when the answer is complete, or
 * GP_STREAM_WAIT after calling gp_req_stream_pause(req) when it has nothing yet; a later
 * gp_req_resume(req) (from any thread, once per pause) makes the server call fill again. */
#define GP_STREAM_WAIT 0
#define GP_STREAM_END  (-1)
typedef long (*gp_stream_fill_fn)(struct gp_request *req, char *buf, size_t max);
void gp_reply_stream(struct gp_request *req, int status, const char *content_type,
                     gp_stream_fill_fn fill);
/* From within fill only: stop calling fill until gp_req_resume(req). */
void gp_req_stream_pause(struct gp_request *req);

/* Answers a problem of kind e with a detail sentence. */
void gp_reply_problem(struct gp_request *req, enum gp_error e, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
/* Same, merging the members of extra (taken) into the problem, e.g. "errors" or "checks". */
void gp_reply_problem_extra(struct gp_request *req, enum gp_error e, json_t *extra, const char *fmt,
                            ...) __attribute__((format(printf, 4, 5)));
/* A 400 naming one field (body member, query or path parameter) and why. */
void gp_reply_bad_field(struct gp_request *req, enum gp_error e, const char *field,
                        const char *reason);

/* A 400 invalid-body for a failed gp_jspec parse: the detail sentence, and errors[] naming the
 * field when there is one. */
struct gp_jspec_error;
void gp_reply_jspec_error(struct gp_request *req, const struct gp_jspec_error *err);

/* Builds the problem document (exposed for tests). Returns a new reference. */
json_t *gp_problem_body(enum gp_error e, const char *detail, const char *request_id);

#endif
