/* The secret box (common/hw_secret.h): the key file's life cycle (made once, crash-safely, never
 * replaced) and the sealing of camera credentials. Plain texts are wiped after use. */
#include "common/hw_secret.h"
#include "common/hw_file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(hw - secret - error - quark, hw_secret_error)

#define SECRET_MAGIC "hallwatch-secret-v1\n"
#define SECRET_FILE_LEN (sizeof SECRET_MAGIC - 1 + 2 * crypto_secretbox_KEYBYTES + 1)
/* Credentials are short: a plain text beyond this is refused before sealing. */
#define PLAIN_MAX 512

struct HwSecret {
  unsigned char key[crypto_secretbox_KEYBYTES];
};

char *hw_secret_path_for_database(const char *database_path)
{
  return g_strconcat(database_path, ".secret", NULL);
}

void hw_secret_free(HwSecret *secret)
{
  if (secret == NULL)
    return;
  sodium_memzero(secret->key, sizeof secret->key);
  g_free(secret);
}

static HwSecret *load(const char *path, bool *ret_missing, GError **error)
{
  *ret_missing = false;
  int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    *ret_missing = errno == ENOENT;
    g_set_error(error, HW_SECRET_ERROR, HW_SECRET_ERROR_IO, "secret file %s: %s", path,
                g_strerror(errno));
    return NULL;
  }
  struct stat st;
  char buf[SECRET_FILE_LEN + 1];
  ssize_t n = fstat(fd, &st) == 0 ? read(fd, buf, sizeof buf) : -1;
  int e = errno;
  close(fd);
  if (n < 0) {
    g_set_error(error, HW_SECRET_ERROR, HW_SECRET_ERROR_IO, "secret file %s: %s", path,
                g_strerror(e));
    return NULL;
  }
  if ((st.st_mode & 077) != 0) {
    sodium_memzero(buf, sizeof buf);
    g_set_error(error, HW_SECRET_ERROR, HW_SECRET_ERROR_MODE,
                "secret file %s has mode %04o: others than its owner may read it", path,
                (unsigned)(st.st_mode & 07777));
    return NULL;
  }
  HwSecret *s = g_new0(HwSecret, 1);
  size_t magic = strlen(SECRET_MAGIC);
  size_t bin_len = 0;
  bool ok = (size_t)n == SECRET_FILE_LEN && memcmp(buf, SECRET_MAGIC, magic) == 0 &&
            buf[n - 1] == '\n' &&
            sodium_hex2bin(s->key, sizeof s->key, buf + magic, 2 * sizeof s->key, NULL, &bin_len,
                           NULL) == 0 &&
            bin_len == sizeof s->key;
  sodium_memzero(buf, sizeof buf);
  if (!ok) {
    hw_secret_free(s);
    g_set_error(error, HW_SECRET_ERROR, HW_SECRET_ERROR_FORMAT,
                "secret file %s is not a HallWatch secret", path);
    return NULL;
  }
  return s;
}

/* A fresh key file put in place unless one exists (then that one is kept: the credentials it
 * sealed would no longer open with another). */
static bool create(const char *path, GError **error)
{
  unsigned char key[crypto_secretbox_KEYBYTES];
  char text[SECRET_FILE_LEN + 1];
  crypto_secretbox_keygen(key);
  g_strlcpy(text, SECRET_MAGIC, sizeof text);
  sodium_bin2hex(text + strlen(SECRET_MAGIC), 2 * sizeof key + 1, key, sizeof key);
  g_strlcat(text, "\n", sizeof text);
  sodium_memzero(key, sizeof key);
  g_autoptr(GError) local = NULL;
  int result = hw_file_create_durable(path, text, strlen(text), 0600, &local);
  sodium_memzero(text, sizeof text);
  if (result < 0)
    g_set_error(error, HW_SECRET_ERROR, HW_SECRET_ERROR_IO, "secret file: %s", local->message);
  return result >= 0;
}

HwSecret *hw_secret_load_or_create(const char *path, GError **error)
{
  g_return_val_if_fail(path != NULL, NULL);
  if (sodium_init() < 0) {
    g_set_error(error, HW_SECRET_ERROR, HW_SECRET_ERROR_CRYPTO, "libsodium cannot start");
    return NULL;
  }
  bool missing = false;
  g_autoptr(GError) local = NULL;
  HwSecret *s = load(path, &missing, &local);
  if (s != NULL || !missing) {
    if (s == NULL)
      g_propagate_error(error, g_steal_pointer(&local));
    return s;
  }
  if (!create(path, error))
    return NULL;
  return load(path, &missing, error);
}

/* Plain text: 1 flag byte (bit 0 username, bit 1 password), username, NUL, password. */
GBytes *hw_secret_seal_credentials(const HwSecret *secret, const char *username,
                                   const char *password)
{
  g_return_val_if_fail(secret != NULL, NULL);
  if (username == NULL && password == NULL)
    return NULL;
  size_t ul = username ? strlen(username) : 0, pl = password ? strlen(password) : 0;
  g_return_val_if_fail(ul + pl + 2 <= PLAIN_MAX, NULL);
  unsigned char plain[PLAIN_MAX];
  size_t n = 0;
  plain[n++] = (unsigned char)((username ? 1 : 0) | (password ? 2 : 0));
  memcpy(plain + n, username ? username : "", ul);
  n += ul;
  plain[n++] = '\0';
  memcpy(plain + n, password ? password : "", pl);
  n += pl;
  size_t total = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
  unsigned char *out = g_malloc(total);
  randombytes_buf(out, crypto_secretbox_NONCEBYTES);
  crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, plain, n, out, secret->key);
  sodium_memzero(plain, sizeof plain);
  return g_bytes_new_take(out, total);
}

bool hw_secret_open_credentials(const HwSecret *secret, const void *box, size_t len,
                                char **ret_username, char **ret_password, GError **error)
{
  g_return_val_if_fail(secret != NULL && box != NULL, false);
  const unsigned char *b = box;
  unsigned char plain[PLAIN_MAX + 1];
  size_t overhead = crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES;
  if (len < overhead + 2 || len - overhead > PLAIN_MAX ||
      crypto_secretbox_open_easy(plain, b + crypto_secretbox_NONCEBYTES,
                                 len - crypto_secretbox_NONCEBYTES, b, secret->key) != 0) {
    g_set_error(error, HW_SECRET_ERROR, HW_SECRET_ERROR_FORMAT,
                "stored camera credentials do not open with this secret key");
    return false;
  }
  size_t n = len - overhead;
  plain[n] = '\0';
  const char *user = (const char *)plain + 1;
  size_t ul = strnlen(user, n - 1);
  *ret_username = (plain[0] & 1) ? g_strndup(user, ul) : NULL;
  *ret_password = (plain[0] & 2) && ul + 1 < n ? g_strndup(user + ul + 1, n - 2 - ul) : NULL;
  if ((plain[0] & 2) && *ret_password == NULL)
    *ret_password = g_strdup("");
  sodium_memzero(plain, sizeof plain);
  return true;
}
