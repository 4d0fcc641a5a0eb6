/* hallwatchd --demo's department feed, end to end: the real daemon starts with a fast feed, its
 * simulated departments post through the exchange API with their own tokens, and a supervisor
 * signed in over HTTP sees their cases (several departments, at the demo hall's windows, with
 * stage events and masked applicants) through the case API, and the warnings engine raises
 * yellow and red warnings on them that the case list filters by. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <signal.h>
#include <stdbool.h>
#include <string.h>

static char *http(int port, const char *method, const char *path, const char *headers,
                  const char *body, int *ret_status, char **ret_cookie)
{
  g_autoptr(GString) raw = g_string_new(NULL);
  g_string_append_printf(raw, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s",
                         method, path, headers ? headers : "");
  if (body)
    g_string_append_printf(raw, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                           strlen(body), body);
  else
    g_string_append(raw, "\r\n");
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn =
      g_socket_client_connect_to_host(client, "127.0.0.1", (guint16)port, NULL, &error);
  g_assert_no_error(error);
  g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)), raw->str, raw->len,
                            NULL, NULL, NULL);
  GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
  g_autoptr(GByteArray) buf = g_byte_array_new();
  guint8 chunk[65536];
  gssize got;
  while ((got = g_input_stream_read(in, chunk, sizeof chunk, NULL, NULL)) > 0)
    g_byte_array_append(buf, chunk, (guint)got);
  g_byte_array_append(buf, (const guint8 *)"", 1);
  const char *text = (const char *)buf->data;
  const char *sep = strstr(text, "\r\n\r\n");
  g_assert_nonnull(sep);
  *ret_status = atoi(text + 9);
  if (ret_cookie) {
    const char *ck = strstr(text, "hw_session=");
    *ret_cookie = ck && ck < sep ? g_strndup(ck, strcspn(ck, ";\r\n")) : NULL;
  }
  return g_strdup(sep + 4);
}

static void test_demo_feed(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("hw-demo-feed-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *err_path = g_build_filename(dir, "stderr.txt", NULL);
  g_autoptr(GSubprocessLauncher) l = g_subprocess_launcher_new(G_SUBPROCESS_FLAGS_STDOUT_PIPE);
  g_subprocess_launcher_set_stderr_file_path(l, err_path);
  g_autoptr(GSubprocess) p = g_subprocess_launcher_spawn(
      l, &error, HW_HALLWATCHD, "--demo", "--port", "0", "--demo-feed-interval", "150", NULL);
  g_assert_no_error(error);
  g_autoptr(GDataInputStream) out = g_data_input_stream_new(g_subprocess_get_stdout_pipe(p));
  g_autofree char *url = g_data_input_stream_read_line(out, NULL, NULL, &error);
  g_assert_no_error(error);
  g_assert_nonnull(url);
  int port = 0;
  g_assert_cmpint(sscanf(url, "http://127.0.0.1:%d/", &port), ==, 1);
  g_autofree char *err_text = NULL;
  g_assert_true(g_file_get_contents(err_path, &err_text, NULL, NULL));
  const char *line = strstr(err_text, "demo user supervisor");
  g_assert_nonnull(line);
  const char *pw = strstr(line, "password ");
  g_assert_nonnull(pw);
  g_autofree char *password = g_strndup(pw + 9, strcspn(pw + 9, "\n"));
  g_autofree char *body =
      g_strdup_printf("{\"username\":\"supervisor\",\"password\":\"%s\"}", password);
  int status;
  g_autofree char *cookie = NULL;
  g_free(http(port, "POST", "/api/v1/auth/login", NULL, body, &status, &cookie));
  g_assert_cmpint(status, ==, 200);
  g_autofree char *hdr = g_strdup_printf("Cookie: %s\r\n", cookie);

  /* Cases arrive within seconds; wait for a dozen at most 20 s. */
  json_t *list = NULL;
  for (int i = 0; i < 100; i++) {
    g_autofree char *text = http(port, "GET", "/api/v1/cases?limit=200", hdr, NULL, &status, NULL);
    g_assert_cmpint(status, ==, 200);
    json_decref(list);
    list = json_loads(text, 0, NULL);
    if (json_array_size(json_object_get(list, "cases")) >= 12)
      break;
    g_usleep(200000);
  }
  json_t *cases = json_object_get(list, "cases");
  g_assert_cmpuint(json_array_size(cases), >=, 12);
  g_autoptr(GHashTable) depts = g_hash_table_new(g_str_hash, g_str_equal);
  json_t *c;
  size_t i;
  int64_t any_id = 0;
  json_array_foreach(cases, i, c)
  {
    g_hash_table_add(depts, (gpointer)json_string_value(json_object_get(c, "department")));
    g_assert_cmpstr(json_string_value(json_object_get(c, "hall")), ==, "JY-DEMO");
    g_assert_true(g_str_has_prefix(json_string_value(json_object_get(c, "window")), "W0"));
    json_t *a = json_object_get(c, "applicant");
    if (strcmp(json_string_value(json_object_get(a, "type")), "person") == 0)
      g_assert_true(json_is_true(json_object_get(a, "masked")));
    any_id = json_integer_value(json_object_get(c, "id"));
  }
  g_assert_cmpuint(g_hash_table_size(depts), >=, 5);
  /* One case has its stages in order, starting with the ticket call. */
  g_autofree char *path = g_strdup_printf("/api/v1/cases/%" G_GINT64_FORMAT, any_id);
  g_autofree char *detail = http(port, "GET", path, hdr, NULL, &status, NULL);
  g_assert_cmpint(status, ==, 200);
  json_t *d = json_loads(detail, 0, NULL);
  json_t *stages = json_object_get(d, "stages");
  g_assert_cmpuint(json_array_size(stages), >=, 3);
  g_assert_nonnull(json_object_get(json_object_get(d, "limits"), "promised"));
  const char *op = json_string_value(json_object_get(json_array_get(stages, 0), "operator_id"));
  g_assert_nonnull(op);
  g_autofree char *staff = g_strdup_printf("/api/v1/staff/%s/events", op);
  g_autofree char *events = http(port, "GET", staff, hdr, NULL, &status, NULL);
  g_assert_cmpint(status, ==, 200);
  json_t *ev = json_loads(events, 0, NULL);
  g_assert_cmpuint(json_array_size(json_object_get(ev, "events")), >=, 1);
  json_decref(ev);
  json_decref(d);
  json_decref(list);

  /* The warnings engine sees the feed: yellow and red warnings open within seconds here (the
   * feed's back-dated, short-limit and rule-breaking cases), and the case list filters by them. */
  bool yellow = false, red = false;
  for (int tries = 0; tries < 100 && !(yellow && red); tries++) {
    g_autofree char *w = http(port, "GET", "/api/v1/warnings?limit=200", hdr, NULL, &status, NULL);
    g_assert_cmpint(status, ==, 200);
    json_t *wl = json_loads(w, 0, NULL);
    json_t *x;
    size_t j;
    json_array_foreach(json_object_get(wl, "warnings"), j, x)
    {
      const char *level = json_string_value(json_object_get(x, "level"));
      yellow |= g_strcmp0(level, "yellow") == 0;
      red |= g_strcmp0(level, "red") == 0;
    }
    json_decref(wl);
    if (!(yellow && red))
      g_usleep(200000);
  }
  g_assert_true(yellow);
  g_assert_true(red);
  const char *levels[] = {"yellow", "red"};
  for (size_t k = 0; k < 2; k++) {
    g_autofree char *lp = g_strdup_printf("/api/v1/cases?warning=%s&limit=200", levels[k]);
    g_autofree char *text = http(port, "GET", lp, hdr, NULL, &status, NULL);
    g_assert_cmpint(status, ==, 200);
    json_t *wanted = json_loads(text, 0, NULL);
    json_t *cs = json_object_get(wanted, "cases");
    g_assert_cmpuint(json_array_size(cs), >=, 1);
    json_array_foreach(cs, i, c)
        g_assert_cmpstr(json_string_value(json_object_get(c, "warning_level")), ==, levels[k]);
    /* the case view lists the warning itself */
    g_autofree char *one =
        g_strdup_printf("/api/v1/cases/%" JSON_INTEGER_FORMAT,
                        json_integer_value(json_object_get(json_array_get(cs, 0), "id")));
    g_autofree char *dt = http(port, "GET", one, hdr, NULL, &status, NULL);
    g_assert_cmpint(status, ==, 200);
    json_t *dj = json_loads(dt, 0, NULL);
    bool found = false;
    json_array_foreach(json_object_get(dj, "warnings"), i, c) found |=
        g_strcmp0(json_string_value(json_object_get(c, "level")), levels[k]) == 0 &&
        g_strcmp0(json_string_value(json_object_get(c, "state")), "open") == 0;
    g_assert_true(found);
    json_decref(dj);
    json_decref(wanted);
  }

  g_subprocess_send_signal(p, SIGTERM);
  g_assert_true(g_subprocess_wait(p, NULL, &error));
  g_assert_true(g_subprocess_get_if_exited(p));
  g_assert_cmpint(g_subprocess_get_exit_status(p), ==, 0);
  g_autofree char *err_after = NULL;
  g_assert_true(g_file_get_contents(err_path, &err_after, NULL, NULL));
  g_assert_null(strstr(err_after, "demo feed: ")); /* no batch refused */
  g_unlink(err_path);
  g_rmdir(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/cases/demo_feed", test_demo_feed);
  return g_test_run();
}
