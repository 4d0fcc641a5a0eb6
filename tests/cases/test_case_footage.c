/* The footage of a case's stages, end to end: a real hallwatchd records the test RTSP camera, a
 * window is mapped to it from a known time on, a department posts a case and its stage events
 * through the exchange API, and GET /api/v1/cases/{id}/footage (curl, over loopback) names the
 * camera and the ranges: covered for a stage while recording, a gap with the outage's reason for
 * a stage while the camera was stalled, no camera for a stage before the mapping. Scope: another
 * department's or hall's supervisor gets 404. A stage export (POST /api/v1/exports {case, stage})
 * makes a package whose manifest names the case and stage and that `hallwatchd verify` accepts. */
#include <glib/gstdio.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>

#include "sql/hw_store.h"
#include "sql/hw_store_auth.h"
#include "tests/capture/harness.h"
#include "web/hw_auth.h"

#define DEPT "440303-MZJ"
#define HALL "LH-01"
#define WINDOW "W07"
#define CASE_NO "44030320260302000123"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_t, json_decref)

typedef struct {
  char *jar, *csrf;
} Sess;

static void sess_clear(Sess *s)
{
  g_free(s->jar);
  g_free(s->csrf);
}

/* One request with curl; the status (0 if curl failed) and the body (g_free) in *ret_body.
 * bearer: a department token instead of a session. */
static int call(Hx *hx, const Sess *s, const char *bearer, const char *method, const char *path,
                const char *body, char **ret_body)
{
  g_autofree char *bpath = g_build_filename(hx->dir, "req.json", NULL);
  g_autofree char *opath = g_build_filename(hx->dir, "resp.json", NULL);
  g_autoptr(GPtrArray) argv = g_ptr_array_new_with_free_func(g_free);
  const char *fixed[] = {"curl", "-s", "-o", opath, "-w", "%{http_code}", "-X", method};
  for (size_t i = 0; i < G_N_ELEMENTS(fixed); i++)
    g_ptr_array_add(argv, g_strdup(fixed[i]));
  if (s) {
    g_ptr_array_add(argv, g_strdup("-b"));
    g_ptr_array_add(argv, g_strdup(s->jar));
    g_ptr_array_add(argv, g_strdup("-c"));
    g_ptr_array_add(argv, g_strdup(s->jar));
    if (s->csrf)
      g_ptr_array_add(argv, g_strdup_printf("-HX-CSRF-Token: %s", s->csrf));
  }
  if (bearer)
    g_ptr_array_add(argv, g_strdup_printf("-HAuthorization: Bearer %s", bearer));
  if (body) {
    g_file_set_contents(bpath, body, -1, NULL);
    g_ptr_array_add(argv, g_strdup("-HContent-Type: application/json"));
    g_ptr_array_add(argv, g_strdup("--data-binary"));
    g_ptr_array_add(argv, g_strdup_printf("@%s", bpath));
  }
  g_ptr_array_add(argv, g_strdup_printf("http://127.0.0.1:%d%s", hx->http_port, path));
  g_ptr_array_add(argv, NULL);
  g_autofree char *out = NULL;
  g_unlink(opath);
  if (!g_spawn_sync(NULL, (char **)argv->pdata, NULL, G_SPAWN_SEARCH_PATH, NULL, NULL, &out, NULL,
                    NULL, NULL))
    return 0;
  if (ret_body)
    g_file_get_contents(opath, ret_body, NULL, NULL);
  return out ? atoi(out) : 0;
}

static json_t *jcall(Hx *hx, const Sess *s, const char *method, const char *path, const char *body,
                     int *ret_status)
{
  g_autofree char *text = NULL;
  *ret_status = call(hx, s, NULL, method, path, body, &text);
  return text ? json_loads(text, 0, NULL) : NULL;
}

/* `hallwatchd user add` with one scope (--hall or --department; both NULL: none), then signs in. */
static bool session(Hx *hx, const char *name, const char *role, const char *flag, const char *code,
                    Sess *s)
{
  const char *argv[] = {HW_HALLWATCHD,       "user",     "add",    name, "--role", role,
                        "--random-password", "--config", hx->conf, flag, code,     NULL};
  g_autofree char *out = NULL;
  g_autofree char *needle = g_strdup_printf("password for %s: ", name);
  const char *p;
  if (hx_run_sync(argv, &out, 30000) != 0 || (p = strstr(out, needle)) == NULL)
    return false;
  p += strlen(needle);
  g_autofree char *pw = g_strndup(p, strcspn(p, "\r\n"));
  s->jar = g_build_filename(hx->dir, name, NULL);
  g_autoptr(json_t) req = json_pack("{s:s, s:s}", "username", name, "password", pw);
  g_autofree char *body = json_dumps(req, JSON_COMPACT);
  int st;
  g_autoptr(json_t) j = jcall(hx, s, "POST", "/api/v1/auth/login", body, &st);
  s->csrf = g_strdup(json_string_value(json_object_get(j, "csrf_token")));
  return st == 200 && s->csrf != NULL;
}

static char *rfc3339(hw_time_ns t)
{
  char buf[40];
  return g_strdup(hw_time_format(t, buf, sizeof buf));
}

static json_t *stage_event(const char *id, const char *stage, hw_time_ns t)
{
  g_autofree char *time = rfc3339(t);
  return json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "stage_event",
                   "department", DEPT, "case_number", CASE_NO, "event_id", id, "stage", stage,
                   "time", time, "hall", HALL, "window", WINDOW, "queue_ticket", "A031");
}

/* The stage of the footage answer with this source event id (borrowed), NULL if absent. */
static json_t *stage_of(json_t *answer, const char *event_id)
{
  size_t i;
  json_t *s;
  json_array_foreach(json_object_get(answer, "stages"), i, s)
  {
    if (g_strcmp0(json_string_value(json_object_get(s, "event_id")), event_id) == 0)
      return s;
  }
  return NULL;
}

static int64_t ns(json_t *o, const char *key)
{
  return json_integer_value(json_object_get(o, key));
}

/* The range item (covered or gap) of o[key] holding t (borrowed), NULL if none. */
static json_t *item_at(json_t *o, const char *key, hw_time_ns t)
{
  size_t i;
  json_t *r;
  json_array_foreach(json_object_get(o, key), i, r)
  {
    if (ns(r, "from_ns") <= t && t < ns(r, "to_ns"))
      return r;
  }
  return NULL;
}

static int run(Hx *hx)
{
  HwRtspStreamSpec spec = {.path = "/a", .fps = 25, .gop_frames = 25};
  hx_add_stream(hx, &spec);
  g_autoptr(GString) cams = g_string_new(NULL);
  hx_camera(cams, hx, "cam-a", "/a", NULL, NULL, NULL);
  /* the rolls of one stage type from the configuration file */
  g_string_append(cams, "[footage]\npre_roll.supplement_requested = 5s\n"
                        "post_roll.supplement_requested = 20s\n");
  HxOptions o = {.file_span = "4s", .fragment_max = "1s", .stall_timeout = "1s"};
  hx_write_config(hx, &o, cams->str);

  /* The hall, the window, its camera from t_map on, and the department's token: in the store
   * before the daemon opens it. */
  g_autoptr(GError) error = NULL;
  HX_REQUIRE(hw_auth_init(&error), "libsodium");
  g_autofree char *token = hw_auth_token_new("hwt_");
  hw_time_ns t_map = (hw_time_now() / HW_NS_PER_S + 5) * HW_NS_PER_S;
  {
    HwStore *store = hw_store_open(hx->db, &error);
    HX_REQUIRE(store != NULL, "store: %s", error ? error->message : "");
    char hash[65];
    hw_auth_token_hash(token, hash);
    HwStoreHall hall = {.code = HALL, .name = "罗湖大厅"};
    HwStoreWindow w = {.hall = HALL, .code = WINDOW, .name = "7号窗口", .departments = "[]"};
    int64_t wid = 0;
    const char *cam[] = {"cam-a"};
    HX_REQUIRE(
        hw_store_token_add(store, DEPT, "approval system", hash, hw_time_now(), NULL, &error) &&
            hw_store_hall_add(store, &hall, &error) &&
            hw_store_window_add(store, &w, &wid, &error) &&
            hw_store_window_set_cameras(store, wid, cam, 1, t_map, &error),
        "setting up the store: %s", error ? error->message : "");
    hw_store_close(store);
  }
  Sess inv = {0}, sup = {0}, sup_dept = {0}, sup_other = {0}, sup_hall = {0};
  HX_REQUIRE(hx_start(hx), "hallwatchd does not start");
  int st = 0;
  for (int i = 0; i < 100 && st != 200; i++) {
    hx_sleep_ms(100);
    g_free(hx_http_get(hx->http_port, "/healthz", &st));
  }
  HX_REQUIRE(st == 200, "hallwatchd does not answer /healthz");
  HX_REQUIRE(session(hx, "inv", "investigator", NULL, NULL, &inv) &&
                 session(hx, "sup", "supervisor", NULL, NULL, &sup) &&
                 session(hx, "sup_d", "supervisor", "--department", DEPT, &sup_dept) &&
                 session(hx, "sup_o", "supervisor", "--department", "440303-OTHER", &sup_other) &&
                 session(hx, "sup_h", "supervisor", "--hall", "LH-02", &sup_hall),
             "users and sign-in");
  static const char *const ids[] = {"cam-a", NULL};
  HX_REQUIRE(hx_wait_state(hx, ids, "recording", 15000), "cam-a does not record");

  /* Recording, mapped from t_map; then the camera stalls for 4 s; then it records again. */
  while (hw_time_now() < t_map + 4 * HW_NS_PER_S)
    hx_sleep_ms(100);
  hw_time_ns t_call = t_map + 1 * HW_NS_PER_S, t_accept = t_map + 3 * HW_NS_PER_S;
  hw_rtsp_server_set_stalled(hx->server, "/a", true);
  hw_time_ns stall_from = hw_time_now();
  hx_sleep_ms(4000);
  hw_rtsp_server_set_stalled(hx->server, "/a", false);
  hw_time_ns stall_to = hw_time_now();
  /* whole milliseconds: the exchange API carries times to the millisecond */
  hw_time_ns t_down = ((stall_from + stall_to) / 2 + HW_NS_PER_S / 2) / HW_NS_PER_MS * HW_NS_PER_MS;
  hw_time_ns t_before = t_map - 3 * HW_NS_PER_S;
  hx_sleep_ms(5000);

  /* The case and its stages, as the department posts them. */
  g_autofree char *accepted_at = rfc3339(t_accept);
  json_t *kase = json_pack(
      "{s:s, s:s, s:s, s:i, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:i, s:s, s:i, s:s, s:s}",
      "type", "case", "department", DEPT, "case_number", CASE_NO, "version", 1, "item_code",
      "11440303MB2C93041X4440117018000", "item_name", "社会团体成立登记", "applicant_type",
      "company", "applicant_name", "志愿者协会", "hall", HALL, "window", WINDOW, "accepted_at",
      accepted_at, "acceptance", "accepted", "statutory_limit", 20, "statutory_limit_unit",
      "working_days", "promised_limit", 10, "promised_limit_unit", "working_days", "secrecy",
      "none");
  /* a 差评 press at the window during the interaction, and a complaint naming no window */
  g_autofree char *t_eval_text = rfc3339(t_accept);
  json_t *eval =
      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "evaluation", "department",
                DEPT, "case_number", CASE_NO, "event_id", "EV-eval", "time", t_eval_text, "hall",
                HALL, "window", WINDOW, "rating", "dissatisfied");
  json_t *complaint =
      json_pack("{s:s, s:s, s:s, s:s, s:s, s:s, s:s}", "type", "complaint", "department", DEPT,
                "case_number", CASE_NO, "event_id", "EV-complaint", "time", t_eval_text, "channel",
                "phone", "content", "没有窗口");
  g_autoptr(json_t) batch = json_pack("{s:[o,o,o,o,o,o,o]}", "records", kase, eval, complaint,
                                      stage_event("EV-before", "submitted", t_before),
                                      stage_event("EV-call", "ticket_called", t_call),
                                      stage_event("EV-accept", "accepted", t_accept),
                                      stage_event("EV-down", "supplement_requested", t_down));
  g_autofree char *batch_text = json_dumps(batch, JSON_COMPACT);
  g_autofree char *answer = NULL;
  st = call(hx, NULL, token, "POST", "/api/v1/exchange/batch", batch_text, &answer);
  HX_REQUIRE(st == 200, "the batch: %d %s", st, answer ? answer : "");
  sqlite3 *db = hx_db_open(hx);
  int64_t case_id = hx_db_int(db, "SELECT id FROM cases WHERE case_number = '" CASE_NO "'");
  int64_t call_id = hx_db_int(db, "SELECT id FROM stage_events WHERE source_event_id = 'EV-call'");
  sqlite3_close(db);
  HX_REQUIRE(case_id > 0 && call_id > 0, "the case is not stored");

  g_autofree char *path = g_strdup_printf("/api/v1/cases/%" G_GINT64_FORMAT "/footage", case_id);
  g_autoptr(json_t) j = jcall(hx, &sup, "GET", path, NULL, &st);
  HX_REQUIRE(st == 200 && j, "GET %s: %d", path, st);
  g_autofree char *dump = json_dumps(j, JSON_COMPACT);
  HX_CHECK(json_array_size(json_object_get(j, "stages")) == 4, "four stages: %s", dump);

  /* the window interaction: the call up to the acceptance, plus 30 s / 120 s, on cam-a */
  json_t *s_call = stage_of(j, "EV-call");
  json_t *c_call = json_array_get(json_object_get(s_call, "cameras"), 0);
  HX_REQUIRE(s_call && c_call && json_array_size(json_object_get(s_call, "cameras")) == 1,
             "the ticket call has one camera: %s", dump);
  HX_CHECK(g_strcmp0(json_string_value(json_object_get(c_call, "camera")), "cam-a") == 0,
           "the call's camera is cam-a: %s", dump);
  HX_CHECK(ns(c_call, "from_ns") == t_call - 30 * HW_NS_PER_S &&
               ns(c_call, "to_ns") == t_accept + 120 * HW_NS_PER_S,
           "the call's range is T-30 s .. acceptance+120 s: %s", dump);
  HX_CHECK(item_at(c_call, "covered", t_call) && item_at(c_call, "covered", t_accept),
           "the call and the acceptance are covered: %s", dump);
  const char *pl = json_string_value(json_object_get(c_call, "playlist"));
  HX_CHECK(pl && g_str_has_prefix(pl, "/api/v1/cameras/cam-a/playback.m3u8?"), "a playlist URL: %s",
           pl ? pl : "(none)");
  g_autofree char *playlist = NULL;
  HX_CHECK(pl && call(hx, &inv, NULL, "GET", pl, NULL, &playlist) == 200 && playlist &&
               g_str_has_prefix(playlist, "#EXTM3U"),
           "the playlist plays: %s", playlist ? playlist : "");

  /* a stage while the camera was stalled: a gap at T with the outage's reason */
  json_t *s_down = stage_of(j, "EV-down");
  json_t *c_down = json_array_get(json_object_get(s_down, "cameras"), 0);
  HX_REQUIRE(c_down, "the stalled stage has a camera: %s", dump);
  json_t *gap = item_at(c_down, "gaps", t_down);
  const char *reason = json_string_value(json_object_get(gap, "reason"));
  HX_CHECK(gap && reason && strcmp(reason, "not_recorded") != 0 && strcmp(reason, "pending") != 0,
           "the stall at T is a gap with a reason: %s", dump);
  HX_CHECK(item_at(c_down, "covered", t_down) == NULL, "the stall is not covered: %s", dump);
  HX_CHECK(ns(c_down, "from_ns") == t_down - 5 * HW_NS_PER_S &&
               ns(c_down, "to_ns") == t_down + 20 * HW_NS_PER_S,
           "[footage] rolls of supplement_requested: T-5 s .. T+20 s: %s", dump);
  fprintf(stderr, "stalled stage: gap reason %s\n", reason ? reason : "(none)");

  /* the evaluation naming the window links to the same camera; the complaint names none */
  json_t *fb = json_object_get(j, "feedback");
  json_t *f0 = json_array_get(fb, 0);
  json_t *c_eval = json_array_get(json_object_get(f0, "cameras"), 0);
  HX_CHECK(json_array_size(fb) == 1 &&
               g_strcmp0(json_string_value(json_object_get(f0, "event_id")), "EV-eval") == 0 &&
               g_strcmp0(json_string_value(json_object_get(f0, "rating")), "dissatisfied") == 0 &&
               c_eval && ns(c_eval, "from_ns") == t_accept - 30 * HW_NS_PER_S &&
               ns(c_eval, "to_ns") == t_accept + 120 * HW_NS_PER_S &&
               item_at(c_eval, "covered", t_accept),
           "the evaluation's footage: %s", dump);

  /* a stage before the window had a camera */
  json_t *s_before = stage_of(j, "EV-before");
  HX_CHECK(s_before && json_array_size(json_object_get(s_before, "cameras")) == 0 &&
               g_strcmp0(json_string_value(json_object_get(s_before, "no_footage")), "no_camera") ==
                   0,
           "the stage before the mapping says no_camera: %s", dump);

  /* scope */
  g_autoptr(json_t) j_d = jcall(hx, &sup_dept, "GET", path, NULL, &st);
  HX_CHECK(st == 200, "a supervisor of the case's department: %d", st);
  g_autoptr(json_t) j_o = jcall(hx, &sup_other, "GET", path, NULL, &st);
  HX_CHECK(st == 404, "a supervisor of another department: %d", st);
  g_autoptr(json_t) j_h = jcall(hx, &sup_hall, "GET", path, NULL, &st);
  HX_CHECK(st == 404, "a supervisor of another hall: %d", st);
  g_autoptr(json_t) j_x = jcall(hx, &sup, "GET", "/api/v1/cases/999999/footage", NULL, &st);
  HX_CHECK(st == 404, "no such case: %d", st);

  /* a stage export: a package whose manifest names the case and the stage, and verifies */
  g_autofree char *req = g_strdup_printf(
      "{\"case\":%" G_GINT64_FORMAT ",\"stage\":%" G_GINT64_FORMAT "}", case_id, call_id);
  g_autoptr(json_t) job = jcall(hx, &inv, "POST", "/api/v1/exports", req, &st);
  g_autofree char *job_dump = job ? json_dumps(job, JSON_COMPACT) : NULL;
  HX_REQUIRE(st == 202 && job, "POST /api/v1/exports {case, stage}: %d %s", st,
             job_dump ? job_dump : "");
  HX_CHECK(g_strcmp0(json_string_value(json_object_get(job, "camera")), "cam-a") == 0 &&
               g_strcmp0(json_string_value(json_object_get(job, "case")), CASE_NO) == 0 &&
               g_strcmp0(json_string_value(json_object_get(job, "stage")), "ticket_called") == 0,
           "the job is cam-a's for the case's ticket call: %s", job_dump);
  int64_t job_id = json_integer_value(json_object_get(job, "id"));
  g_autofree char *job_path = g_strdup_printf("/api/v1/exports/%" G_GINT64_FORMAT, job_id);
  const char *state = NULL;
  for (int i = 0; i < 300; i++) {
    g_autoptr(json_t) now = jcall(hx, &inv, "GET", job_path, NULL, &st);
    state = json_string_value(json_object_get(now, "state"));
    if (g_strcmp0(state, "done") == 0 || g_strcmp0(state, "failed") == 0) {
      state = g_strcmp0(state, "done") == 0 ? "done" : "failed";
      if (strcmp(state, "failed") == 0)
        fprintf(stderr, "export failed: %s\n", json_string_value(json_object_get(now, "error")));
      break;
    }
    hx_sleep_ms(100);
  }
  HX_REQUIRE(g_strcmp0(state, "done") == 0, "the stage export is not done: %s",
             state ? state : "(none)");
  g_autofree char *zip = g_build_filename(hx->dir, "stage.zip", NULL);
  g_autofree char *dl = g_strdup_printf("curl -s -o %s -b %s http://127.0.0.1:%d%s/download", zip,
                                        inv.jar, hx->http_port, job_path);
  g_autofree char *unzip = g_strdup_printf("unzip -p %s manifest.json", zip);
  g_autofree char *manifest_text = NULL;
  HX_REQUIRE(system(dl) == 0 && g_spawn_command_line_sync(unzip, &manifest_text, NULL, NULL, NULL),
             "downloading the package");
  g_autoptr(json_t) manifest = json_loads(manifest_text ? manifest_text : "", 0, NULL);
  json_t *mc = json_object_get(manifest, "case");
  g_autofree char *mc_dump = mc ? json_dumps(mc, JSON_COMPACT) : NULL;
  HX_CHECK(g_strcmp0(json_string_value(json_object_get(mc, "case")), CASE_NO) == 0 &&
               g_strcmp0(json_string_value(json_object_get(mc, "department")), DEPT) == 0 &&
               g_strcmp0(json_string_value(json_object_get(mc, "stage")), "ticket_called") == 0 &&
               g_strcmp0(json_string_value(json_object_get(mc, "window")), WINDOW) == 0 &&
               json_integer_value(json_object_get(mc, "time_ns")) == t_call,
           "the manifest names the case, department, stage, window and time: %s",
           mc_dump ? mc_dump : "(no case)");
  HX_CHECK(json_integer_value(json_object_get(json_object_get(manifest, "requested"), "from_ns")) ==
               t_call - 30 * HW_NS_PER_S,
           "the manifest's range starts 30 s before the call");
  const char *verify[] = {HW_HALLWATCHD, "verify", "--config", hx->conf, zip, NULL};
  g_autofree char *vout = NULL;
  int vrc = hx_run_sync(verify, &vout, 30000);
  HX_CHECK(vrc == 0, "hallwatchd verify: exit %d: %s", vrc, vout ? vout : "");
  /* the stage of no camera: nothing to export, said plainly */
  db = hx_db_open(hx);
  int64_t before_id =
      hx_db_int(db, "SELECT id FROM stage_events WHERE source_event_id = 'EV-before'");
  sqlite3_close(db);
  g_autofree char *req2 = g_strdup_printf(
      "{\"case\":%" G_GINT64_FORMAT ",\"stage\":%" G_GINT64_FORMAT "}", case_id, before_id);
  g_autoptr(json_t) j2 = jcall(hx, &inv, "POST", "/api/v1/exports", req2, &st);
  HX_CHECK(st == 409, "exporting a stage when the window had no camera: %d", st);
  /* scope and malformed requests: nothing is queued for them */
  Sess inv_o = {0};
  HX_REQUIRE(session(hx, "inv_o", "investigator", "--department", "440303-OTHER", &inv_o),
             "sign-in inv_o");
  g_autoptr(json_t) j3 = jcall(hx, &inv_o, "POST", "/api/v1/exports", req, &st);
  HX_CHECK(st == 404, "an investigator of another department exports the stage: %d", st);
  g_autofree char *req4 =
      g_strdup_printf("{\"case\":%" G_GINT64_FORMAT ",\"stage\":999999}", case_id);
  g_autoptr(json_t) j4 = jcall(hx, &inv, "POST", "/api/v1/exports", req4, &st);
  HX_CHECK(st == 404, "a stage event not of the case: %d", st);
  g_autoptr(json_t) j5 =
      jcall(hx, &inv, "POST", "/api/v1/exports", "{\"case\":\"x\",\"stage\":1}", &st);
  HX_CHECK(st == 400, "case is not an id: %d", st);
  db = hx_db_open(hx);
  HX_CHECK(hx_db_int(db, "SELECT count(*) FROM exports") == 1, "one export job only");
  sqlite3_close(db);
  sess_clear(&inv_o);

  sess_clear(&inv);
  sess_clear(&sup);
  sess_clear(&sup_dept);
  sess_clear(&sup_other);
  sess_clear(&sup_hall);
  return 0;
}

int main(void)
{
  Hx *hx = hx_new("case-footage");
  int rc = run(hx);
  if (hx_alive(hx)) {
    hx_signal(hx, SIGTERM);
    if (!hx_wait_exit(hx, 20000))
      hx_kill9(hx);
    else
      HX_CHECK(WIFEXITED(hx->last_status) && WEXITSTATUS(hx->last_status) == 0,
               "hallwatchd exited with status %d (see its log)", hx->last_status);
  }
  if (rc == 0 && hx_failures > 0)
    rc = 1;
  if (rc != 0)
    fprintf(stderr, "log: %s\n", hx->log);
  hx_free(hx);
  return rc;
}
