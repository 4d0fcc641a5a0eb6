/* The recorder: the set of camera streams, the index writer, retention, and recovery at start.
 * hw_recorder_apply makes the running set match a list of camera configs, touching only the
 * cameras that changed (SIGHUP). */
#include "capture/camera.h"
#include "capture/retention.h"

#include <string.h>

struct HwRecorder {
  HwStore *store;
  HwRecorderOptions opts;
  HwIndexer *ix;
  HwRetention *retention;
  GMutex lock;          /* guards streams against status readers on other threads */
  GHashTable *streams;  /* "camera/stream" → HwCameraStream* */
  guint tick;
  bool paused;
};

static gboolean on_tick(gpointer user)
{
  HwRecorder *rec = user;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, rec->streams);
  while (g_hash_table_iter_next(&it, NULL, &v))
    hw_camera_stream_tick(v);
  return G_SOURCE_CONTINUE;
}

typedef struct {
  HwRecorder *rec;
  bool pause;
} PauseCall;

static gboolean apply_pause(gpointer data)
{
  PauseCall *pc = data;
  HwRecorder *rec = pc->rec;
  rec->paused = pc->pause;
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, rec->streams);
  while (g_hash_table_iter_next(&it, NULL, &v))
    hw_camera_stream_set_paused(v, pc->pause,
                                "disk floor reached: only held footage is left, recording paused");
  return G_SOURCE_REMOVE;
}

/* From the retention thread: camera control happens on the main context. */
static void on_pause(bool pause, void *user)
{
  PauseCall *pc = g_new(PauseCall, 1);
  pc->rec = user;
  pc->pause = pause;
  g_main_context_invoke_full(NULL, G_PRIORITY_DEFAULT, apply_pause, pc, g_free);
}

HwRecorder *hw_recorder_new(HwStore *store, const HwRecorderOptions *opts, GError **error)
{
  g_return_val_if_fail(opts->footage_dir != NULL, NULL);
  if (!gst_is_initialized())
    gst_init(NULL, NULL);
  if (!hw_recovery_run(store, opts->footage_dir, error))
    return NULL;

  HwRecorder *rec = g_new0(HwRecorder, 1);
  rec->store = store;
  rec->opts = *opts;
  rec->opts.footage_dir = g_strdup(opts->footage_dir);
  g_mutex_init(&rec->lock);
  rec->streams = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  rec->ix = hw_indexer_new(store, opts->index_interval_ns);
  rec->retention = hw_retention_new(store, &rec->opts, on_pause, rec);
  rec->tick = g_timeout_add(1000, on_tick, rec);
  return rec;
}

static void start_stream(HwRecorder *rec, const HwCameraConfig *cfg, const char *stream)
{
  hw_time_ns prev = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_store_last_end(rec->store, cfg->id, stream, &prev, &error))
    g_warning("camera %s: %s", cfg->id, error->message);
  HwCameraStream *cs = hw_camera_stream_new(cfg, stream, &rec->opts, rec->ix, prev);
  if (rec->paused)
    hw_camera_stream_set_paused(cs, true, "disk floor reached: recording paused");
  g_mutex_lock(&rec->lock);
  g_hash_table_insert(rec->streams, g_strdup_printf("%s/%s", cfg->id, stream), cs);
  g_mutex_unlock(&rec->lock);
}

void hw_recorder_apply(HwRecorder *rec, HwCameraConfig *const *cameras, size_t n)
{
  /* Streams whose camera is gone or changed stop; the rest keep recording untouched. */
  g_autoptr(GPtrArray) stop = g_ptr_array_new();
  g_mutex_lock(&rec->lock);
  GHashTableIter it;
  gpointer k, v;
  g_hash_table_iter_init(&it, rec->streams);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    const HwCameraConfig *have = hw_camera_stream_config(v);
    bool keep = false;
    for (size_t i = 0; i < n && !keep; i++)
      keep = hw_camera_config_equal(have, cameras[i]);
    if (!keep) {
      g_ptr_array_add(stop, v);
      g_hash_table_iter_remove(&it);
    }
  }
  g_mutex_unlock(&rec->lock);
  for (guint i = 0; i < stop->len; i++) {
    g_message("camera %s: stopping (removed or changed)",
              hw_camera_stream_config(stop->pdata[i])->id);
    hw_camera_stream_free(stop->pdata[i]);
  }

  for (size_t i = 0; i < n; i++) {
    const HwCameraConfig *c = cameras[i];
    g_autofree char *key = g_strdup_printf("%s/main", c->id);
    hw_retention_set_camera(rec->retention, c->id, c->retain_days, c->retain_bytes);
    if (g_hash_table_contains(rec->streams, key))
      continue;
    g_autoptr(GError) error = NULL;
    if (!hw_store_camera_upsert(rec->store, c->id, c->source ? c->source : "config", &error))
      g_warning("camera %s: %s", c->id, error->message);
    g_message("camera %s: starting", c->id);
    start_stream(rec, c, "main");
    if (c->substream_url != NULL && c->substream_url[0] != '\0')
      start_stream(rec, c, "sub");
  }
}

static int status_cmp(const void *a, const void *b)
{
  const HwCameraStatus *x = a, *y = b;
  int r = strcmp(x->camera, y->camera);
  return r != 0 ? r : strcmp(x->stream, y->stream);
}

HwCameraStatus *hw_recorder_status(HwRecorder *rec, size_t *ret_n)
{
  g_mutex_lock(&rec->lock);
  size_t n = g_hash_table_size(rec->streams);
  HwCameraStatus *out = g_new0(HwCameraStatus, MAX(n, 1));
  GHashTableIter it;
  gpointer v;
  size_t i = 0;
  g_hash_table_iter_init(&it, rec->streams);
  while (g_hash_table_iter_next(&it, NULL, &v))
    hw_camera_stream_status(v, &out[i++]);
  g_mutex_unlock(&rec->lock);
  qsort(out, n, sizeof *out, status_cmp);
  *ret_n = n;
  return out;
}

void hw_recorder_free(HwRecorder *rec)
{
  if (rec == NULL)
    return;
  g_source_remove(rec->tick);
  hw_retention_free(rec->retention);
  g_mutex_lock(&rec->lock);
  GHashTableIter it;
  gpointer v;
  g_hash_table_iter_init(&it, rec->streams);
  while (g_hash_table_iter_next(&it, NULL, &v))
    hw_camera_stream_free(v);
  g_hash_table_remove_all(rec->streams);
  g_mutex_unlock(&rec->lock);
  hw_indexer_free(rec->ix); /* flushes: every written fragment is durable and indexed */
  g_hash_table_destroy(rec->streams);
  g_mutex_clear(&rec->lock);
  g_free(rec->opts.footage_dir);
  g_free(rec);
}
