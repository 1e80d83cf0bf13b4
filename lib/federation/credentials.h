/* How Glasplade proves who it is to a department system: a source's credentials, configured
 * per source (glasplade source set --auth ...) and applied to every request to it by
 * lib/federation/http_get.c, for the CPR button's fan-out and for the sync alike.
 *
 * Kinds: none; bearer (a static token); basic (user name and password); oauth2_client_credentials
 * (RFC 6749 section 4.4: a token from the token URL for the client id and secret, sent as a
 * bearer token; cached here until shortly before it expires and fetched again once after a
 * 401); mtls (a client certificate alone). A client certificate and key may go with any kind, a
 * CA bundle too (a system whose server certificate a private authority signed).
 *
 * Secrets are never configuration: a source names where its secret is, "file:/absolute/path"
 * or "env:NAME", and the secret is read when a request needs it. Nothing here puts a secret
 * into an error text. */
#ifndef GP_CREDENTIALS_H
#define GP_CREDENTIALS_H

#include <stdbool.h>
#include <stddef.h>

enum gp_auth_kind {
    GP_AUTH_NONE = 0,
    GP_AUTH_BEARER,
    GP_AUTH_BASIC,
    GP_AUTH_OAUTH2_CC,
    GP_AUTH_MTLS,
};

/* A source's credentials as configured: references and names, no secret. */
struct gp_source_auth {
    enum gp_auth_kind kind;
    char secret[320];    /* "file:/path" or "env:NAME"; "" none */
    char username[128];  /* basic: the user; oauth2: the client id */
    char token_url[512]; /* oauth2 */
    char scope[256];     /* oauth2, "" none */
    char cert_file[320]; /* client certificate (PEM), "" none */
    char key_file[320];  /* its private key (PEM), "" none */
    char ca_file[320];   /* CA bundle for the server's certificate, "" the machine's */
};

/* "none", "bearer", "basic", "oauth2_client_credentials", "mtls". */
const char *gp_auth_kind_name(enum gp_auth_kind k);
/* Parses a kind's name; false for anything else. */
bool gp_auth_kind_parse(const char *s, enum gp_auth_kind *out);

/* Whether ref is a secret reference: "file:" and an absolute path, or "env:" and a variable
 * name (letters, digits, '_', not starting with a digit). */
bool gp_secret_ref_ok(const char *ref);

/* Whether a's parts are complete and well formed for its kind (what the database checks too):
 * false with an English reason. */
bool gp_source_auth_check(const struct gp_source_auth *a, char *err, size_t errlen);

/* Reads the secret ref names into out (a trailing newline dropped; at most len-1 bytes, or
 * it fails). False with a reason that names the reference, never the secret. */
bool gp_secret_read(const char *ref, char *out, size_t len, char *err, size_t errlen);

/* ---- OAuth 2.0 client credentials --------------------------------------------------------- */

/* Tokens longer than this are refused (a JWT with many claims is a few KiB). */
#define GP_OAUTH2_MAX_TOKEN 8192

/* The token request's form body: "grant_type=client_credentials" and, when a has a scope,
 * "&scope=<scope, form-encoded>". False when it does not fit. The client authenticates with
 * HTTP Basic (RFC 6749 2.3.1), not in the body. */
bool gp_oauth2_form(const struct gp_source_auth *a, char *out, size_t len);

/* Reads a token endpoint's answer: HTTP status http_status and its body. True with the access
 * token (token_type Bearer, or none given) and its lifetime in seconds (expires_in; 300 when
 * absent). False with an English reason: the endpoint's error and error_description for a 4xx
 * (RFC 6749 5.2), else what is wrong with the body. The reason never holds the token. */
bool gp_oauth2_parse(long http_status, const char *body, size_t len, char *token, size_t tlen,
                     long *expires_in_s, char *err, size_t errlen);

/* The process-wide token cache, keyed by token URL, client id, scope and a digest of the client
 * secret (a rotated secret gets a token of its own). now_s: a monotonic clock in seconds.
 * Thread-safe. */

/* A cached token still good for a while at now_s (it is not handed out in the last tenth of
 * its life, nor its last 30 seconds), copied into token. */
bool gp_oauth2_cache_get(const struct gp_source_auth *a, const char *secret, double now_s,
                         char *token, size_t len);
void gp_oauth2_cache_put(const struct gp_source_auth *a, const char *secret, double now_s,
                         const char *token, long expires_in_s);
/* Forgets the cached token if it is still token (a 401 said it is no good); a newer one that
 * another request fetched meanwhile is kept. */
void gp_oauth2_cache_forget(const struct gp_source_auth *a, const char *secret, const char *token);
/* Token requests this process has sent (for tests: the cache works). */
unsigned long gp_oauth2_requests(void);
void gp_oauth2_count_request(void);

#endif
