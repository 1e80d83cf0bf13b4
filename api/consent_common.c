/* What the consent, block and override routes share. */
#include "api/consent_common.h"

#include "lib/core/purpose.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

const char *gp_consent_status(const char *valid_from, const char *valid_until,
                              const char *withdrawn_at, const char *today)
{
    if (withdrawn_at && withdrawn_at[0])
        return "withdrawn";
    if (strcmp(today, valid_from) < 0)
        return "pending";
    if (valid_until && valid_until[0] && strcmp(valid_until, today) < 0)
        return "expired";
    return "active";
}

json_t *gp_json_string_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

json_t *gp_consent_history_json(const struct gp_consent_event_list *h)
{
    json_t *list = json_array();
    for (size_t i = 0; h && i < h->n; i++) {
        const struct gp_consent_event *e = &h->items[i];
        json_t *o =
            json_pack("{s:s, s:s, s:I}", "event", e->event, "at", e->at, "by", (json_int_t)e->by);
        json_object_set_new(o, "reason", gp_json_string_or_null(e->reason));
        json_array_append_new(list, o);
    }
    return list;
}

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
