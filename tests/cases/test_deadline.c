/* cases/hw_deadline: the golden cases worked out by hand (tests/cases/deadlines_golden.txt) and
 * properties over thousands of seeded random cases: a suspension of k working days moves the due
 * date by exactly k working days; a due date is a working day; used() and when_used() agree. */
#include <errno.h>
#include <glib.h>
#include <math.h>
#include <string.h>

#include "cases/hw_calendar.h"
#include "cases/hw_deadline.h"

#define SEED 20260303
#define ITERATIONS 5000

static HwCalendar *shipped(const char *tz)
{
  g_autoptr(GError) error = NULL;
  HwCalendar *cal = hw_calendar_new_shipped(tz, &error);
  g_assert_no_error(error);
  return cal;
}

static hw_time_ns parse_time(const char *s)
{
  hw_time_ns t = 0;
  if (hw_time_parse(s, &t) != 0)
    g_error("golden: bad time '%s'", s);
  return t;
}

static bool yes(const char *v)
{
  if (g_strcmp0(v, "yes") != 0 && g_strcmp0(v, "no") != 0)
    g_error("golden: expected yes or no, got '%s'", v);
  return strcmp(v, "yes") == 0;
}

/* ---- golden ---------------------------------------------------------------------------------- */

static void check_golden_line(const char *line, size_t lineno)
{
  g_auto(GStrv) fields = g_strsplit(line, " ", -1);
  g_autoptr(GHashTable) kv = g_hash_table_new(g_str_hash, g_str_equal);
  for (size_t i = 0; fields[i]; i++) {
    char *eq = strchr(fields[i], '=');
    if (fields[i][0] == '\0')
      continue;
    if (eq == NULL)
      g_error("golden line %zu: '%s' is not key=value", lineno, fields[i]);
    *eq = '\0';
    g_hash_table_insert(kv, fields[i], eq + 1);
  }
  const char *id = g_hash_table_lookup(kv, "id");
  g_test_message("golden %s", id);
  g_autoptr(HwCalendar) cal = shipped(g_hash_table_lookup(kv, "tz"));

  HwSuspension susp[8];
  HwDeadlineInput in = {.accepted_ns = parse_time(g_hash_table_lookup(kv, "accepted")),
                        .limit_days = atoi(g_hash_table_lookup(kv, "limit")),
                        .suspensions = susp};
  const char *unit = g_hash_table_lookup(kv, "unit");
  in.unit = strcmp(unit, "working") == 0 ? HW_LIMIT_WORKING_DAYS : HW_LIMIT_CALENDAR_DAYS;
  const char *s = g_hash_table_lookup(kv, "susp");
  if (s != NULL) {
    g_auto(GStrv) list = g_strsplit(s, ",", -1);
    for (size_t i = 0; list[i]; i++) {
      g_auto(GStrv) se = g_strsplit(list[i], "~", 2);
      g_assert_nonnull(se[1]);
      susp[i].start_ns = parse_time(se[0]);
      susp[i].end_ns = strcmp(se[1], "open") == 0 ? HW_TIME_OPEN : parse_time(se[1]);
      in.n_suspensions++;
    }
  }
  const char *now_s = g_hash_table_lookup(kv, "now");
  hw_time_ns now = now_s ? parse_time(now_s) : in.accepted_ns;

  HwDeadline d;
  g_assert_cmpint(hw_deadline_compute(cal, &in, now, &d), ==, 0);
  const char *due = g_hash_table_lookup(kv, "due");
  char buf[16];
  if (strcmp(due, "open") == 0) {
    g_assert_true(d.open);
    g_assert_cmpint(d.due_ns, ==, HW_TIME_OPEN);
  } else {
    g_assert_false(d.open);
    g_assert_cmpstr(hw_date_format(d.due_date, buf, sizeof buf), ==, due);
    /* Always 24:00 of the due date in the hall's zone. */
    g_assert_cmpint(d.due_ns, ==, hw_calendar_day_start(cal, d.due_date + 1));
  }
  const char *v;
  if ((v = g_hash_table_lookup(kv, "due_at")) != NULL)
    g_assert_cmpint(d.due_ns, ==, parse_time(v));
  if ((v = g_hash_table_lookup(kv, "used")) != NULL)
    g_assert_cmpfloat_with_epsilon(d.used_days, g_ascii_strtod(v, NULL), 1e-9);
  if ((v = g_hash_table_lookup(kv, "remaining")) != NULL)
    g_assert_cmpfloat_with_epsilon(d.remaining_days, g_ascii_strtod(v, NULL), 1e-9);
  if ((v = g_hash_table_lookup(kv, "stopped")) != NULL)
    g_assert_cmpint(d.stopped, ==, yes(v));
  if ((v = g_hash_table_lookup(kv, "late")) != NULL)
    g_assert_cmpint(d.late, ==, yes(v));
  g_assert_cmpint(d.beyond_calendar, ==, (v = g_hash_table_lookup(kv, "beyond")) != NULL && yes(v));
}

static void test_golden(void)
{
  g_autofree char *text = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true(g_file_get_contents(HW_GOLDEN, &text, NULL, &error));
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  size_t cases = 0;
  for (size_t i = 0; lines[i]; i++) {
    if (!g_str_has_prefix(lines[i], "id="))
      continue;
    check_golden_line(lines[i], i + 1);
    cases++;
  }
  g_assert_cmpuint(cases, >=, 30);
}

/* ---- properties ------------------------------------------------------------------------------ */

/* A random instant on a random day of 2025-2026 (plus a margin into 2027). */
static hw_time_ns random_instant(GRand *r, const HwCalendar *cal, hw_date *ret_day)
{
  hw_date first = hw_date_from_ymd(2025, 1, 1), last = hw_date_from_ymd(2026, 12, 31);
  hw_date day = first + g_rand_int_range(r, 0, last - first + 1);
  if (ret_day)
    *ret_day = day;
  return hw_calendar_day_start(cal, day) + (hw_time_ns)g_rand_int_range(r, 0, 86400) * HW_NS_PER_S;
}

static void test_suspension_moves_due(void)
{
  g_autoptr(HwCalendar) cal = shipped(NULL);
  g_autoptr(GRand) r = g_rand_new_with_seed(SEED);
  for (int it = 0; it < ITERATIONS; it++) {
    HwSuspension s;
    HwDeadlineInput in = {.unit = HW_LIMIT_WORKING_DAYS, .limit_days = g_rand_int_range(r, 1, 41)};
    hw_date a;
    in.accepted_ns = random_instant(r, cal, &a);
    HwDeadline plain, moved;
    g_assert_cmpint(hw_deadline_compute(cal, &in, in.accepted_ns, &plain), ==, 0);
    /* A suspension starting on a day x in [a, due] and ending y = x + 0..30 days later, at
     * random times of those days. */
    hw_date x = a + g_rand_int_range(r, 0, plain.due_date - a + 1);
    hw_date y = x + g_rand_int_range(r, 0, 31);
    s.start_ns = hw_calendar_day_start(cal, x) + g_rand_int_range(r, 0, 86400) * HW_NS_PER_S;
    s.end_ns = hw_calendar_day_start(cal, y) + g_rand_int_range(r, 0, 86400) * HW_NS_PER_S;
    if (s.end_ns < s.start_ns) {
      hw_time_ns t = s.start_ns;
      s.start_ns = s.end_ns;
      s.end_ns = t;
    }
    in.suspensions = &s;
    in.n_suspensions = 1;
    g_assert_cmpint(hw_deadline_compute(cal, &in, in.accepted_ns, &moved), ==, 0);
    int64_t k = hw_calendar_count_working_days(cal, x, y);
    hw_date expected =
        x < plain.due_date ? hw_calendar_add_working_days(cal, plain.due_date, k) : plain.due_date;
    if (moved.due_date != expected) {
      char b1[16], b2[16], b3[16];
      g_error(
          "accepted %s limit %d, suspension to %s (k=%" G_GINT64_FORMAT "): due %s, expected %s",
          hw_date_format(a, b1, sizeof b1), in.limit_days, hw_date_format(y, b2, sizeof b2), k,
          hw_date_format(moved.due_date, b3, sizeof b3), hw_date_format(expected, b1, sizeof b1));
    }
    /* The limit itself never changes: the counted days up to the due date are the limit. */
    g_assert_cmpfloat(moved.total_days, ==, in.limit_days);
  }
}

static void test_working_due_is_working(void)
{
  g_autoptr(HwCalendar) cal = shipped(NULL);
  g_autoptr(GRand) r = g_rand_new_with_seed(SEED + 1);
  for (int it = 0; it < ITERATIONS; it++) {
    HwSuspension s[3];
    HwDeadlineInput in = {.unit =
                              g_rand_boolean(r) ? HW_LIMIT_WORKING_DAYS : HW_LIMIT_CALENDAR_DAYS,
                          .limit_days = g_rand_int_range(r, 1, 61),
                          .suspensions = s,
                          .n_suspensions = (size_t)g_rand_int_range(r, 0, 4)};
    in.accepted_ns = random_instant(r, cal, NULL);
    for (size_t i = 0; i < in.n_suspensions; i++) {
      s[i].start_ns = in.accepted_ns + g_rand_int_range(r, -3 * 86400, 40 * 86400) * HW_NS_PER_S;
      s[i].end_ns = s[i].start_ns + g_rand_int_range(r, 0, 20 * 86400) * HW_NS_PER_S;
    }
    HwDeadline d;
    g_assert_cmpint(hw_deadline_compute(cal, &in, in.accepted_ns, &d), ==, 0);
    g_assert_false(d.open);
    /* Working-day limits by construction, calendar-day limits by art. 203. */
    g_assert_true(hw_calendar_is_working_day(cal, d.due_date));
    g_assert_cmpint(d.due_date, >, hw_calendar_date_of(cal, in.accepted_ns));
    if (in.unit == HW_LIMIT_WORKING_DAYS)
      g_assert_cmpfloat(d.total_days, ==, in.limit_days);
    else
      g_assert_cmpfloat(d.total_days, >=, in.limit_days);
  }
}

static void test_used_round_trip(void)
{
  g_autoptr(HwCalendar) cal = shipped(NULL);
  g_autoptr(GRand) r = g_rand_new_with_seed(SEED + 2);
  for (int it = 0; it < ITERATIONS; it++) {
    HwSuspension s;
    HwDeadlineInput in = {.unit =
                              g_rand_boolean(r) ? HW_LIMIT_WORKING_DAYS : HW_LIMIT_CALENDAR_DAYS,
                          .limit_days = g_rand_int_range(r, 0, 31),
                          .suspensions = &s,
                          .n_suspensions = g_rand_boolean(r)};
    in.accepted_ns = random_instant(r, cal, NULL);
    s.start_ns = in.accepted_ns + g_rand_int_range(r, 0, 20 * 86400) * HW_NS_PER_S;
    s.end_ns = s.start_ns + g_rand_int_range(r, 0, 10 * 86400) * HW_NS_PER_S;
    HwDeadline d, at;
    g_assert_cmpint(hw_deadline_compute(cal, &in, in.accepted_ns, &d), ==, 0);
    /* At the due instant exactly the total is used, nothing remains, and it is late. */
    g_assert_cmpint(hw_deadline_compute(cal, &in, d.due_ns, &at), ==, 0);
    g_assert_cmpfloat_with_epsilon(at.used_days, d.total_days, 1e-9);
    g_assert_cmpfloat_with_epsilon(at.remaining_days, 0, 1e-9);
    g_assert_true(at.late);
    g_assert_cmpint(hw_deadline_compute(cal, &in, d.due_ns - 1, &at), ==, 0);
    g_assert_false(at.late);
    /* when_used(x) is the first instant with used == x (the timer of the 2/3 warning). */
    if (d.total_days <= 0)
      continue;
    double x = g_rand_double_range(r, 0.01, d.total_days);
    hw_time_ns t;
    g_assert_cmpint(hw_deadline_when_used(cal, &in, x, &t), ==, 0);
    g_assert_cmpint(t, <=, d.due_ns);
    g_assert_cmpint(hw_deadline_compute(cal, &in, t, &at), ==, 0);
    g_assert_cmpfloat_with_epsilon(at.used_days, x, 1e-6);
    g_assert_cmpint(hw_deadline_compute(cal, &in, t - HW_NS_PER_S, &at), ==, 0);
    g_assert_cmpfloat(at.used_days, <, x);
  }
}

static void test_refusals(void)
{
  g_autoptr(HwCalendar) cal = shipped(NULL);
  HwSuspension backwards = {.start_ns = 2000, .end_ns = 1000};
  HwDeadlineInput in = {.accepted_ns = 0, .limit_days = 5, .unit = HW_LIMIT_WORKING_DAYS};
  HwDeadline d = {.due_date = 42};
  in.limit_days = -1;
  g_assert_cmpint(hw_deadline_compute(cal, &in, 0, &d), ==, -EINVAL);
  in.limit_days = HW_DEADLINE_LIMIT_MAX + 1;
  g_assert_cmpint(hw_deadline_compute(cal, &in, 0, &d), ==, -EINVAL);
  in.limit_days = 5;
  in.unit = 0;
  g_assert_cmpint(hw_deadline_compute(cal, &in, 0, &d), ==, -EINVAL);
  in.unit = HW_LIMIT_CALENDAR_DAYS;
  in.suspensions = &backwards;
  in.n_suspensions = 1;
  g_assert_cmpint(hw_deadline_compute(cal, &in, 0, &d), ==, -EINVAL);
  in.n_suspensions = HW_DEADLINE_SUSPENSIONS_MAX + 1;
  g_assert_cmpint(hw_deadline_compute(cal, &in, 0, &d), ==, -EINVAL);
  g_assert_cmpint(d.due_date, ==, 42); /* untouched */
  hw_time_ns t = 7;
  in.n_suspensions = 0;
  g_assert_cmpint(hw_deadline_when_used(cal, &in, NAN, &t), ==, -EINVAL);
  g_assert_cmpint(t, ==, 7);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cases/deadline/golden", test_golden);
  g_test_add_func("/cases/deadline/suspension_moves_due", test_suspension_moves_due);
  g_test_add_func("/cases/deadline/working_due_is_working", test_working_due_is_working);
  g_test_add_func("/cases/deadline/used_round_trip", test_used_round_trip);
  g_test_add_func("/cases/deadline/refusals", test_refusals);
  return g_test_run();
}
