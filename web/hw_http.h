/* The HTTP server: libmicrohttpd on its own threads (epoll, thread pool), dispatch through the
 * route table of web/routes.c, sign-in and permission checks before any handler runs, bodies
 * capped and parsed as JSON, every error as JSON. Route files see only web/hw_route.h.
 * HTTPS-only when given a certificate and key; without them it listens on loopback only. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/hw_audit.h"
#include "capture/hw_recorder.h"
#include "common/hw_time.h"
#include "sql/hw_store.h"

G_BEGIN_DECLS

#define HW_HTTP_ERROR (hw_http_error_quark())
GQuark hw_http_error_quark(void);

typedef enum {
  HW_HTTP_ERROR_ADDRESS, /* host is not an IP literal, or the port is out of range */
  HW_HTTP_ERROR_LISTEN,  /* socket, bind or listen failed (message carries the reason) */
  HW_HTTP_ERROR_START,   /* libmicrohttpd or libsodium refused to start */
  HW_HTTP_ERROR_ROUTE,   /* a row of the route table is incomplete (e.g. no permission) */
  HW_HTTP_ERROR_TLS,     /* certificate or key unreadable or not PEM, or no TLS in libmicrohttpd */
} HwHttpError;

typedef struct HwHttp HwHttp;

/* Returns a snapshot of every camera stream as a g_malloc'd array (transfer full; the server
 * g_frees it) and its length in *ret_n; NULL with *ret_n = 0 when there are none. Called from
 * the server's threads, several at once: it must be thread-safe (hw_recorder_status is). */
typedef HwCameraStatus *(*HwStatusFn)(void *user, size_t *ret_n);

#define HW_HTTP_BODY_MAX_DEFAULT (1024 * 1024)
#define HW_HTTP_SESSION_IDLE_DEFAULT (INT64_C(30) * 60 * HW_NS_PER_S)
#define HW_HTTP_SESSION_MAX_DEFAULT (INT64_C(12) * 3600 * HW_NS_PER_S)
#define HW_HTTP_LOCKOUT_AFTER_DEFAULT 5
#define HW_HTTP_LOCKOUT_FOR_DEFAULT (INT64_C(15) * 60 * HW_NS_PER_S)

typedef struct {
  const char *host;   /* an IP literal such as "127.0.0.1" or "::1", or "localhost" */
  int port;           /* 0 picks a free port (see hw_http_port) */
  HwStatusFn status_fn;
  void *status_user;
  HwStore *store;     /* users, sessions, API tokens; required */
  void *app;          /* handed to route handlers as hw_request_app() */
  size_t body_max;    /* request bodies above this get 413 */
  int64_t session_idle_ns; /* a session unused this long ends */
  int64_t session_max_ns;  /* a session ends this long after sign-in, used or not */
  int lockout_after;       /* consecutive failed sign-ins that lock a user */
  int64_t lockout_for_ns;  /* how long the lock lasts */
  /* camera management (web/cameras.c): the daemon's hooks; NULL answers those routes 503. */
  const struct HwCameraHooks *cameras;
  /* The audit log: sign-ins (and failed attempts), sign-outs, API token changes. The daemon
   * always gives one; NULL (fuzzing, benchmarks) records nothing. Must outlive the server. */
  HwAudit *audit;
  /* export: evidence export jobs (web/exports.c); NULL answers those routes 503. */
  struct HwExportJobs *exports;
  /* TLS: both PEM files or neither. With them the server speaks HTTPS only and may listen on any
   * address; without them it refuses any host but loopback. Read once by hw_http_new. */
  const char *tls_cert_path;
  const char *tls_key_path;
  /* cases: the hall's working-day calendar for due dates (web/cases.c); NULL: the shipped one.
   * Borrowed, must outlive the server. */
  struct HwCalendarSource *calendar;
  /* The recorder's live fan-out (hw_recorder_live): GET /api/v1/live serves it; NULL answers
   * that route 503. Must outlive the server. */
  HwLive *live;
  /* The web interface's files (index.html and its assets, web/static.c), served publicly at /
   * and /ui/; NULL: those paths answer 404 "not_installed". Copied by hw_http_new. */
  const char *www_dir;
  /* The rolls around a case stage's footage ([footage]); NULL: 30 s / 120 s. Must outlive the
   * server (the daemon keeps the ones read at start: a reload does not change them). */
  const struct HwFootageRolls *footage_rolls;
  /* warnings (cases/hw_warnings.h): evaluated after each committed exchange batch; NULL: none. */
  struct HwWarnings *warnings;
  /* Raw uploads (a route that takes one, hw_route_takes_upload, sent as application/zip or
   * application/octet-stream): streamed to a temporary file in upload_dir as they arrive, at most
   * upload_max bytes (413 beyond), the file removed when the request ends however it ends.
   * upload_dir NULL: those routes take JSON only. Copied by hw_http_new. */
  const char *upload_dir;
  int64_t upload_max;
  /* settings (web/settings.c, web/hw_settings.h): the daemon's hooks; NULL answers 503. */
  const struct HwSettingsHooks *settings;
} HwHttpOptions;

/* Sets every field to its default (host 127.0.0.1, port 0, the limits above), NULLs elsewhere. */
void hw_http_options_init(HwHttpOptions *o);

/* Starts serving. status_fn/status_user, store and audit must stay valid until hw_http_free
 * returns. Returns NULL with error set (domain HW_HTTP_ERROR) if the address cannot be bound or
 * is beyond loopback without TLS, the certificate or key cannot be used (the message names the
 * file), or the route table is incomplete; no handler is then ever called. */
HwHttp *hw_http_new(const HwHttpOptions *options, GError **error);

/* The port actually bound. */
int hw_http_port(HwHttp *h);

/* Whether the server speaks HTTPS (TLS files were given). */
bool hw_http_is_tls(HwHttp *h);

/* Stops the server: waits for requests in flight, closes the socket, frees h. NULL is a no-op. */
void hw_http_free(HwHttp *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HwHttp, hw_http_free)

G_END_DECLS
