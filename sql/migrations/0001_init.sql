-- 0001: the first schema of the HallWatch index. Runs inside one transaction with foreign keys
-- off (hw_store.c checks them before commit), so no PRAGMA that cannot run in a transaction.
-- Times are INTEGER ns since the Unix epoch, UTC (hw_time_ns); booleans are INTEGER 0/1.
-- Length limits mirror the fixed-size buffers of the structs in hw_store.h, so a row always fits.

-- Identity and counters of this database: 'uuid' (inserted by hw_store_open when missing) and
-- 'last_run_id' (hw_store_next_run_id).
CREATE TABLE meta (
  key   TEXT PRIMARY KEY NOT NULL,
  value TEXT NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('last_run_id', '0');

-- Every camera id that ever recorded, so footage keeps an owner after the camera leaves the
-- config (files do not reference it: the recorder may index before the camera is upserted).
CREATE TABLE cameras (
  id         TEXT PRIMARY KEY NOT NULL
             CONSTRAINT camera_id_fits CHECK (length(id) BETWEEN 1 AND 63),
  source     TEXT NOT NULL CONSTRAINT camera_source_known CHECK (source IN ('config', 'api')),
  created_ns INTEGER NOT NULL
) STRICT, WITHOUT ROWID;

-- One row per footage file (fragmented MP4). path is relative to the footage root.
CREATE TABLE files (
  id              INTEGER PRIMARY KEY,
  camera          TEXT NOT NULL CONSTRAINT file_camera_fits CHECK (length(camera) BETWEEN 1 AND 63),
  stream          TEXT NOT NULL CONSTRAINT file_stream_known CHECK (stream IN ('main', 'sub')),
  path            TEXT NOT NULL UNIQUE
                  CONSTRAINT file_path_fits CHECK (length(CAST(path AS BLOB)) BETWEEN 1 AND 255),
  codec           TEXT NOT NULL CONSTRAINT file_codec_known CHECK (codec IN ('h264', 'h265')),
  audio_codec     TEXT NOT NULL DEFAULT ''
                  CONSTRAINT file_audio_codec_known CHECK (audio_codec IN ('aac', '')),
  width           INTEGER NOT NULL CONSTRAINT file_width_valid CHECK (width >= 0),
  height          INTEGER NOT NULL CONSTRAINT file_height_valid CHECK (height >= 0),
  start_ns        INTEGER NOT NULL,
  end_ns          INTEGER NOT NULL DEFAULT 0 -- 0 while open with no fragment
                  CONSTRAINT file_end_after_start CHECK (end_ns = 0 OR end_ns >= start_ns),
  size            INTEGER NOT NULL DEFAULT 0 CONSTRAINT file_size_valid CHECK (size >= 0),
  init_size       INTEGER NOT NULL DEFAULT 0 CONSTRAINT file_init_size_valid CHECK (init_size >= 0),
  closed          INTEGER NOT NULL DEFAULT 0 CONSTRAINT file_closed_bool CHECK (closed IN (0, 1)),
  sha256          TEXT NOT NULL DEFAULT ''
                  CONSTRAINT file_sha256_hex
                  CHECK (sha256 = '' OR (length(sha256) = 64 AND NOT sha256 GLOB '*[^0-9a-f]*')),
  clock_mode      TEXT NOT NULL
                  CONSTRAINT file_clock_mode_known CHECK (clock_mode IN ('local', 'camera')),
  clock_offset_ns INTEGER NOT NULL DEFAULT 0,
  run_id          INTEGER NOT NULL,
  CONSTRAINT file_closed_has_sha256 CHECK (closed = 0 OR sha256 <> '')
) STRICT;
-- files_in_range, last_end (max end_ns is a b-tree lookup), foreach and retention oldest-first.
CREATE INDEX files_by_stream_start ON files (camera, stream, start_ns);
CREATE INDEX files_by_stream_end ON files (camera, stream, end_ns);
CREATE INDEX files_by_start ON files (start_ns);
CREATE INDEX files_by_camera_start ON files (camera, start_ns);

-- The longest file (end_ns - start_ns) each camera stream ever had. It bounds the range scan
-- of files_in_range from below (a file overlapping `from` starts after from - max_span_ns);
-- kept by triggers so no code path can forget it. It only grows, which keeps it conservative.
CREATE TABLE file_spans (
  camera      TEXT NOT NULL,
  stream      TEXT NOT NULL,
  max_span_ns INTEGER NOT NULL,
  PRIMARY KEY (camera, stream)
) STRICT, WITHOUT ROWID;
CREATE TRIGGER files_span_insert AFTER INSERT ON files WHEN NEW.end_ns > NEW.start_ns
BEGIN
  INSERT INTO file_spans (camera, stream, max_span_ns)
  VALUES (NEW.camera, NEW.stream, NEW.end_ns - NEW.start_ns)
  ON CONFLICT (camera, stream) DO UPDATE SET max_span_ns = excluded.max_span_ns
  WHERE excluded.max_span_ns > max_span_ns;
END;
CREATE TRIGGER files_span_update AFTER UPDATE OF end_ns ON files WHEN NEW.end_ns > NEW.start_ns
BEGIN
  INSERT INTO file_spans (camera, stream, max_span_ns)
  VALUES (NEW.camera, NEW.stream, NEW.end_ns - NEW.start_ns)
  ON CONFLICT (camera, stream) DO UPDATE SET max_span_ns = excluded.max_span_ns
  WHERE excluded.max_span_ns > max_span_ns;
END;

-- The fragments (prft+moof+mdat) of each file, in seq order; playback seeks with them.
CREATE TABLE fragments (
  file_id        INTEGER NOT NULL REFERENCES files (id) ON DELETE CASCADE,
  seq            INTEGER NOT NULL CONSTRAINT fragment_seq_valid CHECK (seq >= 0),
  offset         INTEGER NOT NULL CONSTRAINT fragment_offset_valid CHECK (offset >= 0),
  length         INTEGER NOT NULL CONSTRAINT fragment_length_valid CHECK (length > 0),
  start_ns       INTEGER NOT NULL,
  duration_ns    INTEGER NOT NULL CONSTRAINT fragment_duration_valid CHECK (duration_ns >= 0),
  frames         INTEGER NOT NULL CONSTRAINT fragment_frames_valid CHECK (frames >= 0),
  keyframe_start INTEGER NOT NULL
                 CONSTRAINT fragment_keyframe_bool CHECK (keyframe_start IN (0, 1)),
  PRIMARY KEY (file_id, seq)
) STRICT, WITHOUT ROWID;

-- Why footage is missing. end_ns 0: still going on.
CREATE TABLE outages (
  id       INTEGER PRIMARY KEY,
  camera   TEXT NOT NULL CONSTRAINT outage_camera_fits CHECK (length(camera) BETWEEN 1 AND 63),
  stream   TEXT NOT NULL CONSTRAINT outage_stream_known CHECK (stream IN ('main', 'sub')),
  start_ns INTEGER NOT NULL,
  end_ns   INTEGER NOT NULL DEFAULT 0
           CONSTRAINT outage_end_after_start CHECK (end_ns = 0 OR end_ns >= start_ns),
  reason   TEXT NOT NULL CONSTRAINT outage_reason_known CHECK (reason IN (
             'camera_unreachable', 'auth_refused', 'stream_stalled', 'stream_error',
             'daemon_down', 'disk_floor', 'clock_step', 'storage_error')),
  detail   TEXT NOT NULL DEFAULT ''
           CONSTRAINT outage_detail_fits CHECK (length(CAST(detail AS BLOB)) <= 255)
) STRICT;
CREATE INDEX outages_by_stream_start ON outages (camera, stream, start_ns);
CREATE INDEX outages_open ON outages (id) WHERE end_ns = 0;

-- Footage that retention must keep (cases, investigations). A released hold stays as a record
-- (released_ns > 0) instead of being deleted: who held what, and until when, is evidence too.
CREATE TABLE holds (
  id          INTEGER PRIMARY KEY,
  camera      TEXT NOT NULL CONSTRAINT hold_camera_fits CHECK (length(camera) BETWEEN 1 AND 63),
  from_ns     INTEGER NOT NULL,
  to_ns       INTEGER NOT NULL,
  reason      TEXT NOT NULL DEFAULT ''
              CONSTRAINT hold_reason_fits CHECK (length(CAST(reason AS BLOB)) <= 127),
  until_ns    INTEGER NOT NULL DEFAULT 0 -- 0: until released
              CONSTRAINT hold_until_valid CHECK (until_ns >= 0),
  created_ns  INTEGER NOT NULL,
  released_ns INTEGER NOT NULL DEFAULT 0 CONSTRAINT hold_released_valid CHECK (released_ns >= 0),
  CONSTRAINT hold_range_valid CHECK (to_ns > from_ns)
) STRICT;
CREATE INDEX holds_by_camera ON holds (camera, from_ns);
