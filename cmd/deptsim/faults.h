/* Fault injection: what can go wrong with a department system, per system, switchable at start
 * (--fault / DEPTSIM_FAULTS) and at run time (the control port), read per request.
 *
 * Semantics (README.md has the full table):
 *   latency_ms, jitter_ms  each answer waits latency ± uniform jitter (never below 0)
 *   error_rate, error_status  with that probability answer error_status (0: 500 or 503 at
 *                          random) with the vendor's own error body; 503 carries Retry-After
 *   hang                   accept, read the request, never answer (closed after 60 s at most)
 *   refuse                 the port is closed: connect() is refused until cleared
 *   malformed              200 with the right headers and a body that is not JSON
 *   truncate               Content-Length of the whole body, half of it sent, then the
 *                          connection is closed
 *   drip_bytes_per_sec     the body is sent a few bytes at a time at that rate
 *   oversize_bytes         the body is padded (inside the JSON) to at least that many bytes
 *   wrong_content_type     the body unchanged under that Content-Type (e.g. text/html)
 * Faults apply to the native endpoints, not to /healthz (refuse closes the whole port). */
#ifndef DS_FAULTS_H
#define DS_FAULTS_H

#include "cmd/deptsim/model.h"

#include <jansson.h>
#include <pthread.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DS_HANG_MAX_MS      60000
#define DS_LATENCY_MAX_MS   600000
#define DS_OVERSIZE_MAX     (1L << 30)
#define DS_CONTENT_TYPE_MAX 96

struct ds_fault {
    int latency_ms;
    int jitter_ms;
    double error_rate; /* 0..1 */
    int error_status;  /* 0 = 500 or 503 at random; else 400..599 */
    bool hang;
    bool refuse;
    bool malformed;
    bool truncate;
    int drip_bytes_per_sec;                       /* 0 = off */
    long oversize_bytes;                          /* 0 = off */
    char wrong_content_type[DS_CONTENT_TYPE_MAX]; /* "" = off */
    int page_max; /* 0 = off; else FHIR searches answer at most this many resources a page,
                     whatever _count asks (as a real server's maximum page size) */
};

bool ds_fault_is_clear(const struct ds_fault *f);

/* "latency=50,jitter=10,error_rate=0.5,error_status=503,hang,refuse,malformed,truncate,
 * drip=100,oversize=1048576,wrong_content_type=text/html,page_max=20" (keys also in their JSON
 * spelling: latency_ms, jitter_ms, drip_bytes_per_sec, oversize_bytes). Merges into *f. */
bool ds_fault_parse_spec(const char *spec, struct ds_fault *f, char *err, size_t errlen);

/* "system:spec;system:spec" (also '|' or newline between systems; system "all" = every one),
 * as given to --fault or DEPTSIM_FAULTS. Merges into faults[]. */
bool ds_faults_parse(const char *text, struct ds_fault faults[DS_NSYSTEMS], char *err,
                     size_t errlen);

/* A JSON object with any of the fields of struct ds_fault. Unknown fields and wrong types are
 * errors (a typo in a test must fail loudly). merge=false starts from a clear fault. */
bool ds_fault_from_json(const json_t *j, struct ds_fault *f, bool merge, char *err, size_t errlen);
json_t *ds_fault_to_json(const struct ds_fault *f);

/* The per-system fault table, shared by all request threads and the control port. */
struct ds_faultset {
    pthread_mutex_t mu;
    struct ds_fault f[DS_NSYSTEMS];
};
void ds_faultset_init(struct ds_faultset *fs);
void ds_faultset_destroy(struct ds_faultset *fs);
void ds_faultset_get(struct ds_faultset *fs, enum ds_system s, struct ds_fault *out);
void ds_faultset_set(struct ds_faultset *fs, enum ds_system s, const struct ds_fault *f);

/* What to do with one request, decided from the configuration and two random numbers. */
struct ds_fault_plan {
    int delay_ms;
    bool error;
    unsigned error_status;
};
void ds_fault_decide(const struct ds_fault *f, uint64_t rnd1, uint64_t rnd2,
                     struct ds_fault_plan *plan);

/* A copy of body that no JSON parser accepts (same length + 2). Caller frees. */
char *ds_fault_malform(const char *body, size_t len, size_t *out_len);

/* Oversize: the body's bytes before its final '}' are sent, then `,"_padding":"xxx…"}` so the
 * whole is target bytes long (or len when target <= len + 16) and still JSON. */
size_t ds_fault_oversize_len(size_t len, long target);
/* Writes bytes [at, at + n) of the padded body into buf. */
void ds_fault_oversize_read(const char *body, size_t len, size_t total, size_t at, char *buf,
                            size_t n);

#endif
