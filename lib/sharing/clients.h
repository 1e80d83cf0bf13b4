/* API clients and their bearer tokens (table api_client). A token is 32 random bytes,
 * base64url, prefixed "gpt_"; only its SHA-256 is stored, so a token is shown once, at
 * creation, and a database leak reveals none.
 *
 * A client is a key (kind "key": an integration's opaque token, which may be limited to some
 * routes by its scopes and may expire) or a person (kind "person": someone who signed in at the
 * identity provider; lib/sharing/identity.h writes their row, and their tokens are the
 * provider's JWTs, never stored). */
#ifndef GP_CLIENTS_H
#define GP_CLIENTS_H

#include "lib/db/db.h"
#include "lib/core/role.h"

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
    char created_at[40];      /* ISO 8601 UTC */
    char revoked_at[40];      /* "" while active */
    /* Identity (migration 0031) */
    bool person;           /* kind "person": signed in at the identity provider */
    char subject[256];     /* a person's sub; "" for a key */
    char client_app[129];  /* a person's client application (azp); "" for a key */
    char scopes[1024];     /* a key's route patterns, joined by ", "; "" = every route */
    char expires_at[40];   /* "" = never */
    char last_used_at[40]; /* "" = never used */
    bool expired;          /* expires_at has passed (the database's clock) */
    bool use_stale;        /* last_used_at is a minute old or more: gp_client_touch it */
};

enum gp_client_rc {
    GP_CLIENT_OK = 0,
    GP_CLIENT_NOT_FOUND,
    GP_CLIENT_UNKNOWN_DEPARTMENT,
    GP_CLIENT_EXPIRED, /* authentication: the token has expired */
    GP_CLIENT_DB_ERROR,
};

#define GP_CLIENT_MAX_SCOPES 32
#define GP_CLIENT_SCOPE_MAX  120 /* characters of one scope */

/* Generates a new token into token (GP_TOKEN_LEN + 1 bytes). */
void gp_token_generate(char token[GP_TOKEN_LEN + 1]);
/* SHA-256 of the token as "\\x<hex>", the bytea text form (67 bytes with NUL). */
void gp_token_hash_bytea(const char *token, char out[67]);

/* Creates a client and its token. department may be NULL/"" for roles without one. */
enum gp_client_rc gp_client_create(struct gp_db_pool *pool, enum gp_role role, const char *name,
                                   const char *department, const char *default_purpose,
                                   struct gp_client *out, char token[GP_TOKEN_LEN + 1]);

/* A key limited to scopes (n patterns "METHOD /path", see gp_client_scope_allows; n 0: every
 * route of its role) and expiring after expires_days days (0: never). */
enum gp_client_rc gp_client_create_key(struct gp_db_pool *pool, enum gp_role role, const char *name,
                                       const char *department, const char *default_purpose,
                                       const char *const *scopes, size_t n, int expires_days,
                                       struct gp_client *out, char token[GP_TOKEN_LEN + 1]);

/* Whether a scope is well-formed: "METHOD /path" (METHOD a word of capitals or *), at most
 * GP_CLIENT_SCOPE_MAX characters, no comma. */
bool gp_client_scope_valid(const char *scope);
/* Whether c may call the route method pattern ("GET", "/v1/citizens/{cpr}"): always for a
 * client without scopes, else when one of its scopes matches "METHOD pattern" (fnmatch(3)).
 * Pure. */
bool gp_client_scope_allows(const struct gp_client *c, const char *method, const char *pattern);

/* Records that client id was used now (last_used_at). */
enum gp_client_rc gp_client_touch(struct gp_db_pool *pool, int64_t id);

/* Looks up an active (not revoked) key by its token: OK, NOT_FOUND (unknown or revoked) or
 * EXPIRED. */
enum gp_client_rc gp_client_authenticate(struct gp_db_pool *pool, const char *token,
                                         struct gp_client *out);

enum gp_client_rc gp_client_get(struct gp_db_pool *pool, int64_t id, struct gp_client *out);

/* Revokes a client (idempotent: an already revoked client keeps its first revocation time). */
enum gp_client_rc gp_client_revoke(struct gp_db_pool *pool, int64_t id, struct gp_client *out);

/* All clients, keys and persons, oldest first. *out is malloc'd (free()); count in *n. */
enum gp_client_rc gp_client_list(struct gp_db_pool *pool, struct gp_client **out, size_t *n);

/* Whether a department id exists. */
enum gp_client_rc gp_department_exists(struct gp_db_pool *pool, const char *id, bool *exists);

#endif
