/* The export worker (media/hw_export_jobs.h): a GThreadPool of one thread, so exports never
 * compete with each other for the disk; the store is the queue's memory across restarts. Library
 * code: failures go into the job's row, not to a log. */
#include "media/hw_export.h"
#include "media/hw_export_jobs.h"
#include "sql/hw_store_case_queries.h"
#include "sql/hw_store_cases.h"

#include <errno.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>

#define INTERRUPTED "interrupted by a daemon stop; ask for the export again"

struct HwExportJobs {
  HwStore *store;
  const HwKey *key;
  HwAudit *audit;
  char *footage_dir, *exports_dir, *version;
  GThreadPool *pool;
  gint cancel;
};

typedef struct {
  HwExportJobs *jobs;
  int64_t id;
  int last;
} Running;

static void on_progress(double done, void *user)
{
  Running *r = user;
  int pct = (int)(done * 100.0);
  if (pct != r->last) {
    r->last = pct;
    hw_store_export_progress(r->jobs->store, r->id, pct, NULL);
  }
}

/* The job's outcome in the audit log (a row that cannot be written changes nothing: the job row
 * has the outcome too). */
static void audit_outcome(HwExportJobs *jobs, int64_t id, const char *action, json_t *detail)
{
  char *text = json_dumps(detail, JSON_COMPACT);
  json_decref(detail);
  char oid[24];
  g_snprintf(oid, sizeof oid, "%" G_GINT64_FORMAT, id);
  if (jobs->audit != NULL)
    hw_audit_record(jobs->audit, "system", "", "", action, "export", oid, text, NULL);
  free(text);
}

static void failed(HwExportJobs *jobs, int64_t id, const char *reason)
{
  hw_store_export_fail(jobs->store, id, reason, NULL);
  audit_outcome(jobs, id, "export.failed", json_pack("{s:s}", "reason", reason));
}

static void run_job(gpointer data, gpointer user)
{
  HwExportJobs *jobs = user;
  int64_t id = GPOINTER_TO_SIZE(data);
  HwStoreExport e;
  g_autoptr(GError) error = NULL;
  if (g_atomic_int_get(&jobs->cancel) || !hw_store_export_get(jobs->store, id, NULL, &e, NULL) ||
      !hw_store_export_start(jobs->store, id, NULL))
    return; /* stopping (it stays queued), or gone, or not queued any more */
  g_autofree char *name = g_strdup_printf("export-%" G_GINT64_FORMAT ".zip", id);
  g_autofree char *path = g_build_filename(jobs->exports_dir, name, NULL);
  g_autofree char *id_text = g_strdup_printf("%" G_GINT64_FORMAT, id);
  /* a case stage export: the manifest names the stage as the case store holds it */
  HwStoreStageEvent ev;
  HwStoreCase kase;
  char ev_text[24] = "";
  bool staged = e.stage_event > 0;
  if (staged) {
    if (!hw_store_stage_event_get(jobs->store, e.stage_event, &ev, &error) ||
        !hw_store_case_get_by_id(jobs->store, ev.case_id, NULL, NULL, &kase, &error)) {
      failed(jobs, id, error->message);
      return;
    }
    g_snprintf(ev_text, sizeof ev_text, "%" G_GINT64_FORMAT, ev.id);
  }
  Running r = {jobs, id, -1};
  HwExportRequest req = {.camera = e.camera,
                         .from_ns = e.from_ns,
                         .to_ns = e.to_ns,
                         .footage_dir = jobs->footage_dir,
                         .package_path = path,
                         .key = jobs->key,
                         .version = jobs->version,
                         .export_id = id_text,
                         .exporter = e.requested_by,
                         .exporter_role = e.role[0] ? e.role : NULL,
                         .case_id = e.case_id[0] ? e.case_id : NULL,
                         .stage = e.stage[0] ? e.stage : NULL,
                         .stage_event = staged ? ev_text : NULL,
                         .case_department = staged ? kase.department : NULL,
                         .stage_time_ns = staged ? ev.time_ns : 0,
                         .stage_hall = staged && ev.hall[0] ? ev.hall : NULL,
                         .stage_window = staged && ev.window[0] ? ev.window : NULL,
                         .progress = on_progress,
                         .progress_user = &r,
                         .cancel = &jobs->cancel};
  HwExportResult res;
  if (!hw_export_run(jobs->store, &req, &res, &error)) {
    bool cancelled = error->domain == HW_EXPORT_ERROR && error->code == HW_EXPORT_ERROR_CANCELLED;
    failed(jobs, id, cancelled ? INTERRUPTED : error->message);
    return;
  }
  g_strlcpy(e.package, name, sizeof e.package);
  e.size = res.package_size;
  g_strlcpy(e.sha256, res.package_sha256, sizeof e.sha256);
  g_strlcpy(e.mp4_sha256, res.mp4_sha256, sizeof e.mp4_sha256);
  e.actual_from_ns = res.actual_from_ns;
  e.actual_to_ns = res.actual_to_ns;
  e.gaps = (int64_t)res.n_gaps;
  if (!hw_store_export_done(jobs->store, &e, &error)) {
    g_unlink(path);
    failed(jobs, id, error->message);
    return;
  }
  audit_outcome(jobs, id, "export.done",
                json_pack("{s:s, s:s, s:s, s:I, s:I}", "camera", e.camera, "sha256", e.sha256,
                          "mp4_sha256", e.mp4_sha256, "size", (json_int_t)e.size, "gaps",
                          (json_int_t)e.gaps));
}

char *hw_export_jobs_default_dir(const char *footage_dir)
{
  g_autofree char *parent = g_path_get_dirname(footage_dir);
  return g_build_filename(parent, "exports", NULL);
}

HwExportJobs *hw_export_jobs_new(HwStore *store, const HwKey *key, HwAudit *audit,
                                 const char *footage_dir, const char *exports_dir,
                                 const char *version, GError **error)
{
  g_return_val_if_fail(store && key && footage_dir && exports_dir, NULL);
  if (g_mkdir_with_parents(exports_dir, 0750) != 0) {
    g_set_error(error, HW_EXPORT_ERROR, HW_EXPORT_ERROR_IO, "cannot make the exports folder %s: %s",
                exports_dir, g_strerror(errno));
    return NULL;
  }
  g_autofree int64_t *queued = NULL;
  size_t n = 0;
  if (!hw_store_exports_recover(store, INTERRUPTED, &queued, &n, error))
    return NULL;
  HwExportJobs *jobs = g_new0(HwExportJobs, 1);
  jobs->store = store;
  jobs->key = key;
  jobs->audit = audit;
  jobs->footage_dir = g_strdup(footage_dir);
  jobs->exports_dir = g_strdup(exports_dir);
  jobs->version = g_strdup(version ? version : "unknown");
  jobs->pool = g_thread_pool_new(run_job, jobs, 1, FALSE, NULL);
  for (size_t i = 0; i < n; i++)
    hw_export_jobs_submit(jobs, queued[i]);
  return jobs;
}

void hw_export_jobs_free(HwExportJobs *jobs)
{
  if (jobs == NULL)
    return;
  g_atomic_int_set(&jobs->cancel, 1);
  g_thread_pool_free(jobs->pool, TRUE, TRUE);
  g_free(jobs->footage_dir);
  g_free(jobs->exports_dir);
  g_free(jobs->version);
  g_free(jobs);
}

void hw_export_jobs_submit(HwExportJobs *jobs, int64_t id)
{
  g_thread_pool_push(jobs->pool, GSIZE_TO_POINTER((gsize)id), NULL);
}

char *hw_export_jobs_package_path(const HwExportJobs *jobs, const char *package)
{
  return g_build_filename(jobs->exports_dir, package, NULL);
}

const HwKey *hw_export_jobs_key(const HwExportJobs *jobs) { return jobs->key; }
