-- 0015: an investigator deletes an export's package (DELETE /api/v1/exports/{id}) when it has
-- been handed over, so packages do not fill the disk the footage needs. The job stays, with who
-- deleted the package and when; its footage hold is separate and stays until released.
ALTER TABLE exports ADD COLUMN deleted_ns INTEGER NOT NULL DEFAULT 0;
ALTER TABLE exports ADD COLUMN deleted_by TEXT NOT NULL DEFAULT ''
  CONSTRAINT export_deleted_by_fits CHECK (length(CAST(deleted_by AS BLOB)) <= 63);
