/* The test camera behind every capture test and benchmark: gst-rtsp-server on its own thread and
 * main context, one shared media factory per mount, the frame stamp applied with the frame's
 * capture time, and the knobs (drop, stall, resize, auth) that make it misbehave on purpose. */
#include "demo/hw_rtsp_server.h"

#include "common/hw_time.h"
#include "demo/hw_stamp.h"

#include <gst/app/gstappsink.h>
#include <gst/app/gstappsrc.h>
#include <gst/gst.h>
#include <gst/rtsp-server/rtsp-server.h>
#include <gst/video/video.h>
#include <string.h>

#define HW_RTSP_ROLE "camera-viewer"
#define CLIP_MAX_BYTES (512u * 1024u * 1024u)
#define CLIP_MAX_FRAMES 200000u
#define CLIP_LOAD_TIMEOUT_US (120 * G_USEC_PER_SEC)
#define SHUTDOWN_WAIT_US (3 * G_USEC_PER_SEC)

typedef enum { CODEC_H264, CODEC_H265 } StreamCodec;

/* A pre-encoded clip held in memory: byte-stream access units starting at a keyframe, with
 * parameter sets repeated before every keyframe so any of them is a clean entry point. */
typedef struct {
  GPtrArray *frames; /* GstBuffer*, one access unit each */
  GstCaps *caps;
  int fps;
} Clip;

/* One mount. Shared by reference between the server and the probes, timers and signal handlers
 * of the media built for it, since those may outlive a call to hw_rtsp_server_free(). */
typedef struct {
  gatomicrefcount rc;
  char *path;
  StreamCodec codec;
  int fps, gop_frames, bitrate_kbps;
  char *label;
  bool audio, audio_pcma;
  Clip *clip;
  gint stalled; /* atomic */

  GMutex lock; /* guards what follows */
  int width, height;
  GPtrArray *hooks; /* MediaHook*, one per prepared media */
} Stream;

/* What the server keeps of one media built for a Stream, to reach it when told to resize. */
typedef struct {
  Stream *stream;          /* strong */
  GstElement *size_filter; /* strong, NULL for clips */
  GSource *feeder;         /* strong, clips only */
  bool attached;
} MediaHook;

/* State of the timer that feeds a clip into one media. */
typedef struct {
  gatomicrefcount rc;
  Stream *stream;
  GstElement *appsrc;
  guint next;
  bool need_keyframe;
} ClipFeeder;

struct HwRtspServer {
  GMainContext *context;
  GMainLoop *loop;
  GThread *thread;
  GstRTSPServer *server;
  GSource *server_source;
  int port;

  GMutex lock;        /* guards streams */
  GPtrArray *streams; /* Stream* */
};

/* --- streams ---------------------------------------------------------------------------- */

static void clip_free(Clip *clip)
{
  if (clip == NULL)
    return;
  g_ptr_array_unref(clip->frames);
  gst_clear_caps(&clip->caps);
  g_free(clip);
}

static Stream *stream_ref(Stream *st)
{
  g_atomic_ref_count_inc(&st->rc);
  return st;
}

static void stream_unref(gpointer p)
{
  Stream *st = p;
  if (!g_atomic_ref_count_dec(&st->rc))
    return;
  g_free(st->path);
  g_free(st->label);
  clip_free(st->clip);
  g_ptr_array_unref(st->hooks);
  g_mutex_clear(&st->lock);
  g_free(st);
}

static int stream_n_hooks(Stream *st)
{
  g_mutex_lock(&st->lock);
  int n = (int)st->hooks->len;
  g_mutex_unlock(&st->lock);
  return n;
}

static Stream *server_find_stream(HwRtspServer *s, const char *path)
{
  Stream *found = NULL;
  g_mutex_lock(&s->lock);
  for (guint i = 0; i < s->streams->len; i++) {
    Stream *st = g_ptr_array_index(s->streams, i);
    if (g_strcmp0(st->path, path) == 0) {
      found = stream_ref(st);
      break;
    }
  }
  g_mutex_unlock(&s->lock);
  return found;
}

static GstCaps *stream_size_caps(int width, int height)
{
  return gst_caps_new_simple("video/x-raw", "width", G_TYPE_INT, width, "height", G_TYPE_INT,
                             height, "pixel-aspect-ratio", GST_TYPE_FRACTION, 1, 1, NULL);
}

/* --- running code on the server's thread ----------------------------------------------- */

typedef struct {
  GMutex lock;
  GCond cond;
  bool done;
  void (*func)(HwRtspServer *s);
  HwRtspServer *s;
} ServerCall;

static gboolean server_call_dispatch(gpointer p)
{
  ServerCall *call = p;
  call->func(call->s);
  g_mutex_lock(&call->lock);
  call->done = true;
  g_cond_signal(&call->cond);
  g_mutex_unlock(&call->lock);
  return G_SOURCE_REMOVE;
}

/* Runs func on the server's thread and waits for it: clients' sockets and watches belong to that
 * thread, so they are closed there. */
static void server_call(HwRtspServer *s, void (*func)(HwRtspServer *s))
{
  ServerCall call = {.func = func, .s = s};
  g_mutex_init(&call.lock);
  g_cond_init(&call.cond);
  g_main_context_invoke(s->context, server_call_dispatch, &call);
  g_mutex_lock(&call.lock);
  while (!call.done)
    g_cond_wait(&call.cond, &call.lock);
  g_mutex_unlock(&call.lock);
  g_mutex_clear(&call.lock);
  g_cond_clear(&call.cond);
}

static gpointer server_thread_main(gpointer p)
{
  HwRtspServer *s = p;
  g_main_context_push_thread_default(s->context);
  g_main_loop_run(s->loop);
  g_main_context_pop_thread_default(s->context);
  return NULL;
}

/* --- frame stamping ---------------------------------------------------------------------- */

/* Draws the stamp into an I420 buffer, making it writable first; the band's chroma is made grey so
 * the stamp costs the encoder as little as possible. */
static void stamp_buffer(GstPad *pad, GstPadProbeInfo *info, uint64_t value_us)
{
  g_autoptr(GstCaps) caps = gst_pad_get_current_caps(pad);
  GstVideoInfo vinfo;
  if (caps == NULL || !gst_video_info_from_caps(&vinfo, caps) ||
      GST_VIDEO_INFO_FORMAT(&vinfo) != GST_VIDEO_FORMAT_I420)
    return;
  GstBuffer *buf = gst_buffer_make_writable(GST_PAD_PROBE_INFO_BUFFER(info));
  GST_PAD_PROBE_INFO_DATA(info) = buf;

  GstVideoFrame frame;
  if (!gst_video_frame_map(&frame, &vinfo, buf, GST_MAP_READWRITE))
    return;
  int width = GST_VIDEO_FRAME_WIDTH(&frame), height = GST_VIDEO_FRAME_HEIGHT(&frame);
  hw_stamp_draw(GST_VIDEO_FRAME_PLANE_DATA(&frame, 0), GST_VIDEO_FRAME_PLANE_STRIDE(&frame, 0),
                width, height, value_us);
  int band = MIN(hw_stamp_band_height(height), height) / 2;
  for (guint plane = 1; plane <= 2; plane++) {
    guint8 *data = GST_VIDEO_FRAME_PLANE_DATA(&frame, plane);
    int stride = GST_VIDEO_FRAME_PLANE_STRIDE(&frame, plane);
    int cw = GST_VIDEO_FRAME_COMP_WIDTH(&frame, plane);
    for (int y = 0; y < band; y++)
      memset(data + (gsize)y * (gsize)stride, 128, (gsize)cw);
  }
  gst_video_frame_unmap(&frame);
}

/* Stamps each frame with the wall-clock time at which the live source captured it: the frame's
 * running time is mapped through the pipeline clock to CLOCK_REALTIME, so neither the overlay nor
 * any queue before this probe makes the stamp late. */
static GstPadProbeReturn stamp_live_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
  hw_time_ns wall = hw_time_now();
  g_autoptr(GstElement) parent = gst_pad_get_parent_element(pad);
  g_autoptr(GstClock) clock = parent ? gst_element_get_clock(parent) : NULL;
  /* Live sources timestamp in running time from a segment starting at 0, so PTS is the running
   * time of capture. */
  if (clock != NULL && GST_BUFFER_PTS_IS_VALID(buf)) {
    GstClockTime capture = gst_element_get_base_time(parent) + GST_BUFFER_PTS(buf);
    GstClockTime now = gst_clock_get_time(clock);
    wall -= GST_CLOCK_DIFF(capture, now);
  }
  stamp_buffer(pad, info, (uint64_t)(wall / HW_NS_PER_US));
  return GST_PAD_PROBE_OK;
}

static GstPadProbeReturn stall_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  Stream *st = data;
  return g_atomic_int_get(&st->stalled) ? GST_PAD_PROBE_DROP : GST_PAD_PROBE_OK;
}

/* --- clips ------------------------------------------------------------------------------- */

/* Reads the clip's H.264 into memory once. Looping from memory is what keeps timestamps simple:
 * the feeder stamps each access unit with the running time at which it sends it, so time keeps
 * increasing across loops without segment seeks, and no CPU goes to demuxing or re-encoding. */
static Clip *clip_load(const char *path, GError **error)
{
  g_autoptr(GError) err = NULL;
  g_autoptr(GstElement) pipeline = gst_parse_launch(
      "filesrc name=src ! parsebin ! h264parse config-interval=-1 ! "
      "video/x-h264,stream-format=byte-stream,alignment=au ! appsink name=sink sync=false",
      &err);
  if (pipeline == NULL) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                "cannot build the clip reader for %s: %s", path, err->message);
    return NULL;
  }
  g_autoptr(GstElement) src = gst_bin_get_by_name(GST_BIN(pipeline), "src");
  g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_object_set(src, "location", path, NULL);

  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
  g_autoptr(GstMessage) msg = NULL;
  Clip *clip = g_new0(Clip, 1);
  clip->frames = g_ptr_array_new_with_free_func((GDestroyNotify)gst_buffer_unref);
  gsize total = 0;
  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  gint64 deadline = g_get_monotonic_time() + CLIP_LOAD_TIMEOUT_US;
  for (;;) {
    g_autoptr(GstSample) sample =
        gst_app_sink_try_pull_sample(GST_APP_SINK(sink), 50 * GST_MSECOND);
    if (sample == NULL) {
      /* Between samples: done at EOS, failed on a bus error, else keep waiting. */
      if (gst_app_sink_is_eos(GST_APP_SINK(sink)))
        break;
      msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
      if (msg != NULL || g_get_monotonic_time() > deadline)
        break;
      continue;
    }
    GstBuffer *buf = gst_sample_get_buffer(sample);
    bool key = !GST_BUFFER_FLAG_IS_SET(buf, GST_BUFFER_FLAG_DELTA_UNIT);
    if (clip->frames->len == 0 && !key)
      continue;
    if (clip->caps == NULL)
      clip->caps = gst_caps_copy(gst_sample_get_caps(sample));
    total += gst_buffer_get_size(buf);
    if (total > CLIP_MAX_BYTES || clip->frames->len >= CLIP_MAX_FRAMES) {
      g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_TOO_LAZY,
                  "clip %s is too large (limits: %u MiB, %u frames)", path,
                  CLIP_MAX_BYTES / (1024u * 1024u), CLIP_MAX_FRAMES);
      goto fail;
    }
    /* The clip's own PTS/DTS stay: the feeder keeps their difference so B-frames still
     * reorder correctly. */
    g_ptr_array_add(clip->frames, gst_buffer_copy(buf));
  }

  if (msg == NULL)
    msg = gst_bus_pop_filtered(bus, GST_MESSAGE_ERROR);
  if (msg != NULL) {
    g_autoptr(GError) gerr = NULL;
    gst_message_parse_error(msg, &gerr, NULL);
    g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_DEMUX, "cannot read clip %s: %s", path,
                gerr->message);
    goto fail;
  }
  if (!gst_app_sink_is_eos(GST_APP_SINK(sink))) {
    g_set_error(error, GST_RESOURCE_ERROR, GST_RESOURCE_ERROR_READ, "reading clip %s timed out",
                path);
    goto fail;
  }
  if (clip->frames->len == 0) {
    g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_WRONG_TYPE,
                "clip %s has no H.264 video starting with a keyframe", path);
    goto fail;
  }
  GstStructure *st = gst_caps_get_structure(clip->caps, 0);
  int num = 0, den = 0;
  if (gst_structure_get_fraction(st, "framerate", &num, &den) && num > 0 && den > 0)
    clip->fps = CLAMP((num + den / 2) / den, 1, 120);
  else
    clip->fps = 25;
  gst_element_set_state(pipeline, GST_STATE_NULL);
  return clip;

fail:
  gst_element_set_state(pipeline, GST_STATE_NULL);
  clip_free(clip);
  return NULL;
}

static void clip_feeder_unref(gpointer p)
{
  ClipFeeder *f = p;
  if (!g_atomic_ref_count_dec(&f->rc))
    return;
  stream_unref(f->stream);
  gst_object_unref(f->appsrc);
  g_free(f);
}

/* One tick of a clip's frame clock: sends the next access unit timestamped with the running time
 * now, as a live camera would. While stalled, or before the media plays, frames are skipped and
 * sending resumes at the next keyframe so decoders never see a broken reference chain. */
static gboolean clip_feeder_tick(gpointer p)
{
  ClipFeeder *f = p;
  Clip *clip = f->stream->clip;
  GstBuffer *frame = g_ptr_array_index(clip->frames, f->next);
  f->next = (f->next + 1) % clip->frames->len;

  g_autoptr(GstClock) clock = gst_element_get_clock(f->appsrc);
  if (g_atomic_int_get(&f->stream->stalled) || clock == NULL ||
      GST_STATE(f->appsrc) != GST_STATE_PLAYING) {
    f->need_keyframe = true;
    return G_SOURCE_CONTINUE;
  }
  if (f->need_keyframe && GST_BUFFER_FLAG_IS_SET(frame, GST_BUFFER_FLAG_DELTA_UNIT))
    return G_SOURCE_CONTINUE;
  f->need_keyframe = false;

  GstBuffer *out = gst_buffer_copy(frame);
  GstClockTime now = gst_clock_get_time(clock);
  GstClockTime base = gst_element_get_base_time(f->appsrc);
  GstClockTime running = now > base ? now - base : 0;
  GstClockTime reorder = 0;
  if (GST_BUFFER_PTS_IS_VALID(frame) && GST_BUFFER_DTS_IS_VALID(frame) &&
      GST_BUFFER_PTS(frame) > GST_BUFFER_DTS(frame))
    reorder = GST_BUFFER_PTS(frame) - GST_BUFFER_DTS(frame);
  GST_BUFFER_DTS(out) = running;
  GST_BUFFER_PTS(out) = running + reorder;
  GST_BUFFER_DURATION(out) = GST_SECOND / (GstClockTime)clip->fps;
  gst_app_src_push_buffer(GST_APP_SRC(f->appsrc), out);
  return G_SOURCE_CONTINUE;
}

/* --- media construction ------------------------------------------------------------------ */

static const char *pick_aac_encoder(void)
{
  static const char *const candidates[] = {"voaacenc", "avenc_aac", "fdkaacenc"};
  for (size_t i = 0; i < G_N_ELEMENTS(candidates); i++) {
    g_autoptr(GstElementFactory) f = gst_element_factory_find(candidates[i]);
    if (f != NULL)
      return candidates[i];
  }
  return NULL;
}

/* The elements a drawn (not clip) stream's launch line needs, each with the Debian package that
 * has it: a missing one is named here, not met as a 503 at the client's DESCRIBE. */
static bool elements_present(const char *path, StreamCodec codec, GError **error)
{
  static const char *const needed[][2] = {
      {"videotestsrc", "gstreamer1.0-plugins-base"},
      {"videoscale", "gstreamer1.0-plugins-base"},
      {"clockoverlay", "gstreamer1.0-x"},
      {"x264enc", "gstreamer1.0-plugins-ugly"},
      {"rtph264pay", "gstreamer1.0-plugins-good"},
      {"x265enc", "gstreamer1.0-plugins-bad"},
      {"rtph265pay", "gstreamer1.0-plugins-good"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(needed); i++) {
    bool h265_only = strstr(needed[i][0], "265") != NULL, h264_only = strstr(needed[i][0], "264");
    if ((h265_only && codec != CODEC_H265) || (h264_only && codec != CODEC_H264))
      continue;
    g_autoptr(GstElementFactory) f = gst_element_factory_find(needed[i][0]);
    if (f == NULL) {
      g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                  "stream %s: the GStreamer element %s is not installed (Debian package %s)", path,
                  needed[i][0], needed[i][1]);
      return false;
    }
  }
  return true;
}

/* The launch line for a mount. Sizes and text that the caller controls are set on the named
 * elements when the media is configured, so nothing user-supplied is parsed here. */
static char *stream_launch_line(Stream *st)
{
  if (st->clip != NULL)
    return g_strdup("( appsrc name=clipsrc is-live=true format=time do-timestamp=false "
                    "max-buffers=8 leaky-type=downstream ! h264parse ! "
                    "rtph264pay name=pay0 pt=96 config-interval=-1 )");

  g_autofree char *encoder = NULL;
  int threads = st->width * st->height <= 640 * 480 ? 1 : 0;
  if (st->codec == CODEC_H265)
    encoder = g_strdup_printf("x265enc name=enc tune=zerolatency speed-preset=ultrafast "
                              "key-int-max=%d bitrate=%d ! video/x-h265,profile=main ! "
                              "rtph265pay name=pay0 pt=96 config-interval=-1",
                              st->gop_frames, st->bitrate_kbps);
  else
    encoder = g_strdup_printf("x264enc name=enc tune=zerolatency speed-preset=ultrafast "
                              "key-int-max=%d bframes=0 bitrate=%d threads=%d ! "
                              "video/x-h264,profile=constrained-baseline ! "
                              "rtph264pay name=pay0 pt=96 config-interval=-1",
                              st->gop_frames, st->bitrate_kbps, threads);

  g_autofree char *audio = NULL;
  if (st->audio_pcma)
    audio = g_strdup("audiotestsrc name=asrc is-live=true wave=sine freq=440 volume=0.05 "
                     "samplesperbuffer=160 ! audioconvert ! audioresample ! "
                     "audio/x-raw,rate=8000,channels=1 ! alawenc ! rtppcmapay name=pay1 pt=8");
  else if (st->audio)
    audio = g_strdup_printf("audiotestsrc name=asrc is-live=true wave=sine freq=440 volume=0.05 "
                            "samplesperbuffer=1024 ! audioconvert ! audioresample ! "
                            "audio/x-raw,rate=48000,channels=1 ! %s bitrate=64000 ! "
                            "rtpmp4gpay name=pay1 pt=97",
                            pick_aac_encoder());

  /* videoscale before the size filter lets a resize renegotiate the source itself (videoscale
   * then passes through), so a resize costs no scaling. */
  return g_strdup_printf("( videotestsrc name=src is-live=true pattern=ball ! "
                         "video/x-raw,format=I420,framerate=%d/1 ! videoscale ! "
                         "capsfilter name=size ! "
                         "clockoverlay name=overlay valignment=bottom halignment=left "
                         "shaded-background=true time-format=\"%%Y-%%m-%%d %%H:%%M:%%S\" ! "
                         "%s %s )",
                         st->fps, encoder, audio ? audio : "");
}

static void media_hook_detach(MediaHook *hook)
{
  Stream *st = hook->stream;
  g_mutex_lock(&st->lock);
  bool was_attached = hook->attached;
  hook->attached = false;
  if (was_attached)
    g_ptr_array_remove(st->hooks, hook);
  g_mutex_unlock(&st->lock);
  if (!was_attached)
    return;
  if (hook->feeder != NULL) {
    g_source_destroy(hook->feeder);
    g_clear_pointer(&hook->feeder, g_source_unref);
  }
  gst_clear_object(&hook->size_filter);
}

static void media_on_unprepared(GstRTSPMedia *media, gpointer data) { media_hook_detach(data); }

static void media_hook_free(gpointer data, GClosure *closure)
{
  MediaHook *hook = data;
  media_hook_detach(hook);
  stream_unref(hook->stream);
  g_free(hook);
}

static void add_probe(GstElement *bin, const char *name, const char *pad_name,
                      GstPadProbeCallback cb, Stream *st)
{
  g_autoptr(GstElement) el = gst_bin_get_by_name(GST_BIN(bin), name);
  g_autoptr(GstPad) pad = el ? gst_element_get_static_pad(el, pad_name) : NULL;
  if (pad != NULL)
    gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, cb, stream_ref(st), stream_unref);
}

/* A real camera's sender reports map an RTP timestamp to the instant the frame was sampled.
 * rtpbin's default maps it to the instant the packet leaves, which is later by the pipeline's
 * latency (~60 ms here) and would make every client's wall clock disagree with the stamp. */
static void pipeline_on_element_added(GstBin *pipeline, GstElement *element, gpointer data)
{
  if (g_object_class_find_property(G_OBJECT_GET_CLASS(element), "rtcp-sync-send-time") != NULL)
    g_object_set(element, "rtcp-sync-send-time", FALSE, NULL);
}

typedef struct {
  HwRtspServer *server;
  Stream *stream;
} FactoryCtx;

static void factory_ctx_free(gpointer data, GClosure *closure)
{
  FactoryCtx *ctx = data;
  stream_unref(ctx->stream);
  g_free(ctx);
}

/* A new shared media for a mount: put the current size, label and fault state in place and
 * remember the media so later knob turns reach it. */
static void factory_on_media_configure(GstRTSPMediaFactory *factory, GstRTSPMedia *media,
                                       gpointer data)
{
  FactoryCtx *ctx = data;
  Stream *st = ctx->stream;
  g_autoptr(GstElement) bin = gst_rtsp_media_get_element(media);
  g_autoptr(GstObject) pipeline = gst_object_get_parent(GST_OBJECT(bin));
  if (pipeline != NULL && GST_IS_BIN(pipeline))
    g_signal_connect(pipeline, "element-added", G_CALLBACK(pipeline_on_element_added), NULL);
  /* A camera sends a frame as soon as it is encoded. Left alone, the media's sinks would hold
   * each frame for the pipeline's latency (source + encoder, ~60 ms), a delay no camera has and
   * which would make the recorder's arrival times late against the stamps. */
  if (pipeline != NULL && GST_IS_PIPELINE(pipeline))
    gst_pipeline_set_latency(GST_PIPELINE(pipeline), 0);

  MediaHook *hook = g_new0(MediaHook, 1);
  hook->stream = stream_ref(st);

  if (st->clip != NULL) {
    g_autoptr(GstElement) appsrc = gst_bin_get_by_name(GST_BIN(bin), "clipsrc");
    g_object_set(appsrc, "caps", st->clip->caps, NULL);
    ClipFeeder *feeder = g_new0(ClipFeeder, 1);
    g_atomic_ref_count_init(&feeder->rc);
    feeder->stream = stream_ref(st);
    feeder->appsrc = gst_object_ref(appsrc);
    feeder->need_keyframe = true;
    hook->feeder = g_timeout_source_new(1000u / (guint)st->clip->fps);
    g_source_set_priority(hook->feeder, G_PRIORITY_HIGH);
    g_source_set_callback(hook->feeder, clip_feeder_tick, feeder, clip_feeder_unref);
    g_source_attach(hook->feeder, ctx->server->context);
  } else {
    hook->size_filter = gst_bin_get_by_name(GST_BIN(bin), "size");
    g_autoptr(GstElement) overlay = gst_bin_get_by_name(GST_BIN(bin), "overlay");
    g_object_set(overlay, "text", st->label ? st->label : "", NULL);
    add_probe(bin, "src", "src", stall_probe, st);
    add_probe(bin, "asrc", "src", stall_probe, st);
    add_probe(bin, "enc", "sink", stamp_live_probe, st);
  }

  g_mutex_lock(&st->lock);
  if (hook->size_filter != NULL) {
    g_autoptr(GstCaps) caps = stream_size_caps(st->width, st->height);
    g_object_set(hook->size_filter, "caps", caps, NULL);
  }
  hook->attached = true;
  g_ptr_array_add(st->hooks, hook);
  g_mutex_unlock(&st->lock);

  g_signal_connect_data(media, "unprepared", G_CALLBACK(media_on_unprepared), hook, media_hook_free,
                        0);
}

/* --- public API -------------------------------------------------------------------------- */

int hw_rtsp_server_default_bitrate_kbps(int width, int height, int fps)
{
  gint64 pixels_per_s = (gint64)width * height * fps;
  return (int)CLAMP(pixels_per_s / 5000, 200, 4000);
}

HwRtspServer *hw_rtsp_server_new(int port, GError **error)
{
  g_return_val_if_fail(port >= 0 && port <= 65535, NULL);
  if (!gst_is_initialized())
    gst_init(NULL, NULL);

  HwRtspServer *s = g_new0(HwRtspServer, 1);
  g_mutex_init(&s->lock);
  s->streams = g_ptr_array_new_with_free_func(stream_unref);
  s->context = g_main_context_new();
  s->loop = g_main_loop_new(s->context, FALSE);
  s->server = gst_rtsp_server_new();
  g_autofree char *service = g_strdup_printf("%d", port);
  gst_rtsp_server_set_address(s->server, "127.0.0.1");
  gst_rtsp_server_set_service(s->server, service);

  g_autoptr(GError) err = NULL;
  s->server_source = gst_rtsp_server_create_source(s->server, NULL, &err);
  if (s->server_source == NULL) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED, "cannot listen on 127.0.0.1:%d: %s", port,
                err ? err->message : "unknown error");
    hw_rtsp_server_free(s);
    return NULL;
  }
  s->port = gst_rtsp_server_get_bound_port(s->server);
  g_source_attach(s->server_source, s->context);
  s->thread = g_thread_new("hw-rtsp-server", server_thread_main, s);
  return s;
}

bool hw_rtsp_server_add_stream(HwRtspServer *s, const HwRtspStreamSpec *spec, GError **error)
{
  g_return_val_if_fail(s != NULL && spec != NULL, false);

  if (spec->path == NULL || spec->path[0] != '/' || spec->path[1] == '\0') {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "stream path \"%s\" must start with '/' and name a mount",
                spec->path ? spec->path : "(null)");
    return false;
  }
  g_autoptr(GstRTSPMountPoints) mounts = gst_rtsp_server_get_mount_points(s->server);
  Stream *existing = server_find_stream(s, spec->path);
  if (existing != NULL) {
    stream_unref(existing);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_EXISTS, "stream %s is already mounted", spec->path);
    return false;
  }
  StreamCodec codec;
  if (spec->codec == NULL || g_ascii_strcasecmp(spec->codec, "h264") == 0)
    codec = CODEC_H264;
  else if (g_ascii_strcasecmp(spec->codec, "h265") == 0)
    codec = CODEC_H265;
  else {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "stream %s: codec \"%s\" is neither h264 nor h265", spec->path, spec->codec);
    return false;
  }
  int width = spec->width > 0 ? spec->width : 320;
  int height = spec->height > 0 ? spec->height : 240;
  int fps = spec->fps > 0 ? spec->fps : 25;
  if (width % 2 || height % 2 || width < HW_STAMP_MIN_WIDTH || height < HW_STAMP_MIN_HEIGHT ||
      width > 4096 || height > 2304 || fps > 120) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "stream %s: %dx%d@%d is not a size this camera makes (even, 64x16 to 4096x2304, "
                "at most 120 fps)",
                spec->path, width, height, fps);
    return false;
  }
  if (spec->clip_path == NULL && !elements_present(spec->path, codec, error))
    return false;
  if (spec->audio && !spec->audio_pcma && spec->clip_path == NULL && pick_aac_encoder() == NULL) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                "stream %s: no AAC encoder (voaacenc, avenc_aac) installed", spec->path);
    return false;
  }

  Stream *st = g_new0(Stream, 1);
  g_atomic_ref_count_init(&st->rc);
  g_mutex_init(&st->lock);
  st->hooks = g_ptr_array_new();
  st->path = g_strdup(spec->path);
  st->codec = codec;
  st->width = width;
  st->height = height;
  st->fps = fps;
  st->gop_frames = spec->gop_frames > 0 ? spec->gop_frames : 2 * fps;
  st->bitrate_kbps = spec->bitrate_kbps > 0
                         ? spec->bitrate_kbps
                         : hw_rtsp_server_default_bitrate_kbps(width, height, fps);
  st->label = g_strdup(spec->label);
  st->audio = spec->audio;
  st->audio_pcma = spec->audio_pcma;
  if (spec->clip_path != NULL) {
    st->clip = clip_load(spec->clip_path, error);
    if (st->clip == NULL) {
      stream_unref(st);
      return false;
    }
  }

  GstRTSPMediaFactory *factory = gst_rtsp_media_factory_new();
  g_autofree char *launch = stream_launch_line(st);
  gst_rtsp_media_factory_set_launch(factory, launch);
  gst_rtsp_media_factory_set_shared(factory, TRUE);
  gst_rtsp_media_factory_set_suspend_mode(factory, GST_RTSP_SUSPEND_MODE_NONE);
  gst_rtsp_media_factory_add_role(factory, HW_RTSP_ROLE, GST_RTSP_PERM_MEDIA_FACTORY_ACCESS,
                                  G_TYPE_BOOLEAN, TRUE, GST_RTSP_PERM_MEDIA_FACTORY_CONSTRUCT,
                                  G_TYPE_BOOLEAN, TRUE, NULL);
  FactoryCtx *ctx = g_new0(FactoryCtx, 1);
  ctx->server = s;
  ctx->stream = stream_ref(st);
  g_signal_connect_data(factory, "media-configure", G_CALLBACK(factory_on_media_configure), ctx,
                        factory_ctx_free, 0);

  g_mutex_lock(&s->lock);
  g_ptr_array_add(s->streams, st);
  g_mutex_unlock(&s->lock);
  gst_rtsp_mount_points_add_factory(mounts, spec->path, factory);
  return true;
}

int hw_rtsp_server_port(HwRtspServer *s)
{
  g_return_val_if_fail(s != NULL, -1);
  return s->port;
}

char *hw_rtsp_server_url(HwRtspServer *s, const char *path)
{
  g_return_val_if_fail(s != NULL && path != NULL, NULL);
  return g_strdup_printf("rtsp://127.0.0.1:%d%s%s", s->port, path[0] == '/' ? "" : "/", path);
}

void hw_rtsp_server_set_credentials(HwRtspServer *s, const char *user, const char *pass)
{
  g_return_if_fail(s != NULL);
  if (user == NULL || pass == NULL) {
    gst_rtsp_server_set_auth(s->server, NULL);
    return;
  }
  g_autoptr(GstRTSPAuth) auth = gst_rtsp_auth_new();
  gst_rtsp_auth_set_supported_methods(auth, GST_RTSP_AUTH_BASIC | GST_RTSP_AUTH_DIGEST);
  gst_rtsp_auth_set_realm(auth, "HallWatch test camera");
  g_autoptr(GstRTSPToken) token =
      gst_rtsp_token_new(GST_RTSP_TOKEN_MEDIA_FACTORY_ROLE, G_TYPE_STRING, HW_RTSP_ROLE, NULL);
  g_autofree char *basic = gst_rtsp_auth_make_basic(user, pass);
  gst_rtsp_auth_add_basic(auth, basic, token);
  gst_rtsp_auth_add_digest(auth, user, pass, token);
  gst_rtsp_server_set_auth(s->server, auth);
}

static GstRTSPFilterResult session_remove(GstRTSPSessionPool *pool, GstRTSPSession *session,
                                          gpointer data)
{
  return GST_RTSP_FILTER_REMOVE;
}

static GstRTSPFilterResult client_remove(GstRTSPServer *server, GstRTSPClient *client,
                                         gpointer data)
{
  return GST_RTSP_FILTER_REMOVE;
}

/* Sessions go too: a UDP session would otherwise outlive its connection and keep sending. */
static void server_drop_all(HwRtspServer *s)
{
  g_autoptr(GstRTSPSessionPool) pool = gst_rtsp_server_get_session_pool(s->server);
  g_list_free_full(gst_rtsp_session_pool_filter(pool, session_remove, NULL), g_object_unref);
  g_list_free_full(gst_rtsp_server_client_filter(s->server, client_remove, NULL), g_object_unref);
}

void hw_rtsp_server_drop_clients(HwRtspServer *s)
{
  g_return_if_fail(s != NULL);
  server_call(s, server_drop_all);
}

void hw_rtsp_server_set_stalled(HwRtspServer *s, const char *path, bool stalled)
{
  g_return_if_fail(s != NULL && path != NULL);
  Stream *st = server_find_stream(s, path);
  if (st == NULL)
    return;
  g_atomic_int_set(&st->stalled, stalled ? 1 : 0);
  stream_unref(st);
}

void hw_rtsp_server_set_resolution(HwRtspServer *s, const char *path, int w, int h)
{
  g_return_if_fail(s != NULL && path != NULL);
  g_return_if_fail(w >= HW_STAMP_MIN_WIDTH && h >= HW_STAMP_MIN_HEIGHT && w % 2 == 0 &&
                   h % 2 == 0 && w <= 4096 && h <= 2304);
  Stream *st = server_find_stream(s, path);
  if (st == NULL)
    return;
  if (st->clip == NULL) {
    g_autoptr(GstCaps) caps = stream_size_caps(w, h);
    g_mutex_lock(&st->lock);
    st->width = w;
    st->height = h;
    for (guint i = 0; i < st->hooks->len; i++) {
      MediaHook *hook = g_ptr_array_index(st->hooks, i);
      if (hook->size_filter != NULL)
        g_object_set(hook->size_filter, "caps", caps, NULL);
    }
    g_mutex_unlock(&st->lock);
  }
  stream_unref(st);
}

static GstRTSPFilterResult client_count(GstRTSPServer *server, GstRTSPClient *client, gpointer data)
{
  (*(guint *)data)++;
  return GST_RTSP_FILTER_KEEP;
}

guint hw_rtsp_server_n_clients(HwRtspServer *s)
{
  g_return_val_if_fail(s != NULL, 0);
  guint n = 0;
  gst_rtsp_server_client_filter(s->server, client_count, &n);
  return n;
}

void hw_rtsp_server_free(HwRtspServer *s)
{
  if (s == NULL)
    return;
  if (s->thread != NULL) {
    g_autoptr(GstRTSPMountPoints) mounts = gst_rtsp_server_get_mount_points(s->server);
    g_mutex_lock(&s->lock);
    for (guint i = 0; i < s->streams->len; i++)
      gst_rtsp_mount_points_remove_factory(mounts,
                                           ((Stream *)g_ptr_array_index(s->streams, i))->path);
    g_mutex_unlock(&s->lock);
    server_call(s, server_drop_all);

    /* Medias shut down on their own threads; give them a moment so no pipeline is still
     * running when the caller tears down the process. */
    gint64 deadline = g_get_monotonic_time() + SHUTDOWN_WAIT_US;
    for (guint i = 0; i < s->streams->len; i++) {
      Stream *st = g_ptr_array_index(s->streams, i);
      while (stream_n_hooks(st) > 0 && g_get_monotonic_time() < deadline)
        g_usleep(10 * 1000);
    }
    g_source_destroy(s->server_source);
    g_main_loop_quit(s->loop);
    g_thread_join(s->thread);
  }
  g_clear_pointer(&s->server_source, g_source_unref);
  gst_clear_object(&s->server);
  g_main_loop_unref(s->loop);
  g_main_context_unref(s->context);
  g_ptr_array_unref(s->streams);
  g_mutex_clear(&s->lock);
  g_free(s);
}

/* --- benchmark clips --------------------------------------------------------------------- */

typedef struct {
  uint64_t start_us;
} ClipStamp;

static GstPadProbeReturn stamp_clip_probe(GstPad *pad, GstPadProbeInfo *info, gpointer data)
{
  const ClipStamp *cs = data;
  GstBuffer *buf = GST_PAD_PROBE_INFO_BUFFER(info);
  uint64_t offset_us = GST_BUFFER_PTS_IS_VALID(buf) ? GST_BUFFER_PTS(buf) / GST_USECOND : 0;
  stamp_buffer(pad, info, cs->start_us + offset_us);
  return GST_PAD_PROBE_OK;
}

bool hw_demo_make_clip(const char *path, int width, int height, int fps, int seconds,
                       int bitrate_kbps, GError **error)
{
  g_return_val_if_fail(path != NULL, false);
  if (!gst_is_initialized())
    gst_init(NULL, NULL);
  if (width % 2 || height % 2 || width < HW_STAMP_MIN_WIDTH || height < HW_STAMP_MIN_HEIGHT ||
      width > 4096 || height > 2304 || fps < 1 || fps > 120 || seconds < 1 || seconds > 3600) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_ARGUMENT,
                "clip %s: %dx%d@%d for %d s is out of range", path, width, height, fps, seconds);
    return false;
  }
  if (bitrate_kbps <= 0)
    bitrate_kbps = hw_rtsp_server_default_bitrate_kbps(width, height, fps);

  g_autofree char *launch = g_strdup_printf(
      "videotestsrc pattern=ball num-buffers=%d ! "
      "video/x-raw,format=I420,width=%d,height=%d,framerate=%d/1,pixel-aspect-ratio=1/1 ! "
      "x264enc name=enc speed-preset=ultrafast key-int-max=%d bframes=0 bitrate=%d ! "
      "video/x-h264,profile=constrained-baseline ! h264parse ! mp4mux ! filesink name=sink",
      fps * seconds, width, height, fps, 2 * fps, bitrate_kbps);
  g_autoptr(GError) err = NULL;
  g_autoptr(GstElement) pipeline = gst_parse_launch(launch, &err);
  if (pipeline == NULL) {
    g_set_error(error, GST_CORE_ERROR, GST_CORE_ERROR_MISSING_PLUGIN,
                "clip %s: cannot build the encoder: %s", path, err->message);
    return false;
  }
  g_autoptr(GstElement) sink = gst_bin_get_by_name(GST_BIN(pipeline), "sink");
  g_object_set(sink, "location", path, NULL);
  g_autoptr(GstElement) enc = gst_bin_get_by_name(GST_BIN(pipeline), "enc");
  g_autoptr(GstPad) pad = gst_element_get_static_pad(enc, "sink");
  ClipStamp *cs = g_new0(ClipStamp, 1);
  cs->start_us = (uint64_t)(hw_time_now() / HW_NS_PER_US);
  gst_pad_add_probe(pad, GST_PAD_PROBE_TYPE_BUFFER, stamp_clip_probe, cs, g_free);

  gst_element_set_state(pipeline, GST_STATE_PLAYING);
  g_autoptr(GstBus) bus = gst_element_get_bus(pipeline);
  g_autoptr(GstMessage) msg =
      gst_bus_timed_pop_filtered(bus, GST_CLOCK_TIME_NONE, GST_MESSAGE_EOS | GST_MESSAGE_ERROR);
  gst_element_set_state(pipeline, GST_STATE_NULL);
  if (GST_MESSAGE_TYPE(msg) == GST_MESSAGE_ERROR) {
    g_autoptr(GError) gerr = NULL;
    gst_message_parse_error(msg, &gerr, NULL);
    g_set_error(error, GST_STREAM_ERROR, GST_STREAM_ERROR_ENCODE, "clip %s: %s", path,
                gerr->message);
    return false;
  }
  return true;
}
