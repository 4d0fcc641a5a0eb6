/* Shared between sql/store_cases.c and sql/store_case_queries.c only: the column lists of a case
 * and of a stage event as the readers select them, and their row decoders. */
#pragma once

#include <sqlite3.h>

#include "sql/hw_store_cases.h"

#define CASE_COLS                                                                                  \
  "id, department, case_number, coalesce(department_serial, ''), version, item_code, item_name,"   \
  " applicant_type, applicant_name, coalesce(applicant_id_type, ''),"                              \
  " coalesce(applicant_id_number, ''), coalesce(division_code, ''), coalesce(hall, ''),"           \
  " coalesce(window, ''), coalesce(queue_ticket, ''), coalesce(accepted_ns, 0),"                   \
  " coalesce(accepted_reported_ns, 0), coalesce(acceptance, ''), statutory_limit, statutory_unit," \
  " promised_limit, promised_unit, coalesce(fee_charged_fen, -1), coalesce(fee_standard_fen, -1)," \
  " secrecy, coalesce(result, ''), state, state_ns, coalesce(completed_ns, 0), warning_level,"     \
  " received_ns, updated_ns, coalesce(promised_due_ns, 0)"

/* The stage event columns, each prefixed by p ("" or "e."). */
#define STAGE_COLS(p)                                                                              \
  p "id, " p "case_id, " p "source_event_id, " p "stage, " p "time_ns, " p "reported_ns, " p       \
    "received_ns, coalesce(" p "operator_id, ''), coalesce(" p "operator_name, ''), coalesce(" p   \
    "hall, ''), coalesce(" p "window, ''), coalesce(" p "queue_ticket, ''), coalesce(" p           \
    "outcome, ''), " p "opinion"
#define STAGE_N_COLS 14

/* A row of CASE_COLS / STAGE_COLS (from column 0) into *ret. */
void hw_store__case_from_row(sqlite3_stmt *st, HwStoreCase *ret);
void hw_store__stage_from_row(sqlite3_stmt *st, HwStoreStageEvent *ret);

/* A scope as "\n<a>\n<b>\n" for instr() in SQL (g_free); NULL for NULL (unrestricted). */
char *hw_store__scope_text(const char *const *codes);
extern const char hw_store__sql_case_stages[]; /* one case's stages in time order */
