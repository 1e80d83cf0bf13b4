/* PostgreSQL access, the part every layer may see: a pool of libpq connections, the status of
 * every query and the one transaction runner. No libpq type appears here, so api/ can run a
 * transaction whose callback calls lib/ without ever seeing libpq; running statements is
 * lib/db/stmt.h, for lib/ only (the build keeps libpq's headers off api/'s include path). */
#ifndef GP_DB_H
#define GP_DB_H

#include <stdbool.h>
#include <stddef.h>

/* Status of every query: errors are negative, otherwise the number of rows. */
enum gp_qs {
    GP_QS_HARD_ERROR = -2, /* a bug, a constraint, or the database is gone */
    GP_QS_SOFT_ERROR = -1, /* serialization failure or deadlock (40001/40P01): retry */
    GP_QS_NO_RESULTS = 0,
    GP_QS_ONE_RESULT = 1, /* values above 1 count rows */
};

struct gp_db_pool;
struct gp_db_conn;

/* The deadline of this thread's database work: a request's, which the HTTP layer sets while a
 * handler runs (GLASPLADE_REQUEST_DEADLINE_MS from the request's arrival). While one is set,
 * every wait in gp_db_* ends by it — for a pooled connection, for connecting, for each result —
 * and every transaction (gp_db_tx) and gp_db_with_conn runs with PostgreSQL's
 * statement_timeout and lock_timeout set to what is left, so that the server gives up first
 * with a clean error. Should the server not answer at all (frozen, or the network gone), the
 * connection is closed at the deadline (a cancel request would wait on the same frozen server)
 * and the pool connects anew for its next user. Work that finds no time left is not started.
 * Soft errors are not retried past the deadline.
 *
 * Times are milliseconds of CLOCK_MONOTONIC (gp_db_now_ms). 0 clears the deadline; setting it
 * also clears gp_db_out_of_time. */
long long gp_db_now_ms(void);
void gp_db_deadline_set(long long deadline_ms);
long long gp_db_deadline(void);
/* Whether database work on this thread failed because of the deadline — our own wait ended,
 * PostgreSQL's statement_timeout or lock_timeout struck, or no time was left to begin — since
 * the deadline was last set. */
bool gp_db_out_of_time(void);

/* Creates a pool of `size` connections to conninfo (libpq conninfo or URI), connected lazily.
 * Each connection uses application_name=glasplade, TimeZone=UTC, and connect_timeout unless
 * conninfo says otherwise. */
struct gp_db_pool *gp_db_pool_create(const char *conninfo, int size, int connect_timeout_s);
void gp_db_pool_destroy(struct gp_db_pool *pool);

/* Takes a connection, connecting or reconnecting it as needed. Returns NULL (and a reason in
 * err) when no connection can be had within the connect timeout (or the thread's deadline,
 * whichever comes first). Pair with gp_db_release. */
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

/* Runs plain SQL without parameters (migrations, BEGIN/COMMIT). */
enum gp_qs gp_db_exec_simple(struct gp_db_conn *conn, const char *sql);

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

#endif
