/* Settings changed over the API in a real hallwatchd (docs/settings.md): PATCH /api/v1/settings
 * changes what the warnings engine raises for the next case and what the retention loop deletes,
 * a bad value is 400 naming the key with nothing changed, other roles and hall-limited admins are
 * refused, every change is one audit row, a key set to null returns to the file's value, and a
 * restart keeps the interface's values over the file's. */
#include <jansson.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "sql/hw_store.h"
#include "sql/hw_store_auth.h"
#include "tests/capture/harness.h"
#include "web/hw_auth.h"

#define DEPT "440303-MZJ"

static gint by_text(gconstpointer a, gconstpointer b)
{
  return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

static bool wait_healthy(Hx *hx)
{
  int status = 0;
  for (int i = 0; i < 200 && status != 200; i++) {
    g_free(hx_http_get(hx->http_port, "/healthz", &status));
    if (status != 200)
      hx_sleep_ms(50);
  }
  return status == 200;
}

/* PATCH /api/v1/settings; the parsed answer (json_decref) and *ret_status. */
static json_t *patch(int port, const char *cookie, const char *body, int *ret_status)
{
  *ret_status = 0;
  g_autofree char *resp = hx_http_send(port, "PATCH", "/api/v1/settings", cookie, body, ret_status);
  return resp ? json_loads(resp, 0, NULL) : NULL;
}

/* The entry of name in a GET/PATCH answer (borrowed). */
static json_t *entry(json_t *answer, const char *name)
{
  json_t *list = json_object_get(answer, "settings");
  for (size_t i = 0; i < json_array_size(list); i++)
    if (g_strcmp0(json_string_value(json_object_get(json_array_get(list, i), "name")), name) == 0)
      return json_array_get(list, i);
  return NULL;
}

static const char *field(json_t *answer, const char *name, const char *key)
{
  const char *s = json_string_value(json_object_get(entry(answer, name), key));
  return s ? s : "(none)";
}

static json_t *get_settings(int port, const char *cookie, int *ret_status)
{
  g_autofree char *resp = hx_http_send(port, "GET", "/api/v1/settings", cookie, NULL, ret_status);
  return resp ? json_loads(resp, 0, NULL) : NULL;
}

/* The rules of the open warnings of case_number, sorted, joined by spaces (via the supervisor's
 * GET /api/v1/warnings). */
static char *case_rules(int port, const char *case_number)
{
  int status = 0;
  g_autofree char *body = hx_http_get(port, "/api/v1/warnings", &status);
  json_t *j = body && status == 200 ? json_loads(body, 0, NULL) : NULL;
  json_t *list = json_object_get(j, "warnings");
  g_autoptr(GPtrArray) rules = g_ptr_array_new_with_free_func(g_free);
  for (size_t i = 0; i < json_array_size(list); i++) {
    json_t *w = json_array_get(list, i);
    if (g_strcmp0(json_string_value(json_object_get(w, "case_number")), case_number) == 0)
      g_ptr_array_add(rules, g_strdup(json_string_value(json_object_get(w, "rule"))));
  }
  g_ptr_array_sort(rules, by_text);
  g_ptr_array_add(rules, NULL);
  char *out = g_strjoinv(" ", (char **)rules->pdata);
  json_decref(j);
  return out;
}

/* Waits for the daemon to log that it applied the n-th change (the apply runs on its main loop
 * right after the PATCH commits). */
static bool wait_applied(Hx *hx, int n)
{
  for (int i = 0; i < 200; i++) {
    g_autofree char *log = NULL;
    g_file_get_contents(hx->log, &log, NULL, NULL);
    int seen = 0;
    for (const char *p = log; p && (p = strstr(p, "settings: the interface's")) != NULL; p++)
      seen++;
    if (seen >= n)
      return true;
    hx_sleep_ms(50);
  }
  return false;
}

static char *post_case(int port, const char *auth, const char *number)
{
  /* accepted in January with 5/10 working days: past both limits; its fee above the standard */
  g_autofree char *batch = g_strdup_printf(
      "{\"records\":[{\"type\":\"case\",\"department\":\"" DEPT "\",\"case_number\":\"%s\","
      "\"version\":1,\"item_code\":\"ITEM1\",\"item_name\":\"社会团体成立登记\","
      "\"applicant_type\":\"company\",\"applicant_name\":\"某协会\",\"hall\":\"LH-01\","
      "\"window\":\"W07\",\"accepted_at\":\"2026-01-05T10:00:00+08:00\",\"acceptance\":"
      "\"accepted\",\"statutory_limit\":10,\"statutory_limit_unit\":\"working_days\","
      "\"promised_limit\":5,\"promised_limit_unit\":\"working_days\",\"fee_charged_fen\":200,"
      "\"fee_standard_fen\":100,\"secrecy\":\"none\"}]}",
      number);
  int status = 0;
  g_autofree char *answer = hx_http_post(port, "/api/v1/exchange/batch", auth, batch, &status);
  HX_CHECK(status == 200, "batch %s: %d %s", number, status, answer ? answer : "");
  return case_rules(port, number);
}

int main(void)
{
  Hx *hx = hx_new("settings");
  HxOptions o = {.retention_interval = "1h"}; /* only a change runs it early */
  hx_write_config(hx, &o, "[warnings]\nnear_days = 2\n");
  g_autoptr(GError) error = NULL;
  g_autofree char *token = hw_auth_token_new("hwt_");
  {
    HwStore *store = hw_store_open(hx->db, &error);
    HX_REQUIRE(store != NULL, "store: %s", error ? error->message : "");
    char hash[65];
    hw_auth_token_hash(token, hash);
    HX_REQUIRE(
        hw_store_token_add(store, DEPT, "approval system", hash, hw_time_now(), NULL, &error),
        "token: %s", error ? error->message : "");
    hw_store_close(store);
  }
  g_autofree char *admin_pw = hx_add_user(hx, "root", "admin", NULL);
  g_autofree char *hall_pw = hx_add_user(hx, "halladmin", "admin", "LH-01");
  g_autofree char *sup_pw = hx_add_user(hx, "sup", "supervisor", NULL);
  HX_REQUIRE(admin_pw && hall_pw && sup_pw, "cannot add the users");
  HX_REQUIRE(hx_start(hx) && wait_healthy(hx), "hallwatchd does not start (see %s)", hx->log);
  int port = hx->http_port;
  g_autofree char *admin = hx_sign_in(port, "root", admin_pw);
  g_autofree char *hall_admin = hx_sign_in(port, "halladmin", hall_pw);
  g_autofree char *sup = hx_sign_in(port, "sup", sup_pw);
  HX_REQUIRE(admin && hall_admin && sup, "cannot sign in");
  g_autofree char *auth = g_strdup_printf("Authorization: Bearer %s\r\n", token);

  /* every editable key with its source */
  int status = 0;
  json_t *s = get_settings(port, admin, &status);
  HX_CHECK(status == 200, "GET /api/v1/settings as admin: %d", status);
  HX_CHECK(json_array_size(json_object_get(s, "settings")) == 16, "16 editable keys, got %zu",
           json_array_size(json_object_get(s, "settings")));
  HX_CHECK(strcmp(field(s, "warnings.near_days", "value"), "2") == 0 &&
               strcmp(field(s, "warnings.near_days", "source"), "config") == 0,
           "near_days: %s from %s, expected 2 from the config file",
           field(s, "warnings.near_days", "value"), field(s, "warnings.near_days", "source"));
  HX_CHECK(strcmp(field(s, "warnings.fee_above_standard", "source"), "default") == 0 &&
               strcmp(field(s, "warnings.near_share", "value"), "2/3") == 0 &&
               strcmp(field(s, "retention.min_free", "value"), "0") == 0,
           "defaults: fee_above_standard from %s, near_share %s, min_free %s",
           field(s, "warnings.fee_above_standard", "source"),
           field(s, "warnings.near_share", "value"), field(s, "retention.min_free", "value"));
  json_decref(s);

  /* who may: supervisors no (role), hall-limited admins may read but not change */
  json_decref(get_settings(port, sup, &status));
  HX_CHECK(status == 403, "GET as supervisor: %d, expected 403", status);
  json_decref(patch(port, sup, "{\"warnings\":{\"near_days\":3}}", &status));
  HX_CHECK(status == 403, "PATCH as supervisor: %d, expected 403", status);
  json_decref(patch(port, hall_admin, "{\"warnings\":{\"near_days\":3}}", &status));
  HX_CHECK(status == 403, "PATCH as a hall-limited admin: %d, expected 403", status);

  /* bad values: 400 naming the key, nothing changed (the good key of the same body neither) */
  const struct {
    const char *body, *field;
  } bad[] = {
      {"{\"retention\":{\"days\":5},\"warnings\":{\"near_days\":400}}", "warnings.near_days"},
      {"{\"warnings\":{\"near_share\":\"3/2\"}}", "warnings.near_share"},
      {"{\"warnings\":{\"fee_above_standard\":\"maybe\"}}", "warnings.fee_above_standard"},
      {"{\"retention\":{\"bytes\":\"12X\"}}", "retention.bytes"},
      {"{\"retention\":{\"interval\":\"1s\"}}", "retention.interval"},
      {"{\"warnings\":{\"hold_pre\":\"2h\"}}", "warnings.hold_pre"},
      {"{\"recording\":{\"file_span\":\"1s\"}}", "recording"},
      {"{\"retention\":{\"days\":[1]}}", "retention.days"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    json_t *a = patch(port, admin, bad[i].body, &status);
    const char *f = json_string_value(json_object_get(json_object_get(a, "error"), "field"));
    HX_CHECK(status == 400 && g_strcmp0(f, bad[i].field) == 0,
             "PATCH %s: %d field %s, expected 400 naming %s", bad[i].body, status,
             f ? f : "(none)", bad[i].field);
    json_decref(a);
  }
  s = get_settings(port, admin, &status);
  HX_CHECK(strcmp(field(s, "retention.days", "value"), "0") == 0 &&
               strcmp(field(s, "retention.days", "source"), "config") == 0 &&
               json_is_null(json_object_get(entry(s, "retention.days"), "updated_by")),
           "after refused changes retention.days is %s from %s",
           field(s, "retention.days", "value"), field(s, "retention.days", "source"));
  json_decref(s);

  /* fee_above_standard off: a new case with its fee above the standard raises no red warning */
  json_t *a = patch(port, admin, "{\"warnings\":{\"fee_above_standard\":false}}", &status);
  HX_CHECK(status == 200 && strcmp(field(a, "warnings.fee_above_standard", "value"), "false") == 0 &&
               strcmp(field(a, "warnings.fee_above_standard", "source"), "interface") == 0 &&
               strcmp(field(a, "warnings.fee_above_standard", "updated_by"), "root") == 0,
           "PATCH fee_above_standard=false: %d, value %s from %s", status,
           field(a, "warnings.fee_above_standard", "value"),
           field(a, "warnings.fee_above_standard", "source"));
  json_decref(a);
  HX_REQUIRE(wait_applied(hx, 1), "the daemon never applied the change (see %s)", hx->log);
  g_autofree char *d1 = post_case(port, auth, "D1");
  HX_CHECK(g_strcmp0(d1, "promised_late statutory_late") == 0,
           "D1 with fee_above_standard off: '%s'", d1 ? d1 : "(none)");

  /* back to the file's value (null): the rule is on again for the next case */
  a = patch(port, admin, "{\"warnings\":{\"fee_above_standard\":null}}", &status);
  HX_CHECK(status == 200 && strcmp(field(a, "warnings.fee_above_standard", "source"), "default") == 0,
           "PATCH fee_above_standard=null: %d, source %s", status,
           field(a, "warnings.fee_above_standard", "source"));
  json_decref(a);
  HX_REQUIRE(wait_applied(hx, 2), "the daemon never applied the change (see %s)", hx->log);
  g_autofree char *d2 = post_case(port, auth, "D2");
  HX_CHECK(g_strcmp0(d2, "fee_above_standard promised_late statutory_late") == 0,
           "D2 with fee_above_standard back on: '%s'", d2 ? d2 : "(none)");

  /* retention: a file that ended three days ago stays with days = 0 (the file's), and goes once
   * the interface sets days = 1 (the loop runs hourly here: only the change runs it now) */
  g_autofree char *old_dir = g_build_filename(hx->footage, "old", NULL);
  g_autofree char *old_file = g_build_filename(old_dir, "x.mp4", NULL);
  g_mkdir_with_parents(old_dir, 0700);
  HX_REQUIRE(g_file_set_contents(old_file, "not really footage", -1, NULL), "cannot write %s",
             old_file);
  int64_t end = hw_time_now() - INT64_C(3) * 86400 * HW_NS_PER_S;
  g_autofree char *ins = g_strdup_printf(
      "INSERT OR IGNORE INTO cameras (id, source, created_ns) VALUES ('old', 'config', 1);"
      "INSERT INTO files (camera, stream, path, codec, width, height, start_ns, end_ns, size,"
      " closed, sha256, clock_mode, run_id) VALUES ('old', 'main', 'old/x.mp4', 'h264', 320, 240,"
      " %lld, %lld, 18, 1, printf('%%064d', 0), 'local', 1)",
      (long long)(end - 60 * HW_NS_PER_S), (long long)end);
  HX_REQUIRE(hx_db_exec(hx, ins), "cannot insert the old file's row");
  a = patch(port, admin, "{\"retention\":{\"days\":\"1\"},\"warnings\":{\"near_days\":3}}",
            &status);
  HX_CHECK(status == 200 && strcmp(field(a, "retention.days", "value"), "1") == 0,
           "PATCH retention.days=1: %d", status);
  json_decref(a);
  /* the file goes first, then its row (capture/retention.c): wait for both */
  sqlite3 *db = hx_db_open(hx);
  bool gone = false;
  for (int i = 0; i < 100 && !gone; i++) {
    gone = !g_file_test(old_file, G_FILE_TEST_EXISTS) &&
           hx_db_int(db, "SELECT count(*) FROM files WHERE path = 'old/x.mp4'") == 0;
    if (!gone)
      hx_sleep_ms(100);
  }
  HX_CHECK(gone, "retention.days=1 did not delete a file three days old (file and row) within 10 s");
  /* the dashboard's storage status shows the limit the recorder applies now, not the start value */
  g_autofree char *st = hx_http_send(port, "GET", "/api/v1/status/storage", admin, NULL, &status);
  json_t *storage = st != NULL ? json_loads(st, 0, NULL) : NULL;
  json_t *days = json_object_get(json_object_get(storage, "retention"), "days");
  HX_CHECK(status == 200 && json_is_integer(days) && json_integer_value(days) == 1,
           "status/storage after PATCH retention.days=1: %d %s", status, st ? st : "(none)");
  json_decref(storage);
  /* every change one audit row, the refused ones none */
  HX_CHECK(hx_db_int(db, "SELECT count(*) FROM audit_log WHERE action = 'settings.change'") == 3,
           "settings.change audit rows: %lld, expected 3",
           (long long)hx_db_int(db, "SELECT count(*) FROM audit_log WHERE action = 'settings.change'"));

  /* a restart keeps the interface's values over the file's */
  hx_signal(hx, SIGTERM);
  HX_CHECK(hx_wait_exit(hx, 20000), "hallwatchd does not stop");
  HX_REQUIRE(hx_start(hx) && wait_healthy(hx), "hallwatchd does not restart (see %s)", hx->log);
  g_free(admin);
  admin = hx_sign_in(hx->http_port, "root", admin_pw);
  s = get_settings(hx->http_port, admin, &status);
  HX_CHECK(status == 200 && strcmp(field(s, "retention.days", "value"), "1") == 0 &&
               strcmp(field(s, "retention.days", "source"), "interface") == 0 &&
               strcmp(field(s, "warnings.near_days", "value"), "3") == 0 &&
               strcmp(field(s, "warnings.near_days", "file_value"), "2") == 0,
           "after a restart: retention.days %s from %s, near_days %s (file %s)",
           field(s, "retention.days", "value"), field(s, "retention.days", "source"),
           field(s, "warnings.near_days", "value"), field(s, "warnings.near_days", "file_value"));
  json_decref(s);
  sqlite3_close(db);

  hx_signal(hx, SIGTERM);
  HX_CHECK(hx_wait_exit(hx, 20000), "hallwatchd does not stop");
  HX_CHECK(WIFEXITED(hx->last_status) && WEXITSTATUS(hx->last_status) == 0,
           "hallwatchd exited with status %d (see %s)", hx->last_status, hx->log);
  int failures = hx_failures;
  hx_free(hx);
  printf("%s\n", failures ? "FAILED" : "OK");
  return failures ? 1 : 0;
}
