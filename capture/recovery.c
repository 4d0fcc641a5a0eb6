/* Start-up recovery: the footage folder must be ours (its marker names our database), then files
 * and index are made to agree after a crash or power cut: torn tails cut, unindexed fragments and
 * files indexed, rows of vanished files removed. Nothing is deleted from a folder we do not own. */
#include "capture/internal.h"

#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>



bool hw_sha256_file(int fd, char out[65], GError **error)
{
  struct sha256_ctx ctx;
  sha256_init(&ctx);
  uint8_t buf[1 << 16];
  off_t at = 0;
  for (;;) {
    ssize_t r = pread(fd, buf, sizeof buf, at);
    if (r < 0 && errno == EINTR)
      continue;
    if (r < 0) {
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "read failed: %s",
                  g_strerror(errno));
      return false;
    }
    if (r == 0)
      break;
    sha256_update(&ctx, (size_t)r, buf);
    at += r;
  }
  uint8_t d[SHA256_DIGEST_SIZE];
  sha256_digest(&ctx, sizeof d, d);
  for (size_t i = 0; i < sizeof d; i++)
    g_snprintf(out + 2 * i, 3, "%02x", d[i]);
  return true;
}

static bool fsync_path(const char *path, bool dir)
{
  int fd = open(path, (dir ? O_RDONLY | O_DIRECTORY : O_RDONLY) | O_CLOEXEC);
  if (fd < 0)
    return false;
  bool ok = fsync(fd) == 0;
  close(fd);
  return ok;
}

/* The folder's identity. A folder that is missing, or marked by another database, is refused:
 * it may be an unmounted disk, and "recovering" it would delete the index of real footage. */
static bool check_folder(HwStore *store, const char *root, GError **error)
{
  g_autofree char *marker = g_build_filename(root, HW_FOOTAGE_MARKER, NULL);
  const char *uuid = hw_store_uuid(store);
  int64_t bytes = 0;
  hw_time_ns oldest = 0;
  if (!hw_store_usage(store, NULL, &bytes, &oldest, error))
    return false;
  bool db_has_footage = oldest != 0 || bytes != 0;

  if (!g_file_test(root, G_FILE_TEST_IS_DIR)) {
    if (db_has_footage) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_NOT_FOUND,
                  "footage folder %s is missing but the database indexes footage in it: is the "
                  "disk mounted? Not recording, nothing deleted",
                  root);
      return false;
    }
    if (g_mkdir_with_parents(root, 0750) != 0) {
      g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno),
                  "cannot create footage folder %s: %s", root, g_strerror(errno));
      return false;
    }
  }

  g_autofree char *text = NULL;
  if (g_file_get_contents(marker, &text, NULL, NULL)) {
    g_strstrip(text);
    const char *found = g_str_has_prefix(text, "database=") ? text + 9 : text;
    if (strcmp(found, uuid) != 0) {
      g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                  "footage folder %s belongs to another database (%s, this one is %s): wrong "
                  "disk or wrong database? Not recording, nothing deleted",
                  root, found, uuid);
      return false;
    }
    return true;
  }

  /* No marker: only an empty folder (a new install) may be claimed. */
  g_autoptr(GDir) dir = g_dir_open(root, 0, error);
  if (dir == NULL)
    return false;
  if (g_dir_read_name(dir) != NULL || db_has_footage) {
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_FAILED,
                "footage folder %s has no %s marker%s: is the disk mounted, or is this the "
                "wrong folder? Not recording, nothing deleted",
                root, HW_FOOTAGE_MARKER,
                db_has_footage ? " although the database indexes footage in it" : " and is not empty");
    return false;
  }
  g_autofree char *content = g_strdup_printf("database=%s\n", uuid);
  if (!g_file_set_contents(marker, content, -1, error))
    return false;
  fsync_path(marker, false);
  fsync_path(root, true);
  return true;
}

typedef struct {
  GPtrArray *files; /* HwStoreFile* copies */
} Collect;

static bool collect_file(const HwStoreFile *f, void *user)
{
  Collect *c = user;
  g_ptr_array_add(c->files, g_memdup2(f, sizeof *f));
  return true;
}

/* Brings one indexed file in line with its bytes. */
static void reconcile_file(HwStore *store, const char *root, const HwStoreFile *f)
{
  g_autofree char *abspath = g_build_filename(root, f->path, NULL);
  g_autoptr(GError) error = NULL;
  /* A closed file only has to exist: one stat, no open (there are ~45,000 files a camera month). */
  struct stat st;
  if (f->closed && stat(abspath, &st) == 0)
    return;
  int fd = open(abspath, O_RDWR | O_CLOEXEC);
  if (fd < 0) {
    if (errno == ENOENT) {
      g_warning("recovery: %s is indexed but gone from disk; removing its index rows", f->path);
      if (!hw_store_file_delete(store, f->id, &error))
        g_warning("recovery: %s", error->message);
    } else {
      g_warning("recovery: cannot open %s: %s", abspath, g_strerror(errno));
    }
    return;
  }
  if (f->closed) {
    close(fd);
    return;
  }

  HwFmp4Scan scan;
  if (!hw_fmp4_scan_fd(fd, &scan, &error)) {
    g_warning("recovery: %s: %s; removing it", f->path, error->message);
    close(fd);
    unlink(abspath);
    g_clear_error(&error);
    hw_store_file_delete(store, f->id, &error);
    return;
  }
  if (scan.valid_size < scan.file_size) {
    g_message("recovery: %s: cutting a torn tail of %" G_GINT64_FORMAT " bytes", f->path,
              scan.file_size - scan.valid_size);
    if (ftruncate(fd, scan.valid_size) != 0 || fsync(fd) != 0)
      g_warning("recovery: cannot cut %s: %s", f->path, g_strerror(errno));
  }

  g_autofree HwStoreFragment *rows = NULL;
  size_t n_rows = 0;
  if (!hw_store_fragments_of_file(store, f->id, &rows, &n_rows, &error)) {
    g_warning("recovery: %s", error->message);
    goto out;
  }
  /* Index rows beyond what the file holds are cut; fragments the index lacks are added. */
  size_t keep = MIN(n_rows, scan.n_fragments);
  hw_time_ns end = f->start_ns;
  if (keep > 0)
    end = rows[keep - 1].start_ns + rows[keep - 1].duration_ns;
  int64_t size = keep > 0 ? rows[keep - 1].offset + rows[keep - 1].length : scan.init_size;
  if (!hw_store_begin(store, &error))
    goto out;
  if (n_rows > keep && !hw_store_file_truncate(store, f->id, (int32_t)keep, size, end, &error))
    goto rollback;
  for (size_t i = keep; i < scan.n_fragments; i++) {
    const HwFmp4Fragment *sf = &scan.fragments[i];
    HwStoreFragment fr = {
        .file_id = f->id,
        .seq = (int32_t)i,
        .offset = sf->offset,
        .length = sf->length,
        .start_ns = sf->wall_ns,
        .duration_ns = sf->duration_ns,
        .frames = sf->frames,
        .keyframe_start = sf->keyframe_start,
    };
    if (!hw_store_fragments_append(store, &fr, 1, &error))
      goto rollback;
    end = sf->wall_ns + sf->duration_ns;
  }
  char sha[65];
  if (!hw_sha256_file(fd, sha, &error))
    goto rollback;
  if (!hw_store_file_close(store, f->id, scan.valid_size, end, sha, &error))
    goto rollback;
  if (!hw_store_commit(store, &error))
    goto out;
  if (scan.n_fragments > n_rows)
    g_message("recovery: %s: indexed %zu fragments the index lacked", f->path,
              scan.n_fragments - n_rows);
  goto out;

rollback:
  hw_store_rollback(store);
out:
  if (error)
    g_warning("recovery: %s: %s", f->path, error->message);
  hw_fmp4_scan_clear(&scan);
  close(fd);
}

/* Indexes a recording that has no row (the crash came between its creation and its first
 * commit), from its bytes alone. */
static void index_orphan(HwStore *store, const char *root, const char *rel)
{
  g_autofree char *abspath = g_build_filename(root, rel, NULL);
  g_autoptr(GError) error = NULL;
  HwStoreFile f = {0};
  if (!hw_segpath_parse(rel, f.camera, sizeof f.camera, f.stream, sizeof f.stream))
    return; /* not ours: leave it alone */
  int fd = open(abspath, O_RDWR | O_CLOEXEC);
  if (fd < 0)
    return;
  HwFmp4Scan scan;
  if (!hw_fmp4_scan_fd(fd, &scan, &error)) {
    g_warning("recovery: unindexed %s: %s; removing it", rel, error->message);
    close(fd);
    unlink(abspath);
    return;
  }
  if (scan.n_fragments == 0) {
    g_message("recovery: unindexed %s holds no complete fragment; removing it", rel);
    hw_fmp4_scan_clear(&scan);
    close(fd);
    unlink(abspath);
    return;
  }
  if (scan.valid_size < scan.file_size && (ftruncate(fd, scan.valid_size) != 0 || fsync(fd) != 0))
    g_warning("recovery: cannot cut %s: %s", rel, g_strerror(errno));

  g_strlcpy(f.path, rel, sizeof f.path);
  g_strlcpy(f.codec, scan.codec, sizeof f.codec);
  g_strlcpy(f.audio_codec, scan.audio_codec, sizeof f.audio_codec);
  g_strlcpy(f.clock_mode, "local", sizeof f.clock_mode);
  f.width = scan.width;
  f.height = scan.height;
  f.start_ns = scan.fragments[0].wall_ns;
  f.init_size = scan.init_size;
  f.size = scan.init_size;
  f.run_id = f.start_ns;
  const HwFmp4Fragment *last = &scan.fragments[scan.n_fragments - 1];
  hw_time_ns end = last->wall_ns + last->duration_ns;
  char sha[65];
  int64_t id;
  if (!hw_sha256_file(fd, sha, &error) || !hw_store_begin(store, &error))
    goto out;
  if (!hw_store_camera_upsert(store, f.camera, "config", &error) ||
      !hw_store_file_insert(store, &f, &id, &error))
    goto rollback;
  for (size_t i = 0; i < scan.n_fragments; i++) {
    const HwFmp4Fragment *sf = &scan.fragments[i];
    HwStoreFragment fr = {id, (int32_t)i, sf->offset, sf->length, sf->wall_ns, sf->duration_ns,
                          sf->frames, sf->keyframe_start};
    if (!hw_store_fragments_append(store, &fr, 1, &error))
      goto rollback;
  }
  if (!hw_store_file_close(store, id, scan.valid_size, end, sha, &error))
    goto rollback;
  if (hw_store_commit(store, &error))
    g_message("recovery: indexed %s (%zu fragments) from the file alone", rel, scan.n_fragments);
  goto out;
rollback:
  hw_store_rollback(store);
out:
  if (error)
    g_warning("recovery: %s: %s", rel, error->message);
  hw_fmp4_scan_clear(&scan);
  close(fd);
}

/* Walks <root>/<camera>/<yyyy>/<mm>/<dd>/ for recordings without a row. */
static void walk(HwStore *store, const char *root, const char *rel, int depth)
{
  g_autofree char *abs = rel[0] ? g_build_filename(root, rel, NULL) : g_strdup(root);
  g_autoptr(GDir) dir = g_dir_open(abs, 0, NULL);
  if (dir == NULL)
    return;
  const char *name;
  while ((name = g_dir_read_name(dir)) != NULL) {
    if (name[0] == '.')
      continue;
    g_autofree char *child = rel[0] ? g_strconcat(rel, "/", name, NULL) : g_strdup(name);
    if (depth < 4) {
      walk(store, root, child, depth + 1);
    } else if (g_str_has_suffix(name, ".mp4")) {
      HwStoreFile f;
      g_autoptr(GError) error = NULL;
      if (!hw_store_file_get_by_path(store, child, &f, &error) &&
          g_error_matches(error, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND))
        index_orphan(store, root, child);
    }
  }
}

bool hw_recovery_run(HwStore *store, const char *root, GError **error)
{
  if (!check_folder(store, root, error))
    return false;

  Collect c = {g_ptr_array_new_with_free_func(g_free)};
  if (!hw_store_files_foreach(store, false, collect_file, &c, error)) {
    g_ptr_array_free(c.files, TRUE);
    return false;
  }
  for (guint i = 0; i < c.files->len; i++)
    reconcile_file(store, root, c.files->pdata[i]);
  g_ptr_array_free(c.files, TRUE);

  walk(store, root, "", 0);

  /* Outages left open by a crash end now; the cameras open "daemon down" rows from their last
   * footage when they start. */
  return hw_store_outage_close_all_open(store, hw_time_now(), error);
}
