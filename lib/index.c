#include "lib/index.h"

#include "lib/alloc.h"
#include "lib/log.h"

#include <jansson.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISO_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* One record in, classified on the way: the system's own code through source_code_map wins
 * (a vendor's code is the most specific thing a record says about itself); else a legal basis
 * the taxonomy resolves by the record's own date; else 'unclassified', which is visible,
 * never silent. Area and sensitivity come from the case type (the source's
 * department's area for unclassified). Returns whether the record ended up unclassified. */
static const struct gp_stmt stmt_upsert = {
    "index_upsert",
    "INSERT INTO record (cpr, source_id, source_ref, parent_ref, area, department, unit,"
    "  case_type, source_code, legal_basis, legal_basis_raw, data_type, kind, title, status,"
    "  start_date, end_date, document_date, caseworker_name, caseworker_contact, sensitivity,"
    "  source_updated, fetched_at, removed_at)"
    " SELECT $1, s.id, $3, nullif($4, ''), coalesce(ct.area, d.area), s.department,"
    "  nullif($5, ''), ct.code, nullif($6, ''),"
    "  CASE WHEN lb.case_type = ct.code THEN lb.current_legal_basis"
    "   ELSE coalesce(ctc.legal_basis, lb.current_legal_basis, nullif($7, '')) END,"
    "  nullif($7, ''),"
    "  $8, $9, nullif($10, ''), $11, nullif($12, '')::date, nullif($13, '')::date,"
    "  nullif($14, '')::date, nullif($15, ''), nullif($16, ''), ct.sensitivity,"
    "  nullif($17, '')::timestamptz, $18::timestamptz, NULL"
    " FROM source s JOIN department d ON d.id = s.department"
    " LEFT JOIN LATERAL (SELECT r.case_type, r.current_legal_basis"
    "   FROM legal_basis_resolve(nullif($7, ''),"
    "     coalesce(nullif($12, '')::date, nullif($14, '')::date, current_date)) r LIMIT 1) lb"
    "   ON true"
    " LEFT JOIN source_code_map m ON m.adapter_kind = s.kind AND m.source_code = $6"
    " JOIN case_type ct ON ct.code = coalesce(m.case_type, lb.case_type, 'unclassified')"
    " LEFT JOIN case_type_current ctc ON ctc.code = ct.code"
    " WHERE s.id = $2"
    " ON CONFLICT (cpr, source_id, source_ref) DO UPDATE SET"
    "  parent_ref = EXCLUDED.parent_ref, area = EXCLUDED.area, department = EXCLUDED.department,"
    "  unit = EXCLUDED.unit, case_type = EXCLUDED.case_type, source_code = EXCLUDED.source_code,"
    "  legal_basis = EXCLUDED.legal_basis, legal_basis_raw = EXCLUDED.legal_basis_raw,"
    "  data_type = EXCLUDED.data_type, kind = EXCLUDED.kind, title = EXCLUDED.title,"
    "  status = EXCLUDED.status, start_date = EXCLUDED.start_date,"
    "  end_date = EXCLUDED.end_date, document_date = EXCLUDED.document_date,"
    "  caseworker_name = EXCLUDED.caseworker_name,"
    "  caseworker_contact = EXCLUDED.caseworker_contact, sensitivity = EXCLUDED.sensitivity,"
    "  source_updated = EXCLUDED.source_updated, fetched_at = EXCLUDED.fetched_at,"
    "  removed_at = NULL"
    /* An unchanged record is left alone: no new row version, no WAL, in the steady state
     * where most refreshes return what the index already has. */
    " WHERE (record.parent_ref, record.area, record.department, record.unit, record.case_type,"
    "  record.source_code, record.legal_basis, record.legal_basis_raw, record.data_type,"
    "  record.kind, record.title, record.status, record.start_date, record.end_date,"
    "  record.document_date, record.caseworker_name, record.caseworker_contact,"
    "  record.sensitivity, record.source_updated, record.removed_at IS NULL)"
    " IS DISTINCT FROM (EXCLUDED.parent_ref, EXCLUDED.area, EXCLUDED.department, EXCLUDED.unit,"
    "  EXCLUDED.case_type, EXCLUDED.source_code, EXCLUDED.legal_basis, EXCLUDED.legal_basis_raw,"
    "  EXCLUDED.data_type, EXCLUDED.kind, EXCLUDED.title, EXCLUDED.status, EXCLUDED.start_date,"
    "  EXCLUDED.end_date, EXCLUDED.document_date, EXCLUDED.caseworker_name,"
    "  EXCLUDED.caseworker_contact, EXCLUDED.sensitivity, EXCLUDED.source_updated, true)"
    " RETURNING case_type = 'unclassified'"};

/* A complete answer's references ($4, a JSON array of strings): every other live record of
 * the source for this citizen is gone from the source. */
static const struct gp_stmt stmt_mark_removed = {
    "index_mark_removed",
    "UPDATE record SET removed_at = $3::timestamptz"
    " WHERE cpr = $1 AND source_id = $2 AND removed_at IS NULL"
    " AND NOT (source_ref = ANY (ARRAY(SELECT jsonb_array_elements_text($4::jsonb))))"};

static const struct gp_stmt stmt_citizen_seen = {
    "index_citizen_seen", "INSERT INTO citizen (cpr) VALUES ($1)"
                          " ON CONFLICT (cpr) DO UPDATE SET last_seen = now()"};

static const struct gp_stmt stmt_fetch_outcome = {
    "index_fetch_outcome",
    "INSERT INTO source_fetch (cpr, source_id, fetched_at, status, error, latency_ms, last_ok_at)"
    " VALUES ($1, $2, $6::timestamptz, $3, nullif($4, ''), $5::double precision,"
    "  CASE WHEN $3 = 'ok' THEN $6::timestamptz END)"
    " ON CONFLICT (cpr, source_id) DO UPDATE SET fetched_at = EXCLUDED.fetched_at,"
    "  status = EXCLUDED.status, error = EXCLUDED.error, latency_ms = EXCLUDED.latency_ms,"
    "  last_ok_at = coalesce(EXCLUDED.last_ok_at, source_fetch.last_ok_at)"};

#define READ_COLUMNS                                                                               \
    "r.id, r.source_id, r.department, r.area, r.case_type, ct.label_da, ct.label_en,"              \
    " ct.cross_department, r.sensitivity, coalesce(r.legal_basis, ''), " ISO_UTC(                  \
        "r.fetched_at") ", r.cpr, r.source_ref, coalesce(r.parent_ref, ''), "                      \
                        "coalesce(r.source_code, ''),"                                             \
                        " coalesce(r.legal_basis_raw, ''), r.data_type, r.kind, "                  \
                        "coalesce(r.title, ''), r.status,"                                         \
                        " coalesce(r.start_date::text, ''), coalesce(r.end_date::text, ''),"       \
                        " coalesce(r.document_date::text, ''), coalesce(r.unit, ''),"              \
                        " coalesce(r.caseworker_name, ''), coalesce(r.caseworker_contact, ''),"    \
                        " coalesce(" ISO_UTC("r.source_updated") ", '')"

static const struct gp_stmt stmt_read_all = {
    "index_read_all",
    "SELECT " READ_COLUMNS " FROM record r JOIN case_type ct ON ct.code = r.case_type"
    " WHERE r.cpr = $1 AND r.removed_at IS NULL"
    " ORDER BY coalesce(r.start_date, r.document_date), r.id"};

static const struct gp_stmt stmt_read_page = {
    "index_read_page",
    "SELECT " READ_COLUMNS " FROM record r JOIN case_type ct ON ct.code = r.case_type"
    " WHERE r.cpr = $1 AND r.removed_at IS NULL AND r.id > $2::bigint"
    " AND ($3 = '' OR r.area = $3) AND ($4 = '' OR r.data_type = $4)"
    " AND ($5 = '' OR r.status = $5)"
    " AND ($6 = '' OR greatest(r.start_date, r.end_date, r.document_date) >= $6::date)"
    " ORDER BY r.id LIMIT $7::integer"};

static const struct gp_stmt stmt_read_fetches = {
    "index_read_fetches",
    "SELECT source_id, " ISO_UTC(
        "fetched_at") ", status, coalesce(error, ''),"
                      " coalesce(latency_ms, 0), coalesce(" ISO_UTC(
                          "last_ok_at") ", ''),"
                                        " coalesce(extract(epoch FROM now() - last_ok_at), -1)"
                                        " FROM source_fetch WHERE cpr = $1 ORDER BY source_id"};

/* Unknown codes are logged once per (source, code): enough for someone to add a mapping,
 * without a line per lookup. */
#define SEEN_MAX 1024
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static char *seen[SEEN_MAX];
static size_t nseen;

static void note_unclassified(const char *source_id, const struct gp_record *r)
{
    char key[384];
    snprintf(key, sizeof key, "%s|%s|%s", source_id, r->source_code, r->legal_basis_raw);
    pthread_mutex_lock(&seen_lock);
    bool known = false;
    for (size_t i = 0; i < nseen && !known; i++)
        known = !strcmp(seen[i], key);
    if (!known && nseen < SEEN_MAX)
        seen[nseen++] = gp_xstrdup(key);
    pthread_mutex_unlock(&seen_lock);
    if (!known)
        GP_LOG_WARN("source %s: code '%s' (legal basis '%s') is not in the taxonomy; records "
                    "with it are shown as unclassified",
                    source_id, r->source_code, r->legal_basis_raw);
}

enum gp_qs gp_index_store(struct gp_db_conn *c, const char *cpr, const struct gp_source *src,
                          const struct gp_record_list *recs, bool complete, const char *fetched_at)
{
    for (size_t i = 0; i < recs->n; i++) {
        const struct gp_record *r = &recs->items[i];
        const char *p[18] = {cpr,
                             src->id,
                             r->source_ref,
                             r->parent_ref,
                             r->unit,
                             r->source_code,
                             r->legal_basis_raw,
                             r->data_type,
                             r->kind,
                             r->title,
                             r->status,
                             r->start_date,
                             r->end_date,
                             r->document_date,
                             r->caseworker_name,
                             r->caseworker_contact,
                             r->source_updated,
                             fetched_at};
        PGresult *res = NULL;
        enum gp_qs qs = gp_db_exec(c, &stmt_upsert, 18, p, &res);
        if (qs < 0)
            return qs;
        if (qs == GP_QS_ONE_RESULT && PQgetvalue(res, 0, 0)[0] == 't')
            note_unclassified(src->id, r);
        PQclear(res);
    }
    if (complete) {
        json_t *refs = json_array();
        for (size_t i = 0; i < recs->n; i++)
            json_array_append_new(refs, json_string(recs->items[i].source_ref));
        char *text = json_dumps(refs, JSON_COMPACT);
        json_decref(refs);
        if (!text) /* a reference that is not UTF-8: adapters never produce one */
            return GP_QS_HARD_ERROR;
        const char *p[4] = {cpr, src->id, fetched_at, text};
        enum gp_qs qs = gp_db_exec(c, &stmt_mark_removed, 4, p, NULL);
        free(text);
        if (qs < 0)
            return qs;
    }
    if (recs->n > 0) {
        const char *p[1] = {cpr};
        enum gp_qs qs = gp_db_exec(c, &stmt_citizen_seen, 1, p, NULL);
        if (qs < 0)
            return qs;
    }
    return (enum gp_qs)recs->n;
}

enum gp_qs gp_index_fetch_outcome(struct gp_db_conn *c, const char *cpr, const char *source_id,
                                  const char *status, const char *error, double latency_ms,
                                  const char *fetched_at)
{
    char lat[32];
    snprintf(lat, sizeof lat, "%.3f", latency_ms);
    const char *p[6] = {cpr, source_id, status, error ? error : "", lat, fetched_at};
    return gp_db_exec(c, &stmt_fetch_outcome, 6, p, NULL);
}

static void copy_col(char *dst, size_t size, const PGresult *r, int row, int col)
{
    gp_rec_set(dst, size, PQgetvalue(r, row, col));
}

static void row_to_indexed(const PGresult *r, int row, struct gp_indexed *x)
{
    memset(x, 0, sizeof *x);
    x->id = strtoll(PQgetvalue(r, row, 0), NULL, 10);
    copy_col(x->source_id, sizeof x->source_id, r, row, 1);
    copy_col(x->department, sizeof x->department, r, row, 2);
    copy_col(x->area, sizeof x->area, r, row, 3);
    copy_col(x->case_type, sizeof x->case_type, r, row, 4);
    copy_col(x->case_label_da, sizeof x->case_label_da, r, row, 5);
    copy_col(x->case_label_en, sizeof x->case_label_en, r, row, 6);
    x->cross_department = PQgetvalue(r, row, 7)[0] == 't';
    copy_col(x->sensitivity, sizeof x->sensitivity, r, row, 8);
    copy_col(x->legal_basis, sizeof x->legal_basis, r, row, 9);
    copy_col(x->fetched_at, sizeof x->fetched_at, r, row, 10);
    struct gp_record *e = &x->rec;
    copy_col(e->cpr, sizeof e->cpr, r, row, 11);
    copy_col(e->source_ref, sizeof e->source_ref, r, row, 12);
    copy_col(e->parent_ref, sizeof e->parent_ref, r, row, 13);
    copy_col(e->source_code, sizeof e->source_code, r, row, 14);
    copy_col(e->legal_basis_raw, sizeof e->legal_basis_raw, r, row, 15);
    copy_col(e->data_type, sizeof e->data_type, r, row, 16);
    copy_col(e->kind, sizeof e->kind, r, row, 17);
    copy_col(e->title, sizeof e->title, r, row, 18);
    copy_col(e->status, sizeof e->status, r, row, 19);
    copy_col(e->start_date, sizeof e->start_date, r, row, 20);
    copy_col(e->end_date, sizeof e->end_date, r, row, 21);
    copy_col(e->document_date, sizeof e->document_date, r, row, 22);
    copy_col(e->unit, sizeof e->unit, r, row, 23);
    copy_col(e->caseworker_name, sizeof e->caseworker_name, r, row, 24);
    copy_col(e->caseworker_contact, sizeof e->caseworker_contact, r, row, 25);
    copy_col(e->source_updated, sizeof e->source_updated, r, row, 26);
}

static enum gp_qs read_rows(struct gp_db_conn *c, const struct gp_stmt *st, int np,
                            const char *const *p, struct gp_indexed_list *out)
{
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, st, np, p, &r);
    gp_indexed_list_free(out); /* a retried transaction starts over */
    if (qs < 0)
        return qs;
    out->n = (size_t)qs;
    out->items = gp_xcalloc(out->n ? out->n : 1, sizeof *out->items);
    for (size_t i = 0; i < out->n; i++)
        row_to_indexed(r, (int)i, &out->items[i]);
    PQclear(r);
    return qs;
}

enum gp_qs gp_index_read_all(struct gp_db_conn *c, const char *cpr, struct gp_indexed_list *out)
{
    const char *p[1] = {cpr};
    return read_rows(c, &stmt_read_all, 1, p, out);
}

enum gp_qs gp_index_read_page(struct gp_db_conn *c, const char *cpr,
                              const struct gp_index_filter *f, struct gp_indexed_list *out)
{
    char after[24], limit[16];
    snprintf(after, sizeof after, "%lld", (long long)f->after_id);
    snprintf(limit, sizeof limit, "%d", f->limit);
    const char *p[7] = {cpr,
                        after,
                        f->area ? f->area : "",
                        f->data_type ? f->data_type : "",
                        f->status ? f->status : "",
                        f->since ? f->since : "",
                        limit};
    return read_rows(c, &stmt_read_page, 7, p, out);
}

void gp_indexed_list_free(struct gp_indexed_list *l)
{
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

enum gp_qs gp_index_read_fetches(struct gp_db_conn *c, const char *cpr,
                                 struct gp_source_fetch_list *out)
{
    const char *p[1] = {cpr};
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_read_fetches, 1, p, &r);
    gp_source_fetch_list_free(out);
    if (qs < 0)
        return qs;
    out->n = (size_t)qs;
    out->items = gp_xcalloc(out->n ? out->n : 1, sizeof *out->items);
    for (size_t i = 0; i < out->n; i++) {
        struct gp_source_fetch *f = &out->items[i];
        int row = (int)i;
        copy_col(f->source_id, sizeof f->source_id, r, row, 0);
        copy_col(f->fetched_at, sizeof f->fetched_at, r, row, 1);
        copy_col(f->status, sizeof f->status, r, row, 2);
        copy_col(f->error, sizeof f->error, r, row, 3);
        f->latency_ms = strtod(PQgetvalue(r, row, 4), NULL);
        copy_col(f->last_ok_at, sizeof f->last_ok_at, r, row, 5);
        f->ok_age_s = strtod(PQgetvalue(r, row, 6), NULL);
    }
    PQclear(r);
    return qs;
}

void gp_source_fetch_list_free(struct gp_source_fetch_list *l)
{
    free(l->items);
    l->items = NULL;
    l->n = 0;
}

const struct gp_source_fetch *gp_source_fetch_find(const struct gp_source_fetch_list *l,
                                                   const char *source_id)
{
    for (size_t i = 0; i < l->n; i++) {
        if (!strcmp(l->items[i].source_id, source_id))
            return &l->items[i];
    }
    return NULL;
}
