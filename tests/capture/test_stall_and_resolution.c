/* capture.stall_and_resolution: a camera that keeps its connection but stops sending is noticed
 * (state reconnecting with a stall reason, outage `stream_stalled`) and recording resumes once it
 * sends again; a camera that changes resolution mid-stream gets a new file at the new size, and
 * no file mixes sizes. */
#include "tests/capture/harness.h"

#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

int main(void)
{
  Hx *hx = hx_new("stall");
  HwRtspStreamSpec a = {.path = "/stall", .gop_frames = 12}, b = {.path = "/resize", .gop_frames = 12};
  hx_add_stream(hx, &a);
  hx_add_stream(hx, &b);
  g_autoptr(GString) sections = g_string_new(NULL);
  hx_camera(sections, hx, "stall", "/stall", NULL, NULL, NULL);
  hx_camera(sections, hx, "resize", "/resize", NULL, NULL, NULL);
  hx_write_config(hx, NULL, sections->str);
  HX_REQUIRE(hx_start(hx), "hallwatchd did not start");
  const char *both[] = {"stall", "resize", NULL}, *stall[] = {"stall", NULL},
             *resize[] = {"resize", NULL};
  HX_REQUIRE(hx_wait_state(hx, both, "recording", 15000), "the cameras never started recording");
  hx_sleep_ms(2000);

  /* Stall: stall_timeout is 3 s. */
  hw_rtsp_server_set_stalled(hx->server, "/stall", true);
  hw_rtsp_server_set_resolution(hx->server, "/resize", 256, 192);
  gint64 t0 = g_get_monotonic_time();
  HX_CHECK(hx_wait_state(hx, stall, "reconnecting", 8000),
           "a stalled camera is not noticed within 8 s (stall_timeout 3 s)");
  printf("stall noticed after %.2f s\n", (double)(g_get_monotonic_time() - t0) / 1e6);
  json_t *cams = hx_cameras(hx);
  const char *err = hx_camera_str(cams, "stall", "last_error");
  printf("stalled camera: last_error \"%s\"\n", err ? err : "(none)");
  HX_CHECK(err && (strstr(err, "stall") || strstr(err, "stopped sending")),
           "the stalled camera's last_error does not say it stalled: \"%s\"", err ? err : "");
  json_decref(cams);
  hx_sleep_ms(1500);
  hw_rtsp_server_set_stalled(hx->server, "/stall", false);
  t0 = g_get_monotonic_time();
  HX_CHECK(hx_wait_state(hx, stall, "recording", 15000),
           "recording did not resume within 15 s after the camera sent again");
  printf("recording resumed %.2f s after the stall ended\n",
         (double)(g_get_monotonic_time() - t0) / 1e6);
  HX_CHECK(hx_wait_state(hx, resize, "recording", 5000), "the resized camera is not recording");
  hx_sleep_ms(2000);
  hx_signal(hx, SIGTERM);
  HX_REQUIRE(hx_wait_exit(hx, 8000), "hallwatchd did not stop within 8 s of SIGTERM");

  sqlite3 *db = hx_db_open(hx);
  GArray *outs = hx_db_outages(db, "stall");
  bool stalled_row = false;
  for (guint k = 0; k < outs->len; k++) {
    HxOutage *o = &g_array_index(outs, HxOutage, k);
    printf("outage stall: %s %.3f s (%s)\n", o->reason, (double)(o->end_ns - o->start_ns) / 1e9,
           o->detail);
    stalled_row |= strcmp(o->reason, "stream_stalled") == 0 && o->end_ns > o->start_ns;
  }
  HX_CHECK(stalled_row, "no closed stream_stalled outage row for the stalled camera");
  g_array_free(outs, TRUE);

  GArray *files = hx_db_files(db, "resize");
  int small = 0, big = 0;
  for (guint i = 0; i < files->len; i++) {
    HxFile *f = &g_array_index(files, HxFile, i);
    g_autofree char *abs = hx_abspath(hx, f);
    HxProbe p = hx_ffprobe(abs);
    g_autofree char *sizes = hx_frame_sizes(abs);
    printf("resize: %s index %dx%d, ffprobe %dx%d, decoded frame sizes %s\n", f->path, f->width,
           f->height, p.width, p.height, sizes);
    HX_CHECK(p.ok && p.width == f->width && p.height == f->height,
             "%s: ffprobe says %dx%d, the index %dx%d", f->path, p.width, p.height, f->width,
             f->height);
    g_autofree char *want = g_strdup_printf("%dx%d", f->width, f->height);
    HX_CHECK(strcmp(sizes, want) == 0, "%s mixes frame sizes: %s", f->path, sizes);
    small += f->width == 256 && f->height == 192;
    big += f->width == 320 && f->height == 240;
  }
  HX_CHECK(big >= 1 && small >= 1,
           "after the resolution change: %d files at 320x240 and %d at 256x192, expected both", big,
           small);
  if (files->len >= 2) {
    HxFile *last = &g_array_index(files, HxFile, files->len - 1);
    HX_CHECK(last->width == 256, "the newest file is %dx%d, not the new 256x192", last->width,
             last->height);
  }
  g_array_free(files, TRUE);
  sqlite3_close(db);
  int rc = hx_failures ? 1 : 0;
  hx_free(hx);
  printf("%s\n", rc ? "FAILED" : "PASSED");
  return rc;
}
