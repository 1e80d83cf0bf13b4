#include "api/auth.h"

#include "api/auth_oidc.h"
#include "api/http.h"
#include "api/throttle.h"
#include "lib/core/jwt.h"
#include "lib/core/log.h"
#include "lib/core/role.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

bool gp_auth_parse_bearer(const char *h, char *token, unsigned tokenlen)
{
    if (!h || strncasecmp(h, "Bearer", 6) != 0 || (h[6] != ' ' && h[6] != '\t'))
        return false;
    const char *t = h + 7;
    while (*t == ' ' || *t == '\t')
        t++;
    size_t n = 0;
    while (t[n] && t[n] != ' ' && t[n] != '\t') {
        char c = t[n];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
        n++;
    }
    for (const char *rest = t + n; *rest; rest++) {
        if (*rest != ' ' && *rest != '\t')
            return false;
    }
    if (n == 0 || n > GP_JWT_MAX_LEN || n >= tokenlen)
        return false;
    memcpy(token, t, n);
    token[n] = '\0';
    return true;
}

static void unauthorized(struct gp_request *req, const char *challenge, const char *detail)
{
    gp_req_add_header(req, "WWW-Authenticate", challenge);
    gp_reply_problem(req, GP_E_UNAUTHORIZED, "%s", detail);
}

/* Whether the client's address is throttled at all: not when it is one of our own proxies
 * (one that did not name the client in X-Forwarded-For), or everyone behind it would pay. */
static bool throttled(const struct gp_request *req)
{
    return req->server->throttle && req->client_ip.family &&
           !gp_config_trusted_proxy(req->server->cfg, &req->client_ip);
}

/* Counts a failed authentication against the client's address (api/throttle.h). */
static void failed(struct gp_request *req)
{
    if (throttled(req))
        gp_throttle_failure(req->server->throttle, &req->client_ip, gp_db_now_ms());
}

bool gp_auth_check(struct gp_request *req)
{
    char token[GP_JWT_MAX_LEN + 1];
    int retry_after = 0;
    if (throttled(req) &&
        gp_throttle_refused(req->server->throttle, &req->client_ip, gp_db_now_ms(), &retry_after)) {
        char secs[16];
        snprintf(secs, sizeof secs, "%d", retry_after);
        gp_req_add_header(req, "Retry-After", secs);
        req->quiet = true; /* the throttle logs refusals once per interval */
        gp_reply_problem(req, GP_E_TOO_MANY_REQUESTS,
                         "too many failed authentications from this address; retry in %d s",
                         retry_after);
        return false;
    }
    const char *h = gp_req_header(req, "Authorization");
    if (!h) {
        unauthorized(req, "Bearer realm=\"glasplade\"",
                     "this resource needs an Authorization: Bearer token");
        return false;
    }
    if (!gp_auth_parse_bearer(h, token, sizeof token)) {
        failed(req);
        unauthorized(req, "Bearer realm=\"glasplade\", error=\"invalid_request\"",
                     "the Authorization header must be 'Bearer <token>'");
        return false;
    }
    /* The route as role_purpose names it: the purposes the caller may claim on it come with
     * the client, in the same statement (for a person too, api/auth_oidc.c). */
    char route[160];
    snprintf(route, sizeof route, "%s %s", req->route->method, req->route->pattern);
    /* A JWT is someone who signed in at the identity provider (api/auth_oidc.c). */
    bool person = gp_jwt_looks_like(token);
    if (person && !gp_auth_oidc(req, token, route)) {
        if (req->status == 401) /* forged, stale or revoked: a failed sign-in like a bad key */
            failed(req);
        return false;
    }
    switch (person ? GP_CLIENT_OK
                   : gp_client_authenticate(req->server->pool, token, route, &req->client)) {
    case GP_CLIENT_OK:
        break;
    case GP_CLIENT_NOT_FOUND:
        failed(req);
        unauthorized(req, "Bearer realm=\"glasplade\", error=\"invalid_token\"",
                     "the token is unknown or has been revoked");
        return false;
    case GP_CLIENT_EXPIRED:
        unauthorized(req,
                     "Bearer realm=\"glasplade\", error=\"invalid_token\", "
                     "error_description=\"the token has expired\"",
                     "the token has expired: ask for a new one");
        return false;
    case GP_CLIENT_PENDING:
        unauthorized(req,
                     "Bearer realm=\"glasplade\", error=\"invalid_token\", "
                     "error_description=\"the client awaits approval\"",
                     "the token does not work yet: a second admin must approve its client "
                     "(POST /v1/clients/{id}/approve)");
        return false;
    default:
        gp_reply_problem(req, GP_E_DATABASE, "cannot check the token: the database is unavailable");
        return false;
    }
    req->authenticated = true;
    if (!person && req->client.use_stale) /* a person's row is kept by auth_oidc.c */
        gp_client_touch(req->server->pool, req->client.id);
    if (!(req->route->roles & (unsigned)req->client.role)) {
        char allowed[96];
        gp_role_mask_names(req->route->roles, allowed, sizeof allowed);
        gp_reply_problem(req, GP_E_FORBIDDEN, "role %s may not %s %s; allowed roles: %s",
                         gp_role_name(req->client.role), req->route->method, req->route->pattern,
                         allowed);
        return false;
    }
    if (!gp_client_scope_allows(&req->client, req->route->method, req->route->pattern)) {
        gp_req_add_header(req, "WWW-Authenticate",
                          "Bearer realm=\"glasplade\", error=\"insufficient_scope\"");
        gp_reply_problem(req, GP_E_FORBIDDEN, "this key's scopes do not include %s %s; it has: %s",
                         req->route->method, req->route->pattern, req->client.scopes);
        return false;
    }
    return true;
}
