/* Real FHIR, as a region would plug it in: HL7's own R4 example resources (npm
 * hl7.fhir.r4.examples 4.0.1, installed by scripts/install-deps from package.json, never in git)
 * served by a small FHIR server in this test, registered as a source with `glasplade source
 * set` alone, and pressed through the real server against a real PostgreSQL.
 *
 * The fixture server (libmicrohttpd, loopback) holds every top-level EpisodeOfCare, CarePlan,
 * DocumentReference and Encounter of the package and the Patients they name: HL7's Patient
 * files get a CPR identifier each (urn:oid:1.2.208.176.1.2), and the two patients the examples
 * name without a file (Patient/1, Patient/100) are made up as bare Patients with one. It answers
 * the IHE PDQm patient search, searches per type and system-wide by patient=Patient/<id>, in
 * pages of at most page_max resources (next links), and can misbehave on request: ignore the
 * patient parameter (silently, or saying so in an OperationOutcome), ignore the identifier of the
 * patient search, answer 400 with an OperationOutcome, use the legacy media type. It can demand
 * credentials: a bearer token, HTTP Basic, an OAuth 2.0 access token from its own token
 * endpoint (client credentials, RFC 6749 4.4: a fixture, not a certified server — it lets a test
 * revoke every token to prove the refresh on a 401, and count token requests to prove the
 * cache), or a client certificate over HTTPS (certificates made here with libcrypto; the client
 * certificate checked with GnuTLS, libmicrohttpd's TLS library).
 *
 * The numbers for the HL7 examples (in → out → classified) are printed as "hl7:" lines. */
#include "gptest.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <gnutls/gnutls.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define EXAMPLES GP_SOURCE_DIR "/node_modules/hl7.fhir.r4.examples"
#define MAX_RES  256
#define MAX_PATS 32

/* ---- the examples ------------------------------------------------------------------------- */

struct res {
    json_t *r;
    char type[32], id[72];
    char subject[96]; /* "Patient/<id>" for the four types, "" otherwise */
};

struct patient {
    char id[72];
    char cpr[11];
    json_t *r; /* the Patient served (HL7's, or made up) */
};

static struct res res[MAX_RES];
static size_t nres;
static struct patient pats[MAX_PATS];
static size_t npats;

static bool four_types(const char *t)
{
    return !strcmp(t, "EpisodeOfCare") || !strcmp(t, "CarePlan") ||
           !strcmp(t, "DocumentReference") || !strcmp(t, "Encounter");
}

static const char *subject_ref(const json_t *r, const char *type)
{
    json_t *who = json_object_get(r, !strcmp(type, "EpisodeOfCare") ? "patient" : "subject");
    const char *ref = json_string_value(json_object_get(who, "reference"));
    return ref ? ref : "";
}

static struct patient *patient_by_id(const char *id)
{
    for (size_t i = 0; i < npats; i++) {
        if (!strcmp(pats[i].id, id))
            return &pats[i];
    }
    return NULL;
}

static const char *cpr_of_subject(const char *subject)
{
    const struct patient *p = strncmp(subject, "Patient/", 8) ? NULL : patient_by_id(subject + 8);
    return p ? p->cpr : NULL;
}

static int cmp_name(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Loads the package's top-level resources of the four types and its Patients; gives every
 * patient the four types name a CPR. */
static void load_examples(void)
{
    DIR *d = opendir(EXAMPLES);
    ck_assert_msg(d != NULL,
                  "%s is missing: HL7's R4 examples come from npm (scripts/install-deps runs "
                  "npm ci; package.json names hl7.fhir.r4.examples)",
                  EXAMPLES);
    char *names[8192];
    size_t nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nn < 8192) {
        static const char *const prefixes[] = {"EpisodeOfCare-", "CarePlan-", "DocumentReference-",
                                               "Encounter-", "Patient-"};
        for (size_t k = 0; k < 5; k++) {
            if (!strncmp(e->d_name, prefixes[k], strlen(prefixes[k])) && strstr(e->d_name, ".json"))
                names[nn++] = strdup(e->d_name);
        }
    }
    closedir(d);
    qsort(names, nn, sizeof *names, cmp_name);
    json_t *patient_files[MAX_RES];
    size_t npf = 0;
    for (size_t i = 0; i < nn; i++) {
        char path[512];
        snprintf(path, sizeof path, EXAMPLES "/%s", names[i]);
        json_t *r = json_load_file(path, 0, NULL);
        free(names[i]);
        ck_assert_msg(r != NULL, "%s is not JSON", path);
        const char *type = json_string_value(json_object_get(r, "resourceType"));
        if (!strcmp(type, "Patient")) {
            patient_files[npf++] = r;
            continue;
        }
        if (!four_types(type)) {
            json_decref(r);
            continue;
        }
        ck_assert_uint_lt(nres, MAX_RES);
        struct res *x = &res[nres++];
        x->r = r;
        snprintf(x->type, sizeof x->type, "%s", type);
        snprintf(x->id, sizeof x->id, "%s", json_string_value(json_object_get(r, "id")));
        snprintf(x->subject, sizeof x->subject, "%s", subject_ref(r, type));
    }
    /* Every patient named gets a CPR: 01017012kk, valid dates (modulus 11 is not required). */
    for (size_t i = 0; i < nres; i++) {
        const char *s = res[i].subject;
        if (strncmp(s, "Patient/", 8) != 0 || patient_by_id(s + 8))
            continue;
        struct patient *p = &pats[npats];
        snprintf(p->id, sizeof p->id, "%s", s + 8);
        snprintf(p->cpr, sizeof p->cpr, "01017012%02zu", npats + 1);
        npats++;
    }
    for (size_t i = 0; i < npf; i++) {
        struct patient *p =
            patient_by_id(json_string_value(json_object_get(patient_files[i], "id")));
        if (!p) {
            json_decref(patient_files[i]);
            continue;
        }
        p->r = patient_files[i];
    }
    for (size_t i = 0; i < npats; i++) {
        struct patient *p = &pats[i];
        if (!p->r) /* named by an example, without a file of its own */
            p->r = json_pack("{s:s, s:s}", "resourceType", "Patient", "id", p->id);
        json_t *ids = json_object_get(p->r, "identifier");
        if (!json_is_array(ids)) {
            ids = json_array();
            json_object_set_new(p->r, "identifier", ids);
        }
        json_array_append_new(
            ids, json_pack("{s:s, s:s}", "system", "urn:oid:1.2.208.176.1.2", "value", p->cpr));
    }
}

/* ---- certificates --------------------------------------------------------------------------- */

static char tmpdir[64];
static char *ca_pem, *server_cert_pem, *server_key_pem;

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
    X509V3_CTX ctx;
    X509V3_set_ctx_nodb(&ctx);
    X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
    X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
    ck_assert_ptr_nonnull(ext);
    X509_add_ext(x, ext, -1);
    X509_EXTENSION_free(ext);
}

/* A certificate for key named cn, signed by issuer (NULL: self-signed). */
static X509 *make_cert(EVP_PKEY *key, const char *cn, X509 *issuer, EVP_PKEY *issuer_key,
                       const char *usage)
{
    static long serial = 1;
    X509 *x = X509_new();
    X509_set_version(x, 2);
    ASN1_INTEGER_set(X509_get_serialNumber(x), serial++);
    X509_gmtime_adj(X509_getm_notBefore(x), -3600);
    X509_gmtime_adj(X509_getm_notAfter(x), 86400);
    X509_set_pubkey(x, key);
    X509_NAME *name = X509_get_subject_name(x);
    X509_NAME_add_entry_by_txt(name, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
    X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : name);
    add_ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash");
    if (!issuer) {
        add_ext(x, x, NID_basic_constraints, "critical,CA:TRUE");
        add_ext(x, x, NID_key_usage, "critical,keyCertSign,cRLSign");
    } else {
        add_ext(x, issuer, NID_basic_constraints, "CA:FALSE");
        add_ext(x, issuer, NID_key_usage, "critical,digitalSignature");
        add_ext(x, issuer, NID_ext_key_usage, usage);
        if (!strcmp(usage, "serverAuth"))
            add_ext(x, issuer, NID_subject_alt_name, "IP:127.0.0.1");
    }
    ck_assert(X509_sign(x, issuer_key ? issuer_key : key, EVP_sha256()) > 0);
    return x;
}

static char *cert_text(X509 *x)
{
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_X509(b, x);
    char *p;
    long n = BIO_get_mem_data(b, &p);
    char *s = strndup(p, (size_t)n);
    BIO_free(b);
    return s;
}

static char *key_text(EVP_PKEY *k)
{
    BIO *b = BIO_new(BIO_s_mem());
    PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL);
    char *p;
    long n = BIO_get_mem_data(b, &p);
    char *s = strndup(p, (size_t)n);
    BIO_free(b);
    return s;
}

static void write_file(const char *name, const char *text, mode_t mode)
{
    char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    ck_assert_ptr_nonnull(f);
    fputs(text, f);
    fclose(f);
    chmod(path, mode);
}

/* A CA, a server certificate for 127.0.0.1 and a client certificate, in tmpdir. */
static void make_certs(void)
{
    EVP_PKEY *ca_key = EVP_EC_gen("P-256"), *srv_key = EVP_EC_gen("P-256"),
             *cli_key = EVP_EC_gen("P-256");
    X509 *ca = make_cert(ca_key, "Glasplade test CA", NULL, NULL, NULL);
    X509 *srv_cert = make_cert(srv_key, "127.0.0.1", ca, ca_key, "serverAuth");
    X509 *cli = make_cert(cli_key, "glasplade", ca, ca_key, "clientAuth");
    ca_pem = cert_text(ca);
    server_cert_pem = cert_text(srv_cert);
    server_key_pem = key_text(srv_key);
    char *cli_pem = cert_text(cli), *cli_key_pem = key_text(cli_key);
    write_file("ca.pem", ca_pem, 0644);
    write_file("client.pem", cli_pem, 0644);
    write_file("client.key", cli_key_pem, 0600);
    free(cli_pem);
    free(cli_key_pem);
    X509_free(ca);
    X509_free(srv_cert);
    X509_free(cli);
    EVP_PKEY_free(ca_key);
    EVP_PKEY_free(srv_key);
    EVP_PKEY_free(cli_key);
}

/* ---- the fixture FHIR server ------------------------------------------------------------- */

enum misbehaviour {
    M_NONE = 0,
    M_IGNORE_PATIENT,      /* searches answer every patient's resources, silently */
    M_IGNORE_PATIENT_SAID, /* ... and say so in an OperationOutcome entry */
    M_IGNORE_IDENTIFIER,   /* the patient search answers every Patient */
    M_ERROR_400,           /* every search: 400 with an OperationOutcome */
    M_LEGACY_MEDIA_TYPE,   /* answers are application/json+fhir */
};

enum demand { D_NONE = 0, D_BEARER, D_BASIC, D_OAUTH2, D_MTLS };

#define BEARER_TOKEN  "bearer-7f3c9a"
#define BASIC_USER    "glasplade"
#define BASIC_PASS    "pw-9d2e"
#define CLIENT_ID     "glasplade-client"
#define CLIENT_SECRET "cs-41b8e"

struct fsrv {
    struct MHD_Daemon *d;
    int port;
    bool tls;
    atomic_int misbehave, demand, page_max;
    atomic_int requests, token_requests, unauthorised;
    atomic_int token_gen; /* tokens "tok-<gen>-<n>" of this generation are valid */
    atomic_int token_serial;
    pthread_mutex_t m;
    char last_prefer[64], last_accept[160]; /* m */
};

static struct fsrv fs, fs_tls;

struct upload {
    char buf[4096];
    size_t len;
};

static enum MHD_Result send_json(struct MHD_Connection *c, unsigned status, json_t *body,
                                 const char *ctype, const char *challenge)
{
    char *text = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct MHD_Response *r =
        MHD_create_response_from_buffer(strlen(text), text, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", ctype);
    if (challenge)
        MHD_add_response_header(r, "WWW-Authenticate", challenge);
    enum MHD_Result ret = MHD_queue_response(c, status, r);
    MHD_destroy_response(r);
    return ret;
}

static json_t *outcome(const char *severity, const char *code, const char *diagnostics)
{
    return json_pack("{s:s, s:[{s:s, s:s, s:s}]}", "resourceType", "OperationOutcome", "issue",
                     "severity", severity, "code", code, "diagnostics", diagnostics);
}

static void b64(const char *in, char *out, size_t len)
{
    EVP_EncodeBlock((unsigned char *)out, (const unsigned char *)in, (int)strlen(in));
    (void)len;
}

/* Whether the request carries the credentials the server demands; a 401 queued when not. */
static bool authorised(struct fsrv *s, struct MHD_Connection *c, enum MHD_Result *ret)
{
    enum demand d = (enum demand)atomic_load(&s->demand);
    const char *authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    char want[256], enc[128];
    const char *challenge = NULL;
    switch (d) {
    case D_BEARER:
        snprintf(want, sizeof want, "Bearer %s", BEARER_TOKEN);
        if (authz && !strcmp(authz, want))
            return true;
        challenge = "Bearer realm=\"hl7\"";
        break;
    case D_BASIC:
        b64(BASIC_USER ":" BASIC_PASS, enc, sizeof enc);
        snprintf(want, sizeof want, "Basic %s", enc);
        if (authz && !strcmp(authz, want))
            return true;
        challenge = "Basic realm=\"hl7\"";
        break;
    case D_OAUTH2: {
        int gen = atomic_load(&s->token_gen), g = -1, n = -1;
        if (authz && sscanf(authz, "Bearer tok-%d-%d", &g, &n) == 2 && g == gen)
            return true;
        challenge = "Bearer realm=\"hl7\", error=\"invalid_token\"";
        break;
    }
    case D_MTLS: {
        const union MHD_ConnectionInfo *ci =
            MHD_get_connection_info(c, MHD_CONNECTION_INFO_GNUTLS_SESSION);
        unsigned status = 1;
        if (ci &&
            gnutls_certificate_verify_peers2((gnutls_session_t)ci->tls_session, &status) ==
                GNUTLS_E_SUCCESS &&
            status == 0)
            return true;
        atomic_fetch_add(&s->unauthorised, 1);
        *ret = send_json(c, 403, outcome("error", "security", "a client certificate is required"),
                         "application/fhir+json", NULL);
        return false;
    }
    case D_NONE:
        return true;
    }
    atomic_fetch_add(&s->unauthorised, 1);
    *ret = send_json(c, 401, outcome("error", "login", "authentication required"),
                     "application/fhir+json", challenge);
    return false;
}

/* POST /token: client credentials, the client authenticated with HTTP Basic. */
static enum MHD_Result token_endpoint(struct fsrv *s, struct MHD_Connection *c,
                                      const struct upload *u)
{
    atomic_fetch_add(&s->token_requests, 1);
    const char *authz = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Authorization");
    char want[256], enc[128];
    b64(CLIENT_ID ":" CLIENT_SECRET, enc, sizeof enc);
    snprintf(want, sizeof want, "Basic %s", enc);
    if (!authz || strcmp(authz, want) != 0)
        return send_json(c, 401,
                         json_pack("{s:s, s:s}", "error", "invalid_client", "error_description",
                                   "client authentication failed"),
                         "application/json", "Basic realm=\"token\"");
    if (!strstr(u->buf, "grant_type=client_credentials") || !strstr(u->buf, "scope=fhir%2Fread"))
        return send_json(c, 400, json_pack("{s:s}", "error", "invalid_request"), "application/json",
                         NULL);
    char token[64];
    snprintf(token, sizeof token, "tok-%d-%d", atomic_load(&s->token_gen),
             atomic_fetch_add(&s->token_serial, 1));
    return send_json(c, 200,
                     json_pack("{s:s, s:s, s:i, s:s}", "access_token", token, "token_type",
                               "Bearer", "expires_in", 3600, "scope", "fhir/read"),
                     "application/json", NULL);
}

/* Whether resource x is about one of the patients listed ("Patient/a,Patient/b"). */
static bool about(const struct res *x, const char *patients)
{
    for (const char *p = patients; p && *p;) {
        size_t n = strcspn(p, ",");
        if (strlen(x->subject) == n && !strncmp(x->subject, p, n))
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

static bool type_listed(const char *types, const char *type)
{
    for (const char *p = types; p && *p;) {
        size_t n = strcspn(p, ",");
        if (strlen(type) == n && !strncmp(type, p, n))
            return true;
        p += n;
        if (*p == ',')
            p++;
    }
    return false;
}

static json_t *entry(const json_t *r, const char *mode, int port, bool tls)
{
    char full[256];
    snprintf(full, sizeof full, "%s://127.0.0.1:%d/r4/%s/%s", tls ? "https" : "http", port,
             json_string_value(json_object_get(r, "resourceType")),
             json_string_value(json_object_get(r, "id")));
    return json_pack("{s:s, s:O, s:{s:s}}", "fullUrl", full, "resource", r, "search", "mode", mode);
}

static enum MHD_Result fhir(struct fsrv *s, struct MHD_Connection *c, const char *url)
{
    enum misbehaviour mb = (enum misbehaviour)atomic_load(&s->misbehave);
    const char *ctype = mb == M_LEGACY_MEDIA_TYPE ? "application/json+fhir"
                                                  : "application/fhir+json; charset=utf-8";
    const char *prefer = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Prefer");
    const char *accept = MHD_lookup_connection_value(c, MHD_HEADER_KIND, "Accept");
    pthread_mutex_lock(&s->m);
    snprintf(s->last_prefer, sizeof s->last_prefer, "%s", prefer ? prefer : "");
    snprintf(s->last_accept, sizeof s->last_accept, "%s", accept ? accept : "");
    pthread_mutex_unlock(&s->m);
    const char *rest = url + 3; /* after "/r4" */
    json_t *entries = json_array();
    long total = 0;
    if (!strcmp(rest, "/Patient")) {
        const char *ident = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "identifier");
        const char *bar = ident ? strchr(ident, '|') : NULL;
        for (size_t i = 0; i < npats; i++) {
            if (mb == M_IGNORE_IDENTIFIER || (bar && !strcmp(bar + 1, pats[i].cpr))) {
                json_array_append_new(entries, entry(pats[i].r, "match", s->port, s->tls));
                total++;
            }
        }
        return send_json(c, 200,
                         json_pack("{s:s, s:s, s:I, s:o}", "resourceType", "Bundle", "type",
                                   "searchset", "total", (json_int_t)total, "entry", entries),
                         ctype, NULL);
    }
    if (mb == M_ERROR_400) {
        json_decref(entries);
        return send_json(c, 400,
                         outcome("error", "not-supported",
                                 "Search parameter 'patient' is not supported here (asked about "
                                 "0101701201)"),
                         ctype, NULL);
    }
    const char *types = NULL;
    char one[40] = "";
    if (!strcmp(rest, "") || !strcmp(rest, "/")) {
        types = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "_type");
    } else if (rest[0] == '/' && four_types(rest + 1)) {
        snprintf(one, sizeof one, "%s", rest + 1);
        types = one;
    } else {
        json_decref(entries);
        return send_json(c, 404, outcome("error", "not-found", "unknown resource type"), ctype,
                         NULL);
    }
    const char *patient = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "patient");
    const char *count = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "_count");
    const char *offset = MHD_lookup_connection_value(c, MHD_GET_ARGUMENT_KIND, "_offset");
    long per = count ? atol(count) : 100, from = offset ? atol(offset) : 0;
    if (atomic_load(&s->page_max) > 0 && per > atomic_load(&s->page_max))
        per = atomic_load(&s->page_max);
    bool ignore = mb == M_IGNORE_PATIENT || mb == M_IGNORE_PATIENT_SAID;
    long seen = 0;
    for (size_t i = 0; i < nres; i++) {
        if (!type_listed(types, res[i].type) || (!ignore && !about(&res[i], patient)))
            continue;
        if (seen >= from && seen < from + per)
            json_array_append_new(entries, entry(res[i].r, "match", s->port, s->tls));
        seen++;
    }
    if (mb == M_IGNORE_PATIENT_SAID)
        json_array_append_new(
            entries, json_pack("{s:o, s:{s:s}}", "resource",
                               outcome("warning", "processing",
                                       "The parameter 'patient' is not supported and was ignored"),
                               "search", "mode", "outcome"));
    json_t *links = json_array();
    if (from + per < seen) {
        char next[1024];
        snprintf(next, sizeof next, "%s://127.0.0.1:%d/r4%s?%s%s&patient=%s&_count=%ld&_offset=%ld",
                 s->tls ? "https" : "http", s->port, rest,
                 one[0] ? "" : "_type=", one[0] ? "" : types, patient ? patient : "", per,
                 from + per);
        json_array_append_new(links, json_pack("{s:s, s:s}", "relation", "next", "url", next));
    }
    return send_json(c, 200,
                     json_pack("{s:s, s:s, s:I, s:o, s:o}", "resourceType", "Bundle", "type",
                               "searchset", "total", (json_int_t)seen, "link", links, "entry",
                               entries),
                     ctype, NULL);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version, const char *upload,
                                  size_t *upload_size, void **req_cls)
{
    struct fsrv *s = cls;
    if (!*req_cls) {
        *req_cls = calloc(1, sizeof(struct upload));
        return MHD_YES;
    }
    struct upload *u = *req_cls;
    if (*upload_size) {
        size_t n =
            *upload_size < sizeof u->buf - 1 - u->len ? *upload_size : sizeof u->buf - 1 - u->len;
        memcpy(u->buf + u->len, upload, n);
        u->len += n;
        *upload_size = 0;
        return MHD_YES;
    }
    if (!strcmp(url, "/token") && !strcmp(method, "POST"))
        return token_endpoint(s, c, u);
    atomic_fetch_add(&s->requests, 1);
    enum MHD_Result ret = MHD_NO;
    if (!authorised(s, c, &ret))
        return ret;
    if (strncmp(url, "/r4", 3) != 0 || strcmp(method, "GET") != 0)
        return send_json(c, 404, outcome("error", "not-found", "no such endpoint"),
                         "application/fhir+json", NULL);
    return fhir(s, c, url);
}

static void on_completed(void *cls, struct MHD_Connection *c, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    free(*req_cls);
    *req_cls = NULL;
}

static void fsrv_start(struct fsrv *s, bool tls)
{
    memset(s, 0, sizeof *s);
    s->tls = tls;
    pthread_mutex_init(&s->m, NULL);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = 0};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_THREAD_PER_CONNECTION;
    if (tls)
        s->d =
            MHD_start_daemon(flags | MHD_USE_TLS, 0, NULL, NULL, on_request, s,
                             MHD_OPTION_SOCK_ADDR, &a, MHD_OPTION_NOTIFY_COMPLETED, on_completed, s,
                             MHD_OPTION_HTTPS_MEM_KEY, server_key_pem, MHD_OPTION_HTTPS_MEM_CERT,
                             server_cert_pem, MHD_OPTION_HTTPS_MEM_TRUST, ca_pem, MHD_OPTION_END);
    else
        s->d = MHD_start_daemon(flags, 0, NULL, NULL, on_request, s, MHD_OPTION_SOCK_ADDR, &a,
                                MHD_OPTION_NOTIFY_COMPLETED, on_completed, s, MHD_OPTION_END);
    ck_assert_msg(s->d != NULL, "the fixture FHIR server did not start (tls %d)", tls);
    s->port = MHD_get_daemon_info(s->d, MHD_DAEMON_INFO_BIND_PORT)->port;
}

/* ---- the service ------------------------------------------------------------------------- */

static char *db;
static struct gpt_proc srv;
static char *tok_region, *tok_admin;
static char db_env[512];

/* `glasplade source set hl7 ...` with extra arguments (NULL-terminated); its exit status. */
static int source_set(const struct fsrv *s, const char *const *extra, char **err)
{
    char url[128], timeout[] = "4000";
    snprintf(url, sizeof url, "%s://127.0.0.1:%d/r4", s->tls ? "https" : "http", s->port);
    const char *args[40] = {"source", "set",   "hl7", "--kind",       "fhir-r4", "--department",
                            "region", "--url", url,   "--timeout-ms", timeout};
    size_t n = 11;
    for (size_t i = 0; extra && extra[i] && n < 39; i++)
        args[n++] = extra[i];
    args[n] = NULL;
    const char *env[] = {db_env, NULL};
    return gpt_glasplade(args, env, NULL, err);
}

static void register_hl7(const struct fsrv *s, const char *const *extra)
{
    char *err = NULL;
    int rc = source_set(s, extra, &err);
    ck_assert_msg(rc == 0, "source set: %s", err);
    free(err);
}

/* Once for the suite: the examples, the certificates, the database and the server. */
static void setup(void)
{
    load_examples();
    snprintf(tmpdir, sizeof tmpdir, "/tmp/itest_fhir_XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(tmpdir));
    make_certs();
    write_file("basic-password", BASIC_PASS "\n", 0600);
    db = gpt_db_create("itest_fhir");
    snprintf(db_env, sizeof db_env, "GLASPLADE_DATABASE_URL=%s", db);
    const char *env[] = {db_env, NULL};
    const char *args[] = {"migrate", NULL};
    ck_assert_int_eq(gpt_glasplade(args, env, NULL, NULL), 0);
    /* The demo sources stay off: only the HL7 source is asked. */
    const char *del = "UPDATE source SET enabled = false";
    ck_assert_int_ge(gpt_db_exec(db, del), 0);
    tok_region = gpt_token(db, "caseworker", "region");
    tok_admin = gpt_token(db, "admin", NULL);
    const char *extra[] = {"GLASPLADE_REQUEST_DEADLINE_MS=8000",
                           "GLASPLADE_BREAKER_FAILURES=1000",
                           "GLASPLADE_INDEX_DIGEST_TTL_S=0",
                           "HL7_BEARER=" BEARER_TOKEN,
                           "HL7_CLIENT_SECRET=" CLIENT_SECRET,
                           "HL7_WRONG_SECRET=not-the-secret",
                           NULL};
    gpt_server_start(&srv, db, extra);
}

static void teardown(void)
{
    if (srv.pid > 0)
        ck_assert_int_eq(gpt_proc_stop(&srv, SIGTERM), 0);
    static const char *const files[] = {"ca.pem", "client.pem", "client.key", "basic-password"};
    for (size_t i = 0; i < sizeof files / sizeof files[0]; i++) {
        char path[128];
        snprintf(path, sizeof path, "%s/%s", tmpdir, files[i]);
        unlink(path);
    }
    rmdir(tmpdir);
}

/* For each test, in its own process (the test steers and counts them): the fixture servers,
 * and the hl7 source pointed at the plain one. */
static void servers_up(void)
{
    fsrv_start(&fs, false);
    fsrv_start(&fs_tls, true);
    register_hl7(&fs, NULL);
}

static void servers_down(void)
{
    MHD_stop_daemon(fs.d);
    MHD_stop_daemon(fs_tls.d);
}

/* Presses the CPR button for cpr as the region's caseworker; the hl7 source's entry. */
static json_t *press(const char *cpr, struct gpt_resp *r)
{
    char path[128];
    snprintf(path, sizeof path, "/v1/citizens/%s/overview?refresh=always", cpr);
    struct gpt_req q = {.path = path, .route = "/v1/citizens/{cpr}/overview", .token = tok_region};
    gpt_http(srv.port, &q, r);
    ck_assert_msg(r->status == 200, "overview: %ld %s", r->status, r->body);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(r->json, "sources"), i, s)
    {
        if (!strcmp(json_string_value(json_object_get(s, "id")), "hl7"))
            return s;
    }
    ck_abort_msg("no hl7 source in %s", r->body);
    return NULL;
}

static const char *str(const json_t *o, const char *k)
{
    const char *v = json_string_value(json_object_get(o, k));
    return v ? v : "";
}

static long qlong(const char *sql)
{
    char *v = gpt_db_scalar(db, sql);
    long n = v ? atol(v) : -1;
    free(v);
    return n;
}

/* Presses cpr and asserts the hl7 source answered. */
static void press_ok(const char *cpr)
{
    struct gpt_resp r;
    json_t *s = press(cpr, &r);
    ck_assert_msg(!strcmp(str(s, "status"), "ok"), "%s: %s", str(s, "status"), str(s, "error"));
    gpt_resp_free(&r);
}

/* Presses cpr and asserts the hl7 source failed with an error containing want; nothing of it
 * was stored for the citizen. */
static void press_refused(const char *cpr, const char *want)
{
    ck_assert_int_ge(gpt_db_exec(db, "DELETE FROM record WHERE source_id = 'hl7'"), 0);
    struct gpt_resp r;
    json_t *s = press(cpr, &r);
    ck_assert_msg(!strcmp(str(s, "status"), "error"), "%s: %s", str(s, "status"), r.body);
    ck_assert_msg(strstr(str(s, "error"), want), "want '%s' in '%s'", want, str(s, "error"));
    ck_assert_msg(!strstr(str(s, "error"), cpr), "a full CPR in %s", str(s, "error"));
    gpt_resp_free(&r);
    ck_assert_int_eq(qlong("SELECT count(*) FROM record WHERE source_id = 'hl7'"), 0);
}

/* ---- tests ------------------------------------------------------------------------------- */

/* Every HL7 example of the four types, pressed citizen by citizen through PDQm and per-type
 * searches in pages of three: each read under its own citizen (none under anyone else's), every
 * record classified or its code listed as unmapped, entered-in-error left out. */
START_TEST(hl7_examples_in_out_classified)
{
    atomic_store(&fs.page_max, 3);
    size_t in = 0, in_error = 0;
    for (size_t i = 0; i < nres; i++) {
        ck_assert_msg(cpr_of_subject(res[i].subject), "%s/%s names %s", res[i].type, res[i].id,
                      res[i].subject);
        in++;
        const char *st = str(res[i].r, "status"), *doc = str(res[i].r, "docStatus");
        in_error += !strcmp(st, "entered-in-error") || !strcmp(doc, "entered-in-error");
    }
    for (size_t k = 0; k < npats; k++)
        press_ok(pats[k].cpr);
    atomic_store(&fs.page_max, 0);
    pthread_mutex_lock(&fs.m);
    ck_assert_str_eq(fs.last_prefer, "handling=strict");
    ck_assert_msg(strstr(fs.last_accept, "application/fhir+json"), "%s", fs.last_accept);
    pthread_mutex_unlock(&fs.m);

    /* Out: one record per resource, plus a CarePlan's activities. */
    long records = qlong("SELECT count(*) FROM record WHERE source_id = 'hl7'"
                         " AND removed_at IS NULL");
    long resources = qlong("SELECT count(*) FROM record WHERE source_id = 'hl7'"
                           " AND removed_at IS NULL AND source_ref NOT LIKE '%/activity/%'");
    long activities = records - resources;
    ck_assert_int_eq(resources, (long)(in - in_error));
    /* Nobody's record under anyone else: each resource under the CPR of the patient it names. */
    long misplaced = 0;
    for (size_t i = 0; i < nres; i++) {
        char sql[512];
        snprintf(sql, sizeof sql,
                 "SELECT count(*) FROM record WHERE source_id = 'hl7' AND (source_ref = '%s/%s'"
                 " OR source_ref LIKE '%s/%s/activity/%%') AND cpr <> '%s'",
                 res[i].type, res[i].id, res[i].type, res[i].id, cpr_of_subject(res[i].subject));
        misplaced += qlong(sql);
    }
    ck_assert_int_eq(misplaced, 0);
    long classified =
        qlong("SELECT count(*) FROM record WHERE source_id = 'hl7'"
              " AND source_ref NOT LIKE '%/activity/%' AND case_type <> 'unclassified'");
    long classified_all = qlong("SELECT count(*) FROM record WHERE source_id = 'hl7'"
                                " AND case_type <> 'unclassified'");
    /* Every unclassified record's code is listed as unmapped. */
    ck_assert_int_eq(qlong("SELECT count(*) FROM record r WHERE r.source_id = 'hl7'"
                           " AND r.case_type = 'unclassified' AND NOT EXISTS (SELECT 1 FROM"
                           " source_unmapped u WHERE u.source_id = 'hl7'"
                           " AND u.source_code = coalesce(r.source_code, ''))"),
                     0);
    long unmapped = qlong("SELECT count(*) FROM source_unmapped WHERE source_id = 'hl7'");
    ck_assert_int_gt(unmapped, 0);
    /* The security label V (very restricted) raised the document's sensitivity. */
    char *sens = gpt_db_scalar(db, "SELECT case_type || ' ' || sensitivity FROM record"
                                   " WHERE source_ref = 'DocumentReference/example'");
    ck_assert_str_eq(sens, "hospitalsforloeb highly_sensitive");
    free(sens);
    /* An "active" CarePlan whose period ended in 2017 is closed, and says so. */
    char *cp = gpt_db_scalar(db, "SELECT status || ': ' || status_note FROM record"
                                 " WHERE source_ref = 'CarePlan/example'");
    ck_assert_str_eq(cp, "closed: the source says 'active'; its period ended 2017-06-01");
    free(cp);
    printf("hl7: in %zu resources of the four types (%zu entered-in-error) for %zu patients\n", in,
           in_error, npats);
    printf("hl7: out %ld records: %ld resources + %ld CarePlan activities; 0 under another "
           "citizen\n",
           records, resources, activities);
    printf("hl7: classified %ld of %ld resources (%ld of %ld records); %ld unmapped codes "
           "listed\n",
           classified, resources, classified_all, records, unmapped);

    /* The same numbers where an operator looks: the CLI and /metrics. */
    const char *args[] = {"source", "unmapped", "hl7", NULL};
    const char *env[] = {db_env, NULL};
    char *out = NULL, *err = NULL;
    ck_assert_int_eq(gpt_glasplade(args, env, &out, &err), 0);
    ck_assert_msg(strstr(out, "http://terminology.hl7.org/CodeSystem/episodeofcare-type|hacc"),
                  "%s", out);
    printf("hl7: glasplade source unmapped hl7:\n%s", out);
    free(out);
    free(err);
    struct gpt_req q = {.path = "/metrics", .no_record = true};
    struct gpt_resp r;
    gpt_http(srv.port, &q, &r);
    char want[96];
    snprintf(want, sizeof want, "glasplade_source_unmapped_codes{source=\"hl7\"} %ld", unmapped);
    ck_assert_msg(strstr(r.body, want), "%s", r.body);
    gpt_resp_free(&r);
}
END_TEST

/* A server that ignores the patient filter answers about other patients: refused whole, with
 * nothing stored; said in an OperationOutcome, refused too; a patient search that ignores the
 * identifier is refused before anything more is asked. */
START_TEST(refusals)
{
    const char *cpr = cpr_of_subject("Patient/example");
    atomic_store(&fs.misbehave, M_IGNORE_PATIENT);
    press_refused(cpr, "not the citizen asked");
    atomic_store(&fs.misbehave, M_IGNORE_PATIENT_SAID);
    press_refused(cpr, "did not apply the search as asked");
    atomic_store(&fs.misbehave, M_IGNORE_IDENTIFIER);
    int before = atomic_load(&fs.requests);
    press_refused(cpr, "does not carry the CPR asked");
    ck_assert_int_eq(atomic_load(&fs.requests) - before, 1); /* only the patient search */
    /* An error answer's OperationOutcome, its CPR masked. */
    atomic_store(&fs.misbehave, M_ERROR_400);
    press_refused(cpr, "HTTP 400: OperationOutcome: Search parameter 'patient' is not "
                       "supported here (asked about 010170xxxx)");
    /* The legacy media type is FHIR JSON all the same. */
    atomic_store(&fs.misbehave, M_LEGACY_MEDIA_TYPE);
    press_ok(cpr);
    atomic_store(&fs.misbehave, M_NONE);
    press_ok(cpr);
    /* /v1/sources shows the last outcome: the press found nothing wrong now. */
    struct gpt_req q = {.path = "/v1/sources", .route = "/v1/sources", .token = tok_admin};
    struct gpt_resp r;
    atomic_store(&fs.misbehave, M_IGNORE_PATIENT);
    struct gpt_resp pr;
    press(cpr, &pr);
    gpt_resp_free(&pr);
    atomic_store(&fs.misbehave, M_NONE);
    gpt_http(srv.port, &q, &r);
    ck_assert_int_eq(r.status, 200);
    size_t i;
    json_t *s;
    json_array_foreach(json_object_get(r.json, "sources"), i, s)
    {
        if (strcmp(str(s, "id"), "hl7") != 0)
            continue;
        json_t *h = json_object_get(s, "health");
        ck_assert_str_eq(str(h, "last_status"), "error");
        ck_assert_msg(strstr(str(h, "last_error"), "unusable answer"), "%s", str(h, "last_error"));
    }
    gpt_resp_free(&r);
}
END_TEST

/* Each kind of credentials against a server that demands it; the secret never shown. */
START_TEST(credentials)
{
    const char *cpr = cpr_of_subject("Patient/f001");
    char pw_ref[128], ca[128], cert[128], key[128];
    snprintf(pw_ref, sizeof pw_ref, "file:%s/basic-password", tmpdir);
    snprintf(ca, sizeof ca, "%s/ca.pem", tmpdir);
    snprintf(cert, sizeof cert, "%s/client.pem", tmpdir);
    snprintf(key, sizeof key, "%s/client.key", tmpdir);

    /* Bearer: without it, a 401 and its challenge; with it, the answer. */
    atomic_store(&fs.demand, D_BEARER);
    press_refused(cpr, "HTTP 401 (WWW-Authenticate: Bearer realm=\"hl7\")");
    const char *bearer[] = {"--auth", "bearer", "--secret", "env:HL7_BEARER", NULL};
    register_hl7(&fs, bearer);
    press_ok(cpr);

    /* Basic, the password in a file. */
    atomic_store(&fs.demand, D_BASIC);
    press_refused(cpr, "HTTP 401 (WWW-Authenticate: Basic realm=\"hl7\")");
    const char *basic[] = {"--auth", "basic", "--user", BASIC_USER, "--secret", pw_ref, NULL};
    register_hl7(&fs, basic);
    press_ok(cpr);

    /* OAuth 2.0 client credentials: one token for many presses; a revoked token is replaced
     * once, on the 401; a wrong client secret is the token endpoint's error. */
    atomic_store(&fs.demand, D_OAUTH2);
    char token_url[128];
    snprintf(token_url, sizeof token_url, "http://127.0.0.1:%d/token", fs.port);
    const char *oauth[] = {"--auth",      "oauth2_client_credentials",
                           "--client-id", CLIENT_ID,
                           "--secret",    "env:HL7_CLIENT_SECRET",
                           "--token-url", token_url,
                           "--scope",     "fhir/read",
                           NULL};
    register_hl7(&fs, oauth);
    int t0 = atomic_load(&fs.token_requests);
    press_ok(cpr);
    press_ok(cpr);
    press_ok(cpr);
    ck_assert_int_eq(atomic_load(&fs.token_requests) - t0, 1);
    atomic_fetch_add(&fs.token_gen, 1); /* every token issued is revoked */
    int u0 = atomic_load(&fs.unauthorised);
    press_ok(cpr);
    ck_assert_int_eq(atomic_load(&fs.token_requests) - t0, 2);
    ck_assert_int_ge(atomic_load(&fs.unauthorised) - u0, 1);
    const char *wrong[] = {"--auth",      "oauth2_client_credentials",
                           "--client-id", CLIENT_ID,
                           "--secret",    "env:HL7_WRONG_SECRET",
                           "--token-url", token_url,
                           "--scope",     "fhir/read",
                           NULL};
    register_hl7(&fs, wrong);
    press_refused(cpr, "OAuth 2.0 token request: the token endpoint answered HTTP 401: "
                       "invalid_client (client authentication failed)");

    /* A client certificate, over HTTPS with a private CA. */
    atomic_store(&fs_tls.demand, D_MTLS);
    const char *none[] = {"--ca", ca, NULL};
    register_hl7(&fs_tls, none);
    press_refused(cpr, "HTTP 403");
    const char *mtls[] = {"--auth", "mtls", "--cert", cert, "--key", key, "--ca", ca, NULL};
    register_hl7(&fs_tls, mtls);
    press_ok(cpr);

    /* Never a secret in what anyone is shown. */
    const char *list[] = {"source", "list", NULL};
    const char *env[] = {db_env, NULL};
    char *out = NULL;
    ck_assert_int_eq(gpt_glasplade(list, env, &out, NULL), 0);
    ck_assert_msg(strstr(out, "mtls") && !strstr(out, "PRIVATE KEY"), "%s", out);
    free(out);
    register_hl7(&fs, oauth);
    ck_assert_int_eq(gpt_glasplade(list, env, &out, NULL), 0);
    ck_assert_msg(strstr(out, "oauth2_client_credentials") && !strstr(out, CLIENT_SECRET), "%s",
                  out);
    free(out);
    struct gpt_req q = {.path = "/v1/sources", .route = "/v1/sources", .token = tok_admin};
    struct gpt_resp r;
    gpt_http(srv.port, &q, &r);
    ck_assert_msg(!strstr(r.body, CLIENT_SECRET) && !strstr(r.body, BEARER_TOKEN) &&
                      !strstr(r.body, BASIC_PASS) && !strstr(r.body, "HL7_CLIENT_SECRET"),
                  "%s", r.body);
    ck_assert_msg(strstr(r.body, "\"auth\":\"oauth2_client_credentials\""), "%s", r.body);
    gpt_resp_free(&r);

    /* The secret is referenced, never given; credentials never go in the URL. */
    char *err = NULL;
    const char *literal[] = {"--auth", "bearer", "--secret", BEARER_TOKEN, NULL};
    ck_assert_int_eq(source_set(&fs, literal, &err), 2);
    ck_assert_msg(!strstr(err, BEARER_TOKEN), "%s", err);
    free(err);
    const char *args[] = {"source", "set",     "x",
                          "--kind", "fhir-r4", "--department",
                          "region", "--url",   "http://user:" BASIC_PASS "@127.0.0.1:1/r4",
                          NULL};
    ck_assert_int_eq(gpt_glasplade(args, env, NULL, &err), 2);
    ck_assert_msg(strstr(err, "user information") && !strstr(err, BASIC_PASS), "%s", err);
    free(err);
    atomic_store(&fs.demand, D_NONE);
    register_hl7(&fs, NULL);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("fhir");
    TCase *tc = tcase_create("hl7");
    tcase_set_timeout(tc, 300);
    tcase_add_unchecked_fixture(tc, setup, teardown);
    tcase_add_checked_fixture(tc, servers_up, servers_down);
    tcase_add_test(tc, hl7_examples_in_out_classified);
    tcase_add_test(tc, refusals);
    tcase_add_test(tc, credentials);
    suite_add_tcase(s, tc);
    return gpt_run_suite(s);
}
