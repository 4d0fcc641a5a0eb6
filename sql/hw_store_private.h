/* Internals of the store shared only with the generated migration table and with the store's
 * own tests: the embedded migrations and an open that takes another migration list (so tests
 * can exercise a failing or a newer migration). Not for other modules. */
#pragma once

#include <sqlite3.h>
#include <stddef.h>

#include "sql/hw_store.h"

typedef struct {
  const char *name; /* "0001_init.sql" */
  const char *sql;  /* the whole file, NUL-terminated */
} HwStoreMigration;

/* Generated from sql/migrations/NNNN_name.sql by sql/embed_migrations.cmake; version i+1 is entry
 * i. */
extern const HwStoreMigration hw_store_migrations[];
extern const size_t hw_store_n_migrations;

/* hw_store_open with the given migrations instead of the embedded ones (tests only). */
HwStore *hw_store_open_with_migrations(const char *path, const HwStoreMigration *migrations,
                                       size_t n_migrations, GError **error);

/* For the other C files of sql/ (e.g. hw_store_auth.c), which share the handle's connection and
 * lock. hw_store__stmt prepares sql once per handle (cached by the pointer: pass a static
 * string) and returns it, borrowed; call it with the lock held and reset the statement after
 * use. op_begin/commit/rollback: a write of several statements, atomic on its own (its own
 * transaction, or a savepoint inside the caller's). */
sqlite3 *hw_store__db(HwStore *store);
GRecMutex *hw_store__lock(HwStore *store);
sqlite3_stmt *hw_store__stmt(HwStore *store, const char *sql, GError **error);
bool hw_store__op_begin(HwStore *store, bool *ret_own, GError **error);
bool hw_store__op_commit(HwStore *store, bool own, GError **error);
void hw_store__op_rollback(HwStore *store, bool own);

/* ---- helpers for the store's files (statements, errors, text) ------------------------------- */

/* Statements are reset and their bindings dropped when the variable goes out of scope. */
static inline void hw_store__stmt_cleanup(sqlite3_stmt **st)
{
  if (*st != NULL) {
    sqlite3_reset(*st);
    sqlite3_clear_bindings(*st);
  }
}
#define HW_AUTO_STMT __attribute__((cleanup(hw_store__stmt_cleanup))) sqlite3_stmt *
#define HW_STORE_LOCKED(store)                                                                     \
  g_autoptr(GRecMutexLocker) locker = g_rec_mutex_locker_new(hw_store__lock(store))

/* Sets error from the connection's last failure: EXISTS for a unique key, INVALID for another
 * constraint, SQL otherwise; the message starts with what was being done. */
static inline void hw_store__set_error(GError **error, HwStore *store, const char *what)
{
  sqlite3 *db = hw_store__db(store);
  int ext = sqlite3_extended_errcode(db);
  int code = ext == SQLITE_CONSTRAINT_UNIQUE || ext == SQLITE_CONSTRAINT_PRIMARYKEY
               ? HW_STORE_ERROR_EXISTS
             : (ext & 0xff) == SQLITE_CONSTRAINT ? HW_STORE_ERROR_INVALID
                                                 : HW_STORE_ERROR_SQL;
  g_set_error(error, HW_STORE_ERROR, code, "%s: %s", what, sqlite3_errmsg(db));
}

static inline void hw_store__copy_text(char *dst, size_t len, sqlite3_stmt *st, int col)
{
  const unsigned char *s = sqlite3_column_text(st, col);
  g_strlcpy(dst, s != NULL ? (const char *)s : "", len);
}

static inline void hw_store__bind_text(sqlite3_stmt *st, int i, const char *s)
{
  sqlite3_bind_text(st, i, s, -1, SQLITE_STATIC);
}

/* Steps a write; false with error on failure. */
static inline bool hw_store__step_write(HwStore *store, sqlite3_stmt *st, GError **error,
                                        const char *what)
{
  int rc = sqlite3_step(st);
  if (rc == SQLITE_DONE || rc == SQLITE_ROW)
    return true;
  hw_store__set_error(error, store, what);
  return false;
}
