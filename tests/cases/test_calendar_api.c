/* The working-day calendar end to end, against a real hallwatchd over HTTP on loopback: the
 * shipped 2025-2026 holidays are there after the first start, supervisors read and admins change
 * them (PUT, DELETE, import all or nothing), other roles are refused, bad input names the field or
 * the line, every change is an audit row, and `hallwatchd calendar import|list` work on the same
 * database while the daemon runs. */
#include <gio/gio.h>
#include <jansson.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "tests/capture/harness.h"

typedef struct {
  char *cookie, *csrf;
} Session;

typedef struct {
  int status;
  json_t *json; /* NULL if the body is not JSON */
} Resp;

static void resp_clear(Resp *r)
{
  json_decref(r->json);
  r->json = NULL;
}

/* One request over a fresh connection; body is JSON text or NULL. */
static Resp http(int port, const char *method, const char *path, const Session *s, const char *body,
                 char **ret_cookie)
{
  Resp r = {0};
  g_autoptr(GString) req = g_string_new(NULL);
  g_string_append_printf(req, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n", method,
                         path);
  if (s != NULL)
    g_string_append_printf(req, "Cookie: hw_session=%s\r\nX-CSRF-Token: %s\r\n", s->cookie,
                           s->csrf);
  if (body != NULL)
    g_string_append_printf(req, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                           strlen(body));
  g_string_append_printf(req, "\r\n%s", body ? body : "");
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_socket_client_set_timeout(client, 10);
  g_autoptr(GSocketConnection) conn =
      g_socket_client_connect_to_host(client, "127.0.0.1", (guint16)port, NULL, NULL);
  if (conn == NULL)
    return r;
  g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)), req->str, req->len,
                            NULL, NULL, NULL);
  g_autoptr(GByteArray) buf = g_byte_array_new();
  guint8 chunk[4096];
  gssize got;
  while ((got = g_input_stream_read(g_io_stream_get_input_stream(G_IO_STREAM(conn)), chunk,
                                    sizeof chunk, NULL, NULL)) > 0)
    g_byte_array_append(buf, chunk, (guint)got);
  g_byte_array_append(buf, (const guint8 *)"", 1);
  const char *text = (const char *)buf->data;
  const char *sep = strstr(text, "\r\n\r\n");
  if (strlen(text) < 12 || sep == NULL)
    return r;
  r.status = atoi(text + 9);
  r.json = json_loads(sep + 4, 0, NULL);
  const char *ck = g_strstr_len(text, sep - text, "Set-Cookie: hw_session=");
  if (ret_cookie != NULL && ck != NULL)
    *ret_cookie = g_strndup(ck + 23, strcspn(ck + 23, ";\r\n"));
  return r;
}

static bool sign_in(int port, const char *user, const char *pw, Session *s)
{
  g_autofree char *body = g_strdup_printf("{\"username\":\"%s\",\"password\":\"%s\"}", user, pw);
  Resp r = http(port, "POST", "/api/v1/auth/login", NULL, body, &s->cookie);
  s->csrf = g_strdup(json_string_value(json_object_get(r.json, "csrf_token")));
  resp_clear(&r);
  return r.status == 200 && s->cookie != NULL && s->csrf != NULL;
}

static const char *error_field(const Resp *r)
{
  return json_string_value(json_object_get(json_object_get(r->json, "error"), "field"));
}

static const char *error_message(const Resp *r)
{
  const char *m = json_string_value(json_object_get(json_object_get(r->json, "error"), "message"));
  return m ? m : "";
}

/* The entry of `date` in a list response, NULL if absent. */
static json_t *find_day(const Resp *r, const char *date)
{
  json_t *days = json_object_get(r->json, "days"), *d;
  size_t i;
  json_array_foreach(days, i, d)
  {
    if (g_strcmp0(json_string_value(json_object_get(d, "date")), date) == 0)
      return d;
  }
  return NULL;
}

static int64_t audit_rows(Hx *hx, const char *action, const char *actor)
{
  sqlite3 *db = hx_db_open(hx);
  g_autofree char *sql = g_strdup_printf(
      "SELECT count(*) FROM audit_log WHERE action = '%s' AND actor = '%s'", action, actor);
  int64_t n = hx_db_int(db, sql);
  sqlite3_close(db);
  return n;
}

int main(void)
{
  Hx *hx = hx_new("calendar-api");
  hx_write_config(hx, NULL, "");
  g_autofree char *pw_admin = hx_add_user(hx, "adm", "admin", NULL);
  g_autofree char *pw_sup = hx_add_user(hx, "sup", "supervisor", NULL);
  g_autofree char *pw_mgr = hx_add_user(hx, "mgr", "hall_manager", NULL);
  HX_REQUIRE(pw_admin && pw_sup && pw_mgr, "cannot add the users");
  HX_REQUIRE(hx_start(hx), "hallwatchd does not start");
  int port = hx->http_port, status = 0;
  for (int i = 0; i < 200 && status != 200; i++) {
    g_free(hx_http_get(port, "/healthz", &status));
    if (status != 200)
      hx_sleep_ms(50);
  }
  HX_REQUIRE(status == 200, "hallwatchd does not answer /healthz");
  Session adm = {0}, sup = {0}, mgr = {0};
  HX_REQUIRE(sign_in(port, "adm", pw_admin, &adm) && sign_in(port, "sup", pw_sup, &sup) &&
                 sign_in(port, "mgr", pw_mgr, &mgr),
             "sign-in failed");

  /* The shipped holidays after the first start, read by a supervisor. */
  Resp r = http(port, "GET", "/api/v1/calendar?year=2026", &sup, NULL, NULL);
  HX_CHECK(r.status == 200, "supervisor GET calendar: %d", r.status);
  HX_CHECK(json_array_size(json_object_get(r.json, "days")) == 39, "2026 has %zu entries, not 39",
           json_array_size(json_object_get(r.json, "days")));
  json_t *sat = find_day(&r, "2026-02-14");
  HX_CHECK(sat && g_strcmp0(json_string_value(json_object_get(sat, "kind")), "workday") == 0 &&
               json_integer_value(json_object_get(sat, "weekday")) == 6 &&
               g_strcmp0(json_string_value(json_object_get(sat, "name")), "春节调休上班") == 0,
           "2026-02-14 is not the make-up working Saturday");
  for (int d = 15; d <= 23; d++) {
    g_autofree char *date = g_strdup_printf("2026-02-%02d", d);
    json_t *e = find_day(&r, date);
    HX_CHECK(e && g_strcmp0(json_string_value(json_object_get(e, "kind")), "holiday") == 0,
             "%s is not a Spring Festival holiday", date);
  }
  resp_clear(&r);
  r = http(port, "GET", "/api/v1/calendar?year=2025", &sup, NULL, NULL);
  HX_CHECK(find_day(&r, "2025-10-08") && find_day(&r, "2025-10-11") && find_day(&r, "2025-09-28"),
           "2025 National Day entries missing");
  resp_clear(&r);
  HX_CHECK(audit_rows(hx, "calendar.seed", "system") == 1, "no calendar.seed audit row");
  r = http(port, "GET", "/api/v1/calendar?year=1900", &sup, NULL, NULL);
  HX_CHECK(r.status == 400 && g_strcmp0(error_field(&r), "year") == 0, "year=1900: %d", r.status);
  resp_clear(&r);

  /* Who may do what. */
  r = http(port, "GET", "/api/v1/calendar", &mgr, NULL, NULL);
  HX_CHECK(r.status == 403, "hall manager GET calendar: %d", r.status);
  resp_clear(&r);
  r = http(port, "PUT", "/api/v1/calendar/2026-12-31", &sup, "{\"kind\":\"holiday\"}", NULL);
  HX_CHECK(r.status == 403, "supervisor PUT: %d", r.status);
  resp_clear(&r);
  r = http(port, "POST", "/api/v1/calendar/import", &sup, "{\"text\":\"\"}", NULL);
  HX_CHECK(r.status == 403, "supervisor import: %d", r.status);
  resp_clear(&r);

  /* PUT: 201 new, 200 replaced; bad input names its field. */
  r = http(port, "PUT", "/api/v1/calendar/2026-12-31", &adm,
           "{\"kind\":\"holiday\",\"name\":\"测试\"}", NULL);
  HX_CHECK(r.status == 201, "PUT new: %d", r.status);
  resp_clear(&r);
  r = http(port, "PUT", "/api/v1/calendar/2026-12-31", &adm,
           "{\"kind\":\"holiday\",\"name\":\"跨年\"}", NULL);
  HX_CHECK(r.status == 200 &&
               g_strcmp0(json_string_value(json_object_get(r.json, "name")), "跨年") == 0,
           "PUT replace: %d", r.status);
  resp_clear(&r);
  static const struct {
    const char *path, *body, *field;
  } bad[] = {
      {"/api/v1/calendar/2026-02-30", "{\"kind\":\"holiday\"}", "date"},
      {"/api/v1/calendar/tomorrow", "{\"kind\":\"holiday\"}", "date"},
      {"/api/v1/calendar/2026-12-30", "{\"kind\":\"nap\"}", "kind"},
      {"/api/v1/calendar/2026-12-30", "{\"name\":\"x\"}", "kind"},
      {"/api/v1/calendar/2026-12-30", "{\"kind\":\"holiday\",\"colour\":1}", "colour"},
      {"/api/v1/calendar/2026-12-30", "{\"kind\":\"holiday\",\"name\":\"a\\nb\"}", "name"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    r = http(port, "PUT", bad[i].path, &adm, bad[i].body, NULL);
    HX_CHECK(r.status == 400 && g_strcmp0(error_field(&r), bad[i].field) == 0,
             "PUT %s %s: %d field %s", bad[i].path, bad[i].body, r.status, error_field(&r));
    resp_clear(&r);
  }

  /* DELETE: 200, then 404. */
  r = http(port, "DELETE", "/api/v1/calendar/2026-12-31", &adm, NULL, NULL);
  HX_CHECK(r.status == 200, "DELETE: %d", r.status);
  resp_clear(&r);
  r = http(port, "DELETE", "/api/v1/calendar/2026-12-31", &adm, NULL, NULL);
  HX_CHECK(r.status == 404, "DELETE again: %d", r.status);
  resp_clear(&r);

  /* Import: a bad line stores nothing and is named; a good file stores all; replace_years. */
  r = http(port, "POST", "/api/v1/calendar/import", &adm,
           "{\"text\":\"2027-01-01 holiday 元旦\\n2027-13-01 holiday x\\n\"}", NULL);
  HX_CHECK(r.status == 400 && g_strcmp0(error_field(&r), "/text") == 0 &&
               strstr(error_message(&r), "line 2") != NULL,
           "bad import: %d %s", r.status, error_message(&r));
  resp_clear(&r);
  r = http(port, "GET", "/api/v1/calendar?year=2027", &adm, NULL, NULL);
  HX_CHECK(json_array_size(json_object_get(r.json, "days")) == 0, "a failed import left rows");
  resp_clear(&r);
  r = http(port, "POST", "/api/v1/calendar/import", &adm,
           "{\"text\":\"# 2027\\n2027-01-01 holiday 元旦\\n2027-02-06 workday 春节调休上班\\n\"}",
           NULL);
  HX_CHECK(r.status == 200 && json_integer_value(json_object_get(r.json, "imported")) == 2,
           "import: %d", r.status);
  resp_clear(&r);
  r = http(port, "POST", "/api/v1/calendar/import", &adm,
           "{\"text\":\"2025-01-01 holiday 元旦\\n\",\"replace_years\":true}", NULL);
  HX_CHECK(r.status == 200, "import replace: %d", r.status);
  resp_clear(&r);
  r = http(port, "GET", "/api/v1/calendar?year=2025", &adm, NULL, NULL);
  HX_CHECK(json_array_size(json_object_get(r.json, "days")) == 1, "2025 not replaced: %zu",
           json_array_size(json_object_get(r.json, "days")));
  resp_clear(&r);
  r = http(port, "GET", "/api/v1/calendar?year=2026", &adm, NULL, NULL);
  HX_CHECK(json_array_size(json_object_get(r.json, "days")) == 39, "2026 touched by replace");
  resp_clear(&r);

  /* Every change is one audit row by the admin; refused and failed ones none. */
  HX_CHECK(audit_rows(hx, "calendar.set", "adm") == 2, "calendar.set rows: %" G_GINT64_FORMAT,
           audit_rows(hx, "calendar.set", "adm"));
  HX_CHECK(audit_rows(hx, "calendar.delete", "adm") == 1, "calendar.delete rows");
  HX_CHECK(audit_rows(hx, "calendar.import", "adm") == 2, "calendar.import rows");
  HX_CHECK(audit_rows(hx, "calendar.set", "sup") == 0, "a refused change was audited");

  /* The command line on the same database, daemon running. */
  g_autofree char *bad_file = g_build_filename(hx->dir, "bad.txt", NULL);
  g_autofree char *good_file = g_build_filename(hx->dir, "good.txt", NULL);
  g_file_set_contents(bad_file, "2028-01-01 holiday 元旦\n2028-01-01 workday x\n", -1, NULL);
  g_file_set_contents(good_file, "2028-01-01 holiday 元旦\n2028-01-29 workday 调休\n", -1, NULL);
  const char *imp_bad[] = {HW_HALLWATCHD, "calendar", "import", bad_file,
                           "--config",    hx->conf,   NULL};
  g_autofree char *out = NULL;
  int rc = hx_run_sync(imp_bad, &out, 30000);
  HX_CHECK(rc == 1 && strstr(out, "line 2: 2028-01-01 is given twice (first on line 1)"),
           "calendar import of a bad file: rc %d, %s", rc, out);
  g_clear_pointer(&out, g_free);
  const char *imp_good[] = {HW_HALLWATCHD, "calendar", "import", good_file,
                            "--config",    hx->conf,   NULL};
  rc = hx_run_sync(imp_good, &out, 30000);
  HX_CHECK(rc == 0 && strstr(out, "imported 2 dates (2028)"), "calendar import: rc %d, %s", rc,
           out);
  g_clear_pointer(&out, g_free);
  const char *list[] = {HW_HALLWATCHD, "calendar", "list", "2028", "--config", hx->conf, NULL};
  rc = hx_run_sync(list, &out, 30000);
  HX_CHECK(rc == 0 && strstr(out, "2028-01-29  周六  workday  调休"), "calendar list: rc %d, %s",
           rc, out);
  g_clear_pointer(&out, g_free);
  r = http(port, "GET", "/api/v1/calendar?year=2028", &sup, NULL, NULL);
  HX_CHECK(json_array_size(json_object_get(r.json, "days")) == 2, "the API does not see 2028");
  resp_clear(&r);
  g_autofree char *actor = g_strdup_printf("cli:%s", g_get_user_name());
  HX_CHECK(audit_rows(hx, "calendar.import", actor) == 1, "no audit row for the CLI import");

  hx_signal(hx, SIGTERM);
  HX_CHECK(hx_wait_exit(hx, 20000), "hallwatchd does not stop");
  HX_CHECK(WIFEXITED(hx->last_status) && WEXITSTATUS(hx->last_status) == 0,
           "hallwatchd exited with status %d (see %s)", hx->last_status, hx->log);
  Session *sessions[] = {&adm, &sup, &mgr};
  for (size_t i = 0; i < G_N_ELEMENTS(sessions); i++) {
    g_free(sessions[i]->cookie);
    g_free(sessions[i]->csrf);
  }
  int failures = hx_failures;
  hx_free(hx);
  printf("%s\n", failures ? "FAILED" : "OK");
  return failures ? 1 : 0;
}
