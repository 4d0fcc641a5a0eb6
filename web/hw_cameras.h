/* Camera management's contract with the daemon (web/cameras.c): the hooks through which the API
 * learns the config file's cameras, seals credentials, records audit rows and asks the daemon to
 * re-apply the merged camera list. The daemon fills one and passes it in HwHttpOptions.cameras. */
#pragma once

#include <glib.h>

#include "audit/hw_audit.h"
#include "capture/hw_recorder.h"
#include "common/hw_secret.h"

G_BEGIN_DECLS

typedef struct HwCameraHooks {
  /* Deep copies of the cameras the config file provisions (NULL-terminated array; free each with
   * hw_camera_config_free, then g_free). Called from HTTP threads: must be thread-safe. */
  HwCameraConfig **(*config_cameras)(void *user);
  /* The API's cameras changed in the store: the daemon recomputes config + store cameras and
   * applies them (hw_recorder_apply restarts only changed ones). Called from HTTP threads; must
   * only schedule the work on the daemon's main loop, not wait for it. */
  void (*changed)(void *user);
  void *user;
  HwAudit *audit;         /* every change is recorded ("camera.change", …) */
  const HwSecret *secret; /* seals credentials before they reach the store */
  const char *footage_dir; /* the recorder's footage root, for snapshots and its disk use */
  /* The retention limits the recorder applies (HwRetentionLimits, capture/hw_recorder.h: the
   * file's [retention] with the interface's settings over it), for the storage status
   * (web/dashboard.c). Called from HTTP threads: must be thread-safe. NULL: not known (null). */
  void (*retention)(void *user, HwRetentionLimits *ret);
} HwCameraHooks;

G_END_DECLS
