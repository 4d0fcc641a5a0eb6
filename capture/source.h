/* The libavformat capture front-end (source_av.c), private to capture/: one thread per camera
 * stream reading RTSP and feeding the segment writer. Events come from that thread. */
#pragma once

#include "capture/internal.h"

typedef struct {
  const char *url;
  const char *username, *password; /* may be NULL; never logged */
  HwTransport transport;
  int64_t stall_timeout_ns;        /* I/O silence longer than this fails the stream */
} HwSourceConfig;

typedef struct {
  /* The stream failed (the thread then ends). Called at most once per source. */
  void (*failed)(void *user, HwOutageReason reason, const char *message);
  /* A video frame went to the writer. */
  void (*frame)(void *user, int64_t arrival_mono, size_t bytes);
  /* Something worth showing in the camera's state (e.g. dropped G.711 audio). */
  void (*warning)(void *user, const char *text);
  /* The stream carries audio that is recorded ("aac"). */
  void (*audio)(void *user, const char *codec);
} HwSourceEvents;

typedef struct HwAvSource HwAvSource;

/* Starts reading on a new thread. The writer, the events and user must outlive the source. */
HwAvSource *hw_av_source_start(const HwSourceConfig *cfg, HwSegWriter *writer,
                               const HwSourceEvents *ev, void *user);
/* Stops the thread (interrupting any blocking I/O) and frees the source; no event comes after. */
void hw_av_source_stop(HwAvSource *s);
