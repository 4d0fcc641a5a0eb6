/* Who may do what: the one table of every route, its handler and its permission. Add a route
 * here and nowhere else; a row without a permission stops the server at start-up, and the
 * route × role test (tests/web/test_routes.c) walks this table, so the new row is tested at once.
 * Also the pattern matcher ("/api/v1/cameras/{id}"). */
#include "web/routes.h"

#include <string.h>

#include "cases/hw_exchange.h"
#include "web/handlers.h"
#include "web/hw_http.h"

#define R(role) HW_ROLE_BIT(HW_ROLE_##role)

/* ---- the permission table ------------------------------------------------------------------- */

/* /metrics: Prometheus scrapers run on the appliance itself (or tunnel to it), so an
 * unauthenticated scrape is allowed from loopback only; from elsewhere an admin or a hall
 * manager session is needed. Camera status names cameras and their errors (credentials masked),
 * which is hall operations data: the roles that watch halls see it, auditors and viewers do not.
 * Departments' tokens reach only routes marked HW_ACCESS_DEPARTMENT. */
static const HwRoute routes[] = {
  {"GET", "/healthz", hw_route_healthz, {.access = HW_ACCESS_PUBLIC}},
  /* The web interface's shell and assets (web/static.c): public, since the sign-in page is one
   * of them; they hold no data, every datum comes through the routes below. */
  {"GET", "/", hw_route_ui_index, {.access = HW_ACCESS_PUBLIC}},
  {"GET", "/ui/{file}", hw_route_ui_asset, {.access = HW_ACCESS_PUBLIC}},
  {"GET", "/ui/{dir}/{file}", hw_route_ui_asset, {.access = HW_ACCESS_PUBLIC}},
  {"GET", "/metrics", hw_route_metrics,
   {.roles = R(ADMIN) | R(HALL_MANAGER), .access = HW_ACCESS_LOOPBACK}},

  {"POST", "/api/v1/auth/login", hw_route_auth_login, {.access = HW_ACCESS_PUBLIC}},
  {"POST", "/api/v1/auth/logout", hw_route_auth_logout, {.roles = HW_ROLES_ALL}},
  {"GET", "/api/v1/auth/me", hw_route_auth_me, {.roles = HW_ROLES_ALL}},
  {"POST", "/api/v1/auth/password", hw_route_auth_password, {.roles = HW_ROLES_ALL}},

  /* User management (web/users.c): admins only, and only those not limited to halls or
   * departments (the handlers refuse those: they could hand out wider access than their own). */
  {"GET", "/api/v1/users", hw_route_users_list, {.roles = R(ADMIN)}},
  {"POST", "/api/v1/users", hw_route_users_create, {.roles = R(ADMIN)}},
  {"GET", "/api/v1/users/{id}", hw_route_user_get, {.roles = R(ADMIN)}},
  {"PATCH", "/api/v1/users/{id}", hw_route_user_update, {.roles = R(ADMIN)}},
  {"POST", "/api/v1/users/{id}/password", hw_route_user_password, {.roles = R(ADMIN)}},

  /* Camera management: status and settings are read by the roles that watch halls; only hall
   * managers and admins change them (web/cameras.c). Halls/windows alike. */
  {"GET", "/api/v1/cameras", hw_route_cameras_index,
   {.roles = R(SUPERVISOR) | R(HALL_MANAGER) | R(INVESTIGATOR) | R(ADMIN)}},
  {"GET", "/api/v1/cameras/{id}", hw_route_camera_get,
   {.roles = R(SUPERVISOR) | R(HALL_MANAGER) | R(INVESTIGATOR) | R(ADMIN)}},
  {"POST", "/api/v1/cameras", hw_route_camera_create, {.roles = R(HALL_MANAGER) | R(ADMIN)}},
  {"PATCH", "/api/v1/cameras/{id}", hw_route_camera_update, {.roles = R(HALL_MANAGER) | R(ADMIN)}},
  {"DELETE", "/api/v1/cameras/{id}", hw_route_camera_delete, {.roles = R(HALL_MANAGER) | R(ADMIN)}},
  {"POST", "/api/v1/cameras/{id}/test", hw_route_camera_test, {.roles = R(HALL_MANAGER) | R(ADMIN)}},
  /* A snapshot is footage: the roles that see footage, not admins (separation of duties). */
  {"GET", "/api/v1/cameras/{id}/snapshot", hw_route_camera_snapshot,
   {.roles = R(SUPERVISOR) | R(HALL_MANAGER) | R(INVESTIGATOR)}},
  /* Live view is footage too: the same roles as the snapshot; hall scope per camera subscribed
   * (web/live.c). */
  {"GET", "/api/v1/live", hw_route_live, {.roles = R(SUPERVISOR) | R(HALL_MANAGER) | R(INVESTIGATOR)}},
  /* Recorded footage (web/playback.c): the roles that see footage. The playlist opens an audited
   * playback session; its files are served only within it. */
  {"GET", "/api/v1/cameras/{id}/footage", hw_route_camera_footage,
   {.roles = R(SUPERVISOR) | R(HALL_MANAGER) | R(INVESTIGATOR)}},
  {"GET", "/api/v1/cameras/{id}/playback.m3u8", hw_route_camera_playlist,
   {.roles = R(SUPERVISOR) | R(HALL_MANAGER) | R(INVESTIGATOR)}},
  {"GET", "/api/v1/playback/{session}/{file}", hw_route_playback_file,
   {.roles = R(SUPERVISOR) | R(HALL_MANAGER) | R(INVESTIGATOR)}},
  /* The stage events at a camera's windows (footage timeline markers): they name cases, so the
   * roles that read cases, within their departments (web/playback.c). */
  {"GET", "/api/v1/cameras/{id}/events", hw_route_camera_events,
   {.roles = R(SUPERVISOR) | R(INVESTIGATOR)}},
  /* The footage of a case's stages (web/case_footage.c): supervisors and investigators, within
   * their departments and halls. */
  {"GET", "/api/v1/cases/{id}/footage", hw_route_case_footage,
   {.roles = R(SUPERVISOR) | R(INVESTIGATOR)}},
  {"GET", "/api/v1/halls", hw_route_halls_list,
   {.roles = R(SUPERVISOR) | R(HALL_MANAGER) | R(INVESTIGATOR) | R(ADMIN)}},
  {"POST", "/api/v1/halls", hw_route_halls_create, {.roles = R(HALL_MANAGER) | R(ADMIN)}},
  {"GET", "/api/v1/windows", hw_route_windows_list,
   {.roles = R(SUPERVISOR) | R(HALL_MANAGER) | R(INVESTIGATOR) | R(ADMIN)}},
  {"POST", "/api/v1/windows", hw_route_windows_create, {.roles = R(HALL_MANAGER) | R(ADMIN)}},
  {"PATCH", "/api/v1/windows/{id}", hw_route_window_update, {.roles = R(HALL_MANAGER) | R(ADMIN)}},
  {"PUT", "/api/v1/windows/{id}/cameras", hw_route_window_cameras_put,
   {.roles = R(HALL_MANAGER) | R(ADMIN)}},
  {"GET", "/api/v1/windows/{id}/cameras", hw_route_window_cameras_get,
   {.roles = R(SUPERVISOR) | R(HALL_MANAGER) | R(INVESTIGATOR) | R(ADMIN)}},

  {"POST", "/api/v1/tokens", hw_route_tokens_create, {.roles = R(ADMIN)}},
  {"GET", "/api/v1/tokens", hw_route_tokens_list, {.roles = R(ADMIN)}},
  {"DELETE", "/api/v1/tokens/{id}", hw_route_tokens_revoke, {.roles = R(ADMIN)}},

  {"GET", "/api/v1/exchange/ping", hw_route_exchange_ping, {.access = HW_ACCESS_DEPARTMENT}},
  {"POST", "/api/v1/exchange/batch", hw_route_exchange_batch, {.access = HW_ACCESS_DEPARTMENT}},

  /* The working-day calendar (web/calendar.c): admins change it, supervisors read it (they judge
   * deadlines by it). */
  {"GET", "/api/v1/calendar", hw_route_calendar_list, {.roles = R(ADMIN) | R(SUPERVISOR)}},
  {"PUT", "/api/v1/calendar/{date}", hw_route_calendar_put, {.roles = R(ADMIN)}},
  {"DELETE", "/api/v1/calendar/{date}", hw_route_calendar_delete, {.roles = R(ADMIN)}},
  {"POST", "/api/v1/calendar/import", hw_route_calendar_import, {.roles = R(ADMIN)}},

  /* Settings changed at runtime (web/settings.c): the [warnings] and [retention] keys, over the
   * configuration file's values; admins not limited to halls or departments (the handler). */
  {"GET", "/api/v1/settings", hw_route_settings_get, {.roles = R(ADMIN)}},
  {"PATCH", "/api/v1/settings", hw_route_settings_patch, {.roles = R(ADMIN)}},

  /* The supervisors' case queries (web/cases.c): scoped by hall and department in SQL; the
   * applicant's personal data masked except for investigators. Viewers see aggregate reports
   * only, not cases. */
  {"GET", "/api/v1/cases", hw_route_cases_list, {.roles = R(SUPERVISOR) | R(INVESTIGATOR)}},
  /* The dashboard's counts (web/dashboard.c); before /api/v1/cases/{id}, which would take
   * "summary" for an id. */
  {"GET", "/api/v1/cases/summary", hw_route_cases_summary,
   {.roles = R(SUPERVISOR) | R(INVESTIGATOR)}},
  {"GET", "/api/v1/cases/{id}", hw_route_case_get, {.roles = R(SUPERVISOR) | R(INVESTIGATOR)}},
  {"GET", "/api/v1/staff/{operator_id}/events", hw_route_staff_events,
   {.roles = R(SUPERVISOR) | R(INVESTIGATOR)}},
  /* Evidence export (web/exports.c): investigators only, within their halls. The public key is
   * not a secret: every signed-in role may read it (the interface shows it). */
  {"POST", "/api/v1/exports", hw_route_exports_create, {.roles = R(INVESTIGATOR)}},
  {"GET", "/api/v1/exports", hw_route_exports_list, {.roles = R(INVESTIGATOR)}},
  {"GET", "/api/v1/exports/{id}", hw_route_export_get, {.roles = R(INVESTIGATOR)}},
  {"GET", "/api/v1/exports/{id}/download", hw_route_export_download, {.roles = R(INVESTIGATOR)}},
  {"POST", "/api/v1/exports/{id}/release", hw_route_export_release, {.roles = R(INVESTIGATOR)}},
  {"DELETE", "/api/v1/exports/{id}", hw_route_export_delete, {.roles = R(INVESTIGATOR)}},
  {"POST", "/api/v1/exports/verify", hw_route_exports_verify, {.roles = R(INVESTIGATOR)}},
  {"GET", "/api/v1/key", hw_route_key_get, {.roles = HW_ROLES_ALL}},
  /* Warnings (web/warnings.c): supervisors and hall managers read them, supervisors act on them
   * (close with a note, correction notices, releasing footage holds); departments' systems read
   * and answer their notices through the exchange API. */
  {"GET", "/api/v1/warnings", hw_route_warnings_list, {.roles = R(SUPERVISOR) | R(HALL_MANAGER)}},
  {"GET", "/api/v1/warnings/summary", hw_route_warnings_summary,
   {.roles = R(SUPERVISOR) | R(HALL_MANAGER)}},
  {"GET", "/api/v1/warnings/{id}", hw_route_warning_get, {.roles = R(SUPERVISOR) | R(HALL_MANAGER)}},
  {"POST", "/api/v1/warnings/{id}/close", hw_route_warning_close, {.roles = R(SUPERVISOR)}},
  {"POST", "/api/v1/warnings/{id}/notices", hw_route_warning_notice, {.roles = R(SUPERVISOR)}},
  {"POST", "/api/v1/warnings/{id}/release-hold", hw_route_warning_release_hold,
   {.roles = R(SUPERVISOR)}},
  {"GET", "/api/v1/exchange/notices", hw_route_exchange_notices, {.access = HW_ACCESS_DEPARTMENT}},
  {"POST", "/api/v1/exchange/notices/{id}/reply", hw_route_exchange_notice_reply,
   {.access = HW_ACCESS_DEPARTMENT}},

  /* The dashboard's storage status (web/dashboard.c): the roles that watch the halls' recording;
   * hall-limited callers see their halls' cameras only. The windows' current cases (the live
   * wall) name cases: the roles that read cases. */
  {"GET", "/api/v1/status/storage", hw_route_status_storage,
   {.roles = R(SUPERVISOR) | R(HALL_MANAGER) | R(ADMIN)}},
  {"GET", "/api/v1/status/windows", hw_route_status_windows,
   {.roles = R(SUPERVISOR) | R(INVESTIGATOR)}},

  /* The audit log: auditors only, not even admins (separation of duties). */
  {"GET", "/api/v1/audit", hw_route_audit_list, {.roles = R(AUDITOR)}},
  {"GET", "/api/v1/audit/verify", hw_route_audit_verify, {.roles = R(AUDITOR)}},
};

size_t hw_route_body_max(const HwRoute *route)
{
  /* Batches of up to 10,000 records: a body cap of their own (cases/hw_exchange.h). */
  if (route->handler == hw_route_exchange_batch)
    return HW_EXCHANGE_BODY_MAX;
  return 0;
}

bool hw_route_takes_upload(const HwRoute *route)
{
  /* An evidence package to verify: as large as an export (docs/evidence.md). */
  return route->handler == hw_route_exports_verify;
}

const HwRoute *hw_routes_table(size_t *ret_n)
{
  *ret_n = G_N_ELEMENTS(routes);
  return routes;
}

/* ---- checks and matching -------------------------------------------------------------------- */

static const char *const methods[] = {"GET", "POST", "PUT", "PATCH", "DELETE"};

gboolean hw_routes_check(const HwRoute *rs, size_t n, GError **error)
{
  for (size_t i = 0; i < n; i++) {
    const HwRoute *r = &rs[i];
    const char *what = r->pattern ? r->pattern : "(null)";
    gboolean known = FALSE;
    for (size_t m = 0; r->method && m < G_N_ELEMENTS(methods); m++)
      known |= strcmp(r->method, methods[m]) == 0;
    if (!known || !r->pattern || r->pattern[0] != '/' || !r->handler) {
      g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_ROUTE,
                  "route %zu (%s %s): needs a method, a pattern starting with / and a handler", i,
                  r->method ? r->method : "(null)", what);
      return FALSE;
    }
    if (r->permission.roles == 0 && r->permission.access == 0) {
      g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_ROUTE,
                  "route %s %s has no permission; say who may call it in web/routes.c", r->method,
                  what);
      return FALSE;
    }
    if ((r->permission.roles & ~HW_ROLES_ALL) != 0 ||
        (r->permission.access & ~(HW_ACCESS_PUBLIC | HW_ACCESS_LOOPBACK | HW_ACCESS_DEPARTMENT))) {
      g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_ROUTE,
                  "route %s %s: unknown role or access bits", r->method, what);
      return FALSE;
    }
    if ((r->permission.access & HW_ACCESS_PUBLIC) && r->permission.access != HW_ACCESS_PUBLIC) {
      g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_ROUTE,
                  "route %s %s: public already includes every caller", r->method, what);
      return FALSE;
    }
    size_t params = 0;
    for (const char *p = r->pattern; (p = strchr(p, '{')) != NULL; p++)
      params++;
    if (params > HW_ROUTE_PARAMS_MAX) {
      g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_ROUTE, "route %s %s: more than %d parameters",
                  r->method, what, HW_ROUTE_PARAMS_MAX);
      return FALSE;
    }
    for (size_t j = 0; j < i; j++) {
      if (strcmp(rs[j].method, r->method) == 0 && strcmp(rs[j].pattern, r->pattern) == 0) {
        g_set_error(error, HW_HTTP_ERROR, HW_HTTP_ERROR_ROUTE, "route %s %s given twice",
                    r->method, what);
        return FALSE;
      }
    }
  }
  return TRUE;
}

gboolean hw_route_match(const char *pattern, const char *path, const char **names,
                        const char **values, size_t *ret_n_params, char **ret_storage)
{
  *ret_n_params = 0;
  *ret_storage = NULL;
  if (!strchr(pattern, '{'))
    return strcmp(pattern, path) == 0;

  g_auto(GStrv) pat = g_strsplit(pattern, "/", -1);
  g_auto(GStrv) segs = g_strsplit(path, "/", -1);
  if (g_strv_length(pat) != g_strv_length(segs))
    return FALSE;
  /* One buffer holds every name and value so the caller frees one pointer. */
  GString *store = g_string_new(NULL);
  size_t offsets[HW_ROUTE_PARAMS_MAX * 2];
  size_t n = 0;
  for (size_t i = 0; pat[i]; i++) {
    size_t len = strlen(pat[i]);
    if (len >= 2 && pat[i][0] == '{' && pat[i][len - 1] == '}') {
      if (segs[i][0] == '\0' || n >= HW_ROUTE_PARAMS_MAX)
        goto nomatch;
      offsets[2 * n] = store->len;
      g_string_append_len(store, pat[i] + 1, (gssize)len - 2);
      g_string_append_c(store, '\0');
      offsets[2 * n + 1] = store->len;
      g_string_append(store, segs[i]);
      g_string_append_c(store, '\0');
      n++;
    } else if (strcmp(pat[i], segs[i]) != 0) {
      goto nomatch;
    }
  }
  char *buf = g_string_free(store, FALSE);
  for (size_t i = 0; i < n; i++) {
    names[i] = buf + offsets[2 * i];
    values[i] = buf + offsets[2 * i + 1];
  }
  *ret_n_params = n;
  *ret_storage = buf;
  return TRUE;

nomatch:
  g_string_free(store, TRUE);
  return FALSE;
}
