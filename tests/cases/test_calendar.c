/* cases/hw_calendar: civil dates, the calendar file format, the shipped PRC arrangements (known
 * dates, and the 248 working days of 2025 and of 2026 counted by hand), the working-day arithmetic
 * against a brute-force walk over thousands of seeded random cases, time zones, and the store
 * glue (seed once, reload on change). */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "cases/hw_calendar.h"
#include "cases/hw_calendar_store.h"
#include "sql/hw_store.h"
#include "sql/hw_store_private.h"

#define SEED 20260214

static hw_date D(const char *s)
{
  hw_date d = 0;
  if (!hw_date_parse(s, &d))
    g_error("bad date %s", s);
  return d;
}

static HwCalendar *shipped(const char *tz)
{
  g_autoptr(GError) error = NULL;
  HwCalendar *cal = hw_calendar_new_shipped(tz, &error);
  g_assert_no_error(error);
  return cal;
}

static void test_dates(void)
{
  char b[16];
  g_assert_cmpint(hw_date_from_ymd(1970, 1, 1), ==, 0);
  g_assert_cmpint(hw_date_from_ymd(2000, 3, 1), ==, 11017);
  g_assert_cmpint(hw_date_weekday(0), ==, 4);               /* Thursday */
  g_assert_cmpint(hw_date_weekday(D("2026-02-14")), ==, 6); /* Saturday */
  g_assert_cmpint(hw_date_weekday(D("2025-01-26")), ==, 7); /* Sunday */
  g_assert_cmpint(hw_date_weekday(hw_date_from_ymd(1969, 12, 29)), ==, 1);
  for (hw_date d = hw_date_from_ymd(1900, 1, 1); d < hw_date_from_ymd(2300, 1, 1); d += 17) {
    int y, m, dd;
    hw_date_to_ymd(d, &y, &m, &dd);
    g_assert_cmpint(hw_date_from_ymd(y, m, dd), ==, d);
  }
  g_assert_cmpstr(hw_date_format(D("2028-02-29"), b, sizeof b), ==, "2028-02-29");
  hw_date d = 99;
  const char *bad[] = {"2026-02-30", "2026-2-03",  "2026-02-03 ",
                       "1969-12-31", "2200-01-01", "2027-02-29",
                       "2026/02/03", "",           "2026-00-10"};
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
    g_assert_false(hw_date_parse(bad[i], &d));
  g_assert_cmpint(d, ==, 99);
  g_assert_false(hw_date_parse(NULL, &d));
}

static void test_parse(void)
{
  const char text[] = "\xEF\xBB\xBF# a comment\r\n"
                      "\n"
                      "2026-02-15 holiday 春节\r\n"
                      "  2026-02-14\tworkday\t春节调休上班  \n"
                      "2030-01-01 holiday\n"
                      "2026-01-01 holiday New Year's Day";
  g_autofree HwCalendarDay *days = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_calendar_parse(text, strlen(text), 10, &days, &n, &error));
  g_assert_cmpuint(n, ==, 4);
  g_assert_cmpint(days[0].date, ==, D("2026-01-01")); /* sorted */
  g_assert_cmpstr(days[0].name, ==, "New Year's Day");
  g_assert_cmpint(days[1].kind, ==, HW_DAY_WORKDAY);
  g_assert_cmpstr(days[1].name, ==, "春节调休上班");
  g_assert_cmpint(days[2].kind, ==, HW_DAY_HOLIDAY);
  g_assert_cmpstr(days[3].name, ==, "");
  g_free(g_steal_pointer(&days));
  g_assert_true(hw_calendar_parse("# nothing\n", 10, 10, &days, &n, &error));
  g_assert_cmpuint(n, ==, 0);
}

static void parse_fails(const char *text, size_t max, const char *message)
{
  HwCalendarDay *days = (HwCalendarDay *)0x1;
  size_t n = 77;
  g_autoptr(GError) error = NULL;
  g_assert_false(hw_calendar_parse(text, strlen(text), max, &days, &n, &error));
  g_assert_error(error, HW_CALENDAR_ERROR, HW_CALENDAR_ERROR_PARSE);
  if (strstr(error->message, message) == NULL)
    g_error("expected '%s' in '%s'", message, error->message);
  g_assert_true(days == (HwCalendarDay *)0x1 && n == 77); /* untouched */
}

static void test_parse_errors(void)
{
  parse_fails("2026-01-01 holiday 元旦\n2026-02-30 holiday x\n", 10,
              "line 2: '2026-02-30' is not a date");
  parse_fails("# c\n2026-01-01 vacation x\n", 10, "line 2: the kind must be holiday or workday");
  parse_fails("2026-01-01 holiday a\n\n2026-01-01 workday b\n", 10,
              "line 3: 2026-01-01 is given twice (first on line 1)");
  parse_fails("2026-01-01\n", 10, "line 1: the kind must be");
  parse_fails("2026-01-01 holiday a\n2026-01-02 holiday b\n", 1, "line 2: more than 1 dates");
  parse_fails("2026-01-01 holiday \xff\xfe\n", 10, "line 1: not valid UTF-8");
  g_autofree char *long_name = g_strdup_printf("2026-01-01 holiday %0200d\n", 0);
  parse_fails(long_name, 10, "line 1: the name is longer than 127 bytes");
  HwCalendarDay *days = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  g_assert_false(hw_calendar_parse("2026-01-01 holiday\0x", 20, 10, &days, &n, &error));
  g_assert_error(error, HW_CALENDAR_ERROR, HW_CALENDAR_ERROR_PARSE);
}

static void assert_working(const HwCalendar *cal, const char *date, bool working)
{
  if (hw_calendar_is_working_day(cal, D(date)) != working)
    g_error("%s should be a %s", date, working ? "working day" : "day off");
}

/* The shipped file is the one in the tree, byte for byte. */
static void test_shipped_is_the_tree_file(void)
{
  g_autofree char *text = NULL;
  g_assert_true(g_file_get_contents(HW_CALENDAR_DATA, &text, NULL, NULL));
  g_assert_cmpstr(hw_calendar_shipped_text(), ==, text);
}

static void test_shipped_2025(void)
{
  test_shipped_is_the_tree_file();
  g_autoptr(HwCalendar) cal = shipped(NULL);
  assert_working(cal, "2025-01-01", false);
  assert_working(cal, "2025-01-26", true); /* Sunday, make-up */
  assert_working(cal, "2025-01-27", true);
  for (const char *d = "2025-01-28"; d; d = NULL)
    for (hw_date x = D(d); x <= D("2025-02-04"); x++)
      g_assert_false(hw_calendar_is_working_day(cal, x));
  assert_working(cal, "2025-02-05", true);
  assert_working(cal, "2025-02-08", true); /* Saturday, make-up */
  assert_working(cal, "2025-02-09", false);
  assert_working(cal, "2025-04-04", false);
  assert_working(cal, "2025-04-27", true);
  assert_working(cal, "2025-05-05", false);
  assert_working(cal, "2025-06-02", false);
  /* National Day and Mid-Autumn 2025: Oct 1-8 off, Sun Sep 28 and Sat Oct 11 worked. */
  assert_working(cal, "2025-09-27", false);
  assert_working(cal, "2025-09-28", true);
  assert_working(cal, "2025-09-30", true);
  for (hw_date x = D("2025-10-01"); x <= D("2025-10-08"); x++)
    g_assert_false(hw_calendar_is_working_day(cal, x));
  assert_working(cal, "2025-10-09", true);
  assert_working(cal, "2025-10-11", true);
  assert_working(cal, "2025-10-12", false);
  /* 261 weekdays - 18 weekday holidays + 5 make-up days = 248 (= 365 - 104 - 13 holidays). */
  g_assert_cmpint(hw_calendar_count_working_days(cal, D("2024-12-31"), D("2025-12-31")), ==, 248);
  g_assert_true(hw_calendar_has_year(cal, 2025));
  g_assert_false(hw_calendar_has_year(cal, 2024));
}

static void test_shipped_2026(void)
{
  g_autoptr(HwCalendar) cal = shipped(NULL);
  assert_working(cal, "2026-01-01", false);
  assert_working(cal, "2026-01-03", false);
  assert_working(cal, "2026-01-04", true); /* Sunday, make-up */
  /* Spring Festival 2026: Feb 15-23 off (9 days), Saturdays Feb 14 and Feb 28 worked. */
  assert_working(cal, "2026-02-13", true);
  assert_working(cal, "2026-02-14", true);
  for (hw_date x = D("2026-02-15"); x <= D("2026-02-23"); x++)
    g_assert_false(hw_calendar_is_working_day(cal, x));
  g_assert_cmpint(hw_calendar_count_working_days(cal, D("2026-02-14"), D("2026-02-23")), ==, 0);
  assert_working(cal, "2026-02-24", true);
  assert_working(cal, "2026-02-28", true);
  assert_working(cal, "2026-03-01", false);
  assert_working(cal, "2026-04-06", false);
  assert_working(cal, "2026-05-05", false);
  assert_working(cal, "2026-05-09", true);
  assert_working(cal, "2026-06-19", false);
  assert_working(cal, "2026-09-20", true);
  assert_working(cal, "2026-09-25", false);
  assert_working(cal, "2026-10-07", false);
  assert_working(cal, "2026-10-08", true);
  assert_working(cal, "2026-10-10", true);
  /* 261 weekdays - 19 weekday holidays + 6 make-up days = 248. */
  g_assert_cmpint(hw_calendar_count_working_days(cal, D("2025-12-31"), D("2026-12-31")), ==, 248);
  /* 2027 has no data: the plain week. */
  assert_working(cal, "2027-01-01", true);
  g_assert_false(hw_calendar_has_year(cal, 2027));
}

static void test_plain_week(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HwCalendar) cal = hw_calendar_new("UTC", NULL, 0, &error);
  g_assert_no_error(error);
  g_assert_cmpstr(hw_calendar_timezone(cal), ==, "UTC");
  /* Mon 2026-03-02 + 5 = Mon 9; Fri + 1 = Mon; Sat + 1 = Mon. */
  g_assert_cmpint(hw_calendar_add_working_days(cal, D("2026-03-02"), 5), ==, D("2026-03-09"));
  g_assert_cmpint(hw_calendar_add_working_days(cal, D("2026-03-06"), 1), ==, D("2026-03-09"));
  g_assert_cmpint(hw_calendar_add_working_days(cal, D("2026-03-07"), 1), ==, D("2026-03-09"));
  g_assert_cmpint(hw_calendar_add_working_days(cal, D("2026-03-07"), 0), ==, D("2026-03-07"));
  g_assert_cmpint(hw_calendar_count_working_days(cal, D("2026-03-09"), D("2026-03-02")), ==, -5);
  /* Before 1970 too (negative day numbers). */
  g_assert_cmpint(hw_calendar_add_working_days(cal, hw_date_from_ymd(1969, 12, 26), 1), ==,
                  hw_date_from_ymd(1969, 12, 29));
}

/* Working days by definition: the file's entries over the plain week. */
static bool brute_working(const HwCalendarDay *days, size_t n, hw_date d)
{
  for (size_t i = 0; i < n; i++)
    if (days[i].date == d)
      return days[i].kind == HW_DAY_WORKDAY;
  return hw_date_weekday(d) <= 5;
}

static void test_arithmetic_properties(void)
{
  const char *text = hw_calendar_shipped_text();
  g_autofree HwCalendarDay *days = NULL;
  size_t n = 0;
  g_assert_true(hw_calendar_parse(text, strlen(text), 1000, &days, &n, NULL));
  g_autoptr(HwCalendar) cal = hw_calendar_new(NULL, days, n, NULL);
  hw_date first = D("2024-06-01"), last = D("2027-06-30");
  for (hw_date d = first; d <= last; d++)
    g_assert_cmpint(hw_calendar_is_working_day(cal, d), ==, brute_working(days, n, d));

  g_autoptr(GRand) r = g_rand_new_with_seed(SEED);
  for (int it = 0; it < 5000; it++) {
    hw_date a = first + g_rand_int_range(r, 0, last - first - 400);
    int64_t k = g_rand_int_range(r, 0, 250);
    hw_date b = hw_calendar_add_working_days(cal, a, k);
    /* add then count round-trips; the result is a working day, the first with that count. */
    g_assert_cmpint(hw_calendar_count_working_days(cal, a, b), ==, k);
    if (k > 0) {
      g_assert_true(hw_calendar_is_working_day(cal, b));
      g_assert_cmpint(hw_calendar_count_working_days(cal, a, b - 1), ==, k - 1);
    }
    /* count agrees with a walk, and count then add lands on the last working day <= e. */
    hw_date e = a + g_rand_int_range(r, 0, 120);
    int64_t walk = 0;
    hw_date last_working = a;
    for (hw_date x = a + 1; x <= e; x++)
      if (brute_working(days, n, x)) {
        walk++;
        last_working = x;
      }
    g_assert_cmpint(hw_calendar_count_working_days(cal, a, e), ==, walk);
    g_assert_cmpint(hw_calendar_add_working_days(cal, a, walk), ==, last_working);
  }
}

static void test_timezone(void)
{
  g_autoptr(HwCalendar) sh = shipped(NULL);
  g_assert_cmpstr(hw_calendar_timezone(sh), ==, "Asia/Shanghai");
  hw_time_ns t;
  g_assert_cmpint(hw_time_parse("2026-03-01T15:59:59Z", &t), ==, 0); /* 23:59:59 +08 */
  g_assert_cmpint(hw_calendar_date_of(sh, t), ==, D("2026-03-01"));
  g_assert_cmpint(hw_calendar_date_of(sh, t + HW_NS_PER_S), ==, D("2026-03-02"));
  g_assert_cmpint(hw_calendar_day_start(sh, D("2026-03-02")), ==, t + HW_NS_PER_S);

  /* New York: 2026-03-08 lasts 23 hours (DST starts at 02:00), midnight is 05:00Z. */
  g_autoptr(GError) error = NULL;
  g_autoptr(HwCalendar) ny = hw_calendar_new("America/New_York", NULL, 0, &error);
  g_assert_no_error(error);
  g_assert_cmpint(hw_time_parse("2026-03-08T05:00:00Z", &t), ==, 0);
  g_assert_cmpint(hw_calendar_day_start(ny, D("2026-03-08")), ==, t);
  g_assert_cmpint(hw_calendar_day_start(ny, D("2026-03-09")) - t, ==, 23 * 3600 * HW_NS_PER_S);
  g_assert_cmpint(hw_calendar_date_of(ny, t - 1), ==, D("2026-03-07"));

  g_assert_null(hw_calendar_new("Mars/Olympus_Mons", NULL, 0, &error));
  g_assert_error(error, HW_CALENDAR_ERROR, HW_CALENDAR_ERROR_TIMEZONE);
  g_assert_false(hw_calendar_timezone_valid("Mars/Olympus_Mons"));
  g_assert_false(hw_calendar_timezone_valid(""));
  g_assert_true(hw_calendar_timezone_valid("Asia/Shanghai"));
  g_clear_error(&error);
  HwCalendarDay twice[2] = {{.date = 20000, .kind = HW_DAY_HOLIDAY},
                            {.date = 20000, .kind = HW_DAY_WORKDAY}};
  g_assert_null(hw_calendar_new(NULL, twice, 2, &error));
  g_assert_error(error, HW_CALENDAR_ERROR, HW_CALENDAR_ERROR_INVALID);
}

/* ---- the store glue ------------------------------------------------------------------------ */

typedef struct {
  char *dir;
  HwStore *store;
} Fixture;

static void fixture_open(Fixture *f)
{
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp("hw-calendar-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *path = g_build_filename(f->dir, "hallwatch.db", NULL);
  f->store = hw_store_open(path, &error);
  g_assert_no_error(error);
}

static void fixture_close(Fixture *f)
{
  hw_store_close(f->store);
  g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name(d)) != NULL) {
    g_autofree char *p = g_build_filename(f->dir, name, NULL);
    g_unlink(p);
  }
  g_rmdir(f->dir);
  g_free(f->dir);
}

static void test_store_seed(void)
{
  Fixture f;
  fixture_open(&f);
  g_autoptr(GError) error = NULL;
  int64_t v0 = -1, v1 = -1;
  g_assert_true(hw_store_calendar_version(f.store, &v0, &error));
  bool seeded = false;
  g_assert_true(hw_calendar_seed_shipped(f.store, &seeded, &error));
  g_assert_true(seeded);
  g_assert_true(hw_store_calendar_version(f.store, &v1, &error));
  g_assert_cmpint(v1, >, v0);
  g_autofree HwStoreCalendarDay *rows = NULL;
  size_t n = 0;
  g_assert_true(hw_store_calendar_list(f.store, 2026, &rows, &n, &error));
  g_assert_cmpuint(n, ==, 39);
  g_assert_cmpstr(rows[4].day, ==, "2026-02-14");
  g_assert_cmpstr(rows[4].kind, ==, "workday");
  g_assert_cmpstr(rows[4].name, ==, "春节调休上班");

  /* An admin removes the make-up Saturday: the next start does not bring it back. */
  HwStoreCalendarDay before;
  g_assert_true(hw_store_calendar_delete(f.store, "2026-02-14", &before, &error));
  g_assert_cmpstr(before.kind, ==, "workday");
  g_assert_true(hw_calendar_seed_shipped(f.store, &seeded, &error));
  g_assert_false(seeded);
  g_autoptr(HwCalendar) cal = hw_calendar_load(f.store, NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_false(hw_calendar_is_working_day(cal, D("2026-02-14")));
  g_assert_false(hw_store_calendar_delete(f.store, "2026-02-14", NULL, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
  g_clear_error(&error);

  /* The table refuses what is not a date or a kind, by its named constraints. */
  HwStoreCalendarDay bad = {.day = "2026-02-30", .kind = "holiday"};
  g_assert_false(hw_store_calendar_put(f.store, &bad, 1, NULL, NULL, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID);
  g_assert_nonnull(strstr(error->message, "calendar_day_is_date"));
  g_clear_error(&error);
  HwStoreCalendarDay bad_kind = {.day = "2026-02-27", .kind = "nap"};
  g_assert_false(hw_store_calendar_put(f.store, &bad_kind, 1, NULL, NULL, &error));
  g_assert_nonnull(strstr(error->message, "calendar_kind_known"));
  g_clear_error(&error);

  /* Import replacing a year: 2025's rows go, 2026's stay; all or nothing on a bad row. */
  HwStoreCalendarDay one[2] = {{.day = "2025-12-24", .kind = "holiday", .name = "x"},
                               {.day = "2025-13-01", .kind = "holiday"}};
  g_assert_false(hw_store_calendar_import(f.store, one, 2, true, 1, &error));
  g_clear_error(&error);
  g_autofree HwStoreCalendarDay *again = NULL;
  g_assert_true(hw_store_calendar_list(f.store, 2025, &again, &n, &error));
  g_assert_cmpuint(n, ==, 33);
  g_assert_true(hw_store_calendar_import(f.store, one, 1, true, 1, &error));
  g_free(g_steal_pointer(&again));
  g_assert_true(hw_store_calendar_list(f.store, 2025, &again, &n, &error));
  g_assert_cmpuint(n, ==, 1);
  g_free(g_steal_pointer(&again));
  g_assert_true(hw_store_calendar_list(f.store, 0, &again, &n, &error));
  g_assert_cmpuint(n, ==, 1 + 38);
  fixture_close(&f);
}

static void test_source_reload(void)
{
  Fixture f;
  fixture_open(&f);
  g_autoptr(GError) error = NULL;
  g_autoptr(HwCalendarSource) src = hw_calendar_source_new(f.store, "Asia/Shanghai");
  g_autoptr(HwCalendar) a = hw_calendar_source_get(src, &error);
  g_assert_no_error(error);
  g_autoptr(HwCalendar) b = hw_calendar_source_get(src, &error);
  g_assert_true(a == b);                                         /* nothing changed: no rebuild */
  g_assert_true(hw_calendar_is_working_day(a, D("2026-10-01"))); /* empty store: plain week */
  HwStoreCalendarDay day = {.day = "2026-10-01", .kind = "holiday", .name = "国庆节"};
  bool existed = true;
  g_assert_true(hw_store_calendar_put(f.store, &day, 1, NULL, &existed, &error));
  g_assert_false(existed);
  g_autoptr(HwCalendar) c = hw_calendar_source_get(src, &error);
  g_assert_true(c != b);
  g_assert_false(hw_calendar_is_working_day(c, D("2026-10-01")));
  fixture_close(&f);
}

/* A database made before the calendar existed gains the table, its version row and, at the next
 * start, the shipped holidays; its other rows stay. */
static void test_migrates_previous_version(void)
{
  size_t cal = 0;
  while (cal < hw_store_n_migrations && !strstr(hw_store_migrations[cal].name, "_calendar.sql"))
    cal++;
  g_assert_cmpuint(cal, <, hw_store_n_migrations);
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("hw-calendar-migrate-XXXXXX", &error);
  g_autofree char *path = g_build_filename(dir, "hallwatch.db", NULL);
  HwStore *old = hw_store_open_with_migrations(path, hw_store_migrations, cal, &error);
  g_assert_no_error(error);
  g_assert_cmpint(hw_store_schema_version(old), ==, (int)cal);
  g_assert_true(hw_store_camera_upsert(old, "cam-1", "config", &error));
  hw_store_close(old);

  Fixture f = {.dir = g_steal_pointer(&dir)};
  f.store = hw_store_open(path, &error);
  g_assert_no_error(error);
  g_assert_cmpint(hw_store_schema_version(f.store), ==, hw_store_schema_version_known());
  int64_t version = -1;
  g_assert_true(hw_store_calendar_version(f.store, &version, &error));
  g_assert_cmpint(version, ==, 0);
  bool seeded = false;
  g_assert_true(hw_calendar_seed_shipped(f.store, &seeded, &error));
  g_assert_true(seeded);
  g_autoptr(HwCalendar) c = hw_calendar_load(f.store, "Asia/Shanghai", &version, &error);
  g_assert_no_error(error);
  g_assert_cmpint(version, ==, 1);
  g_assert_true(hw_calendar_is_working_day(c, D("2026-02-28")));
  g_assert_true(hw_store_camera_upsert(f.store, "cam-1", "config", &error)); /* still there */
  fixture_close(&f);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cases/calendar/dates", test_dates);
  g_test_add_func("/cases/calendar/parse", test_parse);
  g_test_add_func("/cases/calendar/parse_errors", test_parse_errors);
  g_test_add_func("/cases/calendar/shipped_2025", test_shipped_2025);
  g_test_add_func("/cases/calendar/shipped_2026", test_shipped_2026);
  g_test_add_func("/cases/calendar/plain_week", test_plain_week);
  g_test_add_func("/cases/calendar/arithmetic_properties", test_arithmetic_properties);
  g_test_add_func("/cases/calendar/timezone", test_timezone);
  g_test_add_func("/cases/calendar/store_seed", test_store_seed);
  g_test_add_func("/cases/calendar/source_reload", test_source_reload);
  g_test_add_func("/cases/calendar/migrates_previous_version", test_migrates_previous_version);
  return g_test_run();
}
