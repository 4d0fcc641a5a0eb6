/* Snapshots: reading one picture back, decoded on demand only. Probes an RTSP URL (codec,
 * resolution, fps, audio, one keyframe as JPEG, or why it failed) and decodes the latest indexed
 * keyframe of a camera's recording. The recorder itself never decodes anything. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sql/hw_store.h"

G_BEGIN_DECLS

#define HW_SNAPSHOT_ERROR (hw_snapshot_error_quark())
GQuark hw_snapshot_error_quark(void);

typedef enum {
  HW_SNAPSHOT_ERROR_AUTH,        /* the camera refused the credentials (401/403) */
  HW_SNAPSHOT_ERROR_UNREACHABLE, /* cannot connect, or no stream at that path */
  HW_SNAPSHOT_ERROR_TIMEOUT,     /* nothing usable within the time bound */
  HW_SNAPSHOT_ERROR_NO_VIDEO,    /* no H.264/H.265 video in the stream */
  HW_SNAPSHOT_ERROR_DECODE,      /* the keyframe did not decode or encode as JPEG */
  HW_SNAPSHOT_ERROR_NO_FOOTAGE,  /* the camera has no indexed keyframe yet */
  HW_SNAPSHOT_ERROR_IO,          /* a footage file cannot be read */
} HwSnapshotError;

typedef struct {
  char codec[16];       /* "h264" / "h265" */
  int width, height;
  double fps;           /* 0 if the stream does not say */
  char audio_codec[16]; /* "" if none */
  GBytes *jpeg;         /* one decoded keyframe, owned */
} HwSnapshotProbe;

void hw_snapshot_probe_clear(HwSnapshotProbe *probe);

/* Connects to url (rtsp://, no userinfo; username/password nullable) over TCP (or UDP), reads
 * stream info and decodes the first keyframe, all within timeout_ns (libavformat's interrupt
 * callback enforces it). Fills *ret (clear it with hw_snapshot_probe_clear) or returns false
 * with error (domain HW_SNAPSHOT_ERROR; the message never contains the credentials). Blocks the
 * calling thread for at most about timeout_ns. Thread-safe. */
bool hw_snapshot_probe_rtsp(const char *url, const char *username, const char *password, bool udp,
                            int64_t timeout_ns, HwSnapshotProbe *ret, GError **error);

/* A short word for an error of this domain: "auth_refused", "unreachable", "timeout",
 * "no_video", "decode_failed", "no_footage", "io"; "error" for other domains. */
const char *hw_snapshot_reason_name(const GError *error);

/* Decodes the first video frame of an MP4 held in memory (an init segment followed by one
 * fragment) as JPEG (transfer full), or NULL with error. */
GBytes *hw_snapshot_decode_mp4(const void *data, size_t len, GError **error);

/* The latest indexed keyframe fragment of camera's main stream, decoded to JPEG (transfer full),
 * or NULL with error (NO_FOOTAGE when there is none). footage_dir is the recordings' root. */
GBytes *hw_snapshot_latest(HwStore *store, const char *footage_dir, const char *camera,
                           GError **error);

G_END_DECLS
