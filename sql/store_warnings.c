/* Warnings in the store (sql/hw_store_warnings.h): applying the rules' verdict on a case in one
 * transaction (raise, supersede, close on completion, holds, the case's level), the supervisors'
 * reads and actions, and correction notices. Shares the handle's connection through
 * hw_store_private.h; every value bound. */
#include "sql/hw_store_warnings.h"

#include <sqlite3.h>
#include <string.h>

#include "sql/hw_store_private.h"

/* Scope filters: ?S is "\n<a>\n<b>\n" or NULL for unrestricted. */
#define IN_SCOPE(col, p) "(" p " IS NULL OR instr(" p ", char(10) || " col " || char(10)) > 0)"

#define WARNING_COLS                                                                               \
  "w.id, w.case_id, w.department, w.hall, c.case_number, w.rule, w.subject, w.state,"              \
  " coalesce(w.closed_by, ''), w.level, w.raised_ns, coalesce(w.due_ns, 0),"                       \
  " coalesce(w.closed_ns, 0), w.hold_released_ns, coalesce(w.close_note, '')"

static char *scope_text(const char *const *codes)
{
  if (codes == NULL)
    return NULL;
  GString *s = g_string_new("\n");
  for (size_t i = 0; codes[i]; i++)
    if (strchr(codes[i], '\n') == NULL)
      g_string_append_printf(s, "%s\n", codes[i]);
  return g_string_free(s, FALSE);
}

static void bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
  if (s)
    hw_store__bind_text(st, i, s);
  else
    sqlite3_bind_null(st, i);
}

static void row_to_warning(sqlite3_stmt *st, HwStoreWarning *w)
{
  memset(w, 0, sizeof *w);
  w->id = sqlite3_column_int64(st, 0);
  w->case_id = sqlite3_column_int64(st, 1);
  hw_store__copy_text(w->department, sizeof w->department, st, 2);
  hw_store__copy_text(w->hall, sizeof w->hall, st, 3);
  hw_store__copy_text(w->case_number, sizeof w->case_number, st, 4);
  hw_store__copy_text(w->rule, sizeof w->rule, st, 5);
  hw_store__copy_text(w->subject, sizeof w->subject, st, 6);
  hw_store__copy_text(w->state, sizeof w->state, st, 7);
  hw_store__copy_text(w->closed_by, sizeof w->closed_by, st, 8);
  w->level = sqlite3_column_int(st, 9);
  w->raised_ns = sqlite3_column_int64(st, 10);
  w->due_ns = sqlite3_column_int64(st, 11);
  w->closed_ns = sqlite3_column_int64(st, 12);
  w->hold_released_ns = sqlite3_column_int64(st, 13);
  hw_store__copy_text(w->close_note, sizeof w->close_note, st, 14);
}

/* ---- facts ------------------------------------------------------------------------------------ */

bool hw_store_case_facts(HwStore *store, int64_t case_id, HwStoreCase *ret_case,
                         HwStoreStageEvent **ret_stages, size_t *ret_n, int64_t *ret_complaints,
                         GError **error)
{
  char dept[64], number[65];
  int64_t complaints = 0;
  {
    HW_STORE_LOCKED(store);
    HW_AUTO_STMT st = hw_store__stmt(
        store,
        "SELECT department, case_number, (SELECT count(*) FROM complaints WHERE case_id = ?1)"
        " FROM cases WHERE id = ?1",
        error);
    if (!st)
      return false;
    sqlite3_bind_int64(st, 1, case_id);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_DONE) {
      g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND,
                  "case %" G_GINT64_FORMAT ": not found", case_id);
      return false;
    }
    if (rc != SQLITE_ROW) {
      hw_store__set_error(error, store, "reading a case");
      return false;
    }
    hw_store__copy_text(dept, sizeof dept, st, 0);
    hw_store__copy_text(number, sizeof number, st, 1);
    complaints = sqlite3_column_int64(st, 2);
  }
  if (!hw_store_case_get(store, dept, number, NULL, ret_case, error) ||
      !hw_store_case_stages(store, case_id, ret_stages, ret_n, error))
    return false;
  *ret_complaints = complaints;
  return true;
}

static bool ids_query(HwStore *store, const char *sql, int64_t bind, int64_t **ret, size_t *ret_n,
                      GError **error)
{
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, sql, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, bind);
  g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(int64_t));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(st, 0);
    g_array_append_val(out, id);
  }
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "reading ids");
    return false;
  }
  *ret_n = out->len;
  *ret = (int64_t *)(void *)g_array_free(g_steal_pointer(&out), FALSE);
  return true;
}

bool hw_store_open_case_ids(HwStore *store, int64_t **ret, size_t *ret_n, GError **error)
{
  return ids_query(store, "SELECT id FROM cases WHERE completed_ns IS NULL", 0, ret, ret_n, error);
}

bool hw_store_case_hold_ids(HwStore *store, int64_t case_id, const char *kind, bool live_only,
                            int64_t **ret, size_t *ret_n, GError **error)
{
  const char *sql =
      g_strcmp0(kind, "warning") == 0
          ? (live_only
                 ? "SELECT h.id FROM case_holds ch JOIN holds h ON h.id = ch.hold_id WHERE"
                   " ch.case_id = ?1 AND ch.kind = 'warning' AND h.released_ns = 0 ORDER BY h.id"
                 : "SELECT hold_id FROM case_holds WHERE case_id = ?1 AND kind = 'warning'"
                   " ORDER BY hold_id")
          : (live_only ? "SELECT h.id FROM case_holds ch JOIN holds h ON h.id = ch.hold_id WHERE"
                         " ch.case_id = ?1 AND ch.kind = 'open_case' AND h.released_ns = 0"
                         " ORDER BY h.id"
                       : "SELECT hold_id FROM case_holds WHERE case_id = ?1 AND kind = 'open_case'"
                         " ORDER BY hold_id");
  return ids_query(store, sql, case_id, ret, ret_n, error);
}

bool hw_store_case_ids(HwStore *store, const char *department, const char *const *numbers, size_t n,
                       GArray *ret_ids, GError **error)
{
  HW_STORE_LOCKED(store);
  for (size_t i = 0; i < n; i++) {
    HW_AUTO_STMT st = hw_store__stmt(
        store, "SELECT id FROM cases WHERE department = ?1 AND case_number = ?2", error);
    if (!st)
      return false;
    hw_store__bind_text(st, 1, department);
    hw_store__bind_text(st, 2, numbers[i]);
    int rc = sqlite3_step(st);
    if (rc == SQLITE_ROW) {
      int64_t id = sqlite3_column_int64(st, 0);
      g_array_append_val(ret_ids, id);
    } else if (rc != SQLITE_DONE) {
      hw_store__set_error(error, store, "finding a case");
      return false;
    }
  }
  return true;
}

/* ---- applying the verdict --------------------------------------------------------------------- */

/* Runs a write binding a and b as ?1 and ?2 and t as ?3, each only if the statement has it. */
static bool exec_bound(HwStore *store, const char *sql, int64_t a, int64_t b, const char *t,
                       GError **error, const char *what)
{
  HW_AUTO_STMT st = hw_store__stmt(store, sql, error);
  if (!st)
    return false;
  int n = sqlite3_bind_parameter_count(st);
  sqlite3_bind_int64(st, 1, a);
  if (n >= 2)
    sqlite3_bind_int64(st, 2, b);
  if (n >= 3)
    bind_opt_text(st, 3, t);
  return hw_store__step_write(store, st, error, what);
}

/* History rows 'closed'/'superseded' for the warnings of case ?1 that are open and match, then
 * closes them and their notices. */
static bool close_where(HwStore *store, int64_t case_id, hw_time_ns now, const char *rules_csv,
                        const char *closed_by, GError **error)
{
  static const char SQL_HISTORY[] =
      "INSERT INTO warning_history (warning_id, at_ns, action, actor)"
      " SELECT id, ?2, CASE WHEN ?3 = 'superseded' THEN 'superseded' ELSE 'closed' END, ?3"
      " FROM warnings WHERE case_id = ?1 AND state = 'open'"
      " AND instr(?4, ',' || rule || ',') > 0";
  static const char SQL_NOTICES[] =
      "UPDATE notices SET state = 'closed', updated_ns = ?2 WHERE state <> 'closed' AND warning_id "
      "IN"
      " (SELECT id FROM warnings WHERE case_id = ?1 AND state = 'open'"
      "  AND instr(?4, ',' || rule || ',') > 0)";
  static const char SQL_CLOSE[] =
      "UPDATE warnings SET state = 'closed', closed_ns = ?2, closed_by = ?3"
      " WHERE case_id = ?1 AND state = 'open' AND instr(?4, ',' || rule || ',') > 0";
  const char *sqls[] = {SQL_HISTORY, SQL_NOTICES, SQL_CLOSE};
  for (size_t i = 0; i < G_N_ELEMENTS(sqls); i++) {
    HW_AUTO_STMT st = hw_store__stmt(store, sqls[i], error);
    if (!st)
      return false;
    sqlite3_bind_int64(st, 1, case_id);
    sqlite3_bind_int64(st, 2, now);
    hw_store__bind_text(st, 3, closed_by);
    hw_store__bind_text(st, 4, rules_csv);
    if (!hw_store__step_write(store, st, error, "closing warnings"))
      return false;
  }
  return true;
}

/* The one place where a window's stage maps to footage: the cameras mapped to (hall, window)
 * at any time during [from, to) by window_cameras' validity, held over [from, to). Holds already
 * taken for the same case/kind/warning, camera and range are not taken again. */
static bool hold_range(HwStore *store, int64_t case_id, int64_t warning_id,
                       const HwStoreHoldRange *r, hw_time_ns now, GError **error)
{
  static const char SQL_CAMERAS[] =
      "SELECT DISTINCT wc.camera FROM windows w JOIN window_cameras wc ON wc.window_id = w.id"
      " WHERE w.hall = ?1 AND w.code = ?2 AND wc.from_ns < ?4 AND (wc.to_ns IS NULL OR wc.to_ns > "
      "?3)";
  static const char SQL_HELD[] =
      "SELECT 1 FROM case_holds ch JOIN holds h ON h.id = ch.hold_id WHERE ch.case_id = ?1"
      " AND coalesce(ch.warning_id, 0) = ?2 AND h.camera = ?3 AND h.from_ns = ?4 AND h.to_ns = ?5"
      " AND h.released_ns = 0";
  static const char SQL_HOLD[] =
      "INSERT INTO holds (camera, from_ns, to_ns, reason, until_ns, created_ns)"
      " VALUES (?1, ?2, ?3, ?4, 0, ?5)";
  static const char SQL_LINK[] =
      "INSERT INTO case_holds (hold_id, case_id, warning_id, kind) VALUES (?1, ?2, ?3, ?4)";
  g_autoptr(GPtrArray) cams = g_ptr_array_new_with_free_func(g_free);
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_CAMERAS, error);
    if (!st)
      return false;
    hw_store__bind_text(st, 1, r->hall);
    hw_store__bind_text(st, 2, r->window);
    sqlite3_bind_int64(st, 3, r->from_ns);
    sqlite3_bind_int64(st, 4, r->to_ns);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
      g_ptr_array_add(cams, g_strdup((const char *)sqlite3_column_text(st, 0)));
    if (rc != SQLITE_DONE) {
      hw_store__set_error(error, store, "finding a window's cameras");
      return false;
    }
  }
  for (size_t i = 0; i < cams->len; i++) {
    const char *cam = cams->pdata[i];
    {
      HW_AUTO_STMT st = hw_store__stmt(store, SQL_HELD, error);
      if (!st)
        return false;
      sqlite3_bind_int64(st, 1, case_id);
      sqlite3_bind_int64(st, 2, warning_id);
      hw_store__bind_text(st, 3, cam);
      sqlite3_bind_int64(st, 4, r->from_ns);
      sqlite3_bind_int64(st, 5, r->to_ns);
      int rc = sqlite3_step(st);
      if (rc == SQLITE_ROW)
        continue;
      if (rc != SQLITE_DONE) {
        hw_store__set_error(error, store, "reading holds");
        return false;
      }
    }
    g_autofree char *reason = warning_id ? g_strdup_printf("warning %" G_GINT64_FORMAT, warning_id)
                                         : g_strdup_printf("open case %" G_GINT64_FORMAT, case_id);
    {
      HW_AUTO_STMT st = hw_store__stmt(store, SQL_HOLD, error);
      if (!st)
        return false;
      hw_store__bind_text(st, 1, cam);
      sqlite3_bind_int64(st, 2, r->from_ns);
      sqlite3_bind_int64(st, 3, r->to_ns);
      hw_store__bind_text(st, 4, reason);
      sqlite3_bind_int64(st, 5, now);
      if (!hw_store__step_write(store, st, error, "adding a hold"))
        return false;
    }
    int64_t hold_id = sqlite3_last_insert_rowid(hw_store__db(store));
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_LINK, error);
    if (!st)
      return false;
    sqlite3_bind_int64(st, 1, hold_id);
    sqlite3_bind_int64(st, 2, case_id);
    if (warning_id)
      sqlite3_bind_int64(st, 3, warning_id);
    else
      sqlite3_bind_null(st, 3);
    hw_store__bind_text(st, 4, warning_id ? "warning" : "open_case");
    if (!hw_store__step_write(store, st, error, "linking a hold"))
      return false;
  }
  return true;
}

static bool apply_locked(HwStore *store, int64_t case_id, bool completed,
                         const HwStoreWarningRaise *raises, size_t n_raises,
                         const HwStoreHoldRange *ranges, size_t n_ranges, hw_time_ns now,
                         size_t *ret_raised, GError **error)
{
  static const char SQL_RAISE[] =
      "INSERT INTO warnings (case_id, department, hall, rule, subject, level, raised_ns, due_ns)"
      " SELECT id, department, coalesce(hall, ''), ?2, ?3, ?4, ?5, ?6 FROM cases WHERE id = ?1"
      " ON CONFLICT (case_id, rule, subject) DO NOTHING";
  static const char SQL_RAISED[] = "INSERT INTO warning_history (warning_id, at_ns, action, actor) "
                                   "VALUES (?1, ?2, 'raised', 'rules')";
  size_t raised = 0;
  if (completed &&
      !close_where(store, case_id, now, ",promised_near,promised_late,statutory_late,stage_long,",
                   "case_completed", error))
    return false;
  for (size_t i = 0; i < n_raises; i++) {
    const HwStoreWarningRaise *r = &raises[i];
    if (strcmp(r->rule, "promised_late") == 0 &&
        !close_where(store, case_id, now, ",promised_near,", "superseded", error))
      return false;
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_RAISE, error);
    if (!st)
      return false;
    sqlite3_bind_int64(st, 1, case_id);
    hw_store__bind_text(st, 2, r->rule);
    hw_store__bind_text(st, 3, r->subject ? r->subject : "");
    sqlite3_bind_int(st, 4, r->level);
    sqlite3_bind_int64(st, 5, now);
    if (r->due_ns)
      sqlite3_bind_int64(st, 6, r->due_ns);
    else
      sqlite3_bind_null(st, 6);
    if (!hw_store__step_write(store, st, error, "raising a warning"))
      return false;
    if (sqlite3_changes(hw_store__db(store)) == 1) {
      int64_t id = sqlite3_last_insert_rowid(hw_store__db(store));
      if (!exec_bound(store, SQL_RAISED, id, now, NULL, error, "recording a warning"))
        return false;
      raised++;
    }
  }
  if (completed) {
    if (!exec_bound(store,
                    "UPDATE holds SET released_ns = ?2 WHERE released_ns = 0 AND id IN (SELECT"
                    " hold_id FROM case_holds WHERE case_id = ?1 AND kind = 'open_case')",
                    case_id, now, NULL, error, "releasing an open case's holds"))
      return false;
  } else {
    for (size_t i = 0; i < n_ranges; i++)
      if (!hold_range(store, case_id, 0, &ranges[i], now, error))
        return false;
  }
  /* red warnings (open, hold not released) hold the window stages until a supervisor releases */
  int64_t *reds = NULL;
  size_t n_reds = 0;
  {
    HW_AUTO_STMT st = hw_store__stmt(store,
                                     "SELECT id FROM warnings WHERE case_id = ?1 AND level = 2"
                                     " AND state = 'open' AND hold_released_ns = 0",
                                     error);
    if (!st)
      return false;
    sqlite3_bind_int64(st, 1, case_id);
    GArray *a = g_array_new(FALSE, FALSE, sizeof(int64_t));
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      int64_t id = sqlite3_column_int64(st, 0);
      g_array_append_val(a, id);
    }
    n_reds = a->len;
    reds = (int64_t *)(void *)g_array_free(a, FALSE);
    if (rc != SQLITE_DONE) {
      g_free(reds);
      hw_store__set_error(error, store, "reading red warnings");
      return false;
    }
  }
  g_autofree int64_t *reds_owned = reds;
  for (size_t k = 0; k < n_reds; k++)
    for (size_t i = 0; i < n_ranges; i++)
      if (!hold_range(store, case_id, reds[k], &ranges[i], now, error))
        return false;
  if (!exec_bound(store,
                  "UPDATE cases SET warning_level = coalesce((SELECT max(level) FROM warnings"
                  " WHERE case_id = ?1 AND state = 'open'), 0) WHERE id = ?1",
                  case_id, 0, NULL, error, "setting the case's warning level"))
    return false;
  if (ret_raised)
    *ret_raised = raised;
  return true;
}

bool hw_store_warnings_apply(HwStore *store, int64_t case_id, bool completed,
                             const HwStoreWarningRaise *raises, size_t n_raises,
                             const HwStoreHoldRange *ranges, size_t n_ranges, hw_time_ns now,
                             size_t *ret_raised, GError **error)
{
  HW_STORE_LOCKED(store);
  bool own;
  if (!hw_store__op_begin(store, &own, error))
    return false;
  if (!apply_locked(store, case_id, completed, raises, n_raises, ranges, n_ranges, now, ret_raised,
                    error)) {
    hw_store__op_rollback(store, own);
    return false;
  }
  return hw_store__op_commit(store, own, error);
}

/* ---- reads ------------------------------------------------------------------------------------ */

/* ?1 level (0 any), ?2 rule, ?3 department, ?4 state, ?5 before id (0: none), ?6 dept scope,
 * ?7 hall scope, ?8 limit */
#define WARNING_WHERE                                                                              \
  " WHERE (?1 = 0 OR w.level = ?1) AND (?2 IS NULL OR w.rule = ?2)"                                \
  " AND (?3 IS NULL OR w.department = ?3) AND (?4 IS NULL OR w.state = ?4)"                        \
  " AND (?9 = 0 OR w.case_id = ?9)"                                                                \
  " AND " IN_SCOPE("w.department", "?6") " AND " IN_SCOPE("w.hall", "?7")

static void bind_filter(sqlite3_stmt *st, const HwStoreWarningFilter *f, const char *depts,
                        const char *halls)
{
  sqlite3_bind_int(st, 1, f->level);
  bind_opt_text(st, 2, f->rule);
  bind_opt_text(st, 3, f->department);
  bind_opt_text(st, 4, f->state);
  sqlite3_bind_int64(st, 5, f->before_id);
  bind_opt_text(st, 6, depts);
  bind_opt_text(st, 7, halls);
  sqlite3_bind_int(st, 8, f->limit);
  sqlite3_bind_int64(st, 9, f->case_id);
}

bool hw_store_warnings_list(HwStore *store, const HwStoreWarningFilter *filter,
                            const char *const *departments, const char *const *halls,
                            HwStoreWarning **ret, size_t *ret_n, GError **error)
{
  g_autofree char *ds = scope_text(departments), *hs = scope_text(halls);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store,
                                   "SELECT " WARNING_COLS
                                   " FROM warnings w JOIN cases c ON c.id = w.case_id" WARNING_WHERE
                                   " AND (?5 = 0 OR w.id < ?5) ORDER BY w.id DESC LIMIT ?8",
                                   error);
  if (!st)
    return false;
  bind_filter(st, filter, ds, hs);
  g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(HwStoreWarning));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    g_array_set_size(out, out->len + 1);
    row_to_warning(st, &g_array_index(out, HwStoreWarning, out->len - 1));
  }
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "listing warnings");
    return false;
  }
  *ret_n = out->len;
  *ret = (HwStoreWarning *)(void *)g_array_free(g_steal_pointer(&out), FALSE);
  return true;
}

bool hw_store_warnings_count(HwStore *store, const HwStoreWarningFilter *filter,
                             const char *const *departments, const char *const *halls,
                             HwStoreWarningCountFn fn, void *user, GError **error)
{
  g_autofree char *ds = scope_text(departments), *hs = scope_text(halls);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st =
      hw_store__stmt(store,
                     "SELECT w.department, w.level, count(*) FROM warnings w" WARNING_WHERE
                     " GROUP BY w.department, w.level ORDER BY w.department, w.level",
                     error);
  if (!st)
    return false;
  bind_filter(st, filter, ds, hs);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    fn((const char *)sqlite3_column_text(st, 0), sqlite3_column_int(st, 1),
       sqlite3_column_int64(st, 2), user);
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "counting warnings");
    return false;
  }
  return true;
}

static bool get_locked(HwStore *store, int64_t id, const char *ds, const char *hs,
                       HwStoreWarning *ret, GError **error)
{
  HW_AUTO_STMT st =
      hw_store__stmt(store,
                     "SELECT " WARNING_COLS " FROM warnings w JOIN cases c ON"
                     " c.id = w.case_id WHERE w.id = ?1"
                     " AND " IN_SCOPE("w.department", "?2") " AND " IN_SCOPE("w.hall", "?3"),
                     error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, id);
  bind_opt_text(st, 2, ds);
  bind_opt_text(st, 3, hs);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    row_to_warning(st, ret);
    return true;
  }
  if (rc == SQLITE_DONE)
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND,
                "warning %" G_GINT64_FORMAT ": not found", id);
  else
    hw_store__set_error(error, store, "reading a warning");
  return false;
}

bool hw_store_warning_get(HwStore *store, int64_t id, const char *const *departments,
                          const char *const *halls, HwStoreWarning *ret, GError **error)
{
  g_autofree char *ds = scope_text(departments), *hs = scope_text(halls);
  HW_STORE_LOCKED(store);
  return get_locked(store, id, ds, hs, ret, error);
}

static bool history_query(HwStore *store, const char *sql, int64_t id, HwStoreHistory **ret,
                          size_t *ret_n, GError **error)
{
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, sql, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, id);
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(HwStoreHistory));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    g_array_set_size(out, out->len + 1);
    HwStoreHistory *h = &g_array_index(out, HwStoreHistory, out->len - 1);
    h->id = sqlite3_column_int64(st, 0);
    h->at_ns = sqlite3_column_int64(st, 1);
    hw_store__copy_text(h->action, sizeof h->action, st, 2);
    hw_store__copy_text(h->actor, sizeof h->actor, st, 3);
    hw_store__copy_text(h->text, sizeof h->text, st, 4);
  }
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "reading history");
    return false;
  }
  *ret_n = out->len;
  *ret = (HwStoreHistory *)(void *)g_array_free(g_steal_pointer(&out), FALSE);
  return true;
}

bool hw_store_warning_history(HwStore *store, int64_t id, HwStoreHistory **ret, size_t *ret_n,
                              GError **error)
{
  return history_query(store,
                       "SELECT id, at_ns, action, actor, coalesce(note, '') FROM warning_history"
                       " WHERE warning_id = ?1 ORDER BY id",
                       id, ret, ret_n, error);
}

bool hw_store_notice_history(HwStore *store, int64_t notice_id, HwStoreHistory **ret, size_t *ret_n,
                             GError **error)
{
  return history_query(store,
                       "SELECT id, at_ns, action, actor, coalesce(text, '') FROM notice_history"
                       " WHERE notice_id = ?1 ORDER BY id",
                       notice_id, ret, ret_n, error);
}

#define NOTICE_COLS                                                                                \
  "id, warning_id, department, state, sent_ns, updated_ns, sent_by, text, coalesce(reply, '')"

static bool notices_query(HwStore *store, sqlite3_stmt *st, HwStoreNotice **ret, size_t *ret_n,
                          GError **error)
{
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(HwStoreNotice));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    g_array_set_size(out, out->len + 1);
    HwStoreNotice *n = &g_array_index(out, HwStoreNotice, out->len - 1);
    n->id = sqlite3_column_int64(st, 0);
    n->warning_id = sqlite3_column_int64(st, 1);
    hw_store__copy_text(n->department, sizeof n->department, st, 2);
    hw_store__copy_text(n->state, sizeof n->state, st, 3);
    n->sent_ns = sqlite3_column_int64(st, 4);
    n->updated_ns = sqlite3_column_int64(st, 5);
    hw_store__copy_text(n->sent_by, sizeof n->sent_by, st, 6);
    hw_store__copy_text(n->text, sizeof n->text, st, 7);
    hw_store__copy_text(n->reply, sizeof n->reply, st, 8);
  }
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "reading notices");
    return false;
  }
  *ret_n = out->len;
  *ret = (HwStoreNotice *)(void *)g_array_free(g_steal_pointer(&out), FALSE);
  return true;
}

bool hw_store_warning_notices(HwStore *store, int64_t id, HwStoreNotice **ret, size_t *ret_n,
                              GError **error)
{
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(
      store, "SELECT " NOTICE_COLS " FROM notices WHERE warning_id = ?1 ORDER BY id", error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, id);
  return notices_query(store, st, ret, ret_n, error);
}

/* ---- actions ---------------------------------------------------------------------------------- */

static bool history_add(HwStore *store, const char *table, int64_t id, hw_time_ns now,
                        const char *action, const char *actor, const char *text, GError **error)
{
  const char *sql = strcmp(table, "warning") == 0
                        ? "INSERT INTO warning_history (warning_id, at_ns, action, actor, note)"
                          " VALUES (?1, ?2, ?3, ?4, ?5)"
                        : "INSERT INTO notice_history (notice_id, at_ns, action, actor, text)"
                          " VALUES (?1, ?2, ?3, ?4, ?5)";
  HW_AUTO_STMT st = hw_store__stmt(store, sql, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, now);
  hw_store__bind_text(st, 3, action);
  hw_store__bind_text(st, 4, actor);
  bind_opt_text(st, 5, text);
  return hw_store__step_write(store, st, error, "recording history");
}

typedef bool (*ActionFn)(HwStore *store, const HwStoreWarning *w, const char *actor,
                         const char *text, hw_time_ns now, void *out, GError **error);

/* Runs fn on warning id (scoped) in one transaction. */
static bool warning_action(HwStore *store, int64_t id, const char *const *departments,
                           const char *const *halls, const char *actor, const char *text,
                           hw_time_ns now, ActionFn fn, void *out, GError **error)
{
  g_autofree char *ds = scope_text(departments), *hs = scope_text(halls);
  HW_STORE_LOCKED(store);
  HwStoreWarning *w = g_new(HwStoreWarning, 1);
  g_autofree HwStoreWarning *w_owned = w;
  if (!get_locked(store, id, ds, hs, w, error))
    return false;
  bool own;
  if (!hw_store__op_begin(store, &own, error))
    return false;
  if (!fn(store, w, actor, text, now, out, error)) {
    hw_store__op_rollback(store, own);
    return false;
  }
  return hw_store__op_commit(store, own, error);
}

static bool do_close(HwStore *store, const HwStoreWarning *w, const char *actor, const char *note,
                     hw_time_ns now, void *out, GError **error)
{
  if (strcmp(w->state, "open") != 0) {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_EXISTS,
                "warning %" G_GINT64_FORMAT " is already closed", w->id);
    return false;
  }
  g_autofree char *by = g_strdup_printf("user:%.70s", actor);
  HW_AUTO_STMT st = hw_store__stmt(store,
                                   "UPDATE warnings SET state = 'closed', closed_ns = ?2,"
                                   " closed_by = ?3, close_note = ?4 WHERE id = ?1",
                                   error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, w->id);
  sqlite3_bind_int64(st, 2, now);
  hw_store__bind_text(st, 3, by);
  hw_store__bind_text(st, 4, note);
  if (!hw_store__step_write(store, st, error, "closing a warning") ||
      !history_add(store, "warning", w->id, now, "closed", actor, note, error) ||
      !exec_bound(store,
                  "UPDATE notices SET state = 'closed', updated_ns = ?2 WHERE warning_id = ?1"
                  " AND state <> 'closed'",
                  w->id, now, NULL, error, "closing notices") ||
      !exec_bound(store,
                  "UPDATE cases SET warning_level = coalesce((SELECT max(level) FROM warnings"
                  " WHERE case_id = ?1 AND state = 'open'), 0) WHERE id = ?1",
                  w->case_id, 0, NULL, error, "setting the case's warning level"))
    return false;
  return true;
}

bool hw_store_warning_close(HwStore *store, int64_t id, const char *const *departments,
                            const char *const *halls, const char *actor, const char *note,
                            hw_time_ns now, GError **error)
{
  return warning_action(store, id, departments, halls, actor, note, now, do_close, NULL, error);
}

static bool do_release(HwStore *store, const HwStoreWarning *w, const char *actor, const char *text,
                       hw_time_ns now, void *out, GError **error)
{
  if (w->hold_released_ns != 0) {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_EXISTS,
                "warning %" G_GINT64_FORMAT ": its hold is already released", w->id);
    return false;
  }
  if (!exec_bound(store,
                  "UPDATE holds SET released_ns = ?2 WHERE released_ns = 0 AND id IN (SELECT"
                  " hold_id FROM case_holds WHERE warning_id = ?1)",
                  w->id, now, NULL, error, "releasing holds"))
    return false;
  *(size_t *)out = (size_t)sqlite3_changes(hw_store__db(store));
  return exec_bound(store, "UPDATE warnings SET hold_released_ns = ?2 WHERE id = ?1", w->id, now,
                    NULL, error, "marking a hold released") &&
         history_add(store, "warning", w->id, now, "hold_released", actor, text, error);
}

bool hw_store_warning_release_hold(HwStore *store, int64_t id, const char *const *departments,
                                   const char *const *halls, const char *actor, hw_time_ns now,
                                   size_t *ret_n, GError **error)
{
  size_t n = 0;
  if (!warning_action(store, id, departments, halls, actor, NULL, now, do_release, &n, error))
    return false;
  if (ret_n)
    *ret_n = n;
  return true;
}

static bool do_notice(HwStore *store, const HwStoreWarning *w, const char *actor, const char *text,
                      hw_time_ns now, void *out, GError **error)
{
  if (strcmp(w->state, "open") != 0) {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_EXISTS,
                "warning %" G_GINT64_FORMAT " is closed: no notice on it", w->id);
    return false;
  }
  HW_AUTO_STMT st = hw_store__stmt(store,
                                   "INSERT INTO notices (warning_id, department, text, sent_ns,"
                                   " sent_by, updated_ns) VALUES (?1, ?2, ?3, ?4, ?5, ?4)",
                                   error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, w->id);
  hw_store__bind_text(st, 2, w->department);
  hw_store__bind_text(st, 3, text);
  sqlite3_bind_int64(st, 4, now);
  hw_store__bind_text(st, 5, actor);
  if (!hw_store__step_write(store, st, error, "sending a notice"))
    return false;
  int64_t nid = sqlite3_last_insert_rowid(hw_store__db(store));
  *(int64_t *)out = nid;
  return history_add(store, "notice", nid, now, "sent", actor, text, error) &&
         history_add(store, "warning", w->id, now, "notice_sent", actor, text, error);
}

bool hw_store_notice_send(HwStore *store, int64_t warning_id, const char *const *departments,
                          const char *const *halls, const char *actor, const char *text,
                          hw_time_ns now, int64_t *ret_id, GError **error)
{
  int64_t id = 0;
  if (!warning_action(store, warning_id, departments, halls, actor, text, now, do_notice, &id,
                      error))
    return false;
  if (ret_id)
    *ret_id = id;
  return true;
}

bool hw_store_notices_for_department(HwStore *store, const char *department, const char *actor,
                                     hw_time_ns now, int limit, HwStoreNotice **ret, size_t *ret_n,
                                     GError **error)
{
  HW_STORE_LOCKED(store);
  bool own;
  if (!hw_store__op_begin(store, &own, error))
    return false;
  HwStoreNotice *list = NULL;
  size_t n = 0;
  {
    HW_AUTO_STMT st = hw_store__stmt(store,
                                     "SELECT " NOTICE_COLS " FROM notices WHERE department = ?1"
                                     " AND state <> 'closed' ORDER BY id LIMIT ?2",
                                     error);
    if (!st || (hw_store__bind_text(st, 1, department), sqlite3_bind_int(st, 2, limit),
                !notices_query(store, st, &list, &n, error))) {
      hw_store__op_rollback(store, own);
      return false;
    }
  }
  for (size_t i = 0; i < n; i++) {
    if (strcmp(list[i].state, "sent") != 0)
      continue;
    if (!exec_bound(store, "UPDATE notices SET state = 'read', updated_ns = ?2 WHERE id = ?1",
                    list[i].id, now, NULL, error, "marking a notice read") ||
        !history_add(store, "notice", list[i].id, now, "read", actor, NULL, error)) {
      g_free(list);
      hw_store__op_rollback(store, own);
      return false;
    }
  }
  if (!hw_store__op_commit(store, own, error)) {
    g_free(list);
    return false;
  }
  *ret = list;
  *ret_n = n;
  return true;
}

bool hw_store_notice_reply(HwStore *store, const char *department, int64_t notice_id,
                           const char *actor, const char *text, hw_time_ns now, GError **error)
{
  HW_STORE_LOCKED(store);
  bool own;
  if (!hw_store__op_begin(store, &own, error))
    return false;
  HW_AUTO_STMT st = hw_store__stmt(store,
                                   "UPDATE notices SET state = 'replied', reply = ?3,"
                                   " updated_ns = ?4 WHERE id = ?1 AND department = ?2"
                                   " AND state <> 'closed'",
                                   error);
  if (!st) {
    hw_store__op_rollback(store, own);
    return false;
  }
  sqlite3_bind_int64(st, 1, notice_id);
  hw_store__bind_text(st, 2, department);
  hw_store__bind_text(st, 3, text);
  sqlite3_bind_int64(st, 4, now);
  if (!hw_store__step_write(store, st, error, "replying to a notice")) {
    hw_store__op_rollback(store, own);
    return false;
  }
  if (sqlite3_changes(hw_store__db(store)) != 1) {
    hw_store__op_rollback(store, own);
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND,
                "notice %" G_GINT64_FORMAT ": not found", notice_id);
    return false;
  }
  if (!history_add(store, "notice", notice_id, now, "replied", actor, text, error)) {
    hw_store__op_rollback(store, own);
    return false;
  }
  return hw_store__op_commit(store, own, error);
}
