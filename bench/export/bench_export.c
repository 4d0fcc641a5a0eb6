/* bench/export: evidence export (hw_export_run: MP4 + manifest + signature + zip) against what a
 * user would otherwise run, `ffmpeg -f concat -ss … -to … -i list -c copy`, over the same range of
 * recordings, and whether each starts at the requested frame.
 *
 * The recordings are made here, without waiting in real time: a stamped x264 clip (the test
 * camera's pattern and pixel barcode) is encoded once and its packets are written, looped, into
 * HallWatch's own fMP4 files (capture/hw_fmp4.h) with their index rows, one file per
 * --file-seconds, as the recorder would. The range starts mid-GOP at a random instant; the first
 * frame each output shows is decoded and its stamp compared with the frame at that instant.
 *
 * usage: bench_export [--minutes 10] [--width 1920 --height 1080] [--file-seconds 60]
 *                     [--clip-seconds 20] [--kbps 4000] [--dir DIR] [--smoke]
 *        bench_export --read-stamps WxH < raw gray frames   (bench/media's stamp reader: one
 *                                                            line per frame, µs or 0) */
#include <glib.h>
#include <glib/gstdio.h>
#include <libavformat/avformat.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture/hw_fmp4.h"
#include "common/hw_keys.h"
#include "demo/hw_rtsp_server.h"
#include "demo/hw_stamp.h"
#include "media/hw_export.h"
#include "sql/hw_store.h"

#define FPS 25
#define FRAME_NS (HW_NS_PER_S / FPS)

typedef struct {
  GPtrArray *data; /* GBytes per packet */
  GArray *key;     /* gboolean per packet */
  uint8_t *extradata;
  int extradata_size;
} Clip;

/* A packet padded to at least min_size bytes with an H.264 filler NAL unit (type 12), which
 * decoders skip: the test pattern compresses far below a real camera's bitrate, and the export is
 * I/O, so the bytes must be a real camera's. Assumes 4-byte NAL lengths (x264's avcC). */
static GBytes *padded(const uint8_t *data, size_t size, size_t min_size)
{
  if (size + 8 > min_size)
    return g_bytes_new(data, size);
  size_t nal = min_size - size - 4; /* header byte, 0xff…, trailing 0x80 */
  uint8_t *p = g_malloc(min_size);
  memcpy(p, data, size);
  uint8_t *q = p + size;
  q[0] = (uint8_t)(nal >> 24);
  q[1] = (uint8_t)(nal >> 16);
  q[2] = (uint8_t)(nal >> 8);
  q[3] = (uint8_t)nal;
  q[4] = 12;
  memset(q + 5, 0xff, nal - 2);
  q[4 + nal - 1] = 0x80;
  return g_bytes_new_take(p, min_size);
}

static bool read_clip(const char *path, size_t frame_bytes, Clip *c)
{
  AVFormatContext *in = NULL;
  if (avformat_open_input(&in, path, NULL, NULL) < 0 || avformat_find_stream_info(in, NULL) < 0)
    return false;
  int vi = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  if (vi < 0)
    return false;
  c->extradata_size = in->streams[vi]->codecpar->extradata_size;
  c->extradata = g_memdup2(in->streams[vi]->codecpar->extradata, (gsize)c->extradata_size);
  c->data = g_ptr_array_new_with_free_func((GDestroyNotify)g_bytes_unref);
  c->key = g_array_new(FALSE, FALSE, sizeof(gboolean));
  AVPacket *pkt = av_packet_alloc();
  while (av_read_frame(in, pkt) >= 0) {
    if (pkt->stream_index == vi) {
      g_ptr_array_add(c->data, padded(pkt->data, (size_t)pkt->size, frame_bytes));
      gboolean k = (pkt->flags & AV_PKT_FLAG_KEY) != 0;
      g_array_append_val(c->key, k);
    }
    av_packet_unref(pkt);
  }
  av_packet_free(&pkt);
  avformat_close_input(&in);
  /* Loop whole GOPs only: cut the clip before its last keyframe. */
  for (guint i = c->key->len; i-- > 0;)
    if (g_array_index(c->key, gboolean, i)) {
      g_ptr_array_set_size(c->data, i);
      g_array_set_size(c->key, i);
      break;
    }
  return c->data->len > 0 && g_array_index(c->key, gboolean, 0);
}

/* Writes the recordings: files of file_s seconds from base, one fragment per GOP. */
static bool make_recordings(HwStore *store, const char *footage, const Clip *c, int width,
                            int height, hw_time_ns base, int total_s, int file_s, GPtrArray *paths)
{
  HwFmp4Tracks tracks = {.codec = "h264",
                         .width = width,
                         .height = height,
                         .codec_data = c->extradata,
                         .codec_data_len = (size_t)c->extradata_size};
  int64_t frames_total = (int64_t)total_s * FPS, per_file = (int64_t)file_s * FPS;
  int64_t run = 0;
  hw_store_next_run_id(store, &run, NULL);
  for (int64_t f0 = 0; f0 < frames_total; f0 += per_file) {
    hw_time_ns start = base + f0 * FRAME_NS;
    g_autofree char *rel = g_strdup_printf("bench/%08" G_GINT64_FORMAT "-main.mp4", f0);
    g_autofree char *abs = g_build_filename(footage, rel, NULL);
    g_autofree char *dir = g_path_get_dirname(abs);
    g_mkdir_with_parents(dir, 0750);
    FILE *fp = fopen(abs, "wb");
    if (fp == NULL)
      return false;
    g_autoptr(GByteArray) buf = g_byte_array_new();
    hw_fmp4_write_init(buf, &tracks);
    GChecksum *sum = g_checksum_new(G_CHECKSUM_SHA256);
    fwrite(buf->data, 1, buf->len, fp);
    g_checksum_update(sum, buf->data, buf->len);
    HwStoreFile file = {
        .width = width, .height = height, .start_ns = start, .init_size = buf->len, .run_id = run};
    g_strlcpy(file.camera, "bench", sizeof file.camera);
    g_strlcpy(file.stream, "main", sizeof file.stream);
    g_strlcpy(file.path, rel, sizeof file.path);
    g_strlcpy(file.codec, "h264", sizeof file.codec);
    g_strlcpy(file.clock_mode, "local", sizeof file.clock_mode);
    int64_t id = 0, off = buf->len;
    if (!hw_store_file_insert(store, &file, &id, NULL))
      return false;
    g_autoptr(GArray) frags = g_array_new(FALSE, TRUE, sizeof(HwStoreFragment));
    int64_t end_f = MIN(f0 + per_file, frames_total);
    uint32_t seq = 1;
    for (int64_t i = f0; i < end_f;) {
      /* One GOP: from this keyframe to the next. */
      int64_t j = i + 1;
      while (j < end_f && !g_array_index(c->key, gboolean, j % c->key->len))
        j++;
      g_autofree HwFmp4Sample *s = g_new0(HwFmp4Sample, j - i);
      for (int64_t k = i; k < j; k++) {
        GBytes *b = g_ptr_array_index(c->data, k % c->data->len);
        s[k - i] = (HwFmp4Sample){(uint32_t)g_bytes_get_size(b), HW_FMP4_VIDEO_TIMESCALE / FPS, 0,
                                  g_array_index(c->key, gboolean, k % c->key->len) != 0};
      }
      g_byte_array_set_size(buf, 0);
      hw_time_ns wall = base + i * FRAME_NS;
      hw_fmp4_write_fragment_header(buf, seq, wall,
                                    (uint64_t)(i - f0) * (HW_FMP4_VIDEO_TIMESCALE / FPS), s,
                                    (size_t)(j - i), 0, NULL, 0);
      for (int64_t k = i; k < j; k++) {
        gsize n;
        const guint8 *d = g_bytes_get_data(g_ptr_array_index(c->data, k % c->data->len), &n);
        g_byte_array_append(buf, d, (guint)n);
      }
      fwrite(buf->data, 1, buf->len, fp);
      g_checksum_update(sum, buf->data, buf->len);
      HwStoreFragment fr = {.file_id = id,
                            .seq = (int32_t)seq - 1,
                            .offset = off,
                            .length = buf->len,
                            .start_ns = wall,
                            .duration_ns = (j - i) * FRAME_NS,
                            .frames = (int32_t)(j - i),
                            .keyframe_start = true};
      g_array_append_val(frags, fr);
      off += buf->len;
      seq++;
      i = j;
    }
    fclose(fp);
    if (!hw_store_begin(store, NULL) ||
        !hw_store_fragments_append(store, (HwStoreFragment *)frags->data, frags->len, NULL) ||
        !hw_store_file_close(store, id, off, base + end_f * FRAME_NS, g_checksum_get_string(sum),
                             NULL) ||
        !hw_store_commit(store, NULL)) {
      g_checksum_free(sum);
      return false;
    }
    g_checksum_free(sum);
    g_ptr_array_add(paths, g_steal_pointer(&abs));
  }
  return true;
}

/* The stamp (µs) of the first frame a player shows (ffmpeg honours edit lists), or 0. */
static uint64_t first_stamp(const char *mp4, int width, int height)
{
  g_autofree char *q = g_shell_quote(mp4);
  g_autofree char *cmd = g_strdup_printf(
      "ffmpeg -nostdin -v error -i %s -map 0:v:0 -frames:v 1 -f rawvideo -pix_fmt gray -", q);
  FILE *p = popen(cmd, "r");
  if (p == NULL)
    return 0;
  size_t n = (size_t)width * (size_t)height;
  g_autofree uint8_t *buf = g_malloc(n);
  size_t got = fread(buf, 1, n, p);
  pclose(p);
  uint64_t us = 0;
  return got == n && hw_stamp_read(buf, width, width, height, &us) ? us : 0;
}

/* --read-stamps: raw 8-bit gray frames of width x height on stdin (ffmpeg -f rawvideo -pix_fmt
 * gray -), one line per frame on stdout: its stamp in µs, or 0 if unreadable. */
static int read_stamps(const char *size)
{
  int width = 0, height = 0;
  if (sscanf(size, "%dx%d", &width, &height) != 2 || width < HW_STAMP_MIN_WIDTH ||
      height < HW_STAMP_MIN_HEIGHT || width > 8192 || height > 8192) {
    g_printerr("--read-stamps: WIDTHxHEIGHT, e.g. 320x240\n");
    return 2;
  }
  size_t n = (size_t)width * (size_t)height;
  g_autofree uint8_t *buf = g_malloc(n);
  while (fread(buf, 1, n, stdin) == n) {
    uint64_t us = 0;
    printf("%" G_GUINT64_FORMAT "\n", hw_stamp_read(buf, width, width, height, &us) ? us : 0);
  }
  return 0;
}

static double now_s(void) { return (double)hw_time_monotonic() / 1e9; }

/* When the MP4 was complete (progress 0.9: moov moved to the front), for the breakdown. */
static void on_progress(double done, void *user)
{
  double *mp4_done = user;
  if (done >= 0.9 && *mp4_done == 0)
    *mp4_done = now_s();
}

int main(int argc, char **argv)
{
  int minutes = 10, width = 1920, height = 1080, file_s = 60, clip_s = 20, kbps = 4000;
  gboolean smoke = FALSE;
  g_autofree char *dir_arg = NULL, *stamps_size = NULL;
  GOptionEntry entries[] = {
      {"minutes", 0, 0, G_OPTION_ARG_INT, &minutes, "Length of the exported range", "N"},
      {"width", 0, 0, G_OPTION_ARG_INT, &width, "Picture width", "PX"},
      {"height", 0, 0, G_OPTION_ARG_INT, &height, "Picture height", "PX"},
      {"file-seconds", 0, 0, G_OPTION_ARG_INT, &file_s, "Seconds per recording file", "S"},
      {"kbps", 0, 0, G_OPTION_ARG_INT, &kbps, "Bitrate of the clip (default 4000, a hall camera's)",
       "KBPS"},
      {"clip-seconds", 0, 0, G_OPTION_ARG_INT, &clip_s, "Seconds of encoded clip (looped)", "S"},
      {"dir", 0, 0, G_OPTION_ARG_FILENAME, &dir_arg, "Work folder (default: a temporary one)",
       "DIR"},
      {"read-stamps", 0, 0, G_OPTION_ARG_STRING, &stamps_size,
       "Only read the stamps of raw gray frames on stdin (one line per frame)", "WxH"},
      {"smoke", 0, 0, G_OPTION_ARG_NONE, &smoke,
       "Small and quick: fail unless both ran and the export is frame-accurate", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- evidence export vs ffmpeg concat");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    g_printerr("%s\n", error->message);
    return 2;
  }
  if (stamps_size)
    return read_stamps(stamps_size);
  if (smoke) {
    minutes = 1;
    width = 320;
    height = 240;
    file_s = 20;
    clip_s = 4;
    kbps = 300;
  }
  g_autofree char *dir =
      dir_arg ? g_strdup(dir_arg) : g_dir_make_tmp("hw-bench-export-XXXXXX", NULL);
  g_autofree char *footage = g_build_filename(dir, "footage", NULL);
  g_autofree char *db = g_build_filename(dir, "bench.db", NULL);
  g_autofree char *clip = g_build_filename(dir, "clip.mp4", NULL);
  g_mkdir_with_parents(footage, 0750);

  double t0 = now_s();
  if (!g_file_test(clip, G_FILE_TEST_EXISTS) &&
      !hw_demo_make_clip(clip, width, height, FPS, clip_s, kbps, &error)) {
    g_printerr("clip: %s\n", error->message);
    return 1;
  }
  Clip c = {0};
  if (!read_clip(clip, (size_t)kbps * 1000 / 8 / FPS, &c)) {
    g_printerr("cannot read the clip %s\n", clip);
    return 1;
  }
  uint64_t clip_stamp0 = first_stamp(clip, width, height);
  printf("clip: %dx%d at %d kbit/s, %u frames (looped), encoded in %.1f s\n", width, height, kbps,
         c.data->len, now_s() - t0);

  g_autoptr(HwStore) store = hw_store_open(db, &error);
  g_autofree char *key_path = hw_key_path_for_database(db);
  g_autoptr(HwKey) key = store ? hw_key_load_or_create(key_path, NULL, &error) : NULL;
  if (key == NULL) {
    g_printerr("%s\n", error->message);
    return 1;
  }
  /* Recordings cover [base, base + range + 2 files); the range starts after the first file's
   * first GOP at a random instant between two keyframes. */
  int total_s = minutes * 60 + 2 * file_s;
  hw_time_ns base = (hw_time_now() / HW_NS_PER_S - total_s - 3600) * HW_NS_PER_S;
  g_autoptr(GPtrArray) paths = g_ptr_array_new_with_free_func(g_free);
  t0 = now_s();
  if (!make_recordings(store, footage, &c, width, height, base, total_s, file_s, paths)) {
    g_printerr("cannot write the recordings\n");
    return 1;
  }
  printf("recordings: %u files of %d s written in %.1f s\n", paths->len, file_s, now_s() - t0);
  int64_t from_frame = (int64_t)(file_s / 2) * FPS + 1 + g_random_int_range(0, 2 * FPS - 2);
  hw_time_ns from = base + from_frame * FRAME_NS,
             to = from + (hw_time_ns)minutes * 60 * HW_NS_PER_S;
  uint64_t want = clip_stamp0 + (uint64_t)(from_frame % c.data->len) * (FRAME_NS / HW_NS_PER_US);

  g_autofree char *list = g_build_filename(dir, "concat.txt", NULL);
  g_autoptr(GString) lt = g_string_new(NULL);
  for (guint i = 0; i < paths->len; i++)
    g_string_append_printf(lt, "file '%s'\n", (char *)paths->pdata[i]);
  g_file_set_contents(list, lt->str, -1, NULL);
  g_autofree char *pkg = g_build_filename(dir, "export.zip", NULL);
  g_autofree char *ff_out = g_build_filename(dir, "ffmpeg.mp4", NULL);
  double ss = (double)(from - base) / 1e9, te = (double)(to - base) / 1e9;
  g_autofree char *ff_cmd = g_strdup_printf(
      "ffmpeg -nostdin -v error -y -f concat -safe 0 -ss %.3f -to %.3f -i %s -c copy %s", ss, te,
      list, ff_out);

  double ours[2] = {0}, theirs[2] = {0}, mp4_phase = 0;
  HwExportResult res = {0};
  for (int round = 0; round < 2; round++) {
    HwExportRequest req = {.camera = "bench",
                           .from_ns = from,
                           .to_ns = to,
                           .footage_dir = footage,
                           .package_path = pkg,
                           .key = key,
                           .version = "bench",
                           .progress = on_progress};
    double mp4_done = 0;
    req.progress_user = &mp4_done;
    t0 = now_s();
    if (!hw_export_run(store, &req, &res, &error)) {
      g_printerr("export: %s\n", error->message);
      return 1;
    }
    ours[round] = now_s() - t0;
    mp4_phase = mp4_done - t0;
    t0 = now_s();
    int rc = system(ff_cmd);
    theirs[round] = now_s() - t0;
    if (rc != 0) {
      g_printerr("ffmpeg failed: %s\n", ff_cmd);
      return 1;
    }
  }
  /* Frame accuracy: the first frame each shows, against the frame captured at `from`. */
  g_autofree char *unz = g_strdup_printf("cd %s && unzip -q -o export.zip footage.mp4", dir);
  g_autofree char *our_mp4 = g_build_filename(dir, "footage.mp4", NULL);
  uint64_t got_ours = system(unz) == 0 ? first_stamp(our_mp4, width, height) : 0;
  uint64_t got_ff = first_stamp(ff_out, width, height);
  double off_ours = ((double)got_ours - (double)want) / 1000.0 / (1000.0 / FPS);
  double off_ff = ((double)got_ff - (double)want) / 1000.0 / (1000.0 / FPS);
  double range_s = minutes * 60.0;
  printf("\n| %d min of %dx%d H.264, %u files | time (2 runs) | × real time | first frame shown |\n"
         "| --- | --- | --- | --- |\n",
         minutes, width, height, paths->len);
  printf("| HallWatch export (MP4 + manifest + signature + zip) | %.2f s, %.2f s | %.0f× | %+.0f "
         "frames from `from`%s |\n",
         ours[0], ours[1], range_s / ours[1], off_ours, got_ours ? "" : " (stamp unreadable)");
  printf("| `ffmpeg -f concat -ss -to -c copy` (MP4 only) | %.2f s, %.2f s | %.0f× | %+.0f frames "
         "from `from`%s |\n",
         theirs[0], theirs[1], range_s / theirs[1], off_ff, got_ff ? "" : " (stamp unreadable)");
  printf("\nexport, last run: the MP4 (stream copy, moov moved to the front) took %.2f s, the "
         "package (SHA-256s, manifest, signature, zip, fsync) %.2f s\n",
         mp4_phase, ours[1] - mp4_phase);
  printf("export: %.1f MB MP4, %.1f MB of recordings read (init segments and fragments), "
         "from %zu files\n",
         (double)res.mp4_size / 1e6, (double)res.source_bytes / 1e6, res.n_sources);
  g_ptr_array_unref(c.data);
  g_array_unref(c.key);
  g_free(c.extradata);
  if (!dir_arg) {
    g_autofree char *rm = g_strdup_printf("rm -rf %s", dir);
    if (system(rm) != 0)
      g_printerr("cannot remove %s\n", dir);
  }
  if (smoke && (got_ours == 0 || off_ours < -0.5 || off_ours > 0.5)) {
    g_printerr("smoke: the export is not frame-accurate (%+.1f frames)\n", off_ours);
    return 1;
  }
  return 0;
}
