/* API clients (admin only): create a client and its token, list, show, approve, revoke.
 *
 *   POST /v1/clients                 create: 201 with the token, once; the client is pending
 *   GET  /v1/clients, /v1/clients/{id}
 *   POST /v1/clients/{id}/approve    a second admin approves it: then its token works
 *   POST /v1/clients/{id}/revoke     its token stops working at once; idempotent
 *
 * Four eyes: a client made over the API works only once an admin other than its creator has
 * approved it (403 naming the rule "four_eyes" for the creator), whatever its role — every role
 * an admin can make reads personal data or can approve clients that do. `glasplade token
 * create` (database access) makes clients that work at once. Every creation, approval and
 * revocation is an audit row naming the admin (lib/sharing/clients.h). The token is in the
 * creation answer only; afterwards only its hash exists. A citizen's CPR is shown masked. */
#include "api/citizen_common.h"
#include "api/handlers.h"
#include "api/http.h"
#include "api/input.h"
#include "lib/core/alloc.h"
#include "lib/core/cpr.h"
#include "lib/core/json_spec.h"
#include "lib/core/purpose.h"
#include "lib/sharing/audit.h"
#include "lib/sharing/clients.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *string_or_null(const char *s)
{
    return s[0] ? json_string(s) : json_null();
}

static json_t *id_or_null(int64_t id)
{
    return id ? json_integer(id) : json_null();
}

static json_t *client_json(const struct gp_client *c)
{
    json_t *o = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)c->id, "role", gp_role_name(c->role),
                          "name", c->name);
    json_object_set_new(o, "department", string_or_null(c->department));
    json_object_set_new(o, "default_purpose", string_or_null(c->default_purpose));
    struct gp_cpr cpr;
    char masked[12];
    if (c->cpr[0] && gp_cpr_parse(c->cpr, strlen(c->cpr), &cpr) == GP_CPR_OK) {
        gp_cpr_mask(&cpr, masked);
        json_object_set_new(o, "cpr", json_string(masked));
    } else {
        json_object_set_new(o, "cpr", json_null());
    }
    json_object_set_new(o, "status", json_string(gp_client_status(c)));
    json_object_set_new(o, "created_by", id_or_null(c->created_by));
    json_object_set_new(o, "created_at", json_string(c->created_at));
    json_object_set_new(o, "approved_by", id_or_null(c->approved_by));
    json_object_set_new(o, "approved_at", string_or_null(c->approved_at));
    json_object_set_new(o, "expires_at", json_string(c->expires_at));
    json_object_set_new(o, "revoked_at", string_or_null(c->revoked_at));
    /* Identity (migration 0018): a person or a key, and what limits a key. */
    json_object_set_new(o, "kind", json_string(c->person ? "person" : "key"));
    json_object_set_new(o, "subject", string_or_null(c->subject));
    json_t *scopes = json_array();
    for (const char *p = c->scopes; *p;) {
        size_t n = strcspn(p, ",");
        json_array_append_new(scopes, json_stringn(p, n));
        p += n;
        while (*p == ',' || *p == ' ')
            p++;
    }
    json_object_set_new(o, "scopes", json_array_size(scopes) ? scopes : json_null());
    if (!json_array_size(scopes))
        json_decref(scopes);
    json_object_set_new(o, "last_used_at", string_or_null(c->last_used_at));
    return o;
}

/* The admin making a change, as its audit row names them. */
static struct gp_audit_entry *actor_of(struct gp_request *req)
{
    struct gp_audit_entry *e = gp_xmalloc(sizeof *e);
    gp_citizen_audit_entry(req, "", e);
    return e;
}

/* {id}: a positive decimal integer. */
static bool id_param(struct gp_request *req, int64_t *id)
{
    const char *s = gp_req_param(req, "id");
    char *end = NULL;
    errno = 0;
    long long v = strtoll(s, &end, 10);
    if (errno || *end || end == s || v <= 0 || s[0] == '+' || s[0] == ' ') {
        gp_reply_bad_field(req, GP_E_INVALID_PARAMETER, "id", "must be a positive integer");
        return false;
    }
    *id = v;
    return true;
}

static const char *const role_choices[] = {"caseworker", "coordinator", "analyst", "auditor",
                                           "admin",      "citizen",     NULL};

/* Checks what the spec cannot: the fields each role needs or must not have. Adds to fe. */
static void check_client_body(enum gp_role r, const char *department, const char *purpose,
                              const char *cpr_text, struct gp_cpr *cpr, struct gp_field_errors *fe)
{
    if (gp_role_needs_department(r) && !department)
        gp_field_errors_add(fe, "department", "is required for caseworker and coordinator clients");
    if (gp_role_needs_cpr(r)) {
        if (!cpr_text) {
            gp_field_errors_add(fe, "cpr", "is required for a citizen's client");
        } else {
            enum gp_cpr_error e = gp_cpr_parse(cpr_text, strlen(cpr_text), cpr);
            if (e != GP_CPR_OK)
                gp_field_errors_add(fe, "cpr", "%s", gp_cpr_error_text(e));
        }
        if (department)
            gp_field_errors_add(fe, "department", "a citizen belongs to no department");
        if (purpose)
            gp_field_errors_add(fe, "default_purpose",
                                "a citizen reads their own data and states no purpose");
    } else if (cpr_text) {
        gp_field_errors_add(fe, "cpr", "is only for a citizen's client");
    }
}

/* POST /v1/clients */
void gp_handle_clients_post(struct gp_request *req)
{
    char *role = NULL, *name = NULL, *department = NULL, *default_purpose = NULL, *cpr_text = NULL;
    int64_t days = req->server->cfg->token_ttl_days;
    struct gp_jspec spec[] = {
        {.field = "role", .type = GP_JT_ENUM, .choices = role_choices, .dest = &role},
        {.field = "name", .type = GP_JT_STRING, .max_len = 200, .dest = &name},
        {.field = "department",
         .type = GP_JT_STRING,
         .optional = true,
         .max_len = 63,
         .dest = &department},
        {.field = "default_purpose",
         .type = GP_JT_STRING,
         .optional = true,
         .max_len = 63,
         .dest = &default_purpose},
        {.field = "cpr", .type = GP_JT_STRING, .optional = true, .max_len = 11, .dest = &cpr_text},
        {.field = "expires_in_days",
         .type = GP_JT_INT64,
         .optional = true,
         .min = 1,
         .max = 3650,
         .dest = &days},
        GP_JSPEC_END,
    };
    struct gp_jspec_error jerr;
    if (!gp_jspec_parse_buffer(req->body ? req->body : "", req->body_len, spec, false, &jerr)) {
        gp_reply_jspec_error(req, &jerr);
        return;
    }
    enum gp_role r = gp_role_parse(role);
    struct gp_cpr cpr = {0};
    struct gp_field_errors fe = {0};
    struct gp_audit_entry *actor = NULL;
    check_client_body(r, department, default_purpose, cpr_text, &cpr, &fe);
    if (gp_field_errors_count(&fe)) {
        gp_reply_field_errors(req, GP_E_INVALID_BODY, &fe);
        goto done;
    }
    if (default_purpose && !gp_purpose_find(default_purpose)) {
        /* Well-formed but not in the vocabulary: like an unknown department, 422. */
        gp_reply_bad_field(req, GP_E_UNPROCESSABLE, "default_purpose",
                           "must be one of rehabilitation, coordinated_effort, "
                           "target_group_identification, own_case");
        goto done;
    }
    struct gp_client c;
    char token[GP_TOKEN_LEN + 1];
    struct gp_client_new in = {.role = r,
                               .name = name,
                               .department = department,
                               .default_purpose = default_purpose,
                               .cpr = cpr_text ? cpr.digits : NULL,
                               .expires_days = (int)days,
                               .created_by = req->client.id};
    actor = actor_of(req);
    enum gp_client_rc rc = gp_client_create(req->server->pool, &in, actor, &c, token);
    if (rc == GP_CLIENT_UNKNOWN_DEPARTMENT) {
        json_t *errors = json_pack("{s:[{s:s, s:s}]}", "errors", "field", "department", "reason",
                                   "is not a known department");
        gp_reply_problem_extra(req, GP_E_UNPROCESSABLE, errors, "unknown department '%s'",
                               department);
        goto done;
    }
    if (rc != GP_CLIENT_OK) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
        goto done;
    }
    char location[64];
    snprintf(location, sizeof location, "/v1/clients/%lld", (long long)c.id);
    gp_req_add_header(req, "Location", location);
    json_t *body = client_json(&c);
    json_object_set_new(body, "token", json_string(token));
    gp_reply_json(req, 201, body);
done:
    gp_field_errors_clear(&fe);
    free(actor);
    gp_jspec_free(spec);
}

/* GET /v1/clients */
void gp_handle_clients_list(struct gp_request *req)
{
    struct gp_client *rows = NULL;
    size_t n = 0;
    if (gp_client_list(req->server->pool, &rows, &n) != GP_CLIENT_OK) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
        return;
    }
    json_t *list = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(list, client_json(&rows[i]));
    free(rows);
    gp_reply_json(req, 200, json_pack("{s:o}", "clients", list));
}

static void reply_rc(struct gp_request *req, enum gp_client_rc rc, const struct gp_client *c)
{
    switch (rc) {
    case GP_CLIENT_OK:
        gp_reply_json(req, 200, client_json(c));
        return;
    case GP_CLIENT_NOT_FOUND:
        gp_reply_problem(req, GP_E_NOT_FOUND, "no client with this id");
        return;
    case GP_CLIENT_SAME_ADMIN:
        gp_reply_problem_extra(req, GP_E_FORBIDDEN, json_pack("{s:s}", "rule", "four_eyes"),
                               "four eyes: the admin who created a client cannot approve it; "
                               "another admin must");
        return;
    case GP_CLIENT_REVOKED:
        gp_reply_problem(req, GP_E_UNPROCESSABLE, "the client is revoked: make a new one");
        return;
    default:
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
        return;
    }
}

/* GET /v1/clients/{id} */
void gp_handle_client_get(struct gp_request *req)
{
    int64_t id;
    struct gp_client c;
    if (!id_param(req, &id))
        return;
    reply_rc(req, gp_client_get(req->server->pool, id, &c), &c);
}

/* POST /v1/clients/{id}/approve */
void gp_handle_client_approve(struct gp_request *req)
{
    int64_t id;
    struct gp_client c;
    if (!id_param(req, &id))
        return;
    struct gp_audit_entry *actor = actor_of(req);
    reply_rc(req, gp_client_approve(req->server->pool, id, actor, &c), &c);
    free(actor);
}

/* POST /v1/clients/{id}/revoke */
void gp_handle_client_revoke(struct gp_request *req)
{
    int64_t id;
    struct gp_client c;
    if (!id_param(req, &id))
        return;
    struct gp_audit_entry *actor = actor_of(req);
    reply_rc(req, gp_client_revoke(req->server->pool, id, actor, &c), &c);
    free(actor);
}
