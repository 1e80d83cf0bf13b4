/* The policy applied to the CPR button, end to end over real HTTP with deptsim and PostgreSQL:
 * a consent widens what another department sees on the very next request and a withdrawal
 * narrows it again; a block hides the data and keeps its source from even being asked; a
 * break-glass override shows it and is flagged in the audit row and the access log; cases
 * follow the same decisions; nothing hidden leaks into counts. */
#include "gptest.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define METTE "1203849318" /* known to all five systems */

static char *db;
static struct gpt_proc srv, sim;
static char *tok_job, *tok_social, *tok_coord;

static void setup(void)
{
    db = gpt_db_create("itest_sharing");
    char db_env[512];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"migrate", NULL};
    ck_assert_int_eq(gpt_glasplade(args, env, NULL, NULL), 0);
    gpt_deptsim_start(&sim, 200);
    gpt_register_sources(db, &sim, 1500);
    tok_job = gpt_token(db, "caseworker", "job_centre"); /* default purpose rehabilitation */
    tok_social = gpt_token(db, "caseworker", "social_services");
    tok_coord = gpt_token(db, "coordinator", "family");
    const char *extra[] = {"GLASPLADE_BREAKER_FAILURES=1000", NULL};
    gpt_server_start(&srv, db, extra);
}

static void teardown(void)
{
    if (srv.pid > 0)
        ck_assert_int_eq(gpt_proc_stop(&srv, SIGTERM), 0);
    if (sim.pid > 0)
        gpt_proc_stop(&sim, SIGTERM);
}

static long get(const char *path, const char *route, const char *token, struct gpt_resp *r)
{
    struct gpt_req q = {.path = path, .route = route, .token = token};
    gpt_http(srv.port, &q, r);
    return r->status;
}

static long post(const char *path, const char *route, const char *token, const char *body,
                 struct gpt_resp *r)
{
    struct gpt_req q = {.method = "POST",
                        .path = path,
                        .route = route,
                        .token = token,
                        .body = body,
                        .content_type = "application/json"};
    gpt_http(srv.port, &q, r);
    return r->status;
}

static void overview(const char *token, const char *refresh, struct gpt_resp *r)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/citizens/" METTE "/overview?refresh=%s", refresh);
    ck_assert_int_eq(get(path, "/v1/citizens/{cpr}/overview", token, r), 200);
}

/* The area's visibility in an overview, "absent" when the area is not in it. */
static const char *visibility(json_t *body, const char *area)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(body, "areas"), i, a)
    {
        if (!strcmp(json_string_value(json_object_get(a, "area")), area))
            return json_string_value(json_object_get(a, "visibility"));
    }
    return "absent";
}

static json_t *source_entry(json_t *body, const char *id)
{
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(body, "sources"), i, s)
    {
        if (!strcmp(json_string_value(json_object_get(s, "id")), id))
            return s;
    }
    ck_abort_msg("no source %s", id);
    return NULL;
}

static long sim_lookups(const char *system)
{
    char path[64];
    snprintf(path, sizeof path, "/stats/%s", system);
    json_t *j = gpt_deptsim_control(&sim, "GET", path, NULL);
    long n = (long)json_integer_value(json_object_get(j, "lookups"));
    json_decref(j);
    return n;
}

/* The public id (a UUID) of a recorded consent or block, into out. */
static void id_of(json_t *body, char out[40])
{
    const char *id = json_string_value(json_object_get(body, "id"));
    ck_assert_msg(id && strlen(id) == 36, "no public id in the answer");
    snprintf(out, 40, "%s", id);
}

/* The number of social-area cases the job centre sees on the cases route. */
static int social_cases(const char *token)
{
    struct gpt_resp r;
    ck_assert_int_eq(get("/v1/citizens/" METTE "/cases?refresh=never&area=social&limit=100",
                         "/v1/citizens/{cpr}/cases", token, &r),
                     200);
    int n = (int)json_array_size(json_object_get(r.json, "cases"));
    gpt_resp_free(&r);
    return n;
}

/* The issue's own scenario: existence without consent, full with it, existence after withdraw;
 * each read in the citizen's access log with its purpose. */
START_TEST(consent_then_withdraw_takes_effect_on_the_next_request)
{
    struct gpt_resp r;
    overview(tok_job, "always", &r);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "complete");
    ck_assert_str_eq(visibility(r.json, "social"), "existence");
    ck_assert_str_eq(visibility(r.json, "employment"), "full");
    ck_assert(json_is_true(json_object_get(r.json, "redacted")));
    gpt_resp_free(&r);
    ck_assert_int_eq(social_cases(tok_job), 0);

    ck_assert_int_eq(post("/v1/citizens/" METTE "/consents", "/v1/citizens/{cpr}/consents", tok_job,
                          "{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\"]},"
                          "\"form\":\"written\",\"evidence_ref\":\"itest\"}",
                          &r),
                     201);
    char consent[40];
    id_of(r.json, consent);
    gpt_resp_free(&r);

    overview(tok_job, "never", &r);
    ck_assert_str_eq(visibility(r.json, "social"), "full");
    ck_assert_str_eq(visibility(r.json, "family"), "existence"); /* not in the consent */
    gpt_resp_free(&r);
    int with_consent = social_cases(tok_job);
    ck_assert_int_gt(with_consent, 0);

    /* A consent for another purpose does not apply. */
    struct gpt_req q = {.path = "/v1/citizens/" METTE "/overview?refresh=never",
                        .route = "/v1/citizens/{cpr}/overview",
                        .token = tok_job,
                        .headers = (const char *[]){"X-Purpose: own_case", NULL}};
    gpt_http(srv.port, &q, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_str_eq(visibility(r.json, "social"), "existence");
    gpt_resp_free(&r);

    char path[96];
    snprintf(path, sizeof path, "/v1/consents/%s/withdraw", consent);
    ck_assert_int_eq(post(path, "/v1/consents/{id}/withdraw", tok_job,
                          "{\"reason\":\"withdrawn by phone\"}", &r),
                     200);
    gpt_resp_free(&r);
    overview(tok_job, "never", &r);
    ck_assert_str_eq(visibility(r.json, "social"), "existence");
    gpt_resp_free(&r);
    ck_assert_int_eq(social_cases(tok_job), 0);

    /* The access log lists the reads, newest first, with their purposes. */
    ck_assert_int_eq(get("/v1/citizens/" METTE "/access-log?limit=50",
                         "/v1/citizens/{cpr}/access-log", tok_job, &r),
                     200);
    size_t i;
    json_t *e;
    int reads = 0, own_case = 0;
    json_array_foreach(json_object_get(r.json, "entries"), i, e)
    {
        if (strcmp(json_string_value(json_object_get(e, "action")), "read") != 0)
            continue;
        reads++;
        own_case += !strcmp(json_string_value(json_object_get(e, "purpose")), "own_case");
    }
    ck_assert_int_ge(reads, 7); /* 4 overviews and 3 cases reads at least */
    ck_assert_int_eq(own_case, 1);
    gpt_resp_free(&r);
    char *verify = gpt_db_scalar(db, "SELECT count(*) FROM audit_verify()");
    ck_assert_str_eq(verify, "0");
    free(verify);
}
END_TEST

/* A department block: the source is not asked for callers outside it, nothing of it is shown
 * (no area, no count), the answer is still complete for what the caller may see; the
 * department itself still sees its own case; a break-glass override shows it and is flagged. */
START_TEST(blocks_keep_sources_unasked_and_overrides_are_flagged)
{
    struct gpt_resp r;
    overview(tok_job, "always", &r); /* the index knows social's records */
    ck_assert_str_eq(visibility(r.json, "social"), "existence");
    gpt_resp_free(&r);

    ck_assert_int_eq(post("/v1/citizens/" METTE "/blocks", "/v1/citizens/{cpr}/blocks", tok_social,
                          "{\"scope\":{\"kind\":\"department\",\"value\":\"social_services\"},"
                          "\"reason\":\"the citizen does not want it shared\"}",
                          &r),
                     201);
    char block[40];
    id_of(r.json, block);
    gpt_resp_free(&r);

    long before = sim_lookups("social");
    overview(tok_job, "always", &r);
    ck_assert_int_eq(sim_lookups("social"), before); /* not even asked */
    json_t *s = source_entry(r.json, "social");
    ck_assert_str_eq(json_string_value(json_object_get(s, "status")), "blocked");
    ck_assert(json_is_false(json_object_get(s, "asked")));
    ck_assert(json_is_null(json_object_get(s, "fetched_at")));
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "complete");
    json_t *c = json_object_get(r.json, "completeness");
    ck_assert_int_eq(json_integer_value(json_object_get(c, "asked")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "answered")), 4);
    ck_assert_str_eq(visibility(r.json, "social"), "absent");
    gpt_resp_free(&r);

    /* A consent does not lift a block. */
    ck_assert_int_eq(post("/v1/citizens/" METTE "/consents", "/v1/citizens/{cpr}/consents", tok_job,
                          "{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\"]},"
                          "\"form\":\"oral\",\"note\":\"by phone\"}",
                          &r),
                     201);
    gpt_resp_free(&r);
    overview(tok_job, "never", &r);
    ck_assert_str_eq(visibility(r.json, "social"), "absent");
    gpt_resp_free(&r);
    ck_assert_int_eq(social_cases(tok_job), 0);

    /* The department keeps its own case, and its source is asked for it. */
    before = sim_lookups("social");
    overview(tok_social, "always", &r);
    ck_assert_int_eq(sim_lookups("social"), before + 1);
    ck_assert_str_eq(visibility(r.json, "social"), "full");
    gpt_resp_free(&r);

    /* Break-glass: the coordinator sees it in full, and the read's audit row says so. */
    overview(tok_coord, "never", &r);
    ck_assert_str_eq(visibility(r.json, "social"), "absent");
    gpt_resp_free(&r);
    ck_assert_int_eq(post("/v1/citizens/" METTE "/overrides", "/v1/citizens/{cpr}/overrides",
                          tok_coord,
                          "{\"reason_code\":\"acute_risk\",\"note\":\"itest\",\"minutes\":5}", &r),
                     201);
    gpt_resp_free(&r);
    overview(tok_coord, "always", &r);
    ck_assert_str_eq(json_string_value(json_object_get(source_entry(r.json, "social"), "status")),
                     "ok");
    ck_assert_str_eq(visibility(r.json, "social"), "full");
    gpt_resp_free(&r);
    char *flag = gpt_db_scalar(db, "SELECT override_used FROM audit_log WHERE action = 'read'"
                                   " ORDER BY id DESC LIMIT 1");
    ck_assert_str_eq(flag, "t");
    free(flag);
    /* ... and only the override's holder: the job centre still sees nothing of it. */
    overview(tok_job, "never", &r);
    ck_assert_str_eq(visibility(r.json, "social"), "absent");
    gpt_resp_free(&r);
    flag = gpt_db_scalar(db, "SELECT override_used FROM audit_log WHERE action = 'read'"
                             " ORDER BY id DESC LIMIT 1");
    ck_assert_str_eq(flag, "f");
    free(flag);

    /* Withdrawn: asked again, existence again (the consent was for rehabilitation: full). */
    char path[96];
    snprintf(path, sizeof path, "/v1/blocks/%s/withdraw", block);
    ck_assert_int_eq(post(path, "/v1/blocks/{id}/withdraw", tok_social,
                          "{\"reason\":\"lifted by the citizen\"}", &r),
                     200);
    gpt_resp_free(&r);
    before = sim_lookups("social");
    overview(tok_job, "always", &r);
    ck_assert_int_eq(sim_lookups("social"), before + 1);
    ck_assert_str_eq(visibility(r.json, "social"), "full");
    gpt_resp_free(&r);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("sharing");
    TCase *tc = tcase_create("policy");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, consent_then_withdraw_takes_effect_on_the_next_request);
    tcase_add_test(tc, blocks_keep_sources_unasked_and_overrides_are_flagged);
    suite_add_tcase(s, tc);
    return gpt_run_suite(s);
}
