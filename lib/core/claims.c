#include "lib/core/claims.h"

#include "lib/core/cpr.h"
#include "lib/core/purpose.h"

#include <stdio.h>
#include <string.h>

bool gp_claims_map_parse(const char *text, size_t len, struct gp_claims_map *out, char *err,
                         size_t errlen)
{
    memset(out, 0, sizeof *out);
    json_error_t je;
    json_t *doc = json_loadb(text, len, JSON_REJECT_DUPLICATES, &je);
    if (!doc) {
        snprintf(err, errlen, "not JSON (line %d: %s)", je.line, je.text);
        return false;
    }
    bool ok = false;
    if (!json_is_array(doc) || json_array_size(doc) == 0) {
        snprintf(err, errlen, "must be a non-empty JSON array of rows");
        goto done;
    }
    if (json_array_size(doc) > GP_CLAIMS_MAX_ROWS) {
        snprintf(err, errlen, "has more than %d rows", GP_CLAIMS_MAX_ROWS);
        goto done;
    }
    size_t i;
    json_t *row;
    json_array_foreach(doc, i, row)
    {
        struct gp_claims_row *r = &out->rows[i];
        const char *match = json_string_value(json_object_get(row, "match"));
        json_t *role = json_object_get(row, "role");
        json_t *dept = json_object_get(row, "department");
        json_t *purpose = json_object_get(row, "default_purpose");
        const char *key;
        json_t *v;
        json_object_foreach(row, key, v)
        {
            if (strcmp(key, "match") && strcmp(key, "role") && strcmp(key, "department") &&
                strcmp(key, "default_purpose") && strcmp(key, "comment")) {
                snprintf(err, errlen, "row %zu: unknown member \"%.40s\"", i + 1, key);
                goto done;
            }
        }
        if (!match || !*match || strlen(match) >= sizeof r->match) {
            snprintf(err, errlen, "row %zu: \"match\" must be a string of 1-255 characters", i + 1);
            goto done;
        }
        snprintf(r->match, sizeof r->match, "%s", match);
        if (role) {
            const char *s = json_string_value(role);
            r->role = gp_role_parse(s);
            if (r->role == GP_ROLE_NONE || r->role == GP_ROLE_CITIZEN) {
                snprintf(err, errlen,
                         "row %zu: \"role\" must be caseworker, coordinator, analyst, auditor "
                         "or admin (a citizen is known by the CPR claim)",
                         i + 1);
                goto done;
            }
        }
        if (dept) {
            const char *s = json_string_value(dept);
            if (!s || !*s || strlen(s) >= sizeof r->department) {
                snprintf(err, errlen, "row %zu: \"department\" must be a department id", i + 1);
                goto done;
            }
            snprintf(r->department, sizeof r->department, "%s", s);
        }
        if (purpose) {
            const char *s = json_string_value(purpose);
            if (!gp_purpose_find(s)) {
                snprintf(err, errlen,
                         "row %zu: \"default_purpose\" must be one of rehabilitation, "
                         "coordinated_effort, target_group_identification, own_case",
                         i + 1);
                goto done;
            }
            snprintf(r->purpose, sizeof r->purpose, "%s", s);
        }
        if (r->role == GP_ROLE_NONE && !r->department[0]) {
            snprintf(err, errlen, "row %zu: gives neither a role nor a department", i + 1);
            goto done;
        }
        if (r->role != GP_ROLE_NONE && r->department[0] && !gp_role_needs_department(r->role)) {
            snprintf(err, errlen, "row %zu: role %s has no department", i + 1,
                     gp_role_name(r->role));
            goto done;
        }
        out->n++;
    }
    ok = true;
done:
    json_decref(doc);
    if (!ok)
        memset(out, 0, sizeof *out);
    return ok;
}

const json_t *gp_claims_get(const json_t *claims, const char *path)
{
    if (!path || !*path)
        return NULL;
    const json_t *cur = claims;
    /* A claim whose own name contains dots (a URI, as NemLog-in's) is looked up whole first. */
    const json_t *whole = json_object_get(claims, path);
    if (whole)
        return whole;
    char part[256];
    const char *p = path;
    while (cur && *p) {
        size_t n = strcspn(p, ".");
        if (n == 0 || n >= sizeof part)
            return NULL;
        memcpy(part, p, n);
        part[n] = '\0';
        cur = json_object_get(cur, part);
        p += n;
        if (*p == '.')
            p++;
    }
    return cur;
}

/* Whether claim (a string, or an array of strings) holds value. */
static bool claim_has(const json_t *claim, const char *value)
{
    if (json_is_string(claim))
        return !strcmp(json_string_value(claim), value);
    size_t i;
    const json_t *v;
    json_array_foreach(claim, i, v)
    {
        if (json_is_string(v) && !strcmp(json_string_value(v), value))
            return true;
    }
    return false;
}

/* Cuts a string that snprintf may have cut inside a UTF-8 sequence back to the last whole
 * character (the database refuses invalid UTF-8). */
static void utf8_trim(char *s)
{
    size_t n = strlen(s), i = n;
    while (i > 0 && ((unsigned char)s[i - 1] & 0xC0) == 0x80)
        i--;
    if (i == 0)
        return;
    unsigned char lead = (unsigned char)s[i - 1];
    size_t want = lead >= 0xF0 ? 4 : lead >= 0xE0 ? 3 : lead >= 0xC0 ? 2 : 1;
    if (n - (i - 1) < want)
        s[i - 1] = '\0';
}

static const char *string_claim(const json_t *claims, const char *name)
{
    return json_string_value(gp_claims_get(claims, name));
}

enum gp_claims_rc gp_claims_to_person(const struct gp_claims_config *cfg, const json_t *claims,
                                      struct gp_person *out, char *why, size_t whylen)
{
    memset(out, 0, sizeof *out);
    why[0] = '\0';
    const char *sub = string_claim(claims, "sub");
    if (!sub || !*sub || strlen(sub) >= sizeof out->subject) {
        snprintf(why, whylen, "the token names no subject (sub)");
        return GP_CLAIMS_NO_SUBJECT;
    }
    snprintf(out->subject, sizeof out->subject, "%s", sub);
    const char *name = string_claim(claims, cfg->name_claim);
    if (!name || !*name)
        name = string_claim(claims, "preferred_username");
    snprintf(out->name, sizeof out->name, "%s", name && *name ? name : sub);
    utf8_trim(out->name);
    const char *app = string_claim(claims, "azp");
    if (!app)
        app = string_claim(claims, "client_id");
    snprintf(out->client_app, sizeof out->client_app, "%s", app ? app : "");
    utf8_trim(out->client_app);

    const json_t *cpr_claim =
        cfg->cpr_claim && *cfg->cpr_claim ? gp_claims_get(claims, cfg->cpr_claim) : NULL;
    if (cpr_claim) {
        const char *s = json_string_value(cpr_claim);
        struct gp_cpr cpr;
        if (!s || gp_cpr_parse(s, strlen(s), &cpr) != GP_CPR_OK) {
            snprintf(why, whylen, "the token's %s claim is not a valid CPR number", cfg->cpr_claim);
            return GP_CLAIMS_BAD_CPR;
        }
        out->role = GP_ROLE_CITIZEN;
        snprintf(out->cpr, sizeof out->cpr, "%s", cpr.digits);
        return GP_CLAIMS_OK;
    }

    const json_t *roles = gp_claims_get(claims, cfg->roles_claim);
    const json_t *dept = cfg->department_claim && *cfg->department_claim
                             ? gp_claims_get(claims, cfg->department_claim)
                             : NULL;
    const struct gp_claims_row *decided = NULL;
    for (size_t i = 0; cfg->map && i < cfg->map->n && !decided; i++) {
        const struct gp_claims_row *r = &cfg->map->rows[i];
        if (r->role != GP_ROLE_NONE && (claim_has(roles, r->match) || claim_has(dept, r->match)))
            decided = r;
    }
    if (!decided) {
        snprintf(why, whylen,
                 "no row of the role mapping matches the token's %s claim: the person has no "
                 "role in Glasplade",
                 cfg->roles_claim && *cfg->roles_claim ? cfg->roles_claim : "roles");
        return GP_CLAIMS_UNMAPPED;
    }
    out->role = decided->role;
    snprintf(out->default_purpose, sizeof out->default_purpose, "%s", decided->purpose);
    if (gp_role_needs_department(out->role)) {
        const char *d = decided->department[0] ? decided->department : NULL;
        for (size_t i = 0; !d && i < cfg->map->n; i++) {
            const struct gp_claims_row *r = &cfg->map->rows[i];
            if (r->role == GP_ROLE_NONE &&
                (claim_has(roles, r->match) || claim_has(dept, r->match)))
                d = r->department;
        }
        if (!d)
            d = json_string_value(dept);
        if (!d || !*d || strlen(d) >= sizeof out->department) {
            snprintf(why, whylen, "role %s needs a department, and the token gives none",
                     gp_role_name(out->role));
            return GP_CLAIMS_NO_DEPARTMENT;
        }
        snprintf(out->department, sizeof out->department, "%s", d);
    }
    const char *purpose = string_claim(claims, cfg->purpose_claim);
    if (purpose) {
        if (!gp_purpose_find(purpose)) {
            snprintf(why, whylen, "the token's %s claim is not a purpose of the vocabulary",
                     cfg->purpose_claim);
            return GP_CLAIMS_BAD_PURPOSE;
        }
        snprintf(out->default_purpose, sizeof out->default_purpose, "%s", purpose);
    }
    return GP_CLAIMS_OK;
}
