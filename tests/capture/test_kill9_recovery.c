/* capture.kill9_recovery: hallwatchd is killed with SIGKILL at random moments (several rounds) and
 * restarted. Each kill loses at most 2 s of footage per camera; afterwards index and files agree
 * byte for byte (sizes, fragment offsets re-read from the files themselves), every indexed file
 * decodes without errors, and a `daemon_down` outage row explains each gap. */
#include "tests/capture/harness.h"

#include "capture/hw_fmp4.h"

#include <fcntl.h>
#include <glib/gstdio.h>
#include <signal.h>
#include <sys/wait.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define ROUNDS 4
#define FRAME_NS (HW_NS_PER_S / 25)

int main(void)
{
  static const char *const ids[] = {"cam-a", "cam-b", NULL};
  Hx *hx = hx_new("kill9");
  g_autoptr(GString) sections = g_string_new(NULL);
  for (size_t i = 0; ids[i]; i++) {
    g_autofree char *path = g_strdup_printf("/%s", ids[i]);
    HwRtspStreamSpec spec = {.path = path};
    hx_add_stream(hx, &spec);
    hx_camera(sections, hx, ids[i], path, NULL, NULL, NULL);
  }
  hx_write_config(hx, NULL, sections->str);

  GRand *rand = g_rand_new();
  int64_t kills[ROUNDS];
  for (int r = 0; r < ROUNDS; r++) {
    HX_REQUIRE(hx_start(hx), "hallwatchd did not start (round %d)", r + 1);
    HX_REQUIRE(hx_wait_state(hx, (const char **)ids, "recording", 15000),
               "round %d: the cameras did not record after a restart following kill -9", r + 1);
    int ms = g_rand_int_range(rand, 4000, 9001);
    hx_sleep_ms(ms);
    kills[r] = hw_time_now();
    hx_kill9(hx);
    printf("round %d: killed after %d ms of recording\n", r + 1, ms);
  }
  HX_REQUIRE(hx_start(hx), "hallwatchd did not start after the last kill");
  HX_REQUIRE(hx_wait_state(hx, (const char **)ids, "recording", 15000),
             "the cameras did not record after the last kill -9");
  hx_sleep_ms(2000);
  hx_signal(hx, SIGTERM);
  HX_REQUIRE(hx_wait_exit(hx, 8000), "hallwatchd did not stop within 8 s of SIGTERM");
  HX_CHECK(WIFEXITED(hx->last_status) && WEXITSTATUS(hx->last_status) == 0,
           "hallwatchd exited with status %d after SIGTERM", hx->last_status);
  g_rand_free(rand);

  sqlite3 *db = hx_db_open(hx);
  for (size_t c = 0; ids[c]; c++) {
    const char *cam = ids[c];
    GArray *frags = hx_db_frags(db, cam, 0);
    GArray *outs = hx_db_outages(db, cam);
    for (int r = 0; r < ROUNDS; r++) {
      /* The end of the last indexed frame before the kill, and the start of footage after it. */
      int64_t end_before = 0, start_after = 0;
      for (guint i = 0; i < frags->len; i++) {
        HxFrag *g = &g_array_index(frags, HxFrag, i);
        if (g->start_ns < kills[r])
          end_before = MAX(end_before, g->start_ns + g->duration_ns);
        else if (start_after == 0)
          start_after = g->start_ns;
      }
      double lost = (double)(kills[r] - end_before) / 1e9;
      printf("camera %s, kill %d: %.3f s of footage lost (last indexed frame ends %.3f s before "
             "the kill), footage resumes %.3f s after it\n",
             cam, r + 1, lost, lost, start_after ? (double)(start_after - kills[r]) / 1e9 : -1.0);
      HX_CHECK(end_before > 0 && kills[r] - end_before <= 2 * HW_NS_PER_S + FRAME_NS,
               "camera %s: kill -9 number %d lost %.3f s of footage (limit 2 s)", cam, r + 1, lost);
      HX_CHECK(start_after > 0, "camera %s: no footage after kill %d", cam, r + 1);
      /* A daemon_down outage covers the gap from the last footage to the next. */
      bool covered = false;
      for (guint k = 0; k < outs->len && !covered; k++) {
        HxOutage *o = &g_array_index(outs, HxOutage, k);
        covered = strcmp(o->reason, "daemon_down") == 0 && o->start_ns <= end_before + FRAME_NS &&
                  o->end_ns >= start_after - FRAME_NS && o->end_ns > 0;
      }
      HX_CHECK(covered,
               "camera %s: no daemon_down outage row covers the gap %.3f..%.3f s around kill %d: "
               "the interface cannot explain the missing footage",
               cam, (double)(end_before % (100 * HW_NS_PER_S)) / 1e9,
               (double)(start_after % (100 * HW_NS_PER_S)) / 1e9, r + 1);
    }
    for (guint k = 0; k < outs->len; k++) {
      HxOutage *o = &g_array_index(outs, HxOutage, k);
      printf("  outage %s: %s %.3f s (%s)\n", cam, o->reason,
             o->end_ns ? (double)(o->end_ns - o->start_ns) / 1e9 : -1.0, o->detail);
    }
    g_array_free(frags, TRUE);
    g_array_free(outs, TRUE);
  }

  /* Index and files agree. */
  GArray *files = hx_db_files(db, NULL);
  guint n_frags = 0;
  for (guint i = 0; i < files->len; i++) {
    HxFile *f = &g_array_index(files, HxFile, i);
    g_autofree char *abs = hx_abspath(hx, f);
    GStatBuf st;
    if (g_stat(abs, &st) != 0) {
      HX_CHECK(false, "%s is indexed but missing on disk", f->path);
      continue;
    }
    HX_CHECK(st.st_size == f->size, "%s: %lld bytes on disk, the index says %lld", f->path,
             (long long)st.st_size, (long long)f->size);
    HX_CHECK(f->closed, "%s: not closed after recovery and a clean stop", f->path);
    g_autofree char *sha = hx_sha256sum(abs);
    HX_CHECK(strcmp(sha, f->sha256) == 0, "%s: sha256 %s on disk, %s in the index", f->path, sha,
             f->sha256);
    int fd = open(abs, O_RDONLY | O_CLOEXEC);
    HwFmp4Scan scan;
    g_autoptr(GError) error = NULL;
    bool scanned = fd >= 0 && hw_fmp4_scan_fd(fd, &scan, &error);
    if (fd >= 0)
      close(fd);
    HX_CHECK(scanned, "%s does not parse as fMP4: %s", f->path, error ? error->message : "open");
    GArray *ff = hx_db_frags(db, NULL, f->id);
    n_frags += ff->len;
    if (scanned) {
      HX_CHECK(scan.valid_size == scan.file_size, "%s has a torn tail of %lld bytes", f->path,
               (long long)(scan.file_size - scan.valid_size));
      HX_CHECK(scan.n_fragments == ff->len, "%s: %zu fragments in the file, %u in the index",
               f->path, scan.n_fragments, ff->len);
      for (guint k = 0; k < MIN(ff->len, scan.n_fragments); k++) {
        HxFrag *g = &g_array_index(ff, HxFrag, k);
        HwFmp4Fragment *s = &scan.fragments[k];
        HX_CHECK(g->offset == s->offset && g->length == s->length && g->frames == s->frames &&
                     g->start_ns == s->wall_ns && g->seq == (int)k,
                 "%s fragment %u: index says offset %lld length %lld frames %d start %lld, the "
                 "file says offset %lld length %lld frames %d start %lld",
                 f->path, k, (long long)g->offset, (long long)g->length, g->frames,
                 (long long)g->start_ns, (long long)s->offset, (long long)s->length, s->frames,
                 (long long)s->wall_ns);
      }
      hw_fmp4_scan_clear(&scan);
    }
    g_array_free(ff, TRUE);
    /* Every indexed fragment decodes: ffmpeg decodes the whole file without an error. */
    g_autofree char *errors = NULL;
    GArray *stamps = hx_decode_stamps(abs, f->width, f->height, &errors);
    HX_CHECK(stamps != NULL && errors && errors[0] == '\0', "%s does not decode cleanly: %s",
             f->path, errors ? errors : "(ffmpeg did not run)");
    if (stamps)
      g_array_free(stamps, TRUE);
  }
  /* And nothing on disk is unknown to the index. */
  g_autofree char *cmd = g_strdup_printf("find %s -name '*.mp4' -type f", hx->footage);
  g_autofree char *out = NULL;
  g_spawn_command_line_sync(cmd, &out, NULL, NULL, NULL);
  g_auto(GStrv) lines = g_strsplit(out ? g_strstrip(out) : "", "\n", -1);
  guint on_disk = lines[0] && lines[0][0] ? g_strv_length(lines) : 0;
  HX_CHECK(on_disk == files->len, "%u recordings on disk, %u in the index", on_disk, files->len);
  printf("%u files, %u fragments checked against the index\n", files->len, n_frags);
  g_array_free(files, TRUE);
  sqlite3_close(db);
  int rc = hx_failures ? 1 : 0;
  hx_free(hx);
  printf("%s\n", rc ? "FAILED" : "PASSED");
  return rc;
}
