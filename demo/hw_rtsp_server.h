/* The demo/test RTSP camera: a gst-rtsp-server on 127.0.0.1 that runs its own main context on its
 * own thread and serves stamped test patterns (or looped pre-encoded clips) with the faults a real
 * hall camera has: dropped connections, stalls, resolution changes, credentials. */
#pragma once

#include <glib.h>
#include <stdbool.h>

G_BEGIN_DECLS

typedef struct HwRtspServer HwRtspServer;

typedef struct {
  const char *path;       /* mount, e.g. "/window-01"; must start with '/' and be unique */
  const char *codec;      /* "h264" (default when NULL) or "h265" */
  int width, height, fps; /* 0 = 320x240@25 */
  int gop_frames;         /* keyframe interval; 0 = 2*fps (2 s GOP) */
  int bitrate_kbps;       /* 0 = scaled to resolution (hw_rtsp_server_default_bitrate_kbps) */
  const char *label;      /* UTF-8 text burned into the picture with a clock, may be NULL */
  bool audio;             /* also send an AAC track */
  bool audio_pcma;        /* send G.711 A-law instead (the recorder must drop it) */
  const char *clip_path;  /* serve this H.264 MP4/MKV in a loop, no re-encode, no stamp; width,
                          * height, codec, gop and bitrate are then the clip's own */
} HwRtspStreamSpec;

/* Starts a server listening on 127.0.0.1:port (0 = any free port). Calls gst_init() if nobody
 * has. Returns NULL and sets error if the port cannot be bound. Free with hw_rtsp_server_free(). */
HwRtspServer *hw_rtsp_server_new(int port, GError **error);

/* Mounts a stream; its pipeline is built when the first client asks and shared by all clients.
 * A clip is read into memory here (at most 512 MiB), so a bad file fails now, with error set. */
bool hw_rtsp_server_add_stream(HwRtspServer *s, const HwRtspStreamSpec *spec, GError **error);

int hw_rtsp_server_port(HwRtspServer *s);

/* "rtsp://127.0.0.1:PORT/path" (path with or without its leading '/'); free with g_free(). */
char *hw_rtsp_server_url(HwRtspServer *s, const char *path);

/* user,pass = NULL,NULL: open to all. Otherwise Basic or Digest with these is required and
 * anything else gets 401. Applies to connections opened afterwards. */
void hw_rtsp_server_set_credentials(HwRtspServer *s, const char *user, const char *pass);

/* Closes every client connection and session now, as a camera that reboots does. Returns once
 * the sockets are closed. */
void hw_rtsp_server_drop_clients(HwRtspServer *s);

/* While stalled the stream's connections and RTCP stay up but no media is sent. Unknown paths
 * are ignored. */
void hw_rtsp_server_set_stalled(HwRtspServer *s, const char *path, bool stalled);

/* Changes a test-pattern stream's size for current and future clients; the encoder starts a new
 * GOP with new parameter sets. w and h must be even, at least 64x16. Ignored for clips. */
void hw_rtsp_server_set_resolution(HwRtspServer *s, const char *path, int w, int h);

/* Number of RTSP client connections now open. */
guint hw_rtsp_server_n_clients(HwRtspServer *s);

/* Drops all clients, stops the thread and frees everything. NULL is fine. */
void hw_rtsp_server_free(HwRtspServer *s);

/* The bitrate a test-pattern stream gets when the spec leaves it 0. */
int hw_rtsp_server_default_bitrate_kbps(int width, int height, int fps);

/* Encodes a stamped test clip for benchmarks: ball pattern, x264, GOP of 2*fps, MP4 at path.
 * Stamps are the wall clock when encoding started plus each frame's time in the clip. Blocks
 * until the file is complete; false with error set otherwise. */
bool hw_demo_make_clip(const char *path, int width, int height, int fps, int seconds,
                       int bitrate_kbps, GError **error);

G_DEFINE_AUTOPTR_CLEANUP_FUNC(HwRtspServer, hw_rtsp_server_free)

G_END_DECLS
