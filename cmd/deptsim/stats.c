/* Request counters. Relaxed atomics: counters need no ordering with anything else. */
#include "cmd/deptsim/stats.h"

static const char *const stat_names[DS_NSTATS] = {
#define DS_STAT_NAME(name, text) text,
    DS_STATS(DS_STAT_NAME)
#undef DS_STAT_NAME
};

void ds_stats_init(struct ds_stats *st)
{
    for (int s = 0; s < DS_NSYSTEMS; s++) {
        for (int k = 0; k < DS_NSTATS; k++)
            atomic_init(&st->c[s][k], 0);
        atomic_init(&st->in_flight[s], 0);
    }
}

void ds_stats_add(struct ds_stats *st, enum ds_system s, enum ds_stat k, uint64_t n)
{
    atomic_fetch_add_explicit(&st->c[s][k], n, memory_order_relaxed);
}

uint64_t ds_stats_get(struct ds_stats *st, enum ds_system s, enum ds_stat k)
{
    return atomic_load_explicit(&st->c[s][k], memory_order_relaxed);
}

/* in_flight is a gauge, not a counter: a reset must not make it negative later. */
void ds_stats_reset(struct ds_stats *st)
{
    for (int s = 0; s < DS_NSYSTEMS; s++) {
        for (int k = 0; k < DS_NSTATS; k++)
            atomic_store_explicit(&st->c[s][k], 0, memory_order_relaxed);
    }
}

json_t *ds_stats_json(struct ds_stats *st, enum ds_system s)
{
    json_t *o = json_object();
    for (int k = 0; k < DS_NSTATS; k++)
        json_object_set_new(o, stat_names[k], json_integer((json_int_t)ds_stats_get(st, s, k)));
    json_object_set_new(
        o, "in_flight",
        json_integer((json_int_t)atomic_load_explicit(&st->in_flight[s], memory_order_relaxed)));
    return o;
}
