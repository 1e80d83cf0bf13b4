/* Running statements: named prepared statements, batches, COPY and row values. For lib/ only:
 * modules such as lib/sharing/clients.c turn rows into plain structs, and nothing above lib/
 * sees libpq.
 *
 * Statements are declared next to the C that runs them as `static const struct gp_stmt` and
 * prepared lazily, once per connection, on first use; a connection that is reset forgets them
 * and prepares again. */
#ifndef GP_DB_STMT_H
#define GP_DB_STMT_H

#include "lib/db/db.h"

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

struct gp_stmt {
    const char *name; /* unique across the program */
    const char *sql;  /* with $1..$n parameters, all passed as text */
};

/* Runs a prepared statement with text parameters (NULL entries are SQL NULL). Returns the
 * status and, when the result is wanted and rows >= 0, the PGresult in *res (caller PQclear()s
 * it; NULL otherwise). */
enum gp_qs gp_db_exec(struct gp_db_conn *conn, const struct gp_stmt *stmt, int nparams,
                      const char *const *params, PGresult **res);

/* Several statements in one round trip (libpq pipeline mode): each item's statement with its
 * parameters, and what to do with its result. Fill items in place (an item may point its
 * params at its own text[]). Items run in order until one fails; that one's status is returned
 * (the rest are not run), else the last item's. Inside gp_db_tx, a transaction's BEGIN travels
 * with its first statement or batch the same way. */
typedef void (*gp_db_result_fn)(const PGresult *res, void *cls);
#define GP_DB_BATCH_MAX_PARAMS 8
struct gp_db_batch_item {
    const struct gp_stmt *stmt;
    int nparams;
    const char *params[GP_DB_BATCH_MAX_PARAMS]; /* alive until the batch ran */
    char text[2][32];                           /* room for small parameters the item makes */
    gp_db_result_fn on_result; /* called with the result when the statement succeeded */
    void *cls;
    enum gp_qs qs; /* out: the item's own status */
};
enum gp_qs gp_db_exec_batch(struct gp_db_conn *conn, struct gp_db_batch_item *items, size_t n);

/* Inside a gp_db_tx callback: queues stmt to run as the transaction's very last statement, sent
 * together with COMMIT in one round trip (libpq pipeline mode). For a statement that takes a
 * lock every other transaction waits for — the audit chain's append lock — the lock is then
 * held only while the server runs the two, never across a round trip to this process (under
 * load, a round trip includes waiting for this thread to be scheduled). At most one per
 * transaction; parameters are copied; its result is not returned: its failure is the commit's
 * (a soft error retries the whole transaction as usual). Outside gp_db_tx it runs at once. */
#define GP_DB_AT_COMMIT_MAX_PARAMS 24
enum gp_qs gp_db_exec_at_commit(struct gp_db_conn *conn, const struct gp_stmt *stmt, int nparams,
                                const char *const *params);

/* Runs copy_sql ("COPY t (cols) FROM STDIN") and sends len bytes of COPY text-format rows (one
 * per line; lib/copy's gp_copy_field writes the fields). Inside a gp_db_tx callback the rows
 * belong to the transaction (so a temporary table ON COMMIT DELETE ROWS can stage them for a
 * statement of the same transaction); outside, the COPY commits on its own. Returns the number
 * of rows copied, or an error status like any statement's (nothing is copied then). */
enum gp_qs gp_db_copy_in(struct gp_db_conn *conn, const char *copy_sql, const char *data,
                         size_t len);

/* Value helpers for rows: NULL for SQL NULL. */
const char *gp_db_value(const PGresult *res, int row, int col);

#endif
