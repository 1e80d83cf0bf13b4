/* The audit chain after the append: sealing passes, signed checkpoints, and the full check of
 * the chain against them (lib/sharing/audit.h). The sealing itself is SQL (audit_seal(),
 * migration 0014), so that it runs as the table's owner while the service's role may only call
 * it. */
#include "lib/db/stmt.h"
#include "lib/sharing/audit.h"
#include "lib/sharing/audit_key.h"

#include "lib/core/alloc.h"
#include "lib/core/log.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* clang-format off */
#define ISO_UTC_US(col) "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"

static const struct gp_stmt stmt_can_rewrite = {
    "audit_can_rewrite",
    "SELECT r.rolsuper OR pg_has_role(current_user, c.relowner, 'MEMBER')"
    " FROM pg_class c, pg_roles r"
    " WHERE c.oid = 'audit_log'::regclass AND r.rolname = current_user"};

static const struct gp_stmt stmt_seal = {
    "audit_seal",
    "SELECT sealed, last_id, last_seq, encode(last_hash, 'hex'), sealed_through, pending"
    " FROM audit_seal($1::integer)"};

static const struct gp_stmt stmt_checkpoint_last = {
    "audit_checkpoint_last",
    "SELECT coalesce(max(last_seq), 0),"
    " coalesce(extract(epoch FROM clock_timestamp() - max(signed_at)), -1)"
    " FROM audit_checkpoint"};

/* One statement, one snapshot: the head and the entries after the newest checkpoint. */
static const struct gp_stmt stmt_checkpoint_rows = {
    "audit_checkpoint_rows",
    "WITH prev AS (SELECT coalesce(max(last_seq), 0) AS seq FROM audit_checkpoint)"
    " SELECT h.last_id, h.last_seq, encode(h.last_hash, 'hex'), prev.seq,"
    "  " ISO_UTC_US("clock_timestamp()") ","
    "  coalesce((SELECT string_agg(c.id || ':' || encode(substr(c.row_hash, 1, 8), 'hex'), ','"
    "            ORDER BY c.seq) FROM audit_chain c"
    "   WHERE c.seq > prev.seq AND c.seq <= h.last_seq), '')"
    " FROM audit_head h, prev WHERE h.one"};

static const struct gp_stmt stmt_checkpoint_insert = {
    "audit_checkpoint_insert",
    "INSERT INTO audit_checkpoint (last_id, last_seq, chain_hash, from_seq, rows, rows_sha256,"
    "  signed_at, public_key, signature)"
    " VALUES ($1::bigint, $2::bigint, decode($3, 'hex'), $4::bigint, $5, decode($6, 'hex'),"
    "  $7::timestamptz, decode($8, 'hex'), decode($9, 'hex'))"};

static const struct gp_stmt stmt_check_head = {
    "audit_check_head",
    "SELECT last_id, last_seq, encode(last_hash, 'hex'), sealed_through FROM audit_head"
    " WHERE one"};

static const struct gp_stmt stmt_check_tail = {
    "audit_check_tail",
    "SELECT count(*), coalesce(" ISO_UTC_US("min(at)") ", ''),"
    " coalesce(floor(extract(epoch FROM clock_timestamp() - min(at)) * 1000), 0)::bigint"
    " FROM audit_log WHERE id > $1::bigint"};

static const struct gp_stmt stmt_check_checkpoints = {
    "audit_check_checkpoints",
    "SELECT last_id, last_seq, encode(chain_hash, 'hex'), from_seq, rows,"
    " encode(rows_sha256, 'hex'), " ISO_UTC_US("signed_at") ", encode(public_key, 'hex'),"
    " encode(signature, 'hex')"
    " FROM audit_checkpoint ORDER BY last_seq, id"};

/* The chain's own entries for a checkpoint's range, in its rows form, and the hash at its end. */
static const struct gp_stmt stmt_check_range = {
    "audit_check_range",
    "SELECT coalesce(string_agg(c.id || ':' || encode(substr(c.row_hash, 1, 8), 'hex'), ','"
    "  ORDER BY c.seq), ''),"
    " coalesce((SELECT encode(row_hash, 'hex') FROM audit_chain WHERE seq = $2::bigint), '')"
    " FROM audit_chain c WHERE c.seq > $1::bigint AND c.seq <= $2::bigint"};

static const struct gp_stmt stmt_check_before = {
    "audit_check_before",
    "SELECT coalesce(max(id), 0) FROM audit_chain WHERE id < $1::bigint"};
/* clang-format on */

static int64_t i64(const PGresult *r, int row, int col)
{
    return strtoll(PQgetvalue(r, row, col), NULL, 10);
}

enum gp_qs gp_audit_role_can_rewrite(struct gp_db_conn *c, bool *can)
{
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_can_rewrite, 0, NULL, &r);
    if (qs == GP_QS_ONE_RESULT)
        *can = PQgetvalue(r, 0, 0)[0] == 't';
    PQclear(r);
    return qs;
}

enum gp_qs gp_audit_seal_pass(struct gp_db_conn *c, int max_rows, struct gp_audit_seal_result *out)
{
    char limit[16];
    snprintf(limit, sizeof limit, "%d", max_rows > 0 ? max_rows : 10000);
    const char *p[1] = {limit};
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_seal, 1, p, &r);
    if (qs == GP_QS_ONE_RESULT && out) {
        out->sealed = (int)i64(r, 0, 0);
        out->last_id = i64(r, 0, 1);
        out->last_seq = i64(r, 0, 2);
        snprintf(out->last_hash, sizeof out->last_hash, "%s", PQgetvalue(r, 0, 3));
        out->sealed_through = i64(r, 0, 4);
        out->pending = PQgetvalue(r, 0, 5)[0] == 't';
    }
    PQclear(r);
    return qs;
}

enum gp_qs gp_audit_checkpoint_last(struct gp_db_conn *c, int64_t *last_seq, double *age_s)
{
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_checkpoint_last, 0, NULL, &r);
    if (qs == GP_QS_ONE_RESULT) {
        *last_seq = i64(r, 0, 0);
        *age_s = strtod(PQgetvalue(r, 0, 1), NULL);
    }
    PQclear(r);
    return qs;
}

enum gp_qs gp_audit_checkpoint_make(struct gp_db_conn *c, const struct gp_audit_key *key,
                                    struct gp_audit_checkpoint *cp)
{
    memset(cp, 0, sizeof *cp);
    PGresult *r = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_checkpoint_rows, 0, NULL, &r);
    if (qs != GP_QS_ONE_RESULT) {
        PQclear(r);
        return qs < 0 ? qs : GP_QS_NO_RESULTS;
    }
    cp->last_id = i64(r, 0, 0);
    cp->last_seq = i64(r, 0, 1);
    snprintf(cp->chain_hash, sizeof cp->chain_hash, "%s", PQgetvalue(r, 0, 2));
    cp->from_seq = i64(r, 0, 3);
    snprintf(cp->signed_at, sizeof cp->signed_at, "%s", PQgetvalue(r, 0, 4));
    if (cp->last_seq <= cp->from_seq) {
        PQclear(r);
        return GP_QS_NO_RESULTS;
    }
    cp->rows = gp_xstrdup(PQgetvalue(r, 0, 5));
    PQclear(r);
    if (!gp_audit_checkpoint_sign(cp, key)) {
        GP_LOG_BUG("cannot sign an audit checkpoint (not a private Ed25519 key?)");
        gp_audit_checkpoint_clear(cp);
        return GP_QS_HARD_ERROR;
    }
    return GP_QS_ONE_RESULT;
}

enum gp_qs gp_audit_checkpoint_store(struct gp_db_conn *c, const struct gp_audit_checkpoint *cp)
{
    char id[24], seq[24], from[24];
    snprintf(id, sizeof id, "%lld", (long long)cp->last_id);
    snprintf(seq, sizeof seq, "%lld", (long long)cp->last_seq);
    snprintf(from, sizeof from, "%lld", (long long)cp->from_seq);
    const char *p[9] = {id,
                        seq,
                        cp->chain_hash,
                        from,
                        cp->rows ? cp->rows : "",
                        cp->rows_sha256,
                        cp->signed_at,
                        cp->public_key,
                        cp->signature};
    return gp_db_exec(c, &stmt_checkpoint_insert, 9, p, NULL);
}

/* ---- the check ---- */

struct checkpoints {
    size_t n, cap;
    struct gp_audit_checkpoint *v;
};

static void checkpoints_push(struct checkpoints *l, struct gp_audit_checkpoint *cp)
{
    if (l->n == l->cap) {
        l->cap = l->cap ? 2 * l->cap : 16;
        l->v = gp_xrealloc(l->v, l->cap * sizeof *l->v);
    }
    l->v[l->n++] = *cp; /* takes cp->rows */
    memset(cp, 0, sizeof *cp);
}

static void checkpoints_free(struct checkpoints *l)
{
    for (size_t i = 0; i < l->n; i++)
        gp_audit_checkpoint_clear(&l->v[i]);
    free(l->v);
    memset(l, 0, sizeof *l);
}

/* Reads the checkpoint file: one JSON checkpoint per line; a malformed line counts as invalid. */
static bool read_file(const char *path, bool required, struct checkpoints *l, int *invalid,
                      char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        if (errno == ENOENT && !required)
            return true;
        snprintf(err, errlen, "cannot read the checkpoint file %s: %s", path, strerror(errno));
        if (required)
            return false;
        GP_LOG_WARN("audit check: %s; checking without it", err);
        err[0] = '\0';
        return true;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t n;
    while ((n = getline(&line, &cap, f)) > 0) {
        if (line[n - 1] == '\n')
            line[--n] = '\0';
        if (n == 0)
            continue;
        struct gp_audit_checkpoint cp;
        char why[128];
        if (gp_audit_checkpoint_from_json(line, &cp, why, sizeof why))
            checkpoints_push(l, &cp);
        else
            (*invalid)++;
    }
    free(line);
    fclose(f);
    return true;
}

struct check_call {
    const struct gp_audit_check_opts *o;
    struct checkpoints file; /* read before the transaction */
    struct gp_audit_report *r;
    int64_t sealed_through;
};

/* Notes a break at id (the smallest one wins). */
static void note_break(struct gp_audit_report *r, int64_t id, const char *problem)
{
    if (id <= 0 || (r->first_broken_id && r->first_broken_id <= id))
        return;
    r->first_broken_id = id;
    snprintf(r->problem, sizeof r->problem, "%s", problem);
}

/* The next "id:hash" item of a rows list, advancing *p; false at the end. */
static bool next_item(const char **p, int64_t *id, char hash[17])
{
    if (!**p)
        return false;
    char *end = NULL;
    *id = strtoll(*p, &end, 10);
    const char *h = end && *end == ':' ? end + 1 : "";
    size_t k = strcspn(h, ",");
    snprintf(hash, 17, "%.*s", (int)(k < 16 ? k : 16), h);
    *p = h[k] == ',' ? h + k + 1 : h + k;
    return true;
}

/* Compares a valid checkpoint with the chain's own entries for its range. */
static enum gp_qs check_one(struct gp_db_conn *c, const struct gp_audit_checkpoint *cp,
                            struct check_call *call)
{
    struct gp_audit_report *r = call->r;
    char from[24], to[24];
    snprintf(from, sizeof from, "%lld", (long long)cp->from_seq);
    snprintf(to, sizeof to, "%lld", (long long)cp->last_seq);
    const char *p[2] = {from, to};
    PGresult *res = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_check_range, 2, p, &res);
    if (qs < 0)
        return qs;
    const char *ours = PQgetvalue(res, 0, 0), *end_hash = PQgetvalue(res, 0, 1);
    if (!strcmp(ours, cp->rows) && !strcmp(end_hash, cp->chain_hash)) {
        r->checkpoints.matched++;
        if (cp->last_id >= r->checkpoints.last_id) {
            r->checkpoints.last_id = cp->last_id;
            snprintf(r->checkpoints.last_at, sizeof r->checkpoints.last_at, "%s", cp->signed_at);
        }
        PQclear(res);
        return GP_QS_ONE_RESULT;
    }
    r->checkpoints.mismatched++;
    /* Walk both lists to the first difference: the signed one is what was there. */
    const char *a = cp->rows, *b = ours;
    int64_t ida = 0, idb = 0;
    char ha[17], hb[17];
    char problem[256];
    for (;;) {
        bool more_a = next_item(&a, &ida, ha), more_b = next_item(&b, &idb, hb);
        if (!more_a && !more_b) {
            /* Same rows, another end hash: the entry at last_seq itself was replaced. */
            snprintf(problem, sizeof problem, "differs from the checkpoint signed at %s",
                     cp->signed_at);
            note_break(r, cp->last_id, problem);
            break;
        }
        if (more_a && (!more_b || ida < idb)) {
            snprintf(problem, sizeof problem,
                     "row missing (in the chain the checkpoint signed at %s covers)",
                     cp->signed_at);
            note_break(r, ida, problem);
            break;
        }
        if (more_b && (!more_a || idb < ida)) {
            snprintf(problem, sizeof problem,
                     "row not in the chain the checkpoint signed at %s covers", cp->signed_at);
            note_break(r, idb, problem);
            break;
        }
        if (strcmp(ha, hb) != 0) {
            snprintf(problem, sizeof problem,
                     "rewritten (its hash differs from the checkpoint signed at %s)",
                     cp->signed_at);
            note_break(r, ida, problem);
            break;
        }
    }
    PQclear(res);
    return GP_QS_ONE_RESULT;
}

static void load_db_checkpoint(const PGresult *res, int i, struct gp_audit_checkpoint *cp)
{
    memset(cp, 0, sizeof *cp);
    cp->last_id = i64(res, i, 0);
    cp->last_seq = i64(res, i, 1);
    snprintf(cp->chain_hash, sizeof cp->chain_hash, "%s", PQgetvalue(res, i, 2));
    cp->from_seq = i64(res, i, 3);
    cp->rows = gp_xstrdup(PQgetvalue(res, i, 4));
    snprintf(cp->rows_sha256, sizeof cp->rows_sha256, "%s", PQgetvalue(res, i, 5));
    snprintf(cp->signed_at, sizeof cp->signed_at, "%s", PQgetvalue(res, i, 6));
    snprintf(cp->public_key, sizeof cp->public_key, "%s", PQgetvalue(res, i, 7));
    snprintf(cp->signature, sizeof cp->signature, "%s", PQgetvalue(res, i, 8));
}

static bool same_checkpoint(const struct gp_audit_checkpoint *a,
                            const struct gp_audit_checkpoint *b)
{
    return !strcmp(a->signature, b->signature) && !strcmp(a->public_key, b->public_key);
}

static void check_checkpoint(struct gp_db_conn *c, struct gp_audit_checkpoint *cp,
                             struct check_call *call, enum gp_qs *qs)
{
    struct gp_audit_report *r = call->r;
    switch (gp_audit_checkpoint_check(cp, call->o->key)) {
    case GP_CHECKPOINT_VALID:
        if (*qs >= 0)
            *qs = check_one(c, cp, call);
        break;
    case GP_CHECKPOINT_OTHER_KEY:
        r->checkpoints.other_key++;
        break;
    case GP_CHECKPOINT_BAD_SIGNATURE:
    case GP_CHECKPOINT_BAD_ROWS:
        r->checkpoints.invalid++;
        break;
    }
}

static enum gp_qs run_check(struct gp_db_conn *c, void *cls)
{
    struct check_call *call = cls;
    struct gp_audit_report *r = call->r;
    /* Reset: a retried transaction starts over (the file's findings stay). */
    int file_invalid = r->checkpoints.invalid;
    bool key = r->checkpoints.key;
    char public_key[65];
    snprintf(public_key, sizeof public_key, "%s", r->checkpoints.public_key);
    memset(r, 0, sizeof *r);
    r->checkpoints.invalid = file_invalid;
    r->checkpoints.key = key;
    snprintf(r->checkpoints.public_key, sizeof r->checkpoints.public_key, "%s", public_key);

    /* The head first: it fixes the snapshot that everything below reads. */
    PGresult *res = NULL;
    enum gp_qs qs = gp_db_exec(c, &stmt_check_head, 0, NULL, &res);
    if (qs < 0)
        return qs;
    if (qs == GP_QS_ONE_RESULT) {
        r->last_id = i64(res, 0, 0);
        r->last_seq = i64(res, 0, 1);
        snprintf(r->last_hash, sizeof r->last_hash, "%s", PQgetvalue(res, 0, 2));
        call->sealed_through = i64(res, 0, 3);
    }
    PQclear(res);
    res = NULL;

    static const struct gp_stmt stmt_verify = {"audit_check_verify",
                                               "SELECT bad_id, problem FROM audit_verify()"};
    qs = gp_db_exec(c, &stmt_verify, 0, NULL, &res);
    if (qs < 0)
        return qs;
    if (qs == GP_QS_ONE_RESULT)
        note_break(r, i64(res, 0, 0), PQgetvalue(res, 0, 1));
    PQclear(res);
    res = NULL;

    char through[24];
    snprintf(through, sizeof through, "%lld", (long long)call->sealed_through);
    const char *tp[1] = {through};
    qs = gp_db_exec(c, &stmt_check_tail, 1, tp, &res);
    if (qs < 0)
        return qs;
    r->unsealed.count = i64(res, 0, 0);
    snprintf(r->unsealed.oldest_at, sizeof r->unsealed.oldest_at, "%s", PQgetvalue(res, 0, 1));
    r->unsealed.oldest_age_ms = i64(res, 0, 2);
    r->unsealed.overdue = r->unsealed.count > 0 && call->o->max_delay_ms > 0 &&
                          r->unsealed.oldest_age_ms > call->o->max_delay_ms;
    PQclear(res);
    res = NULL;

    r->checkpoints.from_file = (int)call->file.n;
    if (call->o->key) {
        qs = gp_db_exec(c, &stmt_check_checkpoints, 0, NULL, &res);
        if (qs < 0)
            return qs;
        int n = qs;
        r->checkpoints.from_db = n;
        struct checkpoints db = {0};
        for (int i = 0; i < n; i++) {
            struct gp_audit_checkpoint cp;
            load_db_checkpoint(res, i, &cp);
            checkpoints_push(&db, &cp);
        }
        PQclear(res);
        res = NULL;
        for (size_t i = 0; i < db.n && qs >= 0; i++)
            check_checkpoint(c, &db.v[i], call, &qs);
        /* The file's copies of checkpoints checked already (from the database, or twice in the
         * file) count once. */
        for (size_t i = 0; i < call->file.n && qs >= 0; i++) {
            bool dup = false;
            for (size_t j = 0; j < db.n && !dup; j++)
                dup = same_checkpoint(&db.v[j], &call->file.v[i]);
            for (size_t j = 0; j < i && !dup; j++)
                dup = same_checkpoint(&call->file.v[j], &call->file.v[i]);
            if (!dup)
                check_checkpoint(c, &call->file.v[i], call, &qs);
        }
        checkpoints_free(&db);
        if (qs < 0)
            return qs;
    }

    r->intact = r->first_broken_id == 0;
    r->intact_up_to = r->last_id;
    if (!r->intact) {
        char bad[24];
        snprintf(bad, sizeof bad, "%lld", (long long)r->first_broken_id);
        const char *bp[1] = {bad};
        qs = gp_db_exec(c, &stmt_check_before, 1, bp, &res);
        if (qs < 0)
            return qs;
        r->intact_up_to = i64(res, 0, 0);
        if (r->intact_up_to > r->last_id)
            r->intact_up_to = r->last_id;
        PQclear(res);
    }
    return GP_QS_ONE_RESULT;
}

enum gp_audit_verify_rc gp_audit_check(struct gp_db_pool *pool, const struct gp_audit_check_opts *o,
                                       struct gp_audit_report *r, char *err, size_t errlen)
{
    struct check_call call = {.o = o, .r = r};
    memset(r, 0, sizeof *r);
    if (err && errlen)
        err[0] = '\0';
    if (o->key) {
        r->checkpoints.key = true;
        gp_audit_key_public_hex(o->key, r->checkpoints.public_key);
        if (o->checkpoint_file && !read_file(o->checkpoint_file, o->file_required, &call.file,
                                             &r->checkpoints.invalid, err, errlen)) {
            checkpoints_free(&call.file);
            return GP_AUDIT_VERIFY_DB_ERROR;
        }
    }
    enum gp_qs qs = gp_db_tx(pool, "audit_check", GP_DB_REPEATABLE_READ, run_check, &call);
    checkpoints_free(&call.file);
    if (qs < 0) {
        if (err && errlen)
            snprintf(err, errlen, "the database is unavailable");
        return GP_AUDIT_VERIFY_DB_ERROR;
    }
    return r->intact ? GP_AUDIT_INTACT : GP_AUDIT_BROKEN;
}

static json_t *string_or_null(const char *s)
{
    return s && s[0] ? json_string(s) : json_null();
}

static json_t *positive_or_null(int64_t v)
{
    return v > 0 ? json_integer(v) : json_null();
}

json_t *gp_audit_report_json(const struct gp_audit_report *r, int max_delay_ms)
{
    char now[32];
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(now, sizeof now, "%Y-%m-%dT%H:%M:%SZ", &tm);
    json_t *o = json_pack("{s:b, s:I, s:s, s:s}", "intact", r->intact, "last_id",
                          (json_int_t)r->last_id, "last_hash", r->last_hash, "checked_at", now);
    json_object_set_new(o, "first_broken_id", positive_or_null(r->first_broken_id));
    json_object_set_new(o, "problem", string_or_null(r->problem));
    json_object_set_new(o, "intact_up_to", json_integer(r->intact_up_to));
    json_object_set_new(o, "last_seq", json_integer(r->last_seq));
    json_t *cp =
        json_pack("{s:b, s:o, s:i, s:i, s:i, s:i, s:i, s:i, s:o, s:o}", "checked",
                  r->checkpoints.key, "public_key", string_or_null(r->checkpoints.public_key),
                  "in_database", r->checkpoints.from_db, "in_file", r->checkpoints.from_file,
                  "matched", r->checkpoints.matched, "mismatched", r->checkpoints.mismatched,
                  "invalid", r->checkpoints.invalid, "other_key", r->checkpoints.other_key,
                  "last_id", positive_or_null(r->checkpoints.last_id), "last_at",
                  string_or_null(r->checkpoints.last_at));
    json_object_set_new(o, "checkpoints", cp);
    json_t *tail =
        json_pack("{s:I, s:o, s:o, s:i, s:b}", "count", (json_int_t)r->unsealed.count, "oldest_at",
                  string_or_null(r->unsealed.oldest_at), "oldest_age_ms",
                  r->unsealed.count ? json_integer(r->unsealed.oldest_age_ms) : json_null(),
                  "promised_delay_ms", max_delay_ms, "overdue", r->unsealed.overdue);
    json_object_set_new(o, "unsealed", tail);
    return o;
}
