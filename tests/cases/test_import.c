/* `hallwatchd import FILE --department CODE` as a user runs it: a real hallwatchd process, a real
 * configuration file (with a clock offset) and store. A file of 2,500 records goes in three
 * batches of 1,000 (--batch-size; the default 10,000 is cases.exchange.full_batch's size); a
 * rerun is all duplicates; a bad record in the second batch is named by its place in
 * the file and field, the first batch stays stored and nothing of the second is; a secret case is
 * refused; usage and unreadable files get clear errors. */
#include <glib.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <sqlite3.h>
#include <string.h>

#include "cases/hw_exchange.h"
#include "sql/hw_store.h"
#include "sql/hw_store_cases.h"
#include "tests/cases/helpers.h"

#define DEPT "440303-MZJ"
#define N_RECORDS 2500
#define BATCH "1000"

typedef struct {
  char *dir, *conf, *db, *file;
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp("hw-import-XXXXXX", &error);
  g_assert_no_error(error);
  f->conf = g_build_filename(f->dir, "hallwatch.conf", NULL);
  f->db = g_build_filename(f->dir, "hallwatch.db", NULL);
  f->file = g_build_filename(f->dir, "cases.json", NULL);
  g_autofree char *text = g_strdup_printf("[storage]\nfootage = %s/footage\ndatabase = %s\n"
                                          "[exchange]\nclock_offset." DEPT " = -2s\n",
                                          f->dir, f->db);
  g_assert_true(g_file_set_contents(f->conf, text, -1, NULL));
}

static void teardown(Fixture *f, gconstpointer data)
{
  test_remove_dir(f->dir);
  g_free(f->dir);
  g_free(f->conf);
  g_free(f->db);
  g_free(f->file);
}

/* N_RECORDS records: whole cases (the batch-full example renumbered). Transfer full. */
static json_t *records_file(void)
{
  g_autofree char *path = g_build_filename(HW_EXAMPLES_DIR, "batch-full.json", NULL);
  json_t *ex = json_load_file(path, 0, NULL);
  g_assert_nonnull(ex);
  json_t *tmpl = json_object_get(json_object_get(ex, "value"), "records");
  json_t *recs = json_array();
  for (int c = 0; json_array_size(recs) < N_RECORDS; c++) {
    for (size_t k = 0; k < json_array_size(tmpl) && json_array_size(recs) < N_RECORDS; k++) {
      json_t *r = json_deep_copy(json_array_get(tmpl, k));
      char id[48];
      if (json_object_get(r, "case_number")) {
        g_snprintf(id, sizeof id, "IMP%06d", c);
        json_object_set_new(r, "case_number", json_string(id));
      }
      if (json_object_get(r, "event_id")) {
        g_snprintf(id, sizeof id, "IMP-EV-%06d-%02zu", c, k);
        json_object_set_new(r, "event_id", json_string(id));
      }
      json_array_append_new(recs, r);
    }
  }
  json_decref(ex);
  return json_pack("{s:o}", "records", recs);
}

static void write_file(Fixture *f, json_t *doc)
{
  g_assert_cmpint(json_dump_file(doc, f->file, JSON_COMPACT), ==, 0);
}

/* Runs hallwatchd import with args (NULL-terminated, after "import"); returns the exit code. */
static int run_import(Fixture *f, const char *const *args, char **ret_out, char **ret_err)
{
  g_autoptr(GPtrArray) argv = g_ptr_array_new();
  g_ptr_array_add(argv, (gpointer)HW_HALLWATCHD);
  g_ptr_array_add(argv, (gpointer) "import");
  for (size_t i = 0; args[i]; i++)
    g_ptr_array_add(argv, (gpointer)args[i]);
  g_ptr_array_add(argv, NULL);
  int status = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_DEFAULT, NULL, NULL, ret_out,
                             ret_err, &status, &error));
  g_assert_no_error(error);
  g_assert_true(WIFEXITED(status));
  return WEXITSTATUS(status);
}

static int import(Fixture *f, char **ret_out, char **ret_err)
{
  const char *args[] = {f->file, "--department", DEPT,    "--batch-size",
                        BATCH,   "--config",     f->conf, NULL};
  return run_import(f, args, ret_out, ret_err);
}

static void counts(Fixture *f, int64_t ret[4])
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HwStore) store = hw_store_open(f->db, &error);
  g_assert_no_error(error);
  g_assert_true(hw_store_cases_counts(store, ret, &error));
}

/* The detail of every exchange.import row in the audit log, oldest first, as one JSON array. */
static json_t *import_audit(Fixture *f)
{
  sqlite3 *db = NULL;
  g_assert_cmpint(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_stmt *st = NULL;
  g_assert_cmpint(sqlite3_prepare_v2(db,
                                     "SELECT actor, object_id, detail FROM audit_log"
                                     " WHERE action = 'exchange.import' ORDER BY seq",
                                     -1, &st, NULL),
                  ==, SQLITE_OK);
  json_t *rows = json_array();
  while (sqlite3_step(st) == SQLITE_ROW) {
    json_t *d = json_loads((const char *)sqlite3_column_text(st, 2), 0, NULL);
    g_assert_nonnull(d);
    g_assert_true(g_str_has_prefix((const char *)sqlite3_column_text(st, 0), "cli:"));
    g_assert_cmpstr((const char *)sqlite3_column_text(st, 1), ==, DEPT);
    json_array_append_new(rows, d);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return rows;
}

static json_int_t detail_int(json_t *rows, size_t i, const char *key)
{
  return json_integer_value(json_object_get(json_array_get(rows, i), key));
}

static void test_batches(Fixture *f, gconstpointer data)
{
  json_t *doc = records_file();
  write_file(f, doc);
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint(import(f, &out, &err), ==, 0);
  g_assert_nonnull(strstr(out, "2500 records in 3 batch(es): 2500 accepted, 0 duplicate, 0 stale"));
  /* not a terminal: a line per batch, no progress bar */
  g_assert_nonnull(strstr(err, "import: batch 1/3 (records 0..999): 1000 accepted"));
  g_assert_nonnull(strstr(err, "import: batch 3/3 (records 2000..2499): 500 accepted"));
  g_assert_null(strchr(err, '\r'));
  int64_t c[4];
  counts(f, c);
  g_assert_cmpint(c[0] + c[1] + c[2] + c[3], ==, N_RECORDS);

  /* the config's clock offset was applied */
  g_autoptr(GError) error = NULL;
  g_autoptr(HwStore) store = hw_store_open(f->db, &error);
  HwStoreCase k;
  g_assert_true(hw_store_case_get(store, DEPT, "IMP000000", NULL, &k, &error));
  g_assert_cmpint(k.accepted_ns, ==, k.accepted_reported_ns - 2 * HW_NS_PER_S);
  g_clear_pointer(&store, hw_store_close);

  g_autofree char *out2 = NULL, *err2 = NULL;
  g_assert_cmpint(import(f, &out2, &err2), ==, 0);
  g_assert_nonnull(strstr(out2, "2500 records in 3 batch(es): 0 accepted, 2500 duplicate"));
  counts(f, c);
  g_assert_cmpint(c[0] + c[1] + c[2] + c[3], ==, N_RECORDS);
  /* each import one audit row, with what it stored */
  json_t *rows = import_audit(f);
  g_assert_cmpuint(json_array_size(rows), ==, 2);
  g_assert_cmpint(detail_int(rows, 0, "accepted"), ==, N_RECORDS);
  g_assert_cmpint(detail_int(rows, 1, "duplicate"), ==, N_RECORDS);
  g_assert_true(json_is_true(json_object_get(json_array_get(rows, 0), "complete")));
  json_decref(rows);
  json_decref(doc);
}

static void test_bad_record(Fixture *f, gconstpointer data)
{
  json_t *doc = records_file();
  json_t *bad = json_array_get(json_object_get(doc, "records"), 1234);
  g_assert_nonnull(json_object_get(bad, "time"));
  json_object_set_new(bad, "time", json_string("yesterday"));
  write_file(f, doc);
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint(import(f, &out, &err), ==, 1);
  g_assert_nonnull(strstr(err, "record 1234 (/records/1234/time): must be an RFC 3339 time"));
  g_assert_nonnull(strstr(err, "batch 2/3 (records 1000..1999) refused"));
  int64_t c[4];
  counts(f, c);
  g_assert_cmpint(c[0] + c[1] + c[2] + c[3], ==, 1000); /* batch 1 only */
  /* what batch 1 stored is audited, marked incomplete */
  json_t *rows = import_audit(f);
  g_assert_cmpuint(json_array_size(rows), ==, 1);
  g_assert_cmpint(detail_int(rows, 0, "accepted"), ==, 1000);
  g_assert_cmpint(detail_int(rows, 0, "batches"), ==, 1);
  g_assert_true(json_is_false(json_object_get(json_array_get(rows, 0), "complete")));
  json_decref(rows);

  /* fixed and rerun: batch 1 is acknowledged, the rest stored */
  json_object_set_new(bad, "time", json_string("2026-03-03T12:00:00+08:00"));
  write_file(f, doc);
  g_autofree char *out2 = NULL, *err2 = NULL;
  g_assert_cmpint(import(f, &out2, &err2), ==, 0);
  g_assert_nonnull(strstr(out2, "1500 accepted, 1000 duplicate"));
  json_decref(doc);
}

static void test_secret_and_other_department(Fixture *f, gconstpointer data)
{
  json_t *doc = records_file();
  json_t *first = json_array_get(json_object_get(doc, "records"), 0);
  json_object_set_new(first, "secrecy", json_string("top_secret"));
  write_file(f, doc);
  g_autofree char *out = NULL, *err = NULL;
  g_assert_cmpint(import(f, &out, &err), ==, 1);
  g_assert_nonnull(strstr(err, "record 0 (/records/0/secrecy): a case of secrecy level secret"));
  g_assert_null(strstr(err, "王小明")); /* nothing of the record's values */
  int64_t c[4];
  counts(f, c);
  g_assert_cmpint(c[0] + c[1] + c[2] + c[3], ==, 0);

  const char *args[] = {f->file, "--department", "440303-GAJ", "--batch-size",
                        BATCH,   "--config",     f->conf,      NULL};
  g_autofree char *out2 = NULL, *err2 = NULL;
  g_assert_cmpint(run_import(f, args, &out2, &err2), ==, 1);
  g_assert_nonnull(strstr(err2, "record 0 (/records/0/department): this credential writes only "
                                "department 440303-GAJ's records"));
  json_decref(doc);
}

static void test_usage_and_bad_files(Fixture *f, gconstpointer data)
{
  g_autofree char *out = NULL, *err = NULL;
  const char *no_dept[] = {f->file, "--config", f->conf, NULL};
  g_assert_cmpint(run_import(f, no_dept, &out, &err), ==, 2);
  g_assert_nonnull(strstr(err, "usage: hallwatchd import FILE --department CODE"));
  const char *too_big[] = {f->file, "--department", DEPT,    "--batch-size",
                           "10001", "--config",     f->conf, NULL};
  g_autofree char *out1 = NULL, *err1 = NULL;
  g_assert_cmpint(run_import(f, too_big, &out1, &err1), ==, 2);

  g_assert_true(g_file_set_contents(f->file, "{\"records\": [\n  {\"type\": }\n]}", -1, NULL));
  g_autofree char *out2 = NULL, *err2 = NULL;
  g_assert_cmpint(import(f, &out2, &err2), ==, 1);
  g_autofree char *want = g_strdup_printf("%s:2:", f->file);
  g_assert_nonnull(strstr(err2, want));

  g_assert_true(g_file_set_contents(f->file, "{\"records\": []}", -1, NULL));
  g_autofree char *out3 = NULL, *err3 = NULL;
  g_assert_cmpint(import(f, &out3, &err3), ==, 1);
  g_assert_nonnull(strstr(err3, "/records: \"records\" is empty"));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define T(name, fn) g_test_add("/cases/import/" name, Fixture, NULL, setup, fn, teardown)
  T("batches", test_batches);
  T("bad_record", test_bad_record);
  T("secret_and_other_department", test_secret_and_other_department);
  T("usage_and_bad_files", test_usage_and_bad_files);
  return g_test_run();
}
