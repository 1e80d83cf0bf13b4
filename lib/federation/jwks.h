/* The identity provider's signing keys, as the server keeps them: a JWK set fetched from the
 * jwks_uri of the issuer's OpenID discovery document (issuer + /.well-known/openid-configuration)
 * or read from a file, cached, and fetched again
 *   - when a token names a kid the set lacks (the provider rotated its key), at most once per
 *     min_refresh_s: a stream of tokens with made-up kids costs the provider one request per
 *     interval, not one per token;
 *   - when the set is older than max_age_s (a key the provider withdrew stops working).
 * A failed fetch keeps the keys there were: a provider that is down for a moment does not stop
 * the people signed in already. HTTP goes through lib/federation/http_get.h, the project's one
 * getter (no redirects, no proxy, a time and size limit).
 *
 * Thread-safe. Threads with a known kid never wait for a fetch; one fetch runs at a time, and a
 * thread that waited for it uses its result rather than fetching again. */
#ifndef GP_JWKS_H
#define GP_JWKS_H

#include "lib/core/jwt.h"

#include <stdbool.h>
#include <time.h>

struct gp_jwks_opts {
    const char *issuer;    /* discovery at issuer + "/.well-known/openid-configuration" */
    const char *jwks_file; /* when set, the keys come from this file instead (no HTTP) */
    int min_refresh_s;     /* at least this long between two fetches for an unknown kid */
    int max_age_s;         /* fetch again when the set is older than this */
    long timeout_ms;       /* each HTTP request */
};

struct gp_jwks;

/* A cache; nothing is fetched yet. Copies opts' strings. */
struct gp_jwks *gp_jwks_create(const struct gp_jwks_opts *opts);
void gp_jwks_destroy(struct gp_jwks *c);

/* Fetches now (at start-up, so that the first request does not wait). False with the reason in
 * err when no keys could be had; the cache stays usable and tries again when asked. */
bool gp_jwks_prefetch(struct gp_jwks *c, char *err, size_t errlen);

/* The key set to check a token with kid and alg against, now as the clock says: a reference
 * (gp_jwk_set_unref it), refreshed first when it is too old or lacks a key for kid and alg and
 * the last fetch is at least min_refresh_s ago. NULL when no keys were ever fetched.
 * *refreshed (may be NULL) tells whether this call fetched. */
struct gp_jwk_set *gp_jwks_get(struct gp_jwks *c, const char *kid, const char *alg, time_t now,
                               bool *refreshed);

/* How many fetches succeeded and failed so far (for tests and logs). */
void gp_jwks_counts(struct gp_jwks *c, unsigned long *ok, unsigned long *failed);

#endif
