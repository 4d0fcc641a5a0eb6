/* Live view: GET /api/v1/live upgraded to a WebSocket (RFC 6455, our own framing: libmicrohttpd
 * 0.9.75 only hands over the socket), one per browser page, carrying every tile's camera. The
 * upgraded sockets leave libmicrohttpd's threads for one thread of our own with its own epoll:
 * non-blocking writes, a byte budget per connection, and chunks pulled from the capture's live
 * channels (capture/hw_live.h) only when the connection has room, so a slow viewer falls behind
 * and skips to the next keyframe, or is dropped, while the recorder and the others go on.
 * Wire protocol and the choice of a WebSocket: docs/live.md. */
#include <errno.h>
#include <fcntl.h>
#include <jansson.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "capture/hw_live.h"
#include "sql/hw_store_auth.h"
#include "web/handlers.h"
#include "web/hw_cameras.h"
#include "web/internal.h"

#define LIVE_CONNS_MAX 64                 /* upgraded connections at once */
#define LIVE_SUBS_MAX 32                  /* cameras per connection: a 16-tile wall and spare */
#define LIVE_OUT_BUDGET (2 * 1024 * 1024) /* bytes queued per connection beyond the socket */
#define LIVE_SNDBUF (512 * 1024)          /* the socket's own send buffer */
#define LIVE_MAX_BEHIND_NS (1500 * HW_NS_PER_MS) /* further behind: skip to the latest keyframe */
#define LIVE_STALL_NS                                                                              \
  (INT64_C(6) * HW_NS_PER_S) /* no byte taken this long with data waiting: drop */
#define LIVE_IN_MAX 4096     /* largest message a client may send */
#define LIVE_SESSION_CHECK_NS (INT64_C(5) * HW_NS_PER_S) /* sign-out reaches open views this fast */
#define WS_GUID "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

enum { MSG_INIT = 1, MSG_CHUNK = 2 };

typedef struct Conn Conn;

typedef struct {
  Conn *conn;
  char camera[64];
  char stream[8];
  HwLiveSub *sub;
  HwLiveInit *sent_init; /* the init segment this viewer decodes with (a reference) */
} Sub;

typedef struct {
  GBytes *bytes;
  size_t off;
} Piece;

struct Conn {
  HwLiveServer *srv;
  int fd;
  struct MHD_UpgradeResponseHandle *urh;
  char user[64], role[32], addr[64];
  char session[65]; /* the session's token hash: checked while the view is open */
  char **halls;     /* the caller's hall scope, NULL: unrestricted */
  GByteArray *in;
  GQueue out; /* Piece* */
  size_t out_bytes;
  Sub *subs[LIVE_SUBS_MAX];
  int n_subs;
  int rr;
  gint dirty;    /* a channel has a chunk for us (set from capture threads) */
  bool more;     /* the last fill stopped on the budget: chunks may be waiting */
  bool fresh;    /* just handed over: parse what came with the upgrade */
  bool want_out; /* EPOLLOUT registered */
  bool closing;  /* close after the queue drains (close frame sent) */
  bool dead;
  int64_t stalled_since; /* monotonic time the queue stopped draining, 0 when it drains */
  GHashTable *audited;   /* cameras already in the audit log for this session */
};

struct HwLiveServer {
  HwHttp *http;
  HwLive *live;
  int epfd, evfd;
  GThread *thread;
  gint stop;
  gint n_conns;
  GMutex lock;
  GPtrArray *incoming; /* Conn*, handed over by libmicrohttpd's threads */
  GPtrArray *conns;    /* the thread's own */
  int64_t next_session_check;
};

/* ---- outgoing ------------------------------------------------------------------------------ */

static void wake(HwLiveServer *srv)
{
  uint64_t one = 1;
  ssize_t r = write(srv->evfd, &one, sizeof one);
  (void)r; /* EAGAIN: the counter is already non-zero, the thread wakes anyway */
}

static void queue_bytes(Conn *c, GBytes *b)
{
  Piece *p = g_new(Piece, 1);
  p->bytes = b;
  p->off = 0;
  c->out_bytes += g_bytes_get_size(b);
  g_queue_push_tail(&c->out, p);
}

/* A WebSocket frame header (server frames are not masked) for a payload of len bytes. */
static size_t ws_header(uint8_t *h, int opcode, size_t len)
{
  h[0] = (uint8_t)(0x80 | opcode);
  if (len < 126) {
    h[1] = (uint8_t)len;
    return 2;
  }
  if (len <= 0xffff) {
    h[1] = 126;
    h[2] = (uint8_t)(len >> 8);
    h[3] = (uint8_t)len;
    return 4;
  }
  h[1] = 127;
  for (int i = 0; i < 8; i++)
    h[2 + i] = (uint8_t)((uint64_t)len >> (56 - 8 * i));
  return 10;
}

static void queue_frame(Conn *c, int opcode, const void *data, size_t len)
{
  uint8_t *buf = g_malloc(len + 10);
  size_t h = ws_header(buf, opcode, len);
  memcpy(buf + h, data, len);
  queue_bytes(c, g_bytes_new_take(buf, h + len));
}

static void queue_json(Conn *c, json_t *o)
{
  char *text = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  if (text != NULL)
    queue_frame(c, 1, text, strlen(text));
  free(text);
}

static void queue_error(Conn *c, const char *camera, const char *code, const char *message)
{
  queue_json(c, json_pack("{s:s, s:s?, s:s, s:s}", "op", "error", "camera", camera, "code", code,
                          "message", message));
}

static void put_be(uint8_t *p, uint64_t v, int bytes)
{
  for (int i = 0; i < bytes; i++)
    p[i] = (uint8_t)(v >> (8 * (bytes - 1 - i)));
}

/* A binary message: [type][id length][camera id][header][fMP4 bytes]; the fMP4 bytes are shared
 * with every viewer of the camera (no copy). */
static void queue_binary(Conn *c, int type, const char *camera, const uint8_t *head,
                         size_t head_len, GBytes *media)
{
  size_t id_len = strlen(camera);
  size_t payload = 2 + id_len + head_len + g_bytes_get_size(media);
  uint8_t *buf = g_malloc(10 + 2 + id_len + head_len);
  size_t h = ws_header(buf, 2, payload);
  buf[h] = (uint8_t)type;
  buf[h + 1] = (uint8_t)id_len;
  memcpy(buf + h + 2, camera, id_len);
  memcpy(buf + h + 2 + id_len, head, head_len);
  queue_bytes(c, g_bytes_new_take(buf, h + 2 + id_len + head_len));
  queue_bytes(c, g_bytes_ref(media));
}

static void queue_init(Conn *c, Sub *s, HwLiveInit *init)
{
  uint8_t head[1 + 64 + 4];
  size_t m = strlen(init->mime_codec);
  head[0] = (uint8_t)m;
  memcpy(head + 1, init->mime_codec, m);
  put_be(head + 1 + m, (uint64_t)init->width, 2);
  put_be(head + 3 + m, (uint64_t)init->height, 2);
  queue_binary(c, MSG_INIT, s->camera, head, 1 + m + 4, init->data);
}

static void queue_chunk(Conn *c, Sub *s, const HwLiveChunk *k)
{
  uint8_t head[1 + 8 + 8 + 4];
  head[0] = k->key ? 1 : 0;
  put_be(head + 1, (uint64_t)k->wall, 8);
  put_be(head + 9, k->decode_time, 8);
  put_be(head + 17, k->duration, 4);
  queue_binary(c, MSG_CHUNK, s->camera, head, sizeof head, k->data);
}

/* Pulls chunks round-robin over the subscriptions while the budget allows. Returns true if it
 * stopped on the budget (there may be more). */
static bool conn_fill(Conn *c)
{
  bool progress = true;
  while (progress && c->n_subs > 0) {
    progress = false;
    for (int i = 0; i < c->n_subs; i++) {
      if (c->out_bytes >= LIVE_OUT_BUDGET)
        return true;
      Sub *s = c->subs[(c->rr + i) % c->n_subs];
      uint64_t skipped = 0;
      g_autoptr(HwLiveChunk) k = hw_live_sub_next(s->sub, LIVE_MAX_BEHIND_NS, &skipped);
      if (skipped > 0)
        queue_json(c, json_pack("{s:s, s:s, s:I}", "op", "skipped", "camera", s->camera, "chunks",
                                (json_int_t)skipped));
      if (k == NULL)
        continue;
      if (k->init != s->sent_init) {
        queue_init(c, s, k->init);
        hw_live_init_unref(s->sent_init);
        s->sent_init = hw_live_init_ref(k->init);
      }
      queue_chunk(c, s, k);
      progress = true;
    }
    c->rr = c->n_subs > 0 ? (c->rr + 1) % c->n_subs : 0;
  }
  return false;
}

static void set_events(Conn *c, bool want_out)
{
  if (c->want_out == want_out)
    return;
  struct epoll_event ev = {.events = EPOLLIN | (want_out ? EPOLLOUT : 0), .data.ptr = c};
  epoll_ctl(c->srv->epfd, EPOLL_CTL_MOD, c->fd, &ev);
  c->want_out = want_out;
}

/* Writes what the socket takes now. Returns the bytes written; marks the connection dead on an
 * error. */
static size_t conn_flush(Conn *c)
{
  size_t total = 0;
  while (!g_queue_is_empty(&c->out)) {
    struct iovec iov[32];
    int n = 0;
    for (GList *l = c->out.head; l != NULL && n < 32; l = l->next, n++) {
      Piece *p = l->data;
      gsize len;
      const uint8_t *d = g_bytes_get_data(p->bytes, &len);
      iov[n] = (struct iovec){(void *)(d + p->off), len - p->off};
    }
    struct msghdr msg = {.msg_iov = iov, .msg_iovlen = (size_t)n};
    ssize_t r = sendmsg(c->fd, &msg, MSG_NOSIGNAL | MSG_DONTWAIT);
    if (r < 0) {
      if (errno == EINTR)
        continue;
      if (errno != EAGAIN && errno != EWOULDBLOCK)
        c->dead = true;
      break;
    }
    total += (size_t)r;
    c->out_bytes -= (size_t)r;
    while (r > 0) {
      Piece *p = g_queue_peek_head(&c->out);
      size_t left = g_bytes_get_size(p->bytes) - p->off;
      if ((size_t)r >= left) {
        r -= (ssize_t)left;
        g_bytes_unref(p->bytes);
        g_free(g_queue_pop_head(&c->out));
      } else {
        p->off += (size_t)r;
        r = 0;
      }
    }
  }
  int64_t now = hw_time_monotonic();
  if (g_queue_is_empty(&c->out) || total > 0)
    c->stalled_since = g_queue_is_empty(&c->out) ? 0 : now;
  else if (c->stalled_since == 0)
    c->stalled_since = now;
  if (!g_queue_is_empty(&c->out) && now - c->stalled_since > LIVE_STALL_NS)
    c->dead = true; /* a viewer that does not read is dropped */
  if (g_queue_is_empty(&c->out) && c->closing)
    c->dead = true;
  if (!c->dead)
    set_events(c, !g_queue_is_empty(&c->out));
  return total;
}

/* ---- subscriptions ------------------------------------------------------------------------- */

static void on_chunk(void *user)
{
  Sub *s = user;
  if (g_atomic_int_compare_and_exchange(&s->conn->dirty, 0, 1))
    wake(s->conn->srv);
}

static void sub_free(Sub *s)
{
  hw_live_sub_free(s->sub); /* no on_chunk after this */
  hw_live_init_unref(s->sent_init);
  g_free(s);
}

static int sub_find(Conn *c, const char *camera)
{
  for (int i = 0; i < c->n_subs; i++)
    if (strcmp(c->subs[i]->camera, camera) == 0)
      return i;
  return -1;
}

static void sub_remove(Conn *c, int i)
{
  sub_free(c->subs[i]);
  c->subs[i] = c->subs[--c->n_subs];
  c->rr = 0;
}

static bool valid_camera_id(const char *s)
{
  size_t n = strlen(s);
  if (n < 1 || n > 63)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!g_ascii_isalnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
      return false;
  return true;
}

/* Whether the caller may watch camera id: an API camera in one of its halls, or (unrestricted
 * callers only) a camera of the config file, which belongs to no hall. */
static bool camera_visible(Conn *c, const char *id)
{
  HwHttp *h = c->srv->http;
  HwStoreCamera cam;
  if (hw_store_camera_get(h->opt.store, id, (const char *const *)c->halls, &cam, NULL))
    return true;
  if (c->halls != NULL)
    return false;
  const HwCameraHooks *hooks = h->opt.cameras;
  if (hooks == NULL)
    return true; /* no camera management: every camera of the recorder is the config's */
  HwCameraConfig **cfg = hooks->config_cameras(hooks->user);
  bool found = false;
  for (size_t i = 0; cfg && cfg[i]; i++) {
    found |= strcmp(cfg[i]->id, id) == 0;
    hw_camera_config_free(cfg[i]);
  }
  g_free(cfg);
  return found;
}

static json_t *stream_json(HwLiveChannel *ch)
{
  if (ch == NULL)
    return json_null();
  HwLiveInfo info;
  hw_live_channel_info(ch, &info);
  return json_pack("{s:s?, s:s?, s:i, s:i}", "codec", info.codec[0] ? info.codec : NULL, "mime",
                   info.mime_codec[0] ? info.mime_codec : NULL, "width", info.width, "height",
                   info.height);
}

static void subscribe(Conn *c, const char *camera, const char *want)
{
  HwLiveServer *srv = c->srv;
  if (strcmp(want, "auto") != 0 && strcmp(want, "main") != 0 && strcmp(want, "sub") != 0) {
    queue_error(c, camera, "invalid_field", "stream must be \"auto\", \"main\" or \"sub\"");
    return;
  }
  int have = sub_find(c, camera);
  if (have < 0 && c->n_subs >= LIVE_SUBS_MAX) {
    queue_error(c, camera, "too_many", "at most 32 cameras on one connection");
    return;
  }
  if (!camera_visible(c, camera)) {
    queue_error(c, camera, "not_found", "no such camera");
    return;
  }
  HwLiveChannel *main = hw_live_lookup(srv->live, camera, "main");
  HwLiveChannel *sub = hw_live_lookup(srv->live, camera, "sub");
  const char *stream = strcmp(want, "auto") == 0 ? (sub ? "sub" : "main") : want;
  HwLiveChannel *ch = strcmp(stream, "sub") == 0 ? sub : main;
  if (ch == NULL) {
    queue_error(c, camera, "offline",
                strcmp(want, "sub") == 0 ? "the camera has no sub-stream"
                                         : "the camera is not being recorded now");
    goto out;
  }
  /* Live footage is footage: one audit row per camera per viewing session, before any byte. */
  if (!g_hash_table_contains(c->audited, camera)) {
    g_autofree char *detail = g_strdup_printf("{\"what\":\"live\",\"stream\":\"%s\"}", stream);
    g_autoptr(GError) error = NULL;
    if (srv->http->opt.audit != NULL &&
        !hw_audit_record(srv->http->opt.audit, c->user, c->role, c->addr, "footage.view", "camera",
                         camera, detail, &error)) {
      queue_error(c, camera, "audit_failed",
                  "the audit log could not record this view, so the picture is not shown");
      goto out;
    }
    g_hash_table_add(c->audited, g_strdup(camera));
  }
  if (have >= 0)
    sub_remove(c, have);
  Sub *s = g_new0(Sub, 1);
  s->conn = c;
  g_strlcpy(s->camera, camera, sizeof s->camera);
  g_strlcpy(s->stream, stream, sizeof s->stream);
  c->subs[c->n_subs++] = s;
  queue_json(c, json_pack("{s:s, s:s, s:s, s:{s:o, s:o}}", "op", "subscribed", "camera", camera,
                          "stream", stream, "streams", "main", stream_json(main), "sub",
                          stream_json(sub)));
  s->sub = hw_live_sub_new(ch, on_chunk, s);
out:
  hw_live_channel_unref(main);
  hw_live_channel_unref(sub);
}

static void on_text(Conn *c, const char *text, size_t len)
{
  json_error_t jerr;
  json_t *o = json_loadb(text, len, JSON_REJECT_DUPLICATES, &jerr);
  const char *op = o ? json_string_value(json_object_get(o, "op")) : NULL;
  const char *camera = o ? json_string_value(json_object_get(o, "camera")) : NULL;
  if (op == NULL) {
    queue_error(c, NULL, "invalid_json", "a message is a JSON object with an \"op\"");
    goto out;
  }
  if (camera == NULL || !valid_camera_id(camera)) {
    queue_error(c, NULL, "invalid_field", "camera must be a camera id");
    goto out;
  }
  if (strcmp(op, "subscribe") == 0) {
    const char *stream = json_string_value(json_object_get(o, "stream"));
    subscribe(c, camera, stream ? stream : "auto");
  } else if (strcmp(op, "unsubscribe") == 0) {
    int i = sub_find(c, camera);
    if (i >= 0)
      sub_remove(c, i);
    queue_json(c, json_pack("{s:s, s:s}", "op", "unsubscribed", "camera", camera));
  } else {
    queue_error(c, camera, "invalid_field", "op must be \"subscribe\" or \"unsubscribe\"");
  }
out:
  json_decref(o);
}

/* ---- incoming frames ----------------------------------------------------------------------- */

static void close_with(Conn *c, uint16_t code)
{
  uint8_t p[2] = {(uint8_t)(code >> 8), (uint8_t)code};
  queue_frame(c, 8, p, 2);
  c->closing = true;
  while (c->n_subs > 0)
    sub_remove(c, c->n_subs - 1);
}

/* Parses whole frames from c->in. Client frames must be masked and unfragmented (a page's
 * messages are a few dozen bytes). */
static void conn_parse(Conn *c)
{
  while (!c->closing && c->in->len >= 2) {
    uint8_t *b = c->in->data;
    bool fin = b[0] & 0x80;
    int opcode = b[0] & 0x0f;
    bool masked = b[1] & 0x80;
    uint64_t len = b[1] & 0x7f;
    size_t h = 2;
    if (len == 126) {
      if (c->in->len < 4)
        return;
      len = (uint64_t)b[2] << 8 | b[3];
      h = 4;
    } else if (len == 127) {
      if (c->in->len < 10)
        return;
      len = 0;
      for (int i = 0; i < 8; i++)
        len = len << 8 | b[2 + i];
      h = 10;
    }
    if (!masked || (b[0] & 0x70) != 0) {
      close_with(c, 1002); /* protocol error */
      return;
    }
    if (len > LIVE_IN_MAX) {
      close_with(c, 1009); /* too big */
      return;
    }
    if (c->in->len < h + 4 + len)
      return;
    uint8_t *mask = b + h, *p = b + h + 4;
    for (uint64_t i = 0; i < len; i++)
      p[i] ^= mask[i & 3];
    if (!fin || opcode == 0) {
      close_with(c, 1003); /* fragmented messages are not used by this protocol */
      return;
    }
    switch (opcode) {
    case 1:
      on_text(c, (const char *)p, len);
      break;
    case 8:
      close_with(c, 1000);
      return;
    case 9:
      queue_frame(c, 10, p, len); /* pong */
      break;
    case 10:
      break;
    default:
      close_with(c, 1003);
      return;
    }
    g_byte_array_remove_range(c->in, 0, (guint)(h + 4 + len));
  }
}

static void conn_read(Conn *c)
{
  uint8_t buf[4096];
  for (;;) {
    ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
    if (r > 0) {
      if (c->in->len + (size_t)r > LIVE_IN_MAX + 14 + 4096) {
        c->dead = true;
        return;
      }
      g_byte_array_append(c->in, buf, (guint)r);
      conn_parse(c);
      continue;
    }
    if (r < 0 && errno == EINTR)
      continue;
    if (r == 0 || (errno != EAGAIN && errno != EWOULDBLOCK))
      c->dead = true;
    return;
  }
}

/* ---- connections --------------------------------------------------------------------------- */

static void conn_free(Conn *c)
{
  while (c->n_subs > 0)
    sub_remove(c, c->n_subs - 1);
  Piece *p;
  while ((p = g_queue_pop_head(&c->out)) != NULL) {
    g_bytes_unref(p->bytes);
    g_free(p);
  }
  if (c->urh != NULL) {
    epoll_ctl(c->srv->epfd, EPOLL_CTL_DEL, c->fd, NULL);
    MHD_upgrade_action(c->urh, MHD_UPGRADE_ACTION_CLOSE); /* closes the socket */
    g_atomic_int_add(&c->srv->n_conns, -1);
  }
  g_byte_array_unref(c->in);
  g_strfreev(c->halls);
  g_hash_table_destroy(c->audited);
  g_free(c);
}

/* An open view lasts only as long as its session: signed out, password changed, account
 * disabled or past the session's maximum age, the connection closes (code 4001). Watching a
 * camera counts as using the session, so a wall left open is not cut by the idle limit; a
 * connection watching nothing lets the session idle out as any page would. */
static void check_session(Conn *c)
{
  const HwHttpOptions *o = &c->srv->http->opt;
  HwStoreSession s;
  g_autoptr(GError) error = NULL;
  hw_time_ns now = hw_time_now();
  if (!hw_store_session_get(o->store, c->session, &s, &error)) {
    if (!g_error_matches(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND))
      return; /* the store is busy or failing: not the viewer's fault, look again later */
  } else if (now - s.created_ns <= o->session_max_ns && c->n_subs > 0) {
    hw_store_session_touch(o->store, c->session, now, NULL);
    return;
  } else if (now - s.created_ns <= o->session_max_ns &&
             now - s.last_seen_ns <= o->session_idle_ns) {
    return; /* open but watching nothing: the session idles as usual */
  }
  queue_json(c, json_pack("{s:s, s:s, s:s}", "op", "error", "code", "session_expired", "message",
                          "the session has ended (signed out or expired); sign in again"));
  close_with(c, 4001);
}

static void conn_service(Conn *c)
{
  for (int round = 0; round < 8 && !c->dead; round++) {
    c->more = !c->closing && conn_fill(c);
    size_t wrote = conn_flush(c);
    if (!c->more || wrote == 0)
      break;
  }
}

static gpointer live_thread(gpointer data)
{
  HwLiveServer *srv = data;
  struct epoll_event evs[64];
  while (!g_atomic_int_get(&srv->stop)) {
    int n = epoll_wait(srv->epfd, evs, G_N_ELEMENTS(evs), 500);
    for (int i = 0; i < n; i++) {
      Conn *c = evs[i].data.ptr;
      if (c == NULL) {
        uint64_t v;
        ssize_t r = read(srv->evfd, &v, sizeof v);
        (void)r;
        continue;
      }
      if (evs[i].events & (EPOLLIN | EPOLLHUP | EPOLLERR))
        conn_read(c);
      if (!c->dead && (evs[i].events & EPOLLOUT))
        conn_flush(c);
    }
    g_mutex_lock(&srv->lock);
    for (guint i = 0; i < srv->incoming->len; i++) {
      Conn *c = srv->incoming->pdata[i];
      struct epoll_event ev = {.events = EPOLLIN, .data.ptr = c};
      if (epoll_ctl(srv->epfd, EPOLL_CTL_ADD, c->fd, &ev) != 0)
        c->dead = true;
      g_ptr_array_add(srv->conns, c);
      conn_parse(c); /* bytes the client sent before the upgrade completed */
      c->fresh = true;
    }
    g_ptr_array_set_size(srv->incoming, 0);
    g_mutex_unlock(&srv->lock);

    bool check = hw_time_monotonic() >= srv->next_session_check;
    if (check)
      srv->next_session_check = hw_time_monotonic() + LIVE_SESSION_CHECK_NS;
    for (guint i = 0; i < srv->conns->len;) {
      Conn *c = srv->conns->pdata[i];
      if (check && !c->closing && !c->dead && c->session[0] != '\0')
        check_session(c);
      /* Only connections with something to do: a chunk announced, bytes or chunks waiting. */
      bool dirty = __atomic_exchange_n(&c->dirty, 0, __ATOMIC_ACQ_REL) != 0;
      if (!c->dead && (dirty || c->more || c->fresh || !g_queue_is_empty(&c->out)))
        conn_service(c);
      c->fresh = false;
      if (c->dead) {
        g_ptr_array_remove_index_fast(srv->conns, i);
        conn_free(c);
      } else {
        i++;
      }
    }
  }
  return NULL;
}

/* libmicrohttpd has sent the 101 and hands over the socket (on its own thread: no blocking). */
static void on_upgrade(void *cls, struct MHD_Connection *connection, void *con_cls,
                       const char *extra_in, size_t extra_in_size, MHD_socket sock,
                       struct MHD_UpgradeResponseHandle *urh)
{
  HwLiveServer *srv = cls;
  HwRequest *req = con_cls;
  Conn *c = req != NULL ? g_steal_pointer(&req->upgrade_data) : NULL;
  (void)connection;
  if (c == NULL || g_atomic_int_get(&srv->stop)) {
    if (c != NULL)
      conn_free(c);
    MHD_upgrade_action(urh, MHD_UPGRADE_ACTION_CLOSE);
    return;
  }
  c->fd = sock;
  c->urh = urh;
  g_atomic_int_inc(&srv->n_conns);
  int flags = fcntl(sock, F_GETFL);
  fcntl(sock, F_SETFL, flags | O_NONBLOCK);
  int one = 1, sndbuf = LIVE_SNDBUF;
  setsockopt(sock, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one); /* fails harmlessly under TLS */
  setsockopt(sock, SOL_SOCKET, SO_SNDBUF, &sndbuf, sizeof sndbuf);
  if (extra_in_size > 0)
    g_byte_array_append(c->in, (const guint8 *)extra_in, (guint)extra_in_size);
  g_mutex_lock(&srv->lock);
  g_ptr_array_add(srv->incoming, c);
  g_mutex_unlock(&srv->lock);
  wake(srv);
}

HwLiveServer *hw_live_server_new(HwHttp *http, HwLive *live, GError **error)
{
  HwLiveServer *srv = g_new0(HwLiveServer, 1);
  srv->http = http;
  srv->live = live;
  srv->epfd = epoll_create1(EPOLL_CLOEXEC);
  srv->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
  if (srv->epfd < 0 || srv->evfd < 0) {
    g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_START, "live view: cannot create epoll: %s",
                g_strerror(errno));
    if (srv->epfd >= 0)
      close(srv->epfd);
    if (srv->evfd >= 0)
      close(srv->evfd);
    g_free(srv);
    return NULL;
  }
  struct epoll_event ev = {.events = EPOLLIN, .data.ptr = NULL};
  epoll_ctl(srv->epfd, EPOLL_CTL_ADD, srv->evfd, &ev);
  g_mutex_init(&srv->lock);
  srv->incoming = g_ptr_array_new();
  srv->conns = g_ptr_array_new();
  srv->thread = g_thread_new("hw-live", live_thread, srv);
  return srv;
}

void hw_live_server_free(HwLiveServer *srv)
{
  if (srv == NULL)
    return;
  g_atomic_int_set(&srv->stop, 1);
  wake(srv);
  g_thread_join(srv->thread);
  for (guint i = 0; i < srv->conns->len; i++)
    conn_free(srv->conns->pdata[i]);
  for (guint i = 0; i < srv->incoming->len; i++)
    conn_free(srv->incoming->pdata[i]);
  g_ptr_array_free(srv->conns, TRUE);
  g_ptr_array_free(srv->incoming, TRUE);
  g_mutex_clear(&srv->lock);
  close(srv->epfd);
  close(srv->evfd);
  g_free(srv);
}

/* ---- the route ----------------------------------------------------------------------------- */

/* Whether a comma-separated header value holds token (case-insensitive). */
static bool header_has_token(const char *value, const char *token)
{
  if (value == NULL)
    return false;
  g_auto(GStrv) parts = g_strsplit(value, ",", -1);
  for (size_t i = 0; parts[i]; i++)
    if (g_ascii_strcasecmp(g_strstrip(parts[i]), token) == 0)
      return true;
  return false;
}

/* The page must come from this server: a browser sends its cookies with a WebSocket to any site,
 * so without this check another site could watch through a signed-in supervisor's browser. */
static bool origin_ok(HwRequest *req)
{
  const char *origin = hw_request_header(req, "Origin");
  const char *host = hw_request_header(req, "Host");
  if (origin == NULL || host == NULL)
    return false;
  g_autofree char *want =
      g_strdup_printf("%s://%s", req->http->tls_cert != NULL ? "https" : "http", host);
  return g_ascii_strcasecmp(origin, want) == 0;
}

static void conn_init_free(gpointer p) { conn_free(p); }

/* GET /api/v1/live: the WebSocket handshake; what follows is in docs/live.md. */
void hw_route_live(HwRequest *req, HwReply *reply)
{
  HwLiveServer *srv = req->http->live;
  if (srv == NULL) {
    hw_reply_error(reply, 503, "unavailable", NULL, "live view is not enabled here");
    return;
  }
  if (strcmp(hw_request_method(req), "GET") != 0) { /* HEAD: nothing to upgrade */
    hw_reply_error(reply, 426, "upgrade_required", NULL,
                   "live view is a WebSocket: GET with Upgrade: websocket");
    return;
  }
  if (!header_has_token(hw_request_header(req, "Upgrade"), "websocket") ||
      !header_has_token(hw_request_header(req, "Connection"), "upgrade")) {
    hw_reply_error(reply, 426, "upgrade_required", NULL,
                   "live view is a WebSocket: send Upgrade: websocket");
    hw_reply_header(reply, "Upgrade", "websocket");
    return;
  }
  const char *version = hw_request_header(req, "Sec-WebSocket-Version");
  if (version == NULL || strcmp(version, "13") != 0) {
    hw_reply_error(reply, 426, "upgrade_required", "Sec-WebSocket-Version",
                   "only WebSocket version 13 is spoken here");
    hw_reply_header(reply, "Sec-WebSocket-Version", "13");
    return;
  }
  const char *key = hw_request_header(req, "Sec-WebSocket-Key");
  gsize key_len = 0;
  g_autofree guchar *raw = key && strlen(key) == 24 ? g_base64_decode(key, &key_len) : NULL;
  if (raw == NULL || key_len != 16) {
    hw_reply_error(reply, 400, "invalid_field", "Sec-WebSocket-Key",
                   "Sec-WebSocket-Key must be 16 bytes in base64");
    return;
  }
  if (!origin_ok(req)) {
    hw_reply_error(reply, 403, "forbidden", "Origin",
                   "the page asking for live view does not come from this server");
    return;
  }
  if (g_atomic_int_get(&srv->n_conns) >= LIVE_CONNS_MAX) {
    hw_reply_error(reply, 503, "busy", NULL, "too many live view connections; try again later");
    return;
  }

  g_autoptr(GChecksum) sha1 = g_checksum_new(G_CHECKSUM_SHA1);
  g_checksum_update(sha1, (const guchar *)key, (gssize)strlen(key));
  g_checksum_update(sha1, (const guchar *)WS_GUID, (gssize)strlen(WS_GUID));
  guint8 digest[20];
  gsize dlen = sizeof digest;
  g_checksum_get_digest(sha1, digest, &dlen);
  g_autofree char *accept = g_base64_encode(digest, dlen);

  Conn *c = g_new0(Conn, 1);
  c->srv = srv;
  c->fd = -1;
  const HwCaller *caller = hw_request_caller(req);
  g_strlcpy(c->user, caller->name, sizeof c->user);
  g_strlcpy(c->role, hw_role_name(caller->role) ? hw_role_name(caller->role) : "", sizeof c->role);
  g_strlcpy(c->addr, hw_request_client_address(req), sizeof c->addr);
  g_strlcpy(c->session, req->session_hash, sizeof c->session);
  const char *const *halls = hw_request_scope_codes(req, HW_SCOPE_HALL);
  c->halls = halls ? g_strdupv((char **)halls) : NULL;
  c->in = g_byte_array_new();
  g_queue_init(&c->out);
  c->audited = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  req->upgrade_data = c;
  req->upgrade_free = conn_init_free;

  reply->status = 101;
  reply->upgrade = on_upgrade;
  reply->upgrade_cls = srv;
  hw_reply_header(reply, "Upgrade", "websocket");
  hw_reply_header(reply, "Connection", "Upgrade");
  hw_reply_header(reply, "Sec-WebSocket-Accept", accept);
}
