/* The index writer: one thread that makes recorded bytes durable and then indexes them.
 * Each round it fsyncs every file with new data (and the folders of new files), then commits all
 * queued rows in one transaction, so the index never names a byte that a power cut could lose. */
#include "capture/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <unistd.h>

typedef enum { OP_FILE_OPEN, OP_FRAGMENT, OP_FILE_CLOSE, OP_OUTAGE_OPEN, OP_OUTAGE_CLOSE } OpType;

typedef struct {
  OpType type;
  HwSegFile *file;
  HwOutage *outage;
  HwStoreFragment frag;
  int64_t size;
  hw_time_ns end;
  char sha256[65];
} Op;

struct HwIndexer {
  HwStore *store;
  int64_t interval_ns;
  GThread *thread;
  GMutex lock;
  GCond cond;
  GPtrArray *queue;     /* Op*, pushed, not yet taken */
  uint64_t pushed_seq;  /* ops pushed so far */
  uint64_t done_seq;    /* ops committed (or given up) */
  bool flush_wanted;
  bool stopping;
  uint64_t commits, failures;
};

HwSegFile *hw_segfile_ref(HwSegFile *f)
{
  g_atomic_int_inc(&f->refs);
  return f;
}

void hw_segfile_unref(HwSegFile *f)
{
  if (f == NULL || !g_atomic_int_dec_and_test(&f->refs))
    return;
  if (f->fd >= 0)
    close(f->fd);
  g_free(f->abspath);
  for (size_t i = 0; i < G_N_ELEMENTS(f->dirs_to_sync); i++)
    g_free(f->dirs_to_sync[i]);
  g_free(f);
}

HwOutage *hw_outage_new(const char *camera, const char *stream, hw_time_ns start,
                        HwOutageReason reason, const char *detail)
{
  HwOutage *o = g_new0(HwOutage, 1);
  o->refs = 1;
  g_strlcpy(o->camera, camera, sizeof o->camera);
  g_strlcpy(o->stream, stream, sizeof o->stream);
  o->start_ns = start;
  o->reason = reason;
  g_strlcpy(o->detail, detail ? detail : "", sizeof o->detail);
  return o;
}

HwOutage *hw_outage_ref(HwOutage *o)
{
  g_atomic_int_inc(&o->refs);
  return o;
}

void hw_outage_unref(HwOutage *o)
{
  if (o != NULL && g_atomic_int_dec_and_test(&o->refs))
    g_free(o);
}

static void op_free(gpointer p)
{
  Op *op = p;
  hw_segfile_unref(op->file);
  if (op->outage)
    hw_outage_unref(op->outage);
  g_free(op);
}

static void push(HwIndexer *ix, Op *op)
{
  g_mutex_lock(&ix->lock);
  g_ptr_array_add(ix->queue, op);
  ix->pushed_seq++;
  g_cond_signal(&ix->cond); /* wakes the index thread, which sleeps while the queue is empty */
  g_mutex_unlock(&ix->lock);
}

void hw_indexer_file_open(HwIndexer *ix, HwSegFile *file)
{
  Op *op = g_new0(Op, 1);
  op->type = OP_FILE_OPEN;
  op->file = hw_segfile_ref(file);
  push(ix, op);
}

void hw_indexer_fragment(HwIndexer *ix, HwSegFile *file, const HwStoreFragment *frag)
{
  Op *op = g_new0(Op, 1);
  op->type = OP_FRAGMENT;
  op->file = hw_segfile_ref(file);
  op->frag = *frag;
  push(ix, op);
}

void hw_indexer_file_close(HwIndexer *ix, HwSegFile *file, int64_t size, hw_time_ns end,
                           const char *sha256_hex)
{
  Op *op = g_new0(Op, 1);
  op->type = OP_FILE_CLOSE;
  op->file = hw_segfile_ref(file);
  op->size = size;
  op->end = end;
  g_strlcpy(op->sha256, sha256_hex, sizeof op->sha256);
  push(ix, op);
}

void hw_indexer_outage_open(HwIndexer *ix, HwOutage *outage)
{
  Op *op = g_new0(Op, 1);
  op->type = OP_OUTAGE_OPEN;
  op->outage = hw_outage_ref(outage);
  push(ix, op);
}

void hw_indexer_outage_close(HwIndexer *ix, HwOutage *outage, hw_time_ns end)
{
  Op *op = g_new0(Op, 1);
  op->type = OP_OUTAGE_CLOSE;
  op->outage = hw_outage_ref(outage);
  op->end = end;
  push(ix, op);
}

static void sync_dir(const char *path)
{
  int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0)
    return;
  if (fsync(fd) != 0)
    g_warning("index: fsync of folder %s failed: %s", path, g_strerror(errno));
  close(fd);
}

/* Makes the bytes of every file in the batch durable; new files' folders too. Returns false if
 * a file could not be synced: then nothing of the batch may be committed. */
static bool make_durable(GPtrArray *batch, GError **error)
{
  g_autoptr(GHashTable) synced = g_hash_table_new(NULL, NULL);
  for (guint i = 0; i < batch->len; i++) {
    Op *op = batch->pdata[i];
    if (op->file == NULL || g_hash_table_contains(synced, op->file))
      continue;
    g_hash_table_add(synced, op->file);
    if (fdatasync(op->file->fd) != 0) {
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "fdatasync %s failed: %s",
                  op->file->abspath, g_strerror(errno));
      return false;
    }
  }
  for (guint i = 0; i < batch->len; i++) {
    Op *op = batch->pdata[i];
    if (op->type != OP_FILE_OPEN)
      continue;
    g_autofree char *dir = g_path_get_dirname(op->file->abspath);
    sync_dir(dir);
    for (size_t k = 0; k < G_N_ELEMENTS(op->file->dirs_to_sync) && op->file->dirs_to_sync[k]; k++) {
      g_autofree char *parent = g_path_get_dirname(op->file->dirs_to_sync[k]);
      sync_dir(parent);
    }
  }
  return true;
}

static bool apply(HwIndexer *ix, Op *op, GError **error)
{
  switch (op->type) {
  case OP_FILE_OPEN: {
    int64_t id;
    if (!hw_store_file_insert(ix->store, &op->file->row, &id, error))
      return false;
    op->file->row.id = id;
    return true;
  }
  case OP_FRAGMENT: {
    HwStoreFragment f = op->frag;
    f.file_id = op->file->row.id;
    return hw_store_fragments_append(ix->store, &f, 1, error);
  }
  case OP_FILE_CLOSE:
    return hw_store_file_close(ix->store, op->file->row.id, op->size, op->end, op->sha256, error);
  case OP_OUTAGE_OPEN: {
    int64_t id;
    if (!hw_store_outage_open(ix->store, op->outage->camera, op->outage->stream,
                              op->outage->start_ns, op->outage->reason, op->outage->detail, &id,
                              error))
      return false;
    op->outage->id = id;
    return true;
  }
  case OP_OUTAGE_CLOSE:
    return op->outage->id == 0 || hw_store_outage_close(ix->store, op->outage->id, op->end, error);
  }
  return true;
}

/* Commits a batch in one transaction. On failure nothing of it is applied, and ids assigned
 * during the failed attempt are forgotten so a retry inserts again. */
static bool commit_batch(HwIndexer *ix, GPtrArray *batch, GError **error)
{
  if (!hw_store_begin(ix->store, error))
    return false;
  for (guint i = 0; i < batch->len; i++) {
    if (!apply(ix, batch->pdata[i], error)) {
      hw_store_rollback(ix->store);
      for (guint k = 0; k < i; k++) {
        Op *op = batch->pdata[k];
        if (op->type == OP_FILE_OPEN)
          op->file->row.id = 0;
        if (op->type == OP_OUTAGE_OPEN)
          op->outage->id = 0;
      }
      return false;
    }
  }
  return hw_store_commit(ix->store, error);
}

static gpointer index_thread(gpointer data)
{
  HwIndexer *ix = data;
  g_autoptr(GPtrArray) pending = g_ptr_array_new_with_free_func(op_free);
  int failures_in_row = 0;

  g_mutex_lock(&ix->lock);
  for (;;) {
    if (!ix->stopping && !ix->flush_wanted && ix->queue->len == 0) {
      g_cond_wait(&ix->cond, &ix->lock);
      continue;
    }
    if (!ix->stopping && !ix->flush_wanted) {
      /* Let a round's worth of operations gather: one fsync per file, one commit per round. */
      gint64 until = g_get_monotonic_time() + ix->interval_ns / 1000;
      while (!ix->stopping && !ix->flush_wanted && g_cond_wait_until(&ix->cond, &ix->lock, until))
        ;
    }
    uint64_t taking = ix->pushed_seq;
    for (guint i = 0; i < ix->queue->len; i++)
      g_ptr_array_add(pending, ix->queue->pdata[i]);
    g_ptr_array_set_size(ix->queue, 0);
    bool stopping = ix->stopping;
    g_mutex_unlock(&ix->lock);

    bool ok = true;
    if (pending->len > 0) {
      g_autoptr(GError) error = NULL;
      ok = make_durable(pending, &error) && commit_batch(ix, pending, &error);
      if (!ok) {
        failures_in_row++;
        g_warning("index: commit of %u operations failed (attempt %d): %s", pending->len,
                  failures_in_row, error->message);
      }
    }

    g_mutex_lock(&ix->lock);
    if (ok) {
      ix->commits += pending->len > 0;
      failures_in_row = 0;
      g_ptr_array_set_size(pending, 0);
    } else {
      ix->failures++;
      /* Keep the batch for the next round; give up only when stopping or after many tries,
       * since the files themselves still hold the footage and recovery re-indexes them. */
      if (stopping || failures_in_row >= 20) {
        g_warning("index: dropping %u operations; recovery will re-index them from the files",
                  pending->len);
        g_ptr_array_set_size(pending, 0);
        failures_in_row = 0;
      }
    }
    if (pending->len == 0)
      ix->done_seq = taking;
    ix->flush_wanted = false;
    g_cond_broadcast(&ix->cond);
    if (stopping && ix->queue->len == 0 && pending->len == 0)
      break;
    if (!ok) {
      gint64 until = g_get_monotonic_time() + G_USEC_PER_SEC;
      while (!ix->stopping && g_cond_wait_until(&ix->cond, &ix->lock, until))
        ;
    }
  }
  g_mutex_unlock(&ix->lock);
  return NULL;
}

HwIndexer *hw_indexer_new(HwStore *store, int64_t interval_ns)
{
  HwIndexer *ix = g_new0(HwIndexer, 1);
  ix->store = store;
  ix->interval_ns = interval_ns > 0 ? interval_ns : 500 * HW_NS_PER_MS;
  g_mutex_init(&ix->lock);
  g_cond_init(&ix->cond);
  ix->queue = g_ptr_array_new();
  ix->thread = g_thread_new("hw-index", index_thread, ix);
  return ix;
}

void hw_indexer_flush(HwIndexer *ix)
{
  g_mutex_lock(&ix->lock);
  uint64_t target = ix->pushed_seq;
  while (ix->done_seq < target) {
    ix->flush_wanted = true;
    g_cond_broadcast(&ix->cond);
    g_cond_wait(&ix->cond, &ix->lock);
  }
  g_mutex_unlock(&ix->lock);
}

void hw_indexer_stats(HwIndexer *ix, uint64_t *ret_commits, uint64_t *ret_failures)
{
  g_mutex_lock(&ix->lock);
  *ret_commits = ix->commits;
  *ret_failures = ix->failures;
  g_mutex_unlock(&ix->lock);
}

void hw_indexer_free(HwIndexer *ix)
{
  if (ix == NULL)
    return;
  g_mutex_lock(&ix->lock);
  ix->stopping = true;
  g_cond_broadcast(&ix->cond);
  g_mutex_unlock(&ix->lock);
  g_thread_join(ix->thread);
  g_ptr_array_free(ix->queue, TRUE);
  g_mutex_clear(&ix->lock);
  g_cond_clear(&ix->cond);
  g_free(ix);
}
