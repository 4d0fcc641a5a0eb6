/* common/hw_time: the conversions at the edges (RFC 3339, NTP) keep instants exact and refuse
 * what an int64 of nanoseconds cannot hold. */
#include <errno.h>
#include <glib.h>
#include <stdlib.h>

#include "common/hw_time.h"

static void test_parse_offsets(void)
{
  hw_time_ns a, b;
  g_assert_cmpint(hw_time_parse("2026-03-01T08:00:00+08:00", &a), ==, 0);
  g_assert_cmpint(hw_time_parse("2026-03-01T00:00:00Z", &b), ==, 0);
  g_assert_cmpint(a, ==, b);
  g_assert_cmpint(hw_time_parse("2026-03-01T00:00:00.250Z", &a), ==, 0);
  g_assert_cmpint(a - b, ==, 250 * HW_NS_PER_MS);
}

static void test_parse_refuses_ambiguous_and_out_of_range(void)
{
  hw_time_ns t = 42;
  g_assert_cmpint(hw_time_parse("2026-03-01T08:00:00", &t), ==, -EINVAL); /* no offset */
  g_assert_cmpint(hw_time_parse("yesterday", &t), ==, -EINVAL);
  g_assert_cmpint(hw_time_parse(NULL, &t), ==, -EINVAL);
  /* Past 2262 an int64 of ns overflows (the request fuzzer's find). */
  g_assert_cmpint(hw_time_parse("2426-03-01T08:00:00+08:00", &t), ==, -ERANGE);
  g_assert_cmpint(hw_time_parse("1600-01-01T00:00:00Z", &t), ==, -ERANGE);
  g_assert_cmpint(t, ==, 42); /* untouched on failure */
  g_assert_cmpint(hw_time_parse("2262-01-01T00:00:00Z", &t), ==, 0);
}

static void test_ntp_round_trip(void)
{
  hw_time_ns t = 1795821938375702700; /* 2026-11-27 */
  g_assert_cmpint(llabs(hw_time_from_ntp64(hw_time_to_ntp64(t)) - t), <=, 1);
}

static void test_format(void)
{
  char buf[40];
  g_assert_cmpstr(hw_time_format(0, buf, sizeof buf), ==, "1970-01-01T00:00:00.000Z");
  g_assert_cmpstr(hw_time_format(1795821938375702700, buf, sizeof buf), ==,
                  "2026-11-27T23:25:38.375Z");
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/common/time/parse-offsets", test_parse_offsets);
  g_test_add_func("/common/time/parse-refuses", test_parse_refuses_ambiguous_and_out_of_range);
  g_test_add_func("/common/time/ntp-round-trip", test_ntp_round_trip);
  g_test_add_func("/common/time/format", test_format);
  return g_test_run();
}
