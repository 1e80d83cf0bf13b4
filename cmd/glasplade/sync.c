/* glasplade sync: every source's bulk export into the index (lib/sync), with a progress bar on
 * a terminal and one summary line otherwise; `--status` shows where each source's pass stands. */
#include "cmd/glasplade/commands.h"
#include "lib/core/config.h"
#include "lib/core/log.h"
#include "lib/federation/sync.h"

#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_SOURCES 64
/* Page bodies accepted at least (GLASPLADE_SOURCE_MAX_BYTES, sized for one citizen's answer,
 * raises it but never lowers it below this). */
#define MIN_PAGE_BYTES (64u * 1024 * 1024)

static void help(FILE *out)
{
    fprintf(out,
            "usage: glasplade sync [--source ID]... [--page-size N] [--max-pages N] [--restart]\n"
            "                      [--jobs N] [--timeout-ms N] [--no-progress]\n"
            "       glasplade sync --status\n\n"
            "Reads every enabled source's bulk export (or only the sources named) into the\n"
            "index, page by page, several sources at once. Each page is copied into a\n"
            "staging table and merged into the index in the transaction that stores the\n"
            "source's cursor, so a sync that is interrupted (killed, Ctrl-C, --max-pages)\n"
            "resumes where it stopped when run again; running it twice changes nothing the\n"
            "second time. When a source's pass reaches the end of its export, its records the\n"
            "export no longer holds are marked removed.\n\n"
            "--source ID      sync this source (repeatable); default every enabled source\n"
            "--page-size N    citizens or resources asked per page, 1-%d (default %d; each\n"
            "                 system caps it at its own maximum)\n"
            "--max-pages N    stop each source after N pages in this run (resumable)\n"
            "--restart        start each source's pass from the first page, discarding a pass\n"
            "                 under way (needed when a system no longer accepts its cursor)\n"
            "--jobs N         sources synced at once, 1-%d (default %d), each on its own\n"
            "                 database connection; the largest last pass goes first\n"
            "--timeout-ms N   per page request, 1-600000 (default 60000)\n"
            "--no-progress    no progress bar, even on a terminal\n"
            "--status         print each source's pass under way and last completed pass\n\n"
            "Output: a progress bar on stderr when it is a terminal; one summary line on\n"
            "stdout. Exit status 0 when every source completed or stopped at --max-pages,\n"
            "1 when a source failed (the others are still synced; it resumes next time),\n"
            "2 for bad usage or configuration. Needs GLASPLADE_DATABASE_URL.\n",
            GP_SYNC_PAGE_SIZE_MAX, GP_SYNC_PAGE_SIZE_DEFAULT, GP_SYNC_JOBS_MAX,
            GP_SYNC_JOBS_DEFAULT);
}

/* ---- the progress bar ---------------------------------------------------------------------- */

struct bar {
    bool on;    /* stderr is a terminal and it was not switched off */
    bool drawn; /* a bar is on the current line */
    struct timespec last;
    struct timespec t0;
};

static double secs(const struct timespec *a, const struct timespec *b)
{
    return (double)(b->tv_sec - a->tv_sec) + (double)(b->tv_nsec - a->tv_nsec) / 1e9;
}

static void bar_clear(struct bar *b)
{
    if (b->drawn)
        fputs("\r\033[K", stderr);
    b->drawn = false;
}

static void on_progress(void *cls, const struct gp_sync_progress *p)
{
    struct bar *b = cls;
    if (p->note) {
        if (p->note_level >= gp_log_get_level()) {
            bar_clear(b); /* the log line gets a line of its own; the next frame redraws */
            gp_log_at(p->note_level, NULL, 0, "%s", p->note);
        }
        return;
    }
    if (!b->on)
        return;
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (!p->source_done && b->drawn && secs(&b->last, &now) < 0.1)
        return; /* ten frames a second are plenty */
    b->last = now;
    /* The bar counts sources; within one, the export's length is unknown (no system says
     * how many pages it has), so a spinner shows that pages are moving. With several jobs the
     * line names the source that reported last. */
    enum { WIDTH = 20 };
    size_t done = p->sources_done;
    int fill = p->count ? (int)(done * WIDTH / p->count) : WIDTH;
    char cells[WIDTH + 1];
    for (int i = 0; i < WIDTH; i++)
        cells[i] = i < fill ? '#' : '.';
    cells[WIDTH] = '\0';
    static const char spin[] = "|/-\\";
    double el = secs(&b->t0, &now);
    long total = p->run_records;
    fprintf(stderr,
            "\r\033[K[%s] %zu/%zu %c %-16.16s page %ld (pass %ld), %ld records, %.0f/s, %d:%02d",
            cells, done, p->count, p->source_done ? ' ' : spin[p->pages % 4], p->source_id,
            p->pages, p->pass_pages, total, el > 0 ? (double)total / el : 0.0, (int)el / 60,
            (int)el % 60);
    fflush(stderr);
    b->drawn = true;
}

/* ---- the summary ---------------------------------------------------------------------------- */

static void summary(const struct gp_sync_result *res, size_t n, double seconds)
{
    long pages = 0, records = 0, written = 0, removed = 0;
    size_t complete = 0, stopped = 0, failed = 0;
    char failed_ids[512] = "";
    size_t o = 0;
    for (size_t i = 0; i < n; i++) {
        pages += res[i].pages;
        records += res[i].records;
        written += res[i].written;
        removed += res[i].removed;
        if (res[i].outcome == GP_SYNC_COMPLETE) {
            complete++;
        } else if (res[i].outcome == GP_SYNC_STOPPED) {
            stopped++;
        } else {
            failed++;
            int k = snprintf(failed_ids + o, sizeof failed_ids - o, "%s%s", o ? ", " : "",
                             res[i].source_id);
            if (k > 0 && (size_t)k < sizeof failed_ids - o)
                o += (size_t)k;
        }
    }
    printf("glasplade sync: %zu source%s: %zu complete", n, n == 1 ? "" : "s", complete);
    if (stopped)
        printf(", %zu stopped at --max-pages (run again to resume)", stopped);
    if (failed)
        printf(", %zu failed (%s)", failed, failed_ids);
    printf("; %ld pages, %ld records (%ld new or changed, %ld marked removed) in %.1f s, %.0f "
           "records/s\n",
           pages, records, written, removed, seconds,
           seconds > 0 ? (double)records / seconds : 0.0);
    fflush(stdout);
}

static int status(struct gp_db_pool *pool)
{
    struct gp_sync_status *st = NULL;
    size_t n = 0;
    if (gp_sync_status_load(pool, &st, &n) < 0) {
        fprintf(stderr, "glasplade sync --status: database error (migrated? glasplade migrate)\n");
        return 1;
    }
    printf("%-16s %-8s %-54s %s\n", "SOURCE", "ENABLED", "PASS UNDER WAY", "LAST COMPLETED PASS");
    for (size_t i = 0; i < n; i++) {
        char now[96] = "-", last[160] = "-";
        if (st[i].under_way)
            snprintf(now, sizeof now, "since %s, %ld pages, %ld records", st[i].pass_started_at,
                     st[i].pages, st[i].records);
        if (st[i].last_completed_at[0])
            snprintf(last, sizeof last, "%s, %ld pages, %ld records, %ld removed",
                     st[i].last_completed_at, st[i].last_pages, st[i].last_records,
                     st[i].last_removed);
        printf("%-16s %-8s %-54s %s\n", st[i].source_id, st[i].enabled ? "yes" : "no", now, last);
        if (st[i].last_error[0])
            printf("%-16s last error at %s: %s\n", "", st[i].last_error_at, st[i].last_error);
    }
    free(st);
    return 0;
}

static bool number(const char *s, long lo, long hi, long *out)
{
    char *end;
    long v = strtol(s, &end, 10);
    if (!*s || *end || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

int gp_cmd_sync(int argc, char **argv)
{
    static const struct option opts[] = {
        {"source", required_argument, NULL, 's'},
        {"page-size", required_argument, NULL, 'p'},
        {"max-pages", required_argument, NULL, 'm'},
        {"restart", no_argument, NULL, 'r'},
        {"timeout-ms", required_argument, NULL, 't'},
        {"jobs", required_argument, NULL, 'j'},
        {"no-progress", no_argument, NULL, 'q'},
        {"status", no_argument, NULL, 'S'},
        {"help", no_argument, NULL, 'h'},
        {NULL, 0, NULL, 0},
    };
    const char *ids[MAX_SOURCES];
    size_t nids = 0;
    long page_size = GP_SYNC_PAGE_SIZE_DEFAULT, max_pages = 0, timeout_ms = 60000;
    long jobs = GP_SYNC_JOBS_DEFAULT;
    bool restart = false, no_progress = false, want_status = false;
    int c;
    optind = 1;
    while ((c = getopt_long(argc, argv, "h", opts, NULL)) != -1) {
        switch (c) {
        case 's':
            if (nids == MAX_SOURCES) {
                fprintf(stderr, "glasplade sync: at most %d --source options\n", MAX_SOURCES);
                return 2;
            }
            ids[nids++] = optarg;
            break;
        case 'p':
            if (!number(optarg, 1, GP_SYNC_PAGE_SIZE_MAX, &page_size)) {
                fprintf(stderr, "glasplade sync: --page-size must be 1-%d\n",
                        GP_SYNC_PAGE_SIZE_MAX);
                return 2;
            }
            break;
        case 'm':
            if (!number(optarg, 1, 1000000000L, &max_pages)) {
                fprintf(stderr, "glasplade sync: --max-pages must be a positive number\n");
                return 2;
            }
            break;
        case 'r':
            restart = true;
            break;
        case 't':
            if (!number(optarg, 1, 600000, &timeout_ms)) {
                fprintf(stderr, "glasplade sync: --timeout-ms must be 1-600000\n");
                return 2;
            }
            break;
        case 'j':
            if (!number(optarg, 1, GP_SYNC_JOBS_MAX, &jobs)) {
                fprintf(stderr, "glasplade sync: --jobs must be 1-%d\n", GP_SYNC_JOBS_MAX);
                return 2;
            }
            break;
        case 'q':
            no_progress = true;
            break;
        case 'S':
            want_status = true;
            break;
        case 'h':
            help(stdout);
            return 0;
        default:
            fprintf(stderr, "glasplade sync: see --help\n");
            return 2;
        }
    }
    if (optind < argc) {
        fprintf(stderr, "glasplade sync: unexpected argument '%s' (see --help)\n", argv[optind]);
        return 2;
    }
    /* Test hook (tests/integration/itest_sync.c): "PAGE:copied" or "PAGE:merged" kills this
     * process at that page of the first source, to prove that a crash loses nothing. */
    long kill_page = 0;
    const char *kill_phase = NULL;
    const char *hook = getenv("GLASPLADE_SYNC_TEST_KILL");
    if (hook && *hook) {
        char *end;
        kill_page = strtol(hook, &end, 10);
        kill_phase = *end == ':' ? end + 1 : NULL;
        if (kill_page < 1 || !kill_phase ||
            (strcmp(kill_phase, "copied") != 0 && strcmp(kill_phase, "merged") != 0)) {
            fprintf(stderr, "glasplade sync: GLASPLADE_SYNC_TEST_KILL must be PAGE:copied or "
                            "PAGE:merged\n");
            return 2;
        }
    }

    struct gp_config cfg;
    int rc = gp_cmd_load_config(&cfg, 1);
    if (rc)
        return rc;
    /* One connection per job; connected as they are first used. */
    struct gp_db_pool *pool =
        gp_db_pool_create(cfg.database_url, (int)jobs, cfg.db_connect_timeout_s);
    if (want_status) {
        rc = status(pool);
        gp_db_pool_destroy(pool);
        gp_config_free(&cfg);
        return rc;
    }
    struct gp_sync_options o = {
        .conninfo = cfg.database_url,
        .connect_timeout_s = cfg.db_connect_timeout_s,
        .source_ids = ids,
        .nsource_ids = nids,
        .page_size = (int)page_size,
        .jobs = (int)jobs,
        .max_pages = max_pages,
        .restart = restart,
        .timeout_ms = (int)timeout_ms,
        .max_page_bytes =
            cfg.source_max_bytes > MIN_PAGE_BYTES ? cfg.source_max_bytes : MIN_PAGE_BYTES,
        .test_kill_page = kill_page,
        .test_kill_phase = kill_phase,
    };
    struct bar bar = {.on = !no_progress && isatty(STDERR_FILENO)};
    clock_gettime(CLOCK_MONOTONIC, &bar.t0);
    struct gp_sync_result *res = NULL;
    size_t n = 0;
    char err[512];
    enum gp_sync_rc src = gp_sync_run(pool, &o, on_progress, &bar, &res, &n, err, sizeof err);
    struct timespec end;
    clock_gettime(CLOCK_MONOTONIC, &end);
    bar_clear(&bar);
    if (src == GP_SYNC_RC_USAGE) {
        fprintf(stderr, "glasplade sync: %s\n", err);
        rc = 2;
    } else if (err[0]) {
        GP_LOG_ERROR("sync: %s", err);
        rc = 1;
    } else {
        for (size_t i = 0; i < n; i++) {
            if (res[i].outcome == GP_SYNC_FAILED)
                GP_LOG_ERROR("sync: source %s failed after %ld pages in this run: %s",
                             res[i].source_id, res[i].pages, res[i].error);
        }
        summary(res, n, secs(&bar.t0, &end));
        rc = src == GP_SYNC_RC_OK ? 0 : 1;
    }
    free(res);
    gp_db_pool_destroy(pool);
    gp_config_free(&cfg);
    return rc;
}
