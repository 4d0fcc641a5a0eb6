/* The evidence package on disk: writing the zip (libzip, members stored) and checking one, which
 * may come from anyone (an upload): every size is bounded, nothing is trusted before its hash
 * and the signature say so. docs/evidence.md is the format. */
#include "media/hw_export.h"
#include "media/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <nettle/sha2.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zip.h>

#define MANIFEST_MAX (4 << 20) /* a manifest of thousands of source files is well under this */
#define PEM_MAX 4096

static bool fsync_path(const char *path, bool dir, GError **error)
{
  int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0 || fsync(fd) != 0) {
    int e = errno;
    if (fd >= 0)
      close(fd);
    g_set_error(error, HW_EXPORT_ERROR, HW_EXPORT_ERROR_IO, "cannot sync %s: %s", path,
                g_strerror(e));
    return false;
  }
  close(fd);
  return true;
}

bool hw_package_write(const char *path, const HwPackageMember *members, size_t n, GError **error)
{
  g_autofree char *tmp = g_strconcat(path, ".tmp", NULL);
  g_unlink(tmp);
  int zerr = 0;
  zip_t *z = zip_open(tmp, ZIP_CREATE | ZIP_EXCL, &zerr);
  if (z == NULL) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, zerr);
    g_set_error(error, HW_EXPORT_ERROR, HW_EXPORT_ERROR_IO, "cannot create %s: %s", tmp,
                zip_error_strerror(&ze));
    zip_error_fini(&ze);
    return false;
  }
  time_t now = time(NULL);
  for (size_t i = 0; i < n; i++) {
    const HwPackageMember *m = &members[i];
    zip_source_t *src =
        m->path ? zip_source_file(z, m->path, 0, -1) : zip_source_buffer(z, m->data, m->len, 0);
    zip_int64_t idx = src ? zip_file_add(z, m->name, src, ZIP_FL_ENC_UTF_8) : -1;
    if (idx < 0) {
      if (src)
        zip_source_free(src);
      g_set_error(error, HW_EXPORT_ERROR, HW_EXPORT_ERROR_IO, "cannot add %s to the package: %s",
                  m->name, zip_strerror(z));
      zip_discard(z);
      return false;
    }
    zip_set_file_compression(z, (zip_uint64_t)idx, ZIP_CM_STORE, 0);
    zip_file_set_mtime(z, (zip_uint64_t)idx, now, 0);
  }
  if (zip_close(z) != 0) {
    g_set_error(error, HW_EXPORT_ERROR, HW_EXPORT_ERROR_IO, "cannot write %s: %s", tmp,
                zip_strerror(z));
    zip_discard(z);
    g_unlink(tmp);
    return false;
  }
  g_autofree char *dir = g_path_get_dirname(path);
  if (!fsync_path(tmp, false, error)) {
    g_unlink(tmp);
    return false;
  }
  if (rename(tmp, path) != 0) {
    g_set_error(error, HW_EXPORT_ERROR, HW_EXPORT_ERROR_IO, "cannot rename %s: %s", tmp,
                g_strerror(errno));
    g_unlink(tmp);
    return false;
  }
  return fsync_path(dir, true, error);
}

bool hw_package_write_signed(const char *path, const char *mp4_path, json_t *manifest,
                             const HwKey *key, GError **error)
{
  g_autofree char *text = json_dumps(manifest, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
  /* The manifest ends with a newline, like any text file; the signature covers every byte. */
  g_autofree char *mtext = g_strconcat(text, "\n", NULL);
  free(g_steal_pointer(&text));
  size_t text_len = strlen(mtext);
  char sig_hex[HW_KEY_SIGNATURE_HEX_LEN + 1];
  hw_key_sign(key, mtext, text_len, sig_hex);
  uint8_t sig[64];
  for (size_t i = 0; i < sizeof sig; i++)
    sig[i] = (uint8_t)(g_ascii_xdigit_value(sig_hex[2 * i]) << 4 |
                       g_ascii_xdigit_value(sig_hex[2 * i + 1]));
  g_autofree char *pem = hw_key_public_pem(hw_key_public_hex(key));
  HwPackageMember members[] = {
      {HW_EXPORT_MP4_NAME, mp4_path, NULL, 0},
      {HW_EXPORT_MANIFEST_NAME, NULL, mtext, text_len},
      {HW_EXPORT_SIGNATURE_NAME, NULL, sig, sizeof sig},
      {HW_EXPORT_PUBKEY_NAME, NULL, pem, strlen(pem)},
  };
  return hw_package_write(path, members, G_N_ELEMENTS(members), error);
}

/* ---- verification ---------------------------------------------------------------------------- */

void hw_export_verify_clear(HwExportVerify *v)
{
  g_clear_pointer(&v->problems, g_ptr_array_unref);
  g_clear_pointer(&v->checked, g_ptr_array_unref);
  g_clear_pointer(&v->manifest, json_decref);
}

static void problem(HwExportVerify *v, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void problem(HwExportVerify *v, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_ptr_array_add(v->problems, g_strdup_vprintf(fmt, ap));
  va_end(ap);
}

static void checked(HwExportVerify *v, const char *fmt, ...) G_GNUC_PRINTF(2, 3);
static void checked(HwExportVerify *v, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_ptr_array_add(v->checked, g_strdup_vprintf(fmt, ap));
  va_end(ap);
}

/* Reads a member: hashes all of it, keeps at most keep_max bytes (then *ret_data, g_free) when
 * ret_data is given. Returns false if it is missing or unreadable (problem noted). */
static bool read_member(zip_t *z, HwExportVerify *v, const char *name, size_t keep_max,
                        char ret_hex[65], int64_t *ret_size, char **ret_data)
{
  zip_int64_t idx = zip_name_locate(z, name, 0);
  if (idx < 0) {
    problem(v, "%s: missing from the package", name);
    return false;
  }
  zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)idx, 0);
  if (f == NULL) {
    problem(v, "%s: cannot be read from the package (%s)", name, zip_strerror(z));
    return false;
  }
  struct sha256_ctx ctx;
  sha256_init(&ctx);
  g_autofree uint8_t *buf = g_malloc(1 << 20);
  GByteArray *keep = ret_data ? g_byte_array_new() : NULL;
  int64_t total = 0;
  bool ok = true;
  for (;;) {
    zip_int64_t r = zip_fread(f, buf, 1 << 20);
    if (r < 0) {
      problem(v, "%s: cannot be read from the package (%s: damaged?)", name, zip_file_strerror(f));
      ok = false;
      break;
    }
    if (r == 0)
      break;
    sha256_update(&ctx, (size_t)r, buf);
    total += r;
    if (keep != NULL) {
      if (keep->len + (size_t)r > keep_max) {
        problem(v, "%s: larger than %zu bytes, not a HallWatch package member", name, keep_max);
        ok = false;
        break;
      }
      g_byte_array_append(keep, buf, (guint)r);
    }
  }
  zip_fclose(f);
  if (!ok) {
    if (keep)
      g_byte_array_unref(keep);
    return false;
  }
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256_digest(&ctx, sizeof d, d);
  for (size_t i = 0; i < sizeof d; i++)
    g_snprintf(ret_hex + 2 * i, 3, "%02x", d[i]);
  *ret_size = total;
  if (keep != NULL) {
    g_byte_array_append(keep, (const guint8 *)"", 1);
    *ret_data = (char *)g_byte_array_free(keep, FALSE);
  }
  return true;
}

bool hw_export_verify(const char *package_path, const char *trusted_public_hex, HwExportVerify *ret)
{
  HwExportVerify v = {.problems = g_ptr_array_new_with_free_func(g_free),
                      .checked = g_ptr_array_new_with_free_func(g_free)};
  int zerr = 0;
  zip_t *z = zip_open(package_path, ZIP_RDONLY | ZIP_CHECKCONS, &zerr);
  if (z == NULL) {
    zip_error_t ze;
    zip_error_init_with_code(&ze, zerr);
    problem(&v, "the package is not a readable zip file (%s)", zip_error_strerror(&ze));
    zip_error_fini(&ze);
    *ret = v;
    return true;
  }

  char hex[65];
  int64_t size = 0;
  g_autofree char *mtext = NULL, *sig = NULL;
  int64_t mlen = 0, siglen = 0;
  bool have_manifest =
      read_member(z, &v, HW_EXPORT_MANIFEST_NAME, MANIFEST_MAX, hex, &mlen, &mtext);
  bool have_sig = read_member(z, &v, HW_EXPORT_SIGNATURE_NAME, 64, hex, &siglen, &sig);

  json_error_t jerr;
  if (have_manifest) {
    v.manifest = json_loadb(mtext, (size_t)mlen, JSON_REJECT_DUPLICATES, &jerr);
    if (v.manifest == NULL || !json_is_object(v.manifest))
      problem(&v, "%s: not a JSON object (line %d: %s)", HW_EXPORT_MANIFEST_NAME, jerr.line,
              jerr.text);
    else if (g_strcmp0(json_string_value(json_object_get(v.manifest, "format")),
                       HW_EXPORT_FORMAT) != 0)
      problem(&v, "%s: format is not %s", HW_EXPORT_MANIFEST_NAME, HW_EXPORT_FORMAT);
  }
  const char *named_key = NULL;
  if (v.manifest != NULL)
    named_key =
        json_string_value(json_object_get(json_object_get(v.manifest, "appliance"), "public_key"));
  g_strlcpy(v.public_key, named_key ? named_key : "", sizeof v.public_key);

  /* The signature: against the trusted key if given, else the key the manifest names. */
  const char *key = trusted_public_hex ? trusted_public_hex : named_key;
  v.key_trusted = trusted_public_hex != NULL;
  if (have_manifest && have_sig) {
    char sig_hex[129] = "";
    if (siglen == 64)
      for (size_t i = 0; i < 64; i++)
        g_snprintf(sig_hex + 2 * i, 3, "%02x", (uint8_t)sig[i]);
    if (siglen != 64)
      problem(&v, "%s: %" G_GINT64_FORMAT " bytes, an Ed25519 signature has 64",
              HW_EXPORT_SIGNATURE_NAME, siglen);
    else if (key == NULL)
      problem(&v, "%s: no public key to check it with (the manifest names none)",
              HW_EXPORT_SIGNATURE_NAME);
    else if (!hw_key_verify(key, mtext, (size_t)mlen, sig_hex))
      problem(&v,
              "%s: the signature does not match %s under key %.16s… (manifest altered, or "
              "signed by another key)",
              HW_EXPORT_SIGNATURE_NAME, HW_EXPORT_MANIFEST_NAME, key);
    else {
      v.signature_ok = true;
      checked(&v, "%s: valid Ed25519 signature of %s by %s key %s", HW_EXPORT_SIGNATURE_NAME,
              HW_EXPORT_MANIFEST_NAME, v.key_trusted ? "the trusted" : "the manifest's own", key);
    }
    if (v.signature_ok && trusted_public_hex && named_key &&
        g_ascii_strcasecmp(trusted_public_hex, named_key) != 0)
      problem(&v, "%s: names key %.16s…, not the trusted one", HW_EXPORT_MANIFEST_NAME, named_key);
  }

  /* Every member the manifest lists, by hash and size; and nothing else in the package. */
  json_t *files = v.manifest ? json_object_get(v.manifest, "package_files") : NULL;
  if (v.manifest != NULL && !json_is_array(files))
    problem(&v, "%s: no package_files list", HW_EXPORT_MANIFEST_NAME);
  size_t i;
  json_t *f;
  json_array_foreach(files, i, f)
  {
    const char *name = json_string_value(json_object_get(f, "name"));
    const char *want = json_string_value(json_object_get(f, "sha256"));
    json_int_t want_size = json_integer_value(json_object_get(f, "size"));
    if (name == NULL || want == NULL) {
      problem(&v, "%s: package_files[%zu] lacks a name or sha256", HW_EXPORT_MANIFEST_NAME, i);
      continue;
    }
    if (!read_member(z, &v, name, 0, hex, &size, NULL))
      continue;
    if (g_ascii_strcasecmp(hex, want) != 0)
      problem(&v, "%s: SHA-256 is %s, the manifest says %s (the file was altered)", name, hex,
              want);
    else if (size != want_size)
      problem(&v, "%s: %" G_GINT64_FORMAT " bytes, the manifest says %" G_GINT64_FORMAT, name, size,
              (int64_t)want_size);
    else
      checked(&v, "%s: SHA-256 %s matches the manifest", name, hex);
  }
  zip_int64_t n = files != NULL ? zip_get_num_entries(z, 0) : 0;
  for (zip_int64_t k = 0; k < n; k++) {
    const char *name = zip_get_name(z, (zip_uint64_t)k, 0);
    if (name == NULL || strcmp(name, HW_EXPORT_MANIFEST_NAME) == 0 ||
        strcmp(name, HW_EXPORT_SIGNATURE_NAME) == 0)
      continue;
    bool listed = false;
    json_array_foreach(files, i, f) listed |=
        g_strcmp0(json_string_value(json_object_get(f, "name")), name) == 0;
    if (!listed)
      problem(&v, "%s: in the package but not in the manifest", name);
  }
  zip_discard(z);
  v.ok = v.problems->len == 0 && v.signature_ok;
  *ret = v;
  return true;
}

void hw_export_verify_sources(HwExportVerify *v, const char *footage_dir)
{
  json_t *sources = v->manifest ? json_object_get(v->manifest, "sources") : NULL;
  if (!json_is_array(sources)) {
    problem(v, "%s: no sources list to check the recordings against", HW_EXPORT_MANIFEST_NAME);
    v->ok = false;
    return;
  }
  size_t i;
  json_t *src;
  json_array_foreach(sources, i, src)
  {
    const char *path = json_string_value(json_object_get(src, "path"));
    const char *want = json_string_value(json_object_get(src, "sha256"));
    json_int_t size = json_integer_value(json_object_get(src, "size"));
    /* Paths come from the manifest: relative, without "..", or they are not HallWatch's. */
    if (path == NULL || want == NULL || path[0] == '/' || strstr(path, "..") != NULL) {
      problem(v, "%s: sources[%zu] has no usable path or sha256", HW_EXPORT_MANIFEST_NAME, i);
      continue;
    }
    g_autofree char *abs = g_build_filename(footage_dir, path, NULL);
    struct stat st;
    if (stat(abs, &st) != 0) {
      problem(v, "source %s: not in %s (deleted, or another footage folder?)", path, footage_dir);
      continue;
    }
    bool whole = st.st_size == size;
    char hex[65];
    int64_t got = 0;
    g_autoptr(GError) error = NULL;
    if (!hw_media_sha256_file(abs, whole ? -1 : size, hex, &got, &error))
      problem(v, "source %s: %s", path, error->message);
    else if (got != size || g_ascii_strcasecmp(hex, want) != 0)
      problem(v,
              "source %s: SHA-256 of its %s%" G_GINT64_FORMAT " bytes is %s, the manifest says "
              "%s (the recording changed)",
              path, whole ? "" : "first ", got, hex, want);
    else
      checked(v, "source %s: SHA-256 %s matches the manifest", path, hex);
  }
  v->ok = v->ok && v->problems->len == 0;
}

json_t *hw_export_verify_json(const HwExportVerify *v)
{
  json_t *o = json_object();
  json_object_set_new(o, "ok", json_boolean(v->ok));
  json_object_set_new(o, "signature_ok", json_boolean(v->signature_ok));
  json_object_set_new(o, "key_trusted", json_boolean(v->key_trusted));
  json_object_set_new(o, "public_key", v->public_key[0] ? json_string(v->public_key) : json_null());
  json_t *p = json_array(), *c = json_array();
  for (guint i = 0; v->problems && i < v->problems->len; i++)
    json_array_append_new(p, json_string(g_ptr_array_index(v->problems, i)));
  for (guint i = 0; v->checked && i < v->checked->len; i++)
    json_array_append_new(c, json_string(g_ptr_array_index(v->checked, i)));
  json_object_set_new(o, "problems", p);
  json_object_set_new(o, "checked", c);
  return o;
}
