/* HallWatch's one representation of time: wall-clock instants as int64 nanoseconds since the
 * Unix epoch, UTC (hw_time_ns). Conversions to other forms happen only at the edges (JSON, SQL,
 * GStreamer, MP4 boxes) and all of them live here. */
#pragma once

#include <stdint.h>
#include <stddef.h>

typedef int64_t hw_time_ns;

#define HW_NS_PER_US INT64_C(1000)
#define HW_NS_PER_MS INT64_C(1000000)
#define HW_NS_PER_S INT64_C(1000000000)

/* Seconds between the NTP epoch (1900-01-01) and the Unix epoch (1970-01-01). */
#define HW_NTP_UNIX_OFFSET_S INT64_C(2208988800)

/* The local wall clock (CLOCK_REALTIME) now. */
hw_time_ns hw_time_now(void);

/* CLOCK_MONOTONIC now, in ns; only for measuring intervals. */
int64_t hw_time_monotonic(void);

/* CLOCK_REALTIME and CLOCK_MONOTONIC read as one instant: a thread preempted between two reads
 * would otherwise see the pair drift apart, which looks like a step of the wall clock. */
void hw_time_now_pair(hw_time_ns *ret_real, int64_t *ret_mono);

/* 64-bit NTP timestamp (32.32 fixed point since 1900) <-> hw_time_ns. */
uint64_t hw_time_to_ntp64(hw_time_ns t);
hw_time_ns hw_time_from_ntp64(uint64_t ntp);

/* Formats t as RFC 3339 in UTC with millisecond precision ("2026-11-27T23:10:42.123Z") into buf
 * (at least 32 bytes). Returns buf. */
char *hw_time_format(hw_time_ns t, char *buf, size_t len);

/* Parses an RFC 3339 timestamp with offset (or 'Z'); returns 0 and sets *ret on success,
 * -EINVAL for a malformed one and -ERANGE for one outside 1677..2262 (both leave *ret
 * untouched). */
int hw_time_parse(const char *s, hw_time_ns *ret);
