/* HL7 FHIR R4 (JSON), one adapter for every FHIR system: municipal health and care
 * (Nexus-like: EpisodeOfCare, CarePlan, DocumentReference), the region (hospital EPJ-like:
 * EpisodeOfCare, Encounter, DocumentReference), and a region's or vendor's real server. It
 * reads FHIR as HL7 publishes it, not only what deptsim writes: HL7's own R4 examples are in
 * its tests (tests/unit/test_adapters.c, tests/integration/itest_fhir.c).
 *
 * The base URL is used as given ("https://fhir.example.dk/r4"). Per-source options (a JSON
 * object of strings, glasplade source set --option KEY=VALUE):
 *   search   per-type (default): one search per resource type, in parallel — every server
 *            supports them; system: one system-level search with _type.
 *   patient  pdqm (default): the patient is resolved as IHE PDQm does it,
 *              GET [base]/Patient?identifier=urn:oid:1.2.208.176.1.2|<cpr>
 *            then every search asks patient=Patient/<id> (several ids comma-separated);
 *            identifier: the searches ask the chained patient.identifier=<system>|<cpr>
 *            (Danish cross-sector servers that reference patients by identifier only).
 *   types    the resource types the system holds (comma list; default all four): a server
 *            that does not know a type answers a search for it with an error.
 *   include  yes: the searches _include the care manager, performers, authors and
 *            organisations, so unit and caseworker are the referenced resources' names, not
 *            only a display; no (default): a strict server may refuse an _include.
 * Every request says Prefer: handling=strict: a server that cannot honour a parameter should
 * refuse the search rather than ignore it. Accept names both FHIR JSON media types (the press
 * accepts application/fhir+json and the legacy application/json+fhir).
 *
 * The fan-out runs the conversation (lookup_next): the patient search's page names the
 * patients; the searches follow, each paged through its Bundle's link[relation=next] (never to
 * another scheme, host or port: the link carries the citizen's search). The pages are parsed
 * as one answer (parse_lookup_pages).
 *
 * Whose data it is. FHIR lets a server ignore a search parameter it does not support, so
 * nothing in an answer is trusted to be about the citizen because it was asked for:
 *   - a Patient that the patient search answers must carry the CPR asked as its
 *     urn:oid:1.2.208.176.1.2 identifier (else nothing more is asked, and the answer fails);
 *   - every resource of the four types must name the citizen: its subject (EpisodeOfCare:
 *     patient) references a patient so resolved, or carries the CPR identifier asked (deptsim
 *     and Danish cross-sector FHIR reference by identifier); a subject naming anyone else,
 *     another CPR, or no one at all fails the whole answer — nothing of it is stored;
 *   - a Patient anywhere in the answer that is not the citizen fails it too;
 *   - an OperationOutcome entry of severity error or fatal, or one saying a parameter was not
 *     supported or ignored, fails the answer with its diagnostics.
 * An error answer's OperationOutcome diagnostics are what describe_error says, for
 * sources[].error.
 *
 *   export  GET <base>?_type=...&_count=<n>[&_cursor=<c>]   (no patient: system-wide)
 *           next_cursor is the _cursor value of the Bundle's link[relation=next] url. The CPR
 *           identifier is the only way to know whose a resource is: resources without it
 *           are skipped.
 *
 *   resource           kind       data_type          codings it classifies by (source_code)
 *   EpisodeOfCare      case       case_summary       type[*]
 *   CarePlan           document   plan               category[*]
 *   CarePlan.activity  activity   grant              the CarePlan's
 *   DocumentReference  document   by type (gp_ad_document_type: LÆ 265 certificate,
 *                                 plans plan, notes journal_note, ...)   type, category[*]
 *   Encounter          encounter  registration       type[*], serviceType, class (only
 *                                                    when it names no EpisodeOfCare)
 *   source_code is every coding of those, "system|code" one per line in that order, then the
 *   resource's security labels (meta.security, DocumentReference.securityLabel): the concept
 *   map (migration 0019) takes the first coding it maps to a case type, and raises the
 *   sensitivity for a label. A resource without a coding has its resource type as its first
 *   line ("CarePlan"), listed as unmapped. Codings of a ".../lovgrundlag" system are the
 *   legal basis (legal_basis_raw), not codes.
 *
 * Classification of children: a CarePlan, DocumentReference, Encounter or activity whose case
 * (EpisodeOfCare, by CarePlan.supportingInfo, DocumentReference.context.encounter,
 * Encounter.episodeOfCare) is in the same answer takes the case's codes and legal basis (its
 * own security labels kept), as the JSON adapters do: an ambulant note belongs to its
 * psychiatric course. Without its case in the answer it keeps its own codes.
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
 *   DocumentReference  closed once written (dated ahead: planned); a document without any
 *                  date is a document all the same, closed, not an open case
 *   entered-in-error (any resource, or docStatus): the record is dropped, it never existed
 *   unknown, or a word not in the value set: from the dates.
 *   An open or planned status whose period ended more than a year ago is closed, and
 *   status_note says what the source said ("active" plans whose period ended years ago are
 *   common in real data; a planned end passed last week is often only not registered yet).
 *
 * Dates: FHIR dates as written ("2014" and "2014-09" widen to the first day, or for an end
 * the last day); date-times are instants, taken as their date in Europe/Copenhagen. An
 * activity's dates: scheduledPeriod, scheduledTiming.repeat.boundsPeriod, or a scheduledString
 * that is a date.
 * Caseworker: EpisodeOfCare.careManager, CarePlan.author, DocumentReference.author,
 * Encounter.participant[0].individual, an activity's performer[0] (else its plan's); display,
 * else the name of the Practitioner referenced (contained, or included in the Bundle), whose
 * telecom (phone, email) is the contact. Unit: managingOrganization, serviceProvider,
 * custodian: display, else the referenced Organization's name. source_updated:
 * meta.lastUpdated. */
#include "adapters/adapter_internal.h"
#include "lib/core/alloc.h"

#include <stdio.h>
#include <string.h>

#define MAX_ID       64   /* FHIR ids are at most 64 characters */
#define MAX_PATIENTS 8    /* Patient resources one CPR may resolve to */
#define MAX_URL      4096 /* a URL the fan-out takes (GP_FETCH_URL_MAX) */

/* The four resource types, in the order searches name them. */
enum rtype { R_OTHER = -1, R_EPISODE = 0, R_CAREPLAN, R_DOCREF, R_ENCOUNTER, R_NTYPES };
static const char *const type_names[R_NTYPES] = {"EpisodeOfCare", "CarePlan", "DocumentReference",
                                                 "Encounter"};
/* _include parameters per type (option include=yes): who is responsible, and where. */
static const char *const type_includes[R_NTYPES] = {
    "&_include=EpisodeOfCare:care-manager&_include=EpisodeOfCare:organization",
    "&_include=CarePlan:performer",
    "&_include=DocumentReference:author&_include=DocumentReference:custodian",
    "&_include=Encounter:practitioner&_include=Encounter:service-provider",
};
#define ALL_TYPES ((1u << R_NTYPES) - 1)

static const char cpr_system_enc[] = "urn%3Aoid%3A1.2.208.176.1.2%7C";

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
/* A Patient resource of the answer that is the citizen asked about. */
struct patient {
    char id[MAX_ID + 1];
    char full_url[512]; /* its entry's fullUrl without a _history suffix, "" none */
};

/* What one parse is doing. */
struct ctx {
    const char *cpr; /* lookup: the citizen asked about; NULL for an export page */
    const json_t *entries;
    struct gp_record_list *out;
    size_t first; /* this answer's records start here */
    struct patient pats[MAX_PATIENTS];
    size_t npats;
    /* The security-label lines of each record from first on (NULL none): kept when a child
     * takes its case's codes. */
    char **labels;
    size_t nlabels;
    char *err;
    size_t errlen;
};

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

static void title_or(struct gp_record *r, const char *a, const char *b, const char *c,
                     const char *fallback)
{
    GP_REC_SET(r->title, gp_ad_has(a) ? a : gp_ad_has(b) ? b : gp_ad_has(c) ? c : fallback);
}

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

/* ---- the codings a resource classifies by ------------------------------------------------ */

/* Lines "system|code", most specific first, as record.source_code carries them. */
struct codes {
    char buf[sizeof((struct gp_record *)0)->source_code];
    size_t len;
};

/* Appends one coding as a line, unless it is a legal basis, has no code, is there already or
 * does not fit (whole lines only: a cut code would be another code). */
static void codes_coding(struct codes *c, const json_t *coding)
{
    const char *system = gp_ad_str(coding, "system"), *code = gp_ad_str(coding, "code");
    if (!gp_ad_has(code) || is_legal_system(system) || strpbrk(code, "\n\r") ||
        (system && strpbrk(system, "\n\r|")))
        return;
    char line[sizeof c->buf];
    int n = snprintf(line, sizeof line, "%s%s%s", gp_ad_has(system) ? system : "",
                     gp_ad_has(system) ? "|" : "", code);
    if (n < 0 || (size_t)n >= sizeof line)
        return;
    for (const char *p = c->buf; *p;) { /* already there? */
        size_t l = strcspn(p, "\n");
        if (l == (size_t)n && !memcmp(p, line, l))
            return;
        p += l;
        if (*p)
            p++;
    }
    size_t need = (size_t)n + (c->len ? 1 : 0);
    if (c->len + need >= sizeof c->buf)
        return;
    if (c->len)
        c->buf[c->len++] = '\n';
    memcpy(c->buf + c->len, line, (size_t)n + 1);
    c->len += (size_t)n;
}

/* Every coding of a CodeableConcept. */
static void codes_concept(struct codes *c, const json_t *concept)
{
    json_t *codings = gp_ad_arr(concept, "coding");
    for (size_t i = 0; i < json_array_size(codings); i++)
        codes_coding(c, gp_ad_arr_obj(codings, i));
}

/* Every coding of member key: an array of CodeableConcepts, or one. */
static void codes_member(struct codes *c, const json_t *res, const char *key)
{
    json_t *v = json_is_object(res) ? json_object_get(res, key) : NULL;
    if (json_is_object(v))
        codes_concept(c, v);
    for (size_t i = 0; json_is_array(v) && i < json_array_size(v); i++)
        codes_concept(c, gp_ad_arr_obj(v, i));
}

/* The resource's security labels: meta.security (Codings) and, for a DocumentReference,
 * securityLabel (CodeableConcepts). */
static void codes_labels(struct codes *c, const json_t *res)
{
    json_t *sec = gp_ad_arr(gp_ad_obj(res, "meta"), "security");
    for (size_t i = 0; i < json_array_size(sec); i++)
        codes_coding(c, gp_ad_arr_obj(sec, i));
    codes_member(c, res, "securityLabel");
}

/* Sets source_code: the codings in c (or the resource type when there are none), then the
 * security labels, which are also remembered for the record (index k of the answer). */
static void set_codes(struct ctx *x, const json_t *res, struct gp_record *r, const struct codes *c,
                      const char *type)
{
    struct codes labels = {{0}, 0};
    codes_labels(&labels, res);
    struct codes all = *c;
    if (!all.len) {
        snprintf(all.buf, sizeof all.buf, "%s", type);
        all.len = strlen(all.buf);
    }
    if (labels.len && all.len + 1 + labels.len < sizeof all.buf) {
        all.buf[all.len++] = '\n';
        memcpy(all.buf + all.len, labels.buf, labels.len + 1);
        all.len += labels.len;
    }
    GP_REC_SET(r->source_code, all.buf);
    size_t k = (size_t)(r - x->out->items) - x->first;
    if (!labels.len)
        return;
    if (k >= x->nlabels) {
        size_t n = k + 16;
        x->labels = gp_xrealloc(x->labels, n * sizeof *x->labels);
        memset(x->labels + x->nlabels, 0, (n - x->nlabels) * sizeof *x->labels);
        x->nlabels = n;
    }
    free(x->labels[k]);
    x->labels[k] = gp_xstrdup(labels.buf);
}

/* ---- status ------------------------------------------------------------------------------ */

/* How long after its period ended an open record is still taken at its word: a planned end
 * that passed last week is often a discharge or a closure not yet registered; an "active" plan
 * whose period ended years ago is stale data. */
#define RECONCILE_AFTER_DAYS 365

/* An open or planned record whose period ended more than RECONCILE_AFTER_DAYS ago is closed;
 * the note says what the source said. */
static void reconcile(struct gp_record *r, const char *word)
{
    char today[11], cutoff[11];
    gp_ad_today(today);
    struct gp_ad_time t;
    if (!strcmp(r->status, "closed") || !r->end_date[0] || !gp_ad_parse_time(today, false, &t))
        return;
    gp_day_format(gp_days_from_civil(t.y, t.m, t.d) - RECONCILE_AFTER_DAYS, cutoff);
    if (strcmp(r->end_date, cutoff) >= 0)
        return;
    char note[sizeof r->status_note];
    snprintf(note, sizeof note, "the source says '%.40s'; its period ended %s",
             gp_ad_has(word) ? word : r->status, r->end_date);
    GP_REC_SET(r->status_note, note);
    GP_REC_SET(r->status, "closed");
}

/* ---- one resource each ------------------------------------------------------------------ */

static bool episode(struct ctx *x, const json_t *res, struct gp_record *r)
{
    json_t *type = concept0(res, "type");
    struct codes c = {{0}, 0};
    codes_member(&c, res, "type");
    set_codes(x, res, r, &c, "EpisodeOfCare");
    legal_basis(res, "type", r);
    GP_REC_SET(r->data_type, "case_summary");
    GP_REC_SET(r->kind, "case");
    title_or(r, concept_text(type), NULL, NULL, "Forløb");
    period(gp_ad_obj(res, "period"), r);
    GP_REC_SET(r->unit, org_name(x, res, gp_ad_obj(res, "managingOrganization")));
    person(x, res, gp_ad_obj(res, "careManager"), r);
    const char *word = gp_ad_str(res, "status");
    if (!set_status(r, episode_words, word))
        return false;
    reconcile(r, word);
    return true;
}

static bool careplan(struct ctx *x, const json_t *res, struct gp_record *r)
{
    json_t *cat = concept0(res, "category");
    struct codes c = {{0}, 0};
    codes_member(&c, res, "category");
    set_codes(x, res, r, &c, "CarePlan");
    legal_basis(res, "category", r);
    GP_REC_SET(r->data_type, "plan");
    GP_REC_SET(r->kind, "document");
    title_or(r, gp_ad_str(res, "title"), gp_ad_str(res, "description"), concept_text(cat), "Plan");
    period(gp_ad_obj(res, "period"), r);
    gp_ad_local_date(gp_ad_str(res, "created"), true, false, r->document_date);
    person(x, res, gp_ad_obj(res, "author"), r);
    careplan_parent(x, res, r);
    const char *word = gp_ad_str(res, "status");
    if (!set_status(r, careplan_words, word))
        return false;
    reconcile(r, word);
    return true;
}

/* An activity's dates: scheduledPeriod, the bounds of scheduledTiming, or a scheduledString
 * that is a date (not "daily"). */
static void activity_dates(const json_t *detail, struct gp_record *r)
{
    json_t *p = gp_ad_obj(detail, "scheduledPeriod");
    if (!p)
        p = gp_ad_obj(gp_ad_obj(gp_ad_obj(detail, "scheduledTiming"), "repeat"), "boundsPeriod");
    if (p) {
        period(p, r);
        return;
    }
    char d[11];
    gp_ad_local_date(gp_ad_str(detail, "scheduledString"), true, false, d);
    if (d[0]) {
        GP_REC_SET(r->start_date, d);
        GP_REC_SET(r->end_date, d);
    }
}

/* The CarePlan's activities with a detail (an activity that is a reference to another
 * resource is that resource's record, if it is in the answer). plan is the CarePlan's record,
 * copied: the list may move. */
static bool careplan_activities(struct ctx *x, const json_t *res, const struct gp_record *plan,
                                size_t plan_k)
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
        activity_dates(detail, r);
        GP_REC_SET(r->unit, plan->unit);
        /* The first performer who is a caseworker: the citizen (Patient) or a relative
         * doing an activity themselves is no contact. */
        json_t *performers = gp_ad_arr(detail, "performer");
        for (size_t p = 0; p < json_array_size(performers) && !r->caseworker_name[0]; p++) {
            json_t *who = gp_ad_arr_obj(performers, p);
            char type[160];
            ref_norm(x, gp_ad_str(who, "reference"), type, sizeof type);
            if (strncmp(type, "Patient/", 8) != 0 && strncmp(type, "RelatedPerson/", 14) != 0)
                person(x, res, who, r);
        }
        if (!r->caseworker_name[0]) {
            GP_REC_SET(r->caseworker_name, plan->caseworker_name);
            GP_REC_SET(r->caseworker_contact, plan->caseworker_contact);
        }
        const char *word = gp_ad_str(detail, "status");
        if (!set_status(r, activity_words, word)) {
            x->out->n--; /* entered in error */
            continue;
        }
        reconcile(r, word);
        gp_ad_finish(r);
        /* The plan's security labels are the activity's too. */
        size_t k = (size_t)(r - x->out->items) - x->first;
        if (plan_k < x->nlabels && x->labels[plan_k]) {
            if (k >= x->nlabels) {
                size_t n = k + 16;
                x->labels = gp_xrealloc(x->labels, n * sizeof *x->labels);
                memset(x->labels + x->nlabels, 0, (n - x->nlabels) * sizeof *x->labels);
                x->nlabels = n;
            }
            free(x->labels[k]);
            x->labels[k] = gp_xstrdup(x->labels[plan_k]);
        }
    }
    return true;
}

static bool docref(struct ctx *x, const json_t *res, struct gp_record *r)
{
    json_t *type = gp_ad_obj(res, "type");
    json_t *attachment = gp_ad_obj(gp_ad_arr_obj(gp_ad_arr(res, "content"), 0), "attachment");
    struct codes c = {{0}, 0};
    codes_concept(&c, type);
    codes_member(&c, res, "category");
    set_codes(x, res, r, &c, "DocumentReference");
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
    if (!set_status(r, document_words, gp_ad_str(res, "status")))
        return false;
    /* A document that says nothing of when is still a document: written, not an open case. */
    if (!r->document_date[0] && !r->start_date[0] && !r->end_date[0])
        GP_REC_SET(r->status, "closed");
    return true;
}

static bool encounter(struct ctx *x, const json_t *res, struct gp_record *r)
{
    json_t *type = concept0(res, "type");
    json_t *cls = json_object_get(res, "class");
    struct codes c = {{0}, 0};
    codes_member(&c, res, "type");
    codes_member(&c, res, "serviceType");
    /* The class is a setting (ambulatory, inpatient), not a case: it classifies only a
     * contact that names no course. One of a course is its course's (a psychiatric course's
     * ambulatory visit must not become a plain hospital course when the course is missing
     * from an answer). */
    bool of_course = json_array_size(gp_ad_arr(res, "episodeOfCare")) > 0;
    if (json_is_array(cls)) { /* R5 shape: CodeableConcept[] */
        if (!of_course)
            codes_member(&c, res, "class");
        cls = gp_ad_arr_obj(gp_ad_arr(json_array_get(cls, 0), "coding"), 0);
    } else if (!of_course) {
        codes_coding(&c, cls);
    }
    set_codes(x, res, r, &c, "Encounter");
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
    const char *word = gp_ad_str(res, "status");
    if (!set_status(r, encounter_words, word))
        return false;
    reconcile(r, word);
    return true;
}

/* ---- whose data it is -------------------------------------------------------------------- */

static enum rtype rtype_of(const char *t)
{
    for (int i = 0; t && i < R_NTYPES; i++) {
        if (!strcmp(t, type_names[i]))
            return (enum rtype)i;
    }
    return R_OTHER;
}

/* A FHIR id: 1-64 of [A-Za-z0-9-.]. */
static bool valid_id(const char *id)
{
    size_t n = id ? strlen(id) : 0;
    if (n == 0 || n > MAX_ID)
        return false;
    for (const char *p = id; *p; p++) {
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '.'))
            return false;
    }
    return true;
}

/* The CPR of a resource's identifier list (an array, or one Identifier), NULL when it carries
 * no CPR identifier; *other is set when one is there but is not a valid CPR. */
static const char *cpr_identifier(const json_t *ident, char cpr[11], bool *bad)
{
    *bad = false;
    for (size_t i = 0; json_is_array(ident) ? i < json_array_size(ident) : i < 1; i++) {
        const json_t *id = json_is_array(ident) ? gp_ad_arr_obj(ident, i) : ident;
        const char *system = gp_ad_str(id, "system");
        if (!system || strcmp(system, GP_AD_CPR_SYSTEM) != 0)
            continue;
        if (gp_ad_cpr(gp_ad_str(id, "value"), cpr))
            return cpr;
        *bad = true;
    }
    return NULL;
}

/* A URL without a /_history/ suffix. */
static void strip_history(const char *url, char *out, size_t len)
{
    snprintf(out, len, "%s", url ? url : "");
    char *h = strstr(out, "/_history/");
    if (h)
        *h = '\0';
}

/* The Patient resources of a lookup answer: those carrying the CPR asked are the citizen; one
 * carrying another CPR, or none and not the citizen's id, fails the answer. */
static bool collect_patients(struct ctx *x)
{
    for (int pass = 0; pass < 2; pass++) {
        for (size_t i = 0; i < json_array_size(x->entries); i++) {
            json_t *e = gp_ad_arr_obj(x->entries, i);
            json_t *res = gp_ad_obj(e, "resource");
            const char *rt = gp_ad_str(res, "resourceType");
            if (!rt || strcmp(rt, "Patient") != 0)
                continue;
            const char *id = gp_ad_str(res, "id");
            if (!valid_id(id))
                return gp_ad_fail(x->err, x->errlen,
                                  "fhir: entry[%zu] is a Patient without a valid id", i);
            char cpr[11];
            bool bad;
            const char *has = cpr_identifier(json_object_get(res, "identifier"), cpr, &bad);
            bool mine = has && !strcmp(cpr, x->cpr);
            if (pass == 0) {
                if ((has && !mine) || bad)
                    return gp_ad_fail(x->err, x->errlen,
                                      "fhir: the answer holds Patient/%s, another citizen", id);
                bool known = false;
                for (size_t k = 0; k < x->npats && !known; k++)
                    known = !strcmp(x->pats[k].id, id);
                if (!mine || known)
                    continue;
                if (x->npats == MAX_PATIENTS)
                    return gp_ad_fail(x->err, x->errlen,
                                      "fhir: more than %d Patient resources carry the CPR",
                                      MAX_PATIENTS);
                struct patient *p = &x->pats[x->npats++];
                snprintf(p->id, sizeof p->id, "%s", id);
                strip_history(gp_ad_str(e, "fullUrl"), p->full_url, sizeof p->full_url);
            } else if (!has) {
                bool known = false;
                for (size_t k = 0; k < x->npats && !known; k++)
                    known = !strcmp(x->pats[k].id, id);
                if (!known)
                    return gp_ad_fail(x->err, x->errlen,
                                      "fhir: the answer holds Patient/%s, who does not carry the "
                                      "CPR asked: another patient's data",
                                      id);
            }
        }
    }
    return true;
}

/* Whether a subject Reference is a patient resolved as the citizen: "Patient/<id>" (relative,
 * a urn:uuid fullUrl of an entry, or absolute and equal to that patient's fullUrl). */
static bool patient_ref_ok(const struct ctx *x, const char *ref)
{
    char norm[160];
    ref_norm(x, ref, norm, sizeof norm);
    if (strncmp(norm, "Patient/", 8) != 0)
        return false;
    for (size_t k = 0; k < x->npats; k++) {
        if (strcmp(x->pats[k].id, norm + 8) != 0)
            continue;
        if (!strstr(ref, "://"))
            return true;
        char abs[512];
        strip_history(ref, abs, sizeof abs);
        return x->pats[k].full_url[0] && !strcmp(abs, x->pats[k].full_url);
    }
    return false;
}

/* Whose resource this is. Lookup: the citizen asked, or the answer fails — its subject must
 * reference a patient resolved as the citizen or carry the CPR identifier asked, and name no
 * one else. Export: the CPR identifier's value, or skip it without one. */
static bool whose(struct ctx *x, const json_t *res, enum rtype t, size_t i, char cpr[11],
                  bool *skip)
{
    json_t *who = gp_ad_obj(res, t == R_EPISODE ? "patient" : "subject");
    const char *ref = gp_ad_str(who, "reference");
    bool bad;
    const char *has = cpr_identifier(gp_ad_obj(who, "identifier"), cpr, &bad);
    const char *rt = gp_ad_str(res, "resourceType"), *id = gp_ad_str(res, "id");
    *skip = false;
    if (!x->cpr) {
        *skip = !has;
        return true;
    }
    if (bad || (has && strcmp(cpr, x->cpr) != 0))
        return gp_ad_fail(x->err, x->errlen,
                          "fhir: entry[%zu] (%s/%s) is about another citizen (its subject's CPR "
                          "is not the one asked)",
                          i, rt, id);
    if (gp_ad_has(ref) && !patient_ref_ok(x, ref)) {
        char shown[96];
        snprintf(shown, sizeof shown, "%s", ref);
        gp_cpr_mask_in_place(shown);
        return gp_ad_fail(x->err, x->errlen,
                          "fhir: entry[%zu] (%s/%s) is about %s, not the citizen asked", i, rt, id,
                          shown);
    }
    if (!gp_ad_has(ref) && !has)
        return gp_ad_fail(x->err, x->errlen, "fhir: entry[%zu] (%s/%s) names no patient", i, rt,
                          id);
    memcpy(cpr, x->cpr, 11);
    return true;
}

/* An OperationOutcome's issue that makes the answer unusable: an error, or a parameter the
 * server did not apply (FHIR lets a server ignore one it does not support, and say so here).
 * NULL when none; else the issue's text. */
static const char *issue_text(const json_t *issue)
{
    const char *d = gp_ad_str(issue, "diagnostics");
    if (!gp_ad_has(d))
        d = concept_text(gp_ad_obj(issue, "details"));
    return gp_ad_has(d) ? d : "(no diagnostics)";
}

static bool outcome_ok(const json_t *oo, char *err, size_t errlen)
{
    static const char *const ignored[] = {"ignor",
                                          "not supported",
                                          "unsupported",
                                          "unknown search parameter",
                                          "unknown parameter",
                                          "not recogni",
                                          "not known"};
    json_t *issues = gp_ad_arr(oo, "issue");
    for (size_t i = 0; i < json_array_size(issues); i++) {
        json_t *issue = gp_ad_arr_obj(issues, i);
        const char *sev = gp_ad_str(issue, "severity"), *code = gp_ad_str(issue, "code");
        const char *text = issue_text(issue);
        char folded[256];
        gp_text_fold(text, GP_FOLD_WORD, folded, sizeof folded);
        bool skipped = code && !strcmp(code, "not-supported");
        for (size_t k = 0; !skipped && k < sizeof ignored / sizeof ignored[0]; k++)
            skipped = strstr(folded, ignored[k]) != NULL;
        if (skipped)
            return gp_ad_fail(err, errlen,
                              "fhir: the server did not apply the search as asked: %.180s", text);
        if (sev && (!strcmp(sev, "error") || !strcmp(sev, "fatal")))
            return gp_ad_fail(err, errlen, "fhir: the server reported an error: %.180s", text);
    }
    return true;
}

static bool entry(struct ctx *x, size_t i)
{
    json_t *e = gp_ad_arr_obj(x->entries, i);
    if (!e)
        return gp_ad_fail(x->err, x->errlen, "fhir: entry[%zu] is not an object", i);
    json_t *res = gp_ad_obj(e, "resource");
    const char *rtname = gp_ad_str(res, "resourceType");
    if (rtname && !strcmp(rtname, "OperationOutcome"))
        return outcome_ok(res, x->err, x->errlen);
    enum rtype t = rtype_of(rtname);
    if (t == R_OTHER)
        return true; /* Patient (checked before), Organization, anything else: not ours */
    const char *id = gp_ad_str(res, "id");
    if (!gp_ad_has(id) || strlen(id) > MAX_ID)
        return gp_ad_fail(x->err, x->errlen, "fhir: entry[%zu] (%s) has no valid id", i, rtname);
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
    snprintf(ref, sizeof ref, "%s/%s", rtname, id);
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
    size_t k = x->out->n - 1 - x->first;
    if (!keep) {
        x->out->n--; /* entered in error: it never existed */
        if (k < x->nlabels) {
            free(x->labels[k]);
            x->labels[k] = NULL;
        }
        return true;
    }
    gp_ad_finish(r);
    if (t == R_CAREPLAN) {
        struct gp_record plan = *r;
        return careplan_activities(x, res, &plan, k);
    }
    return true;
}

/* Children take classification, unit and caseworker from their case in the same answer; a
 * child's own security labels stay with it. */
static void link_children(struct ctx *x)
{
    for (size_t i = x->first; i < x->out->n; i++) {
        struct gp_record *r = &x->out->items[i];
        struct gp_record *p = gp_ad_find_ref(x->out, x->first, r->parent_ref);
        if (!p || p == r)
            continue;
        bool is_case = !strcmp(p->kind, "case");
        gp_record_inherit(r, p, is_case);
        size_t k = i - x->first;
        const char *own = k < x->nlabels ? x->labels[k] : NULL;
        size_t n = strlen(r->source_code);
        if (is_case && own && !strstr(r->source_code, own) &&
            n + 1 + strlen(own) < sizeof r->source_code) {
            r->source_code[n] = '\n';
            memcpy(r->source_code + n + 1, own, strlen(own) + 1);
        }
    }
}

static void ctx_free(struct ctx *x)
{
    for (size_t k = 0; k < x->nlabels; k++)
        free(x->labels[k]);
    free(x->labels);
    x->labels = NULL;
    x->nlabels = 0;
}

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
    if (x->cpr && !collect_patients(x))
        return false;
    for (size_t i = 0; i < json_array_size(entries); i++) {
        if (!entry(x, i))
            return false;
    }
    link_children(x);
    return true;
}

/* ---- options ---------------------------------------------------------------------------- */

struct opts {
    bool per_type; /* search=per-type (default) or system */
    bool pdqm;     /* patient=pdqm (default) or identifier */
    bool include;  /* include=yes, default no */
    unsigned types;
};

static bool parse_types(const char *v, unsigned *types)
{
    *types = 0;
    for (const char *p = v; *p;) {
        size_t n = strcspn(p, ",");
        bool found = false;
        for (int t = 0; t < R_NTYPES && !found; t++) {
            if (strlen(type_names[t]) == n && !strncmp(p, type_names[t], n)) {
                if (*types & (1u << t))
                    return false;
                *types |= 1u << t;
                found = true;
            }
        }
        if (!found)
            return false;
        p += n;
        if (*p == ',' && !*++p)
            return false;
    }
    return *types != 0;
}

static bool parse_options(const char *options, struct opts *o, char *err, size_t errlen)
{
    *o = (struct opts){.per_type = true, .pdqm = true, .include = false, .types = ALL_TYPES};
    if (!options || !*options)
        return true;
    json_error_t jerr;
    json_t *root = json_loads(options, JSON_REJECT_DUPLICATES, &jerr);
    bool ok = json_is_object(root);
    if (!ok)
        gp_ad_fail(err, errlen, "fhir-r4 options must be a JSON object");
    const char *key;
    json_t *v;
    json_object_foreach(ok ? root : NULL, key, v)
    {
        const char *s = json_string_value(v);
        if (!s) {
            ok = gp_ad_fail(err, errlen, "fhir-r4 option %s: a string is expected", key);
        } else if (!strcmp(key, "search")) {
            if (!strcmp(s, "per-type") || !strcmp(s, "system"))
                o->per_type = !strcmp(s, "per-type");
            else
                ok = gp_ad_fail(err, errlen, "fhir-r4 option search: per-type or system");
        } else if (!strcmp(key, "patient")) {
            if (!strcmp(s, "pdqm") || !strcmp(s, "identifier"))
                o->pdqm = !strcmp(s, "pdqm");
            else
                ok = gp_ad_fail(err, errlen, "fhir-r4 option patient: pdqm or identifier");
        } else if (!strcmp(key, "include")) {
            if (!strcmp(s, "yes") || !strcmp(s, "no"))
                o->include = !strcmp(s, "yes");
            else
                ok = gp_ad_fail(err, errlen, "fhir-r4 option include: yes or no");
        } else if (!strcmp(key, "types")) {
            if (!parse_types(s, &o->types))
                ok = gp_ad_fail(err, errlen,
                                "fhir-r4 option types: a comma list of EpisodeOfCare, CarePlan, "
                                "DocumentReference, Encounter, each once");
        } else {
            ok = gp_ad_fail(err, errlen,
                            "fhir-r4 has no option '%.40s' (search, patient, types, include)", key);
        }
        if (!ok)
            break;
    }
    json_decref(root);
    return ok;
}

static bool check_options(const char *options, char *err, size_t errlen)
{
    struct opts o;
    return parse_options(options, &o, err, errlen);
}

/* The conversation's state, as lookup_next gets it (next_arg): "s=<search>&t=<types>&i=<0|1>". */
static bool write_arg(const struct opts *o, char *arg, size_t len)
{
    char types[128] = "";
    size_t n = 0;
    for (int t = 0; t < R_NTYPES; t++) {
        if (o->types & (1u << t))
            n += (size_t)snprintf(types + n, sizeof types - n, "%s%s", n ? "," : "", type_names[t]);
    }
    int w = snprintf(arg, len, "s=%s&t=%s&i=%d", o->per_type ? "per-type" : "system", types,
                     o->include ? 1 : 0);
    return w > 0 && (size_t)w < len;
}

static bool read_arg(const char *arg, struct opts *o);

/* ---- URLs ------------------------------------------------------------------------------- */

/* The searches of a lookup, one per line into url: per type or one with _type; the patient
 * criterion pat is already encoded ("patient=Patient%2Fa" or "patient.identifier=..."). */
static bool searches(const char *base, size_t base_len, const struct opts *o, const char *pat,
                     char *url, size_t len)
{
    size_t w = 0;
    url[0] = '\0';
    if (!o->per_type) {
        if (!gp_ad_url_add(url, len, &w, "%.*s?_type=", (int)base_len, base))
            return false;
        bool first = true;
        for (int t = 0; t < R_NTYPES; t++) {
            if (!(o->types & (1u << t)))
                continue;
            if (!gp_ad_url_add(url, len, &w, "%s%s", first ? "" : ",", type_names[t]))
                return false;
            first = false;
        }
        if (!gp_ad_url_add(url, len, &w, "&%s&_count=1000", pat))
            return false;
        for (int t = 0; o->include && t < R_NTYPES; t++) {
            if ((o->types & (1u << t)) && !gp_ad_url_add(url, len, &w, "%s", type_includes[t]))
                return false;
        }
        return true;
    }
    for (int t = 0; t < R_NTYPES; t++) {
        if (!(o->types & (1u << t)))
            continue;
        if (!gp_ad_url_add(url, len, &w, "%s%.*s/%s?%s&_count=1000%s", w ? "\n" : "", (int)base_len,
                           base, type_names[t], pat, o->include ? type_includes[t] : ""))
            return false;
    }
    return true;
}

static size_t base_len_of(const char *base_url)
{
    size_t n = base_url ? strlen(base_url) : 0;
    while (n > 0 && base_url[n - 1] == '/')
        n--;
    return n;
}

/* The one-request form: the system search with the chained identifier. */
static bool lookup_url(const char *base_url, const char *cpr, char *url, size_t len)
{
    size_t n = base_len_of(base_url);
    char pat[96];
    struct opts o = {.per_type = false, .pdqm = false, .types = ALL_TYPES};
    snprintf(pat, sizeof pat, "patient.identifier=%s%s", cpr_system_enc, cpr ? cpr : "");
    return n > 0 && gp_ad_cpr10(cpr) && searches(base_url, n, &o, pat, url, len);
}

static bool lookup_start(const char *base_url, const char *options, const char *cpr, char *url,
                         size_t len, char *arg, size_t arglen)
{
    struct opts o;
    char err[200];
    size_t n = base_len_of(base_url);
    if (!n || !gp_ad_cpr10(cpr) || !parse_options(options, &o, err, sizeof err) ||
        !write_arg(&o, arg, arglen))
        return false;
    if (o.pdqm) {
        size_t w = 0;
        return gp_ad_url_add(url, len, &w, "%.*s/Patient?identifier=%s%s&_count=50", (int)n,
                             base_url, cpr_system_enc, cpr);
    }
    char pat[96];
    snprintf(pat, sizeof pat, "patient.identifier=%s%s", cpr_system_enc, cpr);
    return searches(base_url, n, &o, pat, url, len);
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
    ctx_free(&x);
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

static bool read_arg(const char *arg, struct opts *o)
{
    char url[300], s[16], t[128], i[4];
    *o = (struct opts){.per_type = true, .pdqm = true, .types = ALL_TYPES};
    snprintf(url, sizeof url, "?%s", arg ? arg : "");
    if (!query_param(url, "s", s, sizeof s) || !query_param(url, "t", t, sizeof t) ||
        !query_param(url, "i", i, sizeof i))
        return false;
    o->per_type = !strcmp(s, "per-type");
    o->include = i[0] == '1';
    return parse_types(t, &o->types);
}

/* The page's next link as a URL on the same origin as leg_url: 1 with it in next, 0 when the
 * page has none, -1 with a reason. */
static int next_link(const json_t *root, const char *leg_url, char *next, size_t next_len)
{
    const char *url = json_is_object(root) ? link_url(root, "next") : NULL;
    size_t o = origin_len(leg_url);
    if (!url)
        return 0;
    if (url[0] == '/' && url[1] != '/' && o + strlen(url) < next_len && !strpbrk(url, "\r\n")) {
        snprintf(next, next_len, "%.*s%s", (int)o, leg_url, url);
        return 1;
    }
    if (o && origin_len(url) == o && !strncmp(url, leg_url, o) && strlen(url) < next_len &&
        strlen(url) < MAX_URL && !strpbrk(url, "\r\n")) {
        snprintf(next, next_len, "%s", url);
        return 1;
    }
    snprintf(next, next_len, "fhir: the link to the next page is not on %.*s, or too long",
             (int)(o < 120 ? o : 120), leg_url);
    return -1;
}

/* After the patient search's page: the searches for the patients it names — each of whom must
 * carry the CPR asked, or nothing more is asked. */
static int after_patients(const struct opts *o, const char *leg_url, const json_t *root, char *next,
                          size_t next_len)
{
    const char *rt = gp_ad_str(root, "resourceType"), *type = gp_ad_str(root, "type");
    if (rt && !strcmp(rt, "OperationOutcome")) {
        snprintf(next, next_len, "fhir: the patient search failed: %.200s", outcome_text(root));
        return -1;
    }
    if (!rt || strcmp(rt, "Bundle") != 0 || !type || strcmp(type, "searchset") != 0) {
        snprintf(next, next_len, "fhir: the patient search did not answer a searchset Bundle");
        return -1;
    }
    if (link_url(root, "next")) {
        snprintf(next, next_len, "fhir: more patients match the CPR than one page holds");
        return -1;
    }
    char ident[64], cpr[11];
    const char *q = strstr(leg_url, "/Patient?");
    if (!q || !query_param(leg_url, "identifier", ident, sizeof ident) ||
        strncmp(ident, GP_AD_CPR_SYSTEM "|", strlen(GP_AD_CPR_SYSTEM) + 1) != 0 ||
        !gp_ad_cpr(ident + strlen(GP_AD_CPR_SYSTEM) + 1, cpr)) {
        snprintf(next, next_len, "fhir: not a patient search of a CPR");
        return -1;
    }
    json_t *entries = gp_ad_arr(root, "entry");
    char pat[MAX_PATIENTS * (MAX_ID + 16) + 16], ids[MAX_PATIENTS][MAX_ID + 1];
    size_t w = 0, npats = 0;
    pat[0] = '\0';
    for (size_t i = 0; i < json_array_size(entries); i++) {
        json_t *e = gp_ad_arr_obj(entries, i);
        json_t *res = gp_ad_obj(e, "resource");
        const char *ert = gp_ad_str(res, "resourceType");
        char why[256];
        if (ert && !strcmp(ert, "OperationOutcome")) {
            if (!outcome_ok(res, why, sizeof why)) {
                snprintf(next, next_len, "%s", why);
                return -1;
            }
            continue;
        }
        if (!ert || strcmp(ert, "Patient") != 0)
            continue;
        const char *id = gp_ad_str(res, "id");
        char c[11];
        bool bad;
        const char *has = cpr_identifier(json_object_get(res, "identifier"), c, &bad);
        if (!valid_id(id) || !has || bad || strcmp(c, cpr) != 0) {
            snprintf(next, next_len,
                     "fhir: the patient search answered a patient who does not carry the CPR "
                     "asked (did the server ignore the identifier?)");
            return -1;
        }
        bool twice = false;
        for (size_t k = 0; k < npats && !twice; k++)
            twice = !strcmp(ids[k], id);
        if (twice)
            continue;
        if (npats == MAX_PATIENTS) {
            snprintf(next, next_len, "fhir: more than %d patients carry the CPR", MAX_PATIENTS);
            return -1;
        }
        snprintf(ids[npats++], sizeof ids[0], "%s", id);
        w += (size_t)snprintf(pat + w, sizeof pat - w, "%sPatient%%2F%s", w ? "," : "patient=", id);
    }
    if (npats == 0)
        return 0; /* the system does not know the citizen: that is the answer */
    char *urls = next;
    if (!searches(leg_url, (size_t)(q - leg_url), o, pat, urls, next_len)) {
        snprintf(next, next_len, "fhir: the searches' URLs do not fit");
        return -1;
    }
    int n = 1;
    for (const char *p = urls; *p; p++)
        n += *p == '\n';
    return n;
}

static int lookup_next(const char *arg, const char *leg_url, const char *body, size_t len,
                       char *next, size_t next_len)
{
    bool patients = strstr(leg_url, "/Patient?") != NULL;
    /* Most search pages are the last: no "next" anywhere in them, nothing to parse here. */
    if (!patients && !contains(body, len, "\"next\""))
        return 0;
    json_t *root = json_loadb(body, len, 0, NULL);
    int rc;
    if (patients) {
        struct opts o;
        if (!read_arg(arg, &o)) {
            snprintf(next, next_len, "fhir: the lookup lost its options");
            rc = -1;
        } else {
            rc = after_patients(&o, leg_url, root, next, next_len);
        }
    } else {
        rc =
            next_link(root, leg_url, next, next_len); /* a page that is not JSON: the parser says */
    }
    json_decref(root);
    return rc;
}

static bool parse_lookup_pages(const char *cpr, const char *body, const size_t *page_len, size_t n,
                               struct gp_record_list *out, char *err, size_t errlen)
{
    if (n <= 1)
        return parse_lookup(cpr, body, n ? page_len[0] : 0, out, err, errlen);
    /* One Bundle: the first page's, with every page's entries (the patient search's page, if
     * any, first: its Patients are who the citizen is). */
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
            if (rt && !strcmp(rt, "OperationOutcome"))
                ok = gp_ad_fail(err, errlen, "fhir: page %zu is an OperationOutcome: %.200s", k + 1,
                                outcome_text(page));
            else if (!rt || strcmp(rt, "Bundle") != 0 || !type || strcmp(type, "searchset") != 0 ||
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
    struct ctx x = {.cpr = cpr, .out = out, .err = err, .errlen = errlen};
    if (ok)
        ok = parse_bundle(root, &x);
    json_decref(root);
    ctx_free(&x);
    if (!ok)
        out->n = n0;
    return ok;
}

/* An error answer's OperationOutcome: its first error issue's diagnostics (else its first
 * issue's). */
static bool describe_error(const char *body, size_t len, char *out, size_t outlen)
{
    json_t *root = body && len ? json_loadb(body, len, 0, NULL) : NULL;
    const char *rt = gp_ad_str(root, "resourceType");
    bool ok = rt && !strcmp(rt, "OperationOutcome");
    if (ok) {
        json_t *issues = gp_ad_arr(root, "issue");
        json_t *pick = gp_ad_arr_obj(issues, 0);
        for (size_t i = 0; i < json_array_size(issues); i++) {
            const char *sev = gp_ad_str(gp_ad_arr_obj(issues, i), "severity");
            if (sev && (!strcmp(sev, "error") || !strcmp(sev, "fatal"))) {
                pick = gp_ad_arr_obj(issues, i);
                break;
            }
        }
        snprintf(out, outlen, "OperationOutcome: %.200s", pick ? issue_text(pick) : "(no issue)");
        for (char *p = out; *p; p++) {
            if ((unsigned char)*p < 0x20)
                *p = ' ';
        }
        gp_cpr_mask_in_place(out);
    }
    json_decref(root);
    return ok;
}

static bool export_url(const char *base_url, const char *cursor, int limit, char *url, size_t len)
{
    size_t o = 0, n = base_len_of(base_url);
    int count;
    if (!n || !gp_ad_limit(limit, 1000, &count) ||
        !gp_ad_url_add(url, len, &o,
                       "%.*s?_type=EpisodeOfCare,CarePlan,DocumentReference,"
                       "Encounter&_count=%d",
                       (int)n, base_url, count))
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
    ctx_free(&x);
    if (!ok)
        out->records.n = n0;
    return ok;
}

const struct gp_adapter gp_adapter_fhir_r4 = {
    .kind = "fhir-r4",
    .accept = "application/fhir+json, application/json+fhir;q=0.9, application/json;q=0.8",
    .prefer = "handling=strict",
    .lookup_url = lookup_url,
    .lookup_start = lookup_start,
    .check_options = check_options,
    .parse_lookup = parse_lookup,
    .lookup_next = lookup_next,
    .parse_lookup_pages = parse_lookup_pages,
    .describe_error = describe_error,
    .export_url = export_url,
    .parse_export = parse_export,
};
