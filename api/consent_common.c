/* Helpers of the routes that write audit rows of their own (api/consent_common.h). */
#include "api/consent_common.h"

#include "lib/core/purpose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

void gp_audit_set_purpose(struct gp_audit_entry *e, const char *purpose)
{
    const struct gp_purpose *p = gp_purpose_find(purpose);
    snprintf(e->purpose, sizeof e->purpose, "%s", p ? p->code : "");
    snprintf(e->legal_basis, sizeof e->legal_basis, "%s", p ? p->legal_basis : "");
}

void gp_audit_set_details(struct gp_audit_entry *e, json_t *details)
{
    char *text = details ? json_dumps(details, JSON_COMPACT | JSON_PRESERVE_ORDER) : NULL;
    json_decref(details);
    if (text && strlen(text) < sizeof e->details)
        snprintf(e->details, sizeof e->details, "%s", text);
    else
        snprintf(e->details, sizeof e->details, "%s", text ? "{\"truncated\":true}" : "");
    free(text);
}
