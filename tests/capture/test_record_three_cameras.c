/* capture.record_three_cameras: three cameras (H.264, H.265, H.264 + AAC) recorded for 20 s by a
 * real hallwatchd. Every file is a valid MP4 of the right codec, size and tracks; the index covers
 * the span without holes; closed files carry their true SHA-256; and every frame's wall-clock time
 * from the index matches the capture time the test camera stamped into its pixels. */
#include "tests/capture/harness.h"

#include <glib/gstdio.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define FRAME_NS (HW_NS_PER_S / 25)
#define RECORD_S 20

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

typedef struct {
  const char *id, *codec;
  bool audio;
  const char *path; /* NULL: "/<id>", a stream of its own */
  bool camera_clock;
} Cam;

/* Prints |index time - stamp| percentiles of diffs (ms, signed); returns p99. */
static double report(const char *what, GArray *diffs)
{
  GArray *a = g_array_sized_new(FALSE, FALSE, sizeof(double), diffs->len);
  double lo = 1e18, hi = -1e18;
  for (guint i = 0; i < diffs->len; i++) {
    double d = g_array_index(diffs, double, i), x = fabs(d);
    lo = MIN(lo, d);
    hi = MAX(hi, d);
    g_array_append_val(a, x);
  }
  qsort(a->data, a->len, sizeof(double), cmp_double);
  double p99 = hx_percentile((double *)a->data, a->len, 99);
  printf("%s: frame time - stamped capture time over %u frames: |error| p50 %.2f ms, p99 %.2f ms, "
         "max %.2f ms (signed %.2f .. %.2f ms)\n",
         what, a->len, hx_percentile((double *)a->data, a->len, 50), p99,
         hx_percentile((double *)a->data, a->len, 100), lo, hi);
  g_array_free(a, TRUE);
  return p99;
}

int main(void)
{
  /* The fourth camera records the first camera's stream (no extra encoder) with clock = camera:
   * its times come from the RTCP sender reports, which the test server maps to capture time. */
  static const Cam cams[] = {{"h264", "h264", false, NULL, false},
                             {"h265", "h265", false, NULL, false},
                             {"aac", "h264", true, NULL, false},
                             {"camclock", "h264", false, "/h264", true}};
  Hx *hx = hx_new("record3");
  g_autoptr(GString) sections = g_string_new(NULL);
  for (size_t i = 0; i < G_N_ELEMENTS(cams); i++) {
    g_autofree char *path = g_strdup_printf("/%s", cams[i].id);
    HwRtspStreamSpec spec = {.path = path, .codec = cams[i].codec, .audio = cams[i].audio};
    if (cams[i].path == NULL)
      hx_add_stream(hx, &spec);
    hx_camera(sections, hx, cams[i].id, cams[i].path ? cams[i].path : path, NULL, NULL, NULL);
    if (cams[i].camera_clock)
      g_string_append(sections, "clock = camera\n");
  }
  hx_write_config(hx, NULL, sections->str);
  HX_REQUIRE(hx_start(hx), "hallwatchd did not start");
  const char *ids[] = {"h264", "h265", "aac", "camclock", NULL};
  HX_REQUIRE(hx_wait_state(hx, ids, "recording", 15000), "the cameras never started recording");
  hx_sleep_ms(RECORD_S * 1000);
  /* While recording, the index follows the footage closely (index_interval 500 ms plus at most
   * one 2 s fragment being gathered): playback of the last minutes needs it, and a crash must not
   * depend on recovery alone. */
  {
    sqlite3 *live = hx_db_open(hx);
    for (guint i = 0; ids[i]; i++) {
      g_autofree char *sql = g_strdup_printf(
          "SELECT coalesce(max(g.start_ns + g.duration_ns), 0) FROM fragments g JOIN files f ON "
          "f.id = g.file_id WHERE f.camera = '%s'", ids[i]);
      int64_t last = hx_db_int(live, sql);
      double lag = (double)(hw_time_now() - last) / 1e9;
      printf("camera %s: the index ends %.2f s before now while recording\n", ids[i], lag);
      HX_CHECK(last > 0 && lag < 3.5,
               "camera %s: while recording, the index ends %.1f s in the past (limit 3.5 s): "
               "recent footage cannot be found", ids[i], last > 0 ? lag : -1.0);
    }
    sqlite3_close(live);
  }
  hx_signal(hx, SIGTERM);
  HX_REQUIRE(hx_wait_exit(hx, 8000), "hallwatchd did not stop within 8 s of SIGTERM");

  sqlite3 *db = hx_db_open(hx);
  GArray *all_diffs = g_array_new(FALSE, FALSE, sizeof(double));
  GArray *cam_diffs = g_array_new(FALSE, FALSE, sizeof(double));
  for (size_t c = 0; c < G_N_ELEMENTS(cams); c++) {
    const Cam *cam = &cams[c];
    GArray *diffs = cam->camera_clock ? cam_diffs : all_diffs;
    guint diffs_before = diffs->len;
    GArray *files = hx_db_files(db, cam->id);
    GArray *frags = hx_db_frags(db, cam->id, 0);
    HX_CHECK(files->len >= 2, "camera %s: %u files for %d s with a 10 s span, expected >= 2",
             cam->id, files->len, RECORD_S);
    HX_CHECK(frags->len > 0, "camera %s: no fragments indexed", cam->id);

    /* Coverage: consecutive fragments abut (same run: no restarts happened). */
    int64_t worst_gap = 0, worst_overlap = 0;
    int64_t span = 0;
    for (guint i = 0; i < frags->len; i++) {
      HxFrag *g = &g_array_index(frags, HxFrag, i);
      span += g->duration_ns;
      if (i == 0)
        continue;
      HxFrag *p = &g_array_index(frags, HxFrag, i - 1);
      int64_t gap = g->start_ns - (p->start_ns + p->duration_ns);
      worst_gap = MAX(worst_gap, gap);
      worst_overlap = MAX(worst_overlap, -gap);
    }
    HX_CHECK(worst_gap <= FRAME_NS + 5 * HW_NS_PER_MS,
             "camera %s: a hole of %.1f ms in the index (more than one frame interval)", cam->id,
             (double)worst_gap / 1e6);
    HX_CHECK(worst_overlap <= FRAME_NS,
             "camera %s: fragments overlap by %.1f ms: a playback would show frames twice",
             cam->id, (double)worst_overlap / 1e6);
    HX_CHECK(span >= (RECORD_S - 1) * HW_NS_PER_S,
             "camera %s: only %.1f s of footage indexed for a %d s recording", cam->id,
             (double)span / 1e9, RECORD_S);
    printf("camera %s: %u files, %u fragments, %.2f s indexed, worst gap %.2f ms, worst overlap "
           "%.2f ms\n",
           cam->id, files->len, frags->len, (double)span / 1e9, (double)worst_gap / 1e6,
           (double)worst_overlap / 1e6);

    int64_t prev_end = 0;
    for (guint i = 0; i < files->len; i++) {
      HxFile *f = &g_array_index(files, HxFile, i);
      g_autofree char *abs = hx_abspath(hx, f);
      /* Files abut too. */
      if (prev_end > 0)
        HX_CHECK(llabs(f->start_ns - prev_end) <= FRAME_NS + 5 * HW_NS_PER_MS,
                 "camera %s: file %s starts %.1f ms after the previous one ends", cam->id, f->path,
                 (double)(f->start_ns - prev_end) / 1e6);
      prev_end = f->end_ns;

      /* The file itself: ffprobe, size, closed flag, SHA-256. */
      HxProbe p = hx_ffprobe(abs);
      HX_CHECK(p.ok, "camera %s: ffprobe rejects %s", cam->id, f->path);
      HX_CHECK(strcmp(p.vcodec, strcmp(cam->codec, "h265") == 0 ? "hevc" : "h264") == 0,
               "camera %s: %s holds %s video, the camera sends %s", cam->id, f->path, p.vcodec,
               cam->codec);
      HX_CHECK(p.width == 320 && p.height == 240, "camera %s: %s is %dx%d, the camera sends 320x240",
               cam->id, f->path, p.width, p.height);
      HX_CHECK(f->width == 320 && f->height == 240, "camera %s: index says %s is %dx%d", cam->id,
               f->path, f->width, f->height);
      /* The first file of an audio camera may begin before the audio caps arrive (the writer
       * then starts a new file at the next keyframe): only that one may lack audio. */
      bool want_audio = cam->audio && !(i == 0 && f->end_ns - f->start_ns <= 2100 * HW_NS_PER_MS);
      if (cam->audio && !want_audio)
        printf("camera %s: first file %s is %.2f s and %s audio\n", cam->id, f->path,
               (double)(f->end_ns - f->start_ns) / 1e9, p.n_audio ? "has" : "has no");
      if (want_audio)
        HX_CHECK(p.n_audio == 1 && strcmp(p.acodec, "aac") == 0,
                 "camera %s: %s has %d audio tracks (%s), expected one AAC track", cam->id, f->path,
                 p.n_audio, p.acodec);
      if (!cam->audio)
        HX_CHECK(p.n_audio == 0, "camera %s: %s has an audio track the camera never sent", cam->id,
                 f->path);
      HX_CHECK((p.n_audio > 0) == (strcmp(f->audio, "aac") == 0),
               "camera %s: index audio_codec '%s' disagrees with the file (%d audio tracks)",
               cam->id, f->audio, p.n_audio);
      GStatBuf st;
      HX_CHECK(g_stat(abs, &st) == 0 && st.st_size == f->size,
               "camera %s: %s is %lld bytes on disk, the index says %lld", cam->id, f->path,
               (long long)st.st_size, (long long)f->size);
      HX_CHECK(f->closed, "camera %s: %s is not marked closed after a clean stop", cam->id, f->path);
      g_autofree char *sha = hx_sha256sum(abs);
      HX_CHECK(strcmp(sha, f->sha256) == 0, "camera %s: %s: sha256sum %s, index %s", cam->id,
               f->path, sha, f->sha256);

      /* Frame times. Per-frame wall time = fragment start + k * duration / frames: the test
       * camera sends a constant 25 fps, so frames inside a fragment are evenly spaced (the trun
       * durations are not parsed). No B-frames (zerolatency), so decode order = display order. */
      g_autofree char *errors = NULL;
      GArray *stamps = hx_decode_stamps(abs, 320, 240, &errors);
      HX_CHECK(stamps != NULL && errors != NULL && errors[0] == '\0',
               "camera %s: ffmpeg reports errors decoding %s: %s", cam->id, f->path,
               errors ? errors : "(did not run)");
      GArray *ff = hx_db_frags(db, cam->id, f->id);
      guint total = 0;
      for (guint k = 0; k < ff->len; k++)
        total += (guint)g_array_index(ff, HxFrag, k).frames;
      HX_CHECK(stamps && stamps->len == total,
               "camera %s: %s decodes to %u frames, the index says %u", cam->id, f->path,
               stamps ? stamps->len : 0, total);
      guint idx = 0, unreadable = 0;
      for (guint k = 0; stamps && k < ff->len; k++) {
        HxFrag *g = &g_array_index(ff, HxFrag, k);
        for (int j = 0; j < g->frames && idx < stamps->len; j++, idx++) {
          int64_t stamp = g_array_index(stamps, int64_t, idx);
          if (stamp < 0) {
            unreadable++;
            continue;
          }
          int64_t wall = g->start_ns + g->duration_ns * j / g->frames;
          double d = (double)(wall - stamp) / 1e6;
          g_array_append_val(diffs, d);
        }
      }
      HX_CHECK(unreadable * 50 <= (stamps ? stamps->len : 0),
               "camera %s: %u of %u frames of %s have no readable stamp", cam->id, unreadable,
               stamps ? stamps->len : 0, f->path);
      g_array_free(ff, TRUE);
      if (stamps)
        g_array_free(stamps, TRUE);
    }
    GArray *mine = g_array_new(FALSE, FALSE, sizeof(double));
    g_array_append_vals(mine, &g_array_index(diffs, double, diffs_before), diffs->len - diffs_before);
    report(cam->id, mine);
    g_array_free(mine, TRUE);
    g_array_free(files, TRUE);
    g_array_free(frags, TRUE);
  }

  /* |index wall time - stamped capture time| over every frame of the local-clock cameras. */
  double p99 = report("all local-clock cameras", all_diffs);
  HX_CHECK(all_diffs->len >= 3 * (RECORD_S - 2) * 25,
           "only %u frames had readable stamps for 3 cameras x %d s", all_diffs->len, RECORD_S);
  HX_CHECK(p99 <= 40.0,
           "clock = local: frame wall-clock times are off the true capture times by %.1f ms at "
           "p99 (limit 40 ms): playback and exports would show the wrong time",
           p99);
  double p99c = report("clock = camera", cam_diffs);
  HX_CHECK(cam_diffs->len >= (RECORD_S - 2) * 25, "clock = camera: only %u frames with stamps",
           cam_diffs->len);
  HX_CHECK(p99c <= 40.0,
           "clock = camera: frame wall-clock times are off the true capture times by %.1f ms at "
           "p99 (limit 40 ms)",
           p99c);
  g_array_free(all_diffs, TRUE);
  g_array_free(cam_diffs, TRUE);
  sqlite3_close(db);
  int rc = hx_failures ? 1 : 0;
  hx_free(hx);
  printf("%s\n", rc ? "FAILED" : "PASSED");
  return rc;
}
