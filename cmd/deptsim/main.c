/* deptsim: simulators of the five department systems Glasplade reads from.
 * See cmd/deptsim/README.md; `deptsim --help` for the command line. */
#include "cmd/deptsim/dates.h"
#include "cmd/deptsim/faults.h"
#include "cmd/deptsim/log.h"
#include "cmd/deptsim/population.h"
#include "cmd/deptsim/server.h"

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define DEFAULT_BASE_PORT 7100
#define DEFAULT_SIZE      1000
#define DEFAULT_SEED      1

static void usage(FILE *out)
{
    fputs("Usage: deptsim [options]\n"
          "\n"
          "Simulators of the five department systems Glasplade reads, each in its native format,\n"
          "over one deterministic synthetic population, with fault injection.\n"
          "\n"
          "  port P+0  job centre        KMD Momentum-like JSON\n"
          "  port P+1  social            EG Sensum-like JSON\n"
          "  port P+2  municipal health  HL7 FHIR R4 (Nexus-like)\n"
          "  port P+3  region            HL7 FHIR R4 (hospital EPJ-like)\n"
          "  port P+4  family            DUBU-like JSON\n"
          "  port P+5  control API       faults and counters, always on 127.0.0.1\n"
          "\n"
          "Options (environment variable in brackets; options win):\n"
          "  --listen ADDR        IPv4 address of the five systems [DEPTSIM_LISTEN] (127.0.0.1)\n"
          "  --base-port P        first port [DEPTSIM_BASE_PORT] (7100)\n"
          "  --size N             generated citizens, 0..10000000, plus 6 demo citizens\n"
          "                       [DEPTSIM_SIZE] (1000)\n"
          "  --seed S             population seed, unsigned 64-bit [DEPTSIM_SEED] (1)\n"
          "  --as-of YYYY-MM-DD   the simulated today: open/closed/planned relative to it\n"
          "                       [DEPTSIM_AS_OF] (" DS_DEFAULT_AS_OF ")\n"
          "  --fault SYS:SPEC     start with a fault; repeatable [DEPTSIM_FAULTS, ';'-separated]\n"
          "                       SYS: jobcentre social health region family all\n"
          "                       SPEC: latency=MS,jitter=MS,error_rate=0..1,error_status=CODE,\n"
          "                             hang,refuse,malformed,truncate,drip=BYTES_PER_S,\n"
          "                             oversize=BYTES,wrong_content_type[=TYPE]\n"
          "  --quiet              no per-request log lines [DEPTSIM_QUIET=1]\n"
          "  --print-cprs N       print the CPR numbers of the first N citizens and exit\n"
          "  --system SYS         with --print-cprs: only citizens SYS knows\n"
          "  --print-demo         print the demo citizens (CPR, name, systems) and exit\n"
          "  --help, --version\n"
          "\n"
          "Logs: one JSON object per line on stderr; CPR numbers masked (DDMMYY-xxxx).\n"
          "Examples:\n"
          "  deptsim --base-port 7100 --size 100000 --seed 42\n"
          "  curl -s localhost:7100/momentum/api/v2/borgere/1203849318/forloeb | jq .\n"
          "  curl -s -X PUT localhost:7105/faults/region -d '{\"latency_ms\":2000}'\n",
          out);
}

struct options {
    const char *listen;
    long base_port;
    unsigned long long size;
    unsigned long long seed;
    int as_of;
    bool quiet;
    long long print_cprs; /* -1: serve */
    int print_system;     /* -1: all */
    bool print_demo;
    struct ds_fault faults[DS_NSYSTEMS];
};

static bool parse_ull(const char *s, unsigned long long max, unsigned long long *out)
{
    char *end;
    errno = 0;
    if (!s || !*s || *s == '-')
        return false;
    unsigned long long v = strtoull(s, &end, 10);
    if (errno || *end || v > max)
        return false;
    *out = v;
    return true;
}

static int fail(const char *what, const char *value)
{
    fprintf(stderr, "deptsim: bad %s: %s (see --help)\n", what, value ? value : "(missing)");
    return 2;
}

/* Environment first, options over it. Returns 0, 1 (exit 0 after --help) or 2 (usage error). */
static int parse(int argc, char **argv, struct options *o)
{
    unsigned long long v;
    char err[200];
    memset(o, 0, sizeof *o);
    o->listen = "127.0.0.1";
    o->base_port = DEFAULT_BASE_PORT;
    o->size = DEFAULT_SIZE;
    o->seed = DEFAULT_SEED;
    o->print_cprs = -1;
    o->print_system = -1;
    ds_parse_date(DS_DEFAULT_AS_OF, &o->as_of);

    const char *e;
    if ((e = getenv("DEPTSIM_LISTEN")) && *e)
        o->listen = e;
    if ((e = getenv("DEPTSIM_BASE_PORT")) && *e) {
        if (!parse_ull(e, 65530, &v))
            return fail("DEPTSIM_BASE_PORT", e);
        o->base_port = (long)v;
    }
    if ((e = getenv("DEPTSIM_SIZE")) && *e && !parse_ull(e, DS_MAX_SIZE, &o->size))
        return fail("DEPTSIM_SIZE", e);
    if ((e = getenv("DEPTSIM_SEED")) && *e && !parse_ull(e, UINT64_MAX, &o->seed))
        return fail("DEPTSIM_SEED", e);
    if ((e = getenv("DEPTSIM_AS_OF")) && *e && !ds_parse_date(e, &o->as_of))
        return fail("DEPTSIM_AS_OF", e);
    if ((e = getenv("DEPTSIM_QUIET")) && *e && strcmp(e, "0") != 0)
        o->quiet = true;
    if ((e = getenv("DEPTSIM_FAULTS")) && *e && !ds_faults_parse(e, o->faults, err, sizeof err))
        return fail("DEPTSIM_FAULTS", err);

    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        const char *val = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--help") || !strcmp(a, "-h")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(a, "--version")) {
            puts("deptsim 0.1.0");
            return 1;
        } else if (!strcmp(a, "--quiet")) {
            o->quiet = true;
        } else if (!strcmp(a, "--print-demo")) {
            o->print_demo = true;
        } else if (!strcmp(a, "--listen")) {
            if (!val)
                return fail("--listen", val);
            o->listen = val;
            i++;
        } else if (!strcmp(a, "--base-port")) {
            if (!parse_ull(val, 65530, &v) || v == 0)
                return fail("--base-port", val);
            o->base_port = (long)v;
            i++;
        } else if (!strcmp(a, "--size")) {
            if (!parse_ull(val, DS_MAX_SIZE, &o->size))
                return fail("--size", val);
            i++;
        } else if (!strcmp(a, "--seed")) {
            if (!parse_ull(val, UINT64_MAX, &o->seed))
                return fail("--seed", val);
            i++;
        } else if (!strcmp(a, "--as-of")) {
            if (!ds_parse_date(val, &o->as_of))
                return fail("--as-of", val);
            i++;
        } else if (!strcmp(a, "--fault")) {
            if (!val || !ds_faults_parse(val, o->faults, err, sizeof err))
                return fail("--fault", val ? err : NULL);
            i++;
        } else if (!strcmp(a, "--print-cprs")) {
            if (!parse_ull(val, DS_MAX_SIZE + DS_DEMO_COUNT, &v))
                return fail("--print-cprs", val);
            o->print_cprs = (long long)v;
            i++;
        } else if (!strcmp(a, "--system")) {
            o->print_system = ds_system_from_name(val);
            if (o->print_system < 0)
                return fail("--system", val);
            i++;
        } else {
            return fail("option", a);
        }
    }
    return 0;
}

static void print_cprs(const struct ds_population *pop, long long n, int sys)
{
    char cpr[11];
    long long printed = 0;
    for (uint64_t pos = 0; pos < ds_pop_count(pop) && printed < n; pos++) {
        if (sys >= 0 && !(ds_pop_systems(pop, pos) & (1u << sys)))
            continue;
        ds_pop_cpr(pop, pos, cpr);
        puts(cpr);
        printed++;
    }
}

static void print_demo(void)
{
    for (size_t i = 0; i < DS_DEMO_COUNT; i++) {
        const struct ds_demo_info *d = ds_demo(i);
        printf("%s  %-22s", d->cpr, d->name);
        for (int s = 0; s < DS_NSYSTEMS; s++) {
            if (d->systems & (1u << s))
                printf(" %s", ds_system_name((enum ds_system)s));
        }
        printf("  — %s\n", d->role);
    }
    printf("%s  %-22s none  — unknown to every system\n", DS_DEMO_UNKNOWN_CPR, "(unknown)");
}

int main(int argc, char **argv)
{
    struct options o;
    int rc = parse(argc, argv, &o);
    if (rc != 0)
        return rc == 1 ? 0 : rc;

    struct ds_population pop;
    if (!ds_population_init(&pop, o.seed, o.size, o.as_of))
        return fail("--size", "too large");
    if (o.print_demo) {
        print_demo();
        return 0;
    }
    if (o.print_cprs >= 0) {
        print_cprs(&pop, o.print_cprs, o.print_system);
        return 0;
    }

    /* Seed jansson's hash tables once, before any request thread creates objects. */
    json_object_seed(0);
    /* Block the stop signals in every thread libmicrohttpd starts; main waits for them. */
    sigset_t stop;
    sigemptyset(&stop);
    sigaddset(&stop, SIGINT);
    sigaddset(&stop, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &stop, NULL);
    signal(SIGPIPE, SIG_IGN);

    struct ds_server_config cfg = {
        .listen = o.listen, .base_port = (int)o.base_port, .quiet = o.quiet};
    memcpy(cfg.initial, o.faults, sizeof cfg.initial);
    char err[256];
    struct ds_server *srv = ds_server_start(&pop, &cfg, err, sizeof err);
    if (!srv) {
        ds_logf("error", "deptsim: %s", err);
        return 1;
    }
    char as_of[11];
    ds_fmt_date(pop.as_of, as_of);
    json_t *faults = json_object();
    for (int s = 0; s < DS_NSYSTEMS; s++) {
        if (!ds_fault_is_clear(&o.faults[s]))
            json_object_set_new(faults, ds_system_name((enum ds_system)s),
                                ds_fault_to_json(&o.faults[s]));
    }
    ds_log("info",
           json_pack("{s:s, s:s, s:i, s:i, s:I, s:I, s:s, s:{s:i, s:i, s:i, s:i, s:i, "
                     "s:i}, s:o}",
                     "msg", "deptsim started", "listen", o.listen, "base_port", (int)o.base_port,
                     "demo_citizens", DS_DEMO_COUNT, "size", (json_int_t)o.size, "seed",
                     (json_int_t)o.seed, "as_of", as_of, "ports", "jobcentre", (int)o.base_port,
                     "social", (int)o.base_port + 1, "health", (int)o.base_port + 2, "region",
                     (int)o.base_port + 3, "family", (int)o.base_port + 4, "control",
                     (int)o.base_port + 5, "faults", faults));

    int sig = 0;
    sigwait(&stop, &sig);
    ds_logf("info", "deptsim stopping (signal %d)", sig);
    ds_server_stop(srv);
    return 0;
}
