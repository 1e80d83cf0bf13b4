/* Sign-in at the identity provider: a bearer that is a JWT is checked here (lib/core/jwt.h)
 * against the provider's keys (lib/federation/jwks.h), its claims mapped to a caller
 * (lib/core/claims.h) and the person's client row found or written (lib/sharing/identity.h).
 * api/auth.c calls gp_auth_oidc for such a bearer and handles the opaque keys itself. */
#ifndef GP_AUTH_OIDC_H
#define GP_AUTH_OIDC_H

#include "lib/core/config.h"

#include <stdbool.h>
#include <stddef.h>

struct gp_request;
struct gp_oidc;

/* The sign-in configuration of cfg->oidc made ready: the mapping table read and checked, the
 * key cache made and its first fetch tried (a provider that is not up yet only logs a
 * warning: its keys are fetched when the first token arrives). NULL with a reason in err when
 * the configuration is unusable. */
struct gp_oidc *gp_oidc_create(const struct gp_oidc_config *cfg, char *err, size_t errlen);
void gp_oidc_destroy(struct gp_oidc *o);

/* Authenticates req from a JWT bearer: true with req->client filled in (a person: their row,
 * subject, client application and the purposes their role may claim on route, "METHOD
 * /pattern"), or false after answering 401 (with WWW-Authenticate
 * error="invalid_token": malformed, a refused algorithm, an unknown key, a bad signature,
 * expired, not yet valid, another issuer or audience, no subject, a CPR claim that is no CPR,
 * a person revoked here), 403 (also with error="invalid_token": a valid token that gives no
 * role here) or 503 (no keys or no database). Nothing of the token is logged. */
bool gp_auth_oidc(struct gp_request *req, const char *token, const char *route);

#endif
