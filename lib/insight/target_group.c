/* The CPR list: see lib/target_group.h for what qualifies and what is shared. */
#include "lib/insight/target_group.h"
#include "lib/db/stmt.h"

#include "lib/core/alloc.h"
#include "lib/sharing/audit.h"
#include "lib/core/cpr.h"
#include "lib/core/log.h"

#include <openssl/evp.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* The longest audit details gp_tg_audit_details can write, from the limits in the header:
 * the criteria's fixed keys and punctuation with the largest numbers (160), every area
 * quoted with a comma, every exclusion, every combination; the wrapper's keys, date and
 * cursor (120); and each CPR of a full page quoted with a comma. */
/* A code in a column of len bytes (its NUL included): len - 1 characters, two quotes, a comma. */
#define TG_QUOTED(len) ((len) + 2)
#define GP_TG_DETAILS_WORST                                                                        \
    (160 + GP_TG_MAX_AREAS * TG_QUOTED(GP_TG_AREA_LEN) +                                           \
     GP_TG_MAX_EXCLUDE * TG_QUOTED(GP_TG_TYPE_LEN) +                                               \
     GP_TG_MAX_COMBOS * (3 + GP_TG_MAX_COMBO_AREAS * TG_QUOTED(GP_TG_AREA_LEN)) + 120 +            \
     GP_TG_MAX_LIMIT * 13)
_Static_assert(GP_TG_DETAILS_WORST < sizeof(((struct gp_audit_entry *)0)->details),
               "a full page's audit details must fit struct gp_audit_entry.details");
_Static_assert(GP_TG_MAX_COMBOS <= 8 * sizeof(unsigned), "combos_met is a bit set");

/* The SQL is kept out of clang-format, which cannot lay out long SQL strings. */
/* clang-format off */

/* Which of the named codes the taxonomy does not know: areas ($1) and case types ($2), both
 * JSON arrays of strings. */
static const struct gp_stmt stmt_unknown = {
    "target_group_unknown_codes",
    "SELECT 'area', a FROM jsonb_array_elements_text($1::jsonb) a"
    " WHERE NOT EXISTS (SELECT 1 FROM area WHERE area.code = a)"
    " UNION"
    " SELECT 'case_type', t FROM jsonb_array_elements_text($2::jsonb) t"
    " WHERE NOT EXISTS (SELECT 1 FROM case_type WHERE case_type.code = t)"
    " ORDER BY 1, 2"};

/* Settings for the search's transaction. jit off: the planner prices the search as the walk
 * over the whole index it may become, which passes the JIT thresholds, but a page usually fills
 * after a few hundred citizens, and compiling would cost tens of milliseconds more than the
 * whole search. Custom plans always: the best plan depends on the criteria (an absent bound, no
 * area filter or no combination then drops out of the plan), and planning costs about a
 * millisecond. SET LOCAL semantics: they end with the transaction. */
static const struct gp_stmt stmt_settings = {
    "target_group_settings",
    "SELECT set_config('jit', 'off', true), set_config('plan_cache_mode', 'force_custom_plan', true)"};

/* The search. Parameters: $1 after (CPR, '' from the start), $2 areas (JSON array, [] for
 * all), $3 excluded case types (JSON array), $4 min_areas, $5 min_departments, $6 combinations
 * (JSON array of arrays, [] for none), $7 age_min, $8 age_max (NULL: no bound), $9 today, $10
 * rows wanted (the page size + 1, to know whether more follow). STATUS is the status condition
 * and AREAS, DEPTS the summary's columns for it: one statement per value of ongoing_only.
 *
 * The walk: citizen_summary (migration 0020) in CPR order from the cursor, an index-only scan
 * of its primary key, stopped by the LIMIT once the page is full (the nested loop keeps the
 * order, so nothing is sorted). The summary holds every area and department of a citizen's live
 * services (and of the open ones): a superset of what `counted` below counts, since every
 * condition of the exact rule only takes records away. So its conditions — as many areas
 * (among the criteria's, when named) and departments as asked, a required combination among
 * the areas, the age (exact: it is the CPR's) — are necessary, and a citizen who fails them
 * cannot qualify: a rare criteria set skips most citizens after reading one index entry each,
 * where the walk over the services read every service of every citizen.
 *
 * The conditions on the summary are one CASE on purpose: the planner cannot estimate them and,
 * as separate clauses, multiplies default selectivities into "almost nobody qualifies", for
 * which it reads the whole summary and sorts it (tens of milliseconds at 100,000 citizens,
 * seconds at millions); as one opaque boolean it assumes half, and walks the index in order
 * and stops at the LIMIT, which is the plan wanted for every criteria set. It also evaluates
 * them in the order written, the cheap ones first.
 *
 * The exact rule then decides for the citizens left: `counted` is the rule of lib/target_group.h
 * for a qualifying record, inlined (NOT MATERIALIZED) as an index scan on the citizen's CPR,
 * aggregated per citizen (LATERAL; no records: NULL arrays, which no condition accepts) and held
 * to the same conditions as before. Sub-selects without outer references run once per
 * statement (InitPlans): the allowed case types, the areas, and the citizens with a block in
 * force. Each is hashed, so type, area and block cost one hash probe per record (and the block
 * rule an index lookup only for records of citizens who have a block): NOT IN, and IN inside
 * an OR, stay such hashed sub-selects rather than becoming joins. Not `= ANY (array)`: on an
 * index column that becomes an index condition, which PostgreSQL 15 runs as one index scan per
 * array element. tests/integration/itest_tg_summary.c holds the walk over the services this
 * replaced (TG_SEARCH_SQL before migration 0020) and compares the two.
 *
 * The reasons name areas and departments (existence); the services listed are summaries, and a
 * summary shows services only — cases and activities — as gp_policy_project (lib/sharing/policy.h)
 * decides for every read route: encounters count towards the areas but are never listed. */
#define TG_SEARCH_SQL(STATUS, AREAS, DEPTS)                                                        \
    "WITH counted AS NOT MATERIALIZED ("                                                           \
    "  SELECT r.cpr, r.area, r.department, r.case_type, r.status, r.kind, r.legal_basis,"          \
    "   r.caseworker_name, r.caseworker_contact"                                                   \
    "  FROM record r"                                                                              \
    "  WHERE r.removed_at IS NULL AND r.kind <> 'document'" STATUS                                 \
    "   AND r.case_type NOT IN (SELECT t.code FROM case_type t WHERE NOT t.cross_department"       \
    "    OR t.code IN (SELECT jsonb_array_elements_text($3::jsonb)))"                              \
    "   AND ($2::jsonb = '[]'::jsonb"                                                              \
    "    OR r.area IN (SELECT jsonb_array_elements_text($2::jsonb)))"                              \
    "   AND (r.cpr NOT IN (SELECT b.cpr FROM citizen_block b WHERE b.withdrawn_at IS NULL"         \
    "     AND b.valid_from <= $9::date"                                                            \
    "     AND (b.valid_until IS NULL OR b.valid_until >= $9::date))"                               \
    "    OR NOT EXISTS (SELECT 1 FROM citizen_block b WHERE b.cpr = r.cpr"                         \
    "     AND b.withdrawn_at IS NULL AND b.valid_from <= $9::date"                                 \
    "     AND (b.valid_until IS NULL OR b.valid_until >= $9::date)"                                \
    "     AND ((b.scope_kind = 'area' AND b.scope_value = r.area)"                                 \
    "      OR (b.scope_kind = 'department' AND b.scope_value = r.department)"                      \
    "      OR (b.scope_kind = 'case_type' AND b.scope_value = r.case_type)"                        \
    "      OR b.scope_kind NOT IN ('area', 'department', 'case_type'))))"                          \
    "), page AS ("                                                                                 \
    "  SELECT s.cpr, g.areas, g.departments FROM citizen_summary s"                                \
    "  CROSS JOIN LATERAL (SELECT array_agg(DISTINCT c.area ORDER BY c.area) AS areas,"            \
    "    array_agg(DISTINCT c.department ORDER BY c.department) AS departments"                    \
    "   FROM counted c WHERE c.cpr = s.cpr) g"                                                     \
    "  WHERE s.cpr > $1 AND CASE WHEN"                                                             \
    "   cardinality(s." AREAS ") >= $4::integer"                                                   \
    "   AND cardinality(s." DEPTS ") >= $5::integer"                                               \
    "   AND ($2::jsonb = '[]'::jsonb OR (SELECT count(*) FROM unnest(s." AREAS ") a"               \
    "    WHERE a IN (SELECT jsonb_array_elements_text($2::jsonb))) >= $4::integer)"                \
    "   AND ($6::jsonb = '[]'::jsonb OR EXISTS (SELECT 1 FROM jsonb_array_elements($6::jsonb) k"   \
    "    WHERE ARRAY(SELECT jsonb_array_elements_text(k.value)) <@ s." AREAS "))"                  \
    "   AND ($7::integer IS NULL OR cpr_birth_date(s.cpr)"                                         \
    "    <= ($9::date - make_interval(years => $7::integer))::date)"                               \
    "   AND ($8::integer IS NULL OR cpr_birth_date(s.cpr)"                                         \
    "    > ($9::date - make_interval(years => $8::integer + 1))::date)"                            \
    "   THEN true ELSE false END"                                                                  \
    "   AND cardinality(g.areas) >= $4::integer"                                                   \
    "   AND cardinality(g.departments) >= $5::integer"                                             \
    "   AND ($6::jsonb = '[]'::jsonb OR EXISTS (SELECT 1 FROM jsonb_array_elements($6::jsonb) k"   \
    "    WHERE ARRAY(SELECT jsonb_array_elements_text(k.value)) <@ g.areas))"                      \
    "  ORDER BY s.cpr LIMIT $10::integer"                                                          \
    ")"                                                                                            \
    " SELECT p.cpr, array_to_json(p.areas)::text, array_to_json(p.departments)::text,"             \
    "  coalesce((SELECT json_agg(json_build_array(s.area, s.department, s.case_type,"              \
    "    t.label_da, t.label_en, s.legal_basis, s.caseworker_name, s.caseworker_contact)"          \
    "    ORDER BY s.area, s.department, s.case_type, s.legal_basis, s.caseworker_name,"            \
    "     s.caseworker_contact)"                                                                   \
    "   FROM (SELECT DISTINCT c.area, c.department, c.case_type,"                                  \
    "     coalesce(c.legal_basis, '') AS legal_basis,"                                             \
    "     coalesce(c.caseworker_name, '') AS caseworker_name,"                                     \
    "     coalesce(c.caseworker_contact, '') AS caseworker_contact"                                \
    "    FROM counted c WHERE c.cpr = p.cpr AND c.status = 'open'"                                  \
    "     AND c.kind IN ('case', 'activity')) s"                                                    \
    "   JOIN case_type t ON t.code = s.case_type)::text, '[]')"                                    \
    " FROM page p ORDER BY p.cpr"

static const struct gp_stmt stmt_search_ongoing = {
    "target_group_search_ongoing",
    TG_SEARCH_SQL(" AND r.status = 'open'", "open_areas", "open_departments")};
static const struct gp_stmt stmt_search_any = {"target_group_search_any",
                                               TG_SEARCH_SQL("", "areas", "departments")};
/* clang-format on */

void gp_tg_criteria_init(struct gp_tg_criteria *c)
{
    memset(c, 0, sizeof *c);
    c->min_areas = 2;
    c->min_departments = 1;
    c->age_min = -1;
    c->age_max = -1;
    c->ongoing_only = true;
    c->limit = GP_TG_DEFAULT_LIMIT;
    time_t now = time(NULL);
    struct tm tm;
    gmtime_r(&now, &tm);
    strftime(c->today, sizeof c->today, "%Y-%m-%d", &tm);
}

void gp_tg_problem_add(struct gp_tg_problems *p, const char *field, const char *fmt, ...)
{
    if (p->n >= GP_TG_MAX_PROBLEMS)
        return;
    struct gp_tg_problem *x = &p->items[p->n++];
    snprintf(x->field, sizeof x->field, "%s", field);
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(x->reason, sizeof x->reason, fmt, ap);
    va_end(ap);
}

/* A code as the taxonomy writes them: a lower-case letter, then lower-case letters, digits
 * (case types only) and underscores. */
static bool code_ok(const char *s, bool digits)
{
    if (!(s[0] >= 'a' && s[0] <= 'z'))
        return false;
    for (const char *p = s + 1; *p; p++) {
        if (!((*p >= 'a' && *p <= 'z') || *p == '_' || (digits && *p >= '0' && *p <= '9')))
            return false;
    }
    return true;
}

static bool in_list(const char (*list)[GP_TG_AREA_LEN], size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(list[i], s))
            return true;
    }
    return false;
}

size_t gp_tg_criteria_check(const struct gp_tg_criteria *c, struct gp_tg_problems *out)
{
    size_t before = out->n;
    char field[72];
    for (size_t i = 0; i < c->n_areas; i++) {
        snprintf(field, sizeof field, "areas[%zu]", i);
        if (!code_ok(c->areas[i], false))
            gp_tg_problem_add(out, field, "is not an area code");
        else if (in_list(c->areas, i, c->areas[i]))
            gp_tg_problem_add(out, field, "names an area twice");
    }
    if (c->n_areas > 0 && (size_t)c->min_areas > c->n_areas)
        gp_tg_problem_add(out, "min_areas", "is more than the %zu areas named in areas",
                          c->n_areas);
    bool wide_combo = false;
    for (size_t i = 0; i < c->n_combos; i++) {
        const struct gp_tg_combo *k = &c->combos[i];
        if (k->n == 0) {
            snprintf(field, sizeof field, "required_combinations[%zu]", i);
            gp_tg_problem_add(out, field, "must name at least one area");
        }
        wide_combo |= k->n >= 2;
        for (size_t j = 0; j < k->n; j++) {
            snprintf(field, sizeof field, "required_combinations[%zu][%zu]", i, j);
            if (!code_ok(k->areas[j], false))
                gp_tg_problem_add(out, field, "is not an area code");
            else if (in_list(k->areas, j, k->areas[j]))
                gp_tg_problem_add(out, field, "names an area twice in one combination");
            else if (c->n_areas > 0 && !in_list(c->areas, c->n_areas, k->areas[j]))
                gp_tg_problem_add(out, field,
                                  "is not among areas, so the combination can never be met");
        }
    }
    if (c->age_min >= 0 && c->age_max >= 0 && c->age_min > c->age_max)
        gp_tg_problem_add(out, "age_min", "is above age_max");
    for (size_t i = 0; i < c->n_exclude; i++) {
        snprintf(field, sizeof field, "exclude_case_types[%zu]", i);
        bool dup = false;
        for (size_t j = 0; j < i && !dup; j++)
            dup = !strcmp(c->exclude[j], c->exclude[i]);
        if (!code_ok(c->exclude[i], true))
            gp_tg_problem_add(out, field, "is not a case-type code");
        else if (dup)
            gp_tg_problem_add(out, field, "names a case type twice");
    }
    if (c->min_areas < 2 && c->min_departments < 2 && !wide_combo)
        gp_tg_problem_add(out, "min_areas",
                          "must be 2 or more unless min_departments is 2 or more or a required "
                          "combination names two or more areas: the CPR list is for citizens "
                          "across departments");
    return out->n - before;
}

/* For qsort over a table of NUL-terminated strings (any column width). */
static int cmp_string(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int cmp_combo(const void *a, const void *b)
{
    const struct gp_tg_combo *x = a, *y = b;
    for (size_t i = 0; i < x->n && i < y->n; i++) {
        int d = strcmp(x->areas[i], y->areas[i]);
        if (d)
            return d;
    }
    return (x->n > y->n) - (x->n < y->n);
}

void gp_tg_criteria_normalise(struct gp_tg_criteria *c)
{
    qsort(c->areas, c->n_areas, sizeof c->areas[0], cmp_string);
    for (size_t i = 0; i < c->n_combos; i++)
        qsort(c->combos[i].areas, c->combos[i].n, sizeof c->combos[i].areas[0], cmp_string);
    qsort(c->combos, c->n_combos, sizeof c->combos[0], cmp_combo);
    qsort(c->exclude, c->n_exclude, sizeof c->exclude[0], cmp_string);
}

static json_t *area_array(const char (*list)[GP_TG_AREA_LEN], size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(list[i]));
    return a;
}

static json_t *type_array(const char (*list)[GP_TG_TYPE_LEN], size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(list[i]));
    return a;
}

static json_t *combos_array(const struct gp_tg_criteria *c)
{
    json_t *a = json_array();
    for (size_t i = 0; i < c->n_combos; i++)
        json_array_append_new(a, area_array(c->combos[i].areas, c->combos[i].n));
    return a;
}

static json_t *bound(int v)
{
    return v >= 0 ? json_integer(v) : json_null();
}

json_t *gp_tg_criteria_json(const struct gp_tg_criteria *c)
{
    json_t *o = json_object();
    json_object_set_new(o, "areas", area_array(c->areas, c->n_areas));
    json_object_set_new(o, "min_areas", json_integer(c->min_areas));
    json_object_set_new(o, "min_departments", json_integer(c->min_departments));
    json_object_set_new(o, "required_combinations", combos_array(c));
    json_object_set_new(o, "age_min", bound(c->age_min));
    json_object_set_new(o, "age_max", bound(c->age_max));
    json_object_set_new(o, "exclude_case_types", type_array(c->exclude, c->n_exclude));
    json_object_set_new(o, "ongoing_only", json_boolean(c->ongoing_only));
    return o;
}

/* The first 8 hex digits of the SHA-256 of the criteria as compact JSON with sorted keys. */
static void fingerprint(const struct gp_tg_criteria *c, char out[9])
{
    json_t *o = gp_tg_criteria_json(c);
    char *s = json_dumps(o, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(o);
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int mdlen = 0;
    if (!s || !EVP_Digest(s, strlen(s), md, &mdlen, EVP_sha256(), NULL) || mdlen < 4) {
        GP_LOG_BUG("cannot fingerprint the search criteria");
        memset(md, 0, 4);
    }
    free(s);
    for (int i = 0; i < 4; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

void gp_tg_cursor_make(const struct gp_tg_criteria *c, const char *cpr, char buf[GP_TG_CURSOR_LEN])
{
    char fp[9];
    fingerprint(c, fp);
    snprintf(buf, GP_TG_CURSOR_LEN, "tg1.%.10s.%s", cpr, fp);
}

bool gp_tg_cursor_apply(struct gp_tg_criteria *c, const char *s)
{
    /* "tg1." 10 digits "." 8 lower-case hex digits */
    if (!s || strlen(s) != 4 + 10 + 1 + 8 || strncmp(s, "tg1.", 4) != 0 || s[14] != '.')
        return false;
    for (int i = 4; i < 14; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    char fp[9];
    fingerprint(c, fp);
    if (strcmp(s + 15, fp) != 0)
        return false;
    memcpy(c->after, s + 4, 10);
    c->after[10] = '\0';
    return true;
}

void gp_tg_page_free(struct gp_tg_page *p)
{
    if (!p)
        return;
    for (size_t i = 0; i < p->n; i++)
        free(p->items[i].services);
    free(p->items);
    p->items = NULL;
    p->n = 0;
    p->more = false;
}

enum gp_qs gp_tg_check_codes(struct gp_db_conn *conn, const struct gp_tg_criteria *c,
                             struct gp_tg_problems *out)
{
    json_t *areas = area_array(c->areas, c->n_areas);
    for (size_t i = 0; i < c->n_combos; i++) {
        json_t *more = area_array(c->combos[i].areas, c->combos[i].n);
        json_array_extend(areas, more);
        json_decref(more);
    }
    json_t *types = type_array(c->exclude, c->n_exclude);
    char *pa = json_dumps(areas, JSON_COMPACT);
    char *pt = json_dumps(types, JSON_COMPACT);
    json_decref(areas);
    json_decref(types);
    const char *p[2] = {pa, pt};
    PGresult *r = NULL;
    enum gp_qs qs = pa && pt ? gp_db_exec(conn, &stmt_unknown, 2, p, &r) : GP_QS_HARD_ERROR;
    free(pa);
    free(pt);
    if (qs < 0) {
        if (qs == GP_QS_HARD_ERROR)
            GP_LOG_ERROR("target-group code check failed: %s", gp_db_error(conn));
        return qs;
    }
    char field[72];
    for (int row = 0; row < PQntuples(r); row++) {
        bool area = !strcmp(PQgetvalue(r, row, 0), "area");
        const char *code = PQgetvalue(r, row, 1);
        if (area) {
            for (size_t i = 0; i < c->n_areas; i++) {
                snprintf(field, sizeof field, "areas[%zu]", i);
                if (!strcmp(c->areas[i], code))
                    gp_tg_problem_add(out, field, "is not a known area");
            }
            for (size_t i = 0; i < c->n_combos; i++) {
                for (size_t j = 0; j < c->combos[i].n; j++) {
                    snprintf(field, sizeof field, "required_combinations[%zu][%zu]", i, j);
                    if (!strcmp(c->combos[i].areas[j], code))
                        gp_tg_problem_add(out, field, "is not a known area");
                }
            }
        } else {
            for (size_t i = 0; i < c->n_exclude; i++) {
                snprintf(field, sizeof field, "exclude_case_types[%zu]", i);
                if (!strcmp(c->exclude[i], code))
                    gp_tg_problem_add(out, field, "is not a known case type");
            }
        }
    }
    PQclear(r);
    return qs;
}

static json_t *strings_json(const struct gp_tg_criteria *c, bool exclude)
{
    return exclude ? type_array(c->exclude, c->n_exclude) : area_array(c->areas, c->n_areas);
}

/* Copies a JSON array of strings into a fixed table; false when one does not fit. */
static bool copy_strings(const json_t *a, char *table, size_t width, size_t max, size_t *n)
{
    size_t i;
    json_t *v;
    *n = 0;
    if (!json_is_array(a) || json_array_size(a) > max)
        return false;
    json_array_foreach(a, i, v)
    {
        const char *s = json_string_value(v);
        if (!s || strlen(s) >= width)
            return false;
        memcpy(table + i * width, s, strlen(s) + 1);
        (*n)++;
    }
    return true;
}

static void copy_field(char *dst, size_t size, const json_t *v)
{
    const char *s = json_string_value(v);
    snprintf(dst, size, "%s", s ? s : "");
}

/* One row of the search into *x; false when it cannot be read (a bug). */
static bool read_candidate(const PGresult *r, int row, const struct gp_tg_criteria *c,
                           struct gp_tg_candidate *x)
{
    memset(x, 0, sizeof *x);
    x->age = -1;
    snprintf(x->cpr, sizeof x->cpr, "%s", PQgetvalue(r, row, 0));
    struct gp_cpr cpr;
    int y, m, d;
    if (gp_cpr_parse(x->cpr, strlen(x->cpr), &cpr) == GP_CPR_OK &&
        sscanf(c->today, "%4d-%2d-%2d", &y, &m, &d) == 3) {
        gp_cpr_birth_date(&cpr, x->birth_date);
        x->age = gp_cpr_age_on(&cpr, y, m, d);
    }
    json_t *areas = json_loads(PQgetvalue(r, row, 1), 0, NULL);
    json_t *depts = json_loads(PQgetvalue(r, row, 2), 0, NULL);
    json_t *services = json_loads(PQgetvalue(r, row, 3), 0, NULL);
    bool ok = copy_strings(areas, &x->areas[0][0], GP_TG_AREA_LEN, GP_TG_MAX_HELD, &x->n_areas) &&
              copy_strings(depts, &x->departments[0][0], GP_TG_DEPT_LEN, GP_TG_MAX_HELD,
                           &x->n_departments) &&
              json_is_array(services);
    if (ok && json_array_size(services) > 0) {
        x->services = gp_xcalloc(json_array_size(services), sizeof *x->services);
        size_t i;
        json_t *s;
        json_array_foreach(services, i, s)
        {
            struct gp_tg_service *v = &x->services[x->n_services++];
            copy_field(v->area, sizeof v->area, json_array_get(s, 0));
            copy_field(v->department, sizeof v->department, json_array_get(s, 1));
            copy_field(v->case_type, sizeof v->case_type, json_array_get(s, 2));
            copy_field(v->label_da, sizeof v->label_da, json_array_get(s, 3));
            copy_field(v->label_en, sizeof v->label_en, json_array_get(s, 4));
            copy_field(v->legal_basis, sizeof v->legal_basis, json_array_get(s, 5));
            copy_field(v->caseworker_name, sizeof v->caseworker_name, json_array_get(s, 6));
            copy_field(v->caseworker_contact, sizeof v->caseworker_contact, json_array_get(s, 7));
        }
    }
    for (size_t i = 0; ok && i < c->n_combos; i++) {
        bool met = true;
        for (size_t j = 0; j < c->combos[i].n && met; j++)
            met = in_list(x->areas, x->n_areas, c->combos[i].areas[j]);
        if (met)
            x->combos_met |= 1u << i;
    }
    json_decref(areas);
    json_decref(depts);
    json_decref(services);
    return ok;
}

enum gp_qs gp_tg_search(struct gp_db_conn *conn, const struct gp_tg_criteria *c,
                        struct gp_tg_page *out)
{
    memset(out, 0, sizeof *out);
    json_t *combos = combos_array(c);
    json_t *areas = strings_json(c, false), *exclude = strings_json(c, true);
    char *p_areas = json_dumps(areas, JSON_COMPACT);
    char *p_exclude = json_dumps(exclude, JSON_COMPACT);
    char *p_combos = json_dumps(combos, JSON_COMPACT);
    json_decref(areas);
    json_decref(exclude);
    json_decref(combos);
    char min_areas[16], min_depts[16], age_min[16], age_max[16], rows[16];
    snprintf(min_areas, sizeof min_areas, "%d", c->min_areas);
    snprintf(min_depts, sizeof min_depts, "%d", c->min_departments);
    snprintf(age_min, sizeof age_min, "%d", c->age_min);
    snprintf(age_max, sizeof age_max, "%d", c->age_max);
    snprintf(rows, sizeof rows, "%d", c->limit + 1);
    const char *p[10] = {c->after,
                         p_areas,
                         p_exclude,
                         min_areas,
                         min_depts,
                         p_combos,
                         c->age_min >= 0 ? age_min : NULL,
                         c->age_max >= 0 ? age_max : NULL,
                         c->today,
                         rows};
    PGresult *r = NULL;
    enum gp_qs qs = p_areas && p_exclude && p_combos
                        ? gp_db_exec(conn, &stmt_settings, 0, NULL, NULL)
                        : GP_QS_HARD_ERROR;
    if (qs >= 0)
        qs = gp_db_exec(conn, c->ongoing_only ? &stmt_search_ongoing : &stmt_search_any, 10, p, &r);
    free(p_areas);
    free(p_exclude);
    free(p_combos);
    if (qs < 0) {
        if (qs == GP_QS_HARD_ERROR)
            GP_LOG_ERROR("target-group search failed: %s", gp_db_error(conn));
        return qs;
    }
    int n = PQntuples(r);
    size_t keep = (size_t)n > (size_t)c->limit ? (size_t)c->limit : (size_t)n;
    out->more = (size_t)n > keep;
    out->items = keep ? gp_xcalloc(keep, sizeof *out->items) : NULL;
    for (size_t i = 0; i < keep; i++) {
        if (!read_candidate(r, (int)i, c, &out->items[out->n++])) {
            GP_LOG_BUG("target-group search: a row that does not fit the candidate struct");
            PQclear(r);
            gp_tg_page_free(out);
            return GP_QS_HARD_ERROR;
        }
    }
    PQclear(r);
    return out->n == 0 ? GP_QS_NO_RESULTS : (enum gp_qs)out->n;
}

bool gp_tg_audit_details(const struct gp_tg_criteria *c, const struct gp_tg_page *p, char *buf,
                         size_t len)
{
    json_t *returned = json_array();
    for (size_t i = 0; p && i < p->n; i++)
        json_array_append_new(returned, json_string(p->items[i].cpr));
    json_t *o = json_pack("{s:s, s:o, s:s, s:o, s:i, s:o, s:b}", "search", "target_group",
                          "criteria", gp_tg_criteria_json(c), "as_of", c->today, "after",
                          c->after[0] ? json_string(c->after) : json_null(), "limit", c->limit,
                          "returned", returned, "more", p && p->more);
    char *s = o ? json_dumps(o, JSON_COMPACT) : NULL;
    json_decref(o);
    bool ok = s && strlen(s) < len;
    if (ok)
        memcpy(buf, s, strlen(s) + 1);
    else
        GP_LOG_BUG("target-group audit details do not fit (%zu bytes)", s ? strlen(s) : 0);
    free(s);
    return ok;
}
