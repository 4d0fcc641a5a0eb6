-- Evidence export jobs (issue 5; media/hw_export.h does the work, web/exports.c the API). A job
-- survives a restart: one left `running` by a stop is marked failed with the reason at start,
-- `queued` ones run again. hall is the camera's hall when the job was made (scope, in SQL).
-- hold_id: the hold that keeps the exported footage from retention until an investigator
-- releases it (the hold row says when).
CREATE TABLE exports (
  id            INTEGER PRIMARY KEY,
  camera        TEXT NOT NULL CONSTRAINT export_camera_fits CHECK (length(camera) BETWEEN 1 AND 63),
  hall          TEXT NOT NULL DEFAULT ''
                CONSTRAINT export_hall_fits CHECK (length(hall) <= 63),
  from_ns       INTEGER NOT NULL,
  to_ns         INTEGER NOT NULL,
  case_id       TEXT NOT NULL DEFAULT ''
                CONSTRAINT export_case_fits CHECK (length(CAST(case_id AS BLOB)) <= 127),
  stage         TEXT NOT NULL DEFAULT ''
                CONSTRAINT export_stage_fits CHECK (length(CAST(stage AS BLOB)) <= 127),
  requested_by  TEXT NOT NULL
                CONSTRAINT export_user_fits CHECK (length(CAST(requested_by AS BLOB)) BETWEEN 1 AND 63),
  role          TEXT NOT NULL DEFAULT ''
                CONSTRAINT export_role_fits CHECK (length(role) <= 31),
  state         TEXT NOT NULL DEFAULT 'queued'
                CONSTRAINT export_state_known CHECK (state IN ('queued', 'running', 'done', 'failed')),
  progress      INTEGER NOT NULL DEFAULT 0
                CONSTRAINT export_progress_valid CHECK (progress BETWEEN 0 AND 100),
  error         TEXT NOT NULL DEFAULT ''
                CONSTRAINT export_error_fits CHECK (length(CAST(error AS BLOB)) <= 511),
  package       TEXT NOT NULL DEFAULT ''
                CONSTRAINT export_package_fits CHECK (length(CAST(package AS BLOB)) <= 255),
  size          INTEGER NOT NULL DEFAULT 0,
  sha256        TEXT NOT NULL DEFAULT ''
                CONSTRAINT export_sha256_hex
                CHECK (sha256 = '' OR (length(sha256) = 64 AND NOT sha256 GLOB '*[^0-9a-f]*')),
  mp4_sha256    TEXT NOT NULL DEFAULT ''
                CONSTRAINT export_mp4_sha256_hex
                CHECK (mp4_sha256 = '' OR (length(mp4_sha256) = 64 AND NOT mp4_sha256 GLOB '*[^0-9a-f]*')),
  actual_from_ns INTEGER NOT NULL DEFAULT 0,
  actual_to_ns  INTEGER NOT NULL DEFAULT 0,
  gaps          INTEGER NOT NULL DEFAULT 0,
  hold_id       INTEGER REFERENCES holds (id),
  created_ns    INTEGER NOT NULL,
  started_ns    INTEGER NOT NULL DEFAULT 0,
  finished_ns   INTEGER NOT NULL DEFAULT 0,
  CONSTRAINT export_range_valid CHECK (to_ns > from_ns)
) STRICT;
CREATE INDEX exports_unfinished ON exports (id) WHERE state IN ('queued', 'running');
CREATE INDEX exports_by_hall ON exports (hall, id);
