#include "lib/core/role.h"

#include <stdio.h>
#include <string.h>

static const struct {
    enum gp_role role;
    const char *name;
} roles[] = {
    {GP_ROLE_CASEWORKER, "caseworker"}, {GP_ROLE_COORDINATOR, "coordinator"},
    {GP_ROLE_ANALYST, "analyst"},       {GP_ROLE_AUDITOR, "auditor"},
    {GP_ROLE_ADMIN, "admin"},           {GP_ROLE_CITIZEN, "citizen"},
};

enum gp_role gp_role_parse(const char *s)
{
    for (size_t i = 0; s && i < sizeof roles / sizeof roles[0]; i++) {
        if (!strcmp(s, roles[i].name))
            return roles[i].role;
    }
    return GP_ROLE_NONE;
}

const char *gp_role_name(enum gp_role r)
{
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if (roles[i].role == r)
            return roles[i].name;
    }
    return "none";
}

bool gp_role_needs_department(enum gp_role r)
{
    return r == GP_ROLE_CASEWORKER || r == GP_ROLE_COORDINATOR;
}

bool gp_role_needs_cpr(enum gp_role r)
{
    return r == GP_ROLE_CITIZEN;
}

void gp_role_mask_names(unsigned mask, char *buf, unsigned buflen)
{
    size_t off = 0;
    buf[0] = '\0';
    for (size_t i = 0; i < sizeof roles / sizeof roles[0]; i++) {
        if (!(mask & roles[i].role))
            continue;
        int n = snprintf(buf + off, buflen - off, "%s%s", off ? ", " : "", roles[i].name);
        if (n < 0 || (size_t)n >= buflen - off)
            return;
        off += (size_t)n;
    }
}
