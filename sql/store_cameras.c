/* Camera management in the store (camera section of sql/hw_store.h): API cameras' settings, halls,
 * windows and the window→camera intervals. Shares the handle's connection and lock through
 * hw_store_private.h; statements prepared once per handle, every value bound. */
#include "sql/hw_store.h"

#include <sqlite3.h>
#include <string.h>

#include "sql/hw_store_private.h"

#define CAMERA_COLS                                                                                \
  "id, name, url, coalesce(substream_url, ''), transport, clock, enabled, retain_days,"            \
  " retain_bytes, coalesce(hall, ''), credentials IS NOT NULL, created_ns, updated_ns"
#define WINDOW_COLS "id, hall, code, name, departments"
/* A scope is bound as "\n<code>\n<code>\n" (codes hold no newline), NULL for "every hall": one
 * statement prepared once serves any number of codes. A row outside every hall is out of scope. */
#define IN_SCOPE(col) "(?9 IS NULL OR instr(?9, char(10) || " col " || char(10)) > 0)"

static const char SQL_CAMERA_MARK[] =
  "INSERT INTO cameras (id, source, created_ns) VALUES (?1, 'api', ?2)"
  " ON CONFLICT (id) DO UPDATE SET source = 'api' WHERE source <> 'api'";
static const char SQL_CAMERA_ADD[] =
  "INSERT INTO camera_settings (id, name, url, substream_url, credentials, transport, clock,"
  " enabled, retain_days, retain_bytes, hall, created_ns, updated_ns)"
  " VALUES (?1, ?2, ?3, nullif(?4, ''), ?5, ?6, ?7, ?8, ?10, ?11, nullif(?12, ''), ?13, ?13)";
static const char SQL_CAMERA_UPDATE[] =
  "UPDATE camera_settings SET name = ?2, url = ?3, substream_url = nullif(?4, ''),"
  " credentials = CASE WHEN ?14 THEN ?5 ELSE credentials END, transport = ?6, clock = ?7,"
  " enabled = ?8, retain_days = ?10, retain_bytes = ?11, hall = nullif(?12, ''), updated_ns = ?13"
  " WHERE id = ?1";
static const char SQL_CAMERA_DELETE[] = "DELETE FROM camera_settings WHERE id = ?1";
static const char SQL_CAMERA_UNMAP[] =
  "UPDATE window_cameras SET to_ns = max(?2, from_ns) WHERE camera = ?1 AND to_ns IS NULL";
static const char SQL_CAMERA_GET[] =
  "SELECT " CAMERA_COLS " FROM camera_settings WHERE id = ?1 AND " IN_SCOPE("hall");
static const char SQL_CAMERAS_LIST[] =
  "SELECT " CAMERA_COLS " FROM camera_settings WHERE " IN_SCOPE("hall") " ORDER BY id";
static const char SQL_CAMERA_CREDENTIALS[] =
  "SELECT credentials FROM camera_settings WHERE id = ?1";
static const char SQL_HALL_ADD[] =
  "INSERT INTO halls (code, name, created_ns) VALUES (?1, ?2, ?3)";
static const char SQL_HALLS_LIST[] =
  "SELECT code, name FROM halls WHERE " IN_SCOPE("code") " ORDER BY code";
static const char SQL_WINDOW_ADD[] =
  "INSERT INTO windows (hall, code, name, departments, created_ns) VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_WINDOW_UPDATE[] =
  "UPDATE windows SET code = ?2, name = ?3, departments = ?4 WHERE id = ?1";
static const char SQL_WINDOW_GET[] =
  "SELECT " WINDOW_COLS " FROM windows WHERE id = ?1 AND " IN_SCOPE("hall");
static const char SQL_WINDOWS_LIST[] =
  "SELECT " WINDOW_COLS " FROM windows WHERE " IN_SCOPE("hall") " ORDER BY hall, code";
static const char SQL_WINDOW_OPEN_FROM[] =
  "SELECT coalesce(max(from_ns), 0) FROM window_cameras WHERE window_id = ?1 AND to_ns IS NULL";
static const char SQL_WINDOW_OPEN_CAMERAS[] =
  "SELECT camera FROM window_cameras WHERE window_id = ?1 AND to_ns IS NULL";
static const char SQL_WINDOW_CLOSE[] =
  "UPDATE window_cameras SET to_ns = ?3 WHERE window_id = ?1 AND camera = ?2 AND to_ns IS NULL";
static const char SQL_WINDOW_OPEN[] =
  "INSERT INTO window_cameras (window_id, camera, from_ns) VALUES (?1, ?2, ?3)";
static const char SQL_CAMERAS_AT[] =
  "SELECT DISTINCT camera FROM window_cameras WHERE window_id = ?1 AND from_ns <= ?2"
  " AND (to_ns IS NULL OR to_ns > ?2) ORDER BY camera";
static const char SQL_CAMERA_WINDOWS[] =
  "SELECT w.id, w.hall, w.code, w.name, w.departments FROM window_cameras m"
  " JOIN windows w ON w.id = m.window_id WHERE m.camera = ?1 AND m.to_ns IS NULL"
  " ORDER BY w.hall, w.code";


static bool not_found(GError **error, const char *what)
{
  g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND, "%s: not found", what);
  return false;
}

/* The scope as bound text ("\n<a>\n<b>\n"), NULL for every hall (g_free). */
static char *scope_text(const char *const *halls)
{
  if (halls == NULL)
    return NULL;
  GString *s = g_string_new("\n");
  for (size_t i = 0; halls[i]; i++)
    if (strchr(halls[i], '\n') == NULL)
      g_string_append_printf(s, "%s\n", halls[i]);
  return g_string_free(s, FALSE);
}

static void bind_scope(sqlite3_stmt *st, const char *scope)
{
  if (scope)
    hw_store__bind_text(st, 9, scope);
  else
    sqlite3_bind_null(st, 9);
}

/* ---- cameras --------------------------------------------------------------------------------- */

static void bind_camera(sqlite3_stmt *st, const HwStoreCamera *c, GBytes *credentials,
                        hw_time_ns now)
{
  hw_store__bind_text(st, 1, c->id);
  hw_store__bind_text(st, 2, c->name);
  hw_store__bind_text(st, 3, c->url);
  hw_store__bind_text(st, 4, c->substream_url);
  if (credentials != NULL) {
    gsize len;
    const void *p = g_bytes_get_data(credentials, &len);
    sqlite3_bind_blob(st, 5, p, (int)len, SQLITE_STATIC);
  } else {
    sqlite3_bind_null(st, 5);
  }
  hw_store__bind_text(st, 6, c->transport);
  hw_store__bind_text(st, 7, c->clock);
  sqlite3_bind_int(st, 8, c->enabled ? 1 : 0);
  sqlite3_bind_int64(st, 10, c->retain_days);
  sqlite3_bind_int64(st, 11, c->retain_bytes);
  hw_store__bind_text(st, 12, c->hall);
  sqlite3_bind_int64(st, 13, now);
}

static void row_to_camera(sqlite3_stmt *st, HwStoreCamera *c)
{
  memset(c, 0, sizeof *c);
  hw_store__copy_text(c->id, sizeof c->id, st, 0);
  hw_store__copy_text(c->name, sizeof c->name, st, 1);
  hw_store__copy_text(c->url, sizeof c->url, st, 2);
  hw_store__copy_text(c->substream_url, sizeof c->substream_url, st, 3);
  hw_store__copy_text(c->transport, sizeof c->transport, st, 4);
  hw_store__copy_text(c->clock, sizeof c->clock, st, 5);
  c->enabled = sqlite3_column_int(st, 6) != 0;
  c->retain_days = sqlite3_column_int64(st, 7);
  c->retain_bytes = sqlite3_column_int64(st, 8);
  hw_store__copy_text(c->hall, sizeof c->hall, st, 9);
  c->has_credentials = sqlite3_column_int(st, 10) != 0;
  c->created_ns = sqlite3_column_int64(st, 11);
  c->updated_ns = sqlite3_column_int64(st, 12);
}

bool hw_store_camera_add(HwStore *store, const HwStoreCamera *cam, GBytes *credentials,
                         GError **error)
{
  g_return_val_if_fail(store && cam, false);
  HW_STORE_LOCKED(store);
  hw_time_ns now = hw_time_now();
  bool own;
  if (!hw_store__op_begin(store, &own, error))
    return false;
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_CAMERA_MARK, error);
    if (!st)
      goto fail;
    hw_store__bind_text(st, 1, cam->id);
    sqlite3_bind_int64(st, 2, now);
    if (!hw_store__step_write(store, st, error, "recording the camera id"))
      goto fail;
  }
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_CAMERA_ADD, error);
    if (!st)
      goto fail;
    bind_camera(st, cam, credentials, now);
    if (!hw_store__step_write(store, st, error, "adding the camera"))
      goto fail;
  }
  return hw_store__op_commit(store, own, error);

fail:
  hw_store__op_rollback(store, own);
  return false;
}

bool hw_store_camera_update(HwStore *store, const HwStoreCamera *cam, bool set_credentials,
                            GBytes *credentials, GError **error)
{
  g_return_val_if_fail(store && cam, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_CAMERA_UPDATE, error);
  if (!st)
    return false;
  bind_camera(st, cam, credentials, hw_time_now());
  sqlite3_bind_int(st, 14, set_credentials ? 1 : 0);
  if (!hw_store__step_write(store, st, error, "changing the camera"))
    return false;
  if (sqlite3_changes(hw_store__db(store)) == 0)
    return not_found(error, "changing the camera");
  return true;
}

bool hw_store_camera_delete(HwStore *store, const char *id, hw_time_ns now, GError **error)
{
  g_return_val_if_fail(store && id, false);
  HW_STORE_LOCKED(store);
  bool own;
  if (!hw_store__op_begin(store, &own, error))
    return false;
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_CAMERA_DELETE, error);
    if (!st)
      goto fail;
    hw_store__bind_text(st, 1, id);
    if (!hw_store__step_write(store, st, error, "deleting the camera"))
      goto fail;
    if (sqlite3_changes(hw_store__db(store)) == 0) {
      not_found(error, "deleting the camera");
      goto fail;
    }
  }
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_CAMERA_UNMAP, error);
    if (!st)
      goto fail;
    hw_store__bind_text(st, 1, id);
    sqlite3_bind_int64(st, 2, now);
    if (!hw_store__step_write(store, st, error, "closing the camera's window intervals"))
      goto fail;
  }
  return hw_store__op_commit(store, own, error);

fail:
  hw_store__op_rollback(store, own);
  return false;
}

bool hw_store_camera_get(HwStore *store, const char *id, const char *const *halls,
                         HwStoreCamera *ret, GError **error)
{
  g_return_val_if_fail(store && id && ret, false);
  g_autofree char *scope = scope_text(halls);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_CAMERA_GET, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, id);
  bind_scope(st, scope);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    row_to_camera(st, ret);
    return true;
  }
  if (rc == SQLITE_DONE)
    return not_found(error, "camera");
  hw_store__set_error(error, store, "reading the camera");
  return false;
}

bool hw_store_cameras_list(HwStore *store, const char *const *halls, HwStoreCamera **ret,
                           size_t *ret_n, GError **error)
{
  g_return_val_if_fail(store && ret && ret_n, false);
  g_autofree char *scope = scope_text(halls);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_CAMERAS_LIST, error);
  if (!st)
    return false;
  bind_scope(st, scope);
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(HwStoreCamera));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    HwStoreCamera c;
    row_to_camera(st, &c);
    g_array_append_val(out, c);
  }
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "listing cameras");
    return false;
  }
  *ret_n = out->len;
  /* *ret_n, not out->len: the order arguments are evaluated in is unspecified. */
  *ret = (HwStoreCamera *)(void *)g_array_free(g_steal_pointer(&out), *ret_n == 0);
  return true;
}

bool hw_store_camera_credentials(HwStore *store, const char *id, GBytes **ret, GError **error)
{
  g_return_val_if_fail(store && id && ret, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_CAMERA_CREDENTIALS, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE)
    return not_found(error, "camera");
  if (rc != SQLITE_ROW) {
    hw_store__set_error(error, store, "reading the camera's credentials");
    return false;
  }
  const void *p = sqlite3_column_blob(st, 0);
  int len = sqlite3_column_bytes(st, 0);
  *ret = p != NULL ? g_bytes_new(p, (gsize)len) : NULL;
  return true;
}

/* ---- halls and windows ----------------------------------------------------------------------- */

bool hw_store_hall_add(HwStore *store, const HwStoreHall *hall, GError **error)
{
  g_return_val_if_fail(store && hall, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_HALL_ADD, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, hall->code);
  hw_store__bind_text(st, 2, hall->name);
  sqlite3_bind_int64(st, 3, hw_time_now());
  return hw_store__step_write(store, st, error, "adding the hall");
}

bool hw_store_halls_list(HwStore *store, const char *const *halls, HwStoreHall **ret,
                         size_t *ret_n, GError **error)
{
  g_return_val_if_fail(store && ret && ret_n, false);
  g_autofree char *scope = scope_text(halls);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_HALLS_LIST, error);
  if (!st)
    return false;
  bind_scope(st, scope);
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(HwStoreHall));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    HwStoreHall h;
    hw_store__copy_text(h.code, sizeof h.code, st, 0);
    hw_store__copy_text(h.name, sizeof h.name, st, 1);
    g_array_append_val(out, h);
  }
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "listing halls");
    return false;
  }
  *ret_n = out->len;
  /* *ret_n, not out->len: the order arguments are evaluated in is unspecified. */
  *ret = (HwStoreHall *)(void *)g_array_free(g_steal_pointer(&out), *ret_n == 0);
  return true;
}

static void row_to_window(sqlite3_stmt *st, HwStoreWindow *w)
{
  memset(w, 0, sizeof *w);
  w->id = sqlite3_column_int64(st, 0);
  hw_store__copy_text(w->hall, sizeof w->hall, st, 1);
  hw_store__copy_text(w->code, sizeof w->code, st, 2);
  hw_store__copy_text(w->name, sizeof w->name, st, 3);
  hw_store__copy_text(w->departments, sizeof w->departments, st, 4);
}

bool hw_store_window_add(HwStore *store, const HwStoreWindow *w, int64_t *ret_id, GError **error)
{
  g_return_val_if_fail(store && w, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_WINDOW_ADD, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, w->hall);
  hw_store__bind_text(st, 2, w->code);
  hw_store__bind_text(st, 3, w->name);
  hw_store__bind_text(st, 4, w->departments[0] ? w->departments : "[]");
  sqlite3_bind_int64(st, 5, hw_time_now());
  if (!hw_store__step_write(store, st, error, "adding the window"))
    return false;
  if (ret_id)
    *ret_id = sqlite3_last_insert_rowid(hw_store__db(store));
  return true;
}

bool hw_store_window_update(HwStore *store, const HwStoreWindow *w, GError **error)
{
  g_return_val_if_fail(store && w, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_WINDOW_UPDATE, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, w->id);
  hw_store__bind_text(st, 2, w->code);
  hw_store__bind_text(st, 3, w->name);
  hw_store__bind_text(st, 4, w->departments[0] ? w->departments : "[]");
  if (!hw_store__step_write(store, st, error, "changing the window"))
    return false;
  if (sqlite3_changes(hw_store__db(store)) == 0)
    return not_found(error, "changing the window");
  return true;
}

bool hw_store_window_get(HwStore *store, int64_t id, const char *const *halls, HwStoreWindow *ret,
                         GError **error)
{
  g_return_val_if_fail(store && ret, false);
  g_autofree char *scope = scope_text(halls);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_WINDOW_GET, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, id);
  bind_scope(st, scope);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    row_to_window(st, ret);
    return true;
  }
  if (rc == SQLITE_DONE)
    return not_found(error, "window");
  hw_store__set_error(error, store, "reading the window");
  return false;
}

static bool windows_query(HwStore *store, sqlite3_stmt *st, HwStoreWindow **ret, size_t *ret_n,
                          GError **error)
{
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(HwStoreWindow));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    HwStoreWindow w;
    row_to_window(st, &w);
    g_array_append_val(out, w);
  }
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "listing windows");
    return false;
  }
  *ret_n = out->len;
  /* *ret_n, not out->len: the order arguments are evaluated in is unspecified. */
  *ret = (HwStoreWindow *)(void *)g_array_free(g_steal_pointer(&out), *ret_n == 0);
  return true;
}

bool hw_store_windows_list(HwStore *store, const char *const *halls, HwStoreWindow **ret,
                           size_t *ret_n, GError **error)
{
  g_return_val_if_fail(store && ret && ret_n, false);
  g_autofree char *scope = scope_text(halls);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_WINDOWS_LIST, error);
  if (!st)
    return false;
  bind_scope(st, scope);
  return windows_query(store, st, ret, ret_n, error);
}

bool hw_store_camera_windows(HwStore *store, const char *camera, HwStoreWindow **ret,
                             size_t *ret_n, GError **error)
{
  g_return_val_if_fail(store && camera && ret && ret_n, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_CAMERA_WINDOWS, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, camera);
  return windows_query(store, st, ret, ret_n, error);
}

/* ---- the window→camera intervals ------------------------------------------------------------- */

static bool listed(const char *const *cameras, size_t n, const char *id)
{
  for (size_t i = 0; i < n; i++)
    if (strcmp(cameras[i], id) == 0)
      return true;
  return false;
}

bool hw_store_window_set_cameras(HwStore *store, int64_t window_id, const char *const *cameras,
                                 size_t n, hw_time_ns from, GError **error)
{
  g_return_val_if_fail(store && (cameras || n == 0), false);
  HW_STORE_LOCKED(store);
  g_autoptr(GPtrArray) open = g_ptr_array_new_with_free_func(g_free);
  bool own;
  if (!hw_store__op_begin(store, &own, error))
    return false;
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_WINDOW_OPEN_CAMERAS, error);
    if (!st)
      goto fail;
    sqlite3_bind_int64(st, 1, window_id);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW)
      g_ptr_array_add(open, g_strdup((const char *)sqlite3_column_text(st, 0)));
    if (rc != SQLITE_DONE) {
      hw_store__set_error(error, store, "reading the window's cameras");
      goto fail;
    }
  }
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_WINDOW_OPEN_FROM, error);
    if (!st)
      goto fail;
    sqlite3_bind_int64(st, 1, window_id);
    if (sqlite3_step(st) != SQLITE_ROW) {
      hw_store__set_error(error, store, "reading the window's cameras");
      goto fail;
    }
    hw_time_ns latest = sqlite3_column_int64(st, 0);
    if (open->len > 0 && from < latest) {
      g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID,
                  "the change must not precede the start of the current mapping");
      goto fail;
    }
  }
  for (guint i = 0; i < open->len; i++) {
    const char *cam = g_ptr_array_index(open, i);
    if (listed(cameras, n, cam))
      continue;
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_WINDOW_CLOSE, error);
    if (!st)
      goto fail;
    sqlite3_bind_int64(st, 1, window_id);
    hw_store__bind_text(st, 2, cam);
    sqlite3_bind_int64(st, 3, from);
    if (!hw_store__step_write(store, st, error, "closing a window interval"))
      goto fail;
  }
  for (size_t i = 0; i < n; i++) {
    if (listed((const char *const *)open->pdata, open->len, cameras[i]) ||
        listed(cameras, i, cameras[i]))
      continue;
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_WINDOW_OPEN, error);
    if (!st)
      goto fail;
    sqlite3_bind_int64(st, 1, window_id);
    hw_store__bind_text(st, 2, cameras[i]);
    sqlite3_bind_int64(st, 3, from);
    if (!hw_store__step_write(store, st, error, "opening a window interval"))
      goto fail;
  }
  return hw_store__op_commit(store, own, error);

fail:
  hw_store__op_rollback(store, own);
  return false;
}

bool hw_store_cameras_for_window_at(HwStore *store, int64_t window_id, hw_time_ns t, char ***ret,
                                    GError **error)
{
  g_return_val_if_fail(store && ret, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_CAMERAS_AT, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, window_id);
  sqlite3_bind_int64(st, 2, t);
  g_autoptr(GPtrArray) out = g_ptr_array_new_with_free_func(g_free);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_ptr_array_add(out, g_strdup((const char *)sqlite3_column_text(st, 0)));
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "reading the window's cameras");
    return false;
  }
  g_ptr_array_add(out, NULL);
  g_ptr_array_set_free_func(out, NULL);
  *ret = (char **)g_ptr_array_free(g_steal_pointer(&out), FALSE);
  return true;
}
