/* The fan-out engine: asks many department systems at once, over HTTP, and reports when all
 * have answered or the deadline has passed — whichever comes first.
 *
 * One engine thread runs a libcurl multi handle (connections kept alive and reused per host);
 * callers never block on the network: gp_federate_start() queues a fan-out and returns, and
 * the done callback runs on the engine thread once every request has finished, failed, timed
 * out, or the fan-out's deadline has passed. The HTTP layer suspends the client's connection
 * meanwhile, so server threads are free for other requests.
 *
 * Single flight: a fan-out whose key equals one already running joins it instead of sending
 * requests of its own; each joined caller gets its own done callback with the same results.
 * A joiner whose own deadline comes before the running fan-out's is answered at its deadline
 * with what has arrived so far (TIMEOUT for the rest); the fan-out runs on for the others.
 *
 * Circuit breaker per source id: after `breaker_failures` consecutive failures the circuit
 * opens and requests to that source are not sent (status CIRCUIT_OPEN) for `breaker_open_ms`;
 * then one request is let through (half-open): success closes the circuit, failure opens it
 * again. A timeout, a transport error, a non-2xx status or an over-size body count as
 * failures; the caller can report a failure found later (an unparseable body) with
 * gp_federate_report_failure(). */
#ifndef GP_FEDERATE_H
#define GP_FEDERATE_H

#include "lib/federation/credentials.h"

#include <stdbool.h>
#include <stddef.h>

enum gp_fetch_status {
    GP_FETCH_OK = 0,       /* 2xx, body complete within limits */
    GP_FETCH_TIMEOUT,      /* per-request timeout or the fan-out deadline passed */
    GP_FETCH_ERROR,        /* non-2xx, truncated body, over-size body, protocol error */
    GP_FETCH_UNAVAILABLE,  /* connection refused, name or route not found */
    GP_FETCH_CIRCUIT_OPEN, /* not sent: the source's circuit is open */
};

/* Static names: "ok", "timeout", "error", "unavailable", "circuit_open". */
const char *gp_fetch_status_name(enum gp_fetch_status s);

/* Answers of several requests: paged answers, and conversations (FHIR: resolve the patient, then
 * search each resource type, each search paged). A request begins with one URL or several (one
 * per line, asked in parallel); each is a leg. Called on the engine thread with each page that
 * arrived OK on a leg: arg is the request's next_arg, leg_url the URL the page came from.
 * Returns the number n of URLs written into next, one per line: 0 when the leg ends here; the
 * first continues this leg (its next page, on the same connection), the others start legs of
 * their own, in parallel. -1 when the answer is unusable, with the reason in next (the answer
 * fails with it: nothing more is asked). Must not block. */
typedef int (*gp_fetch_next_fn)(const char *arg, const char *leg_url, const char *body, size_t len,
                                char *next, size_t next_len);

/* Pages one answer may have, over all its legs; an answer with more fails (status ERROR). */
#define GP_FETCH_MAX_PAGES 16
/* Legs one answer may have. */
#define GP_FETCH_MAX_LEGS 8
/* A request's URLs, one per line. */
#define GP_FETCH_URL_MAX 4096

struct gp_fetch_request {
    char source_id[64];
    char url[GP_FETCH_URL_MAX]; /* one URL, or several one per line (legs, in parallel) */
    char accept[128];           /* Accept header value, "" for none */
    char prefer[64];            /* Prefer header value, "" for none */
    int timeout_ms;             /* per-request timeout (also bounded by the fan-out deadline),
                                   counted from the first leg for all of them */
    bool not_found_is_answer;   /* a 404 is the system's way of saying "no such citizen": OK,
                                   with its body, and a success for the circuit */
    /* NULL: each leg is one body. Else after each page the adapter says what to ask next; the
     * answer is OK only when every page of every leg is; the body size limit holds for all
     * pages together. */
    gp_fetch_next_fn next_page;
    char next_arg[256];
    /* The source's credentials (kind none: none). OAuth 2.0 tokens are fetched through the
     * engine's own multi handle, cached process-wide, and fetched again once after a 401. */
    struct gp_source_auth auth;
};

struct gp_fetch_result {
    char source_id[64];
    enum gp_fetch_status status;
    long http_status;  /* 0 when no answer */
    double latency_ms; /* from send to completion (0 when not sent) */
    char error[256];   /* English text for non-OK, "" for OK */
    char content_type[128];
    char *body; /* NUL-terminated; owned by the fan-out (freed with it) */
    size_t body_len;
    /* An OK answer's pages, leg by leg in the order the legs began, each leg's in order, one
     * after the other in body: page k is page_len[k] bytes (no separator). npages is 1 for an
     * answer of one page, 0 when not OK. A failed answer's body is what its failing page said
     * (an OperationOutcome, say). */
    size_t npages;
    size_t page_len[GP_FETCH_MAX_PAGES];
    char fetched_at[32]; /* ISO 8601 UTC with milliseconds, when the answer completed (for a
                          * request not sent: when that was decided); never "" */
};

struct gp_fanout_result {
    size_t n;
    struct gp_fetch_result *results; /* in the order of the requests */
    bool joined;                     /* this caller joined a fan-out already running */
};

/* Called on the engine thread exactly once per gp_federate_start() that returned true.
 * `result` is valid only during the call: copy what must outlive it. Must not block. */
typedef void (*gp_fanout_done_fn)(void *cls, const struct gp_fanout_result *result);

struct gp_federate_config {
    size_t max_body_bytes; /* answers larger are cut off: status ERROR "response too large" */
    int breaker_failures;  /* consecutive failures that open a circuit (default 5) */
    int breaker_open_ms;   /* how long it stays open before a probe (default 10000) */
    int max_connections_per_host; /* 0 = libcurl default */
};

struct gp_federate;

/* Zero fields (or a NULL cfg) take the defaults: 8 MiB bodies, 5 failures, 10000 ms open.
 * NULL when libcurl or the engine thread cannot be started. */
struct gp_federate *gp_federate_create(const struct gp_federate_config *cfg);
/* Stops the engine thread; running fan-outs complete with TIMEOUT first ("shutting down").
 * Not from a done callback: that runs on the engine thread, which this joins. */
void gp_federate_destroy(struct gp_federate *f);

/* Queues a fan-out of n requests (copied) with a deadline from now. key identifies the fan-out
 * for single flight (e.g. the CPR and the set of sources): NULL never joins. Returns false
 * only when the engine is shutting down (done is then not called). */
bool gp_federate_start(struct gp_federate *f, const char *key, const struct gp_fetch_request *reqs,
                       size_t n, int deadline_ms, gp_fanout_done_fn done, void *cls);

/* Counts a failure found after the transfer (e.g. the body could not be parsed) against the
 * source's circuit, as if the request had failed: the source's last status becomes "error"
 * with why (English, CPR numbers masked), and it is logged as failed fetches are. */
void gp_federate_report_failure(struct gp_federate *f, const char *source_id, const char *why);

/* Failed fetches are logged at warning level with the reason, at most once per source per
 * this many milliseconds; the next line says how many more there were meanwhile. */
#define GP_FEDERATE_WARN_INTERVAL_MS 60000

enum gp_circuit_state { GP_CIRCUIT_CLOSED = 0, GP_CIRCUIT_OPEN, GP_CIRCUIT_HALF_OPEN };
const char *gp_circuit_state_name(enum gp_circuit_state s); /* "closed", "open", "half_open" */

struct gp_source_health {
    enum gp_circuit_state circuit;
    unsigned long requests, failures; /* since start: every request for the source (also
                                       * those its circuit refused); failures counted
                                       * against the circuit, reported ones included */
    int consecutive_failures;
    double latency_p50_ms, latency_p95_ms; /* over the last 256 answered requests; 0 if none */
    char last_status[16];                  /* gp_fetch_status_name of the last request, "" none */
    char last_error[256];
    char last_at[32]; /* ISO 8601 of the last completion, "" none */
};

/* Health figures of one source id (all zero for one never asked). */
void gp_federate_health(struct gp_federate *f, const char *source_id, struct gp_source_health *out);

/* Number of requests actually sent since start (tests use it to prove single flight). */
unsigned long gp_federate_sent(struct gp_federate *f);

#endif
