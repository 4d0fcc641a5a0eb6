/* The store's part of case data (migration "cases"): cases (办件), stage events, evaluations,
 * complaints, the idempotency keys of the exchange API, refused secret cases (a hash only) and
 * the departments' clock offsets. The schema and the queries it is indexed for are described in
 * docs/exchange/README.md ("Store"). Records arrive already validated by cases/hw_exchange.h;
 * the schema checks the same limits again. Thread-safe like the rest of the store; errors are
 * GError in domain HW_STORE_ERROR. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "sql/hw_store.h"

G_BEGIN_DECLS

typedef enum {
  HW_CASE_RECORD_CASE,
  HW_CASE_RECORD_STAGE_EVENT,
  HW_CASE_RECORD_EVALUATION,
  HW_CASE_RECORD_COMPLAINT,
} HwCaseRecordType;

/* One exchange record, typed. Strings are borrowed (from the parsed JSON) and NULL when absent;
 * enumerations are the JSON names of docs/exchange/openapi.yaml. Times are as the department
 * reported them (the store applies the department's clock offset). Fields not of the record's
 * type are NULL/0. */
typedef struct {
  HwCaseRecordType type;
  const char *department;
  const char *case_number; /* SBLSH; NULL for an evaluation or complaint about no case */
  const char *event_id;    /* the source's own event id; NULL for a case */
  /* case */
  int64_t version;
  const char *department_serial, *item_code, *item_name;
  const char *applicant_type, *applicant_name, *applicant_id_type, *applicant_id_number;
  const char *division_code, *acceptance, *statutory_unit, *promised_unit, *secrecy, *result;
  int32_t statutory_limit, promised_limit;
  int64_t fee_charged_fen, fee_standard_fen; /* -1: not given */
  bool has_accepted;
  hw_time_ns accepted_ns;
  /* shared by several types */
  const char *hall, *window, *queue_ticket, *operator_id, *operator_name;
  hw_time_ns time_ns; /* stage event, evaluation, complaint */
  /* stage event */
  const char *stage, *outcome, *opinion;
  /* evaluation */
  const char *rating, *comment;
  /* complaint */
  const char *channel, *content;
} HwCaseRecord;

/* What became of one record. The first three are answers; the others make the whole ingest fail
 * (nothing stored) and say which records were at fault. */
typedef enum {
  HW_INGEST_ACCEPTED,     /* stored (a case: new, or a newer version that replaced the old) */
  HW_INGEST_DUPLICATE,    /* already stored (same source event id, or same case version) */
  HW_INGEST_STALE,        /* a case older than the stored version: acknowledged, not applied */
  HW_INGEST_UNKNOWN_CASE, /* names a case neither stored nor earlier in the batch */
  HW_INGEST_SECRET_CASE,  /* names a case refused for its secrecy level */
} HwIngestOutcome;

/* "accepted", "duplicate", "stale", "unknown_case", "secret_case". */
const char *hw_ingest_outcome_name(HwIngestOutcome outcome);

/* Stores records[0..n) of `department` (every record's department must be it; the caller has
 * checked, the store checks again: HW_STORE_ERROR_INVALID) in ONE transaction, all or nothing.
 * Each record's times are corrected by the department's clock offset; received_ns is kept.
 * ret_outcomes[i] (an array of n, caller-owned) says what became of record i. If any record is
 * UNKNOWN_CASE or SECRET_CASE, nothing is stored and false is returned with
 * HW_STORE_ERROR_NOT_FOUND (the outcomes say which); ret_outcomes is then complete for those two
 * kinds only. *ret_tx_ns (nullable) is how long the store's write lock was held. */
bool hw_store_cases_ingest(HwStore *store, const char *department, const HwCaseRecord *records,
                           size_t n, hw_time_ns received_ns, HwIngestOutcome *ret_outcomes,
                           int64_t *ret_tx_ns, GError **error);

/* Remembers that these case numbers of `department` were refused as secret (only a hash of each
 * is kept; see the migration). Idempotent. */
bool hw_store_cases_refuse_secret(HwStore *store, const char *department,
                                  const char *const *case_numbers, size_t n, hw_time_ns now,
                                  GError **error);

/* Replaces every department clock offset with the given ones (departments[i] → offsets_ns[i]), in
 * one transaction; departments not listed get 0. */
bool hw_store_department_clocks_set(HwStore *store, const char *const *departments,
                                    const int64_t *offsets_ns, size_t n, GError **error);
/* The offset of a department (0 when none is set). */
bool hw_store_department_clock(HwStore *store, const char *department, int64_t *ret_offset_ns,
                               GError **error);

/* ---- reading back (the base the case query API builds on) ------------------------------------ */

typedef struct {
  int64_t id;
  char department[64];
  char case_number[65];
  char department_serial[65];
  int64_t version;
  char item_code[65];
  char item_name[200 * 4 + 1];
  char applicant_type[16];
  char applicant_name[200 * 4 + 1];
  char applicant_id_type[33];
  char applicant_id_number[65];
  char division_code[13];
  char hall[64];
  char window[64];
  char queue_ticket[33];
  hw_time_ns accepted_ns; /* 0: not accepted */
  hw_time_ns accepted_reported_ns;
  char acceptance[24];
  int32_t statutory_limit, promised_limit;
  char statutory_unit[16], promised_unit[16];
  int64_t fee_charged_fen, fee_standard_fen; /* -1: not given */
  char secrecy[16];
  char result[16];
  char state[32];
  hw_time_ns state_ns;
  hw_time_ns completed_ns; /* 0: not completed */
  int warning_level;
  hw_time_ns received_ns, updated_ns;
  hw_time_ns promised_due_ns; /* the promised limit's due instant while running; 0 unknown */
} HwStoreCase;

typedef struct {
  int64_t id;
  int64_t case_id;
  char source_event_id[129];
  char stage[32];
  hw_time_ns time_ns, reported_ns, received_ns;
  char operator_id[65];
  char operator_name[100 * 4 + 1];
  char hall[64];
  char window[64];
  char queue_ticket[33];
  char outcome[24];
  char *opinion; /* g_malloc'd, NULL if none: freed by hw_store_stage_events_free */
} HwStoreStageEvent;

/* One case by (department, case number); NOT_FOUND if none. departments: the caller's scope
 * (NULL-terminated codes, or NULL for every department); a case outside it is NOT_FOUND. */
bool hw_store_case_get(HwStore *store, const char *department, const char *case_number,
                       const char *const *departments, HwStoreCase *ret, GError **error);
/* The stage events of a case in time order (free with hw_store_stage_events_free). */
bool hw_store_case_stages(HwStore *store, int64_t case_id, HwStoreStageEvent **ret, size_t *ret_n,
                          GError **error);
void hw_store_stage_events_free(HwStoreStageEvent *events, size_t n);
/* The evaluations (评价) and complaints (投诉) about a case that name a window, in time order, in
 * the shape of stage events (free with hw_store_stage_events_free): stage is "evaluation" or
 * "complaint", outcome the rating or the channel, id the row's id in its own table. */
bool hw_store_case_feedback(HwStore *store, int64_t case_id, HwStoreStageEvent **ret, size_t *ret_n,
                            GError **error);
/* One stage event by its store id (ret->opinion is left NULL); NOT_FOUND if none. */
bool hw_store_stage_event_get(HwStore *store, int64_t id, HwStoreStageEvent *ret, GError **error);

/* Row counts of the four record tables (tests, metrics): cases, stage events, evaluations,
 * complaints. */
bool hw_store_cases_counts(HwStore *store, int64_t ret_counts[4], GError **error);

G_END_DECLS
