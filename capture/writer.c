/* The segment writer: one camera stream's frames → fragments (one writev each) → files of a
 * configurable span, each starting on a keyframe, plus the index operations that describe them.
 * Runs on the streaming threads; the index thread makes the bytes durable before indexing. */
#include "capture/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

typedef struct {
  GstBuffer *buf;
  int64_t dts, pts;
  bool key;
  hw_time_ns arrival;
  int64_t arrival_mono;
} VideoFrame;

typedef struct {
  GstBuffer *buf;
  int64_t pts;
} AudioFrame;

struct HwSegWriter {
  GMutex lock;
  HwIndexer *ix;
  char *root, *camera, *stream;
  HwClockMode clock_mode;
  int64_t file_span_ns, fragment_max_ns;

  /* format */
  char codec[16];
  int width, height;
  GBytes *codec_data;
  uint32_t audio_rate;
  int audio_channels;
  GBytes *audio_config;

  /* the open file */
  HwSegFile *file;
  struct sha256_ctx sha;
  int64_t file_size;
  int64_t file_dts0;        /* media time of the file's first frame: decode time 0 */
  uint32_t seq;
  hw_time_ns file_end;
  uint64_t audio_next_dt;   /* audio decode time continuing from the last fragment */
  bool file_has_audio;
  bool reopen_at_key;       /* the audio format arrived after the file started */

  HwWallClock clock;
  int64_t run_id;
  bool paused;

  GArray *video; /* VideoFrame: frames of the fragment being gathered */
  GArray *audio; /* AudioFrame waiting to be placed in a fragment */
  GByteArray *hdr;

  HwSegWriterStats stats;
  bool error_pending;
  HwLiveChannel *live; /* NULL: no live view */
};

static void video_frame_clear(gpointer p) { gst_buffer_unref(((VideoFrame *)p)->buf); }
static void audio_frame_clear(gpointer p) { gst_buffer_unref(((AudioFrame *)p)->buf); }

HwSegWriter *hw_segwriter_new(HwIndexer *ix, const HwSegWriterConfig *cfg)
{
  HwSegWriter *w = g_new0(HwSegWriter, 1);
  g_mutex_init(&w->lock);
  w->ix = ix;
  w->root = g_strdup(cfg->footage_root);
  w->camera = g_strdup(cfg->camera);
  w->stream = g_strdup(cfg->stream);
  w->clock_mode = cfg->clock_mode;
  w->file_span_ns = cfg->file_span_ns;
  w->fragment_max_ns = cfg->fragment_max_ns;
  hw_wallclock_init(&w->clock, cfg->clock_bound_ns);
  w->video = g_array_new(FALSE, FALSE, sizeof(VideoFrame));
  g_array_set_clear_func(w->video, video_frame_clear);
  w->audio = g_array_new(FALSE, FALSE, sizeof(AudioFrame));
  g_array_set_clear_func(w->audio, audio_frame_clear);
  w->hdr = g_byte_array_sized_new(4096);
  if (cfg->live != NULL) {
    w->live = hw_live_channel_ref(cfg->live);
    hw_live_channel_publisher(w->live, true);
  }
  return w;
}

/* ---- paths ----------------------------------------------------------------------------------- */

char *hw_segpath_new(const char *camera, const char *stream, hw_time_ns start)
{
  g_autoptr(GDateTime) dt = g_date_time_new_from_unix_utc(start / HW_NS_PER_S);
  int ms = (int)((start % HW_NS_PER_S) / HW_NS_PER_MS);
  return g_strdup_printf("%s/%04d/%02d/%02d/%04d%02d%02dT%02d%02d%02d.%03dZ-%s.mp4", camera,
                         g_date_time_get_year(dt), g_date_time_get_month(dt),
                         g_date_time_get_day_of_month(dt), g_date_time_get_year(dt),
                         g_date_time_get_month(dt), g_date_time_get_day_of_month(dt),
                         g_date_time_get_hour(dt), g_date_time_get_minute(dt),
                         g_date_time_get_second(dt), ms, stream);
}

static bool all_digits(const char *s, size_t n)
{
  for (size_t i = 0; i < n; i++)
    if (!g_ascii_isdigit(s[i]))
      return false;
  return s[n] == '\0' || !g_ascii_isdigit(s[n]);
}

bool hw_segpath_parse(const char *relpath, char *camera, size_t camera_len, char *stream,
                      size_t stream_len)
{
  /* Strict: recovery may delete an unreadable file of this shape, so only names HallWatch itself
   * makes match: <camera>/<yyyy>/<mm>/<dd>/<yyyymmdd>T<hhmmss>.<mmm>Z-<main|sub>.mp4, with the
   * folders agreeing with the name's date. */
  g_auto(GStrv) parts = g_strsplit(relpath, "/", -1);
  if (g_strv_length(parts) != 5 || parts[0][0] == '\0' || parts[0][0] == '.' ||
      strlen(parts[0]) > 63)
    return false;
  const char *y = parts[1], *m = parts[2], *d = parts[3], *name = parts[4];
  if (strlen(y) != 4 || strlen(m) != 2 || strlen(d) != 2 || !all_digits(y, 4) ||
      !all_digits(m, 2) || !all_digits(d, 2))
    return false;
  /* 20261127T231042.123Z-main.mp4 */
  size_t n = strlen(name);
  if (n < 26 || strncmp(name, y, 4) != 0 || strncmp(name + 4, m, 2) != 0 ||
      strncmp(name + 6, d, 2) != 0 || name[8] != 'T' || !all_digits(name + 9, 6) ||
      name[15] != '.' || !all_digits(name + 16, 3) || name[19] != 'Z' || name[20] != '-')
    return false;
  const char *s = name + 21;
  if (strcmp(s, "main.mp4") != 0 && strcmp(s, "sub.mp4") != 0)
    return false;
  g_strlcpy(camera, parts[0], camera_len);
  g_strlcpy(stream, s, MIN(stream_len, (size_t)(strchr(s, '.') - s) + 1));
  return true;
}

/* mkdir -p for the file's folder, remembering which folders are new (their parents must be
 * fsynced for the new entries to survive a power cut). */
static bool make_dirs(const char *root, const char *reldir, char **created, size_t max,
                      GError **error)
{
  g_auto(GStrv) parts = g_strsplit(reldir, "/", -1);
  g_autofree char *path = g_strdup(root);
  size_t n = 0;
  for (size_t i = 0; parts[i]; i++) {
    char *next = g_build_filename(path, parts[i], NULL);
    g_free(path);
    path = next;
    if (mkdir(path, 0750) == 0) {
      if (n < max)
        created[n++] = g_strdup(path);
    } else if (errno != EEXIST) {
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot create folder %s: %s",
                  path, g_strerror(errno));
      return false;
    }
  }
  return true;
}

/* Writes all of iov, continuing after short writes. */
static bool write_all(int fd, struct iovec *iov, int n, GError **error)
{
  while (n > 0) {
    ssize_t r = writev(fd, iov, MIN(n, IOV_MAX));
    if (r < 0) {
      if (errno == EINTR)
        continue;
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "write failed: %s",
                  g_strerror(errno));
      return false;
    }
    while (n > 0 && (size_t)r >= iov->iov_len) {
      r -= (ssize_t)iov->iov_len;
      iov++;
      n--;
    }
    if (n > 0) {
      iov->iov_base = (uint8_t *)iov->iov_base + r;
      iov->iov_len -= (size_t)r;
    }
  }
  return true;
}

static void set_error(HwSegWriter *w, const char *what, const GError *error)
{
  g_snprintf(w->stats.error, sizeof w->stats.error, "%s: %s", what, error->message);
  w->error_pending = true;
}

/* ---- files ----------------------------------------------------------------------------------- */

static void close_file(HwSegWriter *w)
{
  if (w->file == NULL)
    return;
  uint8_t digest[SHA256_DIGEST_SIZE];
  sha256_digest(&w->sha, sizeof digest, digest);
  char hex[65];
  for (size_t i = 0; i < sizeof digest; i++)
    g_snprintf(hex + 2 * i, 3, "%02x", digest[i]);
  hw_indexer_file_close(w->ix, w->file, w->file_size, w->file_end, hex);
  hw_segfile_unref(w->file);
  w->file = NULL;
}

static bool open_file(HwSegWriter *w, hw_time_ns start, int64_t dts0, GError **error)
{
  bool audio = w->audio_config != NULL;
  HwFmp4Tracks t = {.width = w->width, .height = w->height, .has_audio = audio};
  g_strlcpy(t.codec, w->codec, sizeof t.codec);
  gsize len = 0;
  t.codec_data = w->codec_data ? g_bytes_get_data(w->codec_data, &len) : NULL;
  t.codec_data_len = len;
  if (audio) {
    t.audio_config = g_bytes_get_data(w->audio_config, &len);
    t.audio_config_len = len;
    t.audio_rate = w->audio_rate;
    t.audio_channels = w->audio_channels;
  }
  g_byte_array_set_size(w->hdr, 0);
  if (!hw_fmp4_write_init(w->hdr, &t)) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_SUPPORTED,
                "cannot record %s %dx%d without codec data", w->codec, w->width, w->height);
    return false;
  }

  g_autofree char *rel = hw_segpath_new(w->camera, w->stream, start);
  g_autofree char *reldir = g_path_get_dirname(rel);
  HwSegFile *f = g_new0(HwSegFile, 1);
  f->refs = 1;
  f->fd = -1;
  if (!make_dirs(w->root, reldir, f->dirs_to_sync, G_N_ELEMENTS(f->dirs_to_sync) - 1, error)) {
    hw_segfile_unref(f);
    return false;
  }
  f->abspath = g_build_filename(w->root, rel, NULL);
  f->fd = open(f->abspath, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0640);
  if (f->fd < 0) {
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot create %s: %s",
                f->abspath, g_strerror(errno));
    hw_segfile_unref(f);
    return false;
  }
  struct iovec iov = {w->hdr->data, w->hdr->len};
  if (!write_all(f->fd, &iov, 1, error)) {
    unlink(f->abspath);
    hw_segfile_unref(f);
    return false;
  }

  HwStoreFile *r = &f->row;
  g_strlcpy(r->camera, w->camera, sizeof r->camera);
  g_strlcpy(r->stream, w->stream, sizeof r->stream);
  g_strlcpy(r->path, rel, sizeof r->path);
  g_strlcpy(r->codec, w->codec, sizeof r->codec);
  g_strlcpy(r->audio_codec, audio ? "aac" : "", sizeof r->audio_codec);
  r->width = w->width;
  r->height = w->height;
  r->start_ns = start;
  r->end_ns = start;
  r->size = w->hdr->len;
  r->init_size = w->hdr->len;
  g_strlcpy(r->clock_mode, w->clock_mode == HW_CLOCK_CAMERA ? "camera" : "local",
            sizeof r->clock_mode);
  r->clock_offset_ns = w->clock.last_error_ns;
  r->run_id = w->run_id;

  sha256_init(&w->sha);
  sha256_update(&w->sha, w->hdr->len, w->hdr->data);
  w->file = f;
  w->file_size = w->hdr->len;
  w->file_dts0 = dts0;
  w->file_end = start;
  w->seq = 0;
  w->audio_next_dt = 0;
  w->file_has_audio = audio;
  w->reopen_at_key = false;
  w->stats.files++;
  hw_indexer_file_open(w->ix, f);
  return true;
}

/* ---- fragments ------------------------------------------------------------------------------- */

static uint64_t to_ts(int64_t ns, uint32_t timescale)
{
  return ns <= 0 ? 0 : (uint64_t)(((__int128)ns * timescale + HW_NS_PER_S / 2) / HW_NS_PER_S);
}

/* The run ends: the clock mapping starts over at the next fragment. */
static void end_run(HwSegWriter *w)
{
  close_file(w);
  hw_wallclock_init(&w->clock, w->clock.bound_ns);
  w->run_id = 0;
  w->stats.run_start = 0;
}

/* Writes the gathered frames (and the audio that falls within them) to the open file as one
 * fragment starting at wall, and queues its index row. On failure the file is cut back to its
 * last whole fragment and closed. */
static bool write_fragment(HwSegWriter *w, int64_t end_dts, hw_time_ns wall)
{
  VideoFrame *fr = (VideoFrame *)w->video->data;
  size_t n = w->video->len;
  bool key = fr[0].key;
  /* Video samples: durations from the decode times, rounded cumulatively so they never drift. */
  g_autofree HwFmp4Sample *vs = g_new0(HwFmp4Sample, n);
  int64_t base = w->file_dts0;
  for (size_t i = 0; i < n; i++) {
    int64_t next = i + 1 < n ? fr[i + 1].dts : end_dts;
    vs[i].size = (uint32_t)gst_buffer_get_size(fr[i].buf);
    vs[i].duration = (uint32_t)(to_ts(next - base, HW_FMP4_VIDEO_TIMESCALE) -
                                to_ts(fr[i].dts - base, HW_FMP4_VIDEO_TIMESCALE));
    vs[i].cts = (int32_t)((fr[i].pts - fr[i].dts) * (int64_t)HW_FMP4_VIDEO_TIMESCALE / HW_NS_PER_S);
    vs[i].key = fr[i].key;
  }
  uint64_t video_dt = to_ts(fr[0].dts - base, HW_FMP4_VIDEO_TIMESCALE);

  /* Audio samples that start before the fragment's end; older than the file are dropped. */
  size_t na = 0;
  uint64_t audio_dt = 0;
  AudioFrame *af = (AudioFrame *)w->audio->data;
  size_t drop_audio = 0;
  if (w->file_has_audio) {
    while (drop_audio < w->audio->len && af[drop_audio].pts < base)
      drop_audio++;
    while (drop_audio + na < w->audio->len && af[drop_audio + na].pts < end_dts)
      na++;
  }
  g_autofree HwFmp4Sample *as = g_new0(HwFmp4Sample, na + 1);
  if (na > 0) {
    uint64_t from_pts = to_ts(af[drop_audio].pts - base, w->audio_rate);
    /* Continue the previous fragment's audio unless the stream jumped (a gap of > 100 ms). */
    audio_dt = (w->audio_next_dt > 0 &&
                (from_pts > w->audio_next_dt ? from_pts - w->audio_next_dt
                                             : w->audio_next_dt - from_pts) < w->audio_rate / 10)
                   ? w->audio_next_dt
                   : from_pts;
    for (size_t i = 0; i < na; i++) {
      as[i].size = (uint32_t)gst_buffer_get_size(af[drop_audio + i].buf);
      as[i].duration = 1024; /* AAC-LC frame */
      as[i].key = true;
    }
    w->audio_next_dt = audio_dt + 1024 * na;
  }

  w->seq++;
  g_byte_array_set_size(w->hdr, 0);
  hw_fmp4_write_fragment_header(w->hdr, w->seq, wall, video_dt, vs, n, audio_dt, as, na);

  /* One writev for the whole fragment: headers, video, audio. */
  size_t niov = 1 + n + na;
  g_autofree struct iovec *iov = g_new(struct iovec, niov);
  g_autofree GstMapInfo *maps = g_new0(GstMapInfo, n + na);
  iov[0] = (struct iovec){w->hdr->data, w->hdr->len};
  sha256_update(&w->sha, w->hdr->len, w->hdr->data);
  for (size_t i = 0; i < n + na; i++) {
    GstBuffer *b = i < n ? fr[i].buf : af[drop_audio + i - n].buf;
    gst_buffer_map(b, &maps[i], GST_MAP_READ);
    iov[1 + i] = (struct iovec){maps[i].data, maps[i].size};
    sha256_update(&w->sha, maps[i].size, maps[i].data);
  }
  int64_t length = (int64_t)w->hdr->len;
  for (size_t i = 0; i < n + na; i++)
    length += (int64_t)maps[i].size;
  g_autoptr(GError) error = NULL;
  bool ok = write_all(w->file->fd, iov, (int)niov, &error);
  for (size_t i = 0; i < n + na; i++)
    gst_buffer_unmap(i < n ? fr[i].buf : af[drop_audio + i - n].buf, &maps[i]);
  if (!ok) {
    /* The tail may be torn: cut the file back so it ends on its last whole fragment. */
    if (ftruncate(w->file->fd, w->file_size) != 0)
      g_warning("camera %s/%s: cannot cut back %s: %s", w->camera, w->stream, w->file->abspath,
                g_strerror(errno));
    set_error(w, "cannot write footage", error);
    close_file(w);
    return false;
  }

  int64_t duration = end_dts - fr[0].dts;
  HwStoreFragment frag = {
      .seq = (int32_t)(w->seq - 1),
      .offset = w->file_size,
      .length = length,
      .start_ns = wall,
      .duration_ns = duration,
      .frames = (int32_t)n,
      .keyframe_start = key,
  };
  hw_indexer_fragment(w->ix, w->file, &frag);
  w->file_size += length;
  w->file_end = wall + duration;
  w->stats.bytes += (uint64_t)length;
  w->stats.frames += n;
  w->stats.fragments++;
  w->stats.last_wall_end = w->file_end;
  g_array_remove_range(w->audio, 0, drop_audio + na);
  g_array_set_size(w->video, 0);
  return true;
}

/* Writes the frames gathered in w->video as one fragment. end_dts is the decode time where the
 * fragment ends (the next frame's), or < 0 if unknown (end of run). */
static void emit_fragment(HwSegWriter *w, int64_t end_dts)
{
  GArray *v = w->video;
  size_t n = v->len;
  if (n == 0)
    return;
  VideoFrame *fr = (VideoFrame *)v->data;
  if (end_dts < 0) {
    int64_t last = n > 1 ? fr[n - 1].dts - fr[n - 2].dts : HW_NS_PER_S / 25;
    end_dts = fr[n - 1].dts + MAX(last, 1);
  }

  if (w->paused)
    goto drop;

  /* Wall-clock time of the first frame; a clock step ends the run (and the file). */
  hw_time_ns wall;
  {
    g_autofree HwArrival *arr = g_new(HwArrival, n);
    for (size_t i = 0; i < n; i++)
      arr[i] = (HwArrival){fr[i].dts, fr[i].arrival, fr[i].arrival_mono};
    if (!hw_wallclock_fragment(&w->clock, arr, n, &wall)) {
      g_warning("camera %s/%s: clock step or camera clock beyond the bound: starting a new run",
                w->camera, w->stream);
      w->stats.last_clock_step = hw_time_now();
      end_run(w);
      hw_wallclock_fragment(&w->clock, arr, n, &wall);
    }
  }
  if (w->run_id == 0) {
    w->run_id = wall;
    w->stats.run_start = wall;
    w->stats.runs++;
  }
  w->stats.clock_offset_ns = w->clock.last_error_ns;

  bool key = fr[0].key;
  if (w->file != NULL && key &&
      (w->reopen_at_key || fr[0].dts - w->file_dts0 >= w->file_span_ns))
    close_file(w);
  if (w->file == NULL) {
    if (!key)
      goto drop; /* a file starts on a keyframe */
    GError *error = NULL;
    if (!open_file(w, wall, fr[0].dts, &error)) {
      set_error(w, "cannot start a recording", error);
      g_error_free(error);
      goto drop;
    }
  }

  if (write_fragment(w, end_dts, wall))
    return;

drop:
  g_array_set_size(v, 0);
  /* Audio up to the dropped fragment's end is dropped with it. */
  {
    size_t k = 0;
    AudioFrame *a = (AudioFrame *)w->audio->data;
    while (k < w->audio->len && a[k].pts < end_dts)
      k++;
    g_array_remove_range(w->audio, 0, k);
  }
}

/* ---- input ----------------------------------------------------------------------------------- */

void hw_segwriter_set_video(HwSegWriter *w, const char *codec, int width, int height,
                            GBytes *codec_data)
{
  g_mutex_lock(&w->lock);
  bool same = g_strcmp0(w->codec, codec) == 0 && w->width == width && w->height == height &&
              w->codec_data != NULL && codec_data != NULL && g_bytes_equal(w->codec_data, codec_data);
  if (!same) {
    /* Frames gathered so far belong to the old format: write them, then start a new file. */
    emit_fragment(w, -1);
    close_file(w);
    g_strlcpy(w->codec, codec, sizeof w->codec);
    w->width = width;
    w->height = height;
    g_strlcpy(w->stats.codec, codec, sizeof w->stats.codec);
    w->stats.width = width;
    w->stats.height = height;
    g_clear_pointer(&w->codec_data, g_bytes_unref);
    w->codec_data = codec_data ? g_bytes_ref(codec_data) : NULL;
    if (w->live != NULL)
      hw_live_channel_set_format(w->live, codec, width, height, codec_data);
  }
  g_mutex_unlock(&w->lock);
}

void hw_segwriter_set_audio(HwSegWriter *w, uint32_t rate, int channels, GBytes *config)
{
  g_mutex_lock(&w->lock);
  bool same = w->audio_rate == rate && w->audio_channels == channels &&
              ((w->audio_config == NULL && config == NULL) ||
               (w->audio_config && config && g_bytes_equal(w->audio_config, config)));
  if (!same) {
    /* Audio that appears after the file began (its caps come a moment after the first video
     * frame) starts a new file at the next keyframe, not at once: no one-frame files. With no
     * file open yet, the frames gathered so far simply go into the first file, with audio. */
    if (w->file == NULL || (!w->file_has_audio && w->audio_config == NULL))
      w->reopen_at_key = true;
    else {
      emit_fragment(w, -1);
      close_file(w);
    }
    w->audio_rate = rate;
    w->audio_channels = channels;
    g_clear_pointer(&w->audio_config, g_bytes_unref);
    w->audio_config = config ? g_bytes_ref(config) : NULL;
    g_array_set_size(w->audio, 0);
  }
  g_mutex_unlock(&w->lock);
}

void hw_segwriter_video(HwSegWriter *w, GstBuffer *buf, int64_t dts_ns, int64_t pts_ns, bool key,
                        hw_time_ns arrival, int64_t arrival_mono)
{
  g_mutex_lock(&w->lock);
  if (w->live != NULL) {
    /* Live viewers see the time the recording will carry: the run's mapping carried forward by
     * the media clock (the next fragment's start differs by the ≤ 500 ppm steering only). */
    hw_time_ns wall = w->clock.started ? w->clock.anchor_wall + (dts_ns - w->clock.anchor_media)
                                       : arrival;
    hw_live_channel_push(w->live, buf, dts_ns, pts_ns, key, wall);
  }
  GArray *v = w->video;
  if (v->len > 0) {
    VideoFrame *first = &g_array_index(v, VideoFrame, 0);
    VideoFrame *last = &g_array_index(v, VideoFrame, v->len - 1);
    if (dts_ns <= last->dts) {
      /* Time went backwards (a new RTP timeline): end the run. */
      emit_fragment(w, -1);
      end_run(w);
    } else if (key || dts_ns - first->dts >= w->fragment_max_ns) {
      emit_fragment(w, dts_ns);
    }
  }
  if (v->len == 0 && w->file == NULL && !key) {
    g_mutex_unlock(&w->lock); /* wait for a keyframe to start a file */
    return;
  }
  VideoFrame f = {gst_buffer_ref(buf), dts_ns, pts_ns, key, arrival, arrival_mono};
  g_array_append_val(v, f);
  g_mutex_unlock(&w->lock);
}

void hw_segwriter_audio(HwSegWriter *w, GstBuffer *buf, int64_t pts_ns)
{
  g_mutex_lock(&w->lock);
  /* Bounded: audio without video for long (a stalled video track) is not kept forever. */
  if (w->audio_config != NULL && w->audio->len < 2048) {
    AudioFrame a = {gst_buffer_ref(buf), pts_ns};
    g_array_append_val(w->audio, a);
  }
  g_mutex_unlock(&w->lock);
}

void hw_segwriter_finish(HwSegWriter *w)
{
  g_mutex_lock(&w->lock);
  emit_fragment(w, -1);
  end_run(w);
  g_array_set_size(w->audio, 0);
  if (w->live != NULL)
    hw_live_channel_end_run(w->live);
  g_mutex_unlock(&w->lock);
}

void hw_segwriter_set_paused(HwSegWriter *w, bool paused)
{
  g_mutex_lock(&w->lock);
  if (paused && !w->paused) {
    g_array_set_size(w->video, 0);
    end_run(w);
  }
  w->paused = paused;
  g_mutex_unlock(&w->lock);
}

void hw_segwriter_stats(HwSegWriter *w, HwSegWriterStats *ret)
{
  g_mutex_lock(&w->lock);
  *ret = w->stats;
  g_mutex_unlock(&w->lock);
}

bool hw_segwriter_take_error(HwSegWriter *w, char *buf, size_t len)
{
  g_mutex_lock(&w->lock);
  bool had = w->error_pending;
  if (had)
    g_strlcpy(buf, w->stats.error, len);
  w->error_pending = false;
  g_mutex_unlock(&w->lock);
  return had;
}

void hw_segwriter_free(HwSegWriter *w)
{
  if (w == NULL)
    return;
  hw_segwriter_finish(w);
  if (w->live != NULL) {
    hw_live_channel_publisher(w->live, false);
    hw_live_channel_unref(w->live);
  }
  g_array_free(w->video, TRUE);
  g_array_free(w->audio, TRUE);
  g_byte_array_free(w->hdr, TRUE);
  g_clear_pointer(&w->codec_data, g_bytes_unref);
  g_clear_pointer(&w->audio_config, g_bytes_unref);
  g_free(w->root);
  g_free(w->camera);
  g_free(w->stream);
  g_mutex_clear(&w->lock);
  g_free(w);
}
