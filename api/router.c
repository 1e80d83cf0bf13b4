#include "api/router.h"

#include <stdio.h>
#include <string.h>

/* Matches one pattern against a path, segment by segment, collecting parameters. */
static bool match_pattern(const char *pattern, const char *path, struct gp_path_params *params)
{
    params->n = 0;
    const char *pp = pattern, *up = path;
    while (*pp && *up) {
        if (*pp != '/' || *up != '/')
            return false;
        pp++;
        up++;
        const char *pend = strchr(pp, '/');
        const char *uend = strchr(up, '/');
        size_t plen = pend ? (size_t)(pend - pp) : strlen(pp);
        size_t ulen = uend ? (size_t)(uend - up) : strlen(up);
        if (plen >= 2 && pp[0] == '{' && pp[plen - 1] == '}') {
            if (ulen == 0 || ulen > GP_ROUTE_PARAM_MAX || params->n == GP_ROUTE_MAX_PARAMS ||
                plen - 2 >= sizeof params->p[0].name)
                return false;
            memcpy(params->p[params->n].name, pp + 1, plen - 2);
            params->p[params->n].name[plen - 2] = '\0';
            memcpy(params->p[params->n].value, up, ulen);
            params->p[params->n].value[ulen] = '\0';
            params->n++;
        } else if (plen != ulen || memcmp(pp, up, plen) != 0) {
            return false;
        }
        pp += plen;
        up += ulen;
    }
    return *pp == '\0' && *up == '\0';
}

enum gp_route_match gp_router_match(const struct gp_route *table, const char *method,
                                    const char *path, size_t *index, struct gp_path_params *params,
                                    char *allow, size_t allow_len)
{
    bool path_known = false;
    size_t off = 0;
    if (allow_len)
        allow[0] = '\0';
    for (size_t i = 0; table[i].pattern; i++) {
        struct gp_path_params tmp;
        if (!match_pattern(table[i].pattern, path, &tmp))
            continue;
        if (!strcmp(table[i].method, method)) {
            *index = i;
            *params = tmp;
            return GP_ROUTE_FOUND;
        }
        path_known = true;
        if (off < allow_len && !strstr(allow, table[i].method)) {
            int n =
                snprintf(allow + off, allow_len - off, "%s%s", off ? ", " : "", table[i].method);
            if (n > 0)
                off += (size_t)n;
        }
    }
    return path_known ? GP_ROUTE_WRONG_METHOD : GP_ROUTE_NOT_FOUND;
}

const char *gp_path_param(const struct gp_path_params *params, const char *name)
{
    for (size_t i = 0; i < params->n; i++) {
        if (!strcmp(params->p[i].name, name))
            return params->p[i].value;
    }
    return NULL;
}

size_t gp_router_count(const struct gp_route *table)
{
    size_t n = 0;
    while (table[n].pattern)
        n++;
    return n;
}
