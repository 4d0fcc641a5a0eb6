/* The web interface's settings rows (sql/hw_store_settings.h). */
#include "sql/hw_store_settings.h"

#include <sqlite3.h>
#include <string.h>

#include "sql/hw_store_private.h"

static const char SQL_LIST[] =
    "SELECT name, value, updated_by, updated_ns FROM settings ORDER BY name";
static const char SQL_SET[] =
    "INSERT INTO settings (name, value, updated_by, updated_ns) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (name) DO UPDATE SET value = excluded.value, updated_by = excluded.updated_by,"
    " updated_ns = excluded.updated_ns";
static const char SQL_DELETE[] = "DELETE FROM settings WHERE name = ?1";

bool hw_store_settings_list(HwStore *store, HwStoreSetting **ret, size_t *ret_n, GError **error)
{
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_LIST, error);
  if (!st)
    return false;
  g_autoptr(GArray) rows = g_array_new(FALSE, TRUE, sizeof(HwStoreSetting));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    HwStoreSetting s = {0};
    hw_store__copy_text(s.name, sizeof s.name, st, 0);
    hw_store__copy_text(s.value, sizeof s.value, st, 1);
    hw_store__copy_text(s.updated_by, sizeof s.updated_by, st, 2);
    s.updated_ns = sqlite3_column_int64(st, 3);
    g_array_append_val(rows, s);
  }
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "reading the settings");
    return false;
  }
  *ret_n = rows->len;
  *ret = (HwStoreSetting *)(void *)g_array_free(g_steal_pointer(&rows), FALSE);
  return true;
}

bool hw_store_setting_set(HwStore *store, const char *name, const char *value, const char *who,
                          hw_time_ns now, GError **error)
{
  HwStoreSetting limits;
  if (strlen(name) >= sizeof limits.name || (value && strlen(value) >= sizeof limits.value) ||
      strlen(who) >= sizeof limits.updated_by) {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID,
                "setting %.64s: name, value or author too long", name);
    return false;
  }
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, value ? SQL_SET : SQL_DELETE, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, name);
  if (value) {
    hw_store__bind_text(st, 2, value);
    hw_store__bind_text(st, 3, who);
    sqlite3_bind_int64(st, 4, now);
  }
  g_autofree char *what = g_strdup_printf("setting %s", name);
  return hw_store__step_write(store, st, error, what);
}
