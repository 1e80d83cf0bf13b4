/* The audit sealer: links committed audit rows into the hash chain within the promised delay
 * and signs checkpoints of the chain (lib/sharing/audit.h, migration 0014).
 *
 * It runs as a thread of every `glasplade serve`, on a connection of its own. A session-level
 * PostgreSQL advisory lock makes exactly one process per database the sealer; the others try
 * again every pass and take over within one pass of the holder's end (a killed process's
 * session ends with its connection, and the lock with it). Correctness does not rest on the
 * lock: audit_seal() serialises on the chain's head, so two sealers could never seal a row twice
 * or out of order; the lock keeps one process doing the work and writing checkpoints.
 * `glasplade audit seal` runs the same steps once (gp_audit_seal_now). */
#ifndef GP_AUDIT_SEALER_H
#define GP_AUDIT_SEALER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct gp_audit_sealer_config {
    const char *conninfo; /* the service's database URL */
    int connect_timeout_s;
    int delay_ms;         /* the promised delay; a pass runs every delay_ms / 4 */
    const char *key_file; /* Ed25519 private key; NULL, "" or a missing file: no checkpoints */
    const char *checkpoint_file; /* checkpoints are appended here (and stored in the database) */
    int checkpoint_rows;         /* a checkpoint every this many sealed rows */
    int checkpoint_interval_s;   /* or this often while rows were sealed since the last */
};

struct gp_audit_sealer;

/* Loads the key (a key file that exists but cannot be used is an error: the reason in err) and
 * starts the thread. */
struct gp_audit_sealer *gp_audit_sealer_start(const struct gp_audit_sealer_config *cfg, char *err,
                                              size_t errlen);
/* Stops the thread after its current pass, releases the lock and frees s. Accepts NULL. */
void gp_audit_sealer_stop(struct gp_audit_sealer *s);

/* True while this process holds the sealing lock (for logs and tests). */
bool gp_audit_sealer_is_leader(const struct gp_audit_sealer *s);

struct gp_audit_seal_summary {
    bool locked_out; /* another process seals: nothing was done */
    int64_t sealed;  /* rows sealed */
    int64_t last_id; /* the chain's end afterwards */
    int64_t last_seq;
    bool pending;    /* rows still wait (a transaction is still running) */
    bool checkpoint; /* a checkpoint was written */
};

/* Seals what can be sealed now, waiting up to wait_ms for transactions still running, then
 * writes a checkpoint when a key is configured and rows were sealed since the last one. False
 * with a reason in err when the database or the key cannot be used. */
bool gp_audit_seal_now(const struct gp_audit_sealer_config *cfg, int wait_ms,
                       struct gp_audit_seal_summary *out, char *err, size_t errlen);

#endif
