/* Export jobs: the background worker that turns a queued row of the `exports` table into a
 * package (media/hw_export.h), one job at a time, recording progress and the result in the store.
 * Jobs survive a restart: at start, one left running is failed with the reason and queued ones
 * run again. Packages live in one folder (<footage>/../exports by default), named
 * export-<id>.zip. */
#pragma once

#include <glib.h>
#include <stdbool.h>
#include <stdint.h>

#include "audit/hw_audit.h"
#include "common/hw_keys.h"
#include "sql/hw_store.h"

G_BEGIN_DECLS

typedef struct HwExportJobs HwExportJobs;

/* Starts the worker. store, key and audit (nullable) are borrowed and must outlive the jobs.
 * exports_dir is made (0750) if missing. Recovers interrupted jobs (see above) and queues the
 * waiting ones. Each finished job is an audit row by "system": export.done with the package's and
 * the MP4's SHA-256 (so the signed audit chain also vouches for the package), or export.failed
 * with the reason. NULL with error if the folder cannot be made or the store read. */
HwExportJobs *hw_export_jobs_new(HwStore *store, const HwKey *key, HwAudit *audit,
                                 const char *footage_dir, const char *exports_dir,
                                 const char *version, GError **error);
/* Stops: the running job is cancelled (marked failed "interrupted by a daemon stop"), queued ones
 * stay queued for the next start. Waits for the worker. */
void hw_export_jobs_free(HwExportJobs *jobs);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HwExportJobs, hw_export_jobs_free)

/* Queues a job already added to the store (hw_store_export_add). */
void hw_export_jobs_submit(HwExportJobs *jobs, int64_t id);

/* The package's absolute path for a finished job's `package` name (g_free). */
char *hw_export_jobs_package_path(const HwExportJobs *jobs, const char *package);

/* The appliance key (borrowed). */
const HwKey *hw_export_jobs_key(const HwExportJobs *jobs);

/* The default exports folder for a footage folder: its sibling "exports" (g_free). */
char *hw_export_jobs_default_dir(const char *footage_dir);

G_END_DECLS
