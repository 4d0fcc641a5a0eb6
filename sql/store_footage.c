/* Reading the recording index back for playback and footage coverage (API in the "footage"
 * section of sql/hw_store.h): streamed file spans and the fragments of a file within a range.
 * Every query is an index range (files_by_stream_start bounded by file_spans, fragments' primary
 * key), so a 30-day index answers as fast as a 1-hour one for a short range. */
#include <sqlite3.h>

#include "sql/hw_store_private.h"

/* The same bounded overlap test as files_in_range (hw_store.c): start_ns is bounded from below by
 * from minus the longest file this stream ever had. Open files without a fragment (end_ns 0)
 * cover nothing and are left out. */
#define SQL_FILE_SPANS                                                                             \
  "SELECT id, start_ns, end_ns FROM files"                                                         \
  " WHERE camera = ?1 AND stream = ?2 AND start_ns < ?4 AND end_ns > ?3 AND ?3 < ?4"               \
  " AND start_ns >= ?3 - coalesce((SELECT max_span_ns FROM file_spans"                             \
  "   WHERE camera = ?1 AND stream = ?2), 0)"                                                      \
  " ORDER BY start_ns, id"

#define SQL_FRAGMENTS_IN_RANGE                                                                     \
  "SELECT file_id, seq, offset, length, start_ns, duration_ns, frames, keyframe_start"            \
  " FROM fragments WHERE file_id = ?1 AND start_ns < ?3 AND start_ns + duration_ns > ?2"           \
  " ORDER BY seq"

#define SQL_KEYFRAME_BEFORE                                                                        \
  "SELECT max(seq) FROM fragments WHERE file_id = ?1 AND seq <= ?2 AND keyframe_start = 1"

#define SQL_CAMERA_KNOWN "SELECT 1 FROM cameras WHERE id = ?1"

bool hw_store_file_spans(HwStore *store, const char *camera, const char *stream, hw_time_ns from,
                         hw_time_ns to, HwStoreSpanFn fn, void *user, GError **error)
{
  g_return_val_if_fail(store && camera && stream && fn, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_FILE_SPANS, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, camera);
  hw_store__bind_text(st, 2, stream);
  sqlite3_bind_int64(st, 3, from);
  sqlite3_bind_int64(st, 4, to);
  int rc;
  while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
    if (!fn(sqlite3_column_int64(st, 0), sqlite3_column_int64(st, 1), sqlite3_column_int64(st, 2),
            user))
      return true;
  }
  if (rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "listing footage spans");
    return false;
  }
  return true;
}

bool hw_store_fragments_in_range(HwStore *store, int64_t file_id, hw_time_ns from, hw_time_ns to,
                                 bool from_keyframe, HwStoreFragment **ret, size_t *ret_n,
                                 GError **error)
{
  g_return_val_if_fail(store && ret && ret_n, false);
  HW_STORE_LOCKED(store);
  GArray *items = g_array_new(FALSE, TRUE, sizeof(HwStoreFragment));
  {
    HW_AUTO_STMT st = hw_store__stmt(store, SQL_FRAGMENTS_IN_RANGE, error);
    if (!st)
      goto fail;
    sqlite3_bind_int64(st, 1, file_id);
    sqlite3_bind_int64(st, 2, from);
    sqlite3_bind_int64(st, 3, to);
    int rc;
    while ((rc = sqlite3_step(st)) == SQLITE_ROW) {
      HwStoreFragment g = {
        .file_id = sqlite3_column_int64(st, 0),
        .seq = sqlite3_column_int(st, 1),
        .offset = sqlite3_column_int64(st, 2),
        .length = sqlite3_column_int64(st, 3),
        .start_ns = sqlite3_column_int64(st, 4),
        .duration_ns = sqlite3_column_int64(st, 5),
        .frames = sqlite3_column_int(st, 6),
        .keyframe_start = sqlite3_column_int(st, 7) != 0,
      };
      g_array_append_val(items, g);
    }
    if (rc != SQLITE_DONE) {
      hw_store__set_error(error, store, "listing fragments in a time range");
      goto fail;
    }
  }
  /* A fragment that does not start on a keyframe (a GOP longer than fragment_max) cannot be
   * decoded alone: go back to the fragment with the keyframe it depends on. */
  if (from_keyframe && items->len > 0 &&
      !g_array_index(items, HwStoreFragment, 0).keyframe_start) {
    int32_t first = g_array_index(items, HwStoreFragment, 0).seq;
    int32_t key = -1;
    {
      HW_AUTO_STMT st = hw_store__stmt(store, SQL_KEYFRAME_BEFORE, error);
      if (!st)
        goto fail;
      sqlite3_bind_int64(st, 1, file_id);
      sqlite3_bind_int(st, 2, first);
      if (sqlite3_step(st) == SQLITE_ROW && sqlite3_column_type(st, 0) != SQLITE_NULL)
        key = sqlite3_column_int(st, 0);
    }
    if (key >= 0 && key < first) {
      g_autofree HwStoreFragment *all = NULL;
      size_t n_all = 0;
      if (!hw_store_fragments_of_file(store, file_id, &all, &n_all, error))
        goto fail;
      g_autoptr(GArray) before = g_array_new(FALSE, TRUE, sizeof(HwStoreFragment));
      for (size_t i = 0; i < n_all; i++)
        if (all[i].seq >= key && all[i].seq < first)
          g_array_append_val(before, all[i]);
      g_array_prepend_vals(items, before->data, before->len);
    }
  }
  *ret_n = items->len;
  *ret = (HwStoreFragment *)(void *)g_array_free(items, FALSE);
  return true;

fail:
  g_array_free(items, TRUE);
  return false;
}

bool hw_store_camera_known(HwStore *store, const char *camera, bool *ret_known, GError **error)
{
  g_return_val_if_fail(store && camera && ret_known, false);
  HW_STORE_LOCKED(store);
  HW_AUTO_STMT st = hw_store__stmt(store, SQL_CAMERA_KNOWN, error);
  if (!st)
    return false;
  hw_store__bind_text(st, 1, camera);
  int rc = sqlite3_step(st);
  if (rc != SQLITE_ROW && rc != SQLITE_DONE) {
    hw_store__set_error(error, store, "looking the camera up");
    return false;
  }
  *ret_known = rc == SQLITE_ROW;
  return true;
}
