/* Shared between web/ files only: the renderers of the status routes (pure functions of a status
 * snapshot and the current time, testable without a socket), the request and reply as the server
 * builds them, and the sign-in checks that web/auth.c runs for the dispatcher of web/hw_http.c. */
#pragma once

#include <glib.h>
#include <microhttpd.h>

#include "capture/hw_recorder.h"
#include "media/hw_footage.h"
#include "sql/hw_store_case_queries.h"
#include "sql/hw_store_cases.h"
#include "web/hw_http.h"
#include "web/hw_route.h"
#include "web/routes.h"
#include "sql/hw_store_warnings.h" /* cases: hw_web_warning_json */

G_BEGIN_DECLS

/* Prometheus text format 0.0.4 for statuses[0..n) at wall-clock time now. Returns a newly
 * allocated string (g_free). */
char *hw_web_render_metrics(const HwCameraStatus *statuses, size_t n, hw_time_ns now);

/* The JSON array of GET /api/v1/cameras, serialised; newly allocated (g_free). Holds no
 * credential: the status carries none, and URL userinfo in error texts is masked. */
char *hw_web_render_cameras(const HwCameraStatus *statuses, size_t n);

/* text with the userinfo of every URL in it ("user:pass@") replaced by "***@" (newly allocated). */
char *hw_web_mask_credentials(const char *text);

/* One warning as its routes show it (web/warnings.c); also the case view's warnings (web/cases.c).
 * Transfer full. */
json_t *hw_web_warning_json(const HwStoreWarning *w);

/* ---- server internals ------------------------------------------------------------------------ */

typedef struct HwAuth HwAuth;
/* The live view's WebSocket connections, on their own thread (web/live.c). */
typedef struct HwLiveServer HwLiveServer;

typedef struct HwPlaybackSessions HwPlaybackSessions; /* web/playback.c */

struct HwHttp {
  struct MHD_Daemon *daemon;
  int port;
  HwHttpOptions opt; /* host is not kept */
  bool secure_cookies; /* TRUE with TLS; FALSE on loopback plain HTTP, where browsers drop them */
  char *tls_cert;      /* PEM, NULL without TLS */
  char *tls_key;       /* PEM, NULL without TLS; zeroed when freed */
  HwAuth *auth;
  HwPlaybackSessions *playback; /* web/playback.c */
  const HwRoute *routes;
  size_t n_routes;
  HwLiveServer *live; /* NULL when HwHttpOptions.live is */
};

struct HwRequest {
  HwHttp *http;
  struct MHD_Connection *conn;
  const char *method;
  const char *path;
  const HwRoute *route;
  const char *param_names[HW_ROUTE_PARAMS_MAX];
  const char *param_values[HW_ROUTE_PARAMS_MAX];
  size_t n_params;
  char *param_storage;
  GByteArray *body; /* NULL until a byte arrives */
  /* A raw upload (hw_route_takes_upload): the temporary file the body goes to, its descriptor
   * while it is written, the bytes so far and the errno of a failed write. request_free removes
   * the file. */
  bool upload;
  char *upload_path;
  int upload_fd;
  int64_t upload_len;
  int upload_errno;
  json_t *json;
  bool body_too_large;
  HwCaller caller;
  char caller_name[64];
  char caller_department[64];
  char **scope_halls;       /* NULL: unrestricted */
  char **scope_departments; /* NULL: unrestricted */
  char session_hash[65];    /* "" unless signed in with a session cookie */
  char addr[64];
  bool loopback;
  bool checked; /* routing and permission done (first call of MHD's handler) */
  /* A handler that upgrades the connection (web/live.c) leaves its state here; the upgrade
   * callback takes it, or request_free frees it with upgrade_free if the upgrade never came. */
  void *upgrade_data;
  GDestroyNotify upgrade_free;
};

struct HwReply {
  int status;
  const char *content_type;
  char *body; /* g_malloc'd, owned */
  size_t len; /* of body, or of the file's bytes when fd >= 0 */
  int fd;     /* hw_reply_file: owned, sent from fd_offset; -1 (or 0 before any reply) when none */
  bool has_fd;
  uint64_t fd_offset;
  GPtrArray *headers; /* name, value, name, value… (owned strings) */
  /* status 101: the connection is handed to upgrade(upgrade_cls, …) once the reply is sent */
  MHD_UpgradeHandler upgrade;
  void *upgrade_cls;
};

HwAuth *hw_auth_new(HwHttp *http, GError **error);
void hw_auth_free(HwAuth *auth);
/* Identifies the caller from the session cookie or the Bearer token and checks the route's
 * permission and, for state-changing methods with a session, the CSRF token. TRUE if the handler
 * may run; FALSE with the error (401/403) put in reply. */
gboolean hw_auth_check(HwAuth *auth, HwRequest *req, HwReply *reply);

/* Whether the caller is limited to no hall and no department; otherwise answers 403 naming what
 * it may not do (what_zh / what_en, e.g. "管理用户" / "manage users"). For settings of the whole
 * appliance (users, the calendar): a caller limited to some halls or departments would otherwise
 * change what other halls see, or hand out wider access than their own. */
bool hw_web_unrestricted(HwRequest *req, HwReply *reply, const char *what_zh, const char *what_en);

/* argon2id hashing and verifying within the server's bound on concurrent hashes (each takes
 * 64 MiB): hw_auth_password_hash/verify for handlers. */
char *hw_web_password_hash(HwRequest *req, const char *password, GError **error);
bool hw_web_password_verify(HwRequest *req, const char *hash, const char *password);
/* Sets the session cookie to value for max_age_s seconds ("" and 0: removes it). */
void hw_web_session_cookie(HwRequest *req, HwReply *reply, const char *value, int64_t max_age_s);
/* One audit row by the caller from the request's address; detail (nullable) is taken. TRUE if
 * written (or if the server has no audit log: fuzzing, benchmarks). Inside a store transaction
 * (hw_store_begin) the row joins it, so a change and its row are written together or not at all. */
bool hw_web_audit(HwRequest *req, const char *action, const char *object_type,
                  const char *object_id, json_t *detail);

/* Starts the live view's thread for the channels of live (web/live.c). */
HwLiveServer *hw_live_server_new(HwHttp *http, HwLive *live, GError **error);
/* Closes every live connection and stops the thread; before MHD_stop_daemon. NULL is fine. */
void hw_live_server_free(HwLiveServer *srv);

/* ---- case footage (web/case_footage.c) ------------------------------------------------------- */

/* The footage of one stage event of a case: its window (resolved by hall and code; window_id 0
 * when the event names none or an unknown one), the span [from, to] (to > from only for the
 * window interaction: the ticket call up to the acceptance) and the linked cameras with their
 * ranges and coverage (empty when no camera covered the window then). */
typedef struct {
  const HwStoreStageEvent *event; /* borrowed from the stage array */
  int64_t window_id;
  hw_time_ns from_ns, to_ns;
  int64_t pre_roll_ns, post_roll_ns;
  HwFootageLink *links;
  size_t n_links;
} HwCaseStageLink;

/* The links of every stage event of case c (stages[0..n) from hw_store_case_stages), or only of
 * the event with id only_event (> 0), with the rolls of each stage type (NULL: the defaults). *ret is an array of *ret_n (free with
 * hw_case_stage_links_free). */
bool hw_case_stage_links(HwStore *store, const HwStoreCase *c, const HwStoreStageEvent *stages,
                         size_t n, int64_t only_event, const HwFootageRolls *rolls,
                         hw_time_ns now, HwCaseStageLink **ret, size_t *ret_n, GError **error);
void hw_case_stage_links_free(HwCaseStageLink *links, size_t n);
/* The case of store id id_text within the caller's department and hall scope; false with the
 * reply set (404 when it is not there or outside the scope). */
bool hw_web_case_get(HwRequest *req, HwReply *reply, const char *id_text, HwStoreCase *ret);

/* ---- playback (web/playback.c) ---------------------------------------------------------------- */

HwPlaybackSessions *hw_playback_sessions_new(void);
/* Sets "covered", "gaps" (reason, detail), "truncated", "next_from" of a coverage on o. */
void hw_web_coverage_json(json_t *o, const HwFootageCoverage *c);
void hw_playback_sessions_free(HwPlaybackSessions *s);

/* An HTTP Range header against a resource of size bytes (RFC 9110 §14): one range
 * "bytes=a-b", "bytes=a-" or the suffix "bytes=-n"; a last position past the end is cut to it.
 * HW_RANGE_NONE: no header, another unit, or several ranges (then the whole resource is sent,
 * as RFC 9110 allows); HW_RANGE_OK: *ret_first, *ret_len set; HW_RANGE_UNSATISFIABLE: 416 (a
 * first position at or past the end, a zero suffix, an empty resource); HW_RANGE_INVALID: a
 * malformed bytes range (b < a, not numbers), also answered 416 with the reason. */
typedef enum { HW_RANGE_NONE, HW_RANGE_OK, HW_RANGE_UNSATISFIABLE, HW_RANGE_INVALID } HwRangeResult;
HwRangeResult hw_web_parse_range(const char *header, uint64_t size, uint64_t *ret_first,
                                 uint64_t *ret_len);

G_END_DECLS
