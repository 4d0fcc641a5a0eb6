/* `hallwatchd audit verify|pubkey`: checks the audit log's hash chain and signed heads against
 * the appliance key, or prints that key. Exit 0: all is well; 1: the log failed verification;
 * 2: usage, configuration or I/O error. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "audit/hw_audit.h"
#include "common/hw_keys.h"
#include "daemon/hw_cli.h"
#include "daemon/hw_config.h"
#include "sql/hw_store.h"


static void usage(void)
{
  g_printerr("usage: hallwatchd audit verify [--config FILE] [--database FILE] [--pubkey HEX]\n"
             "                               [--max-unsigned-age DURATION] [--json]\n"
             "       hallwatchd audit pubkey [--config FILE] [--database FILE] [--pem]\n");
}

static int cmd_pubkey(const char *db, gboolean pem)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *key_path = hw_key_path_for_database(db);
  g_autoptr(HwKey) key = hw_key_load(key_path, &error);
  if (key == NULL) {
    if (error->code == HW_KEY_ERROR_MISSING)
      g_printerr("hallwatchd audit pubkey: no key yet at %s (hallwatchd makes it at its first "
                 "start)\n",
                 key_path);
    else
      g_printerr("hallwatchd audit pubkey: %s\n", error->message);
    return 2;
  }
  if (pem) {
    g_autofree char *text = hw_key_public_pem(hw_key_public_hex(key));
    fputs(text, stdout);
  } else {
    printf("%s\n", hw_key_public_hex(key));
  }
  return 0;
}

static int cmd_verify(const char *db, const char *pubkey, int64_t max_age, gboolean json)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HwKey) key = NULL;
  if (pubkey == NULL) {
    g_autofree char *key_path = hw_key_path_for_database(db);
    key = hw_key_load(key_path, &error);
    if (key == NULL) {
      g_printerr("hallwatchd audit verify: %s (give the public key with --pubkey)\n",
                 error->message);
      return 2;
    }
    pubkey = hw_key_public_hex(key);
  } else if (strlen(pubkey) != HW_KEY_PUBLIC_HEX_LEN) {
    g_printerr("hallwatchd audit verify: --pubkey takes 64 hex digits\n");
    return 2;
  }
  if (!g_file_test(db, G_FILE_TEST_IS_REGULAR)) {
    g_printerr("hallwatchd audit verify: no database at %s\n", db);
    return 2;
  }
  g_autoptr(HwStore) store = hw_store_open(db, &error);
  if (store == NULL) {
    g_printerr("hallwatchd audit verify: %s\n", error->message);
    return 2;
  }
  g_autofree char *lower = g_ascii_strdown(pubkey, -1);
  HwAuditVerifyOptions opt = {
      .public_key_hex = lower, .now_ns = hw_time_now(), .max_unsigned_age_ns = max_age};
  g_autoptr(HwAuditVerifyResult) r = hw_audit_verify(store, &opt, &error);
  if (r == NULL) {
    g_printerr("hallwatchd audit verify: %s\n", error->message);
    return 2;
  }
  if (json) {
    g_autofree char *text = hw_audit_verify_result_to_json(r);
    printf("%s\n", text);
    return r->ok ? 0 : 1;
  }
  char t[32];
  printf("audit log %s: %" G_GINT64_FORMAT " rows, %" G_GINT64_FORMAT " signed heads", db, r->rows,
         r->signed_heads);
  if (r->last_signed_seq > 0)
    printf(", last good signed head at row %" G_GINT64_FORMAT " (signed %s)", r->last_signed_seq,
           hw_time_format(r->last_signed_at_ns, t, sizeof t));
  printf("\n");
  for (guint i = 0; i < r->notes->len; i++)
    printf("%s\n", (const char *)r->notes->pdata[i]);
  for (guint i = 0; i < r->problems->len; i++)
    printf("%s\n", (const char *)r->problems->pdata[i]);
  printf(r->ok ? "OK\n" : "FAILED\n");
  return r->ok ? 0 : 1;
}

int hw_cli_audit(int argc, char **argv)
{
  g_autofree char *config_path = NULL, *database = NULL, *pubkey = NULL, *max_age_s = NULL;
  gboolean json = FALSE, pem = FALSE;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path,
       "Configuration file (default " HW_CLI_DEFAULT_CONFIG " if present)", "FILE"},
      {"database", 0, 0, G_OPTION_ARG_FILENAME, &database, "The database, instead of the config's",
       "FILE"},
      {"pubkey", 0, 0, G_OPTION_ARG_STRING, &pubkey,
       "verify: the trusted public key (hex) instead of <database>.key", "HEX"},
      {"max-unsigned-age", 0, 0, G_OPTION_ARG_STRING, &max_age_s,
       "verify: fail on unsigned rows older than this (default: twice [audit] sign_interval plus "
       "1m; 0: never)",
       "DURATION"},
      {"json", 0, 0, G_OPTION_ARG_NONE, &json, "verify: print the result as JSON", NULL},
      {"pem", 0, 0, G_OPTION_ARG_NONE, &pem, "pubkey: print it as a PEM public key", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("verify|pubkey - the audit log");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    g_printerr("hallwatchd audit: %s\n", error->message);
    return 2;
  }
  if (argc != 2 || (strcmp(argv[1], "verify") != 0 && strcmp(argv[1], "pubkey") != 0)) {
    usage();
    return 2;
  }
  int64_t interval = 0;
  g_autofree char *db = hw_cli_resolve_database(config_path, database, &interval, &error);
  if (db == NULL) {
    g_printerr("hallwatchd audit: %s\n", error->message);
    return 2;
  }
  if (strcmp(argv[1], "pubkey") == 0)
    return cmd_pubkey(db, pem);

  int64_t max_age = 2 * interval + 60 * HW_NS_PER_S;
  if (max_age_s != NULL && strcmp(max_age_s, "0") != 0 &&
      !hw_config_parse_duration(max_age_s, &max_age)) {
    g_printerr("hallwatchd audit verify: --max-unsigned-age: expected a duration like 10m, got "
               "'%s'\n",
               max_age_s);
    return 2;
  }
  if (max_age_s != NULL && strcmp(max_age_s, "0") == 0)
    max_age = 0;
  return cmd_verify(db, pubkey, max_age, json);
}
