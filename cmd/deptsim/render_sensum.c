/* Social, EG Sensum-like: PascalCase, CPR with a hyphen ("DDMMYY-SSSS"), integer case ids,
 * "Paragraph": "SEL § 85" in several spellings, status words Bevilget/Visiteret/Afventer/
 * Afsluttet/Ophørt, start and end as local midnight with an offset, LastModified in UTC with
 * milliseconds. An unknown citizen is not an error in Sensum: 200 with an empty Cases list. */
#include "cmd/deptsim/render.h"

#include "cmd/deptsim/dates.h"

#include <stdio.h>
#include <string.h>

static const char *case_status(const struct ds_case *c)
{
    switch (c->status) {
    case DS_OPEN:
        return c->variant >= 7 ? "Visiteret" : "Bevilget";
    case DS_PLANNED:
        return "Afventer";
    default:
        return c->variant >= 8 ? "Ophørt" : "Afsluttet";
    }
}

static json_t *local_midnight(int day)
{
    if (day == DS_NO_DATE)
        return json_null();
    char buf[26];
    ds_fmt_dk_offset(day, 0, buf);
    return json_string(buf);
}

static json_t *sensum_case(const struct ds_record *r, const struct ds_case *c)
{
    const struct ds_kind *ck = &ds_catalogue(DS_SOCIAL, DS_CAT_CASE)->kinds[c->type];
    const struct ds_catalogue *dcat = ds_catalogue(DS_SOCIAL, DS_ITEM_DOCUMENT);
    struct ds_worker w;
    ds_worker_get(r->seed, r->sys, c->worker, &w);
    char phone[16], number[24], modified[25], created[26];
    snprintf(phone, sizeof phone, "+45%s", w.phone_digits);
    int y, m, d;
    ds_civil_from_days(c->start, &y, &m, &d);
    snprintf(number, sizeof number, "S-%04d-%06llu", y, (unsigned long long)(c->id % 1000000));
    ds_fmt_utc_ms(c->modified_day, c->modified_secs, modified);

    json_t *docs = json_array();
    for (size_t i = 0; i < c->nitems; i++) {
        const struct ds_item *it = &c->items[i];
        if (it->kind != DS_ITEM_DOCUMENT)
            continue;
        ds_fmt_dk_offset(it->start, it->secs, created);
        json_array_append_new(docs,
                              json_pack("{s:I, s:s, s:s, s:s}", "DocumentId",
                                        (json_int_t)(10000000 + it->id % 90000000), "Title",
                                        dcat->kinds[it->type].label, "DocumentType",
                                        dcat->kinds[it->type].code, "CreatedDateTime", created));
    }
    const char *para = ds_case_paragraph(DS_SOCIAL, c);
    return json_pack("{s:I, s:s, s:o, s:s, s:s, s:o, s:o, s:{s:s, s:s, s:s, s:s}, s:o, s:s}",
                     "CaseId", (json_int_t)(1000000 + c->id % 9000000), "CaseNumber", number,
                     "Paragraph", para ? json_string(para) : json_null(), "CaseType", ck->label,
                     "Status", case_status(c), "StartDateTime", local_midnight(c->start),
                     "EndDateTime", local_midnight(c->end), "Caseworker", "Name", w.name, "Phone",
                     phone, "Email", w.email, "Unit", w.unit, "Documents", docs, "LastModified",
                     modified);
}

json_t *ds_render_sensum(const struct ds_record *r, const char *cpr10)
{
    const char *cpr = r ? r->cpr : cpr10;
    char hyphen[12];
    snprintf(hyphen, sizeof hyphen, "%.6s-%.4s", cpr, cpr + 6);
    json_t *cases = json_array();
    for (size_t i = 0; r && i < r->ncases; i++)
        json_array_append_new(cases, sensum_case(r, &r->cases[i]));
    return json_pack("{s:s, s:o, s:o}", "CitizenCpr", hyphen, "CitizenName",
                     r ? json_string(r->name) : json_null(), "Cases", cases);
}
