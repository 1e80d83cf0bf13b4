/* Entry points of the lawful-sharing routes (consents, blocks, break-glass overrides, the
 * audit log and the citizen's access log); the table that ties them to paths is api/routes.c.
 * Kept apart from api/handlers.h only so that the two could be written at the same time. */
#ifndef GP_SHARING_HANDLERS_H
#define GP_SHARING_HANDLERS_H

struct gp_request;

/* POST /v1/citizens/{cpr}/consents */
void gp_handle_consents_post(struct gp_request *req);
/* GET /v1/citizens/{cpr}/consents */
void gp_handle_consents_list(struct gp_request *req);
/* GET /v1/consents/{id} */
void gp_handle_consent_get(struct gp_request *req);
/* POST /v1/consents/{id}/withdraw */
void gp_handle_consent_withdraw(struct gp_request *req);

/* POST /v1/citizens/{cpr}/blocks */
void gp_handle_blocks_post(struct gp_request *req);
/* GET /v1/citizens/{cpr}/blocks */
void gp_handle_blocks_list(struct gp_request *req);
/* GET /v1/blocks/{id} */
void gp_handle_block_get(struct gp_request *req);
/* POST /v1/blocks/{id}/withdraw */
void gp_handle_block_withdraw(struct gp_request *req);

/* POST /v1/citizens/{cpr}/overrides */
void gp_handle_overrides_post(struct gp_request *req);
/* GET /v1/citizens/{cpr}/overrides */
void gp_handle_overrides_list(struct gp_request *req);

/* GET /v1/citizens/{cpr}/access-log */
void gp_handle_access_log(struct gp_request *req);
/* GET /v1/audit */
void gp_handle_audit_search(struct gp_request *req);
/* GET /v1/audit/verify */
void gp_handle_audit_verify(struct gp_request *req);

#endif
