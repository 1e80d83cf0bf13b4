/* Both health systems, HL7 FHIR R4 JSON: municipal health (Nexus-like: EpisodeOfCare,
 * CarePlan, DocumentReference) and region (EPJ-like: Encounter, EpisodeOfCare,
 * DocumentReference). The patient is referenced by identifier only — {"identifier": {"system":
 * "urn:oid:1.2.208.176.1.2", "value": cpr}} — never by a Patient resource id, as cross-sector
 * Danish FHIR does; the patient search (GET /fhir/Patient?identifier=...) answers a Patient
 * with a logical id that searches take as patient=Patient/<id>. The case manager travels as a
 * contained Practitioner with telecom, because a Reference.display cannot carry a phone number.
 * Status codes are R4's own value sets. */
#include "cmd/deptsim/render.h"

#include "cmd/deptsim/dates.h"

#include <stdio.h>
#include <string.h>

static const char *const type_names[DS_FHIR_NTYPES] = {"EpisodeOfCare", "CarePlan",
                                                       "DocumentReference", "Encounter"};

const char *ds_fhir_type_name(enum ds_fhir_type t)
{
    return ((int)t >= 0 && t < DS_FHIR_NTYPES) ? type_names[t] : "?";
}

int ds_fhir_type_from_name(const char *name, size_t len)
{
    for (int i = 0; name && i < DS_FHIR_NTYPES; i++) {
        if (strlen(type_names[i]) == len && memcmp(type_names[i], name, len) == 0)
            return i;
    }
    return -1;
}

bool ds_fhir_serves(enum ds_system s, enum ds_fhir_type t)
{
    if (s == DS_HEALTH)
        return t == DS_FHIR_EPISODE || t == DS_FHIR_CAREPLAN || t == DS_FHIR_DOCREF;
    if (s == DS_REGION)
        return t == DS_FHIR_EPISODE || t == DS_FHIR_ENCOUNTER || t == DS_FHIR_DOCREF;
    return false;
}

/* Code systems of the two vendors (example-domain URLs: local code systems, not national). */
#define NEXUS_CS "https://nexus.glasby.example/fhir/CodeSystem/"
#define EPJ_CS   "https://epj.glasby.example/fhir/CodeSystem/"

static const char *code_system(enum ds_system s, const char *what)
{
    static const char *const names[] = {"forloebstype", "lovgrundlag", "plantype", "dokumenttype",
                                        "kontakttype"};
    static const char *const nexus[] = {NEXUS_CS "forloebstype", NEXUS_CS "lovgrundlag",
                                        NEXUS_CS "plantype", NEXUS_CS "dokumenttype",
                                        NEXUS_CS "kontakttype"};
    static const char *const epj[] = {EPJ_CS "forloebstype", EPJ_CS "lovgrundlag",
                                      EPJ_CS "plantype", EPJ_CS "dokumenttype",
                                      EPJ_CS "kontakttype"};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++) {
        if (!strcmp(names[i], what))
            return s == DS_HEALTH ? nexus[i] : epj[i];
    }
    return s == DS_HEALTH ? NEXUS_CS "ukendt" : EPJ_CS "ukendt";
}

static json_t *patient_ref(const struct ds_record *r)
{
    return json_pack("{s:{s:s, s:s}, s:s}", "identifier", "system", DS_FHIR_CPR_SYSTEM, "value",
                     r->cpr, "display", r->name);
}

static json_t *period(int start, int end, bool with_time, int start_secs, int end_secs)
{
    json_t *p = json_object();
    char buf[26];
    if (start != DS_NO_DATE) {
        if (with_time)
            ds_fmt_dk_offset(start, start_secs, buf);
        else
            ds_fmt_date(start, buf);
        json_object_set_new(p, "start", json_string(buf));
    }
    if (end != DS_NO_DATE) {
        if (with_time)
            ds_fmt_dk_offset(end, end_secs, buf);
        else
            ds_fmt_date(end, buf);
        json_object_set_new(p, "end", json_string(buf));
    }
    return p;
}

static json_t *meta(int day, int secs)
{
    char buf[26];
    ds_fmt_dk_offset(day, secs, buf);
    return json_pack("{s:s}", "lastUpdated", buf);
}

static json_t *concept(enum ds_system s, const char *what, const struct ds_kind *k)
{
    json_t *codings = json_array();
    json_array_append_new(codings, json_pack("{s:s, s:s, s:s}", "system", code_system(s, what),
                                             "code", k->code, "display", k->label));
    return json_pack("{s:o, s:s}", "coding", codings, "text", k->label);
}

static void ref(char *buf, size_t len, const char *type, uint64_t id)
{
    char hex[17];
    ds_fmt_hex16(id, hex);
    snprintf(buf, len, "%s/%s", type, hex);
}

static const char *episode_status(const struct ds_case *c)
{
    switch (c->status) {
    case DS_OPEN:
        return c->variant == 9 ? "onhold" : "active";
    case DS_PLANNED:
        return c->variant >= 8 ? "waitlist" : "planned";
    default:
        return c->variant == 9 ? "cancelled" : "finished";
    }
}

static json_t *episode(const struct ds_record *r, const struct ds_case *c,
                       const struct ds_worker *wk)
{
    const struct ds_kind *ck = &ds_catalogue(r->sys, DS_CAT_CASE)->kinds[c->type];
    const struct ds_worker w = *wk;
    char id[17], phone[20], idsys[96];
    ds_fmt_hex16(c->id, id);
    const char *d = w.phone_digits;
    snprintf(phone, sizeof phone, "+45 %.2s %.2s %.2s %.2s", d, d + 2, d + 4, d + 6);
    json_t *type = concept(r->sys, "forloebstype", ck);
    const char *para = ds_case_paragraph(r->sys, c);
    if (para)
        json_array_append_new(
            json_object_get(type, "coding"),
            json_pack("{s:s, s:s}", "system", code_system(r->sys, "lovgrundlag"), "code", para));
    json_t *types = json_array();
    json_array_append_new(types, type);
    snprintf(idsys, sizeof idsys, "https://%s.glasby.example/id/forloeb",
             r->sys == DS_HEALTH ? "nexus" : "epj");
    return json_pack(
        "{s:s, s:s, s:o, s:[{s:s, s:s, s:[{s:s, s:[s], s:s}], s:[{s:s, s:s}, {s:s, s:s}]}], "
        "s:[{s:s, s:s}], s:s, s:o, s:o, s:{s:s}, s:o, s:{s:s, s:s}}",
        "resourceType", "EpisodeOfCare", "id", id, "meta", meta(c->modified_day, c->modified_secs),
        "contained", "resourceType", "Practitioner", "id", "cm", "name", "family", w.last, "given",
        w.first, "text", w.name, "telecom", "system", "phone", "value", phone, "system", "email",
        "value", w.email, "identifier", "system", idsys, "value", id, "status", episode_status(c),
        "type", types, "patient", patient_ref(r), "managingOrganization", "display", w.unit,
        "period", period(c->start, c->end, false, 0, 0), "careManager", "reference", "#cm",
        "display", w.name);
}

static const char *careplan_status(enum ds_status st, int variant)
{
    return st == DS_OPEN      ? "active"
           : st == DS_PLANNED ? "draft"
           : variant == 9     ? "revoked"
                              : "completed";
}

static const char *activity_status(enum ds_status st)
{
    return st == DS_OPEN ? "in-progress" : st == DS_PLANNED ? "not-started" : "completed";
}

static json_t *careplan(const struct ds_record *r, const struct ds_case *c,
                        const struct ds_item *cp, const struct ds_worker *wk)
{
    const struct ds_kind *ck = &ds_catalogue(r->sys, DS_CAT_CASE)->kinds[c->type];
    const struct ds_kind *pk = &ds_catalogue(r->sys, DS_ITEM_CAREPLAN)->kinds[cp->type];
    const struct ds_catalogue *acat = ds_catalogue(r->sys, DS_ITEM_ACTIVITY);
    const struct ds_worker w = *wk;
    char id[17], eoc[48], title[160], created[26];
    ds_fmt_hex16(cp->id, id);
    ref(eoc, sizeof eoc, "EpisodeOfCare", c->id);
    snprintf(title, sizeof title, "%s – %s", pk->label, ck->label);
    ds_fmt_dk_offset(cp->start, cp->secs, created);
    json_t *acts = json_array();
    for (size_t i = 0; i < c->nitems; i++) {
        const struct ds_item *it = &c->items[i];
        if (it->kind != DS_ITEM_ACTIVITY)
            continue;
        json_array_append_new(acts, json_pack("{s:{s:s, s:{s:s}, s:s, s:o}}", "detail", "kind",
                                              "ServiceRequest", "code", "text",
                                              acat->kinds[it->type].label, "status",
                                              activity_status(it->status), "scheduledPeriod",
                                              period(it->start, it->end, false, 0, 0)));
    }
    json_t *res = json_pack(
        "{s:s, s:s, s:o, s:s, s:s, s:[o], s:s, s:o, s:o, s:s, s:{s:s}, "
        "s:[{s:s}]}",
        "resourceType", "CarePlan", "id", id, "meta", meta(c->modified_day, c->modified_secs),
        "status", careplan_status(cp->status, c->variant), "intent", "plan", "category",
        concept(r->sys, "plantype", pk), "title", title, "subject", patient_ref(r), "period",
        period(cp->start, cp->end, false, 0, 0), "created", created, "author", "display", w.name,
        "supportingInfo", "reference", eoc);
    if (json_array_size(acts) > 0)
        json_object_set_new(res, "activity", acts);
    else
        json_decref(acts);
    return res;
}

static json_t *docref(const struct ds_record *r, const struct ds_case *c, const struct ds_item *it,
                      const struct ds_worker *wk)
{
    const struct ds_kind *dk = &ds_catalogue(r->sys, DS_ITEM_DOCUMENT)->kinds[it->type];
    const struct ds_worker w = *wk;
    char id[17], eoc[48], date[26];
    ds_fmt_hex16(it->id, id);
    ref(eoc, sizeof eoc, "EpisodeOfCare", c->id);
    ds_fmt_dk_offset(it->start, it->secs, date);
    /* LÆ 265 is written by the citizen's GP, not by the hospital's own staff. */
    const char *author = strcmp(dk->code, "LAE265") == 0 ? "Praktiserende læge" : w.name;
    return json_pack("{s:s, s:s, s:o, s:s, s:s, s:o, s:o, s:s, s:[{s:s}], s:s, "
                     "s:[{s:{s:s, s:s, s:s, s:s}}], s:{s:[{s:s}], s:o}}",
                     "resourceType", "DocumentReference", "id", id, "meta",
                     meta(it->start, it->secs), "status", "current", "docStatus", "final", "type",
                     concept(r->sys, "dokumenttype", dk), "subject", patient_ref(r), "date", date,
                     "author", "display", author, "description", dk->label, "content", "attachment",
                     "contentType", "application/pdf", "language", "da", "title", dk->label,
                     "creation", date, "context", "encounter", "reference", eoc, "period",
                     period(c->start, c->end, false, 0, 0));
}

static const char *encounter_status(const struct ds_item *it)
{
    switch (it->status) {
    case DS_OPEN:
        return "in-progress";
    case DS_PLANNED:
        return "planned";
    default:
        return it->variant == 9 ? "cancelled" : "finished";
    }
}

static const char *act_display(const char *code)
{
    if (!strcmp(code, "IMP"))
        return "inpatient encounter";
    if (!strcmp(code, "EMER"))
        return "emergency";
    if (!strcmp(code, "VR"))
        return "virtual";
    return "ambulatory";
}

static json_t *encounter(const struct ds_record *r, const struct ds_case *c,
                         const struct ds_item *it, const struct ds_worker *wk)
{
    const struct ds_kind *ek = &ds_catalogue(r->sys, DS_ITEM_ENCOUNTER)->kinds[it->type];
    const struct ds_worker w = *wk;
    char id[17], eoc[48];
    ds_fmt_hex16(it->id, id);
    ref(eoc, sizeof eoc, "EpisodeOfCare", c->id);
    /* An outpatient visit lasts 45 minutes; an admission ends at 11:00 on its last day. */
    int end = it->end, end_secs = it->secs + 45 * 60;
    if (strcmp(ek->code, "IMP") == 0)
        end_secs = 11 * 3600;
    if (it->status != DS_CLOSED && strcmp(ek->code, "IMP") == 0)
        end = DS_NO_DATE;
    if (end_secs >= 86400)
        end_secs = 86399;
    return json_pack("{s:s, s:s, s:o, s:s, s:{s:s, s:s, s:s}, s:[o], s:o, s:[{s:s}], s:o, "
                     "s:{s:s}}",
                     "resourceType", "Encounter", "id", id, "meta",
                     meta(c->modified_day, c->modified_secs), "status", encounter_status(it),
                     "class", "system", "http://terminology.hl7.org/CodeSystem/v3-ActCode", "code",
                     ek->code, "display", act_display(ek->code), "type",
                     concept(r->sys, "kontakttype", ek), "subject", patient_ref(r), "episodeOfCare",
                     "reference", eoc, "period", period(it->start, end, true, it->secs, end_secs),
                     "serviceProvider", "display", w.unit);
}

size_t ds_fhir_resources(const struct ds_record *r, enum ds_fhir_type t, json_t *out)
{
    size_t n = 0;
    if (!ds_fhir_serves(r->sys, t))
        return 0;
    for (size_t ci = 0; ci < r->ncases; ci++) {
        const struct ds_case *c = &r->cases[ci];
        struct ds_worker w; /* once per case: every resource of the case names them */
        ds_worker_get(r->seed, r->sys, c->worker, &w);
        if (t == DS_FHIR_EPISODE) {
            json_array_append_new(out, episode(r, c, &w));
            n++;
            continue;
        }
        for (size_t i = 0; i < c->nitems; i++) {
            const struct ds_item *it = &c->items[i];
            json_t *res = NULL;
            if (t == DS_FHIR_CAREPLAN && it->kind == DS_ITEM_CAREPLAN)
                res = careplan(r, c, it, &w);
            else if (t == DS_FHIR_DOCREF && it->kind == DS_ITEM_DOCUMENT)
                res = docref(r, c, it, &w);
            else if (t == DS_FHIR_ENCOUNTER && it->kind == DS_ITEM_ENCOUNTER)
                res = encounter(r, c, it, &w);
            if (res) {
                json_array_append_new(out, res);
                n++;
            }
        }
    }
    return n;
}

json_t *ds_fhir_bundle(json_t *resources, const char *base_url, long total, const char *self,
                       const char *next)
{
    json_t *links = json_array();
    json_array_append_new(links, json_pack("{s:s, s:s}", "relation", "self", "url", self));
    if (next)
        json_array_append_new(links, json_pack("{s:s, s:s}", "relation", "next", "url", next));
    json_t *bundle = json_pack("{s:s, s:s}", "resourceType", "Bundle", "type", "searchset");
    if (total >= 0)
        json_object_set_new(bundle, "total", json_integer(total));
    json_object_set_new(bundle, "link", links);
    size_t i;
    json_t *res;
    if (json_array_size(resources) > 0) {
        json_t *entries = json_array();
        json_array_foreach(resources, i, res)
        {
            char url[512];
            snprintf(url, sizeof url, "%s/fhir/%s/%s", base_url,
                     json_string_value(json_object_get(res, "resourceType")),
                     json_string_value(json_object_get(res, "id")));
            json_array_append_new(entries, json_pack("{s:s, s:O, s:{s:s}}", "fullUrl", url,
                                                     "resource", res, "search", "mode", "match"));
        }
        json_object_set_new(bundle, "entry", entries);
    }
    json_decref(resources);
    return bundle;
}

json_t *ds_fhir_patient(const struct ds_record *r, const char *id)
{
    char birth[11];
    ds_fmt_date(r->birth, birth);
    return json_pack("{s:s, s:s, s:[{s:s, s:s}], s:[{s:s}], s:s, s:s}", "resourceType", "Patient",
                     "id", id, "identifier", "system", DS_FHIR_CPR_SYSTEM, "value", r->cpr, "name",
                     "text", r->name, "gender", r->female ? "female" : "male", "birthDate", birth);
}

json_t *ds_fhir_outcome(const char *severity, const char *code, const char *diagnostics)
{
    return json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "resourceType", "OperationOutcome", "issue",
                     "severity", severity, "code", code, "diagnostics", diagnostics);
}

json_t *ds_fhir_capability(enum ds_system s, const char *base_url)
{
    json_t *resources = json_array();
    for (int t = 0; t < DS_FHIR_NTYPES; t++) {
        if (!ds_fhir_serves(s, (enum ds_fhir_type)t))
            continue;
        json_array_append_new(
            resources, json_pack("{s:s, s:[{s:s}], s:[{s:s, s:s}, {s:s, s:s}, {s:s, s:s}]}", "type",
                                 type_names[t], "interaction", "code", "search-type", "searchParam",
                                 "name", "patient.identifier", "type", "token", "name", "_count",
                                 "type", "number", "name", "_cursor", "type", "string"));
    }
    char url[300];
    snprintf(url, sizeof url, "%s/fhir", base_url);
    return json_pack("{s:s, s:s, s:s, s:s, s:s, s:[s], s:{s:s}, s:[{s:s, s:o}]}", "resourceType",
                     "CapabilityStatement", "status", "active", "date", "2026-01-01", "kind",
                     "instance", "fhirVersion", "4.0.1", "format", "json", "implementation", "url",
                     url, "rest", "mode", "server", "resource", resources);
}
