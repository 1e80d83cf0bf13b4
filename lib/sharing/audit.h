/* The audit log (table audit_log, migrations 0005 and 0014): one row per read of personal data
 * and per consent, block or override change. Append-only. An audited transaction only inserts
 * its row (the insert trigger assigns id, time and the inserting transaction's id) and takes no
 * lock another audited transaction waits for; a sealer (gp_audit_seal_pass, run by
 * lib/sharing/audit_sealer.c) links committed rows into the hash chain (audit_chain) in id order
 * afterwards, within a promised delay, and signs checkpoints of the chain (audit_key.h).
 * audit_verify() in SQL finds the first broken row of the chain as stored; gp_audit_check also
 * checks it against the signed checkpoints, which even the database's owner cannot forge.
 *
 * Except the verify, seal and checkpoint functions, these functions run inside a transaction
 * the caller opened with gp_db_tx, so the audit row commits or rolls back together with the
 * read it records. They return a gp_qs that a gp_db_tx callback can return as it is (soft
 * errors retry). */
#ifndef GP_AUDIT_H
#define GP_AUDIT_H

#include "lib/db/db.h"

#include <jansson.h>

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
    char action[16]; /* read | consent | block | override | search | client */
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

/* Records into e->visibility which visibility levels an answer contains ("full,existence"),
 * from a bit set of gp_visibility values (1 << level, lib/sharing/policy.h). */
void gp_audit_set_visibility(struct gp_audit_entry *e, unsigned levels);

/* Appends e to the log; *id (may be NULL) receives the row's id. GP_QS_ONE_RESULT on
 * success; GP_QS_HARD_ERROR also for invalid input (an unknown action, a malformed CPR or
 * details that are not JSON), after which the transaction is aborted. Inside gp_db_tx and
 * with id NULL, the row is sent together with the COMMIT (gp_db_exec_at_commit), which saves a
 * round trip: its errors then surface as the commit's. No lock is taken: the row is sealed
 * into the chain after it commits. */
enum gp_qs gp_audit_append(struct gp_db_conn *c, const struct gp_audit_entry *e, int64_t *id);

enum gp_audit_verify_rc {
    GP_AUDIT_INTACT = 0,
    GP_AUDIT_BROKEN = 1,
    GP_AUDIT_VERIFY_DB_ERROR = -1,
};

/* Checks the whole chain as stored (audit_verify() in SQL), not against the signed
 * checkpoints (gp_audit_check does both), in its own repeatable-read transaction. When broken,
 * *bad_id is the first broken row's id and why says how ("hash mismatch", "prev link broken",
 * "row missing ...", "row not in chain"). */
enum gp_audit_verify_rc gp_audit_verify(struct gp_db_pool *pool, int64_t *bad_id, char *why,
                                        size_t whylen);

/* The end of the chain as one check saw it: the last sealed row's id (0 for an empty log) and
 * its hash in hex (what a checkpoint signs). */
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
    /* Only consents that opened another department's data to the department that recorded
     * them (details recorder_benefits, lib/sharing/consent.h): for the data-protection
     * officer. */
    bool recorder_benefits;
    const char *from;  /* ISO 8601 timestamp, inclusive; NULL/"" = any */
    const char *to;    /* ISO 8601 timestamp, exclusive; NULL/"" = any */
    int64_t before_id; /* keyset cursor: only ids below this; 0 = from the newest */
    int limit;         /* 1..1000; other values mean 100 */
};

/* Rows matching f into *out (the caller frees with gp_audit_list_free). Returns the row count
 * or an error status. */
enum gp_qs gp_audit_search(struct gp_db_conn *c, const struct gp_audit_filter *f,
                           struct gp_audit_list *out);

/* One line of a citizen's own access log: who looked at my data, when and why. */
struct gp_access_entry {
    int64_t id;
    char at[40];
    char action[16]; /* read | consent | block | override | search | client */
    char op[24];     /* what the change was (details op: record, withdraw, open, create, ...);
                        "" for a read */
    bool refused;    /* a change that was refused (a block's lifting by a non-owner) */
    bool recorder_benefits; /* a consent that benefits the department that recorded it */
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

/* Whether the role c is connected as could rewrite the audit history: a superuser, or a
 * member of the role that owns audit_log (which may disable its triggers). The service's role
 * should not be (migration 0014: a member of glasplade_service that owns nothing). */
enum gp_qs gp_audit_role_can_rewrite(struct gp_db_conn *c, bool *can);

/* ---- sealing and checkpoints ---- */

/* The chain's end after a sealing pass. */
struct gp_audit_seal_result {
    int sealed;             /* rows this pass linked into the chain */
    int64_t last_id;        /* the last sealed row (0: none) */
    int64_t last_seq;       /* its position in the chain */
    int64_t sealed_through; /* every id up to this is sealed or will never commit */
    char last_hash[65];
    bool pending; /* rows wait for the next pass */
};

/* One pass of audit_seal() (migration 0014), at most max_rows rows, as its own transaction: c
 * must not be inside one. A row is sealed by the second pass after its commit; a transaction
 * still running holds back every greater id (never skipped). Safe from several processes at
 * once (they serialise in the database); glasplade seals from one at a time. */
enum gp_qs gp_audit_seal_pass(struct gp_db_conn *c, int max_rows, struct gp_audit_seal_result *out);

/* The position the newest stored checkpoint covers up to (0: none) and its age in seconds
 * (-1: none). */
enum gp_qs gp_audit_checkpoint_last(struct gp_db_conn *c, int64_t *last_seq, double *age_s);

struct gp_audit_checkpoint;
struct gp_audit_key;
/* Fills *cp with the chain as it is now — the head and the entries after the newest stored
 * checkpoint — and signs it with key. GP_QS_NO_RESULTS when nothing was sealed since that
 * checkpoint; GP_QS_ONE_RESULT when *cp is ready (free with gp_audit_checkpoint_clear), to be
 * appended to the file and then stored with gp_audit_checkpoint_store. */
enum gp_qs gp_audit_checkpoint_make(struct gp_db_conn *c, const struct gp_audit_key *key,
                                    struct gp_audit_checkpoint *cp);
enum gp_qs gp_audit_checkpoint_store(struct gp_db_conn *c, const struct gp_audit_checkpoint *cp);

/* ---- the full check: chain, checkpoints, unsealed tail ---- */

struct gp_audit_check_opts {
    /* The public key checkpoints are checked with; NULL: none are checked (and the report says
     * so: without a key a checkpoint proves nothing). */
    const struct gp_audit_key *key;
    /* A checkpoint file to check besides the checkpoints in the database; NULL: none. A missing
     * file is an error when file_required, otherwise as if empty. */
    const char *checkpoint_file;
    bool file_required;
    int max_delay_ms; /* the promised sealing delay, for unsealed.overdue */
};

struct gp_audit_report {
    bool intact;             /* the chain verifies and matches every valid checkpoint */
    int64_t last_id;         /* the last sealed row */
    int64_t last_seq;        /* its position */
    char last_hash[65];      /* its hash */
    int64_t first_broken_id; /* 0 when intact */
    char problem[256];       /* "" when intact */
    int64_t intact_up_to;    /* the last sealed row before the first broken one (last_id if none) */
    struct {
        bool key;               /* a public key was given */
        char public_key[65];    /* its hex */
        int from_db, from_file; /* checkpoints read */
        int matched;            /* valid and matching the chain */
        int mismatched;         /* valid but the chain differs: rewritten */
        int other_key;          /* signed by another key: not counted */
        int invalid;            /* bad signature, bad rows digest or malformed: forged or damaged */
        int64_t last_id;        /* the newest matching checkpoint's last_id (0: none) */
        char last_at[40];       /* and when it was signed ("" none) */
    } checkpoints;
    struct {
        int64_t count;         /* committed rows not sealed yet */
        char oldest_at[40];    /* the oldest one's time ("" none) */
        int64_t oldest_age_ms; /* and its age (0 none) */
        bool overdue;          /* older than the promised delay */
    } unsealed;
};

/* Checks the chain as stored, against every checkpoint (database and file) that verifies with
 * o->key, and measures the unsealed tail, in one repeatable-read snapshot. The first broken id
 * is the smallest id that is wrong in any of these ways; a checkpoint names the exact row (its
 * rows list). GP_AUDIT_VERIFY_DB_ERROR with a reason in err when the database or a required
 * file cannot be read. */
enum gp_audit_verify_rc gp_audit_check(struct gp_db_pool *pool, const struct gp_audit_check_opts *o,
                                       struct gp_audit_report *r, char *err, size_t errlen);

/* The report as GET /v1/audit/verify and `glasplade audit verify` give it (api/openapi.yaml,
 * AuditVerification), checked_at being now; max_delay_ms is the promised delay. */
json_t *gp_audit_report_json(const struct gp_audit_report *r, int max_delay_ms);

#endif
