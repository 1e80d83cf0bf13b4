/* The CPR button: one press, from "which sources do we ask" to the citizen's records read back
 * from the index with the read's audit row. The HTTP layer (api/lookup.c) only suspends the
 * request while the fan-out runs and builds the answer; every decision of a press is here:
 *
 *   gp_press_load    database: enabled sources, the citizen's consents/blocks/overrides, and
 *                    (when the refresh mode needs it) what the index knows of each source
 *   gp_press_plan    pure: which sources to ask now (refresh mode, freshness, blocks, digests)
 *   (fan-out)        lib/federation/federate.h, started by the caller with the plan's requests
 *   gp_press_take    copies the fan-out's results into the press
 *   gp_press_parse   pure: each answer's media type, digest and parse by its source's adapter
 *   gp_press_store   database, one transaction: store the answers, read the citizen's records
 *                    back, append the read's audit row
 *
 * A press is single-threaded: one request owns it from load to free. */
#ifndef GP_PRESS_H
#define GP_PRESS_H

#include "lib/core/cpr.h"
#include "lib/core/record.h"
#include "lib/db/db.h"
#include "lib/federation/federate.h"
#include "lib/federation/index.h"
#include "lib/federation/sources.h"
#include "lib/sharing/policy.h"
#include "lib/sharing/sharing.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum gp_refresh { GP_REFRESH_AUTO = 0, GP_REFRESH_ALWAYS, GP_REFRESH_NEVER };

/* "auto", "always", "never". */
const char *gp_refresh_name(enum gp_refresh r);
/* Parses a refresh mode; NULL is auto. False for anything else. */
bool gp_refresh_parse(const char *s, enum gp_refresh *out);

/* How fresh is fresh enough (lib/core/config: GLASPLADE_INDEX_TTL_S, _INDEX_DIGEST_TTL_S). */
struct gp_press_settings {
    int index_ttl_s;        /* refresh=auto asks a source whose last good answer is older */
    int index_digest_ttl_s; /* an answer's digest is trusted this long; 0: digests off */
};

/* What became of one enabled source in this press. */
struct gp_press_source {
    struct gp_source src;
    bool planned;               /* the plan asked for it now (sent, or refused by its circuit) */
    bool asked;                 /* a request was sent now (not: its circuit was open) */
    bool blocked;               /* a block of the citizen's: not asked for this caller */
    enum gp_fetch_status fetch; /* when asked */
    char status[16];            /* ok, timeout, error, unavailable, circuit_open, stale, blocked */
    double latency_ms;          /* when asked */
    char fetched_at[32];        /* when its data in the index was fetched, "" never */
    double age_s;               /* age of that data, -1 never */
    bool stale;                 /* the index's data for it is not current */
    char error[256];
    char vouched[65]; /* digest of the answer the index holds in full (fresh enough), "" none */
    char digest[65];  /* digest of the answer now, "" none */
    bool unchanged;   /* the answer now is the one the index holds: not parsed, not stored */
};

struct gp_press {
    struct gp_cpr cpr;
    enum gp_refresh refresh;
    size_t n;
    struct gp_press_source *sources;   /* every enabled source with an adapter, by id */
    struct gp_source_fetch_list known; /* what the index knew of each source at load */
    struct gp_fanout_result fanout;    /* deep copy of the engine's results */
    struct gp_record_list *parsed;     /* per fan-out result; empty when not OK or unchanged */
    struct gp_indexed_list records;    /* the citizen's live records after storing */
    struct gp_policy_caller caller;    /* who asks, and why */
    struct gp_sharing sharing;         /* the citizen's consents, blocks, the caller's overrides */
    const struct gp_policy_context *policy; /* over sharing: what every record is judged in */
};

/* Starts a press of cpr for caller (whose strings must outlive the press). */
void gp_press_init(struct gp_press *p, const struct gp_cpr *cpr, enum gp_refresh refresh,
                   const struct gp_policy_caller *caller);
/* Frees what the press holds (not p itself). Accepts a zeroed press. */
void gp_press_free(struct gp_press *p);

/* Loads the enabled sources, the citizen's sharing state as seen by client_id, and what the
 * index knows of each source when the refresh mode needs it: one connection, one round trip
 * for the last two. Negative gp_qs when the database is unavailable. */
enum gp_qs gp_press_load(struct gp_db_pool *pool, struct gp_press *p, int64_t client_id,
                         const struct gp_press_settings *s);

/* Decides which sources to ask now, from the press's sources, sharing and known freshness: a
 * source the citizen's block keeps from this caller is marked blocked and not asked; refresh
 * never asks none, auto those without a good answer younger than index_ttl_s, always all; a
 * source asked whose last full answer is trusted remembers that answer's digest (vouched).
 * Writes one request per source to ask into reqs (room for p->n) and the single-flight key
 * (the CPR and the ids asked) into key. Returns the number of requests. Pure: no I/O. */
size_t gp_press_plan(struct gp_press *p, const struct gp_press_settings *s,
                     struct gp_fetch_request *reqs, char *key, size_t keylen);

/* Copies the fan-out's results (valid only during the engine's callback) into the press. */
void gp_press_take(struct gp_press *p, const struct gp_fanout_result *res);

/* For a press whose sources are stored as they answer (the streamed overview): replaces the
 * results taken before (and stored since) by the n results res (copied); the next
 * gp_press_store parses and stores only these. Sources settled before keep their outcome. */
void gp_press_take_more(struct gp_press *p, const struct gp_fetch_result *res, size_t n);

/* Marks each asked source with its outcome and parses every OK answer with its source's
 * adapter — unless it is, byte for byte, the answer the index holds in full (its digest equals
 * the vouched one): then it is neither parsed nor stored. An answer of another media type than
 * JSON, or one the adapter cannot parse, is the source's error, and counted against its circuit
 * in f (NULL: not counted). Pure but for f. */
void gp_press_parse(struct gp_press *p, const struct gp_press_settings *s, struct gp_federate *f);

/* Stores the parsed answers, reads the citizen's records back into p->records and appends the
 * read's audit row, in one transaction. audit (the caller's part filled: who, why, which route)
 * gets the sources asked and answered, the visibility levels the answer contains and whether a
 * break-glass override was used. An unchanged answer the index stopped vouching for meanwhile
 * is parsed and stored in full in the same transaction. Then each source's freshness is marked
 * from the index. cc (may be NULL) memoises classifications. Negative gp_qs when the database
 * is unavailable. */
struct gp_classcache;
struct gp_audit_entry;
enum gp_qs gp_press_store(struct gp_db_pool *pool, struct gp_classcache *cc, struct gp_federate *f,
                          struct gp_press *p, const struct gp_press_settings *s,
                          struct gp_audit_entry *audit);

/* The policy's decision on one of p->records for the press's caller: the one place overview,
 * cases, timeline and recommendations ask it. */
struct gp_policy_decision gp_press_decide(const struct gp_press *p, const struct gp_indexed *x);

/* Whether the records of source_id are stale in this answer (true for an unknown source). */
bool gp_press_source_stale(const struct gp_press *p, const char *source_id);

/* The answer's completeness: sources that answered among those the caller may see (a blocked
 * source counts neither as asked nor as missing), and "complete", "partial" or "failed". */
struct gp_press_outcome {
    size_t answered, asked;
    const char *status;
};
struct gp_press_outcome gp_press_outcome(const struct gp_press *p);

#endif
