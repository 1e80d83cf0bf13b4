/* The synthetic population: a deterministic set of citizens from (seed, size), generated one
 * citizen at a time on demand, so memory stays flat at any size.
 *
 * Positions: 0 .. DS_DEMO_COUNT-1 are the fixed demo citizens (the same at every size and seed);
 * DS_DEMO_COUNT + i is generated citizen i, i in [0, size). Citizen i's CPR comes from a keyed
 * permutation of i over a space of "slots" (birth date × sequence digits), so CPR → i is the
 * inverse permutation: no table, O(1) both ways. Everything about citizen i derives from
 * splitmix64 streams seeded by (seed, i, stream). The population at size N is a prefix of the
 * population at size M > N for the same seed.
 *
 * CPR space (7th digit, the century rule of DESIGN.md):
 *   generated citizens  born 1930-1999: 7th digit 0-3;  born 2000-2023: 7th digit 4-7
 *   demo citizens       7th digit 9 (born 1937-1999 → 19YY; born 2000-2036 → 20YY)
 *   generated children  7th digit 4 when born 1937-1999, 8 when born 2000 or later
 * so the four groups never collide. Children in family cases are not population members
 * (except the demo child); looking one up answers "unknown". */
#ifndef DS_POPULATION_H
#define DS_POPULATION_H

#include "cmd/deptsim/model.h"

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define DS_MAX_SIZE   10000000ULL /* generated citizens; the slot space holds 13.7 million */
#define DS_DEMO_COUNT 6

struct ds_population {
    uint64_t seed;
    uint64_t size; /* generated citizens, excluding the demo citizens */
    int as_of;     /* the simulated "today" as a day number: open/closed/planned relative to it */
    uint64_t key;  /* permutation key, derived from seed */
};

/* Default as-of date: fixed, so the population is a function of seed and size alone. */
#define DS_DEFAULT_AS_OF "2026-11-01"

/* size <= DS_MAX_SIZE, else false. */
bool ds_population_init(struct ds_population *p, uint64_t seed, uint64_t size, int as_of);

/* Number of positions: DS_DEMO_COUNT + size. */
uint64_t ds_pop_count(const struct ds_population *p);

/* The CPR (10 digits) of position pos; false when pos >= ds_pop_count(p). */
bool ds_pop_cpr(const struct ds_population *p, uint64_t pos, char cpr[11]);

enum ds_find {
    DS_FIND_OK = 0,  /* a population member; *pos set */
    DS_FIND_UNKNOWN, /* a valid CPR that is not in the population */
    DS_FIND_INVALID, /* not a valid CPR (cpr.h: DESIGN.md's rules) */
};

/* Looks a CPR up ("DDMMYYSSSS" or "DDMMYY-SSSS", len bytes). */
enum ds_find ds_pop_find(const struct ds_population *p, const char *cpr, size_t len, uint64_t *pos);

/* Bit set of systems (1u << ds_system) that know position pos. Cheap: no record is built. */
unsigned ds_pop_systems(const struct ds_population *p, uint64_t pos);

/* Builds what system s knows of position pos into *out (which the caller frees with
 * ds_record_free). Returns false, with *out empty, when s does not know the citizen. */
bool ds_pop_generate(const struct ds_population *p, uint64_t pos, enum ds_system s,
                     struct ds_record *out);

/* The slot permutation, exposed for tests: index i < size ↔ slot. */
uint64_t ds_pop_slot_of_index(const struct ds_population *p, uint64_t i);
uint64_t ds_pop_index_of_slot(const struct ds_population *p, uint64_t slot);
uint64_t ds_pop_slot_count(void);

/* The demo citizens, documented in cmd/deptsim/README.md. */
struct ds_demo_info {
    const char *cpr; /* 10 digits */
    const char *name;
    const char *role; /* one line: why this citizen exists */
    unsigned systems; /* bit set of systems that know them */
};
const struct ds_demo_info *ds_demo(size_t i); /* i < DS_DEMO_COUNT */

/* A valid CPR that no system knows, at every size and seed. */
#define DS_DEMO_UNKNOWN_CPR "0101759994"

#endif
