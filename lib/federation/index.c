#include "lib/federation/index.h"
#include "lib/db/stmt.h"

#include "lib/core/alloc.h"
#include "lib/federation/classcache.h"
#include "lib/core/log.h"
#include "lib/federation/record_sql.h"

#include <jansson.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ISO_UTC(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"')"

/* A whole answer in one statement: every source's records of one press come as one JSON array
 * ($2). A record that carries its classification (memoised by the caller, lib/classcache) keeps
 * it; the others are classified here by record_classify (migration 0007: the source's own code
 * through source_code_map, else the legal basis by the record's date, else 'unclassified',
 * visibly). Records the index already holds exactly are left alone (no new row version, no
 * row lock, no WAL: the steady state, where most refreshes return what the index has); the
 * rest are upserted per (cpr, source, source reference). The fetch outcomes ($3) are recorded
 * per source, and for each source whose answer was complete, its other live records for the
 * citizen are marked removed. The citizen is marked seen (at most once a minute: last_seen is
 * coarse on purpose, so a busy citizen is not a hot row). Data-modifying CTEs all run once,
 * referenced or not; they touch disjoint rows (removal only rows not in $2). One statement
 * instead of a round trip per record: a press costs the same few statements whether a citizen
 * has 3 records or 700. */
/* clang-format off */
static const struct gp_stmt stmt_store = {
    "index_store",
    "WITH input AS ("
    "  SELECT x.* FROM jsonb_to_recordset($2::jsonb) AS x(source_id text,"
    "   source_ref text, parent_ref text, unit text, source_code text, legal_basis_raw text,"
    "   data_type text, kind text, title text, status text, status_note text,"
    "   start_date date, end_date date,"
    "   document_date date, caseworker_name text, caseworker_contact text,"
    "   source_updated timestamptz, case_type text, area text, legal_basis text,"
    "   sensitivity text, n bigint)"
    "), classified AS ("
    "  SELECT i.source_id, i.source_ref, i.parent_ref, i.unit, i.source_code,"
    "   i.legal_basis_raw, i.data_type, i.kind, i.title, i.status, i.status_note,"
    "   i.start_date, i.end_date,"
    "   i.document_date, i.caseworker_name, i.caseworker_contact, i.source_updated, i.n,"
    "   i.case_type IS NULL AS fresh, c.case_type, c.area, c.legal_basis, c.sensitivity"
    "  FROM input i CROSS JOIN LATERAL ("
    "   SELECT i.case_type, i.area, i.legal_basis, i.sensitivity::sensitivity_level"
    "   WHERE i.case_type IS NOT NULL"
    "   UNION ALL"
    "   SELECT r.case_type, r.area, r.legal_basis, r.sensitivity"
    "   FROM record_classify(i.source_id, i.source_code, i.legal_basis_raw,"
    "    coalesce(i.start_date, i.document_date)) r WHERE i.case_type IS NULL) c"
    "), outcome AS ("
    "  SELECT o.* FROM jsonb_to_recordset($3::jsonb) AS o(source_id text, status text,"
    "   error text, latency_ms double precision, fetched_at timestamptz, complete boolean,"
    "   digest text, unchanged boolean)"
    "), vouched AS ("
    /* The digests as this statement's snapshot sees them: a full store vouches for its digest
     * only if no one else stored between this snapshot and its row lock. */
    "  SELECT f.source_id, f.answer_digest FROM source_fetch f WHERE f.cpr = $1"
    "), changed AS ("
    GP_RECORD_CHANGED("$1")
    "), upserted AS ("
    GP_RECORD_UPSERT_INTO
    GP_RECORD_UPSERT_VALUES("$1", "o.fetched_at")
    "  FROM changed k JOIN outcome o ON o.source_id = k.source_id"
    GP_RECORD_UPSERT_ON_CONFLICT
    "  RETURNING 1"
    "), unmapped AS ("
    GP_RECORD_UNMAPPED
    "), answered AS ("
    /* Each complete answer with the references it holds: a record of its source missing from
     * them is gone. (As an array, the test is a few comparisons per record; a NOT EXISTS over
     * the input was planned as a nested loop over it, half of this statement's time.) */
    "  SELECT o.source_id, o.fetched_at,"
    "   coalesce(array_agg(i.source_ref) FILTER (WHERE i.source_ref IS NOT NULL), '{}') AS refs"
    "  FROM outcome o LEFT JOIN input i ON i.source_id = o.source_id"
    "  WHERE o.complete GROUP BY o.source_id, o.fetched_at"
    "), removed AS ("
    "  UPDATE record r SET removed_at = a.fetched_at"
    "  FROM answered a WHERE r.cpr = $1 AND r.source_id = a.source_id"
    "   AND r.removed_at IS NULL AND r.source_ref <> ALL (a.refs)"
    "  RETURNING 1"
    "), fetches AS ("
    /* The answer's digest: proposed with answer_digest_at when the answer was stored in full,
     * without it when the caller found the answer unchanged and sent no records. An unchanged
     * answer keeps the digest (and its age) only if the index still vouches for that very
     * digest, under the row lock; otherwise the digest is dropped and the answer is refused
     * (last SELECT), and the caller stores it in full. A failed fetch stored nothing: what
     * the digest vouched for still holds. */
    "  INSERT INTO source_fetch (cpr, source_id, fetched_at, status, error, latency_ms,"
    "   last_ok_at, answer_digest, answer_digest_at)"
    "  SELECT $1, o.source_id, o.fetched_at, o.status, nullif(o.error, ''), o.latency_ms,"
    "   CASE WHEN o.status = 'ok' THEN o.fetched_at END,"
    "   CASE WHEN o.status = 'ok' THEN decode(o.digest, 'hex') END,"
    "   CASE WHEN o.status = 'ok' AND NOT o.unchanged AND o.digest IS NOT NULL"
    "    THEN o.fetched_at END"
    "  FROM outcome o"
    "  ON CONFLICT (cpr, source_id) DO UPDATE SET fetched_at = EXCLUDED.fetched_at,"
    "   status = EXCLUDED.status, error = EXCLUDED.error, latency_ms = EXCLUDED.latency_ms,"
    "   last_ok_at = coalesce(EXCLUDED.last_ok_at, source_fetch.last_ok_at),"
    "   answer_digest = CASE"
    "    WHEN EXCLUDED.status <> 'ok' THEN source_fetch.answer_digest"
    "    WHEN EXCLUDED.answer_digest_at IS NULL THEN CASE"
    "     WHEN source_fetch.answer_digest = EXCLUDED.answer_digest"
    "      AND source_fetch.answer_digest_at IS NOT NULL THEN source_fetch.answer_digest END"
    "    WHEN source_fetch.answer_digest IS NOT DISTINCT FROM (SELECT v.answer_digest"
    "     FROM vouched v WHERE v.source_id = EXCLUDED.source_id) THEN EXCLUDED.answer_digest"
    "    END,"
    "   answer_digest_at = CASE"
    "    WHEN EXCLUDED.status <> 'ok' THEN source_fetch.answer_digest_at"
    "    WHEN EXCLUDED.answer_digest_at IS NULL THEN CASE"
    "     WHEN source_fetch.answer_digest = EXCLUDED.answer_digest"
    "      THEN source_fetch.answer_digest_at END"
    "    WHEN source_fetch.answer_digest IS NOT DISTINCT FROM (SELECT v.answer_digest"
    "     FROM vouched v WHERE v.source_id = EXCLUDED.source_id)"
    "     THEN EXCLUDED.answer_digest_at"
    "    END"
    "  RETURNING source_id, answer_digest, answer_digest_at"
    "), seen AS ("
    /* An unchanged answer has records: a digest is only ever sent for an answer with some. A
     * citizen seen within the minute is not even locked. */
    "  INSERT INTO citizen AS z (cpr) SELECT $1"
    "  WHERE (EXISTS (SELECT 1 FROM input) OR EXISTS (SELECT 1 FROM outcome WHERE unchanged))"
    "   AND NOT EXISTS (SELECT 1 FROM citizen WHERE cpr = $1"
    "    AND last_seen >= now() - interval '1 minute')"
    "  ON CONFLICT (cpr) DO UPDATE SET last_seen = now()"
    "  WHERE z.last_seen < now() - interval '1 minute'"
    "  RETURNING 1"
    ")"
    /* What the database classified now (the caller memoises it), by position in $2; then the
     * unchanged answers the index no longer vouches for, by source. */
    " SELECT n, case_type, area, coalesce(legal_basis, ''), sensitivity::text, NULL"
    " FROM classified WHERE fresh"
    " UNION ALL SELECT NULL, NULL, NULL, NULL, NULL, f.source_id"
    " FROM fetches f JOIN outcome o ON o.source_id = f.source_id"
    " WHERE o.unchanged AND (f.answer_digest_at IS NULL"
    "  OR f.answer_digest IS DISTINCT FROM decode(o.digest, 'hex'))"};

/* clang-format on */

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
                        " coalesce(" ISO_UTC("r.source_updated") ", ''),"                          \
                                                                 " r.withheld_from_citizen,"       \
                                                                 " coalesce(r.status_note, '')"

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
                                        " coalesce(extract(epoch FROM now() - last_ok_at), -1),"
                                        " coalesce(encode(answer_digest, 'hex'), ''),"
                                        " coalesce(extract(epoch FROM now() - answer_digest_at),"
                                        " -1)"
                                        " FROM source_fetch WHERE cpr = $1 ORDER BY source_id"};

/* Unknown codes are logged once per (source, code): enough for someone to add a mapping,
 * without a line per lookup. */
#define SEEN_MAX 1024
static pthread_mutex_t seen_lock = PTHREAD_MUTEX_INITIALIZER;
static char *seen[SEEN_MAX];
static size_t nseen;

static void note_unclassified(const char *source_id, const char *code, const char *legal_basis)
{
    char key[64 + 512 + 128 + 8];
    snprintf(key, sizeof key, "%s|%s|%s", source_id, code, legal_basis);
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
                    source_id, code, legal_basis);
}

/* "" becomes JSON null, so the SQL sees NULL (and a date column never sees ''). */
static void set_text(json_t *o, const char *key, const char *v)
{
    json_object_set_new(o, key, v && *v ? json_string(v) : json_null());
}

static json_t *record_json(const char *source_id, const struct gp_record *r)
{
    json_t *o = json_object();
    set_text(o, "source_id", source_id);
    set_text(o, "source_ref", r->source_ref);
    set_text(o, "parent_ref", r->parent_ref);
    set_text(o, "unit", r->unit);
    set_text(o, "source_code", r->source_code);
    set_text(o, "legal_basis_raw", r->legal_basis_raw);
    set_text(o, "data_type", r->data_type);
    set_text(o, "kind", r->kind);
    set_text(o, "title", r->title);
    set_text(o, "status", r->status);
    set_text(o, "status_note", r->status_note);
    set_text(o, "start_date", r->start_date);
    set_text(o, "end_date", r->end_date);
    set_text(o, "document_date", r->document_date);
    set_text(o, "caseworker_name", r->caseworker_name);
    set_text(o, "caseworker_contact", r->caseworker_contact);
    set_text(o, "source_updated", r->source_updated);
    return o;
}

static const char *on_date(const struct gp_record *r)
{
    return r->start_date[0] ? r->start_date : r->document_date;
}

static struct gp_class_key class_key(const char *source_id, const struct gp_record *r)
{
    return (struct gp_class_key){source_id, r->source_code, r->legal_basis_raw, on_date(r)};
}

enum gp_qs gp_index_store_answers(struct gp_db_conn *c, struct gp_classcache *cc, double now_s,
                                  const char *cpr, const struct gp_index_answer *answers, size_t n,
                                  bool *refused)
{
    if (refused)
        memset(refused, 0, n * sizeof *refused);
    /* Every record, in order, with the answer it came in (to memoise what comes back). */
    size_t nrec = 0;
    for (size_t i = 0; i < n; i++)
        nrec += answers[i].records ? answers[i].records->n : 0;
    const struct gp_record **recs = gp_xcalloc(nrec ? nrec : 1, sizeof *recs);
    const char **rec_source = gp_xcalloc(nrec ? nrec : 1, sizeof *rec_source);

    json_t *records = json_array();
    json_t *outcomes = json_array();
    size_t at = 0;
    for (size_t i = 0; i < n; i++) {
        const struct gp_index_answer *a = &answers[i];
        for (size_t k = 0; a->records && k < a->records->n; k++, at++) {
            const struct gp_record *r = &a->records->items[k];
            recs[at] = r;
            rec_source[at] = a->source_id;
            json_t *o = record_json(a->source_id, r);
            json_object_set_new(o, "n", json_integer((json_int_t)at + 1));
            struct gp_class_key key = class_key(a->source_id, r);
            struct gp_class_value v;
            if (cc && gp_classcache_get(cc, &key, now_s, &v)) {
                set_text(o, "case_type", v.case_type);
                set_text(o, "area", v.area);
                set_text(o, "legal_basis", v.legal_basis);
                set_text(o, "sensitivity", v.sensitivity);
            }
            json_array_append_new(records, o);
        }
        json_t *o = json_object();
        set_text(o, "source_id", a->source_id);
        set_text(o, "status", a->status);
        set_text(o, "error", a->error);
        json_object_set_new(o, "latency_ms", json_real(a->latency_ms));
        set_text(o, "fetched_at", a->fetched_at);
        json_object_set_new(o, "complete", json_boolean(a->records && a->complete));
        /* Only an answer with records is remembered by its digest (so an unchanged one has
         * records, and marks the citizen seen). */
        bool remember = a->unchanged || (a->records && a->records->n > 0);
        set_text(o, "digest", remember ? a->digest : NULL);
        json_object_set_new(o, "unchanged", json_boolean(a->unchanged && !a->records));
        json_array_append_new(outcomes, o);
    }
    char *rtext = json_dumps(records, JSON_COMPACT);
    char *otext = json_dumps(outcomes, JSON_COMPACT);
    json_decref(records);
    json_decref(outcomes);
    enum gp_qs qs = GP_QS_HARD_ERROR;
    if (rtext && otext) { /* NULL only for a value that is not UTF-8: adapters never produce one */
        const char *p[3] = {cpr, rtext, otext};
        PGresult *res = NULL;
        qs = gp_db_exec(c, &stmt_store, 3, p, &res);
        for (int row = 0; qs > 0 && row < PQntuples(res); row++) {
            if (!PQgetisnull(res, row, 5)) { /* an unchanged answer the index no longer holds */
                for (size_t i = 0; i < n; i++) {
                    if (refused && !strcmp(answers[i].source_id, PQgetvalue(res, row, 5)))
                        refused[i] = true;
                }
                continue;
            }
            long long pos = strtoll(PQgetvalue(res, row, 0), NULL, 10);
            if (pos < 1 || (size_t)pos > nrec)
                continue;
            const struct gp_record *r = recs[pos - 1];
            struct gp_class_value v;
            gp_rec_set(v.case_type, sizeof v.case_type, PQgetvalue(res, row, 1));
            gp_rec_set(v.area, sizeof v.area, PQgetvalue(res, row, 2));
            gp_rec_set(v.legal_basis, sizeof v.legal_basis, PQgetvalue(res, row, 3));
            gp_rec_set(v.sensitivity, sizeof v.sensitivity, PQgetvalue(res, row, 4));
            if (!strcmp(v.case_type, "unclassified"))
                note_unclassified(rec_source[pos - 1], r->source_code, r->legal_basis_raw);
            struct gp_class_key key = class_key(rec_source[pos - 1], r);
            if (cc)
                gp_classcache_put(cc, &key, now_s, &v);
        }
        PQclear(res);
    } else {
        GP_LOG_BUG("a record that is not UTF-8 reached the index");
    }
    free(rtext);
    free(otext);
    free(recs);
    free(rec_source);
    return qs < 0 ? qs : (enum gp_qs)nrec;
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
    x->withheld_from_citizen = PQgetvalue(r, row, 27)[0] == 't';
    copy_col(e->status_note, sizeof e->status_note, r, row, 28);
}

static void records_from(const PGresult *r, void *cls);

static enum gp_qs read_rows(struct gp_db_conn *c, const struct gp_stmt *st, int np,
                            const char *const *p, struct gp_indexed_list *out)
{
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, st, np, p, &r);
    gp_indexed_list_free(out); /* a retried transaction starts over */
    if (qs < 0)
        return qs;
    records_from(r, out);
    PQclear(r);
    return qs;
}

static void records_from(const PGresult *r, void *cls)
{
    struct gp_indexed_list *out = cls;
    gp_indexed_list_free(out); /* a retried transaction starts over */
    out->n = (size_t)PQntuples(r);
    out->items = gp_xcalloc(out->n ? out->n : 1, sizeof *out->items);
    for (size_t i = 0; i < out->n; i++)
        row_to_indexed(r, (int)i, &out->items[i]);
}

void gp_index_read_all_item(struct gp_db_batch_item *it, const char *cpr,
                            struct gp_indexed_list *out)
{
    *it = (struct gp_db_batch_item){.stmt = &stmt_read_all,
                                    .nparams = 1,
                                    .params = {cpr},
                                    .on_result = records_from,
                                    .cls = out};
}

enum gp_qs gp_index_read_all(struct gp_db_conn *c, const char *cpr, struct gp_indexed_list *out)
{
    struct gp_db_batch_item it;
    gp_index_read_all_item(&it, cpr, out);
    return gp_db_exec_batch(c, &it, 1);
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

static void fetches_from(const PGresult *r, void *cls)
{
    struct gp_source_fetch_list *out = cls;
    gp_source_fetch_list_free(out);
    out->n = (size_t)PQntuples(r);
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
        /* A digest not (or no longer) vouched for by a full store is not handed out. */
        f->digest_age_s = strtod(PQgetvalue(r, row, 8), NULL);
        if (f->digest_age_s >= 0)
            copy_col(f->digest, sizeof f->digest, r, row, 7);
    }
}

void gp_index_read_fetches_item(struct gp_db_batch_item *it, const char *cpr,
                                struct gp_source_fetch_list *out)
{
    *it = (struct gp_db_batch_item){.stmt = &stmt_read_fetches,
                                    .nparams = 1,
                                    .params = {cpr},
                                    .on_result = fetches_from,
                                    .cls = out};
}

enum gp_qs gp_index_read_fetches(struct gp_db_conn *c, const char *cpr,
                                 struct gp_source_fetch_list *out)
{
    struct gp_db_batch_item it;
    gp_index_read_fetches_item(&it, cpr, out);
    return gp_db_exec_batch(c, &it, 1);
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
