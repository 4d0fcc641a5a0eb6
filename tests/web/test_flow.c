/* web.flow: issue 3's end-to-end flow over real HTTP against a real hallwatchd (capture harness):
 * users made with the CLI, a hall manager adds a camera that records and maps it to a window, an
 * auditor reads those changes in the audit log and verifies the chain, and after shutdown
 * `hallwatchd audit verify` agrees. Sign-in rows are not required (they land separately). */
#include <gio/gio.h>
#include <jansson.h>
#include <string.h>

#include "tests/capture/harness.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_t, json_decref)

typedef struct {
  int status;
  char *body;
  char *cookie; /* "hw_session=…" from Set-Cookie, NULL if none */
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

/* One request on its own connection (Connection: close); NULL if it could not connect. */
static Resp *http(int port, const char *method, const char *path, const Session *s,
                  const char *body)
{
  g_autoptr(GSocketClient) c = g_socket_client_new();
  g_socket_client_set_timeout(c, 20);
  g_autoptr(GSocketConnection) conn =
    g_socket_client_connect_to_host(c, "127.0.0.1", (guint16)port, NULL, NULL);
  if (!conn)
    return NULL;
  g_autoptr(GString) req = g_string_new(NULL);
  g_string_append_printf(req, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n",
                         method, path);
  if (s && s->cookie)
    g_string_append_printf(req, "Cookie: %s\r\nX-CSRF-Token: %s\r\n", s->cookie, s->csrf);
  if (body)
    g_string_append_printf(req, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                           strlen(body), body);
  else
    g_string_append(req, "\r\n");
  g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)), req->str, req->len,
                            NULL, NULL, NULL);
  GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
  g_autoptr(GByteArray) all = g_byte_array_new();
  guint8 buf[16384];
  gssize n;
  while ((n = g_input_stream_read(in, buf, sizeof buf, NULL, NULL)) > 0)
    g_byte_array_append(all, buf, (guint)n);
  g_byte_array_append(all, (const guint8 *)"", 1);
  const char *text = (const char *)all->data;
  Resp *r = g_new0(Resp, 1);
  sscanf(text, "HTTP/1.1 %d", &r->status);
  const char *end = strstr(text, "\r\n\r\n");
  const char *ck = g_strstr_len(text, end ? end - text : -1, "Set-Cookie: hw_session=");
  if (ck)
    r->cookie = g_strndup(ck + 12, strcspn(ck + 12, ";\r\n"));
  r->body = g_strdup(end ? end + 4 : "");
  return r;
}

static json_t *jcall(int port, const char *method, const char *path, const Session *s,
                     const char *body, int *ret_status)
{
  g_autoptr(Resp) r = http(port, method, path, s, body);
  *ret_status = r ? r->status : 0;
  return r ? json_loads(r->body, 0, NULL) : NULL;
}

/* `hallwatchd user add NAME --role ROLE --random-password`; the printed password (g_free). */
static char *add_user(Hx *hx, const char *name, const char *role)
{
  const char *argv[] = {HW_HALLWATCHD, "user", "add", name, "--role", role,
                        "--random-password", "--config", hx->conf, NULL};
  g_autofree char *out = NULL;
  int rc = hx_run_sync(argv, &out, 30000);
  g_autofree char *needle = g_strdup_printf("password for %s: ", name);
  const char *p = out ? strstr(out, needle) : NULL;
  if (rc != 0 || !p) {
    fprintf(stderr, "user add %s: exit %d: %s\n", name, rc, out ? out : "");
    return NULL;
  }
  p += strlen(needle);
  return g_strndup(p, strcspn(p, "\r\n"));
}

static bool sign_in(int port, const char *user, const char *pw, Session *s)
{
  g_autoptr(json_t) req = json_pack("{s:s, s:s}", "username", user, "password", pw);
  g_autofree char *body = json_dumps(req, JSON_COMPACT);
  g_autoptr(Resp) r = http(port, "POST", "/api/v1/auth/login", NULL, body);
  if (!r || r->status != 200 || !r->cookie) {
    fprintf(stderr, "sign-in %s: %d %s\n", user, r ? r->status : 0, r ? r->body : "");
    return false;
  }
  g_autoptr(json_t) j = json_loads(r->body, 0, NULL);
  s->cookie = g_strdup(r->cookie);
  s->csrf = g_strdup(json_string_value(json_object_get(j, "csrf_token")));
  return s->csrf != NULL;
}

/* The state of camera id in GET /api/v1/cameras as the session sees it ("" if absent). */
static char *camera_state(int port, const Session *s, const char *id)
{
  int st = 0;
  g_autoptr(json_t) cams = jcall(port, "GET", "/api/v1/cameras", s, NULL, &st);
  size_t i;
  json_t *c;
  json_array_foreach(cams, i, c)
  {
    const char *stream = json_string_value(json_object_get(c, "stream"));
    if (g_strcmp0(json_string_value(json_object_get(c, "id")), id) == 0 &&
        (stream == NULL || strcmp(stream, "main") == 0))
      return g_strdup(json_string_value(json_object_get(c, "state")));
  }
  return g_strdup("");
}

static bool wait_recording(int port, const Session *s, const char *id, int timeout_ms)
{
  g_autofree char *state = NULL;
  for (int waited = 0; waited <= timeout_ms; waited += 200) {
    g_free(state);
    state = camera_state(port, s, id);
    if (g_strcmp0(state, "recording") == 0) /* state is null until the camera has a status */
      return true;
    hx_sleep_ms(200);
  }
  fprintf(stderr, "%s is '%s' after %d ms\n", id, state, timeout_ms);
  return false;
}

/* Whether rows hold one with this action and object id (and op in its detail, if given). */
static bool has_row(json_t *rows, const char *action, const char *object_id, const char *op)
{
  size_t i;
  json_t *r;
  json_array_foreach(rows, i, r)
  {
    if (g_strcmp0(json_string_value(json_object_get(r, "action")), action) != 0 ||
        g_strcmp0(json_string_value(json_object_get(r, "object_id")), object_id) != 0)
      continue;
    if (!op)
      return true;
    json_t *detail = json_object_get(r, "detail");
    if (g_strcmp0(json_string_value(json_object_get(detail, "op")), op) == 0)
      return true;
  }
  return false;
}

/* The flow; returns 1 on a failed precondition (HX_REQUIRE), else 0 (failed checks counted). */
static int run(Hx *hx)
{
  HwRtspStreamSpec a = {.path = "/a"};
  hx_add_stream(hx, &a);
  hx_write_config(hx, NULL, "");
  g_autofree char *pw_mgr = add_user(hx, "manager", "hall_manager");
  g_autofree char *pw_aud = add_user(hx, "auditor", "auditor");
  HX_REQUIRE(pw_mgr && pw_aud, "hallwatchd user add failed");
  HX_REQUIRE(hx_start(hx), "hallwatchd does not start");
  int port = hx->http_port;
  int st = 0;
  for (int waited = 0; st != 200 && waited < 10000; waited += 100) {
    g_autofree char *health = hx_http_get(port, "/healthz", &st);
    if (st != 200)
      hx_sleep_ms(100);
  }
  HX_REQUIRE(st == 200, "hallwatchd does not answer /healthz within 10 s");

  /* 1. the hall manager signs in and adds a camera pointing at the test RTSP server */
  Session mgr = {0}, aud = {0};
  HX_REQUIRE(sign_in(port, "manager", pw_mgr, &mgr), "the hall manager cannot sign in");
  g_autoptr(json_t) hall =
    jcall(port, "POST", "/api/v1/halls", &mgr, "{\"code\":\"hall-1\",\"name\":\"Hall 1\"}", &st);
  HX_CHECK(st == 201, "POST /api/v1/halls: %d", st);
  g_autofree char *url = hw_rtsp_server_url(hx->server, "/a");
  g_autoptr(json_t) cam_req = json_pack("{s:s, s:s, s:s, s:s}", "id", "cam-1", "name", "Window 7",
                                        "url", url, "hall", "hall-1");
  g_autofree char *cam_body = json_dumps(cam_req, JSON_COMPACT);
  g_autoptr(json_t) cam = jcall(port, "POST", "/api/v1/cameras", &mgr, cam_body, &st);
  HX_REQUIRE(st == 201, "POST /api/v1/cameras: %d", st);

  /* 2. it records */
  HX_CHECK(wait_recording(port, &mgr, "cam-1", 15000), "cam-1 does not record within 15 s");

  /* 3. the window mapping changes (two intervals: the second closes the first) */
  g_autoptr(json_t) win = jcall(port, "POST", "/api/v1/windows", &mgr,
                                "{\"hall\":\"hall-1\",\"code\":\"7\",\"departments\":[\"tax\"]}", &st);
  HX_REQUIRE(st == 201, "POST /api/v1/windows: %d", st);
  json_int_t wid = json_integer_value(json_object_get(win, "id"));
  g_autofree char *wid_s = g_strdup_printf("%" JSON_INTEGER_FORMAT, wid);
  g_autofree char *wpath = g_strdup_printf("/api/v1/windows/%s/cameras", wid_s);
  g_autoptr(json_t) m1 = jcall(port, "PUT", wpath, &mgr,
                               "{\"cameras\":[\"cam-1\"],\"from\":\"2026-03-01T08:00:00+08:00\"}", &st);
  HX_CHECK(st == 200, "PUT %s (first): %d", wpath, st);
  g_autoptr(json_t) m2 = jcall(port, "PUT", wpath, &mgr,
                               "{\"cameras\":[],\"from\":\"2026-03-05T08:00:00+08:00\"}", &st);
  HX_CHECK(st == 200, "PUT %s (second): %d", wpath, st);

  /* 4. the auditor sees those changes and a sound chain; the manager may not read the log */
  HX_REQUIRE(sign_in(port, "auditor", pw_aud, &aud), "the auditor cannot sign in");
  g_autoptr(json_t) denied = jcall(port, "GET", "/api/v1/audit", &mgr, NULL, &st);
  HX_CHECK(st == 403, "a hall manager reads the audit log: %d", st);
  g_autoptr(json_t) log = jcall(port, "GET", "/api/v1/audit?limit=500", &aud, NULL, &st);
  json_t *rows = json_object_get(log, "rows");
  HX_CHECK(st == 200 && json_is_array(rows), "GET /api/v1/audit: %d", st);
  HX_CHECK(has_row(rows, "camera.change", "cam-1", "add"), "no camera.change add row for cam-1");
  HX_CHECK(has_row(rows, "window.cameras", wid_s, NULL), "no window.cameras row for window %s",
           wid_s);
  size_t i;
  json_t *r;
  int mapping_rows = 0;
  json_array_foreach(rows, i, r)
  {
    if (g_strcmp0(json_string_value(json_object_get(r, "action")), "window.cameras") == 0 &&
        g_strcmp0(json_string_value(json_object_get(r, "actor")), "manager") == 0)
      mapping_rows++;
  }
  HX_CHECK(mapping_rows == 2, "%d window.cameras rows by manager, want 2", mapping_rows);
  g_autoptr(json_t) ver = jcall(port, "GET", "/api/v1/audit/verify", &aud, NULL, &st);
  HX_CHECK(st == 200 && json_is_true(json_object_get(ver, "ok")), "GET /api/v1/audit/verify: %d",
           st);

  /* 5. after a clean stop (the head is signed at shutdown) the CLI agrees */
  hx_signal(hx, SIGTERM);
  HX_CHECK(hx_wait_exit(hx, 20000), "hallwatchd does not stop within 20 s");
  const char *argv[] = {HW_HALLWATCHD, "audit", "verify", "--config", hx->conf, NULL};
  g_autofree char *out = NULL;
  int rc = hx_run_sync(argv, &out, 30000);
  HX_CHECK(rc == 0, "hallwatchd audit verify exits %d: %s", rc, out ? out : "");

  session_clear(&mgr);
  session_clear(&aud);
  return 0;
}

int main(void)
{
  Hx *hx = hx_new("web-flow");
  int fatal = run(hx);
  if (hx_alive(hx))
    hx_kill9(hx); /* a failed precondition must not leave hallwatchd running */
  int failures = hx_failures + fatal;
  hx_free(hx);
  if (failures)
    fprintf(stderr, "%d check(s) failed\n", failures);
  return failures ? 1 : 0;
}
