/* capture.retention: on a small tmpfs with a byte limit, the oldest unheld files go first, a held
 * file survives, files table and disk agree, and usage stays near the limit. Then, with every file
 * held and the free-space floor above what is free, recording pauses at the disk floor with an
 * outage `disk_floor` and a loud state. Needs root and tmpfs (else skipped, exit 77). */
#include "tests/capture/harness.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/statvfs.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
  Hx *hx = hx_new("retention");
  g_autofree char *mnt = g_build_filename(hx->dir, "fs", NULL);
  g_mkdir(mnt, 0700);
  if (geteuid() != 0 || mount("tmpfs", mnt, "tmpfs", 0, "size=64m") != 0) {
    printf("SKIP: needs root and a tmpfs mount (%s)\n", g_strerror(errno));
    hx_free(hx);
    return 77;
  }
  g_free(hx->footage);
  hx->footage = g_build_filename(mnt, "footage", NULL);
  /* The test pattern compresses to ~30 kB/s whatever the bitrate: a 256 KiB limit is crossed
   * after ~8 s. */
  HwRtspStreamSpec s = {.path = "/cam", .gop_frames = 25, .bitrate_kbps = 2000};
  hx_add_stream(hx, &s);
  g_autoptr(GString) cams = g_string_new(NULL);
  hx_camera(cams, hx, "cam", "/cam", NULL, NULL, NULL);
  HxOptions o = {.file_span = "2s", .fragment_max = "1s", .retain_bytes = "256K",
                 .retention_interval = "1s"};
  hx_write_config(hx, &o, cams->str);
  HX_REQUIRE(hx_start(hx), "hallwatchd did not start");
  const char *ids[] = {"cam", NULL};
  HX_REQUIRE(hx_wait_state(hx, ids, "recording", 15000), "the camera never recorded");

  /* Hold the first file (once it is indexed). */
  sqlite3 *db = hx_db_open(hx);
  hx_sleep_ms(3000);
  GArray *files = hx_db_files(db, "cam");
  HX_REQUIRE(files->len >= 1, "no file indexed after 3 s");
  HxFile held = g_array_index(files, HxFile, 0);
  g_array_free(files, TRUE);
  g_autofree char *hold = g_strdup_printf(
      "INSERT INTO holds (camera, from_ns, to_ns, reason, created_ns) VALUES ('cam', %lld, %lld, "
      "'test hold', %lld)", (long long)held.start_ns, (long long)held.start_ns + HW_NS_PER_S,
      (long long)hw_time_now());
  HX_REQUIRE(hx_db_exec(hx, hold), "cannot insert the hold");
  int64_t max_used = 0;
  for (int t = 0; t < 22; t++) {
    hx_sleep_ms(1000);
    max_used = MAX(max_used, hx_db_int(db, "SELECT sum(size) FROM files"));
  }
  hx_signal(hx, SIGTERM);
  HX_REQUIRE(hx_wait_exit(hx, 8000), "hallwatchd did not stop");
  int64_t created = hx_db_int(db, "SELECT coalesce(max(id), 0) FROM files");
  files = hx_db_files(db, "cam");
  bool held_there = false;
  int64_t oldest_unheld = INT64_MAX;
  for (guint i = 0; i < files->len; i++) {
    HxFile *f = &g_array_index(files, HxFile, i);
    g_autofree char *abs = hx_abspath(hx, f);
    HX_CHECK(g_file_test(abs, G_FILE_TEST_EXISTS), "%s is indexed but gone from disk", f->path);
    if (f->id == held.id)
      held_there = true;
    else
      oldest_unheld = MIN(oldest_unheld, f->id);
  }
  g_autofree char *cmd = g_strdup_printf("find %s -name '*.mp4' -type f", hx->footage);
  g_autofree char *out = NULL;
  g_spawn_command_line_sync(cmd, &out, NULL, NULL, NULL);
  g_auto(GStrv) lines = g_strsplit(out ? g_strstrip(out) : "", "\n", -1);
  guint on_disk = lines[0] && lines[0][0] ? g_strv_length(lines) : 0;
  int64_t used = hx_db_int(db, "SELECT sum(size) FROM files");
  printf("%lld files made, %u left (%u on disk), oldest unheld left: id %lld, held id %lld %s; "
         "usage %lld bytes now, at most %lld (limit 256 KiB)\n",
         (long long)created, files->len, on_disk, (long long)oldest_unheld, (long long)held.id,
         held_there ? "kept" : "DELETED", (long long)used, (long long)max_used);
  HX_CHECK(held_there, "the held file %s was deleted", held.path);
  HX_CHECK(on_disk == files->len, "%u recordings on disk, %u in the index", on_disk, files->len);
  HX_CHECK(created > files->len + 1, "retention deleted nothing (%lld files made, %u left)",
           (long long)created, files->len);
  /* Oldest first: every file between the held one and the oldest kept is gone. */
  int64_t kept_older = 0;
  for (guint i = 0; i < files->len; i++) {
    HxFile *f = &g_array_index(files, HxFile, i);
    if (f->id != held.id && f->id < created - (int64_t)files->len)
      kept_older++;
  }
  HX_CHECK(kept_older == 0, "%lld older files were kept while newer ones were deleted",
           (long long)kept_older);
  HX_CHECK(max_used <= (256 << 10) + held.size + (128 << 10),
           "usage reached %lld bytes with a 256 KiB limit", (long long)max_used);
  g_array_free(files, TRUE);

  /* Part two: everything held, the floor above what is free. */
  g_autofree char *hold_all = g_strdup_printf(
      "INSERT INTO holds (camera, from_ns, to_ns, reason, created_ns) VALUES ('cam', 0, %lld, "
      "'hold everything', %lld)", (long long)hw_time_now() + 3600 * HW_NS_PER_S,
      (long long)hw_time_now());
  HX_REQUIRE(hx_db_exec(hx, hold_all), "cannot insert the hold");
  struct statvfs vfs;
  statvfs(mnt, &vfs);
  g_autofree char *floor = g_strdup_printf("%lluK",
      (unsigned long long)((int64_t)vfs.f_bavail * (int64_t)vfs.f_frsize / 1024 + 1024));
  HxOptions o2 = {.file_span = "2s", .fragment_max = "1s", .min_free = floor,
                  .retention_interval = "1s"};
  hx_write_config(hx, &o2, cams->str);
  HX_REQUIRE(hx_start(hx), "hallwatchd did not start (part two)");
  gint64 deadline = g_get_monotonic_time() + 15 * G_USEC_PER_SEC;
  bool paused = false;
  while (!paused && g_get_monotonic_time() < deadline) {
    g_autofree char *m = hx_http_get(hx->http_port, "/metrics", NULL);
    paused = m && strstr(m, "hallwatch_camera_disk_floor_paused{") &&
             strstr(strstr(m, "hallwatch_camera_disk_floor_paused{"), "} 1");
    hx_sleep_ms(200);
  }
  json_t *st = hx_cameras(hx);
  const char *state = hx_camera_str(st, "cam", "state"), *err = hx_camera_str(st, "cam", "last_error");
  printf("at the floor (%s): paused %d, state %s, last_error \"%s\"\n", floor, paused, state, err);
  HX_CHECK(paused, "/metrics does not show hallwatch_camera_disk_floor_paused 1 at the floor");
  HX_CHECK(err && strstr(err, "disk floor"), "the camera's last_error does not say disk floor");
  json_decref(st);
  hx_sleep_ms(1000);
  HX_CHECK(hx_db_int(db, "SELECT count(*) FROM outages WHERE reason = 'disk_floor'") >= 1,
           "no disk_floor outage row");
  hx_signal(hx, SIGTERM);
  hx_wait_exit(hx, 8000);
  sqlite3_close(db);
  int rc = hx_failures ? 1 : 0;
  umount2(mnt, MNT_DETACH);
  hx_free(hx);
  printf("%s\n", rc ? "FAILED" : "PASSED");
  return rc;
}
