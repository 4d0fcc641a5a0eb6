/* libFuzzer target for HallWatch's request path: each input is raw HTTP/1.1 bytes sent over
 * loopback to an in-process hw_http server (real store, sessions, camera routes), after the pure
 * route matcher has been run on it against every pattern of the table. Why a socket and not a
 * pure handle() seam: README.md next to this file. */
#include <errno.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <unistd.h>

#include "audit/hw_audit.h"
#include "common/hw_keys.h"   /* export */
#include "common/hw_secret.h"
#include "media/hw_export_jobs.h" /* export */
#include "sql/hw_store.h"
#include "sql/hw_store_auth.h"
#include "web/hw_auth.h"
#include "web/hw_cameras.h"
#include "web/hw_http.h"
#include "web/internal.h"
#include "web/routes.h"

#define INPUT_MAX (64 * 1024)     /* longer inputs are cut: the body cap below is 16 KiB */
#define BODY_MAX (16 * 1024)
#define REPLY_TIMEOUT_S 10 /* a server that cannot answer /healthz in this time is hung (abort) */
#define FIRST_MS 100       /* an input's first reply byte comes within this, or not at all */
#define IDLE_MS 25         /* then the reply (or pipelined replies) is over after this silence */

/* The signed-in callers an input can name: "@S<i>@" becomes "hw_session=<token>" and "@C<i>@"
 * the CSRF token of user i. */
static const struct {
  const char *name, *role, *hall;
} users[] = {
  {"manager", "hall_manager", NULL},
  {"auditor", "auditor", NULL},
  {"admin", "admin", NULL},
  {"manager-a", "hall_manager", "hall-a"},
  {"investigator", "investigator", NULL}, /* export: the evidence export routes */
};

static struct {
  char *dir;
  HwStore *store;
  HwAudit *audit;
  HwSecret *secret;
  HwCameraHooks hooks;
  HwKey *key;            /* export */
  HwExportJobs *exports; /* export: jobs find no footage here and fail at once */
  HwHttp *http;
  int port;
  char *cookie[G_N_ELEMENTS(users)];
  char *csrf[G_N_ELEMENTS(users)];
} F;

static HwCameraStatus *one_camera(void *user, size_t *ret_n)
{
  HwCameraStatus *s = g_new0(HwCameraStatus, 1);
  g_strlcpy(s->camera, "cam-1", sizeof s->camera);
  g_strlcpy(s->stream, "main", sizeof s->stream);
  g_strlcpy(s->source, "api", sizeof s->source);
  s->state = HW_CAMERA_ERROR;
  g_strlcpy(s->last_error, "rtsp://u:p@10.0.0.1/x refused", sizeof s->last_error);
  *ret_n = 1;
  return s;
}

static HwCameraConfig **no_config_cameras(void *user)
{
  return g_new0(HwCameraConfig *, 1);
}

static void cameras_changed(void *user)
{
}

static void die(const char *what, GError *error)
{
  fprintf(stderr, "fuzz_request: %s: %s\n", what, error ? error->message : "failed");
  abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  g_autoptr(GError) error = NULL;
  signal(SIGPIPE, SIG_IGN); /* the server may close before it has read a whole input */
  F.dir = g_dir_make_tmp("hw-fuzz-request-XXXXXX", &error);
  if (!F.dir)
    die("temporary folder", error);
  g_autofree char *db = g_build_filename(F.dir, "hallwatch.db", NULL);
  F.store = hw_store_open(db, &error);
  if (!F.store || !hw_auth_init(&error))
    die("store", error);
  F.audit = hw_audit_new(F.store);
  g_autofree char *secret_path = hw_secret_path_for_database(db);
  F.secret = hw_secret_load_or_create(secret_path, &error);
  if (!F.secret)
    die("secret", error);

  /* One argon2id hash for all: the seeds sign in with this password. */
  g_autofree char *hash = hw_auth_password_hash("fuzz-password-1", &error);
  if (!hash)
    die("hash", error);
  hw_time_ns now = hw_time_now();
  for (size_t i = 0; i < G_N_ELEMENTS(users); i++) {
    HwStoreScope scope = {"hall", users[i].hall};
    int64_t id = 0;
    if (!hw_store_user_add(F.store, users[i].name, users[i].role, hash,
                           users[i].hall ? &scope : NULL, users[i].hall ? 1 : 0, &id, &error))
      die("user", error);
    g_autofree char *token = hw_auth_token_new(NULL);
    g_autofree char *csrf = hw_auth_token_new(NULL);
    HwStoreSession s = {.user_id = id, .created_ns = now, .last_seen_ns = now};
    hw_auth_token_hash(token, s.token_hash);
    g_strlcpy(s.csrf_token, csrf, sizeof s.csrf_token);
    if (!hw_store_session_add(F.store, &s, &error))
      die("session", error);
    F.cookie[i] = g_strdup_printf("hw_session=%s", token);
    F.csrf[i] = g_steal_pointer(&csrf);
  }

  g_autofree char *footage = g_build_filename(F.dir, "footage", NULL);
  g_mkdir(footage, 0700);
  F.hooks = (HwCameraHooks){.config_cameras = no_config_cameras,
                            .changed = cameras_changed,
                            .audit = F.audit,
                            .secret = F.secret,
                            .footage_dir = g_steal_pointer(&footage)};
  g_autofree char *key_path = hw_key_path_for_database(db);
  g_autofree char *exports = g_build_filename(F.dir, "exports", NULL);
  F.key = hw_key_load_or_create(key_path, NULL, &error);
  if (!F.key || !(F.exports = hw_export_jobs_new(F.store, F.key, F.audit, F.hooks.footage_dir,
                                                  exports, "fuzz", &error)))
    die("exports", error);
  HwHttpOptions o;
  hw_http_options_init(&o);
  o.exports = F.exports;
  o.status_fn = one_camera;
  o.store = F.store;
  o.cameras = &F.hooks;
  o.body_max = BODY_MAX;
  /* Sessions outlive any run; a locked address stays locked so argon2 runs a few times only. */
  o.session_idle_ns = INT64_C(24) * 3600 * HW_NS_PER_S;
  o.session_max_ns = INT64_C(24) * 3600 * HW_NS_PER_S;
  o.lockout_for_ns = INT64_C(24) * 3600 * HW_NS_PER_S;
  F.http = hw_http_new(&o, &error);
  if (!F.http)
    die("server", error);
  F.port = hw_http_port(F.http);
  return 0;
}

/* ---- the pure part: the route matcher ---------------------------------------------------------- */

/* The request target of the first line ("GET /a/b?x HTTP/1.1" → "/a/b"), or the whole text. */
static char *request_path(const char *text)
{
  const char *sp = strchr(text, ' ');
  if (!sp)
    return g_strdup(text);
  sp++;
  return g_strndup(sp, strcspn(sp, " ?\r\n"));
}

/* hw_route_match's contract, checked on every pattern: a match of a pattern without {…} is
 * equality; with them, as many parameters as the pattern has, named like it, none empty, none
 * holding a '/'. */
static void check_route_match(const char *path)
{
  size_t n_routes = 0;
  const HwRoute *routes = hw_routes_table(&n_routes);
  for (size_t i = 0; i < n_routes; i++) {
    const char *names[HW_ROUTE_PARAMS_MAX], *values[HW_ROUTE_PARAMS_MAX];
    size_t n = 0;
    g_autofree char *storage = NULL;
    if (!hw_route_match(routes[i].pattern, path, names, values, &n, &storage))
      continue;
    size_t want = 0;
    for (const char *p = routes[i].pattern; (p = strchr(p, '{')) != NULL; p++)
      want++;
    if (n != want)
      abort();
    if (want == 0 && strcmp(routes[i].pattern, path) != 0)
      abort();
    for (size_t k = 0; k < n; k++) {
      g_autofree char *brace = g_strdup_printf("{%s}", names[k]);
      if (!strstr(routes[i].pattern, brace) || values[k][0] == '\0' || strchr(values[k], '/'))
        abort();
    }
  }
}

/* ---- the socket part ---------------------------------------------------------------------------- */

/* The input with @S<i>@ / @C<i>@ replaced (see users[]). */
static GString *substitute(const uint8_t *data, size_t size)
{
  GString *out = g_string_sized_new(size + 128);
  for (size_t i = 0; i < size; i++) {
    if (data[i] == '@' && i + 3 < size && (data[i + 1] == 'S' || data[i + 1] == 'C') &&
        data[i + 2] >= '0' && data[i + 2] < '0' + (int)G_N_ELEMENTS(users) && data[i + 3] == '@') {
      size_t u = (size_t)(data[i + 2] - '0');
      g_string_append(out, data[i + 1] == 'S' ? F.cookie[u] : F.csrf[u]);
      i += 3;
    } else {
      g_string_append_c(out, (char)data[i]);
    }
  }
  return out;
}

/* Whether any %-decoded form of the input names the connection test (POST …/test may wait 10 s
 * for an RTSP host: fuzzing it would measure timeouts, not code). */
static bool names_camera_test(const GString *s)
{
  g_autoptr(GString) dec = g_string_sized_new(s->len);
  for (size_t i = 0; i < s->len; i++) {
    int hi, lo;
    if (s->str[i] == '%' && i + 2 < s->len && (hi = g_ascii_xdigit_value(s->str[i + 1])) >= 0 &&
        (lo = g_ascii_xdigit_value(s->str[i + 2])) >= 0) {
      g_string_append_c(dec, (char)(hi * 16 + lo));
      i += 2;
    } else {
      g_string_append_c(dec, s->str[i]);
    }
  }
  return memmem(dec->str, dec->len, "/test", 5) != NULL;
}

/* Reads what the server sends until EOF, or until it falls silent: first_ms for the first byte,
 * then idle_ms between bytes. libmicrohttpd does not always close a keep-alive connection whose
 * client half-closed, nor answer a request whose body ends early (both wait for its 30 s
 * connection timeout), so EOF alone cannot end an exchange. */
/* How many complete responses (head + Content-Length body) text holds. */
static size_t complete_replies(const GString *text)
{
  size_t n = 0;
  const char *p = text->str, *end = text->str + text->len;
  while (p < end) {
    const char *head_end = g_strstr_len(p, end - p, "\r\n\r\n");
    if (!head_end)
      break;
    const char *cl = g_strstr_len(p, head_end - p, "Content-Length: ");
    size_t body = cl ? strtoul(cl + 16, NULL, 10) : 0;
    if ((size_t)(end - (head_end + 4)) < body)
      break;
    p = head_end + 4 + body;
    n++;
  }
  return n;
}

static void read_reply(int fd, GString *reply, size_t max_replies, int first_ms, int idle_ms)
{
  char buf[8192];
  while (complete_replies(reply) < max_replies) {
    struct pollfd p = {.fd = fd, .events = POLLIN};
    int r = poll(&p, 1, reply->len ? idle_ms : first_ms);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return;
    ssize_t n = recv(fd, buf, sizeof buf, 0);
    if (n <= 0)
      return; /* EOF or reset */
    g_string_append_len(reply, buf, n);
  }
}

/* Sends raw on a new connection, half-closes, returns what came back (maybe nothing). */
static GString *exchange(const char *raw, size_t len, int first_ms)
{
  GString *reply = g_string_new(NULL);
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0)
    abort();
  struct timeval tv = {.tv_sec = REPLY_TIMEOUT_S};
  setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof tv);
  struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)F.port),
                           .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) < 0) {
    fprintf(stderr, "fuzz_request: connect: %s\n", g_strerror(errno));
    abort();
  }
  size_t off = 0;
  while (off < len) {
    ssize_t w = send(fd, raw + off, len - off, MSG_NOSIGNAL);
    if (w <= 0)
      break; /* the server answered and closed early (413, 400): fine */
    off += (size_t)w;
  }
  shutdown(fd, SHUT_WR);
  /* At most one reply per request line: stop waiting once that many came. */
  size_t requests = 0;
  for (const char *p = raw; (p = memmem(p, len - (size_t)(p - raw), " HTTP/1.", 8)) != NULL; p++)
    requests++;
  read_reply(fd, reply, MAX(requests, 1), first_ms, IDLE_MS);
  /* RST rather than FIN: no TIME_WAIT pile-up over millions of connections. */
  struct linger lg = {.l_onoff = 1, .l_linger = 0};
  setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
  close(fd);
  return reply;
}

/* After an input that got no answer: the server must still answer a plain request (a handler
 * stuck on a lock or a thread pool drained by the input would show here). */
static void check_alive(void)
{
  static const char ping[] = "GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n";
  g_autoptr(GString) r = exchange(ping, sizeof ping - 1, REPLY_TIMEOUT_S * 1000);
  if (strncmp(r->str, "HTTP/1.1 200", 12) != 0) {
    fprintf(stderr, "fuzz_request: the server no longer answers GET /healthz within %d s\n",
            REPLY_TIMEOUT_S);
    abort();
  }
}

/* Every reply HallWatch writes is JSON; a 500 from a handler means the input reached a path that
 * should have answered 4xx (or a store error that the input should not be able to cause). */
static void check_reply(const GString *reply)
{
  for (const char *p = reply->str; (p = strstr(p, "HTTP/1.1 ")) != NULL; p += 9) {
    if (strncmp(p + 9, "500", 3) == 0) {
      fprintf(stderr, "fuzz_request: 500 reply:\n%.*s\n", (int)MIN(reply->len, 2000), reply->str);
      abort();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size > INPUT_MAX)
    size = INPUT_MAX;
  g_autofree char *text = g_strndup((const char *)data, size); /* up to the first NUL */
  g_autofree char *path = request_path(text);
  check_route_match(text);
  check_route_match(path);
  g_autofree char *masked = hw_web_mask_credentials(text);
  if (!masked)
    abort();

  g_autoptr(GString) raw = substitute(data, size);
  if (names_camera_test(raw))
    return 0;
  g_autoptr(GString) reply = exchange(raw->str, raw->len, FIRST_MS);
  if (reply->len == 0)
    check_alive();
  check_reply(reply);
  return 0;
}
