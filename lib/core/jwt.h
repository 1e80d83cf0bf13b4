/* JWT access tokens (RFC 7519, RFC 9068) signed by an OpenID Connect provider: the compact JWS
 * form, the provider's public keys as a JWK set (RFC 7517), the signature checked with OpenSSL
 * and the registered claims checked against what this server expects.
 *
 * Only three algorithms are ever accepted: RS256, PS256 (RSA keys of at least 2048 bits) and
 * ES256 (P-256 keys). "none", every HMAC algorithm and anything else is refused before a key is
 * looked at, and a JWK set never yields a symmetric key, so a token "signed" with a provider's
 * public key as an HMAC secret cannot pass. A key is used only for the algorithm family of its
 * type, and only for its own "alg" when the JWK names one.
 *
 * Pure: no I/O, no clock (the caller passes the time). Thread-safe; a gp_jwk_set is read-only
 * once parsed and reference-counted, so threads may share one while another replaces it. */
#ifndef GP_JWT_H
#define GP_JWT_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#define GP_JWT_MAX_LEN 8192 /* a longer bearer is not a token this server accepts */

enum gp_jwt_rc {
    GP_JWT_OK = 0,
    GP_JWT_MALFORMED,        /* not three base64url parts, or header/claims not JSON objects */
    GP_JWT_BAD_ALG,          /* alg is not RS256, PS256 or ES256 (none, HS256, ...) */
    GP_JWT_UNKNOWN_KID,      /* no key of the set fits its kid and alg */
    GP_JWT_BAD_SIGNATURE,    /* the signature does not verify */
    GP_JWT_EXPIRED,          /* exp (plus the skew) has passed, or there is no exp */
    GP_JWT_NOT_YET_VALID,    /* nbf lies in the future (beyond the skew) */
    GP_JWT_ISSUED_IN_FUTURE, /* iat lies in the future (beyond the skew) */
    GP_JWT_BAD_ISSUER,       /* iss is not the configured issuer */
    GP_JWT_BAD_AUDIENCE,     /* aud does not name this server */
};

/* A short English sentence for rc, safe to show to the caller (it quotes nothing of a token). */
const char *gp_jwt_rc_text(enum gp_jwt_rc rc);

/* A token taken apart. header and claims are owned (json_decref); the signature is decoded. */
struct gp_jwt {
    char alg[8];             /* one of RS256, PS256, ES256 after a successful parse */
    char kid[129];           /* "" when the header has none */
    json_t *header;          /* the JOSE header */
    json_t *claims;          /* the payload */
    const char *signed_part; /* the token's "header.payload" (borrowed from the token) */
    size_t signed_len;       /* its length */
    unsigned char sig[512];  /* the decoded signature */
    size_t sig_len;
};

/* Whether a bearer looks like a JWT at all (three non-empty dot-separated base64url parts, the
 * first decoding to a JSON object's opening brace): the cheap test that decides which kind of
 * authentication runs. */
bool gp_jwt_looks_like(const char *token);

/* Splits and decodes token (NUL-terminated, at most GP_JWT_MAX_LEN characters). MALFORMED or
 * BAD_ALG on failure, with *out freed. out borrows token: keep it alive while out is used. */
enum gp_jwt_rc gp_jwt_parse(const char *token, struct gp_jwt *out);
/* Frees what gp_jwt_parse allocated; accepts a zeroed or freed struct. */
void gp_jwt_free(struct gp_jwt *jwt);

/* One public key of a JWK set. */
struct gp_jwk {
    char kid[129]; /* "" when the JWK has none */
    char alg[8];   /* the JWK's "alg", "" when it names none (then any of its type's) */
    bool ec;       /* P-256 (ES256) when true, else RSA (RS256, PS256) */
    void *pkey;    /* EVP_PKEY *, owned by the set */
};

struct gp_jwk_set {
    _Atomic int refs;
    size_t n;
    struct gp_jwk *keys;
};

/* Parses a JWK set document ({"keys": [...]}) into a new set with one reference. Keeps the RSA
 * keys of 2048 bits or more and the P-256 keys that are valid points, for signing ("use" absent
 * or "sig"); skips every other key (symmetric "oct" keys above all) and counts them in
 * *skipped (may be NULL). False with a reason in err when the document is not a JWK set or
 * holds no usable key. */
bool gp_jwk_set_parse(const char *text, size_t len, struct gp_jwk_set **out, size_t *skipped,
                      char *err, size_t errlen);
/* Another reference to set (NULL-safe); returns set. */
struct gp_jwk_set *gp_jwk_set_ref(struct gp_jwk_set *set);
/* Drops a reference; frees the set with the last. NULL-safe. */
void gp_jwk_set_unref(struct gp_jwk_set *set);

/* The key for a token's kid and alg: with a kid, the key of that kid (if its type and alg fit);
 * without, the only key that fits the alg (NULL when none or several do). */
const struct gp_jwk *gp_jwk_set_find(const struct gp_jwk_set *set, const char *kid,
                                     const char *alg);

/* Verifies the signature of a parsed token with key: OK or BAD_SIGNATURE (also when the key
 * does not fit the algorithm). */
enum gp_jwt_rc gp_jwt_verify(const struct gp_jwt *jwt, const struct gp_jwk *key);

/* What the registered claims must say. */
struct gp_jwt_expect {
    const char *issuer;   /* iss must equal it exactly */
    const char *audience; /* aud (a string or an array of strings) must contain it */
    time_t now;
    int skew_s; /* tolerated clock difference in seconds, both ways */
};

/* Checks exp (required: now < exp + skew), nbf (when present: nbf - skew <= now), iat (when
 * present: iat - skew <= now), iss and aud, in that order; the first failure is returned. */
enum gp_jwt_rc gp_jwt_check_claims(const struct gp_jwt *jwt, const struct gp_jwt_expect *e);

/* base64url without padding (RFC 7515 section 2) decoded into out (at most outlen bytes);
 * returns the length, or -1 for a character outside the alphabet, an impossible length or too
 * small an out. Exposed for the tests. */
long gp_base64url_decode(const char *in, size_t inlen, unsigned char *out, size_t outlen);

#endif
