/* browser.ui: the web interface in a real browser against a real hallwatchd. This program sets
 * the stage with the capture harness (two stamped RTSP test cameras at 320x240, sixteen at
 * 160x120 for the live wall, a temporary store, users of every role made with
 * `hallwatchd user add`, one hall manager limited to hall-1), then
 * runs tests/browser/ui.mjs under Node.js, which drives Debian's chromium headless through
 * playwright-core and saves 1920x1080 screenshots of each page in the build folder. Exit 77
 * (skipped, with the reason) only when chromium, Node.js, playwright-core or the built interface
 * is missing. */
#include <glib/gstdio.h>
#include <jansson.h>
#include <string.h>

#include "tests/capture/harness.h"

G_DEFINE_AUTOPTR_CLEANUP_FUNC(json_t, json_decref)

#define SKIP 77
#define NODE_TIMEOUT_MS (240 * 1000)

/* `hallwatchd user add NAME --role ROLE [--hall HALL] --random-password`: the password (g_free). */
static char *add_user(Hx *hx, const char *name, const char *role, const char *hall)
{
  const char *argv[] = {HW_HALLWATCHD, "user", "add", name, "--role", role, "--random-password",
                        "--config", hx->conf, hall ? "--hall" : NULL, hall, NULL};
  g_autofree char *out = NULL;
  int rc = hx_run_sync(argv, &out, 30000);
  g_autofree char *needle = g_strdup_printf("password for %s: ", name);
  const char *p = out ? strstr(out, needle) : NULL;
  if (rc != 0 || !p) {
    fprintf(stderr, "user add %s: exit %d: %s\n", name, rc, out ? out : "");
    return NULL;
  }
  p += strlen(needle);
  return g_strndup(p, strcspn(p, "\r\n"));
}

/* Why the browser test cannot run here, or NULL. */
static const char *missing(const char *chromium)
{
  if (!g_file_test(chromium, G_FILE_TEST_IS_EXECUTABLE))
    return "no chromium (apt-get install chromium; scripts/setup does; or set HW_CHROMIUM)";
  if (!g_file_test(HW_NODE, G_FILE_TEST_IS_EXECUTABLE))
    return "no Node.js (" HW_NODE ")";
  if (!g_file_test(HW_UI_DIR "/node_modules/playwright-core/package.json", G_FILE_TEST_EXISTS))
    return "no playwright-core: run `npm ci` in web/ui (scripts/setup does)";
  if (!g_file_test(HW_WWW_DIR "/index.html", G_FILE_TEST_EXISTS))
    return "the web interface is not built (" HW_WWW_DIR ")";
  return NULL;
}

static int run(Hx *hx, const char *chromium)
{
  HwRtspStreamSpec a = {.path = "/a"}, b = {.path = "/b"};
  hx_add_stream(hx, &a);
  hx_add_stream(hx, &b);
  /* The live wall's 16 cameras: 160x120 at 10 fps with a 1 s GOP, light enough for 2 cores. */
  enum { WALL = 16 };
  char wall_paths[WALL][16];
  for (int i = 0; i < WALL; i++) {
    snprintf(wall_paths[i], sizeof wall_paths[i], "/w%02d", i + 1);
    HwRtspStreamSpec w = {
      .path = wall_paths[i], .width = 160, .height = 120, .fps = 10, .gop_frames = 10};
    hx_add_stream(hx, &w);
  }
  hx_write_config(hx, NULL, "");

  /* name, role, hall scope: the expected pages of each role are the test's own (ui.mjs). */
  static const char *const users[][3] = {
    {"admin", "admin", NULL},           {"auditor", "auditor", NULL},
    {"supervisor", "supervisor", NULL}, {"manager", "hall_manager", NULL},
    {"manager1", "hall_manager", "hall-1"}, {"investigator", "investigator", NULL},
    {"viewer", "viewer", NULL},         {"locked", "supervisor", NULL},
  };
  g_autoptr(json_t) params = json_object();
  json_t *ju = json_array();
  json_object_set_new(params, "users", ju);
  for (size_t i = 0; i < G_N_ELEMENTS(users); i++) {
    g_autofree char *pw = add_user(hx, users[i][0], users[i][1], users[i][2]);
    HX_REQUIRE(pw != NULL, "hallwatchd user add %s failed", users[i][0]);
    json_array_append_new(ju, json_pack("{s:s, s:s, s:s, s:s?}", "name", users[i][0], "role",
                                        users[i][1], "password", pw, "hall", users[i][2]));
  }
  HX_REQUIRE(hx_start(hx), "hallwatchd does not start");
  int st = 0;
  for (int waited = 0; st != 200 && waited < 15000; waited += 100) {
    g_autofree char *health = hx_http_get(hx->http_port, "/healthz", &st);
    if (st != 200)
      hx_sleep_ms(100);
  }
  HX_REQUIRE(st == 200, "hallwatchd does not answer /healthz within 15 s");

  g_autofree char *url_a = hw_rtsp_server_url(hx->server, "/a");
  g_autofree char *url_b = hw_rtsp_server_url(hx->server, "/b");
  g_autofree char *base = g_strdup_printf("http://127.0.0.1:%d", hx->http_port);
  json_object_set_new(params, "base", json_string(base));
  json_object_set_new(params, "rtsp_a", json_string(url_a));
  json_object_set_new(params, "rtsp_b", json_string(url_b));
  json_t *wall = json_array();
  for (int i = 0; i < WALL; i++) {
    g_autofree char *u = hw_rtsp_server_url(hx->server, wall_paths[i]);
    json_array_append_new(wall, json_string(u));
  }
  json_object_set_new(params, "rtsp_wall", wall);
  json_object_set_new(params, "chromium", json_string(chromium));
  json_object_set_new(params, "screenshots", json_string(HW_SCREENSHOT_DIR));
  json_object_set_new(params, "ui_dir", json_string(HW_UI_DIR));
  g_autofree char *params_path = g_build_filename(hx->dir, "browser.json", NULL);
  HX_REQUIRE(json_dump_file(params, params_path, JSON_INDENT(1)) == 0, "cannot write %s",
             params_path);
  g_mkdir_with_parents(HW_SCREENSHOT_DIR, 0755);

  const char *argv[] = {HW_NODE, HW_BROWSER_SCRIPT, params_path, NULL};
  g_autofree char *out = NULL;
  int rc = hx_run_sync(argv, &out, NODE_TIMEOUT_MS);
  fputs(out ? out : "", stdout);
  if (rc == SKIP) { /* ui.mjs: a Node.js too old for playwright-core */
    hx_signal(hx, SIGTERM);
    hx_wait_exit(hx, 20000);
    return SKIP;
  }
  HX_CHECK(rc == 0, "the browser test %s (exit %d)", rc < 0 ? "ran out of time" : "failed", rc);

  hx_signal(hx, SIGTERM);
  HX_CHECK(hx_wait_exit(hx, 20000), "hallwatchd does not stop within 20 s");
  if (hx_failures) {
    g_autofree char *log = NULL;
    if (g_file_get_contents(hx->log, &log, NULL, NULL))
      fprintf(stderr, "---- hallwatchd log ----\n%s\n", log);
  }
  return 0;
}

int main(void)
{
  const char *chromium = g_getenv("HW_CHROMIUM") ? g_getenv("HW_CHROMIUM") : "/usr/bin/chromium";
  const char *why = missing(chromium);
  if (why) {
    printf("SKIP browser.ui: %s\n", why);
    return SKIP;
  }
  Hx *hx = hx_new("browser");
  int fatal = run(hx, chromium);
  if (hx_alive(hx))
    hx_kill9(hx);
  if (fatal == SKIP) {
    hx_free(hx);
    return SKIP;
  }
  int failures = hx_failures + fatal;
  hx_free(hx);
  if (failures)
    fprintf(stderr, "%d check(s) failed\n", failures);
  return failures ? 1 : 0;
}
