/* Blocks: a citizen's negative consent, as sundhed.dk's MinSpærring. Data of one area,
 * department or case type is not shared across departments for a period, whatever consents
 * say; only a break-glass override passes it. Recorded by the citizen themselves, or by
 * caseworkers and coordinators on the citizen's behalf (recorded_by is the token's client);
 * never deleted, only withdrawn, once — by the citizen, the department that recorded it or a
 * coordinator of a department it does not restrain (lib/sharing/consent.h). What a block says
 * is shown only to those and to auditors.
 *
 *   POST /v1/citizens/{cpr}/blocks   record one: 201 with Location /v1/blocks/{id}
 *   GET  /v1/citizens/{cpr}/blocks   the citizen's blocks, active and past, newest first
 *   GET  /v1/blocks/{id}             one block with its history ({id}: its public id)
 *   POST /v1/blocks/{id}/withdraw    withdraw it (a reason is required); idempotent
 *
 * api/rule_routes.c serves them as it serves consents and overrides; what is a block's own is
 * here: its body, and the check of its scope. Each call writes its audit row in the same
 * transaction: action "block" for a change, "read" for a read, with the caller's purpose when
 * one is stated. */
#include "api/http.h"
#include "api/input.h"
#include "api/rule_routes.h"
#include "api/sharing_handlers.h"

#include <stdio.h>
#include <string.h>

static const char *const kind_choices[] = {"area", "department", "case_type", NULL};

/* The scope's code must be known as what the scope says it is. */
static enum gp_consent_rc check_block(struct gp_db_conn *c, const struct gp_request *req,
                                      const void *in, struct gp_field_errors *fe)
{
    (void)req;
    const struct gp_block *b = in;
    gp_rule_check_period(b->valid_from, b->valid_until, fe);
    char area[32];
    bool known;
    enum gp_consent_rc rc = gp_scope_code_area(c, b->scope_kind, b->scope_value, area, &known);
    if (rc != GP_CONSENT_OK)
        return rc;
    if (!known)
        gp_field_errors_add(fe, "scope.value", "'%s' is not a known %s", b->scope_value,
                            strcmp(b->scope_kind, "case_type") ? b->scope_kind : "case type");
    return GP_CONSENT_OK;
}

static bool parse_block(struct gp_request *req, const char *cpr, void *in,
                        struct gp_field_errors *fe)
{
    struct gp_block *b = in;
    char *valid_from = NULL, *valid_until = NULL, *reason = NULL, *kind = NULL, *value = NULL;
    json_t *scope = NULL, *doc = NULL;
    struct gp_jspec spec[] = {
        {.field = "scope", .type = GP_JT_OBJECT, .dest = &scope},
        {.field = "valid_from", .type = GP_JT_DATE, .optional = true, .dest = &valid_from},
        {.field = "valid_until", .type = GP_JT_DATE, .optional = true, .dest = &valid_until},
        {.field = "reason",
         .type = GP_JT_STRING,
         .optional = true,
         .max_len = 255,
         .dest = &reason},
        GP_JSPEC_END,
    };
    struct gp_jspec scope_spec[] = {
        {.field = "kind", .type = GP_JT_ENUM, .choices = kind_choices, .dest = &kind},
        {.field = "value", .type = GP_JT_STRING, .max_len = 63, .dest = &value},
        GP_JSPEC_END,
    };
    if (!gp_input_body(req, spec, &doc, fe))
        return false;
    if (scope)
        gp_input_check_object(scope, scope_spec, "scope.", fe);
    if (value && !gp_input_is_code(value))
        gp_field_errors_add(fe, "scope.value", "is not a code ([a-z][a-z0-9_]*)");
    if (!gp_field_errors_count(fe)) {
        snprintf(b->cpr, sizeof b->cpr, "%s", cpr);
        snprintf(b->scope_kind, sizeof b->scope_kind, "%s", kind);
        snprintf(b->scope_value, sizeof b->scope_value, "%s", value);
        gp_rule_set_period(b->valid_from, b->valid_until, valid_from, valid_until);
        snprintf(b->reason, sizeof b->reason, "%s", reason ? reason : "");
        b->recorded_by = req->client.id;
    }
    gp_jspec_free(scope_spec);
    gp_jspec_free(spec);
    json_decref(doc);
    return true;
}

static const struct gp_rule_route block_route = {
    .kind = &gp_rule_block,
    .parse = parse_block,
    .check = check_block,
    .body_codes = true,
};

void gp_handle_blocks_post(struct gp_request *req)
{
    gp_rule_handle_record(req, &block_route);
}

void gp_handle_blocks_list(struct gp_request *req)
{
    gp_rule_handle_list(req, &gp_rule_block);
}

void gp_handle_block_get(struct gp_request *req)
{
    gp_rule_handle_get(req, &gp_rule_block);
}

void gp_handle_block_withdraw(struct gp_request *req)
{
    gp_rule_handle_withdraw(req, &gp_rule_block);
}
