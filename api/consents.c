/* Consents: a citizen's consent to share data across departments for one purpose, scoped to
 * areas (and optionally departments), for a period. Recorded by caseworkers and coordinators
 * (recorded_by is the token's client); never deleted or edited, only withdrawn, once.
 *
 *   POST /v1/citizens/{cpr}/consents   record one: 201 with Location /v1/consents/{id}
 *   GET  /v1/citizens/{cpr}/consents   the citizen's consents, active and past, newest first
 *   GET  /v1/consents/{id}             one consent with its history
 *   POST /v1/consents/{id}/withdraw    withdraw it (a reason is required); idempotent
 *
 * Each call writes its audit row in the same transaction as what it records or reads: action
 * "consent" for a change (with the consent's purpose), "read" for a read (with the caller's).
 * A consent for a citizen no source knows yet is allowed: consent may come first. */
#include "api/citizen_common.h"
#include "api/consent_common.h"
#include "api/sharing_handlers.h"
#include "api/http.h"
#include "api/input.h"
#include "lib/core/alloc.h"
#include "lib/sharing/audit.h"
#include "lib/sharing/consent.h"
#include "lib/core/purpose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const char *const form_choices[] = {"written", "oral", "digital", NULL};

static json_t *consent_json(const struct gp_consent *k, const char *today)
{
    json_t *areas = json_array(), *depts = json_array();
    for (size_t i = 0; i < k->n_areas; i++)
        json_array_append_new(areas, json_string(k->areas[i]));
    for (size_t i = 0; i < k->n_departments; i++)
        json_array_append_new(depts, json_string(k->departments[i]));
    json_t *o = json_pack("{s:I, s:s, s:s, s:{s:o, s:o}, s:s, s:s}", "id", (json_int_t)k->id, "cpr",
                          k->cpr, "purpose", k->purpose, "scope", "areas", areas, "departments",
                          depts, "form", k->form, "valid_from", k->valid_from);
    json_object_set_new(o, "valid_until", gp_json_string_or_null(k->valid_until));
    json_object_set_new(o, "evidence_ref", gp_json_string_or_null(k->evidence_ref));
    json_object_set_new(o, "recorded_by", json_integer(k->recorded_by));
    json_object_set_new(o, "created_at", json_string(k->created_at));
    json_object_set_new(
        o, "status",
        json_string(gp_consent_status(k->valid_from, k->valid_until, k->withdrawn_at, today)));
    json_object_set_new(o, "withdrawn_at", gp_json_string_or_null(k->withdrawn_at));
    json_object_set_new(o, "withdrawn_by",
                        k->withdrawn_by ? json_integer(k->withdrawn_by) : json_null());
    json_object_set_new(o, "withdraw_reason", gp_json_string_or_null(k->withdraw_reason));
    return o;
}

/* ---- POST /v1/citizens/{cpr}/consents ---- */

struct record_call {
    struct gp_consent in;
    struct gp_consent out;
    struct gp_audit_entry audit;
    struct gp_field_errors unprocessable; /* filled by the transaction: 422 when not empty */
    enum gp_consent_rc rc;
};

static bool contains(const char (*list)[32], size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(list[i], s))
            return true;
    }
    return false;
}

/* Checks the scope's codes against the database, then records the consent and its audit row.
 * Nothing is written when anything is unknown. */
static enum gp_qs run_record(struct gp_db_conn *c, void *cls)
{
    struct record_call *rc = cls;
    gp_field_errors_clear(&rc->unprocessable); /* a retried transaction starts over */
    if (rc->in.valid_until[0] && strcmp(rc->in.valid_until, rc->in.valid_from) < 0)
        gp_field_errors_add(&rc->unprocessable, "valid_until", "is before valid_from (%s)",
                            rc->in.valid_from);
    char area[32];
    bool known;
    for (size_t i = 0; i < rc->in.n_areas; i++) {
        rc->rc = gp_scope_code_area(c, "area", rc->in.areas[i], area, &known);
        if (rc->rc != GP_CONSENT_OK)
            return gp_consent_rc_qs(rc->rc);
        if (!known)
            gp_field_errors_add(&rc->unprocessable, "scope.areas", "'%s' is not a known area",
                                rc->in.areas[i]);
    }
    for (size_t i = 0; i < rc->in.n_departments; i++) {
        rc->rc = gp_scope_code_area(c, "department", rc->in.departments[i], area, &known);
        if (rc->rc != GP_CONSENT_OK)
            return gp_consent_rc_qs(rc->rc);
        if (!known)
            gp_field_errors_add(&rc->unprocessable, "scope.departments",
                                "'%s' is not a known department", rc->in.departments[i]);
        else if (!contains(rc->in.areas, rc->in.n_areas, area))
            gp_field_errors_add(&rc->unprocessable, "scope.departments",
                                "'%s' belongs to the area '%s', which scope.areas does not name",
                                rc->in.departments[i], area);
    }
    if (gp_field_errors_count(&rc->unprocessable))
        return GP_QS_NO_RESULTS;
    rc->rc = gp_consent_record(c, &rc->in, &rc->out);
    if (rc->rc != GP_CONSENT_OK)
        return gp_consent_rc_qs(rc->rc);
    gp_audit_set_purpose(&rc->audit, rc->out.purpose);
    gp_audit_set_details(
        &rc->audit, json_pack("{s:s, s:I}", "op", "record", "consent_id", (json_int_t)rc->out.id));
    return gp_audit_append(c, &rc->audit, NULL); /* last: it holds the chain lock */
}

/* Checks an array of codes from the body (already known to be non-empty strings): the shape
 * of each code, no duplicates, and the length the stored struct allows. */
static size_t copy_codes(const json_t *arr, const char *field, const char *what, char *dst,
                         size_t width, struct gp_field_errors *fe)
{
    size_t i, n = 0;
    const json_t *v;
    json_array_foreach(arr, i, v)
    {
        const char *s = json_string_value(v);
        if (!gp_input_is_code(s) || strlen(s) >= width) {
            gp_field_errors_add(fe, field, "element %zu is not %s code", i, what);
            continue;
        }
        bool dup = false;
        for (size_t k = 0; k < n; k++)
            dup |= !strcmp(dst + k * width, s);
        if (dup) {
            gp_field_errors_add(fe, field, "names '%s' twice", s);
            continue;
        }
        snprintf(dst + n * width, width, "%s", s);
        n++;
    }
    return n;
}

void gp_handle_consents_post(struct gp_request *req)
{
    struct gp_cpr cpr;
    if (!gp_citizen_cpr_param(req, &cpr) || !gp_citizen_purpose_check(req, false))
        return;
    char *purpose = NULL, *form = NULL, *valid_from = NULL, *valid_until = NULL, *evidence = NULL;
    json_t *scope = NULL, *areas = NULL, *departments = NULL, *doc = NULL;
    struct gp_jspec spec[] = {
        {.field = "purpose", .type = GP_JT_ENUM, .choices = gp_purpose_codes, .dest = &purpose},
        {.field = "scope", .type = GP_JT_OBJECT, .dest = &scope},
        {.field = "form", .type = GP_JT_ENUM, .choices = form_choices, .dest = &form},
        {.field = "valid_from", .type = GP_JT_DATE, .optional = true, .dest = &valid_from},
        {.field = "valid_until", .type = GP_JT_DATE, .optional = true, .dest = &valid_until},
        {.field = "evidence_ref",
         .type = GP_JT_STRING,
         .optional = true,
         .max_len = 255,
         .dest = &evidence},
        GP_JSPEC_END,
    };
    struct gp_jspec scope_spec[] = {
        {.field = "areas",
         .type = GP_JT_STRING_ARRAY,
         .max_len = GP_CONSENT_MAX_AREAS,
         .dest = &areas},
        {.field = "departments",
         .type = GP_JT_STRING_ARRAY,
         .optional = true,
         .max_len = GP_CONSENT_MAX_DEPARTMENTS,
         .dest = &departments},
        GP_JSPEC_END,
    };
    struct gp_field_errors fe = {0};
    struct record_call *rc = NULL;
    if (!gp_input_body(req, spec, &doc, &fe))
        return;
    rc = gp_xcalloc(1, sizeof *rc);
    if (scope)
        gp_input_check_object(scope, scope_spec, "scope.", &fe);
    if (areas) {
        if (json_array_size(areas) == 0)
            gp_field_errors_add(&fe, "scope.areas", "must name at least one area");
        rc->in.n_areas = copy_codes(areas, "scope.areas", "an area", &rc->in.areas[0][0],
                                    sizeof rc->in.areas[0], &fe);
    }
    if (departments)
        rc->in.n_departments =
            copy_codes(departments, "scope.departments", "a department", &rc->in.departments[0][0],
                       sizeof rc->in.departments[0], &fe);
    if (gp_field_errors_count(&fe)) {
        gp_reply_field_errors(req, GP_E_INVALID_BODY, &fe);
        goto done;
    }

    snprintf(rc->in.cpr, sizeof rc->in.cpr, "%s", cpr.digits);
    snprintf(rc->in.purpose, sizeof rc->in.purpose, "%s", purpose);
    snprintf(rc->in.form, sizeof rc->in.form, "%s", form);
    if (valid_from)
        snprintf(rc->in.valid_from, sizeof rc->in.valid_from, "%s", valid_from);
    else
        gp_input_today(rc->in.valid_from);
    snprintf(rc->in.valid_until, sizeof rc->in.valid_until, "%s", valid_until ? valid_until : "");
    snprintf(rc->in.evidence_ref, sizeof rc->in.evidence_ref, "%s", evidence ? evidence : "");
    rc->in.recorded_by = req->client.id;
    gp_citizen_audit_entry(req, cpr.digits, &rc->audit);
    snprintf(rc->audit.action, sizeof rc->audit.action, "consent");

    enum gp_qs qs =
        gp_db_tx(req->server->pool, "consent_record", GP_DB_READ_COMMITTED, run_record, rc);
    if (gp_field_errors_count(&rc->unprocessable)) {
        gp_reply_field_errors(req, GP_E_UNPROCESSABLE, &rc->unprocessable);
    } else if (qs < 0 && (rc->rc == GP_CONSENT_INVALID || rc->rc == GP_CONSENT_UNKNOWN_CODE)) {
        gp_reply_problem(req, GP_E_UNPROCESSABLE, "the database refused the consent as invalid");
    } else if (qs < 0) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
    } else {
        char location[64], today[11];
        snprintf(location, sizeof location, "/v1/consents/%lld", (long long)rc->out.id);
        gp_req_add_header(req, "Location", location);
        gp_input_today(today);
        gp_reply_json(req, 201, consent_json(&rc->out, today));
    }
done:
    if (rc)
        gp_field_errors_clear(&rc->unprocessable);
    free(rc);
    gp_jspec_free(scope_spec);
    gp_jspec_free(spec);
    json_decref(doc);
}

/* ---- GET /v1/citizens/{cpr}/consents ---- */

struct list_call {
    const char *cpr;
    struct gp_consent_list list;
    struct gp_audit_entry audit;
};

static enum gp_qs run_list(struct gp_db_conn *c, void *cls)
{
    struct list_call *lc = cls;
    gp_consent_list_free(&lc->list);
    enum gp_consent_rc rc = gp_consents_for(c, lc->cpr, &lc->list);
    if (rc != GP_CONSENT_OK)
        return gp_consent_rc_qs(rc);
    snprintf(lc->audit.visibility, sizeof lc->audit.visibility, "%s", lc->list.n ? "full" : "");
    return gp_audit_append(c, &lc->audit, NULL);
}

void gp_handle_consents_list(struct gp_request *req)
{
    struct gp_cpr cpr;
    if (!gp_citizen_cpr_param(req, &cpr) || !gp_citizen_purpose_ok(req))
        return;
    struct list_call *lc = gp_xcalloc(1, sizeof *lc);
    lc->cpr = cpr.digits;
    gp_citizen_audit_entry(req, cpr.digits, &lc->audit);
    enum gp_qs qs =
        gp_db_tx(req->server->pool, "consents_list", GP_DB_READ_COMMITTED, run_list, lc);
    if (qs < 0) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
    } else {
        char today[11];
        gp_input_today(today);
        json_t *list = json_array();
        for (size_t i = 0; i < lc->list.n; i++)
            json_array_append_new(list, consent_json(&lc->list.items[i], today));
        gp_reply_json(req, 200, json_pack("{s:s, s:o}", "cpr", cpr.digits, "consents", list));
    }
    gp_consent_list_free(&lc->list);
    free(lc);
}

/* ---- GET /v1/consents/{id} and POST /v1/consents/{id}/withdraw ---- */

struct one_call {
    struct gp_request *req;
    int64_t id;
    const char *reason; /* withdraw only */
    bool withdraw;
    struct gp_consent k;
    struct gp_consent_event_list history;
    struct gp_audit_entry audit;
    enum gp_consent_rc rc;
};

/* Reads (or withdraws) the consent, then, now that its citizen is known, writes the audit row.
 * An id that names no consent reads nothing and writes nothing. */
static enum gp_qs run_one(struct gp_db_conn *c, void *cls)
{
    struct one_call *oc = cls;
    gp_consent_event_list_free(&oc->history);
    bool changed = false;
    if (oc->withdraw) {
        oc->rc = gp_consent_withdraw(c, NULL, oc->id, oc->req->client.id, oc->reason, &oc->k);
        changed = oc->rc == GP_CONSENT_OK;
        if (oc->rc == GP_CONSENT_OK || oc->rc == GP_CONSENT_ALREADY_WITHDRAWN)
            oc->rc = gp_consent_get(c, oc->k.cpr, oc->id, &oc->k, &oc->history);
    } else {
        oc->rc = gp_consent_get(c, NULL, oc->id, &oc->k, &oc->history);
    }
    if (oc->rc != GP_CONSENT_OK)
        return gp_consent_rc_qs(oc->rc);
    gp_citizen_audit_entry(oc->req, oc->k.cpr, &oc->audit);
    if (oc->withdraw) {
        /* A second withdrawal changes nothing, but the attempt is recorded all the same. */
        snprintf(oc->audit.action, sizeof oc->audit.action, "consent");
        gp_audit_set_purpose(&oc->audit, oc->k.purpose);
        gp_audit_set_details(&oc->audit,
                             json_pack("{s:s, s:I, s:b}", "op", "withdraw", "consent_id",
                                       (json_int_t)oc->id, "changed", changed));
    } else {
        snprintf(oc->audit.visibility, sizeof oc->audit.visibility, "full");
    }
    return gp_audit_append(c, &oc->audit, NULL);
}

static void answer_one(struct gp_request *req, struct one_call *oc, enum gp_qs qs)
{
    if (qs == GP_QS_NO_RESULTS || oc->rc == GP_CONSENT_NOT_FOUND) {
        gp_reply_problem(req, GP_E_NOT_FOUND, "no consent with id %lld", (long long)oc->id);
    } else if (qs < 0) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
    } else {
        char today[11];
        gp_input_today(today);
        json_t *body = consent_json(&oc->k, today);
        json_object_set_new(body, "history", gp_rule_history_json(&oc->history));
        gp_reply_json(req, 200, body);
    }
}

void gp_handle_consent_get(struct gp_request *req)
{
    int64_t id;
    if (!gp_input_id_param(req, "id", &id) || !gp_citizen_purpose_ok(req))
        return;
    struct one_call *oc = gp_xcalloc(1, sizeof *oc);
    oc->req = req;
    oc->id = id;
    enum gp_qs qs = gp_db_tx(req->server->pool, "consent_get", GP_DB_READ_COMMITTED, run_one, oc);
    answer_one(req, oc, qs);
    gp_consent_event_list_free(&oc->history);
    free(oc);
}

bool gp_withdraw_reason_parse(struct gp_request *req, char **reason)
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

void gp_handle_consent_withdraw(struct gp_request *req)
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
        gp_db_tx(req->server->pool, "consent_withdraw", GP_DB_READ_COMMITTED, run_one, oc);
    answer_one(req, oc, qs);
    gp_consent_event_list_free(&oc->history);
    free(oc);
    free(reason);
}
