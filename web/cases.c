/* The supervisors' case API (web/routes.c: supervisors and investigators): GET /api/v1/cases (a
 * filtered, keyset-paged list), GET /api/v1/cases/{id} (facts, stages in order, due dates of the
 * promised and statutory limits, suspension state) and GET /api/v1/staff/{operator_id}/events
 * (one person's stage events across cases). Every read is scoped in SQL by the caller's halls and
 * departments (another's case answers 404). The applicant's name and ID number are personal
 * data: masked for supervisors, who watch the work and do not need them; shown to investigators,
 * who build evidence about a particular applicant's case (docs/cases-api.md). */
#include <glib.h>
#include <jansson.h>
#include <string.h>

#include "cases/hw_calendar.h"
#include "cases/hw_deadline.h"
#include "cases/hw_warnings.h"
#include "sql/hw_store_case_queries.h"
#include "web/handlers.h"
#include "web/internal.h" /* hw_web_warning_json */

#define LIMIT_DEFAULT 50

/* ---- personal data ---------------------------------------------------------------------------- */

static bool sees_personal_data(const HwRequest *req)
{
  return hw_request_caller(req)->role == HW_ROLE_INVESTIGATOR;
}

/* "张三丰" → "张**": the first character, then one * per character. */
static char *mask_name(const char *name)
{
  GString *s = g_string_new(NULL);
  if (!g_utf8_validate(name, -1, NULL))
    return g_string_free(s, FALSE);
  for (const char *p = name; *p; p = g_utf8_next_char(p)) {
    if (p == name)
      g_string_append_len(s, p, g_utf8_next_char(p) - p);
    else
      g_string_append_c(s, '*');
  }
  return g_string_free(s, FALSE);
}

/* "440102199001011234" → "4401**********1234": the first and last four kept from 9 characters
 * on, everything masked below that. */
static char *mask_id(const char *id)
{
  glong n = g_utf8_validate(id, -1, NULL) ? g_utf8_strlen(id, -1) : 0;
  GString *s = g_string_new(NULL);
  glong i = 0;
  for (const char *p = id; n > 0 && *p; p = g_utf8_next_char(p), i++) {
    if (n >= 9 && (i < 4 || i >= n - 4))
      g_string_append_len(s, p, g_utf8_next_char(p) - p);
    else
      g_string_append_c(s, '*');
  }
  return g_string_free(s, FALSE);
}

static json_t *applicant_json(const HwRequest *req, const HwStoreCase *c)
{
  /* A company's name and credit code are public registry data; a person's are not. */
  bool mask = !sees_personal_data(req) && strcmp(c->applicant_type, "company") != 0;
  g_autofree char *name = mask ? mask_name(c->applicant_name) : g_strdup(c->applicant_name);
  g_autofree char *id = mask ? mask_id(c->applicant_id_number) : g_strdup(c->applicant_id_number);
  return json_pack("{s:s, s:s, s:s, s:s, s:b}", "type", c->applicant_type, "name", name, "id_type",
                   c->applicant_id_type, "id_number", id, "masked", mask);
}

/* ---- JSON ------------------------------------------------------------------------------------- */

static json_t *time_json(hw_time_ns t)
{
  char buf[48];
  return t ? json_string(hw_time_format(t, buf, sizeof buf)) : json_null();
}

static json_t *text_or_null(const char *s) { return s && *s ? json_string(s) : json_null(); }

static const char *level_name(int level)
{
  return level == 2 ? "red" : level == 1 ? "yellow" : "none";
}

static json_t *case_summary(const HwRequest *req, const HwStoreCase *c)
{
  json_t *o = json_object();
  json_object_set_new(o, "id", json_integer(c->id));
  json_object_set_new(o, "department", json_string(c->department));
  json_object_set_new(o, "case_number", json_string(c->case_number));
  json_object_set_new(o, "item_code", json_string(c->item_code));
  json_object_set_new(o, "item_name", json_string(c->item_name));
  json_object_set_new(o, "applicant", applicant_json(req, c));
  json_object_set_new(o, "hall", text_or_null(c->hall));
  json_object_set_new(o, "window", text_or_null(c->window));
  json_object_set_new(o, "accepted_at", time_json(c->accepted_ns));
  json_object_set_new(o, "promised_due_at", time_json(c->promised_due_ns));
  json_object_set_new(o, "state", json_string(c->state));
  json_object_set_new(o, "state_at", time_json(c->state_ns));
  json_object_set_new(o, "completed_at", time_json(c->completed_ns));
  json_object_set_new(o, "result", text_or_null(c->result));
  json_object_set_new(o, "warning_level", json_string(level_name(c->warning_level)));
  return o;
}

static json_t *stage_json(const HwStoreStageEvent *e)
{
  json_t *o = json_object();
  json_object_set_new(o, "id", json_integer(e->id));
  json_object_set_new(o, "stage", json_string(e->stage));
  json_object_set_new(o, "time", time_json(e->time_ns));
  json_object_set_new(o, "reported_time", time_json(e->reported_ns));
  json_object_set_new(o, "received_at", time_json(e->received_ns));
  json_object_set_new(o, "operator_id", text_or_null(e->operator_id));
  json_object_set_new(o, "operator_name", text_or_null(e->operator_name));
  json_object_set_new(o, "hall", text_or_null(e->hall));
  json_object_set_new(o, "window", text_or_null(e->window));
  json_object_set_new(o, "queue_ticket", text_or_null(e->queue_ticket));
  json_object_set_new(o, "outcome", text_or_null(e->outcome));
  json_object_set_new(o, "opinion", text_or_null(e->opinion));
  json_object_set_new(o, "source_event_id", json_string(e->source_event_id));
  return o;
}

/* ---- query arguments ---------------------------------------------------------------------------- */

/* A text argument of at most max bytes, valid UTF-8; FALSE (reply set) if bad. */
static bool text_arg(HwRequest *req, HwReply *reply, const char *name, size_t max, const char **ret)
{
  const char *v = hw_request_query(req, name);
  *ret = NULL;
  if (v == NULL)
    return true;
  if (*v == '\0' || strlen(v) > max || !g_utf8_validate(v, -1, NULL)) {
    hw_reply_error(reply, 400, "invalid_field", name,
                   "%s 应为 1–%zu 字节的文本 / %s must be text of 1 to %zu bytes", name, max, name,
                   max);
    return false;
  }
  *ret = v;
  return true;
}

static bool time_arg(HwRequest *req, HwReply *reply, const char *name, bool *ret_has,
                     hw_time_ns *ret)
{
  const char *v = hw_request_query(req, name);
  *ret_has = false;
  if (v == NULL)
    return true;
  if (hw_time_parse(v, ret) != 0) {
    hw_reply_error(reply, 400, "invalid_field", name,
                   "%s 应为带时区的 RFC 3339 时间 / %s must be an RFC 3339 time with offset, e.g. "
                   "2026-03-02T00:00:00+08:00",
                   name, name);
    return false;
  }
  *ret_has = true;
  return true;
}

/* order, limit and cursor ("<ns>_<id>", as the previous page's next_cursor). */
static bool paging_args(HwRequest *req, HwReply *reply, bool *ret_asc, size_t *ret_limit,
                        bool *ret_has_cursor, hw_time_ns *ret_ns, int64_t *ret_id)
{
  const char *order = hw_request_query(req, "order");
  if (order && strcmp(order, "asc") != 0 && strcmp(order, "desc") != 0) {
    hw_reply_error(reply, 400, "invalid_field", "order",
                   "order 应为 asc 或 desc / order must be asc or desc");
    return false;
  }
  *ret_asc = order && strcmp(order, "asc") == 0;
  const char *l = hw_request_query(req, "limit");
  gint64 limit = LIMIT_DEFAULT;
  if (l && !g_ascii_string_to_signed(l, 10, 1, HW_CASE_QUERY_LIMIT_MAX, &limit, NULL)) {
    hw_reply_error(reply, 400, "invalid_field", "limit",
                   "limit 应为 1–%d / limit must be an integer from 1 to %d",
                   HW_CASE_QUERY_LIMIT_MAX, HW_CASE_QUERY_LIMIT_MAX);
    return false;
  }
  *ret_limit = (size_t)limit;
  const char *c = hw_request_query(req, "cursor");
  *ret_has_cursor = c != NULL;
  if (c) {
    g_auto(GStrv) parts = g_strsplit(c, "_", 3);
    gint64 ns, id;
    if (g_strv_length(parts) != 2 ||
        !g_ascii_string_to_signed(parts[0], 10, G_MININT64, G_MAXINT64, &ns, NULL) ||
        !g_ascii_string_to_signed(parts[1], 10, 0, G_MAXINT64, &id, NULL)) {
      hw_reply_error(reply, 400, "invalid_field", "cursor",
                     "cursor 应原样使用上一页的 next_cursor / cursor must be a next_cursor "
                     "value as returned");
      return false;
    }
    *ret_ns = ns;
    *ret_id = id;
  }
  return true;
}

static json_t *cursor_json(bool more, hw_time_ns ns, int64_t id)
{
  if (!more)
    return json_null();
  g_autofree char *c = g_strdup_printf("%" G_GINT64_FORMAT "_%" G_GINT64_FORMAT, ns, id);
  return json_string(c);
}

static void store_failed(HwReply *reply, const GError *e)
{
  if (e->domain == HW_STORE_ERROR && e->code == HW_STORE_ERROR_NOT_FOUND)
    hw_reply_error(reply, 404, "not_found", NULL, "没有这个办件 / no such case");
  else
    hw_reply_error(reply, 500, "internal", NULL, "the store failed while reading cases");
}

/* ---- GET /api/v1/cases ---------------------------------------------------------------------- */

static const char *const states[] = {"registered",
                                     "ticket_called",
                                     "submitted",
                                     "pre_accepted",
                                     "accepted",
                                     "undertaken",
                                     "reviewed",
                                     "approved",
                                     "returned",
                                     "supplement_requested",
                                     "supplement_received",
                                     "special_procedure_started",
                                     "special_procedure_ended",
                                     "completed",
                                     "certificate_collected",
                                     NULL};

/* Query: number, department, item, hall, window, operator, state, warning (yellow|red),
 * accepted_from, accepted_to (RFC 3339; [from, to)), sort (accepted, the default, or due: running
 * cases by their promised due instant), order (desc|asc; default desc for accepted, asc for due),
 * limit (1..200, default 50), cursor. Answer: {"cases":[summary…], "next_cursor": "…"|null}. */
void hw_route_cases_list(HwRequest *req, HwReply *reply)
{
  HwCaseQuery q = {0};
  const char *warning = NULL, *sort = NULL;
  if (!text_arg(req, reply, "number", 64, &q.case_number) ||
      !text_arg(req, reply, "department", 63, &q.department) ||
      !text_arg(req, reply, "item", 64, &q.item_code) ||
      !text_arg(req, reply, "hall", 63, &q.hall) ||
      !text_arg(req, reply, "window", 63, &q.window) ||
      !text_arg(req, reply, "operator", 64, &q.operator_id) ||
      !text_arg(req, reply, "state", 32, &q.state) ||
      !text_arg(req, reply, "warning", 16, &warning) || !text_arg(req, reply, "sort", 16, &sort) ||
      !time_arg(req, reply, "accepted_from", &q.has_from, &q.from_ns) ||
      !time_arg(req, reply, "accepted_to", &q.has_to, &q.to_ns) ||
      !paging_args(req, reply, &q.ascending, &q.limit, &q.has_cursor, &q.cursor_ns, &q.cursor_id))
    return;
  if (q.state && !g_strv_contains(states, q.state)) {
    hw_reply_error(reply, 400, "invalid_field", "state",
                   "未知的办件状态 / unknown state (registered or a stage name of the exchange "
                   "format)");
    return;
  }
  if (warning) {
    q.warning_level = strcmp(warning, "yellow") == 0 ? 1 : strcmp(warning, "red") == 0 ? 2 : -1;
    if (q.warning_level < 0) {
      hw_reply_error(reply, 400, "invalid_field", "warning",
                     "warning 应为 yellow 或 red / warning must be yellow or red");
      return;
    }
  }
  if (q.window && !q.hall) {
    hw_reply_error(reply, 400, "invalid_field", "hall",
                   "按窗口查询须同时给出大厅 / a window filter needs its hall");
    return;
  }
  if (sort && strcmp(sort, "accepted") != 0 && strcmp(sort, "due") != 0) {
    hw_reply_error(reply, 400, "invalid_field", "sort",
                   "sort 应为 accepted 或 due / sort must be accepted or due");
    return;
  }
  if (sort && strcmp(sort, "due") == 0) {
    q.sort = HW_CASE_SORT_DUE;
    if (hw_request_query(req, "order") == NULL)
      q.ascending = true; /* by due date the default is the most urgent first */
  }
  q.scope_departments = hw_request_scope_codes(req, HW_SCOPE_DEPARTMENT);
  q.scope_halls = hw_request_scope_codes(req, HW_SCOPE_HALL);
  g_autofree HwStoreCase *rows = NULL;
  size_t n = 0;
  bool more = false;
  g_autoptr(GError) error = NULL;
  if (!hw_store_cases_query(hw_request_store(req), &q, &rows, &n, &more, &error)) {
    store_failed(reply, error);
    return;
  }
  json_t *list = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(list, case_summary(req, &rows[i]));
  hw_time_ns last = n ? hw_store_case_sort_key(&rows[n - 1], q.sort) : 0;
  hw_reply_json(reply, 200,
                json_pack("{s:o, s:o}", "cases", list, "next_cursor",
                          cursor_json(more, last, n ? rows[n - 1].id : 0)));
}

/* ---- GET /api/v1/cases/{id} ------------------------------------------------------------------- */

static HwLimitUnit unit_of(const char *unit)
{
  return strcmp(unit, "calendar_days") == 0 ? HW_LIMIT_CALENDAR_DAYS : HW_LIMIT_WORKING_DAYS;
}

static json_t *limit_json(const HwCalendar *cal, const HwStoreCase *c, int32_t days,
                          const char *unit, const HwSuspension *sus, size_t n_sus, hw_time_ns at)
{
  json_t *o = json_pack("{s:i, s:s}", "days", (int)days, "unit", unit);
  if (c->accepted_ns == 0 || cal == NULL)
    return o;
  HwDeadlineInput in = {.accepted_ns = c->accepted_ns,
                        .limit_days = days,
                        .unit = unit_of(unit),
                        .suspensions = sus,
                        .n_suspensions = n_sus};
  HwDeadline d;
  if (hw_deadline_compute(cal, &in, at, &d) != 0)
    return o;
  char date[16];
  json_object_set_new(o, "due_date",
                      d.open ? json_null()
                             : json_string(hw_date_format(d.due_date, date, sizeof date)));
  json_object_set_new(o, "due_at", d.open ? json_null() : time_json(d.due_ns));
  json_object_set_new(o, "used_days", json_real(d.used_days));
  json_object_set_new(o, "remaining_days", json_real(d.remaining_days));
  json_object_set_new(o, "late", json_boolean(d.late));
  json_object_set_new(o, "beyond_calendar", json_boolean(d.beyond_calendar));
  return o;
}

/* {…summary, department_serial, version, division_code, queue_ticket, acceptance, fee_charged_fen,
 * fee_standard_fen, secrecy, received_at, updated_at, limits:{promised, statutory: {days, unit,
 * due_date, due_at, used_days, remaining_days, late, beyond_calendar}}, evaluated_at, suspended,
 * suspensions:[{kind, start, end}], stages:[…], warnings:[as GET /api/v1/warnings/{id}, without
 * history]} */
void hw_route_case_get(HwRequest *req, HwReply *reply)
{
  const char *p = hw_request_param(req, "id");
  gint64 id;
  if (p == NULL || !g_ascii_string_to_signed(p, 10, 1, G_MAXINT64, &id, NULL)) {
    hw_reply_error(reply, 404, "not_found", NULL, "没有这个办件 / no such case");
    return;
  }
  HwStore *store = hw_request_store(req);
  HwStoreCase c;
  g_autoptr(GError) error = NULL;
  if (!hw_store_case_get_by_id(store, id, hw_request_scope_codes(req, HW_SCOPE_DEPARTMENT),
                               hw_request_scope_codes(req, HW_SCOPE_HALL), &c, &error)) {
    store_failed(reply, error);
    return;
  }
  HwStoreStageEvent *ev = NULL;
  size_t n = 0;
  if (!hw_store_case_stages(store, c.id, &ev, &n, &error)) {
    store_failed(reply, error);
    return;
  }
  HwSuspension sus[HW_DEADLINE_SUSPENSIONS_MAX];
  bool supplement[HW_DEADLINE_SUSPENSIONS_MAX];
  size_t n_sus = hw_warnings_suspensions(ev, n, sus, supplement);
  /* A completed case is judged at its completion; an open one now. */
  hw_time_ns at = c.completed_ns ? c.completed_ns : hw_time_now();
  g_autoptr(GError) cal_error = NULL;
  HwCalendar *cal = hw_request_calendar(req, &cal_error);
  if (cal == NULL)
    g_warning("cases: no calendar for due dates: %s", cal_error->message);

  json_t *o = case_summary(req, &c);
  json_object_set_new(o, "department_serial", text_or_null(c.department_serial));
  json_object_set_new(o, "version", json_integer(c.version));
  json_object_set_new(o, "division_code", text_or_null(c.division_code));
  json_object_set_new(o, "queue_ticket", text_or_null(c.queue_ticket));
  json_object_set_new(o, "acceptance", text_or_null(c.acceptance));
  json_object_set_new(o, "fee_charged_fen",
                      c.fee_charged_fen >= 0 ? json_integer(c.fee_charged_fen) : json_null());
  json_object_set_new(o, "fee_standard_fen",
                      c.fee_standard_fen >= 0 ? json_integer(c.fee_standard_fen) : json_null());
  json_object_set_new(o, "secrecy", json_string(c.secrecy));
  json_object_set_new(o, "received_at", time_json(c.received_ns));
  json_object_set_new(o, "updated_at", time_json(c.updated_ns));
  json_object_set_new(o, "evaluated_at", time_json(at));
  json_object_set_new(
      o, "limits",
      json_pack("{s:o, s:o}", "promised",
                limit_json(cal, &c, c.promised_limit, c.promised_unit, sus, n_sus, at), "statutory",
                limit_json(cal, &c, c.statutory_limit, c.statutory_unit, sus, n_sus, at)));
  bool suspended = false;
  json_t *sl = json_array();
  for (size_t i = 0; i < n_sus; i++) {
    suspended |= sus[i].start_ns <= at && at < sus[i].end_ns;
    json_array_append_new(
        sl, json_pack("{s:s, s:o, s:o}", "kind", supplement[i] ? "supplement" : "special_procedure",
                      "start", time_json(sus[i].start_ns), "end",
                      sus[i].end_ns == HW_TIME_OPEN ? json_null() : time_json(sus[i].end_ns)));
  }
  json_object_set_new(o, "suspended", json_boolean(suspended));
  json_object_set_new(o, "suspensions", sl);
  json_t *stages = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(stages, stage_json(&ev[i]));
  json_object_set_new(o, "stages", stages);
  /* Its warnings, open and closed, newest first (the case is already in scope). */
  HwStoreWarningFilter wf = {.case_id = c.id, .limit = 500};
  HwStoreWarning *w = NULL;
  size_t nw = 0;
  g_autoptr(GError) werr = NULL;
  json_t *wl = json_array();
  if (hw_store_warnings_list(store, &wf, NULL, NULL, &w, &nw, &werr)) {
    for (size_t i = 0; i < nw; i++)
      json_array_append_new(wl, hw_web_warning_json(&w[i]));
    g_free(w);
  } else {
    g_warning("cases: reading the warnings of case %" G_GINT64_FORMAT ": %s", c.id, werr->message);
  }
  json_object_set_new(o, "warnings", wl);
  hw_store_stage_events_free(ev, n);
  if (cal)
    hw_calendar_unref(cal);
  hw_reply_json(reply, 200, o);
}

/* ---- GET /api/v1/staff/{operator_id}/events --------------------------------------------------- */

/* Query: department, from, to (RFC 3339, event time in [from, to)), order, limit, cursor.
 * Answer: {"operator_id":…, "events":[{…stage, "case_id", "department", "case_number"}],
 * "next_cursor":…}. */
void hw_route_staff_events(HwRequest *req, HwReply *reply)
{
  HwStaffQuery q = {0};
  q.operator_id = hw_request_param(req, "operator_id");
  if (q.operator_id == NULL || strlen(q.operator_id) > 64 ||
      !g_utf8_validate(q.operator_id, -1, NULL)) {
    hw_reply_error(reply, 400, "invalid_field", "operator_id",
                   "工作人员编号应为 1–64 字节 / operator_id must be 1 to 64 bytes");
    return;
  }
  if (!text_arg(req, reply, "department", 63, &q.department) ||
      !time_arg(req, reply, "from", &q.has_from, &q.from_ns) ||
      !time_arg(req, reply, "to", &q.has_to, &q.to_ns) ||
      !paging_args(req, reply, &q.ascending, &q.limit, &q.has_cursor, &q.cursor_ns, &q.cursor_id))
    return;
  q.scope_departments = hw_request_scope_codes(req, HW_SCOPE_DEPARTMENT);
  q.scope_halls = hw_request_scope_codes(req, HW_SCOPE_HALL);
  HwStoreStaffEvent *rows = NULL;
  size_t n = 0;
  bool more = false;
  g_autoptr(GError) error = NULL;
  if (!hw_store_staff_events(hw_request_store(req), &q, &rows, &n, &more, &error)) {
    store_failed(reply, error);
    return;
  }
  json_t *list = json_array();
  for (size_t i = 0; i < n; i++) {
    json_t *e = stage_json(&rows[i].event);
    json_object_set_new(e, "case_id", json_integer(rows[i].event.case_id));
    json_object_set_new(e, "department", json_string(rows[i].department));
    json_object_set_new(e, "case_number", json_string(rows[i].case_number));
    json_array_append_new(list, e);
  }
  json_t *cursor =
      cursor_json(more, n ? rows[n - 1].event.time_ns : 0, n ? rows[n - 1].event.id : 0);
  hw_store_staff_events_free(rows, n);
  hw_reply_json(reply, 200,
                json_pack("{s:s, s:o, s:o}", "operator_id", q.operator_id, "events", list,
                          "next_cursor", cursor));
}
