/* The CPR button's first half, shared by the personal-data routes that read the index
 * (overview, cases): decide which sources to ask (refresh=auto|always|never), ask them all at
 * once through lib/federate while the request is suspended, parse what came back with each
 * source's adapter, and store it in the index. Then the route's continuation builds its
 * answer from the index and the per-source outcomes.
 *
 * Every read of personal data passes through gp_lookup_begin: it is the one place where the
 * audit row of the read will be written. */
#ifndef GP_LOOKUP_H
#define GP_LOOKUP_H

#include "api/http.h"
#include "lib/core/cpr.h"
#include "lib/federation/federate.h"
#include "lib/federation/index.h"
#include "lib/sharing/policy.h"
#include "lib/sharing/sharing.h"
#include "lib/federation/sources.h"

#include <jansson.h>
#include <stdbool.h>

enum gp_refresh { GP_REFRESH_AUTO = 0, GP_REFRESH_ALWAYS, GP_REFRESH_NEVER };

/* What became of one enabled source in this lookup. */
struct gp_lookup_source {
    struct gp_source src;
    bool asked;                 /* a request was sent (or refused by the circuit) now */
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

struct gp_lookup {
    struct gp_cpr cpr;
    enum gp_refresh refresh;
    size_t n;
    struct gp_lookup_source *sources; /* every enabled source, by id */
    struct gp_fanout_result fanout;   /* deep copy of the engine's results */
    struct gp_indexed_list records;   /* the citizen's live records after storing */
    struct gp_policy_caller caller;   /* who asks, and why */
    struct gp_sharing sharing;        /* the citizen's consents, blocks, the caller's overrides */
    const struct gp_policy_context *policy; /* over sharing: what every record is judged in */
    gp_handler_fn finish;                   /* the route's continuation */
    void *route_state;                      /* the route's own state, freed by route_state_free */
    void (*route_state_free)(void *);
};

/* Parses `refresh` (default auto); answers 400 and returns false when invalid. */
bool gp_lookup_parse_refresh(struct gp_request *req, enum gp_refresh *out);

/* Starts the lookup of cpr; when it is done (possibly after a suspension), finish(req) runs
 * with gp_lookup_of(req) holding the outcome and the records read back from the index.
 * route_state (owned from now on, freed with route_state_free) is the route's own, reachable
 * as gp_lookup_of(req)->route_state. Answers an error itself (and never calls finish) when
 * the database is unavailable. */
void gp_lookup_begin(struct gp_request *req, const struct gp_cpr *cpr, enum gp_refresh refresh,
                     gp_handler_fn finish, void *route_state, void (*route_state_free)(void *));

struct gp_lookup *gp_lookup_of(struct gp_request *req);

/* The common part of an answer: "status", "completeness" and "sources" members added to obj. */
void gp_lookup_describe(const struct gp_lookup *lk, json_t *obj);

/* The policy's decision on one of lk->records for this lookup's caller: the one place overview,
 * cases, timeline and recommendations ask it. */
struct gp_policy_decision gp_lookup_decide(const struct gp_lookup *lk, const struct gp_indexed *x);

/* Whether the records of source_id are stale in this answer. */
bool gp_lookup_source_stale(const struct gp_lookup *lk, const char *source_id);

#endif
