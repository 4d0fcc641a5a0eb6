/* `hallwatchd verify PACKAGE` (an evidence package: signature, hashes, members) and
 * `hallwatchd key show` (the appliance's public key as hex, PEM and fingerprint). The format and
 * how to check it without HallWatch: docs/evidence.md. */
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "common/hw_keys.h"
#include "daemon/hw_cli.h"
#include "media/hw_export.h"

#define DEFAULT_CONFIG_NOTE "(default " HW_CLI_DEFAULT_CONFIG " if present)"

/* The appliance key of the configured database (NULL with error). */
static HwKey *appliance_key(const char *config_path, const char *database, GError **error)
{
  g_autofree char *db = hw_cli_resolve_database(config_path, database, NULL, error);
  if (db == NULL)
    return NULL;
  g_autofree char *path = hw_key_path_for_database(db);
  return hw_key_load(path, error);
}

int hw_cli_verify(int argc, char **argv)
{
  g_autofree char *config_path = NULL, *database = NULL, *pubkey = NULL, *footage = NULL;
  gboolean json = FALSE, any_key = FALSE;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
       "Configuration file " DEFAULT_CONFIG_NOTE ": its appliance key is the trusted one", "FILE"},
      {"database", 0, 0, G_OPTION_ARG_FILENAME, &database, "The database, instead of the config's",
       "FILE"},
      {"pubkey", 0, 0, G_OPTION_ARG_STRING, &pubkey,
       "The trusted public key (64 hex digits), e.g. of another appliance", "HEX"},
      {"any-key", 0, 0, G_OPTION_ARG_NONE, &any_key,
       "Check the signature with the key the manifest names (says so: it proves integrity, not "
       "origin)",
       NULL},
      {"footage", 0, 0, G_OPTION_ARG_FILENAME, &footage,
       "Also check the source recordings the manifest lists against this footage folder", "DIR"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "Print the result as JSON", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("PACKAGE - check an evidence package");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    g_printerr("hallwatchd verify: %s\n", error->message);
    return 2;
  }
  if (argc != 2) {
    g_printerr("usage: hallwatchd verify PACKAGE [--config FILE] [--pubkey HEX | --any-key] "
               "[--footage DIR] [--json]\n");
    return 2;
  }
  if (!g_file_test(argv[1], G_FILE_TEST_IS_REGULAR)) {
    g_printerr("hallwatchd verify: %s: no such file\n", argv[1]);
    return 2;
  }
  g_autoptr(HwKey) key = NULL;
  const char *trusted = NULL;
  if (pubkey != NULL) {
    if (strlen(pubkey) != HW_KEY_PUBLIC_HEX_LEN) {
      g_printerr("hallwatchd verify: --pubkey takes 64 hex digits\n");
      return 2;
    }
    trusted = pubkey;
  } else if (!any_key) {
    key = appliance_key(config_path, database, &error);
    if (key == NULL) {
      g_printerr("hallwatchd verify: %s (give the trusted key with --pubkey, or --any-key)\n",
                 error->message);
      return 2;
    }
    trusted = hw_key_public_hex(key);
  }
  g_autofree char *lower = trusted ? g_ascii_strdown(trusted, -1) : NULL;
  HwExportVerify v;
  if (!hw_export_verify(argv[1], lower, &v)) {
    g_printerr("hallwatchd verify: cannot check %s\n", argv[1]);
    return 2;
  }
  if (footage != NULL && v.manifest != NULL)
    hw_export_verify_sources(&v, footage);
  if (json) {
    json_t *o = hw_export_verify_json(&v);
    char *text = json_dumps(o, JSON_INDENT(2));
    printf("%s\n", text);
    free(text);
    json_decref(o);
  } else {
    printf("evidence package %s\n", argv[1]);
    for (guint i = 0; i < v.checked->len; i++)
      printf("ok: %s\n", (const char *)v.checked->pdata[i]);
    for (guint i = 0; i < v.problems->len; i++)
      printf("MISMATCH: %s\n", (const char *)v.problems->pdata[i]);
    if (v.ok && !v.key_trusted)
      printf("note: checked against the key the manifest names, not one you trust; compare its "
             "fingerprint with `hallwatchd key show` on the appliance\n");
    printf(v.ok ? "OK\n" : "FAILED\n");
  }
  int rc = v.ok ? 0 : 1;
  hw_export_verify_clear(&v);
  return rc;
}

int hw_cli_key(int argc, char **argv)
{
  g_autofree char *config_path = NULL, *database = NULL;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
       "Configuration file " DEFAULT_CONFIG_NOTE, "FILE"},
      {"database", 0, 0, G_OPTION_ARG_FILENAME, &database, "The database, instead of the config's",
       "FILE"},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("show - the appliance's public key");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    g_printerr("hallwatchd key: %s\n", error->message);
    return 2;
  }
  if (argc != 2 || strcmp(argv[1], "show") != 0) {
    g_printerr("usage: hallwatchd key show [--config FILE] [--database FILE]\n");
    return 2;
  }
  g_autoptr(HwKey) key = appliance_key(config_path, database, &error);
  if (key == NULL) {
    g_printerr("hallwatchd key show: %s\n", error->message);
    return 2;
  }
  const char *hex = hw_key_public_hex(key);
  char fp[65];
  hw_key_fingerprint(hex, fp);
  g_autofree char *pem = hw_key_public_pem(hex);
  printf("public key (Ed25519, hex): %s\n"
         "fingerprint (SHA-256 of the DER public key): %s\n%s",
         hex, fp, pem);
  return 0;
}
