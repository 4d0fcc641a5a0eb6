/* Due dates of approval cases (办理时限): a limit in working or calendar days counted from
 * acceptance, with the clock stopped during suspensions (特别程序, 补正). Pure functions of a
 * calendar (cases/hw_calendar.h) and the case's times: no store, no allocation, no lock, so the
 * warnings evaluator can call them for every open case on every event and timer tick.
 *
 * The rules (docs/deadlines.md, with worked examples; tests/cases/deadlines_golden.txt):
 * - Days are civil dates in the calendar's (the hall's) time zone. A = the acceptance date.
 * - The day of an event never counts (Civil Code art. 201): counting starts the day after A.
 * - A suspension from instant s to instant e stops the days (date(s), date(e)]: the day it starts
 *   counts in full, the day it ends does not (the clock resumes the next day). Overlapping
 *   suspensions merge; days up to A never count anyway.
 * - Counted days: days after A, not stopped, and working days (unit working) or any day (unit
 *   calendar). The due date is the limit-th counted day; a 0-day limit is due on A itself.
 * - Calendar-day limit whose last day is not a working day: the next working day (art. 203).
 * - The due date ends at 24:00 in the hall's zone: due_ns = start of the next day.
 * - used(t) = counted days before date(t) + the elapsed fraction of date(t) if it is counted. */
#pragma once

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cases/hw_calendar.h"
#include "common/hw_time.h"

G_BEGIN_DECLS

#define HW_TIME_OPEN INT64_MAX         /* an end not yet known: open suspension, no due date */
#define HW_DEADLINE_LIMIT_MAX 3660     /* days; more is a typo in a record */
#define HW_DEADLINE_SUSPENSIONS_MAX 64 /* per case */

typedef enum {
  HW_LIMIT_WORKING_DAYS = 1,  /* 工作日 */
  HW_LIMIT_CALENDAR_DAYS = 2, /* 自然日 */
} HwLimitUnit;

typedef struct {
  hw_time_ns start_ns; /* the suspension's start event (特别程序开始 / 补正告知) */
  hw_time_ns end_ns; /* its end event (特别程序结束 / 补正材料收到); HW_TIME_OPEN: still on */
} HwSuspension;

/* One limit of one case (the promised and the statutory limit are two calls). */
typedef struct {
  hw_time_ns accepted_ns; /* 受理时间 */
  int32_t limit_days;     /* 0..HW_DEADLINE_LIMIT_MAX */
  HwLimitUnit unit;
  const HwSuspension *suspensions; /* borrowed; any order, may overlap; NULL if none */
  size_t n_suspensions;            /* at most HW_DEADLINE_SUSPENSIONS_MAX */
} HwDeadlineInput;

typedef struct {
  bool open;             /* an open suspension stopped the clock before the limit was used up:
                           * no due date until it ends (due_date 0, due_ns HW_TIME_OPEN) */
  hw_date due_date;      /* the last day */
  hw_time_ns due_ns;     /* 24:00 of due_date in the hall's zone: done before it is in time */
  double used_days;      /* counted days used at now (fractional) */
  double total_days;     /* counted days from acceptance to due_ns (= limit, or more when art.
                           * 203 moved a calendar-day limit; = limit when open) */
  double remaining_days; /* total - used: counted days left; negative once past the limit */
  bool stopped;          /* a suspension is in effect at now (start <= now < end) */
  bool late;             /* now >= due_ns */
  bool beyond_calendar;  /* the due date (or, when open, now) lies in a year without calendar
                           * entries: holidays there are unknown, the date may move */
} HwDeadline;

/* The deadline of input at instant now. The share of the limit used ("2/3 used") is
 * used_days / total_days (total_days 0: a 0-day limit). 0 on success; -EINVAL (ret untouched) for
 * a limit out of range, an unknown unit, too many suspensions or one that ends before it starts. */
int hw_deadline_compute(const HwCalendar *cal, const HwDeadlineInput *input, hw_time_ns now,
                        HwDeadline *ret);

/* The first instant at which used_days reaches `days` (>= 0), for timers: the yellow warning at
 * 2/3 of the limit is hw_deadline_when_used(cal, in, total * 2.0 / 3, &t). HW_TIME_OPEN if an
 * open suspension stops the clock before that; accepted_ns for days <= 0. 0 or -EINVAL as
 * hw_deadline_compute. */
int hw_deadline_when_used(const HwCalendar *cal, const HwDeadlineInput *input, double days,
                          hw_time_ns *ret);

G_END_DECLS
