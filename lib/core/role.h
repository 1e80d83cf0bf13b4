/* Roles of API clients. Route permissions are sets of roles (bit masks). */
#ifndef GP_ROLE_H
#define GP_ROLE_H

#include <stdbool.h>

enum gp_role {
    GP_ROLE_NONE = 0,
    GP_ROLE_CASEWORKER = 1 << 0,
    GP_ROLE_COORDINATOR = 1 << 1,
    GP_ROLE_ANALYST = 1 << 2,
    GP_ROLE_AUDITOR = 1 << 3,
    GP_ROLE_ADMIN = 1 << 4,
    GP_ROLE_CITIZEN = 1 << 5, /* the citizen themselves, bound to one CPR by their token */
};

/* The municipality's own staff and systems: every role but the citizen's. */
#define GP_ROLES_STAFF                                                                             \
    (GP_ROLE_CASEWORKER | GP_ROLE_COORDINATOR | GP_ROLE_ANALYST | GP_ROLE_AUDITOR | GP_ROLE_ADMIN)
#define GP_ROLES_ALL (GP_ROLES_STAFF | GP_ROLE_CITIZEN)

/* "caseworker" ... "admin", "citizen"; GP_ROLE_NONE for anything else. */
enum gp_role gp_role_parse(const char *s);
/* Static name, "none" for GP_ROLE_NONE or a mask. */
const char *gp_role_name(enum gp_role r);
/* Whether a role's clients must belong to a department (caseworker, coordinator). */
bool gp_role_needs_department(enum gp_role r);
/* Whether a role's clients are bound to one citizen's CPR (citizen). */
bool gp_role_needs_cpr(enum gp_role r);
/* Comma-separated names of the roles in mask, into buf. */
void gp_role_mask_names(unsigned mask, char *buf, unsigned buflen);

#endif
