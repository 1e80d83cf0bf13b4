/* Parameter handling shared by the /v1/citizens/{cpr}... routes. */
#include "api/citizen_common.h"

#include "api/http.h"
#include "lib/sharing/audit.h"
#include "lib/core/purpose.h"

#include <stdio.h>

#include <string.h>
#include <time.h>

/* Parses the {cpr} path parameter, answering 400 when it is not a valid CPR. */
bool gp_citizen_cpr_param(struct gp_request *req, struct gp_cpr *cpr)
{
    const char *s = gp_req_param(req, "cpr");
    enum gp_cpr_error e = gp_cpr_parse(s, strlen(s), cpr);
    if (e == GP_CPR_OK) {
        time_t now = time(NULL);
        struct tm tm;
        gmtime_r(&now, &tm);
        char today[11];
        strftime(today, sizeof today, "%Y-%m-%d", &tm);
        char birth_check[11];
        gp_cpr_birth_date(cpr, birth_check);
        if (strcmp(birth_check, today) > 0) {
            /* The date exists, but nobody born then has a CPR number yet. */
            gp_reply_bad_field(req, GP_E_INVALID_CPR, "cpr", "has a birth date in the future");
            return false;
        }
        if (!gp_citizen_may_act_for(req, cpr->digits)) {
            gp_citizen_reply_not_own(req);
            return false;
        }
        return true;
    }
    json_t *errors =
        json_pack("{s:[{s:s, s:s}]}", "errors", "field", "cpr", "reason", gp_cpr_error_text(e));
    gp_reply_problem_extra(req, GP_E_INVALID_CPR, errors, "invalid CPR number: %s",
                           gp_cpr_error_text(e));
    return false;
}

bool gp_citizen_may_act_for(const struct gp_request *req, const char *cpr)
{
    return req->client.role != GP_ROLE_CITIZEN || !strcmp(req->client.cpr, cpr ? cpr : "");
}

void gp_citizen_reply_not_own(struct gp_request *req)
{
    gp_reply_problem_extra(req, GP_E_FORBIDDEN, json_pack("{s:s}", "rule", "citizen_self"),
                           "a citizen's token reads and acts for that citizen only");
}

static const char purpose_vocabulary[] = "must be one of rehabilitation, coordinated_effort, "
                                         "target_group_identification, own_case";

/* The purposes of bits, comma-separated, into buf ("none" for none). */
static void purpose_names(unsigned bits, char *buf, size_t len)
{
    size_t o = 0;
    buf[0] = '\0';
    for (int i = 0; gp_purposes[i].code && o < len; i++) {
        if (bits & (1u << i))
            o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? ", " : "", gp_purposes[i].code);
    }
    if (!o)
        snprintf(buf, len, "none");
}

bool gp_citizen_purpose_check(struct gp_request *req, bool required)
{
    const char *header = gp_req_header(req, "X-Purpose");
    const char *query = gp_req_query(req, "purpose");
    if (header && !gp_purpose_find(header)) {
        gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, "purpose", purpose_vocabulary);
        return false;
    }
    if (query && !gp_purpose_find(query)) {
        gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, "purpose", purpose_vocabulary);
        return false;
    }
    if (header && query && strcmp(header, query) != 0) {
        gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, "purpose",
                           "differs between the X-Purpose header and the purpose query");
        return false;
    }
    const char *stated = gp_citizen_purpose(req);
    if (stated && !gp_purpose_find(stated)) {
        /* Only a default stored before the vocabulary changed can get here. */
        gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, "purpose",
                           "is the token's default purpose, which is no longer in the "
                           "vocabulary; state one with X-Purpose");
        return false;
    }
    /* What the role may claim here is data (role_purpose), read with the token. */
    unsigned allowed = req->client.purposes;
    int bit = stated ? gp_purpose_index(stated) : -1;
    if (bit >= 0 && !(allowed & (1u << bit))) {
        char names[160];
        purpose_names(allowed, names, sizeof names);
        json_t *errors = json_pack("{s:[{s:s, s:s}]}", "errors", "field", "purpose", "reason",
                                   "is not a purpose this role may claim on this route");
        gp_reply_problem_extra(req, GP_E_FORBIDDEN, errors,
                               "role %s may not claim the purpose %s%s on %s %s; it may claim: %s",
                               gp_role_name(req->client.role), stated,
                               header || query ? "" : " (the token's default)", req->route->method,
                               req->route->pattern, names);
        return false;
    }
    if (!stated && required && allowed) {
        char names[160], reason[320];
        purpose_names(allowed, names, sizeof names);
        snprintf(reason, sizeof reason,
                 "is required: send an X-Purpose header or a purpose query parameter (%s), or "
                 "use a token with a default purpose",
                 names);
        gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, "purpose", reason);
        return false;
    }
    return true;
}

/* Every read of personal data states why, from the purposes the caller's role may claim on the
 * route. A role with none there (auditors, who read to supervise the processing itself, and
 * the citizen, who reads their own data) states none. */
bool gp_citizen_purpose_ok(struct gp_request *req)
{
    return gp_citizen_purpose_check(req, true);
}

const char *gp_citizen_purpose(struct gp_request *req)
{
    const char *p = gp_req_header(req, "X-Purpose");
    if (!p)
        p = gp_req_query(req, "purpose");
    if (!p && req->client.default_purpose[0])
        p = req->client.default_purpose;
    return p;
}

struct gp_policy_caller gp_citizen_caller(struct gp_request *req)
{
    struct gp_policy_caller c = {req->client.role, req->client.department, gp_citizen_purpose(req)};
    return c;
}

struct gp_rule_caller gp_citizen_rule_caller(const struct gp_request *req)
{
    struct gp_rule_caller c = {req->client.role, req->client.department, req->client.cpr};
    return c;
}

void gp_citizen_audit_entry(struct gp_request *req, const char *cpr, struct gp_audit_entry *e)
{
    memset(e, 0, sizeof *e);
    e->client_id = req->client.id;
    snprintf(e->client_name, sizeof e->client_name, "%s", req->client.name);
    snprintf(e->subject, sizeof e->subject, "%s", req->client.subject);
    snprintf(e->client_app, sizeof e->client_app, "%s", req->client.client_app);
    snprintf(e->role, sizeof e->role, "%s", gp_role_name(req->client.role));
    snprintf(e->department, sizeof e->department, "%s", req->client.department);
    const char *purpose = gp_citizen_purpose(req);
    const struct gp_purpose *p = gp_purpose_find(purpose);
    if (p) {
        snprintf(e->purpose, sizeof e->purpose, "%s", p->code);
        snprintf(e->legal_basis, sizeof e->legal_basis, "%s", p->legal_basis);
    } else if (req->client.role == GP_ROLE_AUDITOR) {
        snprintf(e->legal_basis, sizeof e->legal_basis, "%s", GP_AUDITOR_LEGAL_BASIS);
    } else if (req->client.role == GP_ROLE_CITIZEN) {
        snprintf(e->legal_basis, sizeof e->legal_basis, "%s", GP_CITIZEN_LEGAL_BASIS);
    }
    snprintf(e->cpr, sizeof e->cpr, "%s", cpr);
    snprintf(e->action, sizeof e->action, "read");
    snprintf(e->route, sizeof e->route, "%s %s", req->route->method, req->route->pattern);
    snprintf(e->request_id, sizeof e->request_id, "%s", req->request_id);
}
