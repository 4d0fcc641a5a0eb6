/* The exchange API of a real hallwatchd process: a department token made in its store, the
 * clock offset of its configuration file applied to what the department posts, and a new offset
 * applied after `systemctl reload` (SIGHUP) without a restart. */
#include <signal.h>
#include <stdio.h>

#include "cases/hw_exchange.h"
#include "sql/hw_store.h"
#include "sql/hw_store_auth.h"
#include "sql/hw_store_cases.h"
#include "tests/capture/harness.h"
#include "tests/cases/helpers.h"
#include "web/hw_auth.h"

#define DEPT "440303-MZJ"

static json_t *example(const char *name)
{
  g_autofree char *path = g_build_filename(HW_EXAMPLES_DIR, name, NULL);
  json_t *o = json_load_file(path, 0, NULL);
  json_t *v = json_incref(json_object_get(o, "value"));
  json_decref(o);
  return v;
}

/* The stored time and reported time of the stage event event_id. */
static bool event_times(Hx *hx, const char *event_id, int64_t *ret_time, int64_t *ret_reported)
{
  sqlite3 *db = hx_db_open(hx);
  sqlite3_stmt *st = NULL;
  sqlite3_prepare_v2(db, "SELECT time_ns, reported_ns FROM stage_events WHERE source_event_id = ?1",
                     -1, &st, NULL);
  sqlite3_bind_text(st, 1, event_id, -1, SQLITE_STATIC);
  bool found = sqlite3_step(st) == SQLITE_ROW;
  if (found) {
    *ret_time = sqlite3_column_int64(st, 0);
    *ret_reported = sqlite3_column_int64(st, 1);
  }
  sqlite3_finalize(st);
  sqlite3_close(db);
  return found;
}

static int post_event(Hx *hx, const char *token, json_t *event, const char *event_id)
{
  json_t *e = json_deep_copy(event);
  json_object_set_new(e, "event_id", json_string(event_id));
  json_t *batch = json_pack("{s:[o]}", "records", e);
  g_autofree char *body = json_dumps(batch, JSON_COMPACT);
  json_decref(batch);
  g_auto(Answer) a = post_batch(hx->http_port, token, body, 0);
  return a.status;
}

int main(void)
{
  Hx *hx = hx_new("exchange-daemon");
  hx_write_config(hx, NULL, "[exchange]\nclock_offset." DEPT " = -2s\n");
  /* the token, made in the store before the daemon opens it */
  g_autoptr(GError) error = NULL;
  HX_REQUIRE(hw_auth_init(&error), "libsodium");
  g_autofree char *token = hw_auth_token_new("hwt_");
  {
    HwStore *store = hw_store_open(hx->db, &error);
    HX_REQUIRE(store != NULL, "store: %s", error ? error->message : "");
    char hash[65];
    hw_auth_token_hash(token, hash);
    HX_REQUIRE(hw_store_token_add(store, DEPT, "approval system", hash, hw_time_now(), NULL,
                                  &error),
               "token");
    hw_store_close(store);
  }
  HX_REQUIRE(hx_start(hx), "hallwatchd did not start");
  int status = 0;
  for (int i = 0; i < 100; i++) {
    g_free(hx_http_get(hx->http_port, "/healthz", &status));
    if (status == 200)
      break;
    g_usleep(100 * 1000);
  }
  HX_REQUIRE(status == 200, "hallwatchd does not answer /healthz (log: %s)", hx->log);

  json_t *full = example("batch-full.json");
  json_t *first = json_pack("{s:[O, O]}", "records",
                            json_array_get(json_object_get(full, "records"), 0),
                            json_array_get(json_object_get(full, "records"), 1));
  g_autofree char *body = json_dumps(first, JSON_COMPACT);
  {
    g_auto(Answer) a = post_batch(hx->http_port, token, body, 0);
    HX_CHECK(a.status == 200, "the case and its first event: HTTP %d", a.status);
  }
  int64_t t = 0, reported = 0;
  HX_CHECK(event_times(hx, "MZ-EV-000456-01", &t, &reported), "the first event is stored");
  HX_CHECK(t == reported - 2 * HW_NS_PER_S, "offset -2s applied: stored %" G_GINT64_FORMAT
           ", reported %" G_GINT64_FORMAT, t, reported);

  /* a new offset, re-read on SIGHUP */
  hx_write_config(hx, NULL, "[exchange]\nclock_offset." DEPT " = +3s\n");
  hx_signal(hx, SIGHUP);
  json_t *event = json_array_get(json_object_get(full, "records"), 2);
  bool applied = false;
  for (int i = 0; i < 50 && !applied; i++) {
    g_autofree char *id = g_strdup_printf("after-hup-%d", i);
    HX_CHECK(post_event(hx, token, event, id) == 200, "event after SIGHUP");
    applied = event_times(hx, id, &t, &reported) && t == reported + 3 * HW_NS_PER_S;
    if (!applied)
      g_usleep(100 * 1000);
  }
  HX_CHECK(applied, "offset +3s applied after SIGHUP (log: %s)", hx->log);

  hx_signal(hx, SIGTERM);
  HX_CHECK(hx_wait_exit(hx, 15000), "hallwatchd stops on SIGTERM");
  json_decref(first);
  json_decref(full);
  int failures = hx_failures;
  hx_free(hx);
  return failures ? 1 : 0;
}
