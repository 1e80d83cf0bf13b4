/* Per-system request counters, lock-free (C11 atomics), read and reset by the control port.
 * Later tests use "lookups" to prove single-flight in the server: N concurrent server
 * requests for one CPR → exactly one simulator lookup. */
#ifndef DS_STATS_H
#define DS_STATS_H

#include "cmd/deptsim/model.h"

#include <jansson.h>
#include <stdatomic.h>
#include <stdint.h>

#define DS_STATS(X)                                                                                \
    X(REQUESTS, "requests")           /* every request on the port, /healthz included */           \
    X(LOOKUPS, "lookups")             /* per-CPR lookups */                                        \
    X(LOOKUPS_KNOWN, "lookups_known") /* … of citizens the system knows */                       \
    X(SEARCHES, "searches") /* FHIR searches by a patient's id: the rest of a PDQm lookup */       \
    X(EXPORTS, "exports")   /* bulk export pages */                                                \
    X(HEALTHZ, "healthz")                                                                          \
    X(OTHER, "other") /* 404, 405, metadata */                                                     \
    X(STATUS_2XX, "status_2xx")                                                                    \
    X(STATUS_4XX, "status_4xx")                                                                    \
    X(STATUS_5XX, "status_5xx")                                                                    \
    X(DELAYED, "delayed") /* answers held back by latency */                                       \
    X(ERRORS_INJECTED, "errors_injected")                                                          \
    X(HANGS, "hangs")                                                                              \
    X(MALFORMED, "malformed")                                                                      \
    X(TRUNCATED, "truncated")                                                                      \
    X(DRIPPED, "dripped")                                                                          \
    X(OVERSIZED, "oversized")                                                                      \
    X(WRONG_CONTENT_TYPE, "wrong_content_type")                                                    \
    X(BYTES_SENT, "bytes_sent") /* body bytes queued for sending */

enum ds_stat {
#define DS_STAT_ENUM(name, text) DS_STAT_##name,
    DS_STATS(DS_STAT_ENUM)
#undef DS_STAT_ENUM
        DS_NSTATS
};

struct ds_stats {
    _Atomic uint64_t c[DS_NSYSTEMS][DS_NSTATS];
    _Atomic int64_t in_flight[DS_NSYSTEMS]; /* requests being answered right now */
};

void ds_stats_init(struct ds_stats *st);
void ds_stats_add(struct ds_stats *st, enum ds_system s, enum ds_stat k, uint64_t n);
uint64_t ds_stats_get(struct ds_stats *st, enum ds_system s, enum ds_stat k);
void ds_stats_reset(struct ds_stats *st);
/* {"requests": n, …, "in_flight": n} for one system. */
json_t *ds_stats_json(struct ds_stats *st, enum ds_system s);

#endif
