/* Shared between web/ files only: the renderers of the status routes (pure functions of a status
 * snapshot and the current time, testable without a socket), the request and reply as the server
 * builds them, and the sign-in checks that web/auth.c runs for the dispatcher of web/hw_http.c. */
#pragma once

#include <glib.h>
#include <microhttpd.h>

#include "capture/hw_recorder.h"
#include "web/hw_http.h"
#include "web/hw_route.h"
#include "web/routes.h"

G_BEGIN_DECLS

/* Prometheus text format 0.0.4 for statuses[0..n) at wall-clock time now. Returns a newly
 * allocated string (g_free). */
char *hw_web_render_metrics(const HwCameraStatus *statuses, size_t n, hw_time_ns now);

/* The JSON array of GET /api/v1/cameras, serialised; newly allocated (g_free). Holds no
 * credential: the status carries none, and URL userinfo in error texts is masked. */
char *hw_web_render_cameras(const HwCameraStatus *statuses, size_t n);

/* text with the userinfo of every URL in it ("user:pass@") replaced by "***@" (newly allocated). */
char *hw_web_mask_credentials(const char *text);

/* ---- server internals ------------------------------------------------------------------------ */

typedef struct HwAuth HwAuth;

struct HwHttp {
  struct MHD_Daemon *daemon;
  int port;
  HwHttpOptions opt; /* host is not kept */
  bool secure_cookies; /* TRUE with TLS; FALSE on loopback plain HTTP, where browsers drop them */
  char *tls_cert;      /* PEM, NULL without TLS */
  char *tls_key;       /* PEM, NULL without TLS; zeroed when freed */
  HwAuth *auth;
  const HwRoute *routes;
  size_t n_routes;
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
};

struct HwReply {
  int status;
  const char *content_type;
  char *body; /* g_malloc'd, owned */
  size_t len;
  bool has_fd; /* hw_reply_fd: the body is fd from fd_offset, fd_len bytes (owned) */
  int fd;
  uint64_t fd_offset, fd_len;
  GPtrArray *headers; /* name, value, name, value… (owned strings) */
};

HwAuth *hw_auth_new(HwHttp *http, GError **error);
void hw_auth_free(HwAuth *auth);
/* Identifies the caller from the session cookie or the Bearer token and checks the route's
 * permission and, for state-changing methods with a session, the CSRF token. TRUE if the handler
 * may run; FALSE with the error (401/403) put in reply. */
gboolean hw_auth_check(HwAuth *auth, HwRequest *req, HwReply *reply);

G_END_DECLS
