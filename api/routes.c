/* The one routing table. Roles: personal data is read by caseworkers and coordinators (their
 * department decides what they see); analysts search target groups; auditors read the audit
 * log; admins manage clients and sources and read no personal data. */
#include "api/handlers.h"
#include "lib/role.h"

#define PERSONAL (GP_ROLE_CASEWORKER | GP_ROLE_COORDINATOR)

static const char *const q_purpose[] = {"purpose", NULL};
static const char *const q_overview[] = {"purpose", "refresh", NULL};
static const char *const q_cases[] = {"purpose", "refresh", "area",   "data_type", "status",
                                      "since",   "limit",   "cursor", NULL};

const struct gp_route gp_routes[] = {
    {"GET", "/healthz", gp_handle_healthz, 0, false, NULL},
    {"GET", "/readyz", gp_handle_readyz, 0, false, NULL},
    {"GET", "/metrics", gp_handle_metrics, 0, false, NULL},
    {"GET", "/v1/openapi.yaml", gp_handle_openapi, 0, false, NULL},
    {"GET", "/v1/citizens/{cpr}", gp_handle_citizen_get, PERSONAL, false, q_purpose},
    {"GET", "/v1/citizens/{cpr}/overview", gp_handle_overview, PERSONAL, false, q_overview},
    {"GET", "/v1/citizens/{cpr}/cases", gp_handle_cases, PERSONAL, false, q_cases},
    {"GET", "/v1/sources", gp_handle_sources, GP_ROLES_ALL, false, NULL},
    {"GET", "/v1/clients", gp_handle_clients_list, GP_ROLE_ADMIN, false, NULL},
    {"POST", "/v1/clients", gp_handle_clients_post, GP_ROLE_ADMIN, true, NULL},
    {"GET", "/v1/clients/{id}", gp_handle_client_get, GP_ROLE_ADMIN, false, NULL},
    {"POST", "/v1/clients/{id}/revoke", gp_handle_client_revoke, GP_ROLE_ADMIN, false, NULL},
    {NULL, NULL, NULL, 0, false, NULL},
};
