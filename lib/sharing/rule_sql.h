/* How lib/sharing/rule.c runs a kind of sharing rule: the kind's statements, how a row to
 * record becomes the record statement's parameters, and how a result row becomes the kind's
 * struct. For lib/sharing only (it sees libpq); api/ knows a kind by lib/sharing/rule.h. */
#ifndef GP_RULE_SQL_H
#define GP_RULE_SQL_H

#include "lib/db/stmt.h"
#include "lib/sharing/rule.h"

#define GP_RULE_MAX_PARAMS 10

/* The record statement's parameters, all text. bind points p[] at the row's own fields where
 * it can, writes numbers into num[] and malloc'd text into owned[] (freed after the statement
 * ran). */
struct gp_rule_params {
    int n;
    const char *p[GP_RULE_MAX_PARAMS];
    char num[2][24];
    char *owned[2];
};

/* One column of a kind's result rows and the field of its struct that receives it, in the
 * order of the statements' columns. */
enum gp_rule_col_type {
    GP_RULE_TEXT,  /* char[size], truncated */
    GP_RULE_INT64, /* int64_t */
    GP_RULE_INT,   /* int */
    GP_RULE_BOOL,  /* bool, from PostgreSQL's 't' / 'f' */
    GP_RULE_STRV,  /* a JSON array of strings into char[max][size], its count into a size_t */
};
struct gp_rule_col {
    enum gp_rule_col_type type;
    size_t at;   /* offsetof the field */
    size_t size; /* GP_RULE_TEXT: the field's; GP_RULE_STRV: one element's */
    size_t n_at; /* GP_RULE_STRV: offsetof the count */
    size_t max;  /* GP_RULE_STRV: elements */
};
#define GP_RULE_FIELD_SIZE(T, f) sizeof(((T *)0)->f)
#define GP_RULE_COL_TEXT(T, f)                                                                     \
    {                                                                                              \
        GP_RULE_TEXT, offsetof(T, f), GP_RULE_FIELD_SIZE(T, f), 0, 0                               \
    }
#define GP_RULE_COL_INT64(T, f)                                                                    \
    {                                                                                              \
        GP_RULE_INT64, offsetof(T, f), 0, 0, 0                                                     \
    }
#define GP_RULE_COL_INT(T, f)                                                                      \
    {                                                                                              \
        GP_RULE_INT, offsetof(T, f), 0, 0, 0                                                       \
    }
#define GP_RULE_COL_BOOL(T, f)                                                                     \
    {                                                                                              \
        GP_RULE_BOOL, offsetof(T, f), 0, 0, 0                                                      \
    }
#define GP_RULE_COL_STRV(T, f, count)                                                              \
    {                                                                                              \
        GP_RULE_STRV, offsetof(T, f), GP_RULE_FIELD_SIZE(T, f[0]), offsetof(T, count),             \
            GP_RULE_FIELD_SIZE(T, f) / GP_RULE_FIELD_SIZE(T, f[0])                                 \
    }

/* A kind's statements; one whose name is NULL the kind does not have. Every statement but
 * history returns the kind's columns. */
struct gp_rule_sql {
    struct gp_stmt insert;   /* parameters from bind; RETURNING the stored row */
    struct gp_stmt list;     /* $1 cpr: every row of the citizen, newest first */
    struct gp_stmt get;      /* $1 id, $2 cpr or '' (any citizen) */
    struct gp_stmt find;     /* $1 public id (a UUID): any citizen's */
    struct gp_stmt withdraw; /* $1 id, $2 cpr or '', $3 client, $4 reason or '': only a row not
                                yet withdrawn, RETURNING it */
    struct gp_stmt history;  /* $1 cpr, $2 id: the row's events, oldest first */
    struct gp_stmt active;   /* $1 cpr, $2 date or '' (today): in force then, oldest first */
    /* The record statement's parameters for in; anything but GP_CONSENT_OK records nothing. */
    enum gp_consent_rc (*bind)(const void *in, struct gp_rule_params *p);
    const struct gp_rule_col *cols; /* the row conversion */
    size_t n_cols;
};

/* Macros that build SQL text at compile time; clang-format cannot lay them out. */
/* clang-format off */
#define GP_SQL_ISO_UTC(col) \
    "to_char(" col " AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"Z\"')"
#define GP_SQL_DATE(col) "to_char(" col ", 'YYYY-MM-DD')"

/* The statements, but insert, of a kind that is withdrawn once and keeps its history: rows in
 * table t (columns cols), events in table events with the row's id in column fk. Statement
 * names begin with name ("consent_get", "consents_for"). Withdrawal updates only a row not yet
 * withdrawn: under read committed a concurrent withdrawal makes the second update nothing,
 * and gp_rule_withdraw then reports "already withdrawn". In force on a date: not withdrawn,
 * and the date within [valid_from, valid_until]. */
#define GP_RULE_WITHDRAWABLE(name, t, cols, events, fk) \
    .list = {name "s_for", "SELECT " cols " FROM " t " WHERE cpr = $1 ORDER BY id DESC"}, \
    .get = {name "_get", \
            "SELECT " cols " FROM " t " WHERE id = $1::bigint AND ($2 = '' OR cpr = $2)"}, \
    .find = {name "_find", "SELECT " cols " FROM " t " WHERE public_id = $1::uuid"}, \
    .withdraw = {name "_withdraw", \
                 "UPDATE " t " SET withdrawn_at = now(), withdrawn_by = $3::bigint," \
                 "  withdraw_reason = nullif($4, '')" \
                 " WHERE id = $1::bigint AND ($2 = '' OR cpr = $2) AND withdrawn_at IS NULL" \
                 " RETURNING " cols}, \
    .history = {name "_history", \
                "SELECT id, " fk ", cpr, event, " GP_SQL_ISO_UTC("at") ", by_client," \
                " coalesce(reason, '')" \
                " FROM " events " WHERE cpr = $1 AND " fk " = $2::bigint ORDER BY id"}, \
    .active = {name "s_active", \
               "SELECT " cols " FROM " t \
               " WHERE cpr = $1 AND withdrawn_at IS NULL" \
               " AND valid_from <= coalesce(nullif($2, '')::date, current_date)" \
               " AND (valid_until IS NULL" \
               "      OR valid_until >= coalesce(nullif($2, '')::date, current_date))" \
               " ORDER BY id"}
/* clang-format on */

/* An id as decimal text (for a kind's bind). */
void gp_rule_id_text(char buf[24], int64_t id);

/* The return code of a failed statement, by its SQLSTATE (a bug of ours is logged). */
enum gp_consent_rc gp_rule_failure(struct gp_db_conn *c, enum gp_qs qs);

#endif
