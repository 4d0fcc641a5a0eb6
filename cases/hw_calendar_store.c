/* The calendar between the store and memory (cases/hw_calendar_store.h). */
#include "cases/hw_calendar_store.h"

#include <string.h>

#define SHIPPED_NAME "cn-2025-2026"
#define SEED_DAYS_MAX 10000

const char *hw_calendar_shipped_name(void) { return SHIPPED_NAME; }

HwStoreCalendarDay *hw_calendar_days_to_store(const HwCalendarDay *days, size_t n)
{
  HwStoreCalendarDay *out = g_new0(HwStoreCalendarDay, MAX(n, 1));
  for (size_t i = 0; i < n; i++) {
    hw_date_format(days[i].date, out[i].day, sizeof out[i].day);
    g_strlcpy(out[i].kind, hw_day_kind_name(days[i].kind), sizeof out[i].kind);
    g_strlcpy(out[i].name, days[i].name, sizeof out[i].name);
  }
  return out;
}

bool hw_calendar_seed_shipped(HwStore *store, bool *ret_seeded, GError **error)
{
  const char *text = hw_calendar_shipped_text();
  g_autofree HwCalendarDay *days = NULL;
  size_t n = 0;
  if (!hw_calendar_parse(text, strlen(text), SEED_DAYS_MAX, &days, &n, error))
    return false;
  g_autofree HwStoreCalendarDay *rows = hw_calendar_days_to_store(days, n);
  return hw_store_calendar_seed(store, rows, n, SHIPPED_NAME, hw_time_now(), ret_seeded, error);
}

HwCalendar *hw_calendar_load(HwStore *store, const char *timezone, int64_t *ret_version,
                             GError **error)
{
  int64_t version = 0;
  g_autofree HwStoreCalendarDay *rows = NULL;
  size_t n = 0;
  if (!hw_store_calendar_version(store, &version, error) ||
      !hw_store_calendar_list(store, 0, &rows, &n, error))
    return NULL;
  g_autofree HwCalendarDay *days = g_new0(HwCalendarDay, MAX(n, 1));
  for (size_t i = 0; i < n; i++) {
    /* The table's checks hold the same rules; a row that breaks them is refused, not skipped. */
    if (!hw_date_parse(rows[i].day, &days[i].date) ||
        (days[i].kind = hw_day_kind_from_name(rows[i].kind)) == 0) {
      g_set_error(error, HW_CALENDAR_ERROR, HW_CALENDAR_ERROR_INVALID,
                  "the store's calendar row %s (%s) is not valid", rows[i].day, rows[i].kind);
      return NULL;
    }
    g_strlcpy(days[i].name, rows[i].name, sizeof days[i].name);
  }
  HwCalendar *cal = hw_calendar_new(timezone, days, n, error);
  if (cal != NULL && ret_version != NULL)
    *ret_version = version;
  return cal;
}

struct HwCalendarSource {
  HwStore *store;
  char *timezone;
  GMutex lock;
  HwCalendar *cal; /* NULL until the first load */
  int64_t version;
};

HwCalendarSource *hw_calendar_source_new(HwStore *store, const char *timezone)
{
  HwCalendarSource *src = g_new0(HwCalendarSource, 1);
  src->store = store;
  src->timezone = g_strdup(timezone);
  g_mutex_init(&src->lock);
  return src;
}

void hw_calendar_source_free(HwCalendarSource *src)
{
  if (src == NULL)
    return;
  g_clear_pointer(&src->cal, hw_calendar_unref);
  g_mutex_clear(&src->lock);
  g_free(src->timezone);
  g_free(src);
}

HwCalendar *hw_calendar_source_get(HwCalendarSource *src, GError **error)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&src->lock);
  int64_t version = 0;
  g_autoptr(GError) local = NULL;
  if (hw_store_calendar_version(src->store, &version, &local) &&
      (src->cal == NULL || version != src->version)) {
    HwCalendar *fresh = hw_calendar_load(src->store, src->timezone, &version, &local);
    if (fresh != NULL) {
      g_clear_pointer(&src->cal, hw_calendar_unref);
      src->cal = fresh;
      src->version = version;
    }
  }
  if (src->cal == NULL) {
    g_propagate_error(error, g_steal_pointer(&local));
    return NULL;
  }
  return hw_calendar_ref(src->cal);
}
