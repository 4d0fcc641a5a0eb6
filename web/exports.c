/* Evidence export routes (docs/evidence.md): jobs made by investigators, run by the background
 * worker (media/hw_export_jobs.h), downloaded as a signed zip, verified, their holds released;
 * and the appliance's public key. Scope: a job belongs to its camera's hall, and a hall-limited
 * caller sees another hall's cameras and jobs as 404. Every request, download and release is an
 * audit row, written before the footage leaves. */
#include <errno.h>
#include <fcntl.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/hw_file.h"
#include "media/hw_export.h"
#include "media/hw_export_jobs.h"
#include "web/handlers.h"
#include "web/internal.h"

#define EXPORT_SPAN_MAX (INT64_C(3600) * HW_NS_PER_S) /* one hour per package */
#define LIST_MAX 200
#define TEXT_MAX 127
#define UNFINISHED_MAX 32 /* jobs waiting or running: the one worker takes them in turn */

static HwExportJobs *jobs(HwRequest *req, HwReply *reply)
{
  HwExportJobs *j = req->http->opt.exports;
  if (j == NULL)
    hw_reply_error(reply, 503, "unavailable", NULL, "evidence export is not enabled here");
  return j;
}

static json_t *time_or_null(hw_time_ns t)
{
  char buf[40];
  return t > 0 ? json_string(hw_time_format(t, buf, sizeof buf)) : json_null();
}

static json_t *text_or_null(const char *s) { return s[0] ? json_string(s) : json_null(); }

static json_t *export_json(const HwStoreExport *e)
{
  json_t *o = json_object();
  json_object_set_new(o, "id", json_integer(e->id));
  json_object_set_new(o, "camera", json_string(e->camera));
  json_object_set_new(o, "hall", text_or_null(e->hall));
  json_object_set_new(o, "from", time_or_null(e->from_ns));
  json_object_set_new(o, "to", time_or_null(e->to_ns));
  json_object_set_new(o, "case", text_or_null(e->case_id));
  json_object_set_new(o, "stage", text_or_null(e->stage));
  json_object_set_new(o, "requested_by", json_string(e->requested_by));
  json_object_set_new(o, "state", json_string(e->state));
  json_object_set_new(o, "progress", json_integer(e->progress));
  json_object_set_new(o, "error", text_or_null(e->error));
  json_object_set_new(o, "created", time_or_null(e->created_ns));
  json_object_set_new(o, "started", time_or_null(e->started_ns));
  json_object_set_new(o, "finished", time_or_null(e->finished_ns));
  json_object_set_new(o, "held", json_boolean(e->hold_id > 0 && e->hold_released_ns == 0));
  json_object_set_new(o, "hold_released", time_or_null(e->hold_released_ns));
  json_object_set_new(o, "deleted", time_or_null(e->deleted_ns));
  json_object_set_new(o, "deleted_by", text_or_null(e->deleted_by));
  if (strcmp(e->state, "done") == 0) {
    json_t *r = json_object();
    json_object_set_new(r, "size", json_integer(e->size));
    json_object_set_new(r, "sha256", json_string(e->sha256));
    json_object_set_new(r, "mp4_sha256", json_string(e->mp4_sha256));
    json_object_set_new(r, "actual_from", time_or_null(e->actual_from_ns));
    json_object_set_new(r, "actual_to", time_or_null(e->actual_to_ns));
    json_object_set_new(r, "gaps", json_integer(e->gaps));
    json_object_set_new(r, "download",
                        e->deleted_ns
                            ? json_null()
                            : json_sprintf("/api/v1/exports/%" G_GINT64_FORMAT "/download", e->id));
    json_object_set_new(o, "result", r);
  } else {
    json_object_set_new(o, "result", json_null());
  }
  return o;
}

/* One audit row by the caller; false (reply set to 500) if it could not be written. */
static bool audit(HwRequest *req, HwReply *reply, const char *action, int64_t id, json_t *detail)
{
  const HwCaller *c = hw_request_caller(req);
  char *text = json_dumps(detail, JSON_COMPACT);
  json_decref(detail);
  char oid[24];
  g_snprintf(oid, sizeof oid, "%" G_GINT64_FORMAT, id);
  g_autoptr(GError) error = NULL;
  bool ok = hw_request_audit(req) == NULL ||
            hw_audit_record(hw_request_audit(req), c->name, hw_role_name(c->role),
                            hw_request_client_address(req), action, "export", oid, text, &error);
  free(text);
  if (!ok)
    hw_reply_error(reply, 500, "audit_failed", NULL,
                   "the audit log could not record this, so it was not done");
  return ok;
}

/* The {id} of the path as a positive integer; false (reply 404) otherwise. */
static bool path_id(HwRequest *req, HwReply *reply, int64_t *ret)
{
  const char *s = hw_request_param(req, "id");
  guint64 v = 0;
  if (s == NULL || !g_ascii_string_to_unsigned(s, 10, 1, G_MAXINT64, &v, NULL)) {
    hw_reply_error(reply, 404, "not_found", NULL, "no such export");
    return false;
  }
  *ret = (int64_t)v;
  return true;
}

/* The job {id} within the caller's halls; false (reply set) if none. */
static bool get_job(HwRequest *req, HwReply *reply, HwStoreExport *ret)
{
  int64_t id;
  if (!path_id(req, reply, &id))
    return false;
  g_autoptr(GError) error = NULL;
  if (hw_store_export_get(hw_request_store(req), id, hw_request_scope_codes(req, HW_SCOPE_HALL),
                          ret, &error))
    return true;
  if (error->domain == HW_STORE_ERROR && error->code == HW_STORE_ERROR_NOT_FOUND)
    hw_reply_error(reply, 404, "not_found", NULL, "no such export");
  else
    hw_reply_error(reply, 500, "internal", NULL, "the store failed while reading the export");
  return false;
}

/* An optional string field of at most TEXT_MAX bytes; false (reply 400) if malformed. */
static bool opt_text(json_t *body, const char *field, const char **ret, HwReply *reply)
{
  json_t *v = json_object_get(body, field);
  *ret = NULL;
  if (v == NULL || json_is_null(v))
    return true;
  if (!json_is_string(v) || json_string_length(v) == 0 || json_string_length(v) > TEXT_MAX) {
    hw_reply_error(reply, 400, "invalid_field", field, "%s: a text of 1 to %d bytes", field,
                   TEXT_MAX);
    return false;
  }
  *ret = json_string_value(v);
  return true;
}

static bool time_field(json_t *body, const char *field, hw_time_ns *ret, HwReply *reply)
{
  const char *s = json_string_value(json_object_get(body, field));
  if (s == NULL || hw_time_parse(s, ret) != 0) {
    hw_reply_error(reply, 400, "invalid_field", field,
                   "%s: an RFC 3339 time with its offset, e.g. 2026-11-28T09:30:00+08:00", field);
    return false;
  }
  return true;
}

/* The hall of a camera the caller may see; false (reply 404) if none. A camera from the config
 * file has no hall: only callers without a hall limit see it, and only if it ever recorded. */
static bool camera_hall(HwRequest *req, HwReply *reply, const char *camera, char ret_hall[64])
{
  HwStore *store = hw_request_store(req);
  const char *const *halls = hw_request_scope_codes(req, HW_SCOPE_HALL);
  HwStoreCamera c;
  hw_time_ns last = 0;
  if (hw_store_camera_get(store, camera, halls, &c, NULL)) {
    g_strlcpy(ret_hall, c.hall, 64);
    return true;
  }
  if (halls == NULL && !hw_store_camera_get(store, camera, NULL, &c, NULL) &&
      hw_store_last_end(store, camera, "main", &last, NULL) && last > 0) {
    ret_hall[0] = '\0';
    return true;
  }
  hw_reply_error(reply, 404, "not_found", "camera", "no such camera");
  return false;
}

/* Adds and submits one job (e: camera, hall, range, case fields set), audited; the job's id in
 * *ret_id, or false with the reply set. */
static bool job_add(HwRequest *req, HwReply *reply, HwExportJobs *j, HwStoreExport *e,
                    int64_t *ret_id)
{
  int64_t waiting = 0;
  if (hw_store_exports_unfinished(hw_request_store(req), &waiting, NULL) &&
      waiting >= UNFINISHED_MAX) {
    hw_reply_error(reply, 429, "too_many_exports", NULL,
                   "%" G_GINT64_FORMAT " exports are waiting; ask again when some are done",
                   waiting);
    return false;
  }
  const HwCaller *c = hw_request_caller(req);
  g_strlcpy(e->requested_by, c->name, sizeof e->requested_by);
  g_strlcpy(e->role, hw_role_name(c->role) ? hw_role_name(c->role) : "", sizeof e->role);
  int64_t id = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_store_export_add(hw_request_store(req), e, &id, &error)) {
    hw_reply_error(reply, 500, "internal", NULL, "the store failed while adding the export");
    return false;
  }
  char fb[40], tb[40];
  json_t *detail = json_pack("{s:s, s:s, s:s}", "camera", e->camera, "from",
                             hw_time_format(e->from_ns, fb, sizeof fb), "to",
                             hw_time_format(e->to_ns, tb, sizeof tb));
  if (e->case_id[0])
    json_object_set_new(detail, "case", json_string(e->case_id));
  if (e->stage[0])
    json_object_set_new(detail, "stage", json_string(e->stage));
  if (e->stage_event > 0)
    json_object_set_new(detail, "stage_event", json_integer(e->stage_event));
  if (!audit(req, reply, "export.create", id, detail)) {
    hw_store_export_fail(hw_request_store(req), id, "the audit log could not record the request",
                         NULL);
    return false;
  }
  hw_export_jobs_submit(j, id);
  *ret_id = id;
  return true;
}

/* 202 with job id (and, for several, "jobs": every one of ids[0..n)). */
static void reply_jobs(HwRequest *req, HwReply *reply, const int64_t *ids, size_t n)
{
  json_t *all = json_array();
  json_t *first;
  for (size_t i = 0; i < n; i++) {
    HwStoreExport got;
    if (!hw_store_export_get(hw_request_store(req), ids[i], NULL, &got, NULL)) {
      json_decref(all);
      hw_reply_error(reply, 500, "internal", NULL, "the store failed while reading the export");
      return;
    }
    json_array_append_new(all, export_json(&got));
  }
  first = json_deep_copy(json_array_get(all, 0));
  if (n > 1)
    json_object_set_new(first, "jobs", all);
  else
    json_decref(all);
  char loc[64];
  g_snprintf(loc, sizeof loc, "/api/v1/exports/%" G_GINT64_FORMAT, ids[0]);
  hw_reply_header(reply, "Location", loc);
  hw_reply_json(reply, 202, first);
}

/* POST /api/v1/exports {"case": <case id>, "stage": <stage event id>}: the stage's window
 * cameras and range as GET /api/v1/cases/{id}/footage gives them, one job per camera. */
static void create_for_stage(HwRequest *req, HwReply *reply, HwExportJobs *j, json_t *body)
{
  json_t *cv = json_object_get(body, "case"), *sv = json_object_get(body, "stage");
  if (!json_is_integer(cv) || json_integer_value(cv) <= 0) {
    hw_reply_error(reply, 400, "invalid_field", "case",
                   "case: the case's id (GET /api/v1/cases) with stage, the stage event's id");
    return;
  }
  if (json_integer_value(sv) <= 0) {
    hw_reply_error(reply, 400, "invalid_field", "stage", "stage: the stage event's id");
    return;
  }
  char id_text[24];
  g_snprintf(id_text, sizeof id_text, "%" G_GINT64_FORMAT, (int64_t)json_integer_value(cv));
  HwStoreCase c;
  if (!hw_web_case_get(req, reply, id_text, &c))
    return;
  HwStore *store = hw_request_store(req);
  HwStoreStageEvent *stages = NULL;
  size_t n = 0, n_links = 0;
  HwCaseStageLink *links = NULL;
  g_autoptr(GError) error = NULL;
  if (!hw_store_case_stages(store, c.id, &stages, &n, &error) ||
      !hw_case_stage_links(store, &c, stages, n, json_integer_value(sv),
                           req->http->opt.footage_rolls, hw_time_now(), &links, &n_links, &error)) {
    hw_store_stage_events_free(stages, n);
    hw_reply_error(reply, 500, "internal", NULL, "resolving the stage failed: %s", error->message);
    return;
  }
  int64_t ids[16];
  size_t n_ids = 0;
  if (n_links == 0)
    hw_reply_error(reply, 404, "not_found", "stage",
                   "the case has no stage event %" G_GINT64_FORMAT,
                   (int64_t)json_integer_value(sv));
  else if (links[0].n_links == 0)
    hw_reply_error(reply, 409, "no_camera", "stage",
                   "no camera covered window %s at that stage's time: nothing to export / "
                   "该环节时窗口无摄像机",
                   links[0].event->window[0] ? links[0].event->window : "(none)");
  for (size_t i = 0; n_links > 0 && i < links[0].n_links && i < G_N_ELEMENTS(ids); i++) {
    const HwFootageLink *k = &links[0].links[i];
    HwStoreExport e = {.from_ns = k->from_ns, .to_ns = k->to_ns, .stage_event = links[0].event->id};
    if (k->to_ns - k->from_ns > EXPORT_SPAN_MAX) {
      hw_reply_error(reply, 400, "invalid_field", "stage",
                     "the stage's range is longer than one hour: export camera ranges instead");
      break;
    }
    if (k->from_ns >= hw_time_now()) {
      hw_reply_error(reply, 400, "invalid_field", "stage",
                     "stage: its footage has not been recorded yet");
      break;
    }
    g_strlcpy(e.camera, k->camera, sizeof e.camera);
    g_strlcpy(e.case_id, c.case_number, sizeof e.case_id);
    g_strlcpy(e.stage, links[0].event->stage, sizeof e.stage);
    if (!camera_hall(req, reply, k->camera, e.hall) || !job_add(req, reply, j, &e, &ids[n_ids]))
      break;
    n_ids++;
  }
  bool all = n_links > 0 && n_ids == links[0].n_links && n_ids > 0;
  hw_case_stage_links_free(links, n_links);
  hw_store_stage_events_free(stages, n);
  if (all)
    reply_jobs(req, reply, ids, n_ids);
}

/* POST /api/v1/exports {"camera","from","to","case"?,"stage"?} → 202 and the queued job; or
 * {"case": <case id>, "stage": <stage event id>} (create_for_stage). */
void hw_route_exports_create(HwRequest *req, HwReply *reply)
{
  HwExportJobs *j = jobs(req, reply);
  if (j == NULL)
    return;
  json_t *body = hw_request_json(req);
  if (!json_is_object(body)) {
    hw_reply_error(reply, 400, "invalid_field", NULL,
                   "send {\"camera\":…, \"from\":…, \"to\":…} (case, stage optional), or "
                   "{\"case\": <case id>, \"stage\": <stage event id>}");
    return;
  }
  if (json_is_integer(json_object_get(body, "stage"))) {
    create_for_stage(req, reply, j, body);
    return;
  }
  const char *camera = json_string_value(json_object_get(body, "camera"));
  if (camera == NULL || camera[0] == '\0' || strlen(camera) > 63) {
    hw_reply_error(reply, 400, "invalid_field", "camera", "camera: a camera id");
    return;
  }
  hw_time_ns from, to;
  const char *case_id, *stage;
  if (!time_field(body, "from", &from, reply) || !time_field(body, "to", &to, reply) ||
      !opt_text(body, "case", &case_id, reply) || !opt_text(body, "stage", &stage, reply))
    return;
  if (to <= from) {
    hw_reply_error(reply, 400, "invalid_field", "to", "to: must come after from");
    return;
  }
  if (to - from > EXPORT_SPAN_MAX) {
    hw_reply_error(reply, 400, "invalid_field", "to",
                   "to: one export covers at most one hour; split longer ranges");
    return;
  }
  if (from >= hw_time_now()) {
    hw_reply_error(reply, 400, "invalid_field", "from",
                   "from: that time has not been recorded yet");
    return;
  }
  HwStoreExport e = {.from_ns = from, .to_ns = to};
  if (!camera_hall(req, reply, camera, e.hall))
    return;
  g_strlcpy(e.camera, camera, sizeof e.camera);
  g_strlcpy(e.case_id, case_id ? case_id : "", sizeof e.case_id);
  g_strlcpy(e.stage, stage ? stage : "", sizeof e.stage);
  int64_t id = 0;
  if (job_add(req, reply, j, &e, &id))
    reply_jobs(req, reply, &id, 1);
}

void hw_route_exports_list(HwRequest *req, HwReply *reply)
{
  if (jobs(req, reply) == NULL)
    return;
  g_autofree HwStoreExport *list = NULL;
  size_t n = 0;
  if (!hw_store_exports_list(hw_request_store(req), hw_request_scope_codes(req, HW_SCOPE_HALL),
                             LIST_MAX, &list, &n, NULL)) {
    hw_reply_error(reply, 500, "internal", NULL, "the store failed while listing exports");
    return;
  }
  json_t *arr = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(arr, export_json(&list[i]));
  hw_reply_json(reply, 200, json_pack("{s:o}", "exports", arr));
}

void hw_route_export_get(HwRequest *req, HwReply *reply)
{
  HwStoreExport e;
  if (jobs(req, reply) != NULL && get_job(req, reply, &e))
    hw_reply_json(reply, 200, export_json(&e));
}

/* A done job whose package is still on the appliance; false (reply 409 or 410) otherwise. */
static bool package_kept(HwReply *reply, const HwStoreExport *e, const char *field)
{
  if (strcmp(e->state, "done") != 0) {
    hw_reply_error(reply, 409, "not_ready", field, "the export is %s, not done", e->state);
    return false;
  }
  if (e->deleted_ns != 0) {
    char when[40];
    hw_reply_error(reply, 410, "gone", field,
                   "导出包已被 %s 于 %s 删除 / the package was deleted by %s at %s", e->deleted_by,
                   hw_time_format(e->deleted_ns, when, sizeof when), e->deleted_by, when);
    return false;
  }
  return true;
}

/* GET /api/v1/exports/{id}/download: the zip, once the job is done; audited first. */
void hw_route_export_download(HwRequest *req, HwReply *reply)
{
  HwExportJobs *j = jobs(req, reply);
  HwStoreExport e;
  if (j == NULL || !get_job(req, reply, &e) || !package_kept(reply, &e, NULL))
    return;
  g_autofree char *path = hw_export_jobs_package_path(j, e.package);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0) {
    if (fd >= 0)
      close(fd);
    hw_reply_error(reply, 410, "gone", NULL, "the package file is no longer on the appliance");
    return;
  }
  if (!audit(req, reply, "export.download", e.id,
             json_pack("{s:s, s:s, s:I}", "camera", e.camera, "sha256", e.sha256, "size",
                       (json_int_t)st.st_size))) {
    close(fd);
    return;
  }
  char disp[96];
  g_snprintf(disp, sizeof disp, "attachment; filename=\"%s\"", e.package);
  hw_reply_header(reply, "Content-Disposition", disp);
  hw_reply_file(reply, 200, "application/zip", fd, 0, (uint64_t)st.st_size);
}

/* POST /api/v1/exports/{id}/release: ends the job's hold. */
void hw_route_export_release(HwRequest *req, HwReply *reply)
{
  HwStoreExport e;
  if (jobs(req, reply) == NULL || !get_job(req, reply, &e))
    return;
  if (e.hold_id == 0 || e.hold_released_ns != 0) {
    hw_reply_error(reply, 409, "conflict", NULL, "the export's footage is not held");
    return;
  }
  if (!hw_store_hold_release(hw_request_store(req), e.hold_id, NULL)) {
    hw_reply_error(reply, 409, "conflict", NULL, "the export's footage is not held");
    return;
  }
  if (!audit(req, reply, "export.release", e.id, json_pack("{s:s}", "camera", e.camera)))
    return;
  hw_store_export_get(hw_request_store(req), e.id, NULL, &e, NULL);
  hw_reply_json(reply, 200, export_json(&e));
}

/* DELETE /api/v1/exports/{id}: removes a done job's package from the appliance (it has been
 * handed over; packages must not fill the disk the footage needs). The job stays, marked with who
 * deleted it and when, in one transaction with its export.delete audit row; then the file goes
 * (fsync of the folder). The footage hold is not touched: release it on its own. */
void hw_route_export_delete(HwRequest *req, HwReply *reply)
{
  HwExportJobs *j = jobs(req, reply);
  HwStoreExport e;
  if (j == NULL || !get_job(req, reply, &e) || !package_kept(reply, &e, NULL))
    return;
  HwStore *store = hw_request_store(req);
  g_autoptr(GError) error = NULL;
  if (!hw_store_begin(store, &error)) {
    hw_reply_error(reply, 500, "internal", NULL, "the store failed: %s", error->message);
    return;
  }
  if (!hw_store_export_delete(store, e.id, hw_request_caller(req)->name, &error)) {
    hw_store_rollback(store);
    if (g_error_matches(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND))
      hw_reply_error(reply, 409, "conflict", NULL, "the package was deleted meanwhile");
    else
      hw_reply_error(reply, 500, "internal", NULL, "the store failed: %s", error->message);
    return;
  }
  char oid[24];
  g_snprintf(oid, sizeof oid, "%" G_GINT64_FORMAT, e.id);
  json_t *detail = json_pack("{s:s, s:s, s:s, s:I, s:b}", "camera", e.camera, "package", e.package,
                             "sha256", e.sha256, "size", (json_int_t)e.size, "held",
                             e.hold_id > 0 && e.hold_released_ns == 0);
  if (!hw_web_audit(req, "export.delete", "export", oid, detail)) {
    hw_store_rollback(store);
    hw_reply_error(reply, 500, "audit_failed", NULL,
                   "the audit log could not record this, so nothing was deleted");
    return;
  }
  if (!hw_store_commit(store, &error)) {
    hw_reply_error(reply, 500, "internal", NULL, "the store failed: %s", error->message);
    return;
  }
  g_autofree char *path = hw_export_jobs_package_path(j, e.package);
  if (!hw_file_remove_durable(path, &error)) {
    g_warning("export %" G_GINT64_FORMAT ": %s", e.id, error->message);
    hw_reply_error(reply, 500, "internal", NULL,
                   "the package is marked deleted, but its file could not be removed: %s",
                   error->message);
    return;
  }
  hw_store_export_get(store, e.id, NULL, &e, NULL);
  hw_reply_json(reply, 200, export_json(&e));
}

/* POST /api/v1/exports/verify: the package itself as the body (Content-Type application/zip or
 * application/octet-stream, streamed to a temporary file in the exports folder, up to [exports]
 * verify_max_bytes); or JSON: {"id": N} checks the stored package of a job, {"package": base64}
 * a small uploaded one (within the JSON body cap). The same checks as `hallwatchd verify`. */
void hw_route_exports_verify(HwRequest *req, HwReply *reply)
{
  HwExportJobs *j = jobs(req, reply);
  if (j == NULL)
    return;
  json_t *body = hw_request_json(req);
  json_t *id = json_object_get(body, "id");
  const char *b64 = json_string_value(json_object_get(body, "package"));
  g_autofree char *path = NULL;
  bool temporary = false;
  int64_t upload_size = 0;
  const char *upload = hw_request_upload(req, &upload_size);
  if (upload != NULL) {
    if (upload_size == 0) {
      hw_reply_error(reply, 400, "invalid_field", "package", "package: the body is empty");
      return;
    }
    path = g_strdup(upload); /* the server removes it when the request ends */
  } else if (json_is_integer(id)) {
    HwStoreExport e;
    g_autoptr(GError) error = NULL;
    if (!hw_store_export_get(hw_request_store(req), json_integer_value(id),
                             hw_request_scope_codes(req, HW_SCOPE_HALL), &e, &error)) {
      hw_reply_error(reply, 404, "not_found", "id", "no such export");
      return;
    }
    if (!package_kept(reply, &e, "id"))
      return;
    path = hw_export_jobs_package_path(j, e.package);
  } else if (b64 != NULL) {
    gsize len = 0;
    g_autofree guchar *data = g_base64_decode(b64, &len);
    if (len == 0) {
      hw_reply_error(reply, 400, "invalid_field", "package", "package: a zip file as base64");
      return;
    }
    int fd = g_file_open_tmp("hallwatch-verify-XXXXXX.zip", &path, NULL);
    bool ok = fd >= 0 && write(fd, data, len) == (ssize_t)len;
    if (fd >= 0)
      close(fd);
    temporary = path != NULL;
    if (!ok) {
      if (temporary)
        g_unlink(path);
      hw_reply_error(reply, 500, "internal", NULL, "cannot store the upload for checking");
      return;
    }
  } else {
    hw_reply_error(reply, 400, "invalid_field", NULL,
                   "send the zip as the body (Content-Type: application/zip), or {\"id\": export "
                   "id}, or {\"package\": the zip as base64}");
    return;
  }
  HwExportVerify v;
  hw_export_verify(path, hw_key_public_hex(hw_export_jobs_key(j)), &v);
  if (temporary)
    g_unlink(path);
  hw_reply_json(reply, 200, hw_export_verify_json(&v));
  hw_export_verify_clear(&v);
}

/* GET /api/v1/key: the appliance's public key, for the interface to show. */
void hw_route_key_get(HwRequest *req, HwReply *reply)
{
  HwExportJobs *j = jobs(req, reply);
  if (j == NULL)
    return;
  const char *hex = hw_key_public_hex(hw_export_jobs_key(j));
  char fp[65];
  hw_key_fingerprint(hex, fp);
  g_autofree char *pem = hw_key_public_pem(hex);
  hw_reply_json(reply, 200,
                json_pack("{s:s, s:s, s:s, s:s}", "algorithm", "Ed25519", "public_key", hex,
                          "fingerprint", fp, "pem", pem));
}
