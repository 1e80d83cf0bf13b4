#include "gptest.h"

#include <arpa/inet.h>
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <libpq-fe.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

const char *gpt_env(const char *name)
{
    const char *v = getenv(name);
    ck_assert_msg(v && *v,
                  "%s is not set: integration tests need the test cluster that scripts/test "
                  "starts (they never skip)",
                  name);
    return v;
}

static char *admin_url(const char *db)
{
    char *url = malloc(512);
    snprintf(url, 512, "postgresql://%s@%s:%s/%s", gpt_env("GLASPLADE_TEST_PG_SUPERUSER"),
             gpt_env("GLASPLADE_TEST_PG_HOST"), gpt_env("GLASPLADE_TEST_PG_PORT"), db);
    return url;
}

static void quiet_notice(void *arg, const char *message)
{
    (void)arg;
    (void)message;
}

int gpt_db_exec(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    PQsetNoticeProcessor(c, quiet_notice, NULL);
    int rows = -1;
    if (PQstatus(c) != CONNECTION_OK) {
        fprintf(stderr, "gpt_db_exec: cannot connect to %s: %s", url, PQerrorMessage(c));
        PQfinish(c);
        return -1;
    }
    PGresult *r = PQexec(c, sql);
    if (PQresultStatus(r) == PGRES_TUPLES_OK)
        rows = PQntuples(r);
    else if (PQresultStatus(r) == PGRES_COMMAND_OK)
        rows = *PQcmdTuples(r) ? atoi(PQcmdTuples(r)) : 0;
    else
        fprintf(stderr, "gpt_db_exec: %s: %s", sql, PQresultErrorMessage(r));
    PQclear(r);
    PQfinish(c);
    return rows;
}

char *gpt_db_scalar(const char *url, const char *sql)
{
    PGconn *c = PQconnectdb(url);
    char *v = NULL;
    if (PQstatus(c) == CONNECTION_OK) {
        PGresult *r = PQexec(c, sql);
        if (PQresultStatus(r) == PGRES_TUPLES_OK && PQntuples(r) > 0 && !PQgetisnull(r, 0, 0))
            v = strdup(PQgetvalue(r, 0, 0));
        else if (PQresultStatus(r) != PGRES_TUPLES_OK)
            fprintf(stderr, "gpt_db_scalar: %s: %s", sql, PQresultErrorMessage(r));
        PQclear(r);
    } else {
        fprintf(stderr, "gpt_db_scalar: cannot connect: %s", PQerrorMessage(c));
    }
    PQfinish(c);
    return v;
}

char *gpt_db_create(const char *prefix)
{
    static int counter;
    char name[64];
    snprintf(name, sizeof name, "%s_%d_%d", prefix, (int)getpid(), counter++);
    char *admin = admin_url("postgres");
    char sql[160];
    snprintf(sql, sizeof sql, "DROP DATABASE IF EXISTS %s", name);
    ck_assert_msg(gpt_db_exec(admin, sql) >= 0, "the test cluster does not answer at %s", admin);
    snprintf(sql, sizeof sql, "CREATE DATABASE %s ENCODING 'UTF8' TEMPLATE template0", name);
    ck_assert_int_ge(gpt_db_exec(admin, sql), 0);
    free(admin);
    return admin_url(name);
}

/* Creates a role unless it exists; two suites racing to create it both succeed. */
static void ensure_role(const char *name, const char *options)
{
    char *admin = admin_url("postgres");
    char sql[512];
    snprintf(sql, sizeof sql,
             "DO $$ BEGIN"
             " IF NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '%s') THEN"
             "  BEGIN CREATE ROLE %s %s;"
             "  EXCEPTION WHEN duplicate_object OR unique_violation THEN NULL; END;"
             " END IF; END $$",
             name, name, options);
    ck_assert_msg(gpt_db_exec(admin, sql) >= 0, "cannot create role %s", name);
    free(admin);
}

char *gpt_db_service_url(const char *db_url)
{
    char prefix[256];
    snprintf(prefix, sizeof prefix, "postgresql://%s@%s:%s/",
             gpt_env("GLASPLADE_TEST_PG_SUPERUSER"), gpt_env("GLASPLADE_TEST_PG_HOST"),
             gpt_env("GLASPLADE_TEST_PG_PORT"));
    size_t n = strlen(prefix);
    if (strncmp(db_url, prefix, n) != 0)
        return strdup(db_url);
    ensure_role("glasplade_service", "NOLOGIN");
    ensure_role(GPT_SERVICE_ROLE, "LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE IN ROLE "
                                  "glasplade_service");
    char *url = malloc(512);
    snprintf(url, 512, "postgresql://" GPT_SERVICE_ROLE "@%s:%s/%s",
             gpt_env("GLASPLADE_TEST_PG_HOST"), gpt_env("GLASPLADE_TEST_PG_PORT"), db_url + n);
    return url;
}

int gpt_pg_ctl(const char *action)
{
    char cmd[1024];
    snprintf(cmd, sizeof cmd, "\"%s\" %s >/dev/null 2>&1", gpt_env("GLASPLADE_TEST_PG_CTL"),
             action);
    int st = system(cmd);
    return WIFEXITED(st) ? WEXITSTATUS(st) : -1;
}

int gpt_free_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof a;
    ck_assert_int_eq(bind(fd, (struct sockaddr *)&a, sizeof a), 0);
    ck_assert_int_eq(getsockname(fd, (struct sockaddr *)&a, &len), 0);
    close(fd);
    return ntohs(a.sin_port);
}

/* Builds an environment: ours, with extra "NAME=value" entries overriding. */
static char **make_env(const char *const *extra)
{
    size_t n = 0, m = 0;
    while (environ[n])
        n++;
    while (extra && extra[m])
        m++;
    char **env = calloc(n + m + 1, sizeof *env);
    size_t k = 0;
    for (size_t i = 0; i < n; i++) {
        bool overridden = false;
        for (size_t j = 0; j < m; j++) {
            size_t klen = strcspn(extra[j], "=");
            if (!strncmp(environ[i], extra[j], klen) && environ[i][klen] == '=')
                overridden = true;
        }
        if (!overridden)
            env[k++] = environ[i];
    }
    for (size_t j = 0; j < m; j++)
        env[k++] = (char *)extra[j];
    env[k] = NULL;
    return env;
}

static pid_t spawn(const char *const *argv, const char *const *extra_env, int out_fd, int err_fd)
{
    char **env = make_env(extra_env);
    pid_t parent = getpid();
    pid_t pid = fork();
    ck_assert_int_ge(pid, 0);
    if (pid == 0) {
        /* A server or simulator does not outlive the test that started it: one left behind
         * after a failed fixture keeps ctest's output pipe open, and ctest then waits for it
         * until its timeout instead of reporting the failure. */
        prctl(PR_SET_PDEATHSIG, SIGKILL);
        if (getppid() != parent)
            _exit(127);
        if (out_fd >= 0)
            dup2(out_fd, STDOUT_FILENO);
        if (err_fd >= 0)
            dup2(err_fd, STDERR_FILENO);
        execve(argv[0], (char *const *)argv, env);
        _exit(127);
    }
    free(env);
    return pid;
}

static void sleep_ms(long ms)
{
    struct timespec ts = {.tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L};
    nanosleep(&ts, NULL);
}

void gpt_server_start(struct gpt_proc *p, const char *db_url, const char *const *extra_env)
{
    static int counter;
    memset(p, 0, sizeof *p);
    p->port = gpt_free_port();
    mkdir(GP_BINARY_DIR "/test-logs", 0755);
    snprintf(p->log, sizeof p->log, GP_BINARY_DIR "/test-logs/server-%d-%d.log", (int)getpid(),
             counter++);
    int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    char port_env[32], db_env[600], migrate_env[600];
    char *service = gpt_db_service_url(db_url);
    snprintf(port_env, sizeof port_env, "GLASPLADE_PORT=%d", p->port);
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", service);
    snprintf(migrate_env, sizeof migrate_env, "GLASPLADE_MIGRATE_DATABASE_URL=%s", db_url);
    free(service);
    const char *base[24] = {port_env, db_env, migrate_env, "GLASPLADE_LISTEN=127.0.0.1",
                            "GLASPLADE_THREADS=4"};
    size_t n = 5;
    bool delay_given = false;
    for (size_t i = 0; extra_env && extra_env[i] && n < 22; i++) {
        delay_given |= !strncmp(extra_env[i], "GLASPLADE_AUDIT_SEAL_DELAY_MS=", 30);
        base[n++] = extra_env[i];
    }
    if (!delay_given)
        base[n++] = "GLASPLADE_AUDIT_SEAL_DELAY_MS=200";
    base[n] = NULL;
    const char *argv[] = {GP_BINARY_DIR "/glasplade", "serve", NULL};
    p->pid = spawn(argv, base, -1, fd);
    close(fd);
    for (int i = 0; i < 300; i++) {
        struct gpt_resp r;
        struct gpt_req q = {.path = "/healthz", .no_record = true};
        if (gpt_http_try(p->port, &q, &r)) {
            long st = r.status;
            gpt_resp_free(&r);
            if (st == 200)
                return;
        }
        int status;
        if (waitpid(p->pid, &status, WNOHANG) == p->pid) {
            char *log = gpt_read_file(p->log);
            ck_abort_msg("the server exited during start-up; log:\n%s", log ? log : "");
        }
        sleep_ms(50);
    }
    ck_abort_msg("the server did not answer /healthz within 15 s (log %s)", p->log);
}

int gpt_proc_stop(struct gpt_proc *p, int sig)
{
    if (p->pid <= 0)
        return -1;
    kill(p->pid, sig);
    int status = 0;
    while (waitpid(p->pid, &status, 0) < 0 && errno == EINTR)
        ;
    p->pid = 0;
    if (WIFEXITED(status))
        return WEXITSTATUS(status);
    return 128 + WTERMSIG(status);
}

static bool port_free(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    bool ok = bind(fd, (struct sockaddr *)&a, sizeof a) == 0;
    close(fd);
    return ok;
}

void gpt_deptsim_start(struct gpt_proc *p, int size)
{
    static int counter;
    memset(p, 0, sizeof *p);
    for (int attempt = 0; attempt < 50 && !p->port; attempt++) {
        int base = 20000 + (int)((getpid() * 7919 + attempt * 104729 + counter * 31) % 30000);
        bool all = true;
        for (int k = 0; k < 6 && all; k++)
            all = port_free(base + k);
        if (all)
            p->port = base;
    }
    ck_assert_msg(p->port, "no six consecutive free ports");
    mkdir(GP_BINARY_DIR "/test-logs", 0755);
    snprintf(p->log, sizeof p->log, GP_BINARY_DIR "/test-logs/deptsim-%d-%d.log", (int)getpid(),
             counter++);
    int fd = open(p->log, O_WRONLY | O_CREAT | O_TRUNC, 0644);
    ck_assert_int_ge(fd, 0);
    char base[16], sz[24];
    snprintf(base, sizeof base, "%d", p->port);
    snprintf(sz, sizeof sz, "%d", size);
    const char *argv[] = {GP_BINARY_DIR "/cmd/deptsim/deptsim",
                          "--listen",
                          "127.0.0.1",
                          "--base-port",
                          base,
                          "--size",
                          sz,
                          "--seed",
                          "42",
                          "--quiet",
                          NULL};
    p->pid = spawn(argv, NULL, -1, fd);
    close(fd);
    for (int k = 0; k < 6; k++) {
        bool up = false;
        for (int i = 0; i < 300 && !up; i++) {
            struct gpt_resp r;
            struct gpt_req q = {.path = "/healthz", .no_record = true};
            if (gpt_http_try(p->port + k, &q, &r)) {
                up = r.status == 200;
                gpt_resp_free(&r);
            }
            if (!up)
                sleep_ms(50);
        }
        ck_assert_msg(up, "deptsim port %d did not come up (log %s)", p->port + k, p->log);
    }
}

json_t *gpt_deptsim_control(const struct gpt_proc *sim, const char *method, const char *path,
                            const char *body)
{
    struct gpt_resp r;
    struct gpt_req q = {.method = method,
                        .path = path,
                        .body = body,
                        .content_type = body ? "application/json" : NULL,
                        .no_record = true};
    gpt_http(sim->port + 5, &q, &r);
    ck_assert_msg(r.status >= 200 && r.status < 300, "deptsim %s %s: %ld %s", method, path,
                  r.status, r.body);
    json_t *j = json_incref(r.json);
    gpt_resp_free(&r);
    return j;
}

void gpt_register_sources(const char *db_url, const struct gpt_proc *sim, int timeout_ms)
{
    static const char *const ids[] = {"jobcentre", "social", "health", "region", "family"};
    static const char *const kinds[] = {"momentum", "sensum", "fhir-r4", "fhir-r4", "dubu"};
    static const char *const depts[] = {"job_centre", "social_services", "municipal_health",
                                        "region", "family"};
    /* The FHIR simulators: base URL [host]/fhir, as a real server's; the resource types each
     * holds (a per-type search for another is an error, as on a real server). Patients are
     * resolved by the default, IHE PDQm. */
    static const char *const paths[] = {"", "", "/fhir", "/fhir", ""};
    static const char *const types[] = {NULL, NULL,
                                        "types=EpisodeOfCare,CarePlan,DocumentReference",
                                        "types=EpisodeOfCare,DocumentReference,Encounter", NULL};
    char db_env[512], url[96], timeout[16];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db_url);
    snprintf(timeout, sizeof timeout, "%d", timeout_ms);
    const char *env[] = {db_env, NULL};
    for (int k = 0; k < 5; k++) {
        snprintf(url, sizeof url, "http://127.0.0.1:%d%s", sim->port + k, paths[k]);
        const char *args[] = {
            "source", "set",   ids[k], "--kind",       kinds[k], "--department",
            depts[k], "--url", url,    "--timeout-ms", timeout,  types[k] ? "--option" : NULL,
            types[k], NULL};
        char *err = NULL;
        int rc = gpt_glasplade(args, env, NULL, &err);
        ck_assert_msg(rc == 0, "source set %s: %s", ids[k], err);
        free(err);
    }
}

static char *slurp_fd(int fd)
{
    size_t cap = 4096, len = 0;
    char *buf = malloc(cap);
    ssize_t n;
    while ((n = read(fd, buf + len, cap - len - 1)) > 0) {
        len += (size_t)n;
        if (cap - len < 2)
            buf = realloc(buf, cap *= 2);
    }
    buf[len] = '\0';
    return buf;
}

int gpt_glasplade(const char *const *args, const char *const *extra_env, char **out, char **err)
{
    const char *argv[32] = {GP_BINARY_DIR "/glasplade"};
    size_t n = 1;
    for (size_t i = 0; args && args[i] && n < 31; i++)
        argv[n++] = args[i];
    argv[n] = NULL;
    char out_path[] = "/tmp/gptest-out-XXXXXX";
    char err_path[] = "/tmp/gptest-err-XXXXXX";
    int ofd = mkstemp(out_path), efd = mkstemp(err_path);
    ck_assert(ofd >= 0 && efd >= 0);
    pid_t pid = spawn(argv, extra_env, ofd, efd);
    int status = 0;
    waitpid(pid, &status, 0);
    lseek(ofd, 0, SEEK_SET);
    lseek(efd, 0, SEEK_SET);
    char *o = slurp_fd(ofd), *e = slurp_fd(efd);
    close(ofd);
    close(efd);
    unlink(out_path);
    unlink(err_path);
    if (out)
        *out = o;
    else
        free(o);
    if (err)
        *err = e;
    else
        free(e);
    return WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status);
}

char *gpt_token_purpose(const char *db_url, const char *role, const char *dept,
                        const char *default_purpose)
{
    char db_env[512];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db_url);
    const char *env[] = {db_env, NULL};
    const char *args[12] = {"token", "create", "--role", role, "--name", "test client"};
    size_t n = 6;
    if (dept) {
        args[n++] = "--department";
        args[n++] = dept;
    }
    if (default_purpose) {
        args[n++] = "--default-purpose";
        args[n++] = default_purpose;
    }
    args[n] = NULL;
    char *out = NULL, *err = NULL;
    int rc = gpt_glasplade(args, env, &out, &err);
    ck_assert_msg(rc == 0, "token create failed (%d): %s", rc, err);
    free(err);
    out[strcspn(out, "\n")] = '\0';
    ck_assert_int_eq(strlen(out), 47);
    return out;
}

char *gpt_token(const char *db_url, const char *role, const char *dept)
{
    bool reads = !strcmp(role, "caseworker") || !strcmp(role, "coordinator");
    return gpt_token_purpose(db_url, role, dept, reads ? GPT_DEFAULT_PURPOSE : NULL);
}

/* ---- HTTP ---- */

struct sink {
    char *data;
    size_t len;
};

static size_t sink_write(char *ptr, size_t size, size_t nmemb, void *cls)
{
    struct sink *s = cls;
    size_t n = size * nmemb;
    s->data = realloc(s->data, s->len + n + 1);
    memcpy(s->data + s->len, ptr, n);
    s->len += n;
    s->data[s->len] = '\0';
    return n;
}

static void record(const struct gpt_req *req, const struct gpt_resp *resp)
{
    const char *path = getenv("GLASPLADE_CONTRACT_LOG");
    if (!path || req->no_record)
        return;
    json_t *rec = json_pack("{s:s, s:o, s:i, s:s}", "method", req->method ? req->method : "GET",
                            "path", req->route ? json_string(req->route) : json_null(), "status",
                            (int)resp->status, "content_type", resp->content_type);
    if (resp->json)
        json_object_set(rec, "body", resp->json);
    else
        json_object_set_new(
            rec, "body",
            json_stringn(resp->body ? resp->body : "", resp->body ? resp->body_len : 0));
    char *line = json_dumps(rec, JSON_COMPACT);
    json_decref(rec);
    int fd = open(path, O_WRONLY | O_CREAT | O_APPEND, 0644);
    if (fd >= 0 && line) {
        size_t len = strlen(line);
        line[len] = '\n'; /* one write per line: suites may run concurrently */
        ssize_t w = write(fd, line, len + 1);
        (void)w;
    }
    if (fd >= 0)
        close(fd);
    free(line);
}

bool gpt_http_try(int port, const struct gpt_req *req, struct gpt_resp *resp)
{
    memset(resp, 0, sizeof *resp);
    CURL *h = curl_easy_init();
    struct sink body = {0}, head = {0};
    struct curl_slist *hdrs = NULL;
    char url[8192], line[8400]; /* a JWT bearer is up to 8192 characters */
    snprintf(url, sizeof url, "http://127.0.0.1:%d%s", port, req->path);
    curl_easy_setopt(h, CURLOPT_URL, url);
    curl_easy_setopt(h, CURLOPT_NOPROXY, "*");
    curl_easy_setopt(h, CURLOPT_TIMEOUT, 30L);
    curl_easy_setopt(h, CURLOPT_WRITEFUNCTION, sink_write);
    curl_easy_setopt(h, CURLOPT_WRITEDATA, &body);
    curl_easy_setopt(h, CURLOPT_HEADERFUNCTION, sink_write);
    curl_easy_setopt(h, CURLOPT_HEADERDATA, &head);
    const char *method = req->method ? req->method : "GET";
    if (req->body) {
        curl_easy_setopt(h, CURLOPT_POSTFIELDS, req->body);
        curl_easy_setopt(h, CURLOPT_POSTFIELDSIZE,
                         (long)(req->body_len ? req->body_len : strlen(req->body)));
    }
    if (strcmp(method, "GET") != 0)
        curl_easy_setopt(h, CURLOPT_CUSTOMREQUEST, method);
    if (!strcmp(method, "HEAD"))
        curl_easy_setopt(h, CURLOPT_NOBODY, 1L);
    if (req->token) {
        snprintf(line, sizeof line, "Authorization: Bearer %s", req->token);
        hdrs = curl_slist_append(hdrs, line);
    }
    if (req->content_type) {
        snprintf(line, sizeof line, "Content-Type: %s", req->content_type);
        hdrs = curl_slist_append(hdrs, line);
    } else if (req->body) {
        hdrs = curl_slist_append(hdrs, "Content-Type:"); /* send none */
    }
    hdrs = curl_slist_append(hdrs, "Expect:");
    for (size_t i = 0; req->headers && req->headers[i]; i++)
        hdrs = curl_slist_append(hdrs, req->headers[i]);
    curl_easy_setopt(h, CURLOPT_HTTPHEADER, hdrs);
    CURLcode rc = curl_easy_perform(h);
    if (rc == CURLE_OK) {
        curl_easy_getinfo(h, CURLINFO_RESPONSE_CODE, &resp->status);
        char *ct = NULL;
        curl_easy_getinfo(h, CURLINFO_CONTENT_TYPE, &ct);
        snprintf(resp->content_type, sizeof resp->content_type, "%s", ct ? ct : "");
    }
    curl_slist_free_all(hdrs);
    curl_easy_cleanup(h);
    if (rc != CURLE_OK) {
        free(body.data);
        free(head.data);
        return false;
    }
    resp->body = body.data ? body.data : strdup("");
    resp->body_len = body.len;
    resp->headers = head.data ? head.data : strdup("");
    if (!strncmp(resp->content_type, "application/json", 16) ||
        !strncmp(resp->content_type, "application/problem+json", 24))
        resp->json = json_loadb(resp->body, resp->body_len, 0, NULL);
    record(req, resp);
    return true;
}

void gpt_http(int port, const struct gpt_req *req, struct gpt_resp *resp)
{
    ck_assert_msg(gpt_http_try(port, req, resp), "%s %s: no HTTP answer from port %d",
                  req->method ? req->method : "GET", req->path, port);
}

const char *gpt_header(const struct gpt_resp *resp, const char *name, char *buf, size_t len)
{
    size_t nlen = strlen(name);
    for (const char *p = resp->headers; p && *p;) {
        const char *eol = strstr(p, "\r\n");
        size_t l = eol ? (size_t)(eol - p) : strlen(p);
        if (l > nlen && !strncasecmp(p, name, nlen) && p[nlen] == ':') {
            const char *v = p + nlen + 1;
            while (*v == ' ')
                v++;
            size_t vl = l - (size_t)(v - p);
            snprintf(buf, len, "%.*s", (int)vl, v);
            return buf;
        }
        p = eol ? eol + 2 : p + l;
    }
    return NULL;
}

void gpt_resp_free(struct gpt_resp *resp)
{
    free(resp->body);
    free(resp->headers);
    json_decref(resp->json);
    memset(resp, 0, sizeof *resp);
}

void gpt_assert_problem(const struct gpt_resp *resp, long status, const char *slug)
{
    ck_assert_msg(resp->status == status, "status %ld, expected %ld; body %s", resp->status, status,
                  resp->body);
    ck_assert_str_eq(resp->content_type, "application/problem+json");
    ck_assert_ptr_nonnull(resp->json);
    char type[128];
    snprintf(type, sizeof type, "urn:glasplade:problem:%s", slug);
    ck_assert_str_eq(json_string_value(json_object_get(resp->json, "type")), type);
    ck_assert_int_eq(json_integer_value(json_object_get(resp->json, "status")), status);
    ck_assert_ptr_nonnull(json_string_value(json_object_get(resp->json, "title")));
    ck_assert_ptr_nonnull(json_string_value(json_object_get(resp->json, "detail")));
    char rid[80];
    ck_assert_ptr_nonnull(gpt_header(resp, "X-Request-Id", rid, sizeof rid));
    ck_assert_str_eq(json_string_value(json_object_get(resp->json, "request_id")), rid);
}

char *gpt_read_file(const char *path)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return NULL;
    char *s = slurp_fd(fd);
    close(fd);
    return s;
}

int gpt_run_suite(Suite *s)
{
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
