/* Sign-in at the identity provider, against the real one: the demo's OpenID provider
 * (scripts/idp/idp.mjs, npm oidc-provider) on loopback, the real server and the simulators.
 * Nothing here signs a token the server accepts: valid tokens come from the provider (client
 * credentials as a demo user, or the browser's authorization code flow with PKCE through
 * scripts/idp/login); the bad ones are the provider's tokens changed the way an attacker
 * would, or tokens the provider issued for the wrong thing.
 *
 *  - A caseworker signed in with PKCE presses the CPR button; the citizen, signed in too, reads
 *    their access log, which names that caseworker and department; a citizen reads nobody
 *    else's, and the audit row names subject and application and keeps the chain intact.
 *  - The table of bad tokens: each 401 (403 for a valid token that maps to no role) with
 *    WWW-Authenticate error="invalid_token", and no token text in the server's log.
 *  - The provider rotates its key: old and new tokens keep working without a restart; a key it
 *    withdrew stops working once the server has fetched the keys again.
 *  - Integration keys: scopes (403 insufficient_scope), expiry (401), last use. */
#include "gptest.h"
#include "lib/core/jwt.h"

#include <check.h>
#include <errno.h>
#include <fcntl.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/param_build.h>
#include <openssl/pem.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAP GP_SOURCE_DIR "/scripts/idp/role-map.json"

static char *db;
static struct gpt_proc sim, server, idp, idp2;
static char issuer[64], state_dir[256];

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* Starts the provider on a free port with its state (keys) in state_dir. */
static void idp_start(struct gpt_proc *p)
{
    memset(p, 0, sizeof *p);
    p->port = gpt_free_port();
    snprintf(p->log, sizeof p->log, "%s/idp-%d.log", state_dir, p->port);
    char port[16];
    snprintf(port, sizeof port, "%d", p->port);
    int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    p->pid = fork();
    ck_assert_int_ge(p->pid, 0);
    if (p->pid == 0) {
        dup2(fd, STDOUT_FILENO);
        dup2(fd, STDERR_FILENO);
        execlp("node", "node", GP_SOURCE_DIR "/scripts/idp/idp.mjs", "--port", port, "--state",
               state_dir, "--test-clients", (char *)NULL);
        _exit(127);
    }
    close(fd);
    for (int i = 0; i < 200; i++) {
        struct gpt_resp r;
        struct gpt_req q = {.path = "/.well-known/openid-configuration", .no_record = true};
        if (gpt_http_try(p->port, &q, &r)) {
            long st = r.status;
            gpt_resp_free(&r);
            if (st == 200)
                return;
        }
        sleep_ms(50);
    }
    char *log = gpt_read_file(p->log);
    ck_abort_msg("the identity provider did not start; log:\n%s", log ? log : "");
}

/* An access token from the provider for a demo user, by client credentials (malloc'd). */
static char *idp_token_at(const struct gpt_proc *p, const char *user)
{
    char cred[128], b64[256], auth[300];
    snprintf(cred, sizeof cred, "%s:demo", user);
    EVP_EncodeBlock((unsigned char *)b64, (const unsigned char *)cred, (int)strlen(cred));
    snprintf(auth, sizeof auth, "Authorization: Basic %s", b64);
    const char *headers[] = {auth, NULL};
    struct gpt_req q = {.method = "POST",
                        .path = "/token",
                        .body = "grant_type=client_credentials",
                        .content_type = "application/x-www-form-urlencoded",
                        .headers = headers,
                        .no_record = true};
    struct gpt_resp r;
    gpt_http(p->port, &q, &r);
    ck_assert_msg(r.status == 200, "token for %s: %ld %s", user, r.status, r.body);
    char *t = strdup(json_string_value(json_object_get(r.json, "access_token")));
    gpt_resp_free(&r);
    return t;
}

static char *idp_token(const char *user)
{
    return idp_token_at(&idp, user);
}

/* A token through the browser's flow: authorization code with PKCE (scripts/idp/login). */
static char *idp_login(const char *user)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, GP_SOURCE_DIR "/scripts/idp/login %s %s", issuer, user);
    FILE *f = popen(cmd, "r");
    ck_assert_ptr_nonnull(f);
    char buf[GP_JWT_MAX_LEN + 2] = "";
    char *ok = fgets(buf, sizeof buf, f);
    ck_assert_int_eq(pclose(f), 0);
    ck_assert_ptr_nonnull(ok);
    buf[strcspn(buf, "\n")] = '\0';
    return strdup(buf);
}

static void b64url(const unsigned char *in, size_t n, char *out)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    size_t o = 0;
    for (size_t i = 0; i < n; i += 3) {
        unsigned v = (unsigned)in[i] << 16 | (i + 1 < n ? (unsigned)in[i + 1] << 8 : 0) |
                     (i + 2 < n ? in[i + 2] : 0);
        out[o++] = a[(v >> 18) & 63];
        out[o++] = a[(v >> 12) & 63];
        if (i + 1 < n)
            out[o++] = a[(v >> 6) & 63];
        if (i + 2 < n)
            out[o++] = a[v & 63];
    }
    out[o] = '\0';
}

/* token with its header replaced by header (the claims and signature kept), malloc'd. */
static char *with_header(const char *token, const char *header)
{
    char h[512];
    b64url((const unsigned char *)header, strlen(header), h);
    const char *rest = strchr(token, '.');
    char *out = malloc(strlen(h) + strlen(rest) + 1);
    sprintf(out, "%s%s", h, rest);
    return out;
}

/* The provider's first RSA key as PEM: the "secret" of the HMAC confusion attack. */
static char *provider_rsa_pem(void)
{
    struct gpt_resp r;
    struct gpt_req q = {.path = "/jwks", .no_record = true};
    gpt_http(idp.port, &q, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *doc = json_loads(r.body, 0, NULL); /* application/jwk-set+json */
    json_t *keys = json_object_get(doc, "keys"), *k = NULL;
    for (size_t i = 0; i < json_array_size(keys); i++) {
        if (!strcmp(json_string_value(json_object_get(json_array_get(keys, i), "kty")), "RSA")) {
            k = json_array_get(keys, i);
            break;
        }
    }
    ck_assert_ptr_nonnull(k);
    unsigned char nb[512], eb[8];
    const char *ns = json_string_value(json_object_get(k, "n"));
    const char *es = json_string_value(json_object_get(k, "e"));
    long nl = gp_base64url_decode(ns, strlen(ns), nb, sizeof nb);
    long el = gp_base64url_decode(es, strlen(es), eb, sizeof eb);
    BIGNUM *n = BN_bin2bn(nb, (int)nl, NULL), *e = BN_bin2bn(eb, (int)el, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    EVP_PKEY *pkey = NULL;
    ck_assert(EVP_PKEY_fromdata_init(ctx) == 1);
    ck_assert(EVP_PKEY_fromdata(ctx, &pkey, EVP_PKEY_PUBLIC_KEY, params) == 1);
    BIO *bio = BIO_new(BIO_s_mem());
    PEM_write_bio_PUBKEY(bio, pkey);
    char *data = NULL;
    long len = BIO_get_mem_data(bio, &data);
    char *pem = strndup(data, (size_t)len);
    BIO_free(bio);
    EVP_PKEY_free(pkey);
    EVP_PKEY_CTX_free(ctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    json_decref(doc);
    gpt_resp_free(&r);
    return pem;
}

static long call(const char *token, const char *path, struct gpt_resp *out)
{
    struct gpt_req q = {.path = path, .token = token, .route = NULL, .no_record = true};
    struct gpt_resp r;
    gpt_http(server.port, &q, &r);
    long st = r.status;
    if (out)
        *out = r;
    else
        gpt_resp_free(&r);
    return st;
}

static void suite_setup(void)
{
    db = gpt_db_create("identity");
    const char *args[] = {"migrate", NULL};
    char env[600];
    snprintf(env, sizeof env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *menv[] = {env, NULL};
    ck_assert_int_eq(gpt_glasplade(args, menv, NULL, NULL), 0);
    snprintf(state_dir, sizeof state_dir, GP_BINARY_DIR "/test-logs/idp-%d", (int)getpid());
    mkdir(GP_BINARY_DIR "/test-logs", 0755);
    mkdir(state_dir, 0755);
    idp_start(&idp);
    snprintf(issuer, sizeof issuer, "http://127.0.0.1:%d", idp.port);
    gpt_deptsim_start(&sim, 0);
    gpt_register_sources(db, &sim, 1500);
    char iss_env[128];
    snprintf(iss_env, sizeof iss_env, "GLASPLADE_OIDC_ISSUER=%s", issuer);
    const char *extra[] = {iss_env, "GLASPLADE_OIDC_AUDIENCE=urn:glasplade",
                           "GLASPLADE_OIDC_ROLE_MAP=" MAP, "GLASPLADE_OIDC_CPR_CLAIM=cpr",
                           "GLASPLADE_OIDC_CLOCK_SKEW_S=1", "GLASPLADE_OIDC_JWKS_MIN_REFRESH_S=1",
                           /* the bad-token table is long; the throttle has a test of its own */
                           "GLASPLADE_AUTH_FAILURES=100000", NULL};
    gpt_server_start(&server, db, extra);
}

static void suite_teardown(void)
{
    gpt_proc_stop(&server, SIGTERM);
    gpt_proc_stop(&sim, SIGTERM);
    gpt_proc_stop(&idp, SIGTERM);
    free(db);
}

START_TEST(caseworker_presses_and_citizen_sees_who)
{
    char *cw = idp_login("caseworker-jobcentre"); /* the browser's flow, PKCE */
    struct gpt_resp r;
    struct gpt_req q = {.path = "/v1/citizens/1203849318/overview",
                        .route = "/v1/citizens/{cpr}/overview",
                        .token = cw};
    gpt_http(server.port, &q, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    gpt_resp_free(&r);

    char *citizen = idp_token("citizen-mette");
    struct gpt_req al = {.path = "/v1/citizens/1203849318/access-log",
                         .route = "/v1/citizens/{cpr}/access-log",
                         .token = citizen};
    gpt_http(server.port, &al, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    json_t *e = json_array_get(json_object_get(r.json, "entries"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(e, "client")), "Karen Holm");
    ck_assert_str_eq(json_string_value(json_object_get(e, "department")), "job_centre");
    ck_assert_str_eq(json_string_value(json_object_get(e, "role")), "caseworker");
    ck_assert_str_eq(json_string_value(json_object_get(e, "subject")), "caseworker-jobcentre");
    ck_assert_str_eq(json_string_value(json_object_get(e, "client_app")), "glasplade-web");
    gpt_resp_free(&r);

    /* The citizen's own token reads nobody else's data, and no staff route. */
    ck_assert_int_eq(call(citizen, "/v1/citizens/1402959302/access-log", NULL), 403);
    ck_assert_int_eq(call(citizen, "/v1/citizens/1402959302/overview", NULL), 403);
    ck_assert_int_eq(call(citizen, "/v1/sources", NULL), 403);
    ck_assert_int_eq(call(citizen, "/v1/audit", NULL), 403);

    /* The auditor sees the person in the audit row, and the chain holds. */
    char *auditor = idp_token("auditor");
    ck_assert_int_eq(call(auditor, "/v1/audit?cpr=1203849318&limit=5", &r), 200);
    json_t *rows = json_object_get(r.json, "entries");
    bool found = false;
    for (size_t i = 0; i < json_array_size(rows); i++) {
        json_t *row = json_array_get(rows, i);
        if (!strcmp(json_string_value(json_object_get(row, "route")),
                    "GET /v1/citizens/{cpr}/overview")) {
            found = true;
            ck_assert_str_eq(json_string_value(json_object_get(row, "client_name")), "Karen Holm");
            ck_assert_str_eq(json_string_value(json_object_get(row, "subject")),
                             "caseworker-jobcentre");
            ck_assert_str_eq(json_string_value(json_object_get(row, "client_app")),
                             "glasplade-web");
        }
    }
    ck_assert(found);
    gpt_resp_free(&r);
    ck_assert_int_eq(call(auditor, "/v1/audit/verify", &r), 200);
    ck_assert(json_is_true(json_object_get(r.json, "intact")));
    gpt_resp_free(&r);
    /* The person is a client row of kind person. */
    char *kind = gpt_db_scalar(db, "SELECT kind || ' ' || role || ' ' || department FROM "
                                   "api_client WHERE subject = 'caseworker-jobcentre'");
    ck_assert_str_eq(kind, "person caseworker job_centre");
    free(kind);
    free(cw);
    free(citizen);
    free(auditor);
}
END_TEST

/* Asserts status, the invalid_token challenge, and that the log holds nothing of token. */
static void assert_refused(const char *what, const char *token, long status)
{
    struct gpt_resp r;
    struct gpt_req q = {.path = "/v1/sources", .route = "/v1/sources", .token = token};
    gpt_http(server.port, &q, &r);
    ck_assert_msg(r.status == status, "%s: %ld, expected %ld: %s", what, r.status, status, r.body);
    char h[512];
    ck_assert_msg(gpt_header(&r, "WWW-Authenticate", h, sizeof h), "%s: no challenge", what);
    ck_assert_msg(strstr(h, "error=\"invalid_token\""), "%s: %s", what, h);
    gpt_resp_free(&r);
    sleep_ms(50); /* the access line is written when the request completes */
    char *log = gpt_read_file(server.log);
    /* Neither the signature nor the claims part of the token. */
    const char *d1 = strchr(token, '.'), *d2 = d1 ? strchr(d1 + 1, '.') : NULL;
    if (d2 && strlen(d2 + 1) > 16)
        ck_assert_msg(!strstr(log, d2 + 1), "%s: the log holds the token's signature", what);
    if (d1 && d2) {
        char claims[64];
        snprintf(claims, sizeof claims, "%.*s", (int)(d2 - d1 - 1 > 40 ? 40 : d2 - d1 - 1), d1 + 1);
        ck_assert_msg(!strstr(log, claims), "%s: the log holds the token's claims", what);
    }
    free(log);
}

START_TEST(bad_tokens_are_refused)
{
    char *good = idp_token("caseworker-jobcentre");
    ck_assert_int_eq(call(good, "/v1/sources", NULL), 200);

    /* wrong signature: the last characters of the signature changed */
    char *t = strdup(good);
    size_t n = strlen(t);
    t[n - 5] = t[n - 5] == 'A' ? 'B' : 'A';
    assert_refused("wrong signature", t, 401);
    free(t);

    /* the claims of another user under the caseworker's signature */
    char *other = idp_token("admin");
    const char *oc = strchr(other, '.'), *gs = strrchr(good, '.');
    t = malloc(strlen(good) + strlen(other));
    sprintf(t, "%.*s%.*s%s", (int)(strchr(good, '.') - good), good, (int)(strrchr(other, '.') - oc),
            oc, gs);
    assert_refused("claims swapped", t, 401);
    free(t);
    free(other);

    /* unknown kid: the provider publishes no such key, even after the server fetched again */
    t = with_header(good, "{\"alg\":\"RS256\",\"typ\":\"at+jwt\",\"kid\":\"no-such-key\"}");
    assert_refused("unknown kid", t, 401);
    sleep_ms(1100);
    assert_refused("unknown kid after refresh", t, 401);
    free(t);

    /* alg none, with and without the signature */
    t = with_header(good, "{\"alg\":\"none\",\"typ\":\"at+jwt\"}");
    assert_refused("alg none", t, 401);
    *strrchr(t, '.') = '\0';
    strcat(t, ".");
    assert_refused("alg none, no signature", t, 401);
    free(t);

    /* HS256 signed with the provider's public key as the secret */
    char *pem = provider_rsa_pem();
    char *h = with_header(good, "{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}");
    *strrchr(h, '.') = '\0';
    unsigned char mac[32];
    unsigned maclen = 0;
    HMAC(EVP_sha256(), pem, (int)strlen(pem), (unsigned char *)h, strlen(h), mac, &maclen);
    char sig[64];
    b64url(mac, maclen, sig);
    t = malloc(strlen(h) + strlen(sig) + 2);
    sprintf(t, "%s.%s", h, sig);
    assert_refused("HMAC with the public key", t, 401);
    free(t);
    free(h);
    free(pem);

    /* what the provider issued, but not for this use */
    t = idp_token("other-audience");
    assert_refused("wrong audience", t, 401);
    free(t);
    t = idp_token("not-yet");
    assert_refused("not yet valid", t, 401);
    free(t);
    t = idp_token("intern");
    assert_refused("unmapped role", t, 403);
    free(t);
    t = idp_token("citizen-badcpr");
    assert_refused("citizen with an invalid CPR", t, 401);
    free(t);
    t = idp_token("short-lived"); /* 2 s */
    ck_assert_int_eq(call(t, "/v1/sources", NULL), 200);
    sleep_ms(3500);
    assert_refused("expired", t, 401);
    free(t);

    /* another issuer with the very same keys: the signature holds, the issuer does not */
    idp_start(&idp2);
    t = idp_token_at(&idp2, "caseworker-jobcentre");
    assert_refused("wrong issuer", t, 401);
    free(t);
    gpt_proc_stop(&idp2, SIGTERM);

    /* the other algorithms the provider signs with are accepted */
    t = idp_token("es256");
    ck_assert_int_eq(call(t, "/v1/sources", NULL), 200);
    free(t);
    t = idp_token("ps256");
    ck_assert_int_eq(call(t, "/v1/sources", NULL), 200);
    free(t);

    /* a person revoked here is refused whatever the provider says */
    char *aud = idp_token("analyst");
    ck_assert_int_eq(call(aud, "/v1/sources", NULL), 200);
    ck_assert_int_eq(gpt_db_exec(db, "UPDATE api_client SET revoked_at = now() "
                                     "WHERE subject = 'analyst'"),
                     1);
    assert_refused("revoked person", aud, 401);
    free(aud);
    free(good);
}
END_TEST

/* The provider's key set, as it publishes it: how many keys. */
static size_t published_keys(void)
{
    struct gpt_resp r;
    struct gpt_req q = {.path = "/jwks", .no_record = true};
    gpt_http(idp.port, &q, &r);
    json_t *doc = json_loads(r.body, 0, NULL);
    size_t n = json_array_size(json_object_get(doc, "keys"));
    json_decref(doc);
    gpt_resp_free(&r);
    return n;
}

static char *kid_of(const char *token)
{
    struct gp_jwt jwt;
    ck_assert_int_eq(gp_jwt_parse(token, &jwt), GP_JWT_OK);
    char *k = strdup(jwt.kid);
    gp_jwt_free(&jwt);
    return k;
}

/* Forged JWTs count against the address like unknown keys (issue 15's throttle): a client
 * cannot spray made-up tokens, and once throttled even a good token waits. */
START_TEST(forged_tokens_are_throttled)
{
    char iss_env[128];
    snprintf(iss_env, sizeof iss_env, "GLASPLADE_OIDC_ISSUER=%s", issuer);
    const char *extra[] = {iss_env,
                           "GLASPLADE_OIDC_AUDIENCE=urn:glasplade",
                           "GLASPLADE_OIDC_ROLE_MAP=" MAP,
                           "GLASPLADE_OIDC_CPR_CLAIM=cpr",
                           "GLASPLADE_AUTH_FAILURES=3",
                           "GLASPLADE_AUTH_THROTTLE_S=60",
                           NULL};
    struct gpt_proc other;
    gpt_server_start(&other, db, extra);
    char *good = idp_token("caseworker-jobcentre");
    char *forged = strdup(good);
    size_t n = strlen(forged);
    forged[n - 5] = forged[n - 5] == 'A' ? 'B' : 'A';
    for (int i = 0; i < 3; i++) {
        struct gpt_req q = {.path = "/v1/sources", .token = forged, .no_record = true};
        struct gpt_resp r;
        gpt_http(other.port, &q, &r);
        ck_assert_msg(r.status == 401, "forged token %d: %ld", i, r.status);
        gpt_resp_free(&r);
    }
    struct gpt_req q = {.path = "/v1/sources", .token = good, .no_record = true};
    struct gpt_resp r;
    gpt_http(other.port, &q, &r);
    ck_assert_msg(r.status == 429, "after three forged tokens: %ld %s", r.status, r.body);
    char retry[16];
    ck_assert_ptr_nonnull(gpt_header(&r, "Retry-After", retry, sizeof retry));
    gpt_resp_free(&r);
    /* the suite's own server, which counted nothing of it, still lets the good token in */
    ck_assert_int_eq(call(good, "/v1/sources", NULL), 200);
    gpt_proc_stop(&other, SIGTERM);
    free(forged);
    free(good);
}
END_TEST

START_TEST(key_rotation_does_not_interrupt)
{
    char *before = idp_token("caseworker-social");
    ck_assert_int_eq(call(before, "/v1/sources", NULL), 200);
    size_t n = published_keys();
    kill(idp.pid, SIGHUP); /* a new signing key; the old one stays published */
    for (int i = 0; i < 100 && published_keys() == n; i++)
        sleep_ms(50);
    ck_assert_uint_eq(published_keys(), n + 1);
    char *after = idp_token("caseworker-social");
    char *k1 = kid_of(before), *k2 = kid_of(after);
    ck_assert_str_ne(k1, k2);
    /* The server has never seen the new kid: it fetches the keys once and goes on. */
    ck_assert_int_eq(call(after, "/v1/sources", NULL), 200);
    ck_assert_int_eq(call(before, "/v1/sources", NULL), 200);
    /* The provider withdraws the old key; once the server fetches again, it is refused. */
    kill(idp.pid, SIGUSR2);
    for (int i = 0; i < 100 && published_keys() != n; i++)
        sleep_ms(50);
    ck_assert_uint_eq(published_keys(), n);
    sleep_ms(1100); /* GLASPLADE_OIDC_JWKS_MIN_REFRESH_S=1 */
    char *bogus = with_header(after, "{\"alg\":\"RS256\",\"kid\":\"rotated-away\"}");
    ck_assert_int_eq(call(bogus, "/v1/sources", NULL), 401); /* makes the server fetch */
    assert_refused("a withdrawn key", before, 401);
    ck_assert_int_eq(call(after, "/v1/sources", NULL), 200);
    free(bogus);
    free(k1);
    free(k2);
    free(before);
    free(after);
}
END_TEST

START_TEST(integration_keys_have_scopes_expiry_and_last_use)
{
    const char *args[] = {"token",   "create",          "--role",       "caseworker",
                          "--name",  "journal",         "--department", "job_centre",
                          "--scope", "GET /v1/sources", "--expires",    "30",
                          NULL};
    char env[600];
    snprintf(env, sizeof env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *e[] = {env, NULL};
    char *out = NULL;
    ck_assert_int_eq(gpt_glasplade(args, e, &out, NULL), 0);
    out[strcspn(out, "\n")] = '\0';
    ck_assert_int_eq(call(out, "/v1/sources", NULL), 200);
    struct gpt_resp r;
    ck_assert_int_eq(call(out, "/v1/citizens/1203849318/access-log", &r), 403);
    char h[256];
    ck_assert_ptr_nonnull(gpt_header(&r, "WWW-Authenticate", h, sizeof h));
    ck_assert_ptr_nonnull(strstr(h, "insufficient_scope"));
    gpt_resp_free(&r);
    /* token list shows it with its scope, expiry and last use */
    const char *list[] = {"token", "list", NULL};
    char *text = NULL;
    ck_assert_int_eq(gpt_glasplade(list, e, &text, NULL), 0);
    const char *line = strstr(text, "journal");
    ck_assert_ptr_nonnull(line);
    ck_assert_ptr_nonnull(strstr(line, "GET /v1/sources"));
    char *used = gpt_db_scalar(db, "SELECT (last_used_at IS NOT NULL AND expires_at > now() + "
                                   "interval '29 days')::text FROM api_client WHERE name = "
                                   "'journal'");
    ck_assert_str_eq(used, "true");
    free(used);
    /* Past its expiry it is refused. */
    ck_assert_int_eq(gpt_db_exec(db, "UPDATE api_client SET expires_at = now() - interval '1 "
                                     "second' WHERE name = 'journal'"),
                     1);
    ck_assert_int_eq(call(out, "/v1/sources", &r), 401);
    ck_assert_ptr_nonnull(gpt_header(&r, "WWW-Authenticate", h, sizeof h));
    ck_assert_ptr_nonnull(strstr(h, "invalid_token"));
    gpt_resp_free(&r);
    free(text);
    free(out);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("identity");
    TCase *tc = tcase_create("identity");
    tcase_set_timeout(tc, 180);
    tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
    tcase_add_test(tc, caseworker_presses_and_citizen_sees_who);
    tcase_add_test(tc, bad_tokens_are_refused);
    tcase_add_test(tc, forged_tokens_are_throttled);
    tcase_add_test(tc, key_rotation_does_not_interrupt);
    tcase_add_test(tc, integration_keys_have_scopes_expiry_and_last_use);
    suite_add_tcase(s, tc);
    return gpt_run_suite(s);
}
