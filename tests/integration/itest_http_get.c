/* lib/federation/http_get with a blocking perform, as the sync fetches its export pages: against
 * a loopback server of a few lines that answers by path. The fan-out engine's use of the same
 * getter (a multi handle) is tested by itest_federate.
 *
 * Checks an answer's status, content type and body, the handle kept with its connection from
 * one URL to the next, what counts as an answer (HTTP status) and what not, both kinds of
 * too-large body, refused connections, the time limit (and which limit the text names), the
 * cancel flag, the Accept and User-Agent headers, and that an error text never holds a CPR. */
#include "gptest.h"
#include "lib/federation/http_get.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define CAP 1024 /* the tests' body limit */

/* ---- the server: one thread per connection, requests answered by path -------------------- */

static int listener, port;
static pthread_t acceptor;
static atomic_bool stopping;
static atomic_int connections, open_connections;
static pthread_mutex_t seen_mu = PTHREAD_MUTEX_INITIALIZER;
static char seen[2048]; /* the head of the last request */

static void send_all(int fd, const char *s, size_t n)
{
    while (n > 0) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        if (k <= 0)
            return;
        s += k, n -= (size_t)k;
    }
}

/* Waits until fd has something to read (true) or the server stops (false). */
static bool readable(int fd)
{
    struct pollfd p = {.fd = fd, .events = POLLIN};
    while (!atomic_load(&stopping)) {
        if (poll(&p, 1, 50) > 0)
            return true;
    }
    return false;
}

/* Answers one request; false when the connection is to close. */
static bool answer(int fd, const char *path)
{
    char head[320]; /* the longest path the client sends (255) and the status line */
    if (!strcmp(path, "/ok")) {
        const char *r = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\n"
                        "Content-Length: 11\r\n\r\n{\"ok\":true}";
        send_all(fd, r, strlen(r));
        return true;
    }
    if (!strcmp(path, "/empty")) {
        const char *r = "HTTP/1.1 204 No Content\r\n\r\n";
        send_all(fd, r, strlen(r));
        return true;
    }
    if (!strcmp(path, "/404") || !strcmp(path, "/503")) {
        snprintf(head, sizeof head, "HTTP/1.1 %.3s Status\r\nContent-Length: 2\r\n\r\n{}",
                 path + 1);
        send_all(fd, head, strlen(head));
        return true;
    }
    if (!strcmp(path, "/declared")) { /* a Content-Length over the cap: refused unread */
        snprintf(head, sizeof head, "HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n", CAP * 4);
        send_all(fd, head, strlen(head));
        return false;
    }
    if (!strcmp(path, "/streamed")) { /* no length: only the byte count can stop it */
        const char *r = "HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n";
        send_all(fd, r, strlen(r));
        char chunk[512];
        memset(chunk, 'x', sizeof chunk);
        for (int i = 0; i < 16; i++)
            send_all(fd, chunk, sizeof chunk);
        return false;
    }
    if (!strcmp(path, "/hang")) { /* never answers: waits for the client to give up */
        char c;
        while (readable(fd) && recv(fd, &c, 1, 0) > 0) {
        }
        return false;
    }
    const char *r = "HTTP/1.1 500 Unknown path\r\nContent-Length: 0\r\n\r\n";
    send_all(fd, r, strlen(r));
    return true;
}

static void *serve_connection(void *cls)
{
    int fd = (int)(intptr_t)cls;
    char req[2048] = "";
    size_t len = 0;
    for (;;) {
        char *end = NULL;
        while (!(end = strstr(req, "\r\n\r\n"))) {
            ssize_t k = len < sizeof req - 1 && readable(fd)
                            ? recv(fd, req + len, sizeof req - 1 - len, 0)
                            : 0;
            if (k <= 0)
                goto done;
            len += (size_t)k;
            req[len] = '\0';
        }
        *end = '\0';
        pthread_mutex_lock(&seen_mu);
        snprintf(seen, sizeof seen, "%s", req);
        pthread_mutex_unlock(&seen_mu);
        char path[256] = "";
        sscanf(req, "GET %255s", path);
        char *query = strchr(path, '?');
        if (query)
            *query = '\0';
        size_t used = (size_t)(end + 4 - req);
        memmove(req, req + used, len - used + 1);
        len -= used;
        if (!answer(fd, path))
            break;
    }
done:
    close(fd);
    atomic_fetch_sub(&open_connections, 1);
    return NULL;
}

static void *accept_main(void *cls)
{
    (void)cls;
    while (readable(listener)) {
        int fd = accept(listener, NULL, NULL);
        if (fd < 0)
            continue;
        atomic_fetch_add(&connections, 1);
        atomic_fetch_add(&open_connections, 1);
        pthread_t t;
        if (pthread_create(&t, NULL, serve_connection, (void *)(intptr_t)fd) != 0) {
            close(fd);
            atomic_fetch_sub(&open_connections, 1);
            continue;
        }
        pthread_detach(t);
    }
    return NULL;
}

static void server_up(void)
{
    atomic_store(&stopping, false);
    atomic_store(&connections, 0);
    atomic_store(&open_connections, 0);
    listener = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(listener, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t alen = sizeof a;
    ck_assert_int_eq(bind(listener, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(listen(listener, 16), 0);
    ck_assert_int_eq(getsockname(listener, (struct sockaddr *)&a, &alen), 0);
    port = ntohs(a.sin_port);
    ck_assert_int_eq(pthread_create(&acceptor, NULL, accept_main, NULL), 0);
    ck_assert(gp_http_global_init());
}

static void server_down(void)
{
    gp_http_global_cleanup();
    atomic_store(&stopping, true);
    pthread_join(acceptor, NULL);
    close(listener);
    for (int i = 0; i < 200 && atomic_load(&open_connections) > 0; i++) {
        struct timespec ts = {0, 10 * 1000000L};
        nanosleep(&ts, NULL);
    }
}

/* ---- helpers ------------------------------------------------------------------------------ */

static double now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec * 1000.0 + (double)ts.tv_nsec / 1e6;
}

static void url_of(char *out, size_t len, const char *path)
{
    snprintf(out, len, "http://127.0.0.1:%d%s", port, path);
}

/* A getter set up for path with the tests' cap and a time limit. */
static void setup(struct gp_http_get *g, const char *path, long limit_ms, const atomic_bool *cancel)
{
    char url[128];
    url_of(url, sizeof url, path);
    struct gp_http_get_opts o = {.url = url,
                                 .accept = "application/x-test",
                                 .user_agent = "itest-http-get",
                                 .limit_ms = limit_ms,
                                 .max_body = CAP,
                                 .cancel = cancel,
                                 .terms = {.timeout_ms = limit_ms}};
    memset(g, 0, sizeof *g);
    ck_assert_msg(gp_http_get_setup(g, NULL, &o), "%s", g->error);
}

/* Aims g at path and performs. */
static enum gp_fetch_status get(struct gp_http_get *g, const char *path)
{
    char url[128];
    url_of(url, sizeof url, path);
    gp_http_get_url(g, url, 2000, CAP);
    return gp_http_get_perform(g);
}

/* ---- tests -------------------------------------------------------------------------------- */

START_TEST(answers_on_one_kept_connection)
{
    struct gp_http_get g;
    setup(&g, "/ok", 2000, NULL);
    ck_assert_int_eq(gp_http_get_perform(&g), GP_FETCH_OK);
    ck_assert(g.answered);
    ck_assert_int_eq(g.http_status, 200);
    ck_assert_str_eq(g.content_type, "application/json");
    ck_assert_str_eq(g.error, "");
    ck_assert_uint_eq(g.body.len, 11);
    ck_assert_str_eq(g.body.data, "{\"ok\":true}");
    pthread_mutex_lock(&seen_mu);
    ck_assert_msg(strstr(seen, "\r\nAccept: application/x-test"), "%s", seen);
    ck_assert_msg(strstr(seen, "\r\nUser-Agent: itest-http-get"), "%s", seen);
    pthread_mutex_unlock(&seen_mu);

    /* An empty answer is still a string; the last body is gone. */
    ck_assert_int_eq(get(&g, "/empty"), GP_FETCH_OK);
    ck_assert_uint_eq(g.body.len, 0);
    ck_assert_str_eq(g.body.data, "");

    /* A status other than 2xx is an answer, but not OK... */
    ck_assert_int_eq(get(&g, "/503"), GP_FETCH_ERROR);
    ck_assert(g.answered);
    ck_assert_int_eq(g.http_status, 503);
    ck_assert_str_eq(g.error, "HTTP 503");
    ck_assert_int_eq(get(&g, "/404"), GP_FETCH_ERROR);
    ck_assert_str_eq(g.error, "HTTP 404");
    /* ...unless a 404 is the system's way of answering. */
    g.terms.not_found_is_answer = true;
    ck_assert_int_eq(get(&g, "/404"), GP_FETCH_OK);
    ck_assert_str_eq(g.body.data, "{}");
    ck_assert_int_eq(get(&g, "/ok"), GP_FETCH_OK);

    int accepted = atomic_load(&connections);
    ck_assert_int_eq(accepted, 1);
    gp_http_get_free(&g);
    ck_assert_ptr_null(g.easy);
    gp_http_get_free(&g); /* idempotent */
}
END_TEST

START_TEST(too_large_bodies_are_cut_off)
{
    struct gp_http_get g;
    setup(&g, "/declared", 2000, NULL);
    ck_assert_int_eq(gp_http_get_perform(&g), GP_FETCH_ERROR);
    ck_assert(g.too_large);
    ck_assert(!g.answered);
    ck_assert_str_eq(g.error, "response too large (over 1024 bytes)");

    ck_assert_int_eq(get(&g, "/streamed"), GP_FETCH_ERROR);
    ck_assert(g.too_large);
    ck_assert_uint_le(g.body.len, CAP);
    ck_assert_str_eq(g.error, "response too large (over 1024 bytes)");

    /* The pages of one answer share a limit: the text names it, not what was left of it. */
    g.terms.body_limit = 4096;
    ck_assert_int_eq(get(&g, "/streamed"), GP_FETCH_ERROR);
    ck_assert_str_eq(g.error, "response too large (over 4096 bytes)");

    /* The handle is reusable after a cut-off transfer. */
    ck_assert_int_eq(get(&g, "/ok"), GP_FETCH_OK);
    ck_assert(!g.too_large);
    gp_http_get_free(&g);
}
END_TEST

START_TEST(refused_and_timed_out_are_no_answer)
{
    int closed = gpt_free_port();
    char url[128];
    snprintf(url, sizeof url, "http://127.0.0.1:%d/0101011234", closed);
    struct gp_http_get g;
    setup(&g, "/ok", 2000, NULL);
    gp_http_get_url(&g, url, 2000, CAP);
    ck_assert_int_eq(gp_http_get_perform(&g), GP_FETCH_UNAVAILABLE);
    ck_assert(!g.answered);
    ck_assert_int_eq(g.http_status, 0);
    ck_assert_str_eq(g.error, "connection refused");

    /* The time limit: the request's own... */
    url_of(url, sizeof url, "/hang");
    g.terms.timeout_ms = 300;
    gp_http_get_url(&g, url, 300, CAP);
    double t0 = now_ms();
    ck_assert_int_eq(gp_http_get_perform(&g), GP_FETCH_TIMEOUT);
    double took = now_ms() - t0;
    ck_assert_msg(took >= 250 && took < 1500, "took %.0f ms", took);
    ck_assert(!g.answered);
    ck_assert_str_eq(g.error, "timed out after 300 ms");
    /* ...or a deadline's, named as such. */
    g.terms.deadline_bound = true;
    g.terms.deadline_ms = 900;
    gp_http_get_url(&g, url, 200, CAP);
    ck_assert_int_eq(gp_http_get_perform(&g), GP_FETCH_TIMEOUT);
    ck_assert_str_eq(g.error, "deadline passed after 900 ms");
    gp_http_get_free(&g);
}
END_TEST

/* curl's own texts may quote the URL (here its scheme); the getter's never carry a CPR on. */
START_TEST(error_texts_mask_the_cpr)
{
    struct gp_http_get g;
    setup(&g, "/ok", 2000, NULL);
    gp_http_get_url(&g, "x0101011234://127.0.0.1/", 2000, CAP);
    ck_assert_int_eq(gp_http_get_perform(&g), GP_FETCH_ERROR);
    ck_assert_msg(strstr(g.error, "x010101xxxx"), "%s", g.error);
    gp_http_get_free(&g);
}
END_TEST

static void *cancel_later(void *cls)
{
    struct timespec ts = {0, 200 * 1000000L};
    nanosleep(&ts, NULL);
    atomic_store((atomic_bool *)cls, true);
    return NULL;
}

START_TEST(cancel_cuts_a_transfer_short)
{
    atomic_bool cancel;
    atomic_init(&cancel, false);
    struct gp_http_get g;
    setup(&g, "/hang", 10000, &cancel);
    pthread_t t;
    ck_assert_int_eq(pthread_create(&t, NULL, cancel_later, &cancel), 0);
    double t0 = now_ms();
    ck_assert_int_eq(gp_http_get_perform(&g), GP_FETCH_ERROR);
    double took = now_ms() - t0;
    pthread_join(t, NULL);
    ck_assert_msg(took < 3000, "took %.0f ms", took);
    ck_assert(!g.answered);
    ck_assert_msg(strstr(g.error, "aborted"), "%s", g.error);
    gp_http_get_free(&g);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("http_get");
    TCase *tc = tcase_create("blocking");
    tcase_set_timeout(tc, 30);
    tcase_add_checked_fixture(tc, server_up, server_down);
    tcase_add_test(tc, answers_on_one_kept_connection);
    tcase_add_test(tc, too_large_bodies_are_cut_off);
    tcase_add_test(tc, refused_and_timed_out_are_no_answer);
    tcase_add_test(tc, error_texts_mask_the_cpr);
    tcase_add_test(tc, cancel_cuts_a_transfer_short);
    suite_add_tcase(s, tc);
    return gpt_run_suite(s);
}
