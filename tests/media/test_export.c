/* media.export: a real hallwatchd records the stamped test cameras (H.264 with AAC, and H.265) into
 * short files, in two sessions with the daemon down in between. Checked as an investigator would:
 * - an export of a range that starts at a random instant T and spans a file boundary shows first
 *   (ffmpeg, honouring the edit list) the frame stamped within 40 ms of T, runs on without a hole,
 *   has moov before mdat, a capture-time text track and the AAC audio of the range;
 * - `hallwatchd verify` passes it and names the member when one byte of the MP4 or of the
 *   manifest changes; the commands of docs/evidence.md (run verbatim) accept the good package and
 *   reject the bad ones; `hallwatchd key show` agrees with openssl's fingerprint;
 * - across the daemon_down gap the MP4 jumps once and the manifest lists the gap and its reason;
 * - an H.265 export is tagged hvc1 and frame-accurate;
 * - exports whose start has no frame (before the first frame, in a gap, at a file's first frame,
 *   within two frames of a file's end) start at the frame nearest `from` or the first after it,
 *   run on without a hole,
 *   and the manifest gives actual.from and the leading gap with its reason;
 * - over the API (curl): a job left running by a stop is failed, a new one runs to done, its
 *   download verifies, the footage is held until released, another hall gets 404, every step
 *   is an audit row. */
#include "tests/capture/harness.h"

#include <arpa/inet.h>
#include <glib/gstdio.h>
#include <math.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
#include <zip.h>

#include "common/hw_keys.h"
#include "media/hw_export.h"
#include "media/internal.h" /* hw_package_write_signed, hw_media_sha256_file: the big package */
#include "sql/hw_store.h"

#define FRAME_NS (HW_NS_PER_S / 25)
#define RECORD_MS 10000 /* first session: files of 4 s, so at least one boundary */
#define RECORD2_MS 5000 /* second session, after the daemon was down GAP_MS */
#define GAP_MS 2000
#define RANGE_NS (4 * HW_NS_PER_S)

static int run_sh(const char *cmd, char **ret_out)
{
  g_autofree char *out = NULL, *err = NULL;
  int status = -1;
  const char *argv[] = {"/bin/sh", "-c", cmd, NULL};
  if (!g_spawn_sync(NULL, (char **)argv, NULL, 0, NULL, NULL, &out, &err, &status, NULL))
    return -1;
  if (ret_out)
    *ret_out = g_strconcat(out ? out : "", err ? err : "", NULL);
  return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* The verify script of docs/evidence.md: the ```sh block after the verify-script marker. */
static char *doc_script(void)
{
  g_autofree char *doc = NULL;
  if (!g_file_get_contents(HW_SOURCE_DIR "/docs/evidence.md", &doc, NULL, NULL))
    return NULL;
  const char *m = strstr(doc, "<!-- verify-script");
  const char *a = m ? strstr(m, "```sh\n") : NULL;
  const char *b = a ? strstr(a + 6, "\n```") : NULL;
  return b ? g_strndup(a + 6, (gsize)(b - a - 6 + 1)) : NULL;
}

/* A copy of pkg at out where member `name` has one byte flipped at `at` (a rebuilt, consistent
 * zip, as someone who edits a file and zips it again would make). */
static bool tamper(const char *pkg, const char *out, const char *name, size_t at)
{
  g_autofree char *cp = g_strdup_printf("cp %s %s", pkg, out);
  if (run_sh(cp, NULL) != 0)
    return false;
  int zerr;
  zip_t *z = zip_open(out, 0, &zerr);
  if (z == NULL)
    return false;
  zip_int64_t idx = zip_name_locate(z, name, 0);
  zip_stat_t st;
  if (idx < 0 || zip_stat_index(z, (zip_uint64_t)idx, 0, &st) != 0 || at >= st.size) {
    zip_discard(z);
    return false;
  }
  uint8_t *buf = g_malloc(st.size);
  zip_file_t *f = zip_fopen_index(z, (zip_uint64_t)idx, 0);
  zip_int64_t got = f ? zip_fread(f, buf, st.size) : -1;
  if (f)
    zip_fclose(f);
  if (got != (zip_int64_t)st.size) {
    g_free(buf);
    zip_discard(z);
    return false;
  }
  buf[at] ^= 0x01;
  zip_source_t *src = zip_source_buffer(z, buf, st.size, 1);
  bool ok = zip_file_replace(z, (zip_uint64_t)idx, src, 0) == 0 && zip_close(z) == 0;
  if (!ok)
    zip_discard(z);
  return ok;
}

static void on_progress(double done, void *user)
{
  GArray *a = user;
  g_array_append_val(a, done);
}

/* Top-level box types of an MP4 in order ("ftyp moov mdat …"). */
static char *top_boxes(const char *path)
{
  FILE *f = fopen(path, "rb");
  GString *s = g_string_new(NULL);
  if (f == NULL)
    return g_string_free(s, FALSE);
  uint8_t h[16];
  int64_t off = 0;
  while (fseeko(f, off, SEEK_SET) == 0 && fread(h, 1, 8, f) == 8) {
    uint64_t sz = (uint64_t)h[0] << 24 | h[1] << 16 | h[2] << 8 | h[3];
    if (sz == 1 && fread(h + 8, 1, 8, f) == 8) {
      sz = 0;
      for (int i = 8; i < 16; i++)
        sz = sz << 8 | h[i];
    }
    g_string_append_printf(s, "%s%.4s", s->len ? " " : "", (const char *)h + 4);
    if (sz < 8)
      break;
    off += (int64_t)sz;
  }
  fclose(f);
  return g_string_free(s, FALSE);
}

/* An export across the gap between the two sessions: the MP4 goes from the last frame before it
 * straight to the first after it (nothing invented), and the manifest lists the gap with the
 * recorder's reason. */
/* A plain export request of camera's [from, to) into pkg, as the tests below make them. */
static HwExportRequest plain_request(Hx *hx, const HwKey *key, const char *camera, hw_time_ns from,
                                     hw_time_ns to, const char *pkg)
{
  return (HwExportRequest){.camera = camera,
                           .from_ns = from,
                           .to_ns = to,
                           .footage_dir = hx->footage,
                           .package_path = pkg,
                           .key = key,
                           .version = "test"};
}

static int check_gap(Hx *hx, HwStore *store, const HwKey *key, const HwStoreFile *files, size_t n)
{
  size_t k = 1;
  while (k < n && files[k].run_id == files[k - 1].run_id)
    k++;
  HX_REQUIRE(k < n, "no second run in the index (the daemon restarted)");
  hw_time_ns gap_from = files[k - 1].end_ns, gap_to = files[k].start_ns;
  g_autofree char *pkg = g_build_filename(hx->dir, "gap.zip", NULL);
  HwExportRequest req =
      plain_request(hx, key, "cam-x", gap_from - 2 * HW_NS_PER_S, gap_to + 2 * HW_NS_PER_S, pkg);
  HwExportResult res;
  g_autoptr(GError) error = NULL;
  HX_REQUIRE(hw_export_run(store, &req, &res, &error), "export across the gap: %s", error->message);
  g_autofree char *dir = g_build_filename(hx->dir, "gap", NULL);
  g_autofree char *cmd = g_strdup_printf("unzip -q -o %s -d %s", pkg, dir);
  HX_REQUIRE(run_sh(cmd, NULL) == 0, "unzip failed on the gap package");
  g_autofree char *mp4 = g_build_filename(dir, HW_EXPORT_MP4_NAME, NULL);
  g_autoptr(GArray) stamps = hx_decode_stamps(mp4, 320, 240, NULL);
  HX_REQUIRE(stamps && stamps->len > 0, "the gap export does not decode");
  int jumps = 0;
  int64_t jump = 0;
  for (guint i = 1; i < stamps->len; i++) {
    int64_t d = g_array_index(stamps, int64_t, i) - g_array_index(stamps, int64_t, i - 1);
    if (d > FRAME_NS * 3 / 2 || d < FRAME_NS / 2) {
      jumps++;
      jump = d;
    }
  }
  printf("gap export: index gap %.3f s; the MP4 jumps %d time(s), by %.3f s; %u frames, %zu gap(s) "
         "in the manifest\n",
         (double)(gap_to - gap_from) / 1e9, jumps, (double)jump / 1e9, stamps->len, res.n_gaps);
  HX_CHECK(jumps == 1 && llabs(jump - (gap_to - gap_from) - FRAME_NS) <= 2 * FRAME_NS,
           "the MP4 does not jump once over the %.3f s gap (jumps %d, last %.3f s)",
           (double)(gap_to - gap_from) / 1e9, jumps, (double)jump / 1e9);
  HX_CHECK(llabs((int64_t)stamps->len - 4 * HW_NS_PER_S / FRAME_NS) <= 3,
           "%u frames for the 4 s of footage around the gap (no frame invented?)", stamps->len);
  g_autofree char *man_path = g_build_filename(dir, HW_EXPORT_MANIFEST_NAME, NULL);
  json_t *man = json_load_file(man_path, 0, NULL);
  json_t *g = json_array_get(json_object_get(man, "gaps"), 0);
  json_t *o = json_array_get(json_object_get(g, "outages"), 0);
  HX_CHECK(json_array_size(json_object_get(man, "gaps")) == 1 &&
               llabs(json_integer_value(json_object_get(g, "from_ns")) - gap_from) < FRAME_NS &&
               llabs(json_integer_value(json_object_get(g, "to_ns")) - gap_to) < FRAME_NS &&
               g_strcmp0(json_string_value(json_object_get(o, "reason")), "daemon_down") == 0,
           "the manifest does not list the gap with reason daemon_down");
  json_decref(man);
  return 0;
}

/* Ranges whose start has no frame, or whose first frame is a file's last: seconds before the
 * camera's first frame, exactly at a file's first frame, inside the daemon_down gap, a nanosecond
 * before a run's first keyframe, within a frame of a file's or a run's end. Each must
 * export (no muxer error), show first the first frame recorded at or after `from` (within 40 ms),
 * and the manifest must say so: actual.from is that frame's capture time, and a start without
 * footage is a gap from requested.from to actual.from with its reason. `camera` is cam-x (AAC
 * too) or cam-h (H.265). */
static int check_edges(Hx *hx, HwStore *store, const HwKey *key, const char *camera)
{
  g_autofree HwStoreFile *files = NULL;
  size_t n = 0;
  HX_REQUIRE(hw_store_files_in_range(store, camera, "main", 0, INT64_MAX, &files, &n, NULL) &&
                 n >= 3,
             "%s: expected at least 3 files", camera);
  size_t run2 = 1;
  while (run2 < n && files[run2].run_id == files[run2 - 1].run_id)
    run2++;
  HX_REQUIRE(run2 < n, "%s: no second run", camera);
  hw_time_ns first = files[0].start_ns;
  struct {
    const char *what;
    hw_time_ns from, want; /* the first frame expected: the one at or after want */
  } cases[29];
  size_t nc = 0;
  cases[nc++] = (typeof(cases[0])){"exactly the camera's first frame", first, first};
  cases[nc++] = (typeof(cases[0])){"1 ns before the camera's first frame", first - 1, first};
  cases[nc++] = (typeof(cases[0])){"exactly the second file's first frame", files[1].start_ns,
                                   files[1].start_ns};
  cases[nc++] =
      (typeof(cases[0])){"inside the daemon_down gap",
                         (files[run2 - 1].end_ns + files[run2].start_ns) / 2, files[run2].start_ns};
  cases[nc++] = (typeof(cases[0])){"1 ns before the second run's first keyframe",
                                   files[run2].start_ns - 1, files[run2].start_ns};
  cases[nc++] = (typeof(cases[0])){"exactly the second run's first frame", files[run2].start_ns,
                                   files[run2].start_ns};
  /* The zero point on a file's last frame, the next file continuing the MP4: the bug that failed
   * ~1 export in 10 ("cannot write a video frame: Invalid argument", the next file's first frame
   * written at the last one's dts). */
  cases[nc++] = (typeof(cases[0])){"half a frame before the first file's end",
                                   files[0].end_ns - FRAME_NS / 2, files[0].end_ns - FRAME_NS};
  cases[nc++] = (typeof(cases[0])){"1.2 frames before the first file's end",
                                   files[0].end_ns - FRAME_NS * 6 / 5, files[0].end_ns - FRAME_NS};
  cases[nc++] = (typeof(cases[0])){"1.2 frames before the first run's end",
                                   files[run2 - 1].end_ns - FRAME_NS * 6 / 5,
                                   files[run2 - 1].end_ns - FRAME_NS};
  /* Nearest the second-to-last frame, the last one also read before the zero point is known. */
  cases[nc++] =
      (typeof(cases[0])){"1.7 frames before the first file's end",
                         files[0].end_ns - FRAME_NS * 17 / 10, files[0].end_ns - 2 * FRAME_NS};
  cases[nc++] = (typeof(cases[0])){"1.7 frames before the first run's end",
                                   files[run2 - 1].end_ns - FRAME_NS * 17 / 10,
                                   files[run2 - 1].end_ns - 2 * FRAME_NS};
  while (nc < G_N_ELEMENTS(cases)) /* random, 0.001..6 s before the first frame */
    cases[nc++] = (typeof(cases[0])){"before the camera's first frame",
                                     first - g_random_int_range(1, 6000) * HW_NS_PER_MS, first};
  int failed = 0;
  for (size_t i = 0; i < nc; i++) {
    g_autofree char *pkg = g_strdup_printf("%s/edge-%s-%zu.zip", hx->dir, camera, i);
    HwExportRequest req =
        plain_request(hx, key, camera, cases[i].from, cases[i].want + 2 * HW_NS_PER_S, pkg);
    HwExportResult res;
    g_autoptr(GError) error = NULL;
    char fb[40];
    hw_time_format(cases[i].from, fb, sizeof fb);
    if (!hw_export_run(store, &req, &res, &error)) {
      HX_CHECK(false, "%s: export from %s (%s, %.3f s before the frame): %s", camera, fb,
               cases[i].what, (double)(cases[i].want - cases[i].from) / 1e9, error->message);
      failed++;
      continue;
    }
    g_autofree char *dir = g_strdup_printf("%s/edge-%s-%zu", hx->dir, camera, i);
    g_autofree char *cmd = g_strdup_printf("unzip -q -o %s -d %s", pkg, dir);
    HX_REQUIRE(run_sh(cmd, NULL) == 0, "unzip failed on %s", pkg);
    g_autofree char *mp4 = g_build_filename(dir, HW_EXPORT_MP4_NAME, NULL);
    g_autoptr(GArray) stamps = hx_decode_stamps(mp4, 320, 240, NULL);
    int64_t got = stamps && stamps->len ? g_array_index(stamps, int64_t, 0) : -1;
    g_autofree char *man_path = g_build_filename(dir, HW_EXPORT_MANIFEST_NAME, NULL);
    json_t *man = json_load_file(man_path, 0, NULL);
    json_t *actual = json_object_get(man, "actual");
    int64_t afrom = json_integer_value(json_object_get(actual, "from_ns"));
    json_t *g0 = json_array_get(json_object_get(man, "gaps"), 0);
    bool lead = cases[i].want - cases[i].from > 100 * HW_NS_PER_MS;
    bool gap_ok = lead ? g0 != NULL &&
                             json_integer_value(json_object_get(g0, "from_ns")) == cases[i].from &&
                             json_integer_value(json_object_get(g0, "to_ns")) == afrom &&
                             json_real_value(json_object_get(g0, "mp4_position_s")) == 0.0 &&
                             (json_array_size(json_object_get(g0, "outages")) > 0 ||
                              json_string_value(json_object_get(g0, "why")) != NULL)
                       : g0 == NULL || json_integer_value(json_object_get(g0, "from_ns")) > afrom;
    /* Within one run the MP4 runs on one frame at a time (no frame dropped or doubled). */
    int holes = 0;
    for (guint f = 1; stamps && f < stamps->len; f++) {
      int64_t d = g_array_index(stamps, int64_t, f) - g_array_index(stamps, int64_t, f - 1);
      holes += d < FRAME_NS / 2 || d > FRAME_NS * 3 / 2;
    }
    bool one_run =
        cases[i].want >= first && cases[i].want + 2 * HW_NS_PER_S < files[run2 - 1].end_ns;
    HX_CHECK(!one_run || holes == 0, "%s, %s: %d frame steps are not one frame apart", camera,
             cases[i].what, holes);
    char *g0_text = g0 ? json_dumps(g0, JSON_COMPACT) : NULL;
    HX_CHECK(got >= 0 && llabs(got - cases[i].want) <= 40 * HW_NS_PER_MS &&
                 llabs(afrom - got) <= 40 * HW_NS_PER_MS && res.actual_from_ns == afrom && gap_ok,
             "%s, %s (from %s, %.3f s before the frame): first frame shown %.1f ms from the "
             "expected one, actual.from %.1f ms from it, leading gap %s: %s",
             camera, cases[i].what, fb, (double)(cases[i].want - cases[i].from) / 1e9,
             (double)(got - cases[i].want) / 1e6, (double)(afrom - got) / 1e6,
             lead ? "expected" : "not expected", g0_text ? g0_text : "none");
    free(g0_text);
    json_decref(man);
  }
  printf("%s: %zu exports starting without a frame at `from` (before the first frame, at a "
         "file's first frame, in a gap, before a run's first keyframe, near a file's end): %d "
         "failed\n",
         camera, nc, failed);
  return 0;
}

/* An H.265 camera: the export is tagged hvc1 (what QuickTime, Safari and Windows' player take)
 * and starts at the requested frame too. */
static int check_h265(Hx *hx, HwStore *store, const HwKey *key)
{
  g_autofree HwStoreFile *files = NULL;
  size_t n = 0;
  HX_REQUIRE(hw_store_files_in_range(store, "cam-h", "main", 0, INT64_MAX, &files, &n, NULL) &&
                 n >= 2,
             "the H.265 camera recorded %zu files", n);
  hw_time_ns t = files[1].start_ns - g_random_int_range(200, 1800) * HW_NS_PER_MS;
  g_autofree char *pkg = g_build_filename(hx->dir, "h265.zip", NULL);
  HwExportRequest req = plain_request(hx, key, "cam-h", t, t + 2 * HW_NS_PER_S, pkg);
  HwExportResult res;
  g_autoptr(GError) error = NULL;
  HX_REQUIRE(hw_export_run(store, &req, &res, &error), "H.265 export: %s", error->message);
  g_autofree char *dir = g_build_filename(hx->dir, "h265", NULL);
  g_autofree char *cmd = g_strdup_printf("unzip -q -o %s -d %s", pkg, dir);
  HX_REQUIRE(run_sh(cmd, NULL) == 0, "unzip failed on the H.265 package");
  g_autofree char *mp4 = g_build_filename(dir, HW_EXPORT_MP4_NAME, NULL);
  g_autofree char *probe = NULL;
  g_autofree char *pcmd = g_strdup_printf(
      "ffprobe -v error -select_streams v -show_entries stream=codec_name,codec_tag_string "
      "-of compact %s",
      mp4);
  HX_CHECK(run_sh(pcmd, &probe) == 0 && strstr(probe, "codec_name=hevc") &&
               strstr(probe, "codec_tag_string=hvc1"),
           "the H.265 export is not tagged hvc1: %s", probe);
  g_autoptr(GArray) stamps = hx_decode_stamps(mp4, 320, 240, NULL);
  HX_REQUIRE(stamps && stamps->len > 0, "the H.265 export does not decode");
  int64_t first = g_array_index(stamps, int64_t, 0);
  printf("H.265 export: %u frames, first shown %.1f ms from T\n", stamps->len,
         (double)(first - t) / 1e6);
  HX_CHECK(first >= 0 && llabs(first - t) <= 40 * HW_NS_PER_MS,
           "H.265: the first frame shown was captured %.1f ms from T", (double)(first - t) / 1e6);
  return 0;
}

/* ---- the API, over real HTTP with curl ------------------------------------------------------ */

typedef struct {
  char *jar, *csrf;
} Sess;

/* One request; the status (0 if curl failed), the body into *ret_body (g_free) or out_file. */
static int api(Hx *hx, const Sess *s, const char *method, const char *path, const char *body,
               char **ret_body, const char *out_file)
{
  g_autofree char *bpath = g_build_filename(hx->dir, "req.json", NULL);
  g_autofree char *opath = out_file ? g_strdup(out_file) : g_build_filename(hx->dir, "resp", NULL);
  g_autoptr(GString) cmd = g_string_new(NULL);
  g_string_append_printf(cmd, "curl -s -o %s -w '%%{http_code}' -X %s", opath, method);
  if (s != NULL)
    g_string_append_printf(cmd, " -b %s -c %s -H 'X-CSRF-Token: %s'", s->jar, s->jar,
                           s->csrf ? s->csrf : "");
  if (body != NULL) {
    g_file_set_contents(bpath, body, -1, NULL);
    g_string_append_printf(cmd, " -H 'Content-Type: application/json' --data-binary @%s", bpath);
  }
  g_string_append_printf(cmd, " http://127.0.0.1:%d%s", hx->http_port, path);
  g_autofree char *out = NULL;
  run_sh(cmd->str, &out);
  if (ret_body)
    g_file_get_contents(opath, ret_body, NULL, NULL);
  return out ? atoi(out) : 0;
}

static json_t *japi(Hx *hx, const Sess *s, const char *method, const char *path, const char *body,
                    int *ret_status)
{
  g_autofree char *text = NULL;
  *ret_status = api(hx, s, method, path, body, &text, NULL);
  return text ? json_loads(text, 0, NULL) : NULL;
}

/* Adds a user with the CLI (hall: nullable) and signs in; false on failure. */
static bool user_session(Hx *hx, const char *name, const char *role, const char *hall, Sess *s)
{
  const char *argv[] = {HW_HALLWATCHD,
                        "user",
                        "add",
                        name,
                        "--role",
                        role,
                        "--random-password",
                        "--config",
                        hx->conf,
                        hall ? "--hall" : NULL,
                        hall,
                        NULL};
  g_autofree char *out = NULL;
  g_autofree char *needle = g_strdup_printf("password for %s: ", name);
  const char *p;
  if (hx_run_sync(argv, &out, 30000) != 0 || (p = strstr(out, needle)) == NULL)
    return false;
  g_autofree char *pw = g_strndup(p + strlen(needle), strcspn(p + strlen(needle), "\r\n"));
  s->jar = g_build_filename(hx->dir, name, NULL);
  json_t *req = json_pack("{s:s, s:s}", "username", name, "password", pw);
  g_autofree char *body = json_dumps(req, JSON_COMPACT);
  json_decref(req);
  Sess anon = {s->jar, NULL};
  int st;
  json_t *j = japi(hx, &anon, "POST", "/api/v1/auth/login", body, &st);
  s->csrf = g_strdup(json_string_value(json_object_get(j, "csrf_token")));
  json_decref(j);
  return st == 200 && s->csrf != NULL;
}

static void sess_clear(Sess *s)
{
  g_free(s->jar);
  g_free(s->csrf);
}

static int64_t db_int(Hx *hx, const char *sql)
{
  sqlite3 *db = hx_db_open(hx);
  int64_t v = hx_db_int(db, sql);
  sqlite3_close(db);
  return v;
}

/* The first column of the first row of sql as text (g_free), NULL if none. */
static char *db_text(Hx *hx, const char *sql)
{
  sqlite3 *db = hx_db_open(hx);
  sqlite3_stmt *st = NULL;
  char *v = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) == SQLITE_OK && sqlite3_step(st) == SQLITE_ROW)
    v = g_strdup((const char *)sqlite3_column_text(st, 0));
  sqlite3_finalize(st);
  sqlite3_close(db);
  return v;
}

/* GET /api/v1/exports/{id} until it is done or failed (20 s at most); the job, or NULL. */
static json_t *wait_finished(Hx *hx, const Sess *s, int64_t id)
{
  g_autofree char *path = g_strdup_printf("/api/v1/exports/%" G_GINT64_FORMAT, id);
  for (int i = 0; i < 200; i++) {
    int st;
    json_t *job = japi(hx, s, "GET", path, NULL, &st);
    const char *state = json_string_value(json_object_get(job, "state"));
    if (g_strcmp0(state, "done") == 0 || g_strcmp0(state, "failed") == 0)
      return job;
    json_decref(job);
    hx_sleep_ms(100);
  }
  return NULL;
}

/* The daemon's [exports] verify_max_bytes in api_part: the big package fits, BIG_MAX + 1 does not. */
#define UPLOAD_MAX (30 * 1024 * 1024)
#define BIG_PAD (24 * 1024 * 1024)

/* Uploads a file as the raw body of POST /api/v1/exports/verify (Content-Type application/zip,
 * chunked: without Content-Length); the status, the answer in *ret_body. */
static int upload(Hx *hx, const Sess *s, const char *file, bool chunked, char **ret_body)
{
  g_autofree char *opath = g_build_filename(hx->dir, "resp", NULL);
  g_autofree char *cmd = g_strdup_printf(
      "curl -s -o %s -w '%%{http_code}' -b %s -H 'X-CSRF-Token: %s' -H 'Content-Type: "
      "application/zip' %s --data-binary @%s http://127.0.0.1:%d/api/v1/exports/verify",
      opath, s ? s->jar : "/dev/null", s && s->csrf ? s->csrf : "",
      chunked ? "-H 'Transfer-Encoding: chunked'" : "", file, hx->http_port);
  g_autofree char *out = NULL;
  run_sh(cmd, &out);
  if (ret_body)
    g_file_get_contents(opath, ret_body, NULL, NULL);
  return out ? atoi(out) : 0;
}

/* Files the server left in the exports folder from uploads (".upload-*"), and the largest. */
static int uploads_left(Hx *hx, int64_t *ret_largest)
{
  g_autofree char *dir = g_build_filename(hx->dir, "exports", NULL);
  GDir *d = g_dir_open(dir, 0, NULL);
  const char *name;
  int n = 0;
  if (ret_largest)
    *ret_largest = 0;
  while (d && (name = g_dir_read_name(d)) != NULL) {
    if (!g_str_has_prefix(name, ".upload-"))
      continue;
    n++;
    g_autofree char *path = g_build_filename(dir, name, NULL);
    GStatBuf st;
    if (ret_largest && g_stat(path, &st) == 0 && st.st_size > *ret_largest)
      *ret_largest = st.st_size;
  }
  if (d)
    g_dir_close(d);
  return n;
}

/* `hallwatchd verify --json` of a package: the result POST /api/v1/exports/verify must equal. */
static json_t *cli_verify(const char *key_hex, const char *pkg)
{
  const char *argv[] = {HW_HALLWATCHD, "verify", "--pubkey", key_hex, "--json", pkg, NULL};
  g_autofree char *out = NULL;
  hx_run_sync(argv, &out, 60000);
  return out ? json_loads(out, 0, NULL) : NULL;
}

static bool same_verdict(json_t *a, json_t *b)
{
  return a && b && json_equal(json_object_get(a, "ok"), json_object_get(b, "ok")) &&
         json_equal(json_object_get(a, "problems"), json_object_get(b, "problems"));
}

/* A package of more than 20 MiB signed by the appliance's key, built from the downloaded one:
 * its MP4 followed by a BIG_PAD-byte `free` box (players skip it), the manifest's hashes and sizes
 * of it updated and signed again. */
static bool big_package(Hx *hx, const HwKey *key, const char *dl, const char *out)
{
  g_autofree char *dir = g_build_filename(hx->dir, "big", NULL);
  g_autofree char *cmd = g_strdup_printf("unzip -q -o %s -d %s", dl, dir);
  if (run_sh(cmd, NULL) != 0)
    return false;
  g_autofree char *mp4 = g_build_filename(dir, HW_EXPORT_MP4_NAME, NULL);
  FILE *f = fopen(mp4, "ab");
  if (f == NULL)
    return false;
  uint8_t hdr[8] = {(uint8_t)(BIG_PAD >> 24),
                    (uint8_t)(BIG_PAD >> 16),
                    (uint8_t)(BIG_PAD >> 8),
                    (uint8_t)BIG_PAD,
                    'f',
                    'r',
                    'e',
                    'e'};
  g_autofree uint8_t *zeros = g_malloc0(BIG_PAD - 8);
  bool ok = fwrite(hdr, 1, 8, f) == 8 && fwrite(zeros, 1, BIG_PAD - 8, f) == BIG_PAD - 8;
  ok = fclose(f) == 0 && ok;
  char sha[65];
  int64_t size = 0;
  g_autofree char *man_path = g_build_filename(dir, HW_EXPORT_MANIFEST_NAME, NULL);
  json_t *man = json_load_file(man_path, JSON_PRESERVE_ORDER, NULL);
  if (!ok || man == NULL || !hw_media_sha256_file(mp4, -1, sha, &size, NULL)) {
    json_decref(man);
    return false;
  }
  json_object_set_new(json_object_get(man, "mp4"), "size", json_integer(size));
  json_object_set_new(json_object_get(man, "mp4"), "sha256", json_string(sha));
  json_object_set_new(man, "mp4_sha256", json_string(sha));
  json_t *pf = json_array_get(json_object_get(man, "package_files"), 0);
  json_object_set_new(pf, "size", json_integer(size));
  json_object_set_new(pf, "sha256", json_string(sha));
  bool written = hw_package_write_signed(out, mp4, man, key, NULL);
  json_decref(man);
  return written;
}

/* POST /api/v1/exports/verify with the package as the body, over HTTP: a > 20 MiB package
 * verifies as `hallwatchd verify` says, one flipped byte fails the same way, a body over the cap
 * is 413 (announced or chunked), a client that goes away mid-upload leaves nothing, and the
 * exports folder holds no upload afterwards. */
static int check_upload(Hx *hx, const Sess *ivy, const HwKey *key, const char *dl)
{
  g_autofree char *big = g_build_filename(hx->dir, "big.zip", NULL);
  HX_REQUIRE(big_package(hx, key, dl, big), "cannot build the big package");
  GStatBuf bst;
  HX_REQUIRE(g_stat(big, &bst) == 0 && bst.st_size > 20 * 1024 * 1024 && bst.st_size < UPLOAD_MAX,
             "the big package has %lld bytes", (long long)bst.st_size);
  const char *key_hex = hw_key_public_hex(key);
  g_autofree char *body = NULL;
  int st = upload(hx, ivy, big, false, &body);
  json_t *got = body ? json_loads(body, 0, NULL) : NULL, *want = cli_verify(key_hex, big);
  HX_CHECK(st == 200 && json_is_true(json_object_get(got, "ok")) && same_verdict(got, want),
           "upload of the %lld-byte package: %d %.300s", (long long)bst.st_size, st, body);
  json_decref(got);
  json_decref(want);
  HX_CHECK(uploads_left(hx, NULL) == 0, "an upload file is left in the exports folder");

  g_autofree char *bad = g_build_filename(hx->dir, "big-bad.zip", NULL);
  HX_REQUIRE(tamper(big, bad, HW_EXPORT_MP4_NAME, (size_t)g_random_int_range(0, BIG_PAD)),
             "cannot flip a byte of the big package");
  g_clear_pointer(&body, g_free);
  st = upload(hx, ivy, bad, true, &body);
  got = body ? json_loads(body, 0, NULL) : NULL;
  want = cli_verify(key_hex, bad);
  const char *p0 = json_string_value(json_array_get(json_object_get(got, "problems"), 0));
  HX_CHECK(st == 200 && json_is_false(json_object_get(got, "ok")) && p0 &&
               g_str_has_prefix(p0, "footage.mp4: SHA-256") && same_verdict(got, want),
           "upload (chunked) of the big package with a flipped byte: %d %.300s", st, body);
  json_decref(got);
  json_decref(want);

  /* Over the cap: refused before the body when announced, after it when chunked. */
  g_autofree char *huge = g_build_filename(hx->dir, "huge.bin", NULL);
  FILE *f = fopen(huge, "wb");
  HX_REQUIRE(f && ftruncate(fileno(f), UPLOAD_MAX + 1) == 0 && fclose(f) == 0,
             "cannot make the oversized body");
  for (int chunked = 0; chunked < 2; chunked++) {
    g_clear_pointer(&body, g_free);
    st = upload(hx, ivy, huge, chunked, &body);
    HX_CHECK(st == 413 && body && strstr(body, "body_too_large"),
             "a %d-byte upload (%s) is not 413: %d %.200s", UPLOAD_MAX + 1,
             chunked ? "chunked" : "Content-Length", st, body);
  }
  HX_CHECK(upload(hx, NULL, big, false, NULL) == 401, "an upload without a session is not 401");
  HX_CHECK(uploads_left(hx, NULL) == 0, "an upload file is left after 413/401");

  /* A client that goes away mid-upload: the part already received is in a file (streamed, not
   * in memory), and the file goes when the connection does. */
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)hx->http_port)};
  sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  if (fd >= 0 && connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    fd = -1;
  }
  HX_REQUIRE(fd >= 0, "cannot connect");
  g_autofree char *cookie = NULL;
  g_file_get_contents(ivy->jar, &cookie, NULL, NULL);
  const char *sess = cookie ? strstr(cookie, "hw_session\t") : NULL;
  g_autofree char *sval = sess ? g_strndup(sess + 11, strcspn(sess + 11, "\r\n")) : g_strdup("");
  g_autofree char *head = g_strdup_printf(
      "POST /api/v1/exports/verify HTTP/1.1\r\nHost: 127.0.0.1\r\nCookie: hw_session=%s\r\n"
      "X-CSRF-Token: %s\r\nContent-Type: application/zip\r\nContent-Length: %d\r\n\r\n",
      sval, ivy->csrf, UPLOAD_MAX - 1);
  bool sent = write(fd, head, strlen(head)) == (ssize_t)strlen(head);
  g_autofree uint8_t *part = g_malloc0(1 << 20);
  for (int i = 0; i < 4 && sent; i++)
    sent = write(fd, part, 1 << 20) == 1 << 20;
  int64_t largest = 0;
  int during = 0;
  for (int i = 0; i < 50 && largest < 4 << 20; i++, hx_sleep_ms(50))
    during = uploads_left(hx, &largest);
  close(fd);
  int after = 1;
  for (int i = 0; i < 60 && after != 0; i++, hx_sleep_ms(50))
    after = uploads_left(hx, NULL);
  HX_CHECK(sent && during == 1 && largest == 4 << 20 && after == 0,
           "mid-upload: %d file(s) of up to %lld bytes while 4 MiB were sent; %d left after the "
           "client went away",
           during, (long long)largest, after);
  printf("verify upload: %lld-byte package verified as hallwatchd verify says, a flipped byte "
         "named, %d+1 bytes 413 (announced and chunked), 4 MiB of an abandoned upload on disk "
         "then removed\n",
         (long long)bst.st_size, UPLOAD_MAX);
  return 0;
}

/* POST /api/v1/exports → done → download → verify; hold until release; package deleted; scope;
 * audit; restart. */
static int api_part(Hx *hx, hw_time_ns t, const HwKey *key)
{
  const char *key_hex = hw_key_public_hex(key);
  /* A cap small enough to test 413 with a 30 MiB body, large enough for a > 20 MiB package. */
  g_autofree char *conf = NULL;
  HX_REQUIRE(g_file_get_contents(hx->conf, &conf, NULL, NULL), "cannot read the config");
  g_autofree char *conf2 =
      g_strdup_printf("%s\n[exports]\nverify_max_bytes = %d\n", conf, UPLOAD_MAX);
  HX_REQUIRE(g_file_set_contents(hx->conf, conf2, -1, NULL), "cannot write the config");
  Sess ivy = {0}, other = {0}, mgr = {0};
  /* Jobs survive a restart: one still queued at a stop runs at the next start (job 1); one left
   * running (as a crash would leave it) is failed with the reason (job 2). */
  g_autofree char *queued = g_strdup_printf(
      "INSERT INTO exports (camera, from_ns, to_ns, requested_by, state, created_ns) VALUES "
      "('cam-x', %" G_GINT64_FORMAT ", %" G_GINT64_FORMAT ", 'someone', 'queued', 1)",
      t, t + HW_NS_PER_S);
  HX_REQUIRE(hx_db_exec(hx, queued), "cannot plant a queued job");
  HX_REQUIRE(hx_db_exec(hx, "INSERT INTO exports (camera, from_ns, to_ns, requested_by, state, "
                            "created_ns) VALUES ('cam-x', 1, 2, 'someone', 'running', 1)"),
             "cannot plant an interrupted job");
  HX_REQUIRE(hx_start(hx), "hallwatchd did not start again");
  int st = 0;
  for (int i = 0; i < 50 && st != 200; i++, hx_sleep_ms(100))
    g_free(hx_http_get(hx->http_port, "/healthz", &st));
  HX_REQUIRE(user_session(hx, "ivy2", "investigator", NULL, &ivy), "investigator sign-in");
  HX_REQUIRE(user_session(hx, "ivb", "investigator", "hall-b", &other), "hall-b sign-in");
  HX_REQUIRE(user_session(hx, "mgr", "hall_manager", NULL, &mgr), "manager sign-in");

  json_t *old = japi(hx, &ivy, "GET", "/api/v1/exports", NULL, &st);
  json_t *first = json_array_get(json_object_get(old, "exports"), 0);
  HX_CHECK(st == 200 &&
               g_strcmp0(json_string_value(json_object_get(first, "state")), "failed") == 0 &&
               strstr(json_string_value(json_object_get(first, "error"))
                          ? json_string_value(json_object_get(first, "error"))
                          : "",
                      "interrupted"),
           "the job left running by a stop is not failed with the reason: %d", st);
  json_decref(old);
  json_t *resumed = wait_finished(hx, &ivy, 1);
  HX_CHECK(resumed && g_strcmp0(json_string_value(json_object_get(resumed, "state")), "done") == 0,
           "the job queued at the stop did not run at the next start: %s",
           resumed ? json_string_value(json_object_get(resumed, "error")) : "timeout");
  json_decref(resumed);

  char fb[40], tb[40];
  hw_time_format(t, fb, sizeof fb);
  hw_time_format(t + RANGE_NS, tb, sizeof tb);
  g_autofree char *body = g_strdup_printf(
      "{\"camera\":\"cam-x\",\"from\":\"%s\",\"to\":\"%s\",\"case\":\"C-9\",\"stage\":\"review\"}",
      fb, tb);
  /* A bounded queue: with 32 jobs unfinished, a new one is refused (429), not piled up. */
  HX_REQUIRE(hx_db_exec(hx, "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n "
                            "WHERE i < 32) INSERT INTO exports (camera, from_ns, to_ns, "
                            "requested_by, state, created_ns) SELECT 'cam-x', 1, 2, 'busy', "
                            "'running', 1 FROM n"),
             "cannot plant busy jobs");
  g_autofree char *busy = NULL;
  HX_CHECK(api(hx, &ivy, "POST", "/api/v1/exports", body, &busy, NULL) == 429 &&
               strstr(busy, "too_many_exports"),
           "a 33rd unfinished export is not refused with 429: %s", busy);
  HX_REQUIRE(hx_db_exec(hx, "UPDATE exports SET state = 'failed' WHERE requested_by = 'busy'"),
             "cannot finish the busy jobs");
  json_t *job = japi(hx, &ivy, "POST", "/api/v1/exports", body, &st);
  HX_REQUIRE(st == 202 && job, "POST /api/v1/exports: %d", st);
  int64_t id = json_integer_value(json_object_get(job, "id"));
  json_decref(job);
  g_autofree char *jpath = g_strdup_printf("/api/v1/exports/%" G_GINT64_FORMAT, id);
  json_t *done = wait_finished(hx, &ivy, id);
  HX_REQUIRE(done && g_strcmp0(json_string_value(json_object_get(done, "state")), "done") == 0,
             "the export job did not finish: %s",
             done ? json_string_value(json_object_get(done, "error")) : "timeout");
  HX_CHECK(json_integer_value(json_object_get(done, "progress")) == 100, "progress is not 100");
  HX_CHECK(json_is_true(json_object_get(done, "held")), "the exported footage is not held");
  g_autofree char *want_sha =
      g_strdup(json_string_value(json_object_get(json_object_get(done, "result"), "sha256")));
  json_decref(done);

  /* The download: the same bytes the job recorded, a package that verifies. */
  g_autofree char *dl = g_build_filename(hx->dir, "download.zip", NULL);
  g_autofree char *dpath = g_strdup_printf("%s/download", jpath);
  st = api(hx, &ivy, "GET", dpath, NULL, NULL, dl);
  g_autofree char *got_sha = hx_sha256sum(dl);
  HX_CHECK(st == 200 && g_strcmp0(got_sha, want_sha) == 0,
           "download: %d, sha256 %s, the job says %s", st, got_sha, want_sha);
  const char *verify[] = {HW_HALLWATCHD, "verify", "--pubkey", key_hex, dl, NULL};
  g_autofree char *vout = NULL;
  HX_CHECK(hx_run_sync(verify, &vout, 20000) == 0, "the downloaded package does not verify:\n%s",
           vout);
  g_autofree char *vbody = g_strdup_printf("{\"id\":%" G_GINT64_FORMAT "}", id);
  json_t *vr = japi(hx, &ivy, "POST", "/api/v1/exports/verify", vbody, &st);
  HX_CHECK(st == 200 && json_is_true(json_object_get(vr, "ok")),
           "POST /api/v1/exports/verify of the stored package: %d", st);
  json_decref(vr);
  /* An uploaded package (base64 in JSON, within the body limit): the tampered one of above. */
  g_autofree char *bad_path = g_build_filename(hx->dir, "bad-mp4.zip", NULL);
  g_autofree char *bad_bytes = NULL;
  gsize bad_len = 0;
  HX_REQUIRE(g_file_get_contents(bad_path, &bad_bytes, &bad_len, NULL), "no tampered package");
  g_autofree char *b64 = g_base64_encode((const guchar *)bad_bytes, bad_len);
  g_autofree char *ubody = g_strdup_printf("{\"package\":\"%s\"}", b64);
  vr = japi(hx, &ivy, "POST", "/api/v1/exports/verify", ubody, &st);
  const char *p0 = json_string_value(json_array_get(json_object_get(vr, "problems"), 0));
  HX_CHECK(st == 200 && json_is_false(json_object_get(vr, "ok")) && p0 &&
               g_str_has_prefix(p0, "footage.mp4: SHA-256"),
           "POST /api/v1/exports/verify of an uploaded tampered package: %d, %s", st, p0);
  json_decref(vr);
  if (check_upload(hx, &ivy, key, dl) != 0)
    return 1;

  /* The footage being recorded right now: the file is still open, so its manifest entry hashes
   * the bytes indexed at export time, and verify --footage checks that prefix. */
  static const char *const cam_x[] = {"cam-x", NULL};
  HX_REQUIRE(hx_wait_state(hx, cam_x, "recording", 15000), "cam-x does not record again");
  hx_sleep_ms(4000);
  char lfb[40], ltb[40];
  hw_time_ns now = hw_time_now();
  hw_time_format(now - 3 * HW_NS_PER_S, lfb, sizeof lfb);
  hw_time_format(now - HW_NS_PER_S, ltb, sizeof ltb);
  g_autofree char *lbody =
      g_strdup_printf("{\"camera\":\"cam-x\",\"from\":\"%s\",\"to\":\"%s\"}", lfb, ltb);
  json_t *live = japi(hx, &ivy, "POST", "/api/v1/exports", lbody, &st);
  int64_t lid = json_integer_value(json_object_get(live, "id"));
  json_decref(live);
  live = st == 202 ? wait_finished(hx, &ivy, lid) : NULL;
  HX_CHECK(live && g_strcmp0(json_string_value(json_object_get(live, "state")), "done") == 0,
           "an export of the last seconds did not finish: %d %s", st,
           live ? json_string_value(json_object_get(live, "error")) : "timeout");
  json_decref(live);
  g_autofree char *lzip = g_build_filename(hx->dir, "live.zip", NULL);
  g_autofree char *lpath = g_strdup_printf("/api/v1/exports/%" G_GINT64_FORMAT "/download", lid);
  api(hx, &ivy, "GET", lpath, NULL, NULL, lzip);
  g_autofree char *lman_cmd = g_strdup_printf("unzip -p %s manifest.json", lzip);
  g_autofree char *lman = NULL;
  run_sh(lman_cmd, &lman);
  const char *vlive[] = {HW_HALLWATCHD, "verify",    "--pubkey", key_hex,
                         "--footage",   hx->footage, lzip,       NULL};
  g_autofree char *lout = NULL;
  HX_CHECK(lman && strstr(lman, "still being recorded") && hx_run_sync(vlive, &lout, 20000) == 0,
           "the export of an open recording does not verify against its growing file:\n%s\n%s",
           lman ? lman : "", lout ? lout : "");

  /* Scope: another hall's investigator sees neither the job nor the camera. */
  g_autofree char *ob = NULL;
  HX_CHECK(api(hx, &other, "GET", jpath, NULL, &ob, NULL) == 404, "hall-b sees the job: %s", ob);
  HX_CHECK(api(hx, &other, "GET", dpath, NULL, NULL, NULL) == 404, "hall-b downloads the job");
  HX_CHECK(api(hx, &other, "POST", "/api/v1/exports", body, NULL, NULL) == 404,
           "hall-b exports a camera outside its hall");
  api(hx, &mgr, "POST", "/api/v1/halls", "{\"code\":\"hall-a\",\"name\":\"A\"}", NULL, NULL);
  g_autofree char *url = hw_rtsp_server_url(hx->server, "/cam");
  g_autofree char *cam =
      g_strdup_printf("{\"id\":\"cam-a\",\"name\":\"A1\",\"url\":\"%s\",\"hall\":\"hall-a\"}", url);
  HX_CHECK(api(hx, &mgr, "POST", "/api/v1/cameras", cam, NULL, NULL) == 201, "cannot add cam-a");
  g_autofree char *body_a =
      g_strdup_printf("{\"camera\":\"cam-a\",\"from\":\"%s\",\"to\":\"%s\"}", fb, tb);
  HX_CHECK(api(hx, &other, "POST", "/api/v1/exports", body_a, NULL, NULL) == 404,
           "hall-b exports hall-a's camera");
  HX_CHECK(api(hx, &mgr, "POST", "/api/v1/exports", body, NULL, NULL) == 403,
           "a hall manager may export");
  g_autofree char *bad =
      g_strdup_printf("{\"camera\":\"cam-x\",\"from\":\"%s\",\"to\":\"%s\"}", tb, fb);
  g_autofree char *bad_body = NULL;
  HX_CHECK(api(hx, &ivy, "POST", "/api/v1/exports", bad, &bad_body, NULL) == 400 &&
               strstr(bad_body, "\"field\":\"to\""),
           "a reversed range is not refused naming `to`: %s", bad_body);

  /* The hold lasts until released, then retention may have the footage. */
  g_autofree char *hq =
      g_strdup_printf("SELECT count(*) FROM holds h JOIN exports e ON e.hold_id = h.id WHERE e.id "
                      "= %" G_GINT64_FORMAT " AND h.released_ns = 0 AND h.camera = 'cam-x'",
                      id);
  HX_CHECK(db_int(hx, hq) == 1, "no live hold for the export in the holds table");
  g_autofree char *rpath = g_strdup_printf("%s/release", jpath);
  json_t *rel = japi(hx, &ivy, "POST", rpath, "{}", &st);
  HX_CHECK(st == 200 && json_is_false(json_object_get(rel, "held")), "release: %d", st);
  json_decref(rel);
  HX_CHECK(db_int(hx, hq) == 0, "the hold is still live after release");
  HX_CHECK(api(hx, &ivy, "POST", rpath, "{}", NULL, NULL) == 409, "a second release is not 409");

  /* Audit: the request, the download and the release. */
  g_autofree char *aq = g_strdup_printf(
      "SELECT count(*) FROM audit_log WHERE object_type = 'export' AND object_id = "
      "'%" G_GINT64_FORMAT
      "' AND actor = 'ivy2' AND action IN ('export.create', 'export.download', 'export.release')",
      id);
  HX_CHECK(db_int(hx, aq) == 3, "expected 3 audit rows for the export, found %" G_GINT64_FORMAT,
           db_int(hx, aq));
  g_autofree char *dq = g_strdup_printf(
      "SELECT count(*) FROM audit_log WHERE action = 'export.done' AND object_id = "
      "'%" G_GINT64_FORMAT "' AND actor = 'system' AND json_extract(detail, '$.sha256') = '%s'",
      id, want_sha);
  HX_CHECK(db_int(hx, dq) == 1, "no export.done audit row carrying the package's SHA-256");

  /* Deleting the package (handed over): the file goes, the job stays marked, downloads and
   * verify by id answer 410, the deletion is audited; another hall's investigator gets 404. */
  g_autofree char *pq =
      g_strdup_printf("SELECT package FROM exports WHERE id = %" G_GINT64_FORMAT, id);
  g_autofree char *package = db_text(hx, pq);
  g_autofree char *ppath = g_build_filename(hx->dir, "exports", package ? package : "?", NULL);
  HX_CHECK(package && g_file_test(ppath, G_FILE_TEST_IS_REGULAR), "no package file %s", ppath);
  HX_CHECK(api(hx, &other, "DELETE", jpath, NULL, NULL, NULL) == 404, "hall-b deletes the package");
  HX_CHECK(g_file_test(ppath, G_FILE_TEST_EXISTS), "hall-b's refused delete removed the package");
  json_t *del = japi(hx, &ivy, "DELETE", jpath, NULL, &st);
  HX_CHECK(st == 200 &&
               g_strcmp0(json_string_value(json_object_get(del, "deleted_by")), "ivy2") == 0 &&
               json_is_string(json_object_get(del, "deleted")) &&
               json_is_null(json_object_get(json_object_get(del, "result"), "download")),
           "delete: %d", st);
  json_decref(del);
  HX_CHECK(!g_file_test(ppath, G_FILE_TEST_EXISTS), "the package file is still there after delete");
  g_autofree char *gone_body = NULL;
  HX_CHECK(api(hx, &ivy, "GET", dpath, NULL, &gone_body, NULL) == 410 &&
               strstr(gone_body, "deleted by ivy2"),
           "a deleted package's download: %s", gone_body);
  g_autofree char *vid = g_strdup_printf("{\"id\":%" G_GINT64_FORMAT "}", id);
  HX_CHECK(api(hx, &ivy, "POST", "/api/v1/exports/verify", vid, NULL, NULL) == 410,
           "verify by id of a deleted package is not 410");
  HX_CHECK(api(hx, &ivy, "DELETE", jpath, NULL, NULL, NULL) == 410, "a second delete is not 410");
  g_autofree char *xq = g_strdup_printf(
      "SELECT count(*) FROM audit_log WHERE action = 'export.delete' AND actor = 'ivy2' AND "
      "object_id = '%" G_GINT64_FORMAT "' AND json_extract(detail, '$.sha256') = '%s'",
      id, want_sha);
  HX_CHECK(db_int(hx, xq) == 1, "no export.delete audit row carrying the package's SHA-256");
  json_t *k = japi(hx, &other, "GET", "/api/v1/key", NULL, &st);
  HX_CHECK(st == 200 &&
               g_strcmp0(json_string_value(json_object_get(k, "public_key")), key_hex) == 0,
           "GET /api/v1/key: %d", st);
  json_decref(k);
  printf("API: export %" G_GINT64_FORMAT
         " done, downloaded (sha256 %s) and verified; hold released; package deleted (410 "
         "after); hall-b got 404\n",
         id, got_sha);
  hx_signal(hx, SIGTERM);
  HX_CHECK(hx_wait_exit(hx, 8000), "hallwatchd did not stop");
  HX_CHECK(WIFEXITED(hx->last_status) && WEXITSTATUS(hx->last_status) == 0,
           "hallwatchd exited with status %d (see its log)", hx->last_status);
  sess_clear(&ivy);
  sess_clear(&other);
  sess_clear(&mgr);
  return 0;
}

static int run(Hx *hx)
{
  HwRtspStreamSpec spec = {.path = "/cam", .audio = true}; /* AAC too: exported beside the video */
  hx_add_stream(hx, &spec);
  HwRtspStreamSpec spec_h = {.path = "/h265", .codec = "h265"};
  hx_add_stream(hx, &spec_h);
  g_autoptr(GString) sections = g_string_new(NULL);
  hx_camera(sections, hx, "cam-x", "/cam", NULL, NULL, NULL);
  hx_camera(sections, hx, "cam-h", "/h265", NULL, NULL, NULL);
  HxOptions o = {.file_span = "4s"};
  hx_write_config(hx, &o, sections->str);
  HX_REQUIRE(hx_start(hx), "hallwatchd did not start");
  static const char *const ids[] = {"cam-x", "cam-h", NULL};
  /* Two sessions with the daemon down in between: a gap with a recorded reason (daemon_down). */
  for (int session = 0; session < 2; session++) {
    if (session == 1) {
      hx_sleep_ms(GAP_MS);
      HX_REQUIRE(hx_start(hx), "hallwatchd did not start again");
    }
    HX_REQUIRE(hx_wait_state(hx, ids, "recording", 15000), "the camera did not record");
    hx_sleep_ms(session == 0 ? RECORD_MS : RECORD2_MS);
    hx_signal(hx, SIGTERM);
    HX_REQUIRE(hx_wait_exit(hx, 8000), "hallwatchd did not stop");
    HX_CHECK(WIFEXITED(hx->last_status) && WEXITSTATUS(hx->last_status) == 0,
             "hallwatchd exited with status %d (see its log)", hx->last_status);
  }

  g_autoptr(GError) error = NULL;
  g_autoptr(HwStore) store = hw_store_open(hx->db, &error);
  HX_REQUIRE(store, "store: %s", error ? error->message : "?");
  g_autofree char *key_path = hw_key_path_for_database(hx->db);
  g_autoptr(HwKey) key = hw_key_load(key_path, &error);
  HX_REQUIRE(key, "key: %s", error ? error->message : "?");
  g_autofree HwStoreFile *files = NULL;
  size_t n = 0;
  HX_REQUIRE(hw_store_files_in_range(store, "cam-x", "main", 0, INT64_MAX, &files, &n, &error) &&
                 n >= 3,
             "expected at least 3 files of 4 s, got %zu", n);

  /* T: random, 0.3..3.5 s before the second file's start, so [T, T+4 s) spans the boundary. */
  hw_time_ns boundary = files[1].start_ns;
  hw_time_ns t = boundary - g_random_int_range(300, 3500) * HW_NS_PER_MS;
  if (t < files[0].start_ns + 200 * HW_NS_PER_MS)
    t = files[0].start_ns + 200 * HW_NS_PER_MS;
  g_autofree char *pkg = g_build_filename(hx->dir, "evidence.zip", NULL);
  g_autoptr(GArray) prog = g_array_new(FALSE, FALSE, sizeof(double));
  HwExportRequest req = {.camera = "cam-x",
                         .from_ns = t,
                         .to_ns = t + RANGE_NS,
                         .footage_dir = hx->footage,
                         .package_path = pkg,
                         .key = key,
                         .version = "test",
                         .export_id = "1",
                         .exporter = "ivy",
                         .exporter_role = "investigator",
                         .case_id = "C-1",
                         .stage = "accept",
                         .progress = on_progress,
                         .progress_user = prog};
  HwExportResult res;
  int64_t t0 = hw_time_monotonic();
  HX_REQUIRE(hw_export_run(store, &req, &res, &error), "export: %s", error->message);
  double secs = (double)(hw_time_monotonic() - t0) / 1e9;
  char tb[40];
  printf("exported %s + 4 s (file boundary %.3f s in): %" G_GINT64_FORMAT " frames from %zu files, "
         "%" G_GINT64_FORMAT " bytes MP4, %.3f s (%.0fx real time)\n",
         hw_time_format(t, tb, sizeof tb), (double)(boundary - t) / 1e9, res.frames, res.n_sources,
         res.mp4_size, secs, 4.0 / secs);
  HX_CHECK(res.n_sources >= 2, "the range spans a file boundary but %zu source file(s) were used",
           res.n_sources);
  HX_CHECK(prog->len >= 2 && g_array_index(prog, double, prog->len - 1) == 1.0,
           "progress was reported %u times, last %.2f", prog->len,
           prog->len ? g_array_index(prog, double, prog->len - 1) : -1.0);
  for (guint i = 1; i < prog->len; i++)
    HX_CHECK(g_array_index(prog, double, i) >= g_array_index(prog, double, i - 1),
             "progress went backwards");
  HX_CHECK(llabs(res.actual_from_ns - t) <= FRAME_NS / 2 + HW_NS_PER_MS,
           "actual start %.1f ms from the requested one (limit half a frame)",
           (double)(res.actual_from_ns - t) / 1e6);

  /* Unpack; decode as a player would (ffmpeg honours the edit list). */
  g_autofree char *dir = g_build_filename(hx->dir, "unpacked", NULL);
  g_autofree char *cmd = g_strdup_printf("unzip -q -o %s -d %s", pkg, dir);
  HX_REQUIRE(run_sh(cmd, NULL) == 0, "unzip failed on the package");
  g_autofree char *mp4 = g_build_filename(dir, HW_EXPORT_MP4_NAME, NULL);
  g_autofree char *ferr = NULL;
  g_autoptr(GArray) stamps = hx_decode_stamps(mp4, 320, 240, &ferr);
  HX_REQUIRE(stamps && stamps->len > 0, "no frame decoded: %s", ferr ? ferr : "");
  int64_t first = g_array_index(stamps, int64_t, 0);
  printf("first frame shown: stamp %.1f ms from T; %u frames decoded (%s)\n",
         (double)(first - t) / 1e6, stamps->len, ferr && *ferr ? ferr : "no decoder errors");
  HX_CHECK(first >= 0 && llabs(first - t) <= 40 * HW_NS_PER_MS,
           "the first frame shown was captured %.1f ms from T (limit 40 ms)",
           (double)(first - t) / 1e6);
  HX_CHECK(llabs((int64_t)stamps->len - RANGE_NS / FRAME_NS) <= 2,
           "%u frames shown for 4 s at 25 fps", stamps->len);
  int holes = 0;
  for (guint i = 1; i < stamps->len; i++) {
    int64_t a = g_array_index(stamps, int64_t, i - 1), b = g_array_index(stamps, int64_t, i);
    if (a < 0 || b < 0 || b - a < FRAME_NS / 2 || b - a > FRAME_NS * 3 / 2)
      holes++;
  }
  HX_CHECK(holes == 0, "%d frame steps are not one frame apart (a hole at the file boundary?)",
           holes);

  g_autofree char *boxes = top_boxes(mp4);
  printf("top-level boxes: %s\n", boxes);
  HX_CHECK(g_str_has_prefix(boxes, "ftyp moov") || strstr(boxes, "moov") < strstr(boxes, "mdat"),
           "moov does not come before mdat: %s", boxes);
  g_autofree char *probe_cmd = g_strdup_printf(
      "ffprobe -v error -show_entries stream=codec_name,duration,nb_frames,sample_rate -of compact "
      "%s",
      mp4);
  g_autofree char *probe = NULL;
  HX_CHECK(run_sh(probe_cmd, &probe) == 0 && strstr(probe, "codec_name=h264") &&
               strstr(probe, "codec_name=mov_text") && strstr(probe, "codec_name=aac"),
           "ffprobe does not show H.264, timed-text and AAC tracks: %s", probe);
  const char *aac = probe ? strstr(probe, "codec_name=aac|") : NULL;
  const char *sr = aac ? strstr(aac, "sample_rate=") : NULL,
             *du = aac ? strstr(aac, "duration=") : NULL;
  const char *nf = aac ? strstr(aac, "nb_frames=") : NULL;
  double rate = sr ? g_ascii_strtod(sr + 12, NULL) : 0,
         adur = du ? g_ascii_strtod(du + 9, NULL) : 0;
  double played = nf && rate > 0 ? g_ascii_strtod(nf + 10, NULL) * 1024 / rate : 0;
  printf("ffprobe: %s", probe);
  HX_CHECK(adur > 3.8 && adur < 4.2 && fabs(played - adur) < 0.05,
           "the audio track lasts %.3f s of the 4 s and its frames play %.3f s (a hole?)", adur,
           played);
  g_autofree char *sub_cmd = g_strdup_printf("ffmpeg -v error -i %s -map 0:s:0 -f srt -", mp4);
  g_autofree char *subs = NULL;
  char day[40];
  hw_time_format(t, day, sizeof day);
  day[10] = '\0';
  HX_CHECK(run_sh(sub_cmd, &subs) == 0 && strstr(subs, day) && strstr(subs, "UTC"),
           "the timed-text track does not carry the capture date %s: %.200s", day, subs);
  g_autofree char *man_path = g_build_filename(dir, HW_EXPORT_MANIFEST_NAME, NULL);
  json_error_t je;
  json_t *man = json_load_file(man_path, 0, &je);
  HX_REQUIRE(man, "manifest.json: %s", je.text);
  HX_CHECK(json_array_size(json_object_get(man, "sources")) == res.n_sources,
           "the manifest lists %zu sources", json_array_size(json_object_get(man, "sources")));
  HX_CHECK(g_strcmp0(json_string_value(json_object_get(json_object_get(man, "case"), "stage")),
                     "accept") == 0,
           "the manifest lacks the stage");
  json_decref(man);

  /* hallwatchd verify: good, then one byte of the MP4, then of the manifest. */
  const char *verify[] = {HW_HALLWATCHD, "verify", "--database", hx->db, pkg, NULL};
  g_autofree char *out = NULL;
  int rc = hx_run_sync(verify, &out, 20000);
  HX_CHECK(rc == 0 && strstr(out, "OK"), "verify of a good package: exit %d\n%s", rc, out);
  g_autofree char *bad_mp4 = g_build_filename(hx->dir, "bad-mp4.zip", NULL);
  g_autofree char *bad_man = g_build_filename(hx->dir, "bad-manifest.zip", NULL);
  size_t at = (size_t)g_random_int_range(0, (gint32)MIN(res.mp4_size, G_MAXINT32));
  HX_REQUIRE(tamper(pkg, bad_mp4, HW_EXPORT_MP4_NAME, at), "cannot make the tampered MP4 package");
  /* A digit of exported_at: the manifest stays valid JSON, only the signature can tell. */
  g_autofree char *mtext = NULL;
  HX_REQUIRE(g_file_get_contents(man_path, &mtext, NULL, NULL), "cannot read the manifest");
  const char *ea = strstr(mtext, "\"exported_at\": \"");
  size_t mat = ea ? (size_t)(ea - mtext) + strlen("\"exported_at\": \"") + 3 : 0;
  HX_REQUIRE(tamper(pkg, bad_man, HW_EXPORT_MANIFEST_NAME, mat),
             "cannot make the tampered manifest package");
  verify[4] = bad_mp4;
  g_clear_pointer(&out, g_free);
  rc = hx_run_sync(verify, &out, 20000);
  printf("verify, MP4 byte %zu flipped: exit %d\n%s", at, rc, out);
  HX_CHECK(rc == 1 && strstr(out, "MISMATCH: footage.mp4: SHA-256") &&
               !strstr(out, "MISMATCH: manifest.sig"),
           "verify did not name footage.mp4 alone: exit %d\n%s", rc, out);
  verify[4] = bad_man;
  g_clear_pointer(&out, g_free);
  rc = hx_run_sync(verify, &out, 20000);
  printf("verify, manifest byte %zu flipped: exit %d\n%s", mat, rc, out);
  HX_CHECK(rc == 1 && strstr(out, "MISMATCH: manifest.sig: the signature does not match") &&
               strstr(out, "ok: footage.mp4"),
           "verify did not name the signature: exit %d\n%s", rc, out);
  /* --footage: the source recordings too; one byte changed in one of them is named. */
  const char *vsrc[] = {HW_HALLWATCHD, "verify",    "--database", hx->db,
                        "--footage",   hx->footage, pkg,          NULL};
  g_clear_pointer(&out, g_free);
  rc = hx_run_sync(vsrc, &out, 20000);
  HX_CHECK(rc == 0 && strstr(out, "ok: source "), "verify --footage of the good package: %d\n%s",
           rc, out);
  g_autofree char *src_abs = g_build_filename(hx->footage, files[1].path, NULL);
  FILE *sf = fopen(src_abs, "r+b");
  HX_REQUIRE(sf, "cannot open %s", src_abs);
  long mid = (long)(files[1].size / 2);
  int orig = (fseek(sf, mid, SEEK_SET), fgetc(sf));
  fseek(sf, mid, SEEK_SET);
  fputc(orig ^ 1, sf);
  fclose(sf);
  g_clear_pointer(&out, g_free);
  rc = hx_run_sync(vsrc, &out, 20000);
  g_autofree char *want_src = g_strdup_printf("MISMATCH: source %s: SHA-256", files[1].path);
  HX_CHECK(rc == 1 && strstr(out, want_src),
           "verify --footage did not name the changed recording "
           "%s: %d\n%s",
           files[1].path, rc, out);
  sf = fopen(src_abs, "r+b");
  HX_REQUIRE(sf, "cannot reopen %s", src_abs);
  fseek(sf, mid, SEEK_SET);
  fputc(orig, sf);
  fclose(sf);

  /* hallwatchd key show: hex, the fingerprint OpenSSL computes from the PEM it prints. */
  const char *show[] = {HW_HALLWATCHD, "key", "show", "--database", hx->db, NULL};
  g_autofree char *kout = NULL;
  char kfp[65];
  hw_key_fingerprint(hw_key_public_hex(key), kfp);
  HX_CHECK(hx_run_sync(show, &kout, 20000) == 0 && strstr(kout, hw_key_public_hex(key)) &&
               strstr(kout, kfp) && strstr(kout, "-----BEGIN PUBLIC KEY-----"),
           "hallwatchd key show:\n%s", kout);
  const char *pem_at = kout ? strstr(kout, "-----BEGIN PUBLIC KEY-----") : NULL;
  g_autofree char *pem_file = g_build_filename(hx->dir, "shown.pem", NULL);
  g_autofree char *fp_cmd =
      g_strdup_printf("openssl pkey -pubin -in %s -outform DER | sha256sum | cut -c1-64", pem_file);
  g_autofree char *ossl_fp = NULL;
  HX_CHECK(pem_at && g_file_set_contents(pem_file, pem_at, -1, NULL) &&
               run_sh(fp_cmd, &ossl_fp) == 0 && g_str_has_prefix(ossl_fp, kfp),
           "openssl's fingerprint of the shown PEM (%s) is not the shown one (%s)", ossl_fp, kfp);

  /* The commands of docs/evidence.md, verbatim. */
  g_autofree char *script = doc_script();
  HX_REQUIRE(script, "docs/evidence.md has no verify-script block");
  g_autofree char *script_path = g_build_filename(hx->dir, "verify-evidence.sh", NULL);
  HX_REQUIRE(g_file_set_contents(script_path, script, -1, NULL), "cannot write the script");
  char fp[65];
  hw_key_fingerprint(hw_key_public_hex(key), fp);
  const char *cases[][2] = {{pkg, "0"}, {bad_mp4, "1"}, {bad_man, "1"}};
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autofree char *c = g_strdup_printf("sh %s %s %s", script_path, cases[i][0], fp);
    g_autofree char *text = NULL;
    int code = run_sh(c, &text);
    printf("docs/evidence.md script on %s: exit %d\n%s", cases[i][0], code, text);
    bool good = cases[i][1][0] == '0';
    HX_CHECK(good ? code == 0 && strstr(text, "Signature Verified Successfully") &&
                        strstr(text, "footage.mp4: OK")
                  : code != 0,
             "the documented commands %s %s", good ? "reject the good package" : "accept",
             cases[i][0]);
  }
  g_autofree char *wrong = g_strdup_printf("sh %s %s %064d", script_path, pkg, 0);
  HX_CHECK(run_sh(wrong, NULL) != 0, "the documented commands accept a wrong fingerprint");
  if (check_gap(hx, store, key, files, n) != 0 || check_h265(hx, store, key) != 0 ||
      check_edges(hx, store, key, "cam-x") != 0 || check_edges(hx, store, key, "cam-h") != 0)
    return 1;
  return api_part(hx, t, key);
}

int main(void)
{
  Hx *hx = hx_new("export");
  int rc = run(hx);
  hx_free(hx);
  if (rc != 0 || hx_failures > 0) {
    fprintf(stderr, "%d check(s) failed\n", hx_failures);
    return 1;
  }
  return 0;
}
