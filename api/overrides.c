/* Break-glass overrides: a coordinator who must see past a citizen's blocks (and missing
 * consent) now, for a stated reason, opens a time-limited override for themselves.
 *
 *   POST /v1/citizens/{cpr}/overrides   open one (coordinator only): reason_code, note,
 *                                       minutes (1-60, default 15); 201
 *   GET  /v1/citizens/{cpr}/overrides   the citizen's overrides, in force or expired, newest
 *                                       first (caseworker, coordinator, auditor)
 *
 * api/rule_routes.c serves them as it serves consents and blocks; what is an override's own is
 * here: its body. Opening one writes an audit row with action "override" and override_used set
 * in the same transaction, so it shows in the audit log and in the citizen's access log. An
 * override is never extended or ended early: it expires; a new need is a new override. */
#include "api/http.h"
#include "api/input.h"
#include "api/rule_routes.h"
#include "api/sharing_handlers.h"

#include <stdio.h>
#include <string.h>

#define OVERRIDE_DEFAULT_MINUTES 15
#define OVERRIDE_MAX_MINUTES     60

static const char *const reason_choices[] = {"acute_risk", "child_welfare", "legal_obligation",
                                             NULL};

static bool parse_override(struct gp_request *req, const char *cpr, void *in,
                           struct gp_field_errors *fe)
{
    struct gp_override *o = in;
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
    if (!gp_input_body(req, spec, &doc, fe))
        return false;
    if (note && strspn(note, " \t\r\n") == strlen(note))
        gp_field_errors_add(fe, "note", "must not be blank: say why the glass is broken");
    if (!gp_field_errors_count(fe)) {
        snprintf(o->cpr, sizeof o->cpr, "%s", cpr);
        o->client_id = req->client.id;
        snprintf(o->reason_code, sizeof o->reason_code, "%s", reason_code);
        snprintf(o->note, sizeof o->note, "%s", note); /* 500 bytes fit */
        o->minutes = minutes ? (int)minutes : OVERRIDE_DEFAULT_MINUTES;
    }
    gp_jspec_free(spec);
    json_decref(doc);
    return true;
}

static const struct gp_rule_route override_route = {
    .kind = &gp_rule_override,
    .parse = parse_override,
};

void gp_handle_overrides_post(struct gp_request *req)
{
    gp_rule_handle_record(req, &override_route);
}

void gp_handle_overrides_list(struct gp_request *req)
{
    gp_rule_handle_list(req, &gp_rule_override);
}
