/* The subcommands of hallwatchd (`hallwatchd <command> …`), dispatched by main(). Each takes the
 * arguments after its name (argv[0] is the command's name), prints what a person reads, and
 * returns the process exit code. */
#pragma once

#include <glib.h>

G_BEGIN_DECLS

/* daemon/cli_audit.c: `audit verify|pubkey`. 0: OK; 1: the log failed verification; 2: usage,
 * configuration or I/O error. */
int hw_cli_audit(int argc, char **argv);

/* daemon/cli_user.c: `user add|passwd|disable|enable|list`. 0: done; 1: failed (message on
 * stderr); 2: usage. */
int hw_cli_user(int argc, char **argv);

/* daemon/cli_import.c: `import FILE --department CODE`, the exchange batch format from a file.
 * 0: every batch stored; 1: a batch refused or an error (message on stderr, naming the record);
 * 2: usage. */
int hw_cli_import(int argc, char **argv);

G_END_DECLS
