/* The live fan-out (capture/hw_live.h): per camera stream, the current GOP's frames, chunks built
 * from them while someone watches, the ring viewers pull from, and the init segment. Chunks use
 * the recorder's own fMP4 writer (capture/fmp4.c) minus the prft box, which MSE does not need. */
#include "capture/hw_live.h"

#include <string.h>

#include "capture/hw_fmp4.h"

typedef struct {
  GstBuffer *buf;
  int64_t dts, pts;
  bool key;
  hw_time_ns wall;
} Frame;

struct HwLiveChannel {
  gint refs;
  GMutex lock;
  char name[80];
  int publishers;
  HwLiveInit *init; /* NULL before the first format */

  GArray *gop; /* Frame: the current GOP, first is a keyframe (empty: waiting for one) */
  size_t gop_bytes;
  guint chunked; /* frames of gop already in chunks */

  /* The channel's continuous timeline: decode time (ns) = dts - base. */
  bool started;
  bool rebase; /* a run ended: the next frame continues at end_decode */
  int64_t base, last_dts, last_interval, end_decode;

  GPtrArray *ring; /* HwLiveChunk*, by seq */
  uint64_t ring_bytes;
  uint64_t next_seq;
  bool gop_has_chunk; /* the current GOP's first chunk is built (at gop_start_seq) */
  uint64_t gop_start_seq;
  bool have_key; /* a keyframe chunk is in the ring (at last_key_seq) */
  uint64_t last_key_seq, prev_key_seq;

  GPtrArray *subs; /* HwLiveSub* */
  uint64_t frames_in, chunks;
};

struct HwLiveSub {
  HwLiveChannel *ch;
  HwLiveNotify notify;
  void *user;
  uint64_t cursor; /* seq of the next chunk to give */
};

struct HwLive {
  GMutex lock;
  GHashTable *channels; /* "camera/stream" → HwLiveChannel* (a reference) */
};

/* ---- refcounted values ----------------------------------------------------------------------- */

HwLiveInit *hw_live_init_ref(HwLiveInit *init)
{
  g_atomic_int_inc(&init->refs);
  return init;
}

void hw_live_init_unref(HwLiveInit *init)
{
  if (init != NULL && g_atomic_int_dec_and_test(&init->refs)) {
    g_bytes_unref(init->data);
    g_free(init);
  }
}

HwLiveChunk *hw_live_chunk_ref(HwLiveChunk *c)
{
  g_atomic_int_inc(&c->refs);
  return c;
}

void hw_live_chunk_unref(HwLiveChunk *c)
{
  if (c != NULL && g_atomic_int_dec_and_test(&c->refs)) {
    g_bytes_unref(c->data);
    hw_live_init_unref(c->init);
    g_free(c);
  }
}

/* ---- codec strings --------------------------------------------------------------------------- */

/* RFC 6381 / ISO 14496-15 Annex E: avc1.PPCCLL; hvc1.<space><profile>.<compat reversed>.<tier>
 * <level>.<constraint bytes, trailing zero bytes left out>. */
void hw_live_mime_codec(const char *codec, const uint8_t *r, size_t len, char *out, size_t out_len)
{
  out[0] = '\0';
  if (strcmp(codec, "h264") == 0 && len >= 4) {
    g_snprintf(out, out_len, "avc1.%02x%02x%02x", r[1], r[2], r[3]);
  } else if (strcmp(codec, "h265") == 0 && len >= 13) {
    static const char *space[] = {"", "A", "B", "C"};
    uint32_t compat = (uint32_t)r[2] << 24 | r[3] << 16 | r[4] << 8 | r[5];
    uint32_t rev = 0;
    for (int i = 0; i < 32; i++)
      if (compat & (1u << i))
        rev |= 1u << (31 - i);
    GString *s = g_string_new(NULL);
    g_string_append_printf(s, "hvc1.%s%u.%x.%c%u", space[r[1] >> 6], r[1] & 0x1f, rev,
                           (r[1] & 0x20) ? 'H' : 'L', r[12]);
    int last = -1;
    for (int i = 0; i < 6; i++)
      if (r[6 + i] != 0)
        last = i;
    for (int i = 0; i <= last; i++)
      g_string_append_printf(s, ".%x", r[6 + i]);
    g_strlcpy(out, s->str, out_len);
    g_string_free(s, TRUE);
  }
}

/* ---- the hub --------------------------------------------------------------------------------- */

static void frame_clear(gpointer p) { gst_buffer_unref(((Frame *)p)->buf); }

static HwLiveChannel *channel_new(const char *name)
{
  HwLiveChannel *ch = g_new0(HwLiveChannel, 1);
  ch->refs = 1;
  g_mutex_init(&ch->lock);
  g_strlcpy(ch->name, name, sizeof ch->name);
  ch->gop = g_array_new(FALSE, FALSE, sizeof(Frame));
  g_array_set_clear_func(ch->gop, frame_clear);
  ch->ring = g_ptr_array_new_with_free_func((GDestroyNotify)hw_live_chunk_unref);
  ch->subs = g_ptr_array_new();
  return ch;
}

HwLive *hw_live_new(void)
{
  HwLive *live = g_new0(HwLive, 1);
  g_mutex_init(&live->lock);
  live->channels =
      g_hash_table_new_full(g_str_hash, g_str_equal, g_free, (GDestroyNotify)hw_live_channel_unref);
  return live;
}

void hw_live_free(HwLive *live)
{
  if (live == NULL)
    return;
  g_hash_table_destroy(live->channels);
  g_mutex_clear(&live->lock);
  g_free(live);
}

HwLiveChannel *hw_live_channel(HwLive *live, const char *camera, const char *stream)
{
  g_autofree char *key = g_strdup_printf("%s/%s", camera, stream);
  g_mutex_lock(&live->lock);
  HwLiveChannel *ch = g_hash_table_lookup(live->channels, key);
  if (ch == NULL) {
    ch = channel_new(key);
    g_hash_table_insert(live->channels, g_steal_pointer(&key), ch);
  }
  hw_live_channel_ref(ch);
  g_mutex_unlock(&live->lock);
  return ch;
}

HwLiveChannel *hw_live_lookup(HwLive *live, const char *camera, const char *stream)
{
  g_autofree char *key = g_strdup_printf("%s/%s", camera, stream);
  g_mutex_lock(&live->lock);
  HwLiveChannel *ch = g_hash_table_lookup(live->channels, key);
  if (ch != NULL) {
    g_mutex_lock(&ch->lock);
    bool on = ch->publishers > 0;
    g_mutex_unlock(&ch->lock);
    ch = on ? hw_live_channel_ref(ch) : NULL;
  }
  g_mutex_unlock(&live->lock);
  return ch;
}

HwLiveChannel *hw_live_channel_ref(HwLiveChannel *ch)
{
  g_atomic_int_inc(&ch->refs);
  return ch;
}

void hw_live_channel_unref(HwLiveChannel *ch)
{
  if (ch == NULL || !g_atomic_int_dec_and_test(&ch->refs))
    return;
  g_array_free(ch->gop, TRUE);
  g_ptr_array_free(ch->ring, TRUE);
  g_ptr_array_free(ch->subs, TRUE); /* empty: every sub holds a reference */
  hw_live_init_unref(ch->init);
  g_mutex_clear(&ch->lock);
  g_free(ch);
}

/* ---- chunks (lock held) ---------------------------------------------------------------------- */

static uint64_t to_90k(int64_t ns)
{
  return ns <= 0
             ? 0
             : (uint64_t)(((__int128)ns * HW_FMP4_VIDEO_TIMESCALE + HW_NS_PER_S / 2) / HW_NS_PER_S);
}

static void notify_all(HwLiveChannel *ch)
{
  for (guint i = 0; i < ch->subs->len; i++) {
    HwLiveSub *s = ch->subs->pdata[i];
    s->notify(s->user);
  }
}

static void ring_trim(HwLiveChannel *ch)
{
  guint drop = 0;
  HwLiveChunk **c = (HwLiveChunk **)ch->ring->pdata;
  /* Two GOPs: the current one, and the previous for viewers still in it. */
  while (drop < ch->ring->len && ch->have_key && c[drop]->seq < ch->prev_key_seq) {
    ch->ring_bytes -= g_bytes_get_size(c[drop]->data);
    drop++;
  }
  while (drop + 1 < ch->ring->len && ch->ring_bytes > HW_LIVE_RING_BYTES) {
    ch->ring_bytes -= g_bytes_get_size(c[drop]->data);
    drop++;
  }
  if (drop > 0)
    g_ptr_array_remove_range(ch->ring, 0, drop);
}

/* Frames gop[chunked..end) become one chunk ending at decode time end_dts. */
static void build_chunk(HwLiveChannel *ch, guint end, int64_t end_dts)
{
  guint a = ch->chunked, n = end - a;
  if (n == 0 || ch->init == NULL)
    return;
  Frame *fr = &g_array_index(ch->gop, Frame, a);
  g_autofree HwFmp4Sample *s = g_new0(HwFmp4Sample, n);
  size_t payload = 0;
  for (guint i = 0; i < n; i++) {
    int64_t next = i + 1 < n ? fr[i + 1].dts : end_dts;
    s[i].size = (uint32_t)gst_buffer_get_size(fr[i].buf);
    s[i].duration = (uint32_t)(to_90k(next - ch->base) - to_90k(fr[i].dts - ch->base));
    s[i].cts = (int32_t)((fr[i].pts - fr[i].dts) * (int64_t)HW_FMP4_VIDEO_TIMESCALE / HW_NS_PER_S);
    s[i].key = fr[i].key;
    payload += s[i].size;
  }
  uint64_t dt = to_90k(fr[0].dts - ch->base);
  g_autoptr(GByteArray) hdr = g_byte_array_sized_new(256 + 16 * n);
  hw_fmp4_write_fragment_header(hdr, (uint32_t)(ch->next_seq + 1), fr[0].wall, dt, s, n, 0, NULL,
                                0);
  /* Leave out the leading prft box (the wall time travels in the chunk's own header). */
  uint32_t prft =
      (uint32_t)hdr->data[0] << 24 | hdr->data[1] << 16 | hdr->data[2] << 8 | hdr->data[3];
  size_t head = hdr->len - prft;
  uint8_t *buf = g_malloc(head + payload);
  memcpy(buf, hdr->data + prft, head);
  size_t off = head;
  for (guint i = 0; i < n; i++) {
    gst_buffer_extract(fr[i].buf, 0, buf + off, s[i].size);
    off += s[i].size;
  }

  HwLiveChunk *c = g_new0(HwLiveChunk, 1);
  c->refs = 1;
  c->seq = ch->next_seq++;
  c->data = g_bytes_new_take(buf, off);
  c->init = hw_live_init_ref(ch->init);
  c->wall = fr[0].wall;
  c->decode_time = dt;
  uint64_t dur = 0;
  for (guint i = 0; i < n; i++)
    dur += s[i].duration;
  c->duration = (uint32_t)dur;
  c->frames = n;
  c->key = fr[0].key && a == 0;
  if (c->key) {
    ch->prev_key_seq = ch->have_key ? ch->last_key_seq : c->seq;
    ch->last_key_seq = ch->gop_start_seq = c->seq;
    ch->have_key = ch->gop_has_chunk = true;
  }
  ch->chunked = end;
  ch->chunks++;
  ch->ring_bytes += off;
  g_ptr_array_add(ch->ring, c);
  ring_trim(ch);
}

/* All but the last gathered frame (whose duration is not known yet) into chunks of the usual
 * span, as if someone had been watching all along. */
static void build_pending(HwLiveChannel *ch)
{
  Frame *fr = (Frame *)ch->gop->data;
  guint n = ch->gop->len;
  while (n >= 2 && ch->chunked < n - 1) {
    guint end = ch->chunked + 1;
    while (end < n - 1 && fr[end].dts - fr[ch->chunked].dts < HW_LIVE_CHUNK_TARGET_NS)
      end++;
    build_chunk(ch, end, fr[end].dts);
  }
}

/* The GOP ends without a next frame (end of run, new format): the last frame gets the previous
 * interval as duration. */
static void close_gop(HwLiveChannel *ch)
{
  if (ch->subs->len > 0 && ch->gop->len > ch->chunked) {
    build_chunk(ch, ch->gop->len, ch->last_dts + ch->last_interval);
    notify_all(ch);
  }
  g_array_set_size(ch->gop, 0);
  ch->gop_bytes = 0;
  ch->chunked = 0;
  ch->gop_has_chunk = false;
}

static void end_run_locked(HwLiveChannel *ch)
{
  close_gop(ch);
  if (ch->started) {
    ch->end_decode = ch->last_dts - ch->base + ch->last_interval;
    ch->rebase = true;
  }
}

/* ---- the publisher --------------------------------------------------------------------------- */

void hw_live_channel_publisher(HwLiveChannel *ch, bool add)
{
  g_mutex_lock(&ch->lock);
  ch->publishers += add ? 1 : -1;
  if (!add)
    end_run_locked(ch);
  g_mutex_unlock(&ch->lock);
}

void hw_live_channel_set_format(HwLiveChannel *ch, const char *codec, int width, int height,
                                GBytes *codec_data)
{
  if (codec_data == NULL)
    return;
  gsize len;
  const uint8_t *rec = g_bytes_get_data(codec_data, &len);
  HwFmp4Tracks t = {.width = width, .height = height, .codec_data = rec, .codec_data_len = len};
  g_strlcpy(t.codec, codec, sizeof t.codec);
  GByteArray *init = g_byte_array_new();
  if (!hw_fmp4_write_init(init, &t)) {
    g_byte_array_unref(init);
    return;
  }
  HwLiveInit *li = g_new0(HwLiveInit, 1);
  li->refs = 1;
  li->data = g_byte_array_free_to_bytes(init);
  g_strlcpy(li->codec, codec, sizeof li->codec);
  hw_live_mime_codec(codec, rec, len, li->mime_codec, sizeof li->mime_codec);
  li->width = width;
  li->height = height;

  g_mutex_lock(&ch->lock);
  if (ch->init != NULL && g_bytes_equal(ch->init->data, li->data)) {
    g_mutex_unlock(&ch->lock);
    hw_live_init_unref(li);
    return;
  }
  close_gop(ch); /* frames gathered so far go out with the old init */
  hw_live_init_unref(ch->init);
  ch->init = li;
  g_mutex_unlock(&ch->lock);
}

void hw_live_channel_push(HwLiveChannel *ch, GstBuffer *buf, int64_t dts_ns, int64_t pts_ns,
                          bool key, hw_time_ns wall)
{
  g_mutex_lock(&ch->lock);
  ch->frames_in++;
  if (ch->started && !ch->rebase &&
      (dts_ns <= ch->last_dts || dts_ns - ch->last_dts > 5 * HW_NS_PER_S))
    end_run_locked(ch); /* a new RTP timeline, or a jump: continue the channel's timeline */
  if (!ch->started) {
    ch->base = dts_ns;
    ch->started = true;
  } else if (ch->rebase) {
    ch->base = dts_ns - ch->end_decode;
  } else if (dts_ns > ch->last_dts) {
    ch->last_interval = dts_ns - ch->last_dts;
  }
  if (ch->last_interval <= 0)
    ch->last_interval = HW_NS_PER_S / 25;
  ch->rebase = false;
  ch->last_dts = dts_ns;

  bool watched = ch->subs->len > 0;
  bool built = false;
  if (key && ch->gop->len > 0) {
    if (watched && ch->gop->len > ch->chunked) {
      build_chunk(ch, ch->gop->len, dts_ns);
      built = true;
    }
    g_array_set_size(ch->gop, 0);
    ch->gop_bytes = 0;
    ch->chunked = 0;
    ch->gop_has_chunk = false;
  } else if (watched && ch->gop->len > ch->chunked &&
             dts_ns - g_array_index(ch->gop, Frame, ch->chunked).dts >= HW_LIVE_CHUNK_TARGET_NS) {
    build_chunk(ch, ch->gop->len, dts_ns);
    built = true;
  }
  if (ch->gop->len == 0 && !key)
    goto out; /* a GOP starts on a keyframe */
  if (ch->gop->len >= HW_LIVE_GOP_FRAMES_MAX || ch->gop_bytes > HW_LIVE_RING_BYTES / 2) {
    /* An endless GOP: stop keeping it; joiners wait for the next keyframe. */
    g_array_set_size(ch->gop, 0);
    ch->gop_bytes = 0;
    ch->chunked = 0;
    ch->gop_has_chunk = false;
    goto out;
  }
  Frame f = {gst_buffer_ref(buf), dts_ns, pts_ns, key, wall};
  g_array_append_val(ch->gop, f);
  ch->gop_bytes += gst_buffer_get_size(buf);
out:
  if (built)
    notify_all(ch);
  g_mutex_unlock(&ch->lock);
}

void hw_live_channel_end_run(HwLiveChannel *ch)
{
  g_mutex_lock(&ch->lock);
  end_run_locked(ch);
  g_mutex_unlock(&ch->lock);
}

/* ---- viewers --------------------------------------------------------------------------------- */

HwLiveSub *hw_live_sub_new(HwLiveChannel *ch, HwLiveNotify notify, void *user)
{
  HwLiveSub *s = g_new0(HwLiveSub, 1);
  s->ch = hw_live_channel_ref(ch);
  s->notify = notify;
  s->user = user;
  g_mutex_lock(&ch->lock);
  g_ptr_array_add(ch->subs, s);
  build_pending(ch); /* the GOP so far, so the viewer starts on its keyframe now */
  s->cursor = ch->gop_has_chunk ? ch->gop_start_seq : ch->next_seq;
  bool ready = ch->next_seq > s->cursor;
  g_mutex_unlock(&ch->lock);
  if (ready)
    notify(user);
  return s;
}

void hw_live_sub_free(HwLiveSub *s)
{
  if (s == NULL)
    return;
  HwLiveChannel *ch = s->ch;
  g_mutex_lock(&ch->lock);
  g_ptr_array_remove_fast(ch->subs, s);
  if (ch->subs->len == 0) {
    /* Nobody watches: chunks are not kept (the frames are; a joiner rebuilds them). */
    g_ptr_array_set_size(ch->ring, 0);
    ch->ring_bytes = 0;
    ch->chunked = 0;
    ch->gop_has_chunk = ch->have_key = false;
  }
  g_mutex_unlock(&ch->lock);
  hw_live_channel_unref(ch);
  g_free(s);
}

HwLiveChunk *hw_live_sub_next(HwLiveSub *s, int64_t max_behind_ns, uint64_t *ret_skipped)
{
  HwLiveChannel *ch = s->ch;
  HwLiveChunk *out = NULL;
  g_mutex_lock(&ch->lock);
  guint n = ch->ring->len;
  if (n > 0) {
    HwLiveChunk **c = (HwLiveChunk **)ch->ring->pdata;
    uint64_t first = c[0]->seq, last = c[n - 1]->seq;
    bool jump = s->cursor < first;
    if (!jump && s->cursor <= last && max_behind_ns > 0 && ch->gop_has_chunk &&
        ch->gop_start_seq > s->cursor &&
        c[n - 1]->wall - c[s->cursor - first]->wall > max_behind_ns)
      jump = true;
    if (jump) {
      uint64_t to = ch->gop_has_chunk ? ch->gop_start_seq : ch->next_seq;
      if (ret_skipped && to > s->cursor)
        *ret_skipped += to - s->cursor;
      s->cursor = to;
    }
    if (s->cursor >= first && s->cursor <= last)
      out = hw_live_chunk_ref(c[s->cursor++ - first]);
  }
  g_mutex_unlock(&ch->lock);
  return out;
}

void hw_live_channel_info(HwLiveChannel *ch, HwLiveInfo *ret)
{
  memset(ret, 0, sizeof *ret);
  g_mutex_lock(&ch->lock);
  ret->publishers = ch->publishers;
  ret->viewers = (int)ch->subs->len;
  if (ch->init != NULL) {
    g_strlcpy(ret->codec, ch->init->codec, sizeof ret->codec);
    g_strlcpy(ret->mime_codec, ch->init->mime_codec, sizeof ret->mime_codec);
    ret->width = ch->init->width;
    ret->height = ch->init->height;
  }
  ret->frames_in = ch->frames_in;
  ret->chunks = ch->chunks;
  ret->ring_bytes = ch->ring_bytes;
  g_mutex_unlock(&ch->lock);
}
