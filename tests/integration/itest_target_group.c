/* The CPR list (lib/target_group, api/target_group) against a real PostgreSQL, over the
 * simulated population: every source's bulk export is pulled over HTTP from deptsim, parsed by
 * the adapters and put into the index set-based, classified by record_classify exactly as the
 * server classifies (migration 0007). Some records are then marked removed and some citizens
 * get blocks (in force, expired, future, withdrawn).
 *
 * Every search is compared with a brute-force computation in C over the exported records
 * themselves (their kind, status and caseworker as the export said; the case type and area the
 * index gave them), in which lib/policy decides per record what a target-group identification
 * outside every department may see: hidden records (excluded types, blocked) never count, and
 * only summaries (ongoing services) are listed. Then: excluded types never count nor show,
 * pagination is complete and stable (also while citizens are added), ages and birth dates agree
 * with lib/cpr, unknown codes are named, and the HTTP handler answers the same and writes one
 * audit row per search with its criteria and the CPRs it returned. */
#include "adapters/adapter.h"
#include "api/http.h"
#include "api/router.h"
#include "api/sharing_handlers.h"
#include "api/target_group.h"
#include "gptest.h"
#include "lib/sharing/audit.h"
#include "lib/core/config.h"
#include "lib/core/cpr.h"
#include "lib/db/db.h"
#include "lib/db/stmt.h"
#include "lib/sharing/policy.h"
#include "lib/core/role.h"
#include "lib/insight/target_group.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define POP_SIZE    4000
#define EXPORT_PAGE 500
#define NSRC        5

static const char *const src_ids[NSRC] = {"jobcentre", "social", "health", "region", "family"};
static const char *const src_kinds[NSRC] = {"momentum", "sensum", "fhir-r4", "fhir-r4", "dubu"};
static const char *const src_depts[NSRC] = {"job_centre", "social_services", "municipal_health",
                                            "region", "family"};

/* One exported record, with the classification the index gave it. */
struct xrec {
    struct gp_record r;
    int src;
    bool removed;
    char case_type[64];
    char area[GP_TG_AREA_LEN];
    char legal_basis[128];
    bool cross;
    bool classified;
};

struct ctype {
    char code[64];
    char label_da[128];
    char label_en[128];
    bool cross;
};

struct tblock {
    char cpr[11];
    char kind[16];
    char value[64];
    char from[11];
    char until[11]; /* "" open-ended */
    bool withdrawn;
};

static char *url;
static struct gpt_proc sim;
static struct xrec *xs;
static size_t nx, capx;
static size_t *by_cpr; /* indexes into xs, sorted by CPR */
static struct ctype ctypes[128];
static size_t nctypes;
static struct tblock blocks[16];
static size_t nblocks;
static char today[11];
static char cpr_a[11], cpr_d[11], cpr_e[11], cpr_f[11]; /* blocked; expired, future, withdrawn */
static char area_a[32];

static struct gp_db_pool *pool;
static struct gp_db_conn *conn;

/* ---- helpers ---- */

/* today + days, as YYYY-MM-DD (UTC). */
static void date_plus(int days, char out[11])
{
    time_t t = time(NULL) + (time_t)days * 86400;
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(out, 11, "%Y-%m-%d", &tm);
}

static void exec_ok(const char *sql)
{
    ck_assert_msg(gpt_db_exec(url, sql) >= 0, "failed: %s", sql);
}

static char *scalar(const char *sql)
{
    char *v = gpt_db_scalar(url, sql);
    ck_assert_msg(v != NULL, "no value for %s", sql);
    return v;
}

static const struct ctype *ctype_find(const char *code)
{
    for (size_t i = 0; i < nctypes; i++) {
        if (!strcmp(ctypes[i].code, code))
            return &ctypes[i];
    }
    return NULL;
}

static int cmp_src_ref(const void *a, const void *b)
{
    const struct xrec *x = a, *y = b;
    if (x->src != y->src)
        return x->src - y->src;
    return strcmp(x->r.source_ref, y->r.source_ref);
}

static struct xrec *xrec_find(int src, const char *ref)
{
    struct xrec key;
    key.src = src;
    snprintf(key.r.source_ref, sizeof key.r.source_ref, "%s", ref);
    return bsearch(&key, xs, nx, sizeof *xs, cmp_src_ref);
}

static int cmp_by_cpr(const void *a, const void *b)
{
    const struct xrec *x = &xs[*(const size_t *)a], *y = &xs[*(const size_t *)b];
    return strcmp(x->r.cpr, y->r.cpr);
}

static int src_index(const char *id)
{
    for (int k = 0; k < NSRC; k++) {
        if (!strcmp(src_ids[k], id))
            return k;
    }
    return -1;
}

/* ---- loading the index from the exports ---- */

/* Set-based, as the server stores: classification by record_classify in SQL. */
static const struct gp_stmt stmt_insert = {
    "itest_tg_insert",
    "INSERT INTO record (cpr, source_id, source_ref, parent_ref, area, department, unit,"
    " case_type, source_code, legal_basis, legal_basis_raw, data_type, kind, title, status,"
    " start_date, end_date, document_date, caseworker_name, caseworker_contact, sensitivity,"
    " source_updated, fetched_at)"
    " SELECT i.cpr, i.source_id, i.source_ref, i.parent_ref, c.area, s.department, i.unit,"
    " c.case_type, i.source_code, c.legal_basis, i.legal_basis_raw, i.data_type, i.kind, i.title,"
    " i.status, i.start_date, i.end_date, i.document_date, i.caseworker_name,"
    " i.caseworker_contact, c.sensitivity, i.source_updated, now()"
    " FROM jsonb_to_recordset($1::jsonb) AS i(cpr text, source_id text, source_ref text,"
    "  parent_ref text, unit text, source_code text, legal_basis_raw text, data_type text,"
    "  kind text, title text, status text, start_date date, end_date date, document_date date,"
    "  caseworker_name text, caseworker_contact text, source_updated timestamptz)"
    " JOIN source s ON s.id = i.source_id"
    " CROSS JOIN LATERAL record_classify(i.source_id, i.source_code, i.legal_basis_raw,"
    "  coalesce(i.start_date, i.document_date)) c"};

static const struct gp_stmt stmt_remove = {
    "itest_tg_remove",
    "UPDATE record r SET removed_at = now() FROM jsonb_to_recordset($1::jsonb) AS g(s text, r text)"
    " WHERE r.source_id = g.s AND r.source_ref = g.r"};

static void set_text(json_t *o, const char *key, const char *v)
{
    json_object_set_new(o, key, v && *v ? json_string(v) : json_null());
}

static void insert_batch(size_t from, size_t to)
{
    if (from == to)
        return;
    json_t *a = json_array();
    for (size_t i = from; i < to; i++) {
        const struct gp_record *r = &xs[i].r;
        json_t *o = json_object();
        set_text(o, "cpr", r->cpr);
        set_text(o, "source_id", src_ids[xs[i].src]);
        set_text(o, "source_ref", r->source_ref);
        set_text(o, "parent_ref", r->parent_ref);
        set_text(o, "unit", r->unit);
        set_text(o, "source_code", r->source_code);
        set_text(o, "legal_basis_raw", r->legal_basis_raw);
        set_text(o, "data_type", r->data_type);
        set_text(o, "kind", r->kind);
        set_text(o, "title", r->title);
        set_text(o, "status", r->status);
        set_text(o, "start_date", r->start_date);
        set_text(o, "end_date", r->end_date);
        set_text(o, "document_date", r->document_date);
        set_text(o, "caseworker_name", r->caseworker_name);
        set_text(o, "caseworker_contact", r->caseworker_contact);
        set_text(o, "source_updated", r->source_updated);
        json_array_append_new(a, o);
    }
    char *s = json_dumps(a, JSON_COMPACT);
    json_decref(a);
    const char *p[1] = {s};
    enum gp_qs qs = gp_db_exec(conn, &stmt_insert, 1, p, NULL);
    ck_assert_msg(qs >= 0, "insert failed: %s", gp_db_error(conn));
    ck_assert_int_eq((int)qs, (int)(to - from));
    free(s);
}

static void pull_export(int k)
{
    const struct gp_adapter *ad = gp_adapter_find(src_kinds[k]);
    ck_assert_ptr_nonnull(ad);
    char base[64], cursor[256] = "", u[2048], accept[200], err[256];
    snprintf(base, sizeof base, "http://127.0.0.1:%d%s", sim.port + k,
             strcmp(src_kinds[k], "fhir-r4") ? "" : "/fhir"); /* as registered */
    snprintf(accept, sizeof accept, "Accept: %s", ad->accept);
    const char *hdrs[] = {accept, NULL};
    for (int pages = 0;; pages++) {
        ck_assert_msg(pages < 10000, "export of %s does not end", src_ids[k]);
        ck_assert(ad->export_url(base, cursor, EXPORT_PAGE, u, sizeof u));
        size_t host = strlen(base) - (strcmp(src_kinds[k], "fhir-r4") ? 0 : strlen("/fhir"));
        ck_assert(!strncmp(u, base, strlen(base)));
        struct gpt_req q = {.path = u + host, .headers = hdrs, .no_record = true};
        struct gpt_resp resp;
        gpt_http(sim.port + k, &q, &resp);
        ck_assert_msg(resp.status == 200, "%s export: %ld", src_ids[k], resp.status);
        struct gp_export_page pg = {0};
        ck_assert_msg(ad->parse_export(resp.body, resp.body_len, &pg, err, sizeof err),
                      "%s export: %s", src_ids[k], err);
        gpt_resp_free(&resp);
        size_t from = nx;
        for (size_t i = 0; i < pg.records.n; i++) {
            if (nx == capx) {
                capx = capx ? 2 * capx : 4096;
                xs = realloc(xs, capx * sizeof *xs);
                ck_assert_ptr_nonnull(xs);
            }
            struct xrec *x = &xs[nx++];
            memset(x, 0, sizeof *x);
            x->r = pg.records.items[i];
            x->src = k;
        }
        insert_batch(from, nx);
        snprintf(cursor, sizeof cursor, "%s", pg.next_cursor);
        gp_record_list_free(&pg.records);
        if (!cursor[0])
            break;
    }
}

static void read_classification(void)
{
    PGconn *pg = PQconnectdb(url);
    ck_assert(PQstatus(pg) == CONNECTION_OK);
    PGresult *r = PQexec(pg, "SELECT source_id, source_ref, case_type, area,"
                             " coalesce(legal_basis, '') FROM record");
    ck_assert(PQresultStatus(r) == PGRES_TUPLES_OK);
    ck_assert_int_eq(PQntuples(r), (int)nx);
    for (int i = 0; i < PQntuples(r); i++) {
        struct xrec *x = xrec_find(src_index(PQgetvalue(r, i, 0)), PQgetvalue(r, i, 1));
        ck_assert_ptr_nonnull(x);
        ck_assert(!x->classified); /* (source, ref) is unique in the export */
        x->classified = true;
        snprintf(x->case_type, sizeof x->case_type, "%s", PQgetvalue(r, i, 2));
        snprintf(x->area, sizeof x->area, "%s", PQgetvalue(r, i, 3));
        snprintf(x->legal_basis, sizeof x->legal_basis, "%s", PQgetvalue(r, i, 4));
    }
    PQclear(r);
    r = PQexec(pg, "SELECT code, label_da, label_en, cross_department FROM case_type");
    ck_assert(PQresultStatus(r) == PGRES_TUPLES_OK);
    for (int i = 0; i < PQntuples(r) && nctypes < 128; i++) {
        struct ctype *t = &ctypes[nctypes++];
        snprintf(t->code, sizeof t->code, "%s", PQgetvalue(r, i, 0));
        snprintf(t->label_da, sizeof t->label_da, "%s", PQgetvalue(r, i, 1));
        snprintf(t->label_en, sizeof t->label_en, "%s", PQgetvalue(r, i, 2));
        t->cross = PQgetvalue(r, i, 3)[0] == 't';
    }
    PQclear(r);
    PQfinish(pg);
    for (size_t i = 0; i < nx; i++) {
        const struct ctype *t = ctype_find(xs[i].case_type);
        ck_assert_ptr_nonnull(t);
        xs[i].cross = t->cross;
    }
}

/* ---- the brute force ---- */

static bool has_str(const char *table, size_t width, size_t n, const char *s)
{
    for (size_t i = 0; i < n; i++) {
        if (!strcmp(table + i * width, s))
            return true;
    }
    return false;
}

/* A code into a fixed field, cut to fit (codes are short; -O2's truncation check wants it said). */
static void copy_code(char *dst, size_t size, const char *src)
{
    size_t n = strnlen(src, size - 1);
    memcpy(dst, src, n);
    dst[n] = '\0';
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(a, b);
}

static int cmp_service(const void *a, const void *b)
{
    const struct gp_tg_service *x = a, *y = b;
    int d;
    if ((d = strcmp(x->area, y->area)) || (d = strcmp(x->department, y->department)) ||
        (d = strcmp(x->case_type, y->case_type)) || (d = strcmp(x->legal_basis, y->legal_basis)) ||
        (d = strcmp(x->caseworker_name, y->caseworker_name)))
        return d;
    return strcmp(x->caseworker_contact, y->caseworker_contact);
}

static bool same_service(const struct gp_tg_service *x, const struct gp_tg_service *y)
{
    return cmp_service(x, y) == 0;
}

/* What a record may show to a target-group identification outside every department, with the
 * citizen's blocks, by lib/policy. */
static enum gp_visibility policy_level(const struct xrec *x)
{
    struct gp_policy_block pb[16];
    size_t n = 0;
    for (size_t i = 0; i < nblocks; i++) {
        if (strcmp(blocks[i].cpr, x->r.cpr) != 0)
            continue;
        pb[n++] =
            (struct gp_policy_block){gp_policy_block_kind_parse(blocks[i].kind), blocks[i].value,
                                     blocks[i].from, blocks[i].until, blocks[i].withdrawn};
    }
    struct gp_policy_context ctx = {.blocks = pb, .n_blocks = n, .today = today};
    struct gp_policy_caller caller = {GP_ROLE_COORDINATOR, "", "target_group_identification"};
    struct gp_policy_record rec = {src_depts[x->src], x->area,     x->case_type,
                                   x->cross,          x->r.status, false};
    return gp_policy_evaluate(&caller, &ctx, &rec).level;
}

static bool in_areas(const struct gp_tg_criteria *c, const char *area)
{
    for (size_t i = 0; i < c->n_areas; i++) {
        if (!strcmp(c->areas[i], area))
            return true;
    }
    return c->n_areas == 0;
}

static bool excluded(const struct gp_tg_criteria *c, const char *type)
{
    for (size_t i = 0; i < c->n_exclude; i++) {
        if (!strcmp(c->exclude[i], type))
            return true;
    }
    return false;
}

/* Every candidate for c (from the start, no page limit). */
static void brute_force(const struct gp_tg_criteria *c, struct gp_tg_page *out)
{
    memset(out, 0, sizeof *out);
    int ty, tm, td;
    ck_assert_int_eq(sscanf(c->today, "%4d-%2d-%2d", &ty, &tm, &td), 3);
    size_t cap = 0;
    for (size_t g = 0; g < nx;) {
        size_t end = g;
        while (end < nx && !strcmp(xs[by_cpr[end]].r.cpr, xs[by_cpr[g]].r.cpr))
            end++;
        struct gp_tg_candidate cand;
        memset(&cand, 0, sizeof cand);
        snprintf(cand.cpr, sizeof cand.cpr, "%s", xs[by_cpr[g]].r.cpr);
        char areas[16][GP_TG_AREA_LEN], depts[16][GP_TG_DEPT_LEN];
        size_t na = 0, nd = 0, cap_s = 0;
        for (size_t i = g; i < end; i++) {
            const struct xrec *x = &xs[by_cpr[i]];
            if (x->removed || !strcmp(x->r.kind, "document"))
                continue;
            enum gp_visibility v = policy_level(x);
            if (v == GP_VIS_HIDDEN || !in_areas(c, x->area) || excluded(c, x->case_type))
                continue;
            if (c->ongoing_only && strcmp(x->r.status, "open") != 0)
                continue;
            if (!has_str(areas[0], GP_TG_AREA_LEN, na, x->area))
                snprintf(areas[na++], GP_TG_AREA_LEN, "%s", x->area);
            if (!has_str(depts[0], GP_TG_DEPT_LEN, nd, src_depts[x->src]))
                snprintf(depts[nd++], GP_TG_DEPT_LEN, "%s", src_depts[x->src]);
            /* Listed services are what a summary shows: the one projection decides. */
            if (gp_policy_project(v, x->r.kind).level != GP_VIS_SUMMARY)
                continue;
            ck_assert_str_eq(x->r.status, "open");
            const struct ctype *t = ctype_find(x->case_type);
            struct gp_tg_service s;
            memset(&s, 0, sizeof s);
            snprintf(s.area, sizeof s.area, "%s", x->area);
            snprintf(s.department, sizeof s.department, "%s", src_depts[x->src]);
            snprintf(s.case_type, sizeof s.case_type, "%s", x->case_type);
            snprintf(s.label_da, sizeof s.label_da, "%s", t->label_da);
            snprintf(s.label_en, sizeof s.label_en, "%s", t->label_en);
            snprintf(s.legal_basis, sizeof s.legal_basis, "%s", x->legal_basis);
            snprintf(s.caseworker_name, sizeof s.caseworker_name, "%s", x->r.caseworker_name);
            snprintf(s.caseworker_contact, sizeof s.caseworker_contact, "%s",
                     x->r.caseworker_contact);
            bool dup = false;
            for (size_t k = 0; k < cand.n_services && !dup; k++)
                dup = same_service(&cand.services[k], &s);
            if (dup)
                continue;
            if (cand.n_services == cap_s) {
                cap_s = cap_s ? 2 * cap_s : 8;
                cand.services = realloc(cand.services, cap_s * sizeof s);
            }
            cand.services[cand.n_services++] = s;
        }
        g = end;
        bool ok = na >= (size_t)c->min_areas && nd >= (size_t)c->min_departments;
        bool any_combo = c->n_combos == 0;
        for (size_t k = 0; k < c->n_combos; k++) {
            bool met = true;
            for (size_t j = 0; j < c->combos[k].n; j++)
                met &= has_str(areas[0], GP_TG_AREA_LEN, na, c->combos[k].areas[j]);
            any_combo |= met;
            if (met)
                cand.combos_met |= 1u << k;
        }
        ok &= any_combo;
        struct gp_cpr cpr;
        cand.age = -1;
        if (gp_cpr_parse(cand.cpr, 10, &cpr) == GP_CPR_OK) {
            gp_cpr_birth_date(&cpr, cand.birth_date);
            cand.age = gp_cpr_age_on(&cpr, ty, tm, td);
        }
        if (c->age_min >= 0 || c->age_max >= 0)
            ok &= cand.age >= 0 && (c->age_min < 0 || cand.age >= c->age_min) &&
                  (c->age_max < 0 || cand.age <= c->age_max);
        if (!ok) {
            free(cand.services);
            continue;
        }
        qsort(areas, na, sizeof areas[0], cmp_str);
        qsort(depts, nd, sizeof depts[0], cmp_str);
        ck_assert_uint_le(na, GP_TG_MAX_HELD);
        for (size_t i = 0; i < na; i++)
            copy_code(cand.areas[i], GP_TG_AREA_LEN, areas[i]);
        cand.n_areas = na;
        for (size_t i = 0; i < nd; i++)
            copy_code(cand.departments[i], GP_TG_DEPT_LEN, depts[i]);
        cand.n_departments = nd;
        if (cand.n_services)
            qsort(cand.services, cand.n_services, sizeof *cand.services, cmp_service);
        if (out->n == cap) {
            cap = cap ? 2 * cap : 64;
            out->items = realloc(out->items, cap * sizeof *out->items);
        }
        out->items[out->n++] = cand;
    }
}

/* ---- walking the search ---- */

static void page_append(struct gp_tg_page *all, struct gp_tg_page *page)
{
    all->items = realloc(all->items, (all->n + page->n + 1) * sizeof *all->items);
    if (page->n)
        memcpy(all->items + all->n, page->items, page->n * sizeof *page->items);
    all->n += page->n;
    free(page->items); /* the services moved with the items */
    page->items = NULL;
    page->n = 0;
}

/* Every page of c with page size limit, following the cursors; returns the page count. */
static int walk(const struct gp_tg_criteria *given, int limit, struct gp_tg_page *all)
{
    struct gp_tg_criteria c = *given;
    c.limit = limit;
    gp_tg_criteria_normalise(&c);
    memset(all, 0, sizeof *all);
    int pages = 0;
    for (;;) {
        /* Each page in its own transaction, as the handler runs it. */
        struct gp_tg_page page;
        ck_assert_int_ge(gp_db_exec_simple(conn, "BEGIN"), 0);
        enum gp_qs qs = gp_tg_search(conn, &c, &page);
        ck_assert_int_ge(gp_db_exec_simple(conn, "COMMIT"), 0);
        ck_assert_msg(qs >= 0, "search failed: %s", gp_db_error(conn));
        ck_assert_int_eq((int)qs, (int)page.n);
        ck_assert_uint_le(page.n, (size_t)limit);
        pages++;
        bool more = page.more;
        char last[11] = "";
        if (page.n)
            snprintf(last, sizeof last, "%s", page.items[page.n - 1].cpr);
        ck_assert(!more || page.n == (size_t)limit);
        page_append(all, &page);
        if (!more)
            break;
        char cursor[GP_TG_CURSOR_LEN];
        gp_tg_cursor_make(&c, last, cursor);
        ck_assert(gp_tg_cursor_apply(&c, cursor));
        ck_assert_str_eq(c.after, last);
    }
    return pages;
}

static void assert_same(const struct gp_tg_page *got, const struct gp_tg_page *want,
                        const char *what)
{
    for (size_t i = 0; i < got->n && i < want->n; i++) {
        const struct gp_tg_candidate *g = &got->items[i], *w = &want->items[i];
        ck_assert_msg(!strcmp(g->cpr, w->cpr), "%s: candidate %zu is %.6s-xxxx, want %.6s-xxxx",
                      what, i, g->cpr, w->cpr);
        ck_assert_uint_eq(g->n_areas, w->n_areas);
        for (size_t k = 0; k < g->n_areas; k++)
            ck_assert_str_eq(g->areas[k], w->areas[k]);
        ck_assert_uint_eq(g->n_departments, w->n_departments);
        for (size_t k = 0; k < g->n_departments; k++)
            ck_assert_str_eq(g->departments[k], w->departments[k]);
        ck_assert_uint_eq(g->combos_met, w->combos_met);
        ck_assert_str_eq(g->birth_date, w->birth_date);
        ck_assert_int_eq(g->age, w->age);
        ck_assert_msg(g->n_services == w->n_services, "%s: %.6s-xxxx has %zu services, want %zu",
                      what, g->cpr, g->n_services, w->n_services);
        struct gp_tg_service *sorted = malloc((g->n_services + 1) * sizeof *sorted);
        if (g->n_services) {
            memcpy(sorted, g->services, g->n_services * sizeof *sorted);
            qsort(sorted, g->n_services, sizeof *sorted, cmp_service);
        }
        for (size_t k = 0; k < g->n_services; k++) {
            const struct gp_tg_service *a = &sorted[k], *b = &w->services[k];
            ck_assert_msg(same_service(a, b), "%s: %.6s-xxxx service %zu: %s/%s/%s, want %s/%s/%s",
                          what, g->cpr, k, a->area, a->case_type, a->legal_basis, b->area,
                          b->case_type, b->legal_basis);
            ck_assert_str_eq(a->label_da, b->label_da);
            ck_assert_str_eq(a->label_en, b->label_en);
            const struct ctype *t = ctype_find(a->case_type);
            ck_assert_msg(t && t->cross, "%s: excluded type %s listed", what, a->case_type);
        }
        free(sorted);
    }
    ck_assert_msg(got->n == want->n, "%s: %zu candidates, want %zu", what, got->n, want->n);
}

static bool page_has(const struct gp_tg_page *p, const char *cpr)
{
    for (size_t i = 0; i < p->n; i++) {
        if (!strcmp(p->items[i].cpr, cpr))
            return true;
    }
    return false;
}

static void set_areas(struct gp_tg_criteria *c, const char *const *areas)
{
    c->n_areas = 0;
    for (; areas && *areas; areas++)
        snprintf(c->areas[c->n_areas++], GP_TG_AREA_LEN, "%s", *areas);
}

static void add_combo(struct gp_tg_criteria *c, const char *const *areas)
{
    struct gp_tg_combo *k = &c->combos[c->n_combos++];
    k->n = 0;
    for (; *areas; areas++)
        snprintf(k->areas[k->n++], GP_TG_AREA_LEN, "%s", *areas);
}

static void add_exclude(struct gp_tg_criteria *c, const char *type)
{
    snprintf(c->exclude[c->n_exclude++], GP_TG_TYPE_LEN, "%s", type);
}

/* ---- fixtures ---- */

static void add_block(const char *cpr, const char *kind, const char *value, int from, int until,
                      bool open_ended, bool withdrawn, const char *client)
{
    struct tblock *b = &blocks[nblocks++];
    snprintf(b->cpr, sizeof b->cpr, "%s", cpr);
    snprintf(b->kind, sizeof b->kind, "%s", kind);
    snprintf(b->value, sizeof b->value, "%s", value);
    date_plus(from, b->from);
    if (open_ended)
        b->until[0] = '\0';
    else
        date_plus(until, b->until);
    b->withdrawn = withdrawn;
    char sql[1024];
    snprintf(sql, sizeof sql,
             "INSERT INTO citizen_block (cpr, scope_kind, scope_value, valid_from, valid_until,"
             " recorded_by) VALUES ('%s', '%s', '%s', '%s', %s%s%s, %s)",
             cpr, kind, value, b->from, open_ended ? "" : "'", open_ended ? "NULL" : b->until,
             open_ended ? "" : "'", client);
    exec_ok(sql);
    if (withdrawn) {
        snprintf(sql, sizeof sql,
                 "UPDATE citizen_block SET withdrawn_at = now(), withdrawn_by = %s"
                 " WHERE cpr = '%s' AND withdrawn_at IS NULL",
                 client, cpr);
        exec_ok(sql);
    }
}

static void suite_setup(void)
{
    url = gpt_db_create("itest_tg");
    char db_env[600];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", url);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"migrate", NULL};
    char *err = NULL;
    ck_assert_msg(gpt_glasplade(args, env, NULL, &err) == 0, "migrate failed: %s", err);
    free(err);
    gpt_deptsim_start(&sim, POP_SIZE);
    gpt_register_sources(url, &sim, 1500);
    date_plus(0, today);

    pool = gp_db_pool_create(url, 2, 5);
    char e[256];
    conn = gp_db_acquire(pool, e, sizeof e);
    ck_assert_msg(conn != NULL, "%s", e);
    for (int k = 0; k < NSRC; k++)
        pull_export(k);
    ck_assert_uint_gt(nx, (size_t)POP_SIZE); /* a few records per known citizen */
    qsort(xs, nx, sizeof *xs, cmp_src_ref);
    read_classification();
    by_cpr = malloc(nx * sizeof *by_cpr);
    for (size_t i = 0; i < nx; i++)
        by_cpr[i] = i;
    qsort(by_cpr, nx, sizeof *by_cpr, cmp_by_cpr);

    /* Removed records: every 13th service (by a hash of its reference) is gone from its
     * source. The index keeps them, marked. */
    json_t *gone = json_array();
    for (size_t i = 0; i < nx; i++) {
        unsigned h = 2166136261u;
        for (const char *p = xs[i].r.source_ref; *p; p++)
            h = (h ^ (unsigned char)*p) * 16777619u;
        if (h % 13 == 0 && strcmp(xs[i].r.kind, "document") != 0) {
            xs[i].removed = true;
            json_array_append_new(
                gone, json_pack("{s:s, s:s}", "s", src_ids[xs[i].src], "r", xs[i].r.source_ref));
        }
    }
    ck_assert_uint_gt(json_array_size(gone), 10);
    char *gj = json_dumps(gone, JSON_COMPACT);
    const char *p[1] = {gj};
    enum gp_qs qs = gp_db_exec(conn, &stmt_remove, 1, p, NULL);
    ck_assert_msg(qs >= 0, "%s", gp_db_error(conn));
    ck_assert_int_eq((int)qs, (int)json_array_size(gone));
    json_decref(gone);
    free(gj);

    /* Blocks, on candidates of a plain two-area search: A (exactly two areas) blocks one of
     * them, so A is no candidate any more; D's block expired yesterday, E's starts tomorrow,
     * F's is withdrawn: they stay. */
    char *client = gpt_token(url, "admin", NULL);
    free(client);
    char *cid = scalar("SELECT max(id) FROM api_client");
    struct gp_tg_criteria c;
    gp_tg_criteria_init(&c);
    struct gp_tg_page before;
    brute_force(&c, &before);
    ck_assert_uint_ge(before.n, 8);
    size_t picked = 0;
    for (size_t i = 0; i < before.n && picked < 4; i++) {
        const struct gp_tg_candidate *x = &before.items[i];
        if (picked == 0 && x->n_areas == 2 && x->n_departments == 2) {
            snprintf(cpr_a, sizeof cpr_a, "%s", x->cpr);
            snprintf(area_a, sizeof area_a, "%s", x->areas[1]);
            add_block(x->cpr, "area", x->areas[1], -30, 0, true, false, cid);
            picked++;
        } else if (picked == 1 && x->n_areas == 2) {
            snprintf(cpr_d, sizeof cpr_d, "%s", x->cpr);
            add_block(x->cpr, "area", x->areas[0], -60, -1, false, false, cid);
            picked++;
        } else if (picked == 2 && x->n_areas == 2) {
            snprintf(cpr_e, sizeof cpr_e, "%s", x->cpr);
            add_block(x->cpr, "department", x->departments[0], 1, 30, false, false, cid);
            picked++;
        } else if (picked == 3 && x->n_areas == 2) {
            snprintf(cpr_f, sizeof cpr_f, "%s", x->cpr);
            add_block(x->cpr, "area", x->areas[0], -10, 0, true, true, cid);
            picked++;
        }
    }
    ck_assert_uint_eq(picked, 4);
    /* Citizens with three or more areas: one loses a department, one a case type (the type
     * of one of their listed services). */
    picked = 0;
    for (size_t i = before.n; i-- > 0 && picked < 2;) {
        const struct gp_tg_candidate *x = &before.items[i];
        if (x->n_areas < 3 || x->n_services == 0)
            continue;
        if (picked == 0)
            add_block(x->cpr, "department", x->departments[0], -1, 5, false, false, cid);
        else
            add_block(x->cpr, "case_type", x->services[0].case_type, -5, 0, true, false, cid);
        picked++;
    }
    ck_assert_uint_eq(picked, 2);
    gp_tg_page_free(&before);
    free(cid);
    exec_ok("VACUUM ANALYZE record");
    /* Each test (a forked process) opens its own connections. */
    gp_db_release(pool, conn);
    conn = NULL;
    gp_db_pool_destroy(pool);
    pool = NULL;
}

static void suite_teardown(void)
{
    gpt_proc_stop(&sim, SIGTERM);
    free(xs);
    free(by_cpr);
    free(url);
}

static void test_setup(void)
{
    pool = gp_db_pool_create(url, 2, 5);
    char e[256];
    conn = gp_db_acquire(pool, e, sizeof e);
    ck_assert_msg(conn != NULL, "%s", e);
}

static void test_teardown(void)
{
    gp_db_release(pool, conn);
    conn = NULL;
    gp_db_pool_destroy(pool);
    pool = NULL;
}

/* ---- tests ---- */

static const struct gp_stmt stmt_birth = {"itest_tg_birth",
                                          "SELECT x, coalesce(cpr_birth_date(x)::text, ''),"
                                          " coalesce(cpr_birth_year(x)::text, '')"
                                          " FROM jsonb_array_elements_text($1::jsonb) x"};

/* cpr_birth_date in SQL (migration 0010) is lib/cpr's birth date, on every CPR of the
 * population and on a table over every 7th digit, the century edges and impossible dates. */
START_TEST(birth_dates_agree_with_lib_cpr)
{
    json_t *a = json_array();
    for (size_t i = 0; i < nx; i++) {
        if (i == 0 || strcmp(xs[by_cpr[i]].r.cpr, xs[by_cpr[i - 1]].r.cpr) != 0)
            json_array_append_new(a, json_string(xs[by_cpr[i]].r.cpr));
    }
    size_t population = json_array_size(a);
    static const char *const dm[] = {"2902", "2802", "3102", "3004", "3104", "0101",
                                     "3112", "0013", "0001", "3200", "0100"};
    static const char *const yy[] = {"00", "04", "36", "37", "57", "58", "96", "99"};
    char cpr[16];
    for (size_t i = 0; i < sizeof dm / sizeof *dm; i++)
        for (size_t j = 0; j < sizeof yy / sizeof *yy; j++)
            for (int d7 = 0; d7 <= 9; d7++) {
                snprintf(cpr, sizeof cpr, "%s%s%d123", dm[i], yy[j], d7);
                json_array_append_new(a, json_string(cpr));
            }
    json_array_append_new(a, json_string("01019a1234"));
    json_array_append_new(a, json_string("010190123"));
    char *s = json_dumps(a, JSON_COMPACT);
    const char *p[1] = {s};
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(conn, &stmt_birth, 1, p, &r);
    ck_assert_msg(qs >= 0, "%s", gp_db_error(conn));
    ck_assert_int_eq(PQntuples(r), (int)json_array_size(a));
    int valid = 0;
    for (int i = 0; i < PQntuples(r); i++) {
        const char *x = PQgetvalue(r, i, 0);
        struct gp_cpr c;
        char want[11] = "";
        if (gp_cpr_parse(x, strlen(x), &c) == GP_CPR_OK) {
            gp_cpr_birth_date(&c, want);
            valid++;
            char year[8];
            snprintf(year, sizeof year, "%d", c.birth_year);
            ck_assert_str_eq(PQgetvalue(r, i, 2), year);
        }
        ck_assert_msg(!strcmp(PQgetvalue(r, i, 1), want),
                      "cpr_birth_date(%.6s...) = '%s', want '%s'", x, PQgetvalue(r, i, 1), want);
    }
    ck_assert_int_gt(valid, (int)population + 300); /* the table has many real dates too */
    PQclear(r);
    free(s);
    json_decref(a);
}
END_TEST

/* Searches over the whole population, each walked page by page, against the brute force. */
START_TEST(searches_agree_with_brute_force)
{
    static const char *const emp_soc[] = {"employment", "social", NULL};
    static const char *const three[] = {"employment", "social", "health_municipal", NULL};
    static const char *const fam_emp[] = {"family", "employment", NULL};
    static const char *const soc_reg[] = {"social", "health_regional", NULL};
    static const char *const health[] = {"health_municipal", "health_regional", NULL};
    struct gp_tg_criteria cs[9];
    for (int i = 0; i < 9; i++)
        gp_tg_criteria_init(&cs[i]);
    add_combo(&cs[1], emp_soc);
    cs[2].min_areas = 3;
    cs[3].min_departments = 2;
    cs[3].age_min = 30;
    cs[3].age_max = 49;
    set_areas(&cs[4], three);
    add_exclude(&cs[4], "kontanthjaelp");
    add_exclude(&cs[4], "hjemmepleje");
    cs[5].ongoing_only = false;
    cs[6].min_areas = 1;
    add_combo(&cs[6], fam_emp);
    add_combo(&cs[6], soc_reg);
    cs[7].age_min = 67;
    set_areas(&cs[8], health);
    cs[8].ongoing_only = false;
    cs[8].age_max = 17;
    size_t nonempty = 0, total = 0;
    for (int i = 0; i < 9; i++) {
        struct gp_tg_problems pr = {0};
        ck_assert_msg(gp_tg_criteria_check(&cs[i], &pr) == 0, "criteria %d: %s %s", i,
                      pr.items[0].field, pr.items[0].reason);
        gp_tg_criteria_normalise(&cs[i]);
        struct gp_tg_page want, got;
        brute_force(&cs[i], &want);
        int pages = walk(&cs[i], 9, &got);
        char what[32];
        snprintf(what, sizeof what, "criteria %d", i);
        assert_same(&got, &want, what);
        /* A last page that is exactly full says there is no more: no empty page after it. */
        ck_assert_int_eq(pages, want.n ? (int)(want.n + 8) / 9 : 1);
        nonempty += want.n > 0;
        total += want.n;
        fprintf(stderr, "itest_target_group: criteria %d: %zu candidates\n", i, want.n);
        gp_tg_page_free(&want);
        gp_tg_page_free(&got);
    }
    ck_assert_uint_ge(nonempty, 7); /* the comparison proved something */
    ck_assert_uint_ge(total, 100);
}
END_TEST

/* A block in force hides what it covers (A had two areas and is gone); an expired, a future
 * and a withdrawn block change nothing; removed records do not count. */
START_TEST(blocks_and_removed_records)
{
    struct gp_tg_criteria c;
    gp_tg_criteria_init(&c);
    struct gp_tg_page got;
    walk(&c, GP_TG_MAX_LIMIT, &got);
    ck_assert_msg(!page_has(&got, cpr_a), "a citizen whose block covers one of two areas");
    ck_assert(page_has(&got, cpr_d));
    ck_assert(page_has(&got, cpr_e));
    ck_assert(page_has(&got, cpr_f));
    gp_tg_page_free(&got);

    /* A still qualifies in the area the block does not cover, with the blocked area never
     * named: a search that needs one area only (bypassing the across-departments rule, which
     * is the handler's) finds A without it. */
    c.min_areas = 1;
    walk(&c, GP_TG_MAX_LIMIT, &got);
    bool seen = false;
    for (size_t i = 0; i < got.n; i++) {
        if (strcmp(got.items[i].cpr, cpr_a) != 0)
            continue;
        seen = true;
        for (size_t k = 0; k < got.items[i].n_areas; k++)
            ck_assert_str_ne(got.items[i].areas[k], area_a);
        for (size_t k = 0; k < got.items[i].n_services; k++)
            ck_assert_str_ne(got.items[i].services[k].area, area_a);
    }
    ck_assert(seen);
    gp_tg_page_free(&got);

    /* The index holds what the removal marked, and the brute force knew the same. */
    size_t removed = 0;
    for (size_t i = 0; i < nx; i++)
        removed += xs[i].removed;
    char *n = scalar("SELECT count(*) FROM record WHERE removed_at IS NOT NULL");
    ck_assert_int_eq(atoi(n), (int)removed);
    free(n);
}
END_TEST

static void insert_synthetic(const char *cpr, const char *src, const char *ref,
                             const char *case_type, const char *kind, const char *status,
                             bool removed)
{
    char sql[1400];
    snprintf(sql, sizeof sql,
             "INSERT INTO record (cpr, source_id, source_ref, area, department, case_type,"
             " legal_basis, data_type, kind, title, status, caseworker_name, caseworker_contact,"
             " sensitivity, fetched_at, removed_at)"
             " SELECT '%s', s.id, '%s', t.area, s.department, t.code, t.legal_basis,"
             " 'case_summary', '%s', 'synthetic', '%s', 'Test Caseworker', '+45 70 00 00 00',"
             " t.sensitivity, now(), %s"
             " FROM source s, case_type_current t WHERE s.id = '%s' AND t.code = '%s'",
             cpr, ref, kind, status, removed ? "now()" : "NULL", src, case_type);
    ck_assert_int_eq(gpt_db_exec(url, sql), 1);
}

/* Pages are complete and stable: any page size gives the same list, twice; a citizen added
 * after the cursor during a walk appears in a later page, one added before it does not, and
 * nothing is repeated or lost. */
START_TEST(pagination_complete_and_stable)
{
    struct gp_tg_criteria c;
    gp_tg_criteria_init(&c);
    struct gp_tg_page want, a, b, d;
    brute_force(&c, &want);
    ck_assert_uint_gt(want.n, 10);
    walk(&c, 1, &a);
    assert_same(&a, &want, "page size 1");
    walk(&c, 7, &b);
    assert_same(&b, &want, "page size 7");
    walk(&c, 7, &d);
    assert_same(&d, &b, "page size 7 again");
    gp_tg_page_free(&a);
    gp_tg_page_free(&b);
    gp_tg_page_free(&d);

    /* A walk with 5 per page; after the first page, two citizens come: one sorting before
     * the cursor, one after every other. */
    c.limit = 5;
    struct gp_tg_page first, rest = {0}, page;
    ck_assert_int_eq(gp_tg_search(conn, &c, &first), 5);
    ck_assert(first.more);
    insert_synthetic("0000000001", "jobcentre", "syn-low-1", "kontanthjaelp", "case", "open",
                     false);
    insert_synthetic("0000000001", "social", "syn-low-2", "bostoette", "case", "open", false);
    insert_synthetic("3112999999", "jobcentre", "syn-high-1", "mentor", "activity", "open", false);
    insert_synthetic("3112999999", "region", "syn-high-2", "hospitalsforloeb", "encounter", "open",
                     false);
    char cursor[GP_TG_CURSOR_LEN];
    gp_tg_cursor_make(&c, first.items[4].cpr, cursor);
    do {
        ck_assert(gp_tg_cursor_apply(&c, cursor));
        ck_assert_int_ge(gp_tg_search(conn, &c, &page), 0);
        bool more = page.more;
        if (page.n)
            gp_tg_cursor_make(&c, page.items[page.n - 1].cpr, cursor);
        page_append(&rest, &page);
        if (!more)
            break;
    } while (true);
    ck_assert_uint_eq(5 + rest.n, want.n + 1);
    for (size_t i = 0; i < 5; i++)
        ck_assert_str_eq(first.items[i].cpr, want.items[i].cpr);
    for (size_t i = 0; i + 1 < rest.n; i++)
        ck_assert_str_eq(rest.items[i].cpr, want.items[i + 5].cpr);
    const struct gp_tg_candidate *high = &rest.items[rest.n - 1];
    ck_assert_str_eq(high->cpr, "3112999999");
    ck_assert_uint_eq(high->n_areas, 2);    /* the encounter's area counts, */
    ck_assert_uint_eq(high->n_services, 1); /* but a summary lists cases and activities only */
    ck_assert_str_eq(high->birth_date, "1999-12-31"); /* 7th digit 9, YY 99: 19YY */
    gp_tg_page_free(&first);
    gp_tg_page_free(&rest);
    gp_tg_page_free(&want);
    exec_ok("DELETE FROM record WHERE cpr IN ('0000000001', '3112999999')");
}
END_TEST

static bool walk_has(const struct gp_tg_criteria *c, const char *cpr, struct gp_tg_candidate *copy)
{
    struct gp_tg_page p;
    walk(c, GP_TG_MAX_LIMIT, &p);
    bool found = false;
    for (size_t i = 0; i < p.n && !found; i++) {
        if (strcmp(p.items[i].cpr, cpr) != 0)
            continue;
        found = true;
        if (copy) {
            *copy = p.items[i];
            copy->services = malloc((p.items[i].n_services + 1) * sizeof *copy->services);
            if (p.items[i].n_services)
                memcpy(copy->services, p.items[i].services,
                       p.items[i].n_services * sizeof *copy->services);
        }
    }
    gp_tg_page_free(&p);
    return found;
}

/* Excluded benefit types never count and never show, open or not; nor do documents or
 * removed records. And over a broad search of the whole population, no listed service has a
 * type that may not cross departments. */
START_TEST(excluded_types_never_count_or_show)
{
    static const char *const emp_soc[] = {"employment", "social", NULL};
    const char *x = "0101010001";
    insert_synthetic(x, "jobcentre", "syn-x-1", "kontanthjaelp", "case", "open", false);
    insert_synthetic(x, "social", "syn-x-2", "boligsikring", "case", "open", false);
    insert_synthetic(x, "social", "syn-x-3", "varmetillaeg", "activity", "open", false);
    insert_synthetic(x, "social", "syn-x-4", "bostoette", "document", "open", false);
    insert_synthetic(x, "social", "syn-x-5", "bostoette", "case", "open", true);
    insert_synthetic(x, "family", "syn-x-6", "friplads", "case", "open", false);
    struct gp_tg_criteria c;
    gp_tg_criteria_init(&c);
    add_combo(&c, emp_soc);
    ck_assert(!walk_has(&c, x, NULL));
    gp_tg_criteria_init(&c);
    c.ongoing_only = false;
    ck_assert(!walk_has(&c, x, NULL));

    /* One area is all that is left of the citizen: employment, with its one service. */
    gp_tg_criteria_init(&c);
    c.min_areas = 1;
    struct gp_tg_candidate got;
    ck_assert(walk_has(&c, x, &got));
    ck_assert_uint_eq(got.n_areas, 1);
    ck_assert_str_eq(got.areas[0], "employment");
    ck_assert_uint_eq(got.n_departments, 1);
    ck_assert_uint_eq(got.n_services, 1);
    ck_assert_str_eq(got.services[0].case_type, "kontanthjaelp");
    ck_assert_str_eq(got.services[0].caseworker_name, "Test Caseworker");
    ck_assert_str_eq(got.services[0].caseworker_contact, "+45 70 00 00 00");
    ck_assert_str_ne(got.services[0].legal_basis, "");
    free(got.services);

    /* A live social service makes the citizen a candidate, still without the excluded ones. */
    insert_synthetic(x, "social", "syn-x-7", "bostoette", "case", "open", false);
    gp_tg_criteria_init(&c);
    add_combo(&c, emp_soc);
    ck_assert(walk_has(&c, x, &got));
    ck_assert_uint_eq(got.n_areas, 2);
    ck_assert_uint_eq(got.combos_met, 1);
    ck_assert_uint_eq(got.n_services, 2);
    ck_assert_str_eq(got.services[0].case_type, "kontanthjaelp");
    ck_assert_str_eq(got.services[1].case_type, "bostoette");
    free(got.services);
    exec_ok("DELETE FROM record WHERE cpr = '0101010001'");

    /* The whole population, every status: nothing excluded is ever listed. */
    gp_tg_criteria_init(&c);
    c.min_areas = 1;
    c.ongoing_only = false;
    struct gp_tg_page all;
    walk(&c, GP_TG_MAX_LIMIT, &all);
    size_t services = 0;
    for (size_t i = 0; i < all.n; i++) {
        for (size_t k = 0; k < all.items[i].n_services; k++) {
            const struct ctype *t = ctype_find(all.items[i].services[k].case_type);
            ck_assert_msg(t && t->cross, "excluded type %s listed",
                          all.items[i].services[k].case_type);
            services++;
        }
    }
    ck_assert_uint_gt(services, 500);
    /* ...while the population does hold open excluded services. */
    size_t open_excluded = 0;
    for (size_t i = 0; i < nx; i++)
        open_excluded += !xs[i].cross && !strcmp(xs[i].r.status, "open") &&
                         strcmp(xs[i].r.kind, "document") != 0 && !xs[i].removed;
    ck_assert_uint_gt(open_excluded, 0);
    gp_tg_page_free(&all);
}
END_TEST

/* What can be judged without the database: every bad field named; the cursor belongs to its
 * criteria; a full page's audit details fit. */
START_TEST(criteria_checks_cursor_and_details)
{
    struct gp_tg_criteria c;
    gp_tg_criteria_init(&c);
    static const char *const areas[] = {"employment", "employment", "Bad", NULL};
    static const char *const combo[] = {"social", "family", NULL};
    set_areas(&c, areas);
    c.min_areas = 5;
    add_combo(&c, combo);
    c.age_min = 50;
    c.age_max = 40;
    add_exclude(&c, "x-y");
    add_exclude(&c, "boligsikring");
    add_exclude(&c, "boligsikring");
    struct gp_tg_problems p = {0};
    ck_assert_uint_eq(gp_tg_criteria_check(&c, &p), 8);
    static const char *const fields[] = {"areas[1]",
                                         "areas[2]",
                                         "min_areas",
                                         "required_combinations[0][0]",
                                         "required_combinations[0][1]",
                                         "age_min",
                                         "exclude_case_types[0]",
                                         "exclude_case_types[2]"};
    for (size_t i = 0; i < 8; i++)
        ck_assert_str_eq(p.items[i].field, fields[i]);

    /* Not across departments. */
    gp_tg_criteria_init(&c);
    c.min_areas = 1;
    p.n = 0;
    ck_assert_uint_eq(gp_tg_criteria_check(&c, &p), 1);
    ck_assert_str_eq(p.items[0].field, "min_areas");
    static const char *const pair[] = {"social", "employment", NULL};
    add_combo(&c, pair);
    p.n = 0;
    ck_assert_uint_eq(gp_tg_criteria_check(&c, &p), 0);
    gp_tg_criteria_init(&c);
    c.min_areas = 1;
    c.min_departments = 2;
    ck_assert_uint_eq(gp_tg_criteria_check(&c, &p), 0);

    /* The cursor continues the same criteria in any order, and nothing else. */
    struct gp_tg_criteria a, b;
    gp_tg_criteria_init(&a);
    static const char *const ab[] = {"social", "employment", "family", NULL};
    static const char *const ba[] = {"family", "employment", "social", NULL};
    set_areas(&a, ab);
    b = a;
    set_areas(&b, ba);
    gp_tg_criteria_normalise(&a);
    gp_tg_criteria_normalise(&b);
    char cur[GP_TG_CURSOR_LEN];
    gp_tg_cursor_make(&a, "1203849318", cur);
    ck_assert_uint_eq(strlen(cur), 23);
    ck_assert(gp_tg_cursor_apply(&b, cur));
    ck_assert_str_eq(b.after, "1203849318");
    b.age_min = 18;
    ck_assert(!gp_tg_cursor_apply(&b, cur));
    b = a;
    b.ongoing_only = false;
    ck_assert(!gp_tg_cursor_apply(&b, cur));
    static const char *const bad[] = {"",
                                      "tg1.1203849318",
                                      "tg2.1203849318.00000000",
                                      "tg1.12038493x8.00000000",
                                      "tg1.1203849318.0000000",
                                      "tg1.1203849318.000000000"};
    for (size_t i = 0; i < sizeof bad / sizeof *bad; i++)
        ck_assert(!gp_tg_cursor_apply(&a, bad[i]));
    cur[strlen(cur) - 1] = cur[strlen(cur) - 1] == '0' ? '1' : '0';
    ck_assert(!gp_tg_cursor_apply(&a, cur));

    /* The longest criteria the limits allow and a full page of CPRs: the audit row holds
     * them. */
    gp_tg_criteria_init(&c);
    for (size_t i = 0; i < GP_TG_MAX_AREAS; i++)
        snprintf(c.areas[c.n_areas++], GP_TG_AREA_LEN, "%0*zu", GP_TG_AREA_LEN - 1, i);
    for (size_t i = 0; i < GP_TG_MAX_COMBOS; i++) {
        c.combos[i].n = GP_TG_MAX_COMBO_AREAS;
        for (size_t j = 0; j < GP_TG_MAX_COMBO_AREAS; j++)
            snprintf(c.combos[i].areas[j], GP_TG_AREA_LEN, "%0*zu", GP_TG_AREA_LEN - 1, j);
    }
    c.n_combos = GP_TG_MAX_COMBOS;
    for (size_t i = 0; i < GP_TG_MAX_EXCLUDE; i++)
        snprintf(c.exclude[c.n_exclude++], GP_TG_TYPE_LEN, "%0*zu", GP_TG_TYPE_LEN - 1, i);
    c.min_areas = c.min_departments = GP_TG_MAX_THRESHOLD;
    c.age_min = c.age_max = GP_TG_MAX_AGE;
    c.ongoing_only = false;
    c.limit = GP_TG_MAX_LIMIT;
    snprintf(c.after, sizeof c.after, "3112999999");
    struct gp_tg_page page = {.n = GP_TG_MAX_LIMIT, .more = true};
    page.items = calloc(GP_TG_MAX_LIMIT, sizeof *page.items);
    for (size_t i = 0; i < page.n; i++)
        snprintf(page.items[i].cpr, sizeof page.items[i].cpr, "31129999%02u", (unsigned)(i % 100));
    struct gp_audit_entry e;
    ck_assert(gp_tg_audit_details(&c, &page, e.details, sizeof e.details));
    json_t *d = json_loads(e.details, 0, NULL);
    ck_assert_ptr_nonnull(d);
    ck_assert_uint_eq(json_array_size(json_object_get(d, "returned")), GP_TG_MAX_LIMIT);
    ck_assert(json_is_true(json_object_get(d, "more")));
    ck_assert_uint_eq(
        json_array_size(json_object_get(json_object_get(d, "criteria"), "exclude_case_types")),
        GP_TG_MAX_EXCLUDE);
    fprintf(stderr, "itest_target_group: worst-case audit details: %zu of %zu bytes\n",
            strlen(e.details), sizeof e.details);
    json_decref(d);
    gp_tg_page_free(&page);
}
END_TEST

/* Codes the taxonomy does not know are named, at the positions the client used. */
START_TEST(unknown_codes_are_named)
{
    struct gp_tg_criteria c;
    gp_tg_criteria_init(&c);
    static const char *const areas[] = {"employment", "nowhere", NULL};
    static const char *const combo[] = {"employment", "nowhere", NULL};
    set_areas(&c, areas);
    add_combo(&c, combo);
    add_exclude(&c, "kontanthjaelp");
    add_exclude(&c, "no_such_type");
    add_exclude(&c, "unclassified");
    struct gp_tg_problems p = {0};
    ck_assert_int_ge(gp_tg_check_codes(conn, &c, &p), 0);
    ck_assert_uint_eq(p.n, 3);
    ck_assert_str_eq(p.items[0].field, "areas[1]");
    ck_assert_str_eq(p.items[1].field, "required_combinations[0][1]");
    ck_assert_str_eq(p.items[2].field, "exclude_case_types[1]");
    ck_assert_str_eq(p.items[2].reason, "is not a known case type");
    gp_tg_criteria_init(&c);
    add_exclude(&c, "bostoette");
    p.n = 0;
    ck_assert_int_ge(gp_tg_check_codes(conn, &c, &p), 0);
    ck_assert_uint_eq(p.n, 0);
}
END_TEST

/* ---- the handler, in a server of this process with the route as api/routes.c has it ---- */

#define TG_PATH "/v1/target-group/searches"

static const char *const q_access_log[] = {"purpose", "limit", "cursor", NULL};
static const struct gp_route tg_routes[] = {
    {"POST", TG_PATH, gp_handle_target_group_search, GP_ROLE_ANALYST, true, NULL},
    {"GET", "/v1/citizens/{cpr}/access-log", gp_handle_access_log, GP_ROLE_AUDITOR, false,
     q_access_log},
    {NULL, NULL, NULL, 0, false, NULL},
};

static const char *table_env(const char *name, void *cls)
{
    const char *const *env = cls;
    size_t n = strlen(name);
    for (; *env; env++) {
        if (!strncmp(*env, name, n) && (*env)[n] == '=')
            return *env + n + 1;
    }
    return NULL;
}

static void post(int port, const char *token, const char *body, const char *const *headers,
                 struct gpt_resp *r)
{
    struct gpt_req q = {.method = "POST",
                        .path = TG_PATH,
                        .route = TG_PATH,
                        .token = token,
                        .body = body,
                        .content_type = "application/json",
                        .headers = headers};
    gpt_http(port, &q, r);
}

/* The CPR-list searches in cpr's access log, read over HTTP (the log's other entries may only
 * be this test's own reads of it). */
static int search_entries(int port, const char *token, const char *cpr)
{
    char path[96];
    snprintf(path, sizeof path, "/v1/citizens/%s/access-log?limit=100", cpr);
    struct gpt_req q = {
        .method = "GET", .path = path, .route = "/v1/citizens/{cpr}/access-log", .token = token};
    struct gpt_resp r;
    gpt_http(port, &q, &r);
    ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
    ck_assert_ptr_null(strstr(r.body, "\"returned\"")); /* no details, no other CPR */
    int n = 0;
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r.json, "entries"), i, e)
    {
        const char *action = json_string_value(json_object_get(e, "action"));
        if (strcmp(action, "search") != 0) { /* only this test's own access-log reads */
            ck_assert_str_eq(json_string_value(json_object_get(e, "role")), "auditor");
            continue;
        }
        ck_assert_str_eq(json_string_value(json_object_get(e, "role")), "analyst");
        ck_assert_str_eq(json_string_value(json_object_get(e, "purpose")),
                         "target_group_identification");
        n++;
    }
    gpt_resp_free(&r);
    return n;
}

static int audit_rows(void)
{
    char *v = scalar("SELECT count(*) FROM audit_log");
    int n = atoi(v);
    free(v);
    return n;
}

/* The field names of a problem's errors[], comma-separated. */
static void error_fields(const struct gpt_resp *r, char *out, size_t len)
{
    out[0] = '\0';
    size_t i;
    json_t *e;
    json_array_foreach(json_object_get(r->json, "errors"), i, e)
    {
        size_t o = strlen(out);
        snprintf(out + o, len - o, "%s%s", i ? "," : "",
                 json_string_value(json_object_get(e, "field")));
    }
}

static void assert_only_keys(const json_t *o, const char *const *keys)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)o, k, v)
    {
        bool allowed = false;
        for (const char *const *a = keys; *a && !allowed; a++)
            allowed = !strcmp(*a, k);
        ck_assert_msg(allowed, "the answer carries '%s'", k);
    }
}

START_TEST(http_search_answers_and_audits)
{
    char db_env[600];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", url);
    const char *env[] = {db_env,
                         "GLASPLADE_PORT=0",
                         "GLASPLADE_LISTEN=127.0.0.1",
                         "GLASPLADE_THREADS=2",
                         "GLASPLADE_LOG_LEVEL=error",
                         NULL};
    struct gp_config cfg;
    char err[256];
    ck_assert_msg(gp_config_load(&cfg, table_env, (void *)env, err, sizeof err), "%s", err);
    struct gp_db_pool *spool = gp_db_pool_create(url, cfg.db_pool_size, 5);
    struct gp_server server = {.cfg = &cfg, .pool = spool, .routes = tg_routes, .version = "itest"};
    ck_assert_msg(gp_server_start(&server, err, sizeof err), "%s", err);
    int port = server.port;
    char *analyst = gpt_token(url, "analyst", NULL);
    char *caseworker = gpt_token(url, "caseworker", "job_centre");
    char *analyst_id = scalar("SELECT max(id) FROM api_client WHERE role = 'analyst'");

    /* Walk employment + social, 4 per page, against the library's walk. */
    static const char *const emp_soc[] = {"employment", "social", NULL};
    struct gp_tg_criteria c;
    gp_tg_criteria_init(&c);
    add_combo(&c, emp_soc);
    struct gp_tg_page want;
    walk(&c, 4, &want);
    ck_assert_uint_gt(want.n, 4);
    int rows_before = audit_rows();
    char body[512], cursor[64] = "";
    size_t seen = 0;
    int pages = 0;
    static const char *const cand_keys[] = {"cpr",     "birth_date", "age",
                                            "reasons", "services",   NULL};
    static const char *const service_keys[] = {"area",        "department", "case_type",
                                               "legal_basis", "caseworker", NULL};
    do {
        if (cursor[0])
            snprintf(body, sizeof body,
                     "{\"required_combinations\": [[\"social\", \"employment\"]], \"limit\": 4,"
                     " \"cursor\": \"%s\"}",
                     cursor);
        else
            snprintf(body, sizeof body,
                     "{\"required_combinations\": [[\"social\", \"employment\"]], \"limit\": 4}");
        const char *hdr[] = {pages % 2 ? "X-Purpose: target_group_identification" : NULL, NULL};
        struct gpt_resp r;
        post(port, analyst, body, hdr[0] ? hdr : NULL, &r);
        ck_assert_msg(r.status == 200, "%ld %s", r.status, r.body);
        pages++;
        json_t *list = json_object_get(r.json, "candidates");
        ck_assert_str_eq(json_string_value(json_object_get(r.json, "as_of")), today);
        ck_assert_int_eq(
            json_integer_value(json_object_get(json_object_get(r.json, "criteria"), "min_areas")),
            2);
        size_t i;
        json_t *x;
        json_t *returned = json_array();
        json_array_foreach(list, i, x)
        {
            ck_assert_uint_lt(seen, want.n);
            const struct gp_tg_candidate *w = &want.items[seen++];
            assert_only_keys(x, cand_keys);
            ck_assert_str_eq(json_string_value(json_object_get(x, "cpr")), w->cpr);
            ck_assert_str_eq(json_string_value(json_object_get(x, "birth_date")), w->birth_date);
            ck_assert_int_eq(json_integer_value(json_object_get(x, "age")), w->age);
            json_t *reasons = json_object_get(x, "reasons");
            ck_assert_uint_eq(json_array_size(json_object_get(reasons, "areas")), w->n_areas);
            ck_assert_uint_eq(json_array_size(json_object_get(reasons, "departments")),
                              w->n_departments);
            ck_assert_uint_eq(json_array_size(json_object_get(reasons, "combinations")), 1);
            json_t *services = json_object_get(x, "services");
            ck_assert_uint_eq(json_array_size(services), w->n_services);
            size_t k;
            json_t *s;
            json_array_foreach(services, k, s)
            {
                assert_only_keys(s, service_keys);
                const struct ctype *t = ctype_find(
                    json_string_value(json_object_get(json_object_get(s, "case_type"), "code")));
                ck_assert(t && t->cross);
            }
            json_array_append_new(returned, json_string(w->cpr));
        }
        const char *next = json_string_value(json_object_get(r.json, "next_cursor"));
        snprintf(cursor, sizeof cursor, "%s", next ? next : "");

        /* This request's audit row: one search, its criteria, the CPRs it returned. */
        char sql[256];
        snprintf(sql, sizeof sql,
                 "SELECT json_build_array(action, cpr, purpose, role, client_id, route,"
                 " visibility, details->'returned', details->'criteria'->'required_combinations',"
                 " details->'more', details->'search')::text FROM audit_log WHERE id = %lld",
                 (long long)json_integer_value(json_object_get(r.json, "search_id")));
        char *row = scalar(sql);
        json_t *a = json_loads(row, 0, NULL);
        ck_assert_str_eq(json_string_value(json_array_get(a, 0)), "search");
        ck_assert(json_is_null(json_array_get(a, 1)));
        ck_assert_str_eq(json_string_value(json_array_get(a, 2)), "target_group_identification");
        ck_assert_str_eq(json_string_value(json_array_get(a, 3)), "analyst");
        ck_assert_int_eq(json_integer_value(json_array_get(a, 4)), atoi(analyst_id));
        ck_assert_str_eq(json_string_value(json_array_get(a, 5)), "POST " TG_PATH);
        ck_assert_str_eq(json_string_value(json_array_get(a, 6)), "summary,existence");
        ck_assert(json_equal(json_array_get(a, 7), returned));
        json_t *combos = json_pack("[[s, s]]", "employment", "social");
        ck_assert(json_equal(json_array_get(a, 8), combos));
        ck_assert(json_boolean_value(json_array_get(a, 9)) == (next != NULL));
        ck_assert_str_eq(json_string_value(json_array_get(a, 10)), "target_group");
        json_decref(combos);
        json_decref(a);
        free(row);
        json_decref(returned);
        gpt_resp_free(&r);
    } while (cursor[0]);
    ck_assert_uint_eq(seen, want.n);
    ck_assert_int_eq(audit_rows(), rows_before + pages);

    /* Each candidate's access log lists the one search page that returned them (who, when,
     * why — nothing of the others it returned); a citizen no page returned sees none. */
    char *auditor = gpt_token(url, "auditor", NULL);
    char *other = NULL;
    for (int k = 0; k < 2; k++) {
        const char *cpr = want.items[k * (want.n - 1)].cpr; /* the first and the last */
        ck_assert_int_eq(search_entries(port, auditor, cpr), 1);
    }
    other = scalar("SELECT min(cpr) FROM record");
    bool returned_other = false;
    for (size_t k = 0; k < want.n; k++)
        returned_other |= !strcmp(want.items[k].cpr, other);
    ck_assert_int_eq(search_entries(port, auditor, other), returned_other ? 1 : 0);
    free(other);
    free(auditor);
    gp_tg_page_free(&want);

    /* Refusals write no audit row. */
    rows_before = audit_rows();
    struct gpt_resp r;
    char fields[512];
    post(port, caseworker, "{}", NULL, &r);
    gpt_assert_problem(&r, 403, "forbidden");
    gpt_resp_free(&r);

    post(port, analyst, "{\"min_areas\": \"two\"}", NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-body");
    error_fields(&r, fields, sizeof fields);
    ck_assert_str_eq(fields, "min_areas");
    gpt_resp_free(&r);

    post(port, analyst, "{\"area\": [\"social\"]}", NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-body");
    error_fields(&r, fields, sizeof fields);
    ck_assert_str_eq(fields, "area");
    gpt_resp_free(&r);

    post(port, analyst,
         "{\"required_combinations\": [[\"employment\", 3], \"social\", [\"social\"]]}", NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-body");
    error_fields(&r, fields, sizeof fields);
    ck_assert_str_eq(fields, "required_combinations[0],required_combinations[1]");
    gpt_resp_free(&r);

    /* Every bad value at once, the unknown codes included. */
    post(port, analyst,
         "{\"areas\": [\"employment\", \"nowhere\", \"employment\"], \"min_areas\": 4,"
         " \"exclude_case_types\": [\"no_such_type\", \"aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa\"],"
         " \"age_min\": 60, \"age_max\": 20}",
         NULL, &r);
    gpt_assert_problem(&r, 422, "unprocessable");
    error_fields(&r, fields, sizeof fields);
    ck_assert_str_eq(fields, "exclude_case_types[1],areas[2],min_areas,age_min,areas[1],"
                             "exclude_case_types[0]");
    gpt_resp_free(&r);

    post(port, analyst, "{\"min_areas\": 1}", NULL, &r);
    gpt_assert_problem(&r, 422, "unprocessable");
    error_fields(&r, fields, sizeof fields);
    ck_assert_str_eq(fields, "min_areas");
    gpt_resp_free(&r);

    post(port, analyst, "{\"areas\": [\"social\", \"nowhere\"]}", NULL, &r);
    gpt_assert_problem(&r, 422, "unprocessable");
    error_fields(&r, fields, sizeof fields);
    ck_assert_str_eq(fields, "areas[1]");
    gpt_resp_free(&r);

    /* A cursor continues its own search only. */
    gp_tg_criteria_init(&c);
    gp_tg_criteria_normalise(&c);
    gp_tg_cursor_make(&c, "1203849318", cursor);
    snprintf(body, sizeof body, "{\"min_areas\": 3, \"cursor\": \"%s\"}", cursor);
    post(port, analyst, body, NULL, &r);
    gpt_assert_problem(&r, 400, "invalid-body");
    error_fields(&r, fields, sizeof fields);
    ck_assert_str_eq(fields, "cursor");
    gpt_resp_free(&r);

    const char *wrong[] = {"X-Purpose: rehabilitation", NULL};
    post(port, analyst, "{}", wrong, &r); /* not a purpose analysts claim here (role_purpose) */
    gpt_assert_problem(&r, 403, "forbidden");
    gpt_resp_free(&r);
    const char *unknown[] = {"X-Purpose: curiosity", NULL};
    post(port, analyst, "{}", unknown, &r);
    gpt_assert_problem(&r, 400, "invalid-parameter");
    gpt_resp_free(&r);
    ck_assert_int_eq(audit_rows(), rows_before);

    /* The default search (two areas), and a search with nobody to find: both audited. */
    post(port, analyst, "{\"limit\": 50}", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r.json, "candidates")), 50);
    ck_assert(json_is_string(json_object_get(r.json, "next_cursor")));
    gpt_resp_free(&r);
    post(port, analyst, "{\"min_areas\": 5, \"age_max\": 0}", NULL, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_uint_eq(json_array_size(json_object_get(r.json, "candidates")), 0);
    ck_assert(json_is_null(json_object_get(r.json, "next_cursor")));
    gpt_resp_free(&r);
    ck_assert_int_eq(audit_rows(), rows_before + 2);
    char *vis = scalar("SELECT coalesce(visibility, '-') || ' ' ||"
                       " jsonb_array_length(details->'returned') FROM audit_log"
                       " ORDER BY id DESC LIMIT 1");
    ck_assert_str_eq(vis, "- 0");
    free(vis);

    gp_server_stop(&server);
    gp_db_pool_destroy(spool);
    gp_config_free(&cfg);
    free(analyst);
    free(caseworker);
    free(analyst_id);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("target_group");
    TCase *tc = tcase_create("cpr_list");
    tcase_add_unchecked_fixture(tc, suite_setup, suite_teardown);
    tcase_add_checked_fixture(tc, test_setup, test_teardown);
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, birth_dates_agree_with_lib_cpr);
    tcase_add_test(tc, searches_agree_with_brute_force);
    tcase_add_test(tc, blocks_and_removed_records);
    tcase_add_test(tc, pagination_complete_and_stable);
    tcase_add_test(tc, excluded_types_never_count_or_show);
    tcase_add_test(tc, criteria_checks_cursor_and_details);
    tcase_add_test(tc, unknown_codes_are_named);
    tcase_add_test(tc, http_search_answers_and_audits);
    suite_add_tcase(s, tc);
    return gpt_run_suite(s);
}
