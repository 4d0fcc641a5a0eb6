/* capture.config_errors: a bad value stops --check-config with file:line: and the key's name; a
 * missing footage folder for a database that indexes footage makes hallwatchd refuse to start,
 * saying it is not recording and deleted nothing. */
#include "tests/capture/harness.h"

#include <signal.h>
#include <stdio.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

int main(void)
{
  Hx *hx = hx_new("configerr");
  HwRtspStreamSpec s = {.path = "/cam"};
  hx_add_stream(hx, &s);
  g_autoptr(GString) cams = g_string_new(NULL);
  hx_camera(cams, hx, "cam", "/cam", NULL, NULL, NULL);

  /* A bad value: file_span is on line 9 of the file hx_write_config writes. */
  HxOptions bad = {.file_span = "ten seconds"};
  hx_write_config(hx, &bad, cams->str);
  g_autofree char *text = NULL;
  g_file_get_contents(hx->conf, &text, NULL, NULL);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  int line = 0;
  for (int i = 0; lines[i]; i++)
    if (g_str_has_prefix(lines[i], "file_span"))
      line = i + 1;
  const char *argv[] = {HW_HALLWATCHD, "--check-config", "--config", hx->conf, NULL};
  g_autofree char *out = NULL;
  int code = hx_run_sync(argv, &out, 10000);
  g_autofree char *where = g_strdup_printf("%s:%d:", hx->conf, line);
  printf("--check-config on a bad file_span: exit %d, says: %s", code, out);
  HX_CHECK(code != 0, "--check-config accepts file_span = ten seconds");
  HX_CHECK(strstr(out, where) != NULL, "the message does not name %s", where);
  HX_CHECK(strstr(out, "file_span") != NULL, "the message does not name the key file_span");

  /* A good config records, then the footage folder vanishes (an unmounted disk). */
  hx_write_config(hx, NULL, cams->str);
  HX_REQUIRE(hx_start(hx), "hallwatchd did not start");
  const char *ids[] = {"cam", NULL};
  HX_REQUIRE(hx_wait_state(hx, ids, "recording", 15000), "the camera never recorded");
  hx_sleep_ms(1500);
  hx_signal(hx, SIGTERM);
  HX_REQUIRE(hx_wait_exit(hx, 8000), "hallwatchd did not stop");
  sqlite3 *db = hx_db_open(hx);
  int64_t files_before = hx_db_int(db, "SELECT count(*) FROM files");
  int64_t frags_before = hx_db_int(db, "SELECT count(*) FROM fragments");
  sqlite3_close(db);
  g_autofree char *moved = g_strconcat(hx->footage, ".unmounted", NULL);
  HX_REQUIRE(g_rename(hx->footage, moved) == 0, "cannot move the footage folder away");
  /* Either it refuses to start, or (since 143c025) it stays up, shows the error on every camera
   * and retries: both are fine as long as it says so and records and deletes nothing. */
  HX_REQUIRE(hx_start(hx), "hallwatchd did not start");
  const char *msg = NULL;
  g_autofree char *said = NULL;
  gint64 deadline = g_get_monotonic_time() + 8 * G_USEC_PER_SEC;
  while (g_get_monotonic_time() < deadline && hx_alive(hx)) {
    json_t *c = hx_cameras(hx);
    msg = hx_camera_str(c, "cam", "last_error");
    if (g_strcmp0(hx_camera_str(c, "cam", "state"), "error") == 0 && msg && msg[0]) {
      said = g_strdup(msg);
      json_decref(c);
      break;
    }
    json_decref(c);
    hx_sleep_ms(200);
  }
  if (said == NULL) {
    hx_wait_exit(hx, 2000);
    g_file_get_contents(hx->log, &said, NULL, NULL);
    printf("start without the footage folder: hallwatchd %s, log: %s",
           hx->pid ? "still running" : "exited", said ? said : "");
    HX_CHECK(hx->pid == 0 && WIFEXITED(hx->last_status) && WEXITSTATUS(hx->last_status) != 0,
             "hallwatchd neither refused to start nor showed a camera error without its footage "
             "folder");
  } else {
    printf("start without the footage folder: stays up, camera in state error: %s\n", said);
  }
  HX_CHECK(said && (strstr(said, "Not recording") || strstr(said, "not recording")),
           "the message does not say it is not recording");
  HX_CHECK(said && (strstr(said, "nothing deleted") || strstr(said, "nothing was deleted")),
           "the message does not say nothing was deleted");
  hx_kill9(hx);
  HX_CHECK(!g_file_test(hx->footage, G_FILE_TEST_EXISTS),
           "hallwatchd created an empty footage folder in place of the missing one");
  db = hx_db_open(hx);
  HX_CHECK(hx_db_int(db, "SELECT count(*) FROM files") == files_before &&
               hx_db_int(db, "SELECT count(*) FROM fragments") == frags_before,
           "index rows were deleted because the footage folder was missing");
  sqlite3_close(db);
  g_rename(moved, hx->footage);
  int rc = hx_failures ? 1 : 0;
  hx_free(hx);
  printf("%s\n", rc ? "FAILED" : "PASSED");
  return rc;
}
