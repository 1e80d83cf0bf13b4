/* The page's files, from memory: see api/static.h. */
#include "api/static.h"

#include "api/http.h"
#include "lib/core/alloc.h"
#include "lib/core/buf.h"
#include "lib/core/config.h"
#include "lib/core/log.h"

#include <dirent.h>
#include <errno.h>
#include <jansson.h>
#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#ifndef GP_WEB_DIR_DEFAULT
#define GP_WEB_DIR_DEFAULT "web"
#endif
#ifndef GP_WEB_VENDOR_DIR_DEFAULT
#define GP_WEB_VENDOR_DIR_DEFAULT "node_modules/dkfds/dist"
#endif

#define MAX_FILES       1024
#define MAX_FILE_BYTES  (8u << 20)
#define MAX_TOTAL_BYTES (64u << 20)
#define MAX_DEPTH       6
#define MAX_SEGMENT     128

#define ASSET_CACHE "public, max-age=31536000, immutable"
#define PAGE_CACHE  "no-cache"

struct file {
    char *path; /* relative, "app.js", "dkfds/css/dkfds.min.css" */
    char *data;
    size_t len;
    const char *type;
};

struct gp_static {
    struct file *files;
    size_t n;
    size_t bytes;
    char build[17];
    char *page; /* index.html with the build filled in; NULL when there is none */
    size_t page_len;
    char *config; /* /web/config.json */
    char *csp;
};

static const struct {
    const char *ext;
    const char *type;
    bool vendor; /* also taken from the design system's folders */
} types[] = {
    {".html", "text/html; charset=utf-8", false},
    {".js", "text/javascript; charset=utf-8", false},
    {".css", "text/css; charset=utf-8", true},
    {".json", "application/json", false},
    {".svg", "image/svg+xml", true},
    {".png", "image/png", true},
    {".ico", "image/x-icon", false},
    {".woff2", "font/woff2", true},
    {".woff", "font/woff", true}, /* DKFDS names one face's WOFF before its WOFF2 */
    {".txt", "text/plain; charset=utf-8", false},
};

static const char *type_of(const char *name, bool vendor)
{
    size_t n = strlen(name);
    for (size_t i = 0; i < sizeof types / sizeof types[0]; i++) {
        size_t e = strlen(types[i].ext);
        if (n > e && !strcmp(name + n - e, types[i].ext) && (!vendor || types[i].vendor))
            return types[i].type;
    }
    return NULL;
}

bool gp_static_segment_ok(const char *seg, size_t len)
{
    if (len == 0 || len > MAX_SEGMENT || seg[0] == '.')
        return false;
    for (size_t i = 0; i < len; i++) {
        char c = seg[i];
        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
              c == '.' || c == '_' || c == '-'))
            return false;
    }
    return true;
}

static bool read_all(const char *path, size_t size, char **out)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return false;
    char *data = gp_xmalloc(size + 1);
    bool ok = fread(data, 1, size, f) == size;
    fclose(f);
    if (!ok) {
        free(data);
        return false;
    }
    data[size] = '\0';
    *out = data;
    return true;
}

/* Adds the regular files under dir (recursively, no symbolic links, names that are plain
 * segments, known types) as prefix/relative-path. */
static void walk(struct gp_static *st, const char *dir, const char *prefix, bool vendor, int depth)
{
    if (depth > MAX_DEPTH)
        return;
    DIR *d = opendir(dir);
    if (!d)
        return;
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t nl = strlen(e->d_name);
        if (!gp_static_segment_ok(e->d_name, nl))
            continue; /* ".", "..", hidden files and odd names are never served */
        char full[4096], rel[1024];
        if (snprintf(full, sizeof full, "%s/%s", dir, e->d_name) >= (int)sizeof full ||
            snprintf(rel, sizeof rel, "%s%s%s", prefix, *prefix ? "/" : "", e->d_name) >=
                (int)sizeof rel)
            continue;
        struct stat sb;
        if (lstat(full, &sb) != 0)
            continue;
        if (S_ISDIR(sb.st_mode)) {
            walk(st, full, rel, vendor, depth + 1);
            continue;
        }
        const char *type = type_of(e->d_name, vendor);
        if (!S_ISREG(sb.st_mode) || !type)
            continue;
        if (st->n == MAX_FILES || (size_t)sb.st_size > MAX_FILE_BYTES ||
            st->bytes + (size_t)sb.st_size > MAX_TOTAL_BYTES) {
            GP_LOG_WARN("web: %s left out (more than %d files, or too large)", full, MAX_FILES);
            continue;
        }
        char *data;
        if (!read_all(full, (size_t)sb.st_size, &data)) {
            GP_LOG_WARN("web: cannot read %s: %s", full, strerror(errno));
            continue;
        }
        st->files[st->n++] = (struct file){gp_xstrdup(rel), data, (size_t)sb.st_size, type};
        st->bytes += (size_t)sb.st_size;
    }
    closedir(d);
}

static int cmp_file(const void *a, const void *b)
{
    return strcmp(((const struct file *)a)->path, ((const struct file *)b)->path);
}

static const struct file *find(const struct gp_static *st, const char *rel)
{
    struct file key = {.path = (char *)rel};
    return st->n ? bsearch(&key, st->files, st->n, sizeof *st->files, cmp_file) : NULL;
}

static void compute_build(struct gp_static *st)
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned mdlen = 0;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    EVP_DigestInit_ex(ctx, EVP_sha256(), NULL);
    for (size_t i = 0; i < st->n; i++) {
        char len[32];
        snprintf(len, sizeof len, "\n%zu\n", st->files[i].len);
        EVP_DigestUpdate(ctx, st->files[i].path, strlen(st->files[i].path));
        EVP_DigestUpdate(ctx, len, strlen(len));
        EVP_DigestUpdate(ctx, st->files[i].data, st->files[i].len);
    }
    EVP_DigestFinal_ex(ctx, md, &mdlen);
    EVP_MD_CTX_free(ctx);
    for (size_t i = 0; i < 8; i++)
        snprintf(st->build + 2 * i, 3, "%02x", md[i]);
}

/* index.html with every {{BUILD}} replaced. */
static void render_page(struct gp_static *st)
{
    const struct file *f = find(st, "index.html");
    if (!f)
        return;
    static const char mark[] = "{{BUILD}}";
    struct gp_buf b = {0};
    const char *p = f->data, *end = f->data + f->len;
    for (;;) {
        const char *m = strstr(p, mark);
        if (!m || m >= end) {
            gp_buf_append(&b, p, (size_t)(end - p));
            break;
        }
        gp_buf_append(&b, p, (size_t)(m - p));
        gp_buf_append(&b, st->build, strlen(st->build));
        p = m + sizeof mark - 1;
    }
    st->page = gp_buf_steal(&b, &st->page_len);
}

/* "https://idp.example:8443/realms/x" -> "https://idp.example:8443". */
static void origin_of(const char *url, char *out, size_t len)
{
    const char *host = strstr(url, "://");
    size_t n = host ? (size_t)(host + 3 - url) + strcspn(host + 3, "/?#") : 0;
    snprintf(out, len, "%.*s", (int)n, url);
}

static void render_config(struct gp_static *st, const struct gp_config *cfg)
{
    json_t *c = json_pack("{s:s}", "build", st->build);
    if (cfg->oidc.issuer && cfg->oidc_web_client_id)
        json_object_set_new(c, "oidc",
                            json_pack("{s:s, s:s, s:s}", "issuer", cfg->oidc.issuer, "client_id",
                                      cfg->oidc_web_client_id, "scope", "openid profile"));
    else
        json_object_set_new(c, "oidc", json_null());
    st->config = json_dumps(c, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(c);

    char issuer[512] = "";
    if (cfg->oidc.issuer) {
        char origin[480];
        origin_of(cfg->oidc.issuer, origin, sizeof origin);
        snprintf(issuer, sizeof issuer, " %s", origin);
    }
    char csp[1024];
    snprintf(csp, sizeof csp,
             "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
             "font-src 'self'; connect-src 'self'%s; form-action 'self'; base-uri 'none'; "
             "frame-ancestors 'none'",
             issuer);
    st->csp = gp_xstrdup(csp);
}

struct gp_static *gp_static_load(const struct gp_config *cfg)
{
    struct gp_static *st = gp_xcalloc(1, sizeof *st);
    st->files = gp_xcalloc(MAX_FILES, sizeof *st->files);
    const char *dir = cfg->web_dir ? cfg->web_dir : GP_WEB_DIR_DEFAULT;
    const char *vendor = cfg->web_vendor_dir ? cfg->web_vendor_dir : GP_WEB_VENDOR_DIR_DEFAULT;
    walk(st, dir, "", false, 0);
    size_t own = st->n;
    static const char *const parts[] = {"css", "fonts", "img"};
    for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++) {
        char from[4096], to[64];
        snprintf(from, sizeof from, "%s/%s", vendor, parts[i]);
        snprintf(to, sizeof to, "dkfds/%s", parts[i]);
        walk(st, from, to, true, 1);
    }
    qsort(st->files, st->n, sizeof *st->files, cmp_file);
    compute_build(st);
    render_page(st);
    render_config(st, cfg);
    if (!st->page)
        GP_LOG_WARN("web: no index.html in %s: the server serves no page", dir);
    json_t *line =
        json_pack("{s:s, s:s, s:i, s:i, s:I}", "msg", "web", "build", st->build, "files", (int)own,
                  "design_system_files", (int)(st->n - own), "bytes", (json_int_t)st->bytes);
    gp_log_json_steal(GP_LOG_INFO, line);
    return st;
}

void gp_static_free(struct gp_static *st)
{
    if (!st)
        return;
    for (size_t i = 0; i < st->n; i++) {
        free(st->files[i].path);
        free(st->files[i].data);
    }
    free(st->files);
    free(st->page);
    free(st->config);
    free(st->csp);
    free(st);
}

const char *gp_static_build(const struct gp_static *st)
{
    return st->build;
}

size_t gp_static_count(const struct gp_static *st)
{
    return st->n;
}

bool gp_static_path(const char *path)
{
    return !strcmp(path, "/") || !strcmp(path, "/web") || !strncmp(path, "/web/", 5);
}

/* Every segment of rel a plain name: no "..", no empty segment, no encoded anything. */
static bool rel_ok(const char *rel)
{
    if (!*rel)
        return false;
    for (const char *p = rel;;) {
        size_t n = strcspn(p, "/");
        if (!gp_static_segment_ok(p, n))
            return false;
        if (!p[n])
            return true;
        p += n + 1;
    }
}

static void security_headers(struct gp_request *req, const struct gp_static *st)
{
    gp_req_add_header(req, "Content-Security-Policy", st->csp);
    gp_req_add_header(req, "Cross-Origin-Opener-Policy", "same-origin");
    gp_req_add_header(req, "X-Frame-Options", "DENY");
}

static void not_found(struct gp_request *req)
{
    gp_reply_problem(req, GP_E_NOT_FOUND, "no resource at this path");
}

void gp_static_answer(struct gp_request *req, const char *method, const char *path)
{
    const struct gp_static *st = req->server->web;
    if (strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0) {
        gp_req_add_header(req, "Allow", "GET, HEAD");
        json_t *extra = json_pack("{s:[s, s]}", "allow", "GET", "HEAD");
        gp_reply_problem_extra(req, GP_E_METHOD_NOT_ALLOWED, extra,
                               "%s is not allowed here; allowed: GET, HEAD", method);
        return;
    }
    if (!st) {
        not_found(req);
        return;
    }
    security_headers(req, st);
    if (!strcmp(path, "/") || !strcmp(path, "/web") || !strcmp(path, "/web/") ||
        !strcmp(path, "/web/index.html")) {
        if (!st->page) {
            not_found(req);
            return;
        }
        req->cache_control = PAGE_CACHE;
        gp_reply_bytes(req, 200, "text/html; charset=utf-8", st->page, st->page_len);
        return;
    }
    if (!strcmp(path, "/web/config.json")) {
        req->cache_control = PAGE_CACHE;
        gp_reply_bytes(req, 200, "application/json", st->config, strlen(st->config));
        return;
    }
    /* /web/<build>/<rel> */
    const char *b = path + 5;
    size_t blen = strcspn(b, "/");
    if (blen != strlen(st->build) || strncmp(b, st->build, blen) != 0 || b[blen] != '/') {
        not_found(req); /* another build's asset, or no build at all */
        return;
    }
    const char *rel = b + blen + 1;
    const struct file *f = rel_ok(rel) ? find(st, rel) : NULL;
    if (!f || !strcmp(rel, "index.html")) {
        not_found(req);
        return;
    }
    req->cache_control = ASSET_CACHE;
    gp_reply_bytes(req, 200, f->type, f->data, f->len);
}
