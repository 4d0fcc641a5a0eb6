/* Camera management over the API: cameras (settings merged with the recorder's status), halls,
 * windows and the window→camera history, plus the connection test and the snapshot. Credentials
 * are write-only: sealed (web/hw_cameras.h) before the store sees them, never echoed, never put in
 * an audit row. Scope: a hall-limited caller sees another hall's objects as 404, so ids do not leak. */
#include <glib.h>
#include <jansson.h>
#include <string.h>

#include "media/hw_snapshot.h"
#include "web/handlers.h"
#include "web/hw_cameras.h"
#include "web/internal.h"

#define NAME_MAX_BYTES 127
#define URL_MAX_BYTES 1023
#define CREDENTIAL_MAX_BYTES 200
#define RETAIN_DAYS_MAX 36500
#define WINDOW_CAMERAS_MAX 16
#define TEST_TIMEOUT_NS (INT64_C(10) * HW_NS_PER_S)

static const HwCameraHooks *hooks(HwRequest *req)
{
  return req->http->opt.cameras;
}

static bool need_hooks(HwRequest *req, HwReply *reply)
{
  if (hooks(req) != NULL)
    return true;
  hw_reply_error(reply, 503, "unavailable", NULL, "camera management is not enabled here");
  return false;
}

/* Like hw_request_scope_allows, but an unrestricted caller also sees objects in no hall. */
static bool hall_in_scope(HwRequest *req, const char *hall)
{
  const char *const *codes = hw_request_scope_codes(req, HW_SCOPE_HALL);
  if (codes == NULL)
    return true;
  return hall != NULL && *hall && g_strv_contains(codes, hall);
}

static void store_error_reply(HwReply *reply, const GError *e, const char *what, const char *field)
{
  if (e->domain == HW_STORE_ERROR && e->code == HW_STORE_ERROR_NOT_FOUND)
    hw_reply_error(reply, 404, "not_found", NULL, "no such %s", what);
  else if (e->domain == HW_STORE_ERROR && e->code == HW_STORE_ERROR_EXISTS)
    hw_reply_error(reply, 409, "conflict", field, "a %s with this %s already exists", what,
                   field ? field : "id");
  else if (e->domain == HW_STORE_ERROR && e->code == HW_STORE_ERROR_INVALID)
    hw_reply_error(reply, 400, "invalid_field", field, "%s: %s", what, e->message);
  else
    hw_reply_error(reply, 500, "internal", NULL, "the store failed while handling the %s", what);
}

/* One audit row for a change made by the caller. FALSE (reply set) if it could not be written. */
static bool audit(HwRequest *req, HwReply *reply, const char *action, const char *type,
                  const char *id, json_t *detail)
{
  const HwCaller *c = hw_request_caller(req);
  char *text = json_dumps(detail, JSON_COMPACT);
  json_decref(detail);
  g_autoptr(GError) error = NULL;
  bool ok = hw_audit_record(hooks(req)->audit, c->name, hw_role_name(c->role),
                            hw_request_client_address(req), action, type, id, text, &error);
  free(text);
  if (!ok)
    hw_reply_error(reply, 500, "audit_failed", NULL,
                   "the change was saved but the audit log could not record it");
  return ok;
}

/* ---- validation ------------------------------------------------------------------------------ */

static bool valid_id(const char *s)
{
  size_t n = strlen(s);
  if (n < 1 || n > 63)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!g_ascii_isalnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
      return false;
  return true;
}

static bool has_control(const char *s)
{
  for (; *s; s++)
    if ((unsigned char)*s < 0x20 || *s == 0x7f)
      return true;
  return false;
}

/* NULL if url is an rtsp:// or rtsps:// URL with a host and no userinfo, else why not. */
static const char *url_problem(const char *url)
{
  if (strlen(url) < 8 || strlen(url) > URL_MAX_BYTES)
    return "must be 8 to 1023 bytes";
  if (has_control(url) || strchr(url, ' '))
    return "must not contain spaces or control characters";
  g_autoptr(GUri) u = g_uri_parse(url, G_URI_FLAGS_ENCODED, NULL);
  if (u == NULL)
    return "is not a URL";
  const char *scheme = g_uri_get_scheme(u);
  if (g_ascii_strcasecmp(scheme, "rtsp") != 0 && g_ascii_strcasecmp(scheme, "rtsps") != 0)
    return "must start with rtsp:// or rtsps://";
  if (g_uri_get_userinfo(u) != NULL)
    return "must not carry credentials: give username and password as their own fields";
  if (g_uri_get_host(u) == NULL || *g_uri_get_host(u) == '\0')
    return "has no host";
  return NULL;
}

typedef struct {
  HwStoreCamera cam;
  bool has_user, has_pass;  /* the key was given (its value may be null: clear) */
  const char *user, *pass; /* borrowed from the request JSON */
} CameraInput;

#define BAD(field, ...)                                                                            \
  do {                                                                                             \
    hw_reply_error(reply, 400, "invalid_field", field, __VA_ARGS__);                               \
    return false;                                                                                  \
  } while (0)

/* Applies the fields of body to in (defaults already in place). create: id is read too. */
static bool parse_camera(HwRequest *req, HwReply *reply, json_t *body, bool create,
                         CameraInput *in)
{
  if (!json_is_object(body))
    BAD(NULL, "the body must be a JSON object");
  const char *key;
  json_t *v;
  json_object_foreach(body, key, v)
  {
    if (strcmp(key, "id") == 0) {
      if (!create)
        BAD("id", "id cannot be changed");
      if (!json_is_string(v) || !valid_id(json_string_value(v)))
        BAD("id", "id must be 1 to 63 characters of A-Z a-z 0-9 . _ -");
      g_strlcpy(in->cam.id, json_string_value(v), sizeof in->cam.id);
    } else if (strcmp(key, "name") == 0) {
      if (!json_is_string(v) || strlen(json_string_value(v)) > NAME_MAX_BYTES ||
          has_control(json_string_value(v)))
        BAD("name", "name must be a text of at most 127 bytes without control characters");
      g_strlcpy(in->cam.name, json_string_value(v), sizeof in->cam.name);
    } else if (strcmp(key, "url") == 0 || strcmp(key, "substream_url") == 0) {
      bool sub = key[0] == 's';
      if (sub && json_is_null(v)) {
        in->cam.substream_url[0] = '\0';
        continue;
      }
      if (!json_is_string(v))
        BAD(key, "%s must be a text", key);
      const char *why = url_problem(json_string_value(v));
      if (why)
        BAD(key, "%s %s", key, why);
      g_strlcpy(sub ? in->cam.substream_url : in->cam.url, json_string_value(v),
                sizeof in->cam.url);
    } else if (strcmp(key, "username") == 0 || strcmp(key, "password") == 0) {
      bool user = key[0] == 'u';
      if (!json_is_null(v) &&
          (!json_is_string(v) || strlen(json_string_value(v)) > CREDENTIAL_MAX_BYTES ||
           has_control(json_string_value(v))))
        BAD(key, "%s must be a text of at most 200 bytes without control characters, or null",
            key); /* the value itself is never echoed */
      *(user ? &in->has_user : &in->has_pass) = true;
      *(user ? &in->user : &in->pass) = json_string_value(v);
    } else if (strcmp(key, "transport") == 0) {
      const char *s = json_string_value(v);
      if (!s || (strcmp(s, "tcp") != 0 && strcmp(s, "udp") != 0))
        BAD("transport", "transport must be \"tcp\" or \"udp\"");
      g_strlcpy(in->cam.transport, s, sizeof in->cam.transport);
    } else if (strcmp(key, "clock") == 0) {
      const char *s = json_string_value(v);
      if (!s || (strcmp(s, "local") != 0 && strcmp(s, "camera") != 0))
        BAD("clock", "clock must be \"local\" or \"camera\"");
      g_strlcpy(in->cam.clock, s, sizeof in->cam.clock);
    } else if (strcmp(key, "enabled") == 0) {
      if (!json_is_boolean(v))
        BAD("enabled", "enabled must be true or false");
      in->cam.enabled = json_is_true(v);
    } else if (strcmp(key, "retain_days") == 0) {
      if (!json_is_integer(v) || json_integer_value(v) < 0 ||
          json_integer_value(v) > RETAIN_DAYS_MAX)
        BAD("retain_days", "retain_days must be an integer from 0 to %d", RETAIN_DAYS_MAX);
      in->cam.retain_days = json_integer_value(v);
    } else if (strcmp(key, "retain_bytes") == 0) {
      if (!json_is_integer(v) || json_integer_value(v) < 0)
        BAD("retain_bytes", "retain_bytes must be a non-negative integer (bytes)");
      in->cam.retain_bytes = json_integer_value(v);
    } else if (strcmp(key, "hall") == 0) {
      if (json_is_null(v)) {
        in->cam.hall[0] = '\0';
        continue;
      }
      if (!json_is_string(v) || !valid_id(json_string_value(v)))
        BAD("hall", "hall must be a hall code (1 to 63 characters of A-Z a-z 0-9 . _ -) or null");
      g_strlcpy(in->cam.hall, json_string_value(v), sizeof in->cam.hall);
    } else {
      BAD(key, "unknown field %s", key);
    }
  }
  if (create && in->cam.id[0] == '\0')
    BAD("id", "id is required");
  if (in->cam.url[0] == '\0')
    BAD("url", "url is required");
  if (!hall_in_scope(req, in->cam.hall))
    BAD("hall", in->cam.hall[0] ? "hall %s is outside your halls" : "%sgive one of your halls",
        in->cam.hall);
  return true;
}

/* ---- the merged view ------------------------------------------------------------------------- */

typedef struct {
  HwCameraConfig **config; /* NULL-terminated */
  HwStoreCamera *api;
  size_t n_api;
  json_t *status; /* array, as hw_web_render_cameras */
} CameraView;

static void camera_view_clear(CameraView *v)
{
  for (size_t i = 0; v->config && v->config[i]; i++)
    hw_camera_config_free(v->config[i]);
  g_free(v->config);
  g_free(v->api);
  json_decref(v->status);
}

static bool camera_view_load(HwRequest *req, HwReply *reply, CameraView *v)
{
  memset(v, 0, sizeof *v);
  v->config = hooks(req)->config_cameras(hooks(req)->user);
  g_autoptr(GError) error = NULL;
  if (!hw_store_cameras_list(hw_request_store(req), hw_request_scope_codes(req, HW_SCOPE_HALL),
                             &v->api, &v->n_api, &error)) {
    store_error_reply(reply, error, "camera", NULL);
    return false;
  }
  size_t n = 0;
  g_autofree HwCameraStatus *st = hw_request_camera_status(req, &n);
  g_autofree char *text = hw_web_render_cameras(st, n);
  v->status = json_loads(text, 0, NULL);
  return true;
}

static const HwCameraConfig *view_config(const CameraView *v, const char *id)
{
  for (size_t i = 0; v->config && v->config[i]; i++)
    if (strcmp(v->config[i]->id, id) == 0)
      return v->config[i];
  return NULL;
}

static const HwStoreCamera *view_api(const CameraView *v, const char *id)
{
  for (size_t i = 0; i < v->n_api; i++)
    if (strcmp(v->api[i].id, id) == 0)
      return &v->api[i];
  return NULL;
}

/* url without userinfo (config files may carry it there). */
static json_t *json_url(const char *url)
{
  if (url == NULL || *url == '\0')
    return json_null();
  g_autofree char *masked = hw_web_mask_credentials(url);
  return json_string(masked);
}

static json_t *windows_json(HwRequest *req, const char *camera)
{
  json_t *arr = json_array();
  g_autofree HwStoreWindow *w = NULL;
  size_t n = 0;
  if (hw_store_camera_windows(hw_request_store(req), camera, &w, &n, NULL))
    for (size_t i = 0; i < n; i++)
      json_array_append_new(arr, json_pack("{s:I, s:s, s:s}", "id", (json_int_t)w[i].id, "hall",
                                           w[i].hall, "code", w[i].code));
  return arr;
}

/* The settings of a camera as JSON fields set on o. Credentials never. */
static void set_settings(HwRequest *req, json_t *o, const HwCameraConfig *cfg,
                         const HwStoreCamera *api)
{
  if (cfg != NULL) {
    json_object_set_new(o, "name", json_string(cfg->name ? cfg->name : ""));
    json_object_set_new(o, "source", json_string("config"));
    json_object_set_new(o, "url", json_url(cfg->url));
    json_object_set_new(o, "substream_url", json_url(cfg->substream_url));
    json_object_set_new(o, "transport",
                        json_string(cfg->transport == HW_TRANSPORT_UDP ? "udp" : "tcp"));
    json_object_set_new(o, "clock", json_string(cfg->clock == HW_CLOCK_CAMERA ? "camera" : "local"));
    json_object_set_new(o, "enabled", json_boolean(cfg->enabled));
    json_object_set_new(o, "retain_days", json_integer(cfg->retain_days));
    json_object_set_new(o, "retain_bytes", json_integer(cfg->retain_bytes));
    json_object_set_new(o, "hall", json_null());
    json_object_set_new(o, "has_credentials", json_boolean(cfg->password != NULL));
    json_object_set_new(o, "windows", windows_json(req, cfg->id));
  } else if (api != NULL) {
    json_object_set_new(o, "name", json_string(api->name));
    json_object_set_new(o, "source", json_string("api"));
    json_object_set_new(o, "url", json_url(api->url));
    json_object_set_new(o, "substream_url", json_url(api->substream_url));
    json_object_set_new(o, "transport", json_string(api->transport));
    json_object_set_new(o, "clock", json_string(api->clock));
    json_object_set_new(o, "enabled", json_boolean(api->enabled));
    json_object_set_new(o, "retain_days", json_integer(api->retain_days));
    json_object_set_new(o, "retain_bytes", json_integer(api->retain_bytes));
    json_object_set_new(o, "hall", api->hall[0] ? json_string(api->hall) : json_null());
    json_object_set_new(o, "has_credentials", json_boolean(api->has_credentials));
    json_object_set_new(o, "windows", windows_json(req, api->id));
  }
}

/* Whether the caller sees camera id (config cameras are in no hall). */
static bool view_visible(HwRequest *req, const CameraView *v, const char *id)
{
  if (view_config(v, id))
    return hall_in_scope(req, NULL);
  if (view_api(v, id))
    return true; /* the list is already scoped in SQL */
  return hall_in_scope(req, NULL); /* still stopping after a delete: unrestricted callers only */
}

static json_t *status_of(const CameraView *v, const char *id, const char *stream)
{
  size_t i;
  json_t *s;
  json_array_foreach(v->status, i, s)
  {
    if (g_strcmp0(json_string_value(json_object_get(s, "id")), id) == 0 &&
        g_strcmp0(json_string_value(json_object_get(s, "stream")), stream) == 0)
      return s;
  }
  return NULL;
}

/* An entry without status yet (not started, or disabled before its first run). */
static json_t *bare_entry(const char *id)
{
  return json_pack("{s:s, s:s, s:n}", "id", id, "stream", "main", "state");
}

/* GET /api/v1/cameras: one object per camera stream (as before), with the settings merged in. */
void hw_route_cameras_index(HwRequest *req, HwReply *reply)
{
  if (hooks(req) == NULL) { /* a server without camera management: the status alone */
    size_t n;
    g_autofree HwCameraStatus *st = hw_request_camera_status(req, &n);
    char *body = hw_web_render_cameras(st, n);
    hw_reply_take(reply, 200, "application/json; charset=utf-8", body, strlen(body));
    return;
  }
  CameraView v;
  if (!camera_view_load(req, reply, &v))
    return;
  json_t *out = json_array();
  g_autoptr(GHashTable) seen = g_hash_table_new(g_str_hash, g_str_equal);
  size_t i;
  json_t *s;
  json_array_foreach(v.status, i, s)
  {
    const char *id = json_string_value(json_object_get(s, "id"));
    if (id == NULL || !view_visible(req, &v, id))
      continue;
    const HwCameraConfig *cfg = view_config(&v, id);
    json_t *o = json_copy(s);
    set_settings(req, o, cfg, cfg ? NULL : view_api(&v, id));
    json_array_append_new(out, o);
    g_hash_table_add(seen, (gpointer)id);
  }
  for (size_t k = 0; v.config && v.config[k]; k++) {
    if (g_hash_table_contains(seen, v.config[k]->id) || !hall_in_scope(req, NULL))
      continue;
    json_t *o = bare_entry(v.config[k]->id);
    set_settings(req, o, v.config[k], NULL);
    json_array_append_new(out, o);
  }
  for (size_t k = 0; k < v.n_api; k++) {
    if (g_hash_table_contains(seen, v.api[k].id) || view_config(&v, v.api[k].id))
      continue;
    json_t *o = bare_entry(v.api[k].id);
    set_settings(req, o, NULL, &v.api[k]);
    json_array_append_new(out, o);
  }
  camera_view_clear(&v);
  hw_reply_json(reply, 200, out);
}

/* GET /api/v1/cameras/{id}: the settings and a "streams" array of statuses. 404 when unknown or
 * outside the caller's halls (the same answer, so ids of other halls do not leak). */
void hw_route_camera_get(HwRequest *req, HwReply *reply)
{
  if (!need_hooks(req, reply))
    return;
  const char *id = hw_request_param(req, "id");
  CameraView v;
  if (!camera_view_load(req, reply, &v))
    return;
  const HwCameraConfig *cfg = view_config(&v, id);
  const HwStoreCamera *api = cfg ? NULL : view_api(&v, id);
  if ((cfg == NULL && api == NULL) || !view_visible(req, &v, id)) {
    camera_view_clear(&v);
    hw_reply_error(reply, 404, "not_found", NULL, "no camera %s", id);
    return;
  }
  json_t *o = json_pack("{s:s}", "id", id);
  set_settings(req, o, cfg, api);
  json_t *streams = json_array();
  const char *names[] = {"main", "sub"};
  for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
    json_t *s = status_of(&v, id, names[i]);
    if (s != NULL)
      json_array_append(streams, s);
  }
  json_object_set_new(o, "streams", streams);
  json_t *main_status = status_of(&v, id, "main");
  json_object_set_new(o, "state",
                      main_status ? json_incref(json_object_get(main_status, "state")) : json_null());
  camera_view_clear(&v);
  hw_reply_json(reply, 200, o);
}

/* Whether id is a config camera (then read-only here): replies 409 and returns TRUE. */
static bool refuse_config(HwRequest *req, HwReply *reply, const char *id)
{
  HwCameraConfig **cfg = hooks(req)->config_cameras(hooks(req)->user);
  bool found = false;
  for (size_t i = 0; cfg && cfg[i]; i++) {
    found |= strcmp(cfg[i]->id, id) == 0;
    hw_camera_config_free(cfg[i]);
  }
  g_free(cfg);
  if (found)
    hw_reply_error(reply, 409, "read_only", NULL,
                   "camera %s is provisioned by the configuration file: change it there and "
                   "reload (SIGHUP)",
                   id);
  return found;
}

/* The credentials to store after a POST/PATCH: *ret_set false when untouched. */
static bool new_credentials(HwRequest *req, HwReply *reply, const CameraInput *in,
                            const char *old_id, bool *ret_set, GBytes **ret)
{
  *ret_set = in->has_user || in->has_pass;
  *ret = NULL;
  if (!*ret_set)
    return true;
  g_autofree char *user = NULL, *pass = NULL;
  if (old_id != NULL) {
    g_autoptr(GBytes) box = NULL;
    if (hw_store_camera_credentials(hw_request_store(req), old_id, &box, NULL) && box != NULL) {
      gsize len;
      const void *p = g_bytes_get_data(box, &len);
      if (!hw_secret_open_credentials(hooks(req)->secret, p, len, &user, &pass, NULL))
        user = pass = NULL;
    }
  }
  if (in->has_user) {
    g_free(user);
    user = g_strdup(in->user);
  }
  if (in->has_pass) {
    if (pass)
      memset(pass, 0, strlen(pass));
    g_free(pass);
    pass = g_strdup(in->pass);
  }
  if ((user == NULL) != (pass == NULL)) {
    if (pass)
      memset(pass, 0, strlen(pass));
    hw_reply_error(reply, 400, "invalid_field", user ? "password" : "username",
                   "give username and password together");
    return false;
  }
  *ret = hw_secret_seal_credentials(hooks(req)->secret, user, pass);
  if (pass)
    memset(pass, 0, strlen(pass));
  return true;
}

/* The audit detail of a camera: settings without credentials. */
static json_t *camera_detail(const char *op, const HwStoreCamera *c, bool credentials_changed)
{
  g_autofree char *url = hw_web_mask_credentials(c->url);
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:b, s:s?, s:b}", "op", op, "name", c->name, "url",
                   url, "transport", c->transport, "clock", c->clock, "enabled", c->enabled,
                   "hall", c->hall[0] ? c->hall : NULL, "credentials_changed",
                   credentials_changed);
}

static void reply_camera(HwRequest *req, HwReply *reply, int status, const HwStoreCamera *c)
{
  json_t *o = json_pack("{s:s}", "id", c->id);
  set_settings(req, o, NULL, c);
  hw_reply_json(reply, status, o);
}

void hw_route_camera_create(HwRequest *req, HwReply *reply)
{
  if (!need_hooks(req, reply))
    return;
  CameraInput in = {0};
  g_strlcpy(in.cam.transport, "tcp", sizeof in.cam.transport);
  g_strlcpy(in.cam.clock, "local", sizeof in.cam.clock);
  in.cam.enabled = true;
  if (!parse_camera(req, reply, hw_request_json(req), true, &in))
    return;
  if (refuse_config(req, reply, in.cam.id))
    return;
  bool set;
  g_autoptr(GBytes) box = NULL;
  if (!new_credentials(req, reply, &in, NULL, &set, &box))
    return;
  g_autoptr(GError) error = NULL;
  if (!hw_store_camera_add(hw_request_store(req), &in.cam, box, &error)) {
    store_error_reply(reply, error, "camera", error->code == HW_STORE_ERROR_INVALID ? "hall" : "id");
    return;
  }
  hooks(req)->changed(hooks(req)->user);
  if (!audit(req, reply, "camera.change", "camera", in.cam.id, camera_detail("add", &in.cam, set)))
    return;
  HwStoreCamera saved;
  if (hw_store_camera_get(hw_request_store(req), in.cam.id, NULL, &saved, NULL))
    reply_camera(req, reply, 201, &saved);
  else
    reply_camera(req, reply, 201, &in.cam);
}

/* The API camera {id} within the caller's halls, or a reply (409 config, 404). */
static bool load_api_camera(HwRequest *req, HwReply *reply, HwStoreCamera *ret)
{
  const char *id = hw_request_param(req, "id");
  if (refuse_config(req, reply, id))
    return false;
  g_autoptr(GError) error = NULL;
  if (!hw_store_camera_get(hw_request_store(req), id, hw_request_scope_codes(req, HW_SCOPE_HALL),
                           ret, &error)) {
    store_error_reply(reply, error, "camera", NULL);
    return false;
  }
  return true;
}

void hw_route_camera_update(HwRequest *req, HwReply *reply)
{
  if (!need_hooks(req, reply))
    return;
  CameraInput in = {0};
  if (!load_api_camera(req, reply, &in.cam))
    return;
  if (!parse_camera(req, reply, hw_request_json(req), false, &in))
    return;
  bool set;
  g_autoptr(GBytes) box = NULL;
  if (!new_credentials(req, reply, &in, in.cam.id, &set, &box))
    return;
  g_autoptr(GError) error = NULL;
  if (!hw_store_camera_update(hw_request_store(req), &in.cam, set, box, &error)) {
    store_error_reply(reply, error, "camera", "hall");
    return;
  }
  hooks(req)->changed(hooks(req)->user);
  if (!audit(req, reply, "camera.change", "camera", in.cam.id,
             camera_detail("change", &in.cam, set)))
    return;
  HwStoreCamera saved;
  if (hw_store_camera_get(hw_request_store(req), in.cam.id, NULL, &saved, NULL))
    reply_camera(req, reply, 200, &saved);
  else
    reply_camera(req, reply, 200, &in.cam);
}

void hw_route_camera_delete(HwRequest *req, HwReply *reply)
{
  if (!need_hooks(req, reply))
    return;
  HwStoreCamera cam;
  if (!load_api_camera(req, reply, &cam))
    return;
  g_autoptr(GError) error = NULL;
  if (!hw_store_camera_delete(hw_request_store(req), cam.id, hw_time_now(), &error)) {
    store_error_reply(reply, error, "camera", NULL);
    return;
  }
  hooks(req)->changed(hooks(req)->user);
  if (!audit(req, reply, "camera.change", "camera", cam.id, camera_detail("delete", &cam, false)))
    return;
  hw_reply_json(reply, 200, json_pack("{s:s, s:b}", "id", cam.id, "deleted", 1));
}

/* ---- test and snapshot ----------------------------------------------------------------------- */

static json_t *probe_json(const HwSnapshotProbe *p)
{
  json_t *o = json_pack("{s:b, s:s, s:i, s:i, s:f}", "ok", 1, "codec", p->codec, "width",
                        p->width, "height", p->height, "fps", p->fps);
  json_object_set_new(o, "resolution", json_sprintf("%dx%d", p->width, p->height));
  json_object_set_new(o, "audio", p->audio_codec[0] ? json_string(p->audio_codec) : json_null());
  if (p->jpeg != NULL) {
    gsize len;
    const guchar *d = g_bytes_get_data(p->jpeg, &len);
    g_autofree char *b64 = g_base64_encode(d, len);
    json_object_set_new(o, "snapshot_jpeg_base64", json_string(b64));
  }
  return o;
}

/* POST /api/v1/cameras/{id}/test. The body may carry url, username, password, transport to test
 * before saving; what it lacks comes from the saved camera. Holds one pool thread for at most
 * 10 s (the libavformat interrupt callback's bound). */
void hw_route_camera_test(HwRequest *req, HwReply *reply)
{
  if (!need_hooks(req, reply))
    return;
  const char *id = hw_request_param(req, "id");
  json_t *body = hw_request_json(req);
  if (body != NULL && !json_is_object(body)) {
    hw_reply_error(reply, 400, "invalid_field", NULL, "the body must be a JSON object");
    return;
  }
  g_autofree char *url = NULL, *user = NULL, *pass = NULL;
  HwTransport transport = HW_TRANSPORT_TCP;
  bool known = false;
  HwCameraConfig **cfg = hooks(req)->config_cameras(hooks(req)->user);
  for (size_t i = 0; cfg && cfg[i]; i++) {
    if (strcmp(cfg[i]->id, id) == 0 && hall_in_scope(req, NULL)) {
      known = true;
      url = g_strdup(cfg[i]->url);
      user = g_strdup(cfg[i]->username);
      pass = g_strdup(cfg[i]->password);
      transport = cfg[i]->transport;
    }
    hw_camera_config_free(cfg[i]);
  }
  g_free(cfg);
  HwStoreCamera cam;
  if (!known && hw_store_camera_get(hw_request_store(req), id,
                                    hw_request_scope_codes(req, HW_SCOPE_HALL), &cam, NULL)) {
    known = true;
    url = g_strdup(cam.url);
    transport = strcmp(cam.transport, "udp") == 0 ? HW_TRANSPORT_UDP : HW_TRANSPORT_TCP;
    g_autoptr(GBytes) box = NULL;
    if (hw_store_camera_credentials(hw_request_store(req), id, &box, NULL) && box != NULL) {
      gsize len;
      const void *p = g_bytes_get_data(box, &len);
      hw_secret_open_credentials(hooks(req)->secret, p, len, &user, &pass, NULL);
    }
  }
  json_t *v;
  if (body != NULL && (v = json_object_get(body, "url")) != NULL) {
    const char *why = json_is_string(v) ? url_problem(json_string_value(v)) : "must be a text";
    if (why != NULL) {
      hw_reply_error(reply, 400, "invalid_field", "url", "url %s", why);
      goto out;
    }
    g_free(url);
    url = g_strdup(json_string_value(v));
  }
  const char *keys[] = {"username", "password"};
  char **dst[] = {&user, &pass};
  for (size_t i = 0; body != NULL && i < 2; i++) {
    if ((v = json_object_get(body, keys[i])) == NULL)
      continue;
    if (!json_is_string(v) || strlen(json_string_value(v)) > CREDENTIAL_MAX_BYTES) {
      hw_reply_error(reply, 400, "invalid_field", keys[i], "%s must be a text of at most 200 bytes",
                     keys[i]);
      goto out;
    }
    g_free(*dst[i]);
    *dst[i] = g_strdup(json_string_value(v));
  }
  if (body != NULL && (v = json_object_get(body, "transport")) != NULL)
    transport = g_strcmp0(json_string_value(v), "udp") == 0 ? HW_TRANSPORT_UDP : HW_TRANSPORT_TCP;
  if (url == NULL) {
    if (!known)
      hw_reply_error(reply, 404, "not_found", NULL, "no camera %s; give a url to test", id);
    else
      hw_reply_error(reply, 400, "invalid_field", "url", "url is required");
    goto out;
  }
  {
    HwSnapshotProbe probe = {0};
    g_autoptr(GError) error = NULL;
    if (hw_snapshot_probe_rtsp(url, user, pass, transport == HW_TRANSPORT_UDP, TEST_TIMEOUT_NS,
                               &probe, &error)) {
      hw_reply_json(reply, 200, probe_json(&probe));
    } else {
      const char *reason = hw_snapshot_reason_name(error);
      g_autofree char *msg = hw_web_mask_credentials(error->message);
      hw_reply_json(reply, 200,
                    json_pack("{s:b, s:s, s:s}", "ok", 0, "reason", reason, "message", msg));
    }
    hw_snapshot_probe_clear(&probe);
  }
out:
  if (pass)
    memset(pass, 0, strlen(pass));
}

/* GET /api/v1/cameras/{id}/snapshot: the latest indexed keyframe, decoded on demand. */
void hw_route_camera_snapshot(HwRequest *req, HwReply *reply)
{
  if (!need_hooks(req, reply))
    return;
  const char *id = hw_request_param(req, "id");
  CameraView v;
  if (!camera_view_load(req, reply, &v))
    return;
  bool found = (view_config(&v, id) || view_api(&v, id)) && view_visible(req, &v, id);
  camera_view_clear(&v);
  if (!found) {
    hw_reply_error(reply, 404, "not_found", NULL, "no camera %s", id);
    return;
  }
  g_autoptr(GError) error = NULL;
  g_autoptr(GBytes) jpeg = hw_snapshot_latest(hw_request_store(req), hooks(req)->footage_dir, id,
                                               &error);
  if (jpeg == NULL) {
    hw_reply_error(reply, error->code == HW_SNAPSHOT_ERROR_NO_FOOTAGE ? 404 : 500,
                   error->code == HW_SNAPSHOT_ERROR_NO_FOOTAGE ? "no_footage" : "decode_failed",
                   NULL, "%s", error->message);
    return;
  }
  /* A snapshot is footage: it is shown only once the audit log holds who looked at it. */
  const HwCaller *c = hw_request_caller(req);
  g_autoptr(GError) audit_error = NULL;
  if (!hw_audit_record(hooks(req)->audit, c->name, hw_role_name(c->role),
                       hw_request_client_address(req), "footage.view", "camera", id,
                       "{\"what\":\"snapshot\"}", &audit_error)) {
    hw_reply_error(reply, 500, "audit_failed", NULL,
                   "the audit log could not record this view, so the picture is not shown");
    return;
  }
  gsize len;
  const void *d = g_bytes_get_data(jpeg, &len);
  hw_reply_take(reply, 200, "image/jpeg", g_memdup2(d, len), len);
}

/* ---- halls ----------------------------------------------------------------------------------- */

void hw_route_halls_list(HwRequest *req, HwReply *reply)
{
  g_autofree HwStoreHall *h = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_store_halls_list(hw_request_store(req), hw_request_scope_codes(req, HW_SCOPE_HALL), &h,
                           &n, &error)) {
    store_error_reply(reply, error, "hall", NULL);
    return;
  }
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(arr, json_pack("{s:s, s:s}", "code", h[i].code, "name", h[i].name));
  hw_reply_json(reply, 200, arr);
}

void hw_route_halls_create(HwRequest *req, HwReply *reply)
{
  if (!need_hooks(req, reply))
    return;
  json_t *body = hw_request_json(req);
  HwStoreHall h = {0};
  const char *code = json_string_value(json_object_get(body, "code"));
  json_t *name = json_object_get(body, "name");
  if (code == NULL || !valid_id(code)) {
    hw_reply_error(reply, 400, "invalid_field", "code",
                   "code must be 1 to 63 characters of A-Z a-z 0-9 . _ -");
    return;
  }
  if (name != NULL && (!json_is_string(name) || strlen(json_string_value(name)) > NAME_MAX_BYTES)) {
    hw_reply_error(reply, 400, "invalid_field", "name", "name must be a text of at most 127 bytes");
    return;
  }
  if (hw_request_scope_codes(req, HW_SCOPE_HALL) != NULL) {
    hw_reply_error(reply, 403, "forbidden", NULL, "a hall-limited user cannot add halls");
    return;
  }
  g_strlcpy(h.code, code, sizeof h.code);
  g_strlcpy(h.name, name ? json_string_value(name) : "", sizeof h.name);
  g_autoptr(GError) error = NULL;
  if (!hw_store_hall_add(hw_request_store(req), &h, &error)) {
    store_error_reply(reply, error, "hall", "code");
    return;
  }
  if (!audit(req, reply, "hall.change", "hall", h.code,
             json_pack("{s:s, s:s}", "op", "add", "name", h.name)))
    return;
  hw_reply_json(reply, 201, json_pack("{s:s, s:s}", "code", h.code, "name", h.name));
}

/* ---- windows --------------------------------------------------------------------------------- */

static json_t *window_json(const HwStoreWindow *w)
{
  json_t *deps = json_loads(w->departments, 0, NULL);
  return json_pack("{s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t)w->id, "hall", w->hall, "code",
                   w->code, "name", w->name, "departments", deps ? deps : json_array());
}

static bool parse_window(HwReply *reply, json_t *body, bool create, HwStoreWindow *w)
{
  if (!json_is_object(body))
    BAD(NULL, "the body must be a JSON object");
  const char *key;
  json_t *v;
  json_object_foreach(body, key, v)
  {
    if (strcmp(key, "hall") == 0) {
      if (!create)
        BAD("hall", "a window cannot move to another hall");
      if (!json_is_string(v) || !valid_id(json_string_value(v)))
        BAD("hall", "hall must be a hall code");
      g_strlcpy(w->hall, json_string_value(v), sizeof w->hall);
    } else if (strcmp(key, "code") == 0) {
      if (!json_is_string(v) || !valid_id(json_string_value(v)))
        BAD("code", "code must be 1 to 63 characters of A-Z a-z 0-9 . _ -");
      g_strlcpy(w->code, json_string_value(v), sizeof w->code);
    } else if (strcmp(key, "name") == 0) {
      if (!json_is_string(v) || strlen(json_string_value(v)) > NAME_MAX_BYTES)
        BAD("name", "name must be a text of at most 127 bytes");
      g_strlcpy(w->name, json_string_value(v), sizeof w->name);
    } else if (strcmp(key, "departments") == 0) {
      size_t i;
      json_t *d;
      if (!json_is_array(v) || json_array_size(v) > 64)
        BAD("departments", "departments must be an array of at most 64 department codes");
      json_array_foreach(v, i, d) if (!json_is_string(d) || !valid_id(json_string_value(d)))
          BAD("departments", "departments[%zu] must be a department code", i);
      char *text = json_dumps(v, JSON_COMPACT);
      g_strlcpy(w->departments, text, sizeof w->departments);
      free(text);
    } else {
      BAD(key, "unknown field %s", key);
    }
  }
  if (create && w->hall[0] == '\0')
    BAD("hall", "hall is required");
  if (create && w->code[0] == '\0')
    BAD("code", "code is required");
  return true;
}

void hw_route_windows_list(HwRequest *req, HwReply *reply)
{
  g_autofree HwStoreWindow *w = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_store_windows_list(hw_request_store(req), hw_request_scope_codes(req, HW_SCOPE_HALL), &w,
                             &n, &error)) {
    store_error_reply(reply, error, "window", NULL);
    return;
  }
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(arr, window_json(&w[i]));
  hw_reply_json(reply, 200, arr);
}

void hw_route_windows_create(HwRequest *req, HwReply *reply)
{
  if (!need_hooks(req, reply))
    return;
  HwStoreWindow w = {0};
  if (!parse_window(reply, hw_request_json(req), true, &w))
    return;
  if (!hall_in_scope(req, w.hall)) {
    hw_reply_error(reply, 400, "invalid_field", "hall", "hall %s is outside your halls", w.hall);
    return;
  }
  g_autoptr(GError) error = NULL;
  if (!hw_store_window_add(hw_request_store(req), &w, &w.id, &error)) {
    store_error_reply(reply, error, "window",
                      error->code == HW_STORE_ERROR_INVALID ? "hall" : "code");
    return;
  }
  g_autofree char *wid = g_strdup_printf("%" G_GINT64_FORMAT, w.id);
  if (!audit(req, reply, "window.change", "window", wid, json_pack("{s:s, s:o}", "op", "add",
                                                                    "window", window_json(&w))))
    return;
  hw_reply_json(reply, 201, window_json(&w));
}

/* The window {id} within the caller's halls, or a 404 reply. */
static bool load_window(HwRequest *req, HwReply *reply, HwStoreWindow *ret)
{
  const char *s = hw_request_param(req, "id");
  char *end = NULL;
  gint64 id = g_ascii_strtoll(s, &end, 10);
  g_autoptr(GError) error = NULL;
  if (end == s || *end != '\0' ||
      !hw_store_window_get(hw_request_store(req), id, hw_request_scope_codes(req, HW_SCOPE_HALL),
                           ret, &error)) {
    if (error == NULL || error->code == HW_STORE_ERROR_NOT_FOUND)
      hw_reply_error(reply, 404, "not_found", NULL, "no window %s", s);
    else
      store_error_reply(reply, error, "window", NULL);
    return false;
  }
  return true;
}

void hw_route_window_update(HwRequest *req, HwReply *reply)
{
  if (!need_hooks(req, reply))
    return;
  HwStoreWindow w;
  if (!load_window(req, reply, &w))
    return;
  if (!parse_window(reply, hw_request_json(req), false, &w))
    return;
  g_autoptr(GError) error = NULL;
  if (!hw_store_window_update(hw_request_store(req), &w, &error)) {
    store_error_reply(reply, error, "window", "code");
    return;
  }
  g_autofree char *wid = g_strdup_printf("%" G_GINT64_FORMAT, w.id);
  if (!audit(req, reply, "window.change", "window", wid,
             json_pack("{s:s, s:o}", "op", "change", "window", window_json(&w))))
    return;
  hw_reply_json(reply, 200, window_json(&w));
}

static bool parse_time(HwReply *reply, const char *text, const char *field, hw_time_ns *ret)
{
  if (hw_time_parse(text, ret) == 0)
    return true;
  hw_reply_error(reply, 400, "invalid_field", field,
                 "%s must be an RFC 3339 time such as 2026-03-03T09:30:00+08:00", field);
  return false;
}

/* PUT /api/v1/windows/{id}/cameras {"cameras":[…], "from"?: RFC 3339}: closes the open intervals
 * of cameras no longer listed and opens new ones, from `from` (default now). */
void hw_route_window_cameras_put(HwRequest *req, HwReply *reply)
{
  if (!need_hooks(req, reply))
    return;
  HwStoreWindow w;
  if (!load_window(req, reply, &w))
    return;
  json_t *body = hw_request_json(req);
  json_t *cams = json_object_get(body, "cameras");
  if (!json_is_array(cams) || json_array_size(cams) > WINDOW_CAMERAS_MAX) {
    hw_reply_error(reply, 400, "invalid_field", "cameras",
                   "cameras must be an array of at most %d camera ids", WINDOW_CAMERAS_MAX);
    return;
  }
  const char *key;
  json_t *v;
  json_object_foreach(body, key, v) if (strcmp(key, "cameras") != 0 && strcmp(key, "from") != 0)
  {
    hw_reply_error(reply, 400, "invalid_field", key, "unknown field %s", key);
    return;
  }
  hw_time_ns from = hw_time_now();
  json_t *jf = json_object_get(body, "from");
  if (jf != NULL && !parse_time(reply, json_is_string(jf) ? json_string_value(jf) : "", "from",
                                &from))
    return;
  CameraView view;
  if (!camera_view_load(req, reply, &view))
    return;
  const char *ids[WINDOW_CAMERAS_MAX + 1] = {0};
  size_t i;
  json_array_foreach(cams, i, v)
  {
    const char *id = json_string_value(v);
    if (id == NULL || (!view_config(&view, id) && !view_api(&view, id)) ||
        !view_visible(req, &view, id)) {
      camera_view_clear(&view);
      hw_reply_error(reply, 400, "invalid_field", "cameras", "cameras[%zu]: no such camera", i);
      return;
    }
    ids[i] = id;
  }
  camera_view_clear(&view);
  g_autoptr(GError) error = NULL;
  if (!hw_store_window_set_cameras(hw_request_store(req), w.id, ids, json_array_size(cams), from,
                                   &error)) {
    if (error->code == HW_STORE_ERROR_INVALID)
      hw_reply_error(reply, 409, "conflict", "from", "%s", error->message);
    else
      store_error_reply(reply, error, "window", NULL);
    return;
  }
  g_autofree char *wid = g_strdup_printf("%" G_GINT64_FORMAT, w.id);
  char buf[40];
  if (!audit(req, reply, "window.cameras", "window", wid,
             json_pack("{s:O, s:s}", "cameras", cams, "from", hw_time_format(from, buf, sizeof buf))))
    return;
  hw_reply_json(reply, 200, json_pack("{s:I, s:O, s:s}", "window", (json_int_t)w.id, "cameras",
                                      cams, "from", hw_time_format(from, buf, sizeof buf)));
}

/* GET /api/v1/windows/{id}/cameras?at=RFC3339 (default now): the cameras that covered it then. */
void hw_route_window_cameras_get(HwRequest *req, HwReply *reply)
{
  HwStoreWindow w;
  if (!load_window(req, reply, &w))
    return;
  hw_time_ns at = hw_time_now();
  const char *q = hw_request_query(req, "at");
  if (q != NULL && !parse_time(reply, q, "at", &at))
    return;
  g_auto(GStrv) cams = NULL;
  g_autoptr(GError) error = NULL;
  if (!hw_store_cameras_for_window_at(hw_request_store(req), w.id, at, &cams, &error)) {
    store_error_reply(reply, error, "window", NULL);
    return;
  }
  json_t *arr = json_array();
  for (size_t i = 0; cams[i]; i++)
    json_array_append_new(arr, json_string(cams[i]));
  char buf[40];
  hw_reply_json(reply, 200, json_pack("{s:I, s:s, s:o}", "window", (json_int_t)w.id, "at",
                                      hw_time_format(at, buf, sizeof buf), "cameras", arr));
}
