#include "lib/db/migrate.h"
#include "lib/db/stmt.h"

#include "lib/core/alloc.h"
#include "lib/core/embedded.h"
#include "lib/core/log.h"

#include <openssl/evp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Any constant will do; it only has to be the same for every glasplade process. */
#define GP_MIGRATE_LOCK_KEY "7361029481"

static const struct gp_stmt stmt_applied = {"migrate_applied",
                                            "SELECT sha256 FROM schema_migration WHERE name = $1"};
static const struct gp_stmt stmt_record = {
    "migrate_record", "INSERT INTO schema_migration (name, sha256) VALUES ($1, $2)"};

static void sha256_hex(const char *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    for (unsigned i = 0; i < 32; i++)
        snprintf(out + 2 * i, 3, "%02x", md[i]);
}

const struct gp_migration *gp_migrate_embedded(size_t *count)
{
    /* struct gp_embedded_file and struct gp_migration have the same layout by design. */
    _Static_assert(sizeof(struct gp_embedded_file) == sizeof(struct gp_migration), "layout");
    *count = gp_embedded_migrations_count;
    return (const struct gp_migration *)gp_embedded_migrations;
}

/* Applies one migration inside its own transaction. Returns 1 applied, 0 already applied,
 * -1 on error. */
static int apply_one(struct gp_db_conn *c, const struct gp_migration *m, char *err, size_t errlen)
{
    char sum[65];
    sha256_hex(m->sql, m->len, sum);
    if (gp_db_exec_simple(c, "BEGIN") < 0)
        goto db_error;
    const char *p[2] = {m->name, sum};
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_applied, 1, p, &r);
    if (qs < 0)
        goto db_error;
    if (qs == GP_QS_ONE_RESULT) {
        bool same = strcmp(PQgetvalue(r, 0, 0), sum) == 0;
        PQclear(r);
        gp_db_exec_simple(c, "ROLLBACK");
        if (!same) {
            snprintf(err, errlen,
                     "migration %s was changed after it was applied; add a new migration "
                     "instead of editing a landed one",
                     m->name);
            return -1;
        }
        return 0;
    }
    PQclear(r);
    if (gp_db_exec_simple(c, m->sql) < 0)
        goto db_error;
    if (gp_db_exec(c, &stmt_record, 2, p, NULL) < 0)
        goto db_error;
    if (gp_db_exec_simple(c, "COMMIT") < 0)
        goto db_error;
    return 1;

db_error:
    snprintf(err, errlen, "migration %s failed: %s", m->name, gp_db_error(c));
    gp_db_exec_simple(c, "ROLLBACK");
    return -1;
}

int gp_migrate_apply(struct gp_db_pool *pool, const struct gp_migration *migs, size_t count,
                     gp_migrate_report_fn report, void *cls, char *err, size_t errlen)
{
    int applied = 0;
    struct gp_db_conn *c = gp_db_acquire(pool, err, errlen);
    if (!c)
        return -1;
    if (gp_db_exec_simple(c, "SELECT pg_advisory_lock(" GP_MIGRATE_LOCK_KEY ")") < 0 ||
        gp_db_exec_simple(c, "CREATE TABLE IF NOT EXISTS schema_migration ("
                             " name text PRIMARY KEY,"
                             " sha256 text NOT NULL,"
                             " applied_at timestamptz NOT NULL DEFAULT now())") < 0) {
        snprintf(err, errlen, "cannot prepare migrations: %s", gp_db_error(c));
        applied = -1;
        goto done;
    }
    for (size_t i = 0; i < count; i++) {
        int rc = apply_one(c, &migs[i], err, errlen);
        if (rc < 0) {
            applied = -1;
            goto done;
        }
        if (report)
            report(migs[i].name, rc == 1, cls);
        applied += rc;
    }
done:
    gp_db_exec_simple(c, "SELECT pg_advisory_unlock(" GP_MIGRATE_LOCK_KEY ")");
    gp_db_release(pool, c);
    return applied;
}
