/* deptsim's fault configuration (command line, environment and JSON), per-request decisions,
 * body corruption, counters and the control API, all without sockets. */
#include "cmd/deptsim/control.h"
#include "cmd/deptsim/dates.h"
#include "cmd/deptsim/faults.h"
#include "cmd/deptsim/rng.h"
#include "cmd/deptsim/stats.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

START_TEST(test_spec_parsing)
{
    struct ds_fault f;
    char err[160];
    memset(&f, 0, sizeof f);
    ck_assert(ds_fault_is_clear(&f));
    ck_assert(ds_fault_parse_spec("latency=50,jitter=10,error_rate=0.25,error_status=503", &f, err,
                                  sizeof err));
    ck_assert_int_eq(f.latency_ms, 50);
    ck_assert_int_eq(f.jitter_ms, 10);
    ck_assert(f.error_rate == 0.25);
    ck_assert_int_eq(f.error_status, 503);
    ck_assert(!ds_fault_is_clear(&f));
    ck_assert(ds_fault_parse_spec("hang,refuse=0,malformed=true,truncate,drip=100,oversize=4096,"
                                  "wrong_content_type",
                                  &f, err, sizeof err));
    ck_assert(f.hang && !f.refuse && f.malformed && f.truncate);
    ck_assert_int_eq(f.drip_bytes_per_sec, 100);
    ck_assert_int_eq(f.oversize_bytes, 4096);
    ck_assert_str_eq(f.wrong_content_type, "text/html; charset=utf-8");
    ck_assert(ds_fault_parse_spec("wrong_content_type=text/plain", &f, err, sizeof err));
    ck_assert_str_eq(f.wrong_content_type, "text/plain");
    ck_assert(ds_fault_parse_spec("wrong_content_type=off", &f, err, sizeof err));
    ck_assert_str_eq(f.wrong_content_type, "");

    /* bad values and unknown names are errors with a message */
    static const char *const bad[] = {
        "latency=-1", "latency=abc", "error_rate=1.5", "error_status=200", "error_status=600",
        "drip=x",     "bogus",       "hang=maybe",     "latency"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        err[0] = '\0';
        ck_assert_msg(!ds_fault_parse_spec(bad[i], &f, err, sizeof err), "%s accepted", bad[i]);
        ck_assert_msg(err[0] != '\0', "%s: no message", bad[i]);
    }
}
END_TEST

START_TEST(test_system_list_parsing)
{
    struct ds_fault f[DS_NSYSTEMS];
    char err[160];
    memset(f, 0, sizeof f);
    ck_assert(ds_faults_parse("jobcentre:latency=50,jitter=10;region:refuse", f, err, sizeof err));
    ck_assert_int_eq(f[DS_JOBCENTRE].latency_ms, 50);
    ck_assert(f[DS_REGION].refuse);
    ck_assert(ds_fault_is_clear(&f[DS_SOCIAL]));
    ck_assert(ds_faults_parse("all:error_rate=0.1", f, err, sizeof err));
    for (int s = 0; s < DS_NSYSTEMS; s++)
        ck_assert(f[s].error_rate == 0.1);
    ck_assert_int_eq(f[DS_JOBCENTRE].latency_ms, 50); /* merged, not replaced */
    ck_assert(!ds_faults_parse("police:hang", f, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "police"));
    ck_assert(!ds_faults_parse("hang", f, err, sizeof err));
}
END_TEST

START_TEST(test_json)
{
    struct ds_fault f;
    char err[160];
    memset(&f, 0, sizeof f);
    json_t *j = json_pack("{s:i, s:i, s:f, s:i, s:b, s:s}", "latency_ms", 200, "jitter_ms", 20,
                          "error_rate", 0.5, "error_status", 500, "truncate", 1,
                          "wrong_content_type", "text/xml");
    ck_assert(ds_fault_from_json(j, &f, false, err, sizeof err));
    json_decref(j);
    ck_assert_int_eq(f.latency_ms, 200);
    ck_assert(f.truncate);
    ck_assert_str_eq(f.wrong_content_type, "text/xml");
    json_t *out = ds_fault_to_json(&f);
    ck_assert_int_eq(json_integer_value(json_object_get(out, "latency_ms")), 200);
    ck_assert(json_is_true(json_object_get(out, "active")));
    /* round trip through JSON (the "active" flag is output only) */
    json_object_del(out, "active");
    struct ds_fault g;
    memset(&g, 0, sizeof g);
    ck_assert(ds_fault_from_json(out, &g, false, err, sizeof err));
    ck_assert_mem_eq(&f, &g, sizeof f);
    json_decref(out);

    /* replace vs merge */
    j = json_pack("{s:b}", "hang", 1);
    ck_assert(ds_fault_from_json(j, &g, true, err, sizeof err));
    ck_assert(g.hang && g.latency_ms == 200);
    ck_assert(ds_fault_from_json(j, &g, false, err, sizeof err));
    ck_assert(g.hang && g.latency_ms == 0);
    json_decref(j);

    /* strict: unknown fields, wrong types, short aliases, header injection */
    static const char *const bad[] = {"{\"latency\":5}",
                                      "{\"latency_ms\":\"5\"}",
                                      "{\"hang\":\"yes\"}",
                                      "{\"nope\":true}",
                                      "[1]",
                                      "{\"wrong_content_type\":\"a\\nb\"}",
                                      "{\"error_rate\":2}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        json_error_t jerr;
        j = json_loads(bad[i], JSON_DECODE_ANY, &jerr);
        ck_assert_ptr_nonnull(j);
        struct ds_fault before = g;
        ck_assert_msg(!ds_fault_from_json(j, &g, true, err, sizeof err), "%s accepted", bad[i]);
        ck_assert_mem_eq(&before, &g, sizeof g); /* a rejected body changes nothing */
        json_decref(j);
    }
}
END_TEST

START_TEST(test_decide)
{
    struct ds_fault f;
    struct ds_fault_plan plan;
    struct ds_rng r;
    ds_rng_init(&r, 1, 2, 3);
    memset(&f, 0, sizeof f);
    ds_fault_decide(&f, ds_rng_next(&r), ds_rng_next(&r), &plan);
    ck_assert_int_eq(plan.delay_ms, 0);
    ck_assert(!plan.error);

    f.latency_ms = 100;
    f.jitter_ms = 30;
    int lo = 1000, hi = 0;
    for (int i = 0; i < 10000; i++) {
        ds_fault_decide(&f, ds_rng_next(&r), ds_rng_next(&r), &plan);
        lo = plan.delay_ms < lo ? plan.delay_ms : lo;
        hi = plan.delay_ms > hi ? plan.delay_ms : hi;
    }
    ck_assert_int_eq(lo, 70);
    ck_assert_int_eq(hi, 130);
    f.latency_ms = 5; /* never below zero */
    for (int i = 0; i < 1000; i++) {
        ds_fault_decide(&f, ds_rng_next(&r), ds_rng_next(&r), &plan);
        ck_assert_int_ge(plan.delay_ms, 0);
    }

    f.error_rate = 1.0;
    int s500 = 0, s503 = 0;
    for (int i = 0; i < 1000; i++) {
        ds_fault_decide(&f, ds_rng_next(&r), ds_rng_next(&r), &plan);
        ck_assert(plan.error);
        s500 += plan.error_status == 500;
        s503 += plan.error_status == 503;
    }
    ck_assert_int_eq(s500 + s503, 1000);
    ck_assert_int_gt(s500, 400);
    ck_assert_int_gt(s503, 400);
    f.error_status = 503;
    f.error_rate = 0.3;
    int errors = 0;
    for (int i = 0; i < 10000; i++) {
        ds_fault_decide(&f, ds_rng_next(&r), ds_rng_next(&r), &plan);
        if (plan.error) {
            errors++;
            ck_assert_uint_eq(plan.error_status, 503);
        }
    }
    ck_assert_int_gt(errors, 2700);
    ck_assert_int_lt(errors, 3300);
}
END_TEST

START_TEST(test_body_faults)
{
    const char *body = "{\"a\":[1,2,{\"b\":\"c\"}],\"d\":null}";
    size_t len = strlen(body), n;
    json_error_t err;
    char *bad = ds_fault_malform(body, len, &n);
    ck_assert_uint_eq(n, len + 2);
    ck_assert_ptr_null(json_loadb(bad, n, 0, &err));
    free(bad);

    /* oversize: exactly the target length, still JSON, original members intact */
    size_t total = ds_fault_oversize_len(len, 5000);
    ck_assert_uint_eq(total, 5000);
    char *big = malloc(total);
    /* read in odd-sized pieces, as the transport does */
    for (size_t at = 0; at < total; at += 333)
        ds_fault_oversize_read(body, len, total, at, big + at, at + 333 > total ? total - at : 333);
    json_t *j = json_loadb(big, total, 0, &err);
    ck_assert_msg(j != NULL, "padded body is not JSON: %s", err.text);
    ck_assert_int_eq(json_array_size(json_object_get(j, "a")), 3);
    ck_assert(json_is_null(json_object_get(j, "d")));
    ck_assert_uint_gt(strlen(json_string_value(json_object_get(j, "_padding"))), 4900);
    json_decref(j);
    free(big);
    /* a target below the body's size leaves it alone */
    ck_assert_uint_eq(ds_fault_oversize_len(len, 10), len);
}
END_TEST

START_TEST(test_stats)
{
    struct ds_stats st;
    ds_stats_init(&st);
    ds_stats_add(&st, DS_REGION, DS_STAT_LOOKUPS, 3);
    ds_stats_add(&st, DS_REGION, DS_STAT_LOOKUPS, 2);
    ck_assert_uint_eq(ds_stats_get(&st, DS_REGION, DS_STAT_LOOKUPS), 5);
    ck_assert_uint_eq(ds_stats_get(&st, DS_HEALTH, DS_STAT_LOOKUPS), 0);
    json_t *j = ds_stats_json(&st, DS_REGION);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "lookups")), 5);
    ck_assert_ptr_nonnull(json_object_get(j, "errors_injected"));
    ck_assert_ptr_nonnull(json_object_get(j, "in_flight"));
    json_decref(j);
    ds_stats_reset(&st);
    ck_assert_uint_eq(ds_stats_get(&st, DS_REGION, DS_STAT_LOOKUPS), 0);
}
END_TEST

/* ---- control API ------------------------------------------------------------------------ */

struct fixture {
    struct ds_faultset faults;
    struct ds_stats stats;
    struct ds_population pop;
    struct ds_control ctl;
    int changes[DS_NSYSTEMS];
};

static void on_change(void *cls, enum ds_system s)
{
    struct fixture *fx = cls;
    fx->changes[s]++;
}

static void fixture_init(struct fixture *fx)
{
    memset(fx, 0, sizeof *fx);
    ds_faultset_init(&fx->faults);
    ds_stats_init(&fx->stats);
    int as_of;
    ck_assert(ds_parse_date(DS_DEFAULT_AS_OF, &as_of));
    ck_assert(ds_population_init(&fx->pop, 7, 123, as_of));
    fx->ctl = (struct ds_control){.faults = &fx->faults,
                                  .stats = &fx->stats,
                                  .pop = &fx->pop,
                                  .on_change = on_change,
                                  .cls = fx,
                                  .listen = "127.0.0.1",
                                  .base_port = 7100};
}

static json_t *ctl(struct fixture *fx, const char *method, const char *path, const char *body,
                   unsigned want)
{
    struct ds_reply rep;
    ck_assert(ds_control_route(&fx->ctl, method, path, body, body ? strlen(body) : 0, &rep));
    ck_assert_msg(rep.status == want, "%s %s: %u, wanted %u: %s", method, path, rep.status, want,
                  rep.body);
    ck_assert_str_eq(rep.content_type, "application/json; charset=utf-8");
    json_error_t err;
    json_t *j = json_loadb(rep.body, rep.len, 0, &err);
    ck_assert_ptr_nonnull(j);
    ds_reply_free(&rep);
    return j;
}

START_TEST(test_control_faults)
{
    struct fixture fx;
    fixture_init(&fx);
    json_t *j = ctl(&fx, "GET", "/faults", NULL, 200);
    ck_assert_uint_eq(json_object_size(j), DS_NSYSTEMS);
    ck_assert(json_is_false(json_object_get(json_object_get(j, "region"), "active")));
    json_decref(j);

    j = ctl(&fx, "PUT", "/faults/region", "{\"latency_ms\":250,\"refuse\":true}", 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "latency_ms")), 250);
    json_decref(j);
    ck_assert_int_eq(fx.changes[DS_REGION], 1);
    struct ds_fault f;
    ds_faultset_get(&fx.faults, DS_REGION, &f);
    ck_assert(f.refuse && f.latency_ms == 250);

    /* PATCH merges, PUT replaces */
    json_decref(ctl(&fx, "PATCH", "/faults/region", "{\"refuse\":false}", 200));
    ds_faultset_get(&fx.faults, DS_REGION, &f);
    ck_assert(!f.refuse && f.latency_ms == 250);
    json_decref(ctl(&fx, "PUT", "/faults/region", "{\"hang\":true}", 200));
    ds_faultset_get(&fx.faults, DS_REGION, &f);
    ck_assert(f.hang && f.latency_ms == 0);
    ck_assert_int_eq(fx.changes[DS_REGION], 3);

    /* bad bodies change nothing */
    json_decref(ctl(&fx, "PUT", "/faults/region", "{\"latncy_ms\":1}", 400));
    json_decref(ctl(&fx, "PUT", "/faults/region", "not json", 400));
    ds_faultset_get(&fx.faults, DS_REGION, &f);
    ck_assert(f.hang);
    ck_assert_int_eq(fx.changes[DS_REGION], 3);

    /* all systems at once, then clear one, then clear all */
    json_decref(ctl(&fx, "PUT", "/faults/all", "{\"error_rate\":1}", 200));
    for (int s = 0; s < DS_NSYSTEMS; s++) {
        ds_faultset_get(&fx.faults, (enum ds_system)s, &f);
        ck_assert(f.error_rate == 1.0);
    }
    json_decref(ctl(&fx, "DELETE", "/faults/family", NULL, 200));
    ds_faultset_get(&fx.faults, DS_FAMILY, &f);
    ck_assert(ds_fault_is_clear(&f));
    ds_faultset_get(&fx.faults, DS_SOCIAL, &f);
    ck_assert(!ds_fault_is_clear(&f));
    json_decref(ctl(&fx, "DELETE", "/faults", NULL, 200));
    for (int s = 0; s < DS_NSYSTEMS; s++) {
        ds_faultset_get(&fx.faults, (enum ds_system)s, &f);
        ck_assert(ds_fault_is_clear(&f));
    }
    json_decref(ctl(&fx, "PUT", "/faults/police", "{}", 404));
    json_decref(ctl(&fx, "POST", "/faults/region", "{}", 405));
    json_decref(ctl(&fx, "PUT", "/faults", "{}", 405));
    ds_faultset_destroy(&fx.faults);
}
END_TEST

START_TEST(test_control_stats_and_population)
{
    struct fixture fx;
    fixture_init(&fx);
    ds_stats_add(&fx.stats, DS_HEALTH, DS_STAT_LOOKUPS, 4);
    json_t *j = ctl(&fx, "GET", "/stats", NULL, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "health"), "lookups")),
                     4);
    json_decref(j);
    j = ctl(&fx, "GET", "/stats/health", NULL, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "lookups")), 4);
    json_decref(j);
    json_decref(ctl(&fx, "POST", "/stats/reset", NULL, 200));
    j = ctl(&fx, "GET", "/stats/health", NULL, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "lookups")), 0);
    json_decref(j);
    json_decref(ctl(&fx, "GET", "/stats/reset", NULL, 405));
    json_decref(ctl(&fx, "GET", "/stats/police", NULL, 404));

    j = ctl(&fx, "GET", "/population", NULL, 200);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "size")), 123);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "citizens")), 123 + DS_DEMO_COUNT);
    ck_assert_str_eq(json_string_value(json_object_get(j, "as_of")), DS_DEFAULT_AS_OF);
    ck_assert_int_eq(json_integer_value(json_object_get(json_object_get(j, "ports"), "control")),
                     7105);
    ck_assert_uint_eq(json_array_size(json_object_get(j, "demo")), DS_DEMO_COUNT);
    json_decref(j);
    json_decref(ctl(&fx, "GET", "/healthz", NULL, 200));
    json_decref(ctl(&fx, "GET", "/nope", NULL, 404));

    /* an oversized body is refused before it is parsed */
    struct ds_reply rep;
    ck_assert(
        ds_control_route(&fx.ctl, "PUT", "/faults/region", "{}", DS_CONTROL_BODY_MAX + 1, &rep));
    ck_assert_uint_eq(rep.status, 413);
    ds_reply_free(&rep);
    ds_faultset_destroy(&fx.faults);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("deptsim_faults");
    TCase *tc = tcase_create("core");
    tcase_add_test(tc, test_spec_parsing);
    tcase_add_test(tc, test_system_list_parsing);
    tcase_add_test(tc, test_json);
    tcase_add_test(tc, test_decide);
    tcase_add_test(tc, test_body_faults);
    tcase_add_test(tc, test_stats);
    tcase_add_test(tc, test_control_faults);
    tcase_add_test(tc, test_control_stats_and_population);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
