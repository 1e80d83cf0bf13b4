/* The CPR list: the target-group search (analyst role). Routed by api/routes.c as
 *
 *   {"POST", "/v1/target-group/searches", gp_handle_target_group_search, GP_ROLE_ANALYST, true,
 *    NULL},
 */
#ifndef GP_API_TARGET_GROUP_H
#define GP_API_TARGET_GROUP_H

struct gp_request;

/* POST /v1/target-group/searches */
void gp_handle_target_group_search(struct gp_request *req);

#endif
