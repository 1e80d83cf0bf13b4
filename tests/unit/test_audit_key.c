/* Signed audit checkpoints without a database: Ed25519 keys (made in a temporary folder), what
 * is signed, which alterations the check catches, and the checkpoint file's line format. */
#include "lib/sharing/audit_key.h"

#include <check.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static char dir[64];
static char priv[256], pub[256], priv2[256], pub2[256];

static void setup(void)
{
    snprintf(dir, sizeof dir, "/tmp/gp-audit-key-XXXXXX");
    ck_assert_ptr_nonnull(mkdtemp(dir));
    snprintf(priv, sizeof priv, "%s/key.pem", dir);
    snprintf(pub, sizeof pub, "%s/key.pem.pub", dir);
    snprintf(priv2, sizeof priv2, "%s/other.pem", dir);
    snprintf(pub2, sizeof pub2, "%s/other.pem.pub", dir);
    char err[256];
    char *pem = NULL;
    ck_assert_msg(gp_audit_key_generate(priv, pub, &pem, err, sizeof err), "%s", err);
    ck_assert_ptr_nonnull(strstr(pem, "-----BEGIN PUBLIC KEY-----"));
    free(pem);
    ck_assert_msg(gp_audit_key_generate(priv2, pub2, NULL, err, sizeof err), "%s", err);
}

static void teardown(void)
{
    unlink(priv);
    unlink(pub);
    unlink(priv2);
    unlink(pub2);
    rmdir(dir);
}

static struct gp_audit_key *load_priv(const char *path)
{
    char err[256];
    struct gp_audit_key *k = gp_audit_key_load_private(path, err, sizeof err);
    ck_assert_msg(k != NULL, "%s", err);
    return k;
}

static void fill(struct gp_audit_checkpoint *cp)
{
    memset(cp, 0, sizeof *cp);
    cp->last_id = 1042;
    cp->last_seq = 1000;
    cp->from_seq = 998;
    snprintf(cp->chain_hash, sizeof cp->chain_hash, "%064d", 7);
    cp->rows = strdup("1040:00112233aabbccdd,1042:0000000000000007");
    snprintf(cp->signed_at, sizeof cp->signed_at, "2026-11-25T10:00:00.000001Z");
}

START_TEST(keys_are_private_to_their_owner_and_never_overwritten)
{
    struct stat st;
    ck_assert_int_eq(stat(priv, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0600);
    ck_assert_int_eq(stat(pub, &st), 0);
    ck_assert_uint_eq(st.st_mode & 0777, 0644);
    char err[256];
    ck_assert(!gp_audit_key_generate(priv, pub, NULL, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "never overwritten"));
    /* A private key others can read is refused. */
    ck_assert_int_eq(chmod(priv, 0640), 0);
    ck_assert_ptr_null(gp_audit_key_load_private(priv, err, sizeof err));
    ck_assert_ptr_nonnull(strstr(err, "chmod 600"));
    ck_assert_int_eq(chmod(priv, 0600), 0);
    /* The public key file and the private key have the same public half. */
    struct gp_audit_key *k = load_priv(priv);
    struct gp_audit_key *p = gp_audit_key_load_public(pub, err, sizeof err);
    ck_assert_msg(p != NULL, "%s", err);
    char a[65], b[65];
    gp_audit_key_public_hex(k, a);
    gp_audit_key_public_hex(p, b);
    ck_assert_str_eq(a, b);
    ck_assert_uint_eq(strlen(a), 64);
    struct gp_audit_key *h = gp_audit_key_from_hex(a);
    ck_assert_ptr_nonnull(h);
    ck_assert_ptr_null(gp_audit_key_from_hex("zz"));
    /* Which key a verifier uses: the public file given, else the private key's half. */
    struct gp_audit_key *v = gp_audit_key_for_verify(priv2, pub, err, sizeof err);
    gp_audit_key_public_hex(v, b);
    ck_assert_str_eq(a, b);
    gp_audit_key_free(v);
    ck_assert_ptr_null(gp_audit_key_for_verify("/nonexistent/key.pem", NULL, err, sizeof err));
    ck_assert_str_eq(err, "");
    gp_audit_key_free(h);
    gp_audit_key_free(p);
    gp_audit_key_free(k);
}
END_TEST

START_TEST(a_signed_checkpoint_verifies_and_any_change_does_not)
{
    struct gp_audit_key *k = load_priv(priv), *other = load_priv(priv2);
    char err[256];
    struct gp_audit_key *p = gp_audit_key_load_public(pub, err, sizeof err);
    struct gp_audit_checkpoint cp;
    fill(&cp);
    ck_assert(gp_audit_checkpoint_sign(&cp, k));
    ck_assert_uint_eq(strlen(cp.signature), 128);
    ck_assert_int_eq(gp_audit_checkpoint_check(&cp, p), GP_CHECKPOINT_VALID);
    ck_assert_int_eq(gp_audit_checkpoint_check(&cp, other), GP_CHECKPOINT_OTHER_KEY);
    /* A public key cannot sign. */
    struct gp_audit_checkpoint c2;
    fill(&c2);
    ck_assert(!gp_audit_checkpoint_sign(&c2, p));
    gp_audit_checkpoint_clear(&c2);

    /* Each signed field, changed, breaks the signature. */
    struct gp_audit_checkpoint t = cp;
    t.last_id++;
    ck_assert_int_eq(gp_audit_checkpoint_check(&t, p), GP_CHECKPOINT_BAD_SIGNATURE);
    t = cp;
    t.last_seq++;
    ck_assert_int_eq(gp_audit_checkpoint_check(&t, p), GP_CHECKPOINT_BAD_SIGNATURE);
    t = cp;
    t.from_seq--;
    ck_assert_int_eq(gp_audit_checkpoint_check(&t, p), GP_CHECKPOINT_BAD_SIGNATURE);
    t = cp;
    t.chain_hash[0] = '1';
    ck_assert_int_eq(gp_audit_checkpoint_check(&t, p), GP_CHECKPOINT_BAD_SIGNATURE);
    t = cp;
    t.signed_at[3] = '7';
    ck_assert_int_eq(gp_audit_checkpoint_check(&t, p), GP_CHECKPOINT_BAD_SIGNATURE);
    t = cp;
    t.signature[5] = t.signature[5] == '0' ? '1' : '0';
    ck_assert_int_eq(gp_audit_checkpoint_check(&t, p), GP_CHECKPOINT_BAD_SIGNATURE);
    /* The rows are covered through their digest. */
    t = cp;
    char rows[] = "1040:00112233aabbccdd,1042:0000000000000008";
    t.rows = rows;
    ck_assert_int_eq(gp_audit_checkpoint_check(&t, p), GP_CHECKPOINT_BAD_ROWS);
    /* Re-signed by another key, it no longer passes for ours. */
    t = cp;
    t.rows = strdup(cp.rows);
    ck_assert(gp_audit_checkpoint_sign(&t, other));
    ck_assert_int_eq(gp_audit_checkpoint_check(&t, p), GP_CHECKPOINT_OTHER_KEY);
    /* ... even claiming our key. */
    memcpy(t.public_key, cp.public_key, sizeof t.public_key);
    ck_assert_int_eq(gp_audit_checkpoint_check(&t, p), GP_CHECKPOINT_BAD_SIGNATURE);
    gp_audit_checkpoint_clear(&t);

    char msg[512];
    gp_audit_checkpoint_message(&cp, msg, sizeof msg);
    ck_assert_ptr_nonnull(
        strstr(msg, "glasplade-audit-checkpoint/1\nlast_id=1042\nlast_seq=1000\n"));
    gp_audit_checkpoint_clear(&cp);
    gp_audit_checkpoint_clear(&cp); /* idempotent */
    gp_audit_key_free(p);
    gp_audit_key_free(k);
    gp_audit_key_free(other);
}
END_TEST

START_TEST(checkpoint_lines_round_trip)
{
    struct gp_audit_key *k = load_priv(priv);
    struct gp_audit_checkpoint cp, back;
    fill(&cp);
    ck_assert(gp_audit_checkpoint_sign(&cp, k));
    char *line = gp_audit_checkpoint_to_json(&cp);
    ck_assert_ptr_null(strchr(line, '\n'));
    char err[128];
    ck_assert_msg(gp_audit_checkpoint_from_json(line, &back, err, sizeof err), "%s", err);
    ck_assert_int_eq(back.last_id, cp.last_id);
    ck_assert_int_eq(back.last_seq, cp.last_seq);
    ck_assert_int_eq(back.from_seq, cp.from_seq);
    ck_assert_str_eq(back.rows, cp.rows);
    ck_assert_str_eq(back.signature, cp.signature);
    ck_assert_int_eq(gp_audit_checkpoint_check(&back, k), GP_CHECKPOINT_VALID);
    gp_audit_checkpoint_clear(&back);
    free(line);

    static const char *const bad[] = {
        "",
        "[]",
        "{\"v\":2}",
        "{\"v\":1,\"last_id\":1,\"last_seq\":1,\"from_seq\":1,\"chain_hash\":\"00\"}",
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        ck_assert_msg(!gp_audit_checkpoint_from_json(bad[i], &back, err, sizeof err), "%s", bad[i]);
        ck_assert_ptr_null(back.rows);
    }
    gp_audit_checkpoint_clear(&cp);
    gp_audit_key_free(k);
}
END_TEST

int main(void)
{
    Suite *s = suite_create("audit_key");
    TCase *tc = tcase_create("checkpoints");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, keys_are_private_to_their_owner_and_never_overwritten);
    tcase_add_test(tc, a_signed_checkpoint_verifies_and_any_change_does_not);
    tcase_add_test(tc, checkpoint_lines_round_trip);
    suite_add_tcase(s, tc);
    SRunner *sr = srunner_create(s);
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed ? EXIT_FAILURE : EXIT_SUCCESS;
}
