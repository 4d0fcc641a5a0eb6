-- The working-day calendar (issue 4): the dates that differ from the Monday-to-Friday week, each
-- a holiday (放假) or a worked weekend day (调休上班). Managed by admins over the API and
-- `hallwatchd calendar import`; the shipped PRC arrangements (cases/calendar/) are imported once
-- at first start (meta 'calendar_seeded'). meta 'calendar_version' grows with every change, so a
-- process holding the calendar in memory knows when to rebuild it.
CREATE TABLE calendar_days (
  day        TEXT PRIMARY KEY NOT NULL
             CONSTRAINT calendar_day_is_date CHECK (length(day) = 10 AND date(day, '+0 days') IS day),
  kind       TEXT NOT NULL CONSTRAINT calendar_kind_known CHECK (kind IN ('holiday', 'workday')),
  name       TEXT NOT NULL DEFAULT ''
             CONSTRAINT calendar_name_fits CHECK (length(CAST(name AS BLOB)) <= 127),
  updated_ns INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
INSERT INTO meta (key, value) VALUES ('calendar_version', '0');
