/* API clients (admin only): create a client and its token, list, show, revoke.
 * The token is in the creation answer only; afterwards only its hash exists. */
#include "api/handlers.h"
#include "api/http.h"
#include "lib/sharing/clients.h"
#include "lib/core/json_spec.h"
#include "lib/core/purpose.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static json_t *client_json(const struct gp_client *c)
{
    json_t *o = json_pack("{s:I, s:s, s:s}", "id", (json_int_t)c->id, "role", gp_role_name(c->role),
                          "name", c->name);
    json_object_set_new(o, "department",
                        c->department[0] ? json_string(c->department) : json_null());
    json_object_set_new(o, "default_purpose",
                        c->default_purpose[0] ? json_string(c->default_purpose) : json_null());
    json_object_set_new(o, "created_at", json_string(c->created_at));
    json_object_set_new(o, "revoked_at",
                        c->revoked_at[0] ? json_string(c->revoked_at) : json_null());
    /* Identity (migration 0031): a person or a key, and what limits a key. */
    json_object_set_new(o, "kind", json_string(c->person ? "person" : "key"));
    json_object_set_new(o, "subject", c->subject[0] ? json_string(c->subject) : json_null());
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
    json_object_set_new(o, "expires_at",
                        c->expires_at[0] ? json_string(c->expires_at) : json_null());
    json_object_set_new(o, "last_used_at",
                        c->last_used_at[0] ? json_string(c->last_used_at) : json_null());
    return o;
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
    default:
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
        return;
    }
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

static const char *const role_choices[] = {"caseworker", "coordinator", "analyst",
                                           "auditor",    "admin",       NULL};

/* POST /v1/clients */
void gp_handle_clients_post(struct gp_request *req)
{
    char *role = NULL, *name = NULL, *department = NULL, *default_purpose = NULL;
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
        GP_JSPEC_END,
    };
    struct gp_jspec_error jerr;
    if (!gp_jspec_parse_buffer(req->body ? req->body : "", req->body_len, spec, false, &jerr)) {
        gp_reply_jspec_error(req, &jerr);
        return;
    }
    enum gp_role r = gp_role_parse(role);
    if (gp_role_needs_department(r) && !department) {
        gp_reply_bad_field(req, GP_E_INVALID_BODY, "department",
                           "is required for caseworker and coordinator clients");
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
    enum gp_client_rc rc =
        gp_client_create(req->server->pool, r, name, department, default_purpose, &c, token);
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

/* GET /v1/clients/{id} */
void gp_handle_client_get(struct gp_request *req)
{
    int64_t id;
    struct gp_client c;
    if (!id_param(req, &id))
        return;
    reply_rc(req, gp_client_get(req->server->pool, id, &c), &c);
}

/* POST /v1/clients/{id}/revoke */
void gp_handle_client_revoke(struct gp_request *req)
{
    int64_t id;
    struct gp_client c;
    if (!id_param(req, &id))
        return;
    reply_rc(req, gp_client_revoke(req->server->pool, id, &c), &c);
}
