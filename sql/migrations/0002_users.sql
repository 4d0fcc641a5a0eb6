-- 0002: users, their scopes, sessions and department API tokens (issue 3, sign-in).
-- Secrets are never stored: passwords as argon2id strings (libsodium crypto_pwhash_str), session
-- and API tokens as the lowercase hex SHA-256 of the token. Times are ns since the epoch, UTC.

CREATE TABLE users (
  id              INTEGER PRIMARY KEY,
  name            TEXT NOT NULL UNIQUE
                  CONSTRAINT user_name_fits CHECK (length(name) BETWEEN 1 AND 63),
  role            TEXT NOT NULL CONSTRAINT user_role_known CHECK (role IN
                    ('admin', 'auditor', 'supervisor', 'hall_manager', 'investigator', 'viewer')),
  password_hash   TEXT NOT NULL CONSTRAINT user_hash_fits CHECK (length(password_hash) < 128),
  disabled        INTEGER NOT NULL DEFAULT 0 CONSTRAINT user_disabled_bool CHECK (disabled IN (0, 1)),
  -- consecutive failed sign-ins, and the end of the lock-out they caused (0: not locked)
  failed_logins   INTEGER NOT NULL DEFAULT 0,
  locked_until_ns INTEGER NOT NULL DEFAULT 0,
  created_ns      INTEGER NOT NULL
) STRICT;

-- No row of a kind: the user is not limited in that kind.
CREATE TABLE user_scopes (
  user_id INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  kind    TEXT NOT NULL CONSTRAINT scope_kind_known CHECK (kind IN ('hall', 'department')),
  code    TEXT NOT NULL CONSTRAINT scope_code_fits CHECK (length(code) BETWEEN 1 AND 63),
  PRIMARY KEY (user_id, kind, code)
) STRICT, WITHOUT ROWID;

CREATE TABLE sessions (
  token_hash   TEXT PRIMARY KEY NOT NULL CONSTRAINT session_hash_hex CHECK (length(token_hash) = 64),
  user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  csrf_token   TEXT NOT NULL,
  created_ns   INTEGER NOT NULL,
  last_seen_ns INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX sessions_by_user ON sessions (user_id);

CREATE TABLE api_tokens (
  id         INTEGER PRIMARY KEY,
  department TEXT NOT NULL CONSTRAINT token_department_fits CHECK (length(department) BETWEEN 1 AND 63),
  name       TEXT NOT NULL CONSTRAINT token_name_fits CHECK (length(name) BETWEEN 1 AND 63),
  hash       TEXT NOT NULL UNIQUE CONSTRAINT token_hash_hex CHECK (length(hash) = 64),
  created    INTEGER NOT NULL,
  revoked    INTEGER NOT NULL DEFAULT 0 -- ns when revoked, 0 while valid
) STRICT;
