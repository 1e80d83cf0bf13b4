/* Bearer-token authentication and role checks for /v1 routes. */
#ifndef GP_AUTH_H
#define GP_AUTH_H

#include <stdbool.h>

struct gp_request;

/* Authenticates the caller from "Authorization: Bearer <token>" and checks the route's roles.
 * Returns true when the request may proceed (req->client is filled in); otherwise it has
 * answered 401 (missing, malformed, unknown, revoked or expired token, or one whose client awaits
 * a second admin's approval; with WWW-Authenticate), 403 (role not allowed), 429 (the client's
 * address failed too often: api/throttle.h; no token is looked up then) or 503 (database
 * unavailable). A malformed, unknown or revoked token counts as a failure of the address; a
 * missing one (the first step of a challenge) does not. req->client.purposes holds what the
 * role may claim on the route. */
bool gp_auth_check(struct gp_request *req);

/* Extracts the token from an Authorization header value. Returns false when the value is not
 * "Bearer <token>" with a plausible token (1-128 base64url/period characters). Pure. */
bool gp_auth_parse_bearer(const char *header, char *token, unsigned tokenlen);

#endif
