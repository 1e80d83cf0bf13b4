/* One HTTP GET on one easy handle (contract in lib/federation/http_get.h). */
#include "lib/federation/http_get.h"

#include "lib/core/cpr.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

/* ---- how a transfer ended (pure) ---------------------------------------------------------- */

enum gp_fetch_status gp_http_classify(const struct gp_transfer_end *t, char *err, size_t err_len)
{
    const char *detail = t->detail && t->detail[0] ? t->detail : NULL;
    err[0] = '\0';
    switch (t->code) {
    case CURLE_OK:
        if (t->http_status >= 200 && t->http_status < 300)
            return GP_FETCH_OK;
        if (t->http_status == 404 && t->not_found_is_answer)
            return GP_FETCH_OK;
        if (t->http_status == 401 && t->challenge && t->challenge[0])
            snprintf(err, err_len, "HTTP 401 (WWW-Authenticate: %.180s)", t->challenge);
        else
            snprintf(err, err_len, "HTTP %ld", t->http_status);
        return GP_FETCH_ERROR;
    case CURLE_OPERATION_TIMEDOUT:
        /* Say which limit struck: the caller's deadline or the source's own timeout. */
        if (t->deadline_bound)
            snprintf(err, err_len, "deadline passed after %d ms", t->deadline_ms);
        else
            snprintf(err, err_len, "timed out after %ld ms", t->timeout_ms);
        return GP_FETCH_TIMEOUT;
    case CURLE_COULDNT_CONNECT:
        if (t->os_errno == ECONNREFUSED)
            snprintf(err, err_len, "connection refused");
        else
            snprintf(err, err_len, "could not connect: %s",
                     detail ? detail : curl_easy_strerror(t->code));
        return GP_FETCH_UNAVAILABLE;
    case CURLE_COULDNT_RESOLVE_HOST:
        snprintf(err, err_len, "could not resolve host");
        return GP_FETCH_UNAVAILABLE;
    case CURLE_FILESIZE_EXCEEDED: /* libcurl saw a Content-Length over the limit */
        snprintf(err, err_len, "response too large (over %zu bytes)", t->max_body_bytes);
        return GP_FETCH_ERROR;
    case CURLE_WRITE_ERROR:
        if (t->too_large) {
            snprintf(err, err_len, "response too large (over %zu bytes)", t->max_body_bytes);
            return GP_FETCH_ERROR;
        }
        break;
    default:
        break;
    }
    if (detail)
        snprintf(err, err_len, "%s: %s", curl_easy_strerror(t->code), detail);
    else
        snprintf(err, err_len, "%s", curl_easy_strerror(t->code));
    return GP_FETCH_ERROR;
}

/* ---- libcurl's callbacks ------------------------------------------------------------------ */

static size_t on_body(char *data, size_t size, size_t nmemb, void *cls)
{
    struct gp_http_get *g = cls;
    size_t n = size * nmemb;
    if (n > g->max_body - g->body.len) {
        /* Returning less than n makes libcurl stop with CURLE_WRITE_ERROR: a runaway source
         * costs us at most max_body bytes. */
        g->too_large = true;
        return 0;
    }
    gp_buf_append(&g->body, data, n);
    return n;
}

/* Keeps a 401's WWW-Authenticate challenge (the last one, trimmed). Header lines arrive one
 * at a time, for every response of the transfer. */
static size_t on_header(char *data, size_t size, size_t nmemb, void *cls)
{
    struct gp_http_get *g = cls;
    size_t n = size * nmemb;
    static const char name[] = "www-authenticate:";
    if (n > sizeof name - 1 && !strncasecmp(data, name, sizeof name - 1)) {
        const char *v = data + sizeof name - 1;
        size_t len = n - (sizeof name - 1);
        while (len && (*v == ' ' || *v == '\t')) {
            v++;
            len--;
        }
        while (len && (v[len - 1] == '\r' || v[len - 1] == '\n' || v[len - 1] == ' '))
            len--;
        if (len >= sizeof g->challenge)
            len = sizeof g->challenge - 1;
        memcpy(g->challenge, v, len);
        g->challenge[len] = '\0';
        for (size_t i = 0; i < len; i++) {
            if ((unsigned char)g->challenge[i] < 0x20)
                g->challenge[i] = ' ';
        }
    }
    return n;
}

/* Cuts a transfer short once the caller's cancel flag is set. */
static int on_progress(void *cls, curl_off_t dltotal, curl_off_t dlnow, curl_off_t ultotal,
                       curl_off_t ulnow)
{
    (void)dltotal, (void)dlnow, (void)ultotal, (void)ulnow;
    const struct gp_http_get *g = cls;
    return atomic_load(g->cancel) ? 1 : 0;
}

/* ---- the getter --------------------------------------------------------------------------- */

bool gp_http_global_init(void)
{
    return curl_global_init(CURL_GLOBAL_DEFAULT) == CURLE_OK;
}

void gp_http_global_cleanup(void)
{
    curl_global_cleanup();
}

bool gp_http_header_value_ok(const char *v)
{
    return !strpbrk(v, "\r\n");
}

/* Clears what the last transfer left. */
static void clear(struct gp_http_get *g)
{
    g->body.len = 0;
    g->too_large = false;
    g->errbuf[0] = '\0';
    g->status = GP_FETCH_ERROR;
    g->http_status = 0;
    g->answered = false;
    g->content_type[0] = '\0';
    g->challenge[0] = '\0';
    g->error[0] = '\0';
}

/* The header list: Accept, Prefer and, when bearer is not NULL, the bearer token. */
static bool build_headers(struct gp_http_get *g, const char *bearer)
{
    curl_slist_free_all(g->headers);
    g->headers = NULL;
    const char *lines[2] = {g->accept_line, g->prefer_line};
    for (size_t i = 0; i < 2; i++) {
        if (!lines[i][0])
            continue;
        struct curl_slist *l = curl_slist_append(g->headers, lines[i]);
        if (!l)
            return false;
        g->headers = l;
    }
    if (bearer) {
        if (!bearer[0] || !gp_http_header_value_ok(bearer))
            return false;
        size_t n = strlen(bearer) + 32;
        char *line = malloc(n);
        if (!line)
            return false;
        snprintf(line, n, "Authorization: Bearer %s", bearer);
        struct curl_slist *l = curl_slist_append(g->headers, line);
        explicit_bzero(line, n);
        free(line);
        if (!l)
            return false;
        g->headers = l;
    }
    if (g->easy)
        curl_easy_setopt(g->easy, CURLOPT_HTTPHEADER, g->headers);
    return true;
}

bool gp_http_get_bearer(struct gp_http_get *g, const char *token)
{
    return build_headers(g, token);
}

/* The credentials of a (see credentials.h) on the handle: headers rebuilt with a bearer token,
 * or HTTP Basic, and the client certificate and CA bundle. False with the reason in g->error. */
static bool apply_auth(struct gp_http_get *g, const struct gp_source_auth *a,
                       const char *oauth2_token)
{
    CURL *e = g->easy;
    char secret[GP_OAUTH2_MAX_TOKEN];
    bool ok = true;
    secret[0] = '\0';
    if (a->cert_file[0]) {
        curl_easy_setopt(e, CURLOPT_SSLCERT, a->cert_file);
        curl_easy_setopt(e, CURLOPT_SSLKEY, a->key_file);
    }
    if (a->ca_file[0])
        curl_easy_setopt(e, CURLOPT_CAINFO, a->ca_file);
    switch (a->kind) {
    case GP_AUTH_BEARER:
        ok = gp_secret_read(a->secret, secret, sizeof secret, g->error, sizeof g->error);
        if (ok && !build_headers(g, secret)) {
            snprintf(g->error, sizeof g->error, "credentials: the bearer token is not one line");
            ok = false;
        }
        break;
    case GP_AUTH_OAUTH2_CC:
        if (!oauth2_token || !build_headers(g, oauth2_token)) {
            snprintf(g->error, sizeof g->error, "credentials: no usable OAuth 2.0 access token");
            ok = false;
        }
        break;
    case GP_AUTH_BASIC:
        ok = gp_secret_read(a->secret, secret, sizeof secret, g->error, sizeof g->error);
        if (ok) {
            curl_easy_setopt(e, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
            curl_easy_setopt(e, CURLOPT_USERNAME, a->username);
            curl_easy_setopt(e, CURLOPT_PASSWORD, secret);
        }
        break;
    case GP_AUTH_NONE:
    case GP_AUTH_MTLS:
        break;
    }
    explicit_bzero(secret, sizeof secret);
    return ok;
}

bool gp_http_get_setup(struct gp_http_get *g, CURL *easy, const struct gp_http_get_opts *o)
{
    g->easy = easy ? easy : curl_easy_init();
    g->terms = o->terms;
    g->max_body = o->max_body;
    g->cancel = o->cancel;
    g->headers = NULL;
    clear(g);
    if (!g->easy) {
        snprintf(g->error, sizeof g->error, "could not create a transfer");
        return false;
    }
    g->accept_line[0] = g->prefer_line[0] = '\0';
    if (o->accept && o->accept[0]) {
        if (!gp_http_header_value_ok(o->accept) || strlen(o->accept) > 180) {
            snprintf(g->error, sizeof g->error, "invalid Accept header value");
            return false;
        }
        snprintf(g->accept_line, sizeof g->accept_line, "Accept: %s", o->accept);
    }
    if (o->prefer && o->prefer[0]) {
        if (!gp_http_header_value_ok(o->prefer) || strlen(o->prefer) > 80) {
            snprintf(g->error, sizeof g->error, "invalid Prefer header value");
            return false;
        }
        snprintf(g->prefer_line, sizeof g->prefer_line, "Prefer: %s", o->prefer);
    }
    if (!build_headers(g, NULL)) {
        snprintf(g->error, sizeof g->error, "could not create a transfer");
        return false;
    }
    CURL *e = g->easy;
    curl_easy_setopt(e, CURLOPT_URL, o->url);
    if (o->private_data)
        curl_easy_setopt(e, CURLOPT_PRIVATE, o->private_data);
    curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
    curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L); /* no SIGALRM games in a threaded program */
    curl_easy_setopt(e, CURLOPT_NOPROXY, "*"); /* department systems are reached directly */
    curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
    curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, o->limit_ms);
    curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, o->limit_ms);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPALIVE, 1L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPIDLE, 30L);
    curl_easy_setopt(e, CURLOPT_TCP_KEEPINTVL, 10L);
    curl_easy_setopt(e, CURLOPT_USERAGENT, o->user_agent);
    curl_easy_setopt(e, CURLOPT_ERRORBUFFER, g->errbuf);
    /* A declared Content-Length over the limit fails before the body arrives; the write
     * callback catches the rest (chunked or lying sources). */
    curl_easy_setopt(e, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)o->max_body);
    curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(e, CURLOPT_WRITEDATA, g);
    curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(e, CURLOPT_HEADERDATA, g);
    if (g->headers)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, g->headers);
    if (o->auth && !apply_auth(g, o->auth, o->oauth2_token))
        return false;
    if (o->cancel) {
        curl_easy_setopt(e, CURLOPT_NOPROGRESS, 0L);
        curl_easy_setopt(e, CURLOPT_XFERINFOFUNCTION, on_progress);
        curl_easy_setopt(e, CURLOPT_XFERINFODATA, g);
    }
    return true;
}

void gp_http_get_url(struct gp_http_get *g, const char *url, long limit_ms, size_t max_body)
{
    clear(g);
    g->max_body = max_body;
    curl_easy_setopt(g->easy, CURLOPT_URL, url);
    curl_easy_setopt(g->easy, CURLOPT_TIMEOUT_MS, limit_ms);
    curl_easy_setopt(g->easy, CURLOPT_CONNECTTIMEOUT_MS, limit_ms);
    curl_easy_setopt(g->easy, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)max_body);
}

enum gp_fetch_status gp_http_get_end(struct gp_http_get *g, CURLcode code)
{
    if (code == CURLE_FILESIZE_EXCEEDED)
        g->too_large = true;
    struct gp_transfer_end t = {
        .code = code,
        .too_large = g->too_large,
        .max_body_bytes = g->terms.body_limit ? g->terms.body_limit : g->max_body,
        .deadline_bound = g->terms.deadline_bound,
        .timeout_ms = g->terms.timeout_ms,
        .deadline_ms = g->terms.deadline_ms,
        .detail = g->errbuf,
        .challenge = g->challenge,
        .not_found_is_answer = g->terms.not_found_is_answer,
    };
    char *ct = NULL;
    curl_easy_getinfo(g->easy, CURLINFO_RESPONSE_CODE, &t.http_status);
    curl_easy_getinfo(g->easy, CURLINFO_OS_ERRNO, &t.os_errno);
    curl_easy_getinfo(g->easy, CURLINFO_CONTENT_TYPE, &ct);
    g->status = gp_http_classify(&t, g->error, sizeof g->error);
    gp_cpr_mask_in_place(g->error);
    g->http_status = t.http_status;
    g->answered = code == CURLE_OK;
    snprintf(g->content_type, sizeof g->content_type, "%s", ct ? ct : "");
    if (g->status == GP_FETCH_OK)
        gp_buf_append(&g->body, "", 0); /* data is a string even when the body is empty */
    return g->status;
}

enum gp_fetch_status gp_http_get_perform(struct gp_http_get *g)
{
    return gp_http_get_end(g, curl_easy_perform(g->easy));
}

CURL *gp_http_get_release(struct gp_http_get *g)
{
    CURL *easy = g->easy;
    curl_slist_free_all(g->headers);
    gp_buf_free(&g->body);
    memset(g, 0, sizeof *g);
    return easy;
}

void gp_http_get_free(struct gp_http_get *g)
{
    CURL *easy = gp_http_get_release(g);
    if (easy)
        curl_easy_cleanup(easy);
}

/* ---- OAuth 2.0 token requests --------------------------------------------------------------- */

static double mono_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* s form-encoded (RFC 6749 2.3.1: the client id and secret are form-encoded before Basic). */
static bool form_encode(const char *s, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        bool keep = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '*';
        if (o + 4 > len)
            return false;
        if (keep) {
            out[o++] = (char)*p;
        } else if (*p == ' ') {
            out[o++] = '+';
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    if (o >= len)
        return false;
    out[o] = '\0';
    return true;
}

bool gp_http_token_setup(struct gp_http_get *g, CURL *easy, const struct gp_source_auth *a,
                         long limit_ms, void *private_data)
{
    /* The token endpoint sees the client's certificate (some require it), never a bearer. */
    struct gp_source_auth certs = {.kind = GP_AUTH_NONE};
    memcpy(certs.cert_file, a->cert_file, sizeof certs.cert_file);
    memcpy(certs.key_file, a->key_file, sizeof certs.key_file);
    memcpy(certs.ca_file, a->ca_file, sizeof certs.ca_file);
    struct gp_http_get_opts o = {.url = a->token_url,
                                 .accept = "application/json",
                                 .user_agent = "glasplade",
                                 .auth = &certs,
                                 .limit_ms = limit_ms,
                                 .max_body = 65536,
                                 .private_data = private_data,
                                 .terms = {.timeout_ms = limit_ms}};
    if (!gp_http_get_setup(g, easy, &o))
        return false;
    char secret[1024], id_enc[400], secret_enc[3100], form[1024];
    bool ok = gp_secret_read(a->secret, secret, sizeof secret, g->error, sizeof g->error);
    if (ok && (!form_encode(a->username, id_enc, sizeof id_enc) ||
               !form_encode(secret, secret_enc, sizeof secret_enc) ||
               !gp_oauth2_form(a, form, sizeof form))) {
        snprintf(g->error, sizeof g->error,
                 "credentials: the client id, secret or scope is too long");
        ok = false;
    }
    if (ok) {
        curl_easy_setopt(g->easy, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(g->easy, CURLOPT_USERNAME, id_enc);
        curl_easy_setopt(g->easy, CURLOPT_PASSWORD, secret_enc);
        curl_easy_setopt(g->easy, CURLOPT_COPYPOSTFIELDS, form); /* a POST from here on */
        gp_oauth2_count_request();
    }
    explicit_bzero(secret, sizeof secret);
    explicit_bzero(secret_enc, sizeof secret_enc);
    return ok;
}

bool gp_http_token_take(struct gp_http_get *g, const struct gp_source_auth *a, double now_s,
                        char *token, size_t len)
{
    char why[200];
    if (!g->answered) {
        snprintf(why, sizeof why, "%.190s", g->error);
        snprintf(g->error, sizeof g->error, "OAuth 2.0 token request: %s", why);
        g->status = g->status == GP_FETCH_OK ? GP_FETCH_ERROR : g->status;
        return false;
    }
    long expires = 0;
    if (!gp_oauth2_parse(g->http_status, g->body.data, g->body.len, token, len, &expires, why,
                         sizeof why)) {
        snprintf(g->error, sizeof g->error, "OAuth 2.0 token request: %s", why);
        g->status = GP_FETCH_ERROR;
        return false;
    }
    char secret[1024];
    if (gp_secret_read(a->secret, secret, sizeof secret, why, sizeof why))
        gp_oauth2_cache_put(a, secret, now_s, token, expires);
    explicit_bzero(secret, sizeof secret);
    return true;
}

bool gp_http_token_blocking(const struct gp_source_auth *a, long timeout_ms, bool fresh,
                            char *token, size_t len, char *err, size_t errlen)
{
    char secret[1024];
    if (!gp_secret_read(a->secret, secret, sizeof secret, err, errlen))
        return false;
    bool cached = !fresh && gp_oauth2_cache_get(a, secret, mono_s(), token, len);
    explicit_bzero(secret, sizeof secret);
    if (cached)
        return true;
    struct gp_http_get g = {0};
    bool ok = gp_http_token_setup(&g, NULL, a, timeout_ms, NULL);
    if (ok) {
        gp_http_get_perform(&g);
        ok = gp_http_token_take(&g, a, mono_s(), token, len);
    }
    if (!ok)
        snprintf(err, errlen, "%s", g.error);
    gp_http_get_free(&g);
    return ok;
}
