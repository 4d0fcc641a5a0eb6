/* One camera stream: its GStreamer pipeline (rtspsrc → depay → parse → appsink, no decoding),
 * its state, reconnects with backoff, the stall watchdog and its outages. The pipeline's frames
 * go to the segment writer; control runs on the main context. */
#include "capture/camera.h"
#include "capture/source.h"

#include <gst/app/gstappsink.h>
#include <string.h>

#define RATE_WINDOW 5

struct HwCameraStream {
  HwCameraConfig *cfg;
  char stream[8];
  char *url;
  HwIndexer *ix;
  HwSegWriter *writer;
  const HwRecorderOptions *opts;

  GstElement *pipeline; /* the GStreamer front-end (clock = camera, or capture = gstreamer) */
  guint bus_watch;
  HwAvSource *av;       /* or the libavformat one */
  bool av_failed;       /* set by the av thread (under lock); the tick acts on it */
  HwOutageReason av_reason;
  char av_message[256];
  guint retry_source;
  int64_t backoff_ns;
  int64_t run_started_mono; /* when the current run's first frame came (0: none yet) */
  int64_t connect_started_mono;

  GMutex lock; /* guards the status fields below, written by streaming threads too */
  HwCameraState state;
  hw_time_ns state_since;
  char last_error[256];
  char warning[256];
  char audio_codec[16];
  uint64_t reconnects;
  int64_t last_frame_mono;
  bool got_frame; /* set by the streaming thread at the first frame of a connection */
  bool paused_floor;
  int64_t camera_offset; /* clock = camera: camera minus local clock, last measured */

  /* Outage currently open (NULL when recording). */
  HwOutage *outage;

  /* Frames and bytes as they arrive (atomics, streaming thread), sampled once a second into a
   * ring so that fps and bitrate are measured over the last RATE_WINDOW seconds. */
  gint64 in_frames, in_bytes;
  struct {
    int64_t mono, frames, bytes;
  } ring[RATE_WINDOW + 1];
  unsigned ring_n;
  double fps, bitrate;
};

static void schedule_retry(HwCameraStream *cs);

static void set_state(HwCameraStream *cs, HwCameraState state)
{
  g_mutex_lock(&cs->lock);
  if (cs->state != state) {
    cs->state = state;
    cs->state_since = hw_time_now();
  }
  g_mutex_unlock(&cs->lock);
}

/* Opens an outage (if none is open) starting at the end of the last recorded footage. */
static void outage_begin(HwCameraStream *cs, HwOutageReason reason, const char *detail,
                         hw_time_ns start)
{
  if (cs->outage != NULL) {
    if (cs->outage->reason == reason)
      return;
    /* The reason changed (e.g. daemon down, then camera unreachable): a new row from now. */
    hw_time_ns now = hw_time_now();
    hw_indexer_outage_close(cs->ix, cs->outage, now);
    hw_outage_unref(cs->outage);
    cs->outage = NULL;
    start = now;
  }
  cs->outage = hw_outage_new(cs->cfg->id, cs->stream, start, reason, detail);
  hw_indexer_outage_open(cs->ix, cs->outage);
}

static void outage_end(HwCameraStream *cs, hw_time_ns end)
{
  if (cs->outage == NULL)
    return;
  hw_indexer_outage_close(cs->ix, cs->outage, end);
  hw_outage_unref(cs->outage);
  cs->outage = NULL;
}

/* ---- streaming-thread side --------------------------------------------------------------------- */

/* clock = camera: the frame's capture time by the camera's clock, from the RTCP sender reports
 * (the jitter buffer attaches it as a reference timestamp meta once an SR has arrived). A camera
 * clock further than the bound from ours is not trusted: a camera that thinks it is 2000 must not
 * file today's footage under 2000. The measured offset is kept either way. */
static hw_time_ns camera_time(HwCameraStream *cs, GstBuffer *buf, hw_time_ns arrival)
{
  static GstCaps *ntp_caps;
  if (g_once_init_enter(&ntp_caps))
    g_once_init_leave(&ntp_caps, gst_caps_new_empty_simple("timestamp/x-ntp"));
  GstReferenceTimestampMeta *meta = gst_buffer_get_reference_timestamp_meta(buf, ntp_caps);
  if (meta == NULL)
    return arrival; /* no sender report yet */
  hw_time_ns cam = (hw_time_ns)meta->timestamp - HW_NTP_UNIX_OFFSET_S * HW_NS_PER_S;
  int64_t offset = cam - arrival;
  g_mutex_lock(&cs->lock);
  cs->camera_offset = offset;
  bool off = offset > cs->opts->clock_bound_ns || offset < -cs->opts->clock_bound_ns;
  if (off)
    g_snprintf(cs->warning, sizeof cs->warning,
               "camera clock is %.1f s off the local clock (bound %.1f s): using the local clock",
               (double)offset / HW_NS_PER_S, (double)cs->opts->clock_bound_ns / HW_NS_PER_S);
  else if (g_str_has_prefix(cs->warning, "camera clock is"))
    cs->warning[0] = '\0';
  g_mutex_unlock(&cs->lock);
  return off ? arrival : cam;
}

static GstFlowReturn on_video_sample(GstAppSink *sink, gpointer user)
{
  HwCameraStream *cs = user;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  if (sample == NULL)
    return GST_FLOW_EOS;
  /* Arrival is read first: depay and parse add microseconds, the jitter buffer (mode none, no
   * latency wait for in-order packets) adds none. */
  hw_time_ns arrival;
  int64_t arrival_mono;
  hw_time_now_pair(&arrival, &arrival_mono);
  GstBuffer *buf = gst_sample_get_buffer(sample);
  GstCaps *caps = gst_sample_get_caps(sample);
  if (buf == NULL || caps == NULL)
    return GST_FLOW_OK;

  GstStructure *s = gst_caps_get_structure(caps, 0);
  const char *codec = gst_structure_has_name(s, "video/x-h265") ? "h265" : "h264";
  int width = 0, height = 0;
  gst_structure_get_int(s, "width", &width);
  gst_structure_get_int(s, "height", &height);
  const GValue *cd = gst_structure_get_value(s, "codec_data");
  GBytes *codec_data = NULL;
  if (cd != NULL && G_VALUE_HOLDS(cd, GST_TYPE_BUFFER)) {
    GstBuffer *cdb = gst_value_get_buffer(cd);
    GstMapInfo m;
    if (gst_buffer_map(cdb, &m, GST_MAP_READ)) {
      codec_data = g_bytes_new(m.data, m.size);
      gst_buffer_unmap(cdb, &m);
    }
  }
  hw_segwriter_set_video(cs->writer, codec, width, height, codec_data);
  if (codec_data)
    g_bytes_unref(codec_data);

  if (cs->cfg->clock == HW_CLOCK_CAMERA)
    arrival = camera_time(cs, buf, arrival);

  GstClockTime dts = GST_BUFFER_DTS_OR_PTS(buf);
  GstClockTime pts = GST_BUFFER_PTS_IS_VALID(buf) ? GST_BUFFER_PTS(buf) : dts;
  if (!GST_CLOCK_TIME_IS_VALID(dts))
    return GST_FLOW_OK;
  bool key = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
  hw_segwriter_video(cs->writer, buf, (int64_t)dts, (int64_t)pts, key, arrival, arrival_mono);

  __atomic_add_fetch(&cs->in_frames, 1, __ATOMIC_RELAXED);
  __atomic_add_fetch(&cs->in_bytes, (gint64)gst_buffer_get_size(buf), __ATOMIC_RELAXED);
  g_mutex_lock(&cs->lock);
  cs->last_frame_mono = arrival_mono;
  cs->got_frame = true;
  g_mutex_unlock(&cs->lock);
  return GST_FLOW_OK;
}

static GstFlowReturn on_audio_sample(GstAppSink *sink, gpointer user)
{
  HwCameraStream *cs = user;
  g_autoptr(GstSample) sample = gst_app_sink_pull_sample(sink);
  if (sample == NULL)
    return GST_FLOW_EOS;
  GstBuffer *buf = gst_sample_get_buffer(sample);
  GstCaps *caps = gst_sample_get_caps(sample);
  if (buf == NULL || caps == NULL || !GST_BUFFER_PTS_IS_VALID(buf))
    return GST_FLOW_OK;
  GstStructure *s = gst_caps_get_structure(caps, 0);
  int rate = 0, channels = 0;
  gst_structure_get_int(s, "rate", &rate);
  gst_structure_get_int(s, "channels", &channels);
  const GValue *cd = gst_structure_get_value(s, "codec_data");
  if (cd == NULL || !G_VALUE_HOLDS(cd, GST_TYPE_BUFFER) || rate <= 0 || channels <= 0)
    return GST_FLOW_OK;
  GstBuffer *cdb = gst_value_get_buffer(cd);
  GstMapInfo m;
  if (!gst_buffer_map(cdb, &m, GST_MAP_READ))
    return GST_FLOW_OK;
  g_autoptr(GBytes) config = g_bytes_new(m.data, m.size);
  gst_buffer_unmap(cdb, &m);
  hw_segwriter_set_audio(cs->writer, (uint32_t)rate, channels, config);
  hw_segwriter_audio(cs->writer, buf, (int64_t)GST_BUFFER_PTS(buf));
  return GST_FLOW_OK;
}

/* Builds depay ! parse ! appsink for one RTP stream and links it to the new rtspsrc pad. */
static void on_pad_added(GstElement *src, GstPad *pad, gpointer user)
{
  HwCameraStream *cs = user;
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
  if (caps == NULL)
    caps = gst_pad_query_caps(pad, NULL);
  GstStructure *s = gst_caps_get_structure(caps, 0);
  const char *media = gst_structure_get_string(s, "media");
  const char *enc = gst_structure_get_string(s, "encoding-name");
  if (media == NULL || enc == NULL)
    return;

  const char *depay_name = NULL, *parse_name = NULL, *out_caps = NULL;
  bool video = strcmp(media, "video") == 0;
  if (video && g_ascii_strcasecmp(enc, "H264") == 0) {
    depay_name = "rtph264depay";
    parse_name = "h264parse";
    out_caps = "video/x-h264,stream-format=avc,alignment=au";
  } else if (video && g_ascii_strcasecmp(enc, "H265") == 0) {
    depay_name = "rtph265depay";
    parse_name = "h265parse";
    out_caps = "video/x-h265,stream-format=hvc1,alignment=au";
  } else if (!video && g_ascii_strcasecmp(enc, "MPEG4-GENERIC") == 0) {
    depay_name = "rtpmp4gdepay";
    parse_name = "aacparse";
    out_caps = "audio/mpeg,mpegversion=4,stream-format=raw";
  } else if (!video && g_ascii_strcasecmp(enc, "MP4A-LATM") == 0) {
    depay_name = "rtpmp4adepay";
    parse_name = "aacparse";
    out_caps = "audio/mpeg,mpegversion=4,stream-format=raw";
  } else {
    return; /* not selected: see on_select_stream */
  }

  GstElement *bin = cs->pipeline;
  GstElement *depay = gst_element_factory_make(depay_name, NULL);
  GstElement *parse = gst_element_factory_make(parse_name, NULL);
  GstElement *sink = gst_element_factory_make("appsink", NULL);
  if (depay == NULL || parse == NULL || sink == NULL) {
    g_mutex_lock(&cs->lock);
    g_snprintf(cs->warning, sizeof cs->warning, "GStreamer element %s or %s is not installed",
               depay_name, parse_name);
    g_mutex_unlock(&cs->lock);
    g_clear_object(&depay);
    g_clear_object(&parse);
    g_clear_object(&sink);
    return;
  }
  if (video)
    g_object_set(parse, "config-interval", 0, NULL);
  g_autoptr(GstCaps) sink_caps = gst_caps_from_string(out_caps);
  g_object_set(sink, "caps", sink_caps, "sync", FALSE, "async", FALSE, "max-buffers", 200,
               "drop", FALSE, "enable-last-sample", FALSE, NULL);
  GstAppSinkCallbacks cb = {.new_sample = video ? on_video_sample : on_audio_sample};
  gst_app_sink_set_callbacks(GST_APP_SINK(sink), &cb, cs, NULL);
  gst_bin_add_many(GST_BIN(bin), depay, parse, sink, NULL);
  gst_element_link_many(depay, parse, sink, NULL);
  gst_element_sync_state_with_parent(sink);
  gst_element_sync_state_with_parent(parse);
  gst_element_sync_state_with_parent(depay);
  g_autoptr(GstPad) sinkpad = gst_element_get_static_pad(depay, "sink");
  if (gst_pad_link(pad, sinkpad) != GST_PAD_LINK_OK)
    g_warning("camera %s/%s: cannot link %s stream", cs->cfg->id, cs->stream, enc);
  if (!video) {
    g_mutex_lock(&cs->lock);
    g_strlcpy(cs->audio_codec, "aac", sizeof cs->audio_codec);
    g_mutex_unlock(&cs->lock);
  }
  (void)src;
}

/* Video H.264/H.265 and AAC audio are set up; other audio (G.711…) cannot go in MP4 here and is
 * not even requested from the camera. */
static gboolean on_select_stream(GstElement *src, guint num, GstCaps *caps, gpointer user)
{
  HwCameraStream *cs = user;
  GstStructure *s = gst_caps_get_structure(caps, 0);
  const char *media = gst_structure_get_string(s, "media");
  const char *enc = gst_structure_get_string(s, "encoding-name");
  if (media == NULL || enc == NULL)
    return FALSE;
  if (strcmp(media, "video") == 0)
    return g_ascii_strcasecmp(enc, "H264") == 0 || g_ascii_strcasecmp(enc, "H265") == 0;
  if (strcmp(media, "audio") == 0) {
    if (g_ascii_strcasecmp(enc, "MPEG4-GENERIC") == 0 || g_ascii_strcasecmp(enc, "MP4A-LATM") == 0)
      return TRUE;
    g_mutex_lock(&cs->lock);
    g_snprintf(cs->warning, sizeof cs->warning,
               "audio %s dropped: MP4 recordings here hold AAC audio only", enc);
    g_mutex_unlock(&cs->lock);
  }
  (void)src;
  (void)num;
  return FALSE;
}

/* ---- control (main context) -------------------------------------------------------------------- */

static void teardown(HwCameraStream *cs)
{
  if (cs->bus_watch) {
    g_source_remove(cs->bus_watch);
    cs->bus_watch = 0;
  }
  if (cs->pipeline != NULL) {
    gst_element_set_state(cs->pipeline, GST_STATE_NULL);
    gst_clear_object(&cs->pipeline);
  }
  if (cs->av != NULL) {
    hw_av_source_stop(cs->av);
    cs->av = NULL;
  }
  g_mutex_lock(&cs->lock);
  cs->av_failed = false;
  g_mutex_unlock(&cs->lock);
  /* After NULL no streaming thread runs: the writer's pending frames become the last fragment. */
  hw_segwriter_finish(cs->writer);
}

static HwOutageReason classify(const GError *err, const char *debug, char *msg, size_t len)
{
  const char *d = debug ? debug : "";
  if ((err->domain == GST_RESOURCE_ERROR && err->code == GST_RESOURCE_ERROR_NOT_AUTHORIZED) ||
      strstr(d, "401") || strstr(d, "Unauthorized")) {
    g_snprintf(msg, len, "the camera refused the credentials (401 Unauthorized)");
    return HW_OUTAGE_AUTH_REFUSED;
  }
  if (err->domain == GST_RESOURCE_ERROR &&
      (err->code == GST_RESOURCE_ERROR_OPEN_READ || err->code == GST_RESOURCE_ERROR_OPEN_READ_WRITE ||
       err->code == GST_RESOURCE_ERROR_NOT_FOUND || err->code == GST_RESOURCE_ERROR_OPEN_WRITE)) {
    if (strstr(d, "404") || strstr(d, "Not Found"))
      g_snprintf(msg, len, "the camera has no stream at this address (404 Not Found)");
    else
      g_snprintf(msg, len, "cannot connect to the camera: %s", err->message);
    return HW_OUTAGE_CAMERA_UNREACHABLE;
  }
  if (err->domain == GST_RESOURCE_ERROR && err->code == GST_RESOURCE_ERROR_READ) {
    g_snprintf(msg, len, "connection to the camera lost: %s", err->message);
    return HW_OUTAGE_CAMERA_UNREACHABLE;
  }
  g_snprintf(msg, len, "stream error: %s", err->message);
  return HW_OUTAGE_STREAM_ERROR;
}

/* The run (or the attempt) has failed: tear down, note why, retry later. */
static void fail(HwCameraStream *cs, HwOutageReason reason, const char *msg)
{
  HwSegWriterStats ws;
  teardown(cs);
  hw_segwriter_stats(cs->writer, &ws);
  g_mutex_lock(&cs->lock);
  bool was_recording = cs->state == HW_CAMERA_RECORDING;
  g_strlcpy(cs->last_error, msg, sizeof cs->last_error);
  g_mutex_unlock(&cs->lock);
  g_message("camera %s/%s: %s", cs->cfg->id, cs->stream, msg);
  hw_time_ns start = ws.last_wall_end > 0 && was_recording ? ws.last_wall_end : hw_time_now();
  outage_begin(cs, reason, msg, start);
  set_state(cs, reason == HW_OUTAGE_AUTH_REFUSED ? HW_CAMERA_ERROR : HW_CAMERA_RECONNECTING);
  if (was_recording)
    cs->reconnects++;

  /* Backoff: doubling from the minimum, reset by a run that lasted long enough. */
  int64_t now = hw_time_monotonic();
  if (cs->run_started_mono > 0 && now - cs->run_started_mono >= cs->opts->backoff_reset_ns)
    cs->backoff_ns = 0;
  cs->backoff_ns = cs->backoff_ns == 0 ? cs->opts->backoff_min_ns
                                       : MIN(cs->backoff_ns * 2, cs->opts->backoff_max_ns);
  cs->run_started_mono = 0;
  schedule_retry(cs);
}

static gboolean on_bus(GstBus *bus, GstMessage *msg, gpointer user)
{
  HwCameraStream *cs = user;
  switch (GST_MESSAGE_TYPE(msg)) {
  case GST_MESSAGE_ERROR: {
    g_autoptr(GError) err = NULL;
    g_autofree char *debug = NULL;
    gst_message_parse_error(msg, &err, &debug);
    char text[256];
    HwOutageReason reason = classify(err, debug, text, sizeof text);
    fail(cs, reason, text);
    return G_SOURCE_REMOVE; /* fail() removed the watch */
  }
  case GST_MESSAGE_EOS:
    fail(cs, HW_OUTAGE_STREAM_ERROR, "the camera ended the stream");
    return G_SOURCE_REMOVE;
  case GST_MESSAGE_ELEMENT:
    if (gst_message_has_name(msg, "GstRTSPSrcTimeout")) {
      fail(cs, HW_OUTAGE_STREAM_STALLED, "RTCP timeout: the camera stopped sending");
      return G_SOURCE_REMOVE;
    }
    break;
  default:
    break;
  }
  (void)bus;
  return G_SOURCE_CONTINUE;
}

/* ---- the libavformat front-end's events (its thread) ----------------------------------------- */

static void av_failed(void *user, HwOutageReason reason, const char *message)
{
  HwCameraStream *cs = user;
  g_mutex_lock(&cs->lock);
  cs->av_failed = true;
  cs->av_reason = reason;
  g_strlcpy(cs->av_message, message, sizeof cs->av_message);
  g_mutex_unlock(&cs->lock);
}

static void av_frame(void *user, int64_t arrival_mono, size_t bytes)
{
  HwCameraStream *cs = user;
  __atomic_add_fetch(&cs->in_frames, 1, __ATOMIC_RELAXED);
  __atomic_add_fetch(&cs->in_bytes, (gint64)bytes, __ATOMIC_RELAXED);
  g_mutex_lock(&cs->lock);
  cs->last_frame_mono = arrival_mono;
  cs->got_frame = true;
  g_mutex_unlock(&cs->lock);
}

static void av_warning(void *user, const char *text)
{
  HwCameraStream *cs = user;
  g_mutex_lock(&cs->lock);
  g_strlcpy(cs->warning, text, sizeof cs->warning);
  g_mutex_unlock(&cs->lock);
}

static void av_audio(void *user, const char *codec)
{
  HwCameraStream *cs = user;
  g_mutex_lock(&cs->lock);
  g_strlcpy(cs->audio_codec, codec, sizeof cs->audio_codec);
  g_mutex_unlock(&cs->lock);
}

/* libavformat reads RTSP in one thread with no per-packet hand-over (docs/performance.md); the
 * camera-clock mode needs the sender-report time per frame, which only rtspsrc exposes. */
static bool use_libav(HwCameraStream *cs)
{
  return cs->opts->capture == HW_CAPTURE_LIBAV && cs->cfg->clock == HW_CLOCK_LOCAL;
}

static bool start(HwCameraStream *cs, GError **error)
{
  g_mutex_lock(&cs->lock);
  cs->got_frame = false;
  cs->audio_codec[0] = '\0';
  g_mutex_unlock(&cs->lock);
  cs->connect_started_mono = hw_time_monotonic();
  if (use_libav(cs)) {
    HwSourceConfig sc = {cs->url, cs->cfg->username, cs->cfg->password, cs->cfg->transport,
                         cs->opts->stall_timeout_ns};
    static const HwSourceEvents ev = {av_failed, av_frame, av_warning, av_audio};
    cs->av = hw_av_source_start(&sc, cs->writer, &ev, cs);
    return true;
  }

  GstElement *pipeline = gst_pipeline_new(NULL);
  GstElement *src = gst_element_factory_make("rtspsrc", NULL);
  if (src == NULL) {
    gst_object_unref(pipeline);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                "GStreamer's rtspsrc is not installed (gstreamer1.0-plugins-good)");
    return false;
  }
  int64_t stall_us = cs->opts->stall_timeout_ns / HW_NS_PER_US;
  /* buffer-mode none: timestamps follow the camera's RTP clock (durations exact), and in-order
   * packets leave the jitter buffer at once, so arrival times are not delayed by it. */
  g_object_set(src, "location", cs->url, "latency", (guint)(cs->cfg->transport == HW_TRANSPORT_UDP ? 200 : 0),
               "buffer-mode", 0, "protocols",
               cs->cfg->transport == HW_TRANSPORT_UDP ? 0x1 /* UDP */ : 0x4 /* TCP */,
               "tcp-timeout", (guint64)stall_us, "timeout", (guint64)stall_us, "do-retransmission",
               FALSE, "teardown-timeout", (guint64)(200 * HW_NS_PER_MS), NULL);
  if (cs->cfg->clock == HW_CLOCK_CAMERA)
    g_object_set(src, "add-reference-timestamp-meta", TRUE, NULL);
  if (cs->cfg->username && cs->cfg->password)
    g_object_set(src, "user-id", cs->cfg->username, "user-pw", cs->cfg->password, NULL);
  g_signal_connect(src, "pad-added", G_CALLBACK(on_pad_added), cs);
  g_signal_connect(src, "select-stream", G_CALLBACK(on_select_stream), cs);
  gst_bin_add(GST_BIN(pipeline), src);

  cs->pipeline = pipeline;
  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
  cs->bus_watch = gst_bus_add_watch(bus, on_bus, cs);
  if (gst_element_set_state(pipeline, GST_STATE_PLAYING) == GST_STATE_CHANGE_FAILURE) {
    /* The bus carries the reason; on_bus handles it. */
    return true;
  }
  return true;
}

static gboolean retry_cb(gpointer user)
{
  HwCameraStream *cs = user;
  cs->retry_source = 0;
  g_autoptr(GError) error = NULL;
  if (!start(cs, &error)) {
    fail(cs, HW_OUTAGE_STREAM_ERROR, error->message);
  }
  return G_SOURCE_REMOVE;
}

static void schedule_retry(HwCameraStream *cs)
{
  if (cs->retry_source)
    g_source_remove(cs->retry_source);
  cs->retry_source = g_timeout_add((guint)(cs->backoff_ns / HW_NS_PER_MS), retry_cb, cs);
}

HwCameraStream *hw_camera_stream_new(const HwCameraConfig *cfg, const char *stream,
                                     const HwRecorderOptions *opts, HwIndexer *ix,
                                     hw_time_ns previous_end, HwLive *live)
{
  HwCameraStream *cs = g_new0(HwCameraStream, 1);
  g_mutex_init(&cs->lock);
  cs->cfg = hw_camera_config_copy(cfg);
  g_strlcpy(cs->stream, stream, sizeof cs->stream);
  cs->url = g_strdup(strcmp(stream, "sub") == 0 ? cfg->substream_url : cfg->url);
  cs->ix = ix;
  cs->opts = opts;
  HwSegWriterConfig wc = {
      .footage_root = opts->footage_dir,
      .camera = cfg->id,
      .stream = stream,
      .clock_mode = cfg->clock,
      .file_span_ns = opts->file_span_ns,
      .fragment_max_ns = opts->fragment_max_ns,
      .clock_bound_ns = opts->clock_bound_ns,
      .live = hw_live_channel(live, cfg->id, stream),
  };
  cs->writer = hw_segwriter_new(ix, &wc);
  hw_live_channel_unref(wc.live); /* the writer holds its own */
  cs->state_since = hw_time_now();

  if (!cfg->enabled) {
    cs->state = HW_CAMERA_DISABLED;
    return cs;
  }
  cs->state = HW_CAMERA_CONNECTING;
  /* The daemon was not recording between the last footage and now. */
  if (previous_end > 0)
    outage_begin(cs, HW_OUTAGE_DAEMON_DOWN, "hallwatchd was not running", previous_end);
  g_autoptr(GError) error = NULL;
  if (!start(cs, &error))
    fail(cs, HW_OUTAGE_STREAM_ERROR, error->message);
  return cs;
}

/* Rates over the last few seconds of arrivals: one ring sample a second. */
static void sample_rates(HwCameraStream *cs, int64_t now)
{
  unsigned slot = cs->ring_n % G_N_ELEMENTS(cs->ring);
  cs->ring[slot].mono = now;
  cs->ring[slot].frames = __atomic_load_n(&cs->in_frames, __ATOMIC_RELAXED);
  cs->ring[slot].bytes = __atomic_load_n(&cs->in_bytes, __ATOMIC_RELAXED);
  cs->ring_n++;
  if (cs->ring_n > 1) {
    unsigned oldest = cs->ring_n > G_N_ELEMENTS(cs->ring) ? cs->ring_n % G_N_ELEMENTS(cs->ring) : 0;
    double dt = (double)(now - cs->ring[oldest].mono) / HW_NS_PER_S;
    if (dt > 0) {
      g_mutex_lock(&cs->lock);
      cs->fps = (double)(cs->ring[slot].frames - cs->ring[oldest].frames) / dt;
      cs->bitrate = (double)(cs->ring[slot].bytes - cs->ring[oldest].bytes) * 8 / dt;
      g_mutex_unlock(&cs->lock);
    }
  }
}

void hw_camera_stream_tick(HwCameraStream *cs)
{
  int64_t now = hw_time_monotonic();
  HwSegWriterStats ws;
  hw_segwriter_stats(cs->writer, &ws);

  unsigned prev = (cs->ring_n + G_N_ELEMENTS(cs->ring) - 1) % G_N_ELEMENTS(cs->ring);
  if (cs->ring_n == 0 || now - cs->ring[prev].mono >= HW_NS_PER_S - 50 * HW_NS_PER_MS)
    sample_rates(cs, now);

  char err[256];
  if (hw_segwriter_take_error(cs->writer, err, sizeof err)) {
    fail(cs, HW_OUTAGE_STORAGE_ERROR, err);
    return;
  }
  if (cs->pipeline == NULL && cs->av == NULL)
    return;

  g_mutex_lock(&cs->lock);
  bool av_down = cs->av_failed;
  HwOutageReason av_reason = cs->av_reason;
  char av_msg[256];
  g_strlcpy(av_msg, cs->av_message, sizeof av_msg);
  g_mutex_unlock(&cs->lock);
  if (av_down) {
    fail(cs, av_reason, av_msg);
    return;
  }

  g_mutex_lock(&cs->lock);
  bool got = cs->got_frame;
  int64_t last = cs->last_frame_mono;
  bool was_recording = cs->state == HW_CAMERA_RECORDING;
  g_mutex_unlock(&cs->lock);

  if (got && !was_recording && ws.run_start > 0) {
    /* The first fragment of the run is written: the gap (if any) ends where it starts. */
    cs->run_started_mono = now;
    g_mutex_lock(&cs->lock);
    cs->last_error[0] = '\0';
    g_mutex_unlock(&cs->lock);
    set_state(cs, HW_CAMERA_RECORDING);
  }
  if (cs->outage != NULL && ws.run_start > 0)
    outage_end(cs, ws.run_start);

  if (got && now - last > cs->opts->stall_timeout_ns) {
    fail(cs, HW_OUTAGE_STREAM_STALLED, "no video from the camera: stream stalled");
    return;
  }
  if (!got && now - cs->connect_started_mono > cs->opts->stall_timeout_ns + 5 * HW_NS_PER_S) {
    fail(cs, HW_OUTAGE_CAMERA_UNREACHABLE, "no video from the camera since connecting");
    return;
  }
}

void hw_camera_stream_status(HwCameraStream *cs, HwCameraStatus *st)
{
  HwSegWriterStats ws;
  hw_segwriter_stats(cs->writer, &ws);
  memset(st, 0, sizeof *st);
  g_strlcpy(st->camera, cs->cfg->id, sizeof st->camera);
  g_strlcpy(st->stream, cs->stream, sizeof st->stream);
  g_strlcpy(st->source, cs->cfg->source ? cs->cfg->source : "config", sizeof st->source);
  g_mutex_lock(&cs->lock);
  st->state = cs->state;
  st->state_since_ns = cs->state_since;
  g_strlcpy(st->last_error, cs->last_error, sizeof st->last_error);
  g_strlcpy(st->warning, cs->warning, sizeof st->warning);
  g_strlcpy(st->audio_codec, cs->audio_codec, sizeof st->audio_codec);
  st->reconnects = cs->reconnects;
  int64_t camera_offset = cs->camera_offset;
  st->fps = cs->fps;
  st->bitrate_bps = cs->bitrate;
  st->paused_disk_floor = cs->paused_floor;
  g_mutex_unlock(&cs->lock);
  g_strlcpy(st->codec, ws.codec, sizeof st->codec);
  st->width = ws.width;
  st->height = ws.height;
  st->bytes = ws.bytes;
  st->frames = ws.frames;
  st->last_frame_ns = ws.last_wall_end;
  st->clock_offset_ns = cs->cfg->clock == HW_CLOCK_CAMERA ? camera_offset : ws.clock_offset_ns;
  /* A clock step stays visible for a while: whoever looks at the state later still sees it. */
  if (ws.last_clock_step > 0 && hw_time_now() - ws.last_clock_step < 600 * HW_NS_PER_S &&
      st->warning[0] == '\0') {
    char when[40];
    g_snprintf(st->warning, sizeof st->warning,
               "clock step or camera clock beyond the bound at %s: a new run was started",
               hw_time_format(ws.last_clock_step, when, sizeof when));
  }
}

void hw_camera_stream_set_paused(HwCameraStream *cs, bool paused, const char *why)
{
  g_mutex_lock(&cs->lock);
  bool was = cs->paused_floor;
  cs->paused_floor = paused;
  if (paused)
    g_strlcpy(cs->last_error, why, sizeof cs->last_error);
  g_mutex_unlock(&cs->lock);
  if (paused == was)
    return;
  hw_segwriter_set_paused(cs->writer, paused);
  if (paused) {
    HwSegWriterStats ws;
    hw_segwriter_stats(cs->writer, &ws);
    outage_begin(cs, HW_OUTAGE_DISK_FLOOR, why, ws.last_wall_end > 0 ? ws.last_wall_end : hw_time_now());
    set_state(cs, HW_CAMERA_ERROR);
  } else {
    set_state(cs, HW_CAMERA_CONNECTING);
  }
}

const HwCameraConfig *hw_camera_stream_config(HwCameraStream *cs) { return cs->cfg; }

void hw_camera_stream_free(HwCameraStream *cs)
{
  if (cs == NULL)
    return;
  if (cs->retry_source)
    g_source_remove(cs->retry_source);
  teardown(cs);
  if (cs->outage != NULL) {
    /* Stopped on purpose: the outage (if any) ends now; the next start records daemon-down. */
    outage_end(cs, hw_time_now());
  }
  hw_segwriter_free(cs->writer);
  hw_camera_config_free(cs->cfg);
  g_free(cs->url);
  g_mutex_clear(&cs->lock);
  g_free(cs);
}
