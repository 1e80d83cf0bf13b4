#include "lib/core/metrics.h"

#include "lib/core/alloc.h"
#include "lib/core/buf.h"

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#define NSTATUS 600 /* status codes 0..599 */

static const double bucket_le[] = {0.001, 0.005, 0.01, 0.025, 0.05, 0.1,
                                   0.25,  0.5,   1.0,  2.5,   5.0,  10.0};
#define NBUCKETS (sizeof bucket_le / sizeof bucket_le[0])

struct route_metrics {
    char *method;
    char *pattern;
    _Atomic unsigned long status[NSTATUS];
    _Atomic unsigned long bucket[NBUCKETS + 1]; /* last one is +Inf */
    _Atomic unsigned long long sum_us;
};

struct gp_metrics {
    size_t nroutes; /* plus one slot for unmatched paths */
    struct route_metrics *r;
};

struct gp_metrics *gp_metrics_create(const char *const *methods, const char *const *patterns,
                                     size_t nroutes)
{
    struct gp_metrics *m = gp_xcalloc(1, sizeof *m);
    m->nroutes = nroutes;
    m->r = gp_xcalloc(nroutes + 1, sizeof *m->r);
    for (size_t i = 0; i < nroutes; i++) {
        m->r[i].method = gp_xstrdup(methods[i]);
        m->r[i].pattern = gp_xstrdup(patterns[i]);
    }
    m->r[nroutes].method = gp_xstrdup("any");
    m->r[nroutes].pattern = gp_xstrdup("unmatched");
    return m;
}

void gp_metrics_destroy(struct gp_metrics *m)
{
    if (!m)
        return;
    for (size_t i = 0; i <= m->nroutes; i++) {
        free(m->r[i].method);
        free(m->r[i].pattern);
    }
    free(m->r);
    free(m);
}

void gp_metrics_observe(struct gp_metrics *m, size_t route, const char *method, int status,
                        double seconds)
{
    (void)method;
    struct route_metrics *r = &m->r[route < m->nroutes ? route : m->nroutes];
    if (status >= 0 && status < NSTATUS)
        atomic_fetch_add_explicit(&r->status[status], 1, memory_order_relaxed);
    size_t b = 0;
    while (b < NBUCKETS && seconds > bucket_le[b])
        b++;
    atomic_fetch_add_explicit(&r->bucket[b], 1, memory_order_relaxed);
    atomic_fetch_add_explicit(&r->sum_us, (unsigned long long)(seconds * 1e6),
                              memory_order_relaxed);
}

char *gp_metrics_render(struct gp_metrics *m, const struct gp_metrics_gauges *g, size_t *len)
{
    struct gp_buf b = {0};
    gp_buf_puts(&b, "# HELP glasplade_http_requests_total HTTP requests by route, method and "
                    "status.\n# TYPE glasplade_http_requests_total counter\n");
    for (size_t i = 0; i <= m->nroutes; i++) {
        struct route_metrics *r = &m->r[i];
        for (int s = 0; s < NSTATUS; s++) {
            unsigned long n = atomic_load_explicit(&r->status[s], memory_order_relaxed);
            if (n)
                gp_buf_printf(&b,
                              "glasplade_http_requests_total{route=\"%s\",method=\"%s\","
                              "status=\"%d\"} %lu\n",
                              r->pattern, r->method, s, n);
        }
    }
    gp_buf_puts(&b, "# HELP glasplade_http_request_duration_seconds Request latency by route.\n"
                    "# TYPE glasplade_http_request_duration_seconds histogram\n");
    for (size_t i = 0; i <= m->nroutes; i++) {
        struct route_metrics *r = &m->r[i];
        unsigned long cum = 0;
        for (size_t k = 0; k <= NBUCKETS; k++)
            cum += atomic_load_explicit(&r->bucket[k], memory_order_relaxed);
        if (!cum)
            continue;
        cum = 0;
        for (size_t k = 0; k <= NBUCKETS; k++) {
            cum += atomic_load_explicit(&r->bucket[k], memory_order_relaxed);
            if (k < NBUCKETS)
                gp_buf_printf(&b,
                              "glasplade_http_request_duration_seconds_bucket{route=\"%s\","
                              "method=\"%s\",le=\"%g\"} %lu\n",
                              r->pattern, r->method, bucket_le[k], cum);
            else
                gp_buf_printf(&b,
                              "glasplade_http_request_duration_seconds_bucket{route=\"%s\","
                              "method=\"%s\",le=\"+Inf\"} %lu\n",
                              r->pattern, r->method, cum);
        }
        gp_buf_printf(&b,
                      "glasplade_http_request_duration_seconds_sum{route=\"%s\",method=\"%s\"} "
                      "%.6f\n",
                      r->pattern, r->method,
                      (double)atomic_load_explicit(&r->sum_us, memory_order_relaxed) / 1e6);
        gp_buf_printf(&b,
                      "glasplade_http_request_duration_seconds_count{route=\"%s\",method=\"%s\"} "
                      "%lu\n",
                      r->pattern, r->method, cum);
    }
    gp_buf_printf(&b,
                  "# HELP glasplade_db_pool_connections Database pool connections by state.\n"
                  "# TYPE glasplade_db_pool_connections gauge\n"
                  "glasplade_db_pool_connections{state=\"size\"} %d\n"
                  "glasplade_db_pool_connections{state=\"in_use\"} %d\n"
                  "glasplade_db_pool_connections{state=\"idle\"} %d\n"
                  "glasplade_db_pool_connections{state=\"connected\"} %d\n",
                  g->pool_size, g->pool_in_use, g->pool_size - g->pool_in_use, g->pool_connected);
    gp_buf_printf(&b,
                  "# HELP glasplade_build_info Build information.\n"
                  "# TYPE glasplade_build_info gauge\n"
                  "glasplade_build_info{version=\"%s\"} 1\n",
                  g->version ? g->version : "unknown");
    return gp_buf_steal(&b, len);
}
