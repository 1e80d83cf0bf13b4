/* The shared index (tables record, source_fetch, citizen): storing what a source answered for
 * a citizen, and reading back what the index knows. Storing classifies each record onto the
 * case-type taxonomy in SQL (legal_basis_resolve, source_code_map), so the taxonomy stays
 * data. These functions run inside a transaction the caller opened with gp_db_tx. */
#ifndef GP_INDEX_H
#define GP_INDEX_H

#include "lib/core/record.h"
#include "lib/db/db.h"

struct gp_db_batch_item; /* lib/db/stmt.h */
#include "lib/federation/sources.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* What one source answered in one press (or how asking it failed). */
struct gp_index_answer {
    const char *source_id;
    const char *status; /* a gp_fetch_status name: ok, timeout, error, unavailable */
    const char *error;  /* "" or NULL when none */
    double latency_ms;
    const char *fetched_at;               /* ISO 8601: when the answer came */
    const struct gp_record_list *records; /* the parsed records when status is ok, else NULL */
    bool complete; /* records are everything the source has for the citizen: the source's other
                      live records for the citizen are marked removed */
    /* Hex SHA-256 of the answer as received (api/lookup.c answer_digest) or NULL. Remembered
     * for an answer stored in full with records; see migration 0013. */
    const char *digest;
    /* The caller found digest equal to the one the index vouches for (gp_source_fetch.digest)
     * and sends no records: only the fetch outcome is stored, if the index still vouches for
     * that digest under the row lock — else the answer is refused. */
    bool unchanged;
};

/* Stores one press's answers for cpr in one statement: upserts every record (classified onto
 * the case-type taxonomy by record_classify, stamped with its source's fetched_at; an unchanged
 * record is not rewritten), marks removed what complete answers no longer return, records each
 * source's fetch outcome, and the citizen as seen when there is any record. A source that was
 * not asked (its circuit open) is simply not among answers: its last real attempt stays on
 * record. Returns the number of records stored, or a negative gp_qs. */
struct gp_classcache;
/* cc (may be NULL) memoises classifications: a record whose inputs it knows is sent with its
 * classification and not classified again; what the database classified is put in it. now_s is
 * the monotonic clock cc's entries age by. */
/* refused (n entries, or NULL when no answer is unchanged) is set for each unchanged answer the
 * index no longer vouches for: nothing of it was stored, and the caller stores it again in full
 * (in the same transaction). */
enum gp_qs gp_index_store_answers(struct gp_db_conn *c, struct gp_classcache *cc, double now_s,
                                  const char *cpr, const struct gp_index_answer *answers, size_t n,
                                  bool *refused);

/* A record as the index holds it, with what visibility decisions need. */
struct gp_indexed {
    int64_t id;
    char source_id[64];
    char department[64];
    char area[32];
    char case_type[64];
    char case_label_da[128];
    char case_label_en[128];
    bool cross_department;
    char sensitivity[24];
    char legal_basis[128];
    char fetched_at[32];
    bool withheld_from_citizen; /* its source keeps it from the citizen (migration 0016) */
    struct gp_record rec;       /* the normalised fields (cpr, refs, data type, kind, title, ...) */
};

struct gp_indexed_list {
    size_t n;
    struct gp_indexed *items;
};
void gp_indexed_list_free(struct gp_indexed_list *l);

/* All live records of cpr, oldest first by start/document date, then id. */
enum gp_qs gp_index_read_all(struct gp_db_conn *c, const char *cpr, struct gp_indexed_list *out);
/* The same read as one item of a batch (lib/db gp_db_exec_batch). */
void gp_index_read_all_item(struct gp_db_batch_item *it, const char *cpr,
                            struct gp_indexed_list *out);

struct gp_index_filter {
    const char *area;      /* NULL = any */
    const char *data_type; /* NULL = any */
    const char *status;    /* NULL = any */
    const char *since;     /* YYYY-MM-DD: records with any date on or after it; NULL = any */
    int64_t after_id;      /* keyset cursor: only ids greater than this */
    int limit;
};

/* Live records of cpr matching the filter, ordered by id. */
enum gp_qs gp_index_read_page(struct gp_db_conn *c, const char *cpr,
                              const struct gp_index_filter *f, struct gp_indexed_list *out);

/* What the index knows of each source's freshness for a citizen. */
struct gp_source_fetch {
    char source_id[64];
    char fetched_at[32]; /* last attempt */
    char status[16];
    char error[256];
    double latency_ms;
    char last_ok_at[32]; /* "" never */
    double ok_age_s;     /* seconds since last_ok_at; -1 never */
    char digest[65];     /* hex digest of the answer the index holds in full; "" none */
    double digest_age_s; /* seconds since that answer was last stored in full; -1 none */
};

struct gp_source_fetch_list {
    size_t n;
    struct gp_source_fetch *items;
};
void gp_source_fetch_list_free(struct gp_source_fetch_list *l);

enum gp_qs gp_index_read_fetches(struct gp_db_conn *c, const char *cpr,
                                 struct gp_source_fetch_list *out);
void gp_index_read_fetches_item(struct gp_db_batch_item *it, const char *cpr,
                                struct gp_source_fetch_list *out);
/* The entry for source_id, or NULL. */
const struct gp_source_fetch *gp_source_fetch_find(const struct gp_source_fetch_list *l,
                                                   const char *source_id);

#endif
