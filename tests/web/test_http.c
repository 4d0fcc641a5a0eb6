/* Tests of web/: a real hw_http server on an ephemeral loopback port, fed by a fake status
 * function with two cameras, spoken to over a raw socket (no HTTP client library here). A
 * supervisor session is made in the store for the routes that need sign-in (test_auth.c tests
 * sign-in itself). */
#include "web/hw_http.h"

#include <glib/gstdio.h>
#include "sql/hw_store.h"
#include "sql/hw_store_auth.h"
#include "web/hw_auth.h"

#include <gio/gio.h>
#include <jansson.h>
#include <math.h>
#include <string.h>

#include "web/internal.h"

#define SECRET "hunter2-secret"

/* ---- the fake recorder ----------------------------------------------------------------------- */

static hw_time_ns fake_now;

static HwCameraStatus *fake_status(void *user, size_t *ret_n)
{
  int *calls = user;
  g_atomic_int_inc(calls);
  HwCameraStatus *st = g_new0(HwCameraStatus, 2);

  g_strlcpy(st[0].camera, "window-01", sizeof st[0].camera);
  g_strlcpy(st[0].stream, "main", sizeof st[0].stream);
  g_strlcpy(st[0].source, "config", sizeof st[0].source);
  st[0].state = HW_CAMERA_RECORDING;
  g_strlcpy(st[0].codec, "h264", sizeof st[0].codec);
  g_strlcpy(st[0].audio_codec, "aac", sizeof st[0].audio_codec);
  g_strlcpy(st[0].warning, "camera clock 3.2 s off", sizeof st[0].warning);
  st[0].width = 1920;
  st[0].height = 1080;
  st[0].fps = 25;
  st[0].bitrate_bps = 4096000.5;
  st[0].bytes = 123456789;
  st[0].frames = 9000;
  st[0].reconnects = 2;
  st[0].last_frame_ns = fake_now - 1500 * HW_NS_PER_MS;
  st[0].state_since_ns = INT64_C(1795000000) * HW_NS_PER_S;
  st[0].clock_offset_ns = -250 * HW_NS_PER_MS;

  /* A hostile-looking id (ids from the API are checked, but the renderer must not rely on it)
   * and an error text that carries credentials, as a GStreamer message might. */
  g_strlcpy(st[1].camera, "door\"2\\x", sizeof st[1].camera);
  g_strlcpy(st[1].stream, "sub", sizeof st[1].stream);
  g_strlcpy(st[1].source, "api", sizeof st[1].source);
  st[1].state = HW_CAMERA_RECONNECTING;
  g_strlcpy(st[1].last_error,
            "Could not open resource rtsp://admin:" SECRET "@192.0.2.7:554/ch1: timeout",
            sizeof st[1].last_error);
  st[1].state_since_ns = INT64_C(1795000100) * HW_NS_PER_S;
  st[1].paused_disk_floor = true;

  *ret_n = 2;
  return st;
}

static char *session_cookie; /* "Cookie: hw_session=…\r\n" of a supervisor */

/* ---- a minimal HTTP/1.1 client ---------------------------------------------------------------- */

typedef struct {
  int status;
  GHashTable *headers; /* lower-case name → value */
  char *body;
  size_t body_len;
} Response;

static void response_free(Response *r)
{
  g_hash_table_unref(r->headers);
  g_free(r->body);
  g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Response, response_free)

/* Sends raw (a whole request) and reads until the server closes. */
static Response *http_raw(int port, const char *raw)
{
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_socket_client_set_timeout(client, 5);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn =
    g_socket_client_connect_to_host(client, "127.0.0.1", (guint16)port, NULL, &error);
  g_assert_no_error(error);
  GOutputStream *out = g_io_stream_get_output_stream(G_IO_STREAM(conn));
  GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
  g_assert_true(g_output_stream_write_all(out, raw, strlen(raw), NULL, NULL, &error));
  g_assert_no_error(error);

  g_autoptr(GByteArray) buf = g_byte_array_new();
  guint8 chunk[4096];
  gssize got;
  while ((got = g_input_stream_read(in, chunk, sizeof chunk, NULL, &error)) > 0)
    g_byte_array_append(buf, chunk, (guint)got);
  g_assert_no_error(error);
  g_byte_array_append(buf, (const guint8 *)"", 1);

  const char *text = (const char *)buf->data;
  const char *sep = strstr(text, "\r\n\r\n");
  g_assert_nonnull(sep);
  Response *r = g_new0(Response, 1);
  r->headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *head = g_strndup(text, (gsize)(sep - text));
  g_auto(GStrv) lines = g_strsplit(head, "\r\n", -1);
  g_assert_true(g_str_has_prefix(lines[0], "HTTP/1.1 "));
  r->status = atoi(lines[0] + 9);
  for (int i = 1; lines[i]; i++) {
    char *colon = strchr(lines[i], ':');
    g_assert_nonnull(colon);
    g_hash_table_insert(r->headers, g_ascii_strdown(lines[i], colon - lines[i]),
                        g_strstrip(g_strdup(colon + 1)));
  }
  r->body_len = buf->len - 1 - (size_t)(sep + 4 - text);
  r->body = g_strndup(sep + 4, r->body_len);
  return r;
}

static Response *http_get(int port, const char *path)
{
  g_autofree char *raw =
    g_strdup_printf("GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n", path);
  return http_raw(port, raw);
}

/* GET as the signed-in supervisor. */
static Response *http_get_signed_in(int port, const char *path)
{
  g_autofree char *raw = g_strdup_printf(
    "GET %s HTTP/1.1\r\nHost: localhost\r\n%sConnection: close\r\n\r\n", path, session_cookie);
  return http_raw(port, raw);
}

static const char *header(const Response *r, const char *name)
{
  return g_hash_table_lookup(r->headers, name);
}

/* ---- fixture ----------------------------------------------------------------------------------- */

typedef struct {
  HwHttp *http;
  int port;
  int calls;
  char *dir;
  HwStore *store;
} Fixture;


static HwHttp *new_server(const char *host, int port, int *calls, HwStore *store, GError **error)
{
  HwHttpOptions o;
  hw_http_options_init(&o);
  o.host = host;
  o.port = port;
  o.status_fn = fake_status;
  o.status_user = calls;
  o.store = store;
  return hw_http_new(&o, error);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
  fake_now = hw_time_now();
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp("hw-web-http-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *db = g_build_filename(f->dir, "hallwatch.db", NULL);
  f->store = hw_store_open(db, &error);
  g_assert_no_error(error);
  int64_t uid = 0;
  g_assert_true(hw_store_user_add(f->store, "sup", "supervisor", "$argon2id$unused", NULL, 0, &uid,
                                  &error));
  g_autofree char *token = hw_auth_token_new(NULL);
  HwStoreSession s = {.user_id = uid, .created_ns = hw_time_now(), .last_seen_ns = hw_time_now()};
  hw_auth_token_hash(token, s.token_hash);
  g_strlcpy(s.csrf_token, "csrf", sizeof s.csrf_token);
  g_assert_true(hw_store_session_add(f->store, &s, &error));
  g_free(session_cookie);
  session_cookie = g_strdup_printf("Cookie: hw_session=%s\r\n", token);
  f->http = new_server("127.0.0.1", 0, &f->calls, f->store, &error);
  g_assert_no_error(error);
  f->port = hw_http_port(f->http);
  g_assert_cmpint(f->port, >, 0);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
  hw_http_free(f->http);
  hw_store_close(f->store);
  g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name(d)) != NULL) {
    g_autofree char *p = g_build_filename(f->dir, n, NULL);
    g_unlink(p);
  }
  g_rmdir(f->dir);
  g_free(f->dir);
}

static void assert_api_headers(const Response *r)
{
  g_assert_cmpstr(header(r, "x-content-type-options"), ==, "nosniff");
  g_assert_cmpstr(header(r, "cache-control"), ==, "no-store");
}

/* ---- tests ------------------------------------------------------------------------------------- */

static void test_healthz(Fixture *f, gconstpointer data)
{
  g_autoptr(Response) r = http_get(f->port, "/healthz");
  g_assert_cmpint(r->status, ==, 200);
  g_assert_cmpstr(r->body, ==, "ok\n");
  g_assert_true(g_str_has_prefix(header(r, "content-type"), "text/plain"));
}

static void test_head(Fixture *f, gconstpointer data)
{
  g_autoptr(Response) r =
    http_raw(f->port, "HEAD /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  g_assert_cmpint(r->status, ==, 200);
  g_assert_cmpuint(r->body_len, ==, 0);
}

/* Two requests on one connection, the signed-in one second: the server keeps the connection
 * (HTTP/1.1 keep-alive), so a client does not pay a TCP connect, nor under TLS a handshake, per
 * request. The first answer must not say "Connection: close". */
static void test_keep_alive(Fixture *f, gconstpointer data)
{
  g_autofree char *raw = g_strdup_printf("GET /healthz HTTP/1.1\r\nHost: localhost\r\n\r\n"
                                         "GET /api/v1/cameras HTTP/1.1\r\nHost: localhost\r\n"
                                         "%sConnection: close\r\n\r\n",
                                         session_cookie);
  g_autoptr(Response) r = http_raw(f->port, raw);
  g_assert_cmpint(r->status, ==, 200);
  g_assert_cmpstr(header(r, "connection"), !=, "close");
  /* The body of the first answer is followed by the whole second answer. */
  const char *second = strstr(r->body, "HTTP/1.1 200 OK\r\n");
  if (second == NULL)
    g_error("the server answered one request and closed: %s", r->body);
  g_assert_true(g_str_has_prefix(r->body, "ok\n"));
  g_assert_nonnull(strstr(second, "\"window-01\""));
}

/* Parses one sample line "name{k="v",...} value"; returns the metric name and labels. */
static gboolean parse_sample(const char *line, char **ret_name, GHashTable *labels, double *ret_v)
{
  const char *p = line;
  if (!g_ascii_isalpha(*p) && *p != '_')
    return FALSE;
  while (g_ascii_isalnum(*p) || *p == '_' || *p == ':')
    p++;
  *ret_name = g_strndup(line, (gsize)(p - line));
  if (*p == '{') {
    p++;
    while (*p != '}') {
      const char *k = p;
      while (g_ascii_isalnum(*p) || *p == '_')
        p++;
      if (p == k || p[0] != '=' || p[1] != '"')
        return FALSE;
      g_autofree char *key = g_strndup(k, (gsize)(p - k));
      p += 2;
      GString *v = g_string_new(NULL);
      for (; *p != '"'; p++) {
        if (*p == '\0' || *p == '\n') {
          g_string_free(v, TRUE);
          return FALSE;
        }
        if (*p == '\\') {
          p++;
          if (*p == 'n')
            g_string_append_c(v, '\n');
          else if (*p == '\\' || *p == '"')
            g_string_append_c(v, *p);
          else {
            g_string_free(v, TRUE);
            return FALSE;
          }
        } else {
          g_string_append_c(v, *p);
        }
      }
      p++;
      g_hash_table_insert(labels, g_steal_pointer(&key), g_string_free(v, FALSE));
      if (*p == ',')
        p++;
      else if (*p != '}')
        return FALSE;
    }
    p++;
  }
  if (*p++ != ' ')
    return FALSE;
  if (strcmp(p, "NaN") == 0 || strcmp(p, "+Inf") == 0 || strcmp(p, "-Inf") == 0) {
    *ret_v = strcmp(p, "NaN") == 0 ? NAN : strcmp(p, "+Inf") == 0 ? INFINITY : -INFINITY;
    return TRUE;
  }
  char *end;
  *ret_v = g_ascii_strtod(p, &end);
  return end != p && *end == '\0';
}

static void test_metrics(Fixture *f, gconstpointer data)
{
  g_autoptr(Response) r = http_get(f->port, "/metrics");
  g_assert_cmpint(r->status, ==, 200);
  g_assert_true(g_str_has_prefix(header(r, "content-type"), "text/plain; version=0.0.4"));
  g_assert_true(g_str_has_suffix(r->body, "\n"));

  g_autoptr(GHashTable) typed = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autoptr(GHashTable) seen = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  g_auto(GStrv) lines = g_strsplit(r->body, "\n", -1);
  for (int i = 0; lines[i] && *lines[i]; i++) {
    const char *l = lines[i];
    if (g_str_has_prefix(l, "# HELP "))
      continue;
    if (g_str_has_prefix(l, "# TYPE ")) {
      g_auto(GStrv) parts = g_strsplit(l + 7, " ", 2);
      g_assert_nonnull(parts[1]);
      g_assert_true(strcmp(parts[1], "gauge") == 0 || strcmp(parts[1], "counter") == 0);
      g_hash_table_insert(typed, g_strdup(parts[0]), g_strdup(parts[1]));
      continue;
    }
    g_autofree char *name = NULL;
    g_autoptr(GHashTable) labels = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
    double v;
    if (!parse_sample(l, &name, labels, &v))
      g_error("unparseable metrics line %d: %s", i + 1, l);
    g_assert_true(g_hash_table_contains(typed, name)); /* TYPE comes before the samples */
    const char *cam = g_hash_table_lookup(labels, "camera");
    const char *stream = g_hash_table_lookup(labels, "stream");
    g_assert_nonnull(cam);
    g_assert_nonnull(stream);
    g_assert_true(strcmp(cam, "window-01") == 0 || strcmp(cam, "door\"2\\x") == 0);
    const char *state = g_hash_table_lookup(labels, "state");
    g_autofree char *keyed =
      g_strdup_printf("%s|%s|%s|%s", name, cam, stream, state ? state : "");
    g_assert_false(g_hash_table_contains(seen, keyed)); /* no duplicate series */
    g_hash_table_add(seen, g_strdup(keyed));

    if (strcmp(name, "hallwatch_camera_state") == 0) {
      gboolean current = (strcmp(cam, "window-01") == 0 && strcmp(state, "recording") == 0) ||
                         (strcmp(cam, "door\"2\\x") == 0 && strcmp(state, "reconnecting") == 0);
      g_assert_cmpfloat(v, ==, current ? 1 : 0);
    } else if (strcmp(name, "hallwatch_camera_last_frame_age_seconds") == 0) {
      g_assert_cmpstr(cam, ==, "window-01"); /* the other has no frame yet: omitted */
      g_assert_cmpfloat(v, >=, 1.5);
      g_assert_cmpfloat(v, <, 60);
    }
  }
  const char *want[] = {
    "hallwatch_camera_state|window-01|main|recording",
    "hallwatch_camera_state|door\"2\\x|sub|disabled",
    "hallwatch_camera_bytes_total|window-01|main|",
    "hallwatch_camera_frames_total|window-01|main|",
    "hallwatch_camera_reconnects_total|door\"2\\x|sub|",
    "hallwatch_camera_last_frame_age_seconds|window-01|main|",
    "hallwatch_camera_bitrate_bps|window-01|main|",
    "hallwatch_camera_fps|window-01|main|",
    "hallwatch_camera_disk_floor_paused|door\"2\\x|sub|",
  };
  for (size_t i = 0; i < G_N_ELEMENTS(want); i++)
    if (!g_hash_table_contains(seen, want[i]))
      g_error("missing series %s", want[i]);
  g_assert_cmpuint(g_hash_table_size(seen), ==, 10 + 2 * 8 - 1);
  g_assert_cmpstr(g_hash_table_lookup(typed, "hallwatch_camera_bytes_total"), ==, "counter");
  g_assert_nonnull(strstr(r->body, "hallwatch_camera_bytes_total{camera=\"window-01\",stream=\"main\"} 123456789\n"));
  g_assert_nonnull(strstr(r->body, "hallwatch_camera_disk_floor_paused{camera=\"door\\\"2\\\\x\",stream=\"sub\"} 1\n"));
}

static void test_cameras(Fixture *f, gconstpointer data)
{
  /* Not open without sign-in any more (issue 3). */
  g_autoptr(Response) anon = http_get(f->port, "/api/v1/cameras");
  g_assert_cmpint(anon->status, ==, 401);
  g_assert_cmpstr(anon->body, ==, "{\"error\":{\"code\":\"unauthenticated\",\"message\":\"sign in first\"}}");

  g_autoptr(Response) r = http_get_signed_in(f->port, "/api/v1/cameras");
  g_assert_cmpint(r->status, ==, 200);
  g_assert_cmpstr(header(r, "content-type"), ==, "application/json; charset=utf-8");
  assert_api_headers(r);

  json_error_t jerr;
  json_t *arr = json_loads(r->body, 0, &jerr);
  g_assert_nonnull(arr);
  g_assert_true(json_is_array(arr));
  g_assert_cmpuint(json_array_size(arr), ==, 2);

  const char *fields[] = {"id", "stream", "source", "state", "state_since", "last_error",
                          "warning", "bitrate_bps", "fps", "codec", "audio_codec", "resolution",
                          "bytes", "frames", "reconnects", "last_frame"};
  for (size_t i = 0; i < 2; i++) {
    json_t *o = json_array_get(arr, i);
    g_assert_cmpuint(json_object_size(o), ==, G_N_ELEMENTS(fields));
    for (size_t j = 0; j < G_N_ELEMENTS(fields); j++)
      g_assert_nonnull(json_object_get(o, fields[j]));
  }

  json_t *a = json_array_get(arr, 0);
  g_assert_cmpstr(json_string_value(json_object_get(a, "id")), ==, "window-01");
  g_assert_cmpstr(json_string_value(json_object_get(a, "stream")), ==, "main");
  g_assert_cmpstr(json_string_value(json_object_get(a, "source")), ==, "config");
  g_assert_cmpstr(json_string_value(json_object_get(a, "state")), ==, "recording");
  g_assert_cmpstr(json_string_value(json_object_get(a, "state_since")), ==, "2026-11-18T11:06:40.000Z");
  g_assert_true(json_is_null(json_object_get(a, "last_error")));
  g_assert_cmpstr(json_string_value(json_object_get(a, "warning")), ==, "camera clock 3.2 s off");
  g_assert_cmpstr(json_string_value(json_object_get(a, "resolution")), ==, "1920x1080");
  g_assert_cmpstr(json_string_value(json_object_get(a, "codec")), ==, "h264");
  g_assert_cmpfloat(json_number_value(json_object_get(a, "fps")), ==, 25);
  g_assert_cmpfloat(json_number_value(json_object_get(a, "bitrate_bps")), ==, 4096000.5);
  g_assert_cmpint(json_integer_value(json_object_get(a, "bytes")), ==, 123456789);
  g_assert_cmpint(json_integer_value(json_object_get(a, "frames")), ==, 9000);
  g_assert_cmpint(json_integer_value(json_object_get(a, "reconnects")), ==, 2);
  hw_time_ns last;
  g_assert_cmpint(hw_time_parse(json_string_value(json_object_get(a, "last_frame")), &last), ==, 0);
  g_assert_cmpint(last / HW_NS_PER_MS, ==, (fake_now - 1500 * HW_NS_PER_MS) / HW_NS_PER_MS);

  json_t *b = json_array_get(arr, 1);
  g_assert_cmpstr(json_string_value(json_object_get(b, "id")), ==, "door\"2\\x");
  g_assert_cmpstr(json_string_value(json_object_get(b, "state")), ==, "reconnecting");
  g_assert_cmpstr(json_string_value(json_object_get(b, "last_error")), ==,
                  "Could not open resource rtsp://***@192.0.2.7:554/ch1: timeout");
  g_assert_true(json_is_null(json_object_get(b, "warning")));
  g_assert_true(json_is_null(json_object_get(b, "resolution")));
  g_assert_true(json_is_null(json_object_get(b, "last_frame")));
  g_assert_true(json_is_null(json_object_get(b, "codec")));
  json_decref(arr);
}

static void test_not_found(Fixture *f, gconstpointer data)
{
  g_autoptr(Response) r = http_get(f->port, "/api/v1/nope");
  g_assert_cmpint(r->status, ==, 404);
  g_assert_cmpstr(header(r, "content-type"), ==, "application/json; charset=utf-8");
  assert_api_headers(r);
  g_assert_cmpstr(r->body, ==,
                  "{\"error\":{\"code\":\"not_found\",\"message\":\"no route /api/v1/nope\"}}");

  /* Client bytes that are not UTF-8 still give valid JSON. */
  g_autoptr(Response) bad = http_get(f->port, "/%ff%22x");
  g_assert_cmpint(bad->status, ==, 404);
  json_t *o = json_loads(bad->body, 0, NULL);
  g_assert_nonnull(o);
  json_decref(o);
}

static void test_method_not_allowed(Fixture *f, gconstpointer data)
{
  g_autoptr(Response) r = http_raw(f->port, "POST /metrics HTTP/1.1\r\nHost: localhost\r\n"
                                            "Content-Length: 0\r\nConnection: close\r\n\r\n");
  g_assert_cmpint(r->status, ==, 405);
  g_assert_cmpstr(header(r, "allow"), ==, "GET, HEAD");
  g_assert_cmpstr(header(r, "content-type"), ==, "application/json; charset=utf-8");
  g_assert_cmpstr(r->body, ==, "{\"error\":{\"code\":\"method_not_allowed\",\"message\":"
                               "\"POST is not allowed on /metrics\"}}");

  g_autoptr(Response) d = http_raw(f->port, "DELETE /healthz HTTP/1.1\r\nHost: localhost\r\n"
                                            "Connection: close\r\n\r\n");
  g_assert_cmpint(d->status, ==, 405);
  g_assert_cmpstr(header(d, "allow"), ==, "GET, HEAD");
}

static void test_get_with_body(Fixture *f, gconstpointer data)
{
  int before = g_atomic_int_get(&f->calls);
  g_autoptr(Response) r = http_raw(f->port, "GET /api/v1/cameras HTTP/1.1\r\nHost: localhost\r\n"
                                            "Content-Length: 5\r\nConnection: close\r\n\r\nhello");
  g_assert_cmpint(r->status, ==, 400);
  g_assert_cmpstr(r->body, ==, "{\"error\":{\"code\":\"body_not_allowed\",\"message\":"
                               "\"a GET request takes no body\"}}");
  g_assert_cmpint(g_atomic_int_get(&f->calls), ==, before);

  g_autoptr(Response) c = http_raw(f->port, "GET /healthz HTTP/1.1\r\nHost: localhost\r\n"
                                            "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                                            "5\r\nhello\r\n0\r\n\r\n");
  g_assert_cmpint(c->status, ==, 400);
}

static void test_no_credentials(Fixture *f, gconstpointer data)
{
  const char *paths[] = {"/healthz", "/metrics", "/api/v1/cameras", "/nope"};
  for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
    g_autoptr(Response) r = http_get_signed_in(f->port, paths[i]);
    g_assert_null(strstr(r->body, SECRET));
    g_assert_null(strstr(r->body, "admin:"));
    g_assert_null(strstr(r->body, "password"));
  }
}

static void test_listen_errors(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  int calls = 0;
  g_autoptr(HwHttp) dup = new_server("127.0.0.1", f->port, &calls, f->store, &error);
  g_assert_null(dup);
  g_assert_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_LISTEN);
  g_autofree char *want = g_strdup_printf("cannot listen on 127.0.0.1:%d: ", f->port);
  g_assert_true(g_str_has_prefix(error->message, want));
  g_clear_error(&error);

  g_autoptr(HwHttp) name = new_server("example.com", 0, &calls, f->store, &error);
  g_assert_null(name);
  g_assert_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_ADDRESS);
  g_assert_cmpint(calls, ==, 0);
}

static void test_ipv6_loopback(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  int calls = 0;
  g_autoptr(HwHttp) h = new_server("::1", 0, &calls, f->store, &error);
  if (!h) {
    g_test_skip("no IPv6 loopback here");
    return;
  }
  g_assert_cmpint(hw_http_port(h), >, 0);
}

static void test_mask_credentials(void)
{
  struct {
    const char *in, *out;
  } cases[] = {
    {"rtsp://u:p@h/x", "rtsp://***@h/x"},
    {"a rtsp://u@h b rtsps://x:y@z:1/q?r=s@t", "a rtsp://***@h b rtsps://***@z:1/q?r=s@t"},
    {"no url here", "no url here"},
    {"rtsp://h/path@thing", "rtsp://h/path@thing"},
    {"://@", "://***@"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *got = hw_web_mask_credentials(cases[i].in);
    g_assert_cmpstr(got, ==, cases[i].out);
  }
}

static void test_metrics_empty(void)
{
  g_autofree char *m = hw_web_render_metrics(NULL, 0, 0);
  g_assert_nonnull(strstr(m, "# TYPE hallwatch_camera_state gauge\n"));
  g_autofree char *j = hw_web_render_cameras(NULL, 0);
  g_assert_cmpstr(j, ==, "[]");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define FT(name, fn) g_test_add("/web/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  FT("healthz", test_healthz);
  FT("head", test_head);
  FT("keep_alive", test_keep_alive);
  FT("metrics", test_metrics);
  FT("cameras", test_cameras);
  FT("not_found", test_not_found);
  FT("method_not_allowed", test_method_not_allowed);
  FT("get_with_body", test_get_with_body);
  FT("no_credentials", test_no_credentials);
  FT("listen_errors", test_listen_errors);
  FT("ipv6_loopback", test_ipv6_loopback);
  g_test_add_func("/web/mask_credentials", test_mask_credentials);
  g_test_add_func("/web/metrics_empty", test_metrics_empty);
  return g_test_run();
}
