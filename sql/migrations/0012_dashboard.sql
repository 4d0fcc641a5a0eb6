-- 0012: what the supervisors' dashboard (web/dashboard.c) reads on every poll, each without a
-- scan of a large table: footage totals per camera kept by triggers (the index may hold hundreds
-- of thousands of files; sum(size) over them on each poll would read them all), the live holds
-- as an index of their own, the promised due instant of each running case (kept by the warnings
-- evaluation, which computes it anyway) and the running cases as a partial index.

-- Files and bytes indexed per camera. Kept by triggers, like file_spans, so that no code path can
-- forget it; filled once here from the rows already indexed.
CREATE TABLE footage_totals (
  camera TEXT PRIMARY KEY NOT NULL,
  files  INTEGER NOT NULL,
  bytes  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO footage_totals (camera, files, bytes)
  SELECT camera, count(*), coalesce(sum(size), 0) FROM files GROUP BY camera;
CREATE TRIGGER files_totals_insert AFTER INSERT ON files
BEGIN
  INSERT INTO footage_totals (camera, files, bytes) VALUES (NEW.camera, 1, NEW.size)
  ON CONFLICT (camera) DO UPDATE SET files = files + 1, bytes = bytes + excluded.bytes;
END;
CREATE TRIGGER files_totals_size AFTER UPDATE OF size ON files WHEN NEW.size <> OLD.size
BEGIN
  UPDATE footage_totals SET bytes = bytes + NEW.size - OLD.size WHERE camera = NEW.camera;
END;
CREATE TRIGGER files_totals_delete AFTER DELETE ON files
BEGIN
  UPDATE footage_totals SET files = files - 1, bytes = bytes - OLD.size WHERE camera = OLD.camera;
END;

-- The holds still in force (released ones stay as records and only grow in number).
CREATE INDEX holds_live ON holds (camera, from_ns) WHERE released_ns = 0;

-- The promised limit's due instant (24:00 of the due date in the hall's zone, docs/deadlines.md)
-- while the case runs and the date is known; NULL when completed, not accepted, or stopped by an
-- open suspension. Written by the warnings evaluation (cases/warnings.c), which runs on every
-- event of the case; "due today" is one range of this index.
ALTER TABLE cases ADD COLUMN promised_due_ns INTEGER;
CREATE INDEX cases_by_promised_due ON cases (promised_due_ns) WHERE promised_due_ns IS NOT NULL;
-- Cases in progress (accepted, not completed) counted by department: a partial index, covering
-- (SQLite counts a column the query names as needed even when the index's WHERE implies it).
CREATE INDEX cases_in_progress ON cases (department, hall, accepted_ns, completed_ns)
  WHERE accepted_ns IS NOT NULL AND completed_ns IS NULL;
