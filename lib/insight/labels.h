/* The names of areas and departments, in Danish and English. They are data, in the database
 * (tables area and department, migration 0001; a municipality renames a department there),
 * never copied into C: a route that names them reads them (gp_labels_load) and hands them to
 * the pure code that writes the text (lib/insight/recommend takes them in its input). */
#ifndef GP_LABELS_H
#define GP_LABELS_H

#include "lib/db/db.h"

#include <stdbool.h>
#include <stddef.h>

struct gp_label {
    char *code; /* area code or department id */
    char *da;
    char *en;
    char *area; /* a department's area; "" for an area */
};

struct gp_labels {
    struct gp_label *areas; /* by code */
    size_t n_areas;
    struct gp_label *departments; /* by id */
    size_t n_departments;
};

/* Reads every area and department in one statement into *out (free with gp_labels_free).
 * Returns the query's status; on an error *out is empty. */
enum gp_qs gp_labels_load(struct gp_db_pool *pool, struct gp_labels *out);
/* Frees what gp_labels_load filled and empties l. Accepts NULL and an empty l. */
void gp_labels_free(struct gp_labels *l);

/* The entry for code among t[0..n), or NULL. */
const struct gp_label *gp_label_find(const struct gp_label *t, size_t n, const char *code);
/* The area's or department's name in Danish (da) or English; code itself when labels is NULL
 * or does not know it (so a name is never missing from a text, only not pretty). */
const char *gp_label_area(const struct gp_labels *labels, const char *code, bool da);
const char *gp_label_department(const struct gp_labels *labels, const char *code, bool da);

#endif
