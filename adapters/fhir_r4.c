/* HL7 FHIR R4 (JSON), one adapter for both health systems: municipal health and care
 * (Nexus-like: EpisodeOfCare, CarePlan, DocumentReference) and the region (hospital EPJ-like:
 * EpisodeOfCare, Encounter, DocumentReference). It reads FHIR as HL7 publishes it, not only
 * what deptsim writes; HL7's own R4 examples are in its tests.
 *
 *   lookup  GET <base>/fhir?_type=EpisodeOfCare,CarePlan,DocumentReference,Encounter
 *               &patient.identifier=urn%3Aoid%3A1.2.208.176.1.2%7C<cpr>&_count=1000
 *           _count asks for everything in one page, but a server may cap it (HAPI's default
 *           maximum is a few hundred): the fan-out then follows the Bundle's
 *           link[relation=next] (lookup_next; never to another scheme, host or port: the link
 *           carries the citizen's search) and the pages are parsed as one Bundle
 *           (parse_lookup_pages). One body that still has a next link fails rather than
 *           silently losing records (which the index would then mark removed).
 *   export  GET <base>/fhir?_type=...&_count=<n>[&_cursor=<c>]   (no patient: system-wide)
 *           next_cursor is the _cursor value of the Bundle's link[relation=next] url.
 *   Both answer a searchset Bundle; an unknown citizen is a Bundle with total 0 and no entry.
 *   An OperationOutcome instead of a Bundle fails with its diagnostics.
 *
 *   resource           kind       data_type          source_code
 *   EpisodeOfCare      case       case_summary       type[0]: first coding "system|code"
 *   CarePlan           document   plan               category[0] coding
 *   CarePlan.activity  activity   grant              the CarePlan's
 *   DocumentReference  document   by type (gp_ad_document_type: LÆ 265 certificate,
 *                                 plans plan, notes journal_note, ...)   type coding
 *   Encounter          encounter  registration       type[0] coding, else class
 *   A resource without a coding has its resource type as source_code ("EpisodeOfCare").
 *   Other resource types (Patient, Organization, included resources, OperationOutcome
 *   entries) are skipped.
 *
 * Classification of children: a CarePlan, DocumentReference, Encounter or activity whose case
 * (EpisodeOfCare, by CarePlan.supportingInfo, DocumentReference.context.encounter,
 * Encounter.episodeOfCare) is in the same answer takes the case's source_code and
 * legal_basis_raw, as the JSON adapters do: an ambulant note belongs to its psychiatric
 * course, and classifying it by its document type would make it less sensitive than its case.
 * Without its case in the answer (an export page can split a citizen) it keeps its own code.
 * legal_basis_raw: a coding of a CodeSystem ".../lovgrundlag" (deptsim's convention), or an
 * extension whose url ends in "lovgrundlag" or "legal-basis"; else "".
 *
 * Status (R4 value sets):
 *   EpisodeOfCare  planned, waitlist → planned; active, onhold → open;
 *                  finished, cancelled → closed
 *   CarePlan       draft → planned; active, on-hold → open; completed, revoked → closed
 *   activity       not-started, scheduled → planned; in-progress, on-hold → open;
 *                  completed, cancelled, stopped → closed
 *   Encounter      planned → planned; arrived, triaged, in-progress, onleave → open;
 *                  finished, cancelled → closed
 *   DocumentReference  current, superseded: from the dates (closed once written)
 *   entered-in-error (any resource, or docStatus): the record is dropped, it never existed
 *   unknown, or a word not in the value set: from the dates.
 *
 * The citizen: in a lookup, a resource whose patient/subject carries the CPR identifier must
 * carry the CPR asked about (else the answer fails); a plain reference ("Patient/example") is
 * accepted, the search having selected the patient. In an export, the CPR identifier is the
 * only way to know whose a resource is: resources without it are skipped.
 *
 * Dates: FHIR dates as written ("2014" and "2014-09" widen to the first day, or for an end
 * the last day); date-times are instants, taken as their date in Europe/Copenhagen.
 * Caseworker: EpisodeOfCare.careManager, CarePlan.author, DocumentReference.author,
 * Encounter.participant[0].individual; display, else the name of the Practitioner referenced
 * (contained, or included in the Bundle), whose telecom (phone, email) is the contact. Unit:
 * managingOrganization, serviceProvider, custodian: display, else the referenced
 * Organization's name. source_updated: meta.lastUpdated. */
#include "adapters/adapter_internal.h"

#include <stdio.h>
#include <string.h>

#define MAX_ID 64 /* FHIR ids are at most 64 characters */

static const char *const search_types = "EpisodeOfCare,CarePlan,DocumentReference,Encounter";

static const struct gp_ad_status_word episode_words[] = {
    {"planned", "planned"}, {"waitlist", "planned"}, {"active", "open"},         {"onhold", "open"},
    {"finished", "closed"}, {"cancelled", "closed"}, {"entered-in-error", NULL}, {NULL, NULL},
};

static const struct gp_ad_status_word careplan_words[] = {
    {"draft", "planned"},  {"active", "open"},         {"on-hold", "open"}, {"completed", "closed"},
    {"revoked", "closed"}, {"entered-in-error", NULL}, {NULL, NULL},
};

static const struct gp_ad_status_word activity_words[] = {
    {"not-started", "planned"}, {"scheduled", "planned"},   {"in-progress", "open"},
    {"on-hold", "open"},        {"completed", "closed"},    {"cancelled", "closed"},
    {"stopped", "closed"},      {"entered-in-error", NULL}, {NULL, NULL},
};

static const struct gp_ad_status_word encounter_words[] = {
    {"planned", "planned"},  {"arrived", "open"},        {"triaged", "open"},
    {"in-progress", "open"}, {"onleave", "open"},        {"finished", "closed"},
    {"cancelled", "closed"}, {"entered-in-error", NULL}, {NULL, NULL},
};

/* Only entered-in-error matters for documents: their status is from the dates. */
static const struct gp_ad_status_word document_words[] = {
    {"entered-in-error", NULL},
    {NULL, NULL},
};

/* What one parse is doing. */
struct ctx {
    const char *cpr; /* lookup: the citizen asked about; NULL for an export page */
    const json_t *entries;
    struct gp_record_list *out;
    size_t first; /* this answer's records start here */
    char *err;
    size_t errlen;
};

/* Sets the status from a status word; false when the record is to be dropped. */
static bool set_status(struct gp_record *r, const struct gp_ad_status_word *tab, const char *word)
{
    const char *st = NULL;
    switch (gp_ad_status_lookup(tab, word, &st)) {
    case GP_AD_STATUS_KNOWN:
        GP_REC_SET(r->status, st);
        return true;
    case GP_AD_STATUS_DROP:
        return false;
    default:
        gp_ad_status_from_dates(r);
        return true;
    }
}

/* ---- data types ---------------------------------------------------------------------- */

/* The first CodeableConcept of an array member, or the member itself when it is one. */
static json_t *concept0(const json_t *res, const char *key)
{
    json_t *v = json_is_object(res) ? json_object_get(res, key) : NULL;
    if (json_is_array(v))
        v = json_array_get(v, 0);
    return json_is_object(v) ? v : NULL;
}

static bool is_legal_system(const char *system)
{
    size_t n = system ? strlen(system) : 0;
    return n >= 12 && !strcmp(system + n - 12, "/lovgrundlag");
}

/* "system|code" (or "code" without a system) of the concept's first coding that has a code
 * and is not a legal basis; false when there is none. */
static bool concept_code(const json_t *concept, char *buf, size_t len)
{
    json_t *codings = gp_ad_arr(concept, "coding");
    for (size_t i = 0; i < json_array_size(codings); i++) {
        json_t *c = gp_ad_arr_obj(codings, i);
        const char *system = gp_ad_str(c, "system"), *code = gp_ad_str(c, "code");
        if (!gp_ad_has(code) || is_legal_system(system))
            continue;
        snprintf(buf, len, "%s%s%s", gp_ad_has(system) ? system : "", gp_ad_has(system) ? "|" : "",
                 code);
        return true;
    }
    return false;
}

/* A Coding (not a CodeableConcept) as "system|code". */
static bool coding_code(const json_t *c, char *buf, size_t len)
{
    const char *system = gp_ad_str(c, "system"), *code = gp_ad_str(c, "code");
    if (!gp_ad_has(code))
        return false;
    snprintf(buf, len, "%s%s%s", gp_ad_has(system) ? system : "", gp_ad_has(system) ? "|" : "",
             code);
    return true;
}

/* The concept's text, else its first coding display, else NULL. */
static const char *concept_text(const json_t *concept)
{
    const char *t = gp_ad_str(concept, "text");
    if (gp_ad_has(t))
        return t;
    json_t *codings = gp_ad_arr(concept, "coding");
    for (size_t i = 0; i < json_array_size(codings); i++) {
        const char *d = gp_ad_str(gp_ad_arr_obj(codings, i), "display");
        if (gp_ad_has(d))
            return d;
    }
    return NULL;
}

/* The first coding's code of a concept (for the document-type keywords). */
static const char *concept_first_code(const json_t *concept)
{
    return gp_ad_str(gp_ad_arr_obj(gp_ad_arr(concept, "coding"), 0), "code");
}

/* The legal basis a resource names: a ".../lovgrundlag" coding in one of its concepts (key,
 * an array of CodeableConcepts or one), or a legal-basis extension. */
static void legal_basis(const json_t *res, const char *key, struct gp_record *r)
{
    json_t *v = json_object_get(res, key);
    for (size_t i = 0; json_is_array(v) ? i < json_array_size(v) : i < 1; i++) {
        json_t *concept = json_is_array(v) ? json_array_get(v, i) : v;
        json_t *codings = gp_ad_arr(concept, "coding");
        for (size_t j = 0; j < json_array_size(codings); j++) {
            json_t *c = gp_ad_arr_obj(codings, j);
            const char *code = gp_ad_str(c, "code");
            if (is_legal_system(gp_ad_str(c, "system")) && gp_ad_has(code)) {
                GP_REC_SET(r->legal_basis_raw, code);
                return;
            }
        }
    }
    json_t *ext = gp_ad_arr(res, "extension");
    for (size_t i = 0; i < json_array_size(ext); i++) {
        json_t *e = gp_ad_arr_obj(ext, i);
        const char *url = gp_ad_str(e, "url");
        size_t n = url ? strlen(url) : 0;
        if (!(n >= 11 && !strcmp(url + n - 11, "lovgrundlag")) &&
            !(n >= 11 && !strcmp(url + n - 11, "legal-basis")))
            continue;
        const char *s = gp_ad_str(e, "valueString");
        if (!gp_ad_has(s))
            s = gp_ad_str(gp_ad_obj(e, "valueCoding"), "code");
        if (!gp_ad_has(s))
            s = concept_text(gp_ad_obj(e, "valueCodeableConcept"));
        if (gp_ad_has(s)) {
            GP_REC_SET(r->legal_basis_raw, s);
            return;
        }
    }
}

/* ---- references and people ------------------------------------------------------------ */

/* A reference as "Type/id": relative and absolute URLs (a _history suffix dropped) and
 * "urn:uuid:" references to another entry's fullUrl. "" when it is none of these. */
static void ref_norm(const struct ctx *x, const char *ref, char *buf, size_t len)
{
    buf[0] = '\0';
    if (!gp_ad_has(ref) || ref[0] == '#')
        return;
    if (!strncmp(ref, "urn:", 4)) {
        for (size_t i = 0; i < json_array_size(x->entries); i++) {
            json_t *e = gp_ad_arr_obj(x->entries, i);
            const char *full = gp_ad_str(e, "fullUrl");
            if (full && !strcmp(full, ref)) {
                json_t *res = gp_ad_obj(e, "resource");
                const char *type = gp_ad_str(res, "resourceType"), *id = gp_ad_str(res, "id");
                if (gp_ad_has(type) && gp_ad_has(id))
                    snprintf(buf, len, "%s/%s", type, id);
                return;
            }
        }
        return;
    }
    char tmp[512];
    snprintf(tmp, sizeof tmp, "%s", ref);
    char *h = strstr(tmp, "/_history/");
    if (h)
        *h = '\0';
    tmp[strcspn(tmp, "?#")] = '\0';
    char *slash = strrchr(tmp, '/');
    if (!slash || slash == tmp || !slash[1])
        return;
    char *type = slash - 1;
    while (type > tmp && type[-1] != '/')
        type--;
    if (*type < 'A' || *type > 'Z')
        return; /* not a resource type */
    int n = snprintf(buf, len, "%s", type);
    if (n < 0 || (size_t)n >= len)
        buf[0] = '\0'; /* a cut type name would name another type */
}

/* The resource a Reference points to when the answer holds it: a contained resource ("#id")
 * or another entry of the Bundle (an included Organization or Practitioner), else NULL. */
static json_t *referenced(const struct ctx *x, const json_t *res, const json_t *reference)
{
    const char *ref = gp_ad_str(reference, "reference");
    if (!gp_ad_has(ref))
        return NULL;
    if (ref[0] == '#') {
        json_t *arr = gp_ad_arr(res, "contained");
        for (size_t i = 0; i < json_array_size(arr); i++) {
            json_t *c = gp_ad_arr_obj(arr, i);
            const char *id = gp_ad_str(c, "id");
            if (id && !strcmp(id, ref + 1))
                return c;
        }
        return NULL;
    }
    char want[160], have[160];
    ref_norm(x, ref, want, sizeof want);
    for (size_t i = 0; want[0] && i < json_array_size(x->entries); i++) {
        json_t *other = gp_ad_obj(gp_ad_arr_obj(x->entries, i), "resource");
        const char *type = gp_ad_str(other, "resourceType"), *id = gp_ad_str(other, "id");
        if (!gp_ad_has(type) || !gp_ad_has(id))
            continue;
        snprintf(have, sizeof have, "%s/%s", type, id);
        if (!strcmp(have, want))
            return other;
    }
    return NULL;
}

/* An organisation's name: the Reference's display, else the referenced Organization's name. */
static const char *org_name(const struct ctx *x, const json_t *res, const json_t *reference)
{
    const char *display = gp_ad_str(reference, "display");
    if (gp_ad_has(display))
        return display;
    return gp_ad_str(referenced(x, res, reference), "name");
}

/* A Practitioner's (or Patient's) first name as one text. */
static void person_name(const json_t *p, char *buf, size_t len)
{
    json_t *name = gp_ad_arr_obj(gp_ad_arr(p, "name"), 0);
    buf[0] = '\0';
    if (!name)
        return;
    const char *text = gp_ad_str(name, "text");
    if (gp_ad_has(text)) {
        snprintf(buf, len, "%s", text);
        return;
    }
    size_t o = 0;
    json_t *given = gp_ad_arr(name, "given");
    for (size_t i = 0; i < json_array_size(given) && o < len; i++) {
        json_t *g = json_array_get(given, i);
        if (json_is_string(g) && json_string_length(g) > 0)
            o += (size_t)snprintf(buf + o, len - o, "%s%s", o ? " " : "", json_string_value(g));
    }
    const char *family = gp_ad_str(name, "family");
    if (gp_ad_has(family) && o < len)
        snprintf(buf + o, len - o, "%s%s", o ? " " : "", family);
}

/* Caseworker name and contact from a Reference: its display, else the referenced resource's
 * name (contained, or an entry of the Bundle); that resource's telecom gives phone and
 * e-mail. */
static void person(const struct ctx *x, const json_t *res, const json_t *reference,
                   struct gp_record *r)
{
    json_t *c = referenced(x, res, reference);
    const char *display = gp_ad_str(reference, "display");
    char name[128];
    person_name(c, name, sizeof name);
    GP_REC_SET(r->caseworker_name, gp_ad_has(display) ? display : name);
    const char *phone = NULL, *email = NULL;
    json_t *telecom = gp_ad_arr(c, "telecom");
    for (size_t i = 0; i < json_array_size(telecom); i++) {
        json_t *t = gp_ad_arr_obj(telecom, i);
        const char *system = gp_ad_str(t, "system"), *value = gp_ad_str(t, "value");
        if (!gp_ad_has(system) || !gp_ad_has(value))
            continue;
        if (!phone && !strcmp(system, "phone"))
            phone = value;
        else if (!email && !strcmp(system, "email"))
            email = value;
    }
    gp_ad_contact(r, phone, email);
}

/* ---- one resource each ------------------------------------------------------------------ */

static void period(const json_t *p, struct gp_record *r)
{
    gp_ad_local_date(gp_ad_str(p, "start"), true, false, r->start_date);
    gp_ad_local_date(gp_ad_str(p, "end"), true, true, r->end_date);
}

static void code_or_type(const json_t *concept, const char *type, struct gp_record *r)
{
    char code[sizeof r->source_code];
    GP_REC_SET(r->source_code, concept_code(concept, code, sizeof code) ? code : type);
}

static void title_or(struct gp_record *r, const char *a, const char *b, const char *c,
                     const char *fallback)
{
    GP_REC_SET(r->title, gp_ad_has(a) ? a : gp_ad_has(b) ? b : gp_ad_has(c) ? c : fallback);
}

static bool episode(const struct ctx *x, const json_t *res, struct gp_record *r)
{
    json_t *type = concept0(res, "type");
    code_or_type(type, "EpisodeOfCare", r);
    legal_basis(res, "type", r);
    GP_REC_SET(r->data_type, "case_summary");
    GP_REC_SET(r->kind, "case");
    title_or(r, concept_text(type), NULL, NULL, "Forløb");
    period(gp_ad_obj(res, "period"), r);
    GP_REC_SET(r->unit, org_name(x, res, gp_ad_obj(res, "managingOrganization")));
    person(x, res, gp_ad_obj(res, "careManager"), r);
    return set_status(r, episode_words, gp_ad_str(res, "status"));
}

/* The case a CarePlan belongs to: an EpisodeOfCare in supportingInfo, else its encounter. */
static void careplan_parent(const struct ctx *x, const json_t *res, struct gp_record *r)
{
    json_t *info = gp_ad_arr(res, "supportingInfo");
    char ref[sizeof r->parent_ref];
    for (size_t i = 0; i < json_array_size(info); i++) {
        ref_norm(x, gp_ad_str(gp_ad_arr_obj(info, i), "reference"), ref, sizeof ref);
        if (!strncmp(ref, "EpisodeOfCare/", 14)) {
            GP_REC_SET(r->parent_ref, ref);
            return;
        }
    }
    ref_norm(x, gp_ad_str(gp_ad_obj(res, "encounter"), "reference"), ref, sizeof ref);
    GP_REC_SET(r->parent_ref, ref);
}

static bool careplan(const struct ctx *x, const json_t *res, struct gp_record *r)
{
    json_t *cat = concept0(res, "category");
    code_or_type(cat, "CarePlan", r);
    legal_basis(res, "category", r);
    GP_REC_SET(r->data_type, "plan");
    GP_REC_SET(r->kind, "document");
    title_or(r, gp_ad_str(res, "title"), gp_ad_str(res, "description"), concept_text(cat), "Plan");
    period(gp_ad_obj(res, "period"), r);
    gp_ad_local_date(gp_ad_str(res, "created"), true, false, r->document_date);
    person(x, res, gp_ad_obj(res, "author"), r);
    careplan_parent(x, res, r);
    return set_status(r, careplan_words, gp_ad_str(res, "status"));
}

/* The CarePlan's activities with a detail (an activity that is a reference to another
 * resource is that resource's record, if it is in the answer). plan is the CarePlan's record,
 * copied: the list may move. */
static bool careplan_activities(const struct ctx *x, const json_t *res,
                                const struct gp_record *plan)
{
    json_t *arr = gp_ad_arr(res, "activity");
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *detail = gp_ad_obj(gp_ad_arr_obj(arr, i), "detail");
        if (!detail)
            continue;
        struct gp_record *r = gp_ad_add(x->out, x->err, x->errlen);
        if (!r)
            return false;
        char ref[192];
        snprintf(ref, sizeof ref, "%s/activity/%zu", plan->source_ref, i);
        if (!gp_ad_ref(r, ref, x->err, x->errlen))
            return false;
        json_t *code = gp_ad_obj(detail, "code");
        GP_REC_SET(r->cpr, plan->cpr);
        GP_REC_SET(r->parent_ref, !strncmp(plan->parent_ref, "EpisodeOfCare/", 14)
                                      ? plan->parent_ref
                                      : plan->source_ref);
        GP_REC_SET(r->source_code, plan->source_code);
        GP_REC_SET(r->legal_basis_raw, plan->legal_basis_raw);
        GP_REC_SET(r->data_type, "grant");
        GP_REC_SET(r->kind, "activity");
        title_or(r, concept_text(code), gp_ad_str(detail, "description"), NULL, "Aktivitet");
        period(gp_ad_obj(detail, "scheduledPeriod"), r);
        GP_REC_SET(r->unit, plan->unit);
        GP_REC_SET(r->caseworker_name, plan->caseworker_name);
        GP_REC_SET(r->caseworker_contact, plan->caseworker_contact);
        if (!set_status(r, activity_words, gp_ad_str(detail, "status"))) {
            x->out->n--; /* entered in error */
            continue;
        }
        gp_ad_finish(r);
    }
    return true;
}

static bool docref(const struct ctx *x, const json_t *res, struct gp_record *r)
{
    json_t *type = gp_ad_obj(res, "type");
    json_t *attachment = gp_ad_obj(gp_ad_arr_obj(gp_ad_arr(res, "content"), 0), "attachment");
    code_or_type(type, "DocumentReference", r);
    legal_basis(res, "type", r);
    const char *text = concept_text(type);
    GP_REC_SET(r->data_type, gp_ad_document_type(concept_first_code(type), text));
    GP_REC_SET(r->kind, "document");
    title_or(r, gp_ad_str(res, "description"), text, gp_ad_str(attachment, "title"), "Dokument");
    gp_ad_local_date(gp_ad_str(res, "date"), true, false, r->document_date);
    if (!r->document_date[0])
        gp_ad_local_date(gp_ad_str(attachment, "creation"), true, false, r->document_date);
    GP_REC_SET(r->unit, org_name(x, res, gp_ad_obj(res, "custodian")));
    json_t *authors = gp_ad_arr(res, "author");
    for (size_t i = 0; i < json_array_size(authors) && !r->caseworker_name[0]; i++)
        person(x, res, gp_ad_arr_obj(authors, i), r);
    json_t *enc = gp_ad_arr(gp_ad_obj(res, "context"), "encounter");
    char ref[sizeof r->parent_ref];
    ref_norm(x, gp_ad_str(gp_ad_arr_obj(enc, 0), "reference"), ref, sizeof ref);
    GP_REC_SET(r->parent_ref, ref);
    const char *st = NULL;
    if (gp_ad_status_lookup(document_words, gp_ad_str(res, "docStatus"), &st) == GP_AD_STATUS_DROP)
        return false;
    return set_status(r, document_words, gp_ad_str(res, "status"));
}

static bool encounter(const struct ctx *x, const json_t *res, struct gp_record *r)
{
    json_t *type = concept0(res, "type");
    json_t *cls = json_object_get(res, "class");
    if (json_is_array(cls)) /* R5 shape: CodeableConcept[] */
        cls = gp_ad_arr_obj(gp_ad_arr(json_array_get(cls, 0), "coding"), 0);
    char code[sizeof r->source_code];
    if (concept_code(type, code, sizeof code) || coding_code(cls, code, sizeof code))
        GP_REC_SET(r->source_code, code);
    else
        GP_REC_SET(r->source_code, "Encounter");
    legal_basis(res, "type", r);
    GP_REC_SET(r->data_type, "registration");
    GP_REC_SET(r->kind, "encounter");
    const char *what = concept_text(type), *why = concept_text(concept0(res, "reasonCode"));
    if (gp_ad_has(what) && gp_ad_has(why)) {
        char t[sizeof r->title];
        snprintf(t, sizeof t, "%.120s – %.120s", what, why);
        GP_REC_SET(r->title, t);
    } else {
        title_or(r, what, why, gp_ad_str(cls, "display"), "Kontakt");
    }
    period(gp_ad_obj(res, "period"), r);
    GP_REC_SET(r->unit, org_name(x, res, gp_ad_obj(res, "serviceProvider")));
    json_t *who = gp_ad_obj(gp_ad_arr_obj(gp_ad_arr(res, "participant"), 0), "individual");
    person(x, res, who, r);
    char ref[sizeof r->parent_ref];
    ref_norm(x, gp_ad_str(gp_ad_arr_obj(gp_ad_arr(res, "episodeOfCare"), 0), "reference"), ref,
             sizeof ref);
    GP_REC_SET(r->parent_ref, ref);
    return set_status(r, encounter_words, gp_ad_str(res, "status"));
}

/* ---- the Bundle ------------------------------------------------------------------------ */

enum rtype { R_OTHER, R_EPISODE, R_CAREPLAN, R_DOCREF, R_ENCOUNTER };

static enum rtype rtype_of(const char *t)
{
    if (!t)
        return R_OTHER;
    if (!strcmp(t, "EpisodeOfCare"))
        return R_EPISODE;
    if (!strcmp(t, "CarePlan"))
        return R_CAREPLAN;
    if (!strcmp(t, "DocumentReference"))
        return R_DOCREF;
    if (!strcmp(t, "Encounter"))
        return R_ENCOUNTER;
    return R_OTHER;
}

/* Whose resource this is. Lookup: the CPR asked (or fail when the CPR identifier names
 * someone else). Export: the CPR identifier's value, or false (skip) without one. */
static bool whose(const struct ctx *x, const json_t *res, enum rtype t, size_t i, char cpr[11],
                  bool *skip)
{
    json_t *who = gp_ad_obj(res, t == R_EPISODE ? "patient" : "subject");
    json_t *ident = gp_ad_obj(who, "identifier");
    const char *system = gp_ad_str(ident, "system"), *value = gp_ad_str(ident, "value");
    bool has_cpr = system && !strcmp(system, GP_AD_CPR_SYSTEM);
    *skip = false;
    if (x->cpr) {
        if (has_cpr && (!gp_ad_cpr(value, cpr) || strcmp(cpr, x->cpr) != 0))
            return gp_ad_fail(x->err, x->errlen,
                              "fhir: entry[%zu] is about another citizen than the one asked", i);
        memcpy(cpr, x->cpr, 11);
        return true;
    }
    if (!has_cpr || !gp_ad_cpr(value, cpr))
        *skip = true;
    return true;
}

static bool entry(struct ctx *x, size_t i)
{
    json_t *e = gp_ad_arr_obj(x->entries, i);
    if (!e)
        return gp_ad_fail(x->err, x->errlen, "fhir: entry[%zu] is not an object", i);
    json_t *res = gp_ad_obj(e, "resource");
    enum rtype t = rtype_of(gp_ad_str(res, "resourceType"));
    if (t == R_OTHER)
        return true; /* Patient, Organization, OperationOutcome, anything else: not ours */
    const char *id = gp_ad_str(res, "id");
    if (!gp_ad_has(id) || strlen(id) > MAX_ID)
        return gp_ad_fail(x->err, x->errlen, "fhir: entry[%zu] (%s) has no valid id", i,
                          gp_ad_str(res, "resourceType"));
    char cpr[11];
    bool skip;
    if (!whose(x, res, t, i, cpr, &skip))
        return false;
    if (skip)
        return true;
    struct gp_record *r = gp_ad_add(x->out, x->err, x->errlen);
    if (!r)
        return false;
    char ref[96];
    snprintf(ref, sizeof ref, "%s/%s", gp_ad_str(res, "resourceType"), id);
    if (!gp_ad_ref(r, ref, x->err, x->errlen))
        return false;
    GP_REC_SET(r->cpr, cpr);
    gp_ad_updated(gp_ad_str(gp_ad_obj(res, "meta"), "lastUpdated"), r->source_updated,
                  sizeof r->source_updated);
    bool keep = false;
    switch (t) {
    case R_EPISODE:
        keep = episode(x, res, r);
        break;
    case R_CAREPLAN:
        keep = careplan(x, res, r);
        break;
    case R_DOCREF:
        keep = docref(x, res, r);
        break;
    case R_ENCOUNTER:
        keep = encounter(x, res, r);
        break;
    default:
        break;
    }
    if (!keep) {
        x->out->n--; /* entered in error: it never existed */
        return true;
    }
    gp_ad_finish(r);
    if (t == R_CAREPLAN) {
        struct gp_record plan = *r;
        return careplan_activities(x, res, &plan);
    }
    return true;
}

/* Children take classification, unit and caseworker from their case in the same answer. */
static void link_children(struct ctx *x)
{
    for (size_t i = x->first; i < x->out->n; i++) {
        struct gp_record *r = &x->out->items[i];
        struct gp_record *p = gp_ad_find_ref(x->out, x->first, r->parent_ref);
        if (p && p != r)
            gp_record_inherit(r, p, !strcmp(p->kind, "case"));
    }
}

/* The text of an OperationOutcome's first issue. */
static const char *outcome_text(const json_t *root)
{
    json_t *issue = gp_ad_arr_obj(gp_ad_arr(root, "issue"), 0);
    const char *d = gp_ad_str(issue, "diagnostics");
    if (!gp_ad_has(d))
        d = concept_text(gp_ad_obj(issue, "details"));
    return gp_ad_has(d) ? d : "(no diagnostics)";
}

/* The url of the Bundle's link with relation rel, or NULL. */
static const char *link_url(const json_t *root, const char *rel)
{
    json_t *links = gp_ad_arr(root, "link");
    for (size_t i = 0; i < json_array_size(links); i++) {
        json_t *l = gp_ad_arr_obj(links, i);
        const char *r = gp_ad_str(l, "relation");
        if (r && !strcmp(r, rel))
            return gp_ad_str(l, "url");
    }
    return NULL;
}

static int hexval(char c)
{
    return c >= '0' && c <= '9'   ? c - '0'
           : c >= 'a' && c <= 'f' ? c - 'a' + 10
           : c >= 'A' && c <= 'F' ? c - 'A' + 10
                                  : -1;
}

/* The decoded value of query parameter name in url; false when absent or too long. */
static bool query_param(const char *url, const char *name, char *buf, size_t len)
{
    const char *q = strchr(url, '?');
    size_t nl = strlen(name);
    while (q && *q) {
        q++;
        if (!strncmp(q, name, nl) && q[nl] == '=') {
            size_t o = 0;
            for (const char *p = q + nl + 1; *p && *p != '&' && *p != '#'; p++) {
                int c = (unsigned char)*p;
                if (*p == '%' && hexval(p[1]) >= 0 && hexval(p[2]) >= 0) {
                    c = hexval(p[1]) * 16 + hexval(p[2]);
                    p += 2;
                } else if (*p == '+') {
                    c = ' ';
                }
                if (c == 0 || o + 1 >= len)
                    return false;
                buf[o++] = (char)c;
            }
            buf[o] = '\0';
            return o > 0;
        }
        q = strchr(q, '&');
    }
    return false;
}

/* Parses a searchset Bundle into out from out->n on. */
static bool parse_bundle(const json_t *root, struct ctx *x)
{
    const char *rt = gp_ad_str(root, "resourceType");
    if (rt && !strcmp(rt, "OperationOutcome"))
        return gp_ad_fail(x->err, x->errlen, "fhir: OperationOutcome: %.200s", outcome_text(root));
    if (!rt || strcmp(rt, "Bundle") != 0)
        return gp_ad_fail(x->err, x->errlen, "fhir: the answer is not a Bundle");
    const char *type = gp_ad_str(root, "type");
    if (!type || strcmp(type, "searchset") != 0)
        return gp_ad_fail(x->err, x->errlen, "fhir: the Bundle is not a searchset");
    json_t *entries = json_object_get(root, "entry");
    if (entries && !json_is_array(entries))
        return gp_ad_fail(x->err, x->errlen, "fhir: Bundle.entry is not an array");
    x->entries = entries;
    x->first = x->out->n;
    for (size_t i = 0; i < json_array_size(entries); i++) {
        if (!entry(x, i))
            return false;
    }
    link_children(x);
    return true;
}

static bool lookup_url(const char *base_url, const char *cpr, char *url, size_t len)
{
    size_t o;
    return gp_ad_cpr10(cpr) && gp_ad_url_base(base_url, url, len, &o) &&
           gp_ad_url_add(url, len, &o,
                         "/fhir?_type=%s&patient.identifier=urn%%3Aoid%%3A1.2.208.176.1.2%%7C%s"
                         "&_count=1000",
                         search_types, cpr);
}

static bool parse_lookup(const char *cpr, const char *body, size_t len, struct gp_record_list *out,
                         char *err, size_t errlen)
{
    size_t n0 = out->n;
    json_t *root = gp_ad_load_object(body, len, "fhir", err, errlen);
    if (!root)
        return false;
    struct ctx x = {.cpr = cpr, .out = out, .err = err, .errlen = errlen};
    bool ok = parse_bundle(root, &x);
    if (ok && link_url(root, "next"))
        ok = gp_ad_fail(err, errlen, "fhir: the answer has more than one page; only one is read");
    json_decref(root);
    if (!ok)
        out->n = n0;
    return ok;
}

/* Whether the len bytes at b hold the string s. */
static bool contains(const char *b, size_t len, const char *s)
{
    size_t n = strlen(s);
    while (len >= n) {
        const char *p = memchr(b, s[0], len - n + 1);
        if (!p)
            return false;
        if (!memcmp(p, s, n))
            return true;
        len -= (size_t)(p + 1 - b);
        b = p + 1;
    }
    return false;
}

/* The length of url's origin ("http://host:port"), 0 when it has none. */
static size_t origin_len(const char *url)
{
    const char *p = strstr(url, "://");
    if (!p || p == url)
        return 0;
    p += 3;
    size_t n = strcspn(p, "/?#");
    return n ? (size_t)(p - url) + n : 0;
}

static int lookup_next(const char *first_url, const char *body, size_t len, char *next,
                       size_t next_len)
{
    /* Most answers are one page: no "next" anywhere in them, nothing to parse here. */
    if (!contains(body, len, "\"next\""))
        return 0;
    json_t *root = json_loadb(body, len, 0, NULL);
    const char *url = json_is_object(root) ? link_url(root, "next") : NULL;
    size_t o = origin_len(first_url);
    int rc = 0;
    if (!url) {
        rc = 0; /* the page's parser says what is wrong with it */
    } else if (url[0] == '/' && url[1] != '/' && o + strlen(url) < next_len) {
        snprintf(next, next_len, "%.*s%s", (int)o, first_url, url);
        rc = 1;
    } else if (o && origin_len(url) == o && !strncmp(url, first_url, o) && strlen(url) < next_len) {
        snprintf(next, next_len, "%s", url);
        rc = 1;
    } else {
        snprintf(next, next_len, "it is not on %.*s, or too long", (int)(o < 120 ? o : 120),
                 first_url);
        rc = -1;
    }
    json_decref(root);
    return rc;
}

static bool parse_lookup_pages(const char *cpr, const char *body, const size_t *page_len, size_t n,
                               struct gp_record_list *out, char *err, size_t errlen)
{
    if (n <= 1)
        return parse_lookup(cpr, body, n ? page_len[0] : 0, out, err, errlen);
    /* One Bundle: the first page's, with every page's entries. */
    size_t n0 = out->n;
    json_t *root = NULL;
    bool ok = true;
    size_t off = 0;
    for (size_t k = 0; k < n && ok; k++) {
        json_t *page = gp_ad_load_object(body + off, page_len[k], "fhir", err, errlen);
        off += page_len[k];
        ok = page != NULL;
        if (ok) {
            const char *rt = gp_ad_str(page, "resourceType");
            const char *type = gp_ad_str(page, "type");
            json_t *entries = json_object_get(page, "entry");
            if (!rt || strcmp(rt, "Bundle") != 0 || !type || strcmp(type, "searchset") != 0 ||
                (entries && !json_is_array(entries)))
                ok = gp_ad_fail(err, errlen, "fhir: page %zu is not a searchset Bundle", k + 1);
            else if (!root)
                root = json_incref(page);
            else if (entries && !json_object_get(root, "entry"))
                json_object_set(root, "entry", entries);
            else if (entries)
                json_array_extend(json_object_get(root, "entry"), entries);
        }
        json_decref(page);
    }
    if (ok) {
        struct ctx x = {.cpr = cpr, .out = out, .err = err, .errlen = errlen};
        ok = parse_bundle(root, &x);
    }
    json_decref(root);
    if (!ok)
        out->n = n0;
    return ok;
}

static bool export_url(const char *base_url, const char *cursor, int limit, char *url, size_t len)
{
    size_t o;
    int n;
    if (!gp_ad_limit(limit, 1000, &n) || !gp_ad_url_base(base_url, url, len, &o) ||
        !gp_ad_url_add(url, len, &o, "/fhir?_type=%s&_count=%d", search_types, n))
        return false;
    return !cursor || !cursor[0] ||
           (gp_ad_url_add(url, len, &o, "&_cursor=") && gp_ad_url_enc(url, len, &o, cursor));
}

static bool parse_export(const char *body, size_t len, struct gp_export_page *out, char *err,
                         size_t errlen)
{
    size_t n0 = out->records.n;
    json_t *root = gp_ad_load_object(body, len, "fhir export", err, errlen);
    if (!root)
        return false;
    struct ctx x = {.cpr = NULL, .out = &out->records, .err = err, .errlen = errlen};
    bool ok = parse_bundle(root, &x);
    const char *next = ok ? link_url(root, "next") : NULL;
    char cursor[sizeof out->next_cursor] = "";
    if (next && !query_param(next, "_cursor", cursor, sizeof cursor))
        ok = gp_ad_fail(err, errlen, "fhir export: the next link has no usable _cursor");
    if (ok)
        ok = gp_ad_set_cursor(out, cursor, err, errlen);
    json_decref(root);
    if (!ok)
        out->records.n = n0;
    return ok;
}

const struct gp_adapter gp_adapter_fhir_r4 = {
    .kind = "fhir-r4",
    .accept = "application/fhir+json",
    .lookup_url = lookup_url,
    .parse_lookup = parse_lookup,
    .lookup_next = lookup_next,
    .parse_lookup_pages = parse_lookup_pages,
    .export_url = export_url,
    .parse_export = parse_export,
};
