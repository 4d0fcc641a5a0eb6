/* Due dates, used and remaining days of a case's limit (cases/hw_deadline.h). A "clock" is the
 * case's acceptance date, unit and stopped day ranges, merged and sorted; every answer is then a
 * few calls of the calendar's O(1)/O(log) arithmetic per stopped range. */
#include "cases/hw_deadline.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>

#define OPEN_DATE INT32_MAX

typedef struct {
  hw_date x, y; /* the days (x, y] are stopped; y = OPEN_DATE: not resumed yet */
} Range;

typedef struct {
  const HwCalendar *cal;
  hw_date a; /* acceptance date */
  HwLimitUnit unit;
  int32_t n;
  Range r[HW_DEADLINE_SUSPENSIONS_MAX];
  size_t nr;
} Clock;

static int range_cmp(const void *p, const void *q)
{
  const Range *u = p, *v = q;
  return (u->x > v->x) - (u->x < v->x);
}

static int clock_init(const HwCalendar *cal, const HwDeadlineInput *in, Clock *c)
{
  if (cal == NULL || in == NULL || in->limit_days < 0 || in->limit_days > HW_DEADLINE_LIMIT_MAX ||
      (in->unit != HW_LIMIT_WORKING_DAYS && in->unit != HW_LIMIT_CALENDAR_DAYS) ||
      in->n_suspensions > HW_DEADLINE_SUSPENSIONS_MAX ||
      (in->n_suspensions > 0 && in->suspensions == NULL))
    return -EINVAL;
  c->cal = cal;
  c->a = hw_calendar_date_of(cal, in->accepted_ns);
  c->unit = in->unit;
  c->n = in->limit_days;
  c->nr = 0;
  for (size_t i = 0; i < in->n_suspensions; i++) {
    const HwSuspension *s = &in->suspensions[i];
    if (s->end_ns < s->start_ns)
      return -EINVAL;
    Range r = {.x = MAX(hw_calendar_date_of(cal, s->start_ns), c->a),
               .y = s->end_ns == HW_TIME_OPEN ? OPEN_DATE : hw_calendar_date_of(cal, s->end_ns)};
    if (r.y > r.x)
      c->r[c->nr++] = r;
  }
  qsort(c->r, c->nr, sizeof *c->r, range_cmp);
  size_t m = 0;
  for (size_t i = 0; i < c->nr; i++) {
    if (m > 0 && c->r[i].x <= c->r[m - 1].y)
      c->r[m - 1].y = MAX(c->r[m - 1].y, c->r[i].y);
    else
      c->r[m++] = c->r[i];
  }
  c->nr = m;
  return 0;
}

/* Days of the unit in (from, to], ignoring stops (to >= from). */
static int64_t base_count(const Clock *c, hw_date from, hw_date to)
{
  return c->unit == HW_LIMIT_WORKING_DAYS ? hw_calendar_count_working_days(c->cal, from, to)
                                          : (int64_t)to - from;
}

static hw_date base_add(const Clock *c, hw_date from, int64_t k)
{
  return c->unit == HW_LIMIT_WORKING_DAYS ? hw_calendar_add_working_days(c->cal, from, k)
                                          : (hw_date)(from + k);
}

/* Counted days in (a, d]. */
static int64_t counted_upto(const Clock *c, hw_date d)
{
  if (d <= c->a)
    return 0;
  int64_t total = base_count(c, c->a, d);
  for (size_t i = 0; i < c->nr && c->r[i].x < d; i++)
    total -= base_count(c, c->r[i].x, MIN(c->r[i].y, d));
  return total;
}

/* The k-th counted day (k >= 1); *ret_open when an open stop comes first. */
static hw_date nth_counted(const Clock *c, int64_t k, bool *ret_open)
{
  hw_date cur = c->a;
  *ret_open = false;
  for (size_t i = 0; i < c->nr; i++) {
    int64_t avail = base_count(c, cur, c->r[i].x);
    if (k <= avail)
      return base_add(c, cur, k);
    k -= avail;
    if (c->r[i].y == OPEN_DATE) {
      *ret_open = true;
      return 0;
    }
    cur = c->r[i].y;
  }
  return base_add(c, cur, k);
}

static double used_at(const Clock *c, hw_time_ns t)
{
  hw_date day = hw_calendar_date_of(c->cal, t);
  if (day <= c->a)
    return 0;
  int64_t before = counted_upto(c, day - 1);
  if (counted_upto(c, day) == before)
    return (double)before;
  hw_time_ns start = hw_calendar_day_start(c->cal, day);
  hw_time_ns end = hw_calendar_day_start(c->cal, day + 1);
  return (double)before + (double)(t - start) / (double)(end - start);
}

int hw_deadline_compute(const HwCalendar *cal, const HwDeadlineInput *input, hw_time_ns now,
                        HwDeadline *ret)
{
  Clock c;
  int rc = clock_init(cal, input, &c);
  if (rc < 0)
    return rc;
  HwDeadline d = {.due_ns = HW_TIME_OPEN};
  hw_date due = c.a;
  if (c.n > 0)
    due = nth_counted(&c, c.n, &d.open);
  if (!d.open && c.n > 0 && c.unit == HW_LIMIT_CALENDAR_DAYS &&
      !hw_calendar_is_working_day(cal, due))
    due = hw_calendar_add_working_days(cal, due, 1); /* art. 203 */
  d.used_days = used_at(&c, now);
  if (d.open) {
    d.total_days = c.n;
  } else {
    d.due_date = due;
    d.due_ns = hw_calendar_day_start(cal, due + 1);
    d.total_days = (double)counted_upto(&c, due);
    d.late = now >= d.due_ns;
  }
  d.remaining_days = d.total_days - d.used_days;
  for (size_t i = 0; i < input->n_suspensions; i++)
    d.stopped |= input->suspensions[i].start_ns <= now && now < input->suspensions[i].end_ns;
  int y, m, dd, last;
  hw_date_to_ymd(c.a, &y, &m, &dd);
  hw_date_to_ymd(d.open ? MAX(hw_calendar_date_of(cal, now), c.a) : due, &last, &m, &dd);
  for (; y <= last && !d.beyond_calendar; y++)
    d.beyond_calendar = !hw_calendar_has_year(cal, y);
  *ret = d;
  return 0;
}

int hw_deadline_when_used(const HwCalendar *cal, const HwDeadlineInput *input, double days,
                          hw_time_ns *ret)
{
  Clock c;
  int rc = clock_init(cal, input, &c);
  if (rc < 0 || isnan(days))
    return rc < 0 ? rc : -EINVAL;
  if (days <= 0) {
    *ret = input->accepted_ns;
    return 0;
  }
  if (days > HW_DEADLINE_LIMIT_MAX * 2.0)
    return -EINVAL;
  int64_t k = (int64_t)ceil(days);
  bool open = false;
  hw_date day = nth_counted(&c, k, &open);
  if (open) {
    *ret = HW_TIME_OPEN;
    return 0;
  }
  hw_time_ns start = hw_calendar_day_start(cal, day);
  hw_time_ns end = hw_calendar_day_start(cal, day + 1);
  *ret = start + (hw_time_ns)llround((days - (double)(k - 1)) * (double)(end - start));
  return 0;
}
