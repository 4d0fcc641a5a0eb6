/* media.playback: recorded playback end to end, against a real hallwatchd recording the stamped
 * test camera (capture harness), over real HTTP with real sign-ins, read by ffmpeg/ffprobe:
 * coverage with an explained gap, a valid HLS playlist, decoding across a file boundary and a gap,
 * a frame-accurate start at random T (the frame's own barcode says when it was captured), HTTP
 * Range on a closed file and on the file being written, hall scope, and one audit row per
 * playback session. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <math.h>
#include <string.h>
#include <sys/stat.h>

#include "demo/hw_stamp.h"
#include "tests/capture/harness.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_t, json_decref)

#define W 320
#define H 240

typedef struct {
  int status;
  GByteArray *body;
  char *headers; /* the raw header block */
} Resp;

static void resp_free(Resp *r)
{
  if (r) {
    if (r->body)
      g_byte_array_unref(r->body);
    g_free(r->headers);
    g_free(r);
  }
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Resp, resp_free)

/* The value of header name in r (g_free), NULL if absent. */
static char *resp_header(const Resp *r, const char *name)
{
  g_auto(GStrv) lines = g_strsplit(r->headers, "\r\n", -1);
  size_t n = strlen(name);
  for (size_t i = 0; lines[i]; i++)
    if (g_ascii_strncasecmp(lines[i], name, n) == 0 && lines[i][n] == ':')
      return g_strstrip(g_strdup(lines[i] + n + 1));
  return NULL;
}

/* One GET on its own connection; cookie and range may be NULL. */
static Resp *get(int port, const char *path, const char *cookie, const char *range)
{
  g_autoptr(GSocketClient) c = g_socket_client_new();
  g_socket_client_set_timeout(c, 20);
  g_autoptr(GSocketConnection) conn =
    g_socket_client_connect_to_host(c, "127.0.0.1", (guint16)port, NULL, NULL);
  if (!conn)
    return NULL;
  g_autoptr(GString) req = g_string_new(NULL);
  g_string_append_printf(req, "GET %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n", path);
  if (cookie)
    g_string_append_printf(req, "Cookie: %s\r\n", cookie);
  if (range)
    g_string_append_printf(req, "Range: %s\r\n", range);
  g_string_append(req, "\r\n");
  g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)), req->str, req->len,
                            NULL, NULL, NULL);
  GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
  g_autoptr(GByteArray) all = g_byte_array_new();
  guint8 buf[65536];
  gssize n;
  while ((n = g_input_stream_read(in, buf, sizeof buf, NULL, NULL)) > 0)
    g_byte_array_append(all, buf, (guint)n);
  const guint8 *end = NULL;
  for (guint i = 0; i + 3 < all->len; i++)
    if (memcmp(all->data + i, "\r\n\r\n", 4) == 0) {
      end = all->data + i;
      break;
    }
  if (!end)
    return NULL;
  Resp *r = g_new0(Resp, 1);
  r->headers = g_strndup((const char *)all->data, (gsize)(end - all->data));
  sscanf(r->headers, "HTTP/1.1 %d", &r->status);
  r->body = g_byte_array_new();
  g_byte_array_append(r->body, end + 4, (guint)(all->len - (guint)(end + 4 - all->data)));
  return r;
}

static char *add_user(Hx *hx, const char *name, const char *role, const char *hall)
{
  const char *argv[] = {HW_HALLWATCHD, "user", "add", name, "--role", role, "--random-password",
                        "--config", hx->conf, hall ? "--hall" : NULL, hall, NULL};
  g_autofree char *out = NULL;
  int rc = hx_run_sync(argv, &out, 30000);
  g_autofree char *needle = g_strdup_printf("password for %s: ", name);
  const char *p = out ? strstr(out, needle) : NULL;
  if (rc != 0 || !p) {
    fprintf(stderr, "user add %s: exit %d: %s\n", name, rc, out ? out : "");
    return NULL;
  }
  p += strlen(needle);
  return g_strndup(p, strcspn(p, "\r\n"));
}

/* Signs in; the cookie "hw_session=…" and the CSRF token (g_free both), NULL on failure. */
static char *sign_in(int port, const char *user, const char *pw, char **ret_csrf)
{
  g_autoptr(GSocketClient) c = g_socket_client_new();
  g_autoptr(GSocketConnection) conn =
    g_socket_client_connect_to_host(c, "127.0.0.1", (guint16)port, NULL, NULL);
  if (!conn)
    return NULL;
  g_autofree char *body = g_strdup_printf("{\"username\":\"%s\",\"password\":\"%s\"}", user, pw);
  g_autofree char *req = g_strdup_printf(
    "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
    "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
    strlen(body), body);
  g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)), req, strlen(req),
                            NULL, NULL, NULL);
  g_autoptr(GString) all = g_string_new(NULL);
  char buf[4096];
  gssize n;
  while ((n = g_input_stream_read(g_io_stream_get_input_stream(G_IO_STREAM(conn)), buf, sizeof buf,
                                  NULL, NULL)) > 0)
    g_string_append_len(all, buf, n);
  const char *ck = strstr(all->str, "Set-Cookie: hw_session=");
  const char *jb = strstr(all->str, "\r\n\r\n");
  if (!ck || !jb)
    return NULL;
  g_autoptr(json_t) j = json_loads(jb + 4, 0, NULL);
  if (ret_csrf)
    *ret_csrf = g_strdup(json_string_value(json_object_get(j, "csrf_token")));
  return g_strndup(ck + 12, strcspn(ck + 12, ";\r\n"));
}

static json_t *get_json(int port, const char *path, const char *cookie, int *ret_status)
{
  g_autoptr(Resp) r = get(port, path, cookie, NULL);
  *ret_status = r ? r->status : 0;
  if (!r)
    return NULL;
  g_byte_array_append(r->body, (const guint8 *)"", 1);
  return json_loads((const char *)r->body->data, 0, NULL);
}


/* One entry of a playlist: an init segment (EXT-X-MAP) or a media segment. */
typedef struct {
  char *uri;
  int64_t off, len;
  double dur; /* EXTINF, 0 for a map */
  bool map;
} Seg;

static void seg_clear(gpointer p)
{
  g_free(((Seg *)p)->uri);
}

static GArray *parse_playlist(const char *text)
{
  GArray *segs = g_array_new(FALSE, TRUE, sizeof(Seg));
  g_array_set_clear_func(segs, seg_clear);
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  Seg cur = {0};
  for (size_t i = 0; lines[i]; i++) {
    const char *l = lines[i];
    if (g_str_has_prefix(l, "#EXT-X-MAP:URI=\"")) {
      Seg m = {.map = true};
      const char *u = l + strlen("#EXT-X-MAP:URI=\"");
      m.uri = g_strndup(u, strcspn(u, "\""));
      const char *br = strstr(l, "BYTERANGE=\"");
      if (br)
        sscanf(br + strlen("BYTERANGE=\""), "%" G_GINT64_FORMAT "@%" G_GINT64_FORMAT, &m.len, &m.off);
      g_array_append_val(segs, m);
    } else if (g_str_has_prefix(l, "#EXTINF:")) {
      cur.dur = g_ascii_strtod(l + 8, NULL);
    } else if (g_str_has_prefix(l, "#EXT-X-BYTERANGE:")) {
      sscanf(l + 17, "%" G_GINT64_FORMAT "@%" G_GINT64_FORMAT, &cur.len, &cur.off);
    } else if (l[0] == '/') {
      cur.uri = g_strdup(l);
      g_array_append_val(segs, cur);
      memset(&cur, 0, sizeof cur);
    }
  }
  return segs;
}

/* Fetches bytes [off, off+len) of uri with a Range request, as hls.js does; NULL unless 206 with
 * exactly those bytes. */
static GByteArray *fetch_range(int port, const char *uri, const char *cookie, int64_t off,
                               int64_t len)
{
  g_autofree char *range = g_strdup_printf("bytes=%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, off,
                                           off + len - 1);
  Resp *r = get(port, uri, cookie, range);
  if (!r || r->status != 206 || (int64_t)r->body->len != len) {
    fprintf(stderr, "Range %s of %s: %d, %u bytes\n", range, uri, r ? r->status : 0,
            r ? r->body->len : 0);
    resp_free(r);
    return NULL;
  }
  GByteArray *b = g_byte_array_ref(r->body);
  resp_free(r);
  return b;
}

/* Decodes an MP4 held in memory with ffmpeg: the frames' stamps, and (ret_pts nullable) each
 * frame's presentation time in seconds from the first frame. */
static GArray *decode_bytes(const GByteArray *mp4, GArray **ret_pts)
{
  g_autofree char *path = g_build_filename(g_get_tmp_dir(), "hw-playback-XXXXXX.mp4", NULL);
  int fd = g_mkstemp(path);
  if (fd < 0)
    return NULL;
  close(fd);
  g_file_set_contents(path, (const char *)mp4->data, mp4->len, NULL);
  const char *argv[] = {"ffmpeg", "-nostdin", "-v", "info", "-i", path, "-map", "0:v:0",
                        "-fps_mode", "passthrough", "-vf", "setpts=PTS-STARTPTS,showinfo",
                        "-f", "rawvideo", "-pix_fmt", "gray", "-", NULL};
  g_autoptr(GSubprocess) p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE, NULL);
  g_autoptr(GBytes) ob = NULL, eb = NULL;
  gboolean ok = p && g_subprocess_communicate(p, NULL, NULL, &ob, &eb, NULL);
  g_unlink(path);
  if (!ok)
    return NULL;
  gsize n;
  const guint8 *d = g_bytes_get_data(ob, &n);
  GArray *stamps = g_array_new(FALSE, FALSE, sizeof(int64_t));
  for (gsize off = 0; off + W * H <= n; off += W * H) {
    uint64_t us = 0;
    int64_t v = hw_stamp_read(d + off, W, W, H, &us) ? (int64_t)us * HW_NS_PER_US : -1;
    g_array_append_val(stamps, v);
  }
  if (ret_pts) {
    *ret_pts = g_array_new(FALSE, FALSE, sizeof(double));
    gsize el = 0;
    const char *ed = g_bytes_get_data(eb, &el);
    g_autofree char *err = g_strndup(ed, el);
    for (const char *q = err; (q = strstr(q, "pts_time:")) != NULL; q++) {
      double t = g_ascii_strtod(q + 9, NULL);
      g_array_append_val(*ret_pts, t);
    }
  }
  return stamps;
}

/* Plays a playlist as an MSE player does: each file's init segment then its fragments, fetched by
 * byte range, appended in order; a new init segment after a discontinuity starts a new run. The
 * stamps of every decoded frame, in order; NULL if a fetch failed. */
static GArray *play_through(int port, const char *text, const char *cookie)
{
  g_autoptr(GArray) segs = parse_playlist(text);
  GArray *all = g_array_new(FALSE, FALSE, sizeof(int64_t));
  g_autoptr(GByteArray) run = NULL;
  for (guint i = 0; i <= segs->len; i++) {
    Seg *s = i < segs->len ? &g_array_index(segs, Seg, i) : NULL;
    if ((s == NULL || s->map) && run != NULL) {
      g_autoptr(GArray) st = decode_bytes(run, NULL);
      if (st)
        g_array_append_vals(all, st->data, st->len);
      g_clear_pointer(&run, g_byte_array_unref);
    }
    if (s == NULL)
      break;
    GByteArray *b = fetch_range(port, s->uri, cookie, s->off, s->len);
    if (!b) {
      g_array_free(all, TRUE);
      return NULL;
    }
    if (s->map)
      run = b;
    else if (run) {
      g_byte_array_append(run, b->data, b->len);
      g_byte_array_unref(b);
    } else {
      g_byte_array_unref(b);
    }
  }
  return all;
}

/* Decodes a playlist with ffmpeg (from offset_s when >= 0, at most max_frames, 0: all) and reads
 * each frame's stamp (-1 unreadable). */
static GArray *decode_stamps(int port, const char *path, const char *cookie, double offset_s,
                             int max_frames, char **ret_err)
{
  g_autofree char *url = g_strdup_printf("http://127.0.0.1:%d%s", port, path);
  g_autofree char *hdr = g_strdup_printf("Cookie: %s\r\n", cookie);
  char ss[32] = "", nf[32] = "";
  if (offset_s >= 0)
    g_snprintf(ss, sizeof ss, "%.3f", offset_s);
  if (max_frames > 0)
    g_snprintf(nf, sizeof nf, "%d", max_frames);
  const char *argv[32];
  int a = 0;
  argv[a++] = "ffmpeg";
  argv[a++] = "-nostdin";
  argv[a++] = "-v";
  argv[a++] = "error";
  argv[a++] = "-headers";
  argv[a++] = hdr;
  if (offset_s >= 0) {
    argv[a++] = "-ss";
    argv[a++] = ss;
  }
  argv[a++] = "-f";
  argv[a++] = "hls";
  /* ffmpeg 5.1 keeps one mov demuxer across EXT-X-DISCONTINUITY: decode times that restart in
   * every file come out "out of order" and are dropped; durations instead of tfdt keep them
   * going (see docs/playback.md) */
  argv[a++] = "-seg_format_options";
  argv[a++] = "use_tfdt=0";
  argv[a++] = "-i";
  argv[a++] = url;
  argv[a++] = "-map";
  argv[a++] = "0:v:0";
  argv[a++] = "-fps_mode";
  argv[a++] = "passthrough";
  if (max_frames > 0) {
    argv[a++] = "-frames:v";
    argv[a++] = nf;
  }
  argv[a++] = "-f";
  argv[a++] = "rawvideo";
  argv[a++] = "-pix_fmt";
  argv[a++] = "gray";
  argv[a++] = "-";
  argv[a] = NULL;
  g_autofree char *out = NULL;
  gsize out_len = 0;
  g_autoptr(GError) e = NULL;
  g_autoptr(GSubprocess) p = g_subprocess_newv(argv, G_SUBPROCESS_FLAGS_STDOUT_PIPE |
                                                       G_SUBPROCESS_FLAGS_STDERR_PIPE, &e);
  if (!p)
    return NULL;
  g_autoptr(GBytes) ob = NULL, eb = NULL;
  if (!g_subprocess_communicate(p, NULL, NULL, &ob, &eb, &e))
    return NULL;
  const guint8 *d = g_bytes_get_data(ob, &out_len);
  if (ret_err) {
    gsize el;
    const char *ed = g_bytes_get_data(eb, &el);
    *ret_err = g_strndup(ed, el);
  }
  GArray *stamps = g_array_new(FALSE, FALSE, sizeof(int64_t));
  for (gsize off = 0; off + W * H <= out_len; off += W * H) {
    uint64_t us = 0;
    int64_t v = hw_stamp_read(d + off, W, W, H, &us) ? (int64_t)us * HW_NS_PER_US : -1;
    g_array_append_val(stamps, v);
  }
  return stamps;
}

static int64_t json_ns(json_t *o, const char *key)
{
  return (int64_t)json_integer_value(json_object_get(o, key));
}

/* Lines starting with prefix; a prefix ending in a newline counts lines equal to it. */
static int count_lines(const char *text, const char *prefix)
{
  int n = 0;
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  g_autofree char *exact = g_str_has_suffix(prefix, "\n") ? g_strndup(prefix, strlen(prefix) - 1) : NULL;
  for (size_t i = 0; lines[i]; i++)
    n += exact ? strcmp(lines[i], exact) == 0 : g_str_has_prefix(lines[i], prefix);
  return n;
}

/* The URI of the first EXT-X-MAP of a playlist (g_free). */
static char *first_map_uri(const char *text)
{
  const char *m = strstr(text, "#EXT-X-MAP:URI=\"");
  if (!m)
    return NULL;
  m += strlen("#EXT-X-MAP:URI=\"");
  return g_strndup(m, strcspn(m, "\""));
}

static char *playlist_path(const char *camera, int64_t from, int64_t to, int64_t start)
{
  if (start)
    return g_strdup_printf("/api/v1/cameras/%s/playback.m3u8?from=%" G_GINT64_FORMAT
                           "&to=%" G_GINT64_FORMAT "&start=%" G_GINT64_FORMAT,
                           camera, from, to, start);
  return g_strdup_printf("/api/v1/cameras/%s/playback.m3u8?from=%" G_GINT64_FORMAT
                         "&to=%" G_GINT64_FORMAT,
                         camera, from, to);
}

static int64_t audit_playbacks(Hx *hx)
{
  sqlite3 *db = hx_db_open(hx);
  int64_t n = hx_db_int(db, "SELECT count(*) FROM audit_log WHERE action = 'footage.view'"
                            " AND json_extract(detail, '$.what') = 'playback'");
  sqlite3_close(db);
  return n;
}

/* Bytes [first, first+len) of a file on disk. */
static gboolean disk_equals(const char *path, uint64_t first, const GByteArray *got)
{
  g_autofree char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents(path, &data, &len, NULL) || first + got->len > len)
    return FALSE;
  return memcmp(data + first, got->data, got->len) == 0;
}

static int run(Hx *hx)
{
  HwRtspStreamSpec spec = {.path = "/a", .width = W, .height = H, .fps = 25, .gop_frames = 25};
  hx_add_stream(hx, &spec);
  g_autoptr(GString) cams = g_string_new(NULL);
  hx_camera(cams, hx, "cam-a", "/a", NULL, NULL, NULL);
  HxOptions o = {.file_span = "4s", .fragment_max = "1s", .stall_timeout = "1s"};
  hx_write_config(hx, &o, cams->str);
  g_autofree char *pw_inv = add_user(hx, "inv", "investigator", NULL);
  g_autofree char *pw_mgr = add_user(hx, "mgr", "hall_manager", NULL);
  g_autofree char *pw_sa = add_user(hx, "sup_a", "supervisor", "hall-a");
  g_autofree char *pw_sb = add_user(hx, "sup_b", "supervisor", "hall-b");
  HX_REQUIRE(pw_inv && pw_mgr && pw_sa && pw_sb, "hallwatchd user add failed");
  HX_REQUIRE(hx_start(hx), "hallwatchd does not start");
  int port = hx->http_port, st = 0;
  for (int i = 0; i < 50 && st != 200; i++) {
    hx_sleep_ms(200);
    g_free(hx_http_get(port, "/healthz", &st));
  }
  HX_REQUIRE(st == 200, "hallwatchd does not answer /healthz");
  g_autofree char *c_inv = sign_in(port, "inv", pw_inv, NULL);
  g_autofree char *csrf = NULL;
  g_autofree char *c_mgr = sign_in(port, "mgr", pw_mgr, &csrf);
  g_autofree char *c_sa = sign_in(port, "sup_a", pw_sa, NULL);
  g_autofree char *c_sb = sign_in(port, "sup_b", pw_sb, NULL);
  HX_REQUIRE(c_inv && c_mgr && c_sa && c_sb && csrf, "sign-in failed");

  /* Record ~6 s, stall the camera ~3 s (an outage), record ~6 s more. */
  hw_time_ns t0 = hw_time_now();
  hx_sleep_ms(7000);
  hw_rtsp_server_set_stalled(hx->server, "/a", true);
  hw_time_ns stall_from = hw_time_now();
  hx_sleep_ms(3000);
  hw_rtsp_server_set_stalled(hx->server, "/a", false);
  hw_time_ns stall_to = hw_time_now();
  hx_sleep_ms(7000);

  /* 1. coverage: two covered ranges around a gap explained by an outage */
  g_autofree char *fpath = g_strdup_printf("/api/v1/cameras/cam-a/footage?from=%" G_GINT64_FORMAT
                                           "&to=%" G_GINT64_FORMAT,
                                           t0, hw_time_now());
  g_autoptr(json_t) cov = get_json(port, fpath, c_inv, &st);
  HX_REQUIRE(st == 200 && cov, "GET footage: %d", st);
  json_t *covered = json_object_get(cov, "covered"), *gaps = json_object_get(cov, "gaps");
  HX_CHECK(json_array_size(covered) >= 2, "covered ranges around the stall: %s",
           json_dumps(cov, JSON_COMPACT));
  json_t *stall_gap = NULL;
  size_t i;
  json_t *g;
  json_array_foreach(gaps, i, g)
  {
    if (json_ns(g, "from_ns") >= stall_from - 2 * HW_NS_PER_S &&
        json_ns(g, "to_ns") <= stall_to + 4 * HW_NS_PER_S &&
        json_ns(g, "to_ns") - json_ns(g, "from_ns") >= HW_NS_PER_S)
      stall_gap = g;
  }
  HX_REQUIRE(stall_gap != NULL, "no gap reported for the stall: %s",
             json_dumps(gaps, JSON_COMPACT));
  const char *reason = json_string_value(json_object_get(stall_gap, "reason"));
  HX_CHECK(reason && strcmp(reason, "not_recorded") != 0 && strcmp(reason, "pending") != 0,
           "the stall gap is explained by an outage, not '%s'", reason ? reason : "(null)");
  fprintf(stderr, "stall gap %.3f s, reason %s\n",
          (double)(json_ns(stall_gap, "to_ns") - json_ns(stall_gap, "from_ns")) / 1e9, reason);
  int64_t cov_from = json_ns(json_array_get(covered, 0), "from_ns");
  int64_t cov_end = json_ns(json_array_get(covered, json_array_size(covered) - 1), "to_ns");

  /* Malformed and scoped requests */
  g_autoptr(json_t) bad = get_json(port, "/api/v1/cameras/cam-a/footage?from=yesterday&to=1",
                                   c_inv, &st);
  HX_CHECK(st == 400, "from=yesterday: %d", st);
  g_autofree char *p_sa = g_strdup_printf("/api/v1/cameras/cam-a/footage?from=%" G_GINT64_FORMAT
                                          "&to=%" G_GINT64_FORMAT, t0, hw_time_now());
  g_autoptr(json_t) j_sa = get_json(port, p_sa, c_sa, &st);
  HX_CHECK(st == 404, "a hall-a supervisor sees the footage of a camera in no hall: %d", st);

  /* A camera of hall-b, made over the API (disabled: it needs no footage to be scoped). */
  g_autoptr(GSocketClient) sc = g_socket_client_new();
  {
    const char *bodies[] = {"{\"code\":\"hall-a\",\"name\":\"A\"}", "{\"code\":\"hall-b\",\"name\":\"B\"}"};
    for (int k = 0; k < 3; k++) {
      g_autoptr(GSocketConnection) conn =
        g_socket_client_connect_to_host(sc, "127.0.0.1", (guint16)port, NULL, NULL);
      g_autofree char *url = hw_rtsp_server_url(hx->server, "/a");
      g_autofree char *body =
        k < 2 ? g_strdup(bodies[k])
              : g_strdup_printf("{\"id\":\"cam-b\",\"name\":\"B\",\"url\":\"%s\",\"hall\":\"hall-b\","
                                "\"enabled\":false}", url);
      g_autofree char *req = g_strdup_printf(
        "POST %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\nCookie: %s\r\n"
        "X-CSRF-Token: %s\r\nContent-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
        k < 2 ? "/api/v1/halls" : "/api/v1/cameras", c_mgr, csrf, strlen(body), body);
      g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)), req,
                                strlen(req), NULL, NULL, NULL);
      char buf[2048] = {0};
      g_input_stream_read(g_io_stream_get_input_stream(G_IO_STREAM(conn)), buf, sizeof buf - 1,
                          NULL, NULL);
      HX_CHECK(strncmp(buf, "HTTP/1.1 201", 12) == 0, "setting up hall-b (%d): %.200s", k, buf);
    }
  }
  g_autofree char *p_b = g_strdup_printf("/api/v1/cameras/cam-b/footage?from=%" G_GINT64_FORMAT
                                         "&to=%" G_GINT64_FORMAT, t0, hw_time_now());
  g_autoptr(json_t) j_b1 = get_json(port, p_b, c_sa, &st);
  HX_CHECK(st == 404, "a hall-a supervisor reads the footage of hall-b's camera: %d", st);
  g_autoptr(json_t) j_b2 = get_json(port, p_b, c_sb, &st);
  HX_CHECK(st == 200, "a hall-b supervisor reads the footage of hall-b's camera: %d", st);
  g_autofree char *pl_b = playlist_path("cam-b", t0, hw_time_now(), 0);
  g_autoptr(Resp) r_b = get(port, pl_b, c_sa, NULL);
  HX_CHECK(r_b && r_b->status == 404, "a hall-a supervisor plays hall-b's camera: %d",
           r_b ? r_b->status : 0);

  /* 2. the whole recording as one playlist: valid, across files and the gap */
  int64_t audits0 = audit_playbacks(hx);
  g_autofree char *pl_all = playlist_path("cam-a", cov_from, cov_end, 0);
  g_autoptr(Resp) r_all = get(port, pl_all, c_inv, NULL);
  HX_REQUIRE(r_all && r_all->status == 200, "GET playlist: %d", r_all ? r_all->status : 0);
  g_byte_array_append(r_all->body, (const guint8 *)"", 1);
  const char *text = (const char *)r_all->body->data;
  g_autofree char *ct = resp_header(r_all, "Content-Type");
  HX_CHECK(ct && strstr(ct, "mpegurl"), "playlist content type %s", ct ? ct : "(none)");
  sqlite3 *db = hx_db_open(hx);
  g_autofree char *q = g_strdup_printf(
    "SELECT count(*) FROM fragments g JOIN files f ON f.id = g.file_id WHERE f.camera = 'cam-a'"
    " AND g.start_ns < %" G_GINT64_FORMAT " AND g.start_ns + g.duration_ns > %" G_GINT64_FORMAT,
    cov_end, cov_from);
  int64_t n_frags = hx_db_int(db, q);
  g_autofree char *qf = g_strdup_printf(
    "SELECT count(DISTINCT f.id) FROM fragments g JOIN files f ON f.id = g.file_id WHERE"
    " f.camera = 'cam-a' AND g.start_ns < %" G_GINT64_FORMAT
    " AND g.start_ns + g.duration_ns > %" G_GINT64_FORMAT, cov_end, cov_from);
  int64_t n_files = hx_db_int(db, qf);
  g_autofree char *qn = g_strdup_printf(
    "SELECT sum(g.frames) FROM fragments g JOIN files f ON f.id = g.file_id WHERE"
    " f.camera = 'cam-a' AND g.start_ns < %" G_GINT64_FORMAT
    " AND g.start_ns + g.duration_ns > %" G_GINT64_FORMAT, cov_end, cov_from);
  int64_t n_frames = hx_db_int(db, qn);
  sqlite3_close(db);
  HX_CHECK(g_str_has_prefix(text, "#EXTM3U\n"), "playlist does not start with #EXTM3U");
  HX_CHECK(count_lines(text, "#EXTINF:") == n_frags, "segments %d, fragments indexed %" G_GINT64_FORMAT,
           count_lines(text, "#EXTINF:"), n_frags);
  HX_CHECK(count_lines(text, "#EXT-X-BYTERANGE:") == n_frags, "one byte range per segment");
  HX_CHECK(count_lines(text, "#EXT-X-PROGRAM-DATE-TIME:") == n_frags, "a wall-clock time per segment");
  HX_CHECK(count_lines(text, "#EXT-X-MAP:") == n_files && n_files >= 3,
           "one init segment per file: %d maps, %" G_GINT64_FORMAT " files",
           count_lines(text, "#EXT-X-MAP:"), n_files);
  HX_CHECK(count_lines(text, "#EXT-X-DISCONTINUITY\n") == n_files - 1, "a discontinuity per file change");
  HX_CHECK(count_lines(text, "#EXT-X-ENDLIST") == 1, "a past range is a complete VOD playlist");
  HX_CHECK(count_lines(text, "#EXT-X-START:TIME-OFFSET=0.000") == 1, "start at the beginning");
  HX_CHECK(audit_playbacks(hx) == audits0 + 1, "the playlist wrote one audit row");

  /* ffprobe reads it, ffmpeg decodes it all: across the file boundaries and the gap */
  {
    g_autofree char *url = g_strdup_printf("http://127.0.0.1:%d%s", port, pl_all);
    g_autofree char *hdr = g_strdup_printf("Cookie: %s\r\n", c_inv);
    const char *argv[] = {"ffprobe", "-v", "error", "-headers", hdr, "-f", "hls", "-show_entries",
                          "stream=codec_name,width,height", "-of", "csv=p=0", url, NULL};
    g_autofree char *out = NULL, *err = NULL;
    int rc = -1;
    g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, &err, &rc, NULL);
    HX_CHECK(out && g_str_has_prefix(out, "h264,320,240"), "ffprobe over HTTP: %s %s",
             out ? out : "", err ? err : "");
  }
  /* ffmpeg's own HLS demuxer over HTTP with the cookie (it loses the first fragment after each
   * new init segment: docs/playback.md), then the playlist played as an MSE player does */
  g_autofree char *err = NULL;
  g_autoptr(GArray) ff = decode_stamps(port, pl_all, c_inv, -1, 0, &err);
  HX_REQUIRE(ff != NULL, "ffmpeg cannot run");
  fprintf(stderr, "ffmpeg's hls demuxer: %u frames of %" G_GINT64_FORMAT "\n", ff->len, n_frames);
  HX_CHECK(ff->len >= (guint)n_frames / 2, "ffmpeg decodes %u frames of %" G_GINT64_FORMAT " (%s)",
           ff->len, n_frames, err ? err : "");
  g_autoptr(GArray) all = play_through(port, text, c_inv);
  HX_REQUIRE(all != NULL, "the playlist's byte ranges cannot be fetched");
  int readable = 0, backwards = 0, in_gap = 0;
  int64_t prev = 0, biggest_jump = 0;
  for (guint k = 0; k < all->len; k++) {
    int64_t s = g_array_index(all, int64_t, k);
    if (s < 0)
      continue;
    readable++;
    if (prev && s <= prev)
      backwards++;
    if (prev)
      biggest_jump = MAX(biggest_jump, s - prev);
    if (s > json_ns(stall_gap, "from_ns") + 100 * HW_NS_PER_MS &&
        s < json_ns(stall_gap, "to_ns") - 100 * HW_NS_PER_MS)
      in_gap++;
    prev = s;
  }
  fprintf(stderr, "played through: %u frames decoded (%d stamped), %" G_GINT64_FORMAT
          " indexed; biggest step %.3f s\n", all->len, readable, n_frames, (double)biggest_jump / 1e9);
  HX_CHECK(all->len == (guint)n_frames && readable >= n_frames * 98 / 100,
           "played %u frames (%d stamped) of %" G_GINT64_FORMAT, all->len, readable, n_frames);
  HX_CHECK(backwards == 0, "%d frames went back in capture time", backwards);
  HX_CHECK(in_gap == 0, "%d frames inside the gap", in_gap);
  HX_CHECK(biggest_jump >= HW_NS_PER_S, "the gap is skipped (largest step %.3f s)",
           (double)biggest_jump / 1e9);

  /* 3. frame-accurate start at random T: a player seeks to EXT-X-START's offset; the first frame
   * it shows, decoded from the keyframe of that segment, is the one captured at T */
  GRand *rand = g_rand_new();
  int tried = 0, tried_extra_sessions = 0;
  for (int k = 0; k < 20 && tried < 4; k++) {
    json_t *range = json_array_get(covered, (guint)g_rand_int_range(rand, 0, (gint32)json_array_size(covered)));
    int64_t a = json_ns(range, "from_ns") + 200 * HW_NS_PER_MS,
            b = json_ns(range, "to_ns") - 2 * HW_NS_PER_S;
    if (b <= a)
      continue;
    int64_t T = a + (int64_t)(g_rand_double(rand) * (double)(b - a));
    tried++;
    g_autofree char *pl = playlist_path("cam-a", T - 3 * HW_NS_PER_S, T + 2 * HW_NS_PER_S, T);
    g_autoptr(Resp) r = get(port, pl, c_inv, NULL);
    HX_CHECK(r && r->status == 200, "playlist at T: %d", r ? r->status : 0);
    if (!r || r->status != 200)
      continue;
    g_autofree char *off = resp_header(r, "X-HallWatch-Start-Offset");
    g_byte_array_append(r->body, (const guint8 *)"", 1);
    const char *ptext = (const char *)r->body->data;
    g_autofree char *want = g_strdup_printf("#EXT-X-START:TIME-OFFSET=%s,", off ? off : "?");
    HX_CHECK(off && strstr(ptext, want), "EXT-X-START carries the offset %s", off ? off : "(none)");
    double offset = off ? g_ascii_strtod(off, NULL) : 0, pos = 0;
    g_autoptr(GArray) segs = parse_playlist(ptext);
    Seg *map = NULL, *seg = NULL;
    for (guint j = 0; j < segs->len && !seg; j++) {
      Seg *x = &g_array_index(segs, Seg, j);
      if (x->map)
        map = x;
      else if (offset < pos + x->dur)
        seg = x;
      else
        pos += x->dur;
    }
    HX_CHECK(map && seg, "no segment holds the start offset %.3f", offset);
    if (!map || !seg)
      continue;
    g_autoptr(GByteArray) bytes = fetch_range(port, map->uri, c_inv, map->off, map->len);
    g_autoptr(GByteArray) frag = fetch_range(port, seg->uri, c_inv, seg->off, seg->len);
    if (!bytes || !frag)
      continue;
    g_byte_array_append(bytes, frag->data, frag->len);
    /* the frame on screen at the offset: the last one presented at or before it */
    g_autoptr(GArray) pts = NULL;
    g_autoptr(GArray) frames = decode_bytes(bytes, &pts);
    int64_t s = -1;
    for (guint j = 0; frames && pts && j < frames->len && j < pts->len; j++)
      if (g_array_index(pts, double, j) <= offset - pos + 1e-6)
        s = g_array_index(frames, int64_t, j);
    double diff_ms = (double)(s - T) / 1e6;
    fprintf(stderr, "start at T: offset %s s (%.3f s into its segment), first frame captured %+.1f ms from T\n",
            off ? off : "?", offset - pos, diff_ms);
    /* The frame on screen at T was captured within one frame interval (40 ms) before T; the
     * mapping of media time to wall-clock time adds its own 1-2 ms (docs/time.md). */
    HX_CHECK(s > 0 && diff_ms <= 3.0 && diff_ms >= -43.0,
             "first frame at T was captured %+.1f ms from T (want within one frame, 40 ms)", diff_ms);
  }
  g_rand_free(rand);
  HX_CHECK(tried >= 3, "only %d random starts could be tried", tried);

  /* 4. HTTP Range on a closed file of the playlist */
  g_autofree char *uri = first_map_uri(text);
  HX_REQUIRE(uri != NULL, "no EXT-X-MAP in the playlist");
  int64_t fid = g_ascii_strtoll(strrchr(uri, '/') + 1, NULL, 10);
  db = hx_db_open(hx);
  g_autofree char *qs = g_strdup_printf("SELECT size FROM files WHERE id = %" G_GINT64_FORMAT, fid);
  int64_t size = hx_db_int(db, qs);
  g_autofree char *qp = g_strdup_printf("SELECT path FROM files WHERE id = %" G_GINT64_FORMAT, fid);
  sqlite3_stmt *stp;
  sqlite3_prepare_v2(db, qp, -1, &stp, NULL);
  sqlite3_step(stp);
  g_autofree char *abspath = g_build_filename(hx->footage, sqlite3_column_text(stp, 0), NULL);
  sqlite3_finalize(stp);
  sqlite3_close(db);
  struct {
    const char *range;
    int status;
    int64_t first, len; /* -1: computed below */
  } cases[] = {
    {NULL, 200, 0, size},
    {"bytes=0-0", 206, 0, 1},
    {"bytes=100-199", 206, 100, 100},
    {NULL, 206, size - 1, 1}, /* the last byte: filled below */
    {"bytes=-10", 206, size - 10, 10},
    {NULL, 206, 0, size},           /* a suffix longer than the file */
    {NULL, 206, size - 10, 10},     /* a last position past the end */
    {NULL, 416, 0, 0},              /* first position at the end */
    {"bytes=5-2", 416, 0, 0},
    {"bytes=abc", 416, 0, 0},
    {"bytes=-0", 416, 0, 0},
  };
  g_autofree char *last = g_strdup_printf("bytes=%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, size - 1, size - 1);
  g_autofree char *suffix = g_strdup_printf("bytes=-%" G_GINT64_FORMAT, size + 1000);
  g_autofree char *past = g_strdup_printf("bytes=%" G_GINT64_FORMAT "-%" G_GINT64_FORMAT, size - 10, size + 5000);
  g_autofree char *at_end = g_strdup_printf("bytes=%" G_GINT64_FORMAT "-", size);
  cases[3].range = last;
  cases[5].range = suffix;
  cases[6].range = past;
  cases[7].range = at_end;
  for (size_t k = 0; k < G_N_ELEMENTS(cases); k++) {
    g_autoptr(Resp) r = get(port, uri, c_inv, cases[k].range);
    const char *what = cases[k].range ? cases[k].range : "(no Range)";
    HX_CHECK(r && r->status == cases[k].status, "%s: status %d, want %d", what, r ? r->status : 0,
             cases[k].status);
    if (!r)
      continue;
    g_autofree char *cr = resp_header(r, "Content-Range");
    if (cases[k].status == 416) {
      g_autofree char *want = g_strdup_printf("bytes */%" G_GINT64_FORMAT, size);
      HX_CHECK(cr && strcmp(cr, want) == 0, "%s: Content-Range %s, want %s", what, cr ? cr : "(none)", want);
      continue;
    }
    g_autofree char *ar = resp_header(r, "Accept-Ranges");
    HX_CHECK(ar && strcmp(ar, "bytes") == 0, "%s: Accept-Ranges %s", what, ar ? ar : "(none)");
    HX_CHECK((int64_t)r->body->len == cases[k].len, "%s: %u bytes, want %" G_GINT64_FORMAT, what,
             r->body->len, cases[k].len);
    HX_CHECK(disk_equals(abspath, (uint64_t)cases[k].first, r->body), "%s: bytes differ from the file", what);
    if (cases[k].status == 206) {
      g_autofree char *want = g_strdup_printf("bytes %" G_GINT64_FORMAT "-%" G_GINT64_FORMAT "/%" G_GINT64_FORMAT,
                                              cases[k].first, cases[k].first + cases[k].len - 1, size);
      HX_CHECK(cr && strcmp(cr, want) == 0, "%s: Content-Range %s, want %s", what, cr ? cr : "(none)", want);
    }
  }
  /* a playback of the first half-second of this file may not read the file's later fragments */
  db = hx_db_open(hx);
  g_autofree char *qst = g_strdup_printf("SELECT start_ns FROM files WHERE id = %" G_GINT64_FORMAT, fid);
  int64_t fstart = hx_db_int(db, qst);
  g_autofree char *qnf = g_strdup_printf("SELECT count(*) FROM fragments WHERE file_id = %" G_GINT64_FORMAT, fid);
  int64_t fnfrags = hx_db_int(db, qnf);
  sqlite3_close(db);
  g_autofree char *pl_short = playlist_path("cam-a", fstart, fstart + 500 * HW_NS_PER_MS, 0);
  g_autoptr(Resp) r_short = get(port, pl_short, c_inv, NULL);
  HX_CHECK(r_short && r_short->status == 200 && fnfrags >= 2, "short playlist: %d (%" G_GINT64_FORMAT
           " fragments in the file)", r_short ? r_short->status : 0, fnfrags);
  if (r_short && r_short->status == 200 && fnfrags >= 2) {
    g_byte_array_append(r_short->body, (const guint8 *)"", 1);
    g_autofree char *suri = first_map_uri((const char *)r_short->body->data);
    g_autoptr(Resp) tail = get(port, suri, c_inv, last);
    g_autoptr(Resp) head = get(port, suri, c_inv, "bytes=0-99");
    HX_CHECK(tail && tail->status == 403, "a later fragment outside the playback's range: %d",
             tail ? tail->status : 0);
    HX_CHECK(head && head->status == 206, "the init segment of the short playback: %d",
             head ? head->status : 0);
    tried_extra_sessions++;
  }

  /* the session is bound to its user: another user with the role gets 404, no cookie 401 */
  g_autoptr(Resp) r_other = get(port, uri, c_sb, "bytes=0-0");
  HX_CHECK(r_other && r_other->status == 404, "another user's playback session: %d", r_other ? r_other->status : 0);
  g_autoptr(Resp) r_none = get(port, uri, NULL, "bytes=0-0");
  HX_CHECK(r_none && r_none->status == 401, "no cookie: %d", r_none ? r_none->status : 0);

  /* 5. the file being written: served only up to its last indexed fragment (the range starts
   * more than a file_span back, so the whole open file is within it) */
  hw_time_ns now = hw_time_now();
  g_autofree char *pl_live = playlist_path("cam-a", now - 8 * HW_NS_PER_S, now + 60 * HW_NS_PER_S, 0);
  g_autoptr(Resp) r_live = get(port, pl_live, c_inv, NULL);
  HX_REQUIRE(r_live && r_live->status == 200, "live playlist: %d", r_live ? r_live->status : 0);
  g_byte_array_append(r_live->body, (const guint8 *)"", 1);
  const char *live = (const char *)r_live->body->data;
  HX_CHECK(strstr(live, "#EXT-X-PLAYLIST-TYPE:EVENT") && !strstr(live, "#EXT-X-ENDLIST"),
           "a range reaching into the future is an EVENT playlist without ENDLIST");
  const char *lastmap = live, *m;
  while ((m = strstr(lastmap + 1, "#EXT-X-MAP:URI=\"")) != NULL)
    lastmap = m;
  g_autofree char *live_uri = first_map_uri(lastmap);
  int64_t live_id = live_uri ? g_ascii_strtoll(strrchr(live_uri, '/') + 1, NULL, 10) : 0;
  int open_checked = 0, beyond_index = 0;
  for (int k = 0; k < 8 && live_uri; k++) {
    struct stat before;
    db = hx_db_open(hx);
    g_autofree char *qc = g_strdup_printf("SELECT closed FROM files WHERE id = %" G_GINT64_FORMAT, live_id);
    bool closed = hx_db_int(db, qc) != 0;
    g_autofree char *qpath = g_strdup_printf("SELECT path FROM files WHERE id = %" G_GINT64_FORMAT, live_id);
    sqlite3_prepare_v2(db, qpath, -1, &stp, NULL);
    sqlite3_step(stp);
    g_autofree char *lpath = g_build_filename(hx->footage, sqlite3_column_text(stp, 0), NULL);
    sqlite3_finalize(stp);
    sqlite3_close(db);
    if (closed)
      break;
    stat(lpath, &before);
    g_autoptr(Resp) r = get(port, live_uri, c_inv, "bytes=0-");
    HX_CHECK(r && r->status == 206, "the open file: %d", r ? r->status : 0);
    if (!r || r->status != 206)
      continue;
    g_autofree char *cr = resp_header(r, "Content-Range");
    int64_t total = cr && strchr(cr, '/') ? g_ascii_strtoll(strchr(cr, '/') + 1, NULL, 10) : -1;
    db = hx_db_open(hx);
    g_autofree char *qe = g_strdup_printf(
      "SELECT count(*) FROM fragments WHERE file_id = %" G_GINT64_FORMAT " AND offset + length = %"
      G_GINT64_FORMAT, live_id, total);
    g_autofree char *qi = g_strdup_printf(
      "SELECT init_size FROM files WHERE id = %" G_GINT64_FORMAT, live_id);
    bool boundary = hx_db_int(db, qe) == 1 || hx_db_int(db, qi) == total;
    sqlite3_close(db);
    HX_CHECK(boundary, "the open file is served to %" G_GINT64_FORMAT
             " bytes, which is not the end of an indexed fragment", total);
    HX_CHECK((int64_t)r->body->len == total && disk_equals(lpath, 0, r->body),
             "the open file's bytes differ from the disk");
    beyond_index += before.st_size > total;
    open_checked++;
    hx_sleep_ms(150);
  }
  fprintf(stderr, "open file: %d reads checked, %d while the disk held unindexed bytes\n",
          open_checked, beyond_index);
  HX_CHECK(open_checked >= 1, "no read of the file being written could be checked");

  /* the browser-safe choice: an H.264 main stream is played as it is, and said so */
  g_autofree char *pl_h264 = g_strdup_printf("%s&stream=h264", pl_all);
  g_autoptr(Resp) r_h264 = get(port, pl_h264, c_inv, NULL);
  g_autofree char *chosen = r_h264 ? resp_header(r_h264, "X-HallWatch-Stream") : NULL;
  g_autofree char *codec = r_h264 ? resp_header(r_h264, "X-HallWatch-Codec") : NULL;
  HX_CHECK(r_h264 && r_h264->status == 200 && g_strcmp0(chosen, "main") == 0 &&
           g_strcmp0(codec, "h264") == 0, "stream=h264: %d %s %s", r_h264 ? r_h264->status : 0,
           chosen ? chosen : "-", codec ? codec : "-");
  g_autofree char *pl_bad = g_strdup_printf("%s&stream=hd", pl_all);
  g_autoptr(Resp) r_bad = get(port, pl_bad, c_inv, NULL);
  HX_CHECK(r_bad && r_bad->status == 400, "stream=hd: %d", r_bad ? r_bad->status : 0);

  /* 6. one audit row per playback session, not per request */
  int64_t before_reload = audit_playbacks(hx);
  g_autoptr(Resp) again = get(port, pl_all, c_inv, NULL);
  g_autofree char *sid1 = resp_header(r_all, "X-HallWatch-Playback-Session");
  g_autofree char *sid2 = again ? resp_header(again, "X-HallWatch-Playback-Session") : NULL;
  HX_CHECK(sid1 && sid2 && strcmp(sid1, sid2) == 0, "reloading the playlist keeps its session");
  HX_CHECK(audit_playbacks(hx) == before_reload, "a reload wrote an audit row");
  /* playlists opened: the whole range, tried random starts, the live one (stream=h264 chose
   * main: the whole range's session again) */
  HX_CHECK(audit_playbacks(hx) == audits0 + 1 + tried + tried_extra_sessions + 1,
           "audit rows %" G_GINT64_FORMAT ", playback sessions %d", audit_playbacks(hx) - audits0,
           1 + tried + tried_extra_sessions + 1);
  return 0;
}

int main(void)
{
  if (!g_file_test("/usr/bin/ffmpeg", G_FILE_TEST_IS_EXECUTABLE)) {
    fprintf(stderr, "ffmpeg not installed\n");
    return 77;
  }
  Hx *hx = hx_new("media-playback");
  int rc = run(hx);
  if (hx_alive(hx)) {
    hx_signal(hx, SIGTERM);
    if (!hx_wait_exit(hx, 20000))
      hx_kill9(hx);
  }
  if (rc == 0 && hx_failures > 0)
    rc = 1;
  if (rc != 0)
    fprintf(stderr, "log: %s\n", hx->log);
  hx_free(hx);
  return rc;
}
