/* Helpers of the tests/cases tests: the temporary folder, removed with its files (no subfolders)
 * at the end, and a minimal HTTP/1.1 client for POST /api/v1/exchange/batch. */
#pragma once

#include <glib.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <stdlib.h>
#include <string.h>

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
} Answer;

static inline void answer_clear(Answer *a) { json_decref(a->json); }
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Answer, answer_clear)

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
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_socket_client_set_timeout(client, 60);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn =
      g_socket_client_connect_to_host(client, "127.0.0.1", (guint16)port, NULL, &error);
  g_assert_no_error(error);
  /* The server may answer (413) and close before reading everything: write errors are ignored. */
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
  Answer a = {atoi(text + 9), json_loads(sep + 4, 0, NULL)};
  return a;
}

