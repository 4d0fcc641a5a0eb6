/* Case data in the store (sql/hw_store_cases.h): the exchange ingest (one transaction per batch,
 * idempotent by source event id and by case version), refused secret cases, department clock
 * offsets, and the reads the case queries build on. Shares the handle's connection and lock
 * through hw_store_private.h; statements prepared once per handle, every value bound. */
#include "sql/hw_store_cases.h"

#include <sqlite3.h>
#include <string.h>

#include "sql/hw_store_private.h"
#include "sql/store_cases_private.h"

#define CASE_FIELDS                                                                                \
  "department_serial, version, item_code, item_name, applicant_type, applicant_name,"              \
  " applicant_id_type, applicant_id_number, division_code, hall, window, queue_ticket,"            \
  " accepted_ns, accepted_reported_ns, acceptance, statutory_limit, statutory_unit,"               \
  " promised_limit, promised_unit, fee_charged_fen, fee_standard_fen, secrecy, result"
static const char SQL_CLOCK_GET[] = "SELECT offset_ns FROM department_clocks WHERE department = ?1";
static const char SQL_CLOCKS_CLEAR[] = "DELETE FROM department_clocks";
static const char SQL_CLOCK_SET[] =
    "INSERT INTO department_clocks (department, offset_ns) VALUES (?1, ?2)";
static const char SQL_CASE_FIND[] =
    "SELECT id, version FROM cases WHERE department = ?1 AND case_number = ?2";
/* ?1 department, ?2 case_number, ?3..?25 CASE_FIELDS, ?26 received */
static const char SQL_CASE_INSERT[] =
    "INSERT INTO cases (department, case_number, " CASE_FIELDS ", received_ns, updated_ns)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15, ?16, ?17, ?18,"
    " ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26, ?26)";
static const char SQL_CASE_REPLACE[] =
    "UPDATE cases SET (" CASE_FIELDS ", updated_ns) = (?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12,"
    " ?13, ?14, ?15, ?16, ?17, ?18, ?19, ?20, ?21, ?22, ?23, ?24, ?25, ?26)"
    " WHERE department = ?1 AND case_number = ?2";
static const char SQL_KEY_FIND[] =
    "SELECT 1 FROM exchange_keys WHERE department = ?1 AND source_event_id = ?2";
static const char SQL_KEY_ADD[] =
    "INSERT INTO exchange_keys (department, source_event_id, kind, row_id, received_ns)"
    " VALUES (?1, ?2, ?3, ?4, ?5)";
static const char SQL_REFUSED_FIND[] =
    "SELECT 1 FROM refused_cases WHERE department = ?1 AND number_hash = ?2";
static const char SQL_REFUSED_ADD[] =
    "INSERT INTO refused_cases (department, number_hash, refused_ns) VALUES (?1, ?2, ?3)"
    " ON CONFLICT DO NOTHING";
static const char SQL_STAGE_INSERT[] =
    "INSERT INTO stage_events (case_id, department, source_event_id, stage, time_ns, reported_ns,"
    " received_ns, operator_id, operator_name, hall, window, queue_ticket, opinion, outcome)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14)";
/* The case's state follows its latest stage event by corrected time (a late-arriving older event
 * does not move it back); completed_ns is the first completion. */
static const char SQL_CASE_STAGE[] =
    "UPDATE cases SET state = CASE WHEN ?3 >= state_ns THEN ?2 ELSE state END,"
    " state_ns = max(state_ns, ?3),"
    " completed_ns = CASE WHEN ?2 = 'completed' THEN min(coalesce(completed_ns, ?3), ?3)"
    "   ELSE completed_ns END"
    " WHERE id = ?1";
static const char SQL_EVALUATION_INSERT[] =
    "INSERT INTO evaluations (department, source_event_id, case_id, time_ns, reported_ns,"
    " received_ns, hall, window, operator_id, rating, comment)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
static const char SQL_COMPLAINT_INSERT[] =
    "INSERT INTO complaints (department, source_event_id, case_id, time_ns, reported_ns,"
    " received_ns, hall, window, operator_id, channel, content)"
    " VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11)";
/* ?9: the caller's department scope as "\n<a>\n<b>\n", NULL for every department. */
static const char SQL_CASE_GET[] =
    "SELECT " CASE_COLS " FROM cases WHERE department = ?1 AND case_number = ?2"
    " AND (?9 IS NULL OR instr(?9, char(10) || department || char(10)) > 0)";
const char hw_store__sql_case_stages[] =
    "SELECT " STAGE_COLS("") " FROM stage_events INDEXED BY stage_events_by_case"
                             " WHERE case_id = ?1 ORDER BY time_ns, id";
/* Evaluations and complaints of a case naming a window, in the columns of STAGE_COLS. */
static const char SQL_CASE_FEEDBACK[] =
    "SELECT id, case_id, source_event_id, 'evaluation', time_ns, reported_ns, received_ns,"
    " coalesce(operator_id, ''), '', coalesce(hall, ''), window, '', rating, NULL"
    " FROM evaluations WHERE case_id = ?1 AND window IS NOT NULL"
    " UNION ALL SELECT id, case_id, source_event_id, 'complaint', time_ns, reported_ns,"
    " received_ns, coalesce(operator_id, ''), '', coalesce(hall, ''), window, '', channel, NULL"
    " FROM complaints WHERE case_id = ?1 AND window IS NOT NULL ORDER BY 5, 4, 1";
static const char SQL_STAGE_GET[] = "SELECT " STAGE_COLS("") " FROM stage_events WHERE id = ?1";
static const char SQL_COUNTS[] =
    "SELECT (SELECT count(*) FROM cases), (SELECT count(*) FROM stage_events),"
    " (SELECT count(*) FROM evaluations), (SELECT count(*) FROM complaints)";

const char *hw_ingest_outcome_name(HwIngestOutcome outcome)
{
  static const char *const names[] = {"accepted", "duplicate", "stale", "unknown_case",
                                      "secret_case"};
  return (unsigned)outcome < G_N_ELEMENTS(names) ? names[outcome] : NULL;
}

char *hw_store__scope_text(const char *const *codes)
{
  if (codes == NULL)
    return NULL;
  GString *s = g_string_new("\n");
  for (size_t i = 0; codes[i]; i++)
    if (strchr(codes[i], '\n') == NULL)
      g_string_append_printf(s, "%s\n", codes[i]);
  return g_string_free(s, FALSE);
}

static void bind_opt_text(sqlite3_stmt *st, int i, const char *s)
{
  if (s != NULL)
    hw_store__bind_text(st, i, s);
  else
    sqlite3_bind_null(st, i);
}

static void bind_opt_int(sqlite3_stmt *st, int i, bool has, int64_t v)
{
  if (has)
    sqlite3_bind_int64(st, i, v);
  else
    sqlite3_bind_null(st, i);
}

/* lowercase hex SHA-256 of "<department>\n<case number>" (g_free) */
static char *number_hash(const char *department, const char *case_number)
{
  g_autofree char *text = g_strconcat(department, "\n", case_number, NULL);
  return g_compute_checksum_for_string(G_CHECKSUM_SHA256, text, -1);
}

/* ---- department clocks ----------------------------------------------------------------------- */

static bool clock_get(HwStore *store, const char *department, int64_t *ret, GError **error)
{
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_CLOCK_GET, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, department);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    *ret = sqlite3_column_int64(st, 0);
    return true;
  }
  if (rc == SQLITE_DONE) {
    *ret = 0;
    return true;
  }
  hw_store__set_error(error, store, "reading the department's clock offset");
  return false;
}

bool hw_store_department_clock(HwStore *store, const char *department, int64_t *ret_offset_ns,
                               GError **error)
{
  g_return_val_if_fail(store && department && ret_offset_ns, false);
  HW_STORE_LOCKED(store);
  return clock_get(store, department, ret_offset_ns, error);
}

bool hw_store_department_clocks_set(HwStore *store, const char *const *departments,
                                    const int64_t *offsets_ns, size_t n, GError **error)
{
  g_return_val_if_fail(store && (n == 0 || (departments && offsets_ns)), false);
  HW_STORE_LOCKED(store);
  bool own;
  if (!hw_store__op_begin(store, &own, error))
    return false;
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_CLOCKS_CLEAR, error);
    if (!st || !hw_store__step_write(store, st, error, "clearing the department clocks"))
      goto fail;
  }
  for (size_t i = 0; i < n; i++) {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_CLOCK_SET, error);
    if (!st)
      goto fail;
    hw_store__bind_text(st, 1, departments[i]);
    sqlite3_bind_int64(st, 2, offsets_ns[i]);
    if (!hw_store__step_write(store, st, error, "setting a department's clock offset"))
      goto fail;
  }
  return hw_store__op_commit(store, own, error);

fail:
  hw_store__op_rollback(store, own);
  return false;
}

/* ---- ingest ---------------------------------------------------------------------------------- */

/* The stored case (id, version) of (department, number); *ret_id 0 if none. */
static bool case_find(HwStore *store, const char *department, const char *number, int64_t *ret_id,
                      int64_t *ret_version, GError **error)
{
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_CASE_FIND, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, department);
  hw_store__bind_text(st, 2, number);
  int rc = sqlite3_step(st);
  *ret_id = 0;
  *ret_version = 0;
  if (rc == SQLITE_ROW) {
    *ret_id = sqlite3_column_int64(st, 0);
    *ret_version = sqlite3_column_int64(st, 1);
    return true;
  }
  if (rc == SQLITE_DONE)
    return true;
  hw_store__set_error(error, store, "looking up a case");
  return false;
}

static bool case_write(HwStore *store, const char *sql, const HwCaseRecord *r, int64_t offset,
                       hw_time_ns received, GError **error)
{
  HW_AUTO_STMT st = hw_store__stmt(store, sql, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, r->department);
  hw_store__bind_text(st, 2, r->case_number);
  bind_opt_text(st, 3, r->department_serial);
  sqlite3_bind_int64(st, 4, r->version);
  hw_store__bind_text(st, 5, r->item_code);
  hw_store__bind_text(st, 6, r->item_name);
  hw_store__bind_text(st, 7, r->applicant_type);
  hw_store__bind_text(st, 8, r->applicant_name);
  bind_opt_text(st, 9, r->applicant_id_type);
  bind_opt_text(st, 10, r->applicant_id_number);
  bind_opt_text(st, 11, r->division_code);
  bind_opt_text(st, 12, r->hall);
  bind_opt_text(st, 13, r->window);
  bind_opt_text(st, 14, r->queue_ticket);
  bind_opt_int(st, 15, r->has_accepted, r->accepted_ns + offset);
  bind_opt_int(st, 16, r->has_accepted, r->accepted_ns);
  bind_opt_text(st, 17, r->acceptance);
  sqlite3_bind_int(st, 18, r->statutory_limit);
  hw_store__bind_text(st, 19, r->statutory_unit);
  sqlite3_bind_int(st, 20, r->promised_limit);
  hw_store__bind_text(st, 21, r->promised_unit);
  bind_opt_int(st, 22, r->fee_charged_fen >= 0, r->fee_charged_fen);
  bind_opt_int(st, 23, r->fee_standard_fen >= 0, r->fee_standard_fen);
  hw_store__bind_text(st, 24, r->secrecy);
  bind_opt_text(st, 25, r->result);
  sqlite3_bind_int64(st, 26, received);
  return hw_store__step_write(store, st, error, "storing a case");
}

/* Whether sql (a SELECT of ?1, ?2) finds a row; what names the lookup for the error. */
static bool row_exists(HwStore *store, const char *sql, const char *a, const char *b,
                       const char *what, bool *ret_found, GError **error)
{
  HW_AUTO_STMT st = hw_store__stmt(store, sql, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, a);
  hw_store__bind_text(st, 2, b);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    hw_store__set_error(error, store, what);
    return false;
  }
  *ret_found = rc == SQLITE_ROW;
  return true;
}

static bool key_add(HwStore *store, const HwCaseRecord *r, const char *kind, int64_t row_id,
                    hw_time_ns received, GError **error)
{
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_KEY_ADD, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, r->department);
  hw_store__bind_text(st, 2, r->event_id);
  hw_store__bind_text(st, 3, kind);
  sqlite3_bind_int64(st, 4, row_id);
  sqlite3_bind_int64(st, 5, received);
  return hw_store__step_write(store, st, error, "storing a source event id");
}

static bool refused_find(HwStore *store, const char *department, const char *number,
                         bool *ret_refused, GError **error)
{
  g_autofree char *hash = number_hash(department, number);
  return row_exists(store, SQL_REFUSED_FIND, department, hash, "looking up refused cases",
                    ret_refused, error);
}

/* Stores one record keyed by a source event id (stage event, evaluation, complaint) whose case,
 * if it names one, is case_id (0: none). */
static bool event_insert(HwStore *store, const HwCaseRecord *r, int64_t case_id, int64_t offset,
                         hw_time_ns received, GError **error)
{
  const char *kind = r->type == HW_CASE_RECORD_STAGE_EVENT  ? "stage_event"
                     : r->type == HW_CASE_RECORD_EVALUATION ? "evaluation"
                                                            : "complaint";
  {
    HW_AUTO_STMT st = NULL;
    if (r->type == HW_CASE_RECORD_STAGE_EVENT) {
      st = hw_store__stmt(store, SQL_STAGE_INSERT, error);
      if (!st)
        return false;
      sqlite3_bind_int64(st, 1, case_id);
      hw_store__bind_text(st, 2, r->department);
      hw_store__bind_text(st, 3, r->event_id);
      hw_store__bind_text(st, 4, r->stage);
      sqlite3_bind_int64(st, 5, r->time_ns + offset);
      sqlite3_bind_int64(st, 6, r->time_ns);
      sqlite3_bind_int64(st, 7, received);
      bind_opt_text(st, 8, r->operator_id);
      bind_opt_text(st, 9, r->operator_name);
      bind_opt_text(st, 10, r->hall);
      bind_opt_text(st, 11, r->window);
      bind_opt_text(st, 12, r->queue_ticket);
      bind_opt_text(st, 13, r->opinion);
      bind_opt_text(st, 14, r->outcome);
    } else {
      bool eval = r->type == HW_CASE_RECORD_EVALUATION;
      st = hw_store__stmt(store, eval ? SQL_EVALUATION_INSERT : SQL_COMPLAINT_INSERT, error);
      if (!st)
        return false;
      hw_store__bind_text(st, 1, r->department);
      hw_store__bind_text(st, 2, r->event_id);
      bind_opt_int(st, 3, case_id != 0, case_id);
      sqlite3_bind_int64(st, 4, r->time_ns + offset);
      sqlite3_bind_int64(st, 5, r->time_ns);
      sqlite3_bind_int64(st, 6, received);
      bind_opt_text(st, 7, r->hall);
      bind_opt_text(st, 8, r->window);
      bind_opt_text(st, 9, r->operator_id);
      hw_store__bind_text(st, 10, eval ? r->rating : r->channel);
      bind_opt_text(st, 11, eval ? r->comment : r->content);
    }
    if (!hw_store__step_write(store, st, error, "storing an exchange record"))
      return false;
  }
  int64_t row_id = sqlite3_last_insert_rowid(hw_store__db(store));
  if (!key_add(store, r, kind, row_id, received, error))
    return false;
  if (r->type != HW_CASE_RECORD_STAGE_EVENT)
    return true;
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_CASE_STAGE, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, case_id);
  hw_store__bind_text(st, 2, r->stage);
  sqlite3_bind_int64(st, 3, r->time_ns + offset);
  return hw_store__step_write(store, st, error, "moving the case's state");
}

/* One record inside the transaction; *ret says what became of it. */
static bool ingest_one(HwStore *store, const HwCaseRecord *r, int64_t offset, hw_time_ns received,
                       HwIngestOutcome *ret, GError **error)
{
  int64_t case_id = 0, version = 0;
  if (r->type == HW_CASE_RECORD_CASE) {
    if (!case_find(store, r->department, r->case_number, &case_id, &version, error))
      return false;
    if (case_id != 0 && r->version == version) {
      *ret = HW_INGEST_DUPLICATE;
      return true;
    }
    if (case_id != 0 && r->version < version) {
      *ret = HW_INGEST_STALE;
      return true;
    }
    *ret = HW_INGEST_ACCEPTED;
    return case_write(store, case_id ? SQL_CASE_REPLACE : SQL_CASE_INSERT, r, offset, received,
                      error);
  }
  bool seen;
  if (!row_exists(store, SQL_KEY_FIND, r->department, r->event_id, "looking up a source event id",
                  &seen, error))
    return false;
  if (seen) {
    *ret = HW_INGEST_DUPLICATE;
    return true;
  }
  if (r->case_number != NULL) {
    if (!case_find(store, r->department, r->case_number, &case_id, &version, error))
      return false;
    if (case_id == 0) {
      bool refused;
      if (!refused_find(store, r->department, r->case_number, &refused, error))
        return false;
      *ret = refused ? HW_INGEST_SECRET_CASE : HW_INGEST_UNKNOWN_CASE;
      return true;
    }
  }
  *ret = HW_INGEST_ACCEPTED;
  return event_insert(store, r, case_id, offset, received, error);
}

bool hw_store_cases_ingest(HwStore *store, const char *department, const HwCaseRecord *records,
                           size_t n, hw_time_ns received_ns, HwIngestOutcome *ret_outcomes,
                           int64_t *ret_tx_ns, GError **error)
{
  g_return_val_if_fail(store && department && (n == 0 || (records && ret_outcomes)), false);
  for (size_t i = 0; i < n; i++) {
    if (g_strcmp0(records[i].department, department) != 0 ||
        (records[i].type != HW_CASE_RECORD_CASE && records[i].event_id == NULL) ||
        (records[i].type == HW_CASE_RECORD_CASE && records[i].case_number == NULL)) {
      g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_INVALID,
                  "storing exchange records: record %zu is not a complete record of department %s",
                  i, department);
      return false;
    }
  }
  HW_STORE_LOCKED(store);
  int64_t t0 = hw_time_monotonic();
  bool own = false, failed = false;
  int64_t offset;
  if (!hw_store__op_begin(store, &own, error))
    return false;
  if (!clock_get(store, department, &offset, error))
    goto fail;
  for (size_t i = 0; i < n; i++) {
    if (!ingest_one(store, &records[i], offset, received_ns, &ret_outcomes[i], error))
      goto fail;
    failed |= ret_outcomes[i] == HW_INGEST_UNKNOWN_CASE || ret_outcomes[i] == HW_INGEST_SECRET_CASE;
  }
  if (failed) {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND,
                "storing exchange records: some records name a case that is not stored");
    goto fail;
  }
  if (!hw_store__op_commit(store, own, error))
    goto out;
  if (ret_tx_ns)
    *ret_tx_ns = hw_time_monotonic() - t0;
  return true;

fail:
  hw_store__op_rollback(store, own);
out:
  if (ret_tx_ns)
    *ret_tx_ns = hw_time_monotonic() - t0;
  return false;
}

bool hw_store_cases_refuse_secret(HwStore *store, const char *department,
                                  const char *const *case_numbers, size_t n, hw_time_ns now,
                                  GError **error)
{
  g_return_val_if_fail(store && department && (n == 0 || case_numbers), false);
  HW_STORE_LOCKED(store);
  bool own;
  if (!hw_store__op_begin(store, &own, error))
    return false;
  for (size_t i = 0; i < n; i++) {
    g_autofree char *hash = number_hash(department, case_numbers[i]);
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_REFUSED_ADD, error);
    if (!st)
      goto fail;
    hw_store__bind_text(st, 1, department);
    hw_store__bind_text(st, 2, hash);
    sqlite3_bind_int64(st, 3, now);
    if (!hw_store__step_write(store, st, error, "remembering a refused case"))
      goto fail;
  }
  return hw_store__op_commit(store, own, error);

fail:
  hw_store__op_rollback(store, own);
  return false;
}

/* ---- reading back ---------------------------------------------------------------------------- */

void hw_store__case_from_row(sqlite3_stmt *st, HwStoreCase *c)
{
  memset(c, 0, sizeof *c);
  c->id = sqlite3_column_int64(st, 0);
  hw_store__copy_text(c->department, sizeof c->department, st, 1);
  hw_store__copy_text(c->case_number, sizeof c->case_number, st, 2);
  hw_store__copy_text(c->department_serial, sizeof c->department_serial, st, 3);
  c->version = sqlite3_column_int64(st, 4);
  hw_store__copy_text(c->item_code, sizeof c->item_code, st, 5);
  hw_store__copy_text(c->item_name, sizeof c->item_name, st, 6);
  hw_store__copy_text(c->applicant_type, sizeof c->applicant_type, st, 7);
  hw_store__copy_text(c->applicant_name, sizeof c->applicant_name, st, 8);
  hw_store__copy_text(c->applicant_id_type, sizeof c->applicant_id_type, st, 9);
  hw_store__copy_text(c->applicant_id_number, sizeof c->applicant_id_number, st, 10);
  hw_store__copy_text(c->division_code, sizeof c->division_code, st, 11);
  hw_store__copy_text(c->hall, sizeof c->hall, st, 12);
  hw_store__copy_text(c->window, sizeof c->window, st, 13);
  hw_store__copy_text(c->queue_ticket, sizeof c->queue_ticket, st, 14);
  c->accepted_ns = sqlite3_column_int64(st, 15);
  c->accepted_reported_ns = sqlite3_column_int64(st, 16);
  hw_store__copy_text(c->acceptance, sizeof c->acceptance, st, 17);
  c->statutory_limit = sqlite3_column_int(st, 18);
  hw_store__copy_text(c->statutory_unit, sizeof c->statutory_unit, st, 19);
  c->promised_limit = sqlite3_column_int(st, 20);
  hw_store__copy_text(c->promised_unit, sizeof c->promised_unit, st, 21);
  c->fee_charged_fen = sqlite3_column_int64(st, 22);
  c->fee_standard_fen = sqlite3_column_int64(st, 23);
  hw_store__copy_text(c->secrecy, sizeof c->secrecy, st, 24);
  hw_store__copy_text(c->result, sizeof c->result, st, 25);
  hw_store__copy_text(c->state, sizeof c->state, st, 26);
  c->state_ns = sqlite3_column_int64(st, 27);
  c->completed_ns = sqlite3_column_int64(st, 28);
  c->warning_level = sqlite3_column_int(st, 29);
  c->received_ns = sqlite3_column_int64(st, 30);
  c->updated_ns = sqlite3_column_int64(st, 31);
  c->promised_due_ns = sqlite3_column_int64(st, 32);
}

bool hw_store_case_get(HwStore *store, const char *department, const char *case_number,
                       const char *const *departments, HwStoreCase *ret, GError **error)
{
  g_return_val_if_fail(store && department && case_number && ret, false);
  g_autofree char *scope = hw_store__scope_text(departments);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_CASE_GET, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, department);
  hw_store__bind_text(st, 2, case_number);
  if (scope)
    hw_store__bind_text(st, 9, scope);
  else
    sqlite3_bind_null(st, 9);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    hw_store__case_from_row(st, ret);
    return true;
  }
  if (rc == SQLITE_DONE) {
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND, "case %s of %s: not found",
                case_number, department);
    return false;
  }
  hw_store__set_error(error, store, "reading a case");
  return false;
}

void hw_store__stage_from_row(sqlite3_stmt *st, HwStoreStageEvent *e)
{
  memset(e, 0, sizeof *e);
  e->id = sqlite3_column_int64(st, 0);
  e->case_id = sqlite3_column_int64(st, 1);
  hw_store__copy_text(e->source_event_id, sizeof e->source_event_id, st, 2);
  hw_store__copy_text(e->stage, sizeof e->stage, st, 3);
  e->time_ns = sqlite3_column_int64(st, 4);
  e->reported_ns = sqlite3_column_int64(st, 5);
  e->received_ns = sqlite3_column_int64(st, 6);
  hw_store__copy_text(e->operator_id, sizeof e->operator_id, st, 7);
  hw_store__copy_text(e->operator_name, sizeof e->operator_name, st, 8);
  hw_store__copy_text(e->hall, sizeof e->hall, st, 9);
  hw_store__copy_text(e->window, sizeof e->window, st, 10);
  hw_store__copy_text(e->queue_ticket, sizeof e->queue_ticket, st, 11);
  hw_store__copy_text(e->outcome, sizeof e->outcome, st, 12);
  const unsigned char *op = sqlite3_column_text(st, 13);
  e->opinion = op ? g_strdup((const char *)op) : NULL;
}

void hw_store_stage_events_free(HwStoreStageEvent *events, size_t n)
{
  for (size_t i = 0; events && i < n; i++)
    g_free(events[i].opinion);
  g_free(events);
}

bool hw_store_stage_event_get(HwStore *store, int64_t id, HwStoreStageEvent *ret, GError **error)
{
  g_return_val_if_fail(store && ret, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_STAGE_GET, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, id);
  int rc = sqlite3_step(st);
  if (rc == SQLITE_ROW) {
    hw_store__stage_from_row(st, ret);
    g_clear_pointer(&ret->opinion, g_free);
    return true;
  }
  if (rc == SQLITE_DONE)
    g_set_error(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND,
                "stage event %" G_GINT64_FORMAT ": not found", id);
  else
    hw_store__set_error(error, store, "reading a stage event");
  return false;
}

static bool case_events(HwStore *store, const char *sql, int64_t case_id, HwStoreStageEvent **ret,
                        size_t *ret_n, GError **error)
{
  g_return_val_if_fail(store && ret && ret_n, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, sql, error);
  if (!st)
    return false;
  sqlite3_bind_int64(st, 1, case_id);
  g_autoptr(GArray) out = g_array_new(FALSE, TRUE, sizeof(HwStoreStageEvent));
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    HwStoreStageEvent e;
    hw_store__stage_from_row(st, &e);
    g_array_append_val(out, e);
  }
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "reading a case's stages");
    for (guint i = 0; i < out->len; i++)
      g_free(g_array_index(out, HwStoreStageEvent, i).opinion);
    return false;
  }
  *ret_n = out->len;
  *ret = (HwStoreStageEvent *)(void *)g_array_free(g_steal_pointer(&out), FALSE);
  return true;
}

bool hw_store_case_stages(HwStore *store, int64_t case_id, HwStoreStageEvent **ret, size_t *ret_n,
                          GError **error)
{
  return case_events(store, hw_store__sql_case_stages, case_id, ret, ret_n, error);
}

bool hw_store_case_feedback(HwStore *store, int64_t case_id, HwStoreStageEvent **ret, size_t *ret_n,
                            GError **error)
{
  return case_events(store, SQL_CASE_FEEDBACK, case_id, ret, ret_n, error);
}

bool hw_store_cases_counts(HwStore *store, int64_t ret_counts[4], GError **error)
{
  g_return_val_if_fail(store && ret_counts, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_COUNTS, error);
  if (!st)
    return false;
  if (sqlite3_step(st) != SQLITE_ROW) {
    hw_store__set_error(error, store, "counting case records");
    return false;
  }
  for (int i = 0; i < 4; i++)
    ret_counts[i] = sqlite3_column_int64(st, i);
  return true;
}
