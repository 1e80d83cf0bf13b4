/* Helpers for the integration suites: a fresh database on the test cluster, the real binaries
 * as child processes on free loopback ports, and HTTP over libcurl with every response
 * recorded for the contract check (tests/contract/validate.mjs).
 *
 * The test cluster is the one scripts/test starts; its coordinates come from the environment
 * (GLASPLADE_TEST_PG_HOST, _PORT, _SUPERUSER, _CTL). A missing variable or an unreachable
 * database fails the test: integration suites never skip. */
#ifndef GPTEST_H
#define GPTEST_H

#include <check.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* The value of a required environment variable; fails the test when unset. */
const char *gpt_env(const char *name);

/* Creates a fresh, empty database on the test cluster and returns its URL (malloc'd), as the
 * superuser: the role that migrates it and owns its tables, and that tests use to arrange and
 * inspect data. */
char *gpt_db_create(const char *prefix);
/* The same database as the service's role (malloc'd): GPT_SERVICE_ROLE, a login role that is a
 * member of glasplade_service (migration 0014), owns nothing and is no superuser — what
 * `glasplade serve` connects as in production. Both roles are created on first use (roles
 * belong to the cluster). A URL that is not a superuser URL of the test cluster comes back
 * unchanged. */
#define GPT_SERVICE_ROLE "gpt_service"
char *gpt_db_service_url(const char *db_url);
/* Runs sql on url as one simple query; returns the number of rows or affected rows, -1 on
 * error (the message goes to stderr). */
int gpt_db_exec(const char *url, const char *sql);
/* First column of the first row of sql as a malloc'd string (NULL for no row or NULL). */
char *gpt_db_scalar(const char *url, const char *sql);
/* Runs "$GLASPLADE_TEST_PG_CTL <action>" (start/stop). Returns its exit status. */
int gpt_pg_ctl(const char *action);

/* A free TCP port on 127.0.0.1 (bound and released; good enough for tests). */
int gpt_free_port(void);

struct gpt_proc {
    pid_t pid;
    int port;
    char log[512]; /* file with the child's stderr */
};

/* Starts `glasplade serve` against db_url on a free port, with extra "NAME=value" environment
 * entries (NULL-terminated, may be NULL), and waits until /healthz answers. Fails the test
 * when it does not come up within 15 s. The server connects as the service's role
 * (gpt_db_service_url) and migrates, if asked to, as db_url's role; it seals the audit log
 * every 50 ms (GLASPLADE_AUDIT_SEAL_DELAY_MS=200) unless extra_env says otherwise. */
void gpt_server_start(struct gpt_proc *p, const char *db_url, const char *const *extra_env);
/* Sends sig and waits for the child; returns its exit status (or 128 + signal). */
int gpt_proc_stop(struct gpt_proc *p, int sig);

/* Starts the department simulators (deptsim) with a population of `size` on six consecutive
 * free ports (p->port is the base: jobcentre +0, social +1, health +2, region +3, family +4,
 * control +5) and waits until all answer /healthz. */
void gpt_deptsim_start(struct gpt_proc *p, int size);

/* Sends a control request to deptsim (method, path like "/faults/region", JSON body or NULL);
 * fails the test unless it answers 2xx. Returns the parsed JSON answer (caller decrefs). */
json_t *gpt_deptsim_control(const struct gpt_proc *sim, const char *method, const char *path,
                            const char *body);

/* Registers the five simulated systems as sources in db (ids jobcentre, social, health,
 * region, family), each with timeout_ms. */
void gpt_register_sources(const char *db_url, const struct gpt_proc *sim, int timeout_ms);

/* Runs the glasplade binary with args (NULL-terminated, without argv[0]) and extra env;
 * returns its exit status; *out and *err (if given) receive its stdout and stderr (malloc'd). */
int gpt_glasplade(const char *const *args, const char *const *extra_env, char **out, char **err);

/* Creates a client with the CLI and returns its token (malloc'd). dept may be NULL.
 * Caseworker and coordinator tokens get the default purpose GPT_DEFAULT_PURPOSE, so that
 * personal-data reads need no X-Purpose; the others get none. */
#define GPT_DEFAULT_PURPOSE "rehabilitation"
char *gpt_token(const char *db_url, const char *role, const char *dept);
/* The same with an explicit default purpose (NULL: none). */
char *gpt_token_purpose(const char *db_url, const char *role, const char *dept,
                        const char *default_purpose);

struct gpt_req {
    const char *method; /* default GET */
    const char *path;   /* path and query, e.g. "/v1/citizens/0101901234" */
    const char *route;  /* the route template for the contract record; NULL = unmatched */
    const char *token;  /* bearer token, or NULL */
    const char *body;   /* request body, or NULL */
    size_t body_len;    /* 0 = strlen(body) */
    const char *content_type;
    const char *const *headers; /* extra "Name: value" lines, NULL-terminated */
    bool no_record;             /* do not record (e.g. non-API endpoints of other programs) */
};

struct gpt_resp {
    long status;
    char *body;
    size_t body_len;
    char *headers; /* raw header block */
    json_t *json;  /* parsed body when it is JSON, else NULL */
    char content_type[128];
};

/* Performs the request against 127.0.0.1:port; fails the test on a transport error. */
void gpt_http(int port, const struct gpt_req *req, struct gpt_resp *resp);
/* Same, but returns false on a transport error instead of failing. */
bool gpt_http_try(int port, const struct gpt_req *req, struct gpt_resp *resp);
/* The value of a response header (case-insensitive name) copied into buf; NULL if absent. */
const char *gpt_header(const struct gpt_resp *resp, const char *name, char *buf, size_t len);
void gpt_resp_free(struct gpt_resp *resp);

/* Asserts that resp is an RFC 9457 problem with this status and type slug. */
void gpt_assert_problem(const struct gpt_resp *resp, long status, const char *slug);

/* Reads a whole file (malloc'd), NULL when it cannot. */
char *gpt_read_file(const char *path);

/* Runs a suite and returns the process exit status for main(). */
int gpt_run_suite(Suite *s);

#endif
