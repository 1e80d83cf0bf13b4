#include "lib/db/copy.h"
#include "lib/db/stmt.h"

#include "lib/core/alloc.h"
#include "lib/core/cpr.h"

#include <libpq-fe.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* COPY data goes out in pieces of this size: libpq buffers each piece whole. */

struct gp_copy {
    PGconn *pg;
};

/* The first line of a libpq message (they end in a newline and may carry DETAIL lines, which
 * quote row values), CPR-looking digit runs masked. */
static void set_err(char *err, size_t errlen, const char *what, const char *msg)
{
    if (!err || !errlen)
        return;
    snprintf(err, errlen, "%s: %s", what, msg && *msg ? msg : "no connection");
    err[strcspn(err, "\n")] = '\0';
    gp_cpr_mask_in_place(err);
}

struct gp_copy *gp_copy_connect(const char *conninfo, int connect_timeout_s, char *err,
                                size_t errlen)
{
    char timeout[16];
    snprintf(timeout, sizeof timeout, "%d", connect_timeout_s > 0 ? connect_timeout_s : 3);
    /* The pool's keywords first: what the operator wrote in conninfo wins (lib/db.c). */
    const char *const keys[] = {"connect_timeout", "application_name", "options", "dbname", NULL};
    const char *const vals[] = {timeout, "glasplade-copy", "-c TimeZone=UTC", conninfo, NULL};
    PGconn *pg = PQconnectdbParams(keys, vals, 1);
    if (!pg || PQstatus(pg) != CONNECTION_OK) {
        set_err(err, errlen, "cannot connect to the database", pg ? PQerrorMessage(pg) : NULL);
        PQfinish(pg);
        return NULL;
    }
    struct gp_copy *c = gp_xcalloc(1, sizeof *c);
    c->pg = pg;
    return c;
}

void gp_copy_close(struct gp_copy *c)
{
    if (!c)
        return;
    PQfinish(c->pg);
    free(c);
}

long gp_copy_exec(struct gp_copy *c, const char *sql, int nparams, const char *const *params,
                  char *val, size_t vallen, char *err, size_t errlen)
{
    if (val && vallen)
        val[0] = '\0';
    if (PQstatus(c->pg) != CONNECTION_OK)
        PQreset(c->pg); /* a new session: whatever the old one held is gone */
    PGresult *r = PQexecParams(c->pg, sql, nparams, NULL, params, NULL, NULL, 0);
    long n = -1;
    switch (r ? PQresultStatus(r) : PGRES_FATAL_ERROR) {
    case PGRES_TUPLES_OK:
        n = PQntuples(r);
        if (val && vallen && n > 0 && PQnfields(r) > 0)
            snprintf(val, vallen, "%s", PQgetvalue(r, 0, 0));
        break;
    case PGRES_COMMAND_OK:
        n = atol(PQcmdTuples(r));
        break;
    default:
        set_err(err, errlen, "statement failed",
                r ? PQresultErrorMessage(r) : PQerrorMessage(c->pg));
        break;
    }
    PQclear(r);
    return n;
}

void gp_copy_field(struct gp_buf *b, const char *s, bool last)
{
    if (!s || !*s) {
        gp_buf_append(b, "\\N", 2);
    } else {
        const char *run = s;
        for (const char *p = s; *p; p++) {
            const char *esc = NULL;
            switch (*p) {
            case '\\':
                esc = "\\\\";
                break;
            case '\t':
                esc = "\\t";
                break;
            case '\n':
                esc = "\\n";
                break;
            case '\r':
                esc = "\\r";
                break;
            default:
                continue;
            }
            gp_buf_append(b, run, (size_t)(p - run));
            gp_buf_append(b, esc, 2);
            run = p + 1;
        }
        gp_buf_puts(b, run);
    }
    gp_buf_append(b, last ? "\n" : "\t", 1);
}
