/* Tests of HTTPS (web/hw_http.c with [http] tls_cert/tls_key): a self-signed certificate made
 * with openssl, real TLS requests through GIO (the certificate as the only trust anchor), plain
 * HTTP refused on the TLS port, Secure cookies, and the refusals of bad files and of plain HTTP
 * beyond loopback (the server's and the configuration's). */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>

#include "audit/hw_audit.h"
#include "sql/hw_store.h"
#include "sql/hw_store_auth.h"
#include "web/hw_auth.h"
#include "web/hw_http.h"

#define PASSWORD "correct horse battery"
#define BEYOND_LOOPBACK                                                                            \
  "listen beyond loopback needs tls_cert and tls_key (browsers drop Secure cookies on plain HTTP)"

typedef struct {
  char *dir, *db, *cert, *key;
  HwStore *store;
  HwAudit *audit;
  HwHttp *http;
  int port;
} Fixture;

static HwCameraStatus *no_cameras(void *user, size_t *ret_n)
{
  *ret_n = 0;
  return NULL;
}

static HwHttp *new_server(Fixture *f, const char *host, const char *cert, const char *key,
                          GError **error)
{
  HwHttpOptions o;
  hw_http_options_init(&o);
  o.host = host;
  o.status_fn = no_cameras;
  o.store = f->store;
  o.audit = f->audit;
  o.tls_cert_path = cert;
  o.tls_key_path = key;
  return hw_http_new(&o, error);
}

/* The command from docs/operations.md, with the names a client checks. */
static gboolean make_cert(const char *dir, const char *name, char **ret_cert, char **ret_key)
{
  g_autofree char *cert_name = g_strdup_printf("%s.pem", name);
  g_autofree char *key_name = g_strdup_printf("%s.key", name);
  *ret_cert = g_build_filename(dir, cert_name, NULL);
  *ret_key = g_build_filename(dir, key_name, NULL);
  const char *argv[] = {"openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=localhost", "-days",
                        "1", "-addext", "subjectAltName=DNS:localhost,IP:127.0.0.1", "-keyout",
                        *ret_key, "-out", *ret_cert, NULL};
  int status = 0;
  g_autoptr(GError) error = NULL;
  if (!g_spawn_sync(NULL, (char **)argv, NULL,
                    G_SPAWN_SEARCH_PATH | G_SPAWN_STDOUT_TO_DEV_NULL | G_SPAWN_STDERR_TO_DEV_NULL,
                    NULL, NULL, NULL, NULL, &status, &error))
    return FALSE;
  return g_spawn_check_wait_status(status, NULL);
}

static void fixture_setup(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp("hw-web-tls-XXXXXX", &error);
  g_assert_no_error(error);
  if (!make_cert(f->dir, "cert", &f->cert, &f->key)) {
    g_test_skip("openssl cannot make a certificate here (apt install openssl)");
    return;
  }
  f->db = g_build_filename(f->dir, "hallwatch.db", NULL);
  f->store = hw_store_open(f->db, &error);
  g_assert_no_error(error);
  f->audit = hw_audit_new(f->store);
  g_assert_true(hw_auth_init(NULL));
  g_autofree char *hash = hw_auth_password_hash(PASSWORD, &error);
  g_assert_no_error(error);
  g_assert_true(hw_store_user_add(f->store, "admin", "admin", hash, NULL, 0, NULL, &error));
  /* Any address with TLS: the wildcard one, reached here through 127.0.0.1. */
  f->http = new_server(f, "0.0.0.0", f->cert, f->key, &error);
  g_assert_no_error(error);
  g_assert_true(hw_http_is_tls(f->http));
  f->port = hw_http_port(f->http);
}

static void remove_dir(const char *path)
{
  g_autoptr(GDir) d = g_dir_open(path, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name(d)) != NULL) {
    g_autofree char *p = g_build_filename(path, n, NULL);
    g_unlink(p);
  }
  g_rmdir(path);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
  hw_http_free(f->http);
  hw_audit_free(f->audit);
  if (f->store)
    hw_store_close(f->store);
  remove_dir(f->dir);
  g_free(f->db);
  g_free(f->cert);
  g_free(f->key);
  g_free(f->dir);
}

/* ---- a minimal client: the raw reply text, over TLS or not --------------------------------- */

/* Sends raw and reads until the server closes. Over TLS the server must present a certificate
 * that chains to anchor (the test's own), for the name 127.0.0.1. NULL with error set if the
 * connection or the handshake fails. */
static char *exchange(int port, const char *anchor, const char *raw, GError **error)
{
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_socket_client_set_timeout(client, 10);
  g_autoptr(GSocketConnection) conn =
    g_socket_client_connect_to_host(client, "127.0.0.1", (guint16)port, NULL, error);
  if (!conn)
    return NULL;
  g_autoptr(GIOStream) tls = NULL;
  GIOStream *stream = G_IO_STREAM(conn);
  if (anchor) {
    g_autoptr(GSocketConnectable) identity = g_network_address_new("127.0.0.1", (guint16)port);
    tls = g_tls_client_connection_new(stream, identity, error);
    if (!tls)
      return NULL;
    g_autoptr(GTlsDatabase) db = g_tls_file_database_new(anchor, error);
    if (!db)
      return NULL;
    g_tls_connection_set_database(G_TLS_CONNECTION(tls), db);
    if (!g_tls_connection_handshake(G_TLS_CONNECTION(tls), NULL, error))
      return NULL;
    stream = tls;
  }
  GOutputStream *out = g_io_stream_get_output_stream(stream);
  GInputStream *in = g_io_stream_get_input_stream(stream);
  if (!g_output_stream_write_all(out, raw, strlen(raw), NULL, NULL, error))
    return NULL;
  g_autoptr(GString) buf = g_string_new(NULL);
  char chunk[4096];
  gssize got;
  /* A TLS peer that closes without close_notify is an error to GIO; what came before counts. */
  while ((got = g_input_stream_read(in, chunk, sizeof chunk, NULL, NULL)) > 0)
    g_string_append_len(buf, chunk, got);
  return g_string_free(g_steal_pointer(&buf), FALSE);
}

static char *request(int port, const char *anchor, const char *method, const char *path,
                     const char *body, GError **error)
{
  g_autofree char *length =
    body ? g_strdup_printf("Content-Type: application/json\r\nContent-Length: %zu\r\n", strlen(body))
         : g_strdup("");
  g_autofree char *raw =
    g_strdup_printf("%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s\r\n%s", method,
                    path, length, body ? body : "");
  return exchange(port, anchor, raw, error);
}

static int status_of(const char *reply)
{
  if (!reply || !g_str_has_prefix(reply, "HTTP/1.1 "))
    return -1;
  return atoi(reply + 9);
}

/* ---- tests ------------------------------------------------------------------------------------ */

static void test_tls(Fixture *f, gconstpointer data)
{
  if (g_test_failed() || !f->http)
    return; /* skipped in setup */
  g_autoptr(GError) error = NULL;

  /* /healthz over TLS, the certificate checked against the test's anchor. */
  g_autofree char *health = request(f->port, f->cert, "GET", "/healthz", NULL, &error);
  g_assert_no_error(error);
  g_assert_cmpint(status_of(health), ==, 200);

  /* Plain HTTP to the TLS port gets no HTTP answer. */
  g_autofree char *plain = request(f->port, NULL, "GET", "/healthz", NULL, NULL);
  g_assert_cmpint(status_of(plain), ==, -1);

  /* Another certificate is not accepted by the client: the server really presents its own. */
  g_autofree char *other_cert = NULL, *other_key = NULL;
  g_assert_true(make_cert(f->dir, "other", &other_cert, &other_key));
  g_autofree char *wrong_anchor = request(f->port, other_cert, "GET", "/healthz", NULL, &error);
  g_assert_null(wrong_anchor);
  g_assert_error(error, G_TLS_ERROR, G_TLS_ERROR_BAD_CERTIFICATE);
  g_clear_error(&error);

  /* Sign-in over TLS: the cookie is Secure. */
  g_autofree char *login =
    request(f->port, f->cert, "POST", "/api/v1/auth/login",
            "{\"username\":\"admin\",\"password\":\"" PASSWORD "\"}", &error);
  g_assert_no_error(error);
  g_assert_cmpint(status_of(login), ==, 200);
  const char *sc = strstr(login, "\r\nSet-Cookie: hw_session=");
  g_assert_nonnull(sc);
  g_autofree char *cookie_line = g_strndup(sc + 2, strcspn(sc + 2, "\r"));
  g_assert_nonnull(strstr(cookie_line, "; Secure;"));
  g_assert_nonnull(strstr(cookie_line, "HttpOnly"));
  g_assert_nonnull(strstr(cookie_line, "SameSite=Strict"));
}

static void test_tls_refusals(Fixture *f, gconstpointer data)
{
  if (g_test_failed() || !f->http)
    return;
  g_autoptr(GError) error = NULL;

  /* Plain HTTP beyond loopback: refused by the server itself, with the configuration's words. */
  g_autoptr(HwHttp) plain = new_server(f, "0.0.0.0", NULL, NULL, &error);
  g_assert_null(plain);
  g_assert_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_ADDRESS);
  g_assert_nonnull(strstr(error->message, BEYOND_LOOPBACK));
  g_clear_error(&error);

  /* Not PEM: the message names the file. */
  g_autofree char *junk = g_build_filename(f->dir, "junk.pem", NULL);
  g_assert_true(g_file_set_contents(junk, "not a certificate\n", -1, NULL));
  g_autoptr(HwHttp) bad_cert = new_server(f, "127.0.0.1", junk, f->key, &error);
  g_assert_null(bad_cert);
  g_assert_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_TLS);
  g_assert_nonnull(strstr(error->message, junk));
  g_assert_true(g_str_has_prefix(error->message, "tls_cert: "));
  g_clear_error(&error);
  g_autoptr(HwHttp) bad_key = new_server(f, "127.0.0.1", f->cert, junk, &error);
  g_assert_null(bad_key);
  g_assert_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_TLS);
  g_assert_nonnull(strstr(error->message, junk));
  g_assert_true(g_str_has_prefix(error->message, "tls_key: "));
  g_clear_error(&error);

  /* A key of another certificate. */
  g_autofree char *other_cert = NULL, *other_key = NULL;
  g_assert_true(make_cert(f->dir, "other", &other_cert, &other_key));
  g_autoptr(HwHttp) mismatch = new_server(f, "127.0.0.1", f->cert, other_key, &error);
  g_assert_null(mismatch);
  g_assert_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_TLS);
  g_assert_nonnull(strstr(error->message, other_key));
  g_assert_nonnull(strstr(error->message, "does not go with"));
  g_clear_error(&error);

  /* A missing file. */
  g_autofree char *missing = g_build_filename(f->dir, "missing.pem", NULL);
  g_autoptr(HwHttp) gone = new_server(f, "127.0.0.1", missing, f->key, &error);
  g_assert_null(gone);
  g_assert_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_TLS);
  g_assert_nonnull(strstr(error->message, missing));
  g_clear_error(&error);

  /* The configuration refuses plain HTTP beyond loopback before anything starts, and accepts it
   * with TLS. */
  g_autofree char *conf = g_build_filename(f->dir, "hallwatch.conf", NULL);
  g_autofree char *text = g_strdup_printf(
    "[storage]\nfootage = %s\ndatabase = %s\n[http]\nlisten = 0.0.0.0:8443\n", f->dir, f->db);
  g_assert_true(g_file_set_contents(conf, text, -1, NULL));
  const char *check[] = {HW_HALLWATCHD, "--check-config", "--config", conf, NULL};
  g_autofree char *err = NULL;
  int status = 0;
  g_assert_true(g_spawn_sync(NULL, (char **)check, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                             NULL, &err, &status, NULL));
  g_assert_false(g_spawn_check_wait_status(status, NULL));
  if (!strstr(err, BEYOND_LOOPBACK))
    g_error("hallwatchd --check-config said: %s", err);

  g_autofree char *tls_text = g_strdup_printf("%stls_cert = %s\ntls_key = %s\n", text, f->cert,
                                              f->key);
  g_assert_true(g_file_set_contents(conf, tls_text, -1, NULL));
  g_autofree char *err2 = NULL;
  g_assert_true(g_spawn_sync(NULL, (char **)check, NULL, G_SPAWN_STDOUT_TO_DEV_NULL, NULL, NULL,
                             NULL, &err2, &status, NULL));
  if (!g_spawn_check_wait_status(status, NULL))
    g_error("hallwatchd --check-config refused a TLS configuration: %s", err2);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/web/tls", Fixture, NULL, fixture_setup, test_tls, fixture_teardown);
  g_test_add("/web/tls_refusals", Fixture, NULL, fixture_setup, test_tls_refusals,
             fixture_teardown);
  return g_test_run();
}
