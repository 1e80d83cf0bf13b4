/* Blocks: a citizen's negative consent, as sundhed.dk's MinSpærring. Data of one area,
 * department or case type is not shared across departments for a period, whatever consents
 * say; only a break-glass override passes it. Recorded by caseworkers and coordinators on the
 * citizen's behalf (recorded_by is the token's client); never deleted, only withdrawn, once.
 *
 *   POST /v1/citizens/{cpr}/blocks   record one: 201 with Location /v1/blocks/{id}
 *   GET  /v1/citizens/{cpr}/blocks   the citizen's blocks, active and past, newest first
 *   GET  /v1/blocks/{id}             one block with its history
 *   POST /v1/blocks/{id}/withdraw    withdraw it (a reason is required); idempotent
 *
 * Each call writes its audit row in the same transaction: action "block" for a change, "read"
 * for a read, with the caller's purpose when one is stated. */
#include "api/citizen_common.h"
#include "api/consent_common.h"
#include "api/http.h"
#include "api/input.h"
#include "api/sharing_handlers.h"
#include "lib/core/alloc.h"
#include "lib/sharing/audit.h"
#include "lib/sharing/consent.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const kind_choices[] = {"area", "department", "case_type", NULL};

static json_t *block_json(const struct gp_block *b, const char *today)
{
    json_t *o =
        json_pack("{s:I, s:s, s:{s:s, s:s}, s:s}", "id", (json_int_t)b->id, "cpr", b->cpr, "scope",
                  "kind", b->scope_kind, "value", b->scope_value, "valid_from", b->valid_from);
    json_object_set_new(o, "valid_until", gp_json_string_or_null(b->valid_until));
    json_object_set_new(o, "reason", gp_json_string_or_null(b->reason));
    json_object_set_new(o, "recorded_by", json_integer(b->recorded_by));
    json_object_set_new(o, "created_at", json_string(b->created_at));
    json_object_set_new(
        o, "status",
        json_string(gp_consent_status(b->valid_from, b->valid_until, b->withdrawn_at, today)));
    json_object_set_new(o, "withdrawn_at", gp_json_string_or_null(b->withdrawn_at));
    json_object_set_new(o, "withdrawn_by",
                        b->withdrawn_by ? json_integer(b->withdrawn_by) : json_null());
    json_object_set_new(o, "withdraw_reason", gp_json_string_or_null(b->withdraw_reason));
    return o;
}

/* ---- POST /v1/citizens/{cpr}/blocks ---- */

struct record_call {
    struct gp_block in;
    struct gp_block out;
    struct gp_audit_entry audit;
    struct gp_field_errors unprocessable; /* filled by the transaction: 422 when not empty */
    enum gp_consent_rc rc;
};

static enum gp_qs run_record(struct gp_db_conn *c, void *cls)
{
    struct record_call *rc = cls;
    gp_field_errors_clear(&rc->unprocessable); /* a retried transaction starts over */
    if (rc->in.valid_until[0] && strcmp(rc->in.valid_until, rc->in.valid_from) < 0)
        gp_field_errors_add(&rc->unprocessable, "valid_until", "is before valid_from (%s)",
                            rc->in.valid_from);
    char area[32];
    bool known;
    rc->rc = gp_scope_code_area(c, rc->in.scope_kind, rc->in.scope_value, area, &known);
    if (rc->rc != GP_CONSENT_OK)
        return gp_consent_rc_qs(rc->rc);
    if (!known)
        gp_field_errors_add(
            &rc->unprocessable, "scope.value", "'%s' is not a known %s", rc->in.scope_value,
            strcmp(rc->in.scope_kind, "case_type") ? rc->in.scope_kind : "case type");
    if (gp_field_errors_count(&rc->unprocessable))
        return GP_QS_NO_RESULTS;
    rc->rc = gp_block_record(c, &rc->in, &rc->out);
    if (rc->rc != GP_CONSENT_OK)
        return gp_consent_rc_qs(rc->rc);
    gp_audit_set_details(&rc->audit,
                         json_pack("{s:s, s:I, s:s, s:s}", "op", "record", "block_id",
                                   (json_int_t)rc->out.id, "scope_kind", rc->out.scope_kind,
                                   "scope_value", rc->out.scope_value));
    return gp_audit_append(c, &rc->audit, NULL); /* last: it holds the chain lock */
}

void gp_handle_blocks_post(struct gp_request *req)
{
    struct gp_cpr cpr;
    if (!gp_citizen_cpr_param(req, &cpr) || !gp_citizen_purpose_check(req, false))
        return;
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
    struct gp_field_errors fe = {0};
    struct record_call *rc = NULL;
    if (!gp_input_body(req, spec, &doc, &fe))
        return;
    if (scope)
        gp_input_check_object(scope, scope_spec, "scope.", &fe);
    if (value && !gp_input_is_code(value))
        gp_field_errors_add(&fe, "scope.value", "is not a code ([a-z][a-z0-9_]*)");
    if (gp_field_errors_count(&fe)) {
        gp_reply_field_errors(req, GP_E_INVALID_BODY, &fe);
        goto done;
    }

    rc = gp_xcalloc(1, sizeof *rc);
    snprintf(rc->in.cpr, sizeof rc->in.cpr, "%s", cpr.digits);
    snprintf(rc->in.scope_kind, sizeof rc->in.scope_kind, "%s", kind);
    snprintf(rc->in.scope_value, sizeof rc->in.scope_value, "%s", value);
    if (valid_from)
        snprintf(rc->in.valid_from, sizeof rc->in.valid_from, "%s", valid_from);
    else
        gp_input_today(rc->in.valid_from);
    snprintf(rc->in.valid_until, sizeof rc->in.valid_until, "%s", valid_until ? valid_until : "");
    snprintf(rc->in.reason, sizeof rc->in.reason, "%s", reason ? reason : "");
    rc->in.recorded_by = req->client.id;
    gp_citizen_audit_entry(req, cpr.digits, &rc->audit);
    snprintf(rc->audit.action, sizeof rc->audit.action, "block");

    enum gp_qs qs =
        gp_db_tx(req->server->pool, "block_record", GP_DB_READ_COMMITTED, run_record, rc);
    if (gp_field_errors_count(&rc->unprocessable)) {
        gp_reply_field_errors(req, GP_E_UNPROCESSABLE, &rc->unprocessable);
    } else if (qs < 0 && (rc->rc == GP_CONSENT_INVALID || rc->rc == GP_CONSENT_UNKNOWN_CODE)) {
        gp_reply_problem(req, GP_E_UNPROCESSABLE, "the database refused the block as invalid");
    } else if (qs < 0) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
    } else {
        char location[64], today[11];
        snprintf(location, sizeof location, "/v1/blocks/%lld", (long long)rc->out.id);
        gp_req_add_header(req, "Location", location);
        gp_input_today(today);
        gp_reply_json(req, 201, block_json(&rc->out, today));
    }
done:
    if (rc)
        gp_field_errors_clear(&rc->unprocessable);
    free(rc);
    gp_jspec_free(scope_spec);
    gp_jspec_free(spec);
    json_decref(doc);
}

/* ---- GET /v1/citizens/{cpr}/blocks ---- */

struct list_call {
    const char *cpr;
    struct gp_block_list list;
    struct gp_audit_entry audit;
};

static enum gp_qs run_list(struct gp_db_conn *c, void *cls)
{
    struct list_call *lc = cls;
    gp_block_list_free(&lc->list);
    enum gp_consent_rc rc = gp_blocks_for(c, lc->cpr, &lc->list);
    if (rc != GP_CONSENT_OK)
        return gp_consent_rc_qs(rc);
    snprintf(lc->audit.visibility, sizeof lc->audit.visibility, "%s", lc->list.n ? "full" : "");
    return gp_audit_append(c, &lc->audit, NULL);
}

void gp_handle_blocks_list(struct gp_request *req)
{
    struct gp_cpr cpr;
    if (!gp_citizen_cpr_param(req, &cpr) || !gp_citizen_purpose_ok(req))
        return;
    struct list_call *lc = gp_xcalloc(1, sizeof *lc);
    lc->cpr = cpr.digits;
    gp_citizen_audit_entry(req, cpr.digits, &lc->audit);
    enum gp_qs qs = gp_db_tx(req->server->pool, "blocks_list", GP_DB_READ_COMMITTED, run_list, lc);
    if (qs < 0) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
    } else {
        char today[11];
        gp_input_today(today);
        json_t *list = json_array();
        for (size_t i = 0; i < lc->list.n; i++)
            json_array_append_new(list, block_json(&lc->list.items[i], today));
        gp_reply_json(req, 200, json_pack("{s:s, s:o}", "cpr", cpr.digits, "blocks", list));
    }
    gp_block_list_free(&lc->list);
    free(lc);
}

/* ---- GET /v1/blocks/{id} and POST /v1/blocks/{id}/withdraw ---- */

struct one_call {
    struct gp_request *req;
    int64_t id;
    const char *reason; /* withdraw only */
    bool withdraw;
    struct gp_block b;
    struct gp_consent_event_list history;
    struct gp_audit_entry audit;
    enum gp_consent_rc rc;
};

/* Reads (or withdraws) the block, then, now that its citizen is known, writes the audit row.
 * An id that names no block reads nothing and writes nothing. */
static enum gp_qs run_one(struct gp_db_conn *c, void *cls)
{
    struct one_call *oc = cls;
    gp_consent_event_list_free(&oc->history);
    bool changed = false;
    if (oc->withdraw) {
        oc->rc = gp_block_withdraw(c, NULL, oc->id, oc->req->client.id, oc->reason, &oc->b);
        changed = oc->rc == GP_CONSENT_OK;
        if (oc->rc == GP_CONSENT_OK || oc->rc == GP_CONSENT_ALREADY_WITHDRAWN)
            oc->rc = gp_block_get(c, oc->b.cpr, oc->id, &oc->b, &oc->history);
    } else {
        oc->rc = gp_block_get(c, NULL, oc->id, &oc->b, &oc->history);
    }
    if (oc->rc != GP_CONSENT_OK)
        return gp_consent_rc_qs(oc->rc);
    gp_citizen_audit_entry(oc->req, oc->b.cpr, &oc->audit);
    if (oc->withdraw) {
        /* A second withdrawal changes nothing, but the attempt is recorded all the same. */
        snprintf(oc->audit.action, sizeof oc->audit.action, "block");
        gp_audit_set_details(&oc->audit, json_pack("{s:s, s:I, s:b}", "op", "withdraw", "block_id",
                                                   (json_int_t)oc->id, "changed", changed));
    } else {
        snprintf(oc->audit.visibility, sizeof oc->audit.visibility, "full");
    }
    return gp_audit_append(c, &oc->audit, NULL);
}

static void answer_one(struct gp_request *req, struct one_call *oc, enum gp_qs qs)
{
    if (qs == GP_QS_NO_RESULTS || oc->rc == GP_CONSENT_NOT_FOUND) {
        gp_reply_problem(req, GP_E_NOT_FOUND, "no block with id %lld", (long long)oc->id);
    } else if (qs < 0) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
    } else {
        char today[11];
        gp_input_today(today);
        json_t *body = block_json(&oc->b, today);
        json_object_set_new(body, "history", gp_rule_history_json(&oc->history));
        gp_reply_json(req, 200, body);
    }
}

void gp_handle_block_get(struct gp_request *req)
{
    int64_t id;
    if (!gp_input_id_param(req, "id", &id) || !gp_citizen_purpose_ok(req))
        return;
    struct one_call *oc = gp_xcalloc(1, sizeof *oc);
    oc->req = req;
    oc->id = id;
    enum gp_qs qs = gp_db_tx(req->server->pool, "block_get", GP_DB_READ_COMMITTED, run_one, oc);
    answer_one(req, oc, qs);
    gp_consent_event_list_free(&oc->history);
    free(oc);
}

void gp_handle_block_withdraw(struct gp_request *req)
{
    int64_t id;
    char *reason = NULL;
    if (!gp_input_id_param(req, "id", &id) || !gp_citizen_purpose_check(req, false) ||
        !gp_withdraw_reason_parse(req, &reason))
        return;
    struct one_call *oc = gp_xcalloc(1, sizeof *oc);
    oc->req = req;
    oc->id = id;
    oc->reason = reason;
    oc->withdraw = true;
    enum gp_qs qs =
        gp_db_tx(req->server->pool, "block_withdraw", GP_DB_READ_COMMITTED, run_one, oc);
    answer_one(req, oc, qs);
    gp_consent_event_list_free(&oc->history);
    free(oc);
    free(reason);
}
