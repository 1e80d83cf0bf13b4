/* Parameter handling shared by the /v1/citizens/{cpr}... routes. */
#ifndef GP_CITIZEN_COMMON_H
#define GP_CITIZEN_COMMON_H

#include "lib/core/cpr.h"
#include "lib/sharing/policy.h"

#include <stdbool.h>

struct gp_request;

/* Parses the {cpr} path parameter; answers 400 invalid-cpr and returns false when it is not
 * a valid CPR number (including a birth date in the future), and 403 when the caller is a
 * citizen and this is not their own CPR. */
bool gp_citizen_cpr_param(struct gp_request *req, struct gp_cpr *cpr);

/* Whether the caller may read and act for citizen cpr: any caller but a citizen (the route and
 * the policy decide for them), and a citizen for their own CPR only. Pure. */
bool gp_citizen_may_act_for(const struct gp_request *req, const char *cpr);
/* The 403 for a citizen asking about someone else (rule "citizen_self"). */
void gp_citizen_reply_not_own(struct gp_request *req);

/* Checks the stated purpose (X-Purpose header and/or purpose query, else the token's default):
 * answers 400 naming `purpose` when it is unknown, when header and query disagree, or when
 * required and there is none. */
bool gp_citizen_purpose_check(struct gp_request *req, bool required);

/* The check for reads of personal data: a purpose is required, except for auditors (who read
 * to supervise the processing, which no purpose of the vocabulary describes). */
bool gp_citizen_purpose_ok(struct gp_request *req);

/* The stated purpose, else the token's default, else NULL. */
const char *gp_citizen_purpose(struct gp_request *req);

/* The caller as the policy sees it. */
struct gp_policy_caller gp_citizen_caller(struct gp_request *req);

/* An audit entry for a read of cpr's data by this request's caller: client, role, department,
 * purpose and its legal basis, route, request id; action "read". The caller adds sources and
 * visibility. */
struct gp_audit_entry;
void gp_citizen_audit_entry(struct gp_request *req, const char *cpr, struct gp_audit_entry *e);

#endif
