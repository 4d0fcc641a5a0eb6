/* Camera configuration values: defaults, copies, comparison and state names. Small, pure
 * helpers shared by the config loader and the recorder. */
#include "capture/hw_recorder.h"

#include <string.h>

void hw_recorder_options_init(HwRecorderOptions *opts)
{
  memset(opts, 0, sizeof *opts);
  opts->file_span_ns = 60 * HW_NS_PER_S;
  opts->fragment_max_ns = 2 * HW_NS_PER_S;
  opts->backoff_min_ns = 1 * HW_NS_PER_S;
  opts->backoff_max_ns = 30 * HW_NS_PER_S;
  opts->backoff_reset_ns = 60 * HW_NS_PER_S;
  opts->stall_timeout_ns = 10 * HW_NS_PER_S;
  opts->clock_bound_ns = 2 * HW_NS_PER_S;
  opts->index_interval_ns = 500 * HW_NS_PER_MS;
  opts->retain_days = 30;
  opts->retain_bytes = 0;
  opts->min_free_bytes = INT64_C(1) << 30;
  opts->retention_interval_ns = 10 * HW_NS_PER_S;
}

HwCameraConfig *hw_camera_config_copy(const HwCameraConfig *c)
{
  HwCameraConfig *r = g_new0(HwCameraConfig, 1);
  *r = *c;
  r->id = g_strdup(c->id);
  r->name = g_strdup(c->name);
  r->url = g_strdup(c->url);
  r->substream_url = g_strdup(c->substream_url);
  r->username = g_strdup(c->username);
  r->password = g_strdup(c->password);
  r->source = g_strdup(c->source);
  return r;
}

void hw_camera_config_free(HwCameraConfig *c)
{
  if (c == NULL)
    return;
  g_free(c->id);
  g_free(c->name);
  g_free(c->url);
  g_free(c->substream_url);
  g_free(c->username);
  if (c->password != NULL) {
    /* Credentials do not linger in freed heap memory. */
    memset(c->password, 0, strlen(c->password));
    g_free(c->password);
  }
  g_free(c->source);
  g_free(c);
}

bool hw_camera_config_equal(const HwCameraConfig *a, const HwCameraConfig *b)
{
  return g_strcmp0(a->id, b->id) == 0 && g_strcmp0(a->name, b->name) == 0 &&
         g_strcmp0(a->url, b->url) == 0 && g_strcmp0(a->substream_url, b->substream_url) == 0 &&
         g_strcmp0(a->username, b->username) == 0 && g_strcmp0(a->password, b->password) == 0 &&
         g_strcmp0(a->source, b->source) == 0 && a->transport == b->transport &&
         a->clock == b->clock && a->enabled == b->enabled && a->retain_days == b->retain_days &&
         a->retain_bytes == b->retain_bytes;
}

const char *hw_camera_state_name(HwCameraState state)
{
  switch (state) {
  case HW_CAMERA_CONNECTING:
    return "connecting";
  case HW_CAMERA_RECORDING:
    return "recording";
  case HW_CAMERA_RECONNECTING:
    return "reconnecting";
  case HW_CAMERA_ERROR:
    return "error";
  case HW_CAMERA_DISABLED:
    return "disabled";
  }
  return "error";
}
