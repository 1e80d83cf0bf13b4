#include "lib/federation/jwks.h"

#include "lib/core/alloc.h"
#include "lib/core/log.h"
#include "lib/federation/http_get.h"

#include <jansson.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DOC_BYTES (1024 * 1024)

struct gp_jwks {
    char *issuer;
    char *jwks_file;
    int min_refresh_s;
    int max_age_s;
    long timeout_ms;
    bool curl_ok; /* gp_http_global_init succeeded: clean up once */

    pthread_mutex_t mu; /* guards the fields below; never held across a fetch */
    struct gp_jwk_set *set;
    time_t fetched_at;   /* last fetch that succeeded */
    time_t attempted_at; /* last fetch, whatever came of it; 0: never */
    unsigned long n_ok, n_failed;

    pthread_mutex_t fetch_mu; /* one fetch at a time */
};

struct gp_jwks *gp_jwks_create(const struct gp_jwks_opts *o)
{
    struct gp_jwks *c = gp_xcalloc(1, sizeof *c);
    c->issuer = o->issuer ? gp_xstrdup(o->issuer) : NULL;
    c->jwks_file = o->jwks_file && *o->jwks_file ? gp_xstrdup(o->jwks_file) : NULL;
    c->min_refresh_s = o->min_refresh_s;
    c->max_age_s = o->max_age_s;
    c->timeout_ms = o->timeout_ms > 0 ? o->timeout_ms : 3000;
    pthread_mutex_init(&c->mu, NULL);
    pthread_mutex_init(&c->fetch_mu, NULL);
    c->curl_ok = gp_http_global_init();
    return c;
}

void gp_jwks_destroy(struct gp_jwks *c)
{
    if (!c)
        return;
    gp_jwk_set_unref(c->set);
    if (c->curl_ok)
        gp_http_global_cleanup();
    pthread_mutex_destroy(&c->mu);
    pthread_mutex_destroy(&c->fetch_mu);
    free(c->issuer);
    free(c->jwks_file);
    free(c);
}

/* One GET of url into *body (malloc'd, NUL-terminated). */
static bool http_get(const struct gp_jwks *c, const char *url, char **body, char *err,
                     size_t errlen)
{
    struct gp_http_get g = {0};
    struct gp_http_get_opts o = {.url = url,
                                 .accept = "application/json",
                                 .user_agent = "glasplade-jwks",
                                 .limit_ms = c->timeout_ms,
                                 .max_body = MAX_DOC_BYTES,
                                 .terms = {.timeout_ms = c->timeout_ms}};
    bool ok = false;
    if (!gp_http_get_setup(&g, NULL, &o)) {
        snprintf(err, errlen, "%s: %s", url, g.error);
    } else if (gp_http_get_perform(&g) != GP_FETCH_OK) {
        snprintf(err, errlen, "%s: %s", url, g.error[0] ? g.error : "failed");
    } else {
        *body = gp_xstrndup(g.body.data ? g.body.data : "", g.body.len);
        ok = true;
    }
    gp_http_get_free(&g);
    return ok;
}

static char *read_file(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open %s", path);
        return NULL;
    }
    char *buf = gp_xmalloc(MAX_DOC_BYTES + 1);
    size_t n = fread(buf, 1, MAX_DOC_BYTES + 1, f);
    fclose(f);
    if (n > MAX_DOC_BYTES) {
        snprintf(err, errlen, "%s is larger than %d bytes", path, MAX_DOC_BYTES);
        free(buf);
        return NULL;
    }
    buf[n] = '\0';
    return buf;
}

/* Fetches the key set: from the file, or discovery then jwks_uri. */
static struct gp_jwk_set *fetch(const struct gp_jwks *c, char *err, size_t errlen)
{
    char *text = NULL;
    if (c->jwks_file) {
        text = read_file(c->jwks_file, err, errlen);
    } else {
        char url[1024];
        snprintf(url, sizeof url, "%s%s.well-known/openid-configuration", c->issuer,
                 c->issuer[strlen(c->issuer) - 1] == '/' ? "" : "/");
        char *disco = NULL;
        if (!http_get(c, url, &disco, err, errlen))
            return NULL;
        json_t *d = json_loads(disco, 0, NULL);
        free(disco);
        const char *iss = json_string_value(json_object_get(d, "issuer"));
        const char *uri = json_string_value(json_object_get(d, "jwks_uri"));
        /* OpenID Connect Discovery 1.0, section 4.3: the document must name the issuer it was
         * fetched for, or it is not that issuer's. */
        if (!iss || strcmp(iss, c->issuer)) {
            snprintf(err, errlen, "%.200s names issuer '%.200s', not the configured one", url,
                     iss ? iss : "(none)");
        } else if (!uri || (strncmp(uri, "https://", 8) && strncmp(uri, "http://", 7))) {
            snprintf(err, errlen, "%.200s has no usable jwks_uri", url);
        } else {
            char *u = gp_xstrdup(uri);
            if (!http_get(c, u, &text, err, errlen))
                text = NULL;
            free(u);
        }
        json_decref(d);
    }
    if (!text)
        return NULL;
    struct gp_jwk_set *set = NULL;
    size_t skipped = 0;
    char why[256];
    if (!gp_jwk_set_parse(text, strlen(text), &set, &skipped, why, sizeof why))
        snprintf(err, errlen, "%s: %s", c->jwks_file ? c->jwks_file : "jwks_uri", why);
    else if (skipped)
        GP_LOG_INFO("identity provider keys: %zu usable, %zu skipped (not RS256/PS256/ES256 "
                    "signing keys)",
                    set->n, skipped);
    free(text);
    return set;
}

/* Fetches unless someone else did so since `since` (then their result stands); installs a new
 * set. Called without mu held. */
static void refresh(struct gp_jwks *c, time_t now, time_t since, bool *refreshed)
{
    pthread_mutex_lock(&c->fetch_mu);
    pthread_mutex_lock(&c->mu);
    bool done_meanwhile = c->attempted_at > since;
    pthread_mutex_unlock(&c->mu);
    if (!done_meanwhile) {
        char err[1024] = "";
        struct gp_jwk_set *set = fetch(c, err, sizeof err);
        pthread_mutex_lock(&c->mu);
        c->attempted_at = now > c->attempted_at ? now : c->attempted_at + 1;
        if (set) {
            gp_jwk_set_unref(c->set);
            c->set = set;
            c->fetched_at = now;
            c->n_ok++;
        } else {
            c->n_failed++;
        }
        size_t n = c->set ? c->set->n : 0;
        pthread_mutex_unlock(&c->mu);
        if (set)
            GP_LOG_INFO("identity provider keys fetched: %zu keys", n);
        else
            GP_LOG_WARN("identity provider keys could not be fetched (keeping %zu): %s", n, err);
        if (refreshed)
            *refreshed = true;
    }
    pthread_mutex_unlock(&c->fetch_mu);
}

bool gp_jwks_prefetch(struct gp_jwks *c, char *err, size_t errlen)
{
    time_t now = time(NULL);
    pthread_mutex_lock(&c->mu);
    time_t since = c->attempted_at;
    pthread_mutex_unlock(&c->mu);
    refresh(c, now, since, NULL);
    pthread_mutex_lock(&c->mu);
    bool ok = c->set != NULL;
    pthread_mutex_unlock(&c->mu);
    if (!ok)
        snprintf(err, errlen, "no signing keys from the identity provider yet");
    return ok;
}

struct gp_jwk_set *gp_jwks_get(struct gp_jwks *c, const char *kid, const char *alg, time_t now,
                               bool *refreshed)
{
    if (refreshed)
        *refreshed = false;
    pthread_mutex_lock(&c->mu);
    bool have = c->set && gp_jwk_set_find(c->set, kid, alg);
    bool stale = !c->set || now - c->fetched_at >= c->max_age_s;
    bool may = !c->attempted_at || now - c->attempted_at >= c->min_refresh_s;
    time_t since = c->attempted_at;
    pthread_mutex_unlock(&c->mu);
    if ((!have || stale) && may)
        refresh(c, now, since, refreshed);
    pthread_mutex_lock(&c->mu);
    struct gp_jwk_set *set = gp_jwk_set_ref(c->set);
    pthread_mutex_unlock(&c->mu);
    return set;
}

void gp_jwks_counts(struct gp_jwks *c, unsigned long *ok, unsigned long *failed)
{
    pthread_mutex_lock(&c->mu);
    *ok = c->n_ok;
    *failed = c->n_failed;
    pthread_mutex_unlock(&c->mu);
}
