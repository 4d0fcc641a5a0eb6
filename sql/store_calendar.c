/* The working-day calendar's rows (sql/hw_store_calendar.h). Each write and the bump of meta
 * 'calendar_version' share one transaction, so a reader that saw the new version sees the rows. */
#include "sql/hw_store_calendar.h"

#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "sql/hw_store_private.h"

static const char SQL_LIST[] =
    "SELECT day, kind, name, updated_ns FROM calendar_days"
    " WHERE ?1 = 0 OR substr(day, 1, 4) = printf('%04d', ?1) ORDER BY day";
static const char SQL_GET[] =
    "SELECT day, kind, name, updated_ns FROM calendar_days WHERE day = ?1";
static const char SQL_PUT[] =
    "INSERT INTO calendar_days (day, kind, name, updated_ns) VALUES (?1, ?2, ?3, ?4)"
    " ON CONFLICT (day) DO UPDATE SET kind = excluded.kind, name = excluded.name,"
    " updated_ns = excluded.updated_ns";
static const char SQL_DELETE[] = "DELETE FROM calendar_days WHERE day = ?1";
static const char SQL_DELETE_YEAR[] =
    "DELETE FROM calendar_days WHERE day >= ?1 || '-01-01' AND day <= ?1 || '-12-31'";
static const char SQL_BUMP[] = "UPDATE meta SET value = CAST(CAST(value AS INTEGER) + 1 AS TEXT)"
                               " WHERE key = 'calendar_version'";
static const char SQL_VERSION[] =
    "SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'calendar_version'";
static const char SQL_SEEDED[] = "SELECT value FROM meta WHERE key = 'calendar_seeded'";
static const char SQL_MARK_SEEDED[] =
    "INSERT INTO meta (key, value) VALUES ('calendar_seeded', ?1)";

static void row_to_day(sqlite3_stmt *st, HwStoreCalendarDay *d)
{
  memset(d, 0, sizeof *d);
  hw_store__copy_text(d->day, sizeof d->day, st, 0);
  hw_store__copy_text(d->kind, sizeof d->kind, st, 1);
  hw_store__copy_text(d->name, sizeof d->name, st, 2);
  d->updated_ns = sqlite3_column_int64(st, 3);
}

static bool run(HwStore *store, const char *sql, const char *bind1, GError **error,
                const char *what)
{
  HW_AUTO_STMT st = hw_store__stmt(store, sql, error);
  if (!st)
    return false;
  if (bind1 != NULL)
    hw_store__bind_text(st, 1, bind1);
  return hw_store__step_write(store, st, error, what);
}

static bool put_one(HwStore *store, const HwStoreCalendarDay *d, hw_time_ns now, GError **error)
{
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_PUT, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, d->day);
  hw_store__bind_text(st, 2, d->kind);
  hw_store__bind_text(st, 3, d->name);
  sqlite3_bind_int64(st, 4, now);
  g_autofree char *what = g_strdup_printf("setting calendar day %s", d->day);
  return hw_store__step_write(store, st, error, what);
}

/* The row of day into *ret; *ret_found false if none. */
static bool get_one(HwStore *store, const char *day, HwStoreCalendarDay *ret, bool *ret_found,
                    GError **error)
{
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_GET, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, day);
  int rc = sqlite3_step(st);
  *ret_found = rc == SQLITE_ROW;
  if (rc == SQLITE_ROW)
    row_to_day(st, ret);
  else if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "reading the calendar");
    return false;
  }
  return true;
}

bool hw_store_calendar_list(HwStore *store, int year, HwStoreCalendarDay **ret, size_t *ret_n,
                            GError **error)
{
  g_return_val_if_fail(store && ret && ret_n, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_LIST, error);
  if (!st)
    return false;
  sqlite3_bind_int(st, 1, year);
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(HwStoreCalendarDay));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    HwStoreCalendarDay d;
    row_to_day(st, &d);
    g_array_append_val(out, d);
  }
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "listing the calendar");
    return false;
  }
  *ret_n = out->len;
  *ret = (HwStoreCalendarDay *)(void *)g_array_free(g_steal_pointer(&out), FALSE);
  return true;
}

bool hw_store_calendar_get(HwStore *store, const char *day, HwStoreCalendarDay *ret, GError **error)
{
  g_return_val_if_fail(store && day && ret, false);
  HW_STORE_LOCKED(store);
  bool found;
  if (!get_one(store, day, ret, &found, error))
    return false;
  if (!found)
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND, "calendar day %s: not found", day);
  return found;
}

/* Sets (put) or removes (put NULL) the row of day, in one transaction with the version bump; the
 * row it replaces in *ret_before when *ret_found. Removing a date without a row: NOT_FOUND. */
static bool change_day(HwStore *store, const char *day, const HwStoreCalendarDay *put,
                       hw_time_ns now, HwStoreCalendarDay *ret_before, bool *ret_found,
                       GError **error)
{
  HW_STORE_LOCKED(store);
  bool own, found = false;
  HwStoreCalendarDay before;
  if (!hw_store__op_begin(store, &own, error))
    return false;
  if (!get_one(store, day, &before, &found, error))
    goto fail;
  if (put == NULL && !found) {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND, "calendar day %s: not found", day);
    goto fail;
  }
  if (!(put ? put_one(store, put, now, error)
            : run(store, SQL_DELETE, day, error, "removing the calendar day")) ||
      !run(store, SQL_BUMP, NULL, error, "bumping the calendar version"))
    goto fail;
  if (!hw_store__op_commit(store, own, error))
    return false;
  if (ret_before != NULL && found)
    *ret_before = before;
  if (ret_found != NULL)
    *ret_found = found;
  return true;

fail:
  hw_store__op_rollback(store, own);
  return false;
}

bool hw_store_calendar_put(HwStore *store, const HwStoreCalendarDay *day, hw_time_ns now,
                           HwStoreCalendarDay *ret_before, bool *ret_existed, GError **error)
{
  g_return_val_if_fail(store && day, false);
  return change_day(store, day->day, day, now, ret_before, ret_existed, error);
}

bool hw_store_calendar_delete(HwStore *store, const char *day, HwStoreCalendarDay *ret_before,
                              GError **error)
{
  g_return_val_if_fail(store && day, false);
  return change_day(store, day, NULL, 0, ret_before, NULL, error);
}

/* Inside a transaction: the rows, after clearing their years when replace_years. */
static bool import_rows(HwStore *store, const HwStoreCalendarDay *days, size_t n,
                        bool replace_years, hw_time_ns now, GError **error)
{
  if (replace_years) {
    g_autoptr(GHashTable) years = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
    for (size_t i = 0; i < n; i++) {
      char *y = g_strndup(days[i].day, 4);
      if (!g_hash_table_add(years, y))
        continue;
      if (!run(store, SQL_DELETE_YEAR, y, error, "clearing the year"))
        return false;
    }
  }
  for (size_t i = 0; i < n; i++)
    if (!put_one(store, &days[i], now, error))
      return false;
  return run(store, SQL_BUMP, NULL, error, "bumping the calendar version");
}

bool hw_store_calendar_import(HwStore *store, const HwStoreCalendarDay *days, size_t n,
                              bool replace_years, hw_time_ns now, GError **error)
{
  g_return_val_if_fail(store && (days || n == 0), false);
  HW_STORE_LOCKED(store);
  bool own;
  if (!hw_store__op_begin(store, &own, error))
    return false;
  if (!import_rows(store, days, n, replace_years, now, error)) {
    hw_store__op_rollback(store, own);
    return false;
  }
  return hw_store__op_commit(store, own, error);
}

bool hw_store_calendar_seed(HwStore *store, const HwStoreCalendarDay *days, size_t n,
                            const char *marker, hw_time_ns now, bool *ret_seeded, GError **error)
{
  g_return_val_if_fail(store && marker && ret_seeded, false);
  HW_STORE_LOCKED(store);
  bool own;
  if (!hw_store__op_begin(store, &own, error))
    return false;
  bool seeded = false;
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_SEEDED, error);
    if (!st)
      goto fail;
    int rc = sqlite3_step(st);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
      hw_store__set_error(error, store, "reading the calendar's seed mark");
      goto fail;
    }
    seeded = rc == SQLITE_ROW;
  }
  if (!seeded && (!import_rows(store, days, n, false, now, error) ||
                  !run(store, SQL_MARK_SEEDED, marker, error, "marking the calendar seeded")))
    goto fail;
  if (!hw_store__op_commit(store, own, error))
    return false;
  *ret_seeded = !seeded;
  return true;

fail:
  hw_store__op_rollback(store, own);
  return false;
}

bool hw_store_calendar_version(HwStore *store, int64_t *ret, GError **error)
{
  g_return_val_if_fail(store && ret, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_VERSION, error);
  if (!st)
    return false;
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW) {
    hw_store__set_error(error, store, "reading the calendar version");
    return false;
  }
  *ret = sqlite3_column_int64(st, 0);
  return true;
}
