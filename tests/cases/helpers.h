/* Helpers of the tests/cases tests: the temporary folder, removed with its files (no subfolders)
 * at the end, a minimal HTTP/1.1 client (any route, and POST /api/v1/exchange/batch), department
 * tokens and signed-in users for the tests that run the HTTP server in-process. */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

#include "sql/hw_store_auth.h"
#include "web/hw_auth.h"

static inline void test_remove_dir(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name(d)) != NULL) {
    g_autofree char *p = g_build_filename(dir, n, NULL);
    g_unlink(p);
  }
  g_rmdir(dir);
}

/* ---- a minimal HTTP/1.1 client ---------------------------------------------------------------- */

typedef struct {
  int status;
  json_t *json; /* the body parsed, NULL if not JSON */
  char *cookie; /* "hw_session=…" when the answer sets one */
} Answer;

static inline void answer_clear(Answer *a)
{
  json_decref(a->json);
  g_free(a->cookie);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Answer, answer_clear)

/* Sends raw (a whole HTTP/1.1 request with Connection: close) to the loopback port and reads the
 * answer to its end. The server may answer (413) and close before reading everything: write
 * errors are ignored. */
static inline Answer test_http_raw(int port, const GString *raw)
{
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_socket_client_set_timeout(client, 60);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn =
      g_socket_client_connect_to_host(client, "127.0.0.1", (guint16)port, NULL, &error);
  g_assert_no_error(error);
  g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)), raw->str, raw->len,
                            NULL, NULL, NULL);
  GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
  g_autoptr(GByteArray) buf = g_byte_array_new();
  guint8 chunk[65536];
  gssize got;
  while ((got = g_input_stream_read(in, chunk, sizeof chunk, NULL, NULL)) > 0)
    g_byte_array_append(buf, chunk, (guint)got);
  g_byte_array_append(buf, (const guint8 *)"", 1);
  const char *text = (const char *)buf->data;
  const char *sep = strstr(text, "\r\n\r\n");
  g_assert_nonnull(sep);
  Answer a = {atoi(text + 9), json_loads(sep + 4, 0, NULL), NULL};
  const char *ck = g_strstr_len(text, sep - text, "Set-Cookie: hw_session=");
  if (ck)
    a.cookie = g_strndup(ck + 12, strcspn(ck + 12, ";\r\n"));
  return a;
}

/* One request: with bearer (a department token), or cookie and csrf (a session), or neither;
 * body NULL for none. */
static inline Answer test_http(int port, const char *method, const char *path, const char *bearer,
                               const char *cookie, const char *csrf, const char *body)
{
  g_autoptr(GString) raw = g_string_new(NULL);
  g_string_append_printf(raw, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n",
                         method, path);
  if (bearer)
    g_string_append_printf(raw, "Authorization: Bearer %s\r\n", bearer);
  if (cookie)
    g_string_append_printf(raw, "Cookie: %s\r\nX-CSRF-Token: %s\r\n", cookie, csrf ? csrf : "");
  if (body)
    g_string_append_printf(raw, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                           strlen(body));
  g_string_append(raw, "\r\n");
  if (body)
    g_string_append(raw, body);
  return test_http_raw(port, raw);
}

/* POST body to the batch route with bearer (NULL: none). announce > 0: a Content-Length that
 * differs from the body's (the server refuses it before reading). */
static inline Answer post_batch(int port, const char *bearer, const char *body, size_t announce)
{
  g_autoptr(GString) raw = g_string_new(NULL);
  g_string_append_printf(raw,
                         "POST /api/v1/exchange/batch HTTP/1.1\r\nHost: localhost\r\n"
                         "Connection: close\r\nContent-Type: application/json\r\n"
                         "Content-Length: %zu\r\n",
                         announce ? announce : strlen(body));
  if (bearer)
    g_string_append_printf(raw, "Authorization: Bearer %s\r\n", bearer);
  g_string_append(raw, "\r\n");
  g_string_append(raw, body);
  return test_http_raw(port, raw);
}

/* ---- credentials (for tests linking hw_web) ---------------------------------------------------- */

/* A new API token of department in store (transfer full: g_free). */
static inline char *test_make_token(HwStore *store, const char *department)
{
  char *token = hw_auth_token_new("hwt_");
  char hash[65];
  hw_auth_token_hash(token, hash);
  g_autoptr(GError) error = NULL;
  g_assert_true(
      hw_store_token_add(store, department, "approval system", hash, hw_time_now(), NULL, &error));
  g_assert_no_error(error);
  return token;
}

/* A signed-in user: its session cookie and CSRF token. */
typedef struct {
  char *cookie, *csrf;
} Session;

static inline void session_clear(Session *s)
{
  g_free(s->cookie);
  g_free(s->csrf);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Session, session_clear)

#define TEST_PASSWORD "correct horse battery"

/* Adds user name of role to store, limited to scope kind/code (kind NULL: unrestricted), with
 * TEST_PASSWORD, and signs it in through the server on port. */
static inline void test_user(HwStore *store, int port, const char *name, const char *role,
                             const char *kind, const char *code, Session *ret)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = hw_auth_password_hash(TEST_PASSWORD, &error);
  g_assert_no_error(error);
  HwStoreScope scope = {kind, code};
  g_assert_true(hw_store_user_add(store, name, role, hash, kind ? &scope : NULL, kind ? 1 : 0,
                                  NULL, &error));
  g_autofree char *body =
      g_strdup_printf("{\"username\":\"%s\",\"password\":\"" TEST_PASSWORD "\"}", name);
  g_auto(Answer) a = test_http(port, "POST", "/api/v1/auth/login", NULL, NULL, NULL, body);
  g_assert_cmpint(a.status, ==, 200);
  ret->cookie = g_steal_pointer(&a.cookie);
  ret->csrf = g_strdup(json_string_value(json_object_get(a.json, "csrf_token")));
}
