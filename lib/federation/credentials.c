/* A source's credentials: lib/federation/credentials.h. */
#include "lib/federation/credentials.h"

#include "lib/core/cpr.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

const char *gp_auth_kind_name(enum gp_auth_kind k)
{
    switch (k) {
    case GP_AUTH_BEARER:
        return "bearer";
    case GP_AUTH_BASIC:
        return "basic";
    case GP_AUTH_OAUTH2_CC:
        return "oauth2_client_credentials";
    case GP_AUTH_MTLS:
        return "mtls";
    case GP_AUTH_NONE:
        break;
    }
    return "none";
}

bool gp_auth_kind_parse(const char *s, enum gp_auth_kind *out)
{
    static const enum gp_auth_kind all[] = {GP_AUTH_NONE, GP_AUTH_BEARER, GP_AUTH_BASIC,
                                            GP_AUTH_OAUTH2_CC, GP_AUTH_MTLS};
    for (size_t i = 0; s && i < sizeof all / sizeof all[0]; i++) {
        if (!strcmp(s, gp_auth_kind_name(all[i]))) {
            *out = all[i];
            return true;
        }
    }
    return false;
}

static bool has_control(const char *s)
{
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        if (*p < 0x20 || *p == 0x7f)
            return true;
    }
    return false;
}

bool gp_secret_ref_ok(const char *ref)
{
    if (!ref || has_control(ref))
        return false;
    if (!strncmp(ref, "file:/", 6))
        return ref[6] != '\0';
    if (strncmp(ref, "env:", 4) != 0 || !ref[4] || (ref[4] >= '0' && ref[4] <= '9'))
        return false;
    for (const char *p = ref + 4; *p; p++) {
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return false;
    }
    return true;
}

static bool fail(char *err, size_t errlen, const char *msg)
{
    snprintf(err, errlen, "%s", msg);
    return false;
}

static bool http_url(const char *u)
{
    return !strncmp(u, "http://", 7) || !strncmp(u, "https://", 8);
}

bool gp_source_auth_check(const struct gp_source_auth *a, char *err, size_t errlen)
{
    if (a->secret[0] && !gp_secret_ref_ok(a->secret))
        return fail(err, errlen,
                    "a secret is referenced, never given: file:/absolute/path or env:NAME");
    if (has_control(a->username) || has_control(a->scope) || has_control(a->token_url))
        return fail(err, errlen, "credentials must not contain control characters");
    if ((a->cert_file[0] != '\0') != (a->key_file[0] != '\0'))
        return fail(err, errlen, "a client certificate needs its key, and a key its certificate");
    const char *files[] = {a->cert_file, a->key_file, a->ca_file};
    for (size_t i = 0; i < 3; i++) {
        if (files[i][0] && (files[i][0] != '/' || has_control(files[i])))
            return fail(err, errlen, "certificate, key and CA files are absolute paths");
    }
    switch (a->kind) {
    case GP_AUTH_NONE:
        if (a->secret[0] || a->username[0] || a->token_url[0])
            return fail(err, errlen, "--auth none takes no secret, user or token URL");
        return true;
    case GP_AUTH_BEARER:
        return a->secret[0] ? true : fail(err, errlen, "--auth bearer needs --secret");
    case GP_AUTH_BASIC:
        return a->secret[0] && a->username[0]
                   ? true
                   : fail(err, errlen, "--auth basic needs --user and --secret");
    case GP_AUTH_OAUTH2_CC:
        if (!a->secret[0] || !a->username[0] || !a->token_url[0])
            return fail(err, errlen,
                        "--auth oauth2_client_credentials needs --client-id, --secret and "
                        "--token-url");
        if (!http_url(a->token_url) || strchr(a->token_url, '@'))
            return fail(err, errlen, "--token-url must be an http(s) URL without user information");
        return true;
    case GP_AUTH_MTLS:
        if (a->secret[0])
            return fail(err, errlen, "--auth mtls takes no secret (the key file is the secret)");
        return a->cert_file[0] ? true : fail(err, errlen, "--auth mtls needs --cert and --key");
    }
    return fail(err, errlen, "unknown kind of credentials");
}

bool gp_secret_read(const char *ref, char *out, size_t len, char *err, size_t errlen)
{
    out[0] = '\0';
    if (!gp_secret_ref_ok(ref)) {
        snprintf(err, errlen, "credentials: the secret reference is not file:/path or env:NAME");
        return false;
    }
    size_t n = 0;
    if (!strncmp(ref, "env:", 4)) {
        const char *v = getenv(ref + 4);
        if (!v || !*v) {
            snprintf(err, errlen, "credentials: environment variable %s is not set", ref + 4);
            return false;
        }
        n = strlen(v);
        if (n >= len) {
            snprintf(err, errlen, "credentials: the secret in %s is too long", ref + 4);
            return false;
        }
        memcpy(out, v, n + 1);
    } else {
        const char *path = ref + 5;
        int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
        if (fd < 0) {
            snprintf(err, errlen, "credentials: cannot read %s: %s", path, strerror(errno));
            return false;
        }
        ssize_t r;
        while (n + 1 < len && (r = read(fd, out + n, len - 1 - n)) > 0)
            n += (size_t)r;
        char extra;
        bool more = n + 1 >= len && read(fd, &extra, 1) > 0;
        close(fd);
        out[n] = '\0';
        if (more) {
            explicit_bzero(out, len);
            snprintf(err, errlen, "credentials: the secret in %s is too long", path);
            return false;
        }
    }
    while (n > 0 && (out[n - 1] == '\n' || out[n - 1] == '\r'))
        out[--n] = '\0';
    if (n == 0 || memchr(out, '\n', n) || memchr(out, '\r', n)) {
        explicit_bzero(out, len);
        snprintf(err, errlen, "credentials: the secret at %s is empty or more than one line", ref);
        return false;
    }
    return true;
}

/* ---- OAuth 2.0 ------------------------------------------------------------------------- */

/* Appends s form-encoded (application/x-www-form-urlencoded). */
static bool form_enc(char *out, size_t len, size_t *o, const char *s)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool keep = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '*';
        if (*o + 4 > len)
            return false;
        if (keep) {
            out[(*o)++] = (char)*p;
        } else if (*p == ' ') {
            out[(*o)++] = '+';
        } else {
            out[(*o)++] = '%';
            out[(*o)++] = hex[*p >> 4];
            out[(*o)++] = hex[*p & 15];
        }
    }
    out[*o] = '\0';
    return true;
}

bool gp_oauth2_form(const struct gp_source_auth *a, char *out, size_t len)
{
    int n = snprintf(out, len, "grant_type=client_credentials");
    if (n < 0 || (size_t)n >= len)
        return false;
    size_t o = (size_t)n;
    if (!a->scope[0])
        return true;
    if (o + 7 >= len)
        return false;
    memcpy(out + o, "&scope=", 8);
    o += 7;
    return form_enc(out, len, &o, a->scope);
}

bool gp_oauth2_parse(long http_status, const char *body, size_t len, char *token, size_t tlen,
                     long *expires_in_s, char *err, size_t errlen)
{
    token[0] = '\0';
    json_t *root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
    bool ok = false;
    if (http_status < 200 || http_status >= 300) {
        const char *e = json_string_value(json_object_get(root, "error"));
        const char *d = json_string_value(json_object_get(root, "error_description"));
        snprintf(err, errlen, "the token endpoint answered HTTP %ld%s%.80s%s%.120s", http_status,
                 e ? ": " : "", e ? e : "", d ? " (" : "", d ? d : "");
        if (d)
            snprintf(err + strlen(err), errlen - strlen(err), ")");
        gp_cpr_mask_in_place(err);
        goto done;
    }
    if (!json_is_object(root)) {
        snprintf(err, errlen, "the token endpoint's answer is not a JSON object");
        goto done;
    }
    const char *t = json_string_value(json_object_get(root, "access_token"));
    const char *type = json_string_value(json_object_get(root, "token_type"));
    json_t *exp = json_object_get(root, "expires_in");
    if (!t || !*t) {
        snprintf(err, errlen, "the token endpoint's answer has no access_token");
        goto done;
    }
    if (type && strcasecmp(type, "Bearer") != 0) {
        snprintf(err, errlen, "the token endpoint issued a token of type '%.40s', not Bearer",
                 type);
        goto done;
    }
    if (strlen(t) >= tlen || strlen(t) >= GP_OAUTH2_MAX_TOKEN || has_control(t) ||
        strpbrk(t, " ")) {
        snprintf(err, errlen, "the token endpoint's access_token is too long or not one word");
        goto done;
    }
    long expires = 300;
    if (json_is_integer(exp) && json_integer_value(exp) > 0)
        expires =
            (long)(json_integer_value(exp) > 86400 * 30 ? 86400 * 30 : json_integer_value(exp));
    else if (json_is_string(exp) && atol(json_string_value(exp)) > 0)
        expires = atol(json_string_value(exp)); /* some servers send a string */
    snprintf(token, tlen, "%s", t);
    *expires_in_s = expires;
    ok = true;
done:
    json_decref(root);
    return ok;
}

#define CACHE_SLOTS 64

struct cached {
    unsigned char key[32]; /* SHA-256 of token URL, client id, scope and secret */
    char *token;
    double got_at, expires_at;
    bool used;
};

static pthread_mutex_t cache_lock = PTHREAD_MUTEX_INITIALIZER;
static struct cached cache[CACHE_SLOTS];
static atomic_ulong token_requests;

static void cache_key(const struct gp_source_auth *a, const char *secret, unsigned char out[32])
{
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    EVP_DigestInit_ex(md, EVP_sha256(), NULL);
    const char *parts[] = {a->token_url, a->username, a->scope, secret ? secret : ""};
    for (size_t i = 0; i < 4; i++)
        EVP_DigestUpdate(md, parts[i], strlen(parts[i]) + 1); /* the NUL separates */
    unsigned int n = 32;
    EVP_DigestFinal_ex(md, out, &n);
    EVP_MD_CTX_free(md);
}

static struct cached *cache_find(const unsigned char key[32])
{
    for (size_t i = 0; i < CACHE_SLOTS; i++) {
        if (cache[i].used && !memcmp(cache[i].key, key, 32))
            return &cache[i];
    }
    return NULL;
}

bool gp_oauth2_cache_get(const struct gp_source_auth *a, const char *secret, double now_s,
                         char *token, size_t len)
{
    unsigned char key[32];
    cache_key(a, secret, key);
    bool ok = false;
    pthread_mutex_lock(&cache_lock);
    struct cached *c = cache_find(key);
    if (c) {
        double life = c->expires_at - c->got_at;
        double margin = life / 10 < 30 ? life / 10 : 30;
        if (now_s < c->expires_at - margin && strlen(c->token) < len) {
            memcpy(token, c->token, strlen(c->token) + 1);
            ok = true;
        }
    }
    pthread_mutex_unlock(&cache_lock);
    return ok;
}

void gp_oauth2_cache_put(const struct gp_source_auth *a, const char *secret, double now_s,
                         const char *token, long expires_in_s)
{
    unsigned char key[32];
    cache_key(a, secret, key);
    char *copy = strdup(token);
    if (!copy)
        return; /* not cached: the next request fetches one */
    pthread_mutex_lock(&cache_lock);
    struct cached *c = cache_find(key);
    for (size_t i = 0; !c && i < CACHE_SLOTS; i++) {
        if (!cache[i].used)
            c = &cache[i];
    }
    if (!c) { /* full: replace the one that expires first */
        c = &cache[0];
        for (size_t i = 1; i < CACHE_SLOTS; i++) {
            if (cache[i].expires_at < c->expires_at)
                c = &cache[i];
        }
    }
    if (c->token) {
        explicit_bzero(c->token, strlen(c->token));
        free(c->token);
    }
    memcpy(c->key, key, 32);
    c->token = copy;
    c->got_at = now_s;
    c->expires_at = now_s + (double)expires_in_s;
    c->used = true;
    pthread_mutex_unlock(&cache_lock);
}

void gp_oauth2_cache_forget(const struct gp_source_auth *a, const char *secret, const char *token)
{
    unsigned char key[32];
    cache_key(a, secret, key);
    pthread_mutex_lock(&cache_lock);
    struct cached *c = cache_find(key);
    if (c && token && !strcmp(c->token, token)) {
        explicit_bzero(c->token, strlen(c->token));
        free(c->token);
        memset(c, 0, sizeof *c);
    }
    pthread_mutex_unlock(&cache_lock);
}

unsigned long gp_oauth2_requests(void)
{
    return atomic_load(&token_requests);
}

void gp_oauth2_count_request(void)
{
    atomic_fetch_add(&token_requests, 1);
}
