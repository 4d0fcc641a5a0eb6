/* Evidence export: a camera's footage over [from, to) as a package anyone can verify without
 * HallWatch (docs/evidence.md). The package is a zip of an ordinary progressive MP4 (moov first,
 * stream copy, an edit list that starts playback at `from`, a timed-text track with the capture
 * time), manifest.json (what, when, from which files, how the time is known) and manifest.sig (the
 * appliance key's Ed25519 signature of the manifest's bytes). Reads the recordings' fragments
 * directly through the index; never re-encodes. */
#pragma once

#include <glib.h>
#include <jansson.h>
#include <stdbool.h>
#include <stdint.h>

#include "common/hw_keys.h"
#include "common/hw_time.h"
#include "sql/hw_store.h"

G_BEGIN_DECLS

#define HW_EXPORT_ERROR (hw_export_error_quark())
GQuark hw_export_error_quark(void);

typedef enum {
  HW_EXPORT_ERROR_INVALID,    /* the request breaks the contract (empty range, …) */
  HW_EXPORT_ERROR_NO_FOOTAGE, /* nothing is recorded in the range */
  HW_EXPORT_ERROR_IO,         /* a footage file or the output cannot be read or written */
  HW_EXPORT_ERROR_MEDIA,      /* libavformat refused the footage or the output */
  HW_EXPORT_ERROR_STORE,      /* the index could not be read */
  HW_EXPORT_ERROR_CANCELLED,  /* *cancel became non-zero */
} HwExportError;

/* Names of the package's members. */
#define HW_EXPORT_MP4_NAME "footage.mp4"
#define HW_EXPORT_MANIFEST_NAME "manifest.json"
#define HW_EXPORT_SIGNATURE_NAME "manifest.sig"
#define HW_EXPORT_PUBKEY_NAME "public_key.pem"
#define HW_EXPORT_FORMAT "hallwatch-evidence-v1"

/* Called now and then with the share done (0..1). Runs on the exporting thread. */
typedef void (*HwExportProgressFn)(double done, void *user);

typedef struct {
  const char *camera; /* required */
  hw_time_ns from_ns, to_ns;
  const char *footage_dir;  /* the recordings' root */
  const char *package_path; /* the zip to write (replaced atomically; a temporary sits beside it) */
  const HwKey *key;         /* the appliance key that signs the manifest */
  const char *version;      /* HallWatch's version, for the manifest */
  /* For the manifest; nullable. */
  const char *export_id;
  const char *exporter, *exporter_role;
  const char *case_id, *stage, *stage_event; /* a case stage export: resolved by the caller */
  HwExportProgressFn progress;
  void *progress_user;
  const gint *cancel; /* nullable; read atomically: non-zero stops the export */
} HwExportRequest;

typedef struct {
  hw_time_ns actual_from_ns, actual_to_ns; /* first shown frame .. end of the last frame */
  int64_t frames;
  int64_t mp4_size, package_size;
  char mp4_sha256[65];
  char package_sha256[65];
  size_t n_gaps;
  size_t n_sources;
  int64_t source_bytes; /* fragment bytes read */
} HwExportResult;

/* Writes the package for req (blocking; minutes for hours of footage). On failure nothing is
 * left at package_path. Thread-safe for different package paths. */
bool hw_export_run(HwStore *store, const HwExportRequest *req, HwExportResult *ret, GError **error);

/* ---- verification ------------------------------------------------------------------------- */

typedef struct {
  bool ok; /* everything matched */
  bool signature_ok;
  bool key_trusted;    /* the signature was checked against a key the caller trusts */
  char public_key[65]; /* the key the manifest names ("" if unreadable) */
  GPtrArray *problems; /* char*: one sentence per mismatch, e.g. "footage.mp4: SHA-256 …" */
  GPtrArray *checked;  /* char*: what did match */
  json_t *manifest;    /* the parsed manifest, NULL if unreadable (owned) */
} HwExportVerify;

void hw_export_verify_clear(HwExportVerify *v);

/* Checks a package: the members are there, manifest.sig is a valid signature of manifest.json by
 * trusted_public_hex (nullable: then by the key the manifest names, and key_trusted is false),
 * and every member's SHA-256 and size match the manifest. Never fails for a bad package (that is
 * what ret says); false only if ret cannot be filled (e.g. out of memory). */
bool hw_export_verify(const char *package_path, const char *trusted_public_hex,
                      HwExportVerify *ret);

/* Adds to v (filled by hw_export_verify, with a manifest) the check of every source recording the
 * manifest lists against the files under footage_dir: same SHA-256 over the same bytes (the whole
 * file, or its first `size` bytes when it was still being recorded). A missing or changed file is
 * a problem naming its path; v->ok is updated. */
void hw_export_verify_sources(HwExportVerify *v, const char *footage_dir);

/* The verification as JSON: {"ok":…, "signature_ok":…, "key_trusted":…, "public_key":…,
 * "problems":[…], "checked":[…]} (transfer full). */
json_t *hw_export_verify_json(const HwExportVerify *v);

G_END_DECLS
