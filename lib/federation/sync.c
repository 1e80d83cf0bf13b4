#include "lib/federation/sync.h"
#include "lib/db/stmt.h"

/* gp_record_inherit (lib/core/record.h): the rule by which a child record takes classification,
 * unit and caseworker from its case. The FHIR adapter applies it within a page; a page that ends
 * inside a citizen leaves the next page's children without their case, and the sync applies the
 * same rule to them with the case carried over from the page before (see carry_apply). */
#include "adapters/adapter.h"
#include "lib/core/record.h"
#include "lib/core/alloc.h"
#include "lib/core/buf.h"
#include "lib/db/copy.h"
#include "lib/core/cpr.h"
#include "lib/federation/http_get.h"
#include "lib/federation/record_sql.h"
#include "lib/federation/sources.h"

#include <curl/curl.h>
#include <jansson.h>

#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Attempts per page before a source fails: transport errors, timeouts, 5xx, 429. */
#define FETCH_ATTEMPTS 4
/* Wait before the second attempt; doubled for each one after. */
#define FETCH_BACKOFF_MS 500
/* Distinct unclassified codes noted per run (each is noted once). */
#define NOTED_MAX 256

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
 * record_classify depend on another dated table, its bounds belong in `bounds` too;
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
    "   UNION SELECT valid_to FROM case_type_version) x (b) WHERE b IS NOT NULL"
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
    " caseworker_name, caseworker_contact, source_updated) FROM STDIN";

/* On the lock session (lib/copy): plain statements, no pool. */
static const char sql_lock[] =
    "SELECT pg_try_advisory_lock(hashtextextended('glasplade sync ' || $1, 0))";
static const char sql_unlock[] =
    "SELECT pg_advisory_unlock(hashtextextended('glasplade sync ' || $1, 0))";

/* ---- one run ------------------------------------------------------------------------------ */

struct run {
    const struct gp_sync_options *o;
    struct gp_db_pool *pool;
    gp_sync_progress_fn progress;
    void *cls;
    const struct gp_source *const *sources; /* chosen, in id order (results follow it) */
    const size_t *order;                    /* the order they are taken in */
    size_t count;
    struct gp_sync_result *results;
    pthread_mutex_t mu;   /* the rest, and every progress callback (one at a time) */
    struct gp_copy *copy; /* the lock session */
    size_t next;          /* the next of order to take */
    size_t sources_done;
    long records; /* merged in this run, all sources */
    char *noted[NOTED_MAX];
    size_t nnoted;
};

/* What a source's sync has in hand. */
struct source_run {
    struct run *run;
    const struct gp_source *src;
    const struct gp_adapter *ad;
    struct gp_sync_result *res;
    struct timespec t0;
    char cursor[sizeof((struct gp_export_page *)0)->next_cursor];
    struct gp_record_list carry; /* the last citizen of the last page merged */
    struct gp_buf rows;          /* COPY text of the page */
    size_t index;                /* in run->sources */
};

static double since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

static void report(struct source_run *s, bool done, enum gp_log_level level, const char *note)
{
    struct run *r = s->run;
    if (note && !r->progress) {
        gp_log_at(level, NULL, 0, "%s", note);
        return;
    }
    if (!r->progress)
        return;
    pthread_mutex_lock(&r->mu);
    if (done)
        r->sources_done++;
    struct gp_sync_progress p = {
        .index = s->index,
        .count = r->count,
        .sources_done = r->sources_done,
        .run_records = r->records,
        .source_id = s->src->id,
        .pages = s->res->pages,
        .records = s->res->records,
        .pass_pages = s->res->pass_pages,
        .elapsed_s = since(&s->t0),
        .source_done = done,
        .note_level = level,
        .note = note,
    };
    r->progress(r->cls, &p);
    pthread_mutex_unlock(&r->mu);
}

/* Logs a line through the progress callback (so a progress bar can step aside), CPR numbers
 * masked. */
__attribute__((format(printf, 3, 4))) static void
note(struct source_run *s, enum gp_log_level level, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(line, sizeof line, fmt, ap);
    va_end(ap);
    gp_cpr_mask_in_place(line);
    report(s, false, level, line);
}

/* Fails the source with a reason (CPR numbers masked); returns false for convenience. */
__attribute__((format(printf, 2, 3))) static bool fail(struct source_run *s, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(s->res->error, sizeof s->res->error, fmt, ap);
    va_end(ap);
    gp_cpr_mask_in_place(s->res->error);
    s->res->outcome = GP_SYNC_FAILED;
    return false;
}

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
    char cursor[256];
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
        t->copy_s += since(&t0);
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

/* Notes each unclassified (code, legal basis) once per run, as lib/index does per process. */
static void note_unclassified(struct source_run *s, const char *json)
{
    struct run *r = s->run;
    json_t *a = json_loads(json, 0, NULL);
    for (size_t i = 0; i < json_array_size(a); i++) {
        json_t *pair = json_array_get(a, i);
        const char *code = json_string_value(json_array_get(pair, 0));
        const char *basis = json_string_value(json_array_get(pair, 1));
        char *key = gp_xasprintf("%s|%s|%s", s->src->id, code ? code : "", basis ? basis : "");
        bool known = false;
        pthread_mutex_lock(&r->mu);
        for (size_t k = 0; k < r->nnoted && !known; k++)
            known = !strcmp(r->noted[k], key);
        if (known || r->nnoted == NOTED_MAX) {
            pthread_mutex_unlock(&r->mu);
            free(key);
            continue;
        }
        r->noted[r->nnoted++] = key;
        pthread_mutex_unlock(&r->mu);
        note(s, GP_LOG_WARN,
             "source %s: code '%s' (legal basis '%s') is not in the taxonomy; records with it "
             "are shown as unclassified",
             s->src->id, code ? code : "", basis ? basis : "");
    }
    json_decref(a);
}

/* ---- fetching pages, one page ahead ------------------------------------------------------ */

/* A thread of its own fetches and parses the next page while the caller copies and merges the
 * one before (the network, the simulators and JSON on one side, PostgreSQL on the other: two
 * cores both busy). It only reads the source and the options, runs ahead by one page at most
 * and changes nothing that is stored: the cursor moves when a page is merged, so a page fetched
 * ahead and never merged is simply fetched again by the next sync. What it would log it hands
 * over; all progress is reported from the caller's thread. */
#define NOTES_MAX 8

struct fetcher {
    /* read-only for the thread */
    const struct gp_source *src;
    const struct gp_adapter *ad;
    const struct gp_sync_options *o;
    /* the thread's own */
    struct gp_http_get get; /* one handle: its connection is kept from page to page */
    int page_size;
    char cursor[256]; /* of the page it fetches next */
    struct gp_export_page work;
    double fetch_s, parse_s;
    atomic_bool stop;
    /* shared, under mu */
    pthread_t thread;
    bool inited, started;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    bool full;                  /* slot holds a page (or the failure) for the caller */
    bool failed;                /* ... the failure, with error */
    struct gp_export_page slot; /* a parsed page */
    char error[512];
    char notes[NOTES_MAX][512];
    enum gp_log_level note_levels[NOTES_MAX];
    size_t nnotes;
};

__attribute__((format(printf, 3, 4))) static void
fetcher_note(struct fetcher *f, enum gp_log_level level, const char *fmt, ...)
{
    pthread_mutex_lock(&f->mu);
    if (f->nnotes < NOTES_MAX) {
        va_list ap;
        va_start(ap, fmt);
        vsnprintf(f->notes[f->nnotes], sizeof f->notes[0], fmt, ap);
        va_end(ap);
        f->note_levels[f->nnotes++] = level;
        pthread_cond_broadcast(&f->cv);
    }
    pthread_mutex_unlock(&f->mu);
}

enum fetch_rc { FETCH_OK, FETCH_RETRY, FETCH_FATAL };

/* GETs url into f->get.body. On failure a reason in why and whether trying again may help:
 * not for an answer that is no page (other than 5xx, 429, 408), a page over the size limit, or
 * a fetcher being stopped. */
static enum fetch_rc fetch(struct fetcher *f, const char *url, char *why, size_t whylen)
{
    gp_http_get_url(&f->get, url, f->o->timeout_ms, f->o->max_page_bytes);
    if (gp_http_get_perform(&f->get) == GP_FETCH_OK)
        return FETCH_OK;
    if (atomic_load(&f->stop)) {
        snprintf(why, whylen, "stopped");
        return FETCH_FATAL;
    }
    if (f->get.too_large) {
        snprintf(why, whylen, "a page is larger than %zu bytes (ask for smaller pages)",
                 f->o->max_page_bytes);
        return FETCH_FATAL;
    }
    snprintf(why, whylen, "%s", f->get.error);
    if (!f->get.answered)
        return FETCH_RETRY;
    long status = f->get.http_status;
    return status >= 500 || status == 429 || status == 408 ? FETCH_RETRY : FETCH_FATAL;
}

/* Fetches and parses the page at f->cursor into f->work, with retries; a page the adapter
 * cannot parse is asked for again at half the size first (a page may hold more records than
 * an adapter takes from one answer). False with the reason in err. */
static bool fetch_page(struct fetcher *f, char *err, size_t errlen)
{
    char url[2048], why[512] = "";
    int attempt = 0;
    for (;;) {
        if (!f->ad->export_url(f->src->base_url, f->cursor, f->page_size, url, sizeof url)) {
            snprintf(err, errlen, "cannot build the export URL (base URL or cursor too long)");
            return false;
        }
        struct timespec t;
        clock_gettime(CLOCK_MONOTONIC, &t);
        enum fetch_rc rc = fetch(f, url, why, sizeof why);
        f->fetch_s += since(&t);
        if (rc == FETCH_OK) {
            f->work.records.n = 0;
            f->work.next_cursor[0] = '\0';
            clock_gettime(CLOCK_MONOTONIC, &t);
            bool parsed =
                f->ad->parse_export(f->get.body.data, f->get.body.len, &f->work, why, sizeof why);
            f->parse_s += since(&t);
            if (parsed && f->work.next_cursor[0] && !strcmp(f->work.next_cursor, f->cursor)) {
                snprintf(err, errlen,
                         "the export did not move on (its next cursor is the one "
                         "just asked)");
                return false;
            }
            if (parsed)
                return true;
            if (f->page_size > 1) {
                f->page_size /= 2;
                fetcher_note(f, GP_LOG_WARN, "source %s: %s; asking for pages of %d", f->src->id,
                             why, f->page_size);
                continue;
            }
            rc = FETCH_RETRY;
        }
        if (atomic_load(&f->stop) || rc == FETCH_FATAL || ++attempt >= FETCH_ATTEMPTS) {
            if (rc == FETCH_FATAL && f->cursor[0] && !strncmp(why, "HTTP 4", 6))
                snprintf(err, errlen,
                         "%s on a stored cursor; `glasplade sync --restart --source %s` "
                         "starts the pass over",
                         why, f->src->id);
            else
                snprintf(err, errlen, "%s", why);
            return false;
        }
        fetcher_note(f, GP_LOG_WARN, "source %s: %s; trying again (%d of %d)", f->src->id, why,
                     attempt + 1, FETCH_ATTEMPTS);
        sleep_ms(FETCH_BACKOFF_MS << (attempt - 1));
    }
}

static void *fetcher_main(void *cls)
{
    struct fetcher *f = cls;
    for (;;) {
        char err[512] = "";
        bool ok = !atomic_load(&f->stop) && fetch_page(f, err, sizeof err);
        pthread_mutex_lock(&f->mu);
        while (f->full && !atomic_load(&f->stop))
            pthread_cond_wait(&f->cv, &f->mu);
        bool stop = atomic_load(&f->stop);
        if (!stop) {
            if (ok) {
                struct gp_export_page t = f->slot;
                f->slot = f->work;
                f->work = t;
                snprintf(f->cursor, sizeof f->cursor, "%s", f->slot.next_cursor);
            } else {
                f->failed = true;
                snprintf(f->error, sizeof f->error, "%s", err);
            }
            f->full = true;
            pthread_cond_broadcast(&f->cv);
        }
        pthread_mutex_unlock(&f->mu);
        if (stop || !ok || !f->cursor[0])
            return NULL; /* stopped, failed, or that was the last page */
    }
}

/* Starts fetching at cursor. False (with the source failed) when libcurl or the thread cannot
 * start. */
static bool fetcher_start(struct fetcher *f, struct source_run *s, const char *cursor)
{
    f->src = s->src;
    f->ad = s->ad;
    f->o = s->run->o;
    f->page_size = s->run->o->page_size;
    snprintf(f->cursor, sizeof f->cursor, "%s", cursor);
    atomic_init(&f->stop, false);
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    f->inited = true;
    struct gp_http_get_opts get = {
        .url = "",
        .accept = f->ad->accept,
        .user_agent = "glasplade-sync",
        .limit_ms = f->o->timeout_ms,
        .max_body = f->o->max_page_bytes,
        .cancel = &f->stop,
        .terms = {.timeout_ms = f->o->timeout_ms},
    };
    if (!gp_http_get_setup(&f->get, NULL, &get))
        return fail(s, "cannot start libcurl: %s", f->get.error);
    if (pthread_create(&f->thread, NULL, fetcher_main, f) != 0)
        return fail(s, "cannot start the fetching thread");
    f->started = true;
    return true;
}

/* Passes what the fetcher would log on to the progress callback (mu held; released meanwhile). */
static void fetcher_drain_notes(struct fetcher *f, struct source_run *s)
{
    while (f->nnotes > 0) {
        char line[512];
        enum gp_log_level level = f->note_levels[0];
        snprintf(line, sizeof line, "%s", f->notes[0]);
        memmove(f->notes, f->notes + 1, (f->nnotes - 1) * sizeof f->notes[0]);
        memmove(f->note_levels, f->note_levels + 1, (f->nnotes - 1) * sizeof f->note_levels[0]);
        f->nnotes--;
        pthread_mutex_unlock(&f->mu);
        note(s, level, "%s", line);
        pthread_mutex_lock(&f->mu);
    }
}

/* The next page into *page (swapped with the fetcher's), waiting for it. False with the
 * source failed when fetching it failed. */
static bool fetcher_take(struct fetcher *f, struct source_run *s, struct gp_export_page *page)
{
    pthread_mutex_lock(&f->mu);
    for (;;) {
        fetcher_drain_notes(f, s);
        if (f->full)
            break;
        pthread_cond_wait(&f->cv, &f->mu);
    }
    bool ok = !f->failed;
    if (ok) {
        struct gp_export_page t = *page;
        *page = f->slot;
        f->slot = t;
        f->full = false;
        pthread_cond_broadcast(&f->cv);
    }
    char error[sizeof f->error];
    snprintf(error, sizeof error, "%s", f->error);
    pthread_mutex_unlock(&f->mu);
    return ok || fail(s, "%s", error);
}

/* Stops the thread (an unfinished transfer is cut short) and frees what it holds; adds its
 * times to res. Accepts a fetcher never started (all zero). */
static void fetcher_stop(struct fetcher *f, struct gp_sync_result *res)
{
    if (!f->inited)
        return;
    if (f->started) {
        pthread_mutex_lock(&f->mu);
        atomic_store(&f->stop, true);
        pthread_cond_broadcast(&f->cv);
        pthread_mutex_unlock(&f->mu);
        pthread_join(f->thread, NULL);
        f->started = false;
    }
    gp_http_get_free(&f->get);
    gp_record_list_free(&f->work.records);
    gp_record_list_free(&f->slot.records);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    f->inited = false;
    res->fetch_s += f->fetch_s;
    res->parse_s += f->parse_s;
}

/* ---- one source --------------------------------------------------------------------------- */

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
    gp_copy_field(b, r->source_updated, true);
}

static bool test_kill(const struct source_run *s, const char *phase)
{
    const struct gp_sync_options *o = s->run->o;
    return o->test_kill_page > 0 && s->index == 0 && s->res->pages + 1 == o->test_kill_page &&
           o->test_kill_phase && !strcmp(o->test_kill_phase, phase);
}

/* One page, fetched already: copy, merge and move on. False when the source failed. *last is
 * set when this was the export's last page. */
static bool one_page(struct source_run *s, struct gp_export_page *page, bool *last)
{
    *last = page->next_cursor[0] == '\0';
    carry_apply(&s->carry, &page->records);

    long n = (long)page->records.n;
    s->rows.len = 0;
    for (size_t i = 0; i < page->records.n; i++)
        rows_append(&s->rows, s->src->id, &page->records.items[i]);

    struct gp_record_list next_carry = {0};
    for (size_t i = 0; i < s->carry.n; i++)
        *gp_record_list_add(&next_carry) = s->carry.items[i];
    carry_update(&next_carry, &page->records);
    char *carry = *last ? NULL : carry_json(&next_carry);
    struct page_tx pt = {
        .source_id = s->src->id,
        .rows = s->rows.data,
        .rows_len = s->rows.len,
        .cursor = s->cursor,
        .next = page->next_cursor,
        .n = n,
        .carry = carry,
        .last = *last,
        .kill_copied = test_kill(s, "copied"),
        .kill = test_kill(s, "merged"),
    };
    struct timespec t;
    clock_gettime(CLOCK_MONOTONIC, &t);
    enum gp_qs qs = gp_db_tx(s->run->pool, "sync_page", GP_DB_READ_COMMITTED, page_fn, &pt);
    s->res->copy_s += pt.copy_s;
    s->res->merge_s += since(&t) - pt.copy_s;
    free(carry);
    if (qs < 0) {
        gp_record_list_free(&next_carry);
        free(pt.unclassified);
        return fail(s, "merging a page into the index failed (see the log)");
    }
    gp_record_list_free(&s->carry);
    s->carry = next_carry;
    snprintf(s->cursor, sizeof s->cursor, "%s", page->next_cursor);
    s->res->pages++;
    s->res->pass_pages++;
    s->res->records += n;
    s->res->pass_records += n;
    s->res->written += pt.written;
    s->res->removed += pt.removed;
    pthread_mutex_lock(&s->run->mu);
    s->run->records += n;
    pthread_mutex_unlock(&s->run->mu);
    note_unclassified(s, pt.unclassified);
    free(pt.unclassified);
    return true;
}

/* Runs a statement on the lock session, which the jobs share. */
static long lock_exec(struct run *r, const char *sql, const char *source_id, char *val,
                      size_t vallen, char *err, size_t errlen)
{
    const char *p1[1] = {source_id};
    pthread_mutex_lock(&r->mu);
    long n = gp_copy_exec(r->copy, sql, 1, p1, val, vallen, err, errlen);
    pthread_mutex_unlock(&r->mu);
    return n;
}

static void sync_source(struct run *r, size_t index)
{
    const struct gp_source *src = r->sources[index];
    struct gp_sync_result *res = &r->results[index];
    struct source_run s = {.run = r, .src = src, .res = res, .index = index};
    struct fetcher f = {0};
    clock_gettime(CLOCK_MONOTONIC, &s.t0);
    snprintf(res->source_id, sizeof res->source_id, "%s", src->id);
    res->outcome = GP_SYNC_COMPLETE;
    struct gp_export_page page = {0};
    char err[512], val[8];
    bool locked = false;

    s.ad = gp_adapter_find(src->kind);
    if (!s.ad || !s.ad->export_url || !s.ad->parse_export) {
        fail(&s, "no adapter with a bulk export for kind '%s'", src->kind);
        goto done;
    }
    if (lock_exec(r, sql_lock, src->id, val, sizeof val, err, sizeof err) != 1) {
        fail(&s, "%s", err);
        goto done;
    }
    if (strcmp(val, "t") != 0) {
        fail(&s, "another sync of this source is running");
        goto done;
    }
    locked = true;
    struct begin_tx b = {.src = src, .restart = r->o->restart};
    if (gp_db_tx(r->pool, "sync_begin", GP_DB_READ_COMMITTED, begin_fn, &b) < 0) {
        free(b.carry);
        fail(&s, "reading the sync state failed (see the log)");
        goto done;
    }
    res->resumed = b.resumed;
    res->pass_pages = b.pages;
    res->pass_records = b.records;
    snprintf(s.cursor, sizeof s.cursor, "%s", b.cursor);
    carry_load(&s.carry, b.carry);
    free(b.carry);
    if (b.resumed)
        note(&s, GP_LOG_INFO, "source %s: resuming the pass under way after %ld pages", src->id,
             b.pages);
    if (!fetcher_start(&f, &s, s.cursor))
        goto done;
    for (;;) {
        if (r->o->max_pages > 0 && res->pages >= r->o->max_pages) {
            res->outcome = GP_SYNC_STOPPED;
            break;
        }
        bool last = false;
        if (!fetcher_take(&f, &s, &page) || !one_page(&s, &page, &last))
            break;
        report(&s, false, GP_LOG_INFO, NULL);
        if (last)
            break;
    }
done:
    if (res->outcome == GP_SYNC_FAILED && locked) {
        /* Best effort, for `glasplade sync --status`: the state row exists once a pass has
         * begun (no row is written when the failure came before). */
        const char *p2[2] = {src->id, res->error};
        struct gp_db_conn *c = gp_db_acquire(r->pool, err, sizeof err);
        if (c)
            gp_db_exec(c, &stmt_fail, 2, p2, NULL);
        gp_db_release(r->pool, c);
    }
    fetcher_stop(&f, res);
    if (locked)
        lock_exec(r, sql_unlock, src->id, NULL, 0, err, sizeof err);
    gp_buf_free(&s.rows);
    gp_record_list_free(&s.carry);
    gp_record_list_free(&page.records);
    res->seconds = since(&s.t0);
    if (gp_log_get_level() <= GP_LOG_DEBUG)
        note(&s, GP_LOG_DEBUG,
             "source %s: %s, %ld pages, %ld records in %.3f s: fetch %.3f s, parse %.3f s, "
             "copy %.3f s, merge %.3f s",
             src->id, gp_sync_outcome_name(res->outcome), res->pages, res->records, res->seconds,
             res->fetch_s, res->parse_s, res->copy_s, res->merge_s);
    report(&s, true, GP_LOG_INFO, NULL);
}

const char *gp_sync_outcome_name(enum gp_sync_outcome o)
{
    switch (o) {
    case GP_SYNC_COMPLETE:
        return "complete";
    case GP_SYNC_STOPPED:
        return "stopped";
    default:
        return "failed";
    }
}

/* The sources to sync, in id order: the named ones (each must exist and be enabled), else
 * every enabled one. */
static enum gp_sync_rc pick(const struct gp_sync_options *o, const struct gp_source *all,
                            size_t nall, const struct gp_source **out, size_t *n, char *err,
                            size_t errlen)
{
    *n = 0;
    for (size_t k = 0; k < o->nsource_ids; k++) {
        size_t i = 0;
        while (i < nall && strcmp(all[i].id, o->source_ids[k]) != 0)
            i++;
        if (i == nall) {
            snprintf(err, errlen, "no source '%s' (glasplade source list)", o->source_ids[k]);
            return GP_SYNC_RC_USAGE;
        }
        if (!all[i].enabled) {
            snprintf(err, errlen, "source '%s' is disabled (glasplade source enable %s)", all[i].id,
                     all[i].id);
            return GP_SYNC_RC_USAGE;
        }
    }
    for (size_t i = 0; i < nall; i++) {
        bool named = o->nsource_ids == 0;
        for (size_t k = 0; k < o->nsource_ids && !named; k++)
            named = !strcmp(all[i].id, o->source_ids[k]);
        if (named && all[i].enabled)
            out[(*n)++] = &all[i];
    }
    return GP_SYNC_RC_OK;
}

/* A job: takes the next source in order until none is left. */
static void *job_main(void *cls)
{
    struct run *r = cls;
    for (;;) {
        pthread_mutex_lock(&r->mu);
        size_t k = r->next < r->count ? r->order[r->next++] : SIZE_MAX;
        pthread_mutex_unlock(&r->mu);
        if (k == SIZE_MAX)
            return NULL;
        sync_source(r, k);
    }
}

/* The order in which the jobs take the sources: the largest last completed pass first (the
 * run ends no earlier than its longest source), then by id. */
static void order_by_size(struct gp_db_pool *pool, const struct gp_source **chosen, size_t n,
                          size_t *order)
{
    long *size = gp_xcalloc(n ? n : 1, sizeof *size);
    struct gp_sync_status *st = NULL;
    size_t nst = 0;
    if (gp_sync_status_load(pool, &st, &nst) >= 0) {
        for (size_t i = 0; i < n; i++) {
            for (size_t k = 0; k < nst; k++) {
                if (!strcmp(st[k].source_id, chosen[i]->id))
                    size[i] = st[k].last_records;
            }
        }
    }
    free(st);
    for (size_t i = 0; i < n; i++)
        order[i] = i;
    for (size_t i = 1; i < n; i++) { /* insertion sort: a handful of sources, stable */
        size_t v = order[i], j = i;
        for (; j > 0 && size[order[j - 1]] < size[v]; j--)
            order[j] = order[j - 1];
        order[j] = v;
    }
    free(size);
}

enum gp_sync_rc gp_sync_run(struct gp_db_pool *pool, const struct gp_sync_options *opts,
                            gp_sync_progress_fn progress, void *cls,
                            struct gp_sync_result **results, size_t *nresults, char *err,
                            size_t errlen)
{
    *results = NULL;
    *nresults = 0;
    err[0] = '\0';
    struct gp_source *all = NULL;
    size_t nall = 0;
    if (gp_sources_load(pool, &all, &nall) != GP_SOURCE_OK) {
        snprintf(err, errlen, "cannot read the sources from the database (see the log)");
        return GP_SYNC_RC_FAILED;
    }
    const struct gp_source **chosen = gp_xcalloc(nall ? nall : 1, sizeof *chosen);
    size_t *order = gp_xcalloc(nall ? nall : 1, sizeof *order);
    size_t n = 0;
    enum gp_sync_rc rc = pick(opts, all, nall, chosen, &n, err, errlen);
    struct run r = {.o = opts,
                    .pool = pool,
                    .progress = progress,
                    .cls = cls,
                    .sources = chosen,
                    .order = order,
                    .count = n};
    pthread_mutex_init(&r.mu, NULL);
    if (rc != GP_SYNC_RC_OK)
        goto done;
    r.copy = gp_copy_connect(opts->conninfo, opts->connect_timeout_s, err, errlen);
    if (!r.copy) {
        rc = GP_SYNC_RC_FAILED;
        goto done;
    }
    if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK) {
        snprintf(err, errlen, "cannot initialise libcurl");
        rc = GP_SYNC_RC_FAILED;
        goto done;
    }
    order_by_size(pool, chosen, n, order);
    r.results = *results = gp_xcalloc(n ? n : 1, sizeof **results);
    size_t jobs = opts->jobs < 1 ? 1 : (size_t)opts->jobs;
    if (jobs > n)
        jobs = n;
    pthread_t threads[GP_SYNC_JOBS_MAX];
    size_t started = 0;
    for (size_t i = 1; i < jobs && i < GP_SYNC_JOBS_MAX; i++) {
        if (pthread_create(&threads[started], NULL, job_main, &r) != 0)
            break; /* fewer jobs: the ones running take every source */
        started++;
    }
    job_main(&r); /* this thread is a job too */
    for (size_t i = 0; i < started; i++)
        pthread_join(threads[i], NULL);
    for (size_t i = 0; i < n; i++) {
        if ((*results)[i].outcome == GP_SYNC_FAILED)
            rc = GP_SYNC_RC_FAILED;
    }
    *nresults = n;
    curl_global_cleanup();
done:
    gp_copy_close(r.copy);
    for (size_t i = 0; i < r.nnoted; i++)
        free(r.noted[i]);
    pthread_mutex_destroy(&r.mu);
    free(order);
    free(chosen);
    free(all);
    return rc;
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
