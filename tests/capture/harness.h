/* The harness of the capture tests: the stamped RTSP test camera in-process, a temporary store and
 * config, hallwatchd as a real child process, and readers for what it leaves behind (the SQLite
 * index, the files through ffprobe/ffmpeg, the frame stamps). Everything real, nothing mocked. */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <sqlite3.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "common/hw_time.h"
#include "demo/hw_rtsp_server.h"

/* A failed check: counted, printed with what a user would see wrong; the test goes on. */
extern int hx_failures;
#define HX_CHECK(cond, ...)                                                                        \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      hx_failures++;                                                                               \
      fprintf(stderr, "FAIL %s:%d: ", __FILE__, __LINE__);                                         \
      fprintf(stderr, __VA_ARGS__);                                                                \
      fputc('\n', stderr);                                                                         \
    }                                                                                              \
  } while (0)
/* A failed precondition: the rest of the test cannot run. */
#define HX_REQUIRE(cond, ...)                                                                      \
  do {                                                                                             \
    if (!(cond)) {                                                                                 \
      fprintf(stderr, "FATAL %s:%d: ", __FILE__, __LINE__);                                        \
      fprintf(stderr, __VA_ARGS__);                                                                \
      fputc('\n', stderr);                                                                         \
      return 1;                                                                                    \
    }                                                                                              \
  } while (0)

typedef struct {
  HwRtspServer *server;
  char *dir;     /* temporary folder of this test (removed at the end unless HX_KEEP is set) */
  char *footage; /* <dir>/footage */
  char *db;      /* <dir>/hallwatch.db */
  char *conf;    /* <dir>/hallwatch.conf */
  char *log;     /* <dir>/hallwatchd.log: the daemon's stdout and stderr */
  int http_port;
  pid_t pid;     /* running hallwatchd, 0 if none */
  int last_status; /* wait status of the last hallwatchd that ended */
} Hx;

/* Optional settings of the config file; NULL fields take the test defaults
 * (file_span 10s, stall_timeout 3s, backoff 200ms..1s, backoff_reset 1s, retention off). */
typedef struct {
  const char *file_span, *fragment_max, *stall_timeout, *backoff_reset;
  const char *retain_bytes, *min_free, *retention_interval;
} HxOptions;

Hx *hx_new(const char *name);
void hx_free(Hx *hx);
/* Adds a stream to the in-process RTSP server (320x240@25 unless the spec says otherwise). */
void hx_add_stream(Hx *hx, const HwRtspStreamSpec *spec);
/* Appends a [camera.<id>] section; user/pass may be NULL. url NULL: the server's <path>. */
void hx_camera(GString *cams, Hx *hx, const char *id, const char *path, const char *url,
               const char *user, const char *pass);
/* Writes <dir>/hallwatch.conf with the options and the camera sections. */
void hx_write_config(Hx *hx, const HxOptions *o, const char *camera_sections);

/* Spawns hallwatchd --config <conf>, output appended to the log. */
bool hx_start(Hx *hx);
/* `hallwatchd user add NAME --role ROLE [--hall HALL] --random-password` on hx's config; the
 * generated password (g_free), NULL if the command failed. */
char *hx_add_user(Hx *hx, const char *name, const char *role, const char *hall);
/* Runs hallwatchd with extra arguments to completion (stdout+stderr into *ret_output); returns
 * the exit code, or -1 if it ran longer than timeout_ms (then it is killed). */
int hx_run_sync(const char *const *argv, char **ret_output, int timeout_ms);
void hx_signal(Hx *hx, int sig);
/* Waits up to timeout_ms for hallwatchd to end; true if it did (status in hx->last_status). */
bool hx_wait_exit(Hx *hx, int timeout_ms);
/* SIGKILL if still running, then reap. */
void hx_kill9(Hx *hx);
bool hx_alive(Hx *hx);

/* GET http://127.0.0.1:<port><path>; returns the body (g_free) or NULL; *ret_status the HTTP code. */
char *hx_http_get(int port, const char *path, int *ret_status);
/* POST body (JSON text) with extra headers ("Name: value\r\n"…, or NULL) and no sign-in: the
 * response body (g_free) and *ret_status, or NULL. */
char *hx_http_post(int port, const char *path, const char *extra, const char *body,
                   int *ret_status);
/* Signs user in: the extra headers ("Cookie: …\r\nX-CSRF-Token: …\r\n") for hx_http_send as
 * that user (g_free), or NULL. */
char *hx_sign_in(int port, const char *user, const char *password);
/* The same with any method ("PATCH", "GET"…); body may be NULL. */
char *hx_http_send(int port, const char *method, const char *path, const char *extra,
                   const char *body, int *ret_status);
/* GET /api/v1/cameras parsed, or NULL. */
json_t *hx_cameras(Hx *hx);
/* The main-stream entry of camera id in a cameras array (borrowed), or NULL. */
json_t *hx_camera_entry(json_t *cams, const char *id);
const char *hx_camera_str(json_t *cams, const char *id, const char *field);
/* Waits until every id (NULL-terminated) is `recording`; false after timeout_ms (prints states). */
bool hx_wait_state(Hx *hx, const char *const *ids, const char *state, int timeout_ms);

/* ---- the index ------------------------------------------------------------------------------ */
typedef struct {
  int64_t id;
  char camera[64], path[256], codec[16], audio[16], sha256[65];
  int width, height;
  int64_t start_ns, end_ns, size, init_size, run_id;
  bool closed;
} HxFile;

typedef struct {
  int64_t file_id;
  int seq;
  int64_t offset, length, start_ns, duration_ns;
  int frames;
  bool key;
} HxFrag;

typedef struct {
  int64_t id;
  char camera[64], reason[32], detail[256];
  int64_t start_ns, end_ns;
} HxOutage;

sqlite3 *hx_db_open(Hx *hx);
int64_t hx_db_int(sqlite3 *db, const char *sql);
/* Files of a camera (main stream) by start; NULL camera: all. */
GArray *hx_db_files(sqlite3 *db, const char *camera);
/* Fragments of a camera's main stream by wall start; file_id > 0: of that file only, by seq. */
GArray *hx_db_frags(sqlite3 *db, const char *camera, int64_t file_id);
GArray *hx_db_outages(sqlite3 *db, const char *camera);
/* Executes SQL on a writable connection (holds); false and a message on error. */
bool hx_db_exec(Hx *hx, const char *sql);

/* ---- the files ------------------------------------------------------------------------------ */
typedef struct {
  bool ok;
  char vcodec[16], acodec[16];
  int width, height, n_audio;
} HxProbe;
HxProbe hx_ffprobe(const char *abspath);
/* Decodes every frame of a file to gray and reads its stamp: one int64 per frame, the stamp in
 * ns, or -1 if unreadable. *ret_errors gets ffmpeg's stderr (g_free). NULL on failure to run. */
GArray *hx_decode_stamps(const char *abspath, int width, int height, char **ret_errors);
/* Distinct "WxH" frame sizes of a decoded file, comma-separated (g_free). */
char *hx_frame_sizes(const char *abspath);
char *hx_sha256sum(const char *abspath);
char *hx_abspath(Hx *hx, const HxFile *f);

/* ---- the process ---------------------------------------------------------------------------- */
int hx_count_fds(pid_t pid);
int64_t hx_rss_kib(pid_t pid);
int hx_free_port(void);
void hx_sleep_ms(int ms);
/* Percentile (0..100) of a sorted array of doubles. */
double hx_percentile(const double *sorted, size_t n, double p);
bool hx_file_contains(const char *path, const char *needle);
