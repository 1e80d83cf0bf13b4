/* API clients and their bearer tokens (table api_client). A token is 32 random bytes,
 * base64url, prefixed "gpt_"; only its SHA-256 is stored, so a token is shown once, at
 * creation, and a database leak reveals none. */
#ifndef GP_CLIENTS_H
#define GP_CLIENTS_H

#include "lib/db/db.h"
#include "lib/core/role.h"

#include <stdbool.h>
#include <stdint.h>

#define GP_TOKEN_LEN 47 /* "gpt_" + 43 base64url characters */

struct gp_client {
    int64_t id;
    enum gp_role role;
    char name[201];
    char department[64];      /* "" when none */
    char default_purpose[64]; /* "" when none */
    char created_at[40];      /* ISO 8601 UTC */
    char revoked_at[40];      /* "" while active */
};

enum gp_client_rc {
    GP_CLIENT_OK = 0,
    GP_CLIENT_NOT_FOUND,
    GP_CLIENT_UNKNOWN_DEPARTMENT,
    GP_CLIENT_DB_ERROR,
};

/* Generates a new token into token (GP_TOKEN_LEN + 1 bytes). */
void gp_token_generate(char token[GP_TOKEN_LEN + 1]);
/* SHA-256 of the token as "\\x<hex>", the bytea text form (67 bytes with NUL). */
void gp_token_hash_bytea(const char *token, char out[67]);

/* Creates a client and its token. department may be NULL/"" for roles without one. */
enum gp_client_rc gp_client_create(struct gp_db_pool *pool, enum gp_role role, const char *name,
                                   const char *department, const char *default_purpose,
                                   struct gp_client *out, char token[GP_TOKEN_LEN + 1]);

/* Looks up an active (not revoked) client by its token. */
enum gp_client_rc gp_client_authenticate(struct gp_db_pool *pool, const char *token,
                                         struct gp_client *out);

enum gp_client_rc gp_client_get(struct gp_db_pool *pool, int64_t id, struct gp_client *out);

/* Revokes a client (idempotent: an already revoked client keeps its first revocation time). */
enum gp_client_rc gp_client_revoke(struct gp_db_pool *pool, int64_t id, struct gp_client *out);

/* All clients, oldest first. *out is malloc'd (free()); count in *n. */
enum gp_client_rc gp_client_list(struct gp_db_pool *pool, struct gp_client **out, size_t *n);

/* Whether a department id exists. */
enum gp_client_rc gp_department_exists(struct gp_db_pool *pool, const char *id, bool *exists);

#endif
