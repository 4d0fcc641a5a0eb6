/* The store's part of sign-in: users and their scopes, sessions, department API tokens
 * (migration 0002). Holds no secret: password hashes are argon2id strings made by web/, session
 * and token hashes are lowercase hex SHA-256 of the token. Thread-safe like the rest of the store;
 * errors are GError in domain HW_STORE_ERROR. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sql/hw_store.h"

G_BEGIN_DECLS

#define HW_STORE_NAME_MAX 63 /* user names, scope codes, departments, token names */

typedef struct {
  int64_t id;
  char name[64];
  char role[16];           /* "admin", "auditor", … (checked by the schema) */
  char password_hash[128]; /* crypto_pwhash_str output */
  bool disabled;
  int failed_logins;       /* consecutive */
  hw_time_ns locked_until_ns; /* 0: not locked */
  hw_time_ns created_ns;
  char display_name[128];  /* "" if not given */
  hw_time_ns last_login_ns; /* the last successful sign-in, 0: never */
} HwStoreUser;

typedef struct {
  const char *kind; /* "hall" or "department" */
  const char *code;
} HwStoreScope;

/* Adds a user with its scopes, in one transaction. HW_STORE_ERROR_EXISTS if the name is taken;
 * HW_STORE_ERROR_INVALID if a field breaks the schema (the message names the constraint). */
bool hw_store_user_add(HwStore *store, const char *name, const char *role,
                       const char *password_hash, const HwStoreScope *scopes, size_t n_scopes,
                       int64_t *ret_id, GError **error);
/* By name or id; HW_STORE_ERROR_NOT_FOUND if none. */
bool hw_store_user_get(HwStore *store, const char *name, HwStoreUser *ret, GError **error);
bool hw_store_user_get_by_id(HwStore *store, int64_t id, HwStoreUser *ret, GError **error);
/* All users by name (g_free the array). */
bool hw_store_users_list(HwStore *store, HwStoreUser **ret, size_t *ret_n, GError **error);
/* A user's scope codes of kind ("hall" or "department"), NULL-terminated (g_strfreev); an empty
 * vector when the user is not limited in that kind. */
bool hw_store_user_scopes(HwStore *store, int64_t user_id, const char *kind, char ***ret,
                          GError **error);
/* Replaces the password, clears failures and lock-out, and ends every session of the user. */
bool hw_store_user_set_password(HwStore *store, const char *name, const char *password_hash,
                                GError **error);
/* Disables (or enables) a user; disabling ends every session of the user. Like
 * hw_store_user_update: disabling the last enabled admin is refused (HW_STORE_ERROR_CONFLICT). */
bool hw_store_user_set_disabled(HwStore *store, const char *name, bool disabled, GError **error);

/* A change of a user's account; NULL / -1 / false fields stay as they are. */
typedef struct {
  const char *role;           /* a role name (the schema checks it), or NULL */
  const char *display_name;   /* or NULL */
  int disabled;               /* 0, 1, or -1: unchanged */
  bool set_scopes;            /* replace every scope with scopes[0..n_scopes) (none: unlimited) */
  const HwStoreScope *scopes;
  size_t n_scopes;
} HwStoreUserChange;

/* Applies change to user id in one transaction. A change that leaves no enabled admin (demoting
 * or disabling the last one) is refused with HW_STORE_ERROR_CONFLICT and nothing is written.
 * When the role or the scopes actually change, or the user is disabled, every session of the
 * user ends in the same transaction (*ret_sessions_ended, may be NULL, says whether that
 * happened). NOT_FOUND if no user has this id; INVALID if a field breaks the schema. */
bool hw_store_user_update(HwStore *store, int64_t id, const HwStoreUserChange *change,
                          bool *ret_sessions_ended, GError **error);
/* The number of users that are admins and not disabled. */
bool hw_store_users_count_enabled_admins(HwStore *store, int64_t *ret_n, GError **error);

/* A failed sign-in of user id at now: counts it; at lockout_after consecutive failures the user
 * is locked until now + lockout_for_ns and the count starts again. Returns the lock end in
 * *ret_locked_until (0 if not locked by this failure). */
bool hw_store_user_login_failed(HwStore *store, int64_t id, hw_time_ns now, int lockout_after,
                                int64_t lockout_for_ns, hw_time_ns *ret_locked_until,
                                GError **error);
/* A successful sign-in: clears the failure count and lock-out and notes the time (last sign-in). */
bool hw_store_user_login_ok(HwStore *store, int64_t id, GError **error);

/* ---- sessions -------------------------------------------------------------------------------- */

typedef struct {
  char token_hash[65];
  int64_t user_id;
  char csrf_token[64];
  hw_time_ns created_ns;
  hw_time_ns last_seen_ns;
} HwStoreSession;

bool hw_store_session_add(HwStore *store, const HwStoreSession *session, GError **error);
/* HW_STORE_ERROR_NOT_FOUND if no session has this hash. */
bool hw_store_session_get(HwStore *store, const char *token_hash, HwStoreSession *ret,
                          GError **error);
bool hw_store_session_touch(HwStore *store, const char *token_hash, hw_time_ns now,
                            GError **error);
/* Deleting an unknown session is not an error (sign-out twice). */
bool hw_store_session_delete(HwStore *store, const char *token_hash, GError **error);
/* Deletes sessions idle since before idle_before or created before created_before. */
bool hw_store_sessions_expire(HwStore *store, hw_time_ns idle_before, hw_time_ns created_before,
                              GError **error);

/* ---- department API tokens ------------------------------------------------------------------- */

typedef struct {
  int64_t id;
  char department[64];
  char name[64];
  char hash[65];
  hw_time_ns created_ns;
  hw_time_ns revoked_ns; /* 0 while valid */
} HwStoreToken;

bool hw_store_token_add(HwStore *store, const char *department, const char *name,
                        const char *hash, hw_time_ns now, int64_t *ret_id, GError **error);
/* A token by its hash, revoked or not (the caller checks revoked_ns); NOT_FOUND if none. */
bool hw_store_token_get(HwStore *store, const char *hash, HwStoreToken *ret, GError **error);
/* Every token, newest first (g_free the array). */
bool hw_store_tokens_list(HwStore *store, HwStoreToken **ret, size_t *ret_n, GError **error);
/* NOT_FOUND if no valid token has this id. */
bool hw_store_token_revoke(HwStore *store, int64_t id, hw_time_ns now, GError **error);

G_END_DECLS
