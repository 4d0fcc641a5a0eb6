-- Warnings (预警纠错, issue 4): yellow/red warnings raised on cases by the rules of
-- cases/hw_warnings.h, their history, correction notices (督办) to departments with their
-- history, and the footage holds taken for cases (which hold rows belong to which case/warning).
-- Times are ns since the epoch, UTC.

-- A warning is raised at most once per (case, rule, subject): subject tells apart the instances
-- of a rule that can fire more than once on a case (stage_long: the stage event), '' otherwise.
-- department and hall are the case's, copied so that scope and the dashboard's counts are one
-- index range.
CREATE TABLE warnings (
  id               INTEGER PRIMARY KEY,
  case_id          INTEGER NOT NULL REFERENCES cases (id),
  department       TEXT NOT NULL,
  hall             TEXT NOT NULL DEFAULT '',
  rule             TEXT NOT NULL CONSTRAINT warning_rule_known CHECK (rule IN ('promised_near',
                     'promised_late', 'statutory_late', 'stage_order', 'fee_above_standard',
                     'rejection_without_reason', 'stage_long', 'complaint')),
  subject          TEXT NOT NULL DEFAULT '' CONSTRAINT warning_subject_fits CHECK (length(subject) <= 128),
  level            INTEGER NOT NULL CONSTRAINT warning_level_known CHECK (level IN (1, 2)),
  raised_ns        INTEGER NOT NULL,
  due_ns           INTEGER, -- the limit's end for deadline rules
  state            TEXT NOT NULL DEFAULT 'open' CONSTRAINT warning_state_known CHECK (state IN ('open', 'closed')),
  closed_ns        INTEGER,
  -- 'case_completed', 'superseded' (a red of the same limit), or 'user:<name>'
  closed_by        TEXT CONSTRAINT warning_closed_by_fits CHECK (length(closed_by) <= 80),
  close_note       TEXT CONSTRAINT warning_note_fits CHECK (length(close_note) <= 1000),
  hold_released_ns INTEGER NOT NULL DEFAULT 0,
  CONSTRAINT warning_once UNIQUE (case_id, rule, subject),
  CONSTRAINT warning_closed_complete CHECK ((state = 'closed') = (closed_ns IS NOT NULL))
) STRICT;
CREATE INDEX warnings_by_level ON warnings (level, id);
CREATE INDEX warnings_by_department ON warnings (department, level, id);
CREATE INDEX warnings_open ON warnings (case_id) WHERE state = 'open';
CREATE INDEX warnings_open_by_id ON warnings (id) WHERE state = 'open';

CREATE TABLE warning_history (
  id         INTEGER PRIMARY KEY,
  warning_id INTEGER NOT NULL REFERENCES warnings (id),
  at_ns      INTEGER NOT NULL,
  action     TEXT NOT NULL CONSTRAINT warning_action_known CHECK (action IN ('raised', 'superseded',
               'closed', 'notice_sent', 'hold_released')),
  actor      TEXT NOT NULL DEFAULT '' CONSTRAINT warning_actor_fits CHECK (length(actor) <= 80),
  note       TEXT CONSTRAINT warning_history_note_fits CHECK (length(note) <= 1000)
) STRICT;
CREATE INDEX warning_history_by_warning ON warning_history (warning_id, id);

-- A correction notice (督办) sent on a warning to the case's department; its system reads it and
-- replies through the exchange API. State: sent → read → replied; closed with its warning.
CREATE TABLE notices (
  id         INTEGER PRIMARY KEY,
  warning_id INTEGER NOT NULL REFERENCES warnings (id),
  department TEXT NOT NULL,
  text       TEXT NOT NULL CONSTRAINT notice_text_fits CHECK (length(text) BETWEEN 1 AND 1000),
  state      TEXT NOT NULL DEFAULT 'sent' CONSTRAINT notice_state_known CHECK (state IN ('sent', 'read',
               'replied', 'closed')),
  sent_ns    INTEGER NOT NULL,
  sent_by    TEXT NOT NULL,
  reply      TEXT CONSTRAINT notice_reply_fits CHECK (length(reply) <= 1000),
  updated_ns INTEGER NOT NULL
) STRICT;
CREATE INDEX notices_by_warning ON notices (warning_id, id);
CREATE INDEX notices_open_by_department ON notices (department, id) WHERE state <> 'closed';

CREATE TABLE notice_history (
  id        INTEGER PRIMARY KEY,
  notice_id INTEGER NOT NULL REFERENCES notices (id),
  at_ns     INTEGER NOT NULL,
  action    TEXT NOT NULL CONSTRAINT notice_action_known CHECK (action IN ('sent', 'read', 'replied', 'closed')),
  actor     TEXT NOT NULL DEFAULT '' CONSTRAINT notice_actor_fits CHECK (length(actor) <= 80),
  text      TEXT CONSTRAINT notice_history_text_fits CHECK (length(text) <= 1000)
) STRICT;
CREATE INDEX notice_history_by_notice ON notice_history (notice_id, id);

-- Which footage holds (the `holds` table) were taken for a case: 'open_case' (its window stages
-- while it is open; released when it completes) or 'warning' (a red warning's, including a
-- complaint's; released by a supervisor).
CREATE TABLE case_holds (
  hold_id    INTEGER PRIMARY KEY REFERENCES holds (id),
  case_id    INTEGER NOT NULL REFERENCES cases (id),
  warning_id INTEGER REFERENCES warnings (id),
  kind       TEXT NOT NULL CONSTRAINT case_hold_kind_known CHECK (kind IN ('open_case', 'warning')),
  CONSTRAINT case_hold_warning CHECK ((kind = 'warning') = (warning_id IS NOT NULL))
) STRICT;
CREATE INDEX case_holds_by_case ON case_holds (case_id, kind);
CREATE INDEX case_holds_by_warning ON case_holds (warning_id) WHERE warning_id IS NOT NULL;
