/* The live fan-out: one channel per camera stream ("cam/main", "cam/sub") that the segment writer
 * publishes every access unit to, cut into CMAF-style chunks (moof+mdat of a few frames, always
 * shorter than a GOP) for any number of viewers, plus the init segment (ftyp+moov, video only)
 * of the stream's current parameters. Knows nothing of HTTP: viewers are cursors that pull.
 *
 * Cost when nobody watches: the channel keeps references to the current GOP's frames (the same
 * buffers the writer holds anyway) and builds nothing. Chunks are built once per channel, however
 * many viewers, while at least one is subscribed.
 *
 * The publisher (the camera's streaming thread) never waits for a viewer: a subscriber is told
 * "new chunk" through its notify callback, which must not block, and pulls later from a bounded
 * ring (the current and the previous GOP, at most HW_LIVE_RING_BYTES). A viewer whose cursor fell
 * out of the ring, or that is further behind than it allows, skips to the latest keyframe chunk.
 *
 * Threads: publisher calls come from one streaming thread per channel at a time; subscriber calls
 * from any thread. Everything is guarded by the channel's lock, held only for short copies. */
#pragma once

#include <glib.h>
#include <gst/gst.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/hw_time.h"

G_BEGIN_DECLS

#define HW_LIVE_CHUNK_TARGET_NS (100 * HW_NS_PER_MS) /* a chunk closes once it spans this */
#define HW_LIVE_RING_BYTES (16 * 1024 * 1024)        /* chunks kept per channel, at most */
#define HW_LIVE_GOP_FRAMES_MAX 1000                  /* a longer GOP is not kept for joiners */

/* The init segment chunks decode with (refcounted, immutable). */
typedef struct {
  gint refs;
  GBytes *data;        /* ftyp + moov, one video track */
  char codec[8];       /* "h264" / "h265" */
  char mime_codec[64]; /* RFC 6381 codecs parameter, e.g. "avc1.64001f", "hvc1.1.6.L93.B0" */
  int width, height;
} HwLiveInit;

/* One chunk: moof + mdat of a few frames (refcounted, immutable). */
typedef struct {
  gint refs;
  uint64_t seq;         /* per channel, increasing by one */
  GBytes *data;         /* moof + mdat */
  HwLiveInit *init;     /* the init segment it decodes with (a reference) */
  hw_time_ns wall;      /* wall-clock capture time of its first frame (the recorder's mapping) */
  uint64_t decode_time; /* tfdt of its first frame, 90 kHz, continuous over the channel's life */
  uint32_t duration;    /* 90 kHz */
  uint32_t frames;
  bool key; /* starts with a keyframe: a viewer may start here */
} HwLiveChunk;

HwLiveInit *hw_live_init_ref(HwLiveInit *init);
void hw_live_init_unref(HwLiveInit *init);
HwLiveChunk *hw_live_chunk_ref(HwLiveChunk *chunk);
void hw_live_chunk_unref(HwLiveChunk *chunk);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HwLiveChunk, hw_live_chunk_unref)

typedef struct HwLive HwLive;
typedef struct HwLiveChannel HwLiveChannel;
typedef struct HwLiveSub HwLiveSub;

/* The hub: channels by camera id and stream name. Thread-safe. */
HwLive *hw_live_new(void);
/* Drops the hub's references; channels live on while a writer or a viewer holds one. */
void hw_live_free(HwLive *live);

/* The channel of camera/stream (transfer full), created when absent. */
HwLiveChannel *hw_live_channel(HwLive *live, const char *camera, const char *stream);
/* The channel if it exists and a writer publishes to it (transfer full), else NULL. */
HwLiveChannel *hw_live_lookup(HwLive *live, const char *camera, const char *stream);
HwLiveChannel *hw_live_channel_ref(HwLiveChannel *ch);
void hw_live_channel_unref(HwLiveChannel *ch);

/* ---- the publisher (the segment writer) ------------------------------------------------------ */

/* A writer starts or stops publishing to the channel (counted). */
void hw_live_channel_publisher(HwLiveChannel *ch, bool add);
/* The video format (codec "h264"/"h265", avcC/hvcC record); a change gives a new init segment. */
void hw_live_channel_set_format(HwLiveChannel *ch, const char *codec, int width, int height,
                                GBytes *codec_data);
/* One access unit (MP4 sample: length-prefixed NALs; the channel takes a ref on buf). dts/pts are
 * the stream's media times in ns; wall the frame's wall-clock capture time. */
void hw_live_channel_push(HwLiveChannel *ch, GstBuffer *buf, int64_t dts_ns, int64_t pts_ns,
                          bool key, hw_time_ns wall);
/* The run ended (reconnect, stop): pending frames become a last chunk; the next frame starts a
 * new GOP, its decode time continuing where this run's ended. */
void hw_live_channel_end_run(HwLiveChannel *ch);

/* ---- viewers --------------------------------------------------------------------------------- */

/* Called with the channel's lock held, from the publisher's thread, when a chunk is ready: must
 * not block nor call back into the channel (set a flag, write an eventfd). */
typedef void (*HwLiveNotify)(void *user);

/* Subscribes: the cursor is put at the current GOP's first chunk (so the viewer starts on a
 * keyframe at once), or at the next keyframe. Never fails. Free with hw_live_sub_free. */
HwLiveSub *hw_live_sub_new(HwLiveChannel *ch, HwLiveNotify notify, void *user);
/* Unsubscribes; no notify comes after it returns. NULL is fine. */
void hw_live_sub_free(HwLiveSub *sub);
/* The next chunk for this viewer (transfer full), or NULL if it has everything. If the cursor
 * fell out of the ring, or the next chunk is more than max_behind_ns (> 0) older than the newest,
 * the cursor jumps to the latest keyframe chunk and *ret_skipped counts the chunks passed over. */
HwLiveChunk *hw_live_sub_next(HwLiveSub *sub, int64_t max_behind_ns, uint64_t *ret_skipped);

typedef struct {
  int publishers;
  int viewers;
  char codec[8]; /* "" before the first format */
  char mime_codec[64];
  int width, height;
  uint64_t frames_in; /* access units pushed */
  uint64_t chunks;    /* chunks built */
  uint64_t ring_bytes;
} HwLiveInfo;

void hw_live_channel_info(HwLiveChannel *ch, HwLiveInfo *ret);

/* RFC 6381 codecs parameter of an avcC/hvcC record ("" when unreadable), into out. */
void hw_live_mime_codec(const char *codec, const uint8_t *record, size_t len, char *out,
                        size_t out_len);

G_END_DECLS
