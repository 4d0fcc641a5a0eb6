/* The supervisors' dashboard (实时监控) routes: the storage status (disk use, footage totals, the
 * retention horizon, the limits in force, held bytes), open warnings by level and department,
 * cases in progress and due today, and each window's current case for the live wall. Reads
 * only, each a few index ranges (sql/hw_store_dashboard.h), so the page may poll them every few
 * seconds. Scope is the caller's, in SQL, as the lists of the same objects (docs/dashboard.md). */
#include <glib.h>
#include <jansson.h>
#include <string.h>
#include <sys/statvfs.h>

#include "cases/hw_calendar.h"
#include "sql/hw_store_dashboard.h"
#include "sql/hw_store_warnings.h"
#include "web/handlers.h"
#include "web/hw_cameras.h"
#include "web/internal.h"

#define DUE_LIST_MAX 20

static json_t *time_json(hw_time_ns t)
{
  char buf[48];
  return t ? json_string(hw_time_format(t, buf, sizeof buf)) : json_null();
}

static void store_failed(HwReply *reply, const GError *e, const char *what)
{
  hw_reply_error(reply, 500, "internal", NULL, "the store failed reading %s: %s", what,
                 e ? e->message : "unknown error");
}

/* ---- GET /api/v1/status/storage -------------------------------------------------------------- */

/* The file system of the footage root: total, used (by anyone) and free for the daemon. */
static json_t *disk_json(const char *root)
{
  struct statvfs st;
  if (root == NULL || statvfs(root, &st) != 0)
    return json_null();
  int64_t total = (int64_t)st.f_blocks * (int64_t)st.f_frsize;
  int64_t avail = (int64_t)st.f_bavail * (int64_t)st.f_frsize;
  int64_t used = total - (int64_t)st.f_bfree * (int64_t)st.f_frsize;
  return json_pack("{s:I, s:I, s:I}", "total_bytes", (json_int_t)total, "used_bytes",
                   (json_int_t)used, "free_bytes", (json_int_t)avail);
}

/* The retention limits in force, behind the daemon's one hook (null when not known). */
static json_t *retention_json(HwRequest *req)
{
  const HwCameraHooks *hooks = req->http->opt.cameras;
  if (hooks == NULL || hooks->retention == NULL)
    return json_null();
  HwRetentionLimits l = {0};
  hooks->retention(hooks->user, &l);
  return json_pack("{s:I, s:I, s:I}", "days", (json_int_t)l.days, "bytes", (json_int_t)l.bytes,
                   "min_free_bytes", (json_int_t)l.min_free_bytes);
}

/* {"disk": {total_bytes, used_bytes, free_bytes} | null, "footage": {files, bytes, oldest},
 *  "cameras": [{camera, hall, files, bytes, oldest}], "held": {files, bytes},
 *  "retention": {days, bytes, min_free_bytes} | null}. A caller limited to halls sees the
 * footage, horizon and holds of its halls' cameras only; the disk is the appliance's one disk,
 * the same for every hall. */
void hw_route_status_storage(HwRequest *req, HwReply *reply)
{
  HwStore *store = hw_request_store(req);
  const char *const *halls = hw_request_scope_codes(req, HW_SCOPE_HALL);
  g_autofree HwStoreCameraFootage *cams = NULL;
  size_t n = 0;
  int64_t held_bytes = 0, held_files = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_store_footage_by_camera(store, halls, &cams, &n, &error) ||
      !hw_store_held_footage(store, halls, hw_time_now(), &held_bytes, &held_files, &error)) {
    store_failed(reply, error, "footage totals");
    return;
  }
  int64_t files = 0, bytes = 0;
  hw_time_ns oldest = 0;
  json_t *list = json_array();
  for (size_t i = 0; i < n; i++) {
    files += cams[i].files;
    bytes += cams[i].bytes;
    if (cams[i].oldest_ns != 0 && (oldest == 0 || cams[i].oldest_ns < oldest))
      oldest = cams[i].oldest_ns;
    json_array_append_new(
        list, json_pack("{s:s, s:o, s:I, s:I, s:o}", "camera", cams[i].camera, "hall",
                        cams[i].hall[0] ? json_string(cams[i].hall) : json_null(), "files",
                        (json_int_t)cams[i].files, "bytes", (json_int_t)cams[i].bytes, "oldest",
                        time_json(cams[i].oldest_ns)));
  }
  const HwCameraHooks *hooks = req->http->opt.cameras;
  hw_reply_json(reply, 200,
                json_pack("{s:o, s:{s:I, s:I, s:o}, s:o, s:{s:I, s:I}, s:o}", "disk",
                          disk_json(hooks ? hooks->footage_dir : NULL), "footage", "files",
                          (json_int_t)files, "bytes", (json_int_t)bytes, "oldest",
                          time_json(oldest), "cameras", list, "held", "files",
                          (json_int_t)held_files, "bytes", (json_int_t)held_bytes, "retention",
                          retention_json(req)));
}

/* ---- GET /api/v1/warnings/summary ------------------------------------------------------------ */

typedef struct {
  json_t *rows; /* department → {yellow, red} */
  json_int_t yellow, red;
} LevelCounts;

static void level_count(const char *department, int level, int64_t count, void *user)
{
  LevelCounts *c = user;
  json_t *d = json_object_get(c->rows, department);
  if (d == NULL) {
    d = json_pack("{s:s, s:I, s:I}", "department", department, "yellow", (json_int_t)0, "red",
                  (json_int_t)0);
    json_object_set_new(c->rows, department, d);
  }
  json_object_set_new(d, level == 2 ? "red" : "yellow", json_integer(count));
  *(level == 2 ? &c->red : &c->yellow) += count;
}

/* Query: department (optional). {"departments": [{department, yellow, red}] in department order,
 * "total": {yellow, red}}: open warnings, scoped as GET /api/v1/warnings. */
void hw_route_warnings_summary(HwRequest *req, HwReply *reply)
{
  HwStoreWarningFilter f = {.state = "open", .limit = 1};
  f.department = hw_request_query(req, "department");
  if (f.department && (*f.department == '\0' || strlen(f.department) > 63 ||
                       !g_utf8_validate(f.department, -1, NULL))) {
    hw_reply_error(reply, 400, "invalid_field", "department",
                   "department 应为 1–63 字节的部门代码 / department must be a code of 1 to 63 "
                   "bytes");
    return;
  }
  LevelCounts c = {.rows = json_object()};
  g_autoptr(GError) error = NULL;
  if (!hw_store_warnings_count(hw_request_store(req), &f,
                               hw_request_scope_codes(req, HW_SCOPE_DEPARTMENT),
                               hw_request_scope_codes(req, HW_SCOPE_HALL), level_count, &c,
                               &error)) {
    json_decref(c.rows);
    store_failed(reply, error, "warnings");
    return;
  }
  /* The store calls in department order; an object keeps insertion order. */
  json_t *list = json_array();
  const char *key;
  json_t *v;
  json_object_foreach(c.rows, key, v) json_array_append(list, v);
  json_decref(c.rows);
  hw_reply_json(reply, 200,
                json_pack("{s:o, s:{s:I, s:I}}", "departments", list, "total", "yellow", c.yellow,
                          "red", c.red));
}

/* ---- GET /api/v1/cases/summary --------------------------------------------------------------- */

/* The hall's calendar ("today" and its 00:00 in the hall's zone), or NULL with the reply set. */
static HwCalendar *calendar(HwRequest *req, HwReply *reply)
{
  g_autoptr(GError) error = NULL;
  HwCalendar *cal = hw_request_calendar(req, &error);
  if (cal == NULL)
    hw_reply_error(reply, 500, "internal", NULL, "no working-day calendar: %s", error->message);
  return cal;
}

typedef struct {
  json_t *by; /* department → count */
  json_int_t total;
} DeptCounts;

static void dept_count(const char *department, int64_t count, void *user)
{
  DeptCounts *c = user;
  json_object_set_new(c->by, department, json_integer(count));
  c->total += count;
}

static const char *level_name(int level)
{
  return level == 2 ? "red" : level == 1 ? "yellow" : "none";
}

static json_t *brief_json(const HwStoreCaseBrief *b)
{
  return json_pack("{s:I, s:s, s:s, s:s, s:o, s:o, s:o, s:o, s:s}", "id", (json_int_t)b->id,
                   "case_number", b->case_number, "department", b->department, "item_name",
                   b->item_name, "hall", b->hall[0] ? json_string(b->hall) : json_null(), "window",
                   b->window[0] ? json_string(b->window) : json_null(), "accepted_at",
                   time_json(b->accepted_ns), "due_at", time_json(b->due_ns), "warning_level",
                   level_name(b->warning_level));
}

/* Query: date (YYYY-MM-DD in the hall's zone; default today). {"date", "in_progress": {total,
 * by_department}, "due": {total, by_department, cases: [first 20 by due instant]}}. "Due on the
 * date": the promised limit ends at 24:00 of it (cases.promised_due_ns, kept by the warnings
 * evaluation); in progress: accepted, not completed. */
void hw_route_cases_summary(HwRequest *req, HwReply *reply)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HwCalendar) cal = calendar(req, reply);
  if (cal == NULL)
    return;
  hw_date day = hw_calendar_date_of(cal, hw_time_now());
  const char *v = hw_request_query(req, "date");
  if (v != NULL && !hw_date_parse(v, &day)) {
    hw_reply_error(reply, 400, "invalid_field", "date",
                   "date 应为 YYYY-MM-DD / date must be a date as YYYY-MM-DD");
    return;
  }
  const char *const *depts = hw_request_scope_codes(req, HW_SCOPE_DEPARTMENT);
  const char *const *halls = hw_request_scope_codes(req, HW_SCOPE_HALL);
  HwStore *store = hw_request_store(req);
  DeptCounts running = {json_object(), 0}, due = {json_object(), 0};
  g_autofree HwStoreCaseBrief *rows = NULL;
  size_t n = 0;
  if (!hw_store_cases_in_progress(store, depts, halls, dept_count, &running, &error) ||
      !hw_store_cases_due(store, hw_calendar_day_start(cal, day),
                          hw_calendar_day_start(cal, day + 1), depts, halls, dept_count, &due,
                          DUE_LIST_MAX, &rows, &n, &error)) {
    json_decref(running.by);
    json_decref(due.by);
    store_failed(reply, error, "cases");
    return;
  }
  json_t *list = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(list, brief_json(&rows[i]));
  char date[16];
  hw_reply_json(reply, 200,
                json_pack("{s:s, s:{s:I, s:o}, s:{s:I, s:o, s:o}}", "date",
                          hw_date_format(day, date, sizeof date), "in_progress", "total",
                          running.total, "by_department", running.by, "due", "total", due.total,
                          "by_department", due.by, "cases", list));
}

/* ---- GET /api/v1/status/windows -------------------------------------------------------------- */

/* [{id, hall, code, name, current_case: {id, case_number, department, item_name, accepted_at} |
 * null}]: each window of the caller's halls with the latest case accepted there today (the
 * hall's zone) of the caller's departments. */
void hw_route_status_windows(HwRequest *req, HwReply *reply)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HwCalendar) cal = calendar(req, reply);
  if (cal == NULL)
    return;
  hw_time_ns today = hw_calendar_day_start(cal, hw_calendar_date_of(cal, hw_time_now()));
  g_autofree HwStoreWindowCase *w = NULL;
  size_t n = 0;
  if (!hw_store_window_current_cases(hw_request_store(req),
                                     hw_request_scope_codes(req, HW_SCOPE_HALL),
                                     hw_request_scope_codes(req, HW_SCOPE_DEPARTMENT), today, &w,
                                     &n, &error)) {
    store_failed(reply, error, "windows");
    return;
  }
  json_t *list = json_array();
  for (size_t i = 0; i < n; i++) {
    json_t *cur = json_null();
    if (w[i].has_case)
      cur = json_pack("{s:I, s:s, s:s, s:s, s:o}", "id", (json_int_t)w[i].c.id, "case_number",
                      w[i].c.case_number, "department", w[i].c.department, "item_name",
                      w[i].c.item_name, "accepted_at", time_json(w[i].c.accepted_ns));
    json_array_append_new(list, json_pack("{s:I, s:s, s:s, s:s, s:o}", "id",
                                          (json_int_t)w[i].window_id, "hall", w[i].hall, "code",
                                          w[i].code, "name", w[i].name, "current_case", cur));
  }
  hw_reply_json(reply, 200, list);
}
