/* GET /v1/me: who the caller is, as the server sees the token — name, role, department, default
 * purpose, and the purposes the role may state — so that a front-end (web/) shows the views of
 * that role and offers only those purposes. No personal data of a citizen. */
#include "api/handlers.h"
#include "api/http.h"
#include "lib/core/role.h"

/* The purposes each role may state when it reads personal data. Until the server holds this
 * as data (purposes bound to roles, DESIGN.md "Who sees what"), the page's menu follows this
 * list; the server still judges every read by the purpose it states. */
static const char *const purposes_personal[] = {"rehabilitation", "coordinated_effort", "own_case",
                                                NULL};
static const char *const purposes_analyst[] = {"target_group_identification", NULL};

void gp_handle_me(struct gp_request *req)
{
    const struct gp_client *c = &req->client;
    const char *const *purposes = NULL;
    if (c->role == GP_ROLE_CASEWORKER || c->role == GP_ROLE_COORDINATOR)
        purposes = purposes_personal;
    else if (c->role == GP_ROLE_ANALYST)
        purposes = purposes_analyst;
    json_t *list = json_array();
    for (const char *const *p = purposes; p && *p; p++)
        json_array_append_new(list, json_string(*p));
    json_t *body = json_pack("{s:I, s:s, s:s}", "client_id", (json_int_t)c->id, "name", c->name,
                             "role", gp_role_name(c->role));
    json_object_set_new(body, "department",
                        c->department[0] ? json_string(c->department) : json_null());
    json_object_set_new(body, "default_purpose",
                        c->default_purpose[0] ? json_string(c->default_purpose) : json_null());
    json_object_set_new(body, "purposes", list);
    /* A citizen's token is bound to one CPR: the page shows that citizen's own view. */
    json_object_set_new(body, "cpr", c->cpr[0] ? json_string(c->cpr) : json_null());
    gp_reply_json(req, 200, body);
}
