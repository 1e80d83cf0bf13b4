/* Roles per endpoint, as one matrix: every route of the routing table (api/routes.c) × every
 * role × own and other department, plus no token at all, against the real server. Each cell is
 * the status the route must answer that caller. The table below must name every route of the
 * server and nothing else, and agree with the roles the routing table gives it: a route added
 * to the server without a row here fails this suite.
 *
 * "Own department" is the job centre, whose caseworker recorded the consent and block the
 * routes are exercised on; "other department" is social services. Both may read and record
 * (the policy, not the route, decides what each sees). */
#include "api/handlers.h"
#include "api/router.h"
#include "gptest.h"
#include "lib/core/role.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Who calls: no token, then one token per role and department. */
enum principal {
    P_NONE,
    P_CASE_OWN,
    P_CASE_OTHER,
    P_COORD_OWN,
    P_COORD_OTHER,
    P_ANALYST,
    P_AUDITOR,
    P_ADMIN,
    P_COUNT
};

static const char *const principal_names[P_COUNT] = {"no token",
                                                     "caseworker (own department)",
                                                     "caseworker (other department)",
                                                     "coordinator (own department)",
                                                     "coordinator (other department)",
                                                     "analyst",
                                                     "auditor",
                                                     "admin"};

/* The role each principal has (GP_ROLE_NONE: no token). */
static const enum gp_role principal_roles[P_COUNT] = {
    GP_ROLE_NONE,        GP_ROLE_CASEWORKER, GP_ROLE_CASEWORKER, GP_ROLE_COORDINATOR,
    GP_ROLE_COORDINATOR, GP_ROLE_ANALYST,    GP_ROLE_AUDITOR,    GP_ROLE_ADMIN};

#define CPR "1203849318"
#define CONSENT                                                                                    \
    "{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\"]},\"form\":\"written\"}"
#define BLOCK  "{\"scope\":{\"kind\":\"area\",\"value\":\"family\"}}"
#define REASON "{\"reason\":\"matrix\"}"
#define GLASS  "{\"reason_code\":\"acute_risk\",\"note\":\"matrix\",\"minutes\":1}"
#define CLIENT "{\"role\":\"analyst\",\"name\":\"matrix\"}"

/* One row per route. In path, {consent}, {block} and {client} stand for ids created in setup.
 * expect[p] is the status for principal p. */
struct row {
    const char *method;
    const char *pattern;
    const char *path;
    const char *body;
    long expect[P_COUNT];
};

/*                              none case  case  coord coord anal  audit admin
 *                                   own   other own   other                   */
#define PUBLIC(st)                                                                                 \
    {                                                                                              \
        st, st, st, st, st, st, st, st                                                             \
    }
#define PERSONAL(st)                                                                               \
    {                                                                                              \
        401, st, st, st, st, 403, 403, 403                                                         \
    }
#define PERSONAL_AUDITOR(st)                                                                       \
    {                                                                                              \
        401, st, st, st, st, 403, st, 403                                                          \
    }
#define COORDINATOR_ONLY(st)                                                                       \
    {                                                                                              \
        401, 403, 403, st, st, 403, 403, 403                                                       \
    }
#define AUDITOR_ONLY(st)                                                                           \
    {                                                                                              \
        401, 403, 403, 403, 403, 403, st, 403                                                      \
    }
#define ANALYST_ONLY(st)                                                                           \
    {                                                                                              \
        401, 403, 403, 403, 403, st, 403, 403                                                      \
    }
#define ADMIN_ONLY(st)                                                                             \
    {                                                                                              \
        401, 403, 403, 403, 403, 403, 403, st                                                      \
    }
#define EVERY_ROLE(st)                                                                             \
    {                                                                                              \
        401, st, st, st, st, st, st, st                                                            \
    }

static const struct row rows[] = {
    {"GET", "/healthz", "/healthz", NULL, PUBLIC(200)},
    {"GET", "/readyz", "/readyz", NULL, PUBLIC(200)},
    {"GET", "/metrics", "/metrics", NULL, PUBLIC(200)},
    {"GET", "/v1/openapi.yaml", "/v1/openapi.yaml", NULL, PUBLIC(200)},
    {"GET", "/v1/citizens/{cpr}", "/v1/citizens/" CPR, NULL, PERSONAL(200)},
    {"GET", "/v1/citizens/{cpr}/overview", "/v1/citizens/" CPR "/overview", NULL, PERSONAL(200)},
    {"GET", "/v1/citizens/{cpr}/overview/stream", "/v1/citizens/" CPR "/overview/stream", NULL,
     PERSONAL(200)},
    {"GET", "/v1/citizens/{cpr}/cases", "/v1/citizens/" CPR "/cases", NULL, PERSONAL(200)},
    {"GET", "/v1/citizens/{cpr}/timeline", "/v1/citizens/" CPR "/timeline", NULL, PERSONAL(200)},
    {"GET", "/v1/citizens/{cpr}/recommendations", "/v1/citizens/" CPR "/recommendations", NULL,
     PERSONAL(200)},
    {"POST", "/v1/citizens/{cpr}/consents", "/v1/citizens/" CPR "/consents", CONSENT,
     PERSONAL(201)},
    {"GET", "/v1/citizens/{cpr}/consents", "/v1/citizens/" CPR "/consents", NULL, PERSONAL(200)},
    {"GET", "/v1/consents/{id}", "/v1/consents/{consent}", NULL, PERSONAL(200)},
    {"POST", "/v1/consents/{id}/withdraw", "/v1/consents/{consent}/withdraw", REASON,
     PERSONAL(200)},
    {"POST", "/v1/citizens/{cpr}/blocks", "/v1/citizens/" CPR "/blocks", BLOCK, PERSONAL(201)},
    {"GET", "/v1/citizens/{cpr}/blocks", "/v1/citizens/" CPR "/blocks", NULL, PERSONAL(200)},
    {"GET", "/v1/blocks/{id}", "/v1/blocks/{block}", NULL, PERSONAL(200)},
    {"POST", "/v1/blocks/{id}/withdraw", "/v1/blocks/{block}/withdraw", REASON, PERSONAL(200)},
    {"POST", "/v1/citizens/{cpr}/overrides", "/v1/citizens/" CPR "/overrides", GLASS,
     COORDINATOR_ONLY(201)},
    {"GET", "/v1/citizens/{cpr}/overrides", "/v1/citizens/" CPR "/overrides", NULL,
     PERSONAL_AUDITOR(200)},
    {"GET", "/v1/citizens/{cpr}/access-log", "/v1/citizens/" CPR "/access-log", NULL,
     PERSONAL_AUDITOR(200)},
    {"POST", "/v1/target-group/searches", "/v1/target-group/searches", "{}", ANALYST_ONLY(200)},
    {"GET", "/v1/audit", "/v1/audit", NULL, AUDITOR_ONLY(200)},
    {"GET", "/v1/audit/verify", "/v1/audit/verify", NULL, AUDITOR_ONLY(200)},
    {"GET", "/v1/sources", "/v1/sources", NULL, EVERY_ROLE(200)},
    {"GET", "/v1/me", "/v1/me", NULL, EVERY_ROLE(200)},
    {"GET", "/v1/clients", "/v1/clients", NULL, ADMIN_ONLY(200)},
    {"POST", "/v1/clients", "/v1/clients", CLIENT, ADMIN_ONLY(201)},
    {"GET", "/v1/clients/{id}", "/v1/clients/{client}", NULL, ADMIN_ONLY(200)},
    {"POST", "/v1/clients/{id}/revoke", "/v1/clients/{client}/revoke", NULL, ADMIN_ONLY(200)},
};
#define N_ROWS (sizeof rows / sizeof rows[0])

static char *db;
static struct gpt_proc srv;
static char *tokens[P_COUNT];
static char consent_id[24], block_id[24], client_id[24];

static void setup(void)
{
    db = gpt_db_create("itest_matrix");
    char db_env[512];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"migrate", NULL};
    ck_assert_int_eq(gpt_glasplade(args, env, NULL, NULL), 0);
    tokens[P_NONE] = NULL;
    tokens[P_CASE_OWN] = gpt_token(db, "caseworker", "job_centre");
    tokens[P_CASE_OTHER] = gpt_token(db, "caseworker", "social_services");
    tokens[P_COORD_OWN] = gpt_token(db, "coordinator", "job_centre");
    tokens[P_COORD_OTHER] = gpt_token(db, "coordinator", "social_services");
    tokens[P_ANALYST] = gpt_token(db, "analyst", NULL);
    tokens[P_AUDITOR] = gpt_token(db, "auditor", NULL);
    tokens[P_ADMIN] = gpt_token(db, "admin", NULL);
    gpt_server_start(&srv, db, NULL);

    /* What the {id} routes work on: recorded by the own department's caseworker. */
    struct gpt_resp r;
    struct gpt_req q = {.method = "POST",
                        .path = "/v1/citizens/" CPR "/consents",
                        .route = "/v1/citizens/{cpr}/consents",
                        .token = tokens[P_CASE_OWN],
                        .body = CONSENT,
                        .content_type = "application/json"};
    gpt_http(srv.port, &q, &r);
    ck_assert_int_eq(r.status, 201);
    snprintf(consent_id, sizeof consent_id, "%lld",
             (long long)json_integer_value(json_object_get(r.json, "id")));
    gpt_resp_free(&r);
    q.path = "/v1/citizens/" CPR "/blocks";
    q.route = "/v1/citizens/{cpr}/blocks";
    q.body = BLOCK;
    gpt_http(srv.port, &q, &r);
    ck_assert_int_eq(r.status, 201);
    snprintf(block_id, sizeof block_id, "%lld",
             (long long)json_integer_value(json_object_get(r.json, "id")));
    gpt_resp_free(&r);
    char *spare = gpt_token(db, "analyst", NULL); /* the client the revoke route revokes */
    free(spare);
    char *id = gpt_db_scalar(db, "SELECT max(id) FROM api_client");
    snprintf(client_id, sizeof client_id, "%s", id);
    free(id);
}

static void teardown(void)
{
    if (srv.pid > 0)
        ck_assert_int_eq(gpt_proc_stop(&srv, SIGTERM), 0);
    for (int p = 0; p < P_COUNT; p++)
        free(tokens[p]);
}

static const struct row *row_for(const struct gp_route *route)
{
    for (size_t i = 0; i < N_ROWS; i++) {
        if (!strcmp(rows[i].method, route->method) && !strcmp(rows[i].pattern, route->pattern))
            return &rows[i];
    }
    return NULL;
}

/* The table covers the server's routes exactly, and agrees with their role masks: a row says
 * 401/403 exactly where the routing table lets the caller's role in or not. */
START_TEST(table_names_every_route)
{
    size_t n = gp_router_count(gp_routes);
    for (size_t i = 0; i < n; i++) {
        const struct gp_route *route = &gp_routes[i];
        const struct row *row = row_for(route);
        ck_assert_msg(row != NULL,
                      "route %s %s has no row in itest_matrix.c: add the status each role gets",
                      route->method, route->pattern);
        for (int p = 0; p < P_COUNT; p++) {
            bool allowed = !route->roles || (principal_roles[p] & route->roles);
            long st = row->expect[p];
            if (allowed)
                ck_assert_msg(st != 401 && st != 403,
                              "%s %s: the routing table lets %s in, the matrix expects %ld",
                              route->method, route->pattern, principal_names[p], st);
            else
                ck_assert_msg(st == (p == P_NONE ? 401 : 403),
                              "%s %s: the routing table keeps %s out, the matrix expects %ld",
                              route->method, route->pattern, principal_names[p], st);
        }
    }
    for (size_t k = 0; k < N_ROWS; k++) {
        bool found = false;
        for (size_t i = 0; i < n; i++)
            found |= !strcmp(rows[k].method, gp_routes[i].method) &&
                     !strcmp(rows[k].pattern, gp_routes[i].pattern);
        ck_assert_msg(found, "matrix row %s %s names no route of the server", rows[k].method,
                      rows[k].pattern);
    }
    ck_assert_int_eq(N_ROWS, n);
}
END_TEST

static void expand(const char *tmpl, char *out, size_t len)
{
    static const struct {
        const char *key;
        const char *value;
    } subst[] = {{"{consent}", consent_id}, {"{block}", block_id}, {"{client}", client_id}};
    size_t o = 0;
    for (const char *t = tmpl; *t && o + 1 < len;) {
        bool done = false;
        for (size_t k = 0; k < 3 && !done; k++) {
            size_t kl = strlen(subst[k].key);
            if (!strncmp(t, subst[k].key, kl)) {
                o += (size_t)snprintf(out + o, len - o, "%s", subst[k].value);
                t += kl;
                done = true;
            }
        }
        if (!done)
            out[o++] = *t++;
    }
    out[o < len ? o : len - 1] = '\0';
}

/* One cell: route _i / P_COUNT, principal _i % P_COUNT. */
START_TEST(cell)
{
    const struct row *row = &rows[(size_t)_i / P_COUNT];
    int p = _i % P_COUNT;
    char path[256];
    expand(row->path, path, sizeof path);
    struct gpt_resp r;
    struct gpt_req q = {.method = row->method,
                        .path = path,
                        .route = row->pattern,
                        .token = tokens[p],
                        .body = row->body,
                        .content_type = row->body ? "application/json" : NULL};
    gpt_http(srv.port, &q, &r);
    ck_assert_msg(r.status == row->expect[p], "%s %s as %s: %ld, expected %ld; %.300s", row->method,
                  path, principal_names[p], r.status, row->expect[p], r.body);
    if (r.status == 401)
        gpt_assert_problem(&r, 401, "unauthorized");
    if (r.status == 403)
        gpt_assert_problem(&r, 403, "forbidden");
    gpt_resp_free(&r);
}
END_TEST

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("matrix");
    TCase *tc = tcase_create("roles");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, table_names_every_route);
    tcase_add_loop_test(tc, cell, 0, (int)(N_ROWS * P_COUNT));
    suite_add_tcase(s, tc);
    printf("matrix: %zu routes x %d callers = %zu cells\n", N_ROWS, (int)P_COUNT,
           N_ROWS * (size_t)P_COUNT);
    int rc = gpt_run_suite(s);
    curl_global_cleanup();
    return rc;
}
