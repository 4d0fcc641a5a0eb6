/* One camera stream (main or sub): pipeline, state, reconnects, outages (camera.c). Private to
 * capture/; the recorder owns the streams and calls them from the main context only. */
#pragma once

#include "capture/internal.h"

typedef struct HwCameraStream HwCameraStream;

/* Starts recording cfg's main ("main") or sub ("sub") stream. previous_end is the end of the
 * stream's last indexed footage (0: none), from which a "daemon down" outage is recorded. Its
 * frames are also published to live's channel <camera>/<stream>. */
HwCameraStream *hw_camera_stream_new(const HwCameraConfig *cfg, const char *stream,
                                     const HwRecorderOptions *opts, HwIndexer *ix,
                                     hw_time_ns previous_end, HwLive *live);
/* Every 250 ms: rates (sampled each second), the stall watchdog, state changes, storage errors. */
void hw_camera_stream_tick(HwCameraStream *cs);
void hw_camera_stream_status(HwCameraStream *cs, HwCameraStatus *ret);
/* Pauses recording (disk floor reached with only held footage left) or resumes it. */
void hw_camera_stream_set_paused(HwCameraStream *cs, bool paused, const char *why);
const HwCameraConfig *hw_camera_stream_config(HwCameraStream *cs);
/* Stops the pipeline, writes what is pending, closes the file. */
void hw_camera_stream_free(HwCameraStream *cs);
