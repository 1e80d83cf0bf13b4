/* A person who signed in at the identity provider, as a client of this server: one api_client
 * row of kind "person" per issuer and subject (migration 0018), so that audit rows, consents,
 * blocks and break-glass overrides name them as they name a key. The row is written on first
 * sight and rewritten when what the person's token says changes (role, department, name,
 * default purpose, CPR, client application) or when its last use is a minute old; otherwise a
 * request costs one read, as a key's does. Revoking the row (`glasplade token revoke ID`)
 * refuses the person here, whatever the provider says. */
#ifndef GP_IDENTITY_H
#define GP_IDENTITY_H

#include "lib/core/claims.h"
#include "lib/db/db.h"
#include "lib/sharing/clients.h"

#include <time.h>

enum gp_identity_rc {
    GP_IDENTITY_OK = 0,
    GP_IDENTITY_REVOKED,            /* the person's row is revoked here */
    GP_IDENTITY_UNKNOWN_DEPARTMENT, /* the mapping gave a department Glasplade does not know */
    GP_IDENTITY_DB_ERROR,
};

/* The client row of person p at issuer (written or updated as said above), into out, with
 * out->subject and out->client_app from p, and out->purposes the purposes the person's role may
 * claim on route ("GET /v1/citizens/{cpr}", as for gp_client_authenticate). expires is the
 * token's exp (stored in the row's expires_at, which is NOT NULL; informational). A person
 * needs no approval: the provider vouched for them. */
enum gp_identity_rc gp_identity_client(struct gp_db_pool *pool, const char *issuer,
                                       const struct gp_person *p, time_t expires, const char *route,
                                       struct gp_client *out);

#endif
