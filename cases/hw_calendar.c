/* The working-day calendar (cases/hw_calendar.h): civil dates, the calendar file format, and the
 * working-day arithmetic. Everything is defined by one function C(d), the number of working
 * days up to d: the plain week gives it in closed form (F below), the years with entries keep it
 * in a cumulative array, so counting is a subtraction and adding is a binary search. */
#include "cases/hw_calendar.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>

#define SECONDS_PER_DAY INT64_C(86400)

struct HwCalendar {
  gint refs;
  GTimeZone *tz;
  char *tz_name;
  hw_date lo, hi; /* the years with entries: Jan 1 of the first .. Dec 31 of the last */
  int32_t *cum;   /* cum[i]: working days in [lo, lo + i]; NULL when there is no entry */
  uint8_t *years; /* years[y - HW_CALENDAR_YEAR_MIN]: an entry falls in year y */
};

G_DEFINE_QUARK(hw - calendar - error - quark, hw_calendar_error)

/* ---- civil dates ----------------------------------------------------------------------------- */

static int64_t floor_div(int64_t a, int64_t b)
{
  int64_t q = a / b;
  return (a % b != 0 && (a < 0) != (b < 0)) ? q - 1 : q;
}

static int64_t floor_mod(int64_t a, int64_t b) { return a - floor_div(a, b) * b; }

/* Days from civil (H. Hinnant's algorithm): exact over the proleptic Gregorian calendar. */
hw_date hw_date_from_ymd(int year, int month, int day)
{
  int64_t y = (int64_t)year - (month <= 2);
  int64_t era = floor_div(y, 400);
  int64_t yoe = y - era * 400;
  int64_t mp = (month + 9) % 12;
  int64_t doy = (153 * mp + 2) / 5 + day - 1;
  int64_t doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  return (hw_date)(era * 146097 + doe - 719468);
}

void hw_date_to_ymd(hw_date date, int *ret_year, int *ret_month, int *ret_day)
{
  int64_t z = (int64_t)date + 719468;
  int64_t era = floor_div(z, 146097);
  int64_t doe = z - era * 146097;
  int64_t yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  int64_t doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  int64_t mp = (5 * doy + 2) / 153;
  int64_t d = doy - (153 * mp + 2) / 5 + 1;
  int64_t m = mp < 10 ? mp + 3 : mp - 9;
  *ret_year = (int)(yoe + era * 400 + (m <= 2));
  *ret_month = (int)m;
  *ret_day = (int)d;
}

int hw_date_weekday(hw_date date)
{
  /* 1970-01-01 was a Thursday (4). */
  return (int)floor_mod((int64_t)date + 3, 7) + 1;
}

bool hw_date_parse(const char *s, hw_date *ret)
{
  if (s == NULL || strlen(s) != 10 || s[4] != '-' || s[7] != '-')
    return false;
  for (int i = 0; i < 10; i++)
    if (i != 4 && i != 7 && !g_ascii_isdigit(s[i]))
      return false;
  int y = atoi(s), m = atoi(s + 5), d = atoi(s + 8);
  if (y < HW_CALENDAR_YEAR_MIN || y > HW_CALENDAR_YEAR_MAX || m < 1 || m > 12 || d < 1 ||
      d > g_date_get_days_in_month((GDateMonth)m, (GDateYear)y))
    return false;
  *ret = hw_date_from_ymd(y, m, d);
  return true;
}

char *hw_date_format(hw_date date, char *buf, size_t len)
{
  int y, m, d;
  hw_date_to_ymd(date, &y, &m, &d);
  snprintf(buf, len, "%04d-%02d-%02d", y, m, d);
  return buf;
}

const char *hw_day_kind_name(HwDayKind kind)
{
  return kind == HW_DAY_HOLIDAY ? "holiday" : kind == HW_DAY_WORKDAY ? "workday" : NULL;
}

HwDayKind hw_day_kind_from_name(const char *name)
{
  if (g_strcmp0(name, "holiday") == 0)
    return HW_DAY_HOLIDAY;
  if (g_strcmp0(name, "workday") == 0)
    return HW_DAY_WORKDAY;
  return 0;
}

/* ---- the file format ------------------------------------------------------------------------- */

static int day_cmp(const void *a, const void *b)
{
  const HwCalendarDay *x = a, *y = b;
  return (x->date > y->date) - (x->date < y->date);
}

/* Sorts days by date; false with error naming the first date given twice. */
static bool sort_unique(HwCalendarDay *days, size_t n, GError **error)
{
  qsort(days, n, sizeof *days, day_cmp);
  for (size_t i = 1; i < n; i++) {
    if (days[i].date == days[i - 1].date) {
      char b[16];
      g_set_error(error, HW_CALENDAR_ERROR, HW_CALENDAR_ERROR_INVALID, "%s is given twice",
                  hw_date_format(days[i].date, b, sizeof b));
      return false;
    }
  }
  return true;
}

#define PARSE_FAIL(...)                                                                            \
  do {                                                                                             \
    g_autofree char *what_ = g_strdup_printf(__VA_ARGS__);                                         \
    g_set_error(error, HW_CALENDAR_ERROR, HW_CALENDAR_ERROR_PARSE, "line %zu: %s", lineno, what_); \
    return false;                                                                                  \
  } while (0)

bool hw_calendar_parse(const char *text, size_t len, size_t max_days, HwCalendarDay **ret,
                       size_t *ret_n, GError **error)
{
  g_autoptr(GArray) days = g_array_new(FALSE, TRUE, sizeof(HwCalendarDay));
  g_autoptr(GHashTable) seen = g_hash_table_new(NULL, NULL); /* date → line */
  size_t lineno = 0;
  const char *p = text, *end = text + len;
  if (memchr(text, '\0', len) != NULL) {
    g_set_error(error, HW_CALENDAR_ERROR, HW_CALENDAR_ERROR_PARSE, "the file contains a NUL byte");
    return false;
  }
  while (p < end) {
    const char *nl = memchr(p, '\n', (size_t)(end - p));
    const char *le = nl ? nl : end;
    lineno++;
    g_autofree char *line = g_strndup(p, (gsize)(le - p));
    p = nl ? nl + 1 : end;
    size_t l = strlen(line);
    if (l > 0 && line[l - 1] == '\r')
      line[--l] = '\0';
    if (lineno == 1 && g_str_has_prefix(line, "\xEF\xBB\xBF")) /* a UTF-8 byte order mark */
      memmove(line, line + 3, l - 2);
    char *s = g_strstrip(line);
    if (*s == '\0' || *s == '#')
      continue;
    if (!g_utf8_validate(s, -1, NULL))
      PARSE_FAIL("not valid UTF-8");
    char *date_end = s + strcspn(s, " \t");
    char *kind = date_end + strspn(date_end, " \t");
    char save = *date_end;
    *date_end = '\0';
    HwCalendarDay day = {0};
    if (!hw_date_parse(s, &day.date))
      PARSE_FAIL("'%s' is not a date YYYY-MM-DD from %d to %d", s, HW_CALENDAR_YEAR_MIN,
                 HW_CALENDAR_YEAR_MAX);
    *date_end = save;
    char *kind_end = kind + strcspn(kind, " \t");
    char *name = kind_end + strspn(kind_end, " \t");
    *kind_end = '\0';
    day.kind = hw_day_kind_from_name(kind);
    if (day.kind == 0)
      PARSE_FAIL("the kind must be holiday or workday, got '%s'", kind);
    if (strlen(name) > HW_CALENDAR_NAME_MAX)
      PARSE_FAIL("the name is longer than %d bytes", HW_CALENDAR_NAME_MAX);
    for (const char *c = name; *c; c++)
      if ((unsigned char)*c < 0x20 && *c != '\t')
        PARSE_FAIL("the name contains a control character");
    g_strlcpy(day.name, name, sizeof day.name);
    gpointer first = g_hash_table_lookup(seen, GINT_TO_POINTER(day.date));
    if (first != NULL) {
      char b[16];
      PARSE_FAIL("%s is given twice (first on line %d)", hw_date_format(day.date, b, sizeof b),
                 GPOINTER_TO_INT(first));
    }
    if (days->len >= max_days)
      PARSE_FAIL("more than %zu dates", max_days);
    g_hash_table_insert(seen, GINT_TO_POINTER(day.date), GINT_TO_POINTER((int)lineno));
    g_array_append_val(days, day);
  }
  size_t n = days->len;
  if (n > 1)
    qsort(days->data, n, sizeof(HwCalendarDay), day_cmp);
  *ret_n = n;
  *ret = (HwCalendarDay *)(void *)g_array_free(g_steal_pointer(&days), FALSE);
  return true;
}

/* ---- building -------------------------------------------------------------------------------- */

bool hw_calendar_timezone_valid(const char *name)
{
  if (name == NULL || *name == '\0')
    return false;
  GTimeZone *tz = g_time_zone_new_identifier(name);
  if (tz == NULL)
    return false;
  g_time_zone_unref(tz);
  return true;
}

/* Working days of the plain week (Monday to Friday) up to d, plus a constant: only differences
 * matter. Day 4 (1970-01-05) is a Monday. */
static int64_t week_count(int64_t d)
{
  int64_t m = d - 4;
  return 5 * floor_div(m, 7) + MIN(floor_mod(m, 7) + 1, 5);
}

/* The smallest d with week_count(d) >= k. */
static int64_t week_inverse(int64_t k) { return 4 + 7 * floor_div(k - 1, 5) + floor_mod(k - 1, 5); }

static bool plain_working(hw_date d) { return hw_date_weekday(d) <= 5; }

HwCalendar *hw_calendar_new(const char *timezone, const HwCalendarDay *days, size_t n,
                            GError **error)
{
  const char *name = timezone != NULL ? timezone : HW_CALENDAR_DEFAULT_TIMEZONE;
  GTimeZone *tz = *name ? g_time_zone_new_identifier(name) : NULL;
  if (tz == NULL) {
    g_set_error(error, HW_CALENDAR_ERROR, HW_CALENDAR_ERROR_TIMEZONE,
                "'%s' is not a time zone name this system knows (an IANA name such as "
                "Asia/Shanghai)",
                name);
    return NULL;
  }
  g_autofree HwCalendarDay *sorted = g_memdup2(days, n * sizeof *days);
  HwCalendar *cal = g_new0(HwCalendar, 1);
  cal->refs = 1;
  cal->tz = tz;
  cal->tz_name = g_strdup(name);
  cal->years = g_new0(uint8_t, HW_CALENDAR_YEAR_MAX - HW_CALENDAR_YEAR_MIN + 1);
  if (n > 0 && !sort_unique(sorted, n, error))
    goto fail;
  for (size_t i = 0; i < n; i++) {
    int y, m, d;
    hw_date_to_ymd(sorted[i].date, &y, &m, &d);
    if (y < HW_CALENDAR_YEAR_MIN || y > HW_CALENDAR_YEAR_MAX) {
      g_set_error(error, HW_CALENDAR_ERROR, HW_CALENDAR_ERROR_INVALID,
                  "%04d-%02d-%02d is outside the years %d..%d", y, m, d, HW_CALENDAR_YEAR_MIN,
                  HW_CALENDAR_YEAR_MAX);
      goto fail;
    }
    if (hw_day_kind_name(sorted[i].kind) == NULL) {
      g_set_error(error, HW_CALENDAR_ERROR, HW_CALENDAR_ERROR_INVALID,
                  "%04d-%02d-%02d has an unknown kind", y, m, d);
      goto fail;
    }
    cal->years[y - HW_CALENDAR_YEAR_MIN] = 1;
  }
  if (n == 0)
    return cal;

  int y0, y1, m, d;
  hw_date_to_ymd(sorted[0].date, &y0, &m, &d);
  hw_date_to_ymd(sorted[n - 1].date, &y1, &m, &d);
  cal->lo = hw_date_from_ymd(y0, 1, 1);
  cal->hi = hw_date_from_ymd(y1, 12, 31);
  size_t span = (size_t)(cal->hi - cal->lo + 1);
  cal->cum = g_new(int32_t, span);
  int32_t acc = 0;
  size_t k = 0;
  for (size_t i = 0; i < span; i++) {
    hw_date day = cal->lo + (hw_date)i;
    bool working = plain_working(day);
    if (k < n && sorted[k].date == day)
      working = sorted[k++].kind == HW_DAY_WORKDAY;
    acc += working;
    cal->cum[i] = acc;
  }
  return cal;

fail:
  hw_calendar_unref(cal);
  return NULL;
}

HwCalendar *hw_calendar_new_shipped(const char *timezone, GError **error)
{
  const char *text = hw_calendar_shipped_text();
  g_autofree HwCalendarDay *days = NULL;
  size_t n = 0;
  if (!hw_calendar_parse(text, strlen(text), 10000, &days, &n, error))
    return NULL;
  return hw_calendar_new(timezone, days, n, error);
}

HwCalendar *hw_calendar_ref(HwCalendar *cal)
{
  g_atomic_int_inc(&cal->refs);
  return cal;
}

void hw_calendar_unref(HwCalendar *cal)
{
  if (cal == NULL || !g_atomic_int_dec_and_test(&cal->refs))
    return;
  g_time_zone_unref(cal->tz);
  g_free(cal->tz_name);
  g_free(cal->cum);
  g_free(cal->years);
  g_free(cal);
}

const char *hw_calendar_timezone(const HwCalendar *cal) { return cal->tz_name; }

bool hw_calendar_has_year(const HwCalendar *cal, int year)
{
  return year >= HW_CALENDAR_YEAR_MIN && year <= HW_CALENDAR_YEAR_MAX &&
         cal->years[year - HW_CALENDAR_YEAR_MIN];
}

/* ---- the arithmetic -------------------------------------------------------------------------- */

/* C(d): working days in (lo - 1, d], negative below lo. Without entries, the plain week. */
static int64_t cum_count(const HwCalendar *cal, int64_t d)
{
  if (cal->cum == NULL)
    return week_count(d);
  if (d < cal->lo)
    return week_count(d) - week_count(cal->lo - 1);
  if (d <= cal->hi)
    return cal->cum[d - cal->lo];
  return cal->cum[cal->hi - cal->lo] + week_count(d) - week_count(cal->hi);
}

/* The smallest d with C(d) >= k. */
static int64_t cum_inverse(const HwCalendar *cal, int64_t k)
{
  if (cal->cum == NULL)
    return week_inverse(k);
  if (k <= 0)
    return week_inverse(k + week_count(cal->lo - 1));
  int64_t last = cal->cum[cal->hi - cal->lo];
  if (k > last)
    return week_inverse(k - last + week_count(cal->hi));
  size_t lo = 0, hi = (size_t)(cal->hi - cal->lo); /* cum[hi] >= k */
  while (lo < hi) {
    size_t mid = lo + (hi - lo) / 2;
    if (cal->cum[mid] >= k)
      hi = mid;
    else
      lo = mid + 1;
  }
  return cal->lo + (int64_t)lo;
}

bool hw_calendar_is_working_day(const HwCalendar *cal, hw_date date)
{
  return cum_count(cal, date) != cum_count(cal, (int64_t)date - 1);
}

int64_t hw_calendar_count_working_days(const HwCalendar *cal, hw_date from, hw_date to)
{
  return cum_count(cal, to) - cum_count(cal, from);
}

hw_date hw_calendar_add_working_days(const HwCalendar *cal, hw_date from, int64_t n)
{
  g_return_val_if_fail(n >= 0, from);
  if (n == 0)
    return from;
  return (hw_date)cum_inverse(cal, cum_count(cal, from) + n);
}

/* ---- time zone ------------------------------------------------------------------------------- */

hw_date hw_calendar_date_of(const HwCalendar *cal, hw_time_ns t)
{
  int64_t secs = floor_div(t, HW_NS_PER_S);
  int interval = g_time_zone_find_interval(cal->tz, G_TIME_TYPE_UNIVERSAL, secs);
  int64_t local = secs + g_time_zone_get_offset(cal->tz, interval);
  return (hw_date)floor_div(local, SECONDS_PER_DAY);
}

hw_time_ns hw_calendar_day_start(const HwCalendar *cal, hw_date date)
{
  gint64 local = (gint64)date * SECONDS_PER_DAY;
  int interval = g_time_zone_adjust_time(cal->tz, G_TIME_TYPE_STANDARD, &local);
  return (local - g_time_zone_get_offset(cal->tz, interval)) * HW_NS_PER_S;
}
