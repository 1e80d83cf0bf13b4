#include "api/throttle.h"

#include "lib/core/alloc.h"
#include "lib/core/log.h"

#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define PROBE 8 /* slots looked at per address: a small neighbourhood, so lookups stay O(1) */

struct slot {
    bool used;
    struct gp_ipaddr addr;
    long long window_start; /* when the failures being counted began */
    int failures;           /* in the window */
    long long blocked_until;
    long long last_seen;
    long long last_logged; /* of refusals while blocked */
    unsigned long refused; /* since last_logged */
};

struct gp_throttle {
    pthread_mutex_t lock;
    int failures;
    long long window_ms;
    struct slot slots[GP_THROTTLE_SLOTS];
};

struct gp_throttle *gp_throttle_create(int failures, int window_s)
{
    struct gp_throttle *t = gp_xcalloc(1, sizeof *t);
    pthread_mutex_init(&t->lock, NULL);
    t->failures = failures > 0 ? failures : 1;
    t->window_ms = (window_s > 0 ? window_s : 1) * 1000LL;
    return t;
}

void gp_throttle_destroy(struct gp_throttle *t)
{
    if (!t)
        return;
    pthread_mutex_destroy(&t->lock);
    free(t);
}

static uint32_t hash(const struct gp_ipaddr *a)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (int i = 0; i < (a->family == AF_INET ? 4 : 16); i++)
        h = (h ^ a->bytes[i]) * 16777619u;
    return h;
}

/* The slot of addr; with create, a new one (evicting the least recently seen of the
 * neighbourhood when it is full), else NULL when addr is not there. Under the lock. */
static struct slot *find(struct gp_throttle *t, const struct gp_ipaddr *addr, bool create)
{
    uint32_t h = hash(addr);
    struct slot *free_slot = NULL, *oldest = NULL;
    for (int i = 0; i < PROBE; i++) {
        struct slot *s = &t->slots[(h + (uint32_t)i) % GP_THROTTLE_SLOTS];
        if (s->used && gp_ipaddr_equal(&s->addr, addr))
            return s;
        if (!s->used && !free_slot)
            free_slot = s;
        if (s->used && (!oldest || s->last_seen < oldest->last_seen))
            oldest = s;
    }
    if (!create)
        return NULL;
    struct slot *s = free_slot ? free_slot : oldest;
    memset(s, 0, sizeof *s);
    s->used = true;
    s->addr = *addr;
    return s;
}

static void log_refused(const struct slot *s, long long now_ms)
{
    char text[GP_ADDR_TEXT_MAX];
    gp_ipaddr_format(&s->addr, text);
    json_t *line =
        json_pack("{s:s, s:s, s:I, s:f}", "msg", "authentication throttled: requests refused",
                  "client_addr", text, "refused", (json_int_t)s->refused, "interval_s",
                  (double)(now_ms - s->last_logged) / 1000.0);
    gp_log_json_steal(GP_LOG_WARN, line);
}

bool gp_throttle_refused(struct gp_throttle *t, const struct gp_ipaddr *addr, long long now_ms,
                         int *retry_after_s)
{
    pthread_mutex_lock(&t->lock);
    struct slot *s = find(t, addr, false);
    bool refused = false;
    if (s) {
        s->last_seen = now_ms;
        if (s->blocked_until > now_ms) {
            refused = true;
            long long left = s->blocked_until - now_ms;
            *retry_after_s = (int)((left + 999) / 1000);
            s->refused++;
            if (now_ms - s->last_logged >= t->window_ms) {
                log_refused(s, now_ms);
                s->refused = 0;
                s->last_logged = now_ms;
            }
        } else if (s->blocked_until && s->refused) {
            /* The block has ended: say how many were refused since the last line. */
            log_refused(s, now_ms);
            s->refused = 0;
            s->blocked_until = 0;
        }
    }
    pthread_mutex_unlock(&t->lock);
    return refused;
}

void gp_throttle_failure(struct gp_throttle *t, const struct gp_ipaddr *addr, long long now_ms)
{
    pthread_mutex_lock(&t->lock);
    struct slot *s = find(t, addr, true);
    s->last_seen = now_ms;
    if (s->failures == 0 || now_ms - s->window_start >= t->window_ms) {
        s->window_start = now_ms;
        s->failures = 0;
    }
    s->failures++;
    if (s->failures >= t->failures && s->blocked_until <= now_ms) {
        s->blocked_until = now_ms + t->window_ms;
        s->last_logged = now_ms;
        s->refused = 0;
        char text[GP_ADDR_TEXT_MAX];
        gp_ipaddr_format(addr, text);
        json_t *line = json_pack("{s:s, s:s, s:i, s:f, s:f}", "msg",
                                 "authentication throttled: too many failed authentications",
                                 "client_addr", text, "failures", s->failures, "within_s",
                                 (double)(now_ms - s->window_start) / 1000.0, "refused_for_s",
                                 (double)t->window_ms / 1000.0);
        gp_log_json_steal(GP_LOG_WARN, line);
        s->failures = 0;
    }
    pthread_mutex_unlock(&t->lock);
}
