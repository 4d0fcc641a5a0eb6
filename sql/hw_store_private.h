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
