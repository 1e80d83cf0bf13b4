#include "lib/federation/classcache.h"

#include "lib/core/alloc.h"

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The key as one string "source\x1fcode\x1flegal\x1fdate": the unit separator never occurs in
 * an identifier, a code or a date, and a longer key than fits is simply not cached. */
#define KEY_MAX 256

struct entry {
    bool used;
    double stored_at;
    char key[KEY_MAX];
    struct gp_class_value v;
};

struct gp_classcache {
    pthread_mutex_t lock;
    size_t mask;
    int ttl_s;
    unsigned long long hits, misses;
    struct entry *slots;
};

static bool make_key(const struct gp_class_key *k, char *out)
{
    int n = snprintf(out, KEY_MAX, "%s\x1f%s\x1f%s\x1f%s", k->source_id,
                     k->source_code ? k->source_code : "",
                     k->legal_basis_raw ? k->legal_basis_raw : "", k->on_date ? k->on_date : "");
    return n > 0 && n < KEY_MAX;
}

/* FNV-1a, 64 bits. */
static uint64_t hash(const char *s)
{
    uint64_t h = 14695981039346656037ull;
    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ull;
    }
    return h;
}

struct gp_classcache *gp_classcache_create(size_t slots, int ttl_s)
{
    size_t n = 64;
    while (n < slots)
        n <<= 1;
    struct gp_classcache *cc = gp_xcalloc(1, sizeof *cc);
    pthread_mutex_init(&cc->lock, NULL);
    cc->mask = n - 1;
    cc->ttl_s = ttl_s;
    cc->slots = gp_xcalloc(n, sizeof *cc->slots);
    return cc;
}

void gp_classcache_destroy(struct gp_classcache *cc)
{
    if (!cc)
        return;
    pthread_mutex_destroy(&cc->lock);
    free(cc->slots);
    free(cc);
}

bool gp_classcache_get(struct gp_classcache *cc, const struct gp_class_key *key, double now_s,
                       struct gp_class_value *out)
{
    char k[KEY_MAX];
    if (!make_key(key, k))
        return false;
    bool hit = false;
    pthread_mutex_lock(&cc->lock);
    const struct entry *e = &cc->slots[hash(k) & cc->mask];
    if (e->used && now_s - e->stored_at < cc->ttl_s && now_s >= e->stored_at &&
        !strcmp(e->key, k)) {
        *out = e->v;
        hit = true;
    }
    if (hit)
        cc->hits++;
    else
        cc->misses++;
    pthread_mutex_unlock(&cc->lock);
    return hit;
}

void gp_classcache_put(struct gp_classcache *cc, const struct gp_class_key *key, double now_s,
                       const struct gp_class_value *v)
{
    char k[KEY_MAX];
    if (!make_key(key, k))
        return;
    pthread_mutex_lock(&cc->lock);
    struct entry *e = &cc->slots[hash(k) & cc->mask];
    e->used = true;
    e->stored_at = now_s;
    memcpy(e->key, k, sizeof e->key);
    e->v = *v;
    pthread_mutex_unlock(&cc->lock);
}

void gp_classcache_stats(struct gp_classcache *cc, unsigned long long *hits,
                         unsigned long long *misses)
{
    pthread_mutex_lock(&cc->lock);
    *hits = cc->hits;
    *misses = cc->misses;
    pthread_mutex_unlock(&cc->lock);
}
