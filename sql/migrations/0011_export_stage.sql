-- A case stage export (issue 5): the stage event the job was made for, so that the manifest can
-- name the case's department, the stage's time, hall and window as the case store holds them.
-- NULL for a camera-range export. case_id and stage keep the case number and the stage type.
ALTER TABLE exports ADD COLUMN stage_event INTEGER REFERENCES stage_events (id);
