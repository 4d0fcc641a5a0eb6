/* Private contracts between the files of capture/: the index writer (index.c), the segment
 * writer (writer.c), the wall-clock mapping (clock.c), recovery (recovery.c) and retention
 * (retention.c). Nothing outside capture/ includes this. */
#pragma once

#include <gio/gio.h>
#include <gst/gst.h>
#include <nettle/sha2.h>
#include <stdbool.h>
#include <stdint.h>

#include "capture/hw_fmp4.h"
#include "capture/hw_live.h"
#include "capture/hw_recorder.h"

/* ---- wall-clock mapping (clock.c) ---------------------------------------------------------- */

/* Maps a run's media times (ns, from the camera's RTP timestamps) to wall-clock time, as
 * Moonfire NVR does: the run's start is the earliest (arrival - elapsed media time) of its first
 * fragment, so network delay never pushes footage late; afterwards each fragment's start follows
 * the media clock, steered toward the local clock by at most 500 ppm, so times never jump within a
 * run. A local clock step, or a disagreement larger than the bound, ends the run. */
typedef struct {
  bool started;
  int64_t bound_ns;
  int64_t anchor_media;    /* media time of the last fragment start */
  hw_time_ns anchor_wall;  /* its wall time */
  int64_t real_minus_mono; /* local realtime - monotonic at the last frame: detects steps */
  int64_t last_error_ns;   /* last measured (arrival - predicted) minimum */
  int late_fragments;      /* fragments in a row that came later than the bound */
} HwWallClock;

typedef struct {
  int64_t media_ns;     /* media (decode) time of the frame */
  hw_time_ns arrival;   /* local wall clock when it arrived (or the camera's NTP time) */
  int64_t arrival_mono; /* CLOCK_MONOTONIC at arrival */
} HwArrival;

void hw_wallclock_init(HwWallClock *c, int64_t bound_ns);
/* Returns true and the wall time of frames[0] in *ret_wall; false when the run must end (a clock
 * step or a disagreement beyond the bound): the caller starts a new run and calls again after
 * hw_wallclock_init. */
bool hw_wallclock_fragment(HwWallClock *c, const HwArrival *frames, size_t n,
                           hw_time_ns *ret_wall);

/* ---- recording files and the index writer (index.c) ----------------------------------------- */

/* One recording file, shared by its writer and the index thread (refcounted). The fd is closed
 * when the last reference goes. row.id is set by the index thread once the row is committed. */
typedef struct {
  gint refs;
  int fd;
  char *abspath;
  char *dirs_to_sync[5]; /* directories created for this file (deepest last), NULL-terminated */
  HwStoreFile row;
} HwSegFile;

HwSegFile *hw_segfile_ref(HwSegFile *f);
void hw_segfile_unref(HwSegFile *f);

/* An outage as the camera sees it; its id is set by the index thread. */
typedef struct {
  gint refs;
  int64_t id;
  char camera[64];
  char stream[8];
  hw_time_ns start_ns;
  HwOutageReason reason;
  char detail[256];
} HwOutage;

HwOutage *hw_outage_new(const char *camera, const char *stream, hw_time_ns start,
                        HwOutageReason reason, const char *detail);
HwOutage *hw_outage_ref(HwOutage *o);
void hw_outage_unref(HwOutage *o);

typedef struct HwIndexer HwIndexer;

HwIndexer *hw_indexer_new(HwStore *store, int64_t interval_ns);
/* Index operations, applied in the order pushed. Each takes its own references. */
void hw_indexer_file_open(HwIndexer *ix, HwSegFile *file);
void hw_indexer_fragment(HwIndexer *ix, HwSegFile *file, const HwStoreFragment *frag);
void hw_indexer_file_close(HwIndexer *ix, HwSegFile *file, int64_t size, hw_time_ns end,
                           const char *sha256_hex);
void hw_indexer_outage_open(HwIndexer *ix, HwOutage *outage);
void hw_indexer_outage_close(HwIndexer *ix, HwOutage *outage, hw_time_ns end);
/* Blocks until everything pushed before the call is durable and committed. */
void hw_indexer_flush(HwIndexer *ix);
/* Counts of batches committed and failed, for metrics and tests. */
void hw_indexer_stats(HwIndexer *ix, uint64_t *ret_commits, uint64_t *ret_failures);
/* Flushes and stops the thread. */
void hw_indexer_free(HwIndexer *ix);

/* ---- the segment writer (writer.c) ----------------------------------------------------------- */

/* Turns one camera stream's frames into fMP4 files of fragments on disk and index operations.
 * Thread-safe: video and audio arrive on different streaming threads. */
typedef struct HwSegWriter HwSegWriter;

typedef struct {
  const char *footage_root;
  const char *camera;
  const char *stream;
  HwClockMode clock_mode;
  int64_t file_span_ns;
  int64_t fragment_max_ns;
  int64_t clock_bound_ns;
  HwLiveChannel *live; /* every access unit is published here too (the writer takes a ref); NULL:
                        * no live view */
} HwSegWriterConfig;

HwSegWriter *hw_segwriter_new(HwIndexer *ix, const HwSegWriterConfig *cfg);
/* The video format; a change ends the current file (the next starts at a keyframe). */
void hw_segwriter_set_video(HwSegWriter *w, const char *codec, int width, int height,
                            GBytes *codec_data);
/* AAC audio format (NULL config: no audio). A change ends the current file. */
void hw_segwriter_set_audio(HwSegWriter *w, uint32_t rate, int channels, GBytes *config);
/* One video access unit (the writer takes a ref on buf). Times are the pipeline's, in ns. */
void hw_segwriter_video(HwSegWriter *w, GstBuffer *buf, int64_t dts_ns, int64_t pts_ns, bool key,
                        hw_time_ns arrival, int64_t arrival_mono);
void hw_segwriter_audio(HwSegWriter *w, GstBuffer *buf, int64_t pts_ns);
/* Ends the run: pending frames become a last fragment, the file is closed and indexed. */
void hw_segwriter_finish(HwSegWriter *w);
/* While paused, frames are dropped and no file is open. */
void hw_segwriter_set_paused(HwSegWriter *w, bool paused);

typedef struct {
  uint64_t bytes, frames, fragments, files, runs;
  hw_time_ns last_wall_end;  /* wall time of the end of the last written fragment */
  hw_time_ns run_start;      /* wall time of the current run's first fragment, 0 between runs */
  char codec[16];
  int width, height;
  int64_t clock_offset_ns;   /* last (arrival - predicted) measure */
  char error[256];           /* last write error, "" if none */
  hw_time_ns last_clock_step; /* when a run last ended on a clock step, 0: never */
} HwSegWriterStats;

void hw_segwriter_stats(HwSegWriter *w, HwSegWriterStats *ret);
/* Returns true once if the writer hit a storage error since the last call (message in stats). */
bool hw_segwriter_take_error(HwSegWriter *w, char *buf, size_t len);
void hw_segwriter_free(HwSegWriter *w);

/* Relative path of a new recording: "<camera>/<yyyy>/<mm>/<dd>/<yyyymmddThhmmss.mmmZ>-<stream>.mp4". */
char *hw_segpath_new(const char *camera, const char *stream, hw_time_ns start);
/* Parses camera and stream back from such a path; false if it is not one. */
bool hw_segpath_parse(const char *relpath, char *camera, size_t camera_len, char *stream,
                      size_t stream_len);

/* ---- recovery and retention ---------------------------------------------------------------- */

/* The file in the footage folder's root that names the database it belongs to. */
#define HW_FOOTAGE_MARKER ".hallwatch-footage"

/* Checks the footage folder's identity, then reconciles files and index (recovery.c). */
bool hw_recovery_run(HwStore *store, const char *footage_root, GError **error);

/* Hex SHA-256 of a whole file (65 bytes out). */
bool hw_sha256_file(int fd, char out[65], GError **error);
