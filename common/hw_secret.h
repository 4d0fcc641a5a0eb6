/* The appliance's secret box: one symmetric key (libsodium secretbox, XSalsa20-Poly1305) kept in a
 * file next to the database ("<database>.secret", mode 0600, made crash-safely at first use). It
 * seals camera credentials before they reach the store, so a copied database file holds none. */
#pragma once

#include <glib.h>
#include <stdbool.h>

G_BEGIN_DECLS

#define HW_SECRET_ERROR (hw_secret_error_quark())
GQuark hw_secret_error_quark(void);

typedef enum {
  HW_SECRET_ERROR_IO,     /* the key file cannot be read, written or synced */
  HW_SECRET_ERROR_FORMAT, /* the key file is not a HallWatch secret, or a box does not open */
  HW_SECRET_ERROR_MODE,   /* the key file is readable by others than its owner */
  HW_SECRET_ERROR_CRYPTO, /* libsodium cannot be initialised */
} HwSecretError;

typedef struct HwSecret HwSecret;

/* "<database_path>.secret" (g_free). */
char *hw_secret_path_for_database(const char *database_path);

/* Loads the key at path, or makes one (temporary file, fsync, link into place without replacing a
 * key another process wrote meanwhile, fsync of the folder). A file others may read is refused.
 * Returns a new HwSecret (hw_secret_free) or NULL with error set. */
HwSecret *hw_secret_load_or_create(const char *path, GError **error);
void hw_secret_free(HwSecret *secret);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HwSecret, hw_secret_free)

/* Seals a username/password pair (either may be NULL, both NULL gives NULL) into nonce ‖ box
 * (transfer full). Thread-safe. */
GBytes *hw_secret_seal_credentials(const HwSecret *secret, const char *username,
                                   const char *password);

/* Opens what hw_secret_seal_credentials made: *ret_username / *ret_password (g_free; the password
 * should be wiped first) are set, NULL where none was sealed. FALSE with error if the box does not
 * open (another key, or tampered). Thread-safe. */
bool hw_secret_open_credentials(const HwSecret *secret, const void *box, size_t len,
                                char **ret_username, char **ret_password, GError **error);

G_END_DECLS
