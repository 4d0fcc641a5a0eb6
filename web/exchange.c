/* The exchange API for departments' systems (docs/exchange/openapi.yaml): POST
 * /api/v1/exchange/batch takes a batch of records and answers per record, or with every problem.
 * The rules live in cases/hw_exchange.h; this file is the HTTP side only. Secret cases are logged
 * as a count and the department, never with anything of the records. */
#include <glib.h>
#include <jansson.h>

#include "cases/hw_exchange.h"
#include "cases/hw_warnings.h"
#include "web/handlers.h"

void hw_route_exchange_batch(HwRequest *req, HwReply *reply)
{
  const HwCaller *caller = hw_request_caller(req);
  hw_time_ns received = hw_time_now();
  HwExchangeProblem p = {0};
  json_t *records = hw_exchange_records(hw_request_json(req), HW_EXCHANGE_BATCH_MAX, &p);
  if (records == NULL) {
    hw_reply_json(reply, 400,
                  json_pack("{s:{s:s, s:s, s:s}, s:[{s:s, s:s}]}", "error", "code", "invalid_batch",
                            "message", p.reason, "field", p.field, "problems", "field", p.field,
                            "reason", p.reason));
    g_free(p.field);
    g_free(p.reason);
    return;
  }
  HwExchangeResult r;
  hw_exchange_submit(hw_request_store(req), caller->department, records, 0,
                     json_array_size(records), received, &r);
  if (r.status == HW_EXCHANGE_SECRET)
    g_message("exchange: department %s: %zu record(s) refused as (naming) secret cases",
              caller->department, r.secret);
  else if (r.status == HW_EXCHANGE_FAILED)
    g_warning("exchange: department %s: %s", caller->department, r.message);
  /* warnings: the batch is committed; its cases are evaluated now (a failure here does not undo
   * the batch; the case is evaluated again at its next event and at every start) */
  HwWarnings *warnings = hw_request_warnings(req);
  g_autoptr(GError) werror = NULL;
  size_t raised = 0;
  if (r.status == HW_EXCHANGE_OK && warnings != NULL &&
      !hw_warnings_on_records(warnings, caller->department, r.records, r.n, &raised, &werror))
    g_warning("warnings: department %s: %s", caller->department, werror->message);
  else if (raised > 0)
    g_debug("warnings: department %s: %zu raised", caller->department, raised);
  if (r.status == HW_EXCHANGE_OK)
    g_debug("exchange: department %s: %s; write lock held %.1f ms", caller->department,
            r.message, (double)r.tx_ns / 1e6);
  hw_reply_json(reply, hw_exchange_result_http_status(&r), hw_exchange_result_json(&r));
  hw_exchange_result_clear(&r);
}
