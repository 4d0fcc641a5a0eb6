/* Tests of the audit log: the store's hash chain (sql/store_audit.c), the appliance key
 * (common/hw_keys.c), head signing and verification (audit/hw_audit.c) and `hallwatchd audit`.
 * Tampering is done as an attacker would: straight into the file with SQLite, triggers dropped. */
#include <glib/gstdio.h>
#include <sqlite3.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>

#include "audit/hw_audit.h"
#include "common/hw_keys.h"
#include "sql/hw_store.h"

typedef struct {
  char *dir;
  char *db;
  char *key_path;
  HwStore *store;
  HwKey *key;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp("hw-audit-XXXXXX", NULL);
  g_assert_nonnull(f->dir);
  f->db = g_build_filename(f->dir, "hallwatch.db", NULL);
  f->key_path = hw_key_path_for_database(f->db);
  g_autoptr(GError) error = NULL;
  f->store = hw_store_open(f->db, &error);
  g_assert_no_error(error);
  f->key = hw_key_load_or_create(f->key_path, NULL, &error);
  g_assert_no_error(error);
}

static void remove_dir(const char *path)
{
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  const char *name;
  while (dir != NULL && (name = g_dir_read_name(dir)) != NULL) {
    g_autofree char *child = g_build_filename(path, name, NULL);
    g_unlink(child);
  }
  g_rmdir(path);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
  g_clear_pointer(&f->store, hw_store_close);
  g_clear_pointer(&f->key, hw_key_free);
  remove_dir(f->dir);
  g_free(f->dir);
  g_free(f->db);
  g_free(f->key_path);
}

#define T0 (INT64_C(1790000000) * HW_NS_PER_S)

/* Appends n varied rows with times T0 + i seconds, in batches of batch. */
static void append_rows(Fixture *f, int n, int batch)
{
  g_autofree HwAuditEvent *evs = g_new0(HwAuditEvent, (size_t)batch);
  g_autofree char **ids = g_new0(char *, (size_t)batch);
  static const char *const actions[] = {"auth.login", "footage.view", "export.create",
                                        "camera.change"};
  for (int done = 0; done < n;) {
    int k = MIN(batch, n - done);
    for (int i = 0; i < k; i++) {
      int j = done + i;
      ids[i] = g_strdup_printf("window-%02d", j % 7);
      evs[i] = (HwAuditEvent){.time_ns = T0 + (int64_t)j * HW_NS_PER_S,
                              .actor = j % 3 ? "alice" : "bob",
                              .role = "supervisor",
                              .address = "192.0.2.7",
                              .action = actions[j % 4],
                              .object_type = "camera",
                              .object_id = ids[i],
                              .detail = "{\"n\":1,\"note\":\"a, b: c\\n\"}"};
    }
    g_autoptr(GError) error = NULL;
    g_assert_true(hw_store_audit_append_many(f->store, evs, (size_t)k, NULL, &error));
    g_assert_no_error(error);
    for (int i = 0; i < k; i++)
      g_clear_pointer(&ids[i], g_free);
    done += k;
  }
}

static HwAuditVerifyResult *verify(Fixture *f, int64_t max_age)
{
  g_autoptr(GError) error = NULL;
  HwAuditVerifyOptions opt = {.public_key_hex = hw_key_public_hex(f->key),
                              .now_ns = T0 + INT64_C(3600) * HW_NS_PER_S,
                              .max_unsigned_age_ns = max_age};
  HwAuditVerifyResult *r = hw_audit_verify(f->store, &opt, &error);
  g_assert_no_error(error);
  g_assert_nonnull(r);
  return r;
}

static void sign(Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_audit_sign_head(f->store, f->key, &error));
  g_assert_no_error(error);
}

static bool has_problem(const HwAuditVerifyResult *r, const char *text)
{
  for (guint i = 0; i < r->problems->len; i++)
    if (strstr(r->problems->pdata[i], text) != NULL)
      return true;
  return false;
}

static void dump_problems(const HwAuditVerifyResult *r)
{
  for (guint i = 0; i < r->problems->len; i++)
    g_test_message("problem: %s", (const char *)r->problems->pdata[i]);
}

/* Runs SQL straight on the file, as someone with the file and the sqlite3 shell would. The store
 * is closed first and reopened after, so nothing of it is cached. Returns SQLite's message or
 * NULL on success (g_free). */
static char *tamper(Fixture *f, const char *sql)
{
  g_clear_pointer(&f->store, hw_store_close);
  sqlite3 *db = NULL;
  g_assert_cmpint(sqlite3_open(f->db, &db), ==, SQLITE_OK);
  char *msg = NULL;
  char *result = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &msg) != SQLITE_OK)
    result = g_strdup(msg != NULL ? msg : "?");
  sqlite3_free(msg);
  sqlite3_close(db);
  g_autoptr(GError) error = NULL;
  f->store = hw_store_open(f->db, &error);
  g_assert_no_error(error);
  return result;
}

#define DROP_GUARDS                                                                                \
  "DROP TRIGGER audit_log_no_update; DROP TRIGGER audit_log_no_delete;"                            \
  " DROP TRIGGER audit_log_extends_chain; DROP TRIGGER audit_heads_no_update;"                     \
  " DROP TRIGGER audit_heads_no_delete;"

/* ---- the chain ------------------------------------------------------------------------------- */

static double rows_per_s(int64_t n, int64_t t0_us)
{
  return (double)n * 1e6 / (double)MAX(g_get_monotonic_time() - t0_us, 1);
}

static void test_append_1000_verifies(Fixture *f, gconstpointer data)
{
  int64_t t = g_get_monotonic_time();
  append_rows(f, 1000, 1);
  double single = rows_per_s(1000, t);
  t = g_get_monotonic_time();
  append_rows(f, 10000, 100);
  double batched = rows_per_s(10000, t);
  /* A figure for the record, not a pass/fail: it depends on the disk's fsync. */
  g_printerr("# audit append throughput: %.0f rows/s singly (one commit each), %.0f rows/s in "
             "batches of 100\n",
             single, batched);
  sign(f);
  g_autoptr(HwAuditVerifyResult) r = verify(f, 0);
  dump_problems(r);
  g_assert_true(r->ok);
  g_assert_cmpint(r->rows, ==, 11000);
  g_assert_cmpint(r->last_seq, ==, 11000);
  g_assert_cmpint(r->last_signed_seq, ==, 11000);
  g_assert_cmpint(r->unsigned_rows, ==, 0);
  g_assert_cmpint(r->first_bad_seq, ==, 0);
}

static void test_chain_links_rows(Fixture *f, gconstpointer data)
{
  append_rows(f, 3, 2);
  HwAuditFilter all = {0};
  g_autofree HwAuditRow *rows = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_store_audit_query(f->store, &all, &rows, &n, &error));
  g_assert_cmpuint(n, ==, 3);
  g_assert_cmpstr(rows[0].prev_hash, ==, HW_AUDIT_ZERO_HASH);
  g_assert_cmpstr(rows[1].prev_hash, ==, rows[0].hash);
  g_assert_cmpstr(rows[2].prev_hash, ==, rows[1].hash);
  char h[65];
  hw_store_audit_row_hash(&rows[2], h);
  g_assert_cmpstr(h, ==, rows[2].hash);
  /* The canonical form, spelled out for row 1 (docs/audit.md shows the same with sqlite3). */
  g_autofree char *canon = g_strdup_printf(
      "22:hallwatch-audit-row-v1,1:1,19:%" G_GINT64_FORMAT ",3:bob,10:supervisor,9:192.0.2.7,"
      "10:auth.login,6:camera,9:window-00,%zu:%s,64:%s,",
      T0, strlen(rows[0].detail), rows[0].detail, HW_AUDIT_ZERO_HASH);
  g_autofree char *want = g_compute_checksum_for_string(G_CHECKSUM_SHA256, canon, -1);
  g_assert_cmpstr(rows[0].hash, ==, want);
}

static void test_edited_row_named(Fixture *f, gconstpointer data)
{
  append_rows(f, 100, 50);
  sign(f);
  g_autofree char *err =
      tamper(f, "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'mallory' "
                "WHERE seq = 42");
  g_assert_null(err);
  g_autoptr(HwAuditVerifyResult) r = verify(f, 0);
  dump_problems(r);
  g_assert_false(r->ok);
  g_assert_cmpint(r->first_bad_seq, ==, 42);
  g_assert_cmpstr(r->problems->pdata[0], ==, "row 42: hash does not match its content (edited?)");
}

static void test_edited_row_rehashed_named(Fixture *f, gconstpointer data)
{
  /* The editor also fixes the row's own hash: the next row's link gives it away. */
  append_rows(f, 100, 50);
  g_autoptr(GError) error = NULL;
  HwAuditFilter one = {.after_seq = 41, .limit = 1};
  g_autofree HwAuditRow *rows = NULL;
  size_t n = 0;
  g_assert_true(hw_store_audit_query(f->store, &one, &rows, &n, &error));
  g_strlcpy(rows[0].actor, "mallory", sizeof rows[0].actor);
  char h[65];
  hw_store_audit_row_hash(&rows[0], h);
  g_autofree char *sql = g_strdup_printf("DROP TRIGGER audit_log_no_update; UPDATE audit_log SET "
                                         "actor = 'mallory', hash = '%s' WHERE seq = 42",
                                         h);
  g_autofree char *err = tamper(f, sql);
  g_assert_null(err);
  g_autoptr(HwAuditVerifyResult) r = verify(f, 0);
  g_assert_false(r->ok);
  g_assert_cmpint(r->first_bad_seq, ==, 43);
  g_assert_cmpstr(r->problems->pdata[0], ==,
                  "row 43: prev_hash does not match row 42 (rows removed or reordered?)");
}

static void test_deleted_row_named(Fixture *f, gconstpointer data)
{
  append_rows(f, 100, 50);
  sign(f);
  g_autofree char *err =
      tamper(f, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq = 50");
  g_assert_null(err);
  g_autoptr(HwAuditVerifyResult) r = verify(f, 0);
  dump_problems(r);
  g_assert_false(r->ok);
  g_assert_cmpint(r->first_bad_seq, ==, 51);
  g_assert_true(has_problem(r, "row 51: follows row 49 (rows 50..50 are missing: removed?)"));
  g_assert_true(
      has_problem(r, "row 51: prev_hash does not match row 49 (rows removed or reordered?)"));
}

static void test_truncated_tail_cut(Fixture *f, gconstpointer data)
{
  append_rows(f, 100, 50);
  sign(f);
  g_autofree char *err =
      tamper(f, "DROP TRIGGER audit_log_no_delete; DELETE FROM audit_log WHERE seq > 80");
  g_assert_null(err);
  g_autoptr(HwAuditVerifyResult) r = verify(f, 0);
  dump_problems(r);
  g_assert_false(r->ok);
  g_assert_true(has_problem(r, "the log was cut: signed head at row 100"));
  g_assert_true(has_problem(r, "but the log ends at row 80"));
}

/* Rewrites every row with a consistent new chain (the attacker knows the algorithm) and deals with
 * the signed heads in the way given. */
static void rewrite_chain(Fixture *f, const char *heads_sql)
{
  g_autoptr(GError) error = NULL;
  HwAuditFilter all = {.limit = HW_AUDIT_QUERY_MAX};
  g_autofree HwAuditRow *rows = NULL;
  size_t n = 0;
  g_assert_true(hw_store_audit_query(f->store, &all, &rows, &n, &error));
  g_autoptr(GString) sql = g_string_new(DROP_GUARDS " DELETE FROM audit_log;");
  char prev[65] = HW_AUDIT_ZERO_HASH;
  for (size_t i = 0; i < n; i++) {
    HwAuditRow *row = &rows[i];
    if (row->seq == 10)
      g_strlcpy(row->action, "auth.login_failed", sizeof row->action); /* the edit */
    g_strlcpy(row->prev_hash, prev, sizeof row->prev_hash);
    hw_store_audit_row_hash(row, row->hash);
    g_strlcpy(prev, row->hash, sizeof prev);
    char *q = sqlite3_mprintf(
        "INSERT INTO audit_log VALUES (%lld, %lld, %Q, %Q, %Q, %Q, %Q, %Q, %Q, %Q, %Q);",
        (long long)row->seq, (long long)row->time_ns, row->actor, row->role, row->address,
        row->action, row->object_type, row->object_id, row->detail, row->prev_hash, row->hash);
    g_string_append(sql, q);
    sqlite3_free(q);
  }
  g_string_append(sql, heads_sql);
  g_autofree char *err = tamper(f, sql->str);
  g_assert_null(err);
}

static void test_rewritten_chain_caught_by_heads(Fixture *f, gconstpointer data)
{
  append_rows(f, 50, 50);
  sign(f);
  rewrite_chain(f, "");
  g_autoptr(HwAuditVerifyResult) r = verify(f, 0);
  dump_problems(r);
  g_assert_false(r->ok);
  g_assert_true(
      has_problem(r, "signed head at row 50: the row's hash is no longer the signed one"));
}

static void test_rewritten_chain_resigned_without_key(Fixture *f, gconstpointer data)
{
  append_rows(f, 50, 50);
  sign(f);
  /* The attacker signs the new head with a key of their own… */
  g_autofree char *other_path = g_build_filename(f->dir, "other.key", NULL);
  g_autoptr(GError) error = NULL;
  g_autoptr(HwKey) other = hw_key_load_or_create(other_path, NULL, &error);
  g_assert_no_error(error);
  rewrite_chain(f, "DELETE FROM audit_heads;");
  {
    g_autoptr(GError) e = NULL;
    g_assert_true(hw_audit_sign_head(f->store, other, &e));
  }
  g_autoptr(HwAuditVerifyResult) r = verify(f, 0);
  dump_problems(r);
  g_assert_false(r->ok);
  g_assert_true(has_problem(r, "signed head at row 50"));
  g_assert_true(has_problem(r, "signed by another key"));

  /* …or claims to be this appliance's key: the signature does not verify. */
  g_autofree char *sql =
      g_strdup_printf("UPDATE audit_heads SET public_key = '%s';", /* guards gone */
                      hw_key_public_hex(f->key));
  g_autofree char *err = tamper(f, sql);
  g_assert_null(err);
  g_autoptr(HwAuditVerifyResult) r2 = verify(f, 0);
  dump_problems(r2);
  g_assert_false(r2->ok);
  g_assert_true(has_problem(r2, "the signature does not verify (forged or altered?)"));
}

static void test_heads_removed_leave_old_unsigned_tail(Fixture *f, gconstpointer data)
{
  append_rows(f, 20, 20);
  sign(f);
  g_autofree char *err = tamper(f, DROP_GUARDS " DELETE FROM audit_heads;");
  g_assert_null(err);
  /* Reported only, without an age limit… */
  g_autoptr(HwAuditVerifyResult) r = verify(f, 0);
  g_assert_true(r->ok);
  g_assert_cmpint(r->unsigned_rows, ==, 20);
  g_assert_cmpuint(r->notes->len, ==, 1);
  g_assert_true(g_str_has_prefix(r->notes->pdata[0], "unsigned tail: 20 rows since "));
  /* …a failure with one: the rows are an hour old and nobody signed them. */
  g_autoptr(HwAuditVerifyResult) r2 = verify(f, 11 * 60 * HW_NS_PER_S);
  dump_problems(r2);
  g_assert_false(r2->ok);
  g_assert_true(has_problem(r2, "unsigned tail: 20 rows since "));
}

static void test_recent_unsigned_tail_is_a_note(Fixture *f, gconstpointer data)
{
  append_rows(f, 10, 10);
  sign(f);
  HwAuditEvent ev = {
      .time_ns = T0 + INT64_C(3590) * HW_NS_PER_S, .actor = "alice", .action = "footage.view"};
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_store_audit_append(f->store, &ev, NULL, &error));
  g_autoptr(HwAuditVerifyResult) r = verify(f, 11 * 60 * HW_NS_PER_S);
  g_assert_true(r->ok);
  g_assert_cmpint(r->unsigned_rows, ==, 1);
  g_assert_cmpint(r->last_signed_seq, ==, 10);
}

static void test_sql_update_delete_refused(Fixture *f, gconstpointer data)
{
  append_rows(f, 5, 5);
  sign(f);
  const char *const refused[] = {
      "UPDATE audit_log SET actor = 'x' WHERE seq = 2",
      "DELETE FROM audit_log WHERE seq = 5",
      "DELETE FROM audit_log",
      "UPDATE audit_heads SET seq = 1",
      "DELETE FROM audit_heads",
  };
  for (size_t i = 0; i < G_N_ELEMENTS(refused); i++) {
    g_autofree char *err = tamper(f, refused[i]);
    g_assert_cmpstr(err, ==, "the audit log is append-only");
  }
  /* A row that does not extend the chain is refused too. */
  g_autofree char *err =
      tamper(f, "INSERT INTO audit_log VALUES (9, 0, 'x', '', '', 'a.b', '', '', '{}', "
                "'0000000000000000000000000000000000000000000000000000000000000000', "
                "'0000000000000000000000000000000000000000000000000000000000000000')");
  g_assert_nonnull(err);
  g_assert_true(strstr(err, "must extend the chain") != NULL);
  g_autoptr(HwAuditVerifyResult) r = verify(f, 0);
  g_assert_true(r->ok);
  g_assert_cmpint(r->rows, ==, 5);
}

static void test_append_checks_event(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  HwAuditEvent no_actor = {.action = "auth.login"};
  g_assert_false(hw_store_audit_append(f->store, &no_actor, NULL, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID);
  g_clear_error(&error);
  HwAuditEvent bad_json = {.actor = "a", .action = "auth.login", .detail = "{nope"};
  g_assert_false(hw_store_audit_append(f->store, &bad_json, NULL, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID);
  g_clear_error(&error);
  HwAuditEvent bad_action = {.actor = "a", .action = "Login!"};
  g_assert_false(hw_store_audit_append(f->store, &bad_action, NULL, &error));
  g_clear_error(&error);
  g_autofree char *longer = g_strnfill(128, 'a');
  HwAuditEvent too_long = {.actor = longer, .action = "auth.login"};
  g_assert_false(hw_store_audit_append(f->store, &too_long, NULL, &error));
  g_assert_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID);
  g_clear_error(&error);
  /* A failed event in a batch writes none of it. */
  HwAuditEvent batch[2] = {{.actor = "a", .action = "auth.login"}, bad_json};
  g_assert_false(hw_store_audit_append_many(f->store, batch, 2, NULL, &error));
  g_clear_error(&error);
  int64_t seq = -1;
  char hash[65];
  g_assert_true(hw_store_audit_head(f->store, &seq, hash, &error));
  g_assert_cmpint(seq, ==, 0);
  g_assert_cmpstr(hash, ==, HW_AUDIT_ZERO_HASH);
}

static void test_query_filters(Fixture *f, gconstpointer data)
{
  append_rows(f, 100, 25);
  g_autoptr(GError) error = NULL;
  struct {
    HwAuditFilter filter;
    size_t want;
    int64_t first_seq;
  } cases[] = {
      {{.limit = 0}, 100, 1},
      {{.actor = "bob"}, 34, 1},
      {{.action = "footage.view"}, 25, 2},
      {{.action = "auth."}, 25, 1},
      {{.action = "auth"}, 0, 0}, /* a prefix must end in '.' */
      {{.object_type = "camera", .object_id = "window-03"}, 14, 4},
      {{.after_seq = 90}, 10, 91},
      {{.after_seq = 10, .limit = 5}, 5, 11},
      {{.from_ns = T0 + 10 * HW_NS_PER_S, .to_ns = T0 + 20 * HW_NS_PER_S}, 10, 11},
      {{.actor = "bob", .action = "auth.login", .after_seq = 50}, 4, 61},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree HwAuditRow *rows = NULL;
    size_t n = 0;
    g_assert_true(hw_store_audit_query(f->store, &cases[i].filter, &rows, &n, &error));
    g_test_message("case %zu: %zu rows", i, n);
    g_assert_cmpuint(n, ==, cases[i].want);
    if (n > 0)
      g_assert_cmpint(rows[0].seq, ==, cases[i].first_seq);
    for (size_t j = 1; j < n; j++)
      g_assert_cmpint(rows[j].seq, >, rows[j - 1].seq);
  }
}

static void test_sign_head_skips_unchanged(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  sign(f); /* empty log: nothing to sign */
  g_autofree HwAuditHead *heads = NULL;
  size_t n = 0;
  g_assert_true(hw_store_audit_heads(f->store, &heads, &n, &error));
  g_assert_cmpuint(n, ==, 0);
  append_rows(f, 3, 3);
  sign(f);
  sign(f);
  g_clear_pointer(&heads, g_free);
  g_assert_true(hw_store_audit_heads(f->store, &heads, &n, &error));
  g_assert_cmpuint(n, ==, 1);
  g_assert_cmpint(heads[0].seq, ==, 3);
  g_assert_cmpstr(heads[0].public_key, ==, hw_key_public_hex(f->key));
  g_autofree char *msg =
      hw_audit_head_message(heads[0].seq, heads[0].head_hash, heads[0].signed_at_ns);
  g_assert_true(hw_key_verify(heads[0].public_key, msg, strlen(msg), heads[0].signature));
  g_assert_false(hw_key_verify(heads[0].public_key, msg, strlen(msg) - 1, heads[0].signature));
}

static gpointer record_50(gpointer audit)
{
  for (int i = 0; i < 50; i++) {
    g_autoptr(GError) error = NULL;
    g_autofree char *id = g_strdup_printf("%d", i);
    g_assert_true(hw_audit_record(audit, "alice", "investigator", "198.51.100.4", "footage.view",
                                  "camera", id, "{\"from\":\"2026-03-03T08:00:00Z\"}", &error));
    g_assert_no_error(error);
  }
  return NULL;
}

/* hw_audit_record from four threads at once: every row lands, and the chain stays one chain. */
static void test_record_helper_threads(Fixture *f, gconstpointer data)
{
  g_autoptr(HwAudit) audit = hw_audit_new(f->store);
  GThread *threads[4];
  for (int i = 0; i < 4; i++)
    threads[i] = g_thread_new("audit", record_50, audit);
  for (int i = 0; i < 4; i++)
    g_thread_join(threads[i]);
  sign(f);
  HwAuditVerifyOptions opt = {.public_key_hex = hw_key_public_hex(f->key), .now_ns = hw_time_now()};
  g_autoptr(GError) error = NULL;
  g_autoptr(HwAuditVerifyResult) r = hw_audit_verify(f->store, &opt, &error);
  g_assert_no_error(error);
  g_assert_true(r->ok);
  g_assert_cmpint(r->rows, ==, 200);
}

/* ---- the key --------------------------------------------------------------------------------- */

static void test_key_file_private_and_stable(Fixture *f, gconstpointer data)
{
  struct stat st;
  g_assert_cmpint(g_stat(f->key_path, &st), ==, 0);
  g_assert_cmpint(st.st_mode & 0777, ==, 0600);
  g_autofree char *pub = g_strdup(hw_key_public_hex(f->key));
  g_assert_cmpuint(strlen(pub), ==, 64);

  /* A restart loads the same key instead of making another. */
  g_autoptr(GError) error = NULL;
  bool created = true;
  g_autoptr(HwKey) again = hw_key_load_or_create(f->key_path, &created, &error);
  g_assert_no_error(error);
  g_assert_false(created);
  g_assert_cmpstr(hw_key_public_hex(again), ==, pub);

  /* No temporary file left next to it. */
  g_autoptr(GDir) dir = g_dir_open(f->dir, 0, NULL);
  const char *name;
  while ((name = g_dir_read_name(dir)) != NULL)
    g_assert_false(strstr(name, ".tmp-") != NULL);

  /* A key others may read is refused; so is a file that is not a key. */
  g_assert_cmpint(g_chmod(f->key_path, 0644), ==, 0);
  g_autoptr(HwKey) exposed = hw_key_load(f->key_path, &error);
  g_assert_null(exposed);
  g_assert_error(error, HW_KEY_ERROR, HW_KEY_ERROR_MODE);
  g_clear_error(&error);
  g_autofree char *junk = g_build_filename(f->dir, "junk.key", NULL);
  g_assert_true(g_file_set_contents(junk, "hello\n", -1, NULL));
  g_assert_cmpint(g_chmod(junk, 0600), ==, 0);
  g_autoptr(HwKey) bad = hw_key_load(junk, &error);
  g_assert_null(bad);
  g_assert_error(error, HW_KEY_ERROR, HW_KEY_ERROR_FORMAT);
  g_clear_error(&error);
  g_autofree char *none = g_build_filename(f->dir, "none.key", NULL);
  g_autoptr(HwKey) missing = hw_key_load(none, &error);
  g_assert_error(error, HW_KEY_ERROR, HW_KEY_ERROR_MISSING);
}

/* ---- hallwatchd audit ------------------------------------------------------------------------ */

static int run_cli(const char *const *args, char **ret_out)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *err = NULL;
  int status = 0;
  g_assert_true(g_spawn_sync(NULL, (char **)args, NULL, G_SPAWN_DEFAULT, NULL, NULL, ret_out, &err,
                             &status, &error));
  g_assert_no_error(error);
  g_test_message("%s %s %s: %s%s", args[1], args[2], args[3] ? args[3] : "",
                 ret_out && *ret_out ? *ret_out : "", err);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

static void test_cli_exit_codes(Fixture *f, gconstpointer data)
{
  /* Recent rows, so that the default unsigned-tail age (11 min) does not apply to them. */
  HwAuditEvent ev = {.time_ns = hw_time_now(), .actor = "alice", .action = "footage.view"};
  g_autoptr(GError) error = NULL;
  for (int i = 0; i < 10; i++)
    g_assert_true(hw_store_audit_append(f->store, &ev, NULL, &error));
  sign(f);

  g_autofree char *out = NULL;
  const char *verify_args[] = {HW_HALLWATCHD, "audit", "verify", "--database", f->db, NULL};
  g_assert_cmpint(run_cli(verify_args, &out), ==, 0);
  g_assert_true(strstr(out, "OK\n") != NULL);
  g_clear_pointer(&out, g_free);

  const char *pub_args[] = {HW_HALLWATCHD, "audit", "pubkey", "--database", f->db, NULL};
  g_assert_cmpint(run_cli(pub_args, &out), ==, 0);
  g_autofree char *want = g_strconcat(hw_key_public_hex(f->key), "\n", NULL);
  g_assert_cmpstr(out, ==, want);
  g_clear_pointer(&out, g_free);

  const char *bad_args[] = {HW_HALLWATCHD, "audit", "frobnicate", NULL};
  g_assert_cmpint(run_cli(bad_args, NULL), ==, 2);
  g_autofree char *nodb = g_build_filename(f->dir, "none.db", NULL);
  const char *nodb_args[] = {
      HW_HALLWATCHD, "audit", "verify", "--database", nodb, "--pubkey", hw_key_public_hex(f->key),
      NULL};
  g_assert_cmpint(run_cli(nodb_args, NULL), ==, 2);

  g_autofree char *err =
      tamper(f, "DROP TRIGGER audit_log_no_update; UPDATE audit_log SET actor = 'eve' "
                "WHERE seq = 7");
  g_assert_null(err);
  g_assert_cmpint(run_cli(verify_args, &out), ==, 1);
  g_assert_true(strstr(out, "row 7: hash does not match its content (edited?)\n") != NULL);
  g_assert_true(strstr(out, "FAILED\n") != NULL);
  g_clear_pointer(&out, g_free);

  const char *json_args[] = {HW_HALLWATCHD, "audit", "verify", "--json", "--database", f->db, NULL};
  g_assert_cmpint(run_cli(json_args, &out), ==, 1);
  g_assert_true(g_str_has_prefix(out, "{\"ok\":false,"));
  g_assert_true(strstr(out, "\"first_bad_seq\":7") != NULL);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define T(name, fn) g_test_add("/audit/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  T("append-1000-verifies", test_append_1000_verifies);
  T("chain-links-rows", test_chain_links_rows);
  T("edited-row-named", test_edited_row_named);
  T("edited-row-rehashed-named", test_edited_row_rehashed_named);
  T("deleted-row-named", test_deleted_row_named);
  T("truncated-tail-cut", test_truncated_tail_cut);
  T("rewritten-chain-caught-by-heads", test_rewritten_chain_caught_by_heads);
  T("rewritten-chain-resigned-without-key", test_rewritten_chain_resigned_without_key);
  T("heads-removed-leave-old-unsigned-tail", test_heads_removed_leave_old_unsigned_tail);
  T("recent-unsigned-tail-is-a-note", test_recent_unsigned_tail_is_a_note);
  T("sql-update-delete-refused", test_sql_update_delete_refused);
  T("append-checks-event", test_append_checks_event);
  T("query-filters", test_query_filters);
  T("sign-head-skips-unchanged", test_sign_head_skips_unchanged);
  T("record-helper-threads", test_record_helper_threads);
  T("key-file-private-and-stable", test_key_file_private_and_stable);
  T("cli-exit-codes", test_cli_exit_codes);
  return g_test_run();
}
