/* Retention (retention.c), private to capture/: a thread that deletes the oldest unheld files by
 * age, bytes and the free-space floor, and asks the recorder to pause at the floor. */
#pragma once

#include "capture/internal.h"

typedef struct HwRetention HwRetention;
/* Called from the retention thread when recording must pause (true) or may resume (false). */
typedef void (*HwRetentionPauseFn)(bool pause, void *user);

HwRetention *hw_retention_new(HwStore *store, const HwRecorderOptions *opts,
                              HwRetentionPauseFn pause_fn, void *user);
/* Per-camera limits (0: none). */
void hw_retention_set_camera(HwRetention *r, const char *camera, int64_t days, int64_t bytes);
/* New global limits (days, bytes, floor); the thread runs a pass at once. */
void hw_retention_set_limits(HwRetention *r, int64_t days, int64_t bytes, int64_t min_free);
bool hw_retention_paused(HwRetention *r);
/* One pass, synchronously (the thread calls it every interval; tests may call it directly). */
void hw_retention_run_once(HwRetention *r);
void hw_retention_free(HwRetention *r);
