/* Tests of the fMP4 writer and scanner (capture/fmp4.c): what the writer puts in a file, the
 * scanner reads back exactly; a file torn anywhere in its last fragment scans as one fragment
 * fewer; foreign bytes are refused; and real H.264 written with our calls is a valid MP4 for
 * ffprobe and ffmpeg. */
#include "capture/hw_fmp4.h"

#include <errno.h>
#include <gst/app/gstappsink.h>
#include <gst/gst.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* A made-up avcC: version 1, High profile, level 3.1, one SPS and one PPS of junk bytes. The
 * scanner must not care what is inside. */
static const uint8_t fake_avcc[] = {0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x67,
                                    0x64, 0x00, 0x1f, 0x01, 0x00, 0x02, 0x68, 0xee};
static const uint8_t fake_asc[] = {0x12, 0x10}; /* AAC-LC 44.1 kHz stereo */

/* 2026-11-27T23:10:42.123456789Z */
#define WALL0 (INT64_C(1795821042) * HW_NS_PER_S + INT64_C(123456789))

typedef struct {
  int fd;
  char *path;
} TempFile;

static TempFile temp_new(void)
{
  TempFile t = {-1, NULL};
  GError *error = NULL;
  t.fd = g_file_open_tmp("hw-fmp4-XXXXXX.mp4", &t.path, &error);
  g_assert_no_error(error);
  return t;
}

static void temp_free(TempFile *t)
{
  close(t->fd);
  unlink(t->path);
  g_free(t->path);
}

static void temp_set(TempFile *t, const uint8_t *data, size_t len)
{
  g_assert_cmpint(ftruncate(t->fd, 0), ==, 0);
  size_t done = 0;
  while (done < len) {
    ssize_t r = pwrite(t->fd, data + done, len - done, (off_t)done);
    g_assert_cmpint(r, >, 0);
    done += (size_t)r;
  }
}

/* ---- a synthetic recording ------------------------------------------------------------------ */

typedef struct {
  GByteArray *bytes;
  HwFmp4Fragment expect[8];
  size_t n;
  int64_t init_size;
} Synthetic;

/* Writes init + n fragments of made-up samples: fragment k has 3 + k video samples (the first a
 * keyframe except in fragment 2), durations 3600 or 3603, B-frame-like composition offsets in
 * odd fragments, and when audio is on, a few AAC samples after the video. */
static void synthetic_build(Synthetic *s, size_t n, bool audio)
{
  memset(s, 0, sizeof *s);
  s->bytes = g_byte_array_new();
  HwFmp4Tracks t = {.codec = "h264",
                    .width = 640,
                    .height = 360,
                    .codec_data = fake_avcc,
                    .codec_data_len = sizeof fake_avcc,
                    .has_audio = audio,
                    .audio_rate = 44100,
                    .audio_channels = 2,
                    .audio_config = fake_asc,
                    .audio_config_len = sizeof fake_asc};
  g_assert_true(hw_fmp4_write_init(s->bytes, &t));
  s->init_size = s->bytes->len;
  uint64_t vdt = 0, adt = 0;
  for (size_t k = 0; k < n; k++) {
    HwFmp4Sample v[16], a[8];
    size_t nv = 3 + k, na = audio ? 2 + k % 3 : 0;
    uint64_t dur = 0;
    for (size_t i = 0; i < nv; i++) {
      v[i] = (HwFmp4Sample){.size = (uint32_t)(100 + 37 * i + 11 * k),
                            .duration = i % 2 ? 3603 : 3600,
                            .cts = k % 2 ? (int32_t)(i % 3) * 3600 : 0,
                            .key = i == 0 && k != 2};
      dur += v[i].duration;
    }
    for (size_t i = 0; i < na; i++)
      a[i] = (HwFmp4Sample){.size = (uint32_t)(20 + i), .duration = 1024, .key = true};
    hw_time_ns wall = WALL0 + (int64_t)k * 2 * HW_NS_PER_S + (int64_t)k * 333;
    size_t at = s->bytes->len;
    hw_fmp4_write_fragment_header(s->bytes, (uint32_t)k + 1, wall, vdt, v, nv, adt, a, na);
    size_t payload = 0;
    for (size_t i = 0; i < nv; i++)
      payload += v[i].size;
    for (size_t i = 0; i < na; i++)
      payload += a[i].size;
    /* Sample bytes: a recognisable pattern. */
    for (size_t i = 0; i < payload; i++) {
      uint8_t b = (uint8_t)(k * 31 + i);
      g_byte_array_append(s->bytes, &b, 1);
    }
    s->expect[k] = (HwFmp4Fragment){
        .offset = (int64_t)at,
        .length = (int64_t)(s->bytes->len - at),
        .seq = (uint32_t)k + 1,
        .wall_ns = wall,
        .decode_time = vdt,
        .duration_ns = (int64_t)(dur * HW_NS_PER_S / HW_FMP4_VIDEO_TIMESCALE),
        .frames = (int32_t)nv,
        .keyframe_start = k != 2,
    };
    vdt += dur;
    adt += 1024 * na;
  }
  s->n = n;
}

static void synthetic_clear(Synthetic *s) { g_byte_array_free(s->bytes, TRUE); }

static void assert_fragment(const HwFmp4Fragment *got, const HwFmp4Fragment *want)
{
  g_assert_cmpint(got->offset, ==, want->offset);
  g_assert_cmpint(got->length, ==, want->length);
  g_assert_cmpuint(got->seq, ==, want->seq);
  /* prft holds 32.32 NTP: 0.23 ns steps, read back rounded to the nearest ns. */
  g_assert_cmpint(llabs(got->wall_ns - want->wall_ns), <=, 1);
  g_assert_cmpuint(got->decode_time, ==, want->decode_time);
  g_assert_cmpint(got->duration_ns, ==, want->duration_ns);
  g_assert_cmpint(got->frames, ==, want->frames);
  g_assert_cmpint(got->keyframe_start, ==, want->keyframe_start);
}

static void check_round_trip(bool audio)
{
  Synthetic s;
  synthetic_build(&s, 5, audio);
  TempFile t = temp_new();
  temp_set(&t, s.bytes->data, s.bytes->len);

  HwFmp4Scan scan;
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_fmp4_scan_fd(t.fd, &scan, &error));
  g_assert_no_error(error);
  g_assert_cmpstr(scan.codec, ==, "h264");
  g_assert_cmpstr(scan.audio_codec, ==, audio ? "aac" : "");
  g_assert_cmpint(scan.width, ==, 640);
  g_assert_cmpint(scan.height, ==, 360);
  g_assert_cmpuint(scan.video_timescale, ==, HW_FMP4_VIDEO_TIMESCALE);
  g_assert_cmpint(scan.init_size, ==, s.init_size);
  g_assert_cmpint(scan.file_size, ==, (int64_t)s.bytes->len);
  g_assert_cmpint(scan.valid_size, ==, (int64_t)s.bytes->len);
  g_assert_cmpuint(scan.n_fragments, ==, s.n);
  for (size_t k = 0; k < s.n; k++)
    assert_fragment(&scan.fragments[k], &s.expect[k]);
  hw_fmp4_scan_clear(&scan);
  temp_free(&t);
  synthetic_clear(&s);
}

static void test_round_trip_video(void) { check_round_trip(false); }
static void test_round_trip_audio(void) { check_round_trip(true); }

static void test_wall_time_precision(void)
{
  /* Any ns value, including ones with every fraction, comes back within 1 ns. */
  const hw_time_ns walls[] = {WALL0, WALL0 + 1, WALL0 + 999999999 - 123456789, HW_NS_PER_S,
                              INT64_C(4102444800) * HW_NS_PER_S - 1 /* 2099-12-31 */};
  for (size_t i = 0; i < G_N_ELEMENTS(walls); i++) {
    g_autoptr(GByteArray) b = g_byte_array_new();
    HwFmp4Tracks t = {.codec = "h265",
                      .width = 1920,
                      .height = 1080,
                      .codec_data = fake_avcc,
                      .codec_data_len = sizeof fake_avcc};
    g_assert_true(hw_fmp4_write_init(b, &t));
    HwFmp4Sample v = {.size = 4, .duration = 3600, .key = true};
    hw_fmp4_write_fragment_header(b, 1, walls[i], 0, &v, 1, 0, NULL, 0);
    g_byte_array_append(b, (const uint8_t *)"abcd", 4);
    TempFile f = temp_new();
    temp_set(&f, b->data, b->len);
    HwFmp4Scan scan;
    g_assert_true(hw_fmp4_scan_fd(f.fd, &scan, NULL));
    g_assert_cmpstr(scan.codec, ==, "h265");
    g_assert_cmpuint(scan.n_fragments, ==, 1);
    g_assert_cmpint(llabs(scan.fragments[0].wall_ns - walls[i]), <=, 1);
    hw_fmp4_scan_clear(&scan);
    temp_free(&f);
  }
}

static void test_torn_tail_every_byte(void)
{
  Synthetic s;
  synthetic_build(&s, 4, true);
  TempFile t = temp_new();
  const HwFmp4Fragment *last = &s.expect[s.n - 1];
  /* Every cut from the first byte of the last fragment to one byte short of its end. */
  for (int64_t cut = last->offset; cut < last->offset + last->length; cut++) {
    temp_set(&t, s.bytes->data, (size_t)cut);
    HwFmp4Scan scan;
    g_autoptr(GError) error = NULL;
    if (!hw_fmp4_scan_fd(t.fd, &scan, &error))
      g_error("cut at %" G_GINT64_FORMAT ": %s", cut, error->message);
    if (scan.n_fragments != s.n - 1 || scan.valid_size != last->offset || scan.file_size != cut)
      g_error("cut at %" G_GINT64_FORMAT ": %zu fragments, valid_size %" G_GINT64_FORMAT, cut,
              scan.n_fragments, scan.valid_size);
    for (size_t k = 0; k + 1 < s.n; k++)
      assert_fragment(&scan.fragments[k], &s.expect[k]);
    hw_fmp4_scan_clear(&scan);
  }
  temp_free(&t);
  synthetic_clear(&s);
}

static void test_init_only_has_no_fragments(void)
{
  Synthetic s;
  synthetic_build(&s, 1, false);
  TempFile t = temp_new();
  /* Cut anywhere inside the first fragment, or right after the init segment. */
  for (int64_t cut = s.init_size; cut < s.expect[0].offset + s.expect[0].length; cut++) {
    temp_set(&t, s.bytes->data, (size_t)cut);
    HwFmp4Scan scan;
    g_assert_true(hw_fmp4_scan_fd(t.fd, &scan, NULL));
    g_assert_cmpuint(scan.n_fragments, ==, 0);
    g_assert_cmpint(scan.valid_size, ==, s.init_size);
    hw_fmp4_scan_clear(&scan);
  }
  temp_free(&t);
  synthetic_clear(&s);
}

static void assert_refused(const uint8_t *data, size_t len, const char *what)
{
  TempFile t = temp_new();
  temp_set(&t, data, len);
  HwFmp4Scan scan = {0};
  g_autoptr(GError) error = NULL;
  if (hw_fmp4_scan_fd(t.fd, &scan, &error))
    g_error("%s: scanned as a recording", what);
  g_assert_nonnull(error);
  g_assert_nonnull(strstr(error->message, "not a HallWatch recording"));
  temp_free(&t);
}

static void test_refuses_foreign_bytes(void)
{
  assert_refused(NULL, 0, "empty file");

  uint8_t garbage[4096];
  GRand *r = g_rand_new_with_seed(42);
  for (size_t i = 0; i < sizeof garbage; i++)
    garbage[i] = (uint8_t)g_rand_int(r);
  g_rand_free(r);
  assert_refused(garbage, sizeof garbage, "random bytes");

  /* A recording whose moov is gone: ftyp, then straight to a fragment. */
  Synthetic s;
  synthetic_build(&s, 2, false);
  g_autoptr(GByteArray) no_moov = g_byte_array_new();
  uint32_t ftyp_len = (uint32_t)s.bytes->data[0] << 24 | s.bytes->data[1] << 16 |
                      s.bytes->data[2] << 8 | s.bytes->data[3];
  g_byte_array_append(no_moov, s.bytes->data, ftyp_len);
  g_byte_array_append(no_moov, s.bytes->data + s.init_size, s.bytes->len - (guint)s.init_size);
  assert_refused(no_moov->data, no_moov->len, "no moov");

  /* Torn inside the init segment. */
  for (int64_t cut = 0; cut < s.init_size; cut += 7)
    assert_refused(s.bytes->data, (size_t)cut, "torn init segment");

  /* A moov without a video track we can record (codec fourcc changed to "mp4v"). */
  g_autoptr(GByteArray) other = g_byte_array_new();
  g_byte_array_append(other, s.bytes->data, s.bytes->len);
  uint8_t *p = memmem(other->data, other->len, "avc1", 4);
  p = memmem(p + 4, other->len - (size_t)(p + 4 - other->data), "avc1", 4); /* skip ftyp brand */
  g_assert_nonnull(p);
  memcpy(p, "mp4v", 4);
  assert_refused(other->data, other->len, "unknown video codec");
  synthetic_clear(&s);
}

static void test_init_refuses_what_mp4_cannot_hold(void)
{
  g_autoptr(GByteArray) b = g_byte_array_new();
  HwFmp4Tracks t = {.codec = "mjpeg",
                    .width = 640,
                    .height = 360,
                    .codec_data = fake_avcc,
                    .codec_data_len = sizeof fake_avcc};
  g_assert_false(hw_fmp4_write_init(b, &t));
  g_assert_cmpuint(b->len, ==, 0);
  g_strlcpy(t.codec, "h264", sizeof t.codec);
  t.codec_data = NULL;
  g_assert_false(hw_fmp4_write_init(b, &t));
  t.codec_data = fake_avcc;
  t.has_audio = true; /* audio without its AudioSpecificConfig */
  g_assert_false(hw_fmp4_write_init(b, &t));
  g_assert_cmpuint(b->len, ==, 0);
}

/* ---- a real encoder ------------------------------------------------------------------------- */

typedef struct {
  GstBuffer *buf;
  int64_t dts, pts;
  bool key;
} Frame;

static void frame_clear(gpointer p) { gst_buffer_unref(((Frame *)p)->buf); }

static uint64_t ns_to_90k(int64_t ns) { return (uint64_t)((ns * 9 + 50000) / 100000); }

/* Writes frames [from, to) as one fragment; end_dts is where the fragment ends. */
static void write_real_fragment(GByteArray *out, uint32_t seq, const Frame *f, size_t from,
                                size_t to, int64_t dts0, int64_t end_dts)
{
  size_t n = to - from;
  g_autofree HwFmp4Sample *s = g_new0(HwFmp4Sample, n);
  for (size_t i = 0; i < n; i++) {
    const Frame *x = &f[from + i];
    int64_t next = from + i + 1 < to ? f[from + i + 1].dts : end_dts;
    s[i].size = (uint32_t)gst_buffer_get_size(x->buf);
    s[i].duration = (uint32_t)(ns_to_90k(next - dts0) - ns_to_90k(x->dts - dts0));
    s[i].cts = (int32_t)((x->pts - x->dts) * 9 / 100000);
    s[i].key = x->key;
  }
  hw_fmp4_write_fragment_header(out, seq, WALL0 + (f[from].dts - dts0),
                                ns_to_90k(f[from].dts - dts0), s, n, 0, NULL, 0);
  for (size_t i = from; i < to; i++) {
    GstMapInfo m;
    g_assert_true(gst_buffer_map(f[i].buf, &m, GST_MAP_READ));
    g_byte_array_append(out, m.data, (guint)m.size);
    gst_buffer_unmap(f[i].buf, &m);
  }
}

static char *run_tool(const char *const *argv, int *ret_status)
{
  g_autoptr(GError) error = NULL;
  char *out = NULL, *err = NULL;
  int status = 0;
  if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &status,
                    &error))
    g_error("cannot run %s: %s (scripts/setup installs ffmpeg)", argv[0], error->message);
  *ret_status = status;
  g_autofree char *both = g_strconcat(out, err, NULL);
  g_free(out);
  g_free(err);
  return g_strdup(both);
}

static void test_real_h264_plays(void)
{
  const int frames = 75; /* 3 s at 25 fps */
  g_autoptr(GError) error = NULL;
  g_autofree char *desc = g_strdup_printf(
      "videotestsrc num-buffers=%d pattern=ball ! video/x-raw,width=320,height=240,framerate=25/1 "
      "! x264enc speed-preset=ultrafast key-int-max=25 bframes=2 ! h264parse "
      "! video/x-h264,stream-format=avc,alignment=au ! appsink name=sink sync=false",
      frames);
  GstElement *pipe = gst_parse_launch(desc, &error);
  g_assert_no_error(error);
  GstElement *sink = gst_bin_get_by_name(GST_BIN(pipe), "sink");
  g_assert_cmpint(gst_element_set_state(pipe, GST_STATE_PLAYING), !=, GST_STATE_CHANGE_FAILURE);

  GArray *got = g_array_new(FALSE, FALSE, sizeof(Frame));
  g_array_set_clear_func(got, frame_clear);
  GBytes *codec_data = NULL;
  int width = 0, height = 0;
  GstSample *sample;
  while ((sample = gst_app_sink_pull_sample(GST_APP_SINK(sink))) != NULL) {
    if (codec_data == NULL) {
      GstStructure *st = gst_caps_get_structure(gst_sample_get_caps(sample), 0);
      const GValue *v = gst_structure_get_value(st, "codec_data");
      g_assert_nonnull(v);
      GstBuffer *cd = gst_value_get_buffer(v);
      GstMapInfo m;
      gst_buffer_map(cd, &m, GST_MAP_READ);
      codec_data = g_bytes_new(m.data, m.size);
      gst_buffer_unmap(cd, &m);
      g_assert_true(gst_structure_get_int(st, "width", &width));
      g_assert_true(gst_structure_get_int(st, "height", &height));
    }
    GstBuffer *b = gst_sample_get_buffer(sample);
    Frame f = {gst_buffer_ref(b), (int64_t)GST_BUFFER_DTS_OR_PTS(b), (int64_t)GST_BUFFER_PTS(b),
               !GST_BUFFER_FLAG_IS_SET(b, GST_BUFFER_FLAG_DELTA_UNIT)};
    g_array_append_val(got, f);
    gst_sample_unref(sample);
  }
  gst_element_set_state(pipe, GST_STATE_NULL);
  gst_object_unref(sink);
  gst_object_unref(pipe);
  g_assert_cmpint(got->len, ==, frames);
  g_assert_nonnull(codec_data);

  /* Our writer, fragments at keyframes as the recorder cuts them. */
  const Frame *f = (const Frame *)(void *)got->data;
  g_assert_true(f[0].key);
  g_autoptr(GByteArray) out = g_byte_array_new();
  gsize cd_len;
  HwFmp4Tracks t = {.codec = "h264",
                    .width = width,
                    .height = height,
                    .codec_data = g_bytes_get_data(codec_data, &cd_len)};
  t.codec_data_len = cd_len;
  g_assert_true(hw_fmp4_write_init(out, &t));
  int64_t dts0 = f[0].dts;
  int64_t frame_ns = HW_NS_PER_S / 25;
  size_t start = 0, n_frags = 0;
  for (size_t i = 1; i <= got->len; i++) {
    if (i == got->len || f[i].key) {
      int64_t end = i < got->len ? f[i].dts : f[i - 1].dts + frame_ns;
      write_real_fragment(out, (uint32_t)++n_frags, f, start, i, dts0, end);
      start = i;
    }
  }
  g_assert_cmpuint(n_frags, ==, 3);

  TempFile tf = temp_new();
  temp_set(&tf, out->data, out->len);
  HwFmp4Scan scan;
  g_assert_true(hw_fmp4_scan_fd(tf.fd, &scan, &error));
  g_assert_cmpuint(scan.n_fragments, ==, n_frags);
  int total = 0;
  int64_t duration = 0;
  for (size_t k = 0; k < scan.n_fragments; k++) {
    total += scan.fragments[k].frames;
    duration += scan.fragments[k].duration_ns;
    g_assert_true(scan.fragments[k].keyframe_start);
  }
  g_assert_cmpint(total, ==, frames);
  g_assert_cmpint(llabs(duration - 3 * HW_NS_PER_S), <=, HW_NS_PER_MS);
  g_assert_cmpint(scan.width, ==, 320);
  g_assert_cmpint(scan.height, ==, 240);
  hw_fmp4_scan_clear(&scan);

  int status;
  const char *probe[] = {"ffprobe",
                         "-v",
                         "error",
                         "-count_frames",
                         "-select_streams",
                         "v:0",
                         "-show_entries",
                         "stream=nb_read_frames,codec_name,width,height",
                         "-of",
                         "default=noprint_wrappers=1",
                         tf.path,
                         NULL};
  g_autofree char *probed = run_tool(probe, &status);
  g_test_message("ffprobe: %s", probed);
  g_assert_true(g_spawn_check_wait_status(status, NULL));
  g_assert_nonnull(strstr(probed, "codec_name=h264\n"));
  g_assert_nonnull(strstr(probed, "width=320\n"));
  g_assert_nonnull(strstr(probed, "height=240\n"));
  g_autofree char *want = g_strdup_printf("nb_read_frames=%d\n", frames);
  g_assert_nonnull(strstr(probed, want));

  const char *decode[] = {"ffmpeg", "-nostdin", "-v",   "error", "-i",
                          tf.path,  "-f",       "null", "-",     NULL};
  g_autofree char *decoded = run_tool(decode, &status);
  if (!g_spawn_check_wait_status(status, NULL) || decoded[0] != '\0')
    g_error("ffmpeg could not decode our file cleanly: %s", decoded);

  temp_free(&tf);
  g_bytes_unref(codec_data);
  g_array_free(got, TRUE);
}

int main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/capture/unit/fmp4/round-trip-video", test_round_trip_video);
  g_test_add_func("/capture/unit/fmp4/round-trip-audio", test_round_trip_audio);
  g_test_add_func("/capture/unit/fmp4/wall-time-precision", test_wall_time_precision);
  g_test_add_func("/capture/unit/fmp4/torn-tail-every-byte", test_torn_tail_every_byte);
  g_test_add_func("/capture/unit/fmp4/init-only-no-fragments", test_init_only_has_no_fragments);
  g_test_add_func("/capture/unit/fmp4/refuses-foreign-bytes", test_refuses_foreign_bytes);
  g_test_add_func("/capture/unit/fmp4/init-refuses-unsupported",
                  test_init_refuses_what_mp4_cannot_hold);
  g_test_add_func("/capture/unit/fmp4/real-h264-plays", test_real_h264_plays);
  return g_test_run();
}
