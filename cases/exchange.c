/* The exchange format's parser, validator and batch rules (cases/hw_exchange.h). The fields of
 * each record type are one table (field_specs), the same names, limits and enumerations as
 * docs/exchange/openapi.yaml; a test sends every example of the docs through this code. */
#include "cases/hw_exchange.h"

#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "common/hw_time.h"

/* ---- the field table ------------------------------------------------------------------------- */

typedef enum {
  F_TEXT,  /* a single-line code or name */
  F_PROSE, /* free text: line breaks and tabs allowed */
  F_ENUM,
  F_INT,
  F_TIME, /* RFC 3339 with offset */
} FieldKind;

#define T_CASE (1u << HW_CASE_RECORD_CASE)
#define T_STAGE (1u << HW_CASE_RECORD_STAGE_EVENT)
#define T_EVAL (1u << HW_CASE_RECORD_EVALUATION)
#define T_COMPLAINT (1u << HW_CASE_RECORD_COMPLAINT)
#define T_EVENTS (T_STAGE | T_EVAL | T_COMPLAINT)
#define T_ALL (T_CASE | T_EVENTS)

static const char *const applicant_types[] = {"person", "company", "other", NULL};
static const char *const acceptances[] = {"accepted", "not_accepted", "supplement_required",
                                          "refused", NULL};
static const char *const units[] = {"working_days", "calendar_days", NULL};
static const char *const secrecies[] = {"none",         "internal",   "secret",
                                        "confidential", "top_secret", NULL};
static const char *const results[] = {"approved", "rejected", "withdrawn", NULL};
static const char *const stages[] = {"ticket_called",
                                     "submitted",
                                     "pre_accepted",
                                     "accepted",
                                     "undertaken",
                                     "reviewed",
                                     "approved",
                                     "returned",
                                     "supplement_requested",
                                     "supplement_received",
                                     "special_procedure_started",
                                     "special_procedure_ended",
                                     "completed",
                                     "certificate_collected",
                                     NULL};
static const char *const outcomes[] = {
    "certificate_issued", "returned",           "voided",    "deleted",
    "forwarded",          "supplement_timeout", "completed", NULL};
static const char *const ratings[] = {"very_satisfied", "satisfied",         "basically_satisfied",
                                      "dissatisfied",   "very_dissatisfied", NULL};
static const char *const channels[] = {"in_person", "phone", "web", "letter", "other", NULL};

typedef struct {
  const char *name;
  unsigned types;    /* T_* of the record types that have it */
  unsigned required; /* T_* of the types that require it */
  FieldKind kind;
  size_t offset;    /* in HwCaseRecord: const char * (text, enum), int64_t/int32_t, hw_time_ns */
  int64_t min, max; /* text: length in characters; int: value */
  const char *const *values; /* F_ENUM */
  size_t has_offset;         /* F_TIME: a bool set when given (0: none) */
  bool int32;
} FieldSpec;

#define OFF(f) offsetof(HwCaseRecord, f)

static const FieldSpec field_specs[] = {
    {"department", T_ALL, T_ALL, F_TEXT, OFF(department), 1, 63, NULL, 0, false},
    {"case_number", T_ALL, T_CASE | T_STAGE, F_TEXT, OFF(case_number), 1, 64, NULL, 0, false},
    {"event_id", T_EVENTS, T_EVENTS, F_TEXT, OFF(event_id), 1, 128, NULL, 0, false},
    {"version", T_CASE, T_CASE, F_INT, OFF(version), 1, INT64_C(9007199254740991), NULL, 0, false},
    {"department_serial", T_CASE, 0, F_TEXT, OFF(department_serial), 1, 64, NULL, 0, false},
    {"item_code", T_CASE, T_CASE, F_TEXT, OFF(item_code), 1, 64, NULL, 0, false},
    {"item_name", T_CASE, T_CASE, F_TEXT, OFF(item_name), 1, 200, NULL, 0, false},
    {"applicant_type", T_CASE, T_CASE, F_ENUM, OFF(applicant_type), 0, 0, applicant_types, 0,
     false},
    {"applicant_name", T_CASE, T_CASE, F_TEXT, OFF(applicant_name), 1, 200, NULL, 0, false},
    {"applicant_id_type", T_CASE, 0, F_TEXT, OFF(applicant_id_type), 1, 32, NULL, 0, false},
    {"applicant_id_number", T_CASE, 0, F_TEXT, OFF(applicant_id_number), 1, 64, NULL, 0, false},
    {"division_code", T_CASE, 0, F_TEXT, OFF(division_code), 6, 12, NULL, 0, false},
    {"accepted_at", T_CASE, 0, F_TIME, OFF(accepted_ns), 0, 0, NULL, OFF(has_accepted), false},
    {"acceptance", T_CASE, 0, F_ENUM, OFF(acceptance), 0, 0, acceptances, 0, false},
    {"statutory_limit", T_CASE, T_CASE, F_INT, OFF(statutory_limit), 0, 3650, NULL, 0, true},
    {"statutory_limit_unit", T_CASE, T_CASE, F_ENUM, OFF(statutory_unit), 0, 0, units, 0, false},
    {"promised_limit", T_CASE, T_CASE, F_INT, OFF(promised_limit), 0, 3650, NULL, 0, true},
    {"promised_limit_unit", T_CASE, T_CASE, F_ENUM, OFF(promised_unit), 0, 0, units, 0, false},
    {"fee_charged_fen", T_CASE, 0, F_INT, OFF(fee_charged_fen), 0, INT64_C(1000000000000), NULL, 0,
     false},
    {"fee_standard_fen", T_CASE, 0, F_INT, OFF(fee_standard_fen), 0, INT64_C(1000000000000), NULL,
     0, false},
    {"secrecy", T_CASE, T_CASE, F_ENUM, OFF(secrecy), 0, 0, secrecies, 0, false},
    {"result", T_CASE, 0, F_ENUM, OFF(result), 0, 0, results, 0, false},
    {"hall", T_ALL, 0, F_TEXT, OFF(hall), 1, 63, NULL, 0, false},
    {"window", T_ALL, 0, F_TEXT, OFF(window), 1, 63, NULL, 0, false},
    {"queue_ticket", T_CASE | T_STAGE, 0, F_TEXT, OFF(queue_ticket), 1, 32, NULL, 0, false},
    {"operator_id", T_EVENTS, 0, F_TEXT, OFF(operator_id), 1, 64, NULL, 0, false},
    {"operator_name", T_STAGE, 0, F_TEXT, OFF(operator_name), 1, 100, NULL, 0, false},
    {"time", T_EVENTS, T_EVENTS, F_TIME, OFF(time_ns), 0, 0, NULL, 0, false},
    {"stage", T_STAGE, T_STAGE, F_ENUM, OFF(stage), 0, 0, stages, 0, false},
    {"outcome", T_STAGE, 0, F_ENUM, OFF(outcome), 0, 0, outcomes, 0, false},
    {"opinion", T_STAGE, 0, F_PROSE, OFF(opinion), 1, 2000, NULL, 0, false},
    {"rating", T_EVAL, T_EVAL, F_ENUM, OFF(rating), 0, 0, ratings, 0, false},
    {"comment", T_EVAL, 0, F_PROSE, OFF(comment), 1, 2000, NULL, 0, false},
    {"channel", T_COMPLAINT, T_COMPLAINT, F_ENUM, OFF(channel), 0, 0, channels, 0, false},
    {"content", T_COMPLAINT, T_COMPLAINT, F_PROSE, OFF(content), 1, 4000, NULL, 0, false},
};

static const char *const type_names[] = {"case", "stage_event", "evaluation", "complaint"};

/* ---- problems -------------------------------------------------------------------------------- */

static void G_GNUC_PRINTF(4, 5)
    problem(GArray *problems, size_t index, const char *field, const char *fmt, ...)
{
  if (problems->len > HW_EXCHANGE_PROBLEMS_MAX)
    return;
  if (problems->len == HW_EXCHANGE_PROBLEMS_MAX) {
    HwExchangeProblem more = {SIZE_MAX, g_strdup("/records"),
                              g_strdup("more problems than an answer lists; fix these first")};
    g_array_append_val(problems, more);
    return;
  }
  va_list ap;
  va_start(ap, fmt);
  HwExchangeProblem p = {index, NULL, g_strdup_vprintf(fmt, ap)};
  va_end(ap);
  p.field = index == SIZE_MAX ? g_strdup(field ? field : "")
            : field           ? g_strdup_printf("/records/%zu/%s", index, field)
                              : g_strdup_printf("/records/%zu", index);
  g_array_append_val(problems, p);
}

static void problem_clear(gpointer p)
{
  HwExchangeProblem *x = p;
  g_free(x->field);
  g_free(x->reason);
}

static GArray *problems_new(void)
{
  GArray *a = g_array_new(FALSE, TRUE, sizeof(HwExchangeProblem));
  g_array_set_clear_func(a, problem_clear);
  return a;
}

void hw_exchange_result_clear(HwExchangeResult *result)
{
  if (result->problems)
    g_array_unref(result->problems);
  g_free(result->records);
  g_free(result->outcomes);
  g_free(result->message);
  memset(result, 0, sizeof *result);
}

/* ---- parsing --------------------------------------------------------------------------------- */

json_t *hw_exchange_records(json_t *doc, size_t max, HwExchangeProblem *ret_problem)
{
  const char *why = NULL, *field = "";
  json_t *records = NULL;
  if (!json_is_object(doc)) {
    why = "a batch is an object {\"records\": [...]}";
  } else if (!json_is_array(records = json_object_get(doc, "records"))) {
    why = "\"records\" is required and must be an array";
    field = "/records";
  } else if (json_object_size(doc) != 1) {
    why = "a batch has only the key \"records\"";
  } else if (json_array_size(records) == 0) {
    why = "\"records\" is empty";
    field = "/records";
  } else if (max > 0 && json_array_size(records) > max) {
    ret_problem->index = SIZE_MAX;
    ret_problem->field = g_strdup("/records");
    ret_problem->reason = g_strdup_printf("%zu records: a batch holds at most %zu (split it)",
                                          json_array_size(records), max);
    return NULL;
  }
  if (why == NULL)
    return records;
  ret_problem->index = SIZE_MAX;
  ret_problem->field = g_strdup(field);
  ret_problem->reason = g_strdup(why);
  return NULL;
}

/* Whether a text has no control characters (prose: but line breaks and tabs). */
static bool text_clean(const char *s, bool prose)
{
  for (const unsigned char *p = (const unsigned char *)s; *p; p++)
    if ((*p < 0x20 && !(prose && (*p == '\n' || *p == '\r' || *p == '\t'))) || *p == 0x7f)
      return false;
  return true;
}

static bool in_list(const char *s, const char *const *values)
{
  for (size_t i = 0; values[i]; i++)
    if (strcmp(s, values[i]) == 0)
      return true;
  return false;
}

static char *list_text(const char *const *values)
{
  GString *s = g_string_new(NULL);
  for (size_t i = 0; values[i]; i++)
    g_string_append_printf(s, "%s%s", i ? ", " : "", values[i]);
  return g_string_free(s, FALSE);
}

static void field_set(HwCaseRecord *r, const FieldSpec *f, json_t *v, size_t index,
                      GArray *problems)
{
  char *base = (char *)r;
  switch (f->kind) {
  case F_TEXT:
  case F_PROSE: {
    if (!json_is_string(v)) {
      problem(problems, index, f->name, "must be a string");
      return;
    }
    const char *s = json_string_value(v);
    if (strlen(s) != json_string_length(v) || !text_clean(s, f->kind == F_PROSE)) {
      problem(problems, index, f->name, "must not hold control characters%s",
              f->kind == F_PROSE ? " (line breaks and tabs are allowed)" : "");
      return;
    }
    glong chars = g_utf8_strlen(s, -1);
    if (chars < f->min || chars > f->max) {
      problem(problems, index, f->name,
              "must be %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT " characters long, got %ld",
              f->min, f->max, chars);
      return;
    }
    *(const char **)(base + f->offset) = s;
    return;
  }
  case F_ENUM: {
    if (!json_is_string(v) || !in_list(json_string_value(v), f->values)) {
      g_autofree char *list = list_text(f->values);
      problem(problems, index, f->name, "must be one of: %s", list);
      return;
    }
    *(const char **)(base + f->offset) = json_string_value(v);
    return;
  }
  case F_INT: {
    json_int_t x = json_integer_value(v);
    if (!json_is_integer(v) || x < f->min || x > f->max) {
      problem(problems, index, f->name,
              "must be an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT, f->min, f->max);
      return;
    }
    if (f->int32)
      *(int32_t *)(void *)(base + f->offset) = (int32_t)x;
    else
      *(int64_t *)(void *)(base + f->offset) = x;
    return;
  }
  case F_TIME: {
    hw_time_ns t;
    int rc = json_is_string(v) ? hw_time_parse(json_string_value(v), &t) : -1;
    if (rc != 0) {
      problem(problems, index, f->name, "%s",
              rc == -ERANGE ? "must be a time between the years 1678 and 2261"
                            : "must be an RFC 3339 time with an offset, like "
                              "2026-03-02T09:15:00+08:00");
      return;
    }
    *(hw_time_ns *)(void *)(base + f->offset) = t;
    if (f->has_offset)
      *(bool *)(base + f->has_offset) = true;
    return;
  }
  }
}

/* Whether the record leaves a field out (absent or null); a field given but invalid already has
 * its own problem. */
static bool absent(json_t *o, const char *name)
{
  json_t *v = json_object_get(o, name);
  return v == NULL || json_is_null(v);
}

/* The rules between fields of one record. */
static void record_rules(json_t *o, const HwCaseRecord *r, size_t index, GArray *problems)
{
  switch (r->type) {
  case HW_CASE_RECORD_CASE:
    if (r->acceptance && strcmp(r->acceptance, "accepted") == 0 && absent(o, "accepted_at"))
      problem(problems, index, "accepted_at", "is required when acceptance is \"accepted\"");
    break;
  case HW_CASE_RECORD_STAGE_EVENT:
    if (!r->stage)
      break;
    if (strcmp(r->stage, "completed") == 0 && absent(o, "outcome"))
      problem(problems, index, "outcome", "is required when stage is \"completed\" (办结结果)");
    if (strcmp(r->stage, "completed") != 0 && !absent(o, "outcome"))
      problem(problems, index, "outcome", "is only for stage \"completed\"");
    if (strcmp(r->stage, "ticket_called") == 0 && absent(o, "queue_ticket"))
      problem(problems, index, "queue_ticket", "is required when stage is \"ticket_called\"");
    if (strcmp(r->stage, "ticket_called") == 0 && absent(o, "window"))
      problem(problems, index, "window", "is required when stage is \"ticket_called\"");
    break;
  case HW_CASE_RECORD_EVALUATION:
  case HW_CASE_RECORD_COMPLAINT:
    if (absent(o, "case_number") && absent(o, "window"))
      problem(problems, index, "case_number",
              "an evaluation or complaint names a case_number, a window or both");
    break;
  }
}

static void parse_one(json_t *o, size_t index, HwCaseRecord *r, GArray *problems)
{
  memset(r, 0, sizeof *r);
  r->fee_charged_fen = r->fee_standard_fen = -1;
  if (!json_is_object(o)) {
    problem(problems, index, NULL, "a record is an object");
    return;
  }
  json_t *type = json_object_get(o, "type");
  int t = -1;
  for (int i = 0; json_is_string(type) && i < (int)G_N_ELEMENTS(type_names); i++)
    if (strcmp(json_string_value(type), type_names[i]) == 0)
      t = i;
  if (t < 0) {
    problem(problems, index, "type",
            "is required: one of case, stage_event, evaluation, complaint");
    return;
  }
  r->type = (HwCaseRecordType)t;
  unsigned bit = 1u << t;
  const char *key;
  json_t *v;
  json_object_foreach(o, key, v)
  {
    if (strcmp(key, "type") == 0)
      continue;
    const FieldSpec *f = NULL;
    for (size_t i = 0; i < G_N_ELEMENTS(field_specs) && !f; i++)
      if ((field_specs[i].types & bit) && strcmp(field_specs[i].name, key) == 0)
        f = &field_specs[i];
    if (f == NULL) {
      /* The key is not echoed as a pointer segment unless it is a plain name. */
      bool plain =
          strlen(key) <= 64 && strspn(key, "abcdefghijklmnopqrstuvwxyz0123456789_") == strlen(key);
      problem(problems, index, plain ? key : NULL, "unknown field for a %s record%s", type_names[t],
              plain ? "" : " (a key that is not a lowercase name)");
      continue;
    }
    if (json_is_null(v) && !(f->required & bit))
      continue; /* an optional field may be given as null */
    field_set(r, f, v, index, problems);
  }
  for (size_t i = 0; i < G_N_ELEMENTS(field_specs); i++)
    if ((field_specs[i].required & bit) && json_object_get(o, field_specs[i].name) == NULL)
      problem(problems, index, field_specs[i].name, "is required for a %s record", type_names[t]);
  record_rules(o, r, index, problems);
}

bool hw_exchange_parse(json_t *records, size_t from, size_t count, HwCaseRecord *ret_records,
                       GArray *problems)
{
  g_return_val_if_fail(json_is_array(records) && problems, false);
  guint before = problems->len;
  for (size_t i = 0; i < count; i++)
    parse_one(json_array_get(records, from + i), from + i, &ret_records[i], problems);
  return problems->len == before;
}

bool hw_exchange_is_secret(const char *secrecy)
{
  return secrecy != NULL &&
         (strcmp(secrecy, "secret") == 0 || strcmp(secrecy, "confidential") == 0 ||
          strcmp(secrecy, "top_secret") == 0);
}

/* ---- the batch path -------------------------------------------------------------------------- */

void hw_exchange_submit(HwStore *store, const char *department, json_t *records, size_t from,
                        size_t count, hw_time_ns received_ns, HwExchangeResult *ret)
{
  memset(ret, 0, sizeof *ret);
  ret->from = from;
  ret->n = count;
  ret->problems = problems_new();
  ret->records = g_new0(HwCaseRecord, count ? count : 1);
  HwCaseRecord *recs = ret->records;

  /* 400: every bad record. */
  if (!hw_exchange_parse(records, from, count, recs, ret->problems)) {
    ret->status = HW_EXCHANGE_INVALID;
    ret->message =
        g_strdup_printf("%u problem(s) in the batch; nothing was stored", ret->problems->len);
    return;
  }
  /* 403: a token writes only its own department's records. */
  for (size_t i = 0; i < count; i++)
    if (strcmp(recs[i].department, department) != 0)
      problem(ret->problems, from + i, "department",
              "this credential writes only department %s's records", department);
  if (ret->problems->len > 0) {
    ret->status = HW_EXCHANGE_FORBIDDEN;
    ret->message = g_strdup_printf("%u record(s) of another department; nothing was stored",
                                   ret->problems->len);
    return;
  }
  /* 422: secret cases, and every record of the batch that names one. */
  g_autoptr(GHashTable) secret = g_hash_table_new(g_str_hash, g_str_equal);
  for (size_t i = 0; i < count; i++)
    if (recs[i].type == HW_CASE_RECORD_CASE && hw_exchange_is_secret(recs[i].secrecy))
      g_hash_table_add(secret, (gpointer)recs[i].case_number);
  if (g_hash_table_size(secret) > 0) {
    for (size_t i = 0; i < count; i++) {
      if (recs[i].case_number && g_hash_table_contains(secret, recs[i].case_number)) {
        bool is_case = recs[i].type == HW_CASE_RECORD_CASE;
        problem(ret->problems, from + i, is_case ? "secrecy" : "case_number",
                is_case ? "a case of secrecy level secret (秘密) or above is never stored"
                        : "names a case of secrecy level secret (秘密) or above: never stored");
        ret->secret++;
      }
    }
    g_autofree const char **numbers = (const char **)g_hash_table_get_keys_as_array(secret, NULL);
    GError *error = NULL;
    if (!hw_store_cases_refuse_secret(store, department, numbers, g_hash_table_size(secret),
                                      received_ns, &error))
      g_clear_error(&error); /* the refusal stands; only a later 422 becomes a 400 */
    ret->status = HW_EXCHANGE_SECRET;
    ret->message =
        g_strdup_printf("%zu record(s) are or name secret cases; nothing was stored", ret->secret);
    return;
  }

  ret->outcomes = g_new0(HwIngestOutcome, count ? count : 1);
  g_autoptr(GError) error = NULL;
  if (!hw_store_cases_ingest(store, department, recs, count, received_ns, ret->outcomes,
                             &ret->tx_ns, &error)) {
    if (!g_error_matches(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND)) {
      ret->status = HW_EXCHANGE_FAILED;
      ret->message = g_strdup_printf("the store failed; nothing was stored: %s", error->message);
      return;
    }
    for (size_t i = 0; i < count; i++) {
      if (ret->outcomes[i] == HW_INGEST_SECRET_CASE) {
        problem(ret->problems, from + i, "case_number",
                "names a case of secrecy level secret (秘密) or above: never stored");
        ret->secret++;
      }
    }
    if (ret->secret > 0) {
      ret->status = HW_EXCHANGE_SECRET;
      ret->message =
          g_strdup_printf("%zu record(s) name secret cases; nothing was stored", ret->secret);
      return;
    }
    for (size_t i = 0; i < count; i++)
      if (ret->outcomes[i] == HW_INGEST_UNKNOWN_CASE)
        problem(ret->problems, from + i, "case_number",
                "names a case that is neither stored nor earlier in this batch");
    ret->status = HW_EXCHANGE_INVALID;
    ret->message =
        g_strdup_printf("%u record(s) name unknown cases; nothing was stored", ret->problems->len);
    return;
  }
  for (size_t i = 0; i < count; i++) {
    ret->accepted += ret->outcomes[i] == HW_INGEST_ACCEPTED;
    ret->duplicate += ret->outcomes[i] == HW_INGEST_DUPLICATE;
    ret->stale += ret->outcomes[i] == HW_INGEST_STALE;
  }
  ret->status = HW_EXCHANGE_OK;
  ret->message = g_strdup_printf("%zu accepted, %zu duplicate, %zu stale", ret->accepted,
                                 ret->duplicate, ret->stale);
}

int hw_exchange_result_http_status(const HwExchangeResult *result)
{
  switch (result->status) {
  case HW_EXCHANGE_OK:
    return 200;
  case HW_EXCHANGE_INVALID:
    return 400;
  case HW_EXCHANGE_FORBIDDEN:
    return 403;
  case HW_EXCHANGE_SECRET:
    return 422;
  case HW_EXCHANGE_FAILED:
    break;
  }
  return 500;
}

json_t *hw_exchange_result_json(const HwExchangeResult *result)
{
  if (result->status == HW_EXCHANGE_OK) {
    json_t *list = json_array();
    for (size_t i = 0; i < result->n; i++)
      json_array_append_new(list,
                            json_pack("{s:I, s:s, s:s}", "index", (json_int_t)(result->from + i),
                                      "type", type_names[result->records[i].type], "status",
                                      hw_ingest_outcome_name(result->outcomes[i])));
    return json_pack("{s:I, s:I, s:I, s:o}", "accepted", (json_int_t)result->accepted, "duplicate",
                     (json_int_t)result->duplicate, "stale", (json_int_t)result->stale, "results",
                     list);
  }
  static const char *const codes[] = {
      [HW_EXCHANGE_INVALID] = "invalid_records",
      [HW_EXCHANGE_FORBIDDEN] = "forbidden_department",
      [HW_EXCHANGE_SECRET] = "secret_case",
      [HW_EXCHANGE_FAILED] = "store_failed",
  };
  json_t *error = json_pack("{s:s, s:s}", "code", codes[result->status], "message",
                            result->message ? result->message : "");
  json_t *list = json_array();
  for (guint i = 0; result->problems && i < result->problems->len; i++) {
    const HwExchangeProblem *p = &g_array_index(result->problems, HwExchangeProblem, i);
    if (i == 0)
      json_object_set_new(error, "field", json_string(p->field));
    json_t *o = json_pack("{s:s, s:s}", "field", p->field, "reason", p->reason);
    if (p->index != SIZE_MAX)
      json_object_set_new(o, "index", json_integer((json_int_t)p->index));
    json_array_append_new(list, o);
  }
  return json_pack("{s:o, s:o}", "error", error, "problems", list);
}
