/* Passwords and tokens for sign-in, shared by the HTTP server and the `hallwatchd user` command:
 * argon2id hashing (libsodium crypto_pwhash_str at the INTERACTIVE limits: about 64 MiB and a
 * few tens of ms of one core per hash, so the server runs at most two at once), random tokens and
 * their SHA-256. Nothing here logs; no function keeps a copy of a password. */
#pragma once

#include <glib.h>
#include <stdbool.h>

G_BEGIN_DECLS

/* Initialises libsodium (idempotent, thread-safe). FALSE with error if it cannot. */
gboolean hw_auth_init(GError **error);

/* The argon2id string of password (g_free), or NULL with error (e.g. out of memory). */
char *hw_auth_password_hash(const char *password, GError **error);
/* Whether password matches hash (constant-time in the password). */
bool hw_auth_password_verify(const char *hash, const char *password);
/* A random password of 20 characters from an unambiguous alphabet (g_free). */
char *hw_auth_password_generate(void);
/* Why a password is refused ("at least 10 characters"), or NULL if acceptable. */
const char *hw_auth_password_weakness(const char *password);

/* Whether s is a user name or scope code: 1 to 63 characters of A-Z a-z 0-9 . _ - (names that
 * are safe in a log line, a path segment and a shell). */
bool hw_auth_valid_code(const char *s);
#define HW_AUTH_CODE_RULE "1 to 63 characters of A-Z a-z 0-9 . _ -"

/* A random token: 32 bytes from randombytes_buf as unpadded base64url (g_free). */
char *hw_auth_token_new(const char *prefix);
/* Lowercase hex SHA-256 of token, into out[65]. */
void hw_auth_token_hash(const char *token, char out[65]);

G_END_DECLS
