/* media.package.*: hw_export_verify on packages made here (media/package.c writes them), each
 * damaged one way, as an investigator would meet them: the report names the member or the
 * signature, never just "invalid". No daemon, no camera: runs under valgrind with the unit tests. */
#include <glib.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/hw_keys.h"
#include "media/hw_export.h"
#include "media/internal.h"

typedef struct {
  char *dir, *pkg, *mp4;
  HwKey *key;
  char *manifest; /* signed text */
  char sig[64];
  char *pem;
} Fx;

static void sign(Fx *fx)
{
  char hex[HW_KEY_SIGNATURE_HEX_LEN + 1];
  hw_key_sign(fx->key, fx->manifest, strlen(fx->manifest), hex);
  for (size_t i = 0; i < 64; i++)
    fx->sig[i] =
        (char)(g_ascii_xdigit_value(hex[2 * i]) << 4 | g_ascii_xdigit_value(hex[2 * i + 1]));
}

static void set_up(Fx *fx, gconstpointer data)
{
  fx->dir = g_dir_make_tmp("hw-package-XXXXXX", NULL);
  g_autofree char *key_path = g_build_filename(fx->dir, "k.key", NULL);
  fx->key = hw_key_load_or_create(key_path, NULL, NULL);
  g_assert_nonnull(fx->key);
  fx->mp4 = g_build_filename(fx->dir, "in.mp4", NULL);
  const char *video = "not really a video, but bytes with a hash";
  g_assert_true(g_file_set_contents(fx->mp4, video, -1, NULL));
  fx->pem = hw_key_public_pem(hw_key_public_hex(fx->key));
  g_autofree char *vsha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, video, -1);
  g_autofree char *psha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, fx->pem, -1);
  json_t *m = json_pack("{s:s, s:{s:s}, s:s, s:[{s:s, s:s, s:i}, {s:s, s:s, s:i}]}", "format",
                        HW_EXPORT_FORMAT, "appliance", "public_key", hw_key_public_hex(fx->key),
                        "mp4_sha256", vsha, "package_files", "name", HW_EXPORT_MP4_NAME, "sha256",
                        vsha, "size", (int)strlen(video), "name", HW_EXPORT_PUBKEY_NAME, "sha256",
                        psha, "size", (int)strlen(fx->pem));
  char *text = json_dumps(m, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  fx->manifest = g_strconcat(text, "\n", NULL);
  free(text);
  json_decref(m);
  sign(fx);
  fx->pkg = g_build_filename(fx->dir, "p.zip", NULL);
}

static void tear_down(Fx *fx, gconstpointer data)
{
  g_autoptr(GDir) d = g_dir_open(fx->dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)) != NULL) {
    g_autofree char *p = g_build_filename(fx->dir, name, NULL);
    g_unlink(p);
  }
  g_rmdir(fx->dir);
  hw_key_free(fx->key);
  g_free(fx->dir);
  g_free(fx->pkg);
  g_free(fx->mp4);
  g_free(fx->manifest);
  g_free(fx->pem);
}

/* Writes the package with the members whose names are listed (NULL-terminated; NULL: all four). */
static void write_pkg(Fx *fx, const char *const *only, size_t sig_len)
{
  HwPackageMember all[] = {
      {HW_EXPORT_MP4_NAME, fx->mp4, NULL, 0},
      {HW_EXPORT_MANIFEST_NAME, NULL, fx->manifest, strlen(fx->manifest)},
      {HW_EXPORT_SIGNATURE_NAME, NULL, fx->sig, sig_len},
      {HW_EXPORT_PUBKEY_NAME, NULL, fx->pem, strlen(fx->pem)},
  };
  HwPackageMember use[G_N_ELEMENTS(all)];
  size_t n = 0;
  for (size_t i = 0; i < G_N_ELEMENTS(all); i++)
    if (only == NULL || g_strv_contains(only, all[i].name))
      use[n++] = all[i];
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_package_write(fx->pkg, use, n, &error));
  g_assert_no_error(error);
}

/* The report's problems joined by newlines (g_free); asserts the verdict. */
static char *verify(Fx *fx, const char *trusted, bool want_ok)
{
  HwExportVerify v;
  g_assert_true(hw_export_verify(fx->pkg, trusted, &v));
  GString *s = g_string_new(NULL);
  for (guint i = 0; i < v.problems->len; i++)
    g_string_append_printf(s, "%s\n", (char *)v.problems->pdata[i]);
  if (v.ok != want_ok)
    g_printerr("verify: ok=%d, problems:\n%s", v.ok, s->str);
  g_assert_cmpint(v.ok, ==, want_ok);
  hw_export_verify_clear(&v);
  return g_string_free(s, FALSE);
}

static void test_good(Fx *fx, gconstpointer data)
{
  write_pkg(fx, NULL, 64);
  g_autofree char *p = verify(fx, hw_key_public_hex(fx->key), true);
  g_assert_cmpstr(p, ==, "");
  /* The file sits complete at its name, no temporary left beside it. */
  g_autofree char *tmp = g_strconcat(fx->pkg, ".tmp", NULL);
  g_assert_false(g_file_test(tmp, G_FILE_TEST_EXISTS));
}

static void test_missing_member(Fx *fx, gconstpointer data)
{
  const char *const only[] = {HW_EXPORT_MANIFEST_NAME, HW_EXPORT_SIGNATURE_NAME,
                              HW_EXPORT_PUBKEY_NAME, NULL};
  write_pkg(fx, only, 64);
  g_autofree char *p = verify(fx, hw_key_public_hex(fx->key), false);
  g_assert_nonnull(strstr(p, "footage.mp4: missing from the package"));
  const char *const no_sig[] = {HW_EXPORT_MP4_NAME, HW_EXPORT_MANIFEST_NAME, HW_EXPORT_PUBKEY_NAME,
                                NULL};
  write_pkg(fx, no_sig, 64);
  g_autofree char *q = verify(fx, hw_key_public_hex(fx->key), false);
  g_assert_nonnull(strstr(q, "manifest.sig: missing from the package"));
}

static void test_other_key(Fx *fx, gconstpointer data)
{
  write_pkg(fx, NULL, 64);
  g_autofree char *p =
      verify(fx, "1111111111111111111111111111111111111111111111111111111111111111", false);
  g_assert_nonnull(strstr(p, "manifest.sig: the signature does not match"));
  /* Without a trusted key, the manifest's own key is used and the report says it is not trusted. */
  HwExportVerify v;
  g_assert_true(hw_export_verify(fx->pkg, NULL, &v));
  g_assert_true(v.ok);
  g_assert_false(v.key_trusted);
  hw_export_verify_clear(&v);
}

static void test_short_signature(Fx *fx, gconstpointer data)
{
  write_pkg(fx, NULL, 63);
  g_autofree char *p = verify(fx, hw_key_public_hex(fx->key), false);
  g_assert_nonnull(strstr(p, "manifest.sig: 63 bytes"));
}

/* One byte changed in the zip file itself (no rebuild): the damaged member is named. */
static void test_raw_damage(Fx *fx, gconstpointer data)
{
  write_pkg(fx, NULL, 64);
  gchar *bytes = NULL;
  gsize len = 0;
  g_assert_true(g_file_get_contents(fx->pkg, &bytes, &len, NULL));
  char *at = memmem(bytes, len, "not really", 10);
  g_assert_nonnull(at);
  at[0] ^= 1;
  g_assert_true(g_file_set_contents(fx->pkg, bytes, (gssize)len, NULL));
  g_free(bytes);
  g_autofree char *p = verify(fx, hw_key_public_hex(fx->key), false);
  g_assert_nonnull(strstr(p, "footage.mp4"));
}

static void test_not_a_zip(Fx *fx, gconstpointer data)
{
  g_assert_true(g_file_set_contents(fx->pkg, "PK\003\004 but nothing else", -1, NULL));
  g_autofree char *p = verify(fx, hw_key_public_hex(fx->key), false);
  g_assert_nonnull(strstr(p, "not a readable zip file"));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, Fx, NULL, set_up, fn, tear_down)
  ADD("/media/package/good", test_good);
  ADD("/media/package/missing-member", test_missing_member);
  ADD("/media/package/other-key", test_other_key);
  ADD("/media/package/short-signature", test_short_signature);
  ADD("/media/package/raw-damage", test_raw_damage);
  ADD("/media/package/not-a-zip", test_not_a_zip);
  return g_test_run();
}
