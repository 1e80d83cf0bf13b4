/* Strict HTTP (api/strict.h): every framing, Host and target variant a hostile client may send,
 * and the request ids the server takes from clients. */
#include "api/strict.h"

#include <check.h>
#include <stdlib.h>
#include <string.h>

#define F(n, v)                                                                                    \
    {                                                                                              \
        .name = n, .value = v                                                                      \
    }

struct head_case {
    const char *what;
    struct gp_head_field fields[6];
    size_t n;
    bool http10, http11;
    enum gp_error error; /* GP_E_COUNT_: passes */
    bool close;
    const char *says; /* in the detail */
};

static const struct head_case heads[] = {
    {"plain GET", {F("Host", "x")}, 1, false, true, GP_E_COUNT_, false, NULL},
    {"a body with one length",
     {F("Host", "x"), F("Content-Length", "5")},
     2,
     false,
     true,
     GP_E_COUNT_,
     false,
     NULL},
    {"chunked",
     {F("Host", "x"), F("Transfer-Encoding", "chunked")},
     2,
     false,
     true,
     GP_E_COUNT_,
     false,
     NULL},
    {"chunked in capitals with spaces",
     {F("Host", "x"), F("transfer-encoding", " Chunked ")},
     2,
     false,
     true,
     GP_E_COUNT_,
     false,
     NULL},
    {"HTTP/1.0 without Host", {F("Accept", "*/*")}, 1, true, false, GP_E_COUNT_, false, NULL},
    {"two different lengths",
     {F("Host", "x"), F("Content-Length", "4"), F("Content-Length", "30")},
     3,
     false,
     true,
     GP_E_BAD_FRAMING,
     true,
     "2 Content-Length headers"},
    {"two equal lengths",
     {F("Host", "x"), F("Content-Length", "4"), F("content-length", "4")},
     3,
     false,
     true,
     GP_E_BAD_FRAMING,
     true,
     "2 Content-Length headers"},
    {"length and chunked",
     {F("Host", "x"), F("Content-Length", "4"), F("Transfer-Encoding", "chunked")},
     3,
     false,
     true,
     GP_E_BAD_FRAMING,
     true,
     "both Content-Length and Transfer-Encoding"},
    {"chunked and length",
     {F("Host", "x"), F("Transfer-Encoding", "chunked"), F("Content-Length", "4")},
     3,
     false,
     true,
     GP_E_BAD_FRAMING,
     true,
     "both Content-Length and Transfer-Encoding"},
    {"xchunked",
     {F("Host", "x"), F("Transfer-Encoding", "xchunked")},
     2,
     false,
     true,
     GP_E_BAD_FRAMING,
     true,
     "'xchunked' is not supported"},
    {"gzip, chunked",
     {F("Host", "x"), F("Transfer-Encoding", "gzip, chunked")},
     2,
     false,
     true,
     GP_E_BAD_FRAMING,
     true,
     "not supported"},
    {"chunked twice",
     {F("Host", "x"), F("Transfer-Encoding", "chunked"), F("Transfer-Encoding", "chunked")},
     3,
     false,
     true,
     GP_E_BAD_FRAMING,
     true,
     "2 Transfer-Encoding headers"},
    {"chunked in HTTP/1.0",
     {F("Transfer-Encoding", "chunked")},
     1,
     true,
     false,
     GP_E_BAD_FRAMING,
     true,
     "HTTP/1.0"},
    {"space before the colon",
     {F("Host", "x"), F("Content-Length ", "5")},
     2,
     false,
     true,
     GP_E_BAD_FRAMING,
     true,
     "contains whitespace"},
    {"tab in a name",
     {F("Host", "x"), F("Transfer-\tEncoding", "chunked")},
     2,
     false,
     true,
     GP_E_BAD_FRAMING,
     true,
     "contains whitespace"},
    {"HTTP/1.1 without Host",
     {F("Accept", "*/*")},
     1,
     false,
     true,
     GP_E_BAD_HOST,
     false,
     "must have a Host header"},
    {"two Hosts",
     {F("Host", "a"), F("Host", "b")},
     2,
     false,
     true,
     GP_E_BAD_HOST,
     false,
     "2 Host headers"},
    {"two tokens",
     {F("Host", "x"), F("Authorization", "Bearer a"), F("authorization", "Bearer b")},
     3,
     false,
     true,
     GP_E_BAD_REQUEST,
     false,
     "2 Authorization headers"},
    {"two purposes",
     {F("Host", "x"), F("X-Purpose", "own_case"), F("X-Purpose", "rehabilitation")},
     3,
     false,
     true,
     GP_E_BAD_REQUEST,
     false,
     "2 X-Purpose headers"},
};

START_TEST(head)
{
    const struct head_case *c = &heads[_i];
    struct gp_strict_problem p;
    memset(&p, 0, sizeof p);
    bool ok = gp_strict_head(c->fields, c->n, c->http10, c->http11, &p);
    if (c->error == GP_E_COUNT_) {
        ck_assert_msg(ok, "%s: refused: %s", c->what, p.detail);
        return;
    }
    ck_assert_msg(!ok, "%s: accepted", c->what);
    ck_assert_msg(p.error == c->error, "%s: error %d", c->what, (int)p.error);
    ck_assert_msg(p.close == c->close, "%s: close %d", c->what, p.close);
    ck_assert_msg(strstr(p.detail, c->says), "%s: detail '%s'", c->what, p.detail);
}
END_TEST

struct target_case {
    const char *target;
    const char *says; /* NULL: passes */
};

static const struct target_case targets[] = {
    {"/v1/citizens/0101901234", NULL},
    {"/v1/citizens/0101901234?purpose=own_case&refresh=never", NULL},
    {"/v1/audit?from=2026-01-01T00%3A00%3A00Z", NULL},
    {"/v1/x?q=a%2Fb", NULL}, /* an encoded slash in the query is data */
    {"/v1/citizens/0101901234%00abc", "path contains an encoded NUL (%00)"},
    {"/v1/citizens/0101901234?purpose=own%00case", "query contains an encoded NUL"},
    {"/v1/citizens/0101%2f901234", "encoded slash (%2f)"},
    {"/v1/citizens%2F0101901234", "encoded slash (%2F)"},
    {"/v1/citizens/..%5C..%5Cetc", "encoded backslash"},
    {"/v1/citizens/%zz", "not followed by two hexadecimal digits"},
    {"/v1/citizens/%4", "not followed by two hexadecimal digits"},
    {"/v1/citizens/a b", "space or a control character"},
    {"/v1/citizens/a\tb", "space or a control character"},
};

START_TEST(target)
{
    const struct target_case *c = &targets[_i];
    struct gp_strict_problem p;
    memset(&p, 0, sizeof p);
    bool ok = gp_strict_target(c->target, &p);
    if (!c->says) {
        ck_assert_msg(ok, "%s refused: %s", c->target, p.detail);
        return;
    }
    ck_assert_msg(!ok, "%s accepted", c->target);
    ck_assert_int_eq(p.error, GP_E_BAD_TARGET);
    ck_assert_msg(strstr(p.detail, c->says), "%s: detail '%s'", c->target, p.detail);
}
END_TEST

START_TEST(repeated_parameters)
{
    const char *none[] = {"purpose", "refresh"};
    ck_assert_ptr_null(gp_strict_repeated(none, 2));
    ck_assert_ptr_null(gp_strict_repeated(none, 0));
    const char *twice[] = {"refresh", "purpose", "limit", "purpose"};
    ck_assert_str_eq(gp_strict_repeated(twice, 4), "purpose");
}
END_TEST

START_TEST(request_ids)
{
    static const char *const ok[] = {
        "trace-42.a_b",
        "a",
        "00-4bf92f3577b34da6-01",
        "job:17/step+2=x@y",
        "123456789", /* nine digits: no CPR */
        "2026-12-01T10:00:00Z",
        "abc-123456789-abc-123456789-abc-123456789-abc-123456789-abcdefg" /* 63 */};
    static const char *const bad[] = {
        "",
        "1203849318",                                                        /* a CPR in full */
        "x-1203849318-y",                                                    /* inside */
        "120384-9318",                                                       /* with the hyphen */
        "12345678901",                                                       /* eleven digits */
        "bad id",                                                            /* space */
        "quote\"",                                                           /* quote */
        "tab\tx",                                                            /* control */
        "æøå",                                                               /* not ASCII */
        "<script>",                                                          /* not in the set */
        "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa", /* 65 */
    };
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++)
        ck_assert_msg(gp_strict_request_id(ok[i]), "'%s' refused", ok[i]);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++)
        ck_assert_msg(!gp_strict_request_id(bad[i]), "'%s' accepted", bad[i]);
    char sixty_four[65];
    memset(sixty_four, 'a', 64);
    sixty_four[64] = '\0';
    ck_assert(gp_strict_request_id(sixty_four));
}
END_TEST

int main(void)
{
    Suite *s = suite_create("strict");
    TCase *tc = tcase_create("strict");
    tcase_add_loop_test(tc, head, 0, (int)(sizeof heads / sizeof heads[0]));
    tcase_add_loop_test(tc, target, 0, (int)(sizeof targets / sizeof targets[0]));
    tcase_add_test(tc, repeated_parameters);
    tcase_add_test(tc, request_ids);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
