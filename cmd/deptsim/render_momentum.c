/* Job centre, KMD Momentum-like: Danish snake_case, plain dates "YYYY-MM-DD", timestamps in
 * Danish local time without an offset (a Momentum habit the adapter must know), UUIDs,
 * statuses aktiv/afsluttet/planlagt on forløb and igang/afsluttet/planlagt/afbrudt on
 * aktiviteter, telephone numbers as "72 20 01 17". */
#include "cmd/deptsim/render.h"

#include "cmd/deptsim/dates.h"

#include <stdio.h>
#include <string.h>

static int count_spellings(const char *const *para, int max)
{
    int n = 0;
    while (n < max && para[n])
        n++;
    return n;
}

const char *ds_case_paragraph(enum ds_system s, const struct ds_case *c)
{
    const struct ds_catalogue *cat = ds_catalogue(s, DS_CAT_CASE);
    if (c->type < 0 || (size_t)c->type >= cat->n)
        return NULL;
    const struct ds_kind *k = &cat->kinds[c->type];
    if (s == DS_FAMILY && c->new_paragraph && k->para_new[0]) {
        int n = count_spellings(k->para_new, 3);
        return k->para_new[c->para_variant < n ? c->para_variant : 0];
    }
    int n = count_spellings(k->para, 4);
    if (n == 0)
        return NULL;
    return k->para[c->para_variant < n ? c->para_variant : 0];
}

static json_t *date_or_null(int day)
{
    if (day == DS_NO_DATE)
        return json_null();
    char buf[11];
    ds_fmt_date(day, buf);
    return json_string(buf);
}

static json_t *str_or_null(const char *s)
{
    return s ? json_string(s) : json_null();
}

static const char *forloeb_status(enum ds_status st)
{
    return st == DS_OPEN ? "aktiv" : st == DS_CLOSED ? "afsluttet" : "planlagt";
}

static const char *aktivitet_status(const struct ds_item *it)
{
    switch (it->status) {
    case DS_OPEN:
        return "igang";
    case DS_PLANNED:
        return "planlagt";
    default:
        return it->variant == 9 ? "afbrudt" : "afsluttet";
    }
}

static json_t *sagsbehandler(const struct ds_record *r, const struct ds_case *c)
{
    struct ds_worker w;
    ds_worker_get(r->seed, r->sys, c->worker, &w);
    char tel[12];
    const char *d = w.phone_digits;
    snprintf(tel, sizeof tel, "%.2s %.2s %.2s %.2s", d, d + 2, d + 4, d + 6);
    return json_pack("{s:s, s:s, s:s, s:s}", "navn", w.name, "telefon", tel, "email", w.email,
                     "enhed", w.unit);
}

static json_t *forloeb(const struct ds_record *r, const struct ds_case *c)
{
    const struct ds_kind *ck = &ds_catalogue(DS_JOBCENTRE, DS_CAT_CASE)->kinds[c->type];
    const struct ds_catalogue *bcat = ds_catalogue(DS_JOBCENTRE, DS_ITEM_BENEFIT);
    const struct ds_catalogue *acat = ds_catalogue(DS_JOBCENTRE, DS_ITEM_ACTIVITY);
    const struct ds_catalogue *dcat = ds_catalogue(DS_JOBCENTRE, DS_ITEM_DOCUMENT);
    json_t *ydelser = json_array(), *aktiviteter = json_array(), *dokumenter = json_array();
    char id[37], ts[20];
    for (size_t i = 0; i < c->nitems; i++) {
        const struct ds_item *it = &c->items[i];
        ds_fmt_uuid(it->id, id);
        switch (it->kind) {
        case DS_ITEM_BENEFIT:
            json_array_append_new(ydelser, json_pack("{s:s, s:s, s:o, s:o}", "ydelse_kode",
                                                     bcat->kinds[it->type].code, "ydelse_navn",
                                                     bcat->kinds[it->type].label, "bevilget_fra",
                                                     date_or_null(it->start), "bevilget_til",
                                                     date_or_null(it->end)));
            break;
        case DS_ITEM_ACTIVITY:
            json_array_append_new(
                aktiviteter, json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:o}", "aktivitet_id", id,
                                       "aktivitetstype", acat->kinds[it->type].code, "beskrivelse",
                                       acat->kinds[it->type].label, "lovgrundlag",
                                       str_or_null(acat->kinds[it->type].para[0]), "status",
                                       aktivitet_status(it), "start_dato", date_or_null(it->start),
                                       "slut_dato", date_or_null(it->end)));
            break;
        case DS_ITEM_DOCUMENT:
            json_array_append_new(dokumenter, json_pack("{s:s, s:s, s:s, s:o}", "dokument_id", id,
                                                        "dokumenttype", dcat->kinds[it->type].code,
                                                        "titel", dcat->kinds[it->type].label,
                                                        "dato", date_or_null(it->start)));
            break;
        default:
            break;
        }
    }
    ds_fmt_uuid(c->id, id);
    ds_fmt_dk_naive(c->modified_day, c->modified_secs, ts);
    return json_pack("{s:s, s:s, s:s, s:o, s:s, s:o, s:o, s:o, s:o, s:o, s:o, s:s}", "forloeb_id",
                     id, "forloebstype", ck->code, "forloebstype_tekst", ck->label, "lovgrundlag",
                     str_or_null(ds_case_paragraph(DS_JOBCENTRE, c)), "status",
                     forloeb_status(c->status), "start_dato", date_or_null(c->start), "slut_dato",
                     date_or_null(c->end), "sagsbehandler", sagsbehandler(r, c), "ydelser", ydelser,
                     "aktiviteter", aktiviteter, "dokumenter", dokumenter, "sidst_aendret", ts);
}

json_t *ds_render_momentum(const struct ds_record *r)
{
    json_t *list = json_array();
    for (size_t i = 0; i < r->ncases; i++)
        json_array_append_new(list, forloeb(r, &r->cases[i]));
    int day, secs;
    ds_record_modified(r, &day, &secs);
    char ts[20], birth[11];
    ds_fmt_dk_naive(day, secs, ts);
    ds_fmt_date(r->birth, birth);
    return json_pack("{s:{s:s, s:s, s:s}, s:o, s:s}", "borger", "cpr_nummer", r->cpr, "navn",
                     r->name, "foedselsdato", birth, "forloeb", list, "opdateret", ts);
}
