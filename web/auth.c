/* Sign-in: passwords (argon2id), sessions in HttpOnly cookies with idle and absolute expiry, CSRF
 * tokens, lock-out per user and rate limit per address, department API tokens, and the check
 * that every non-public request passes before its handler runs (hw_auth_check). Secrets never
 * leave this file except to their owner: the store keeps hashes only, and nothing is logged. */
#include "web/hw_auth.h"

#include <sodium.h>
#include <string.h>

#include "common/hw_time.h"
#include "sql/hw_store_auth.h"
#include "web/handlers.h"
#include "web/internal.h"

#define SESSION_COOKIE "hw_session"
#define TOKEN_PREFIX "hwt_" /* API tokens are recognisable if they leak into a log or a repo */
#define PASSWORD_MIN 10
#define PASSWORD_MAX 1024 /* argon2 takes any length; a bound keeps a body from being hashed at MBs */
#define HASH_CONCURRENCY 2 /* each argon2id hash takes 64 MiB: at most this many at once */
/* An address gets this many times the per-user allowance before it is throttled: a hall's
 * workstations may share one NAT address, and one person's typos must not lock out the hall. */
#define ADDRESS_FACTOR 4
#define ADDRESSES_MAX 4096 /* bounded memory under a spray from many addresses */
/* last_seen is written at most this often per session (one write per request would make every
 * GET a synchronous SQLite commit); the idle expiry is accurate to this or idle/10. */
#define TOUCH_INTERVAL (60 * HW_NS_PER_S)

/* ---- passwords and tokens (web/hw_auth.h) ---------------------------------------------------- */

gboolean hw_auth_init(GError **error)
{
  if (sodium_init() < 0) {
    g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_START, "libsodium cannot be initialised");
    return FALSE;
  }
  return TRUE;
}

char *hw_auth_password_hash(const char *password, GError **error)
{
  char out[crypto_pwhash_STRBYTES];
  if (crypto_pwhash_str(out, password, strlen(password), crypto_pwhash_OPSLIMIT_INTERACTIVE,
                        crypto_pwhash_MEMLIMIT_INTERACTIVE) != 0) {
    g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_START,
                "cannot hash the password (out of memory? argon2id needs %zu MiB)",
                (size_t)crypto_pwhash_MEMLIMIT_INTERACTIVE >> 20);
    return NULL;
  }
  return g_strdup(out);
}

bool hw_auth_password_verify(const char *hash, const char *password)
{
  return crypto_pwhash_str_verify(hash, password, strlen(password)) == 0;
}

char *hw_auth_password_generate(void)
{
  /* No 0/O, 1/l/I: the password is read off a terminal and typed in by a person. */
  static const char alphabet[] = "abcdefghijkmnopqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
  char *out = g_malloc(21);
  for (int i = 0; i < 20; i++)
    out[i] = alphabet[randombytes_uniform(sizeof alphabet - 1)];
  out[20] = '\0';
  return out;
}

const char *hw_auth_password_weakness(const char *password)
{
  size_t n = g_utf8_strlen(password, -1);
  if (!g_utf8_validate(password, -1, NULL))
    return "the password is not valid UTF-8";
  if (n < PASSWORD_MIN)
    return "the password needs at least 10 characters";
  if (strlen(password) > PASSWORD_MAX)
    return "the password is longer than 1024 bytes";
  return NULL;
}

bool hw_auth_valid_code(const char *s)
{
  size_t n = strlen(s);
  if (n == 0 || n > HW_STORE_NAME_MAX)
    return false;
  for (size_t i = 0; i < n; i++)
    if (!g_ascii_isalnum(s[i]) && s[i] != '.' && s[i] != '_' && s[i] != '-')
      return false;
  return true;
}

char *hw_auth_token_new(const char *prefix)
{
  unsigned char raw[32];
  randombytes_buf(raw, sizeof raw);
  char b64[sodium_base64_ENCODED_LEN(32, sodium_base64_VARIANT_URLSAFE_NO_PADDING)];
  sodium_bin2base64(b64, sizeof b64, raw, sizeof raw, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
  sodium_memzero(raw, sizeof raw);
  return g_strconcat(prefix ? prefix : "", b64, NULL);
}

void hw_auth_token_hash(const char *token, char out[65])
{
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, (const unsigned char *)token, strlen(token));
  sodium_bin2hex(out, 65, h, sizeof h);
}

/* ---- state of the server's sign-in ----------------------------------------------------------- */

typedef struct {
  int failures;
  hw_time_ns window_start;
  hw_time_ns locked_until;
  bool refusal_recorded; /* the audit row of this lock's first refused attempt is written */
} AddressState;

struct HwAuth {
  HwHttp *http;
  GMutex lock; /* addresses */
  GHashTable *addresses; /* address text → AddressState */
  GMutex hash_lock;
  GCond hash_cond;
  int hashing;
  /* Verified against when the user is unknown, so that an unknown name takes as long as a
   * wrong password and names cannot be found by timing. */
  char *dummy_hash;
};

HwAuth *hw_auth_new(HwHttp *http, GError **error)
{
  if (!hw_auth_init(error))
    return NULL;
  g_autofree char *dummy_pw = hw_auth_password_generate();
  char *dummy = hw_auth_password_hash(dummy_pw, error);
  if (!dummy)
    return NULL;
  HwAuth *a = g_new0(HwAuth, 1);
  a->http = http;
  g_mutex_init(&a->lock);
  g_mutex_init(&a->hash_lock);
  g_cond_init(&a->hash_cond);
  a->addresses = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  a->dummy_hash = dummy;
  return a;
}

void hw_auth_free(HwAuth *a)
{
  if (!a)
    return;
  g_hash_table_unref(a->addresses);
  g_mutex_clear(&a->lock);
  g_mutex_clear(&a->hash_lock);
  g_cond_clear(&a->hash_cond);
  g_free(a->dummy_hash);
  g_free(a);
}

/* At most HASH_CONCURRENCY argon2id computations at once (64 MiB each). */
static void hash_slot_take(HwAuth *a)
{
  g_mutex_lock(&a->hash_lock);
  while (a->hashing >= HASH_CONCURRENCY)
    g_cond_wait(&a->hash_cond, &a->hash_lock);
  a->hashing++;
  g_mutex_unlock(&a->hash_lock);
}

static void hash_slot_give(HwAuth *a)
{
  g_mutex_lock(&a->hash_lock);
  a->hashing--;
  g_cond_signal(&a->hash_cond);
  g_mutex_unlock(&a->hash_lock);
}

static bool verify_bounded(HwAuth *a, const char *hash, const char *password)
{
  hash_slot_take(a);
  bool ok = hw_auth_password_verify(hash, password);
  hash_slot_give(a);
  return ok;
}

char *hw_web_password_hash(HwRequest *req, const char *password, GError **error)
{
  hash_slot_take(req->http->auth);
  char *hash = hw_auth_password_hash(password, error);
  hash_slot_give(req->http->auth);
  return hash;
}

bool hw_web_password_verify(HwRequest *req, const char *hash, const char *password)
{
  return verify_bounded(req->http->auth, hash, password);
}

/* The end of the address's throttle, or 0 if it may try. *ret_first says whether this is the
 * first refusal of the current lock: only that one is audited, because refused attempts cost the
 * client no argon2 hash and a spray would otherwise turn into one audit commit per request. */
static hw_time_ns address_locked_until(HwAuth *a, const char *addr, hw_time_ns now,
                                       bool *ret_first)
{
  g_mutex_lock(&a->lock);
  AddressState *s = g_hash_table_lookup(a->addresses, addr);
  hw_time_ns until = s && s->locked_until > now ? s->locked_until : 0;
  *ret_first = until && !s->refusal_recorded;
  if (*ret_first)
    s->refusal_recorded = true;
  g_mutex_unlock(&a->lock);
  return until;
}

static void address_failed(HwAuth *a, const char *addr, hw_time_ns now)
{
  const HwHttpOptions *o = &a->http->opt;
  g_mutex_lock(&a->lock);
  AddressState *s = g_hash_table_lookup(a->addresses, addr);
  if (!s) {
    if (g_hash_table_size(a->addresses) >= ADDRESSES_MAX)
      g_hash_table_remove_all(a->addresses); /* crude, but bounded; users stay locked in the store */
    s = g_new0(AddressState, 1);
    g_hash_table_insert(a->addresses, g_strdup(addr), s);
  }
  if (now - s->window_start > o->lockout_for_ns) {
    s->window_start = now;
    s->failures = 0;
  }
  if (++s->failures >= o->lockout_after * ADDRESS_FACTOR) {
    s->locked_until = now + o->lockout_for_ns;
    s->refusal_recorded = false;
    s->failures = 0;
    s->window_start = now;
  }
  g_mutex_unlock(&a->lock);
}

static void address_ok(HwAuth *a, const char *addr)
{
  g_mutex_lock(&a->lock);
  g_hash_table_remove(a->addresses, addr);
  g_mutex_unlock(&a->lock);
}

/* ---- the check before every non-public handler ----------------------------------------------- */

static gboolean is_state_changing(const char *method)
{
  return strcmp(method, "GET") != 0 && strcmp(method, "HEAD") != 0;
}

static gboolean load_user_into(HwRequest *req, const HwStoreUser *u, GError **error)
{
  HwStore *store = req->http->opt.store;
  g_auto(GStrv) halls = NULL;
  g_auto(GStrv) departments = NULL;
  if (!hw_store_user_scopes(store, u->id, "hall", &halls, error) ||
      !hw_store_user_scopes(store, u->id, "department", &departments, error))
    return FALSE;
  req->caller.kind = HW_CALLER_USER;
  req->caller.id = u->id;
  req->caller.role = hw_role_from_name(u->role);
  g_strlcpy(req->caller_name, u->name, sizeof req->caller_name);
  req->caller.name = req->caller_name;
  /* An empty list means "not limited": keep NULL for that, as hw_request_scope_codes says. */
  if (halls[0])
    req->scope_halls = g_steal_pointer(&halls);
  if (departments[0])
    req->scope_departments = g_steal_pointer(&departments);
  return TRUE;
}

static gboolean internal_error(HwReply *reply, GError *error)
{
  /* The store's message may name tables; it is no secret, and an operator needs it. */
  hw_reply_error(reply, 500, "internal", NULL, "%s", error ? error->message : "internal error");
  return FALSE;
}

/* Identifies the caller from a Bearer token. FALSE with reply set if the token is not valid. */
static gboolean auth_bearer(HwAuth *a, HwRequest *req, const char *token, HwReply *reply)
{
  char hash[65];
  hw_auth_token_hash(token, hash);
  HwStoreToken t;
  g_autoptr(GError) error = NULL;
  if (!hw_store_token_get(a->http->opt.store, hash, &t, &error)) {
    if (!g_error_matches(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND))
      return internal_error(reply, error);
    hw_reply_error(reply, 401, "invalid_token", NULL, "the API token is not valid");
    return FALSE;
  }
  if (t.revoked_ns != 0) {
    hw_reply_error(reply, 401, "invalid_token", NULL, "the API token has been revoked");
    return FALSE;
  }
  req->caller.kind = HW_CALLER_DEPARTMENT;
  req->caller.id = t.id;
  g_strlcpy(req->caller_name, t.name, sizeof req->caller_name);
  g_strlcpy(req->caller_department, t.department, sizeof req->caller_department);
  req->caller.name = req->caller_name;
  req->caller.department = req->caller_department;
  req->scope_departments = g_new0(char *, 2);
  req->scope_departments[0] = g_strdup(t.department);
  return TRUE;
}

/* Identifies the caller from the session cookie. FALSE with reply set if it is not valid. */
static gboolean auth_session(HwAuth *a, HwRequest *req, const char *token, HwReply *reply)
{
  const HwHttpOptions *o = &a->http->opt;
  HwStore *store = o->store;
  char hash[65];
  hw_auth_token_hash(token, hash);
  HwStoreSession s;
  g_autoptr(GError) error = NULL;
  if (!hw_store_session_get(store, hash, &s, &error)) {
    if (!g_error_matches(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND))
      return internal_error(reply, error);
    hw_reply_error(reply, 401, "session_expired", NULL,
                   "the session has ended (signed out or expired); sign in again");
    return FALSE;
  }
  hw_time_ns now = hw_time_now();
  if (now - s.last_seen_ns > o->session_idle_ns || now - s.created_ns > o->session_max_ns) {
    hw_store_session_delete(store, hash, NULL);
    hw_reply_error(reply, 401, "session_expired", NULL, "the session has expired; sign in again");
    return FALSE;
  }
  HwStoreUser u;
  if (!hw_store_user_get_by_id(store, s.user_id, &u, &error))
    return internal_error(reply, error);
  if (u.disabled) {
    hw_reply_error(reply, 401, "session_expired", NULL, "the account is disabled");
    return FALSE;
  }
  if (!load_user_into(req, &u, &error))
    return internal_error(reply, error);
  g_strlcpy(req->session_hash, hash, sizeof req->session_hash);

  if (is_state_changing(req->method)) {
    /* The cookie rides along on any request the browser makes; the header only on ours. */
    const char *csrf = hw_request_header(req, "X-CSRF-Token");
    size_t want = strlen(s.csrf_token);
    if (!csrf || strlen(csrf) != want || sodium_memcmp(csrf, s.csrf_token, want) != 0) {
      hw_reply_error(reply, 403, "csrf_required", "X-CSRF-Token",
                     "state-changing requests need the X-CSRF-Token header given at sign-in");
      return FALSE;
    }
  }
  if (now - s.last_seen_ns > MIN(TOUCH_INTERVAL, o->session_idle_ns / 10))
    hw_store_session_touch(store, hash, now, NULL); /* best effort: a failure only shortens it */
  return TRUE;
}

static const char *bearer_token(HwRequest *req)
{
  const char *h = hw_request_header(req, MHD_HTTP_HEADER_AUTHORIZATION);
  if (!h || g_ascii_strncasecmp(h, "Bearer ", 7) != 0)
    return NULL;
  return h + 7;
}

gboolean hw_auth_check(HwAuth *a, HwRequest *req, HwReply *reply)
{
  const HwPermission *p = &req->route->permission;
  const char *bearer = bearer_token(req);
  const char *cookie = MHD_lookup_connection_value(req->conn, MHD_COOKIE_KIND, SESSION_COOKIE);

  if (bearer) {
    if (!auth_bearer(a, req, bearer, reply))
      return FALSE;
  } else if (cookie && *cookie) {
    if (!auth_session(a, req, cookie, reply))
      return FALSE;
  } else if ((p->access & HW_ACCESS_LOOPBACK) && req->loopback) {
    return TRUE; /* caller NONE */
  } else {
    hw_reply_error(reply, 401, "unauthenticated", NULL, "sign in first");
    return FALSE;
  }

  if (req->caller.kind == HW_CALLER_DEPARTMENT) {
    if (p->access & HW_ACCESS_DEPARTMENT)
      return TRUE;
    hw_reply_error(reply, 403, "forbidden", NULL,
                   "department API tokens may call only the exchange API");
    return FALSE;
  }
  if (p->roles & HW_ROLE_BIT(req->caller.role))
    return TRUE;
  hw_reply_error(reply, 403, "forbidden", NULL, "the role %s may not %s %s",
                 hw_role_name(req->caller.role), req->method, req->route->pattern);
  return FALSE;
}

/* ---- audit rows of sign-in and tokens --------------------------------------------------------- */

/* One row from this request's address; detail (nullable) is taken. TRUE if written, or if the
 * server has no audit log (fuzzing, benchmarks: the daemon always gives one). */
static bool audit_row(HwRequest *req, const char *actor, const char *role, const char *action,
                      const char *object_type, const char *object_id, json_t *detail)
{
  HwAudit *audit = hw_request_audit(req);
  char *text = detail ? json_dumps(detail, JSON_COMPACT) : NULL;
  if (detail)
    json_decref(detail);
  bool ok = audit == NULL || hw_audit_record(audit, actor, role ? role : "", req->addr, action,
                                             object_type, object_id, text, NULL);
  free(text);
  return ok;
}

bool hw_web_audit(HwRequest *req, const char *action, const char *object_type,
                  const char *object_id, json_t *detail)
{
  return audit_row(req, req->caller.name, hw_role_name(req->caller.role), action, object_type,
                   object_id, detail);
}

/* The reply when a row could not be written; done says what happened regardless. */
static void reply_audit_failed(HwReply *reply, const char *done)
{
  hw_reply_error(reply, 500, "audit_failed", NULL, "%sthe audit log could not record it", done);
}

/* A refused sign-in: the name tried (never the password) and why: "wrong_password", "locked",
 * "unknown_user", "address_limited" or "disabled" (the client hears only "wrong user name or
 * password" for the last three of those it must not tell apart). The refusal stands either
 * way; if the row cannot be written the answer becomes 500 like a successful sign-in's would
 * (below), so sign-in as a whole is unavailable while the log is, and no attempt goes unseen
 * behind a normal-looking answer. FALSE (reply replaced) if the row was not written. */
/* The actor of a refused sign-in whose name matches no user. */
#define UNKNOWN_USER "(unknown user)"

static bool audit_login_failed(HwRequest *req, HwReply *reply, const char *username,
                               const char *role, const char *reason, hw_time_ns locked_until)
{
  json_t *detail = json_pack("{s:s}", "reason", reason);
  if (locked_until) {
    char when[40];
    json_object_set_new(detail, "locked_until",
                        json_string(hw_time_format(locked_until, when, sizeof when)));
  }
  if (audit_row(req, username, role, "auth.login_failed", "user", username, detail))
    return true;
  g_free(reply->body);
  reply->body = NULL;
  if (reply->headers)
    g_ptr_array_set_size(reply->headers, 0);
  reply_audit_failed(reply, "sign-in refused, and ");
  return false;
}

/* ---- routes: sign-in -------------------------------------------------------------------------- */

static const char *json_field_string(HwReply *reply, json_t *body, const char *field, size_t max)
{
  json_t *v = body ? json_object_get(body, field) : NULL;
  if (!json_is_string(v) || json_string_length(v) == 0) {
    hw_reply_error(reply, 400, "invalid_field", field, "%s: a non-empty string is required", field);
    return NULL;
  }
  if (json_string_length(v) > max) {
    hw_reply_error(reply, 400, "invalid_field", field, "%s: longer than %zu bytes", field, max);
    return NULL;
  }
  return json_string_value(v);
}

static void reply_locked(HwReply *reply, hw_time_ns until)
{
  char when[40];
  hw_time_format(until, when, sizeof when);
  g_autofree char *retry = g_strdup_printf("%" G_GINT64_FORMAT,
                                           MAX((until - hw_time_now()) / HW_NS_PER_S, 1));
  hw_reply_header(reply, "Retry-After", retry);
  hw_reply_error(reply, 423, "account_locked", NULL,
                 "account locked until %s after too many failed sign-ins; an administrator can "
                 "unlock it with hallwatchd user passwd",
                 when);
}

void hw_web_session_cookie(HwRequest *req, HwReply *reply, const char *value, int64_t max_age_s)
{
  g_autofree char *cookie =
    g_strdup_printf(SESSION_COOKIE "=%s; HttpOnly;%s SameSite=Strict; Path=/; Max-Age=%" G_GINT64_FORMAT,
                    value, req->http->secure_cookies ? " Secure;" : "", max_age_s);
  hw_reply_header(reply, "Set-Cookie", cookie);
}

void hw_route_auth_login(HwRequest *req, HwReply *reply)
{
  HwAuth *a = req->http->auth;
  const HwHttpOptions *o = &req->http->opt;
  json_t *body = hw_request_json(req);
  const char *username = json_field_string(reply, body, "username", HW_STORE_NAME_MAX);
  if (!username)
    return;
  const char *password = json_field_string(reply, body, "password", PASSWORD_MAX);
  if (!password)
    return;

  hw_time_ns now = hw_time_now();
  bool first_refusal = false;
  hw_time_ns addr_until = address_locked_until(a, req->addr, now, &first_refusal);
  if (addr_until) {
    char when[40];
    hw_time_format(addr_until, when, sizeof when);
    g_autofree char *retry = g_strdup_printf("%" G_GINT64_FORMAT,
                                             MAX((addr_until - now) / HW_NS_PER_S, 1));
    hw_reply_header(reply, "Retry-After", retry);
    hw_reply_error(reply, 429, "rate_limited", NULL,
                   "too many failed sign-ins from this address; try again after %s", when);
    if (first_refusal) {
      /* Only names of real users go in the log: people type passwords into the name box. */
      HwStoreUser known;
      bool exists = hw_store_user_get(o->store, username, &known, NULL);
      audit_login_failed(req, reply, exists ? known.name : UNKNOWN_USER, exists ? known.role : NULL,
                         "address_limited", addr_until);
    }
    return;
  }

  HwStoreUser u;
  g_autoptr(GError) error = NULL;
  if (!hw_store_user_get(o->store, username, &u, &error)) {
    if (!g_error_matches(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND)) {
      internal_error(reply, error);
      return;
    }
    verify_bounded(a, a->dummy_hash, password);
    address_failed(a, req->addr, now);
    hw_reply_error(reply, 401, "bad_credentials", NULL, "wrong user name or password");
    /* The name tried is not recorded: it is often a password typed into the wrong box. */
    audit_login_failed(req, reply, UNKNOWN_USER, NULL, "unknown_user", 0);
    return;
  }
  if (u.locked_until_ns > now) {
    reply_locked(reply, u.locked_until_ns);
    audit_login_failed(req, reply, u.name, u.role, "locked", u.locked_until_ns);
    return;
  }
  bool ok = verify_bounded(a, u.password_hash, password);
  if (!ok || u.disabled) {
    address_failed(a, req->addr, now);
    hw_time_ns until = 0;
    if (!ok && !hw_store_user_login_failed(o->store, u.id, now, o->lockout_after,
                                           o->lockout_for_ns, &until, &error)) {
      internal_error(reply, error);
      return;
    }
    if (until)
      reply_locked(reply, until);
    else
      hw_reply_error(reply, 401, "bad_credentials", NULL, "wrong user name or password");
    audit_login_failed(req, reply, u.name, u.role, ok ? "disabled" : "wrong_password", until);
    return;
  }

  if (!hw_store_user_login_ok(o->store, u.id, &error)) {
    internal_error(reply, error);
    return;
  }
  address_ok(a, req->addr);
  /* Expired sessions are swept at sign-in: cheap, and no timer needed. */
  hw_store_sessions_expire(o->store, now - o->session_idle_ns, now - o->session_max_ns, NULL);

  g_autofree char *token = hw_auth_token_new(NULL);
  g_autofree char *csrf = hw_auth_token_new(NULL);
  HwStoreSession s = {.user_id = u.id, .created_ns = now, .last_seen_ns = now};
  hw_auth_token_hash(token, s.token_hash);
  g_strlcpy(s.csrf_token, csrf, sizeof s.csrf_token);
  if (!hw_store_session_add(o->store, &s, &error)) {
    internal_error(reply, error);
    return;
  }
  /* A sign-in that cannot be recorded is refused (500), not let through with a warning: the log
   * is the account of who could see footage, and a session without its auth.login row would be
   * exactly the untraceable access it exists to rule out. The row is written after the session
   * so that it never records a sign-in that then failed; on failure the session is deleted
   * again, and even if that fails its token was never sent, so nobody can use it. */
  if (!audit_row(req, u.name, u.role, "auth.login", "user", u.name,
                 json_pack("{s:I}", "user_id", (json_int_t)u.id))) {
    hw_store_session_delete(o->store, s.token_hash, NULL);
    reply_audit_failed(reply, "sign-in refused: ");
    return;
  }
  hw_web_session_cookie(req, reply, token, o->session_max_ns / HW_NS_PER_S);
  json_t *out = json_object();
  json_object_set_new(out, "user", json_string(u.name));
  json_object_set_new(out, "role", json_string(u.role));
  json_object_set_new(out, "csrf_token", json_string(csrf));
  json_object_set_new(out, "session_idle_s", json_integer(o->session_idle_ns / HW_NS_PER_S));
  json_object_set_new(out, "session_max_s", json_integer(o->session_max_ns / HW_NS_PER_S));
  hw_reply_json(reply, 200, out);
}

void hw_route_auth_logout(HwRequest *req, HwReply *reply)
{
  if (req->session_hash[0]) {
    g_autoptr(GError) error = NULL;
    if (!hw_store_session_delete(req->http->opt.store, req->session_hash, &error)) {
      internal_error(reply, error);
      return;
    }
  }
  hw_web_session_cookie(req, reply, "", 0);
  /* Signing out only narrows access, so it is done even when the row fails; the 500 then tells
   * the client (and whoever watches the server's answers) that the log is not writable. */
  if (!audit_row(req, req->caller.name, hw_role_name(req->caller.role), "auth.logout", "user",
                 req->caller.name, NULL)) {
    reply_audit_failed(reply, "signed out, but ");
    return;
  }
  json_t *out = json_object();
  json_object_set_new(out, "signed_out", json_true());
  hw_reply_json(reply, 200, out);
}

static json_t *json_strv(char **v)
{
  if (!v)
    return json_null();
  json_t *a = json_array();
  for (size_t i = 0; v[i]; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

void hw_route_auth_me(HwRequest *req, HwReply *reply)
{
  json_t *out = json_object();
  json_object_set_new(out, "id", json_integer(req->caller.id));
  json_object_set_new(out, "user", json_string(req->caller.name));
  json_object_set_new(out, "role", json_string(hw_role_name(req->caller.role)));
  /* null: not limited */
  json_object_set_new(out, "halls", json_strv(req->scope_halls));
  json_object_set_new(out, "departments", json_strv(req->scope_departments));
  /* The page may be reloaded and lose the token from memory; a cross-site page cannot read this
   * reply (no CORS), so handing it out again does not weaken it. */
  HwStoreSession s;
  if (req->session_hash[0] && hw_store_session_get(req->http->opt.store, req->session_hash, &s, NULL))
    json_object_set_new(out, "csrf_token", json_string(s.csrf_token));
  hw_reply_json(reply, 200, out);
}

/* ---- routes: department API tokens ---------------------------------------------------------- */

static json_t *json_time_or_null(hw_time_ns t)
{
  if (t == 0)
    return json_null();
  char buf[40];
  return json_string(hw_time_format(t, buf, sizeof buf));
}

static json_t *token_json(const HwStoreToken *t)
{
  json_t *o = json_object();
  json_object_set_new(o, "id", json_integer(t->id));
  json_object_set_new(o, "department", json_string(t->department));
  json_object_set_new(o, "name", json_string(t->name));
  json_object_set_new(o, "created", json_time_or_null(t->created_ns));
  json_object_set_new(o, "revoked", json_time_or_null(t->revoked_ns));
  return o;
}

void hw_route_tokens_create(HwRequest *req, HwReply *reply)
{
  json_t *body = hw_request_json(req);
  const char *department = json_field_string(reply, body, "department", HW_STORE_NAME_MAX);
  if (!department)
    return;
  const char *name = json_field_string(reply, body, "name", HW_STORE_NAME_MAX);
  if (!name)
    return;
  if (!hw_auth_valid_code(department)) {
    hw_reply_error(reply, 400, "invalid_field", "department",
                   "department: " HW_AUTH_CODE_RULE);
    return;
  }
  if (!g_utf8_validate(name, -1, NULL)) {
    hw_reply_error(reply, 400, "invalid_field", "name", "name: not valid UTF-8");
    return;
  }
  if (!hw_request_scope_allows(req, HW_SCOPE_DEPARTMENT, department)) {
    hw_reply_error(reply, 400, "invalid_field", "department",
                   "department %s is outside your departments", department);
    return;
  }
  g_autofree char *token = hw_auth_token_new(TOKEN_PREFIX);
  HwStoreToken t = {0};
  hw_auth_token_hash(token, t.hash);
  g_strlcpy(t.department, department, sizeof t.department);
  g_strlcpy(t.name, name, sizeof t.name);
  t.created_ns = hw_time_now();
  g_autoptr(GError) error = NULL;
  if (!hw_store_token_add(req->http->opt.store, t.department, t.name, t.hash, t.created_ns, &t.id,
                          &error)) {
    internal_error(reply, error);
    return;
  }
  /* Never the token itself, nor its hash: department, name and id identify it. A token whose
   * creation cannot be recorded is revoked at once and never shown, so no usable credential
   * exists without its row. */
  g_autofree char *id_text = g_strdup_printf("%" G_GINT64_FORMAT, t.id);
  if (!audit_row(req, req->caller.name, hw_role_name(req->caller.role), "token.change",
                 "api_token", id_text,
                 json_pack("{s:s, s:s, s:s}", "op", "create", "department", t.department, "name",
                           t.name))) {
    hw_store_token_revoke(req->http->opt.store, t.id, hw_time_now(), NULL);
    reply_audit_failed(reply, "the token was not created: ");
    return;
  }
  json_t *out = token_json(&t);
  /* The only time the token is shown: the store keeps its hash. */
  json_object_set_new(out, "token", json_string(token));
  hw_reply_json(reply, 201, out);
}

void hw_route_tokens_list(HwRequest *req, HwReply *reply)
{
  g_autofree HwStoreToken *ts = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_store_tokens_list(req->http->opt.store, &ts, &n, &error)) {
    internal_error(reply, error);
    return;
  }
  /* A department-limited admin sees its departments' tokens only (a few dozen rows in all:
   * filtered here rather than in SQL). */
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++)
    if (hw_request_scope_allows(req, HW_SCOPE_DEPARTMENT, ts[i].department))
      json_array_append_new(arr, token_json(&ts[i]));
  hw_reply_json(reply, 200, arr);
}

void hw_route_tokens_revoke(HwRequest *req, HwReply *reply)
{
  guint64 id;
  if (!g_ascii_string_to_unsigned(hw_request_param(req, "id"), 10, 1, G_MAXINT64, &id, NULL)) {
    hw_reply_error(reply, 400, "invalid_field", "id", "id: a positive integer is required");
    return;
  }
  g_autoptr(GError) error = NULL;
  /* The row names the token's department and name; only the list has them by id (a few dozen
   * tokens at most). */
  g_autofree HwStoreToken *ts = NULL;
  size_t n = 0;
  if (!hw_store_tokens_list(req->http->opt.store, &ts, &n, &error)) {
    internal_error(reply, error);
    return;
  }
  const HwStoreToken *t = NULL;
  for (size_t i = 0; i < n && !t; i++)
    if (ts[i].id == (int64_t)id)
      t = &ts[i];
  /* Another department's token answers like one that does not exist. */
  if (t == NULL || !hw_request_scope_allows(req, HW_SCOPE_DEPARTMENT, t->department)) {
    hw_reply_error(reply, 404, "not_found", "id", "no valid API token %" G_GUINT64_FORMAT, id);
    return;
  }
  if (!hw_store_token_revoke(req->http->opt.store, (int64_t)id, hw_time_now(), &error)) {
    if (g_error_matches(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND))
      hw_reply_error(reply, 404, "not_found", "id", "no valid API token %" G_GUINT64_FORMAT, id);
    else
      internal_error(reply, error);
    return;
  }
  g_autofree char *id_text = g_strdup_printf("%" G_GUINT64_FORMAT, id);
  if (!audit_row(req, req->caller.name, hw_role_name(req->caller.role), "token.change",
                 "api_token", id_text,
                 json_pack("{s:s, s:s, s:s}", "op", "revoke", "department", t->department,
                           "name", t->name))) {
    reply_audit_failed(reply, "the token was revoked, but ");
    return;
  }
  json_t *out = json_object();
  json_object_set_new(out, "id", json_integer((json_int_t)id));
  json_object_set_new(out, "revoked", json_true());
  hw_reply_json(reply, 200, out);
}

/* A harmless exchange route so the department-token path is tested before the exchange API. */
void hw_route_exchange_ping(HwRequest *req, HwReply *reply)
{
  json_t *out = json_object();
  json_object_set_new(out, "pong", json_true());
  json_object_set_new(out, "department", json_string(req->caller.department));
  hw_reply_json(reply, 200, out);
}

/* ---- roles (web/hw_route.h) ------------------------------------------------------------------ */

static const char *const role_names[HW_ROLE_COUNT] = {
  [HW_ROLE_ADMIN] = "admin",
  [HW_ROLE_AUDITOR] = "auditor",
  [HW_ROLE_SUPERVISOR] = "supervisor",
  [HW_ROLE_HALL_MANAGER] = "hall_manager",
  [HW_ROLE_INVESTIGATOR] = "investigator",
  [HW_ROLE_VIEWER] = "viewer",
};

const char *hw_role_name(HwRole role)
{
  return role > HW_ROLE_NONE && role < HW_ROLE_COUNT ? role_names[role] : NULL;
}

HwRole hw_role_from_name(const char *name)
{
  for (int r = HW_ROLE_NONE + 1; name && r < HW_ROLE_COUNT; r++)
    if (strcmp(name, role_names[r]) == 0)
      return (HwRole)r;
  return HW_ROLE_NONE;
}

bool hw_web_unrestricted(HwRequest *req, HwReply *reply, const char *what_zh, const char *what_en)
{
  if (hw_request_scope_codes(req, HW_SCOPE_HALL) == NULL &&
      hw_request_scope_codes(req, HW_SCOPE_DEPARTMENT) == NULL)
    return true;
  hw_reply_error(reply, 403, "forbidden", NULL,
                 "受大厅/部门范围限制的用户不能%s / a user limited to halls or departments cannot %s",
                 what_zh, what_en);
  return false;
}
