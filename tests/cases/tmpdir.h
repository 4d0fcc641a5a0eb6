/* The temporary folder of a tests/cases test: removed with its files (no subfolders) at the end. */
#pragma once

#include <glib.h>
#include <glib/gstdio.h>

static inline void test_remove_dir(const char *dir)
{
  g_autoptr(GDir) d = g_dir_open(dir, 0, NULL);
  const char *n;
  while (d && (n = g_dir_read_name(d)) != NULL) {
    g_autofree char *p = g_build_filename(dir, n, NULL);
    g_unlink(p);
  }
  g_rmdir(dir);
}
