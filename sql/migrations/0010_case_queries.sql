-- The supervisors' case queries (web/cases.c, sql/store_case_queries.c) beyond the exchange
-- schema's indexes: cases by state alone and by hall (a hall-scoped supervisor), a department's
-- cases by warning level, and one staff member's stage events when the department is not given
-- (misconduct follows a person). Each named query reads one index range in keyset order.
CREATE INDEX cases_by_state ON cases (state, accepted_ns, id);
CREATE INDEX cases_by_hall ON cases (hall, accepted_ns, id) WHERE hall IS NOT NULL;
-- Not partial: with "warning_level > 0" in both places SQLite ranges on it instead of using the
-- equality, and sorts.
CREATE INDEX cases_by_department_warning ON cases (department, warning_level, accepted_ns, id);
CREATE INDEX stage_events_by_operator_any ON stage_events (operator_id, time_ns, id)
  WHERE operator_id IS NOT NULL;
-- All cases by warning level: cases_by_warning is partial (warning_level > 0), and a bound level
-- does not let the planner use it with the equality; this one needs no such proof.
CREATE INDEX cases_by_warning_level ON cases (warning_level, accepted_ns, id);
