/* Prometheus metrics: request counts by route and status, a latency histogram by route, and
 * gauges supplied at render time (the database pool). Counters are lock-free atomics, cheap
 * enough for every request. Route labels are the route patterns, never the raw path (which may
 * hold a CPR). */
#ifndef GP_METRICS_H
#define GP_METRICS_H

#include <stddef.h>

struct gp_metrics;

/* labels[i] is "METHOD /pattern" for route index i; copied. */
struct gp_metrics *gp_metrics_create(const char *const *route_methods,
                                     const char *const *route_patterns, size_t nroutes);
void gp_metrics_destroy(struct gp_metrics *m);

/* Records one finished request. route may be (size_t)-1 for an unmatched path. */
void gp_metrics_observe(struct gp_metrics *m, size_t route, const char *method, int status,
                        double seconds);

struct gp_metrics_gauges {
    int pool_size;
    int pool_in_use;
    int pool_connected;
    const char *version;
};

/* The whole exposition text, malloc'd; caller frees. */
char *gp_metrics_render(struct gp_metrics *m, const struct gp_metrics_gauges *g, size_t *len);

#endif
