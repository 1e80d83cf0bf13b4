#include "api/auth_oidc.h"

#include "api/http.h"
#include "lib/core/alloc.h"
#include "lib/core/claims.h"
#include "lib/core/jwt.h"
#include "lib/core/log.h"
#include "lib/federation/jwks.h"
#include "lib/sharing/identity.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

struct gp_oidc {
    const struct gp_oidc_config *cfg; /* borrowed: lives as long as the server's config */
    struct gp_claims_map map;
    struct gp_claims_config claims;
    struct gp_jwks *jwks;
};

static char *read_small_file(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return NULL;
    char *buf = gp_xmalloc(1024 * 1024 + 1);
    *len = fread(buf, 1, 1024 * 1024 + 1, f);
    fclose(f);
    if (*len > 1024 * 1024) {
        free(buf);
        return NULL;
    }
    buf[*len] = '\0';
    return buf;
}

struct gp_oidc *gp_oidc_create(const struct gp_oidc_config *cfg, char *err, size_t errlen)
{
    struct gp_oidc *o = gp_xcalloc(1, sizeof *o);
    o->cfg = cfg;
    if (cfg->role_map) {
        size_t len = 0;
        char *text = read_small_file(cfg->role_map, &len);
        char why[256];
        if (!text) {
            snprintf(err, errlen, "GLASPLADE_OIDC_ROLE_MAP: cannot read %s (at most 1 MiB)",
                     cfg->role_map);
            free(o);
            return NULL;
        }
        bool ok = gp_claims_map_parse(text, len, &o->map, why, sizeof why);
        free(text);
        if (!ok) {
            snprintf(err, errlen, "GLASPLADE_OIDC_ROLE_MAP %s: %s", cfg->role_map, why);
            free(o);
            return NULL;
        }
    }
    o->claims = (struct gp_claims_config){.roles_claim = cfg->roles_claim,
                                          .department_claim = cfg->department_claim,
                                          .purpose_claim = cfg->purpose_claim,
                                          .name_claim = cfg->name_claim,
                                          .cpr_claim = cfg->cpr_claim,
                                          .map = &o->map};
    struct gp_jwks_opts jo = {.issuer = cfg->issuer,
                              .jwks_file = cfg->jwks_file,
                              .min_refresh_s = cfg->jwks_min_refresh_s,
                              .max_age_s = cfg->jwks_max_age_s,
                              .timeout_ms = 3000};
    o->jwks = gp_jwks_create(&jo);
    char why[256];
    if (!gp_jwks_prefetch(o->jwks, why, sizeof why))
        GP_LOG_WARN("identity provider %s: %s; trying again when a token arrives", cfg->issuer,
                    why);
    GP_LOG_INFO("sign-in at %s accepted (audience %s, %zu mapping rows)", cfg->issuer,
                cfg->audience, o->map.n);
    return o;
}

void gp_oidc_destroy(struct gp_oidc *o)
{
    if (!o)
        return;
    gp_jwks_destroy(o->jwks);
    free(o);
}

/* RFC 6750 section 3: the challenge, with a description that cannot break out of its quotes. */
static void challenge(struct gp_request *req, const char *why)
{
    char desc[256], value[384];
    snprintf(desc, sizeof desc, "%s", why);
    for (char *p = desc; *p; p++) {
        if (*p == '"' || *p == '\\' || (unsigned char)*p < 0x20)
            *p = '\'';
    }
    snprintf(value, sizeof value,
             "Bearer realm=\"glasplade\", error=\"invalid_token\", error_description=\"%s\"", desc);
    gp_req_add_header(req, "WWW-Authenticate", value);
}

static bool refuse(struct gp_request *req, enum gp_error e, const char *why)
{
    challenge(req, why);
    gp_reply_problem(req, e, "%s", why);
    return false;
}

bool gp_auth_oidc(struct gp_request *req, const char *token, const char *route)
{
    struct gp_oidc *o = req->server->oidc;
    if (!o)
        return refuse(req, GP_E_UNAUTHORIZED,
                      "this server accepts no identity-provider tokens, only its own keys");
    struct gp_jwt jwt;
    enum gp_jwt_rc rc = gp_jwt_parse(token, &jwt);
    if (rc != GP_JWT_OK)
        return refuse(req, GP_E_UNAUTHORIZED, gp_jwt_rc_text(rc));
    time_t now = time(NULL);
    bool ok = false;
    struct gp_jwk_set *set = gp_jwks_get(o->jwks, jwt.kid, jwt.alg, now, NULL);
    if (!set) {
        gp_reply_problem(req, GP_E_NOT_READY,
                         "the identity provider's signing keys could not be fetched; try again");
        goto done;
    }
    const struct gp_jwk *key = gp_jwk_set_find(set, jwt.kid, jwt.alg);
    rc = key ? gp_jwt_verify(&jwt, key) : GP_JWT_UNKNOWN_KID;
    if (rc == GP_JWT_OK) {
        struct gp_jwt_expect e = {.issuer = o->cfg->issuer,
                                  .audience = o->cfg->audience,
                                  .now = now,
                                  .skew_s = o->cfg->clock_skew_s};
        rc = gp_jwt_check_claims(&jwt, &e);
    }
    if (rc != GP_JWT_OK) {
        refuse(req, GP_E_UNAUTHORIZED, gp_jwt_rc_text(rc));
        goto done;
    }
    /* Only now, with the signature and the registered claims checked, do the claims count. */
    struct gp_person person;
    char why[256];
    switch (gp_claims_to_person(&o->claims, jwt.claims, &person, why, sizeof why)) {
    case GP_CLAIMS_OK:
        break;
    case GP_CLAIMS_NO_SUBJECT:
    case GP_CLAIMS_BAD_CPR:
        refuse(req, GP_E_UNAUTHORIZED, why);
        goto done;
    default:
        refuse(req, GP_E_FORBIDDEN, why);
        goto done;
    }
    double exp = json_number_value(json_object_get(jwt.claims, "exp"));
    switch (gp_identity_client(req->server->pool, o->cfg->issuer, &person, (time_t)floor(exp),
                               route, &req->client)) {
    case GP_IDENTITY_OK:
        ok = true;
        break;
    case GP_IDENTITY_REVOKED:
        refuse(req, GP_E_UNAUTHORIZED, "this person's access to Glasplade has been revoked");
        break;
    case GP_IDENTITY_UNKNOWN_DEPARTMENT: {
        char msg[200];
        snprintf(msg, sizeof msg,
                 "the role mapping gives department %.64s, which Glasplade does "
                 "not know",
                 person.department);
        refuse(req, GP_E_FORBIDDEN, msg);
        break;
    }
    default:
        gp_reply_problem(req, GP_E_DATABASE,
                         "cannot check the person: the database is "
                         "unavailable");
        break;
    }
    snprintf(req->client.client_app, sizeof req->client.client_app, "%s", person.client_app);
done:
    gp_jwk_set_unref(set);
    gp_jwt_free(&jwt);
    return ok;
}
