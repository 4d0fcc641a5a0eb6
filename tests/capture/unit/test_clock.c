/* Tests of the wall-clock mapping (capture/clock.c) with simulated time only: a camera whose
 * media clock may run fast or slow, frames that arrive after random network delays, and a local
 * clock that may step. Nothing sleeps. */
#include "capture/internal.h"

#include <stdlib.h>

#define FPS 25
#define FRAME_NS (HW_NS_PER_S / FPS)
#define FRAGMENT_FRAMES 50 /* 2 s fragments, as recorded */
#define BOUND (2 * HW_NS_PER_S)
/* Some instant in 2026; the monotonic clock starts elsewhere on purpose. */
#define T0 (INT64_C(1795821042) * HW_NS_PER_S)
#define MONO0 (INT64_C(12345) * HW_NS_PER_S)

/* A simulated camera and network: frame i is captured at true time T0 + i * FRAME_NS, stamped
 * with the camera's media clock (running ppm fast, or slow if negative) and arrives after a
 * delay of 0..max_delay ns; the local realtime clock may be offset from the truth (a step). */
typedef struct {
  int64_t ppm;
  int64_t max_delay;
  int64_t real_offset; /* local realtime - true time */
  GRand *rand;
  int64_t frame;     /* next frame */
  int64_t min_delay; /* smallest delay of the last fragment */
} Sim;

static int64_t true_time(int64_t frame) { return T0 + frame * FRAME_NS; }

/* Fills one fragment's frames; returns the true capture time of its first frame. */
static int64_t sim_fragment(Sim *s, HwArrival *a, size_t n)
{
  int64_t first = true_time(s->frame);
  s->min_delay = INT64_MAX;
  for (size_t i = 0; i < n; i++, s->frame++) {
    int64_t elapsed = s->frame * FRAME_NS;
    int64_t delay = s->max_delay > 0 ? g_rand_int_range(s->rand, 0, (gint32)s->max_delay + 1) : 0;
    s->min_delay = MIN(s->min_delay, delay);
    int64_t arrive_true = true_time(s->frame) + delay;
    a[i].media_ns = elapsed + elapsed * s->ppm / 1000000;
    a[i].arrival = arrive_true + s->real_offset;
    a[i].arrival_mono = MONO0 + (arrive_true - T0);
  }
  return first;
}

static Sim *sim_new(int64_t ppm, int64_t max_delay)
{
  Sim *s = g_new0(Sim, 1);
  s->ppm = ppm;
  s->max_delay = max_delay;
  s->rand = g_rand_new_with_seed(20261127);
  return s;
}

static void sim_free(Sim *s)
{
  g_rand_free(s->rand);
  g_free(s);
}

static void test_first_fragment_is_min_arrival_minus_elapsed(void)
{
  HwWallClock c;
  hw_wallclock_init(&c, BOUND);
  HwArrival a[FRAGMENT_FRAMES];
  /* Delays of 30, 20, 30, ... ms, and one frame (the 7th) that came through after only 4 ms. */
  for (int i = 0; i < FRAGMENT_FRAMES; i++) {
    int64_t delay = (i == 7 ? 4 : i % 2 ? 20 : 30) * HW_NS_PER_MS;
    a[i].media_ns = 1000 * HW_NS_PER_S + i * FRAME_NS; /* media time need not start at 0 */
    a[i].arrival = T0 + i * FRAME_NS + delay;
    a[i].arrival_mono = MONO0 + i * FRAME_NS + delay;
  }
  hw_time_ns wall = 0;
  g_assert_true(hw_wallclock_fragment(&c, a, FRAGMENT_FRAMES, &wall));
  g_assert_cmpint(wall, ==, T0 + 4 * HW_NS_PER_MS);
}

/* Runs `seconds` of simulated fragments through the mapping, checking on every fragment that
 * the mapped time is within [-lo, hi] of the true capture time and that the mapping moved by at
 * most 500 ppm of the elapsed media time against the media clock. */
static void run_and_check(Sim *s, int64_t seconds, int64_t lo, int64_t hi, int64_t *ret_worst)
{
  HwWallClock c;
  hw_wallclock_init(&c, BOUND);
  HwArrival a[FRAGMENT_FRAMES];
  hw_time_ns prev_wall = 0;
  int64_t prev_media = 0, worst = 0;
  size_t fragments = (size_t)(seconds * FPS / FRAGMENT_FRAMES);
  for (size_t k = 0; k < fragments; k++) {
    int64_t truth = sim_fragment(s, a, FRAGMENT_FRAMES);
    hw_time_ns wall = 0;
    if (!hw_wallclock_fragment(&c, a, FRAGMENT_FRAMES, &wall))
      g_error("fragment %zu: the run ended (error %" G_GINT64_FORMAT " ns)", k, c.last_error_ns);
    int64_t err = wall - truth;
    if (err < -lo || err > hi)
      g_error("fragment %zu: mapped %" G_GINT64_FORMAT " ns from the true capture time", k, err);
    worst = MAX(worst, llabs(err));
    if (k > 0) {
      int64_t elapsed = a[0].media_ns - prev_media;
      int64_t slew = wall - (prev_wall + elapsed);
      g_assert_cmpint(llabs(slew), <=, elapsed / 2000 + 1);
    }
    prev_wall = wall;
    prev_media = a[0].media_ns;
  }
  if (ret_worst)
    *ret_worst = worst;
}

static void test_jitter_stays_within_min_delay(void)
{
  Sim *s = sim_new(0, 30 * HW_NS_PER_MS);
  /* Never early (the minimum delay is >= 0), never later than the worst delay. */
  run_and_check(s, 600, 0, 30 * HW_NS_PER_MS, NULL);
  sim_free(s);
}

static void test_no_jitter_is_exact(void)
{
  Sim *s = sim_new(0, 0);
  int64_t worst = -1;
  run_and_check(s, 600, 0, 0, &worst);
  g_assert_cmpint(worst, ==, 0);
  sim_free(s);
}

static void test_follows_camera_300ppm_fast(void)
{
  Sim *s = sim_new(300, 30 * HW_NS_PER_MS);
  /* 300 ppm over an hour is 1.08 s of drift; the mapping must not accumulate it. */
  int64_t worst = 0;
  run_and_check(s, 3600, 2 * HW_NS_PER_MS, 32 * HW_NS_PER_MS, &worst);
  g_test_message("worst error over 1 h at +300 ppm: %" G_GINT64_FORMAT " µs", worst / 1000);
  sim_free(s);
}

static void test_follows_camera_300ppm_slow(void)
{
  Sim *s = sim_new(-300, 30 * HW_NS_PER_MS);
  int64_t worst = 0;
  run_and_check(s, 3600, 2 * HW_NS_PER_MS, 32 * HW_NS_PER_MS, &worst);
  g_test_message("worst error over 1 h at -300 ppm: %" G_GINT64_FORMAT " µs", worst / 1000);
  sim_free(s);
}

/* A camera 2000 ppm off cannot be followed at 500 ppm: each fragment moves by exactly the cap,
 * the disagreement grows by 1500 ppm, and the run ends once it passes the bound. */
static void test_2000ppm_is_slewed_at_most_500ppm(void)
{
  for (int sign = -1; sign <= 1; sign += 2) {
    Sim *s = sim_new(2000 * sign, 0);
    HwWallClock c;
    hw_wallclock_init(&c, BOUND);
    HwArrival a[FRAGMENT_FRAMES];
    hw_time_ns prev_wall = 0;
    int64_t prev_media = 0;
    size_t k = 0;
    bool ended = false;
    for (; k < 3600 * FPS / FRAGMENT_FRAMES; k++) {
      sim_fragment(s, a, FRAGMENT_FRAMES);
      hw_time_ns wall = 0;
      if (!hw_wallclock_fragment(&c, a, FRAGMENT_FRAMES, &wall)) {
        ended = true;
        break;
      }
      if (k > 0) {
        int64_t elapsed = a[0].media_ns - prev_media;
        int64_t slew = wall - (prev_wall + elapsed);
        /* At the cap, and toward the local clock: against the camera's drift. */
        g_assert_cmpint(llabs(slew), <=, elapsed / 2000 + 1);
        g_assert_cmpint(llabs(slew), >=, elapsed / 2000 - 1);
        g_assert_cmpint(slew * sign, <, 0);
      }
      prev_wall = wall;
      prev_media = a[0].media_ns;
    }
    g_assert_true(ended);
    g_assert_cmpint(llabs(c.last_error_ns), >, BOUND);
    /* 2 s at 1500 ppm net drift is about 1333 s of footage. */
    double seconds = (double)k * FRAGMENT_FRAMES / FPS;
    g_assert_cmpfloat(seconds, >, 1200);
    g_assert_cmpfloat(seconds, <, 1500);
    sim_free(s);
  }
}

static void test_realtime_step_ends_run(void)
{
  for (int sign = -1; sign <= 1; sign += 2) {
    Sim *s = sim_new(0, 10 * HW_NS_PER_MS);
    HwWallClock c;
    hw_wallclock_init(&c, BOUND);
    HwArrival a[FRAGMENT_FRAMES];
    hw_time_ns wall;
    for (int k = 0; k < 5; k++) {
      sim_fragment(s, a, FRAGMENT_FRAMES);
      g_assert_true(hw_wallclock_fragment(&c, a, FRAGMENT_FRAMES, &wall));
    }
    /* NTP or an operator steps realtime by 150 ms; monotonic goes on. */
    s->real_offset = sign * 150 * HW_NS_PER_MS;
    sim_fragment(s, a, FRAGMENT_FRAMES);
    g_assert_false(hw_wallclock_fragment(&c, a, FRAGMENT_FRAMES, &wall));
    /* A new run starts from the stepped clock. */
    hw_wallclock_init(&c, BOUND);
    int64_t truth = sim_fragment(s, a, FRAGMENT_FRAMES);
    g_assert_true(hw_wallclock_fragment(&c, a, FRAGMENT_FRAMES, &wall));
    g_assert_cmpint(wall - truth - s->real_offset, >=, 0);
    g_assert_cmpint(wall - truth - s->real_offset, <=, 10 * HW_NS_PER_MS);
    sim_free(s);
  }
}

static void test_step_inside_fragment_ends_run(void)
{
  Sim *s = sim_new(0, 0);
  HwWallClock c;
  hw_wallclock_init(&c, BOUND);
  HwArrival a[FRAGMENT_FRAMES];
  hw_time_ns wall;
  sim_fragment(s, a, FRAGMENT_FRAMES);
  g_assert_true(hw_wallclock_fragment(&c, a, FRAGMENT_FRAMES, &wall));
  sim_fragment(s, a, FRAGMENT_FRAMES);
  for (int i = 30; i < FRAGMENT_FRAMES; i++)
    a[i].arrival += 150 * HW_NS_PER_MS;
  g_assert_false(hw_wallclock_fragment(&c, a, FRAGMENT_FRAMES, &wall));
  sim_free(s);
}

static void test_small_drift_of_realtime_is_not_a_step(void)
{
  /* adjtime-style slewing (realtime gains 50 ms against monotonic) is not a step. */
  Sim *s = sim_new(0, 0);
  HwWallClock c;
  hw_wallclock_init(&c, BOUND);
  HwArrival a[FRAGMENT_FRAMES];
  hw_time_ns wall;
  sim_fragment(s, a, FRAGMENT_FRAMES);
  g_assert_true(hw_wallclock_fragment(&c, a, FRAGMENT_FRAMES, &wall));
  s->real_offset = 50 * HW_NS_PER_MS;
  sim_fragment(s, a, FRAGMENT_FRAMES);
  g_assert_true(hw_wallclock_fragment(&c, a, FRAGMENT_FRAMES, &wall));
  sim_free(s);
}

static void test_disagreement_beyond_bound_ends_run(void)
{
  /* The camera's clock (clock = camera: arrival is its NTP time) jumps 3 s ahead while the local
   * monotonic clock does not: beyond a 2 s bound. */
  HwWallClock c;
  hw_wallclock_init(&c, BOUND);
  HwArrival a[FRAGMENT_FRAMES];
  hw_time_ns wall;
  for (int k = 0; k < 2; k++) {
    for (int i = 0; i < FRAGMENT_FRAMES; i++) {
      int64_t t = (k * FRAGMENT_FRAMES + i) * FRAME_NS;
      a[i] = (HwArrival){t, T0 + t, MONO0 + t};
    }
    g_assert_true(hw_wallclock_fragment(&c, a, FRAGMENT_FRAMES, &wall));
  }
  /* Media time jumps back 3 s (the predicted time is 3 s early) with no realtime step. Frames
   * that come late may only be delayed (a starved machine): the run goes on for two fragments,
   * and ends at the third in a row. */
  for (int k = 2; k < 5; k++) {
    for (int i = 0; i < FRAGMENT_FRAMES; i++) {
      int64_t t = (k * FRAGMENT_FRAMES + i) * FRAME_NS;
      a[i] = (HwArrival){t - 3 * HW_NS_PER_S, T0 + t, MONO0 + t};
    }
    bool kept = hw_wallclock_fragment(&c, a, FRAGMENT_FRAMES, &wall);
    g_assert_true(kept == (k < 4));
    g_assert_cmpint(c.last_error_ns, >, BOUND);
  }
}

static void test_early_frames_beyond_bound_end_run_at_once(void)
{
  /* Frames 3 s earlier than the mapping allows cannot be delay: the run ends at once. */
  HwWallClock c;
  hw_wallclock_init(&c, BOUND);
  HwArrival a[FRAGMENT_FRAMES];
  hw_time_ns wall;
  for (int k = 0; k < 3; k++) {
    for (int i = 0; i < FRAGMENT_FRAMES; i++) {
      int64_t t = (k * FRAGMENT_FRAMES + i) * FRAME_NS;
      a[i] = (HwArrival){k == 2 ? t + 3 * HW_NS_PER_S : t, T0 + t, MONO0 + t};
    }
    g_assert_true(hw_wallclock_fragment(&c, a, FRAGMENT_FRAMES, &wall) == (k < 2));
  }
  g_assert_cmpint(c.last_error_ns, <, -BOUND);
}

static void test_disagreement_within_bound_is_kept(void)
{
  /* 1.5 s off with a 2 s bound: the run goes on and the measure is kept for the index. */
  HwWallClock c;
  hw_wallclock_init(&c, BOUND);
  HwArrival a[FRAGMENT_FRAMES];
  hw_time_ns wall, prev = 0;
  for (int k = 0; k < 3; k++) {
    for (int i = 0; i < FRAGMENT_FRAMES; i++) {
      int64_t t = (k * FRAGMENT_FRAMES + i) * FRAME_NS;
      a[i] = (HwArrival){k == 2 ? t - 1500 * HW_NS_PER_MS : t, T0 + t, MONO0 + t};
    }
    g_assert_true(hw_wallclock_fragment(&c, a, FRAGMENT_FRAMES, &wall));
    if (k == 2) {
      g_assert_cmpint(c.last_error_ns, ==, 1500 * HW_NS_PER_MS);
      /* Still continuous: the mapping moved by the cap, not by 1.5 s. */
      g_assert_cmpint(wall - prev, <=,
                      FRAGMENT_FRAMES * FRAME_NS - 1500 * HW_NS_PER_MS +
                          (FRAGMENT_FRAMES * FRAME_NS - 1500 * HW_NS_PER_MS) / 2000 + 1);
    }
    prev = wall;
  }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
  g_test_add_func("/capture/unit/clock/first-fragment-min-arrival",
                  test_first_fragment_is_min_arrival_minus_elapsed);
  g_test_add_func("/capture/unit/clock/no-jitter-exact", test_no_jitter_is_exact);
  g_test_add_func("/capture/unit/clock/jitter-within-delay", test_jitter_stays_within_min_delay);
  g_test_add_func("/capture/unit/clock/follows-300ppm-fast", test_follows_camera_300ppm_fast);
  g_test_add_func("/capture/unit/clock/follows-300ppm-slow", test_follows_camera_300ppm_slow);
  g_test_add_func("/capture/unit/clock/2000ppm-slewed-500ppm",
                  test_2000ppm_is_slewed_at_most_500ppm);
  g_test_add_func("/capture/unit/clock/realtime-step-ends-run", test_realtime_step_ends_run);
  g_test_add_func("/capture/unit/clock/step-inside-fragment", test_step_inside_fragment_ends_run);
  g_test_add_func("/capture/unit/clock/small-realtime-slew-not-step",
                  test_small_drift_of_realtime_is_not_a_step);
  g_test_add_func("/capture/unit/clock/disagreement-beyond-bound",
                  test_disagreement_beyond_bound_ends_run);
  g_test_add_func("/capture/unit/clock/early-frames-end-run-at-once",
                  test_early_frames_beyond_bound_end_run_at_once);
  g_test_add_func("/capture/unit/clock/disagreement-within-bound",
                  test_disagreement_within_bound_is_kept);
  return g_test_run();
}
