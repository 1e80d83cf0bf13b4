/* Routing: literal and parameter segments, 404 versus 405 with Allow, and the real table. */
#include "api/handlers.h"
#include "api/router.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static void h_a(struct gp_request *r)
{
    (void)r;
}
static void h_b(struct gp_request *r)
{
    (void)r;
}

static const struct gp_route table[] = {
    {"GET", "/healthz", h_a, 0, false, NULL},
    {"GET", "/v1/citizens/{cpr}", h_a, 1, false, NULL},
    {"GET", "/v1/citizens/{cpr}/overview", h_b, 1, false, NULL},
    {"POST", "/v1/citizens/{cpr}/consents", h_b, 1, true, NULL},
    {"GET", "/v1/citizens/{cpr}/consents", h_a, 1, false, NULL},
    {"POST", "/v1/consents/{id}/withdraw", h_b, 1, false, NULL},
    {"GET", "/v1/a/{x}/b/{y}", h_a, 1, false, NULL},
    {NULL, NULL, NULL, 0, false, NULL},
};

static const struct {
    const char *method, *path;
    enum gp_route_match expect;
    int index;
    const char *allow;
} cases[] = {
    {"GET", "/healthz", GP_ROUTE_FOUND, 0, ""},
    {"GET", "/healthz/", GP_ROUTE_NOT_FOUND, -1, ""},
    {"GET", "//healthz", GP_ROUTE_NOT_FOUND, -1, ""},
    {"GET", "/health", GP_ROUTE_NOT_FOUND, -1, ""},
    {"GET", "/healthzz", GP_ROUTE_NOT_FOUND, -1, ""},
    {"GET", "", GP_ROUTE_NOT_FOUND, -1, ""},
    {"GET", "/", GP_ROUTE_NOT_FOUND, -1, ""},
    {"POST", "/healthz", GP_ROUTE_WRONG_METHOD, -1, "GET"},
    {"GET", "/v1/citizens/0101901234", GP_ROUTE_FOUND, 1, ""},
    {"GET", "/v1/citizens/", GP_ROUTE_NOT_FOUND, -1, ""},
    {"GET", "/v1/citizens", GP_ROUTE_NOT_FOUND, -1, ""},
    {"GET", "/v1/citizens/0101901234/overview", GP_ROUTE_FOUND, 2, ""},
    {"GET", "/v1/citizens/0101901234/overview/x", GP_ROUTE_NOT_FOUND, -1, ""},
    {"POST", "/v1/citizens/0101901234/consents", GP_ROUTE_FOUND, 3, ""},
    {"GET", "/v1/citizens/0101901234/consents", GP_ROUTE_FOUND, 4, ""},
    {"DELETE", "/v1/citizens/0101901234/consents", GP_ROUTE_WRONG_METHOD, -1, "POST, GET"},
    {"GET", "/v1/consents/7/withdraw", GP_ROUTE_WRONG_METHOD, -1, "POST"},
    {"GET", "/v1/a/1/b/2", GP_ROUTE_FOUND, 6, ""},
    {"GET", "/v1/a/1/b/", GP_ROUTE_NOT_FOUND, -1, ""},
    {"GET", "/v1/a//b/2", GP_ROUTE_NOT_FOUND, -1, ""},
};

START_TEST(match_table)
{
    size_t i = (size_t)_i;
    size_t index = 99;
    struct gp_path_params params;
    char allow[64];
    enum gp_route_match m = gp_router_match(table, cases[i].method, cases[i].path, &index, &params,
                                            allow, sizeof allow);
    ck_assert_msg(m == cases[i].expect, "%s %s: got %d", cases[i].method, cases[i].path, m);
    if (m == GP_ROUTE_FOUND)
        ck_assert_int_eq((int)index, cases[i].index);
    if (m == GP_ROUTE_WRONG_METHOD)
        ck_assert_str_eq(allow, cases[i].allow);
}
END_TEST

START_TEST(params_are_extracted)
{
    size_t index;
    struct gp_path_params p;
    char allow[64];
    ck_assert_int_eq(
        gp_router_match(table, "GET", "/v1/a/first/b/second", &index, &p, allow, sizeof allow),
        GP_ROUTE_FOUND);
    ck_assert_int_eq(p.n, 2);
    ck_assert_str_eq(gp_path_param(&p, "x"), "first");
    ck_assert_str_eq(gp_path_param(&p, "y"), "second");
    ck_assert_ptr_null(gp_path_param(&p, "z"));
}
END_TEST

START_TEST(overlong_param_does_not_match)
{
    char path[400] = "/v1/citizens/";
    memset(path + strlen(path), '1', GP_ROUTE_PARAM_MAX + 1);
    size_t index;
    struct gp_path_params p;
    char allow[64];
    ck_assert_int_eq(gp_router_match(table, "GET", path, &index, &p, allow, sizeof allow),
                     GP_ROUTE_NOT_FOUND);
    path[strlen("/v1/citizens/") + GP_ROUTE_PARAM_MAX] = '\0';
    ck_assert_int_eq(gp_router_match(table, "GET", path, &index, &p, allow, sizeof allow),
                     GP_ROUTE_FOUND);
    ck_assert_int_eq(strlen(gp_path_param(&p, "cpr")), GP_ROUTE_PARAM_MAX);
}
END_TEST

/* The server's own table: every route is reachable by its own method and pattern, public
 * routes are exactly the four operational ones, and no two entries collide. */
START_TEST(real_table_is_consistent)
{
    size_t n = gp_router_count(gp_routes);
    ck_assert_int_ge(n, 5);
    size_t public_routes = 0;
    for (size_t i = 0; i < n; i++) {
        char path[256];
        /* Instantiate the pattern with a value per parameter. */
        const char *p = gp_routes[i].pattern;
        size_t o = 0;
        while (*p && o < sizeof path - 16) {
            if (*p == '{') {
                o += (size_t)snprintf(path + o, sizeof path - o, "1");
                p = strchr(p, '}') + 1;
            } else {
                path[o++] = *p++;
            }
        }
        path[o] = '\0';
        size_t index;
        struct gp_path_params params;
        char allow[64];
        ck_assert_int_eq(gp_router_match(gp_routes, gp_routes[i].method, path, &index, &params,
                                         allow, sizeof allow),
                         GP_ROUTE_FOUND);
        ck_assert_msg(index == i, "route %s %s is shadowed by entry %zu", gp_routes[i].method,
                      gp_routes[i].pattern, index);
        ck_assert_ptr_nonnull(gp_routes[i].handler);
        if (!gp_routes[i].roles) {
            public_routes++;
            ck_assert_msg(!strncmp(gp_routes[i].pattern, "/healthz", 8) ||
                              !strncmp(gp_routes[i].pattern, "/readyz", 7) ||
                              !strncmp(gp_routes[i].pattern, "/metrics", 8) ||
                              !strcmp(gp_routes[i].pattern, "/v1/openapi.yaml"),
                          "%s must require a token", gp_routes[i].pattern);
        }
    }
    ck_assert_int_eq(public_routes, 4);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("router");
    TCase *tc = tcase_create("match");
    tcase_add_loop_test(tc, match_table, 0, (int)(sizeof cases / sizeof cases[0]));
    tcase_add_test(tc, params_are_extracted);
    tcase_add_test(tc, overlong_param_does_not_match);
    tcase_add_test(tc, real_table_is_consistent);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
