/* Entry points of the handlers, one per route; the table that ties them to paths is
 * api/routes.c. Each comment names the URL. */
#ifndef GP_HANDLERS_H
#define GP_HANDLERS_H

#include "api/router.h"

struct gp_request;

/* GET /healthz */
void gp_handle_healthz(struct gp_request *req);
/* GET /readyz */
void gp_handle_readyz(struct gp_request *req);
/* GET /metrics */
void gp_handle_metrics(struct gp_request *req);
/* GET /v1/openapi.yaml */
void gp_handle_openapi(struct gp_request *req);

/* GET /v1/citizens/{cpr} */
void gp_handle_citizen_get(struct gp_request *req);

/* GET /v1/citizens/{cpr}/overview */
void gp_handle_overview(struct gp_request *req);
/* GET /v1/citizens/{cpr}/overview/stream */
void gp_handle_overview_stream(struct gp_request *req);
/* GET /v1/citizens/{cpr}/cases */
void gp_handle_cases(struct gp_request *req);
/* GET /v1/citizens/{cpr}/timeline */
void gp_handle_timeline(struct gp_request *req);
/* GET /v1/citizens/{cpr}/recommendations */
void gp_handle_recommendations(struct gp_request *req);
/* GET /v1/me */
void gp_handle_me(struct gp_request *req);
/* GET /v1/sources */
void gp_handle_sources(struct gp_request *req);

/* POST /v1/clients */
void gp_handle_clients_post(struct gp_request *req);
/* GET /v1/clients */
void gp_handle_clients_list(struct gp_request *req);
/* GET /v1/clients/{id} */
void gp_handle_client_get(struct gp_request *req);
/* POST /v1/clients/{id}/approve */
void gp_handle_client_approve(struct gp_request *req);
/* POST /v1/clients/{id}/revoke */
void gp_handle_client_revoke(struct gp_request *req);

/* The routing table, terminated by an entry whose pattern is NULL. */
extern const struct gp_route gp_routes[];

#endif
