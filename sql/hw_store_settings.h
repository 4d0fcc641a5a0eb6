/* Settings changed in the web interface (sql/store_settings.c): "<section>.<key>" → the value's
 * text as the configuration file would hold it, with who set it and when. The store does not know
 * what a key means; daemon/hw_config.h validates and applies them. Thread-safe like the rest of
 * the store; writes join the caller's transaction (hw_store_begin). */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>

#include "sql/hw_store.h"

G_BEGIN_DECLS

typedef struct {
  char name[64];    /* "warnings.near_days" */
  char value[128];  /* "3" */
  char updated_by[128];
  hw_time_ns updated_ns;
} HwStoreSetting;

/* Every row, by name (g_free the array). */
bool hw_store_settings_list(HwStore *store, HwStoreSetting **ret, size_t *ret_n, GError **error);
/* Sets name to value (value NULL: deletes the row, back to the file's value). INVALID for a name
 * or value longer than the fields above. */
bool hw_store_setting_set(HwStore *store, const char *name, const char *value, const char *who,
                          hw_time_ns now, GError **error);

G_END_DECLS
