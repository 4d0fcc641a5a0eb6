/* capture.sigterm_and_sighup: SIGHUP after an edit of the config starts the added camera and stops
 * the removed one while the unchanged camera's file keeps growing (same row, same run); SIGTERM
 * then exits within 5 s with code 0, its last fragments indexed. */
#include "tests/capture/harness.h"

#include <signal.h>
#include <stdio.h>
#include <glib/gstdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>

static HxFile newest(sqlite3 *db, const char *cam, int64_t *ret_runs)
{
  HxFile f = {0};
  GArray *files = hx_db_files(db, cam);
  if (files->len)
    f = g_array_index(files, HxFile, files->len - 1);
  g_autofree char *sql =
      g_strdup_printf("SELECT count(DISTINCT run_id) FROM files WHERE camera = '%s'", cam);
  *ret_runs = hx_db_int(db, sql);
  g_array_free(files, TRUE);
  return f;
}

int main(void)
{
  Hx *hx = hx_new("signals");
  const char *paths[] = {"/keep", "/drop", "/add"};
  for (int i = 0; i < 3; i++) {
    HwRtspStreamSpec s = {.path = paths[i]};
    hx_add_stream(hx, &s);
  }
  HxOptions o = {.file_span = "60s"};
  g_autoptr(GString) v1 = g_string_new(NULL);
  hx_camera(v1, hx, "keep", "/keep", NULL, NULL, NULL);
  hx_camera(v1, hx, "drop", "/drop", NULL, NULL, NULL);
  hx_write_config(hx, &o, v1->str);
  HX_REQUIRE(hx_start(hx), "hallwatchd did not start");
  const char *ids1[] = {"keep", "drop", NULL}, *ids2[] = {"keep", "add", NULL};
  HX_REQUIRE(hx_wait_state(hx, ids1, "recording", 15000), "the cameras never started recording");
  hx_sleep_ms(2500);

  sqlite3 *db = hx_db_open(hx);
  int64_t runs_before = 0, runs_after = 0;
  HxFile before = newest(db, "keep", &runs_before);
  g_autoptr(GString) v2 = g_string_new(NULL);
  hx_camera(v2, hx, "keep", "/keep", NULL, NULL, NULL);
  hx_camera(v2, hx, "add", "/add", NULL, NULL, NULL);
  hx_write_config(hx, &o, v2->str);
  hx_signal(hx, SIGHUP);
  HX_CHECK(hx_wait_state(hx, ids2, "recording", 15000),
           "after SIGHUP the added camera is not recording");
  json_t *cams = hx_cameras(hx);
  HX_CHECK(cams && hx_camera_entry(cams, "drop") == NULL,
           "after SIGHUP the removed camera is still listed");
  json_decref(cams);
  hx_sleep_ms(2500);
  HxFile after = newest(db, "keep", &runs_after);
  printf("keep: file %lld (%lld bytes, %lld runs) before SIGHUP, file %lld (%lld bytes, %lld runs) "
         "after\n",
         (long long)before.id, (long long)before.size, (long long)runs_before, (long long)after.id,
         (long long)after.size, (long long)runs_after);
  HX_CHECK(before.id > 0 && after.id == before.id && after.size > before.size,
           "SIGHUP disturbed the unchanged camera: its file went from %lld to %lld", (long long)before.id,
           (long long)after.id);
  HX_CHECK(runs_after == 1, "the unchanged camera has %lld runs after SIGHUP, expected 1",
           (long long)runs_after);
  int64_t drop_open = hx_db_int(db, "SELECT count(*) FROM files WHERE camera = 'drop' AND closed = 0");
  HX_CHECK(drop_open == 0, "the removed camera's file was not closed");

  hx_signal(hx, SIGTERM);
  int64_t term = hw_time_now();
  gint64 t0 = g_get_monotonic_time();
  bool exited = hx_wait_exit(hx, 5000);
  double took = (double)(g_get_monotonic_time() - t0) / 1e6;
  HX_CHECK(exited, "hallwatchd did not exit within 5 s of SIGTERM");
  if (!exited)
    hx_kill9(hx);
  printf("SIGTERM: exited after %.2f s, status %d\n", took, hx->last_status);
  HX_CHECK(WIFEXITED(hx->last_status) && WEXITSTATUS(hx->last_status) == 0,
           "hallwatchd's exit status after SIGTERM is %d, not 0", hx->last_status);
  for (int i = 0; ids2[i]; i++) {
    g_autofree char *sql = g_strdup_printf(
        "SELECT coalesce(max(g.start_ns + g.duration_ns), 0) FROM fragments g JOIN files f ON "
        "f.id = g.file_id WHERE f.camera = '%s'", ids2[i]);
    int64_t end = hx_db_int(db, sql);
    printf("%s: last indexed frame ends %.3f s before SIGTERM\n", ids2[i], (double)(term - end) / 1e9);
    HX_CHECK(end > 0 && llabs(term - end) <= 500 * HW_NS_PER_MS,
             "%s: the last indexed footage ends %.3f s before SIGTERM (limit 0.5 s): the clean "
             "stop lost footage", ids2[i], (double)(term - end) / 1e9);
  }
  int64_t open_files = hx_db_int(db, "SELECT count(*) FROM files WHERE closed = 0");
  HX_CHECK(open_files == 0, "%lld files are not closed after SIGTERM", (long long)open_files);
  sqlite3_close(db);
  int rc = hx_failures ? 1 : 0;
  hx_free(hx);
  printf("%s\n", rc ? "FAILED" : "PASSED");
  return rc;
}
