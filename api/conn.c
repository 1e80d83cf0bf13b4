#include "api/conn.h"

#include "lib/core/alloc.h"
#include "lib/core/log.h"

#include <errno.h>
#include <pthread.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define WATCHDOG_TICK_MS 100

/* Open connections of one client address. */
struct addr_count {
    struct addr_count *next;
    struct gp_ipaddr addr;
    int count;
};

struct gp_conn_guard {
    pthread_mutex_t lock;
    const struct gp_config *cfg;
    int max_connections;
    int per_address;
    int receive_timeout_ms;

    /* Under lock. */
    int open;
    struct gp_conn *head;
    size_t nbuckets;
    struct addr_count **buckets;
    /* Since the last report. */
    unsigned long refused_full, refused_address, shut_slow;
    struct gp_ipaddr last_refused;

    pthread_t watchdog;
    bool running;
    bool stopping;
    pthread_cond_t wake;
};

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

struct gp_conn_guard *gp_conn_guard_create(const struct gp_config *cfg, int max_connections)
{
    struct gp_conn_guard *g = gp_xcalloc(1, sizeof *g);
    pthread_mutex_init(&g->lock, NULL);
    pthread_cond_init(&g->wake, NULL);
    g->cfg = cfg;
    g->max_connections = max_connections;
    g->per_address = cfg->max_connections_per_address;
    g->receive_timeout_ms = cfg->receive_timeout_ms;
    g->nbuckets = 1024;
    while (g->nbuckets < (size_t)max_connections)
        g->nbuckets *= 2;
    g->buckets = gp_xcalloc(g->nbuckets, sizeof *g->buckets);
    return g;
}

void gp_conn_guard_destroy(struct gp_conn_guard *g)
{
    if (!g)
        return;
    gp_conn_guard_stop(g);
    for (size_t i = 0; i < g->nbuckets; i++) {
        for (struct addr_count *a = g->buckets[i], *next; a; a = next) {
            next = a->next;
            free(a);
        }
    }
    free(g->buckets);
    pthread_cond_destroy(&g->wake);
    pthread_mutex_destroy(&g->lock);
    free(g);
}

static struct addr_count **bucket(struct gp_conn_guard *g, const struct gp_ipaddr *a)
{
    uint32_t h = 2166136261u; /* FNV-1a */
    for (int i = 0; i < (a->family == AF_INET ? 4 : 16); i++)
        h = (h ^ a->bytes[i]) * 16777619u;
    return &g->buckets[h & (g->nbuckets - 1)];
}

/* The count of an address (under lock); NULL when it has no connection. */
static struct addr_count *count_of(struct gp_conn_guard *g, const struct gp_ipaddr *a)
{
    for (struct addr_count *c = *bucket(g, a); c; c = c->next) {
        if (gp_ipaddr_equal(&c->addr, a))
            return c;
    }
    return NULL;
}

enum MHD_Result gp_conn_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
    (void)addrlen;
    struct gp_conn_guard *g = cls;
    struct gp_ipaddr a;
    if (!gp_ipaddr_from_sockaddr(addr, &a))
        return MHD_NO; /* not IP: nothing of ours listens so */
    bool proxy = gp_config_trusted_proxy(g->cfg, &a);
    enum MHD_Result ok = MHD_YES;
    pthread_mutex_lock(&g->lock);
    if (g->open >= g->max_connections) {
        g->refused_full++;
        ok = MHD_NO;
    } else if (!proxy) {
        struct addr_count *c = count_of(g, &a);
        if (c && c->count >= g->per_address) {
            g->refused_address++;
            g->last_refused = a;
            ok = MHD_NO;
        }
    }
    pthread_mutex_unlock(&g->lock);
    return ok;
}

static void started(struct gp_conn_guard *g, struct MHD_Connection *connection, void **ctx)
{
    struct gp_conn *c = gp_xcalloc(1, sizeof *c);
    const union MHD_ConnectionInfo *fd =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CONNECTION_FD);
    const union MHD_ConnectionInfo *ca =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
    c->fd = fd ? fd->connect_fd : -1;
    if (ca && gp_ipaddr_from_sockaddr(ca->client_addr, &c->addr))
        gp_ipaddr_format(&c->addr, c->addr_text);
    c->trusted_proxy = c->addr.family && gp_config_trusted_proxy(g->cfg, &c->addr);
    atomic_store(&c->phase, GP_CONN_HEAD);
    atomic_store(&c->since_ms, now_ms());
    pthread_mutex_lock(&g->lock);
    c->next = g->head;
    if (g->head)
        g->head->prev = c;
    g->head = c;
    g->open++;
    if (c->addr.family) {
        struct addr_count *ac = count_of(g, &c->addr);
        if (!ac) {
            struct addr_count **b = bucket(g, &c->addr);
            ac = gp_xcalloc(1, sizeof *ac);
            ac->addr = c->addr;
            ac->next = *b;
            *b = ac;
        }
        ac->count++;
    }
    pthread_mutex_unlock(&g->lock);
    *ctx = c;
}

static void closed(struct gp_conn_guard *g, void **ctx)
{
    struct gp_conn *c = *ctx;
    if (!c)
        return;
    *ctx = NULL;
    /* libmicrohttpd notifies before it closes the socket: once c is off the list under the lock,
     * the watchdog can no longer shut down a descriptor that may be reused. */
    pthread_mutex_lock(&g->lock);
    if (c->prev)
        c->prev->next = c->next;
    else
        g->head = c->next;
    if (c->next)
        c->next->prev = c->prev;
    g->open--;
    if (c->addr.family) {
        struct addr_count **p = bucket(g, &c->addr);
        for (; *p; p = &(*p)->next) {
            if (gp_ipaddr_equal(&(*p)->addr, &c->addr)) {
                if (--(*p)->count == 0) {
                    struct addr_count *gone = *p;
                    *p = gone->next;
                    free(gone);
                }
                break;
            }
        }
    }
    pthread_mutex_unlock(&g->lock);
    free(c);
}

void gp_conn_notify(void *cls, struct MHD_Connection *connection, void **socket_context,
                    enum MHD_ConnectionNotificationCode toe)
{
    struct gp_conn_guard *g = cls;
    if (toe == MHD_CONNECTION_NOTIFY_STARTED)
        started(g, connection, socket_context);
    else if (toe == MHD_CONNECTION_NOTIFY_CLOSED)
        closed(g, socket_context);
}

struct gp_conn *gp_conn_of(struct MHD_Connection *connection)
{
    const union MHD_ConnectionInfo *i =
        MHD_get_connection_info(connection, MHD_CONNECTION_INFO_SOCKET_CONTEXT);
    return i ? i->socket_context : NULL;
}

void gp_conn_set_phase(struct gp_conn *c, enum gp_conn_phase phase)
{
    if (!c)
        return;
    atomic_store(&c->since_ms, now_ms());
    atomic_store(&c->phase, (int)phase);
}

int gp_conn_open(struct gp_conn_guard *g)
{
    pthread_mutex_lock(&g->lock);
    int n = g->open;
    pthread_mutex_unlock(&g->lock);
    return n;
}

/* One line for what happened since the last report, when anything did. Under lock. */
static void report(struct gp_conn_guard *g)
{
    if (!g->refused_full && !g->refused_address && !g->shut_slow)
        return;
    json_t *line = json_pack(
        "{s:s, s:I, s:I, s:I, s:i, s:i}", "msg", "connections refused or closed",
        "refused_at_limit", (json_int_t)g->refused_full, "refused_per_address",
        (json_int_t)g->refused_address, "closed_receive_timeout", (json_int_t)g->shut_slow, "open",
        g->open, "interval_s", GP_CONN_REPORT_MS / 1000);
    if (g->refused_address) {
        char text[GP_ADDR_TEXT_MAX];
        gp_ipaddr_format(&g->last_refused, text);
        json_object_set_new(line, "last_refused_addr", json_string(text));
    }
    gp_log_json_steal(GP_LOG_WARN, line);
    g->refused_full = g->refused_address = g->shut_slow = 0;
}

static void *watchdog(void *cls)
{
    struct gp_conn_guard *g = cls;
    long long last_report = now_ms();
    pthread_mutex_lock(&g->lock);
    while (!g->stopping) {
        long long now = now_ms();
        for (struct gp_conn *c = g->head; c; c = c->next) {
            int phase = atomic_load(&c->phase);
            if (phase == GP_CONN_HANDLING || atomic_load(&c->shut) || c->fd < 0)
                continue;
            if (now - atomic_load(&c->since_ms) < g->receive_timeout_ms)
                continue;
            /* libmicrohttpd sees the end of the stream on its own thread and closes the
             * connection there (and notifies CLOSED, which takes this lock first). */
            shutdown(c->fd, SHUT_RDWR);
            atomic_store(&c->shut, true);
            g->shut_slow++;
        }
        if (now - last_report >= GP_CONN_REPORT_MS) {
            report(g);
            last_report = now;
        }
        struct timespec until;
        clock_gettime(CLOCK_REALTIME, &until);
        until.tv_nsec += WATCHDOG_TICK_MS * 1000000L;
        if (until.tv_nsec >= 1000000000L) {
            until.tv_sec++;
            until.tv_nsec -= 1000000000L;
        }
        pthread_cond_timedwait(&g->wake, &g->lock, &until);
    }
    report(g);
    pthread_mutex_unlock(&g->lock);
    return NULL;
}

bool gp_conn_guard_start(struct gp_conn_guard *g)
{
    g->stopping = false;
    g->running = pthread_create(&g->watchdog, NULL, watchdog, g) == 0;
    return g->running;
}

void gp_conn_guard_stop(struct gp_conn_guard *g)
{
    if (!g->running)
        return;
    pthread_mutex_lock(&g->lock);
    g->stopping = true;
    pthread_cond_signal(&g->wake);
    pthread_mutex_unlock(&g->lock);
    pthread_join(g->watchdog, NULL);
    g->running = false;
}
