/* Bulk loading with COPY ... FROM STDIN on a dedicated libpq connection.
 *
 * lib/db keeps each pooled connection's PGconn to itself, and COPY needs the raw connection
 * (PQputCopyData), so a bulk loader opens one session of its own for it: `glasplade sync`
 * copies each export page into a staging table here and merges it through the pool (gp_db_tx).
 * The session also holds the loader's advisory locks, which die with it (a killed process
 * leaves no lock behind). One gp_copy is used by one thread at a time. */
#ifndef GP_COPY_H
#define GP_COPY_H

#include "lib/buf.h"

#include <stdbool.h>
#include <stddef.h>

struct gp_copy;

/* Connects to conninfo (libpq conninfo or URI) with application_name=glasplade-copy and
 * TimeZone=UTC, like the pool. NULL with a reason in err when it cannot. */
struct gp_copy *gp_copy_connect(const char *conninfo, int connect_timeout_s, char *err,
                                size_t errlen);
/* Closes the session (releasing its advisory locks). Accepts NULL. */
void gp_copy_close(struct gp_copy *c);

/* Runs one statement with text parameters (NULL entries are SQL NULL) outside any explicit
 * transaction. Returns the number of rows returned or affected, -1 with err on failure. When
 * val is given it receives the first column of the first row ("" for none or NULL). A session
 * that broke (the server restarted) is reconnected first — without the advisory locks it held,
 * so a caller takes its lock again with this function before relying on it. gp_copy_in never
 * reconnects: it fails. */
long gp_copy_exec(struct gp_copy *c, const char *sql, int nparams, const char *const *params,
                  char *val, size_t vallen, char *err, size_t errlen);

/* Runs copy_sql ("COPY t (cols) FROM STDIN") and sends len bytes of COPY text-format rows
 * (one per line, tab-separated, see gp_copy_field). It commits on its own. Returns the number
 * of rows copied, -1 with err when the server refused them (nothing is copied then). */
long gp_copy_in(struct gp_copy *c, const char *copy_sql, const char *data, size_t len, char *err,
                size_t errlen);

/* Appends s to b as one COPY text-format field followed by a tab, or by a newline when last:
 * backslash, tab, newline and carriage return are escaped; NULL or "" is written as \N (SQL
 * NULL: the index stores absent values as NULL, never as ''). */
void gp_copy_field(struct gp_buf *b, const char *s, bool last);

#endif
