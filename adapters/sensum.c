/* Social services, EG Sensum-like JSON (PascalCase).
 *
 *   lookup  GET <base>/sensum/api/Citizens/<cpr>/Cases
 *           {"CitizenCpr": "DDMMYY-SSSS", "CitizenName", "Cases": [...]}
 *           An unknown citizen is 200 with an empty Cases list (CitizenName null).
 *   export  GET <base>/sensum/api/Export?continuationToken=<t>&pageSize=<n>   (1-500)
 *           {"Items": [<lookup bodies>], "Count", "ContinuationToken": "..." | null}
 *   errors  {"Message": "..."} (with "ModelState" for a bad CPR)
 *
 *   native          kind      data_type           source_code / legal_basis_raw
 *   Cases[]         case      grant               CaseType (Sensum has no type code, only
 *                                                 the type's name) / Paragraph
 *   Documents[]     document  by DocumentType      the case's
 *                             (gp_ad_document_type: Handleplan plan, Journalnotat
 *                             journal_note, Afgørelse decision, Udredning and Statusnotat
 *                             assessment)
 *
 * Every Sensum case is a granted or visited service (bevilling, visitation), hence grant.
 *
 * Status words (folded):
 *   bevilget, visiteret, aktiv                    open
 *   afventer, planlagt                            planned
 *   afsluttet, ophoert, lukket, annulleret,
 *   afslaaet                                      closed
 *   anything else                                 from the dates
 *   documents                                     from the dates: closed once written
 *
 * source_ref is "case/<CaseId>" and "document/<DocumentId>": Sensum numbers cases and
 * documents separately, so the bare numbers could collide. StartDateTime/EndDateTime are local
 * midnight with an offset; LastModified is UTC ("...Z") and kept as written. */
#include "adapters/adapter_internal.h"

#include <stdio.h>
#include <string.h>

static const struct gp_ad_status_word status_words[] = {
    {"bevilget", "open"},
    {"visiteret", "open"},
    {"aktiv", "open"},
    {"afventer", "planned"},
    {"planlagt", "planned"},
    {"afsluttet", "closed"},
    {"ophoert", "closed"},
    {"lukket", "closed"},
    {"annulleret", "closed"},
    {"afslaaet", "closed"},
    {NULL, NULL},
};

static bool documents(const json_t *k, const struct gp_record *c, struct gp_record_list *out,
                      char *err, size_t errlen)
{
    json_t *arr = gp_ad_arr(k, "Documents");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *d = gp_ad_arr_obj(arr, i);
        if (!d)
            return gp_ad_fail(err, errlen, "sensum: Documents[%zu] of %s is not an object", i,
                              c->source_ref);
        char id[64];
        if (!gp_ad_id(d, "DocumentId", id, sizeof id))
            return gp_ad_fail(err, errlen, "sensum: a document of %s has no DocumentId",
                              c->source_ref);
        char ref[96];
        snprintf(ref, sizeof ref, "document/%s", id);
        struct gp_record *r = gp_ad_document(out, c, ref, gp_ad_str(d, "DocumentType"),
                                             gp_ad_str(d, "Title"), err, errlen);
        if (!r)
            return false;
        gp_ad_local_date(gp_ad_str(d, "CreatedDateTime"), false, false, r->document_date);
        gp_ad_child_done(r, c);
    }
    return true;
}

static bool parse_citizen(const json_t *root, const char *cpr, struct gp_record_list *out,
                          char *err, size_t errlen)
{
    json_t *cases = gp_ad_arr(root, "Cases");
    if (!cases)
        return gp_ad_fail(err, errlen, "sensum: the answer has no Cases array");
    for (size_t i = 0; i < json_array_size(cases); i++) {
        json_t *k = gp_ad_arr_obj(cases, i);
        char id[64];
        if (!k)
            return gp_ad_fail(err, errlen, "sensum: Cases[%zu] is not an object", i);
        if (!gp_ad_id(k, "CaseId", id, sizeof id))
            return gp_ad_fail(err, errlen, "sensum: Cases[%zu] has no CaseId", i);
        struct gp_record *r = gp_ad_add(out, err, errlen);
        if (!r)
            return false;
        char ref[96];
        snprintf(ref, sizeof ref, "case/%s", id);
        const char *type = gp_ad_str(k, "CaseType");
        json_t *w = gp_ad_obj(k, "Caseworker");
        GP_REC_SET(r->cpr, cpr);
        if (!gp_ad_ref(r, ref, err, errlen))
            return false;
        GP_REC_SET(r->source_code, type);
        GP_REC_SET(r->legal_basis_raw, gp_ad_str(k, "Paragraph"));
        GP_REC_SET(r->data_type, "grant");
        GP_REC_SET(r->kind, "case");
        GP_REC_SET(r->title, gp_ad_has(type) ? type : gp_ad_str(k, "CaseNumber"));
        gp_ad_local_date(gp_ad_str(k, "StartDateTime"), false, false, r->start_date);
        gp_ad_local_date(gp_ad_str(k, "EndDateTime"), false, false, r->end_date);
        GP_REC_SET(r->unit, gp_ad_str(w, "Unit"));
        GP_REC_SET(r->caseworker_name, gp_ad_str(w, "Name"));
        gp_ad_contact(r, gp_ad_str(w, "Phone"), gp_ad_str(w, "Email"));
        gp_ad_updated(gp_ad_str(k, "LastModified"), r->source_updated, sizeof r->source_updated);
        const char *st = NULL;
        if (gp_ad_status_lookup(status_words, gp_ad_str(k, "Status"), &st) == GP_AD_STATUS_KNOWN)
            GP_REC_SET(r->status, st);
        else
            gp_ad_status_from_dates(r);
        gp_ad_finish(r);
        struct gp_record c = *r; /* documents() may move the list */
        if (!documents(k, &c, out, err, errlen))
            return false;
    }
    return true;
}

static bool lookup_url(const char *base_url, const char *cpr, char *url, size_t len)
{
    size_t o;
    return gp_ad_cpr10(cpr) && gp_ad_url_base(base_url, url, len, &o) &&
           gp_ad_url_add(url, len, &o, "/sensum/api/Citizens/%s/Cases", cpr);
}

static bool parse_lookup(const char *cpr, const char *body, size_t len, struct gp_record_list *out,
                         char *err, size_t errlen)
{
    size_t n0 = out->n;
    json_t *root = gp_ad_load_object(body, len, "sensum", err, errlen);
    if (!root)
        return false;
    bool ok = false;
    char who[11];
    const char *asked = gp_ad_str(root, "CitizenCpr");
    if (!gp_ad_arr(root, "Cases") && gp_ad_str(root, "Message")) {
        gp_ad_fail(err, errlen, "sensum: error: %.200s", gp_ad_str(root, "Message"));
    } else if (asked && (!gp_ad_cpr(asked, who) || strcmp(who, cpr) != 0)) {
        gp_ad_fail(err, errlen, "sensum: the answer is about another citizen");
    } else {
        ok = parse_citizen(root, cpr, out, err, errlen);
    }
    json_decref(root);
    if (!ok)
        out->n = n0;
    return ok;
}

static bool export_url(const char *base_url, const char *cursor, int limit, char *url, size_t len)
{
    return gp_ad_export_url(base_url, "/sensum/api/Export", "continuationToken", "pageSize", 500,
                            cursor, limit, url, len);
}

static bool parse_export(const char *body, size_t len, struct gp_export_page *out, char *err,
                         size_t errlen)
{
    size_t n0 = out->records.n;
    json_t *root = gp_ad_load_object(body, len, "sensum export", err, errlen);
    if (!root)
        return false;
    bool ok = false;
    json_t *items = gp_ad_arr(root, "Items");
    json_t *next = json_object_get(root, "ContinuationToken");
    if (!items) {
        gp_ad_fail(err, errlen, "sensum export: the answer has no Items array");
        goto done;
    }
    if (next && !json_is_string(next) && !json_is_null(next)) {
        gp_ad_fail(err, errlen, "sensum export: ContinuationToken is not a string");
        goto done;
    }
    if (!gp_ad_export_citizens(items, NULL, "CitizenCpr", parse_citizen, &out->records, err,
                               errlen))
        goto done;
    ok = gp_ad_set_cursor(out, json_is_string(next) ? json_string_value(next) : "", err, errlen);
done:
    json_decref(root);
    if (!ok)
        out->records.n = n0;
    return ok;
}

const struct gp_adapter gp_adapter_sensum = {
    .kind = "sensum",
    .accept = "application/json",
    .lookup_url = lookup_url,
    .parse_lookup = parse_lookup,
    .export_url = export_url,
    .parse_export = parse_export,
};
