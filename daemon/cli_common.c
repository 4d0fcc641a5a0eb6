/* Helpers shared by the subcommands that change the store from the shell (daemon/hw_cli.h):
 * finding the database, and signing the audit rows they wrote. */
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
