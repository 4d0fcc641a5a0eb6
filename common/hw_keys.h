/* The appliance key: one Ed25519 key pair (libsodium) per HallWatch installation, kept in a file
 * next to the database ("<database>.key", mode 0600), made at first start. It signs the audit
 * log's head and (later) evidence exports; anyone holding the public key can check those. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

G_BEGIN_DECLS

#define HW_KEY_ERROR (hw_key_error_quark())
GQuark hw_key_error_quark(void);

typedef enum {
  HW_KEY_ERROR_IO,      /* the file cannot be read, written or synced */
  HW_KEY_ERROR_MISSING, /* no key file (hw_key_load only) */
  HW_KEY_ERROR_FORMAT,  /* the file is not a HallWatch key */
  HW_KEY_ERROR_MODE,    /* the file is readable by others than its owner */
  HW_KEY_ERROR_CRYPTO,  /* libsodium cannot be initialised */
} HwKeyError;

#define HW_KEY_PUBLIC_HEX_LEN 64     /* 32 bytes */
#define HW_KEY_SIGNATURE_HEX_LEN 128 /* 64 bytes */

typedef struct HwKey HwKey;

/* "<database_path>.key" (g_free). */
char *hw_key_path_for_database(const char *database_path);

/* Loads the key at path; if there is none, makes one and writes it crash-safely (a temporary file
 * in the same folder, fsync, link into place without replacing a key another process wrote
 * meanwhile, fsync of the folder). *ret_created (nullable) says which happened. A file that
 * others than its owner may read is refused (HW_KEY_ERROR_MODE): the key would no longer prove
 * anything. Returns a new key (hw_key_free) or NULL with error set. */
HwKey *hw_key_load_or_create(const char *path, bool *ret_created, GError **error);

/* Loads an existing key; no file: HW_KEY_ERROR_MISSING. */
HwKey *hw_key_load(const char *path, GError **error);

void hw_key_free(HwKey *key);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HwKey, hw_key_free)

/* The public key as 64 lowercase hex characters (transfer none, lives as long as key). */
const char *hw_key_public_hex(const HwKey *key);

/* Signs msg; writes 128 lowercase hex characters and a NUL into ret_signature_hex. */
void hw_key_sign(const HwKey *key, const void *msg, size_t len,
                 char ret_signature_hex[HW_KEY_SIGNATURE_HEX_LEN + 1]);

/* Checks a hex signature of msg against a hex public key. False for a bad signature and for
 * malformed hex alike. */
bool hw_key_verify(const char *public_hex, const void *msg, size_t len, const char *signature_hex);

/* The public key hex as a PEM SubjectPublicKeyInfo (RFC 8410), what OpenSSL reads with -pubin
 * (g_free); NULL for malformed hex. */
char *hw_key_public_pem(const char *public_hex);

/* The key's fingerprint: lowercase hex SHA-256 of its DER SubjectPublicKeyInfo, i.e. what
 * `openssl pkey -pubin -in key.pem -outform DER | sha256sum` prints. false for malformed hex. */
bool hw_key_fingerprint(const char *public_hex, char ret_hex[65]);

G_END_DECLS
