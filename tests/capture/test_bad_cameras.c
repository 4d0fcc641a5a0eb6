/* capture.bad_cameras: a camera refusing our credentials and a camera that cannot be reached get a
 * clear state and reason, while a good camera in the same daemon keeps recording and the daemon
 * stays up; the password never shows in the daemon's output or its API. */
#include "tests/capture/harness.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#define SECRET "Sekr3t-Pa55word"

int main(void)
{
  Hx *hx = hx_new("badcams");
  HwRtspStreamSpec good = {.path = "/good"};
  hx_add_stream(hx, &good);
  /* The locked camera is a second server that requires credentials. */
  g_autoptr(GError) error = NULL;
  HwRtspServer *locked = hw_rtsp_server_new(0, &error);
  HX_REQUIRE(locked != NULL, "cannot start the second server: %s", error->message);
  HwRtspStreamSpec ls = {.path = "/locked", .width = 320, .height = 240, .fps = 25};
  HX_REQUIRE(hw_rtsp_server_add_stream(locked, &ls, &error), "cannot add /locked");
  hw_rtsp_server_set_credentials(locked, "admin", "the-right-one");
  g_autofree char *locked_url = hw_rtsp_server_url(locked, "/locked");
  g_autofree char *closed_url = g_strdup_printf("rtsp://127.0.0.1:%d/nothing", hx_free_port());

  g_autoptr(GString) sections = g_string_new(NULL);
  hx_camera(sections, hx, "good", "/good", NULL, NULL, NULL);
  hx_camera(sections, hx, "locked", NULL, locked_url, "admin", SECRET);
  hx_camera(sections, hx, "gone", NULL, closed_url, NULL, NULL);
  hx_write_config(hx, NULL, sections->str);
  HX_REQUIRE(hx_start(hx), "hallwatchd did not start");
  const char *good_ids[] = {"good", NULL}, *locked_ids[] = {"locked", NULL},
             *gone_ids[] = {"gone", NULL};
  HX_CHECK(hx_wait_state(hx, good_ids, "recording", 15000), "the good camera is not recording");
  HX_CHECK(hx_wait_state(hx, locked_ids, "error", 10000),
           "a camera refusing the credentials does not show state error");
  HX_CHECK(hx_wait_state(hx, gone_ids, "reconnecting", 10000),
           "an unreachable camera does not show state reconnecting");
  json_t *c1 = hx_cameras(hx);
  json_t *g1 = c1 ? hx_camera_entry(c1, "good") : NULL;
  json_int_t frames1 = g1 ? json_integer_value(json_object_get(g1, "frames")) : -1;
  hx_sleep_ms(5000); /* several reconnect attempts of the bad cameras */
  json_t *c2 = hx_cameras(hx);
  json_t *g2 = c2 ? hx_camera_entry(c2, "good") : NULL;
  json_int_t frames2 = g2 ? json_integer_value(json_object_get(g2, "frames")) : -1;
  const char *locked_err = hx_camera_str(c2, "locked", "last_error");
  const char *gone_err = hx_camera_str(c2, "gone", "last_error");
  printf("locked: state %s, last_error \"%s\"\n", hx_camera_str(c2, "locked", "state"), locked_err);
  printf("gone: state %s, last_error \"%s\"\n", hx_camera_str(c2, "gone", "state"), gone_err);
  printf("good: %s, %lld frames in 5 s while the others failed\n",
         hx_camera_str(c2, "good", "state"), (long long)(frames2 - frames1));
  HX_CHECK(g_strcmp0(hx_camera_str(c2, "locked", "state"), "error") == 0,
           "the locked camera's state is %s, not error", hx_camera_str(c2, "locked", "state"));
  HX_CHECK(locked_err && strstr(locked_err, "credentials"),
           "the locked camera's last_error does not mention the credentials: \"%s\"",
           locked_err ? locked_err : "");
  HX_CHECK(g_strcmp0(hx_camera_str(c2, "gone", "state"), "reconnecting") == 0,
           "the unreachable camera's state is %s, not reconnecting",
           hx_camera_str(c2, "gone", "state"));
  HX_CHECK(gone_err && strlen(gone_err) > 10, "the unreachable camera gives no readable reason");
  HX_CHECK(g_strcmp0(hx_camera_str(c2, "good", "state"), "recording") == 0 &&
               frames2 - frames1 >= 100,
           "the good camera recorded only %lld frames in 5 s next to the failing ones",
           (long long)(frames2 - frames1));
  HX_CHECK(hx_alive(hx), "hallwatchd died");
  g_autofree char *api = json_dumps(c2, 0);
  g_autofree char *metrics = hx_http_get(hx->http_port, "/metrics", NULL);
  HX_CHECK(api && strstr(api, SECRET) == NULL, "the password shows in /api/v1/cameras");
  HX_CHECK(metrics && strstr(metrics, SECRET) == NULL, "the password shows in /metrics");
  json_decref(c1);
  json_decref(c2);
  hx_signal(hx, SIGTERM);
  HX_CHECK(hx_wait_exit(hx, 8000), "hallwatchd did not stop within 8 s of SIGTERM");
  HX_CHECK(!hx_file_contains(hx->log, SECRET), "the password shows in hallwatchd's output (%s)",
           hx->log);

  sqlite3 *db = hx_db_open(hx);
  int64_t auth = hx_db_int(db, "SELECT count(*) FROM outages WHERE camera = 'locked' AND "
                               "reason = 'auth_refused'");
  int64_t unreach = hx_db_int(db, "SELECT count(*) FROM outages WHERE camera = 'gone'");
  printf("outage rows: locked auth_refused %lld, gone %lld\n", (long long)auth, (long long)unreach);
  HX_CHECK(auth >= 1, "no auth_refused outage row for the camera that refused the credentials");
  HX_CHECK(unreach >= 1, "no outage row for the unreachable camera");
  sqlite3_close(db);
  hw_rtsp_server_free(locked);
  int rc = hx_failures ? 1 : 0;
  hx_free(hx);
  printf("%s\n", rc ? "FAILED" : "PASSED");
  return rc;
}
