/* Area and department names from the database: see lib/insight/labels.h. */
#include "lib/insight/labels.h"
#include "lib/db/stmt.h"

#include "lib/core/alloc.h"

#include <stdlib.h>
#include <string.h>

static const struct gp_stmt stmt_load = {
    "labels_load", "SELECT 'a', code, label_da, label_en, '' FROM area"
                   " UNION ALL SELECT 'd', id, name_da, name_en, area FROM department"
                   " ORDER BY 1, 2"};

static void label_free(struct gp_label *l)
{
    free(l->code);
    free(l->da);
    free(l->en);
    free(l->area);
}

void gp_labels_free(struct gp_labels *l)
{
    if (!l)
        return;
    for (size_t i = 0; i < l->n_areas; i++)
        label_free(&l->areas[i]);
    for (size_t i = 0; i < l->n_departments; i++)
        label_free(&l->departments[i]);
    free(l->areas);
    free(l->departments);
    memset(l, 0, sizeof *l);
}

static enum gp_qs run_load(struct gp_db_conn *c, void *cls)
{
    struct gp_labels *out = cls;
    gp_labels_free(out); /* a retried attempt starts afresh */
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_load, 0, NULL, &r);
    if (qs < 0)
        return qs;
    size_t n = (size_t)qs;
    out->areas = gp_xcalloc(n ? n : 1, sizeof *out->areas);
    out->departments = gp_xcalloc(n ? n : 1, sizeof *out->departments);
    for (int row = 0; row < (int)n; row++) {
        bool area = gp_db_value(r, row, 0)[0] == 'a';
        struct gp_label *l =
            area ? &out->areas[out->n_areas++] : &out->departments[out->n_departments++];
        l->code = gp_xstrdup(gp_db_value(r, row, 1));
        l->da = gp_xstrdup(gp_db_value(r, row, 2));
        l->en = gp_xstrdup(gp_db_value(r, row, 3));
        l->area = gp_xstrdup(gp_db_value(r, row, 4));
    }
    PQclear(r);
    return qs;
}

enum gp_qs gp_labels_load(struct gp_db_pool *pool, struct gp_labels *out)
{
    memset(out, 0, sizeof *out);
    enum gp_qs qs = gp_db_with_conn(pool, "labels_load", run_load, out);
    if (qs < 0)
        gp_labels_free(out);
    return qs;
}

const struct gp_label *gp_label_find(const struct gp_label *t, size_t n, const char *code)
{
    for (size_t i = 0; code && i < n; i++) {
        if (!strcmp(t[i].code, code))
            return &t[i];
    }
    return NULL;
}

static const char *name(const struct gp_label *l, const char *code, bool da)
{
    return l ? (da ? l->da : l->en) : code;
}

const char *gp_label_area(const struct gp_labels *labels, const char *code, bool da)
{
    return name(labels ? gp_label_find(labels->areas, labels->n_areas, code) : NULL, code, da);
}

const char *gp_label_department(const struct gp_labels *labels, const char *code, bool da)
{
    return name(labels ? gp_label_find(labels->departments, labels->n_departments, code) : NULL,
                code, da);
}
