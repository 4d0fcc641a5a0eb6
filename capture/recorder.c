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
  HwLive *live; /* the live fan-out: one channel per camera stream */
  GMutex lock;          /* guards streams against status readers on other threads */
  GHashTable *streams;  /* "camera/stream" → HwCameraStream* */
  guint tick;
  bool paused;
  /* The cameras asked for by the last apply (HwCameraConfig*, owned). They run only while the
   * footage folder is known good; until then they show the storage error. */
  GPtrArray *wanted;
  bool storage_ok;
  char storage_error[256];
  guint storage_retry;
};

static void sync_streams(HwRecorder *rec);

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

/* Checks the footage folder and recovers it; on success recording starts. A folder that is
 * missing or belongs to another database (an unmounted disk) is retried every few seconds, so
 * recording starts by itself once the disk is back; meanwhile nothing is deleted. */
static gboolean try_storage(gpointer user)
{
  HwRecorder *rec = user;
  g_autoptr(GError) error = NULL;
  if (!hw_recovery_run(rec->store, rec->opts.footage_dir, &error)) {
    if (strcmp(rec->storage_error, error->message) != 0)
      g_critical("storage: %s", error->message);
    g_mutex_lock(&rec->lock);
    g_strlcpy(rec->storage_error, error->message, sizeof rec->storage_error);
    g_mutex_unlock(&rec->lock);
    return G_SOURCE_CONTINUE;
  }
  if (rec->storage_error[0] != '\0')
    g_message("storage: footage folder %s is usable again: recording starts", rec->opts.footage_dir);
  g_mutex_lock(&rec->lock);
  rec->storage_ok = true;
  rec->storage_error[0] = '\0';
  g_mutex_unlock(&rec->lock);
  rec->retention = hw_retention_new(rec->store, &rec->opts, on_pause, rec);
  rec->storage_retry = 0;
  sync_streams(rec);
  return G_SOURCE_REMOVE;
}

HwRecorder *hw_recorder_new(HwStore *store, const HwRecorderOptions *opts, GError **error)
{
  g_return_val_if_fail(opts->footage_dir != NULL, NULL);
  if (!gst_is_initialized())
    gst_init(NULL, NULL);

  HwRecorder *rec = g_new0(HwRecorder, 1);
  rec->store = store;
  rec->opts = *opts;
  rec->opts.footage_dir = g_strdup(opts->footage_dir);
  g_mutex_init(&rec->lock);
  rec->streams = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL);
  rec->wanted = g_ptr_array_new_with_free_func((GDestroyNotify)hw_camera_config_free);
  rec->ix = hw_indexer_new(store, opts->index_interval_ns);
  rec->live = hw_live_new();
  rec->tick = g_timeout_add(250, on_tick, rec); /* failures and state changes act within 250 ms */
  if (try_storage(rec) == G_SOURCE_CONTINUE)
    rec->storage_retry = g_timeout_add_seconds(5, try_storage, rec);
  (void)error;
  return rec;
}

void hw_recorder_set_retention(HwRecorder *rec, const HwRetentionLimits *limits)
{
  /* rec->opts is what a retention made later (storage back) starts from */
  g_mutex_lock(&rec->lock);
  rec->opts.retain_days = limits->days;
  rec->opts.retain_bytes = limits->bytes;
  rec->opts.min_free_bytes = limits->min_free_bytes;
  g_mutex_unlock(&rec->lock);
  if (rec->retention != NULL)
    hw_retention_set_limits(rec->retention, limits->days, limits->bytes, limits->min_free_bytes);
}

HwRetentionLimits hw_recorder_retention(HwRecorder *rec)
{
  g_mutex_lock(&rec->lock);
  HwRetentionLimits l = {rec->opts.retain_days, rec->opts.retain_bytes, rec->opts.min_free_bytes};
  g_mutex_unlock(&rec->lock);
  return l;
}

HwLive *hw_recorder_live(HwRecorder *rec)
{
  return rec->live;
}

const char *hw_recorder_storage_error(HwRecorder *rec)
{
  return rec->storage_ok ? NULL : rec->storage_error;
}

static void start_stream(HwRecorder *rec, const HwCameraConfig *cfg, const char *stream)
{
  hw_time_ns prev = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_store_last_end(rec->store, cfg->id, stream, &prev, &error))
    g_warning("camera %s: %s", cfg->id, error->message);
  HwCameraStream *cs = hw_camera_stream_new(cfg, stream, &rec->opts, rec->ix, prev, rec->live);
  if (rec->paused)
    hw_camera_stream_set_paused(cs, true, "disk floor reached: recording paused");
  g_mutex_lock(&rec->lock);
  g_hash_table_insert(rec->streams, g_strdup_printf("%s/%s", cfg->id, stream), cs);
  g_mutex_unlock(&rec->lock);
}

void hw_recorder_apply(HwRecorder *rec, HwCameraConfig *const *cameras, size_t n)
{
  g_mutex_lock(&rec->lock); /* status readers walk wanted while storage is not usable */
  g_ptr_array_set_size(rec->wanted, 0);
  for (size_t i = 0; i < n; i++)
    g_ptr_array_add(rec->wanted, hw_camera_config_copy(cameras[i]));
  g_mutex_unlock(&rec->lock);
  sync_streams(rec);
}

/* Makes the running streams match rec->wanted: streams whose camera is gone or changed stop; the
 * rest keep recording untouched; new cameras start. Nothing runs without good storage. */
static void sync_streams(HwRecorder *rec)
{
  HwCameraConfig **cameras = (HwCameraConfig **)rec->wanted->pdata;
  size_t n = rec->storage_ok ? rec->wanted->len : 0;
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

/* While storage is not usable, every wanted camera stream shows the storage error. */
static HwCameraStatus *storage_error_status(HwRecorder *rec, size_t *ret_n)
{
  size_t n = 0;
  HwCameraStatus *out = g_new0(HwCameraStatus, 2 * rec->wanted->len + 1);
  for (guint i = 0; i < rec->wanted->len; i++) {
    const HwCameraConfig *c = rec->wanted->pdata[i];
    for (int sub = 0; sub < 2; sub++) {
      if (sub && (c->substream_url == NULL || c->substream_url[0] == '\0'))
        continue;
      HwCameraStatus *st = &out[n++];
      g_strlcpy(st->camera, c->id, sizeof st->camera);
      g_strlcpy(st->stream, sub ? "sub" : "main", sizeof st->stream);
      g_strlcpy(st->source, c->source ? c->source : "config", sizeof st->source);
      st->state = c->enabled ? HW_CAMERA_ERROR : HW_CAMERA_DISABLED;
      g_strlcpy(st->last_error, rec->storage_error, sizeof st->last_error);
    }
  }
  *ret_n = n;
  return out;
}

HwCameraStatus *hw_recorder_status(HwRecorder *rec, size_t *ret_n)
{
  g_mutex_lock(&rec->lock);
  if (!rec->storage_ok) {
    HwCameraStatus *out = storage_error_status(rec, ret_n);
    g_mutex_unlock(&rec->lock);
    return out;
  }
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
  if (rec->storage_retry)
    g_source_remove(rec->storage_retry);
  if (rec->retention)
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
  hw_live_free(rec->live);
  g_hash_table_destroy(rec->streams);
  g_ptr_array_free(rec->wanted, TRUE);
  g_mutex_clear(&rec->lock);
  g_free(rec->opts.footage_dir);
  g_free(rec);
}
