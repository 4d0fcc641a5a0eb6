/* The settings API's contract with the daemon (web/settings.c): the web interface's overrides of
 * [warnings] and [retention] live in the store (sql/hw_store_settings.h); the daemon says what the
 * configuration file holds and applies a change. The daemon fills one and passes it in
 * HwHttpOptions.settings. docs/settings.md has the design. */
#pragma once

#include <glib.h>
#include <stdbool.h>

G_BEGIN_DECLS

typedef struct HwSettingsHooks {
  /* The configuration file's value of an editable key as last read (start or SIGHUP), as
   * hw_config_setting_format writes it; g_free. *ret_in_file: whether the file names the key
   * (else the value is the default). Called from HTTP threads: must be thread-safe. */
  char *(*file_value)(void *user, const char *name, bool *ret_in_file);
  /* The stored settings changed: the daemon re-applies the file + store values the way a SIGHUP
   * does. Called from HTTP threads after the commit; must only schedule the work. */
  void (*changed)(void *user);
  void *user;
} HwSettingsHooks;

G_END_DECLS
