/* The supervisors' case reads (sql/hw_store_case_queries.h). A list query is planned here, not by
 * SQLite's guess: the most selective filter given picks one index (INDEXED BY), the others and
 * the caller's scope are residual terms, and the order is the index's own (accepted_ns, id), so a
 * page reads about `limit` rows of one range however large the table. A department-scoped caller
 * without a department filter gets one range per department of the scope, merged here; a
 * hall-scoped one listing by time or state alone, one range per hall. Sorted by due date, the
 * list is one range of cases_by_promised_due (running cases only, so the residual filters read
 * at most the running cases, not the table). */
#include "sql/hw_store_case_queries.h"

#include <sqlite3.h>
#include <string.h>

#include "sql/hw_store_private.h"
#include "sql/store_cases_private.h"

#define LANES_MAX 64 /* departments of a scope queried one range each; more: one residual filter */

typedef struct {
  int type; /* 0 text, 1 int64 */
  const char *text;
  int64_t value;
} Bind;

typedef struct {
  GString *sql;
  Bind binds[24];
  int n;
} Stmt;

/* Appends term with its one "%d" replaced by the number of the parameter just bound. */
static void append_term(Stmt *s, const char *term)
{
  const char *at = strstr(term, "%d");
  g_assert(at != NULL);
  g_string_append_len(s->sql, term, at - term);
  g_string_append_printf(s->sql, "%d%s", s->n, at + 2);
}

static void add_text(Stmt *s, const char *term, const char *text)
{
  g_assert((size_t)s->n < G_N_ELEMENTS(s->binds));
  s->binds[s->n] = (Bind){0, text, 0};
  s->n++;
  append_term(s, term);
}

static void add_int(Stmt *s, const char *term, int64_t v)
{
  g_assert((size_t)s->n < G_N_ELEMENTS(s->binds));
  s->binds[s->n] = (Bind){1, NULL, v};
  s->n++;
  append_term(s, term);
}

static sqlite3_stmt *prepare(HwStore *store, const Stmt *s, GError **error)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(hw_store__db(store), s->sql->str, -1, &st, NULL) != SQLITE_OK) {
    hw_store__set_error(error, store, "preparing a case query");
    sqlite3_finalize(st);
    return NULL;
  }
  for (int i = 0; i < s->n; i++) {
    if (s->binds[i].type == 0)
      hw_store__bind_text(st, i + 1, s->binds[i].text);
    else
      sqlite3_bind_int64(st, i + 1, s->binds[i].value);
  }
  return st;
}

/* The residual terms every statement carries: scope, and the keyset position. */
static void add_scope(Stmt *s, const char *p, const char *departments, const char *halls)
{
  if (departments) {
    add_text(s, " AND instr(?%d, char(10) || ", departments);
    g_string_append_printf(s->sql, "%sdepartment || char(10)) > 0", p);
  }
  if (halls) {
    add_text(s, " AND instr(?%d, char(10) || ", halls);
    g_string_append_printf(s->sql, "coalesce(%shall, '') || char(10)) > 0", p);
  }
}

/* ---- the case list ------------------------------------------------------------------------------ */

typedef struct {
  char *departments, *halls; /* scope texts */
} Scope;

/* One statement of the list: one index range (lane_department, lane_hall: a department or hall
 * of the caller's scope, queried as its own range). */
static void case_stmt(Stmt *s, const HwCaseQuery *q, const Scope *sc, const char *lane_department,
                      const char *lane_hall)
{
  const char *dept = q->department ? q->department : lane_department;
  const char *hall = q->hall ? q->hall : lane_hall;
  bool due = q->sort == HW_CASE_SORT_DUE;
  const char *key = due ? "promised_due_ns" : "accepted_ns";
  const char *index;
  if (due)
    index = q->case_number ? "cases_by_number" : q->operator_id ? NULL : "cases_by_promised_due";
  else if (lane_hall)
    index = "cases_by_hall";
  else if (q->case_number)
    index = "cases_by_number";
  else if (q->operator_id)
    index = NULL;
  else if (dept && q->state)
    index = "cases_by_department_state";
  else if (dept && q->warning_level)
    index = "cases_by_department_warning";
  else if (dept)
    index = "cases_by_department_accepted";
  else if (q->warning_level)
    index = "cases_by_warning_level";
  else if (q->hall && q->window)
    index = "cases_by_window";
  else if (q->item_code)
    index = "cases_by_item";
  else if (q->state)
    index = "cases_by_state";
  else if (q->hall)
    index = "cases_by_hall";
  else
    index = "cases_by_accepted";
  g_string_append(s->sql, "SELECT " CASE_COLS " FROM cases");
  if (index)
    g_string_append_printf(s->sql, " INDEXED BY %s", index);
  g_string_append(s->sql, " WHERE 1");
  if (q->case_number)
    add_text(s, " AND case_number = ?%d", q->case_number);
  if (q->operator_id)
    add_text(s,
             " AND id IN (SELECT case_id FROM stage_events INDEXED BY stage_events_by_operator_any"
             " WHERE operator_id = ?%d)",
             q->operator_id);
  if (dept)
    add_text(s, " AND department = ?%d", dept);
  if (q->state)
    add_text(s, " AND state = ?%d", q->state);
  if (q->warning_level)
    add_int(s, " AND warning_level = ?%d", q->warning_level);
  if (hall)
    add_text(s, " AND hall = ?%d", hall);
  if (q->window)
    add_text(s, " AND window = ?%d AND window IS NOT NULL", q->window);
  if (hall && !q->window && index && strcmp(index, "cases_by_hall") == 0)
    g_string_append(s->sql, " AND hall IS NOT NULL");
  if (q->item_code)
    add_text(s, " AND item_code = ?%d", q->item_code);
  if (!q->case_number)
    g_string_append(s->sql, " AND accepted_ns IS NOT NULL");
  if (due)
    g_string_append(s->sql, " AND promised_due_ns IS NOT NULL");
  if (q->has_from)
    add_int(s, " AND accepted_ns >= ?%d", q->from_ns);
  if (q->has_to)
    add_int(s, " AND accepted_ns < ?%d", q->to_ns);
  if (q->has_cursor) {
    g_string_append_printf(s->sql, " AND (%s, id) %s (", key, q->ascending ? ">" : "<");
    add_int(s, "?%d", q->cursor_ns);
    add_int(s, ", ?%d)", q->cursor_id);
  }
  add_scope(s, "", lane_department ? NULL : sc->departments, lane_hall ? NULL : sc->halls);
  if (q->ascending)
    g_string_append_printf(s->sql, " ORDER BY %s, id", key);
  else
    g_string_append_printf(s->sql, " ORDER BY %s DESC, id DESC", key);
  add_int(s, " LIMIT ?%d", (int64_t)q->limit + 1);
}

/* The statements of q: one, or one per department of the scope, or (a caller limited to halls,
 * listing by time or state alone) one per hall of the scope. */
static GPtrArray *case_stmts(const HwCaseQuery *q, const Scope *sc)
{
  GPtrArray *out = g_ptr_array_new();
  const char *const *d = q->scope_departments, *const *h = q->scope_halls;
  size_t nd = d ? g_strv_length((char **)d) : 0, nh = h ? g_strv_length((char **)h) : 0;
  bool narrow = q->case_number || q->operator_id || q->department || q->sort == HW_CASE_SORT_DUE;
  bool dept_lanes = d && !narrow && nd <= LANES_MAX;
  bool hall_lanes = !dept_lanes && h && !narrow && !q->hall && !q->warning_level && !q->item_code &&
                    nh <= LANES_MAX;
  size_t n = dept_lanes ? nd : hall_lanes ? nh : 1;
  for (size_t i = 0; i < n; i++) {
    Stmt *s = g_new0(Stmt, 1);
    s->sql = g_string_new(NULL);
    case_stmt(s, q, sc, dept_lanes ? d[i] : NULL, hall_lanes ? h[i] : NULL);
    g_ptr_array_add(out, s);
  }
  return out;
}

static void stmts_free(GPtrArray *a)
{
  for (guint i = 0; i < a->len; i++) {
    Stmt *s = a->pdata[i];
    g_string_free(s->sql, TRUE);
    g_free(s);
  }
  g_ptr_array_free(a, TRUE);
}

static bool query_ok(const HwCaseQuery *q, GError **error)
{
  if (q->limit < 1 || q->limit > HW_CASE_QUERY_LIMIT_MAX || (q->window && !q->hall) ||
      q->warning_level < 0 || q->warning_level > 2) {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID,
                "case query: limit 1..%d, a window with its hall, warning level 0..2",
                HW_CASE_QUERY_LIMIT_MAX);
    return false;
  }
  /* A department outside the scope: nothing (not an error, so lists and ids answer alike). */
  return true;
}

static bool out_of_scope(const HwCaseQuery *q)
{
  if (q->department && q->scope_departments &&
      !g_strv_contains((const char *const *)q->scope_departments, q->department))
    return true;
  if (q->hall && q->scope_halls && !g_strv_contains(q->scope_halls, q->hall))
    return true;
  return false;
}

/* The list's order: the sort's time, then id (a key hw_store_case_sort_key also gives paging). */
hw_time_ns hw_store_case_sort_key(const HwStoreCase *c, HwCaseSort sort)
{
  return sort == HW_CASE_SORT_DUE ? c->promised_due_ns : c->accepted_ns;
}

static gint case_cmp(gconstpointer a, gconstpointer b, gpointer data)
{
  const HwCaseQuery *q = data;
  const HwStoreCase *x = a, *y = b;
  hw_time_ns kx = hw_store_case_sort_key(x, q->sort), ky = hw_store_case_sort_key(y, q->sort);
  int c = kx < ky ? -1 : kx > ky ? 1 : x->id < y->id ? -1 : x->id > y->id ? 1 : 0;
  return q->ascending ? c : -c;
}

bool hw_store_cases_query(HwStore *store, const HwCaseQuery *q, HwStoreCase **ret, size_t *ret_n,
                          bool *ret_more, GError **error)
{
  g_return_val_if_fail(store && q && ret && ret_n && ret_more, false);
  if (!query_ok(q, error))
    return false;
  g_autoptr(GArray) rows = g_array_new(FALSE, FALSE, sizeof(HwStoreCase));
  if (!out_of_scope(q)) {
    Scope sc = {hw_store__scope_text(q->scope_departments), hw_store__scope_text(q->scope_halls)};
    GPtrArray *stmts = case_stmts(q, &sc);
    bool ok = true;
    {
      HW_STORE_LOCKED(store);
      for (guint i = 0; ok && i < stmts->len; i++) {
        sqlite3_stmt *st = prepare(store, stmts->pdata[i], error);
        if (st == NULL) {
          ok = false;
          break;
        }
        int rc;
        while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
          HwStoreCase c;
          hw_store__case_from_row(st, &c);
          g_array_append_val(rows, c);
        }
        if (rc != SQLITE_DONE) {
          hw_store__set_error(error, store, "reading cases");
          ok = false;
        }
        sqlite3_finalize(st);
      }
    }
    stmts_free(stmts);
    g_free(sc.departments);
    g_free(sc.halls);
    if (!ok)
      return false;
  }
  g_array_sort_with_data(rows, case_cmp, (gpointer)q);
  *ret_more = rows->len > q->limit;
  if (rows->len > q->limit)
    g_array_set_size(rows, (guint)q->limit);
  *ret_n = rows->len;
  *ret = (HwStoreCase *)(void *)g_array_free(g_steal_pointer(&rows), FALSE);
  return true;
}

/* EXPLAIN QUERY PLAN of each statement, one detail a line. */
static char *plans(HwStore *store, GPtrArray *stmts, GError **error)
{
  GString *out = g_string_new(NULL);
  HW_STORE_LOCKED(store);
  for (guint i = 0; i < stmts->len; i++) {
    Stmt *s = stmts->pdata[i];
    g_string_prepend(s->sql, "EXPLAIN QUERY PLAN ");
    sqlite3_stmt *st = prepare(store, s, error);
    if (st == NULL) {
      g_string_free(out, TRUE);
      return NULL;
    }
    while (sqlite3_step(st) == SQLITE_ROW)
      g_string_append_printf(out, "%s\n", (const char *)sqlite3_column_text(st, 3));
    sqlite3_finalize(st);
  }
  return g_string_free(out, FALSE);
}

char *hw_store_case_query_plan(HwStore *store, const HwCaseQuery *q, GError **error)
{
  g_return_val_if_fail(store && q, NULL);
  if (!query_ok(q, error))
    return NULL;
  Scope sc = {hw_store__scope_text(q->scope_departments), hw_store__scope_text(q->scope_halls)};
  GPtrArray *stmts = case_stmts(q, &sc);
  char *r = plans(store, stmts, error);
  stmts_free(stmts);
  g_free(sc.departments);
  g_free(sc.halls);
  return r;
}

bool hw_store_case_get_by_id(HwStore *store, int64_t id, const char *const *scope_departments,
                             const char *const *scope_halls, HwStoreCase *ret, GError **error)
{
  g_return_val_if_fail(store && ret, false);
  g_autofree char *depts = hw_store__scope_text(scope_departments);
  g_autofree char *halls = hw_store__scope_text(scope_halls);
  Stmt s = {.sql = g_string_new("SELECT " CASE_COLS " FROM cases")};
  add_int(&s, " WHERE id = ?%d", id);
  add_scope(&s, "", depts, halls);
  HW_STORE_LOCKED(store);
  sqlite3_stmt *st = prepare(store, &s, error);
  g_string_free(s.sql, TRUE);
  if (st == NULL)
    return false;
  int rc = sqlite3_step(st);
  bool ok = false;
  if (rc == SQLITE_ROW) {
    hw_store__case_from_row(st, ret);
    ok = true;
  } else if (rc == SQLITE_DONE) {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND,
                "case %" G_GINT64_FORMAT ": not found", id);
  } else {
    hw_store__set_error(error, store, "reading a case");
  }
  sqlite3_finalize(st);
  return ok;
}

/* ---- one staff member's events ------------------------------------------------------------------ */

static void staff_stmt(Stmt *s, const HwStaffQuery *q, const char *depts, const char *halls)
{
  g_string_append_printf(
      s->sql,
      "SELECT " STAGE_COLS(
          "e.") ", c.department, c.case_number"
                " FROM stage_events AS e INDEXED BY %s JOIN cases AS c ON c.id = e.case_id"
                " WHERE e.operator_id IS NOT NULL",
      q->department ? "stage_events_by_operator" : "stage_events_by_operator_any");
  if (q->department)
    add_text(s, " AND e.department = ?%d", q->department);
  add_text(s, " AND e.operator_id = ?%d", q->operator_id);
  if (q->has_from)
    add_int(s, " AND e.time_ns >= ?%d", q->from_ns);
  if (q->has_to)
    add_int(s, " AND e.time_ns < ?%d", q->to_ns);
  if (q->has_cursor) {
    add_int(s, q->ascending ? " AND (e.time_ns, e.id) > (?%d" : " AND (e.time_ns, e.id) < (?%d",
            q->cursor_ns);
    add_int(s, ", ?%d)", q->cursor_id);
  }
  add_scope(s, "c.", depts, halls);
  g_string_append(s->sql, q->ascending ? " ORDER BY e.time_ns, e.id"
                                       : " ORDER BY e.time_ns DESC, e.id DESC");
  add_int(s, " LIMIT ?%d", (int64_t)q->limit + 1);
}

static bool staff_ok(const HwStaffQuery *q, GError **error)
{
  if (q->operator_id == NULL || q->limit < 1 || q->limit > HW_CASE_QUERY_LIMIT_MAX) {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID,
                "staff events: an operator id and a limit of 1..%d", HW_CASE_QUERY_LIMIT_MAX);
    return false;
  }
  return true;
}

void hw_store_staff_events_free(HwStoreStaffEvent *events, size_t n)
{
  for (size_t i = 0; events && i < n; i++)
    g_free(events[i].event.opinion);
  g_free(events);
}

bool hw_store_staff_events(HwStore *store, const HwStaffQuery *q, HwStoreStaffEvent **ret,
                           size_t *ret_n, bool *ret_more, GError **error)
{
  g_return_val_if_fail(store && q && ret && ret_n && ret_more, false);
  if (!staff_ok(q, error))
    return false;
  g_autofree char *depts = hw_store__scope_text(q->scope_departments);
  g_autofree char *halls = hw_store__scope_text(q->scope_halls);
  Stmt s = {.sql = g_string_new(NULL)};
  staff_stmt(&s, q, depts, halls);
  GArray *out = g_array_new(FALSE, TRUE, sizeof(HwStoreStaffEvent));
  HW_STORE_LOCKED(store);
  sqlite3_stmt *st = prepare(store, &s, error);
  g_string_free(s.sql, TRUE);
  if (st == NULL) {
    g_array_free(out, TRUE);
    return false;
  }
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    HwStoreStaffEvent e;
    hw_store__stage_from_row(st, &e.event);
    hw_store__copy_text(e.department, sizeof e.department, st, STAGE_N_COLS);
    hw_store__copy_text(e.case_number, sizeof e.case_number, st, STAGE_N_COLS + 1);
    g_array_append_val(out, e);
  }
  sqlite3_finalize(st);
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "reading a staff member's events");
    size_t n = out->len;
    hw_store_staff_events_free((HwStoreStaffEvent *)(void *)g_array_free(out, FALSE), n);
    return false;
  }
  *ret_more = out->len > q->limit;
  if (*ret_more) {
    g_free(g_array_index(out, HwStoreStaffEvent, q->limit).event.opinion);
    g_array_set_size(out, (guint)q->limit);
  }
  *ret_n = out->len;
  *ret = (HwStoreStaffEvent *)(void *)g_array_free(out, FALSE);
  return true;
}

char *hw_store_staff_query_plan(HwStore *store, const HwStaffQuery *q, GError **error)
{
  g_return_val_if_fail(store && q, NULL);
  if (!staff_ok(q, error))
    return NULL;
  g_autofree char *depts = hw_store__scope_text(q->scope_departments);
  g_autofree char *halls = hw_store__scope_text(q->scope_halls);
  GPtrArray *stmts = g_ptr_array_new();
  Stmt *s = g_new0(Stmt, 1);
  s->sql = g_string_new(NULL);
  staff_stmt(s, q, depts, halls);
  g_ptr_array_add(stmts, s);
  char *r = plans(store, stmts, error);
  stmts_free(stmts);
  return r;
}

char *hw_store_case_stages_plan(HwStore *store, GError **error)
{
  g_return_val_if_fail(store, NULL);
  GPtrArray *stmts = g_ptr_array_new();
  Stmt *s = g_new0(Stmt, 1);
  s->sql = g_string_new(hw_store__sql_case_stages);
  s->binds[0] = (Bind){1, NULL, 1};
  s->n = 1;
  g_ptr_array_add(stmts, s);
  char *r = plans(store, stmts, error);
  stmts_free(stmts);
  return r;
}
