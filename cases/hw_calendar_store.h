/* The working-day calendar between the store and memory: the shipped arrangements seeded once,
 * the rows turned into an HwCalendar, and a source that hands out the current calendar and
 * rebuilds it only when the store's calendar version moved (one small read), so the deadline
 * code never runs SQL per case. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "cases/hw_calendar.h"
#include "sql/hw_store_calendar.h"

G_BEGIN_DECLS

/* days as the store's rows (g_free the array; same length). */
HwStoreCalendarDay *hw_calendar_days_to_store(const HwCalendarDay *days, size_t n);

/* Imports the shipped arrangements (hw_calendar_shipped_text) unless a seed was ever imported
 * into this database; *ret_seeded says whether it happened now. */
bool hw_calendar_seed_shipped(HwStore *store, bool *ret_seeded, GError **error);

/* The calendar of the store's rows in time zone `timezone` (NULL: the default); *ret_version
 * (nullable) the version it was built from. NULL with error. */
HwCalendar *hw_calendar_load(HwStore *store, const char *timezone, int64_t *ret_version,
                             GError **error);

typedef struct HwCalendarSource HwCalendarSource;

/* store is borrowed and must outlive the source. Thread-safe. */
HwCalendarSource *hw_calendar_source_new(HwStore *store, const char *timezone);
void hw_calendar_source_free(HwCalendarSource *src);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HwCalendarSource, hw_calendar_source_free)
/* The current calendar (transfer full: hw_calendar_unref), rebuilt when the store changed since
 * the last call. Call it once per evaluation pass, not per case. If the store cannot be read the
 * last good calendar is returned; NULL with error only if there never was one. */
HwCalendar *hw_calendar_source_get(HwCalendarSource *src, GError **error);

G_END_DECLS
