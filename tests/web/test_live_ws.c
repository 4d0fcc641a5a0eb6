/* web.live_ws: the live endpoint's WebSocket (web/live.c) in-process, with no camera: frames are
 * pushed into a live channel by the test itself, so each case is quick and runs under valgrind.
 * Over plain HTTP and over TLS (libmicrohttpd relays upgraded TLS connections through a
 * socketpair): handshake and its accept key, subscribe, init + chunks carrying exactly the pushed
 * samples, ping → pong, a subscription to an unknown camera, and the close handshake. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>

#include "audit/hw_audit.h"
#include "capture/hw_live.h"
#include "sql/hw_store.h"
#include "sql/hw_store_auth.h"
#include "web/hw_auth.h"
#include "web/hw_http.h"

#define PASSWORD "correct horse battery"

typedef struct {
  char *dir, *cert, *key;
  HwStore *store;
  HwAudit *audit;
  HwLive *live;
  HwLiveChannel *ch;
  HwHttp *http;
  int port;
  bool tls;
  /* the client */
  GSocketClient *client;
  GIOStream *conn, *stream;
  GByteArray *in;
} Fixture;

static HwCameraStatus *no_cameras(void *user, size_t *ret_n)
{
  (void)user;
  *ret_n = 0;
  return NULL;
}

static const uint8_t avcc[] = {0x01, 0x42, 0xc0, 0x1e, 0xff, 0xe1, 0x00, 0x04, 0x67,
                               0x42, 0xc0, 0x1e, 0x01, 0x00, 0x02, 0x68, 0xce};

static void push_frame(Fixture *f, int i)
{
  uint8_t data[300];
  memset(data, 0xa0 + (i & 0x0f), sizeof data);
  data[0] = data[1] = 0;
  data[2] = 0x01;
  data[3] = 0x28; /* a 296-byte NAL */
  GstBuffer *b = gst_buffer_new_memdup(data, sizeof data);
  int64_t dts = (int64_t)i * 40 * HW_NS_PER_MS;
  hw_live_channel_push(f->ch, b, dts, dts, i % 50 == 0, hw_time_now());
  gst_buffer_unref(b);
}

static gboolean make_cert(const char *dir, char **ret_cert, char **ret_key)
{
  *ret_cert = g_build_filename(dir, "cert.pem", NULL);
  *ret_key = g_build_filename(dir, "cert.key", NULL);
  const char *argv[] = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost", "-days",
                        "1", "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", *ret_key,
                        "-out", *ret_cert, NULL};
  int status = 0;
  if (!g_spawn_sync(NULL, (char **)argv, NULL,
                    G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                    NULL, NULL, NULL, NULL, &status, NULL))
    return FALSE;
  return g_spawn_check_wait_status(status, NULL);
}

static void setup(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  f->tls = GPOINTER_TO_INT(data);
  f->dir = g_dir_make_tmp("hw-web-live-ws-XXXXXX", &error);
  g_assert_no_error(error);
  if (f->tls && !make_cert(f->dir, &f->cert, &f->key)) {
    g_test_skip("openssl cannot make a certificate here (apt install openssl)");
    return;
  }
  g_autofree char *db = g_build_filename(f->dir, "hallwatch.db", NULL);
  f->store = hw_store_open(db, &error);
  g_assert_no_error(error);
  f->audit = hw_audit_new(f->store);
  g_assert_true(hw_auth_init(NULL));
  g_autofree char *hash = hw_auth_password_hash(PASSWORD, &error);
  g_assert_no_error(error);
  g_assert_true(hw_store_user_add(f->store, "sup", "supervisor", hash, NULL, 0, NULL, &error));

  f->live = hw_live_new();
  f->ch = hw_live_channel(f->live, "cam", "main");
  hw_live_channel_publisher(f->ch, true);
  g_autoptr(GBytes) rec = g_bytes_new_static(avcc, sizeof avcc);
  hw_live_channel_set_format(f->ch, "h264", 320, 240, rec);

  HwHttpOptions o;
  hw_http_options_init(&o);
  o.status_fn = no_cameras;
  o.store = f->store;
  o.audit = f->audit;
  o.live = f->live;
  o.tls_cert_path = f->cert;
  o.tls_key_path = f->key;
  f->http = hw_http_new(&o, &error);
  g_assert_no_error(error);
  f->port = hw_http_port(f->http);
  f->in = g_byte_array_new();
}

static void teardown(Fixture *f, gconstpointer data)
{
  (void)data;
  g_clear_object(&f->stream);
  g_clear_object(&f->conn);
  g_clear_object(&f->client);
  hw_http_free(f->http);
  if (f->ch) {
    hw_live_channel_publisher(f->ch, false);
    hw_live_channel_unref(f->ch);
  }
  hw_live_free(f->live);
  hw_audit_free(f->audit);
  if (f->store)
    hw_store_close(f->store);
  if (f->in)
    g_byte_array_unref(f->in);
  g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name(d)) != NULL) {
    g_autofree char *p = g_build_filename(f->dir, n, NULL);
    g_unlink(p);
  }
  g_rmdir(f->dir);
  g_free(f->cert);
  g_free(f->key);
  g_free(f->dir);
}

/* A connection to the server, TLS when the fixture is (the test's certificate as anchor). */
static void client_open(Fixture *f)
{
  g_autoptr(GError) error = NULL;
  g_clear_object(&f->stream);
  g_clear_object(&f->conn);
  g_clear_object(&f->client);
  g_byte_array_set_size(f->in, 0);
  f->client = g_socket_client_new();
  g_socket_client_set_timeout(f->client, 10);
  f->conn = G_IO_STREAM(
      g_socket_client_connect_to_host(f->client, "127.0.0.1", (guint16)f->port, NULL, &error));
  g_assert_no_error(error);
  f->stream = g_object_ref(f->conn);
  if (f->tls) {
    g_autoptr(GSocketConnectable) id = g_network_address_new("127.0.0.1", (guint16)f->port);
    GIOStream *tls = g_tls_client_connection_new(f->conn, id, &error);
    g_assert_no_error(error);
    g_autoptr(GTlsDatabase) db = g_tls_file_database_new(f->cert, &error);
    g_assert_no_error(error);
    g_tls_connection_set_database(G_TLS_CONNECTION(tls), db);
    g_assert_true(g_tls_connection_handshake(G_TLS_CONNECTION(tls), NULL, &error));
    g_object_unref(f->stream);
    f->stream = tls;
  }
}

static void client_write(Fixture *f, const void *data, size_t len)
{
  g_autoptr(GError) error = NULL;
  g_assert_true(g_output_stream_write_all(g_io_stream_get_output_stream(f->stream), data, len,
                                          NULL, NULL, &error));
  g_assert_no_error(error);
}

/* Reads more bytes; FALSE at the end of the stream. */
static gboolean client_fill(Fixture *f)
{
  uint8_t buf[16384];
  gssize r = g_input_stream_read(g_io_stream_get_input_stream(f->stream), buf, sizeof buf, NULL,
                                 NULL);
  if (r <= 0)
    return FALSE;
  g_byte_array_append(f->in, buf, (guint)r);
  return TRUE;
}

/* One HTTP exchange on its own connection (Connection: close): the whole reply. */
static char *http_request(Fixture *f, const char *raw)
{
  client_open(f);
  client_write(f, raw, strlen(raw));
  while (client_fill(f))
    ;
  return g_strndup((const char *)f->in->data, f->in->len);
}

static char *sign_in(Fixture *f)
{
  const char *body = "{\"username\":\"sup\",\"password\":\"" PASSWORD "\"}";
  g_autofree char *raw = g_strdup_printf(
      "POST /api/v1/auth/login HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n"
      "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
      strlen(body), body);
  g_autofree char *reply = http_request(f, raw);
  const char *c = strstr(reply, "Set-Cookie: hw_session=");
  g_assert_nonnull(c);
  return g_strndup(c + 12, strcspn(c + 12, ";\r\n"));
}

static void ws_send(Fixture *f, int opcode, const char *payload)
{
  size_t n = strlen(payload);
  g_assert_cmpuint(n, <, 126);
  uint8_t frame[140] = {(uint8_t)(0x80 | opcode), (uint8_t)(0x80 | n), 0x0f, 0x1e, 0x2d, 0x3c};
  for (size_t i = 0; i < n; i++)
    frame[6 + i] = (uint8_t)payload[i] ^ frame[2 + (i & 3)];
  client_write(f, frame, 6 + n);
}

/* The next frame: opcode and payload (g_byte_array_unref). */
static GByteArray *ws_read(Fixture *f, int *ret_opcode)
{
  for (;;) {
    const uint8_t *b = f->in->data;
    size_t have = f->in->len;
    if (have >= 2) {
      uint64_t len = b[1] & 0x7f;
      size_t h = 2;
      if (len == 126)
        h = 4;
      else if (len == 127)
        h = 10;
      if (have >= h) {
        if (h == 4) {
          len = (uint64_t)b[2] << 8 | b[3];
        } else if (h == 10) {
          len = 0;
          for (int i = 0; i < 8; i++)
            len = len << 8 | b[2 + i];
        }
        g_assert_false(b[1] & 0x80); /* server frames are not masked */
        if (have >= h + len) {
          *ret_opcode = b[0] & 0x0f;
          GByteArray *out = g_byte_array_sized_new((guint)len);
          g_byte_array_append(out, b + h, (guint)len);
          g_byte_array_remove_range(f->in, 0, (guint)(h + len));
          return out;
        }
      }
    }
    if (!client_fill(f))
      return NULL;
  }
}

static void test_live_ws(Fixture *f, gconstpointer data)
{
  (void)data;
  if (f->http == NULL)
    return; /* skipped */
  g_autofree char *cookie = sign_in(f);
  const char *scheme = f->tls ? "https" : "http";

  /* The handshake: RFC 6455's sample key must give its sample accept value. */
  client_open(f);
  g_autofree char *hs = g_strdup_printf(
      "GET /api/v1/live HTTP/1.1\r\nHost: 127.0.0.1:%d\r\nOrigin: %s://127.0.0.1:%d\r\n"
      "Upgrade: websocket\r\nConnection: keep-alive, Upgrade\r\nSec-WebSocket-Version: 13\r\n"
      "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nCookie: %s\r\n\r\n",
      f->port, scheme, f->port, cookie);
  client_write(f, hs, strlen(hs));
  guint8 *end = NULL;
  while (f->in->len == 0 || (end = memmem(f->in->data, f->in->len, "\r\n\r\n", 4)) == NULL)
    g_assert_true(client_fill(f));
  g_autofree char *head = g_strndup((const char *)f->in->data, (gsize)(end - f->in->data));
  g_byte_array_remove_range(f->in, 0, (guint)(end + 4 - f->in->data));
  g_assert_true(g_str_has_prefix(head, "HTTP/1.1 101"));
  g_assert_nonnull(strstr(head, "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo="));

  /* Unknown camera, then ours; frames pushed after the subscription. */
  ws_send(f, 1, "{\"op\":\"subscribe\",\"camera\":\"nope\"}");
  ws_send(f, 1, "{\"op\":\"subscribe\",\"camera\":\"cam\",\"stream\":\"main\"}");
  int op = 0;
  g_autoptr(GByteArray) e = ws_read(f, &op);
  g_assert_nonnull(e);
  g_assert_cmpint(op, ==, 1);
  g_autofree char *etext = g_strndup((const char *)e->data, e->len);
  g_assert_nonnull(strstr(etext, "\"offline\""));
  g_autoptr(GByteArray) s = ws_read(f, &op);
  g_assert_nonnull(s);
  g_autofree char *stext = g_strndup((const char *)s->data, s->len);
  g_assert_nonnull(strstr(stext, "\"subscribed\""));
  g_assert_nonnull(strstr(stext, "avc1.42c01e"));
  for (int i = 0; i < 12; i++)
    push_frame(f, i);

  int inits = 0, chunks = 0, frames = 0;
  while (chunks < 3) {
    g_autoptr(GByteArray) m = ws_read(f, &op);
    g_assert_nonnull(m);
    g_assert_cmpint(op, ==, 2);
    g_assert_cmpuint(m->len, >, 2 + 3);
    g_assert_cmpmem(m->data + 2, m->data[1], "cam", 3);
    const uint8_t *rest = m->data + 2 + m->data[1];
    size_t rlen = m->len - 2 - m->data[1];
    if (m->data[0] == 1) {
      inits++;
      g_assert_cmpmem(rest + 1, rest[0], "avc1.42c01e", 11);
      g_assert_nonnull(memmem(rest, rlen, "avcC", 4));
    } else {
      g_assert_cmpint(m->data[0], ==, 2);
      g_assert_cmpint(inits, ==, 1); /* the init comes first */
      g_assert_cmpint(rest[0] & 1, ==, chunks == 0); /* the first chunk starts on the keyframe */
      const uint8_t *mdat = memmem(rest, rlen, "mdat", 4);
      g_assert_nonnull(mdat);
      /* The samples as pushed: 300 bytes each, the first NAL length 0x128. */
      size_t payload = rlen - (size_t)(mdat + 4 - rest);
      g_assert_cmpuint(payload % 300, ==, 0);
      g_assert_cmpint(mdat[4 + 3], ==, 0x28);
      frames += (int)(payload / 300);
      chunks++;
    }
  }
  g_assert_cmpint(frames, >=, 9);

  ws_send(f, 9, "are you there");
  g_autoptr(GByteArray) pong = ws_read(f, &op);
  while (pong != NULL && op != 10) { /* chunks may still be on their way */
    g_byte_array_unref(pong);
    pong = ws_read(f, &op);
  }
  g_assert_nonnull(pong);
  g_assert_cmpmem(pong->data, pong->len, "are you there", 13);

  ws_send(f, 8, "");
  g_autoptr(GByteArray) closing = ws_read(f, &op);
  while (closing != NULL && op != 8) {
    g_byte_array_unref(closing);
    closing = ws_read(f, &op);
  }
  g_assert_nonnull(closing);
  g_assert_cmpuint(closing->len, ==, 2);
  g_assert_cmpint(closing->data[0] << 8 | closing->data[1], ==, 1000);
  HwLiveInfo info;
  for (int i = 0; i < 100; i++) { /* the server lets go of the subscription */
    hw_live_channel_info(f->ch, &info);
    if (info.viewers == 0)
      break;
    g_usleep(20000);
  }
  g_assert_cmpint(info.viewers, ==, 0);
}

int main(int argc, char **argv)
{
  gst_init(&argc, &argv);
  g_test_init(&argc, &argv, NULL);
  g_test_add("/web/live_ws/plain", Fixture, GINT_TO_POINTER(0), setup, test_live_ws, teardown);
  g_test_add("/web/live_ws/tls", Fixture, GINT_TO_POINTER(1), setup, test_live_ws, teardown);
  return g_test_run();
}
