/* The fan-out engine's pure parts (lib/federate_internal.h): the circuit breaker's state
 * machine, how a finished transfer is classified, latency percentiles, timestamps and names.
 * No network: the engine itself is tested in tests/integration/itest_federate.c. */
#include "lib/federation/federate.h"
#include "lib/federation/federate_internal.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#define THRESHOLD 3
#define OPEN_MS   1000

/* ---- names ---- */

START_TEST(status_names)
{
    ck_assert_str_eq(gp_fetch_status_name(GP_FETCH_OK), "ok");
    ck_assert_str_eq(gp_fetch_status_name(GP_FETCH_TIMEOUT), "timeout");
    ck_assert_str_eq(gp_fetch_status_name(GP_FETCH_ERROR), "error");
    ck_assert_str_eq(gp_fetch_status_name(GP_FETCH_UNAVAILABLE), "unavailable");
    ck_assert_str_eq(gp_fetch_status_name(GP_FETCH_CIRCUIT_OPEN), "circuit_open");
    ck_assert_str_eq(gp_fetch_status_name((enum gp_fetch_status)99), "unknown");
}
END_TEST

START_TEST(circuit_names)
{
    ck_assert_str_eq(gp_circuit_state_name(GP_CIRCUIT_CLOSED), "closed");
    ck_assert_str_eq(gp_circuit_state_name(GP_CIRCUIT_OPEN), "open");
    ck_assert_str_eq(gp_circuit_state_name(GP_CIRCUIT_HALF_OPEN), "half_open");
    ck_assert_str_eq(gp_circuit_state_name((enum gp_circuit_state)7), "unknown");
}
END_TEST

/* ---- circuit breaker ---- */

/* Fails n requests sent while closed, at time now. */
static void fail_n(struct gp_breaker *b, int n, int64_t now)
{
    char why[128];
    for (int i = 0; i < n; i++) {
        ck_assert_int_eq(gp_breaker_admit(b, OPEN_MS, now, why, sizeof why), GP_BREAKER_SEND);
        gp_breaker_record(b, THRESHOLD, false, false, now);
    }
}

START_TEST(breaker_stays_closed_below_threshold)
{
    struct gp_breaker b = {0};
    fail_n(&b, THRESHOLD - 1, 100);
    ck_assert_int_eq(b.state, GP_CIRCUIT_CLOSED);
    ck_assert_int_eq(b.consecutive_failures, THRESHOLD - 1);
}
END_TEST

START_TEST(breaker_success_resets_the_count)
{
    struct gp_breaker b = {0};
    fail_n(&b, THRESHOLD - 1, 100);
    ck_assert(!gp_breaker_record(&b, THRESHOLD, true, false, 100));
    ck_assert_int_eq(b.consecutive_failures, 0);
    fail_n(&b, THRESHOLD - 1, 100); /* not consecutive with the first ones: still closed */
    ck_assert_int_eq(b.state, GP_CIRCUIT_CLOSED);
}
END_TEST

START_TEST(breaker_opens_at_threshold_and_rejects)
{
    struct gp_breaker b = {0};
    char why[128] = "";
    fail_n(&b, THRESHOLD - 1, 100);
    ck_assert(gp_breaker_record(&b, THRESHOLD, false, false, 500)); /* changed */
    ck_assert_int_eq(b.state, GP_CIRCUIT_OPEN);
    ck_assert_int_eq(b.opened_at_ms, 500);
    ck_assert_int_eq(gp_breaker_admit(&b, OPEN_MS, 500, why, sizeof why), GP_BREAKER_REJECT);
    ck_assert_str_eq(why, "circuit open after 3 consecutive failures; next probe in 1000 ms");
    ck_assert_int_eq(gp_breaker_admit(&b, OPEN_MS, 1499, why, sizeof why), GP_BREAKER_REJECT);
    ck_assert_str_eq(why, "circuit open after 3 consecutive failures; next probe in 1 ms");
    ck_assert_int_eq(b.state, GP_CIRCUIT_OPEN);
}
END_TEST

START_TEST(breaker_half_opens_with_one_probe)
{
    struct gp_breaker b = {0};
    char why[128] = "";
    fail_n(&b, THRESHOLD, 0);
    ck_assert_int_eq(gp_breaker_admit(&b, OPEN_MS, OPEN_MS, why, sizeof why), GP_BREAKER_PROBE);
    ck_assert_int_eq(b.state, GP_CIRCUIT_HALF_OPEN);
    ck_assert(b.probe_in_flight);
    /* Others while the probe is out: not sent. */
    ck_assert_int_eq(gp_breaker_admit(&b, OPEN_MS, OPEN_MS + 5, why, sizeof why),
                     GP_BREAKER_REJECT);
    ck_assert_str_eq(why, "circuit open after 3 consecutive failures; probe in flight");
    ck_assert_int_eq(b.state, GP_CIRCUIT_HALF_OPEN);
}
END_TEST

START_TEST(breaker_probe_success_closes)
{
    struct gp_breaker b = {0};
    char why[128];
    fail_n(&b, THRESHOLD, 0);
    ck_assert_int_eq(gp_breaker_admit(&b, OPEN_MS, 2 * OPEN_MS, why, sizeof why), GP_BREAKER_PROBE);
    ck_assert(gp_breaker_record(&b, THRESHOLD, true, true, 2 * OPEN_MS + 10));
    ck_assert_int_eq(b.state, GP_CIRCUIT_CLOSED);
    ck_assert_int_eq(b.consecutive_failures, 0);
    ck_assert(!b.probe_in_flight);
    ck_assert_int_eq(gp_breaker_admit(&b, OPEN_MS, 2 * OPEN_MS + 11, why, sizeof why),
                     GP_BREAKER_SEND);
}
END_TEST

START_TEST(breaker_probe_failure_reopens_with_fresh_timer)
{
    struct gp_breaker b = {0};
    char why[128] = "";
    fail_n(&b, THRESHOLD, 0);
    ck_assert_int_eq(gp_breaker_admit(&b, OPEN_MS, 5000, why, sizeof why), GP_BREAKER_PROBE);
    ck_assert(gp_breaker_record(&b, THRESHOLD, false, true, 5200));
    ck_assert_int_eq(b.state, GP_CIRCUIT_OPEN);
    ck_assert_int_eq(b.consecutive_failures, THRESHOLD + 1);
    ck_assert_int_eq(gp_breaker_admit(&b, OPEN_MS, 5200 + OPEN_MS - 1, why, sizeof why),
                     GP_BREAKER_REJECT);
    ck_assert_str_eq(why, "circuit open after 4 consecutive failures; next probe in 1 ms");
    ck_assert_int_eq(gp_breaker_admit(&b, OPEN_MS, 5200 + OPEN_MS, why, sizeof why),
                     GP_BREAKER_PROBE);
}
END_TEST

START_TEST(breaker_late_answers_do_not_close)
{
    struct gp_breaker b = {0};
    fail_n(&b, THRESHOLD, 0);
    /* A request sent before the circuit opened comes back fine: only a probe may close. */
    ck_assert(!gp_breaker_record(&b, THRESHOLD, true, false, 10));
    ck_assert_int_eq(b.state, GP_CIRCUIT_OPEN);
    ck_assert_int_eq(b.consecutive_failures, THRESHOLD);
    /* ... and one that fails still counts, without restarting the timer. */
    ck_assert(!gp_breaker_record(&b, THRESHOLD, false, false, 20));
    ck_assert_int_eq(b.consecutive_failures, THRESHOLD + 1);
    ck_assert_int_eq(b.opened_at_ms, 0);
}
END_TEST

START_TEST(breaker_reported_failures_count)
{
    struct gp_breaker b = {0};
    ck_assert(!gp_breaker_report_failure(&b, THRESHOLD, 1));
    ck_assert(!gp_breaker_report_failure(&b, THRESHOLD, 2));
    ck_assert_int_eq(b.state, GP_CIRCUIT_CLOSED);
    ck_assert(gp_breaker_report_failure(&b, THRESHOLD, 3));
    ck_assert_int_eq(b.state, GP_CIRCUIT_OPEN);
    ck_assert_int_eq(b.opened_at_ms, 3);
}
END_TEST

START_TEST(breaker_reported_failure_reopens_half_open)
{
    struct gp_breaker b = {0};
    char why[128];
    fail_n(&b, THRESHOLD, 0);
    ck_assert_int_eq(gp_breaker_admit(&b, OPEN_MS, OPEN_MS, why, sizeof why), GP_BREAKER_PROBE);
    ck_assert(gp_breaker_report_failure(&b, THRESHOLD, OPEN_MS + 50));
    ck_assert_int_eq(b.state, GP_CIRCUIT_OPEN);
    ck_assert_int_eq(b.opened_at_ms, OPEN_MS + 50);
    ck_assert(!b.probe_in_flight);
    /* The probe's own success arrives afterwards: too late to close. */
    ck_assert(!gp_breaker_record(&b, THRESHOLD, true, true, OPEN_MS + 60));
    ck_assert_int_eq(b.state, GP_CIRCUIT_OPEN);
}
END_TEST

/* ---- classification ---- */

struct classify_case {
    CURLcode code;
    long http;
    bool too_large;
    long os_errno;
    bool deadline_bound;
    const char *detail;
    enum gp_fetch_status want;
    const char *want_error;
};

static const struct classify_case classify_cases[] = {
    {CURLE_OK, 200, false, 0, false, NULL, GP_FETCH_OK, ""},
    {CURLE_OK, 204, false, 0, false, NULL, GP_FETCH_OK, ""},
    {CURLE_OK, 299, false, 0, false, NULL, GP_FETCH_OK, ""},
    {CURLE_OK, 503, false, 0, false, NULL, GP_FETCH_ERROR, "HTTP 503"},
    {CURLE_OK, 404, false, 0, false, NULL, GP_FETCH_ERROR, "HTTP 404"},
    {CURLE_OK, 302, false, 0, false, NULL, GP_FETCH_ERROR, "HTTP 302"},
    {CURLE_OK, 199, false, 0, false, NULL, GP_FETCH_ERROR, "HTTP 199"},
    {CURLE_OPERATION_TIMEDOUT, 0, false, 0, false, "Operation timed out", GP_FETCH_TIMEOUT,
     "timed out after 300 ms"},
    {CURLE_OPERATION_TIMEDOUT, 200, false, 0, true, NULL, GP_FETCH_TIMEOUT,
     "deadline passed after 2000 ms"},
    {CURLE_COULDNT_CONNECT, 0, false, ECONNREFUSED, false, "Failed to connect",
     GP_FETCH_UNAVAILABLE, "connection refused"},
    {CURLE_COULDNT_CONNECT, 0, false, EHOSTUNREACH, false, "No route to host", GP_FETCH_UNAVAILABLE,
     "could not connect: No route to host"},
    {CURLE_COULDNT_RESOLVE_HOST, 0, false, 0, false, "Could not resolve host: x",
     GP_FETCH_UNAVAILABLE, "could not resolve host"},
    {CURLE_WRITE_ERROR, 200, true, 0, false, "Failure writing output", GP_FETCH_ERROR,
     "response too large (over 1024 bytes)"},
    {CURLE_FILESIZE_EXCEEDED, 200, false, 0, false, NULL, GP_FETCH_ERROR,
     "response too large (over 1024 bytes)"},
    {CURLE_WRITE_ERROR, 200, false, 0, false, NULL, GP_FETCH_ERROR,
     "Failed writing received data to disk/application"},
    {CURLE_PARTIAL_FILE, 200, false, 0, false, "transfer closed with 900 bytes remaining to read",
     GP_FETCH_ERROR,
     "Transferred a partial file: transfer closed with 900 bytes remaining to read"},
    {CURLE_GOT_NOTHING, 0, false, 0, false, "", GP_FETCH_ERROR,
     "Server returned nothing (no "
     "headers, no data)"},
    {CURLE_RECV_ERROR, 0, false, 0, false, NULL, GP_FETCH_ERROR,
     "Failure when receiving data from the peer"},
};

START_TEST(classify_table)
{
    const struct classify_case *c = &classify_cases[_i];
    struct gp_transfer_end t = {.code = c->code,
                                .http_status = c->http,
                                .too_large = c->too_large,
                                .max_body_bytes = 1024,
                                .os_errno = c->os_errno,
                                .deadline_bound = c->deadline_bound,
                                .timeout_ms = 300,
                                .deadline_ms = 2000,
                                .detail = c->detail};
    char err[256] = "stale";
    enum gp_fetch_status s = gp_federate_classify(&t, err, sizeof err);
    ck_assert_msg(s == c->want, "case %d: status %s, want %s", _i, gp_fetch_status_name(s),
                  gp_fetch_status_name(c->want));
    ck_assert_str_eq(err, c->want_error);
}
END_TEST

/* A 401's challenge is named; without one, the status alone. */
START_TEST(classify_names_the_challenge)
{
    struct gp_transfer_end t = {.code = CURLE_OK,
                                .http_status = 401,
                                .challenge = "Bearer realm=\"fhir\", error=\"invalid_token\""};
    char err[256];
    ck_assert_int_eq(gp_federate_classify(&t, err, sizeof err), GP_FETCH_ERROR);
    ck_assert_str_eq(err,
                     "HTTP 401 (WWW-Authenticate: Bearer realm=\"fhir\", error=\"invalid_token\")");
    t.challenge = "";
    gp_federate_classify(&t, err, sizeof err);
    ck_assert_str_eq(err, "HTTP 401");
    t.http_status = 403;
    t.challenge = "Basic";
    gp_federate_classify(&t, err, sizeof err);
    ck_assert_str_eq(err, "HTTP 403");
}
END_TEST

/* Failed fetches are logged once per interval, the next line counting what it left out. */
START_TEST(warn_gate_once_per_interval)
{
    struct gp_warn_gate g = {0};
    unsigned long skipped = 99;
    ck_assert(gp_warn_gate_pass(&g, 1000, 60000, &skipped));
    ck_assert_uint_eq(skipped, 0);
    ck_assert(!gp_warn_gate_pass(&g, 1001, 60000, &skipped));
    ck_assert(!gp_warn_gate_pass(&g, 60999, 60000, &skipped));
    ck_assert(gp_warn_gate_pass(&g, 61000, 60000, &skipped));
    ck_assert_uint_eq(skipped, 2);
    ck_assert(!gp_warn_gate_pass(&g, 61001, 60000, &skipped));
    ck_assert(gp_warn_gate_pass(&g, 200000, 60000, &skipped));
    ck_assert_uint_eq(skipped, 1);
}
END_TEST

START_TEST(classify_truncates_long_texts)
{
    char detail[600];
    memset(detail, 'x', sizeof detail - 1);
    detail[sizeof detail - 1] = '\0';
    struct gp_transfer_end t = {.code = CURLE_RECV_ERROR, .detail = detail};
    char err[32];
    ck_assert_int_eq(gp_federate_classify(&t, err, sizeof err), GP_FETCH_ERROR);
    ck_assert_uint_eq(strlen(err), sizeof err - 1);
}
END_TEST

/* ---- percentiles ---- */

START_TEST(percentile_of_nothing_is_zero)
{
    ck_assert(gp_federate_percentile(NULL, 0, 50) == 0);
}
END_TEST

START_TEST(percentile_nearest_rank)
{
    double s[100];
    /* 100 down to 1, so that sorting matters. */
    for (int i = 0; i < 100; i++)
        s[i] = 100 - i;
    ck_assert(gp_federate_percentile(s, 100, 50) == 50);
    ck_assert(gp_federate_percentile(s, 100, 95) == 95);
    ck_assert(gp_federate_percentile(s, 100, 100) == 100);
    ck_assert(gp_federate_percentile(s, 100, 0) == 1);
    ck_assert(s[0] == 1 && s[99] == 100); /* sorted in place */

    double twenty[20];
    for (int i = 0; i < 20; i++)
        twenty[i] = (i * 7) % 20 + 1; /* 1..20 shuffled */
    ck_assert(gp_federate_percentile(twenty, 20, 95) == 19);
    ck_assert(gp_federate_percentile(twenty, 20, 50) == 10);

    double one = 42.5;
    ck_assert(gp_federate_percentile(&one, 1, 50) == 42.5);
    ck_assert(gp_federate_percentile(&one, 1, 95) == 42.5);

    double skew[4] = {1000, 1, 2, 3}; /* one slow outlier shows at p95, not at p50 */
    ck_assert(gp_federate_percentile(skew, 4, 50) == 2);
    ck_assert(gp_federate_percentile(skew, 4, 95) == 1000);
}
END_TEST

/* ---- timestamps ---- */

START_TEST(iso8601_utc_with_milliseconds)
{
    char out[32];
    struct timespec t0 = {0, 5000000};
    gp_federate_iso8601(&t0, out);
    ck_assert_str_eq(out, "1970-01-01T00:00:00.005Z");
    struct timespec t1 = {1700000000, 123999999}; /* milliseconds truncate, never round up */
    gp_federate_iso8601(&t1, out);
    ck_assert_str_eq(out, "2023-11-14T22:13:20.123Z");
    struct timespec t2 = {951782400, 0}; /* 29 February 2000 */
    gp_federate_iso8601(&t2, out);
    ck_assert_str_eq(out, "2000-02-29T00:00:00.000Z");
}
END_TEST

int main(void)
{
    Suite *s = suite_create("federate");

    TCase *names = tcase_create("names");
    tcase_add_test(names, status_names);
    tcase_add_test(names, circuit_names);
    suite_add_tcase(s, names);

    TCase *breaker = tcase_create("breaker");
    tcase_add_test(breaker, breaker_stays_closed_below_threshold);
    tcase_add_test(breaker, breaker_success_resets_the_count);
    tcase_add_test(breaker, breaker_opens_at_threshold_and_rejects);
    tcase_add_test(breaker, breaker_half_opens_with_one_probe);
    tcase_add_test(breaker, breaker_probe_success_closes);
    tcase_add_test(breaker, breaker_probe_failure_reopens_with_fresh_timer);
    tcase_add_test(breaker, breaker_late_answers_do_not_close);
    tcase_add_test(breaker, breaker_reported_failures_count);
    tcase_add_test(breaker, breaker_reported_failure_reopens_half_open);
    suite_add_tcase(s, breaker);

    TCase *classify = tcase_create("classify");
    tcase_add_loop_test(classify, classify_table, 0,
                        (int)(sizeof classify_cases / sizeof classify_cases[0]));
    tcase_add_test(classify, classify_truncates_long_texts);
    tcase_add_test(classify, classify_names_the_challenge);
    tcase_add_test(classify, warn_gate_once_per_interval);
    suite_add_tcase(s, classify);

    TCase *figures = tcase_create("figures");
    tcase_add_test(figures, percentile_of_nothing_is_zero);
    tcase_add_test(figures, percentile_nearest_rank);
    tcase_add_test(figures, iso8601_utc_with_milliseconds);
    suite_add_tcase(s, figures);

    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
