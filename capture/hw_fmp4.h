/* Fragmented MP4, written and read back by HallWatch itself, so that every fragment's byte
 * offset is known when it is written and a file can be re-indexed from its bytes alone.
 *
 * Layout of a recording: ftyp, moov (empty sample tables, mvex), then per fragment
 * prft (wall-clock time of its first video frame) + moof + mdat (video samples, then audio).
 * Track 1 is video (timescale 90 kHz), track 2 AAC audio when present. Decode times start at 0
 * in every file. */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/hw_time.h"

G_BEGIN_DECLS

#define HW_FMP4_VIDEO_TIMESCALE 90000u
#define HW_FMP4_VIDEO_TRACK 1u
#define HW_FMP4_AUDIO_TRACK 2u

typedef struct {
  char codec[16];            /* "h264" or "h265" */
  int width, height;
  const uint8_t *codec_data; /* avcC / hvcC record (GStreamer's codec_data), not owned */
  size_t codec_data_len;
  bool has_audio;
  uint32_t audio_rate;
  int audio_channels;
  const uint8_t *audio_config; /* AAC AudioSpecificConfig, not owned */
  size_t audio_config_len;
} HwFmp4Tracks;

typedef struct {
  uint32_t size;     /* bytes in mdat */
  uint32_t duration; /* in the track's timescale */
  int32_t cts;       /* composition offset (pts - dts), track timescale */
  bool key;
} HwFmp4Sample;

/* Appends ftyp + moov for the tracks to out. Returns false (out untouched) if a codec is not
 * one MP4 here can hold. */
bool hw_fmp4_write_init(GByteArray *out, const HwFmp4Tracks *tracks);

/* Appends the headers of one fragment to out: prft, moof (sequence number seq, 1-based), and the
 * mdat box header. The caller writes the samples' bytes right after: video in order, then audio.
 * wall is the wall-clock time of the first video sample; *_decode_time are the tracks' base media
 * decode times (timescale units since the file's start). */
void hw_fmp4_write_fragment_header(GByteArray *out, uint32_t seq, hw_time_ns wall,
                                   uint64_t video_decode_time, const HwFmp4Sample *video,
                                   size_t n_video, uint64_t audio_decode_time,
                                   const HwFmp4Sample *audio, size_t n_audio);

/* ---- reading back -------------------------------------------------------------------------- */

typedef struct {
  int64_t offset, length;  /* bytes of prft+moof+mdat */
  uint32_t seq;
  hw_time_ns wall_ns;      /* from prft */
  uint64_t decode_time;    /* video tfdt */
  int64_t duration_ns;     /* sum of video sample durations */
  int32_t frames;
  bool keyframe_start;
} HwFmp4Fragment;

typedef struct {
  char codec[16];
  char audio_codec[16];
  int width, height;
  uint32_t video_timescale;
  int64_t init_size;       /* bytes of ftyp+moov */
  int64_t valid_size;      /* bytes up to the end of the last complete fragment */
  int64_t file_size;
  HwFmp4Fragment *fragments; /* g_free */
  size_t n_fragments;
} HwFmp4Scan;

/* Reads a recording's structure from fd: the init segment and every complete fragment. A torn
 * tail (a fragment cut short by a crash) ends the scan; valid_size says where. Returns false with
 * a readable error if the file has no usable init segment. */
bool hw_fmp4_scan_fd(int fd, HwFmp4Scan *ret, GError **error);
void hw_fmp4_scan_clear(HwFmp4Scan *scan);

G_END_DECLS
