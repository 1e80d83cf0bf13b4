/* The HTTP side of a press of the CPR button (lib/federation/press.h), shared by the
 * personal-data routes that read the index (overview, cases, timeline, recommendations): load
 * and plan the press, suspend the request while the fan-out runs, resume, store, and hand the
 * press to the route's continuation, which builds its answer from the press's records and
 * per-source outcomes.
 *
 * Every read of a citizen's records passes through gp_lookup_begin: the press writes the audit
 * row of the read in the transaction that reads. */
#ifndef GP_LOOKUP_H
#define GP_LOOKUP_H

#include "api/http.h"
#include "lib/core/cpr.h"
#include "lib/federation/press.h"

#include <jansson.h>
#include <stdbool.h>

/* Parses `refresh` (default auto); answers 400 and returns false when invalid. */
bool gp_lookup_parse_refresh(struct gp_request *req, enum gp_refresh *out);

/* Starts the press of cpr; when it is done (possibly after a suspension), finish(req) runs
 * with gp_lookup_of(req) holding the outcome and the records read back from the index.
 * route_state (owned from now on, freed with route_state_free) is the route's own, reachable
 * as gp_lookup_route_state(req). Answers an error itself (and never calls finish) when the
 * database is unavailable. */
void gp_lookup_begin(struct gp_request *req, const struct gp_cpr *cpr, enum gp_refresh refresh,
                     gp_handler_fn finish, void *route_state, void (*route_state_free)(void *));

/* The press of a request gp_lookup_begin started (NULL otherwise). */
struct gp_press *gp_lookup_of(struct gp_request *req);
/* The route_state given to gp_lookup_begin. */
void *gp_lookup_route_state(struct gp_request *req);

/* The common part of an answer: "status", "completeness" and "sources" members added to obj. */
void gp_lookup_describe(const struct gp_press *p, json_t *obj);

#endif
