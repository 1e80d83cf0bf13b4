/* The routes every kind of sharing rule has (lib/sharing/rule.h: consents, blocks, break-glass
 * overrides), served once for all of them:
 *
 *   POST /v1/citizens/{cpr}/<plural>   record one: 201, with Location <location_prefix>{id}
 *                                      where the kind has one
 *   GET  /v1/citizens/{cpr}/<plural>   the citizen's, newest first
 *   GET  <location_prefix>{id}         one with its history        (kinds that are withdrawn)
 *   POST <location_prefix>{id}/withdraw  withdraw it (a reason is required); idempotent
 *
 * {id} is the row's public id (a random UUID, lib/sharing/rule.h), never its sequential key.
 * Each call writes its audit row in the same transaction as what it records or reads: the
 * kind's action for a change, "read" for a read (with the caller's purpose). A read of one row
 * by an id that names none reads nothing and writes nothing.
 *
 * The rules have owners (the kind's may_see and may_withdraw): a caller who may not see what a
 * row says gets it withheld (or, for blocks, not at all: the list then says "withheld": true
 * while one is in force) and a read by id is 403 naming the rule; a withdrawal the kind's
 * owners refuse is 403 naming the rule, changes nothing, and is audited as refused. A citizen
 * reaches their own rows only (403 "citizen_self").
 *
 * What a kind's routes do beyond its lib/sharing descriptor — its record body and the checks
 * of it against the database — is a struct gp_rule_route in the kind's own file (api/consents.c,
 * api/blocks.c, api/overrides.c), which also holds the entry points api/routes.c names. */
#ifndef GP_RULE_ROUTES_H
#define GP_RULE_ROUTES_H

#include "api/input.h"
#include "lib/sharing/consent.h"

#include <stdbool.h>

struct gp_request;

struct gp_rule_route {
    const struct gp_rule_kind *kind;
    /* Parses the record route's body into in (a zeroed struct of the kind), for citizen cpr,
     * recorded by req's client, adding every bad field to fe (then in is left incomplete and
     * the answer is 400 naming them). Returns false when it has answered the request itself
     * (a body that is not one JSON object). */
    bool (*parse)(struct gp_request *req, const char *cpr, void *in, struct gp_field_errors *fe);
    /* In the record's transaction, first: adds to fe what the database (or, for rules that
     * depend on who records, req's caller and configuration) shows to be wrong with in
     * (unknown codes, a form the caller may not use, ...); the answer is then 422 naming them,
     * and nothing is recorded. Anything but GP_CONSENT_OK ends the transaction. NULL: nothing
     * to check. */
    enum gp_consent_rc (*check)(struct gp_db_conn *c, const struct gp_request *req, const void *in,
                                struct gp_field_errors *fe);
    /* The body names codes the database holds (areas, departments, case types): one the
     * database still refuses (a foreign key) is the body's fault, 422, not the server's. */
    bool body_codes;
};

/* POST /v1/citizens/{cpr}/<plural> */
void gp_rule_handle_record(struct gp_request *req, const struct gp_rule_route *route);
/* GET /v1/citizens/{cpr}/<plural> */
void gp_rule_handle_list(struct gp_request *req, const struct gp_rule_kind *kind);
/* GET <location_prefix>{id} */
void gp_rule_handle_get(struct gp_request *req, const struct gp_rule_kind *kind);
/* POST <location_prefix>{id}/withdraw */
void gp_rule_handle_withdraw(struct gp_request *req, const struct gp_rule_kind *kind);

/* For a parse: a period from the body's optional valid_from (default today) and valid_until
 * (default "", open-ended) into from and until. */
void gp_rule_set_period(char from[11], char until[11], const char *valid_from,
                        const char *valid_until);

/* For a check: valid_until ("" = open) must not be before valid_from. */
void gp_rule_check_period(const char *valid_from, const char *valid_until,
                          struct gp_field_errors *fe);

#endif
