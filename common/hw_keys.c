/* The appliance key file: "hallwatch-key-v1 ed25519\n<32-byte seed as hex>\n", mode 0600. The
 * seed alone is stored (libsodium derives the pair from it), so the file is small and readable
 * by an operator. Written with temp file + fsync + link + fsync of the folder. */
#include "common/hw_keys.h"
#include "common/hw_file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(hw - key - error - quark, hw_key_error)

#define KEY_MAGIC "hallwatch-key-v1 ed25519\n"
#define KEY_FILE_MAX 256 /* a key file is ~90 bytes; anything much longer is not one */

struct HwKey {
  unsigned char pk[crypto_sign_PUBLICKEYBYTES];
  unsigned char sk[crypto_sign_SECRETKEYBYTES];
  char pk_hex[HW_KEY_PUBLIC_HEX_LEN + 1];
};

static bool crypto_ready(GError **error)
{
  if (sodium_init() < 0) {
    g_set_error(error, HW_KEY_ERROR, HW_KEY_ERROR_CRYPTO, "libsodium cannot be initialised");
    return false;
  }
  return true;
}

char *hw_key_path_for_database(const char *database_path)
{
  g_return_val_if_fail(database_path != NULL, NULL);
  return g_strconcat(database_path, ".key", NULL);
}

static HwKey *key_from_seed(const unsigned char seed[crypto_sign_SEEDBYTES])
{
  HwKey *key = g_new0(HwKey, 1);
  crypto_sign_seed_keypair(key->pk, key->sk, seed);
  sodium_bin2hex(key->pk_hex, sizeof key->pk_hex, key->pk, sizeof key->pk);
  return key;
}

void hw_key_free(HwKey *key)
{
  if (key == NULL)
    return;
  sodium_memzero(key, sizeof *key);
  g_free(key);
}

const char *hw_key_public_hex(const HwKey *key)
{
  g_return_val_if_fail(key != NULL, NULL);
  return key->pk_hex;
}

void hw_key_sign(const HwKey *key, const void *msg, size_t len,
                 char ret_signature_hex[HW_KEY_SIGNATURE_HEX_LEN + 1])
{
  unsigned char sig[crypto_sign_BYTES];
  crypto_sign_detached(sig, NULL, msg, len, key->sk);
  sodium_bin2hex(ret_signature_hex, HW_KEY_SIGNATURE_HEX_LEN + 1, sig, sizeof sig);
}

static bool unhex(const char *hex, unsigned char *out, size_t n)
{
  size_t got = 0;
  return hex != NULL && strlen(hex) == 2 * n &&
         sodium_hex2bin(out, n, hex, 2 * n, NULL, &got, NULL) == 0 && got == n;
}

bool hw_key_verify(const char *public_hex, const void *msg, size_t len, const char *signature_hex)
{
  unsigned char pk[crypto_sign_PUBLICKEYBYTES], sig[crypto_sign_BYTES];
  if (sodium_init() < 0 || !unhex(public_hex, pk, sizeof pk) ||
      !unhex(signature_hex, sig, sizeof sig))
    return false;
  return crypto_sign_verify_detached(sig, msg, len, pk) == 0;
}

/* The DER prefix of an Ed25519 SubjectPublicKeyInfo (RFC 8410); the 32 key bytes follow. */
static const unsigned char ed25519_spki_prefix[] = {0x30, 0x2a, 0x30, 0x05, 0x06, 0x03,
                                                    0x2b, 0x65, 0x70, 0x03, 0x21, 0x00};

static bool spki_der(const char *public_hex, unsigned char der[sizeof ed25519_spki_prefix + 32])
{
  memcpy(der, ed25519_spki_prefix, sizeof ed25519_spki_prefix);
  return sodium_init() >= 0 && unhex(public_hex, der + sizeof ed25519_spki_prefix, 32);
}

char *hw_key_public_pem(const char *public_hex)
{
  unsigned char der[sizeof ed25519_spki_prefix + 32];
  if (!spki_der(public_hex, der))
    return NULL;
  g_autofree char *b64 = g_base64_encode(der, sizeof der);
  return g_strdup_printf("-----BEGIN PUBLIC KEY-----\n%s\n-----END PUBLIC KEY-----\n", b64);
}

bool hw_key_fingerprint(const char *public_hex, char ret_hex[65])
{
  unsigned char der[sizeof ed25519_spki_prefix + 32], h[crypto_hash_sha256_BYTES];
  if (!spki_der(public_hex, der))
    return false;
  crypto_hash_sha256(h, der, sizeof der);
  sodium_bin2hex(ret_hex, 65, h, sizeof h);
  return true;
}

/* ---- the file -------------------------------------------------------------------------------- */

HwKey *hw_key_load(const char *path, GError **error)
{
  g_return_val_if_fail(path != NULL, NULL);
  if (!crypto_ready(error))
    return NULL;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, HW_KEY_ERROR, e == ENOENT ? HW_KEY_ERROR_MISSING : HW_KEY_ERROR_IO,
                "key file %s: %s", path, g_strerror(e));
    return NULL;
  }
  struct stat st;
  char buf[KEY_FILE_MAX + 1];
  ssize_t n = -1;
  int e = 0;
  if (fstat(fd, &st) == 0)
    n = read(fd, buf, KEY_FILE_MAX);
  e = errno;
  close(fd);
  if (n < 0) {
    g_set_error(error, HW_KEY_ERROR, HW_KEY_ERROR_IO, "key file %s: %s", path, g_strerror(e));
    return NULL;
  }
  if ((st.st_mode & 077) != 0) {
    g_set_error(error, HW_KEY_ERROR, HW_KEY_ERROR_MODE,
                "key file %s has mode %04o: others than its owner may read it (chmod 600 if it "
                "was never exposed; otherwise treat the key as compromised)",
                path, (unsigned)(st.st_mode & 07777));
    return NULL;
  }
  buf[n] = '\0';
  unsigned char seed[crypto_sign_SEEDBYTES];
  size_t magic = strlen(KEY_MAGIC);
  bool ok = (size_t)n == magic + 2 * sizeof seed + 1 && memcmp(buf, KEY_MAGIC, magic) == 0 &&
            buf[n - 1] == '\n';
  if (ok) {
    buf[n - 1] = '\0';
    ok = unhex(buf + magic, seed, sizeof seed);
  }
  sodium_memzero(buf, sizeof buf);
  if (!ok) {
    g_set_error(error, HW_KEY_ERROR, HW_KEY_ERROR_FORMAT,
                "key file %s is not a HallWatch key (expected \"%.*s\" and a 64-digit hex seed)",
                path, (int)magic - 1, KEY_MAGIC);
    return NULL;
  }
  HwKey *key = key_from_seed(seed);
  sodium_memzero(seed, sizeof seed);
  return key;
}

/* Writes a fresh key into place unless one exists. Returns 1 created, 0 one appeared meanwhile,
 * -1 error. */
static int create_key_file(const char *path, GError **error)
{
  unsigned char seed[crypto_sign_SEEDBYTES];
  char text[sizeof KEY_MAGIC + 2 * sizeof seed + 2];
  randombytes_buf(seed, sizeof seed);
  g_strlcpy(text, KEY_MAGIC, sizeof text);
  sodium_bin2hex(text + strlen(KEY_MAGIC), 2 * sizeof seed + 1, seed, sizeof seed);
  g_strlcat(text, "\n", sizeof text);
  sodium_memzero(seed, sizeof seed);
  g_autoptr(GError) local = NULL;
  int result = hw_file_create_durable(path, text, strlen(text), 0600, &local);
  sodium_memzero(text, sizeof text);
  if (result < 0)
    g_set_error(error, HW_KEY_ERROR, HW_KEY_ERROR_IO, "key file: %s", local->message);
  return result;
}

HwKey *hw_key_load_or_create(const char *path, bool *ret_created, GError **error)
{
  g_return_val_if_fail(path != NULL, NULL);
  g_autoptr(GError) local = NULL;
  HwKey *key = hw_key_load(path, &local);
  if (key != NULL || local->code != HW_KEY_ERROR_MISSING) {
    if (key == NULL)
      g_propagate_error(error, g_steal_pointer(&local));
    else if (ret_created != NULL)
      *ret_created = false;
    return key;
  }
  int created = create_key_file(path, error);
  if (created < 0)
    return NULL;
  key = hw_key_load(path, error);
  if (key != NULL && ret_created != NULL)
    *ret_created = created == 1;
  return key;
}
