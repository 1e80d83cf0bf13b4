/* Roles per endpoint, as one matrix: every route of the routing table (api/routes.c) × every
 * role × own department / restrained department / citizen self, plus no token at all, against
 * the real server; then the same routes × purposes. Each cell is the status the route must
 * answer that caller. The table below must name every route of the server and nothing else,
 * and agree with the roles the routing table gives it: a route added to the server without a
 * row here fails this suite.
 *
 * "Own department" is the job centre, whose caseworker recorded the consent and the block the
 * {id} routes are exercised on; the block is on the family area, so it protects the family
 * department's data and restrains every other department. "Restrained department" is social
 * services: it may read and record (the policy, not the route, decides what it sees), but it
 * may not read what the block says nor lift it; its coordinator may read it (coordinators see
 * what blocks say) but not lift it. The citizen's token is bound to the citizen of every path
 * ("self"), or to someone else ("other"): the latter is 403 everywhere it reaches.
 *
 * RULE cells are 403s a route's owners' rules give a role the route admits (a problem with a
 * "rule" member): the block's content and withdrawal, and the citizen's own CPR. */
#include "api/handlers.h"
#include "api/router.h"
#include "gptest.h"
#include "lib/core/role.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Who calls: no token, then one token per role and department, and the citizen. */
enum principal {
    P_NONE,
    P_CASE_OWN,
    P_CASE_OTHER,
    P_COORD_OWN,
    P_COORD_OTHER,
    P_ANALYST,
    P_AUDITOR,
    P_ADMIN,
    P_CITIZEN_SELF,
    P_CITIZEN_OTHER,
    P_COUNT
};

static const char *const principal_names[P_COUNT] = {"no token",
                                                     "caseworker (own department)",
                                                     "caseworker (restrained department)",
                                                     "coordinator (own department)",
                                                     "coordinator (restrained department)",
                                                     "analyst",
                                                     "auditor",
                                                     "admin",
                                                     "citizen (self)",
                                                     "citizen (someone else)"};

/* The role each principal has (GP_ROLE_NONE: no token). */
static const enum gp_role principal_roles[P_COUNT] = {
    GP_ROLE_NONE,        GP_ROLE_CASEWORKER, GP_ROLE_CASEWORKER, GP_ROLE_COORDINATOR,
    GP_ROLE_COORDINATOR, GP_ROLE_ANALYST,    GP_ROLE_AUDITOR,    GP_ROLE_ADMIN,
    GP_ROLE_CITIZEN,     GP_ROLE_CITIZEN};

#define CPR       "1203849318"
#define OTHER_CPR "0101701234"
#define CONSENT                                                                                    \
    "{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\"]},\"form\":\"written\","     \
    "\"evidence_ref\":\"matrix\"}"
#define CONSENT_DIGITAL                                                                            \
    "{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\"]},\"form\":\"digital\"}"
#define BLOCK  "{\"scope\":{\"kind\":\"area\",\"value\":\"family\"}}"
#define REASON "{\"reason\":\"matrix\"}"
#define GLASS  "{\"reason_code\":\"acute_risk\",\"note\":\"matrix\",\"minutes\":1}"
#define CLIENT "{\"role\":\"analyst\",\"name\":\"matrix\"}"

/* A 403 by an owner's rule (or the citizen's own CPR) for a role the route admits. */
#define RULE 1403

/* One row per route. In path, {consent}, {block}, {client} and {approved} stand for ids created
 * in setup.
 * expect[p] is the status for principal p; citizen_body, when set, is what citizens send
 * instead of body (their own consent is digital). */
struct row {
    const char *method;
    const char *pattern;
    const char *path;
    const char *body;
    long expect[P_COUNT];
    const char *citizen_body;
};

/*                              none case  case  coord coord anal  audit admin cit.  cit.
 *                                   own   restr own   restr                   self  other */
#define PUBLIC(st)                                                                                 \
    {                                                                                              \
        st, st, st, st, st, st, st, st, st, st                                                     \
    }
#define PERSONAL(st)                                                                               \
    {                                                                                              \
        401, st, st, st, st, 403, 403, 403, 403, 403                                               \
    }
#define OWN(st)                                                                                    \
    {                                                                                              \
        401, st, st, st, st, 403, 403, 403, st, RULE                                               \
    }
#define OWN_AUDITOR(st)                                                                            \
    {                                                                                              \
        401, st, st, st, st, 403, st, 403, st, RULE                                                \
    }
#define COORDINATOR_ONLY(st)                                                                       \
    {                                                                                              \
        401, 403, 403, st, st, 403, 403, 403, 403, 403                                             \
    }
#define AUDITOR_ONLY(st)                                                                           \
    {                                                                                              \
        401, 403, 403, 403, 403, 403, st, 403, 403, 403                                            \
    }
#define ANALYST_ONLY(st)                                                                           \
    {                                                                                              \
        401, 403, 403, 403, 403, st, 403, 403, 403, 403                                            \
    }
#define ADMIN_ONLY(st)                                                                             \
    {                                                                                              \
        401, 403, 403, 403, 403, 403, 403, st, 403, 403                                            \
    }
#define STAFF(st)                                                                                  \
    {                                                                                              \
        401, st, st, st, st, st, st, st, 403, 403                                                  \
    }
/* Every caller with a token, citizens too (a route about the caller, not a citizen). */
#define EVERY_ROLE_ME(st)                                                                          \
    {                                                                                              \
        401, st, st, st, st, st, st, st, st, st                                                    \
    }
/* What a block says: its recording department, coordinators, auditors, the citizen. */
#define BLOCK_READ                                                                                 \
    {                                                                                              \
        401, 200, RULE, 200, 200, 403, 200, 403, 200, RULE                                         \
    }
/* Who lifts it: the recording department, the citizen (a coordinator only of a department it
 * does not restrain: none here). */
#define BLOCK_LIFT                                                                                 \
    {                                                                                              \
        401, 200, RULE, 200, RULE, 403, 403, 403, 200, RULE                                        \
    }

static const struct row rows[] = {
    {"GET", "/healthz", "/healthz", NULL, PUBLIC(200), NULL},
    {"GET", "/readyz", "/readyz", NULL, PUBLIC(200), NULL},
    {"GET", "/metrics", "/metrics", NULL, PUBLIC(200), NULL},
    {"GET", "/v1/openapi.yaml", "/v1/openapi.yaml", NULL, PUBLIC(200), NULL},
    {"GET", "/v1/citizens/{cpr}", "/v1/citizens/" CPR, NULL, OWN(200), NULL},
    {"GET", "/v1/citizens/{cpr}/overview", "/v1/citizens/" CPR "/overview", NULL, OWN(200), NULL},
    {"GET", "/v1/citizens/{cpr}/overview/stream", "/v1/citizens/" CPR "/overview/stream", NULL,
     OWN(200), NULL},
    {"GET", "/v1/citizens/{cpr}/cases", "/v1/citizens/" CPR "/cases", NULL, OWN(200), NULL},
    {"GET", "/v1/citizens/{cpr}/timeline", "/v1/citizens/" CPR "/timeline", NULL, OWN(200), NULL},
    {"GET", "/v1/citizens/{cpr}/recommendations", "/v1/citizens/" CPR "/recommendations", NULL,
     PERSONAL(200), NULL},
    {"POST", "/v1/citizens/{cpr}/consents", "/v1/citizens/" CPR "/consents", CONSENT, OWN(201),
     CONSENT_DIGITAL},
    {"GET", "/v1/citizens/{cpr}/consents", "/v1/citizens/" CPR "/consents", NULL, OWN_AUDITOR(200),
     NULL},
    {"GET", "/v1/consents/{id}", "/v1/consents/{consent}", NULL, OWN_AUDITOR(200), NULL},
    {"POST", "/v1/consents/{id}/withdraw", "/v1/consents/{consent}/withdraw", REASON, OWN(200),
     NULL},
    {"POST", "/v1/citizens/{cpr}/blocks", "/v1/citizens/" CPR "/blocks", BLOCK, OWN(201), NULL},
    {"GET", "/v1/citizens/{cpr}/blocks", "/v1/citizens/" CPR "/blocks", NULL, OWN_AUDITOR(200),
     NULL},
    {"GET", "/v1/blocks/{id}", "/v1/blocks/{block}", NULL, BLOCK_READ, NULL},
    {"POST", "/v1/blocks/{id}/withdraw", "/v1/blocks/{block}/withdraw", REASON, BLOCK_LIFT, NULL},
    {"POST", "/v1/citizens/{cpr}/overrides", "/v1/citizens/" CPR "/overrides", GLASS,
     COORDINATOR_ONLY(201), NULL},
    {"GET", "/v1/citizens/{cpr}/overrides", "/v1/citizens/" CPR "/overrides", NULL,
     OWN_AUDITOR(200), NULL},
    {"GET", "/v1/citizens/{cpr}/access-log", "/v1/citizens/" CPR "/access-log", NULL,
     OWN_AUDITOR(200), NULL},
    {"POST", "/v1/target-group/searches", "/v1/target-group/searches", "{}", ANALYST_ONLY(200),
     NULL},
    {"GET", "/v1/audit", "/v1/audit", NULL, AUDITOR_ONLY(200), NULL},
    {"GET", "/v1/audit/verify", "/v1/audit/verify", NULL, AUDITOR_ONLY(200), NULL},
    {"GET", "/v1/sources", "/v1/sources", NULL, STAFF(200), NULL},
    {"GET", "/v1/me", "/v1/me", NULL, EVERY_ROLE_ME(200), NULL},
    {"GET", "/v1/clients", "/v1/clients", NULL, ADMIN_ONLY(200), NULL},
    {"POST", "/v1/clients", "/v1/clients", CLIENT, ADMIN_ONLY(201), NULL},
    {"GET", "/v1/clients/{id}", "/v1/clients/{client}", NULL, ADMIN_ONLY(200), NULL},
    /* A client made on the command line: approved already, nothing changes. */
    {"POST", "/v1/clients/{id}/approve", "/v1/clients/{approved}/approve", NULL, ADMIN_ONLY(200),
     NULL},
    {"POST", "/v1/clients/{id}/revoke", "/v1/clients/{client}/revoke", NULL, ADMIN_ONLY(200), NULL},
};
#define N_ROWS (sizeof rows / sizeof rows[0])

static char *db;
static struct gpt_proc srv;
static char *tokens[P_COUNT];
static char consent_id[40], block_id[40], client_id[24], approved_id[24];

static char *citizen_token(const char *cpr)
{
    char db_env[512];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"token",          "create", "--role", "citizen", "--name",
                          "matrix citizen", "--cpr",  cpr,      NULL};
    char *out = NULL;
    ck_assert_int_eq(gpt_glasplade(args, env, &out, NULL), 0);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

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
    tokens[P_CITIZEN_SELF] = citizen_token(CPR);
    tokens[P_CITIZEN_OTHER] = citizen_token(OTHER_CPR);
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
    snprintf(consent_id, sizeof consent_id, "%s", json_string_value(json_object_get(r.json, "id")));
    gpt_resp_free(&r);
    q.path = "/v1/citizens/" CPR "/blocks";
    q.route = "/v1/citizens/{cpr}/blocks";
    q.body = BLOCK;
    gpt_http(srv.port, &q, &r);
    ck_assert_int_eq(r.status, 201);
    snprintf(block_id, sizeof block_id, "%s", json_string_value(json_object_get(r.json, "id")));
    gpt_resp_free(&r);
    char *spare = gpt_token(db, "analyst", NULL); /* the client the approve route approves */
    free(spare);
    char *approved = gpt_db_scalar(db, "SELECT max(id) FROM api_client");
    snprintf(approved_id, sizeof approved_id, "%s", approved);
    free(approved);
    spare = gpt_token(db, "analyst", NULL); /* the client the revoke route revokes */
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
/* Every row of role_purpose names a route of the server that admits that role. */
START_TEST(purposes_name_routes_their_roles_reach)
{
    char *list = gpt_db_scalar(db, "SELECT string_agg(role || ' ' || route, E'\\n')"
                                   " FROM role_purpose");
    ck_assert_ptr_nonnull(list);
    size_t n = gp_router_count(gp_routes), rows_seen = 0;
    for (char *line = strtok(list, "\n"); line; line = strtok(NULL, "\n")) {
        char role[32], method[8], pattern[128];
        ck_assert_int_eq(sscanf(line, "%31s %7s %127s", role, method, pattern), 3);
        bool found = false;
        for (size_t i = 0; i < n; i++)
            found |= !strcmp(gp_routes[i].method, method) &&
                     !strcmp(gp_routes[i].pattern, pattern) &&
                     (gp_routes[i].roles & (unsigned)gp_role_parse(role));
        ck_assert_msg(found, "role_purpose: %s claims a purpose on %s %s, which it cannot reach",
                      role, method, pattern);
        rows_seen++;
    }
    ck_assert_uint_gt(rows_seen, 0);
    free(list);
}
END_TEST

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
                              "%s %s: the routing table lets %s in, the matrix expects %ld "
                              "(a rule's refusal is RULE)",
                              route->method, route->pattern, principal_names[p], st);
            else
                ck_assert_msg(st != RULE, "%s %s: the routing table keeps %s out: no RULE",
                              route->method, route->pattern, principal_names[p]);
            if (!allowed)
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
    } subst[] = {{"{consent}", consent_id},
                 {"{block}", block_id},
                 {"{client}", client_id},
                 {"{approved}", approved_id}};
    size_t o = 0;
    for (const char *t = tmpl; *t && o + 1 < len;) {
        bool done = false;
        for (size_t k = 0; k < sizeof subst / sizeof subst[0] && !done; k++) {
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

/* Calls row's route as principal p with the extra header (or none); returns the status and
 * checks the problem's type for 401 and 403, and the "rule" member of a RULE. */
static long call_row(const struct row *row, int p, const char *header, long want)
{
    char path[256];
    expand(row->path, path, sizeof path);
    bool citizen = principal_roles[p] == GP_ROLE_CITIZEN;
    const char *body = citizen && row->citizen_body ? row->citizen_body : row->body;
    const char *headers[] = {header, NULL};
    struct gpt_resp r;
    struct gpt_req q = {.method = row->method,
                        .path = path,
                        .route = row->pattern,
                        .token = tokens[p],
                        .body = body,
                        .content_type = body ? "application/json" : NULL,
                        .headers = header ? headers : NULL};
    gpt_http(srv.port, &q, &r);
    long st = want == RULE ? 403 : want;
    ck_assert_msg(r.status == st, "%s %s as %s%s%s: %ld, expected %ld; %.300s", row->method, path,
                  principal_names[p], header ? " with " : "", header ? header : "", r.status, st,
                  r.body);
    if (r.status == 401)
        gpt_assert_problem(&r, 401, "unauthorized");
    if (r.status == 403)
        gpt_assert_problem(&r, 403, "forbidden");
    if (want == RULE)
        ck_assert_msg(json_is_string(json_object_get(r.json, "rule")),
                      "%s %s as %s: a 403 by a rule names it: %s", row->method, path,
                      principal_names[p], r.body);
    long got = r.status;
    gpt_resp_free(&r);
    return got;
}

/* One cell: route _i / P_COUNT, principal _i % P_COUNT, with the token's default purpose. */
START_TEST(cell)
{
    const struct row *row = &rows[(size_t)_i / P_COUNT];
    int p = _i % P_COUNT;
    call_row(row, p, NULL, row->expect[p]);
}
END_TEST

/* ---- purposes ---- */

/* The purposes stated in X-Purpose on every route, by every caller. Which purposes a role may
 * claim where is data (table role_purpose, migration 0016); this is what it must say, written
 * as the rules it was seeded with:
 *  - caseworkers and coordinators claim rehabilitation, coordinated_effort and own_case on
 *    every personal-data route they reach: the answer is the cell's above;
 *  - target_group_identification is the analysts', on the CPR list only: anyone else stating
 *    it on a route they reach is 403 naming purpose;
 *  - auditors and citizens claim none: stating one is 403 naming purpose;
 *  - routes without a citizen's data (health, sources, clients, the audit log) take no
 *    purpose: an X-Purpose header changes nothing there. */
static const char *const purposes[] = {"target_group_identification", "own_case",
                                       "coordinated_effort"};
#define N_PURPOSES 3

static bool takes_purpose(const struct row *row)
{
    return !strncmp(row->pattern, "/v1/citizens/", 13) ||
           !strncmp(row->pattern, "/v1/consents/", 13) ||
           !strncmp(row->pattern, "/v1/blocks/", 11) ||
           !strcmp(row->pattern, "/v1/target-group/searches");
}

static long purpose_expect(const struct row *row, int p, const char *purpose)
{
    long base = row->expect[p];
    if (base == 401 || (base == 403 && p != P_NONE) || !takes_purpose(row))
        return base;
    enum gp_role role = principal_roles[p];
    bool tgi = !strcmp(purpose, "target_group_identification");
    if (role == GP_ROLE_ANALYST)
        return tgi ? base : 403;
    /* A citizen's {cpr} is checked before the purpose, a row's citizen (an {id}) after. */
    if (role == GP_ROLE_CITIZEN && base == RULE && strstr(row->pattern, "{cpr}"))
        return RULE;
    if (role == GP_ROLE_AUDITOR || role == GP_ROLE_CITIZEN)
        return 403;
    return tgi ? 403 : base; /* caseworker, coordinator */
}

/* One cell: route _i / (P_COUNT * N_PURPOSES), then principal, then purpose. */
START_TEST(purpose_cell)
{
    const struct row *row = &rows[(size_t)_i / (P_COUNT * N_PURPOSES)];
    int p = (_i / N_PURPOSES) % P_COUNT;
    const char *purpose = purposes[_i % N_PURPOSES];
    long want = purpose_expect(row, p, purpose);
    char header[96];
    snprintf(header, sizeof header, "X-Purpose: %s", purpose);
    call_row(row, p, header, want);
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
    tcase_add_test(tc, purposes_name_routes_their_roles_reach);
    tcase_add_loop_test(tc, cell, 0, (int)(N_ROWS * P_COUNT));
    tcase_add_loop_test(tc, purpose_cell, 0, (int)(N_ROWS * P_COUNT * N_PURPOSES));
    suite_add_tcase(s, tc);
    printf("matrix: %zu routes x %d callers = %zu cells, x %d purposes = %zu more\n", N_ROWS,
           (int)P_COUNT, N_ROWS * (size_t)P_COUNT, N_PURPOSES,
           N_ROWS * (size_t)P_COUNT * N_PURPOSES);
    int rc = gpt_run_suite(s);
    curl_global_cleanup();
    return rc;
}
