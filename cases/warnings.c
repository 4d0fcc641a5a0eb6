/* Warnings (cases/hw_warnings.h): the rules as a pure function of a case's facts, the mapping of
 * window stages to footage ranges, and the engine: evaluation after each batch and a timer
 * queue keyed by each open case's next instant of change (no periodic scan of every case). */
#include "cases/hw_warnings.h"

#include <string.h>

#include "cases/hw_deadline.h"
#include "sql/hw_store_dashboard.h"

void hw_warnings_config_init(HwWarningsConfig *c)
{
  *c = (HwWarningsConfig){
      .promised_near = true,
      .promised_late = true,
      .statutory_late = true,
      .stage_order = true,
      .fee_above_standard = true,
      .rejection_without_reason = true,
      .stage_long = true,
      .complaint = true,
      .near_share = 2.0 / 3.0,
      .near_days = 1,
      .stage_long_days = 5,
      .hold_pre_ns = INT64_C(30) * HW_NS_PER_S,
      .hold_post_ns = INT64_C(120) * HW_NS_PER_S,
  };
}

/* ---- the rules -------------------------------------------------------------------------------- */

static void add_raise(HwWarningsVerdict *v, const char *rule, const char *subject, int level,
                      hw_time_ns due_ns)
{
  if (v->n_raises < HW_WARNINGS_MAX)
    v->raises[v->n_raises++] = (HwStoreWarningRaise){
        .rule = rule, .subject = subject ? subject : "", .level = level, .due_ns = due_ns};
}

static void later(HwWarningsVerdict *v, hw_time_ns now, hw_time_ns t)
{
  if (t != HW_TIME_OPEN && t > now && t < v->next_ns)
    v->next_ns = t;
}

static bool is(const char *a, const char *b) { return strcmp(a, b) == 0; }

size_t hw_warnings_suspensions(const HwStoreStageEvent *s, size_t n, HwSuspension *ret,
                               bool *ret_supplement)
{
  size_t k = 0;
  ssize_t open_supp = -1, open_special = -1;
  for (size_t i = 0; i < n && k < HW_DEADLINE_SUSPENSIONS_MAX; i++) {
    ssize_t *open = NULL;
    bool start = false;
    if (is(s[i].stage, "supplement_requested") || is(s[i].stage, "supplement_received")) {
      open = &open_supp;
      start = is(s[i].stage, "supplement_requested");
    } else if (is(s[i].stage, "special_procedure_started") ||
               is(s[i].stage, "special_procedure_ended")) {
      open = &open_special;
      start = is(s[i].stage, "special_procedure_started");
    } else {
      continue;
    }
    if (start && *open < 0) {
      if (ret_supplement != NULL)
        ret_supplement[k] = open == &open_supp;
      ret[k] = (HwSuspension){s[i].time_ns, HW_TIME_OPEN};
      *open = (ssize_t)k++;
    } else if (!start && *open >= 0) {
      ret[*open].end_ns = s[i].time_ns;
      *open = -1;
    }
  }
  return k;
}

/* One limit's rules: red when late; yellow (promised only) when near. Returns the deadline's
 * "stopped" for stage_long, and whether it is late. */
static void limit_rules(const HwWarningsConfig *cfg, const HwCalendar *cal,
                        const HwDeadlineInput *in, hw_time_ns now, bool promised,
                        HwWarningsVerdict *v, bool *ret_stopped, bool *ret_late)
{
  HwDeadline d;
  if (hw_deadline_compute(cal, in, now, &d) != 0)
    return;
  if (promised && !d.open)
    v->promised_due_ns = d.due_ns;
  bool late_on = promised ? cfg->promised_late : cfg->statutory_late;
  if (ret_stopped)
    *ret_stopped = d.stopped;
  if (ret_late)
    *ret_late = d.late;
  if (d.late && late_on) {
    add_raise(v, promised ? "promised_late" : "statutory_late", NULL, 2, d.due_ns);
    return;
  }
  if (late_on && !d.open)
    later(v, now, d.due_ns);
  if (!promised || !cfg->promised_near)
    return;
  hw_time_ns t1 = HW_TIME_OPEN, t2 = HW_TIME_OPEN;
  if (hw_deadline_when_used(cal, in, d.total_days * cfg->near_share, &t1) != 0 ||
      hw_deadline_when_used(cal, in, MAX(0.0, d.total_days - cfg->near_days), &t2) != 0)
    return;
  hw_time_ns at = MIN(t1, t2);
  if (at != HW_TIME_OPEN && now >= at)
    add_raise(v, "promised_near", NULL, 1, d.due_ns);
  else
    later(v, now, at);
}

static HwLimitUnit unit_of(const char *s)
{
  return is(s, "calendar_days") ? HW_LIMIT_CALENDAR_DAYS : HW_LIMIT_WORKING_DAYS;
}

static bool blank(const char *s)
{
  if (s == NULL)
    return true;
  for (; *s; s++)
    if (!g_ascii_isspace(*s))
      return false;
  return true;
}

void hw_warnings_evaluate(const HwWarningsConfig *cfg, const HwCalendar *cal, const HwStoreCase *c,
                          const HwStoreStageEvent *s, size_t n, int64_t complaints, hw_time_ns now,
                          HwWarningsVerdict *v)
{
  memset(v, 0, sizeof *v);
  v->next_ns = HW_TIME_OPEN;
  hw_time_ns accepted = c->accepted_ns, approved = 0, completed = 0;
  const HwStoreStageEvent *completion = NULL;
  bool ended = false, reason = false;
  for (size_t i = 0; i < n; i++) {
    if (is(s[i].stage, "accepted") && accepted == 0)
      accepted = s[i].time_ns;
    if (is(s[i].stage, "approved") && approved == 0)
      approved = s[i].time_ns;
    if (is(s[i].stage, "completed") && completion == NULL) {
      completion = &s[i];
      completed = s[i].time_ns;
    }
    if (is(s[i].stage, "completed") || is(s[i].stage, "returned")) {
      ended = true;
      reason |= !blank(s[i].opinion);
    }
  }
  v->completed = c->completed_ns != 0 || completion != NULL;

  /* deadlines: only while the case runs */
  if (accepted != 0 && !v->completed) {
    HwSuspension susp[HW_DEADLINE_SUSPENSIONS_MAX];
    size_t ns = hw_warnings_suspensions(s, n, susp, NULL);
    HwDeadlineInput in = {.accepted_ns = accepted,
                          .limit_days = c->promised_limit,
                          .unit = unit_of(c->promised_unit),
                          .suspensions = susp,
                          .n_suspensions = ns};
    bool stopped = false, late = false;
    limit_rules(cfg, cal, &in, now, true, v, &stopped, &late);
    in.limit_days = c->statutory_limit;
    in.unit = unit_of(c->statutory_unit);
    limit_rules(cfg, cal, &in, now, false, v, NULL, NULL);

    /* stage_long: the latest stage has run more than stage_long_days working days (until 24:00
     * of the last of them), the clock running and the case in time */
    if (cfg->stage_long && n > 0 && !stopped && !late) {
      const HwStoreStageEvent *last = &s[n - 1];
      hw_date from = hw_calendar_date_of(cal, MAX(last->time_ns, accepted));
      hw_date end = hw_calendar_add_working_days(cal, from, cfg->stage_long_days);
      hw_time_ns at = hw_calendar_day_start(cal, end + 1);
      if (now >= at) {
        g_strlcpy(v->stage_subject, last->source_event_id, sizeof v->stage_subject);
        add_raise(v, "stage_long", v->stage_subject, 1, 0);
      } else {
        later(v, now, at);
      }
    }
  }

  if (cfg->stage_order) {
    bool approved_early = approved != 0 && (accepted == 0 || approved < accepted);
    bool unapproved =
        completion != NULL &&
        (is(completion->outcome, "certificate_issued") || is(c->result, "approved")) &&
        (approved == 0 || approved > completed);
    if (approved_early || unapproved)
      add_raise(v, "stage_order", NULL, 2, 0);
  }
  if (cfg->fee_above_standard && c->fee_charged_fen >= 0 && c->fee_standard_fen >= 0 &&
      c->fee_charged_fen > c->fee_standard_fen)
    add_raise(v, "fee_above_standard", NULL, 2, 0);
  if (cfg->rejection_without_reason && ended && !reason &&
      (is(c->result, "rejected") || is(c->acceptance, "not_accepted") ||
       is(c->acceptance, "refused")))
    add_raise(v, "rejection_without_reason", NULL, 2, 0);
  if (cfg->complaint && complaints > 0)
    add_raise(v, "complaint", NULL, 2, 0);
}

/* ---- footage of window stages ----------------------------------------------------------------- */

size_t hw_warnings_window_ranges(const HwWarningsConfig *cfg, const HwStoreCase *c,
                                 const HwStoreStageEvent *s, size_t n, HwStoreHoldRange *ret,
                                 size_t max)
{
  size_t k = 0;
  g_autofree bool *used = g_new0(bool, n ? n : 1);
  for (size_t i = 0; i < n && k < max; i++) {
    if (used[i] || s[i].window[0] == '\0')
      continue;
    const char *hall = s[i].hall[0] ? s[i].hall : c->hall;
    if (hall[0] == '\0')
      continue;
    hw_time_ns end = s[i].time_ns;
    /* the window interaction: ticket call (叫号) → acceptance */
    if (is(s[i].stage, "ticket_called")) {
      for (size_t j = i + 1; j < n; j++) {
        if (is(s[j].stage, "ticket_called"))
          break;
        if (is(s[j].stage, "accepted")) {
          end = s[j].time_ns;
          used[j] = true;
          break;
        }
      }
    }
    ret[k++] = (HwStoreHoldRange){.hall = hall,
                                  .window = s[i].window,
                                  .from_ns = s[i].time_ns - cfg->hold_pre_ns,
                                  .to_ns = end + cfg->hold_post_ns};
  }
  return k;
}

/* ---- the engine ------------------------------------------------------------------------------- */

typedef struct {
  hw_time_ns t;
  int64_t case_id;
} QKey;

struct HwWarnings {
  HwStore *store;
  HwCalendarSource *src;
  HwWarningsConfig cfg;
  HwClockFn clock;
  void *clock_user;
  GMutex lock;
  GTree *queue;       /* QKey* → NULL, owns the keys; earliest first */
  GHashTable *queued; /* &QKey.case_id → QKey* (the queue's) */
  gint cancelled;     /* hw_warnings_cancel: evaluate_all stops at its next chunk */
  HwWarningsWakeFn wake;
  void *wake_user;
};

/* Cases evaluated in one store transaction: one commit (one fsync) per chunk instead of per
 * case, while the write lock is held only briefly (about a millisecond per 10 cases). */
#define CHUNK 64

static gint qkey_cmp(gconstpointer a, gconstpointer b, gpointer user)
{
  const QKey *x = a, *y = b;
  if (x->t != y->t)
    return x->t < y->t ? -1 : 1;
  return x->case_id < y->case_id ? -1 : x->case_id > y->case_id;
}

HwWarnings *hw_warnings_new(HwStore *store, HwCalendarSource *src, const HwWarningsConfig *config,
                            HwClockFn clock, void *clock_user)
{
  HwWarnings *w = g_new0(HwWarnings, 1);
  w->store = store;
  w->src = src;
  w->cfg = *config;
  w->clock = clock;
  w->clock_user = clock_user;
  g_mutex_init(&w->lock);
  w->queue = g_tree_new_full(qkey_cmp, NULL, g_free, NULL);
  w->queued = g_hash_table_new(g_int64_hash, g_int64_equal);
  return w;
}

void hw_warnings_free(HwWarnings *w)
{
  if (w == NULL)
    return;
  g_hash_table_unref(w->queued);
  g_tree_destroy(w->queue);
  g_mutex_clear(&w->lock);
  g_free(w);
}

static hw_time_ns now_of(HwWarnings *w)
{
  return w->clock ? w->clock(w->clock_user) : hw_time_now();
}

static gboolean first_key(gpointer key, gpointer value, gpointer data)
{
  *(QKey **)data = key;
  return TRUE;
}

/* The earliest queued instant, HW_TIME_OPEN if none. Lock held. */
static hw_time_ns queue_first(HwWarnings *w)
{
  QKey *k = NULL;
  g_tree_foreach(w->queue, first_key, &k);
  return k ? k->t : HW_TIME_OPEN;
}

/* Replaces case_id's instant in the queue (t HW_TIME_OPEN: none). Lock held. */
static void queue_set(HwWarnings *w, int64_t case_id, hw_time_ns t)
{
  QKey *old = g_hash_table_lookup(w->queued, &case_id);
  if (old != NULL) {
    g_hash_table_remove(w->queued, &case_id);
    g_tree_remove(w->queue, old);
  }
  if (t == HW_TIME_OPEN)
    return;
  QKey *k = g_new(QKey, 1);
  *k = (QKey){t, case_id};
  g_tree_insert(w->queue, k, NULL);
  g_hash_table_insert(w->queued, &k->case_id, k);
}

static bool evaluate_one(HwWarnings *w, const HwWarningsConfig *cfg, const HwCalendar *cal,
                         int64_t case_id, hw_time_ns now, size_t *raised, GError **error)
{
  HwStoreCase *c = g_new0(HwStoreCase, 1);
  g_autofree HwStoreCase *c_owned = c;
  HwStoreStageEvent *stages = NULL;
  size_t n = 0;
  int64_t complaints = 0;
  if (!hw_store_case_facts(w->store, case_id, c, &stages, &n, &complaints, error))
    return false;
  HwWarningsVerdict v;
  hw_warnings_evaluate(cfg, cal, c, stages, n, complaints, now, &v);
  HwStoreHoldRange ranges[HW_WARNINGS_RANGES_MAX];
  size_t nr = hw_warnings_window_ranges(cfg, c, stages, n, ranges, G_N_ELEMENTS(ranges));
  size_t got = 0;
  bool ok = hw_store_warnings_apply(w->store, case_id, v.completed, v.raises, v.n_raises, ranges,
                                    nr, now, &got, error) &&
            hw_store_case_set_promised_due(w->store, case_id, v.promised_due_ns, error);
  hw_store_stage_events_free(stages, n);
  if (!ok)
    return false;
  *raised += got;
  hw_time_ns next = v.completed ? HW_TIME_OPEN : v.next_ns;
  g_mutex_lock(&w->lock);
  bool earlier = next < queue_first(w);
  queue_set(w, case_id, next);
  HwWarningsWakeFn wake = w->wake;
  void *wake_user = w->wake_user;
  g_mutex_unlock(&w->lock);
  if (earlier && wake != NULL)
    wake(wake_user);
  return true;
}

bool hw_warnings_evaluate_cases(HwWarnings *w, const int64_t *ids, size_t n, size_t *ret_raised,
                                GError **error)
{
  if (n == 0)
    return true;
  g_autoptr(HwCalendar) cal = hw_calendar_source_get(w->src, error);
  if (cal == NULL)
    return false;
  hw_time_ns now = now_of(w);
  g_mutex_lock(&w->lock);
  HwWarningsConfig cfg = w->cfg;
  g_mutex_unlock(&w->lock);
  size_t raised = 0;
  for (size_t from = 0; from < n; from += CHUNK) {
    if (g_atomic_int_get(&w->cancelled))
      break;
    if (!hw_store_begin(w->store, error))
      return false;
    for (size_t i = from; i < n && i < from + CHUNK; i++) {
      if (!evaluate_one(w, &cfg, cal, ids[i], now, &raised, error)) {
        hw_store_rollback(w->store);
        return false;
      }
    }
    if (!hw_store_commit(w->store, error))
      return false;
  }
  if (ret_raised)
    *ret_raised += raised;
  return true;
}

void hw_warnings_set_config(HwWarnings *w, const HwWarningsConfig *config)
{
  g_mutex_lock(&w->lock);
  w->cfg = *config;
  g_mutex_unlock(&w->lock);
}

void hw_warnings_cancel(HwWarnings *w) { g_atomic_int_set(&w->cancelled, 1); }

bool hw_warnings_evaluate_all(HwWarnings *w, GError **error)
{
  int64_t *ids = NULL;
  size_t n = 0;
  if (!hw_store_open_case_ids(w->store, &ids, &n, error))
    return false;
  bool ok = hw_warnings_evaluate_cases(w, ids, n, NULL, error);
  g_free(ids);
  return ok;
}

bool hw_warnings_on_records(HwWarnings *w, const char *department, const HwCaseRecord *records,
                            size_t n, size_t *ret_raised, GError **error)
{
  g_autoptr(GPtrArray) numbers = g_ptr_array_new();
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  for (size_t i = 0; i < n; i++)
    if (records[i].case_number && g_hash_table_add(seen, (gpointer)records[i].case_number))
      g_ptr_array_add(numbers, (gpointer)records[i].case_number);
  g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
  if (!hw_store_case_ids(w->store, department, (const char *const *)numbers->pdata, numbers->len,
                         ids, error))
    return false;
  return hw_warnings_evaluate_cases(w, (const int64_t *)(void *)ids->data, ids->len, ret_raised,
                                    error);
}

hw_time_ns hw_warnings_next(HwWarnings *w)
{
  g_mutex_lock(&w->lock);
  hw_time_ns t = queue_first(w);
  g_mutex_unlock(&w->lock);
  return t;
}

void hw_warnings_set_wake(HwWarnings *w, HwWarningsWakeFn fn, void *user)
{
  g_mutex_lock(&w->lock);
  w->wake = fn;
  w->wake_user = user;
  g_mutex_unlock(&w->lock);
}

typedef struct {
  hw_time_ns now;
  GArray *ids;
} Due;

static gboolean collect_due(gpointer key, gpointer value, gpointer data)
{
  QKey *k = key;
  Due *d = data;
  if (k->t > d->now)
    return TRUE;
  g_array_append_val(d->ids, k->case_id);
  return FALSE;
}

bool hw_warnings_run_due(HwWarnings *w, size_t *ret_raised, GError **error)
{
  Due d = {now_of(w), g_array_new(FALSE, FALSE, sizeof(int64_t))};
  g_mutex_lock(&w->lock);
  g_tree_foreach(w->queue, collect_due, &d);
  for (guint i = 0; i < d.ids->len; i++)
    queue_set(w, g_array_index(d.ids, int64_t, i), HW_TIME_OPEN);
  g_mutex_unlock(&w->lock);
  bool ok = hw_warnings_evaluate_cases(w, (const int64_t *)(void *)d.ids->data, d.ids->len,
                                       ret_raised, error);
  g_array_unref(d.ids);
  return ok;
}
