/* web.live: the live view over real loopback WebSockets against a real hallwatchd recording the
 * stamped RTSP test cameras (the capture harness). A minimal RFC 6455 client checks what a
 * browser page would get: the handshake's refusals (no session, foreign Origin, wrong role), init
 * + chunks shorter than the GOP whose pictures decode (ffprobe, and the stamps burned into them
 * by the test camera give the true capture time, so delivery latency is measured against the
 * camera, not against our own index), the sub-stream chosen by default, 16 cameras on one
 * connection, hall scope per camera, and a viewer that never reads being dropped while another
 * keeps receiving on time and the recorder loses no frame. */
#include <errno.h>
#include <gio/gio.h>
#include <jansson.h>
#include <math.h>
#include <netinet/in.h>
#include <poll.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include "tests/capture/harness.h"

#define N_CAMS 16
#define GOP_NS (2 * HW_NS_PER_S)

/* ---- a minimal WebSocket client --------------------------------------------------------------- */

typedef struct {
  int fd;
  GByteArray *buf;
} Ws;

typedef struct {
  int opcode;
  GByteArray *data;
  hw_time_ns received;
} Msg;

static void msg_clear(Msg *m)
{
  if (m->data)
    g_byte_array_unref(m->data);
  m->data = NULL;
}

static int tcp_connect(int port, int rcvbuf)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (rcvbuf > 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &rcvbuf, sizeof rcvbuf);
  struct sockaddr_in a = {.sin_family = AF_INET,
                          .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

/* Reads at least one byte more into ws->buf; false on timeout, EOF or error. */
static bool ws_fill(Ws *ws, int timeout_ms)
{
  struct pollfd p = {.fd = ws->fd, .events = POLLIN};
  if (poll(&p, 1, timeout_ms) <= 0)
    return false;
  uint8_t tmp[65536];
  ssize_t r = recv(ws->fd, tmp, sizeof tmp, 0);
  if (r <= 0)
    return false;
  g_byte_array_append(ws->buf, tmp, (guint)r);
  return true;
}

/* Opens the WebSocket; returns the HTTP status (101 on success, ws->fd then open). */
static int ws_open(Ws *ws, int port, const char *cookie, const char *origin, int rcvbuf)
{
  ws->buf = g_byte_array_new();
  ws->fd = tcp_connect(port, rcvbuf);
  if (ws->fd < 0)
    return 0;
  GString *req = g_string_new(NULL);
  g_string_append_printf(req,
                         "GET /api/v1/live HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nUpgrade: websocket\r\n"
                         "Connection: Upgrade\r\nSec-WebSocket-Version: 13\r\n"
                         "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\n",
                         port);
  if (origin)
    g_string_append_printf(req, "Origin: %s\r\n", origin);
  if (cookie)
    g_string_append_printf(req, "Cookie: %s\r\n", cookie);
  g_string_append(req, "\r\n");
  ssize_t w = send(ws->fd, req->str, req->len, MSG_NOSIGNAL);
  g_string_free(req, TRUE);
  if (w <= 0)
    return 0;
  guint8 *end = NULL;
  while (ws->buf->len == 0 || (end = memmem(ws->buf->data, ws->buf->len, "\r\n\r\n", 4)) == NULL)
    if (!ws_fill(ws, 5000))
      return 0;
  int status = 0;
  g_autofree char *head = g_strndup((const char *)ws->buf->data, (gsize)(end - ws->buf->data));
  sscanf(head, "HTTP/1.1 %d", &status);
  /* RFC 6455's own example: this key must give this accept value. */
  if (status == 101 && strstr(head, "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=") == NULL)
    status = -101;
  g_byte_array_remove_range(ws->buf, 0, (guint)(end + 4 - ws->buf->data));
  return status;
}

static void ws_close(Ws *ws)
{
  if (ws->fd >= 0)
    close(ws->fd);
  ws->fd = -1;
  if (ws->buf)
    g_byte_array_unref(ws->buf);
  ws->buf = NULL;
}

static bool ws_send_text(Ws *ws, const char *text)
{
  size_t n = strlen(text);
  g_autoptr(GByteArray) f = g_byte_array_new();
  uint8_t h[4] = {0x81, 0x80 | (uint8_t)(n < 126 ? n : 126), 0, 0};
  g_byte_array_append(f, h, 2);
  if (n >= 126) {
    uint8_t l[2] = {(uint8_t)(n >> 8), (uint8_t)n};
    g_byte_array_append(f, l, 2);
  }
  uint8_t mask[4] = {0x12, 0x34, 0x56, 0x78};
  g_byte_array_append(f, mask, 4);
  for (size_t i = 0; i < n; i++) {
    uint8_t b = (uint8_t)text[i] ^ mask[i & 3];
    g_byte_array_append(f, &b, 1);
  }
  return send(ws->fd, f->data, f->len, MSG_NOSIGNAL) == (ssize_t)f->len;
}

/* One message; false on timeout or a closed connection. */
static bool ws_read(Ws *ws, int timeout_ms, Msg *ret)
{
  int64_t deadline = hw_time_monotonic() + (int64_t)timeout_ms * HW_NS_PER_MS;
  for (;;) {
    uint8_t *b = ws->buf->data;
    if (ws->buf->len >= 2) {
      uint64_t len = b[1] & 0x7f;
      size_t h = 2;
      if (len == 126 && ws->buf->len >= 4) {
        len = (uint64_t)b[2] << 8 | b[3];
        h = 4;
      } else if (len == 127 && ws->buf->len >= 10) {
        len = 0;
        for (int i = 0; i < 8; i++)
          len = len << 8 | b[2 + i];
        h = 10;
      } else if (len >= 126) {
        h = 0;
      }
      if (h > 0 && ws->buf->len >= h + len) {
        ret->opcode = b[0] & 0x0f;
        ret->data = g_byte_array_sized_new((guint)len);
        g_byte_array_append(ret->data, b + h, (guint)len);
        ret->received = hw_time_now();
        g_byte_array_remove_range(ws->buf, 0, (guint)(h + len));
        return true;
      }
    }
    int64_t left = (deadline - hw_time_monotonic()) / HW_NS_PER_MS;
    if (left <= 0 || !ws_fill(ws, (int)left))
      return false;
  }
}

/* ---- the live protocol ------------------------------------------------------------------------ */

static uint64_t be(const uint8_t *p, int n)
{
  uint64_t v = 0;
  for (int i = 0; i < n; i++)
    v = v << 8 | p[i];
  return v;
}

typedef struct {
  char camera[64];
  int type;      /* 1 init, 2 chunk */
  char mime[64]; /* init */
  bool key;      /* chunk */
  hw_time_ns wall;
  uint64_t decode_time;
  uint32_t duration;
  const uint8_t *media;
  size_t media_len;
} Bin;

static bool parse_bin(const Msg *m, Bin *b)
{
  memset(b, 0, sizeof *b);
  const uint8_t *p = m->data->data;
  size_t n = m->data->len;
  if (n < 2 || n < 2u + p[1])
    return false;
  b->type = p[0];
  memcpy(b->camera, p + 2, p[1]);
  size_t off = 2u + p[1];
  if (b->type == 1) {
    size_t ml = p[off];
    if (n < off + 1 + ml + 4)
      return false;
    memcpy(b->mime, p + off + 1, MIN(ml, sizeof b->mime - 1));
    off += 1 + ml + 4;
  } else if (b->type == 2) {
    if (n < off + 21)
      return false;
    b->key = p[off] & 1;
    b->wall = (hw_time_ns)be(p + off + 1, 8);
    b->decode_time = be(p + off + 9, 8);
    b->duration = (uint32_t)be(p + off + 17, 4);
    off += 21;
  } else {
    return false;
  }
  b->media = p + off;
  b->media_len = n - off;
  return true;
}

/* Number of samples in a chunk's trun. */
static int chunk_frames(const Bin *b)
{
  const uint8_t *t = memmem(b->media, b->media_len, "trun", 4);
  return t ? (int)be(t + 8, 4) : 0;
}

static json_t *text_json(const Msg *m)
{
  return m->opcode == 1 ? json_loadb((const char *)m->data->data, m->data->len, 0, NULL) : NULL;
}

/* Init segments seen per camera "cNN" while waiting for replies. */
static int seen_inits[64];

static void tally(const Msg *m)
{
  Bin b;
  if (m->opcode == 2 && parse_bin(m, &b) && b.type == 1 && b.camera[0] == 'c' &&
      g_ascii_isdigit(b.camera[1]))
    seen_inits[atoi(b.camera + 1) % 64]++;
}

/* Waits for the reply to a subscribe of camera; returns it (json_decref) or NULL. Binary messages
 * that come first are only tallied. */
static json_t *subscribe(Ws *ws, const char *camera, const char *stream)
{
  g_autofree char *msg =
      g_strdup_printf("{\"op\":\"subscribe\",\"camera\":\"%s\",\"stream\":\"%s\"}", camera, stream);
  if (!ws_send_text(ws, msg))
    return NULL;
  Msg m = {0};
  while (ws_read(ws, 5000, &m)) {
    json_t *j = text_json(&m);
    tally(&m);
    msg_clear(&m);
    if (j && g_strcmp0(json_string_value(json_object_get(j, "camera")), camera) == 0)
      return j;
    json_decref(j);
  }
  return NULL;
}

static const char *jstr(json_t *j, const char *k)
{
  return json_string_value(json_object_get(j, k));
}

/* ---- set-up helpers (as tests/web/test_cameras.c) ------------------------------------------- */

static char *add_user(Hx *hx, const char *name, const char *role, const char *hall)
{
  const char *argv[] = {HW_HALLWATCHD,
                        "user",
                        "add",
                        name,
                        "--role",
                        role,
                        "--random-password",
                        "--config",
                        hx->conf,
                        hall ? "--hall" : NULL,
                        hall,
                        NULL};
  g_autofree char *out = NULL;
  hx_run_sync(argv, &out, 30000);
  g_autofree char *needle = g_strdup_printf("password for %s: ", name);
  const char *p = out ? strstr(out, needle) : NULL;
  return p ? g_strndup(p + strlen(needle), strcspn(p + strlen(needle), "\r\n")) : NULL;
}

typedef struct {
  int status;
  char *body, *cookie, *csrf;
} Resp;

static Resp http(int port, const char *method, const char *path, const char *cookie,
                 const char *csrf, const char *body)
{
  Resp r = {0};
  int fd = tcp_connect(port, 0);
  if (fd < 0)
    return r;
  g_autofree char *req =
      g_strdup_printf("%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s%s%s%s%s%s"
                      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                      method, path, cookie ? "Cookie: " : "", cookie ? cookie : "",
                      cookie ? "\r\n" : "", csrf ? "X-CSRF-Token: " : "", csrf ? csrf : "",
                      csrf ? "\r\n" : "", body ? strlen(body) : 0, body ? body : "");
  if (send(fd, req, strlen(req), MSG_NOSIGNAL) < 0) {
    close(fd);
    return r;
  }
  Ws tmp = {fd, g_byte_array_new()};
  while (ws_fill(&tmp, 10000))
    ;
  g_byte_array_append(tmp.buf, (const guint8 *)"", 1);
  const char *text = (const char *)tmp.buf->data;
  sscanf(text, "HTTP/1.1 %d", &r.status);
  const char *end = strstr(text, "\r\n\r\n");
  const char *ck = strstr(text, "Set-Cookie: hw_session=");
  if (ck)
    r.cookie = g_strndup(ck + 12, strcspn(ck + 12, ";\r\n"));
  r.body = g_strdup(end ? end + 4 : "");
  json_t *j = json_loads(r.body, 0, NULL);
  if (j && jstr(j, "csrf_token"))
    r.csrf = g_strdup(jstr(j, "csrf_token"));
  json_decref(j);
  ws_close(&tmp);
  return r;
}

static void resp_clear(Resp *r)
{
  g_free(r->body);
  g_free(r->cookie);
  g_free(r->csrf);
}

static Resp sign_in(int port, const char *user, const char *pw)
{
  g_autofree char *body = g_strdup_printf("{\"username\":\"%s\",\"password\":\"%s\"}", user, pw);
  return http(port, "POST", "/api/v1/auth/login", NULL, NULL, body);
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

/* ---- the test --------------------------------------------------------------------------------- */

int main(void)
{
  Hx *hx = hx_new("web-live");
  /* c00: 320x240 main + sub (the sub-stream is what live view picks by default); c01..c15: light
   * 160x120@15 cameras for the 16-tile wall. */
  HwRtspStreamSpec main0 = {.path = "/c00"}, sub0 = {.path = "/c00s"};
  hx_add_stream(hx, &main0);
  hx_add_stream(hx, &sub0);
  GString *cams = g_string_new(NULL);
  hx_camera(cams, hx, "c00", "/c00", NULL, NULL, NULL);
  g_autofree char *sub_url = hw_rtsp_server_url(hx->server, "/c00s");
  g_string_append_printf(cams, "substream_url = %s\n", sub_url);
  for (int i = 1; i < N_CAMS; i++) {
    g_autofree char *path = g_strdup_printf("/c%02d", i);
    g_autofree char *id = g_strdup_printf("c%02d", i);
    HwRtspStreamSpec s = {.path = path, .width = 160, .height = 120, .fps = 15};
    hx_add_stream(hx, &s);
    hx_camera(cams, hx, id, path, NULL, NULL, NULL);
  }
  hx_write_config(hx, NULL, cams->str);
  g_string_free(cams, TRUE);
  g_autofree char *pw_sup = add_user(hx, "sup", "supervisor", NULL);
  g_autofree char *pw_supa = add_user(hx, "sup-a", "supervisor", "hall-a");
  g_autofree char *pw_adm = add_user(hx, "adm", "admin", NULL);
  g_autofree char *pw_mgr = add_user(hx, "mgr", "hall_manager", NULL);
  HX_REQUIRE(pw_sup && pw_supa && pw_adm && pw_mgr, "cannot add the users");
  HX_REQUIRE(hx_start(hx), "hallwatchd does not start");
  int port = hx->http_port;
  const char *ids[N_CAMS + 1] = {0};
  char idbuf[N_CAMS][8];
  for (int i = 0; i < N_CAMS; i++) {
    g_snprintf(idbuf[i], sizeof idbuf[i], "c%02d", i);
    ids[i] = idbuf[i];
  }
  HX_REQUIRE(hx_wait_state(hx, ids, "recording", 30000), "the cameras do not record");
  g_autofree char *origin = g_strdup_printf("http://127.0.0.1:%d", port);

  Resp sup = sign_in(port, "sup", pw_sup), supa = sign_in(port, "sup-a", pw_supa),
       adm = sign_in(port, "adm", pw_adm), mgr = sign_in(port, "mgr", pw_mgr);
  HX_REQUIRE(sup.cookie && supa.cookie && adm.cookie && mgr.cookie, "sign-in failed");

  /* Two API cameras, one per hall, on the test camera c01's stream. */
  Resp r1 = http(port, "POST", "/api/v1/halls", mgr.cookie, mgr.csrf,
                 "{\"code\":\"hall-a\",\"name\":\"A\"}");
  Resp r2 = http(port, "POST", "/api/v1/halls", mgr.cookie, mgr.csrf,
                 "{\"code\":\"hall-b\",\"name\":\"B\"}");
  g_autofree char *url1 = hw_rtsp_server_url(hx->server, "/c01");
  g_autofree char *ba =
      g_strdup_printf("{\"id\":\"cam-a\",\"url\":\"%s\",\"hall\":\"hall-a\"}", url1);
  g_autofree char *bb =
      g_strdup_printf("{\"id\":\"cam-b\",\"url\":\"%s\",\"hall\":\"hall-b\"}", url1);
  Resp r3 = http(port, "POST", "/api/v1/cameras", mgr.cookie, mgr.csrf, ba);
  Resp r4 = http(port, "POST", "/api/v1/cameras", mgr.cookie, mgr.csrf, bb);
  HX_CHECK(r1.status == 201 && r2.status == 201 && r3.status == 201 && r4.status == 201,
           "halls/cameras not created: %d %d %d %d %s", r1.status, r2.status, r3.status, r4.status,
           r4.body);
  resp_clear(&r1), resp_clear(&r2), resp_clear(&r3), resp_clear(&r4);

  /* ---- the handshake's refusals ---- */
  {
    Ws w = {0};
    int st = ws_open(&w, port, NULL, origin, 0);
    HX_CHECK(st == 401, "no session: %d, want 401", st);
    ws_close(&w);
    st = ws_open(&w, port, sup.cookie, "http://evil.example", 0);
    HX_CHECK(st == 403, "foreign Origin: %d, want 403", st);
    ws_close(&w);
    st = ws_open(&w, port, sup.cookie, NULL, 0);
    HX_CHECK(st == 403, "no Origin: %d, want 403", st);
    ws_close(&w);
    st = ws_open(&w, port, adm.cookie, origin, 0);
    HX_CHECK(st == 403, "admin (no footage role): %d, want 403", st);
    ws_close(&w);
    Resp plain = http(port, "GET", "/api/v1/live", sup.cookie, NULL, NULL);
    HX_CHECK(plain.status == 426, "GET without Upgrade: %d, want 426", plain.status);
    resp_clear(&plain);
  }

  /* ---- one camera: init + chunks, the sub-stream by default, latency from the stamps ---- */
  {
    Ws w = {0};
    HX_REQUIRE(ws_open(&w, port, sup.cookie, origin, 0) == 101, "upgrade refused");
    json_t *j = subscribe(&w, "c00", "auto");
    HX_CHECK(j && g_strcmp0(jstr(j, "op"), "subscribed") == 0 &&
                 g_strcmp0(jstr(j, "stream"), "sub") == 0,
             "subscribe c00: %s", j ? json_dumps(j, 0) : "no reply");
    json_decref(j);
    g_autoptr(GByteArray) file = g_byte_array_new();
    GArray *recv_ns = g_array_new(FALSE, FALSE, sizeof(int64_t)); /* per chunk */
    GArray *nframes = g_array_new(FALSE, FALSE, sizeof(int));
    GArray *walls = g_array_new(FALSE, FALSE, sizeof(int64_t));
    int inits = 0, chunks = 0, keys = 0;
    uint32_t max_dur = 0;
    char mime[64] = "";
    int64_t until = hw_time_monotonic() + 6 * HW_NS_PER_S;
    Msg m = {0};
    while (hw_time_monotonic() < until && ws_read(&w, 3000, &m)) {
      Bin b;
      if (m.opcode == 2 && parse_bin(&m, &b)) {
        if (b.type == 1) {
          inits++;
          g_strlcpy(mime, b.mime, sizeof mime);
          if (inits == 1)
            g_byte_array_append(file, b.media, (guint)b.media_len);
        } else if (inits > 0) {
          HX_CHECK(chunks > 0 || b.key, "the first chunk does not start on a keyframe");
          chunks++;
          keys += b.key;
          max_dur = MAX(max_dur, b.duration);
          g_byte_array_append(file, b.media, (guint)b.media_len);
          int64_t t = m.received;
          int f = chunk_frames(&b);
          g_array_append_val(recv_ns, t);
          g_array_append_val(nframes, f);
          int64_t wl = b.wall;
          g_array_append_val(walls, wl);
        }
      }
      msg_clear(&m);
    }
    ws_close(&w);
    HX_CHECK(inits == 1, "%d init segments, want 1", inits);
    HX_CHECK(g_str_has_prefix(mime, "avc1."), "codec string %s", mime);
    HX_CHECK(chunks >= 30, "only %d chunks in 6 s", chunks);
    HX_CHECK(keys >= 2, "%d keyframe chunks in 6 s with a 2 s GOP", keys);
    HX_CHECK(max_dur > 0 && (int64_t)max_dur * HW_NS_PER_S / 90000 < GOP_NS / 4,
             "a chunk lasts %u/90000 s: not well below the 2 s GOP", max_dur);

    /* The received bytes are one fMP4 that ffprobe reads, and every frame's stamp decodes. */
    g_autofree char *path = g_build_filename(hx->dir, "live-c00.mp4", NULL);
    g_file_set_contents(path, (const char *)file->data, file->len, NULL);
    HxProbe pr = hx_ffprobe(path);
    HX_CHECK(pr.ok && strcmp(pr.vcodec, "h264") == 0 && pr.width == 320,
             "ffprobe of init + chunks: ok %d codec %s width %d", pr.ok, pr.vcodec, pr.width);
    g_autofree char *errs = NULL;
    GArray *stamps = hx_decode_stamps(path, 320, 240, &errs);
    int total = 0;
    for (guint i = 0; i < nframes->len; i++)
      total += g_array_index(nframes, int, i);
    HX_CHECK(stamps && (int)stamps->len == total, "%u frames decoded, %d sent (%s)",
             stamps ? stamps->len : 0, total, errs ? errs : "");
    /* Latency of the chunks after the first second (the joining burst is old by design): receive
     * time minus the stamp of the chunk's LAST frame is the delivery delay; of its FIRST frame,
     * what a viewer sees at most of the glass-to-glass path before the browser. */
    g_autoptr(GArray) lat = g_array_new(FALSE, FALSE, sizeof(double));
    double worst_wall_err = 0;
    int k = 0, unreadable = 0;
    int64_t t0 = recv_ns->len ? g_array_index(recv_ns, int64_t, 0) : 0;
    for (guint i = 0; stamps && i < nframes->len; i++) {
      int f = g_array_index(nframes, int, i);
      if (k + f > (int)stamps->len)
        break;
      int64_t first = g_array_index(stamps, int64_t, k),
              last = g_array_index(stamps, int64_t, k + f - 1);
      int64_t rt = g_array_index(recv_ns, int64_t, i);
      if (first < 0 || last < 0)
        unreadable++;
      else if (rt - t0 > HW_NS_PER_S) {
        double l = (double)(rt - first) / HW_NS_PER_S;
        g_array_append_val(lat, l);
        double we = fabs((double)(g_array_index(walls, int64_t, i) - first) / HW_NS_PER_S);
        worst_wall_err = MAX(worst_wall_err, we);
      }
      k += f;
    }
    g_array_sort(lat, cmp_double);
    double med = lat->len ? hx_percentile((double *)lat->data, lat->len, 50) : 99;
    double p99 = lat->len ? hx_percentile((double *)lat->data, lat->len, 100) : 99;
    printf("live c00/sub: %d chunks (%d key), max chunk %.0f ms, latency stamp→received median "
           "%.0f ms max %.0f ms over %u chunks, chunk wall time vs stamp worst %.0f ms\n",
           chunks, keys, max_dur / 90.0, med * 1000, p99 * 1000, lat->len, worst_wall_err * 1000);
    HX_CHECK(unreadable == 0, "%d chunks with unreadable stamps", unreadable);
    HX_CHECK(lat->len >= 20, "only %u chunks measured", lat->len);
    HX_CHECK(p99 < 1.0, "delivery latency up to %.0f ms (the budget is 3 s glass to glass)",
             p99 * 1000);
    HX_CHECK(worst_wall_err < 0.25, "a chunk's capture time is %.0f ms off its stamp",
             worst_wall_err * 1000);
    if (stamps)
      g_array_free(stamps, TRUE);
    g_array_free(recv_ns, TRUE);
    g_array_free(nframes, TRUE);
    g_array_free(walls, TRUE);
  }

  /* ---- scope: a hall-a supervisor sees cam-a only ---- */
  {
    Ws w = {0};
    HX_REQUIRE(ws_open(&w, port, supa.cookie, origin, 0) == 101, "upgrade refused (sup-a)");
    json_t *a = subscribe(&w, "cam-a", "main");
    json_t *b = subscribe(&w, "cam-b", "main");
    json_t *c = subscribe(&w, "c00", "auto");
    json_t *bad = subscribe(&w, "c01", "best");
    HX_CHECK(a && g_strcmp0(jstr(a, "op"), "subscribed") == 0, "cam-a (own hall) refused");
    HX_CHECK(b && g_strcmp0(jstr(b, "op"), "error") == 0 &&
                 g_strcmp0(jstr(b, "code"), "not_found") == 0,
             "cam-b (another hall) not refused as not_found");
    HX_CHECK(c && g_strcmp0(jstr(c, "code"), "not_found") == 0, "c00 (no hall) not refused");
    HX_CHECK(bad && g_strcmp0(jstr(bad, "code"), "invalid_field") == 0, "stream \"best\" accepted");
    json_decref(a), json_decref(b), json_decref(c), json_decref(bad);
    ws_close(&w);
  }

  /* ---- 16 cameras on one connection; a viewer that never reads; the recorder unaffected ---- */
  {
    /* The slow viewer: a tiny receive window, 16 subscriptions, and it never reads again. */
    Ws slow = {0};
    HX_REQUIRE(ws_open(&slow, port, sup.cookie, origin, 2048) == 101, "upgrade refused (slow)");
    for (int i = 0; i < N_CAMS; i++) {
      g_autofree char *msg =
          g_strdup_printf("{\"op\":\"subscribe\",\"camera\":\"%s\",\"stream\":\"main\"}", ids[i]);
      ws_send_text(&slow, msg);
    }
    Ws w = {0};
    HX_REQUIRE(ws_open(&w, port, sup.cookie, origin, 0) == 101, "upgrade refused (wall)");
    int ok_subs = 0;
    memset(seen_inits, 0, sizeof seen_inits);
    for (int i = 0; i < N_CAMS; i++) {
      json_t *j = subscribe(&w, ids[i], "auto");
      ok_subs += j && g_strcmp0(jstr(j, "op"), "subscribed") == 0;
      json_decref(j);
    }
    HX_CHECK(ok_subs == N_CAMS, "%d of %d subscriptions on one connection", ok_subs, N_CAMS);
    int chunks[N_CAMS] = {0}, inits[N_CAMS] = {0};
    g_autoptr(GArray) lat = g_array_new(FALSE, FALSE, sizeof(double));
    hw_time_ns t_start = hw_time_now();
    int64_t until = hw_time_monotonic() + 12 * HW_NS_PER_S;
    Msg m = {0};
    bool skipped_msg = false;
    while (hw_time_monotonic() < until && ws_read(&w, 3000, &m)) {
      Bin b;
      if (m.opcode == 2 && parse_bin(&m, &b)) {
        int i = atoi(b.camera + 1);
        if (i >= 0 && i < N_CAMS) {
          if (b.type == 1)
            inits[i]++;
          else
            chunks[i]++;
        }
        if (b.type == 2 && m.received - t_start > 2 * HW_NS_PER_S) {
          double l = (double)(m.received - b.wall) / HW_NS_PER_S;
          g_array_append_val(lat, l);
        }
      } else if (m.opcode == 1 && strstr((const char *)m.data->data, "skipped")) {
        skipped_msg = true;
      }
      msg_clear(&m);
    }
    hw_time_ns t_end = hw_time_now();
    int cams_ok = 0;
    for (int i = 0; i < N_CAMS; i++)
      cams_ok += inits[i] + seen_inits[i] == 1 && chunks[i] >= 12 * 15 / 4 / 2;
    g_array_sort(lat, cmp_double);
    double med = lat->len ? hx_percentile((double *)lat->data, lat->len, 50) : 99;
    double worst = lat->len ? hx_percentile((double *)lat->data, lat->len, 100) : 99;
    printf(
        "16-tile wall on one connection: %d/%d cameras flowing, latency (capture time → received) "
        "median %.0f ms, max %.0f ms over %u chunks%s\n",
        cams_ok, N_CAMS, med * 1000, worst * 1000, lat->len, skipped_msg ? " (some skipped)" : "");
    HX_CHECK(cams_ok == N_CAMS, "only %d of 16 cameras delivered init + chunks", cams_ok);
    HX_CHECK(worst < 1.5, "while another viewer stalls, latency reached %.0f ms", worst * 1000);

    /* The slow viewer has been dropped: what it finds now is the backlog, then the end. */
    int64_t drain_until = hw_time_monotonic() + 10 * HW_NS_PER_S;
    bool eof = false;
    uint8_t tmp[65536];
    while (hw_time_monotonic() < drain_until) {
      struct pollfd p = {.fd = slow.fd, .events = POLLIN};
      if (poll(&p, 1, 1000) <= 0)
        continue;
      ssize_t r = recv(slow.fd, tmp, sizeof tmp, 0);
      if (r <= 0) {
        eof = true;
        break;
      }
    }
    HX_CHECK(eof, "the viewer that never read was not dropped");
    ws_close(&slow);
    ws_close(&w);

    /* The recorder lost nothing meanwhile: c00's fragments tile the time without a gap and hold
     * 25 frames a second. */
    sqlite3 *db = hx_db_open(hx);
    GArray *fr = hx_db_frags(db, "c00", 0);
    int64_t frames = 0, span = 0, worst_gap = 0;
    int64_t prev_end = 0;
    for (guint i = 0; fr && i < fr->len; i++) {
      HxFrag *f = &g_array_index(fr, HxFrag, i);
      if (f->start_ns < t_start || f->start_ns + f->duration_ns > t_end)
        continue;
      if (prev_end > 0)
        worst_gap = MAX(worst_gap, llabs(f->start_ns - prev_end));
      prev_end = f->start_ns + f->duration_ns;
      frames += f->frames;
      span += f->duration_ns;
    }
    double fps = span > 0 ? (double)frames * HW_NS_PER_S / (double)span : 0;
    printf("recorder meanwhile: c00 %" G_GINT64_FORMAT
           " frames in %.1f s (%.2f fps), worst seam %.1f ms\n",
           frames, (double)span / HW_NS_PER_S, fps, (double)worst_gap / HW_NS_PER_MS);
    HX_CHECK(span > 6 * HW_NS_PER_S && fabs(fps - 25) < 0.5, "recorded %.2f fps over %.1f s", fps,
             (double)span / HW_NS_PER_S);
    HX_CHECK(worst_gap < 50 * HW_NS_PER_MS, "a %.0f ms hole between recorded fragments",
             (double)worst_gap / HW_NS_PER_MS);
    if (fr)
      g_array_free(fr, TRUE);

    /* One audit row per camera per viewing session. */
    int64_t rows = hx_db_int(db, "SELECT count(*) FROM audit_log WHERE action = 'footage.view' AND "
                                 "object_id = 'c05' AND detail LIKE '%live%'");
    HX_CHECK(rows == 2, "%" G_GINT64_FORMAT " audit rows for c05, want 2 (two sessions)", rows);
    sqlite3_close(db);
  }

  /* ---- signing out ends an open view (within the 5 s session check) ---- */
  {
    Ws w = {0};
    HX_REQUIRE(ws_open(&w, port, supa.cookie, origin, 0) == 101, "upgrade refused (sign-out)");
    json_t *j = subscribe(&w, "cam-a", "main");
    json_decref(j);
    Resp out = http(port, "POST", "/api/v1/auth/logout", supa.cookie, supa.csrf, NULL);
    HX_CHECK(out.status == 200 || out.status == 204, "sign-out: %d", out.status);
    resp_clear(&out);
    int64_t t0 = hw_time_monotonic();
    int close_code = 0;
    Msg m = {0};
    while (close_code == 0 && hw_time_monotonic() - t0 < 10 * HW_NS_PER_S &&
           ws_read(&w, 10000, &m)) {
      if (m.opcode == 8 && m.data->len >= 2)
        close_code = m.data->data[0] << 8 | m.data->data[1];
      msg_clear(&m);
    }
    printf("sign-out closed the open view after %.1f s (code %d)\n",
           (double)(hw_time_monotonic() - t0) / HW_NS_PER_S, close_code);
    HX_CHECK(close_code == 4001, "after sign-out the view was not closed with 4001 (got %d)",
             close_code);
    ws_close(&w);
  }

  /* The daemon stops cleanly with a live view still open (closing it). */
  Ws open_view = {0};
  HX_CHECK(ws_open(&open_view, port, sup.cookie, origin, 0) == 101, "upgrade refused (last)");
  json_decref(subscribe(&open_view, "c00", "auto"));
  resp_clear(&sup), resp_clear(&supa), resp_clear(&adm), resp_clear(&mgr);
  hx_signal(hx, SIGTERM);
  HX_CHECK(hx_wait_exit(hx, 20000), "hallwatchd did not stop");
  /* Under ASan a leak or a bad access in the daemon shows as a non-zero exit. */
  HX_CHECK(WIFEXITED(hx->last_status) && WEXITSTATUS(hx->last_status) == 0,
           "hallwatchd ended with status %d (see %s)", hx->last_status, hx->log);
  ws_close(&open_view);
  int failures = hx_failures;
  hx_free(hx);
  if (failures == 0)
    printf("web.live: ok\n");
  return failures == 0 ? 0 : 1;
}
