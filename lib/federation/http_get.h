/* One HTTP GET on one libcurl easy handle, for everything that asks a department system: the
 * fan-out engine (lib/federation/federate.c, many at once on its multi handle) and the sync's
 * export pages (lib/federation/sync_fetch.c, one at a time with a blocking perform).
 *
 * Written once here: the easy handle's options (a plain GET, no proxy, no redirects, the time
 * limit for connecting and for the whole transfer, keep-alive, the Accept header), the body
 * collected into a growing buffer under a size cap, and how a finished transfer is judged: HTTP
 * status, content type, one of the fetch statuses ok/timeout/error/unavailable and an English
 * error text. The callers keep their policy: the engine its deadlines, circuits and paging, the
 * sync its retries.
 *
 * A gp_http_get is not thread-safe; one transfer on it at a time. The easy handle may be reused
 * for another transfer (gp_http_get_url), which keeps its connection. libcurl keeps pointers
 * into the gp_http_get (its body, its error buffer): it must not move until released. */
#ifndef GP_HTTP_GET_H
#define GP_HTTP_GET_H

#include "lib/core/buf.h"
#include "lib/federation/credentials.h"
#include "lib/federation/federate.h" /* enum gp_fetch_status */

#include <curl/curl.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>

/* What the judgement of a finished transfer depends on besides libcurl's own answer: the terms
 * the caller sent it on. */
struct gp_http_terms {
    long timeout_ms;          /* the request's own timeout (for "timed out after N ms") */
    bool deadline_bound;      /* its time limit was what was left of a deadline, not timeout_ms */
    int deadline_ms;          /* that deadline (for "deadline passed after N ms") */
    bool not_found_is_answer; /* a 404 is the system's answer: OK */
    size_t body_limit;        /* the limit to name when a body is too large (the pages of one
                               * answer share one); 0: this transfer's max_body */
};

/* Every request a source is sent carries its credentials (lib/federation/credentials.h):
 * a bearer token, HTTP Basic, or an OAuth 2.0 access token as a bearer token, a client
 * certificate and key, a CA bundle. Secrets are read from where the source's configuration
 * points, at setup, and handed to libcurl (which copies them); they are not kept here, and no
 * error text holds one. A 401's WWW-Authenticate challenge is kept and named in the error. */

struct gp_http_get_opts {
    const char *url;
    const char *accept;     /* Accept header value; NULL or "": none (libcurl sends any) */
    const char *prefer;     /* Prefer header value (FHIR: "handling=strict"); NULL: none */
    const char *user_agent; /* names the caller in the systems' logs */
    const struct gp_source_auth *auth; /* NULL: none */
    const char *oauth2_token;   /* auth oauth2_client_credentials: the access token to send */
    long limit_ms;              /* for connecting and for the whole transfer */
    size_t max_body;            /* larger bodies are cut off: status ERROR, too_large */
    const atomic_bool *cancel;  /* NULL, or a flag that cuts a transfer short once set */
    void *private_data;         /* CURLINFO_PRIVATE of the easy handle (the multi's callers) */
    struct gp_http_terms terms; /* copied to the getter's terms */
};

struct gp_http_get {
    CURL *easy;                 /* NULL until set up and after release */
    struct gp_http_terms terms; /* the caller's: may change between transfers */

    /* The transfer: filled by libcurl's callbacks. */
    struct gp_buf body; /* data NUL-terminated (and not NULL) after an OK end */
    bool too_large;     /* the body went over max_body (or its Content-Length said so) */

    /* How it ended (gp_http_get_end). */
    enum gp_fetch_status status;
    long http_status;       /* 0 when no answer */
    bool answered;          /* libcurl finished the transfer: http_status tells how it went */
    char content_type[128]; /* "" when none */
    char challenge[200];    /* a 401's WWW-Authenticate value, "" none */
    char error[256];        /* English, "" for OK; CPR numbers masked (curl may quote the URL) */

    /* Private to http_get.c. */
    struct curl_slist *headers;
    char accept_line[200], prefer_line[100]; /* kept to rebuild headers with a new token */
    size_t max_body;
    const atomic_bool *cancel;
    char errbuf[CURL_ERROR_SIZE];
};

/* libcurl's process-wide state, for each user of this module (libcurl counts them): before the
 * first getter and after the last. False when libcurl cannot be initialised. */
bool gp_http_global_init(void);
void gp_http_global_cleanup(void);

/* Whether v can be sent as a header value (no line break that would smuggle another header). */
bool gp_http_header_value_ok(const char *v);

/* Sets g up for a GET on easy (NULL: a new handle; one handed in must be fresh or reset), with
 * an empty body. False with the reason in g->error (the handle, if any, is then g's: release
 * it). g must be zeroed or released before. */
bool gp_http_get_setup(struct gp_http_get *g, CURL *easy, const struct gp_http_get_opts *o);

/* Sends token as the bearer token from the next transfer on (an OAuth 2.0 token fetched
 * again). False when it cannot be a header value. */
bool gp_http_get_bearer(struct gp_http_get *g, const char *token);

/* Sets g up for an OAuth 2.0 client-credentials token request (a POST of gp_oauth2_form to
 * a's token URL, the client authenticated with HTTP Basic, a's client certificate if any). The
 * secret is read here. After gp_http_get_end, gp_http_token_take reads the answer. False with
 * the reason in g->error. */
bool gp_http_token_setup(struct gp_http_get *g, CURL *easy, const struct gp_source_auth *a,
                         long limit_ms, void *private_data);
/* The token and its lifetime from a finished token request, and into the process's token cache
 * (gp_oauth2_cache_put, at now_s). False with the reason in g->error (status ERROR). */
bool gp_http_token_take(struct gp_http_get *g, const struct gp_source_auth *a, double now_s,
                        char *token, size_t len);
/* A token for a, from the cache or, when there is none, by a blocking request (the sync's
 * path; the fan-out engine asks through its multi handle). fresh: skip the cache (after a
 * 401). False with the reason in err. */
bool gp_http_token_blocking(const struct gp_source_auth *a, long timeout_ms, bool fresh,
                            char *token, size_t len, char *err, size_t errlen);

/* Aims g at url for its next transfer on the same handle (and connection), with a new time
 * limit and body cap; the body so far is dropped. For a multi handle: while g's handle is out
 * of it. */
void gp_http_get_url(struct gp_http_get *g, const char *url, long limit_ms, size_t max_body);

/* Judges the transfer that libcurl finished with code: status, http_status, answered,
 * content_type and error, read from the handle and g->terms. Returns the status. */
enum gp_fetch_status gp_http_get_end(struct gp_http_get *g, CURLcode code);

/* The transfer, blocking (curl_easy_perform), then gp_http_get_end. */
enum gp_fetch_status gp_http_get_perform(struct gp_http_get *g);

/* Frees the header list and the body and hands the easy handle back (its options as they
 * were: curl_easy_reset() before another setup, or curl_easy_cleanup()); NULL when g had none.
 * g is then as if zeroed. Idempotent. */
CURL *gp_http_get_release(struct gp_http_get *g);

/* gp_http_get_release, and the handle cleaned up. */
void gp_http_get_free(struct gp_http_get *g);

/* How one transfer ended: libcurl's answer and the caller's terms. */
struct gp_transfer_end {
    CURLcode code;
    long http_status;         /* CURLINFO_RESPONSE_CODE, 0 when none */
    bool too_large;           /* our write callback stopped it at max_body_bytes */
    size_t max_body_bytes;    /* for the message */
    long os_errno;            /* CURLINFO_OS_ERRNO */
    bool deadline_bound;      /* its timeout was a deadline's remaining time, not its own */
    long timeout_ms;          /* its own timeout (for the message) */
    int deadline_ms;          /* the whole deadline (for the message) */
    const char *detail;       /* curl's error buffer; NULL or "" when empty */
    const char *challenge;    /* a 401's WWW-Authenticate, NULL or "" when none */
    bool not_found_is_answer; /* the request's flag: 404 counts as OK */
};

/* The status of a finished transfer, with an English error text into err ("" for OK); pure,
 * what gp_http_get_end decides by. */
enum gp_fetch_status gp_http_classify(const struct gp_transfer_end *t, char *err, size_t err_len);

#endif
