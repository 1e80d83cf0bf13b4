/* The visibility policy as a table.
 *
 * exhaustive_table runs every combination of role × caller department (own, other, none) ×
 * purpose × consent variant × block variant × override variant × cross_department × status ×
 * withheld-from-the-citizen against ONE record (bostøtte, SEL § 85, in social services) and checks
 * level, reason and override_used. The expected values come from three hand-written tables, none of
 * which computes anything:
 *
 *   - the variants (consent_variants, block_variants, override_variants): each fixture says
 *     by hand whether it applies to that record today ("grants", "hides", "active");
 *   - the outcome table `outside`: all 32 combinations of cross_department × override ×
 *     block × consent × target-group-and-open, for a caseworker or coordinator outside the
 *     record's department, each row written out with its level, reason and override flag;
 *   - four uniform rules, applied programmatically because they are obviously uniform: the
 *     citizen → full (by citizen) in every row, or hidden (withheld) where the record is
 *     withheld from the citizen, and never a blocked source; other roles than
 *     caseworker/coordinator → hidden (by role) in every row; a reader in the
 *     record's own department → full (own department) in every row; with no stated purpose no
 *     consent applies. A caller with no department is checked against the same `outside`
 *     table as one from another department.
 *
 * Stories, fail-closed cases, instants and sources are pinned row by row further down. */
#include "lib/sharing/policy.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define TODAY     "2025-06-15"
#define YESTERDAY "2025-06-14"
#define TOMORROW  "2025-06-16"
#define NOW       "2025-06-15T10:00:00.000000Z"

/* The record every row of the exhaustive table judges. */
#define REC_DEPT "social_services"
#define REC_AREA "social"
#define REC_TYPE "bostoette"

static const enum gp_role roles[] = {GP_ROLE_CASEWORKER, GP_ROLE_COORDINATOR, GP_ROLE_ANALYST,
                                     GP_ROLE_AUDITOR,    GP_ROLE_ADMIN,       GP_ROLE_NONE,
                                     GP_ROLE_CITIZEN};
#define N_ROLES (sizeof roles / sizeof roles[0])
/* Own (the record's), other, none. */
static const char *const caller_depts[] = {REC_DEPT, "job_centre", ""};
#define N_DEPTS 3
static const char *const purposes[] = {NULL, "rehabilitation", "coordinated_effort",
                                       "target_group_identification", "own_case"};
#define N_PURPOSES (sizeof purposes / sizeof purposes[0])
static const char *const statuses[] = {"open", "closed", "planned"};
#define N_STATUSES 3

/* ---- the variants, each with its effect on the record written by hand ---- */

/* A consent's purpose, relative to the caller's: the fixtures are filled in per row. */
enum rel { SAME_PURPOSE, OTHER_PURPOSE };

struct consent_variant {
    const char *name;
    bool grants; /* covers REC for the caller's (stated) purpose and is in force on TODAY */
    size_t n;
    enum rel rel[3];
    struct gp_policy_consent c[3];
};

/* clang-format off */
#define SOCIAL .areas = {"social"}, .n_areas = 1
static const struct consent_variant consent_variants[] = {
    {"none", false, 0, {0}, {{0}}},
    {"area social, open-ended", true, 1, {SAME_PURPOSE},
     {{SOCIAL, .valid_from = "2025-01-01"}}},
    {"areas employment+social, department social_services", true, 1, {SAME_PURPOSE},
     {{.areas = {"employment", "social"}, .n_areas = 2, .departments = {"social_services"},
       .n_departments = 1, .valid_from = "2025-01-01", .valid_until = "2025-12-31"}}},
    {"area social, departments family+job_centre only", false, 1, {SAME_PURPOSE},
     {{SOCIAL, .departments = {"family", "job_centre"}, .n_departments = 2,
       .valid_from = "2025-01-01"}}},
    {"other areas (employment, family)", false, 1, {SAME_PURPOSE},
     {{.areas = {"employment", "family"}, .n_areas = 2, .valid_from = "2025-01-01"}}},
    {"area social, another purpose", false, 1, {OTHER_PURPOSE},
     {{SOCIAL, .valid_from = "2025-01-01"}}},
    {"area social, expired yesterday", false, 1, {SAME_PURPOSE},
     {{SOCIAL, .valid_from = "2025-01-01", .valid_until = YESTERDAY}}},
    {"area social, valid from tomorrow", false, 1, {SAME_PURPOSE},
     {{SOCIAL, .valid_from = TOMORROW}}},
    {"area social, withdrawn", false, 1, {SAME_PURPOSE},
     {{SOCIAL, .valid_from = "2025-01-01", .withdrawn = true}}},
    {"area social, ends today", true, 1, {SAME_PURPOSE},
     {{SOCIAL, .valid_from = "2025-01-01", .valid_until = TODAY}}},
    {"area social, starts today", true, 1, {SAME_PURPOSE},
     {{SOCIAL, .valid_from = TODAY, .valid_until = ""}}},
    {"withdrawn + another purpose + expired", false, 3,
     {SAME_PURPOSE, OTHER_PURPOSE, SAME_PURPOSE},
     {{SOCIAL, .valid_from = "2025-01-01", .withdrawn = true},
      {SOCIAL, .valid_from = "2025-01-01"},
      {SOCIAL, .valid_from = "2024-01-01", .valid_until = "2024-12-31"}}},
    {"withdrawn + expired + in force", true, 3, {SAME_PURPOSE, SAME_PURPOSE, SAME_PURPOSE},
     {{SOCIAL, .valid_from = "2025-01-01", .withdrawn = true},
      {SOCIAL, .valid_from = "2024-01-01", .valid_until = "2024-12-31"},
      {SOCIAL, .valid_from = "2025-06-01"}}},
};
#undef SOCIAL
#define N_CONSENTS (sizeof consent_variants / sizeof consent_variants[0])

struct block_variant {
    const char *name;
    bool hides;         /* covers REC and is in force on TODAY */
    bool blocks_source; /* covers the source (social_services, area social) as a whole */
    size_t n;
    struct gp_policy_block b[2];
};

#define AREA GP_POLICY_BLOCK_AREA
#define DEPT GP_POLICY_BLOCK_DEPARTMENT
#define TYPE GP_POLICY_BLOCK_CASE_TYPE
static const struct block_variant block_variants[] = {
    /* name                                          hides  source */
    {"none",                                         false, false, 0, {{0}}},
    {"area social",                                  true,  true,  1, {{AREA, "social", NULL, NULL, false}}},
    {"department social_services",                   true,  true,  1, {{DEPT, "social_services", "2025-01-01", "", false}}},
    {"case type bostoette",                          true,  false, 1, {{TYPE, "bostoette", "2025-01-01", "2025-12-31", false}}},
    {"area employment",                              false, false, 1, {{AREA, "employment", NULL, NULL, false}}},
    {"department job_centre (the caller's, not the record's)",
                                                     false, false, 1, {{DEPT, "job_centre", NULL, NULL, false}}},
    {"case type kontanthjaelp",                      false, false, 1, {{TYPE, "kontanthjaelp", NULL, NULL, false}}},
    {"area social, expired yesterday",               false, false, 1, {{AREA, "social", "2025-01-01", YESTERDAY, false}}},
    {"department social_services, from tomorrow",    false, false, 1, {{DEPT, "social_services", TOMORROW, NULL, false}}},
    {"case type bostoette, withdrawn",               false, false, 1, {{TYPE, "bostoette", NULL, NULL, true}}},
    {"area social, withdrawn",                       false, false, 1, {{AREA, "social", NULL, NULL, true}}},
    {"area social, ends today",                      true,  true,  1, {{AREA, "social", "2025-01-01", TODAY, false}}},
    {"department social_services, starts today",     true,  true,  1, {{DEPT, "social_services", TODAY, NULL, false}}},
    {"withdrawn area social + case type bostoette",  true,  false, 2, {{AREA, "social", NULL, NULL, true},
                                                                       {TYPE, "bostoette", NULL, NULL, false}}},
};
#undef AREA
#undef DEPT
#undef TYPE
#define N_BLOCKS (sizeof block_variants / sizeof block_variants[0])

struct override_variant {
    const char *name;
    bool active; /* in force at NOW */
    size_t n;
    struct gp_policy_override o[2];
};

static const struct override_variant override_variants[] = {
    {"none",                              false, 0, {{0}}},
    {"active 09:50-10:20",                true,  1, {{"2025-06-15T09:50:00.000000Z", "2025-06-15T10:20:00.000000Z"}}},
    {"expired 09:00-09:59:59.999999",     false, 1, {{"2025-06-15T09:00:00.000000Z", "2025-06-15T09:59:59.999999Z"}}},
    {"expires exactly now",               false, 1, {{"2025-06-15T09:30:00.000000Z", NOW}}},
    {"starts a microsecond after now",    false, 1, {{"2025-06-15T10:00:00.000001Z", "2025-06-15T10:30:00.000000Z"}}},
    {"expired yesterday + active",        true,  2, {{"2025-06-14T10:00:00.000000Z", "2025-06-14T10:30:00.000000Z"},
                                                     {NOW, "2025-06-15T10:00:00.500000Z"}}},
};
#define N_OVERRIDES (sizeof override_variants / sizeof override_variants[0])

/* ---- the outcome table: a caseworker or coordinator outside the record's department ---- */

struct outcome {
    bool cross, override, block, consent, tgi_open;
    enum gp_visibility level;
    enum gp_policy_reason reason;
    bool override_used;
};

#define T true
#define F false
#define HID GP_VIS_HIDDEN
#define EXI GP_VIS_EXISTENCE
#define SUM GP_VIS_SUMMARY
#define FUL GP_VIS_FULL
#define R_EXCL GP_POLICY_BY_EXCLUDED_TYPE
#define R_OVR  GP_POLICY_BY_OVERRIDE
#define R_BLK  GP_POLICY_BY_BLOCK
#define R_CNS  GP_POLICY_BY_CONSENT
#define R_TGI  GP_POLICY_BY_TARGET_GROUP
#define R_NONE GP_POLICY_BY_NO_CONSENT
/* tgi_open: the purpose is target_group_identification and the record's status is open. */
static const struct outcome outside[] = {
    /* cross override block consent tgi_open   level reason  override_used */
    /* An excluded case type: hidden, always — consent and override included. */
    {F, F, F, F, F,   HID, R_EXCL, F},
    {F, F, F, F, T,   HID, R_EXCL, F},
    {F, F, F, T, F,   HID, R_EXCL, F},
    {F, F, F, T, T,   HID, R_EXCL, F},
    {F, F, T, F, F,   HID, R_EXCL, F},
    {F, F, T, F, T,   HID, R_EXCL, F},
    {F, F, T, T, F,   HID, R_EXCL, F},
    {F, F, T, T, T,   HID, R_EXCL, F},
    {F, T, F, F, F,   HID, R_EXCL, F},
    {F, T, F, F, T,   HID, R_EXCL, F},
    {F, T, F, T, F,   HID, R_EXCL, F},
    {F, T, F, T, T,   HID, R_EXCL, F},
    {F, T, T, F, F,   HID, R_EXCL, F},
    {F, T, T, F, T,   HID, R_EXCL, F},
    {F, T, T, T, F,   HID, R_EXCL, F},
    {F, T, T, T, T,   HID, R_EXCL, F},
    /* Shared case type, no override. */
    {T, F, F, F, F,   EXI, R_NONE, F}, /* no consent: existence */
    {T, F, F, F, T,   SUM, R_TGI,  F}, /* target-group identification, ongoing: summary */
    {T, F, F, T, F,   FUL, R_CNS,  F}, /* consent: full */
    {T, F, F, T, T,   FUL, R_CNS,  F},
    {T, F, T, F, F,   HID, R_BLK,  F}, /* a block wins over everything below it */
    {T, F, T, F, T,   HID, R_BLK,  F},
    {T, F, T, T, F,   HID, R_BLK,  F},
    {T, F, T, T, T,   HID, R_BLK,  F},
    /* Shared case type, break-glass override in force. */
    {T, T, F, F, F,   FUL, R_OVR,  T},
    {T, T, F, F, T,   FUL, R_OVR,  T},
    {T, T, F, T, F,   FUL, R_CNS,  F}, /* consent gave full anyway: override not used */
    {T, T, F, T, T,   FUL, R_CNS,  F},
    {T, T, T, F, F,   FUL, R_OVR,  T}, /* the override lifts the block */
    {T, T, T, F, T,   FUL, R_OVR,  T},
    {T, T, T, T, F,   FUL, R_OVR,  T},
    {T, T, T, T, T,   FUL, R_OVR,  T},
};
/* clang-format on */
#define N_OUTSIDE (sizeof outside / sizeof outside[0])

static const struct outcome *outside_row(bool cross, bool override, bool block, bool consent,
                                         bool tgi_open)
{
    for (size_t i = 0; i < N_OUTSIDE; i++) {
        const struct outcome *o = &outside[i];
        if (o->cross == cross && o->override == override && o->block == block &&
            o->consent == consent && o->tgi_open == tgi_open)
            return o;
    }
    return NULL;
}

/* ---- filling in a row ---- */

static const char *other_purpose(const char *purpose)
{
    return purpose && !strcmp(purpose, "rehabilitation") ? "coordinated_effort" : "rehabilitation";
}

/* The variant's consents with their purposes set relative to the caller's. A caller with no
 * purpose gets consents for rehabilitation (a consent always has a purpose). */
static size_t fill_consents(const struct consent_variant *v, const char *purpose,
                            struct gp_policy_consent out[3])
{
    for (size_t i = 0; i < v->n; i++) {
        out[i] = v->c[i];
        out[i].purpose = v->rel[i] == SAME_PURPOSE ? (purpose ? purpose : "rehabilitation")
                                                   : other_purpose(purpose);
    }
    return v->n;
}

static bool is_tgi(const char *purpose)
{
    return purpose && !strcmp(purpose, "target_group_identification");
}

START_TEST(outcome_table_is_complete)
{
    /* Every combination of the five conditions appears exactly once. */
    ck_assert_int_eq(N_OUTSIDE, 32);
    for (unsigned k = 0; k < 32; k++) {
        size_t found = 0;
        for (size_t i = 0; i < N_OUTSIDE; i++) {
            const struct outcome *o = &outside[i];
            unsigned key = (unsigned)o->cross << 4 | (unsigned)o->override << 3 |
                           (unsigned)o->block << 2 | (unsigned)o->consent << 1 |
                           (unsigned)o->tgi_open;
            found += key == k;
        }
        ck_assert_msg(found == 1, "key %u appears %zu times", k, found);
    }
}
END_TEST

/* One row of the exhaustive table: checks it, returns the number of checks made. */
static size_t check_row(size_t r, size_t d, size_t p, size_t ci, size_t bi, size_t oi, bool cross,
                        size_t s, bool withheld)
{
    const struct consent_variant *cv = &consent_variants[ci];
    const struct block_variant *bv = &block_variants[bi];
    const struct override_variant *ov = &override_variants[oi];
    struct gp_policy_consent consents[3];
    struct gp_policy_context ctx = {
        .consents = consents,
        .n_consents = fill_consents(cv, purposes[p], consents),
        .blocks = bv->b,
        .n_blocks = bv->n,
        .overrides = ov->o,
        .n_overrides = ov->n,
        .today = TODAY,
        .now = NOW,
    };
    struct gp_policy_caller c = {roles[r], caller_depts[d], purposes[p]};
    struct gp_policy_record rec = {REC_DEPT, REC_AREA, REC_TYPE, cross, statuses[s], withheld};
    size_t checks = 0;
    bool citizen = roles[r] == GP_ROLE_CITIZEN;

    /* The expected decision: three uniform rules, then the outcome table. */
    struct gp_policy_decision want;
    if (citizen && withheld) {
        want = (struct gp_policy_decision){GP_VIS_HIDDEN, GP_POLICY_BY_WITHHELD, false};
    } else if (citizen) {
        want = (struct gp_policy_decision){GP_VIS_FULL, GP_POLICY_BY_CITIZEN, false};
    } else if (roles[r] != GP_ROLE_CASEWORKER && roles[r] != GP_ROLE_COORDINATOR) {
        want = (struct gp_policy_decision){GP_VIS_HIDDEN, GP_POLICY_BY_ROLE, false};
    } else if (d == 0) {
        want = (struct gp_policy_decision){GP_VIS_FULL, GP_POLICY_BY_OWN_DEPARTMENT, false};
    } else {
        const struct outcome *o =
            outside_row(cross, ov->active, bv->hides, cv->grants && purposes[p] != NULL,
                        is_tgi(purposes[p]) && !strcmp(statuses[s], "open"));
        ck_assert(o != NULL);
        want = (struct gp_policy_decision){o->level, o->reason, o->override_used};
    }

    struct gp_policy_decision got = gp_policy_evaluate(&c, &ctx, &rec);
    if (got.level != want.level || got.reason != want.reason ||
        got.override_used != want.override_used)
        ck_abort_msg("role %s dept '%s' purpose %s consent [%s] block [%s] override [%s] cross %d "
                     "status %s withheld %d: got %s/%s/%d, want %s/%s/%d",
                     gp_role_name(roles[r]), caller_depts[d], purposes[p] ? purposes[p] : "none",
                     cv->name, bv->name, ov->name, cross, statuses[s], withheld,
                     gp_visibility_name(got.level), gp_policy_reason_name(got.reason),
                     got.override_used, gp_visibility_name(want.level),
                     gp_policy_reason_name(want.reason), want.override_used);
    checks += 3;

    /* Sources: asked unless blocked as a whole for a caller outside, with no override. */
    bool sb = gp_policy_source_blocked(&c, &ctx, REC_DEPT, REC_AREA);
    bool want_sb = !citizen && d != 0 && bv->blocks_source && !ov->active;
    ck_assert_msg(sb == want_sb, "source_blocked: dept '%s' block [%s] override [%s]: got %d",
                  caller_depts[d], bv->name, ov->name, sb);
    /* A source not asked can only ever have had hidden records for this caller. */
    ck_assert(!sb || got.level == GP_VIS_HIDDEN);
    checks += 2;

    /* With nothing in the context, a NULL context and the old entry point agree. */
    if (ci == 0 && bi == 0 && oi == 0) {
        struct gp_policy_decision bare = gp_policy_evaluate(&c, NULL, &rec);
        ck_assert(bare.level == got.level && bare.reason == got.reason && !bare.override_used);
        ck_assert_int_eq(gp_policy_decide(&c, &rec), got.level);
        ck_assert(!gp_policy_source_blocked(&c, NULL, REC_DEPT, REC_AREA));
        checks += 3;
    }
    return checks;
}

START_TEST(exhaustive_table)
{
    size_t rows = 0, checks = 0;
    for (size_t r = 0; r < N_ROLES; r++)
        for (size_t d = 0; d < N_DEPTS; d++)
            for (size_t p = 0; p < N_PURPOSES; p++)
                for (size_t ci = 0; ci < N_CONSENTS; ci++)
                    for (size_t bi = 0; bi < N_BLOCKS; bi++)
                        for (size_t oi = 0; oi < N_OVERRIDES; oi++)
                            for (int cross = 0; cross < 2; cross++)
                                for (size_t s = 0; s < N_STATUSES; s++) {
                                    /* Withheld from the citizen: both ways for the citizen;
                                     * for everyone else (whom it must not change) half the
                                     * rows each way, alternating. */
                                    bool both = roles[r] == GP_ROLE_CITIZEN;
                                    bool alt = (ci + bi + oi + s + (size_t)cross) % 2;
                                    for (int w = 0; w < (both ? 2 : 1); w++) {
                                        checks += check_row(r, d, p, ci, bi, oi, cross, s,
                                                            both ? w : alt);
                                        rows++;
                                    }
                                }
    size_t base = N_DEPTS * N_PURPOSES * N_CONSENTS * N_BLOCKS * N_OVERRIDES * 2 * N_STATUSES;
    ck_assert_uint_eq(rows, (N_ROLES - 1) * base + 2 * base);
    ck_assert_uint_eq(rows, 8 * 3 * 5 * 13 * 14 * 6 * 2 * 3);
    fprintf(stderr, "policy exhaustive table: %zu rows, %zu checks\n", rows, checks);
}
END_TEST

/* ---- pinned rows ---- */

static struct gp_policy_decision eval(const struct gp_policy_caller *c,
                                      const struct gp_policy_context *ctx,
                                      const struct gp_policy_record *r)
{
    return gp_policy_evaluate(c, ctx, r);
}

#define ck_decision(d, lvl, why, used)                                                             \
    do {                                                                                           \
        struct gp_policy_decision d_ = (d);                                                        \
        ck_assert_str_eq(gp_visibility_name(d_.level), gp_visibility_name(lvl));                   \
        ck_assert_str_eq(gp_policy_reason_name(d_.reason), gp_policy_reason_name(why));            \
        ck_assert_int_eq(d_.override_used, used);                                                  \
    } while (0)

START_TEST(done_when_story)
{
    /* The "done when": a job-centre caseworker sees only existence in the social area;
     * after a consent covering social for rehabilitation, full; after withdrawal, existence. */
    struct gp_policy_caller job = {GP_ROLE_CASEWORKER, "job_centre", "rehabilitation"};
    struct gp_policy_record social = {
        "social_services", "social", "bostoette", true, "open", false};
    struct gp_policy_context ctx = {.today = TODAY, .now = NOW};
    ck_decision(eval(&job, &ctx, &social), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);

    struct gp_policy_consent k = {
        .purpose = "rehabilitation", .areas = {"social"}, .n_areas = 1, .valid_from = TODAY};
    ctx.consents = &k;
    ctx.n_consents = 1;
    ck_decision(eval(&job, &ctx, &social), GP_VIS_FULL, GP_POLICY_BY_CONSENT, false);
    /* The same consent does not reach the family area, nor another purpose. */
    struct gp_policy_record family = {"family", "family", "stoettende_indsats",
                                      true,     "open",   false};
    ck_decision(eval(&job, &ctx, &family), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    struct gp_policy_caller job_ce = {GP_ROLE_CASEWORKER, "job_centre", "coordinated_effort"};
    ck_decision(eval(&job_ce, &ctx, &social), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);

    k.withdrawn = true;
    ck_decision(eval(&job, &ctx, &social), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
}
END_TEST

START_TEST(blocks_and_break_glass)
{
    struct gp_policy_caller job = {GP_ROLE_COORDINATOR, "job_centre", "coordinated_effort"};
    struct gp_policy_caller soc = {GP_ROLE_CASEWORKER, "social_services", "own_case"};
    struct gp_policy_record social = {
        "social_services", "social", "bostoette", true, "open", false};
    struct gp_policy_consent k = {.purpose = "coordinated_effort",
                                  .areas = {"employment", "social", "family"},
                                  .n_areas = 3,
                                  .valid_from = "2025-01-01"};
    struct gp_policy_block b = {GP_POLICY_BLOCK_DEPARTMENT, "social_services", "2025-06-01", NULL,
                                false};
    struct gp_policy_context ctx = {
        .consents = &k, .n_consents = 1, .blocks = &b, .n_blocks = 1, .today = TODAY, .now = NOW};
    /* The block wins over the consent. */
    ck_decision(eval(&job, &ctx, &social), GP_VIS_HIDDEN, GP_POLICY_BY_BLOCK, false);
    ck_assert(gp_policy_source_blocked(&job, &ctx, "social_services", "social"));
    /* The social caseworker keeps their own case. */
    ck_decision(eval(&soc, &ctx, &social), GP_VIS_FULL, GP_POLICY_BY_OWN_DEPARTMENT, false);
    ck_assert(!gp_policy_source_blocked(&soc, &ctx, "social_services", "social"));
    /* Other departments are untouched by it. */
    struct gp_policy_record family = {"family", "family", "stoettende_indsats",
                                      true,     "closed", false};
    ck_decision(eval(&job, &ctx, &family), GP_VIS_FULL, GP_POLICY_BY_CONSENT, false);
    ck_assert(!gp_policy_source_blocked(&job, &ctx, "family", "family"));

    /* Break-glass lifts it, and says so. */
    struct gp_policy_override o = {"2025-06-15T09:45:00Z", "2025-06-15T10:45:00Z"};
    ctx.overrides = &o;
    ctx.n_overrides = 1;
    ck_decision(eval(&job, &ctx, &social), GP_VIS_FULL, GP_POLICY_BY_OVERRIDE, true);
    ck_assert(!gp_policy_source_blocked(&job, &ctx, "social_services", "social"));
    /* ... but only where it made the difference. */
    ck_decision(eval(&job, &ctx, &family), GP_VIS_FULL, GP_POLICY_BY_CONSENT, false);
    ck_decision(eval(&soc, &ctx, &social), GP_VIS_FULL, GP_POLICY_BY_OWN_DEPARTMENT, false);
    /* Excluded types stay hidden even under break-glass. */
    struct gp_policy_record bolig = {
        "social_services", "social", "boligsikring", false, "open", false};
    ck_decision(eval(&job, &ctx, &bolig), GP_VIS_HIDDEN, GP_POLICY_BY_EXCLUDED_TYPE, false);
    /* Roles that read no case data see nothing, override or not. */
    struct gp_policy_caller auditor = {GP_ROLE_AUDITOR, "", "coordinated_effort"};
    ck_decision(eval(&auditor, &ctx, &social), GP_VIS_HIDDEN, GP_POLICY_BY_ROLE, false);
    /* After the override expires, the block is back. */
    ctx.now = "2025-06-15T10:45:00Z";
    ck_decision(eval(&job, &ctx, &social), GP_VIS_HIDDEN, GP_POLICY_BY_BLOCK, false);
    /* Once withdrawn, the consent gives full again. */
    b.withdrawn = true;
    ck_decision(eval(&job, &ctx, &social), GP_VIS_FULL, GP_POLICY_BY_CONSENT, false);
}
END_TEST

START_TEST(target_group_identification)
{
    struct gp_policy_caller tgi = {GP_ROLE_COORDINATOR, "job_centre",
                                   "target_group_identification"};
    struct gp_policy_record r = {"family", "family", "anbringelse", true, "open", false};
    ck_decision(eval(&tgi, NULL, &r), GP_VIS_SUMMARY, GP_POLICY_BY_TARGET_GROUP, false);
    r.status = "closed";
    ck_decision(eval(&tgi, NULL, &r), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    r.status = "planned";
    ck_decision(eval(&tgi, NULL, &r), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    r.status = NULL;
    ck_decision(eval(&tgi, NULL, &r), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    /* A block by case type hides even the summary. */
    r.status = "open";
    struct gp_policy_block b = {GP_POLICY_BLOCK_CASE_TYPE, "anbringelse", NULL, NULL, false};
    struct gp_policy_context ctx = {.blocks = &b, .n_blocks = 1, .today = TODAY};
    ck_decision(eval(&tgi, &ctx, &r), GP_VIS_HIDDEN, GP_POLICY_BY_BLOCK, false);
    /* A case-type block never stops the source being asked. */
    ck_assert(!gp_policy_source_blocked(&tgi, &ctx, "family", "family"));
    struct gp_policy_record boligsikring = {
        "social_services", "social", "boligsikring", false, "open", false};
    ck_decision(eval(&tgi, NULL, &boligsikring), GP_VIS_HIDDEN, GP_POLICY_BY_EXCLUDED_TYPE, false);
}
END_TEST

START_TEST(consent_scope)
{
    struct gp_policy_caller job = {GP_ROLE_CASEWORKER, "job_centre", "rehabilitation"};
    struct gp_policy_record health = {
        "municipal_health", "health_municipal", "genoptraening", true, "open", false};
    struct gp_policy_record region = {"region", "health_regional", "hospitalsforloeb",
                                      true,     "closed",          false};
    /* Both health areas, but only the region's department. */
    struct gp_policy_consent k = {.purpose = "rehabilitation",
                                  .areas = {"health_municipal", "health_regional"},
                                  .n_areas = 2,
                                  .departments = {"region"},
                                  .n_departments = 1,
                                  .valid_from = "2025-01-01",
                                  .valid_until = "2025-12-31"};
    struct gp_policy_context ctx = {.consents = &k, .n_consents = 1, .today = TODAY};
    ck_decision(eval(&job, &ctx, &region), GP_VIS_FULL, GP_POLICY_BY_CONSENT, false);
    ck_decision(eval(&job, &ctx, &health), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    /* Entries past n_areas / n_departments are not read. */
    k.n_areas = 1;
    ck_decision(eval(&job, &ctx, &region), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    k.n_areas = 2;
    k.departments[1] = "municipal_health";
    ck_decision(eval(&job, &ctx, &health), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    k.n_departments = 2;
    ck_decision(eval(&job, &ctx, &health), GP_VIS_FULL, GP_POLICY_BY_CONSENT, false);
    /* A record with no department is not in a consent that names departments. */
    struct gp_policy_record nodept = {"",   "health_regional", "hospitalsforloeb", true, "open",
                                      false};
    ck_decision(eval(&job, &ctx, &nodept), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    k.n_departments = 0;
    ck_decision(eval(&job, &ctx, &nodept), GP_VIS_FULL, GP_POLICY_BY_CONSENT, false);
    /* A count above the maximum reads only the maximum. */
    k.n_areas = 1000;
    ck_decision(eval(&job, &ctx, &region), GP_VIS_FULL, GP_POLICY_BY_CONSENT, false);
    struct gp_policy_record family = {"family", "family", "stoettende_indsats",
                                      true,     "open",   false};
    ck_decision(eval(&job, &ctx, &family), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    k.areas[2] = "family";
    k.n_departments = 1000;
    ck_decision(eval(&job, &ctx, &family), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    k.n_departments = 0;
    ck_decision(eval(&job, &ctx, &family), GP_VIS_FULL, GP_POLICY_BY_CONSENT, false);
    /* A consent covering no area covers nothing. */
    k.n_areas = 0;
    ck_decision(eval(&job, &ctx, &region), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    /* No stated purpose: no consent applies (purpose NULL vs a NULL consent purpose too). */
    k.n_areas = 2;
    struct gp_policy_caller nopurpose = {GP_ROLE_CASEWORKER, "job_centre", NULL};
    ck_decision(eval(&nopurpose, &ctx, &region), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    k.purpose = NULL;
    ck_decision(eval(&nopurpose, &ctx, &region), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
}
END_TEST

START_TEST(fail_closed)
{
    struct gp_policy_caller job = {GP_ROLE_CASEWORKER, "job_centre", "rehabilitation"};
    struct gp_policy_record social = {
        "social_services", "social", "bostoette", true, "open", false};
    struct gp_policy_consent k = {
        .purpose = "rehabilitation", .areas = {"social"}, .n_areas = 1, .valid_from = "2025-01-01"};
    struct gp_policy_context ctx = {.consents = &k, .n_consents = 1, .today = TODAY};
    ck_decision(eval(&job, &ctx, &social), GP_VIS_FULL, GP_POLICY_BY_CONSENT, false);
    /* No today, or a malformed one: no consent is in force. */
    ctx.today = NULL;
    ck_decision(eval(&job, &ctx, &social), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    ctx.today = "15-06-2025";
    ck_decision(eval(&job, &ctx, &social), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    ctx.today = TODAY;
    /* A consent with no or a malformed valid_from, or a malformed valid_until, is not in force. */
    k.valid_from = NULL;
    ck_decision(eval(&job, &ctx, &social), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    k.valid_from = "";
    ck_decision(eval(&job, &ctx, &social), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    k.valid_from = "2025-1-01";
    ck_decision(eval(&job, &ctx, &social), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    k.valid_from = "2025-01-01";
    k.valid_until = "2025-12-31T00:00:00Z";
    ck_decision(eval(&job, &ctx, &social), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    k.valid_until = NULL;
    ck_decision(eval(&job, &ctx, &social), GP_VIS_FULL, GP_POLICY_BY_CONSENT, false);

    /* Blocks: with no today, an expired block still applies; malformed bounds are unbounded. */
    struct gp_policy_block b = {GP_POLICY_BLOCK_AREA, "social", "2024-01-01", "2024-12-31", false};
    ctx.blocks = &b;
    ctx.n_blocks = 1;
    ck_decision(eval(&job, &ctx, &social), GP_VIS_FULL, GP_POLICY_BY_CONSENT, false);
    ctx.today = NULL;
    ck_decision(eval(&job, &ctx, &social), GP_VIS_HIDDEN, GP_POLICY_BY_BLOCK, false);
    ck_assert(gp_policy_source_blocked(&job, &ctx, "social_services", "social"));
    ctx.today = TODAY;
    b.valid_until = "31.12.2024";
    ck_decision(eval(&job, &ctx, &social), GP_VIS_HIDDEN, GP_POLICY_BY_BLOCK, false);
    /* A block of unknown kind, or with no value, covers everything (and every source). */
    b.valid_until = NULL;
    b.kind = GP_POLICY_BLOCK_UNKNOWN;
    b.value = "social";
    struct gp_policy_record family = {"family", "family", "stoettende_indsats",
                                      true,     "open",   false};
    ck_decision(eval(&job, &ctx, &family), GP_VIS_HIDDEN, GP_POLICY_BY_BLOCK, false);
    ck_assert(gp_policy_source_blocked(&job, &ctx, "family", "family"));
    b.kind = (enum gp_policy_block_kind)42;
    ck_decision(eval(&job, &ctx, &family), GP_VIS_HIDDEN, GP_POLICY_BY_BLOCK, false);
    b.kind = GP_POLICY_BLOCK_CASE_TYPE;
    b.value = "";
    ck_decision(eval(&job, &ctx, &family), GP_VIS_HIDDEN, GP_POLICY_BY_BLOCK, false);
    ck_assert(gp_policy_source_blocked(&job, &ctx, "family", "family"));
    b.value = NULL;
    ck_decision(eval(&job, &ctx, &family), GP_VIS_HIDDEN, GP_POLICY_BY_BLOCK, false);
    /* ... but never the caller's own department. */
    struct gp_policy_caller fam = {GP_ROLE_CASEWORKER, "family", "own_case"};
    ck_decision(eval(&fam, &ctx, &family), GP_VIS_FULL, GP_POLICY_BY_OWN_DEPARTMENT, false);
    ck_assert(!gp_policy_source_blocked(&fam, &ctx, "family", "family"));
    /* A record with no area or department is not covered by a readable block naming one. */
    b.kind = GP_POLICY_BLOCK_AREA;
    b.value = "social";
    struct gp_policy_record blank = {NULL, NULL, NULL, true, "open", false};
    ck_decision(eval(&job, &ctx, &blank), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);

    /* Overrides: no now, or a malformed timestamp, is not in force. */
    ctx.n_blocks = 0;
    ctx.n_consents = 0;
    struct gp_policy_override o = {"2025-06-15T09:45:00Z", "2025-06-15T10:45:00Z"};
    ctx.overrides = &o;
    ctx.n_overrides = 1;
    ctx.now = NOW;
    ck_decision(eval(&job, &ctx, &social), GP_VIS_FULL, GP_POLICY_BY_OVERRIDE, true);
    ctx.now = NULL;
    ck_decision(eval(&job, &ctx, &social), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    ctx.now = "2025-06-15 10:00";
    ck_decision(eval(&job, &ctx, &social), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    ctx.now = NOW;
    o.expires_at = NULL;
    ck_decision(eval(&job, &ctx, &social), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    o.expires_at = "2025-06-15T10:45:00+02:00"; /* only UTC is understood */
    ck_decision(eval(&job, &ctx, &social), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    o.expires_at = "2025-06-15T10:45:00Z";
    o.created_at = "";
    ck_decision(eval(&job, &ctx, &social), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    /* Null arrays with counts are none. */
    struct gp_policy_context nulls = {
        .n_consents = 3, .n_blocks = 3, .n_overrides = 3, .today = TODAY, .now = NOW};
    ck_decision(eval(&job, &nulls, &social), GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT, false);
    ck_assert(!gp_policy_source_blocked(&job, &nulls, "social_services", "social"));
}
END_TEST

START_TEST(instants)
{
    /* Timestamps are compared as instants, whatever their precision or separator. */
    struct gp_policy_caller job = {GP_ROLE_CASEWORKER, "job_centre", "rehabilitation"};
    struct gp_policy_record social = {
        "social_services", "social", "bostoette", true, "open", false};
    struct gp_policy_override o = {"2025-06-15T09:59:59.1Z", "2025-06-15T10:00:00.9Z"};
    struct gp_policy_context ctx = {.overrides = &o, .n_overrides = 1, .today = TODAY};
    static const struct {
        const char *now;
        bool active;
    } rows[] = {
        {"2025-06-15T09:59:59Z", false},        /* lexically after "...59.1Z"; in time before it */
        {"2025-06-15T09:59:59.000002Z", false}, /* 2 µs, not 2 tenths */
        {"2025-06-15T09:59:59.099999999Z", false},
        {"2025-06-15T09:59:59.1Z", true}, /* created_at itself */
        {"2025-06-15T09:59:59.100000Z", true},
        {"2025-06-15T10:00:00Z", true},
        {"2025-06-15 10:00:00.5+00", true},
        {"2025-06-15T10:00:00.5+00:00", true},
        {"2025-06-15T10:00:00.899999999Z", true},
        {"2025-06-15T10:00:00.9Z", false}, /* expires_at itself */
        {"2025-06-15T10:00:00.900000Z", false},
        {"2025-06-15T10:00:00.95Z", false}, /* lexically before "...00.9Z"; in time after it */
        {"2025-06-16T00:00:00Z", false},
        /* Malformed, though each would fall inside the window if read leniently. */
        {"2025-06-15T10:00:00.Z", false},           /* a fraction without digits */
        {"2025-06-15T10:00:00.0500000000Z", false}, /* finer than nanoseconds */
        {"2025-06-15T10:00:00.5", false},           /* no zone */
        {"2025-06-15T10:00:00.5+02:00", false},     /* only UTC is understood */
        {"2025-06-15X10:00:00.5Z", false},
        {"2025-06-15T10:00:0.5Z", false},
        {"", false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ctx.now = rows[i].now;
        struct gp_policy_decision d = eval(&job, &ctx, &social);
        ck_assert_msg(d.override_used == rows[i].active &&
                          (d.level == GP_VIS_FULL) == rows[i].active,
                      "now %s: level %s, override_used %d", rows[i].now,
                      gp_visibility_name(d.level), d.override_used);
    }
}
END_TEST

START_TEST(sources)
{
    /* gp_policy_source_blocked row by row: caller, blocks, source → asked or not. */
    struct gp_policy_caller job = {GP_ROLE_CASEWORKER, "job_centre", "rehabilitation"};
    struct gp_policy_caller nodept = {GP_ROLE_COORDINATOR, NULL, "rehabilitation"};
    struct gp_policy_block blocks[] = {
        {GP_POLICY_BLOCK_AREA, "health_regional", NULL, NULL, false},
        {GP_POLICY_BLOCK_DEPARTMENT, "family", "2025-01-01", "2025-12-31", false},
        {GP_POLICY_BLOCK_CASE_TYPE, "kontanthjaelp", NULL, NULL, false},
        {GP_POLICY_BLOCK_DEPARTMENT, "social_services", NULL, NULL, true},
        {GP_POLICY_BLOCK_AREA, "health_municipal", TOMORROW, NULL, false},
    };
    struct gp_policy_context ctx = {.blocks = blocks, .n_blocks = 5, .today = TODAY, .now = NOW};
    static const struct {
        const char *department, *area;
        bool blocked;
    } rows[] = {
        {"region", "health_regional", true},             /* area blocked */
        {"family", "family", true},                      /* department blocked */
        {"job_centre", "employment", false},             /* own department (for job) */
        {"social_services", "social", false},            /* its block was withdrawn */
        {"municipal_health", "health_municipal", false}, /* its block starts tomorrow */
        {"other_region", "health_regional", true},       /* a second source in a blocked area */
        {NULL, NULL, false},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        ck_assert_msg(gp_policy_source_blocked(&job, &ctx, rows[i].department, rows[i].area) ==
                          rows[i].blocked,
                      "job, source %s/%s", rows[i].department ? rows[i].department : "(null)",
                      rows[i].area ? rows[i].area : "(null)");
        /* A caller without a department is outside job_centre too, which has no block. */
        ck_assert_msg(gp_policy_source_blocked(&nodept, &ctx, rows[i].department, rows[i].area) ==
                          rows[i].blocked,
                      "no department, source %s/%s",
                      rows[i].department ? rows[i].department : "(null)",
                      rows[i].area ? rows[i].area : "(null)");
    }
    /* A job-centre block does not stop the job centre asking its own source. */
    struct gp_policy_block own = {GP_POLICY_BLOCK_DEPARTMENT, "job_centre", NULL, NULL, false};
    struct gp_policy_context own_ctx = {.blocks = &own, .n_blocks = 1, .today = TODAY};
    ck_assert(!gp_policy_source_blocked(&job, &own_ctx, "job_centre", "employment"));
    ck_assert(gp_policy_source_blocked(&nodept, &own_ctx, "job_centre", "employment"));
    /* An override in force: every source is asked. */
    struct gp_policy_override o = {"2025-06-15T09:45:00Z", "2025-06-15T10:45:00Z"};
    ctx.overrides = &o;
    ctx.n_overrides = 1;
    ck_assert(!gp_policy_source_blocked(&job, &ctx, "region", "health_regional"));
    ck_assert(!gp_policy_source_blocked(&job, &ctx, "family", "family"));
}
END_TEST

/* The citizen's own view: everything of every department, excluded case types and blocked
 * areas included, whatever consents and overrides say; only what its source keeps from them
 * is hidden, and no source is kept from being asked. */
START_TEST(citizen_reads_own_data)
{
    struct gp_policy_caller me = {GP_ROLE_CITIZEN, "", NULL};
    struct gp_policy_record family = {"family", "family", "anbringelse", true, "open", false};
    struct gp_policy_record bolig = {"social_services", "social", "boligsikring", false,
                                     "closed",          false};
    struct gp_policy_record note = {"region", "health_regional", "psykiatri", true, "open", true};
    struct gp_policy_block all = {GP_POLICY_BLOCK_AREA, "family", NULL, NULL, false};
    struct gp_policy_context ctx = {.blocks = &all, .n_blocks = 1, .today = TODAY, .now = NOW};
    ck_decision(eval(&me, &ctx, &family), GP_VIS_FULL, GP_POLICY_BY_CITIZEN, false);
    ck_decision(eval(&me, &ctx, &bolig), GP_VIS_FULL, GP_POLICY_BY_CITIZEN, false);
    ck_decision(eval(&me, &ctx, &note), GP_VIS_HIDDEN, GP_POLICY_BY_WITHHELD, false);
    ck_assert(!gp_policy_source_blocked(&me, &ctx, "family", "family"));
    /* The flag is the citizen's only: the region still sees its own note in full. */
    struct gp_policy_caller region = {GP_ROLE_CASEWORKER, "region", "own_case"};
    ck_decision(eval(&region, &ctx, &note), GP_VIS_FULL, GP_POLICY_BY_OWN_DEPARTMENT, false);
    /* A citizen with a department (never made so, but fail closed) is still only a citizen. */
    struct gp_policy_caller odd = {GP_ROLE_CITIZEN, "family", "own_case"};
    ck_decision(eval(&odd, &ctx, &note), GP_VIS_HIDDEN, GP_POLICY_BY_WITHHELD, false);
}
END_TEST

START_TEST(legacy_rows)
{
    /* gp_policy_decide (no context) keeps its old answers. */
    struct gp_policy_record social = {
        "social_services", "social", "bostoette", true, "open", false};
    struct gp_policy_record boligsikring = {
        "social_services", "social", "boligsikring", false, "open", false};
    struct gp_policy_caller job = {GP_ROLE_CASEWORKER, "job_centre", "rehabilitation"};
    struct gp_policy_caller soc = {GP_ROLE_CASEWORKER, "social_services", NULL};
    struct gp_policy_caller tgi = {GP_ROLE_COORDINATOR, "job_centre",
                                   "target_group_identification"};
    struct gp_policy_caller admin = {GP_ROLE_ADMIN, "", NULL};
    ck_assert_int_eq(gp_policy_decide(&job, &social), GP_VIS_EXISTENCE);
    ck_assert_int_eq(gp_policy_decide(&soc, &social), GP_VIS_FULL);
    ck_assert_int_eq(gp_policy_decide(&soc, &boligsikring), GP_VIS_FULL);
    ck_assert_int_eq(gp_policy_decide(&job, &boligsikring), GP_VIS_HIDDEN);
    ck_assert_int_eq(gp_policy_decide(&tgi, &social), GP_VIS_SUMMARY);
    ck_assert_int_eq(gp_policy_decide(&tgi, &boligsikring), GP_VIS_HIDDEN);
    ck_assert_int_eq(gp_policy_decide(&admin, &social), GP_VIS_HIDDEN);
    social.status = "closed";
    ck_assert_int_eq(gp_policy_decide(&tgi, &social), GP_VIS_EXISTENCE);
    /* A department-less caller is never "own department", even for a department-less record. */
    struct gp_policy_caller nodept = {GP_ROLE_CASEWORKER, "", NULL};
    struct gp_policy_record odd = {"", "social", "x", true, "open", false};
    ck_assert_int_eq(gp_policy_decide(&nodept, &odd), GP_VIS_EXISTENCE);
    struct gp_policy_caller nulldept = {GP_ROLE_CASEWORKER, NULL, NULL};
    ck_assert_int_eq(gp_policy_decide(&nulldept, &social), GP_VIS_EXISTENCE);
    struct gp_policy_record nullrec = {NULL, "social", "x", true, "open", false};
    ck_assert_int_eq(gp_policy_decide(&nulldept, &nullrec), GP_VIS_EXISTENCE);
}
END_TEST

START_TEST(names)
{
    ck_assert_str_eq(gp_visibility_name(GP_VIS_FULL), "full");
    ck_assert_str_eq(gp_visibility_name(GP_VIS_SUMMARY), "summary");
    ck_assert_str_eq(gp_visibility_name(GP_VIS_EXISTENCE), "existence");
    ck_assert_str_eq(gp_visibility_name(GP_VIS_HIDDEN), "hidden");
    ck_assert(GP_VIS_FULL > GP_VIS_SUMMARY && GP_VIS_SUMMARY > GP_VIS_EXISTENCE &&
              GP_VIS_EXISTENCE > GP_VIS_HIDDEN);
    ck_assert_str_eq(gp_policy_reason_name(GP_POLICY_BY_ROLE), "role");
    ck_assert_str_eq(gp_policy_reason_name(GP_POLICY_BY_OWN_DEPARTMENT), "own_department");
    ck_assert_str_eq(gp_policy_reason_name(GP_POLICY_BY_EXCLUDED_TYPE), "excluded_type");
    ck_assert_str_eq(gp_policy_reason_name(GP_POLICY_BY_OVERRIDE), "override");
    ck_assert_str_eq(gp_policy_reason_name(GP_POLICY_BY_BLOCK), "block");
    ck_assert_str_eq(gp_policy_reason_name(GP_POLICY_BY_CONSENT), "consent");
    ck_assert_str_eq(gp_policy_reason_name(GP_POLICY_BY_TARGET_GROUP), "target_group");
    ck_assert_str_eq(gp_policy_reason_name(GP_POLICY_BY_NO_CONSENT), "no_consent");
    ck_assert_str_eq(gp_policy_reason_name(GP_POLICY_BY_CITIZEN), "citizen");
    ck_assert_str_eq(gp_policy_reason_name(GP_POLICY_BY_WITHHELD), "withheld");
    ck_assert_str_eq(gp_policy_reason_name((enum gp_policy_reason)0), "unknown");
    ck_assert_int_eq(gp_policy_block_kind_parse("area"), GP_POLICY_BLOCK_AREA);
    ck_assert_int_eq(gp_policy_block_kind_parse("department"), GP_POLICY_BLOCK_DEPARTMENT);
    ck_assert_int_eq(gp_policy_block_kind_parse("case_type"), GP_POLICY_BLOCK_CASE_TYPE);
    ck_assert_int_eq(gp_policy_block_kind_parse("Area"), GP_POLICY_BLOCK_UNKNOWN);
    ck_assert_int_eq(gp_policy_block_kind_parse(""), GP_POLICY_BLOCK_UNKNOWN);
    ck_assert_int_eq(gp_policy_block_kind_parse(NULL), GP_POLICY_BLOCK_UNKNOWN);
}
END_TEST

/* The one projection: what each visibility shows of each record kind, written out as the
 * documented table (lib/sharing/policy.h). */
START_TEST(projection_table)
{
    const unsigned all =
        GP_SHOW_AREA | GP_SHOW_SERVICE | GP_SHOW_CONTACT | GP_SHOW_DETAIL | GP_SHOW_SOURCE;
    const unsigned summary = GP_SHOW_AREA | GP_SHOW_SERVICE | GP_SHOW_CONTACT;
    static const char *const kinds[] = {"case",  "activity", "document", "encounter",
                                        "other", "",         NULL};
    struct {
        enum gp_visibility vis;
        int kind; /* index into kinds; 6: a NULL kind */
        enum gp_visibility level;
        unsigned fields;
    } rows[] = {
        {GP_VIS_FULL, 0, GP_VIS_FULL, 0},           {GP_VIS_FULL, 1, GP_VIS_FULL, 0},
        {GP_VIS_FULL, 2, GP_VIS_FULL, 0},           {GP_VIS_FULL, 3, GP_VIS_FULL, 0},
        {GP_VIS_FULL, 4, GP_VIS_FULL, 0},           {GP_VIS_FULL, 6, GP_VIS_FULL, 0},
        {GP_VIS_SUMMARY, 0, GP_VIS_SUMMARY, 0},     {GP_VIS_SUMMARY, 1, GP_VIS_SUMMARY, 0},
        {GP_VIS_SUMMARY, 2, GP_VIS_EXISTENCE, 0},   {GP_VIS_SUMMARY, 3, GP_VIS_EXISTENCE, 0},
        {GP_VIS_SUMMARY, 4, GP_VIS_EXISTENCE, 0},   {GP_VIS_SUMMARY, 5, GP_VIS_EXISTENCE, 0},
        {GP_VIS_SUMMARY, 6, GP_VIS_EXISTENCE, 0},   {GP_VIS_EXISTENCE, 0, GP_VIS_EXISTENCE, 0},
        {GP_VIS_EXISTENCE, 2, GP_VIS_EXISTENCE, 0}, {GP_VIS_EXISTENCE, 3, GP_VIS_EXISTENCE, 0},
        {GP_VIS_HIDDEN, 0, GP_VIS_HIDDEN, 0},       {GP_VIS_HIDDEN, 2, GP_VIS_HIDDEN, 0},
    };
    for (size_t i = 0; i < sizeof rows / sizeof rows[0]; i++) {
        const char *kind = kinds[rows[i].kind];
        struct gp_projection p = gp_policy_project(rows[i].vis, kind);
        unsigned want = rows[i].level == GP_VIS_FULL        ? all
                        : rows[i].level == GP_VIS_SUMMARY   ? summary
                        : rows[i].level == GP_VIS_EXISTENCE ? GP_SHOW_AREA
                                                            : 0u;
        ck_assert_msg(p.level == rows[i].level && p.fields == want,
                      "row %zu (%s of kind %s): level %d fields %#x, want %d %#x", i,
                      gp_visibility_name(rows[i].vis), kind ? kind : "(null)", p.level, p.fields,
                      rows[i].level, want);
        ck_assert_int_le(p.level, rows[i].vis); /* never more than decided */
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("policy");
    TCase *tc = tcase_create("decide");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, outcome_table_is_complete);
    tcase_add_test(tc, exhaustive_table);
    tcase_add_test(tc, done_when_story);
    tcase_add_test(tc, blocks_and_break_glass);
    tcase_add_test(tc, target_group_identification);
    tcase_add_test(tc, consent_scope);
    tcase_add_test(tc, fail_closed);
    tcase_add_test(tc, instants);
    tcase_add_test(tc, sources);
    tcase_add_test(tc, citizen_reads_own_data);
    tcase_add_test(tc, legacy_rows);
    tcase_add_test(tc, names);
    tcase_add_test(tc, projection_table);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
