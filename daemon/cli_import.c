/* `hallwatchd import FILE --department CODE`: loads a file in the exchange batch format
 * ({"records": [...]}, docs/exchange/) for departments that deliver files. The same rules as
 * POST /api/v1/exchange/batch, per batch of at most 10,000 records, each batch its own
 * transaction (so the store's single writer is never held long). A progress bar on a terminal,
 * a line per batch otherwise; a bad record is named by its index in the file and its field.
 * The audit log gets one "exchange.import" row (actor cli:<user>: file, department, what was
 * stored), also when a later batch was refused: what the batches before it stored is in. */
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <unistd.h>

#include "audit/hw_audit.h"
#include "cases/hw_exchange.h"
#include "daemon/hw_cli.h"
#include "daemon/hw_config.h"
#include "sql/hw_store.h"
#include "sql/hw_store_cases.h"

#define PROBLEMS_SHOWN 20
#define PROG "hallwatchd import"

static const char usage[] =
    "usage: hallwatchd import FILE --department CODE [--batch-size N] [--config FILE]\n"
    "  Loads the exchange batch format ({\"records\": [...]}, docs/exchange/) from FILE as\n"
    "  department CODE, in batches of N records (default and most 10000), each stored all or\n"
    "  nothing.\n"
    "  Records already stored are acknowledged as duplicates, so an import can be rerun.\n";

static void progress(bool tty, size_t done, size_t total, size_t batch, size_t batches,
                     const HwExchangeResult *r)
{
  if (tty) {
    int width = 40, filled = (int)((double)done / (double)total * width);
    fprintf(stderr, "\r[%.*s%*s] %3d%% %zu/%zu records, batch %zu/%zu", filled,
            "########################################", width - filled, "",
            (int)(100.0 * (double)done / (double)total), done, total, batch, batches);
    if (done == total || r->status != HW_EXCHANGE_OK)
      fputc('\n', stderr);
  } else {
    fprintf(stderr, "import: batch %zu/%zu (records %zu..%zu): %s\n", batch, batches, r->from,
            r->from + r->n - 1, r->message);
  }
  fflush(stderr);
}

static void print_problems(const char *file, const HwExchangeResult *r)
{
  for (guint i = 0; i < r->problems->len && i < PROBLEMS_SHOWN; i++) {
    const HwExchangeProblem *p = &g_array_index(r->problems, HwExchangeProblem, i);
    if (p->index == SIZE_MAX)
      g_printerr("%s: %s: %s\n", file, p->field, p->reason);
    else
      g_printerr("%s: record %zu (%s): %s\n", file, p->index, p->field, p->reason);
  }
  if (r->problems->len > PROBLEMS_SHOWN)
    g_printerr("%s: … and %u more problem(s)\n", file, r->problems->len - PROBLEMS_SHOWN);
}

int hw_cli_import(int argc, char **argv)
{
  g_autofree char *config = NULL;
  g_autofree char *department = NULL;
  int batch_size = HW_EXCHANGE_BATCH_MAX;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config,
       "Configuration file (finds the database and the clock offsets)", "FILE"},
      {"department", 0, 0, G_OPTION_ARG_STRING, &department,
       "The department whose records the file holds (as its API token would)", "CODE"},
      {"batch-size", 0, 0, G_OPTION_ARG_INT, &batch_size,
       "Records per batch (transaction), 1..10000 (default 10000)", "N"},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("FILE");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    g_printerr("hallwatchd import: %s\n%s", error->message, usage);
    return 2;
  }
  if (argc != 2 || department == NULL || *department == '\0' || batch_size < 1 ||
      batch_size > HW_EXCHANGE_BATCH_MAX) {
    g_printerr("%s", usage);
    return 2;
  }
  const char *file = argv[1];
  g_autoptr(HwConfig) cfg = hw_config_load(config ? config : HW_CLI_DEFAULT_CONFIG, &error);
  if (!cfg) {
    g_printerr("hallwatchd import: %s\n", error->message);
    return 1;
  }

  json_error_t jerr;
  json_t *doc = json_load_file(file, JSON_REJECT_DUPLICATES, &jerr);
  if (doc == NULL) {
    g_printerr("hallwatchd import: %s:%d:%d: not a JSON batch: %s\n", file, jerr.line, jerr.column,
               jerr.text);
    return 1;
  }
  HwExchangeProblem shape = {0};
  json_t *records = hw_exchange_records(doc, 0, &shape);
  if (records == NULL) {
    g_printerr("hallwatchd import: %s: %s: %s\n", file, shape.field, shape.reason);
    g_free(shape.field);
    g_free(shape.reason);
    json_decref(doc);
    return 1;
  }

  g_autoptr(HwStore) store = hw_store_open(cfg->database_path, &error);
  if (!store || !hw_store_department_clocks_set(
                    store, (const char *const *)cfg->exchange_departments,
                    cfg->exchange_clock_offsets_ns, cfg->n_exchange_clocks, &error)) {
    g_printerr("hallwatchd import: %s\n", error->message);
    json_decref(doc);
    return 1;
  }

  bool tty = isatty(STDERR_FILENO) == 1;
  size_t total = json_array_size(records);
  size_t per = (size_t)batch_size;
  size_t batches = (total + per - 1) / per;
  size_t accepted = 0, duplicate = 0, stale = 0, stored_batches = 0;
  int64_t t0 = g_get_monotonic_time();
  int rc = 0;
  for (size_t b = 0; b < batches; b++) {
    size_t from = b * per;
    size_t count = MIN(per, total - from);
    HwExchangeResult r;
    hw_exchange_submit(store, department, records, from, count, hw_time_now(), &r);
    progress(tty, from + count, total, b + 1, batches, &r);
    if (r.status != HW_EXCHANGE_OK) {
      print_problems(file, &r);
      g_printerr("hallwatchd import: %s: batch %zu/%zu (records %zu..%zu) refused: %s.%s\n", file,
                 b + 1, batches, from, from + count - 1, r.message,
                 b > 0 ? " The batches before it are stored; rerun after fixing the file (what "
                         "is stored is acknowledged as duplicate)."
                       : "");
      rc = 1;
      hw_exchange_result_clear(&r);
      break;
    }
    accepted += r.accepted;
    duplicate += r.duplicate;
    stale += r.stale;
    stored_batches++;
    hw_exchange_result_clear(&r);
  }
  if (rc == 0) {
    double s = (double)(g_get_monotonic_time() - t0) / 1e6;
    printf("%s: %zu records in %zu batch(es): %zu accepted, %zu duplicate, %zu stale "
           "(%.1f s, %.0f records/s)\n",
           file, total, batches, accepted, duplicate, stale, s, s > 0 ? (double)total / s : 0.0);
  }
  json_decref(doc);
  if (stored_batches == 0)
    return rc; /* nothing changed */
  g_autofree char *actor = g_strdup_printf("cli:%s", g_get_user_name());
  /* the file's name as valid UTF-8 and short enough for a detail (at most its last 500 chars) */
  g_autofree char *shown = g_filename_display_name(file);
  glong len = g_utf8_strlen(shown, -1);
  g_autofree char *name = len > 500 ? g_utf8_substring(shown, len - 500, len) : g_strdup(shown);
  json_t *detail = json_pack("{s:s, s:s, s:I, s:I, s:I, s:I, s:I, s:b}", "file", name,
                             "department", department, "records", (json_int_t)total, "accepted",
                             (json_int_t)accepted, "duplicate", (json_int_t)duplicate, "stale",
                             (json_int_t)stale, "batches", (json_int_t)stored_batches,
                             "complete", rc == 0);
  if (detail == NULL) /* not reached: a stored batch's department matched its records (UTF-8) */
    detail = json_object();
  char *dump = json_dumps(detail, JSON_COMPACT);
  json_decref(detail);
  g_autoptr(HwAudit) audit = hw_audit_new(store);
  bool ok = hw_audit_record(audit, actor, "", "", "exchange.import", "department", department,
                            dump, &error);
  free(dump);
  if (!ok)
    g_printerr(PROG ": stored, but the audit log could not record it: %s\n", error->message);
  return hw_cli_audit_sign(PROG, store, cfg->database_path) && ok ? rc : 1;
}
