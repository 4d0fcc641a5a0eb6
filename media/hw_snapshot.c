/* Snapshots (media/hw_snapshot.h): libavformat opens an RTSP URL or an in-memory MP4 fragment,
 * libavcodec decodes one keyframe and its mjpeg encoder makes the JPEG. Every blocking call is
 * bounded by an interrupt callback with a monotonic deadline. */
#include "media/hw_snapshot.h"

#include <errno.h>
#include <fcntl.h>
#include <libavcodec/avcodec.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/pixdesc.h>
#include <string.h>
#include <unistd.h>

#include "common/hw_time.h"

G_DEFINE_QUARK(hw - snapshot - error - quark, hw_snapshot_error)

#define PACKETS_MAX 600 /* a keyframe that decodes takes at most this many packets to appear */
#define FRAGMENT_MAX (INT64_C(64) << 20)

void hw_snapshot_probe_clear(HwSnapshotProbe *p)
{
  g_clear_pointer(&p->jpeg, g_bytes_unref);
}

const char *hw_snapshot_reason_name(const GError *e)
{
  if (e == NULL || e->domain != HW_SNAPSHOT_ERROR)
    return "error";
  switch ((HwSnapshotError)e->code) {
  case HW_SNAPSHOT_ERROR_AUTH: return "auth_refused";
  case HW_SNAPSHOT_ERROR_UNREACHABLE: return "unreachable";
  case HW_SNAPSHOT_ERROR_TIMEOUT: return "timeout";
  case HW_SNAPSHOT_ERROR_NO_VIDEO: return "no_video";
  case HW_SNAPSHOT_ERROR_DECODE: return "decode_failed";
  case HW_SNAPSHOT_ERROR_NO_FOOTAGE: return "no_footage";
  case HW_SNAPSHOT_ERROR_IO: return "io";
  }
  return "error";
}

static int interrupt_cb(void *opaque)
{
  return hw_time_monotonic() > *(const int64_t *)opaque;
}

static void set_av_error(GError **error, int err, bool timed_out)
{
  char text[AV_ERROR_MAX_STRING_SIZE];
  av_strerror(err, text, sizeof text);
  if (err == AVERROR_HTTP_UNAUTHORIZED || err == AVERROR_HTTP_FORBIDDEN)
    g_set_error(error, HW_SNAPSHOT_ERROR, HW_SNAPSHOT_ERROR_AUTH,
                "the camera refused the credentials (401 Unauthorized)");
  else if (timed_out || err == AVERROR_EXIT)
    g_set_error(error, HW_SNAPSHOT_ERROR, HW_SNAPSHOT_ERROR_TIMEOUT,
                "no answer from the camera within the time limit");
  else if (err == AVERROR_HTTP_NOT_FOUND)
    g_set_error(error, HW_SNAPSHOT_ERROR, HW_SNAPSHOT_ERROR_UNREACHABLE,
                "the camera has no stream at this address (404 Not Found)");
  else
    g_set_error(error, HW_SNAPSHOT_ERROR, HW_SNAPSHOT_ERROR_UNREACHABLE,
                "cannot connect to the camera: %s", text);
}

/* rtsp://user:pass@host/… with the credentials percent-encoded; never reported. */
static char *url_with_credentials(const char *url, const char *user, const char *pass)
{
  const char *rest = strstr(url, "://");
  if (user == NULL || pass == NULL || rest == NULL)
    return g_strdup(url);
  g_autofree char *scheme = g_strndup(url, (gsize)(rest - url));
  g_autofree char *u = g_uri_escape_string(user, NULL, FALSE);
  g_autofree char *p = g_uri_escape_string(pass, NULL, FALSE);
  return g_strdup_printf("%s://%s:%s@%s", scheme, u, p, rest + 3);
}

/* JPEG of one decoded frame (transfer full) or NULL with error. */
static GBytes *encode_jpeg(const AVFrame *frame, GError **error)
{
  const AVCodec *codec = avcodec_find_encoder(AV_CODEC_ID_MJPEG);
  if (codec == NULL || (frame->format != AV_PIX_FMT_YUV420P && frame->format != AV_PIX_FMT_YUVJ420P &&
                        frame->format != AV_PIX_FMT_YUV422P && frame->format != AV_PIX_FMT_YUVJ422P &&
                        frame->format != AV_PIX_FMT_YUV444P && frame->format != AV_PIX_FMT_YUVJ444P)) {
    g_set_error(error, HW_SNAPSHOT_ERROR, HW_SNAPSHOT_ERROR_DECODE,
                "cannot make a JPEG of pixel format %s",
                av_get_pix_fmt_name((enum AVPixelFormat)frame->format)
                  ? av_get_pix_fmt_name((enum AVPixelFormat)frame->format) : "?");
    return NULL;
  }
  AVCodecContext *enc = avcodec_alloc_context3(codec);
  AVPacket *pkt = av_packet_alloc();
  GBytes *out = NULL;
  if (enc == NULL || pkt == NULL)
    goto fail;
  enc->width = frame->width;
  enc->height = frame->height;
  enc->pix_fmt = (enum AVPixelFormat)frame->format;
  enc->time_base = (AVRational){1, 25};
  /* Limited-range YUV (what H.264 decodes to) is "unofficial" in JPEG, yet every viewer shows it. */
  enc->strict_std_compliance = FF_COMPLIANCE_UNOFFICIAL;
  enc->flags |= AV_CODEC_FLAG_QSCALE;
  enc->global_quality = FF_QP2LAMBDA * 4;
  if (avcodec_open2(enc, codec, NULL) < 0 || avcodec_send_frame(enc, frame) < 0 ||
      avcodec_receive_packet(enc, pkt) < 0)
    goto fail;
  out = g_bytes_new(pkt->data, (gsize)pkt->size);
  goto done;

fail:
  g_set_error(error, HW_SNAPSHOT_ERROR, HW_SNAPSHOT_ERROR_DECODE, "the JPEG encoder failed");
done:
  av_packet_free(&pkt);
  avcodec_free_context(&enc);
  return out;
}

/* Reads packets of stream `video` until one frame decodes, then returns it as JPEG. */
static GBytes *decode_first(AVFormatContext *ic, int video, const int64_t *deadline, GError **error)
{
  AVStream *st = ic->streams[video];
  const AVCodec *codec = avcodec_find_decoder(st->codecpar->codec_id);
  AVCodecContext *dec = codec ? avcodec_alloc_context3(codec) : NULL;
  AVPacket *pkt = av_packet_alloc();
  AVFrame *frame = av_frame_alloc();
  GBytes *jpeg = NULL;
  int r = 0;
  bool got = false;
  if (dec == NULL || pkt == NULL || frame == NULL ||
      avcodec_parameters_to_context(dec, st->codecpar) < 0 || avcodec_open2(dec, codec, NULL) < 0) {
    g_set_error(error, HW_SNAPSHOT_ERROR, HW_SNAPSHOT_ERROR_DECODE, "no decoder for %s",
                avcodec_get_name(st->codecpar->codec_id));
    goto out;
  }
  bool keyframe_seen = false;
  for (int i = 0; i < PACKETS_MAX && !got; i++) {
    r = av_read_frame(ic, pkt);
    if (r < 0) {
      /* End of an in-memory fragment: flush what the decoder holds. */
      avcodec_send_packet(dec, NULL);
      got = avcodec_receive_frame(dec, frame) == 0;
      break;
    }
    if (pkt->stream_index == video && (keyframe_seen || (pkt->flags & AV_PKT_FLAG_KEY))) {
      keyframe_seen = true;
      if (avcodec_send_packet(dec, pkt) >= 0)
        got = avcodec_receive_frame(dec, frame) == 0;
    }
    av_packet_unref(pkt);
  }
  if (!got) {
    if (r < 0 && r != AVERROR_EOF)
      set_av_error(error, r, hw_time_monotonic() > *deadline);
    else
      g_set_error(error, HW_SNAPSHOT_ERROR, HW_SNAPSHOT_ERROR_DECODE,
                  "no keyframe decoded from the %s stream", avcodec_get_name(st->codecpar->codec_id));
    goto out;
  }
  jpeg = encode_jpeg(frame, error);
out:
  av_frame_free(&frame);
  av_packet_free(&pkt);
  avcodec_free_context(&dec);
  return jpeg;
}

static int find_video(AVFormatContext *ic)
{
  for (unsigned i = 0; i < ic->nb_streams; i++) {
    AVCodecParameters *p = ic->streams[i]->codecpar;
    if (p->codec_type == AVMEDIA_TYPE_VIDEO &&
        (p->codec_id == AV_CODEC_ID_H264 || p->codec_id == AV_CODEC_ID_HEVC))
      return (int)i;
  }
  return -1;
}

bool hw_snapshot_probe_rtsp(const char *url, const char *username, const char *password, bool udp,
                            int64_t timeout_ns, HwSnapshotProbe *ret, GError **error)
{
  g_return_val_if_fail(url != NULL && ret != NULL, false);
  memset(ret, 0, sizeof *ret);
  int64_t deadline = hw_time_monotonic() + timeout_ns;
  AVFormatContext *ic = avformat_alloc_context();
  AVDictionary *opts = NULL;
  g_autofree char *full = url_with_credentials(url, username, password);
  bool ok = false;
  if (ic == NULL) {
    g_set_error(error, HW_SNAPSHOT_ERROR, HW_SNAPSHOT_ERROR_IO, "out of memory");
    return false;
  }
  ic->interrupt_callback = (AVIOInterruptCB){interrupt_cb, &deadline};
  av_dict_set(&opts, "rtsp_transport", udp ? "udp" : "tcp", 0);
  av_dict_set_int(&opts, "timeout", timeout_ns / 1000, 0);
  av_dict_set(&opts, "allowed_media_types", "video+audio", 0);
  av_dict_set_int(&opts, "analyzeduration", 2 * 1000000, 0);
  int r = avformat_open_input(&ic, full, NULL, &opts);
  av_dict_free(&opts);
  if (full != NULL)
    memset(full, 0, strlen(full));
  if (r < 0) {
    ic = NULL;
    set_av_error(error, r, hw_time_monotonic() > deadline);
    goto out;
  }
  r = avformat_find_stream_info(ic, NULL);
  if (r < 0) {
    set_av_error(error, r, hw_time_monotonic() > deadline);
    goto out;
  }
  int video = find_video(ic);
  if (video < 0) {
    g_set_error(error, HW_SNAPSHOT_ERROR, HW_SNAPSHOT_ERROR_NO_VIDEO,
                "the camera sends no H.264 or H.265 video");
    goto out;
  }
  for (unsigned i = 0; i < ic->nb_streams; i++) {
    AVCodecParameters *p = ic->streams[i]->codecpar;
    if (p->codec_type == AVMEDIA_TYPE_AUDIO && ret->audio_codec[0] == '\0')
      g_strlcpy(ret->audio_codec, avcodec_get_name(p->codec_id), sizeof ret->audio_codec);
    if ((int)i != video && p->codec_type != AVMEDIA_TYPE_AUDIO)
      ic->streams[i]->discard = AVDISCARD_ALL;
  }
  AVStream *vst = ic->streams[video];
  g_strlcpy(ret->codec, vst->codecpar->codec_id == AV_CODEC_ID_HEVC ? "h265" : "h264",
            sizeof ret->codec);
  ret->width = vst->codecpar->width;
  ret->height = vst->codecpar->height;
  AVRational fr = vst->avg_frame_rate.num ? vst->avg_frame_rate : vst->r_frame_rate;
  ret->fps = fr.num > 0 && fr.den > 0 ? av_q2d(fr) : 0;
  ret->jpeg = decode_first(ic, video, &deadline, error);
  ok = ret->jpeg != NULL;
out:
  avformat_close_input(&ic);
  if (!ok)
    hw_snapshot_probe_clear(ret);
  return ok;
}

/* ---- footage read back ----------------------------------------------------------------------- */

typedef struct {
  const uint8_t *data;
  size_t len, pos;
} MemReader;

static int mem_read(void *opaque, uint8_t *buf, int size)
{
  MemReader *m = opaque;
  size_t n = MIN((size_t)size, m->len - m->pos);
  if (n == 0)
    return AVERROR_EOF;
  memcpy(buf, m->data + m->pos, n);
  m->pos += n;
  return (int)n;
}

static int64_t mem_seek(void *opaque, int64_t offset, int whence)
{
  MemReader *m = opaque;
  if (whence == AVSEEK_SIZE)
    return (int64_t)m->len;
  int64_t base = (whence & ~AVSEEK_FORCE) == SEEK_CUR ? (int64_t)m->pos
                 : (whence & ~AVSEEK_FORCE) == SEEK_END ? (int64_t)m->len : 0;
  int64_t p = base + offset;
  if (p < 0 || p > (int64_t)m->len)
    return AVERROR(EINVAL);
  m->pos = (size_t)p;
  return p;
}

GBytes *hw_snapshot_decode_mp4(const void *data, size_t len, GError **error)
{
  MemReader m = {data, len, 0};
  int64_t deadline = hw_time_monotonic() + 10 * HW_NS_PER_S;
  AVFormatContext *ic = avformat_alloc_context();
  unsigned char *buf = av_malloc(64 * 1024);
  AVIOContext *io = buf ? avio_alloc_context(buf, 64 * 1024, 0, &m, mem_read, NULL, mem_seek) : NULL;
  GBytes *jpeg = NULL;
  if (ic == NULL || io == NULL) {
    if (io == NULL)
      av_free(buf);
    avformat_free_context(ic);
    g_set_error(error, HW_SNAPSHOT_ERROR, HW_SNAPSHOT_ERROR_IO, "out of memory");
    goto out;
  }
  ic->pb = io;
  ic->interrupt_callback = (AVIOInterruptCB){interrupt_cb, &deadline};
  if (avformat_open_input(&ic, NULL, av_find_input_format("mp4"), NULL) < 0) {
    ic = NULL;
    g_set_error(error, HW_SNAPSHOT_ERROR, HW_SNAPSHOT_ERROR_DECODE,
                "the recording's fragment is not readable MP4");
    goto out;
  }
  avformat_find_stream_info(ic, NULL);
  int video = find_video(ic);
  if (video < 0) {
    g_set_error(error, HW_SNAPSHOT_ERROR, HW_SNAPSHOT_ERROR_NO_VIDEO, "no video in the recording");
    goto out;
  }
  jpeg = decode_first(ic, video, &deadline, error);
out:
  avformat_close_input(&ic);
  if (io != NULL) {
    av_freep(&io->buffer);
    avio_context_free(&io);
  }
  return jpeg;
}

static bool read_at(int fd, uint8_t *dst, int64_t offset, int64_t len)
{
  while (len > 0) {
    ssize_t n = pread(fd, dst, (size_t)len, offset);
    if (n <= 0)
      return false;
    dst += n;
    offset += n;
    len -= n;
  }
  return true;
}

GBytes *hw_snapshot_latest(HwStore *store, const char *footage_dir, const char *camera,
                           GError **error)
{
  g_return_val_if_fail(store && footage_dir && camera, NULL);
  hw_time_ns end = 0;
  if (!hw_store_last_end(store, camera, "main", &end, error))
    return NULL;
  g_autofree HwStoreFile *files = NULL;
  size_t n_files = 0;
  if (end > 0 && !hw_store_files_in_range(store, camera, "main", end - 1, end, &files, &n_files,
                                          error))
    return NULL;
  /* The last file whose fragments include a keyframe start. */
  for (size_t i = n_files; i-- > 0;) {
    g_autofree HwStoreFragment *frags = NULL;
    size_t n = 0;
    if (!hw_store_fragments_of_file(store, files[i].id, &frags, &n, error))
      return NULL;
    for (size_t k = n; k-- > 0;) {
      if (!frags[k].keyframe_start)
        continue;
      if (files[i].init_size <= 0 || frags[k].length > FRAGMENT_MAX)
        break;
      g_autofree char *path = g_build_filename(footage_dir, files[i].path, NULL);
      int fd = open(path, O_RDONLY | O_CLOEXEC);
      if (fd < 0) {
        g_set_error(error, HW_SNAPSHOT_ERROR, HW_SNAPSHOT_ERROR_IO, "cannot open %s: %s",
                    files[i].path, g_strerror(errno));
        return NULL;
      }
      size_t total = (size_t)(files[i].init_size + frags[k].length);
      g_autofree uint8_t *buf = g_malloc(total);
      bool ok = read_at(fd, buf, 0, files[i].init_size) &&
                read_at(fd, buf + files[i].init_size, frags[k].offset, frags[k].length);
      close(fd);
      if (!ok) {
        g_set_error(error, HW_SNAPSHOT_ERROR, HW_SNAPSHOT_ERROR_IO, "cannot read %s",
                    files[i].path);
        return NULL;
      }
      return hw_snapshot_decode_mp4(buf, total, error);
    }
  }
  g_set_error(error, HW_SNAPSHOT_ERROR, HW_SNAPSHOT_ERROR_NO_FOOTAGE,
              "camera %s has no recorded keyframe yet", camera);
  return NULL;
}
