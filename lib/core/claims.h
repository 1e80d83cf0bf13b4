/* From an identity provider's token to a Glasplade caller: which claim holds the person's
 * roles or groups, department, default purpose, display name and (for citizens) CPR number,
 * and a mapping table from the provider's group or role names to Glasplade's roles and
 * departments. All of it is configuration (GLASPLADE_OIDC_* and the table's JSON file,
 * docs/operations.md); this module only applies it. Pure: no I/O. Thread-safe once loaded.
 *
 * The rules, in order:
 *  1. sub is required: it names the person (with the issuer) in the audit log.
 *  2. A token that carries the CPR claim is a citizen's: role citizen, bound to that CPR, which
 *     must be a valid CPR number. No mapping applies to it.
 *  3. Otherwise the values of the roles claim (a string or an array of strings) and of the
 *     department claim are looked up in the table, row by row: the first row with a role that
 *     matches one of them decides the role; its department and purpose, if any, come with it.
 *  4. A role that needs a department (caseworker, coordinator) without one from its row takes
 *     it from the first department-only row matching a value, else from the department claim
 *     as it stands (it must then be a Glasplade department id; the database checks it).
 *  5. The default purpose is the purpose claim when the token carries one (it must be in the
 *     vocabulary), else the deciding row's.
 *  6. No row with a role matches: the person has no role in Glasplade (403). */
#ifndef GP_CLAIMS_H
#define GP_CLAIMS_H

#include "lib/core/role.h"

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#define GP_CLAIMS_MAX_ROWS 256

/* One row of the mapping table: a value of the roles or department claim, and what it means
 * here. role GP_ROLE_NONE and department "" where the row says nothing of them. */
struct gp_claims_row {
    char match[256];
    enum gp_role role;
    char department[64];
    char purpose[64];
};

struct gp_claims_map {
    size_t n;
    struct gp_claims_row rows[GP_CLAIMS_MAX_ROWS];
};

/* Loads the table from its JSON text: an array of objects with "match" (required) and any of
 * "role", "department", "default_purpose"; a role must be a staff role (not citizen, which the
 * CPR claim decides), a purpose must be in the vocabulary, and every row must say something.
 * False with the row and the reason in err. */
bool gp_claims_map_parse(const char *text, size_t len, struct gp_claims_map *out, char *err,
                         size_t errlen);

/* Which claims to read. A name with dots ("realm_access.roles") walks nested objects; NULL or
 * "" where the provider sends no such claim. */
struct gp_claims_config {
    const char *roles_claim;
    const char *department_claim;
    const char *purpose_claim;
    const char *name_claim;
    const char *cpr_claim;
    const struct gp_claims_map *map;
};

/* The caller a token names. */
struct gp_person {
    char subject[256];    /* sub */
    char name[201];       /* the name claim, else preferred_username, else sub */
    char client_app[129]; /* azp, else client_id, else "" */
    enum gp_role role;
    char department[64];      /* "" when none */
    char default_purpose[64]; /* "" when none */
    char cpr[11];             /* the citizen's CPR; "" for everyone else */
};

enum gp_claims_rc {
    GP_CLAIMS_OK = 0,
    GP_CLAIMS_NO_SUBJECT,    /* 401: no usable sub */
    GP_CLAIMS_BAD_CPR,       /* 401: the CPR claim is not a valid CPR number */
    GP_CLAIMS_UNMAPPED,      /* 403: no row of the table gives the person a role */
    GP_CLAIMS_NO_DEPARTMENT, /* 403: the role needs a department and none was found */
    GP_CLAIMS_BAD_PURPOSE,   /* 403: the purpose claim is not in the vocabulary */
};

/* Applies the rules above to a token's verified claims. why receives a sentence for the
 * caller (it names claim names and the mapping's outcome, never a claim's CPR value). */
enum gp_claims_rc gp_claims_to_person(const struct gp_claims_config *cfg, const json_t *claims,
                                      struct gp_person *out, char *why, size_t whylen);

/* The claim at a dotted path, or NULL. */
const json_t *gp_claims_get(const json_t *claims, const char *path);

#endif
