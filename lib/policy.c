#include "lib/policy.h"

#include <string.h>

const char *gp_visibility_name(enum gp_visibility v)
{
    switch (v) {
    case GP_VIS_FULL:
        return "full";
    case GP_VIS_SUMMARY:
        return "summary";
    case GP_VIS_EXISTENCE:
        return "existence";
    default:
        return "hidden";
    }
}

static bool same_department(const struct gp_policy_caller *c, const struct gp_policy_record *r)
{
    return c->department && *c->department && r->department &&
           !strcmp(c->department, r->department);
}

enum gp_visibility gp_policy_decide(const struct gp_policy_caller *c,
                                    const struct gp_policy_record *r)
{
    /* Only the roles that read case data see any record at all. */
    if (c->role != GP_ROLE_CASEWORKER && c->role != GP_ROLE_COORDINATOR)
        return GP_VIS_HIDDEN;
    if (same_department(c, r))
        return GP_VIS_FULL;
    /* Types the municipalities do not share across departments (boligsikring, friplads, ...)
     * are hidden from everyone else, always: not even their existence shows. */
    if (!r->cross_department)
        return GP_VIS_HIDDEN;
    /* Target-group identification may see a summary of ongoing services (legal basis, name,
     * caseworker contact) without consent; nothing past or planned. */
    if (c->purpose && !strcmp(c->purpose, "target_group_identification"))
        return r->status && !strcmp(r->status, "open") ? GP_VIS_SUMMARY : GP_VIS_EXISTENCE;
    return GP_VIS_EXISTENCE;
}
