/* Configuration from the environment: defaults, valid values, and a message naming the
 * variable for every invalid one. */
#include "lib/core/config.h"
#include "lib/core/log.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

/* A fake environment: "NAME=value" strings. */
static const char *fake_env(const char *name, void *cls)
{
    const char *const *env = cls;
    size_t n = strlen(name);
    for (size_t i = 0; env && env[i]; i++) {
        if (!strncmp(env[i], name, n) && env[i][n] == '=')
            return env[i] + n + 1;
    }
    return NULL;
}

START_TEST(defaults)
{
    struct gp_config c;
    char err[256];
    const char *env[] = {NULL};
    ck_assert(gp_config_load(&c, fake_env, env, err, sizeof err));
    ck_assert_ptr_null(c.database_url);
    ck_assert_str_eq(c.listen, "127.0.0.1");
    ck_assert_int_eq(c.port, 8080);
    ck_assert_int_eq(c.threads, 16);
    ck_assert_int_eq(c.db_pool_size, 20);
    ck_assert_int_eq(c.request_deadline_ms, 2000);
    ck_assert_int_eq(c.log_level, GP_LOG_INFO);
    ck_assert_uint_eq(c.max_body_bytes, 1048576);
    ck_assert(!c.migrate_on_start);
    ck_assert_int_eq(c.index_ttl_s, 300);
    ck_assert_int_eq(c.index_digest_ttl_s, 3600);
    ck_assert_uint_eq(c.source_max_bytes, 4194304);
    ck_assert_int_eq(c.breaker_failures, 5);
    ck_assert_int_eq(c.breaker_open_ms, 10000);
    ck_assert_uint_eq(c.cors_origin_count, 0);
    ck_assert(!gp_config_cors_allowed(&c, "https://a.example"));
    gp_config_free(&c);
}
END_TEST

START_TEST(values)
{
    struct gp_config c;
    char err[256];
    const char *env[] = {"GLASPLADE_DATABASE_URL=postgresql://u@h:5/d",
                         "GLASPLADE_LISTEN=::1",
                         "GLASPLADE_PORT=0",
                         "GLASPLADE_THREADS=16",
                         "GLASPLADE_REQUEST_DEADLINE_MS=500",
                         "GLASPLADE_LOG_LEVEL=debug",
                         "GLASPLADE_MIGRATE_ON_START=true",
                         "GLASPLADE_CORS_ORIGINS=https://a.example, http://localhost:5173",
                         NULL};
    ck_assert_msg(gp_config_load(&c, fake_env, env, err, sizeof err), "%s", err);
    ck_assert_str_eq(c.database_url, "postgresql://u@h:5/d");
    ck_assert_str_eq(c.listen, "::1");
    ck_assert_int_eq(c.port, 0);
    ck_assert_int_eq(c.threads, 16);
    ck_assert_int_eq(c.db_pool_size, 20); /* follows the threads unless set */
    ck_assert_int_eq(c.request_deadline_ms, 500);
    ck_assert_int_eq(c.log_level, GP_LOG_DEBUG);
    ck_assert(c.migrate_on_start);
    ck_assert_uint_eq(c.cors_origin_count, 2);
    ck_assert(gp_config_cors_allowed(&c, "http://localhost:5173"));
    ck_assert(gp_config_cors_allowed(&c, "https://a.example"));
    ck_assert(!gp_config_cors_allowed(&c, "https://a.example.evil"));
    ck_assert(!gp_config_cors_allowed(&c, NULL));
    gp_config_free(&c);
    gp_config_free(&c); /* idempotent */
}
END_TEST

START_TEST(trusted_proxies)
{
    struct gp_config c;
    char err[256];
    char out[GP_CLIENT_ADDR_MAX];
    const char *none[] = {NULL};
    ck_assert(gp_config_load(&c, fake_env, none, err, sizeof err));
    ck_assert_uint_eq(c.trusted_proxy_count, 0);
    /* Nobody trusted: the header is ignored. */
    gp_config_client_addr(&c, "127.0.0.1", "203.0.113.7", out);
    ck_assert_str_eq(out, "127.0.0.1");
    gp_config_free(&c);

    const char *env[] = {"GLASPLADE_TRUSTED_PROXIES=127.0.0.2, ::0001,10.0.0.9", NULL};
    ck_assert_msg(gp_config_load(&c, fake_env, env, err, sizeof err), "%s", err);
    ck_assert_uint_eq(c.trusted_proxy_count, 3);
    ck_assert(gp_config_proxy_trusted(&c, "::1")); /* normalised */
    ck_assert(gp_config_proxy_trusted(&c, "127.0.0.2"));
    ck_assert(!gp_config_proxy_trusted(&c, "127.0.0.1"));
    ck_assert(!gp_config_proxy_trusted(&c, NULL));
    /* From the edge: the right-most address it appended. */
    gp_config_client_addr(&c, "127.0.0.2", "203.0.113.7", out);
    ck_assert_str_eq(out, "203.0.113.7");
    /* A client's own forged entries stay on the left, unread. */
    gp_config_client_addr(&c, "127.0.0.2", "198.51.100.1, 203.0.113.7", out);
    ck_assert_str_eq(out, "203.0.113.7");
    /* A chain of trusted hops is walked through. */
    gp_config_client_addr(&c, "127.0.0.2", "203.0.113.7,10.0.0.9", out);
    ck_assert_str_eq(out, "203.0.113.7");
    /* Not from a trusted peer: the header counts for nothing. */
    gp_config_client_addr(&c, "127.0.0.1", "203.0.113.7", out);
    ck_assert_str_eq(out, "127.0.0.1");
    /* No header, or garbage in it: the peer, or the last trusted hop. */
    gp_config_client_addr(&c, "127.0.0.2", NULL, out);
    ck_assert_str_eq(out, "127.0.0.2");
    gp_config_client_addr(&c, "127.0.0.2", "evil\", 10.0.0.9", out);
    ck_assert_str_eq(out, "10.0.0.9");
    gp_config_client_addr(&c, "127.0.0.2", "", out);
    ck_assert_str_eq(out, "127.0.0.2");
    /* A server on "::" sees an IPv4 edge as ::ffff:127.0.0.2. */
    gp_config_client_addr(&c, "::ffff:127.0.0.2", "203.0.113.7", out);
    ck_assert_str_eq(out, "203.0.113.7");
    gp_config_client_addr(&c, "::ffff:127.0.0.1", "203.0.113.7", out);
    ck_assert_str_eq(out, "127.0.0.1");
    gp_config_client_addr(&c, "127.0.0.2", " 2001:DB8::1 ", out);
    ck_assert_str_eq(out, "2001:db8::1");
    gp_config_free(&c);
}
END_TEST

static const char *const invalid[][2] = {
    {"GLASPLADE_PORT=-1", "GLASPLADE_PORT"},
    {"GLASPLADE_PORT=65536", "GLASPLADE_PORT"},
    {"GLASPLADE_PORT=80x", "GLASPLADE_PORT"},
    {"GLASPLADE_PORT= 80", "GLASPLADE_PORT"},
    {"GLASPLADE_THREADS=0", "GLASPLADE_THREADS"},
    {"GLASPLADE_THREADS=257", "GLASPLADE_THREADS"},
    {"GLASPLADE_DB_POOL_SIZE=0", "GLASPLADE_DB_POOL_SIZE"},
    {"GLASPLADE_DB_CONNECT_TIMEOUT=61", "GLASPLADE_DB_CONNECT_TIMEOUT"},
    {"GLASPLADE_REQUEST_DEADLINE_MS=49", "GLASPLADE_REQUEST_DEADLINE_MS"},
    {"GLASPLADE_MAX_BODY_BYTES=10", "GLASPLADE_MAX_BODY_BYTES"},
    {"GLASPLADE_SHUTDOWN_TIMEOUT_MS=-5", "GLASPLADE_SHUTDOWN_TIMEOUT_MS"},
    {"GLASPLADE_MIGRATE_ON_START=maybe", "GLASPLADE_MIGRATE_ON_START"},
    {"GLASPLADE_LOG_LEVEL=verbose", "GLASPLADE_LOG_LEVEL"},
    {"GLASPLADE_LISTEN=localhost", "GLASPLADE_LISTEN"},
    {"GLASPLADE_LISTEN=999.1.1.1", "GLASPLADE_LISTEN"},
    {"GLASPLADE_INDEX_TTL_S=86401", "GLASPLADE_INDEX_TTL_S"},
    {"GLASPLADE_INDEX_DIGEST_TTL_S=-1", "GLASPLADE_INDEX_DIGEST_TTL_S"},
    {"GLASPLADE_SOURCE_MAX_BYTES=1", "GLASPLADE_SOURCE_MAX_BYTES"},
    {"GLASPLADE_BREAKER_FAILURES=0", "GLASPLADE_BREAKER_FAILURES"},
    {"GLASPLADE_BREAKER_OPEN_MS=99", "GLASPLADE_BREAKER_OPEN_MS"},
    {"GLASPLADE_CORS_ORIGINS=example.com", "GLASPLADE_CORS_ORIGINS"},
    {"GLASPLADE_CORS_ORIGINS=https://a.example/path", "GLASPLADE_CORS_ORIGINS"},
    {"GLASPLADE_CORS_ORIGINS=https://", "GLASPLADE_CORS_ORIGINS"},
    {"GLASPLADE_TRUSTED_PROXIES=edge.local", "GLASPLADE_TRUSTED_PROXIES"},
    {"GLASPLADE_TRUSTED_PROXIES=10.0.0.0/8", "GLASPLADE_TRUSTED_PROXIES"},
};

START_TEST(invalid_values_name_the_variable)
{
    size_t i = (size_t)_i;
    struct gp_config c;
    char err[256] = "";
    const char *env[] = {invalid[i][0], NULL};
    ck_assert_msg(!gp_config_load(&c, fake_env, env, err, sizeof err), "%s accepted",
                  invalid[i][0]);
    ck_assert_msg(strstr(err, invalid[i][1]), "message '%s' does not name %s", err, invalid[i][1]);
    ck_assert_ptr_null(c.listen); /* freed on failure */
}
END_TEST

int main(void)
{
    Suite *s = suite_create("config");
    TCase *tc = tcase_create("load");
    tcase_add_test(tc, defaults);
    tcase_add_test(tc, values);
    tcase_add_test(tc, trusted_proxies);
    tcase_add_loop_test(tc, invalid_values_name_the_variable, 0,
                        (int)(sizeof invalid / sizeof invalid[0]));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
