/* Crash-safe creation of small files (hw_file.h): temp file, fsync, link, fsync of the folder. */
#include "common/hw_file.h"

#include <errno.h>
#include <fcntl.h>
#include <glib/gstdio.h>
#include <stdbool.h>
#include <unistd.h>

/* fsync of a folder, so that a name made or removed in it survives a crash. */
static bool sync_dir(const char *dir, GError **error)
{
  int dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0 || fsync(dfd) != 0) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "syncing folder %s: %s", dir,
                g_strerror(e));
    if (dfd >= 0)
      close(dfd);
    return false;
  }
  close(dfd);
  return true;
}

static bool write_all(int fd, const char *p, size_t n)
{
  while (n > 0) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR)
      continue;
    if (w <= 0)
      return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

int hw_file_create_durable(const char *path, const void *data, size_t len, mode_t mode,
                           GError **error)
{
  g_autofree char *tmp = g_strconcat(path, ".tmp-XXXXXX", NULL);
  g_autofree char *dir = g_path_get_dirname(path);
  int fd = g_mkstemp_full(tmp, O_WRONLY | O_CLOEXEC, (int)mode);
  if (fd < 0) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "creating %s: %s", tmp, g_strerror(e));
    return -1;
  }
  bool written = write_all(fd, data, len) && fsync(fd) == 0;
  int e = errno;
  close(fd);
  if (!written) {
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "writing %s: %s", tmp, g_strerror(e));
    g_unlink(tmp);
    return -1;
  }
  if (link(tmp, path) != 0) {
    e = errno;
    g_unlink(tmp);
    if (e == EEXIST)
      return 0;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "putting %s in place: %s", path,
                g_strerror(e));
    return -1;
  }
  g_unlink(tmp);
  return sync_dir(dir, error) ? 1 : -1;
}

bool hw_file_remove_durable(const char *path, GError **error)
{
  if (g_unlink(path) != 0 && errno != ENOENT) {
    int e = errno;
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(e), "removing %s: %s", path,
                g_strerror(e));
    return false;
  }
  g_autofree char *dir = g_path_get_dirname(path);
  return sync_dir(dir, error);
}
