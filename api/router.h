/* The routing table: method, path pattern with {parameters}, handler, the roles that may call
 * it, and what it accepts. One table for the whole server, in api/routes.c. Matching is pure
 * and unit-tested. */
#ifndef GP_ROUTER_H
#define GP_ROUTER_H

#include <stdbool.h>
#include <stddef.h>

struct gp_request;
typedef void (*gp_handler_fn)(struct gp_request *req);

#define GP_ROUTE_MAX_PARAMS 4
#define GP_ROUTE_PARAM_MAX  128

struct gp_route {
    const char *method;  /* "GET", "POST", ... */
    const char *pattern; /* "/v1/citizens/{cpr}": literal segments and whole-segment params */
    gp_handler_fn handler;
    unsigned roles;           /* gp_role mask that may call it; 0 = public, no token */
    bool json_body;           /* takes an application/json body */
    const char *const *query; /* allowed query parameters (NULL-terminated), NULL = none */
};

struct gp_path_params {
    size_t n;
    struct {
        char name[32];
        char value[GP_ROUTE_PARAM_MAX + 1];
    } p[GP_ROUTE_MAX_PARAMS];
};

enum gp_route_match { GP_ROUTE_FOUND, GP_ROUTE_NOT_FOUND, GP_ROUTE_WRONG_METHOD };

/* Matches method and path (no query string) against table (terminated by pattern == NULL).
 * FOUND: *index and *params set. WRONG_METHOD: the path exists; allow gets the methods that
 * do exist, comma-separated ("GET, POST"). A literal segment matches exactly; a parameter
 * matches one non-empty segment of at most GP_ROUTE_PARAM_MAX bytes. A trailing slash does not
 * match. */
enum gp_route_match gp_router_match(const struct gp_route *table, const char *method,
                                    const char *path, size_t *index, struct gp_path_params *params,
                                    char *allow, size_t allow_len);

/* The value of a path parameter, or NULL. */
const char *gp_path_param(const struct gp_path_params *params, const char *name);

/* Number of routes in table. */
size_t gp_router_count(const struct gp_route *table);

#endif
