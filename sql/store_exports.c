/* Evidence export jobs and the window history named in their manifests (sql/hw_store.h, evidence
 * exports section). A job and its hold are made in one transaction, so footage is never exported
 * without being held, nor held for a job that does not exist. */
#include <sqlite3.h>
#include <string.h>

#include "sql/hw_store.h"
#include "sql/hw_store_private.h"

#define SQL_SPANS                                                                                  \
  "SELECT w.id, w.hall, w.code, w.name, wc.from_ns, coalesce(wc.to_ns, 0) "                        \
  "FROM window_cameras wc JOIN windows w ON w.id = wc.window_id "                                  \
  "WHERE wc.camera = ?1 AND wc.from_ns < ?3 AND (wc.to_ns IS NULL OR wc.to_ns > ?2) "              \
  "ORDER BY wc.from_ns, w.id"

#define EXPORT_COLS                                                                                \
  "e.id, e.camera, e.hall, e.from_ns, e.to_ns, e.case_id, e.stage, e.requested_by, e.role, "       \
  "e.state, e.progress, e.error, e.package, e.size, e.sha256, e.mp4_sha256, e.actual_from_ns, "    \
  "e.actual_to_ns, e.gaps, coalesce(e.hold_id, 0), coalesce(h.released_ns, 0), e.created_ns, "     \
  "e.started_ns, e.finished_ns, coalesce(e.stage_event, 0), e.deleted_ns, e.deleted_by "
#define EXPORT_FROM " FROM exports e LEFT JOIN holds h ON h.id = e.hold_id "
/* ?9 is the caller's hall list as a JSON array, NULL for every hall. */
#define EXPORT_SCOPE " (?9 IS NULL OR e.hall IN (SELECT value FROM json_each(?9))) "

#define SQL_EXPORT_GET "SELECT " EXPORT_COLS EXPORT_FROM "WHERE e.id = ?1 AND" EXPORT_SCOPE
#define SQL_EXPORT_LIST                                                                            \
  "SELECT " EXPORT_COLS EXPORT_FROM "WHERE" EXPORT_SCOPE "ORDER BY e.id DESC LIMIT ?2"
#define SQL_EXPORT_ADD                                                                             \
  "INSERT INTO exports (camera, hall, from_ns, to_ns, case_id, stage, requested_by, role, "        \
  "created_ns, stage_event) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, nullif(?10, 0))"
#define SQL_HOLD_ADD                                                                               \
  "INSERT INTO holds (camera, from_ns, to_ns, reason, until_ns, created_ns) "                      \
  "VALUES (?1, ?2, ?3, ?4, 0, ?5)"
#define SQL_EXPORT_SET_HOLD "UPDATE exports SET hold_id = ?2 WHERE id = ?1"
#define SQL_EXPORT_START                                                                           \
  "UPDATE exports SET state = 'running', started_ns = ?2 WHERE id = ?1 AND state = 'queued'"
#define SQL_EXPORT_PROGRESS "UPDATE exports SET progress = ?2 WHERE id = ?1 AND state = 'running'"
#define SQL_EXPORT_DONE                                                                            \
  "UPDATE exports SET state = 'done', progress = 100, package = ?2, size = ?3, sha256 = ?4, "      \
  "mp4_sha256 = ?5, actual_from_ns = ?6, actual_to_ns = ?7, gaps = ?8, finished_ns = ?9 "          \
  "WHERE id = ?1 AND state = 'running'"
#define SQL_EXPORT_FAIL                                                                            \
  "UPDATE exports SET state = 'failed', error = substr(?2, 1, 500), finished_ns = ?3 "             \
  "WHERE id = ?1 AND state IN ('queued', 'running')"
#define SQL_EXPORT_FAIL_RUNNING                                                                    \
  "UPDATE exports SET state = 'failed', error = substr(?1, 1, 500), finished_ns = ?2 "             \
  "WHERE state = 'running'"
#define SQL_EXPORT_DELETE                                                                          \
  "UPDATE exports SET deleted_ns = ?2, deleted_by = ?3 WHERE id = ?1 AND state = 'done' "          \
  "AND deleted_ns = 0"
#define SQL_EXPORT_QUEUED "SELECT id FROM exports WHERE state = 'queued' ORDER BY id"
#define SQL_EXPORT_UNFINISHED "SELECT count(*) FROM exports WHERE state IN ('queued', 'running')"

static char *halls_json(const char *const *halls)
{
  if (halls == NULL)
    return NULL;
  GString *s = g_string_new("[");
  for (size_t i = 0; halls[i]; i++) {
    g_autofree char *esc = g_strescape(halls[i], NULL);
    g_string_append_printf(s, "%s\"%s\"", i ? "," : "", esc);
  }
  g_string_append_c(s, ']');
  return g_string_free(s, FALSE);
}

bool hw_store_camera_window_spans(HwStore *store, const char *camera, hw_time_ns from,
                                  hw_time_ns to, HwStoreWindowSpan **ret, size_t *ret_n,
                                  GError **error)
{
  g_return_val_if_fail(store && camera && ret && ret_n, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_SPANS, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, camera);
  sqlite3_bind_int64(st, 2, from);
  sqlite3_bind_int64(st, 3, to);
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(HwStoreWindowSpan));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    HwStoreWindowSpan w = {.window_id = sqlite3_column_int64(st, 0)};
    hw_store__copy_text(w.hall, sizeof w.hall, st, 1);
    hw_store__copy_text(w.code, sizeof w.code, st, 2);
    hw_store__copy_text(w.name, sizeof w.name, st, 3);
    w.from_ns = sqlite3_column_int64(st, 4);
    w.to_ns = sqlite3_column_int64(st, 5);
    g_array_append_val(out, w);
  }
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "reading the camera's windows");
    return false;
  }
  *ret_n = out->len;
  *ret = (HwStoreWindowSpan *)g_array_free(g_steal_pointer(&out), FALSE);
  return true;
}

static void export_row(sqlite3_stmt *st, HwStoreExport *e)
{
  memset(e, 0, sizeof *e);
  e->id = sqlite3_column_int64(st, 0);
  hw_store__copy_text(e->camera, sizeof e->camera, st, 1);
  hw_store__copy_text(e->hall, sizeof e->hall, st, 2);
  e->from_ns = sqlite3_column_int64(st, 3);
  e->to_ns = sqlite3_column_int64(st, 4);
  hw_store__copy_text(e->case_id, sizeof e->case_id, st, 5);
  hw_store__copy_text(e->stage, sizeof e->stage, st, 6);
  hw_store__copy_text(e->requested_by, sizeof e->requested_by, st, 7);
  hw_store__copy_text(e->role, sizeof e->role, st, 8);
  hw_store__copy_text(e->state, sizeof e->state, st, 9);
  e->progress = sqlite3_column_int(st, 10);
  hw_store__copy_text(e->error, sizeof e->error, st, 11);
  hw_store__copy_text(e->package, sizeof e->package, st, 12);
  e->size = sqlite3_column_int64(st, 13);
  hw_store__copy_text(e->sha256, sizeof e->sha256, st, 14);
  hw_store__copy_text(e->mp4_sha256, sizeof e->mp4_sha256, st, 15);
  e->actual_from_ns = sqlite3_column_int64(st, 16);
  e->actual_to_ns = sqlite3_column_int64(st, 17);
  e->gaps = sqlite3_column_int64(st, 18);
  e->hold_id = sqlite3_column_int64(st, 19);
  e->hold_released_ns = sqlite3_column_int64(st, 20);
  e->created_ns = sqlite3_column_int64(st, 21);
  e->started_ns = sqlite3_column_int64(st, 22);
  e->finished_ns = sqlite3_column_int64(st, 23);
  e->stage_event = sqlite3_column_int64(st, 24);
  e->deleted_ns = sqlite3_column_int64(st, 25);
  hw_store__copy_text(e->deleted_by, sizeof e->deleted_by, st, 26);
}

bool hw_store_export_add(HwStore *store, const HwStoreExport *e, int64_t *ret_id, GError **error)
{
  g_return_val_if_fail(store && e && ret_id, false);
  HW_STORE_LOCKED(store);
  bool own = false;
  if (!hw_store__op_begin(store, &own, error))
    return false;
  hw_time_ns now = hw_time_now();
  int64_t id = 0, hold = 0;
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_EXPORT_ADD, error);
    if (!st)
      goto fail;
    hw_store__bind_text(st, 1, e->camera);
    hw_store__bind_text(st, 2, e->hall);
    sqlite3_bind_int64(st, 3, e->from_ns);
    sqlite3_bind_int64(st, 4, e->to_ns);
    hw_store__bind_text(st, 5, e->case_id);
    hw_store__bind_text(st, 6, e->stage);
    hw_store__bind_text(st, 7, e->requested_by);
    hw_store__bind_text(st, 8, e->role);
    sqlite3_bind_int64(st, 9, now);
    sqlite3_bind_int64(st, 10, e->stage_event);
    if (!hw_store__step_write(store, st, error, "adding an export"))
      goto fail;
    id = sqlite3_last_insert_rowid(hw_store__db(store));
  }
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_HOLD_ADD, error);
    if (!st)
      goto fail;
    g_autofree char *reason = g_strdup_printf("export %" G_GINT64_FORMAT, id);
    hw_store__bind_text(st, 1, e->camera);
    sqlite3_bind_int64(st, 2, e->from_ns);
    sqlite3_bind_int64(st, 3, e->to_ns);
    hw_store__bind_text(st, 4, reason);
    sqlite3_bind_int64(st, 5, now);
    if (!hw_store__step_write(store, st, error, "holding the exported footage"))
      goto fail;
    hold = sqlite3_last_insert_rowid(hw_store__db(store));
  }
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_EXPORT_SET_HOLD, error);
    if (!st)
      goto fail;
    sqlite3_bind_int64(st, 1, id);
    sqlite3_bind_int64(st, 2, hold);
    if (!hw_store__step_write(store, st, error, "linking the export to its hold"))
      goto fail;
  }
  if (!hw_store__op_commit(store, own, error))
    return false;
  *ret_id = id;
  return true;

fail:
  hw_store__op_rollback(store, own);
  return false;
}

bool hw_store_export_get(HwStore *store, int64_t id, const char *const *halls, HwStoreExport *ret,
                         GError **error)
{
  g_return_val_if_fail(store && ret, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_EXPORT_GET, error);
  if (!st)
    return false;
  g_autofree char *hj = halls_json(halls);
  sqlite3_bind_int64(st, 1, id);
  if (hj)
    hw_store__bind_text(st, 9, hj);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    export_row(st, ret);
    return true;
  }
  if (rc == SQLITE_DONE)
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND, "no export %" G_GINT64_FORMAT, id);
  else
    hw_store__set_error(error, store, "reading an export");
  return false;
}

bool hw_store_exports_list(HwStore *store, const char *const *halls, size_t max,
                           HwStoreExport **ret, size_t *ret_n, GError **error)
{
  g_return_val_if_fail(store && ret && ret_n, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_EXPORT_LIST, error);
  if (!st)
    return false;
  g_autofree char *hj = halls_json(halls);
  sqlite3_bind_int64(st, 2, max > INT64_MAX ? INT64_MAX : (int64_t)max);
  if (hj)
    hw_store__bind_text(st, 9, hj);
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(HwStoreExport));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    g_array_set_size(out, out->len + 1);
    export_row(st, &g_array_index(out, HwStoreExport, out->len - 1));
  }
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "listing exports");
    return false;
  }
  *ret_n = out->len;
  *ret = (HwStoreExport *)g_array_free(g_steal_pointer(&out), FALSE);
  return true;
}

/* Runs an UPDATE of one job; NOT_FOUND if it changed nothing. */
static bool update_one(HwStore *store, sqlite3_stmt *st, int64_t id, GError **error,
                       const char *what)
{
  if (!hw_store__step_write(store, st, error, what))
    return false;
  if (sqlite3_changes(hw_store__db(store)) == 0) {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND,
                "%s: export %" G_GINT64_FORMAT " is not in a state that allows it", what, id);
    return false;
  }
  return true;
}

bool hw_store_export_start(HwStore *store, int64_t id, GError **error)
{
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_EXPORT_START, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, hw_time_now());
  return update_one(store, st, id, error, "starting an export");
}

bool hw_store_export_progress(HwStore *store, int64_t id, int progress, GError **error)
{
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_EXPORT_PROGRESS, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int(st, 2, CLAMP(progress, 0, 100));
  return update_one(store, st, id, error, "recording an export's progress");
}

bool hw_store_export_done(HwStore *store, const HwStoreExport *e, GError **error)
{
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_EXPORT_DONE, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, e->id);
  hw_store__bind_text(st, 2, e->package);
  sqlite3_bind_int64(st, 3, e->size);
  hw_store__bind_text(st, 4, e->sha256);
  hw_store__bind_text(st, 5, e->mp4_sha256);
  sqlite3_bind_int64(st, 6, e->actual_from_ns);
  sqlite3_bind_int64(st, 7, e->actual_to_ns);
  sqlite3_bind_int64(st, 8, e->gaps);
  sqlite3_bind_int64(st, 9, hw_time_now());
  return update_one(store, st, e->id, error, "finishing an export");
}

bool hw_store_export_delete(HwStore *store, int64_t id, const char *by, GError **error)
{
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_EXPORT_DELETE, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, hw_time_now());
  hw_store__bind_text(st, 3, by);
  return update_one(store, st, id, error, "deleting an export's package");
}

bool hw_store_export_fail(HwStore *store, int64_t id, const char *reason, GError **error)
{
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_EXPORT_FAIL, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, id);
  hw_store__bind_text(st, 2, reason ? reason : "");
  sqlite3_bind_int64(st, 3, hw_time_now());
  return update_one(store, st, id, error, "failing an export");
}

bool hw_store_exports_recover(HwStore *store, const char *reason, int64_t **ret, size_t *ret_n,
                              GError **error)
{
  g_return_val_if_fail(store && ret && ret_n, false);
  HW_STORE_LOCKED(store);
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_EXPORT_FAIL_RUNNING, error);
    if (!st)
      return false;
    hw_store__bind_text(st, 1, reason);
    sqlite3_bind_int64(st, 2, hw_time_now());
    if (!hw_store__step_write(store, st, error, "failing interrupted exports"))
      return false;
  }
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_EXPORT_QUEUED, error);
  if (!st)
    return false;
  g_autoptr(GArray) out = g_array_new(FALSE, FALSE, sizeof(int64_t));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    int64_t id = sqlite3_column_int64(st, 0);
    g_array_append_val(out, id);
  }
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "listing queued exports");
    return false;
  }
  *ret_n = out->len;
  *ret = (int64_t *)g_array_free(g_steal_pointer(&out), FALSE);
  return true;
}

bool hw_store_exports_unfinished(HwStore *store, int64_t *ret, GError **error)
{
  g_return_val_if_fail(store && ret, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_EXPORT_UNFINISHED, error);
  if (!st)
    return false;
  if (sqlite3_step(st) != SQLITE_ROW) {
    hw_store__set_error(error, store, "counting unfinished exports");
    return false;
  }
  *ret = sqlite3_column_int64(st, 0);
  return true;
}
