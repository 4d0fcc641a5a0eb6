-- 0004: cameras provisioned through the API (issue 3, camera management), halls, windows and the
-- window→camera mapping with validity intervals. A mapping change closes the open interval
-- (to_ns) instead of overwriting it, so "which camera covered window 7 on 3 March?" stays
-- answerable. Credentials are stored only as a libsodium secretbox (nonce ‖ ciphertext) sealed
-- with the key file "<database>.secret" (common/hw_secret.h); the store never sees them in clear.

CREATE TABLE halls (
  code       TEXT PRIMARY KEY NOT NULL
             CONSTRAINT hall_code_fits CHECK (length(code) BETWEEN 1 AND 63),
  name       TEXT NOT NULL CONSTRAINT hall_name_fits CHECK (length(CAST(name AS BLOB)) <= 127),
  created_ns INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- One row per camera provisioned through the API; its id row in `cameras` (source 'api') stays
-- when the camera is deleted, so its footage keeps an owner.
CREATE TABLE camera_settings (
  id            TEXT PRIMARY KEY NOT NULL REFERENCES cameras (id),
  name          TEXT NOT NULL DEFAULT ''
                CONSTRAINT camera_name_fits CHECK (length(CAST(name AS BLOB)) <= 127),
  url           TEXT NOT NULL
                CONSTRAINT camera_url_fits CHECK (length(CAST(url AS BLOB)) BETWEEN 8 AND 1023),
  substream_url TEXT CONSTRAINT camera_substream_fits
                CHECK (substream_url IS NULL OR length(CAST(substream_url AS BLOB)) BETWEEN 8 AND 1023),
  credentials   BLOB CONSTRAINT camera_credentials_fits
                CHECK (credentials IS NULL OR length(credentials) <= 1024),
  transport     TEXT NOT NULL DEFAULT 'tcp'
                CONSTRAINT camera_transport_known CHECK (transport IN ('tcp', 'udp')),
  clock         TEXT NOT NULL DEFAULT 'local'
                CONSTRAINT camera_clock_known CHECK (clock IN ('local', 'camera')),
  enabled       INTEGER NOT NULL DEFAULT 1 CONSTRAINT camera_enabled_bool CHECK (enabled IN (0, 1)),
  retain_days   INTEGER NOT NULL DEFAULT 0 CONSTRAINT camera_retain_days_valid CHECK (retain_days >= 0),
  retain_bytes  INTEGER NOT NULL DEFAULT 0 CONSTRAINT camera_retain_bytes_valid CHECK (retain_bytes >= 0),
  hall          TEXT REFERENCES halls (code),
  created_ns    INTEGER NOT NULL,
  updated_ns    INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
CREATE INDEX camera_settings_by_hall ON camera_settings (hall);

CREATE TABLE windows (
  id          INTEGER PRIMARY KEY,
  hall        TEXT NOT NULL REFERENCES halls (code),
  code        TEXT NOT NULL CONSTRAINT window_code_fits CHECK (length(code) BETWEEN 1 AND 63),
  name        TEXT NOT NULL DEFAULT ''
              CONSTRAINT window_name_fits CHECK (length(CAST(name AS BLOB)) <= 127),
  -- a JSON array of department codes
  departments TEXT NOT NULL DEFAULT '[]'
              CONSTRAINT window_departments_json CHECK (length(departments) <= 2047
                AND json_valid(departments) AND json_type(departments) = 'array'),
  created_ns  INTEGER NOT NULL,
  CONSTRAINT window_code_unique UNIQUE (hall, code)
) STRICT;

-- camera is not a foreign key: a config-file camera may be mapped before it has recorded (and
-- so before it has a `cameras` row). to_ns NULL: the interval is still open.
CREATE TABLE window_cameras (
  window_id INTEGER NOT NULL REFERENCES windows (id),
  camera    TEXT NOT NULL CONSTRAINT window_camera_fits CHECK (length(camera) BETWEEN 1 AND 63),
  from_ns   INTEGER NOT NULL,
  to_ns     INTEGER CONSTRAINT window_camera_interval CHECK (to_ns IS NULL OR to_ns >= from_ns)
) STRICT;
-- "which cameras covered window W at T": a range scan of W's intervals by start.
CREATE INDEX window_cameras_by_window ON window_cameras (window_id, from_ns);
-- the current windows of a camera, and at most one open interval per (window, camera)
CREATE UNIQUE INDEX window_cameras_open ON window_cameras (window_id, camera) WHERE to_ns IS NULL;
CREATE INDEX window_cameras_open_by_camera ON window_cameras (camera) WHERE to_ns IS NULL;
