/* The page's side of the server, over real HTTP: the static files (api/static.c) with their
 * headers, caching and no way out of the table; GET /v1/me; and the streamed press
 * (api/overview_stream.c) against the real simulators: one line as each source answers, a
 * frozen system never holding back the others, the last line what GET overview answers, and
 * one audit row per line. */
#include "gptest.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define METTE "1203849318" /* known to all five systems */

static char *db;
static struct gpt_proc sim, srv;
static char *tok_job;
static char webdir[256];

static void write_file(const char *dir, const char *name, const char *text)
{
    char p[512];
    snprintf(p, sizeof p, "%s/%s", dir, name);
    FILE *f = fopen(p, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
}

/* A web folder of our own: a page, an asset, one in a subfolder, and what must never be
 * served (a hidden file, a file of an unknown type, a symbolic link out of the folder). */
static void make_webdir(void)
{
    snprintf(webdir, sizeof webdir, "/tmp/gp-itest-web.XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(webdir));
    write_file(webdir, "index.html",
               "<!doctype html><title>t</title><script type=\"module\" "
               "src=\"/web/{{BUILD}}/app.js\"></script>");
    write_file(webdir, "app.js", "export const x = 1;\n");
    char sub[300];
    snprintf(sub, sizeof sub, "%s/css", webdir);
    ck_assert_int_eq(mkdir(sub, 0755), 0);
    write_file(sub, "app.css", "body{margin:0}\n");
    write_file(webdir, ".secret.js", "secret\n");
    write_file(webdir, "notes.md", "not served\n");
    char link[300];
    snprintf(link, sizeof link, "%s/passwd.txt", webdir);
    ck_assert_int_eq(symlink("/etc/passwd", link), 0);
}

static void setup(void)
{
    db = gpt_db_create("itest_web");
    char db_env[512];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"migrate", NULL};
    ck_assert_int_eq(gpt_glasplade(args, env, NULL, NULL), 0);
    gpt_deptsim_start(&sim, 200);
    gpt_register_sources(db, &sim, 1500);
    tok_job = gpt_token(db, "caseworker", "job_centre");
    make_webdir();
    char web_env[320];
    snprintf(web_env, sizeof web_env, "GLASPLADE_WEB_DIR=%s", webdir);
    const char *extra[] = {web_env,
                           "GLASPLADE_WEB_VENDOR_DIR=/nonexistent",
                           "GLASPLADE_OIDC_ISSUER=http://127.0.0.1:9999/oidc",
                           "GLASPLADE_OIDC_AUDIENCE=glasplade",
                           "GLASPLADE_OIDC_WEB_CLIENT_ID=glasplade-web",
                           "GLASPLADE_REQUEST_DEADLINE_MS=2000",
                           "GLASPLADE_BREAKER_FAILURES=1000",
                           NULL};
    gpt_server_start(&srv, db, extra);
}

static void teardown(void)
{
    if (srv.pid > 0)
        ck_assert_int_eq(gpt_proc_stop(&srv, SIGTERM), 0);
    if (sim.pid > 0)
        gpt_proc_stop(&sim, SIGTERM);
    char cmd[400];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", webdir);
    ck_assert_int_eq(system(cmd), 0);
}

/* A GET of a raw path, not normalised by libcurl ("..", "%2e" reach the server as sent). */
static long raw_get(const char *path, const char *method)
{
    CURL *h = curl_easy_init();
    char url[1024];
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", srv.port, path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_PATH_AS_IS, 1L);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (method)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    ck_assert_int_eq(curl_easy_perform(h), CURLE_OK);
    long status = 0;
    curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_cleanup(h);
    return status;
}

static void get(const char *path, struct gpt_resp *r)
{
    struct gpt_req q = {.path = path, .no_record = true};
    gpt_http(srv.port, &q, r);
}

/* The build in the page: the 16 hex digits after /web/. */
static void build_of(const struct gpt_resp *page, char out[17])
{
    const char *p = strstr(page->body, "/web/");
    ck_assert_ptr_nonnull(p);
    snprintf(out, 17, "%s", p + 5);
    ck_assert_uint_eq(strspn(out, "0123456789abcdef"), 16);
}

START_TEST(page_and_assets)
{
    struct gpt_resp r;
    char h[512], build[17];
    get("/", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(gpt_header(&r, "Content-Type", h, sizeof h), "text/html; charset=utf-8");
    ck_assert_str_eq(gpt_header(&r, "Cache-Control", h, sizeof h), "no-cache");
    ck_assert_str_eq(gpt_header(&r, "Referrer-Policy", h, sizeof h), "no-referrer");
    ck_assert_str_eq(gpt_header(&r, "X-Content-Type-Options", h, sizeof h), "nosniff");
    const char *csp = gpt_header(&r, "Content-Security-Policy", h, sizeof h);
    ck_assert_ptr_nonnull(csp);
    ck_assert_ptr_nonnull(strstr(csp, "default-src 'none'"));
    ck_assert_ptr_nonnull(strstr(csp, "script-src 'self';"));
    ck_assert_ptr_nonnull(strstr(csp, "style-src 'self';"));
    ck_assert_ptr_nonnull(strstr(csp, "connect-src 'self' http://127.0.0.1:9999;"));
    ck_assert_ptr_null(strstr(csp, "unsafe"));
    ck_assert_ptr_null(strstr(r.body, "{{BUILD}}"));
    build_of(&r, build);
    gpt_resp_free(&r);

    char path[256];
    snprintf(path, sizeof path, "/web/%s/app.js", build);
    get(path, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(gpt_header(&r, "Content-Type", h, sizeof h), "text/javascript; charset=utf-8");
    ck_assert_str_eq(gpt_header(&r, "Cache-Control", h, sizeof h),
                     "public, max-age=31536000, immutable");
    ck_assert_str_eq(r.body, "export const x = 1;\n");
    gpt_resp_free(&r);
    snprintf(path, sizeof path, "/web/%s/css/app.css", build);
    get(path, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(gpt_header(&r, "Content-Type", h, sizeof h), "text/css; charset=utf-8");
    gpt_resp_free(&r);

    /* The page's settings: the build and the sign-in, never cached. */
    get("/web/config.json", &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(gpt_header(&r, "Cache-Control", h, sizeof h), "no-cache");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "build")), build);
    json_t *oidc = json_object_get(r.json, "oidc");
    ck_assert_str_eq(json_string_value(json_object_get(oidc, "issuer")),
                     "http://127.0.0.1:9999/oidc");
    ck_assert_str_eq(json_string_value(json_object_get(oidc, "client_id")), "glasplade-web");
    gpt_resp_free(&r);

    /* An API answer keeps no-store, and says no-referrer too. */
    get("/healthz", &r);
    ck_assert_str_eq(gpt_header(&r, "Cache-Control", h, sizeof h), "no-store");
    ck_assert_str_eq(gpt_header(&r, "Referrer-Policy", h, sizeof h), "no-referrer");
    gpt_resp_free(&r);
}
END_TEST

START_TEST(no_way_out_of_the_table)
{
    struct gpt_resp r;
    char build[17];
    get("/", &r);
    build_of(&r, build);
    gpt_resp_free(&r);
    static const char *const tails[] = {
        "../../../../etc/passwd",
        "..%2f..%2f..%2fetc%2fpasswd",
        "%2e%2e/%2e%2e/etc/passwd",
        "css/../app.js",
        "./app.js",
        "css//app.css",
        ".secret.js",
        "notes.md",
        "passwd.txt",
        "index.html",
        "app.js/",
        "",
        "css",
        "app.js%00.css",
        "..",
    };
    for (size_t i = 0; i < sizeof tails / sizeof tails[0]; i++) {
        char path[256];
        snprintf(path, sizeof path, "/web/%s/%s", build, tails[i]);
        /* Not found, or refused before routing (strict HTTP: an encoded slash or NUL is a 400):
         * never a file. */
        long st = raw_get(path, NULL);
        ck_assert_msg(st == 404 || st == 400, "%s was %ld, not 404 or 400", path, st);
    }
    ck_assert_int_eq(raw_get("/web/../etc/passwd", NULL), 404);
    ck_assert_int_eq(raw_get("/web/0000000000000000/app.js", NULL), 404); /* another build */
    ck_assert_int_eq(raw_get("/web/nope.js", NULL), 404);
    ck_assert_int_eq(raw_get("/", "POST"), 405);
    char path[256];
    snprintf(path, sizeof path, "/web/%s/app.js", build);
    ck_assert_int_eq(raw_get(path, "DELETE"), 405);
    ck_assert_int_eq(raw_get(path, "HEAD"), 200);
}
END_TEST

START_TEST(me)
{
    struct gpt_resp r;
    struct gpt_req q = {.path = "/v1/me", .route = "/v1/me", .token = tok_job};
    gpt_http(srv.port, &q, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "role")), "caseworker");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "department")), "job_centre");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "default_purpose")),
                     "rehabilitation");
    json_t *purposes = json_object_get(r.json, "purposes");
    ck_assert_int_eq(json_array_size(purposes), 3);
    ck_assert_str_eq(json_string_value(json_array_get(purposes, 0)), "rehabilitation");
    gpt_resp_free(&r);
    struct gpt_req anon = {.path = "/v1/me", .route = "/v1/me"};
    gpt_http(srv.port, &anon, &r);
    gpt_assert_problem(&r, 401, "unauthorized");
    gpt_resp_free(&r);
}
END_TEST

/* The lines of an NDJSON body, parsed. */
static json_t *lines_of(const struct gpt_resp *r)
{
    json_t *lines = json_array();
    const char *p = r->body;
    while (p && *p) {
        const char *nl = strchr(p, '\n');
        ck_assert_msg(nl != NULL, "a line without its newline: %.80s", p);
        json_error_t e;
        json_t *line = json_loadb(p, (size_t)(nl - p), 0, &e);
        ck_assert_msg(line != NULL, "line is not JSON: %s", e.text);
        json_array_append_new(lines, line);
        p = nl + 1;
    }
    return lines;
}

static const char *status_of(json_t *overview, const char *source)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(overview, "sources"), i, s)
    {
        if (!strcmp(json_string_value(json_object_get(s, "id")), source))
            return json_string_value(json_object_get(s, "status"));
    }
    return NULL;
}

static int audit_rows(const char *request_id)
{
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM audit_log WHERE request_id = '%s' AND action = 'read'",
             request_id);
    int n = -1;
    for (int tries = 0; tries < 50; tries++) { /* rows join the chain shortly after commit */
        char *v = gpt_db_scalar(db, sql);
        n = v ? atoi(v) : -1;
        free(v);
        if (n > 0)
            break;
        usleep(100 * 1000);
    }
    return n;
}

START_TEST(stream_each_source_as_it_answers)
{
    struct gpt_resp r;
    const char *hdr[] = {"X-Request-Id: itest-web-stream-1", NULL};
    struct gpt_req q = {.path = "/v1/citizens/" METTE "/overview/stream",
                        .route = "/v1/citizens/{cpr}/overview/stream",
                        .token = tok_job,
                        .headers = hdr};
    gpt_http(srv.port, &q, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(r.content_type, "application/x-ndjson");
    json_t *lines = lines_of(&r);
    size_t n = json_array_size(lines);
    ck_assert_uint_ge(n, 2);
    /* The first line at once: every source pending, nothing settled. */
    json_t *first = json_array_get(lines, 0);
    ck_assert_str_eq(json_string_value(json_object_get(first, "event")), "progress");
    ck_assert_int_eq(json_array_size(json_object_get(first, "settled")), 0);
    ck_assert_str_eq(status_of(json_object_get(first, "overview"), "region"), "pending");
    ck_assert_str_eq(
        json_string_value(json_object_get(json_object_get(first, "overview"), "status")),
        "pending");
    /* Every source settles in exactly one line; the last is the overview. */
    size_t settled = 0;
    for (size_t i = 0; i < n; i++)
        settled += json_array_size(json_object_get(json_array_get(lines, i), "settled"));
    ck_assert_uint_eq(settled, 5);
    json_t *last = json_array_get(lines, n - 1);
    ck_assert_str_eq(json_string_value(json_object_get(last, "event")), "overview");
    json_t *ov = json_object_get(last, "overview");
    ck_assert_str_eq(json_string_value(json_object_get(ov, "status")), "complete");
    ck_assert_int_eq(json_array_size(json_object_get(ov, "areas")), 5);

    /* What GET overview answers now (from the index the stream just filled): the same areas. */
    struct gpt_resp g;
    struct gpt_req gq = {.path = "/v1/citizens/" METTE "/overview",
                         .route = "/v1/citizens/{cpr}/overview",
                         .token = tok_job};
    gpt_http(srv.port, &gq, &g);
    ck_assert_int_eq(g.status, 200);
    ck_assert(json_equal(json_object_get(g.json, "areas"), json_object_get(ov, "areas")));
    ck_assert(json_equal(json_object_get(g.json, "redacted"), json_object_get(ov, "redacted")));
    ck_assert(
        json_equal(json_object_get(g.json, "completeness"), json_object_get(ov, "completeness")));
    gpt_resp_free(&g);

    /* Each line a read, each read its audit row. */
    ck_assert_int_eq(audit_rows("itest-web-stream-1"), (int)n);
    json_decref(lines);
    gpt_resp_free(&r);
}
END_TEST

START_TEST(stream_a_frozen_system_holds_back_nobody)
{
    json_decref(gpt_deptsim_control(&sim, "PUT", "/faults/region", "{\"hang\":true}"));
    struct gpt_resp r;
    struct gpt_req q = {.path = "/v1/citizens/" METTE "/overview/stream?refresh=always",
                        .route = "/v1/citizens/{cpr}/overview/stream",
                        .token = tok_job};
    gpt_http(srv.port, &q, &r);
    json_decref(gpt_deptsim_control(&sim, "DELETE", "/faults", NULL));
    ck_assert_int_eq(r.status, 200);
    json_t *lines = lines_of(&r);
    size_t n = json_array_size(lines);
    ck_assert_uint_ge(n, 3);
    /* A line with the four others answered while the region still pends, long before the
     * region's timeout (1500 ms) settles it. */
    bool four_early = false;
    for (size_t i = 0; i + 1 < n; i++) {
        json_t *l = json_array_get(lines, i);
        json_t *ov = json_object_get(l, "overview");
        int ok = 0;
        const char *ids[] = {"jobcentre", "social", "health", "family"};
        for (size_t k = 0; k < 4; k++)
            ok += !strcmp(status_of(ov, ids[k]), "ok");
        if (ok == 4 && !strcmp(status_of(ov, "region"), "pending") &&
            json_real_value(json_object_get(l, "elapsed_ms")) < 1000) {
            four_early = true;
            ck_assert_int_eq(json_integer_value(
                                 json_object_get(json_object_get(ov, "completeness"), "answered")),
                             4);
        }
    }
    ck_assert_msg(four_early, "no line had the four others in before the region's timeout");
    json_t *last = json_array_get(lines, n - 1);
    json_t *ov = json_object_get(last, "overview");
    ck_assert_str_eq(json_string_value(json_object_get(ov, "status")), "partial");
    ck_assert_str_eq(status_of(ov, "region"), "timeout");
    ck_assert(json_real_value(json_object_get(last, "elapsed_ms")) >= 1400);
    json_decref(lines);
    gpt_resp_free(&r);
}
END_TEST

START_TEST(stream_errors_before_streaming)
{
    struct gpt_resp r;
    struct gpt_req q = {.path = "/v1/citizens/1313849318/overview/stream",
                        .route = "/v1/citizens/{cpr}/overview/stream",
                        .token = tok_job};
    gpt_http(srv.port, &q, &r);
    gpt_assert_problem(&r, 400, "invalid-cpr");
    gpt_resp_free(&r);
    struct gpt_req bad = {.path = "/v1/citizens/" METTE "/overview/stream?refresh=sometimes",
                          .route = "/v1/citizens/{cpr}/overview/stream",
                          .token = tok_job};
    gpt_http(srv.port, &bad, &r);
    gpt_assert_problem(&r, 400, "invalid-parameter");
    gpt_resp_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("web");
    TCase *tc = tcase_create("web");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, page_and_assets);
    tcase_add_test(tc, no_way_out_of_the_table);
    tcase_add_test(tc, me);
    tcase_add_test(tc, stream_each_source_as_it_answers);
    tcase_add_test(tc, stream_a_frozen_system_holds_back_nobody);
    tcase_add_test(tc, stream_errors_before_streaming);
    suite_add_tcase(s, tc);
    return gpt_run_suite(s);
}
