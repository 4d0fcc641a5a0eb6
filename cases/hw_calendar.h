/* Working days of a service hall: the Monday-to-Friday week corrected by public holidays and
 * swapped working days (调休), and civil dates in the hall's time zone. Pure: no store, no I/O.
 * An HwCalendar is immutable once built (share it between threads; refcounted); a change to the
 * calendar builds a new one (cases/hw_calendar_store.h loads it from the store). Lookups are O(1)
 * (is_working_day, count) or O(log days) (add): the days are precomputed into a cumulative array
 * over the years that have entries, the rest follows the plain week arithmetically. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hw_time.h"

G_BEGIN_DECLS

/* A civil date: days since 1970-01-01 (proleptic Gregorian; negative before 1970). */
typedef int32_t hw_date;

/* Years an entry of the calendar may name (a wider span is a typo, and it bounds the tables). */
#define HW_CALENDAR_YEAR_MIN 1970
#define HW_CALENDAR_YEAR_MAX 2199
#define HW_CALENDAR_NAME_MAX 127 /* bytes of an entry's name */
#define HW_CALENDAR_DEFAULT_TIMEZONE "Asia/Shanghai"

hw_date hw_date_from_ymd(int year, int month, int day);
void hw_date_to_ymd(hw_date date, int *ret_year, int *ret_month, int *ret_day);
/* 1 = Monday … 7 = Sunday. */
int hw_date_weekday(hw_date date);
/* "YYYY-MM-DD" (exactly, a real date, year HW_CALENDAR_YEAR_MIN..MAX); false otherwise, *ret
 * untouched. */
bool hw_date_parse(const char *s, hw_date *ret);
/* "YYYY-MM-DD" into buf (at least 11 bytes); returns buf. */
char *hw_date_format(hw_date date, char *buf, size_t len);

typedef enum {
  HW_DAY_HOLIDAY = 1, /* no work that day (放假) */
  HW_DAY_WORKDAY = 2, /* a weekend day that is worked (调休上班) */
} HwDayKind;

/* "holiday" / "workday"; NULL for another value. */
const char *hw_day_kind_name(HwDayKind kind);
/* The kind of a name, 0 if unknown. */
HwDayKind hw_day_kind_from_name(const char *name);

typedef struct {
  hw_date date;
  HwDayKind kind;
  char name[HW_CALENDAR_NAME_MAX + 1]; /* "春节"; may be "" */
} HwCalendarDay;

#define HW_CALENDAR_ERROR (hw_calendar_error_quark())
GQuark hw_calendar_error_quark(void);

typedef enum {
  HW_CALENDAR_ERROR_PARSE,    /* a line of a calendar file is wrong (the message names it) */
  HW_CALENDAR_ERROR_TIMEZONE, /* not an IANA time zone name this system knows */
  HW_CALENDAR_ERROR_INVALID,  /* entries that break the contract (duplicate date, bad kind) */
} HwCalendarError;

/* Parses the calendar file format (cases/calendar/cn-2025-2026.txt): one date a line,
 * "YYYY-MM-DD holiday|workday name" (fields separated by spaces or tabs; the name is the rest of
 * the line, UTF-8, at most HW_CALENDAR_NAME_MAX bytes, may be empty); '#' lines and blank lines
 * are skipped; a date given twice is an error. All or nothing: on the first bad line returns
 * false with error "line N: …" (HW_CALENDAR_ERROR_PARSE) and *ret untouched. On success *ret is a
 * new array sorted by date (g_free), *ret_n its length (0 for a file with no dates). At most
 * max_days entries (more: error). */
bool hw_calendar_parse(const char *text, size_t len, size_t max_days, HwCalendarDay **ret,
                       size_t *ret_n, GError **error);

/* The shipped arrangements (cases/calendar/cn-2025-2026.txt, built into the binary; transfer
 * none, NUL-terminated) and a short name for it ("cn-2025-2026"). */
const char *hw_calendar_shipped_text(void);
const char *hw_calendar_shipped_name(void);

typedef struct HwCalendar HwCalendar;

/* Builds a calendar in time zone `timezone` (an IANA name such as "Asia/Shanghai"; NULL: the
 * default) from days[0..n) (any order; borrowed). NULL with error on an unknown zone, a date
 * outside the years allowed, an unknown kind or a date given twice. Free with hw_calendar_unref. */
HwCalendar *hw_calendar_new(const char *timezone, const HwCalendarDay *days, size_t n,
                            GError **error);
HwCalendar *hw_calendar_ref(HwCalendar *cal);
void hw_calendar_unref(HwCalendar *cal);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HwCalendar, hw_calendar_unref)

/* The calendar of the shipped arrangements alone (no store), for tests and tools; NULL with error
 * only for an unknown zone. */
HwCalendar *hw_calendar_new_shipped(const char *timezone, GError **error);

/* The zone's IANA name (transfer none). */
const char *hw_calendar_timezone(const HwCalendar *cal);
/* Whether `name` is a time zone this system knows (what hw_calendar_new accepts). */
bool hw_calendar_timezone_valid(const char *name);

/* Whether any entry falls in `year`: a year without entries is only Monday to Friday, which is
 * wrong for China, so callers flag results that reach into one. */
bool hw_calendar_has_year(const HwCalendar *cal, int year);

bool hw_calendar_is_working_day(const HwCalendar *cal, hw_date date);
/* Working days in (from, to]: the day `from` itself is never counted. Negative (minus the
 * working days in (to, from]) when to < from. */
int64_t hw_calendar_count_working_days(const HwCalendar *cal, hw_date from, hw_date to);
/* The n-th working day after `from` (n >= 0; n = 0 gives `from` itself, whatever it is), so that
 * count_working_days(from, add_working_days(from, n)) == n. n < 0 is a contract violation:
 * `from` is returned. */
hw_date hw_calendar_add_working_days(const HwCalendar *cal, hw_date from, int64_t n);

/* The civil date of instant t in the calendar's zone. */
hw_date hw_calendar_date_of(const HwCalendar *cal, hw_time_ns t);
/* 00:00 of `date` in the calendar's zone, as an instant (a day that starts in a DST gap starts
 * when the gap ends). The end of a day ("24:00") is the start of the next. */
hw_time_ns hw_calendar_day_start(const HwCalendar *cal, hw_date date);

G_END_DECLS
