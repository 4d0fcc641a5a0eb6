/* The web interface's files: the app shell (GET /) and its assets (GET /ui/…) read from the
 * folder HwHttpOptions.www_dir, public like the sign-in page must be (web/routes.c); every piece
 * of data still comes through the authenticated API. A path is a few segments of
 * [A-Za-z0-9._-] not starting with a dot, so nothing outside that folder (.., hidden files,
 * symlinks) can be named, and only known file types are served, with a strict CSP. */
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "web/handlers.h"
#include "web/internal.h"

#define STATIC_FILE_MAX (16 * 1024 * 1024) /* the largest vendored library is far below this */
#define STATIC_SEGMENTS_MAX 4

/* No inline script or style anywhere in the interface, no plug-ins, no framing, no third-party
 * origin: the appliance has no internet and a hall's workstations should not either. blob: is
 * for pictures and video made in the page (snapshots, media source playback). */
#define CSP                                                                                        \
  "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "          \
  "media-src 'self' blob:; worker-src 'self' blob:; connect-src 'self'; font-src 'self'; "         \
  "object-src 'none'; base-uri 'none'; form-action 'self'; frame-ancestors 'none'"

static const struct {
  const char *ext;
  const char *type;
} types[] = {
  {".html", "text/html; charset=utf-8"},
  {".js", "text/javascript; charset=utf-8"},
  {".mjs", "text/javascript; charset=utf-8"},
  {".css", "text/css; charset=utf-8"},
  {".json", "application/json; charset=utf-8"},
  {".map", "application/json; charset=utf-8"},
  {".svg", "image/svg+xml"},
  {".png", "image/png"},
  {".jpg", "image/jpeg"},
  {".ico", "image/x-icon"},
  {".woff2", "font/woff2"},
  {".wasm", "application/wasm"},
};

static const char *content_type(const char *name)
{
  const char *dot = strrchr(name, '.');
  for (size_t i = 0; dot && i < G_N_ELEMENTS(types); i++)
    if (strcmp(dot, types[i].ext) == 0)
      return types[i].type;
  return NULL;
}

/* Whether rel ("app.js", "pages/cameras.js") names a file inside the folder and nothing else. */
static bool safe_relative(const char *rel)
{
  size_t segments = 0;
  const char *seg = rel;
  for (;;) {
    size_t len = strcspn(seg, "/");
    if (len == 0 || seg[0] == '.' || ++segments > STATIC_SEGMENTS_MAX)
      return false;
    for (size_t i = 0; i < len; i++)
      if (!g_ascii_isalnum(seg[i]) && seg[i] != '.' && seg[i] != '_' && seg[i] != '-')
        return false;
    if (seg[len] == '\0')
      return true;
    seg += len + 1;
  }
}

static void not_found(HwReply *reply, const char *path)
{
  hw_reply_error(reply, 404, "not_found", NULL, "no file %s", path);
}

/* Serves <www_dir>/<rel>; path is the request's, for messages. */
static void serve(HwRequest *req, HwReply *reply, const char *rel)
{
  const char *root = req->http->opt.www_dir;
  const char *path = hw_request_path(req);
  if (root == NULL) {
    hw_reply_error(reply, 404, "not_installed", NULL,
                   "the web interface is not installed here: set [http] www_dir to the folder "
                   "holding index.html");
    return;
  }
  const char *type = content_type(rel);
  if (!safe_relative(rel) || type == NULL) {
    not_found(reply, path);
    return;
  }
  g_autofree char *file = g_build_filename(root, rel, NULL);
  /* O_NOFOLLOW: a symlink planted in the folder does not lead out of it. */
  int fd = open(file, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
  if (fd < 0) {
    if (errno == ENOENT || errno == ENOTDIR || errno == ELOOP)
      not_found(reply, path);
    else
      hw_reply_error(reply, 500, "internal", NULL, "cannot read %s: %s", path, g_strerror(errno));
    return;
  }
  struct stat st;
  if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > STATIC_FILE_MAX) {
    close(fd);
    not_found(reply, path);
    return;
  }
  /* Size and modification time change whenever an install replaces the file. */
  g_autofree char *etag = g_strdup_printf("\"%jx-%jx.%lx\"", (intmax_t)st.st_size,
                                          (intmax_t)st.st_mtim.tv_sec, (long)st.st_mtim.tv_nsec);
  /* Revalidated on every load (a 304 on loopback or a hall LAN costs nothing), so a new version
   * installed with the daemon is used at once and never mixed with old modules. */
  hw_reply_header(reply, "Cache-Control", "no-cache");
  hw_reply_header(reply, "ETag", etag);
  hw_reply_header(reply, "Content-Security-Policy", CSP);
  hw_reply_header(reply, "X-Frame-Options", "DENY");
  hw_reply_header(reply, "Referrer-Policy", "no-referrer");
  const char *inm = hw_request_header(req, "If-None-Match");
  if (inm != NULL && strcmp(inm, etag) == 0) {
    close(fd);
    hw_reply_take(reply, 304, type, NULL, 0);
    return;
  }
  size_t len = (size_t)st.st_size;
  char *body = g_malloc(len + 1);
  size_t got = 0;
  while (got < len) {
    ssize_t n = read(fd, body + got, len - got);
    if (n < 0 && errno == EINTR)
      continue;
    if (n <= 0)
      break;
    got += (size_t)n;
  }
  close(fd);
  if (got != len) {
    g_free(body);
    hw_reply_error(reply, 500, "internal", NULL, "cannot read %s", path);
    return;
  }
  hw_reply_take(reply, 200, type, body, len);
}

/* GET /: the app shell. The page itself routes with the URL fragment (#/cameras), so no other
 * path needs to answer with it. */
void hw_route_ui_index(HwRequest *req, HwReply *reply)
{
  serve(req, reply, "index.html");
}

/* GET /ui/{file}, /ui/{dir}/{file}: an asset of the interface. */
void hw_route_ui_asset(HwRequest *req, HwReply *reply)
{
  const char *path = hw_request_path(req);
  serve(req, reply, path + strlen("/ui/"));
}
