/* Lawful sharing, second pass (issue 13): the four reproductions of the issue, each as it was
 * tried against main, and the citizen's own view, against the real server and PostgreSQL.
 *
 *  1. A caseworker cannot lift the block that restrains them; an oral consent needs a note and
 *     is flagged when the department it opens recorded it.
 *  2. An admin cannot mint a working personal-data token alone (four eyes), every client change
 *     is an audit row naming the actor, and tokens expire.
 *  3. A purpose belongs to roles and routes: target_group_identification opens nothing on a
 *     single citizen.
 *  4. What a block or an override says is seen only by those the rule is for; ids are not
 *     sequential.
 *
 * Records are put in the index directly (their source disabled), so every read answers from
 * the index alone. Ids are taken from the Location header, never computed. */
#include "gptest.h"

#include <ctype.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MIA   "0101701234" /* the citizen of every story here */
#define OTHER "0202702345" /* someone else */

static char *db;
static struct gpt_proc srv;
static char *tok_job, *tok_social, *tok_coord_job, *tok_coord_family, *tok_auditor, *tok_admin,
    *tok_admin2, *tok_analyst;

static void sql_ok(const char *sql, int rows)
{
    ck_assert_int_eq(gpt_db_exec(db, sql), rows);
}

static void setup(void)
{
    db = gpt_db_create("itest_lawful");
    char db_env[512];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"migrate", NULL};
    ck_assert_int_eq(gpt_glasplade(args, env, NULL, NULL), 0);
    sql_ok("INSERT INTO source (id, kind, department, base_url, enabled) VALUES"
           " ('social', 'sensum', 'social_services', 'http://127.0.0.1:9', false),"
           " ('jobcentre', 'momentum', 'job_centre', 'http://127.0.0.1:9', false)",
           2);
    /* Mia's substance-abuse treatment in social services, and her job-centre case. */
    sql_ok("INSERT INTO record (cpr, source_id, source_ref, area, department, case_type,"
           " legal_basis, data_type, kind, title, status, start_date, caseworker_name,"
           " sensitivity, fetched_at)"
           " SELECT '" MIA "', 'social', 'misbrug-1', t.area, 'social_services', t.code,"
           " t.legal_basis, 'case_summary', 'case', 'Misbrugsbehandling-Mia-x9', 'open',"
           " '2026-01-05'::date, 'Rikke Social', t.sensitivity, now() FROM case_type_current t"
           " WHERE t.code = 'misbrugsbehandling'"
           " UNION ALL SELECT '" MIA "', 'jobcentre', 'jc-1', t.area, 'job_centre', t.code,"
           " t.legal_basis, 'case_summary', 'case', 'Kontanthjaelp-Mia-x9', 'open', "
           "'2025-03-01'::date,"
           " 'Jonas Job', t.sensitivity, now() FROM case_type_current t"
           " WHERE t.code = 'kontanthjaelp'",
           2);
    tok_job = gpt_token(db, "caseworker", "job_centre");
    tok_social = gpt_token(db, "caseworker", "social_services");
    tok_coord_job = gpt_token(db, "coordinator", "job_centre");
    tok_coord_family = gpt_token(db, "coordinator", "family");
    tok_auditor = gpt_token(db, "auditor", NULL);
    tok_admin = gpt_token(db, "admin", NULL);
    tok_admin2 = gpt_token(db, "admin", NULL);
    tok_analyst = gpt_token_purpose(db, "analyst", NULL, NULL);
    gpt_server_start(&srv, db, NULL);
}

static void teardown(void)
{
    if (srv.pid > 0)
        ck_assert_int_eq(gpt_proc_stop(&srv, SIGTERM), 0);
}

/* ---- HTTP ---- */

static long call(const char *method, const char *path, const char *route, const char *token,
                 const char *body, const char *const *headers, struct gpt_resp *r)
{
    struct gpt_req q = {.method = method,
                        .path = path,
                        .route = route,
                        .token = token,
                        .body = body,
                        .content_type = body ? "application/json" : NULL,
                        .headers = headers};
    gpt_http(srv.port, &q, r);
    return r->status;
}

/* The Location of a 201 into loc. */
static void location(const struct gpt_resp *r, char *loc, size_t len)
{
    ck_assert_msg(r->status == 201, "%ld %s", r->status, r->body);
    ck_assert_ptr_nonnull(gpt_header(r, "Location", loc, len));
}

static const char *str(json_t *o, const char *key)
{
    const char *s = json_string_value(json_object_get(o, key));
    return s ? s : "";
}

/* The area's visibility in an overview, "absent" when the area is not in it. */
static const char *visibility(json_t *body, const char *area)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(body, "areas"), i, a)
    {
        if (!strcmp(str(a, "area"), area))
            return str(a, "visibility");
    }
    return "absent";
}

static void overview(const char *cpr, const char *token, struct gpt_resp *r)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/citizens/%s/overview?refresh=never", cpr);
    ck_assert_int_eq(call("GET", path, "/v1/citizens/{cpr}/overview", token, NULL, NULL, r), 200);
}

/* The problem's errors[] fields, comma-separated. */
static void error_fields(const struct gpt_resp *r, char *out, size_t len)
{
    size_t i, o = 0;
    json_t *e;
    out[0] = '\0';
    json_array_foreach(json_object_get(r->json, "errors"), i, e) o +=
        (size_t)snprintf(out + o, len - o, "%s%s", o ? "," : "", str(e, "field"));
}

/* The number of audit rows matching where. */
static long audit_count(const char *where)
{
    char sql[1024];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log WHERE %s", where);
    char *n = gpt_db_scalar(db, sql);
    long v = n ? strtol(n, NULL, 10) : -1;
    free(n);
    return v;
}

/* ---- 1. who may lift a block; consent that benefits the recorder ---- */

START_TEST(restrained_department_cannot_lift_a_block)
{
    struct gpt_resp r;
    char block[160], path[200];
    /* Social services records Mia's block on her social data. */
    call("POST", "/v1/citizens/" MIA "/blocks", "/v1/citizens/{cpr}/blocks", tok_social,
         "{\"scope\":{\"kind\":\"area\",\"value\":\"social\"},\"reason\":\"Mia asked\"}", NULL, &r);
    location(&r, block, sizeof block);
    gpt_resp_free(&r);
    snprintf(path, sizeof path, "%s/withdraw", block);

    /* The job centre, which the block restrains, cannot lift it; nor can its coordinator. */
    const char *const restrained[] = {tok_job, tok_coord_job};
    for (size_t i = 0; i < 2; i++) {
        ck_assert_int_eq(call("POST", path, "/v1/blocks/{id}/withdraw", restrained[i],
                              "{\"reason\":\"I need to see it\"}", NULL, &r),
                         403);
        gpt_assert_problem(&r, 403, "forbidden");
        ck_assert_str_eq(str(r.json, "rule"), "block_withdrawal");
        gpt_resp_free(&r);
    }
    /* Each refused attempt is audited, and shows in Mia's access log. */
    ck_assert_int_eq(audit_count("action = 'block' AND details->>'refused' = 'true'"), 2);
    ck_assert_int_eq(call("GET", block, "/v1/blocks/{id}", tok_social, NULL, NULL, &r), 200);
    ck_assert_str_eq(str(r.json, "status"), "active");
    gpt_resp_free(&r);

    /* The same caseworker records an oral consent for their own department: a note is
     * required, and the validity is capped (30 days by default). */
    const char *oral = "{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\"]},"
                       "\"form\":\"oral\"}";
    ck_assert_int_eq(call("POST", "/v1/citizens/" MIA "/consents", "/v1/citizens/{cpr}/consents",
                          tok_job, oral, NULL, &r),
                     400);
    char fields[256];
    error_fields(&r, fields, sizeof fields);
    ck_assert_str_eq(fields, "note");
    gpt_resp_free(&r);
    ck_assert_int_eq(call("POST", "/v1/citizens/" MIA "/consents", "/v1/citizens/{cpr}/consents",
                          tok_job,
                          "{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\"]},"
                          "\"form\":\"oral\",\"note\":\"by phone\",\"valid_from\":\"2026-01-01\","
                          "\"valid_until\":\"2026-03-01\"}",
                          NULL, &r),
                     422);
    error_fields(&r, fields, sizeof fields);
    ck_assert_str_eq(fields, "valid_until");
    gpt_resp_free(&r);
    ck_assert_int_eq(call("POST", "/v1/citizens/" MIA "/consents", "/v1/citizens/{cpr}/consents",
                          tok_job,
                          "{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\"]},"
                          "\"form\":\"written\"}",
                          NULL, &r),
                     400);
    error_fields(&r, fields, sizeof fields);
    ck_assert_str_eq(fields, "evidence_ref");
    gpt_resp_free(&r);
    ck_assert_int_eq(call("POST", "/v1/citizens/" MIA "/consents", "/v1/citizens/{cpr}/consents",
                          tok_job,
                          "{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\"]},"
                          "\"form\":\"oral\",\"note\":\"Mia agreed by phone, 10:14\"}",
                          NULL, &r),
                     201);
    ck_assert(json_is_true(json_object_get(r.json, "recorder_benefits")));
    ck_assert(json_is_string(json_object_get(r.json, "valid_until")));
    gpt_resp_free(&r);

    /* The block still wins: the job centre does not read the treatment, no override used. */
    overview(MIA, tok_job, &r);
    ck_assert_str_eq(visibility(r.json, "social"), "absent");
    ck_assert_ptr_null(strstr(r.body, "Misbrugsbehandling-Mia-x9"));
    gpt_resp_free(&r);
    ck_assert_int_eq(audit_count("override_used"), 0);

    /* The data-protection officer lists the consents a department recorded for itself. */
    ck_assert_int_eq(call("GET", "/v1/audit?action=consent&recorder_benefits=true", "/v1/audit",
                          tok_auditor, NULL, NULL, &r),
                     200);
    json_t *entries = json_object_get(r.json, "entries");
    ck_assert_uint_eq(json_array_size(entries), 1);
    ck_assert_str_eq(str(json_array_get(entries, 0), "department"), "job_centre");
    gpt_resp_free(&r);

    /* The recording department lifts it: its own audit row, shown in the access log. */
    ck_assert_int_eq(call("POST", path, "/v1/blocks/{id}/withdraw", tok_social,
                          "{\"reason\":\"Mia changed her mind\"}", NULL, &r),
                     200);
    ck_assert_str_eq(str(r.json, "status"), "withdrawn");
    gpt_resp_free(&r);
    ck_assert_int_eq(call("GET", "/v1/citizens/" MIA "/access-log?limit=50",
                          "/v1/citizens/{cpr}/access-log", tok_auditor, NULL, NULL, &r),
                     200);
    size_t i, lifted = 0, flagged = 0, refused = 0;
    json_t *e;
    json_array_foreach(json_object_get(r.json, "entries"), i, e)
    {
        if (!strcmp(str(e, "action"), "block") && !strcmp(str(e, "op"), "withdraw")) {
            if (json_is_true(json_object_get(e, "refused")))
                refused++;
            else
                lifted++;
        }
        flagged += json_is_true(json_object_get(e, "recorder_benefits"));
    }
    ck_assert_uint_eq(lifted, 1);
    ck_assert_uint_eq(refused, 2);
    ck_assert_uint_eq(flagged, 1);
    gpt_resp_free(&r);
}
END_TEST

/* A block the job centre recorded on the case type misbrugsbehandling protects social services'
 * data. The family coordinator is restrained by it, and a social-services caseworker is neither
 * its recorder nor a coordinator: both are refused. The social-services coordinator, whose
 * department holds what it protects, may lift it. */
START_TEST(coordinator_of_the_protected_department_may_lift)
{
    struct gpt_resp r;
    char block[160], path[200];
    char *tok_coord_social = gpt_token(db, "coordinator", "social_services");
    call("POST", "/v1/citizens/" MIA "/blocks", "/v1/citizens/{cpr}/blocks", tok_job,
         "{\"scope\":{\"kind\":\"case_type\",\"value\":\"misbrugsbehandling\"}}", NULL, &r);
    location(&r, block, sizeof block);
    gpt_resp_free(&r);
    snprintf(path, sizeof path, "%s/withdraw", block);
    ck_assert_int_eq(call("POST", path, "/v1/blocks/{id}/withdraw", tok_coord_family,
                          "{\"reason\":\"x\"}", NULL, &r),
                     403);
    gpt_resp_free(&r);
    ck_assert_int_eq(
        call("POST", path, "/v1/blocks/{id}/withdraw", tok_social, "{\"reason\":\"x\"}", NULL, &r),
        403);
    gpt_resp_free(&r);
    ck_assert_int_eq(call("POST", path, "/v1/blocks/{id}/withdraw", tok_coord_social,
                          "{\"reason\":\"agreed with Mia\"}", NULL, &r),
                     200);
    gpt_resp_free(&r);
    free(tok_coord_social);
}
END_TEST

/* ---- 2. separation of duties for admins ---- */

static void audit_has_client_row(const char *op, const char *actor_token_owner_sql)
{
    char where[512];
    snprintf(where, sizeof where,
             "action = 'client' AND details->>'op' = '%s' AND client_id = (%s)", op,
             actor_token_owner_sql);
    ck_assert_msg(audit_count(where) >= 1, "no audit row for client %s by its actor", op);
}

START_TEST(admin_cannot_mint_a_personal_token_alone)
{
    struct gpt_resp r;
    char loc[96], path[128];
    ck_assert_int_eq(call("POST", "/v1/clients", "/v1/clients", tok_admin,
                          "{\"role\":\"coordinator\",\"name\":\"Eve\",\"department\":\"family\"}",
                          NULL, &r),
                     201);
    location(&r, loc, sizeof loc);
    char *token = strdup(str(r.json, "token"));
    ck_assert_str_eq(str(r.json, "status"), "pending");
    long long id = (long long)json_integer_value(json_object_get(r.json, "id"));
    gpt_resp_free(&r);

    /* Not approved yet: the token does not work. */
    ck_assert_int_eq(call("GET", "/v1/citizens/" MIA "/overview?refresh=never",
                          "/v1/citizens/{cpr}/overview", token, NULL,
                          (const char *[]){"X-Purpose: own_case", NULL}, &r),
                     401);
    char hdr[256];
    ck_assert_ptr_nonnull(gpt_header(&r, "WWW-Authenticate", hdr, sizeof hdr));
    ck_assert_ptr_nonnull(strstr(hdr, "error=\"invalid_token\""));
    gpt_resp_free(&r);
    ck_assert_int_eq(call("POST", "/v1/citizens/" MIA "/overrides", "/v1/citizens/{cpr}/overrides",
                          token, "{\"reason_code\":\"acute_risk\",\"note\":\"x\"}", NULL, &r),
                     401);
    gpt_resp_free(&r);

    /* The creator cannot approve it; a second admin can. */
    snprintf(path, sizeof path, "%s/approve", loc);
    ck_assert_int_eq(call("POST", path, "/v1/clients/{id}/approve", tok_admin, NULL, NULL, &r),
                     403);
    ck_assert_str_eq(str(r.json, "rule"), "four_eyes");
    gpt_resp_free(&r);
    ck_assert_int_eq(call("POST", path, "/v1/clients/{id}/approve", tok_admin2, NULL, NULL, &r),
                     200);
    ck_assert_str_eq(str(r.json, "status"), "active");
    gpt_resp_free(&r);
    ck_assert_int_eq(call("GET", "/v1/citizens/" MIA "/overview?refresh=never",
                          "/v1/citizens/{cpr}/overview", token, NULL,
                          (const char *[]){"X-Purpose: own_case", NULL}, &r),
                     200);
    gpt_resp_free(&r);

    /* Creation, approval and revocation are audit rows naming their actor. */
    snprintf(path, sizeof path, "%s/revoke", loc);
    ck_assert_int_eq(call("POST", path, "/v1/clients/{id}/revoke", tok_admin, NULL, NULL, &r), 200);
    gpt_resp_free(&r);
    char who[256];
    snprintf(who, sizeof who,
             "SELECT (details->>'client_id')::bigint FROM audit_log WHERE"
             " action = 'client' AND details->>'op' = 'create'"
             " AND details->>'name' = 'Eve'");
    char *created = gpt_db_scalar(db, who);
    ck_assert_ptr_nonnull(created);
    ck_assert_int_eq(strtoll(created, NULL, 10), id);
    free(created);
    audit_has_client_row("create", "SELECT created_by FROM api_client WHERE name = 'Eve'");
    audit_has_client_row("approve", "SELECT approved_by FROM api_client WHERE name = 'Eve'");
    audit_has_client_row("revoke", "SELECT created_by FROM api_client WHERE name = 'Eve'");
    ck_assert_int_eq(
        call("GET", "/v1/audit?action=client", "/v1/audit", tok_auditor, NULL, NULL, &r), 200);
    ck_assert_uint_ge(json_array_size(json_object_get(r.json, "entries")), 3);
    gpt_resp_free(&r);
    ck_assert_int_eq(call("GET", "/v1/citizens/" MIA "/overview?refresh=never",
                          "/v1/citizens/{cpr}/overview", token, NULL,
                          (const char *[]){"X-Purpose: own_case", NULL}, &r),
                     401);
    gpt_resp_free(&r);
    free(token);
}
END_TEST

START_TEST(tokens_expire)
{
    struct gpt_resp r;
    char *token = gpt_token(db, "caseworker", "family");
    ck_assert_int_eq(call("GET", "/v1/citizens/" MIA, "/v1/citizens/{cpr}", token, NULL, NULL, &r),
                     200);
    gpt_resp_free(&r);
    char *exp = gpt_db_scalar(db, "SELECT (expires_at - created_at) BETWEEN interval '89 days'"
                                  " AND interval '91 days' FROM api_client"
                                  " ORDER BY id DESC LIMIT 1");
    ck_assert_ptr_nonnull(exp);
    ck_assert_str_eq(exp, "t");
    free(exp);
    sql_ok("UPDATE api_client SET expires_at = now() - interval '1 second'"
           " WHERE id = (SELECT max(id) FROM api_client)",
           1);
    ck_assert_int_eq(call("GET", "/v1/citizens/" MIA, "/v1/citizens/{cpr}", token, NULL, NULL, &r),
                     401);
    char hdr[256];
    ck_assert_ptr_nonnull(gpt_header(&r, "WWW-Authenticate", hdr, sizeof hdr));
    ck_assert_ptr_nonnull(strstr(hdr, "error=\"invalid_token\""));
    ck_assert_ptr_nonnull(strstr(str(r.json, "detail"), "expired"));
    gpt_resp_free(&r);
    free(token);

    /* token create --expires DAYS, and over the API expires_in_days. */
    char db_env[512];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"token", "create",    "--role", "auditor", "--name",
                          "short", "--expires", "7",      NULL};
    char *out = NULL;
    ck_assert_int_eq(gpt_glasplade(args, env, &out, NULL), 0);
    free(out);
    exp = gpt_db_scalar(db, "SELECT (expires_at - created_at) BETWEEN interval '6 days 23 hours'"
                            " AND interval '7 days 1 hour' FROM api_client WHERE name = 'short'");
    ck_assert_str_eq(exp, "t");
    free(exp);
    const char *bad[] = {"token", "create",    "--role", "auditor", "--name",
                         "bad",   "--expires", "0",      NULL};
    ck_assert_int_eq(gpt_glasplade(bad, env, NULL, NULL), 2);
}
END_TEST

/* ---- 3. purposes belong to roles ---- */

START_TEST(target_group_purpose_opens_nothing_on_one_citizen)
{
    struct gpt_resp r;
    const char *tgi[] = {"X-Purpose: target_group_identification", NULL};
    const char *const routes[][2] = {
        {"/v1/citizens/" MIA "/overview?refresh=never", "/v1/citizens/{cpr}/overview"},
        {"/v1/citizens/" MIA "/cases?refresh=never", "/v1/citizens/{cpr}/cases"},
        {"/v1/citizens/" MIA "/timeline?refresh=never", "/v1/citizens/{cpr}/timeline"},
        {"/v1/citizens/" MIA "/recommendations?refresh=never",
         "/v1/citizens/{cpr}/recommendations"},
        {"/v1/citizens/" MIA, "/v1/citizens/{cpr}"},
        {"/v1/citizens/" MIA "/consents", "/v1/citizens/{cpr}/consents"},
        {"/v1/citizens/" MIA "/access-log", "/v1/citizens/{cpr}/access-log"},
    };
    long before = audit_count("true");
    for (size_t i = 0; i < sizeof routes / sizeof routes[0]; i++) {
        const char *const tokens[] = {tok_job, tok_coord_job};
        for (size_t t = 0; t < 2; t++) {
            ck_assert_int_eq(call("GET", routes[i][0], routes[i][1], tokens[t], NULL, tgi, &r),
                             403);
            gpt_assert_problem(&r, 403, "forbidden");
            char fields[64];
            error_fields(&r, fields, sizeof fields);
            ck_assert_str_eq(fields, "purpose");
            ck_assert_ptr_null(strstr(r.body, "Misbrugsbehandling"));
            gpt_resp_free(&r);
        }
    }
    /* Nothing was read, so nothing was audited. */
    ck_assert_int_eq(audit_count("true"), before);
    /* The same caseworker with an allowed purpose (no consent for it) sees existence only. */
    const char *own[] = {"X-Purpose: own_case", NULL};
    ck_assert_int_eq(call("GET", "/v1/citizens/" MIA "/overview?refresh=never",
                          "/v1/citizens/{cpr}/overview", tok_job, NULL, own, &r),
                     200);
    ck_assert_str_eq(visibility(r.json, "social"), "existence");
    gpt_resp_free(&r);
    /* The analysts' CPR list keeps the purpose. */
    ck_assert_int_eq(call("POST", "/v1/target-group/searches", "/v1/target-group/searches",
                          tok_analyst, "{}", tgi, &r),
                     200);
    gpt_resp_free(&r);
}
END_TEST

/* ---- 4. who sees the rules themselves ---- */

START_TEST(rules_say_what_they_say_only_to_their_owners)
{
    struct gpt_resp r;
    char block[160];
    call("POST", "/v1/citizens/" OTHER "/blocks", "/v1/citizens/{cpr}/blocks", tok_social,
         "{\"scope\":{\"kind\":\"case_type\",\"value\":\"misbrugsbehandling\"},"
         "\"reason\":\"I do not want the job centre to know\"}",
         NULL, &r);
    location(&r, block, sizeof block);
    gpt_resp_free(&r);
    const char *id = strrchr(block, '/') + 1;
    call("POST", "/v1/citizens/" OTHER "/overrides", "/v1/citizens/{cpr}/overrides",
         tok_coord_family,
         "{\"reason_code\":\"child_welfare\",\"note\":\"underretning from the school\"}", NULL, &r);
    ck_assert_int_eq(r.status, 201);
    gpt_resp_free(&r);

    /* The job centre learns only that something is withheld at the citizen's request. */
    ck_assert_int_eq(call("GET", "/v1/citizens/" OTHER "/blocks", "/v1/citizens/{cpr}/blocks",
                          tok_job, NULL, NULL, &r),
                     200);
    ck_assert_ptr_null(strstr(r.body, "misbrugsbehandling"));
    ck_assert_ptr_null(strstr(r.body, "job centre to know"));
    ck_assert_ptr_null(strstr(r.body, id));
    ck_assert(json_is_true(json_object_get(r.json, "withheld")));
    gpt_resp_free(&r);
    ck_assert_int_eq(call("GET", block, "/v1/blocks/{id}", tok_job, NULL, NULL, &r), 403);
    gpt_assert_problem(&r, 403, "forbidden");
    ck_assert_ptr_null(strstr(r.body, "misbrugsbehandling"));
    gpt_resp_free(&r);
    ck_assert_int_eq(call("GET", "/v1/citizens/" OTHER "/overrides", "/v1/citizens/{cpr}/overrides",
                          tok_job, NULL, NULL, &r),
                     200);
    ck_assert_ptr_null(strstr(r.body, "underretning"));
    ck_assert_ptr_null(strstr(r.body, "child_welfare"));
    ck_assert_uint_eq(json_array_size(json_object_get(r.json, "overrides")), 1);
    gpt_resp_free(&r);

    /* The recording department, coordinators and auditors see what the block says; the list
     * then withholds nothing. */
    const char *const owners[] = {tok_social, tok_coord_job, tok_auditor};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(call("GET", block, "/v1/blocks/{id}", owners[i], NULL, NULL, &r), 200);
        ck_assert_str_eq(str(json_object_get(r.json, "scope"), "value"), "misbrugsbehandling");
        gpt_resp_free(&r);
        ck_assert_int_eq(call("GET", "/v1/citizens/" OTHER "/blocks", "/v1/citizens/{cpr}/blocks",
                              owners[i], NULL, NULL, &r),
                         200);
        ck_assert_ptr_nonnull(strstr(r.body, "job centre to know"));
        ck_assert(json_is_false(json_object_get(r.json, "withheld")));
        gpt_resp_free(&r);
    }
    /* Why the glass was broken: for the opener's department, coordinators, auditors. */
    const char *const openers[] = {tok_coord_family, tok_coord_job, tok_auditor};
    for (size_t i = 0; i < 3; i++) {
        ck_assert_int_eq(call("GET", "/v1/citizens/" OTHER "/overrides",
                              "/v1/citizens/{cpr}/overrides", openers[i], NULL, NULL, &r),
                         200);
        ck_assert_ptr_nonnull(strstr(r.body, "underretning from the school"));
        gpt_resp_free(&r);
    }
    /* Social services recorded the block, not the override: it learns who broke the glass
     * and when, not why. */
    ck_assert_int_eq(call("GET", "/v1/citizens/" OTHER "/overrides", "/v1/citizens/{cpr}/overrides",
                          tok_social, NULL, NULL, &r),
                     200);
    ck_assert_ptr_null(strstr(r.body, "underretning"));
    gpt_resp_free(&r);
    /* Not sequential: the id in the URL is not a small number. */
    bool digits = true;
    for (const char *p = id; *p; p++)
        digits &= isdigit((unsigned char)*p) != 0;
    ck_assert_msg(!digits && strlen(id) >= 32, "guessable id %s", id);
}
END_TEST

/* ---- the citizen's own view ---- */

static char *citizen_token(const char *cpr)
{
    char db_env[512];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"token", "create", "--role", "citizen", "--name",
                          "Mia",   "--cpr",  cpr,      NULL};
    char *out = NULL, *err = NULL;
    int rc = gpt_glasplade(args, env, &out, &err);
    ck_assert_msg(rc == 0, "citizen token: %s", err);
    ck_assert_ptr_null(strstr(err, cpr)); /* never a full CPR in a log */
    free(err);
    out[strcspn(out, "\n")] = '\0';
    return out;
}

START_TEST(citizen_sees_own_data_and_nothing_else)
{
    struct gpt_resp r;
    char *mia = citizen_token(MIA);
    /* A document the region keeps from the citizen (Sundhedsloven § 40-like restriction). */
    sql_ok("INSERT INTO record (cpr, source_id, source_ref, area, department, case_type,"
           " data_type, kind, title, status, document_date, sensitivity, fetched_at,"
           " withheld_from_citizen)"
           " SELECT '" MIA "', 'social', 'note-secret', t.area, 'social_services', t.code,"
           " 'journal_note', 'document', 'Secret-note-x9', 'open', '2026-02-01',"
           " t.sensitivity, now(), true FROM case_type_current t"
           " WHERE t.code = 'misbrugsbehandling'",
           1);
    /* Her own data, in full, whatever her blocks say (they restrain departments, not her). */
    call("POST", "/v1/citizens/" MIA "/blocks", "/v1/citizens/{cpr}/blocks", mia,
         "{\"scope\":{\"kind\":\"area\",\"value\":\"social\"}}", NULL, &r);
    char block[160], path[200];
    location(&r, block, sizeof block);
    gpt_resp_free(&r);
    overview(MIA, mia, &r);
    ck_assert_str_eq(visibility(r.json, "social"), "full");
    ck_assert_str_eq(visibility(r.json, "employment"), "full");
    gpt_resp_free(&r);
    ck_assert_int_eq(call("GET", "/v1/citizens/" MIA "/cases?refresh=never",
                          "/v1/citizens/{cpr}/cases", mia, NULL, NULL, &r),
                     200);
    ck_assert_ptr_nonnull(strstr(r.body, "Misbrugsbehandling-Mia-x9"));
    ck_assert_ptr_nonnull(strstr(r.body, "Kontanthjaelp-Mia-x9"));
    ck_assert_ptr_null(strstr(r.body, "Secret-note-x9"));
    gpt_resp_free(&r);
    ck_assert_int_eq(call("GET", "/v1/citizens/" MIA "/timeline?refresh=never",
                          "/v1/citizens/{cpr}/timeline", mia, NULL, NULL, &r),
                     200);
    ck_assert_ptr_nonnull(strstr(r.body, "Misbrugsbehandling-Mia-x9"));
    ck_assert_ptr_null(strstr(r.body, "Secret-note-x9"));
    gpt_resp_free(&r);
    /* Social services still sees its own note. */
    ck_assert_int_eq(call("GET", "/v1/citizens/" MIA "/cases?refresh=never",
                          "/v1/citizens/{cpr}/cases", tok_social, NULL, NULL, &r),
                     200);
    ck_assert_ptr_nonnull(strstr(r.body, "Secret-note-x9"));
    gpt_resp_free(&r);

    /* Her consents are digital; she withdraws her own block. */
    ck_assert_int_eq(call("POST", "/v1/citizens/" MIA "/consents", "/v1/citizens/{cpr}/consents",
                          mia,
                          "{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\"]},"
                          "\"form\":\"written\",\"evidence_ref\":\"x\"}",
                          NULL, &r),
                     422);
    gpt_resp_free(&r);
    ck_assert_int_eq(call("POST", "/v1/citizens/" MIA "/consents", "/v1/citizens/{cpr}/consents",
                          mia,
                          "{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\"]},"
                          "\"form\":\"digital\"}",
                          NULL, &r),
                     201);
    ck_assert(json_is_false(json_object_get(r.json, "recorder_benefits")));
    char consent[160];
    location(&r, consent, sizeof consent);
    gpt_resp_free(&r);
    ck_assert_int_eq(call("GET", consent, "/v1/consents/{id}", mia, NULL, NULL, &r), 200);
    gpt_resp_free(&r);
    snprintf(path, sizeof path, "%s/withdraw", block);
    ck_assert_int_eq(
        call("POST", path, "/v1/blocks/{id}/withdraw", mia, "{\"reason\":\"mine\"}", NULL, &r),
        200);
    ck_assert_str_eq(str(r.json, "status"), "withdrawn");
    gpt_resp_free(&r);

    /* Her access log, with her own reads in it. */
    ck_assert_int_eq(call("GET", "/v1/citizens/" MIA "/access-log", "/v1/citizens/{cpr}/access-log",
                          mia, NULL, NULL, &r),
                     200);
    ck_assert_uint_gt(json_array_size(json_object_get(r.json, "entries")), 3);
    gpt_resp_free(&r);

    /* Anyone else's CPR, and the staff's routes: 403. */
    char *other = citizen_token(OTHER);
    const char *const mine[][3] = {
        {"GET", "/v1/citizens/" OTHER "/overview", "/v1/citizens/{cpr}/overview"},
        {"GET", "/v1/citizens/" OTHER "/access-log", "/v1/citizens/{cpr}/access-log"},
        {"GET", "/v1/citizens/" OTHER "/blocks", "/v1/citizens/{cpr}/blocks"},
        {"GET", "/v1/audit", "/v1/audit"},
        {"GET", "/v1/clients", "/v1/clients"},
        {"GET", "/v1/citizens/" MIA "/recommendations", "/v1/citizens/{cpr}/recommendations"},
    };
    for (size_t i = 0; i < sizeof mine / sizeof mine[0]; i++) {
        ck_assert_int_eq(call(mine[i][0], mine[i][1], mine[i][2], mia, NULL, NULL, &r), 403);
        gpt_assert_problem(&r, 403, "forbidden");
        gpt_resp_free(&r);
    }
    ck_assert_int_eq(
        call("POST", "/v1/target-group/searches", "/v1/target-group/searches", mia, "{}", NULL, &r),
        403);
    gpt_resp_free(&r);
    /* Another citizen cannot read or withdraw Mia's consent by its id. */
    ck_assert_int_eq(call("GET", consent, "/v1/consents/{id}", other, NULL, NULL, &r), 403);
    gpt_resp_free(&r);
    snprintf(path, sizeof path, "%s/withdraw", consent);
    ck_assert_int_eq(
        call("POST", path, "/v1/consents/{id}/withdraw", other, "{\"reason\":\"x\"}", NULL, &r),
        403);
    gpt_resp_free(&r);
    free(other);
    free(mia);
}
END_TEST

/* ---- the purpose table is data, and the README shows it as it is ---- */

START_TEST(readme_purpose_table_is_the_database_table)
{
    /* The README, or the guide it has moved to (docs/). */
    char *readme = gpt_read_file(GP_SOURCE_DIR "/README.md");
    ck_assert_ptr_nonnull(readme);
    const char *const guides[] = {GP_SOURCE_DIR "/docs/api.md",
                                  GP_SOURCE_DIR "/docs/data-protection.md"};
    for (size_t i = 0; i < 2; i++) {
        char *g = gpt_read_file(guides[i]);
        if (!g)
            continue;
        size_t n = strlen(readme), m = strlen(g);
        readme = realloc(readme, n + m + 2);
        readme[n] = '\n';
        memcpy(readme + n + 1, g, m + 1);
        free(g);
    }
    /* One line per route: | `METHOD PATH` | caseworker | coordinator | analyst | */
    char *rows =
        gpt_db_scalar(db, "SELECT string_agg(line, E'\\n' ORDER BY route COLLATE \"C\") FROM ("
                          " SELECT route, '| `' || route || '` | ' ||"
                          " coalesce(string_agg(purpose, ', ' ORDER BY purpose COLLATE \"C\")"
                          "  FILTER (WHERE role = 'caseworker'), '—') || ' | ' ||"
                          " coalesce(string_agg(purpose, ', ' ORDER BY purpose COLLATE \"C\")"
                          "  FILTER (WHERE role = 'coordinator'), '—') || ' | ' ||"
                          " coalesce(string_agg(purpose, ', ' ORDER BY purpose COLLATE \"C\")"
                          "  FILTER (WHERE role = 'analyst'), '—') || ' |' AS line"
                          " FROM role_purpose GROUP BY route) t");
    ck_assert_ptr_nonnull(rows);
    ck_assert_msg(strstr(readme, rows), "README's purpose table differs from role_purpose:\n%s",
                  rows);
    /* Only those three roles claim purposes at all. */
    char *others = gpt_db_scalar(db, "SELECT count(*) FROM role_purpose"
                                     " WHERE role NOT IN ('caseworker', 'coordinator', 'analyst')");
    ck_assert_str_eq(others, "0");
    free(others);
    free(rows);
    free(readme);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("lawful");
    TCase *tc = tcase_create("lawful");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, restrained_department_cannot_lift_a_block);
    tcase_add_test(tc, coordinator_of_the_protected_department_may_lift);
    tcase_add_test(tc, admin_cannot_mint_a_personal_token_alone);
    tcase_add_test(tc, tokens_expire);
    tcase_add_test(tc, target_group_purpose_opens_nothing_on_one_citizen);
    tcase_add_test(tc, rules_say_what_they_say_only_to_their_owners);
    tcase_add_test(tc, citizen_sees_own_data_and_nothing_else);
    tcase_add_test(tc, readme_purpose_table_is_the_database_table);
    suite_add_tcase(s, tc);
    return gpt_run_suite(s);
}
