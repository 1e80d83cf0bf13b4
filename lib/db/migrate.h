/* Schema migrations: the numbered SQL files in migrations/ (embedded in the binary), applied
 * in file-name order, each in its own transaction, recorded in schema_migration with a
 * SHA-256 of its text. Safe to run twice and from two processes at once (an advisory lock
 * serialises them). An applied file whose text has changed is refused: a landed migration is
 * never edited, a change is a new file. */
#ifndef GP_MIGRATE_H
#define GP_MIGRATE_H

#include "lib/db/db.h"

#include <stdbool.h>
#include <stddef.h>

struct gp_migration {
    const char *name;
    const char *sql;
    size_t len;
};

/* Called once per migration: applied now (true) or already applied (false). */
typedef void (*gp_migrate_report_fn)(const char *name, bool applied_now, void *cls);

/* Applies the pending ones of the `count` migrations (sorted by name). Returns the number
 * applied, or -1 with a message in err. */
int gp_migrate_apply(struct gp_db_pool *pool, const struct gp_migration *migs, size_t count,
                     gp_migrate_report_fn report, void *cls, char *err, size_t errlen);

/* The migrations compiled into this binary. Static array; count in *count. */
const struct gp_migration *gp_migrate_embedded(size_t *count);

#endif
