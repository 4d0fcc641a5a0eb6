/* libFuzzer target for the exchange batch parser, validator and batch path (cases/hw_exchange.h):
 * each input is a request body; it goes through the shape check, the parser and validator, and,
 * when it is a valid batch, through hw_exchange_submit into a real store (a temporary SQLite
 * file), as POST /api/v1/exchange/batch would. Checked on every input: every problem points
 * into the batch at its own record, a valid record has every field its type requires, the answer
 * is well-formed JSON with the right counts, and a stored batch resent is all duplicates. */
#include <glib.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cases/hw_exchange.h"
#include "sql/hw_store.h"

#define INPUT_MAX (256 * 1024)
#define DEPT "440303-MZJ" /* the department of the seeds (docs/exchange/examples) */

static HwStore *store;
static char *dir;

static void cleanup(void)
{
  g_clear_pointer(&store, hw_store_close);
  if (dir) {
    const char *names[] = {"fuzz.db", "fuzz.db-wal", "fuzz.db-shm"};
    for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
      g_autofree char *p = g_build_filename(dir, names[i], NULL);
      g_unlink(p);
    }
    g_rmdir(dir);
  }
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
  g_autoptr(GError) error = NULL;
  dir = g_dir_make_tmp("hw-fuzz-exchange-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *db = g_build_filename(dir, "fuzz.db", NULL);
  store = hw_store_open(db, &error);
  g_assert_no_error(error);
  atexit(cleanup);
  return 0;
}

static void check_problems(const GArray *problems, size_t n_records)
{
  for (guint i = 0; i < problems->len; i++) {
    const HwExchangeProblem *p = &g_array_index(problems, HwExchangeProblem, i);
    if (p->reason == NULL || p->reason[0] == '\0' || p->field == NULL)
      abort();
    if (p->index == SIZE_MAX)
      continue;
    if (p->index >= n_records)
      abort();
    char prefix[48];
    int len = g_snprintf(prefix, sizeof prefix, "/records/%zu", p->index);
    if (strncmp(p->field, prefix, (size_t)len) != 0 ||
        (p->field[len] != '\0' && p->field[len] != '/'))
      abort();
  }
}

/* A record the validator passed has every field its type requires. */
static void check_record(const HwCaseRecord *r)
{
  if (!r->department)
    abort();
  switch (r->type) {
  case HW_CASE_RECORD_CASE:
    if (!r->case_number || r->version < 1 || !r->item_code || !r->item_name || !r->applicant_type ||
        !r->applicant_name || !r->statutory_unit || !r->promised_unit || !r->secrecy)
      abort();
    break;
  case HW_CASE_RECORD_STAGE_EVENT:
    if (!r->case_number || !r->event_id || !r->stage)
      abort();
    if ((strcmp(r->stage, "completed") == 0) != (r->outcome != NULL))
      abort();
    break;
  case HW_CASE_RECORD_EVALUATION:
    if (!r->event_id || !r->rating || (!r->case_number && !r->window))
      abort();
    break;
  case HW_CASE_RECORD_COMPLAINT:
    if (!r->event_id || !r->channel || !r->content || (!r->case_number && !r->window))
      abort();
    break;
  default:
    abort();
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
  if (size > INPUT_MAX)
    return 0;
  json_t *doc = json_loadb((const char *)data, size, JSON_REJECT_DUPLICATES, NULL);
  if (doc == NULL)
    return 0;
  HwExchangeProblem shape = {0};
  json_t *records = hw_exchange_records(doc, HW_EXCHANGE_BATCH_MAX, &shape);
  if (records == NULL) {
    if (shape.reason == NULL || shape.field == NULL)
      abort();
    g_free(shape.field);
    g_free(shape.reason);
    json_decref(doc);
    return 0;
  }
  size_t n = json_array_size(records);

  /* the parser alone */
  HwCaseRecord *recs = g_new0(HwCaseRecord, n);
  GArray *problems = g_array_new(FALSE, TRUE, sizeof(HwExchangeProblem));
  bool ok = hw_exchange_parse(records, 0, n, recs, problems);
  check_problems(problems, n);
  if (ok != (problems->len == 0))
    abort();
  for (size_t i = 0; ok && i < n; i++)
    check_record(&recs[i]);
  for (guint i = 0; i < problems->len; i++) {
    g_free(g_array_index(problems, HwExchangeProblem, i).field);
    g_free(g_array_index(problems, HwExchangeProblem, i).reason);
  }
  g_array_unref(problems);
  g_free(recs);

  /* the whole batch path, as the HTTP route runs it */
  HwExchangeResult r;
  hw_exchange_submit(store, DEPT, records, 0, n, hw_time_now(), &r);
  if (r.status == HW_EXCHANGE_FAILED)
    abort(); /* a store failure on input that passed validation is a bug (schema vs validator) */
  check_problems(r.problems, n);
  if ((r.status == HW_EXCHANGE_OK) != (r.problems->len == 0))
    abort();
  if (r.status == HW_EXCHANGE_OK && r.accepted + r.duplicate + r.stale != n)
    abort();
  json_t *answer = hw_exchange_result_json(&r);
  if (answer == NULL)
    abort();
  json_decref(answer);
  if (r.status == HW_EXCHANGE_OK) {
    HwExchangeResult again;
    hw_exchange_submit(store, DEPT, records, 0, n, hw_time_now(), &again);
    if (again.status != HW_EXCHANGE_OK || again.accepted != 0)
      abort(); /* resent: every record a duplicate (or stale) */
    hw_exchange_result_clear(&again);
  }
  hw_exchange_result_clear(&r);
  json_decref(doc);
  return 0;
}
