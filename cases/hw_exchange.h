/* The exchange format (docs/exchange/openapi.yaml): a batch {"records": [...]} of cases (办件),
 * stage events, evaluations (评价) and complaints (投诉) from a department's system. Owns
 * parsing and validation into typed records (sql/hw_store_cases.h), the batch rules (a token
 * writes only its own department; secret cases are refused, with every record naming them) and
 * the one path from a parsed batch to the store, shared by POST /api/v1/exchange/batch and
 * `hallwatchd import`. Knows nothing of HTTP. Library code: does not log. */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>

#include "sql/hw_store_cases.h"

G_BEGIN_DECLS

#define HW_EXCHANGE_BATCH_MAX 10000             /* records in one batch (one transaction) */
#define HW_EXCHANGE_BODY_MAX (16 * 1024 * 1024) /* bytes of one batch over HTTP */
#define HW_EXCHANGE_PROBLEMS_MAX 20000          /* problems listed in one answer (2 per record) */

/* One thing wrong with a batch: the record's index in the batch (SIZE_MAX: the batch itself),
 * the JSON pointer of the field into the batch ("/records/3/time"), and a reason for a person.
 * Reasons never repeat a value of the record (it may be personal or secret data). */
typedef struct {
  size_t index;
  char *field;
  char *reason;
} HwExchangeProblem;

typedef enum {
  HW_EXCHANGE_OK,        /* stored; outcomes says what became of each record */
  HW_EXCHANGE_INVALID,   /* 400: bad records (problems lists every one), nothing stored */
  HW_EXCHANGE_FORBIDDEN, /* 403: records of another department, nothing stored */
  HW_EXCHANGE_SECRET,    /* 422: secret cases or records naming them, nothing stored */
  HW_EXCHANGE_FAILED,    /* the store failed (message), nothing stored */
} HwExchangeStatus;

typedef struct {
  HwExchangeStatus status;
  GArray *problems;          /* HwExchangeProblem, for INVALID, FORBIDDEN and SECRET */
  size_t from, n;            /* the batch: records[from, from + n) of the array */
  HwCaseRecord *records;     /* n parsed records (strings borrowed from the JSON) */
  HwIngestOutcome *outcomes; /* n entries, for OK */
  size_t accepted, duplicate, stale;
  size_t secret; /* records refused as (naming) secret cases, for SECRET */
  int64_t tx_ns; /* how long the store's write lock was held */
  char *message; /* a summary for a person (every status) */
} HwExchangeResult;

/* Frees what a result holds (not the struct itself); the result is zeroed. */
void hw_exchange_result_clear(HwExchangeResult *result);

/* Checks the shape of a batch document: an object with exactly the key "records", an array of
 * 1..max records (max 0: no limit, for files). Returns the array (borrowed) or NULL with the
 * problem in *ret_problem (fields g_free'd by the caller). */
json_t *hw_exchange_records(json_t *doc, size_t max, HwExchangeProblem *ret_problem);

/* Parses and validates records[from, from + count) of a records array into ret_records (an array
 * of count, caller-owned; strings borrowed from the JSON, valid as long as it lives). Problems are
 * appended to problems (an empty GArray of HwExchangeProblem; past HW_EXCHANGE_PROBLEMS_MAX one
 * last entry says there are more), each
 * with the record's index in the array and a pointer "/records/<index>/<field>". Returns true if
 * every record is valid. */
bool hw_exchange_parse(json_t *records, size_t from, size_t count, HwCaseRecord *ret_records,
                       GArray *problems);

/* Whether a secrecy level is "secret" (秘密) or above: such cases are never stored. */
bool hw_exchange_is_secret(const char *secrecy);

/* The whole path of one batch written by `department` (a token's, or `import --department`):
 * parse and validate, refuse records of other departments, refuse secret cases and every record
 * of the batch naming one (their numbers are remembered as a hash), then store all or nothing in
 * one transaction. records[from, from + count) as in hw_exchange_parse; received_ns is the
 * arrival time kept with each record. Fills *ret (hw_exchange_result_clear it). */
void hw_exchange_submit(HwStore *store, const char *department, json_t *records, size_t from,
                        size_t count, hw_time_ns received_ns, HwExchangeResult *ret);

/* The answer body of a result (transfer full): for OK
 * {"accepted":n,"duplicate":n,"stale":n,"results":[{"index":i,"type":…,"status":…},…]}; for the
 * others {"error":{"code":…,"message":…,"field":<first problem's>},"problems":[{index,field,
 * reason},…]}. Indices are the records' places in the array given to submit. */
json_t *hw_exchange_result_json(const HwExchangeResult *result);

/* The HTTP status of a result: 200, 400, 403, 422, 500. */
int hw_exchange_result_http_status(const HwExchangeResult *result);

G_END_DECLS
