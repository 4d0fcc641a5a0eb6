/* The working-day calendar over the API (web/routes.c: admins change it, supervisors read it):
 * list a year's holidays and make-up working days, set or remove one date, import a calendar file
 * (cases/hw_calendar.h's format, carried as a JSON string) all or nothing. Every change is one
 * audit row. The calendar is the appliance's, not a hall's: no scope applies. */
#include <glib.h>
#include <jansson.h>
#include <string.h>

#include "cases/hw_calendar.h"
#include "cases/hw_calendar_store.h"
#include "web/handlers.h"
#include "web/internal.h"

#define IMPORT_DAYS_MAX 5000

static json_t *day_json(const HwStoreCalendarDay *d)
{
  hw_date date = 0;
  char t[40];
  json_t *o = json_pack("{s:s, s:s, s:s}", "date", d->day, "kind", d->kind, "name", d->name);
  if (hw_date_parse(d->day, &date))
    json_object_set_new(o, "weekday", json_integer(hw_date_weekday(date)));
  json_object_set_new(o, "updated", json_string(hw_time_format(d->updated_ns, t, sizeof t)));
  return o;
}

/* One audit row for a calendar change by the caller; FALSE (reply set) if it was not written. */
static bool audit(HwRequest *req, HwReply *reply, const char *action, const char *date,
                  json_t *detail)
{
  const HwCaller *c = hw_request_caller(req);
  char *text = json_dumps(detail, JSON_COMPACT);
  json_decref(detail);
  g_autoptr(GError) error = NULL;
  HwAudit *log = hw_request_audit(req);
  bool ok = log != NULL &&
            hw_audit_record(log, c->name, hw_role_name(c->role), hw_request_client_address(req),
                            action, "calendar_day", date, text, &error);
  free(text);
  if (!ok)
    hw_reply_error(reply, 500, "audit_failed", NULL,
                   "the change was saved but the audit log could not record it / "
                   "已保存，但审计日志未能记录");
  return ok;
}

static bool date_param(HwRequest *req, HwReply *reply, const char **ret)
{
  const char *s = hw_request_param(req, "date");
  hw_date d;
  if (s == NULL || !hw_date_parse(s, &d)) {
    hw_reply_error(reply, 400, "invalid_field", "date",
                   "日期格式应为 YYYY-MM-DD（%d–%d 年）/ the date must be YYYY-MM-DD, a real date "
                   "from %d to %d",
                   HW_CALENDAR_YEAR_MIN, HW_CALENDAR_YEAR_MAX, HW_CALENDAR_YEAR_MIN,
                   HW_CALENDAR_YEAR_MAX);
    return false;
  }
  *ret = s;
  return true;
}

static void store_failed(HwReply *reply, const GError *e, const char *what)
{
  if (e->domain == HW_STORE_ERROR && e->code == HW_STORE_ERROR_NOT_FOUND)
    hw_reply_error(reply, 404, "not_found", NULL,
                   "该日期不在日历中 / the calendar has no entry for this date");
  else
    hw_reply_error(reply, 500, "internal", NULL, "the store failed while %s", what);
}

/* GET /api/v1/calendar[?year=YYYY]: {"year": N|null, "days": [{date, kind, name, weekday,
 * updated}]} by date. */
void hw_route_calendar_list(HwRequest *req, HwReply *reply)
{
  const char *y = hw_request_query(req, "year");
  gint64 year = 0;
  if (y != NULL &&
      !g_ascii_string_to_signed(y, 10, HW_CALENDAR_YEAR_MIN, HW_CALENDAR_YEAR_MAX, &year, NULL)) {
    hw_reply_error(reply, 400, "invalid_field", "year",
                   "year 应为 %d–%d 的整数 / year must be an integer from %d to %d",
                   HW_CALENDAR_YEAR_MIN, HW_CALENDAR_YEAR_MAX, HW_CALENDAR_YEAR_MIN,
                   HW_CALENDAR_YEAR_MAX);
    return;
  }
  g_autofree HwStoreCalendarDay *rows = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_store_calendar_list(hw_request_store(req), (int)year, &rows, &n, &error)) {
    store_failed(reply, error, "reading the calendar");
    return;
  }
  json_t *days = json_array();
  for (size_t i = 0; i < n; i++)
    json_array_append_new(days, day_json(&rows[i]));
  hw_reply_json(
      reply, 200,
      json_pack("{s:o, s:o}", "year", year ? json_integer(year) : json_null(), "days", days));
}

/* PUT /api/v1/calendar/{date} {"kind": "holiday"|"workday", "name": "…"}: 201 when the date had
 * no entry, 200 when it replaced one; the entry as body. */
void hw_route_calendar_put(HwRequest *req, HwReply *reply)
{
  if (!hw_web_unrestricted(req, reply, "更改工作日历", "change the working-day calendar"))
    return;
  const char *date;
  if (!date_param(req, reply, &date))
    return;
  json_t *body = hw_request_json(req);
  if (!json_is_object(body)) {
    hw_reply_error(reply, 400, "invalid_field", NULL,
                   "请求体应为 JSON 对象 / the body must be a JSON object {\"kind\", \"name\"}");
    return;
  }
  HwStoreCalendarDay day = {0};
  g_strlcpy(day.day, date, sizeof day.day);
  const char *key;
  json_t *v;
  json_object_foreach(body, key, v)
  {
    if (strcmp(key, "kind") == 0) {
      if (!json_is_string(v) || hw_day_kind_from_name(json_string_value(v)) == 0) {
        hw_reply_error(reply, 400, "invalid_field", "kind",
                       "kind 应为 holiday（放假）或 workday（调休上班）/ kind must be \"holiday\" "
                       "or \"workday\"");
        return;
      }
      g_strlcpy(day.kind, json_string_value(v), sizeof day.kind);
    } else if (strcmp(key, "name") == 0) {
      const char *s = json_string_value(v);
      bool control = false;
      for (const char *c = s; c && *c; c++)
        control |= (unsigned char)*c < 0x20 || *c == 0x7f;
      if (s == NULL || strlen(s) > HW_CALENDAR_NAME_MAX || control) {
        hw_reply_error(reply, 400, "invalid_field", "name",
                       "name 应为不超过 %d 字节、无控制字符的文本 / name must be a text of at most "
                       "%d bytes without control characters",
                       HW_CALENDAR_NAME_MAX, HW_CALENDAR_NAME_MAX);
        return;
      }
      g_strlcpy(day.name, s, sizeof day.name);
    } else {
      hw_reply_error(reply, 400, "invalid_field", key, "未知字段 / unknown field %s", key);
      return;
    }
  }
  if (day.kind[0] == '\0') {
    hw_reply_error(reply, 400, "invalid_field", "kind",
                   "缺少 kind / kind is required (\"holiday\" or \"workday\")");
    return;
  }
  HwStoreCalendarDay before = {0};
  bool existed = false;
  g_autoptr(GError) error = NULL;
  hw_time_ns now = hw_time_now();
  if (!hw_store_calendar_put(hw_request_store(req), &day, now, &before, &existed, &error)) {
    store_failed(reply, error, "setting the calendar day");
    return;
  }
  day.updated_ns = now;
  json_t *detail = json_pack("{s:s, s:s}", "kind", day.kind, "name", day.name);
  json_object_set_new(detail, "before",
                      existed ? json_pack("{s:s, s:s}", "kind", before.kind, "name", before.name)
                              : json_null());
  if (!audit(req, reply, "calendar.set", date, detail))
    return;
  hw_reply_json(reply, existed ? 200 : 201, day_json(&day));
}

/* DELETE /api/v1/calendar/{date}: the date becomes a plain weekday or weekend day again. */
void hw_route_calendar_delete(HwRequest *req, HwReply *reply)
{
  if (!hw_web_unrestricted(req, reply, "更改工作日历", "change the working-day calendar"))
    return;
  const char *date;
  if (!date_param(req, reply, &date))
    return;
  HwStoreCalendarDay before;
  g_autoptr(GError) error = NULL;
  if (!hw_store_calendar_delete(hw_request_store(req), date, &before, &error)) {
    store_failed(reply, error, "removing the calendar day");
    return;
  }
  if (!audit(req, reply, "calendar.delete", date,
             json_pack("{s:{s:s, s:s}}", "before", "kind", before.kind, "name", before.name)))
    return;
  hw_reply_json(reply, 200, json_pack("{s:s, s:b}", "date", date, "deleted", 1));
}

/* POST /api/v1/calendar/import {"text": "<calendar file>", "replace_years": false}: all or
 * nothing. A bad line: 400 naming it (field "/text"). replace_years: every entry of the years the
 * file names is removed first. 200 {"imported": n, "years": [..]}. */
void hw_route_calendar_import(HwRequest *req, HwReply *reply)
{
  if (!hw_web_unrestricted(req, reply, "更改工作日历", "change the working-day calendar"))
    return;
  json_t *body = hw_request_json(req);
  json_t *text = json_object_get(body, "text");
  json_t *replace = json_object_get(body, "replace_years");
  if (!json_is_object(body) || !json_is_string(text)) {
    hw_reply_error(reply, 400, "invalid_field", "/text",
                   "请求体应为 {\"text\": 日历文件内容} / the body must be {\"text\": \"<calendar "
                   "file>\", \"replace_years\": false}");
    return;
  }
  if (replace != NULL && !json_is_boolean(replace)) {
    hw_reply_error(reply, 400, "invalid_field", "/replace_years",
                   "replace_years 应为 true 或 false / replace_years must be true or false");
    return;
  }
  const char *key;
  json_t *v;
  json_object_foreach(body, key, v)
  {
    if (strcmp(key, "text") != 0 && strcmp(key, "replace_years") != 0) {
      hw_reply_error(reply, 400, "invalid_field", key, "未知字段 / unknown field %s", key);
      return;
    }
  }
  g_autofree HwCalendarDay *days = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_calendar_parse(json_string_value(text), json_string_length(text), IMPORT_DAYS_MAX, &days,
                         &n, &error)) {
    hw_reply_error(reply, 400, "invalid_field", "/text", "日历文件有误 / calendar file: %s",
                   error->message);
    return;
  }
  bool replace_years = json_is_true(replace);
  g_autofree HwStoreCalendarDay *rows = hw_calendar_days_to_store(days, n);
  if (!hw_store_calendar_import(hw_request_store(req), rows, n, replace_years, hw_time_now(),
                                &error)) {
    store_failed(reply, error, "importing the calendar");
    return;
  }
  json_t *years = json_array();
  for (size_t i = 0; i < n; i++)
    if (i == 0 || strncmp(rows[i].day, rows[i - 1].day, 4) != 0)
      json_array_append_new(years, json_integer(g_ascii_strtoll(rows[i].day, NULL, 10)));
  json_t *detail = json_pack("{s:I, s:O, s:b}", "imported", (json_int_t)n, "years", years,
                             "replace_years", replace_years);
  if (!audit(req, reply, "calendar.import", "", detail)) {
    json_decref(years);
    return;
  }
  hw_reply_json(reply, 200,
                json_pack("{s:I, s:o, s:b}", "imported", (json_int_t)n, "years", years,
                          "replace_years", replace_years));
}
