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

struct gp_server {
    const struct gp_config *cfg;  /* borrowed */
    struct gp_db_pool *pool;      /* borrowed */
    struct gp_federate *federate; /* borrowed; the fan-out engine for the CPR button */
    const struct gp_route *routes;
    struct gp_metrics *metrics;
    struct gp_classcache *classcache; /* owned: memoised record classifications (lib/index) */
    const char *version;
    struct MHD_Daemon *daemon;
    uint16_t port; /* the bound port (useful with GLASPLADE_PORT=0) */
    _Atomic int inflight;
};

#define GP_MAX_EXTRA_HEADERS 4

struct gp_request {
    struct gp_server *server;
    struct MHD_Connection *conn;
    char request_id[GP_REQUEST_ID_MAX + 1];
    char method[16];
    size_t uri_len; /* the full request target, query included */
    struct timespec start;

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
    bool body_too_large;

    /* Answer */
    int status;
    bool answered;
    size_t nextra;
    struct {
        char name[32];
        char *value;
    } extra[GP_MAX_EXTRA_HEADERS];
    char log_path[GP_MAX_URI_BYTES + 1];  /* path for the access log, CPR masked */
    char client_addr[GP_CLIENT_ADDR_MAX]; /* peer, or X-Forwarded-For from a trusted proxy */

    /* Asynchronous handlers: state that lives until the request completes, and the
     * continuation to run when the suspended request is resumed. */
    void *state;
    void (*state_free)(void *state);
    gp_handler_fn resume_fn;
    bool suspended;
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

/* Answers status with a JSON body (takes ownership of body). */
void gp_reply_json(struct gp_request *req, int status, json_t *body);
/* Answers with raw bytes (copied) of a content type. */
void gp_reply_bytes(struct gp_request *req, int status, const char *content_type, const char *data,
                    size_t len);
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
