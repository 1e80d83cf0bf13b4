/* Signed checkpoints of the audit chain: the Ed25519 key (OpenSSL's EVP interface; no
 * cryptography of our own) and the checkpoint itself — what is signed, and its form as one JSON
 * line of the checkpoint file outside the database. No database here: lib/sharing/audit.c makes
 * checkpoints from the chain and checks the chain against them.
 *
 * A checkpoint says: "the chain's entry at position last_seq is the row last_id, and its hash
 * is chain_hash; the entries after from_seq are `rows`", signed at signed_at. `rows` lists each
 * entry as "<id>:<first 16 hex digits of its row_hash>", comma-separated, in chain order, so
 * that a verifier holding the checkpoints names the first rewritten row, not only the first
 * checkpoint that no longer matches. */
#ifndef GP_AUDIT_KEY_H
#define GP_AUDIT_KEY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A key: a private key (signs and verifies) or a public key only (verifies). */
struct gp_audit_key;

/* Makes a new key pair: the private key to priv_path (PKCS#8 PEM, created with mode 0600; an
 * existing file is never overwritten) and the public key to pub_path (SubjectPublicKeyInfo PEM,
 * mode 0644; replaced if present). On success, *pub_pem (if not NULL) receives the public key's
 * PEM text (malloc'd). On failure returns false with the reason in err. */
bool gp_audit_key_generate(const char *priv_path, const char *pub_path, char **pub_pem, char *err,
                           size_t errlen);

/* Loads a private key (PEM, as gp_audit_key_generate writes it). NULL and a reason on failure,
 * also when the file is readable by others than its owner (mode & 077). */
struct gp_audit_key *gp_audit_key_load_private(const char *path, char *err, size_t errlen);
/* Loads a public key (PEM); NULL and a reason on failure. */
struct gp_audit_key *gp_audit_key_load_public(const char *path, char *err, size_t errlen);
/* A public key from its 64 hex digits (as checkpoints carry it); NULL if malformed. */
struct gp_audit_key *gp_audit_key_from_hex(const char *hex);
void gp_audit_key_free(struct gp_audit_key *k);

/* The key a verifier checks checkpoints with: the public key in pub_path when given (an error
 * if it cannot be read), else the public half of the private key in priv_path, else the public
 * key in "<priv_path>.pub" (as gp_audit_key_generate names it by default). NULL without an
 * error (err "") when none of them exists. */
struct gp_audit_key *gp_audit_key_for_verify(const char *priv_path, const char *pub_path, char *err,
                                             size_t errlen);

/* The raw public key in 64 lowercase hex digits. */
void gp_audit_key_public_hex(const struct gp_audit_key *k, char out[65]);

struct gp_audit_checkpoint {
    int64_t last_id;
    int64_t last_seq;
    int64_t from_seq;
    char chain_hash[65]; /* hex */
    char *rows;          /* malloc'd, owned; "" when from_seq == last_seq */
    char rows_sha256[65];
    char signed_at[40]; /* ISO 8601 UTC with microseconds */
    char public_key[65];
    char signature[129];
};

/* The exact bytes that are signed (all fields but rows itself, public_key and signature). */
size_t gp_audit_checkpoint_message(const struct gp_audit_checkpoint *cp, char *buf, size_t len);

/* Fills rows_sha256 from rows, public_key from k, and signs. False if k has no private key. */
bool gp_audit_checkpoint_sign(struct gp_audit_checkpoint *cp, const struct gp_audit_key *k);

enum gp_audit_checkpoint_check {
    GP_CHECKPOINT_VALID = 0,
    GP_CHECKPOINT_OTHER_KEY,     /* signed by another key than the one given */
    GP_CHECKPOINT_BAD_SIGNATURE, /* the signature does not verify: forged or altered */
    GP_CHECKPOINT_BAD_ROWS,      /* rows does not hash to the signed rows_sha256 */
};
/* Checks cp's signature with the public key k, and rows against rows_sha256. */
enum gp_audit_checkpoint_check gp_audit_checkpoint_check(const struct gp_audit_checkpoint *cp,
                                                         const struct gp_audit_key *k);

/* One line of the checkpoint file: a JSON object without a newline (malloc'd). */
char *gp_audit_checkpoint_to_json(const struct gp_audit_checkpoint *cp);
/* Parses such a line into *cp (cp->rows malloc'd); false with a reason when malformed. */
bool gp_audit_checkpoint_from_json(const char *line, struct gp_audit_checkpoint *cp, char *err,
                                   size_t errlen);
/* Frees cp->rows. Accepts NULL; idempotent. */
void gp_audit_checkpoint_clear(struct gp_audit_checkpoint *cp);

/* sha256 of len bytes as 64 hex digits. */
void gp_audit_sha256_hex(const void *data, size_t len, char out[65]);

#endif
