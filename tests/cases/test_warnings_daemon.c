/* Warnings wired into a real hallwatchd: a department's batch through the exchange API is
 * evaluated after it commits ([warnings] of the config applies: a rule switched off stays
 * silent), supervisors see the warnings, and after a restart the open cases are evaluated again
 * without duplicates. The rules' timing is tests/cases/test_warnings.c (injected clock). */
#include <jansson.h>
#include <signal.h>
#include <string.h>
#include <sys/wait.h>

#include "sql/hw_store.h"
#include "sql/hw_store_auth.h"
#include "tests/capture/harness.h"
#include "web/hw_auth.h"

#define DEPT "440303-MZJ"

static gint by_text(gconstpointer a, gconstpointer b)
{
  return g_strcmp0(*(const char *const *)a, *(const char *const *)b);
}

/* The open warnings' rules, sorted and joined by spaces. */
static char *open_rules(int port)
{
  int status = 0;
  g_autofree char *body = hx_http_get(port, "/api/v1/warnings", &status);
  json_t *j = body && status == 200 ? json_loads(body, 0, NULL) : NULL;
  json_t *list = json_object_get(j, "warnings");
  g_autoptr(GPtrArray) rules = g_ptr_array_new();
  for (size_t i = 0; i < json_array_size(list); i++)
    g_ptr_array_add(rules,
                    (gpointer)json_string_value(json_object_get(json_array_get(list, i), "rule")));
  g_ptr_array_sort(rules, by_text);
  g_ptr_array_add(rules, NULL);
  char *out = g_strjoinv(" ", (char **)rules->pdata);
  json_decref(j);
  return out;
}

static bool wait_healthy(Hx *hx)
{
  int status = 0;
  for (int i = 0; i < 200 && status != 200; i++) {
    g_free(hx_http_get(hx->http_port, "/healthz", &status));
    if (status != 200)
      hx_sleep_ms(50);
  }
  return status == 200;
}

int main(void)
{
  Hx *hx = hx_new("warnings-daemon");
  hx_write_config(hx, NULL, "[warnings]\nfee_above_standard = false\n");
  /* a department token, in the store before the daemon starts */
  g_autoptr(GError) error = NULL;
  g_autofree char *token = hw_auth_token_new("hwt_");
  {
    HwStore *store = hw_store_open(hx->db, &error);
    HX_REQUIRE(store != NULL, "store: %s", error ? error->message : "");
    char hash[65];
    hw_auth_token_hash(token, hash);
    HX_REQUIRE(
        hw_store_token_add(store, DEPT, "approval system", hash, hw_time_now(), NULL, &error),
        "token: %s", error ? error->message : "");
    hw_store_close(store);
  }
  HX_REQUIRE(hx_start(hx) && wait_healthy(hx), "hallwatchd does not start (see %s)", hx->log);
  int port = hx->http_port;

  /* accepted in January with 5/10 working days: past both limits; its fee above the standard */
  const char *batch =
      "{\"records\":[{\"type\":\"case\",\"department\":\"" DEPT "\",\"case_number\":\"D1\","
      "\"version\":1,\"item_code\":\"ITEM1\",\"item_name\":\"社会团体成立登记\","
      "\"applicant_type\":\"company\",\"applicant_name\":\"某协会\",\"hall\":\"LH-01\","
      "\"window\":\"W07\",\"accepted_at\":\"2026-01-05T10:00:00+08:00\",\"acceptance\":"
      "\"accepted\",\"statutory_limit\":10,\"statutory_limit_unit\":\"working_days\","
      "\"promised_limit\":5,\"promised_limit_unit\":\"working_days\",\"fee_charged_fen\":200,"
      "\"fee_standard_fen\":100,\"secrecy\":\"none\"}]}";
  g_autofree char *auth = g_strdup_printf("Authorization: Bearer %s\r\n", token);
  int status = 0;
  g_autofree char *answer = hx_http_post(port, "/api/v1/exchange/batch", auth, batch, &status);
  HX_CHECK(status == 200, "batch: %d %s", status, answer ? answer : "");
  g_autofree char *rules = open_rules(port);
  HX_CHECK(g_strcmp0(rules, "promised_late statutory_late") == 0,
           "open warnings after the batch: '%s'", rules ? rules : "(none)");

  /* a restart evaluates the open case again: nothing doubled */
  hx_signal(hx, SIGTERM);
  HX_CHECK(hx_wait_exit(hx, 20000), "hallwatchd does not stop");
  HX_REQUIRE(hx_start(hx) && wait_healthy(hx), "hallwatchd does not restart (see %s)", hx->log);
  g_autofree char *again = open_rules(hx->http_port);
  HX_CHECK(g_strcmp0(again, "promised_late statutory_late") == 0,
           "open warnings after a restart: '%s'", again ? again : "(none)");

  hx_signal(hx, SIGTERM);
  HX_CHECK(hx_wait_exit(hx, 20000), "hallwatchd does not stop");
  HX_CHECK(WIFEXITED(hx->last_status) && WEXITSTATUS(hx->last_status) == 0,
           "hallwatchd exited with status %d (see %s)", hx->last_status, hx->log);
  int failures = hx_failures;
  hx_free(hx);
  printf("%s\n", failures ? "FAILED" : "OK");
  return failures ? 1 : 0;
}
