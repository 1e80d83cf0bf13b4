/* Break-glass overrides: a coordinator who must see past a citizen's blocks (and missing
 * consent) now, for a stated reason, opens a time-limited override for themselves.
 *
 *   POST /v1/citizens/{cpr}/overrides   open one (coordinator only): reason_code, note,
 *                                       minutes (1-60, default 15); 201
 *   GET  /v1/citizens/{cpr}/overrides   the citizen's overrides, in force or expired, newest
 *                                       first (caseworker, coordinator, auditor)
 *
 * Opening one writes an audit row with action "override" and override_used set in the same
 * transaction, so it shows in the audit log and in the citizen's access log. An override is
 * never extended or ended early: it expires; a new need is a new override. */
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

#define OVERRIDE_DEFAULT_MINUTES 15
#define OVERRIDE_MAX_MINUTES     60

static const char *const reason_choices[] = {"acute_risk", "child_welfare", "legal_obligation",
                                             NULL};

static json_t *override_json(const struct gp_override *o)
{
    json_t *client = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)o->client_id, "name",
                               o->client_name, "role", o->client_role);
    json_object_set_new(client, "department", gp_json_string_or_null(o->client_department));
    return json_pack("{s:I, s:s, s:o, s:s, s:s, s:s, s:s, s:b}", "id", (json_int_t)o->id, "cpr",
                     o->cpr, "client", client, "reason_code", o->reason_code, "note", o->note,
                     "created_at", o->created_at, "expires_at", o->expires_at, "active", o->active);
}

/* ---- POST /v1/citizens/{cpr}/overrides ---- */

struct open_call {
    const char *cpr;
    int64_t client_id;
    const char *reason_code, *note;
    int minutes;
    struct gp_override out;
    struct gp_audit_entry audit;
    enum gp_consent_rc rc;
};

static enum gp_qs run_open(struct gp_db_conn *c, void *cls)
{
    struct open_call *oc = cls;
    oc->rc = gp_override_create(c, oc->cpr, oc->client_id, oc->reason_code, oc->note, oc->minutes,
                                &oc->out);
    if (oc->rc != GP_CONSENT_OK)
        return gp_consent_rc_qs(oc->rc);
    oc->audit.override_used = true;
    gp_audit_set_details(
        &oc->audit, json_pack("{s:s, s:I, s:s, s:i, s:s, s:s}", "op", "open", "override_id",
                              (json_int_t)oc->out.id, "reason_code", oc->out.reason_code, "minutes",
                              oc->minutes, "expires_at", oc->out.expires_at, "note", oc->out.note));
    return gp_audit_append(c, &oc->audit, NULL); /* last: it holds the chain lock */
}

void gp_handle_overrides_post(struct gp_request *req)
{
    struct gp_cpr cpr;
    if (!gp_citizen_cpr_param(req, &cpr) || !gp_citizen_purpose_check(req, false))
        return;
    char *reason_code = NULL, *note = NULL;
    int64_t minutes = 0;
    json_t *doc = NULL;
    struct gp_jspec spec[] = {
        {.field = "reason_code",
         .type = GP_JT_ENUM,
         .choices = reason_choices,
         .dest = &reason_code},
        {.field = "note", .type = GP_JT_STRING, .max_len = 500, .dest = &note},
        {.field = "minutes",
         .type = GP_JT_INT64,
         .optional = true,
         .min = 1,
         .max = OVERRIDE_MAX_MINUTES,
         .dest = &minutes},
        GP_JSPEC_END,
    };
    struct gp_field_errors fe = {0};
    if (!gp_input_body(req, spec, &doc, &fe))
        return;
    if (note && strspn(note, " \t\r\n") == strlen(note))
        gp_field_errors_add(&fe, "note", "must not be blank: say why the glass is broken");
    if (gp_field_errors_count(&fe)) {
        gp_reply_field_errors(req, GP_E_INVALID_BODY, &fe);
        goto done;
    }
    struct open_call *oc = gp_xcalloc(1, sizeof *oc);
    oc->cpr = cpr.digits;
    oc->client_id = req->client.id;
    oc->reason_code = reason_code;
    oc->note = note;
    oc->minutes = minutes ? (int)minutes : OVERRIDE_DEFAULT_MINUTES;
    gp_citizen_audit_entry(req, cpr.digits, &oc->audit);
    snprintf(oc->audit.action, sizeof oc->audit.action, "override");
    enum gp_qs qs =
        gp_db_tx(req->server->pool, "override_open", GP_DB_READ_COMMITTED, run_open, oc);
    if (qs < 0 && oc->rc == GP_CONSENT_INVALID)
        gp_reply_problem(req, GP_E_UNPROCESSABLE, "the database refused the override as invalid");
    else if (qs < 0)
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
    else
        gp_reply_json(req, 201, override_json(&oc->out));
    free(oc);
done:
    gp_jspec_free(spec);
    json_decref(doc);
}

/* ---- GET /v1/citizens/{cpr}/overrides ---- */

struct list_call {
    const char *cpr;
    struct gp_override_list list;
    struct gp_audit_entry audit;
};

static enum gp_qs run_list(struct gp_db_conn *c, void *cls)
{
    struct list_call *lc = cls;
    gp_override_list_free(&lc->list);
    enum gp_consent_rc rc = gp_overrides_for(c, lc->cpr, &lc->list);
    if (rc != GP_CONSENT_OK)
        return gp_consent_rc_qs(rc);
    snprintf(lc->audit.visibility, sizeof lc->audit.visibility, "%s", lc->list.n ? "full" : "");
    return gp_audit_append(c, &lc->audit, NULL);
}

void gp_handle_overrides_list(struct gp_request *req)
{
    struct gp_cpr cpr;
    if (!gp_citizen_cpr_param(req, &cpr) || !gp_citizen_purpose_ok(req))
        return;
    struct list_call *lc = gp_xcalloc(1, sizeof *lc);
    lc->cpr = cpr.digits;
    gp_citizen_audit_entry(req, cpr.digits, &lc->audit);
    enum gp_qs qs =
        gp_db_tx(req->server->pool, "overrides_list", GP_DB_READ_COMMITTED, run_list, lc);
    if (qs < 0) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
    } else {
        json_t *list = json_array();
        for (size_t i = 0; i < lc->list.n; i++)
            json_array_append_new(list, override_json(&lc->list.items[i]));
        gp_reply_json(req, 200, json_pack("{s:s, s:o}", "cpr", cpr.digits, "overrides", list));
    }
    gp_override_list_free(&lc->list);
    free(lc);
}
