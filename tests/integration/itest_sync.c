/* `glasplade sync` over real HTTP against deptsim, into real databases.
 *
 * - The index after a sync equals what the test computes by brute force from the simulators'
 *   export, read here page by page with the adapters (records per source and citizen, and
 *   every record's own fields); and it equals, column for column, the index the CPR button's
 *   store (gp_index_store_answers) builds from every exported citizen's per-CPR lookups — so a
 *   synced record is classified exactly like a looked-up one, also when an export page ends
 *   inside a citizen (small pages make FHIR pages split citizens all the time).
 * - A second sync writes no row version of record or citizen (xmin unchanged).
 * - One job or five (sources synced at once) give the same index.
 * - A sync stopped with --max-pages, or killed with SIGKILL after a page was copied, inside the
 *   merge transaction, or at a moment chosen by nobody, and then resumed, gives the same index
 *   as the uninterrupted one in another database.
 * - Records the export no longer holds are marked removed only when a pass completes, never
 *   those of a citizen looked up since the pass began; one that comes back is live again.
 * - Usage errors exit 2; a failing source exits 1 while the others complete; a second sync of
 *   the same source is refused; no output ever holds a full CPR number; on a terminal there is
 *   a progress bar. */
#include "adapters/adapter.h"
#include "gptest.h"
#include "lib/db/db.h"
#include "lib/federation/index.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <pty.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define SIZE 300 /* deptsim population: about 130 known citizens, 2,500 records */
#define PAGE "7" /* small pages: many of them, and FHIR pages ending inside citizens */

static const char *const ids[] = {"jobcentre", "social", "health", "region", "family"};
static const char *const kinds[] = {"momentum", "sensum", "fhir-r4", "fhir-r4", "dubu"};

static struct gpt_proc sim;
static char *ref_url;   /* synced once, uninterrupted, in the fixture */
static char *ref_index; /* its records as text (index_text) */

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- databases and the binary --------------------------------------------------------- */

static char *fresh_db(const char *prefix)
{
    char *url = gpt_db_create(prefix);
    char db_env[600];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", url);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"migrate", NULL};
    char *err = NULL;
    ck_assert_msg(gpt_glasplade(args, env, NULL, &err) == 0, "migrate failed: %s", err);
    free(err);
    gpt_register_sources(url, &sim, 1500);
    return url;
}

/* No run of ten or more digits: a CPR number never appears in full in what sync prints. */
static void assert_no_cpr(const char *text)
{
    int run = 0;
    for (const char *p = text; p && *p; p++) {
        run = isdigit((unsigned char)*p) ? run + 1 : 0;
        ck_assert_msg(run < 10, "a full CPR number in the output:\n%s", text);
    }
}

/* Runs `glasplade sync args...` on url with extra env (may be NULL); returns the exit status
 * and the summary line (stdout) in *out when given. */
static int sync_run(const char *url, const char *const *args, const char *extra_env, char **out,
                    char **err_out)
{
    /* As the service's role, as in production: it owns nothing (migration 0014). */
    char db_env[600], *service = gpt_db_service_url(url);
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", service);
    free(service);
    const char *env[] = {db_env, extra_env, NULL};
    const char *argv[24] = {"sync"};
    size_t n = 1;
    for (size_t i = 0; args && args[i] && n < 23; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char *o = NULL, *e = NULL;
    int rc = gpt_glasplade(argv, env, &o, &e);
    assert_no_cpr(o);
    assert_no_cpr(e);
    if (out)
        *out = o;
    else
        free(o);
    if (err_out)
        *err_out = e;
    else
        free(e);
    return rc;
}

static char *q(const char *url, const char *sql)
{
    char *v = gpt_db_scalar(url, sql);
    ck_assert_msg(v != NULL, "no value for %s", sql);
    return v;
}

static long qlong(const char *url, const char *sql)
{
    char *v = q(url, sql);
    long n = atol(v);
    free(v);
    return n;
}

/* The whole record table as sorted text lines: every column but id and the timestamps of
 * our own (fetched_at; removed_at only as live or not). */
static char *index_text(const char *url)
{
    return q(url, "SELECT coalesce(string_agg(l, E'\\n' ORDER BY l COLLATE \"C\"), '') FROM ("
                  " SELECT concat_ws('|', cpr, source_id, source_ref, coalesce(parent_ref, '-'),"
                  " area, department, coalesce(unit, '-'), case_type, coalesce(source_code, '-'),"
                  " coalesce(legal_basis, '-'), coalesce(legal_basis_raw, '-'), data_type, kind,"
                  " coalesce(title, '-'), status, coalesce(start_date::text, '-'),"
                  " coalesce(end_date::text, '-'), coalesce(document_date::text, '-'),"
                  " coalesce(caseworker_name, '-'), coalesce(caseworker_contact, '-'),"
                  " sensitivity, coalesce(to_char(source_updated AT TIME ZONE 'UTC',"
                  " 'YYYY-MM-DD HH24:MI:SS'), '-'), (removed_at IS NULL)::text) AS l"
                  " FROM record) x");
}

/* Fails with the first line that differs. */
static void assert_same_text(const char *what, const char *want, const char *got)
{
    if (!strcmp(want, got))
        return;
    size_t line = 1, i = 0, start = 0;
    while (want[i] && want[i] == got[i]) {
        if (want[i] == '\n') {
            line++;
            start = i + 1;
        }
        i++;
    }
    ck_abort_msg("%s: line %zu differs\n  want %.300s\n  got  %.300s", what, line, want + start,
                 got + start);
}

static void assert_same_index(const char *want_text, const char *url)
{
    char *got = index_text(url);
    assert_same_text("the index differs from the uninterrupted sync's", want_text, got);
    free(got);
    /* Nothing left behind: no staged page, no seen set, no pass under way. */
    ck_assert_int_eq(qlong(url, "SELECT count(*) FROM sync_staging"), 0);
    ck_assert_int_eq(qlong(url, "SELECT count(*) FROM sync_seen"), 0);
    ck_assert_int_eq(qlong(url, "SELECT count(*) FROM sync_state WHERE pass_started_at IS NULL"
                                " AND last_completed_at IS NOT NULL"),
                     5);
}

/* ---- reading the simulators directly ------------------------------------------------------ */

static int port_of(int k)
{
    return sim.port + k;
}

static char *body_of(int k, const char *url, const char *accept, long *status)
{
    char base[64], hdr[160];
    int n = snprintf(base, sizeof base, "http://127.0.0.1:%d", port_of(k));
    ck_assert_msg(!strncmp(url, base, (size_t)n), "unexpected URL %s", url);
    snprintf(hdr, sizeof hdr, "Accept: %s", accept);
    const char *headers[] = {hdr, NULL};
    struct gpt_req r = {.path = url + n, .headers = headers, .no_record = true};
    struct gpt_resp resp;
    gpt_http(port_of(k), &r, &resp);
    *status = resp.status;
    char *b = resp.body;
    resp.body = NULL;
    gpt_resp_free(&resp);
    return b;
}

/* Every record of system k's export, page by page as the adapter reads it, the largest pages
 * the systems serve. */
static void export_records(int k, struct gp_record_list *all)
{
    const struct gp_adapter *ad = gp_adapter_find(kinds[k]);
    char base[64], url[2048], cursor[256] = "", err[256];
    /* A FHIR source's base URL is its FHIR endpoint, as registered. */
    snprintf(base, sizeof base, "http://127.0.0.1:%d%s", port_of(k),
             strcmp(kinds[k], "fhir-r4") ? "" : "/fhir");
    for (int pages = 0;; pages++) {
        ck_assert_int_lt(pages, 10000);
        ck_assert(ad->export_url(base, cursor, 1000, url, sizeof url));
        long status;
        char *body = body_of(k, url, ad->accept, &status);
        ck_assert_msg(status == 200, "%s export: HTTP %ld", ids[k], status);
        struct gp_export_page page = {.records = *all};
        ck_assert_msg(ad->parse_export(body, strlen(body), &page, err, sizeof err), "%s: %s",
                      ids[k], err);
        *all = page.records;
        free(body);
        if (!page.next_cursor[0])
            return;
        snprintf(cursor, sizeof cursor, "%s", page.next_cursor);
    }
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

static int cmp_cpr(const void *a, const void *b)
{
    return strcmp(((const struct gp_record *)a)->cpr, ((const struct gp_record *)b)->cpr);
}

/* Lines joined with '\n' after sorting (byte order, as COLLATE "C"). */
static char *sorted_text(char **lines, size_t n)
{
    qsort(lines, n, sizeof *lines, cmp_str);
    size_t len = 1;
    for (size_t i = 0; i < n; i++)
        len += strlen(lines[i]) + 1;
    char *t = calloc(1, len), *p = t;
    for (size_t i = 0; i < n; i++)
        p += sprintf(p, "%s%s", i ? "\n" : "", lines[i]);
    return t;
}

/* ---- the fixture: deptsim and one uninterrupted sync ---------------------------------------- */

static void suite_up(void)
{
    gpt_deptsim_start(&sim, SIZE);
    ref_url = fresh_db("itest_sync_ref");
    char *out = NULL;
    const char *args[] = {"--page-size", PAGE, NULL};
    int rc = sync_run(ref_url, args, NULL, &out, NULL);
    ck_assert_msg(rc == 0, "the reference sync failed (%d): %s", rc, out);
    ck_assert_msg(strstr(out, "5 sources: 5 complete;"), "%s", out);
    free(out);
    ref_index = index_text(ref_url);
}

static void suite_down(void)
{
    free(ref_index);
    free(ref_url);
    gpt_proc_stop(&sim, SIGTERM);
}

/* ---- tests ---------------------------------------------------------------------------------- */

START_TEST(sync_equals_export_and_lookups)
{
    /* Records per source and citizen, and each record's own fields, against the export. */
    size_t cap = 8192, nc = 0, nf = 0;
    char **counts = calloc(cap, sizeof *counts), **fields = calloc(cap, sizeof *fields);
    char **cprs = calloc(cap, sizeof *cprs);
    size_t ncprs = 0;
    for (int k = 0; k < 5; k++) {
        struct gp_record_list all = {0};
        export_records(k, &all);
        ck_assert_msg(all.n > 50, "%s exported only %zu records", ids[k], all.n);
        for (size_t i = 0; i < all.n; i++) {
            const struct gp_record *r = &all.items[i];
            if (nf == cap || nc == cap || ncprs == cap) {
                cap *= 2;
                counts = realloc(counts, cap * sizeof *counts);
                fields = realloc(fields, cap * sizeof *fields);
                cprs = realloc(cprs, cap * sizeof *cprs);
            }
            char line[2048];
            snprintf(line, sizeof line, "%s|%s|%s|%s|%s|%s|%s|%s|%s|%s|%s", ids[k], r->cpr,
                     r->source_ref, r->parent_ref[0] ? r->parent_ref : "-", r->data_type, r->kind,
                     r->title[0] ? r->title : "-", r->status,
                     r->start_date[0] ? r->start_date : "-", r->end_date[0] ? r->end_date : "-",
                     r->document_date[0] ? r->document_date : "-");
            fields[nf++] = strdup(line);
            bool first_of_citizen = i == 0 || strcmp(all.items[i - 1].cpr, r->cpr) != 0;
            if (first_of_citizen)
                cprs[ncprs++] = strdup(r->cpr);
        }
        /* Count per citizen: the export is in population order, but count without relying on
         * it. */
        qsort(all.items, all.n, sizeof *all.items, cmp_cpr);
        for (size_t i = 0; i < all.n;) {
            size_t j = i;
            while (j < all.n && !strcmp(all.items[j].cpr, all.items[i].cpr))
                j++;
            char line[128];
            snprintf(line, sizeof line, "%s %s %zu", ids[k], all.items[i].cpr, j - i);
            if (nc == cap) {
                cap *= 2;
                counts = realloc(counts, cap * sizeof *counts);
                fields = realloc(fields, cap * sizeof *fields);
                cprs = realloc(cprs, cap * sizeof *cprs);
            }
            counts[nc++] = strdup(line);
            i = j;
        }
        gp_record_list_free(&all);
    }
    char *want_counts = sorted_text(counts, nc);
    char *got_counts = q(ref_url, "SELECT string_agg(l, E'\\n' ORDER BY l COLLATE \"C\") FROM ("
                                  " SELECT source_id || ' ' || cpr || ' ' || count(*) AS l"
                                  " FROM record WHERE removed_at IS NULL"
                                  " GROUP BY source_id, cpr) x");
    assert_same_text("records per source and citizen", want_counts, got_counts);
    char *want_fields = sorted_text(fields, nf);
    char *got_fields =
        q(ref_url, "SELECT string_agg(l, E'\\n' ORDER BY l COLLATE \"C\") FROM ("
                   " SELECT concat_ws('|', source_id, cpr, source_ref, coalesce(parent_ref, '-'),"
                   " data_type, kind, coalesce(title, '-'), status,"
                   " coalesce(start_date::text, '-'), coalesce(end_date::text, '-'),"
                   " coalesce(document_date::text, '-')) AS l FROM record) x");
    assert_same_text("the records' own fields", want_fields, got_fields);
    ck_assert_int_eq(qlong(ref_url, "SELECT count(*) FROM citizen"),
                     qlong(ref_url, "SELECT count(DISTINCT cpr) FROM record"));

    /* The same citizens looked up one by one, stored the CPR button's way, in another
     * database: the two indexes are equal column for column (classification included). */
    char *lk_url = fresh_db("itest_sync_lookup");
    struct gp_db_pool *pool = gp_db_pool_create(lk_url, 1, 5);
    char e[256];
    struct gp_db_conn *conn = gp_db_acquire(pool, e, sizeof e);
    ck_assert_msg(conn != NULL, "%s", e);
    qsort(cprs, ncprs, sizeof *cprs, cmp_str);
    size_t distinct = 0;
    for (size_t i = 0; i < ncprs; i++) {
        if (i > 0 && !strcmp(cprs[i], cprs[i - 1]))
            continue;
        distinct++;
        struct gp_record_list lists[5] = {{0}};
        struct gp_index_answer answers[5];
        for (int k = 0; k < 5; k++) {
            const struct gp_adapter *ad = gp_adapter_find(kinds[k]);
            char base[64], url[2048], err[256];
            snprintf(base, sizeof base, "http://127.0.0.1:%d%s", port_of(k),
                     strcmp(kinds[k], "fhir-r4") ? "" : "/fhir");
            ck_assert(ad->lookup_url(base, cprs[i], url, sizeof url));
            long status;
            char *body = body_of(k, url, ad->accept, &status);
            ck_assert_msg(status == 200 || (status == 404 && ad->not_found_is_answer),
                          "%s lookup: HTTP %ld", ids[k], status);
            ck_assert_msg(ad->parse_lookup(cprs[i], body, strlen(body), &lists[k], err, sizeof err),
                          "%s: %s", ids[k], err);
            free(body);
            answers[k] = (struct gp_index_answer){
                ids[k], "ok", "", 1.0, "2026-11-25T10:00:00.000Z", &lists[k], true, NULL, false};
        }
        ck_assert_int_ge(gp_index_store_answers(conn, NULL, 0, cprs[i], answers, 5, NULL), 0);
        for (int k = 0; k < 5; k++)
            gp_record_list_free(&lists[k]);
    }
    ck_assert_int_gt(distinct, 60);
    char *lk_index = index_text(lk_url);
    assert_same_text("synced records differ from looked-up ones", lk_index, ref_index);
    gp_db_release(pool, conn);
    gp_db_pool_destroy(pool);

    /* The export really split citizens across pages (or the comparison proved less). */
    ck_assert_int_gt(qlong(ref_url, "SELECT sum(last_pages) FROM sync_state"), 100);

    free(lk_index);
    free(lk_url);
    for (size_t i = 0; i < nc; i++)
        free(counts[i]);
    for (size_t i = 0; i < nf; i++)
        free(fields[i]);
    for (size_t i = 0; i < ncprs; i++)
        free(cprs[i]);
    free(counts);
    free(fields);
    free(cprs);
    free(want_counts);
    free(got_counts);
    free(want_fields);
    free(got_fields);
}
END_TEST

START_TEST(second_sync_writes_nothing)
{
    const char *versions = "SELECT (SELECT string_agg(xmin::text, ',' ORDER BY cpr, source_id,"
                           " source_ref) FROM record) || '/' ||"
                           " (SELECT string_agg(xmin::text, ',' ORDER BY cpr) FROM citizen)";
    char *before = q(ref_url, versions);
    char *out = NULL;
    const char *args[] = {"--page-size", "50", NULL};
    ck_assert_int_eq(sync_run(ref_url, args, NULL, &out, NULL), 0);
    ck_assert_msg(strstr(out, "(0 new or changed, 0 marked removed)"), "%s", out);
    char *after = q(ref_url, versions);
    ck_assert_msg(!strcmp(before, after), "a second sync wrote row versions");
    assert_same_index(ref_index, ref_url);
    free(out);
    free(before);
    free(after);
}
END_TEST

START_TEST(stopped_and_resumed_equals_uninterrupted)
{
    char *url = fresh_db("itest_sync_stop");
    char *out = NULL;
    const char *stop[] = {"--page-size", "2", "--max-pages", "3", NULL};
    ck_assert_int_eq(sync_run(url, stop, NULL, &out, NULL), 0);
    ck_assert_msg(strstr(out, "0 complete, 5 stopped at --max-pages"), "%s", out);
    free(out);
    /* Each source has a pass under way after exactly three pages, part of the records. */
    ck_assert_int_eq(qlong(url, "SELECT count(*) FROM sync_state WHERE pass_started_at IS NOT"
                                " NULL AND pages = 3 AND cursor <> ''"),
                     5);
    long part = qlong(url, "SELECT count(*) FROM record");
    long all = qlong(ref_url, "SELECT count(*) FROM record");
    ck_assert_msg(part > 0 && part < all, "%ld of %ld records after 3 pages", part, all);
    ck_assert_int_eq(qlong(url, "SELECT count(*) FROM record WHERE removed_at IS NOT NULL"), 0);
    /* Resumed in steps of a few pages (at another page size: cursors are positions), each
     * step starting from the stored cursor and the stored carry. */
    bool complete = false;
    for (int step = 0; step < 200 && !complete; step++) {
        const char *more[] = {"--page-size", step % 2 ? "5" : PAGE, "--max-pages", "17", NULL};
        ck_assert_int_eq(sync_run(url, more, NULL, &out, NULL), 0);
        complete = strstr(out, "5 complete") != NULL;
        free(out);
    }
    ck_assert(complete);
    assert_same_index(ref_index, url);
    free(url);
}
END_TEST

/* A sync with args completes every source, and the index equals the reference. */
static void sync_to_the_reference(const char *url, const char *const *args)
{
    char *out = NULL;
    ck_assert_int_eq(sync_run(url, args, NULL, &out, NULL), 0);
    ck_assert_msg(strstr(out, "5 sources: 5 complete;"), "%s", out);
    free(out);
    assert_same_index(ref_index, url);
}

/* One source at a time or every source at once: the same index as the reference (synced with
 * the default number of jobs). */
START_TEST(any_number_of_jobs_gives_the_same_index)
{
    const char *counts[] = {"1", "5"};
    for (size_t i = 0; i < 2; i++) {
        char *url = fresh_db("itest_sync_jobs");
        const char *args[] = {"--page-size", PAGE, "--jobs", counts[i], NULL};
        sync_to_the_reference(url, args);
        free(url);
    }
}
END_TEST

/* Starts `glasplade sync` as a child; the caller kills it. */
static pid_t sync_spawn(const char *url, const char *page)
{
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setenv("GLASPLADE_DATABASE_URL", url, 1);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDOUT_FILENO);
        dup2(null, STDERR_FILENO);
        execl(GP_BINARY_DIR "/glasplade", "glasplade", "sync", "--page-size", page, (char *)NULL);
        _exit(127);
    }
    return pid;
}

START_TEST(killed_and_resumed_equals_uninterrupted)
{
    char *url = fresh_db("itest_sync_kill");
    /* The first source (by id) is family: a handful of parents, so two to a page. */
    const char *small[] = {"--page-size", "2", NULL};
    const char *args[] = {"--page-size", PAGE, NULL};
    /* Killed inside the third page's merge transaction, before COMMIT: two pages stay. */
    ck_assert_int_eq(sync_run(url, small, "GLASPLADE_SYNC_TEST_KILL=3:merged", NULL, NULL),
                     128 + SIGKILL);
    ck_assert_int_eq(qlong(url, "SELECT pages FROM sync_state WHERE source_id = 'family'"), 2);
    /* Killed with its (resumed) second page copied into the staging table, before merging
     * it: the page dies with the transaction, and the next sync fetches it again. */
    ck_assert_int_eq(sync_run(url, small, "GLASPLADE_SYNC_TEST_KILL=2:copied", NULL, NULL),
                     128 + SIGKILL);
    ck_assert_int_eq(qlong(url, "SELECT pages FROM sync_state WHERE source_id = 'family'"), 3);
    ck_assert_int_eq(qlong(url, "SELECT count(*) FROM sync_staging"), 0);

    /* Killed at a moment nobody chooses: every system slowed down, the process killed once
     * some pages are in, wherever it is then. */
    json_decref(gpt_deptsim_control(&sim, "PUT", "/faults/all", "{\"latency_ms\":15}"));
    pid_t pid = sync_spawn(url, PAGE);
    long pages = 0;
    for (int i = 0; i < 3000 && pages < 12; i++) {
        sleep_ms(10);
        pages = qlong(url, "SELECT coalesce(sum(pages), 0) FROM sync_state"
                           " WHERE pass_started_at IS NOT NULL AND source_id <> 'family'");
    }
    kill(pid, SIGKILL);
    int status = 0;
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    json_decref(gpt_deptsim_control(&sim, "DELETE", "/faults", NULL));
    ck_assert_msg(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL,
                  "the sync ended before it was killed (status %d)", status);
    ck_assert_int_gt(pages, 0);

    sync_to_the_reference(url, args);
    free(url);
}
END_TEST

/* A page is classified per class of rows (lib/sync.c): here the taxonomy gives one spelling
 * two meanings by date — social's unknown 'SEL § 999' becomes bostøtte from 2015 — and the
 * records on both sides of that day, in the same pages, are classified each by its own date,
 * exactly as record_classify does row by row. */
START_TEST(classified_by_the_records_date)
{
    char *url = fresh_db("itest_sync_dated");
    ck_assert_int_ge(gpt_db_exec(url, "INSERT INTO legal_basis_alias (spelling, case_type,"
                                      " current_legal_basis, valid_from) VALUES"
                                      " ('SEL § 999', 'bostoette', 'SEL § 85', '2015-01-01')"),
                     0);
    const char *social[] = {"--source", "social", "--page-size", "50", NULL};
    ck_assert_int_eq(sync_run(url, social, NULL, NULL, NULL), 0);
    ck_assert_int_eq(qlong(url, "SELECT count(DISTINCT case_type) FROM record"
                                " WHERE legal_basis_raw = 'SEL § 999'"),
                     2);
    ck_assert_int_eq(
        qlong(url, "SELECT count(*) FROM record r CROSS JOIN LATERAL record_classify(r.source_id,"
                   " r.source_code, r.legal_basis_raw, coalesce(r.start_date, r.document_date)) c"
                   " WHERE (c.case_type, c.area, c.legal_basis, c.sensitivity)"
                   " IS DISTINCT FROM (r.case_type, r.area, r.legal_basis, r.sensitivity)"),
        0);
    ck_assert_int_gt(qlong(url, "SELECT count(*) FROM record"), 100);
    free(url);
}
END_TEST

START_TEST(removed_only_after_a_complete_pass)
{
    char *url = fresh_db("itest_sync_removal");
    const char *only_job[] = {"--source", "jobcentre", "--page-size", PAGE, NULL};
    ck_assert_int_eq(sync_run(url, only_job, NULL, NULL, NULL), 0);
    /* Two records the export does not hold; one of a citizen a lookup refreshed after the
     * next pass began (its answer is newer than the export). And a real record that was
     * marked removed earlier. */
    ck_assert_int_ge(
        gpt_db_exec(url, "INSERT INTO record (cpr, source_id, source_ref, area, department,"
                         " case_type, data_type, kind, status, sensitivity, fetched_at) VALUES"
                         " ('0101759994', 'jobcentre', 'gone/1', 'employment', 'job_centre',"
                         " 'unclassified', 'case_summary', 'case', 'open', 'normal', now()),"
                         " ('0101901234', 'jobcentre', 'fresh/1', 'employment', 'job_centre',"
                         " 'unclassified', 'case_summary', 'case', 'open', 'normal', now());"
                         " INSERT INTO source_fetch (cpr, source_id, fetched_at, status,"
                         " last_ok_at, answer_digest, answer_digest_at) VALUES ('0101901234',"
                         " 'jobcentre', now() + interval '1 hour', 'ok', now() + interval '1"
                         " hour', '\\x01', now()),"
                         " ('0101759994', 'jobcentre', now(), 'ok', NULL, '\\x02', now()),"
                         " ('1203849318', 'jobcentre', now(), 'ok', NULL, '\\x03', now());"
                         " UPDATE record SET removed_at = now() WHERE source_id = 'jobcentre'"
                         " AND cpr = '1203849318'"),
        0);
    long back = qlong(url, "SELECT count(*) FROM record WHERE removed_at IS NOT NULL");
    ck_assert_int_gt(back, 0);
    char *out = NULL;
    const char *part[] = {"--source", "jobcentre", "--page-size", PAGE, "--max-pages", "1", NULL};
    ck_assert_int_eq(sync_run(url, part, NULL, &out, NULL), 0);
    ck_assert_msg(strstr(out, "1 stopped"), "%s", out);
    free(out);
    /* An unfinished pass decides nothing is gone (the demo citizens come first: Mette's
     * records are live again already). */
    ck_assert_int_eq(qlong(url, "SELECT count(*) FROM record WHERE removed_at IS NOT NULL"), 0);
    /* What the sync changed, a press's digest no longer vouches for (migration 0013). */
    const char *vouched = "SELECT string_agg(cpr, ' ' ORDER BY cpr) FROM source_fetch"
                          " WHERE answer_digest IS NOT NULL";
    char *v = q(url, vouched);
    ck_assert_str_eq(v, "0101759994 0101901234");
    free(v);
    ck_assert_int_eq(sync_run(url, only_job, NULL, &out, NULL), 0);
    ck_assert_msg(strstr(out, "1 complete") && strstr(out, "1 marked removed"), "%s", out);
    free(out);
    ck_assert_int_eq(qlong(url, "SELECT count(*) FROM record WHERE removed_at IS NOT NULL"), 1);
    ck_assert_int_eq(qlong(url, "SELECT count(*) FROM record WHERE removed_at IS NOT NULL"
                                " AND source_ref = 'gone/1'"),
                     1);
    ck_assert_int_eq(qlong(url, "SELECT last_removed FROM sync_state"), 1);
    v = q(url, vouched);
    ck_assert_str_eq(v, "0101901234");
    free(v);
    /* Only the source synced: the other sources were not touched. */
    ck_assert_int_eq(qlong(url, "SELECT count(*) FROM record WHERE source_id <> 'jobcentre'"), 0);
    ck_assert_int_eq(qlong(url, "SELECT count(*) FROM sync_state"), 1);
    free(url);
}
END_TEST

START_TEST(usage_failures_and_locks)
{
    char *url = fresh_db("itest_sync_fail");
    char *err = NULL;
    const char *unknown[] = {"--source", "nosuch", NULL};
    ck_assert_int_eq(sync_run(url, unknown, NULL, NULL, &err), 2);
    ck_assert_msg(strstr(err, "no source 'nosuch'"), "%s", err);
    free(err);
    const char *bad_page[] = {"--page-size", "0", NULL};
    ck_assert_int_eq(sync_run(url, bad_page, NULL, NULL, NULL), 2);
    const char *bad_arg[] = {"extra", NULL};
    ck_assert_int_eq(sync_run(url, bad_arg, NULL, NULL, NULL), 2);
    const char *bad_jobs[] = {"--jobs", "9", NULL};
    ck_assert_int_eq(sync_run(url, bad_jobs, NULL, NULL, NULL), 2);
    ck_assert_int_ge(gpt_db_exec(url, "UPDATE source SET enabled = false WHERE id = 'family'"), 0);
    const char *disabled[] = {"--source", "family", NULL};
    ck_assert_int_eq(sync_run(url, disabled, NULL, NULL, NULL), 2);
    const char *env_none[] = {"sync", NULL};
    const char *no_db[] = {"GLASPLADE_DATABASE_URL=", NULL};
    ck_assert_int_eq(gpt_glasplade(env_none, no_db, NULL, NULL), 2);
    ck_assert_int_eq(qlong(url, "SELECT count(*) FROM record"), 0);

    /* One source refuses connections: it fails, the others (family disabled) complete. */
    json_decref(gpt_deptsim_control(&sim, "PUT", "/faults/region", "{\"refuse\":true}"));
    char *out = NULL;
    const char *all[] = {"--page-size", "200", NULL};
    int rc = sync_run(url, all, NULL, &out, &err);
    json_decref(gpt_deptsim_control(&sim, "DELETE", "/faults", NULL));
    ck_assert_int_eq(rc, 1);
    ck_assert_msg(strstr(out, "4 sources: 3 complete, 1 failed (region)"), "%s", out);
    ck_assert_msg(strstr(err, "source region failed") && strstr(err, "connect"), "%s", err);
    free(out);
    free(err);
    ck_assert_int_eq(qlong(url, "SELECT count(*) FROM record WHERE source_id = 'region'"), 0);
    ck_assert_int_gt(qlong(url, "SELECT count(*) FROM record WHERE source_id = 'health'"), 0);
    ck_assert_int_eq(qlong(url, "SELECT count(*) FROM sync_state WHERE source_id = 'region'"
                                " AND last_error IS NOT NULL"),
                     1);
    const char *status_args[] = {"--status", NULL};
    ck_assert_int_eq(sync_run(url, status_args, NULL, &out, NULL), 0);
    ck_assert_msg(strstr(out, "last error"), "%s", out);
    free(out);

    /* A second sync of a source while one runs is refused (here: the lock held by hand). */
    char lock_sql[256];
    snprintf(lock_sql, sizeof lock_sql,
             "SELECT pg_advisory_lock(hashtextextended('glasplade sync region', 0)),"
             " pg_sleep(4)");
    pid_t holder = fork();
    ck_assert_int_ge(holder, 0);
    if (holder == 0) {
        gpt_db_exec(url, lock_sql);
        _exit(0);
    }
    sleep_ms(800);
    const char *region[] = {"--source", "region", NULL};
    ck_assert_int_eq(sync_run(url, region, NULL, &out, &err), 1);
    ck_assert_msg(strstr(err, "another sync of this source is running"), "%s", err);
    free(out);
    free(err);
    waitpid(holder, NULL, 0);
    /* Once it is free, the failed source resumes and completes. */
    ck_assert_int_eq(sync_run(url, region, NULL, &out, NULL), 0);
    ck_assert_msg(strstr(out, "1 complete"), "%s", out);
    free(out);
    free(url);
}
END_TEST

START_TEST(progress_bar_on_a_terminal)
{
    char *url = fresh_db("itest_sync_tty");
    int master;
    pid_t pid = forkpty(&master, NULL, NULL, NULL);
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        setenv("GLASPLADE_DATABASE_URL", url, 1);
        setenv("GLASPLADE_LOG_LEVEL", "error", 1);
        execl(GP_BINARY_DIR "/glasplade", "glasplade", "sync", "--page-size", "50", (char *)NULL);
        _exit(127);
    }
    char buf[65536];
    size_t len = 0;
    for (;;) {
        ssize_t n = read(master, buf + len, sizeof buf - 1 - len);
        if (n <= 0)
            break; /* EIO once the child is gone */
        len += (size_t)n;
        if (len == sizeof buf - 1)
            len = 0; /* only the end matters */
    }
    buf[len] = '\0';
    int status = 0;
    waitpid(pid, &status, 0);
    close(master);
    ck_assert_msg(WIFEXITED(status) && WEXITSTATUS(status) == 0, "status %d: %s", status, buf);
    ck_assert_msg(strstr(buf, "\r\033[K["), "no progress bar: %s", buf);
    ck_assert_msg(strstr(buf, "] 5/5"), "the bar never reached 5/5: %s", buf);
    ck_assert_msg(strstr(buf, "glasplade sync: 5 sources: 5 complete;"), "%s", buf);
    assert_no_cpr(buf);
    free(url);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("sync");
    TCase *tc = tcase_create("sync");
    tcase_set_timeout(tc, 600);
    tcase_add_unchecked_fixture(tc, suite_up, suite_down);
    tcase_add_test(tc, sync_equals_export_and_lookups);
    tcase_add_test(tc, second_sync_writes_nothing);
    tcase_add_test(tc, stopped_and_resumed_equals_uninterrupted);
    tcase_add_test(tc, any_number_of_jobs_gives_the_same_index);
    tcase_add_test(tc, killed_and_resumed_equals_uninterrupted);
    tcase_add_test(tc, classified_by_the_records_date);
    tcase_add_test(tc, removed_only_after_a_complete_pass);
    tcase_add_test(tc, usage_failures_and_locks);
    tcase_add_test(tc, progress_bar_on_a_terminal);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    return gpt_run_suite(suite());
}
