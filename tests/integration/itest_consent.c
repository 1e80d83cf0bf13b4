/* Lawful sharing over HTTP against the real server and a real PostgreSQL: consents, blocks and
 * break-glass overrides (record, list, read with history, withdraw; every bad field named),
 * the audit rows each change and read writes in the same transaction, the audit search and
 * chain check, and the citizen's access log. */
#include "gptest.h"

#include <curl/curl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ANNA  "0101901234" /* no source knows her: consent may come first */
#define BO    "0202802345"
#define CARLA "0303703456"

static char *db;
static struct gpt_proc srv;
static char *tok_job, *tok_social, *tok_coord, *tok_bare, *tok_analyst, *tok_audit, *tok_admin;
static long long id_job, id_social, id_coord;

static long long client_id_of(const char *name)
{
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT max(id) FROM api_client WHERE name = '%s'", name);
    char *v = gpt_db_scalar(db, sql);
    ck_assert_ptr_nonnull(v);
    long long id = atoll(v);
    free(v);
    return id;
}

static void setup(void)
{
    db = gpt_db_create("itest_consent");
    char db_env[512];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"migrate", NULL};
    ck_assert_int_eq(gpt_glasplade(args, env, NULL, NULL), 0);
    tok_job = gpt_token(db, "caseworker", "job_centre");
    gpt_db_exec(db, "UPDATE api_client SET name = 'job' WHERE id = (SELECT max(id) FROM "
                    "api_client)");
    id_job = client_id_of("job");
    tok_social = gpt_token(db, "caseworker", "social_services");
    gpt_db_exec(db, "UPDATE api_client SET name = 'social' WHERE id = (SELECT max(id) FROM "
                    "api_client)");
    id_social = client_id_of("social");
    tok_coord = gpt_token(db, "coordinator", "family");
    gpt_db_exec(db, "UPDATE api_client SET name = 'coord' WHERE id = (SELECT max(id) FROM "
                    "api_client)");
    id_coord = client_id_of("coord");
    tok_bare = gpt_token_purpose(db, "caseworker", "job_centre", NULL);
    tok_analyst = gpt_token(db, "analyst", NULL);
    tok_audit = gpt_token(db, "auditor", NULL);
    tok_admin = gpt_token(db, "admin", NULL);
    gpt_server_start(&srv, db, NULL);
}

static void teardown(void)
{
    if (srv.pid > 0)
        ck_assert_int_eq(gpt_proc_stop(&srv, SIGTERM), 0);
}

/* One request; headers may be NULL. Returns the status. */
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

static long long count_of(const char *sql)
{
    char *v = gpt_db_scalar(db, sql);
    ck_assert_msg(v != NULL, "no value for %s", sql);
    long long n = atoll(v);
    free(v);
    return n;
}

/* The fields errors[] names, sorted and joined with ",". */
static void error_fields(const struct gpt_resp *r, char *out, size_t len)
{
    const char *names[64];
    size_t n = 0, i;
    json_t *e;
    json_array_foreach(json_object_get(r->json, "errors"), i, e)
    {
        if (n < 64)
            names[n++] = json_string_value(json_object_get(e, "field"));
    }
    for (size_t a = 0; a < n; a++)
        for (size_t b = a + 1; b < n; b++)
            if (strcmp(names[a], names[b]) > 0) {
                const char *t = names[a];
                names[a] = names[b];
                names[b] = t;
            }
    out[0] = '\0';
    for (size_t k = 0; k < n; k++) {
        strncat(out, names[k], len - strlen(out) - 1);
        if (k + 1 < n)
            strncat(out, ",", len - strlen(out) - 1);
    }
}

static const char *str(json_t *o, const char *k)
{
    return json_string_value(json_object_get(o, k));
}

/* A public id (a UUID) from an answer's "id" into out. */
static void id_of(const struct gpt_resp *r, char out[40])
{
    const char *id = str(r->json, "id");
    ck_assert_msg(id && strlen(id) == 36, "no public id in %s", r->body);
    snprintf(out, 40, "%s", id);
}

/* Records a consent; its public id into id (may be NULL). */
static void post_consent(const char *cpr, const char *body, const char *token, char id[40])
{
    char path[96];
    snprintf(path, sizeof path, "/v1/citizens/%s/consents", cpr);
    struct gpt_resp r;
    call("POST", path, "/v1/citizens/{cpr}/consents", token, body, NULL, &r);
    ck_assert_msg(r.status == 201, "POST consent: %ld %s", r.status, r.body);
    if (id)
        id_of(&r, id);
    gpt_resp_free(&r);
}

/* ---- consents ---- */

START_TEST(consent_recorded_read_and_withdrawn)
{
    long long audit0 = count_of("SELECT count(*) FROM audit_log");
    long long rev0 = count_of(
        "SELECT coalesce((SELECT revision FROM consent_revision WHERE cpr = '" ANNA "'), 0)");
    struct gpt_resp r;
    const char *h[] = {"X-Request-Id: consent-post-1", NULL};
    call(
        "POST", "/v1/citizens/" ANNA "/consents", "/v1/citizens/{cpr}/consents", tok_job,
        "{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\",\"health_municipal\"],"
        "\"departments\":[\"social_services\"]},\"form\":\"written\",\"valid_from\":\"2026-01-01\","
        "\"valid_until\":\"2030-12-31\",\"evidence_ref\":\"SBSYS 27.36.12-G01-4-26\"}",
        h, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    char id[40];
    id_of(&r, id);
    char loc[96], want[96];
    snprintf(want, sizeof want, "/v1/consents/%s", id);
    ck_assert_str_eq(gpt_header(&r, "Location", loc, sizeof loc), want);
    /* Recorded by the job centre, it opens social and health data to the job centre. */
    ck_assert(json_is_true(json_object_get(r.json, "recorder_benefits")));
    ck_assert_str_eq(str(r.json, "cpr"), ANNA);
    ck_assert_str_eq(str(r.json, "purpose"), "rehabilitation");
    ck_assert_str_eq(str(r.json, "form"), "written");
    ck_assert_str_eq(str(r.json, "status"), "active");
    ck_assert_str_eq(str(r.json, "evidence_ref"), "SBSYS 27.36.12-G01-4-26");
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "recorded_by")), id_job);
    json_t *scope = json_object_get(r.json, "scope");
    ck_assert_int_eq(json_array_size(json_object_get(scope, "areas")), 2);
    ck_assert_str_eq(json_string_value(json_array_get(json_object_get(scope, "areas"), 1)),
                     "health_municipal");
    ck_assert(json_is_null(json_object_get(r.json, "withdrawn_at")));
    gpt_resp_free(&r);

    /* One audit row, action consent, in the same transaction; the revision moved. */
    ck_assert_int_eq(count_of("SELECT count(*) FROM audit_log"), audit0 + 1);
    char *row =
        gpt_db_scalar(db, "SELECT concat_ws('|', action, cpr, role, department, purpose, "
                          "legal_basis IS NOT NULL, details->>'op', details->>'consent_id', "
                          "route) FROM audit_log WHERE request_id = 'consent-post-1'");
    char expect[256];
    snprintf(expect, sizeof expect,
             "consent|" ANNA "|caseworker|job_centre|rehabilitation|t|record|%s|POST "
             "/v1/citizens/{cpr}/consents",
             id);
    ck_assert_str_eq(row, expect);
    free(row);
    ck_assert_int_eq(count_of("SELECT revision FROM consent_revision WHERE cpr = '" ANNA "'"),
                     rev0 + 1);

    /* Defaults of an oral consent: valid_from today, an end 30 days on (the most an oral
     * consent may last), no departments, no evidence but its note. */
    char id2[40];
    post_consent(ANNA,
                 "{\"purpose\":\"coordinated_effort\",\"scope\":{\"areas\":[\"family\"]},"
                 "\"form\":\"oral\",\"note\":\"by phone with Anna, 10:05\"}",
                 tok_social, id2);
    char path[96];
    snprintf(path, sizeof path, "/v1/consents/%s", id2);
    ck_assert_int_eq(call("GET", path, "/v1/consents/{id}", tok_job, NULL, NULL, &r), 200);
    char *in30 = gpt_db_scalar(db, "SELECT to_char(current_date + 30, 'YYYY-MM-DD')");
    ck_assert_str_eq(str(r.json, "valid_until"), in30);
    free(in30);
    ck_assert(json_is_null(json_object_get(r.json, "evidence_ref")));
    ck_assert_str_eq(str(r.json, "note"), "by phone with Anna, 10:05");
    ck_assert_int_eq(
        json_array_size(json_object_get(json_object_get(r.json, "scope"), "departments")), 0);
    char *today = gpt_db_scalar(db, "SELECT to_char(current_date, 'YYYY-MM-DD')");
    ck_assert_str_eq(str(r.json, "valid_from"), today);
    free(today);
    json_t *hist = json_object_get(r.json, "history");
    ck_assert_int_eq(json_array_size(hist), 1);
    ck_assert_str_eq(str(json_array_get(hist, 0), "event"), "recorded");
    gpt_resp_free(&r);

    /* The list: newest first, both, and the read is audited with the caller's purpose. */
    const char *hl[] = {"X-Request-Id: consent-list-1", "X-Purpose: own_case", NULL};
    ck_assert_int_eq(call("GET", "/v1/citizens/" ANNA "/consents", "/v1/citizens/{cpr}/consents",
                          tok_coord, NULL, hl, &r),
                     200);
    json_t *list = json_object_get(r.json, "consents");
    ck_assert_int_eq(json_array_size(list), 2);
    ck_assert_str_eq(str(json_array_get(list, 0), "id"), id2);
    ck_assert_str_eq(str(json_array_get(list, 1), "id"), id);
    gpt_resp_free(&r);
    row = gpt_db_scalar(db, "SELECT concat_ws('|', action, cpr, role, purpose, visibility) FROM "
                            "audit_log WHERE request_id = 'consent-list-1'");
    ck_assert_str_eq(row, "read|" ANNA "|coordinator|own_case|full");
    free(row);

    /* Withdraw: the reason is required; then withdrawn, with its history. */
    snprintf(path, sizeof path, "/v1/consents/%s/withdraw", id);
    call("POST", path, "/v1/consents/{id}/withdraw", tok_social, "{}", NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-body");
    char fields[256];
    error_fields(&r, fields, sizeof fields);
    ck_assert_str_eq(fields, "reason");
    gpt_resp_free(&r);
    call("POST", path, "/v1/consents/{id}/withdraw", tok_social, "{\"reason\":\"   \"}", NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-body");
    gpt_resp_free(&r);
    long long before = count_of("SELECT count(*) FROM audit_log");
    const char *hw[] = {"X-Request-Id: consent-withdraw-1", NULL};
    ck_assert_int_eq(call("POST", path, "/v1/consents/{id}/withdraw", tok_social,
                          "{\"reason\":\"the citizen withdrew it by phone\"}", hw, &r),
                     200);
    ck_assert_str_eq(str(r.json, "status"), "withdrawn");
    ck_assert_str_eq(str(r.json, "withdraw_reason"), "the citizen withdrew it by phone");
    ck_assert_ptr_nonnull(str(r.json, "withdrawn_at"));
    char first_at[64];
    snprintf(first_at, sizeof first_at, "%s", str(r.json, "withdrawn_at"));
    hist = json_object_get(r.json, "history");
    ck_assert_int_eq(json_array_size(hist), 2);
    ck_assert_str_eq(str(json_array_get(hist, 1), "event"), "withdrawn");
    ck_assert_str_eq(str(json_array_get(hist, 1), "reason"), "the citizen withdrew it by phone");
    gpt_resp_free(&r);
    ck_assert_int_eq(count_of("SELECT count(*) FROM audit_log"), before + 1);
    row = gpt_db_scalar(db, "SELECT concat_ws('|', action, cpr, purpose, details->>'op', "
                            "details->>'changed') FROM audit_log WHERE request_id = "
                            "'consent-withdraw-1'");
    ck_assert_str_eq(row, "consent|" ANNA "|rehabilitation|withdraw|true");
    free(row);

    /* Withdrawing again changes nothing: the first withdrawal stands. */
    ck_assert_int_eq(call("POST", path, "/v1/consents/{id}/withdraw", tok_job,
                          "{\"reason\":\"again\"}", NULL, &r),
                     200);
    ck_assert_str_eq(str(r.json, "withdrawn_at"), first_at);
    ck_assert_str_eq(str(r.json, "withdraw_reason"), "the citizen withdrew it by phone");
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "history")), 2);
    gpt_resp_free(&r);

    /* Nothing is ever deleted: there is no DELETE, and the row is still there. */
    snprintf(path, sizeof path, "/v1/consents/%s", id);
    call("DELETE", path, NULL, tok_job, NULL, NULL, &r);
    gpt_assert_problem(&r, 405, "method-not-allowed");
    gpt_resp_free(&r);
    char sql[128];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM consent WHERE public_id = '%s'", id);
    ck_assert_int_eq(count_of(sql), 1);
}
END_TEST

START_TEST(consent_bodies_name_every_bad_field)
{
    long long consents0 = count_of("SELECT count(*) FROM consent");
    long long audit0 = count_of("SELECT count(*) FROM audit_log");
    static const struct {
        const char *body;
        long status;
        const char *fields;
    } cases[] = {
        {"{\"purpose\":\"curiosity\",\"scope\":{\"areas\":[]},\"form\":\"smoke signal\","
         "\"valid_from\":\"2024-02-30\",\"colour\":\"red\"}",
         400, "colour,form,purpose,scope.areas,valid_from"},
        {"{}", 400, "form,purpose,scope"},
        {"{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\",\"social\",\"Social!\"],"
         "\"departments\":\"job_centre\",\"x\":1},\"form\":\"oral\",\"evidence_ref\":42}",
         400, "evidence_ref,note,scope.areas,scope.areas,scope.departments,scope.x"},
        {"{\"purpose\":\"rehabilitation\",\"scope\":[\"social\"],\"form\":\"oral\","
         "\"note\":\"x\",\"valid_until\":\"tomorrow\"}",
         400, "scope,valid_until"},
        /* Evidence of a consent recorded on the citizen's behalf: a written one says where the
         * form is, an oral one how it was given (not only blanks). */
        {"{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\"]},"
         "\"form\":\"written\",\"evidence_ref\":\"  \"}",
         400, "evidence_ref"},
        {"{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\"]},"
         "\"form\":\"oral\",\"note\":\" \"}",
         400, "note"},
        /* Digital is the citizen's own form; an oral consent lasts 30 days at most. */
        {"{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\"]},"
         "\"form\":\"digital\"}",
         422, "form"},
        {"{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\"]},"
         "\"form\":\"oral\",\"note\":\"x\",\"valid_from\":\"2026-01-01\","
         "\"valid_until\":\"2026-02-01\"}",
         422, "valid_until"},
        /* Well-formed, but unknown codes and an end before the start: 422, each named. */
        {"{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\",\"housing\"],"
         "\"departments\":[\"moon_base\",\"job_centre\"]},\"form\":\"written\","
         "\"evidence_ref\":\"x\",\"valid_from\":\"2026-05-01\",\"valid_until\":\"2026-04-30\"}",
         422, "scope.areas,scope.departments,scope.departments,valid_until"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gpt_resp r;
        call("POST", "/v1/citizens/" BO "/consents", "/v1/citizens/{cpr}/consents", tok_job,
             cases[i].body, NULL, &r);
        gpt_assert_problem(&r, cases[i].status,
                           cases[i].status == 400 ? "invalid-body" : "unprocessable");
        char fields[256];
        error_fields(&r, fields, sizeof fields);
        ck_assert_msg(!strcmp(fields, cases[i].fields), "case %zu: fields %s, expected %s; %s", i,
                      fields, cases[i].fields, r.body);
        gpt_resp_free(&r);
    }
    /* Not an object, not JSON, not JSON at all: one problem, no field. */
    struct gpt_resp r;
    call("POST", "/v1/citizens/" BO "/consents", "/v1/citizens/{cpr}/consents", tok_job, "[1]",
         NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-body");
    gpt_resp_free(&r);
    call("POST", "/v1/citizens/" BO "/consents", "/v1/citizens/{cpr}/consents", tok_job,
         "{\"purpose\":", NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-body");
    gpt_resp_free(&r);
    /* A bad CPR is named before the body is looked at. */
    call("POST", "/v1/citizens/3102901234/consents", "/v1/citizens/{cpr}/consents", tok_job, "{}",
         NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-cpr");
    gpt_resp_free(&r);
    /* Bad input changes nothing and audits nothing. */
    ck_assert_int_eq(count_of("SELECT count(*) FROM consent"), consents0);
    ck_assert_int_eq(count_of("SELECT count(*) FROM audit_log"), audit0);
}
END_TEST

START_TEST(consent_ids_and_purposes)
{
    struct gpt_resp r;
    /* Ids are public UUIDs: one that names nothing is 404, anything else 400. */
    call("GET", "/v1/consents/6f1c0e2a-9b1d-4c3e-8f00-0123456789ab", "/v1/consents/{id}", tok_job,
         NULL, NULL, &r);
    gpt_assert_problem(&r, 404, "not-found");
    gpt_resp_free(&r);
    call("POST", "/v1/consents/6f1c0e2a-9b1d-4c3e-8f00-0123456789ab/withdraw",
         "/v1/consents/{id}/withdraw", tok_job, "{\"reason\":\"x\"}", NULL, &r);
    gpt_assert_problem(&r, 404, "not-found");
    gpt_resp_free(&r);
    static const char *const bad_ids[] = {
        "abc", "0", "-3", "1e3", "+4", "99", "6f1c0e2a-9b1d-4c3e-8f00-0123456789a"};
    for (size_t i = 0; i < sizeof bad_ids / sizeof bad_ids[0]; i++) {
        char path[64];
        snprintf(path, sizeof path, "/v1/consents/%s", bad_ids[i]);
        call("GET", path, "/v1/consents/{id}", tok_job, NULL, NULL, &r);
        gpt_assert_problem(&r, 400, "invalid-parameter");
        ck_assert_str_eq(str(json_array_get(json_object_get(r.json, "errors"), 0), "field"), "id");
        gpt_resp_free(&r);
    }
    /* Reads need a purpose; a token without a default must state one. */
    call("GET", "/v1/citizens/" ANNA "/consents", "/v1/citizens/{cpr}/consents", tok_bare, NULL,
         NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-parameter");
    ck_assert_str_eq(str(json_array_get(json_object_get(r.json, "errors"), 0), "field"), "purpose");
    gpt_resp_free(&r);
    ck_assert_int_eq(call("GET", "/v1/citizens/" ANNA "/consents?purpose=own_case",
                          "/v1/citizens/{cpr}/consents", tok_bare, NULL, NULL, &r),
                     200);
    gpt_resp_free(&r);
    /* Recording states its purpose in the body: no X-Purpose needed, a bad one still refused. */
    post_consent(CARLA,
                 "{\"purpose\":\"own_case\",\"scope\":{\"areas\":[\"employment\"]},"
                 "\"form\":\"written\",\"evidence_ref\":\"J.nr. 1\"}",
                 tok_bare, NULL);
    const char *bad[] = {"X-Purpose: gossip", NULL};
    call("POST", "/v1/citizens/" CARLA "/consents", "/v1/citizens/{cpr}/consents", tok_bare,
         "{\"purpose\":\"own_case\",\"scope\":{\"areas\":[\"employment\"]},"
         "\"form\":\"written\",\"evidence_ref\":\"J.nr. 1\"}",
         bad, &r);
    gpt_assert_problem(&r, 400, "invalid-parameter");
    gpt_resp_free(&r);
    /* Roles without personal data may not touch consents. */
    call("GET", "/v1/citizens/" ANNA "/consents", "/v1/citizens/{cpr}/consents", tok_analyst, NULL,
         NULL, &r);
    gpt_assert_problem(&r, 403, "forbidden");
    gpt_resp_free(&r);
    call("POST", "/v1/citizens/" ANNA "/consents", "/v1/citizens/{cpr}/consents", tok_admin, "{}",
         NULL, &r);
    gpt_assert_problem(&r, 403, "forbidden");
    gpt_resp_free(&r);
}
END_TEST

/* ---- blocks ---- */

START_TEST(block_recorded_read_and_withdrawn)
{
    struct gpt_resp r;
    const char *h[] = {"X-Request-Id: block-post-1", NULL};
    call("POST", "/v1/citizens/" BO "/blocks", "/v1/citizens/{cpr}/blocks", tok_social,
         "{\"scope\":{\"kind\":\"case_type\",\"value\":\"misbrugsbehandling\"},"
         "\"valid_from\":\"2026-01-01\",\"reason\":\"the citizen does not want it shown\"}",
         h, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    char id[40];
    id_of(&r, id);
    char loc[96], want[96];
    snprintf(want, sizeof want, "/v1/blocks/%s", id);
    ck_assert_str_eq(gpt_header(&r, "Location", loc, sizeof loc), want);
    json_t *scope = json_object_get(r.json, "scope");
    ck_assert_str_eq(str(scope, "kind"), "case_type");
    ck_assert_str_eq(str(scope, "value"), "misbrugsbehandling");
    ck_assert_str_eq(str(r.json, "status"), "active");
    ck_assert(json_is_null(json_object_get(r.json, "valid_until")));
    gpt_resp_free(&r);
    char *row =
        gpt_db_scalar(db, "SELECT concat_ws('|', action, cpr, department, "
                          "details->>'op', details->>'scope_kind', details->>'scope_value') "
                          "FROM audit_log WHERE request_id = 'block-post-1'");
    ck_assert_str_eq(row, "block|" BO "|social_services|record|case_type|misbrugsbehandling");
    free(row);

    /* An area and a department block too; a future one is pending. */
    ck_assert_int_eq(call("POST", "/v1/citizens/" BO "/blocks", "/v1/citizens/{cpr}/blocks",
                          tok_job, "{\"scope\":{\"kind\":\"area\",\"value\":\"family\"}}", NULL,
                          &r),
                     201);
    gpt_resp_free(&r);
    ck_assert_int_eq(call("POST", "/v1/citizens/" BO "/blocks", "/v1/citizens/{cpr}/blocks",
                          tok_job,
                          "{\"scope\":{\"kind\":\"department\",\"value\":\"region\"},"
                          "\"valid_from\":\"2999-01-01\",\"valid_until\":\"2999-12-31\"}",
                          NULL, &r),
                     201);
    ck_assert_str_eq(str(r.json, "status"), "pending");
    gpt_resp_free(&r);

    ck_assert_int_eq(call("GET", "/v1/citizens/" BO "/blocks", "/v1/citizens/{cpr}/blocks",
                          tok_coord, NULL, NULL, &r),
                     200);
    json_t *list = json_object_get(r.json, "blocks");
    ck_assert_int_eq(json_array_size(list), 3);
    ck_assert_str_eq(str(json_array_get(list, 2), "id"), id);
    gpt_resp_free(&r);

    /* The job centre, which the block restrains, may not lift it; social services, which
     * recorded it, may. */
    char path[96];
    snprintf(path, sizeof path, "/v1/blocks/%s/withdraw", id);
    call("POST", path, "/v1/blocks/{id}/withdraw", tok_job,
         "{\"reason\":\"the citizen lifted it\"}", NULL, &r);
    gpt_assert_problem(&r, 403, "forbidden");
    gpt_resp_free(&r);
    ck_assert_int_eq(call("POST", path, "/v1/blocks/{id}/withdraw", tok_social,
                          "{\"reason\":\"the citizen lifted it\"}", NULL, &r),
                     200);
    ck_assert_str_eq(str(r.json, "status"), "withdrawn");
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "withdrawn_by")), id_social);
    gpt_resp_free(&r);
    snprintf(path, sizeof path, "/v1/blocks/%s", id);
    ck_assert_int_eq(call("GET", path, "/v1/blocks/{id}", tok_social, NULL, NULL, &r), 200);
    json_t *hist = json_object_get(r.json, "history");
    ck_assert_int_eq(json_array_size(hist), 2);
    ck_assert_str_eq(str(json_array_get(hist, 0), "reason"), "the citizen does not want it shown");
    ck_assert_str_eq(str(json_array_get(hist, 1), "event"), "withdrawn");
    gpt_resp_free(&r);
    call("GET", "/v1/blocks/0b5e4c1d-2f3a-4b5c-9d6e-7f8091a2b3c4", "/v1/blocks/{id}", tok_social,
         NULL, NULL, &r);
    gpt_assert_problem(&r, 404, "not-found");
    gpt_resp_free(&r);
    call("GET", "/v1/blocks/424242", "/v1/blocks/{id}", tok_social, NULL, NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-parameter");
    gpt_resp_free(&r);
}
END_TEST

START_TEST(block_bodies_name_every_bad_field)
{
    long long blocks0 = count_of("SELECT count(*) FROM citizen_block");
    static const struct {
        const char *body;
        long status;
        const char *fields;
    } cases[] = {
        {"{\"scope\":{\"kind\":\"planet\",\"value\":\"Mars!\"},\"valid_until\":\"2026-13-01\","
         "\"reason\":7}",
         400, "reason,scope.kind,scope.value,valid_until"},
        {"{\"valid_from\":\"2026-01-01\"}", 400, "scope"},
        {"{\"scope\":{},\"until\":\"x\"}", 400, "scope.kind,scope.value,until"},
        {"{\"scope\":{\"kind\":\"case_type\",\"value\":\"astrology\"},"
         "\"valid_from\":\"2026-06-01\",\"valid_until\":\"2026-05-01\"}",
         422, "scope.value,valid_until"},
        {"{\"scope\":{\"kind\":\"department\",\"value\":\"social\"}}", 422, "scope.value"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gpt_resp r;
        call("POST", "/v1/citizens/" BO "/blocks", "/v1/citizens/{cpr}/blocks", tok_job,
             cases[i].body, NULL, &r);
        gpt_assert_problem(&r, cases[i].status,
                           cases[i].status == 400 ? "invalid-body" : "unprocessable");
        char fields[256];
        error_fields(&r, fields, sizeof fields);
        ck_assert_msg(!strcmp(fields, cases[i].fields), "case %zu: fields %s, expected %s; %s", i,
                      fields, cases[i].fields, r.body);
        gpt_resp_free(&r);
    }
    ck_assert_int_eq(count_of("SELECT count(*) FROM citizen_block"), blocks0);
}
END_TEST

/* ---- break-glass ---- */

START_TEST(override_for_coordinators_only_time_limited_and_flagged)
{
    struct gpt_resp r;
    const char *body = "{\"reason_code\":\"child_welfare\",\"note\":\"underretning received "
                       "tonight; the family's history is needed now\"}";
    /* Caseworkers may not break the glass; nor anyone else but coordinators. */
    const char *const denied[] = {tok_job, tok_analyst, tok_audit, tok_admin};
    for (size_t i = 0; i < 4; i++) {
        call("POST", "/v1/citizens/" CARLA "/overrides", "/v1/citizens/{cpr}/overrides", denied[i],
             body, NULL, &r);
        gpt_assert_problem(&r, 403, "forbidden");
        gpt_resp_free(&r);
    }
    const char *h[] = {"X-Request-Id: override-open-1", NULL};
    call("POST", "/v1/citizens/" CARLA "/overrides", "/v1/citizens/{cpr}/overrides", tok_coord,
         body, h, &r);
    ck_assert_msg(r.status == 201, "%ld %s", r.status, r.body);
    ck_assert_str_eq(str(r.json, "reason_code"), "child_welfare");
    ck_assert(json_is_true(json_object_get(r.json, "active")));
    json_t *client = json_object_get(r.json, "client");
    ck_assert_int_eq(json_integer_value(json_object_get(client, "id")), id_coord);
    ck_assert_str_eq(str(client, "role"), "coordinator");
    ck_assert_str_eq(str(client, "department"), "family");
    char id[40];
    id_of(&r, id);
    gpt_resp_free(&r);
    /* Fifteen minutes by default, flagged in the audit log. */
    char sql[256];
    snprintf(sql, sizeof sql,
             "SELECT extract(epoch FROM expires_at - created_at)::int FROM break_glass"
             " WHERE public_id = '%s'",
             id);
    ck_assert_int_eq(count_of(sql), 15 * 60);
    char *row = gpt_db_scalar(db, "SELECT concat_ws('|', action, cpr, role, override_used, "
                                  "details->>'reason_code', details->>'minutes') FROM audit_log "
                                  "WHERE request_id = 'override-open-1'");
    ck_assert_str_eq(row, "override|" CARLA "|coordinator|t|child_welfare|15");
    free(row);

    /* At most an hour; a reason from the list; a note that says something. */
    call("POST", "/v1/citizens/" CARLA "/overrides", "/v1/citizens/{cpr}/overrides", tok_coord,
         "{\"reason_code\":\"curiosity\",\"note\":\"  \",\"minutes\":61}", NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-body");
    char fields[128];
    error_fields(&r, fields, sizeof fields);
    ck_assert_str_eq(fields, "minutes,note,reason_code");
    gpt_resp_free(&r);
    call("POST", "/v1/citizens/" CARLA "/overrides", "/v1/citizens/{cpr}/overrides", tok_coord,
         "{\"reason_code\":\"acute_risk\",\"minutes\":0}", NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-body");
    error_fields(&r, fields, sizeof fields);
    ck_assert_str_eq(fields, "minutes,note");
    gpt_resp_free(&r);
    ck_assert_int_eq(call("POST", "/v1/citizens/" CARLA "/overrides",
                          "/v1/citizens/{cpr}/overrides", tok_coord,
                          "{\"reason_code\":\"acute_risk\",\"note\":\"threat of suicide\","
                          "\"minutes\":60}",
                          NULL, &r),
                     201);
    gpt_resp_free(&r);
    /* An override that has run out is listed, not active. */
    snprintf(sql, sizeof sql,
             "INSERT INTO break_glass (cpr, client_id, reason_code, note, created_at, expires_at)"
             " VALUES ('%s', %lld, 'legal_obligation', 'court order', now() - interval '2 hours',"
             " now() - interval '1 hour')",
             CARLA, id_coord);
    ck_assert_int_eq(gpt_db_exec(db, sql), 1);

    /* Listed for caseworkers (with a purpose) and auditors (without), newest first. */
    ck_assert_int_eq(call("GET", "/v1/citizens/" CARLA "/overrides", "/v1/citizens/{cpr}/overrides",
                          tok_audit, NULL, NULL, &r),
                     200);
    json_t *list = json_object_get(r.json, "overrides");
    ck_assert_int_eq(json_array_size(list), 3);
    ck_assert(json_is_false(json_object_get(json_array_get(list, 0), "active")));
    ck_assert_str_eq(str(json_array_get(list, 1), "reason_code"), "acute_risk");
    ck_assert(json_is_true(json_object_get(json_array_get(list, 1), "active")));
    gpt_resp_free(&r);
    call("GET", "/v1/citizens/" CARLA "/overrides", "/v1/citizens/{cpr}/overrides", tok_bare, NULL,
         NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-parameter");
    gpt_resp_free(&r);
    /* The job centre learns that the glass was broken, by whom and when, not why. */
    ck_assert_int_eq(call("GET", "/v1/citizens/" CARLA "/overrides", "/v1/citizens/{cpr}/overrides",
                          tok_job, NULL, NULL, &r),
                     200);
    list = json_object_get(r.json, "overrides");
    ck_assert_int_eq(json_array_size(list), 3);
    ck_assert(json_is_true(json_object_get(json_array_get(list, 1), "withheld")));
    ck_assert(json_is_null(json_object_get(json_array_get(list, 1), "note")));
    ck_assert_ptr_null(strstr(r.body, "underretning"));
    gpt_resp_free(&r);
}
END_TEST

/* ---- the audit log and the access log ---- */

START_TEST(access_log_newest_first_paged_and_only_that_citizen)
{
    static const char cpr[] = "0404604567";
    struct gpt_resp r;
    /* Three reads with three purposes, a consent and a block change, another citizen's read. */
    const char *const purposes[] = {"rehabilitation", "coordinated_effort", "own_case"};
    for (size_t i = 0; i < 3; i++) {
        char h0[64];
        snprintf(h0, sizeof h0, "X-Purpose: %s", purposes[i]);
        const char *h[] = {h0, NULL};
        ck_assert_int_eq(call("GET", "/v1/citizens/0404604567", "/v1/citizens/{cpr}",
                              i == 1 ? tok_social : tok_job, NULL, h, &r),
                         200);
        gpt_resp_free(&r);
    }
    post_consent(cpr,
                 "{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\"]},"
                 "\"form\":\"written\",\"evidence_ref\":\"x\"}",
                 tok_job, NULL);
    ck_assert_int_eq(call("GET", "/v1/citizens/" BO, "/v1/citizens/{cpr}", tok_job, NULL, NULL, &r),
                     200);
    gpt_resp_free(&r);
    ck_assert_int_eq(call("POST", "/v1/citizens/0404604567/overrides",
                          "/v1/citizens/{cpr}/overrides", tok_coord,
                          "{\"reason_code\":\"acute_risk\",\"note\":\"danger\"}", NULL, &r),
                     201);
    gpt_resp_free(&r);

    ck_assert_int_eq(call("GET", "/v1/citizens/0404604567/access-log",
                          "/v1/citizens/{cpr}/access-log", tok_job, NULL, NULL, &r),
                     200);
    ck_assert_str_eq(str(r.json, "cpr"), cpr);
    json_t *list = json_object_get(r.json, "entries");
    ck_assert_int_eq(json_array_size(list), 5);
    ck_assert(json_is_null(json_object_get(r.json, "next_cursor")));
    json_t *e0 = json_array_get(list, 0);
    ck_assert_str_eq(str(e0, "action"), "override");
    ck_assert(json_is_true(json_object_get(e0, "override_used")));
    ck_assert_str_eq(str(e0, "department"), "family");
    ck_assert_str_eq(str(json_array_get(list, 1), "action"), "consent");
    ck_assert_str_eq(str(json_array_get(list, 2), "purpose"), "own_case");
    ck_assert_str_eq(str(json_array_get(list, 3), "purpose"), "coordinated_effort");
    ck_assert_str_eq(str(json_array_get(list, 3), "department"), "social_services");
    ck_assert_str_eq(str(json_array_get(list, 4), "purpose"), "rehabilitation");
    ck_assert(json_is_false(json_object_get(json_array_get(list, 4), "override_used")));
    ck_assert_ptr_nonnull(str(json_array_get(list, 4), "legal_basis"));
    ck_assert_ptr_nonnull(str(json_array_get(list, 4), "at"));
    gpt_resp_free(&r);

    /* Reading the access log is itself a read: it is the newest entry now. Page by two. */
    ck_assert_int_eq(call("GET", "/v1/citizens/0404604567/access-log?limit=2",
                          "/v1/citizens/{cpr}/access-log", tok_audit, NULL, NULL, &r),
                     200);
    list = json_object_get(r.json, "entries");
    ck_assert_int_eq(json_array_size(list), 2);
    ck_assert_str_eq(str(json_array_get(list, 0), "action"), "read");
    ck_assert_str_eq(str(json_array_get(list, 0), "role"), "caseworker");
    ck_assert_str_eq(str(json_array_get(list, 1), "action"), "override");
    char next[64], path[160];
    snprintf(next, sizeof next, "%s", str(r.json, "next_cursor"));
    gpt_resp_free(&r);
    size_t seen = 2, pages = 1;
    while (next[0]) {
        snprintf(path, sizeof path, "/v1/citizens/0404604567/access-log?limit=2&cursor=%s", next);
        ck_assert_int_eq(
            call("GET", path, "/v1/citizens/{cpr}/access-log", tok_audit, NULL, NULL, &r), 200);
        seen += json_array_size(json_object_get(r.json, "entries"));
        pages++;
        json_t *c = json_object_get(r.json, "next_cursor");
        snprintf(next, sizeof next, "%s", json_is_string(c) ? json_string_value(c) : "");
        gpt_resp_free(&r);
    }
    ck_assert_int_eq(seen, 6); /* five, and the first access-log read; not the later ones */
    ck_assert_int_eq(pages, 3);

    /* Nothing about another citizen: every row of the log is this citizen's. */
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log WHERE cpr = '%s'", cpr);
    ck_assert_int_ge(count_of(sql), 6);
    ck_assert_int_eq(call("GET", "/v1/citizens/0404604567/access-log?limit=500",
                          "/v1/citizens/{cpr}/access-log", tok_job, NULL, NULL, &r),
                     200);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "entries")), count_of(sql) - 1);
    ck_assert_ptr_null(strstr(r.body, BO));
    gpt_resp_free(&r);

    static const char *const bad[][2] = {{"limit=0", "limit"},
                                         {"limit=501", "limit"},
                                         {"cursor=zz", "cursor"},
                                         {"cursor=a0", "cursor"}};
    for (size_t i = 0; i < 4; i++) {
        snprintf(path, sizeof path, "/v1/citizens/0404604567/access-log?%s", bad[i][0]);
        call("GET", path, "/v1/citizens/{cpr}/access-log", tok_job, NULL, NULL, &r);
        gpt_assert_problem(&r, 400, "invalid-parameter");
        ck_assert_str_eq(str(json_array_get(json_object_get(r.json, "errors"), 0), "field"),
                         bad[i][1]);
        gpt_resp_free(&r);
    }
    call("GET", "/v1/citizens/0404604567/access-log", "/v1/citizens/{cpr}/access-log", tok_bare,
         NULL, NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-parameter");
    gpt_resp_free(&r);
    call("GET", "/v1/citizens/0404604567/access-log", "/v1/citizens/{cpr}/access-log", tok_analyst,
         NULL, NULL, &r);
    gpt_assert_problem(&r, 403, "forbidden");
    gpt_resp_free(&r);
}
END_TEST

START_TEST(audit_search_filters_pages_and_is_audited)
{
    struct gpt_resp r;
    static const char cpr[] = "0505501678";
    for (int i = 0; i < 5; i++) {
        ck_assert_int_eq(call("GET", "/v1/citizens/0505501678", "/v1/citizens/{cpr}",
                              i % 2 ? tok_social : tok_job, NULL, NULL, &r),
                         200);
        gpt_resp_free(&r);
    }
    char path[256];
    const char *h[] = {"X-Request-Id: audit-search-1", NULL};
    ck_assert_int_eq(
        call("GET", "/v1/audit?cpr=050550-1678&limit=2", "/v1/audit", tok_audit, NULL, h, &r), 200);
    json_t *list = json_object_get(r.json, "entries");
    ck_assert_int_eq(json_array_size(list), 2);
    json_t *e0 = json_array_get(list, 0);
    ck_assert_str_eq(str(e0, "cpr"), cpr);
    ck_assert_str_eq(str(e0, "action"), "read");
    ck_assert_str_eq(str(e0, "route"), "GET /v1/citizens/{cpr}");
    ck_assert_str_eq(str(e0, "purpose"), GPT_DEFAULT_PURPOSE);
    ck_assert(json_is_array(json_object_get(e0, "sources_asked")));
    ck_assert_int_gt(json_integer_value(json_object_get(e0, "id")),
                     json_integer_value(json_object_get(json_array_get(list, 1), "id")));
    char next[64];
    snprintf(next, sizeof next, "%s", str(r.json, "next_cursor"));
    gpt_resp_free(&r);
    /* The search itself is audited, with its criteria, and shows in her access log. */
    char *row = gpt_db_scalar(db, "SELECT concat_ws('|', action, cpr, role, purpose IS NULL, "
                                  "legal_basis IS NOT NULL, details->'criteria'->>'cpr') FROM "
                                  "audit_log WHERE request_id = 'audit-search-1'");
    ck_assert_str_eq(row, "search|0505501678|auditor|t|t|0505501678");
    free(row);
    snprintf(path, sizeof path, "/v1/audit?cpr=0505501678&limit=2&cursor=%s", next);
    ck_assert_int_eq(call("GET", path, "/v1/audit", tok_audit, NULL, NULL, &r), 200);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "entries")), 2);
    gpt_resp_free(&r);

    /* By client and action; by time (a window in the future is empty). */
    snprintf(path, sizeof path, "/v1/audit?client=%lld&action=read&limit=500", id_job);
    ck_assert_int_eq(call("GET", path, "/v1/audit", tok_audit, NULL, NULL, &r), 200);
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r.json, "entries"), i, e)
    {
        ck_assert_int_eq(json_integer_value(json_object_get(e, "client_id")), id_job);
        ck_assert_str_eq(str(e, "action"), "read");
    }
    ck_assert_int_ge(json_array_size(json_object_get(r.json, "entries")), 3);
    gpt_resp_free(&r);
    ck_assert_int_eq(call("GET", "/v1/audit?from=2999-01-01T00:00:00%2B02:00&to=2999-12-31",
                          "/v1/audit", tok_audit, NULL, NULL, &r),
                     200);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "entries")), 0);
    ck_assert(json_is_null(json_object_get(r.json, "next_cursor")));
    gpt_resp_free(&r);
    ck_assert_int_eq(call("GET",
                          "/v1/audit?from=2020-01-01&to=2999-01-01T10:00:00.5Z&action=search",
                          "/v1/audit", tok_audit, NULL, NULL, &r),
                     200);
    ck_assert_int_ge(json_array_size(json_object_get(r.json, "entries")), 2);
    gpt_resp_free(&r);

    /* Every bad parameter named at once. */
    call("GET", "/v1/audit?cpr=123&client=x&action=peek&from=yesterday&to=2026-02-30&limit=0",
         "/v1/audit", tok_audit, NULL, NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-parameter");
    char fields[256];
    error_fields(&r, fields, sizeof fields);
    ck_assert_str_eq(fields, "action,client,cpr,from,limit,to");
    gpt_resp_free(&r);
    call("GET", "/v1/audit?cpr=3102901234", "/v1/audit", tok_audit, NULL, NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-cpr");
    gpt_resp_free(&r);
    /* Auditors only. */
    call("GET", "/v1/audit", "/v1/audit", tok_coord, NULL, NULL, &r);
    gpt_assert_problem(&r, 403, "forbidden");
    gpt_resp_free(&r);
}
END_TEST

START_TEST(audit_verify_names_the_tampered_row)
{
    struct gpt_resp r;
    ck_assert_int_eq(call("GET", "/v1/audit/verify", "/v1/audit/verify", tok_audit, NULL, NULL, &r),
                     200);
    ck_assert(json_is_true(json_object_get(r.json, "intact")));
    ck_assert(json_is_null(json_object_get(r.json, "first_broken_id")));
    long long last = json_integer_value(json_object_get(r.json, "last_id"));
    ck_assert_int_gt(last, 5);
    ck_assert_int_eq(strlen(str(r.json, "last_hash")), 64);
    gpt_resp_free(&r);
    call("GET", "/v1/audit/verify", "/v1/audit/verify", tok_job, NULL, NULL, &r);
    gpt_assert_problem(&r, 403, "forbidden");
    gpt_resp_free(&r);

    /* A superuser alters one sealed row (the triggers are what stops everyone else). */
    char sql[512];
    char *mid = gpt_db_scalar(db, "SELECT id FROM audit_chain ORDER BY seq"
                                  " OFFSET (SELECT count(*) / 2 FROM audit_chain) LIMIT 1");
    long long victim = atoll(mid);
    free(mid);
    snprintf(sql, sizeof sql,
             "BEGIN; ALTER TABLE audit_log DISABLE TRIGGER audit_log_append_only;"
             " UPDATE audit_log SET route = route || ' (altered)' WHERE id = %lld;"
             " ALTER TABLE audit_log ENABLE TRIGGER audit_log_append_only; COMMIT",
             victim);
    ck_assert_int_ge(gpt_db_exec(db, sql), 0);
    ck_assert_int_eq(call("GET", "/v1/audit/verify", "/v1/audit/verify", tok_audit, NULL, NULL, &r),
                     200);
    ck_assert(json_is_false(json_object_get(r.json, "intact")));
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "first_broken_id")), victim);
    ck_assert_str_eq(str(r.json, "problem"), "hash mismatch");
    gpt_resp_free(&r);
}
END_TEST

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("consent");
    TCase *tc = tcase_create("http");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, consent_recorded_read_and_withdrawn);
    tcase_add_test(tc, consent_bodies_name_every_bad_field);
    tcase_add_test(tc, consent_ids_and_purposes);
    tcase_add_test(tc, block_recorded_read_and_withdrawn);
    tcase_add_test(tc, block_bodies_name_every_bad_field);
    tcase_add_test(tc, override_for_coordinators_only_time_limited_and_flagged);
    tcase_add_test(tc, access_log_newest_first_paged_and_only_that_citizen);
    tcase_add_test(tc, audit_search_filters_pages_and_is_audited);
    tcase_add_test(tc, audit_verify_names_the_tampered_row); /* last: it breaks the chain */
    suite_add_tcase(s, tc);
    int rc = gpt_run_suite(s);
    curl_global_cleanup();
    return rc;
}
