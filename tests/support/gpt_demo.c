#include "gpt_demo.h"

#include "adapters/adapter.h"
#include "cmd/deptsim/dates.h"
#include "cmd/deptsim/routes.h"
#include "gptest.h"
#include "lib/core/alloc.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char gp_adapter_today[11]; /* adapters/adapter_internal.h's test hook */

/* ---- the taxonomy, read from the migrations ------------------------------------------------ */

struct ctype {
    char code[64], area[32], label_da[128], label_en[128];
    bool cross;
};

struct cmap {
    char kind[32], code[128], case_type[64];
};

struct taxonomy {
    struct ctype *types;
    size_t n_types;
    struct cmap *map;
    size_t n_map;
};

/* Copies s into dst[size], cut to fit. */
static void cp(char *dst, size_t size, const char *s)
{
    size_t n = strnlen(s, size - 1);
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* The fields of one SQL row "('a', NULL, 'b''c', true)" starting at p (at its '('): strings
 * unquoted, bare words as written. Returns the number of fields, and in *rest the text after
 * the closing ')'. */
static int sql_row(const char *p, char fields[][160], int max, const char **rest)
{
    int n = 0;
    p++;
    while (*p && *p != ')' && n < max) {
        while (*p == ' ' || *p == '\t')
            p++;
        size_t o = 0;
        if (*p == '\'') {
            for (p++; *p; p++) {
                if (*p == '\'' && p[1] == '\'') {
                    p++;
                } else if (*p == '\'') {
                    p++;
                    break;
                }
                if (o + 1 < 160)
                    fields[n][o++] = *p;
            }
        } else {
            while (*p && *p != ',' && *p != ')' && *p != ' ') {
                if (o + 1 < 160)
                    fields[n][o++] = *p;
                p++;
            }
        }
        fields[n++][o] = '\0';
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == ',')
            p++;
    }
    *rest = *p == ')' ? p + 1 : p;
    return n;
}

static void taxonomy_read(struct taxonomy *t, const char *file)
{
    char path[512];
    snprintf(path, sizeof path, "%s/migrations/%s", GP_SOURCE_DIR, file);
    char *sql = gpt_read_file(path);
    ck_assert_msg(sql != NULL, "cannot read %s", path);
    enum { NONE, TYPES, MAP } table = NONE;
    char *save = NULL;
    for (char *line = strtok_r(sql, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strstr(line, "INSERT INTO case_type ("))
            table = TYPES;
        else if (strstr(line, "INSERT INTO source_code_map ("))
            table = MAP;
        else if (strstr(line, "INSERT INTO"))
            table = NONE;
        const char *p = line + strspn(line, " \t");
        if (table == NONE || *p != '(')
            continue;
        char f[6][160];
        const char *rest;
        int n = sql_row(p, f, 6, &rest);
        if (table == TYPES && n == 6) {
            t->types = gp_xrealloc(t->types, (t->n_types + 1) * sizeof *t->types);
            struct ctype *c = &t->types[t->n_types++];
            cp(c->code, sizeof c->code, f[0]);
            cp(c->area, sizeof c->area, strcmp(f[1], "NULL") ? f[1] : "");
            cp(c->label_da, sizeof c->label_da, f[2]);
            cp(c->label_en, sizeof c->label_en, f[3]);
            c->cross = !strcmp(f[5], "true");
        } else if (table == MAP && n == 3) {
            t->map = gp_xrealloc(t->map, (t->n_map + 1) * sizeof *t->map);
            struct cmap *m = &t->map[t->n_map++];
            cp(m->kind, sizeof m->kind, f[0]);
            cp(m->code, sizeof m->code, f[1]);
            cp(m->case_type, sizeof m->case_type, f[2]);
        }
        if (*(rest + strspn(rest, " \t")) == ';')
            table = NONE;
    }
    free(sql);
}

static const struct ctype *ctype_find(const struct taxonomy *t, const char *code)
{
    for (size_t i = 0; i < t->n_types; i++) {
        if (!strcmp(t->types[i].code, code))
            return &t->types[i];
    }
    return NULL;
}

static const char *classify(const struct taxonomy *t, const char *kind, const char *code)
{
    for (size_t i = 0; i < t->n_map; i++) {
        if (!strcmp(t->map[i].kind, kind) && !strcmp(t->map[i].code, code))
            return t->map[i].case_type;
    }
    return "unclassified";
}

/* ---- the labels of areas and departments, read from migration 0001 ------------------------- */

static void label_add(struct gp_label **t, size_t *n, const char *code, const char *da,
                      const char *en, const char *area)
{
    *t = gp_xrealloc(*t, (*n + 1) * sizeof **t);
    (*t)[(*n)++] =
        (struct gp_label){gp_xstrdup(code), gp_xstrdup(da), gp_xstrdup(en), gp_xstrdup(area)};
}

void gpt_demo_labels(struct gp_labels *out)
{
    memset(out, 0, sizeof *out);
    char path[512];
    snprintf(path, sizeof path, "%s/migrations/0001_core.sql", GP_SOURCE_DIR);
    char *sql = gpt_read_file(path);
    ck_assert_msg(sql != NULL, "cannot read %s", path);
    enum { NONE, AREAS, DEPARTMENTS } table = NONE;
    char *save = NULL;
    for (char *line = strtok_r(sql, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (strstr(line, "INSERT INTO area ("))
            table = AREAS;
        else if (strstr(line, "INSERT INTO department ("))
            table = DEPARTMENTS;
        else if (strstr(line, "INSERT INTO"))
            table = NONE;
        const char *p = line + strspn(line, " \t");
        if (table == NONE || *p != '(')
            continue;
        char f[4][160];
        const char *rest;
        int n = sql_row(p, f, 4, &rest);
        if (table == AREAS && n == 3)
            label_add(&out->areas, &out->n_areas, f[0], f[1], f[2], "");
        else if (table == DEPARTMENTS && n == 4)
            label_add(&out->departments, &out->n_departments, f[0], f[2], f[3], f[1]);
        if (*(rest + strspn(rest, " \t")) == ';')
            table = NONE;
    }
    free(sql);
    ck_assert_msg(out->n_areas == 5 && out->n_departments == 5, "0001: %zu areas, %zu departments",
                  out->n_areas, out->n_departments);
}

/* ---- asking the simulated systems ---------------------------------------------------------- */

struct args {
    const char *key[4], *val[4];
};

static const char *arg_get(void *cls, const char *key)
{
    struct args *a = cls;
    for (int i = 0; i < 4 && a->key[i]; i++) {
        if (!strcmp(a->key[i], key))
            return a->val[i];
    }
    return NULL;
}

static const struct sysinfo {
    enum ds_system sys;
    const char *kind, *department, *area;
} systems[] = {
    {DS_JOBCENTRE, "momentum", GPT_DEMO_JOBCENTRE, "employment"},
    {DS_SOCIAL, "sensum", GPT_DEMO_SOCIAL, "social"},
    {DS_HEALTH, "fhir-r4", GPT_DEMO_HEALTH, "health_municipal"},
    {DS_REGION, "fhir-r4", GPT_DEMO_REGION, "health_regional"},
    {DS_FAMILY, "dubu", GPT_DEMO_FAMILY, "family"},
};

void gpt_demo_records(const char *cpr, const char *as_of, struct gp_indexed_list *out)
{
    memset(out, 0, sizeof *out);
    struct taxonomy tax = {0};
    taxonomy_read(&tax, "0002_taxonomy.sql");
    taxonomy_read(&tax, "0004_source_codes.sql");
    ck_assert_msg(tax.n_types > 40 && tax.n_map > 50, "taxonomy: %zu case types, %zu codes",
                  tax.n_types, tax.n_map);

    int day;
    ck_assert(ds_parse_date(as_of, &day));
    struct ds_population pop;
    ck_assert(ds_population_init(&pop, 1, 0, day));
    snprintf(gp_adapter_today, sizeof gp_adapter_today, "%s", as_of);

    char ident[64];
    snprintf(ident, sizeof ident, "urn:oid:1.2.208.176.1.2|%s", cpr);
    size_t cap = 0;
    for (size_t s = 0; s < sizeof systems / sizeof *systems; s++) {
        const struct sysinfo *si = &systems[s];
        char path[128];
        struct args a = {{0}, {0}};
        switch (si->sys) {
        case DS_JOBCENTRE:
            snprintf(path, sizeof path, "/momentum/api/v2/borgere/%s/forloeb", cpr);
            break;
        case DS_SOCIAL:
            snprintf(path, sizeof path, "/sensum/api/Citizens/%s/Cases", cpr);
            break;
        case DS_FAMILY:
            snprintf(path, sizeof path, "/dubu/rest/parents/%s/children-cases", cpr);
            break;
        default:
            snprintf(path, sizeof path, "/fhir");
            a.key[0] = "_type";
            a.val[0] = si->sys == DS_HEALTH ? "EpisodeOfCare,CarePlan,DocumentReference"
                                            : "Encounter,EpisodeOfCare,DocumentReference";
            a.key[1] = "patient.identifier";
            a.val[1] = ident;
            a.key[2] = "_count";
            a.val[2] = "1000";
            break;
        }
        struct ds_request rq = {.sys = si->sys,
                                .method = "GET",
                                .path = path,
                                .arg = arg_get,
                                .arg_cls = &a,
                                .base_url = "http://127.0.0.1:1"};
        struct ds_reply rep;
        ck_assert(ds_route(&pop, &rq, &rep));
        if (rep.status == 404 && si->sys == DS_JOBCENTRE) {
            ds_reply_free(&rep); /* Momentum's "citizen not known" */
            continue;
        }
        ck_assert_msg(rep.status == 200, "%s: status %u", path, rep.status);
        struct gp_record_list recs = {0};
        char err[256] = "";
        ck_assert_msg(
            gp_adapter_find(si->kind)->parse_lookup(cpr, rep.body, rep.len, &recs, err, sizeof err),
            "%s: %s", si->kind, err);
        ds_reply_free(&rep);
        for (size_t i = 0; i < recs.n; i++) {
            if (out->n == cap) {
                cap = cap ? cap * 2 : 64;
                out->items = gp_xrealloc(out->items, cap * sizeof *out->items);
            }
            struct gp_indexed *x = &out->items[out->n++];
            memset(x, 0, sizeof *x);
            x->id = (int64_t)out->n;
            x->rec = recs.items[i];
            snprintf(x->source_id, sizeof x->source_id, "%s", ds_system_name(si->sys));
            snprintf(x->department, sizeof x->department, "%s", si->department);
            const char *ct = classify(&tax, si->kind, x->rec.source_code);
            const struct ctype *t = ctype_find(&tax, ct);
            ck_assert_msg(t != NULL, "case type %s not in the taxonomy", ct);
            snprintf(x->case_type, sizeof x->case_type, "%s", t->code);
            snprintf(x->area, sizeof x->area, "%s", t->area[0] ? t->area : si->area);
            snprintf(x->case_label_da, sizeof x->case_label_da, "%s", t->label_da);
            snprintf(x->case_label_en, sizeof x->case_label_en, "%s", t->label_en);
            x->cross_department = t->cross;
            snprintf(x->sensitivity, sizeof x->sensitivity, "%s", "sensitive");
            snprintf(x->legal_basis, sizeof x->legal_basis, "%s", x->rec.legal_basis_raw);
            snprintf(x->fetched_at, sizeof x->fetched_at, "%sT12:00:00Z", as_of);
        }
        gp_record_list_free(&recs);
    }
    gp_adapter_today[0] = '\0';
    free(tax.types);
    free(tax.map);
}
