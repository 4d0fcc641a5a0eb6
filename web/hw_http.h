/* The HTTP server: libmicrohttpd on its own threads, the route table, and the read-only status
 * routes (/healthz, /metrics, /api/v1/cameras). Knows nothing of GStreamer: camera status comes
 * from a callback. No sign-in yet, so the caller must bind it to loopback only (hw_config does). */
#pragma once

#include <glib.h>

#include "capture/hw_recorder.h"

G_BEGIN_DECLS

#define HW_HTTP_ERROR (hw_http_error_quark())
GQuark hw_http_error_quark(void);

typedef enum {
  HW_HTTP_ERROR_ADDRESS, /* host is not an IP literal, or the port is out of range */
  HW_HTTP_ERROR_LISTEN,  /* socket, bind or listen failed (message carries the reason) */
  HW_HTTP_ERROR_START,   /* libmicrohttpd refused to start */
} HwHttpError;

typedef struct HwHttp HwHttp;

/* Returns a snapshot of every camera stream as a g_malloc'd array (transfer full; the server
 * g_frees it) and its length in *ret_n; NULL with *ret_n = 0 when there are none. Called from
 * the server's threads, several at once: it must be thread-safe (hw_recorder_status is). */
typedef HwCameraStatus *(*HwStatusFn)(void *user, size_t *ret_n);

/* Starts serving on host (an IP literal such as "127.0.0.1" or "::1", or "localhost") and port
 * (0 picks a free port; see hw_http_port). status_fn/status_user must stay valid until
 * hw_http_free returns. Returns NULL with error set (domain HW_HTTP_ERROR) if the address cannot
 * be bound; the callback is then never called. */
HwHttp *hw_http_new(const char *host, int port, HwStatusFn status_fn, void *status_user,
                    GError **error);

/* The port actually bound. */
int hw_http_port(HwHttp *h);

/* Stops the server: waits for requests in flight, closes the socket, frees h. NULL is a no-op. */
void hw_http_free(HwHttp *h);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HwHttp, hw_http_free)

G_END_DECLS
