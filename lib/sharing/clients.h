/* API clients and their bearer tokens (table api_client). A token is 32 random bytes,
 * base64url, prefixed "gpt_"; only its SHA-256 is stored, so a token is shown once, at
 * creation, and a database leak reveals none.
 *
 * Separation of duties (migration 0016): a client made on the command line (database access)
 * works at once; one an admin makes over the API is pending until a second, different admin
 * approves it (four eyes), whatever its role — every role an admin can create either reads
 * personal data or can approve clients that do. Every token expires. Every creation, approval
 * and revocation writes an audit row (action "client") naming its actor, in the same
 * transaction as the change.
 *
 * A client is a key (kind "key": an integration's opaque token, which may be limited to some
 * routes by its scopes) or a person (kind "person", migration 0018: someone who signed in at
 * the identity provider; lib/sharing/identity.h writes their row, and their tokens are the
 * provider's JWTs, never stored; a person needs no approval). */
#ifndef GP_CLIENTS_H
#define GP_CLIENTS_H

#include "lib/core/role.h"
#include "lib/db/db.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define GP_TOKEN_LEN 47 /* "gpt_" + 43 base64url characters */

struct gp_client {
    int64_t id;
    enum gp_role role;
    char name[201];
    char department[64];      /* "" when none */
    char default_purpose[64]; /* "" when none */
    char cpr[11];             /* the citizen role's own CPR; "" for every other role */
    int64_t created_by;       /* the admin who created it over the API; 0: the command line */
    int64_t approved_by;      /* the second admin who approved it; 0: none */
    char created_at[40];      /* ISO 8601 UTC */
    char approved_at[40];     /* "" while pending */
    char expires_at[40];
    char revoked_at[40]; /* "" while not revoked */
    bool expired;        /* expires_at has passed (the database's clock) */
    /* gp_client_authenticate only: the purposes the client's role may claim on the route it
     * authenticated for, a bit (1u << gp_purpose_index) per purpose; 0: none (then the role
     * states none there). */
    unsigned purposes;
    /* Identity (migration 0018) */
    bool person;           /* kind "person": signed in at the identity provider */
    char subject[256];     /* a person's sub; "" for a key */
    char client_app[129];  /* a person's client application (azp); "" for a key */
    char scopes[1024];     /* a key's route patterns, joined by ", "; "" = every route */
    char last_used_at[40]; /* "" = never used */
    bool use_stale;        /* last_used_at is a minute old or more: gp_client_touch it */
};

enum gp_client_rc {
    GP_CLIENT_OK = 0,
    GP_CLIENT_NOT_FOUND, /* no such id, or (authentication) an unknown or revoked token */
    GP_CLIENT_UNKNOWN_DEPARTMENT,
    GP_CLIENT_INVALID,    /* a value the schema refuses (a citizen without a CPR, ...) */
    GP_CLIENT_EXPIRED,    /* authentication: the token has expired */
    GP_CLIENT_PENDING,    /* authentication: the client awaits a second admin's approval */
    GP_CLIENT_SAME_ADMIN, /* approval: the approver created the client */
    GP_CLIENT_REVOKED,    /* approval: the client is revoked */
    GP_CLIENT_DB_ERROR,
};

#define GP_CLIENT_MAX_SCOPES 32
#define GP_CLIENT_SCOPE_MAX  120 /* characters of one scope */

/* "revoked", "expired", "pending" or "active", in that order of precedence. */
const char *gp_client_status(const struct gp_client *c);

/* Generates a new token into token (GP_TOKEN_LEN + 1 bytes). */
void gp_token_generate(char token[GP_TOKEN_LEN + 1]);
/* SHA-256 of the token as "\\x<hex>", the bytea text form (67 bytes with NUL). */
void gp_token_hash_bytea(const char *token, char out[67]);

struct gp_client_new {
    enum gp_role role;
    const char *name;
    const char *department;      /* NULL/"" for roles without one */
    const char *default_purpose; /* NULL/"" for none */
    const char *cpr;             /* the citizen role's CPR (10 digits); NULL/"" otherwise */
    int expires_days;            /* the token works this many days, >= 1 */
    int64_t created_by;          /* the creating admin's client id; 0: the command line, and
                                    then the client is approved at once */
    const char *const *scopes;   /* n_scopes patterns "METHOD /path" (gp_client_scope_allows);
                                    n_scopes 0: every route of its role */
    size_t n_scopes;
};

/* The actor of a client change, as its audit row names them: fill client_id (0 for the command
 * line), client_name, role ("operator" for the command line), department, route and
 * request_id of an audit entry (lib/sharing/audit.h); the action, CPR and details are set by
 * the functions below. */
struct gp_audit_entry;

/* Creates a client and its token, and its audit row. */
enum gp_client_rc gp_client_create(struct gp_db_pool *pool, const struct gp_client_new *in,
                                   const struct gp_audit_entry *actor, struct gp_client *out,
                                   char token[GP_TOKEN_LEN + 1]);

/* Looks up the client of a token, and the purposes its role may claim on route ("GET
 * /v1/citizens/{cpr}", as api/routes.c names it; NULL: none). OK only for a token that works
 * now: NOT_FOUND for an unknown or revoked one, EXPIRED, PENDING. */
enum gp_client_rc gp_client_authenticate(struct gp_db_pool *pool, const char *token,
                                         const char *route, struct gp_client *out);

/* The purposes of a comma-separated list of purpose codes as bits (1u << gp_purpose_index;
 * unknown codes are left out), as gp_client.purposes holds them. */
unsigned gp_client_purpose_bits(const char *list);

/* Whether a scope is well-formed: "METHOD /path" (METHOD a word of capitals or *), at most
 * GP_CLIENT_SCOPE_MAX characters, no comma. */
bool gp_client_scope_valid(const char *scope);
/* Whether c may call the route method pattern ("GET", "/v1/citizens/{cpr}"): always for a
 * client without scopes, else when one of its scopes matches "METHOD pattern" (fnmatch(3)).
 * Pure. */
bool gp_client_scope_allows(const struct gp_client *c, const char *method, const char *pattern);

/* Records that client id was used now (last_used_at). */
enum gp_client_rc gp_client_touch(struct gp_db_pool *pool, int64_t id);

enum gp_client_rc gp_client_get(struct gp_db_pool *pool, int64_t id, struct gp_client *out);

/* Approves a pending client by the admin actor->client_id: OK (also when it was approved
 * already: nothing changes), NOT_FOUND, SAME_ADMIN (the approver created it: four eyes),
 * REVOKED. Every call that finds the client writes an audit row (details: changed, refused). */
enum gp_client_rc gp_client_approve(struct gp_db_pool *pool, int64_t id,
                                    const struct gp_audit_entry *actor, struct gp_client *out);

/* Revokes a client (idempotent: an already revoked client keeps its first revocation time),
 * with its audit row. */
enum gp_client_rc gp_client_revoke(struct gp_db_pool *pool, int64_t id,
                                   const struct gp_audit_entry *actor, struct gp_client *out);

/* All clients, keys and persons, oldest first. *out is malloc'd (free()); count in *n. */
enum gp_client_rc gp_client_list(struct gp_db_pool *pool, struct gp_client **out, size_t *n);

/* Whether a department id exists. */
enum gp_client_rc gp_department_exists(struct gp_db_pool *pool, const char *id, bool *exists);

#endif
