/* The parts of `glasplade sync` (the contract is lib/federation/sync.h), private to them:
 *
 *   sync_fetch.c  fetching and parsing a source's export pages, one page ahead on a thread of
 *                 its own, with retries (HTTP through lib/federation/http_get)
 *   sync_merge.c  the SQL: the pass's state, the staging table, COPY, the merge, the removal at
 *                 the end of a pass, the session lock and the status
 *   sync.c        a run: the sources picked and ordered, the jobs, each source's pass from page
 *                 to page, progress, notes and the result */
#ifndef GP_SYNC_INTERNAL_H
#define GP_SYNC_INTERNAL_H

#include "adapters/adapter.h"
#include "lib/core/buf.h"
#include "lib/core/log.h"
#include "lib/core/record.h"
#include "lib/db/db.h"
#include "lib/federation/sources.h"
#include "lib/federation/sync.h"

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

/* Seconds since t0 (CLOCK_MONOTONIC). */
static inline double gp_sync_since(const struct timespec *t0)
{
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    return (double)(now.tv_sec - t0->tv_sec) + (double)(now.tv_nsec - t0->tv_nsec) / 1e9;
}

/* ---- sync_fetch.c: export pages, one ahead ------------------------------------------------ */

struct gp_sync_fetcher;

/* A line the fetcher would log, handed to the caller's thread. */
typedef void (*gp_sync_note_fn)(void *cls, enum gp_log_level level, const char *line);

/* Starts fetching and parsing src's export (with ad, as o says) from the page at cursor ("" the
 * first), on a thread of its own that runs one page ahead of the caller at most and changes
 * nothing stored. NULL with err when libcurl or the thread cannot start. The pointers must
 * outlive the fetcher. */
struct gp_sync_fetcher *gp_sync_fetcher_start(const struct gp_source *src,
                                              const struct gp_adapter *ad,
                                              const struct gp_sync_options *o, const char *cursor,
                                              char *err, size_t errlen);

/* Waits for the next page and swaps it into *page; first hands what the fetcher would log to
 * note (on this thread). False with err when fetching that page failed (retries done). */
bool gp_sync_fetcher_take(struct gp_sync_fetcher *f, struct gp_export_page *page,
                          gp_sync_note_fn note, void *cls, char *err, size_t errlen);

/* Stops the fetcher (a transfer under way is cut short) and frees it; adds its time spent on
 * HTTP and on parsing to *fetch_s and *parse_s. Accepts NULL. */
void gp_sync_fetcher_stop(struct gp_sync_fetcher *f, double *fetch_s, double *parse_s);

/* ---- sync_merge.c: the SQL ---------------------------------------------------------------- */

/* Where a source's pass stands, between its pages. */
struct gp_sync_pass {
    bool resumed; /* it continued a pass under way */
    char cursor[sizeof((struct gp_export_page *)0)->next_cursor]; /* of the next page */
    long pages, records;                                          /* of the whole pass so far */
    struct gp_record_list carry; /* the last citizen of the last page merged */
    struct gp_buf rows;          /* COPY text of the page being merged */
};

/* Continues src's pass under way, when it reads the system configured now and restart is not
 * asked for, or begins a new one from the first page. Negative on a database error. */
enum gp_qs gp_sync_pass_begin(struct gp_db_pool *pool, const struct gp_source *src, bool restart,
                              struct gp_sync_pass *p);

/* What merging a page did. */
struct gp_sync_merged {
    long records;       /* on the page */
    long written;       /* new or changed rows of record */
    long removed;       /* marked removed: the page was the last of the pass */
    char *unclassified; /* JSON array of distinct [code, legal basis]; free() */
    double copy_s, merge_s;
};

/* The test hook of gp_sync_options: SIGKILL once the page is staged, or before COMMIT. */
struct gp_sync_kill {
    bool copied, merged;
};

/* Merges page (src's next, fetched from p->cursor) into the index in one transaction that
 * moves the stored pass on past it: its records, once the carry has given a citizen's first
 * records what their case on the page before holds, are staged with COPY and merged set-based;
 * the last page of a pass (next_cursor "") then marks removed what the pass did not see and
 * completes it. p moves on with it. Negative on a database error (logged; p unchanged). */
enum gp_qs gp_sync_pass_merge(struct gp_db_pool *pool, const char *source_id,
                              struct gp_sync_pass *p, struct gp_export_page *page,
                              struct gp_sync_kill kill, struct gp_sync_merged *out);

void gp_sync_pass_free(struct gp_sync_pass *p);

/* Best effort, for `glasplade sync --status`: the reason the pass of source_id failed, on its
 * state row (none is written when the pass never began). */
void gp_sync_pass_failed(struct gp_db_pool *pool, const char *source_id, const char *error);

struct gp_copy;

/* The session advisory lock that keeps two syncs of one source apart, on the lock session c
 * (callers serialise its use): 1 taken, 0 held by another session, -1 with err. */
int gp_sync_lock(struct gp_copy *c, const char *source_id, char *err, size_t errlen);
void gp_sync_unlock(struct gp_copy *c, const char *source_id);

#endif
