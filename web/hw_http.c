/* The libmicrohttpd server and the dispatcher: routes from web/routes.c, sign-in and permission
 * checks (web/auth.c) before a handler runs, request bodies capped and parsed with jansson, and
 * the request/reply API of web/hw_route.h. Common headers and the JSON error shape are set here
 * once so no route can forget them. */
#include "web/hw_http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <gnutls/gnutls.h>
#include <gnutls/x509.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <sodium.h>
#include <stdarg.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "web/internal.h"
#include "cases/hw_calendar_store.h" /* cases: hw_request_calendar */

G_DEFINE_QUARK(hw-http-error-quark, hw_http_error)

/* Limits: the defaults of libmicrohttpd have no timeout and no per-IP limit. A hall has a few
 * dozen workstations, and the exchange clients are a handful of department systems. */
#define HTTP_THREADS_MIN 2
#define HTTP_THREADS_MAX 4
#define HTTP_CONNECTION_LIMIT 256
#define HTTP_PER_IP_LIMIT 64
#define HTTP_TIMEOUT_S 30
#define HTTP_CONNECTION_MEMORY (32 * 1024)
#define HTTP_LISTEN_BACKLOG 64
#define HTTP_ECHO_MAX 256 /* an echoed path longer than this is cut */

#define CT_JSON "application/json; charset=utf-8"

/* ---- replies (web/hw_route.h) ---------------------------------------------------------------- */

static void reply_drop_fd(HwReply *r)
{
  if (r->has_fd)
    close(r->fd);
  r->has_fd = false;
  r->fd = -1;
}

void hw_reply_take(HwReply *r, int status, const char *content_type, char *body, size_t len)
{
  reply_drop_fd(r);
  g_free(r->body);
  r->status = status;
  r->content_type = content_type;
  r->body = body;
  r->len = len;
}

void hw_reply_json(HwReply *r, int status, json_t *body)
{
  char *dumped = json_dumps(body, JSON_COMPACT);
  json_decref(body);
  if (!dumped) {
    hw_reply_error(r, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL, "cannot serialise reply");
    return;
  }
  /* jansson allocates with malloc; the server frees with g_free. */
  char *copy = g_strdup(dumped);
  free(dumped);
  hw_reply_take(r, status, CT_JSON, copy, strlen(copy));
}

/* Text from a client or a handler may be anything: bounded and made valid UTF-8 for jansson. */
static json_t *json_safe_string(const char *s)
{
  g_autofree char *cut = g_strndup(s, HTTP_ECHO_MAX);
  g_autofree char *valid = g_utf8_make_valid(cut, -1);
  return json_string(valid);
}

void hw_reply_error(HwReply *r, int status, const char *code, const char *field, const char *fmt,
                    ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *message = g_strdup_vprintf(fmt, ap);
  va_end(ap);
  json_t *e = json_object();
  json_object_set_new(e, "code", json_string(code));
  json_object_set_new(e, "message", json_safe_string(message));
  if (field)
    json_object_set_new(e, "field", json_safe_string(field));
  json_t *o = json_object();
  json_object_set_new(o, "error", e);
  char *dumped = json_dumps(o, JSON_COMPACT);
  json_decref(o);
  char *copy = g_strdup(dumped ? dumped : "{\"error\":{\"code\":\"internal\",\"message\":\"\"}}");
  free(dumped);
  hw_reply_take(r, status, CT_JSON, copy, strlen(copy));
}

void hw_reply_file(HwReply *r, int status, const char *content_type, int fd, uint64_t offset,
                   uint64_t len)
{
  reply_drop_fd(r);
  g_clear_pointer(&r->body, g_free);
  r->status = status;
  r->content_type = content_type;
  r->len = (size_t)len;
  r->fd = fd;
  r->has_fd = true;
  r->fd_offset = offset;
}

void hw_reply_header(HwReply *r, const char *name, const char *value)
{
  if (!r->headers)
    r->headers = g_ptr_array_new_with_free_func(g_free);
  g_ptr_array_add(r->headers, g_strdup(name));
  g_ptr_array_add(r->headers, g_strdup(value));
}

/* ---- request accessors (web/hw_route.h) ------------------------------------------------------ */

const char *hw_request_method(const HwRequest *req)
{
  return req->method;
}

const char *hw_request_path(const HwRequest *req)
{
  return req->path;
}

const char *hw_request_param(const HwRequest *req, const char *name)
{
  for (size_t i = 0; i < req->n_params; i++)
    if (strcmp(req->param_names[i], name) == 0)
      return req->param_values[i];
  return NULL;
}

const char *hw_request_query(const HwRequest *req, const char *name)
{
  return MHD_lookup_connection_value(req->conn, MHD_GET_ARGUMENT_KIND, name);
}

const char *hw_request_header(const HwRequest *req, const char *name)
{
  return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

json_t *hw_request_json(const HwRequest *req)
{
  return req->json;
}

const char *hw_request_body(const HwRequest *req, size_t *ret_len)
{
  if (!req->body || req->body->len == 0) {
    if (ret_len)
      *ret_len = 0;
    return NULL;
  }
  if (ret_len)
    *ret_len = req->body->len - 1; /* the NUL added at the end */
  return (const char *)req->body->data;
}

const char *hw_request_upload(const HwRequest *req, int64_t *ret_size)
{
  if (!req->upload || req->upload_path == NULL || req->upload_fd >= 0) {
    if (ret_size)
      *ret_size = 0;
    return NULL;
  }
  if (ret_size)
    *ret_size = req->upload_len;
  return req->upload_path;
}

const HwCaller *hw_request_caller(const HwRequest *req)
{
  return &req->caller;
}

const char *hw_request_client_address(const HwRequest *req)
{
  return req->addr;
}

bool hw_request_from_loopback(const HwRequest *req)
{
  return req->loopback;
}

const char *const *hw_request_scope_codes(const HwRequest *req, HwScopeKind kind)
{
  return (const char *const *)(kind == HW_SCOPE_HALL ? req->scope_halls : req->scope_departments);
}

bool hw_request_scope_allows(const HwRequest *req, HwScopeKind kind, const char *code)
{
  if (req->caller.kind == HW_CALLER_NONE || code == NULL)
    return false;
  const char *const *codes = hw_request_scope_codes(req, kind);
  if (!codes)
    return true;
  return g_strv_contains(codes, code);
}

HwStore *hw_request_store(const HwRequest *req)
{
  return req->http->opt.store;
}

void *hw_request_app(const HwRequest *req)
{
  return req->http->opt.app;
}

HwAudit *hw_request_audit(const HwRequest *req)
{
  return req->http->opt.audit;
}

HwCalendar *hw_request_calendar(const HwRequest *req, GError **error)
{
  if (req->http->opt.calendar != NULL)
    return hw_calendar_source_get(req->http->opt.calendar, error);
  return hw_calendar_new_shipped(NULL, error);
}

struct HwWarnings *hw_request_warnings(const HwRequest *req)
{
  return req->http->opt.warnings;
}

const struct HwSettingsHooks *hw_request_settings(const HwRequest *req)
{
  return req->http->opt.settings;
}

HwCameraStatus *hw_request_camera_status(const HwRequest *req, size_t *ret_n)
{
  *ret_n = 0;
  HwCameraStatus *st = req->http->opt.status_fn(req->http->opt.status_user, ret_n);
  if (!st)
    *ret_n = 0;
  return st;
}

/* ---- dispatch -------------------------------------------------------------------------------- */

static gboolean method_matches(const char *route_method, const char *method)
{
  if (strcmp(route_method, method) == 0)
    return TRUE;
  /* MHD drops the body of a HEAD reply itself. */
  return strcmp(route_method, "GET") == 0 && strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
}

static gboolean takes_body(const char *method)
{
  return strcmp(method, "POST") == 0 || strcmp(method, "PUT") == 0 || strcmp(method, "PATCH") == 0;
}

/* A body on a request that takes none is refused rather than ignored: a GET with a body is a
 * classic request-smuggling lever between proxies. */
static gboolean has_body(struct MHD_Connection *conn)
{
  const char *te = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING);
  const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
  return te != NULL || (cl != NULL && strcmp(cl, "0") != 0);
}

/* Finds the route; on 404/405 fills reply (allow gets the Allow header of a 405). */
static const HwRoute *route_find(HwHttp *h, HwRequest *req, HwReply *reply, GString *allow)
{
  const HwRoute *found = NULL;
  for (size_t i = 0; i < h->n_routes; i++) {
    const HwRoute *r = &h->routes[i];
    const char *names[HW_ROUTE_PARAMS_MAX], *values[HW_ROUTE_PARAMS_MAX];
    size_t n = 0;
    g_autofree char *storage = NULL;
    if (!hw_route_match(r->pattern, req->path, names, values, &n, &storage))
      continue;
    if (allow->len)
      g_string_append(allow, ", ");
    g_string_append(allow, r->method);
    if (strcmp(r->method, "GET") == 0)
      g_string_append(allow, ", HEAD");
    if (!found && method_matches(r->method, req->method)) {
      found = r;
      memcpy(req->param_names, names, sizeof names);
      memcpy(req->param_values, values, sizeof values);
      req->n_params = n;
      req->param_storage = g_steal_pointer(&storage);
    }
  }
  if (found) {
    g_string_truncate(allow, 0);
    return found;
  }
  if (allow->len == 0)
    hw_reply_error(reply, MHD_HTTP_NOT_FOUND, "not_found", NULL, "no route %s", req->path);
  else
    hw_reply_error(reply, MHD_HTTP_METHOD_NOT_ALLOWED, "method_not_allowed", NULL,
                   "%s is not allowed on %s", req->method, req->path);
  return NULL;
}

static void client_address(HwRequest *req)
{
  const union MHD_ConnectionInfo *ci =
    MHD_get_connection_info(req->conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
  g_strlcpy(req->addr, "unknown", sizeof req->addr);
  if (!ci || !ci->client_addr)
    return;
  const struct sockaddr *sa = ci->client_addr;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    inet_ntop(AF_INET, &in->sin_addr, req->addr, sizeof req->addr);
    req->loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in6 = (const struct sockaddr_in6 *)sa;
    inet_ntop(AF_INET6, &in6->sin6_addr, req->addr, sizeof req->addr);
    req->loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr) ||
                    (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr) && in6->sin6_addr.s6_addr[12] == 127);
  }
}

/* Everything decided before the body is read: route, method, body allowed, size announced,
 * credential and permission. So an unauthenticated client never makes the server buffer a body.
 * TRUE if the request goes on. */
/* A request to a route that takes raw uploads, with a raw content type, on a server that has a
 * folder for them: its body goes to a file (upload_*), not to memory. */
static bool is_upload(const HwHttp *h, const HwRequest *req)
{
  if (!req->route || !hw_route_takes_upload(req->route) || h->opt.upload_dir == NULL)
    return false;
  const char *ct =
      MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
  static const char *const raw[] = {"application/zip", "application/octet-stream"};
  for (size_t i = 0; ct && i < G_N_ELEMENTS(raw); i++) {
    size_t n = strlen(raw[i]);
    if (g_ascii_strncasecmp(ct, raw[i], n) == 0 && (ct[n] == '\0' || ct[n] == ';'))
      return true;
  }
  return false;
}

/* The body cap of the request's route (a route may raise the server's, e.g. exchange batches). */
static size_t body_max(const HwHttp *h, const HwRequest *req)
{
  if (req->upload || is_upload(h, req))
    return (size_t)h->opt.upload_max;
  size_t route_max = req->route ? hw_route_body_max(req->route) : 0;
  return route_max > h->opt.body_max ? route_max : h->opt.body_max;
}

static gboolean check_request(HwHttp *h, HwRequest *req, HwReply *reply, GString *allow)
{
  req->route = route_find(h, req, reply, allow);
  if (!req->route)
    return FALSE;
  if (!takes_body(req->method) && has_body(req->conn)) {
    hw_reply_error(reply, MHD_HTTP_BAD_REQUEST, "body_not_allowed", NULL,
                   "a %s request takes no body", req->method);
    return FALSE;
  }
  const char *cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND,
                                               MHD_HTTP_HEADER_CONTENT_LENGTH);
  guint64 announced = 0;
  if (cl && g_ascii_string_to_unsigned(cl, 10, 0, G_MAXUINT64, &announced, NULL) &&
      announced > body_max(h, req)) {
    hw_reply_error(reply, MHD_HTTP_CONTENT_TOO_LARGE, "body_too_large", NULL,
                   "request body larger than %zu bytes", body_max(h, req));
    return FALSE;
  }
  if (req->route->permission.access & HW_ACCESS_PUBLIC)
    return TRUE;
  return hw_auth_check(h->auth, req, reply);
}

static gboolean is_json_type(const char *ct)
{
  if (!ct)
    return FALSE;
  size_t n = strlen("application/json");
  return g_ascii_strncasecmp(ct, "application/json", n) == 0 && (ct[n] == '\0' || ct[n] == ';');
}

/* Drops a raw upload's file (too large, a failed write, or the request's end). */
static void upload_discard(HwRequest *req)
{
  if (req->upload_fd >= 0)
    close(req->upload_fd);
  req->upload_fd = -1;
  if (req->upload_path != NULL)
    g_unlink(req->upload_path);
  g_clear_pointer(&req->upload_path, g_free);
}

/* Appends a piece of a raw upload to its file; past the cap or on a write error the file is
 * dropped and the rest of the body is read and ignored (the answer goes out at the end). */
static void upload_write(HwHttp *h, HwRequest *req, const char *data, size_t len)
{
  if (req->body_too_large || req->upload_errno != 0)
    return;
  if (req->upload_len + (int64_t)len > h->opt.upload_max) {
    req->body_too_large = true;
    upload_discard(req);
    return;
  }
  while (len > 0) {
    ssize_t w = write(req->upload_fd, data, len);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0) {
      req->upload_errno = w < 0 ? errno : EIO;
      upload_discard(req);
      return;
    }
    data += w;
    len -= (size_t)w;
    req->upload_len += w;
  }
}

/* The body is complete: parse it and run the handler. */
static void run_handler(HwHttp *h, HwRequest *req, HwReply *reply)
{
  if (req->upload) {
    if (req->upload_errno != 0 || req->upload_path == NULL || close(req->upload_fd) != 0) {
      req->upload_fd = -1;
      hw_reply_error(reply, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
                     "cannot store the upload: %s",
                     g_strerror(req->upload_errno ? req->upload_errno : EIO));
      return;
    }
    req->upload_fd = -1; /* complete: hw_request_upload gives it to the handler */
  } else if (req->body && req->body->len > 0) {
    if (!is_json_type(hw_request_header(req, MHD_HTTP_HEADER_CONTENT_TYPE))) {
      hw_reply_error(reply, MHD_HTTP_UNSUPPORTED_MEDIA_TYPE, "unsupported_media_type", NULL,
                     "request bodies must be application/json");
      return;
    }
    json_error_t jerr;
    req->json = json_loadb((const char *)req->body->data, req->body->len, JSON_REJECT_DUPLICATES,
                           &jerr);
    if (!req->json) {
      hw_reply_error(reply, MHD_HTTP_BAD_REQUEST, "invalid_json", NULL,
                     "request body is not valid JSON: %s (line %d, column %d)", jerr.text,
                     jerr.line, jerr.column);
      return;
    }
    g_byte_array_append(req->body, (const guint8 *)"", 1); /* NUL for hw_request_body */
  }
  req->route->handler(req, reply);
  if (reply->status == 0) /* a handler that forgot to answer is a bug, not a 200 */
    hw_reply_error(reply, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL, "no reply");
}

static void request_free(HwRequest *req)
{
  if (!req)
    return;
  if (req->upgrade_data != NULL && req->upgrade_free != NULL)
    req->upgrade_free(req->upgrade_data);
  g_free(req->param_storage);
  upload_discard(req); /* any end: answered, refused, or the client went away mid-upload */
  if (req->body)
    g_byte_array_unref(req->body);
  if (req->json)
    json_decref(req->json);
  g_strfreev(req->scope_halls);
  g_strfreev(req->scope_departments);
  g_free(req);
}

static void on_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
                         enum MHD_RequestTerminationCode toe)
{
  request_free(*con_cls);
  *con_cls = NULL;
}

static enum MHD_Result send_reply(struct MHD_Connection *conn, HwReply *reply, GString *allow)
{
  struct MHD_Response *resp;
  if (reply->upgrade) {
    resp = MHD_create_response_for_upgrade(reply->upgrade, reply->upgrade_cls);
    g_free(reply->body);
    reply->body = NULL;
  } else if (reply->has_fd) {
    /* MHD owns the fd from here (closed when the response is destroyed, even on failure). */
    resp = MHD_create_response_from_fd_at_offset64(reply->len, reply->fd, reply->fd_offset);
    if (!resp)
      close(reply->fd);
    reply->has_fd = false;
  } else {
    resp = MHD_create_response_from_buffer_with_free_callback(reply->len, reply->body, g_free);
  }
  if (!resp) {
    g_free(reply->body);
    if (reply->headers)
      g_ptr_array_unref(reply->headers);
    return MHD_NO;
  }
  reply->body = NULL;
  if (!reply->upgrade)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, reply->content_type);
  MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
  /* Nothing is cached unless the reply says how (the interface's static files do). */
  bool own_cache_control = false;
  for (guint i = 0; reply->headers && i + 1 < reply->headers->len; i += 2)
    own_cache_control |= g_ascii_strcasecmp(reply->headers->pdata[i], "Cache-Control") == 0;
  if (!own_cache_control)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
  if (allow && allow->len)
    MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow->str);
  if (reply->headers) {
    for (guint i = 0; i + 1 < reply->headers->len; i += 2)
      MHD_add_response_header(resp, reply->headers->pdata[i], reply->headers->pdata[i + 1]);
    g_ptr_array_unref(reply->headers);
    reply->headers = NULL;
  }
  enum MHD_Result r = MHD_queue_response(conn, (unsigned)reply->status, resp);
  MHD_destroy_response(resp);
  return r;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *conn, const char *url,
                                  const char *method, const char *version, const char *upload_data,
                                  size_t *upload_data_size, void **con_cls)
{
  HwHttp *h = cls;
  HwRequest *req = *con_cls;
  HwReply reply = {0};

  if (!req) {
    req = g_new0(HwRequest, 1);
    req->upload_fd = -1;
    *con_cls = req;
    req->http = h;
    req->conn = conn;
    req->method = method;
    req->path = url;
    client_address(req);
    g_autoptr(GString) allow = g_string_new(NULL);
    if (!check_request(h, req, &reply, allow))
      return send_reply(conn, &reply, allow); /* MHD discards any body and closes */
    req->checked = true;
    if (is_upload(h, req)) {
      req->upload = true;
      req->upload_path = g_build_filename(h->opt.upload_dir, ".upload-XXXXXX", NULL);
      req->upload_fd = g_mkstemp_full(req->upload_path, O_RDWR | O_CLOEXEC, 0600);
      if (req->upload_fd < 0) {
        int e = errno;
        g_clear_pointer(&req->upload_path, g_free);
        hw_reply_error(&reply, MHD_HTTP_INTERNAL_SERVER_ERROR, "internal", NULL,
                       "cannot store the upload: %s", g_strerror(e));
        return send_reply(conn, &reply, NULL);
      }
    }
    /* The handler runs in a later call, after the body if any: a reply queued in this first call
     * tells MHD the rest of the request is unwanted, and it closes the connection after it
     * (every request a new TCP connection, under TLS a new handshake). */
    return MHD_YES;
  }

  if (*upload_data_size > 0 && req->upload) {
    upload_write(h, req, upload_data, *upload_data_size);
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (*upload_data_size > 0) {
    if (!req->body)
      req->body = g_byte_array_new();
    /* A chunked body announces no length: past the cap the rest is read and dropped (MHD cannot
     * queue a reply in the middle of an upload), and the 413 goes out at the end. The connection
     * timeout bounds how long a client can keep sending. */
    if (req->body_too_large || req->body->len + *upload_data_size > body_max(h, req)) {
      req->body_too_large = true;
      g_byte_array_set_size(req->body, 0);
    } else {
      g_byte_array_append(req->body, (const guint8 *)upload_data, (guint)*upload_data_size);
    }
    *upload_data_size = 0;
    return MHD_YES;
  }
  if (req->body_too_large) {
    hw_reply_error(&reply, MHD_HTTP_CONTENT_TOO_LARGE, "body_too_large", NULL,
                   "request body larger than %zu bytes", body_max(h, req));
    return send_reply(conn, &reply, NULL);
  }
  run_handler(h, req, &reply);
  return send_reply(conn, &reply, NULL);
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

void hw_http_options_init(HwHttpOptions *o)
{
  memset(o, 0, sizeof *o);
  o->host = "127.0.0.1";
  o->body_max = HW_HTTP_BODY_MAX_DEFAULT;
  o->session_idle_ns = HW_HTTP_SESSION_IDLE_DEFAULT;
  o->session_max_ns = HW_HTTP_SESSION_MAX_DEFAULT;
  o->lockout_after = HW_HTTP_LOCKOUT_AFTER_DEFAULT;
  o->lockout_for_ns = HW_HTTP_LOCKOUT_FOR_DEFAULT;
}

/* An IP literal beyond loopback ("0.0.0.0", a LAN address); names are refused by listen_socket. */
static gboolean host_beyond_loopback(const char *host)
{
  if (g_ascii_strcasecmp(host, "localhost") == 0)
    return FALSE;
  g_autoptr(GInetAddress) a = g_inet_address_new_from_string(host);
  return a && !g_inet_address_get_is_loopback(a);
}

/* ---- TLS ------------------------------------------------------------------------------------- */

/* GnuTLS 1.2 and 1.3 only: nothing older is needed by the browsers of a hall's workstations. */
#define TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"
#define TLS_FILE_MAX (1024 * 1024) /* a PEM chain is a few KiB */

/* The contents of a PEM file, NUL-terminated (g_free; the key's with tls_secret_free). */
static char *tls_read(const char *path, const char *key, GError **error)
{
  g_autoptr(GError) e = NULL;
  char *data = NULL;
  gsize len = 0;
  if (!g_file_get_contents(path, &data, &len, &e)) {
    /* GLib's message names the file and the reason (missing, permission denied). */
    g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_TLS, "%s: %s", key, e->message);
    return NULL;
  }
  if (len > TLS_FILE_MAX || strlen(data) != len) {
    sodium_memzero(data, len);
    g_free(data);
    g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_TLS, "%s: %s is not a PEM file", key, path);
    return NULL;
  }
  return data;
}

static void tls_secret_free(char *s)
{
  if (s) {
    sodium_memzero(s, strlen(s));
    g_free(s);
  }
}

/* libmicrohttpd only says "cannot start" when GnuTLS refuses a file, so each is checked here
 * first and the message names the file that is wrong and why. */
static gboolean tls_check(const char *cert_path, const char *cert, const char *key_path,
                          const char *key, GError **error)
{
  gnutls_datum_t cd = {(unsigned char *)cert, (unsigned)strlen(cert)};
  gnutls_datum_t kd = {(unsigned char *)key, (unsigned)strlen(key)};
  gnutls_x509_crt_t *crts = NULL;
  unsigned n = 0;
  int r = gnutls_x509_crt_list_import2(&crts, &n, &cd, GNUTLS_X509_FMT_PEM, 0);
  if (r < 0 || n == 0) {
    g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_TLS,
                "tls_cert: %s holds no PEM certificate (%s)", cert_path,
                r < 0 ? gnutls_strerror(r) : "empty");
    return FALSE;
  }
  for (unsigned i = 0; i < n; i++)
    gnutls_x509_crt_deinit(crts[i]);
  gnutls_free(crts);

  gnutls_x509_privkey_t pk;
  if (gnutls_x509_privkey_init(&pk) < 0) {
    g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_TLS, "tls_key: out of memory");
    return FALSE;
  }
  r = gnutls_x509_privkey_import2(pk, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
  gnutls_x509_privkey_deinit(pk);
  if (r < 0) {
    g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_TLS,
                "tls_key: %s holds no unencrypted PEM private key (%s)", key_path,
                gnutls_strerror(r));
    return FALSE;
  }

  gnutls_certificate_credentials_t cred;
  if (gnutls_certificate_allocate_credentials(&cred) < 0) {
    g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_TLS, "tls_key: out of memory");
    return FALSE;
  }
  r = gnutls_certificate_set_x509_key_mem2(cred, &cd, &kd, GNUTLS_X509_FMT_PEM, NULL, 0);
  gnutls_certificate_free_credentials(cred);
  if (r < 0) {
    g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_TLS, "tls_key: %s does not go with %s (%s)",
                key_path, cert_path, gnutls_strerror(r));
    return FALSE;
  }
  return TRUE;
}

/* Reads and checks the TLS files of o into h. TRUE when there are none, too. */
static gboolean tls_load(HwHttp *h, const HwHttpOptions *o, GError **error)
{
  if (!o->tls_cert_path && !o->tls_key_path)
    return TRUE;
  if (!o->tls_cert_path || !o->tls_key_path) {
    g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_TLS,
                "tls_cert and tls_key go together: give both or neither");
    return FALSE;
  }
  if (MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
    g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_TLS,
                "this libmicrohttpd is built without TLS (GnuTLS)");
    return FALSE;
  }
  h->tls_cert = tls_read(o->tls_cert_path, "tls_cert", error);
  if (!h->tls_cert)
    return FALSE;
  h->tls_key = tls_read(o->tls_key_path, "tls_key", error);
  if (!h->tls_key)
    return FALSE;
  return tls_check(o->tls_cert_path, h->tls_cert, o->tls_key_path, h->tls_key, error);
}

/* Removes the temporary files of uploads a previous process left (killed mid-request). */
static void upload_dir_sweep(const char *dir)
{
  GDir *d = dir ? g_dir_open(dir, 0, NULL) : NULL;
  const char *name;
  while (d != NULL && (name = g_dir_read_name(d)) != NULL) {
    if (g_str_has_prefix(name, ".upload-")) {
      g_autofree char *path = g_build_filename(dir, name, NULL);
      g_unlink(path);
    }
  }
  if (d != NULL)
    g_dir_close(d);
}

HwHttp *hw_http_new(const HwHttpOptions *o, GError **error)
{
  g_return_val_if_fail(o != NULL && o->host != NULL, NULL);
  g_return_val_if_fail(o->status_fn != NULL && o->store != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  g_autoptr(HwHttp) h = g_new0(HwHttp, 1);
  h->opt = *o;
  h->opt.host = NULL;
  h->opt.www_dir = g_strdup(o->www_dir); /* owned: freed in hw_http_free */
  h->opt.upload_dir = g_strdup(o->upload_dir); /* owned too */
  upload_dir_sweep(h->opt.upload_dir);
  h->opt.tls_cert_path = h->opt.tls_key_path = NULL; /* not kept: the contents are */
  if (h->opt.body_max == 0)
    h->opt.body_max = HW_HTTP_BODY_MAX_DEFAULT;
  if (h->opt.lockout_after <= 0)
    h->opt.lockout_after = HW_HTTP_LOCKOUT_AFTER_DEFAULT;
  if (!tls_load(h, o, error))
    return NULL;
  /* Browsers drop Secure cookies over plain HTTP, so sign-in would silently fail beyond
   * loopback: there it is HTTPS or nothing. Plain HTTP on loopback is the demo's. */
  if (!h->tls_cert && host_beyond_loopback(o->host)) {
    g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_ADDRESS,
                "cannot listen on %s: listen beyond loopback needs tls_cert and tls_key "
                "(browsers drop Secure cookies on plain HTTP)",
                o->host);
    return NULL;
  }
  h->secure_cookies = h->tls_cert != NULL;
  h->routes = hw_routes_table(&h->n_routes);
  if (!hw_routes_check(h->routes, h->n_routes, error))
    return NULL;
  h->auth = hw_auth_new(h, error);
  if (!h->auth)
    return NULL;
  if (o->live != NULL && !(h->live = hw_live_server_new(h, o->live, error)))
    return NULL;
  h->playback = hw_playback_sessions_new();

  const char *host = o->host;
  int fd = listen_socket(host, o->port, &h->port, error);
  if (fd < 0)
    return NULL;

  unsigned threads = CLAMP(g_get_num_processors(), HTTP_THREADS_MIN, HTTP_THREADS_MAX);
  /* No MHD_USE_ERROR_LOG: library code does not write to stderr. */
  /* Under TLS libmicrohttpd cannot use sendfile: file responses are copied through GnuTLS. */
  /* MHD_ALLOW_UPGRADE: the live view's WebSocket (web/live.c). */
  unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_UPGRADE;
  if (h->tls_cert)
    flags |= MHD_USE_TLS;
  /* MHD copies neither string: both live in h until hw_http_free. */
  struct MHD_OptionItem tls_options[] = {
    {MHD_OPTION_HTTPS_MEM_CERT, 0, h->tls_cert},
    {MHD_OPTION_HTTPS_MEM_KEY, 0, h->tls_key},
    {MHD_OPTION_HTTPS_PRIORITIES, 0, (void *)TLS_PRIORITIES},
    {MHD_OPTION_END, 0, NULL},
  };
  struct MHD_OptionItem no_options[] = {{MHD_OPTION_END, 0, NULL}};
  h->daemon = MHD_start_daemon(
    flags, 0, NULL, NULL, on_request, h,
    MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
    MHD_OPTION_LISTEN_SOCKET, (MHD_socket)fd,
    MHD_OPTION_THREAD_POOL_SIZE, threads,
    MHD_OPTION_CONNECTION_LIMIT, (unsigned)HTTP_CONNECTION_LIMIT,
    MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HTTP_PER_IP_LIMIT,
    MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)HTTP_TIMEOUT_S,
    MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HTTP_CONNECTION_MEMORY,
    MHD_OPTION_STRICT_FOR_CLIENT, 1,
    MHD_OPTION_ARRAY, h->tls_cert ? tls_options : no_options,
    MHD_OPTION_END);
  if (!h->daemon) {
    close(fd);
    g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_START, "cannot start the HTTP%s server on %s:%d",
                h->tls_cert ? "S" : "", host, h->port);
    return NULL;
  }
  return g_steal_pointer(&h);
}

int hw_http_port(HwHttp *h)
{
  g_return_val_if_fail(h != NULL, -1);
  return h->port;
}

bool hw_http_is_tls(HwHttp *h)
{
  g_return_val_if_fail(h != NULL, false);
  return h->tls_cert != NULL;
}

void hw_http_free(HwHttp *h)
{
  if (!h)
    return;
  hw_live_server_free(h->live); /* upgraded sockets are closed before the daemon stops */
  if (h->daemon)
    MHD_stop_daemon(h->daemon); /* closes the listening socket too */
  hw_auth_free(h->auth);
  hw_playback_sessions_free(h->playback);
  g_free(h->tls_cert);
  g_free((char *)h->opt.www_dir);
  g_free((char *)h->opt.upload_dir);
  tls_secret_free(h->tls_key);
  g_free(h);
}
