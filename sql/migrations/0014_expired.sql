-- 0014: where retention has deleted a camera's footage up to. The footage API calls a gap
-- "expired" only before this instant; before a camera's first recording, where nothing was ever
-- deleted, the gap is "not_recorded" (a new camera's past is not footage that expired). Set by
-- retention (hw_store_file_expire) in the transaction that deletes the file's row.
ALTER TABLE footage_totals ADD COLUMN expired_until_ns INTEGER NOT NULL DEFAULT 0;
-- A database from before knows no history: its oldest footage may have been preceded by deleted
-- files, so the time before it stays "expired" as it was shown until now.
UPDATE footage_totals
  SET expired_until_ns = coalesce((SELECT min(start_ns) FROM files WHERE camera = footage_totals.camera), 0);
