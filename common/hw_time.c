/* Wall-clock helpers: the conversions between hw_time_ns and the forms the edges use. */
#include "common/hw_time.h"

#include <errno.h>
#include <glib.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

hw_time_ns hw_time_now(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_REALTIME, &ts);
  return (hw_time_ns)ts.tv_sec * HW_NS_PER_S + ts.tv_nsec;
}

int64_t hw_time_monotonic(void)
{
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (int64_t)ts.tv_sec * HW_NS_PER_S + ts.tv_nsec;
}

void hw_time_now_pair(hw_time_ns *ret_real, int64_t *ret_mono)
{
  int64_t m1 = 0, m2 = 0;
  hw_time_ns r = 0;
  /* Bracket the realtime read by two monotonic reads; retry if the thread was descheduled. */
  for (int i = 0; i < 8; i++) {
    m1 = hw_time_monotonic();
    r = hw_time_now();
    m2 = hw_time_monotonic();
    if (m2 - m1 < 200 * HW_NS_PER_US)
      break;
  }
  *ret_real = r;
  *ret_mono = m1 + (m2 - m1) / 2;
}

uint64_t hw_time_to_ntp64(hw_time_ns t)
{
  int64_t sec = t / HW_NS_PER_S;
  int64_t ns = t % HW_NS_PER_S;
  if (ns < 0) {
    ns += HW_NS_PER_S;
    sec -= 1;
  }
  uint64_t frac = ((uint64_t)ns << 32) / (uint64_t)HW_NS_PER_S;
  return ((uint64_t)(sec + HW_NTP_UNIX_OFFSET_S) << 32) | frac;
}

hw_time_ns hw_time_from_ntp64(uint64_t ntp)
{
  /* 32-bit NTP seconds wrap on 2036-02-07 (era 1). As RFC 4330 §3 says, a clear top bit means
   * era 1: instants from 1968 to 2104 map one to one, which covers any footage. */
  int64_t sec = (int64_t)(ntp >> 32);
  if (sec < INT64_C(0x80000000))
    sec += INT64_C(1) << 32;
  sec -= HW_NTP_UNIX_OFFSET_S;
  uint64_t frac = ntp & 0xffffffffu;
  return sec * HW_NS_PER_S + (int64_t)((frac * (uint64_t)HW_NS_PER_S + (UINT64_C(1) << 31)) >> 32);
}

char *hw_time_format(hw_time_ns t, char *buf, size_t len)
{
  int64_t sec = t / HW_NS_PER_S;
  int64_t ms = (t % HW_NS_PER_S) / HW_NS_PER_MS;
  if (ms < 0) {
    ms += 1000;
    sec -= 1;
  }
  time_t tt = (time_t)sec;
  struct tm tm;
  gmtime_r(&tt, &tm);
  snprintf(buf, len, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1,
           tm.tm_mday, tm.tm_hour, tm.tm_min, tm.tm_sec, (int)ms);
  return buf;
}

int hw_time_parse(const char *s, hw_time_ns *ret)
{
  if (s == NULL)
    return -EINVAL;
  g_autoptr(GDateTime) dt = g_date_time_new_from_iso8601(s, NULL);
  if (dt == NULL)
    return -EINVAL;
  /* A timestamp without an explicit offset is ambiguous: refuse it. */
  size_t n = strlen(s);
  if (n < 1 || !(s[n - 1] == 'Z' || s[n - 1] == 'z' || (n > 6 && (s[n - 6] == '+' || s[n - 6] == '-'))))
    return -EINVAL;
  /* int64 ns reach from 1677 to 2262: anything outside cannot be an instant HallWatch holds
   * (found by the request fuzzer: a year 2426 overflowed). */
  gint64 sec = g_date_time_to_unix(dt);
  if (sec <= INT64_MIN / HW_NS_PER_S + 1 || sec >= INT64_MAX / HW_NS_PER_S - 1)
    return -ERANGE;
  *ret = sec * HW_NS_PER_S + (hw_time_ns)g_date_time_get_microsecond(dt) * HW_NS_PER_US;
  return 0;
}
