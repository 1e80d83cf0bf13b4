/* The synthetic population: CPR ↔ index by a keyed permutation, and per-system records
 * generated on demand from splitmix64 streams. See population.h for the CPR space and
 * README.md for the distributions and their stated bounds. */
#include "cmd/deptsim/population.h"

#include "cmd/deptsim/cpr.h"
#include "cmd/deptsim/dates.h"
#include "cmd/deptsim/rng.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Slot space: every birth date from 1930-01-01 to 2023-12-31 times 400 sequence numbers. */
#define DAY_1930    (-14610) /* ds_days_from_civil(1930, 1, 1) */
#define DAY_2000    10957    /* ds_days_from_civil(2000, 1, 1) */
#define DAY_2024    19723    /* ds_days_from_civil(2024, 1, 1): Barnets Lov in force */
#define DAY_1937    (-12053) /* ds_days_from_civil(1937, 1, 1): first birth a child's 4 names */
#define DAY_2058    32142    /* ds_days_from_civil(2058, 1, 1): past the last one an 8 names */
#define SLOT_DAYS   (DAY_2024 - DAY_1930)
#define SEQ_PER_DAY 400u
#define SLOT_COUNT  ((uint64_t)SLOT_DAYS * SEQ_PER_DAY)
#define PERM_HALF   12 /* Feistel halves: 2^24 = 16.7 million >= SLOT_COUNT */
#define PERM_MASK   ((1u << PERM_HALF) - 1)

/* Streams of the per-citizen generators. */
enum { ST_PERM = 1, ST_CHECK, ST_BASE, ST_NAME, ST_CHILD, ST_SYS = 16 };

/* Identifiers and caseworkers of the demo citizens use this seed, never --seed, so the demo
 * citizens are byte-identical at every seed and size. */
#define DEMO_SEED 0x676c617370616465ULL /* "glaspade" */

/* Shares of the generator (README.md states the bounds the tests check). */
#define P_NONE       0.60  /* known to no system */
#define P_ONE        0.30  /* known to exactly one */
#define P_EXCLUDED   0.035 /* per known system: one excluded benefit type */
#define P_UNKNOWN    0.03  /* per case: a code the taxonomy does not know */
#define SEQ_NO_MOD11 100   /* 1 in 100 slots skips modulus 11 even when it exists */

static const unsigned system_weights[DS_NSYSTEMS] = {36, 16, 24, 16, 8};

/* ---- permutation and CPR digits --------------------------------------------------------- */

uint64_t ds_pop_slot_count(void)
{
    return SLOT_COUNT;
}

static uint32_t feistel_round(uint64_t key, int round, uint32_t half)
{
    return (uint32_t)ds_hash4(key, (uint64_t)round, half, ST_PERM) & PERM_MASK;
}

static uint32_t feistel_fwd(uint64_t key, uint32_t x)
{
    uint32_t l = x >> PERM_HALF, r = x & PERM_MASK;
    for (int round = 0; round < 4; round++) {
        uint32_t nl = r;
        r = l ^ feistel_round(key, round, r);
        l = nl;
    }
    return (l << PERM_HALF) | r;
}

static uint32_t feistel_inv(uint64_t key, uint32_t y)
{
    uint32_t l = y >> PERM_HALF, r = y & PERM_MASK;
    for (int round = 3; round >= 0; round--) {
        uint32_t nr = l;
        l = r ^ feistel_round(key, round, l);
        r = nr;
    }
    return (l << PERM_HALF) | r;
}

/* Cycle walking turns the permutation of 2^24 values into one of [0, SLOT_COUNT). */
uint64_t ds_pop_slot_of_index(const struct ds_population *p, uint64_t i)
{
    uint32_t x = (uint32_t)i;
    do
        x = feistel_fwd(p->key, x);
    while (x >= SLOT_COUNT);
    return x;
}

uint64_t ds_pop_index_of_slot(const struct ds_population *p, uint64_t slot)
{
    uint32_t x = (uint32_t)slot;
    do
        x = feistel_inv(p->key, x);
    while (x >= SLOT_COUNT);
    return x;
}

/* A CPR for the birth day and 7th-9th digits seq. The check digit is the modulus-11 digit for
 * ~90 % of numbers (where one exists, and in 99 of 100 cases), another digit otherwise:
 * numbers without modulus 11 are issued since 2007 and are valid (DESIGN.md). The callers
 * choose seq so that its 7th digit gives the birth year's century by the table; a number that
 * does not is a bug of ours. */
static void make_cpr(int day, unsigned seq, uint64_t h, char cpr[11])
{
    if (!ds_cpr_make(day, seq, h % SEQ_NO_MOD11 != 0, h >> 16, cpr)) {
        fprintf(stderr, "deptsim: no CPR for day %d with sequence %03u\n", day, seq);
        abort();
    }
}

static void slot_cpr(const struct ds_population *p, uint64_t slot, char cpr[11])
{
    int day = DAY_1930 + (int)(slot / SEQ_PER_DAY);
    unsigned seq = (unsigned)(slot % SEQ_PER_DAY) + (day >= DAY_2000 ? 400u : 0u);
    make_cpr(day, seq, ds_hash4(p->seed, slot, ST_CHECK, 0), cpr);
}

/* ---- demo citizens ---------------------------------------------------------------------- */

#define BIT(s) (1u << (s))

static const struct ds_demo_info demos[DS_DEMO_COUNT] = {
    {"1203849318", "Mette Lund Sørensen",
     "known to all five systems; mother of the demo child; pre-2024 family paragraphs",
     BIT(DS_JOBCENTRE) | BIT(DS_SOCIAL) | BIT(DS_HEALTH) | BIT(DS_REGION) | BIT(DS_FAMILY)},
    {"0507909301", "Jonas Frederiksen", "only a family case (his son Noah); CPR without modulus 11",
     BIT(DS_FAMILY)},
    {"2311629339", "Bent Kristiansen", "hundreds of records in every system (FHIR pages)",
     BIT(DS_JOBCENTRE) | BIT(DS_SOCIAL) | BIT(DS_HEALTH) | BIT(DS_REGION) | BIT(DS_FAMILY)},
    {"1402959302", "Sofie Mikkelsen",
     "colliding efforts: a course and a praktik start during døgnbehandling and an admission; "
     "CPR without modulus 11",
     BIT(DS_JOBCENTRE) | BIT(DS_SOCIAL) | BIT(DS_REGION)},
    {"3006489329", "Erik Poulsen",
     "pensioner with benefit types never to share (hjælpemidler, helbredstillæg, boligydelse, "
     "omsorgstandpleje) beside ordinary care",
     BIT(DS_SOCIAL) | BIT(DS_HEALTH) | BIT(DS_REGION)},
    {"1806109319", "Oliver Lund Sørensen",
     "child of Mette: a citizen himself (health, region) and a child in her family case",
     BIT(DS_HEALTH) | BIT(DS_REGION)},
};

const struct ds_demo_info *ds_demo(size_t i)
{
    return i < DS_DEMO_COUNT ? &demos[i] : NULL;
}

/* ---- population ------------------------------------------------------------------------- */

bool ds_population_init(struct ds_population *p, uint64_t seed, uint64_t size, int as_of)
{
    if (size > DS_MAX_SIZE)
        return false;
    p->seed = seed;
    p->size = size;
    p->as_of = as_of;
    p->key = ds_hash4(seed, 0x6b6579, ST_PERM, 0);
    return true;
}

uint64_t ds_pop_count(const struct ds_population *p)
{
    return DS_DEMO_COUNT + p->size;
}

bool ds_pop_cpr(const struct ds_population *p, uint64_t pos, char cpr[11])
{
    if (pos < DS_DEMO_COUNT) {
        memcpy(cpr, demos[pos].cpr, 11);
        return true;
    }
    if (pos >= ds_pop_count(p))
        return false;
    slot_cpr(p, ds_pop_slot_of_index(p, pos - DS_DEMO_COUNT), cpr);
    return true;
}

enum ds_find ds_pop_find(const struct ds_population *p, const char *cpr, size_t len, uint64_t *pos)
{
    struct ds_cpr c;
    if (!cpr || !ds_cpr_parse(cpr, len, &c))
        return DS_FIND_INVALID;
    for (size_t i = 0; i < DS_DEMO_COUNT; i++) {
        if (memcmp(c.digits, demos[i].cpr, 10) == 0) {
            *pos = i;
            return DS_FIND_OK;
        }
    }
    int day = c.day;
    unsigned seq =
        (unsigned)((c.digits[6] - '0') * 100 + (c.digits[7] - '0') * 10 + (c.digits[8] - '0'));
    if (day < DAY_1930 || day >= DAY_2024)
        return DS_FIND_UNKNOWN;
    if (day < DAY_2000) {
        if (seq >= 400)
            return DS_FIND_UNKNOWN;
    } else {
        if (seq < 400 || seq >= 800)
            return DS_FIND_UNKNOWN;
        seq -= 400;
    }
    uint64_t slot = (uint64_t)(day - DAY_1930) * SEQ_PER_DAY + seq;
    uint64_t i = ds_pop_index_of_slot(p, slot);
    if (i >= p->size)
        return DS_FIND_UNKNOWN;
    char expect[11];
    slot_cpr(p, slot, expect);
    if (memcmp(expect, c.digits, 10) != 0)
        return DS_FIND_UNKNOWN; /* same slot, another check digit: someone else */
    *pos = DS_DEMO_COUNT + i;
    return DS_FIND_OK;
}

static int birth_day_of(const char *cpr)
{
    struct ds_cpr c;
    return ds_cpr_parse(cpr, 10, &c) ? c.day : 0;
}

/* Whole years from birth to day. */
static int age_on(int birth, int day)
{
    int by, bm, bd, y, m, d;
    ds_civil_from_days(birth, &by, &bm, &bd);
    ds_civil_from_days(day, &y, &m, &d);
    int age = y - by;
    if (m < bm || (m == bm && d < bd))
        age--;
    return age;
}

/* The day someone born on birth turns years old (29 February → 1 March). */
static int birthday(int birth, int years)
{
    int y, m, d;
    ds_civil_from_days(birth, &y, &m, &d);
    int day = ds_days_from_civil(y + years, m, d);
    return day;
}

/* Which systems may know a citizen of that age at all. */
static unsigned systems_for_age(int age)
{
    unsigned m = BIT(DS_HEALTH) | BIT(DS_REGION);
    if (age >= 18 && age <= 66)
        m |= BIT(DS_JOBCENTRE);
    if (age >= 18)
        m |= BIT(DS_SOCIAL);
    if (age >= 20 && age <= 75)
        m |= BIT(DS_FAMILY);
    return m;
}

unsigned ds_pop_systems(const struct ds_population *p, uint64_t pos)
{
    if (pos < DS_DEMO_COUNT)
        return demos[pos].systems;
    if (pos >= ds_pop_count(p))
        return 0;
    uint64_t i = pos - DS_DEMO_COUNT;
    char cpr[11];
    slot_cpr(p, ds_pop_slot_of_index(p, i), cpr);
    struct ds_rng r;
    ds_rng_init(&r, p->seed, i, ST_BASE);
    double u = ds_rng_unit(&r);
    if (u < P_NONE)
        return 0;
    int k = 1;
    if (u >= P_NONE + P_ONE) {
        double v = ds_rng_unit(&r);
        k = v < 0.70 ? 2 : v < 0.90 ? 3 : v < 0.97 ? 4 : 5;
    }
    unsigned allowed = systems_for_age(age_on(birth_day_of(cpr), p->as_of));
    unsigned w[DS_NSYSTEMS], mask = 0;
    for (int s = 0; s < DS_NSYSTEMS; s++)
        w[s] = (allowed & BIT(s)) ? system_weights[s] : 0;
    for (int j = 0; j < k; j++) {
        unsigned total = 0;
        for (int s = 0; s < DS_NSYSTEMS; s++)
            total += w[s];
        if (total == 0)
            break;
        size_t s = ds_rng_weighted(&r, w, DS_NSYSTEMS);
        mask |= BIT(s);
        w[s] = 0;
    }
    return mask;
}

/* ---- record generation ------------------------------------------------------------------ */

struct gen {
    const struct ds_population *p;
    struct ds_rng r;
    struct ds_record *rec;
    unsigned mask; /* systems that know the citizen: lets one system's data echo another's */
    int age;       /* on the as-of date */
    int as_of;
    int richness; /* multiplier for item counts (1; the demo with hundreds of records: 3) */
};

#define MAX_KINDS 16

static bool kind_fits_age(const struct ds_kind *k, int age)
{
    if (age < 0 || (k->min_age == 0 && k->max_age == 0))
        return true;
    return age >= k->min_age && (k->max_age == 0 || age <= k->max_age);
}

/* A kind of catalogue cat for a citizen of that age: usually an ordinary one, with
 * probability P_UNKNOWN one the taxonomy does not know; never an excluded one (those are
 * added on purpose by add_excluded). Returns -1 when none fits. */
static int pick_kind(struct gen *g, const struct ds_catalogue *cat, int age, bool allow_unknown)
{
    unsigned w[MAX_KINDS] = {0};
    bool want_unknown = allow_unknown && ds_rng_chance(&g->r, P_UNKNOWN);
    unsigned total = 0;
    for (size_t i = 0; i < cat->n && i < MAX_KINDS; i++) {
        const struct ds_kind *k = &cat->kinds[i];
        if (k->flags & DS_K_EXCLUDED)
            continue;
        if (((k->flags & DS_K_UNKNOWN) != 0) != want_unknown)
            continue;
        if (!kind_fits_age(k, age))
            continue;
        w[i] = k->weight ? k->weight : 1;
        total += w[i];
    }
    if (total == 0)
        return want_unknown ? pick_kind(g, cat, age, false) : -1;
    return (int)ds_rng_weighted(&g->r, w, cat->n < MAX_KINDS ? cat->n : MAX_KINDS);
}

static int kind_index(enum ds_system s, int kind_or_case, const char *code)
{
    const struct ds_catalogue *cat = ds_catalogue(s, kind_or_case);
    for (size_t i = 0; i < cat->n; i++) {
        if (strcmp(cat->kinds[i].code, code) == 0)
            return (int)i;
    }
    fprintf(stderr, "deptsim: no kind %s in %s catalogue %d\n", code, ds_system_name(s),
            kind_or_case);
    abort(); /* a typo in the demo tables: a bug of ours */
}

static int n_spellings(const char *const *para, int max)
{
    int n = 0;
    while (n < max && para[n])
        n++;
    return n;
}

/* Mostly the usual spelling, sometimes another one the system also uses. */
static int pick_spelling(struct gen *g, const struct ds_kind *k)
{
    int n = n_spellings(k->para, 4);
    if (n <= 1 || ds_rng_chance(&g->r, 0.7))
        return 0;
    return ds_rng_range(&g->r, 1, n - 1);
}

static int case_count(struct gen *g)
{
    static const unsigned w[] = {60, 25, 10, 3, 1, 1};
    return 1 + (int)ds_rng_weighted(&g->r, w, 6);
}

/* Places case c (the j-th newest of the system, j = 0 the newest) in time. next_start is the
 * start of the next newer case; earliest the first day the citizen can have such a case. */
static bool place_case(struct gen *g, struct ds_case *c, const struct ds_kind *k, int j,
                       int next_start, int earliest, int limit)
{
    int dur = ds_rng_range(&g->r, k->min_days > 0 ? k->min_days : 30,
                           k->max_days > 0 ? k->max_days : 365);
    if (j == 0 && limit >= g->as_of) {
        double u = ds_rng_unit(&g->r);
        if (u < 0.10) { /* planned */
            c->start = g->as_of + ds_rng_range(&g->r, 7, 120);
            c->end = ds_rng_chance(&g->r, 0.5) ? c->start + dur : DS_NO_DATE;
        } else if (u < 0.65) { /* open */
            c->start = g->as_of - ds_rng_range(&g->r, 7, dur > 8 ? dur : 8);
            c->end =
                ds_rng_chance(&g->r, 0.35) ? g->as_of + ds_rng_range(&g->r, 14, 365) : DS_NO_DATE;
        } else { /* closed */
            c->end = g->as_of - ds_rng_range(&g->r, 1, 500);
            c->start = c->end - dur;
        }
    } else if (limit >= g->as_of && ds_rng_chance(&g->r, 0.12)) {
        /* an older case still running beside the newer one */
        c->start = next_start - ds_rng_range(&g->r, 30, 900);
        c->end = DS_NO_DATE;
    } else {
        int gap = ds_rng_range(&g->r, -60, 700); /* negative: overlapping efforts */
        c->end = next_start - gap;
        if (c->end >= limit)
            c->end = limit - ds_rng_range(&g->r, 1, 30);
        c->start = c->end - dur;
    }
    if (c->start < earliest) {
        if (j > 0)
            return false;
        /* The newest case always exists: a system that knows a citizen has a case. */
        c->start = earliest;
    }
    if (c->end != DS_NO_DATE && c->end < c->start)
        c->end = c->start;
    return true;
}

/* The window in which a case's items lie. */
static void case_window(const struct gen *g, const struct ds_case *c, int *ws, int *we)
{
    *ws = c->start;
    if (c->end != DS_NO_DATE)
        *we = c->end;
    else if (c->start > g->as_of)
        *we = c->start + 180;
    else
        *we = g->as_of + 120;
}

static void add_periods(struct gen *g, struct ds_case *c, enum ds_item_kind kind, int n)
{
    const struct ds_catalogue *cat = ds_catalogue(g->rec->sys, kind);
    int ws, we;
    case_window(g, c, &ws, &we);
    int t = ws + ds_rng_range(&g->r, 0, 30);
    for (int i = 0; i < n && t <= we; i++) {
        int type = pick_kind(g, cat, g->age, false);
        if (type < 0)
            return;
        const struct ds_kind *k = &cat->kinds[type];
        struct ds_item *it = ds_case_add_item(c, kind);
        it->type = type;
        it->start = t;
        it->end = (k->flags & DS_K_ONEDAY) ? t : t + ds_rng_range(&g->r, k->min_days, k->max_days);
        if (c->end != DS_NO_DATE && it->end > c->end)
            it->end = c->end;
        it->secs = ds_rng_range(&g->r, 32, 63) * 900; /* 08:00 .. 15:45 */
        it->variant = ds_rng_range(&g->r, 0, 9);
        t = ((k->flags & DS_K_ONEDAY) ? t + ds_rng_range(&g->r, 7, 60)
                                      : it->end + ds_rng_range(&g->r, -20, 60));
    }
}

static void add_document(struct gen *g, struct ds_case *c, int type)
{
    int ws, we;
    case_window(g, c, &ws, &we);
    int lo = ws - 14, hi = we < g->as_of ? we : g->as_of;
    if (hi < lo) { /* a planned case: its papers are written before it starts */
        hi = g->as_of;
        lo = g->as_of - 30;
    }
    struct ds_item *it = ds_case_add_item(c, DS_ITEM_DOCUMENT);
    it->type = type;
    it->start = ds_rng_range(&g->r, lo, hi);
    it->end = it->start;
    it->secs = ds_rng_range(&g->r, 30, 63) * 900 + ds_rng_range(&g->r, 0, 899);
    it->variant = ds_rng_range(&g->r, 0, 9);
}

static void add_documents(struct gen *g, struct ds_case *c, int n)
{
    const struct ds_catalogue *cat = ds_catalogue(g->rec->sys, DS_ITEM_DOCUMENT);
    for (int i = 0; i < n; i++) {
        int type = pick_kind(g, cat, g->age, false);
        if (type >= 0)
            add_document(g, c, type);
    }
}

static int small_count(struct gen *g, int max)
{
    static const unsigned w[] = {20, 30, 25, 15, 10};
    int n = (int)ds_rng_weighted(&g->r, w, 5);
    n *= g->richness;
    return n > max * g->richness ? max * g->richness : n;
}

static void fill_jobcentre(struct gen *g, struct ds_case *c)
{
    const struct ds_kind *ck = &ds_catalogue(DS_JOBCENTRE, DS_CAT_CASE)->kinds[c->type];
    /* The case's main benefit; an unknown forløb type carries the unknown benefit code. */
    struct ds_item *b = ds_case_add_item(c, DS_ITEM_BENEFIT);
    b->type = c->type < 8 ? c->type : kind_index(DS_JOBCENTRE, DS_ITEM_BENEFIT, "XYZ-99");
    b->start = c->start;
    b->end = c->end;
    if (ds_rng_chance(&g->r, P_UNKNOWN)) {
        struct ds_item *u = ds_case_add_item(c, DS_ITEM_BENEFIT);
        u->type = kind_index(DS_JOBCENTRE, DS_ITEM_BENEFIT, "XYZ-99");
        u->start = c->start + ds_rng_range(&g->r, 0, 60);
        u->end = u->start + ds_rng_range(&g->r, 30, 365);
        if (c->end != DS_NO_DATE && u->end > c->end)
            u->end = c->end;
    }
    add_periods(g, c, DS_ITEM_ACTIVITY, small_count(g, 4));
    add_documents(g, c, small_count(g, 4));
    /* Rehabilitation cases carry the GP's LÆ 265, more often when the region knows the
     * citizen too (the same certificate then shows in both systems). */
    if (strcmp(ck->code, "jobafklaringsforloeb") == 0 ||
        strcmp(ck->code, "ressourceforloeb") == 0 || strcmp(ck->code, "sygedagpenge") == 0) {
        if (ds_rng_chance(&g->r, (g->mask & BIT(DS_REGION)) ? 0.8 : 0.5))
            add_document(g, c, kind_index(DS_JOBCENTRE, DS_ITEM_DOCUMENT, "LÆ 265"));
    }
}

static void fill_health(struct gen *g, struct ds_case *c)
{
    const struct ds_kind *ck = &ds_catalogue(DS_HEALTH, DS_CAT_CASE)->kinds[c->type];
    const char *plan = NULL;
    if (!strcmp(ck->code, "SUL140") || !strcmp(ck->code, "SEL86"))
        plan = "genoptraeningsplan";
    else if (!strcmp(ck->code, "SUL138") || !strcmp(ck->code, "SEL83"))
        plan = "plejeplan";
    else if (!strcmp(ck->code, "SEL83A"))
        plan = "rehabiliteringsplan";
    else if (!strcmp(ck->code, "SUL119"))
        plan = "forebyggelsesplan";
    if (plan) {
        struct ds_item *cp = ds_case_add_item(c, DS_ITEM_CAREPLAN);
        cp->type = kind_index(DS_HEALTH, DS_ITEM_CAREPLAN, plan);
        cp->start = c->start;
        cp->end = c->end;
        cp->secs = ds_rng_range(&g->r, 32, 60) * 900;
        add_periods(g, c, DS_ITEM_ACTIVITY, 1 + small_count(g, 2));
    }
    add_documents(g, c, small_count(g, 3));
}

static void fill_region(struct gen *g, struct ds_case *c)
{
    const struct ds_kind *ck = &ds_catalogue(DS_REGION, DS_CAT_CASE)->kinds[c->type];
    int n = 1 + small_count(g, 4);
    add_periods(g, c, DS_ITEM_ENCOUNTER, n);
    /* Admissions: an inpatient episode gets one IMP encounter at its start. */
    if (!strcmp(ck->code, "PSYK-IND")) {
        struct ds_item *e = ds_case_add_item(c, DS_ITEM_ENCOUNTER);
        e->type = kind_index(DS_REGION, DS_ITEM_ENCOUNTER, "IMP");
        e->start = c->start;
        e->end = c->end != DS_NO_DATE ? c->end : DS_NO_DATE;
        e->secs = ds_rng_range(&g->r, 0, 95) * 900;
        add_document(g, c, kind_index(DS_REGION, DS_ITEM_DOCUMENT, "UDSKRIV"));
    }
    add_documents(g, c, small_count(g, 2));
    if ((g->mask & BIT(DS_JOBCENTRE)) && g->age >= 18 &&
        ds_rng_chance(&g->r, !strcmp(ck->code, "SUNDKOOR") ? 0.9 : 0.35))
        add_document(g, c, kind_index(DS_REGION, DS_ITEM_DOCUMENT, "LAE265"));
}

/* A case's last change: its newest date that is not in the future, at a working hour. */
static void set_modified(const struct gen *g, struct ds_case *c)
{
    int day = c->start;
    if (c->end != DS_NO_DATE && c->end > day)
        day = c->end;
    for (size_t i = 0; i < c->nitems; i++) {
        if (c->items[i].start > day && c->items[i].start <= g->as_of)
            day = c->items[i].start;
    }
    if (day > g->as_of)
        day = g->as_of - (int)(c->id % 30);
    c->modified_day = day;
    c->modified_secs = 8 * 3600 + (int)((c->id >> 8) % (8 * 3600));
}

static enum ds_status status_of(int start, int end, int as_of)
{
    if (start > as_of)
        return DS_PLANNED;
    if (end != DS_NO_DATE && end < as_of)
        return DS_CLOSED;
    return DS_OPEN;
}

/* Identifiers, statuses and modification times, the same way for generated and demo data. */
static void finalise(const struct gen *g)
{
    struct ds_record *rec = g->rec;
    for (size_t ci = 0; ci < rec->ncases; ci++) {
        struct ds_case *c = &rec->cases[ci];
        c->id = ds_hash4(rec->seed, rec->pos, ((uint64_t)rec->sys << 32) | ci, 0x1d);
        c->status = status_of(c->start, c->end, g->as_of);
        for (size_t ii = 0; ii < c->nitems; ii++) {
            struct ds_item *it = &c->items[ii];
            it->id = ds_hash4(rec->seed, rec->pos, ((uint64_t)rec->sys << 32) | ci, ii + 0x100);
            it->status = status_of(it->start, it->end, g->as_of);
            if (c->status == DS_CLOSED && it->status == DS_OPEN)
                it->status = DS_CLOSED;
        }
        set_modified(g, c);
    }
}

static void gen_cases(struct gen *g, int n)
{
    enum ds_system s = g->rec->sys;
    const struct ds_catalogue *cat = ds_catalogue(s, DS_CAT_CASE);
    int next_start = g->as_of;
    int earliest = birthday(g->rec->birth, s == DS_JOBCENTRE || s == DS_SOCIAL ? 18 : 0);
    for (int j = 0; j < n; j++) {
        int type = pick_kind(g, cat, g->age, true);
        if (type < 0 && j == 0)
            type = pick_kind(g, cat, -1, false); /* a known citizen always has a case */
        if (type < 0)
            break;
        struct ds_case *c = ds_record_add_case(g->rec);
        c->type = type;
        c->worker = ds_rng_below(&g->r, 400);
        c->variant = ds_rng_range(&g->r, 0, 9);
        c->para_variant = pick_spelling(g, &cat->kinds[type]);
        if (!place_case(g, c, &cat->kinds[type], j, next_start, earliest, g->as_of + 1)) {
            g->rec->ncases--; /* the citizen was too young for more history */
            free(c->items);
            break;
        }
        if (c->start < next_start)
            next_start = c->start;
        switch (s) {
        case DS_JOBCENTRE:
            fill_jobcentre(g, c);
            break;
        case DS_SOCIAL:
            add_documents(g, c, small_count(g, 4));
            break;
        case DS_HEALTH:
            fill_health(g, c);
            break;
        case DS_REGION:
            fill_region(g, c);
            break;
        default:
            break;
        }
    }
}

/* Children's CPR numbers: 7th digit 4 (born 1937-1999) or 8 (born 2000-2057), never used by
 * population members, so a child is never mistaken for an adult citizen. */
static void child_cpr(uint64_t h, int birth, char cpr[11])
{
    unsigned seq =
        (birth >= DAY_2000 ? 800u : 400u) + (unsigned)(h % 10) * 10 + (unsigned)((h / 10) % 10);
    make_cpr(birth, seq, h >> 8, cpr);
}

/* Family: the citizen as parent of 1-3 children, each with 1-3 measures while under 18,
 * written with Serviceloven paragraphs before 2024 and Barnets Lov after (and a few old ones
 * left unconverted on cases still open). */
static void gen_family(struct gen *g)
{
    struct ds_record *rec = g->rec;
    const struct ds_catalogue *cat = ds_catalogue(DS_FAMILY, DS_CAT_CASE);
    static const unsigned nw[] = {55, 35, 10};
    int nchildren = 1 + (int)ds_rng_weighted(&g->r, nw, 3);
    for (int ci = 0; ci < nchildren && rec->nchildren < DS_MAX_CHILDREN; ci++) {
        struct ds_child *ch = &rec->children[rec->nchildren];
        int lo = birthday(rec->birth, 18), hi = birthday(rec->birth, 42);
        if (hi > g->as_of - 60)
            hi = g->as_of - 60;
        if (hi < lo)
            lo = hi - 700;
        ch->birth = ds_rng_range(&g->r, lo, hi);
        /* Only an as-of date before 1937 or after 2057 reaches past the births a child's 7th
         * digit can express (child_cpr); keep such a child inside them. */
        if (ch->birth < DAY_1937)
            ch->birth = DAY_1937;
        if (ch->birth >= DAY_2058)
            ch->birth = DAY_2058 - 1;
        uint64_t h = ds_hash4(rec->seed, rec->pos, ST_CHILD, (uint64_t)ci);
        child_cpr(h, ch->birth, ch->cpr);
        char first[24], dummy[24];
        ds_person_name(h >> 3, (ch->cpr[9] - '0') % 2 == 0, first, sizeof first, dummy,
                       sizeof dummy);
        /* the child carries the parent's surname */
        const char *sp = strrchr(rec->name, ' ');
        snprintf(ch->name, sizeof ch->name, "%.23s %.38s", first, sp ? sp + 1 : rec->name);
        rec->nchildren++;

        int adult = birthday(ch->birth, 18);
        int limit = adult < g->as_of + 1 ? adult : g->as_of + 1;
        int n = 1 + (int)ds_rng_weighted(&g->r, nw, 3) * g->richness;
        int next_start = limit - 1;
        for (int j = 0; j < n; j++) {
            int type = pick_kind(g, cat, age_on(ch->birth, next_start), true);
            if (type < 0 || (cat->kinds[type].flags & DS_K_PARENT))
                break;
            struct ds_case *c = ds_record_add_case(rec);
            c->type = type;
            c->child = (int)rec->nchildren - 1;
            c->worker = ds_rng_below(&g->r, 400);
            c->variant = ds_rng_range(&g->r, 0, 9);
            c->para_variant = pick_spelling(g, &cat->kinds[type]);
            if (!place_case(g, c, &cat->kinds[type], j, next_start, ch->birth, limit)) {
                rec->ncases--;
                free(c->items);
                break;
            }
            if (c->start < next_start)
                next_start = c->start;
            c->new_paragraph =
                c->start >= DAY_2024 || (c->end == DS_NO_DATE && ds_rng_chance(&g->r, 0.3));
            add_documents(g, c, small_count(g, 3));
        }
    }
}

static void add_excluded(struct gen *g)
{
    struct ds_record *rec = g->rec;
    const struct ds_catalogue *cat = ds_catalogue(rec->sys, DS_CAT_CASE);
    if (rec->sys == DS_JOBCENTRE) {
        if (rec->ncases == 0)
            return;
        struct ds_case *c = &rec->cases[0];
        struct ds_item *b = ds_case_add_item(c, DS_ITEM_BENEFIT);
        b->type =
            kind_index(DS_JOBCENTRE, DS_ITEM_BENEFIT, ds_rng_chance(&g->r, 0.5) ? "BEF" : "EKY");
        b->start = c->start + ds_rng_range(&g->r, 0, 30);
        b->end = b->start + ds_rng_range(&g->r, 0, 90);
        return;
    }
    int candidates[MAX_KINDS], n = 0;
    for (size_t i = 0; i < cat->n && n < MAX_KINDS; i++) {
        const struct ds_kind *k = &cat->kinds[i];
        if (!(k->flags & DS_K_EXCLUDED))
            continue;
        if (rec->sys == DS_FAMILY && !(k->flags & DS_K_PARENT) && rec->nchildren == 0)
            continue;
        if (rec->sys != DS_FAMILY && !kind_fits_age(k, g->age))
            continue;
        candidates[n++] = (int)i;
    }
    if (n == 0)
        return;
    int type = candidates[ds_rng_below(&g->r, (uint32_t)n)];
    const struct ds_kind *k = &cat->kinds[type];
    struct ds_case *c = ds_record_add_case(rec);
    c->type = type;
    c->worker = ds_rng_below(&g->r, 400);
    c->variant = ds_rng_range(&g->r, 0, 9);
    c->start = g->as_of - ds_rng_range(&g->r, 10, 1500);
    c->end = (k->flags & DS_K_ONEDAY) || k->max_days <= 1
                 ? c->start
                 : (ds_rng_chance(&g->r, 0.6)
                        ? DS_NO_DATE
                        : c->start + ds_rng_range(&g->r, k->min_days, k->max_days));
    if (c->end != DS_NO_DATE && c->end > g->as_of)
        c->end = DS_NO_DATE;
    if (!strcmp(k->code, "SUL121")) { /* the health visitor comes in the first year of life */
        c->start = rec->birth + ds_rng_range(&g->r, 14, 300);
        c->end = c->start;
    }
    if (rec->sys == DS_FAMILY && !(k->flags & DS_K_PARENT))
        c->child = 0;
    c->new_paragraph = c->start >= DAY_2024;
}

static void init_record(const struct ds_population *p, uint64_t pos, enum ds_system s,
                        struct ds_record *out)
{
    memset(out, 0, sizeof *out);
    out->sys = s;
    out->pos = pos;
    out->demo = pos < DS_DEMO_COUNT;
    out->seed = out->demo ? DEMO_SEED : p->seed;
    ds_pop_cpr(p, pos, out->cpr);
    out->birth = birth_day_of(out->cpr);
    out->female = (out->cpr[9] - '0') % 2 == 0;
    if (out->demo) {
        snprintf(out->name, sizeof out->name, "%s", demos[pos].name);
    } else {
        char first[24], last[24];
        uint64_t h = ds_hash4(p->seed, pos - DS_DEMO_COUNT, ST_NAME, 0);
        ds_person_name(h, out->female, first, sizeof first, last, sizeof last);
        snprintf(out->name, sizeof out->name, "%s %s", first, last);
    }
}

static void gen_system(struct gen *g, int ncases)
{
    if (g->rec->sys == DS_FAMILY)
        gen_family(g);
    else
        gen_cases(g, ncases);
    if (!g->rec->demo && ds_rng_chance(&g->r, P_EXCLUDED))
        add_excluded(g);
}

static void gen_demo(struct gen *g); /* demo.c-like tables below */

bool ds_pop_generate(const struct ds_population *p, uint64_t pos, enum ds_system s,
                     struct ds_record *out)
{
    memset(out, 0, sizeof *out);
    unsigned mask = ds_pop_systems(p, pos);
    if ((int)s < 0 || s >= DS_NSYSTEMS || !(mask & BIT(s)))
        return false;
    init_record(p, pos, s, out);
    struct gen g = {.p = p, .rec = out, .mask = mask, .as_of = p->as_of, .richness = 1};
    g.age = age_on(out->birth, p->as_of);
    if (out->demo) {
        ds_rng_init(&g.r, DEMO_SEED, pos, ST_SYS + (uint64_t)s);
        gen_demo(&g);
    } else {
        ds_rng_init(&g.r, p->seed, pos - DS_DEMO_COUNT, ST_SYS + (uint64_t)s);
        gen_system(&g, case_count(&g));
    }
    finalise(&g);
    return true;
}

/* ---- the demo citizens' data ------------------------------------------------------------ */

static int dday(const char *ymd)
{
    int day = DS_NO_DATE;
    if (ymd && !ds_parse_date(ymd, &day)) {
        fprintf(stderr, "deptsim: bad demo date %s\n", ymd);
        abort();
    }
    return day;
}

static struct ds_case *dcase(struct gen *g, const char *code, const char *start, const char *end,
                             uint32_t worker)
{
    struct ds_case *c = ds_record_add_case(g->rec);
    c->type = kind_index(g->rec->sys, DS_CAT_CASE, code);
    c->start = dday(start);
    c->end = end ? dday(end) : DS_NO_DATE;
    c->worker = worker;
    c->new_paragraph = c->start >= DAY_2024;
    return c;
}

static struct ds_item *ditem(struct gen *g, struct ds_case *c, enum ds_item_kind kind,
                             const char *code, const char *start, const char *end, int hhmm)
{
    struct ds_item *it = ds_case_add_item(c, kind);
    it->type = kind_index(g->rec->sys, (int)kind, code);
    it->start = dday(start);
    it->end = kind == DS_ITEM_DOCUMENT ? it->start : end ? dday(end) : DS_NO_DATE;
    it->secs = (hhmm / 100) * 3600 + (hhmm % 100) * 60;
    return it;
}

static void add_child(struct ds_record *rec, const char *cpr, const char *name)
{
    struct ds_child *ch = &rec->children[rec->nchildren++];
    snprintf(ch->cpr, sizeof ch->cpr, "%s", cpr);
    snprintf(ch->name, sizeof ch->name, "%s", name);
    ch->birth = birth_day_of(cpr);
}

/* Mette Lund Sørensen: in a ressourceforløb after sygedagpenge and jobafklaring, with bostøtte,
 * past genoptræning, ambulant psychiatry, and two children in the family department. */
static void demo_mette(struct gen *g)
{
    struct ds_case *c;
    switch (g->rec->sys) {
    case DS_JOBCENTRE:
        c = dcase(g, "ressourceforloeb", "2025-02-03", NULL, 17);
        ditem(g, c, DS_ITEM_BENEFIT, "RFY", "2025-02-03", NULL, 0);
        ditem(g, c, DS_ITEM_ACTIVITY, "mentor", "2025-03-01", "2026-02-28", 0);
        ditem(g, c, DS_ITEM_ACTIVITY, "praktik", "2026-09-01", "2026-11-30", 0);
        ditem(g, c, DS_ITEM_ACTIVITY, "kursus", "2026-12-01", "2027-01-15", 0);
        ditem(g, c, DS_ITEM_DOCUMENT, "indstilling", "2025-01-15", NULL, 1030);
        ditem(g, c, DS_ITEM_DOCUMENT, "min_plan", "2025-02-10", NULL, 900);
        ditem(g, c, DS_ITEM_DOCUMENT, "journalnotat", "2026-10-14", NULL, 1345);
        c = dcase(g, "jobafklaringsforloeb", "2024-05-01", "2025-02-02", 17);
        ditem(g, c, DS_ITEM_BENEFIT, "JAY", "2024-05-01", "2025-02-02", 0);
        ditem(g, c, DS_ITEM_ACTIVITY, "jobsamtale", "2024-05-14", "2024-05-14", 0);
        ditem(g, c, DS_ITEM_DOCUMENT, "LÆ 265", "2024-11-20", NULL, 1115);
        c = dcase(g, "sygedagpenge", "2023-05-01", "2024-04-30", 112);
        ditem(g, c, DS_ITEM_BENEFIT, "SDP", "2023-05-01", "2024-04-30", 0);
        ditem(g, c, DS_ITEM_DOCUMENT, "journalnotat", "2023-05-03", NULL, 1000);
        break;
    case DS_SOCIAL:
        c = dcase(g, "SEL85", "2024-09-01", NULL, 23);
        ditem(g, c, DS_ITEM_DOCUMENT, "Afgørelse", "2024-08-20", NULL, 1400);
        ditem(g, c, DS_ITEM_DOCUMENT, "Handleplan", "2024-09-15", NULL, 1000);
        c = dcase(g, "SEL99", "2022-03-01", "2023-08-31", 61);
        c->para_variant = 1; /* "Servicelovens § 99" */
        ditem(g, c, DS_ITEM_DOCUMENT, "Statusnotat", "2023-08-30", NULL, 1500);
        break;
    case DS_HEALTH:
        c = dcase(g, "SUL140", "2025-05-12", "2025-08-29", 5);
        ditem(g, c, DS_ITEM_CAREPLAN, "genoptraeningsplan", "2025-05-12", "2025-08-29", 900);
        ditem(g, c, DS_ITEM_ACTIVITY, "genoptraening-hold", "2025-05-19", "2025-08-29", 0);
        ditem(g, c, DS_ITEM_DOCUMENT, "gop", "2025-05-09", NULL, 1320);
        break;
    case DS_REGION:
        c = dcase(g, "PSYK-AMB", "2024-06-10", NULL, 8);
        ditem(g, c, DS_ITEM_ENCOUNTER, "AMB", "2024-06-10", "2024-06-10", 930);
        ditem(g, c, DS_ITEM_ENCOUNTER, "AMB", "2025-01-13", "2025-01-13", 1000);
        ditem(g, c, DS_ITEM_ENCOUNTER, "VR", "2026-10-19", "2026-10-19", 1100);
        ditem(g, c, DS_ITEM_ENCOUNTER, "AMB", "2026-11-23", "2026-11-23", 1000);
        ditem(g, c, DS_ITEM_DOCUMENT, "AMBNOTAT", "2026-10-19", NULL, 1140);
        c = dcase(g, "SUNDKOOR", "2024-12-01", "2025-01-20", 30);
        ditem(g, c, DS_ITEM_DOCUMENT, "LAE265", "2024-11-20", NULL, 1115);
        ditem(g, c, DS_ITEM_DOCUMENT, "SKUDT", "2025-01-14", NULL, 1300);
        break;
    case DS_FAMILY:
        add_child(g->rec, "1806109319", "Oliver Lund Sørensen");
        add_child(g->rec, "0309159306", "Ida Lund Sørensen");
        c = dcase(g, "UNDERSOEGELSE", "2023-02-01", "2023-06-30", 40);
        c->child = 0;
        ditem(g, c, DS_ITEM_DOCUMENT, "UNDERSOEGELSE", "2023-06-28", NULL, 1400);
        /* Opened under Serviceloven, still open, never converted: the taxonomy must map it. */
        c = dcase(g, "FAMILIEBEHANDLING", "2023-08-01", NULL, 40);
        c->child = 0;
        ditem(g, c, DS_ITEM_DOCUMENT, "HANDLEPLAN", "2023-08-10", NULL, 1000);
        c = dcase(g, "KONTAKTPERSON", "2024-09-01", NULL, 41);
        c->child = 0;
        c = dcase(g, "AFLASTNING", "2021-03-01", "2022-02-28", 40);
        c->child = 1;
        c = dcase(g, "FOREBYGGENDE", "2026-12-01", NULL, 41);
        c->child = 1;
        break;
    default:
        break;
    }
}

static void demo_jonas(struct gen *g)
{
    if (g->rec->sys != DS_FAMILY)
        return;
    add_child(g->rec, "1404199301", "Noah Frederiksen");
    struct ds_case *c = dcase(g, "UNDERSOEGELSE", "2026-09-15", NULL, 77);
    c->child = 0;
    c->para_variant = 1; /* "BL § 20" */
    ditem(g, c, DS_ITEM_DOCUMENT, "JOURNALNOTAT", "2026-09-15", NULL, 1010);
}

/* Sofie Mikkelsen: døgnbehandling from 1 September to 15 December 2026; the job centre
 * starts a course on 5 October and a praktik on 2 November, and the region admits her
 * from 20 October to 3 November. Three departments, three plans, one person. */
static void demo_sofie(struct gen *g)
{
    struct ds_case *c;
    switch (g->rec->sys) {
    case DS_JOBCENTRE:
        c = dcase(g, "uddannelseshjaelp", "2025-04-01", NULL, 203);
        ditem(g, c, DS_ITEM_BENEFIT, "UH", "2025-04-01", NULL, 0);
        ditem(g, c, DS_ITEM_ACTIVITY, "kursus", "2026-10-05", "2026-12-18", 0);
        ditem(g, c, DS_ITEM_ACTIVITY, "praktik", "2026-11-02", "2027-01-29", 0);
        ditem(g, c, DS_ITEM_ACTIVITY, "mentor", "2025-06-01", "2026-12-31", 0);
        ditem(g, c, DS_ITEM_DOCUMENT, "min_plan", "2026-09-20", NULL, 1000);
        break;
    case DS_SOCIAL:
        c = dcase(g, "SEL101D", "2026-09-01", "2026-12-15", 230);
        ditem(g, c, DS_ITEM_DOCUMENT, "Afgørelse", "2026-08-25", NULL, 1130);
        c = dcase(g, "SEL101", "2025-11-01", "2026-08-31", 231);
        c->para_variant = 2; /* "Servicelovens § 101" */
        break;
    case DS_REGION:
        c = dcase(g, "PSYK-IND", "2026-10-20", "2026-11-03", 9);
        ditem(g, c, DS_ITEM_ENCOUNTER, "IMP", "2026-10-20", "2026-11-03", 2215);
        ditem(g, c, DS_ITEM_DOCUMENT, "UDSKRIV", "2026-11-03", NULL, 1100);
        break;
    default:
        break;
    }
}

/* Erik Poulsen, 78: the benefit types never to share sit beside ordinary care. */
static void demo_erik(struct gen *g)
{
    struct ds_case *c;
    switch (g->rec->sys) {
    case DS_SOCIAL:
        c = dcase(g, "SEL112", "2025-03-10", "2025-03-10", 300);
        ditem(g, c, DS_ITEM_DOCUMENT, "Afgørelse", "2025-03-10", NULL, 1200);
        dcase(g, "PL14A", "2022-07-01", NULL, 301);
        dcase(g, "BOLIG", "2019-01-01", NULL, 301);
        break;
    case DS_HEALTH:
        c = dcase(g, "SEL83", "2024-04-15", NULL, 11);
        ditem(g, c, DS_ITEM_CAREPLAN, "plejeplan", "2024-04-15", NULL, 900);
        ditem(g, c, DS_ITEM_ACTIVITY, "personlig-pleje", "2024-04-15", NULL, 0);
        ditem(g, c, DS_ITEM_DOCUMENT, "funktionsevne", "2024-04-10", NULL, 1030);
        dcase(g, "SUL131", "2023-01-09", NULL, 12);
        break;
    case DS_REGION:
        c = dcase(g, "SOM", "2025-01-06", "2025-03-14", 31);
        ditem(g, c, DS_ITEM_ENCOUNTER, "IMP", "2025-01-06", "2025-01-10", 1420);
        ditem(g, c, DS_ITEM_ENCOUNTER, "AMB", "2025-03-14", "2025-03-14", 900);
        ditem(g, c, DS_ITEM_DOCUMENT, "EPIKRISE", "2025-01-10", NULL, 1500);
        break;
    default:
        break;
    }
}

static void demo_oliver(struct gen *g)
{
    struct ds_case *c;
    switch (g->rec->sys) {
    case DS_HEALTH:
        c = dcase(g, "SUL140", "2026-10-12", "2026-12-18", 6);
        ditem(g, c, DS_ITEM_CAREPLAN, "genoptraeningsplan", "2026-10-12", "2026-12-18", 1000);
        ditem(g, c, DS_ITEM_ACTIVITY, "genoptraening-individuel", "2026-10-14", "2026-12-18", 0);
        break;
    case DS_REGION:
        c = dcase(g, "PSYK-AMB", "2025-09-01", NULL, 14);
        ditem(g, c, DS_ITEM_ENCOUNTER, "AMB", "2025-09-01", "2025-09-01", 1300);
        ditem(g, c, DS_ITEM_ENCOUNTER, "AMB", "2026-10-26", "2026-10-26", 1300);
        ditem(g, c, DS_ITEM_DOCUMENT, "AMBNOTAT", "2026-10-26", NULL, 1410);
        break;
    default:
        break;
    }
}

/* Bent Kristiansen: a long life in the systems, built by the ordinary generator with many
 * more cases and items, from a fixed seed. */
static void demo_bent(struct gen *g)
{
    static const int ncases[DS_NSYSTEMS] = {25, 12, 14, 22, 6};
    g->richness = 3;
    gen_system(g, ncases[g->rec->sys]);
}

static void gen_demo(struct gen *g)
{
    switch (g->rec->pos) {
    case 0:
        demo_mette(g);
        break;
    case 1:
        demo_jonas(g);
        break;
    case 2:
        demo_bent(g);
        break;
    case 3:
        demo_sofie(g);
        break;
    case 4:
        demo_erik(g);
        break;
    case 5:
        demo_oliver(g);
        break;
    default:
        break;
    }
}
