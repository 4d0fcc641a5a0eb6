/* The audit log over HTTP, for auditors only (web/routes.c): GET /api/v1/audit lists rows with
 * filters, GET /api/v1/audit/verify runs the same verification as `hallwatchd audit verify`
 * against the appliance key next to the database. Nothing here edits the log; each read adds one
 * row (audit.read, audit.verify) saying who looked and with which filter, written before the
 * answer is sent: a read that cannot be recorded is not answered. */
#include <errno.h>
#include <string.h>

#include "audit/hw_audit.h"
#include "common/hw_keys.h"
#include "web/handlers.h"
#include "web/internal.h"

static bool parse_time(HwReply *reply, const char *name, const char *v, hw_time_ns *ret)
{
  if (v == NULL)
    return true;
  if (hw_time_parse(v, ret) != 0) {
    hw_reply_error(reply, 400, "invalid_field", name,
                   "%s must be an RFC 3339 time such as 2026-03-03T08:00:00Z", name);
    return false;
  }
  return true;
}

static bool parse_int(HwReply *reply, const char *name, const char *v, int64_t min, int64_t max,
                      int64_t *ret)
{
  if (v == NULL)
    return true;
  gint64 n = 0;
  g_autoptr(GError) error = NULL;
  if (!g_ascii_string_to_signed(v, 10, min, max, &n, &error)) {
    hw_reply_error(reply, 400, "invalid_field", name,
                   "%s must be an integer from %" G_GINT64_FORMAT " to %" G_GINT64_FORMAT, name,
                   min, max);
    return false;
  }
  *ret = n;
  return true;
}

/* GET /api/v1/audit?from=&to=&actor=&action=&object=&limit=&after=
 * object is "<type>" or "<type>:<id>"; action is exact or a prefix ending in '.'. Rows in seq
 * order; "next_after" is the seq to pass as after= for the next page (null at the end). */
void hw_route_audit_list(HwRequest *req, HwReply *reply)
{
  HwAuditFilter filter = {0};
  int64_t limit = 100, after = 0;
  if (!parse_time(reply, "from", hw_request_query(req, "from"), &filter.from_ns) ||
      !parse_time(reply, "to", hw_request_query(req, "to"), &filter.to_ns) ||
      !parse_int(reply, "limit", hw_request_query(req, "limit"), 1, HW_AUDIT_QUERY_MAX, &limit) ||
      !parse_int(reply, "after", hw_request_query(req, "after"), 0, INT64_MAX, &after))
    return;
  filter.limit = (size_t)limit;
  filter.after_seq = after;
  filter.actor = hw_request_query(req, "actor");
  filter.action = hw_request_query(req, "action");
  g_autofree char *object = g_strdup(hw_request_query(req, "object"));
  if (object != NULL) {
    char *colon = strchr(object, ':');
    if (colon != NULL) {
      *colon = '\0';
      filter.object_id = colon + 1;
    }
    filter.object_type = object;
  }

  g_autofree HwAuditRow *rows = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_store_audit_query(hw_request_store(req), &filter, &rows, &n, &error)) {
    hw_reply_error(reply, 500, "internal", NULL, "the audit log cannot be read");
    return;
  }
  json_t *detail = json_pack("{s:s?, s:s?, s:s?, s:s?, s:s?, s:I, s:I, s:I}", "from",
                             hw_request_query(req, "from"), "to", hw_request_query(req, "to"),
                             "actor", filter.actor, "action", filter.action, "object",
                             hw_request_query(req, "object"), "limit", (json_int_t)limit, "after",
                             (json_int_t)after, "rows", (json_int_t)n);
  if (!hw_web_audit(req, "audit.read", "audit", "", detail)) {
    hw_reply_error(reply, 500, "audit_failed", NULL,
                   "the audit log could not record this read, so it is not answered");
    return;
  }
  json_t *list = json_array();
  for (size_t i = 0; i < n; i++) {
    g_autofree char *text = hw_audit_row_to_json(&rows[i]);
    json_array_append_new(list, json_loads(text, 0, NULL));
  }
  json_t *body = json_object();
  json_object_set_new(body, "rows", list);
  json_object_set_new(body, "next_after",
                      n == (size_t)limit ? json_integer(rows[n - 1].seq) : json_null());
  hw_reply_json(reply, 200, body);
}

/* GET /api/v1/audit/verify[?max_unsigned_age_s=N]: the verification result as JSON, 200 whether
 * or not the log is intact ("ok" says which); 500 if the log cannot be read. */
void hw_route_audit_verify(HwRequest *req, HwReply *reply)
{
  int64_t max_age_s = 0;
  if (!parse_int(reply, "max_unsigned_age_s", hw_request_query(req, "max_unsigned_age_s"), 0,
                 INT64_C(365) * 86400, &max_age_s))
    return;
  HwStore *store = hw_request_store(req);
  g_autofree char *key_path = hw_key_path_for_database(hw_store_filename(store));
  g_autoptr(GError) error = NULL;
  /* Without the key the result says so ("no trusted public key", ok false) instead of failing. */
  g_autoptr(HwKey) key = hw_key_load(key_path, NULL);
  HwAuditVerifyOptions opt = {.public_key_hex = key != NULL ? hw_key_public_hex(key) : NULL,
                              .now_ns = hw_time_now(),
                              .max_unsigned_age_ns = max_age_s * HW_NS_PER_S};
  g_autoptr(HwAuditVerifyResult) r = hw_audit_verify(store, &opt, &error);
  if (r == NULL) {
    hw_reply_error(reply, 500, "internal", NULL, "the audit log cannot be read");
    return;
  }
  g_autofree char *text = hw_audit_verify_result_to_json(r);
  json_t *body = json_loads(text, 0, NULL);
  /* The row goes after the verification, so the result is of the log as it was asked about. */
  if (!hw_web_audit(req, "audit.verify", "audit", "",
                    json_pack("{s:O}", "ok", json_object_get(body, "ok")))) {
    json_decref(body);
    hw_reply_error(reply, 500, "audit_failed", NULL,
                   "the audit log could not record this verification, so it is not answered");
    return;
  }
  json_object_set_new(body, "public_key",
                      key != NULL ? json_string(hw_key_public_hex(key)) : json_null());
  hw_reply_json(reply, 200, body);
}
