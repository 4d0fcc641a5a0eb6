/* The libavformat capture front-end: one thread per camera stream reads RTSP with libavformat's
 * demuxer (the same one `ffmpeg -c copy` uses), turns Annex B access units into MP4 samples and
 * hands them to the segment writer. Chosen over rtspsrc by the figures in docs/performance.md:
 * one thread and no per-packet hand-over, where rtspsrc needs two threads and a context switch
 * per RTP packet. */
#include "capture/source.h"

#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <string.h>

struct HwAvSource {
  HwSourceConfig cfg; /* its strings point at the owned copies below */
  char *url, *username, *password;
  HwSegWriter *writer;
  HwSourceEvents ev;
  void *user;
  GThread *thread;
  gint stop;
  int64_t deadline_mono; /* the interrupt callback gives up on I/O past this */
  int64_t last_dts_ns; /* the previous video frame's, for the parser-delay correction */
  GBytes *sdp_params;  /* Annex B parameter sets from the SDP, if any */
  /* video format as last seen */
  GBytes *extradata; /* Annex B parameter sets the current codec_data was built from */
};

/* ---- Annex B → MP4 ------------------------------------------------------------------------- */

/* Finds the next start code at or after p; returns its position (end if none), and its length.
 * memchr finds the 0x01 candidates, so a 20 KB access unit costs a few vector scans. */
static const uint8_t *next_start(const uint8_t *p, const uint8_t *end, int *ret_len)
{
  while (p + 3 <= end) {
    const uint8_t *one = memchr(p + 2, 1, (size_t)(end - (p + 2)));
    if (one == NULL)
      break;
    if (one[-1] == 0 && one[-2] == 0) {
      if (one - 3 >= p && one[-3] == 0) {
        *ret_len = 4;
        return one - 3;
      }
      *ret_len = 3;
      return one - 2;
    }
    p = one - 1;
  }
  *ret_len = 0;
  return end;
}

typedef void (*NalFn)(const uint8_t *nal, size_t len, void *user);

static void for_each_nal(const uint8_t *data, size_t size, NalFn fn, void *user)
{
  const uint8_t *end = data + size;
  int sc;
  const uint8_t *p = next_start(data, end, &sc);
  while (p < end) {
    const uint8_t *nal = p + sc;
    int sc2;
    const uint8_t *q = next_start(nal, end, &sc2);
    const uint8_t *nal_end = q;
    while (nal_end > nal && nal_end[-1] == 0 && q < end)
      nal_end--; /* trailing zero bytes belong to the next start code */
    if (nal_end > nal)
      fn(nal, (size_t)(nal_end - nal), user);
    p = q;
    sc = sc2;
  }
}

typedef struct {
  GByteArray *out;
  bool h265;
  GByteArray *params; /* parameter-set NALs seen (Annex B), to detect format changes */
} Convert;

/* Whether a NAL unit carries coded picture data (a slice): H.264 types 1-5, H.265 types 0-31. */
static void note_picture_nal(const uint8_t *nal, size_t len, void *user)
{
  bool *h265_and_found = user; /* [0]: H.265, [1]: a slice seen */
  if (len == 0)
    return;
  int type = h265_and_found[0] ? (nal[0] >> 1) & 0x3f : nal[0] & 0x1f;
  if (h265_and_found[0] ? type <= 31 : (type >= 1 && type <= 5))
    h265_and_found[1] = true;
}

static bool is_param_set(const uint8_t *nal, bool h265)
{
  if (h265) {
    int t = (nal[0] >> 1) & 0x3f;
    return t >= 32 && t <= 34; /* VPS, SPS, PPS */
  }
  int t = nal[0] & 0x1f;
  return t == 7 || t == 8; /* SPS, PPS */
}

static void collect_params(const uint8_t *nal, size_t len, void *user)
{
  Convert *c = user;
  if (is_param_set(nal, c->h265)) {
    static const uint8_t sc[4] = {0, 0, 0, 1};
    g_byte_array_append(c->params, sc, 4);
    g_byte_array_append(c->params, nal, (guint)len);
  }
}

static void append_sample_nal(const uint8_t *nal, size_t len, void *user)
{
  Convert *c = user;
  uint8_t l[4] = {len >> 24, (len >> 16) & 0xff, (len >> 8) & 0xff, len & 0xff};
  g_byte_array_append(c->out, l, 4);
  g_byte_array_append(c->out, nal, (guint)len);
}

/* libavformat's RTP depacketizers start every NAL with a 4-byte start code, exactly the room a
 * 4-byte NAL length needs: such an access unit becomes an MP4 sample where it lies, no copy.
 * Returns false (data untouched) when it cannot be done in place (3-byte start codes, padding
 * zeros between NALs). */
static bool annexb_to_lengths_in_place(uint8_t *data, size_t size)
{
  const uint8_t *end = data + size;
  int sc;
  const uint8_t *p = next_start(data, end, &sc);
  if (p != data || sc != 4)
    return false;
  while (p < end) { /* check first: all or nothing */
    int sc2;
    const uint8_t *q = next_start(p + 4, end, &sc2);
    if ((q < end && sc2 != 4) || q == p + 4 || q[-1] == 0)
      return false;
    p = q;
  }
  uint8_t *w = data;
  while (w < end) {
    int sc2;
    uint8_t *q = (uint8_t *)next_start(w + 4, end, &sc2);
    size_t len = (size_t)(q - w - 4);
    w[0] = (uint8_t)(len >> 24);
    w[1] = (uint8_t)(len >> 16);
    w[2] = (uint8_t)(len >> 8);
    w[3] = (uint8_t)len;
    w = q;
  }
  return true;
}

static void unref_av_buffer(gpointer p)
{
  AVBufferRef *ref = p;
  av_buffer_unref(&ref);
}

/* Builds avcC/hvcC for Annex B parameter sets with libavformat's own MP4 muxer (the well-kept
 * writer of those records), reading the record back out of the moov it writes. Also returns the
 * picture size the muxer was given. */
static GBytes *codec_record(enum AVCodecID id, const uint8_t *extradata, size_t len, int width,
                            int height)
{
  AVFormatContext *oc = NULL;
  GBytes *result = NULL;
  if (avformat_alloc_output_context2(&oc, NULL, "mp4", NULL) < 0)
    return NULL;
  AVStream *st = avformat_new_stream(oc, NULL);
  uint8_t *buf = NULL;
  if (st == NULL || avio_open_dyn_buf(&oc->pb) < 0)
    goto out;
  st->codecpar->codec_type = AVMEDIA_TYPE_VIDEO;
  st->codecpar->codec_id = id;
  st->codecpar->width = width;
  st->codecpar->height = height;
  st->codecpar->extradata = av_mallocz(len + AV_INPUT_BUFFER_PADDING_SIZE);
  if (st->codecpar->extradata == NULL)
    goto out;
  memcpy(st->codecpar->extradata, extradata, len);
  st->codecpar->extradata_size = (int)len;
  st->time_base = (AVRational){1, 90000};
  AVDictionary *opts = NULL;
  av_dict_set(&opts, "movflags", "frag_keyframe+empty_moov+default_base_moof", 0);
  int r = avformat_write_header(oc, &opts);
  av_dict_free(&opts);
  if (r < 0)
    goto out;
  avio_flush(oc->pb);
  int n = avio_close_dyn_buf(oc->pb, &buf);
  oc->pb = NULL;
  const char *want = id == AV_CODEC_ID_HEVC ? "hvcC" : "avcC";
  for (int i = 4; i + 4 <= n; i++) {
    if (memcmp(buf + i, want, 4) == 0) {
      uint32_t sz = (uint32_t)buf[i - 4] << 24 | buf[i - 3] << 16 | buf[i - 2] << 8 | buf[i - 1];
      if (sz >= 8 && i - 4 + (int)sz <= n)
        result = g_bytes_new(buf + i + 4, sz - 8);
      break;
    }
  }
out:
  if (oc->pb != NULL) {
    uint8_t *tmp = NULL;
    avio_close_dyn_buf(oc->pb, &tmp);
    av_free(tmp);
    oc->pb = NULL;
  }
  av_free(buf);
  avformat_free_context(oc);
  return result;
}

/* The picture size in a set of parameter sets, through libavcodec's parser (no decoding). */
static bool parse_size(enum AVCodecID id, const uint8_t *data, size_t len, int *ret_w, int *ret_h)
{
  AVCodecParserContext *pc = av_parser_init(id);
  const AVCodec *codec = avcodec_find_decoder(id);
  AVCodecContext *ctx = codec ? avcodec_alloc_context3(codec) : NULL;
  bool ok = false;
  if (pc != NULL && ctx != NULL) {
    pc->flags |= PARSER_FLAG_COMPLETE_FRAMES;
    uint8_t *out;
    int out_len;
    g_autofree uint8_t *padded = g_malloc0(len + AV_INPUT_BUFFER_PADDING_SIZE);
    memcpy(padded, data, len);
    av_parser_parse2(pc, ctx, &out, &out_len, padded, (int)len, AV_NOPTS_VALUE, AV_NOPTS_VALUE, 0);
    if (pc->width > 0 && pc->height > 0) {
      *ret_w = pc->width;
      *ret_h = pc->height;
      ok = true;
    }
  }
  av_parser_close(pc);
  avcodec_free_context(&ctx);
  return ok;
}

/* ---- the reading thread ----------------------------------------------------------------------- */

static int interrupt_cb(void *opaque)
{
  HwAvSource *s = opaque;
  return g_atomic_int_get(&s->stop) || hw_time_monotonic() > s->deadline_mono;
}

static HwOutageReason classify(int err, char *msg, size_t len)
{
  char text[AV_ERROR_MAX_STRING_SIZE];
  av_strerror(err, text, sizeof text);
  if (err == AVERROR_HTTP_UNAUTHORIZED || err == AVERROR_HTTP_FORBIDDEN) {
    g_snprintf(msg, len, "the camera refused the credentials (401 Unauthorized)");
    return HW_OUTAGE_AUTH_REFUSED;
  }
  if (err == AVERROR_HTTP_NOT_FOUND) {
    g_snprintf(msg, len, "the camera has no stream at this address (404 Not Found)");
    return HW_OUTAGE_CAMERA_UNREACHABLE;
  }
  if (err == AVERROR(ECONNREFUSED) || err == AVERROR(EHOSTUNREACH) ||
      err == AVERROR(ENETUNREACH) || err == AVERROR(ETIMEDOUT) || err == AVERROR(EIO) ||
      err == AVERROR(ECONNRESET) || err == AVERROR(EPIPE)) {
    g_snprintf(msg, len, "cannot connect to the camera: %s", text);
    return HW_OUTAGE_CAMERA_UNREACHABLE;
  }
  if (err == AVERROR_EOF) {
    g_snprintf(msg, len, "the camera ended the stream");
    return HW_OUTAGE_STREAM_ERROR;
  }
  if (err == AVERROR_EXIT) {
    g_snprintf(msg, len, "no data from the camera: stream stalled");
    return HW_OUTAGE_STREAM_STALLED;
  }
  g_snprintf(msg, len, "stream error: %s", text);
  return HW_OUTAGE_STREAM_ERROR;
}

/* rtsp://user:pass@host/… with the credentials percent-encoded; never logged. */
static char *url_with_credentials(const HwSourceConfig *c)
{
  if (c->username == NULL || c->password == NULL)
    return g_strdup(c->url);
  const char *rest = strstr(c->url, "://");
  if (rest == NULL)
    return g_strdup(c->url);
  g_autofree char *scheme = g_strndup(c->url, (gsize)(rest - c->url));
  g_autofree char *u = g_uri_escape_string(c->username, NULL, FALSE);
  g_autofree char *p = g_uri_escape_string(c->password, NULL, FALSE);
  return g_strdup_printf("%s://%s:%s@%s", scheme, u, p, rest + 3);
}

static void fail(HwAvSource *s, int err)
{
  if (g_atomic_int_get(&s->stop))
    return; /* stopped on purpose: nothing to report */
  char msg[256];
  HwOutageReason reason = classify(err, msg, sizeof msg);
  s->ev.failed(s->user, reason, msg);
}

static void handle_video(HwAvSource *s, AVStream *st, AVPacket *pkt, Convert *cv)
{
  hw_time_ns arrival;
  int64_t arrival_mono;
  hw_time_now_pair(&arrival, &arrival_mono);
  if (pkt->size <= 4)
    return;
  g_byte_array_set_size(cv->params, 0);
  for_each_nal(pkt->data, (size_t)pkt->size, collect_params, cv);

  /* Parameter sets only out of band: take the SDP's, once. */
  if (cv->params->len == 0 && s->extradata == NULL && s->sdp_params != NULL) {
    gsize n;
    const uint8_t *p = g_bytes_get_data(s->sdp_params, &n);
    for_each_nal(p, n, collect_params, cv);
  }

  /* New parameter sets (at start, or a resolution or codec change): a new codec record and
   * file. */
  if (cv->params->len > 0 &&
      (s->extradata == NULL ||
       g_bytes_get_size(s->extradata) != cv->params->len ||
       memcmp(g_bytes_get_data(s->extradata, NULL), cv->params->data, cv->params->len) != 0)) {
    int w = st->codecpar->width, h = st->codecpar->height;
    /* The parser reports a size once it has seen the parameter sets and a slice: give it both. */
    g_autoptr(GByteArray) probe = g_byte_array_sized_new(cv->params->len + (guint)pkt->size);
    g_byte_array_append(probe, cv->params->data, cv->params->len);
    g_byte_array_append(probe, pkt->data, (guint)pkt->size);
    parse_size(st->codecpar->codec_id, probe->data, probe->len, &w, &h);
    if (w <= 0 || h <= 0)
      return; /* not yet: wait for an access unit that tells */
    g_autoptr(GBytes) rec =
        codec_record(st->codecpar->codec_id, cv->params->data, cv->params->len, w, h);
    if (rec != NULL) {
      g_clear_pointer(&s->extradata, g_bytes_unref);
      s->extradata = g_bytes_new(cv->params->data, cv->params->len);
      hw_segwriter_set_video(s->writer, cv->h265 ? "h265" : "h264", w, h, rec);
    }
  }
  if (s->extradata == NULL)
    return; /* no parameter sets yet: nothing can be recorded */
  /* An access unit without a slice (a lone delimiter, SEI or parameter sets) has no picture: a
   * decoder reports it as an error ("missing picture in access unit"), so it is not written. */
  bool picture[2] = {cv->h265, false};
  for_each_nal(pkt->data, (size_t)pkt->size, note_picture_nal, picture);
  if (!picture[1])
    return;

  int64_t pts = pkt->pts != AV_NOPTS_VALUE ? pkt->pts : pkt->dts;
  int64_t dts = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pts;
  if (dts == AV_NOPTS_VALUE)
    return;
  int64_t dts_ns = av_rescale_q(dts, st->time_base, (AVRational){1, 1000000000});
  int64_t pts_ns = av_rescale_q(pts, st->time_base, (AVRational){1, 1000000000});
  /* libavformat's H.264/H.265 parser completes an access unit only when the next one begins,
   * one frame interval after this one's last packet came: take that interval off, as the frame
   * arrived then. (The interval is the previous frame's: cameras send at a steady rate.) */
  int64_t interval = s->last_dts_ns > 0 ? dts_ns - s->last_dts_ns : 0;
  s->last_dts_ns = dts_ns;
  if (interval > 0 && interval < 200 * HW_NS_PER_MS) {
    arrival -= interval;
    arrival_mono -= interval;
  }

  GstBuffer *buf;
  size_t len;
  if (av_packet_make_writable(pkt) == 0 && annexb_to_lengths_in_place(pkt->data, (size_t)pkt->size)) {
    len = (size_t)pkt->size;
    buf = gst_buffer_new_wrapped_full(0, pkt->data, len, 0, len, av_buffer_ref(pkt->buf),
                                      unref_av_buffer);
  } else {
    g_byte_array_set_size(cv->out, 0);
    for_each_nal(pkt->data, (size_t)pkt->size, append_sample_nal, cv);
    len = cv->out->len;
    if (len == 0)
      return;
    buf = gst_buffer_new_memdup(cv->out->data, len);
  }
  hw_segwriter_video(s->writer, buf, dts_ns, pts_ns, (pkt->flags & AV_PKT_FLAG_KEY) != 0, arrival,
                     arrival_mono);
  gst_buffer_unref(buf);
  s->ev.frame(s->user, arrival_mono, len);
}

static void handle_audio(HwAvSource *s, AVStream *st, AVPacket *pkt)
{
  if (pkt->pts == AV_NOPTS_VALUE || st->codecpar->extradata_size <= 0)
    return;
  g_autoptr(GBytes) asc = g_bytes_new(st->codecpar->extradata, (gsize)st->codecpar->extradata_size);
  hw_segwriter_set_audio(s->writer, (uint32_t)st->codecpar->sample_rate,
                         st->codecpar->ch_layout.nb_channels, asc);
  GstBuffer *buf = gst_buffer_new_memdup(pkt->data, (gsize)pkt->size);
  hw_segwriter_audio(s->writer, buf, av_rescale_q(pkt->pts, st->time_base, (AVRational){1, 1000000000}));
  gst_buffer_unref(buf);
}

static gpointer read_thread(gpointer data)
{
  HwAvSource *s = data;
  AVFormatContext *ic = avformat_alloc_context();
  AVDictionary *opts = NULL;
  AVPacket *pkt = av_packet_alloc();
  Convert cv = {g_byte_array_sized_new(256 * 1024), false, g_byte_array_new()};
  int video = -1, audio = -1;
  int r;
  char *url = NULL;

  if (ic == NULL || pkt == NULL) {
    fail(s, AVERROR(ENOMEM));
    goto out;
  }
  ic->interrupt_callback = (AVIOInterruptCB){interrupt_cb, s};
  url = url_with_credentials(&s->cfg);
  av_dict_set(&opts, "rtsp_transport", s->cfg.transport == HW_TRANSPORT_UDP ? "udp" : "tcp", 0);
  av_dict_set_int(&opts, "timeout", s->cfg.stall_timeout_ns / HW_NS_PER_US, 0);
  av_dict_set(&opts, "allowed_media_types", "video+audio", 0);
  av_dict_set_int(&opts, "reorder_queue_size", s->cfg.transport == HW_TRANSPORT_UDP ? 64 : 0, 0);
  av_dict_set_int(&opts, "analyzeduration", 2 * 1000000, 0);
  s->deadline_mono = hw_time_monotonic() + s->cfg.stall_timeout_ns + 5 * HW_NS_PER_S;
  r = avformat_open_input(&ic, url, NULL, &opts);
  if (r < 0) {
    ic = NULL; /* freed by avformat_open_input on failure */
    fail(s, r);
    goto out;
  }
  /* No avformat_find_stream_info: it would open a decoder per camera just to learn the pixel
   * format (megabytes of frame buffers, per camera, for nothing). The SDP gives the codecs and
   * AAC config; the picture size comes from the parameter sets, parsed below. */

  for (unsigned i = 0; i < ic->nb_streams; i++) {
    AVCodecParameters *p = ic->streams[i]->codecpar;
    ic->streams[i]->discard = AVDISCARD_ALL;
    if (p->codec_type == AVMEDIA_TYPE_VIDEO && video < 0 &&
        (p->codec_id == AV_CODEC_ID_H264 || p->codec_id == AV_CODEC_ID_HEVC)) {
      video = (int)i;
    } else if (p->codec_type == AVMEDIA_TYPE_AUDIO && audio < 0 && p->codec_id == AV_CODEC_ID_AAC) {
      audio = (int)i;
    } else if (p->codec_type == AVMEDIA_TYPE_AUDIO) {
      char w[256];
      g_snprintf(w, sizeof w, "audio %s dropped: MP4 recordings here hold AAC audio only",
                 avcodec_get_name(p->codec_id));
      s->ev.warning(s->user, w);
    }
  }
  if (video < 0) {
    char msg[] = "the camera sends no H.264 or H.265 video";
    s->ev.failed(s->user, HW_OUTAGE_STREAM_ERROR, msg);
    goto out;
  }
  ic->streams[video]->discard = AVDISCARD_DEFAULT;
  if (audio >= 0) {
    ic->streams[audio]->discard = AVDISCARD_DEFAULT;
    s->ev.audio(s->user, "aac");
  }
  AVStream *vst = ic->streams[video];
  cv.h265 = vst->codecpar->codec_id == AV_CODEC_ID_HEVC;
  /* Parameter sets from the SDP (sprop-parameter-sets) come as Annex B extradata; they are used
   * with the first access unit when the camera sends none in band. */
  s->sdp_params = vst->codecpar->extradata_size > 0
                      ? g_bytes_new(vst->codecpar->extradata, (gsize)vst->codecpar->extradata_size)
                      : NULL;

  while (!g_atomic_int_get(&s->stop)) {
    s->deadline_mono = hw_time_monotonic() + s->cfg.stall_timeout_ns;
    r = av_read_frame(ic, pkt);
    if (r < 0) {
      fail(s, r == AVERROR_EXIT ? AVERROR_EXIT : r);
      break;
    }
    if (pkt->stream_index == video)
      handle_video(s, vst, pkt, &cv);
    else if (pkt->stream_index == audio)
      handle_audio(s, ic->streams[audio], pkt);
    av_packet_unref(pkt);
  }

out:
  if (url != NULL) {
    memset(url, 0, strlen(url)); /* the credentials do not linger */
    g_free(url);
  }
  av_dict_free(&opts);
  av_packet_free(&pkt);
  if (ic != NULL)
    avformat_close_input(&ic);
  g_byte_array_free(cv.out, TRUE);
  g_byte_array_free(cv.params, TRUE);
  return NULL;
}

HwAvSource *hw_av_source_start(const HwSourceConfig *cfg, HwSegWriter *writer,
                               const HwSourceEvents *ev, void *user)
{
  static gsize once;
  if (g_once_init_enter(&once)) {
    avformat_network_init();
    av_log_set_level(AV_LOG_QUIET); /* errors come back as codes; nothing on stderr per packet */
    g_once_init_leave(&once, 1);
  }
  HwAvSource *s = g_new0(HwAvSource, 1);
  s->cfg = *cfg;
  s->cfg.url = s->url = g_strdup(cfg->url);
  s->cfg.username = s->username = g_strdup(cfg->username);
  s->cfg.password = s->password = g_strdup(cfg->password);
  s->writer = writer;
  s->ev = *ev;
  s->user = user;
  s->deadline_mono = G_MAXINT64;
  s->thread = g_thread_new("hw-camera", read_thread, s);
  return s;
}

void hw_av_source_stop(HwAvSource *s)
{
  if (s == NULL)
    return;
  g_atomic_int_set(&s->stop, 1);
  g_thread_join(s->thread);
  g_free(s->url);
  g_free(s->username);
  if (s->password != NULL) {
    memset(s->password, 0, strlen(s->password));
    g_free(s->password);
  }
  g_clear_pointer(&s->extradata, g_bytes_unref);
  g_clear_pointer(&s->sdp_params, g_bytes_unref);
  g_free(s);
}
