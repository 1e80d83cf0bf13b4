/* One HTTP GET on one easy handle (contract in lib/federation/http_get.h). */
#include "lib/federation/http_get.h"

#include "lib/core/cpr.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

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
    g->error[0] = '\0';
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
    if (o->accept && o->accept[0]) {
        if (!gp_http_header_value_ok(o->accept)) {
            snprintf(g->error, sizeof g->error, "invalid Accept header value");
            return false;
        }
        char line[256];
        snprintf(line, sizeof line, "Accept: %s", o->accept);
        g->headers = curl_slist_append(NULL, line);
        if (!g->headers) {
            snprintf(g->error, sizeof g->error, "could not create a transfer");
            return false;
        }
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
    if (g->headers)
        curl_easy_setopt(e, CURLOPT_HTTPHEADER, g->headers);
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
