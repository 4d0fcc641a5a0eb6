/* Wall-clock mapping of a run's media times (see HwWallClock in internal.h and docs/time.md).
 * Media time comes from the camera's RTP timestamps; arrival from the local clock. */
#include "capture/internal.h"

#include <stdlib.h>

/* How far the mapping may be steered toward the local clock, per unit of media time. */
#define MAX_SLEW_PPM 500
/* A jump of realtime against monotonic larger than this between frames is a clock step. */
#define STEP_NS (100 * HW_NS_PER_MS)
/* This many fragments in a row beyond the bound, all late, end the run. */
#define LATE_FRAGMENTS_MAX 3

void hw_wallclock_init(HwWallClock *c, int64_t bound_ns)
{
  *c = (HwWallClock){.bound_ns = bound_ns};
}

bool hw_wallclock_fragment(HwWallClock *c, const HwArrival *f, size_t n, hw_time_ns *ret_wall)
{
  g_return_val_if_fail(n > 0, false);

  /* A step of the local clock shows as a jump of realtime against monotonic. */
  for (size_t i = 0; i < n; i++) {
    int64_t d = f[i].arrival - f[i].arrival_mono;
    if (c->started && llabs(d - c->real_minus_mono) > STEP_NS)
      return false;
    c->real_minus_mono = d;
    c->started = true;
  }

  if (c->anchor_wall == 0) {
    /* First fragment: the earliest arrival minus the media time elapsed before it. */
    hw_time_ns start = INT64_MAX;
    for (size_t i = 0; i < n; i++) {
      hw_time_ns s = f[i].arrival - (f[i].media_ns - f[0].media_ns);
      if (s < start)
        start = s;
    }
    c->anchor_wall = start;
    c->anchor_media = f[0].media_ns;
    c->last_error_ns = 0;
    *ret_wall = start;
    return true;
  }

  int64_t elapsed = f[0].media_ns - c->anchor_media;
  hw_time_ns predicted = c->anchor_wall + elapsed;
  int64_t err = INT64_MAX;
  for (size_t i = 0; i < n; i++) {
    int64_t e = f[i].arrival - (predicted + (f[i].media_ns - f[0].media_ns));
    if (e < err)
      err = e;
  }
  c->last_error_ns = err;
  /* Frames earlier than the mapping allows are impossible unless a clock is wrong: end the run.
   * Frames later than it may be only delayed (a starved machine, a congested link); only
   * lateness that persists is a clock running off. */
  if (err < -c->bound_ns)
    return false;
  if (err > c->bound_ns) {
    if (++c->late_fragments >= LATE_FRAGMENTS_MAX)
      return false;
  } else {
    c->late_fragments = 0;
  }
  int64_t cap = elapsed / (1000000 / MAX_SLEW_PPM);
  int64_t adj = err > cap ? cap : err < -cap ? -cap : err;
  c->anchor_wall = predicted + adj;
  c->anchor_media = f[0].media_ns;
  *ret_wall = c->anchor_wall;
  return true;
}
