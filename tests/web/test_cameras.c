/* web.cameras: camera management over real HTTP against a real hallwatchd (the capture harness):
 * a hall manager adds a camera that records, changes it (only it restarts), deletes it; config
 * cameras are read-only; credentials never come back nor reach the log; validation names the
 * field; the window mapping keeps its history; a hall-limited manager sees only its hall; the
 * test endpoint and the snapshot give decodable JPEGs. */
#include <gio/gio.h>
#include <jansson.h>
#include <string.h>

#include "tests/capture/harness.h"

#define SECRET "S3cret-Pw-9f2"

typedef struct {
  int status;
  char *body;
  char *cookie;
} Resp;

static void resp_free(Resp *r)
{
  if (r) {
    g_free(r->body);
    g_free(r->cookie);
    g_free(r);
  }
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Resp, resp_free)

typedef struct {
  char *cookie, *csrf;
} Session;

static void session_clear(Session *s)
{
  g_clear_pointer(&s->cookie, g_free);
  g_clear_pointer(&s->csrf, g_free);
}

static Resp *http(int port, const char *method, const char *path, const Session *s,
                  const char *body)
{
  g_autoptr(GSocketClient) c = g_socket_client_new();
  g_socket_client_set_timeout(c, 30);
  g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host(c, "127.0.0.1", (guint16)port, NULL, NULL);
  if (!conn)
    return NULL;
  GString *req = g_string_new(NULL);
  g_string_append_printf(req, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n", method, path);
  if (s && s->cookie)
    g_string_append_printf(req, "Cookie: %s\r\nX-CSRF-Token: %s\r\n", s->cookie, s->csrf);
  if (body)
    g_string_append_printf(req, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                           strlen(body), body);
  else
    g_string_append(req, "\r\n");
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
  g_output_stream_write_all(out, req->str, req->len, NULL, NULL, NULL);
  g_string_free(req, TRUE);
  GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
  GByteArray *all = g_byte_array_new();
  guint8 buf[65536];
  gssize n;
  while ((n = g_input_stream_read(in, buf, sizeof buf, NULL, NULL)) > 0)
    g_byte_array_append(all, buf, (guint)n);
  g_byte_array_append(all, (const guint8 *)"", 1);
  Resp *r = g_new0(Resp, 1);
  const char *text = (const char *)all->data;
  sscanf(text, "HTTP/1.1 %d", &r->status);
  const char *end = strstr(text, "\r\n\r\n");
  const char *ck = g_strstr_len(text, end ? end - text : -1, "Set-Cookie: hw_session=");
  if (ck)
    r->cookie = g_strndup(ck + 12, strcspn(ck + 12, ";\r\n"));
  if (end) {
    size_t off = (size_t)(end + 4 - text);
    r->body = g_malloc(all->len - off);
    memcpy(r->body, end + 4, all->len - off);
    /* keep the length for binary bodies in the first bytes' caller */
    r->status = r->status;
  }
  g_byte_array_free(all, TRUE);
  return r;
}

/* Binary body length: HTTP responses here are Connection: close, so everything after the header. */
static gsize http_binary(int port, const char *path, const Session *s, guint8 **ret)
{
  g_autoptr(GSocketClient) c = g_socket_client_new();
  g_autoptr(GSocketConnection) conn = g_socket_client_connect_to_host(c, "127.0.0.1", (guint16)port, NULL, NULL);
  g_autofree char *req = g_strdup_printf("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nCookie: %s\r\n\r\n", path, s->cookie);
  g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)), req, strlen(req), NULL, NULL, NULL);
  GByteArray *all = g_byte_array_new();
  guint8 buf[65536];
  gssize n;
  while ((n = g_input_stream_read(g_io_stream_get_input_stream(G_IO_STREAM(conn)), buf, sizeof buf, NULL, NULL)) > 0)
    g_byte_array_append(all, buf, (guint)n);
  guint8 *end = memmem(all->data, all->len, "\r\n\r\n", 4);
  gsize off = end ? (gsize)(end + 4 - all->data) : all->len;
  *ret = g_memdup2(all->data + off, all->len - off);
  gsize len = all->len - off;
  g_byte_array_free(all, TRUE);
  return len;
}

static bool sign_in(int port, const char *user, const char *pw, Session *s)
{
  g_autofree char *body = g_strdup_printf("{\"username\":\"%s\",\"password\":\"%s\"}", user, pw);
  g_autoptr(Resp) r = http(port, "POST", "/api/v1/auth/login", NULL, body);
  if (!r || r->status != 200 || !r->cookie)
    return false;
  json_t *j = json_loads(r->body, 0, NULL);
  s->cookie = g_strdup(r->cookie);
  s->csrf = g_strdup(json_string_value(json_object_get(j, "csrf_token")));
  json_decref(j);
  return s->csrf != NULL;
}

static json_t *jget(int port, const Session *s, const char *path, int *ret_status)
{
  g_autoptr(Resp) r = http(port, "GET", path, s, NULL);
  *ret_status = r ? r->status : 0;
  return r && r->body ? json_loads(r->body, 0, NULL) : NULL;
}

static int64_t file_bytes(Hx *hx, const char *camera)
{
  sqlite3 *db = hx_db_open(hx);
  g_autofree char *sql = g_strdup_printf("SELECT coalesce(sum(size),0) FROM files WHERE camera = '%s'", camera);
  int64_t v = hx_db_int(db, sql);
  sqlite3_close(db);
  return v;
}

static bool is_jpeg_ffprobe(Hx *hx, const guint8 *data, gsize len, const char *name)
{
  if (len < 4 || data[0] != 0xff || data[1] != 0xd8)
    return false;
  g_autofree char *path = g_build_filename(hx->dir, name, NULL);
  g_file_set_contents(path, (const char *)data, (gssize)len, NULL);
  g_autofree char *ffprobe = g_find_program_in_path("ffprobe");
  if (ffprobe == NULL)
    return false;
  const char *argv[] = {ffprobe, "-v", "error", "-show_entries", "stream=codec_name,width", "-of", "csv=p=0", path, NULL};
  g_autofree char *out = NULL;
  int rc = hx_run_sync(argv, &out, 20000);
  return rc == 0 && out && strstr(out, "mjpeg") != NULL;
}

static bool wait_recording(Hx *hx, const char *id, int ms)
{
  const char *ids[] = {id, NULL};
  return hx_wait_state(hx, ids, "recording", ms);
}

int main(void)
{
  Hx *hx = hx_new("web-cameras");
  HwRtspStreamSpec a = {.path = "/a"}, b = {.path = "/b"}, cfgs = {.path = "/cfg"};
  hx_add_stream(hx, &a);
  hx_add_stream(hx, &b);
  hx_add_stream(hx, &cfgs);
  hw_rtsp_server_set_credentials(hx->server, "viewer", SECRET);
  GString *cams = g_string_new(NULL);
  hx_camera(cams, hx, "cfg-1", "/cfg", NULL, "viewer", SECRET);
  hx_write_config(hx, NULL, cams->str);
  g_string_free(cams, TRUE);
  g_autofree char *pw_all = hx_add_user(hx, "mgr", "hall_manager", NULL);
  g_autofree char *pw_b = hx_add_user(hx, "mgr-b", "hall_manager", "hall-b");
  HX_REQUIRE(pw_all && pw_b, "cannot add the hall managers");
  HX_REQUIRE(hx_start(hx), "hallwatchd does not start");
  int port = hx->http_port;
  HX_REQUIRE(wait_recording(hx, "cfg-1", 15000), "the config camera does not record");
  Session m = {0}, mb = {0};
  HX_REQUIRE(sign_in(port, "mgr", pw_all, &m) && sign_in(port, "mgr-b", pw_b, &mb), "sign-in failed");
  g_autofree char *url_a = hw_rtsp_server_url(hx->server, "/a");
  g_autofree char *url_b = hw_rtsp_server_url(hx->server, "/b");

  /* halls */
  g_autoptr(Resp) h1 = http(port, "POST", "/api/v1/halls", &m, "{\"code\":\"hall-a\",\"name\":\"A\"}");
  g_autoptr(Resp) h2 = http(port, "POST", "/api/v1/halls", &m, "{\"code\":\"hall-b\",\"name\":\"B\"}");
  HX_CHECK(h1 && h1->status == 201 && h2 && h2->status == 201, "halls not created");

  /* add two cameras: one per hall */
  g_autofree char *body_a = g_strdup_printf("{\"id\":\"cam-a\",\"name\":\"A\",\"url\":\"%s\",\"username\":\"viewer\",\"password\":\"%s\",\"hall\":\"hall-a\"}", url_a, SECRET);
  g_autoptr(Resp) ca = http(port, "POST", "/api/v1/cameras", &m, body_a);
  HX_CHECK(ca && ca->status == 201, "POST cam-a: %d %s", ca ? ca->status : 0, ca ? ca->body : "");
  HX_CHECK(ca && strstr(ca->body, SECRET) == NULL && strstr(ca->body, "viewer") == NULL, "credentials echoed");
  g_autofree char *body_b = g_strdup_printf("{\"id\":\"cam-b\",\"url\":\"%s\",\"username\":\"viewer\",\"password\":\"%s\",\"hall\":\"hall-b\"}", url_b, SECRET);
  g_autoptr(Resp) cb = http(port, "POST", "/api/v1/cameras", &mb, body_b);
  HX_CHECK(cb && cb->status == 201, "POST cam-b by the hall-b manager: %d %s", cb ? cb->status : 0, cb ? cb->body : "");
  HX_CHECK(wait_recording(hx, "cam-a", 10000) && wait_recording(hx, "cam-b", 10000), "API cameras not recording within 10 s");

  /* validation names the field */
  struct { const char *body, *field; } bad[] = {
    {"{\"id\":\"x y\",\"url\":\"rtsp://h/x\"}", "id"},
    {"{\"id\":\"x\",\"url\":\"http://h/x\"}", "url"},
    {"{\"id\":\"x\",\"url\":\"rtsp://u:p@h/x\"}", "url"},
    {"{\"id\":\"x\",\"url\":\"rtsp://h/x\",\"transport\":\"sctp\"}", "transport"},
    {"{\"id\":\"x\",\"url\":\"rtsp://h/x\",\"retain_days\":-1}", "retain_days"},
    {"{\"id\":\"x\",\"url\":\"rtsp://h/x\",\"colour\":1}", "colour"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autoptr(Resp) r = http(port, "POST", "/api/v1/cameras", &m, bad[i].body);
    g_autofree char *want = g_strdup_printf("\"field\":\"%s\"", bad[i].field);
    HX_CHECK(r && r->status == 400 && strstr(r->body, want), "validation %s: %d %s", bad[i].field, r ? r->status : 0, r ? r->body : "");
  }

  /* config cameras are read-only */
  g_autoptr(Resp) pc = http(port, "PATCH", "/api/v1/cameras/cfg-1", &m, "{\"name\":\"x\"}");
  g_autoptr(Resp) dc = http(port, "DELETE", "/api/v1/cameras/cfg-1", &m, NULL);
  HX_CHECK(pc && pc->status == 409 && dc && dc->status == 409, "config camera not 409");

  /* scope: mgr-b cannot see cam-a (404, not 403), nor list it */
  int st = 0;
  json_t *j = jget(port, &mb, "/api/v1/cameras/cam-a", &st);
  HX_CHECK(st == 404, "hall-b manager reads cam-a: %d", st);
  json_decref(j);
  j = jget(port, &mb, "/api/v1/cameras", &st);
  HX_CHECK(st == 200 && hx_camera_entry(j, "cam-a") == NULL && hx_camera_entry(j, "cam-b") != NULL, "hall-b manager's list");
  json_decref(j);
  g_autoptr(Resp) pb = http(port, "PATCH", "/api/v1/cameras/cam-a", &mb, "{\"name\":\"x\"}");
  HX_CHECK(pb && pb->status == 404, "hall-b manager patches cam-a: %d", pb ? pb->status : 0);

  /* PATCH cam-a's URL: only it restarts; cam-b keeps growing, no reconnect */
  j = jget(port, &m, "/api/v1/cameras", &st);
  json_int_t b_reconnects = json_integer_value(json_object_get(hx_camera_entry(j, "cam-b"), "reconnects"));
  g_autofree char *b_since = g_strdup(json_string_value(json_object_get(hx_camera_entry(j, "cam-b"), "state_since")));
  json_decref(j);
  int64_t b_before = file_bytes(hx, "cam-b");
  g_autofree char *patch = g_strdup_printf("{\"url\":\"%s\"}", url_b);
  g_autoptr(Resp) pa = http(port, "PATCH", "/api/v1/cameras/cam-a", &m, patch);
  HX_CHECK(pa && pa->status == 200 && strstr(pa->body, "/b\""), "PATCH cam-a: %s", pa ? pa->body : "");
  hx_sleep_ms(3000);
  HX_CHECK(wait_recording(hx, "cam-a", 10000), "cam-a does not record after its change");
  j = jget(port, &m, "/api/v1/cameras", &st);
  HX_CHECK(json_integer_value(json_object_get(hx_camera_entry(j, "cam-b"), "reconnects")) == b_reconnects &&
           g_strcmp0(json_string_value(json_object_get(hx_camera_entry(j, "cam-b"), "state_since")), b_since) == 0,
           "cam-b restarted when cam-a changed");
  json_decref(j);
  HX_CHECK(file_bytes(hx, "cam-b") > b_before, "cam-b's footage stopped growing");

  /* test endpoint: good credentials give a JPEG; bad ones the 401 reason */
  g_autoptr(Resp) t1 = http(port, "POST", "/api/v1/cameras/cam-a/test", &m, "{}");
  json_t *tj = t1 ? json_loads(t1->body, 0, NULL) : NULL;
  const char *b64 = json_string_value(json_object_get(tj, "snapshot_jpeg_base64"));
  gsize jl = 0;
  g_autofree guint8 *jpeg = b64 ? g_base64_decode(b64, &jl) : NULL;
  HX_CHECK(json_is_true(json_object_get(tj, "ok")) && json_integer_value(json_object_get(tj, "width")) == 320 &&
           is_jpeg_ffprobe(hx, jpeg, jl, "test.jpg"), "test endpoint: %s", t1 ? t1->body : "");
  json_decref(tj);
  g_autofree char *badpw = g_strdup_printf("{\"url\":\"%s\",\"username\":\"viewer\",\"password\":\"wrong\"}", url_a);
  g_autoptr(Resp) t2 = http(port, "POST", "/api/v1/cameras/cam-a/test", &m, badpw);
  HX_CHECK(t2 && strstr(t2->body, "\"reason\":\"auth_refused\""), "bad credentials: %s", t2 ? t2->body : "");

  /* snapshot from the recording */
  g_autofree guint8 *snap = NULL;
  gsize sl = http_binary(port, "/api/v1/cameras/cam-b/snapshot", &m, &snap);
  HX_CHECK(is_jpeg_ffprobe(hx, snap, sl, "snap.jpg"), "snapshot is not a JPEG (%zu bytes)", sl);

  /* windows and history */
  g_autoptr(Resp) w = http(port, "POST", "/api/v1/windows", &m, "{\"hall\":\"hall-a\",\"code\":\"7\",\"departments\":[\"tax\"]}");
  HX_CHECK(w && w->status == 201, "window: %s", w ? w->body : "");
  json_t *wj = w ? json_loads(w->body, 0, NULL) : NULL;
  json_int_t wid = json_integer_value(json_object_get(wj, "id"));
  json_decref(wj);
  g_autofree char *wpath = g_strdup_printf("/api/v1/windows/%" JSON_INTEGER_FORMAT "/cameras", wid);
  g_autoptr(Resp) m1 = http(port, "PUT", wpath, &m, "{\"cameras\":[\"cam-a\"],\"from\":\"2026-03-01T08:00:00+08:00\"}");
  g_autoptr(Resp) m2 = http(port, "PUT", wpath, &m, "{\"cameras\":[\"cfg-1\"],\"from\":\"2026-03-05T08:00:00+08:00\"}");
  HX_CHECK(m1 && m1->status == 200 && m2 && m2->status == 200, "mapping: %s", m2 ? m2->body : "");
  g_autofree char *q1 = g_strdup_printf("%s?at=2026-03-03T10:00:00%%2B08:00", wpath);
  g_autofree char *q2 = g_strdup_printf("%s?at=2026-03-06T10:00:00Z", wpath);
  g_autoptr(Resp) a1 = http(port, "GET", q1, &m, NULL);
  g_autoptr(Resp) a2 = http(port, "GET", q2, &m, NULL);
  HX_CHECK(a1 && strstr(a1->body, "\"cameras\":[\"cam-a\"]"), "history before: %s", a1 ? a1->body : "");
  HX_CHECK(a2 && strstr(a2->body, "\"cameras\":[\"cfg-1\"]"), "history after: %s", a2 ? a2->body : "");
  g_autoptr(Resp) a3 = http(port, "GET", wpath, &mb, NULL);
  HX_CHECK(a3 && a3->status == 404, "hall-b manager sees hall-a's window: %d", a3 ? a3->status : 0);

  /* DELETE stops it; the footage rows stay */
  int64_t a_bytes = file_bytes(hx, "cam-a");
  g_autoptr(Resp) da = http(port, "DELETE", "/api/v1/cameras/cam-a", &m, NULL);
  HX_CHECK(da && da->status == 200, "DELETE cam-a: %d", da ? da->status : 0);
  hx_sleep_ms(2000);
  j = jget(port, &m, "/api/v1/cameras", &st);
  HX_CHECK(hx_camera_entry(j, "cam-a") == NULL, "cam-a still listed after DELETE");
  json_decref(j);
  HX_CHECK(file_bytes(hx, "cam-a") >= a_bytes && a_bytes > 0, "cam-a's footage vanished");

  /* credentials never in a response above nor in the daemon's log nor the audit rows' detail */
  HX_CHECK(!hx_file_contains(hx->log, SECRET), "the password is in the daemon's log");
  j = jget(port, &m, "/api/v1/cameras", &st);
  char *all = json_dumps(j, 0);
  HX_CHECK(all && strstr(all, SECRET) == NULL, "the password is in GET /api/v1/cameras");
  free(all);
  json_decref(j);
  sqlite3 *db = hx_db_open(hx);
  g_autofree char *sql = g_strdup_printf("SELECT count(*) FROM audit_log WHERE detail LIKE '%%%s%%'", SECRET);
  HX_CHECK(hx_db_int(db, sql) == 0, "the password is in the audit log");
  HX_CHECK(hx_db_int(db, "SELECT count(*) FROM audit_log WHERE action = 'camera.change'") >= 3, "camera changes not audited");
  HX_CHECK(hx_db_int(db, "SELECT count(*) FROM audit_log WHERE action = 'footage.view' AND "
                         "object_type = 'camera' AND object_id = 'cam-b'") == 1,
           "the snapshot (footage) was shown without one footage.view row in the audit log");
  HX_CHECK(hx_db_int(db, "SELECT count(*) FROM camera_settings WHERE CAST(credentials AS TEXT) LIKE '%" SECRET "%'") == 0, "the password is stored in clear");
  sqlite3_close(db);

  hx_signal(hx, SIGTERM);
  hx_wait_exit(hx, 20000);
  session_clear(&m);
  session_clear(&mb);
  int failures = hx_failures;
  hx_free(hx);
  if (failures)
    fprintf(stderr, "%d check(s) failed\n", failures);
  return failures ? 1 : 0;
}
