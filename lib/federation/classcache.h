/* A process-wide memo of record_classify (migration 0007): the case type, area, current legal
 * basis and sensitivity the database computed for a (source, source code, legal basis as the
 * source wrote it, record date). Classifying in SQL costs about 0.1 ms a record (the
 * legal-basis normalisation is a chain of regular expressions); a press of a citizen the index
 * already knows repeats the same inputs, so lib/index sends the memoised answer along and the
 * database classifies only what is new.
 *
 * The database stays the one classifier: entries only ever come from its answers. Entries
 * expire after ttl_s seconds, so a taxonomy change reaches every record within that time even
 * without a restart. Fixed size, direct-mapped (a colliding key replaces the older entry);
 * thread-safe. */
#ifndef GP_CLASSCACHE_H
#define GP_CLASSCACHE_H

#include <stdbool.h>
#include <stddef.h>

struct gp_class_key {
    const char *source_id;
    const char *source_code;     /* "" when none */
    const char *legal_basis_raw; /* "" when none */
    const char *on_date;         /* YYYY-MM-DD, "" for today */
};

struct gp_class_value {
    char case_type[64];
    char area[32];
    char legal_basis[128]; /* "" for none */
    char sensitivity[24];
};

struct gp_classcache;

/* slots: the number of entries kept (rounded up to a power of two, at least 64). */
struct gp_classcache *gp_classcache_create(size_t slots, int ttl_s);
void gp_classcache_destroy(struct gp_classcache *cc);

/* Whether key has a live entry; if so copies it to *out. now_s: a monotonic clock in seconds
 * (the caller's, so tests can move time). */
bool gp_classcache_get(struct gp_classcache *cc, const struct gp_class_key *key, double now_s,
                       struct gp_class_value *out);
void gp_classcache_put(struct gp_classcache *cc, const struct gp_class_key *key, double now_s,
                       const struct gp_class_value *v);

/* Hits and misses since creation (for /metrics and the benchmark). */
void gp_classcache_stats(struct gp_classcache *cc, unsigned long long *hits,
                         unsigned long long *misses);

#endif
