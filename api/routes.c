/* The one routing table. Roles: personal data is read by caseworkers and coordinators (their
 * department decides what they see), who also record consents and blocks on the citizen's
 * behalf; only coordinators may break the glass; analysts search target groups; auditors read
 * the audit log, check its chain, and read a citizen's access log, consents, blocks and
 * overrides (what the rules say, to supervise them); admins manage
 * clients and sources and read no personal data. The citizen (bound to one CPR by their token;
 * api/citizen_common.c refuses any other) reads their own overview, cases, timeline, access log
 * and overrides, and records and withdraws their own consents and blocks (a citizen signs in with
 * MitID at the identity provider, or holds a key made for them); never the CPR list, the audit
 * search, clients or sources. Which purpose each role may claim on each route is data (table
 * role_purpose, migration 0016), checked with the token. tests/integration/itest_matrix.c holds the
 * expected answer of every route for every role: a route added here needs a row there. */
#include "api/handlers.h"
#include "api/sharing_handlers.h"
#include "api/target_group.h"
#include "lib/core/role.h"

#define PERSONAL (GP_ROLE_CASEWORKER | GP_ROLE_COORDINATOR)
#define OWN      (PERSONAL | GP_ROLE_CITIZEN) /* and the citizen, for their own CPR */

static const char *const q_purpose[] = {"purpose", NULL};
static const char *const q_overview[] = {"purpose", "refresh", NULL};
static const char *const q_access_log[] = {"purpose", "limit", "cursor", NULL};
static const char *const q_audit[] = {
    "cpr", "client", "action", "recorder_benefits", "from", "to", "limit", "cursor", NULL};
static const char *const q_cases[] = {"purpose", "refresh", "area",   "data_type", "status",
                                      "since",   "limit",   "cursor", NULL};
static const char *const q_timeline[] = {"purpose", "refresh", "from", "to", "area", NULL};

const struct gp_route gp_routes[] = {
    {"GET", "/healthz", gp_handle_healthz, 0, false, NULL},
    {"GET", "/readyz", gp_handle_readyz, 0, false, NULL},
    {"GET", "/metrics", gp_handle_metrics, 0, false, NULL},
    {"GET", "/v1/openapi.yaml", gp_handle_openapi, 0, false, NULL},
    {"GET", "/v1/citizens/{cpr}", gp_handle_citizen_get, OWN, false, q_purpose},
    {"GET", "/v1/citizens/{cpr}/overview", gp_handle_overview, OWN, false, q_overview},
    {"GET", "/v1/citizens/{cpr}/overview/stream", gp_handle_overview_stream, OWN, false,
     q_overview},
    {"GET", "/v1/citizens/{cpr}/cases", gp_handle_cases, OWN, false, q_cases},
    {"GET", "/v1/citizens/{cpr}/timeline", gp_handle_timeline, OWN, false, q_timeline},
    {"GET", "/v1/citizens/{cpr}/recommendations", gp_handle_recommendations, PERSONAL, false,
     q_overview},
    {"POST", "/v1/citizens/{cpr}/consents", gp_handle_consents_post, OWN, true, NULL},
    {"GET", "/v1/citizens/{cpr}/consents", gp_handle_consents_list, OWN | GP_ROLE_AUDITOR, false,
     q_purpose},
    {"GET", "/v1/consents/{id}", gp_handle_consent_get, OWN | GP_ROLE_AUDITOR, false, q_purpose},
    {"POST", "/v1/consents/{id}/withdraw", gp_handle_consent_withdraw, OWN, true, NULL},
    {"POST", "/v1/citizens/{cpr}/blocks", gp_handle_blocks_post, OWN, true, NULL},
    {"GET", "/v1/citizens/{cpr}/blocks", gp_handle_blocks_list, OWN | GP_ROLE_AUDITOR, false,
     q_purpose},
    {"GET", "/v1/blocks/{id}", gp_handle_block_get, OWN | GP_ROLE_AUDITOR, false, q_purpose},
    {"POST", "/v1/blocks/{id}/withdraw", gp_handle_block_withdraw, OWN, true, NULL},
    {"POST", "/v1/citizens/{cpr}/overrides", gp_handle_overrides_post, GP_ROLE_COORDINATOR, true,
     NULL},
    {"GET", "/v1/citizens/{cpr}/overrides", gp_handle_overrides_list, OWN | GP_ROLE_AUDITOR, false,
     q_purpose},
    {"GET", "/v1/citizens/{cpr}/access-log", gp_handle_access_log, OWN | GP_ROLE_AUDITOR, false,
     q_access_log},
    {"POST", "/v1/target-group/searches", gp_handle_target_group_search, GP_ROLE_ANALYST, true,
     NULL},
    {"GET", "/v1/audit", gp_handle_audit_search, GP_ROLE_AUDITOR, false, q_audit},
    {"GET", "/v1/audit/verify", gp_handle_audit_verify, GP_ROLE_AUDITOR, false, NULL},
    {"GET", "/v1/sources", gp_handle_sources, GP_ROLES_STAFF, false, NULL},
    {"GET", "/v1/me", gp_handle_me, GP_ROLES_ALL, false, NULL},
    {"GET", "/v1/clients", gp_handle_clients_list, GP_ROLE_ADMIN, false, NULL},
    {"POST", "/v1/clients", gp_handle_clients_post, GP_ROLE_ADMIN, true, NULL},
    {"GET", "/v1/clients/{id}", gp_handle_client_get, GP_ROLE_ADMIN, false, NULL},
    {"POST", "/v1/clients/{id}/approve", gp_handle_client_approve, GP_ROLE_ADMIN, false, NULL},
    {"POST", "/v1/clients/{id}/revoke", gp_handle_client_revoke, GP_ROLE_ADMIN, false, NULL},
    {NULL, NULL, NULL, 0, false, NULL},
};
