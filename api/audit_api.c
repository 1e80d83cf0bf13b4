/* The audit log over HTTP.
 *
 *   GET /v1/audit                        search (auditor): cpr, client, action,
 *                                        recorder_benefits, from, to; newest first, keyset-paged
 *                                        (limit, cursor)
 *   GET /v1/audit/verify                 check the hash chain and the signed checkpoints
 *                                        (auditor); names the first broken row, reports the
 *                                        unsealed tail
 *   GET /v1/citizens/{cpr}/access-log    the citizen's own access log: who looked at their data,
 *                                        when, why, whether an override was used, what a change
 *                                        was (op; refused; a consent that benefits its
 *                                        recorder); newest first, paged (caseworker and
 *                                        coordinator with a purpose, auditor, the citizen)
 *
 * A search and an access-log read are reads of personal data themselves: each writes its own
 * audit row (action "search" or "read") in the same transaction, after reading, so it shows
 * from the next request on. The access log holds only rows about the one citizen: the query's
 * WHERE is the whole of that guarantee (lib/audit.c). */
#include "api/citizen_common.h"
#include "api/consent_common.h"
#include "api/http.h"
#include "api/input.h"
#include "api/sharing_handlers.h"
#include "lib/core/alloc.h"
#include "lib/core/config.h"
#include "lib/core/cpr.h"
#include "lib/core/log.h"
#include "lib/sharing/audit.h"
#include "lib/sharing/audit_key.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define ACCESS_LOG_DEFAULT_LIMIT 50
#define AUDIT_DEFAULT_LIMIT      100
#define PAGE_MAX_LIMIT           500

static const char *const action_choices[] = {"read",   "consent", "block", "override",
                                             "search", "client",  NULL};

/* An integer query parameter in [min, max]; def when absent. */
static void int_param(struct gp_request *req, const char *name, long min, long max, long def,
                      long *out, struct gp_field_errors *fe)
{
    const char *s = gp_req_query(req, name);
    *out = def;
    if (!s)
        return;
    char *end = NULL;
    errno = 0;
    long v = strtol(s, &end, 10);
    if (errno || end == s || *end || s[0] < '0' || s[0] > '9' || v < min || v > max) {
        gp_field_errors_add(fe, name, "must be an integer from %ld to %ld", min, max);
        return;
    }
    *out = v;
}

/* The cursor: "a" and the id of the last row of the previous page. */
static void cursor_param(struct gp_request *req, int64_t *before, struct gp_field_errors *fe)
{
    const char *s = gp_req_query(req, "cursor");
    *before = 0;
    if (!s)
        return;
    char *end = NULL;
    errno = 0;
    long long v = s[0] == 'a' && s[1] >= '1' && s[1] <= '9' ? strtoll(s + 1, &end, 10) : 0;
    if (errno || v <= 0 || !end || *end) {
        gp_field_errors_add(fe, "cursor", "is not a cursor this server handed out");
        return;
    }
    *before = v;
}

static bool digits(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return false;
    }
    return true;
}

/* A point in time as RFC 3339 or a date: "YYYY-MM-DD" (midnight UTC) or
 * "YYYY-MM-DDTHH:MM[:SS[.ffffff]]" with "Z" or "+HH:MM"/"-HH:MM". A '+' that arrived as a
 * space (form encoding) is taken back. Writes what PostgreSQL is given into out. */
static bool timestamp_param(const char *s, char out[48])
{
    size_t n = strlen(s);
    if (n < 10 || n > 40)
        return false;
    char date[11];
    memcpy(date, s, 10);
    date[10] = '\0';
    if (!gp_date_valid(date))
        return false;
    if (n == 10) {
        snprintf(out, 48, "%sT00:00:00Z", date);
        return true;
    }
    const char *t = s + 10;
    if ((t[0] != 'T' && t[0] != 't') || strlen(t) < 7 || !digits(t + 1, 2) || t[3] != ':' ||
        !digits(t + 4, 2))
        return false;
    int hh = (t[1] - '0') * 10 + (t[2] - '0'), mm = (t[4] - '0') * 10 + (t[5] - '0');
    const char *p = t + 6;
    if (p[0] == ':') {
        if (!digits(p + 1, 2) || (p[1] - '0') * 10 + (p[2] - '0') > 59)
            return false;
        p += 3;
        if (p[0] == '.') {
            size_t f = 1;
            while (p[f] >= '0' && p[f] <= '9')
                f++;
            if (f < 2 || f > 7)
                return false;
            p += f;
        }
    }
    if (hh > 23 || mm > 59)
        return false;
    char zone[8];
    if ((p[0] == 'Z' || p[0] == 'z') && p[1] == '\0') {
        snprintf(zone, sizeof zone, "Z");
    } else if ((p[0] == '+' || p[0] == '-' || p[0] == ' ') && strlen(p) == 6 && digits(p + 1, 2) &&
               p[3] == ':' && digits(p + 4, 2) && (p[1] - '0') * 10 + (p[2] - '0') <= 23 &&
               (p[4] - '0') * 10 + (p[5] - '0') <= 59) {
        snprintf(zone, sizeof zone, "%c%.5s", p[0] == '-' ? '-' : '+', p + 1);
    } else {
        return false;
    }
    snprintf(out, 48, "%.*sT%.*s%s", 10, s, (int)(p - t - 1), t + 1, zone);
    return true;
}

static json_t *strings_json(const char (*v)[64], size_t n)
{
    json_t *a = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(a, json_string(v[i]));
    return a;
}

static json_t *audit_entry_json(const struct gp_audit_entry *e)
{
    json_t *o = json_pack("{s:I, s:s}", "id", (json_int_t)e->id, "at", e->at);
    json_object_set_new(o, "client_id", e->client_id ? json_integer(e->client_id) : json_null());
    json_object_set_new(o, "client_name", json_string(e->client_name));
    json_object_set_new(o, "subject", gp_json_string_or_null(e->subject));
    json_object_set_new(o, "client_app", gp_json_string_or_null(e->client_app));
    json_object_set_new(o, "role", json_string(e->role));
    json_object_set_new(o, "department", gp_json_string_or_null(e->department));
    json_object_set_new(o, "purpose", gp_json_string_or_null(e->purpose));
    json_object_set_new(o, "legal_basis", gp_json_string_or_null(e->legal_basis));
    json_object_set_new(o, "cpr", gp_json_string_or_null(e->cpr));
    json_object_set_new(o, "action", json_string(e->action));
    json_object_set_new(o, "route", json_string(e->route));
    json_object_set_new(o, "sources_asked", strings_json(e->sources_asked, e->n_sources_asked));
    json_object_set_new(o, "sources_answered",
                        strings_json(e->sources_answered, e->n_sources_answered));
    json_object_set_new(o, "visibility", gp_json_string_or_null(e->visibility));
    json_object_set_new(o, "override_used", json_boolean(e->override_used));
    json_object_set_new(o, "request_id", gp_json_string_or_null(e->request_id));
    json_t *details = e->details[0] ? json_loads(e->details, JSON_DECODE_ANY, NULL) : NULL;
    json_object_set_new(o, "details", details ? details : json_null());
    return o;
}

static json_t *next_cursor(int64_t last_id, bool more)
{
    if (!more)
        return json_null();
    char c[32];
    snprintf(c, sizeof c, "a%lld", (long long)last_id);
    return json_string(c);
}

/* ---- GET /v1/audit ---- */

struct search_call {
    struct gp_audit_filter filter;
    struct gp_audit_list rows;
    struct gp_audit_entry audit;
};

static enum gp_qs run_search(struct gp_db_conn *c, void *cls)
{
    struct search_call *sc = cls;
    gp_audit_list_free(&sc->rows);
    enum gp_qs qs = gp_audit_search(c, &sc->filter, &sc->rows);
    if (qs < 0)
        return qs;
    return gp_audit_append(c, &sc->audit, NULL);
}

void gp_handle_audit_search(struct gp_request *req)
{
    struct gp_field_errors fe = {0};
    struct gp_cpr cpr = {0};
    bool by_cpr = false, bad_cpr = false;
    const char *s = gp_req_query(req, "cpr");
    if (s) {
        enum gp_cpr_error e = gp_cpr_parse(s, strlen(s), &cpr);
        if (e == GP_CPR_OK) {
            by_cpr = true;
        } else {
            gp_field_errors_add(&fe, "cpr", "%s", gp_cpr_error_text(e));
            bad_cpr = true;
        }
    }
    int64_t client = 0;
    if ((s = gp_req_query(req, "client"))) {
        char *end = NULL;
        errno = 0;
        long long v = strtoll(s, &end, 10);
        if (errno || end == s || *end || s[0] < '1' || s[0] > '9' || v <= 0)
            gp_field_errors_add(&fe, "client", "must be a client id (a positive integer)");
        else
            client = v;
    }
    const char *action = gp_req_query(req, "action");
    if (action) {
        bool ok = false;
        for (const char *const *a = action_choices; *a; a++)
            ok |= !strcmp(*a, action);
        if (!ok)
            gp_field_errors_add(&fe, "action",
                                "must be one of read, consent, block, override, "
                                "search, client");
    }
    bool recorder_benefits = false;
    if ((s = gp_req_query(req, "recorder_benefits"))) {
        if (!strcmp(s, "true"))
            recorder_benefits = true;
        else
            gp_field_errors_add(&fe, "recorder_benefits",
                                "must be true (the consents that benefit their recorder)");
    }
    char from[48] = "", to[48] = "";
    if ((s = gp_req_query(req, "from")) && !timestamp_param(s, from))
        gp_field_errors_add(&fe, "from",
                            "must be a date YYYY-MM-DD or an RFC 3339 time such as "
                            "2026-11-25T08:00:00Z");
    if ((s = gp_req_query(req, "to")) && !timestamp_param(s, to))
        gp_field_errors_add(&fe, "to",
                            "must be a date YYYY-MM-DD or an RFC 3339 time such as "
                            "2026-11-25T08:00:00Z");
    long limit;
    int64_t before;
    int_param(req, "limit", 1, PAGE_MAX_LIMIT, AUDIT_DEFAULT_LIMIT, &limit, &fe);
    cursor_param(req, &before, &fe);
    if (gp_field_errors_count(&fe)) {
        gp_reply_field_errors(req,
                              bad_cpr && gp_field_errors_count(&fe) == 1 ? GP_E_INVALID_CPR
                                                                         : GP_E_INVALID_PARAMETER,
                              &fe);
        return;
    }

    struct search_call *sc = gp_xcalloc(1, sizeof *sc);
    sc->filter = (struct gp_audit_filter){.cpr = by_cpr ? cpr.digits : NULL,
                                          .client_id = client,
                                          .action = action,
                                          .recorder_benefits = recorder_benefits,
                                          .from = from,
                                          .to = to,
                                          .before_id = before,
                                          .limit = (int)limit + 1}; /* one more: is there more? */
    gp_citizen_audit_entry(req, by_cpr ? cpr.digits : "", &sc->audit);
    snprintf(sc->audit.action, sizeof sc->audit.action, "search");
    json_t *criteria = json_object();
    if (by_cpr)
        json_object_set_new(criteria, "cpr", json_string(cpr.digits));
    if (client)
        json_object_set_new(criteria, "client", json_integer(client));
    if (action)
        json_object_set_new(criteria, "action", json_string(action));
    if (recorder_benefits)
        json_object_set_new(criteria, "recorder_benefits", json_true());
    if (from[0])
        json_object_set_new(criteria, "from", json_string(from));
    if (to[0])
        json_object_set_new(criteria, "to", json_string(to));
    if (before)
        json_object_set_new(criteria, "before_id", json_integer(before));
    gp_audit_set_details(&sc->audit,
                         json_pack("{s:s, s:o}", "op", "audit_search", "criteria", criteria));

    enum gp_qs qs =
        gp_db_tx(req->server->pool, "audit_search", GP_DB_READ_COMMITTED, run_search, sc);
    if (qs < 0) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
    } else {
        bool more = sc->rows.n > (size_t)limit;
        size_t n = more ? (size_t)limit : sc->rows.n;
        json_t *list = json_array();
        for (size_t i = 0; i < n; i++)
            json_array_append_new(list, audit_entry_json(&sc->rows.items[i]));
        gp_reply_json(req, 200,
                      json_pack("{s:o, s:o}", "entries", list, "next_cursor",
                                next_cursor(n ? sc->rows.items[n - 1].id : 0, more)));
    }
    gp_audit_list_free(&sc->rows);
    free(sc);
}

/* ---- GET /v1/audit/verify ---- */

void gp_handle_audit_verify(struct gp_request *req)
{
    const struct gp_config *cfg = req->server->cfg;
    char err[512];
    /* The key is read per check: a key made or replaced while the server runs counts at once. */
    struct gp_audit_key *key = gp_audit_key_for_verify(cfg->audit_key_file, NULL, err, sizeof err);
    if (!key && err[0])
        GP_LOG_WARN("audit verify: the checkpoints are not checked: %s", err);
    struct gp_audit_check_opts o = {.key = key,
                                    .checkpoint_file = cfg->audit_checkpoint_file,
                                    .max_delay_ms = cfg->audit_seal_delay_ms};
    struct gp_audit_report r;
    enum gp_audit_verify_rc rc = gp_audit_check(req->server->pool, &o, &r, err, sizeof err);
    gp_audit_key_free(key);
    if (rc == GP_AUDIT_VERIFY_DB_ERROR) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
        return;
    }
    gp_reply_json(req, 200, gp_audit_report_json(&r, cfg->audit_seal_delay_ms));
}

/* ---- GET /v1/citizens/{cpr}/access-log ---- */

struct access_call {
    const char *cpr;
    int limit;
    int64_t before;
    struct gp_access_list rows;
    struct gp_audit_entry audit;
};

static enum gp_qs run_access(struct gp_db_conn *c, void *cls)
{
    struct access_call *ac = cls;
    gp_access_list_free(&ac->rows);
    enum gp_qs qs = gp_access_log(c, ac->cpr, ac->limit, ac->before, &ac->rows);
    if (qs < 0)
        return qs;
    return gp_audit_append(c, &ac->audit, NULL);
}

void gp_handle_access_log(struct gp_request *req)
{
    struct gp_cpr cpr;
    if (!gp_citizen_cpr_param(req, &cpr) || !gp_citizen_purpose_ok(req))
        return;
    struct gp_field_errors fe = {0};
    long limit;
    int64_t before;
    int_param(req, "limit", 1, PAGE_MAX_LIMIT, ACCESS_LOG_DEFAULT_LIMIT, &limit, &fe);
    cursor_param(req, &before, &fe);
    if (gp_field_errors_count(&fe)) {
        gp_reply_field_errors(req, GP_E_INVALID_PARAMETER, &fe);
        return;
    }
    struct access_call *ac = gp_xcalloc(1, sizeof *ac);
    ac->cpr = cpr.digits;
    ac->limit = (int)limit + 1; /* one more: is there another page? */
    ac->before = before;
    gp_citizen_audit_entry(req, cpr.digits, &ac->audit);
    snprintf(ac->audit.visibility, sizeof ac->audit.visibility, "full");
    enum gp_qs qs = gp_db_tx(req->server->pool, "access_log", GP_DB_READ_COMMITTED, run_access, ac);
    if (qs < 0) {
        gp_reply_problem(req, GP_E_DATABASE, "the database is unavailable");
    } else {
        bool more = ac->rows.n > (size_t)limit;
        size_t n = more ? (size_t)limit : ac->rows.n;
        json_t *list = json_array();
        for (size_t i = 0; i < n; i++) {
            const struct gp_access_entry *e = &ac->rows.items[i];
            json_t *o = json_pack("{s:s, s:s, s:s, s:s}", "at", e->at, "action", e->action,
                                  "client", e->client_name, "role", e->role);
            json_object_set_new(o, "department", gp_json_string_or_null(e->department));
            json_object_set_new(o, "purpose", gp_json_string_or_null(e->purpose));
            json_object_set_new(o, "legal_basis", gp_json_string_or_null(e->legal_basis));
            json_object_set_new(o, "override_used", json_boolean(e->override_used));
            json_object_set_new(o, "op", gp_json_string_or_null(e->op));
            json_object_set_new(o, "refused", json_boolean(e->refused));
            json_object_set_new(o, "recorder_benefits", json_boolean(e->recorder_benefits));
            /* Who it was, when they signed in at the identity provider, and with what. */
            json_object_set_new(o, "subject", gp_json_string_or_null(e->subject));
            json_object_set_new(o, "client_app", gp_json_string_or_null(e->client_app));
            json_array_append_new(list, o);
        }
        gp_reply_json(req, 200,
                      json_pack("{s:s, s:o, s:o}", "cpr", cpr.digits, "entries", list,
                                "next_cursor",
                                next_cursor(n ? ac->rows.items[n - 1].id : 0, more)));
    }
    gp_access_list_free(&ac->rows);
    free(ac);
}
