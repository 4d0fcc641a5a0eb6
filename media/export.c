/* Evidence export (media/hw_export.h): the MP4 by libavformat stream copy, read from the recordings'
 * fragments through the index (one virtual file per source file: its init segment followed by the
 * fragments in range, fed to the mov demuxer through a custom AVIOContext, so nothing outside the
 * range is read), then manifest.json, its signature and the zip (media/package.c). */
#include "media/hw_export.h"
#include "media/hw_footage.h"
#include "media/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <libavformat/avformat.h>
#include <libavutil/avutil.h>
#include <libavutil/mathematics.h>
#include <nettle/sha2.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/timex.h>
#include <unistd.h>

G_DEFINE_QUARK(hw - export - error - quark, hw_export_error)

#define TICKS 90000                     /* the output's video timescale, as the recordings' */
#define PREROLL_MAX_PACKETS 4096        /* a GOP longer than this before `from` is cut */
#define GAP_MIN_NS (100 * HW_NS_PER_MS) /* a jump in capture time above this is a gap */
#define AVIO_BUFFER (256 * 1024)

/* ---- the virtual source file: init segment + fragments in range ----------------------------- */

typedef struct {
  int64_t src_off, len, virt_off;
} Slice;

typedef struct {
  int fd;
  Slice *slices;
  size_t n;
  int64_t size, pos;
  int64_t *bytes_read; /* progress */
} VirtFile;

static int virt_read(void *opaque, uint8_t *buf, int size)
{
  VirtFile *v = opaque;
  if (v->pos >= v->size)
    return AVERROR_EOF;
  size_t i = 0;
  while (i + 1 < v->n && v->slices[i + 1].virt_off <= v->pos)
    i++;
  const Slice *s = &v->slices[i];
  int64_t in = v->pos - s->virt_off;
  int64_t want = MIN((int64_t)size, s->len - in);
  ssize_t r;
  do
    r = pread(v->fd, buf, (size_t)want, s->src_off + in);
  while (r < 0 && errno == EINTR);
  if (r < 0)
    return AVERROR(errno);
  if (r == 0)
    return AVERROR_EOF; /* the file is shorter than the index says */
  v->pos += r;
  *v->bytes_read += r;
  return (int)r;
}

static int64_t virt_seek(void *opaque, int64_t offset, int whence)
{
  VirtFile *v = opaque;
  switch (whence & ~AVSEEK_FORCE) {
  case AVSEEK_SIZE:
    return v->size;
  case SEEK_SET:
    break;
  case SEEK_CUR:
    offset += v->pos;
    break;
  case SEEK_END:
    offset += v->size;
    break;
  default:
    return AVERROR(EINVAL);
  }
  if (offset < 0)
    return AVERROR(EINVAL);
  v->pos = offset;
  return offset;
}

/* ---- the export's state ------------------------------------------------------------------ */

typedef struct {
  HwStoreFile file;
  HwStoreFragment *frags;
  size_t n_frags, first, last; /* fragments [first, last] are read */
  bool used;
} Source;

typedef struct {
  hw_time_ns from_ns, to_ns; /* capture time not in the footage */
  double at_s;               /* where in the MP4 the footage resumes */
} Gap;

typedef struct {
  const HwExportRequest *req;
  AVFormatContext *out;
  AVStream *vst, *tst, *ast; /* video, capture-time text, AAC audio (NULL: none) */
  int64_t last_audio_dts;    /* output, in the audio track's time base */
  bool video_done;           /* a frame at or after `to` was met: only audio is still read */
  int64_t audio_packets;
  AVCodecParameters *par; /* the first source's, to detect a format change */
  Source *src;
  size_t n_src;
  GArray *gaps;
  int64_t total_bytes, bytes_read;
  /* timeline */
  bool started;         /* the zero point (the frame shown first) is known */
  hw_time_ns zero_wall; /* capture time of the frame at output time 0 */
  int64_t next_dts;     /* output dts (ticks) the next segment continues at */
  int64_t last_dts, last_pts_end;
  hw_time_ns last_wall_end; /* capture time just after the last frame written */
  hw_time_ns first_shown_wall;
  int64_t frames;
  bool truncated;
  char truncated_why[160];
  /* the timed-text cue being built */
  bool cue_open;
  int64_t cue_pts;
  hw_time_ns cue_wall;
  int64_t cue_second;
  double last_progress;
} Export;

static void progress(Export *x, double done)
{
  if (x->req->progress != NULL && (done - x->last_progress >= 0.01 || done >= 1.0)) {
    x->last_progress = done;
    x->req->progress(done, x->req->progress_user);
  }
}

static bool av_fail(GError **error, int err, const char *what)
{
  char text[AV_ERROR_MAX_STRING_SIZE];
  av_strerror(err, text, sizeof text);
  g_set_error(error, HW_EXPORT_ERROR, HW_EXPORT_ERROR_MEDIA, "%s: %s", what, text);
  return false;
}

/* ---- choosing what to read -------------------------------------------------------------- */

static bool plan(HwStore *store, Export *x, GError **error)
{
  const HwExportRequest *r = x->req;
  g_autofree HwStoreFile *files = NULL;
  size_t n = 0;
  if (!hw_store_files_in_range(store, r->camera, "main", r->from_ns, r->to_ns, &files, &n, error))
    return false;
  x->src = g_new0(Source, n);
  for (size_t i = 0; i < n; i++) {
    Source *s = &x->src[x->n_src];
    s->file = files[i];
    if (!hw_store_fragments_of_file(store, files[i].id, &s->frags, &s->n_frags, error))
      return false;
    /* The last keyframe fragment that starts at or before `from` (the first file only has
     * one before it), then every fragment that starts before `to`. */
    size_t first = SIZE_MAX, last = SIZE_MAX;
    for (size_t k = 0; k < s->n_frags; k++) {
      const HwStoreFragment *f = &s->frags[k];
      if (f->start_ns >= r->to_ns)
        break;
      if (f->keyframe_start && (f->start_ns <= r->from_ns || first == SIZE_MAX))
        first = k;
      last = k;
    }
    if (first == SIZE_MAX || last == SIZE_MAX || last < first ||
        s->frags[last].start_ns + s->frags[last].duration_ns <= r->from_ns) {
      g_clear_pointer(&s->frags, g_free);
      continue;
    }
    s->first = first;
    s->last = last;
    for (size_t k = first; k <= last; k++)
      x->total_bytes += s->frags[k].length;
    x->total_bytes += s->file.init_size;
    x->n_src++;
  }
  if (x->n_src == 0) {
    g_set_error(error, HW_EXPORT_ERROR, HW_EXPORT_ERROR_NO_FOOTAGE,
                "camera %s has no footage between the requested times", r->camera);
    return false;
  }
  return true;
}

/* ---- the output -------------------------------------------------------------------------- */

/* The tx3g sample description (3GPP TS 26.245 TextSampleEntry after the data reference index):
 * no flags, centred at the bottom, transparent background, one style in white, font "Sans". */
static const uint8_t tx3g_entry[] = {
    0, 0,    0, 0,                      /* displayFlags */
    1, 0xff,                            /* horizontal: centre; vertical: bottom */
    0, 0,    0, 0,                      /* background rgba */
    0, 0,    0, 0,    0,   0,   0,   0, /* default text box */
    0, 0,    0, 0,    0,   1,   0,   18,  0xff, 0xff, 0xff, 0xff, /* style: chars 0-0, font 1, plain, 18 px, white */
    0, 0,    0, 0x12, 'f', 't', 'a', 'b', 0,    1,    0,    1,    4, 'S', 'a', 'n', 's',
};

static bool open_output(Export *x, const char *path, const AVStream *in, const AVStream *ain,
                        GError **error)
{
  int err = avformat_alloc_output_context2(&x->out, NULL, "mp4", path);
  if (err < 0)
    return av_fail(error, err, "cannot make an MP4 muxer");
  x->vst = avformat_new_stream(x->out, NULL);
  x->tst = avformat_new_stream(x->out, NULL);
  if (x->vst == NULL || x->tst == NULL)
    return av_fail(error, AVERROR(ENOMEM), "cannot add a track");
  if ((err = avcodec_parameters_copy(x->vst->codecpar, in->codecpar)) < 0)
    return av_fail(error, err, "cannot copy the video parameters");
  /* The recordings carry H.265 parameter sets out of band (hvcC): "hvc1", which QuickTime,
   * Safari and Windows' player want (movenc would write "hev1"). */
  x->vst->codecpar->codec_tag =
      in->codecpar->codec_id == AV_CODEC_ID_HEVC ? MKTAG('h', 'v', 'c', '1') : 0;
  x->vst->time_base = (AVRational){1, TICKS};
  x->par = avcodec_parameters_alloc();
  avcodec_parameters_copy(x->par, in->codecpar);

  AVCodecParameters *t = x->tst->codecpar;
  t->codec_type = AVMEDIA_TYPE_SUBTITLE;
  t->codec_id = AV_CODEC_ID_MOV_TEXT;
  t->width = in->codecpar->width;
  t->height = in->codecpar->height / 8 > 0 ? in->codecpar->height / 8 : 1;
  t->extradata = av_mallocz(sizeof tx3g_entry + AV_INPUT_BUFFER_PADDING_SIZE);
  memcpy(t->extradata, tx3g_entry, sizeof tx3g_entry);
  t->extradata_size = sizeof tx3g_entry;
  x->tst->time_base = (AVRational){1, 1000};
  x->tst->disposition = AV_DISPOSITION_DEFAULT;
  av_dict_set(&x->tst->metadata, "language", "eng", 0);
  av_dict_set(&x->tst->metadata, "handler_name", "HallWatch capture time (UTC)", 0);
  if (ain != NULL) {
    x->ast = avformat_new_stream(x->out, NULL);
    if (x->ast == NULL || (err = avcodec_parameters_copy(x->ast->codecpar, ain->codecpar)) < 0)
      return av_fail(error, AVERROR(ENOMEM), "cannot add the audio track");
    x->ast->codecpar->codec_tag = 0;
    x->ast->time_base =
        (AVRational){1, ain->codecpar->sample_rate > 0 ? ain->codecpar->sample_rate : TICKS};
    x->last_audio_dts = INT64_MIN;
  }

  char when[40];
  hw_time_format(x->req->from_ns, when, sizeof when);
  av_dict_set(&x->out->metadata, "creation_time", when, 0);
  g_autofree char *comment =
      g_strdup_printf("HallWatch evidence export: camera %s from %s (capture time in the subtitle "
                      "track; see manifest.json)",
                      x->req->camera, when);
  av_dict_set(&x->out->metadata, "comment", comment, 0);

  if ((err = avio_open(&x->out->pb, path, AVIO_FLAG_WRITE)) < 0)
    return av_fail(error, err, "cannot create the MP4");
  AVDictionary *opts = NULL;
  /* moov first: movenc writes the file, then moves the moov in front (a second pass). */
  av_dict_set(&opts, "movflags", "+faststart", 0);
  av_dict_set(&opts, "use_editlist", "1", 0);
  err = avformat_write_header(x->out, &opts);
  av_dict_free(&opts);
  if (err < 0)
    return av_fail(error, err, "cannot write the MP4 header");
  return true;
}

/* Writes the open cue, which lasts until end_pts (ms). */
static bool close_cue(Export *x, int64_t end_ms, GError **error)
{
  if (!x->cue_open)
    return true;
  x->cue_open = false;
  if (end_ms <= x->cue_pts)
    return true;
  char text[64];
  hw_time_format(x->cue_wall, text, sizeof text);
  text[10] = ' '; /* "2026-11-28 03:20:01.023Z" reads better on a picture than the T form */
  g_strlcat(text, " UTC", sizeof text);
  char *z = strchr(text, 'Z');
  if (z != NULL)
    memmove(z, z + 1, strlen(z));
  size_t len = strlen(text);
  AVPacket *pkt = av_packet_alloc();
  av_new_packet(pkt, (int)len + 2);
  pkt->data[0] = (uint8_t)(len >> 8);
  pkt->data[1] = (uint8_t)len;
  memcpy(pkt->data + 2, text, len);
  pkt->stream_index = x->tst->index;
  pkt->pts = pkt->dts = x->cue_pts;
  pkt->duration = end_ms - x->cue_pts;
  pkt->flags = AV_PKT_FLAG_KEY;
  int err = av_interleaved_write_frame(x->out, pkt);
  av_packet_free(&pkt);
  return err >= 0 || av_fail(error, err, "cannot write the time track");
}

/* A shown frame at output pts (ticks) with capture time wall: a new cue every capture second. */
static bool cue_frame(Export *x, int64_t pts, hw_time_ns wall, GError **error)
{
  int64_t sec = wall / HW_NS_PER_S;
  int64_t ms = av_rescale(pts, 1000, TICKS);
  if (x->cue_open && sec == x->cue_second)
    return true;
  if (!close_cue(x, ms, error))
    return false;
  x->cue_open = true;
  x->cue_pts = ms;
  x->cue_wall = wall;
  x->cue_second = sec;
  return true;
}

/* ---- reading one source --------------------------------------------------------------------- */

typedef struct {
  AVPacket *pkt;
  hw_time_ns wall;     /* capture time of the frame (its presentation) */
  hw_time_ns wall_dts; /* capture time at its decode time */
} Pending;

static bool write_video(Export *x, AVPacket *pkt, int64_t dts, int64_t pts, hw_time_ns wall,
                        GError **error)
{
  pkt->stream_index = x->vst->index;
  pkt->dts = dts;
  pkt->pts = pts;
  pkt->pos = -1;
  x->last_dts = dts;
  if (pts + pkt->duration > x->last_pts_end)
    x->last_pts_end = pts + pkt->duration;
  if (pts >= 0) {
    if (x->frames == 0 || wall < x->first_shown_wall)
      x->first_shown_wall = wall;
    x->frames++;
    if (!cue_frame(x, pts, wall, error))
      return false;
  }
  int err = av_interleaved_write_frame(x->out, pkt);
  return err >= 0 || av_fail(error, err, "cannot write a video frame");
}

/* An audio packet (timestamps in the source's time base in_tb) moved by the segment's offset
 * (ticks); dropped before the first shown frame and where it would overlap the previous one (a
 * file boundary), so the track stays monotonic. */
static bool write_audio(Export *x, AVPacket *pkt, AVRational in_tb, int64_t seg_offset,
                        GError **error)
{
  if (x->ast == NULL)
    return true;
  AVRational tb = x->ast->time_base;
  int64_t src = pkt->dts != AV_NOPTS_VALUE ? pkt->dts : pkt->pts;
  int64_t dts = av_rescale_q(src, in_tb, tb) + av_rescale_q(seg_offset, (AVRational){1, TICKS}, tb);
  /* After the last frame only the audio that plays with it (the audio of a fragment follows its
   * video in the file). */
  if (dts < 0 || dts <= x->last_audio_dts ||
      (x->video_done && dts >= av_rescale_q(x->last_pts_end, (AVRational){1, TICKS}, tb)))
    return true;
  pkt->dts = pkt->pts = dts;
  pkt->duration = av_rescale_q(pkt->duration, in_tb, tb);
  pkt->stream_index = x->ast->index;
  pkt->pos = -1;
  x->last_audio_dts = dts;
  x->audio_packets++;
  int err = av_interleaved_write_frame(x->out, pkt);
  return err >= 0 || av_fail(error, err, "cannot write an audio frame");
}

static bool same_format(const AVCodecParameters *a, const AVCodecParameters *b)
{
  return a->codec_id == b->codec_id && a->width == b->width && a->height == b->height &&
         a->extradata_size == b->extradata_size &&
         (a->extradata_size == 0 ||
          memcmp(a->extradata, b->extradata, (size_t)a->extradata_size) == 0);
}

static void add_gap(Export *x, hw_time_ns from, hw_time_ns to)
{
  Gap g = {from, to, x->started ? (double)x->next_dts / TICKS : 0.0};
  g_array_append_val(x->gaps, g);
}

/* The zero point: of the frames gathered from the keyframe before `from` (pending, decode order,
 * the last one at or after `from`), the one captured nearest to `from` is shown first, at output
 * time 0; the earlier ones get negative times, which movenc turns into an edit list. Writes them
 * and the audio gathered meanwhile; *ret_seg_offset maps this source's times to the output's. */
static bool start(Export *x, GArray *pending, GPtrArray *pending_audio, AVRational audio_tb,
                  int64_t *ret_seg_offset, GError **error)
{
  const HwExportRequest *r = x->req;
  size_t best = pending->len - 1;
  if (pending->len >= 2) {
    const Pending *prev = &g_array_index(pending, Pending, pending->len - 2);
    const Pending *last = &g_array_index(pending, Pending, pending->len - 1);
    if (r->from_ns - prev->wall < last->wall - r->from_ns)
      best = pending->len - 2;
  }
  const Pending *b = &g_array_index(pending, Pending, best);
  x->zero_wall = b->wall;
  if (b->wall > r->from_ns + GAP_MIN_NS)
    add_gap(x, r->from_ns, b->wall);
  int64_t seg_offset = -b->pkt->pts;
  x->started = true;
  *ret_seg_offset = seg_offset;
  bool ok = true;
  for (guint i = 0; i < pending->len; i++) {
    Pending *q = &g_array_index(pending, Pending, i);
    int64_t dts = q->pkt->dts + seg_offset, pts = q->pkt->pts + seg_offset;
    /* Before writing: av_interleaved_write_frame() takes the packet and leaves it blank, so its
     * duration read afterwards is 0, and when this was the source's last frame the next source
     * continued at this frame's dts (EINVAL: "non monotonically increasing dts"). */
    x->last_wall_end = q->wall_dts + av_rescale(q->pkt->duration, HW_NS_PER_S, TICKS);
    x->next_dts = dts + q->pkt->duration;
    ok = ok && write_video(x, q->pkt, dts, pts, q->wall, error);
    av_packet_free(&q->pkt);
  }
  g_array_set_size(pending, 0);
  for (guint i = 0; i < pending_audio->len; i++) {
    AVPacket *a = g_ptr_array_index(pending_audio, i);
    ok = ok && write_audio(x, a, audio_tb, seg_offset, error);
    av_packet_free(&a);
  }
  g_ptr_array_set_size(pending_audio, 0);
  return ok;
}

/* Reads the source's fragments [first, last] and writes the frames in range. Returns false with
 * error on failure; sets x->truncated (and returns true) when the format changed. */
static bool copy_source(Export *x, Source *s, const char *tmp_path, GError **error)
{
  const HwExportRequest *r = x->req;
  g_autofree char *abs = g_build_filename(r->footage_dir, s->file.path, NULL);
  int fd = open(abs, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    g_set_error(error, HW_EXPORT_ERROR, HW_EXPORT_ERROR_IO, "footage file %s: %s", s->file.path,
                g_strerror(errno));
    return false;
  }
  size_t ns = s->last - s->first + 2;
  g_autofree Slice *slices = g_new0(Slice, ns);
  slices[0] = (Slice){0, s->file.init_size, 0};
  int64_t size = s->file.init_size;
  for (size_t k = s->first; k <= s->last; k++) {
    slices[k - s->first + 1] = (Slice){s->frags[k].offset, s->frags[k].length, size};
    size += s->frags[k].length;
  }
  VirtFile v = {fd, slices, ns, size, 0, &x->bytes_read};
  uint8_t *buf = av_malloc(AVIO_BUFFER);
  AVIOContext *io = avio_alloc_context(buf, AVIO_BUFFER, 0, &v, virt_read, NULL, virt_seek);
  AVFormatContext *in = avformat_alloc_context();
  AVPacket *pkt = av_packet_alloc();
  GArray *pending = g_array_new(FALSE, FALSE, sizeof(Pending));
  GPtrArray *pending_audio = g_ptr_array_new(); /* AVPacket*, until the zero point is known */
  bool ok = false;
  int err;
  /* Not seekable: the mov demuxer then reads the fragments once, in order, instead of scanning
   * every moof of the file on open and coming back (measured: 1.7x the bytes). */
  io->seekable = 0;
  in->pb = io;
  in->flags |= AVFMT_FLAG_CUSTOM_IO;
  if ((err = avformat_open_input(&in, NULL, av_find_input_format("mp4"), NULL)) < 0) {
    av_fail(error, err, s->file.path);
    goto out;
  }
  /* No avformat_find_stream_info: the moov holds all a stream copy needs, and probing would
   * decode frames and read fragments twice. */
  int vi = av_find_best_stream(in, AVMEDIA_TYPE_VIDEO, -1, -1, NULL, 0);
  if (vi < 0) {
    av_fail(error, vi, s->file.path);
    goto out;
  }
  AVStream *ist = in->streams[vi];
  int ai = av_find_best_stream(in, AVMEDIA_TYPE_AUDIO, -1, -1, NULL, 0);
  if (ai >= 0 && in->streams[ai]->codecpar->codec_id != AV_CODEC_ID_AAC)
    ai = -1;
  if (x->out == NULL) {
    if (!open_output(x, tmp_path, ist, ai >= 0 ? in->streams[ai] : NULL, error))
      goto out;
  } else if (!same_format(x->par, ist->codecpar)) {
    x->truncated = true;
    char when[40];
    g_snprintf(x->truncated_why, sizeof x->truncated_why,
               "the camera's format changed at %s (codec or resolution); one MP4 holds one format",
               hw_time_format(s->file.start_ns, when, sizeof when));
    ok = true;
    goto out;
  }
  s->used = true;

  /* Packets map to fragments by count: fragment k holds frags[k].frames video frames. The capture
   * time of a frame is its fragment's (prft) plus its decode time since the fragment's first. */
  size_t k = s->first;
  int32_t in_frag = 0;
  int64_t frag_dts0 = 0, seg_offset = 0; /* output dts = input dts + seg_offset */
  bool seg_started = false;
  AVRational tb = ist->time_base;
  while ((err = av_read_frame(in, pkt)) >= 0) {
    if (r->cancel != NULL && g_atomic_int_get(r->cancel)) {
      av_packet_unref(pkt);
      g_set_error(error, HW_EXPORT_ERROR, HW_EXPORT_ERROR_CANCELLED, "the export was cancelled");
      goto out;
    }
    if (pkt->stream_index == ai && x->ast != NULL) {
      if (!x->started) {
        if (pending_audio->len < PREROLL_MAX_PACKETS)
          g_ptr_array_add(pending_audio, av_packet_clone(pkt));
        av_packet_unref(pkt);
        continue;
      }
      bool w = !seg_started || write_audio(x, pkt, in->streams[ai]->time_base, seg_offset, error);
      av_packet_unref(pkt);
      if (!w)
        goto out;
      continue;
    }
    if (pkt->stream_index != vi || x->video_done) {
      av_packet_unref(pkt);
      continue;
    }
    while (k <= s->last && in_frag >= s->frags[k].frames) {
      k++;
      in_frag = 0;
    }
    if (k > s->last) {
      av_packet_unref(pkt);
      break;
    }
    av_packet_rescale_ts(pkt, tb, (AVRational){1, TICKS});
    if (pkt->dts == AV_NOPTS_VALUE)
      pkt->dts = pkt->pts;
    if (pkt->pts == AV_NOPTS_VALUE)
      pkt->pts = pkt->dts;
    if (in_frag == 0)
      frag_dts0 = pkt->dts;
    in_frag++;
    hw_time_ns wall_dts =
        s->frags[k].start_ns + av_rescale(pkt->dts - frag_dts0, HW_NS_PER_S, TICKS);
    hw_time_ns wall = wall_dts + av_rescale(pkt->pts - pkt->dts, HW_NS_PER_S, TICKS);
    if (pkt->duration <= 0)
      pkt->duration = TICKS / 25;
    if (wall_dts >= r->to_ns) {
      av_packet_unref(pkt);
      x->video_done = x->started;
      if (x->ast == NULL || !x->started)
        break;
      continue;
    }

    if (!x->started) {
      /* Gather from the keyframe until the frame nearest `from`; that one is shown first. */
      if (pending->len >= PREROLL_MAX_PACKETS) {
        Pending *p0 = &g_array_index(pending, Pending, 0);
        av_packet_free(&p0->pkt);
        g_array_remove_index(pending, 0);
      }
      Pending p = {av_packet_clone(pkt), wall, wall_dts};
      g_array_append_val(pending, p);
      av_packet_unref(pkt);
      if (wall < r->from_ns)
        continue;
      if (!start(x, pending, pending_audio,
                 ai >= 0 ? in->streams[ai]->time_base : (AVRational){1, 1}, &seg_offset, error))
        goto out;
      seg_started = true;
      continue;
    }
    if (!seg_started) {
      /* A new source continues the timeline where the last one ended; a jump in capture time
       * is a gap, listed in the manifest (the MP4 does not pretend to cover it). */
      if (wall_dts - x->last_wall_end > GAP_MIN_NS)
        add_gap(x, x->last_wall_end, wall_dts);
      seg_offset = x->next_dts - pkt->dts;
      seg_started = true;
    }
    int64_t dts = pkt->dts + seg_offset, pts = pkt->pts + seg_offset;
    x->last_wall_end = wall_dts + av_rescale(pkt->duration, HW_NS_PER_S, TICKS);
    x->next_dts = dts + pkt->duration;
    bool w = write_video(x, pkt, dts, pts, wall, error);
    av_packet_unref(pkt);
    if (!w)
      goto out;
    progress(x, 0.85 * (double)x->bytes_read / (double)MAX(x->total_bytes, 1));
  }
  if (err < 0 && err != AVERROR_EOF) {
    av_fail(error, err, s->file.path);
    goto out;
  }
  if (!x->started && pending->len > 0) {
    /* The footage ends before `from`: nothing of it is shown. */
    for (guint i = 0; i < pending->len; i++)
      av_packet_free(&g_array_index(pending, Pending, i).pkt);
    g_array_set_size(pending, 0);
  }
  ok = true;

out:
  for (guint i = 0; i < pending->len; i++)
    av_packet_free(&g_array_index(pending, Pending, i).pkt);
  g_array_free(pending, TRUE);
  for (guint i = 0; i < pending_audio->len; i++) {
    AVPacket *a = g_ptr_array_index(pending_audio, i);
    av_packet_free(&a);
  }
  g_ptr_array_free(pending_audio, TRUE);
  av_packet_free(&pkt);
  avformat_close_input(&in);
  if (io != NULL) {
    av_freep(&io->buffer);
    avio_context_free(&io);
  }
  close(fd);
  return ok;
}

/* ---- manifest -------------------------------------------------------------------------------- */

static json_t *time_json(hw_time_ns t)
{
  char buf[40];
  return json_string(hw_time_format(t, buf, sizeof buf));
}

static json_t *range_json(hw_time_ns from, hw_time_ns to)
{
  json_t *o = json_object();
  json_object_set_new(o, "from", time_json(from));
  json_object_set_new(o, "to", time_json(to));
  json_object_set_new(o, "from_ns", json_integer(from));
  json_object_set_new(o, "to_ns", json_integer(to));
  return o;
}

bool hw_media_sha256_file(const char *path, int64_t limit, char ret_hex[65], int64_t *ret_size,
                          GError **error)
{
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    g_set_error(error, HW_EXPORT_ERROR, HW_EXPORT_ERROR_IO, "%s: %s", path, g_strerror(errno));
    return false;
  }
  struct sha256_ctx ctx;
  sha256_init(&ctx);
  g_autofree uint8_t *buf = g_malloc(1 << 20);
  int64_t total = 0;
  for (;;) {
    size_t want = 1 << 20;
    if (limit >= 0 && (int64_t)want > limit - total)
      want = (size_t)(limit - total);
    if (want == 0)
      break;
    ssize_t r = read(fd, buf, want);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      g_set_error(error, HW_EXPORT_ERROR, HW_EXPORT_ERROR_IO, "%s: %s", path, g_strerror(errno));
      close(fd);
      return false;
    }
    if (r == 0)
      break;
    sha256_update(&ctx, (size_t)r, buf);
    total += r;
  }
  close(fd);
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256_digest(&ctx, sizeof d, d);
  for (size_t i = 0; i < sizeof d; i++)
    g_snprintf(ret_hex + 2 * i, 3, "%02x", d[i]);
  if (ret_size != NULL)
    *ret_size = total;
  return true;
}

/* The appliance's clock discipline now: the index keeps no history of it. adjtimex(2) with no
 * modes only reads, but systemd's ProtectClock= filters the call (EPERM); then the flag file of
 * systemd-timesyncd says whether it has synchronised since boot. */
static json_t *ntp_json(void)
{
  struct timex tx = {0};
  int state = adjtimex(&tx);
  int e = errno;
  json_t *o = json_object();
  json_object_set_new(o, "when", json_string("at export time (the index keeps no NTP history)"));
  if (state >= 0) {
    json_object_set_new(o, "source", json_string("adjtimex(2)"));
    json_object_set_new(o, "synchronized",
                        json_boolean(state != TIME_ERROR && !(tx.status & STA_UNSYNC)));
    json_object_set_new(o, "max_error_us", json_integer(tx.maxerror));
    json_object_set_new(o, "est_error_us", json_integer(tx.esterror));
  } else if (g_file_test("/run/systemd/timesync/synchronized", G_FILE_TEST_EXISTS)) {
    json_object_set_new(o, "source",
                        json_string("/run/systemd/timesync/synchronized "
                                    "(systemd-timesyncd synchronised since boot)"));
    json_object_set_new(o, "synchronized", json_true());
  } else {
    json_object_set_new(o, "source", json_string("none"));
    json_object_set_new(o, "synchronized", json_null());
    g_autofree char *why = g_strdup_printf(
        "adjtimex(2): %s, and no systemd-timesyncd synchronisation flag", g_strerror(e));
    json_object_set_new(o, "error", json_string(why));
  }
  return o;
}

/* Why a gap that no outage of the index explains has no footage, into buf: before the oldest
 * footage of the camera (its recordings begin later, or retention deleted the earlier ones: the
 * index cannot tell which), or simply not recorded. */
static const char *gap_why(HwStore *store, const char *camera, const Gap *g, char buf[200])
{
  HwFootageCoverage c = {0};
  hw_time_ns oldest = 0;
  if (hw_footage_coverage(store, camera, "main", g->from_ns, g->to_ns, hw_time_now(), &c, NULL))
    oldest = c.oldest_ns;
  hw_footage_coverage_clear(&c);
  char when[40];
  if (oldest > 0 && g->to_ns <= oldest + HW_FOOTAGE_JOIN_NS)
    g_snprintf(buf, 200,
               "before the oldest footage of this camera on the appliance (%s): not recorded, or "
               "deleted by retention",
               hw_time_format(oldest, when, sizeof when));
  else
    g_strlcpy(buf, "not recorded, and the index holds no outage for this time", 200);
  return buf;
}

static json_t *manifest_build(HwStore *store, Export *x, const char *mp4_sha, int64_t mp4_size,
                              const char *pem_sha, int64_t pem_size, GError **error)
{
  const HwExportRequest *r = x->req;
  json_t *m = json_object();
  json_object_set_new(m, "format", json_string(HW_EXPORT_FORMAT));
  json_object_set_new(m, "export_id", r->export_id ? json_string(r->export_id) : json_null());

  json_t *cam = json_object();
  json_object_set_new(cam, "id", json_string(r->camera));
  HwStoreCamera c;
  g_autoptr(GError) local = NULL;
  if (hw_store_camera_get(store, r->camera, NULL, &c, &local)) {
    json_object_set_new(cam, "name", json_string(c.name));
    json_object_set_new(cam, "hall", c.hall[0] ? json_string(c.hall) : json_null());
    json_object_set_new(cam, "clock", json_string(c.clock));
  }
  json_object_set_new(cam, "stream", json_string("main"));
  json_object_set_new(m, "camera", cam);

  g_autofree HwStoreWindowSpan *spans = NULL;
  size_t n_spans = 0;
  json_t *wins = json_array();
  if (!hw_store_camera_window_spans(store, r->camera, r->from_ns, r->to_ns, &spans, &n_spans,
                                    error)) {
    json_decref(wins);
    json_decref(m);
    return NULL;
  }
  for (size_t i = 0; i < n_spans; i++) {
    json_t *w = json_object();
    json_object_set_new(w, "hall", json_string(spans[i].hall));
    json_object_set_new(w, "window", json_string(spans[i].code));
    json_object_set_new(w, "name", json_string(spans[i].name));
    json_object_set_new(w, "covered_from", time_json(spans[i].from_ns));
    json_object_set_new(w, "covered_to", spans[i].to_ns ? time_json(spans[i].to_ns) : json_null());
    json_array_append_new(wins, w);
  }
  json_object_set_new(m, "windows", wins);

  if (r->case_id != NULL || r->stage != NULL) {
    json_t *cs = json_object();
    json_object_set_new(cs, "case", r->case_id ? json_string(r->case_id) : json_null());
    json_object_set_new(cs, "stage", r->stage ? json_string(r->stage) : json_null());
    json_object_set_new(cs, "event", r->stage_event ? json_string(r->stage_event) : json_null());
    if (r->case_department != NULL) {
      json_object_set_new(cs, "department", json_string(r->case_department));
      json_object_set_new(cs, "time", r->stage_time_ns ? time_json(r->stage_time_ns) : json_null());
      json_object_set_new(cs, "time_ns", json_integer(r->stage_time_ns));
      json_object_set_new(cs, "hall", r->stage_hall ? json_string(r->stage_hall) : json_null());
      json_object_set_new(cs, "window",
                          r->stage_window ? json_string(r->stage_window) : json_null());
    }
    json_object_set_new(m, "case", cs);
  } else {
    json_object_set_new(m, "case", json_null());
  }

  json_object_set_new(m, "requested", range_json(r->from_ns, r->to_ns));
  hw_time_ns actual_to = x->last_wall_end;
  json_object_set_new(m, "actual", range_json(x->first_shown_wall, actual_to));
  json_t *gaps = json_array();
  char why[200];
  for (guint i = 0; i < x->gaps->len; i++) {
    const Gap *g = &g_array_index(x->gaps, Gap, i);
    json_t *o = range_json(g->from_ns, g->to_ns);
    json_object_set_new(o, "mp4_position_s", json_real(g->at_s));
    g_autofree HwStoreOutage *outs = NULL;
    size_t n_out = 0;
    json_t *reasons = json_array();
    if (hw_store_outages_in_range(store, r->camera, "main", g->from_ns, g->to_ns, &outs, &n_out,
                                  NULL))
      for (size_t k = 0; k < n_out; k++) {
        json_t *ro = json_pack("{s:s, s:s}", "reason", outs[k].reason, "detail", outs[k].detail);
        json_object_set_new(ro, "from", time_json(outs[k].start_ns));
        json_object_set_new(ro, "to", outs[k].end_ns ? time_json(outs[k].end_ns) : json_null());
        json_array_append_new(reasons, ro);
      }
    json_object_set_new(o, "outages", reasons);
    if (n_out == 0)
      json_object_set_new(o, "why", json_string(gap_why(store, r->camera, g, why)));
    json_array_append_new(gaps, o);
  }
  /* Footage that ends before `to` is a gap at the end. */
  if (actual_to + GAP_MIN_NS < r->to_ns) {
    json_t *o = range_json(actual_to, r->to_ns);
    json_object_set_new(o, "mp4_position_s", json_real((double)x->last_pts_end / TICKS));
    json_object_set_new(o, "outages", json_array());
    if (x->truncated)
      json_object_set_new(o, "why", json_string(x->truncated_why));
    json_array_append_new(gaps, o);
  }
  json_object_set_new(m, "gaps", gaps);

  json_t *mp4 = json_object();
  json_object_set_new(mp4, "name", json_string(HW_EXPORT_MP4_NAME));
  json_object_set_new(mp4, "size", json_integer(mp4_size));
  json_object_set_new(mp4, "sha256", json_string(mp4_sha));
  json_object_set_new(mp4, "codec", json_string(avcodec_get_name(x->par->codec_id)));
  json_object_set_new(mp4, "width", json_integer(x->par->width));
  json_object_set_new(mp4, "height", json_integer(x->par->height));
  json_object_set_new(mp4, "frames_shown", json_integer(x->frames));
  json_object_set_new(mp4, "duration_s", json_real((double)x->last_pts_end / TICKS));
  json_object_set_new(
      mp4, "starts_at",
      json_string(
          "an edit list skips the frames from the keyframe before the requested start; playback "
          "begins at the frame captured nearest to it (actual.from)"));
  json_object_set_new(mp4, "capture_time",
                      json_string("track 2, timed text (tx3g): the capture time (UTC) of the frame "
                                  "at each cue, one cue per "
                                  "captured second"));
  json_object_set_new(mp4, "audio",
                      json_string(x->ast != NULL
                                      ? "AAC, copied (track 3)"
                                      : "none (the first source file has no AAC track)"));
  json_object_set_new(m, "mp4", mp4);
  json_object_set_new(m, "mp4_sha256", json_string(mp4_sha));

  json_t *sources = json_array();
  json_t *modes = json_array();
  for (size_t i = 0; i < x->n_src; i++) {
    const Source *s = &x->src[i];
    if (!s->used)
      continue;
    json_t *o = json_object();
    json_object_set_new(o, "path", json_string(s->file.path));
    json_object_set_new(o, "start", time_json(s->file.start_ns));
    json_object_set_new(o, "end", time_json(s->file.end_ns));
    json_object_set_new(o, "run_id", json_integer(s->file.run_id));
    json_object_set_new(o, "fragments_used",
                        json_pack("[I, I]", (json_int_t)s->first, (json_int_t)s->last));
    if (s->file.closed) {
      json_object_set_new(o, "size", json_integer(s->file.size));
      json_object_set_new(o, "sha256", json_string(s->file.sha256));
      json_object_set_new(o, "sha256_of", json_string("the whole file, computed as it was closed"));
    } else {
      char hex[65];
      int64_t got = 0;
      g_autofree char *abs = g_build_filename(r->footage_dir, s->file.path, NULL);
      if (!hw_media_sha256_file(abs, s->file.size, hex, &got, error)) {
        json_decref(o);
        json_decref(sources);
        json_decref(modes);
        json_decref(m);
        return NULL;
      }
      json_object_set_new(o, "size", json_integer(got));
      json_object_set_new(o, "sha256", json_string(hex));
      json_object_set_new(
          o, "sha256_of",
          json_string("the first `size` bytes (the file was still being recorded)"));
    }
    json_object_set_new(o, "clock_mode", json_string(s->file.clock_mode));
    json_object_set_new(o, "clock_offset_ns", json_integer(s->file.clock_offset_ns));
    json_array_append_new(sources, o);
    bool seen = false;
    for (size_t j = 0; j < json_array_size(modes); j++)
      seen |= strcmp(json_string_value(json_array_get(modes, j)), s->file.clock_mode) == 0;
    if (!seen)
      json_array_append_new(modes, json_string(s->file.clock_mode));
  }
  json_object_set_new(m, "sources", sources);

  json_t *tp = json_object();
  json_object_set_new(tp, "clock_modes", modes);
  json_object_set_new(
      tp, "clock_modes_mean",
      json_string(
          "local: capture time = the appliance's clock at arrival, steered by the camera's media "
          "clock; camera: the camera's own NTP time from RTCP sender reports (docs/time.md)"));
  json_object_set_new(tp, "clock_offset",
                      json_string("per source: the last measured camera clock minus local clock "
                                  "(0: not measured)"));
  json_object_set_new(tp, "appliance_ntp", ntp_json());
  json_object_set_new(m, "time", tp);

  json_t *ex = json_object();
  json_object_set_new(ex, "user", r->exporter ? json_string(r->exporter) : json_null());
  json_object_set_new(ex, "role", r->exporter_role ? json_string(r->exporter_role) : json_null());
  json_object_set_new(m, "exporter", ex);
  json_object_set_new(m, "exported_at", time_json(hw_time_now()));
  json_object_set_new(m, "hallwatch_version", json_string(r->version ? r->version : "unknown"));

  char fp[65] = "";
  hw_key_fingerprint(hw_key_public_hex(r->key), fp);
  json_t *ap = json_object();
  json_object_set_new(ap, "public_key", json_string(hw_key_public_hex(r->key)));
  json_object_set_new(ap, "fingerprint", json_string(fp));
  json_object_set_new(ap, "database", json_string(hw_store_uuid(store)));
  json_object_set_new(m, "appliance", ap);

  json_t *files = json_array();
  json_array_append_new(files, json_pack("{s:s, s:s, s:I}", "name", HW_EXPORT_MP4_NAME, "sha256",
                                         mp4_sha, "size", (json_int_t)mp4_size));
  json_array_append_new(files, json_pack("{s:s, s:s, s:I}", "name", HW_EXPORT_PUBKEY_NAME, "sha256",
                                         pem_sha, "size", (json_int_t)pem_size));
  json_object_set_new(m, "package_files", files);
  return m;
}

/* ---- the whole export ------------------------------------------------------------------------ */

static void export_clear(Export *x)
{
  if (x->out != NULL) {
    avio_closep(&x->out->pb);
    avformat_free_context(x->out);
  }
  avcodec_parameters_free(&x->par);
  for (size_t i = 0; i < x->n_src; i++)
    g_free(x->src[i].frags);
  g_free(x->src);
  if (x->gaps)
    g_array_free(x->gaps, TRUE);
}

/* Hashes the MP4, builds and signs the manifest, writes the zip. */
static bool package(HwStore *store, Export *x, const char *mp4_path, HwExportResult *res,
                    json_t **ret_manifest, GError **error)
{
  const HwExportRequest *r = x->req;
  char mp4_sha[65];
  int64_t mp4_size = 0;
  if (!hw_media_sha256_file(mp4_path, -1, mp4_sha, &mp4_size, error))
    return false;
  g_autofree char *pem = hw_key_public_pem(hw_key_public_hex(r->key));
  g_autofree char *pem_sha = g_compute_checksum_for_string(G_CHECKSUM_SHA256, pem, -1);
  json_t *manifest =
      manifest_build(store, x, mp4_sha, mp4_size, pem_sha, (int64_t)strlen(pem), error);
  if (manifest == NULL)
    return false;
  *ret_manifest = manifest; /* the caller frees it, whatever happens next */
  if (!hw_package_write_signed(r->package_path, mp4_path, manifest, r->key, error))
    return false;
  if (!hw_media_sha256_file(r->package_path, -1, res->package_sha256, &res->package_size, error)) {
    g_unlink(r->package_path);
    return false;
  }
  res->mp4_size = mp4_size;
  g_strlcpy(res->mp4_sha256, mp4_sha, sizeof res->mp4_sha256);
  return true;
}

bool hw_export_run(HwStore *store, const HwExportRequest *r, HwExportResult *ret, GError **error)
{
  g_return_val_if_fail(store && r && r->camera && r->footage_dir && r->package_path && r->key,
                       false);
  if (r->to_ns <= r->from_ns) {
    g_set_error(error, HW_EXPORT_ERROR, HW_EXPORT_ERROR_INVALID,
                "the range is empty: `to` must come after `from`");
    return false;
  }
  Export x = {.req = r, .gaps = g_array_new(FALSE, FALSE, sizeof(Gap)), .last_progress = -1};
  g_autofree char *mp4_path = g_strconcat(r->package_path, ".mp4.tmp", NULL);
  bool ok = false;
  HwExportResult res = {0};
  json_t *manifest = NULL;

  if (!plan(store, &x, error))
    goto out;
  progress(&x, 0);
  for (size_t i = 0; i < x.n_src && !x.truncated && !x.video_done; i++)
    if (!copy_source(&x, &x.src[i], mp4_path, error))
      goto out;
  if (x.out == NULL || x.frames == 0) {
    g_set_error(error, HW_EXPORT_ERROR, HW_EXPORT_ERROR_NO_FOOTAGE,
                "camera %s has no frame between the requested times", r->camera);
    goto out;
  }
  if (!close_cue(&x, av_rescale(x.last_pts_end, 1000, TICKS), error))
    goto out;
  int err = av_write_trailer(x.out);
  if (err < 0) {
    av_fail(error, err, "cannot finish the MP4");
    goto out;
  }
  avio_closep(&x.out->pb);
  progress(&x, 0.9);

  if (!package(store, &x, mp4_path, &res, &manifest, error))
    goto out;
  res.actual_from_ns = x.first_shown_wall;
  res.actual_to_ns = x.last_wall_end;
  res.frames = x.frames;
  res.n_gaps = json_array_size(json_object_get(manifest, "gaps"));
  for (size_t i = 0; i < x.n_src; i++)
    res.n_sources += x.src[i].used;
  res.source_bytes = x.bytes_read;
  progress(&x, 1.0);
  *ret = res;
  ok = true;

out:
  json_decref(manifest);
  export_clear(&x);
  g_unlink(mp4_path);
  return ok;
}
