/* `hallwatchd calendar import|list`: the working-day calendar from the shell. import loads a
 * calendar file (cases/hw_calendar.h's format: "YYYY-MM-DD holiday|workday name" a line) all or
 * nothing, naming the bad line; list prints a year's holidays and make-up working days. An import
 * appends one calendar.import row to the audit log (actor "cli:<unix user>") and signs the head. */
#include <glib.h>
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "audit/hw_audit.h"
#include "cases/hw_calendar.h"
#include "cases/hw_calendar_store.h"
#include "daemon/hw_cli.h"

#define PROG "hallwatchd calendar"
#define FILE_MAX_BYTES (4 * 1024 * 1024)
#define IMPORT_DAYS_MAX 100000

static const char usage[] =
    "usage: hallwatchd calendar import FILE [--replace-years] [--config FILE]\n"
    "       hallwatchd calendar list [YEAR] [--config FILE]\n"
    "FILE: one date a line, \"YYYY-MM-DD holiday|workday name\"; '#' starts a comment.\n"
    "--replace-years: remove every entry of the years FILE names before importing.\n";

static const char *const weekdays[] = {"", "一", "二", "三", "四", "五", "六", "日"};

static int cmd_list(HwStore *store, int year)
{
  g_autofree HwStoreCalendarDay *rows = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_store_calendar_list(store, year, &rows, &n, &error)) {
    g_printerr(PROG ": %s\n", error->message);
    return 1;
  }
  for (size_t i = 0; i < n; i++) {
    hw_date d = 0;
    int wd = hw_date_parse(rows[i].day, &d) ? hw_date_weekday(d) : 0;
    printf("%s  周%s  %-7s  %s\n", rows[i].day, weekdays[wd], rows[i].kind, rows[i].name);
  }
  if (n == 0 && year != 0)
    printf("no entries for %d (only Monday to Friday count as working days)\n", year);
  else if (n == 0)
    printf("no entries\n");
  return 0;
}

static int cmd_import(HwStore *store, const char *database, const char *path, bool replace)
{
  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) error = NULL;
  if (!g_file_get_contents(path, &text, &len, &error)) {
    g_printerr(PROG ": %s\n", error->message);
    return 1;
  }
  if (len > FILE_MAX_BYTES) {
    g_printerr(PROG ": %s: larger than %d bytes\n", path, FILE_MAX_BYTES);
    return 1;
  }
  g_autofree HwCalendarDay *days = NULL;
  size_t n = 0;
  if (!hw_calendar_parse(text, len, IMPORT_DAYS_MAX, &days, &n, &error)) {
    g_printerr(PROG ": %s: %s; nothing imported\n", path, error->message);
    return 1;
  }
  g_autofree HwStoreCalendarDay *rows = hw_calendar_days_to_store(days, n);
  if (!hw_store_calendar_import(store, rows, n, replace, hw_time_now(), &error)) {
    g_printerr(PROG ": %s: %s; nothing imported\n", path, error->message);
    return 1;
  }
  json_t *years = json_array();
  GString *list = g_string_new(NULL);
  for (size_t i = 0; i < n; i++) {
    if (i > 0 && strncmp(rows[i].day, rows[i - 1].day, 4) == 0)
      continue;
    json_array_append_new(years, json_integer(g_ascii_strtoll(rows[i].day, NULL, 10)));
    g_string_append_printf(list, "%s%.4s", list->len ? ", " : "", rows[i].day);
  }
  printf("imported %zu dates (%s)%s\n", n, list->str, replace ? ", replacing those years" : "");
  g_string_free(list, TRUE);

  g_autofree char *actor = g_strdup_printf("cli:%s", g_get_user_name());
  json_t *detail = json_pack("{s:I, s:o, s:b, s:s}", "imported", (json_int_t)n, "years", years,
                             "replace_years", replace, "file", path);
  char *dump = json_dumps(detail, JSON_COMPACT);
  json_decref(detail);
  g_autoptr(HwAudit) audit = hw_audit_new(store);
  bool ok =
      hw_audit_record(audit, actor, "", "", "calendar.import", "calendar_day", "", dump, &error);
  free(dump);
  if (!ok)
    g_printerr(PROG ": imported, but the audit log could not record it: %s\n", error->message);
  return hw_cli_audit_sign(PROG, store, database) && ok ? 0 : 1;
}

int hw_cli_calendar(int argc, char **argv)
{
  g_autofree char *config = NULL;
  gboolean replace = FALSE;
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration file (finds the database)",
       "FILE"},
      {"replace-years", 0, 0, G_OPTION_ARG_NONE, &replace,
       "import: remove the entries of the years the file names first", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("import FILE | list [YEAR]");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    g_printerr(PROG ": %s\n%s", error->message, usage);
    return 2;
  }
  bool import = argc == 3 && strcmp(argv[1], "import") == 0;
  bool list = (argc == 2 || argc == 3) && strcmp(argv[1], "list") == 0;
  gint64 year = 0;
  if ((!import && !list) || (list && argc == 3 &&
                             !g_ascii_string_to_signed(argv[2], 10, HW_CALENDAR_YEAR_MIN,
                                                       HW_CALENDAR_YEAR_MAX, &year, NULL))) {
    g_printerr("%s", usage);
    return 2;
  }
  g_autofree char *database = hw_cli_database_path(PROG, config);
  if (!database)
    return 1;
  g_autoptr(HwStore) store = hw_store_open(database, &error);
  if (!store) {
    g_printerr(PROG ": %s\n", error->message);
    return 1;
  }
  /* A database the daemon never opened gets the shipped holidays first, as the daemon would. */
  bool seeded = false;
  if (!hw_calendar_seed_shipped(store, &seeded, &error)) {
    g_printerr(PROG ": %s\n", error->message);
    return 1;
  }
  if (seeded) {
    g_autoptr(HwAudit) audit = hw_audit_new(store);
    g_autofree char *detail = g_strdup_printf("{\"source\":\"%s\"}", hw_calendar_shipped_name());
    if (!hw_audit_record(audit, "system", "", "", "calendar.seed", "", "", detail, &error)) {
      g_printerr(PROG ": %s\n", error->message);
      return 1;
    }
  }
  if (list)
    return cmd_list(store, (int)year);
  return cmd_import(store, database, argv[2], replace);
}
