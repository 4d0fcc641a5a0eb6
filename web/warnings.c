/* The warnings API (cases/hw_warnings.h, sql/hw_store_warnings.h): supervisors list and read
 * warnings, close them with a note, send correction notices (督办) and release footage holds;
 * departments' systems read their open notices and reply through the exchange API. Every query
 * takes the caller's department and hall scope (another's warning answers 404); closing,
 * notices, replies and hold releases are audit rows. */
#include <glib.h>
#include <jansson.h>
#include <string.h>

#include "sql/hw_store_warnings.h"
#include "web/handlers.h"

#define LIST_DEFAULT 50
#define LIST_MAX 500

static const char *const rules[] = {
    "promised_near", "promised_late",      "statutory_late",
    "stage_order",   "fee_above_standard", "rejection_without_reason",
    "stage_long",    "complaint",          NULL};

static json_t *ns_json(hw_time_ns t)
{
  if (t == 0)
    return json_null();
  char buf[64];
  return json_string(hw_time_format(t, buf, sizeof buf));
}

static const char *level_name(int level) { return level == 2 ? "red" : "yellow"; }

json_t *hw_web_warning_json(const HwStoreWarning *w)
{
  return json_pack("{s:I, s:I, s:s, s:s, s:s, s:s, s:s, s:s, s:o, s:o, s:s, s:o, s:s?, s:s?, s:o}",
                   "id", (json_int_t)w->id, "case_id", (json_int_t)w->case_id, "case_number",
                   w->case_number, "department", w->department, "hall", w->hall, "rule", w->rule,
                   "subject", w->subject, "level", level_name(w->level), "raised",
                   ns_json(w->raised_ns), "due", ns_json(w->due_ns), "state", w->state, "closed",
                   ns_json(w->closed_ns), "closed_by", w->closed_by[0] ? w->closed_by : NULL,
                   "close_note", w->close_note[0] ? w->close_note : NULL, "hold_released",
                   ns_json(w->hold_released_ns));
}

static json_t *history_json(const HwStoreHistory *h, size_t n)
{
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, json_pack("{s:o, s:s, s:s, s:s?}", "at", ns_json(h[i].at_ns), "action",
                                       h[i].action, "actor", h[i].actor, "text",
                                       h[i].text[0] ? h[i].text : NULL));
  return a;
}

static json_t *notice_json(const HwStoreNotice *n)
{
  return json_pack("{s:I, s:I, s:s, s:s, s:s, s:o, s:s, s:o, s:s?}", "id", (json_int_t)n->id,
                   "warning_id", (json_int_t)n->warning_id, "department", n->department, "state",
                   n->state, "text", n->text, "sent", ns_json(n->sent_ns), "sent_by", n->sent_by,
                   "updated", ns_json(n->updated_ns), "reply", n->reply[0] ? n->reply : NULL);
}

static void store_failed(HwReply *reply, const GError *e, const char *what)
{
  if (e->domain == HW_STORE_ERROR && e->code == HW_STORE_ERROR_NOT_FOUND)
    hw_reply_error(reply, 404, "not_found", NULL, "没有这条记录 / no such %s", what);
  else if (e->domain == HW_STORE_ERROR && e->code == HW_STORE_ERROR_EXISTS)
    hw_reply_error(reply, 409, "conflict", NULL, "%s", e->message);
  else
    hw_reply_error(reply, 500, "internal", NULL, "the store failed reading or writing a %s", what);
}

static bool id_param(HwRequest *req, HwReply *reply, int64_t *ret)
{
  gint64 id;
  if (!g_ascii_string_to_signed(hw_request_param(req, "id"), 10, 1, G_MAXINT64, &id, NULL)) {
    hw_reply_error(reply, 404, "not_found", NULL, "没有这条记录 / no such object");
    return false;
  }
  *ret = id;
  return true;
}

/* A required text field of the body: 1..HW_WARNING_NOTE_MAX characters, not only spaces. */
static const char *text_field(HwRequest *req, HwReply *reply, const char *name)
{
  json_t *v = json_object_get(hw_request_json(req), name);
  const char *s = json_string_value(v);
  bool blank = true;
  for (const char *c = s; c && *c; c++)
    blank &= g_ascii_isspace(*c) != 0;
  if (s == NULL || blank || g_utf8_strlen(s, -1) > HW_WARNING_NOTE_MAX ||
      !g_utf8_validate(s, -1, NULL)) {
    hw_reply_error(reply, 400, "invalid_field", name,
                   "%s 必填，最多 %d 字 / %s is required, at most %d characters", name,
                   HW_WARNING_NOTE_MAX, name, HW_WARNING_NOTE_MAX);
    return NULL;
  }
  return s;
}

static bool audit(HwRequest *req, HwReply *reply, const char *action, const char *type, int64_t id,
                  json_t *detail)
{
  const HwCaller *c = hw_request_caller(req);
  char *text = json_dumps(detail, JSON_COMPACT);
  json_decref(detail);
  char ids[24];
  g_snprintf(ids, sizeof ids, "%" G_GINT64_FORMAT, id);
  g_autoptr(GError) error = NULL;
  HwAudit *log = hw_request_audit(req);
  const char *role = c->kind == HW_CALLER_DEPARTMENT ? "department" : hw_role_name(c->role);
  bool ok = log == NULL || hw_audit_record(log, c->name, role, hw_request_client_address(req),
                                           action, type, ids, text, &error);
  free(text);
  if (!ok)
    hw_reply_error(reply, 500, "audit_failed", NULL,
                   "已保存，但审计日志未能记录 / saved, but the audit log could not record it");
  return ok;
}

#define SCOPES(req)                                                                                \
  hw_request_scope_codes(req, HW_SCOPE_DEPARTMENT), hw_request_scope_codes(req, HW_SCOPE_HALL)

static void count_into(const char *department, int level, int64_t count, void *user)
{
  json_t *by = user;
  json_t *d = json_object_get(by, department);
  if (d == NULL) {
    d = json_pack("{s:I, s:I}", "yellow", (json_int_t)0, "red", (json_int_t)0);
    json_object_set_new(by, department, d);
  }
  json_object_set_new(d, level_name(level), json_integer(count));
}

/* GET /api/v1/warnings?level=yellow|red&rule=&department=&case_id=&state=open|closed|all&before=&limit=
 * → {"warnings":[…], "next_before": id|null, "counts": {"<department>": {"yellow":n,"red":n}}}
 * newest first; state defaults to open; counts follow the filters except paging. */
void hw_route_warnings_list(HwRequest *req, HwReply *reply)
{
  HwStoreWarningFilter f = {.state = "open", .limit = LIST_DEFAULT};
  const char *v;
  if ((v = hw_request_query(req, "level")) != NULL) {
    f.level = strcmp(v, "yellow") == 0 ? 1 : strcmp(v, "red") == 0 ? 2 : -1;
    if (f.level < 0) {
      hw_reply_error(reply, 400, "invalid_field", "level",
                     "level 应为 yellow 或 red / level must be yellow or red");
      return;
    }
  }
  if ((v = hw_request_query(req, "rule")) != NULL) {
    if (!g_strv_contains(rules, v)) {
      hw_reply_error(reply, 400, "invalid_field", "rule", "未知规则 / unknown rule");
      return;
    }
    f.rule = v;
  }
  f.department = hw_request_query(req, "department");
  if ((v = hw_request_query(req, "state")) != NULL) {
    if (strcmp(v, "all") == 0)
      f.state = NULL;
    else if (strcmp(v, "open") == 0 || strcmp(v, "closed") == 0)
      f.state = v;
    else {
      hw_reply_error(reply, 400, "invalid_field", "state",
                     "state 应为 open、closed 或 all / state must be open, closed or all");
      return;
    }
  }
  gint64 n64;
  if ((v = hw_request_query(req, "before")) != NULL) {
    if (!g_ascii_string_to_signed(v, 10, 1, G_MAXINT64, &n64, NULL)) {
      hw_reply_error(reply, 400, "invalid_field", "before",
                     "before 应为正整数 / before must be a positive integer");
      return;
    }
    f.before_id = n64;
  }
  if ((v = hw_request_query(req, "case_id")) != NULL) {
    if (!g_ascii_string_to_signed(v, 10, 1, G_MAXINT64, &n64, NULL)) {
      hw_reply_error(reply, 400, "invalid_field", "case_id",
                     "case_id 应为正整数 / case_id must be a positive integer");
      return;
    }
    f.case_id = n64;
  }
  if ((v = hw_request_query(req, "limit")) != NULL) {
    if (!g_ascii_string_to_signed(v, 10, 1, LIST_MAX, &n64, NULL)) {
      hw_reply_error(reply, 400, "invalid_field", "limit",
                     "limit 应为 1–%d / limit must be 1 to %d", LIST_MAX, LIST_MAX);
      return;
    }
    f.limit = (int)n64;
  }
  g_autofree HwStoreWarning *rows = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  json_t *counts = json_object();
  if (!hw_store_warnings_list(hw_request_store(req), &f, SCOPES(req), &rows, &n, &error) ||
      !hw_store_warnings_count(hw_request_store(req), &f, SCOPES(req), count_into, counts,
                               &error)) {
    json_decref(counts);
    store_failed(reply, error, "warning");
    return;
  }
  json_t *list = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(list, hw_web_warning_json(&rows[i]));
  json_t *next = n == (size_t)f.limit ? json_integer(rows[n - 1].id) : json_null();
  hw_reply_json(
      reply, 200,
      json_pack("{s:o, s:o, s:o}", "warnings", list, "next_before", next, "counts", counts));
}

/* GET /api/v1/warnings/{id}: the warning with "history" and "notices" (each with its history). */
void hw_route_warning_get(HwRequest *req, HwReply *reply)
{
  int64_t id;
  if (!id_param(req, reply, &id))
    return;
  HwStore *store = hw_request_store(req);
  g_autofree HwStoreWarning *w = g_new0(HwStoreWarning, 1);
  g_autofree HwStoreHistory *hist = NULL;
  g_autofree HwStoreNotice *notices = NULL;
  size_t nh = 0, nn = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_store_warning_get(store, id, SCOPES(req), w, &error) ||
      !hw_store_warning_history(store, id, &hist, &nh, &error) ||
      !hw_store_warning_notices(store, id, &notices, &nn, &error)) {
    store_failed(reply, error, "warning");
    return;
  }
  json_t *o = hw_web_warning_json(w);
  json_object_set_new(o, "history", history_json(hist, nh));
  json_t *na = json_array();
  for (size_t i = 0; i < nn; i++) {
    g_autofree HwStoreHistory *nhist = NULL;
    size_t k = 0;
    if (!hw_store_notice_history(store, notices[i].id, &nhist, &k, &error)) {
      json_decref(o);
      json_decref(na);
      store_failed(reply, error, "notice");
      return;
    }
    json_t *no = notice_json(&notices[i]);
    json_object_set_new(no, "history", history_json(nhist, k));
    json_array_append_new(na, no);
  }
  json_object_set_new(o, "notices", na);
  hw_reply_json(reply, 200, o);
}

/* POST /api/v1/warnings/{id}/close {"note": "…"}: 200 with the warning; 409 if closed. */
void hw_route_warning_close(HwRequest *req, HwReply *reply)
{
  int64_t id;
  const char *note;
  if (!id_param(req, reply, &id) || (note = text_field(req, reply, "note")) == NULL)
    return;
  g_autoptr(GError) error = NULL;
  HwStore *store = hw_request_store(req);
  if (!hw_store_warning_close(store, id, SCOPES(req), hw_request_caller(req)->name, note,
                              hw_time_now(), &error)) {
    store_failed(reply, error, "warning");
    return;
  }
  if (!audit(req, reply, "warning.close", "warning", id, json_pack("{s:s}", "note", note)))
    return;
  g_autofree HwStoreWarning *w = g_new0(HwStoreWarning, 1);
  if (!hw_store_warning_get(store, id, SCOPES(req), w, &error)) {
    store_failed(reply, error, "warning");
    return;
  }
  hw_reply_json(reply, 200, hw_web_warning_json(w));
}

/* POST /api/v1/warnings/{id}/notices {"text": "…"}: 201 {"id": notice id}. */
void hw_route_warning_notice(HwRequest *req, HwReply *reply)
{
  int64_t id, nid = 0;
  const char *text;
  if (!id_param(req, reply, &id) || (text = text_field(req, reply, "text")) == NULL)
    return;
  g_autoptr(GError) error = NULL;
  if (!hw_store_notice_send(hw_request_store(req), id, SCOPES(req), hw_request_caller(req)->name,
                            text, hw_time_now(), &nid, &error)) {
    store_failed(reply, error, "warning");
    return;
  }
  if (!audit(req, reply, "notice.send", "warning", id,
             json_pack("{s:I, s:s}", "notice", (json_int_t)nid, "text", text)))
    return;
  hw_reply_json(reply, 201,
                json_pack("{s:I, s:I}", "id", (json_int_t)nid, "warning_id", (json_int_t)id));
}

/* POST /api/v1/warnings/{id}/release-hold {"note": "…"}: 200 {"released": holds}. */
void hw_route_warning_release_hold(HwRequest *req, HwReply *reply)
{
  int64_t id;
  const char *note;
  if (!id_param(req, reply, &id) || (note = text_field(req, reply, "note")) == NULL)
    return;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_store_warning_release_hold(hw_request_store(req), id, SCOPES(req),
                                     hw_request_caller(req)->name, hw_time_now(), &n, &error)) {
    store_failed(reply, error, "warning");
    return;
  }
  if (!audit(req, reply, "warning.release_hold", "warning", id,
             json_pack("{s:I, s:s}", "holds", (json_int_t)n, "note", note)))
    return;
  hw_reply_json(reply, 200, json_pack("{s:I}", "released", (json_int_t)n));
}

/* GET /api/v1/exchange/notices (department token): {"notices": […]} its open notices, oldest
 * first; reading marks them read. */
void hw_route_exchange_notices(HwRequest *req, HwReply *reply)
{
  const HwCaller *c = hw_request_caller(req);
  g_autofree HwStoreNotice *rows = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_store_notices_for_department(hw_request_store(req), c->department, c->name, hw_time_now(),
                                       LIST_MAX, &rows, &n, &error)) {
    store_failed(reply, error, "notice");
    return;
  }
  json_t *a = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(a, notice_json(&rows[i]));
  hw_reply_json(reply, 200, json_pack("{s:o}", "notices", a));
}

/* POST /api/v1/exchange/notices/{id}/reply {"text": "…"}: 200; another department's notice 404. */
void hw_route_exchange_notice_reply(HwRequest *req, HwReply *reply)
{
  int64_t id;
  const char *text;
  if (!id_param(req, reply, &id) || (text = text_field(req, reply, "text")) == NULL)
    return;
  const HwCaller *c = hw_request_caller(req);
  g_autoptr(GError) error = NULL;
  if (!hw_store_notice_reply(hw_request_store(req), c->department, id, c->name, text, hw_time_now(),
                             &error)) {
    store_failed(reply, error, "notice");
    return;
  }
  if (!audit(req, reply, "notice.reply", "notice", id, json_pack("{s:s}", "text", text)))
    return;
  hw_reply_json(reply, 200, json_pack("{s:I, s:s}", "id", (json_int_t)id, "state", "replied"));
}
