/* capture.unit.live: the live fan-out (capture/hw_live.h) without a camera: chunk spans below the
 * GOP, a joiner starting on the current GOP's keyframe, nothing built while nobody watches, a slow
 * viewer skipping to the latest keyframe, a continuous timeline across runs, new init segments on
 * a format change, and the codec strings browsers check. */
#include <gst/gst.h>
#include <string.h>

#include "capture/hw_live.h"

#define FPS 25
#define FRAME_NS (HW_NS_PER_S / FPS)
#define GOP 50 /* 2 s */
#define WALL0 (INT64_C(1795000000) * HW_NS_PER_S)

static const uint8_t avcc[] = {0x01, 0x64, 0x00, 0x1f, 0xff, 0xe1, 0x00, 0x04, 0x67,
                               0x64, 0x00, 0x1f, 0x01, 0x00, 0x02, 0x68, 0xee};

static void set_format(HwLiveChannel *ch, uint8_t level)
{
  uint8_t rec[sizeof avcc];
  memcpy(rec, avcc, sizeof rec);
  rec[3] = level;
  g_autoptr(GBytes) b = g_bytes_new(rec, sizeof rec);
  hw_live_channel_set_format(ch, "h264", 320, 240, b);
}

/* Frame i of a run whose media time starts at dts0. */
static void push(HwLiveChannel *ch, int i, int64_t dts0)
{
  uint8_t data[104] = {0, 0, 0, 100, 0x65};
  data[5] = (uint8_t)i;
  GstBuffer *buf = gst_buffer_new_memdup(data, sizeof data);
  int64_t dts = dts0 + (int64_t)i * FRAME_NS;
  hw_live_channel_push(ch, buf, dts, dts, i % GOP == 0, WALL0 + (int64_t)i * FRAME_NS);
  gst_buffer_unref(buf);
}

static void on_notify(void *user) { g_atomic_int_inc((gint *)user); }

typedef struct {
  HwLive *live;
  HwLiveChannel *ch;
} Fx;

static void fx_init(Fx *fx)
{
  fx->live = hw_live_new();
  fx->ch = hw_live_channel(fx->live, "cam", "main");
  hw_live_channel_publisher(fx->ch, true);
  set_format(fx->ch, 0x1f);
}

static void fx_clear(Fx *fx)
{
  hw_live_channel_publisher(fx->ch, false);
  hw_live_channel_unref(fx->ch);
  hw_live_free(fx->live);
}

static void test_chunk_spans(void)
{
  Fx fx;
  fx_init(&fx);
  gint notified = 0;
  HwLiveSub *s = hw_live_sub_new(fx.ch, on_notify, &notified);
  uint64_t skipped = 0, expect_dt = 0, seq = 0;
  int n = 0, keys = 0, frames = 0;
  for (int i = 0; i < 3 * GOP; i++) {
    push(fx.ch, i, 0);
    HwLiveChunk *c;
    while ((c = hw_live_sub_next(s, 0, &skipped)) != NULL) {
      if (n == 0)
        g_assert_true(c->key);
      g_assert_cmpuint(c->decode_time, ==, expect_dt); /* no gap, no overlap */
      if (n > 0)
        g_assert_cmpuint(c->seq, ==, seq + 1);
      seq = c->seq;
      expect_dt = c->decode_time + c->duration;
      /* ≥ the 100 ms target, and at most one frame more: well below the 2 s GOP */
      g_assert_cmpuint(c->duration, <=, (HW_LIVE_CHUNK_TARGET_NS + FRAME_NS) * 90000 / HW_NS_PER_S);
      g_assert_cmpint(c->wall, ==, WALL0 + (int64_t)c->decode_time * HW_NS_PER_S / 90000);
      keys += c->key;
      frames += (int)c->frames;
      g_assert_true(c->init != NULL && g_bytes_get_size(c->data) > 100 * c->frames);
      n++;
      hw_live_chunk_unref(c);
    }
  }
  g_assert_cmpint(g_atomic_int_get(&notified), >=, n);
  g_assert_cmpuint(skipped, ==, 0);
  g_assert_cmpint(keys, ==, 3);
  g_assert_cmpint(frames, >=, 3 * GOP - 3); /* the last frames wait for the chunk's span */
  g_assert_cmpint(frames, <, 3 * GOP);
  hw_live_sub_free(s);
  fx_clear(&fx);
}

static void test_joiner_starts_on_keyframe(void)
{
  Fx fx;
  fx_init(&fx);
  for (int i = 0; i < GOP + 30; i++) /* a whole GOP, then 30 frames of the next */
    push(fx.ch, i, 0);
  HwLiveInfo info;
  hw_live_channel_info(fx.ch, &info);
  g_assert_cmpuint(info.chunks, ==, 0); /* nobody watched: nothing built */
  g_assert_cmpuint(info.ring_bytes, ==, 0);
  gint notified = 0;
  HwLiveSub *s = hw_live_sub_new(fx.ch, on_notify, &notified);
  g_assert_cmpint(notified, ==, 1);
  HwLiveChunk *c = hw_live_sub_next(s, 0, NULL);
  g_assert_nonnull(c);
  g_assert_true(c->key);
  g_assert_cmpuint(c->decode_time, ==, (uint64_t)GOP * FRAME_NS * 90000 / HW_NS_PER_S);
  g_assert_cmpuint(c->duration, <=, (HW_LIVE_CHUNK_TARGET_NS + FRAME_NS) * 90000 / HW_NS_PER_S);
  int frames = (int)c->frames;
  hw_live_chunk_unref(c);
  while ((c = hw_live_sub_next(s, 0, NULL)) != NULL) {
    frames += (int)c->frames;
    hw_live_chunk_unref(c);
  }
  g_assert_cmpint(frames, ==, 29);
  hw_live_sub_free(s);
  fx_clear(&fx);
}

static void test_slow_viewer_skips(void)
{
  Fx fx;
  fx_init(&fx);
  HwLiveSub *fast = hw_live_sub_new(fx.ch, on_notify, &(gint){0});
  HwLiveSub *slow = hw_live_sub_new(fx.ch, on_notify, &(gint){0});
  for (int i = 0; i < 2 * GOP + 10; i++) {
    push(fx.ch, i, 0);
    HwLiveChunk *c;
    while ((c = hw_live_sub_next(fast, 1500 * HW_NS_PER_MS, NULL)) != NULL)
      hw_live_chunk_unref(c);
  }
  /* The slow one is 4 s behind: it jumps to the latest keyframe (frame 100). */
  uint64_t skipped = 0;
  HwLiveChunk *c = hw_live_sub_next(slow, 1500 * HW_NS_PER_MS, &skipped);
  g_assert_nonnull(c);
  g_assert_true(c->key);
  g_assert_cmpint(c->wall, ==, WALL0 + 2 * GOP * FRAME_NS);
  g_assert_cmpuint(skipped, >, 20);
  hw_live_chunk_unref(c);
  /* Several GOPs unread and no time limit: the ring (two GOPs) no longer holds the cursor. */
  for (int i = 2 * GOP + 10; i < 6 * GOP + 5; i++)
    push(fx.ch, i, 0);
  skipped = 0;
  c = hw_live_sub_next(slow, 0, &skipped);
  g_assert_nonnull(c);
  g_assert_true(c->key);
  g_assert_cmpint(c->wall, ==, WALL0 + 6 * GOP * FRAME_NS);
  g_assert_cmpuint(skipped, >, 0);
  hw_live_chunk_unref(c);
  HwLiveInfo info;
  hw_live_channel_info(fx.ch, &info);
  g_assert_cmpint(info.viewers, ==, 2);
  g_assert_cmpuint(info.ring_bytes, <, 2 * GOP * 200);
  hw_live_sub_free(fast);
  hw_live_sub_free(slow);
  fx_clear(&fx);
}

static void test_timeline_across_runs(void)
{
  Fx fx;
  fx_init(&fx);
  HwLiveSub *s = hw_live_sub_new(fx.ch, on_notify, &(gint){0});
  for (int i = 0; i < 20; i++)
    push(fx.ch, i, 5 * HW_NS_PER_S);
  hw_live_channel_end_run(fx.ch); /* a reconnect: the camera's RTP timeline starts over */
  for (int i = 0; i < 20; i++)
    push(fx.ch, i, 0);
  HwLiveChunk *c;
  uint64_t expect = 0;
  int n = 0, keys = 0;
  while ((c = hw_live_sub_next(s, 0, NULL)) != NULL) {
    g_assert_cmpuint(c->decode_time, ==, expect);
    expect = c->decode_time + c->duration;
    if (c->key && keys++ == 1) /* the second run starts where the first ended */
      g_assert_cmpuint(c->decode_time, ==, (uint64_t)20 * FRAME_NS * 90000 / HW_NS_PER_S);
    n++;
    hw_live_chunk_unref(c);
  }
  g_assert_cmpint(keys, ==, 2);
  g_assert_cmpint(n, >=, 8);
  hw_live_sub_free(s);
  fx_clear(&fx);
}

static void test_format_change(void)
{
  Fx fx;
  fx_init(&fx);
  HwLiveSub *s = hw_live_sub_new(fx.ch, on_notify, &(gint){0});
  for (int i = 0; i < 10; i++)
    push(fx.ch, i, 0);
  set_format(fx.ch, 0x1f); /* the same parameters: nothing changes */
  for (int i = 10; i < GOP; i++)
    push(fx.ch, i, 0);
  set_format(fx.ch, 0x28); /* new parameters: a new init from the next GOP */
  for (int i = GOP; i < GOP + 10; i++)
    push(fx.ch, i, 0);
  HwLiveChunk *c;
  HwLiveInit *first = NULL, *last = NULL;
  int inits = 0;
  while ((c = hw_live_sub_next(s, 0, NULL)) != NULL) {
    if (c->init != last) {
      inits++;
      last = c->init;
      if (first == NULL)
        first = c->init;
    }
    hw_live_chunk_unref(c);
  }
  g_assert_cmpint(inits, ==, 2);
  g_assert_cmpstr(first->mime_codec, ==, "avc1.64001f");
  g_assert_cmpstr(last->mime_codec, ==, "avc1.640028");
  hw_live_sub_free(s);
  fx_clear(&fx);
}

static void test_lookup_needs_publisher(void)
{
  HwLive *live = hw_live_new();
  HwLiveChannel *ch = hw_live_channel(live, "cam", "sub");
  g_assert_null(hw_live_lookup(live, "cam", "sub"));
  hw_live_channel_publisher(ch, true);
  HwLiveChannel *found = hw_live_lookup(live, "cam", "sub");
  g_assert_true(found == ch);
  g_assert_null(hw_live_lookup(live, "cam", "main"));
  hw_live_channel_unref(found);
  hw_live_channel_publisher(ch, false);
  g_assert_null(hw_live_lookup(live, "cam", "sub"));
  hw_live_channel_unref(ch);
  hw_live_free(live);
}

static void test_mime_codec(void)
{
  char s[64];
  hw_live_mime_codec("h264", avcc, sizeof avcc, s, sizeof s);
  g_assert_cmpstr(s, ==, "avc1.64001f");
  /* hvcC of a Main profile, level 3.1 stream: space 0, tier main, profile 1, compatibility
   * flags 0x60000000, constraint byte 0x90. */
  static const uint8_t hvcc[23] = {0x01, 0x01, 0x60, 0x00, 0x00, 0x00, 0x90,
                                   0x00, 0x00, 0x00, 0x00, 0x00, 0x5d};
  hw_live_mime_codec("h265", hvcc, sizeof hvcc, s, sizeof s);
  g_assert_cmpstr(s, ==, "hvc1.1.6.L93.90");
  hw_live_mime_codec("h265", hvcc, 5, s, sizeof s);
  g_assert_cmpstr(s, ==, "");
}

int main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/capture/unit/live/chunk-spans-below-gop", test_chunk_spans);
  g_test_add_func("/capture/unit/live/joiner-starts-on-keyframe", test_joiner_starts_on_keyframe);
  g_test_add_func("/capture/unit/live/slow-viewer-skips-to-keyframe", test_slow_viewer_skips);
  g_test_add_func("/capture/unit/live/timeline-continues-across-runs", test_timeline_across_runs);
  g_test_add_func("/capture/unit/live/format-change-new-init", test_format_change);
  g_test_add_func("/capture/unit/live/lookup-needs-publisher", test_lookup_needs_publisher);
  g_test_add_func("/capture/unit/live/mime-codec", test_mime_codec);
  return g_test_run();
}
