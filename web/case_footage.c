/* Footage linked to a case (issue 5, "Linking"): for each stage event that names a window, the
 * cameras that covered that window at that time (the mapping history), the range T − pre-roll ..
 * T + post-roll, and the coverage of each camera over it with the gaps and their reasons. The
 * window interaction (the ticket call, 叫号) spans up to the acceptance (受理). Scope: the case's
 * department and hall, in the store query; a case outside either answers 404. */
#include <glib.h>
#include <jansson.h>
#include <string.h>

#include "web/handlers.h"
#include "web/internal.h"

/* The stage that opens a window interaction, and the one that ends it. */
#define STAGE_CALL "ticket_called"
#define STAGE_ACCEPTED "accepted"

static int64_t window_find(HwStore *store, const char *hall, const char *code, GError **error)
{
  if (!hall[0] || !code[0])
    return 0;
  const char *halls[] = {hall, NULL};
  g_autofree HwStoreWindow *list = NULL;
  size_t n = 0;
  if (!hw_store_windows_list(store, halls, &list, &n, error))
    return -1;
  for (size_t i = 0; i < n; i++)
    if (strcmp(list[i].code, code) == 0)
      return list[i].id;
  return 0;
}

/* When the interaction opened by the call at stages[k] ended: the first acceptance at or after
 * it, else the case's acceptance time if later, else the call itself. */
static hw_time_ns interaction_end(const HwStoreCase *c, const HwStoreStageEvent *stages, size_t n,
                                  size_t k)
{
  hw_time_ns t = stages[k].time_ns;
  for (size_t i = 0; i < n; i++)
    if (strcmp(stages[i].stage, STAGE_ACCEPTED) == 0 && stages[i].time_ns >= t)
      return stages[i].time_ns;
  return c->accepted_ns > t ? c->accepted_ns : t;
}

void hw_case_stage_links_free(HwCaseStageLink *links, size_t n)
{
  for (size_t i = 0; links && i < n; i++)
    hw_footage_links_free(links[i].links, links[i].n_links);
  g_free(links);
}

bool hw_case_stage_links(HwStore *store, const HwStoreCase *c, const HwStoreStageEvent *stages,
                         size_t n, int64_t only_event, const HwFootageRolls *rolls, hw_time_ns now,
                         HwCaseStageLink **ret, size_t *ret_n, GError **error)
{
  GArray *out = g_array_new(FALSE, TRUE, sizeof(HwCaseStageLink));
  for (size_t k = 0; k < n; k++) {
    const HwStoreStageEvent *e = &stages[k];
    if (only_event > 0 && e->id != only_event)
      continue;
    HwCaseStageLink l = {.event = e, .from_ns = e->time_ns, .to_ns = e->time_ns};
    hw_footage_rolls_for(rolls, e->stage, &l.pre_roll_ns, &l.post_roll_ns);
    if (strcmp(e->stage, STAGE_CALL) == 0)
      l.to_ns = interaction_end(c, stages, n, k);
    /* an event without a hall of its own happened in the case's hall */
    l.window_id = window_find(store, e->hall[0] ? e->hall : c->hall, e->window, error);
    if (l.window_id < 0 ||
        (l.window_id > 0 &&
         !hw_footage_for_window(store, l.window_id, l.from_ns, l.to_ns, l.pre_roll_ns,
                                l.post_roll_ns, now, &l.links, &l.n_links, error))) {
      hw_case_stage_links_free((HwCaseStageLink *)(void *)out->data, out->len);
      g_array_free(out, FALSE);
      return false;
    }
    g_array_append_val(out, l);
  }
  *ret_n = out->len;
  *ret = (HwCaseStageLink *)(void *)g_array_free(out, FALSE);
  return true;
}

static json_t *time_json(hw_time_ns t)
{
  char buf[40];
  return json_string(hw_time_format(t, buf, sizeof buf));
}

static void set_times(json_t *o, hw_time_ns from, hw_time_ns to)
{
  json_object_set_new(o, "from", time_json(from));
  json_object_set_new(o, "to", time_json(to));
  json_object_set_new(o, "from_ns", json_integer(from));
  json_object_set_new(o, "to_ns", json_integer(to));
}

static json_t *stage_json(const HwCaseStageLink *l)
{
  const HwStoreStageEvent *e = l->event;
  json_t *o = json_object();
  json_object_set_new(o, "id", json_integer(e->id));
  json_object_set_new(o, "event_id", json_string(e->source_event_id));
  json_object_set_new(o, "stage", json_string(e->stage));
  json_object_set_new(o, "time", time_json(e->time_ns));
  json_object_set_new(o, "time_ns", json_integer(e->time_ns));
  json_object_set_new(o, "hall", e->hall[0] ? json_string(e->hall) : json_null());
  json_object_set_new(o, "window", e->window[0] ? json_string(e->window) : json_null());
  /* an evaluation's rating, a complaint's channel (hw_store_case_feedback) */
  if (strcmp(e->stage, "evaluation") == 0 || strcmp(e->stage, "complaint") == 0)
    json_object_set_new(o, strcmp(e->stage, "evaluation") == 0 ? "rating" : "channel",
                        json_string(e->outcome));
  json_object_set_new(o, "span_to", time_json(l->to_ns));
  json_object_set_new(o, "span_to_ns", json_integer(l->to_ns));
  json_object_set_new(o, "pre_roll_s", json_real((double)l->pre_roll_ns / 1e9));
  json_object_set_new(o, "post_roll_s", json_real((double)l->post_roll_ns / 1e9));
  /* why there is nothing to show, when there is nothing */
  const char *none = !e->window[0]       ? "no_window"
                     : l->window_id == 0 ? "unknown_window"
                     : l->n_links == 0   ? "no_camera"
                                         : NULL;
  json_object_set_new(o, "no_footage", none ? json_string(none) : json_null());
  json_t *cams = json_array();
  for (size_t i = 0; i < l->n_links; i++) {
    const HwFootageLink *k = &l->links[i];
    json_t *c = json_pack("{s:s}", "camera", k->camera);
    set_times(c, k->from_ns, k->to_ns);
    hw_web_coverage_json(c, &k->coverage);
    json_object_set_new(c, "playlist",
                        json_sprintf("/api/v1/cameras/%s/playback.m3u8?from=%" G_GINT64_FORMAT
                                     "&to=%" G_GINT64_FORMAT "&start=%" G_GINT64_FORMAT,
                                     k->camera, k->from_ns, k->to_ns, e->time_ns));
    json_array_append_new(cams, c);
  }
  json_object_set_new(o, "cameras", cams);
  return o;
}

bool hw_web_case_get(HwRequest *req, HwReply *reply, const char *id_text, HwStoreCase *ret)
{
  guint64 id = 0;
  g_autoptr(GError) error = NULL;
  if (id_text && g_ascii_string_to_unsigned(id_text, 10, 1, G_MAXINT64, &id, NULL) &&
      hw_store_case_get_by_id(hw_request_store(req), (int64_t)id,
                          hw_request_scope_codes(req, HW_SCOPE_DEPARTMENT),
                          hw_request_scope_codes(req, HW_SCOPE_HALL), ret, &error))
    return true;
  if (error && !g_error_matches(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND))
    hw_reply_error(reply, 500, "internal", NULL, "the store failed while reading the case");
  else
    hw_reply_error(reply, 404, "not_found", "case", "no such case / 无此办件");
  return false;
}

/* The linked footage of events[0..n) (stage events, or evaluations and complaints) as a JSON
 * array; NULL (error set) if the store failed. */
static json_t *links_json(HwRequest *req, const HwStoreCase *c, const HwStoreStageEvent *events,
                          size_t n, GError **error)
{
  HwCaseStageLink *links = NULL;
  size_t n_links = 0;
  if (!hw_case_stage_links(hw_request_store(req), c, events, n, 0, req->http->opt.footage_rolls,
                           hw_time_now(), &links, &n_links, error))
    return NULL;
  json_t *arr = json_array();
  for (size_t i = 0; i < n_links; i++)
    json_array_append_new(arr, stage_json(&links[i]));
  hw_case_stage_links_free(links, n_links);
  return arr;
}

/* GET /api/v1/cases/{id}/footage: the stage events' footage ("stages") and that of the
 * evaluations and complaints about the case that name a window ("feedback"). */
void hw_route_case_footage(HwRequest *req, HwReply *reply)
{
  HwStoreCase c;
  if (!hw_web_case_get(req, reply, hw_request_param(req, "id"), &c))
    return;
  HwStore *store = hw_request_store(req);
  HwStoreStageEvent *stages = NULL, *feedback = NULL;
  size_t n = 0, n_feedback = 0;
  json_t *a_stages = NULL, *a_feedback = NULL;
  g_autoptr(GError) error = NULL;
  if (hw_store_case_stages(store, c.id, &stages, &n, &error) &&
      hw_store_case_feedback(store, c.id, &feedback, &n_feedback, &error) &&
      (a_stages = links_json(req, &c, stages, n, &error)) != NULL)
    a_feedback = links_json(req, &c, feedback, n_feedback, &error);
  hw_store_stage_events_free(stages, n);
  hw_store_stage_events_free(feedback, n_feedback);
  if (a_feedback == NULL) {
    json_decref(a_stages);
    hw_reply_error(reply, 500, "internal", NULL, "reading the case's footage failed: %s",
                   error->message);
    return;
  }
  json_t *o =
      json_pack("{s:I, s:s, s:s, s:o, s:o}", "case", (json_int_t)c.id, "case_number", c.case_number,
                "department", c.department, "stages", a_stages, "feedback", a_feedback);
  json_object_set_new(o, "hall", c.hall[0] ? json_string(c.hall) : json_null());
  hw_reply_json(reply, 200, o);
}
