/* The daemon's configuration file: an INI file (GKeyFile syntax) holding system settings and,
 * optionally, provisioned cameras. Owns parsing and validation; every error a person reads
 * names the file, the line and the key. Knows nothing of how the settings are applied. */
#pragma once

#include <glib.h>
#include <stddef.h>

#include "capture/hw_recorder.h"
#include "media/hw_footage.h"
#include "cases/hw_warnings.h"

G_BEGIN_DECLS

#define HW_CONFIG_ERROR (hw_config_error_quark())
GQuark hw_config_error_quark(void);

typedef enum {
  HW_CONFIG_ERROR_READ,  /* the file cannot be read */
  HW_CONFIG_ERROR_SYNTAX, /* a line is neither a section, a key = value pair nor a comment */
  HW_CONFIG_ERROR_UNKNOWN, /* unknown section or key (typos are never ignored) */
  HW_CONFIG_ERROR_DUPLICATE, /* a section or key given twice */
  HW_CONFIG_ERROR_INVALID, /* a value that does not parse or is out of range */
  HW_CONFIG_ERROR_MISSING, /* a required key is absent */
} HwConfigError;

#define HW_CONFIG_DEFAULT_FOOTAGE "/var/lib/hallwatch/footage"
#define HW_CONFIG_DEFAULT_DATABASE "/var/lib/hallwatch/hallwatch.db"
#define HW_CONFIG_DEFAULT_HTTP_HOST "127.0.0.1"
#define HW_CONFIG_DEFAULT_HTTP_PORT 8080
#define HW_CONFIG_DEFAULT_LOG_LEVEL "info"
#define HW_CONFIG_DEFAULT_SESSION_IDLE (INT64_C(30) * 60 * HW_NS_PER_S) /* [auth] session_idle */
#define HW_CONFIG_DEFAULT_SESSION_MAX (INT64_C(12) * 3600 * HW_NS_PER_S) /* [auth] session_max */
#define HW_CONFIG_DEFAULT_LOCKOUT_AFTER 5                                /* [auth] lockout_after */
#define HW_CONFIG_DEFAULT_LOCKOUT_FOR (INT64_C(15) * 60 * HW_NS_PER_S)   /* [auth] lockout_for */
#define HW_CONFIG_DEFAULT_TIMEZONE "Asia/Shanghai" /* [hall] timezone */
/* [exports] verify_max_bytes: 4 GiB, an hour of a main stream at ~8 Mbit/s with room to spare */
#define HW_CONFIG_DEFAULT_VERIFY_MAX_BYTES (INT64_C(4) << 30)
#define HW_CONFIG_DEFAULT_AUDIT_SIGN_INTERVAL (INT64_C(5) * 60 * 1000000000) /* [audit] 5m */

typedef struct {
  char *footage_dir;   /* [storage] footage, absolute */
  char *database_path; /* [storage] database, absolute */
  char *http_host;     /* [http] listen, the host part: an IP literal; beyond loopback only with
                        * TLS */
  int http_port;       /* [http] listen, the port part: 1..65535 */
  char *http_tls_cert; /* [http] tls_cert: PEM certificate (chain), absolute; NULL: plain HTTP */
  char *http_tls_key;  /* [http] tls_key: its PEM private key, absolute; set iff http_tls_cert */
  char *http_www_dir;  /* [http] www_dir: the web interface's files, absolute; NULL: the
                        * compiled-in default (daemon/main.c) */
  char *log_level;     /* [log] level: "error", "warning", "info" or "debug" */
  int64_t auth_session_idle_ns; /* [auth] session_idle: a session unused this long ends */
  int64_t auth_session_max_ns;  /* [auth] session_max: a session ends this long after sign-in */
  int auth_lockout_after;       /* [auth] lockout_after: failed sign-ins in a row that lock */
  int64_t auth_lockout_for_ns;  /* [auth] lockout_for: how long the lock lasts */
  char *hall_timezone;          /* [hall] timezone: IANA name of the hall's zone (deadlines) */
  HwWarningsConfig warning_rules; /* [warnings]: which rules run and their thresholds */
  int64_t audit_sign_interval_ns; /* [audit] sign_interval: how often the chain's head is signed,
                                   * 10s..24h */
  /* [recording], [reconnect], [retention]. recorder.footage_dir points at footage_dir above
   * (not separately owned). */
  HwRecorderOptions recorder;
  /* [exchange] clock_offset.<department>: n_exchange_clocks departments (NULL-terminated) and
   * the offset to add to each one's reported times; NULL/0 when the section is absent. */
  char **exchange_departments;
  int64_t *exchange_clock_offsets_ns;
  size_t n_exchange_clocks;
  /* [footage] pre_roll, post_roll and their .<stage type> variants: the footage linked to a case
   * stage (GET /api/v1/cases/{id}/footage, stage exports). stages is owned. */
  HwFootageRolls footage_rolls;
  /* [exports] verify_max_bytes: the largest package POST /api/v1/exports/verify takes (1M..1T) */
  int64_t exports_verify_max_bytes;
  /* [camera.<id>] sections in file order, each with source "config". */
  HwCameraConfig **cameras;
  size_t n_cameras;
  /* Things worth telling the operator that do not stop the daemon (e.g. a world-readable file
   * holding camera passwords). NULL-terminated; the caller decides whether to log them. */
  char **warnings;
} HwConfig;

/* Reads and validates the file at path. Returns a new HwConfig (free with hw_config_free), or
 * NULL with error set (domain HW_CONFIG_ERROR), its message shaped
 * "<path>:<line>: [<section>] <key>: <what is wrong>". Nothing is partially applied. */
HwConfig *hw_config_load(const char *path, GError **error);

/* The configuration used without a file: the defaults of every key, no cameras. Never NULL. */
HwConfig *hw_config_new_default(void);

void hw_config_free(HwConfig *config);
G_DEFINE_AUTOPTR_CLEANUP_FUNC(HwConfig, hw_config_free)

/* The value parsers, public so that the API (later) validates input the same way.
 * Durations: a non-negative integer with a unit ms, s, m or h ("500ms", "10s"); "0" alone is
 * accepted. Sizes: a non-negative integer of bytes, optionally followed by K, M, G or T (binary
 * multiples, 1K = 1024) and an optional B. Both return FALSE on bad syntax or overflow and leave
 * *ret untouched. */
gboolean hw_config_parse_duration(const char *s, int64_t *ret_ns);
gboolean hw_config_parse_size(const char *s, int64_t *ret_bytes);
/* A duration with an optional sign ("-2s", "+1500ms", "0"). */
gboolean hw_config_parse_offset(const char *s, int64_t *ret_ns);

/* ---- settings the web interface may change ---------------------------------------------------
 * The [warnings] and [retention] keys that an administrator may override at runtime
 * (docs/settings.md). Names are "<section>.<key>"; values are the texts the file would hold. */
typedef struct {
  const char *name;   /* "warnings.near_days" */
  const char *type;   /* "bool", "share", "days", "duration" or "size" */
  const char *limits; /* what the file accepts, for people: "0..365", "≤ 1h" */
} HwConfigSetting;

/* The editable keys in display order; *ret_n their number. Static, never freed. */
const HwConfigSetting *hw_config_settings(size_t *ret_n);
/* The editable key called name, or NULL. */
const HwConfigSetting *hw_config_setting_find(const char *name);

/* Applies n name = value pairs onto config with the file's own parsers and limits, as if the file
 * held them. origin names where they came from in error messages ("<origin>: [warnings]
 * near_days: …"). A name that is not editable is HW_CONFIG_ERROR_UNKNOWN. On error config may be
 * partly changed. */
gboolean hw_config_overlay(HwConfig *config, const char *origin, const char *const *names,
                           const char *const *values, size_t n, GError **error);

/* The value of an editable key in config as the file would write it ("true", "2/3", "30", "1G",
 * "2m"). Returns a new string (g_free), NULL for a name that is not editable. */
char *hw_config_setting_format(const HwConfig *config, const char *name);

G_END_DECLS
