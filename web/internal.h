/* Shared between web/ files only: the renderers of the status routes, pure functions of a
 * status snapshot and the current time so they are testable without a socket. */
#pragma once

#include <glib.h>

#include "capture/hw_recorder.h"

G_BEGIN_DECLS

/* Prometheus text format 0.0.4 for statuses[0..n) at wall-clock time now. Returns a newly
 * allocated string (g_free). */
char *hw_web_render_metrics(const HwCameraStatus *statuses, size_t n, hw_time_ns now);

/* The JSON array of GET /api/v1/cameras, serialised; newly allocated (g_free). Holds no
 * credential: the status carries none, and URL userinfo in error texts is masked. */
char *hw_web_render_cameras(const HwCameraStatus *statuses, size_t n);

/* text with the userinfo of every URL in it ("user:pass@") replaced by "***@" (newly allocated). */
char *hw_web_mask_credentials(const char *text);

G_END_DECLS
