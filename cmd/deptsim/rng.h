/* Deterministic pseudo-random numbers for the simulators.
 *
 * Everything about a citizen derives from a small generator seeded by (seed, citizen, stream),
 * so any citizen can be generated alone, in any order, from any thread, with no global state.
 * splitmix64 is used because it is tiny, fast, passes BigCrush when used as a stream, and
 * makes a good hash finaliser for building seeds out of several integers. */
#ifndef DS_RNG_H
#define DS_RNG_H

#include <stddef.h>
#include <stdint.h>
#include <stdbool.h>

struct ds_rng {
    uint64_t state;
};

/* splitmix64's finaliser: a bijective 64-bit mix. */
static inline uint64_t ds_mix64(uint64_t z)
{
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

/* A hash of up to four integers; different argument orders give unrelated values. */
static inline uint64_t ds_hash4(uint64_t a, uint64_t b, uint64_t c, uint64_t d)
{
    uint64_t h = ds_mix64(a + 0x9e3779b97f4a7c15ULL);
    h = ds_mix64(h ^ (b + 0x632be59bd9b4e019ULL));
    h = ds_mix64(h ^ (c + 0x85157af5ULL));
    return ds_mix64(h ^ (d + 0x2545f4914f6cdd1dULL));
}

static inline void ds_rng_init(struct ds_rng *r, uint64_t a, uint64_t b, uint64_t c)
{
    r->state = ds_hash4(a, b, c, 0x5eed);
}

static inline uint64_t ds_rng_next(struct ds_rng *r)
{
    r->state += 0x9e3779b97f4a7c15ULL;
    return ds_mix64(r->state);
}

/* Uniform in [0, n); n > 0. Lemire's multiply-shift: the bias is below 2^-32, irrelevant here. */
static inline uint32_t ds_rng_below(struct ds_rng *r, uint32_t n)
{
    return (uint32_t)(((ds_rng_next(r) >> 32) * (uint64_t)n) >> 32);
}

/* Uniform in [lo, hi], inclusive; lo <= hi. */
static inline int ds_rng_range(struct ds_rng *r, int lo, int hi)
{
    return lo + (int)ds_rng_below(r, (uint32_t)(hi - lo + 1));
}

/* Uniform in [0, 1). */
static inline double ds_rng_unit(struct ds_rng *r)
{
    return (double)(ds_rng_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static inline bool ds_rng_chance(struct ds_rng *r, double p)
{
    return ds_rng_unit(r) < p;
}

/* Index drawn with probability proportional to w[i]; the weights must not all be zero. */
size_t ds_rng_weighted(struct ds_rng *r, const unsigned *w, size_t n);

#endif
