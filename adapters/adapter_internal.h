/* What the four adapters (momentum.c, sensum.c, fhir_r4.c, dubu.c) share: type-checked jansson
 * access, Danish local dates, status words, document kinds, URL building and the record cap.
 *
 * Everything here is static inline because adapters/ has no shared .c file of its own (the
 * record helpers in record.c belong to the index too); the one piece of shared state, the
 * test hook gp_adapter_today, is defined in momentum.c.
 *
 * Conventions every adapter follows (adapter.h is the contract):
 * - A parse function that returns false leaves `out` as it found it (records it added are
 *   dropped again) and says why in err.
 * - Every jansson value is type-checked before use: a member of the wrong type counts as
 *   absent. Only the shape that identifies the system's answer (top-level object, its main
 *   array, an id per thing) makes the parse fail.
 * - Dates are "YYYY-MM-DD" in Europe/Copenhagen: a plain date is taken as written, a date-time
 *   with an offset or "Z" is converted to the Danish local date (see gp_ad_local_date), a date
 *   that is not a real calendar day between 1800 and 2199 is dropped ("9999-12-31", which
 *   some Danish systems use for "no end", therefore means no end).
 * - Titles pass through gp_cpr_mask_in_place: a CPR number never reaches a title. */
#ifndef GP_ADAPTER_INTERNAL_H
#define GP_ADAPTER_INTERNAL_H

#include "adapters/adapter.h"
#include "lib/core/cpr.h"
#include "lib/core/date.h"
#include "lib/core/text.h"

#include <jansson.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

/* Records one answer or export page may produce; more makes the parse fail. A per-CPR answer
 * from a real system holds a few hundred at most; the cap keeps a hostile or broken source
 * from filling the index. */
#define GP_AD_MAX_RECORDS 10000

/* The CPR identifier system of Danish FHIR profiles (DESIGN.md). */
#define GP_AD_CPR_SYSTEM "urn:oid:1.2.208.176.1.2"

/* Test hook: a "YYYY-MM-DD" the adapters take as today when deriving a status from dates,
 * instead of the clock; "" (the default) means the clock. Only tests set it, before parsing
 * (it is not synchronised). Defined in momentum.c. */
extern char gp_adapter_today[11];

/* ---- errors and the record list --------------------------------------------------------- */

__attribute__((format(printf, 3, 4))) static inline bool gp_ad_fail(char *err, size_t errlen,
                                                                    const char *fmt, ...)
{
    if (err && errlen) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(err, errlen, fmt, ap);
        va_end(ap);
    }
    return false;
}

/* Appends a record, or fails with "too many records" at the cap. */
static inline struct gp_record *gp_ad_add(struct gp_record_list *l, char *err, size_t errlen)
{
    if (l->n >= GP_AD_MAX_RECORDS) {
        gp_ad_fail(err, errlen, "too many records (more than %d in one answer)", GP_AD_MAX_RECORDS);
        return NULL;
    }
    return gp_record_list_add(l);
}

/* Sets a record's source_ref; fails rather than truncate, which could make two things one. */
static inline bool gp_ad_ref(struct gp_record *r, const char *ref, char *err, size_t errlen)
{
    if (strlen(ref) >= sizeof r->source_ref)
        return gp_ad_fail(err, errlen, "an identifier is longer than %zu bytes: %.40s...",
                          sizeof r->source_ref - 1, ref);
    GP_REC_SET(r->source_ref, ref);
    return true;
}

/* Parses a body that must be a JSON object. NULL with err otherwise. */
static inline json_t *gp_ad_load_object(const char *body, size_t len, const char *what, char *err,
                                        size_t errlen)
{
    if (!body || len == 0) {
        gp_ad_fail(err, errlen, "%s: empty body", what);
        return NULL;
    }
    json_error_t jerr;
    json_t *root = json_loadb(body, len, JSON_REJECT_DUPLICATES, &jerr);
    if (!root) {
        gp_ad_fail(err, errlen, "%s: not JSON: %s (line %d, column %d)", what, jerr.text, jerr.line,
                   jerr.column);
        return NULL;
    }
    if (!json_is_object(root)) {
        json_decref(root);
        gp_ad_fail(err, errlen, "%s: the body is not a JSON object", what);
        return NULL;
    }
    return root;
}

/* ---- type-checked access ---------------------------------------------------------------- */

/* The string member key of obj, or NULL when obj is not an object or the member is absent or
 * not a string. */
static inline const char *gp_ad_str(const json_t *obj, const char *key)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return json_is_string(v) ? json_string_value(v) : NULL;
}

static inline json_t *gp_ad_obj(const json_t *obj, const char *key)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return json_is_object(v) ? v : NULL;
}

static inline json_t *gp_ad_arr(const json_t *obj, const char *key)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    return json_is_array(v) ? v : NULL;
}

/* Element i of array arr when it is an object, else NULL. */
static inline json_t *gp_ad_arr_obj(const json_t *arr, size_t i)
{
    json_t *v = json_is_array(arr) ? json_array_get(arr, i) : NULL;
    return json_is_object(v) ? v : NULL;
}

/* s is a non-empty string. */
static inline bool gp_ad_has(const char *s)
{
    return s && *s;
}

/* A string or integer member as text (ids are either, depending on the vendor). */
static inline bool gp_ad_id(const json_t *obj, const char *key, char *buf, size_t len)
{
    json_t *v = json_is_object(obj) ? json_object_get(obj, key) : NULL;
    if (json_is_string(v) && json_string_length(v) > 0 && json_string_length(v) < len &&
        !memchr(json_string_value(v), '\0', json_string_length(v))) {
        snprintf(buf, len, "%s", json_string_value(v));
        return true;
    }
    if (json_is_integer(v) && json_integer_value(v) >= 0) {
        snprintf(buf, len, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        return true;
    }
    return false;
}

/* ---- CPR -------------------------------------------------------------------------------- */

/* s ("DDMMYYSSSS" or "DDMMYY-SSSS") as ten digits into out; false when not a valid CPR. */
static inline bool gp_ad_cpr(const char *s, char out[11])
{
    struct gp_cpr c;
    if (!s || gp_cpr_parse(s, strlen(s), &c) != GP_CPR_OK)
        return false;
    memcpy(out, c.digits, 11);
    return true;
}

/* Ten ASCII digits, nothing else: what the URL builders accept. */
static inline bool gp_ad_cpr10(const char *cpr)
{
    if (!cpr || strlen(cpr) != 10)
        return false;
    for (int i = 0; i < 10; i++) {
        if (cpr[i] < '0' || cpr[i] > '9')
            return false;
    }
    return true;
}

/* ---- dates ---------------------------------------------------------------------------------
 * The calendar, Denmark's offset and the ISO 8601 grammar are lib/core/date.h's. What is the
 * adapters' own: the years a vendor date may have, and what a date-time means for a record. */

/* Dates outside this range are treated as absent (sentinels such as 0001-01-01, 9999-12-31). */
#define GP_AD_MIN_YEAR 1800
#define GP_AD_MAX_YEAR 2199

static inline bool gp_ad_year_ok(int y)
{
    return y >= GP_AD_MIN_YEAR && y <= GP_AD_MAX_YEAR;
}

/* The Danish local date of the instant t into out; "" when out of range. */
static inline void gp_ad_epoch_date(int64_t t, char out[11])
{
    out[0] = '\0';
    if (t < -5364662400LL || t > 7289654400LL) /* 1800-01-01 .. 2201-01-01 */
        return;
    int y, m, d;
    gp_civil_from_days(gp_dk_day(t), &y, &m, &d);
    if (gp_ad_year_ok(y))
        gp_date_format(y, m, d, out);
}

/* The instant t as "YYYY-MM-DDTHH:MM:SSZ" into out (>= 21 bytes); "" when out of range. */
static inline void gp_ad_epoch_iso(int64_t t, char *out, size_t len)
{
    out[0] = '\0';
    if (len < 21 || t < -5364662400LL || t > 7289654400LL)
        return;
    int64_t day = gp_epoch_day(t);
    int secs = (int)(t - day * 86400);
    char date[11];
    gp_day_format(day, date);
    snprintf(out, len, "%sT%02d:%02d:%02dZ", date, secs / 3600, secs / 60 % 60, secs % 60);
}

/* An ISO 8601 date or date-time as the vendors write them, split into its parts (the name the
 * adapters and their tests have always used for lib/core/date.h's struct). */
#define gp_ad_time gp_datetime

/* gp_datetime_parse with the adapters' years: "YYYY[-MM[-DD[(T|
 * )HH:MM[:SS[.fff]][Z|(+|-)HH[:]MM]]]]" strictly (nothing may follow); partial allows "YYYY" and
 * "YYYY-MM" (FHIR date). The date must exist, in GP_AD_MIN_YEAR..GP_AD_MAX_YEAR. */
static inline bool gp_ad_parse_time(const char *s, bool partial, struct gp_ad_time *t)
{
    return gp_datetime_parse(s, partial, t) && gp_ad_year_ok(t->y);
}

/* The Danish local date of a date or date-time into out ("" when s is absent or not a valid
 * date). A plain date, or a date-time without an offset (local time, as Momentum writes it),
 * keeps its date; a date-time with an offset or "Z" names an instant, whose date in
 * Copenhagen is taken: "2024-08-31T22:00:00Z" is 2024-09-01. With partial (FHIR), "2014"
 * and "2014-09" become the first day of that year or month, or the last with partial_end. */
static inline void gp_ad_local_date(const char *s, bool partial, bool partial_end, char out[11])
{
    struct gp_ad_time t;
    out[0] = '\0';
    if (!gp_ad_parse_time(s, partial, &t))
        return;
    if (t.m == 0 || t.d == 0) {
        int m = t.m ? t.m : (partial_end ? 12 : 1);
        int d = partial_end ? gp_date_month_days(t.y, m) : 1;
        gp_date_format(t.y, m, d, out);
        return;
    }
    if (!t.has_time || !t.has_offset) {
        gp_date_format(t.y, t.m, t.d, out);
        return;
    }
    gp_ad_epoch_date(gp_datetime_wall(&t) - t.offset_s, out);
}

/* source_updated: a date-time that PostgreSQL reads as the same instant whatever its session
 * time zone. With an offset or "Z" it is kept as written; without one (Momentum's local
 * timestamps) the Danish offset of that local time is appended; a plain date, or anything
 * else, gives "". */
static inline void gp_ad_updated(const char *s, char *out, size_t len)
{
    struct gp_ad_time t;
    out[0] = '\0';
    if (!gp_ad_parse_time(s, false, &t) || !t.has_time || strlen(s) + 7 > len)
        return;
    if (t.has_offset) {
        snprintf(out, len, "%s", s);
        return;
    }
    int off = gp_dk_offset_local(gp_datetime_wall(&t));
    snprintf(out, len, "%s%s", s, off == 7200 ? "+02:00" : "+01:00");
}

/* Today in Denmark, or gp_adapter_today when a test has set it. */
static inline void gp_ad_today(char out[11])
{
    if (gp_adapter_today[0]) {
        memcpy(out, gp_adapter_today, 11);
        out[10] = '\0';
        return;
    }
    gp_ad_epoch_date((int64_t)time(NULL), out);
}

/* ---- status words ------------------------------------------------------------------------ */

/* A vendor status word and what it means. */
struct gp_ad_status_word {
    const char *word;   /* folded (gp_text_fold, GP_FOLD_WORD) */
    const char *status; /* "open", "closed", "planned"; NULL: drop the record (entered-in-error) */
};

enum gp_ad_status_rc { GP_AD_STATUS_KNOWN, GP_AD_STATUS_UNKNOWN, GP_AD_STATUS_DROP };

/* Looks word up in a table ending with {NULL, NULL}; *status is set for KNOWN. */
static inline enum gp_ad_status_rc gp_ad_status_lookup(const struct gp_ad_status_word *tab,
                                                       const char *word, const char **status)
{
    char f[64];
    if (!gp_ad_has(word))
        return GP_AD_STATUS_UNKNOWN;
    gp_text_fold(word, GP_FOLD_WORD, f, sizeof f);
    for (size_t i = 0; tab[i].word; i++) {
        if (!strcmp(tab[i].word, f)) {
            *status = tab[i].status;
            return tab[i].status ? GP_AD_STATUS_KNOWN : GP_AD_STATUS_DROP;
        }
    }
    return GP_AD_STATUS_UNKNOWN;
}

/* A status from the record's own dates, for a status word the adapter does not know (or a
 * system that gives none): ended before today closed; starting after today planned; else
 * open. A document (only a document date) is closed, being written, unless dated ahead. */
static inline void gp_ad_status_from_dates(struct gp_record *r)
{
    char today[11];
    gp_ad_today(today);
    const char *st = "open";
    if (r->end_date[0] && strcmp(r->end_date, today) < 0)
        st = "closed";
    else if (r->start_date[0] && strcmp(r->start_date, today) > 0)
        st = "planned";
    else if (!r->start_date[0] && !r->end_date[0] && r->document_date[0])
        st = strcmp(r->document_date, today) > 0 ? "planned" : "closed";
    GP_REC_SET(r->status, st);
}

/* ---- data types of documents ------------------------------------------------------------ */

/* The data_type of a document from its vendor type code and title (any language the vendors
 * and HL7's examples use), by keyword, first match wins:
 *   samtykke, consent                                   consent_form
 *   lae265, attest, certificate                         certificate
 *   indstilling, recommendation                         recommendation
 *   afgoer (afgørelse), decision                        decision
 *   plan                                                plan
 *   udredning, undersoegelse, status, vurdering,
 *   udtalelse, funktionsevne, assessment, evaluation    assessment
 *   anything else (journalnotat, notat, epikrise,
 *   udskrivningsbrev, note, summary ...)                journal_note */
static inline const char *gp_ad_document_type(const char *code, const char *title)
{
    static const struct {
        const char *kw, *type;
    } rules[] = {
        {"samtykke", "consent_form"},
        {"consent", "consent_form"},
        {"lae265", "certificate"},
        {"attest", "certificate"},
        {"certificate", "certificate"},
        {"indstilling", "recommendation"},
        {"recommendation", "recommendation"},
        {"afgoer", "decision"},
        {"decision", "decision"},
        {"plan", "plan"},
        {"udredning", "assessment"},
        {"undersoegelse", "assessment"},
        {"status", "assessment"},
        {"vurdering", "assessment"},
        {"udtalelse", "assessment"},
        {"funktionsevne", "assessment"},
        {"assessment", "assessment"},
        {"evaluation", "assessment"},
    };
    char text[512], squeezed[512];
    char a[248], b[248];
    gp_text_fold(code, GP_FOLD_WORD, a, sizeof a);
    gp_text_fold(title, GP_FOLD_WORD, b, sizeof b);
    snprintf(text, sizeof text, "%s|%s", a, b);
    /* "LÆ 265", "LAE-265": drop blanks and hyphens so the keyword matches every spelling. */
    size_t o = 0;
    for (const char *p = text; *p && o + 1 < sizeof squeezed; p++) {
        if (*p != ' ' && *p != '-' && *p != '_')
            squeezed[o++] = *p;
    }
    squeezed[o] = '\0';
    for (size_t i = 0; i < sizeof rules / sizeof rules[0]; i++) {
        if (strstr(squeezed, rules[i].kw))
            return rules[i].type;
    }
    return "journal_note";
}

/* ---- finishing a record ------------------------------------------------------------------ */

/* "phone, email", either alone, or "". */
static inline void gp_ad_contact(struct gp_record *r, const char *phone, const char *email)
{
    char buf[sizeof r->caseworker_contact];
    bool p = gp_ad_has(phone), e = gp_ad_has(email);
    snprintf(buf, sizeof buf, "%s%s%s", p ? phone : "", p && e ? ", " : "", e ? email : "");
    GP_REC_SET(r->caseworker_contact, buf);
}

/* The last checks before a record leaves an adapter: an end before the start is dropped (the
 * index refuses such a row, and the start is the better-known date), and a CPR number in the
 * title is masked. */
static inline void gp_ad_finish(struct gp_record *r)
{
    if (r->start_date[0] && r->end_date[0] && strcmp(r->end_date, r->start_date) < 0)
        r->end_date[0] = '\0';
    gp_cpr_mask_in_place(r->title);
}

/* A document of case c (a copy: adding to out may move the list c came from): a record with
 * its reference, the citizen and case, its data type from its type and title, and its title
 * (its type when untitled). The caller sets its date, then calls gp_ad_child_done. NULL with a
 * reason in err when it cannot be added. */
static inline struct gp_record *gp_ad_document(struct gp_record_list *out,
                                               const struct gp_record *c, const char *ref,
                                               const char *type, const char *title, char *err,
                                               size_t errlen)
{
    struct gp_record *r = gp_ad_add(out, err, errlen);
    if (!r)
        return NULL;
    GP_REC_SET(r->cpr, c->cpr);
    if (!gp_ad_ref(r, ref, err, errlen))
        return NULL;
    GP_REC_SET(r->parent_ref, c->source_ref);
    GP_REC_SET(r->data_type, gp_ad_document_type(type, title));
    GP_REC_SET(r->kind, "document");
    GP_REC_SET(r->title, gp_ad_has(title) ? title : type);
    return r;
}

/* The last steps of a child record of case c: what it does not say itself taken from its case
 * (classification included), its status from its dates, and the common checks. */
static inline void gp_ad_child_done(struct gp_record *r, const struct gp_record *c)
{
    gp_record_inherit(r, c, true);
    gp_ad_status_from_dates(r);
    gp_ad_finish(r);
}

/* The record with source_ref ref among items [from, n) of l, or NULL. */
static inline struct gp_record *gp_ad_find_ref(struct gp_record_list *l, size_t from,
                                               const char *ref)
{
    for (size_t i = from; ref && ref[0] && i < l->n; i++) {
        if (!strcmp(l->items[i].source_ref, ref))
            return &l->items[i];
    }
    return NULL;
}

/* ---- URLs -------------------------------------------------------------------------------- */

/* Appends printf output to url at *o; false when it does not fit. */
__attribute__((format(printf, 4, 5))) static inline bool
gp_ad_url_add(char *url, size_t len, size_t *o, const char *fmt, ...)
{
    if (*o >= len)
        return false;
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(url + *o, len - *o, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= len - *o)
        return false;
    *o += (size_t)n;
    return true;
}

/* Starts url with base_url without its trailing slashes. */
static inline bool gp_ad_url_base(const char *base_url, char *url, size_t len, size_t *o)
{
    if (!base_url || !base_url[0] || !url || !len)
        return false;
    size_t n = strlen(base_url);
    while (n > 0 && base_url[n - 1] == '/')
        n--;
    *o = 0;
    return n > 0 && gp_ad_url_add(url, len, o, "%.*s", (int)n, base_url);
}

/* Appends v percent-encoded (RFC 3986 unreserved characters kept). */
static inline bool gp_ad_url_enc(char *url, size_t len, size_t *o, const char *v)
{
    static const char hex[] = "0123456789ABCDEF";
    for (const unsigned char *p = (const unsigned char *)v; *p; p++) {
        bool keep = (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') ||
                    (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_' || *p == '~';
        if (*o + (keep ? 1 : 3) >= len)
            return false;
        if (keep) {
            url[(*o)++] = (char)*p;
        } else {
            url[(*o)++] = '%';
            url[(*o)++] = hex[*p >> 4];
            url[(*o)++] = hex[*p & 15];
        }
    }
    url[*o] = '\0';
    return true;
}

/* An export page size: at least 1, at most the system's maximum (larger asks are clamped). */
static inline bool gp_ad_limit(int limit, int max, int *out)
{
    if (limit < 1)
        return false;
    *out = limit > max ? max : limit;
    return true;
}

/* The URL of a cursor-paged export page (the JSON systems): base_url + path + "?", then
 * cursor_param=<cursor>& unless cursor is "" (the first page), then limit_param=<limit> with
 * limit capped at the system's max. False when a limit is below 1 or the URL does not fit. */
static inline bool gp_ad_export_url(const char *base_url, const char *path,
                                    const char *cursor_param, const char *limit_param, int max,
                                    const char *cursor, int limit, char *url, size_t len)
{
    size_t o;
    int n;
    if (!gp_ad_limit(limit, max, &n) || !gp_ad_url_base(base_url, url, len, &o) ||
        !gp_ad_url_add(url, len, &o, "%s?", path))
        return false;
    if (cursor && cursor[0] &&
        (!gp_ad_url_add(url, len, &o, "%s=", cursor_param) ||
         !gp_ad_url_enc(url, len, &o, cursor) || !gp_ad_url_add(url, len, &o, "&")))
        return false;
    return gp_ad_url_add(url, len, &o, "%s=%d", limit_param, n);
}

/* One citizen of an export page (an element of its list), whose CPR has been read. */
typedef bool (*gp_ad_citizen_fn)(const json_t *item, const char *cpr, struct gp_record_list *out,
                                 char *err, size_t errlen);

/* The citizens of an export page's list into out: each element's CPR is the string at key
 * (inside the object at holder first, unless holder is NULL). An element without a readable
 * CPR cannot be indexed; one such entry must not stop a whole sync, so it is skipped. False
 * when a citizen does not parse (the caller drops what the page added). */
static inline bool gp_ad_export_citizens(const json_t *list, const char *holder, const char *key,
                                         gp_ad_citizen_fn parse, struct gp_record_list *out,
                                         char *err, size_t errlen)
{
    for (size_t i = 0; i < json_array_size(list); i++) {
        json_t *item = gp_ad_arr_obj(list, i);
        char cpr[11];
        if (!item || !gp_ad_cpr(gp_ad_str(holder ? gp_ad_obj(item, holder) : item, key), cpr))
            continue;
        if (!parse(item, cpr, out, err, errlen))
            return false;
    }
    return true;
}

/* Copies an export cursor from the answer; false when it does not fit next_cursor. */
static inline bool gp_ad_set_cursor(struct gp_export_page *out, const char *cursor, char *err,
                                    size_t errlen)
{
    if (strlen(cursor) >= sizeof out->next_cursor)
        return gp_ad_fail(err, errlen, "the next-page cursor is longer than %zu bytes",
                          sizeof out->next_cursor - 1);
    GP_REC_SET(out->next_cursor, cursor);
    return true;
}

#endif
