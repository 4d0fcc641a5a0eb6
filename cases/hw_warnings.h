/* Warnings (预警纠错): the rules that raise yellow and red warnings on approval cases, and the
 * engine that applies them on every ingested event and when time alone crosses a threshold.
 *
 * Rules (each switchable, thresholds in [warnings] of hallwatch.conf):
 * - promised_near   yellow: share (2/3) of the promised limit used, or within near_days (1)
 *                   working days of it;
 * - promised_late   red: past the promised limit (supersedes promised_near, history kept);
 * - statutory_late  red: past the statutory limit;
 * - stage_order     red: approved before accepted, or completed (approved/certificate issued)
 *                   without an approval;
 * - fee_above_standard red: fee charged above the fee standard;
 * - rejection_without_reason red: a rejected (or not accepted) case ended without an opinion;
 * - stage_long      yellow: one stage running more than stage_long_days working days while the
 *                   case is in time and its clock runs;
 * - complaint       red: a complaint (投诉) names the case (so its footage is held).
 * The clock stops during special procedures and supplements (cases/hw_deadline.h). Deadline
 * rules and stage_long close when the case completes; the conduct rules stay until a supervisor
 * closes them with a note (completion does not undo a broken rule). A rule fires at most once per
 * case (stage_long: once per stage event).
 *
 * hw_warnings_evaluate is pure (the facts, a calendar, now); HwWarnings is the engine (store,
 * calendar source, injectable clock, a timer queue of each open case's next instant of change).
 * Library code: does not log. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include "cases/hw_calendar.h"
#include "cases/hw_calendar_store.h"
#include "cases/hw_deadline.h"
#include "sql/hw_store_cases.h"
#include "sql/hw_store_warnings.h"

G_BEGIN_DECLS

typedef struct {
  bool promised_near, promised_late, statutory_late, stage_order, fee_above_standard,
      rejection_without_reason, stage_long, complaint;
  double near_share;    /* promised_near: share of the limit used, 0 < x < 1 (2/3) */
  int near_days;        /* promised_near: working days before the due date (1) */
  int stage_long_days;  /* stage_long: working days one stage may run (5) */
  int64_t hold_pre_ns;  /* footage held before a window stage (30 s) */
  int64_t hold_post_ns; /* and after it (120 s) */
} HwWarningsConfig;

/* The defaults above, every rule on. */
void hw_warnings_config_init(HwWarningsConfig *config);

#define HW_WARNINGS_MAX 16 /* raises of one evaluation (one per rule; stage_long once) */
#define HW_WARNINGS_RANGES_MAX 64

typedef struct {
  HwStoreWarningRaise raises[HW_WARNINGS_MAX];
  size_t n_raises;
  char stage_subject[129]; /* storage for stage_long's subject */
  bool completed;
  hw_time_ns next_ns; /* the next instant the verdict may change by time alone; HW_TIME_OPEN */
  /* The promised limit's due instant while the case runs and it is known (0: completed, not
   * accepted, or open under a suspension); stored on the case for the dashboard's "due today". */
  hw_time_ns promised_due_ns;
} HwWarningsVerdict;

/* The suspensions of a case from its stage events in time order (at most
 * HW_DEADLINE_SUSPENSIONS_MAX): supplement requested → received, special procedure started →
 * ended; one still on ends HW_TIME_OPEN. A start while one of its kind is open, or an end with
 * none open, is ignored. ret_supplement (nullable) gets whether each is a supplement. The one
 * pairing for the warnings and the case view, so both count the same due dates. */
size_t hw_warnings_suspensions(const HwStoreStageEvent *stages, size_t n, HwSuspension *ret,
                               bool *ret_supplement);

/* The rules over one case's facts at `now`. Never fails: a case whose limits cannot be computed
 * gets no deadline rule. */
void hw_warnings_evaluate(const HwWarningsConfig *config, const HwCalendar *cal,
                          const HwStoreCase *c, const HwStoreStageEvent *stages, size_t n,
                          int64_t complaints, hw_time_ns now, HwWarningsVerdict *ret);

/* The footage of a case's window stages (the one place that maps stages to time ranges): the
 * window interaction from the ticket call (叫号) to acceptance, and any other stage at a window,
 * each ± the configured rolls. Hall: the event's, else the case's. Returns the count (at most
 * max); strings borrowed from c/stages. */
size_t hw_warnings_window_ranges(const HwWarningsConfig *config, const HwStoreCase *c,
                                 const HwStoreStageEvent *stages, size_t n, HwStoreHoldRange *ret,
                                 size_t max);

typedef hw_time_ns (*HwClockFn)(void *user);

typedef struct HwWarnings HwWarnings;

/* store and src borrowed (must outlive the engine); config copied; clock NULL: hw_time_now. */
HwWarnings *hw_warnings_new(HwStore *store, HwCalendarSource *src, const HwWarningsConfig *config,
                            HwClockFn clock, void *clock_user);
void hw_warnings_free(HwWarnings *w);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HwWarnings, hw_warnings_free)

/* Evaluates every open case (at start; the daemon runs it on a thread of its own, so a large
 * store does not delay start-up). Stops early, returning true, after hw_warnings_cancel. */
bool hw_warnings_evaluate_all(HwWarnings *w, GError **error);
/* Replaces the rules' configuration (SIGHUP); it applies from each case's next evaluation (its
 * next event or queued instant). Thread-safe. */
void hw_warnings_set_config(HwWarnings *w, const HwWarningsConfig *config);
/* Makes evaluate_all (and evaluate_cases) stop at their next chunk (shutdown). Thread-safe. */
void hw_warnings_cancel(HwWarnings *w);
/* Evaluates cases (after their batch committed), updating the timer queue, in store
 * transactions of a few dozen cases. *ret_raised (nullable) adds the warnings raised.
 * Thread-safe. */
bool hw_warnings_evaluate_cases(HwWarnings *w, const int64_t *case_ids, size_t n,
                                size_t *ret_raised, GError **error);
/* The cases named by a committed batch of `department`'s records. */
bool hw_warnings_on_records(HwWarnings *w, const char *department, const HwCaseRecord *records,
                            size_t n, size_t *ret_raised, GError **error);
/* The earliest queued instant (HW_TIME_OPEN: none). */
hw_time_ns hw_warnings_next(HwWarnings *w);
/* Called (from the evaluating thread, no lock held) when an evaluation queued an instant earlier
 * than any before, so a timer armed for the old first instant can be re-armed. */
typedef void (*HwWarningsWakeFn)(void *user);
void hw_warnings_set_wake(HwWarnings *w, HwWarningsWakeFn fn, void *user);
/* Evaluates the cases whose instant is at or before the clock's now. */
bool hw_warnings_run_due(HwWarnings *w, size_t *ret_raised, GError **error);

G_END_DECLS
