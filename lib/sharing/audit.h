/* The audit log (table audit_log, migration 0005): one row per read of personal data and per
 * consent, block or override change. Append-only and hash-chained in SQL: the insert trigger
 * assigns id and time, links the row to its predecessor and hashes it, so callers only fill in
 * what happened. audit_verify() in SQL finds the first broken row.
 *
 * Except gp_audit_verify, these functions run inside a transaction the caller opened with
 * gp_db_tx, so the audit row commits or rolls back together with the read it records. An
 * append takes the chain's lock until the transaction ends: append as the last statement.
 * They return a gp_qs that a gp_db_tx callback can return as it is (soft errors retry). */
#ifndef GP_AUDIT_H
#define GP_AUDIT_H

#include "lib/db/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GP_AUDIT_MAX_SOURCES 16

/* One audit row. For gp_audit_append fill everything but id, at (set by the database); empty
 * strings are stored as NULL where the column allows it (department, purpose, legal_basis,
 * cpr, visibility, request_id, details). */
struct gp_audit_entry {
    int64_t id;
    char at[40];       /* ISO 8601 UTC with microseconds */
    int64_t client_id; /* 0 = none */
    char client_name[201];
    char subject[256];    /* the person (sub at the identity provider); "" for a key */
    char client_app[129]; /* the person's client application (azp); "" for a key */
    char role[24];
    char department[64];
    char purpose[64];
    char legal_basis[512];
    char cpr[11];    /* "" for searches across citizens */
    char action[16]; /* read | consent | block | override | search */
    char route[128];
    char sources_asked[GP_AUDIT_MAX_SOURCES][64];
    size_t n_sources_asked;
    char sources_answered[GP_AUDIT_MAX_SOURCES][64];
    size_t n_sources_answered;
    char visibility[128]; /* e.g. "full,existence" */
    bool override_used;
    char request_id[65]; /* up to 64 characters, as the HTTP layer accepts them */
    char details[2048];  /* a JSON value as text, e.g. a search's criteria; "" = none */
};

/* Appends e to the chain; *id (may be NULL) receives the row's id. GP_QS_ONE_RESULT on
 * success; GP_QS_HARD_ERROR also for invalid input (an unknown action, a malformed CPR or
 * details that are not JSON), after which the transaction is aborted. Inside gp_db_tx and
 * with id NULL, the row is sent together with the COMMIT (gp_db_exec_at_commit), so the chain
 * lock is never held across a round trip: its errors then surface as the commit's. */
/* Records into e->visibility which visibility levels an answer contains ("full,existence"),
 * from a bit set of gp_visibility values (1 << level, lib/sharing/policy.h). */
void gp_audit_set_visibility(struct gp_audit_entry *e, unsigned levels);

enum gp_qs gp_audit_append(struct gp_db_conn *c, const struct gp_audit_entry *e, int64_t *id);

enum gp_audit_verify_rc {
    GP_AUDIT_INTACT = 0,
    GP_AUDIT_BROKEN = 1,
    GP_AUDIT_VERIFY_DB_ERROR = -1,
};

/* Checks the whole chain in its own repeatable-read transaction. When broken, *bad_id is the
 * first broken row's id and why says how ("hash mismatch", "prev link broken", "row missing
 * ..."). */
enum gp_audit_verify_rc gp_audit_verify(struct gp_db_pool *pool, int64_t *bad_id, char *why,
                                        size_t whylen);

/* The end of the chain as one check saw it: the last row's id (0 for an empty log) and its
 * hash in hex, the value to record outside the database now and then, so that even a rewrite
 * of the whole chain would show. */
struct gp_audit_head {
    int64_t last_id;
    char last_hash[65];
};

/* gp_audit_verify, also giving the head the check ran up to (same snapshot). */
enum gp_audit_verify_rc gp_audit_verify_head(struct gp_db_pool *pool, int64_t *bad_id, char *why,
                                             size_t whylen, struct gp_audit_head *head);

struct gp_audit_list {
    size_t n;
    struct gp_audit_entry *items;
};
/* Accepts NULL; frees the items and empties the list. */
void gp_audit_list_free(struct gp_audit_list *l);

/* Audit search (auditor role). Unset fields do not filter. Newest first; page with before_id =
 * the last id of the previous page. */
struct gp_audit_filter {
    const char *cpr;    /* NULL/"" = any */
    int64_t client_id;  /* 0 = any */
    const char *action; /* NULL/"" = any */
    const char *from;   /* ISO 8601 timestamp, inclusive; NULL/"" = any */
    const char *to;     /* ISO 8601 timestamp, exclusive; NULL/"" = any */
    int64_t before_id;  /* keyset cursor: only ids below this; 0 = from the newest */
    int limit;          /* 1..1000; other values mean 100 */
};

/* Rows matching f into *out (the caller frees with gp_audit_list_free). Returns the row count
 * or an error status. */
enum gp_qs gp_audit_search(struct gp_db_conn *c, const struct gp_audit_filter *f,
                           struct gp_audit_list *out);

/* One line of a citizen's own access log: who looked at my data, when and why. */
struct gp_access_entry {
    int64_t id;
    char at[40];
    char action[16]; /* read | consent | block | override */
    char client_name[201];
    char subject[256];    /* "" for a key */
    char client_app[129]; /* "" for a key */
    char role[24];
    char department[64];
    char purpose[64];
    char legal_basis[512];
    bool override_used;
};

struct gp_access_list {
    size_t n;
    struct gp_access_entry *items;
};
void gp_access_list_free(struct gp_access_list *l);

/* The audit rows about cpr, and only cpr, newest first — its reads and changes, and the
 * CPR-list searches that returned it; before_id is the keyset cursor (0 = from the newest),
 * limit as in gp_audit_filter. */
enum gp_qs gp_access_log(struct gp_db_conn *c, const char *cpr, int limit, int64_t before_id,
                         struct gp_access_list *out);

#endif
