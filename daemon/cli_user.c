/* `hallwatchd user add|passwd|disable|enable|list`: user accounts from the shell, so the first
 * administrator exists before anyone can sign in. Passwords come from stdin (no echo on a
 * terminal) or are generated and printed once; they are never put on the command line, where
 * `ps` and shell history would keep them. Every change appends a user.change row to the audit
 * log (actor "cli:<unix user>") and signs the log's head before the command exits. */
#include <glib.h>
#include <jansson.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "audit/hw_audit.h"
#include "common/hw_keys.h"
#include "daemon/hw_cli.h"
#include "daemon/hw_config.h"
#include "sql/hw_store.h"
#include "sql/hw_store_auth.h"
#include "web/hw_auth.h"
#include "web/hw_route.h"

#define LINE_MAX_BYTES 1100

static const char usage[] =
  "usage: hallwatchd user add NAME --role ROLE [--hall CODE]… [--department CODE]…\n"
  "                           [--random-password] [--config FILE]\n"
  "       hallwatchd user passwd NAME [--random-password] [--config FILE]\n"
  "       hallwatchd user disable|enable NAME [--config FILE]\n"
  "       hallwatchd user list [--config FILE]\n"
  "roles: admin, auditor, supervisor, hall_manager, investigator, viewer\n"
  "The password is read from standard input (without echo on a terminal), or generated with\n"
  "--random-password and printed once.\n";

/* Reads one line from fd 0 into a g_malloc'd string without the newline; NULL at EOF. */
static char *read_line(void)
{
  char buf[LINE_MAX_BYTES];
  if (!fgets(buf, sizeof buf, stdin)) {
    sodium_memzero(buf, sizeof buf);
    return NULL;
  }
  buf[strcspn(buf, "\r\n")] = '\0';
  char *out = g_strdup(buf);
  sodium_memzero(buf, sizeof buf);
  return out;
}

static char *prompt_no_echo(const char *prompt)
{
  struct termios old, quiet;
  fputs(prompt, stderr);
  fflush(stderr);
  bool tty = tcgetattr(0, &old) == 0;
  if (tty) {
    quiet = old;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    tcsetattr(0, TCSAFLUSH, &quiet);
  }
  char *line = read_line();
  if (tty) {
    tcsetattr(0, TCSAFLUSH, &old);
    fputc('\n', stderr);
  }
  return line;
}

static void free_secret(char *s)
{
  if (s) {
    sodium_memzero(s, strlen(s));
    g_free(s);
  }
}
typedef char SecretStr;
G_DEFINE_AUTOPTR_CLEANUP_FUNC(SecretStr, free_secret)

/* The new password: generated (and printed once), or read from stdin. NULL after a message. */
static char *get_password(const char *name, gboolean random)
{
  if (random) {
    char *pw = hw_auth_password_generate();
    printf("password for %s: %s\n", name, pw);
    fflush(stdout);
    return pw;
  }
  g_autoptr(SecretStr) pw = NULL;
  if (isatty(0)) {
    g_autofree char *p1 = g_strdup_printf("password for %s: ", name);
    pw = prompt_no_echo(p1);
    g_autoptr(SecretStr) again = prompt_no_echo("again: ");
    if (!pw || !again || strcmp(pw, again) != 0) {
      g_printerr("hallwatchd user: the passwords differ\n");
      return NULL;
    }
  } else {
    pw = read_line();
  }
  if (!pw || !*pw) {
    g_printerr("hallwatchd user: no password on standard input (or use --random-password)\n");
    return NULL;
  }
  const char *weak = hw_auth_password_weakness(pw);
  if (weak) {
    g_printerr("hallwatchd user: %s\n", weak);
    return NULL;
  }
  return g_steal_pointer(&pw);
}

/* ---- audit ----------------------------------------------------------------------------------- */

/* One user.change row: op is add, passwd, disable or enable; detail (taken) adds to it. The
 * actor is the Unix account that ran the command; under sudo the invoking account is noted too
 * (from SUDO_USER: informative, since whoever runs as root could set it). Never the password. */
static bool audit_user_change(HwStore *store, const char *op, const char *name, json_t *detail)
{
  g_autofree char *actor = g_strdup_printf("cli:%s", g_get_user_name());
  if (!detail)
    detail = json_object();
  json_object_set_new(detail, "op", json_string(op));
  const char *sudo_user = g_getenv("SUDO_USER");
  if (sudo_user && *sudo_user && g_utf8_validate(sudo_user, -1, NULL))
    json_object_set_new(detail, "sudo_user", json_string(sudo_user));
  char *text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
  json_decref(detail);
  g_autoptr(HwAudit) audit = hw_audit_new(store);
  g_autoptr(GError) error = NULL;
  bool ok = hw_audit_record(audit, actor, "", "", "user.change", "user", name, text, &error);
  free(text);
  if (!ok)
    g_printerr("hallwatchd user: the change was made, but the audit log could not record it: %s\n",
               error->message);
  return ok;
}

static json_t *json_strv_or_empty(char **v)
{
  json_t *a = json_array();
  for (size_t i = 0; v && v[i]; i++)
    json_array_append_new(a, json_string(v[i]));
  return a;
}

static int cmd_add(HwStore *store, const char *name, const char *role, char **halls,
                   char **departments, gboolean random)
{
  if (!role || hw_role_from_name(role) == HW_ROLE_NONE) {
    g_printerr("hallwatchd user add: --role must be one of admin, auditor, supervisor, "
               "hall_manager, investigator, viewer\n");
    return 2;
  }
  if (!hw_auth_valid_code(name)) {
    g_printerr("hallwatchd user add: the name must be " HW_AUTH_CODE_RULE "\n");
    return 2;
  }
  g_autoptr(GArray) scopes = g_array_new(FALSE, FALSE, sizeof(HwStoreScope));
  for (size_t i = 0; halls && halls[i]; i++) {
    if (!hw_auth_valid_code(halls[i])) {
      g_printerr("hallwatchd user add: --hall '%s': 1 to 63 characters of A-Z a-z 0-9 . _ -\n",
                 halls[i]);
      return 2;
    }
    HwStoreScope s = {"hall", halls[i]};
    g_array_append_val(scopes, s);
  }
  for (size_t i = 0; departments && departments[i]; i++) {
    if (!hw_auth_valid_code(departments[i])) {
      g_printerr("hallwatchd user add: --department '%s': 1 to 63 characters of A-Z a-z 0-9 . _ -\n",
                 departments[i]);
      return 2;
    }
    HwStoreScope s = {"department", departments[i]};
    g_array_append_val(scopes, s);
  }
  HwStoreUser existing;
  if (hw_store_user_get(store, name, &existing, NULL)) {
    g_printerr("hallwatchd user add: a user %s exists already (hallwatchd user passwd %s)\n", name,
               name);
    return 1;
  }
  g_autoptr(SecretStr) pw = get_password(name, random);
  if (!pw)
    return 1;
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = hw_auth_password_hash(pw, &error);
  if (!hash || !hw_store_user_add(store, name, role, hash, (HwStoreScope *)(void *)scopes->data,
                                  scopes->len, NULL, &error)) {
    g_printerr("hallwatchd user add: %s\n", error->message);
    return 1;
  }
  g_printerr("added user %s (%s)\n", name, role);
  json_t *detail = json_pack("{s:s, s:o, s:o}", "role", role, "halls", json_strv_or_empty(halls),
                             "departments", json_strv_or_empty(departments));
  return audit_user_change(store, "add", name, detail) ? 0 : 1;
}

static int cmd_passwd(HwStore *store, const char *name, gboolean random)
{
  HwStoreUser u;
  g_autoptr(GError) error = NULL;
  if (!hw_store_user_get(store, name, &u, &error)) {
    g_printerr("hallwatchd user passwd: %s\n", error->message);
    return 1;
  }
  g_autoptr(SecretStr) pw = get_password(name, random);
  if (!pw)
    return 1;
  g_autofree char *hash = hw_auth_password_hash(pw, &error);
  if (!hash || !hw_store_user_set_password(store, name, hash, &error)) {
    g_printerr("hallwatchd user passwd: %s\n", error->message);
    return 1;
  }
  g_printerr("password of %s changed; its sessions are ended and any lock-out lifted\n", name);
  json_t *detail = json_pack("{s:b}", "random", random);
  return audit_user_change(store, "passwd", name, detail) ? 0 : 1;
}

static int cmd_disable(HwStore *store, const char *name, bool disabled)
{
  g_autoptr(GError) error = NULL;
  if (!hw_store_user_set_disabled(store, name, disabled, &error)) {
    if (g_error_matches(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND))
      g_printerr("hallwatchd user: no user %s\n", name);
    else
      g_printerr("hallwatchd user: %s\n", error->message);
    return 1;
  }
  g_printerr("%s user %s%s\n", disabled ? "disabled" : "enabled", name,
             disabled ? "; its sessions are ended" : "");
  return audit_user_change(store, disabled ? "disable" : "enable", name, NULL) ? 0 : 1;
}

static int cmd_list(HwStore *store)
{
  g_autofree HwStoreUser *users = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_store_users_list(store, &users, &n, &error)) {
    g_printerr("hallwatchd user list: %s\n", error->message);
    return 1;
  }
  printf("%-24s %-13s %-9s %s\n", "NAME", "ROLE", "STATE", "SCOPE");
  hw_time_ns now = hw_time_now();
  for (size_t i = 0; i < n; i++) {
    g_auto(GStrv) halls = NULL;
    g_auto(GStrv) deps = NULL;
    hw_store_user_scopes(store, users[i].id, "hall", &halls, NULL);
    hw_store_user_scopes(store, users[i].id, "department", &deps, NULL);
    g_autoptr(GString) scope = g_string_new(NULL);
    for (size_t j = 0; halls && halls[j]; j++)
      g_string_append_printf(scope, "%shall:%s", scope->len ? " " : "", halls[j]);
    for (size_t j = 0; deps && deps[j]; j++)
      g_string_append_printf(scope, "%sdepartment:%s", scope->len ? " " : "", deps[j]);
    const char *state = users[i].disabled                  ? "disabled"
                        : users[i].locked_until_ns > now ? "locked"
                                                          : "active";
    printf("%-24s %-13s %-9s %s\n", users[i].name, users[i].role, state,
           scope->len ? scope->str : "all");
  }
  return 0;
}

int hw_cli_user(int argc, char **argv)
{
  g_autofree char *config = NULL;
  g_autofree char *role = NULL;
  g_auto(GStrv) halls = NULL;
  g_auto(GStrv) departments = NULL;
  gboolean random = FALSE;
  GOptionEntry entries[] = {
    {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config, "Configuration file (finds the database)",
     "FILE"},
    {"role", 0, 0, G_OPTION_ARG_STRING, &role, "Role of a new user", "ROLE"},
    {"hall", 0, 0, G_OPTION_ARG_STRING_ARRAY, &halls, "Limit the user to a hall (repeatable)",
     "CODE"},
    {"department", 0, 0, G_OPTION_ARG_STRING_ARRAY, &departments,
     "Limit the user to a department (repeatable)", "CODE"},
    {"random-password", 0, 0, G_OPTION_ARG_NONE, &random,
     "Generate the password and print it once", NULL},
    {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("add|passwd|disable|enable|list [NAME]");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_set_help_enabled(ctx, TRUE);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    g_printerr("hallwatchd user: %s\n%s", error->message, usage);
    return 2;
  }
  if (argc < 2) {
    g_printerr("%s", usage);
    return 2;
  }
  const char *cmd = argv[1];
  gboolean needs_name = strcmp(cmd, "list") != 0;
  if ((needs_name && argc != 3) || (!needs_name && argc != 2)) {
    g_printerr("%s", usage);
    return 2;
  }
  if (strcmp(cmd, "add") && strcmp(cmd, "passwd") && strcmp(cmd, "disable") &&
      strcmp(cmd, "enable") && strcmp(cmd, "list")) {
    g_printerr("hallwatchd user: unknown command '%s'\n%s", cmd, usage);
    return 2;
  }
  if (!hw_auth_init(&error)) {
    g_printerr("hallwatchd user: %s\n", error->message);
    return 1;
  }
  g_autofree char *database = hw_cli_database_path("hallwatchd user", config);
  if (!database)
    return 1;
  g_autoptr(HwStore) store = hw_store_open(database, &error);
  if (!store) {
    g_printerr("hallwatchd user: %s\n", error->message);
    return 1;
  }
  const char *name = needs_name ? argv[2] : NULL;
  if (strcmp(cmd, "list") == 0)
    return cmd_list(store);
  int rc;
  if (strcmp(cmd, "add") == 0)
    rc = cmd_add(store, name, role, halls, departments, random);
  else if (strcmp(cmd, "passwd") == 0)
    rc = cmd_passwd(store, name, random);
  else
    rc = cmd_disable(store, name, strcmp(cmd, "disable") == 0);
  /* Also when the change failed: a row may have been written before (e.g. the change made, its
   * row too, then nothing else); signing an unchanged head stores nothing. */
  if (!hw_cli_audit_sign("hallwatchd user", store, database) && rc == 0)
    rc = 1;
  return rc;
}
