/* Shared between media/ files only: writing the evidence zip (media/package.c). */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/hw_keys.h"

G_BEGIN_DECLS

/* One member of a package: the bytes of a file at path, or data[0..len). */
typedef struct {
  const char *name;
  const char *path;
  const void *data;
  size_t len;
} HwPackageMember;

/* Writes a zip of the members, stored without compression (the MP4 does not shrink, and a plain
 * `unzip` reads it back), at path: a temporary beside it, fsync, rename, fsync of the folder, so
 * that path is either absent or complete. Zip64 when a member needs it. */
bool hw_package_write(const char *path, const HwPackageMember *members, size_t n, GError **error);

/* The package of an export: the MP4 at mp4_path, the manifest as text (ending with a newline), its
 * Ed25519 signature by key and the public key's PEM, written with hw_package_write at path. */
bool hw_package_write_signed(const char *path, const char *mp4_path, json_t *manifest,
                             const HwKey *key, GError **error);

/* The lowercase hex SHA-256 of the file at path, of its first limit bytes (limit < 0: all);
 * *ret_size (nullable) gets the bytes hashed. False with error (HW_EXPORT_ERROR_IO). */
bool hw_media_sha256_file(const char *path, int64_t limit, char ret_hex[65], int64_t *ret_size,
                          GError **error);

G_END_DECLS
