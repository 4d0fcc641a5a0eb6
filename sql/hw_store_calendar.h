/* The working-day calendar's rows in the store (sql/store_calendar.c): dates that differ from the
 * Monday-to-Friday week, as "YYYY-MM-DD" texts (what a date means is cases/hw_calendar.h's
 * business, not the store's). Every write bumps the calendar's version in one transaction with
 * the change. Thread-safe like the rest of the store. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "sql/hw_store.h"

G_BEGIN_DECLS

typedef struct {
  char day[11];   /* "2026-02-14" */
  char kind[8];   /* "holiday" / "workday" */
  char name[128]; /* "春节调休上班" */
  hw_time_ns updated_ns;
} HwStoreCalendarDay;

/* The rows of one year (year 0: all), by date (g_free the array). */
bool hw_store_calendar_list(HwStore *store, int year, HwStoreCalendarDay **ret, size_t *ret_n,
                            GError **error);
/* One row; NOT_FOUND if the date has none. */
bool hw_store_calendar_get(HwStore *store, const char *day, HwStoreCalendarDay *ret,
                           GError **error);
/* Sets a date's kind and name (updated_ns ignored: now). *ret_before (nullable) gets the row it
 * replaced and *ret_existed whether there was one. INVALID for a bad date, kind or name. */
bool hw_store_calendar_put(HwStore *store, const HwStoreCalendarDay *day, hw_time_ns now,
                           HwStoreCalendarDay *ret_before, bool *ret_existed, GError **error);
/* Removes a date's row (the date becomes a plain weekday or weekend day); NOT_FOUND if none. */
bool hw_store_calendar_delete(HwStore *store, const char *day, HwStoreCalendarDay *ret_before,
                              GError **error);
/* Writes days[0..n) in one transaction, all or nothing. replace_years: first removes every row
 * of the years the days fall in (a corrected year replaces the old one whole). */
bool hw_store_calendar_import(HwStore *store, const HwStoreCalendarDay *days, size_t n,
                              bool replace_years, hw_time_ns now, GError **error);
/* Imports days (merge) only if no seed was ever imported, and marks it done with `marker`, in one
 * transaction; *ret_seeded says whether it happened. Deleting seeded rows later sticks. */
bool hw_store_calendar_seed(HwStore *store, const HwStoreCalendarDay *days, size_t n,
                            const char *marker, hw_time_ns now, bool *ret_seeded, GError **error);
/* The calendar's version: grows with every write above (one cheap read). */
bool hw_store_calendar_version(HwStore *store, int64_t *ret, GError **error);

G_END_DECLS
