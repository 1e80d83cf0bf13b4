/* The pure parts of the fan-out engine (lib/federation/federate.c), exposed so that tests/unit
 * can check them without a network: the circuit breaker's state machine, the classification of
 * a finished transfer (lib/federation/http_get.c's), latency percentiles and timestamps. Not for
 * use outside lib/federation/federate.c and its tests; the public contract is
 * lib/federation/federate.h. */
#ifndef GP_FEDERATE_INTERNAL_H
#define GP_FEDERATE_INTERNAL_H

#include "lib/federation/federate.h"
#include "lib/federation/http_get.h"

#include <curl/curl.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

/* One source's circuit. Times are CLOCK_MONOTONIC milliseconds. Zero-initialised = closed. */
struct gp_breaker {
    enum gp_circuit_state state;
    int consecutive_failures;
    int64_t opened_at_ms; /* when it last opened */
    bool probe_in_flight; /* half-open: the one request let through has not come back yet */
};

enum gp_breaker_verdict {
    GP_BREAKER_SEND,   /* closed: send as usual */
    GP_BREAKER_PROBE,  /* the open time has passed: send this one as the probe */
    GP_BREAKER_REJECT, /* do not send; *why says so */
};

/* Decides whether a request may be sent now. An open circuit whose open_ms have passed turns
 * half-open and lets exactly this request through as the probe; while the probe is out, others
 * are rejected. On REJECT writes "circuit open after N consecutive failures; next probe in M ms"
 * (or "...; probe in flight") into why. */
enum gp_breaker_verdict gp_breaker_admit(struct gp_breaker *b, int open_ms, int64_t now_ms,
                                         char *why, size_t why_len);

/* Records the outcome of a sent request; probe is true when admit said PROBE for it. A probe's
 * success closes the circuit, its failure reopens it with a fresh timer. In the closed state a
 * success resets the count and the threshold-th consecutive failure opens the circuit. A late
 * answer to a request sent before the circuit opened changes no state (a failure still counts).
 * Returns true when the state changed. */
bool gp_breaker_record(struct gp_breaker *b, int threshold, bool ok, bool probe, int64_t now_ms);

/* A failure found after the transfer (gp_federate_report_failure): counts like a failed
 * request, and a half-open circuit opens again (its probe, when it comes back, is then only a
 * late answer). Returns true when the state changed. */
bool gp_breaker_report_failure(struct gp_breaker *b, int threshold, int64_t now_ms);

/* How a finished transfer is classified, now written once for every HTTP GET
 * (lib/federation/http_get.h); under its old name for tests/unit/test_federate.c. */
static inline enum gp_fetch_status gp_federate_classify(const struct gp_transfer_end *t, char *err,
                                                        size_t err_len)
{
    return gp_http_classify(t, err, err_len);
}

/* Rate limit of a warning: the first passes, then at most one per interval_ms; the others are
 * counted, and the next that passes gets their number in *skipped. Not thread-safe: the caller
 * guards g. */
struct gp_warn_gate {
    bool any;
    int64_t last_ms;
    unsigned long suppressed;
};
bool gp_warn_gate_pass(struct gp_warn_gate *g, int64_t now_ms, int interval_ms,
                       unsigned long *skipped);

/* Nearest-rank percentile (p in 0..100) of n samples; sorts samples in place. 0 when n is 0. */
double gp_federate_percentile(double *samples, size_t n, double p);

/* ISO 8601 UTC with milliseconds, "2024-01-31T12:34:56.789Z", of a CLOCK_REALTIME time. */
void gp_federate_iso8601(const struct timespec *ts, char out[32]);

#endif
