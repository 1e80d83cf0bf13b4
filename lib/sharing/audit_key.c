#include "lib/sharing/audit_key.h"

#include "lib/core/alloc.h"

#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

struct gp_audit_key {
    EVP_PKEY *pkey;
    bool has_private;
};

static void openssl_reason(char *err, size_t errlen, const char *what)
{
    unsigned long e = ERR_get_error();
    char buf[256] = "unknown reason";
    if (e)
        ERR_error_string_n(e, buf, sizeof buf);
    ERR_clear_error();
    snprintf(err, errlen, "%s: %s", what, buf);
}

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

static int hex_digit(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    return -1; /* upper case is not ours: the hex we write and sign is lower case */
}

/* Exactly 2 * n lowercase hex digits into n bytes. */
static bool from_hex(const char *s, unsigned char *out, size_t n)
{
    if (strlen(s) != 2 * n)
        return false;
    for (size_t i = 0; i < n; i++) {
        int hi = hex_digit(s[2 * i]), lo = hex_digit(s[2 * i + 1]);
        if (hi < 0 || lo < 0)
            return false;
        out[i] = (unsigned char)(hi << 4 | lo);
    }
    return true;
}

void gp_audit_sha256_hex(const void *data, size_t len, char out[65])
{
    unsigned char md[32];
    unsigned int mdlen = 0;
    EVP_Digest(data, len, md, &mdlen, EVP_sha256(), NULL);
    to_hex(md, 32, out);
}

/* ---- keys ---- */

/* Creates the folder a key file goes into when it is missing (one level, mode 0700). */
static void make_parent(const char *path)
{
    char dir[1024];
    snprintf(dir, sizeof dir, "%s", path);
    char *slash = strrchr(dir, '/');
    if (!slash || slash == dir)
        return;
    *slash = '\0';
    mkdir(dir, 0700); /* EEXIST is fine; any other failure shows when the file is opened */
}

bool gp_audit_key_generate(const char *priv_path, const char *pub_path, char **pub_pem, char *err,
                           size_t errlen)
{
    bool ok = false;
    FILE *f = NULL;
    BIO *mem = NULL;
    EVP_PKEY *pkey = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
    if (!pkey) {
        openssl_reason(err, errlen, "cannot generate an Ed25519 key");
        return false;
    }
    make_parent(priv_path);
    int fd = open(priv_path, O_WRONLY | O_CREAT | O_EXCL, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot create %s: %s%s", priv_path, strerror(errno),
                 errno == EEXIST ? " (a key is never overwritten: move the old one away first)"
                                 : "");
        goto cleanup;
    }
    f = fdopen(fd, "w");
    if (!f) {
        close(fd);
        snprintf(err, errlen, "cannot write %s: %s", priv_path, strerror(errno));
        goto cleanup;
    }
    if (fchmod(fd, 0600) != 0 || !PEM_write_PrivateKey(f, pkey, NULL, NULL, 0, NULL, NULL) ||
        fflush(f) != 0 || fsync(fd) != 0) {
        openssl_reason(err, errlen, "cannot write the private key");
        fclose(f);
        f = NULL;
        unlink(priv_path);
        goto cleanup;
    }
    fclose(f);
    f = NULL;
    make_parent(pub_path);
    f = fopen(pub_path, "w");
    if (!f || fchmod(fileno(f), 0644) != 0 || !PEM_write_PUBKEY(f, pkey) || fflush(f) != 0) {
        snprintf(err, errlen, "cannot write the public key to %s: %s", pub_path, strerror(errno));
        goto cleanup;
    }
    if (pub_pem) {
        mem = BIO_new(BIO_s_mem());
        char *data = NULL;
        long n = mem && PEM_write_bio_PUBKEY(mem, pkey) ? BIO_get_mem_data(mem, &data) : 0;
        *pub_pem = gp_xstrndup(data ? data : "", n > 0 ? (size_t)n : 0);
    }
    ok = true;

cleanup:
    if (f)
        fclose(f);
    BIO_free(mem);
    EVP_PKEY_free(pkey);
    return ok;
}

static struct gp_audit_key *wrap(EVP_PKEY *pkey, bool has_private, char *err, size_t errlen,
                                 const char *path)
{
    if (EVP_PKEY_get_id(pkey) != EVP_PKEY_ED25519) {
        snprintf(err, errlen, "%s is not an Ed25519 key", path);
        EVP_PKEY_free(pkey);
        return NULL;
    }
    struct gp_audit_key *k = gp_xcalloc(1, sizeof *k);
    k->pkey = pkey;
    k->has_private = has_private;
    return k;
}

struct gp_audit_key *gp_audit_key_load_private(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    struct stat st;
    if (fstat(fileno(f), &st) != 0 || (st.st_mode & 077)) {
        snprintf(err, errlen, "%s is readable by others than its owner (mode %03o): chmod 600 it",
                 path, (unsigned)(st.st_mode & 0777));
        fclose(f);
        return NULL;
    }
    EVP_PKEY *pkey = PEM_read_PrivateKey(f, NULL, NULL, NULL);
    fclose(f);
    if (!pkey) {
        openssl_reason(err, errlen, "not a PEM private key");
        return NULL;
    }
    return wrap(pkey, true, err, errlen, path);
}

struct gp_audit_key *gp_audit_key_load_public(const char *path, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open %s: %s", path, strerror(errno));
        return NULL;
    }
    EVP_PKEY *pkey = PEM_read_PUBKEY(f, NULL, NULL, NULL);
    fclose(f);
    if (!pkey) {
        openssl_reason(err, errlen, "not a PEM public key");
        return NULL;
    }
    return wrap(pkey, false, err, errlen, path);
}

struct gp_audit_key *gp_audit_key_from_hex(const char *hex)
{
    unsigned char raw[32];
    if (!hex || !from_hex(hex, raw, sizeof raw))
        return NULL;
    EVP_PKEY *pkey = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, raw, sizeof raw);
    if (!pkey) {
        ERR_clear_error();
        return NULL;
    }
    struct gp_audit_key *k = gp_xcalloc(1, sizeof *k);
    k->pkey = pkey;
    return k;
}

struct gp_audit_key *gp_audit_key_for_verify(const char *priv_path, const char *pub_path, char *err,
                                             size_t errlen)
{
    err[0] = '\0';
    if (pub_path && pub_path[0])
        return gp_audit_key_load_public(pub_path, err, errlen);
    if (!priv_path || !priv_path[0])
        return NULL;
    if (access(priv_path, F_OK) == 0)
        return gp_audit_key_load_private(priv_path, err, errlen);
    char pub[1100];
    snprintf(pub, sizeof pub, "%s.pub", priv_path);
    if (access(pub, F_OK) == 0)
        return gp_audit_key_load_public(pub, err, errlen);
    return NULL;
}

void gp_audit_key_free(struct gp_audit_key *k)
{
    if (!k)
        return;
    EVP_PKEY_free(k->pkey);
    free(k);
}

void gp_audit_key_public_hex(const struct gp_audit_key *k, char out[65])
{
    unsigned char raw[32];
    size_t n = sizeof raw;
    if (!EVP_PKEY_get_raw_public_key(k->pkey, raw, &n) || n != sizeof raw) {
        ERR_clear_error();
        out[0] = '\0';
        return;
    }
    to_hex(raw, n, out);
}

/* ---- checkpoints ---- */

size_t gp_audit_checkpoint_message(const struct gp_audit_checkpoint *cp, char *buf, size_t len)
{
    int n = snprintf(buf, len,
                     "glasplade-audit-checkpoint/1\n"
                     "last_id=%lld\n"
                     "last_seq=%lld\n"
                     "chain_hash=%s\n"
                     "from_seq=%lld\n"
                     "rows_sha256=%s\n"
                     "signed_at=%s\n",
                     (long long)cp->last_id, (long long)cp->last_seq, cp->chain_hash,
                     (long long)cp->from_seq, cp->rows_sha256, cp->signed_at);
    return n > 0 ? (size_t)n : 0;
}

bool gp_audit_checkpoint_sign(struct gp_audit_checkpoint *cp, const struct gp_audit_key *k)
{
    if (!k->has_private)
        return false;
    const char *rows = cp->rows ? cp->rows : "";
    gp_audit_sha256_hex(rows, strlen(rows), cp->rows_sha256);
    gp_audit_key_public_hex(k, cp->public_key);
    char msg[512];
    size_t n = gp_audit_checkpoint_message(cp, msg, sizeof msg);
    unsigned char sig[64];
    size_t siglen = sizeof sig;
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestSignInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
              EVP_DigestSign(ctx, sig, &siglen, (const unsigned char *)msg, n) == 1 &&
              siglen == sizeof sig;
    EVP_MD_CTX_free(ctx);
    if (!ok) {
        ERR_clear_error();
        return false;
    }
    to_hex(sig, siglen, cp->signature);
    return true;
}

enum gp_audit_checkpoint_check gp_audit_checkpoint_check(const struct gp_audit_checkpoint *cp,
                                                         const struct gp_audit_key *k)
{
    char ours[65];
    gp_audit_key_public_hex(k, ours);
    if (strcmp(ours, cp->public_key) != 0)
        return GP_CHECKPOINT_OTHER_KEY;
    unsigned char sig[64];
    if (!from_hex(cp->signature, sig, sizeof sig))
        return GP_CHECKPOINT_BAD_SIGNATURE;
    char msg[512];
    size_t n = gp_audit_checkpoint_message(cp, msg, sizeof msg);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    bool ok = ctx && EVP_DigestVerifyInit(ctx, NULL, NULL, NULL, k->pkey) == 1 &&
              EVP_DigestVerify(ctx, sig, sizeof sig, (const unsigned char *)msg, n) == 1;
    EVP_MD_CTX_free(ctx);
    ERR_clear_error();
    if (!ok)
        return GP_CHECKPOINT_BAD_SIGNATURE;
    char rows_sum[65];
    const char *rows = cp->rows ? cp->rows : "";
    gp_audit_sha256_hex(rows, strlen(rows), rows_sum);
    return strcmp(rows_sum, cp->rows_sha256) ? GP_CHECKPOINT_BAD_ROWS : GP_CHECKPOINT_VALID;
}

char *gp_audit_checkpoint_to_json(const struct gp_audit_checkpoint *cp)
{
    json_t *o =
        json_pack("{s:i, s:I, s:I, s:s, s:I, s:s, s:s, s:s, s:s, s:s}", "v", 1, "last_id",
                  (json_int_t)cp->last_id, "last_seq", (json_int_t)cp->last_seq, "chain_hash",
                  cp->chain_hash, "from_seq", (json_int_t)cp->from_seq, "rows_sha256",
                  cp->rows_sha256, "signed_at", cp->signed_at, "public_key", cp->public_key,
                  "signature", cp->signature, "rows", cp->rows ? cp->rows : "");
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(o);
    return s;
}

static bool copy_field(json_t *o, const char *name, char *dst, size_t len, size_t want)
{
    const char *s = json_string_value(json_object_get(o, name));
    if (!s || strlen(s) >= len || (want && strlen(s) != want))
        return false;
    memcpy(dst, s, strlen(s) + 1);
    return true;
}

bool gp_audit_checkpoint_from_json(const char *line, struct gp_audit_checkpoint *cp, char *err,
                                   size_t errlen)
{
    memset(cp, 0, sizeof *cp);
    json_error_t je;
    json_t *o = json_loads(line, 0, &je);
    if (!json_is_object(o)) {
        snprintf(err, errlen, "not a JSON object: %s", o ? "another value" : je.text);
        json_decref(o);
        return false;
    }
    bool ok = json_integer_value(json_object_get(o, "v")) == 1 &&
              json_is_integer(json_object_get(o, "last_id")) &&
              json_is_integer(json_object_get(o, "last_seq")) &&
              json_is_integer(json_object_get(o, "from_seq")) &&
              copy_field(o, "chain_hash", cp->chain_hash, sizeof cp->chain_hash, 64) &&
              copy_field(o, "rows_sha256", cp->rows_sha256, sizeof cp->rows_sha256, 64) &&
              copy_field(o, "signed_at", cp->signed_at, sizeof cp->signed_at, 0) &&
              copy_field(o, "public_key", cp->public_key, sizeof cp->public_key, 64) &&
              copy_field(o, "signature", cp->signature, sizeof cp->signature, 128) &&
              json_is_string(json_object_get(o, "rows"));
    if (ok) {
        cp->last_id = json_integer_value(json_object_get(o, "last_id"));
        cp->last_seq = json_integer_value(json_object_get(o, "last_seq"));
        cp->from_seq = json_integer_value(json_object_get(o, "from_seq"));
        cp->rows = gp_xstrdup(json_string_value(json_object_get(o, "rows")));
        ok = cp->last_seq > cp->from_seq && cp->from_seq >= 0;
    }
    json_decref(o);
    if (!ok) {
        gp_audit_checkpoint_clear(cp);
        snprintf(err, errlen, "not a checkpoint (version 1 with every field)");
    }
    return ok;
}

void gp_audit_checkpoint_clear(struct gp_audit_checkpoint *cp)
{
    if (!cp)
        return;
    free(cp->rows);
    cp->rows = NULL;
}
