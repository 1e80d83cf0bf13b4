/* The HTTP core, auth, the first personal-data route and the clients API, over real HTTP
 * against the real server and a real PostgreSQL. */
#include "gptest.h"
#include "lib/core/config.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define ORIGIN "https://portal.kommune.example"

static char *db;
static char *tok_case, *tok_admin, *tok_audit;
static struct gpt_proc srv;

static void suite_setup(void)
{
    db = gpt_db_create("itest_server");
    char db_env[512];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"migrate", NULL};
    ck_assert_int_eq(gpt_glasplade(args, env, NULL, NULL), 0);
    tok_case = gpt_token(db, "caseworker", "job_centre");
    tok_admin = gpt_token(db, "admin", NULL);
    tok_audit = gpt_token(db, "auditor", NULL);
    const char *extra[] = {"GLASPLADE_CORS_ORIGINS=" ORIGIN ", http://localhost:5173", NULL};
    gpt_server_start(&srv, db, extra);
}

static void suite_teardown(void)
{
    if (srv.pid > 0)
        gpt_proc_stop(&srv, SIGTERM);
}

static long get(const char *path, const char *route, const char *token, struct gpt_resp *r)
{
    struct gpt_req q = {.path = path, .route = route, .token = token};
    gpt_http(srv.port, &q, r);
    return r->status;
}

START_TEST(healthz_answers_without_database)
{
    struct gpt_resp r;
    ck_assert_int_eq(get("/healthz", "/healthz", NULL, &r), 200);
    ck_assert_str_eq(r.content_type, "application/json");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "ok");
    char rid[80];
    ck_assert_ptr_nonnull(gpt_header(&r, "X-Request-Id", rid, sizeof rid));
    ck_assert_int_eq(strlen(rid), 24);
    gpt_resp_free(&r);
}
END_TEST

START_TEST(request_id_is_echoed_or_generated)
{
    struct gpt_resp r;
    char rid[80];
    const char *h1[] = {"X-Request-Id: trace-42.a_b", NULL};
    struct gpt_req q = {.path = "/healthz", .route = "/healthz", .headers = h1};
    gpt_http(srv.port, &q, &r);
    ck_assert_str_eq(gpt_header(&r, "X-Request-Id", rid, sizeof rid), "trace-42.a_b");
    gpt_resp_free(&r);

    /* An id with characters that do not belong in logs is replaced, as is an over-long one. */
    const char *h2[] = {"X-Request-Id: bad id\"", NULL};
    q.headers = h2;
    gpt_http(srv.port, &q, &r);
    ck_assert_str_ne(gpt_header(&r, "X-Request-Id", rid, sizeof rid), "bad id\"");
    ck_assert_int_eq(strlen(rid), 24);
    gpt_resp_free(&r);

    /* Problems carry the same id in the body. */
    const char *h3[] = {"X-Request-Id: problem-id-7", NULL};
    struct gpt_req q3 = {.path = "/nowhere", .headers = h3};
    gpt_http(srv.port, &q3, &r);
    gpt_assert_problem(&r, 404, "not-found");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "request_id")), "problem-id-7");
    gpt_resp_free(&r);
}
END_TEST

START_TEST(unknown_paths_are_json_404)
{
    struct gpt_resp r;
    /* "/" is the page (api/static.c); a page path without a file is a JSON 404 too. */
    const char *paths[] = {"/index.html",
                           "/web/nope.js",
                           "/v1",
                           "/v1/citizens",
                           "/healthz/",
                           "/v1/citizens/0101901234/x",
                           "/v2/citizens/0101901234"};
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        get(paths[i], NULL, tok_case, &r);
        gpt_assert_problem(&r, 404, "not-found");
        gpt_resp_free(&r);
    }
}
END_TEST

START_TEST(wrong_method_is_405_with_allow)
{
    struct gpt_resp r;
    char allow[80];
    struct gpt_req q = {.method = "DELETE", .path = "/healthz", .route = "/healthz"};
    gpt_http(srv.port, &q, &r);
    gpt_assert_problem(&r, 405, "method-not-allowed");
    ck_assert_str_eq(gpt_header(&r, "Allow", allow, sizeof allow), "GET");
    gpt_resp_free(&r);

    struct gpt_req q2 = {
        .method = "PUT", .path = "/v1/clients", .route = "/v1/clients", .token = tok_admin};
    gpt_http(srv.port, &q2, &r);
    gpt_assert_problem(&r, 405, "method-not-allowed");
    ck_assert_str_eq(gpt_header(&r, "Allow", allow, sizeof allow), "GET, POST");
    json_t *list = json_object_get(r.json, "allow");
    ck_assert_int_eq(json_array_size(list), 2);
    gpt_resp_free(&r);
}
END_TEST

START_TEST(long_uri_is_414)
{
    static char path[4000];
    strcpy(path, "/v1/citizens/0101901234?purpose=");
    size_t n = strlen(path);
    memset(path + n, 'a', 3000);
    path[n + 3000] = '\0';
    struct gpt_resp r;
    get(path, "/v1/citizens/{cpr}", tok_case, &r);
    gpt_assert_problem(&r, 414, "uri-too-long");
    gpt_resp_free(&r);
}
END_TEST

START_TEST(missing_or_bad_token_is_401)
{
    struct gpt_resp r;
    char www[160];
    get("/v1/citizens/0101901234", "/v1/citizens/{cpr}", NULL, &r);
    gpt_assert_problem(&r, 401, "unauthorized");
    ck_assert_str_eq(gpt_header(&r, "WWW-Authenticate", www, sizeof www),
                     "Bearer realm=\"glasplade\"");
    gpt_resp_free(&r);

    get("/v1/citizens/0101901234", "/v1/citizens/{cpr}", "gpt_not-a-real-token", &r);
    gpt_assert_problem(&r, 401, "unauthorized");
    ck_assert_ptr_nonnull(
        strstr(gpt_header(&r, "WWW-Authenticate", www, sizeof www), "invalid_token"));
    gpt_resp_free(&r);

    const char *basic[] = {"Authorization: Basic dXNlcjpwYXNz", NULL};
    struct gpt_req q = {
        .path = "/v1/citizens/0101901234", .route = "/v1/citizens/{cpr}", .headers = basic};
    gpt_http(srv.port, &q, &r);
    gpt_assert_problem(&r, 401, "unauthorized");
    ck_assert_ptr_nonnull(
        strstr(gpt_header(&r, "WWW-Authenticate", www, sizeof www), "invalid_request"));
    gpt_resp_free(&r);
}
END_TEST

START_TEST(role_not_allowed_is_403)
{
    struct gpt_resp r;
    get("/v1/citizens/0101901234", "/v1/citizens/{cpr}", tok_audit, &r);
    gpt_assert_problem(&r, 403, "forbidden");
    gpt_resp_free(&r);
    get("/v1/citizens/0101901234", "/v1/citizens/{cpr}", tok_admin, &r);
    gpt_assert_problem(&r, 403, "forbidden");
    gpt_resp_free(&r);
    get("/v1/clients", "/v1/clients", tok_case, &r);
    gpt_assert_problem(&r, 403, "forbidden");
    gpt_resp_free(&r);
}
END_TEST

static int age_today(int y, int m, int d)
{
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    int age = tm.tm_year + 1900 - y;
    if (tm.tm_mon + 1 < m || (tm.tm_mon + 1 == m && tm.tm_mday < d))
        age--;
    return age;
}

START_TEST(citizen_facts_come_from_the_cpr)
{
    struct gpt_resp r;
    /* 7th digit 4 and YY 10: born 2010; last digit 7: male; no modulus 11 needed. */
    ck_assert_int_eq(get("/v1/citizens/150310-4017", "/v1/citizens/{cpr}", tok_case, &r), 200);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "cpr")), "1503104017");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "birth_date")), "2010-03-15");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "sex")), "male");
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "age")), age_today(2010, 3, 15));
    ck_assert(json_is_false(json_object_get(r.json, "known")));
    ck_assert(json_is_null(json_object_get(r.json, "first_seen")));
    gpt_resp_free(&r);

    /* 7th digit 5 and YY 60: born 1860 by the CPR office's table. */
    ck_assert_int_eq(get("/v1/citizens/0101605002", "/v1/citizens/{cpr}", tok_case, &r), 200);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "birth_date")), "1860-01-01");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "sex")), "female");
    gpt_resp_free(&r);
}
END_TEST

START_TEST(known_citizen_shows_when_seen)
{
    ck_assert_int_eq(gpt_db_exec(db, "INSERT INTO citizen (cpr, first_seen, last_seen) VALUES "
                                     "('0202801234', '2026-01-02T03:04:05Z', "
                                     "'2026-02-03T04:05:06Z') ON CONFLICT DO NOTHING"),
                     1);
    struct gpt_resp r;
    ck_assert_int_eq(get("/v1/citizens/0202801234", "/v1/citizens/{cpr}", tok_case, &r), 200);
    ck_assert(json_is_true(json_object_get(r.json, "known")));
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "first_seen")),
                     "2026-01-02T03:04:05Z");
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "last_seen")),
                     "2026-02-03T04:05:06Z");
    gpt_resp_free(&r);
}
END_TEST

START_TEST(invalid_cpr_is_400_naming_the_problem)
{
    static const struct {
        const char *path;
        const char *reason_part;
    } cases[] = {
        {"/v1/citizens/3201901234", "day"},     {"/v1/citizens/0113901234", "month"},
        {"/v1/citizens/290221-4000", "day"},    {"/v1/citizens/010190123", "digits"},
        {"/v1/citizens/01019012345", "digits"}, {"/v1/citizens/01019O1234", "digit"},
        {"/v1/citizens/0101-901234", "hyphen"}, {"/v1/citizens/010130-4000", "future"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gpt_resp r;
        get(cases[i].path, "/v1/citizens/{cpr}", tok_case, &r);
        gpt_assert_problem(&r, 400, "invalid-cpr");
        json_t *e0 = json_array_get(json_object_get(r.json, "errors"), 0);
        ck_assert_str_eq(json_string_value(json_object_get(e0, "field")), "cpr");
        const char *reason = json_string_value(json_object_get(e0, "reason"));
        ck_assert_msg(strstr(reason, cases[i].reason_part), "%s: reason '%s' lacks '%s'",
                      cases[i].path, reason, cases[i].reason_part);
        gpt_resp_free(&r);
    }
}
END_TEST

START_TEST(bad_query_is_400_naming_the_parameter)
{
    struct gpt_resp r;
    get("/v1/citizens/0101901234?colour=blue", "/v1/citizens/{cpr}", tok_case, &r);
    gpt_assert_problem(&r, 400, "invalid-parameter");
    json_t *e0 = json_array_get(json_object_get(r.json, "errors"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(e0, "field")), "colour");
    gpt_resp_free(&r);

    get("/v1/citizens/0101901234?purpose=curiosity", "/v1/citizens/{cpr}", tok_case, &r);
    gpt_assert_problem(&r, 400, "invalid-parameter");
    e0 = json_array_get(json_object_get(r.json, "errors"), 0);
    ck_assert_str_eq(json_string_value(json_object_get(e0, "field")), "purpose");
    gpt_resp_free(&r);

    ck_assert_int_eq(
        get("/v1/citizens/0101901234?purpose=rehabilitation", "/v1/citizens/{cpr}", tok_case, &r),
        200);
    gpt_resp_free(&r);

    /* Header and query must not disagree. */
    const char *h[] = {"X-Purpose: own_case", NULL};
    struct gpt_req q = {.path = "/v1/citizens/0101901234?purpose=rehabilitation",
                        .route = "/v1/citizens/{cpr}",
                        .token = tok_case,
                        .headers = h};
    gpt_http(srv.port, &q, &r);
    gpt_assert_problem(&r, 400, "invalid-parameter");
    gpt_resp_free(&r);
    q.path = "/v1/citizens/0101901234?purpose=own_case";
    gpt_http(srv.port, &q, &r);
    ck_assert_int_eq(r.status, 200);
    gpt_resp_free(&r);
}
END_TEST

static long post_client(const char *body, const char *ctype, struct gpt_resp *r)
{
    struct gpt_req q = {.method = "POST",
                        .path = "/v1/clients",
                        .route = "/v1/clients",
                        .token = tok_admin,
                        .body = body,
                        .content_type = ctype};
    gpt_http(srv.port, &q, r);
    return r->status;
}

START_TEST(clients_create_use_and_revoke)
{
    struct gpt_resp r;
    char loc[80], path[96];
    ck_assert_int_eq(post_client("{\"role\":\"caseworker\",\"name\":\"Sara Sagsbehandler\","
                                 "\"department\":\"social_services\","
                                 "\"default_purpose\":\"own_case\"}",
                                 "application/json; charset=utf-8", &r),
                     201);
    json_int_t id = json_integer_value(json_object_get(r.json, "id"));
    snprintf(path, sizeof path, "/v1/clients/%lld", (long long)id);
    ck_assert_str_eq(gpt_header(&r, "Location", loc, sizeof loc), path);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "department")), "social_services");
    ck_assert(json_is_null(json_object_get(r.json, "revoked_at")));
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "pending");
    char *token = strdup(json_string_value(json_object_get(r.json, "token")));
    gpt_resp_free(&r);

    /* The new token works once a second admin has approved it (four eyes), and is never
     * shown again. */
    get("/v1/citizens/0101901234", "/v1/citizens/{cpr}", token, &r);
    gpt_assert_problem(&r, 401, "unauthorized");
    gpt_resp_free(&r);
    char apath[112];
    snprintf(apath, sizeof apath, "%s/approve", path);
    char *admin2 = gpt_token(db, "admin", NULL);
    struct gpt_req ap = {
        .method = "POST", .path = apath, .route = "/v1/clients/{id}/approve", .token = admin2};
    gpt_http(srv.port, &ap, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "active");
    gpt_resp_free(&r);
    free(admin2);
    ck_assert_int_eq(get("/v1/citizens/0101901234", "/v1/citizens/{cpr}", token, &r), 200);
    gpt_resp_free(&r);
    ck_assert_int_eq(get(path, "/v1/clients/{id}", tok_admin, &r), 200);
    ck_assert_ptr_null(json_object_get(r.json, "token"));
    gpt_resp_free(&r);
    ck_assert_int_eq(get("/v1/clients", "/v1/clients", tok_admin, &r), 200);
    ck_assert_int_ge(json_array_size(json_object_get(r.json, "clients")), 4);
    gpt_resp_free(&r);

    /* Revocation takes effect on the next request and is idempotent. */
    char rpath[112];
    snprintf(rpath, sizeof rpath, "%s/revoke", path);
    struct gpt_req rv = {
        .method = "POST", .path = rpath, .route = "/v1/clients/{id}/revoke", .token = tok_admin};
    gpt_http(srv.port, &rv, &r);
    ck_assert_int_eq(r.status, 200);
    char *revoked_at = strdup(json_string_value(json_object_get(r.json, "revoked_at")));
    gpt_resp_free(&r);
    get("/v1/citizens/0101901234", "/v1/citizens/{cpr}", token, &r);
    gpt_assert_problem(&r, 401, "unauthorized");
    gpt_resp_free(&r);
    gpt_http(srv.port, &rv, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "revoked_at")), revoked_at);
    gpt_resp_free(&r);
    free(revoked_at);
    free(token);

    get("/v1/clients/999999", "/v1/clients/{id}", tok_admin, &r);
    gpt_assert_problem(&r, 404, "not-found");
    gpt_resp_free(&r);
    get("/v1/clients/abc", "/v1/clients/{id}", tok_admin, &r);
    gpt_assert_problem(&r, 400, "invalid-parameter");
    gpt_resp_free(&r);
}
END_TEST

START_TEST(bad_bodies_are_rejected_and_change_nothing)
{
    char *before = gpt_db_scalar(db, "SELECT count(*) FROM api_client");
    struct gpt_resp r;
    static const struct {
        const char *body;
        const char *ctype;
        long status;
        const char *slug;
        const char *field;
    } cases[] = {
        {"{\"role\":\"admin\",\"name\":\"x\"}", NULL, 415, "unsupported-media-type", NULL},
        {"{\"role\":\"admin\",\"name\":\"x\"}", "text/plain", 415, "unsupported-media-type", NULL},
        {"{\"role\":\"admin\",\"name\":", "application/json", 400, "invalid-body", NULL},
        {"[1,2]", "application/json", 400, "invalid-body", NULL},
        {"{\"name\":\"x\"}", "application/json", 400, "invalid-body", "role"},
        {"{\"role\":\"janitor\",\"name\":\"x\"}", "application/json", 400, "invalid-body", "role"},
        {"{\"role\":\"admin\",\"name\":\"x\",\"colour\":1}", "application/json", 400,
         "invalid-body", "colour"},
        {"{\"role\":\"caseworker\",\"name\":\"x\"}", "application/json", 400, "invalid-body",
         "department"},
        {"{\"role\":\"caseworker\",\"name\":\"x\",\"department\":\"zoo\"}", "application/json", 422,
         "unprocessable", "department"},
        {"{\"role\":\"analyst\",\"name\":\"x\",\"default_purpose\":\"fun\"}", "application/json",
         422, "unprocessable", "default_purpose"},
        {"{\"role\":\"analyst\",\"name\":\"\"}", "application/json", 400, "invalid-body", "name"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        post_client(cases[i].body, cases[i].ctype, &r);
        gpt_assert_problem(&r, cases[i].status, cases[i].slug);
        if (cases[i].field) {
            json_t *e0 = json_array_get(json_object_get(r.json, "errors"), 0);
            ck_assert_msg(e0, "case %zu: no errors[]", i);
            ck_assert_str_eq(json_string_value(json_object_get(e0, "field")), cases[i].field);
        }
        gpt_resp_free(&r);
    }
    /* Over the body cap (1 MiB by default): 413, announced by Content-Length. */
    size_t big = 2 * 1024 * 1024;
    char *body = malloc(big + 1);
    memset(body, ' ', big);
    body[0] = '{';
    body[big - 1] = '}';
    body[big] = '\0';
    post_client(body, "application/json", &r);
    gpt_assert_problem(&r, 413, "payload-too-large");
    gpt_resp_free(&r);
    free(body);

    char *after = gpt_db_scalar(db, "SELECT count(*) FROM api_client");
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
}
END_TEST

START_TEST(cors_preflight_and_headers)
{
    struct gpt_resp r;
    char v[200];
    const char *pre[] = {"Origin: " ORIGIN, "Access-Control-Request-Method: GET",
                         "Access-Control-Request-Headers: authorization, x-purpose", NULL};
    struct gpt_req q = {
        .method = "OPTIONS", .path = "/v1/citizens/0101901234", .headers = pre, .no_record = true};
    gpt_http(srv.port, &q, &r);
    ck_assert_int_eq(r.status, 204);
    ck_assert_str_eq(gpt_header(&r, "Access-Control-Allow-Origin", v, sizeof v), ORIGIN);
    ck_assert_ptr_nonnull(
        strstr(gpt_header(&r, "Access-Control-Allow-Methods", v, sizeof v), "GET"));
    ck_assert_ptr_nonnull(
        strstr(gpt_header(&r, "Access-Control-Allow-Headers", v, sizeof v), "Authorization"));
    gpt_resp_free(&r);

    const char *other[] = {"Origin: https://evil.example", "Access-Control-Request-Method: GET",
                           NULL};
    q.headers = other;
    gpt_http(srv.port, &q, &r);
    ck_assert_int_eq(r.status, 204);
    ck_assert_ptr_null(gpt_header(&r, "Access-Control-Allow-Origin", v, sizeof v));
    gpt_resp_free(&r);

    const char *simple[] = {"Origin: " ORIGIN, NULL};
    struct gpt_req g = {.path = "/v1/citizens/0101901234",
                        .route = "/v1/citizens/{cpr}",
                        .token = tok_case,
                        .headers = simple};
    gpt_http(srv.port, &g, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(gpt_header(&r, "Access-Control-Allow-Origin", v, sizeof v), ORIGIN);
    ck_assert_str_eq(gpt_header(&r, "Vary", v, sizeof v), "Origin");
    ck_assert_ptr_nonnull(
        strstr(gpt_header(&r, "Access-Control-Expose-Headers", v, sizeof v), "X-Request-Id"));
    gpt_resp_free(&r);
}
END_TEST

START_TEST(cors_allows_nothing_by_default)
{
    struct gpt_proc plain;
    gpt_server_start(&plain, db, NULL);
    struct gpt_resp r;
    char v[200];
    const char *pre[] = {"Origin: " ORIGIN, "Access-Control-Request-Method: GET", NULL};
    struct gpt_req q = {.method = "OPTIONS", .path = "/healthz", .headers = pre, .no_record = true};
    gpt_http(plain.port, &q, &r);
    ck_assert_int_eq(r.status, 204);
    ck_assert_ptr_null(gpt_header(&r, "Access-Control-Allow-Origin", v, sizeof v));
    gpt_resp_free(&r);
    ck_assert_int_eq(gpt_proc_stop(&plain, SIGTERM), 0);
}
END_TEST

START_TEST(metrics_count_routes_and_pool)
{
    struct gpt_resp r;
    get("/healthz", "/healthz", NULL, &r);
    gpt_resp_free(&r);
    ck_assert_int_eq(get("/metrics", "/metrics", NULL, &r), 200);
    ck_assert_ptr_nonnull(strstr(r.content_type, "text/plain"));
    ck_assert_ptr_nonnull(strstr(r.body,
                                 "glasplade_http_requests_total{route=\"/healthz\",method=\"GET\","
                                 "status=\"200\"}"));
    ck_assert_ptr_nonnull(strstr(r.body, "glasplade_http_request_duration_seconds_bucket{route="
                                         "\"/healthz\",method=\"GET\",le=\"+Inf\"}"));
    ck_assert_ptr_nonnull(strstr(r.body, "glasplade_db_pool_connections{state=\"in_use\"} "));
    ck_assert_ptr_nonnull(strstr(r.body, "glasplade_db_pool_connections{state=\"size\"} 8"));
    gpt_resp_free(&r);
}
END_TEST

START_TEST(openapi_is_served_without_token)
{
    struct gpt_resp r;
    ck_assert_int_eq(get("/v1/openapi.yaml", "/v1/openapi.yaml", NULL, &r), 200);
    ck_assert_str_eq(r.content_type, "application/yaml");
    char *file = gpt_read_file(GP_SOURCE_DIR "/api/openapi.yaml");
    ck_assert_ptr_nonnull(file);
    ck_assert_str_eq(r.body, file); /* the binary serves exactly the repository's contract */
    free(file);
    gpt_resp_free(&r);
}
END_TEST

START_TEST(access_log_masks_cpr)
{
    struct gpt_resp r;
    get("/v1/citizens/2512774321", "/v1/citizens/{cpr}", tok_case, &r);
    gpt_resp_free(&r);
    get("/v1/citizens/251277-4321?purpose=own_case", "/v1/citizens/{cpr}", tok_case, &r);
    gpt_resp_free(&r);
    usleep(200 * 1000); /* the access line is written when the request completes */
    char *log = gpt_read_file(srv.log);
    ck_assert_ptr_nonnull(log);
    ck_assert_ptr_nonnull(strstr(log, "\"route\":\"/v1/citizens/{cpr}\""));
    ck_assert_ptr_nonnull(strstr(log, "\"path\":\"/v1/citizens/251277xxxx\""));
    ck_assert_ptr_null(strstr(log, "2512774321"));
    ck_assert_ptr_null(strstr(log, "251277-4321"));
    free(log);
}
END_TEST

START_TEST(migrations_apply_once)
{
    char db_env[512];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"migrate", NULL};
    char *err = NULL;
    ck_assert_int_eq(gpt_glasplade(args, env, NULL, &err), 0);
    ck_assert_ptr_nonnull(strstr(err, "0 migration(s) applied"));
    free(err);
    char *n = gpt_db_scalar(db, "SELECT count(*) FROM schema_migration");
    char *files = gpt_db_scalar(db, "SELECT count(*) FROM area"); /* seeded once, not twice */
    ck_assert_int_ge(atoi(n), 2);
    ck_assert_str_eq(files, "5");
    free(n);
    free(files);

    /* A landed migration that was edited is refused, and nothing is applied. */
    char *other = gpt_db_create("itest_migrate");
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", other);
    ck_assert_int_eq(gpt_glasplade(args, env, NULL, NULL), 0);
    gpt_db_exec(other, "UPDATE schema_migration SET sha256 = 'edited' WHERE name = "
                       "'0001_core.sql'");
    ck_assert_int_eq(gpt_glasplade(args, env, NULL, &err), 1);
    ck_assert_ptr_nonnull(strstr(err, "0001_core.sql was changed"));
    free(err);
    free(other);
}
END_TEST

START_TEST(token_cli_create_list_revoke)
{
    char db_env[512];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *env[] = {db_env, NULL};
    char *token = gpt_token(db, "coordinator", "family");
    struct gpt_resp r;
    ck_assert_int_eq(get("/v1/citizens/0101901234", "/v1/citizens/{cpr}", token, &r), 200);
    gpt_resp_free(&r);
    char *id = gpt_db_scalar(db, "SELECT max(id) FROM api_client WHERE role = 'coordinator'");
    char *out = NULL;
    const char *list[] = {"token", "list", NULL};
    ck_assert_int_eq(gpt_glasplade(list, env, &out, NULL), 0);
    ck_assert_ptr_nonnull(strstr(out, "coordinator"));
    ck_assert_ptr_null(strstr(out, token)); /* tokens are never shown again */
    free(out);
    const char *revoke[] = {"token", "revoke", id, NULL};
    ck_assert_int_eq(gpt_glasplade(revoke, env, NULL, NULL), 0);
    get("/v1/citizens/0101901234", "/v1/citizens/{cpr}", token, &r);
    gpt_assert_problem(&r, 401, "unauthorized");
    gpt_resp_free(&r);

    /* Only the hash is stored. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT count(*) FROM api_client WHERE token_hash = sha256('%s'::bytea)", token);
    char *n = gpt_db_scalar(db, sql);
    ck_assert_str_eq(n, "1");
    free(n);
    snprintf(sql, sizeof sql, "SELECT count(*) FROM api_client WHERE name LIKE '%%%s%%'", token);
    n = gpt_db_scalar(db, sql);
    ck_assert_str_eq(n, "0");
    free(n);

    const char *bad[] = {"token", "create", "--role", "caseworker", "--name", "x", NULL};
    char *err = NULL;
    ck_assert_int_eq(gpt_glasplade(bad, env, NULL, &err), 2);
    ck_assert_ptr_nonnull(strstr(err, "--department"));
    free(err);
    free(id);
    free(token);
}
END_TEST

START_TEST(invalid_configuration_names_the_variable)
{
    static const char *const cases[][2] = {
        {"GLASPLADE_PORT=eighty", "GLASPLADE_PORT"},
        {"GLASPLADE_PORT=70000", "GLASPLADE_PORT"},
        {"GLASPLADE_THREADS=0", "GLASPLADE_THREADS"},
        {"GLASPLADE_LISTEN=localhost:80", "GLASPLADE_LISTEN"},
        {"GLASPLADE_LOG_LEVEL=loud", "GLASPLADE_LOG_LEVEL"},
        {"GLASPLADE_CORS_ORIGINS=ftp://files.example", "GLASPLADE_CORS_ORIGINS"},
        {"GLASPLADE_REQUEST_DEADLINE_MS=1", "GLASPLADE_REQUEST_DEADLINE_MS"},
        {"GLASPLADE_DATABASE_URL=", "GLASPLADE_DATABASE_URL"},
    };
    char db_env[512];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db);
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        bool sets_db = !strncmp(cases[i][0], "GLASPLADE_DATABASE_URL=", 23);
        const char *env[] = {sets_db ? cases[i][0] : db_env, sets_db ? NULL : cases[i][0], NULL};
        const char *args[] = {"serve", NULL};
        char *err = NULL;
        ck_assert_int_eq(gpt_glasplade(args, env, NULL, &err), 2);
        ck_assert_msg(strstr(err, cases[i][1]), "stderr for %s: %s", cases[i][0], err);
        free(err);
    }
}
END_TEST

START_TEST(readyz_follows_the_database)
{
    struct gpt_resp r;
    ck_assert_int_eq(get("/readyz", "/readyz", NULL, &r), 200);
    ck_assert_str_eq(json_string_value(json_object_get(
                         json_object_get(json_object_get(r.json, "checks"), "database"), "status")),
                     "ok");
    gpt_resp_free(&r);

    ck_assert_int_eq(gpt_pg_ctl("stop"), 0);
    get("/readyz", "/readyz", NULL, &r);
    gpt_assert_problem(&r, 503, "not-ready");
    json_t *dbcheck = json_object_get(json_object_get(r.json, "checks"), "database");
    ck_assert_str_eq(json_string_value(json_object_get(dbcheck, "status")), "error");
    gpt_resp_free(&r);
    ck_assert_int_eq(get("/healthz", "/healthz", NULL, &r), 200); /* alive all the same */
    gpt_resp_free(&r);
    get("/v1/citizens/0101901234", "/v1/citizens/{cpr}", tok_case, &r);
    gpt_assert_problem(&r, 503, "database-unavailable");
    gpt_resp_free(&r);

    ck_assert_int_eq(gpt_pg_ctl("start"), 0);
    long status = 0;
    for (int i = 0; i < 100 && status != 200; i++) {
        get("/readyz", "/readyz", NULL, &r);
        status = r.status;
        gpt_resp_free(&r);
        if (status != 200)
            usleep(100 * 1000);
    }
    ck_assert_int_eq(status, 200);
    /* Every pooled connection was cut by the restart; requests work again without restart. */
    for (int i = 0; i < 12; i++) {
        ck_assert_int_eq(get("/v1/citizens/0101901234", "/v1/citizens/{cpr}", tok_case, &r), 200);
        gpt_resp_free(&r);
    }
}
END_TEST

/* A request that is still uploading its body when SIGTERM arrives finishes, and the server
 * then exits 0. */
struct slow_upload {
    int port;
    const char *token;
    long status;
    int sent;
};

static size_t slow_read(char *buf, size_t size, size_t nitems, void *cls)
{
    struct slow_upload *u = cls;
    static const char *const parts[] = {"{\"role\":\"analyst\",", "\"name\":\"drained on ",
                                        "shutdown\"}"};
    if (u->sent == 3)
        return 0;
    if (u->sent > 0)
        usleep(300 * 1000);
    size_t n = strlen(parts[u->sent]);
    if (n > size * nitems)
        return CURL_READFUNC_ABORT;
    memcpy(buf, parts[u->sent++], n);
    return n;
}

static void *upload_thread(void *cls)
{
    struct slow_upload *u = cls;
    CURL *h = curl_easy_init();
    char url[128], auth[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/v1/clients", u->port);
    snprintf(auth, sizeof auth, "Authorization: Bearer %s", u->token);
    struct curl_slist *hdrs = curl_slist_append(NULL, auth);
    hdrs = curl_slist_append(hdrs, "Content-Type: application/json");
    hdrs = curl_slist_append(hdrs, "Expect:");
    long total = (long)strlen("{\"role\":\"analyst\",\"name\":\"drained on shutdown\"}");
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_POST, 1L);
    curl_easy_setopt(h, CURLOPT_READFUNCTION, slow_read);
    curl_easy_setopt(h, CURLOPT_READDATA, u);
    curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE, total);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 20L);
    FILE *devnull = fopen("/dev/null", "w");
    curl_easy_setopt(h, CURLOPT_WRITEDATA, devnull);
    if (curl_easy_perform(h) == CURLE_OK)
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &u->status);
    fclose(devnull);
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    return NULL;
}

START_TEST(sigterm_finishes_in_flight_requests)
{
    struct gpt_proc p;
    gpt_server_start(&p, db, NULL);
    struct slow_upload u = {.port = p.port, .token = tok_admin};
    pthread_t t;
    pthread_create(&t, NULL, upload_thread, &u);
    usleep(150 * 1000); /* the request is in, its body is not */
    kill(p.pid, SIGTERM);
    pthread_join(t, NULL);
    ck_assert_int_eq(u.status, 201);
    ck_assert_int_eq(gpt_proc_stop(&p, 0), 0);
    char *n = gpt_db_scalar(db, "SELECT count(*) FROM api_client WHERE name = 'drained on "
                                "shutdown'");
    ck_assert_str_eq(n, "1");
    free(n);
}
END_TEST

START_TEST(sigterm_and_sigint_exit_zero)
{
    struct gpt_proc p;
    gpt_server_start(&p, db, NULL);
    ck_assert_int_eq(gpt_proc_stop(&p, SIGINT), 0);
    gpt_server_start(&p, db, NULL);
    ck_assert_int_eq(gpt_proc_stop(&p, SIGTERM), 0);
}
END_TEST

/* The configuration table (docs/operations.md) and the problem-type table (docs/api.md) are
 * generated from the code's own tables; this keeps them from drifting apart. */
START_TEST(docs_document_configuration_and_errors)
{
    char *operations = gpt_read_file(GP_SOURCE_DIR "/docs/operations.md");
    ck_assert_ptr_nonnull(operations);
    for (const struct gp_config_var *v = gp_config_vars; v->name; v++) {
        char needle[96];
        snprintf(needle, sizeof needle, "| `%s` |", v->name);
        ck_assert_msg(strstr(operations, needle), "docs/operations.md does not document %s",
                      v->name);
    }
    char *api = gpt_read_file(GP_SOURCE_DIR "/docs/api.md");
    ck_assert_ptr_nonnull(api);
    const char *args[] = {"errors", NULL};
    char *table = NULL;
    ck_assert_int_eq(gpt_glasplade(args, NULL, &table, NULL), 0);
    ck_assert_msg(strstr(api, table),
                  "docs/api.md's problem table differs from `glasplade errors`");
    /* The contract's Problem.type enum lists exactly the same types. */
    char *spec = gpt_read_file(GP_SOURCE_DIR "/api/openapi.yaml");
    size_t listed = 0, in_table = 0;
    for (const char *p = spec; (p = strstr(p, "- urn:glasplade:problem:")); p++)
        listed++;
    for (const char *p = table; (p = strstr(p, "`urn:glasplade:problem:")); p++) {
        in_table++;
        char entry[96];
        size_t n = strcspn(p + 1, "`");
        snprintf(entry, sizeof entry, "- %.*s\n", (int)n, p + 1);
        ck_assert_msg(strstr(spec, entry), "api/openapi.yaml's Problem.type lacks %s", entry);
    }
    ck_assert_int_eq(listed, in_table);
    free(spec);
    free(table);
    free(api);
    free(operations);
}
END_TEST

static Suite *server_suite(void)
{
    Suite *s = suite_create("server");
    TCase *tc = tcase_create("http");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
    tcase_add_test(tc, healthz_answers_without_database);
    tcase_add_test(tc, request_id_is_echoed_or_generated);
    tcase_add_test(tc, unknown_paths_are_json_404);
    tcase_add_test(tc, wrong_method_is_405_with_allow);
    tcase_add_test(tc, long_uri_is_414);
    tcase_add_test(tc, missing_or_bad_token_is_401);
    tcase_add_test(tc, role_not_allowed_is_403);
    tcase_add_test(tc, citizen_facts_come_from_the_cpr);
    tcase_add_test(tc, known_citizen_shows_when_seen);
    tcase_add_test(tc, invalid_cpr_is_400_naming_the_problem);
    tcase_add_test(tc, bad_query_is_400_naming_the_parameter);
    tcase_add_test(tc, clients_create_use_and_revoke);
    tcase_add_test(tc, bad_bodies_are_rejected_and_change_nothing);
    tcase_add_test(tc, cors_preflight_and_headers);
    tcase_add_test(tc, cors_allows_nothing_by_default);
    tcase_add_test(tc, metrics_count_routes_and_pool);
    tcase_add_test(tc, openapi_is_served_without_token);
    tcase_add_test(tc, access_log_masks_cpr);
    tcase_add_test(tc, migrations_apply_once);
    tcase_add_test(tc, token_cli_create_list_revoke);
    tcase_add_test(tc, invalid_configuration_names_the_variable);
    tcase_add_test(tc, readyz_follows_the_database);
    tcase_add_test(tc, sigterm_finishes_in_flight_requests);
    tcase_add_test(tc, sigterm_and_sigint_exit_zero);
    tcase_add_test(tc, docs_document_configuration_and_errors);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    int rc = gpt_run_suite(server_suite());
    curl_global_cleanup();
    return rc;
}
