/* The subcommands of hallwatchd (`hallwatchd <command> …`), dispatched by main(). Each takes the
 * arguments after its name (argv[0] is the command's name), prints what a person reads, and
 * returns the process exit code. */
#pragma once

#include <glib.h>
#include <stdbool.h>

#include <stdint.h>

#include "sql/hw_store.h"

G_BEGIN_DECLS

/* daemon/cli_audit.c: `audit verify|pubkey`. 0: OK; 1: the log failed verification; 2: usage,
 * configuration or I/O error. */
int hw_cli_audit(int argc, char **argv);

/* daemon/cli_user.c: `user add|passwd|disable|enable|list`. 0: done; 1: failed (message on
 * stderr); 2: usage. */
int hw_cli_user(int argc, char **argv);

/* daemon/cli_calendar.c: `calendar import|list`. 0: done; 1: failed (message on stderr); 2:
 * usage. */
int hw_cli_calendar(int argc, char **argv);

/* ---- daemon/cli_common.c: shared by the subcommands that write the store --------------------- */

#define HW_CLI_DEFAULT_CONFIG "/etc/hallwatch/hallwatch.conf"
/* The [storage] database of config_path (NULL: the default file), g_free; NULL after a message
 * on stderr prefixed with prog. */
char *hw_cli_database_path(const char *prog, const char *config_path);
/* Signs the audit log's head with the appliance key next to database, so the rows a command just
 * wrote are covered; without a key yet (before the daemon's first start) only says so. FALSE
 * after a message if signing failed otherwise. */
bool hw_cli_audit_sign(const char *prog, HwStore *store, const char *database);
/* daemon/cli_import.c: `import FILE --department CODE`, the exchange batch format from a file.
 * 0: every batch stored; 1: a batch refused or an error (message on stderr, naming the record);
 * 2: usage. */
int hw_cli_import(int argc, char **argv);
/* The database path: database if given, else the config's ([storage] database; config_path, or
 * HW_CLI_DEFAULT_CONFIG if present, else the defaults). *ret_interval (nullable) gets [audit]
 * sign_interval. g_free; NULL with error for a bad config. For the commands that only read
 * (audit, verify, key); hw_cli_database_path above, for the ones that write, insists on a
 * configuration file. */
char *hw_cli_resolve_database(const char *config_path, const char *database, int64_t *ret_interval,
                              GError **error);

/* daemon/cli_export.c: `verify PACKAGE` and `key show`. verify: 0 the package is intact and
 * signed by the appliance key; 1 it is not (what does not match is printed); 2 usage or I/O. */
int hw_cli_verify(int argc, char **argv);
int hw_cli_key(int argc, char **argv);

G_END_DECLS
