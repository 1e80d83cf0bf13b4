/* The routes of every kind of sharing rule: record, list, get, withdraw (api/rule_routes.h). */
#include "api/rule_routes.h"

#include "api/citizen_common.h"
#include "api/consent_common.h"
#include "api/http.h"
#include "lib/core/alloc.h"
#include "lib/sharing/audit.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gp_rule_set_period(char from[11], char until[11], const char *valid_from,
                        const char *valid_until)
{
    if (valid_from)
        snprintf(from, 11, "%s", valid_from);
    else
        gp_input_today(from);
    snprintf(until, 11, "%s", valid_until ? valid_until : "");
}

void gp_rule_check_period(const char *valid_from, const char *valid_until,
                          struct gp_field_errors *fe)
{
    if (valid_until[0] && strcmp(valid_until, valid_from) < 0)
        gp_field_errors_add(fe, "valid_until", "is before valid_from (%s)", valid_from);
}

/* The details of a change's audit row, as far as every kind has them: {op, "<name>_id": the
 * row's public id}. */
static json_t *change_details(const struct gp_rule_kind *k, const char *op, const void *row)
{
    char key[48];
    snprintf(key, sizeof key, "%s_id", k->name);
    return json_pack("{s:s, s:s}", "op", op, key, gp_rule_public_id(k, row));
}

/* Whether the caller sees what row says. */
static bool sees(struct gp_request *req, const struct gp_rule_kind *k, const void *row)
{
    struct gp_rule_caller caller = gp_citizen_rule_caller(req);
    return !k->may_see || k->may_see(&caller, row);
}

/* The row as this caller may see it: in full, withheld, or (NULL) not at all. */
static json_t *row_json(struct gp_request *req, const struct gp_rule_kind *k, const void *row,
                        const char *today)
{
    if (sees(req, k, row))
        return k->to_json(row, today);
    return k->to_json_withheld ? k->to_json_withheld(row, today) : NULL;
}

/* The 403 of an owner's rule: its name as "rule", and its sentence. */
static void reply_rule(struct gp_request *req, const char *rule, const char *text)
{
    gp_reply_problem_extra(req, GP_E_FORBIDDEN, json_pack("{s:s}", "rule", rule), "%s", text);
}

/* Makes e the audit row of a change to row: the kind's action, the row's purpose where the
 * kind has one, the override flag, and details (taken). */
static void audit_change(struct gp_audit_entry *e, const struct gp_rule_kind *k, const void *row,
                         json_t *details)
{
    snprintf(e->action, sizeof e->action, "%s", k->audit_action);
    if (k->audit_purpose)
        gp_audit_set_purpose(e, k->audit_purpose(row));
    if (k->override_used)
        e->override_used = true;
    gp_audit_set_details(e, details);
}

/* Answers row in full: only ever for a caller who may see it (or a kind that hides nothing). */
static void reply_row(struct gp_request *req, const struct gp_rule_kind *k, int status,
                      const void *row, const struct gp_consent_event_list *history)
{
    char today[11];
    gp_input_today(today);
    json_t *body = k->to_json(row, today);
    if (history)
        json_object_set_new(body, "history", gp_rule_history_json(history));
    gp_reply_json(req, status, body);
}

/* ---- POST /v1/citizens/{cpr}/<plural> ---- */

struct record_call {
    const struct gp_rule_route *route;
    const struct gp_request *req;
    void *in, *out; /* structs of the kind */
    struct gp_audit_entry audit;
    struct gp_field_errors unprocessable; /* filled by the transaction: 422 when not empty */
    enum gp_consent_rc rc;
};

/* Checks what the kind checks against the database, then records the row and its audit row.
 * Nothing is written when anything is wrong. */
static enum gp_qs run_record(struct gp_db_conn *c, void *cls)
{
    struct record_call *rc = cls;
    const struct gp_rule_kind *k = rc->route->kind;
    gp_field_errors_clear(&rc->unprocessable); /* a retried transaction starts over */
    if (rc->route->check) {
        rc->rc = rc->route->check(c, rc->req, rc->in, &rc->unprocessable);
        if (rc->rc != GP_CONSENT_OK)
            return gp_consent_rc_qs(rc->rc);
        if (gp_field_errors_count(&rc->unprocessable))
            return GP_QS_NO_RESULTS;
    }
    rc->rc = gp_rule_record(c, k, rc->in, rc->out);
    if (rc->rc != GP_CONSENT_OK)
        return gp_consent_rc_qs(rc->rc);
    json_t *details = change_details(k, k->op_record, rc->out);
    if (k->record_details)
        k->record_details(rc->out, details);
    audit_change(&rc->audit, k, rc->out, details);
    return gp_audit_append(c, &rc->audit, NULL); /* last: sent with the COMMIT */
}

static void answer_record(struct gp_request *req, struct record_call *rc, enum gp_qs qs)
{
    const struct gp_rule_kind *k = rc->route->kind;
    bool refused = rc->rc == GP_CONSENT_INVALID ||
                   (rc->rc == GP_CONSENT_UNKNOWN_CODE && rc->route->body_codes);
    if (gp_field_errors_count(&rc->unprocessable)) {
        gp_reply_field_errors(req, GP_E_UNPROCESSABLE, &rc->unprocessable);
    } else if (qs < 0 && refused) {
        gp_reply_problem(req, GP_E_UNPROCESSABLE, "the database refused the %s as invalid",
                         k->name);
    } else if (qs < 0) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
    } else {
        if (k->location_prefix) {
            char location[96];
            snprintf(location, sizeof location, "%s%s", k->location_prefix,
                     gp_rule_public_id(k, rc->out));
            gp_req_add_header(req, "Location", location);
        }
        char today[11];
        gp_input_today(today);
        /* Whoever recorded it knows what it says. */
        json_t *body = row_json(req, k, rc->out, today);
        gp_reply_json(req, 201, body ? body : k->to_json(rc->out, today));
    }
}

void gp_rule_handle_record(struct gp_request *req, const struct gp_rule_route *route)
{
    const struct gp_rule_kind *k = route->kind;
    struct gp_cpr cpr;
    if (!gp_citizen_cpr_param(req, &cpr) || !gp_citizen_purpose_check(req, false))
        return;
    struct record_call *rc = gp_xcalloc(1, sizeof *rc);
    rc->route = route;
    rc->req = req;
    rc->in = gp_xcalloc(1, k->size);
    rc->out = gp_xcalloc(1, k->size);
    struct gp_field_errors fe = {0}; /* the body's: 400 when not empty */
    bool parsed = route->parse(req, cpr.digits, rc->in, &fe);
    if (parsed && gp_field_errors_count(&fe)) {
        gp_reply_field_errors(req, GP_E_INVALID_BODY, &fe);
    } else if (parsed) {
        gp_citizen_audit_entry(req, cpr.digits, &rc->audit);
        char tx[48];
        snprintf(tx, sizeof tx, "%s_%s", k->name, k->op_record);
        enum gp_qs qs = gp_db_tx(req->server->pool, tx, GP_DB_READ_COMMITTED, run_record, rc);
        answer_record(req, rc, qs);
    }
    gp_field_errors_clear(&fe);
    gp_field_errors_clear(&rc->unprocessable);
    free(rc->in);
    free(rc->out);
    free(rc);
}

/* ---- GET /v1/citizens/{cpr}/<plural> ---- */

struct list_call {
    const struct gp_rule_kind *kind;
    struct gp_request *req;
    const char *cpr;
    void *items; /* n structs of the kind */
    size_t n;
    struct gp_audit_entry audit;
};

/* The visibility levels a list answer shows: full for what the caller sees, existence for what
 * it sees withheld or only as "withheld". */
static unsigned list_levels(struct gp_request *req, const struct gp_rule_kind *k, const void *items,
                            size_t n)
{
    unsigned levels = 0;
    for (size_t i = 0; i < n; i++)
        levels |= 1u << (sees(req, k, (const char *)items + i * k->size) ? GP_VIS_FULL
                                                                         : GP_VIS_EXISTENCE);
    return levels;
}

static enum gp_qs run_list(struct gp_db_conn *c, void *cls)
{
    struct list_call *lc = cls;
    free(lc->items); /* a retried transaction starts over */
    enum gp_consent_rc rc = gp_rule_list(c, lc->kind, lc->cpr, &lc->items, &lc->n);
    if (rc != GP_CONSENT_OK)
        return gp_consent_rc_qs(rc);
    gp_audit_set_visibility(&lc->audit, list_levels(lc->req, lc->kind, lc->items, lc->n));
    return gp_audit_append(c, &lc->audit, NULL);
}

void gp_rule_handle_list(struct gp_request *req, const struct gp_rule_kind *kind)
{
    struct gp_cpr cpr;
    if (!gp_citizen_cpr_param(req, &cpr) || !gp_citizen_purpose_ok(req))
        return;
    struct list_call *lc = gp_xcalloc(1, sizeof *lc);
    lc->kind = kind;
    lc->req = req;
    lc->cpr = cpr.digits;
    gp_citizen_audit_entry(req, cpr.digits, &lc->audit);
    char tx[48];
    snprintf(tx, sizeof tx, "%s_list", kind->plural);
    enum gp_qs qs = gp_db_tx(req->server->pool, tx, GP_DB_READ_COMMITTED, run_list, lc);
    if (qs < 0) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
    } else {
        char today[11];
        gp_input_today(today);
        json_t *list = json_array();
        bool withheld = false;
        for (size_t i = 0; i < lc->n; i++) {
            const void *row = (char *)lc->items + i * kind->size;
            json_t *o = row_json(req, kind, row, today);
            if (o) {
                json_array_append_new(list, o);
                continue;
            }
            /* Left out: the list says only whether something is withheld now. */
            o = kind->to_json(row, today);
            withheld |= !strcmp(json_string_value(json_object_get(o, "status")), "active");
            json_decref(o);
        }
        json_t *body = json_pack("{s:s, s:o}", "cpr", cpr.digits, kind->plural, list);
        if (kind->may_see && !kind->to_json_withheld)
            json_object_set_new(body, "withheld", json_boolean(withheld));
        gp_reply_json(req, 200, body);
    }
    free(lc->items);
    free(lc);
}

/* ---- GET <prefix>{id} and POST <prefix>{id}/withdraw ---- */

/* Why a call on one row was refused, if it was. */
enum refusal { R_NONE, R_NOT_OWN, R_SEE, R_WITHDRAW };

struct one_call {
    const struct gp_rule_kind *kind;
    struct gp_request *req;
    const char *public_id;
    const char *reason; /* withdraw only */
    bool withdraw;
    void *row; /* a struct of the kind */
    struct gp_consent_event_list history;
    struct gp_audit_entry audit;
    enum gp_consent_rc rc;
    enum refusal refused;
};

/* Finds the row by its public id, asks its owners' rules, and only then reads its history (or
 * withdraws it) and writes the audit row. An id that names no row, a citizen's call on someone
 * else's row and a read of what the caller may not see read nothing and write nothing; a
 * refused withdrawal changes nothing but is audited (details "refused": true), so that it
 * shows in the citizen's access log. */
static enum gp_qs run_one(struct gp_db_conn *c, void *cls)
{
    struct one_call *oc = cls;
    const struct gp_rule_kind *k = oc->kind;
    gp_consent_event_list_free(&oc->history);
    oc->refused = R_NONE;
    oc->rc = gp_rule_find(c, k, oc->public_id, oc->row);
    if (oc->rc != GP_CONSENT_OK)
        return gp_consent_rc_qs(oc->rc);
    const char *cpr = gp_rule_cpr(k, oc->row);
    int64_t id = gp_rule_id(k, oc->row);
    struct gp_rule_caller caller = gp_citizen_rule_caller(oc->req);
    if (!gp_citizen_may_act_for(oc->req, cpr)) {
        oc->refused = R_NOT_OWN;
        return GP_QS_ONE_RESULT;
    }
    gp_citizen_audit_entry(oc->req, cpr, &oc->audit);
    if (!oc->withdraw) {
        if (!sees(oc->req, k, oc->row)) {
            oc->refused = R_SEE;
            return GP_QS_ONE_RESULT;
        }
        oc->rc = gp_rule_get(c, k, cpr, id, oc->row, &oc->history);
        if (oc->rc != GP_CONSENT_OK)
            return gp_consent_rc_qs(oc->rc);
        snprintf(oc->audit.visibility, sizeof oc->audit.visibility, "full");
        return gp_audit_append(c, &oc->audit, NULL);
    }
    json_t *details = change_details(k, k->op_withdraw, oc->row);
    if (k->may_withdraw && !k->may_withdraw(&caller, oc->row)) {
        oc->refused = R_WITHDRAW;
        json_object_set_new(details, "changed", json_false());
        json_object_set_new(details, "refused", json_true());
        audit_change(&oc->audit, k, oc->row, details);
        return gp_audit_append(c, &oc->audit, NULL);
    }
    oc->rc = gp_rule_withdraw(c, k, cpr, id, oc->req->client.id, oc->reason, oc->row);
    bool changed = oc->rc == GP_CONSENT_OK;
    if (oc->rc == GP_CONSENT_OK || oc->rc == GP_CONSENT_ALREADY_WITHDRAWN)
        oc->rc = gp_rule_get(c, k, cpr, id, oc->row, &oc->history);
    if (oc->rc != GP_CONSENT_OK) {
        json_decref(details);
        return gp_consent_rc_qs(oc->rc);
    }
    /* A second withdrawal changes nothing, but the attempt is recorded all the same. */
    json_object_set_new(details, "changed", json_boolean(changed));
    audit_change(&oc->audit, k, oc->row, details);
    return gp_audit_append(c, &oc->audit, NULL);
}

/* Reads row public_id of kind k, or withdraws it for reason, and answers. */
static void run_one_call(struct gp_request *req, const struct gp_rule_kind *k,
                         const char *public_id, bool withdraw, const char *reason)
{
    struct one_call *oc = gp_xcalloc(1, sizeof *oc);
    oc->kind = k;
    oc->req = req;
    oc->public_id = public_id;
    oc->reason = reason;
    oc->withdraw = withdraw;
    oc->row = gp_xcalloc(1, k->size);
    char tx[48];
    snprintf(tx, sizeof tx, "%s_%s", k->name, oc->withdraw ? k->op_withdraw : "get");
    enum gp_qs qs = gp_db_tx(req->server->pool, tx, GP_DB_READ_COMMITTED, run_one, oc);
    if (qs == GP_QS_NO_RESULTS || oc->rc == GP_CONSENT_NOT_FOUND)
        gp_reply_problem(req, GP_E_NOT_FOUND, "no %s with id %s", k->name, public_id);
    else if (qs < 0)
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
    else if (oc->refused == R_NOT_OWN)
        gp_citizen_reply_not_own(req);
    else if (oc->refused == R_SEE)
        reply_rule(req, k->see_rule, k->see_rule_text);
    else if (oc->refused == R_WITHDRAW)
        reply_rule(req, k->withdraw_rule, k->withdraw_rule_text);
    else
        reply_row(req, k, 200, oc->row, &oc->history);
    gp_consent_event_list_free(&oc->history);
    free(oc->row);
    free(oc);
}

/* {id}: a public id, as the Location of the recording gave it. */
static bool public_id_param(struct gp_request *req, const char **id)
{
    *id = gp_req_param(req, "id");
    if (gp_rule_public_id_valid(*id))
        return true;
    gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, "id",
                       "must be a UUID, as the Location of the recording gave it");
    return false;
}

void gp_rule_handle_get(struct gp_request *req, const struct gp_rule_kind *kind)
{
    const char *id;
    if (!public_id_param(req, &id) || !gp_citizen_purpose_ok(req))
        return;
    run_one_call(req, kind, id, false, NULL);
}

/* Parses a withdrawal's body, {"reason": "..."}: the reason is required, at most 255 bytes
 * and not only blanks. On success *reason is malloc'd (free()); otherwise the request has been
 * answered 400 naming the field. */
static bool withdraw_reason_parse(struct gp_request *req, char **reason)
{
    json_t *doc = NULL;
    struct gp_jspec spec[] = {
        {.field = "reason", .type = GP_JT_STRING, .max_len = 255, .dest = reason},
        GP_JSPEC_END,
    };
    struct gp_field_errors fe = {0};
    if (!gp_input_body(req, spec, &doc, &fe))
        return false;
    json_decref(doc);
    if (*reason && strspn(*reason, " \t\r\n") == strlen(*reason))
        gp_field_errors_add(&fe, "reason", "must not be blank");
    if (gp_field_errors_count(&fe)) {
        gp_jspec_free(spec);
        gp_reply_field_errors(req, GP_E_INVALID_BODY, &fe);
        return false;
    }
    return true;
}

void gp_rule_handle_withdraw(struct gp_request *req, const struct gp_rule_kind *kind)
{
    const char *id;
    char *reason = NULL;
    if (!public_id_param(req, &id) || !gp_citizen_purpose_check(req, false) ||
        !withdraw_reason_parse(req, &reason))
        return;
    run_one_call(req, kind, id, true, reason);
    free(reason);
}
