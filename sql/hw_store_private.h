/* Internals of the store shared only with the generated migration table and with the store's
 * own tests: the embedded migrations and an open that takes another migration list (so tests
 * can exercise a failing or a newer migration). Not for other modules. */
#pragma once

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
