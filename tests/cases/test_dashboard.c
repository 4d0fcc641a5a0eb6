/* The supervisors' dashboard routes (web/dashboard.c, sql/store_dashboard.c) with real parts: a
 * real store file, the real HTTP server on loopback, department tokens posting cases through the
 * exchange API (the warnings evaluation after each batch stores the promised due dates), users
 * signed in with sessions. Checks what a supervisor reads off the dashboard: the counts by level
 * and department, cases in progress and due today, the storage totals and horizon, the held
 * bytes, each window's current case, the stage events at a camera's windows; each as a user
 * limited to a hall or a department sees it; bad arguments answered 400 naming the field; the
 * queries' plans read indexes, not whole tables. */
#include <jansson.h>
#include <sqlite3.h>
#include <string.h>

#include "audit/hw_audit.h"
#include "cases/hw_calendar_store.h"
#include "cases/hw_warnings.h"
#include "sql/hw_store.h"
#include "sql/hw_store_auth.h"
#include "sql/hw_store_dashboard.h"
#include "sql/hw_store_private.h" /* hw_store_migrations */
#include "tests/cases/helpers.h"
#include "web/hw_auth.h"
#include "web/hw_cameras.h"
#include "web/hw_http.h"

#define DEPT "440303-MZJ"
#define OTHER "440303-GAJ"

typedef struct {
  char *dir, *db;
  HwStore *store;
  HwCalendarSource *cal;
  HwWarnings *warnings;
  HwAudit *audit;
  HwCameraHooks hooks;
  HwHttp *http;
  int port;
  char *token, *other_token;
  int64_t window_a, window_b;
} Fixture;

static HwCameraStatus *no_status(void *user, size_t *ret_n)
{
  *ret_n = 0;
  return NULL;
}

static HwCameraConfig **no_config_cameras(void *user)
{
  return g_new0(HwCameraConfig *, 1);
}

static void retention_limits(void *user, HwRetentionLimits *ret)
{
  *ret = (HwRetentionLimits){.days = 30, .bytes = 0, .min_free_bytes = INT64_C(1) << 30};
}

/* Halls HA and HB, an API camera in each, a window in each covered by its camera. */
static void setup(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp("hw-dashboard-XXXXXX", &error);
  g_assert_no_error(error);
  f->db = g_build_filename(f->dir, "hallwatch.db", NULL);
  f->store = hw_store_open(f->db, &error);
  g_assert_no_error(error);
  bool seeded;
  g_assert_true(hw_calendar_seed_shipped(f->store, &seeded, &error));
  f->cal = hw_calendar_source_new(f->store, "Asia/Shanghai");
  HwWarningsConfig cfg;
  hw_warnings_config_init(&cfg);
  f->warnings = hw_warnings_new(f->store, f->cal, &cfg, NULL, NULL);
  g_assert_true(hw_auth_init(NULL));
  f->token = test_make_token(f->store, DEPT);
  f->other_token = test_make_token(f->store, OTHER);

  const char *halls[] = {"HA", "HB"}, *cams[] = {"cam-a", "cam-b"};
  int64_t *wins[] = {&f->window_a, &f->window_b};
  for (int i = 0; i < 2; i++) {
    HwStoreHall hall = {0};
    g_strlcpy(hall.code, halls[i], sizeof hall.code);
    g_assert_true(hw_store_hall_add(f->store, &hall, &error));
    HwStoreCamera c = {.enabled = false};
    g_strlcpy(c.id, cams[i], sizeof c.id);
    g_strlcpy(c.url, "rtsp://127.0.0.1:9/none", sizeof c.url);
    g_strlcpy(c.transport, "tcp", sizeof c.transport);
    g_strlcpy(c.clock, "local", sizeof c.clock);
    g_strlcpy(c.hall, halls[i], sizeof c.hall);
    g_assert_true(hw_store_camera_add(f->store, &c, NULL, &error));
    HwStoreWindow w = {0};
    g_strlcpy(w.hall, halls[i], sizeof w.hall);
    g_strlcpy(w.code, "W1", sizeof w.code);
    g_strlcpy(w.departments, "[]", sizeof w.departments);
    g_assert_true(hw_store_window_add(f->store, &w, wins[i], &error));
    const char *cam[] = {cams[i]};
    g_assert_true(hw_store_window_set_cameras(f->store, *wins[i], cam, 1,
                                              hw_time_now() - 3600 * HW_NS_PER_S, &error));
  }
  g_assert_no_error(error);

  f->hooks = (HwCameraHooks){.config_cameras = no_config_cameras,
                             .footage_dir = f->dir,
                             .retention = retention_limits};
  HwHttpOptions o;
  hw_http_options_init(&o);
  o.status_fn = no_status;
  o.store = f->store;
  o.warnings = f->warnings;
  o.calendar = f->cal;
  o.cameras = &f->hooks;
  f->audit = hw_audit_new(f->store);
  o.audit = f->audit;
  f->http = hw_http_new(&o, &error);
  g_assert_no_error(error);
  f->port = hw_http_port(f->http);
}

static void teardown(Fixture *f, gconstpointer data)
{
  hw_http_free(f->http);
  hw_audit_free(f->audit);
  hw_warnings_free(f->warnings);
  hw_calendar_source_free(f->cal);
  hw_store_close(f->store);
  test_remove_dir(f->dir);
  g_free(f->db);
  g_free(f->dir);
  g_free(f->token);
  g_free(f->other_token);
}

/* ---- users and requests ----------------------------------------------------------------------- */

/* A user of role, limited to scope kind/code (kind NULL: unrestricted), signed in. */
static void user(Fixture *f, const char *name, const char *role, const char *kind,
                 const char *code, Session *ret)
{
  test_user(f->store, f->port, name, role, kind, code, ret);
}

/* GET path as s; asserts the status. */
static Answer get(Fixture *f, const Session *s, const char *path, int status)
{
  Answer a = test_http(f->port, "GET", path, NULL, s->cookie, s->csrf, NULL);
  if (a.status != status) {
    g_autofree char *text = a.json ? json_dumps(a.json, JSON_COMPACT) : g_strdup("(no JSON)");
    g_error("GET %s: %d, expected %d: %s", path, a.status, status, text);
  }
  return a;
}

/* A 400 naming field. */
static void bad(Fixture *f, const Session *s, const char *path, const char *field)
{
  g_auto(Answer) a = get(f, s, path, 400);
  json_t *e = json_object_get(a.json, "error");
  g_assert_cmpstr(json_string_value(json_object_get(e, "code")), ==, "invalid_field");
  g_assert_cmpstr(json_string_value(json_object_get(e, "field")), ==, field);
}

static json_int_t num(json_t *o, const char *path)
{
  g_auto(GStrv) keys = g_strsplit(path, ".", -1);
  for (size_t i = 0; keys[i] && o; i++)
    o = json_object_get(o, keys[i]);
  g_assert_true(json_is_integer(o));
  return json_integer_value(o);
}

/* ---- cases through the exchange API ------------------------------------------------------------ */

/* A case of department accepted at `at` in hall's window W1 (a stage event there), promised
 * `promised` working days, with a fee above its standard when red. */
static void post_case(Fixture *f, const char *token, const char *department, const char *number,
                      const char *hall, hw_time_ns at, int promised, bool red)
{
  char when[48];
  hw_time_format(at, when, sizeof when);
  g_autofree char *body = g_strdup_printf(
      "{\"records\":[{\"type\":\"case\",\"department\":\"%s\",\"case_number\":\"%s\","
      "\"version\":1,\"item_code\":\"ITEM1\",\"item_name\":\"社会团体成立登记 %s\","
      "\"applicant_type\":\"company\",\"applicant_name\":\"某协会\",\"hall\":\"%s\","
      "\"window\":\"W1\",\"accepted_at\":\"%s\",\"acceptance\":\"accepted\","
      "\"statutory_limit\":20,\"statutory_limit_unit\":\"working_days\",\"promised_limit\":%d,"
      "\"promised_limit_unit\":\"working_days\",\"fee_charged_fen\":%d,\"fee_standard_fen\":100,"
      "\"secrecy\":\"none\"},"
      "{\"type\":\"stage_event\",\"department\":\"%s\",\"case_number\":\"%s\","
      "\"event_id\":\"EV-%s\",\"stage\":\"accepted\",\"time\":\"%s\",\"hall\":\"%s\","
      "\"window\":\"W1\"}]}",
      department, number, number, hall, when, promised, red ? 500 : 100, department, number,
      number, when, hall);
  g_auto(Answer) a = post_batch(f->port, token, body, 0);
  if (a.status != 200) {
    g_autofree char *text = json_dumps(a.json, JSON_COMPACT);
    g_error("batch %s: %d %s", number, a.status, text);
  }
}

/* The hall's date of t, "YYYY-MM-DD". */
static char *date_of(Fixture *f, hw_time_ns t)
{
  g_autoptr(HwCalendar) cal = hw_calendar_source_get(f->cal, NULL);
  char buf[16];
  return g_strdup(hw_date_format(hw_calendar_date_of(cal, t), buf, sizeof buf));
}

/* C1 (DEPT, HA): red (fee), promised 0 days: due on its acceptance date (and yellow from the
 * start); C2 (DEPT, HA): promised 10; C3 (OTHER, HB): red, due the same day; C4 (OTHER, HA):
 * promised 10, accepted last at HA's window. */
static hw_time_ns post_cases(Fixture *f)
{
  hw_time_ns t = hw_time_now() - 120 * HW_NS_PER_S;
  post_case(f, f->token, DEPT, "C1", "HA", t, 0, true);
  post_case(f, f->token, DEPT, "C2", "HA", t + HW_NS_PER_S, 10, false);
  post_case(f, f->other_token, OTHER, "C3", "HB", t + 2 * HW_NS_PER_S, 0, true);
  post_case(f, f->other_token, OTHER, "C4", "HA", t + 3 * HW_NS_PER_S, 10, false);
  return t;
}

/* ---- tests ------------------------------------------------------------------------------------ */

/* Open warnings by level and department, as each user sees them; the hall manager reads them,
 * a bad department 400. */
static void test_warnings_summary(Fixture *f, gconstpointer data)
{
  g_auto(Session) sup = {0}, sup_ha = {0}, sup_d = {0}, hm = {0};
  user(f, "sup", "supervisor", NULL, NULL, &sup);
  user(f, "sup-ha", "supervisor", "hall", "HA", &sup_ha);
  user(f, "sup-d", "supervisor", "department", OTHER, &sup_d);
  user(f, "hm", "hall_manager", NULL, NULL, &hm);
  post_cases(f);

  g_auto(Answer) all = get(f, &sup, "/api/v1/warnings/summary", 200);
  /* C1 and C3: red (fee) and yellow (a 0-day promise is near from the start) */
  g_assert_cmpint(num(all.json, "total.red"), ==, 2);
  g_assert_cmpint(num(all.json, "total.yellow"), ==, 2);
  json_t *deps = json_object_get(all.json, "departments");
  g_assert_cmpuint(json_array_size(deps), ==, 2);
  /* in department order, the same numbers as the warnings list's counts */
  g_assert_cmpstr(json_string_value(json_object_get(json_array_get(deps, 0), "department")), ==,
                  OTHER);
  g_assert_cmpint(num(json_array_get(deps, 0), "red"), ==, 1);
  g_assert_cmpint(num(json_array_get(deps, 1), "yellow"), ==, 1);
  g_auto(Answer) list = get(f, &sup, "/api/v1/warnings", 200);
  g_assert_cmpint(num(list.json, "counts." DEPT ".red"), ==, 1);

  g_auto(Answer) ha = get(f, &sup_ha, "/api/v1/warnings/summary", 200);
  g_assert_cmpint(num(ha.json, "total.red"), ==, 1); /* C3 is in HB */
  g_autofree char *ha_text = json_dumps(ha.json, JSON_COMPACT);
  g_assert_null(strstr(ha_text, OTHER));
  g_auto(Answer) d = get(f, &sup_d, "/api/v1/warnings/summary", 200);
  g_assert_cmpint(num(d.json, "total.red"), ==, 1);
  g_autofree char *d_text = json_dumps(d.json, JSON_COMPACT);
  g_assert_null(strstr(d_text, DEPT));
  g_auto(Answer) one = get(f, &sup, "/api/v1/warnings/summary?department=" DEPT, 200);
  g_assert_cmpint(num(one.json, "total.red"), ==, 1);
  g_auto(Answer) by_hm = get(f, &hm, "/api/v1/warnings/summary", 200);
  g_assert_cmpint(num(by_hm.json, "total.red"), ==, 2);

  bad(f, &sup, "/api/v1/warnings/summary?department=", "department");
  /* "summary" is not taken for a warning id */
  g_auto(Answer) no = get(f, &sup, "/api/v1/warnings/999999", 404);
}

/* Cases in progress and due on a date (the promised due date stored by the warnings evaluation),
 * as each user sees them; another date has none due; bad dates 400; not for hall managers. */
static void test_cases_summary(Fixture *f, gconstpointer data)
{
  g_auto(Session) sup = {0}, sup_ha = {0}, sup_d = {0}, hm = {0};
  user(f, "sup", "supervisor", NULL, NULL, &sup);
  user(f, "sup-ha", "supervisor", "hall", "HA", &sup_ha);
  user(f, "sup-d", "supervisor", "department", OTHER, &sup_d);
  user(f, "hm", "hall_manager", NULL, NULL, &hm);
  hw_time_ns t = post_cases(f);
  /* a 0-day promise is due on the day of acceptance (docs/deadlines.md rule 3) */
  g_autofree char *day = date_of(f, t);
  g_autofree char *path = g_strdup_printf("/api/v1/cases/summary?date=%s", day);

  g_auto(Answer) all = get(f, &sup, path, 200);
  g_assert_cmpstr(json_string_value(json_object_get(all.json, "date")), ==, day);
  g_assert_cmpint(num(all.json, "in_progress.total"), ==, 4);
  g_assert_cmpint(num(all.json, "in_progress.by_department." DEPT), ==, 2);
  g_assert_cmpint(num(all.json, "due.total"), ==, 2);
  json_t *due = json_object_get(json_object_get(all.json, "due"), "cases");
  g_assert_cmpuint(json_array_size(due), ==, 2);
  json_t *c1 = json_array_get(due, 0);
  g_assert_cmpstr(json_string_value(json_object_get(c1, "case_number")), ==, "C1");
  g_assert_cmpstr(json_string_value(json_object_get(c1, "warning_level")), ==, "red");
  g_assert_true(json_integer_value(json_object_get(c1, "id")) > 0);
  /* due at 24:00 of the date in the hall's zone: the next day's 00:00 +08:00 */
  const char *due_at = json_string_value(json_object_get(c1, "due_at"));
  g_assert_nonnull(due_at);
  hw_time_ns due_ns = 0;
  g_assert_cmpint(hw_time_parse(due_at, &due_ns), ==, 0);
  g_autofree char *due_day = date_of(f, due_ns - 1);
  g_assert_cmpstr(due_day, ==, day);

  g_auto(Answer) ha = get(f, &sup_ha, path, 200);
  g_assert_cmpint(num(ha.json, "in_progress.total"), ==, 3); /* C1, C2, C4 */
  g_assert_cmpint(num(ha.json, "due.total"), ==, 1);
  g_auto(Answer) d = get(f, &sup_d, path, 200);
  g_assert_cmpint(num(d.json, "in_progress.total"), ==, 2); /* C3, C4 */
  g_assert_cmpint(num(d.json, "due.total"), ==, 1);
  g_autofree char *d_text = json_dumps(d.json, JSON_COMPACT);
  g_assert_null(strstr(d_text, "\"C1\""));

  /* the next day: nothing due (C2 and C4 are due in 10 working days) */
  g_autoptr(HwCalendar) cal = hw_calendar_source_get(f->cal, NULL);
  hw_date next = hw_calendar_date_of(cal, t) + 1;
  char next_text[16];
  g_autofree char *next_path =
      g_strdup_printf("/api/v1/cases/summary?date=%s", hw_date_format(next, next_text, 16));
  g_auto(Answer) later = get(f, &sup, next_path, 200);
  g_assert_cmpint(num(later.json, "due.total"), ==, 0);

  /* completing C1 takes it out of both counts */
  char when[48];
  hw_time_format(hw_time_now(), when, sizeof when);
  g_autofree char *done = g_strdup_printf(
      "{\"records\":[{\"type\":\"stage_event\",\"department\":\"" DEPT "\",\"case_number\":"
      "\"C1\",\"event_id\":\"EV-C1-done\",\"stage\":\"completed\",\"time\":\"%s\","
      "\"outcome\":\"certificate_issued\",\"opinion\":\"ok\"}]}",
      when);
  g_auto(Answer) posted = post_batch(f->port, f->token, done, 0);
  g_assert_cmpint(posted.status, ==, 200);
  g_auto(Answer) after = get(f, &sup, path, 200);
  g_assert_cmpint(num(after.json, "in_progress.total"), ==, 3);
  g_assert_cmpint(num(after.json, "due.total"), ==, 1);

  bad(f, &sup, "/api/v1/cases/summary?date=2026-13-01", "date");
  bad(f, &sup, "/api/v1/cases/summary?date=tomorrow", "date");
  g_auto(Answer) no = get(f, &hm, "/api/v1/cases/summary", 403);
  g_auto(Answer) today = get(f, &sup, "/api/v1/cases/summary", 200); /* default: today */
  g_assert_nonnull(json_string_value(json_object_get(today.json, "date")));
}

/* Each window's latest case accepted today, within the caller's halls and departments. */
static void test_windows(Fixture *f, gconstpointer data)
{
  g_auto(Session) sup = {0}, sup_ha = {0}, sup_d = {0};
  user(f, "sup", "supervisor", NULL, NULL, &sup);
  user(f, "sup-ha", "supervisor", "hall", "HA", &sup_ha);
  user(f, "sup-d", "supervisor", "department", DEPT, &sup_d);
  hw_time_ns t = post_cases(f);
  g_autofree char *then = date_of(f, t), *now = date_of(f, hw_time_now());
  bool same_day = strcmp(then, now) == 0; /* not when the test runs across midnight */

  g_auto(Answer) all = get(f, &sup, "/api/v1/status/windows", 200);
  g_assert_cmpuint(json_array_size(all.json), ==, 2);
  json_t *wa = json_array_get(all.json, 0), *wb = json_array_get(all.json, 1);
  g_assert_cmpstr(json_string_value(json_object_get(wa, "hall")), ==, "HA");
  g_assert_cmpint(json_integer_value(json_object_get(wa, "id")), ==, f->window_a);
  if (same_day) {
    json_t *cur = json_object_get(wa, "current_case");
    g_assert_cmpstr(json_string_value(json_object_get(cur, "case_number")), ==, "C4");
    g_assert_cmpstr(json_string_value(json_object_get(cur, "department")), ==, OTHER);
    g_assert_nonnull(strstr(json_string_value(json_object_get(cur, "item_name")), "C4"));
    g_assert_cmpstr(
        json_string_value(json_object_get(json_object_get(wb, "current_case"), "case_number")),
        ==, "C3");
  }
  g_auto(Answer) ha = get(f, &sup_ha, "/api/v1/status/windows", 200);
  g_assert_cmpuint(json_array_size(ha.json), ==, 1);
  g_auto(Answer) d = get(f, &sup_d, "/api/v1/status/windows", 200);
  g_assert_cmpuint(json_array_size(d.json), ==, 2);
  if (same_day) {
    /* DEPT's latest at HA is C2; at HB it has none */
    json_t *cur = json_object_get(json_array_get(d.json, 0), "current_case");
    g_assert_cmpstr(json_string_value(json_object_get(cur, "case_number")), ==, "C2");
    g_assert_true(json_is_null(json_object_get(json_array_get(d.json, 1), "current_case")));
  }
}

/* The stage events at the windows a camera covered, scoped; bad ranges 400; another hall's
 * camera 404. */
static void test_camera_events(Fixture *f, gconstpointer data)
{
  g_auto(Session) sup = {0}, sup_ha = {0}, sup_d = {0};
  user(f, "sup", "supervisor", NULL, NULL, &sup);
  user(f, "sup-ha", "supervisor", "hall", "HA", &sup_ha);
  user(f, "sup-d", "supervisor", "department", DEPT, &sup_d);
  hw_time_ns t = post_cases(f);
  char from[48], to[48];
  hw_time_format(t - 600 * HW_NS_PER_S, from, sizeof from);
  hw_time_format(t + 600 * HW_NS_PER_S, to, sizeof to);
  g_autofree char *path_a =
      g_strdup_printf("/api/v1/cameras/cam-a/events?from=%s&to=%s", from, to);
  g_autofree char *path_b =
      g_strdup_printf("/api/v1/cameras/cam-b/events?from=%s&to=%s", from, to);

  g_auto(Answer) all = get(f, &sup, path_a, 200);
  json_t *ev = json_object_get(all.json, "events");
  g_assert_cmpuint(json_array_size(ev), ==, 3); /* C1, C2, C4 at HA's W1, in time order */
  const char *want[] = {"C1", "C2", "C4"};
  for (size_t i = 0; i < 3; i++) {
    json_t *e = json_array_get(ev, i);
    g_assert_cmpstr(json_string_value(json_object_get(e, "case_number")), ==, want[i]);
    g_assert_cmpstr(json_string_value(json_object_get(e, "stage")), ==, "accepted");
    g_assert_cmpstr(json_string_value(json_object_get(e, "window")), ==, "W1");
  }
  g_assert_false(json_is_true(json_object_get(all.json, "truncated")));
  g_auto(Answer) d = get(f, &sup_d, path_a, 200);
  g_assert_cmpuint(json_array_size(json_object_get(d.json, "events")), ==, 2);
  g_auto(Answer) hb = get(f, &sup_ha, path_b, 404);
  g_auto(Answer) b = get(f, &sup, path_b, 200);
  g_assert_cmpuint(json_array_size(json_object_get(b.json, "events")), ==, 1);

  /* an event that names the window but no hall happened at its case's hall (C1's, HA) */
  char later[48];
  hw_time_format(t + 5 * HW_NS_PER_S, later, sizeof later);
  g_autofree char *body = g_strdup_printf(
      "{\"records\":[{\"type\":\"stage_event\",\"department\":\"%s\",\"case_number\":\"C1\","
      "\"event_id\":\"EV-C1-u\",\"stage\":\"undertaken\",\"time\":\"%s\",\"window\":\"W1\"}]}",
      DEPT, later);
  g_auto(Answer) posted = post_batch(f->port, f->token, body, 0);
  g_assert_cmpint(posted.status, ==, 200);
  g_auto(Answer) with_u = get(f, &sup, path_a, 200);
  json_t *ev4 = json_object_get(with_u.json, "events");
  g_assert_cmpuint(json_array_size(ev4), ==, 4);
  json_t *u = json_array_get(ev4, 3);
  g_assert_cmpstr(json_string_value(json_object_get(u, "stage")), ==, "undertaken");
  g_assert_cmpstr(json_string_value(json_object_get(u, "case_number")), ==, "C1");
  g_assert_cmpstr(json_string_value(json_object_get(u, "hall")), ==, "HA");
  g_auto(Answer) b2 = get(f, &sup, path_b, 200); /* not at HB's W1 */
  g_assert_cmpuint(json_array_size(json_object_get(b2.json, "events")), ==, 1);

  /* before the camera covered the window: nothing */
  char early_from[48], early_to[48];
  hw_time_format(t - 3 * 3600 * HW_NS_PER_S, early_from, sizeof early_from);
  hw_time_format(t - 2 * 3600 * HW_NS_PER_S, early_to, sizeof early_to);
  g_autofree char *early =
      g_strdup_printf("/api/v1/cameras/cam-a/events?from=%s&to=%s", early_from, early_to);
  g_auto(Answer) none = get(f, &sup, early, 200);
  g_assert_cmpuint(json_array_size(json_object_get(none.json, "events")), ==, 0);

  bad(f, &sup, "/api/v1/cameras/cam-a/events", "from");
  g_autofree char *backwards =
      g_strdup_printf("/api/v1/cameras/cam-a/events?from=%s&to=%s", to, from);
  bad(f, &sup, backwards, "to");
  g_autofree char *garbage = g_strdup_printf("/api/v1/cameras/cam-a/events?from=yesterday&to=%s", to);
  bad(f, &sup, garbage, "from");
}

/* One indexed file of camera: [start, start + 60 s), size bytes. */
static int64_t add_file(Fixture *f, const char *camera, hw_time_ns start, int64_t size)
{
  static int serial;
  HwStoreFile file = {.width = 1280, .height = 720, .start_ns = start,
                      .end_ns = start + 60 * HW_NS_PER_S, .size = size, .run_id = 1};
  g_strlcpy(file.camera, camera, sizeof file.camera);
  g_strlcpy(file.stream, "main", sizeof file.stream);
  g_snprintf(file.path, sizeof file.path, "%s/%d.mp4", camera, ++serial);
  g_strlcpy(file.codec, "h264", sizeof file.codec);
  g_strlcpy(file.clock_mode, "local", sizeof file.clock_mode);
  int64_t id = 0;
  g_assert_true(hw_store_file_insert(f->store, &file, &id, NULL));
  return id;
}

/* Footage totals (kept by triggers through insert, growth and delete), the horizon per camera
 * and overall, held bytes, the limits in force, the disk; a hall-limited user sees its hall's
 * cameras only. */
static void test_storage(Fixture *f, gconstpointer data)
{
  g_auto(Session) sup = {0}, sup_ha = {0}, admin = {0}, inv = {0};
  user(f, "sup", "supervisor", NULL, NULL, &sup);
  user(f, "sup-ha", "supervisor", "hall", "HA", &sup_ha);
  user(f, "admin", "admin", NULL, NULL, &admin);
  user(f, "inv", "investigator", NULL, NULL, &inv);
  hw_time_ns t0 = 1760000000 * HW_NS_PER_S; /* 2025-10-09 */
  int64_t a1 = add_file(f, "cam-a", t0, 100);
  add_file(f, "cam-a", t0 + 60 * HW_NS_PER_S, 200);
  add_file(f, "cam-a", t0 + 120 * HW_NS_PER_S, 300);
  add_file(f, "cam-b", t0 - 86400 * HW_NS_PER_S, 1000);
  add_file(f, "cam-b", t0, 2000);
  /* a live hold over cam-a's second file, and a released one over its first */
  HwStoreHold hold = {.from_ns = t0 + 70 * HW_NS_PER_S, .to_ns = t0 + 80 * HW_NS_PER_S};
  g_strlcpy(hold.camera, "cam-a", sizeof hold.camera);
  g_assert_true(hw_store_hold_add(f->store, &hold, NULL, NULL));
  HwStoreHold old = {.from_ns = t0, .to_ns = t0 + 10 * HW_NS_PER_S};
  g_strlcpy(old.camera, "cam-a", sizeof old.camera);
  int64_t old_id = 0;
  g_assert_true(hw_store_hold_add(f->store, &old, &old_id, NULL));
  g_assert_true(hw_store_hold_release(f->store, old_id, NULL));

  g_auto(Answer) all = get(f, &sup, "/api/v1/status/storage", 200);
  g_assert_cmpint(num(all.json, "footage.files"), ==, 5);
  g_assert_cmpint(num(all.json, "footage.bytes"), ==, 3600);
  char want[48];
  g_assert_cmpstr(json_string_value(json_object_get(json_object_get(all.json, "footage"), "oldest")),
                  ==, hw_time_format(t0 - 86400 * HW_NS_PER_S, want, sizeof want));
  json_t *cams = json_object_get(all.json, "cameras");
  g_assert_cmpuint(json_array_size(cams), ==, 2);
  g_assert_cmpstr(json_string_value(json_object_get(json_array_get(cams, 0), "oldest")), ==,
                  hw_time_format(t0, want, sizeof want));
  g_assert_cmpstr(json_string_value(json_object_get(json_array_get(cams, 0), "hall")), ==, "HA");
  g_assert_cmpint(num(all.json, "held.bytes"), ==, 200);
  g_assert_cmpint(num(all.json, "held.files"), ==, 1);
  g_assert_cmpint(num(all.json, "retention.days"), ==, 30);
  g_assert_cmpint(num(all.json, "retention.min_free_bytes"), ==, INT64_C(1) << 30);
  g_assert_true(num(all.json, "disk.total_bytes") > 0);
  g_assert_true(num(all.json, "disk.free_bytes") <= num(all.json, "disk.total_bytes"));

  g_auto(Answer) ha = get(f, &sup_ha, "/api/v1/status/storage", 200);
  g_assert_cmpint(num(ha.json, "footage.files"), ==, 3);
  g_assert_cmpint(num(ha.json, "footage.bytes"), ==, 600);
  g_assert_cmpuint(json_array_size(json_object_get(ha.json, "cameras")), ==, 1);
  g_autofree char *ha_text = json_dumps(ha.json, JSON_COMPACT);
  g_assert_null(strstr(ha_text, "cam-b"));
  g_auto(Answer) by_admin = get(f, &admin, "/api/v1/status/storage", 200);
  g_auto(Answer) no = get(f, &inv, "/api/v1/status/storage", 403);

  /* the totals follow the index: a file grows, one is deleted (retention); the horizon moves */
  g_assert_true(hw_store_file_close(f->store, a1, 150, t0 + 60 * HW_NS_PER_S,
                                    "0000000000000000000000000000000000000000000000000000000000000000",
                                    NULL));
  int64_t used = 0;
  g_assert_true(hw_store_usage(f->store, "cam-a", &used, NULL, NULL));
  g_assert_cmpint(used, ==, 650);
  g_assert_true(hw_store_file_delete(f->store, a1, NULL));
  g_auto(Answer) later = get(f, &sup_ha, "/api/v1/status/storage", 200);
  g_assert_cmpint(num(later.json, "footage.files"), ==, 2);
  g_assert_cmpint(num(later.json, "footage.bytes"), ==, 500);
  g_assert_cmpstr(
      json_string_value(json_object_get(json_object_get(later.json, "footage"), "oldest")), ==,
      hw_time_format(t0 + 60 * HW_NS_PER_S, want, sizeof want));
  g_assert_true(hw_store_usage(f->store, NULL, &used, NULL, NULL));
  g_assert_cmpint(used, ==, 3500);
}

/* Every statement reads an index (or the small totals and windows tables), never a whole table
 * that grows with footage or cases. */
static void test_plans(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *plans = hw_store_dashboard_plans(f->store, &error);
  g_assert_no_error(error);
  g_test_message("%s", plans);
  g_auto(GStrv) lines = g_strsplit(plans, "\n", -1);
  for (size_t i = 0; lines[i]; i++) {
    const char *l = lines[i];
    if (!g_str_has_prefix(l, "SCAN "))
      continue;
    bool small = g_str_has_prefix(l, "SCAN t") || g_str_has_prefix(l, "SCAN w") ||
                 strstr(l, "USING INDEX holds_live") || strstr(l, "COVERING INDEX cases_in_progress");
    if (!small)
      g_error("a dashboard query scans a table: %s\n%s", l, plans);
  }
  g_assert_nonnull(strstr(plans, "cases_by_promised_due"));
  g_assert_nonnull(strstr(plans, "files_by_camera_start"));
  g_assert_nonnull(strstr(plans, "cases_by_window"));
  g_assert_nonnull(strstr(plans, "stage_events_by_window"));
}

/* A database of the previous version with footage: the migration fills the totals from the rows
 * already indexed, and the triggers keep them from then on. */
static void test_migrates_previous_version(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("hw-dashboard-mig-XXXXXX", &error);
  g_autofree char *db = g_build_filename(dir, "hallwatch.db", NULL);
  size_t before = 0;
  while (before < hw_store_n_migrations &&
         strstr(hw_store_migrations[before].name, "dashboard") == NULL)
    before++;
  g_assert_cmpuint(before, <, hw_store_n_migrations);
  HwStore *old = hw_store_open_with_migrations(db, hw_store_migrations, before, &error);
  g_assert_no_error(error);
  Fixture f = {.store = old};
  hw_time_ns t0 = 1760000000 * HW_NS_PER_S;
  add_file(&f, "cam-x", t0, 1000);
  add_file(&f, "cam-x", t0 + 60 * HW_NS_PER_S, 2000);
  add_file(&f, "cam-y", t0 - 60 * HW_NS_PER_S, 500);
  hw_store_close(old);
  f.store = hw_store_open(db, &error);
  g_assert_no_error(error);
  g_autofree HwStoreCameraFootage *cams = NULL;
  size_t n = 0;
  g_assert_true(hw_store_footage_by_camera(f.store, NULL, &cams, &n, &error));
  g_assert_cmpuint(n, ==, 2);
  g_assert_cmpstr(cams[0].camera, ==, "cam-x");
  g_assert_cmpint(cams[0].files, ==, 2);
  g_assert_cmpint(cams[0].bytes, ==, 3000);
  g_assert_cmpint(cams[1].oldest_ns, ==, t0 - 60 * HW_NS_PER_S);
  add_file(&f, "cam-y", t0, 250);
  int64_t used = 0;
  g_assert_true(hw_store_usage(f.store, "cam-y", &used, NULL, &error));
  g_assert_cmpint(used, ==, 750);
  hw_store_close(f.store);
  test_remove_dir(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define T(name, fn) g_test_add("/cases/dashboard/" name, Fixture, NULL, setup, fn, teardown)
  T("warnings_summary", test_warnings_summary);
  T("cases_summary", test_cases_summary);
  T("windows", test_windows);
  T("camera_events", test_camera_events);
  T("storage", test_storage);
  T("plans", test_plans);
  g_test_add_func("/cases/dashboard/migrates_previous_version", test_migrates_previous_version);
  return g_test_run();
}
