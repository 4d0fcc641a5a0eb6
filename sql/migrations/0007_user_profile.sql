-- 0005: what user management over the API shows of a user (issue 3): a display name (the person's
-- name as colleagues know it, the user name stays the sign-in name) and the time of the last
-- successful sign-in (ns since the epoch, UTC; 0 = never).

ALTER TABLE users ADD COLUMN display_name TEXT NOT NULL DEFAULT ''
  CONSTRAINT user_display_name_fits CHECK (length(CAST(display_name AS BLOB)) <= 127);
ALTER TABLE users ADD COLUMN last_login_ns INTEGER NOT NULL DEFAULT 0;
