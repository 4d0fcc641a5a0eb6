-- Settings changed in the web interface (issue 6): [warnings] and [retention] keys that override
-- the configuration file's values until returned to it (the row is deleted). name is
-- "<section>.<key>", value the text the configuration file would hold ("false", "2/3", "30",
-- "1G"); who and when say who set it last (the audit log has the history).
CREATE TABLE settings (
  name TEXT PRIMARY KEY,
  value TEXT NOT NULL,
  updated_by TEXT NOT NULL,
  updated_ns INTEGER NOT NULL
);
