-- 0005: approval cases (办件) and what the departments' systems report about them through the
-- exchange API (issue 4, docs/exchange/): stage events, evaluations (评价), complaints (投诉), the
-- idempotency keys, the refused secret cases (only a hash) and each department's clock offset.
-- Times are ns since the epoch, UTC. A reported time is kept as the department said it
-- (*_reported_ns) and corrected by the department's clock offset (the unsuffixed *_ns, which
-- every query and deadline uses); received_ns is when HallWatch took the record in.
-- Amounts of money are integers in fen (0.01 yuan). Enumerations are the JSON names of
-- docs/exchange/openapi.yaml, checked here too.

-- A case is (department, case_number); version only grows (a newer version replaces the row in
-- place, so its id, and the stage events that point at it, stay).
CREATE TABLE cases (
  id                  INTEGER PRIMARY KEY,
  department          TEXT NOT NULL CONSTRAINT case_department_fits CHECK (length(department) BETWEEN 1 AND 63),
  case_number         TEXT NOT NULL CONSTRAINT case_number_fits CHECK (length(case_number) BETWEEN 1 AND 64),
  department_serial   TEXT CONSTRAINT case_serial_fits CHECK (length(department_serial) <= 64),
  version             INTEGER NOT NULL CONSTRAINT case_version_positive CHECK (version >= 1),
  item_code           TEXT NOT NULL CONSTRAINT case_item_code_fits CHECK (length(item_code) BETWEEN 1 AND 64),
  item_name           TEXT NOT NULL CONSTRAINT case_item_name_fits CHECK (length(item_name) BETWEEN 1 AND 200),
  applicant_type      TEXT NOT NULL CONSTRAINT case_applicant_type_known
                      CHECK (applicant_type IN ('person', 'company', 'other')),
  applicant_name      TEXT NOT NULL CONSTRAINT case_applicant_name_fits CHECK (length(applicant_name) BETWEEN 1 AND 200),
  applicant_id_type   TEXT CONSTRAINT case_applicant_id_type_fits CHECK (length(applicant_id_type) <= 32),
  applicant_id_number TEXT CONSTRAINT case_applicant_id_number_fits CHECK (length(applicant_id_number) <= 64),
  division_code       TEXT CONSTRAINT case_division_fits CHECK (length(division_code) <= 12),
  hall                TEXT CONSTRAINT case_hall_fits CHECK (length(hall) <= 63),
  window              TEXT CONSTRAINT case_window_fits CHECK (length(window) <= 63),
  queue_ticket        TEXT CONSTRAINT case_ticket_fits CHECK (length(queue_ticket) <= 32),
  accepted_ns         INTEGER, -- SLSJ, corrected; NULL until accepted
  accepted_reported_ns INTEGER,
  acceptance          TEXT CONSTRAINT case_acceptance_known CHECK (acceptance IN
                        ('accepted', 'not_accepted', 'supplement_required', 'refused')),
  statutory_limit     INTEGER NOT NULL CONSTRAINT case_statutory_limit_valid CHECK (statutory_limit BETWEEN 0 AND 3650),
  statutory_unit      TEXT NOT NULL CONSTRAINT case_statutory_unit_known
                      CHECK (statutory_unit IN ('working_days', 'calendar_days')),
  promised_limit      INTEGER NOT NULL CONSTRAINT case_promised_limit_valid CHECK (promised_limit BETWEEN 0 AND 3650),
  promised_unit       TEXT NOT NULL CONSTRAINT case_promised_unit_known
                      CHECK (promised_unit IN ('working_days', 'calendar_days')),
  fee_charged_fen     INTEGER CONSTRAINT case_fee_valid CHECK (fee_charged_fen >= 0),
  fee_standard_fen    INTEGER CONSTRAINT case_fee_standard_valid CHECK (fee_standard_fen >= 0),
  -- Only levels below 秘密 ever reach the store (the exchange API refuses the others).
  secrecy             TEXT NOT NULL CONSTRAINT case_secrecy_storable CHECK (secrecy IN ('none', 'internal')),
  result              TEXT CONSTRAINT case_result_known CHECK (result IN ('approved', 'rejected', 'withdrawn')),
  -- Derived by the store from the stage events: the stage of the latest one (by corrected time),
  -- 'registered' before any; state_ns its time. completed_ns: the first 'completed' event.
  state               TEXT NOT NULL DEFAULT 'registered',
  state_ns            INTEGER NOT NULL DEFAULT 0,
  completed_ns        INTEGER,
  -- Owned by the warnings module (cases/): 0 none, 1 yellow, 2 red; kept on the case so that
  -- "cases by warning level" is one index range.
  warning_level       INTEGER NOT NULL DEFAULT 0 CONSTRAINT case_warning_level_known CHECK (warning_level IN (0, 1, 2)),
  received_ns         INTEGER NOT NULL, -- the first version's arrival
  updated_ns          INTEGER NOT NULL, -- the current version's arrival
  CONSTRAINT case_unique UNIQUE (department, case_number)
) STRICT;
-- The supervisors' queries (issue 4, "API for the interface"), each an index range read in
-- keyset order (…, accepted_ns, id) — no OFFSET. Cases not yet accepted sort with accepted_ns
-- NULL (first); list queries filter on a range of accepted_ns.
CREATE INDEX cases_by_number ON cases (case_number);
CREATE INDEX cases_by_department_state ON cases (department, state, accepted_ns, id);
CREATE INDEX cases_by_accepted ON cases (accepted_ns, id);
CREATE INDEX cases_by_department_accepted ON cases (department, accepted_ns, id);
-- not partial: a bound "warning_level = ?" would not let SQLite prove a partial index's WHERE
CREATE INDEX cases_by_warning ON cases (warning_level, accepted_ns, id);
CREATE INDEX cases_by_window ON cases (hall, window, accepted_ns, id) WHERE window IS NOT NULL;
CREATE INDEX cases_by_item ON cases (item_code, accepted_ns, id);

CREATE TABLE stage_events (
  id              INTEGER PRIMARY KEY,
  case_id         INTEGER NOT NULL REFERENCES cases (id),
  department      TEXT NOT NULL,
  source_event_id TEXT NOT NULL CONSTRAINT stage_event_id_fits CHECK (length(source_event_id) BETWEEN 1 AND 128),
  stage           TEXT NOT NULL CONSTRAINT stage_known CHECK (stage IN ('ticket_called', 'submitted',
                    'pre_accepted', 'accepted', 'undertaken', 'reviewed', 'approved', 'returned',
                    'supplement_requested', 'supplement_received', 'special_procedure_started',
                    'special_procedure_ended', 'completed', 'certificate_collected')),
  time_ns         INTEGER NOT NULL, -- corrected
  reported_ns     INTEGER NOT NULL,
  received_ns     INTEGER NOT NULL,
  operator_id     TEXT CONSTRAINT stage_operator_fits CHECK (length(operator_id) <= 64),
  operator_name   TEXT CONSTRAINT stage_operator_name_fits CHECK (length(operator_name) <= 100),
  hall            TEXT CONSTRAINT stage_hall_fits CHECK (length(hall) <= 63),
  window          TEXT CONSTRAINT stage_window_fits CHECK (length(window) <= 63),
  queue_ticket    TEXT CONSTRAINT stage_ticket_fits CHECK (length(queue_ticket) <= 32),
  opinion         TEXT CONSTRAINT stage_opinion_fits CHECK (length(opinion) <= 2000),
  outcome         TEXT CONSTRAINT stage_outcome_known CHECK (outcome IN ('certificate_issued',
                    'returned', 'voided', 'deleted', 'forwarded', 'supplement_timeout', 'completed')),
  CONSTRAINT stage_outcome_on_completion CHECK ((stage = 'completed') = (outcome IS NOT NULL))
) STRICT;
-- one case with its stages, in time order
CREATE INDEX stage_events_by_case ON stage_events (case_id, time_ns, id);
-- one staff member's events across cases (misconduct follows a person, not a window)
CREATE INDEX stage_events_by_operator ON stage_events (department, operator_id, time_ns, id)
  WHERE operator_id IS NOT NULL;
-- a window's events in a time range (footage links, holds)
CREATE INDEX stage_events_by_window ON stage_events (hall, window, time_ns) WHERE window IS NOT NULL;

CREATE TABLE evaluations (
  id              INTEGER PRIMARY KEY,
  department      TEXT NOT NULL,
  source_event_id TEXT NOT NULL CONSTRAINT evaluation_id_fits CHECK (length(source_event_id) BETWEEN 1 AND 128),
  case_id         INTEGER REFERENCES cases (id), -- NULL: about a window, not a case
  time_ns         INTEGER NOT NULL,
  reported_ns     INTEGER NOT NULL,
  received_ns     INTEGER NOT NULL,
  hall            TEXT CONSTRAINT evaluation_hall_fits CHECK (length(hall) <= 63),
  window          TEXT CONSTRAINT evaluation_window_fits CHECK (length(window) <= 63),
  operator_id     TEXT CONSTRAINT evaluation_operator_fits CHECK (length(operator_id) <= 64),
  rating          TEXT NOT NULL CONSTRAINT evaluation_rating_known CHECK (rating IN ('very_satisfied',
                    'satisfied', 'basically_satisfied', 'dissatisfied', 'very_dissatisfied')),
  comment         TEXT CONSTRAINT evaluation_comment_fits CHECK (length(comment) <= 2000)
) STRICT;
CREATE INDEX evaluations_by_case ON evaluations (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX evaluations_by_department ON evaluations (department, time_ns);
CREATE INDEX evaluations_by_operator ON evaluations (department, operator_id, time_ns)
  WHERE operator_id IS NOT NULL;

CREATE TABLE complaints (
  id              INTEGER PRIMARY KEY,
  department      TEXT NOT NULL,
  source_event_id TEXT NOT NULL CONSTRAINT complaint_id_fits CHECK (length(source_event_id) BETWEEN 1 AND 128),
  case_id         INTEGER REFERENCES cases (id), -- NULL: about a window, not a case
  time_ns         INTEGER NOT NULL,
  reported_ns     INTEGER NOT NULL,
  received_ns     INTEGER NOT NULL,
  hall            TEXT CONSTRAINT complaint_hall_fits CHECK (length(hall) <= 63),
  window          TEXT CONSTRAINT complaint_window_fits CHECK (length(window) <= 63),
  operator_id     TEXT CONSTRAINT complaint_operator_fits CHECK (length(operator_id) <= 64),
  channel         TEXT NOT NULL CONSTRAINT complaint_channel_known CHECK (channel IN
                    ('in_person', 'phone', 'web', 'letter', 'other')),
  content         TEXT NOT NULL CONSTRAINT complaint_content_fits CHECK (length(content) BETWEEN 1 AND 4000)
) STRICT;
CREATE INDEX complaints_by_case ON complaints (case_id) WHERE case_id IS NOT NULL;
CREATE INDEX complaints_by_department ON complaints (department, time_ns);

-- Idempotency of stage events, evaluations and complaints: one namespace of source event ids per
-- department. A repeat of a key is acknowledged as a duplicate and not stored again.
CREATE TABLE exchange_keys (
  department      TEXT NOT NULL,
  source_event_id TEXT NOT NULL,
  kind            TEXT NOT NULL CONSTRAINT exchange_key_kind_known
                  CHECK (kind IN ('stage_event', 'evaluation', 'complaint')),
  row_id          INTEGER NOT NULL,
  received_ns     INTEGER NOT NULL,
  CONSTRAINT exchange_key_unique PRIMARY KEY (department, source_event_id)
) STRICT, WITHOUT ROWID;

-- Cases refused for their secrecy level (秘密 and above): nothing of them is stored but the
-- SHA-256 of "<department>\n<case number>", so that a later event naming one is refused (422)
-- instead of being taken for an unknown case.
CREATE TABLE refused_cases (
  department  TEXT NOT NULL,
  number_hash TEXT NOT NULL CONSTRAINT refused_hash_hex CHECK (length(number_hash) = 64),
  refused_ns  INTEGER NOT NULL,
  CONSTRAINT refused_case_unique PRIMARY KEY (department, number_hash)
) STRICT, WITHOUT ROWID;

-- Each department's clock: add offset_ns to the times it reports to get the appliance's time
-- (a department clock 2 s fast has -2 s). Written from the configuration at start
-- ([exchange] clock_offset.<department>); a department without a row has 0.
CREATE TABLE department_clocks (
  department TEXT PRIMARY KEY NOT NULL
             CONSTRAINT department_clock_code_fits CHECK (length(department) BETWEEN 1 AND 63),
  offset_ns  INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
