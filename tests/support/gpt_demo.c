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

/* Copies s into dst[size], cut to fit. */
static void cp(char *dst, size_t size, const char *s)
{
    size_t n = strnlen(s, size - 1);
    memcpy(dst, s, n);
    dst[n] = '\0';
}

/* ---- the classifications, as record_classify gave them ------------------------------------- */

struct klass {
    char key[768]; /* kind TAB source code TAB legal basis as written TAB date */
    char case_type[64], area[32], legal_basis[128], sensitivity[24];
    char label_da[128], label_en[128];
    bool cross;
};

struct klasses {
    struct klass *items;
    size_t n;
};

void gpt_demo_class_key(const char *kind, const struct gp_record *r, char *out, size_t len)
{
    const char *date = r->start_date[0] ? r->start_date : r->document_date;
    snprintf(out, len, "%s\t%s\t%s\t%s", kind, r->source_code, r->legal_basis_raw, date);
}

/* Splits line at tabs into at most max fields; returns their number. */
static int tsv_fields(char *line, char **f, int max)
{
    int n = 0;
    for (char *p = line; n < max;) {
        f[n++] = p;
        p = strchr(p, '\t');
        if (!p)
            break;
        *p++ = '\0';
    }
    return n;
}

static void klasses_read(struct klasses *k)
{
    char *text = gpt_read_file(GPT_DEMO_CLASSIFIED);
    ck_assert_msg(text != NULL, "cannot read %s", GPT_DEMO_CLASSIFIED);
    char *save = NULL;
    bool header = true;
    for (char *line = strtok_r(text, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        if (header) {
            header = false;
            continue;
        }
        char *f[11];
        ck_assert_int_eq(tsv_fields(line, f, 11), 11);
        k->items = gp_xrealloc(k->items, (k->n + 1) * sizeof *k->items);
        struct klass *c = &k->items[k->n++];
        snprintf(c->key, sizeof c->key, "%s\t%s\t%s\t%s", f[0], f[1], f[2], f[3]);
        cp(c->case_type, sizeof c->case_type, f[4]);
        cp(c->area, sizeof c->area, f[5]);
        cp(c->legal_basis, sizeof c->legal_basis, f[6]);
        cp(c->sensitivity, sizeof c->sensitivity, f[7]);
        cp(c->label_da, sizeof c->label_da, f[8]);
        cp(c->label_en, sizeof c->label_en, f[9]);
        c->cross = !strcmp(f[10], "t");
    }
    free(text);
}

static const struct klass *klass_find(const struct klasses *k, const char *key)
{
    for (size_t i = 0; i < k->n; i++) {
        if (!strcmp(k->items[i].key, key))
            return &k->items[i];
    }
    return NULL;
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

const char *gpt_demo_kind(const char *source_id)
{
    for (size_t s = 0; s < sizeof systems / sizeof *systems; s++) {
        if (!strcmp(ds_system_name(systems[s].sys), source_id))
            return systems[s].kind;
    }
    return NULL;
}

void gpt_demo_unclassified(const char *cpr, const char *as_of, struct gp_indexed_list *out)
{
    memset(out, 0, sizeof *out);

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
            snprintf(x->fetched_at, sizeof x->fetched_at, "%sT12:00:00Z", as_of);
        }
        gp_record_list_free(&recs);
    }
    gp_adapter_today[0] = '\0';
}

void gpt_demo_records(const char *cpr, const char *as_of, struct gp_indexed_list *out)
{
    struct klasses k = {0};
    klasses_read(&k);
    gpt_demo_unclassified(cpr, as_of, out);
    for (size_t i = 0; i < out->n; i++) {
        struct gp_indexed *x = &out->items[i];
        char key[768];
        gpt_demo_class_key(gpt_demo_kind(x->source_id), &x->rec, key, sizeof key);
        const struct klass *c = klass_find(&k, key);
        ck_assert_msg(c != NULL,
                      "%s has no line for '%s' of %s: regenerate it with "
                      "integration/itest_index (demo_classifications_are_record_classify's)",
                      GPT_DEMO_CLASSIFIED, key, cpr);
        snprintf(x->case_type, sizeof x->case_type, "%s", c->case_type);
        snprintf(x->area, sizeof x->area, "%s", c->area);
        snprintf(x->case_label_da, sizeof x->case_label_da, "%s", c->label_da);
        snprintf(x->case_label_en, sizeof x->case_label_en, "%s", c->label_en);
        x->cross_department = c->cross;
        snprintf(x->sensitivity, sizeof x->sensitivity, "%s", c->sensitivity);
        snprintf(x->legal_basis, sizeof x->legal_basis, "%s", c->legal_basis);
    }
    free(k.items);
}
