/* The sync's SQL (lib/federation/sync_internal.h): a source's pass begun or resumed, each page
 * staged with COPY and merged set-based in the transaction that moves the pass on, the removal
 * at the end of a complete pass, the session lock and the status. */
#include "lib/federation/sync_internal.h"

/* gp_record_inherit (lib/core/record.h): the rule by which a child record takes classification,
 * unit and caseworker from its case. The FHIR adapter applies it within a page; a page that ends
 * inside a citizen leaves the next page's children without their case, and the sync applies the
 * same rule to them with the case carried over from the page before (see carry_apply). */
#include "lib/core/record.h"
#include "lib/core/alloc.h"
#include "lib/core/buf.h"
#include "lib/db/copy.h"
#include "lib/db/stmt.h"
#include "lib/federation/record_sql.h"

#include <jansson.h>

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* ---- statements ------------------------------------------------------------------------- */

/* The pass under way of a source, locked for the transaction that decides to continue it. */
static const struct gp_stmt stmt_state_load = {
    "sync_state_load",
    "SELECT kind, base_url, pass_started_at IS NOT NULL, coalesce(cursor, ''), pages, records,"
    " coalesce(carry::text, '') FROM sync_state WHERE source_id = $1 FOR UPDATE"};

/* A new pass: from the first page, nothing seen yet. */
static const struct gp_stmt stmt_pass_start = {
    "sync_pass_start",
    "INSERT INTO sync_state AS s (source_id, kind, base_url, pass_started_at, cursor, pages,"
    " records, carry) VALUES ($1, $2, $3, now(), '', 0, 0, NULL)"
    " ON CONFLICT (source_id) DO UPDATE SET kind = EXCLUDED.kind, base_url = EXCLUDED.base_url,"
    " pass_started_at = now(), cursor = '', pages = 0, records = 0, carry = NULL,"
    " updated_at = now()"};

static const struct gp_stmt stmt_seen_clear = {"sync_seen_clear",
                                               "DELETE FROM sync_seen WHERE source_id = $1"};

/* One page, set-based, in one statement: the page's rows (staged in sync_page by this
 * transaction) are classified by record_classify (migration 0007) — the function the CPR button's
 * store uses, so a synced record is classified exactly as a looked-up one — and upserted per (cpr,
 * source, source reference). A record the index holds exactly is left alone (no new row version, no
 * row lock), so a second sync of an unchanged export writes no record. What was merged is
 * remembered in sync_seen for the removal at the end of the pass; new citizens are added.
 * Data-modifying CTEs all run once, referenced or not. Answers the rows merged, the rows
 * written, and the distinct unclassified (code, legal basis) pairs as a JSON array. A page
 * that holds one record twice fails (ON CONFLICT cannot update a row twice): a broken export,
 * not ours to choose between.
 *
 * record_classify costs about 60 µs a row (legal_basis_resolve's regular expressions), as
 * much as the rest of the merge together, so it is called once per class of rows that must get
 * the same answer, not once per row: same source, code and legal basis, and a date in the same
 * interval between the taxonomy's validity bounds (every valid_from and valid_to of
 * legal_basis_alias and case_type_version). The date reaches the answer only through which of
 * those versioned rows are valid on it, so every date of one interval classifies alike and the
 * class's earliest date stands for all (a missing date stays missing: today's taxonomy). A
 * page of a few hundred records has a few dozen classes. If a later migration makes
 * record_classify depend on another dated table, its bounds belong in `bounds` too (0019 added
 * concept_map's);
 * tests/integration/itest_sync.c compares synced records with looked-up ones and with
 * record_classify row by row across a dated taxonomy change (classified_by_the_records_date). */
/* clang-format off */
static const struct gp_stmt stmt_merge = {
    "sync_merge",
    "WITH page AS ("
    "  SELECT * FROM sync_page"
    "), bounds AS MATERIALIZED ("
    "  SELECT coalesce(array_agg(b ORDER BY b), '{}') AS b FROM ("
    "   SELECT valid_from FROM legal_basis_alias UNION SELECT valid_to FROM legal_basis_alias"
    "   UNION SELECT valid_from FROM case_type_version"
    "   UNION SELECT valid_to FROM case_type_version"
    "   UNION SELECT valid_from FROM concept_map UNION SELECT valid_to FROM concept_map)"
    "   x (b) WHERE b IS NOT NULL"
    "), keyed AS ("
    "  SELECT p.*, coalesce(p.source_code, '') AS code_key,"
    "   coalesce(p.legal_basis_raw, '') AS basis_key,"
    "   coalesce(width_bucket(coalesce(p.start_date, p.document_date), bounds.b), -1)"
    "    AS bucket,"
    "   coalesce(p.start_date, p.document_date) AS on_date"
    "  FROM page p CROSS JOIN bounds"
    "), classes AS ("
    "  SELECT k.code_key, k.basis_key, k.bucket, c.case_type, c.area, c.legal_basis,"
    "   c.sensitivity"
    "  FROM (SELECT code_key, basis_key, bucket, min(on_date) AS on_date FROM keyed"
    "   GROUP BY code_key, basis_key, bucket) k"
    "  CROSS JOIN LATERAL record_classify($1, nullif(k.code_key, ''), nullif(k.basis_key, ''),"
    "   k.on_date) c"
    "), classified AS ("
    "  SELECT k.*, c.case_type, c.area, c.legal_basis, c.sensitivity FROM keyed k"
    "  JOIN classes c ON c.code_key = k.code_key AND c.basis_key = k.basis_key"
    "   AND c.bucket = k.bucket"
    "), changed AS ("
    GP_RECORD_CHANGED("k.cpr")
    "), upserted AS ("
    GP_RECORD_UPSERT_INTO
    GP_RECORD_UPSERT_VALUES("k.cpr", "now()")
    "  FROM changed k"
    GP_RECORD_UPSERT_ON_CONFLICT
    "  RETURNING r.cpr"
    "), unmapped AS ("
    GP_RECORD_UNMAPPED
    "), unvouched AS ("
    /* The index no longer holds exactly what a press last stored for these citizens
     * (migration 0013). */
    "  UPDATE source_fetch f SET answer_digest = NULL, answer_digest_at = NULL"
    "  WHERE f.source_id = $1 AND f.cpr IN (SELECT cpr FROM upserted)"
    "   AND f.answer_digest IS NOT NULL"
    "), seen AS ("
    "  INSERT INTO sync_seen (source_id, cpr, source_ref)"
    "  SELECT source_id, cpr, source_ref FROM page"
    "), citizens AS ("
    /* In CPR order: two sources' pages adding the same new citizens then wait for each other
     * in one order only, never in a cycle. */
    "  INSERT INTO citizen (cpr) SELECT DISTINCT cpr FROM page ORDER BY cpr"
    "  ON CONFLICT (cpr) DO NOTHING"
    ")"
    " SELECT (SELECT count(*) FROM page), (SELECT count(*) FROM upserted),"
    "  (SELECT coalesce(jsonb_agg(DISTINCT jsonb_build_array(code_key, basis_key)), '[]')::text"
    "   FROM classes WHERE case_type = 'unclassified')"};

/* clang-format on */

/* Moves the pass on past the page just merged. The cursor it started from must still be the
 * stored one: anything else means the state changed under this sync, and the page is not
 * counted (the transaction fails). */
static const struct gp_stmt stmt_advance = {
    "sync_advance",
    "UPDATE sync_state SET cursor = $3, pages = pages + 1, records = records + $4::bigint,"
    " carry = $5::jsonb, last_error = NULL, last_error_at = NULL, updated_at = now()"
    " WHERE source_id = $1 AND cursor = $2"};

/* At the end of a complete pass: the source's live records the pass did not see are gone from
 * the source — unless a per-CPR lookup answered for that citizen after the pass began, which
 * is newer than the export's snapshot (and decided removal for that citizen itself). The
 * difference is an EXCEPT (hashed or sorted, never a nested loop over two tables that just
 * grew by a whole export and have no statistics yet), then the few rows gone by key. */
static const struct gp_stmt stmt_remove = {
    "sync_remove",
    "WITH removed AS ("
    " UPDATE record r SET removed_at = now()"
    " FROM (SELECT cpr, source_ref FROM record WHERE source_id = $1 AND removed_at IS NULL"
    "  EXCEPT SELECT cpr, source_ref FROM sync_seen WHERE source_id = $1) gone"
    " WHERE r.cpr = gone.cpr AND r.source_id = $1 AND r.source_ref = gone.source_ref"
    " AND NOT EXISTS (SELECT 1 FROM source_fetch f JOIN sync_state st"
    "  ON st.source_id = f.source_id"
    "  WHERE f.cpr = r.cpr AND f.source_id = $1 AND f.last_ok_at >= st.pass_started_at)"
    " RETURNING r.cpr"
    "), unvouched AS ("
    " UPDATE source_fetch f SET answer_digest = NULL, answer_digest_at = NULL"
    " WHERE f.source_id = $1 AND f.cpr IN (SELECT cpr FROM removed)"
    "  AND f.answer_digest IS NOT NULL"
    ")"
    " SELECT count(*) FROM removed"};

static const struct gp_stmt stmt_complete = {
    "sync_complete",
    "UPDATE sync_state SET last_pass_started_at = pass_started_at, last_completed_at = now(),"
    " last_pages = pages, last_records = records, last_removed = $2::bigint,"
    " pass_started_at = NULL, cursor = NULL, carry = NULL, updated_at = now()"
    " WHERE source_id = $1"};

static const struct gp_stmt stmt_fail = {
    "sync_fail", "UPDATE sync_state SET last_error = $2, last_error_at = now(), updated_at = now()"
                 " WHERE source_id = $1"};

/* Times as ISO 8601 UTC text, "" for none. */
static const struct gp_stmt stmt_status = {
    "sync_status",
    "SELECT s.id, s.enabled, st.pass_started_at IS NOT NULL,"
    " coalesce(to_char(st.pass_started_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), ''),"
    " coalesce(st.pages, 0), coalesce(st.records, 0),"
    " coalesce(to_char(st.updated_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), ''),"
    " coalesce(to_char(st.last_completed_at AT TIME ZONE 'UTC', "
    "'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), ''),"
    " coalesce(st.last_pages, 0), coalesce(st.last_records, 0),"
    " coalesce(st.last_removed, 0), coalesce(st.last_error, ''),"
    " coalesce(to_char(st.last_error_at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.MS\"Z\"'), "
    "'')"
    " FROM source s LEFT JOIN sync_state st ON st.source_id = s.id ORDER BY s.id"};

/* The page's staging table: temporary (this session's own, never WAL-logged), emptied when its
 * transaction ends, so a page is staged and merged in one transaction and nothing is left
 * behind by a sync that dies — nor does a merge read past other sessions' pages or their dead
 * rows. Created once per connection, shaped by sync_staging (migration 0009). Notices ("already
 * exists") are not wanted once per page. */
static const char sql_page_begin[] =
    "SET LOCAL synchronous_commit TO off; SET LOCAL client_min_messages TO warning;"
    " CREATE TEMP TABLE IF NOT EXISTS sync_page (LIKE sync_staging) ON COMMIT DELETE ROWS";
static const char sql_copy[] =
    "COPY sync_page (source_id, cpr, source_ref, parent_ref, source_code, legal_basis_raw,"
    " data_type, kind, title, status, start_date, end_date, document_date, unit,"
    " caseworker_name, caseworker_contact, source_updated, status_note) FROM STDIN";

/* On the lock session (lib/copy): plain statements, no pool. */
static const char sql_lock[] =
    "SELECT pg_try_advisory_lock(hashtextextended('glasplade sync ' || $1, 0))";
static const char sql_unlock[] =
    "SELECT pg_advisory_unlock(hashtextextended('glasplade sync ' || $1, 0))";

/* ---- the carry: a citizen split across pages ---------------------------------------------- */

/* The record with source_ref ref and this cpr among items [from, to) of l, or NULL. */
static const struct gp_record *find_ref(const struct gp_record_list *l, size_t from, size_t to,
                                        const char *cpr, const char *ref)
{
    for (size_t i = from; i < to; i++) {
        if (!strcmp(l->items[i].source_ref, ref) && !strcmp(l->items[i].cpr, cpr))
            return &l->items[i];
    }
    return NULL;
}

/* A page that starts with the citizen the last page ended with: each of that citizen's records
 * whose case (parent_ref) is not on this page but on the page before takes from it what the
 * adapter would have given it, had both been in one answer (FHIR: DocumentReference, Encounter,
 * CarePlan and activities take their EpisodeOfCare's code and legal basis, unit and
 * caseworker). In order, so a chain (activity → plan → case) sees its parent finished. */
static void carry_apply(const struct gp_record_list *carry, struct gp_record_list *page)
{
    if (!carry->n || !page->n || strcmp(page->items[0].cpr, carry->items[0].cpr) != 0)
        return;
    const char *cpr = carry->items[0].cpr;
    size_t block = 0;
    while (block < page->n && !strcmp(page->items[block].cpr, cpr))
        block++;
    for (size_t i = 0; i < block; i++) {
        struct gp_record *r = &page->items[i];
        if (!r->parent_ref[0] || find_ref(page, 0, block, cpr, r->parent_ref))
            continue;
        const struct gp_record *p = find_ref(carry, 0, carry->n, cpr, r->parent_ref);
        if (p)
            gp_record_inherit(r, p, !strcmp(p->kind, "case"));
    }
}

/* The carry after a page: the records of its last citizen, joined to the old carry when the
 * whole page was that citizen. */
static void carry_update(struct gp_record_list *carry, const struct gp_record_list *page)
{
    if (!page->n)
        return; /* an empty page ends no citizen */
    const char *last = page->items[page->n - 1].cpr;
    size_t from = page->n;
    while (from > 0 && !strcmp(page->items[from - 1].cpr, last))
        from--;
    if (from > 0 || !carry->n || strcmp(carry->items[0].cpr, last) != 0)
        carry->n = 0;
    for (size_t i = from; i < page->n; i++)
        *gp_record_list_add(carry) = page->items[i];
}

/* The fields a child takes from its case, as JSON for sync_state.carry; NULL when empty. */
static char *carry_json(const struct gp_record_list *carry)
{
    if (!carry->n)
        return NULL;
    json_t *a = json_array();
    for (size_t i = 0; i < carry->n; i++) {
        const struct gp_record *r = &carry->items[i];
        json_array_append_new(a, json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "cpr",
                                           r->cpr, "ref", r->source_ref, "kind", r->kind, "code",
                                           r->source_code, "basis", r->legal_basis_raw, "unit",
                                           r->unit, "cw", r->caseworker_name, "cwc",
                                           r->caseworker_contact));
    }
    char *text = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    return text;
}

static void carry_load(struct gp_record_list *carry, const char *text)
{
    carry->n = 0;
    json_t *a = text && *text ? json_loads(text, 0, NULL) : NULL;
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *o = json_array_get(a, i);
        struct gp_record *r = gp_record_list_add(carry);
        GP_REC_SET(r->cpr, json_string_value(json_object_get(o, "cpr")));
        GP_REC_SET(r->source_ref, json_string_value(json_object_get(o, "ref")));
        GP_REC_SET(r->kind, json_string_value(json_object_get(o, "kind")));
        GP_REC_SET(r->source_code, json_string_value(json_object_get(o, "code")));
        GP_REC_SET(r->legal_basis_raw, json_string_value(json_object_get(o, "basis")));
        GP_REC_SET(r->unit, json_string_value(json_object_get(o, "unit")));
        GP_REC_SET(r->caseworker_name, json_string_value(json_object_get(o, "cw")));
        GP_REC_SET(r->caseworker_contact, json_string_value(json_object_get(o, "cwc")));
    }
    json_decref(a);
}

/* ---- starting or resuming a pass ---------------------------------------------------------- */

struct begin_tx {
    const struct gp_source *src;
    bool restart;
    /* out */
    bool resumed;
    char cursor[sizeof((struct gp_sync_pass *)0)->cursor];
    long pages, records;
    char *carry;
};

static enum gp_qs begin_fn(struct gp_db_conn *c, void *cls)
{
    struct begin_tx *b = cls;
    b->resumed = false;
    b->cursor[0] = '\0';
    b->pages = b->records = 0;
    free(b->carry);
    b->carry = NULL;
    const char *p1[1] = {b->src->id};
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_state_load, 1, p1, &r);
    if (qs < 0)
        return qs;
    /* A pass under way continues when it reads the same system as configured now. */
    if (qs == 1 && !b->restart && PQgetvalue(r, 0, 2)[0] == 't' &&
        !strcmp(PQgetvalue(r, 0, 0), b->src->kind) &&
        !strcmp(PQgetvalue(r, 0, 1), b->src->base_url)) {
        b->resumed = true;
        snprintf(b->cursor, sizeof b->cursor, "%s", PQgetvalue(r, 0, 3));
        b->pages = atol(PQgetvalue(r, 0, 4));
        b->records = atol(PQgetvalue(r, 0, 5));
        b->carry = gp_xstrdup(PQgetvalue(r, 0, 6));
        PQclear(r);
        return GP_QS_ONE_RESULT;
    }
    PQclear(r);
    const char *p3[3] = {b->src->id, b->src->kind, b->src->base_url};
    qs = gp_db_exec(c, &stmt_pass_start, 3, p3, NULL);
    if (qs >= 0)
        qs = gp_db_exec(c, &stmt_seen_clear, 1, p1, NULL);
    return qs < 0 ? qs : GP_QS_ONE_RESULT;
}

enum gp_qs gp_sync_pass_begin(struct gp_db_pool *pool, const struct gp_source *src, bool restart,
                              struct gp_sync_pass *p)
{
    struct begin_tx b = {.src = src, .restart = restart};
    enum gp_qs qs = gp_db_tx(pool, "sync_begin", GP_DB_READ_COMMITTED, begin_fn, &b);
    if (qs >= 0) {
        p->resumed = b.resumed;
        p->pages = b.pages;
        p->records = b.records;
        snprintf(p->cursor, sizeof p->cursor, "%s", b.cursor);
        carry_load(&p->carry, b.carry);
    }
    free(b.carry);
    return qs;
}

/* ---- merging a page ----------------------------------------------------------------------- */

struct page_tx {
    const char *source_id;
    const char *rows; /* COPY text of the page's n records */
    size_t rows_len;
    const char *cursor, *next;
    long n;
    const char *carry;
    bool last;
    bool kill_copied; /* the test hook: die once the page is staged, before the merge */
    bool kill;        /* the test hook: die before COMMIT */
    /* out */
    long merged, written, removed;
    char *unclassified; /* JSON array of [code, legal basis] */
    double copy_s;      /* in COPY, every attempt */
};

static enum gp_qs page_fn(struct gp_db_conn *c, void *cls)
{
    struct page_tx *t = cls;
    free(t->unclassified);
    t->unclassified = NULL;
    t->merged = t->written = t->removed = 0;
    const char *p1[1] = {t->source_id};
    PGresult *r = NULL;
    /* The page and the cursor that passes it commit together, so a commit lost in a crash
     * loses both: the sync fetches that page again. Nothing needs to wait for the flush. */
    enum gp_qs qs = gp_db_exec_simple(c, sql_page_begin);
    if (qs < 0)
        return qs;
    if (t->n > 0) {
        struct timespec t0;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        qs = gp_db_copy_in(c, sql_copy, t->rows, t->rows_len);
        t->copy_s += gp_sync_since(&t0);
        if (qs < 0)
            return qs;
        if ((long)qs != t->n) {
            GP_LOG_BUG("sync of %s: %ld records sent, %d staged", t->source_id, t->n, (int)qs);
            return GP_QS_HARD_ERROR;
        }
    }
    if (t->kill_copied)
        raise(SIGKILL);
    qs = gp_db_exec(c, &stmt_merge, 1, p1, &r);
    if (qs < 0)
        return qs;
    t->merged = atol(PQgetvalue(r, 0, 0));
    t->written = atol(PQgetvalue(r, 0, 1));
    t->unclassified = gp_xstrdup(PQgetvalue(r, 0, 2));
    PQclear(r);
    if (t->merged != t->n) {
        GP_LOG_BUG("sync of %s: %ld records staged, %ld merged", t->source_id, t->n, t->merged);
        return GP_QS_HARD_ERROR;
    }
    char n[24];
    snprintf(n, sizeof n, "%ld", t->n);
    const char *p5[5] = {t->source_id, t->cursor, t->next, n, t->carry};
    qs = gp_db_exec(c, &stmt_advance, 5, p5, NULL);
    if (qs < 0)
        return qs;
    if (qs != 1) {
        GP_LOG_BUG("sync of %s: the stored cursor moved under this sync", t->source_id);
        return GP_QS_HARD_ERROR;
    }
    if (t->last) {
        PGresult *rr = NULL;
        qs = gp_db_exec(c, &stmt_remove, 1, p1, &rr);
        if (qs < 0)
            return qs;
        t->removed = strtol(PQgetvalue(rr, 0, 0), NULL, 10);
        PQclear(rr);
        char removed[24];
        snprintf(removed, sizeof removed, "%ld", t->removed);
        const char *p2[2] = {t->source_id, removed};
        if ((qs = gp_db_exec(c, &stmt_seen_clear, 1, p1, NULL)) < 0 ||
            (qs = gp_db_exec(c, &stmt_complete, 2, p2, NULL)) < 0)
            return qs;
    }
    if (t->kill)
        raise(SIGKILL);
    return GP_QS_ONE_RESULT;
}

static void rows_append(struct gp_buf *b, const char *source_id, const struct gp_record *r)
{
    gp_copy_field(b, source_id, false);
    gp_copy_field(b, r->cpr, false);
    gp_copy_field(b, r->source_ref, false);
    gp_copy_field(b, r->parent_ref, false);
    gp_copy_field(b, r->source_code, false);
    gp_copy_field(b, r->legal_basis_raw, false);
    gp_copy_field(b, r->data_type, false);
    gp_copy_field(b, r->kind, false);
    gp_copy_field(b, r->title, false);
    gp_copy_field(b, r->status, false);
    gp_copy_field(b, r->start_date, false);
    gp_copy_field(b, r->end_date, false);
    gp_copy_field(b, r->document_date, false);
    gp_copy_field(b, r->unit, false);
    gp_copy_field(b, r->caseworker_name, false);
    gp_copy_field(b, r->caseworker_contact, false);
    gp_copy_field(b, r->source_updated, false);
    gp_copy_field(b, r->status_note, true);
}

enum gp_qs gp_sync_pass_merge(struct gp_db_pool *pool, const char *source_id,
                              struct gp_sync_pass *p, struct gp_export_page *page,
                              struct gp_sync_kill kill, struct gp_sync_merged *out)
{
    memset(out, 0, sizeof *out);
    bool last = page->next_cursor[0] == '\0';
    carry_apply(&p->carry, &page->records);

    long n = (long)page->records.n;
    p->rows.len = 0;
    for (size_t i = 0; i < page->records.n; i++)
        rows_append(&p->rows, source_id, &page->records.items[i]);

    struct gp_record_list next_carry = {0};
    for (size_t i = 0; i < p->carry.n; i++)
        *gp_record_list_add(&next_carry) = p->carry.items[i];
    carry_update(&next_carry, &page->records);
    char *carry = last ? NULL : carry_json(&next_carry);
    struct page_tx pt = {
        .source_id = source_id,
        .rows = p->rows.data,
        .rows_len = p->rows.len,
        .cursor = p->cursor,
        .next = page->next_cursor,
        .n = n,
        .carry = carry,
        .last = last,
        .kill_copied = kill.copied,
        .kill = kill.merged,
    };
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    enum gp_qs qs = gp_db_tx(pool, "sync_page", GP_DB_READ_COMMITTED, page_fn, &pt);
    out->copy_s = pt.copy_s;
    out->merge_s = gp_sync_since(&t) - pt.copy_s;
    free(carry);
    if (qs < 0) {
        gp_record_list_free(&next_carry);
        free(pt.unclassified);
        return qs;
    }
    gp_record_list_free(&p->carry);
    p->carry = next_carry;
    snprintf(p->cursor, sizeof p->cursor, "%s", page->next_cursor);
    p->pages++;
    p->records += n;
    out->records = n;
    out->written = pt.written;
    out->removed = pt.removed;
    out->unclassified = pt.unclassified;
    return qs;
}

void gp_sync_pass_free(struct gp_sync_pass *p)
{
    gp_record_list_free(&p->carry);
    gp_buf_free(&p->rows);
}

/* ---- failure, lock ------------------------------------------------------------------------ */

void gp_sync_pass_failed(struct gp_db_pool *pool, const char *source_id, const char *error)
{
    char err[256];
    const char *p2[2] = {source_id, error};
    struct gp_db_conn *c = gp_db_acquire(pool, err, sizeof err);
    if (c)
        gp_db_exec(c, &stmt_fail, 2, p2, NULL);
    gp_db_release(pool, c);
}

int gp_sync_lock(struct gp_copy *c, const char *source_id, char *err, size_t errlen)
{
    const char *p1[1] = {source_id};
    char val[8];
    if (gp_copy_exec(c, sql_lock, 1, p1, val, sizeof val, err, errlen) != 1)
        return -1;
    return strcmp(val, "t") == 0 ? 1 : 0;
}

void gp_sync_unlock(struct gp_copy *c, const char *source_id)
{
    const char *p1[1] = {source_id};
    char err[256];
    gp_copy_exec(c, sql_unlock, 1, p1, NULL, 0, err, sizeof err);
}

/* ---- status ------------------------------------------------------------------------------- */

struct status_call {
    struct gp_sync_status *rows;
    size_t n;
};

static enum gp_qs status_fn(struct gp_db_conn *c, void *cls)
{
    struct status_call *call = cls;
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_status, 0, NULL, &r);
    if (qs < 0)
        return qs;
    free(call->rows);
    call->n = (size_t)qs;
    call->rows = gp_xcalloc(call->n ? call->n : 1, sizeof *call->rows);
    for (size_t i = 0; i < call->n; i++) {
        struct gp_sync_status *s = &call->rows[i];
        int row = (int)i;
        snprintf(s->source_id, sizeof s->source_id, "%s", PQgetvalue(r, row, 0));
        s->enabled = PQgetvalue(r, row, 1)[0] == 't';
        s->under_way = PQgetvalue(r, row, 2)[0] == 't';
        snprintf(s->pass_started_at, sizeof s->pass_started_at, "%s", PQgetvalue(r, row, 3));
        s->pages = atol(PQgetvalue(r, row, 4));
        s->records = atol(PQgetvalue(r, row, 5));
        snprintf(s->updated_at, sizeof s->updated_at, "%s", PQgetvalue(r, row, 6));
        snprintf(s->last_completed_at, sizeof s->last_completed_at, "%s", PQgetvalue(r, row, 7));
        s->last_pages = atol(PQgetvalue(r, row, 8));
        s->last_records = atol(PQgetvalue(r, row, 9));
        s->last_removed = atol(PQgetvalue(r, row, 10));
        snprintf(s->last_error, sizeof s->last_error, "%s", PQgetvalue(r, row, 11));
        snprintf(s->last_error_at, sizeof s->last_error_at, "%s", PQgetvalue(r, row, 12));
    }
    PQclear(r);
    return qs;
}

enum gp_qs gp_sync_status_load(struct gp_db_pool *pool, struct gp_sync_status **out, size_t *n)
{
    struct status_call call = {0};
    enum gp_qs qs = gp_db_with_conn(pool, "sync_status", status_fn, &call);
    if (qs < 0) {
        free(call.rows);
        *out = NULL;
        *n = 0;
        return qs;
    }
    *out = call.rows;
    *n = call.n;
    return qs;
}
