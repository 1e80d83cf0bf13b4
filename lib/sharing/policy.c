#include "lib/sharing/policy.h"

#include <stdint.h>
#include <string.h>

const char *gp_visibility_name(enum gp_visibility v)
{
    switch (v) {
    case GP_VIS_FULL:
        return "full";
    case GP_VIS_SUMMARY:
        return "summary";
    case GP_VIS_EXISTENCE:
        return "existence";
    default:
        return "hidden";
    }
}

const char *gp_policy_reason_name(enum gp_policy_reason r)
{
    switch (r) {
    case GP_POLICY_BY_ROLE:
        return "role";
    case GP_POLICY_BY_OWN_DEPARTMENT:
        return "own_department";
    case GP_POLICY_BY_EXCLUDED_TYPE:
        return "excluded_type";
    case GP_POLICY_BY_OVERRIDE:
        return "override";
    case GP_POLICY_BY_BLOCK:
        return "block";
    case GP_POLICY_BY_CONSENT:
        return "consent";
    case GP_POLICY_BY_TARGET_GROUP:
        return "target_group";
    case GP_POLICY_BY_NO_CONSENT:
        return "no_consent";
    case GP_POLICY_BY_CITIZEN:
        return "citizen";
    case GP_POLICY_BY_WITHHELD:
        return "withheld";
    }
    return "unknown";
}

enum gp_policy_block_kind gp_policy_block_kind_parse(const char *scope_kind)
{
    if (!scope_kind)
        return GP_POLICY_BLOCK_UNKNOWN;
    if (!strcmp(scope_kind, "area"))
        return GP_POLICY_BLOCK_AREA;
    if (!strcmp(scope_kind, "department"))
        return GP_POLICY_BLOCK_DEPARTMENT;
    if (!strcmp(scope_kind, "case_type"))
        return GP_POLICY_BLOCK_CASE_TYPE;
    return GP_POLICY_BLOCK_UNKNOWN;
}

/* ---- small predicates ---- */

static bool present(const char *s)
{
    return s && *s;
}

static bool same(const char *a, const char *b)
{
    return present(a) && present(b) && !strcmp(a, b);
}

static bool same_department(const struct gp_policy_caller *c, const char *department)
{
    return same(c->department, department);
}

static bool reads_case_data(enum gp_role role)
{
    return role == GP_ROLE_CASEWORKER || role == GP_ROLE_COORDINATOR;
}

static bool is_digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

/* s starts with "YYYY-MM-DD" (s has at least 10 characters). */
static bool date_prefix(const char *s)
{
    return is_digits(s, 4) && s[4] == '-' && is_digits(s + 5, 2) && s[7] == '-' &&
           is_digits(s + 8, 2);
}

/* Exactly "YYYY-MM-DD": then strcmp orders dates. */
static bool is_date(const char *s)
{
    return s && strlen(s) == 10 && date_prefix(s);
}

/* An instant as two comparable numbers: YYYYMMDDHHMMSS and nanoseconds. */
struct instant {
    int64_t seconds;
    int32_t nanos;
};

static int64_t digits_value(const char *s, size_t n)
{
    int64_t v = 0;
    for (size_t i = 0; i < n; i++)
        v = v * 10 + (s[i] - '0');
    return v;
}

/* "YYYY-MM-DD[T ]HH:MM:SS[.f{1,9}](Z|+00|+00:00)"; false for anything else. Only UTC is
 * accepted: an offset would need calendar arithmetic, and lib/consent always writes UTC. */
static bool parse_instant(const char *s, struct instant *out)
{
    if (!s || strlen(s) < 20 || !date_prefix(s))
        return false;
    if ((s[10] != 'T' && s[10] != ' ') || !is_digits(s + 11, 2) || s[13] != ':' ||
        !is_digits(s + 14, 2) || s[16] != ':' || !is_digits(s + 17, 2))
        return false;
    int64_t v = digits_value(s, 4);
    v = v * 100 + digits_value(s + 5, 2);
    v = v * 100 + digits_value(s + 8, 2);
    v = v * 100 + digits_value(s + 11, 2);
    v = v * 100 + digits_value(s + 14, 2);
    v = v * 100 + digits_value(s + 17, 2);
    const char *p = s + 19;
    int32_t nanos = 0;
    if (*p == '.') {
        p++;
        size_t n = 0;
        while (p[n] >= '0' && p[n] <= '9')
            n++;
        if (n == 0 || n > 9)
            return false;
        nanos = (int32_t)digits_value(p, n);
        for (size_t i = n; i < 9; i++)
            nanos *= 10;
        p += n;
    }
    if (strcmp(p, "Z") != 0 && strcmp(p, "+00") != 0 && strcmp(p, "+00:00") != 0)
        return false;
    out->seconds = v;
    out->nanos = nanos;
    return true;
}

static int instant_cmp(const struct instant *a, const struct instant *b)
{
    if (a->seconds != b->seconds)
        return a->seconds < b->seconds ? -1 : 1;
    if (a->nanos != b->nanos)
        return a->nanos < b->nanos ? -1 : 1;
    return 0;
}

/* ---- consents, blocks, overrides in force ---- */

static bool consent_in_force(const struct gp_policy_consent *k, const char *today)
{
    if (k->withdrawn || !is_date(today) || !is_date(k->valid_from))
        return false;
    if (strcmp(k->valid_from, today) > 0)
        return false;
    if (!present(k->valid_until))
        return true;
    return is_date(k->valid_until) && strcmp(today, k->valid_until) <= 0;
}

static bool listed(const char *const *list, size_t n, size_t max, const char *s)
{
    if (n > max)
        n = max;
    for (size_t i = 0; i < n; i++) {
        if (same(list[i], s))
            return true;
    }
    return false;
}

static bool consent_covers(const struct gp_policy_consent *k, const char *purpose,
                           const struct gp_policy_record *r)
{
    if (!same(k->purpose, purpose))
        return false;
    if (!listed(k->areas, k->n_areas, GP_POLICY_MAX_AREAS, r->area))
        return false;
    return k->n_departments == 0 ||
           listed(k->departments, k->n_departments, GP_POLICY_MAX_DEPARTMENTS, r->department);
}

static bool consented(const struct gp_policy_caller *c, const struct gp_policy_context *ctx,
                      const struct gp_policy_record *r)
{
    for (size_t i = 0; ctx && ctx->consents && i < ctx->n_consents; i++) {
        const struct gp_policy_consent *k = &ctx->consents[i];
        if (consent_in_force(k, ctx->today) && consent_covers(k, c->purpose, r))
            return true;
    }
    return false;
}

static bool block_in_force(const struct gp_policy_block *b, const char *today)
{
    if (b->withdrawn)
        return false;
    if (!is_date(today))
        return true;
    if (is_date(b->valid_from) && strcmp(today, b->valid_from) < 0)
        return false;
    if (is_date(b->valid_until) && strcmp(today, b->valid_until) > 0)
        return false;
    return true;
}

/* Whether b's scope is unreadable: it then covers everything. */
static bool block_unreadable(const struct gp_policy_block *b)
{
    switch (b->kind) {
    case GP_POLICY_BLOCK_AREA:
    case GP_POLICY_BLOCK_DEPARTMENT:
    case GP_POLICY_BLOCK_CASE_TYPE:
        return !present(b->value);
    default:
        return true;
    }
}

static bool block_covers(const struct gp_policy_block *b, const struct gp_policy_record *r)
{
    if (block_unreadable(b))
        return true;
    switch (b->kind) {
    case GP_POLICY_BLOCK_AREA:
        return same(b->value, r->area);
    case GP_POLICY_BLOCK_DEPARTMENT:
        return same(b->value, r->department);
    case GP_POLICY_BLOCK_CASE_TYPE:
        return same(b->value, r->case_type);
    default:
        return true;
    }
}

static bool blocked(const struct gp_policy_context *ctx, const struct gp_policy_record *r)
{
    for (size_t i = 0; ctx && ctx->blocks && i < ctx->n_blocks; i++) {
        const struct gp_policy_block *b = &ctx->blocks[i];
        if (block_in_force(b, ctx->today) && block_covers(b, r))
            return true;
    }
    return false;
}

static bool override_in_force(const struct gp_policy_context *ctx)
{
    struct instant now;
    if (!ctx || !ctx->overrides || !parse_instant(ctx->now, &now))
        return false;
    for (size_t i = 0; i < ctx->n_overrides; i++) {
        struct instant from, until;
        if (parse_instant(ctx->overrides[i].created_at, &from) &&
            parse_instant(ctx->overrides[i].expires_at, &until) && instant_cmp(&from, &now) <= 0 &&
            instant_cmp(&now, &until) < 0)
            return true;
    }
    return false;
}

/* ---- the decision ---- */

static struct gp_policy_decision decided(enum gp_visibility level, enum gp_policy_reason reason)
{
    struct gp_policy_decision d = {level, reason, false};
    return d;
}

/* Rules 5-8: outside the own department, for a shared case type, without the override. */
static struct gp_policy_decision by_citizen(const struct gp_policy_caller *c,
                                            const struct gp_policy_context *ctx,
                                            const struct gp_policy_record *r)
{
    if (blocked(ctx, r))
        return decided(GP_VIS_HIDDEN, GP_POLICY_BY_BLOCK);
    if (consented(c, ctx, r))
        return decided(GP_VIS_FULL, GP_POLICY_BY_CONSENT);
    /* Target-group identification may see a summary of ongoing services (legal basis, name,
     * caseworker contact) without consent; nothing past or planned. */
    if (same(c->purpose, "target_group_identification") && same(r->status, "open"))
        return decided(GP_VIS_SUMMARY, GP_POLICY_BY_TARGET_GROUP);
    return decided(GP_VIS_EXISTENCE, GP_POLICY_BY_NO_CONSENT);
}

struct gp_policy_decision gp_policy_evaluate(const struct gp_policy_caller *c,
                                             const struct gp_policy_context *ctx,
                                             const struct gp_policy_record *r)
{
    /* The citizen reads their own data: all of it, but what its source keeps from them. */
    if (c->role == GP_ROLE_CITIZEN)
        return r->withheld_from_citizen ? decided(GP_VIS_HIDDEN, GP_POLICY_BY_WITHHELD)
                                        : decided(GP_VIS_FULL, GP_POLICY_BY_CITIZEN);
    /* Only the roles that read case data see any record at all, override or not. */
    if (!reads_case_data(c->role))
        return decided(GP_VIS_HIDDEN, GP_POLICY_BY_ROLE);
    if (same_department(c, r->department))
        return decided(GP_VIS_FULL, GP_POLICY_BY_OWN_DEPARTMENT);
    /* Types the municipalities do not share across departments (boligsikring, friplads, ...)
     * are hidden from everyone else, always: not even their existence shows. */
    if (!r->cross_department)
        return decided(GP_VIS_HIDDEN, GP_POLICY_BY_EXCLUDED_TYPE);
    struct gp_policy_decision d = by_citizen(c, ctx, r);
    /* Break-glass lifts blocks and missing consent; it is "used" only where it made the
     * difference, so the audit row does not flag reads a consent allowed anyway. */
    if (d.level < GP_VIS_FULL && override_in_force(ctx)) {
        d = decided(GP_VIS_FULL, GP_POLICY_BY_OVERRIDE);
        d.override_used = true;
    }
    return d;
}

enum gp_visibility gp_policy_decide(const struct gp_policy_caller *c,
                                    const struct gp_policy_record *r)
{
    return gp_policy_evaluate(c, NULL, r).level;
}

bool gp_policy_source_blocked(const struct gp_policy_caller *c, const struct gp_policy_context *ctx,
                              const char *source_department, const char *source_area)
{
    if (!ctx || c->role == GP_ROLE_CITIZEN || same_department(c, source_department) ||
        override_in_force(ctx))
        return false;
    for (size_t i = 0; ctx->blocks && i < ctx->n_blocks; i++) {
        const struct gp_policy_block *b = &ctx->blocks[i];
        if (!block_in_force(b, ctx->today))
            continue;
        if (block_unreadable(b))
            return true;
        if (b->kind == GP_POLICY_BLOCK_DEPARTMENT && same(b->value, source_department))
            return true;
        if (b->kind == GP_POLICY_BLOCK_AREA && same(b->value, source_area))
            return true;
    }
    return false;
}

struct gp_projection gp_policy_project(enum gp_visibility vis, const char *kind)
{
    bool service = kind && (!strcmp(kind, "case") || !strcmp(kind, "activity"));
    if (vis == GP_VIS_SUMMARY && !service)
        vis = GP_VIS_EXISTENCE;
    switch (vis) {
    case GP_VIS_FULL:
        return (struct gp_projection){GP_VIS_FULL, GP_SHOW_AREA | GP_SHOW_SERVICE |
                                                       GP_SHOW_CONTACT | GP_SHOW_DETAIL |
                                                       GP_SHOW_SOURCE};
    case GP_VIS_SUMMARY:
        return (struct gp_projection){GP_VIS_SUMMARY,
                                      GP_SHOW_AREA | GP_SHOW_SERVICE | GP_SHOW_CONTACT};
    case GP_VIS_EXISTENCE:
        return (struct gp_projection){GP_VIS_EXISTENCE, GP_SHOW_AREA};
    case GP_VIS_HIDDEN:
        break;
    }
    return (struct gp_projection){GP_VIS_HIDDEN, 0};
}
