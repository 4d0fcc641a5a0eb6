/* The capture tests' harness: see harness.h. hallwatchd runs as a real process (posix_spawn), the
 * HTTP API is read over a plain socket, the index through SQLite, the files through ffprobe and
 * ffmpeg, the frame times through the stamp the test camera burns into each picture. */
#include "tests/capture/harness.h"

#include "demo/hw_stamp.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <netinet/in.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

int hx_failures;

void hx_sleep_ms(int ms) { g_usleep((gulong)ms * 1000); }

int hx_free_port(void)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t len = sizeof a;
  if (fd < 0 || bind(fd, (struct sockaddr *)&a, sizeof a) != 0 ||
      getsockname(fd, (struct sockaddr *)&a, &len) != 0) {
    if (fd >= 0)
      close(fd);
    return 0;
  }
  close(fd);
  return ntohs(a.sin_port);
}

Hx *hx_new(const char *name)
{
  Hx *hx = g_new0(Hx, 1);
  g_autoptr(GError) error = NULL;
  g_autofree char *tmpl = g_strdup_printf("hw-%s-XXXXXX", name);
  hx->dir = g_dir_make_tmp(tmpl, &error);
  if (hx->dir == NULL) {
    fprintf(stderr, "FATAL: cannot make a temporary folder: %s\n", error->message);
    exit(1);
  }
  hx->footage = g_build_filename(hx->dir, "footage", NULL);
  hx->db = g_build_filename(hx->dir, "hallwatch.db", NULL);
  hx->conf = g_build_filename(hx->dir, "hallwatch.conf", NULL);
  hx->log = g_build_filename(hx->dir, "hallwatchd.log", NULL);
  hx->server = hw_rtsp_server_new(0, &error);
  if (hx->server == NULL) {
    fprintf(stderr, "FATAL: cannot start the test RTSP server: %s\n", error->message);
    exit(1);
  }
  hx->http_port = hx_free_port();
  printf("# %s: folder %s, RTSP port %d, HTTP port %d\n", name, hx->dir,
         hw_rtsp_server_port(hx->server), hx->http_port);
  return hx;
}

static void remove_tree(const char *path)
{
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  if (dir != NULL) {
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
        remove_tree(child);
      else
        g_unlink(child);
    }
  }
  g_rmdir(path);
}

void hx_free(Hx *hx)
{
  if (hx == NULL)
    return;
  hx_kill9(hx);
  hw_rtsp_server_free(hx->server);
  if (hx_failures > 0 || g_getenv("HX_KEEP") != NULL) {
    printf("# kept %s for inspection (daemon log: %s)\n", hx->dir, hx->log);
    g_autofree char *log = NULL;
    if (hx_failures > 0 && g_file_get_contents(hx->log, &log, NULL, NULL)) {
      size_t len = strlen(log);
      fprintf(stderr, "---- last lines of hallwatchd's log ----\n%s\n----\n",
              len > 6000 ? log + len - 6000 : log);
    }
  } else {
    remove_tree(hx->dir);
  }
  g_free(hx->dir);
  g_free(hx->footage);
  g_free(hx->db);
  g_free(hx->conf);
  g_free(hx->log);
  g_free(hx);
}

void hx_add_stream(Hx *hx, const HwRtspStreamSpec *spec)
{
  HwRtspStreamSpec s = *spec;
  if (s.width == 0) {
    s.width = 320;
    s.height = 240;
  }
  if (s.fps == 0)
    s.fps = 25;
  g_autoptr(GError) error = NULL;
  if (!hw_rtsp_server_add_stream(hx->server, &s, &error)) {
    fprintf(stderr, "FATAL: cannot add stream %s: %s\n", s.path, error->message);
    exit(1);
  }
}

void hx_camera(GString *cams, Hx *hx, const char *id, const char *path, const char *url,
               const char *user, const char *pass)
{
  g_autofree char *u = url ? g_strdup(url) : hw_rtsp_server_url(hx->server, path);
  g_string_append_printf(cams, "\n[camera.%s]\nurl = %s\n", id, u);
  if (user && pass)
    g_string_append_printf(cams, "username = %s\npassword = %s\n", user, pass);
}

#define OR(x, d) ((x) != NULL ? (x) : (d))

void hx_write_config(Hx *hx, const HxOptions *o, const char *camera_sections)
{
  HxOptions none = {0};
  if (o == NULL)
    o = &none;
  g_autofree char *text = g_strdup_printf(
      "# written by the capture tests\n"
      "[storage]\nfootage = %s\ndatabase = %s\n"
      "[http]\nlisten = 127.0.0.1:%d\n"
      "[log]\nlevel = info\n"
      "[recording]\nfile_span = %s\nfragment_max = %s\nstall_timeout = %s\n"
      "index_interval = 500ms\n"
      "[reconnect]\nbackoff_min = 200ms\nbackoff_max = 1s\nbackoff_reset = %s\n"
      "[retention]\ndays = 0\nbytes = %s\nmin_free = %s\ninterval = %s\n%s",
      hx->footage, hx->db, hx->http_port, OR(o->file_span, "10s"), OR(o->fragment_max, "2s"),
      OR(o->stall_timeout, "3s"), OR(o->backoff_reset, "1s"), OR(o->retain_bytes, "0"),
      OR(o->min_free, "0"), OR(o->retention_interval, "10s"), camera_sections ? camera_sections : "");
  g_autoptr(GError) error = NULL;
  if (!g_file_set_contents(hx->conf, text, -1, &error)) {
    fprintf(stderr, "FATAL: %s\n", error->message);
    exit(1);
  }
  g_chmod(hx->conf, 0600); /* it holds passwords */
}

static pid_t spawn_logged(const char *const *argv, const char *log, bool truncate)
{
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | (truncate ? O_TRUNC : O_APPEND),
                                   0600);
  posix_spawn_file_actions_adddup2(&fa, 1, 2);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  pid_t pid = 0;
  int rc = posix_spawn(&pid, argv[0], &fa, NULL, (char *const *)argv, environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0) {
    fprintf(stderr, "cannot run %s: %s\n", argv[0], g_strerror(rc));
    return 0;
  }
  return pid;
}

static void ensure_user(const char *conf);

bool hx_start(Hx *hx)
{
  g_return_val_if_fail(hx->pid == 0, false);
  FILE *f = fopen(hx->log, "a");
  if (f) {
    fprintf(f, "==== hallwatchd started by the test at %.3f ====\n",
            (double)hw_time_now() / HW_NS_PER_S);
    fclose(f);
  }
  ensure_user(hx->conf);
  const char *argv[] = {HW_HALLWATCHD, "--config", hx->conf, NULL};
  hx->pid = spawn_logged(argv, hx->log, false);
  return hx->pid > 0;
}

static bool wait_pid(pid_t pid, int timeout_ms, int *ret_status)
{
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
  for (;;) {
    int st = 0;
    pid_t r = waitpid(pid, &st, WNOHANG);
    if (r == pid) {
      *ret_status = st;
      return true;
    }
    if (r < 0 && errno != EINTR)
      return false;
    if (g_get_monotonic_time() > deadline)
      return false;
    hx_sleep_ms(10);
  }
}

int hx_run_sync(const char *const *argv, char **ret_output, int timeout_ms)
{
  g_autofree char *tmp = g_build_filename(g_get_tmp_dir(), "hw-capture-run-XXXXXX", NULL);
  int fd = g_mkstemp(tmp);
  if (fd >= 0)
    close(fd);
  pid_t pid = spawn_logged(argv, tmp, true);
  int st = 0, code = -1;
  if (pid > 0) {
    if (wait_pid(pid, timeout_ms, &st))
      code = WIFEXITED(st) ? WEXITSTATUS(st) : 128 + WTERMSIG(st);
    else {
      kill(pid, SIGKILL);
      waitpid(pid, &st, 0);
    }
  }
  if (ret_output && !g_file_get_contents(tmp, ret_output, NULL, NULL))
    *ret_output = g_strdup("");
  g_unlink(tmp);
  return code;
}

char *hx_add_user(Hx *hx, const char *name, const char *role, const char *hall)
{
  const char *argv[] = {HW_HALLWATCHD, "user", "add", name, "--role", role, "--random-password",
                        "--config", hx->conf, hall ? "--hall" : NULL, hall, NULL};
  g_autofree char *out = NULL;
  hx_run_sync(argv, &out, 30000);
  g_autofree char *needle = g_strdup_printf("password for %s: ", name);
  const char *p = out ? strstr(out, needle) : NULL;
  return p ? g_strndup(p + strlen(needle), strcspn(p + strlen(needle), "\r\n")) : NULL;
}

void hx_signal(Hx *hx, int sig)
{
  if (hx->pid > 0)
    kill(hx->pid, sig);
}

bool hx_wait_exit(Hx *hx, int timeout_ms)
{
  if (hx->pid <= 0)
    return true;
  if (!wait_pid(hx->pid, timeout_ms, &hx->last_status))
    return false;
  hx->pid = 0;
  return true;
}

void hx_kill9(Hx *hx)
{
  if (hx->pid <= 0)
    return;
  kill(hx->pid, SIGKILL);
  waitpid(hx->pid, &hx->last_status, 0);
  hx->pid = 0;
}

bool hx_alive(Hx *hx)
{
  if (hx->pid <= 0)
    return false;
  int st;
  pid_t r = waitpid(hx->pid, &st, WNOHANG);
  if (r == hx->pid) {
    hx->last_status = st;
    hx->pid = 0;
    return false;
  }
  return true;
}

/* ---- HTTP ----------------------------------------------------------------------------------- */

/* Sign-in (issue 3): /api/ routes need a session. The harness makes one supervisor per config
 * with `hallwatchd user add --random-password` before starting the daemon, signs in on the first
 * /api/ request and again after a 401 (a restarted daemon keeps sessions, but a fresh database
 * does not). /metrics stays open from loopback and needs nothing. */
static char *auth_conf;     /* the config the user was made for */
static char *auth_password;
static char *auth_cookie;   /* "hw_session=…" */

static void ensure_user(const char *conf)
{
  if (auth_conf && strcmp(auth_conf, conf) == 0 && auth_password)
    return;
  g_free(auth_conf);
  auth_conf = g_strdup(conf);
  g_clear_pointer(&auth_password, g_free);
  g_clear_pointer(&auth_cookie, g_free);
  const char *argv[] = {HW_HALLWATCHD, "user", "add", "hx", "--role", "supervisor",
                        "--random-password", "--config", conf, NULL};
  g_autofree char *out = NULL;
  hx_run_sync(argv, &out, 30000);
  const char *p = out ? strstr(out, "password for hx: ") : NULL;
  if (p)
    auth_password = g_strndup(p + 17, strcspn(p + 17, "\r\n"));
  else
    fprintf(stderr, "harness: cannot create the test user: %s\n", out ? out : "");
}

/* One request; returns the whole response (g_free) or NULL. */
static char *http_request(int port, const char *method, const char *path, const char *extra,
                          const char *body)
{
  int fd = socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                          .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  struct timeval tv = {.tv_sec = 3};
  setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof tv);
  if (fd < 0 || connect(fd, (struct sockaddr *)&a, sizeof a) != 0) {
    if (fd >= 0)
      close(fd);
    return NULL;
  }
  g_autofree char *length =
      body ? g_strdup_printf("Content-Type: application/json\r\nContent-Length: %zu\r\n", strlen(body))
           : g_strdup("");
  g_autofree char *req = g_strdup_printf(
      "%s %s HTTP/1.0\r\nHost: 127.0.0.1:%d\r\nConnection: close\r\n%s%s\r\n%s", method, path,
      port, extra ? extra : "", length, body ? body : "");
  if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
    close(fd);
    return NULL;
  }
  GString *resp = g_string_new(NULL);
  char buf[8192];
  ssize_t r;
  while ((r = read(fd, buf, sizeof buf)) > 0 && resp->len < (8u << 20))
    g_string_append_len(resp, buf, r);
  close(fd);
  return g_string_free(resp, FALSE);
}

static void sign_in(int port)
{
  g_clear_pointer(&auth_cookie, g_free);
  if (!auth_password)
    return;
  g_autofree char *body =
      g_strdup_printf("{\"username\":\"hx\",\"password\":\"%s\"}", auth_password);
  g_autofree char *resp = http_request(port, "POST", "/api/v1/auth/login", NULL, body);
  const char *c = resp ? strstr(resp, "Set-Cookie: hw_session=") : NULL;
  if (c)
    auth_cookie = g_strndup(c + 12, strcspn(c + 12, ";\r\n"));
}

char *hx_sign_in(int port, const char *user, const char *password)
{
  json_t *j = json_pack("{s:s, s:s}", "username", user, "password", password ? password : "");
  g_autofree char *body = json_dumps(j, JSON_COMPACT);
  json_decref(j);
  g_autofree char *resp = http_request(port, "POST", "/api/v1/auth/login", NULL, body);
  const char *c = resp ? strstr(resp, "Set-Cookie: hw_session=") : NULL;
  const char *sep = resp ? strstr(resp, "\r\n\r\n") : NULL;
  json_t *a = sep ? json_loads(sep + 4, 0, NULL) : NULL;
  const char *csrf = json_string_value(json_object_get(a, "csrf_token"));
  char *out = c && csrf ? g_strdup_printf("Cookie: %.*s\r\nX-CSRF-Token: %s\r\n",
                                          (int)strcspn(c + 12, ";\r\n"), c + 12, csrf)
                        : NULL;
  json_decref(a);
  return out;
}

static char *http_get_once(int port, const char *path, int *ret_status)
{
  g_autofree char *extra = NULL;
  if (g_str_has_prefix(path, "/api/")) {
    if (!auth_cookie)
      sign_in(port);
    if (auth_cookie)
      extra = g_strdup_printf("Cookie: %s\r\n", auth_cookie);
  }
  g_autofree char *all = http_request(port, "GET", path, extra, NULL);
  if (!all)
    return NULL;
  int status = 0;
  char *body = strstr(all, "\r\n\r\n");
  if (sscanf(all, "HTTP/%*s %d", &status) != 1 || body == NULL)
    return NULL;
  *ret_status = status;
  return g_strdup(body + 4);
}

char *hx_http_get(int port, const char *path, int *ret_status)
{
  int status = 0;
  char *body = http_get_once(port, path, &status);
  if (body && status == 401 && g_str_has_prefix(path, "/api/")) {
    g_free(body);
    sign_in(port);
    body = http_get_once(port, path, &status);
  }
  if (body && ret_status)
    *ret_status = status;
  return body;
}

char *hx_http_post(int port, const char *path, const char *extra, const char *body,
                   int *ret_status)
{
  return hx_http_send(port, "POST", path, extra, body, ret_status);
}

char *hx_http_send(int port, const char *method, const char *path, const char *extra,
                   const char *body, int *ret_status)
{
  g_autofree char *all = http_request(port, method, path, extra, body);
  char *sep = all ? strstr(all, "\r\n\r\n") : NULL;
  if (sep == NULL || sscanf(all, "HTTP/%*s %d", ret_status) != 1)
    return NULL;
  return g_strdup(sep + 4);
}

json_t *hx_cameras(Hx *hx)
{
  int status = 0;
  g_autofree char *body = hx_http_get(hx->http_port, "/api/v1/cameras", &status);
  if (body == NULL || status != 200)
    return NULL;
  json_t *j = json_loads(body, 0, NULL);
  if (j != NULL && !json_is_array(j)) {
    json_decref(j);
    return NULL;
  }
  return j;
}

json_t *hx_camera_entry(json_t *cams, const char *id)
{
  size_t i;
  json_t *c;
  json_array_foreach(cams, i, c)
  {
    const char *cid = json_string_value(json_object_get(c, "id"));
    const char *stream = json_string_value(json_object_get(c, "stream"));
    if (g_strcmp0(cid, id) == 0 && (stream == NULL || strcmp(stream, "main") == 0))
      return c;
  }
  return NULL;
}

const char *hx_camera_str(json_t *cams, const char *id, const char *field)
{
  json_t *c = cams ? hx_camera_entry(cams, id) : NULL;
  return c ? json_string_value(json_object_get(c, field)) : NULL;
}

bool hx_wait_state(Hx *hx, const char *const *ids, const char *state, int timeout_ms)
{
  gint64 deadline = g_get_monotonic_time() + (gint64)timeout_ms * 1000;
  for (;;) {
    json_t *cams = hx_cameras(hx);
    bool all = cams != NULL;
    for (size_t i = 0; all && ids[i]; i++)
      all = g_strcmp0(hx_camera_str(cams, ids[i], "state"), state) == 0;
    if (all) {
      json_decref(cams);
      return true;
    }
    if (g_get_monotonic_time() > deadline || !hx_alive(hx)) {
      fprintf(stderr, "waited %d ms for %s; hallwatchd %s; cameras: ", timeout_ms, state,
              hx->pid ? "running" : "exited");
      for (size_t i = 0; cams && ids[i]; i++)
        fprintf(stderr, "%s=%s (%s) ", ids[i], hx_camera_str(cams, ids[i], "state"),
                hx_camera_str(cams, ids[i], "last_error"));
      fputc('\n', stderr);
      json_decref(cams);
      return false;
    }
    json_decref(cams);
    hx_sleep_ms(100);
  }
}

/* ---- the index ------------------------------------------------------------------------------ */

sqlite3 *hx_db_open(Hx *hx)
{
  sqlite3 *db = NULL;
  if (sqlite3_open_v2(hx->db, &db, SQLITE_OPEN_READONLY, NULL) != SQLITE_OK) {
    fprintf(stderr, "FATAL: cannot open %s: %s\n", hx->db, db ? sqlite3_errmsg(db) : "?");
    exit(1);
  }
  sqlite3_busy_timeout(db, 5000);
  return db;
}

static sqlite3_stmt *prep(sqlite3 *db, const char *sql)
{
  sqlite3_stmt *st = NULL;
  if (sqlite3_prepare_v2(db, sql, -1, &st, NULL) != SQLITE_OK) {
    fprintf(stderr, "FATAL: SQL %s: %s\n", sql, sqlite3_errmsg(db));
    exit(1);
  }
  return st;
}

int64_t hx_db_int(sqlite3 *db, const char *sql)
{
  sqlite3_stmt *st = prep(db, sql);
  int64_t v = sqlite3_step(st) == SQLITE_ROW ? sqlite3_column_int64(st, 0) : -1;
  sqlite3_finalize(st);
  return v;
}

static void copy_text(char *dst, size_t len, sqlite3_stmt *st, int col)
{
  const unsigned char *t = sqlite3_column_text(st, col);
  g_strlcpy(dst, t ? (const char *)t : "", len);
}

GArray *hx_db_files(sqlite3 *db, const char *camera)
{
  sqlite3_stmt *st = prep(db, "SELECT id, camera, path, codec, audio_codec, sha256, width, height, "
                              "start_ns, end_ns, size, init_size, run_id, closed FROM files "
                              "WHERE stream = 'main' AND (?1 IS NULL OR camera = ?1) "
                              "ORDER BY start_ns, id");
  sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
  GArray *out = g_array_new(FALSE, TRUE, sizeof(HxFile));
  while (sqlite3_step(st) == SQLITE_ROW) {
    HxFile f = {0};
    f.id = sqlite3_column_int64(st, 0);
    copy_text(f.camera, sizeof f.camera, st, 1);
    copy_text(f.path, sizeof f.path, st, 2);
    copy_text(f.codec, sizeof f.codec, st, 3);
    copy_text(f.audio, sizeof f.audio, st, 4);
    copy_text(f.sha256, sizeof f.sha256, st, 5);
    f.width = sqlite3_column_int(st, 6);
    f.height = sqlite3_column_int(st, 7);
    f.start_ns = sqlite3_column_int64(st, 8);
    f.end_ns = sqlite3_column_int64(st, 9);
    f.size = sqlite3_column_int64(st, 10);
    f.init_size = sqlite3_column_int64(st, 11);
    f.run_id = sqlite3_column_int64(st, 12);
    f.closed = sqlite3_column_int(st, 13) != 0;
    g_array_append_val(out, f);
  }
  sqlite3_finalize(st);
  return out;
}

GArray *hx_db_frags(sqlite3 *db, const char *camera, int64_t file_id)
{
  sqlite3_stmt *st = prep(db, "SELECT g.file_id, g.seq, g.offset, g.length, g.start_ns, "
                              "g.duration_ns, g.frames, g.keyframe_start FROM fragments g "
                              "JOIN files f ON f.id = g.file_id WHERE f.stream = 'main' AND "
                              "(?1 IS NULL OR f.camera = ?1) AND (?2 <= 0 OR g.file_id = ?2) "
                              "ORDER BY g.start_ns, g.file_id, g.seq");
  sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
  sqlite3_bind_int64(st, 2, file_id);
  GArray *out = g_array_new(FALSE, TRUE, sizeof(HxFrag));
  while (sqlite3_step(st) == SQLITE_ROW) {
    HxFrag g = {
        .file_id = sqlite3_column_int64(st, 0),
        .seq = sqlite3_column_int(st, 1),
        .offset = sqlite3_column_int64(st, 2),
        .length = sqlite3_column_int64(st, 3),
        .start_ns = sqlite3_column_int64(st, 4),
        .duration_ns = sqlite3_column_int64(st, 5),
        .frames = sqlite3_column_int(st, 6),
        .key = sqlite3_column_int(st, 7) != 0,
    };
    g_array_append_val(out, g);
  }
  sqlite3_finalize(st);
  return out;
}

GArray *hx_db_outages(sqlite3 *db, const char *camera)
{
  sqlite3_stmt *st = prep(db, "SELECT id, camera, reason, detail, start_ns, end_ns FROM outages "
                              "WHERE stream = 'main' AND (?1 IS NULL OR camera = ?1) "
                              "ORDER BY start_ns, id");
  sqlite3_bind_text(st, 1, camera, -1, SQLITE_TRANSIENT);
  GArray *out = g_array_new(FALSE, TRUE, sizeof(HxOutage));
  while (sqlite3_step(st) == SQLITE_ROW) {
    HxOutage o = {0};
    o.id = sqlite3_column_int64(st, 0);
    copy_text(o.camera, sizeof o.camera, st, 1);
    copy_text(o.reason, sizeof o.reason, st, 2);
    copy_text(o.detail, sizeof o.detail, st, 3);
    o.start_ns = sqlite3_column_int64(st, 4);
    o.end_ns = sqlite3_column_int64(st, 5);
    g_array_append_val(out, o);
  }
  sqlite3_finalize(st);
  return out;
}

bool hx_db_exec(Hx *hx, const char *sql)
{
  sqlite3 *db = NULL;
  char *msg = NULL;
  bool ok = sqlite3_open_v2(hx->db, &db, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK;
  if (ok) {
    sqlite3_busy_timeout(db, 5000);
    ok = sqlite3_exec(db, sql, NULL, NULL, &msg) == SQLITE_OK;
  }
  if (!ok)
    fprintf(stderr, "SQL %s failed: %s\n", sql, msg ? msg : db ? sqlite3_errmsg(db) : "?");
  sqlite3_free(msg);
  sqlite3_close(db);
  return ok;
}

/* ---- the files ------------------------------------------------------------------------------ */

char *hx_abspath(Hx *hx, const HxFile *f) { return g_build_filename(hx->footage, f->path, NULL); }

HxProbe hx_ffprobe(const char *abspath)
{
  HxProbe p = {0};
  const char *argv[] = {"/usr/bin/ffprobe", "-v", "error", "-show_entries",
                        "stream=codec_type,codec_name,width,height", "-of", "json", abspath, NULL};
  g_autofree char *out = NULL, *err = NULL;
  int status = 0;
  if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_DEFAULT, NULL, NULL, &out, &err, &status,
                    NULL))
    return p;
  json_t *j = json_loads(out ? out : "", 0, NULL);
  json_t *streams = json_object_get(j, "streams");
  size_t i;
  json_t *s;
  json_array_foreach(streams, i, s)
  {
    const char *type = json_string_value(json_object_get(s, "codec_type"));
    const char *name = json_string_value(json_object_get(s, "codec_name"));
    if (g_strcmp0(type, "video") == 0) {
      g_strlcpy(p.vcodec, name ? name : "", sizeof p.vcodec);
      p.width = (int)json_integer_value(json_object_get(s, "width"));
      p.height = (int)json_integer_value(json_object_get(s, "height"));
    } else if (g_strcmp0(type, "audio") == 0) {
      g_strlcpy(p.acodec, name ? name : "", sizeof p.acodec);
      p.n_audio++;
    }
  }
  json_decref(j);
  p.ok = g_spawn_check_wait_status(status, NULL) && p.vcodec[0] != '\0' && (err == NULL || err[0] == '\0');
  if (err && err[0])
    fprintf(stderr, "ffprobe %s: %s", abspath, err);
  return p;
}

GArray *hx_decode_stamps(const char *abspath, int width, int height, char **ret_errors)
{
  g_autofree char *errpath = g_build_filename(g_get_tmp_dir(), "hw-capture-ffmpeg-XXXXXX", NULL);
  int efd = g_mkstemp(errpath);
  if (efd >= 0)
    close(efd);
  g_autofree char *qin = g_shell_quote(abspath), *qerr = g_shell_quote(errpath);
  g_autofree char *cmd = g_strdup_printf(
      "ffmpeg -nostdin -v error -i %s -map 0:v:0 -f rawvideo -pix_fmt gray - 2>%s", qin, qerr);
  FILE *p = popen(cmd, "r");
  if (p == NULL)
    return NULL;
  GArray *out = g_array_new(FALSE, FALSE, sizeof(int64_t));
  size_t fsize = (size_t)width * (size_t)height;
  g_autofree uint8_t *buf = g_malloc(fsize);
  while (fread(buf, 1, fsize, p) == fsize) {
    uint64_t us = 0;
    int64_t v = hw_stamp_read(buf, width, width, height, &us) ? (int64_t)us * HW_NS_PER_US : -1;
    g_array_append_val(out, v);
  }
  int rc = pclose(p);
  g_autofree char *err = NULL;
  g_file_get_contents(errpath, &err, NULL, NULL);
  g_unlink(errpath);
  if (rc != 0 && (err == NULL || err[0] == '\0')) {
    g_free(err);
    err = g_strdup_printf("ffmpeg exited with status %d", rc);
  }
  if (ret_errors)
    *ret_errors = g_steal_pointer(&err);
  return out;
}

char *hx_frame_sizes(const char *abspath)
{
  const char *argv[] = {"/usr/bin/ffprobe", "-v", "error", "-select_streams", "v:0",
                        "-show_entries", "frame=width,height", "-of", "csv=p=0", abspath, NULL};
  g_autofree char *out = NULL;
  if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                    NULL, NULL))
    return g_strdup("?");
  GString *sizes = g_string_new(NULL);
  g_auto(GStrv) lines = g_strsplit(out ? out : "", "\n", -1);
  for (size_t i = 0; lines[i]; i++) {
    g_strstrip(lines[i]);
    if (lines[i][0] == '\0')
      continue;
    char *c = strchr(lines[i], ',');
    if (c) {
      *c = 'x';
      char *tail = strchr(c, ','); /* ffprobe may add an empty side-data column */
      if (tail)
        *tail = '\0';
    }
    g_autofree char *needle = g_strdup_printf(",%s,", lines[i]);
    g_autofree char *hay = g_strdup_printf(",%s,", sizes->str);
    if (strstr(hay, needle) == NULL)
      g_string_append_printf(sizes, "%s%s", sizes->len ? "," : "", lines[i]);
  }
  return g_string_free(sizes, FALSE);
}

char *hx_sha256sum(const char *abspath)
{
  const char *argv[] = {"/usr/bin/sha256sum", abspath, NULL};
  g_autofree char *out = NULL;
  if (!g_spawn_sync(NULL, (char **)argv, NULL, G_SPAWN_STDERR_TO_DEV_NULL, NULL, NULL, &out, NULL,
                    NULL, NULL) ||
      out == NULL || strlen(out) < 64)
    return g_strdup("");
  return g_strndup(out, 64);
}

/* ---- the process ---------------------------------------------------------------------------- */

int hx_count_fds(pid_t pid)
{
  g_autofree char *path = g_strdup_printf("/proc/%d/fd", (int)pid);
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  if (dir == NULL)
    return -1;
  int n = 0;
  while (g_dir_read_name(dir) != NULL)
    n++;
  return n;
}

int64_t hx_rss_kib(pid_t pid)
{
  g_autofree char *path = g_strdup_printf("/proc/%d/status", (int)pid);
  g_autofree char *text = NULL;
  if (!g_file_get_contents(path, &text, NULL, NULL))
    return -1;
  const char *l = strstr(text, "VmRSS:");
  return l ? g_ascii_strtoll(l + 6, NULL, 10) : -1;
}

double hx_percentile(const double *sorted, size_t n, double p)
{
  if (n == 0)
    return 0;
  size_t i = (size_t)(p / 100.0 * (double)(n - 1) + 0.5);
  return sorted[MIN(i, n - 1)];
}

bool hx_file_contains(const char *path, const char *needle)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  if (!g_file_get_contents(path, &text, &len, NULL))
    return false;
  return g_strstr_len(text, (gssize)len, needle) != NULL;
}
