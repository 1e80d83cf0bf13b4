/* deptsim's population generator: determinism, index <-> CPR, CPR validity, the stated
 * distributions (cmd/deptsim/README.md), on-demand generation at 1,000,000, stable demo
 * citizens and unknown CPR handling. No I/O. */
#include "cmd/deptsim/dates.h"
#include "cmd/deptsim/population.h"
#include "cmd/deptsim/render.h"
#include "lib/core/cpr.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define MILLION 1000000ULL

static int as_of(void)
{
    int d;
    ck_assert(ds_parse_date(DS_DEFAULT_AS_OF, &d));
    return d;
}

static void pop_init(struct ds_population *p, uint64_t seed, uint64_t size)
{
    ck_assert(ds_population_init(p, seed, size, as_of()));
}

/* The native JSON of what system s knows of pos ("" when nothing), malloc'd. */
static char *render(const struct ds_population *p, uint64_t pos, enum ds_system s)
{
    struct ds_record r;
    if (!ds_pop_generate(p, pos, s, &r))
        return strdup("");
    json_t *j = NULL;
    switch (s) {
    case DS_JOBCENTRE:
        j = ds_render_momentum(&r);
        break;
    case DS_SOCIAL:
        j = ds_render_sensum(&r, NULL);
        break;
    case DS_FAMILY:
        j = ds_render_dubu(&r, NULL);
        break;
    default:
        j = json_array();
        for (int t = 0; t < DS_FHIR_NTYPES; t++)
            ds_fhir_resources(&r, (enum ds_fhir_type)t, j);
        break;
    }
    ds_record_free(&r);
    char *s_out = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    ck_assert_ptr_nonnull(s_out);
    return s_out;
}

static unsigned popcount(unsigned m)
{
    unsigned n = 0;
    for (; m; m &= m - 1)
        n++;
    return n;
}

/* ---- dates ------------------------------------------------------------------------------ */

START_TEST(test_dates)
{
    for (int day = ds_days_from_civil(1900, 1, 1); day < ds_days_from_civil(2100, 1, 1); day++) {
        int y, m, d;
        ds_civil_from_days(day, &y, &m, &d);
        ck_assert_int_eq(ds_days_from_civil(y, m, d), day);
    }
    ck_assert_int_eq(ds_days_from_civil(1970, 1, 1), 0);
    ck_assert_int_eq(ds_days_from_civil(2024, 1, 1), 19723);
    /* Danish summer time 2024: 31 March 02:00 to 27 October 03:00. */
    ck_assert_int_eq(ds_dk_offset_minutes(ds_days_from_civil(2024, 3, 30), 43200), 60);
    ck_assert_int_eq(ds_dk_offset_minutes(ds_days_from_civil(2024, 3, 31), 3600), 60);
    ck_assert_int_eq(ds_dk_offset_minutes(ds_days_from_civil(2024, 3, 31), 3 * 3600), 120);
    ck_assert_int_eq(ds_dk_offset_minutes(ds_days_from_civil(2024, 7, 1), 0), 120);
    ck_assert_int_eq(ds_dk_offset_minutes(ds_days_from_civil(2024, 10, 27), 2 * 3600), 120);
    ck_assert_int_eq(ds_dk_offset_minutes(ds_days_from_civil(2024, 10, 27), 4 * 3600), 60);
    /* Local midnight 1 January 2024 = 23:00 UTC the evening before. */
    ck_assert_int_eq(ds_dk_epoch(ds_days_from_civil(2024, 1, 1), 0), 1704063600);
    char buf[32];
    ds_fmt_dk_offset(ds_days_from_civil(2024, 9, 1), 0, buf);
    ck_assert_str_eq(buf, "2024-09-01T00:00:00+02:00");
    ds_fmt_utc_ms(ds_days_from_civil(2024, 1, 1), 3600 + 61, buf);
    ck_assert_str_eq(buf, "2024-01-01T00:01:01.000Z");
    ds_fmt_dk_naive(ds_days_from_civil(2026, 11, 1), 45296, buf);
    ck_assert_str_eq(buf, "2026-11-01T12:34:56");
    int d;
    ck_assert(!ds_parse_date("2023-02-29", &d));
    ck_assert(ds_parse_date("2024-02-29", &d));
    ck_assert(!ds_parse_date("2024-2-29", &d));
}
END_TEST

/* ---- index <-> CPR ---------------------------------------------------------------------- */

START_TEST(test_slot_permutation_round_trip)
{
    struct ds_population p;
    for (uint64_t seed = 1; seed <= 3; seed++) {
        pop_init(&p, seed * 7919, MILLION);
        for (uint64_t i = 0; i < MILLION; i += 13) {
            uint64_t slot = ds_pop_slot_of_index(&p, i);
            ck_assert_uint_lt(slot, ds_pop_slot_count());
            ck_assert_uint_eq(ds_pop_index_of_slot(&p, slot), i);
        }
    }
    ck_assert_uint_gt(ds_pop_slot_count(), DS_MAX_SIZE);
}
END_TEST

/* Every position of a 1,000,000 population: a valid CPR that looks up to that position, so
 * the mapping is a bijection and every number is valid by lib/cpr.h. */
START_TEST(test_cpr_round_trip_million)
{
    struct ds_population p;
    pop_init(&p, 42, MILLION);
    uint64_t no_mod11 = 0, women = 0;
    char cpr[11];
    for (uint64_t pos = 0; pos < ds_pop_count(&p); pos++) {
        ck_assert(ds_pop_cpr(&p, pos, cpr));
        struct gp_cpr c;
        ck_assert_int_eq(gp_cpr_parse(cpr, 10, &c), GP_CPR_OK);
        no_mod11 += !c.modulus11;
        women += c.female;
        uint64_t back = UINT64_MAX;
        ck_assert_int_eq(ds_pop_find(&p, cpr, 10, &back), DS_FIND_OK);
        ck_assert_uint_eq(back, pos);
        if (pos % 1000 == 0) { /* the hyphenated form finds the same citizen */
            char hy[12];
            memcpy(hy, cpr, 6);
            hy[6] = '-';
            memcpy(hy + 7, cpr + 6, 5);
            ck_assert_int_eq(ds_pop_find(&p, hy, 11, &back), DS_FIND_OK);
            ck_assert_uint_eq(back, pos);
        }
    }
    ck_assert(!ds_pop_cpr(&p, ds_pop_count(&p), cpr));
    /* About 1 in 10 without modulus 11 (README: 8-12 %), sexes balanced (45-55 %). */
    ck_assert_uint_ge(no_mod11, MILLION * 8 / 100);
    ck_assert_uint_le(no_mod11, MILLION * 12 / 100);
    ck_assert_uint_ge(women, MILLION * 45 / 100);
    ck_assert_uint_le(women, MILLION * 55 / 100);
}
END_TEST

START_TEST(test_unknown_and_invalid)
{
    struct ds_population small, big;
    pop_init(&small, 5, 1000);
    pop_init(&big, 5, MILLION);
    uint64_t pos;
    ck_assert_int_eq(ds_pop_find(&small, DS_DEMO_UNKNOWN_CPR, 10, &pos), DS_FIND_UNKNOWN);
    ck_assert_int_eq(ds_pop_find(&big, DS_DEMO_UNKNOWN_CPR, 10, &pos), DS_FIND_UNKNOWN);
    ck_assert_int_eq(ds_pop_find(&small, "3213849318", 10, &pos), DS_FIND_INVALID);
    ck_assert_int_eq(ds_pop_find(&small, "120384931", 9, &pos), DS_FIND_INVALID);
    ck_assert_int_eq(ds_pop_find(&small, "12038-49318", 11, &pos), DS_FIND_INVALID);
    ck_assert_int_eq(ds_pop_find(&small, "abcdefghij", 10, &pos), DS_FIND_INVALID);
    ck_assert_int_eq(ds_pop_find(&small, NULL, 0, &pos), DS_FIND_INVALID);
    /* A citizen of the big population beyond the small one's size is unknown there. */
    char cpr[11];
    ck_assert(ds_pop_cpr(&big, DS_DEMO_COUNT + 500000, cpr));
    ck_assert_int_eq(ds_pop_find(&big, cpr, 10, &pos), DS_FIND_OK);
    ck_assert_int_eq(ds_pop_find(&small, cpr, 10, &pos), DS_FIND_UNKNOWN);
    /* Same slot, another check digit: someone else, unknown. */
    ck_assert(ds_pop_cpr(&small, DS_DEMO_COUNT + 10, cpr));
    cpr[9] = cpr[9] == '9' ? '0' : (char)(cpr[9] + 1);
    ck_assert_int_eq(ds_pop_find(&small, cpr, 10, &pos), DS_FIND_UNKNOWN);
    /* Children in family cases are not population members. */
    int children = 0;
    for (uint64_t p = DS_DEMO_COUNT; p < ds_pop_count(&small); p++) {
        struct ds_record r;
        if (!ds_pop_generate(&small, p, DS_FAMILY, &r))
            continue;
        for (size_t c = 0; c < r.nchildren; c++, children++)
            ck_assert_int_eq(ds_pop_find(&big, r.children[c].cpr, 10, &pos), DS_FIND_UNKNOWN);
        ds_record_free(&r);
    }
    ck_assert_int_gt(children, 10);
    /* Asking a system that does not know the citizen gives an empty record. */
    struct ds_record r;
    ck_assert(!ds_pop_generate(&small, 1, DS_JOBCENTRE, &r)); /* Jonas: family only */
    ck_assert_uint_eq(r.ncases, 0);
    ck_assert(!ds_pop_generate(&small, ds_pop_count(&small), DS_HEALTH, &r));
}
END_TEST

/* ---- determinism ------------------------------------------------------------------------ */

START_TEST(test_determinism)
{
    struct ds_population a, b, other;
    pop_init(&a, 1234, 5000);
    pop_init(&b, 1234, 5000);
    pop_init(&other, 1235, 5000);
    int same_cpr = 0, compared = 0;
    for (uint64_t pos = 0; pos < ds_pop_count(&a); pos += 7) {
        char c1[11], c2[11], c3[11];
        ds_pop_cpr(&a, pos, c1);
        ds_pop_cpr(&b, pos, c2);
        ds_pop_cpr(&other, pos, c3);
        ck_assert_str_eq(c1, c2);
        ck_assert_uint_eq(ds_pop_systems(&a, pos), ds_pop_systems(&b, pos));
        if (pos >= DS_DEMO_COUNT)
            same_cpr += strcmp(c1, c3) == 0;
        for (int s = 0; s < DS_NSYSTEMS; s++) {
            char *j1 = render(&a, pos, (enum ds_system)s);
            char *j2 = render(&b, pos, (enum ds_system)s);
            ck_assert_str_eq(j1, j2);
            compared += j1[0] != '\0';
            free(j1);
            free(j2);
        }
    }
    ck_assert_int_gt(compared, 200);
    /* Another seed is another population (a coincidence or two allowed). */
    ck_assert_int_lt(same_cpr, 3);
}
END_TEST

/* Generation order does not matter: a citizen generated alone equals the same citizen
 * generated after thousands of others (no hidden state). */
START_TEST(test_no_hidden_state)
{
    struct ds_population p;
    pop_init(&p, 77, 3000);
    char *first = render(&p, DS_DEMO_COUNT + 2500, DS_HEALTH);
    for (uint64_t pos = 0; pos < ds_pop_count(&p); pos++) {
        for (int s = 0; s < DS_NSYSTEMS; s++)
            free(render(&p, pos, (enum ds_system)s));
    }
    char *again = render(&p, DS_DEMO_COUNT + 2500, DS_HEALTH);
    ck_assert_str_eq(first, again);
    free(first);
    free(again);
}
END_TEST

/* The population at size N is a prefix of the population at size 1,000,000 (same seed). */
START_TEST(test_prefix_and_on_demand)
{
    struct ds_population small, big;
    pop_init(&small, 9, 1000);
    pop_init(&big, 9, MILLION);
    ck_assert_uint_lt(sizeof(struct ds_population), 64); /* no tables: flat memory */
    for (uint64_t pos = 0; pos < ds_pop_count(&small); pos += 3) {
        for (int s = 0; s < DS_NSYSTEMS; s++) {
            char *j1 = render(&small, pos, (enum ds_system)s);
            char *j2 = render(&big, pos, (enum ds_system)s);
            ck_assert_str_eq(j1, j2);
            free(j1);
            free(j2);
        }
    }
    /* The last citizen of a million, generated alone, without touching the others. */
    uint64_t last = ds_pop_count(&big) - 1;
    char cpr[11];
    ck_assert(ds_pop_cpr(&big, last, cpr));
    uint64_t pos;
    ck_assert_int_eq(ds_pop_find(&big, cpr, 10, &pos), DS_FIND_OK);
    ck_assert_uint_eq(pos, last);
    for (int s = 0; s < DS_NSYSTEMS; s++)
        free(render(&big, last, (enum ds_system)s));
}
END_TEST

/* ---- distributions ---------------------------------------------------------------------- */

struct dist {
    uint64_t n, none, one, multi, sys[DS_NSYSTEMS], excluded, no_mod11;
    uint64_t cases[DS_NSYSTEMS], unknown[DS_NSYSTEMS], status[3];
    uint64_t fam_cases, fam_old, fam_new_after_2024, fam_old_after_2024;
    uint64_t act_kinds[8], doc_lae265;
};

static void measure(uint64_t seed, uint64_t size, struct dist *d)
{
    struct ds_population p;
    pop_init(&p, seed, size);
    memset(d, 0, sizeof *d);
    const int day_2024 = ds_days_from_civil(2024, 1, 1);
    for (uint64_t pos = DS_DEMO_COUNT; pos < ds_pop_count(&p); pos++) {
        unsigned m = ds_pop_systems(&p, pos);
        unsigned k = popcount(m);
        d->n++;
        d->none += k == 0;
        d->one += k == 1;
        d->multi += k >= 2;
        char cpr[11];
        struct gp_cpr c;
        ds_pop_cpr(&p, pos, cpr);
        ck_assert_int_eq(gp_cpr_parse(cpr, 10, &c), GP_CPR_OK);
        d->no_mod11 += !c.modulus11;
        bool excluded = false;
        for (int s = 0; s < DS_NSYSTEMS; s++) {
            struct ds_record r;
            bool known = ds_pop_generate(&p, pos, (enum ds_system)s, &r);
            ck_assert_int_eq(known, (m >> s) & 1);
            if (!known)
                continue;
            d->sys[s]++;
            ck_assert_uint_gt(r.ncases, 0); /* a system that knows a citizen has a case */
            const struct ds_catalogue *cat = ds_catalogue((enum ds_system)s, DS_CAT_CASE);
            for (size_t i = 0; i < r.ncases; i++) {
                const struct ds_case *cs = &r.cases[i];
                const struct ds_kind *kind = &cat->kinds[cs->type];
                d->cases[s]++;
                d->unknown[s] += (kind->flags & DS_K_UNKNOWN) != 0;
                excluded = excluded || (kind->flags & DS_K_EXCLUDED);
                d->status[cs->status]++;
                /* statuses agree with the dates and the as-of date */
                if (cs->status == DS_PLANNED)
                    ck_assert_int_gt(cs->start, p.as_of);
                else
                    ck_assert_int_le(cs->start, p.as_of);
                if (cs->status == DS_CLOSED)
                    ck_assert(cs->end != DS_NO_DATE && cs->end < p.as_of);
                if (cs->end != DS_NO_DATE)
                    ck_assert_int_ge(cs->end, cs->start);
                ck_assert_int_le(cs->modified_day, p.as_of);
                if (s == DS_FAMILY && !(kind->flags & (DS_K_EXCLUDED | DS_K_UNKNOWN))) {
                    const char *para = ds_case_paragraph(DS_FAMILY, cs);
                    bool old = strncmp(para, "SEL", 3) == 0 || strncmp(para, "Servicelov", 10) == 0;
                    d->fam_cases++;
                    d->fam_old += old;
                    if (cs->start >= day_2024) {
                        d->fam_old_after_2024 += old;
                        d->fam_new_after_2024 += !old;
                    }
                }
                for (size_t j = 0; j < cs->nitems; j++) {
                    const struct ds_item *it = &cs->items[j];
                    const struct ds_kind *ik =
                        &ds_catalogue((enum ds_system)s, it->kind)->kinds[it->type];
                    excluded = excluded || (ik->flags & DS_K_EXCLUDED);
                    if (s == DS_JOBCENTRE && it->kind == DS_ITEM_ACTIVITY && it->type < 8)
                        d->act_kinds[it->type]++;
                    if (it->kind == DS_ITEM_DOCUMENT &&
                        (!strcmp(ik->code, "LÆ 265") || !strcmp(ik->code, "LAE265")))
                        d->doc_lae265++;
                }
            }
            for (size_t ci = 0; ci < r.nchildren; ci++) {
                struct gp_cpr cc;
                ck_assert_int_eq(gp_cpr_parse(r.children[ci].cpr, 10, &cc), GP_CPR_OK);
                ck_assert(r.children[ci].cpr[6] == '4' || r.children[ci].cpr[6] == '8');
                ck_assert_int_gt(r.children[ci].birth, r.birth + 16 * 365);
            }
            ds_record_free(&r);
        }
        d->excluded += excluded;
    }
}

#define SHARE_IN(x, n, lo, hi)                                                                     \
    do {                                                                                           \
        double share_ = (double)(x) / (double)(n);                                                 \
        ck_assert_msg(share_ >= (lo) && share_ <= (hi), "%s = %.4f not in [%.3f, %.3f]", #x,       \
                      share_, (double)(lo), (double)(hi));                                         \
    } while (0)

/* The bounds stated in cmd/deptsim/README.md, on 20,000 citizens, for several seeds. */
START_TEST(test_distributions)
{
    static const uint64_t seeds[] = {1, 2, 31337};
    struct dist d;
    measure(seeds[_i], 20000, &d);
    SHARE_IN(d.none, d.n, 0.55, 0.65);
    SHARE_IN(d.one, d.n, 0.25, 0.35);
    SHARE_IN(d.multi, d.n, 0.08, 0.15);
    SHARE_IN(d.sys[DS_JOBCENTRE], d.n, 0.07, 0.13);
    SHARE_IN(d.sys[DS_SOCIAL], d.n, 0.07, 0.13);
    SHARE_IN(d.sys[DS_HEALTH], d.n, 0.14, 0.22);
    SHARE_IN(d.sys[DS_REGION], d.n, 0.10, 0.17);
    SHARE_IN(d.sys[DS_FAMILY], d.n, 0.02, 0.05);
    SHARE_IN(d.excluded, d.n, 0.005, 0.03);
    SHARE_IN(d.no_mod11, d.n, 0.08, 0.12);
    for (int s = 0; s < DS_NSYSTEMS; s++)
        SHARE_IN(d.unknown[s], d.cases[s], 0.01, 0.06);
    uint64_t all = d.status[DS_OPEN] + d.status[DS_CLOSED] + d.status[DS_PLANNED];
    SHARE_IN(d.status[DS_OPEN], all, 0.25, 0.50);
    SHARE_IN(d.status[DS_CLOSED], all, 0.45, 0.70);
    SHARE_IN(d.status[DS_PLANNED], all, 0.02, 0.10);
    /* Family: Serviceloven paragraphs on a good share of cases; after 2024 Barnets Lov. */
    SHARE_IN(d.fam_old, d.fam_cases, 0.35, 0.85);
    ck_assert_uint_eq(d.fam_old_after_2024, 0);
    ck_assert_uint_gt(d.fam_new_after_2024, 0);
    /* Praktik, mentor and kursus all occur; LÆ 265 certificates occur. */
    for (int k = 0; k < 3; k++)
        ck_assert_uint_gt(d.act_kinds[k], 50);
    ck_assert_uint_gt(d.doc_lae265, 50);
}
END_TEST

/* Every excluded and every unknown catalogue entry is actually produced somewhere. */
START_TEST(test_planted_codes_occur)
{
    struct ds_population p;
    pop_init(&p, 3, 60000);
    bool seen[DS_NSYSTEMS][6][16];
    memset(seen, 0, sizeof seen);
    for (uint64_t pos = 0; pos < ds_pop_count(&p); pos++) {
        for (int s = 0; s < DS_NSYSTEMS; s++) {
            struct ds_record r;
            if (!ds_pop_generate(&p, pos, (enum ds_system)s, &r))
                continue;
            for (size_t i = 0; i < r.ncases; i++) {
                seen[s][DS_CAT_CASE][r.cases[i].type] = true;
                for (size_t j = 0; j < r.cases[i].nitems; j++)
                    seen[s][r.cases[i].items[j].kind][r.cases[i].items[j].type] = true;
            }
            ds_record_free(&r);
        }
    }
    for (int s = 0; s < DS_NSYSTEMS; s++) {
        for (int k = 0; k < 6; k++) {
            const struct ds_catalogue *cat = ds_catalogue((enum ds_system)s, k);
            for (size_t i = 0; i < cat->n; i++) {
                if (cat->kinds[i].flags & (DS_K_EXCLUDED | DS_K_UNKNOWN))
                    ck_assert_msg(seen[s][k][i], "%s: %s never generated",
                                  ds_system_name((enum ds_system)s), cat->kinds[i].code);
            }
        }
    }
}
END_TEST

/* ---- demo citizens ---------------------------------------------------------------------- */

START_TEST(test_demo_identical_at_every_size_and_seed)
{
    static const uint64_t sizes[] = {0, 10, 1000, MILLION};
    struct ds_population ref;
    pop_init(&ref, 1, 10);
    for (size_t i = 0; i < DS_DEMO_COUNT; i++) {
        const struct ds_demo_info *d = ds_demo(i);
        char cpr[11];
        ck_assert(ds_pop_cpr(&ref, i, cpr));
        ck_assert_str_eq(cpr, d->cpr);
        struct gp_cpr c;
        ck_assert_int_eq(gp_cpr_parse(d->cpr, 10, &c), GP_CPR_OK);
        ck_assert_uint_eq(ds_pop_systems(&ref, i), d->systems);
        for (int s = 0; s < DS_NSYSTEMS; s++) {
            char *want = render(&ref, i, (enum ds_system)s);
            ck_assert_int_eq(want[0] != '\0', (d->systems >> s) & 1);
            for (size_t z = 0; z < sizeof sizes / sizeof sizes[0]; z++) {
                for (uint64_t seed = 1; seed <= 1000; seed += 333) {
                    struct ds_population p;
                    pop_init(&p, seed, sizes[z]);
                    uint64_t pos;
                    ck_assert_int_eq(ds_pop_find(&p, d->cpr, 10, &pos), DS_FIND_OK);
                    ck_assert_uint_eq(pos, i);
                    char *got = render(&p, i, (enum ds_system)s);
                    ck_assert_str_eq(got, want);
                    free(got);
                }
            }
            free(want);
        }
    }
    ck_assert_ptr_null(ds_demo(DS_DEMO_COUNT));
}
END_TEST

static size_t demo_records(const struct ds_population *p, uint64_t pos, unsigned *systems)
{
    size_t n = 0;
    *systems = 0;
    for (int s = 0; s < DS_NSYSTEMS; s++) {
        struct ds_record r;
        if (ds_pop_generate(p, pos, (enum ds_system)s, &r)) {
            n += ds_record_count_items(&r);
            *systems |= 1u << s;
            ds_record_free(&r);
        }
    }
    return n;
}

static int day(const char *s)
{
    int d;
    ck_assert(ds_parse_date(s, &d));
    return d;
}

START_TEST(test_demo_roles)
{
    struct ds_population p;
    pop_init(&p, 1, 100);
    unsigned sys;
    uint64_t pos;
    /* 0: all five */
    demo_records(&p, 0, &sys);
    ck_assert_uint_eq(sys, 0x1f);
    /* 1: only family */
    demo_records(&p, 1, &sys);
    ck_assert_uint_eq(sys, 1u << DS_FAMILY);
    /* unknown to all */
    ck_assert_int_eq(ds_pop_find(&p, DS_DEMO_UNKNOWN_CPR, 10, &pos), DS_FIND_UNKNOWN);
    /* 2: hundreds of records, and more than one FHIR page (100) in the region */
    ck_assert_uint_ge(demo_records(&p, 2, &sys), 300);
    ck_assert_uint_eq(sys, 0x1f);
    struct ds_record r;
    ck_assert(ds_pop_generate(&p, 2, DS_REGION, &r));
    json_t *all = json_array();
    for (int t = 0; t < DS_FHIR_NTYPES; t++)
        ds_fhir_resources(&r, (enum ds_fhir_type)t, all);
    ck_assert_uint_gt(json_array_size(all), 100);
    json_decref(all);
    ds_record_free(&r);
    /* 3: a course and a praktik start during døgnbehandling */
    struct ds_record soc, job;
    ck_assert(ds_pop_generate(&p, 3, DS_SOCIAL, &soc));
    ck_assert(ds_pop_generate(&p, 3, DS_JOBCENTRE, &job));
    const struct ds_case *dogn = NULL;
    for (size_t i = 0; i < soc.ncases; i++) {
        if (!strcmp(ds_catalogue(DS_SOCIAL, DS_CAT_CASE)->kinds[soc.cases[i].type].code, "SEL101D"))
            dogn = &soc.cases[i];
    }
    ck_assert_ptr_nonnull(dogn);
    ck_assert_int_eq(dogn->start, day("2026-09-01"));
    int colliding = 0;
    for (size_t j = 0; j < job.cases[0].nitems; j++) {
        const struct ds_item *it = &job.cases[0].items[j];
        if (it->kind == DS_ITEM_ACTIVITY && it->start > dogn->start && it->start < dogn->end)
            colliding++;
    }
    ck_assert_int_eq(colliding, 2);
    ds_record_free(&soc);
    ds_record_free(&job);
    /* 4: excluded types beside ordinary ones */
    int excluded = 0, ordinary = 0;
    for (int s = 0; s < DS_NSYSTEMS; s++) {
        if (!ds_pop_generate(&p, 4, (enum ds_system)s, &r))
            continue;
        for (size_t i = 0; i < r.ncases; i++) {
            bool ex = ds_catalogue((enum ds_system)s, DS_CAT_CASE)->kinds[r.cases[i].type].flags &
                      DS_K_EXCLUDED;
            excluded += ex;
            ordinary += !ex;
        }
        ds_record_free(&r);
    }
    ck_assert_int_eq(excluded, 4);
    ck_assert_int_ge(ordinary, 2);
    /* 5: the demo child is Mette's child in the family system */
    ck_assert(ds_pop_generate(&p, 0, DS_FAMILY, &r));
    ck_assert_str_eq(r.children[0].cpr, ds_demo(5)->cpr);
    ds_record_free(&r);
    /* Demo CPRs without modulus 11 exist (Jonas, Sofie). */
    struct gp_cpr c;
    ck_assert_int_eq(gp_cpr_parse(ds_demo(1)->cpr, 10, &c), GP_CPR_OK);
    ck_assert(!c.modulus11);
    ck_assert_int_eq(gp_cpr_parse(ds_demo(3)->cpr, 10, &c), GP_CPR_OK);
    ck_assert(!c.modulus11);
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("deptsim_gen");
    TCase *tc = tcase_create("core");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_dates);
    tcase_add_test(tc, test_slot_permutation_round_trip);
    tcase_add_test(tc, test_cpr_round_trip_million);
    tcase_add_test(tc, test_unknown_and_invalid);
    tcase_add_test(tc, test_determinism);
    tcase_add_test(tc, test_no_hidden_state);
    tcase_add_test(tc, test_prefix_and_on_demand);
    tcase_add_loop_test(tc, test_distributions, 0, 3);
    tcase_add_test(tc, test_planted_codes_occur);
    tcase_add_test(tc, test_demo_identical_at_every_size_and_seed);
    tcase_add_test(tc, test_demo_roles);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
