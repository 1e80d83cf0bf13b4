/* PostgreSQL access: a pool of libpq connections, named prepared statements and one
 * transaction runner. Nothing above lib/ includes libpq: modules such as lib/clients_db.c turn
 * rows into plain structs.
 *
 * Statements are declared next to the C that runs them as `static const struct gp_stmt` and
 * prepared lazily, once per connection, on first use; a connection that is reset forgets them
 * and prepares again. */
#ifndef GP_DB_H
#define GP_DB_H

#include <libpq-fe.h>
#include <stdbool.h>
#include <stddef.h>

/* Status of every query: errors are negative, otherwise the number of rows. */
enum gp_qs {
    GP_QS_HARD_ERROR = -2, /* a bug, a constraint, or the database is gone */
    GP_QS_SOFT_ERROR = -1, /* serialization failure or deadlock (40001/40P01): retry */
    GP_QS_NO_RESULTS = 0,
    GP_QS_ONE_RESULT = 1, /* values above 1 count rows */
};

struct gp_stmt {
    const char *name; /* unique across the program */
    const char *sql;  /* with $1..$n parameters, all passed as text */
};

struct gp_db_pool;
struct gp_db_conn;

/* Creates a pool of `size` connections to conninfo (libpq conninfo or URI), connected lazily.
 * Each connection uses application_name=glasplade, TimeZone=UTC, and connect_timeout unless
 * conninfo says otherwise. */
struct gp_db_pool *gp_db_pool_create(const char *conninfo, int size, int connect_timeout_s);
void gp_db_pool_destroy(struct gp_db_pool *pool);

/* Takes a connection, connecting or reconnecting it as needed. Returns NULL (and a reason in
 * err) when no connection can be had within the connect timeout. Pair with gp_db_release. */
struct gp_db_conn *gp_db_acquire(struct gp_db_pool *pool, char *err, size_t errlen);
/* Returns a connection; an open or aborted transaction is rolled back first, so no request ever
 * leaves one behind. Accepts NULL. */
void gp_db_release(struct gp_db_pool *pool, struct gp_db_conn *conn);

struct gp_db_pool_stats {
    int size;
    int in_use;
    int connected;
};
void gp_db_pool_stats(struct gp_db_pool *pool, struct gp_db_pool_stats *out);

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
#define GP_DB_AT_COMMIT_MAX_PARAMS 16
enum gp_qs gp_db_exec_at_commit(struct gp_db_conn *conn, const struct gp_stmt *stmt, int nparams,
                                const char *const *params);

/* Runs plain SQL without parameters (migrations, BEGIN/COMMIT). */
enum gp_qs gp_db_exec_simple(struct gp_db_conn *conn, const char *sql);

/* Runs copy_sql ("COPY t (cols) FROM STDIN") and sends len bytes of COPY text-format rows (one
 * per line; lib/copy's gp_copy_field writes the fields). Inside a gp_db_tx callback the rows
 * belong to the transaction (so a temporary table ON COMMIT DELETE ROWS can stage them for a
 * statement of the same transaction); outside, the COPY commits on its own. Returns the number
 * of rows copied, or an error status like any statement's (nothing is copied then). */
enum gp_qs gp_db_copy_in(struct gp_db_conn *conn, const char *copy_sql, const char *data,
                         size_t len);

/* The last error text of conn (for logs; may contain SQL, never parameters). */
const char *gp_db_error(struct gp_db_conn *conn);
/* SQLSTATE of the last failed statement, "" when none. */
const char *gp_db_sqlstate(struct gp_db_conn *conn);

enum gp_db_isolation { GP_DB_READ_COMMITTED, GP_DB_REPEATABLE_READ, GP_DB_SERIALIZABLE };

typedef enum gp_qs (*gp_db_tx_fn)(struct gp_db_conn *conn, void *cls);

/* The one transaction runner: takes a connection, BEGINs, calls fn, COMMITs; on a soft error
 * (from fn or the commit) rolls back and retries with jittered backoff, up to 5 attempts; on
 * a connection lost before COMMIT reconnects and retries. `name` identifies the transaction in
 * logs. Returns fn's status, or the commit's error. fn may run several times: it must not
 * have effects outside the database. */
enum gp_qs gp_db_tx(struct gp_db_pool *pool, const char *name, enum gp_db_isolation iso,
                    gp_db_tx_fn fn, void *cls);

/* Runs fn on a pooled connection without BEGIN/COMMIT: for a single read-only statement,
 * which PostgreSQL runs as its own transaction anyway — one round trip instead of three.
 * Retries like gp_db_tx on a soft error or a connection lost on the way. */
enum gp_qs gp_db_with_conn(struct gp_db_pool *pool, const char *name, gp_db_tx_fn fn, void *cls);

/* Value helpers for rows: NULL for SQL NULL. */
const char *gp_db_value(const PGresult *res, int row, int col);

#endif
