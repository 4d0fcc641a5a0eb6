/* Tests of the recording path scheme (hw_segpath_new / hw_segpath_parse in capture/writer.c):
 * the name of a file says its camera, day (UTC) and start, and recovery only touches names it
 * can parse back. */
#include "capture/internal.h"

#include <string.h>

/* 2026-11-27T23:10:42.123456789Z */
#define T0 (INT64_C(1795821042) * HW_NS_PER_S + INT64_C(123456789))

static void test_new_layout(void)
{
  g_autofree char *p = hw_segpath_new("window-01", "main", T0);
  g_assert_cmpstr(p, ==, "window-01/2026/11/27/20261127T231042.123Z-main.mp4");
}

static void test_new_is_utc_day(void)
{
  /* 23:59:59.999 UTC stays on its UTC day whatever the local zone says. */
  g_setenv("TZ", "Asia/Shanghai", TRUE);
  hw_time_ns t = INT64_C(1795823999) * HW_NS_PER_S + 999 * HW_NS_PER_MS;
  g_autofree char *p = hw_segpath_new("cam", "sub", t);
  g_assert_cmpstr(p, ==, "cam/2026/11/27/20261127T235959.999Z-sub.mp4");
  g_unsetenv("TZ");
}

static void test_round_trip(void)
{
  const char *cams[] = {"window-01", "a", "hall.b_2", "x-y-z"};
  const char *streams[] = {"main", "sub"};
  for (size_t i = 0; i < G_N_ELEMENTS(cams); i++) {
    for (size_t j = 0; j < G_N_ELEMENTS(streams); j++) {
      g_autofree char *p =
          hw_segpath_new(cams[i], streams[j], T0 + (int64_t)i * 86400 * HW_NS_PER_S);
      char cam[64] = "", stream[8] = "";
      g_assert_true(hw_segpath_parse(p, cam, sizeof cam, stream, sizeof stream));
      g_assert_cmpstr(cam, ==, cams[i]);
      g_assert_cmpstr(stream, ==, streams[j]);
    }
  }
}

static void test_parse_rejects_foreign(void)
{
  const char *foreign[] = {
      "",
      "20261127T231042.123Z-main.mp4",                        /* no folders */
      "window-01/2026/11/20261127T231042.123Z-main.mp4",      /* one level short */
      "x/window-01/2026/11/27/20261127T231042.123Z-main.mp4", /* one level deep */
      "window-01/2026/11/27/20261127T231042.123Z-main.mkv",   /* not .mp4 */
      "window-01/2026/11/27/20261127T231042.123Z-main.mp4.part",
      "window-01/2026/11/27/20261127T231042.123Z-other.mp4", /* unknown stream */
      "window-01/2026/11/27/20261127T231042.123Z.mp4",       /* no stream */
      "window-01/2026/11/27/holiday.mp4",
      "window-01/2026/11/27/-.mp4",
  };
  for (size_t i = 0; i < G_N_ELEMENTS(foreign); i++) {
    char cam[64] = "untouched", stream[8] = "x";
    if (hw_segpath_parse(foreign[i], cam, sizeof cam, stream, sizeof stream))
      g_error("parsed a foreign path: \"%s\"", foreign[i]);
  }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/capture/unit/segpath/new-layout", test_new_layout);
  g_test_add_func("/capture/unit/segpath/new-is-utc-day", test_new_is_utc_day);
  g_test_add_func("/capture/unit/segpath/round-trip", test_round_trip);
  g_test_add_func("/capture/unit/segpath/parse-rejects-foreign", test_parse_rejects_foreign);
  return g_test_run();
}
