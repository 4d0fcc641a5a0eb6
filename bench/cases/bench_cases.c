/* bench/cases: the supervisors' named case queries at scale (issue 4: p99 under 10 ms at
 * 1,000,000 cases and 5,000,000 stage events). Builds that database through the store's own
 * schema (hw_store_open applies the migrations; rows are bulk-inserted with the indexes dropped
 * and then rebuilt from the schema's own CREATE INDEX statements), then runs each named query
 * through the store's API many times and prints p50/p99, and the query plan of each (a full scan
 * of cases or stage_events fails the run). --smoke: a small database, same checks. */
#include <gio/gio.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <string.h>

#include "cases/hw_calendar_store.h"
#include "sql/hw_store.h"
#include "sql/hw_store_auth.h"
#include "sql/hw_store_case_queries.h"
#include "web/hw_auth.h"
#include "web/hw_http.h"

#define N_DEPTS 15
#define N_HALLS 2
#define WINDOWS_PER_HALL 20
#define OPERATORS_PER_DEPT 130
#define ITEMS_PER_DEPT 40

static const char *const depts[N_DEPTS] = {"445200-HBJ", "445200-WJJ", "445200-JMJ", "445200-WSJ",
                                           "445200-RSJ", "445200-GSJ", "445200-GAJ", "445200-JSJ",
                                           "445200-SYJ", "445200-GTJ", "445200-JTJ", "445200-GHJ",
                                           "445200-WGJ", "445200-JYJ", "445200-MZJ"};
static const char *const states[] = {"accepted",  "undertaken", "reviewed",  "approved",
                                     "completed", "completed",  "completed", "completed"};

static const hw_time_ns T0 = INT64_C(1704038400) * HW_NS_PER_S; /* 2024-01-01 +08:00 */
static const hw_time_ns SPAN = INT64_C(2) * 365 * 86400 * HW_NS_PER_S;

static void die(const char *what, sqlite3 *db)
{
  g_printerr("bench_cases: %s: %s\n", what, db ? sqlite3_errmsg(db) : "");
  exit(1);
}

static void exec(sqlite3 *db, const char *sql)
{
  char *err = NULL;
  if (sqlite3_exec(db, sql, NULL, NULL, &err) != SQLITE_OK) {
    g_printerr("bench_cases: %s: %s\n", sql, err);
    exit(1);
  }
}

static void case_number(char *buf, size_t len, int64_t i)
{
  g_snprintf(buf, len, "4452%02d2024%010" G_GINT64_FORMAT, (int)(i % N_DEPTS), i);
}

static void build(const char *path, int64_t n_cases, int events_per_case)
{
  g_autoptr(GError) error = NULL;
  HwStore *store = hw_store_open(path, &error);
  if (store == NULL) {
    g_printerr("bench_cases: %s\n", error->message);
    exit(1);
  }
  hw_store_close(store);
  sqlite3 *db;
  if (sqlite3_open(path, &db) != SQLITE_OK)
    die("open", db);
  exec(db, "PRAGMA synchronous = OFF; PRAGMA cache_size = -262144");
  /* Drop the indexes of the two tables, fill them in id order, rebuild from the schema's SQL. */
  GPtrArray *index_sql = g_ptr_array_new_with_free_func(g_free);
  GPtrArray *index_names = g_ptr_array_new_with_free_func(g_free);
  sqlite3_stmt *st;
  sqlite3_prepare_v2(db,
                     "SELECT name, sql FROM sqlite_schema WHERE type = 'index' AND sql IS NOT NULL"
                     " AND tbl_name IN ('cases', 'stage_events')",
                     -1, &st, NULL);
  while (sqlite3_step(st) == SQLITE_ROW) {
    g_ptr_array_add(index_names, g_strdup((const char *)sqlite3_column_text(st, 0)));
    g_ptr_array_add(index_sql, g_strdup((const char *)sqlite3_column_text(st, 1)));
  }
  sqlite3_finalize(st);
  exec(db, "BEGIN");
  for (guint i = 0; i < index_names->len; i++) {
    g_autofree char *sql = g_strdup_printf("DROP INDEX \"%s\"", (char *)index_names->pdata[i]);
    exec(db, sql);
  }
  sqlite3_stmt *ci, *ei;
  if (sqlite3_prepare_v2(
          db,
          "INSERT INTO cases (id, department, case_number, version, item_code, item_name,"
          " applicant_type, applicant_name, applicant_id_type, applicant_id_number, hall, window,"
          " accepted_ns, accepted_reported_ns, acceptance, statutory_limit, statutory_unit,"
          " promised_limit, promised_unit, secrecy, state, state_ns, completed_ns, warning_level,"
          " received_ns, updated_ns) VALUES (?1, ?2, ?3, 1, ?4, ?5, 'person', '张三', '身份证',"
          " '440102199001011234', ?6, ?7, ?8, ?8, 'accepted', 20, 'working_days', 10,"
          " 'working_days', 'none', ?9, ?10, ?11, ?12, ?8, ?8)",
          -1, &ci, NULL) != SQLITE_OK)
    die("prepare cases", db);
  if (sqlite3_prepare_v2(db,
                         "INSERT INTO stage_events (id, case_id, department, source_event_id,"
                         " stage, time_ns, reported_ns, received_ns, operator_id, operator_name,"
                         " hall, window, outcome) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?6, ?6, ?7,"
                         " '李敏', ?8, ?9, ?10)",
                         -1, &ei, NULL) != SQLITE_OK)
    die("prepare events", db);
  static const char *const stages[] = {
      "ticket_called", "accepted",  "undertaken",           "reviewed",
      "approved",      "completed", "certificate_collected"};
  GRand *rng = g_rand_new_with_seed(42);
  int64_t ev_id = 0;
  char num[40], item[40], hall[8], window[8], op[16], evid[40];
  for (int64_t i = 1; i <= n_cases; i++) {
    int d = (int)(i % N_DEPTS);
    /* accepted times rise with id, with jitter, like real arrivals */
    hw_time_ns acc = T0 + (hw_time_ns)((double)SPAN * (double)i / (double)n_cases) +
                     g_rand_int_range(rng, 0, 3600) * HW_NS_PER_S;
    int h = g_rand_int_range(rng, 0, N_HALLS), w = g_rand_int_range(rng, 0, WINDOWS_PER_HALL);
    case_number(num, sizeof num, i);
    g_snprintf(item, sizeof item, "ITEM-%02d-%03d", d, g_rand_int_range(rng, 0, ITEMS_PER_DEPT));
    g_snprintf(hall, sizeof hall, "H%d", h + 1);
    g_snprintf(window, sizeof window, "W%02d", w + 1);
    int nst = events_per_case;
    const char *state = states[g_rand_int_range(rng, 0, G_N_ELEMENTS(states))];
    int r = g_rand_int_range(rng, 0, 100);
    int level = r < 3 ? 2 : r < 8 ? 1 : 0;
    hw_time_ns state_ns = acc + (nst - 1) * INT64_C(86400) * HW_NS_PER_S;
    sqlite3_bind_int64(ci, 1, i);
    sqlite3_bind_text(ci, 2, depts[d], -1, SQLITE_STATIC);
    sqlite3_bind_text(ci, 3, num, -1, SQLITE_STATIC);
    sqlite3_bind_text(ci, 4, item, -1, SQLITE_STATIC);
    sqlite3_bind_text(ci, 5, "建设工程规划许可证核发", -1, SQLITE_STATIC);
    sqlite3_bind_text(ci, 6, hall, -1, SQLITE_STATIC);
    sqlite3_bind_text(ci, 7, window, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ci, 8, acc);
    sqlite3_bind_text(ci, 9, state, -1, SQLITE_STATIC);
    sqlite3_bind_int64(ci, 10, state_ns);
    if (strcmp(state, "completed") == 0)
      sqlite3_bind_int64(ci, 11, state_ns);
    else
      sqlite3_bind_null(ci, 11);
    sqlite3_bind_int(ci, 12, level);
    if (sqlite3_step(ci) != SQLITE_DONE)
      die("insert case", db);
    sqlite3_reset(ci);
    for (int k = 0; k < nst; k++) {
      const char *stage = stages[MIN(k, (int)G_N_ELEMENTS(stages) - 1)];
      g_snprintf(op, sizeof op, "OP%02d%03d", d, g_rand_int_range(rng, 0, OPERATORS_PER_DEPT));
      g_snprintf(evid, sizeof evid, "EV-%" G_GINT64_FORMAT "-%d", i, k);
      sqlite3_bind_int64(ei, 1, ++ev_id);
      sqlite3_bind_int64(ei, 2, i);
      sqlite3_bind_text(ei, 3, depts[d], -1, SQLITE_STATIC);
      sqlite3_bind_text(ei, 4, evid, -1, SQLITE_STATIC);
      sqlite3_bind_text(ei, 5, stage, -1, SQLITE_STATIC);
      sqlite3_bind_int64(ei, 6, acc + k * INT64_C(86400) * HW_NS_PER_S);
      sqlite3_bind_text(ei, 7, op, -1, SQLITE_STATIC);
      sqlite3_bind_text(ei, 8, hall, -1, SQLITE_STATIC);
      sqlite3_bind_text(ei, 9, k < 2 ? window : NULL, -1, SQLITE_STATIC);
      if (strcmp(stage, "completed") == 0)
        sqlite3_bind_text(ei, 10, "certificate_issued", -1, SQLITE_STATIC);
      else
        sqlite3_bind_null(ei, 10);
      if (sqlite3_step(ei) != SQLITE_DONE)
        die("insert stage event", db);
      sqlite3_reset(ei);
    }
    if (i % 100000 == 0)
      g_printerr("\rbuilding: %" G_GINT64_FORMAT " cases", i);
  }
  sqlite3_finalize(ci);
  sqlite3_finalize(ei);
  g_printerr("\rbuilding: indexes…                 ");
  for (guint i = 0; i < index_sql->len; i++)
    exec(db, index_sql->pdata[i]);
  exec(db, "COMMIT");
  exec(db, "ANALYZE");
  g_printerr("\r");
  g_rand_free(rng);
  g_ptr_array_free(index_sql, TRUE);
  g_ptr_array_free(index_names, TRUE);
  sqlite3_close(db);
}

/* ---- measuring ------------------------------------------------------------------------------- */

typedef struct {
  HwStore *store;
  GRand *rng;
  int64_t n_cases;
  size_t rows; /* rows returned, to show the queries did work */
} Ctx;

typedef void (*QueryFn)(Ctx *c, bool plan_only, char **ret_plan);

static HwCaseQuery base(void) { return (HwCaseQuery){.limit = 50}; }

static void run_cases(Ctx *c, HwCaseQuery *q, bool plan_only, char **ret_plan)
{
  g_autoptr(GError) error = NULL;
  if (plan_only) {
    *ret_plan = hw_store_case_query_plan(c->store, q, &error);
  } else {
    HwStoreCase *rows = NULL;
    size_t n = 0;
    bool more;
    if (!hw_store_cases_query(c->store, q, &rows, &n, &more, &error)) {
      g_printerr("bench_cases: %s\n", error->message);
      exit(1);
    }
    c->rows += n;
    g_free(rows);
  }
}

static void q_number(Ctx *c, bool plan_only, char **ret_plan)
{
  char num[40];
  case_number(num, sizeof num, g_rand_int_range(c->rng, 1, (gint32)c->n_cases + 1));
  HwCaseQuery q = base();
  q.case_number = num;
  run_cases(c, &q, plan_only, ret_plan);
}

static void q_department_state(Ctx *c, bool plan_only, char **ret_plan)
{
  HwCaseQuery q = base();
  q.department = depts[g_rand_int_range(c->rng, 0, N_DEPTS)];
  q.state = states[g_rand_int_range(c->rng, 0, 5)];
  run_cases(c, &q, plan_only, ret_plan);
}

static void q_warning(Ctx *c, bool plan_only, char **ret_plan)
{
  HwCaseQuery q = base();
  q.warning_level = g_rand_int_range(c->rng, 1, 3);
  run_cases(c, &q, plan_only, ret_plan);
}

static void q_warning_department(Ctx *c, bool plan_only, char **ret_plan)
{
  HwCaseQuery q = base();
  q.warning_level = 2;
  q.department = depts[g_rand_int_range(c->rng, 0, N_DEPTS)];
  run_cases(c, &q, plan_only, ret_plan);
}

static void q_date_range(Ctx *c, bool plan_only, char **ret_plan)
{
  HwCaseQuery q = base();
  q.has_from = q.has_to = true;
  q.from_ns = T0 + (hw_time_ns)(g_rand_double(c->rng) * (double)SPAN);
  q.to_ns = q.from_ns + INT64_C(7) * 86400 * HW_NS_PER_S;
  run_cases(c, &q, plan_only, ret_plan);
}

static void q_scoped(Ctx *c, bool plan_only, char **ret_plan)
{
  const char *scope[] = {depts[g_rand_int_range(c->rng, 0, N_DEPTS)],
                         depts[g_rand_int_range(c->rng, 0, N_DEPTS)], NULL};
  HwCaseQuery q = base();
  q.scope_departments = scope;
  q.state = "accepted";
  run_cases(c, &q, plan_only, ret_plan);
}

static void q_staff(Ctx *c, bool plan_only, char **ret_plan)
{
  char op[16];
  g_snprintf(op, sizeof op, "OP%02d%03d", g_rand_int_range(c->rng, 0, N_DEPTS),
             g_rand_int_range(c->rng, 0, OPERATORS_PER_DEPT));
  HwStaffQuery q = {.operator_id = op, .limit = 50};
  g_autoptr(GError) error = NULL;
  if (plan_only) {
    *ret_plan = hw_store_staff_query_plan(c->store, &q, &error);
    return;
  }
  HwStoreStaffEvent *rows = NULL;
  size_t n = 0;
  bool more;
  if (!hw_store_staff_events(c->store, &q, &rows, &n, &more, &error)) {
    g_printerr("bench_cases: %s\n", error->message);
    exit(1);
  }
  c->rows += n;
  hw_store_staff_events_free(rows, n);
}

static void q_case_with_stages(Ctx *c, bool plan_only, char **ret_plan)
{
  g_autoptr(GError) error = NULL;
  if (plan_only) {
    *ret_plan = hw_store_case_stages_plan(c->store, &error);
    return;
  }
  HwStoreCase k;
  int64_t id = g_rand_int_range(c->rng, 1, (gint32)c->n_cases + 1);
  HwStoreStageEvent *ev = NULL;
  size_t n = 0;
  if (!hw_store_case_get_by_id(c->store, id, NULL, NULL, &k, &error) ||
      !hw_store_case_stages(c->store, id, &ev, &n, &error)) {
    g_printerr("bench_cases: %s\n", error->message);
    exit(1);
  }
  c->rows += 1 + n;
  hw_store_stage_events_free(ev, n);
}

static int cmp_double(const void *a, const void *b)
{
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static double pct(const double *s, size_t n, double p)
{
  size_t i = (size_t)ceil(p * (double)n) - 1;
  return s[MIN(i, n - 1)];
}

/* ---- over HTTP: the same queries as GET requests of a signed-in supervisor -------------------- */

typedef struct {
  GSocketConnection *conn;
  GSocketClient *sc;
  int port;
  bool closed; /* the server said Connection: close: reconnect before the next request */
  char cookie[160];
} Client;

/* One request on the keep-alive connection; the status, body into *body. */
static int http_do(Client *cl, const char *method, const char *path, const char *json,
                   GString *body)
{
  if (cl->closed || cl->conn == NULL) {
    g_clear_object(&cl->conn);
    cl->conn = g_socket_client_connect_to_host(cl->sc, "127.0.0.1", (guint16)cl->port, NULL, NULL);
    cl->closed = false;
    if (cl->conn == NULL)
      return 0;
  }
  g_autoptr(GString) req = g_string_new(NULL);
  g_string_append_printf(req, "%s %s HTTP/1.1\r\nHost: 127.0.0.1\r\n", method, path);
  if (cl->cookie[0])
    g_string_append_printf(req, "Cookie: %s\r\n", cl->cookie);
  if (json)
    g_string_append_printf(req, "Content-Type: application/json\r\nContent-Length: %zu\r\n",
                           strlen(json));
  g_string_append_printf(req, "\r\n%s", json ? json : "");
  if (!g_output_stream_write_all(g_io_stream_get_output_stream(G_IO_STREAM(cl->conn)), req->str,
                                 req->len, NULL, NULL, NULL))
    return 0;
  GInputStream *in = g_io_stream_get_input_stream(G_IO_STREAM(cl->conn));
  g_autoptr(GString) head = g_string_new(NULL);
  char ch;
  while (!g_str_has_suffix(head->str, "\r\n\r\n")) {
    if (g_input_stream_read(in, &ch, 1, NULL, NULL) != 1)
      return 0;
    g_string_append_c(head, ch);
  }
  const char *cl_h = strcasestr(head->str, "\r\nContent-Length:");
  size_t len = cl_h ? strtoul(cl_h + 17, NULL, 10) : 0;
  g_string_set_size(body, len);
  gsize got = 0;
  if (len && !g_input_stream_read_all(in, body->str, len, &got, NULL, NULL))
    return 0;
  /* If the server closes the connection, connect again before the next request, outside the
   * timed part, so the figure is the request's own. */
  cl->closed = strcasestr(head->str, "\r\nConnection: close") != NULL;
  const char *ck = strstr(head->str, "hw_session=");
  if (ck)
    g_snprintf(cl->cookie, sizeof cl->cookie, "%.*s", (int)strcspn(ck, ";\r\n"), ck);
  return atoi(head->str + 9);
}

static char *path_number(Ctx *c)
{
  char num[40];
  case_number(num, sizeof num, g_rand_int_range(c->rng, 1, (gint32)c->n_cases + 1));
  return g_strdup_printf("/api/v1/cases?number=%s", num);
}

static char *path_department_state(Ctx *c)
{
  return g_strdup_printf("/api/v1/cases?department=%s&state=%s",
                         depts[g_rand_int_range(c->rng, 0, N_DEPTS)],
                         states[g_rand_int_range(c->rng, 0, 5)]);
}

static char *path_warning(Ctx *c)
{
  return g_strdup_printf("/api/v1/cases?warning=%s", g_rand_boolean(c->rng) ? "red" : "yellow");
}

static char *path_date_range(Ctx *c)
{
  hw_time_ns from = T0 + (hw_time_ns)(g_rand_double(c->rng) * (double)SPAN);
  char a[48], b[48];
  return g_strdup_printf("/api/v1/cases?accepted_from=%s&accepted_to=%s",
                         hw_time_format(from, a, sizeof a),
                         hw_time_format(from + 7 * INT64_C(86400) * HW_NS_PER_S, b, sizeof b));
}

static char *path_staff(Ctx *c)
{
  return g_strdup_printf("/api/v1/staff/OP%02d%03d/events", g_rand_int_range(c->rng, 0, N_DEPTS),
                         g_rand_int_range(c->rng, 0, OPERATORS_PER_DEPT));
}

static char *path_case(Ctx *c)
{
  return g_strdup_printf("/api/v1/cases/%d", g_rand_int_range(c->rng, 1, (gint32)c->n_cases + 1));
}

static HwCameraStatus *no_cameras(void *user, size_t *ret_n)
{
  *ret_n = 0;
  return NULL;
}

/* Starts the server on the store, signs a supervisor in and times each named route. */
static int bench_http(Ctx *c, int runs)
{
  g_autoptr(GError) error = NULL;
  bool seeded;
  if (!hw_auth_init(&error) || !hw_calendar_seed_shipped(c->store, &seeded, &error)) {
    g_printerr("bench_cases: %s\n", error->message);
    return 1;
  }
  g_autofree char *hash = hw_auth_password_hash("bench supervisor pw", &error);
  if (!hw_store_user_add(c->store, "bench-supervisor", "supervisor", hash, NULL, 0, NULL, &error)) {
    if (!g_error_matches(error, HW_STORE_ERROR, HW_STORE_ERROR_EXISTS)) {
      g_printerr("bench_cases: %s\n", error->message);
      return 1;
    }
    g_clear_error(&error);
  }
  HwCalendarSource *cal = hw_calendar_source_new(c->store, NULL);
  HwHttpOptions o;
  hw_http_options_init(&o);
  o.status_fn = no_cameras;
  o.store = c->store;
  o.calendar = cal;
  HwHttp *http = hw_http_new(&o, &error);
  if (http == NULL) {
    g_printerr("bench_cases: %s\n", error->message);
    return 1;
  }
  g_autoptr(GSocketClient) sc = g_socket_client_new();
  Client cl = {.sc = sc, .port = hw_http_port(http)};
  g_autoptr(GString) body = g_string_new(NULL);
  int rc = 0;
  if (http_do(&cl, "POST", "/api/v1/auth/login",
              "{\"username\":\"bench-supervisor\",\"password\":\"bench supervisor pw\"}",
              body) != 200) {
    g_printerr("bench_cases: cannot sign in over HTTP\n");
    rc = 1;
    goto out;
  }
  static const struct {
    const char *name;
    char *(*path)(Ctx *c);
  } routes[] = {
      {"GET by number", path_number},
      {"GET by department + state", path_department_state},
      {"GET by warning level", path_warning},
      {"GET by date range (7 days)", path_date_range},
      {"GET staff member's events", path_staff},
      {"GET one case (stages, due dates)", path_case},
  };
  printf("\nover HTTP (signed-in supervisor, limit 50; keep-alive, reconnect not timed):\n");
  printf("%-36s %10s %10s %10s %8s\n", "route", "p50 ms", "p99 ms", "max ms", "KiB/run");
  double *t = g_new(double, runs);
  for (size_t k = 0; k < G_N_ELEMENTS(routes); k++) {
    size_t bytes = 0;
    for (int i = -20; i < runs; i++) {
      g_autofree char *path = routes[k].path(c);
      if (cl.closed) { /* connect outside the measured time */
        g_clear_object(&cl.conn);
        cl.conn = g_socket_client_connect_to_host(sc, "127.0.0.1", (guint16)cl.port, NULL, NULL);
        cl.closed = false;
      }
      int64_t t0 = g_get_monotonic_time();
      int status = http_do(&cl, "GET", path, NULL, body);
      if (i >= 0)
        t[i] = (double)(g_get_monotonic_time() - t0) / 1000.0;
      if (status != 200) {
        g_printerr("bench_cases: %s answered %d (run %d)\n", path, status, i);
        rc = 1;
        break;
      }
      bytes += i >= 0 ? body->len : 0;
    }
    if (rc)
      break;
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    printf("%-36s %10.3f %10.3f %10.3f %8.1f\n", routes[k].name, pct(t, (size_t)runs, 0.5),
           pct(t, (size_t)runs, 0.99), t[runs - 1], (double)bytes / runs / 1024);
  }
  g_free(t);
out:
  g_clear_object(&cl.conn);
  hw_http_free(http);
  hw_calendar_source_free(cal);
  return rc;
}

int main(int argc, char **argv)
{
  gboolean smoke = FALSE, keep = FALSE, over_http = FALSE;
  gint64 n_cases = 1000000;
  int events = 5, runs = 2000;
  g_autofree char *db = NULL;
  GOptionEntry entries[] = {
      {"db", 0, 0, G_OPTION_ARG_FILENAME, &db, "database (built if missing; default in /tmp)", "F"},
      {"cases", 0, 0, G_OPTION_ARG_INT64, &n_cases, "cases to build (default 1,000,000)", "N"},
      {"events", 0, 0, G_OPTION_ARG_INT, &events, "stage events per case (default 5)", "N"},
      {"runs", 0, 0, G_OPTION_ARG_INT, &runs, "runs of each query (default 2000)", "N"},
      {"keep", 0, 0, G_OPTION_ARG_NONE, &keep, "keep the database for a later run", NULL},
      {"http", 0, 0, G_OPTION_ARG_NONE, &over_http,
       "also time the routes over HTTP (adds a supervisor and the calendar to the database)", NULL},
      {"smoke", 0, 0, G_OPTION_ARG_NONE, &smoke, "a small database; checks plans only", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL}};
  g_autoptr(GOptionContext) ctx = g_option_context_new("- named case queries at scale");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    g_printerr("bench_cases: %s\n", error->message);
    return 2;
  }
  if (smoke) {
    n_cases = 20000;
    runs = 200;
  }
  if (n_cases < 1 || n_cases > G_MAXINT32 || events < 1 || events > 7 || runs < 1) {
    g_printerr("bench_cases: --cases 1..2^31, --events 1..7, --runs >= 1\n");
    return 2;
  }
  bool made_path = db == NULL;
  if (made_path)
    db = g_strdup_printf("%s/hw-bench-cases-%" G_GINT64_FORMAT "x%d.db", g_get_tmp_dir(), n_cases,
                         events);
  if (!g_file_test(db, G_FILE_TEST_EXISTS)) {
    int64_t t0 = g_get_monotonic_time();
    build(db, n_cases, events);
    printf("built %s: %" G_GINT64_FORMAT " cases, %" G_GINT64_FORMAT " stage events in %.1f s\n",
           db, n_cases, n_cases * events, (double)(g_get_monotonic_time() - t0) / 1e6);
  }
  Ctx c = {.rng = g_rand_new_with_seed(7), .n_cases = n_cases};
  c.store = hw_store_open(db, &error);
  if (c.store == NULL) {
    g_printerr("bench_cases: %s\n", error->message);
    return 1;
  }
  static const struct {
    const char *name;
    QueryFn fn;
  } queries[] = {
      {"by number", q_number},
      {"by department + state", q_department_state},
      {"by warning level", q_warning},
      {"by department + warning level", q_warning_department},
      {"by date range (7 days)", q_date_range},
      {"scoped to 2 departments, by state", q_scoped},
      {"by staff member (events)", q_staff},
      {"one case with its stages", q_case_with_stages},
  };
  int rc = 0;
  printf("%-36s %10s %10s %10s %8s\n", "query (limit 50)", "p50 ms", "p99 ms", "max ms",
         "rows/run");
  double *t = g_new(double, runs);
  for (size_t k = 0; k < G_N_ELEMENTS(queries); k++) {
    char *plan = NULL;
    queries[k].fn(&c, true, &plan);
    if (plan == NULL || strstr(plan, "SCAN cases") || strstr(plan, "SCAN stage_events")) {
      g_printerr("bench_cases: %s: a full scan:\n%s\n", queries[k].name, plan ? plan : "(none)");
      rc = 1;
    }
    if (g_getenv("HW_BENCH_PLANS"))
      printf("  plan: %s", plan);
    g_free(plan);
    for (int i = 0; i < 20; i++) /* warm the cache */
      queries[k].fn(&c, false, NULL);
    c.rows = 0;
    for (int i = 0; i < runs; i++) {
      int64_t t0 = g_get_monotonic_time();
      queries[k].fn(&c, false, NULL);
      t[i] = (double)(g_get_monotonic_time() - t0) / 1000.0;
    }
    qsort(t, (size_t)runs, sizeof *t, cmp_double);
    printf("%-36s %10.3f %10.3f %10.3f %8.1f\n", queries[k].name, pct(t, (size_t)runs, 0.5),
           pct(t, (size_t)runs, 0.99), t[runs - 1], (double)c.rows / runs);
    if (c.rows == 0) {
      g_printerr("bench_cases: %s returned nothing\n", queries[k].name);
      rc = 1;
    }
  }
  g_free(t);
  if (over_http && bench_http(&c, runs) != 0)
    rc = 1;
  hw_store_close(c.store);
  g_rand_free(c.rng);
  if ((smoke || made_path) && !keep) {
    g_autofree char *wal = g_strconcat(db, "-wal", NULL), *shm = g_strconcat(db, "-shm", NULL);
    g_autofree char *key = g_strconcat(db, ".key", NULL);
    g_unlink(db);
    g_unlink(wal);
    g_unlink(shm);
    g_unlink(key);
  }
  return rc;
}
