/* Warnings (cases/hw_warnings.h, web/warnings.c) with real parts: a real store, the real HTTP
 * server on loopback, department tokens posting batches through the exchange API (which
 * evaluates the touched cases after commit), supervisors signed in with sessions, and the
 * engine's timer queue driven by an injected clock (no sleeps): each deadline rule fires at the
 * instant hw_deadline says, not a nanosecond before; suspensions stop it; completion closes;
 * the conduct rules; close with a note; notices round trip; scope; footage holds and retention. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>

#include "audit/hw_audit.h"
#include "cases/hw_calendar_store.h"
#include "cases/hw_deadline.h"
#include "cases/hw_warnings.h"
#include "sql/hw_store.h"
#include "sql/hw_store_auth.h"
#include "sql/hw_store_warnings.h"
#include "tests/cases/helpers.h"
#include "web/hw_auth.h"
#include "web/hw_http.h"

#define DEPT "440303-MZJ"
#define OTHER "440303-GAJ"

static hw_time_ns T(const char *rfc3339)
{
  hw_time_ns t = 0;
  g_assert_cmpint(hw_time_parse(rfc3339, &t), ==, 0);
  return t;
}

/* ---- the fixture ------------------------------------------------------------------------------ */

typedef struct {
  char *dir, *db;
  HwStore *store;
  HwCalendarSource *cal;
  HwWarnings *warnings;
  HwAudit *audit;
  HwHttp *http;
  int port;
  char *token, *other_token;
  hw_time_ns now; /* the injected clock */
} Fixture;

static gint wakes;

static void count_wake(void *user)
{
  g_atomic_int_inc(&wakes);
}

static hw_time_ns fake_clock(void *user) { return ((Fixture *)user)->now; }

static HwCameraStatus *no_cameras(void *user, size_t *ret_n)
{
  *ret_n = 0;
  return NULL;
}

static char *make_token(HwStore *store, const char *department)
{
  char *token = hw_auth_token_new("hwt_");
  char hash[65];
  hw_auth_token_hash(token, hash);
  g_autoptr(GError) error = NULL;
  g_assert_true(
      hw_store_token_add(store, department, "approval system", hash, hw_time_now(), NULL, &error));
  return token;
}

static void setup(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp("hw-warnings-XXXXXX", &error);
  g_assert_no_error(error);
  f->db = g_build_filename(f->dir, "hallwatch.db", NULL);
  f->store = hw_store_open(f->db, &error);
  g_assert_no_error(error);
  bool seeded;
  g_assert_true(hw_calendar_seed_shipped(f->store, &seeded, &error));
  f->cal = hw_calendar_source_new(f->store, "Asia/Shanghai");
  HwWarningsConfig cfg;
  hw_warnings_config_init(&cfg);
  f->warnings = hw_warnings_new(f->store, f->cal, &cfg, fake_clock, f);
  g_assert_true(hw_auth_init(NULL));
  f->token = make_token(f->store, DEPT);
  f->other_token = make_token(f->store, OTHER);
  HwHttpOptions o;
  hw_http_options_init(&o);
  o.status_fn = no_cameras;
  o.store = f->store;
  o.warnings = f->warnings;
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

/* ---- HTTP ------------------------------------------------------------------------------------- */

/* One request: bearer (a token) or s (a session) or neither; body NULL for none. */
static Answer http(Fixture *f, const char *method, const char *path, const char *bearer,
                   const Session *s, const char *body)
{
  return test_http(f->port, method, path, bearer, s ? s->cookie : NULL, s ? s->csrf : NULL, body);
}

/* A supervisor limited to department `dept`, signed in. */
static void supervisor(Fixture *f, const char *name, const char *dept, Session *ret)
{
  test_user(f->store, f->port, name, "supervisor", "department", dept, ret);
}

/* Posts records (a JSON array text) as a batch of token's department at the injected now. */
static void post_records(Fixture *f, const char *token, const char *records)
{
  g_autofree char *body = g_strdup_printf("{\"records\": %s}", records);
  g_auto(Answer) a = http(f, "POST", "/api/v1/exchange/batch", token, NULL, body);
  if (a.status != 200) {
    g_autofree char *s = json_dumps(a.json, JSON_INDENT(2));
    g_error("batch: %d %s", a.status, s);
  }
}

static char *case_record(const char *number, const char *accepted, int promised, int statutory,
                         const char *extra)
{
  return g_strdup_printf(
      "{\"type\":\"case\",\"department\":\"" DEPT "\",\"case_number\":\"%s\",\"version\":1,"
      "\"item_code\":\"ITEM1\",\"item_name\":\"社会团体成立登记\",\"applicant_type\":\"company\","
      "\"applicant_name\":\"某协会\",\"hall\":\"LH-01\",\"window\":\"W07\","
      "\"accepted_at\":\"%s\",\"acceptance\":\"accepted\",\"statutory_limit\":%d,"
      "\"statutory_limit_unit\":\"working_days\",\"promised_limit\":%d,"
      "\"promised_limit_unit\":\"working_days\",\"secrecy\":\"none\"%s}",
      number, accepted, statutory, promised, extra ? extra : "");
}

static char *stage(const char *number, const char *event_id, const char *stage, const char *time,
                   const char *extra)
{
  return g_strdup_printf("{\"type\":\"stage_event\",\"department\":\"" DEPT "\","
                         "\"case_number\":\"%s\",\"event_id\":\"%s\",\"stage\":\"%s\","
                         "\"time\":\"%s\",\"hall\":\"LH-01\",\"window\":\"W07\"%s}",
                         number, event_id, stage, time, extra ? extra : "");
}

/* The open warnings of the department, as "rule:level" joined by spaces, oldest first. */
static char *open_rules(Fixture *f, const Session *s)
{
  g_auto(Answer) a = http(f, "GET", "/api/v1/warnings?state=open", NULL, s, NULL);
  g_assert_cmpint(a.status, ==, 200);
  json_t *list = json_object_get(a.json, "warnings");
  GString *out = g_string_new(NULL);
  for (size_t i = json_array_size(list); i-- > 0;) {
    json_t *w = json_array_get(list, i);
    g_string_append_printf(out, "%s%s:%s", out->len ? " " : "",
                           json_string_value(json_object_get(w, "rule")),
                           json_string_value(json_object_get(w, "level")));
  }
  return g_string_free(out, FALSE);
}

static size_t run_at(Fixture *f, hw_time_ns t)
{
  f->now = t;
  size_t raised = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_warnings_run_due(f->warnings, &raised, &error));
  g_assert_no_error(error);
  return raised;
}

/* The audit rows of action: "actor role object_id" each, joined by "; ". */
static char *audit_rows(Fixture *f, const char *action)
{
  HwAuditFilter filter = {.action = action};
  g_autofree HwAuditRow *rows = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_store_audit_query(f->store, &filter, &rows, &n, &error));
  GString *s = g_string_new(NULL);
  for (size_t i = 0; i < n; i++)
    g_string_append_printf(s, "%s%s %s %s", i ? "; " : "", rows[i].actor, rows[i].role,
                           rows[i].object_id);
  return g_string_free(s, FALSE);
}

/* ---- tests ------------------------------------------------------------------------------------ */

/* A case accepted Mon 2026-03-02 10:00 (Shanghai), promised 6 working days (due Tue 10, i.e.
 * 24:00 = 2026-03-10T16:00Z), statutory 7 (due 2026-03-11T16:00Z). Time alone raises: yellow at
 * 2/3 used (4 of 6: end of Fri 6), stage_long (5 working days after Mon 2: end of Mon 9), red at
 * the promised due (superseding the yellow), red statutory; each exactly at its instant. */
static void test_deadline_timer(Fixture *f, gconstpointer data)
{
  g_auto(Session) sup = {0};
  supervisor(f, "zhang", DEPT, &sup);
  f->now = T("2026-03-02T10:05:00+08:00");
  g_autofree char *c = case_record("C1", "2026-03-02T10:00:00+08:00", 6, 7, NULL);
  g_autofree char *s1 =
      stage("C1", "E1", "ticket_called", "2026-03-02T09:50:00+08:00", ",\"queue_ticket\":\"A031\"");
  g_autofree char *s2 = stage("C1", "E2", "accepted", "2026-03-02T10:00:00+08:00", NULL);
  g_autofree char *batch = g_strdup_printf("[%s,%s,%s]", c, s1, s2);
  hw_warnings_set_wake(f->warnings, count_wake, NULL);
  g_atomic_int_set(&wakes, 0);
  post_records(f, f->token, batch);
  g_autofree char *none = open_rules(f, &sup);
  g_assert_cmpstr(none, ==, "");
  /* the first instant queued: the daemon's timer is told to re-arm */
  g_assert_cmpint(g_atomic_int_get(&wakes), ==, 1);

  struct {
    const char *at, *rules;
  } steps[] = {
      {"2026-03-07T00:00:00+08:00", "promised_near:yellow"},
      {"2026-03-10T00:00:00+08:00", "promised_near:yellow stage_long:yellow"},
      {"2026-03-11T00:00:00+08:00", "stage_long:yellow promised_late:red"},
      {"2026-03-12T00:00:00+08:00", "stage_long:yellow promised_late:red statutory_late:red"},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(steps); i++) {
    hw_time_ns at = T(steps[i].at);
    g_assert_cmpint(hw_warnings_next(f->warnings), ==, at);
    g_assert_cmpuint(run_at(f, at - 1), ==, 0); /* a nanosecond early: nothing */
    g_assert_cmpuint(run_at(f, at), ==, 1);
    g_autofree char *got = open_rules(f, &sup);
    g_assert_cmpstr(got, ==, steps[i].rules);
  }
  g_assert_cmpint(hw_warnings_next(f->warnings), ==, HW_TIME_OPEN);

  /* the yellow was superseded, with its history kept */
  g_auto(Answer) all =
      http(f, "GET", "/api/v1/warnings?state=all&rule=promised_near", NULL, &sup, NULL);
  json_t *y = json_array_get(json_object_get(all.json, "warnings"), 0);
  g_assert_cmpstr(json_string_value(json_object_get(y, "closed_by")), ==, "superseded");
  g_autofree char *path = g_strdup_printf("/api/v1/warnings/%lld",
                                          (long long)json_integer_value(json_object_get(y, "id")));
  g_auto(Answer) one = http(f, "GET", path, NULL, &sup, NULL);
  json_t *h = json_object_get(one.json, "history");
  g_assert_cmpuint(json_array_size(h), ==, 2);
  g_assert_cmpstr(json_string_value(json_object_get(json_array_get(h, 0), "action")), ==, "raised");
  g_assert_cmpstr(json_string_value(json_object_get(json_array_get(h, 1), "action")), ==,
                  "superseded");
  /* counts for the dashboard: open ones by department and level */
  g_auto(Answer) list = http(f, "GET", "/api/v1/warnings", NULL, &sup, NULL);
  json_t *counts = json_object_get(json_object_get(list.json, "counts"), DEPT);
  g_assert_cmpint(json_integer_value(json_object_get(counts, "red")), ==, 2);
  g_assert_cmpint(json_integer_value(json_object_get(counts, "yellow")), ==, 1);

  /* keyset paging, newest first: 3 then the last one */
  g_auto(Answer) p1 = http(f, "GET", "/api/v1/warnings?state=all&limit=3", NULL, &sup, NULL);
  json_t *rows1 = json_object_get(p1.json, "warnings");
  g_assert_cmpuint(json_array_size(rows1), ==, 3);
  json_int_t before = json_integer_value(json_object_get(p1.json, "next_before"));
  g_assert_cmpint(before, ==, json_integer_value(json_object_get(json_array_get(rows1, 2), "id")));
  g_assert_cmpint(json_integer_value(json_object_get(json_array_get(rows1, 0), "id")), >, before);
  g_autofree char *page2 =
      g_strdup_printf("/api/v1/warnings?state=all&limit=3&before=%lld", (long long)before);
  g_auto(Answer) p2 = http(f, "GET", page2, NULL, &sup, NULL);
  json_t *rows2 = json_object_get(p2.json, "warnings");
  g_assert_cmpuint(json_array_size(rows2), ==, 1);
  g_assert_cmpstr(json_string_value(json_object_get(json_array_get(rows2, 0), "rule")), ==,
                  "promised_near");
  g_assert_true(json_is_null(json_object_get(p2.json, "next_before")));
  /* one case's warnings (the case view) */
  g_autofree char *of_case = g_strdup_printf(
      "/api/v1/warnings?state=all&case_id=%lld",
      (long long)json_integer_value(json_object_get(json_array_get(rows2, 0), "case_id")));
  g_auto(Answer) pc = http(f, "GET", of_case, NULL, &sup, NULL);
  g_assert_cmpuint(json_array_size(json_object_get(pc.json, "warnings")), ==, 4);
  g_auto(Answer) pn = http(f, "GET", "/api/v1/warnings?state=all&case_id=999", NULL, &sup, NULL);
  g_assert_cmpuint(json_array_size(json_object_get(pn.json, "warnings")), ==, 0);
  g_auto(Answer) bad = http(f, "GET", "/api/v1/warnings?level=orange", NULL, &sup, NULL);
  g_assert_cmpint(bad.status, ==, 400);

  /* completion closes the deadline warnings (the rest of the conduct rules: none here) */
  f->now = T("2026-03-12T09:00:00+08:00");
  g_autofree char *s3 = stage("C1", "E3", "approved", "2026-03-12T08:00:00+08:00", NULL);
  g_autofree char *s4 = stage("C1", "E4", "completed", "2026-03-12T08:30:00+08:00",
                              ",\"outcome\":\"certificate_issued\"");
  g_autofree char *done = g_strdup_printf("[%s,%s]", s3, s4);
  post_records(f, f->token, done);
  g_autofree char *after = open_rules(f, &sup);
  g_assert_cmpstr(after, ==, "");
  g_auto(Answer) closed =
      http(f, "GET", "/api/v1/warnings?state=closed&rule=statutory_late", NULL, &sup, NULL);
  json_t *w = json_array_get(json_object_get(closed.json, "warnings"), 0);
  g_assert_cmpstr(json_string_value(json_object_get(w, "closed_by")), ==, "case_completed");
}

/* An open supplement request (补正) stops the clock: no timer, nothing raised however late it
 * gets; when the supplement arrives the yellow is due exactly where the suspension put it. */
static void test_suspension_stops_clock(Fixture *f, gconstpointer data)
{
  g_auto(Session) sup = {0};
  supervisor(f, "zhang", DEPT, &sup);
  f->now = T("2026-03-03T11:00:00+08:00");
  g_autofree char *c = case_record("C2", "2026-03-02T10:00:00+08:00", 6, 20, NULL);
  g_autofree char *s1 =
      stage("C2", "E1", "supplement_requested", "2026-03-03T10:00:00+08:00", NULL);
  g_autofree char *batch = g_strdup_printf("[%s,%s]", c, s1);
  post_records(f, f->token, batch);
  g_assert_cmpint(hw_warnings_next(f->warnings), ==, HW_TIME_OPEN);
  g_assert_cmpuint(run_at(f, T("2026-04-30T00:00:00+08:00")), ==, 0);
  g_autofree char *s2 = stage("C2", "E2", "supplement_received", "2026-03-20T10:00:00+08:00", NULL);
  g_autofree char *b2 = g_strdup_printf("[%s]", s2);
  f->now = T("2026-03-20T10:01:00+08:00");
  post_records(f, f->token, b2);
  g_autofree char *none = open_rules(f, &sup);
  g_assert_cmpstr(none, ==, "");
  /* Tue 3 counted (start day), 4..20 stopped, Mon 23 (2) Tue 24 (3) Wed 25 (4): 2/3 of 6 used at
   * the end of Wed 25 */
  g_assert_cmpint(hw_warnings_next(f->warnings), ==, T("2026-03-26T00:00:00+08:00"));
  g_assert_cmpuint(run_at(f, T("2026-03-26T00:00:00+08:00")), ==, 1);
  g_autofree char *y = open_rules(f, &sup);
  g_assert_cmpstr(y, ==, "promised_near:yellow");
}

/* The conduct rules, on the pure evaluator: each raises its red, and only when broken; a rule
 * switched off in the config stays silent. */
static void test_conduct_rules(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HwCalendar) cal = hw_calendar_new_shipped("Asia/Shanghai", &error);
  HwWarningsConfig cfg;
  hw_warnings_config_init(&cfg);
  hw_time_ns t0 = T("2026-03-02T10:00:00+08:00");
  HwStoreCase c = {.accepted_ns = t0,
                   .promised_limit = 20,
                   .statutory_limit = 20,
                   .fee_charged_fen = -1,
                   .fee_standard_fen = -1};
  strcpy(c.promised_unit, "working_days");
  strcpy(c.statutory_unit, "working_days");
  HwStoreStageEvent ev[3] = {0};
  HwWarningsVerdict v;
#define HAS(v, r) (v.n_raises == 1 && strcmp(v.raises[0].rule, r) == 0 && v.raises[0].level == 2)

  /* in time, nothing broken */
  hw_warnings_evaluate(&cfg, cal, &c, NULL, 0, 0, t0 + HW_NS_PER_S, &v);
  g_assert_cmpuint(v.n_raises, ==, 0);
  /* approved before accepted */
  strcpy(ev[0].stage, "approved");
  ev[0].time_ns = t0 - 60 * HW_NS_PER_S;
  strcpy(ev[1].stage, "accepted");
  ev[1].time_ns = t0;
  c.accepted_ns = 0;
  hw_warnings_evaluate(&cfg, cal, &c, ev, 2, 0, t0 + HW_NS_PER_S, &v);
  g_assert_true(HAS(v, "stage_order"));
  /* completed (certificate issued) without approval */
  c.accepted_ns = t0;
  strcpy(ev[0].stage, "accepted");
  ev[0].time_ns = t0;
  strcpy(ev[1].stage, "completed");
  strcpy(ev[1].outcome, "certificate_issued");
  ev[1].time_ns = t0 + 3600 * HW_NS_PER_S;
  hw_warnings_evaluate(&cfg, cal, &c, ev, 2, 0, t0 + 7200 * HW_NS_PER_S, &v);
  g_assert_true(HAS(v, "stage_order"));
  g_assert_true(v.completed);
  g_assert_cmpint(v.next_ns, ==, HW_TIME_OPEN);
  /* … with the approval before it: fine */
  strcpy(ev[1].stage, "approved");
  ev[1].time_ns = t0 + 1800 * HW_NS_PER_S;
  strcpy(ev[2].stage, "completed");
  strcpy(ev[2].outcome, "certificate_issued");
  ev[2].time_ns = t0 + 3600 * HW_NS_PER_S;
  hw_warnings_evaluate(&cfg, cal, &c, ev, 3, 0, t0 + 7200 * HW_NS_PER_S, &v);
  g_assert_cmpuint(v.n_raises, ==, 0);
  /* fee above the standard (equal is fine) */
  c.fee_standard_fen = 10000;
  c.fee_charged_fen = 10000;
  hw_warnings_evaluate(&cfg, cal, &c, ev, 3, 0, t0 + 7200 * HW_NS_PER_S, &v);
  g_assert_cmpuint(v.n_raises, ==, 0);
  c.fee_charged_fen = 10001;
  hw_warnings_evaluate(&cfg, cal, &c, ev, 3, 0, t0 + 7200 * HW_NS_PER_S, &v);
  g_assert_true(HAS(v, "fee_above_standard"));
  cfg.fee_above_standard = false;
  hw_warnings_evaluate(&cfg, cal, &c, ev, 3, 0, t0 + 7200 * HW_NS_PER_S, &v);
  g_assert_cmpuint(v.n_raises, ==, 0);
  /* rejected without a reason; with one it is fine */
  strcpy(c.result, "rejected");
  strcpy(ev[2].outcome, "completed");
  hw_warnings_evaluate(&cfg, cal, &c, ev, 3, 0, t0 + 7200 * HW_NS_PER_S, &v);
  g_assert_true(HAS(v, "rejection_without_reason"));
  ev[2].opinion = (char *)"材料不符合《社会团体登记管理条例》第十条";
  hw_warnings_evaluate(&cfg, cal, &c, ev, 3, 0, t0 + 7200 * HW_NS_PER_S, &v);
  g_assert_cmpuint(v.n_raises, ==, 0);
  /* a complaint */
  hw_warnings_evaluate(&cfg, cal, &c, ev, 3, 1, t0 + 7200 * HW_NS_PER_S, &v);
  g_assert_true(HAS(v, "complaint"));
  cfg.complaint = false;
  hw_warnings_evaluate(&cfg, cal, &c, ev, 3, 1, t0 + 7200 * HW_NS_PER_S, &v);
  g_assert_cmpuint(v.n_raises, ==, 0);
#undef HAS
}

/* Close with a note, correction notices both ways with their history, and scope: another
 * department's supervisor and token see nothing of it (404 / empty). */
static void test_close_notices_scope(Fixture *f, gconstpointer data)
{
  g_auto(Session) sup = {0};
  g_auto(Session) other = {0};
  supervisor(f, "zhang", DEPT, &sup);
  supervisor(f, "wang", OTHER, &other);
  f->now = T("2026-03-02T10:05:00+08:00");
  g_autofree char *c = case_record("C3", "2026-03-02T10:00:00+08:00", 10, 20,
                                   ",\"fee_charged_fen\":20000,\"fee_standard_fen\":10000");
  g_autofree char *batch = g_strdup_printf("[%s]", c);
  post_records(f, f->token, batch);
  g_auto(Answer) list = http(f, "GET", "/api/v1/warnings?level=red", NULL, &sup, NULL);
  json_t *w = json_array_get(json_object_get(list.json, "warnings"), 0);
  g_assert_cmpstr(json_string_value(json_object_get(w, "rule")), ==, "fee_above_standard");
  int64_t id = json_integer_value(json_object_get(w, "id"));
  g_autofree char *base = g_strdup_printf("/api/v1/warnings/%lld", (long long)id);
  g_autofree char *close = g_strdup_printf("%s/close", base);
  g_autofree char *notices = g_strdup_printf("%s/notices", base);

  /* scope: the other department's supervisor */
  g_auto(Answer) o1 = http(f, "GET", base, NULL, &other, NULL);
  g_assert_cmpint(o1.status, ==, 404);
  g_auto(Answer) o2 = http(f, "POST", close, NULL, &other, "{\"note\":\"x\"}");
  g_assert_cmpint(o2.status, ==, 404);
  g_auto(Answer) o3 = http(f, "POST", notices, NULL, &other, "{\"text\":\"x\"}");
  g_assert_cmpint(o3.status, ==, 404);
  g_auto(Answer) o4 = http(f, "GET", "/api/v1/warnings", NULL, &other, NULL);
  g_assert_cmpuint(json_array_size(json_object_get(o4.json, "warnings")), ==, 0);

  /* a notice: sent, read by the department's system, answered */
  g_auto(Answer) n1 =
      http(f, "POST", notices, NULL, &sup, "{\"text\":\"请说明超标收费原因并退还\"}");
  g_assert_cmpint(n1.status, ==, 201);
  int64_t nid = json_integer_value(json_object_get(n1.json, "id"));
  g_auto(Answer) none = http(f, "GET", "/api/v1/exchange/notices", f->other_token, NULL, NULL);
  g_assert_cmpuint(json_array_size(json_object_get(none.json, "notices")), ==, 0);
  g_auto(Answer) got = http(f, "GET", "/api/v1/exchange/notices", f->token, NULL, NULL);
  json_t *n = json_array_get(json_object_get(got.json, "notices"), 0);
  g_assert_cmpint(json_integer_value(json_object_get(n, "id")), ==, nid);
  g_assert_cmpstr(json_string_value(json_object_get(n, "text")), ==, "请说明超标收费原因并退还");
  g_autofree char *reply = g_strdup_printf("/api/v1/exchange/notices/%lld/reply", (long long)nid);
  g_auto(Answer) r0 = http(f, "POST", reply, f->other_token, NULL, "{\"text\":\"x\"}");
  g_assert_cmpint(r0.status, ==, 404);
  g_auto(Answer) r1 = http(f, "POST", reply, f->token, NULL, "{\"text\":\"已退还多收的100元\"}");
  g_assert_cmpint(r1.status, ==, 200);
  g_auto(Answer) one = http(f, "GET", base, NULL, &sup, NULL);
  json_t *nn = json_array_get(json_object_get(one.json, "notices"), 0);
  g_assert_cmpstr(json_string_value(json_object_get(nn, "state")), ==, "replied");
  g_assert_cmpstr(json_string_value(json_object_get(nn, "reply")), ==, "已退还多收的100元");
  json_t *nh = json_object_get(nn, "history");
  g_assert_cmpuint(json_array_size(nh), ==, 3);
  const char *actions[] = {"sent", "read", "replied"};
  for (size_t i = 0; i < 3; i++)
    g_assert_cmpstr(json_string_value(json_object_get(json_array_get(nh, i), "action")), ==,
                    actions[i]);

  /* close: the note is required; closing twice is a conflict; the notice closes with it */
  g_auto(Answer) c0 = http(f, "POST", close, NULL, &sup, "{\"note\":\"  \"}");
  g_assert_cmpint(c0.status, ==, 400);
  g_auto(Answer) c1 = http(f, "POST", close, NULL, &sup, "{\"note\":\"已退费，核实无误\"}");
  g_assert_cmpint(c1.status, ==, 200);
  g_assert_cmpstr(json_string_value(json_object_get(c1.json, "state")), ==, "closed");
  g_assert_cmpstr(json_string_value(json_object_get(c1.json, "close_note")), ==,
                  "已退费，核实无误");
  g_assert_cmpstr(json_string_value(json_object_get(c1.json, "closed_by")), ==, "user:zhang");
  g_auto(Answer) c2 = http(f, "POST", close, NULL, &sup, "{\"note\":\"again\"}");
  g_assert_cmpint(c2.status, ==, 409);
  g_auto(Answer) n2 = http(f, "POST", notices, NULL, &sup, "{\"text\":\"late\"}");
  g_assert_cmpint(n2.status, ==, 409); /* no notice on a closed warning */
  g_auto(Answer) after = http(f, "GET", "/api/v1/exchange/notices", f->token, NULL, NULL);
  g_assert_cmpuint(json_array_size(json_object_get(after.json, "notices")), ==, 0);
  /* each action is an audit row naming who did it */
  g_autofree char *wid = g_strdup_printf("%lld", (long long)id);
  g_autofree char *want_close = g_strdup_printf("zhang supervisor %s", wid);
  g_autofree char *got_close = audit_rows(f, "warning.close");
  g_assert_cmpstr(got_close, ==, want_close);
  g_autofree char *got_send = audit_rows(f, "notice.send");
  g_assert_cmpstr(got_send, ==, want_close);
  g_autofree char *want_reply = g_strdup_printf("approval system department %lld", (long long)nid);
  g_autofree char *got_reply = audit_rows(f, "notice.reply");
  g_assert_cmpstr(got_reply, ==, want_reply);
  /* not raised again by the next evaluation */
  f->now = T("2026-03-02T11:00:00+08:00");
  g_autofree char *s1 = stage("C3", "E1", "undertaken", "2026-03-02T10:30:00+08:00", NULL);
  g_autofree char *b2 = g_strdup_printf("[%s]", s1);
  post_records(f, f->token, b2);
  g_autofree char *open = open_rules(f, &sup);
  g_assert_cmpstr(open, ==, "");
}

static int64_t add_file(Fixture *f, const char *camera, const char *from, const char *to)
{
  HwStoreFile file = {0};
  g_strlcpy(file.camera, camera, sizeof file.camera);
  strcpy(file.stream, "main");
  g_snprintf(file.path, sizeof file.path, "%s/%s.mp4", camera, from);
  strcpy(file.codec, "h264");
  strcpy(file.clock_mode, "local");
  file.width = 640;
  file.height = 360;
  file.start_ns = T(from);
  file.run_id = 1;
  int64_t id;
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_store_camera_upsert(f->store, camera, "config", &error));
  g_assert_true(hw_store_file_insert(f->store, &file, &id, &error));
  g_assert_true(hw_store_file_close(
      f->store, id, 1000, T(to), "0000000000000000000000000000000000000000000000000000000000000000",
      &error));
  g_assert_no_error(error);
  return id;
}

/* Ids of the files retention may delete now, as a space-separated string. */
static char *deletable(Fixture *f)
{
  g_autofree HwStoreFile *files = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_store_deletable_files(f->store, NULL, f->now, 100, &files, &n, &error));
  GString *s = g_string_new(NULL);
  for (size_t i = 0; i < n; i++)
    g_string_append_printf(s, "%s%lld", s->len ? " " : "", (long long)files[i].id);
  return g_string_free(s, FALSE);
}

/* Holds: an open case holds its window interaction (叫号 09:50 → accepted 10:00, −30 s/+120 s)
 * on the camera mapped to the window then (not the one mapped later); a complaint's red holds it
 * after completion released the open-case hold, until a supervisor releases it. Retention's
 * query leaves held footage alone. */
static void test_holds(Fixture *f, gconstpointer data)
{
  g_auto(Session) sup = {0};
  supervisor(f, "zhang", DEPT, &sup);
  g_autoptr(GError) error = NULL;
  HwStoreHall hall = {0};
  strcpy(hall.code, "LH-01");
  g_assert_true(hw_store_hall_add(f->store, &hall, &error));
  HwStoreWindow win = {0};
  strcpy(win.hall, "LH-01");
  strcpy(win.code, "W07");
  strcpy(win.departments, "[]");
  int64_t wid;
  g_assert_true(hw_store_window_add(f->store, &win, &wid, &error));
  const char *cam1[] = {"cam1"}, *cam2[] = {"cam2"};
  g_assert_true(
      hw_store_window_set_cameras(f->store, wid, cam1, 1, T("2026-03-01T00:00:00+08:00"), &error));
  g_assert_true(
      hw_store_window_set_cameras(f->store, wid, cam2, 1, T("2026-03-03T00:00:00+08:00"), &error));
  g_assert_no_error(error);
  int64_t held = add_file(f, "cam1", "2026-03-02T09:55:00+08:00", "2026-03-02T10:00:00+08:00");
  int64_t free1 = add_file(f, "cam1", "2026-03-02T11:00:00+08:00", "2026-03-02T11:05:00+08:00");
  int64_t edge = add_file(f, "cam1", "2026-03-02T10:01:00+08:00", "2026-03-02T10:03:00+08:00");

  f->now = T("2026-03-02T12:00:00+08:00");
  g_autofree char *c = case_record("C4", "2026-03-02T10:00:00+08:00", 10, 20, NULL);
  g_autofree char *s1 =
      stage("C4", "E1", "ticket_called", "2026-03-02T09:50:00+08:00", ",\"queue_ticket\":\"A031\"");
  g_autofree char *s2 = stage("C4", "E2", "accepted", "2026-03-02T10:00:00+08:00", NULL);
  g_autofree char *batch = g_strdup_printf("[%s,%s,%s]", c, s1, s2);
  post_records(f, f->token, batch);
  g_autofree char *d1 = deletable(f);
  g_autofree char *want1 = g_strdup_printf("%lld", (long long)free1);
  g_assert_cmpstr(d1, ==, want1); /* held and edge (10:01-10:03 within +120 s) are kept */
  (void)held;
  (void)edge;

  /* a complaint: red, and its hold */
  g_autofree char *complaint = g_strdup(
      "[{\"type\":\"complaint\",\"department\":\"" DEPT "\",\"event_id\":\"TS1\","
      "\"case_number\":\"C4\",\"time\":\"2026-03-05T14:02:00+08:00\",\"channel\":\"phone\","
      "\"content\":\"窗口要求重复提交材料\"}]");
  f->now = T("2026-03-05T14:05:00+08:00");
  post_records(f, f->token, complaint);
  g_autofree char *rules = open_rules(f, &sup);
  g_assert_cmpstr(rules, ==, "complaint:red");
  /* completion: the open-case hold ends, the complaint's stays */
  g_autofree char *s3 = stage("C4", "E3", "approved", "2026-03-06T09:00:00+08:00", NULL);
  g_autofree char *s4 = stage("C4", "E4", "completed", "2026-03-06T10:00:00+08:00",
                              ",\"outcome\":\"certificate_issued\"");
  g_autofree char *b2 = g_strdup_printf("[%s,%s]", s3, s4);
  f->now = T("2026-03-06T10:05:00+08:00");
  post_records(f, f->token, b2);
  g_autofree int64_t *live = NULL;
  size_t n_live = 0;
  g_assert_true(hw_store_case_hold_ids(f->store, 1, "open_case", true, &live, &n_live, &error));
  g_assert_cmpuint(n_live, ==, 0);
  g_autofree char *d2 = deletable(f);
  g_assert_cmpstr(d2, ==, want1);
  /* the supervisor releases it: normal retention again */
  g_auto(Answer) list = http(f, "GET", "/api/v1/warnings", NULL, &sup, NULL);
  int64_t id = json_integer_value(
      json_object_get(json_array_get(json_object_get(list.json, "warnings"), 0), "id"));
  g_autofree char *rel = g_strdup_printf("/api/v1/warnings/%lld/release-hold", (long long)id);
  g_auto(Answer) r0 = http(f, "POST", rel, NULL, &sup, "{}");
  g_assert_cmpint(r0.status, ==, 400);
  g_auto(Answer) r1 = http(f, "POST", rel, NULL, &sup, "{\"note\":\"投诉已核实处理，录像已导出\"}");
  g_assert_cmpint(r1.status, ==, 200);
  g_assert_cmpint(json_integer_value(json_object_get(r1.json, "released")), >=, 1);
  g_auto(Answer) r2 = http(f, "POST", rel, NULL, &sup, "{\"note\":\"again\"}");
  g_assert_cmpint(r2.status, ==, 409);
  g_autofree char *want_rel = g_strdup_printf("zhang supervisor %lld", (long long)id);
  g_autofree char *got_rel = audit_rows(f, "warning.release_hold");
  g_assert_cmpstr(got_rel, ==, want_rel);
  g_autofree char *d3 = deletable(f);
  g_assert_nonnull(strstr(d3, want1));
  g_assert_cmpuint(strlen(d3), >, strlen(want1)); /* the held files are deletable now */
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add("/cases/warnings/deadline_timer", Fixture, NULL, setup, test_deadline_timer, teardown);
  g_test_add("/cases/warnings/suspension_stops_clock", Fixture, NULL, setup,
             test_suspension_stops_clock, teardown);
  g_test_add("/cases/warnings/conduct_rules", Fixture, NULL, setup, test_conduct_rules, teardown);
  g_test_add("/cases/warnings/close_notices_scope", Fixture, NULL, setup, test_close_notices_scope,
             teardown);
  g_test_add("/cases/warnings/holds", Fixture, NULL, setup, test_holds, teardown);
  return g_test_run();
}
