/* Recorded footage over HTTP: coverage (covered ranges and explained gaps), HLS playlists of the
 * stored fMP4 files by byte range, and the files themselves with HTTP Range and sendfile. A
 * playlist request opens a playback session (one audit row: user, camera, range); the file
 * requests that follow carry its id and are checked against it (same user and sign-in, same
 * camera, a file overlapping the range) without writing to the audit log again. docs/playback.md. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <jansson.h>
#include <sodium.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "media/hw_footage.h"
#include "sql/hw_store_dashboard.h"
#include "web/handlers.h"
#include "web/hw_cameras.h"
#include "web/internal.h"

#define CT_M3U8 "application/vnd.apple.mpegurl"
#define CT_MP4 "video/mp4"
/* A playback session ends after this long without a request, and at sign-out (the cookie's
 * session is part of it). A player fetches a segment every few seconds while it plays. */
#define PLAYBACK_IDLE_NS (INT64_C(30) * 60 * HW_NS_PER_S)
#define PLAYBACK_SESSIONS_MAX 4096

/* ---- playback sessions ----------------------------------------------------------------------- */

typedef struct {
  char id[33]; /* 128 random bits, hex */
  int64_t user_id;
  char web_session[65]; /* the sign-in it belongs to (hash of the cookie) */
  char camera[64];
  char stream[8];
  hw_time_ns from_ns, to_ns;
  int64_t last_used; /* monotonic ns */
} PlaybackSession;

struct HwPlaybackSessions {
  GMutex lock;
  GHashTable *by_id; /* id → PlaybackSession (owned) */
};

HwPlaybackSessions *hw_playback_sessions_new(void)
{
  HwPlaybackSessions *s = g_new0(HwPlaybackSessions, 1);
  g_mutex_init(&s->lock);
  s->by_id = g_hash_table_new_full(g_str_hash, g_str_equal, NULL, g_free);
  return s;
}

void hw_playback_sessions_free(HwPlaybackSessions *s)
{
  if (!s)
    return;
  g_hash_table_destroy(s->by_id);
  g_mutex_clear(&s->lock);
  g_free(s);
}

static gboolean session_expired(gpointer key, gpointer value, gpointer now)
{
  (void)key;
  return *(int64_t *)now - ((PlaybackSession *)value)->last_used > PLAYBACK_IDLE_NS;
}

/* The live session of this user, sign-in, camera and range (a player reloading an EVENT
 * playlist asks again with the same URL), or a new one. *ret_new says which; FALSE if the table
 * is full of live sessions. */
static gboolean session_open(HwPlaybackSessions *s, const PlaybackSession *want,
                             char ret_id[33], gboolean *ret_new)
{
  int64_t now = hw_time_monotonic();
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&s->lock);
  g_hash_table_foreach_remove(s->by_id, session_expired, &now);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, s->by_id);
  while (g_hash_table_iter_next(&it, NULL, &v)) {
    PlaybackSession *p = v;
    if (p->user_id == want->user_id && strcmp(p->web_session, want->web_session) == 0 &&
        strcmp(p->camera, want->camera) == 0 && strcmp(p->stream, want->stream) == 0 &&
        p->from_ns == want->from_ns && p->to_ns == want->to_ns) {
      p->last_used = now;
      memcpy(ret_id, p->id, 33);
      *ret_new = FALSE;
      return TRUE;
    }
  }
  if (g_hash_table_size(s->by_id) >= PLAYBACK_SESSIONS_MAX)
    return FALSE;
  PlaybackSession *p = g_memdup2(want, sizeof *want);
  uint8_t raw[16];
  randombytes_buf(raw, sizeof raw);
  sodium_bin2hex(p->id, sizeof p->id, raw, sizeof raw);
  p->last_used = now;
  g_hash_table_insert(s->by_id, p->id, p);
  memcpy(ret_id, p->id, 33);
  *ret_new = TRUE;
  return TRUE;
}

/* A copy of session id if it is live and belongs to this user and sign-in (and marks it used). */
static gboolean session_get(HwPlaybackSessions *s, const char *id, int64_t user_id,
                            const char *web_session, PlaybackSession *ret)
{
  int64_t now = hw_time_monotonic();
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&s->lock);
  PlaybackSession *p = g_hash_table_lookup(s->by_id, id);
  if (!p || session_expired(NULL, p, &now)) {
    if (p)
      g_hash_table_remove(s->by_id, id);
    return FALSE;
  }
  if (p->user_id != user_id || strcmp(p->web_session, web_session) != 0)
    return FALSE;
  p->last_used = now;
  *ret = *p;
  return TRUE;
}

/* A session whose playlist could not be audited must not stay usable. */
static void session_drop(HwPlaybackSessions *s, const char *id)
{
  g_autoptr(GMutexLocker) locker = g_mutex_locker_new(&s->lock);
  g_hash_table_remove(s->by_id, id);
}

/* ---- HTTP Range ------------------------------------------------------------------------------ */

static gboolean parse_pos(const char *s, size_t n, uint64_t *ret)
{
  if (n == 0 || n > 19)
    return FALSE;
  uint64_t v = 0;
  for (size_t i = 0; i < n; i++) {
    if (!g_ascii_isdigit(s[i]))
      return FALSE;
    v = v * 10 + (uint64_t)(s[i] - '0');
  }
  *ret = v;
  return TRUE;
}

HwRangeResult hw_web_parse_range(const char *header, uint64_t size, uint64_t *ret_first,
                                 uint64_t *ret_len)
{
  if (!header)
    return HW_RANGE_NONE;
  while (*header == ' ' || *header == '\t')
    header++;
  if (g_ascii_strncasecmp(header, "bytes=", 6) != 0)
    return HW_RANGE_NONE; /* another unit: ignored (RFC 9110 §14.2) */
  const char *spec = header + 6;
  if (strchr(spec, ','))
    return HW_RANGE_NONE; /* several ranges: the whole resource, no multipart */
  while (*spec == ' ')
    spec++;
  size_t len = strlen(spec);
  while (len > 0 && (spec[len - 1] == ' ' || spec[len - 1] == '\t'))
    len--;
  const char *dash = memchr(spec, '-', len);
  if (!dash)
    return HW_RANGE_INVALID;
  size_t a_len = (size_t)(dash - spec), b_len = len - a_len - 1;
  uint64_t a = 0, b = 0;
  if (a_len == 0) { /* suffix: the last b bytes */
    if (!parse_pos(dash + 1, b_len, &b))
      return HW_RANGE_INVALID;
    if (b == 0 || size == 0)
      return HW_RANGE_UNSATISFIABLE;
    *ret_len = MIN(b, size);
    *ret_first = size - *ret_len;
    return HW_RANGE_OK;
  }
  if (!parse_pos(spec, a_len, &a))
    return HW_RANGE_INVALID;
  if (b_len == 0) {
    b = UINT64_MAX;
  } else if (!parse_pos(dash + 1, b_len, &b) || b < a) {
    return HW_RANGE_INVALID;
  }
  if (a >= size)
    return HW_RANGE_UNSATISFIABLE;
  b = MIN(b, size - 1);
  *ret_first = a;
  *ret_len = b - a + 1;
  return HW_RANGE_OK;
}

/* ---- shared checks --------------------------------------------------------------------------- */

/* Whether the caller sees camera id: an API camera within the caller's halls; a camera in no hall
 * (the config file's, or one that was deleted but still has footage) only for callers not
 * limited to halls. Anything else is answered 404 like an unknown id. */
static gboolean camera_visible(HwRequest *req, const char *id)
{
  HwStore *store = hw_request_store(req);
  const char *const *halls = hw_request_scope_codes(req, HW_SCOPE_HALL);
  HwStoreCamera cam;
  if (hw_store_camera_get(store, id, halls, &cam, NULL))
    return TRUE;
  if (halls != NULL)
    return FALSE;
  bool known = false;
  return hw_store_camera_known(store, id, &known, NULL) && known;
}

/* RFC 3339 or integer ns since the epoch. */
static gboolean parse_time_arg(HwRequest *req, HwReply *reply, const char *name, gboolean required,
                               hw_time_ns *ret)
{
  const char *v = hw_request_query(req, name);
  if (!v || !*v) {
    if (required)
      hw_reply_error(reply, 400, "invalid_field", name,
                     "%s is required (RFC 3339, e.g. 2026-11-28T03:00:00Z, or ns since the epoch)",
                     name);
    return !required;
  }
  gint64 ns;
  if (g_ascii_isdigit(v[0]) && strchr(v, 'T') == NULL &&
      g_ascii_string_to_signed(v, 10, 0, G_MAXINT64, &ns, NULL)) {
    *ret = ns;
    return TRUE;
  }
  if (hw_time_parse(v, ret) == 0)
    return TRUE;
  hw_reply_error(reply, 400, "invalid_field", name,
                 "%s is not a time: give RFC 3339 (2026-11-28T03:00:00Z) or ns since the epoch",
                 name);
  return FALSE;
}

/* The camera, the stream and [from, to) of a footage request; FALSE with the reply set. */
static gboolean footage_args(HwRequest *req, HwReply *reply, const char **ret_stream,
                             hw_time_ns *ret_from, hw_time_ns *ret_to)
{
  const char *id = hw_request_param(req, "id");
  const char *stream = hw_request_query(req, "stream");
  if (!stream || !*stream)
    stream = "main";
  if (strcmp(stream, "main") != 0 && strcmp(stream, "sub") != 0 && strcmp(stream, "h264") != 0) {
    hw_reply_error(reply, 400, "invalid_field", "stream",
                   "stream is main, sub or h264 (the main stream, or the sub-stream when the main "
                   "one is H.265 and the sub-stream H.264)");
    return FALSE;
  }
  if (!parse_time_arg(req, reply, "from", TRUE, ret_from) ||
      !parse_time_arg(req, reply, "to", TRUE, ret_to))
    return FALSE;
  if (*ret_from >= *ret_to) {
    hw_reply_error(reply, 400, "invalid_field", "to", "to must be after from");
    return FALSE;
  }
  if (!camera_visible(req, id)) {
    hw_reply_error(reply, 404, "not_found", NULL, "no camera %s", id);
    return FALSE;
  }
  if (strcmp(stream, "h264") == 0) {
    g_autoptr(GError) error = NULL;
    if (!hw_playback_choose_stream(hw_request_store(req), id, *ret_from, *ret_to, &stream,
                                   &error)) {
      hw_reply_error(reply, 500, "internal", NULL, "%s", error->message);
      return FALSE;
    }
  }
  *ret_stream = stream;
  return TRUE;
}

static json_t *time_json(hw_time_ns t)
{
  char buf[40];
  return json_string(hw_time_format(t, buf, sizeof buf));
}

static void set_times(json_t *o, hw_time_ns from, hw_time_ns to)
{
  json_object_set_new(o, "from", time_json(from));
  json_object_set_new(o, "to", time_json(to));
  json_object_set_new(o, "from_ns", json_integer(from));
  json_object_set_new(o, "to_ns", json_integer(to));
}

/* ---- GET /api/v1/cameras/{id}/footage -------------------------------------------------------- */

void hw_web_coverage_json(json_t *o, const HwFootageCoverage *c)
{
  json_t *cov = json_array(), *gaps = json_array();
  for (size_t i = 0; i < c->n_covered; i++) {
    json_t *r = json_object();
    set_times(r, c->covered[i].from_ns, c->covered[i].to_ns);
    json_array_append_new(cov, r);
  }
  for (size_t i = 0; i < c->n_gaps; i++) {
    json_t *g = json_object();
    set_times(g, c->gaps[i].from_ns, c->gaps[i].to_ns);
    json_object_set_new(g, "reason", json_string(c->gaps[i].reason));
    g_autofree char *detail = g_utf8_make_valid(c->gaps[i].detail, -1);
    json_object_set_new(g, "detail", json_string(detail));
    json_array_append_new(gaps, g);
  }
  json_object_set_new(o, "covered", cov);
  json_object_set_new(o, "gaps", gaps);
  json_object_set_new(o, "truncated", json_boolean(c->truncated));
  json_object_set_new(o, "next_from", c->truncated ? time_json(c->next_from_ns) : json_null());
}

void hw_route_camera_footage(HwRequest *req, HwReply *reply)
{
  const char *stream, *id = hw_request_param(req, "id");
  hw_time_ns from, to;
  if (!footage_args(req, reply, &stream, &from, &to))
    return;
  HwFootageCoverage c;
  g_autoptr(GError) error = NULL;
  if (!hw_footage_coverage(hw_request_store(req), id, stream, from, to, hw_time_now(), &c,
                           &error)) {
    hw_reply_error(reply, 500, "internal", NULL, "%s", error->message);
    return;
  }
  json_t *o = json_pack("{s:s, s:s}", "camera", id, "stream", stream);
  set_times(o, from, c.to_ns);
  json_object_set_new(o, "oldest", c.oldest_ns ? time_json(c.oldest_ns) : json_null());
  hw_web_coverage_json(o, &c);
  hw_footage_coverage_clear(&c);
  hw_reply_json(reply, 200, o);
}

/* ---- GET /api/v1/cameras/{id}/playback.m3u8 -------------------------------------------------- */

void hw_route_camera_playlist(HwRequest *req, HwReply *reply)
{
  const char *stream, *id = hw_request_param(req, "id");
  hw_time_ns from, to, start;
  if (!footage_args(req, reply, &stream, &from, &to))
    return;
  start = from;
  if (!parse_time_arg(req, reply, "start", FALSE, &start))
    return;
  if (start < from || start >= to) {
    hw_reply_error(reply, 400, "invalid_field", "start", "start must lie in [from, to)");
    return;
  }
  const HwCaller *c = hw_request_caller(req);
  PlaybackSession want = {.user_id = c->id, .from_ns = from, .to_ns = to};
  g_strlcpy(want.web_session, req->session_hash, sizeof want.web_session);
  g_strlcpy(want.camera, id, sizeof want.camera);
  g_strlcpy(want.stream, stream, sizeof want.stream);
  char sid[33];
  gboolean is_new = FALSE;
  if (!session_open(req->http->playback, &want, sid, &is_new)) {
    hw_reply_error(reply, 503, "busy", NULL, "too many playback sessions; try again later");
    return;
  }
  g_autofree char *prefix = g_strdup_printf("/api/v1/playback/%s/", sid);
  HwPlaylist pl;
  g_autoptr(GError) error = NULL;
  if (!hw_playback_playlist(hw_request_store(req), id, stream, from, to, start, hw_time_now(),
                            prefix, &pl, &error)) {
    if (is_new)
      session_drop(req->http->playback, sid);
    if (error->code == HW_FOOTAGE_ERROR_NO_FOOTAGE)
      hw_reply_error(reply, 404, "no_footage", NULL, "%s; GET …/footage says why", error->message);
    else if (error->code == HW_FOOTAGE_ERROR_RANGE)
      hw_reply_error(reply, 400, "invalid_field", "to", "%s", error->message);
    else
      hw_reply_error(reply, 500, "internal", NULL, "%s", error->message);
    return;
  }
  /* Footage is shown only once the audit log holds who watched what: once per session. */
  if (is_new) {
    char f[40], t[40], s[40];
    json_t *d = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s}", "what", "playback", "session", sid,
                          "stream", stream, "from", hw_time_format(from, f, sizeof f), "to",
                          hw_time_format(to, t, sizeof t), "start",
                          hw_time_format(start, s, sizeof s));
    char *detail = json_dumps(d, JSON_COMPACT);
    json_decref(d);
    g_autoptr(GError) audit_error = NULL;
    gboolean ok = hw_audit_record(hw_request_audit(req), c->name, hw_role_name(c->role),
                                  hw_request_client_address(req), "footage.view", "camera", id,
                                  detail, &audit_error);
    free(detail);
    if (!ok) {
      session_drop(req->http->playback, sid);
      hw_playlist_clear(&pl);
      hw_reply_error(reply, 500, "audit_failed", NULL,
                     "the audit log could not record this playback, so it is not shown");
      return;
    }
  }
  char offset[32];
  g_ascii_formatd(offset, sizeof offset, "%.3f", pl.start_offset_s);
  hw_reply_header(reply, "X-HallWatch-Playback-Session", sid);
  hw_reply_header(reply, "X-HallWatch-Stream", stream);
  hw_reply_header(reply, "X-HallWatch-Codec", pl.codec);
  hw_reply_header(reply, "X-HallWatch-Start-Offset", offset);
  size_t len = strlen(pl.text);
  hw_reply_take(reply, 200, CT_M3U8, g_steal_pointer(&pl.text), len);
}

/* ---- GET /api/v1/playback/{session}/{file}.mp4 ----------------------------------------------- */

void hw_route_playback_file(HwRequest *req, HwReply *reply)
{
  const HwCaller *c = hw_request_caller(req);
  const char *sid = hw_request_param(req, "session");
  const char *name = hw_request_param(req, "file");
  PlaybackSession s;
  if (!session_get(req->http->playback, sid, c->id, req->session_hash, &s)) {
    hw_reply_error(reply, 404, "not_found", NULL,
                   "no playback session %.40s (it ends 30 minutes after its last request); "
                   "load the playlist again",
                   sid);
    return;
  }
  gint64 file_id = 0;
  g_autofree char *digits = g_str_has_suffix(name, ".mp4") ? g_strndup(name, strlen(name) - 4)
                                                            : NULL;
  HwStoreFile f;
  if (!digits || !g_ascii_string_to_signed(digits, 10, 1, G_MAXINT64, &file_id, NULL) ||
      !camera_visible(req, s.camera) ||
      !hw_store_file_get(hw_request_store(req), file_id, &f, NULL) ||
      strcmp(f.camera, s.camera) != 0 || strcmp(f.stream, s.stream) != 0 ||
      f.start_ns >= s.to_ns || (f.end_ns != 0 && f.end_ns <= s.from_ns)) {
    hw_reply_error(reply, 404, "not_found", NULL, "no file %.40s in this playback", name);
    return;
  }
  const HwCameraHooks *hooks = req->http->opt.cameras;
  if (!hooks || !hooks->footage_dir) {
    hw_reply_error(reply, 503, "unavailable", NULL, "footage is not served here");
    return;
  }
  g_autofree char *path = g_build_filename(hooks->footage_dir, f.path, NULL);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    if (fd >= 0)
      close(fd);
    /* retention may have deleted it since the playlist was made */
    hw_reply_error(reply, 404, "not_found", NULL, "file %.40s is no longer kept", name);
    return;
  }
  /* Only what the index says is durable and complete: a file being written has bytes past its
   * last indexed fragment (or a torn tail after a crash) that no one may read. */
  uint64_t size = (uint64_t)MIN(f.size, (int64_t)st.st_size);
  uint64_t first = 0, len = size;
  HwRangeResult r = hw_web_parse_range(hw_request_header(req, "Range"), size, &first, &len);
  if (r == HW_RANGE_UNSATISFIABLE || r == HW_RANGE_INVALID) {
    close(fd);
    char cr[48];
    g_snprintf(cr, sizeof cr, "bytes */%" G_GUINT64_FORMAT, size);
    hw_reply_error(reply, 416, "range_not_satisfiable", "Range",
                   r == HW_RANGE_INVALID ? "Range must be one bytes=first-last, bytes=first- or "
                                           "bytes=-suffix"
                                         : "Range lies beyond the %" G_GUINT64_FORMAT
                                           " bytes indexed so far",
                   size);
    hw_reply_header(reply, "Content-Range", cr);
    return;
  }
  /* The audited range is what may be read: the init segment, and the fragments the session's
   * playlist lists from this file (from the keyframe before its start). */
  g_autofree HwStoreFragment *frags = NULL;
  size_t n_frags = 0;
  if (!hw_store_fragments_in_range(hw_request_store(req), f.id, s.from_ns, s.to_ns, true, &frags,
                                   &n_frags, NULL)) {
    close(fd);
    hw_reply_error(reply, 500, "internal", NULL, "the index could not be read");
    return;
  }
  uint64_t lo = n_frags ? (uint64_t)frags[0].offset : 0;
  uint64_t hi = n_frags ? (uint64_t)(frags[n_frags - 1].offset + frags[n_frags - 1].length) : 0;
  bool in_init = first + len <= (uint64_t)f.init_size;
  bool in_frags = n_frags > 0 && first >= lo && first + len <= hi;
  bool whole = first <= (uint64_t)f.init_size && first + len >= (uint64_t)f.init_size &&
               (n_frags == 0 ? first + len <= (uint64_t)f.init_size
                             : lo == (uint64_t)f.init_size && first + len <= hi);
  if (len > 0 && !in_init && !in_frags && !whole) {
    close(fd);
    hw_reply_error(reply, 403, "outside_playback", "Range",
                   "these bytes of file %.40s hold footage outside this playback's range", name);
    return;
  }
  hw_reply_file(reply, r == HW_RANGE_OK ? 206 : 200, CT_MP4, fd, first, len);
  hw_reply_header(reply, "Accept-Ranges", "bytes");
  if (r == HW_RANGE_OK) {
    char cr[80];
    g_snprintf(cr, sizeof cr, "bytes %" G_GUINT64_FORMAT "-%" G_GUINT64_FORMAT "/%" G_GUINT64_FORMAT,
               first, first + len - 1, size);
    hw_reply_header(reply, "Content-Range", cr);
  }
}

/* ---- GET /api/v1/cameras/{id}/events ------------------------------------------------------- */

#define EVENTS_MAX 500

static gint event_cmp(gconstpointer a, gconstpointer b)
{
  const HwStoreWindowEvent *x = a, *y = b;
  if (x->time_ns != y->time_ns)
    return x->time_ns < y->time_ns ? -1 : 1;
  return x->event_id < y->event_id ? -1 : x->event_id > y->event_id;
}

/* ?from=&to= (RFC 3339 or ns). {"camera", "events": [{id, case_id, case_number, department,
 * stage, time, hall, window}] in time order, "truncated": more than 500}: the stage events at
 * the windows this camera covered, each while it covered it (the window→camera history), of the
 * caller's departments; markers on the footage timeline. */
void hw_route_camera_events(HwRequest *req, HwReply *reply)
{
  const char *id = hw_request_param(req, "id");
  hw_time_ns from = 0, to = 0;
  if (!parse_time_arg(req, reply, "from", TRUE, &from) ||
      !parse_time_arg(req, reply, "to", TRUE, &to))
    return;
  if (from >= to) {
    hw_reply_error(reply, 400, "invalid_field", "to", "to must be after from");
    return;
  }
  if (!camera_visible(req, id)) {
    hw_reply_error(reply, 404, "not_found", NULL, "no camera %s", id);
    return;
  }
  HwStore *store = hw_request_store(req);
  g_autofree HwStoreWindowSpan *spans = NULL;
  size_t n = 0;
  bool more = false;
  g_autoptr(GError) error = NULL;
  g_autoptr(GArray) events = g_array_new(FALSE, TRUE, sizeof(HwStoreWindowEvent));
  if (!hw_store_camera_window_spans(store, id, from, to, &spans, &n, &error)) {
    hw_reply_error(reply, 500, "internal", NULL, "%s", error->message);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    hw_time_ns a = MAX(from, spans[i].from_ns);
    hw_time_ns b = spans[i].to_ns ? MIN(to, spans[i].to_ns) : to;
    if (a < b && !hw_store_window_events(store, spans[i].hall, spans[i].code, a, b,
                                         hw_request_scope_codes(req, HW_SCOPE_DEPARTMENT),
                                         EVENTS_MAX, events, &more, &error)) {
      hw_reply_error(reply, 500, "internal", NULL, "%s", error->message);
      return;
    }
  }
  g_array_sort(events, event_cmp); /* a camera may cover two windows at once */
  json_t *list = json_array();
  for (guint i = 0; i < events->len; i++) {
    const HwStoreWindowEvent *e = &g_array_index(events, HwStoreWindowEvent, i);
    json_array_append_new(
        list, json_pack("{s:I, s:I, s:s, s:s, s:s, s:o, s:s, s:s}", "id", (json_int_t)e->event_id,
                        "case_id", (json_int_t)e->case_id, "case_number", e->case_number,
                        "department", e->department, "stage", e->stage, "time",
                        time_json(e->time_ns), "hall", e->hall, "window", e->window));
  }
  hw_reply_json(reply, 200,
                json_pack("{s:s, s:o, s:b}", "camera", id, "events", list, "truncated", more));
}
