/* The dashboard's reads (sql/hw_store_dashboard.h). Each statement reads an index range or a
 * small table: footage totals come from footage_totals (kept by triggers), a camera's oldest file
 * is one end of files_by_camera_start, held bytes start from the live holds (holds_live) and
 * reach each one's files through the same bounded range as files_in_range, cases due and in
 * progress are partial indexes of migration 0012. Scope is a residual term in every statement. */
#include <sqlite3.h>
#include <string.h>

#include "sql/hw_store_dashboard.h"
#include "sql/hw_store_private.h"
#include "sql/store_cases_private.h"

#define IN_SCOPE(col, p) "(" p " IS NULL OR instr(" p ", char(10) || " col " || char(10)) > 0)"

static const char SQL_FOOTAGE_BY_CAMERA[] =
    "SELECT t.camera, coalesce(s.hall, ''), t.files, t.bytes,"
    " coalesce((SELECT min(f.start_ns) FROM files f WHERE f.camera = t.camera), 0)"
    " FROM footage_totals t LEFT JOIN camera_settings s ON s.id = t.camera"
    " WHERE t.files > 0 AND " IN_SCOPE("s.hall", "?1") " ORDER BY t.camera";

/* A file overlaps a hold when it starts before the hold's end and ends after its start; its
 * start is bounded below by the longest file the camera ever had (file_spans), so each hold
 * reads one short range of files_by_camera_start. */
static const char SQL_HELD[] =
    "SELECT coalesce(sum(size), 0), count(*) FROM files WHERE id IN ("
    " SELECT f.id FROM holds h"
    " JOIN files f ON f.camera = h.camera AND f.start_ns < h.to_ns AND f.end_ns > h.from_ns"
    "  AND f.start_ns >= h.from_ns - coalesce((SELECT max(sp.max_span_ns) FROM file_spans sp"
    "   WHERE sp.camera = h.camera), 0)"
    " LEFT JOIN camera_settings s ON s.id = h.camera"
    " WHERE h.released_ns = 0 AND (h.until_ns = 0 OR h.until_ns > ?2)"
    " AND " IN_SCOPE("s.hall", "?1") ")";

static const char SQL_IN_PROGRESS[] =
    "SELECT department, count(*) FROM cases INDEXED BY cases_in_progress"
    " WHERE accepted_ns IS NOT NULL AND completed_ns IS NULL"
    " AND " IN_SCOPE("department", "?1") " AND " IN_SCOPE("hall", "?2")
    " GROUP BY department ORDER BY department";

#define DUE_WHERE                                                                                  \
  " WHERE promised_due_ns > ?1 AND promised_due_ns <= ?2 AND completed_ns IS NULL"                 \
  " AND " IN_SCOPE("department", "?3") " AND " IN_SCOPE("hall", "?4")

static const char SQL_DUE_COUNT[] =
    "SELECT department, count(*) FROM cases INDEXED BY cases_by_promised_due" DUE_WHERE
    " GROUP BY department ORDER BY department";

#define BRIEF_COLS(p)                                                                              \
  p "id, " p "department, " p "case_number, " p "item_name, coalesce(" p "hall, ''), coalesce(" p \
    "window, ''), coalesce(" p "accepted_ns, 0), coalesce(" p "promised_due_ns, 0), " p            \
    "warning_level"
#define BRIEF_N_COLS 9

static const char SQL_DUE_LIST[] =
    "SELECT " BRIEF_COLS("") " FROM cases INDEXED BY cases_by_promised_due" DUE_WHERE
    " ORDER BY promised_due_ns, accepted_ns, id LIMIT ?5";

static const char SQL_SET_DUE[] =
    "UPDATE cases SET promised_due_ns = ?2 WHERE id = ?1 AND promised_due_ns IS NOT ?2";

/* The latest case of each window: one backwards step into cases_by_window per window. */
static const char SQL_WINDOW_CASES[] =
    "SELECT w.id, w.hall, w.code, w.name, " BRIEF_COLS("c.") " FROM windows w"
    " LEFT JOIN cases c ON c.id = (SELECT c2.id FROM cases c2 INDEXED BY cases_by_window"
    "  WHERE c2.hall = w.hall AND c2.window = w.code AND c2.accepted_ns >= ?2"
    "  AND " IN_SCOPE("c2.department", "?3")
    "  ORDER BY c2.accepted_ns DESC, c2.id DESC LIMIT 1)"
    " WHERE " IN_SCOPE("w.hall", "?1") " ORDER BY w.hall, w.code";

/* An event that names a window but no hall happened at its case's hall (as the case footage
 * links it, web/case_footage.c): a second range of the same index, e.hall IS NULL. */
static const char SQL_WINDOW_EVENTS[] =
    "SELECT id, case_id, case_number, department, stage, hall, window, time_ns FROM ("
    " SELECT e.id, e.case_id, c.case_number, c.department, e.stage, e.hall, e.window, e.time_ns"
    " FROM stage_events e INDEXED BY stage_events_by_window JOIN cases c ON c.id = e.case_id"
    " WHERE e.hall = ?1 AND e.window = ?2 AND e.time_ns >= ?3 AND e.time_ns < ?4"
    " AND " IN_SCOPE("c.department", "?5") " UNION ALL"
    " SELECT e.id, e.case_id, c.case_number, c.department, e.stage, c.hall, e.window, e.time_ns"
    " FROM stage_events e INDEXED BY stage_events_by_window JOIN cases c ON c.id = e.case_id"
    " WHERE e.hall IS NULL AND e.window = ?2 AND e.time_ns >= ?3 AND e.time_ns < ?4"
    " AND c.hall = ?1 AND " IN_SCOPE("c.department", "?5") ")"
    " ORDER BY time_ns, id LIMIT ?6";

static void bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
  if (s)
    hw_store__bind_text(st, i, s);
  else
    sqlite3_bind_null(st, i);
}

static void brief_from_row(sqlite3_stmt *st, int c0, HwStoreCaseBrief *b)
{
  b->id = sqlite3_column_int64(st, c0);
  hw_store__copy_text(b->department, sizeof b->department, st, c0 + 1);
  hw_store__copy_text(b->case_number, sizeof b->case_number, st, c0 + 2);
  hw_store__copy_text(b->item_name, sizeof b->item_name, st, c0 + 3);
  hw_store__copy_text(b->hall, sizeof b->hall, st, c0 + 4);
  hw_store__copy_text(b->window, sizeof b->window, st, c0 + 5);
  b->accepted_ns = sqlite3_column_int64(st, c0 + 6);
  b->due_ns = sqlite3_column_int64(st, c0 + 7);
  b->warning_level = sqlite3_column_int(st, c0 + 8);
}

/* Steps st to its end; false with error (what) if it failed. */
static bool step_done(HwStore *store, sqlite3_stmt *st, int rc, GError **error, const char *what)
{
  if (rc == SQLITE_DONE)
    return true;
  hw_store__set_error(error, store, what);
  return false;
}

bool hw_store_footage_by_camera(HwStore *store, const char *const *halls,
                                HwStoreCameraFootage **ret, size_t *ret_n, GError **error)
{
  g_return_val_if_fail(store && ret && ret_n, false);
  g_autofree char *hs = hw_store__scope_text(halls);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_FOOTAGE_BY_CAMERA, error);
  if (!st)
    return false;
  bind_opt_text(st, 1, hs);
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(HwStoreCameraFootage));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    HwStoreCameraFootage c = {0};
    hw_store__copy_text(c.camera, sizeof c.camera, st, 0);
    hw_store__copy_text(c.hall, sizeof c.hall, st, 1);
    c.files = sqlite3_column_int64(st, 2);
    c.bytes = sqlite3_column_int64(st, 3);
    c.oldest_ns = sqlite3_column_int64(st, 4);
    g_array_append_val(out, c);
  }
  if (!step_done(store, st, rc, error, "reading footage totals"))
    return false;
  *ret_n = out->len;
  *ret = (HwStoreCameraFootage *)(void *)g_array_free(g_steal_pointer(&out), FALSE);
  return true;
}

bool hw_store_held_footage(HwStore *store, const char *const *halls, hw_time_ns now,
                           int64_t *ret_bytes, int64_t *ret_files, GError **error)
{
  g_return_val_if_fail(store && ret_bytes && ret_files, false);
  g_autofree char *hs = hw_store__scope_text(halls);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_HELD, error);
  if (!st)
    return false;
  bind_opt_text(st, 1, hs);
  sqlite3_bind_int64(st, 2, now);
  if (sqlite3_step(st) != SQLITE_ROW) {
    hw_store__set_error(error, store, "summing held footage");
    return false;
  }
  *ret_bytes = sqlite3_column_int64(st, 0);
  *ret_files = sqlite3_column_int64(st, 1);
  return true;
}

/* Calls fn for each (department, count) row of st. */
static bool count_rows(HwStore *store, sqlite3_stmt *st, HwStoreDepartmentCountFn fn, void *user,
                       GError **error, const char *what)
{
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    fn((const char *)sqlite3_column_text(st, 0), sqlite3_column_int64(st, 1), user);
  return step_done(store, st, rc, error, what);
}

bool hw_store_cases_in_progress(HwStore *store, const char *const *departments,
                                const char *const *halls, HwStoreDepartmentCountFn fn, void *user,
                                GError **error)
{
  g_return_val_if_fail(store && fn, false);
  g_autofree char *ds = hw_store__scope_text(departments), *hs = hw_store__scope_text(halls);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_IN_PROGRESS, error);
  if (!st)
    return false;
  bind_opt_text(st, 1, ds);
  bind_opt_text(st, 2, hs);
  return count_rows(store, st, fn, user, error, "counting cases in progress");
}

bool hw_store_cases_due(HwStore *store, hw_time_ns after, hw_time_ns until,
                        const char *const *departments, const char *const *halls,
                        HwStoreDepartmentCountFn fn, void *user, size_t limit,
                        HwStoreCaseBrief **ret, size_t *ret_n, GError **error)
{
  g_return_val_if_fail(store && fn && ret && ret_n, false);
  g_autofree char *ds = hw_store__scope_text(departments), *hs = hw_store__scope_text(halls);
  HW_STORE_LOCKED(store);
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_DUE_COUNT, error);
    if (!st)
      return false;
    sqlite3_bind_int64(st, 1, after);
    sqlite3_bind_int64(st, 2, until);
    bind_opt_text(st, 3, ds);
    bind_opt_text(st, 4, hs);
    if (!count_rows(store, st, fn, user, error, "counting cases due"))
      return false;
  }
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_DUE_LIST, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, after);
  sqlite3_bind_int64(st, 2, until);
  bind_opt_text(st, 3, ds);
  bind_opt_text(st, 4, hs);
  sqlite3_bind_int64(st, 5, (sqlite3_int64)limit);
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(HwStoreCaseBrief));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    g_array_set_size(out, out->len + 1);
    brief_from_row(st, 0, &g_array_index(out, HwStoreCaseBrief, out->len - 1));
  }
  if (!step_done(store, st, rc, error, "listing cases due"))
    return false;
  *ret_n = out->len;
  *ret = (HwStoreCaseBrief *)(void *)g_array_free(g_steal_pointer(&out), FALSE);
  return true;
}

bool hw_store_case_set_promised_due(HwStore *store, int64_t case_id, hw_time_ns due_ns,
                                    GError **error)
{
  g_return_val_if_fail(store, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_SET_DUE, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, case_id);
  if (due_ns != 0)
    sqlite3_bind_int64(st, 2, due_ns);
  else
    sqlite3_bind_null(st, 2);
  return hw_store__step_write(store, st, error, "storing a case's promised due date");
}

bool hw_store_window_current_cases(HwStore *store, const char *const *halls,
                                   const char *const *departments, hw_time_ns since,
                                   HwStoreWindowCase **ret, size_t *ret_n, GError **error)
{
  g_return_val_if_fail(store && ret && ret_n, false);
  g_autofree char *ds = hw_store__scope_text(departments), *hs = hw_store__scope_text(halls);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_WINDOW_CASES, error);
  if (!st)
    return false;
  bind_opt_text(st, 1, hs);
  sqlite3_bind_int64(st, 2, since);
  bind_opt_text(st, 3, ds);
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(HwStoreWindowCase));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    g_array_set_size(out, out->len + 1);
    HwStoreWindowCase *w = &g_array_index(out, HwStoreWindowCase, out->len - 1);
    w->window_id = sqlite3_column_int64(st, 0);
    hw_store__copy_text(w->hall, sizeof w->hall, st, 1);
    hw_store__copy_text(w->code, sizeof w->code, st, 2);
    hw_store__copy_text(w->name, sizeof w->name, st, 3);
    w->has_case = sqlite3_column_type(st, 4) != SQLITE_NULL;
    if (w->has_case)
      brief_from_row(st, 4, &w->c);
  }
  if (!step_done(store, st, rc, error, "reading the windows' current cases"))
    return false;
  *ret_n = out->len;
  *ret = (HwStoreWindowCase *)(void *)g_array_free(g_steal_pointer(&out), FALSE);
  return true;
}

bool hw_store_window_events(HwStore *store, const char *hall, const char *window, hw_time_ns from,
                            hw_time_ns to, const char *const *departments, size_t max,
                            GArray *out, bool *ret_more, GError **error)
{
  g_return_val_if_fail(store && hall && window && out && ret_more, false);
  if (out->len >= max) {
    *ret_more = true;
    return true;
  }
  g_autofree char *ds = hw_store__scope_text(departments);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_WINDOW_EVENTS, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, hall);
  hw_store__bind_text(st, 2, window);
  sqlite3_bind_int64(st, 3, from);
  sqlite3_bind_int64(st, 4, to);
  bind_opt_text(st, 5, ds);
  size_t room = max - out->len;
  sqlite3_bind_int64(st, 6, (sqlite3_int64)room + 1);
  size_t got = 0;
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (++got > room) {
      *ret_more = true;
      continue;
    }
    HwStoreWindowEvent e = {0};
    e.event_id = sqlite3_column_int64(st, 0);
    e.case_id = sqlite3_column_int64(st, 1);
    hw_store__copy_text(e.case_number, sizeof e.case_number, st, 2);
    hw_store__copy_text(e.department, sizeof e.department, st, 3);
    hw_store__copy_text(e.stage, sizeof e.stage, st, 4);
    hw_store__copy_text(e.hall, sizeof e.hall, st, 5);
    hw_store__copy_text(e.window, sizeof e.window, st, 6);
    e.time_ns = sqlite3_column_int64(st, 7);
    g_array_append_val(out, e);
  }
  return step_done(store, st, rc, error, "listing a window's stage events");
}

char *hw_store_dashboard_plans(HwStore *store, GError **error)
{
  static const struct {
    const char *name, *sql;
  } stmts[] = {
      {"footage_by_camera", SQL_FOOTAGE_BY_CAMERA}, {"held_footage", SQL_HELD},
      {"cases_in_progress", SQL_IN_PROGRESS},       {"cases_due_count", SQL_DUE_COUNT},
      {"cases_due_list", SQL_DUE_LIST},             {"window_cases", SQL_WINDOW_CASES},
      {"window_events", SQL_WINDOW_EVENTS},
  };
  GString *out = g_string_new(NULL);
  HW_STORE_LOCKED(store);
  for (size_t i = 0; i < G_N_ELEMENTS(stmts); i++) {
    g_autofree char *sql = g_strconcat("EXPLAIN QUERY PLAN ", stmts[i].sql, NULL);
    sqlite3_stmt *st = NULL;
    if (sqlite3_prepare_v2(hw_store__db(store), sql, -1, &st, NULL) != SQLITE_OK) {
      hw_store__set_error(error, store, "planning a dashboard query");
      g_string_free(out, TRUE);
      return NULL;
    }
    g_string_append_printf(out, "-- %s\n", stmts[i].name);
    while (sqlite3_step(st) == SQLITE_ROW)
      g_string_append_printf(out, "%s\n", (const char *)sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
  }
  return g_string_free(out, FALSE);
}
