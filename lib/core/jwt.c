#include "lib/core/jwt.h"

#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/rsa.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIN_RSA_BITS 2048
#define MAX_PART     6144 /* decoded header or claims: more is not a token we accept */

const char *gp_jwt_rc_text(enum gp_jwt_rc rc)
{
    switch (rc) {
    case GP_JWT_OK:
        return "the token is valid";
    case GP_JWT_MALFORMED:
        return "the token is not a well-formed JWT";
    case GP_JWT_BAD_ALG:
        return "the token's signing algorithm is not accepted (RS256, PS256 and ES256 are)";
    case GP_JWT_UNKNOWN_KID:
        return "the token was signed with a key the identity provider does not publish";
    case GP_JWT_BAD_SIGNATURE:
        return "the token's signature is not valid";
    case GP_JWT_EXPIRED:
        return "the token has expired";
    case GP_JWT_NOT_YET_VALID:
        return "the token is not valid yet";
    case GP_JWT_ISSUED_IN_FUTURE:
        return "the token was issued in the future";
    case GP_JWT_BAD_ISSUER:
        return "the token was issued by another identity provider than the one configured";
    case GP_JWT_BAD_AUDIENCE:
        return "the token is not meant for this server (audience)";
    }
    return "the token is not valid";
}

static int b64url_value(unsigned char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '-')
        return 62;
    if (c == '_')
        return 63;
    return -1;
}

long gp_base64url_decode(const char *in, size_t inlen, unsigned char *out, size_t outlen)
{
    if (inlen % 4 == 1)
        return -1;
    size_t need = inlen / 4 * 3 + (inlen % 4 ? inlen % 4 - 1 : 0);
    if (need > outlen)
        return -1;
    size_t o = 0;
    uint32_t acc = 0;
    int bits = 0;
    for (size_t i = 0; i < inlen; i++) {
        int v = b64url_value((unsigned char)in[i]);
        if (v < 0)
            return -1;
        acc = (acc << 6) | (uint32_t)v;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(acc >> bits);
        }
    }
    /* The bits left over must be zero (a canonical encoding). */
    if (bits && (acc & ((1u << bits) - 1)))
        return -1;
    return (long)o;
}

bool gp_jwt_looks_like(const char *t)
{
    if (!t || strncmp(t, "eyJ", 3) != 0) /* base64url of '{"' */
        return false;
    const char *d1 = strchr(t, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    return d1 && d2 && d2 > d1 + 1 && !strchr(d2 + 1, '.');
}

static json_t *decode_json_part(const char *p, size_t len)
{
    unsigned char *buf = malloc(MAX_PART + 1);
    if (!buf)
        return NULL;
    long n = gp_base64url_decode(p, len, buf, MAX_PART);
    json_t *j = NULL;
    if (n > 0)
        j = json_loadb((const char *)buf, (size_t)n, JSON_REJECT_DUPLICATES, NULL);
    free(buf);
    if (j && !json_is_object(j)) {
        json_decref(j);
        j = NULL;
    }
    return j;
}

void gp_jwt_free(struct gp_jwt *jwt)
{
    if (!jwt)
        return;
    json_decref(jwt->header);
    json_decref(jwt->claims);
    memset(jwt, 0, sizeof *jwt);
}

enum gp_jwt_rc gp_jwt_parse(const char *token, struct gp_jwt *out)
{
    memset(out, 0, sizeof *out);
    size_t len = token ? strnlen(token, GP_JWT_MAX_LEN + 1) : 0;
    if (len == 0 || len > GP_JWT_MAX_LEN)
        return GP_JWT_MALFORMED;
    const char *d1 = strchr(token, '.');
    const char *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (!d1 || !d2 || strchr(d2 + 1, '.') || d1 == token || d2 == d1 + 1)
        return GP_JWT_MALFORMED;
    out->header = decode_json_part(token, (size_t)(d1 - token));
    if (!out->header)
        goto malformed;
    /* The algorithm first: nothing else of a token with an algorithm we refuse matters. */
    const char *alg = json_string_value(json_object_get(out->header, "alg"));
    if (!alg)
        goto malformed;
    if (strcmp(alg, "RS256") && strcmp(alg, "PS256") && strcmp(alg, "ES256")) {
        gp_jwt_free(out);
        return GP_JWT_BAD_ALG;
    }
    snprintf(out->alg, sizeof out->alg, "%s", alg);
    /* A token that asks for other processing (crit) or carries its own key is not ours. */
    if (json_object_get(out->header, "crit") || json_object_get(out->header, "jwk") ||
        json_object_get(out->header, "jku") || json_object_get(out->header, "x5u"))
        goto malformed;
    json_t *kid = json_object_get(out->header, "kid");
    if (kid) {
        const char *k = json_string_value(kid);
        if (!k || !*k || strlen(k) >= sizeof out->kid)
            goto malformed;
        snprintf(out->kid, sizeof out->kid, "%s", k);
    }
    out->claims = decode_json_part(d1 + 1, (size_t)(d2 - d1 - 1));
    if (!out->claims)
        goto malformed;
    long n = gp_base64url_decode(d2 + 1, strlen(d2 + 1), out->sig, sizeof out->sig);
    if (n <= 0)
        goto malformed;
    out->sig_len = (size_t)n;
    out->signed_part = token;
    out->signed_len = (size_t)(d2 - token);
    return GP_JWT_OK;

malformed:
    gp_jwt_free(out);
    return GP_JWT_MALFORMED;
}

/* ---- JWK sets ---- */

static BIGNUM *b64_bignum(const char *s, size_t max_bytes)
{
    if (!s)
        return NULL;
    unsigned char *buf = malloc(max_bytes);
    if (!buf)
        return NULL;
    long n = gp_base64url_decode(s, strlen(s), buf, max_bytes);
    BIGNUM *bn = n > 0 ? BN_bin2bn(buf, (int)n, NULL) : NULL;
    free(buf);
    return bn;
}

static EVP_PKEY *rsa_key(json_t *jwk)
{
    BIGNUM *n = b64_bignum(json_string_value(json_object_get(jwk, "n")), 1024);
    BIGNUM *e = b64_bignum(json_string_value(json_object_get(jwk, "e")), 16);
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM *params = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    if (!n || !e || !bld || !ctx || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) ||
        !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) ||
        !(params = OSSL_PARAM_BLD_to_param(bld)) || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    if (pkey && EVP_PKEY_get_bits(pkey) < MIN_RSA_BITS) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    EVP_PKEY_CTX_free(ctx);
    BN_free(n);
    BN_free(e);
    return pkey;
}

static EVP_PKEY *ec_key(json_t *jwk)
{
    const char *crv = json_string_value(json_object_get(jwk, "crv"));
    const char *x = json_string_value(json_object_get(jwk, "x"));
    const char *y = json_string_value(json_object_get(jwk, "y"));
    if (!crv || strcmp(crv, "P-256") || !x || !y)
        return NULL;
    unsigned char point[65];
    point[0] = 0x04; /* uncompressed */
    if (gp_base64url_decode(x, strlen(x), point + 1, 32) != 32 ||
        gp_base64url_decode(y, strlen(y), point + 33, 32) != 32)
        return NULL;
    EVP_PKEY *pkey = NULL;
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, point, sizeof point),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (!ctx || EVP_PKEY_fromdata_init(ctx) <= 0 ||
        EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) <= 0) {
        EVP_PKEY_free(pkey);
        pkey = NULL;
    }
    EVP_PKEY_CTX_free(ctx);
    if (pkey) {
        /* The point must lie on the curve (an invalid-curve key must never verify). */
        EVP_PKEY_CTX *check = EVP_PKEY_CTX_new_from_pkey(NULL, pkey, NULL);
        bool ok = check && EVP_PKEY_public_check(check) == 1;
        EVP_PKEY_CTX_free(check);
        if (!ok) {
            EVP_PKEY_free(pkey);
            pkey = NULL;
        }
    }
    return pkey;
}

static void set_free(struct gp_jwk_set *set)
{
    for (size_t i = 0; i < set->n; i++)
        EVP_PKEY_free(set->keys[i].pkey);
    free(set->keys);
    free(set);
}

bool gp_jwk_set_parse(const char *text, size_t len, struct gp_jwk_set **out, size_t *skipped,
                      char *err, size_t errlen)
{
    *out = NULL;
    size_t skip = 0;
    json_t *doc = json_loadb(text, len, 0, NULL);
    json_t *keys = json_object_get(doc, "keys");
    if (!json_is_array(keys)) {
        snprintf(err, errlen, "not a JWK set (no \"keys\" array)");
        json_decref(doc);
        return false;
    }
    struct gp_jwk_set *set = calloc(1, sizeof *set);
    size_t cap = json_array_size(keys);
    set->keys = calloc(cap ? cap : 1, sizeof *set->keys);
    if (!set->keys) {
        free(set);
        json_decref(doc);
        snprintf(err, errlen, "out of memory");
        return false;
    }
    atomic_init(&set->refs, 1);
    size_t i;
    json_t *jwk;
    json_array_foreach(keys, i, jwk)
    {
        const char *kty = json_string_value(json_object_get(jwk, "kty"));
        const char *use = json_string_value(json_object_get(jwk, "use"));
        const char *alg = json_string_value(json_object_get(jwk, "alg"));
        const char *kid = json_string_value(json_object_get(jwk, "kid"));
        bool rsa = kty && !strcmp(kty, "RSA"), ec = kty && !strcmp(kty, "EC");
        if ((!rsa && !ec) || (use && strcmp(use, "sig")) ||
            (kid && strlen(kid) >= sizeof set->keys[0].kid)) {
            skip++;
            continue;
        }
        /* A JWK that names an algorithm is used for that one only, and it must be ours. */
        if (alg && (rsa ? strcmp(alg, "RS256") && strcmp(alg, "PS256") : strcmp(alg, "ES256"))) {
            skip++;
            continue;
        }
        EVP_PKEY *pkey = rsa ? rsa_key(jwk) : ec_key(jwk);
        if (!pkey) {
            skip++;
            continue;
        }
        struct gp_jwk *k = &set->keys[set->n++];
        snprintf(k->kid, sizeof k->kid, "%s", kid ? kid : "");
        snprintf(k->alg, sizeof k->alg, "%s", alg ? alg : "");
        k->ec = ec;
        k->pkey = pkey;
    }
    json_decref(doc);
    if (skipped)
        *skipped = skip;
    if (set->n == 0) {
        snprintf(err, errlen, "the JWK set holds no RSA (2048 bits or more) or P-256 signing key");
        set_free(set);
        return false;
    }
    *out = set;
    return true;
}

struct gp_jwk_set *gp_jwk_set_ref(struct gp_jwk_set *set)
{
    if (set)
        atomic_fetch_add(&set->refs, 1);
    return set;
}

void gp_jwk_set_unref(struct gp_jwk_set *set)
{
    if (set && atomic_fetch_sub(&set->refs, 1) == 1)
        set_free(set);
}

static bool key_fits(const struct gp_jwk *k, const char *alg)
{
    bool es = !strcmp(alg, "ES256");
    if (k->ec != es)
        return false;
    return !k->alg[0] || !strcmp(k->alg, alg);
}

const struct gp_jwk *gp_jwk_set_find(const struct gp_jwk_set *set, const char *kid, const char *alg)
{
    if (!set || !alg)
        return NULL;
    const struct gp_jwk *found = NULL;
    for (size_t i = 0; i < set->n; i++) {
        const struct gp_jwk *k = &set->keys[i];
        if (kid && *kid) {
            if (!strcmp(k->kid, kid))
                return key_fits(k, alg) ? k : NULL;
            continue;
        }
        if (key_fits(k, alg)) {
            if (found)
                return NULL; /* several would do: without a kid, which one is a guess */
            found = k;
        }
    }
    return found;
}

/* ES256 signatures are r || s, 32 bytes each (RFC 7518 section 3.4); OpenSSL wants DER. */
static unsigned char *es256_der(const unsigned char *sig, size_t len, size_t *der_len)
{
    if (len != 64)
        return NULL;
    ECDSA_SIG *es = ECDSA_SIG_new();
    BIGNUM *r = BN_bin2bn(sig, 32, NULL), *s = BN_bin2bn(sig + 32, 32, NULL);
    unsigned char *der = NULL;
    if (es && r && s && ECDSA_SIG_set0(es, r, s)) {
        r = s = NULL; /* owned by es now */
        int n = i2d_ECDSA_SIG(es, &der);
        if (n <= 0) {
            der = NULL;
        } else {
            *der_len = (size_t)n;
        }
    }
    BN_free(r);
    BN_free(s);
    ECDSA_SIG_free(es);
    return der;
}

enum gp_jwt_rc gp_jwt_verify(const struct gp_jwt *jwt, const struct gp_jwk *key)
{
    if (!jwt || !key || !key->pkey || !key_fits(key, jwt->alg))
        return GP_JWT_BAD_SIGNATURE;
    const unsigned char *sig = jwt->sig;
    size_t sig_len = jwt->sig_len;
    unsigned char *der = NULL;
    if (key->ec) {
        der = es256_der(jwt->sig, jwt->sig_len, &sig_len);
        if (!der)
            return GP_JWT_BAD_SIGNATURE;
        sig = der;
    }
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    bool ok = md && EVP_DigestVerifyInit(md, &pctx, EVP_sha256(), NULL, key->pkey) == 1;
    if (ok && !strcmp(jwt->alg, "PS256")) {
        /* RFC 7518 section 3.5: MGF1 with SHA-256, salt as long as the hash. */
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
             EVP_PKEY_CTX_set_rsa_mgf1_md(pctx, EVP_sha256()) == 1 &&
             EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1;
    } else if (ok && !strcmp(jwt->alg, "RS256")) {
        ok = EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1;
    }
    ok = ok && EVP_DigestVerify(md, sig, sig_len, (const unsigned char *)jwt->signed_part,
                                jwt->signed_len) == 1;
    EVP_MD_CTX_free(md);
    OPENSSL_free(der);
    return ok ? GP_JWT_OK : GP_JWT_BAD_SIGNATURE;
}

/* A NumericDate claim: a JSON number (integer or not). */
static bool numeric_date(const json_t *claims, const char *name, double *out)
{
    const json_t *v = json_object_get(claims, name);
    if (!v || !json_is_number(v))
        return false;
    *out = json_number_value(v);
    return true;
}

enum gp_jwt_rc gp_jwt_check_claims(const struct gp_jwt *jwt, const struct gp_jwt_expect *e)
{
    const json_t *c = jwt->claims;
    double now = (double)e->now, skew = e->skew_s, t;
    if (!numeric_date(c, "exp", &t) || now >= t + skew)
        return GP_JWT_EXPIRED;
    if (json_object_get(c, "nbf") && (!numeric_date(c, "nbf", &t) || t - skew > now))
        return GP_JWT_NOT_YET_VALID;
    if (json_object_get(c, "iat") && (!numeric_date(c, "iat", &t) || t - skew > now))
        return GP_JWT_ISSUED_IN_FUTURE;
    const char *iss = json_string_value(json_object_get(c, "iss"));
    if (!iss || !e->issuer || strcmp(iss, e->issuer))
        return GP_JWT_BAD_ISSUER;
    const json_t *aud = json_object_get(c, "aud");
    bool aud_ok = false;
    if (json_is_string(aud)) {
        aud_ok = e->audience && !strcmp(json_string_value(aud), e->audience);
    } else if (json_is_array(aud)) {
        size_t i;
        const json_t *a;
        json_array_foreach(aud, i, a)
        {
            if (json_is_string(a) && e->audience && !strcmp(json_string_value(a), e->audience))
                aud_ok = true;
        }
    }
    return aud_ok ? GP_JWT_OK : GP_JWT_BAD_AUDIENCE;
}
