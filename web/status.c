/* The read-only status routes' bodies: Prometheus metrics and the cameras JSON, rendered from a
 * HwCameraStatus snapshot. Every text field of the snapshot is a fixed char array that may come
 * from a camera or GStreamer, so each is bounded, made valid UTF-8 and escaped here. */
#include "web/internal.h"

#include <jansson.h>
#include <math.h>
#include <string.h>

#include "common/hw_time.h"
#include "web/handlers.h"

char *hw_web_mask_credentials(const char *text)
{
  GString *out = g_string_new(NULL);
  const char *p = text;
  const char *sep;
  while ((sep = strstr(p, "://")) != NULL) {
    const char *auth = sep + 3;
    const char *end = auth + strcspn(auth, "/?# \t\r\n\"'<>");
    const char *at = NULL;
    for (const char *q = auth; q < end; q++)
      if (*q == '@')
        at = q;
    g_string_append_len(out, p, auth - p);
    if (at) {
      g_string_append(out, "***");
      p = at;
    } else {
      p = auth;
    }
  }
  g_string_append(out, p);
  return g_string_free(out, FALSE);
}

/* A fixed-size field as a valid, NUL-terminated UTF-8 string (newly allocated). */
static char *field_dup(const char *buf, size_t cap)
{
  g_autofree char *raw = g_strndup(buf, strnlen(buf, cap));
  return g_utf8_make_valid(raw, -1);
}
#define FIELD(s) field_dup((s), sizeof(s))

/* ---- Prometheus ------------------------------------------------------------------------------ */

static void append_label_value(GString *out, const char *v)
{
  for (; *v; v++) {
    switch (*v) {
    case '\\': g_string_append(out, "\\\\"); break;
    case '"': g_string_append(out, "\\\""); break;
    case '\n': g_string_append(out, "\\n"); break;
    default: g_string_append_c(out, *v); break;
    }
  }
}

static void append_labels(GString *out, const HwCameraStatus *s)
{
  g_autofree char *camera = FIELD(s->camera);
  g_autofree char *stream = FIELD(s->stream);
  g_string_append(out, "{camera=\"");
  append_label_value(out, camera);
  g_string_append(out, "\",stream=\"");
  append_label_value(out, stream);
  g_string_append_c(out, '"');
}

static void append_double(GString *out, double v)
{
  if (isnan(v)) {
    g_string_append(out, "NaN");
  } else if (isinf(v)) {
    g_string_append(out, v > 0 ? "+Inf" : "-Inf");
  } else {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    g_string_append(out, g_ascii_dtostr(buf, sizeof buf, v)); /* locale-independent '.' */
  }
}

static void append_header(GString *out, const char *name, const char *type, const char *help)
{
  g_string_append_printf(out, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

typedef enum { VALUE_U64, VALUE_DOUBLE } ValueKind;

/* One metric family: header, then one sample per stream. get returns FALSE to omit a sample. */
typedef gboolean (*GetFn)(const HwCameraStatus *s, hw_time_ns now, double *d, uint64_t *u);

static void append_family(GString *out, const HwCameraStatus *st, size_t n, hw_time_ns now,
                          const char *name, const char *type, const char *help, ValueKind kind,
                          GetFn get)
{
  append_header(out, name, type, help);
  for (size_t i = 0; i < n; i++) {
    double d = 0;
    uint64_t u = 0;
    if (!get(&st[i], now, &d, &u))
      continue;
    g_string_append(out, name);
    append_labels(out, &st[i]);
    g_string_append(out, "} ");
    if (kind == VALUE_U64)
      g_string_append_printf(out, "%" G_GUINT64_FORMAT, u);
    else
      append_double(out, d);
    g_string_append_c(out, '\n');
  }
}

static gboolean get_bytes(const HwCameraStatus *s, hw_time_ns now, double *d, uint64_t *u)
{
  *u = s->bytes;
  return TRUE;
}
static gboolean get_frames(const HwCameraStatus *s, hw_time_ns now, double *d, uint64_t *u)
{
  *u = s->frames;
  return TRUE;
}
static gboolean get_reconnects(const HwCameraStatus *s, hw_time_ns now, double *d, uint64_t *u)
{
  *u = s->reconnects;
  return TRUE;
}
/* Omitted before the first frame: an age of "since 1970" would fire every alert. */
static gboolean get_age(const HwCameraStatus *s, hw_time_ns now, double *d, uint64_t *u)
{
  if (s->last_frame_ns == 0)
    return FALSE;
  *d = (double)(now - s->last_frame_ns) / (double)HW_NS_PER_S;
  return TRUE;
}
static gboolean get_bitrate(const HwCameraStatus *s, hw_time_ns now, double *d, uint64_t *u)
{
  *d = s->bitrate_bps;
  return TRUE;
}
static gboolean get_fps(const HwCameraStatus *s, hw_time_ns now, double *d, uint64_t *u)
{
  *d = s->fps;
  return TRUE;
}
static gboolean get_paused(const HwCameraStatus *s, hw_time_ns now, double *d, uint64_t *u)
{
  *u = s->paused_disk_floor ? 1 : 0;
  return TRUE;
}
static gboolean get_clock_offset(const HwCameraStatus *s, hw_time_ns now, double *d, uint64_t *u)
{
  *d = (double)s->clock_offset_ns / (double)HW_NS_PER_S;
  return TRUE;
}

char *hw_web_render_metrics(const HwCameraStatus *st, size_t n, hw_time_ns now)
{
  GString *out = g_string_sized_new(256 + n * 2048);

  append_header(out, "hallwatch_camera_state", "gauge",
                "Camera stream state: 1 for the current state, 0 for the others.");
  for (size_t i = 0; i < n; i++) {
    for (int state = HW_CAMERA_CONNECTING; state <= HW_CAMERA_DISABLED; state++) {
      g_string_append(out, "hallwatch_camera_state");
      append_labels(out, &st[i]);
      g_string_append_printf(out, ",state=\"%s\"} %d\n", hw_camera_state_name((HwCameraState)state),
                             st[i].state == (HwCameraState)state ? 1 : 0);
    }
  }
  append_family(out, st, n, now, "hallwatch_camera_bytes_total", "counter",
                "Bytes of footage written since the daemon started.", VALUE_U64, get_bytes);
  append_family(out, st, n, now, "hallwatch_camera_frames_total", "counter",
                "Frames written since the daemon started.", VALUE_U64, get_frames);
  append_family(out, st, n, now, "hallwatch_camera_reconnects_total", "counter",
                "Reconnects since the daemon started.", VALUE_U64, get_reconnects);
  append_family(out, st, n, now, "hallwatch_camera_last_frame_age_seconds", "gauge",
                "Seconds since the last frame (absent before the first frame).", VALUE_DOUBLE,
                get_age);
  append_family(out, st, n, now, "hallwatch_camera_bitrate_bps", "gauge",
                "Bit rate over the last few seconds, in bits per second.", VALUE_DOUBLE,
                get_bitrate);
  append_family(out, st, n, now, "hallwatch_camera_fps", "gauge",
                "Frame rate over the last few seconds.", VALUE_DOUBLE, get_fps);
  append_family(out, st, n, now, "hallwatch_camera_disk_floor_paused", "gauge",
                "1 while recording is paused because the free-space floor is reached.",
                VALUE_U64, get_paused);
  append_family(out, st, n, now, "hallwatch_camera_clock_offset_seconds", "gauge",
                "Last measured camera clock minus local clock, in seconds.", VALUE_DOUBLE,
                get_clock_offset);
  return g_string_free(out, FALSE);
}

/* ---- JSON ------------------------------------------------------------------------------------ */

static json_t *json_text(const char *buf, size_t cap, gboolean null_if_empty, gboolean mask)
{
  g_autofree char *s = field_dup(buf, cap);
  if (null_if_empty && *s == '\0')
    return json_null();
  if (mask) {
    g_autofree char *masked = hw_web_mask_credentials(s);
    return json_string(masked);
  }
  return json_string(s);
}
#define JTEXT(f, null_if_empty, mask) json_text((f), sizeof(f), (null_if_empty), (mask))

static json_t *json_time(hw_time_ns t)
{
  if (t == 0)
    return json_null();
  char buf[40];
  return json_string(hw_time_format(t, buf, sizeof buf));
}

static json_t *json_u64(uint64_t v)
{
  return json_integer(v > (uint64_t)INT64_MAX ? (json_int_t)INT64_MAX : (json_int_t)v);
}

/* JSON has no NaN or Infinity; a rate that is not a number is reported as null. */
static json_t *json_rate(double v)
{
  return isfinite(v) ? json_real(v) : json_null();
}

char *hw_web_render_cameras(const HwCameraStatus *st, size_t n)
{
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++) {
    const HwCameraStatus *s = &st[i];
    json_t *o = json_object();
    json_object_set_new(o, "id", JTEXT(s->camera, FALSE, FALSE));
    json_object_set_new(o, "stream", JTEXT(s->stream, FALSE, FALSE));
    json_object_set_new(o, "source", JTEXT(s->source, FALSE, FALSE));
    json_object_set_new(o, "state", json_string(hw_camera_state_name(s->state)));
    json_object_set_new(o, "state_since", json_time(s->state_since_ns));
    json_object_set_new(o, "last_error", JTEXT(s->last_error, TRUE, TRUE));
    json_object_set_new(o, "warning", JTEXT(s->warning, TRUE, TRUE));
    json_object_set_new(o, "bitrate_bps", json_rate(s->bitrate_bps));
    json_object_set_new(o, "fps", json_rate(s->fps));
    json_object_set_new(o, "codec", JTEXT(s->codec, TRUE, FALSE));
    json_object_set_new(o, "audio_codec", JTEXT(s->audio_codec, TRUE, FALSE));
    if (s->width > 0 && s->height > 0)
      json_object_set_new(o, "resolution", json_sprintf("%dx%d", s->width, s->height));
    else
      json_object_set_new(o, "resolution", json_null());
    json_object_set_new(o, "bytes", json_u64(s->bytes));
    json_object_set_new(o, "frames", json_u64(s->frames));
    json_object_set_new(o, "reconnects", json_u64(s->reconnects));
    json_object_set_new(o, "last_frame", json_time(s->last_frame_ns));
    json_array_append_new(arr, o);
  }
  char *dumped = json_dumps(arr, JSON_COMPACT);
  json_decref(arr);
  /* jansson allocates with malloc; hand back GLib memory so callers g_free. */
  char *ret = g_strdup(dumped);
  free(dumped);
  return ret;
}

/* ---- the status routes (web/handlers.h) ------------------------------------------------------ */

#define CT_TEXT "text/plain; charset=utf-8"
#define CT_PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"

void hw_route_healthz(HwRequest *req, HwReply *reply)
{
  hw_reply_take(reply, 200, CT_TEXT, g_strdup("ok\n"), 3);
}

void hw_route_metrics(HwRequest *req, HwReply *reply)
{
  /* The metrics name every camera of every hall: a hall-limited user reads their cameras'
   * status from GET /api/v1/cameras, which is filtered by hall, instead. */
  if (hw_request_scope_codes(req, HW_SCOPE_HALL) != NULL) {
    hw_reply_error(reply, 403, "forbidden", NULL,
                   "/metrics covers every hall; a hall-limited user reads GET /api/v1/cameras");
    return;
  }
  size_t n;
  g_autofree HwCameraStatus *st = hw_request_camera_status(req, &n);
  char *body = hw_web_render_metrics(st, n, hw_time_now());
  hw_reply_take(reply, 200, CT_PROMETHEUS, body, strlen(body));
}
