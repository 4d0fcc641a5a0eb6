/* Retention: oldest footage goes first, by age and by bytes (per camera and overall), and the
 * file system never fills past the free-space floor. Held footage is never deleted; when only
 * held footage is left at the floor, recording pauses until space returns. Runs on its own thread
 * so that unlinking large files never stalls the main loop. */
#include "capture/retention.h"

#include <errno.h>
#include <sys/statvfs.h>
#include <unistd.h>

struct HwRetention {
  HwStore *store;
  char *root;
  HwRecorderOptions opts;
  HwRetentionPauseFn pause_fn;
  void *pause_user;
  GMutex lock;
  GCond cond;
  GHashTable *camera_limits; /* id → int64_t[2] {days, bytes} */
  bool stopping;
  bool wake; /* run a pass now: the limits changed */
  bool paused;
  GThread *thread;
  uint64_t deleted_files, deleted_bytes;
};

static bool free_bytes(const char *root, int64_t *ret)
{
  struct statvfs st;
  if (statvfs(root, &st) != 0)
    return false;
  *ret = (int64_t)st.f_bavail * (int64_t)st.f_frsize;
  return true;
}

static void delete_file(HwRetention *r, const HwStoreFile *f, const char *why)
{
  g_autofree char *abs = g_build_filename(r->root, f->path, NULL);
  if (unlink(abs) != 0 && errno != ENOENT) {
    g_warning("retention: cannot delete %s: %s", abs, g_strerror(errno));
    return;
  }
  /* The row goes after the file: a crash in between leaves a row whose file vanished, which
   * recovery removes. The reverse order could leave footage nobody can find. */
  g_autoptr(GError) error = NULL;
  if (!hw_store_file_expire(r->store, f->id, &error))
    g_warning("retention: %s", error->message);
  g_message("retention: deleted %s (%s)", f->path, why);
  g_mutex_lock(&r->lock);
  r->deleted_files++;
  r->deleted_bytes += (uint64_t)f->size;
  g_mutex_unlock(&r->lock);
}

/* Deletes the oldest unheld files of camera (NULL: any) while should_delete says so. */
typedef bool (*NeedFn)(HwRetention *r, const char *camera, const HwStoreFile *oldest,
                       int64_t days, int64_t bytes);

static size_t sweep(HwRetention *r, const char *camera, int64_t days, int64_t bytes, NeedFn need,
                    const char *why)
{
  size_t deleted = 0;
  for (int round = 0; round < 64; round++) {
    g_autofree HwStoreFile *files = NULL;
    size_t n = 0;
    g_autoptr(GError) error = NULL;
    if (!hw_store_deletable_files(r->store, camera, hw_time_now(), 32, &files, &n, &error)) {
      g_warning("retention: %s", error->message);
      return deleted;
    }
    if (n == 0)
      return deleted;
    for (size_t i = 0; i < n; i++) {
      if (!need(r, camera, &files[i], days, bytes))
        return deleted;
      delete_file(r, &files[i], why);
      deleted++;
    }
  }
  return deleted;
}

static bool need_age(HwRetention *r, const char *camera, const HwStoreFile *f, int64_t days,
                     int64_t bytes)
{
  return days > 0 && f->end_ns < hw_time_now() - days * 86400 * HW_NS_PER_S;
}

static bool need_bytes(HwRetention *r, const char *camera, const HwStoreFile *f, int64_t days,
                       int64_t bytes)
{
  int64_t used = 0;
  hw_time_ns oldest;
  return bytes > 0 && hw_store_usage(r->store, camera, &used, &oldest, NULL) && used > bytes;
}

static bool need_space(HwRetention *r, const char *camera, const HwStoreFile *f, int64_t days,
                       int64_t bytes)
{
  int64_t avail;
  return free_bytes(r->root, &avail) && avail < bytes;
}

void hw_retention_run_once(HwRetention *r)
{
  /* A footage folder that lost its marker (the disk was unmounted under us) is not ours to judge:
   * a vanished file there is not a deleted one, and its row must stay. */
  g_autofree char *marker = g_build_filename(r->root, HW_FOOTAGE_MARKER, NULL);
  if (!g_file_test(marker, G_FILE_TEST_EXISTS)) {
    g_critical("retention: %s is missing: is the footage disk still mounted? Nothing deleted",
               marker);
    return;
  }
  g_mutex_lock(&r->lock);
  GHashTableIter it;
  gpointer k, v;
  GPtrArray *cams = g_ptr_array_new_with_free_func(g_free);
  GArray *limits = g_array_new(FALSE, FALSE, sizeof(int64_t) * 2);
  g_hash_table_iter_init(&it, r->camera_limits);
  while (g_hash_table_iter_next(&it, &k, &v)) {
    g_ptr_array_add(cams, g_strdup(k));
    g_array_append_vals(limits, v, 1);
  }
  /* the global limits may change under us (hw_retention_set_limits): one pass uses one set */
  int64_t days = r->opts.retain_days, bytes = r->opts.retain_bytes, floor = r->opts.min_free_bytes;
  g_mutex_unlock(&r->lock);

  for (guint i = 0; i < cams->len; i++) {
    int64_t *l = &((int64_t *)(void *)limits->data)[2 * i];
    sweep(r, cams->pdata[i], l[0], 0, need_age, "camera age limit");
    sweep(r, cams->pdata[i], 0, l[1], need_bytes, "camera byte limit");
  }
  g_ptr_array_free(cams, TRUE);
  g_array_free(limits, TRUE);
  sweep(r, NULL, days, 0, need_age, "age limit");
  sweep(r, NULL, 0, bytes, need_bytes, "byte limit");

  if (floor <= 0)
    return;
  sweep(r, NULL, 0, floor, need_space, "free-space floor");
  int64_t avail;
  if (!free_bytes(r->root, &avail))
    return;
  /* Pause at the floor; resume a little above it so recording does not flap. */
  int64_t resume_at = floor + MAX(INT64_C(16) << 20, floor / 20);
  bool pause = avail < floor || (r->paused && avail < resume_at);
  if (pause != r->paused) {
    r->paused = pause;
    if (pause)
      g_critical("retention: free space on %s is %" G_GINT64_FORMAT
                 " bytes, below the floor of %" G_GINT64_FORMAT
                 ", and only held footage is left: recording paused",
                 r->root, avail, floor);
    else
      g_message("retention: free space is back above the floor: recording resumes");
    r->pause_fn(pause, r->pause_user);
  }
}

static gpointer retention_thread(gpointer data)
{
  HwRetention *r = data;
  g_mutex_lock(&r->lock);
  while (!r->stopping) {
    g_mutex_unlock(&r->lock);
    hw_retention_run_once(r);
    g_mutex_lock(&r->lock);
    gint64 until = g_get_monotonic_time() + r->opts.retention_interval_ns / 1000;
    while (!r->stopping && !r->wake && g_cond_wait_until(&r->cond, &r->lock, until))
      ;
    r->wake = false;
  }
  g_mutex_unlock(&r->lock);
  return NULL;
}

HwRetention *hw_retention_new(HwStore *store, const HwRecorderOptions *opts,
                              HwRetentionPauseFn pause_fn, void *user)
{
  HwRetention *r = g_new0(HwRetention, 1);
  r->store = store;
  r->opts = *opts;
  r->root = g_strdup(opts->footage_dir);
  r->opts.footage_dir = r->root;
  if (r->opts.retention_interval_ns <= 0)
    r->opts.retention_interval_ns = 10 * HW_NS_PER_S;
  r->pause_fn = pause_fn;
  r->pause_user = user;
  g_mutex_init(&r->lock);
  g_cond_init(&r->cond);
  r->camera_limits = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, g_free);
  r->thread = g_thread_new("hw-retention", retention_thread, r);
  return r;
}

void hw_retention_set_camera(HwRetention *r, const char *camera, int64_t days, int64_t bytes)
{
  g_mutex_lock(&r->lock);
  if (days <= 0 && bytes <= 0) {
    g_hash_table_remove(r->camera_limits, camera);
  } else {
    int64_t *l = g_new(int64_t, 2);
    l[0] = days;
    l[1] = bytes;
    g_hash_table_replace(r->camera_limits, g_strdup(camera), l);
  }
  g_mutex_unlock(&r->lock);
}

void hw_retention_set_limits(HwRetention *r, int64_t days, int64_t bytes, int64_t min_free)
{
  g_mutex_lock(&r->lock);
  r->opts.retain_days = days;
  r->opts.retain_bytes = bytes;
  r->opts.min_free_bytes = min_free;
  r->wake = true;
  g_cond_broadcast(&r->cond);
  g_mutex_unlock(&r->lock);
}

bool hw_retention_paused(HwRetention *r)
{
  g_mutex_lock(&r->lock);
  bool p = r->paused;
  g_mutex_unlock(&r->lock);
  return p;
}

void hw_retention_free(HwRetention *r)
{
  if (r == NULL)
    return;
  g_mutex_lock(&r->lock);
  r->stopping = true;
  g_cond_broadcast(&r->cond);
  g_mutex_unlock(&r->lock);
  g_thread_join(r->thread);
  g_hash_table_destroy(r->camera_limits);
  g_mutex_clear(&r->lock);
  g_cond_clear(&r->cond);
  g_free(r->root);
  g_free(r);
}
