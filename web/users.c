/* User management over the API (admins only, web/routes.c) and the own-password change of any
 * signed-in user. The rules live in one place each: names and passwords in web/auth.c
 * (hw_auth_valid_code, hw_auth_password_weakness, shared with `hallwatchd user`), "at least one
 * enabled admin" and "a change of role, scope or state ends the user's sessions" in the store
 * (hw_store_user_update). Every change and its user.change audit row are written in one store
 * transaction: both or neither. A password is shown once, to the admin who had it generated,
 * and never goes into a row or a log. */
#include <string.h>

#include "sql/hw_store_auth.h"
#include "web/handlers.h"
#include "web/hw_auth.h"
#include "web/internal.h"

#define DISPLAY_NAME_MAX 127
#define SCOPE_CODES_MAX 64 /* per kind and user */

/* ---- helpers ---------------------------------------------------------------------------------- */

static json_t *time_or_null(hw_time_ns t)
{
  if (t == 0)
    return json_null();
  char buf[40];
  return json_string(hw_time_format(t, buf, sizeof buf));
}

/* NULL (not limited) for an empty list, as GET /api/v1/auth/me answers. */
static json_t *codes_json(char **codes)
{
  if (codes == NULL || codes[0] == NULL)
    return json_null();
  json_t *a = json_array();
  for (size_t i = 0; codes[i]; i++)
    json_array_append_new(a, json_string(codes[i]));
  return a;
}

static bool user_scopes(HwRequest *req, int64_t id, char ***ret_halls, char ***ret_departments,
                        GError **error)
{
  return hw_store_user_scopes(hw_request_store(req), id, "hall", ret_halls, error) &&
         hw_store_user_scopes(hw_request_store(req), id, "department", ret_departments, error);
}

static json_t *user_json(HwRequest *req, const HwStoreUser *u)
{
  g_auto(GStrv) halls = NULL, departments = NULL;
  user_scopes(req, u->id, &halls, &departments, NULL);
  json_t *o = json_object();
  json_object_set_new(o, "id", json_integer(u->id));
  json_object_set_new(o, "name", json_string(u->name));
  json_object_set_new(o, "display_name", json_string(u->display_name));
  json_object_set_new(o, "role", json_string(u->role));
  json_object_set_new(o, "halls", codes_json(halls));
  json_object_set_new(o, "departments", codes_json(departments));
  json_object_set_new(o, "disabled", json_boolean(u->disabled));
  json_object_set_new(o, "locked_until",
                      u->locked_until_ns > hw_time_now() ? time_or_null(u->locked_until_ns)
                                                         : json_null());
  json_object_set_new(o, "last_sign_in", time_or_null(u->last_login_ns));
  json_object_set_new(o, "created", time_or_null(u->created_ns));
  return o;
}

static void internal_error(HwReply *reply, const GError *error)
{
  hw_reply_error(reply, 500, "internal", NULL, "%s", error ? error->message : "internal error");
}

/* The user {id}, or a 404 (or 400 for an id that is not a number). */
static bool load_user(HwRequest *req, HwReply *reply, HwStoreUser *ret)
{
  const char *text = hw_request_param(req, "id");
  guint64 id;
  if (!g_ascii_string_to_unsigned(text, 10, 1, G_MAXINT64, &id, NULL)) {
    hw_reply_error(reply, 404, "not_found", "id", "no user %s", text);
    return false;
  }
  g_autoptr(GError) error = NULL;
  if (!hw_store_user_get_by_id(hw_request_store(req), (int64_t)id, ret, &error)) {
    if (g_error_matches(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND))
      hw_reply_error(reply, 404, "not_found", "id", "no user %s", text);
    else
      internal_error(reply, error);
    return false;
  }
  return true;
}

#define BAD(field, ...)                                                                            \
  do {                                                                                             \
    hw_reply_error(reply, 400, "invalid_field", field, __VA_ARGS__);                               \
    return false;                                                                                  \
  } while (0)

/* One scope list of the body ("halls" or "departments"): null or [] means not limited. Appends
 * to scopes (strings borrowed from the body). */
static bool parse_codes(HwReply *reply, json_t *v, const char *field, const char *kind,
                        GArray *scopes)
{
  if (json_is_null(v))
    return true;
  if (!json_is_array(v) || json_array_size(v) > SCOPE_CODES_MAX)
    BAD(field, "%s must be null or an array of at most %d codes", field, SCOPE_CODES_MAX);
  size_t i;
  json_t *c;
  json_array_foreach(v, i, c)
  {
    if (!json_is_string(c) || !hw_auth_valid_code(json_string_value(c)))
      BAD(field, "%s[%zu] must be a code of " HW_AUTH_CODE_RULE, field, i);
    HwStoreScope s = {kind, json_string_value(c)};
    g_array_append_val(scopes, s);
  }
  return true;
}

static bool parse_display_name(HwReply *reply, json_t *v, const char **ret)
{
  const char *s = json_string_value(v);
  if (s == NULL || strlen(s) > DISPLAY_NAME_MAX || !g_utf8_validate(s, -1, NULL))
    BAD("display_name", "display_name must be a text of at most %d bytes", DISPLAY_NAME_MAX);
  for (const char *p = s; *p; p++)
    if ((unsigned char)*p < 0x20 || *p == 0x7f)
      BAD("display_name", "display_name must not contain control characters");
  *ret = s;
  return true;
}

static bool parse_role(HwReply *reply, json_t *v, const char **ret)
{
  const char *s = json_string_value(v);
  if (s == NULL || hw_role_from_name(s) == HW_ROLE_NONE)
    BAD("role", "role must be one of admin, auditor, supervisor, hall_manager, investigator, "
                "viewer");
  *ret = s;
  return true;
}

/* The password to set: the body's "password" (checked against the one policy), or a generated
 * one (*ret_generated). NULL after a reply; the caller frees it with wipe_free. */
static char *new_password(HwReply *reply, json_t *v, bool *ret_generated)
{
  *ret_generated = v == NULL || json_is_null(v);
  if (*ret_generated)
    return hw_auth_password_generate();
  if (!json_is_string(v)) {
    hw_reply_error(reply, 400, "invalid_field", "password",
                   "password must be a text, or absent to have one generated");
    return NULL;
  }
  const char *weak = hw_auth_password_weakness(json_string_value(v));
  if (weak) {
    hw_reply_error(reply, 400, "weak_password", "password", "%s", weak);
    return NULL;
  }
  return g_strdup(json_string_value(v));
}

static void wipe_free(char *s)
{
  if (s) {
    memset(s, 0, strlen(s));
    g_free(s);
  }
}

/* Commits the change and its audit row, or rolls both back and replies. */
static bool commit_with_row(HwRequest *req, HwReply *reply, const char *user_name, json_t *detail)
{
  g_autoptr(GError) error = NULL;
  if (!hw_web_audit(req, "user.change", "user", user_name, detail)) {
    hw_store_rollback(hw_request_store(req));
    hw_reply_error(reply, 500, "audit_failed", NULL,
                   "the audit log could not record the change, so nothing was changed");
    return false;
  }
  if (!hw_store_commit(hw_request_store(req), &error)) {
    internal_error(reply, error);
    return false;
  }
  return true;
}

static void store_failed(HwRequest *req, HwReply *reply, const GError *error)
{
  hw_store_rollback(hw_request_store(req));
  if (g_error_matches(error, HW_STORE_ERROR, HW_STORE_ERROR_CONFLICT))
    hw_reply_error(reply, 409, "last_admin", NULL, "至少保留一名启用的管理员 / %s", error->message);
  else if (g_error_matches(error, HW_STORE_ERROR, HW_STORE_ERROR_EXISTS))
    hw_reply_error(reply, 409, "conflict", "name", "a user with this name exists already");
  else if (g_error_matches(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND))
    hw_reply_error(reply, 404, "not_found", "id", "no such user");
  else if (g_error_matches(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID))
    hw_reply_error(reply, 400, "invalid_field", NULL, "%s", error->message);
  else
    internal_error(reply, error);
}

/* ---- routes ----------------------------------------------------------------------------------- */

void hw_route_users_list(HwRequest *req, HwReply *reply)
{
  if (!hw_web_unrestricted(req, reply, "管理用户", "manage users"))
    return;
  g_autofree HwStoreUser *users = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_store_users_list(hw_request_store(req), &users, &n, &error)) {
    internal_error(reply, error);
    return;
  }
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(arr, user_json(req, &users[i]));
  hw_reply_json(reply, 200, arr);
}

void hw_route_user_get(HwRequest *req, HwReply *reply)
{
  if (!hw_web_unrestricted(req, reply, "管理用户", "manage users"))
    return;
  HwStoreUser u;
  if (load_user(req, reply, &u))
    hw_reply_json(reply, 200, user_json(req, &u));
}

/* POST /api/v1/users {name, role, display_name?, halls?, departments?, password?} */
void hw_route_users_create(HwRequest *req, HwReply *reply)
{
  if (!hw_web_unrestricted(req, reply, "管理用户", "manage users"))
    return;
  json_t *body = hw_request_json(req);
  if (!json_is_object(body)) {
    hw_reply_error(reply, 400, "invalid_field", NULL, "the body must be a JSON object");
    return;
  }
  const char *name = NULL, *role = NULL, *display_name = NULL;
  g_autoptr(GArray) scopes = g_array_new(FALSE, FALSE, sizeof(HwStoreScope));
  const char *key;
  json_t *v;
  json_object_foreach(body, key, v)
  {
    bool ok = true;
    if (strcmp(key, "name") == 0) {
      name = json_string_value(v);
      if (name == NULL || !hw_auth_valid_code(name)) {
        hw_reply_error(reply, 400, "invalid_field", "name", "name must be " HW_AUTH_CODE_RULE);
        return;
      }
    } else if (strcmp(key, "role") == 0) {
      ok = parse_role(reply, v, &role);
    } else if (strcmp(key, "display_name") == 0) {
      ok = parse_display_name(reply, v, &display_name);
    } else if (strcmp(key, "halls") == 0) {
      ok = parse_codes(reply, v, "halls", "hall", scopes);
    } else if (strcmp(key, "departments") == 0) {
      ok = parse_codes(reply, v, "departments", "department", scopes);
    } else if (strcmp(key, "password") != 0) {
      hw_reply_error(reply, 400, "invalid_field", key, "unknown field %s", key);
      return;
    }
    if (!ok)
      return;
  }
  if (name == NULL) {
    hw_reply_error(reply, 400, "invalid_field", "name", "name is required");
    return;
  }
  if (role == NULL) {
    hw_reply_error(reply, 400, "invalid_field", "role", "role is required");
    return;
  }
  bool generated;
  g_autoptr(GError) error = NULL;
  char *password = new_password(reply, json_object_get(body, "password"), &generated);
  if (password == NULL)
    return;
  g_autofree char *hash = hw_web_password_hash(req, password, &error);
  if (hash == NULL) {
    wipe_free(password);
    internal_error(reply, error);
    return;
  }
  HwStore *store = hw_request_store(req);
  int64_t id = 0;
  HwStoreUserChange change = {.display_name = display_name, .disabled = -1};
  if (!hw_store_begin(store, &error) ||
      !hw_store_user_add(store, name, role, hash, (HwStoreScope *)(void *)scopes->data, scopes->len,
                         &id, &error) ||
      (display_name && !hw_store_user_update(store, id, &change, NULL, &error))) {
    wipe_free(password);
    store_failed(req, reply, error);
    return;
  }
  g_auto(GStrv) halls = NULL, departments = NULL;
  user_scopes(req, id, &halls, &departments, NULL);
  json_t *detail = json_pack(
      "{s:s, s:I, s:s, s:s, s:o, s:o, s:s}", "op", "add", "user_id", (json_int_t)id, "role", role,
      "display_name", display_name ? display_name : "", "halls", codes_json(halls), "departments",
      codes_json(departments), "password", generated ? "generated" : "given");
  if (!commit_with_row(req, reply, name, detail)) {
    wipe_free(password);
    return;
  }
  HwStoreUser u;
  json_t *out = hw_store_user_get_by_id(store, id, &u, NULL) ? user_json(req, &u)
                                                             : json_pack("{s:I}", "id", id);
  /* The only time a generated password is shown; a given one is never echoed. */
  if (generated)
    json_object_set_new(out, "password", json_string(password));
  wipe_free(password);
  hw_reply_json(reply, 201, out);
}

/* PATCH /api/v1/users/{id} {role?, display_name?, halls?, departments?, disabled?} */
void hw_route_user_update(HwRequest *req, HwReply *reply)
{
  if (!hw_web_unrestricted(req, reply, "管理用户", "manage users"))
    return;
  HwStoreUser old;
  if (!load_user(req, reply, &old))
    return;
  json_t *body = hw_request_json(req);
  if (!json_is_object(body)) {
    hw_reply_error(reply, 400, "invalid_field", NULL, "the body must be a JSON object");
    return;
  }
  HwStoreUserChange change = {.disabled = -1};
  g_autoptr(GArray) scopes = g_array_new(FALSE, FALSE, sizeof(HwStoreScope));
  bool halls_given = false, departments_given = false;
  const char *key;
  json_t *v;
  json_object_foreach(body, key, v)
  {
    bool ok = true;
    if (strcmp(key, "role") == 0) {
      ok = parse_role(reply, v, &change.role);
    } else if (strcmp(key, "display_name") == 0) {
      ok = parse_display_name(reply, v, &change.display_name);
    } else if (strcmp(key, "disabled") == 0) {
      if (!json_is_boolean(v)) {
        hw_reply_error(reply, 400, "invalid_field", "disabled", "disabled must be true or false");
        return;
      }
      change.disabled = json_is_true(v) ? 1 : 0;
    } else if (strcmp(key, "halls") == 0) {
      halls_given = true;
      ok = parse_codes(reply, v, "halls", "hall", scopes);
    } else if (strcmp(key, "departments") == 0) {
      departments_given = true;
      ok = parse_codes(reply, v, "departments", "department", scopes);
    } else {
      hw_reply_error(reply, 400, "invalid_field", key, "unknown field %s", key);
      return;
    }
    if (!ok)
      return;
  }
  g_autoptr(GError) error = NULL;
  g_auto(GStrv) old_halls = NULL, old_departments = NULL;
  if (!user_scopes(req, old.id, &old_halls, &old_departments, &error)) {
    internal_error(reply, error);
    return;
  }
  /* A kind left out of the body keeps its codes. */
  if (halls_given != departments_given) {
    const char *kind = halls_given ? "department" : "hall";
    char **keep = halls_given ? old_departments : old_halls;
    for (size_t k = 0; keep[k]; k++) {
      HwStoreScope s = {kind, keep[k]};
      g_array_append_val(scopes, s);
    }
  }
  change.set_scopes = halls_given || departments_given;
  change.scopes = (HwStoreScope *)(void *)scopes->data;
  change.n_scopes = scopes->len;

  HwStore *store = hw_request_store(req);
  bool ended = false;
  if (!hw_store_begin(store, &error) ||
      !hw_store_user_update(store, old.id, &change, &ended, &error)) {
    store_failed(req, reply, error);
    return;
  }
  HwStoreUser now;
  g_auto(GStrv) halls = NULL, departments = NULL;
  if (!hw_store_user_get_by_id(store, old.id, &now, &error) ||
      !user_scopes(req, old.id, &halls, &departments, &error)) {
    store_failed(req, reply, error);
    return;
  }
  /* Old → new of what changed; the display name is a person's name, kept like the rest. */
  json_t *detail = json_pack("{s:s, s:I, s:b}", "op", "change", "user_id", (json_int_t)old.id,
                             "sessions_ended", ended);
  if (strcmp(old.role, now.role) != 0)
    json_object_set_new(detail, "role", json_pack("{s:s, s:s}", "from", old.role, "to", now.role));
  if (change.set_scopes) {
    json_object_set_new(
        detail, "halls",
        json_pack("{s:o, s:o}", "from", codes_json(old_halls), "to", codes_json(halls)));
    json_object_set_new(detail, "departments",
                        json_pack("{s:o, s:o}", "from", codes_json(old_departments), "to",
                                  codes_json(departments)));
  }
  if (old.disabled != now.disabled)
    json_object_set_new(detail, "disabled",
                        json_pack("{s:b, s:b}", "from", old.disabled, "to", now.disabled));
  if (strcmp(old.display_name, now.display_name) != 0)
    json_object_set_new(detail, "display_name",
                        json_pack("{s:s, s:s}", "from", old.display_name, "to", now.display_name));
  if (!commit_with_row(req, reply, old.name, detail))
    return;
  json_t *out = user_json(req, &now);
  json_object_set_new(out, "sessions_ended", json_boolean(ended));
  hw_reply_json(reply, 200, out);
}

/* POST /api/v1/users/{id}/password {password?}: an admin sets (or has generated) a user's
 * password; the user's sessions end and any lock-out is lifted. */
void hw_route_user_password(HwRequest *req, HwReply *reply)
{
  if (!hw_web_unrestricted(req, reply, "管理用户", "manage users"))
    return;
  HwStoreUser u;
  if (!load_user(req, reply, &u))
    return;
  json_t *body = hw_request_json(req);
  const char *key;
  json_t *v;
  json_object_foreach(body, key, v) if (strcmp(key, "password") != 0)
  {
    hw_reply_error(reply, 400, "invalid_field", key, "unknown field %s", key);
    return;
  }
  bool generated;
  char *password = new_password(reply, body ? json_object_get(body, "password") : NULL, &generated);
  if (password == NULL)
    return;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = hw_web_password_hash(req, password, &error);
  HwStore *store = hw_request_store(req);
  if (hash == NULL) {
    wipe_free(password);
    internal_error(reply, error);
    return;
  }
  if (!hw_store_begin(store, &error) || !hw_store_user_set_password(store, u.name, hash, &error)) {
    wipe_free(password);
    store_failed(req, reply, error);
    return;
  }
  json_t *detail = json_pack("{s:s, s:I, s:s, s:b}", "op", "passwd", "user_id", (json_int_t)u.id,
                             "password", generated ? "generated" : "given", "sessions_ended", 1);
  if (!commit_with_row(req, reply, u.name, detail)) {
    wipe_free(password);
    return;
  }
  json_t *out =
      json_pack("{s:I, s:s, s:b}", "id", (json_int_t)u.id, "name", u.name, "sessions_ended", 1);
  if (generated)
    json_object_set_new(out, "password", json_string(password));
  wipe_free(password);
  hw_reply_json(reply, 200, out);
}

/* POST /api/v1/auth/password {current_password, new_password}: any signed-in user. A wrong
 * current password counts as a failed sign-in (so a left-open session cannot be used to guess
 * it); success ends every session of the user, this one too, and the client signs in again. */
void hw_route_auth_password(HwRequest *req, HwReply *reply)
{
  json_t *body = hw_request_json(req);
  const char *current = json_string_value(json_object_get(body, "current_password"));
  const char *next = json_string_value(json_object_get(body, "new_password"));
  if (current == NULL || *current == '\0') {
    hw_reply_error(reply, 400, "invalid_field", "current_password", "current_password is required");
    return;
  }
  if (next == NULL) {
    hw_reply_error(reply, 400, "invalid_field", "new_password", "new_password is required");
    return;
  }
  const char *weak = hw_auth_password_weakness(next);
  if (weak) {
    hw_reply_error(reply, 400, "weak_password", "new_password", "%s", weak);
    return;
  }
  if (strcmp(current, next) == 0) {
    hw_reply_error(reply, 400, "invalid_field", "new_password",
                   "the new password must differ from the current one");
    return;
  }
  HwStore *store = hw_request_store(req);
  const HwHttpOptions *o = &req->http->opt;
  HwStoreUser u;
  g_autoptr(GError) error = NULL;
  if (!hw_store_user_get_by_id(store, req->caller.id, &u, &error)) {
    internal_error(reply, error);
    return;
  }
  hw_time_ns now = hw_time_now();
  if (u.locked_until_ns > now) {
    char when[40];
    hw_reply_error(reply, 423, "account_locked", NULL, "account locked until %s",
                   hw_time_format(u.locked_until_ns, when, sizeof when));
    return;
  }
  if (!hw_web_password_verify(req, u.password_hash, current)) {
    hw_time_ns until = 0;
    hw_store_user_login_failed(store, u.id, now, o->lockout_after, o->lockout_for_ns, &until, NULL);
    hw_reply_error(reply, 403, "wrong_password", "current_password",
                   "当前密码不正确 / the current password is wrong");
    json_t *detail = json_pack("{s:s}", "reason", "wrong_password");
    if (until)
      json_object_set_new(detail, "locked_until", time_or_null(until));
    if (!hw_web_audit(req, "auth.password_failed", "user", u.name, detail))
      hw_reply_error(reply, 500, "audit_failed", NULL,
                     "refused, and the audit log could not record it");
    return;
  }
  g_autofree char *hash = hw_web_password_hash(req, next, &error);
  if (hash == NULL) {
    internal_error(reply, error);
    return;
  }
  if (!hw_store_begin(store, &error) || !hw_store_user_set_password(store, u.name, hash, &error)) {
    store_failed(req, reply, error);
    return;
  }
  if (!commit_with_row(req, reply, u.name,
                       json_pack("{s:s, s:I, s:b, s:b}", "op", "passwd", "user_id",
                                 (json_int_t)u.id, "self", 1, "sessions_ended", 1)))
    return;
  hw_web_session_cookie(req, reply, "", 0);
  hw_reply_json(reply, 200, json_pack("{s:b, s:b}", "changed", 1, "signed_out", 1));
}
