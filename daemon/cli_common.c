/* Helpers shared by the subcommands that change the store from the shell (daemon/hw_cli.h):
 * finding the database (two ways: see daemon/hw_cli.h), and signing the audit rows they wrote. */
#include <glib.h>
#include <stdio.h>

#include "audit/hw_audit.h"
#include "common/hw_keys.h"
#include "daemon/hw_cli.h"
#include "daemon/hw_config.h"

char *hw_cli_database_path(const char *prog, const char *config_path)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HwConfig) cfg =
      hw_config_load(config_path ? config_path : HW_CLI_DEFAULT_CONFIG, &error);
  if (!cfg) {
    g_printerr("%s: %s\n", prog, error->message);
    return NULL;
  }
  return g_strdup(cfg->database_path);
}

char *hw_cli_resolve_database(const char *config_path, const char *database, int64_t *ret_interval,
                              GError **error)
{
  g_autoptr(HwConfig) cfg = NULL;
  if (config_path != NULL)
    cfg = hw_config_load(config_path, error);
  else if (g_file_test(HW_CLI_DEFAULT_CONFIG, G_FILE_TEST_EXISTS))
    cfg = hw_config_load(HW_CLI_DEFAULT_CONFIG, error);
  else
    cfg = hw_config_new_default();
  if (cfg == NULL)
    return NULL;
  if (ret_interval != NULL)
    *ret_interval = cfg->audit_sign_interval_ns;
  return g_strdup(database != NULL ? database : cfg->database_path);
}

/* The key is not made here: made by root, it would not be readable by the daemon's account.
 * Before the daemon's first start there is none yet, and the daemon signs the rows at its start. */
bool hw_cli_audit_sign(const char *prog, HwStore *store, const char *database)
{
  g_autofree char *key_path = hw_key_path_for_database(database);
  g_autoptr(GError) error = NULL;
  g_autoptr(HwKey) key = hw_key_load(key_path, &error);
  if (!key) {
    if (g_error_matches(error, HW_KEY_ERROR, HW_KEY_ERROR_MISSING)) {
      g_printerr("%s: no appliance key yet (%s): the audit row is signed when hallwatchd first "
                 "starts\n",
                 prog, key_path);
      return true;
    }
    g_printerr("%s: the audit log's head cannot be signed: %s\n", prog, error->message);
    return false;
  }
  if (!hw_audit_sign_head(store, key, &error)) {
    g_printerr("%s: the audit log's head cannot be signed: %s\n", prog, error->message);
    return false;
  }
  return true;
}
