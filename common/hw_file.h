/* Small, crash-safe file writes shared by the modules that keep a secret next to the database
 * (the appliance key, the credentials secret), and durable removal (export packages). */
#pragma once

#include <gio/gio.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Puts a file with exactly data[0..len) at path, durably, unless a file is already there (then
 * that one is kept: it may hold a key whose work already depends on it). The bytes go to a
 * temporary file in the same folder with the given mode, fsynced, then linked into place (link,
 * never rename, so nothing is replaced) and the folder fsynced. Returns 1 when it created the
 * file, 0 when one already existed, -1 with a G_IO_ERROR naming the step and file. */
int hw_file_create_durable(const char *path, const void *data, size_t len, mode_t mode,
                           GError **error);

/* Removes the file at path (already gone is fine) and fsyncs its folder, so a crash does not bring
 * it back. false with a G_IO_ERROR naming the step and file. */
bool hw_file_remove_durable(const char *path, GError **error);
