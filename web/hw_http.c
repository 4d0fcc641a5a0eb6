/* The libmicrohttpd server and the route table. Requests are answered on MHD's thread pool;
 * every handler builds a whole body in memory (status routes are small), and the common headers
 * are set in one place so no route can forget them. */
#include "web/hw_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <gio/gio.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "web/internal.h"

G_DEFINE_QUARK(hw-http-error-quark, hw_http_error)

/* Limits: the defaults of libmicrohttpd have no timeout and no per-IP limit. Every client is on
 * loopback for now (one IP), so the per-IP limit is as high as the total would be for a hall. */
#define HTTP_THREADS_MIN 2
#define HTTP_THREADS_MAX 4
#define HTTP_CONNECTION_LIMIT 256
#define HTTP_PER_IP_LIMIT 64
#define HTTP_TIMEOUT_S 30
#define HTTP_CONNECTION_MEMORY (32 * 1024)
#define HTTP_LISTEN_BACKLOG 64
#define HTTP_404_PATH_MAX 256 /* an echoed path longer than this is cut */

#define CT_JSON "application/json; charset=utf-8"
#define CT_TEXT "text/plain; charset=utf-8"
#define CT_PROMETHEUS "text/plain; version=0.0.4; charset=utf-8"

struct HwHttp {
  struct MHD_Daemon *daemon;
  int port;
  HwStatusFn status_fn;
  void *status_user;
};

/* Who may call a route. Sign-in does not exist yet; later issues give each route its own. */
typedef enum {
  HW_PERM_ANYONE, /* anyone who can reach the socket */
} HwPermission;

typedef struct {
  int status;
  const char *content_type;
  char *body; /* g_malloc'd, owned */
  size_t len;
} Reply;

typedef struct {
  struct MHD_Connection *conn;
  const char *method;
  const char *path;
} Request;

typedef void (*RouteFn)(HwHttp *h, const Request *req, Reply *ret);

typedef struct {
  const char *method;
  const char *path; /* exact match for now; patterns ("/api/v1/cameras/{id}") come with need */
  RouteFn handler;
  HwPermission permission;
} Route;

static void reply_take(Reply *r, int status, const char *content_type, char *body)
{
  r->status = status;
  r->content_type = content_type;
  r->body = body;
  r->len = strlen(body);
}

static void reply_error(Reply *r, int status, const char *message, const char *path)
{
  json_t *o = json_object();
  json_object_set_new(o, "error", json_string(message));
  if (path) {
    /* The path comes from the client: bounded, and made valid UTF-8 for jansson. */
    g_autofree char *cut = g_strndup(path, HTTP_404_PATH_MAX);
    g_autofree char *valid = g_utf8_make_valid(cut, -1);
    json_object_set_new(o, "path", json_string(valid));
  }
  char *dumped = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  reply_take(r, status, CT_JSON, g_strdup(dumped));
  free(dumped);
}

/* ---- routes ---------------------------------------------------------------------------------- */

static HwCameraStatus *take_status(HwHttp *h, size_t *ret_n)
{
  *ret_n = 0;
  HwCameraStatus *st = h->status_fn(h->status_user, ret_n);
  if (!st)
    *ret_n = 0;
  return st;
}

static void route_healthz(HwHttp *h, const Request *req, Reply *ret)
{
  reply_take(ret, MHD_HTTP_OK, CT_TEXT, g_strdup("ok\n"));
}

static void route_metrics(HwHttp *h, const Request *req, Reply *ret)
{
  size_t n;
  g_autofree HwCameraStatus *st = take_status(h, &n);
  reply_take(ret, MHD_HTTP_OK, CT_PROMETHEUS, hw_web_render_metrics(st, n, hw_time_now()));
}

static void route_cameras(HwHttp *h, const Request *req, Reply *ret)
{
  size_t n;
  g_autofree HwCameraStatus *st = take_status(h, &n);
  reply_take(ret, MHD_HTTP_OK, CT_JSON, hw_web_render_cameras(st, n));
}

static const Route routes[] = {
  {"GET", "/healthz", route_healthz, HW_PERM_ANYONE},
  {"GET", "/metrics", route_metrics, HW_PERM_ANYONE},
  {"GET", "/api/v1/cameras", route_cameras, HW_PERM_ANYONE},
};

/* ---- dispatch -------------------------------------------------------------------------------- */

static gboolean method_matches(const char *route_method, const char *method)
{
  if (strcmp(route_method, method) == 0)
    return TRUE;
  /* MHD drops the body of a HEAD reply itself. */
  return strcmp(route_method, "GET") == 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

/* A body on a request that takes none is refused rather than ignored: a GET with a body is a
 * classic request-smuggling lever between proxies. */
static gboolean has_body(struct MHD_Connection *conn)
{
  const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
  const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  return te != NULL || (cl != NULL && strcmp(cl, "0") != 0);
}

/* Fills ret for req; allow gets the Allow header value for a 405. */
static void dispatch(HwHttp *h, const Request *req, Reply *ret, GString *allow)
{
  const Route *found = NULL;
  for (size_t i = 0; i < G_N_ELEMENTS(routes); i++) {
    if (strcmp(routes[i].path, req->path) != 0)
      continue;
    if (allow->len)
      g_string_append(allow, ", ");
    g_string_append(allow, routes[i].method);
    if (strcmp(routes[i].method, "GET") == 0)
      g_string_append(allow, ", HEAD");
    if (method_matches(routes[i].method, req->method))
      found = &routes[i];
  }
  if (!found && allow->len == 0) {
    reply_error(ret, MHD_HTTP_NOT_FOUND, "not found", req->path);
    return;
  }
  if (!found) {
    reply_error(ret, MHD_HTTP_METHOD_NOT_ALLOWED, "method not allowed", req->path);
    return;
  }
  g_string_truncate(allow, 0);
  if (has_body(req->conn)) {
    reply_error(ret, MHD_HTTP_BAD_REQUEST, "request body not allowed", NULL);
    return;
  }
  found->handler(h, req, ret);
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
  HwHttp *h = cls;
  Request req = {.conn = conn, .method = method, .path = url};
  Reply reply = {0};
  g_autoptr(GString) allow = g_string_new(NULL);

  /* Answered on the first call, before any body is read: no route takes a body yet, and MHD
   * closes the connection rather than read a body nobody asked for. */
  dispatch(h, &req, &reply, allow);

  struct MHD_Response *resp =
    MHD_create_response_from_buffer_with_free_callback(reply.len, reply.body, g_free);
  if (!resp) {
    g_free(reply.body);
    return MHD_NO;
  }
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, reply.content_type);
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  if (allow->len)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow->str);
  enum MHD_Result r = MHD_queue_response(conn, (unsigned)reply.status, resp);
  MHD_destroy_response(resp);
  return r;
}

/* ---- lifecycle ------------------------------------------------------------------------------- */

/* We bind the socket ourselves so a failure says why (address in use, no permission), which
 * MHD_start_daemon does not. Returns the fd or -1 with error set. */
static int listen_socket(const char *host, int port, int *ret_port, GError **error)
{
  const char *literal = g_ascii_strcasecmp(host, "localhost") == 0 ? "127.0.0.1" : host;
  g_autoptr(GInetAddress) addr = g_inet_address_new_from_string(literal);
  if (!addr) {
    g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_ADDRESS,
                "cannot listen on '%s': not an IP address", host);
    return -1;
  }
  if (port < 0 || port > 65535) {
    g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_ADDRESS, "cannot listen on port %d", port);
    return -1;
  }
  g_autoptr(GSocketAddress) sa = g_inet_socket_address_new(addr, (guint16)port);
  struct sockaddr_storage ss;
  gssize salen = g_socket_address_get_native_size(sa);
  if (!g_socket_address_to_native(sa, &ss, sizeof ss, error))
    return -1;

  int family = ss.ss_family;
  int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0)
    goto fail;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (family == AF_INET6)
    setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, (socklen_t)salen) < 0 || listen(fd, HTTP_LISTEN_BACKLOG) < 0)
    goto fail;

  struct sockaddr_storage bound;
  socklen_t blen = sizeof bound;
  if (getsockname(fd, (struct sockaddr *)&bound, &blen) < 0)
    goto fail;
  *ret_port = family == AF_INET6 ? ntohs(((struct sockaddr_in6 *)&bound)->sin6_port)
                                 : ntohs(((struct sockaddr_in *)&bound)->sin_port);
  return fd;

fail:;
  int saved = errno;
  if (fd >= 0)
    close(fd);
  g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_LISTEN, "cannot listen on %s%s%s:%d: %s",
              family == AF_INET6 ? "[" : "", host, family == AF_INET6 ? "]" : "", port,
              g_strerror(saved));
  return -1;
}

HwHttp *hw_http_new(const char *host, int port, HwStatusFn status_fn, void *status_user,
                    GError **error)
{
  g_return_val_if_fail(host != NULL, NULL);
  g_return_val_if_fail(status_fn != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  g_autofree HwHttp *h = g_new0(HwHttp, 1);
  h->status_fn = status_fn;
  h->status_user = status_user;

  int fd = listen_socket(host, port, &h->port, error);
  if (fd < 0)
    return NULL;

  unsigned threads = CLAMP(g_get_num_processors(), HTTP_THREADS_MIN, HTTP_THREADS_MAX);
  /* No MHD_USE_ERROR_LOG: library code does not write to stderr. */
  h->daemon = MHD_start_daemon(
    MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL, 0, NULL, NULL, on_request, h,
    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
    MHD_OPTION_THREAD_POOL_SIZE, threads,
    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTION_LIMIT,
    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_PER_IP_LIMIT,
    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S,
    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
    MHD_OPTION_STRICT_FOR_CLIENT, 1,
    MHD_OPTION_END);
  if (!h->daemon) {
    close(fd);
    g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_START,
                "cannot start the HTTP server on %s:%d", host, h->port);
    return NULL;
  }
  return g_steal_pointer(&h);
}

int hw_http_port(HwHttp *h)
{
  g_return_val_if_fail(h != NULL, -1);
  return h->port;
}

void hw_http_free(HwHttp *h)
{
  if (!h)
    return;
  MHD_stop_daemon(h->daemon); /* closes the listening socket too */
  g_free(h);
}
