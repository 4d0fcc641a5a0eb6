/* Settings over the API (docs/settings.md): the [warnings] and [retention] keys an administrator
 * changes at runtime. Values are validated by the configuration file's own parsers
 * (hw_config_overlay), stored with the audit row in one transaction, and applied by the daemon the
 * way a SIGHUP reload applies them. A key set to null returns to the file's value. */
#include <glib.h>
#include <jansson.h>
#include <string.h>

#include "daemon/hw_config.h"
#include "sql/hw_store_settings.h"
#include "web/handlers.h"
#include "web/hw_settings.h"
#include "web/internal.h"

static const HwSettingsHooks *hooks_or_503(HwRequest *req, HwReply *reply)
{
  const HwSettingsHooks *h = hw_request_settings(req);
  if (h == NULL)
    hw_reply_error(reply, 503, "unavailable", NULL,
                   "设置不可用 / settings are not available in this server");
  return h;
}

/* {"settings": [{name, section, key, type, limits, value, source, file_value, default,
 * updated_by, updated}]} in hw_config_settings' order. */
static json_t *settings_json(HwRequest *req, const HwSettingsHooks *h, GError **error)
{
  g_autofree HwStoreSetting *rows = NULL;
  size_t n_rows = 0;
  if (!hw_store_settings_list(hw_request_store(req), &rows, &n_rows, error))
    return NULL;
  g_autoptr(HwConfig) defaults = hw_config_new_default();
  size_t n = 0;
  const HwConfigSetting *all = hw_config_settings(&n);
  json_t *list = json_array();
  for (size_t i = 0; i < n; i++) {
    const char *dot = strchr(all[i].name, '.');
    g_autofree char *section = g_strndup(all[i].name, (gsize)(dot - all[i].name));
    g_autofree char *def = hw_config_setting_format(defaults, all[i].name);
    bool in_file = false;
    g_autofree char *file = h->file_value(h->user, all[i].name, &in_file);
    const HwStoreSetting *row = NULL;
    for (size_t j = 0; j < n_rows && row == NULL; j++)
      if (strcmp(rows[j].name, all[i].name) == 0)
        row = &rows[j];
    json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "name", all[i].name,
                          "section", section, "key", dot + 1, "type", all[i].type, "limits",
                          all[i].limits, "value", row ? row->value : file, "source",
                          row ? "interface" : in_file ? "config" : "default", "file_value", file);
    json_object_set_new(o, "default", json_string(def));
    char t[40];
    json_object_set_new(o, "updated_by", row ? json_string(row->updated_by) : json_null());
    json_object_set_new(o, "updated",
                        row ? json_string(hw_time_format(row->updated_ns, t, sizeof t))
                            : json_null());
    json_array_append_new(list, o);
  }
  return json_pack("{s:o}", "settings", list);
}

static void reply_settings(HwRequest *req, HwReply *reply, const HwSettingsHooks *h)
{
  g_autoptr(GError) error = NULL;
  json_t *body = settings_json(req, h, &error);
  if (body == NULL)
    hw_reply_error(reply, 500, "internal", NULL, "the store failed while reading the settings");
  else
    hw_reply_json(reply, 200, body);
}

/* GET /api/v1/settings */
void hw_route_settings_get(HwRequest *req, HwReply *reply)
{
  const HwSettingsHooks *h = hooks_or_503(req, reply);
  if (h != NULL)
    reply_settings(req, reply, h);
}

/* A JSON value as the configuration file's text: strings as they are, true/false, numbers as
 * written; NULL for other types. g_free. */
static char *value_text(json_t *v)
{
  if (json_is_string(v))
    return g_strdup(json_string_value(v));
  if (json_is_boolean(v))
    return g_strdup(json_is_true(v) ? "true" : "false");
  if (json_is_integer(v))
    return g_strdup_printf("%" JSON_INTEGER_FORMAT, json_integer_value(v));
  if (json_is_real(v)) {
    char buf[G_ASCII_DTOSTR_BUF_SIZE];
    return g_strdup(g_ascii_dtostr(buf, sizeof buf, json_real_value(v)));
  }
  return NULL;
}

/* PATCH /api/v1/settings {"warnings": {"near_days": 3, "fee_above_standard": false},
 * "retention": {"days": 60, "min_free": null}}: every key validated as the file's would be
 * (400 naming "<section>.<key>", nothing changed), then all written with one audit row in one
 * transaction; null returns a key to the file's value. 200 with GET's body. */
void hw_route_settings_patch(HwRequest *req, HwReply *reply)
{
  const HwSettingsHooks *h = hooks_or_503(req, reply);
  if (h == NULL || !hw_web_unrestricted(req, reply, "更改设置", "change the settings"))
    return;
  json_t *body = hw_request_json(req);
  if (!json_is_object(body) || json_object_size(body) == 0) {
    hw_reply_error(reply, 400, "invalid_field", NULL,
                   "请求体应为 {\"warnings\": {…}, \"retention\": {…}} / the body must be "
                   "{\"warnings\": {…}, \"retention\": {…}}");
    return;
  }
  g_autoptr(GPtrArray) names = g_ptr_array_new_with_free_func(g_free);
  g_autoptr(GPtrArray) values = g_ptr_array_new_with_free_func(g_free); /* NULL: back to file */
  const char *section;
  json_t *keys;
  json_object_foreach(body, section, keys)
  {
    if (strcmp(section, "warnings") != 0 && strcmp(section, "retention") != 0) {
      hw_reply_error(reply, 400, "invalid_field", section,
                     "只能更改 warnings 与 retention / only warnings and retention can be changed, "
                     "not %s",
                     section);
      return;
    }
    if (!json_is_object(keys)) {
      hw_reply_error(reply, 400, "invalid_field", section,
                     "%s 应为对象 / %s must be an object of key: value", section, section);
      return;
    }
    const char *key;
    json_t *v;
    json_object_foreach(keys, key, v)
    {
      g_autofree char *name = g_strdup_printf("%s.%s", section, key);
      if (hw_config_setting_find(name) == NULL) {
        hw_reply_error(reply, 400, "invalid_field", name, "未知设置 / unknown setting %s", name);
        return;
      }
      g_autofree char *text = json_is_null(v) ? NULL : value_text(v);
      if (!json_is_null(v)) {
        /* The file's parser, one key at a time so that the error names it. */
        g_autoptr(HwConfig) probe = hw_config_new_default();
        g_autoptr(GError) error = NULL;
        const char *n1[] = {name};
        const char *v1[] = {text};
        if (text == NULL || strlen(text) >= sizeof(((HwStoreSetting *)0)->value) ||
            !hw_config_overlay(probe, "settings", n1, v1, 1, &error)) {
          hw_reply_error(reply, 400, "invalid_field", name, "%s 的值无效 / %s",
                         name, error ? error->message : "expected a text, number or true/false");
          return;
        }
      }
      g_ptr_array_add(names, g_steal_pointer(&name));
      g_ptr_array_add(values, g_steal_pointer(&text));
    }
  }

  const HwCaller *c = hw_request_caller(req);
  HwStore *store = hw_request_store(req);
  HwAudit *log = hw_request_audit(req);
  g_autoptr(GError) error = NULL;
  hw_time_ns now = hw_time_now();
  json_t *changes = json_object();
  if (!hw_store_begin(store, &error))
    goto failed;
  {
    g_autofree HwStoreSetting *rows = NULL;
    size_t n_rows = 0;
    if (!hw_store_settings_list(store, &rows, &n_rows, &error))
      goto failed;
    for (guint i = 0; i < names->len; i++) {
      const char *before = NULL;
      for (size_t j = 0; j < n_rows; j++)
        if (strcmp(rows[j].name, names->pdata[i]) == 0)
          before = rows[j].value;
      json_object_set_new(changes, names->pdata[i],
                          json_pack("{s:s?, s:s?}", "before", before, "after", values->pdata[i]));
      if (!hw_store_setting_set(store, names->pdata[i], values->pdata[i], c->name, now, &error))
        goto failed;
    }
  }
  {
    json_t *detail = json_pack("{s:O}", "changes", changes);
    char *text = json_dumps(detail, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(detail);
    bool ok = log != NULL &&
              hw_audit_record(log, c->name, hw_role_name(c->role), hw_request_client_address(req),
                              "settings.change", "settings", "", text, &error);
    free(text);
    if (!ok)
      goto failed;
  }
  if (!hw_store_commit(store, &error))
    goto failed;
  json_decref(changes);
  h->changed(h->user);
  reply_settings(req, reply, h);
  return;

failed:
  hw_store_rollback(store);
  json_decref(changes);
  hw_reply_error(reply, 500, "internal", NULL,
                 "设置未保存 / the settings were not saved: %s",
                 error ? error->message : "the audit log is not available");
}
