/* `glasplade sync`: reads every source's bulk export into the shared index, page by page.
 *
 * For each source, one *pass* walks the whole export. Each page is fetched (libcurl), parsed
 * by the source's adapter, copied into a temporary staging table (COPY FROM STDIN) and
 * merged into `record` set-based — classified by record_classify exactly as a CPR-button
 * lookup is, an unchanged record left alone — in the same transaction that moves the source's
 * stored cursor on (table sync_state). So a sync that is killed, or stopped with max_pages,
 * resumes at the first page it did not merge: no page is merged twice, none is skipped, and
 * running a sync again over an unchanged export writes no record.
 *
 * When a pass reaches the export's end, the source's live records that the whole pass did not
 * see are marked removed — except a citizen's records that a per-CPR lookup refreshed after
 * the pass began (that answer is newer than the export's). Only a completed pass removes: an
 * interrupted one never decides that something is gone.
 *
 * A sync does not write source_fetch: refresh=auto freshness stays a per-citizen lookup fact
 * (a pass takes minutes and its snapshot of a citizen is as old as the page, not the pass), so
 * a CPR-button press after a sync still asks the department systems. New citizens are added to
 * `citizen`; a known citizen's last_seen is left alone (a second sync then writes nothing).
 *
 * `jobs` sources are synced at once, each on its own thread and database connection, the
 * largest (by its last completed pass) first; a source that fails (after retries) does not
 * stop the others. Two syncs of the same source at once are refused (a session advisory
 * lock). */
#ifndef GP_SYNC_H
#define GP_SYNC_H

#include "lib/db/db.h"
#include "lib/core/log.h"

#include <stdbool.h>
#include <stddef.h>

#define GP_SYNC_PAGE_SIZE_DEFAULT 500
#define GP_SYNC_PAGE_SIZE_MAX     1000
#define GP_SYNC_JOBS_DEFAULT      2
#define GP_SYNC_JOBS_MAX          8

struct gp_sync_options {
    const char *conninfo;          /* the database, for the COPY session (lib/copy) */
    int connect_timeout_s;         /* for that session */
    const char *const *source_ids; /* the sources to sync; NULL or empty: every enabled one */
    size_t nsource_ids;
    int page_size;         /* records or citizens asked per page; each system caps it */
    int jobs;              /* sources synced at once (each with its own connection); <1: 1 */
    long max_pages;        /* pages per source in this run, then stop (resumable); 0: all */
    bool restart;          /* discard a pass under way and start from the first page */
    int timeout_ms;        /* per page request */
    size_t max_page_bytes; /* largest page body accepted */
    /* Test hook (tests/integration/itest_sync.c): kill the process with SIGKILL at page
     * test_kill_page of the first source (1-based), after copying it ("copied") or inside
     * its merge transaction before COMMIT ("merged"). 0: never. */
    long test_kill_page;
    const char *test_kill_phase;
};

enum gp_sync_outcome {
    GP_SYNC_COMPLETE = 0, /* the pass reached the end of the export */
    GP_SYNC_STOPPED,      /* max_pages reached; the next sync resumes */
    GP_SYNC_FAILED,       /* error says why; the next sync resumes at the page that failed */
};

/* "complete", "stopped", "failed". */
const char *gp_sync_outcome_name(enum gp_sync_outcome o);

struct gp_sync_result {
    char source_id[64];
    enum gp_sync_outcome outcome;
    bool resumed;      /* this run continued a pass under way */
    long pages;        /* pages merged in this run */
    long records;      /* records merged in this run */
    long written;      /* of those, new or changed rows of record */
    long removed;      /* marked removed at the end of the pass */
    long pass_pages;   /* pages of the whole pass so far (earlier runs included) */
    long pass_records; /* records of the whole pass so far */
    double seconds;    /* this source's time in this run, of which: */
    double fetch_s, parse_s, copy_s, merge_s; /* HTTP, adapter, COPY, merge transactions */
    char error[512];                          /* "" unless FAILED; CPR numbers masked */
};

/* What a progress callback is told: after every page of a source, when a source ends, and
 * when there is something to log (note is then set; the callback logs it itself, so that a
 * progress display can step aside first). Sources run at once (jobs) report from their own
 * threads, one callback at a time. */
struct gp_sync_progress {
    size_t index, count; /* this source is index (0-based) of count */
    size_t sources_done; /* of count, this one included when source_done */
    long run_records;    /* merged in this run so far, every source */
    const char *source_id;
    long pages, records; /* this run, this source */
    long pass_pages;     /* the whole pass so far */
    double elapsed_s;    /* since this source began */
    bool source_done;
    enum gp_log_level note_level;
    const char *note; /* NULL, or a line to log */
};
typedef void (*gp_sync_progress_fn)(void *cls, const struct gp_sync_progress *p);

enum gp_sync_rc {
    GP_SYNC_RC_OK = 0,     /* every source complete or stopped */
    GP_SYNC_RC_FAILED = 1, /* at least one source failed; the others were synced */
    GP_SYNC_RC_USAGE = 2,  /* a source named that does not exist or is disabled; nothing run */
};

/* Runs one sync. *results (malloc'd, free()) gets one entry per source attempted, in order;
 * on GP_SYNC_RC_USAGE, or when the database cannot be reached at all (GP_SYNC_RC_FAILED with
 * no results), err says why. Without a progress callback notes go to the log. */
enum gp_sync_rc gp_sync_run(struct gp_db_pool *pool, const struct gp_sync_options *opts,
                            gp_sync_progress_fn progress, void *cls,
                            struct gp_sync_result **results, size_t *nresults, char *err,
                            size_t errlen);

/* One source's sync_state, for `glasplade sync --status`. Times ISO 8601 UTC, "" for none. */
struct gp_sync_status {
    char source_id[64];
    bool enabled;
    bool under_way; /* a pass is under way (started, not completed) */
    char pass_started_at[32];
    long pages, records; /* of the pass under way */
    char updated_at[32];
    char last_completed_at[32];
    long last_pages, last_records, last_removed;
    char last_error[512];
    char last_error_at[32];
};

/* Every configured source with its sync state, by id. *out malloc'd (free()). A negative gp_qs
 * on a database error. */
enum gp_qs gp_sync_status_load(struct gp_db_pool *pool, struct gp_sync_status **out, size_t *n);

#endif
