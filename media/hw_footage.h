/* Footage read back from the index for a camera stream and a range: what is covered, where the
 * gaps are and why (coverage), and the HLS playlist that plays it from the stored files by byte
 * range (playback). Knows nothing of HTTP: the caller gives the URL of the files and serves
 * them. Design and the choice of HLS byte ranges: docs/playback.md. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/hw_time.h"
#include "sql/hw_store.h"

G_BEGIN_DECLS

#define HW_FOOTAGE_ERROR (hw_footage_error_quark())
GQuark hw_footage_error_quark(void);

typedef enum {
  HW_FOOTAGE_ERROR_RANGE,      /* from >= to, or a range longer than the limit */
  HW_FOOTAGE_ERROR_NO_FOOTAGE, /* nothing indexed in the range */
  HW_FOOTAGE_ERROR_STORE,      /* the index could not be read */
} HwFootageError;

/* Two pieces of footage closer than this are one covered range (files of one run follow each
 * other within a frame; a new run may start a few ms off, docs/time.md). */
#define HW_FOOTAGE_JOIN_NS (250 * HW_NS_PER_MS)
/* The index lags the camera by up to index_interval + fragment_max: a gap this close to now
 * that no outage explains is "pending", not "not_recorded". */
#define HW_FOOTAGE_PENDING_NS (INT64_C(6) * HW_NS_PER_S)
/* At most this many covered ranges plus gaps in one answer (the rest: continue from next_from). */
#define HW_FOOTAGE_ITEMS_MAX 2000
/* The longest range one playlist may span (12 h of 2 s fragments is ~21600 segments, ~2 MiB). */
#define HW_PLAYBACK_RANGE_MAX (INT64_C(12) * 3600 * HW_NS_PER_S)

typedef struct {
  hw_time_ns from_ns, to_ns;
} HwFootageRange;

typedef struct {
  hw_time_ns from_ns, to_ns;
  /* An outage reason of the index ("camera_unreachable", "daemon_down", …, docs/time.md), or
   * "expired" (before the end of the newest file retention deleted), "not_recorded" (nothing
   * says why), "pending" (the last seconds, not yet indexed). */
  char reason[32];
  char detail[256]; /* the outage's detail, "" otherwise */
} HwFootageGap;

typedef struct {
  HwFootageRange *covered; /* g_free'd by hw_footage_coverage_clear */
  size_t n_covered;
  HwFootageGap *gaps;
  size_t n_gaps;
  hw_time_ns to_ns;       /* the range's end as answered: min(to, now) */
  hw_time_ns oldest_ns;   /* start of the oldest footage kept of the stream, 0 if none */
  bool truncated;         /* more than HW_FOOTAGE_ITEMS_MAX items: ask again from next_from_ns */
  hw_time_ns next_from_ns;
} HwFootageCoverage;

/* The covered ranges and the gaps (with reasons) of camera/stream in [from, min(to, now)), in
 * time order; gaps and ranges together tile the range. Fills *ret (clear it with
 * hw_footage_coverage_clear) or returns false with error (HW_FOOTAGE_ERROR_RANGE if from >= to). */
bool hw_footage_coverage(HwStore *store, const char *camera, const char *stream, hw_time_ns from,
                         hw_time_ns to, hw_time_ns now, HwFootageCoverage *ret, GError **error);
void hw_footage_coverage_clear(HwFootageCoverage *c);

/* ---- linking: the footage of a window interaction ---------------------------------------------- */

/* Default rolls around a stage event (issue 5: configurable per stage type by the caller). */
#define HW_FOOTAGE_PRE_ROLL_DEFAULT (INT64_C(30) * HW_NS_PER_S)
#define HW_FOOTAGE_POST_ROLL_DEFAULT (INT64_C(120) * HW_NS_PER_S)

/* The rolls of one stage type, and of every stage type ([footage] in the configuration file). */
typedef struct {
  char stage[32];
  int64_t pre_ns, post_ns;
} HwFootageStageRolls;

typedef struct HwFootageRolls {
  int64_t pre_ns, post_ns; /* for stage types not listed */
  HwFootageStageRolls *stages; /* n of them; each roll given for a stage type, else the default */
  size_t n;
} HwFootageRolls;

/* The pre- and post-roll of a stage type under r (NULL: the defaults above). */
void hw_footage_rolls_for(const HwFootageRolls *r, const char *stage, int64_t *ret_pre_ns,
                          int64_t *ret_post_ns);

typedef struct {
  char camera[64];
  hw_time_ns from_ns, to_ns;   /* the linked range: [from - pre_roll, to + post_roll) */
  HwFootageCoverage coverage;  /* of the main stream over that range (cleared by _links_free) */
} HwFootageLink;

/* The footage of what happened at window window_id during [from, to] (to == from for a single
 * event such as an evaluation press; the ticket call and the acceptance for a window
 * interaction): every camera that covered the window at from or at to (the window→camera mapping
 * history), each with the range [from - pre_roll, to + post_roll) and its coverage at now. An
 * array of *ret_n links by camera id (free with hw_footage_links_free; NULL and 0 when no camera
 * covered the window). Errors: HW_FOOTAGE_ERROR_RANGE (to < from, a negative roll),
 * HW_FOOTAGE_ERROR_STORE. The case store calls this for each stage of a case. */
bool hw_footage_for_window(HwStore *store, int64_t window_id, hw_time_ns from, hw_time_ns to,
                           int64_t pre_roll_ns, int64_t post_roll_ns, hw_time_ns now,
                           HwFootageLink **ret, size_t *ret_n, GError **error);
void hw_footage_links_free(HwFootageLink *links, size_t n);

/* ---- playback: HLS of fMP4 byte ranges ------------------------------------------------------- */

typedef struct {
  char *text;             /* the playlist (g_free) */
  size_t n_segments;
  size_t n_files;
  hw_time_ns first_ns;    /* wall-clock start of the first segment (a keyframe at or before from) */
  hw_time_ns end_ns;      /* wall-clock end of the last segment */
  double start_offset_s;  /* the EXT-X-START offset: where `start` is in the playlist's time */
  bool complete;          /* EXT-X-ENDLIST given: nothing more will be added to the range */
  char codec[16];         /* of the first file ("h264"/"h265") */
} HwPlaylist;

/* The HLS media playlist (version 7) of camera/stream over [from, to): for each file, EXT-X-MAP
 * with the byte range of its init segment (ftyp+moov); for each fragment overlapping the range
 * (from the one holding the keyframe at or before from), EXTINF, EXT-X-BYTERANGE and
 * EXT-X-PROGRAM-DATE-TIME; EXT-X-DISCONTINUITY at every file change (decode times restart per
 * file) and so across gaps, which are skipped. The URI of file F is "<file_url_prefix><F>.mp4".
 * EXT-X-START:TIME-OFFSET places `start` (clamped into the range). Only indexed fragments are
 * listed, so a file still being written is listed up to its last durable fragment. The range is
 * complete (VOD + ENDLIST) when to <= now - HW_FOOTAGE_PENDING_NS or the stream's indexed footage
 * already reaches to; else it is an EVENT playlist the player reloads. Errors: HW_FOOTAGE_ERROR_RANGE, _NO_FOOTAGE, _STORE. */
bool hw_playback_playlist(HwStore *store, const char *camera, const char *stream, hw_time_ns from,
                          hw_time_ns to, hw_time_ns start, hw_time_ns now,
                          const char *file_url_prefix, HwPlaylist *ret, GError **error);
void hw_playlist_clear(HwPlaylist *p);

/* The stream a browser without H.265 should play over [from, to): "main" unless the main
 * stream's first file there is H.265 and the sub-stream has H.264 footage there, then "sub".
 * (Export always takes the main stream.) *ret is a static string. */
bool hw_playback_choose_stream(HwStore *store, const char *camera, hw_time_ns from, hw_time_ns to,
                               const char **ret, GError **error);

G_END_DECLS
