/* Configuration from the environment: defaults, valid values, and a message naming the
 * variable for every invalid one. */
#include "lib/core/config.h"
#include "lib/core/log.h"

#include <arpa/inet.h>
#include <check.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

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
    ck_assert_int_eq(c.token_ttl_days, 90);
    ck_assert_int_eq(c.oral_consent_max_days, 30);
    ck_assert_uint_eq(c.cors_origin_count, 0);
    ck_assert(!gp_config_cors_allowed(&c, "https://a.example"));
    ck_assert_ptr_null(c.migrate_database_url);
    ck_assert_int_eq(c.audit_seal_delay_ms, 1000);
    ck_assert_str_eq(c.audit_key_file, "var/audit/signing-key.pem");
    ck_assert_str_eq(c.audit_checkpoint_file, "var/audit/checkpoints.jsonl");
    ck_assert_int_eq(c.audit_checkpoint_rows, 1000);
    ck_assert_int_eq(c.audit_checkpoint_interval_s, 60);
    ck_assert_ptr_null(c.oidc.issuer);
    ck_assert_ptr_null(c.oidc_web_client_id);
    ck_assert_ptr_null(c.web_dir);
    ck_assert_int_eq(c.max_connections, 4096);
    ck_assert_int_eq(c.max_presses, 64);
    ck_assert_int_eq(c.max_connections_per_address, 128);
    ck_assert_int_eq(c.receive_timeout_ms, 10000);
    ck_assert_int_eq(c.auth_failures, 20);
    ck_assert_int_eq(c.auth_throttle_s, 60);
    ck_assert_uint_eq(c.trusted_proxy_count, 0);
    ck_assert_ptr_null(c.tls_cert);
    ck_assert_ptr_null(c.tls_key);
    ck_assert(!c.plain_http);
    gp_config_free(&c);
}
END_TEST

START_TEST(protection_values)
{
    struct gp_config c;
    char err[256];
    const char *env[] = {"GLASPLADE_MAX_CONNECTIONS=10000",
                         "GLASPLADE_MAX_CONNECTIONS_PER_ADDRESS=8",
                         "GLASPLADE_RECEIVE_TIMEOUT_MS=1500",
                         "GLASPLADE_AUTH_FAILURES=5",
                         "GLASPLADE_AUTH_THROTTLE_S=30",
                         "GLASPLADE_TRUSTED_PROXIES=10.0.0.0/8, 192.0.2.7,::1",
                         "GLASPLADE_TLS_CERT=/etc/glasplade/cert.pem",
                         "GLASPLADE_TLS_KEY=/etc/glasplade/key.pem",
                         NULL};
    ck_assert_msg(gp_config_load(&c, fake_env, env, err, sizeof err), "%s", err);
    ck_assert_int_eq(c.max_connections, 10000);
    ck_assert_int_eq(c.max_connections_per_address, 8);
    ck_assert_int_eq(c.receive_timeout_ms, 1500);
    ck_assert_int_eq(c.auth_failures, 5);
    ck_assert_int_eq(c.auth_throttle_s, 30);
    ck_assert_uint_eq(c.trusted_proxy_count, 3);
    struct gp_ipaddr a;
    ck_assert(gp_ipaddr_parse("10.9.8.7", &a));
    ck_assert(gp_config_trusted_proxy(&c, &a));
    ck_assert(gp_ipaddr_parse("192.0.2.8", &a));
    ck_assert(!gp_config_trusted_proxy(&c, &a));
    ck_assert(gp_ipaddr_parse("::1", &a));
    ck_assert(gp_config_trusted_proxy(&c, &a));
    ck_assert_str_eq(c.tls_cert, "/etc/glasplade/cert.pem");
    ck_assert_str_eq(c.tls_key, "/etc/glasplade/key.pem");
    gp_config_free(&c);
}
END_TEST

/* The peer as a server listening on "::" sees it (a socket address): an IPv4 edge arrives as
 * ::ffff:a.b.c.d, and is compared with GLASPLADE_TRUSTED_PROXIES and logged as its IPv4 address
 * (scripts/cluster's edge connects from 127.0.0.2). */
static struct gp_ipaddr mapped_peer(const char *v6)
{
    struct sockaddr_in6 sa;
    memset(&sa, 0, sizeof sa);
    sa.sin6_family = AF_INET6;
    ck_assert_int_eq(inet_pton(AF_INET6, v6, &sa.sin6_addr), 1);
    struct gp_ipaddr a;
    ck_assert(gp_ipaddr_from_sockaddr((const struct sockaddr *)&sa, &a));
    return a;
}

START_TEST(trusted_proxy_seen_as_mapped_ipv6_peer)
{
    struct gp_config c;
    char err[256];
    char text[GP_ADDR_TEXT_MAX];
    const char *env[] = {"GLASPLADE_TRUSTED_PROXIES=127.0.0.2", NULL};
    ck_assert_msg(gp_config_load(&c, fake_env, env, err, sizeof err), "%s", err);
    struct gp_ipaddr edge = mapped_peer("::ffff:127.0.0.2");
    ck_assert_int_eq(edge.family, AF_INET);
    ck_assert(gp_config_trusted_proxy(&c, &edge));
    gp_ipaddr_format(&edge, text);
    ck_assert_str_eq(text, "127.0.0.2");
    struct gp_ipaddr other = mapped_peer("::ffff:127.0.0.1");
    ck_assert(!gp_config_trusted_proxy(&c, &other));
    gp_ipaddr_format(&other, text);
    ck_assert_str_eq(text, "127.0.0.1");
    struct gp_ipaddr v6 = mapped_peer("::1");
    ck_assert_int_eq(v6.family, AF_INET6);
    ck_assert(!gp_config_trusted_proxy(&c, &v6));
    gp_config_free(&c);

    /* Listed in its mapped form, the proxy matches the IPv4 peer of an IPv4 socket too. */
    const char *mapped[] = {"GLASPLADE_TRUSTED_PROXIES=::ffff:127.0.0.2", NULL};
    ck_assert_msg(gp_config_load(&c, fake_env, mapped, err, sizeof err), "%s", err);
    struct sockaddr_in sa4;
    memset(&sa4, 0, sizeof sa4);
    sa4.sin_family = AF_INET;
    ck_assert_int_eq(inet_pton(AF_INET, "127.0.0.2", &sa4.sin_addr), 1);
    struct gp_ipaddr a4;
    ck_assert(gp_ipaddr_from_sockaddr((const struct sockaddr *)&sa4, &a4));
    ck_assert(gp_config_trusted_proxy(&c, &a4));
    ck_assert(gp_config_trusted_proxy(&c, &edge));
    gp_config_free(&c);
}
END_TEST

/* Plain HTTP on an address other than loopback needs TLS or an explicit GLASPLADE_PLAIN_HTTP. */
START_TEST(plain_http_only_on_loopback_unless_told)
{
    static const struct {
        const char *env[3];
        bool ok;
    } cases[] = {
        {{NULL}, true},
        {{"GLASPLADE_LISTEN=127.0.0.5", NULL}, true},
        {{"GLASPLADE_LISTEN=::1", NULL}, true},
        {{"GLASPLADE_LISTEN=0.0.0.0", NULL}, false},
        {{"GLASPLADE_LISTEN=::", NULL}, false},
        {{"GLASPLADE_LISTEN=10.1.2.3", NULL}, false},
        {{"GLASPLADE_LISTEN=0.0.0.0", "GLASPLADE_PLAIN_HTTP=1"}, true},
        {{"GLASPLADE_LISTEN=0.0.0.0", "GLASPLADE_PLAIN_HTTP=0"}, false},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        struct gp_config c;
        char err[512] = "";
        ck_assert(gp_config_load(&c, fake_env, (void *)cases[i].env, err, sizeof err));
        bool ok = gp_config_check_listen(&c, err, sizeof err);
        ck_assert_msg(ok == cases[i].ok, "case %zu: %s", i, err);
        if (!ok) {
            ck_assert_ptr_nonnull(strstr(err, "GLASPLADE_TLS_CERT"));
            ck_assert_ptr_nonnull(strstr(err, "GLASPLADE_PLAIN_HTTP=1"));
        }
        gp_config_free(&c);
    }
    /* With a certificate, any address. */
    const char *tls[] = {"GLASPLADE_LISTEN=0.0.0.0", "GLASPLADE_TLS_CERT=/c.pem",
                         "GLASPLADE_TLS_KEY=/k.pem", NULL};
    struct gp_config c;
    char err[512];
    ck_assert(gp_config_load(&c, fake_env, tls, err, sizeof err));
    ck_assert(gp_config_check_listen(&c, err, sizeof err));
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
                         "GLASPLADE_MIGRATE_DATABASE_URL=postgresql://owner@h:5/d",
                         "GLASPLADE_AUDIT_SEAL_DELAY_MS=250",
                         "GLASPLADE_AUDIT_KEY_FILE=/etc/glasplade/audit.pem",
                         "GLASPLADE_AUDIT_CHECKPOINT_FILE=/srv/audit/cp.jsonl",
                         "GLASPLADE_AUDIT_CHECKPOINT_ROWS=1",
                         "GLASPLADE_AUDIT_CHECKPOINT_INTERVAL_S=86400",
                         "GLASPLADE_TOKEN_TTL_DAYS=7",
                         "GLASPLADE_ORAL_CONSENT_MAX_DAYS=14",
                         "GLASPLADE_OIDC_ISSUER=http://127.0.0.1:9000/oidc",
                         "GLASPLADE_OIDC_AUDIENCE=glasplade",
                         "GLASPLADE_OIDC_WEB_CLIENT_ID=glasplade-web",
                         "GLASPLADE_WEB_DIR=/srv/web",
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
    ck_assert_int_eq(c.token_ttl_days, 7);
    ck_assert_int_eq(c.oral_consent_max_days, 14);
    ck_assert_uint_eq(c.cors_origin_count, 2);
    ck_assert(gp_config_cors_allowed(&c, "http://localhost:5173"));
    ck_assert(gp_config_cors_allowed(&c, "https://a.example"));
    ck_assert(!gp_config_cors_allowed(&c, "https://a.example.evil"));
    ck_assert(!gp_config_cors_allowed(&c, NULL));
    ck_assert_str_eq(c.migrate_database_url, "postgresql://owner@h:5/d");
    ck_assert_int_eq(c.audit_seal_delay_ms, 250);
    ck_assert_str_eq(c.audit_key_file, "/etc/glasplade/audit.pem");
    ck_assert_str_eq(c.audit_checkpoint_file, "/srv/audit/cp.jsonl");
    ck_assert_int_eq(c.audit_checkpoint_rows, 1);
    ck_assert_int_eq(c.audit_checkpoint_interval_s, 86400);
    ck_assert_str_eq(c.oidc.issuer, "http://127.0.0.1:9000/oidc");
    ck_assert_str_eq(c.oidc_web_client_id, "glasplade-web");
    ck_assert_str_eq(c.web_dir, "/srv/web");
    gp_config_free(&c);
    gp_config_free(&c); /* idempotent */
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
    {"GLASPLADE_AUDIT_SEAL_DELAY_MS=99", "GLASPLADE_AUDIT_SEAL_DELAY_MS"},
    {"GLASPLADE_AUDIT_SEAL_DELAY_MS=60001", "GLASPLADE_AUDIT_SEAL_DELAY_MS"},
    {"GLASPLADE_AUDIT_CHECKPOINT_ROWS=0", "GLASPLADE_AUDIT_CHECKPOINT_ROWS"},
    {"GLASPLADE_AUDIT_CHECKPOINT_INTERVAL_S=0", "GLASPLADE_AUDIT_CHECKPOINT_INTERVAL_S"},
    {"GLASPLADE_TOKEN_TTL_DAYS=0", "GLASPLADE_TOKEN_TTL_DAYS"},
    {"GLASPLADE_TOKEN_TTL_DAYS=3651", "GLASPLADE_TOKEN_TTL_DAYS"},
    {"GLASPLADE_ORAL_CONSENT_MAX_DAYS=0", "GLASPLADE_ORAL_CONSENT_MAX_DAYS"},
    {"GLASPLADE_ORAL_CONSENT_MAX_DAYS=366", "GLASPLADE_ORAL_CONSENT_MAX_DAYS"},
    {"GLASPLADE_OIDC_ISSUER=http://idp.example", "GLASPLADE_OIDC_ISSUER"},
    {"GLASPLADE_OIDC_ISSUER=http://127.0.0.1.evil.example", "GLASPLADE_OIDC_ISSUER"},
    {"GLASPLADE_OIDC_ISSUER=https://idp.example; script-src *", "GLASPLADE_OIDC_ISSUER"},
    {"GLASPLADE_OIDC_ISSUER=idp.example", "GLASPLADE_OIDC_ISSUER"},
    {"GLASPLADE_MAX_CONNECTIONS=15", "GLASPLADE_MAX_CONNECTIONS"},
    {"GLASPLADE_MAX_CONNECTIONS=65537", "GLASPLADE_MAX_CONNECTIONS"},
    {"GLASPLADE_MAX_PRESSES=0", "GLASPLADE_MAX_PRESSES"},
    {"GLASPLADE_MAX_CONNECTIONS_PER_ADDRESS=0", "GLASPLADE_MAX_CONNECTIONS_PER_ADDRESS"},
    {"GLASPLADE_RECEIVE_TIMEOUT_MS=99", "GLASPLADE_RECEIVE_TIMEOUT_MS"},
    {"GLASPLADE_AUTH_FAILURES=0", "GLASPLADE_AUTH_FAILURES"},
    {"GLASPLADE_AUTH_THROTTLE_S=86401", "GLASPLADE_AUTH_THROTTLE_S"},
    {"GLASPLADE_TRUSTED_PROXIES=proxy.example", "GLASPLADE_TRUSTED_PROXIES"},
    {"GLASPLADE_TRUSTED_PROXIES=10.0.0.0/33", "GLASPLADE_TRUSTED_PROXIES"},
    {"GLASPLADE_TLS_CERT=/c.pem", "GLASPLADE_TLS_KEY"},
    {"GLASPLADE_TLS_KEY=/k.pem", "GLASPLADE_TLS_CERT"},
    {"GLASPLADE_PLAIN_HTTP=yes please", "GLASPLADE_PLAIN_HTTP"},
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
    tcase_add_test(tc, protection_values);
    tcase_add_test(tc, trusted_proxy_seen_as_mapped_ipv6_peer);
    tcase_add_test(tc, plain_http_only_on_loopback_unless_told);
    tcase_add_loop_test(tc, invalid_values_name_the_variable, 0,
                        (int)(sizeof invalid / sizeof invalid[0]));
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
