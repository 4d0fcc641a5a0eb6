/* Tests of the web interface's file route (web/static.c) over real HTTP on loopback: the shell
 * and its assets are served with the right content type, a strict CSP and revalidation headers;
 * nothing outside the folder can be named (.., encoded .., hidden files, symlinks, unknown
 * types); the API behind it still asks for sign-in; without a folder the answer says how to set
 * one. Requests are sent byte for byte as written (no client normalises the path). */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <string.h>
#include <unistd.h>

#include "sql/hw_store.h"
#include "web/hw_http.h"

typedef struct {
  int status;
  GHashTable *headers; /* lower-case name → value */
  char *body;
} Response;

static void response_free(Response *r)
{
  g_hash_table_unref(r->headers);
  g_free(r->body);
  g_free(r);
}
G_DEFINE_AUTOPTR_CLEANUP_FUNC(Response, response_free)

static Response *http_raw(int port, const char *raw)
{
  g_autoptr(GSocketClient) client = g_socket_client_new();
  g_socket_client_set_timeout(client, 5);
  g_autoptr(GError) error = NULL;
  g_autoptr(GSocketConnection) conn =
    g_socket_client_connect_to_host(client, "127.0.0.1", (guint16)port, NULL, &error);
  g_assert_no_error(error);
  g_assert_true(g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(conn)), raw,
                                          strlen(raw), NULL, NULL, &error));
  GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(conn));
  g_autoptr(GByteArray) buf = g_byte_array_new();
  guint8 chunk[4096];
  gssize got;
  while ((got = g_input_stream_read(in, chunk, sizeof chunk, NULL, NULL)) > 0)
    g_byte_array_append(buf, chunk, (guint)got);
  g_byte_array_append(buf, (const guint8 *)"", 1);
  const char *text = (const char *)buf->data;
  const char *sep = strstr(text, "\r\n\r\n");
  g_assert_nonnull(sep);
  Response *r = g_new0(Response, 1);
  r->headers = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  g_autofree char *head = g_strndup(text, (gsize)(sep - text));
  g_auto(GStrv) lines = g_strsplit(head, "\r\n", -1);
  r->status = atoi(lines[0] + 9);
  for (int i = 1; lines[i]; i++) {
    char *colon = strchr(lines[i], ':');
    g_assert_nonnull(colon);
    g_hash_table_insert(r->headers, g_ascii_strdown(lines[i], colon - lines[i]),
                        g_strstrip(g_strdup(colon + 1)));
  }
  r->body = g_strdup(sep + 4);
  return r;
}

static Response *get(int port, const char *path, const char *extra_headers)
{
  g_autofree char *raw = g_strdup_printf("GET %s HTTP/1.1\r\nHost: localhost\r\n%sConnection: close\r\n\r\n",
                                         path, extra_headers ? extra_headers : "");
  return http_raw(port, raw);
}

static const char *header(const Response *r, const char *name)
{
  return g_hash_table_lookup(r->headers, name);
}

static HwCameraStatus *no_cameras(void *user, size_t *ret_n)
{
  *ret_n = 0;
  return NULL;
}

typedef struct {
  char *dir; /* <dir>/www is the interface; <dir>/secret.js and the database lie beside it */
  HwStore *store;
  HwHttp *http;
  int port;
} Fixture;

static void put(const char *dir, const char *name, const char *text)
{
  g_autofree char *p = g_build_filename(dir, name, NULL);
  g_autofree char *parent = g_path_get_dirname(p);
  g_assert_cmpint(g_mkdir_with_parents(parent, 0755), ==, 0);
  g_assert_true(g_file_set_contents(p, text, -1, NULL));
}

static void start(Fixture *f, bool with_www)
{
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp("hw-web-static-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *www = g_build_filename(f->dir, "www", NULL);
  put(www, "index.html", "<!doctype html><title>shell</title>");
  put(www, "app.js", "export const x = 1;\n");
  put(www, "app.css", "body{}\n");
  put(www, "icon.svg", "<svg xmlns=\"http://www.w3.org/2000/svg\"/>");
  put(www, "pages/cameras.js", "export function render() {}\n");
  put(www, ".hidden.js", "HIDDEN-CONTENT\n");
  put(www, "notes.txt", "an unknown type\n");
  put(f->dir, "secret.js", "SECRET-OUTSIDE\n");
  g_autofree char *link = g_build_filename(www, "link.js", NULL);
  g_autofree char *target = g_build_filename(f->dir, "secret.js", NULL);
  g_assert_cmpint(symlink(target, link), ==, 0);
  g_autofree char *db = g_build_filename(f->dir, "hallwatch.db", NULL);
  f->store = hw_store_open(db, &error);
  g_assert_no_error(error);
  HwHttpOptions o;
  hw_http_options_init(&o);
  o.status_fn = no_cameras;
  o.store = f->store;
  o.www_dir = with_www ? www : NULL;
  f->http = hw_http_new(&o, &error);
  g_assert_no_error(error);
  f->port = hw_http_port(f->http);
}

static void stop(Fixture *f)
{
  hw_http_free(f->http);
  hw_store_close(f->store);
  g_autofree char *cmd = g_strdup_printf("rm -rf '%s'", f->dir);
  g_assert_cmpint(system(cmd), ==, 0);
  g_free(f->dir);
}

/* The shell and its assets: content type, CSP, revalidation, 304, HEAD. */
static void test_serves_shell_and_assets(void)
{
  Fixture f = {0};
  start(&f, true);
  struct {
    const char *path, *type, *body_part;
  } cases[] = {
    {"/", "text/html; charset=utf-8", "<title>shell</title>"},
    {"/ui/app.js", "text/javascript; charset=utf-8", "export const x"},
    {"/ui/app.css", "text/css; charset=utf-8", "body{}"},
    {"/ui/icon.svg", "image/svg+xml", "<svg"},
    {"/ui/pages/cameras.js", "text/javascript; charset=utf-8", "export function render"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_autoptr(Response) r = get(f.port, cases[i].path, NULL);
    g_assert_cmpint(r->status, ==, 200);
    g_assert_cmpstr(header(r, "content-type"), ==, cases[i].type);
    g_assert_nonnull(strstr(r->body, cases[i].body_part));
    g_assert_cmpstr(header(r, "cache-control"), ==, "no-cache");
    g_assert_cmpstr(header(r, "x-content-type-options"), ==, "nosniff");
    g_assert_cmpstr(header(r, "x-frame-options"), ==, "DENY");
    const char *csp = header(r, "content-security-policy");
    g_assert_nonnull(csp);
    g_assert_nonnull(strstr(csp, "default-src 'self'"));
    g_assert_nonnull(strstr(csp, "script-src 'self';"));
    g_assert_null(strstr(csp, "unsafe-inline"));
    g_assert_nonnull(strstr(csp, "frame-ancestors 'none'"));
    const char *etag = header(r, "etag");
    g_assert_nonnull(etag);
    /* The same file again with its ETag: 304 and no body. */
    g_autofree char *inm = g_strdup_printf("If-None-Match: %s\r\n", etag);
    g_autoptr(Response) again = get(f.port, cases[i].path, inm);
    g_assert_cmpint(again->status, ==, 304);
    g_assert_cmpstr(again->body, ==, "");
  }
  /* A changed file gets a new ETag. */
  g_autoptr(Response) before = get(f.port, "/ui/app.js", NULL);
  g_autofree char *www = g_build_filename(f.dir, "www", NULL);
  put(www, "app.js", "export const x = 22;\n");
  g_autoptr(Response) after = get(f.port, "/ui/app.js", NULL);
  g_assert_cmpstr(header(before, "etag"), !=, header(after, "etag"));
  g_assert_nonnull(strstr(after->body, "22"));
  g_autoptr(Response) head =
    http_raw(f.port, "HEAD /ui/app.css HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n");
  g_assert_cmpint(head->status, ==, 200);
  g_assert_cmpstr(head->body, ==, "");
  /* The API keeps its own rules: no caching, and sign-in first. */
  g_autoptr(Response) api = get(f.port, "/api/v1/cameras", NULL);
  g_assert_cmpint(api->status, ==, 401);
  g_assert_cmpstr(header(api, "cache-control"), ==, "no-store");
  stop(&f);
}

/* Nothing outside the folder, hidden, linked or of an unknown type is served. */
static void test_no_traversal(void)
{
  Fixture f = {0};
  start(&f, true);
  const char *paths[] = {
    "/ui/../secret.js",       "/ui/%2e%2e/secret.js",     "/ui/pages/../../secret.js",
    "/ui/pages/%2e%2e/%2e%2e/secret.js", "/ui/..%2fsecret.js", "/ui/%2e%2e%2fsecret.js",
    "/ui/.hidden.js",         "/ui/link.js",              "/ui/notes.txt",
    "/ui/pages",              "/ui/pages/",               "/ui//app.js",
    "/ui/app.js/",              "/ui/a/b/c.js",
    "/ui/%5c..%5csecret.js",  "/ui/hallwatch.db",         "/../secret.js",
    "/ui/index.html/..",      "/ui/pages/.",
  };
  for (size_t i = 0; i < G_N_ELEMENTS(paths); i++) {
    g_autoptr(Response) r = get(f.port, paths[i], NULL);
    if (r->status != 404 && r->status != 400)
      g_error("GET %s: %d, want 404 (%s)", paths[i], r->status, r->body);
    g_assert_null(strstr(r->body, "SECRET-OUTSIDE"));
    g_assert_null(strstr(r->body, "HIDDEN-CONTENT"));
  }
  /* libmicrohttpd decodes %00 and the C string ends there: the file named is app.js, served as
   * what it is, never with the type of the suffix after the NUL. */
  g_autoptr(Response) nul = get(f.port, "/ui/app.js%00.css", NULL);
  if (nul->status == 200)
    g_assert_cmpstr(header(nul, "content-type"), ==, "text/javascript; charset=utf-8");
  else
    g_assert_cmpint(nul->status, ==, 404);
  stop(&f);
}

/* Without a folder the shell's route says what to configure; the API is unaffected. */
static void test_not_installed(void)
{
  Fixture f = {0};
  start(&f, false);
  g_autoptr(Response) r = get(f.port, "/", NULL);
  g_assert_cmpint(r->status, ==, 404);
  g_assert_nonnull(strstr(r->body, "not_installed"));
  g_assert_nonnull(strstr(r->body, "www_dir"));
  g_autoptr(Response) health = get(f.port, "/healthz", NULL);
  g_assert_cmpint(health->status, ==, 200);
  stop(&f);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/web/static_files", test_serves_shell_and_assets);
  g_test_add_func("/web/static_no_traversal", test_no_traversal);
  g_test_add_func("/web/static_not_installed", test_not_installed);
  return g_test_run();
}
