/* The recorder: every camera's GStreamer pipeline, reconnects, the segment writer, wall-clock
 * mapping, the index writer, recovery at start-up and retention. Knows nothing of HTTP or cases.
 *
 * Threads: each camera stream runs its own GStreamer pipeline; frames are written to disk on the
 * pipeline's streaming thread (one write call per fragment). A single index thread fsyncs the
 * files that have new fragments, then commits their index rows in one transaction, so the index
 * never points at bytes that are not durable. Status snapshots may be taken from any thread. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/hw_time.h"
#include "sql/hw_store.h"

G_BEGIN_DECLS

typedef enum { HW_TRANSPORT_TCP, HW_TRANSPORT_UDP } HwTransport;
typedef enum { HW_CLOCK_LOCAL, HW_CLOCK_CAMERA } HwClockMode;
/* Which RTSP client reads the cameras: libavformat (default: one thread a camera, the lower CPU
 * in docs/performance.md) or GStreamer's rtspsrc (always used for clock = camera, since only it
 * gives each frame the camera's sender-report time). */
typedef enum { HW_CAPTURE_LIBAV, HW_CAPTURE_GSTREAMER } HwCaptureFrontend;

/* One camera as provisioned (by the config file or, later, the API). Strings are owned by the
 * struct; hw_camera_config_free frees them. */
typedef struct {
  char *id;            /* [A-Za-z0-9._-]{1,63} */
  char *name;
  char *url;           /* rtsp:// main stream */
  char *substream_url; /* optional, NULL if none */
  char *username, *password; /* never logged, never returned */
  HwTransport transport;
  HwClockMode clock;
  bool enabled;
  char *source;        /* "config" or "api" */
  int64_t retain_days; /* 0: global limit only */
  int64_t retain_bytes;
} HwCameraConfig;

HwCameraConfig *hw_camera_config_copy(const HwCameraConfig *c);
void hw_camera_config_free(HwCameraConfig *c);
/* Whether two configs would record the same way (a SIGHUP restarts only cameras that differ). */
bool hw_camera_config_equal(const HwCameraConfig *a, const HwCameraConfig *b);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HwCameraConfig, hw_camera_config_free)

typedef struct {
  char *footage_dir;          /* root folder of the recordings */
  int64_t file_span_ns;       /* a new file after this much footage (default 60 s) */
  int64_t fragment_max_ns;    /* a fragment never spans more (default 2 s) */
  int64_t backoff_min_ns;     /* reconnect backoff: first wait (default 1 s) */
  int64_t backoff_max_ns;     /* cap (default 30 s) */
  int64_t backoff_reset_ns;   /* a run this long resets the backoff (default 60 s) */
  int64_t stall_timeout_ns;   /* no frame for this long → reconnect (default 10 s) */
  int64_t clock_bound_ns;     /* camera/local clock disagreement that ends a run (default 2 s) */
  int64_t index_interval_ns;  /* how often the index thread syncs and commits (default 500 ms) */
  int64_t retain_days;        /* global age limit (0: none) */
  int64_t retain_bytes;       /* global byte limit (0: none) */
  int64_t min_free_bytes;     /* free-space floor on the footage file system */
  int64_t retention_interval_ns; /* how often retention runs (default 10 s) */
  HwCaptureFrontend capture;  /* default HW_CAPTURE_LIBAV */
} HwRecorderOptions;

/* Fills opts with the defaults above (footage_dir is left NULL). */
void hw_recorder_options_init(HwRecorderOptions *opts);

typedef enum {
  HW_CAMERA_CONNECTING,
  HW_CAMERA_RECORDING,
  HW_CAMERA_RECONNECTING,
  HW_CAMERA_ERROR,
  HW_CAMERA_DISABLED,
} HwCameraState;

/* "connecting", "recording", "reconnecting", "error", "disabled". */
const char *hw_camera_state_name(HwCameraState state);

/* A point-in-time view of one camera stream, safe to keep (no pointers). */
typedef struct {
  char camera[64];
  char stream[8];           /* "main" / "sub" */
  char source[8];           /* "config" / "api" */
  HwCameraState state;
  char last_error[256];     /* readable reason of the last failure, "" if none */
  char warning[256];        /* e.g. "audio G.711 dropped", "camera clock 3.2 s off" */
  char codec[16];           /* "h264" / "h265" / "" before the first frame */
  char audio_codec[16];
  int width, height;
  double fps;               /* measured over the last few seconds */
  double bitrate_bps;       /* measured over the last few seconds */
  uint64_t bytes;           /* written since start */
  uint64_t frames;
  uint64_t reconnects;
  hw_time_ns last_frame_ns; /* wall-clock time of the last frame, 0 if none */
  hw_time_ns state_since_ns;
  int64_t clock_offset_ns;  /* last measured camera minus local clock */
  bool paused_disk_floor;   /* recording paused: only held footage left and the floor reached */
} HwCameraStatus;

typedef struct HwRecorder HwRecorder;

/* Creates the recorder: checks the footage folder (an empty new folder is marked with the store's
 * UUID), then runs recovery: torn fragment tails cut, unindexed files indexed, rows of vanished
 * files removed, outages left open closed, "daemon down" gaps recorded. A folder that is missing
 * or marked with another database's UUID (an unmounted disk, the wrong database) is not touched:
 * nothing records and every camera shows the error (hw_recorder_storage_error) until a retry
 * every 5 s finds the folder good. The store must outlive the recorder. error is reserved for
 * failures that make a recorder impossible (none today). */
HwRecorder *hw_recorder_new(HwStore *store, const HwRecorderOptions *opts, GError **error);

/* The live fan-out every camera stream publishes to (capture/hw_live.h), borrowed: valid until
 * hw_recorder_free. Viewers look channels up by camera id and "main"/"sub". */
typedef struct HwLive HwLive;
HwLive *hw_recorder_live(HwRecorder *rec);

/* Why recording cannot start (transfer none), or NULL while the footage folder is usable. Call
 * from the main thread. */
const char *hw_recorder_storage_error(HwRecorder *rec);

/* Adds, removes or restarts cameras so that the running set matches cameras[0..n): unchanged
 * cameras keep recording untouched. Call from the main thread. */
void hw_recorder_apply(HwRecorder *rec, HwCameraConfig *const *cameras, size_t n);

/* Status of every camera stream (g_free the array). */
HwCameraStatus *hw_recorder_status(HwRecorder *rec, size_t *ret_n);

/* The global retention limits the retention loop uses (the [retention] keys, after the web
 * interface's settings): 0 days/bytes is no limit. */
typedef struct {
  int64_t days;           /* age limit in days */
  int64_t bytes;          /* all footage together */
  int64_t min_free_bytes; /* the free-space floor */
} HwRetentionLimits;

/* Replaces the limits; the retention loop runs at once with them. Call from the main thread. */
void hw_recorder_set_retention(HwRecorder *rec, const HwRetentionLimits *limits);
/* The limits in force now. Any thread. */
HwRetentionLimits hw_recorder_retention(HwRecorder *rec);

/* Stops all cameras: open fragments are finished and written, files fsynced, index committed.
 * Then frees the recorder. Call from the main thread. */
void hw_recorder_free(HwRecorder *rec);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HwRecorder, hw_recorder_free)

G_END_DECLS
