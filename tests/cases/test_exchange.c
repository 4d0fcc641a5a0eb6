/* The exchange API over real HTTP on loopback (POST /api/v1/exchange/batch), with real department
 * tokens in a real store: every example of docs/exchange/ is sent and its documented answer
 * checked; idempotency, versions, same-batch cases, all-or-nothing, 400/403/422 (nothing stored,
 * nothing of a secret case in the database or the log), clock offsets, batch limits. */
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>

#include "cases/hw_exchange.h"
#include "sql/hw_store.h"
#include "sql/hw_store_auth.h"
#include "sql/hw_store_cases.h"
#include "tests/cases/helpers.h"
#include "web/hw_auth.h"
#include "web/hw_http.h"

#define DEPT "440303-MZJ" /* the department of the examples */

/* ---- the log: kept, so a test can show that nothing of a secret case reached it -------------- */

static GString *log_text;
static GMutex log_lock;

static GLogWriterOutput log_writer(GLogLevelFlags level, const GLogField *fields, gsize n,
                                   gpointer user)
{
  g_mutex_lock(&log_lock);
  for (gsize i = 0; i < n; i++)
    if (strcmp(fields[i].key, "MESSAGE") == 0 && fields[i].length < 0)
      g_string_append_printf(log_text, "%s\n", (const char *)fields[i].value);
  g_mutex_unlock(&log_lock);
  return g_log_writer_default(level, fields, n, user);
}

/* ---- fixture: a store, two department tokens, a server ---------------------------------------- */

static HwCameraStatus *no_cameras(void *user, size_t *ret_n)
{
  *ret_n = 0;
  return NULL;
}

typedef struct {
  char *dir, *db;
  HwStore *store;
  HwHttp *http;
  int port;
  char *token;       /* DEPT's */
  char *other_token; /* 440303-GAJ's */
} Fixture;

static void setup(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  f->dir = g_dir_make_tmp("hw-exchange-XXXXXX", &error);
  g_assert_no_error(error);
  f->db = g_build_filename(f->dir, "hallwatch.db", NULL);
  f->store = hw_store_open(f->db, &error);
  g_assert_no_error(error);
  g_assert_true(hw_auth_init(NULL));
  f->token = test_make_token(f->store, DEPT);
  f->other_token = test_make_token(f->store, "440303-GAJ");
  HwHttpOptions o;
  hw_http_options_init(&o);
  o.status_fn = no_cameras;
  o.store = f->store;
  f->http = hw_http_new(&o, &error);
  g_assert_no_error(error);
  f->port = hw_http_port(f->http);
}

static void teardown(Fixture *f, gconstpointer data)
{
  hw_http_free(f->http);
  hw_store_close(f->store);
  test_remove_dir(f->dir);
  g_free(f->db);
  g_free(f->dir);
  g_free(f->token);
  g_free(f->other_token);
}

/* ---- helpers ---------------------------------------------------------------------------------- */

/* An example file of docs/exchange/examples (an OpenAPI Example Object): its value (transfer
 * full). */
static json_t *example(const char *name)
{
  g_autofree char *path = g_build_filename(HW_EXAMPLES_DIR, name, NULL);
  json_error_t jerr;
  json_t *o = json_load_file(path, 0, &jerr);
  if (o == NULL)
    g_error("%s: %s (line %d)", path, jerr.text, jerr.line);
  json_t *v = json_incref(json_object_get(o, "value"));
  g_assert_nonnull(v);
  json_decref(o);
  return v;
}

static Answer send_json(Fixture *f, const char *token, json_t *batch)
{
  g_autofree char *body = json_dumps(batch, JSON_COMPACT);
  return post_batch(f->port, token, body, 0);
}

/* Sends batch and checks only the answer's status. */
static void send_expect(Fixture *f, const char *token, json_t *batch, int status)
{
  g_auto(Answer) a = send_json(f, token, batch);
  if (a.status != status) {
    g_autofree char *g = a.json ? json_dumps(a.json, JSON_INDENT(2)) : NULL;
    g_error("status %d, expected %d: %s", a.status, status, g ? g : "");
  }
}

static Answer send_example(Fixture *f, const char *token, const char *name)
{
  json_t *batch = example(name);
  Answer a = send_json(f, token, batch);
  json_decref(batch);
  return a;
}

static void assert_same(json_t *got, json_t *want, const char *what)
{
  if (!json_equal(got, want)) {
    g_autofree char *g = json_dumps(got, JSON_INDENT(2) | JSON_SORT_KEYS);
    g_autofree char *w = json_dumps(want, JSON_INDENT(2) | JSON_SORT_KEYS);
    g_error("%s: the answer differs from the documented one.\ngot:\n%s\ndocumented:\n%s", what,
            g ? g : "(not JSON)", w);
  }
}

/* Sends a documented request and checks the documented answer, whole. */
static void check_documented(Fixture *f, const char *token, const char *request, int status,
                             const char *response)
{
  g_auto(Answer) a = send_example(f, token, request);
  if (a.status != status) {
    g_autofree char *g = a.json ? json_dumps(a.json, JSON_INDENT(2)) : NULL;
    g_error("%s: status %d, documented %d: %s", request, a.status, status, g ? g : "");
  }
  g_autofree char *path = g_build_filename(HW_EXAMPLES_DIR, response, NULL);
  if (!g_file_test(path, G_FILE_TEST_EXISTS)) {
    g_autofree char *g = json_dumps(a.json, JSON_INDENT(2));
    g_error("%s is missing; the answer to %s is:\n%s", path, request, g);
  }
  json_t *want = example(response);
  assert_same(a.json, want, request);
  json_decref(want);
}

static void counts(Fixture *f, int64_t ret[4])
{
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_store_cases_counts(f->store, ret, &error));
  g_assert_no_error(error);
}

static void assert_counts(Fixture *f, int64_t cases, int64_t stages, int64_t evals,
                          int64_t complaints)
{
  int64_t c[4];
  counts(f, c);
  g_assert_cmpint(c[0], ==, cases);
  g_assert_cmpint(c[1], ==, stages);
  g_assert_cmpint(c[2], ==, evals);
  g_assert_cmpint(c[3], ==, complaints);
}

static const char *status_of(const Answer *a, size_t i)
{
  json_t *r = json_array_get(json_object_get(a->json, "results"), i);
  return json_string_value(json_object_get(r, "status"));
}

static const char *error_code(const Answer *a)
{
  return json_string_value(json_object_get(json_object_get(a->json, "error"), "code"));
}

/* Whether `needle` occurs in any file of the store's folder (database, WAL, journal). */
static bool store_files_contain(Fixture *f, const char *needle)
{
  g_autoptr(GDir) d = g_dir_open(f->dir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name(d)) != NULL) {
    g_autofree char *p = g_build_filename(f->dir, n, NULL);
    g_autofree char *data = NULL;
    gsize len;
    if (g_file_get_contents(p, &data, &len, NULL) &&
        memmem(data, len, needle, strlen(needle)) != NULL)
      return true;
  }
  return false;
}

/* ---- tests ------------------------------------------------------------------------------------ */

/* Every example of the docs, in the order a department would send them, with its documented
 * answer; then the 401 and 413 answers. */
static void test_examples(Fixture *f, gconstpointer data)
{
  const char *singles[] = {"case.json", "stage-event.json", "evaluation.json", "complaint.json"};
  for (size_t i = 0; i < G_N_ELEMENTS(singles); i++) {
    g_auto(Answer) a = send_example(f, f->token, singles[i]);
    g_assert_cmpint(a.status, ==, 200);
    g_assert_cmpstr(status_of(&a, 0), ==, "accepted");
  }
  assert_counts(f, 1, 1, 1, 1);
  check_documented(f, f->token, "batch-full.json", 200, "batch-full.response.json");
  assert_counts(f, 2, 8, 2, 2);
  check_documented(f, f->token, "error-400.request.json", 400, "error-400.response.json");
  check_documented(f, f->token, "error-403.request.json", 403, "error-403.response.json");
  check_documented(f, f->token, "error-422.request.json", 422, "error-422.response.json");
  assert_counts(f, 2, 8, 2, 2); /* the refused batches stored nothing */
  check_documented(f, NULL, "batch-full.json", 401, "error-401.response.json");
  g_auto(Answer) big = post_batch(f->port, f->token, "{", HW_EXCHANGE_BODY_MAX + 1);
  g_assert_cmpint(big.status, ==, 413);
  json_t *want = example("error-413.response.json");
  assert_same(big.json, want, "a body over the cap");
  json_decref(want);

  /* The stored case reads back as sent: the stages in time order, the state of the last. */
  HwStoreCase c;
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_store_case_get(f->store, DEPT, "44030320260303000456", NULL, &c, &error));
  g_assert_cmpstr(c.state, ==, "certificate_collected");
  g_assert_cmpstr(c.item_name, ==, "民办非企业单位变更登记");
  g_assert_cmpstr(c.applicant_id_number, ==, "440303199001011234");
  hw_time_ns accepted;
  g_assert_cmpint(hw_time_parse("2026-03-03T10:05:00+08:00", &accepted), ==, 0);
  g_assert_cmpint(c.accepted_ns, ==, accepted);
  g_assert_cmpint(c.completed_ns, >, accepted);
  HwStoreStageEvent *ev = NULL;
  size_t n = 0;
  g_assert_true(hw_store_case_stages(f->store, c.id, &ev, &n, &error));
  g_assert_cmpuint(n, ==, 7);
  g_assert_cmpstr(ev[0].stage, ==, "ticket_called");
  g_assert_cmpstr(ev[0].queue_ticket, ==, "A044");
  g_assert_cmpstr(ev[5].outcome, ==, "certificate_issued");
  g_assert_cmpstr(ev[4].opinion, ==, "准予变更登记。");
  hw_store_stage_events_free(ev, n);
  /* Another department's scope does not see it. */
  const char *scope[] = {"440303-GAJ", NULL};
  g_assert_false(hw_store_case_get(f->store, DEPT, "44030320260303000456", scope, &c, NULL));
}

/* Resent batches are acknowledged, not stored twice; a newer case version replaces the stored
 * one in place (its stages stay attached), an older one is stale and not applied. */
static void test_idempotent_versions(Fixture *f, gconstpointer data)
{
  json_t *full = example("batch-full.json");
  {
    g_auto(Answer) a = send_json(f, f->token, full);
    g_assert_cmpint(a.status, ==, 200);
    g_auto(Answer) again = send_json(f, f->token, full);
    g_assert_cmpint(again.status, ==, 200);
    g_assert_cmpint(json_integer_value(json_object_get(again.json, "duplicate")), ==, 10);
    g_assert_cmpint(json_integer_value(json_object_get(again.json, "accepted")), ==, 0);
    for (size_t i = 0; i < 10; i++)
      g_assert_cmpstr(status_of(&again, i), ==, "duplicate");
  }
  assert_counts(f, 1, 7, 1, 1);
  HwStoreCase before;
  g_assert_true(hw_store_case_get(f->store, DEPT, "44030320260303000456", NULL, &before, NULL));

  json_t *v2 = json_deep_copy(json_array_get(json_object_get(full, "records"), 0));
  json_object_set_new(v2, "version", json_integer(2));
  json_object_set_new(v2, "item_name", json_string("民办非企业单位变更登记（更正）"));
  json_t *v1 = json_deep_copy(json_array_get(json_object_get(full, "records"), 0));
  json_object_set_new(v1, "item_name", json_string("an older text that must not win"));
  json_t *batch = json_pack("{s:[o, o]}", "records", v2, v1);
  {
    g_auto(Answer) a = send_json(f, f->token, batch);
    g_assert_cmpint(a.status, ==, 200);
    g_assert_cmpstr(status_of(&a, 0), ==, "accepted");
    g_assert_cmpstr(status_of(&a, 1), ==, "stale");
    g_assert_cmpint(json_integer_value(json_object_get(a.json, "stale")), ==, 1);
  }
  HwStoreCase after;
  g_assert_true(hw_store_case_get(f->store, DEPT, "44030320260303000456", NULL, &after, NULL));
  g_assert_cmpint(after.id, ==, before.id);
  g_assert_cmpint(after.version, ==, 2);
  g_assert_cmpstr(after.item_name, ==, "民办非企业单位变更登记（更正）");
  g_assert_cmpstr(after.state, ==, "certificate_collected"); /* derived state kept */
  g_assert_cmpint(after.received_ns, ==, before.received_ns);
  g_assert_cmpint(after.updated_ns, >=, before.updated_ns);
  assert_counts(f, 1, 7, 1, 1);
  json_decref(batch);
  json_decref(full);
}

/* A stage event names a stored case or one earlier in the batch; otherwise the whole batch is
 * refused (400 naming the record) and nothing of it, not even its valid case, is stored. */
static void test_unknown_case(Fixture *f, gconstpointer data)
{
  json_t *full = example("batch-full.json");
  json_t *recs = json_object_get(full, "records");
  /* the case after its first event: the event names a case not yet known */
  json_t *swapped = json_pack("{s:[O, O, O]}", "records", json_array_get(recs, 1),
                              json_array_get(recs, 0), json_array_get(recs, 2));
  {
    g_auto(Answer) a = send_json(f, f->token, swapped);
    g_assert_cmpint(a.status, ==, 400);
    g_assert_cmpstr(error_code(&a), ==, "invalid_records");
    json_t *p = json_object_get(a.json, "problems");
    g_assert_cmpuint(json_array_size(p), ==, 1);
    g_assert_cmpint(json_integer_value(json_object_get(json_array_get(p, 0), "index")), ==, 0);
    g_assert_cmpstr(json_string_value(json_object_get(json_array_get(p, 0), "field")), ==,
                    "/records/0/case_number");
  }
  assert_counts(f, 0, 0, 0, 0);
  /* case first, then its events: fine in one batch */
  json_t *ordered = json_pack("{s:[O, O, O]}", "records", json_array_get(recs, 0),
                              json_array_get(recs, 1), json_array_get(recs, 2));
  {
    g_auto(Answer) a = send_json(f, f->token, ordered);
    g_assert_cmpint(a.status, ==, 200);
    g_assert_cmpint(json_integer_value(json_object_get(a.json, "accepted")), ==, 3);
  }
  assert_counts(f, 1, 2, 0, 0);
  /* and in a later batch, events of the stored case */
  json_t *later = json_pack("{s:[O]}", "records", json_array_get(recs, 3));
  send_expect(f, f->token, later, 200);
  assert_counts(f, 1, 3, 0, 0);
  json_decref(later);
  json_decref(ordered);
  json_decref(swapped);
  json_decref(full);
}

/* 403: a token writes only its own department (even one record of another fails the batch);
 * the other department's own token writes it. */
static void test_other_department(Fixture *f, gconstpointer data)
{
  json_t *mine = example("case.json");
  json_t *theirs = example("error-403.request.json");
  json_t *mixed =
      json_pack("{s:[O, O]}", "records", json_array_get(json_object_get(mine, "records"), 0),
                json_array_get(json_object_get(theirs, "records"), 0));
  {
    g_auto(Answer) a = send_json(f, f->token, mixed);
    g_assert_cmpint(a.status, ==, 403);
    g_assert_cmpstr(error_code(&a), ==, "forbidden_department");
    json_t *p = json_object_get(a.json, "problems");
    g_assert_cmpuint(json_array_size(p), ==, 1);
    g_assert_cmpint(json_integer_value(json_object_get(json_array_get(p, 0), "index")), ==, 1);
  }
  assert_counts(f, 0, 0, 0, 0);
  /* the other department's token writes it, under the same case number as this department's */
  json_object_set(
      json_array_get(json_object_get(theirs, "records"), 0), "case_number",
      json_object_get(json_array_get(json_object_get(mine, "records"), 0), "case_number"));
  send_expect(f, f->other_token, theirs, 200);
  assert_counts(f, 1, 0, 0, 0);
  /* the same case number under this department is another case */
  send_expect(f, f->token, mine, 200);
  assert_counts(f, 2, 0, 0, 0);
  json_decref(mixed);
  json_decref(theirs);
  json_decref(mine);
}

/* 422: a secret case and every record naming it, in the batch or in a later one, are refused;
 * nothing of them is in the database files or the log (only the fact and the department). */
static void test_secret(Fixture *f, gconstpointer data)
{
  json_t *req = example("error-422.request.json");
  json_t *recs = json_object_get(req, "records");
  for (const char *level = "secret"; level; level = strcmp(level, "secret") == 0 ? "confidential"
                                                    : strcmp(level, "confidential") == 0
                                                        ? "top_secret"
                                                        : NULL) {
    json_object_set_new(json_array_get(recs, 0), "secrecy", json_string(level));
    g_auto(Answer) a = send_json(f, f->token, req);
    g_assert_cmpint(a.status, ==, 422);
    g_assert_cmpuint(json_array_size(json_object_get(a.json, "problems")), ==, 2);
  }
  /* the event alone, later: still refused, for the case was */
  json_t *event = json_pack("{s:[O]}", "records", json_array_get(recs, 1));
  {
    g_auto(Answer) a = send_json(f, f->token, event);
    g_assert_cmpint(a.status, ==, 422);
    g_assert_cmpstr(error_code(&a), ==, "secret_case");
    g_assert_cmpstr(json_string_value(json_object_get(
                        json_array_get(json_object_get(a.json, "problems"), 0), "field")),
                    ==, "/records/0/case_number");
  }
  /* a good case with a secret one: the batch is refused whole */
  json_t *good = example("case.json");
  json_t *mixed =
      json_pack("{s:[O, O]}", "records", json_array_get(json_object_get(good, "records"), 0),
                json_array_get(recs, 0));
  send_expect(f, f->token, mixed, 422);
  assert_counts(f, 0, 0, 0, 0);
  send_expect(f, f->token, good, 200); /* what is stored is found: the check works */
  hw_http_free(f->http);               /* no request in flight while the store closes */
  f->http = NULL;
  hw_store_close(f->store); /* checkpoint: every byte written is in the files now */
  f->store = NULL;
  g_assert_true(store_files_contain(f, "深圳市罗湖区志愿者协会"));
  const char *never[] = {"44030320260302000666", "某单位", "MZ-EV-000666-01"};
  for (size_t i = 0; i < G_N_ELEMENTS(never); i++) {
    g_assert_false(store_files_contain(f, never[i]));
    g_mutex_lock(&log_lock);
    g_assert_null(strstr(log_text->str, never[i]));
    g_mutex_unlock(&log_lock);
  }
  g_mutex_lock(&log_lock);
  g_assert_nonnull(strstr(log_text->str, "department " DEPT));
  g_mutex_unlock(&log_lock);
  g_autoptr(GError) error = NULL; /* teardown closes a store: reopen it */
  f->store = hw_store_open(f->db, &error);
  g_assert_no_error(error);
  json_decref(mixed);
  json_decref(good);
  json_decref(event);
  json_decref(req);
}

/* The department's clock offset corrects every reported time; both are kept, with the arrival. */
static void test_clock_offset(Fixture *f, gconstpointer data)
{
  const char *depts[] = {DEPT};
  int64_t offsets[] = {-2 * HW_NS_PER_S};
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_store_department_clocks_set(f->store, depts, offsets, 1, &error));
  hw_time_ns before = hw_time_now();
  json_t *full = example("batch-full.json");
  g_auto(Answer) a = send_json(f, f->token, full);
  g_assert_cmpint(a.status, ==, 200);
  HwStoreCase c;
  g_assert_true(hw_store_case_get(f->store, DEPT, "44030320260303000456", NULL, &c, &error));
  hw_time_ns reported;
  g_assert_cmpint(hw_time_parse("2026-03-03T10:05:00+08:00", &reported), ==, 0);
  g_assert_cmpint(c.accepted_reported_ns, ==, reported);
  g_assert_cmpint(c.accepted_ns, ==, reported - 2 * HW_NS_PER_S);
  HwStoreStageEvent *ev = NULL;
  size_t n = 0;
  g_assert_true(hw_store_case_stages(f->store, c.id, &ev, &n, &error));
  g_assert_cmpint(hw_time_parse("2026-03-03T09:58:31+08:00", &reported), ==, 0);
  g_assert_cmpint(ev[0].reported_ns, ==, reported);
  g_assert_cmpint(ev[0].time_ns, ==, reported - 2 * HW_NS_PER_S);
  g_assert_cmpint(ev[0].received_ns, >=, before);
  g_assert_cmpint(ev[0].received_ns, <=, hw_time_now());
  hw_store_stage_events_free(ev, n);
  json_decref(full);
}

/* Batch shape and size: not an object, no records, empty, 10,001 records. */
static void test_batch_shape(Fixture *f, gconstpointer data)
{
  struct {
    const char *body, *field;
  } cases[] = {
      {"[]", ""},
      {"{\"records\":{}}", "/records"},
      {"{\"records\":[]}", "/records"},
      {"{\"records\":[{\"type\":\"case\"}],\"extra\":1}", ""},
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    g_auto(Answer) a = post_batch(f->port, f->token, cases[i].body, 0);
    g_assert_cmpint(a.status, ==, 400);
    g_assert_cmpstr(error_code(&a), ==, "invalid_batch");
    g_assert_cmpstr(json_string_value(json_object_get(json_object_get(a.json, "error"), "field")),
                    ==, cases[i].field);
  }
  g_autoptr(GString) big = g_string_new("{\"records\":[");
  for (int i = 0; i <= HW_EXCHANGE_BATCH_MAX; i++)
    g_string_append(big, i ? ",{}" : "{}");
  g_string_append(big, "]}");
  g_auto(Answer) a = post_batch(f->port, f->token, big->str, 0);
  g_assert_cmpint(a.status, ==, 400);
  g_assert_nonnull(
      strstr(json_string_value(json_object_get(json_object_get(a.json, "error"), "message")),
             "at most 10000"));
}

/* A full 10,000-record batch (1,000 cases with 9 events each) is one transaction; how long it
 * holds the store's single writer is printed (the recorder's index commits wait that long). */
/* A 10,000-record batch of 1,000 whole cases (the batch-full example renumbered); numbers
 * start with prefix. Transfer full. */
static json_t *big_batch(const char *prefix)
{
  json_t *full = example("batch-full.json");
  json_t *tmpl = json_object_get(full, "records");
  json_t *recs = json_array();
  for (int c = 0; json_array_size(recs) < HW_EXCHANGE_BATCH_MAX; c++) {
    char number[32], ev[48];
    g_snprintf(number, sizeof number, "%s%06d", prefix, c);
    for (size_t k = 0; k < json_array_size(tmpl) && json_array_size(recs) < HW_EXCHANGE_BATCH_MAX;
         k++) {
      json_t *r = json_deep_copy(json_array_get(tmpl, k));
      if (json_object_get(r, "case_number"))
        json_object_set_new(r, "case_number", json_string(number));
      if (json_object_get(r, "event_id")) {
        g_snprintf(ev, sizeof ev, "EV-%s-%06d-%02zu", prefix, c, k);
        json_object_set_new(r, "event_id", json_string(ev));
      }
      json_array_append_new(recs, r);
    }
  }
  json_decref(full);
  return json_pack("{s:o}", "records", recs);
}

/* A full 10,000-record batch is one transaction; how long it holds the store's single writer is
 * printed (the recorder's index commits wait that long), new and resent. */
static void test_full_batch(Fixture *f, gconstpointer data)
{
  json_t *batch = big_batch("A-");
  int64_t t0 = g_get_monotonic_time();
  g_auto(Answer) a = send_json(f, f->token, batch);
  int64_t t1 = g_get_monotonic_time();
  g_assert_cmpint(a.status, ==, 200);
  g_assert_cmpint(json_integer_value(json_object_get(a.json, "accepted")), ==,
                  HW_EXCHANGE_BATCH_MAX);
  int64_t c[4];
  counts(f, c);
  g_assert_cmpint(c[0] + c[1] + c[2] + c[3], ==, HW_EXCHANGE_BATCH_MAX);

  /* Through the batch path without HTTP, to read the write lock's time: new records, then the
   * same resent (10,000 duplicate lookups). */
  json_t *other = big_batch("B-");
  json_t *recs = json_object_get(other, "records");
  HwExchangeResult fresh, again;
  hw_exchange_submit(f->store, DEPT, recs, 0, json_array_size(recs), hw_time_now(), &fresh);
  g_assert_cmpint(fresh.status, ==, HW_EXCHANGE_OK);
  g_assert_cmpuint(fresh.accepted, ==, HW_EXCHANGE_BATCH_MAX);
  hw_exchange_submit(f->store, DEPT, recs, 0, json_array_size(recs), hw_time_now(), &again);
  g_assert_cmpint(again.status, ==, HW_EXCHANGE_OK);
  g_assert_cmpuint(again.duplicate, ==, HW_EXCHANGE_BATCH_MAX);
  printf("# exchange: 10000 records over HTTP in %.0f ms (%.0f records/s); the write lock was "
         "held %.1f ms for 10000 new records, %.1f ms for the same resent\n",
         (double)(t1 - t0) / 1e3, HW_EXCHANGE_BATCH_MAX / ((double)(t1 - t0) / 1e6),
         (double)fresh.tx_ns / 1e6, (double)again.tx_ns / 1e6);
  hw_exchange_result_clear(&fresh);
  hw_exchange_result_clear(&again);
  json_decref(other);
  json_decref(batch);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  log_text = g_string_new(NULL);
  g_log_set_writer_func(log_writer, NULL, NULL);
#define T(name, fn) g_test_add("/cases/exchange/" name, Fixture, NULL, setup, fn, teardown)
  T("examples", test_examples);
  T("idempotent_versions", test_idempotent_versions);
  T("unknown_case", test_unknown_case);
  T("other_department", test_other_department);
  T("secret", test_secret);
  T("clock_offset", test_clock_offset);
  T("batch_shape", test_batch_shape);
  T("full_batch", test_full_batch);
  int rc = g_test_run();
  g_string_free(log_text, TRUE);
  return rc;
}
