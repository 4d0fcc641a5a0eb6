/* Users, scopes, sessions and API tokens in the store (sql/hw_store_auth.h). Shares the handle's
 * connection and lock through hw_store_private.h; every statement is prepared once per handle
 * and every value bound. */
#include "sql/hw_store_auth.h"

#include <sqlite3.h>
#include <string.h>

#include "sql/hw_store_private.h"

#define USER_COLS                                                                                  \
  "id, name, role, password_hash, disabled, failed_logins, locked_until_ns, created_ns,"          \
  " display_name, last_login_ns"
#define SESSION_COLS "token_hash, user_id, csrf_token, created_ns, last_seen_ns"
#define TOKEN_COLS "id, department, name, hash, created, revoked"

static const char SQL_USER_ADD[] =
  "INSERT INTO users (name, role, password_hash, created_ns) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_SCOPE_ADD[] = "INSERT OR IGNORE INTO user_scopes (user_id, kind, code)"
                                    " VALUES (?1, ?2, ?3)";
static const char SQL_USER_GET[] = "SELECT " USER_COLS " FROM users WHERE name = ?1";
static const char SQL_USER_GET_ID[] = "SELECT " USER_COLS " FROM users WHERE id = ?1";
static const char SQL_USERS_ALL[] = "SELECT " USER_COLS " FROM users ORDER BY name";
static const char SQL_SCOPES[] =
  "SELECT code FROM user_scopes WHERE user_id = ?1 AND kind = ?2 ORDER BY code";
static const char SQL_USER_PASSWORD[] = "UPDATE users SET password_hash = ?2, failed_logins = 0,"
                                        " locked_until_ns = 0 WHERE name = ?1";
static const char SQL_USER_UPDATE[] =
  "UPDATE users SET role = coalesce(?2, role), display_name = coalesce(?3, display_name),"
  " disabled = CASE WHEN ?4 < 0 THEN disabled ELSE ?4 END WHERE id = ?1";
static const char SQL_SCOPES_CLEAR[] = "DELETE FROM user_scopes WHERE user_id = ?1";
static const char SQL_SESSIONS_OF_ID[] = "DELETE FROM sessions WHERE user_id = ?1";
static const char SQL_ENABLED_ADMINS[] =
  "SELECT count(*) FROM users WHERE role = 'admin' AND disabled = 0";
static const char SQL_SESSIONS_OF_NAME[] =
  "DELETE FROM sessions WHERE user_id = (SELECT id FROM users WHERE name = ?1)";
/* The count restarts after a lock-out so that the next lock needs another full run of failures. */
static const char SQL_LOGIN_FAILED[] =
  "UPDATE users SET"
  " locked_until_ns = CASE WHEN failed_logins + 1 >= ?3 THEN ?2 + ?4 ELSE locked_until_ns END,"
  " failed_logins = CASE WHEN failed_logins + 1 >= ?3 THEN 0 ELSE failed_logins + 1 END"
  " WHERE id = ?1 RETURNING CASE WHEN locked_until_ns > ?2 THEN locked_until_ns ELSE 0 END";
static const char SQL_LOGIN_OK[] =
  "UPDATE users SET failed_logins = 0, locked_until_ns = 0, last_login_ns = ?2 WHERE id = ?1";
static const char SQL_SESSION_ADD[] = "INSERT INTO sessions (" SESSION_COLS ")"
                                      " VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_SESSION_GET[] = "SELECT " SESSION_COLS " FROM sessions WHERE token_hash = ?1";
static const char SQL_SESSION_TOUCH[] =
  "UPDATE sessions SET last_seen_ns = max(last_seen_ns, ?2) WHERE token_hash = ?1";
static const char SQL_SESSION_DELETE[] = "DELETE FROM sessions WHERE token_hash = ?1";
static const char SQL_SESSIONS_EXPIRE[] =
  "DELETE FROM sessions WHERE last_seen_ns < ?1 OR created_ns < ?2";
static const char SQL_TOKEN_ADD[] =
  "INSERT INTO api_tokens (department, name, hash, created) VALUES (?1, ?2, ?3, ?4)";
static const char SQL_TOKEN_GET[] = "SELECT " TOKEN_COLS " FROM api_tokens WHERE hash = ?1";
static const char SQL_TOKENS_ALL[] = "SELECT " TOKEN_COLS " FROM api_tokens ORDER BY created DESC, id DESC";
static const char SQL_TOKEN_REVOKE[] =
  "UPDATE api_tokens SET revoked = ?2 WHERE id = ?1 AND revoked = 0";


static bool changed_one(HwStore *store, GError **error, const char *what)
{
  if (sqlite3_changes(hw_store__db(store)) > 0)
    return true;
  g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND, "%s: not found", what);
  return false;
}

/* ---- users ----------------------------------------------------------------------------------- */

static void row_to_user(sqlite3_stmt *st, HwStoreUser *u)
{
  memset(u, 0, sizeof *u);
  u->id = sqlite3_column_int64(st, 0);
  hw_store__copy_text(u->name, sizeof u->name, st, 1);
  hw_store__copy_text(u->role, sizeof u->role, st, 2);
  hw_store__copy_text(u->password_hash, sizeof u->password_hash, st, 3);
  u->disabled = sqlite3_column_int(st, 4) != 0;
  u->failed_logins = sqlite3_column_int(st, 5);
  u->locked_until_ns = sqlite3_column_int64(st, 6);
  u->created_ns = sqlite3_column_int64(st, 7);
  hw_store__copy_text(u->display_name, sizeof u->display_name, st, 8);
  u->last_login_ns = sqlite3_column_int64(st, 9);
}

static bool scopes_add(HwStore *store, int64_t id, const HwStoreScope *scopes, size_t n_scopes,
                       GError **error)
{
  for (size_t i = 0; i < n_scopes; i++) {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_SCOPE_ADD, error);
    if (!st)
      return false;
    sqlite3_bind_int64(st, 1, id);
    hw_store__bind_text(st, 2, scopes[i].kind);
    hw_store__bind_text(st, 3, scopes[i].code);
    if (!hw_store__step_write(store, st, error, "adding the user's scope"))
      return false;
  }
  return true;
}

bool hw_store_user_add(HwStore *store, const char *name, const char *role,
                       const char *password_hash, const HwStoreScope *scopes, size_t n_scopes,
                       int64_t *ret_id, GError **error)
{
  g_return_val_if_fail(store && name && role && password_hash, false);
  HW_STORE_LOCKED(store);
  bool own;
  if (!hw_store__op_begin(store, &own, error))
    return false;
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_USER_ADD, error);
    if (!st)
      goto fail;
    hw_store__bind_text(st, 1, name);
    hw_store__bind_text(st, 2, role);
    hw_store__bind_text(st, 3, password_hash);
    sqlite3_bind_int64(st, 4, hw_time_now());
    if (!hw_store__step_write(store, st, error, "adding the user"))
      goto fail;
  }
  int64_t id = sqlite3_last_insert_rowid(hw_store__db(store));
  if (!scopes_add(store, id, scopes, n_scopes, error))
    goto fail;
  if (!hw_store__op_commit(store, own, error))
    return false;
  if (ret_id)
    *ret_id = id;
  return true;

fail:
  hw_store__op_rollback(store, own);
  return false;
}

static bool user_get(HwStore *store, const char *sql, const char *name, int64_t id,
                     HwStoreUser *ret, GError **error)
{
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, sql, error);
  if (!st)
    return false;
  if (name)
    hw_store__bind_text(st, 1, name);
  else
    sqlite3_bind_int64(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    row_to_user(st, ret);
    return true;
  }
  if (rc == SQLITE_DONE)
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND, "no user %s", name ? name : "with this id");
  else
    hw_store__set_error(error, store, "reading a user");
  return false;
}

bool hw_store_user_get(HwStore *store, const char *name, HwStoreUser *ret, GError **error)
{
  g_return_val_if_fail(store && name && ret, false);
  return user_get(store, SQL_USER_GET, name, 0, ret, error);
}

bool hw_store_user_get_by_id(HwStore *store, int64_t id, HwStoreUser *ret, GError **error)
{
  g_return_val_if_fail(store && ret, false);
  return user_get(store, SQL_USER_GET_ID, NULL, id, ret, error);
}

bool hw_store_users_list(HwStore *store, HwStoreUser **ret, size_t *ret_n, GError **error)
{
  g_return_val_if_fail(store && ret && ret_n, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_USERS_ALL, error);
  if (!st)
    return false;
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(HwStoreUser));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    HwStoreUser u;
    row_to_user(st, &u);
    g_array_append_val(out, u);
  }
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "listing users");
    return false;
  }
  *ret_n = out->len;
  *ret = (HwStoreUser *)(void *)g_array_free(g_steal_pointer(&out), FALSE);
  return true;
}

bool hw_store_user_scopes(HwStore *store, int64_t user_id, const char *kind, char ***ret,
                          GError **error)
{
  g_return_val_if_fail(store && kind && ret, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_SCOPES, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, user_id);
  hw_store__bind_text(st, 2, kind);
  g_autoptr(GStrvBuilder) b = g_strv_builder_new();
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW)
    g_strv_builder_add(b, (const char *)sqlite3_column_text(st, 0));
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "reading a user's scopes");
    return false;
  }
  *ret = g_strv_builder_end(b);
  return true;
}

/* Runs a user update, then deletes the user's sessions, in one transaction. */
static bool user_update_end_sessions(HwStore *store, sqlite3_stmt *update, const char *name,
                                     GError **error)
{
  bool own;
  if (!hw_store__op_begin(store, &own, error))
    return false;
  if (!hw_store__step_write(store, update, error, "updating the user") ||
      !changed_one(store, error, name))
    goto fail;
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_SESSIONS_OF_NAME, error);
    if (!st)
      goto fail;
    hw_store__bind_text(st, 1, name);
    if (!hw_store__step_write(store, st, error, "ending the user's sessions"))
      goto fail;
  }
  return hw_store__op_commit(store, own, error);

fail:
  hw_store__op_rollback(store, own);
  return false;
}

bool hw_store_user_set_password(HwStore *store, const char *name, const char *password_hash,
                                GError **error)
{
  g_return_val_if_fail(store && name && password_hash, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_USER_PASSWORD, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, name);
  hw_store__bind_text(st, 2, password_hash);
  return user_update_end_sessions(store, st, name, error);
}

bool hw_store_user_set_disabled(HwStore *store, const char *name, bool disabled, GError **error)
{
  g_return_val_if_fail(store && name, false);
  HW_STORE_LOCKED(store);
  HwStoreUser u;
  if (!hw_store_user_get(store, name, &u, error))
    return false;
  HwStoreUserChange change = {.disabled = disabled ? 1 : 0};
  return hw_store_user_update(store, u.id, &change, NULL, error);
}

static int cmp_str_ptr(const void *a, const void *b)
{
  return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The user's scopes as sorted "kind:code" lines, for telling whether a change changes them. */
static char *scopes_key_stored(HwStore *store, int64_t id, GError **error)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
  const char *kinds[] = {"department", "hall"};
  for (size_t k = 0; k < G_N_ELEMENTS(kinds); k++) {
    g_auto(GStrv) codes = NULL;
    if (!hw_store_user_scopes(store, id, kinds[k], &codes, error))
      return NULL;
    for (size_t i = 0; codes[i]; i++)
      g_ptr_array_add(lines, g_strconcat(kinds[k], ":", codes[i], NULL));
  }
  g_ptr_array_sort(lines, cmp_str_ptr);
  g_ptr_array_add(lines, NULL);
  return g_strjoinv("\n", (char **)lines->pdata);
}

static char *scopes_key_given(const HwStoreScope *scopes, size_t n)
{
  g_autoptr(GPtrArray) lines = g_ptr_array_new_with_free_func(g_free);
  for (size_t i = 0; i < n; i++)
    g_ptr_array_add(lines, g_strconcat(scopes[i].kind, ":", scopes[i].code, NULL));
  g_ptr_array_sort(lines, cmp_str_ptr);
  /* The store keeps a scope once (INSERT OR IGNORE): drop repeats here too. */
  for (guint i = 1; i < lines->len;) {
    if (strcmp(lines->pdata[i - 1], lines->pdata[i]) == 0)
      g_ptr_array_remove_index(lines, i);
    else
      i++;
  }
  g_ptr_array_add(lines, NULL);
  return g_strjoinv("\n", (char **)lines->pdata);
}

static bool exec_id(HwStore *store, const char *sql, int64_t id, GError **error, const char *what)
{
  HW_AUTO_STMT st = hw_store__stmt(store, sql, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, id);
  return hw_store__step_write(store, st, error, what);
}

bool hw_store_users_count_enabled_admins(HwStore *store, int64_t *ret_n, GError **error)
{
  g_return_val_if_fail(store && ret_n, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_ENABLED_ADMINS, error);
  if (!st)
    return false;
  if (sqlite3_step(st) != SQLITE_ROW) {
    hw_store__set_error(error, store, "counting administrators");
    return false;
  }
  *ret_n = sqlite3_column_int64(st, 0);
  return true;
}

bool hw_store_user_update(HwStore *store, int64_t id, const HwStoreUserChange *change,
                          bool *ret_sessions_ended, GError **error)
{
  g_return_val_if_fail(store && change && change->disabled >= -1 && change->disabled <= 1, false);
  HW_STORE_LOCKED(store);
  bool own;
  if (!hw_store__op_begin(store, &own, error))
    return false;
  /* Read inside the transaction, so the last-admin rule below sees what it changes. */
  HwStoreUser old;
  if (!hw_store_user_get_by_id(store, id, &old, error))
    goto fail;
  bool end = (change->role && strcmp(change->role, old.role) != 0) ||
             (change->disabled == 1 && !old.disabled);
  if (change->set_scopes) {
    g_autofree char *before = scopes_key_stored(store, id, error);
    if (!before)
      goto fail;
    g_autofree char *after = scopes_key_given(change->scopes, change->n_scopes);
    end |= strcmp(before, after) != 0;
  }
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_USER_UPDATE, error);
    if (!st)
      goto fail;
    sqlite3_bind_int64(st, 1, id);
    if (change->role)
      hw_store__bind_text(st, 2, change->role);
    if (change->display_name)
      hw_store__bind_text(st, 3, change->display_name);
    sqlite3_bind_int(st, 4, change->disabled);
    if (!hw_store__step_write(store, st, error, "updating the user"))
      goto fail;
  }
  if (change->set_scopes &&
      (!exec_id(store, SQL_SCOPES_CLEAR, id, error, "replacing the user's scopes") ||
       !scopes_add(store, id, change->scopes, change->n_scopes, error)))
    goto fail;
  /* Only a change that takes an enabled admin away can break the rule: a database that has no
   * admin yet (before `hallwatchd user add … --role admin`) still lets other users change. */
  if (strcmp(old.role, "admin") == 0 && !old.disabled) {
    int64_t admins = 0;
    if (!hw_store_users_count_enabled_admins(store, &admins, error))
      goto fail;
    if (admins == 0) {
      g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_CONFLICT,
                  "%s is the last enabled administrator: make another user admin first", old.name);
      goto fail;
    }
  }
  if (end && !exec_id(store, SQL_SESSIONS_OF_ID, id, error, "ending the user's sessions"))
    goto fail;
  if (!hw_store__op_commit(store, own, error))
    return false;
  if (ret_sessions_ended)
    *ret_sessions_ended = end;
  return true;

fail:
  hw_store__op_rollback(store, own);
  return false;
}

bool hw_store_user_login_failed(HwStore *store, int64_t id, hw_time_ns now, int lockout_after,
                                int64_t lockout_for_ns, hw_time_ns *ret_locked_until,
                                GError **error)
{
  g_return_val_if_fail(store && ret_locked_until, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_LOGIN_FAILED, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, now);
  sqlite3_bind_int(st, 3, lockout_after);
  sqlite3_bind_int64(st, 4, lockout_for_ns);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *ret_locked_until = sqlite3_column_int64(st, 0);
    return true;
  }
  if (rc == SQLITE_DONE) {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND, "no user with this id");
    return false;
  }
  hw_store__set_error(error, store, "counting a failed sign-in");
  return false;
}

bool hw_store_user_login_ok(HwStore *store, int64_t id, GError **error)
{
  g_return_val_if_fail(store, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_LOGIN_OK, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, hw_time_now());
  return hw_store__step_write(store, st, error, "clearing failed sign-ins");
}

/* ---- sessions -------------------------------------------------------------------------------- */

bool hw_store_session_add(HwStore *store, const HwStoreSession *s, GError **error)
{
  g_return_val_if_fail(store && s, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_SESSION_ADD, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, s->token_hash);
  sqlite3_bind_int64(st, 2, s->user_id);
  hw_store__bind_text(st, 3, s->csrf_token);
  sqlite3_bind_int64(st, 4, s->created_ns);
  sqlite3_bind_int64(st, 5, s->last_seen_ns);
  return hw_store__step_write(store, st, error, "adding a session");
}

bool hw_store_session_get(HwStore *store, const char *token_hash, HwStoreSession *ret,
                          GError **error)
{
  g_return_val_if_fail(store && token_hash && ret, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_SESSION_GET, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, token_hash);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    memset(ret, 0, sizeof *ret);
    hw_store__copy_text(ret->token_hash, sizeof ret->token_hash, st, 0);
    ret->user_id = sqlite3_column_int64(st, 1);
    hw_store__copy_text(ret->csrf_token, sizeof ret->csrf_token, st, 2);
    ret->created_ns = sqlite3_column_int64(st, 3);
    ret->last_seen_ns = sqlite3_column_int64(st, 4);
    return true;
  }
  if (rc == SQLITE_DONE)
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND, "no such session");
  else
    hw_store__set_error(error, store, "reading a session");
  return false;
}

static bool session_write(HwStore *store, const char *sql, const char *hash, hw_time_ns now,
                          GError **error, const char *what)
{
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, sql, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, hash);
  if (now)
    sqlite3_bind_int64(st, 2, now);
  return hw_store__step_write(store, st, error, what);
}

bool hw_store_session_touch(HwStore *store, const char *token_hash, hw_time_ns now, GError **error)
{
  g_return_val_if_fail(store && token_hash, false);
  return session_write(store, SQL_SESSION_TOUCH, token_hash, now, error, "touching a session");
}

bool hw_store_session_delete(HwStore *store, const char *token_hash, GError **error)
{
  g_return_val_if_fail(store && token_hash, false);
  return session_write(store, SQL_SESSION_DELETE, token_hash, 0, error, "ending a session");
}

bool hw_store_sessions_expire(HwStore *store, hw_time_ns idle_before, hw_time_ns created_before,
                              GError **error)
{
  g_return_val_if_fail(store, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_SESSIONS_EXPIRE, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, idle_before);
  sqlite3_bind_int64(st, 2, created_before);
  return hw_store__step_write(store, st, error, "expiring sessions");
}

/* ---- API tokens ------------------------------------------------------------------------------ */

static void row_to_token(sqlite3_stmt *st, HwStoreToken *t)
{
  memset(t, 0, sizeof *t);
  t->id = sqlite3_column_int64(st, 0);
  hw_store__copy_text(t->department, sizeof t->department, st, 1);
  hw_store__copy_text(t->name, sizeof t->name, st, 2);
  hw_store__copy_text(t->hash, sizeof t->hash, st, 3);
  t->created_ns = sqlite3_column_int64(st, 4);
  t->revoked_ns = sqlite3_column_int64(st, 5);
}

bool hw_store_token_add(HwStore *store, const char *department, const char *name,
                        const char *hash, hw_time_ns now, int64_t *ret_id, GError **error)
{
  g_return_val_if_fail(store && department && name && hash, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_TOKEN_ADD, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, department);
  hw_store__bind_text(st, 2, name);
  hw_store__bind_text(st, 3, hash);
  sqlite3_bind_int64(st, 4, now);
  if (!hw_store__step_write(store, st, error, "adding an API token"))
    return false;
  if (ret_id)
    *ret_id = sqlite3_last_insert_rowid(hw_store__db(store));
  return true;
}

bool hw_store_token_get(HwStore *store, const char *hash, HwStoreToken *ret, GError **error)
{
  g_return_val_if_fail(store && hash && ret, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_TOKEN_GET, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, hash);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    row_to_token(st, ret);
    return true;
  }
  if (rc == SQLITE_DONE)
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND, "no such API token");
  else
    hw_store__set_error(error, store, "reading an API token");
  return false;
}

bool hw_store_tokens_list(HwStore *store, HwStoreToken **ret, size_t *ret_n, GError **error)
{
  g_return_val_if_fail(store && ret && ret_n, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_TOKENS_ALL, error);
  if (!st)
    return false;
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(HwStoreToken));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    HwStoreToken t;
    row_to_token(st, &t);
    g_array_append_val(out, t);
  }
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "listing API tokens");
    return false;
  }
  *ret_n = out->len;
  *ret = (HwStoreToken *)(void *)g_array_free(g_steal_pointer(&out), FALSE);
  return true;
}

bool hw_store_token_revoke(HwStore *store, int64_t id, hw_time_ns now, GError **error)
{
  g_return_val_if_fail(store, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_TOKEN_REVOKE, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, id);
  sqlite3_bind_int64(st, 2, now);
  if (!hw_store__step_write(store, st, error, "revoking an API token"))
    return false;
  return changed_one(store, error, "API token");
}
