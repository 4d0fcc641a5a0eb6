/* The supervisors' case API over real HTTP on loopback (GET /api/v1/cases, /api/v1/cases/{id},
 * /api/v1/staff/{operator_id}/events): cases of two departments in two halls arrive through the
 * real exchange API with department tokens; users with and without scopes sign in and query.
 * Checks filters, keyset paging, scope (404 by id, absent from lists), masking per role, stages in
 * order, due dates with a suspension, and that no named query plans a full scan. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>

#include "cases/hw_exchange.h"
#include "sql/hw_store.h"
#include "sql/hw_store_auth.h"
#include "sql/hw_store_case_queries.h"
#include "sql/hw_store_dashboard.h"
#include "sql/hw_store_private.h"
#include "tests/cases/helpers.h"
#include "web/hw_auth.h"
#include "web/hw_http.h"

#define DEPT_A "440303-MZJ" /* civil affairs */
#define DEPT_B "440303-GAJ" /* public security */

/* One HTTP/1.1 request; headers are extra header lines ("Name: value\r\n…"). */
static Answer request(int port, const char *method, const char *path, const char *headers,
                      const char *body)
{
  g_autoptr(GString) raw = g_string_new(NULL);
  g_string_append_printf(raw, "%s %s HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n%s",
                         method, path, headers ? headers : "");
  if (body)
    g_string_append_printf(raw, "Content-Type: application/json\r\nContent-Length: %zu\r\n\r\n%s",
                           strlen(body), body);
  else
    g_string_append(raw, "\r\n");
  return test_http_raw(port, raw);
}

static HwCameraStatus *no_cameras(void *user, size_t *ret_n)
{
  *ret_n = 0;
  return NULL;
}

typedef struct {
  char *dir;
  HwStore *store;
  HwHttp *http;
  int port;
  char *token_a, *token_b;
} Fixture;

/* A user with a role and scopes (kind, code pairs), signed in: the cookie header line. */
static char *sign_in(Fixture *f, const char *name, const char *role, const HwStoreScope *scopes,
                     size_t n)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *hash = hw_auth_password_hash("correct horse battery", &error);
  g_assert_no_error(error);
  g_assert_true(hw_store_user_add(f->store, name, role, hash, scopes, n, NULL, &error));
  g_autofree char *body =
      g_strdup_printf("{\"username\":\"%s\",\"password\":\"correct horse battery\"}", name);
  g_auto(Answer) a = request(f->port, "POST", "/api/v1/auth/login", NULL, body);
  g_assert_cmpint(a.status, ==, 200);
  g_assert_nonnull(a.cookie);
  return g_strdup_printf("Cookie: %s\r\n", a.cookie);
}

static void post_records(Fixture *f, const char *token, json_t *records)
{
  json_t *doc = json_pack("{s:o}", "records", records);
  char *body = json_dumps(doc, JSON_COMPACT);
  json_decref(doc);
  g_autofree char *auth = g_strdup_printf("Authorization: Bearer %s\r\n", token);
  g_auto(Answer) a = request(f->port, "POST", "/api/v1/exchange/batch", auth, body);
  free(body);
  if (a.status != 200) {
    char *t = json_dumps(a.json, 0);
    g_printerr("batch: %d %s\n", a.status, t);
    free(t);
  }
  g_assert_cmpint(a.status, ==, 200);
}

static json_t *case_rec(const char *dept, const char *number, const char *hall, const char *window,
                        const char *accepted, const char *type, const char *name, const char *id)
{
  return json_pack("{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i,"
                   " s:s, s:i, s:s, s:s}",
                   "type", "case", "department", dept, "case_number", number, "version", 1,
                   "item_code", dept[7] == 'M' ? "MZ-001" : "GA-001", "item_name",
                   dept[7] == 'M' ? "社会团体成立登记" : "户口迁移", "applicant_type", type,
                   "applicant_name", name, "applicant_id_type", "身份证", "applicant_id_number", id,
                   "hall", hall, "window", window, "accepted_at", accepted, "acceptance",
                   "accepted", "statutory_limit", 20, "statutory_limit_unit", "working_days",
                   "promised_limit", 10, "promised_limit_unit", "working_days", "secrecy", "none");
}

static json_t *stage_rec(const char *dept, const char *number, const char *event_id,
                         const char *stage, const char *time, const char *operator_id)
{
  json_t *o = json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "stage_event",
                        "department", dept, "case_number", number, "event_id", event_id, "stage",
                        stage, "time", time, "operator_id", operator_id, "operator_name", "李敏");
  if (strcmp(stage, "completed") == 0)
    json_object_set_new(o, "outcome", json_string("certificate_issued"));
  return o;
}

/* Department A: 30 cases in hall H1 (window W01), one a day from 2026-03-02; department B: 10
 * cases in hall H2. Stage events by operator MZ0457 in A. Case A-00 (the first) has a supplement
 * request and its return. */
static void setup(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp("hw-case-queries-XXXXXX", &error);
  g_assert_no_error(error);
  g_autofree char *db = g_build_filename(f->dir, "hallwatch.db", NULL);
  f->store = hw_store_open(db, &error);
  g_assert_no_error(error);
  g_assert_true(hw_auth_init(NULL));
  f->token_a = test_make_token(f->store, DEPT_A);
  f->token_b = test_make_token(f->store, DEPT_B);
  HwHttpOptions o;
  hw_http_options_init(&o);
  o.status_fn = no_cameras;
  o.store = f->store;
  f->http = hw_http_new(&o, &error);
  g_assert_no_error(error);
  f->port = hw_http_port(f->http);

  json_t *a = json_array();
  for (int i = 0; i < 30; i++) {
    g_autofree char *num = g_strdup_printf("A-%02d", i);
    g_autofree char *t = g_strdup_printf("2026-03-%02dT09:00:00+08:00", 2 + (i % 28));
    g_autofree char *ev = g_strdup_printf("A-EV-%02d", i);
    json_array_append_new(
        a, case_rec(DEPT_A, num, "H1", "W01", t, "person", "张三丰", "440102199001011234"));
    json_array_append_new(a, stage_rec(DEPT_A, num, ev, "accepted", t, "MZ0457"));
  }
  json_array_append_new(a, stage_rec(DEPT_A, "A-00", "A-EV-S1", "supplement_requested",
                                     "2026-03-03T10:00:00+08:00", "MZ0457"));
  json_array_append_new(a, stage_rec(DEPT_A, "A-00", "A-EV-S2", "supplement_received",
                                     "2026-03-05T10:00:00+08:00", "MZ0999"));
  post_records(f, f->token_a, a);
  json_t *b = json_array();
  for (int i = 0; i < 10; i++) {
    g_autofree char *num = g_strdup_printf("B-%02d", i);
    g_autofree char *t = g_strdup_printf("2026-03-%02dT10:00:00+08:00", 2 + i);
    g_autofree char *ev = g_strdup_printf("B-EV-%02d", i);
    json_array_append_new(b, case_rec(DEPT_B, num, "H2", "W09", t, "company", "某某科技有限公司",
                                      "91440300MA5XXXXXXX"));
    json_array_append_new(
        b, stage_rec(DEPT_B, num, ev, i < 5 ? "accepted" : "completed", t, "MZ0457"));
  }
  post_records(f, f->token_b, b);
}

static void teardown(Fixture *f, gconstpointer data)
{
  hw_http_free(f->http);
  hw_store_close(f->store);
  g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name(d)) != NULL) {
    g_autofree char *p = g_build_filename(f->dir, n, NULL);
    g_unlink(p);
  }
  g_rmdir(f->dir);
  g_free(f->dir);
  g_free(f->token_a);
  g_free(f->token_b);
}

static Answer get(Fixture *f, const char *cookie, const char *path)
{
  return request(f->port, "GET", path, cookie, NULL);
}

/* The case numbers of a list answer, comma-separated (g_free). */
static char *numbers(const Answer *a)
{
  GString *s = g_string_new(NULL);
  json_t *cases = json_object_get(a->json, "cases"), *c;
  size_t i;
  json_array_foreach(cases, i, c) g_string_append_printf(
      s, "%s%s", i ? "," : "", json_string_value(json_object_get(c, "case_number")));
  return g_string_free(s, FALSE);
}

/* GET path lists exactly the case numbers want (comma-separated), in that order. */
static void expect_numbers(Fixture *f, const char *cookie, const char *path, const char *want)
{
  g_auto(Answer) a = get(f, cookie, path);
  g_assert_cmpint(a.status, ==, 200);
  g_autofree char *n = numbers(&a);
  g_assert_cmpstr(n, ==, want);
}

static int64_t id_of(Fixture *f, const char *cookie, const char *number)
{
  g_autofree char *path = g_strdup_printf("/api/v1/cases?number=%s", number);
  g_auto(Answer) a = get(f, cookie, path);
  g_assert_cmpint(a.status, ==, 200);
  json_t *cases = json_object_get(a.json, "cases");
  g_assert_cmpuint(json_array_size(cases), ==, 1);
  return json_integer_value(json_object_get(json_array_get(cases, 0), "id"));
}

static void test_filters_and_paging(Fixture *f, gconstpointer data)
{
  g_autofree char *sup = sign_in(f, "sup", "supervisor", NULL, 0);
  {
    g_auto(Answer) a = get(f, sup, "/api/v1/cases?department=" DEPT_B "&state=completed&order=asc");
    g_assert_cmpint(a.status, ==, 200);
    g_autofree char *n = numbers(&a);
    g_assert_cmpstr(n, ==, "B-05,B-06,B-07,B-08,B-09");
  }
  {
    g_auto(Answer) a = get(f, sup,
                           "/api/v1/cases?accepted_from=2026-03-05T00:00:00%2B08:00"
                           "&accepted_to=2026-03-07T00:00:00%2B08:00");
    g_autofree char *n = numbers(&a);
    g_assert_cmpstr(n, ==, "B-04,A-04,B-03,A-03"); /* newest first; B at 10:00 after A at 09:00 */
  }
  expect_numbers(f, sup, "/api/v1/cases?hall=H2&window=W09&limit=3", "B-09,B-08,B-07");
  expect_numbers(f, sup, "/api/v1/cases?item=GA-001&state=accepted&order=asc&limit=2", "B-00,B-01");
  expect_numbers(f, sup, "/api/v1/cases?operator=MZ0999", "A-00");
  /* Keyset paging walks department A's 30 cases in pages of 7, each once, in order. */
  g_autoptr(GString) all = g_string_new(NULL);
  g_autofree char *cursor = NULL;
  int pages = 0;
  do {
    g_autofree char *path =
        g_strdup_printf("/api/v1/cases?department=" DEPT_A "&order=asc&limit=7%s%s",
                        cursor ? "&cursor=" : "", cursor ? cursor : "");
    g_auto(Answer) a = get(f, sup, path);
    g_assert_cmpint(a.status, ==, 200);
    g_autofree char *n = numbers(&a);
    g_string_append_printf(all, "%s%s", all->len ? "," : "", n);
    json_t *next = json_object_get(a.json, "next_cursor");
    g_free(cursor);
    cursor = json_is_string(next) ? g_strdup(json_string_value(next)) : NULL;
    pages++;
  } while (cursor && pages < 10);
  g_assert_cmpint(pages, ==, 5);
  GString *want = g_string_new(NULL);
  for (int day = 0; day < 28; day++) /* share days with A-00, A-01 (ids break ties) */
    for (int i = 0; i < 30; i++)
      if (i % 28 == day)
        g_string_append_printf(want, "%sA-%02d", want->len ? "," : "", i);
  g_assert_cmpstr(all->str, ==, want->str);
  g_string_free(want, TRUE);
  /* Bad arguments name themselves. */
  const char *bad[] = {"limit=0",      "limit=201", "warning=green",
                       "state=flying", "cursor=x",  "accepted_from=yesterday",
                       "window=W01",   "order=up",  "sort=urgent"};
  const char *field[] = {"limit",         "limit", "warning", "state", "cursor",
                         "accepted_from", "hall",  "order",   "sort"};
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++) {
    g_autofree char *path = g_strdup_printf("/api/v1/cases?%s", bad[i]);
    g_auto(Answer) a = get(f, sup, path);
    g_assert_cmpint(a.status, ==, 400);
    g_assert_cmpstr(json_string_value(json_object_get(json_object_get(a.json, "error"), "field")),
                    ==, field[i]);
  }
}

/* Sorted by due date (sort=due): running cases whose promised due instant is known (kept by the
 * warnings evaluation; set here directly), earliest first unless order=desc, ids breaking ties,
 * paged by (due, id), filtered and scoped like any list; a case with no due date is absent. */
static void test_sort_by_due(Fixture *f, gconstpointer data)
{
  g_autofree char *sup = sign_in(f, "sup", "supervisor", NULL, 0);
  HwStoreScope h1[] = {{"hall", "H1"}};
  g_autofree char *sup_h1 = sign_in(f, "sup-h1", "supervisor", h1, 1);
  const hw_time_ns day = INT64_C(86400) * HW_NS_PER_S;
  const hw_time_ns mar18 = INT64_C(1773763200) * HW_NS_PER_S; /* 2026-03-18T00:00:00+08:00 */
  struct {
    const char *number;
    hw_time_ns due;
  } dues[] = {
      {"A-03", mar18 + 2 * day}, {"B-02", mar18}, {"A-01", mar18}, {"B-04", mar18 + 7 * day}};
  g_autoptr(GError) error = NULL;
  for (size_t i = 0; i < G_N_ELEMENTS(dues); i++)
    g_assert_true(hw_store_case_set_promised_due(f->store, id_of(f, sup, dues[i].number),
                                                 dues[i].due, &error));
  g_assert_no_error(error);
  {
    g_auto(Answer) a = get(f, sup, "/api/v1/cases?sort=due");
    g_assert_cmpint(a.status, ==, 200);
    g_autofree char *n = numbers(&a);
    g_assert_cmpstr(n, ==, "A-01,B-02,A-03,B-04"); /* A-01 and B-02 tie: A-01 was stored first */
    json_t *first = json_array_get(json_object_get(a.json, "cases"), 0);
    g_assert_cmpstr(json_string_value(json_object_get(first, "promised_due_at")), ==,
                    "2026-03-17T16:00:00.000Z");
  }
  expect_numbers(f, sup, "/api/v1/cases?sort=due&order=desc", "B-04,A-03,B-02,A-01");
  {
    g_auto(Answer) a = get(f, sup, "/api/v1/cases?sort=due&limit=3");
    g_autofree char *n = numbers(&a);
    g_assert_cmpstr(n, ==, "A-01,B-02,A-03");
    const char *cursor = json_string_value(json_object_get(a.json, "next_cursor"));
    g_assert_nonnull(cursor);
    g_autofree char *path = g_strdup_printf("/api/v1/cases?sort=due&limit=3&cursor=%s", cursor);
    g_auto(Answer) b = get(f, sup, path);
    g_autofree char *m = numbers(&b);
    g_assert_cmpstr(m, ==, "B-04");
    g_assert_true(json_is_null(json_object_get(b.json, "next_cursor")));
  }
  {
    g_auto(Answer) a = get(f, sup, "/api/v1/cases?sort=due&department=" DEPT_B);
    g_autofree char *n = numbers(&a);
    g_assert_cmpstr(n, ==, "B-02,B-04");
    g_auto(Answer) b = get(f, sup_h1, "/api/v1/cases?sort=due");
    g_autofree char *m = numbers(&b);
    g_assert_cmpstr(m, ==, "A-01,A-03"); /* hall H1 only */
    g_auto(Answer) c = get(f, sup, "/api/v1/cases?number=A-05");
    json_t *none = json_array_get(json_object_get(c.json, "cases"), 0);
    g_assert_true(json_is_null(json_object_get(none, "promised_due_at")));
  }
}

static void test_scope(Fixture *f, gconstpointer data)
{
  g_autofree char *all = sign_in(f, "all", "supervisor", NULL, 0);
  HwStoreScope sa[] = {{"department", DEPT_A}};
  g_autofree char *sup_a = sign_in(f, "sup-a", "supervisor", sa, 1);
  HwStoreScope h2[] = {{"hall", "H2"}};
  g_autofree char *sup_h2 = sign_in(f, "sup-h2", "investigator", h2, 1);
  int64_t b0 = id_of(f, all, "B-00"), a0 = id_of(f, all, "A-00");
  {
    g_auto(Answer) a = get(f, sup_a, "/api/v1/cases?limit=200");
    g_assert_cmpuint(json_array_size(json_object_get(a.json, "cases")), ==, 30);
    g_autofree char *n = numbers(&a);
    g_assert_null(strstr(n, "B-"));
  }
  {
    g_auto(Answer) a = get(f, sup_a, "/api/v1/cases?department=" DEPT_B);
    g_assert_cmpint(a.status, ==, 200);
    g_assert_cmpuint(json_array_size(json_object_get(a.json, "cases")), ==, 0);
  }
  {
    g_auto(Answer) a = get(f, sup_a, "/api/v1/cases?number=B-00");
    g_assert_cmpuint(json_array_size(json_object_get(a.json, "cases")), ==, 0);
  }
  g_autofree char *pb = g_strdup_printf("/api/v1/cases/%" G_GINT64_FORMAT, b0);
  g_autofree char *pa = g_strdup_printf("/api/v1/cases/%" G_GINT64_FORMAT, a0);
  {
    g_auto(Answer) a = get(f, sup_a, pb);
    g_assert_cmpint(a.status, ==, 404);
    g_auto(Answer) b = get(f, sup_h2, pa); /* hall scope: A's case is in H1 */
    g_assert_cmpint(b.status, ==, 404);
    g_auto(Answer) c = get(f, sup_h2, pb);
    g_assert_cmpint(c.status, ==, 200);
    g_auto(Answer) d = get(f, all, "/api/v1/cases/999999");
    g_assert_cmpint(d.status, ==, 404);
  }
  {
    g_auto(Answer) a = get(f, sup_h2, "/api/v1/cases?limit=200");
    g_assert_cmpuint(json_array_size(json_object_get(a.json, "cases")), ==, 10);
  }
  /* A staff member's events: everyone's view is cut to their scope. */
  {
    g_auto(Answer) a = get(f, all, "/api/v1/staff/MZ0457/events?limit=200");
    g_assert_cmpint(a.status, ==, 200);
    g_assert_cmpuint(json_array_size(json_object_get(a.json, "events")), ==, 41);
    g_auto(Answer) b = get(f, sup_a, "/api/v1/staff/MZ0457/events?limit=200");
    g_assert_cmpuint(json_array_size(json_object_get(b.json, "events")), ==, 31);
    g_auto(Answer) c = get(f, sup_h2, "/api/v1/staff/MZ0457/events?limit=200");
    g_assert_cmpuint(json_array_size(json_object_get(c.json, "events")), ==, 10);
    g_auto(Answer) d = get(f, all, "/api/v1/staff/MZ0457/events?department=" DEPT_B "&limit=4");
    json_t *ev = json_object_get(d.json, "events");
    g_assert_cmpuint(json_array_size(ev), ==, 4);
    g_assert_cmpstr(json_string_value(json_object_get(json_array_get(ev, 0), "case_number")), ==,
                    "B-09");
    g_assert_true(json_is_string(json_object_get(d.json, "next_cursor")));
  }
  /* Roles without the permission: viewers see reports only; department tokens none of this. */
  g_autofree char *viewer = sign_in(f, "view", "viewer", NULL, 0);
  {
    g_auto(Answer) a = get(f, viewer, "/api/v1/cases");
    g_assert_cmpint(a.status, ==, 403);
    g_autofree char *auth = g_strdup_printf("Authorization: Bearer %s\r\n", f->token_a);
    g_auto(Answer) b = get(f, auth, "/api/v1/cases");
    g_assert_cmpint(b.status, >=, 401);
    g_assert_cmpint(b.status, <=, 403);
  }
}

static void test_masking(Fixture *f, gconstpointer data)
{
  g_autofree char *sup = sign_in(f, "sup", "supervisor", NULL, 0);
  g_autofree char *inv = sign_in(f, "inv", "investigator", NULL, 0);
  g_auto(Answer) s = get(f, sup, "/api/v1/cases?number=A-01");
  g_auto(Answer) i = get(f, inv, "/api/v1/cases?number=A-01");
  json_t *sa = json_object_get(json_array_get(json_object_get(s.json, "cases"), 0), "applicant");
  json_t *ia = json_object_get(json_array_get(json_object_get(i.json, "cases"), 0), "applicant");
  g_assert_cmpstr(json_string_value(json_object_get(sa, "name")), ==, "张**");
  g_assert_cmpstr(json_string_value(json_object_get(sa, "id_number")), ==, "4401**********1234");
  g_assert_true(json_is_true(json_object_get(sa, "masked")));
  g_assert_cmpstr(json_string_value(json_object_get(ia, "name")), ==, "张三丰");
  g_assert_cmpstr(json_string_value(json_object_get(ia, "id_number")), ==, "440102199001011234");
  /* and the same in the detail */
  int64_t id = json_integer_value(
      json_object_get(json_array_get(json_object_get(s.json, "cases"), 0), "id"));
  g_autofree char *path = g_strdup_printf("/api/v1/cases/%" G_GINT64_FORMAT, id);
  g_auto(Answer) d = get(f, sup, path);
  g_autofree char *text = json_dumps(d.json, 0);
  g_assert_null(strstr(text, "三丰"));
  g_assert_null(strstr(text, "199001011234"));
  /* a company is not personal data */
  g_auto(Answer) b = get(f, sup, "/api/v1/cases?number=B-01");
  json_t *ba = json_object_get(json_array_get(json_object_get(b.json, "cases"), 0), "applicant");
  g_assert_cmpstr(json_string_value(json_object_get(ba, "name")), ==, "某某科技有限公司");
}

static void test_detail(Fixture *f, gconstpointer data)
{
  g_autofree char *sup = sign_in(f, "sup", "supervisor", NULL, 0);
  int64_t id = id_of(f, sup, "A-00");
  g_autofree char *path = g_strdup_printf("/api/v1/cases/%" G_GINT64_FORMAT, id);
  g_auto(Answer) a = get(f, sup, path);
  g_assert_cmpint(a.status, ==, 200);
  json_t *stages = json_object_get(a.json, "stages");
  g_assert_cmpuint(json_array_size(stages), ==, 3);
  const char *order[] = {"accepted", "supplement_requested", "supplement_received"};
  for (size_t i = 0; i < 3; i++)
    g_assert_cmpstr(json_string_value(json_object_get(json_array_get(stages, i), "stage")), ==,
                    order[i]);
  /* Accepted Mon 2026-03-02; the supplement stops Tue 3 (counts in full as stopped) through Thu 5
   * (resumes Fri 6): (3, 5] are stopped, i.e. Wed 4 and Thu 5. 10 working days counted from Tue
   * 3: 3, 6, 9, 10, 11, 12, 13, 16, 17, 18 → due 2026-03-18. Statutory 20: → 2026-04-01. */
  json_t *limits = json_object_get(a.json, "limits");
  json_t *promised = json_object_get(limits, "promised");
  g_assert_cmpint(json_integer_value(json_object_get(promised, "days")), ==, 10);
  g_assert_cmpstr(json_string_value(json_object_get(promised, "due_date")), ==, "2026-03-18");
  g_assert_cmpstr(
      json_string_value(json_object_get(json_object_get(limits, "statutory"), "due_date")), ==,
      "2026-04-01");
  g_assert_false(json_is_true(json_object_get(a.json, "suspended")));
  json_t *sus = json_object_get(a.json, "suspensions");
  g_assert_cmpuint(json_array_size(sus), ==, 1);
  g_assert_cmpstr(json_string_value(json_object_get(json_array_get(sus, 0), "kind")), ==,
                  "supplement");
  g_assert_nonnull(json_string_value(json_object_get(json_array_get(sus, 0), "end")));
  g_assert_true(json_is_array(json_object_get(a.json, "warnings"))); /* none raised here */
  g_assert_cmpuint(json_array_size(json_object_get(a.json, "warnings")), ==, 0);
}

/* Every named query reads an index range; none scans cases or stage_events. */
static void test_plans(Fixture *f, gconstpointer data)
{
  const char *const depts[] = {DEPT_A, DEPT_B, NULL};
  const char *const halls[] = {"H1", "H2", NULL};
  HwCaseQuery qs[] = {
      {.case_number = "A-01", .limit = 50},
      {.department = DEPT_A, .state = "accepted", .limit = 50},
      {.warning_level = 2, .limit = 50},
      {.department = DEPT_A, .warning_level = 1, .limit = 50},
      {.has_from = true, .from_ns = 1, .has_to = true, .to_ns = 2, .limit = 50},
      {.operator_id = "MZ0457", .limit = 50},
      {.hall = "H1",
       .window = "W01",
       .limit = 50,
       .has_cursor = true,
       .cursor_ns = 5,
       .cursor_id = 3},
      {.item_code = "GA-001", .limit = 50},
      {.state = "completed", .limit = 50},
      {.hall = "H1", .limit = 50},
      {.limit = 50, .scope_departments = depts},
      {.state = "accepted", .limit = 50, .scope_departments = depts},
      {.limit = 50, .scope_halls = halls},
      {.state = "accepted", .limit = 50, .scope_halls = halls, .has_cursor = true},
      {.sort = HW_CASE_SORT_DUE, .ascending = true, .limit = 50},
      {.sort = HW_CASE_SORT_DUE,
       .department = DEPT_A,
       .limit = 50,
       .scope_halls = halls,
       .has_cursor = true},
  };
  g_autoptr(GError) error = NULL;
  for (size_t i = 0; i < G_N_ELEMENTS(qs); i++) {
    g_autofree char *plan = hw_store_case_query_plan(f->store, &qs[i], &error);
    g_assert_no_error(error);
    g_test_message("query %zu:\n%s", i, plan);
    g_assert_null(strstr(plan, "SCAN cases"));
    g_assert_null(strstr(plan, "SCAN stage_events"));
    g_assert_nonnull(strstr(plan, "USING"));
    /* a list that is not one number or one person's cases reads in the index's order */
    if (!qs[i].case_number && !qs[i].operator_id)
      g_assert_null(strstr(plan, "TEMP B-TREE"));
  }
  HwStaffQuery sq[] = {{.operator_id = "MZ0457", .limit = 50},
                       {.operator_id = "MZ0457",
                        .department = DEPT_A,
                        .limit = 50,
                        .has_cursor = true,
                        .cursor_ns = 9,
                        .cursor_id = 9}};
  for (size_t i = 0; i < G_N_ELEMENTS(sq); i++) {
    g_autofree char *plan = hw_store_staff_query_plan(f->store, &sq[i], &error);
    g_assert_no_error(error);
    g_assert_null(strstr(plan, "SCAN"));
    g_assert_null(strstr(plan, "TEMP B-TREE")); /* the index gives the order */
  }
  g_autofree char *plan = hw_store_case_stages_plan(f->store, &error);
  g_assert_no_error(error);
  g_assert_null(strstr(plan, "SCAN"));
}

/* A database from before the case-queries migration (with a case in it) opens, gains the
 * indexes, and the queries that need them answer. */
static void test_migrates_previous_version(void)
{
  g_autoptr(GError) error = NULL;
  g_autofree char *dir = g_dir_make_tmp("hw-case-queries-mig-XXXXXX", &error);
  g_autofree char *db = g_build_filename(dir, "hallwatch.db", NULL);
  size_t before = 0;
  while (before < hw_store_n_migrations &&
         strstr(hw_store_migrations[before].name, "case_queries") == NULL)
    before++;
  g_assert_cmpuint(before, <, hw_store_n_migrations);
  HwStore *old = hw_store_open_with_migrations(db, hw_store_migrations, before, &error);
  g_assert_no_error(error);
  HwCaseRecord r = {.type = HW_CASE_RECORD_CASE,
                    .department = DEPT_A,
                    .case_number = "OLD-1",
                    .version = 1,
                    .item_code = "MZ-001",
                    .item_name = "婚姻登记",
                    .applicant_type = "person",
                    .applicant_name = "张三",
                    .hall = "H1",
                    .statutory_unit = "working_days",
                    .promised_unit = "working_days",
                    .secrecy = "none",
                    .statutory_limit = 20,
                    .promised_limit = 10,
                    .fee_charged_fen = -1,
                    .fee_standard_fen = -1,
                    .has_accepted = true,
                    .accepted_ns = INT64_C(1772414400) * HW_NS_PER_S};
  HwIngestOutcome out;
  g_assert_true(hw_store_cases_ingest(old, DEPT_A, &r, 1, hw_time_now(), &out, NULL, &error));
  g_assert_no_error(error);
  hw_store_close(old);
  HwStore *store = hw_store_open(db, &error);
  g_assert_no_error(error);
  HwCaseQuery q = {.hall = "H1", .limit = 10};
  HwStoreCase *rows = NULL;
  size_t n = 0;
  bool more;
  g_assert_true(hw_store_cases_query(store, &q, &rows, &n, &more, &error));
  g_assert_no_error(error);
  g_assert_cmpuint(n, ==, 1);
  g_assert_cmpstr(rows[0].case_number, ==, "OLD-1");
  g_free(rows);
  hw_store_close(store);
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *name;
  while (d && (name = g_dir_read_name(d)) != NULL) {
    g_autofree char *p = g_build_filename(dir, name, NULL);
    g_unlink(p);
  }
  g_rmdir(dir);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define T(name, fn) g_test_add("/cases/queries/" name, Fixture, NULL, setup, fn, teardown)
  T("filters_and_paging", test_filters_and_paging);
  T("sort_by_due", test_sort_by_due);
  T("scope", test_scope);
  T("masking", test_masking);
  T("detail", test_detail);
  T("plans", test_plans);
  g_test_add_func("/cases/queries/migrates_previous_version", test_migrates_previous_version);
#undef T
  return g_test_run();
}
