/* Durability of consents: several clients record consents concurrently while the server is
 * killed with SIGKILL in the middle. After a restart, every consent that was answered 201 is
 * in the database, each consent in the database has its audit row (the two were one
 * transaction), and the audit chain still verifies. */
#include "gptest.h"

#include <curl/curl.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#define WRITERS       6
#define MAX_PER_WRITE 4000
#define KILL_AFTER    120 /* consents answered 201 before the kill */

/* A few citizens shared by all writers, so that they contend for the same revision rows. */
static const char *const cprs[] = {"1203849318", "0101901234", "0202802345", "0303703456",
                                   "0404604567"};
#define N_CPRS (sizeof cprs / sizeof cprs[0])

static char *db;
static struct gpt_proc srv;
static char *tokens[WRITERS];

static atomic_int answered; /* 201s so far, across writers */
static atomic_bool stop;

struct writer {
    int index;
    int port;
    char ids[MAX_PER_WRITE][40]; /* public ids */
    int cpr_of[MAX_PER_WRITE];
    size_t n;         /* consents answered 201 */
    size_t other;     /* other answers (none expected) */
    size_t transport; /* requests without an answer (the kill) */
    long last_status; /* of an unexpected answer */
};

static void *write_consents(void *cls)
{
    struct writer *w = cls;
    for (int k = 0; !atomic_load(&stop) && w->n < MAX_PER_WRITE; k++) {
        int c = (w->index + k) % (int)N_CPRS;
        char path[64], body[256];
        snprintf(path, sizeof path, "/v1/citizens/%s/consents", cprs[c]);
        snprintf(body, sizeof body,
                 "{\"purpose\":\"rehabilitation\",\"scope\":{\"areas\":[\"social\"]},"
                 "\"form\":\"written\",\"evidence_ref\":\"writer %d, consent %d\"}",
                 w->index, k);
        struct gpt_resp r;
        struct gpt_req q = {.method = "POST",
                            .path = path,
                            .route = "/v1/citizens/{cpr}/consents",
                            .token = tokens[w->index],
                            .body = body,
                            .content_type = "application/json",
                            .no_record = true};
        if (!gpt_http_try(w->port, &q, &r)) {
            w->transport++;
            if (w->transport > 3) /* the server is gone: it was killed */
                break;
            continue;
        }
        if (r.status == 201) {
            const char *id = json_string_value(json_object_get(r.json, "id"));
            snprintf(w->ids[w->n], sizeof w->ids[w->n], "%s", id ? id : "");
            w->cpr_of[w->n] = c;
            w->n++;
            atomic_fetch_add(&answered, 1);
        } else {
            w->other++;
            w->last_status = r.status;
        }
        gpt_resp_free(&r);
    }
    return NULL;
}

static void setup(void)
{
    db = gpt_db_create("itest_durability");
    char db_env[512];
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"migrate", NULL};
    ck_assert_int_eq(gpt_glasplade(args, env, NULL, NULL), 0);
    for (int i = 0; i < WRITERS; i++)
        tokens[i] = gpt_token(db, i % 2 ? "coordinator" : "caseworker",
                              i % 3 ? "job_centre" : "social_services");
}

static void teardown(void)
{
    if (srv.pid > 0)
        gpt_proc_stop(&srv, SIGTERM);
    for (int i = 0; i < WRITERS; i++)
        free(tokens[i]);
}

static long long scalar(const char *sql)
{
    char *v = gpt_db_scalar(db, sql);
    ck_assert_msg(v != NULL, "no value for %s", sql);
    long long n = atoll(v);
    free(v);
    return n;
}

START_TEST(consents_answered_201_survive_sigkill)
{
    const char *extra[] = {"GLASPLADE_THREADS=8", NULL};
    gpt_server_start(&srv, db, extra);
    static struct writer w[WRITERS];
    pthread_t t[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        memset(&w[i], 0, sizeof w[i]);
        w[i].index = i;
        w[i].port = srv.port;
        ck_assert_int_eq(pthread_create(&t[i], NULL, write_consents, &w[i]), 0);
    }
    /* Kill the server while every writer is in the middle of its stream of requests. */
    struct timespec tick = {.tv_sec = 0, .tv_nsec = 2 * 1000 * 1000};
    for (int waited = 0; atomic_load(&answered) < KILL_AFTER && waited < 30000; waited += 2)
        nanosleep(&tick, NULL);
    int at_kill = atomic_load(&answered);
    ck_assert_int_ge(at_kill, KILL_AFTER);
    ck_assert_int_eq(gpt_proc_stop(&srv, SIGKILL), 128 + SIGKILL);
    atomic_store(&stop, true);
    size_t total = 0, lost = 0;
    for (int i = 0; i < WRITERS; i++) {
        pthread_join(t[i], NULL);
        ck_assert_msg(w[i].other == 0, "writer %d got %zu unexpected answers (last %ld)", i,
                      w[i].other, w[i].last_status);
        total += w[i].n;
        lost += w[i].transport;
    }
    fprintf(stderr,
            "durability: %zu consents answered 201 (%d when the kill was sent), %zu "
            "requests cut off by it\n",
            total, at_kill, lost);
    ck_assert_int_ge(lost, 1); /* requests really were in flight */

    /* Restart on the same database. */
    gpt_server_start(&srv, db, NULL);

    /* Every consent answered 201 is there, for the citizen it was recorded for. */
    char *list = malloc(total * 64 + 64);
    size_t o =
        (size_t)sprintf(list, "SELECT count(*) FROM consent WHERE (public_id::text, cpr) IN (");
    bool first = true;
    for (int i = 0; i < WRITERS; i++) {
        for (size_t k = 0; k < w[i].n; k++) {
            o += (size_t)sprintf(list + o, "%s('%s','%s')", first ? "" : ",", w[i].ids[k],
                                 cprs[w[i].cpr_of[k]]);
            first = false;
        }
    }
    sprintf(list + o, ")");
    ck_assert_int_eq(scalar(list), (long long)total);
    free(list);
    /* Possibly more: a commit whose answer the kill cut off. Never fewer, never half. */
    long long rows = scalar("SELECT count(*) FROM consent");
    fprintf(stderr, "durability: %lld consents in the database after the restart\n", rows);
    ck_assert_int_ge(rows, (long long)total);
    ck_assert_int_le(rows, (long long)(total + lost));
    ck_assert_int_eq(scalar("SELECT count(*) FROM consent c WHERE NOT EXISTS (SELECT 1 FROM "
                            "audit_log a WHERE a.action = 'consent' AND a.cpr = c.cpr AND "
                            "a.details->>'consent_id' = c.public_id::text)"),
                     0);
    ck_assert_int_eq(scalar("SELECT count(*) FROM audit_log WHERE action = 'consent'"), rows);
    ck_assert_int_eq(scalar("SELECT count(*) FROM consent_event"), rows);
    /* The revision counts every recording. */
    ck_assert_int_eq(scalar("SELECT sum(revision) FROM consent_revision"), rows);

    /* The restarted server seals every audit row the killed one left unsealed (within the
     * promised delay; allow for a loaded machine), and the chain verifies, as the auditor sees
     * it. Making the auditor's token is audited too (action client): made first, sealed too. */
    char *auditor = gpt_token(db, "auditor", NULL);
    for (int waited = 0; waited < 10000 && scalar("SELECT count(*) FROM audit_log l WHERE NOT"
                                                  " EXISTS (SELECT 1 FROM audit_chain c"
                                                  " WHERE c.id = l.id)") > 0;
         waited += 20)
        nanosleep(&(struct timespec){.tv_nsec = 20 * 1000 * 1000}, NULL);
    struct gpt_resp r;
    struct gpt_req q = {.path = "/v1/audit/verify", .route = "/v1/audit/verify", .token = auditor};
    gpt_http(srv.port, &q, &r);
    ck_assert_int_eq(r.status, 200);
    ck_assert_msg(json_is_true(json_object_get(r.json, "intact")), "%s", r.body);
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "last_id")),
                     scalar("SELECT max(id) FROM audit_log"));
    ck_assert_int_eq(json_integer_value(json_object_get(r.json, "last_seq")),
                     scalar("SELECT count(*) FROM audit_log"));
    gpt_resp_free(&r);
    free(auditor);

    /* And the restarted server answers for them. */
    char path[96];
    snprintf(path, sizeof path, "/v1/consents/%s", w[0].ids[0]);
    struct gpt_req g = {.path = path, .route = "/v1/consents/{id}", .token = tokens[0]};
    gpt_http(srv.port, &g, &r);
    ck_assert_int_eq(r.status, 200);
    gpt_resp_free(&r);
}
END_TEST

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    Suite *s = suite_create("durability");
    TCase *tc = tcase_create("sigkill");
    tcase_set_timeout(tc, 180);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_test(tc, consents_answered_201_survive_sigkill);
    suite_add_tcase(s, tc);
    int rc = gpt_run_suite(s);
    curl_global_cleanup();
    return rc;
}
