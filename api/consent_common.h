/* Helpers of the routes that write audit rows of their own: the sharing rules' routes
 * (api/rule_routes.c) and the audit routes. A consent's or block's status on a date is
 * lib/sharing/rule.h's gp_consent_status. */
#ifndef GP_CONSENT_COMMON_H
#define GP_CONSENT_COMMON_H

#include "lib/sharing/audit.h"
#include "lib/sharing/rule.h"

#include <jansson.h>

/* Sets e's purpose and its legal basis to purpose (a vocabulary code), or clears both for
 * NULL or an unknown code. */
void gp_audit_set_purpose(struct gp_audit_entry *e, const char *purpose);

/* Writes details (taken) into e->details as compact JSON; an object that does not fit is
 * replaced by {"truncated": true}. */
void gp_audit_set_details(struct gp_audit_entry *e, json_t *details);

#endif
