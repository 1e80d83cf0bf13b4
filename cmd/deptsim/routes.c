/* Native endpoints of the five systems, socket-free. See routes.h for the list. */
#include "cmd/deptsim/routes.h"

#include "cmd/deptsim/cpr.h"
#include "cmd/deptsim/jsonw.h"
#include "cmd/deptsim/render.h"
#include "cmd/deptsim/rng.h"

#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CT_JSON      "application/json; charset=utf-8"
#define CT_JSON_BARE "application/json"
#define CT_FHIR      "application/fhir+json; charset=utf-8"

const char *ds_system_content_type(enum ds_system sys)
{
    switch (sys) {
    case DS_HEALTH:
    case DS_REGION:
        return CT_FHIR;
    case DS_FAMILY:
        return CT_JSON_BARE; /* DUBU never names a charset */
    default:
        return CT_JSON;
    }
}

void ds_reply_free(struct ds_reply *r)
{
    if (!r)
        return;
    free(r->body);
    r->body = NULL;
    r->len = 0;
}

/* Steals body. */
static bool reply_json(struct ds_reply *out, unsigned status, const char *ctype, json_t *body)
{
    if (!body)
        return false;
    size_t len = 0;
    char *s = ds_json_dump(body, &len);
    json_decref(body);
    if (!s)
        return false;
    out->status = status;
    out->content_type = ctype;
    out->body = s;
    out->len = len;
    return true;
}

bool ds_route_error(enum ds_system sys, unsigned status, const char *message, struct ds_reply *out)
{
    json_t *body = NULL;
    char code[32];
    switch (sys) {
    case DS_JOBCENTRE:
        snprintf(code, sizeof code, "%s",
                 status == 404   ? "IKKE_FUNDET"
                 : status == 400 ? "UGYLDIG_FORESPOERGSEL"
                 : status == 405 ? "METODE_IKKE_TILLADT"
                 : status == 503 ? "TJENESTE_UTILGAENGELIG"
                                 : "INTERN_FEJL");
        body = json_pack("{s:s, s:s}", "fejlkode", code, "besked", message);
        break;
    case DS_SOCIAL:
        body = json_pack("{s:s}", "Message", message);
        break;
    case DS_HEALTH:
    case DS_REGION:
        body = ds_fhir_outcome("error",
                               status == 404   ? "not-found"
                               : status == 400 ? "invalid"
                               : status == 405 ? "not-supported"
                               : status == 503 ? "transient"
                                               : "exception",
                               message);
        break;
    default:
        snprintf(code, sizeof code, "HTTP_%u", status);
        body = json_pack("{s:{s:s, s:s}}", "error", "code", code, "message", message);
        break;
    }
    return reply_json(out, status, ds_system_content_type(sys), body);
}

/* ---- small parsing helpers -------------------------------------------------------------- */

/* path == prefix + segment + suffix, segment non-empty and without '/'. */
static bool match_segment(const char *path, const char *prefix, const char *suffix,
                          const char **seg, size_t *seglen)
{
    size_t pl = strlen(prefix), sl = strlen(suffix), len = strlen(path);
    if (len <= pl + sl || strncmp(path, prefix, pl) != 0 || strcmp(path + len - sl, suffix) != 0)
        return false;
    *seg = path + pl;
    *seglen = len - pl - sl;
    return memchr(*seg, '/', *seglen) == NULL;
}

/* A decimal in [lo, hi] or the default when absent; false when present but bad. */
static bool arg_number(const struct ds_request *rq, const char *key, long lo, long hi, long def,
                       long *out)
{
    const char *v = rq->arg ? rq->arg(rq->arg_cls, key) : NULL;
    if (!v) {
        *out = def;
        return true;
    }
    char *end;
    errno = 0;
    long n = strtol(v, &end, 10);
    if (errno || end == v || *end || n < lo || n > hi)
        return false;
    *out = n;
    return true;
}

static const char *arg(const struct ds_request *rq, const char *key)
{
    return rq->arg ? rq->arg(rq->arg_cls, key) : NULL;
}

/* Opaque cursors: position and offset, masked and tagged with the population, so a cursor
 * from another seed or size is refused instead of silently skipping citizens. */
static void cursor_encode(const struct ds_population *p, enum ds_system s, uint64_t pos,
                          uint32_t off, char buf[33])
{
    uint64_t mask = ds_hash4(p->seed, p->size, (uint64_t)s, 0xc0c0);
    uint32_t tag = (uint32_t)ds_hash4(p->seed, p->size, (uint64_t)s, pos * 1000003ULL + off);
    snprintf(buf, 33, "%016" PRIx64 "%08" PRIx32 "%08" PRIx32, pos ^ mask,
             off ^ (uint32_t)(mask >> 13), tag);
}

static bool cursor_decode(const struct ds_population *p, enum ds_system s, const char *c,
                          uint64_t *pos, uint32_t *off)
{
    if (!c || strlen(c) != 32 || strspn(c, "0123456789abcdef") != 32)
        return false;
    char part[17];
    memcpy(part, c, 16);
    part[16] = '\0';
    uint64_t mask = ds_hash4(p->seed, p->size, (uint64_t)s, 0xc0c0);
    uint64_t pv = strtoull(part, NULL, 16) ^ mask;
    memcpy(part, c + 16, 8);
    part[8] = '\0';
    uint32_t ov = (uint32_t)strtoul(part, NULL, 16) ^ (uint32_t)(mask >> 13);
    memcpy(part, c + 24, 8);
    uint32_t tag = (uint32_t)strtoul(part, NULL, 16);
    if (tag != (uint32_t)ds_hash4(p->seed, p->size, (uint64_t)s, pv * 1000003ULL + ov))
        return false;
    if (pv > ds_pop_count(p))
        return false;
    *pos = pv;
    *off = ov;
    return true;
}

/* Percent-encodes v for a query string (RFC 3986 unreserved characters kept). */
static void url_encode(const char *v, char *out, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;
    for (const unsigned char *p = (const unsigned char *)v; *p && o + 4 < len; p++) {
        if ((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
            *p == '-' || *p == '.' || *p == '_' || *p == '~' || *p == ',') {
            out[o++] = (char)*p;
        } else {
            out[o++] = '%';
            out[o++] = hex[*p >> 4];
            out[o++] = hex[*p & 15];
        }
    }
    out[o] = '\0';
}

/* Looks the CPR segment up; fills masked CPR for the log. */
static enum ds_find find_cpr(const struct ds_population *pop, const char *seg, size_t len,
                             uint64_t *pos, struct ds_reply *out)
{
    struct ds_cpr c;
    if (!ds_cpr_parse(seg, len, &c))
        return DS_FIND_INVALID;
    ds_cpr_mask(&c, out->cpr_masked);
    return ds_pop_find(pop, seg, len, pos);
}

/* ---- job centre: Momentum --------------------------------------------------------------- */

static bool momentum_lookup(const struct ds_population *pop, const char *seg, size_t len,
                            struct ds_reply *out)
{
    uint64_t pos;
    struct ds_record rec;
    out->kind = DS_RK_LOOKUP;
    enum ds_find f = find_cpr(pop, seg, len, &pos, out);
    if (f == DS_FIND_INVALID)
        return reply_json(
            out, 400, CT_JSON,
            json_pack("{s:s, s:s}", "fejlkode", "UGYLDIGT_CPR", "besked", "Ugyldigt CPR-nummer"));
    if (f == DS_FIND_UNKNOWN || !ds_pop_generate(pop, pos, DS_JOBCENTRE, &rec))
        return reply_json(out, 404, CT_JSON,
                          json_pack("{s:s, s:s}", "fejlkode", "BORGER_IKKE_FUNDET", "besked",
                                    "Borgeren findes ikke i Momentum"));
    out->known = true;
    json_t *body = ds_render_momentum(&rec);
    ds_record_free(&rec);
    return reply_json(out, 200, CT_JSON, body);
}

/* Scans from *pos for citizens known to sys, rendering each with render() into items, until
 * limit items, the end, or the scan budget. Sets *pos to where the next page starts. */
static void export_scan(const struct ds_population *pop, enum ds_system sys, uint64_t *pos,
                        long limit, json_t *items, json_t *(*render)(const struct ds_record *))
{
    uint64_t n = ds_pop_count(pop), scanned = 0;
    while (*pos < n && (long)json_array_size(items) < limit && scanned < DS_EXPORT_SCAN) {
        struct ds_record rec;
        if (ds_pop_generate(pop, *pos, sys, &rec)) {
            json_array_append_new(items, render(&rec));
            ds_record_free(&rec);
        }
        (*pos)++;
        scanned++;
    }
}

static bool momentum_export(const struct ds_population *pop, const struct ds_request *rq,
                            struct ds_reply *out)
{
    long limit;
    uint64_t pos = 0;
    uint32_t off = 0;
    out->kind = DS_RK_EXPORT;
    if (!arg_number(rq, "limit", 1, DS_EXPORT_MAX, DS_EXPORT_DEFAULT, &limit))
        return ds_route_error(DS_JOBCENTRE, 400, "limit skal være 1-1000", out);
    const char *cursor = arg(rq, "cursor");
    if (cursor && !cursor_decode(pop, DS_JOBCENTRE, cursor, &pos, &off))
        return ds_route_error(DS_JOBCENTRE, 400, "Ugyldig cursor", out);
    json_t *items = json_array();
    export_scan(pop, DS_JOBCENTRE, &pos, limit, items, ds_render_momentum);
    json_t *next = json_null();
    if (pos < ds_pop_count(pop)) {
        char buf[33];
        cursor_encode(pop, DS_JOBCENTRE, pos, 0, buf);
        next = json_string(buf);
    }
    size_t count = json_array_size(items);
    return reply_json(out, 200, CT_JSON,
                      json_pack("{s:o, s:I, s:o}", "borgere", items, "antal", (json_int_t)count,
                                "naeste_cursor", next));
}

static bool route_momentum(const struct ds_population *pop, const struct ds_request *rq,
                           struct ds_reply *out)
{
    const char *seg;
    size_t len;
    if (match_segment(rq->path, "/momentum/api/v2/borgere/", "/forloeb", &seg, &len))
        return momentum_lookup(pop, seg, len, out);
    if (strcmp(rq->path, "/momentum/api/v2/eksport") == 0)
        return momentum_export(pop, rq, out);
    return ds_route_error(DS_JOBCENTRE, 404, "Ressourcen findes ikke", out);
}

/* ---- social: Sensum --------------------------------------------------------------------- */

static json_t *sensum_item(const struct ds_record *r)
{
    return ds_render_sensum(r, NULL);
}

static bool route_sensum(const struct ds_population *pop, const struct ds_request *rq,
                         struct ds_reply *out)
{
    const char *seg;
    size_t len;
    if (match_segment(rq->path, "/sensum/api/Citizens/", "/Cases", &seg, &len)) {
        uint64_t pos;
        struct ds_record rec;
        out->kind = DS_RK_LOOKUP;
        enum ds_find f = find_cpr(pop, seg, len, &pos, out);
        if (f == DS_FIND_INVALID)
            return reply_json(out, 400, CT_JSON,
                              json_pack("{s:s, s:{s:[s]}}", "Message", "The request is invalid.",
                                        "ModelState", "cpr", "Ugyldigt CPR-nummer"));
        if (f == DS_FIND_OK && ds_pop_generate(pop, pos, DS_SOCIAL, &rec)) {
            out->known = true;
            json_t *body = ds_render_sensum(&rec, NULL);
            ds_record_free(&rec);
            return reply_json(out, 200, CT_JSON, body);
        }
        struct ds_cpr c;
        ds_cpr_parse(seg, len, &c);
        return reply_json(out, 200, CT_JSON, ds_render_sensum(NULL, c.digits));
    }
    if (strcmp(rq->path, "/sensum/api/Export") == 0) {
        long size;
        uint64_t pos = 0;
        uint32_t off = 0;
        out->kind = DS_RK_EXPORT;
        if (!arg_number(rq, "pageSize", 1, DS_SENSUM_MAX, DS_SENSUM_DEFAULT, &size))
            return ds_route_error(DS_SOCIAL, 400, "pageSize must be between 1 and 500.", out);
        const char *token = arg(rq, "continuationToken");
        if (token && !cursor_decode(pop, DS_SOCIAL, token, &pos, &off))
            return ds_route_error(DS_SOCIAL, 400, "The continuation token is invalid.", out);
        json_t *items = json_array();
        export_scan(pop, DS_SOCIAL, &pos, size, items, sensum_item);
        json_t *next = json_null();
        if (pos < ds_pop_count(pop)) {
            char buf[33];
            cursor_encode(pop, DS_SOCIAL, pos, 0, buf);
            next = json_string(buf);
        }
        size_t count = json_array_size(items);
        return reply_json(out, 200, CT_JSON,
                          json_pack("{s:o, s:I, s:o}", "Items", items, "Count", (json_int_t)count,
                                    "ContinuationToken", next));
    }
    return ds_route_error(DS_SOCIAL, 404,
                          "No HTTP resource was found that matches the request URI.", out);
}

/* ---- family: DUBU ----------------------------------------------------------------------- */

static json_t *dubu_item(const struct ds_record *r)
{
    return ds_render_dubu(r, NULL);
}

static bool route_dubu(const struct ds_population *pop, const struct ds_request *rq,
                       struct ds_reply *out)
{
    const char *seg;
    size_t len;
    if (match_segment(rq->path, "/dubu/rest/parents/", "/children-cases", &seg, &len)) {
        uint64_t pos;
        struct ds_record rec;
        out->kind = DS_RK_LOOKUP;
        enum ds_find f = find_cpr(pop, seg, len, &pos, out);
        if (f == DS_FIND_INVALID)
            return ds_route_error(DS_FAMILY, 400, "Invalid CPR number", out);
        if (f == DS_FIND_OK && ds_pop_generate(pop, pos, DS_FAMILY, &rec)) {
            out->known = true;
            json_t *body = ds_render_dubu(&rec, NULL);
            ds_record_free(&rec);
            return reply_json(out, 200, CT_JSON_BARE, body);
        }
        struct ds_cpr c;
        ds_cpr_parse(seg, len, &c);
        return reply_json(out, 200, CT_JSON_BARE, ds_render_dubu(NULL, c.digits));
    }
    if (strcmp(rq->path, "/dubu/rest/export") == 0) {
        long limit;
        out->kind = DS_RK_EXPORT;
        if (!arg_number(rq, "limit", 1, DS_EXPORT_MAX, DS_EXPORT_DEFAULT, &limit))
            return ds_route_error(DS_FAMILY, 400, "limit must be 1-1000", out);
        /* "after" is the last position the previous page covered; absent: from the start. */
        uint64_t pos = 0;
        const char *after = arg(rq, "after");
        if (after) {
            char *end;
            errno = 0;
            unsigned long long a = strtoull(after, &end, 10);
            if (errno || end == after || *end || after[0] == '-' || a >= ds_pop_count(pop))
                return ds_route_error(DS_FAMILY, 400, "after is not a position of this export",
                                      out);
            pos = a + 1;
        }
        json_t *items = json_array();
        export_scan(pop, DS_FAMILY, &pos, limit, items, dubu_item);
        bool more = pos < ds_pop_count(pop);
        size_t count = json_array_size(items);
        return reply_json(out, 200, CT_JSON_BARE,
                          json_pack("{s:o, s:I, s:o, s:b}", "parents", items, "count",
                                    (json_int_t)count, "nextAfter",
                                    more ? json_integer((json_int_t)(pos - 1)) : json_null(),
                                    "hasMore", more));
    }
    return ds_route_error(DS_FAMILY, 404, "Not found", out);
}

/* ---- health and region: FHIR ------------------------------------------------------------ */

struct fhir_query {
    int types[DS_FHIR_NTYPES];
    size_t ntypes;
    long count;
    const char *ident;    /* patient.identifier as given */
    const char *patient;  /* patient as given (Patient/<id>, comma-separated) */
    const char *type_arg; /* _type as given */
    const char *path;
};

/* All resources of the requested types for one record, in _type order. */
static json_t *fhir_all(const struct ds_record *rec, const struct fhir_query *q)
{
    json_t *all = json_array();
    for (size_t t = 0; t < q->ntypes; t++)
        ds_fhir_resources(rec, (enum ds_fhir_type)q->types[t], all);
    return all;
}

static void fhir_link(const struct ds_request *rq, const struct fhir_query *q, const char *cursor,
                      char *buf, size_t len)
{
    char ident[128] = "", types[128] = "";
    size_t o = (size_t)snprintf(buf, len, "%s%s?", rq->base_url, q->path);
    if (q->type_arg) {
        url_encode(q->type_arg, types, sizeof types);
        o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "_type=%s&", types);
    }
    if (q->ident) {
        url_encode(q->ident, ident, sizeof ident);
        o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "patient.identifier=%s&", ident);
    }
    if (q->patient) {
        char pat[300];
        url_encode(q->patient, pat, sizeof pat);
        o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "patient=%s&", pat);
    }
    o += (size_t)snprintf(buf + o, o < len ? len - o : 0, "_count=%ld", q->count);
    if (cursor)
        snprintf(buf + o, o < len ? len - o : 0, "&_cursor=%s", cursor);
}

/* A Patient's logical id: opaque, never the CPR; it names a population position (the cursor
 * code with an offset no page uses). */
#define PATIENT_OFF 0xfffffffeu

static void patient_id(const struct ds_population *pop, enum ds_system s, uint64_t pos,
                       char buf[33])
{
    cursor_encode(pop, s, pos, PATIENT_OFF, buf);
}

/* The position the patient parameter names ("Patient/<id>" or "<id>", the first of a comma
 * list that is one of ours): false when none is. */
static bool patient_pos(const struct ds_population *pop, enum ds_system s, const char *param,
                        uint64_t *pos)
{
    for (const char *p = param; p && *p;) {
        size_t n = strcspn(p, ",");
        char id[64];
        snprintf(id, sizeof id, "%.*s", (int)(n < 63 ? n : 63), p);
        const char *bare = strncmp(id, "Patient/", 8) == 0 ? id + 8 : id;
        uint32_t off = 0;
        if (cursor_decode(pop, s, bare, pos, &off) && off == PATIENT_OFF)
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

/* GET /fhir/Patient?identifier=urn:oid:1.2.208.176.1.2|<cpr>: the patient search of IHE PDQm,
 * the only Patient search the simulators serve. A citizen the system does not know is an empty
 * searchset. */
static bool fhir_patients(const struct ds_population *pop, const struct ds_request *rq,
                          struct ds_reply *out)
{
    out->kind = DS_RK_LOOKUP;
    const char *ident = arg(rq, "identifier");
    if (!ident)
        return ds_route_error(rq->sys, 400,
                              "identifier is required: only the patient search by "
                              "CPR is supported",
                              out);
    const char *bar = strchr(ident, '|');
    if (!bar || (size_t)(bar - ident) != strlen(DS_FHIR_CPR_SYSTEM) ||
        strncmp(ident, DS_FHIR_CPR_SYSTEM, strlen(DS_FHIR_CPR_SYSTEM)) != 0)
        return ds_route_error(rq->sys, 400, "identifier: only the CPR system is supported", out);
    uint64_t pos = 0;
    enum ds_find f = find_cpr(pop, bar + 1, strlen(bar + 1), &pos, out);
    if (f == DS_FIND_INVALID)
        return ds_route_error(rq->sys, 400, "identifier: not a valid CPR number", out);
    json_t *found = json_array();
    struct ds_record rec;
    if (f == DS_FIND_OK && ds_pop_generate(pop, pos, rq->sys, &rec)) {
        char id[33];
        patient_id(pop, rq->sys, pos, id);
        out->known = true;
        json_array_append_new(found, ds_fhir_patient(&rec, id));
        ds_record_free(&rec);
    }
    char self[512], enc[128];
    url_encode(ident, enc, sizeof enc);
    snprintf(self, sizeof self, "%s/fhir/Patient?identifier=%s", rq->base_url, enc);
    long total = (long)json_array_size(found);
    return reply_json(out, 200, CT_FHIR, ds_fhir_bundle(found, rq->base_url, total, self, NULL));
}

static bool fhir_lookup(const struct ds_population *pop, const struct ds_request *rq,
                        const struct fhir_query *q, struct ds_reply *out)
{
    /* By the chained identifier, a search is the lookup; by the patient's id, it goes on from
     * the patient search, which was. */
    out->kind = q->patient ? DS_RK_SEARCH : DS_RK_LOOKUP;
    uint64_t pos = 0;
    bool system_ok = true;
    enum ds_find f = DS_FIND_OK;
    if (q->patient) {
        /* An id we never handed out names no patient of ours: an empty searchset. */
        if (!patient_pos(pop, rq->sys, q->patient, &pos))
            f = DS_FIND_UNKNOWN;
    } else {
        const char *value = q->ident;
        const char *bar = strchr(q->ident, '|');
        if (bar) {
            value = bar + 1;
            system_ok = (size_t)(bar - q->ident) == strlen(DS_FHIR_CPR_SYSTEM) &&
                        strncmp(q->ident, DS_FHIR_CPR_SYSTEM, strlen(DS_FHIR_CPR_SYSTEM)) == 0;
        }
        f = find_cpr(pop, value, strlen(value), &pos, out);
        if (f == DS_FIND_INVALID && system_ok)
            return ds_route_error(rq->sys, 400, "patient.identifier: not a valid CPR number", out);
    }
    uint64_t cpos = 0;
    uint32_t off = 0;
    const char *cursor = arg(rq, "_cursor");
    if (cursor && (!cursor_decode(pop, rq->sys, cursor, &cpos, &off) || cpos != pos))
        return ds_route_error(rq->sys, 400, "_cursor does not belong to this search", out);

    struct ds_record rec;
    json_t *all = NULL;
    if (system_ok && f == DS_FIND_OK && ds_pop_generate(pop, pos, rq->sys, &rec)) {
        out->known = true;
        all = fhir_all(&rec, q);
        ds_record_free(&rec);
    } else {
        all = json_array();
    }
    size_t total = json_array_size(all);
    json_t *page = json_array();
    for (size_t i = off; i < total && (long)json_array_size(page) < q->count; i++)
        json_array_append(page, json_array_get(all, i));
    json_decref(all);
    char self[1024], next[1024], cbuf[33];
    fhir_link(rq, q, cursor, self, sizeof self);
    bool more = (size_t)off + json_array_size(page) < total;
    if (more) {
        cursor_encode(pop, rq->sys, pos, off + (uint32_t)json_array_size(page), cbuf);
        fhir_link(rq, q, cbuf, next, sizeof next);
    }
    return reply_json(out, 200, CT_FHIR,
                      ds_fhir_bundle(page, rq->base_url, (long)total, self, more ? next : NULL));
}

/* The system-wide search: every known citizen's resources of the requested types, in
 * population order, _count resources per page; the cursor is (position, offset inside that
 * citizen's resources), so a page may end in the middle of a citizen. */
static bool fhir_export(const struct ds_population *pop, const struct ds_request *rq,
                        const struct fhir_query *q, struct ds_reply *out)
{
    out->kind = DS_RK_EXPORT;
    uint64_t pos = 0, n = ds_pop_count(pop), scanned = 0;
    uint32_t off = 0;
    const char *cursor = arg(rq, "_cursor");
    if (cursor && !cursor_decode(pop, rq->sys, cursor, &pos, &off))
        return ds_route_error(rq->sys, 400, "_cursor is not valid for this server", out);
    json_t *page = json_array();
    bool full = false;
    while (pos < n && scanned < DS_EXPORT_SCAN && !full) {
        struct ds_record rec;
        if (ds_pop_generate(pop, pos, rq->sys, &rec)) {
            json_t *all = fhir_all(&rec, q);
            ds_record_free(&rec);
            size_t total = json_array_size(all);
            while (off < total && (long)json_array_size(page) < q->count)
                json_array_append(page, json_array_get(all, off++));
            json_decref(all);
            if (off < total) {
                full = true; /* resume inside this citizen */
                break;
            }
        }
        pos++;
        off = 0;
        scanned++;
        full = (long)json_array_size(page) >= q->count;
    }
    char self[1024], next[1024], cbuf[33];
    fhir_link(rq, q, cursor, self, sizeof self);
    bool more = pos < n;
    if (more) {
        cursor_encode(pop, rq->sys, pos, off, cbuf);
        fhir_link(rq, q, cbuf, next, sizeof next);
    }
    return reply_json(out, 200, CT_FHIR,
                      ds_fhir_bundle(page, rq->base_url, -1, self, more ? next : NULL));
}

static bool route_fhir(const struct ds_population *pop, const struct ds_request *rq,
                       struct ds_reply *out)
{
    struct fhir_query q = {.path = rq->path};
    if (strcmp(rq->path, "/fhir/metadata") == 0)
        return reply_json(out, 200, CT_FHIR, ds_fhir_capability(rq->sys, rq->base_url));
    if (strcmp(rq->path, "/fhir") == 0 || strcmp(rq->path, "/fhir/") == 0) {
        q.type_arg = arg(rq, "_type");
        if (!q.type_arg)
            return ds_route_error(rq->sys, 400, "_type is required for a system-level search", out);
        const char *p = q.type_arg;
        while (*p) {
            size_t len = strcspn(p, ",");
            int t = ds_fhir_type_from_name(p, len);
            if (t < 0 || q.ntypes == DS_FHIR_NTYPES)
                return ds_route_error(rq->sys, 400, "_type: resource type not supported", out);
            for (size_t i = 0; i < q.ntypes; i++) {
                if (q.types[i] == t)
                    return ds_route_error(rq->sys, 400, "_type: a type is listed twice", out);
            }
            /* A FHIR type this system does not hold is ignored (lenient handling, as FHIR
             * servers do without "Prefer: handling=strict"): one client URL can serve both
             * health systems although the municipality keeps no Encounters and the region no
             * CarePlans. */
            if (ds_fhir_serves(rq->sys, (enum ds_fhir_type)t))
                q.types[q.ntypes++] = t;
            p += len;
            if (*p == ',')
                p++;
        }
        if (q.type_arg[0] == '\0')
            return ds_route_error(rq->sys, 400, "_type is empty", out);
    } else if (strncmp(rq->path, "/fhir/", 6) == 0) {
        const char *name = rq->path + 6;
        if (strcmp(name, "Patient") == 0)
            return fhir_patients(pop, rq, out);
        int t = ds_fhir_type_from_name(name, strlen(name));
        if (t < 0 || !ds_fhir_serves(rq->sys, (enum ds_fhir_type)t))
            return ds_route_error(rq->sys, 404, "Unknown or unsupported resource type", out);
        q.types[q.ntypes++] = t;
    } else {
        return ds_route_error(rq->sys, 404, "Not found", out);
    }
    if (!arg_number(rq, "_count", 1, DS_EXPORT_MAX, DS_FHIR_COUNT, &q.count))
        return ds_route_error(rq->sys, 400, "_count must be 1-1000", out);
    if (rq->page_max > 0 && q.count > rq->page_max)
        q.count = rq->page_max; /* as a server with a maximum page size: the links say so too */
    q.ident = arg(rq, "patient.identifier");
    if (!q.ident)
        q.ident = arg(rq, "subject.identifier");
    q.patient = arg(rq, "patient");
    if (!q.patient)
        q.patient = arg(rq, "subject");
    if (q.ident && q.patient)
        return ds_route_error(rq->sys, 400, "give patient or patient.identifier, not both", out);
    if (q.ident || q.patient)
        return fhir_lookup(pop, rq, &q, out);
    return fhir_export(pop, rq, &q, out);
}

/* ---- dispatch --------------------------------------------------------------------------- */

bool ds_route(const struct ds_population *pop, const struct ds_request *rq, struct ds_reply *out)
{
    memset(out, 0, sizeof *out);
    if (strcmp(rq->path, "/healthz") == 0) {
        out->kind = DS_RK_HEALTHZ;
        return reply_json(
            out, 200, CT_JSON,
            json_pack("{s:s, s:s}", "status", "ok", "system", ds_system_name(rq->sys)));
    }
    if (strcmp(rq->method, "GET") != 0 && strcmp(rq->method, "HEAD") != 0) {
        out->allow = "GET, HEAD";
        return ds_route_error(rq->sys, 405, "Only GET is supported (read-only access)", out);
    }
    switch (rq->sys) {
    case DS_JOBCENTRE:
        return route_momentum(pop, rq, out);
    case DS_SOCIAL:
        return route_sensum(pop, rq, out);
    case DS_HEALTH:
    case DS_REGION:
        return route_fhir(pop, rq, out);
    case DS_FAMILY:
        return route_dubu(pop, rq, out);
    default:
        return ds_route_error(rq->sys, 404, "Not found", out);
    }
}
