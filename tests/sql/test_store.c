/* Tests of the store (sql/hw_store.c) on a real SQLite file in a fresh temporary folder: schema
 * migrations and refusals, the recording index, outages, holds and retention, transactions and
 * use from several threads. Each test checks what a user of the store would check. */
#include <glib.h>
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>

#include "sql/hw_store.h"
#include "sql/hw_store_case_queries.h"
#include "sql/hw_store_cases.h"
#include "sql/hw_store_auth.h"
#include "sql/hw_store_private.h"

typedef struct {
  char *dir;
  char *path;
  HwStore *store;
} Fixture;

static void fixture_set_up(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  fx->dir = g_dir_make_tmp("hw-store-XXXXXX", &error);
  g_assert_no_error(error);
  fx->path = g_build_filename(fx->dir, "index.db", NULL);
  fx->store = hw_store_open(fx->path, &error);
  g_assert_no_error(error);
  g_assert_nonnull(fx->store);
}

static void remove_dir(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
    g_autofree char *p = g_build_filename(dir, name, NULL);
    g_unlink(p);
  }
  g_rmdir(dir);
}

static void fixture_tear_down(Fixture *fx, gconstpointer data)
{
  hw_store_close(fx->store);
  remove_dir(fx->dir);
  g_free(fx->path);
  g_free(fx->dir);
}

/* Reads one integer through a connection of its own, as an operator's sqlite3 shell would. */
static int64_t raw_int(const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
  int64_t v = sqlite3_column_int64(st, 0);
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

static char *raw_text(const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  sqlite3_stmt *st = NULL;
  g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
  char *v = g_strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

static void raw_exec(const char *path, const char *sql)
{
  sqlite3 *db = NULL;
  g_assert_cmpint(sqlite3_open_v2(path, &db, SQLITE_OPEN_READWRITE, NULL), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_exec(db, sql, NULL, NULL, NULL), ==, SQLITE_OK);
  sqlite3_close(db);
}

static HwStoreFile make_file(const char *camera, const char *stream, const char *path,
                             hw_time_ns start, hw_time_ns end)
{
  HwStoreFile f = {0};
  g_strlcpy(f.camera, camera, sizeof f.camera);
  g_strlcpy(f.stream, stream, sizeof f.stream);
  g_strlcpy(f.path, path, sizeof f.path);
  g_strlcpy(f.codec, "h264", sizeof f.codec);
  g_strlcpy(f.clock_mode, "local", sizeof f.clock_mode);
  f.width = 1920;
  f.height = 1080;
  f.start_ns = start;
  f.end_ns = end;
  f.init_size = 800;
  f.size = 800;
  f.run_id = 1;
  return f;
}

static const char *const SHA = "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef";

/* Inserts a file [start, end) and, if closed, marks it final with size bytes. */
static int64_t add_file(HwStore *s, const char *camera, const char *stream, const char *path,
                        hw_time_ns start, hw_time_ns end, bool closed, int64_t size)
{
  g_autoptr(GError) error = NULL;
  HwStoreFile f = make_file(camera, stream, path, start, end);
  f.size = size;
  int64_t id = 0;
  g_assert_true(hw_store_file_insert(s, &f, &id, &error));
  g_assert_no_error(error);
  if (closed) {
    g_assert_true(hw_store_file_close(s, id, size, end, SHA, &error));
    g_assert_no_error(error);
  }
  return id;
}

static HwStoreFragment make_fragment(int64_t file_id, int32_t seq, int64_t offset, hw_time_ns start)
{
  return (HwStoreFragment){.file_id = file_id,
                           .seq = seq,
                           .offset = offset,
                           .length = 1000,
                           .start_ns = start,
                           .duration_ns = HW_NS_PER_S,
                           .frames = 25,
                           .keyframe_start = true};
}

/* ---- schema -----------------------------------------------------------------------------------
 */

static void test_migrates_empty_file(Fixture *fx, gconstpointer data)
{
  g_assert_cmpint(hw_store_schema_version(fx->store), ==, hw_store_schema_version_known());
  g_assert_cmpint(hw_store_schema_version_known(), >=, 1);
  g_assert_true(g_uuid_string_is_valid(hw_store_uuid(fx->store)));
  g_assert_cmpint(raw_int(fx->path, "PRAGMA user_version"), ==, hw_store_schema_version_known());
  g_assert_cmpint(raw_int(fx->path, "SELECT count(*) FROM sqlite_schema WHERE type = 'table' AND"
                                    " name IN ('meta', 'cameras', 'files', 'fragments',"
                                    " 'outages', 'holds')"),
                  ==, 6);
  g_autofree char *uuid = raw_text(fx->path, "SELECT value FROM meta WHERE key = 'uuid'");
  g_assert_cmpstr(uuid, ==, hw_store_uuid(fx->store));
}

static void test_reopen_is_idempotent(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *uuid = g_strdup(hw_store_uuid(fx->store));
  add_file(fx->store, "cam1", "main", "a.mp4", 100, 200, true, 5000);
  g_clear_pointer(&fx->store, hw_store_close);

  for (int i = 0; i < 2; i++) {
    g_autoptr(HwStore) s = hw_store_open(fx->path, &error);
    g_assert_no_error(error);
    g_assert_cmpstr(hw_store_uuid(s), ==, uuid);
    g_assert_cmpint(hw_store_schema_version(s), ==, hw_store_schema_version_known());
    HwStoreFile f;
    g_assert_true(hw_store_file_get_by_path(s, "a.mp4", &f, &error));
    g_assert_cmpint(f.size, ==, 5000);
  }
  g_assert_cmpint(raw_int(fx->path, "SELECT count(*) FROM meta WHERE key = 'uuid'"), ==, 1);
}

static void test_refuses_newer_schema(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_clear_pointer(&fx->store, hw_store_close);
  int newer = hw_store_schema_version_known() + 1;
  g_autofree char *pragma = g_strdup_printf("PRAGMA user_version = %d", newer);
  raw_exec(fx->path, pragma);

  HwStore *s = hw_store_open(fx->path, &error);
  g_assert_null(s);
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_TOO_NEW);
  g_autofree char *known = g_strdup_printf("knows up to %d", hw_store_schema_version_known());
  g_assert_nonnull(strstr(error->message, fx->path));
  g_autofree char *found = g_strdup_printf("schema version %d", newer);
  g_assert_nonnull(strstr(error->message, found));
  g_assert_nonnull(strstr(error->message, known));
  /* Refusing must not touch the file. */
  g_assert_cmpint(raw_int(fx->path, "PRAGMA user_version"), ==, newer);
}

static void test_refuses_non_database(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = g_build_filename(fx->dir, "notes.txt", NULL);
  g_assert_true(g_file_set_contents(path,
                                    "this is not a database, just a long enough text file "
                                    "to fill the header of one",
                                    -1, NULL));
  HwStore *s = hw_store_open(path, &error);
  g_assert_null(s);
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_OPEN);
  g_assert_nonnull(strstr(error->message, path));
}

static void test_failed_migration_leaves_nothing(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_clear_pointer(&fx->store, hw_store_close);
  g_autofree char *path = g_build_filename(fx->dir, "fresh.db", NULL);
  HwStoreMigration ms[] = {
      hw_store_migrations[0],
      {"0002_broken.sql", "CREATE TABLE half_done (a INTEGER);\n"
                          "INSERT INTO no_such_table VALUES (1);\n"},
  };
  HwStore *s = hw_store_open_with_migrations(path, ms, 2, &error);
  g_assert_null(s);
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_MIGRATION);
  g_assert_nonnull(strstr(error->message, "0002_broken.sql"));
  g_assert_nonnull(strstr(error->message, "no_such_table"));
  /* 0001 stays applied in its own transaction; nothing of 0002 is there. */
  g_assert_cmpint(raw_int(path, "PRAGMA user_version"), ==, 1);
  g_assert_cmpint(raw_int(path, "SELECT count(*) FROM sqlite_schema WHERE name = 'half_done'"), ==,
                  0);
  /* A fixed binary then opens it. */
  g_clear_error(&error);
  g_autoptr(HwStore) ok = hw_store_open(path, &error);
  g_assert_no_error(error);
}

static void test_wal_mode(Fixture *fx, gconstpointer data)
{
  g_autofree char *mode = raw_text(fx->path, "PRAGMA journal_mode");
  g_assert_cmpstr(mode, ==, "wal");
}

/* ---- recording index --------------------------------------------------------------------------
 */

static void test_file_lifecycle(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  HwStoreFile in = make_file("cam1", "main", "cam1/main/1.mp4", 1000, 0);
  g_strlcpy(in.audio_codec, "aac", sizeof in.audio_codec);
  in.clock_offset_ns = -42;
  in.run_id = 7;
  int64_t id = 0;
  g_assert_true(hw_store_file_insert(fx->store, &in, &id, &error));
  g_assert_no_error(error);
  g_assert_cmpint(id, >, 0);

  HwStoreFile f;
  g_assert_true(hw_store_file_get(fx->store, id, &f, &error));
  g_assert_cmpstr(f.path, ==, "cam1/main/1.mp4");
  g_assert_cmpstr(f.audio_codec, ==, "aac");
  g_assert_cmpint(f.clock_offset_ns, ==, -42);
  g_assert_cmpint(f.run_id, ==, 7);
  g_assert_false(f.closed);
  g_assert_cmpint(f.end_ns, ==, 0);

  HwStoreFragment frags[] = {
      make_fragment(id, 0, 800, 1000),
      make_fragment(id, 1, 1800, 1000 + HW_NS_PER_S),
      make_fragment(id, 2, 2800, 1000 + 2 * HW_NS_PER_S),
  };
  g_assert_true(hw_store_fragments_append(fx->store, frags, 2, &error));
  g_assert_no_error(error);
  g_assert_true(hw_store_fragments_append(fx->store, frags + 2, 1, &error));
  g_assert_no_error(error);
  g_assert_true(hw_store_file_get_by_path(fx->store, "cam1/main/1.mp4", &f, &error));
  g_assert_cmpint(f.size, ==, 3800);
  g_assert_cmpint(f.end_ns, ==, 1000 + 3 * HW_NS_PER_S);

  HwStoreFragment *got = NULL;
  size_t n = 0;
  g_assert_true(hw_store_fragments_of_file(fx->store, id, &got, &n, &error));
  g_assert_cmpuint(n, ==, 3);
  for (size_t i = 0; i < n; i++) {
    g_assert_cmpint(got[i].seq, ==, (int)i);
    g_assert_cmpint(got[i].offset, ==, frags[i].offset);
    g_assert_cmpint(got[i].frames, ==, 25);
    g_assert_true(got[i].keyframe_start);
  }
  g_free(got);

  g_assert_true(hw_store_file_close(fx->store, id, 3800, 1000 + 3 * HW_NS_PER_S, SHA, &error));
  g_assert_no_error(error);
  g_assert_true(hw_store_file_get(fx->store, id, &f, &error));
  g_assert_true(f.closed);
  g_assert_cmpstr(f.sha256, ==, SHA);

  /* Lookups of what is not there say so with NOT_FOUND and leave ret alone. */
  HwStoreFile untouched = {.id = -5};
  g_assert_false(hw_store_file_get(fx->store, id + 100, &untouched, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
  g_assert_cmpint(untouched.id, ==, -5);
  g_clear_error(&error);
  g_assert_false(hw_store_file_get_by_path(fx->store, "nope.mp4", &untouched, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
}

static void test_file_rejects_bad_rows(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  add_file(fx->store, "cam1", "main", "dup.mp4", 0, 0, false, 0);
  HwStoreFile f = make_file("cam1", "main", "dup.mp4", 0, 0);
  int64_t id = -1;
  g_assert_false(hw_store_file_insert(fx->store, &f, &id, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_SQL);
  g_assert_nonnull(strstr(error->message, "dup.mp4")); /* says what failed */
  g_assert_cmpint(id, ==, -1);
  g_clear_error(&error);

  f = make_file("cam1", "third", "x.mp4", 0, 0);
  g_assert_false(hw_store_file_insert(fx->store, &f, NULL, &error));
  g_assert_nonnull(strstr(error->message, "file_stream_known"));
  g_clear_error(&error);

  int64_t ok = add_file(fx->store, "cam1", "main", "y.mp4", 0, 0, false, 0);
  g_assert_false(hw_store_file_close(fx->store, ok, 10, 10, "not-a-sha", &error));
  g_assert_nonnull(strstr(error->message, "file_sha256_hex"));
  g_clear_error(&error);
  g_assert_false(hw_store_file_close(fx->store, ok + 100, 10, 10, SHA, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
}

static void test_append_rejects_duplicates_and_gaps(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  int64_t id = add_file(fx->store, "cam1", "main", "a.mp4", 0, 0, false, 0);
  HwStoreFragment f0 = make_fragment(id, 0, 800, 0);
  g_assert_true(hw_store_fragments_append(fx->store, &f0, 1, &error));

  g_assert_false(hw_store_fragments_append(fx->store, &f0, 1, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID);
  g_assert_nonnull(strstr(error->message, "already stored"));
  g_clear_error(&error);

  /* A batch whose second fragment skips a seq stores nothing of the batch. */
  HwStoreFragment batch[] = {make_fragment(id, 1, 1800, HW_NS_PER_S),
                             make_fragment(id, 3, 3800, 3 * HW_NS_PER_S)};
  g_assert_false(hw_store_fragments_append(fx->store, batch, 2, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID);
  g_clear_error(&error);
  HwStoreFragment *got = NULL;
  size_t n = 0;
  g_assert_true(hw_store_fragments_of_file(fx->store, id, &got, &n, &error));
  g_assert_cmpuint(n, ==, 1);
  g_free(got);
  HwStoreFile f;
  g_assert_true(hw_store_file_get(fx->store, id, &f, &error));
  g_assert_cmpint(f.size, ==, 1800);

  HwStoreFragment orphan = make_fragment(id + 100, 0, 0, 0);
  g_assert_false(hw_store_fragments_append(fx->store, &orphan, 1, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
}

static void test_truncate_cuts_torn_tail(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  int64_t id = add_file(fx->store, "cam1", "main", "a.mp4", 0, 0, false, 0);
  HwStoreFragment frags[5];
  for (int i = 0; i < 5; i++)
    frags[i] = make_fragment(id, i, 800 + 1000 * i, i * HW_NS_PER_S);
  g_assert_true(hw_store_fragments_append(fx->store, frags, 5, &error));

  g_assert_true(hw_store_file_truncate(fx->store, id, 2, 2800, 2 * HW_NS_PER_S, &error));
  g_assert_no_error(error);
  HwStoreFragment *got = NULL;
  size_t n = 0;
  g_assert_true(hw_store_fragments_of_file(fx->store, id, &got, &n, &error));
  g_assert_cmpuint(n, ==, 2);
  g_free(got);
  HwStoreFile f;
  g_assert_true(hw_store_file_get(fx->store, id, &f, &error));
  g_assert_cmpint(f.size, ==, 2800);
  g_assert_cmpint(f.end_ns, ==, 2 * HW_NS_PER_S);

  /* Appending continues right after the cut. */
  HwStoreFragment next = make_fragment(id, 2, 2800, 2 * HW_NS_PER_S);
  g_assert_true(hw_store_fragments_append(fx->store, &next, 1, &error));
  g_assert_no_error(error);

  g_assert_false(hw_store_file_truncate(fx->store, id + 100, 0, 0, 0, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
}

static void test_delete_cascades_to_fragments(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  int64_t id = add_file(fx->store, "cam1", "main", "a.mp4", 0, 0, false, 0);
  int64_t keep = add_file(fx->store, "cam1", "main", "b.mp4", 0, 0, false, 0);
  HwStoreFragment frags[] = {make_fragment(id, 0, 800, 0), make_fragment(id, 1, 1800, 1)};
  HwStoreFragment other = make_fragment(keep, 0, 800, 0);
  g_assert_true(hw_store_fragments_append(fx->store, frags, 2, &error));
  g_assert_true(hw_store_fragments_append(fx->store, &other, 1, &error));

  g_assert_true(hw_store_file_delete(fx->store, id, &error));
  g_assert_no_error(error);
  HwStoreFile f;
  g_assert_false(hw_store_file_get(fx->store, id, &f, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
  g_clear_error(&error);
  g_assert_cmpint(raw_int(fx->path, "SELECT count(*) FROM fragments"), ==, 1);

  g_assert_false(hw_store_file_delete(fx->store, id, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
}

typedef struct {
  GPtrArray *paths;
  int stop_after;
} Seen;

static bool remember(const HwStoreFile *file, void *user)
{
  Seen *seen = user;
  g_ptr_array_add(seen->paths, g_strdup(file->path));
  return seen->stop_after == 0 || (int)seen->paths->len < seen->stop_after;
}

static void test_foreach_oldest_first(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  add_file(fx->store, "cam2", "main", "c.mp4", 300, 400, true, 10);
  add_file(fx->store, "cam1", "main", "a.mp4", 100, 200, true, 10);
  add_file(fx->store, "cam1", "sub", "d.mp4", 400, 0, false, 10);
  add_file(fx->store, "cam1", "main", "b.mp4", 200, 0, false, 10);

  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
  Seen seen = {paths, 0};
  g_assert_true(hw_store_files_foreach(fx->store, false, remember, &seen, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(paths->len, ==, 4);
  g_assert_cmpstr(paths->pdata[0], ==, "a.mp4");
  g_assert_cmpstr(paths->pdata[1], ==, "b.mp4");
  g_assert_cmpstr(paths->pdata[2], ==, "c.mp4");
  g_assert_cmpstr(paths->pdata[3], ==, "d.mp4");

  g_ptr_array_set_size(paths, 0);
  g_assert_true(hw_store_files_foreach(fx->store, true, remember, &seen, &error));
  g_assert_cmpuint(paths->len, ==, 2);
  g_assert_cmpstr(paths->pdata[0], ==, "b.mp4");
  g_assert_cmpstr(paths->pdata[1], ==, "d.mp4");

  g_ptr_array_set_size(paths, 0);
  seen.stop_after = 2;
  g_assert_false(hw_store_files_foreach(fx->store, false, remember, &seen, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(paths->len, ==, 2);
}

static GPtrArray *range_paths(HwStore *s, const char *camera, const char *stream, hw_time_ns from,
                              hw_time_ns to)
{
  g_autoptr(GError) error = NULL;
  HwStoreFile *files = NULL;
  size_t n = 99;
  g_assert_true(hw_store_files_in_range(s, camera, stream, from, to, &files, &n, &error));
  g_assert_no_error(error);
  GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
  for (size_t i = 0; i < n; i++)
    g_ptr_array_add(paths, g_strdup(files[i].path));
  g_free(files);
  return paths;
}

static char *joined(GPtrArray *paths)
{
  g_ptr_array_add(paths, NULL);
  char *s = g_strjoinv(",", (char **)paths->pdata);
  g_ptr_array_unref(paths);
  return s;
}

#define ASSERT_RANGE(s, cam, stream, from, to, expected)                                           \
  do {                                                                                             \
    g_autofree char *got_ = joined(range_paths((s), (cam), (stream), (from), (to)));               \
    g_assert_cmpstr(got_, ==, (expected));                                                         \
  } while (0)

static void test_files_in_range_boundaries(Fixture *fx, gconstpointer data)
{
  add_file(fx->store, "cam1", "main", "a", 100, 200, true, 1);
  add_file(fx->store, "cam1", "main", "b", 200, 300, true, 1);
  add_file(fx->store, "cam1", "main", "c", 300, 400, false, 1);
  add_file(fx->store, "cam1", "main", "empty", 400, 0, false, 1); /* open, nothing indexed */
  add_file(fx->store, "cam1", "sub", "sub", 100, 400, true, 1);
  add_file(fx->store, "cam2", "main", "other", 100, 400, true, 1);

  ASSERT_RANGE(fx->store, "cam1", "main", 200, 300, "b"); /* [from, to): touching is out */
  ASSERT_RANGE(fx->store, "cam1", "main", 199, 201, "a,b");
  ASSERT_RANGE(fx->store, "cam1", "main", 0, 100, "");
  ASSERT_RANGE(fx->store, "cam1", "main", 400, 1000, "");
  ASSERT_RANGE(fx->store, "cam1", "main", 0, 1000, "a,b,c");
  ASSERT_RANGE(fx->store, "cam1", "main", 250, 250, ""); /* empty range */
  ASSERT_RANGE(fx->store, "cam1", "main", 250, 251, "b");
  ASSERT_RANGE(fx->store, "cam1", "sub", 150, 160, "sub");
  ASSERT_RANGE(fx->store, "cam3", "main", 0, 1000, "");

  /* A file much longer than the others is still found from its middle. */
  int64_t id = add_file(fx->store, "cam1", "main", "long", 1000, 0, false, 1);
  HwStoreFragment g = make_fragment(id, 0, 800, 1000);
  g.duration_ns = 100000;
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_store_fragments_append(fx->store, &g, 1, &error));
  add_file(fx->store, "cam1", "main", "short", 5000, 5100, true, 1);
  ASSERT_RANGE(fx->store, "cam1", "main", 90000, 90001, "long");
  ASSERT_RANGE(fx->store, "cam1", "main", 5050, 5060, "long,short");
}

static void test_last_end_and_run_ids(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  hw_time_ns end = -1;
  g_assert_true(hw_store_last_end(fx->store, "cam1", "main", &end, &error));
  g_assert_cmpint(end, ==, 0);
  add_file(fx->store, "cam1", "main", "a", 100, 900, true, 1);
  add_file(fx->store, "cam1", "main", "b", 200, 300, true, 1);
  add_file(fx->store, "cam1", "main", "c", 950, 0, false, 1);
  add_file(fx->store, "cam1", "sub", "d", 100, 5000, true, 1);
  g_assert_true(hw_store_last_end(fx->store, "cam1", "main", &end, &error));
  g_assert_cmpint(end, ==, 900);

  int64_t a = 0, b = 0;
  g_assert_true(hw_store_next_run_id(fx->store, &a, &error));
  g_assert_true(hw_store_next_run_id(fx->store, &b, &error));
  g_assert_no_error(error);
  g_assert_cmpint(a, >, 0);
  g_assert_cmpint(b, >, a);
  /* Unique across restarts too. */
  g_clear_pointer(&fx->store, hw_store_close);
  fx->store = hw_store_open(fx->path, &error);
  g_assert_no_error(error);
  int64_t c = 0;
  g_assert_true(hw_store_next_run_id(fx->store, &c, &error));
  g_assert_cmpint(c, >, b);
}

/* ---- outages ----------------------------------------------------------------------------------
 */

static char *outage_list(HwStore *s, const char *camera, hw_time_ns from, hw_time_ns to)
{
  g_autoptr(GError) error = NULL;
  HwStoreOutage *o = NULL;
  size_t n = 0;
  g_assert_true(hw_store_outages_in_range(s, camera, "main", from, to, &o, &n, &error));
  g_assert_no_error(error);
  GString *out = g_string_new(NULL);
  for (size_t i = 0; i < n; i++)
    g_string_append_printf(out, "%s%s:%s", i ? "," : "", o[i].reason, o[i].detail);
  g_free(o);
  return g_string_free(out, FALSE);
}

static void test_outages(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  int64_t a = 0, b = 0, c = 0;
  g_assert_cmpstr(hw_outage_reason_name(HW_OUTAGE_AUTH_REFUSED), ==, "auth_refused");
  g_assert_cmpstr(hw_outage_reason_name(HW_OUTAGE_STORAGE_ERROR), ==, "storage_error");
  g_assert_true(hw_store_outage_open(fx->store, "cam1", "main", 100, HW_OUTAGE_CAMERA_UNREACHABLE,
                                     "no route", &a, &error));
  g_assert_true(hw_store_outage_close(fx->store, a, 200, &error));
  g_assert_true(hw_store_outage_open(fx->store, "cam1", "main", 300, HW_OUTAGE_STREAM_STALLED, "",
                                     &b, &error));
  g_assert_true(
      hw_store_outage_open(fx->store, "cam2", "main", 50, HW_OUTAGE_DAEMON_DOWN, NULL, &c, &error));
  g_assert_no_error(error);

  g_autofree char *s1 = outage_list(fx->store, "cam1", 200, 300); /* between the two */
  g_assert_cmpstr(s1, ==, "");
  g_autofree char *s2 = outage_list(fx->store, "cam1", 199, 200);
  g_assert_cmpstr(s2, ==, "camera_unreachable:no route");
  g_autofree char *s3 = outage_list(fx->store, "cam1", 100000, 200000); /* open: still going */
  g_assert_cmpstr(s3, ==, "stream_stalled:");
  g_autofree char *s4 = outage_list(fx->store, "cam1", 0, 1000);
  g_assert_cmpstr(s4, ==, "camera_unreachable:no route,stream_stalled:");

  /* Closing twice is an error; closing what is open is not. */
  g_assert_false(hw_store_outage_close(fx->store, a, 250, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
  g_clear_error(&error);

  /* At start-up: everything left open ends at the given time, nothing else moves. */
  g_assert_true(hw_store_outage_close_all_open(fx->store, 1000, &error));
  g_assert_no_error(error);
  g_autofree char *s6 = outage_list(fx->store, "cam1", 150, 150); /* empty range */
  g_assert_cmpstr(s6, ==, "");
  g_autofree char *s5 = outage_list(fx->store, "cam1", 1000, 2000);
  g_assert_cmpstr(s5, ==, "");
  g_assert_cmpint(raw_int(fx->path, "SELECT count(*) FROM outages WHERE end_ns = 0"), ==, 0);
  g_assert_cmpint(raw_int(fx->path, "SELECT end_ns FROM outages WHERE reason = "
                                    "'camera_unreachable'"),
                  ==, 200);
  g_assert_cmpint(raw_int(fx->path, "SELECT end_ns FROM outages WHERE reason = 'daemon_down'"), ==,
                  1000);

  int64_t untouched = -3;
  g_assert_false(hw_store_outage_open(fx->store, "cam1", "main", 0, (HwOutageReason)99, "",
                                      &untouched, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID);
  g_assert_cmpint(untouched, ==, -3);
}

/* ---- holds and retention ----------------------------------------------------------------------
 */

static char *deletable(HwStore *s, const char *camera, hw_time_ns now, size_t max)
{
  g_autoptr(GError) error = NULL;
  HwStoreFile *files = NULL;
  size_t n = 0;
  g_assert_true(hw_store_deletable_files(s, camera, now, max, &files, &n, &error));
  g_assert_no_error(error);
  GPtrArray *paths = g_ptr_array_new_with_free_func(g_free);
  for (size_t i = 0; i < n; i++)
    g_ptr_array_add(paths, g_strdup(files[i].path));
  g_free(files);
  return joined(paths);
}

static int64_t add_hold(HwStore *s, const char *camera, hw_time_ns from, hw_time_ns to,
                        hw_time_ns until)
{
  g_autoptr(GError) error = NULL;
  HwStoreHold h = {.from_ns = from, .to_ns = to, .until_ns = until};
  g_strlcpy(h.camera, camera, sizeof h.camera);
  g_strlcpy(h.reason, "case 2026/117", sizeof h.reason);
  int64_t id = 0;
  g_assert_true(hw_store_hold_add(s, &h, &id, &error));
  g_assert_no_error(error);
  return id;
}

static void test_holds_protect_overlapping_files(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  add_file(fx->store, "cam1", "main", "a", 100, 200, true, 1);
  add_file(fx->store, "cam1", "main", "b", 200, 300, true, 1);
  add_file(fx->store, "cam1", "main", "c", 300, 400, true, 1);
  add_file(fx->store, "cam2", "main", "x", 200, 300, true, 1);

  int64_t h = add_hold(fx->store, "cam1", 200, 300, 0); /* exactly b: a and c only touch it */
  g_autofree char *d1 = deletable(fx->store, NULL, 500, 100);
  g_assert_cmpstr(d1, ==, "a,x,c");

  g_assert_true(hw_store_hold_release(fx->store, h, &error));
  g_assert_no_error(error);
  g_autofree char *d2 = deletable(fx->store, NULL, 500, 100);
  g_assert_cmpstr(d2, ==, "a,b,x,c");
  g_assert_false(hw_store_hold_release(fx->store, h, &error)); /* released already */
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
  g_clear_error(&error);
  /* A released hold stays on record. */
  g_assert_cmpint(raw_int(fx->path, "SELECT count(*) FROM holds WHERE released_ns > 0"), ==, 1);

  /* A hold that expires: protects while until > now, not from until on. */
  add_hold(fx->store, "cam1", 150, 350, 1000);
  g_autofree char *d3 = deletable(fx->store, NULL, 999, 100);
  g_assert_cmpstr(d3, ==, "x");
  g_autofree char *d4 = deletable(fx->store, NULL, 1000, 100);
  g_assert_cmpstr(d4, ==, "a,b,x,c");
}

static void test_deletable_oldest_first(Fixture *fx, gconstpointer data)
{
  add_file(fx->store, "cam2", "main", "old2", 50, 60, true, 1);
  add_file(fx->store, "cam1", "sub", "s1", 150, 250, true, 1);
  add_file(fx->store, "cam1", "main", "m2", 200, 300, true, 1);
  add_file(fx->store, "cam1", "main", "m1", 100, 200, true, 1);
  add_file(fx->store, "cam1", "main", "open", 10, 0, false, 1); /* open: never deletable */

  g_autofree char *all = deletable(fx->store, NULL, 0, 100);
  g_assert_cmpstr(all, ==, "old2,m1,s1,m2");
  g_autofree char *two = deletable(fx->store, NULL, 0, 2);
  g_assert_cmpstr(two, ==, "old2,m1");
  g_autofree char *cam1 = deletable(fx->store, "cam1", 0, 100);
  g_assert_cmpstr(cam1, ==, "m1,s1,m2");
  g_autofree char *none = deletable(fx->store, "cam1", 0, 0);
  g_assert_cmpstr(none, ==, "");
}

static void test_usage_sums(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  int64_t bytes = -1;
  hw_time_ns oldest = -1;
  g_assert_true(hw_store_usage(fx->store, NULL, &bytes, &oldest, &error));
  g_assert_cmpint(bytes, ==, 0);
  g_assert_cmpint(oldest, ==, 0);
  add_file(fx->store, "cam1", "main", "a", 300, 400, true, 1000);
  add_file(fx->store, "cam1", "sub", "b", 200, 300, true, 10);
  add_file(fx->store, "cam2", "main", "c", 100, 200, true, 5);
  add_file(fx->store, "cam1", "main", "d", 400, 0, false, 800); /* open files count too */
  g_assert_true(hw_store_usage(fx->store, NULL, &bytes, &oldest, &error));
  g_assert_cmpint(bytes, ==, 1815);
  g_assert_cmpint(oldest, ==, 100);
  g_assert_true(hw_store_usage(fx->store, "cam1", &bytes, &oldest, &error));
  g_assert_cmpint(bytes, ==, 1810);
  g_assert_cmpint(oldest, ==, 200);
  g_assert_true(hw_store_usage(fx->store, "cam9", &bytes, &oldest, &error));
  g_assert_cmpint(bytes, ==, 0);
  g_assert_no_error(error);
}

static void test_camera_upsert_idempotent(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_store_camera_upsert(fx->store, "cam1", "config", &error));
  g_assert_true(hw_store_camera_upsert(fx->store, "cam1", "config", &error));
  g_assert_true(hw_store_camera_upsert(fx->store, "cam2", "api", &error));
  g_assert_no_error(error);
  g_assert_cmpint(raw_int(fx->path, "SELECT count(*) FROM cameras"), ==, 2);
  int64_t created = raw_int(fx->path, "SELECT created_ns FROM cameras WHERE id = 'cam1'");
  g_assert_true(hw_store_camera_upsert(fx->store, "cam1", "api", &error));
  g_autofree char *source = raw_text(fx->path, "SELECT source FROM cameras WHERE id = 'cam1'");
  g_assert_cmpstr(source, ==, "api");
  g_assert_cmpint(raw_int(fx->path, "SELECT created_ns FROM cameras WHERE id = 'cam1'"), ==,
                  created);
  g_assert_false(hw_store_camera_upsert(fx->store, "cam3", "usb", &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_SQL);
  g_assert_nonnull(strstr(error->message, "cam3"));
}

/* ---- transactions and threads ------------------------------------------------------------------
 */

static void test_rollback_leaves_nothing(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_store_begin(fx->store, &error));
  int64_t id = add_file(fx->store, "cam1", "main", "gone.mp4", 0, 0, false, 0);
  HwStoreFragment g = make_fragment(id, 0, 800, 0);
  g_assert_true(hw_store_fragments_append(fx->store, &g, 1, &error));
  int64_t oid = 0;
  g_assert_true(
      hw_store_outage_open(fx->store, "cam1", "main", 0, HW_OUTAGE_STREAM_ERROR, "", &oid, &error));
  hw_store_rollback(fx->store);

  HwStoreFile f;
  g_assert_false(hw_store_file_get_by_path(fx->store, "gone.mp4", &f, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
  g_clear_error(&error);
  g_assert_cmpint(raw_int(fx->path, "SELECT count(*) FROM fragments"), ==, 0);
  g_assert_cmpint(raw_int(fx->path, "SELECT count(*) FROM outages"), ==, 0);

  /* A failed call inside a transaction leaves the rest of the batch intact. */
  g_assert_true(hw_store_begin(fx->store, &error));
  id = add_file(fx->store, "cam1", "main", "kept.mp4", 0, 0, false, 0);
  HwStoreFragment bad[] = {make_fragment(id, 0, 800, 0), make_fragment(id, 5, 1800, 1)};
  g_assert_false(hw_store_fragments_append(fx->store, bad, 2, &error));
  g_clear_error(&error);
  g_assert_true(hw_store_fragments_append(fx->store, bad, 1, &error));
  g_assert_true(hw_store_commit(fx->store, &error));
  g_assert_no_error(error);
  g_assert_cmpint(raw_int(fx->path, "SELECT count(*) FROM fragments"), ==, 1);

  g_assert_false(hw_store_commit(fx->store, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID);
  hw_store_rollback(fx->store); /* harmless without a transaction */
}

#define N_THREADS 4
#define FILES_PER_THREAD 40

typedef struct {
  HwStore *store;
  int index;
  int errors;
} Worker;

static gpointer worker_run(gpointer data)
{
  Worker *w = data;
  g_autofree char *camera = g_strdup_printf("cam%d", w->index);
  for (int i = 0; i < FILES_PER_THREAD; i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *path = g_strdup_printf("%s/%04d.mp4", camera, i);
    hw_time_ns start = (hw_time_ns)i * 10 * HW_NS_PER_S;
    HwStoreFile f = make_file(camera, "main", path, start, 0);
    int64_t id = 0;
    bool ok = hw_store_begin(w->store, &error) && hw_store_file_insert(w->store, &f, &id, &error);
    HwStoreFragment frags[3];
    for (int k = 0; ok && k < 3; k++)
      frags[k] = make_fragment(id, k, 800 + 1000 * k, start + k * HW_NS_PER_S);
    ok = ok && hw_store_fragments_append(w->store, frags, 3, &error) &&
         hw_store_commit(w->store, &error);
    ok = ok && hw_store_file_close(w->store, id, 3800, start + 3 * HW_NS_PER_S, SHA, &error);

    HwStoreFile *files = NULL;
    size_t n = 0;
    int64_t bytes = 0;
    ok = ok && hw_store_files_in_range(w->store, camera, "main", 0, start + HW_NS_PER_S, &files, &n,
                                       &error);
    ok = ok && n == (size_t)i + 1;
    g_free(files);
    ok = ok && hw_store_usage(w->store, camera, &bytes, NULL, &error) &&
         bytes == 3800 * (int64_t)(i + 1);
    if (!ok) {
      g_test_message("worker %d, file %d: %s", w->index, i,
                     error != NULL ? error->message : "wrong result");
      w->errors++;
      break;
    }
  }
  return NULL;
}

static void test_four_threads(Fixture *fx, gconstpointer data)
{
  Worker workers[N_THREADS];
  GThread *threads[N_THREADS];
  for (int i = 0; i < N_THREADS; i++) {
    workers[i] = (Worker){.store = fx->store, .index = i};
    threads[i] = g_thread_new("store-worker", worker_run, &workers[i]);
  }
  for (int i = 0; i < N_THREADS; i++) {
    g_thread_join(threads[i]);
    g_assert_cmpint(workers[i].errors, ==, 0);
  }
  g_assert_cmpint(raw_int(fx->path, "SELECT count(*) FROM files WHERE closed = 1"), ==,
                  N_THREADS * FILES_PER_THREAD);
  g_assert_cmpint(raw_int(fx->path, "SELECT count(*) FROM fragments"), ==,
                  N_THREADS * FILES_PER_THREAD * 3);
}

/* ---- cases (sql/hw_store_cases.h) ------------------------------------------------------------ */

/* The fixture's store closed, a store at dir/previous.db with the migrations before the one whose
 * file name ends in suffix ("_cases.sql"): the version a migration test starts from. Its path is
 * *ret_path (g_free). */
static HwStore *open_previous(Fixture *fx, const char *suffix, char **ret_path)
{
  g_autoptr(GError) error = NULL;
  g_clear_pointer(&fx->store, hw_store_close);
  size_t n = 0;
  while (n < hw_store_n_migrations && !g_str_has_suffix(hw_store_migrations[n].name, suffix))
    n++;
  g_assert_cmpuint(n, <, hw_store_n_migrations);
  *ret_path = g_build_filename(fx->dir, "previous.db", NULL);
  HwStore *old = hw_store_open_with_migrations(*ret_path, hw_store_migrations, n, &error);
  g_assert_no_error(error);
  return old;
}

/* The cases migration applied to a database of the version before it keeps what was there. */
static void test_cases_migration_on_previous_version(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  HwStore *old = open_previous(fx, "_cases.sql", &path);
  add_file(old, "w1", "main", "w1/a.mp4", 10 * HW_NS_PER_S, 20 * HW_NS_PER_S, true, 1000);
  hw_store_close(old);
  g_autoptr(HwStore) s = hw_store_open(path, &error);
  g_assert_no_error(error);
  g_assert_cmpint(raw_int(path, "SELECT count(*) FROM files"), ==, 1);
  int64_t counts[4] = {-1, -1, -1, -1};
  g_assert_true(hw_store_cases_counts(s, counts, &error));
  g_assert_cmpint(counts[0] + counts[1] + counts[2] + counts[3], ==, 0);
}

/* The store refuses on its own what the exchange API refuses before it: a record of another
 * department than the batch's, and (by the schema) a case of secrecy level secret. */
static void test_cases_store_refuses(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  HwCaseRecord r = {.type = HW_CASE_RECORD_CASE, .department = "D1", .case_number = "N1",
                    .version = 1, .item_code = "I", .item_name = "item", .applicant_type = "person",
                    .applicant_name = "A", .statutory_limit = 20, .statutory_unit = "working_days",
                    .promised_limit = 10, .promised_unit = "working_days", .secrecy = "secret",
                    .fee_charged_fen = -1, .fee_standard_fen = -1};
  HwIngestOutcome out;
  g_assert_false(hw_store_cases_ingest(fx->store, "D1", &r, 1, 1, &out, NULL, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID);
  g_assert_nonnull(strstr(error->message, "case_secrecy_storable"));
  g_clear_error(&error);
  r.secrecy = "internal";
  g_assert_false(hw_store_cases_ingest(fx->store, "D2", &r, 1, 1, &out, NULL, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_true(hw_store_cases_ingest(fx->store, "D1", &r, 1, 1, &out, NULL, &error));
  g_assert_no_error(error);
  g_assert_cmpint(out, ==, HW_INGEST_ACCEPTED);
  g_assert_cmpint(raw_int(fx->path, "SELECT count(*) FROM cases"), ==, 1);
}

/* The export_stage migration on a database of the version before it: an export made then keeps
 * its fields and has no stage event; a new one records its stage event. */
static void test_export_stage_migration(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  HwStore *old = open_previous(fx, "_export_stage.sql", &path);
  HwStoreExport e = {.camera = "c1", .from_ns = 10 * HW_NS_PER_S, .to_ns = 20 * HW_NS_PER_S,
                     .case_id = "N1", .stage = "accepted", .requested_by = "inv"};
  hw_store_close(old);
  /* a job as the previous version wrote it (its code is gone: by hand) */
  int64_t id_new = 0, id_old = raw_int(
      path, "INSERT INTO exports (camera, from_ns, to_ns, case_id, stage, requested_by, created_ns)"
            " VALUES ('c1', 10000000000, 20000000000, 'N1', 'accepted', 'inv', 1) RETURNING id");
  g_autoptr(HwStore) s = hw_store_open(path, &error);
  g_assert_no_error(error);
  HwStoreExport got;
  g_assert_true(hw_store_export_get(s, id_old, NULL, &got, &error));
  g_assert_cmpstr(got.case_id, ==, "N1");
  g_assert_cmpint(got.stage_event, ==, 0);
  /* a stage event to point at */
  HwCaseRecord r[2] = {
      {.type = HW_CASE_RECORD_CASE, .department = "D1", .case_number = "N1", .version = 1,
       .item_code = "I", .item_name = "item", .applicant_type = "person", .applicant_name = "A",
       .statutory_limit = 20, .statutory_unit = "working_days", .promised_limit = 10,
       .promised_unit = "working_days", .secrecy = "internal", .fee_charged_fen = -1,
       .fee_standard_fen = -1},
      {.type = HW_CASE_RECORD_STAGE_EVENT, .department = "D1", .case_number = "N1",
       .event_id = "E1", .stage = "accepted", .time_ns = 15 * HW_NS_PER_S, .hall = "H1",
       .window = "W1"}};
  HwIngestOutcome out[2];
  g_assert_true(hw_store_cases_ingest(s, "D1", r, 2, 1, out, NULL, &error));
  g_assert_no_error(error);
  e.stage_event = raw_int(path, "SELECT id FROM stage_events");
  g_assert_true(hw_store_export_add(s, &e, &id_new, &error));
  g_assert_true(hw_store_export_get(s, id_new, NULL, &got, &error));
  g_assert_cmpint(got.stage_event, ==, e.stage_event);
  HwStoreStageEvent ev;
  g_assert_true(hw_store_stage_event_get(s, got.stage_event, &ev, &error));
  g_assert_cmpstr(ev.window, ==, "W1");
  HwStoreCase c;
  /* by id, within the scope; outside either scope it is not found */
  const char *d1[] = {"D1", NULL}, *d2[] = {"D2", NULL}, *h1[] = {"H1", NULL};
  g_assert_true(hw_store_case_get_by_id(s, ev.case_id, d1, NULL, &c, &error));
  g_assert_cmpstr(c.case_number, ==, "N1");
  g_assert_false(hw_store_case_get_by_id(s, ev.case_id, d2, NULL, &c, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
  g_clear_error(&error);
  /* the case itself names no hall: a hall-limited caller does not see it */
  g_assert_false(hw_store_case_get_by_id(s, ev.case_id, NULL, h1, &c, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
}

/* ---- users (sql/hw_store_auth.c) ---------------------------------------------------------------
 */

static int64_t add_user(HwStore *s, const char *name, const char *role, const HwStoreScope *scopes,
                        size_t n)
{
  g_autoptr(GError) error = NULL;
  int64_t id = 0;
  g_assert_true(hw_store_user_add(s, name, role, "$argon2id$fake", scopes, n, &id, &error));
  g_assert_no_error(error);
  return id;
}

static void add_session(HwStore *s, int64_t user_id, char c)
{
  HwStoreSession ses = {.user_id = user_id, .created_ns = hw_time_now(), .last_seen_ns = hw_time_now()};
  memset(ses.token_hash, c, 64);
  g_strlcpy(ses.csrf_token, "csrf", sizeof ses.csrf_token);
  g_assert_true(hw_store_session_add(s, &ses, NULL));
}

static int64_t sessions_of(const char *path, int64_t user_id)
{
  g_autofree char *sql =
    g_strdup_printf("SELECT count(*) FROM sessions WHERE user_id = %" G_GINT64_FORMAT, user_id);
  return raw_int(path, sql);
}

/* A done job of the version before 0015 opens with its package not deleted; deleting it marks
 * the job once (who, when), leaves its hold alone, and a second delete or a job not done is
 * NOT_FOUND. */
static void test_export_delete_migration(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  HwStore *old = open_previous(fx, "_export_delete.sql", &path);
  HwStoreExport e = {.camera = "c1",
                     .from_ns = 10 * HW_NS_PER_S,
                     .to_ns = 20 * HW_NS_PER_S,
                     .requested_by = "inv"};
  int64_t done = 0, queued = 0;
  g_assert_true(hw_store_export_add(old, &e, &done, &error));
  g_assert_true(hw_store_export_add(old, &e, &queued, &error));
  hw_store_close(old);
  /* finished as the previous version did (its store code reads the new columns: by hand) */
  g_autofree char *finish = g_strdup_printf(
      "UPDATE exports SET state = 'done', package = 'p.zip' WHERE id = %" G_GINT64_FORMAT, done);
  raw_exec(path, finish);
  g_autoptr(HwStore) s = hw_store_open(path, &error);
  g_assert_no_error(error);
  HwStoreExport got;
  g_assert_true(hw_store_export_get(s, done, NULL, &got, &error));
  g_assert_cmpint(got.deleted_ns, ==, 0);
  g_assert_cmpstr(got.deleted_by, ==, "");
  g_assert_false(hw_store_export_delete(s, queued, "inv", &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
  g_clear_error(&error);
  hw_time_ns before = hw_time_now();
  g_assert_true(hw_store_export_delete(s, done, "inv", &error));
  g_assert_no_error(error);
  g_assert_true(hw_store_export_get(s, done, NULL, &got, &error));
  g_assert_cmpint(got.deleted_ns, >=, before);
  g_assert_cmpstr(got.deleted_by, ==, "inv");
  g_assert_cmpint(got.hold_released_ns, ==, 0); /* the hold is its own business */
  g_assert_false(hw_store_export_delete(s, done, "other", &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
}

/* A user made by an older HallWatch gets the new fields empty; the store reads them. */
static void test_user_profile_migrates(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *path = NULL;
  HwStore *old = open_previous(fx, "_user_profile.sql", &path);
  hw_store_close(old);
  raw_exec(path, "INSERT INTO users (name, role, password_hash, created_ns)"
                 " VALUES ('clerk', 'viewer', 'h', 1)");
  fx->store = hw_store_open(path, &error);
  g_assert_no_error(error);
  HwStoreUser u;
  g_assert_true(hw_store_user_get(fx->store, "clerk", &u, &error));
  g_assert_cmpstr(u.display_name, ==, "");
  g_assert_cmpint(u.last_login_ns, ==, 0);
  /* The new column keeps its bound. */
  HwStoreUserChange long_name = {.display_name = "", .disabled = -1};
  g_autofree char *big = g_strnfill(128, 'x');
  long_name.display_name = big;
  g_assert_false(hw_store_user_update(fx->store, u.id, &long_name, NULL, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID);
  g_assert_nonnull(strstr(error->message, "user_display_name_fits"));
}

/* Role, scope and disabling end the user's sessions at once; a display name or the same scopes
 * in another order do not. Each change is whole or absent. */
static void test_user_update_ends_sessions(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  add_user(fx->store, "root", "admin", NULL, 0);
  HwStoreScope h12[] = {{"hall", "H1"}, {"hall", "H2"}};
  int64_t id = add_user(fx->store, "clerk", "viewer", h12, 2);
  bool ended = true;

  add_session(fx->store, id, 'a');
  HwStoreUserChange name = {.display_name = "张三 Zhang San", .disabled = -1};
  g_assert_true(hw_store_user_update(fx->store, id, &name, &ended, &error));
  g_assert_false(ended);
  g_assert_cmpint(sessions_of(fx->path, id), ==, 1);
  HwStoreUser u;
  g_assert_true(hw_store_user_get_by_id(fx->store, id, &u, NULL));
  g_assert_cmpstr(u.display_name, ==, "张三 Zhang San");
  g_assert_cmpstr(u.role, ==, "viewer");

  HwStoreScope h21[] = {{"hall", "H2"}, {"hall", "H1"}, {"hall", "H2"}};
  HwStoreUserChange same = {.disabled = -1, .set_scopes = true, .scopes = h21, .n_scopes = 3};
  g_assert_true(hw_store_user_update(fx->store, id, &same, &ended, &error));
  g_assert_false(ended);
  g_assert_cmpint(sessions_of(fx->path, id), ==, 1);

  HwStoreScope d1[] = {{"department", "D1"}};
  HwStoreUserChange scope = {.disabled = -1, .set_scopes = true, .scopes = d1, .n_scopes = 1};
  g_assert_true(hw_store_user_update(fx->store, id, &scope, &ended, &error));
  g_assert_true(ended);
  g_assert_cmpint(sessions_of(fx->path, id), ==, 0);
  g_auto(GStrv) halls = NULL, deps = NULL;
  g_assert_true(hw_store_user_scopes(fx->store, id, "hall", &halls, NULL));
  g_assert_true(hw_store_user_scopes(fx->store, id, "department", &deps, NULL));
  g_assert_cmpuint(g_strv_length(halls), ==, 0);
  g_assert_cmpstr(deps[0], ==, "D1");

  add_session(fx->store, id, 'b');
  HwStoreUserChange role = {.role = "supervisor", .disabled = -1};
  g_assert_true(hw_store_user_update(fx->store, id, &role, &ended, &error));
  g_assert_true(ended);
  g_assert_cmpint(sessions_of(fx->path, id), ==, 0);

  add_session(fx->store, id, 'c');
  HwStoreUserChange off = {.disabled = 1};
  g_assert_true(hw_store_user_update(fx->store, id, &off, &ended, &error));
  g_assert_true(ended);
  g_assert_cmpint(sessions_of(fx->path, id), ==, 0);

  /* A role the schema does not know: nothing of the change is written. */
  HwStoreUserChange bad = {.role = "root", .display_name = "x", .disabled = 0};
  g_assert_false(hw_store_user_update(fx->store, id, &bad, NULL, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID);
  g_clear_error(&error);
  g_assert_true(hw_store_user_get_by_id(fx->store, id, &u, NULL));
  g_assert_cmpstr(u.display_name, ==, "张三 Zhang San");
  g_assert_true(u.disabled);

  HwStoreUserChange nobody = {.disabled = 0};
  g_assert_false(hw_store_user_update(fx->store, 999999, &nobody, NULL, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
}

/* The last enabled admin can be neither demoted nor disabled (by the API's update or the CLI's
 * disable); with a second admin both work. */
static void test_user_last_admin(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  int64_t a = add_user(fx->store, "root", "admin", NULL, 0);
  add_session(fx->store, a, 'a');
  HwStoreUserChange demote = {.role = "viewer", .disabled = -1};
  g_assert_false(hw_store_user_update(fx->store, a, &demote, NULL, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_CONFLICT);
  g_assert_nonnull(strstr(error->message, "last enabled administrator"));
  g_clear_error(&error);
  g_assert_false(hw_store_user_set_disabled(fx->store, "root", true, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_CONFLICT);
  g_clear_error(&error);
  HwStoreUser u;
  g_assert_true(hw_store_user_get_by_id(fx->store, a, &u, NULL));
  g_assert_cmpstr(u.role, ==, "admin");
  g_assert_false(u.disabled);
  g_assert_cmpint(sessions_of(fx->path, a), ==, 1); /* the refused change ended nothing */

  int64_t b = add_user(fx->store, "second", "admin", NULL, 0);
  int64_t n = 0;
  g_assert_true(hw_store_users_count_enabled_admins(fx->store, &n, NULL));
  g_assert_cmpint(n, ==, 2);
  g_assert_true(hw_store_user_update(fx->store, a, &demote, NULL, &error));
  g_assert_no_error(error);
  g_assert_false(hw_store_user_set_disabled(fx->store, "second", true, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_CONFLICT);
  g_clear_error(&error);
  /* A disabled admin does not count: enabling it again is what restores a second one. */
  HwStoreUserChange promote = {.role = "admin", .disabled = 1};
  g_assert_true(hw_store_user_update(fx->store, a, &promote, NULL, &error));
  g_assert_false(hw_store_user_set_disabled(fx->store, "second", true, &error));
  g_clear_error(&error);
  g_assert_true(hw_store_user_set_disabled(fx->store, "root", false, &error));
  g_assert_true(hw_store_user_set_disabled(fx->store, "second", true, &error));
  g_assert_no_error(error);
  (void)b;
}

static void test_user_last_login(Fixture *fx, gconstpointer data)
{
  int64_t id = add_user(fx->store, "clerk", "viewer", NULL, 0);
  HwStoreUser u;
  g_assert_true(hw_store_user_get_by_id(fx->store, id, &u, NULL));
  g_assert_cmpint(u.last_login_ns, ==, 0);
  hw_time_ns before = hw_time_now();
  g_assert_true(hw_store_user_login_ok(fx->store, id, NULL));
  g_assert_true(hw_store_user_get_by_id(fx->store, id, &u, NULL));
  g_assert_cmpint(u.last_login_ns, >=, before);
  g_assert_cmpint(u.last_login_ns, <=, hw_time_now());
}

/* ---- evidence exports (sql/store_exports.c) ---------------------------------------------------- */

static int64_t add_export(HwStore *s, const char *camera, const char *hall, hw_time_ns from,
                          hw_time_ns to)
{
  HwStoreExport e = {.from_ns = from, .to_ns = to};
  g_strlcpy(e.camera, camera, sizeof e.camera);
  g_strlcpy(e.hall, hall, sizeof e.hall);
  g_strlcpy(e.requested_by, "ivy", sizeof e.requested_by);
  g_strlcpy(e.role, "investigator", sizeof e.role);
  g_strlcpy(e.stage, "受理", sizeof e.stage);
  int64_t id = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_store_export_add(s, &e, &id, &error));
  g_assert_no_error(error);
  return id;
}

/* An export holds its footage from the moment it is asked for: retention skips the files it
 * overlaps until the hold is released, then may delete them. */
static void test_export_holds_until_released(Fixture *fx, gconstpointer data)
{
  int64_t held = add_file(fx->store, "cam1", "main", "a.mp4", 1000, 2000, true, 10);
  add_file(fx->store, "cam1", "main", "b.mp4", 2000, 3000, true, 10);
  int64_t id = add_export(fx->store, "cam1", "", 1500, 1800);
  HwStoreExport e;
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_store_export_get(fx->store, id, NULL, &e, &error));
  g_assert_cmpstr(e.state, ==, "queued");
  g_assert_cmpstr(e.stage, ==, "受理");
  g_assert_cmpint(e.hold_id, >, 0);
  g_assert_cmpint(e.hold_released_ns, ==, 0);
  g_autofree HwStoreFile *del = NULL;
  size_t n = 0;
  g_assert_true(hw_store_deletable_files(fx->store, NULL, hw_time_now(), 10, &del, &n, &error));
  g_assert_cmpuint(n, ==, 1);
  g_assert_cmpint(del[0].id, !=, held);
  g_assert_true(hw_store_hold_release(fx->store, e.hold_id, &error));
  g_assert_true(hw_store_export_get(fx->store, id, NULL, &e, &error));
  g_assert_cmpint(e.hold_released_ns, >, 0);
  g_clear_pointer(&del, g_free);
  g_assert_true(hw_store_deletable_files(fx->store, NULL, hw_time_now(), 10, &del, &n, &error));
  g_assert_cmpuint(n, ==, 2);
}

/* A hall-limited caller sees only its halls' exports; "" (a camera in no hall) only the
 * unrestricted. Filtering is in SQL, so a list never leaks another hall's job. */
static void test_export_scope_by_hall(Fixture *fx, gconstpointer data)
{
  int64_t a = add_export(fx->store, "cam-a", "hall-a", 1, 2);
  int64_t b = add_export(fx->store, "cam-b", "hall-b", 1, 2);
  add_export(fx->store, "cam-x", "", 1, 2);
  const char *const only_a[] = {"hall-a", NULL};
  g_autofree HwStoreExport *list = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_store_exports_list(fx->store, only_a, 10, &list, &n, &error));
  g_assert_cmpuint(n, ==, 1);
  g_assert_cmpint(list[0].id, ==, a);
  HwStoreExport e;
  g_assert_false(hw_store_export_get(fx->store, b, only_a, &e, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
  g_clear_pointer(&list, g_free);
  g_assert_true(hw_store_exports_list(fx->store, NULL, 10, &list, &n, NULL));
  g_assert_cmpuint(n, ==, 3);
  g_assert_cmpint(list[0].id, >, list[1].id); /* newest first */
}

/* queued → running → done; a job moves forward only, and a restart fails the running one with
 * the reason and hands back the queued ones. */
static void test_export_lifecycle_and_recovery(Fixture *fx, gconstpointer data)
{
  int64_t done = add_export(fx->store, "cam1", "", 1, 2);
  int64_t running = add_export(fx->store, "cam1", "", 1, 2);
  int64_t queued = add_export(fx->store, "cam1", "", 1, 2);
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_store_export_start(fx->store, done, &error));
  g_assert_false(hw_store_export_start(fx->store, done, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
  g_clear_error(&error);
  g_assert_true(hw_store_export_progress(fx->store, done, 42, &error));
  HwStoreExport e = {.id = done, .size = 10, .actual_from_ns = 1, .actual_to_ns = 2};
  g_strlcpy(e.package, "export-1.zip", sizeof e.package);
  g_strlcpy(e.sha256, SHA, sizeof e.sha256);
  g_strlcpy(e.mp4_sha256, SHA, sizeof e.mp4_sha256);
  g_assert_true(hw_store_export_done(fx->store, &e, &error));
  g_assert_false(hw_store_export_fail(fx->store, done, "late", &error));
  g_clear_error(&error);
  g_assert_true(hw_store_export_start(fx->store, running, &error));
  int64_t unfinished = 0;
  g_assert_true(hw_store_exports_unfinished(fx->store, &unfinished, &error));
  g_assert_cmpint(unfinished, ==, 2);

  g_autofree int64_t *ids = NULL;
  size_t n = 0;
  g_assert_true(hw_store_exports_recover(fx->store, "interrupted", &ids, &n, &error));
  g_assert_cmpuint(n, ==, 1);
  g_assert_cmpint(ids[0], ==, queued);
  g_assert_true(hw_store_export_get(fx->store, running, NULL, &e, &error));
  g_assert_cmpstr(e.state, ==, "failed");
  g_assert_cmpstr(e.error, ==, "interrupted");
  g_assert_true(hw_store_export_get(fx->store, done, NULL, &e, &error));
  g_assert_cmpstr(e.state, ==, "done");
  g_assert_cmpint(e.progress, ==, 100);
  g_assert_cmpstr(e.package, ==, "export-1.zip");
}

/* The windows a camera covered during a range, from the mapping history (a manifest names them). */
static void test_export_window_spans(Fixture *fx, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  HwStoreHall hall = {.code = "h1", .name = "Hall 1"};
  g_assert_true(hw_store_hall_add(fx->store, &hall, &error));
  HwStoreWindow w = {0};
  g_strlcpy(w.hall, "h1", sizeof w.hall);
  g_strlcpy(w.code, "W07", sizeof w.code);
  g_strlcpy(w.departments, "[]", sizeof w.departments);
  int64_t w7 = 0, w8 = 0;
  g_assert_true(hw_store_window_add(fx->store, &w, &w7, &error));
  g_strlcpy(w.code, "W08", sizeof w.code);
  g_assert_true(hw_store_window_add(fx->store, &w, &w8, &error));
  const char *const cam[] = {"cam1"};
  g_assert_true(hw_store_window_set_cameras(fx->store, w7, cam, 1, 100, &error));
  g_assert_true(hw_store_window_set_cameras(fx->store, w7, NULL, 0, 200, &error));
  g_assert_true(hw_store_window_set_cameras(fx->store, w8, cam, 1, 200, &error));
  g_autofree HwStoreWindowSpan *spans = NULL;
  size_t n = 0;
  g_assert_true(hw_store_camera_window_spans(fx->store, "cam1", 150, 250, &spans, &n, &error));
  g_assert_cmpuint(n, ==, 2);
  g_assert_cmpstr(spans[0].code, ==, "W07");
  g_assert_cmpint(spans[0].to_ns, ==, 200);
  g_assert_cmpstr(spans[1].code, ==, "W08");
  g_assert_cmpint(spans[1].to_ns, ==, 0);
  g_clear_pointer(&spans, g_free);
  g_assert_true(hw_store_camera_window_spans(fx->store, "cam1", 50, 100, &spans, &n, &error));
  g_assert_cmpuint(n, ==, 0);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, Fixture, NULL, fixture_set_up, fn, fixture_tear_down)
  ADD("/sql/schema/migrates-empty-file", test_migrates_empty_file);
  ADD("/sql/schema/reopen-is-idempotent", test_reopen_is_idempotent);
  ADD("/sql/schema/refuses-newer-schema", test_refuses_newer_schema);
  ADD("/sql/schema/refuses-non-database", test_refuses_non_database);
  ADD("/sql/schema/failed-migration-leaves-nothing", test_failed_migration_leaves_nothing);
  ADD("/sql/schema/wal-mode", test_wal_mode);
  ADD("/sql/schema/cases-migration-on-previous-version", test_cases_migration_on_previous_version);
  ADD("/sql/schema/export-stage-migration", test_export_stage_migration);
  ADD("/sql/cases/store-refuses", test_cases_store_refuses);
  ADD("/sql/file/lifecycle", test_file_lifecycle);
  ADD("/sql/file/rejects-bad-rows", test_file_rejects_bad_rows);
  ADD("/sql/file/append-rejects-duplicates-and-gaps", test_append_rejects_duplicates_and_gaps);
  ADD("/sql/file/truncate-cuts-torn-tail", test_truncate_cuts_torn_tail);
  ADD("/sql/file/delete-cascades-to-fragments", test_delete_cascades_to_fragments);
  ADD("/sql/file/foreach-oldest-first", test_foreach_oldest_first);
  ADD("/sql/file/in-range-boundaries", test_files_in_range_boundaries);
  ADD("/sql/file/last-end-and-run-ids", test_last_end_and_run_ids);
  ADD("/sql/outage/open-close-range", test_outages);
  ADD("/sql/retention/holds-protect-overlapping-files", test_holds_protect_overlapping_files);
  ADD("/sql/retention/deletable-oldest-first", test_deletable_oldest_first);
  ADD("/sql/retention/usage-sums", test_usage_sums);
  ADD("/sql/camera/upsert-idempotent", test_camera_upsert_idempotent);
  ADD("/sql/tx/rollback-leaves-nothing", test_rollback_leaves_nothing);
  ADD("/sql/tx/four-threads", test_four_threads);
  ADD("/sql/user/profile-migrates", test_user_profile_migrates);
  ADD("/sql/user/update-ends-sessions", test_user_update_ends_sessions);
  ADD("/sql/user/last-admin", test_user_last_admin);
  ADD("/sql/user/last-login", test_user_last_login);
  ADD("/sql/export/holds-until-released", test_export_holds_until_released); /* export */
  ADD("/sql/export/scope-by-hall", test_export_scope_by_hall);
  ADD("/sql/export/lifecycle-and-recovery", test_export_lifecycle_and_recovery);
  ADD("/sql/export/window-spans", test_export_window_spans);
  ADD("/sql/export/delete-migration", test_export_delete_migration);
  return g_test_run();
}
