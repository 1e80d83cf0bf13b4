/* A bulk loader's own libpq session, and the COPY text format.
 *
 * `glasplade sync` holds its per-source advisory locks on a session of its own, outside the
 * pool, so that they die with it (a killed process leaves no lock behind) and no pooled
 * connection carries a lock back to the pool. Its pages are copied with gp_db_copy_in (lib/db)
 * inside the transaction that merges them; gp_copy_field writes their rows. One gp_copy is used
 * by one thread at a time. */
#ifndef GP_COPY_H
#define GP_COPY_H

#include "lib/core/buf.h"

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
 * so a caller takes its lock again with this function before relying on it. */
long gp_copy_exec(struct gp_copy *c, const char *sql, int nparams, const char *const *params,
                  char *val, size_t vallen, char *err, size_t errlen);

/* Appends s to b as one COPY text-format field followed by a tab, or by a newline when last:
 * backslash, tab, newline and carriage return are escaped; NULL or "" is written as \N (SQL
 * NULL: the index stores absent values as NULL, never as ''). */
void gp_copy_field(struct gp_buf *b, const char *s, bool last);

#endif
