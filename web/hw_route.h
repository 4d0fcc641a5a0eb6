/* Stable API for route files: what a route handler in web/ sees of a request and how it answers.
 * A route file defines handlers `void hw_route_<name>(HwRequest *, HwReply *)`, declares them in
 * web/handlers.h and adds one line per route to the table in web/routes.c, with its permission
 * (the only place that says who may call what). By the time a handler runs, the caller has been
 * authenticated, the permission checked, the CSRF token checked (state-changing methods), the
 * body size capped and a JSON body parsed: a handler only checks scope on the objects it touches
 * (hw_request_scope_allows) and validates fields. All pointers returned are borrowed and live as
 * long as the request. Handlers run on libmicrohttpd's thread pool, several at once. */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/hw_audit.h"
#include "capture/hw_recorder.h"
#include "sql/hw_store.h"

G_BEGIN_DECLS

typedef struct HwRequest HwRequest;
typedef struct HwReply HwReply;

typedef void (*HwRouteFn)(HwRequest *req, HwReply *reply);

/* ---- roles and permissions ------------------------------------------------------------------ */

typedef enum {
  HW_ROLE_NONE = 0, /* not a user (no credential, or a department token) */
  HW_ROLE_ADMIN,
  HW_ROLE_AUDITOR,
  HW_ROLE_SUPERVISOR,
  HW_ROLE_HALL_MANAGER,
  HW_ROLE_INVESTIGATOR,
  HW_ROLE_VIEWER,
  HW_ROLE_COUNT
} HwRole;

/* "admin", "auditor", "supervisor", "hall_manager", "investigator", "viewer"; NULL for NONE or
 * out of range. */
const char *hw_role_name(HwRole role);
/* The role of a name, HW_ROLE_NONE if unknown. */
HwRole hw_role_from_name(const char *name);

#define HW_ROLE_BIT(r) (1u << (r))
#define HW_ROLES_ALL                                                                               \
  (HW_ROLE_BIT(HW_ROLE_ADMIN) | HW_ROLE_BIT(HW_ROLE_AUDITOR) | HW_ROLE_BIT(HW_ROLE_SUPERVISOR) |   \
   HW_ROLE_BIT(HW_ROLE_HALL_MANAGER) | HW_ROLE_BIT(HW_ROLE_INVESTIGATOR) |                         \
   HW_ROLE_BIT(HW_ROLE_VIEWER))

/* Who may call a route besides the signed-in roles. */
#define HW_ACCESS_PUBLIC (1u << 0)     /* anyone, no credential (health, later case status) */
#define HW_ACCESS_LOOPBACK (1u << 1)   /* anyone without a credential from 127.0.0.1/::1 */
#define HW_ACCESS_DEPARTMENT (1u << 2) /* department systems' API tokens (exchange API) */

/* A route's permission. The all-zero value means "not given": such a route fails to register
 * and the server refuses to start. */
typedef struct {
  unsigned roles;  /* HW_ROLE_BIT()s of the signed-in users allowed */
  unsigned access; /* HW_ACCESS_* */
} HwPermission;

/* ---- the caller ----------------------------------------------------------------------------- */

typedef enum {
  HW_CALLER_NONE = 0,   /* no credential (public or loopback route) */
  HW_CALLER_USER,       /* a signed-in user (session cookie) */
  HW_CALLER_DEPARTMENT, /* a department system (Authorization: Bearer <API token>) */
} HwCallerKind;

typedef struct {
  HwCallerKind kind;
  int64_t id;             /* users.id or api_tokens.id; 0 for NONE */
  const char *name;       /* user name or token name; "" for NONE */
  HwRole role;            /* HW_ROLE_NONE unless kind is USER */
  const char *department; /* the token's department code; NULL unless kind is DEPARTMENT */
} HwCaller;

typedef enum {
  HW_SCOPE_HALL,
  HW_SCOPE_DEPARTMENT,
} HwScopeKind;

/* ---- request accessors ---------------------------------------------------------------------- */

const char *hw_request_method(const HwRequest *req); /* "GET", "POST", … (HEAD shows as HEAD) */
const char *hw_request_path(const HwRequest *req);   /* decoded path, without the query */
/* The value of a {name} segment of the route's pattern, NULL if the pattern has none. */
const char *hw_request_param(const HwRequest *req, const char *name);
/* A query-string argument (decoded), NULL if absent. */
const char *hw_request_query(const HwRequest *req, const char *name);
/* A request header (case-insensitive name), NULL if absent. */
const char *hw_request_header(const HwRequest *req, const char *name);
/* The parsed JSON body (borrowed), NULL when the request had no body. A body that is not valid
 * JSON never reaches a handler (400 invalid_json); nor does one beyond the size cap (413). */
json_t *hw_request_json(const HwRequest *req);
/* The raw body bytes (NUL-terminated copy) and length; NULL/0 when none. */
const char *hw_request_body(const HwRequest *req, size_t *ret_len);
/* A raw upload's temporary file, complete, and its size (routes that take one:
 * hw_route_takes_upload); NULL when the body came as JSON or not at all. The file is the
 * server's: it is removed when the request ends. */
const char *hw_request_upload(const HwRequest *req, int64_t *ret_size);

const HwCaller *hw_request_caller(const HwRequest *req);
/* The client's address as text ("127.0.0.1", "::1"), for the audit log. */
const char *hw_request_client_address(const HwRequest *req);
bool hw_request_from_loopback(const HwRequest *req);

/* Whether the caller may see an object of hall/department `code`. A user with no scope of that
 * kind is unrestricted in it; a department token is limited to its own department (and sees no
 * hall restriction). A caller without credential is allowed nothing scoped. */
bool hw_request_scope_allows(const HwRequest *req, HwScopeKind kind, const char *code);
/* The codes the caller is limited to (NULL-terminated, borrowed), or NULL if unrestricted in
 * that kind: pass it to store queries so filtering happens in SQL. */
const char *const *hw_request_scope_codes(const HwRequest *req, HwScopeKind kind);

/* Services of the daemon. */
HwStore *hw_request_store(const HwRequest *req);
/* The `app` pointer of HwHttpOptions (the daemon's wiring, e.g. for the recorder). */
void *hw_request_app(const HwRequest *req);
/* The audit log (HwHttpOptions.audit), borrowed; NULL if the server was started without one. */
HwAudit *hw_request_audit(const HwRequest *req);
/* cases: the hall's current working-day calendar (transfer full: hw_calendar_unref), from the
 * daemon's calendar source, or the shipped arrangements in the default zone when the server was
 * started without one; NULL with error if neither can be built. */
struct HwCalendar *hw_request_calendar(const HwRequest *req, GError **error);
/* The warnings engine (HwHttpOptions.warnings; struct HwWarnings of cases/hw_warnings.h), NULL
 * if the server was started without one. */
struct HwWarnings *hw_request_warnings(const HwRequest *req);
/* The daemon's settings hooks (web/hw_settings.h), or NULL. */
const struct HwSettingsHooks *hw_request_settings(const HwRequest *req);
/* A camera status snapshot (transfer full: g_free), length in *ret_n. */
HwCameraStatus *hw_request_camera_status(const HwRequest *req, size_t *ret_n);

/* ---- replies -------------------------------------------------------------------------------- */

/* A JSON reply; takes ownership of body (json_decref'd by the server). */
void hw_reply_json(HwReply *reply, int status, json_t *body);
/* The error shape of every route: {"error":{"code":…,"message":…,"field":…}}; field may be NULL
 * (then omitted). code is a short snake_case word a program can switch on ("invalid_field",
 * "not_found", "forbidden", "conflict", …); the message is for a person and must not echo
 * secrets. */
void hw_reply_error(HwReply *reply, int status, const char *code, const char *field,
                    const char *fmt, ...) G_GNUC_PRINTF(5, 6);
/* A non-JSON reply; takes body (g_malloc'd, g_free'd by the server) of len bytes. */
void hw_reply_take(HwReply *reply, int status, const char *content_type, char *body, size_t len);
/* A reply whose body is len bytes of the open file fd from offset, sent with sendfile(2) on plain
 * HTTP (under TLS libmicrohttpd reads the file into its buffer and encrypts it: no sendfile).
 * Takes ownership of fd (closed after the reply, or at once if the reply is replaced). The caller
 * has checked that [offset, offset+len) lies within the bytes it may serve; Content-Length is
 * len. For 206 the caller adds Content-Range itself. */
void hw_reply_file(HwReply *reply, int status, const char *content_type, int fd, uint64_t offset,
                   uint64_t len);
/* An extra response header (copied). */
void hw_reply_header(HwReply *reply, const char *name, const char *value);

G_END_DECLS
