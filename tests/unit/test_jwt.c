/* lib/core/jwt: the checks of a JWT access token, on tokens this test signs itself with keys it
 * makes (the integration suite itest_identity uses the real identity provider). RS256, PS256 and
 * ES256 verify; none, HMAC (also with the public key as the secret), a tampered token, a key of
 * the wrong type or algorithm, a weak RSA key, an off-curve EC key and a symmetric JWK do not;
 * exp, nbf, iat, iss and aud are checked with the skew. */
#include "lib/core/jwt.h"

#include <check.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISS "https://idp.example/realms/kommune"
#define AUD "glasplade"
#define NOW 1800000000

static EVP_PKEY *rsa2048, *rsa_other, *ec256;

static void b64url(const unsigned char *in, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16;
        if (i + 1 < n)
            v |= (unsigned)in[i + 1] << 8;
        if (i + 2 < n)
            v |= in[i + 2];
        out[o++] = a[(v >> 18) & 63];
        out[o++] = a[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = a[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = a[v & 63];
    }
    out[o] = '\0';
}

static char *b64url_str(const char *s)
{
    char *out = malloc(strlen(s) * 2 + 8);
    b64url((const unsigned char *)s, strlen(s), out);
    return out;
}

static EVP_PKEY *keygen(const char *type, int bits)
{
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, type, NULL);
    EVP_PKEY *k = NULL;
    ck_assert(EVP_PKEY_keygen_init(ctx) == 1);
    if (!strcmp(type, "RSA"))
        ck_assert(EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, bits) == 1);
    else
        ck_assert(EVP_PKEY_CTX_set_group_name(ctx, "prime256v1") == 1);
    ck_assert(EVP_PKEY_generate(ctx, &k) == 1);
    EVP_PKEY_CTX_free(ctx);
    return k;
}

static void bn_b64(EVP_PKEY *k, const char *param, char *out)
{
    BIGNUM *bn = NULL;
    ck_assert(EVP_PKEY_get_bn_param(k, param, &bn) == 1);
    unsigned char buf[600];
    int n = BN_bn2bin(bn, buf);
    b64url(buf, (size_t)n, out);
    BN_free(bn);
}

/* A JWK of k's public part; extra is spliced into the object (e.g. "\"alg\":\"RS256\","). */
static char *jwk(EVP_PKEY *k, const char *kid, const char *extra)
{
    char *out = malloc(2048);
    if (EVP_PKEY_is_a(k, "RSA")) {
        char n[700], e[16];
        bn_b64(k, OSSL_PKEY_PARAM_RSA_N, n);
        bn_b64(k, OSSL_PKEY_PARAM_RSA_E, e);
        snprintf(out, 2048, "{%s\"kty\":\"RSA\",\"kid\":\"%s\",\"n\":\"%s\",\"e\":\"%s\"}", extra,
                 kid, n, e);
    } else {
        unsigned char pt[65];
        size_t len = 0;
        ck_assert(
            EVP_PKEY_get_octet_string_param(k, OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof pt, &len) == 1);
        ck_assert_uint_eq(len, 65);
        char x[64], y[64];
        b64url(pt + 1, 32, x);
        b64url(pt + 33, 32, y);
        snprintf(out, 2048,
                 "{%s\"kty\":\"EC\",\"crv\":\"P-256\",\"kid\":\"%s\",\"x\":\"%s\",\"y\":\"%s\"}",
                 extra, kid, x, y);
    }
    return out;
}

static struct gp_jwk_set *set_of(const char *keys_json)
{
    char doc[8192];
    snprintf(doc, sizeof doc, "{\"keys\":[%s]}", keys_json);
    struct gp_jwk_set *set = NULL;
    char err[200];
    ck_assert_msg(gp_jwk_set_parse(doc, strlen(doc), &set, NULL, err, sizeof err), "%s", err);
    return set;
}

/* header.payload signed by k with alg (RS256, PS256, ES256), as a compact JWS (malloc'd). */
static char *sign(EVP_PKEY *k, const char *alg, const char *header, const char *payload)
{
    char *h = b64url_str(header), *p = b64url_str(payload);
    size_t cap = strlen(h) + strlen(p) + 1024;
    char *tok = malloc(cap);
    snprintf(tok, cap, "%s.%s", h, p);
    free(h);
    free(p);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_PKEY_CTX *pctx = NULL;
    ck_assert(EVP_DigestSignInit(md, &pctx, EVP_sha256(), NULL, k) == 1);
    if (!strcmp(alg, "PS256")) {
        ck_assert(EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1);
        ck_assert(EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, 32) == 1);
    }
    unsigned char sig[600];
    size_t siglen = sizeof sig;
    ck_assert(EVP_DigestSign(md, sig, &siglen, (unsigned char *)tok, strlen(tok)) == 1);
    EVP_MD_CTX_free(md);
    unsigned char raw[64];
    if (!strcmp(alg, "ES256")) {
        const unsigned char *q = sig;
        ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &q, (long)siglen);
        ck_assert_ptr_nonnull(es);
        ck_assert(BN_bn2binpad(ECDSA_SIG_get0_r(es), raw, 32) == 32);
        ck_assert(BN_bn2binpad(ECDSA_SIG_get0_s(es), raw + 32, 32) == 32);
        ECDSA_SIG_free(es);
        memcpy(sig, raw, 64);
        siglen = 64;
    }
    size_t o = strlen(tok);
    tok[o++] = '.';
    b64url(sig, siglen, tok + o);
    return tok;
}

static char *claims(long exp_off, const char *extra)
{
    char *c = malloc(1024);
    snprintf(c, 1024,
             "{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"sub\":\"u1\",\"iat\":%d,\"exp\":%ld%s}",
             NOW - 10, (long)NOW + exp_off, extra ? extra : "");
    return c;
}

static enum gp_jwt_rc check(const char *token, const struct gp_jwk_set *set)
{
    struct gp_jwt jwt;
    enum gp_jwt_rc rc = gp_jwt_parse(token, &jwt);
    if (rc != GP_JWT_OK)
        return rc;
    const struct gp_jwk *key = gp_jwk_set_find(set, jwt.kid, jwt.alg);
    rc = key ? gp_jwt_verify(&jwt, key) : GP_JWT_UNKNOWN_KID;
    if (rc == GP_JWT_OK) {
        struct gp_jwt_expect e = {ISS, AUD, NOW, 30};
        rc = gp_jwt_check_claims(&jwt, &e);
    }
    gp_jwt_free(&jwt);
    return rc;
}

static void setup(void)
{
    rsa2048 = keygen("RSA", 2048);
    rsa_other = keygen("RSA", 2048);
    ec256 = keygen("EC", 0);
}

static void teardown(void)
{
    EVP_PKEY_free(rsa2048);
    EVP_PKEY_free(rsa_other);
    EVP_PKEY_free(ec256);
}

START_TEST(the_three_algorithms_verify)
{
    char *kr = jwk(rsa2048, "r1", ""), *ke = jwk(ec256, "e1", "\"use\":\"sig\",");
    char keys[4096];
    snprintf(keys, sizeof keys, "%s,%s", kr, ke);
    struct gp_jwk_set *set = set_of(keys);
    ck_assert_uint_eq(set->n, 2);
    char *c = claims(300, NULL);
    const char *algs[] = {"RS256", "PS256", "ES256"};
    for (int i = 0; i < 3; i++) {
        char h[128];
        snprintf(h, sizeof h, "{\"alg\":\"%s\",\"typ\":\"at+jwt\",\"kid\":\"%s\"}", algs[i],
                 i < 2 ? "r1" : "e1");
        char *t = sign(i < 2 ? rsa2048 : ec256, algs[i], h, c);
        ck_assert_msg(check(t, set) == GP_JWT_OK, "%s", algs[i]);
        ck_assert(gp_jwt_looks_like(t));
        /* Other claims under the same signature fail, and so does a changed signature. */
        char *other = claims(300, ",\"roles\":[\"admin\"]"), *p = b64url_str(other);
        char *sig = strrchr(t, '.');
        char forged[4096];
        snprintf(forged, sizeof forged, "%.*s.%s%s", (int)(strchr(t, '.') - t), t, p, sig);
        ck_assert_int_eq(check(forged, set), GP_JWT_BAD_SIGNATURE);
        sig[10] = sig[10] == 'A' ? 'B' : 'A';
        ck_assert_int_eq(check(t, set), GP_JWT_BAD_SIGNATURE);
        free(other);
        free(p);
        free(t);
    }
    /* Without a kid: the only key that fits the algorithm. */
    char *t = sign(ec256, "ES256", "{\"alg\":\"ES256\"}", c);
    ck_assert_int_eq(check(t, set), GP_JWT_OK);
    free(t);
    free(c);
    free(kr);
    free(ke);
    gp_jwk_set_unref(set);
}
END_TEST

START_TEST(refused_algorithms_and_keys)
{
    char *kr = jwk(rsa2048, "r1", "");
    struct gp_jwk_set *set = set_of(kr);
    char *c = claims(300, NULL);
    char *p = b64url_str(c);
    char tok[4096];

    /* alg none, with and without a signature part. */
    char *h = b64url_str("{\"alg\":\"none\",\"kid\":\"r1\"}");
    snprintf(tok, sizeof tok, "%s.%s.", h, p);
    ck_assert_int_eq(check(tok, set), GP_JWT_BAD_ALG);
    snprintf(tok, sizeof tok, "%s.%s.AAAA", h, p);
    ck_assert_int_eq(check(tok, set), GP_JWT_BAD_ALG);
    free(h);
    h = b64url_str("{\"alg\":\"None\",\"kid\":\"r1\"}");
    snprintf(tok, sizeof tok, "%s.%s.AAAA", h, p);
    ck_assert_int_eq(check(tok, set), GP_JWT_BAD_ALG);
    free(h);

    /* HS256 with the provider's public key (as PEM, the classic confusion) as the secret. */
    BIO *bio = BIO_new(BIO_s_mem());
    ck_assert(PEM_write_bio_PUBKEY(bio, rsa2048) == 1);
    char *pem = NULL;
    long pemlen = BIO_get_mem_data(bio, &pem);
    h = b64url_str("{\"alg\":\"HS256\",\"kid\":\"r1\"}");
    snprintf(tok, sizeof tok, "%s.%s", h, p);
    unsigned char mac[32];
    unsigned maclen = 0;
    ck_assert_ptr_nonnull(
        HMAC(EVP_sha256(), pem, (int)pemlen, (unsigned char *)tok, strlen(tok), mac, &maclen));
    size_t o = strlen(tok);
    tok[o++] = '.';
    b64url(mac, maclen, tok + o);
    ck_assert_int_eq(check(tok, set), GP_JWT_BAD_ALG);
    BIO_free(bio);
    free(h);

    /* An RSA-signed token that claims ES256, or an EC token claiming RS256: no key fits. */
    char *t = sign(rsa2048, "RS256", "{\"alg\":\"ES256\",\"kid\":\"r1\"}", c);
    ck_assert_int_eq(check(t, set), GP_JWT_UNKNOWN_KID);
    free(t);
    /* Signed by another key under the provider's kid. */
    t = sign(rsa_other, "RS256", "{\"alg\":\"RS256\",\"kid\":\"r1\"}", c);
    ck_assert_int_eq(check(t, set), GP_JWT_BAD_SIGNATURE);
    free(t);
    /* A kid the set does not have. */
    t = sign(rsa2048, "RS256", "{\"alg\":\"RS256\",\"kid\":\"r2\"}", c);
    ck_assert_int_eq(check(t, set), GP_JWT_UNKNOWN_KID);
    free(t);
    /* A key that names RS256 is not used for PS256. */
    char *kalg = jwk(rsa2048, "r1", "\"alg\":\"RS256\",");
    struct gp_jwk_set *only_rs = set_of(kalg);
    t = sign(rsa2048, "PS256", "{\"alg\":\"PS256\",\"kid\":\"r1\"}", c);
    ck_assert_int_eq(check(t, only_rs), GP_JWT_UNKNOWN_KID);
    ck_assert_int_eq(check(t, set), GP_JWT_OK);
    free(t);
    /* A token that brings its own key or asks for extensions. */
    t = sign(rsa2048, "RS256", "{\"alg\":\"RS256\",\"kid\":\"r1\",\"jku\":\"http://x/\"}", c);
    ck_assert_int_eq(check(t, set), GP_JWT_MALFORMED);
    free(t);
    gp_jwk_set_unref(only_rs);
    free(kalg);
    free(p);
    free(c);
    free(kr);
    gp_jwk_set_unref(set);
}
END_TEST

START_TEST(jwk_sets_keep_only_strong_signing_keys)
{
    EVP_PKEY *weak = keygen("RSA", 1024);
    char *kw = jwk(weak, "weak", ""), *ke = jwk(ec256, "enc", "\"use\":\"enc\",");
    char *kr = jwk(rsa2048, "hs", "\"alg\":\"HS256\",");
    char doc[8192];
    /* a symmetric key, a weak RSA key, an encryption key, an RSA key for HS256 */
    snprintf(doc, sizeof doc,
             "{\"keys\":[{\"kty\":\"oct\",\"kid\":\"s\",\"k\":\"c2VjcmV0\"},%s,%s,%s]}", kw, ke,
             kr);
    struct gp_jwk_set *set = NULL;
    size_t skipped = 0;
    char err[200];
    ck_assert(!gp_jwk_set_parse(doc, strlen(doc), &set, &skipped, err, sizeof err));
    ck_assert_uint_eq(skipped, 4);
    ck_assert_ptr_null(set);
    /* An EC point off the curve. */
    char *good = jwk(ec256, "e", "");
    char *x = strstr(good, "\"x\":\"") + 5;
    x[2] = x[2] == 'A' ? 'B' : 'A';
    snprintf(doc, sizeof doc, "{\"keys\":[%s]}", good);
    ck_assert(!gp_jwk_set_parse(doc, strlen(doc), &set, &skipped, err, sizeof err));
    ck_assert_uint_eq(skipped, 1);
    /* Not a JWK set at all. */
    ck_assert(!gp_jwk_set_parse("[]", 2, &set, NULL, err, sizeof err));
    ck_assert(!gp_jwk_set_parse("{", 1, &set, NULL, err, sizeof err));
    /* Reference counting: the set lives until its last reference goes. */
    char *kk = jwk(rsa2048, "k", "");
    struct gp_jwk_set *s = set_of(kk);
    free(kk);
    ck_assert_ptr_eq(gp_jwk_set_ref(s), s);
    gp_jwk_set_unref(s);
    ck_assert_uint_eq(s->n, 1);
    gp_jwk_set_unref(s);
    free(good);
    free(kw);
    free(ke);
    free(kr);
    EVP_PKEY_free(weak);
}
END_TEST

START_TEST(registered_claims_with_skew)
{
    char *kr = jwk(rsa2048, "r1", "");
    struct gp_jwk_set *set = set_of(kr);
    const char *h = "{\"alg\":\"RS256\",\"kid\":\"r1\"}";
    static const struct {
        long exp_off;
        const char *extra;
        enum gp_jwt_rc rc;
    } cases[] = {
        {300, NULL, GP_JWT_OK},
        {-29, NULL, GP_JWT_OK},      /* expired, within the 30 s skew */
        {-31, NULL, GP_JWT_EXPIRED}, /* beyond it */
        {300, ",\"nbf\":1800000020", GP_JWT_OK},
        {300, ",\"nbf\":1800000031", GP_JWT_NOT_YET_VALID},
        {300, ",\"nbf\":\"soon\"", GP_JWT_NOT_YET_VALID},
        {300, ",\"iat\":1800000100", GP_JWT_MALFORMED}, /* a duplicate member is refused */
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        char *c = claims(cases[i].exp_off, cases[i].extra);
        char *t = sign(rsa2048, "RS256", h, c);
        ck_assert_msg(check(t, set) == cases[i].rc, "case %zu: %s", i,
                      gp_jwt_rc_text(check(t, set)));
        free(t);
        free(c);
    }
    static const struct {
        const char *payload;
        enum gp_jwt_rc rc;
    } raw[] = {
        {"{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\",\"iat\":1800000100,\"exp\":1800000300}",
         GP_JWT_ISSUED_IN_FUTURE},
        {"{\"iss\":\"" ISS "\",\"aud\":\"" AUD "\"}", GP_JWT_EXPIRED},
        {"{\"iss\":\"" ISS "/\",\"aud\":\"" AUD "\",\"exp\":1800000300}", GP_JWT_BAD_ISSUER},
        {"{\"aud\":\"" AUD "\",\"exp\":1800000300}", GP_JWT_BAD_ISSUER},
        {"{\"iss\":\"" ISS "\",\"aud\":\"other\",\"exp\":1800000300}", GP_JWT_BAD_AUDIENCE},
        {"{\"iss\":\"" ISS "\",\"aud\":[\"other\",\"" AUD "\"],\"exp\":1800000300}", GP_JWT_OK},
        {"{\"iss\":\"" ISS "\",\"aud\":[\"other\"],\"exp\":1800000300}", GP_JWT_BAD_AUDIENCE},
        {"{\"iss\":\"" ISS "\",\"exp\":1800000300}", GP_JWT_BAD_AUDIENCE},
        {"[1]", GP_JWT_MALFORMED},
    };
    for (size_t i = 0; i < sizeof raw / sizeof raw[0]; i++) {
        char *t = sign(rsa2048, "RS256", h, raw[i].payload);
        ck_assert_msg(check(t, set) == raw[i].rc, "raw %zu: %s", i, gp_jwt_rc_text(check(t, set)));
        free(t);
    }
    free(kr);
    gp_jwk_set_unref(set);
}
END_TEST

START_TEST(malformed_tokens_and_base64url)
{
    struct gp_jwt jwt;
    const char *bad[] = {"",
                         "abc",
                         "a.b",
                         "a.b.c.d",
                         "eyJ..x",
                         ".eyJ.x",
                         "eyJhbGciOiJSUzI1NiJ9.e30.",
                         "eyJhbGciOiJSUzI1NiJ9.e30.a*b",
                         "bm90IGpzb24.e30.AAAA"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(gp_jwt_parse(bad[i], &jwt) == GP_JWT_MALFORMED, "%s", bad[i]);
    ck_assert(!gp_jwt_looks_like("gpt_abc"));
    ck_assert(!gp_jwt_looks_like("eyJ.a"));
    ck_assert(gp_jwt_looks_like("eyJhbGciOiJSUzI1NiJ9.e30.AAAA"));
    unsigned char out[16];
    ck_assert_int_eq(gp_base64url_decode("aGk", 3, out, sizeof out), 2);
    ck_assert(!memcmp(out, "hi", 2));
    ck_assert_int_eq(gp_base64url_decode("aGl", 3, out, sizeof out), -1);  /* stray bits */
    ck_assert_int_eq(gp_base64url_decode("aGk=", 4, out, sizeof out), -1); /* padding */
    ck_assert_int_eq(gp_base64url_decode("a", 1, out, sizeof out), -1);
    ck_assert_int_eq(gp_base64url_decode("-_-_", 4, out, sizeof out), 3);
    ck_assert_int_eq(gp_base64url_decode("aGVsbG8gd29ybGQ", 15, out, 4), -1); /* too small */
    char huge[GP_JWT_MAX_LEN + 16];
    memset(huge, 'a', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    huge[10] = '.';
    huge[20] = '.';
    ck_assert_int_eq(gp_jwt_parse(huge, &jwt), GP_JWT_MALFORMED);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("jwt");
    TCase *tc = tcase_create("jwt");
    tcase_set_timeout(tc, 60);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, the_three_algorithms_verify);
    tcase_add_test(tc, refused_algorithms_and_keys);
    tcase_add_test(tc, jwk_sets_keep_only_strong_signing_keys);
    tcase_add_test(tc, registered_claims_with_skew);
    tcase_add_test(tc, malformed_tokens_and_base64url);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
