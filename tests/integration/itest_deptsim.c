/* deptsim over HTTP: the real binary on free loopback ports, driven with libcurl. Every
 * system's lookup and export, the export equal to the lookups, every fault switched at run
 * time through the control port (and at start through flags and environment), the counters,
 * 64 concurrent connections, masked logs and a clean shutdown. */
#include <check.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define DEPTSIM GP_BINARY_DIR "/cmd/deptsim/deptsim"
#define METTE   "1203849318"
#define UNKNOWN "0101759994"
#define CPRSYS  "urn:oid:1.2.208.176.1.2%7C"

enum { JOB, SOC, HEA, REG, FAM, CTL };
static const char *const names[] = {"jobcentre", "social", "health", "region", "family", "control"};

struct sim {
    pid_t pid;
    int base;
    char log[64];
};

static struct sim main_sim; /* shared by most tests: size 300, seed 5 */

/* ---- HTTP ------------------------------------------------------------------------------- */

struct http {
    CURLcode rc;
    long status;
    char *body;
    size_t len;
    char ctype[128];
    long long content_length;
    char retry_after[16];
    double secs;
};

static size_t on_body(char *p, size_t sz, size_t n, void *ud)
{
    struct http *h = ud;
    char *b = realloc(h->body, h->len + sz * n + 1);
    if (!b)
        return 0;
    memcpy(b + h->len, p, sz * n);
    h->body = b;
    h->len += sz * n;
    h->body[h->len] = '\0';
    return sz * n;
}

static void header_value(const char *line, size_t n, const char *name, char *out, size_t len)
{
    size_t nl = strlen(name);
    if (n <= nl || strncasecmp(line, name, nl) != 0)
        return;
    const char *v = line + nl;
    size_t vl = n - nl;
    while (vl && (*v == ' '))
        v++, vl--;
    while (vl && (v[vl - 1] == '\r' || v[vl - 1] == '\n'))
        vl--;
    snprintf(out, len, "%.*s", (int)vl, v);
}

static size_t on_header(char *p, size_t sz, size_t n, void *ud)
{
    struct http *h = ud;
    char cl[32] = "";
    header_value(p, sz * n, "Content-Type:", h->ctype, sizeof h->ctype);
    header_value(p, sz * n, "Retry-After:", h->retry_after, sizeof h->retry_after);
    header_value(p, sz * n, "Content-Length:", cl, sizeof cl);
    if (cl[0])
        h->content_length = atoll(cl);
    return sz * n;
}

static void http_on(CURL *c, const char *method, const char *url, const char *body, long timeout_ms,
                    struct http *h)
{
    memset(h, 0, sizeof *h);
    h->content_length = -1;
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT_MS, 2000L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_body);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, h);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)strlen(body));
    h->rc = curl_easy_perform(c);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);
    curl_easy_getinfo(c, CURLINFO_TOTAL_TIME, &h->secs);
}

static void http(const char *method, const char *url, const char *body, long timeout_ms,
                 struct http *h)
{
    CURL *c = curl_easy_init();
    ck_assert_ptr_nonnull(c);
    http_on(c, method, url, body, timeout_ms, h);
    curl_easy_cleanup(c);
}

static void http_free(struct http *h)
{
    free(h->body);
    h->body = NULL;
}

static void url(char *buf, size_t len, const struct sim *s, int port, const char *path)
{
    snprintf(buf, len, "http://127.0.0.1:%d%s", s->base + port, path);
}

/* GET on one of main_sim's ports; the answer must be 200 and JSON. */
static json_t *get_json(int port, const char *path)
{
    char u[512];
    struct http h;
    url(u, sizeof u, &main_sim, port, path);
    http("GET", u, NULL, 10000, &h);
    ck_assert_msg(h.rc == CURLE_OK && h.status == 200, "GET %s: %s %ld", u,
                  curl_easy_strerror(h.rc), h.status);
    json_error_t err;
    json_t *j = json_loadb(h.body, h.len, 0, &err);
    ck_assert_msg(j != NULL, "GET %s: not JSON: %s", u, err.text);
    http_free(&h);
    return j;
}

/* Control API call on sim s; the answer must have status want. */
static void control(const struct sim *s, const char *method, const char *path, const char *body,
                    long want)
{
    char u[256];
    struct http h;
    url(u, sizeof u, s, CTL, path);
    http(method, u, body, 10000, &h);
    ck_assert_msg(h.rc == CURLE_OK && h.status == want, "%s %s: %s %ld %s", method, path,
                  curl_easy_strerror(h.rc), h.status, h.body ? h.body : "");
    http_free(&h);
}

static const char *lookup_path(int sys, const char *cpr, char *buf, size_t len)
{
    switch (sys) {
    case JOB:
        snprintf(buf, len, "/momentum/api/v2/borgere/%s/forloeb", cpr);
        break;
    case SOC:
        snprintf(buf, len, "/sensum/api/Citizens/%s/Cases", cpr);
        break;
    case HEA:
        snprintf(buf, len,
                 "/fhir?_type=EpisodeOfCare,CarePlan,DocumentReference&_count=1000&"
                 "patient.identifier=%s%s",
                 CPRSYS, cpr);
        break;
    case REG:
        snprintf(buf, len,
                 "/fhir?_type=Encounter,EpisodeOfCare,DocumentReference&_count=1000&"
                 "patient.identifier=%s%s",
                 CPRSYS, cpr);
        break;
    default:
        snprintf(buf, len, "/dubu/rest/parents/%s/children-cases", cpr);
        break;
    }
    return buf;
}

/* ---- processes -------------------------------------------------------------------------- */

/* Six consecutive free ports on 127.0.0.1 (bound and released). */
static int free_base(void)
{
    srand((unsigned)(getpid() ^ time(NULL)));
    for (int attempt = 0; attempt < 200; attempt++) {
        int base = 20000 + (rand() % 4000) * 10;
        bool ok = true;
        for (int i = 0; i < 6 && ok; i++) {
            int fd = socket(AF_INET, SOCK_STREAM, 0);
            struct sockaddr_in a = {.sin_family = AF_INET,
                                    .sin_port = htons((uint16_t)(base + i)),
                                    .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
            ok = fd >= 0 && bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
            if (fd >= 0)
                close(fd);
        }
        if (ok)
            return base;
    }
    ck_abort_msg("no free ports");
    return -1;
}

/* Starts deptsim with args (NULL-terminated, after --listen/--base-port) and extra env
 * ("NAME=value", NULL-terminated or NULL); waits until every /healthz in expect_up answers. */
static void sim_start(struct sim *s, const char *const *args, const char *const *env,
                      unsigned expect_up)
{
    s->base = free_base();
    snprintf(s->log, sizeof s->log, "/tmp/deptsim-itest-XXXXXX");
    int fd = mkstemp(s->log);
    ck_assert_int_ge(fd, 0);
    char base[16];
    snprintf(base, sizeof base, "%d", s->base);
    s->pid = fork();
    ck_assert_int_ge(s->pid, 0);
    if (s->pid == 0) {
        dup2(fd, STDERR_FILENO);
        int null = open("/dev/null", O_WRONLY);
        dup2(null, STDOUT_FILENO);
        for (const char *const *e = env; e && *e; e++)
            putenv((char *)*e);
        const char *argv[32] = {DEPTSIM, "--listen", "127.0.0.1", "--base-port", base};
        int n = 5;
        for (const char *const *a = args; a && *a && n < 31; a++)
            argv[n++] = *a;
        argv[n] = NULL;
        execv(DEPTSIM, (char *const *)argv);
        _exit(127);
    }
    close(fd);
    for (int port = 0; port < 6; port++) {
        if (!(expect_up & (1u << port)))
            continue;
        char u[128];
        url(u, sizeof u, s, port, "/healthz");
        struct http h = {0};
        for (int i = 0; i < 200; i++) {
            http("GET", u, NULL, 1000, &h);
            bool up = h.rc == CURLE_OK && h.status == 200;
            http_free(&h);
            if (up)
                break;
            int st;
            ck_assert_msg(waitpid(s->pid, &st, WNOHANG) == 0, "deptsim exited; see %s", s->log);
            usleep(50000);
        }
        ck_assert_msg(h.rc == CURLE_OK && h.status == 200, "%s port never came up (%s)",
                      names[port], s->log);
    }
}

/* SIGTERM and wait; the exit status (or 128 + signal). */
static int sim_stop(struct sim *s)
{
    if (s->pid <= 0)
        return -1;
    kill(s->pid, SIGTERM);
    int st = 0;
    for (int i = 0; i < 300; i++) {
        if (waitpid(s->pid, &st, WNOHANG) == s->pid) {
            s->pid = 0;
            return WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
        }
        usleep(50000);
    }
    kill(s->pid, SIGKILL);
    waitpid(s->pid, &st, 0);
    s->pid = 0;
    return 999; /* did not stop within 15 s */
}

static void main_up(void)
{
    static const char *const args[] = {"--size", "300", "--seed", "5", NULL};
    sim_start(&main_sim, args, NULL, 0x3f);
}

/* The shared instance's exit status, checked by main() after the run: teardown runs in the
 * runner's own process, where a failed assertion would not be reported. Non-zero means an
 * unclean stop (or, under AddressSanitizer, a leak or an error; see the kept log). */
static int main_exit = -1;

static void main_down(void)
{
    main_exit = sim_stop(&main_sim);
    if (main_exit == 0)
        unlink(main_sim.log);
}

/* Before each test: no faults, zero counters. */
static void clean(void)
{
    control(&main_sim, "DELETE", "/faults", NULL, 200);
    control(&main_sim, "POST", "/stats/reset", NULL, 200);
}

/* ---- endpoints -------------------------------------------------------------------------- */

START_TEST(test_healthz_on_six_ports)
{
    for (int p = 0; p < 6; p++) {
        json_t *j = get_json(p, "/healthz");
        ck_assert_str_eq(json_string_value(json_object_get(j, "system")), names[p]);
        ck_assert_str_eq(json_string_value(json_object_get(j, "status")), "ok");
        json_decref(j);
    }
}
END_TEST

START_TEST(test_native_lookups)
{
    static const char *const ctypes[] = {
        "application/json; charset=utf-8", "application/json; charset=utf-8",
        "application/fhir+json; charset=utf-8", "application/fhir+json; charset=utf-8",
        "application/json"};
    for (int s = JOB; s <= FAM; s++) {
        char path[256], u[512];
        url(u, sizeof u, &main_sim, s, lookup_path(s, METTE, path, sizeof path));
        struct http h;
        http("GET", u, NULL, 10000, &h);
        ck_assert_int_eq(h.rc, CURLE_OK);
        ck_assert_int_eq(h.status, 200);
        ck_assert_str_eq(h.ctype, ctypes[s]);
        ck_assert_int_eq(h.content_length, (long long)h.len);
        json_error_t err;
        json_t *j = json_loadb(h.body, h.len, 0, &err);
        ck_assert_ptr_nonnull(j);
        switch (s) {
        case JOB:
            ck_assert_str_eq(
                json_string_value(json_object_get(json_object_get(j, "borger"), "cpr_nummer")),
                METTE);
            ck_assert_str_eq(json_string_value(json_object_get(
                                 json_array_get(json_object_get(j, "forloeb"), 0), "status")),
                             "aktiv");
            break;
        case SOC:
            ck_assert_str_eq(json_string_value(json_object_get(j, "CitizenCpr")), "120384-9318");
            ck_assert_str_eq(json_string_value(json_object_get(
                                 json_array_get(json_object_get(j, "Cases"), 0), "Paragraph")),
                             "SEL § 85");
            break;
        case HEA:
        case REG:
            ck_assert_str_eq(json_string_value(json_object_get(j, "resourceType")), "Bundle");
            ck_assert_str_eq(json_string_value(json_object_get(j, "type")), "searchset");
            ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), s == HEA ? 3 : 9);
            break;
        default:
            ck_assert_uint_eq(json_array_size(json_object_get(j, "children")), 2);
            break;
        }
        json_decref(j);
        http_free(&h);

        /* the unknown citizen, in each vendor's way */
        url(u, sizeof u, &main_sim, s, lookup_path(s, UNKNOWN, path, sizeof path));
        http("GET", u, NULL, 10000, &h);
        ck_assert_int_eq(h.status, s == JOB ? 404 : 200);
        j = json_loadb(h.body, h.len, 0, &err);
        ck_assert_ptr_nonnull(j);
        if (s == SOC)
            ck_assert_uint_eq(json_array_size(json_object_get(j, "Cases")), 0);
        if (s == HEA || s == REG)
            ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 0);
        if (s == FAM)
            ck_assert_uint_eq(json_array_size(json_object_get(j, "children")), 0);
        json_decref(j);
        http_free(&h);
    }
    /* single-type FHIR search; the FHIR capability statement */
    json_t *j = get_json(REG, "/fhir/Encounter?patient.identifier=" CPRSYS METTE);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "total")), 4);
    json_decref(j);
    j = get_json(HEA, "/fhir/metadata");
    ck_assert_str_eq(json_string_value(json_object_get(j, "resourceType")), "CapabilityStatement");
    json_decref(j);
}
END_TEST

/* Export pages over HTTP, concatenated, equal the lookups of every citizen the system knows. */
static json_t *export_all(int s, int page)
{
    json_t *out = json_array();
    char cursor[128] = "";
    for (int pages = 0; pages < 5000; pages++) {
        char path[512];
        switch (s) {
        case JOB:
            snprintf(path, sizeof path, "/momentum/api/v2/eksport?limit=%d%s%s", page,
                     cursor[0] ? "&cursor=" : "", cursor);
            break;
        case SOC:
            snprintf(path, sizeof path, "/sensum/api/Export?pageSize=%d%s%s", page,
                     cursor[0] ? "&continuationToken=" : "", cursor);
            break;
        case FAM:
            snprintf(path, sizeof path, "/dubu/rest/export?limit=%d%s%s", page,
                     cursor[0] ? "&after=" : "", cursor);
            break;
        default:
            snprintf(path, sizeof path, "/fhir?_type=%s&_count=%d%s%s",
                     s == HEA ? "EpisodeOfCare,CarePlan,DocumentReference"
                              : "Encounter,EpisodeOfCare,DocumentReference",
                     page, cursor[0] ? "&_cursor=" : "", cursor);
            break;
        }
        json_t *j = get_json(s, path);
        json_t *items = s == JOB   ? json_object_get(j, "borgere")
                        : s == SOC ? json_object_get(j, "Items")
                        : s == FAM ? json_object_get(j, "parents")
                                   : json_object_get(j, "entry");
        if (items)
            json_array_extend(out, items);
        json_t *next = s == JOB   ? json_object_get(j, "naeste_cursor")
                       : s == SOC ? json_object_get(j, "ContinuationToken")
                       : s == FAM ? json_object_get(j, "nextAfter")
                                  : NULL;
        cursor[0] = '\0';
        if (s == HEA || s == REG) {
            json_t *links = json_object_get(j, "link");
            if (json_array_size(links) > 1) {
                const char *u = json_string_value(json_object_get(json_array_get(links, 1), "url"));
                const char *c = strstr(u, "_cursor=");
                ck_assert_ptr_nonnull(c);
                snprintf(cursor, sizeof cursor, "%s", c + 8);
            }
        } else if (json_is_string(next)) {
            snprintf(cursor, sizeof cursor, "%s", json_string_value(next));
        } else if (json_is_integer(next)) {
            snprintf(cursor, sizeof cursor, "%lld", (long long)json_integer_value(next));
        }
        json_decref(j);
        if (!cursor[0])
            return out;
    }
    ck_abort_msg("export never ended");
    return NULL;
}

START_TEST(test_export_equals_lookups)
{
    /* The CPRs each system knows: deptsim --print-cprs with --system, same seed and size. */
    for (int s = JOB; s <= FAM; s++) {
        char cmd[512];
        snprintf(cmd, sizeof cmd, "%s --size 300 --seed 5 --print-cprs 100000 --system %s", DEPTSIM,
                 names[s]);
        FILE *p = popen(cmd, "r");
        ck_assert_ptr_nonnull(p);
        json_t *want = json_array();
        char cpr[32];
        int n = 0;
        while (fgets(cpr, sizeof cpr, p)) {
            cpr[strcspn(cpr, "\n")] = '\0';
            char path[256];
            json_t *j = get_json(s, lookup_path(s, cpr, path, sizeof path));
            if (s == HEA || s == REG)
                json_array_extend(want, json_object_get(j, "entry"));
            else
                json_array_append(want, j);
            json_decref(j);
            n++;
        }
        ck_assert_int_eq(pclose(p), 0);
        ck_assert_int_gt(n, 10);
        json_t *got = export_all(s, 13);
        ck_assert_msg(json_equal(want, got), "%s: export differs from lookups", names[s]);
        json_decref(got);
        json_decref(want);
    }
}
END_TEST

/* ---- faults ----------------------------------------------------------------------------- */

static void mette(int sys, struct http *h, long timeout_ms)
{
    char path[256], u[512];
    url(u, sizeof u, &main_sim, sys, lookup_path(sys, METTE, path, sizeof path));
    http("GET", u, NULL, timeout_ms, h);
}

START_TEST(test_fault_latency)
{
    struct http h;
    mette(JOB, &h, 5000);
    ck_assert_int_eq(h.status, 200);
    ck_assert_msg(h.secs < 0.2, "baseline %.3f s", h.secs);
    http_free(&h);
    control(&main_sim, "PUT", "/faults/jobcentre", "{\"latency_ms\":400,\"jitter_ms\":50}", 200);
    for (int i = 0; i < 3; i++) {
        mette(JOB, &h, 5000);
        ck_assert_int_eq(h.status, 200);
        ck_assert_msg(h.secs >= 0.345 && h.secs < 1.0, "latency %.3f s", h.secs);
        http_free(&h);
    }
    /* other systems are not affected; healthz never is */
    mette(SOC, &h, 5000);
    ck_assert_msg(h.secs < 0.2, "social %.3f s", h.secs);
    http_free(&h);
    char u[128];
    url(u, sizeof u, &main_sim, JOB, "/healthz");
    http("GET", u, NULL, 5000, &h);
    ck_assert_msg(h.secs < 0.2, "healthz %.3f s", h.secs);
    http_free(&h);
}
END_TEST

struct worker {
    char url[512];
    int ok;
    double secs;
};

static void *worker_run(void *arg)
{
    struct worker *w = arg;
    CURL *c = curl_easy_init();
    for (int i = 0; i < 3; i++) {
        struct http h;
        http_on(c, "GET", w->url, NULL, 10000, &h);
        w->ok += h.rc == CURLE_OK && h.status == 200 && h.len > 100;
        http_free(&h);
    }
    curl_easy_cleanup(c);
    return NULL;
}

/* 64 connections at once with 300 ms latency each: done in about 3 × 300 ms, not 64 × 3 ×. */
START_TEST(test_64_concurrent_with_latency)
{
    control(&main_sim, "PUT", "/faults/region", "{\"latency_ms\":300}", 200);
    struct worker w[64];
    pthread_t t[64];
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (int i = 0; i < 64; i++) {
        memset(&w[i], 0, sizeof w[i]);
        char path[256];
        url(w[i].url, sizeof w[i].url, &main_sim, REG, lookup_path(REG, METTE, path, sizeof path));
        ck_assert_int_eq(pthread_create(&t[i], NULL, worker_run, &w[i]), 0);
    }
    int ok = 0;
    for (int i = 0; i < 64; i++) {
        pthread_join(t[i], NULL);
        ok += w[i].ok;
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    double secs = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    ck_assert_int_eq(ok, 64 * 3);
    ck_assert_msg(secs >= 0.9 && secs < 3.0, "64 x 3 requests took %.2f s", secs);
}
END_TEST

START_TEST(test_fault_errors)
{
    control(&main_sim, "PUT", "/faults/health", "{\"error_rate\":1.0}", 200);
    for (int i = 0; i < 20; i++) {
        struct http h;
        mette(HEA, &h, 5000);
        ck_assert_msg(h.status == 500 || h.status == 503, "status %ld", h.status);
        json_error_t err;
        json_t *j = json_loadb(h.body, h.len, 0, &err);
        ck_assert_str_eq(json_string_value(json_object_get(j, "resourceType")), "OperationOutcome");
        json_decref(j);
        http_free(&h);
    }
    control(&main_sim, "PUT", "/faults/jobcentre", "{\"error_rate\":1.0,\"error_status\":503}",
            200);
    struct http h;
    mette(JOB, &h, 5000);
    ck_assert_int_eq(h.status, 503);
    ck_assert_str_eq(h.retry_after, "1");
    ck_assert_ptr_nonnull(strstr(h.body, "fejlkode"));
    http_free(&h);
    control(&main_sim, "DELETE", "/faults/jobcentre", NULL, 200);
    mette(JOB, &h, 5000);
    ck_assert_int_eq(h.status, 200);
    http_free(&h);
    json_t *st = get_json(CTL, "/stats/health");
    ck_assert_int_eq(json_integer_value(json_object_get(st, "errors_injected")), 20);
    ck_assert_int_eq(json_integer_value(json_object_get(st, "status_5xx")), 20);
    json_decref(st);
}
END_TEST

START_TEST(test_fault_hang)
{
    control(&main_sim, "PUT", "/faults/region", "{\"hang\":true}", 200);
    struct http h;
    mette(REG, &h, 800);
    ck_assert_int_eq(h.rc, CURLE_OPERATION_TIMEDOUT);
    ck_assert_msg(h.secs >= 0.75, "gave up after %.3f s", h.secs);
    ck_assert_uint_eq(h.len, 0);
    http_free(&h);
    json_t *st = get_json(CTL, "/stats/region");
    ck_assert_int_eq(json_integer_value(json_object_get(st, "hangs")), 1);
    json_decref(st);
    control(&main_sim, "DELETE", "/faults/region", NULL, 200);
    mette(REG, &h, 2000);
    ck_assert_int_eq(h.status, 200);
    http_free(&h);
    /* the hanging thread notices the clear and lets go */
    for (int i = 0; i < 40; i++) {
        st = get_json(CTL, "/stats/region");
        json_int_t inflight = json_integer_value(json_object_get(st, "in_flight"));
        json_decref(st);
        if (inflight == 0)
            return;
        usleep(50000);
    }
    ck_abort_msg("the hung request is still in flight after the fault was cleared");
}
END_TEST

START_TEST(test_fault_refuse)
{
    /* an established keep-alive connection must not survive the refusal either */
    CURL *c = curl_easy_init();
    char path[256], u[512];
    url(u, sizeof u, &main_sim, SOC, lookup_path(SOC, METTE, path, sizeof path));
    struct http h;
    http_on(c, "GET", u, NULL, 5000, &h);
    ck_assert_int_eq(h.status, 200);
    http_free(&h);
    control(&main_sim, "PUT", "/faults/social", "{\"refuse\":true}", 200);
    http_on(c, "GET", u, NULL, 5000, &h);
    ck_assert_msg(h.rc == CURLE_COULDNT_CONNECT, "%s", curl_easy_strerror(h.rc));
    http_free(&h);
    char hz[128];
    url(hz, sizeof hz, &main_sim, SOC, "/healthz");
    http("GET", hz, NULL, 2000, &h);
    ck_assert_int_eq(h.rc, CURLE_COULDNT_CONNECT);
    http_free(&h);
    /* the others stay up */
    mette(FAM, &h, 2000);
    ck_assert_int_eq(h.status, 200);
    http_free(&h);
    control(&main_sim, "DELETE", "/faults/social", NULL, 200);
    http_on(c, "GET", u, NULL, 5000, &h);
    ck_assert_int_eq(h.rc, CURLE_OK);
    ck_assert_int_eq(h.status, 200);
    http_free(&h);
    curl_easy_cleanup(c);
}
END_TEST

START_TEST(test_fault_malformed)
{
    control(&main_sim, "PUT", "/faults/family", "{\"malformed\":true}", 200);
    struct http h;
    mette(FAM, &h, 5000);
    ck_assert_int_eq(h.rc, CURLE_OK);
    ck_assert_int_eq(h.status, 200);
    ck_assert_int_eq(h.content_length, (long long)h.len);
    json_error_t err;
    ck_assert_ptr_null(json_loadb(h.body, h.len, 0, &err));
    http_free(&h);
}
END_TEST

START_TEST(test_fault_truncate)
{
    struct http full, h;
    mette(HEA, &full, 5000);
    control(&main_sim, "PUT", "/faults/health", "{\"truncate\":true}", 200);
    mette(HEA, &h, 5000);
    ck_assert_int_eq(h.rc, CURLE_PARTIAL_FILE);
    ck_assert_int_eq(h.content_length, (long long)full.len);
    ck_assert_uint_lt(h.len, full.len);
    ck_assert_uint_gt(h.len, 0);
    ck_assert_mem_eq(h.body, full.body, h.len); /* the first part is the real answer */
    json_error_t err;
    ck_assert_ptr_null(json_loadb(h.body, h.len, 0, &err));
    http_free(&h);
    http_free(&full);
}
END_TEST

START_TEST(test_fault_drip)
{
    struct http full, h;
    mette(JOB, &full, 5000);
    ck_assert_uint_gt(full.len, 2000);
    control(&main_sim, "PUT", "/faults/jobcentre", "{\"drip_bytes_per_sec\":2000}", 200);
    mette(JOB, &h, 20000);
    ck_assert_int_eq(h.rc, CURLE_OK);
    ck_assert_int_eq(h.status, 200);
    double want = (double)full.len / 2000.0;
    ck_assert_msg(h.secs >= want * 0.8 && h.secs < want * 2 + 0.5, "%.2f s for %zu bytes", h.secs,
                  full.len);
    ck_assert_uint_eq(h.len, full.len);
    ck_assert_mem_eq(h.body, full.body, full.len);
    http_free(&h);
    http_free(&full);
}
END_TEST

START_TEST(test_fault_oversize)
{
    control(&main_sim, "PUT", "/faults/social", "{\"oversize_bytes\":3000000}", 200);
    struct http h;
    mette(SOC, &h, 10000);
    ck_assert_int_eq(h.rc, CURLE_OK);
    ck_assert_uint_eq(h.len, 3000000);
    ck_assert_int_eq(h.content_length, 3000000);
    json_error_t err;
    json_t *j = json_loadb(h.body, h.len, 0, &err);
    ck_assert_ptr_nonnull(j);
    ck_assert_str_eq(json_string_value(json_object_get(j, "CitizenCpr")), "120384-9318");
    json_decref(j);
    http_free(&h);
}
END_TEST

START_TEST(test_fault_wrong_content_type)
{
    struct http full, h;
    mette(REG, &full, 5000);
    control(&main_sim, "PUT", "/faults/region", "{\"wrong_content_type\":\"text/html\"}", 200);
    mette(REG, &h, 5000);
    ck_assert_int_eq(h.status, 200);
    ck_assert_str_eq(h.ctype, "text/html");
    ck_assert_uint_eq(h.len, full.len);
    ck_assert_mem_eq(h.body, full.body, full.len);
    http_free(&h);
    http_free(&full);
}
END_TEST

START_TEST(test_counters)
{
    struct http h;
    for (int i = 0; i < 3; i++) {
        mette(REG, &h, 5000);
        http_free(&h);
    }
    json_decref(get_json(REG, "/fhir/Encounter?_count=5"));
    json_decref(get_json(REG, "/healthz"));
    char path[256], u[512];
    url(u, sizeof u, &main_sim, REG, lookup_path(REG, UNKNOWN, path, sizeof path));
    http("GET", u, NULL, 5000, &h);
    http_free(&h);
    json_t *st = get_json(CTL, "/stats/region");
    ck_assert_int_eq(json_integer_value(json_object_get(st, "requests")), 6);
    ck_assert_int_eq(json_integer_value(json_object_get(st, "lookups")), 4);
    ck_assert_int_eq(json_integer_value(json_object_get(st, "lookups_known")), 3);
    ck_assert_int_eq(json_integer_value(json_object_get(st, "exports")), 1);
    ck_assert_int_eq(json_integer_value(json_object_get(st, "healthz")), 1);
    json_decref(st);
    st = get_json(CTL, "/stats");
    ck_assert_int_eq(
        json_integer_value(json_object_get(json_object_get(st, "jobcentre"), "requests")), 0);
    json_decref(st);
    json_t *pop = get_json(CTL, "/population");
    ck_assert_int_eq(json_integer_value(json_object_get(pop, "size")), 300);
    ck_assert_int_eq(json_integer_value(json_object_get(pop, "seed")), 5);
    json_decref(pop);
}
END_TEST

/* Every log line is JSON; no full CPR ever appears, the masked form does. */
START_TEST(test_logs_mask_cpr)
{
    struct http h;
    for (int s = JOB; s <= FAM; s++) {
        mette(s, &h, 5000);
        http_free(&h);
    }
    usleep(200000);
    FILE *f = fopen(main_sim.log, "r");
    ck_assert_ptr_nonnull(f);
    char line[8192];
    int lines = 0, masked = 0;
    while (fgets(line, sizeof line, f)) {
        json_error_t err;
        json_t *j = json_loads(line, 0, &err);
        ck_assert_msg(j != NULL, "log line is not JSON: %s", line);
        ck_assert_ptr_nonnull(json_object_get(j, "ts"));
        ck_assert_ptr_nonnull(json_object_get(j, "level"));
        json_decref(j);
        ck_assert_msg(!strstr(line, METTE) && !strstr(line, "120384-9318"), "CPR in log: %s", line);
        masked += strstr(line, "120384-xxxx") != NULL;
        lines++;
    }
    fclose(f);
    ck_assert_int_gt(lines, 10);
    ck_assert_int_ge(masked, 5);
}
END_TEST

/* ---- start-up configuration and shutdown (own processes) -------------------------------- */

START_TEST(test_faults_at_start)
{
    static const char *const args[] = {"--fault", "jobcentre:error_rate=1,error_status=500",
                                       "--quiet", NULL};
    static const char *const env[] = {"DEPTSIM_FAULTS=social:refuse;region:latency=300",
                                      "DEPTSIM_SIZE=50", "DEPTSIM_SEED=9", NULL};
    struct sim s;
    sim_start(&s, args, env, 0x3f & ~(1u << SOC));
    char path[256], u[512];
    struct http h;
    url(u, sizeof u, &s, JOB, lookup_path(JOB, METTE, path, sizeof path));
    http("GET", u, NULL, 5000, &h);
    ck_assert_int_eq(h.status, 500);
    http_free(&h);
    url(u, sizeof u, &s, SOC, "/healthz");
    http("GET", u, NULL, 2000, &h);
    ck_assert_int_eq(h.rc, CURLE_COULDNT_CONNECT);
    http_free(&h);
    url(u, sizeof u, &s, REG, lookup_path(REG, METTE, path, sizeof path));
    http("GET", u, NULL, 5000, &h);
    ck_assert_int_eq(h.status, 200);
    ck_assert(h.secs >= 0.29);
    http_free(&h);
    url(u, sizeof u, &s, CTL, "/population");
    http("GET", u, NULL, 5000, &h);
    json_error_t err;
    json_t *j = json_loadb(h.body, h.len, 0, &err);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "size")), 50);
    ck_assert_int_eq(json_integer_value(json_object_get(j, "seed")), 9);
    json_decref(j);
    http_free(&h);
    /* clearing "refuse" at run time opens the port that never opened */
    control(&s, "DELETE", "/faults/social", NULL, 200);
    url(u, sizeof u, &s, SOC, "/healthz");
    http("GET", u, NULL, 2000, &h);
    ck_assert_int_eq(h.status, 200);
    http_free(&h);
    ck_assert_int_eq(sim_stop(&s), 0);
    /* --quiet: no per-request lines, only start and stop */
    FILE *f = fopen(s.log, "r");
    char line[4096];
    int n = 0;
    while (fgets(line, sizeof line, f))
        n++;
    fclose(f);
    ck_assert_int_le(n, 6);
    unlink(s.log);
}
END_TEST

/* The control port listens on loopback even when the systems listen everywhere. */
START_TEST(test_control_loopback_only)
{
    static const char *const env[] = {"DEPTSIM_LISTEN=0.0.0.0", NULL};
    struct sim s;
    sim_start(&s, NULL, env, 0x3f);
    /* argv's --listen 127.0.0.1 wins over the environment: start again with the flag */
    ck_assert_int_eq(sim_stop(&s), 0);
    unlink(s.log);
    static const char *const args[] = {"--listen", "0.0.0.0", NULL};
    sim_start(&s, args, NULL, 0x3f);
    FILE *f = fopen("/proc/net/tcp", "r");
    ck_assert_ptr_nonnull(f);
    char line[512];
    int seen = 0;
    while (fgets(line, sizeof line, f)) {
        unsigned a, port, st;
        if (sscanf(line, " %*d: %8X:%4X %*8X:%*4X %2X", &a, &port, &st) != 3 || st != 0x0A)
            continue; /* LISTEN only */
        if ((int)port == s.base + CTL) {
            ck_assert_uint_eq(a, 0x0100007F); /* 127.0.0.1 */
            seen |= 1;
        }
        if ((int)port == s.base + JOB) {
            ck_assert_uint_eq(a, 0); /* 0.0.0.0 */
            seen |= 2;
        }
    }
    fclose(f);
    ck_assert_int_eq(seen, 3);
    ck_assert_int_eq(sim_stop(&s), 0);
    unlink(s.log);
}
END_TEST

/* SIGTERM with a request hanging and a slow drip running: out within seconds, exit 0 (and,
 * under AddressSanitizer, nothing leaked). */
START_TEST(test_clean_shutdown)
{
    struct sim s;
    sim_start(&s, NULL, NULL, 0x3f);
    control(&s, "PUT", "/faults/region", "{\"hang\":true}", 200);
    pid_t hanger = fork();
    if (hanger == 0) {
        char path[256], u[512];
        struct http h;
        url(u, sizeof u, &s, REG, lookup_path(REG, METTE, path, sizeof path));
        http("GET", u, NULL, 30000, &h);
        _exit(h.rc == CURLE_OK ? 1 : 0);
    }
    usleep(300000);
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    ck_assert_int_eq(sim_stop(&s), 0);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    ck_assert_int_lt(t1.tv_sec - t0.tv_sec, 5);
    int st;
    waitpid(hanger, &st, 0);
    ck_assert(WIFEXITED(st) && WEXITSTATUS(st) == 0);
    unlink(s.log);
}
END_TEST

START_TEST(test_cli)
{
    char cmd[512];
    snprintf(cmd, sizeof cmd, "%s --help", DEPTSIM);
    FILE *p = popen(cmd, "r");
    char buf[8192];
    size_t n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_ptr_nonnull(strstr(buf, "--base-port"));
    ck_assert_ptr_nonnull(strstr(buf, "DEPTSIM_SIZE"));
    snprintf(cmd, sizeof cmd, "%s --size banana 2>/dev/null", DEPTSIM);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 2);
    snprintf(cmd, sizeof cmd, "%s --fault police:hang 2>/dev/null", DEPTSIM);
    ck_assert_int_eq(WEXITSTATUS(system(cmd)), 2);
    snprintf(cmd, sizeof cmd, "%s --print-demo", DEPTSIM);
    p = popen(cmd, "r");
    n = fread(buf, 1, sizeof buf - 1, p);
    buf[n] = '\0';
    ck_assert_int_eq(pclose(p), 0);
    ck_assert_ptr_nonnull(strstr(buf, METTE));
    ck_assert_ptr_nonnull(strstr(buf, UNKNOWN));
}
END_TEST

static Suite *suite(void)
{
    Suite *s = suite_create("deptsim_http");
    TCase *shared = tcase_create("shared");
    tcase_set_timeout(shared, 120);
    tcase_add_unchecked_fixture(shared, main_up, main_down);
    tcase_add_checked_fixture(shared, clean, NULL);
    tcase_add_test(shared, test_healthz_on_six_ports);
    tcase_add_test(shared, test_native_lookups);
    tcase_add_test(shared, test_export_equals_lookups);
    tcase_add_test(shared, test_fault_latency);
    tcase_add_test(shared, test_64_concurrent_with_latency);
    tcase_add_test(shared, test_fault_errors);
    tcase_add_test(shared, test_fault_hang);
    tcase_add_test(shared, test_fault_refuse);
    tcase_add_test(shared, test_fault_malformed);
    tcase_add_test(shared, test_fault_truncate);
    tcase_add_test(shared, test_fault_drip);
    tcase_add_test(shared, test_fault_oversize);
    tcase_add_test(shared, test_fault_wrong_content_type);
    tcase_add_test(shared, test_counters);
    tcase_add_test(shared, test_logs_mask_cpr);
    suite_add_tcase(s, shared);
    TCase *own = tcase_create("own_process");
    tcase_set_timeout(own, 120);
    tcase_add_test(own, test_faults_at_start);
    tcase_add_test(own, test_control_loopback_only);
    tcase_add_test(own, test_clean_shutdown);
    tcase_add_test(own, test_cli);
    suite_add_tcase(s, own);
    return s;
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    SRunner *sr = srunner_create(suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    curl_global_cleanup();
    if (main_exit != 0) {
        fprintf(stderr, "shared deptsim exited with status %d; its log: %s\n", main_exit,
                main_sim.log);
        failed++;
    }
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
