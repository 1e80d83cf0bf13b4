/* The CPR button over real HTTP: the real server, the real simulators (deptsim) as the five
 * department systems, a real PostgreSQL. Faults are switched on through deptsim's control
 * port; requests reaching each system are counted there. */
#include "gptest.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define METTE       "1203849318" /* known to all five systems */
#define JONAS       "0507909301" /* only a family case */
#define UNKNOWN     "0101759994" /* known to nobody */
#define BENT        "2311629339" /* hundreds of records */
#define ERIK        "3006489329" /* mostly benefit types never shared */
#define DEADLINE_MS 2000

static char *db;
static struct gpt_proc sim, srv;
static char *tok_job, *tok_social, *tok_admin;

static void setup(void)
{
    db = gpt_db_create("itest_overview");
    char db_env[512];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"migrate", NULL};
    ck_assert_int_eq(gpt_glasplade(args, env, NULL, NULL), 0);
    gpt_deptsim_start(&sim, 200);
    gpt_register_sources(db, &sim, 1500);
    tok_job = gpt_token(db, "caseworker", "job_centre");
    tok_social = gpt_token(db, "caseworker", "social_services");
    tok_admin = gpt_token(db, "admin", NULL);
    const char *extra[] = {"GLASPLADE_REQUEST_DEADLINE_MS=2000", "GLASPLADE_BREAKER_FAILURES=1000",
                           "GLASPLADE_SOURCE_MAX_BYTES=262144", NULL};
    gpt_server_start(&srv, db, extra);
}

static void teardown(void)
{
    if (srv.pid > 0)
        ck_assert_int_eq(gpt_proc_stop(&srv, SIGTERM), 0);
    if (sim.pid > 0)
        gpt_proc_stop(&sim, SIGTERM);
}

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static long overview(const char *cpr, const char *query, const char *token, struct gpt_resp *r)
{
    char path[256];
    snprintf(path, sizeof path, "/v1/citizens/%s/overview%s%s", cpr, query ? "?" : "",
             query ? query : "");
    struct gpt_req q = {.path = path, .route = "/v1/citizens/{cpr}/overview", .token = token};
    gpt_http(srv.port, &q, r);
    return r->status;
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
    ck_abort_msg("no source %s in the answer", id);
    return NULL;
}

static const char *source_status(json_t *body, const char *id)
{
    return json_string_value(json_object_get(source_entry(body, id), "status"));
}

static json_t *area_entry(json_t *body, const char *area)
{
    size_t i;
    json_t *a;
    json_array_foreach(json_object_get(body, "areas"), i, a)
    {
        if (!strcmp(json_string_value(json_object_get(a, "area")), area))
            return a;
    }
    return NULL;
}

static long sim_stat(const char *system, const char *key)
{
    char path[64];
    snprintf(path, sizeof path, "/stats/%s", system);
    json_t *j = gpt_deptsim_control(&sim, "GET", path, NULL);
    long n = (long)json_integer_value(json_object_get(j, key));
    json_decref(j);
    return n;
}

/* Lookups of a citizen the system saw (a FHIR system: patient searches; the searches by the
 * patient's id that follow are "searches"). */
static long sim_lookups(const char *system)
{
    return sim_stat(system, "lookups");
}

static void fault(const char *system, const char *json)
{
    char path[64];
    snprintf(path, sizeof path, "/faults/%s", system);
    json_decref(gpt_deptsim_control(&sim, "PUT", path, json));
}

static void clear_faults(void)
{
    json_decref(gpt_deptsim_control(&sim, "DELETE", "/faults", NULL));
}

START_TEST(all_sources_answer)
{
    struct gpt_resp r;
    ck_assert_int_eq(overview(METTE, "refresh=always", tok_job, &r), 200);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "complete");
    json_t *c = json_object_get(r.json, "completeness");
    ck_assert_int_eq(json_integer_value(json_object_get(c, "answered")), 5);
    ck_assert_int_eq(json_integer_value(json_object_get(c, "asked")), 5);
    const char *ids[] = {"jobcentre", "social", "health", "region", "family"};
    for (int k = 0; k < 5; k++) {
        json_t *s = source_entry(r.json, ids[k]);
        ck_assert_str_eq(json_string_value(json_object_get(s, "status")), "ok");
        ck_assert(json_is_true(json_object_get(s, "asked")));
        ck_assert(json_is_false(json_object_get(s, "stale")));
        ck_assert(json_is_number(json_object_get(s, "latency_ms")));
    }
    /* Every area shows; the job centre sees its own in full and the others exist. */
    const char *areas[] = {"employment", "social", "health_municipal", "health_regional", "family"};
    for (int k = 0; k < 5; k++) {
        json_t *a = area_entry(r.json, areas[k]);
        ck_assert_msg(a, "area %s missing", areas[k]);
        ck_assert_str_eq(json_string_value(json_object_get(a, "visibility")),
                         k == 0 ? "full" : "existence");
        if (k > 0) /* existence leaks nothing but the area */
            ck_assert_ptr_null(json_object_get(a, "case_types"));
    }
    json_t *emp = area_entry(r.json, "employment");
    ck_assert_int_gt(json_array_size(json_object_get(emp, "case_types")), 0);
    ck_assert_int_gt(json_array_size(json_object_get(emp, "data_types")), 0);
    ck_assert(json_is_true(json_object_get(r.json, "redacted")));
    gpt_resp_free(&r);

    /* The social department sees social in full and employment only as existing. */
    ck_assert_int_eq(overview(METTE, "refresh=never", tok_social, &r), 200);
    ck_assert_str_eq(json_string_value(json_object_get(area_entry(r.json, "social"), "visibility")),
                     "full");
    ck_assert_str_eq(
        json_string_value(json_object_get(area_entry(r.json, "employment"), "visibility")),
        "existence");
    gpt_resp_free(&r);

    /* The citizen is now known. */
    struct gpt_req q = {
        .path = "/v1/citizens/" METTE, .route = "/v1/citizens/{cpr}", .token = tok_job};
    gpt_http(srv.port, &q, &r);
    ck_assert(json_is_true(json_object_get(r.json, "known")));
    gpt_resp_free(&r);
}
END_TEST

START_TEST(unknown_and_single_department_citizens)
{
    struct gpt_resp r;
    ck_assert_int_eq(overview(UNKNOWN, "refresh=always", tok_job, &r), 200);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "complete");
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "areas")), 0);
    ck_assert(json_is_false(json_object_get(r.json, "redacted")));
    gpt_resp_free(&r);

    ck_assert_int_eq(overview(JONAS, "refresh=always", tok_job, &r), 200);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "areas")), 1);
    ck_assert_ptr_nonnull(area_entry(r.json, "family"));
    gpt_resp_free(&r);
}
END_TEST

struct fault_case {
    const char *spec;
    const char *status;
};

static const struct fault_case faults[] = {
    {"{\"refuse\":true}", "unavailable"},
    {"{\"hang\":true}", "timeout"},
    {"{\"error_rate\":1,\"error_status\":500}", "error"},
    {"{\"error_rate\":1,\"error_status\":503}", "error"},
    {"{\"malformed\":true}", "error"},
    {"{\"truncate\":true}", "error"},
    {"{\"oversize_bytes\":1048576}", "error"},
    {"{\"drip_bytes_per_sec\":200}", "timeout"},
    {"{\"latency_ms\":5000}", "timeout"},
    {"{\"wrong_content_type\":\"text/html\"}", "error"},
};

START_TEST(one_failing_source_degrades_the_answer)
{
    const struct fault_case *fc = &faults[_i];
    struct gpt_resp r;
    /* Something in the index first, so the failing source's old answer can show as stale. */
    ck_assert_int_eq(overview(METTE, "refresh=always", tok_job, &r), 200);
    gpt_resp_free(&r);
    fault("region", fc->spec);
    double t0 = now_ms();
    ck_assert_int_eq(overview(METTE, "refresh=always", tok_job, &r), 200);
    double took = now_ms() - t0;
    clear_faults();
    ck_assert_msg(took <= DEADLINE_MS + 100, "%s: answered after %.0f ms", fc->spec, took);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "partial");
    ck_assert_msg(!strcmp(source_status(r.json, "region"), fc->status), "%s: region is %s",
                  fc->spec, source_status(r.json, "region"));
    json_t *reg = source_entry(r.json, "region");
    ck_assert(json_is_string(json_object_get(reg, "error")));
    ck_assert(json_is_true(json_object_get(reg, "stale")));
    ck_assert(json_is_integer(json_object_get(reg, "age_s")));
    ck_assert_str_eq(source_status(r.json, "jobcentre"), "ok");
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(r.json, "completeness"), "answered")),
        4);
    /* What the index knew of the region is still shown, marked stale. */
    json_t *area = area_entry(r.json, "health_regional");
    ck_assert_ptr_nonnull(area);
    ck_assert(json_is_true(json_object_get(area, "stale")));
    gpt_resp_free(&r);
}
END_TEST

START_TEST(all_sources_failing_is_failed_not_an_error)
{
    struct gpt_resp r;
    fault("all", "{\"refuse\":true}");
    ck_assert_int_eq(overview(JONAS, "refresh=always", tok_job, &r), 200);
    clear_faults();
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "failed");
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(r.json, "completeness"), "answered")),
        0);
    gpt_resp_free(&r);
}
END_TEST

START_TEST(refresh_modes)
{
    struct gpt_resp r;
    const char *cpr = "1806109319"; /* not looked up by any other test */
    long before = sim_lookups("health");
    /* never: the index only; nothing asked, every source stale and never fetched. */
    ck_assert_int_eq(overview(cpr, "refresh=never", tok_job, &r), 200);
    ck_assert_int_eq(sim_lookups("health"), before);
    ck_assert_str_eq(source_status(r.json, "health"), "stale");
    ck_assert(json_is_false(json_object_get(source_entry(r.json, "health"), "asked")));
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "failed");
    gpt_resp_free(&r);
    /* auto: asks what the index does not have fresh. */
    ck_assert_int_eq(overview(cpr, NULL, tok_job, &r), 200);
    ck_assert_int_eq(sim_lookups("health"), before + 1);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "complete");
    gpt_resp_free(&r);
    /* auto again, within the TTL: from the index, nothing asked, still complete. */
    ck_assert_int_eq(overview(cpr, "refresh=auto", tok_job, &r), 200);
    ck_assert_int_eq(sim_lookups("health"), before + 1);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "complete");
    ck_assert(json_is_false(json_object_get(source_entry(r.json, "health"), "asked")));
    ck_assert_ptr_nonnull(area_entry(r.json, "health_municipal"));
    gpt_resp_free(&r);
    /* always: asks again. */
    ck_assert_int_eq(overview(cpr, "refresh=always", tok_job, &r), 200);
    ck_assert_int_eq(sim_lookups("health"), before + 2);
    gpt_resp_free(&r);
}
END_TEST

struct concurrent {
    const char *token;
    long status;
    char answer_status[16];
};

static void *one_lookup(void *cls)
{
    struct concurrent *c = cls;
    struct gpt_resp r;
    struct gpt_req q = {.path = "/v1/citizens/" METTE "/overview?refresh=always",
                        .route = "/v1/citizens/{cpr}/overview",
                        .token = c->token};
    if (gpt_http_try(srv.port, &q, &r)) {
        c->status = r.status;
        const char *s = json_string_value(json_object_get(r.json, "status"));
        snprintf(c->answer_status, sizeof c->answer_status, "%s", s ? s : "");
        gpt_resp_free(&r);
    }
    return NULL;
}

START_TEST(concurrent_lookups_share_one_fan_out)
{
    /* Slow systems make the lookups overlap for certain. */
    fault("all", "{\"latency_ms\":400}");
    json_decref(gpt_deptsim_control(&sim, "POST", "/stats/reset", NULL));
    enum { N = 12 };
    pthread_t t[N];
    struct concurrent c[N];
    for (int i = 0; i < N; i++) {
        c[i] = (struct concurrent){.token = tok_job};
        pthread_create(&t[i], NULL, one_lookup, &c[i]);
    }
    for (int i = 0; i < N; i++)
        pthread_join(t[i], NULL);
    clear_faults();
    for (int i = 0; i < N; i++) {
        ck_assert_int_eq(c[i].status, 200);
        ck_assert_str_eq(c[i].answer_status, "complete");
    }
    const char *systems[] = {"jobcentre", "social", "health", "region", "family"};
    for (int k = 0; k < 5; k++)
        ck_assert_msg(sim_lookups(systems[k]) == 1, "%s saw %ld lookups for %d requests",
                      systems[k], sim_lookups(systems[k]), N);
}
END_TEST

/* A FHIR server that caps its page size answers in pages: the lookup follows the next links
 * (one request per page, counted at the simulator) and the answer is the same records as in one
 * page — none marked removed, none rewritten. */
#define HEALTH_RECORDS                                                                             \
    "SELECT count(*) || ' ' || count(*) FILTER (WHERE removed_at IS NOT NULL) || ' ' ||"           \
    " md5(string_agg(source_id || source_ref || case_type || coalesce(legal_basis, '') ||"         \
    " coalesce(unit, '') || coalesce(caseworker_name, '') || xmin::text, ',' ORDER BY"             \
    " source_id, source_ref)) FROM record WHERE cpr = '" METTE "'"                                 \
    " AND source_id IN ('health', 'region')"
START_TEST(capped_fhir_pages_are_followed)
{
    clear_faults();
    struct gpt_resp r;
    ck_assert_int_eq(overview(METTE, "refresh=always", tok_job, &r), 200);
    gpt_resp_free(&r);
    char *before = gpt_db_scalar(db, HEALTH_RECORDS);
    long n = atol(before);
    ck_assert_msg(n > 4, "%s", before);
    json_decref(gpt_deptsim_control(&sim, "POST", "/stats/reset", NULL));
    fault("health", "{\"page_max\":2}");
    fault("region", "{\"page_max\":2}");
    ck_assert_int_eq(overview(METTE, "refresh=always", tok_job, &r), 200);
    clear_faults();
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "complete");
    ck_assert_str_eq(json_string_value(json_object_get(source_entry(r.json, "health"), "status")),
                     "ok");
    ck_assert_str_eq(json_string_value(json_object_get(source_entry(r.json, "region"), "status")),
                     "ok");
    gpt_resp_free(&r);
    /* One patient search each, and more than the one search per type each holds. */
    ck_assert_int_eq(sim_lookups("health") + sim_lookups("region"), 2);
    ck_assert_int_gt(sim_stat("health", "searches") + sim_stat("region", "searches"), 6);
    ck_assert_int_eq(sim_lookups("jobcentre"), 1);
    char *after = gpt_db_scalar(db, HEALTH_RECORDS);
    ck_assert_str_eq(after, before);
    free(after);
    free(before);
}
END_TEST

START_TEST(records_no_longer_returned_are_marked_removed)
{
    struct gpt_resp r;
    ck_assert_int_eq(overview(METTE, "refresh=always", tok_job, &r), 200);
    gpt_resp_free(&r);
    /* A record the job centre returned once, but no longer does. */
    ck_assert_int_eq(gpt_db_exec(db,
                                 "INSERT INTO record (cpr, source_id, source_ref, area, department,"
                                 " case_type, data_type, kind, status, sensitivity, fetched_at)"
                                 " VALUES ('" METTE "', 'jobcentre', 'GONE-1', 'employment',"
                                 " 'job_centre', 'mentor', 'grant', 'activity', 'open', 'normal',"
                                 " now() - interval '1 day')"),
                     1);
    /* As every writer of record but the press itself does: the index no longer holds exactly
     * the job centre's last answer (migration 0013). */
    ck_assert_int_eq(gpt_db_exec(db, "UPDATE source_fetch SET answer_digest = NULL"
                                     " WHERE cpr = '" METTE "' AND source_id = 'jobcentre'"),
                     1);
    ck_assert_int_eq(overview(METTE, "refresh=always", tok_job, &r), 200);
    gpt_resp_free(&r);
    char *removed = gpt_db_scalar(db, "SELECT removed_at IS NOT NULL FROM record"
                                      " WHERE source_ref = 'GONE-1'");
    ck_assert_str_eq(removed, "t");
    free(removed);
    /* The records it did return are live. */
    char *live = gpt_db_scalar(db, "SELECT count(*) FROM record WHERE cpr = '" METTE
                                   "' AND source_id = 'jobcentre' AND removed_at IS NULL");
    ck_assert_int_gt(atoi(live), 0);
    free(live);
    /* A failing source's records are kept, not removed. */
    fault("jobcentre", "{\"error_rate\":1,\"error_status\":500}");
    ck_assert_int_eq(overview(METTE, "refresh=always", tok_job, &r), 200);
    gpt_resp_free(&r);
    clear_faults();
    char *still = gpt_db_scalar(db, "SELECT count(*) FROM record WHERE cpr = '" METTE
                                    "' AND source_id = 'jobcentre' AND removed_at IS NULL");
    ck_assert_str_eq(still, live ? still : "");
    free(still);
}
END_TEST

static long cases(const char *cpr, const char *query, const char *token, struct gpt_resp *r)
{
    char path[512];
    snprintf(path, sizeof path, "/v1/citizens/%s/cases%s%s", cpr, query ? "?" : "",
             query ? query : "");
    struct gpt_req q = {.path = path, .route = "/v1/citizens/{cpr}/cases", .token = token};
    gpt_http(srv.port, &q, r);
    return r->status;
}

START_TEST(cases_paginate_stably_and_completely)
{
    struct gpt_resp r;
    ck_assert_int_eq(overview(BENT, "refresh=always", tok_job, &r), 200);
    gpt_resp_free(&r);
    char *total = gpt_db_scalar(db, "SELECT count(*) FROM record WHERE cpr = '" BENT
                                    "' AND department = 'job_centre' AND removed_at IS NULL");
    ck_assert_int_gt(atoi(total), 20);
    char query[128] = "refresh=never&limit=7";
    long seen = 0, last_id = 0;
    for (int page = 0; page < 1000; page++) {
        ck_assert_int_eq(cases(BENT, query, tok_job, &r), 200);
        json_t *list = json_object_get(r.json, "cases");
        size_t i;
        json_t *c;
        json_array_foreach(list, i, c)
        {
            long id = (long)json_integer_value(json_object_get(c, "id"));
            ck_assert_int_gt(id, last_id); /* ascending: no duplicates, nothing skipped back */
            last_id = id;
            ck_assert_str_eq(json_string_value(json_object_get(c, "visibility")), "full");
            ck_assert_str_eq(json_string_value(json_object_get(c, "department")), "job_centre");
            seen++;
        }
        json_t *next = json_object_get(r.json, "next_cursor");
        if (json_is_null(next)) {
            ck_assert_int_le(json_array_size(list), 7);
            gpt_resp_free(&r);
            break;
        }
        ck_assert_int_eq(json_array_size(list), 7); /* only the last page is short */
        snprintf(query, sizeof query, "refresh=never&limit=7&cursor=%s", json_string_value(next));
        gpt_resp_free(&r);
    }
    ck_assert_int_eq(seen, atol(total));
    free(total);
}
END_TEST

START_TEST(cases_filters)
{
    struct gpt_resp r;
    ck_assert_int_eq(overview(BENT, "refresh=auto", tok_job, &r), 200);
    gpt_resp_free(&r);
    ck_assert_int_eq(cases(BENT, "refresh=never&status=open&limit=500", tok_job, &r), 200);
    size_t i;
    json_t *c;
    json_array_foreach(json_object_get(r.json, "cases"), i, c)
        ck_assert_str_eq(json_string_value(json_object_get(c, "status")), "open");
    char *open = gpt_db_scalar(db, "SELECT count(*) FROM record WHERE cpr = '" BENT
                                   "' AND department = 'job_centre' AND status = 'open'"
                                   " AND removed_at IS NULL");
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "cases")), atol(open));
    free(open);
    gpt_resp_free(&r);

    ck_assert_int_eq(cases(BENT, "refresh=never&area=social", tok_job, &r), 200);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "cases")), 0); /* existence only */
    gpt_resp_free(&r);

    ck_assert_int_eq(cases(BENT, "refresh=never&since=2026-01-01&limit=500", tok_job, &r), 200);
    json_array_foreach(json_object_get(r.json, "cases"), i, c)
    {
        const char *s = json_string_value(json_object_get(c, "start_date"));
        const char *e = json_string_value(json_object_get(c, "end_date"));
        const char *d = json_string_value(json_object_get(c, "document_date"));
        ck_assert((s && strcmp(s, "2026-01-01") >= 0) || (e && strcmp(e, "2026-01-01") >= 0) ||
                  (d && strcmp(d, "2026-01-01") >= 0));
    }
    gpt_resp_free(&r);
}
END_TEST

START_TEST(excluded_types_never_cross_departments)
{
    struct gpt_resp r;
    ck_assert_int_eq(overview(ERIK, "refresh=always", tok_job, &r), 200);
    gpt_resp_free(&r);
    char *excluded = gpt_db_scalar(
        db, "SELECT count(*) FROM record r JOIN case_type t ON t.code = r.case_type WHERE r.cpr "
            "= '" ERIK "' AND NOT t.cross_department AND r.department = 'social_services'");
    ck_assert_int_gt(atoi(excluded), 0);
    free(excluded);
    /* The social department sees its own excluded types; the job centre sees none of them. */
    ck_assert_int_eq(cases(ERIK, "refresh=never&limit=500", tok_social, &r), 200);
    size_t i, own_excluded = 0;
    json_t *c;
    json_array_foreach(json_object_get(r.json, "cases"), i, c)
    {
        const char *code =
            json_string_value(json_object_get(json_object_get(c, "case_type"), "code"));
        if (!strcmp(code, "hjaelpemidler") || !strcmp(code, "helbredstillaeg"))
            own_excluded++;
    }
    gpt_resp_free(&r);
    ck_assert_int_eq(cases(ERIK, "refresh=never&limit=500", tok_job, &r), 200);
    ck_assert_int_eq(json_array_size(json_object_get(r.json, "cases")), 0);
    ck_assert(json_is_true(json_object_get(r.json, "redacted")));
    gpt_resp_free(&r);
    (void)own_excluded;
}
END_TEST

START_TEST(bad_parameters_are_400_naming_them)
{
    static const char *const bad[][2] = {
        {"refresh=sometimes", "refresh"}, {"area=moon", "area"},
        {"data_type=poem", "data_type"},  {"status=maybe", "status"},
        {"since=2024-13-01", "since"},    {"limit=0", "limit"},
        {"limit=501", "limit"},           {"limit=ten", "limit"},
        {"cursor=abc", "cursor"},         {"colour=red", "colour"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct gpt_resp r;
        cases(METTE, bad[i][0], tok_job, &r);
        gpt_assert_problem(&r, 400, "invalid-parameter");
        json_t *e0 = json_array_get(json_object_get(r.json, "errors"), 0);
        ck_assert_str_eq(json_string_value(json_object_get(e0, "field")), bad[i][1]);
        gpt_resp_free(&r);
    }
    struct gpt_resp r;
    overview(METTE, "refresh=later", tok_job, &r);
    gpt_assert_problem(&r, 400, "invalid-parameter");
    gpt_resp_free(&r);
    overview("3201901234", NULL, tok_job, &r);
    gpt_assert_problem(&r, 400, "invalid-cpr");
    gpt_resp_free(&r);
    overview(METTE, NULL, tok_admin, &r);
    gpt_assert_problem(&r, 403, "forbidden");
    gpt_resp_free(&r);
}
END_TEST

/* Every personal-data read states a purpose: the X-Purpose header, the purpose query or the
 * token's default. A token without a default that states none gets a 400 naming `purpose`,
 * before any source is asked and without an audit row; stating one makes the same read work. */
START_TEST(purpose_is_required)
{
    char *bare = gpt_token_purpose(db, "caseworker", "job_centre", NULL);
    char *total = gpt_db_scalar(db, "SELECT count(*) FROM audit_log");
    static const char *const paths[][2] = {
        {"/v1/citizens/" METTE "/overview?refresh=never", "/v1/citizens/{cpr}/overview"},
        {"/v1/citizens/" METTE "/cases?refresh=never", "/v1/citizens/{cpr}/cases"},
        {"/v1/citizens/" METTE, "/v1/citizens/{cpr}"},
    };
    for (size_t i = 0; i < sizeof paths / sizeof paths[0]; i++) {
        struct gpt_resp r;
        struct gpt_req q = {.path = paths[i][0], .route = paths[i][1], .token = bare};
        gpt_http(srv.port, &q, &r);
        gpt_assert_problem(&r, 400, "invalid-parameter");
        json_t *e0 = json_array_get(json_object_get(r.json, "errors"), 0);
        ck_assert_str_eq(json_string_value(json_object_get(e0, "field")), "purpose");
        gpt_resp_free(&r);
    }
    char *total2 = gpt_db_scalar(db, "SELECT count(*) FROM audit_log");
    ck_assert_str_eq(total, total2);
    free(total2);

    /* The header, or the query, is enough; the audit row records it. */
    const char *h[] = {"X-Purpose: coordinated_effort", "X-Request-Id: purpose-probe-1", NULL};
    struct gpt_resp r;
    struct gpt_req q = {.path = paths[0][0], .route = paths[0][1], .token = bare, .headers = h};
    gpt_http(srv.port, &q, &r);
    ck_assert_int_eq(r.status, 200);
    gpt_resp_free(&r);
    char *purpose =
        gpt_db_scalar(db, "SELECT purpose FROM audit_log WHERE request_id = 'purpose-probe-1'");
    ck_assert_str_eq(purpose, "coordinated_effort");
    free(purpose);
    struct gpt_req q2 = {.path = "/v1/citizens/" METTE "/cases?refresh=never&purpose=own_case",
                         .route = "/v1/citizens/{cpr}/cases",
                         .token = bare};
    gpt_http(srv.port, &q2, &r);
    ck_assert_int_eq(r.status, 200);
    gpt_resp_free(&r);

    /* A token's default purpose is used when none is stated, and a stated one wins over it. */
    const char *h2[] = {"X-Request-Id: purpose-probe-2", NULL};
    struct gpt_req q3 = {
        .path = paths[0][0], .route = paths[0][1], .token = tok_job, .headers = h2};
    gpt_http(srv.port, &q3, &r);
    ck_assert_int_eq(r.status, 200);
    gpt_resp_free(&r);
    purpose =
        gpt_db_scalar(db, "SELECT purpose FROM audit_log WHERE request_id = 'purpose-probe-2'");
    ck_assert_str_eq(purpose, GPT_DEFAULT_PURPOSE);
    free(purpose);
    free(total);
    free(bare);
}
END_TEST

START_TEST(sources_list_health)
{
    struct gpt_resp r;
    struct gpt_req q = {.path = "/v1/sources", .route = "/v1/sources", .token = tok_admin};
    gpt_http(srv.port, &q, &r);
    ck_assert_int_eq(r.status, 200);
    json_t *list = json_object_get(r.json, "sources");
    ck_assert_int_eq(json_array_size(list), 5);
    json_t *first = json_array_get(list, 0);
    ck_assert_str_eq(json_string_value(json_object_get(first, "id")), "family");
    json_t *h = json_object_get(first, "health");
    ck_assert_str_eq(json_string_value(json_object_get(h, "circuit")), "closed");
    ck_assert_int_gt(json_integer_value(json_object_get(h, "requests")), 0);
    ck_assert(json_is_number(json_object_get(h, "latency_p50_ms")));
    gpt_resp_free(&r);
}
END_TEST

/* A separate server with a quick breaker: three failures open the circuit, 1 s later one
 * probe is let through. */
START_TEST(circuit_opens_and_closes)
{
    struct gpt_proc quick;
    const char *extra[] = {"GLASPLADE_BREAKER_FAILURES=3", "GLASPLADE_BREAKER_OPEN_MS=1000", NULL};
    gpt_server_start(&quick, db, extra);
    struct gpt_resp r;
    struct gpt_req q = {.path = "/v1/citizens/" JONAS "/overview?refresh=always",
                        .route = "/v1/citizens/{cpr}/overview",
                        .token = tok_job};
    fault("social", "{\"refuse\":true}");
    for (int i = 0; i < 3; i++) {
        gpt_http(quick.port, &q, &r);
        ck_assert_str_eq(source_status(r.json, "social"), "unavailable");
        gpt_resp_free(&r);
    }
    json_decref(gpt_deptsim_control(&sim, "DELETE", "/faults/social", NULL));
    long before = sim_lookups("social");
    gpt_http(quick.port, &q, &r);
    ck_assert_str_eq(source_status(r.json, "social"), "circuit_open");
    /* Behind an open circuit nothing was sent: not asked, no latency. */
    ck_assert(json_is_false(json_object_get(source_entry(r.json, "social"), "asked")));
    ck_assert(json_is_null(json_object_get(source_entry(r.json, "social"), "latency_ms")));
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "partial");
    gpt_resp_free(&r);
    ck_assert_int_eq(sim_lookups("social"), before); /* not even asked */

    struct gpt_req sq = {.path = "/v1/sources", .route = "/v1/sources", .token = tok_admin};
    gpt_http(quick.port, &sq, &r);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(r.json, "sources"), i, s)
    {
        if (!strcmp(json_string_value(json_object_get(s, "id")), "social"))
            ck_assert_str_eq(
                json_string_value(json_object_get(json_object_get(s, "health"), "circuit")),
                "open");
    }
    gpt_resp_free(&r);

    usleep(1200 * 1000);
    gpt_http(quick.port, &q, &r); /* the probe: the system is back, so the circuit closes */
    ck_assert_str_eq(source_status(r.json, "social"), "ok");
    gpt_resp_free(&r);
    ck_assert_int_eq(sim_lookups("social"), before + 1);
    gpt_http(quick.port, &q, &r);
    ck_assert_str_eq(source_status(r.json, "social"), "ok");
    gpt_resp_free(&r);
    ck_assert_int_eq(gpt_proc_stop(&quick, SIGTERM), 0);
}
END_TEST

/* A refresh that returns what the index already has writes no new row versions. */
START_TEST(unchanged_records_are_not_rewritten)
{
    struct gpt_resp r;
    ck_assert_int_eq(overview(METTE, "refresh=always", tok_social, &r), 200);
    gpt_resp_free(&r);
    const char *sql = "SELECT count(*) || ':' || string_agg(xmin::text, ',' ORDER BY id) FROM "
                      "record WHERE cpr = '" METTE "' AND removed_at IS NULL";
    char *before = gpt_db_scalar(db, sql);
    ck_assert_int_eq(overview(METTE, "refresh=always", tok_social, &r), 200);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "complete");
    gpt_resp_free(&r);
    char *after = gpt_db_scalar(db, sql);
    ck_assert_int_gt(atoi(before), 10);
    ck_assert_str_eq(before, after);
    free(before);
    free(after);
}
END_TEST

/* An answer that is byte for byte the one the index holds in full (its digest, migration 0013)
 * is neither parsed nor stored: a record changed behind the index's back stays changed, while
 * the fetch itself is recorded. Once the digest is older than GLASPLADE_INDEX_DIGEST_TTL_S
 * (default an hour) the answer is stored in full again, which repairs the record. */
#define JC_TAMPERED                                                                                \
    "SELECT count(*) FROM record WHERE cpr = '" METTE "' AND source_id = 'jobcentre'"              \
    " AND title = 'changed behind the index''s back'"
#define JC_FETCH                                                                                   \
    "SELECT fetched_at || '|' || coalesce(answer_digest_at::text, '-') FROM source_fetch"          \
    " WHERE cpr = '" METTE "' AND source_id = 'jobcentre'"
static void tamper_job_centre_record(void)
{
    ck_assert_int_eq(gpt_db_exec(db, "UPDATE record SET title = 'changed behind the index''s back'"
                                     " WHERE id = (SELECT min(id) FROM record WHERE cpr = '" METTE
                                     "' AND source_id = 'jobcentre')"),
                     1);
}

START_TEST(an_unchanged_answer_is_not_stored_until_its_digest_ages)
{
    struct gpt_resp r;
    /* Other tests pressed for Mette: from nothing vouched for, each answer is stored in full. */
    ck_assert_int_ge(gpt_db_exec(db, "UPDATE source_fetch SET answer_digest = NULL"
                                     " WHERE cpr = '" METTE "'"),
                     0);
    ck_assert_int_eq(overview(METTE, "refresh=always", tok_job, &r), 200);
    gpt_resp_free(&r);
    char *vouched = gpt_db_scalar(db, "SELECT count(*) FROM source_fetch WHERE cpr = '" METTE
                                      "' AND answer_digest IS NOT NULL"
                                      " AND answer_digest_at = fetched_at");
    ck_assert_str_eq(vouched, "5"); /* all five answered with records */
    free(vouched);

    tamper_job_centre_record();
    char *before = gpt_db_scalar(db, JC_FETCH);
    ck_assert_int_eq(overview(METTE, "refresh=always", tok_job, &r), 200);
    ck_assert_str_eq(json_string_value(json_object_get(r.json, "status")), "complete");
    gpt_resp_free(&r);
    char *tampered = gpt_db_scalar(db, JC_TAMPERED);
    ck_assert_str_eq(tampered, "1"); /* not stored */
    free(tampered);
    char *after = gpt_db_scalar(db, JC_FETCH);
    /* The fetch is recorded (a later fetched_at); the digest keeps the age of its full store. */
    ck_assert_str_ne(after, before);
    ck_assert_str_eq(strchr(after, '|'), strchr(before, '|'));
    free(after);
    free(before);

    ck_assert_int_eq(gpt_db_exec(db, "UPDATE source_fetch SET answer_digest_at ="
                                     " answer_digest_at - interval '61 minutes'"
                                     " WHERE cpr = '" METTE "' AND source_id = 'jobcentre'"),
                     1);
    ck_assert_int_eq(overview(METTE, "refresh=always", tok_job, &r), 200);
    gpt_resp_free(&r);
    tampered = gpt_db_scalar(db, JC_TAMPERED);
    ck_assert_str_eq(tampered, "0"); /* stored in full: repaired */
    free(tampered);
    char *fresh = gpt_db_scalar(db, "SELECT answer_digest_at = fetched_at FROM source_fetch"
                                    " WHERE cpr = '" METTE "' AND source_id = 'jobcentre'");
    ck_assert_str_eq(fresh, "t");
    free(fresh);
}
END_TEST

struct slow_press {
    long status;
};

static void *slow_press(void *cls)
{
    struct slow_press *p = cls;
    struct gpt_resp r;
    p->status = overview(METTE, "refresh=always", tok_job, &r);
    gpt_resp_free(&r);
    return NULL;
}

/* A press found the job centre's answer unchanged, but while it waited for the (slow) system,
 * something else stored for the citizen and the index stopped vouching for that answer (as a
 * bulk sync does): the store refuses the unchanged answer, and the press parses and stores it
 * in full in the same transaction. */
START_TEST(an_answer_the_index_stopped_vouching_for_is_stored_in_full)
{
    struct gpt_resp r;
    ck_assert_int_eq(overview(METTE, "refresh=always", tok_job, &r), 200);
    gpt_resp_free(&r);
    tamper_job_centre_record();
    fault("jobcentre", "{\"latency_ms\":700}");
    struct slow_press p = {0};
    pthread_t t;
    pthread_create(&t, NULL, slow_press, &p);
    usleep(250 * 1000); /* the press has read the digests and waits for the job centre */
    ck_assert_int_eq(gpt_db_exec(db, "UPDATE source_fetch SET answer_digest = NULL,"
                                     " answer_digest_at = NULL"
                                     " WHERE cpr = '" METTE "' AND source_id = 'jobcentre'"),
                     1);
    pthread_join(t, NULL);
    clear_faults();
    ck_assert_int_eq(p.status, 200);
    char *tampered = gpt_db_scalar(db, JC_TAMPERED);
    ck_assert_str_eq(tampered, "0");
    free(tampered);
    char *vouched = gpt_db_scalar(db, "SELECT answer_digest_at = fetched_at FROM source_fetch"
                                      " WHERE cpr = '" METTE "' AND source_id = 'jobcentre'");
    ck_assert_str_eq(vouched, "t");
    free(vouched);
}
END_TEST

/* Every read of personal data writes one audit row in the same transaction: who, why, which
 * sources were asked and answered, what visibility came back. The chain verifies. */
START_TEST(every_read_is_audited)
{
    const char *cpr = "1402959302";
    char sql[256];
    snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log WHERE cpr = '%s'", cpr);
    char *before = gpt_db_scalar(db, sql);
    struct gpt_resp r;
    const char *h[] = {"X-Purpose: rehabilitation", "X-Request-Id: audit-probe-1", NULL};
    struct gpt_req q = {.path = "/v1/citizens/1402959302/overview?refresh=always",
                        .route = "/v1/citizens/{cpr}/overview",
                        .token = tok_job,
                        .headers = h};
    gpt_http(srv.port, &q, &r);
    ck_assert_int_eq(r.status, 200);
    gpt_resp_free(&r);
    ck_assert_int_eq(cases(cpr, "refresh=never", tok_job, &r), 200);
    gpt_resp_free(&r);
    struct gpt_req c = {
        .path = "/v1/citizens/1402959302", .route = "/v1/citizens/{cpr}", .token = tok_job};
    gpt_http(srv.port, &c, &r);
    ck_assert_int_eq(r.status, 200);
    gpt_resp_free(&r);
    char *after = gpt_db_scalar(db, sql);
    ck_assert_int_eq(atoi(after), atoi(before) + 3);
    free(before);
    free(after);

    char *row = gpt_db_scalar(
        db, "SELECT concat_ws('|', role, department, purpose, route, array_to_string("
            "sources_asked, ','), array_to_string(sources_answered, ','), visibility, "
            "override_used, legal_basis IS NOT NULL) FROM audit_log WHERE request_id = "
            "'audit-probe-1'");
    ck_assert_ptr_nonnull(row);
    ck_assert_str_eq(row, "caseworker|job_centre|rehabilitation|GET "
                          "/v1/citizens/{cpr}/overview|family,health,jobcentre,region,social|"
                          "family,health,jobcentre,region,social|full,existence|f|t");
    free(row);
    /* A failed request that never read anything writes nothing. */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM audit_log");
    char *total = gpt_db_scalar(db, sql);
    overview("3201901234", NULL, tok_job, &r);
    gpt_resp_free(&r);
    char *total2 = gpt_db_scalar(db, sql);
    ck_assert_str_eq(total, total2);
    free(total);
    free(total2);
    char *broken = gpt_db_scalar(db, "SELECT count(*) FROM audit_verify()");
    ck_assert_str_eq(broken, "0");
    free(broken);
}
END_TEST

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("overview");
    TCase *tc = tcase_create("cpr-button");
    tcase_set_timeout(tc, 120);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, all_sources_answer);
    tcase_add_test(tc, unknown_and_single_department_citizens);
    tcase_add_loop_test(tc, one_failing_source_degrades_the_answer, 0,
                        (int)(sizeof faults / sizeof faults[0]));
    tcase_add_test(tc, all_sources_failing_is_failed_not_an_error);
    tcase_add_test(tc, refresh_modes);
    tcase_add_test(tc, concurrent_lookups_share_one_fan_out);
    tcase_add_test(tc, capped_fhir_pages_are_followed);
    tcase_add_test(tc, records_no_longer_returned_are_marked_removed);
    tcase_add_test(tc, cases_paginate_stably_and_completely);
    tcase_add_test(tc, cases_filters);
    tcase_add_test(tc, excluded_types_never_cross_departments);
    tcase_add_test(tc, bad_parameters_are_400_naming_them);
    tcase_add_test(tc, purpose_is_required);
    tcase_add_test(tc, sources_list_health);
    tcase_add_test(tc, circuit_opens_and_closes);
    tcase_add_test(tc, every_read_is_audited);
    tcase_add_test(tc, unchanged_records_are_not_rewritten);
    tcase_add_test(tc, an_unchanged_answer_is_not_stored_until_its_digest_ages);
    tcase_add_test(tc, an_answer_the_index_stopped_vouching_for_is_stored_in_full);
    suite_add_tcase(s, tc);
    int rc = gpt_run_suite(s);
    curl_global_cleanup();
    return rc;
}
