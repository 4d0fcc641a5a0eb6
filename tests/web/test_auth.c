/* Tests of sign-in and permissions over real HTTP on loopback: the route × role walk generated
 * from web/routes.c's table, login, lock-out, cookies, expiry, sign-out, CSRF, API tokens, body
 * limits, the `hallwatchd user` command against the same database, and the audit rows of all of
 * these (who, from where, why; never a password or a token). */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>

#include "audit/hw_audit.h"
#include "common/hw_keys.h"
#include "sql/hw_store.h"
#include "sql/hw_store_auth.h"
#include "sql/hw_store_calendar.h"
#include "sql/hw_store_cases.h"
#include "sql/hw_store_warnings.h"
#include "media/hw_export_jobs.h"
#include "common/hw_secret.h"
#include "sql/hw_store_private.h"
#include "web/hw_auth.h"
#include "web/hw_cameras.h"
#include "web/hw_http.h"
#include "web/routes.h"

#define PASSWORD "correct horse battery"

/* ---- a minimal HTTP/1.1 client ---------------------------------------------------------------- */

typedef struct {
  int status;
  GHashTable *headers; /* lower-case name → value (the last one) */
  char *body;
} Response;

static void response_free(Response *r)
{
  g_hash_table_unref(r->headers);
  g_free(r->body);
  g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Response, response_free)

static Response *http_raw(int port, const char *raw, size_t raw_len)
{
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_socket_client_set_timeout(client, 10);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn =
    g_socket_client_connect_to_host(client, "127.0.0.1", (guint16)port, NULL, &error);
  g_assert_no_error(error);
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
  GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
  /* The server may answer (413) and close before it has read everything: ignore write errors. */
  g_output_stream_write_all(out, raw, raw_len, NULL, NULL, NULL);
  g_autoptr(GByteArray) buf = g_byte_array_new();
  guint8 chunk[4096];
  gssize got;
  while ((got = g_input_stream_read(in, chunk, sizeof chunk, NULL, NULL)) > 0)
    g_byte_array_append(buf, chunk, (guint)got);
  g_byte_array_append(buf, (const guint8 *)"", 1);
  const char *text = (const char *)buf->data;
  const char *sep = strstr(text, "\r\n\r\n");
  g_assert_nonnull(sep);
  Response *r = g_new0(Response, 1);
  r->headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *head = g_strndup(text, (gsize)(sep - text));
  g_auto(GStrv) lines = g_strsplit(head, "\r\n", -1);
  r->status = atoi(lines[0] + 9);
  for (int i = 1; lines[i]; i++) {
    char *colon = strchr(lines[i], ':');
    g_hash_table_insert(r->headers, g_ascii_strdown(lines[i], colon - lines[i]),
                        g_strstrip(g_strdup(colon + 1)));
  }
  r->body = g_strdup(sep + 4);
  return r;
}

/* One request. cookie: the hw_session value or NULL; csrf and bearer likewise; body JSON or NULL. */
static Response *http(int port, const char *method, const char *path, const char *cookie,
                      const char *csrf, const char *bearer, const char *body)
{
  g_autoptr(GString) raw = g_string_new(NULL);
  g_string_append_printf(raw, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n",
                         method, path);
  if (cookie)
    g_string_append_printf(raw, "Cookie: hw_session=%s\r\n", cookie);
  if (csrf)
    g_string_append_printf(raw, "X-CSRF-Token: %s\r\n", csrf);
  if (bearer)
    g_string_append_printf(raw, "Authorization: Bearer %s\r\n", bearer);
  if (body)
    g_string_append_printf(raw, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                           strlen(body));
  g_string_append(raw, "\r\n");
  if (body)
    g_string_append(raw, body);
  return http_raw(port, raw->str, raw->len);
}

static const char *header(const Response *r, const char *name)
{
  return g_hash_table_lookup(r->headers, name);
}

/* The error object's code and message (asserting the shape). */
static void assert_error(const Response *r, int status, const char *code, const char *message_part)
{
  g_assert_cmpint(r->status, ==, status);
  g_assert_cmpstr(header(r, "content-type"), ==, "application/json; charset=utf-8");
  json_t *o = json_loads(r->body, 0, NULL);
  g_assert_nonnull(o);
  json_t *e = json_object_get(o, "error");
  g_assert_true(json_is_object(e));
  g_assert_cmpstr(json_string_value(json_object_get(e, "code")), ==, code);
  const char *msg = json_string_value(json_object_get(e, "message"));
  g_assert_nonnull(msg);
  if (message_part && !strstr(msg, message_part))
    g_error("message \"%s\" lacks \"%s\"", msg, message_part);
  json_decref(o);
}

/* ---- fixture: a store, one user per role, a server ------------------------------------------- */

static HwCameraStatus *no_cameras(void *user, size_t *ret_n)
{
  *ret_n = 0;
  return NULL;
}

/* Camera management without a recorder: no config cameras, changes go nowhere. */
static HwCameraConfig **no_config_cameras(void *user)
{
  return g_new0(HwCameraConfig *, 1);
}

static void cameras_changed(void *user)
{
}

typedef struct {
  char *dir;
  char *db;
  HwStore *store;
  HwAudit *audit;
  HwSecret *secret;
  HwCameraHooks hooks;
  HwHttp *http;
  HwKey *key;            /* the appliance key, for the export worker */
  HwExportJobs *exports; /* the evidence export worker (its routes are walked too) */
  int port;
  int64_t user_ids[HW_ROLE_COUNT];
  int serial; /* makes names of test objects unique */
} Fixture;

static void start_server(Fixture *f, int64_t idle_ns, int lockout_after, size_t body_max)
{
  HwHttpOptions o;
  hw_http_options_init(&o);
  o.status_fn = no_cameras;
  o.store = f->store;
  o.audit = f->audit;
  o.cameras = &f->hooks;
  if (idle_ns)
    o.session_idle_ns = idle_ns;
  if (lockout_after)
    o.lockout_after = lockout_after;
  if (body_max)
    o.body_max = body_max;
  g_autoptr(GError) error = NULL;
  if (!f->exports) {
    g_autofree char *key_path = hw_key_path_for_database(f->db);
    f->key = hw_key_load_or_create(key_path, NULL, &error);
    g_assert_no_error(error);
    g_autofree char *exports_dir = g_build_filename(f->dir, "exports", NULL);
    f->exports = hw_export_jobs_new(f->store, f->key, f->audit, f->dir, exports_dir, "test", &error);
    g_assert_no_error(error);
  }
  o.exports = f->exports;
  f->http = hw_http_new(&o, &error);
  g_assert_no_error(error);
  f->port = hw_http_port(f->http);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp("hw-web-auth-XXXXXX", &error);
  g_assert_no_error(error);
  f->db = g_build_filename(f->dir, "hallwatch.db", NULL);
  f->store = hw_store_open(f->db, &error);
  g_assert_no_error(error);
  f->audit = hw_audit_new(f->store);
  g_autofree char *secret_path = hw_secret_path_for_database(f->db);
  f->secret = hw_secret_load_or_create(secret_path, &error);
  g_assert_no_error(error);
  f->hooks = (HwCameraHooks){.config_cameras = no_config_cameras,
                             .changed = cameras_changed,
                             .audit = f->audit,
                             .secret = f->secret,
                             .footage_dir = f->dir};
  /* Two halls, A and B, for the scope walk. */
  HwStoreHall halls[] = {{"HA", "Hall A"}, {"HB", "Hall B"}};
  for (size_t i = 0; i < G_N_ELEMENTS(halls); i++)
    g_assert_true(hw_store_hall_add(f->store, &halls[i], NULL));
  g_assert_true(hw_auth_init(NULL));
  /* One hash for every user: argon2id is slow by design. */
  g_autofree char *hash = hw_auth_password_hash(PASSWORD, &error);
  g_assert_no_error(error);
  for (int r = HW_ROLE_NONE + 1; r < HW_ROLE_COUNT; r++) {
    HwStoreScope scope = {"hall", "H1"};
    g_assert_true(hw_store_user_add(f->store, hw_role_name((HwRole)r), hw_role_name((HwRole)r),
                                    hash, r == HW_ROLE_SUPERVISOR ? &scope : NULL,
                                    r == HW_ROLE_SUPERVISOR ? 1 : 0, &f->user_ids[r], &error));
    g_assert_no_error(error);
  }
  const char *spec = data;
  if (!spec || strcmp(spec, "defer") != 0)
    start_server(f, 0, 0, 0);
}

static void remove_dir(const char *path)
{
  g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name(d)) != NULL) {
    g_autofree char *p = g_build_filename(path, n, NULL);
    g_unlink(p);
  }
  g_rmdir(path);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
  hw_http_free(f->http);
  g_clear_pointer(&f->exports, hw_export_jobs_free);
  g_clear_pointer(&f->key, hw_key_free);
  hw_secret_free(f->secret);
  hw_audit_free(f->audit);
  hw_store_close(f->store);
  remove_dir(f->dir);
  g_free(f->db);
  g_free(f->dir);
}

/* A session made directly in the store (no argon2 per request); *ret_token and *ret_csrf g_free. */
static void make_session(Fixture *f, int64_t user_id, hw_time_ns last_seen, char **ret_token,
                         char **ret_csrf)
{
  char *token = hw_auth_token_new(NULL);
  char *csrf = hw_auth_token_new(NULL);
  HwStoreSession s = {.user_id = user_id, .created_ns = last_seen, .last_seen_ns = last_seen};
  hw_auth_token_hash(token, s.token_hash);
  g_strlcpy(s.csrf_token, csrf, sizeof s.csrf_token);
  g_assert_true(hw_store_session_add(f->store, &s, NULL));
  *ret_token = token;
  *ret_csrf = csrf;
}

static char *make_token(Fixture *f, const char *department)
{
  char *token = hw_auth_token_new("hwt_");
  char hash[65];
  hw_auth_token_hash(token, hash);
  g_assert_true(hw_store_token_add(f->store, department, "test system", hash, hw_time_now(), NULL,
                                   NULL));
  return token;
}

/* Signs in over HTTP; returns the response (cookie in *ret_cookie, csrf in *ret_csrf). */
static Response *login(Fixture *f, const char *user, const char *password, char **ret_cookie,
                       char **ret_csrf)
{
  g_autofree char *body =
    g_strdup_printf("{\"username\":\"%s\",\"password\":\"%s\"}", user, password);
  Response *r = http(f->port, "POST", "/api/v1/auth/login", NULL, NULL, NULL, body);
  if (r->status == 200 && ret_cookie) {
    const char *sc = header(r, "set-cookie");
    g_assert_true(g_str_has_prefix(sc, "hw_session="));
    *ret_cookie = g_strndup(sc + 11, strcspn(sc + 11, ";"));
    json_t *o = json_loads(r->body, 0, NULL);
    *ret_csrf = g_strdup(json_string_value(json_object_get(o, "csrf_token")));
    json_decref(o);
  }
  return r;
}

/* ---- the route × role walk --------------------------------------------------------------------- */

typedef enum {
  CRED_NONE,
  CRED_EXPIRED,
  CRED_DEPARTMENT,
  CRED_OTHER_DEPARTMENT,
  CRED_REVOKED,
  CRED_ROLE, /* + role */
} CredKind;

/* What the table says the answer must be: 401, 403 or 0 (allowed: anything but 401/403). */
static int expected(const HwRoute *r, CredKind kind, HwRole role)
{
  const HwPermission *p = &r->permission;
  if (p->access & HW_ACCESS_PUBLIC)
    return 0;
  switch (kind) {
  case CRED_NONE:
    return (p->access & HW_ACCESS_LOOPBACK) ? 0 : 401; /* the test runs on loopback */
  case CRED_EXPIRED:
  case CRED_REVOKED:
    return 401;
  case CRED_DEPARTMENT:
  case CRED_OTHER_DEPARTMENT:
    return (p->access & HW_ACCESS_DEPARTMENT) ? 0 : 403;
  case CRED_ROLE:
    return (p->roles & HW_ROLE_BIT(role)) ? 0 : 403;
  }
  return -1;
}

static char *concrete_path(const char *pattern)
{
  g_auto(GStrv) segs = g_strsplit(pattern, "/", -1);
  for (size_t i = 0; segs[i]; i++) {
    if (segs[i][0] == '{') {
      g_free(segs[i]);
      segs[i] = g_strdup("999999"); /* an id that exists nowhere: a handler answers 404 */
    }
  }
  return g_strjoinv("/", segs);
}

static void test_route_role(Fixture *f, gconstpointer data)
{
  size_t n;
  const HwRoute *routes = hw_routes_table(&n);
  g_assert_true(hw_routes_check(routes, n, NULL));
  g_autofree char *dept = make_token(f, "D1");
  g_autofree char *other = make_token(f, "D2");
  g_autofree char *revoked = make_token(f, "D3");
  HwStoreToken t;
  char hash[65];
  hw_auth_token_hash(revoked, hash);
  g_assert_true(hw_store_token_get(f->store, hash, &t, NULL));
  g_assert_true(hw_store_token_revoke(f->store, t.id, hw_time_now(), NULL));

  int checked = 0;
  for (size_t i = 0; i < n; i++) {
    const HwRoute *r = &routes[i];
    g_autofree char *path = concrete_path(r->pattern);
    gboolean with_body = strcmp(r->method, "POST") == 0 || strcmp(r->method, "PUT") == 0 ||
                         strcmp(r->method, "PATCH") == 0;
    for (int k = CRED_NONE; k <= CRED_ROLE + HW_ROLE_COUNT - 2; k++) {
      CredKind kind = k < CRED_ROLE ? (CredKind)k : CRED_ROLE;
      HwRole role = k < CRED_ROLE ? HW_ROLE_NONE : (HwRole)(k - CRED_ROLE + 1);
      g_autofree char *cookie = NULL, *csrf = NULL;
      const char *bearer = NULL;
      if (kind == CRED_EXPIRED)
        make_session(f, f->user_ids[HW_ROLE_ADMIN], hw_time_now() - INT64_C(3) * 3600 * HW_NS_PER_S,
                     &cookie, &csrf);
      else if (kind == CRED_ROLE) /* a fresh session each time: logout ends it */
        make_session(f, f->user_ids[role], hw_time_now(), &cookie, &csrf);
      else if (kind == CRED_DEPARTMENT)
        bearer = dept;
      else if (kind == CRED_OTHER_DEPARTMENT)
        bearer = other;
      else if (kind == CRED_REVOKED)
        bearer = revoked;
      g_autoptr(Response) resp =
        http(f->port, r->method, path, cookie, csrf, bearer, with_body ? "{}" : NULL);
      int want = expected(r, kind, role);
      const char *who = kind == CRED_ROLE ? hw_role_name(role)
                        : (const char *[]){"no credential", "expired session", "department token",
                                           "other department's token", "revoked token"}[kind];
      if (want == 0) {
        if (resp->status == 401 || resp->status == 403)
          g_error("%s %s as %s: got %d, the table allows it (%s)", r->method, path, who,
                  resp->status, resp->body);
      } else if (resp->status != want) {
        g_error("%s %s as %s: got %d, the table says %d (%s)", r->method, path, who, resp->status,
                want, resp->body);
      }
      checked++;
    }
  }
  g_assert_cmpint(checked, ==, (int)n * (CRED_ROLE + HW_ROLE_COUNT - 1));
}

/* ---- scope: every object route with two halls' and two departments' objects ------------------- */

/* One object made for the walk: what goes in the path's {id}, and a text that is in a list's
 * answer exactly when the object is listed (a quoted unique name). */
typedef struct {
  char id[64];
  char marker[80];
} Object;

/* Makes one object of a kind in hall (and department); either may be unused by the kind. */
typedef void (*MakeObject)(Fixture *f, const char *hall, const char *department, Object *ret);

static void make_camera_object(Fixture *f, const char *hall, const char *department, Object *ret)
{
  HwStoreCamera c = {.enabled = false};
  g_snprintf(c.id, sizeof c.id, "cam-%s-%d", hall, ++f->serial);
  g_strlcpy(c.url, "rtsp://127.0.0.1:9/none", sizeof c.url); /* discard port: refused at once */
  g_strlcpy(c.transport, "tcp", sizeof c.transport);
  g_strlcpy(c.clock, "local", sizeof c.clock);
  g_strlcpy(c.hall, hall, sizeof c.hall);
  g_assert_true(hw_store_camera_add(f->store, &c, NULL, NULL));
  g_strlcpy(ret->id, c.id, sizeof ret->id);
  g_snprintf(ret->marker, sizeof ret->marker, "\"%s\"", c.id);
}

static void make_window_object(Fixture *f, const char *hall, const char *department, Object *ret)
{
  HwStoreWindow w = {0};
  g_strlcpy(w.hall, hall, sizeof w.hall);
  g_snprintf(w.code, sizeof w.code, "win-%s-%d", hall, ++f->serial);
  g_strlcpy(w.departments, "[]", sizeof w.departments);
  int64_t id = 0;
  g_assert_true(hw_store_window_add(f->store, &w, &id, NULL));
  g_snprintf(ret->id, sizeof ret->id, "%" G_GINT64_FORMAT, id);
  g_snprintf(ret->marker, sizeof ret->marker, "\"%s\"", w.code);
}

/* The halls HA and HB exist from the fixture's start: the hall is the scope itself. */
static void make_hall_object(Fixture *f, const char *hall, const char *department, Object *ret)
{
  g_strlcpy(ret->id, hall, sizeof ret->id);
  g_snprintf(ret->marker, sizeof ret->marker, "\"%s\"", hall);
}

static void make_token_object(Fixture *f, const char *hall, const char *department, Object *ret)
{
  g_autofree char *token = hw_auth_token_new("hwt_");
  char hash[65];
  hw_auth_token_hash(token, hash);
  char name[64];
  g_snprintf(name, sizeof name, "tok-%s-%d", department, ++f->serial);
  int64_t id = 0;
  g_assert_true(hw_store_token_add(f->store, department, name, hash, hw_time_now(), &id, NULL));
  g_snprintf(ret->id, sizeof ret->id, "%" G_GINT64_FORMAT, id);
  g_snprintf(ret->marker, sizeof ret->marker, "\"%s\"", name);
}

static void make_user_object(Fixture *f, const char *hall, const char *department, Object *ret)
{
  char name[64];
  g_snprintf(name, sizeof name, "user-%d", ++f->serial);
  int64_t id = 0;
  g_assert_true(hw_store_user_add(f->store, name, "viewer", "$argon2id$unusable", NULL, 0, &id,
                                  NULL));
  g_snprintf(ret->id, sizeof ret->id, "%" G_GINT64_FORMAT, id);
  g_snprintf(ret->marker, sizeof ret->marker, "\"%s\"", name);
}

/* A date of the working-day calendar (one calendar for the whole appliance), far in the future so
 * it never meets the shipped dates. */
static void make_calendar_object(Fixture *f, const char *hall, const char *department, Object *ret)
{
  HwStoreCalendarDay day = {.kind = "holiday"};
  int n = ++f->serial;
  g_snprintf(day.day, sizeof day.day, "2090-%02d-%02d", 1 + n / 28 % 12, 1 + n % 28);
  g_snprintf(day.name, sizeof day.name, "test-day-%d", n);
  g_assert_true(hw_store_calendar_put(f->store, &day, hw_time_now(), NULL, NULL, NULL));
  g_snprintf(ret->id, sizeof ret->id, "%s", day.day);
  g_snprintf(ret->marker, sizeof ret->marker, "\"%s\"", day.name);
}

/* An evidence export of a camera in `hall` (queued: the walk checks who may see it, not the MP4). */
static void make_export_object(Fixture *f, const char *hall, const char *department, Object *ret)
{
  HwStoreExport e = {.from_ns = 1000 * HW_NS_PER_S, .to_ns = 1010 * HW_NS_PER_S};
  g_snprintf(e.camera, sizeof e.camera, "cam-%s-%d", hall, ++f->serial);
  g_strlcpy(e.hall, hall, sizeof e.hall);
  g_strlcpy(e.requested_by, "investigator", sizeof e.requested_by);
  g_strlcpy(e.role, "investigator", sizeof e.role);
  int64_t id = 0;
  g_assert_true(hw_store_export_add(f->store, &e, &id, NULL));
  g_snprintf(ret->id, sizeof ret->id, "%" G_GINT64_FORMAT, id);
  g_snprintf(ret->marker, sizeof ret->marker, "\"%s\"", e.camera);
}

/* A case of `department` accepted in `hall` (stored as the exchange API stores it); its id. */
static int64_t make_case(Fixture *f, const char *hall, const char *department, char *ret_number,
                         size_t number_size)
{
  g_snprintf(ret_number, number_size, "CASE-%s-%d", department, ++f->serial);
  HwCaseRecord r = {.type = HW_CASE_RECORD_CASE, .department = department,
                    .case_number = ret_number, .version = 1, .item_code = "I1",
                    .item_name = "walk item", .applicant_type = "person", .applicant_name = "A",
                    .statutory_limit = 20, .statutory_unit = "working_days", .promised_limit = 10,
                    .promised_unit = "working_days", .secrecy = "none", .fee_charged_fen = -1,
                    .fee_standard_fen = -1, .hall = hall, .window = "W1",
                    .has_accepted = true, .accepted_ns = hw_time_now()};
  HwIngestOutcome out;
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_store_cases_ingest(f->store, department, &r, 1, hw_time_now(), &out, NULL,
                                      &error));
  g_assert_no_error(error);
  const char *numbers[] = {ret_number};
  g_autoptr(GArray) ids = g_array_new(FALSE, FALSE, sizeof(int64_t));
  g_assert_true(hw_store_case_ids(f->store, department, numbers, 1, ids, NULL));
  g_assert_cmpuint(ids->len, ==, 1);
  return g_array_index(ids, int64_t, 0);
}

/* An open red warning (fee above the standard) on a case of `department` in `hall`. */
static void make_warning_object(Fixture *f, const char *hall, const char *department, Object *ret)
{
  char number[64];
  int64_t case_id = make_case(f, hall, department, number, sizeof number);
  HwStoreWarningRaise raise = {.rule = "fee_above_standard", .subject = "", .level = 2};
  g_assert_true(hw_store_warnings_apply(f->store, case_id, false, &raise, 1, NULL, 0,
                                        hw_time_now(), NULL, NULL));
  g_snprintf(ret->marker, sizeof ret->marker, "\"%s\"", number);
  /* The warning's id: the newest one. */
  g_autofree char *sql = g_strdup_printf("SELECT max(id) FROM warnings WHERE case_id = %"
                                         G_GINT64_FORMAT, case_id);
  sqlite3 *db = NULL;
  g_assert_cmpint(sqlite3_open_v2(f->db, &db, SQLITE_OPEN_READONLY, NULL), ==, SQLITE_OK);
  sqlite3_stmt *st = NULL;
  g_assert_cmpint(sqlite3_prepare_v2(db, sql, -1, &st, NULL), ==, SQLITE_OK);
  g_assert_cmpint(sqlite3_step(st), ==, SQLITE_ROW);
  g_snprintf(ret->id, sizeof ret->id, "%" G_GINT64_FORMAT, (int64_t)sqlite3_column_int64(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
}

/* A case of `department` in `hall` (the case API's object; its list shows accepted cases). */
static void make_case_object(Fixture *f, const char *hall, const char *department, Object *ret)
{
  char number[64];
  int64_t id = make_case(f, hall, department, number, sizeof number);
  g_snprintf(ret->id, sizeof ret->id, "%" G_GINT64_FORMAT, id);
  g_snprintf(ret->marker, sizeof ret->marker, "\"%s\"", number);
}

/* A correction notice on a warning of `department`: the department's system answers it. */
static void make_notice_object(Fixture *f, const char *hall, const char *department, Object *ret)
{
  Object w;
  make_warning_object(f, hall, department, &w);
  int64_t id = 0;
  g_assert_true(hw_store_notice_send(f->store, g_ascii_strtoll(w.id, NULL, 10), NULL, NULL,
                                     "supervisor", "please correct", hw_time_now(), &id, NULL));
  g_snprintf(ret->id, sizeof ret->id, "%" G_GINT64_FORMAT, id);
  g_snprintf(ret->marker, sizeof ret->marker, "%s", w.marker);
}

/* Every kind of object a route can name, one line each. A route whose pattern starts with a
 * kind's `object` pattern (e.g. GET /api/v1/cameras/{id}/snapshot) is walked with that kind's
 * objects; a GET route equal to its `list` must list only what the caller's scope allows.
 * by_hall / by_department: which scopes the kind's objects carry; neither: an object of the whole
 * appliance (users), which only unrestricted callers may touch.
 *
 * To add a kind (e.g. cases, owned by a department and served in a hall):
 *   {"case", "/api/v1/cases/{id}", "/api/v1/cases", true, true, make_case_object},
 * with a make_case_object that stores one case of `department` in `hall` and returns its id and
 * a quoted unique text of it. A route with an object parameter and no kind here fails the walk,
 * naming the route; so does a GET route without a parameter that is neither a kind's list nor in
 * not_object_lists below. Routes with a second parameter get the object's id in the first. */
static const struct {
  const char *kind;
  const char *object; /* pattern prefix of the routes on one object, NULL if none */
  const char *list;   /* the GET route listing them, NULL if none */
  bool by_hall, by_department;
  MakeObject make;
} object_kinds[] = {
  {"camera", "/api/v1/cameras/{id}", "/api/v1/cameras", true, false, make_camera_object},
  {"window", "/api/v1/windows/{id}", "/api/v1/windows", true, false, make_window_object},
  {"hall", NULL, "/api/v1/halls", true, false, make_hall_object},
  {"api_token", "/api/v1/tokens/{id}", "/api/v1/tokens", false, true, make_token_object},
  {"user", "/api/v1/users/{id}", "/api/v1/users", false, false, make_user_object},
  {"calendar_day", "/api/v1/calendar/{date}", NULL, false, false, make_calendar_object},
  {"export", "/api/v1/exports/{id}", "/api/v1/exports", true, false, make_export_object},
  {"warning", "/api/v1/warnings/{id}", "/api/v1/warnings", true, true, make_warning_object},
  {"notice", "/api/v1/exchange/notices/{id}", "/api/v1/exchange/notices", true, true,
   make_notice_object},
  {"case", "/api/v1/cases/{id}", "/api/v1/cases", true, true, make_case_object},
};

/* GET routes without a parameter that list no scoped objects, and why. */
static const char *const not_object_lists[] = {
  "/healthz",              /* public */
  "/metrics",              /* every hall's cameras: refused to hall-limited users (checked below) */
  "/api/v1/auth/me",       /* the caller itself */
  "/api/v1/exchange/ping", /* answers the token's own department */
  "/api/v1/audit",         /* the log is the auditors' whole-appliance record */
  "/api/v1/audit/verify",
  "/api/v1/calendar", /* the national working-day calendar: the same for every hall */
  "/api/v1/live",     /* a WebSocket: each camera subscribed is scope-checked (web.live) */
  "/api/v1/key",      /* the appliance's public key, the same for everyone */
  "/api/v1/settings", /* the appliance's [warnings]/[retention]: changed only by unrestricted
                       * admins (daemon.settings) */
  /* the dashboard's counts and the windows' current cases: their scope (hall and department) is
   * checked in tests/web/test_dashboard.c (web.dashboard.*) */
  "/api/v1/status/storage",
  "/api/v1/status/windows",
  "/api/v1/warnings/summary",
  "/api/v1/cases/summary",
};

/* Routes with an object parameter that name no scoped object, each with the reason and the test
 * that checks who may use them. */
static const char *const not_object_routes[] = {
  /* a playback session: bound to the user who opened it on a camera in scope (media.playback) */
  "/api/v1/playback/{session}/{file}",
  /* a staff member's id names a person, not an object; the events listed are those of cases in
   * the caller's scope (cases.queries.scope) */
  "/api/v1/staff/{operator_id}/events",
};

/* What a route needs beyond "{}" (a body, or a query for a GET) to succeed on an object in scope,
 * or the error code that shows the handler went past the scope check (the snapshot: the camera
 * is found, it has no footage). */
#define WALK_RANGE "?from=2026-01-01T00:00:00Z&to=2026-01-01T00:10:00Z"
static const struct {
  const char *method, *pattern, *body, *in_scope_code;
} route_needs[] = {
  {"PUT", "/api/v1/windows/{id}/cameras", "{\"cameras\":[]}", NULL},
  {"GET", "/api/v1/cameras/{id}/snapshot", NULL, "no_footage"},
  {"PUT", "/api/v1/calendar/{date}", "{\"kind\":\"holiday\",\"name\":\"walk\"}", NULL},
  {"GET", "/api/v1/cameras/{id}/footage", WALK_RANGE, NULL},
  {"GET", "/api/v1/cameras/{id}/playback.m3u8", WALK_RANGE, "no_footage"},
  {"GET", "/api/v1/cameras/{id}/events", WALK_RANGE, NULL},
  {"GET", "/api/v1/exports/{id}/download", NULL, "not_ready"},
  {"DELETE", "/api/v1/exports/{id}", NULL, "not_ready"},
  {"POST", "/api/v1/warnings/{id}/close", "{\"note\":\"walk\"}", NULL},
  {"POST", "/api/v1/warnings/{id}/notices", "{\"text\":\"walk\"}", NULL},
  {"POST", "/api/v1/warnings/{id}/release-hold", "{\"note\":\"walk\"}", NULL},
  {"POST", "/api/v1/exchange/notices/{id}/reply", "{\"text\":\"walk\"}", NULL},
};

/* The route's path for object id; a GET route's "body" in route_needs is its query. */
static char *object_path(const char *pattern, const char *id, const char *query)
{
  const char *open = strchr(pattern, '{');
  const char *close = strchr(open, '}');
  return g_strdup_printf("%.*s%s%s%s", (int)(open - pattern), pattern, id, close + 1,
                         query ? query : "");
}

/* A signed-in user of role limited to hall or department `code` (made once per name). */
static int64_t scoped_user(Fixture *f, HwRole role, const char *kind, const char *code)
{
  g_autofree char *name = g_strdup_printf("%s-%s-%s", kind, code, hw_role_name(role));
  HwStoreUser u;
  if (hw_store_user_get(f->store, name, &u, NULL))
    return u.id;
  HwStoreScope scope = {kind, code};
  int64_t id = 0;
  g_assert_true(hw_store_user_add(f->store, name, hw_role_name(role), "$argon2id$unusable", &scope,
                                  1, &id, NULL));
  return id;
}

static Response *call_as(Fixture *f, int64_t user_id, const char *method, const char *path,
                         const char *body)
{
  g_autofree char *cookie = NULL, *csrf = NULL;
  make_session(f, user_id, hw_time_now(), &cookie, &csrf);
  gboolean with_body = strcmp(method, "GET") != 0 && strcmp(method, "DELETE") != 0;
  return http(f->port, method, path, cookie, csrf, NULL, with_body ? (body ? body : "{}") : NULL);
}

static const char *error_code(const Response *r)
{
  static char code[64];
  code[0] = '\0';
  json_t *o = json_loads(r->body, 0, NULL);
  const char *c = json_string_value(json_object_get(json_object_get(o, "error"), "code"));
  g_strlcpy(code, c ? c : "", sizeof code);
  json_decref(o);
  return code;
}

static void expect_in_scope(const Response *r, const char *what, const char *ok_code)
{
  if (r->status >= 200 && r->status < 300)
    return;
  if (ok_code && strcmp(error_code(r), ok_code) == 0)
    return;
  g_error("%s: got %d, the object is in the caller's scope (%s)", what, r->status, r->body);
}

static void expect_out_of_scope(const Response *r, const char *what)
{
  if (r->status != 404 || strcmp(error_code(r), "not_found") != 0)
    g_error("%s: got %d, another scope's object must answer 404 not_found (%s)", what, r->status,
            r->body);
}

static int kind_of_route(const HwRoute *r)
{
  for (size_t k = 0; k < G_N_ELEMENTS(object_kinds); k++)
    if (object_kinds[k].object && g_str_has_prefix(r->pattern, object_kinds[k].object))
      return (int)k;
  return -1;
}

static void test_scope_walk(Fixture *f, gconstpointer data)
{
  size_t n;
  const HwRoute *routes = hw_routes_table(&n);
  const char *dims[] = {"hall", "department"};
  const char *codes_a[] = {"HA", "DA"}, *codes_b[] = {"HB", "DB"};
  int objects_checked = 0, lists_checked = 0;

  for (size_t i = 0; i < n; i++) {
    const HwRoute *r = &routes[i];
    const char *body = NULL, *ok_code = NULL;
    /* Public routes (health, the interface's static files) serve nothing of a hall or department;
     * what they are is reviewed in permissions.txt. */
    if (r->permission.access & HW_ACCESS_PUBLIC)
      continue;
    for (size_t e = 0; e < G_N_ELEMENTS(route_needs); e++)
      if (strcmp(route_needs[e].method, r->method) == 0 &&
          strcmp(route_needs[e].pattern, r->pattern) == 0) {
        body = route_needs[e].body;
        ok_code = route_needs[e].in_scope_code;
      }
    const char *query = NULL;
    if (strcmp(r->method, "GET") == 0) {
      query = body;
      body = NULL;
    }

    if (!strchr(r->pattern, '{')) {
      if (strcmp(r->method, "GET") != 0)
        continue;
      int k = -1;
      for (size_t j = 0; j < G_N_ELEMENTS(object_kinds); j++)
        if (object_kinds[j].list && strcmp(object_kinds[j].list, r->pattern) == 0)
          k = (int)j;
      bool exempt = false;
      for (size_t j = 0; j < G_N_ELEMENTS(not_object_lists); j++)
        exempt |= strcmp(not_object_lists[j], r->pattern) == 0;
      if (k < 0 && !exempt)
        g_error("GET %s lists something but has no kind in object_kinds[] (tests/web/"
                "test_auth.c): say which objects it lists, or add it to not_object_lists",
                r->pattern);
      if (k < 0)
        continue;
      for (int role = HW_ROLE_NONE + 1; role < HW_ROLE_COUNT; role++) {
        if (!(r->permission.roles & HW_ROLE_BIT(role)))
          continue;
        for (int d = 0; d < 2; d++) {
          bool carries = d == 0 ? object_kinds[k].by_hall : object_kinds[k].by_department;
          bool global = !object_kinds[k].by_hall && !object_kinds[k].by_department;
          int64_t who = scoped_user(f, (HwRole)role, dims[d], codes_a[d]);
          g_autofree char *what = g_strdup_printf("GET %s as %s limited to %s %s", r->pattern,
                                                  hw_role_name((HwRole)role), dims[d], codes_a[d]);
          g_autoptr(Response) resp = NULL;
          if (global) {
            resp = call_as(f, who, "GET", r->pattern, NULL);
            if (resp->status != 403)
              g_error("%s: got %d, a limited caller must not list %s", what, resp->status,
                      object_kinds[k].kind);
          } else if (carries) {
            Object a, b;
            object_kinds[k].make(f, codes_a[0], codes_a[1], &a);
            object_kinds[k].make(f, d == 0 ? codes_b[0] : codes_a[0],
                                 d == 1 ? codes_b[1] : codes_a[1], &b);
            resp = call_as(f, who, "GET", r->pattern, NULL);
            g_assert_cmpint(resp->status, ==, 200);
            if (!strstr(resp->body, a.marker))
              g_error("%s: its own %s %s is missing (%s)", what, object_kinds[k].kind, a.marker,
                      resp->body);
            if (strstr(resp->body, b.marker))
              g_error("%s: lists %s %s of another %s (%s)", what, object_kinds[k].kind, b.marker,
                      dims[d], resp->body);
          } else {
            continue;
          }
          lists_checked++;
        }
      }
      continue;
    }

    bool exempt_route = false;
    for (size_t j = 0; j < G_N_ELEMENTS(not_object_routes); j++)
      exempt_route |= strcmp(not_object_routes[j], r->pattern) == 0;
    if (exempt_route)
      continue;
    int k = kind_of_route(r);
    if (k < 0)
      g_error("%s %s names an object but has no fixture in object_kinds[] (tests/web/"
              "test_auth.c): add a line saying which kind of object it is",
              r->method, r->pattern);
    bool global = !object_kinds[k].by_hall && !object_kinds[k].by_department;
    for (int role = HW_ROLE_NONE + 1; role < HW_ROLE_COUNT; role++) {
      if (!(r->permission.roles & HW_ROLE_BIT(role)))
        continue;
      for (int d = 0; d < 2; d++) {
        bool carries = d == 0 ? object_kinds[k].by_hall : object_kinds[k].by_department;
        int64_t who = scoped_user(f, (HwRole)role, dims[d], codes_a[d]);
        Object a, b;
        /* A's object is in hall A and department A; B's differs in the dimension walked. */
        object_kinds[k].make(f, codes_a[0], codes_a[1], &a);
        object_kinds[k].make(f, d == 0 ? codes_b[0] : codes_a[0], d == 1 ? codes_b[1] : codes_a[1],
                             &b);
        g_autofree char *pa = object_path(r->pattern, a.id, query);
        g_autofree char *pb = object_path(r->pattern, b.id, query);
        g_autofree char *wa = g_strdup_printf("%s %s as %s limited to %s %s", r->method, pa,
                                              hw_role_name((HwRole)role), dims[d], codes_a[d]);
        g_autofree char *wb = g_strdup_printf("%s %s as %s limited to %s %s", r->method, pb,
                                              hw_role_name((HwRole)role), dims[d], codes_a[d]);
        g_autoptr(Response) ra = call_as(f, who, r->method, pa, body);
        if (global) {
          if (ra->status != 403)
            g_error("%s: got %d, a limited caller must not touch a %s (%s)", wa, ra->status,
                    object_kinds[k].kind, ra->body);
          /* An unrestricted caller of the role reaches it. */
          g_autoptr(Response) ru = call_as(f, f->user_ids[role], r->method, pb, body);
          expect_in_scope(ru, wb, ok_code);
        } else if (carries) {
          expect_in_scope(ra, wa, ok_code);
          g_autoptr(Response) rb = call_as(f, who, r->method, pb, body);
          expect_out_of_scope(rb, wb);
        } else {
          /* Not limited in this dimension: both objects are reachable. */
          expect_in_scope(ra, wa, ok_code);
          continue;
        }
        objects_checked++;
      }
    }
    /* Department systems (exchange routes on a department's objects): a token of department A
     * reaches A's objects only. */
    if ((r->permission.access & HW_ACCESS_DEPARTMENT) && object_kinds[k].by_department) {
      g_autofree char *token = make_token(f, "DA");
      Object a, b;
      object_kinds[k].make(f, codes_a[0], codes_a[1], &a);
      object_kinds[k].make(f, codes_a[0], codes_b[1], &b);
      g_autofree char *pa = object_path(r->pattern, a.id, query);
      g_autofree char *pb = object_path(r->pattern, b.id, query);
      gboolean with_body = strcmp(r->method, "GET") != 0 && strcmp(r->method, "DELETE") != 0;
      const char *sent = with_body ? (body ? body : "{}") : NULL;
      g_autoptr(Response) ra = http(f->port, r->method, pa, NULL, NULL, token, sent);
      g_autoptr(Response) rb = http(f->port, r->method, pb, NULL, NULL, token, sent);
      g_autofree char *wa = g_strdup_printf("%s %s with department DA's token", r->method, pa);
      g_autofree char *wb = g_strdup_printf("%s %s with department DA's token", r->method, pb);
      expect_in_scope(ra, wa, ok_code);
      expect_out_of_scope(rb, wb);
      objects_checked++;
    }
  }
  g_test_message("scope walk: %d object checks, %d list checks", objects_checked, lists_checked);
  /* The walk covered the kinds above (4 object routes of cameras alone, each with 2+ roles). */
  g_assert_cmpint(objects_checked, >=, 20);
  g_assert_cmpint(lists_checked, >=, 8);

  /* /metrics names every hall's cameras: hall-limited callers are refused. */
  for (int role = HW_ROLE_NONE + 1; role < HW_ROLE_COUNT; role++) {
    const HwRoute *m = NULL;
    for (size_t i = 0; i < n; i++)
      if (strcmp(routes[i].pattern, "/metrics") == 0)
        m = &routes[i];
    if (!m || !(m->permission.roles & HW_ROLE_BIT(role)))
      continue;
    g_autoptr(Response) r = call_as(f, scoped_user(f, (HwRole)role, "hall", "HA"), "GET",
                                    "/metrics", NULL);
    g_assert_cmpint(r->status, ==, 403);
  }
}

/* The table as text, one line per route: "METHOD pattern: who". */
static char *render_table(void)
{
  size_t n;
  const HwRoute *routes = hw_routes_table(&n);
  GString *out = g_string_new(NULL);
  for (size_t i = 0; i < n; i++) {
    const HwPermission *p = &routes[i].permission;
    g_string_append_printf(out, "%s %s:", routes[i].method, routes[i].pattern);
    if (p->access & HW_ACCESS_PUBLIC)
      g_string_append(out, " public");
    if (p->access & HW_ACCESS_LOOPBACK)
      g_string_append(out, " loopback-without-credential");
    if (p->access & HW_ACCESS_DEPARTMENT)
      g_string_append(out, " department-token");
    for (int r = HW_ROLE_NONE + 1; r < HW_ROLE_COUNT; r++)
      if (p->roles & HW_ROLE_BIT(r))
        g_string_append_printf(out, " %s", hw_role_name((HwRole)r));
    g_string_append_c(out, '\n');
  }
  return g_string_free(out, FALSE);
}

/* The walk above follows the table, so a permission widened in the table would pass it; this
 * snapshot makes every change of who-may-do-what a visible, reviewed edit of
 * tests/web/permissions.txt. */
static void test_permission_snapshot(void)
{
  g_autofree char *got = render_table();
  g_autofree char *want = NULL;
  g_autoptr(GError) error = NULL;
  g_file_get_contents(HW_PERMISSIONS_TXT, &want, NULL, &error);
  g_assert_no_error(error);
  if (strcmp(got, want) != 0)
    g_error("the permission table differs from %s; if the change is meant, put this there:\n%s",
            HW_PERMISSIONS_TXT, got);
}

static void dummy_handler(HwRequest *req, HwReply *reply)
{
}

static void test_route_without_permission(void)
{
  const HwRoute bad[] = {{"GET", "/api/v1/forgotten", dummy_handler, {0}}};
  g_autoptr(GError) error = NULL;
  g_assert_false(hw_routes_check(bad, 1, &error));
  g_assert_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_ROUTE);
  g_assert_nonnull(strstr(error->message, "GET /api/v1/forgotten has no permission"));

  const HwRoute dup[] = {{"GET", "/x", dummy_handler, {.access = HW_ACCESS_PUBLIC}},
                         {"GET", "/x", dummy_handler, {.access = HW_ACCESS_PUBLIC}}};
  g_assert_false(hw_routes_check(dup, 2, NULL));

  const char *names[HW_ROUTE_PARAMS_MAX], *values[HW_ROUTE_PARAMS_MAX];
  size_t np;
  g_autofree char *storage = NULL;
  g_assert_true(hw_route_match("/api/v1/cameras/{id}/test", "/api/v1/cameras/w-01/test", names,
                               values, &np, &storage));
  g_assert_cmpuint(np, ==, 1);
  g_assert_cmpstr(names[0], ==, "id");
  g_assert_cmpstr(values[0], ==, "w-01");
  g_autofree char *s2 = NULL;
  g_assert_false(hw_route_match("/api/v1/cameras/{id}", "/api/v1/cameras/", names, values, &np, &s2));
  g_assert_false(hw_route_match("/api/v1/cameras/{id}", "/api/v1/cameras/a/b", names, values, &np, &s2));
}

/* ---- sign-in ----------------------------------------------------------------------------------- */

static void test_login(Fixture *f, gconstpointer data)
{
  g_autoptr(Response) wrong = login(f, "supervisor", "not the password", NULL, NULL);
  assert_error(wrong, 401, "bad_credentials", "wrong user name or password");
  g_assert_null(header(wrong, "set-cookie"));
  g_autoptr(Response) unknown = login(f, "nobody", PASSWORD, NULL, NULL);
  assert_error(unknown, 401, "bad_credentials", "wrong user name or password");

  g_autofree char *cookie = NULL, *csrf = NULL;
  g_autoptr(Response) ok = login(f, "supervisor", PASSWORD, &cookie, &csrf);
  g_assert_cmpint(ok->status, ==, 200);
  json_t *o = json_loads(ok->body, 0, NULL);
  g_assert_cmpstr(json_string_value(json_object_get(o, "user")), ==, "supervisor");
  g_assert_cmpstr(json_string_value(json_object_get(o, "role")), ==, "supervisor");
  g_assert_cmpuint(strlen(csrf), >=, 43);
  json_decref(o);
  /* Cookie flags: no Secure on loopback plain HTTP (browsers would drop the cookie). */
  const char *sc = header(ok, "set-cookie");
  g_assert_nonnull(strstr(sc, "; HttpOnly;"));
  g_assert_nonnull(strstr(sc, "SameSite=Strict"));
  g_assert_nonnull(strstr(sc, "Path=/"));
  g_assert_null(strstr(sc, "Secure"));
  g_assert_cmpuint(strlen(cookie), ==, 43); /* 32 bytes, base64url */

  /* Only the hash is stored. */
  HwStoreSession s;
  g_assert_false(hw_store_session_get(f->store, cookie, &s, NULL));

  g_autoptr(Response) me = http(f->port, "GET", "/api/v1/auth/me", cookie, NULL, NULL, NULL);
  g_assert_cmpint(me->status, ==, 200);
  o = json_loads(me->body, 0, NULL);
  g_assert_cmpstr(json_string_value(json_object_get(o, "role")), ==, "supervisor");
  g_assert_cmpstr(json_string_value(json_array_get(json_object_get(o, "halls"), 0)), ==, "H1");
  g_assert_true(json_is_null(json_object_get(o, "departments")));
  g_assert_cmpstr(json_string_value(json_object_get(o, "csrf_token")), ==, csrf);
  json_decref(o);

  g_autoptr(Response) cams = http(f->port, "GET", "/api/v1/cameras", cookie, NULL, NULL, NULL);
  g_assert_cmpint(cams->status, ==, 200);
  g_assert_cmpstr(cams->body, ==, "[]");
}

static void test_lockout(Fixture *f, gconstpointer data)
{
  start_server(f, 0, 3, 0);
  for (int i = 0; i < 2; i++) {
    g_autoptr(Response) r = login(f, "investigator", "wrong password!", NULL, NULL);
    assert_error(r, 401, "bad_credentials", NULL);
  }
  g_autoptr(Response) third = login(f, "investigator", "wrong password!", NULL, NULL);
  assert_error(third, 423, "account_locked", "account locked until ");
  g_assert_nonnull(header(third, "retry-after"));
  /* The right password does not open a locked account. */
  g_autoptr(Response) right = login(f, "investigator", PASSWORD, NULL, NULL);
  assert_error(right, 423, "account_locked", "after too many failed sign-ins");
  /* Other users are not affected. */
  g_autoptr(Response) other = login(f, "admin", PASSWORD, NULL, NULL);
  g_assert_cmpint(other->status, ==, 200);
  /* A new password (hallwatchd user passwd) lifts the lock. */
  g_autofree char *hash = hw_auth_password_hash(PASSWORD, NULL);
  g_assert_true(hw_store_user_set_password(f->store, "investigator", hash, NULL));
  g_autoptr(Response) again = login(f, "investigator", PASSWORD, NULL, NULL);
  g_assert_cmpint(again->status, ==, 200);
}

static void test_address_limit(Fixture *f, gconstpointer data)
{
  start_server(f, 0, 2, 0);
  /* Unknown names lock no account, but the address is throttled after 4 × lockout_after. */
  for (int i = 0; i < 8; i++) {
    g_autofree char *name = g_strdup_printf("ghost%d", i);
    g_autoptr(Response) r = login(f, name, "whatever password", NULL, NULL);
    assert_error(r, 401, "bad_credentials", NULL);
  }
  g_autoptr(Response) r = login(f, "admin", PASSWORD, NULL, NULL);
  assert_error(r, 429, "rate_limited", "too many failed sign-ins from this address");
  g_assert_nonnull(header(r, "retry-after"));
}

static void test_idle_expiry(Fixture *f, gconstpointer data)
{
  start_server(f, 1 * HW_NS_PER_S, 0, 0);
  g_autofree char *cookie = NULL, *csrf = NULL;
  g_autoptr(Response) ok = login(f, "admin", PASSWORD, &cookie, &csrf);
  g_assert_cmpint(ok->status, ==, 200);
  g_autoptr(Response) me = http(f->port, "GET", "/api/v1/auth/me", cookie, NULL, NULL, NULL);
  g_assert_cmpint(me->status, ==, 200);
  g_usleep(1500 * 1000);
  g_autoptr(Response) late = http(f->port, "GET", "/api/v1/auth/me", cookie, NULL, NULL, NULL);
  assert_error(late, 401, "session_expired", "expired");
}

static void test_logout(Fixture *f, gconstpointer data)
{
  g_autofree char *cookie = NULL, *csrf = NULL;
  g_autoptr(Response) ok = login(f, "viewer", PASSWORD, &cookie, &csrf);
  g_assert_cmpint(ok->status, ==, 200);
  g_autoptr(Response) out = http(f->port, "POST", "/api/v1/auth/logout", cookie, csrf, NULL, NULL);
  g_assert_cmpint(out->status, ==, 200);
  g_assert_nonnull(strstr(header(out, "set-cookie"), "Max-Age=0"));
  g_autoptr(Response) me = http(f->port, "GET", "/api/v1/auth/me", cookie, NULL, NULL, NULL);
  assert_error(me, 401, "session_expired", NULL);
}

static void test_csrf(Fixture *f, gconstpointer data)
{
  g_autofree char *cookie = NULL, *csrf = NULL;
  g_autoptr(Response) ok = login(f, "admin", PASSWORD, &cookie, &csrf);
  g_autoptr(Response) none = http(f->port, "POST", "/api/v1/auth/logout", cookie, NULL, NULL, NULL);
  assert_error(none, 403, "csrf_required", "X-CSRF-Token");
  g_autoptr(Response) wrong =
    http(f->port, "POST", "/api/v1/tokens", cookie, "not-the-token", NULL, "{\"department\":\"D1\",\"name\":\"x\"}");
  assert_error(wrong, 403, "csrf_required", NULL);
  g_autoptr(Response) del = http(f->port, "DELETE", "/api/v1/tokens/1", cookie, NULL, NULL, NULL);
  assert_error(del, 403, "csrf_required", NULL);
  /* Still signed in: the refused requests did nothing. */
  g_autoptr(Response) me = http(f->port, "GET", "/api/v1/auth/me", cookie, NULL, NULL, NULL);
  g_assert_cmpint(me->status, ==, 200);
}

static void test_tokens(Fixture *f, gconstpointer data)
{
  g_autofree char *cookie = NULL, *csrf = NULL;
  g_autoptr(Response) ok = login(f, "admin", PASSWORD, &cookie, &csrf);
  g_autoptr(Response) made = http(f->port, "POST", "/api/v1/tokens", cookie, csrf, NULL,
                                  "{\"department\":\"civil-affairs\",\"name\":\"approval system\"}");
  g_assert_cmpint(made->status, ==, 201);
  json_t *o = json_loads(made->body, 0, NULL);
  g_autofree char *token = g_strdup(json_string_value(json_object_get(o, "token")));
  json_int_t id = json_integer_value(json_object_get(o, "id"));
  json_decref(o);
  g_assert_true(g_str_has_prefix(token, "hwt_"));

  g_autoptr(Response) list = http(f->port, "GET", "/api/v1/tokens", cookie, NULL, NULL, NULL);
  g_assert_cmpint(list->status, ==, 200);
  g_assert_null(strstr(list->body, token + 4)); /* shown once only */
  char hash[65];
  hw_auth_token_hash(token, hash);
  g_assert_null(strstr(list->body, hash));
  g_assert_nonnull(strstr(list->body, "civil-affairs"));

  g_autoptr(Response) ping = http(f->port, "GET", "/api/v1/exchange/ping", NULL, NULL, token, NULL);
  g_assert_cmpint(ping->status, ==, 200);
  g_assert_nonnull(strstr(ping->body, "\"department\":\"civil-affairs\""));
  g_autoptr(Response) cams = http(f->port, "GET", "/api/v1/cameras", NULL, NULL, token, NULL);
  assert_error(cams, 403, "forbidden", "exchange API");

  g_autoptr(Response) bad = http(f->port, "POST", "/api/v1/tokens", cookie, csrf, NULL,
                                 "{\"department\":\"no spaces\",\"name\":\"x\"}");
  assert_error(bad, 400, "invalid_field", "department");
  g_assert_nonnull(strstr(bad->body, "\"field\":\"department\""));

  g_autofree char *del_path = g_strdup_printf("/api/v1/tokens/%" JSON_INTEGER_FORMAT, id);
  g_autoptr(Response) del = http(f->port, "DELETE", del_path, cookie, csrf, NULL, NULL);
  g_assert_cmpint(del->status, ==, 200);
  g_autoptr(Response) again = http(f->port, "DELETE", del_path, cookie, csrf, NULL, NULL);
  assert_error(again, 404, "not_found", NULL);
  g_autoptr(Response) after = http(f->port, "GET", "/api/v1/exchange/ping", NULL, NULL, token, NULL);
  assert_error(after, 401, "invalid_token", "revoked");
}

static void test_body_limits(Fixture *f, gconstpointer data)
{
  start_server(f, 0, 0, 1024);
  g_autoptr(GString) big = g_string_new("{\"username\":\"");
  for (int i = 0; i < 2000; i++)
    g_string_append_c(big, 'a');
  g_string_append(big, "\",\"password\":\"x\"}");
  g_autoptr(Response) r = http(f->port, "POST", "/api/v1/auth/login", NULL, NULL, NULL, big->str);
  assert_error(r, 413, "body_too_large", "1024");

  /* Chunked: no length announced, cut while reading. */
  g_autoptr(GString) raw = g_string_new("POST /api/v1/auth/login HTTP/1.1\r\nHost: x\r\n"
                                        "Connection: close\r\nContent-Type: application/json\r\n"
                                        "Transfer-Encoding: chunked\r\n\r\n");
  for (int i = 0; i < 4; i++) {
    g_string_append(raw, "200\r\n");
    for (int j = 0; j < 0x200; j++)
      g_string_append_c(raw, ' ');
    g_string_append(raw, "\r\n");
  }
  g_string_append(raw, "0\r\n\r\n");
  g_autoptr(Response) c = http_raw(f->port, raw->str, raw->len);
  assert_error(c, 413, "body_too_large", NULL);

  g_autoptr(Response) j = http(f->port, "POST", "/api/v1/auth/login", NULL, NULL, NULL, "{\"username\":");
  assert_error(j, 400, "invalid_json", "not valid JSON");
  g_autoptr(Response) dupkey = http(f->port, "POST", "/api/v1/auth/login", NULL, NULL, NULL,
                                    "{\"username\":\"a\",\"username\":\"b\",\"password\":\"c\"}");
  assert_error(dupkey, 400, "invalid_json", NULL);
  g_autoptr(Response) missing = http(f->port, "POST", "/api/v1/auth/login", NULL, NULL, NULL, "{}");
  assert_error(missing, 400, "invalid_field", "username");
  g_assert_nonnull(strstr(missing->body, "\"field\":\"username\""));
}

/* ---- the command line ------------------------------------------------------------------------- */

static int run_cli(const char *const *args, const char *stdin_text, char **ret_out)
{
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(
    G_SUBPROCESS_FLAGS_STDIN_PIPE | G_SUBPROCESS_FLAGS_STDOUT_PIPE | G_SUBPROCESS_FLAGS_STDERR_MERGE);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSubprocess) p = g_subprocess_launcher_spawnv(l, args, &error);
  g_assert_no_error(error);
  g_autofree char *out = NULL;
  g_subprocess_communicate_utf8(p, stdin_text, NULL, &out, NULL, &error);
  g_assert_no_error(error);
  if (ret_out)
    *ret_out = g_steal_pointer(&out);
  return g_subprocess_get_exit_status(p);
}

static void test_cli_user(Fixture *f, gconstpointer data)
{
  g_autofree char *conf = g_build_filename(f->dir, "hallwatch.conf", NULL);
  g_autofree char *text = g_strdup_printf("[storage]\nfootage = %s\ndatabase = %s\n", f->dir, f->db);
  g_assert_true(g_file_set_contents(conf, text, -1, NULL));

  const char *add[] = {HW_HALLWATCHD, "user", "add", "clerk", "--role", "hall_manager", "--hall",
                       "H2", "--config", conf, NULL};
  g_autofree char *out = NULL;
  g_assert_cmpint(run_cli(add, "a fine long password\n", &out), ==, 0);
  g_assert_null(strstr(out, "a fine long password")); /* never echoed */

  g_autofree char *out2 = NULL;
  g_assert_cmpint(run_cli(add, "a fine long password\n", &out2), ==, 1);
  g_assert_nonnull(strstr(out2, "exists already"));

  const char *weak[] = {HW_HALLWATCHD, "user", "add", "weak", "--role", "viewer", "--config", conf, NULL};
  g_autofree char *out3 = NULL;
  g_assert_cmpint(run_cli(weak, "short\n", &out3), ==, 1);
  g_assert_nonnull(strstr(out3, "at least 10 characters"));

  const char *badrole[] = {HW_HALLWATCHD, "user", "add", "x", "--role", "root", "--config", conf, NULL};
  g_assert_cmpint(run_cli(badrole, "", NULL), ==, 2);

  g_autofree char *cookie = NULL, *csrf = NULL;
  g_autoptr(Response) ok = login(f, "clerk", "a fine long password", &cookie, &csrf);
  g_assert_cmpint(ok->status, ==, 200);
  g_assert_nonnull(strstr(ok->body, "\"role\":\"hall_manager\""));

  const char *random[] = {HW_HALLWATCHD, "user", "passwd", "clerk", "--random-password", "--config", conf, NULL};
  g_autofree char *out4 = NULL;
  g_assert_cmpint(run_cli(random, NULL, &out4), ==, 0);
  const char *p = strstr(out4, "password for clerk: ");
  g_assert_nonnull(p);
  g_autofree char *pw = g_strndup(p + 20, 20);
  /* A new password ends the sessions. */
  g_autoptr(Response) me = http(f->port, "GET", "/api/v1/auth/me", cookie, NULL, NULL, NULL);
  assert_error(me, 401, "session_expired", NULL);
  g_autoptr(Response) ok2 = login(f, "clerk", pw, NULL, NULL);
  g_assert_cmpint(ok2->status, ==, 200);

  const char *disable[] = {HW_HALLWATCHD, "user", "disable", "clerk", "--config", conf, NULL};
  g_assert_cmpint(run_cli(disable, NULL, NULL), ==, 0);
  g_autoptr(Response) no = login(f, "clerk", pw, NULL, NULL);
  assert_error(no, 401, "bad_credentials", NULL);

  /* The one enabled admin stays: the command refuses to disable it and says why. */
  const char *last[] = {HW_HALLWATCHD, "user", "disable", "admin", "--config", conf, NULL};
  g_autofree char *out6 = NULL;
  g_assert_cmpint(run_cli(last, NULL, &out6), ==, 1);
  g_assert_nonnull(strstr(out6, "last enabled administrator"));

  const char *list[] = {HW_HALLWATCHD, "user", "list", "--config", conf, NULL};
  g_autofree char *out5 = NULL;
  g_assert_cmpint(run_cli(list, NULL, &out5), ==, 0);
  g_assert_nonnull(strstr(out5, "clerk"));
  g_assert_nonnull(strstr(out5, "disabled"));
  g_assert_nonnull(strstr(out5, "hall:H2"));
  g_assert_null(strstr(out5, "$argon2"));
}

/* ---- the audit rows of sign-in, tokens and the command line ----------------------------------- */

/* The rows with this action, in order (g_free the array). */
static HwAuditRow *audit_rows(Fixture *f, const char *action, size_t *ret_n)
{
  HwAuditFilter filter = {.action = action};
  HwAuditRow *rows = NULL;
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_store_audit_query(f->store, &filter, &rows, ret_n, &error));
  g_assert_no_error(error);
  return rows;
}

/* The one row of action whose actor is actor and whose detail holds detail_part (NULL: any). */
static const HwAuditRow *find_row(const HwAuditRow *rows, size_t n, const char *actor,
                                  const char *detail_part)
{
  const HwAuditRow *found = NULL;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(rows[i].actor, actor) != 0)
      continue;
    if (detail_part && !strstr(rows[i].detail, detail_part))
      continue;
    if (found)
      g_error("two rows by %s with %s", actor, detail_part ? detail_part : "any detail");
    found = &rows[i];
  }
  if (!found)
    g_error("no row by %s with %s", actor, detail_part ? detail_part : "any detail");
  return found;
}

/* needle must be nowhere in the file (the database and its WAL, byte for byte). */
static void assert_not_in_file(const char *path, const char *needle)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents(path, &data, &len, NULL))
    return; /* no WAL */
  if (memmem(data, len, needle, strlen(needle)))
    g_error("%s holds the secret \"%s\"", path, needle);
}

static void test_audit_sign_in(Fixture *f, gconstpointer data)
{
  start_server(f, 0, 2, 0);
  /* The appliance key, so that the CLI signs the log's head at its end and verify passes. */
  g_autofree char *key_path = hw_key_path_for_database(f->db);
  g_autoptr(HwKey) key = hw_key_load_or_create(key_path, NULL, NULL);
  g_assert_nonnull(key);

  /* Success first: a successful sign-in clears the address's failures. */
  g_autofree char *cookie = NULL, *csrf = NULL;
  g_autoptr(Response) ok = login(f, "admin", PASSWORD, &cookie, &csrf);
  g_assert_cmpint(ok->status, ==, 200);
  g_autoptr(Response) made = http(f->port, "POST", "/api/v1/tokens", cookie, csrf, NULL,
                                  "{\"department\":\"civil-affairs\",\"name\":\"approvals\"}");
  g_assert_cmpint(made->status, ==, 201);
  json_t *o = json_loads(made->body, 0, NULL);
  g_autofree char *token = g_strdup(json_string_value(json_object_get(o, "token")));
  json_int_t token_id = json_integer_value(json_object_get(o, "id"));
  json_decref(o);
  g_autofree char *del_path = g_strdup_printf("/api/v1/tokens/%" JSON_INTEGER_FORMAT, token_id);
  g_autoptr(Response) del = http(f->port, "DELETE", del_path, cookie, csrf, NULL, NULL);
  g_assert_cmpint(del->status, ==, 200);
  g_autoptr(Response) out = http(f->port, "POST", "/api/v1/auth/logout", cookie, csrf, NULL, NULL);
  g_assert_cmpint(out->status, ==, 200);

  /* Then every kind of refusal; lockout_after is 2, so the address is limited after 8. */
  g_autoptr(Response) wrong = login(f, "supervisor", "wrong horse battery", NULL, NULL);
  g_assert_cmpint(wrong->status, ==, 401);
  g_autoptr(Response) unknown = login(f, "nobody", "nobody's password", NULL, NULL);
  g_assert_cmpint(unknown->status, ==, 401);
  g_autoptr(Response) w1 = login(f, "investigator", "investigator typo 1", NULL, NULL);
  g_assert_cmpint(w1->status, ==, 401);
  g_autoptr(Response) w2 = login(f, "investigator", "investigator typo 2", NULL, NULL);
  g_assert_cmpint(w2->status, ==, 423);
  g_autoptr(Response) locked = login(f, "investigator", PASSWORD, NULL, NULL);
  g_assert_cmpint(locked->status, ==, 423);
  int status = 0, ghosts = 0;
  g_autofree char *limited_name = NULL;
  for (int i = 0; i < 8 && status != 429; i++) {
    g_free(limited_name);
    limited_name = g_strdup_printf("ghost%d", i);
    g_autoptr(Response) r = login(f, limited_name, "ghost password", NULL, NULL);
    status = r->status;
    ghosts += status == 401;
  }
  g_assert_cmpint(status, ==, 429);
  for (int i = 0; i < 3; i++) { /* only the first refusal of a lock is recorded */
    g_autoptr(Response) r = login(f, "admin", PASSWORD, NULL, NULL);
    g_assert_cmpint(r->status, ==, 429);
  }

  /* A user added from the shell. */
  g_autofree char *conf = g_build_filename(f->dir, "hallwatch.conf", NULL);
  g_autofree char *text = g_strdup_printf("[storage]\nfootage = %s\ndatabase = %s\n", f->dir, f->db);
  g_assert_true(g_file_set_contents(conf, text, -1, NULL));
  const char *add[] = {HW_HALLWATCHD, "user", "add", "clerk", "--role", "hall_manager", "--hall",
                       "H2", "--config", conf, NULL};
  g_assert_cmpint(run_cli(add, "a fine long password\n", NULL), ==, 0);
  const char *disable[] = {HW_HALLWATCHD, "user", "disable", "clerk", "--config", conf, NULL};
  g_assert_cmpint(run_cli(disable, NULL, NULL), ==, 0);

  size_t n;
  g_autofree HwAuditRow *logins = audit_rows(f, "auth.login", &n);
  g_assert_cmpuint(n, ==, 1);
  g_assert_cmpstr(logins[0].actor, ==, "admin");
  g_assert_cmpstr(logins[0].role, ==, "admin");
  g_assert_cmpstr(logins[0].address, ==, "127.0.0.1");
  g_assert_cmpstr(logins[0].object_type, ==, "user");
  g_assert_cmpstr(logins[0].object_id, ==, "admin");

  g_autofree HwAuditRow *failed = audit_rows(f, "auth.login_failed", &n);
  const HwAuditRow *r = find_row(failed, n, "supervisor", "\"wrong_password\"");
  g_assert_cmpstr(r->role, ==, "supervisor");
  g_assert_cmpstr(r->address, ==, "127.0.0.1");
  /* Unknown names are not kept (they are often passwords typed into the wrong box): "nobody" and
   * the ghosts all show as the unknown user. */
  size_t n_unknown = 0;
  for (size_t i = 0; i < n; i++) {
    if (strcmp(failed[i].actor, "(unknown user)") != 0 || !strstr(failed[i].detail, "\"unknown_user\""))
      continue;
    n_unknown++;
    g_assert_cmpstr(failed[i].role, ==, "");
    g_assert_cmpstr(failed[i].address, ==, "127.0.0.1");
    g_assert_cmpstr(failed[i].object_id, ==, "(unknown user)");
  }
  g_assert_cmpuint(n_unknown, ==, 1 + (size_t)ghosts);
  for (size_t i = 0; i < n; i++) /* no name that is not a user's is recorded */
    g_assert_true(strcmp(failed[i].actor, "nobody") != 0 && !g_str_has_prefix(failed[i].actor, "ghost"));
  find_row(failed, n, "investigator", "\"reason\":\"locked\",\"locked_until\"");
  /* the attempt that locked it */
  find_row(failed, n, "investigator", "\"reason\":\"wrong_password\",\"locked_until\"");
  r = find_row(failed, n, "(unknown user)", "\"address_limited\""); /* ghosts are no users */
  g_assert_cmpstr(r->address, ==, "127.0.0.1");
  size_t limited = 0;
  for (size_t i = 0; i < n; i++)
    limited += strstr(failed[i].detail, "address_limited") != NULL;
  g_assert_cmpuint(limited, ==, 1); /* the admin's three refusals after it are not rows */
  g_assert_cmpuint(n, ==, 5 + (size_t)ghosts + 1);

  g_autofree HwAuditRow *logouts = audit_rows(f, "auth.logout", &n);
  g_assert_cmpuint(n, ==, 1);
  g_assert_cmpstr(logouts[0].actor, ==, "admin");
  g_assert_cmpstr(logouts[0].address, ==, "127.0.0.1");

  g_autofree HwAuditRow *tokens = audit_rows(f, "token.change", &n);
  g_assert_cmpuint(n, ==, 2);
  g_autofree char *id_text = g_strdup_printf("%" JSON_INTEGER_FORMAT, token_id);
  for (size_t i = 0; i < n; i++) {
    g_assert_cmpstr(tokens[i].actor, ==, "admin");
    g_assert_cmpstr(tokens[i].role, ==, "admin");
    g_assert_cmpstr(tokens[i].object_type, ==, "api_token");
    g_assert_cmpstr(tokens[i].object_id, ==, id_text);
    g_assert_nonnull(strstr(tokens[i].detail, "\"department\":\"civil-affairs\""));
    g_assert_nonnull(strstr(tokens[i].detail, "\"name\":\"approvals\""));
  }
  g_assert_nonnull(strstr(tokens[0].detail, "\"op\":\"create\""));
  g_assert_nonnull(strstr(tokens[1].detail, "\"op\":\"revoke\""));

  g_autofree HwAuditRow *users = audit_rows(f, "user.change", &n);
  g_assert_cmpuint(n, ==, 2);
  g_autofree char *cli_actor = g_strdup_printf("cli:%s", g_get_user_name());
  g_assert_cmpstr(users[0].actor, ==, cli_actor);
  g_assert_cmpstr(users[0].object_id, ==, "clerk");
  g_assert_nonnull(strstr(users[0].detail, "\"op\":\"add\""));
  g_assert_nonnull(strstr(users[0].detail, "\"role\":\"hall_manager\""));
  g_assert_nonnull(strstr(users[0].detail, "\"halls\":[\"H2\"]"));
  g_assert_nonnull(strstr(users[1].detail, "\"op\":\"disable\""));

  /* No password, token, token hash or session cookie in any row, nor anywhere in the file. */
  char token_hash[65], cookie_hash[65];
  hw_auth_token_hash(token, token_hash);
  hw_auth_token_hash(cookie, cookie_hash);
  const char *secrets[] = {PASSWORD, "wrong horse battery", "nobody's password",
                           "investigator typo", "ghost password", "a fine long password",
                           token, token + 4, token_hash, cookie, csrf};
  g_autofree HwAuditRow *all = audit_rows(f, NULL, &n);
  g_assert_cmpuint(n, >=, 16);
  for (size_t i = 0; i < n; i++) {
    g_autofree char *row = hw_audit_row_to_json(&all[i]);
    for (size_t j = 0; j < G_N_ELEMENTS(secrets); j++)
      if (strstr(row, secrets[j]))
        g_error("audit row %s holds a secret", row);
    g_assert_null(strstr(row, cookie_hash)); /* the session's key in the store, not for the log */
  }
  g_autofree char *wal = g_strconcat(f->db, "-wal", NULL);
  for (size_t j = 0; j < G_N_ELEMENTS(secrets); j++) {
    if (secrets[j] == token_hash || secrets[j] == csrf)
      continue; /* api_tokens and sessions keep these: that is how they are checked */
    assert_not_in_file(f->db, secrets[j]);
    assert_not_in_file(wal, secrets[j]);
  }

  /* The chain holds and the CLI signed its head over every row above. */
  const char *verify[] = {HW_HALLWATCHD, "audit", "verify", "--json", "--config", conf, NULL};
  g_autofree char *vout = NULL;
  int rc = run_cli(verify, NULL, &vout);
  if (rc != 0)
    g_error("hallwatchd audit verify exited %d: %s", rc, vout);
  json_t *v = json_loads(vout, 0, NULL);
  g_assert_nonnull(v);
  g_assert_true(json_is_true(json_object_get(v, "ok")));
  g_assert_cmpint(json_integer_value(json_object_get(v, "unsigned_rows")), ==, 0);
  g_assert_cmpint(json_integer_value(json_object_get(v, "rows")), ==, (json_int_t)n);
  json_decref(v);
}

/* ---- user management over the API ------------------------------------------------------------- */

static json_t *json_of(const Response *r)
{
  json_t *o = json_loads(r->body, 0, NULL);
  if (!o)
    g_error("not JSON: %s", r->body);
  return o;
}

static const char *jstr(json_t *o, const char *key)
{
  return json_string_value(json_object_get(o, key));
}

static void test_users(Fixture *f, gconstpointer data)
{
  int64_t admin = f->user_ids[HW_ROLE_ADMIN];
  /* Created with a generated password: shown once, usable, never stored or logged in clear. */
  g_autoptr(Response) made =
    call_as(f, admin, "POST", "/api/v1/users",
            "{\"name\":\"clerk\",\"role\":\"viewer\",\"display_name\":\"王芳 Wang Fang\","
            "\"halls\":[\"HA\"]}");
  g_assert_cmpint(made->status, ==, 201);
  json_t *m = json_of(made);
  g_autofree char *pw = g_strdup(jstr(m, "password"));
  g_assert_cmpuint(strlen(pw), ==, 20);
  g_assert_cmpstr(jstr(m, "display_name"), ==, "王芳 Wang Fang");
  g_assert_cmpstr(json_string_value(json_array_get(json_object_get(m, "halls"), 0)), ==, "HA");
  g_assert_true(json_is_null(json_object_get(m, "departments")));
  g_assert_true(json_is_null(json_object_get(m, "last_sign_in")));
  int64_t clerk = json_integer_value(json_object_get(m, "id"));
  json_decref(m);
  g_autofree char *cookie = NULL, *csrf = NULL;
  g_autoptr(Response) in = login(f, "clerk", pw, &cookie, &csrf);
  g_assert_cmpint(in->status, ==, 200);

  /* The list shows it with its last sign-in; the one GET by id likewise. */
  g_autoptr(Response) list = call_as(f, admin, "GET", "/api/v1/users", NULL);
  g_assert_cmpint(list->status, ==, 200);
  json_t *l = json_of(list);
  g_assert_cmpuint(json_array_size(l), ==, HW_ROLE_COUNT); /* 6 roles + clerk */
  json_decref(l);
  g_autofree char *clerk_path = g_strdup_printf("/api/v1/users/%" G_GINT64_FORMAT, clerk);
  g_autoptr(Response) one = call_as(f, admin, "GET", clerk_path, NULL);
  g_assert_cmpint(one->status, ==, 200);
  json_t *o = json_of(one);
  g_assert_cmpstr(jstr(o, "name"), ==, "clerk");
  g_assert_true(json_is_string(json_object_get(o, "last_sign_in")));
  g_assert_null(json_object_get(o, "password"));
  json_decref(o);
  g_autoptr(Response) none = call_as(f, admin, "GET", "/api/v1/users/999999", NULL);
  assert_error(none, 404, "not_found", NULL);

  /* Refusals name the field. */
  struct {
    const char *body, *code, *field;
  } bad[] = {
    {"{\"name\":\"a b\",\"role\":\"viewer\"}", "invalid_field", "name"},
    {"{\"name\":\"x\",\"role\":\"root\"}", "invalid_field", "role"},
    {"{\"name\":\"x\",\"role\":\"viewer\",\"password\":\"short\"}", "weak_password", "password"},
    {"{\"name\":\"x\",\"role\":\"viewer\",\"halls\":[\"H 1\"]}", "invalid_field", "halls"},
    {"{\"name\":\"x\",\"role\":\"viewer\",\"colour\":1}", "invalid_field", "colour"},
    {"{\"role\":\"viewer\"}", "invalid_field", "name"},
    {"{\"name\":\"clerk\",\"role\":\"viewer\"}", "conflict", "name"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(Response) r = call_as(f, admin, "POST", "/api/v1/users", bad[i].body);
    assert_error(r, bad[i].code[0] == 'c' ? 409 : 400, bad[i].code, NULL);
    g_autofree char *field = g_strdup_printf("\"field\":\"%s\"", bad[i].field);
    if (!strstr(r->body, field))
      g_error("%s: %s lacks %s", bad[i].body, r->body, field);
  }
  /* A given password is taken and never echoed. */
  g_autoptr(Response) given = call_as(f, admin, "POST", "/api/v1/users",
                                      "{\"name\":\"second\",\"role\":\"admin\","
                                      "\"password\":\"a long given password\"}");
  g_assert_cmpint(given->status, ==, 201);
  g_assert_null(strstr(given->body, "a long given password"));
  g_assert_null(strstr(given->body, "\"password\""));

  /* A display name changes nothing of access: the session stays. */
  g_autoptr(Response) renamed = call_as(f, admin, "PATCH", clerk_path, "{\"display_name\":\"王芳\"}");
  g_assert_cmpint(renamed->status, ==, 200);
  g_assert_nonnull(strstr(renamed->body, "\"sessions_ended\":false"));
  g_autoptr(Response) still = http(f->port, "GET", "/api/v1/auth/me", cookie, NULL, NULL, NULL);
  g_assert_cmpint(still->status, ==, 200);

  /* A role change ends the sessions at once; departments given alone keep the halls. */
  g_autoptr(Response) promoted = call_as(f, admin, "PATCH", clerk_path,
                                         "{\"role\":\"supervisor\",\"departments\":[\"DA\"]}");
  g_assert_cmpint(promoted->status, ==, 200);
  json_t *p = json_of(promoted);
  g_assert_cmpstr(jstr(p, "role"), ==, "supervisor");
  g_assert_true(json_is_true(json_object_get(p, "sessions_ended")));
  g_assert_cmpstr(json_string_value(json_array_get(json_object_get(p, "halls"), 0)), ==, "HA");
  g_assert_cmpstr(json_string_value(json_array_get(json_object_get(p, "departments"), 0)), ==, "DA");
  json_decref(p);
  g_autoptr(Response) gone = http(f->port, "GET", "/api/v1/auth/me", cookie, NULL, NULL, NULL);
  assert_error(gone, 401, "session_expired", NULL);

  /* Disabling ends the new session and refuses sign-in. */
  g_autofree char *cookie2 = NULL, *csrf2 = NULL;
  g_autoptr(Response) in2 = login(f, "clerk", pw, &cookie2, &csrf2);
  g_assert_cmpint(in2->status, ==, 200);
  g_autoptr(Response) off = call_as(f, admin, "PATCH", clerk_path, "{\"disabled\":true}");
  g_assert_cmpint(off->status, ==, 200);
  g_autoptr(Response) gone2 = http(f->port, "GET", "/api/v1/auth/me", cookie2, NULL, NULL, NULL);
  assert_error(gone2, 401, "session_expired", NULL);
  g_autoptr(Response) refused = login(f, "clerk", pw, NULL, NULL);
  assert_error(refused, 401, "bad_credentials", NULL);

  /* An admin reset: generated, shown once, ends sessions; the user is enabled again first. */
  g_autoptr(Response) on = call_as(f, admin, "PATCH", clerk_path, "{\"disabled\":false}");
  g_assert_cmpint(on->status, ==, 200);
  g_autofree char *reset_path = g_strdup_printf("%s/password", clerk_path);
  g_autoptr(Response) weak = call_as(f, admin, "POST", reset_path, "{\"password\":\"short\"}");
  assert_error(weak, 400, "weak_password", "10 characters");
  g_autoptr(Response) reset = call_as(f, admin, "POST", reset_path, "{}");
  g_assert_cmpint(reset->status, ==, 200);
  json_t *rs = json_of(reset);
  g_autofree char *pw2 = g_strdup(jstr(rs, "password"));
  json_decref(rs);
  g_assert_nonnull(pw2);
  g_autoptr(Response) old_pw = login(f, "clerk", pw, NULL, NULL);
  assert_error(old_pw, 401, "bad_credentials", NULL);
  g_autoptr(Response) new_pw = login(f, "clerk", pw2, NULL, NULL);
  g_assert_cmpint(new_pw->status, ==, 200);

  /* Admins limited to a hall or a department manage no users. */
  g_autoptr(Response) limited =
    call_as(f, scoped_user(f, HW_ROLE_ADMIN, "hall", "HA"), "GET", "/api/v1/users", NULL);
  assert_error(limited, 403, "forbidden", "cannot manage users");

  /* Every change left one row: who, which user, old → new; never a password or its hash. */
  size_t n = 0;
  g_autofree HwAuditRow *rows = audit_rows(f, "user.change", &n);
  g_assert_cmpuint(n, ==, 7); /* add clerk, add second, rename, promote, disable, enable, reset */
  const HwAuditRow *promo = find_row(rows, n, "admin", "\"role\":{\"from\":\"viewer\",\"to\":\"supervisor\"}");
  g_assert_cmpstr(promo->object_id, ==, "clerk");
  g_assert_nonnull(strstr(promo->detail, "\"departments\":{\"from\":null,\"to\":[\"DA\"]}"));
  const HwAuditRow *add = find_row(rows, n, "admin", "\"departments\":null,\"password\":\"generated\"");
  g_assert_cmpstr(add->object_id, ==, "clerk");
  g_assert_nonnull(strstr(add->detail, "\"halls\":[\"HA\"]"));
  find_row(rows, n, "admin", "\"password\":\"given\"");
  find_row(rows, n, "admin", "\"disabled\":{\"from\":false,\"to\":true}");
  for (size_t i = 0; i < n; i++) {
    g_assert_null(strstr(rows[i].detail, pw));
    g_assert_null(strstr(rows[i].detail, pw2));
    g_assert_null(strstr(rows[i].detail, "argon2"));
  }
  hw_store_close(g_steal_pointer(&f->store)); /* flush the WAL into the file we read */
  f->store = hw_store_open(f->db, NULL);
  g_autofree char *wal = g_strdup_printf("%s-wal", f->db);
  for (const char *const *s = (const char *const[]){pw, pw2, "a long given password", NULL}; *s; s++) {
    assert_not_in_file(f->db, *s);
    assert_not_in_file(wal, *s);
  }
}

/* The rule of one enabled admin: the last one can neither demote nor disable themself, over the
 * API; once a second admin exists it can, and its own sessions end with the change. */
static void test_users_last_admin(Fixture *f, gconstpointer data)
{
  int64_t admin = f->user_ids[HW_ROLE_ADMIN];
  g_autofree char *self = g_strdup_printf("/api/v1/users/%" G_GINT64_FORMAT, admin);
  g_autoptr(Response) demote = call_as(f, admin, "PATCH", self, "{\"role\":\"viewer\"}");
  assert_error(demote, 409, "last_admin", "last enabled administrator");
  g_autoptr(Response) off = call_as(f, admin, "PATCH", self, "{\"disabled\":true}");
  assert_error(off, 409, "last_admin", NULL);
  size_t n = 0;
  g_autofree HwAuditRow *none = audit_rows(f, "user.change", &n);
  g_assert_cmpuint(n, ==, 0); /* refused: no row, nothing changed */

  g_autoptr(Response) second = call_as(f, admin, "POST", "/api/v1/users",
                                       "{\"name\":\"admin2\",\"role\":\"admin\"}");
  g_assert_cmpint(second->status, ==, 201);
  g_autofree char *cookie = NULL, *csrf = NULL;
  make_session(f, admin, hw_time_now(), &cookie, &csrf);
  g_autoptr(Response) ok =
    http(f->port, "PATCH", self, cookie, csrf, NULL, "{\"role\":\"auditor\"}");
  g_assert_cmpint(ok->status, ==, 200);
  g_autoptr(Response) after = http(f->port, "GET", "/api/v1/users", cookie, NULL, NULL, NULL);
  assert_error(after, 401, "session_expired", NULL);
}

/* Any signed-in user changes their own password with the current one. */
static void test_own_password(Fixture *f, gconstpointer data)
{
  g_autofree char *cookie = NULL, *csrf = NULL;
  g_autoptr(Response) in = login(f, "viewer", PASSWORD, &cookie, &csrf);
  g_assert_cmpint(in->status, ==, 200);
  const char *path = "/api/v1/auth/password";
  g_autoptr(Response) wrong = http(f->port, "POST", path, cookie, csrf, NULL,
                                   "{\"current_password\":\"not it at all\","
                                   "\"new_password\":\"a new long password\"}");
  assert_error(wrong, 403, "wrong_password", NULL);
  HwStoreUser u;
  g_assert_true(hw_store_user_get(f->store, "viewer", &u, NULL));
  g_assert_cmpint(u.failed_logins, ==, 1); /* counts toward the lock-out like a sign-in */
  g_autoptr(Response) weak = http(f->port, "POST", path, cookie, csrf, NULL,
                                  "{\"current_password\":\"" PASSWORD "\",\"new_password\":\"short\"}");
  assert_error(weak, 400, "weak_password", "10 characters");
  g_autoptr(Response) nocsrf = http(f->port, "POST", path, cookie, NULL, NULL,
                                    "{\"current_password\":\"" PASSWORD "\","
                                    "\"new_password\":\"a new long password\"}");
  assert_error(nocsrf, 403, "csrf_required", NULL);

  g_autoptr(Response) ok = http(f->port, "POST", path, cookie, csrf, NULL,
                                "{\"current_password\":\"" PASSWORD "\","
                                "\"new_password\":\"a new long password\"}");
  g_assert_cmpint(ok->status, ==, 200);
  g_assert_true(g_str_has_prefix(header(ok, "set-cookie"), "hw_session=;"));
  g_autoptr(Response) me = http(f->port, "GET", "/api/v1/auth/me", cookie, NULL, NULL, NULL);
  assert_error(me, 401, "session_expired", NULL);
  g_autoptr(Response) old = login(f, "viewer", PASSWORD, NULL, NULL);
  assert_error(old, 401, "bad_credentials", NULL);
  g_autoptr(Response) fresh = login(f, "viewer", "a new long password", NULL, NULL);
  g_assert_cmpint(fresh->status, ==, 200);

  size_t n = 0;
  g_autofree HwAuditRow *rows = audit_rows(f, "user.change", &n);
  const HwAuditRow *r = find_row(rows, n, "viewer", "\"self\":true");
  g_assert_cmpstr(r->object_id, ==, "viewer");
  g_assert_null(strstr(r->detail, "password\":\"a new"));
  size_t nf = 0;
  g_autofree HwAuditRow *failed = audit_rows(f, "auth.password_failed", &nf);
  find_row(failed, nf, "viewer", "wrong_password");
}

/* Auditors' reads of the log are in the log too: one row per request, with the filter. */
static void test_audit_reads(Fixture *f, gconstpointer data)
{
  int64_t auditor = f->user_ids[HW_ROLE_AUDITOR];
  g_autoptr(Response) list = call_as(f, auditor, "GET", "/api/v1/audit?action=auth.&limit=5", NULL);
  g_assert_cmpint(list->status, ==, 200);
  g_autoptr(Response) verify = call_as(f, auditor, "GET", "/api/v1/audit/verify", NULL);
  g_assert_cmpint(verify->status, ==, 200);
  size_t n = 0;
  g_autofree HwAuditRow *reads = audit_rows(f, "audit.read", &n);
  g_assert_cmpuint(n, ==, 1);
  g_assert_cmpstr(reads[0].actor, ==, "auditor");
  g_assert_cmpstr(reads[0].role, ==, "auditor");
  g_assert_cmpstr(reads[0].address, ==, "127.0.0.1");
  g_assert_nonnull(strstr(reads[0].detail, "\"action\":\"auth.\""));
  g_assert_nonnull(strstr(reads[0].detail, "\"limit\":5"));
  size_t nv = 0;
  g_autofree HwAuditRow *verifies = audit_rows(f, "audit.verify", &nv);
  g_assert_cmpuint(nv, ==, 1);
  g_assert_cmpstr(verifies[0].actor, ==, "auditor");
  /* The read before is what the second read sees. */
  g_autoptr(Response) again = call_as(f, auditor, "GET", "/api/v1/audit?action=audit.", NULL);
  g_assert_nonnull(strstr(again->body, "\"action\":\"audit.read\""));
  g_assert_nonnull(strstr(again->body, "\"action\":\"audit.verify\""));
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define FT(name, fn, spec)                                                                         \
  g_test_add("/web/" name, Fixture, spec, fixture_setup, fn, fixture_teardown)
  FT("route_role", test_route_role, NULL);
  FT("scope_walk", test_scope_walk, NULL);
  g_test_add_func("/web/route_without_permission", test_route_without_permission);
  g_test_add_func("/web/permission_snapshot", test_permission_snapshot);
  FT("login", test_login, NULL);
  FT("lockout", test_lockout, "defer");
  FT("address_limit", test_address_limit, "defer");
  FT("idle_expiry", test_idle_expiry, "defer");
  FT("logout", test_logout, NULL);
  FT("csrf", test_csrf, NULL);
  FT("tokens", test_tokens, NULL);
  FT("body_limits", test_body_limits, "defer");
  FT("cli_user", test_cli_user, NULL);
  FT("audit_sign_in", test_audit_sign_in, "defer");
  FT("users", test_users, NULL);
  FT("users_last_admin", test_users_last_admin, NULL);
  FT("own_password", test_own_password, NULL);
  FT("audit_reads", test_audit_reads, NULL);
  return g_test_run();
}
