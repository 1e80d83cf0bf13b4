/* `glasplade sync` (contract in lib/federation/sync.h): a run's sources picked and ordered, the
 * jobs that take them, each source's pass from page to page — fetched by sync_fetch.c, merged
 * by sync_merge.c — with progress, notes and the result. */
#include "lib/federation/sync.h"
#include "lib/federation/sync_internal.h"

#include "adapters/adapter.h"
#include "lib/core/alloc.h"
#include "lib/core/cpr.h"
#include "lib/db/copy.h"
#include "lib/federation/http_get.h"
#include "lib/federation/sources.h"

#include <jansson.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Distinct unclassified codes noted per run (each is noted once). */
#define NOTED_MAX 256

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
    struct gp_sync_pass pass;
    size_t index; /* in run->sources */
};

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
        .elapsed_s = gp_sync_since(&s->t0),
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

/* ---- one source --------------------------------------------------------------------------- */

static bool test_kill(const struct source_run *s, const char *phase)
{
    const struct gp_sync_options *o = s->run->o;
    return o->test_kill_page > 0 && s->index == 0 && s->res->pages + 1 == o->test_kill_page &&
           o->test_kill_phase && !strcmp(o->test_kill_phase, phase);
}

/* One page, fetched already: merged, and the pass moved on. False when the source failed. */
static bool one_page(struct source_run *s, struct gp_export_page *page)
{
    struct gp_sync_kill kill = {.copied = test_kill(s, "copied"), .merged = test_kill(s, "merged")};
    struct gp_sync_merged m;
    enum gp_qs qs = gp_sync_pass_merge(s->run->pool, s->src->id, &s->pass, page, kill, &m);
    s->res->copy_s += m.copy_s;
    s->res->merge_s += m.merge_s;
    if (qs < 0)
        return fail(s, "merging a page into the index failed (see the log)");
    s->res->pages++;
    s->res->pass_pages = s->pass.pages;
    s->res->records += m.records;
    s->res->pass_records = s->pass.records;
    s->res->written += m.written;
    s->res->removed += m.removed;
    pthread_mutex_lock(&s->run->mu);
    s->run->records += m.records;
    pthread_mutex_unlock(&s->run->mu);
    note_unclassified(s, m.unclassified);
    free(m.unclassified);
    return true;
}

/* The session lock of a source, on the lock session the jobs share: 1 taken, 0 held by
 * another sync, -1 with err. */
static int lock_source(struct run *r, const char *source_id, char *err, size_t errlen)
{
    pthread_mutex_lock(&r->mu);
    int got = gp_sync_lock(r->copy, source_id, err, errlen);
    pthread_mutex_unlock(&r->mu);
    return got;
}

static void unlock_source(struct run *r, const char *source_id)
{
    pthread_mutex_lock(&r->mu);
    gp_sync_unlock(r->copy, source_id);
    pthread_mutex_unlock(&r->mu);
}

/* Hands a line of the fetcher's to the log through the progress callback. */
static void fetch_note(void *cls, enum gp_log_level level, const char *line)
{
    note(cls, level, "%s", line);
}

static void sync_source(struct run *r, size_t index)
{
    const struct gp_source *src = r->sources[index];
    struct gp_sync_result *res = &r->results[index];
    struct source_run s = {.run = r, .src = src, .res = res, .index = index};
    struct gp_sync_fetcher *f = NULL;
    clock_gettime(CLOCK_MONOTONIC, &s.t0);
    snprintf(res->source_id, sizeof res->source_id, "%s", src->id);
    res->outcome = GP_SYNC_COMPLETE;
    struct gp_export_page page = {0};
    char err[512];
    bool locked = false;

    s.ad = gp_adapter_find(src->kind);
    if (!s.ad || !s.ad->export_url || !s.ad->parse_export) {
        fail(&s, "no adapter with a bulk export for kind '%s'", src->kind);
        goto done;
    }
    int got = lock_source(r, src->id, err, sizeof err);
    if (got < 0) {
        fail(&s, "%s", err);
        goto done;
    }
    if (got == 0) {
        fail(&s, "another sync of this source is running");
        goto done;
    }
    locked = true;
    if (gp_sync_pass_begin(r->pool, src, r->o->restart, &s.pass) < 0) {
        fail(&s, "reading the sync state failed (see the log)");
        goto done;
    }
    res->resumed = s.pass.resumed;
    res->pass_pages = s.pass.pages;
    res->pass_records = s.pass.records;
    if (s.pass.resumed)
        note(&s, GP_LOG_INFO, "source %s: resuming the pass under way after %ld pages", src->id,
             s.pass.pages);
    f = gp_sync_fetcher_start(src, s.ad, r->o, s.pass.cursor, err, sizeof err);
    if (!f) {
        fail(&s, "%s", err);
        goto done;
    }
    for (;;) {
        if (r->o->max_pages > 0 && res->pages >= r->o->max_pages) {
            res->outcome = GP_SYNC_STOPPED;
            break;
        }
        if (!gp_sync_fetcher_take(f, &page, fetch_note, &s, err, sizeof err)) {
            fail(&s, "%s", err);
            break;
        }
        if (!one_page(&s, &page))
            break;
        report(&s, false, GP_LOG_INFO, NULL);
        if (!page.next_cursor[0])
            break; /* the export's last page: the pass is complete */
    }
done:
    if (res->outcome == GP_SYNC_FAILED && locked)
        gp_sync_pass_failed(r->pool, src->id, res->error);
    gp_sync_fetcher_stop(f, &res->fetch_s, &res->parse_s);
    if (locked)
        unlock_source(r, src->id);
    gp_sync_pass_free(&s.pass);
    gp_record_list_free(&page.records);
    res->seconds = gp_sync_since(&s.t0);
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
    if (!gp_http_global_init()) {
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
    gp_http_global_cleanup();
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
