/* Fetching a source's export pages for the sync (lib/federation/sync_internal.h): each page is
 * asked for with lib/federation/http_get (a blocking perform on one handle, whose connection
 * is kept from page to page) and parsed by the source's adapter, with retries.
 *
 * Why not the fan-out engine: it answers many systems at once for a press, within one deadline,
 * and guards each behind a circuit. A sync asks one system for one page after the other, on a
 * thread of its own that may block, and retries with backoff itself: a circuit opened by its
 * retries would only stand in their way, and a thread that waits for a callback would be the
 * same blocking call with a second thread behind it. */
#include "lib/federation/sync_internal.h"

#include "lib/core/alloc.h"
#include "lib/federation/http_get.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Attempts per page before a source fails: transport errors, timeouts, 5xx, 429. */
#define FETCH_ATTEMPTS 4
/* Wait before the second attempt; doubled for each one after. */
#define FETCH_BACKOFF_MS 500

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

/* ---- fetching pages, one page ahead ------------------------------------------------------ */

/* A thread of its own fetches and parses the next page while the caller copies and merges the
 * one before (the network, the simulators and JSON on one side, PostgreSQL on the other: two
 * cores both busy). It only reads the source and the options, runs ahead by one page at most
 * and changes nothing that is stored: the cursor moves when a page is merged, so a page fetched
 * ahead and never merged is simply fetched again by the next sync. What it would log it hands
 * over; all progress is reported from the caller's thread. */
#define NOTES_MAX 8

struct gp_sync_fetcher {
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
fetcher_note(struct gp_sync_fetcher *f, enum gp_log_level level, const char *fmt, ...)
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
static enum fetch_rc fetch(struct gp_sync_fetcher *f, const char *url, char *why, size_t whylen)
{
    gp_http_get_url(&f->get, url, f->o->timeout_ms, f->o->max_page_bytes);
    if (gp_http_get_perform(&f->get) == GP_FETCH_OK)
        return FETCH_OK;
    /* An OAuth 2.0 token the system no longer takes: a fresh one, and the page once more. */
    if (f->src->auth.kind == GP_AUTH_OAUTH2_CC && f->get.http_status == 401) {
        char token[GP_OAUTH2_MAX_TOKEN], err[256];
        bool got = gp_http_token_blocking(&f->src->auth, f->o->timeout_ms, true, token,
                                          sizeof token, err, sizeof err);
        bool set = got && gp_http_get_bearer(&f->get, token);
        explicit_bzero(token, sizeof token);
        if (!set) {
            snprintf(why, whylen, "%s", got ? "the OAuth 2.0 token is not usable" : err);
            return FETCH_FATAL;
        }
        gp_http_get_url(&f->get, url, f->o->timeout_ms, f->o->max_page_bytes);
        if (gp_http_get_perform(&f->get) == GP_FETCH_OK)
            return FETCH_OK;
    }
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
static bool fetch_page(struct gp_sync_fetcher *f, char *err, size_t errlen)
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
        f->fetch_s += gp_sync_since(&t);
        if (rc == FETCH_OK) {
            f->work.records.n = 0;
            f->work.next_cursor[0] = '\0';
            clock_gettime(CLOCK_MONOTONIC, &t);
            bool parsed =
                f->ad->parse_export(f->get.body.data, f->get.body.len, &f->work, why, sizeof why);
            f->parse_s += gp_sync_since(&t);
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
    struct gp_sync_fetcher *f = cls;
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

struct gp_sync_fetcher *gp_sync_fetcher_start(const struct gp_source *src,
                                              const struct gp_adapter *ad,
                                              const struct gp_sync_options *o, const char *cursor,
                                              char *err, size_t errlen)
{
    struct gp_sync_fetcher *f = gp_xcalloc(1, sizeof *f);
    f->src = src;
    f->ad = ad;
    f->o = o;
    f->page_size = o->page_size;
    snprintf(f->cursor, sizeof f->cursor, "%s", cursor);
    atomic_init(&f->stop, false);
    char token[GP_OAUTH2_MAX_TOKEN] = "";
    if (src->auth.kind == GP_AUTH_OAUTH2_CC &&
        !gp_http_token_blocking(&src->auth, o->timeout_ms, false, token, sizeof token, err,
                                errlen)) {
        free(f);
        return NULL;
    }
    struct gp_http_get_opts get = {
        .url = "",
        .accept = ad->accept,
        .prefer = ad->prefer,
        .auth = &src->auth,
        .oauth2_token = token,
        .user_agent = "glasplade-sync",
        .limit_ms = o->timeout_ms,
        .max_body = o->max_page_bytes,
        .cancel = &f->stop,
        .terms = {.timeout_ms = o->timeout_ms},
    };
    bool set = gp_http_get_setup(&f->get, NULL, &get);
    explicit_bzero(token, sizeof token);
    if (!set) {
        snprintf(err, errlen, "cannot start libcurl: %s", f->get.error);
        gp_http_get_free(&f->get);
        free(f);
        return NULL;
    }
    pthread_mutex_init(&f->mu, NULL);
    pthread_cond_init(&f->cv, NULL);
    if (pthread_create(&f->thread, NULL, fetcher_main, f) != 0) {
        snprintf(err, errlen, "cannot start the fetching thread");
        pthread_cond_destroy(&f->cv);
        pthread_mutex_destroy(&f->mu);
        gp_http_get_free(&f->get);
        free(f);
        return NULL;
    }
    return f;
}

/* Hands what the fetcher would log to note (mu held; released meanwhile). */
static void fetcher_drain_notes(struct gp_sync_fetcher *f, gp_sync_note_fn note, void *cls)
{
    while (f->nnotes > 0) {
        char line[512];
        enum gp_log_level level = f->note_levels[0];
        snprintf(line, sizeof line, "%s", f->notes[0]);
        memmove(f->notes, f->notes + 1, (f->nnotes - 1) * sizeof f->notes[0]);
        memmove(f->note_levels, f->note_levels + 1, (f->nnotes - 1) * sizeof f->note_levels[0]);
        f->nnotes--;
        pthread_mutex_unlock(&f->mu);
        note(cls, level, line);
        pthread_mutex_lock(&f->mu);
    }
}

bool gp_sync_fetcher_take(struct gp_sync_fetcher *f, struct gp_export_page *page,
                          gp_sync_note_fn note, void *cls, char *err, size_t errlen)
{
    pthread_mutex_lock(&f->mu);
    for (;;) {
        fetcher_drain_notes(f, note, cls);
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
    if (!ok)
        snprintf(err, errlen, "%s", f->error);
    pthread_mutex_unlock(&f->mu);
    return ok;
}

void gp_sync_fetcher_stop(struct gp_sync_fetcher *f, double *fetch_s, double *parse_s)
{
    if (!f)
        return;
    pthread_mutex_lock(&f->mu);
    atomic_store(&f->stop, true);
    pthread_cond_broadcast(&f->cv);
    pthread_mutex_unlock(&f->mu);
    pthread_join(f->thread, NULL);
    gp_http_get_free(&f->get);
    gp_record_list_free(&f->work.records);
    gp_record_list_free(&f->slot.records);
    pthread_cond_destroy(&f->cv);
    pthread_mutex_destroy(&f->mu);
    *fetch_s += f->fetch_s;
    *parse_s += f->parse_s;
    free(f);
}
