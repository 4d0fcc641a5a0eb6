/* bench/deadlines: what the warnings evaluator pays per open case and timer tick. Evaluates
 * hw_deadline_compute for N synthetic open cases (accepted in 2025-2026, limits 1-60 working or
 * calendar days, 0-3 suspensions, one in ten still open) and compares with the obvious
 * alternative, walking the days one by one with the calendar's is_working_day. Prints ns per case
 * for both and checks they agree on every due date. --smoke: a small N, fails on disagreement. */
#include <glib.h>
#include <stdio.h>
#include <string.h>

#include "cases/hw_calendar.h"
#include "cases/hw_deadline.h"

typedef struct {
  HwDeadlineInput in;
  HwSuspension s[3];
} Case;

/* The naive walk: day after day, skipping stopped and (for working limits) non-working days. */
static hw_date walk_due(const HwCalendar *cal, const HwDeadlineInput *in, bool *ret_open)
{
  hw_date a = hw_calendar_date_of(cal, in->accepted_ns), d = a;
  *ret_open = false;
  if (in->limit_days == 0)
    return a;
  for (int counted = 0; counted < in->limit_days;) {
    d++;
    bool stopped = false;
    for (size_t i = 0; i < in->n_suspensions && !stopped; i++) {
      hw_date x = hw_calendar_date_of(cal, in->suspensions[i].start_ns);
      if (in->suspensions[i].end_ns == HW_TIME_OPEN) {
        stopped = d > x;
        if (stopped && d > a + 4000) {
          *ret_open = true;
          return 0;
        }
      } else {
        stopped = d > x && d <= hw_calendar_date_of(cal, in->suspensions[i].end_ns);
      }
    }
    if (!stopped && (in->unit == HW_LIMIT_CALENDAR_DAYS || hw_calendar_is_working_day(cal, d)))
      counted++;
  }
  if (in->unit == HW_LIMIT_CALENDAR_DAYS)
    while (!hw_calendar_is_working_day(cal, d))
      d++;
  return d;
}

int main(int argc, char **argv)
{
  bool smoke = argc > 1 && strcmp(argv[1], "--smoke") == 0;
  size_t n = smoke ? 2000 : 200000;
  g_autoptr(GError) error = NULL;
  g_autoptr(HwCalendar) cal = hw_calendar_new_shipped(NULL, &error);
  if (cal == NULL)
    g_error("%s", error->message);
  g_autoptr(GRand) r = g_rand_new_with_seed(7);
  Case *cases = g_new0(Case, n);
  hw_date first = hw_date_from_ymd(2025, 1, 1);
  for (size_t i = 0; i < n; i++) {
    Case *c = &cases[i];
    c->in.accepted_ns = hw_calendar_day_start(cal, first + g_rand_int_range(r, 0, 700)) +
                        g_rand_int_range(r, 0, 86400) * HW_NS_PER_S;
    c->in.limit_days = g_rand_int_range(r, 1, 61);
    c->in.unit = g_rand_int_range(r, 0, 4) ? HW_LIMIT_WORKING_DAYS : HW_LIMIT_CALENDAR_DAYS;
    c->in.suspensions = c->s;
    c->in.n_suspensions = (size_t)g_rand_int_range(r, 0, 4);
    hw_time_ns t = c->in.accepted_ns;
    for (size_t k = 0; k < c->in.n_suspensions; k++) {
      c->s[k].start_ns = t + g_rand_int_range(r, 3600, 10 * 86400) * HW_NS_PER_S;
      c->s[k].end_ns = c->s[k].start_ns + g_rand_int_range(r, 3600, 15 * 86400) * HW_NS_PER_S;
      t = c->s[k].end_ns;
    }
    if (c->in.n_suspensions > 0 && g_rand_int_range(r, 0, 10) == 0)
      c->s[c->in.n_suspensions - 1].end_ns = HW_TIME_OPEN;
  }
  hw_time_ns now = hw_calendar_day_start(cal, hw_date_from_ymd(2026, 6, 1));

  HwDeadline *out = g_new(HwDeadline, n);
  gint64 t0 = g_get_monotonic_time();
  for (size_t i = 0; i < n; i++)
    if (hw_deadline_compute(cal, &cases[i].in, now, &out[i]) != 0)
      g_error("case %zu refused", i);
  gint64 t1 = g_get_monotonic_time();
  size_t disagree = 0;
  for (size_t i = 0; i < n; i++) {
    bool open;
    hw_date d = walk_due(cal, &cases[i].in, &open);
    disagree += open != out[i].open || (!open && d != out[i].due_date);
  }
  gint64 t2 = g_get_monotonic_time();
  printf("%zu open cases, 2025-2026 calendar\n", n);
  printf("  hw_deadline_compute (due, used, remaining, stopped): %8.0f ns/case, %6.1f ms in all\n",
         (double)(t1 - t0) * 1000 / (double)n, (double)(t1 - t0) / 1000);
  printf("  day-by-day walk (due date only):                     %8.0f ns/case, %6.1f ms in all\n",
         (double)(t2 - t1) * 1000 / (double)n, (double)(t2 - t1) / 1000);
  printf("  due dates that disagree: %zu\n", disagree);
  g_free(out);
  g_free(cases);
  return disagree == 0 ? 0 : 1;
}
