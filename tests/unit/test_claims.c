/* lib/core/claims: a token's claims to a Glasplade caller by configuration — a plain OpenID
 * provider's groups claim with separate role and department groups, Entra ID's roles claim
 * with one app role per role and department, a nested claim, the citizen's CPR claim, and
 * every way a token can fail to name a caller. */
#include "lib/core/claims.h"

#include <check.h>
#include <string.h>

/* The README's two examples, as one table. */
static const char table[] =
    "["
    "{\"match\":\"glasplade-sagsbehandler\",\"role\":\"caseworker\","
    " \"default_purpose\":\"rehabilitation\"},"
    "{\"match\":\"glasplade-koordinator\",\"role\":\"coordinator\","
    " \"default_purpose\":\"coordinated_effort\"},"
    "{\"match\":\"glasplade-analytiker\",\"role\":\"analyst\"},"
    "{\"match\":\"afd-jobcenter\",\"department\":\"job_centre\"},"
    "{\"match\":\"afd-social\",\"department\":\"social_services\"},"
    "{\"match\":\"Glasplade.Caseworker.Family\",\"role\":\"caseworker\",\"department\":\"family\","
    " \"comment\":\"an Entra ID app role\"},"
    "{\"match\":\"Glasplade.Auditor\",\"role\":\"auditor\"}"
    "]";

static struct gp_claims_map map;

static enum gp_claims_rc person(const char *roles_claim, const char *json, struct gp_person *p,
                                char *why)
{
    struct gp_claims_config cfg = {roles_claim, "department", "glasplade_purpose",
                                   "name",      "cpr",        &map};
    json_t *claims = json_loads(json, 0, NULL);
    ck_assert_ptr_nonnull(claims);
    enum gp_claims_rc rc = gp_claims_to_person(&cfg, claims, p, why, 256);
    json_decref(claims);
    return rc;
}

static void setup(void)
{
    char err[256];
    ck_assert_msg(gp_claims_map_parse(table, strlen(table), &map, err, sizeof err), "%s", err);
    ck_assert_uint_eq(map.n, 7);
}

START_TEST(plain_provider_groups)
{
    struct gp_person p;
    char why[256];
    ck_assert_int_eq(person("groups",
                            "{\"sub\":\"k1\",\"name\":\"Karen Holm\",\"azp\":\"glasplade-web\","
                            "\"groups\":[\"alle\",\"afd-jobcenter\",\"glasplade-sagsbehandler\"]}",
                            &p, why),
                     GP_CLAIMS_OK);
    ck_assert_int_eq(p.role, GP_ROLE_CASEWORKER);
    ck_assert_str_eq(p.department, "job_centre");
    ck_assert_str_eq(p.default_purpose, "rehabilitation");
    ck_assert_str_eq(p.subject, "k1");
    ck_assert_str_eq(p.name, "Karen Holm");
    ck_assert_str_eq(p.client_app, "glasplade-web");
    ck_assert_str_eq(p.cpr, "");
    /* The first row with a role decides: coordinator comes after caseworker in the table. */
    ck_assert_int_eq(
        person("groups",
               "{\"sub\":\"k2\",\"client_id\":\"cli\",\"groups\":"
               "[\"glasplade-koordinator\",\"afd-social\",\"glasplade-sagsbehandler\"]}",
               &p, why),
        GP_CLAIMS_OK);
    ck_assert_int_eq(p.role, GP_ROLE_CASEWORKER);
    ck_assert_str_eq(p.department, "social_services");
    ck_assert_str_eq(p.name, "k2"); /* no name claim: the subject */
    ck_assert_str_eq(p.client_app, "cli");
    /* The department claim as it stands, when no row maps it; a purpose claim wins. */
    ck_assert_int_eq(person("groups",
                            "{\"sub\":\"k3\",\"groups\":\"glasplade-koordinator\","
                            "\"department\":\"region\",\"glasplade_purpose\":\"own_case\"}",
                            &p, why),
                     GP_CLAIMS_OK);
    ck_assert_int_eq(p.role, GP_ROLE_COORDINATOR);
    ck_assert_str_eq(p.department, "region");
    ck_assert_str_eq(p.default_purpose, "own_case");
    /* A role without a department needs none. */
    ck_assert_int_eq(
        person("groups", "{\"sub\":\"a\",\"groups\":[\"glasplade-analytiker\"]}", &p, why),
        GP_CLAIMS_OK);
    ck_assert_int_eq(p.role, GP_ROLE_ANALYST);
    ck_assert_str_eq(p.department, "");
}
END_TEST

START_TEST(entra_roles_and_nested_claims)
{
    struct gp_person p;
    char why[256];
    ck_assert_int_eq(person("roles",
                            "{\"sub\":\"e1\",\"azp\":\"app\",\"roles\":"
                            "[\"Glasplade.Caseworker.Family\"],\"groups\":[\"afd-jobcenter\"]}",
                            &p, why),
                     GP_CLAIMS_OK);
    ck_assert_int_eq(p.role, GP_ROLE_CASEWORKER);
    ck_assert_str_eq(p.department, "family"); /* the row's own, not a group's */
    ck_assert_str_eq(p.default_purpose, "");
    ck_assert_int_eq(person("realm_access.roles",
                            "{\"sub\":\"n\",\"realm_access\":{\"roles\":[\"Glasplade.Auditor\"]}}",
                            &p, why),
                     GP_CLAIMS_OK);
    ck_assert_int_eq(p.role, GP_ROLE_AUDITOR);
    json_t *c = json_loads("{\"a.b\":1,\"a\":{\"b\":2}}", 0, NULL);
    ck_assert_int_eq(json_integer_value(gp_claims_get(c, "a.b")), 1); /* a dotted name, whole */
    ck_assert_ptr_null(gp_claims_get(c, "a.c"));
    ck_assert_ptr_null(gp_claims_get(c, ""));
    json_decref(c);
}
END_TEST

START_TEST(citizen_by_cpr_claim)
{
    struct gp_person p;
    char why[256];
    ck_assert_int_eq(
        person("groups",
               "{\"sub\":\"c1\",\"cpr\":\"120384-9318\",\"groups\":[\"glasplade-sagsbehandler\"]}",
               &p, why),
        GP_CLAIMS_OK);
    ck_assert_int_eq(p.role, GP_ROLE_CITIZEN); /* the CPR claim decides, not the groups */
    ck_assert_str_eq(p.cpr, "1203849318");
    ck_assert_str_eq(p.department, "");
    const char *bad[] = {"{\"sub\":\"c\",\"cpr\":\"3213849318\"}", "{\"sub\":\"c\",\"cpr\":\"12\"}",
                         "{\"sub\":\"c\",\"cpr\":1203849318}", "{\"sub\":\"c\",\"cpr\":\"\"}"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_int_eq(person("groups", bad[i], &p, why), GP_CLAIMS_BAD_CPR);
        ck_assert_ptr_null(strstr(why, "3213849318")); /* the value is never repeated */
    }
}
END_TEST

START_TEST(tokens_that_name_no_caller)
{
    struct gp_person p;
    char why[256];
    ck_assert_int_eq(person("groups", "{\"groups\":[\"glasplade-analytiker\"]}", &p, why),
                     GP_CLAIMS_NO_SUBJECT);
    ck_assert_int_eq(
        person("groups", "{\"sub\":\"\",\"groups\":[\"glasplade-analytiker\"]}", &p, why),
        GP_CLAIMS_NO_SUBJECT);
    ck_assert_int_eq(
        person("groups", "{\"sub\":\"x\",\"groups\":[\"intern\",\"afd-social\"]}", &p, why),
        GP_CLAIMS_UNMAPPED);
    ck_assert(strstr(why, "groups"));
    ck_assert_int_eq(person("groups", "{\"sub\":\"x\"}", &p, why), GP_CLAIMS_UNMAPPED);
    /* Case matters: IdP names are compared exactly. */
    ck_assert_int_eq(person("roles", "{\"sub\":\"x\",\"roles\":[\"glasplade.auditor\"]}", &p, why),
                     GP_CLAIMS_UNMAPPED);
    ck_assert_int_eq(
        person("groups", "{\"sub\":\"x\",\"groups\":[\"glasplade-sagsbehandler\"]}", &p, why),
        GP_CLAIMS_NO_DEPARTMENT);
    ck_assert_int_eq(person("groups",
                            "{\"sub\":\"x\",\"groups\":[\"glasplade-analytiker\"],"
                            "\"glasplade_purpose\":\"curiosity\"}",
                            &p, why),
                     GP_CLAIMS_BAD_PURPOSE);
}
END_TEST

START_TEST(mapping_tables_that_are_refused)
{
    static const char *const bad[] = {
        "",
        "{}",
        "[]",
        "[{\"role\":\"caseworker\"}]",
        "[{\"match\":\"x\"}]",
        "[{\"match\":\"x\",\"role\":\"citizen\"}]",
        "[{\"match\":\"x\",\"role\":\"superuser\"}]",
        "[{\"match\":\"x\",\"role\":\"analyst\",\"department\":\"region\"}]",
        "[{\"match\":\"x\",\"role\":\"analyst\",\"default_purpose\":\"fun\"}]",
        "[{\"match\":\"x\",\"department\":\"\"}]",
        "[{\"match\":\"x\",\"role\":\"analyst\",\"rolle\":\"admin\"}]",
        "[{\"match\":\"x\",\"role\":\"analyst\"},{\"match\":\"x\",\"role\":\"analyst\","
        "\"match\":\"y\"}]",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        struct gp_claims_map m;
        char err[256] = "";
        ck_assert_msg(!gp_claims_map_parse(bad[i], strlen(bad[i]), &m, err, sizeof err),
                      "accepted: %s", bad[i]);
        ck_assert(err[0]);
        ck_assert_uint_eq(m.n, 0);
    }
}
END_TEST

int main(void)
{
    Suite *s = suite_create("claims");
    TCase *tc = tcase_create("claims");
    tcase_add_unchecked_fixture(tc, setup, NULL);
    tcase_add_test(tc, plain_provider_groups);
    tcase_add_test(tc, entra_roles_and_nested_claims);
    tcase_add_test(tc, citizen_by_cpr_claim);
    tcase_add_test(tc, tokens_that_name_no_caller);
    tcase_add_test(tc, mapping_tables_that_are_refused);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_set_fork_status(sr, CK_NOFORK);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? 1 : 0;
}
