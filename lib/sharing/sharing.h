/* What a citizen has said about sharing, as one read for one request: the consents and blocks in
 * force today, the calling client's own break-glass overrides in force now, and the database's
 * date and time they were judged by — loaded in one statement at the start of every read of
 * personal data, so a withdrawal or a block takes effect on the very next request, and turned
 * into the plain struct the pure policy (lib/policy) decides with.
 *
 * A gp_sharing owns everything it points to; gp_sharing_context's result borrows from it. */
#ifndef GP_SHARING_H
#define GP_SHARING_H

#include "lib/db/db.h"

struct gp_db_batch_item; /* lib/db/stmt.h */
#include "lib/sharing/policy.h"

#include <stddef.h>
#include <stdint.h>

struct gp_sharing_consent {
    int64_t id;
    char purpose[40];
    char areas[GP_POLICY_MAX_AREAS][32];
    size_t n_areas;
    char departments[GP_POLICY_MAX_DEPARTMENTS][64];
    size_t n_departments;
    char valid_from[11];
    char valid_until[11];
};

struct gp_sharing_block {
    int64_t id;
    char kind[16]; /* area | department | case_type */
    char value[64];
    char valid_from[11];
    char valid_until[11];
};

struct gp_sharing_override {
    int64_t id;
    char reason_code[24];
    char created_at[40];
    char expires_at[40];
};

struct gp_sharing {
    struct gp_sharing_consent *consents;
    size_t n_consents;
    struct gp_sharing_block *blocks;
    size_t n_blocks;
    struct gp_sharing_override *overrides;
    size_t n_overrides;
    char today[11]; /* the database's current_date */
    char now[40];   /* the database's now(), ISO 8601 UTC */

    /* The policy's view (filled by gp_sharing_context). */
    struct gp_policy_consent *p_consents;
    struct gp_policy_block *p_blocks;
    struct gp_policy_override *p_overrides;
    struct gp_policy_context ctx;
};

/* Loads cpr's consents and blocks in force today and client_id's overrides on cpr in force now
 * (one statement; replaces whatever *out held). */
enum gp_qs gp_sharing_load(struct gp_db_conn *c, const char *cpr, int64_t client_id,
                           struct gp_sharing *out);
/* The same load as one item of a batch (lib/db gp_db_exec_batch). */
void gp_sharing_load_item(struct gp_db_batch_item *it, const char *cpr, int64_t client_id,
                          struct gp_sharing *out);

/* The policy context over s (valid while s is neither freed nor loaded again). */
const struct gp_policy_context *gp_sharing_context(struct gp_sharing *s);

void gp_sharing_free(struct gp_sharing *s);

#endif
