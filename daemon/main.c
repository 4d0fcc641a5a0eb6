/* hallwatchd: wires the store, the recorder and the HTTP server together, and owns the process
 * lifecycle: command line, configuration, signals (SIGTERM, SIGHUP), systemd notify and watchdog,
 * and the self-contained demo. */
#include <glib-unix.h>
#include <glib.h>
#include <glib/gstdio.h>
#include <gst/gst.h>
#include <locale.h>
#include <malloc.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <jansson.h>
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "audit/hw_audit.h" /* audit: the log, head signing */
#include "capture/hw_recorder.h"
#include "common/hw_keys.h"   /* audit: the appliance key */
#include "cases/hw_calendar_store.h" /* calendar: the shipped holidays */
#include "cases/hw_warnings.h"       /* warnings: rules, timer queue */
#include "daemon/hw_cli.h"    /* subcommands (audit, …) */
#include "daemon/hw_config.h"
#include "demo/hw_demo_feed.h" /* cases: the demo department feed */
#include "demo/hw_rtsp_server.h"
#include "sql/hw_store.h"
#include "sql/hw_store_cases.h"
#include "sql/hw_store_auth.h" /* sign-in: demo users */
#include "web/hw_auth.h"
#include "web/hw_http.h"
#include "common/hw_secret.h" /* cameras: sealed credentials */
#include "web/hw_cameras.h"    /* cameras: the API's hooks */
#include "media/hw_export_jobs.h" /* export: evidence export jobs */
#include "sql/hw_store_settings.h"  /* settings: the interface's [warnings]/[retention] values */
#include "web/hw_settings.h"

#define DEMO_CAMERAS 4

typedef struct {
  char *config_path;
  HwConfig *config;
  HwStore *store;
  HwRecorder *recorder;
  HwHttp *http;
  GMainLoop *loop;
  HwRtspServer *demo_server;
  HwDemoFeed *demo_feed; /* cases: simulated departments posting to the exchange API */
  int demo_feed_ms;      /* its pace (ms between new cases); 0: no feed */
  char *demo_dir;
  bool stopping;
  HwKey *key;     /* audit: the appliance key, <database>.key */
  HwFootageRolls footage_rolls; /* [footage] as read at start (stages owned) */
  HwAudit *audit; /* audit: daemon.start/stop and config.change rows */
  /* calendar: the hall's working days for deadlines ([hall] timezone; rebuilt when the calendar
   * changes). The warnings evaluator takes its calendar from here. */
  HwCalendarSource *calendar;

  HwExportJobs *exports; /* export: the evidence export worker */
  /* warnings: evaluated after each exchange batch (HTTP threads) and by a one-shot timer set to
   * the earliest instant a case's verdict changes by time alone ([warnings] rules). */
  HwWarnings *warnings;
  guint warnings_timer;
  GThread *warnings_start; /* evaluates every open case once after start */
  /* cameras: API-provisioned cameras. cam_lock guards d->config's camera list against the HTTP
   * threads reading it (config_cameras hook); the main thread swaps it on SIGHUP. */
  HwSecret *secret;
  GMutex cam_lock;
  HwCameraHooks cam_hooks;
  gint apply_pending;
  /* settings: the file's [warnings] and [retention] values as last read (only warning_rules and
   * recorder's retention fields are set; nothing owned); d->config holds them with the store's
   * settings over them. Guarded by cam_lock like d->config. */
  HwConfig file_values;
  HwSettingsHooks settings_hooks;
  gint settings_pending;
} Daemon;

/* ---- warnings: the timer ------------------------------------------------------------------- */

/* Re-armed after each run for the earliest queued instant, and when an evaluation on an HTTP
 * thread queues an earlier one (warnings_wake); at most WARNINGS_POLL_MS away regardless. */
#define WARNINGS_POLL_MS 60000

static gboolean warnings_tick(gpointer data);

static void warnings_arm(Daemon *d)
{
  hw_time_ns next = hw_warnings_next(d->warnings), now = hw_time_now();
  int64_t ms = next == INT64_MAX ? WARNINGS_POLL_MS : (next - now) / 1000000 + 1;
  d->warnings_timer = g_timeout_add((guint)CLAMP(ms, 1, WARNINGS_POLL_MS), warnings_tick, d);
}

static gboolean warnings_tick(gpointer data)
{
  Daemon *d = data;
  g_autoptr(GError) error = NULL;
  size_t raised = 0;
  if (!hw_warnings_run_due(d->warnings, &raised, &error))
    g_warning("warnings: %s", error->message);
  else if (raised > 0)
    g_message("warnings: %zu raised as time passed", raised);
  warnings_arm(d);
  return G_SOURCE_REMOVE;
}

static gboolean warnings_rearm(gpointer data)
{
  Daemon *d = data;
  if (d->warnings_timer != 0) {
    g_source_remove(d->warnings_timer);
    warnings_arm(d);
  }
  return G_SOURCE_REMOVE;
}

/* From any thread: re-arm on the main loop. */
static void warnings_wake(void *user)
{
  g_idle_add(warnings_rearm, user);
}

static gpointer warnings_start(gpointer data)
{
  Daemon *d = data;
  g_autoptr(GError) error = NULL;
  hw_time_ns t0 = hw_time_now();
  if (!hw_warnings_evaluate_all(d->warnings, &error))
    g_warning("warnings: evaluating the open cases: %s", error->message);
  else
    g_debug("warnings: open cases evaluated in %.1f s", (double)(hw_time_now() - t0) / 1e9);
  return NULL;
}

/* ---- audit: rows the daemon itself writes, and the head-signing timer --------------------- */

/* Library code does not log; the daemon does. A row that cannot be written is a warning, not a
 * reason to stop recording. */
static void audit_system(Daemon *d, const char *action, const char *detail_json)
{
  g_autoptr(GError) error = NULL;
  if (!hw_audit_record(d->audit, "system", "", "", action, "", "", detail_json, &error))
    g_warning("audit log: cannot record %s: %s", action, error->message);
}

static void audit_sign(Daemon *d)
{
  g_autoptr(GError) error = NULL;
  if (!hw_audit_sign_head(d->store, d->key, &error))
    g_warning("audit log: cannot sign its head: %s", error->message);
}

static gboolean audit_sign_tick(gpointer user)
{
  audit_sign(user);
  return G_SOURCE_CONTINUE;
}

/* {"cameras_added":[…],"cameras_removed":[…],"cameras_changed":[…],"restart_needed":[…]} for a
 * SIGHUP re-read, or NULL if nothing changed. Camera settings themselves (URLs, passwords) are
 * never put in the log: ids only. */
static char *audit_config_change(const HwConfig *old, const HwConfig *fresh)
{
  json_t *added = json_array(), *removed = json_array(), *changed = json_array();
  json_t *restart = json_array();
  for (size_t i = 0; i < fresh->n_cameras; i++) {
    const HwCameraConfig *c = fresh->cameras[i], *was = NULL;
    for (size_t j = 0; j < old->n_cameras && was == NULL; j++)
      if (strcmp(old->cameras[j]->id, c->id) == 0)
        was = old->cameras[j];
    if (was == NULL)
      json_array_append_new(added, json_string(c->id));
    else if (!hw_camera_config_equal(was, c))
      json_array_append_new(changed, json_string(c->id));
  }
  for (size_t j = 0; j < old->n_cameras; j++) {
    bool kept = false;
    for (size_t i = 0; i < fresh->n_cameras && !kept; i++)
      kept = strcmp(old->cameras[j]->id, fresh->cameras[i]->id) == 0;
    if (!kept)
      json_array_append_new(removed, json_string(old->cameras[j]->id));
  }
  if (g_strcmp0(fresh->footage_dir, old->footage_dir) != 0 ||
      g_strcmp0(fresh->database_path, old->database_path) != 0)
    json_array_append_new(restart, json_string("storage"));
  if (g_strcmp0(fresh->http_host, old->http_host) != 0 || fresh->http_port != old->http_port)
    json_array_append_new(restart, json_string("http"));
  bool any = json_array_size(added) || json_array_size(removed) || json_array_size(changed) ||
             json_array_size(restart);
  json_t *o = json_pack("{s:o, s:o, s:o, s:o}", "cameras_added", added, "cameras_removed",
                        removed, "cameras_changed", changed, "restart_needed", restart);
  char *text = any ? json_dumps(o, JSON_COMPACT) : NULL;
  json_decref(o);
  char *copy = g_strdup(text);
  free(text);
  return copy;
}
/* ---- end audit ------------------------------------------------------------------------------ */

/* ---- cameras: the merged camera list (config file + store) --------------------------------- */

static HwCameraConfig *camera_from_store(Daemon *d, const HwStoreCamera *c)
{
  HwCameraConfig *r = g_new0(HwCameraConfig, 1);
  r->id = g_strdup(c->id);
  r->name = g_strdup(c->name);
  r->url = g_strdup(c->url);
  r->substream_url = c->substream_url[0] ? g_strdup(c->substream_url) : NULL;
  r->transport = strcmp(c->transport, "udp") == 0 ? HW_TRANSPORT_UDP : HW_TRANSPORT_TCP;
  r->clock = strcmp(c->clock, "camera") == 0 ? HW_CLOCK_CAMERA : HW_CLOCK_LOCAL;
  r->enabled = c->enabled;
  r->source = g_strdup("api");
  r->retain_days = c->retain_days;
  r->retain_bytes = c->retain_bytes;
  g_autoptr(GBytes) box = NULL;
  g_autoptr(GError) error = NULL;
  if (c->has_credentials && hw_store_camera_credentials(d->store, c->id, &box, &error) && box) {
    gsize len;
    const void *p = g_bytes_get_data(box, &len);
    if (!hw_secret_open_credentials(d->secret, p, len, &r->username, &r->password, &error))
      g_warning("camera %s: %s", c->id, error->message);
  } else if (error != NULL) {
    g_warning("camera %s: %s", c->id, error->message);
  }
  return r;
}

/* Applies config cameras + store cameras; the config file wins on an id clash. Main thread. */
static void apply_cameras(Daemon *d)
{
  g_autoptr(GPtrArray) all = g_ptr_array_new_with_free_func((GDestroyNotify)hw_camera_config_free);
  for (size_t i = 0; i < d->config->n_cameras; i++)
    g_ptr_array_add(all, hw_camera_config_copy(d->config->cameras[i]));
  g_autofree HwStoreCamera *api = NULL;
  size_t n_api = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_store_cameras_list(d->store, NULL, &api, &n_api, &error)) {
    g_warning("cameras: cannot read the API's cameras: %s", error->message);
    n_api = 0;
  }
  for (size_t i = 0; i < n_api; i++) {
    bool clash = false;
    for (size_t k = 0; k < d->config->n_cameras && !clash; k++)
      clash = strcmp(d->config->cameras[k]->id, api[i].id) == 0;
    if (clash)
      g_warning("camera %s is in the configuration file and in the API's cameras: the file wins",
                api[i].id);
    else
      g_ptr_array_add(all, camera_from_store(d, &api[i]));
  }
  hw_recorder_apply(d->recorder, (HwCameraConfig *const *)all->pdata, all->len);
}

static gboolean apply_idle(gpointer user)
{
  Daemon *d = user;
  g_atomic_int_set(&d->apply_pending, 0);
  if (d->recorder != NULL && !d->stopping)
    apply_cameras(d);
  return G_SOURCE_REMOVE;
}

/* HTTP threads: a camera changed in the store. Coalesced into one apply on the main loop. */
static void cameras_changed(void *user)
{
  Daemon *d = user;
  if (g_atomic_int_compare_and_exchange(&d->apply_pending, 0, 1))
    g_idle_add(apply_idle, d);
}

static HwCameraConfig **config_cameras(void *user)
{
  Daemon *d = user;
  g_mutex_lock(&d->cam_lock);
  HwCameraConfig **r = g_new0(HwCameraConfig *, d->config->n_cameras + 1);
  for (size_t i = 0; i < d->config->n_cameras; i++)
    r[i] = hw_camera_config_copy(d->config->cameras[i]);
  g_mutex_unlock(&d->cam_lock);
  return r;
}
/* ---- end cameras ---------------------------------------------------------------------------- */

/* dashboard: the storage status shows the limits the recorder applies now (after SIGHUP and the
 * interface's settings). */
static void retention_in_force(void *user, HwRetentionLimits *ret)
{
  *ret = hw_recorder_retention(((Daemon *)user)->recorder);
}

static HwCameraStatus *status_fn(void *user, size_t *ret_n)
{
  Daemon *d = user;
  return hw_recorder_status(d->recorder, ret_n);
}

/* A short STATUS= line for systemctl status. */
static gboolean update_status(gpointer user)
{
  Daemon *d = user;
  const char *storage = hw_recorder_storage_error(d->recorder);
  if (storage != NULL) {
    sd_notifyf(0, "STATUS=not recording: %s", storage);
    return G_SOURCE_CONTINUE;
  }
  size_t n = 0, recording = 0;
  g_autofree HwCameraStatus *st = hw_recorder_status(d->recorder, &n);
  for (size_t i = 0; i < n; i++)
    recording += st[i].state == HW_CAMERA_RECORDING;
  sd_notifyf(0, "STATUS=recording %zu of %zu camera streams", recording, n);
  return G_SOURCE_CONTINUE;
}

static gboolean watchdog_ping(gpointer user)
{
  /* Pinged from the main loop: a wedged loop stops the pings and systemd restarts us. */
  sd_notify(0, "WATCHDOG=1");
  return G_SOURCE_CONTINUE;
}

static gboolean on_term(gpointer user)
{
  Daemon *d = user;
  if (!d->stopping) {
    d->stopping = true;
    g_message("stopping: finishing open fragments");
    sd_notify(0, "STOPPING=1\nSTATUS=stopping");
    g_main_loop_quit(d->loop);
  }
  return G_SOURCE_CONTINUE;
}

/* exchange: the departments' clock offsets of the config go to the store, where the ingest
 * reads them in its transaction (so the API and `hallwatchd import` apply the same ones). */
static bool apply_clocks(HwStore *store, const HwConfig *cfg, GError **error)
{
  return hw_store_department_clocks_set(store, (const char *const *)cfg->exchange_departments,
                                        cfg->exchange_clock_offsets_ns, cfg->n_exchange_clocks,
                                        error);
}

/* ---- settings: the interface's values over the file's ------------------------------------- */

/* Puts the store's settings over cfg's [warnings] and [retention] (cfg holding the file's values).
 * One key at a time: a stored value the file's parser no longer accepts is skipped, not fatal. */
static void settings_overlay(Daemon *d, HwConfig *cfg)
{
  g_autofree HwStoreSetting *rows = NULL;
  size_t n = 0;
  g_autoptr(GError) error = NULL;
  if (!hw_store_settings_list(d->store, &rows, &n, &error)) {
    g_warning("settings: %s; the configuration file's values apply", error->message);
    return;
  }
  for (size_t i = 0; i < n; i++) {
    const char *name = rows[i].name, *value = rows[i].value;
    g_autoptr(GError) e = NULL;
    if (!hw_config_overlay(cfg, "settings (database)", &name, &value, 1, &e))
      g_warning("settings: %s; the configuration file's value applies", e->message);
  }
}

/* Remembers cfg's file values (before settings_overlay). Caller holds cam_lock if HTTP runs. */
static void settings_keep_file(Daemon *d, const HwConfig *cfg)
{
  d->file_values.warning_rules = cfg->warning_rules;
  d->file_values.recorder = cfg->recorder;
  d->file_values.recorder.footage_dir = NULL;
}

/* The running engines take d->config's values: the warnings from each case's next evaluation,
 * retention at once. The one path for SIGHUP and for the interface's changes. Main thread. */
static void settings_apply(Daemon *d)
{
  g_mutex_lock(&d->cam_lock);
  HwWarningsConfig rules = d->config->warning_rules;
  HwRetentionLimits limits = {d->config->recorder.retain_days, d->config->recorder.retain_bytes,
                              d->config->recorder.min_free_bytes};
  g_mutex_unlock(&d->cam_lock);
  hw_warnings_set_config(d->warnings, &rules);
  if (d->recorder != NULL)
    hw_recorder_set_retention(d->recorder, &limits);
}

static gboolean settings_idle(gpointer user)
{
  Daemon *d = user;
  g_atomic_int_set(&d->settings_pending, 0);
  if (d->stopping)
    return G_SOURCE_REMOVE;
  /* The overlay reads the store outside cam_lock (an HTTP thread may hold the store's lock and
   * want cam_lock); only the copy back is under it. */
  g_mutex_lock(&d->cam_lock);
  HwConfig fresh = d->file_values;
  g_mutex_unlock(&d->cam_lock);
  settings_overlay(d, &fresh);
  g_mutex_lock(&d->cam_lock);
  d->config->warning_rules = fresh.warning_rules;
  d->config->recorder.retain_days = fresh.recorder.retain_days;
  d->config->recorder.retain_bytes = fresh.recorder.retain_bytes;
  d->config->recorder.min_free_bytes = fresh.recorder.min_free_bytes;
  g_mutex_unlock(&d->cam_lock);
  settings_apply(d);
  g_message("settings: the interface's [warnings] and [retention] values applied");
  return G_SOURCE_REMOVE;
}

/* HTTP threads: PATCH /api/v1/settings committed. Coalesced into one apply on the main loop. */
static void settings_changed(void *user)
{
  Daemon *d = user;
  if (g_atomic_int_compare_and_exchange(&d->settings_pending, 0, 1))
    g_idle_add(settings_idle, d);
}

/* HTTP threads: the file's value of an editable key; "in the file" when it is not the default's
 * (HwConfig does not remember which keys the file named). */
static char *settings_file_value(void *user, const char *name, bool *ret_in_file)
{
  Daemon *d = user;
  g_autoptr(HwConfig) defaults = hw_config_new_default();
  g_autofree char *def = hw_config_setting_format(defaults, name);
  g_mutex_lock(&d->cam_lock);
  char *v = hw_config_setting_format(&d->file_values, name);
  g_mutex_unlock(&d->cam_lock);
  *ret_in_file = g_strcmp0(v, def) != 0;
  return v;
}

static gboolean on_hup(gpointer user)
{
  Daemon *d = user;
  if (d->config_path == NULL) {
    g_message("SIGHUP: the demo has no configuration file to re-read");
    return G_SOURCE_CONTINUE;
  }
  sd_notify(0, "RELOADING=1");
  g_autoptr(GError) error = NULL;
  HwConfig *fresh = hw_config_load(d->config_path, &error);
  if (fresh == NULL) {
    g_warning("SIGHUP: %s; keeping the running configuration", error->message);
    sd_notify(0, "READY=1");
    return G_SOURCE_CONTINUE;
  }
  if (g_strcmp0(fresh->footage_dir, d->config->footage_dir) != 0 ||
      g_strcmp0(fresh->database_path, d->config->database_path) != 0 ||
      g_strcmp0(fresh->http_host, d->config->http_host) != 0 ||
      fresh->http_port != d->config->http_port)
    g_warning("SIGHUP: [storage] and [http] changes take effect at the next restart");
  g_autofree char *change = audit_config_change(d->config, fresh); /* audit */
  if (change != NULL)
    audit_system(d, "config.change", change);
  HwConfig file_values = {0}; /* settings: the interface's values stay over the file's */
  file_values.warning_rules = fresh->warning_rules;
  file_values.recorder = fresh->recorder;
  settings_overlay(d, fresh);
  g_mutex_lock(&d->cam_lock); /* cameras: the HTTP threads read the list */
  settings_keep_file(d, &file_values);
  HwConfig *old = d->config;
  d->config = fresh;
  g_mutex_unlock(&d->cam_lock);
  hw_config_free(old);
  apply_cameras(d); /* cameras: config + store, only changed ones restart */
  if (!apply_clocks(d->store, fresh, &error)) /* exchange */
    g_warning("SIGHUP: department clock offsets: %s", error->message);
  settings_apply(d); /* warnings: from each case's next evaluation; retention at once */
  g_message("SIGHUP: configuration re-read, %zu cameras", fresh->n_cameras);
  sd_notify(0, "READY=1");
  return G_SOURCE_CONTINUE;
}

/* The web interface's folder when the configuration names none: the build's own copy for the
 * hallwatchd of the build folder (so `./build/daemon/hallwatchd --demo` has its interface with
 * nothing to configure), else where `cmake --install` puts it. g_free the result. */
static char *default_www_dir(void)
{
  g_autofree char *self = realpath("/proc/self/exe", NULL);
  g_autofree char *built = realpath(HW_BUILD_HALLWATCHD, NULL);
  if (self != NULL && built != NULL && strcmp(self, built) == 0)
    return g_strdup(HW_WWW_DIR_BUILD);
  return g_strdup(HW_WWW_DIR_INSTALLED);
}

/* The demo: an embedded RTSP server with four service-hall windows, a temporary store. */
static HwConfig *demo_setup(Daemon *d, int port, GError **error)
{
  d->demo_server = hw_rtsp_server_new(0, error);
  if (d->demo_server == NULL)
    return NULL;
  HwConfig *cfg = hw_config_new_default();
  d->demo_dir = g_dir_make_tmp("hallwatch-demo-XXXXXX", error);
  if (d->demo_dir == NULL) {
    hw_config_free(cfg);
    return NULL;
  }
  g_free(cfg->footage_dir);
  g_free(cfg->database_path);
  cfg->footage_dir = g_build_filename(d->demo_dir, "footage", NULL);
  cfg->database_path = g_build_filename(d->demo_dir, "hallwatch.db", NULL);
  cfg->recorder.footage_dir = cfg->footage_dir;
  cfg->recorder.retain_bytes = INT64_C(2) << 30; /* a demo never eats the disk */
  cfg->recorder.min_free_bytes = INT64_C(512) << 20;
  cfg->http_port = port;

  cfg->cameras = g_new0(HwCameraConfig *, DEMO_CAMERAS);
  for (int i = 0; i < DEMO_CAMERAS; i++) {
    g_autofree char *path = g_strdup_printf("/window-%02d", i + 1);
    g_autofree char *label = g_strdup_printf("窗口 %02d / Window %02d", i + 1, i + 1);
    HwRtspStreamSpec spec = {.path = path, .label = label, .width = 640, .height = 360, .fps = 25};
    if (!hw_rtsp_server_add_stream(d->demo_server, &spec, error)) {
      hw_config_free(cfg);
      return NULL;
    }
    HwCameraConfig *c = g_new0(HwCameraConfig, 1);
    c->id = g_strdup(path + 1);
    c->name = g_strdup(label);
    c->url = hw_rtsp_server_url(d->demo_server, path);
    c->transport = HW_TRANSPORT_TCP;
    c->clock = HW_CLOCK_LOCAL;
    c->enabled = true;
    c->source = g_strdup("config");
    cfg->cameras[cfg->n_cameras++] = c;
    g_message("demo camera %s: %s", c->id, c->url);
  }
  return cfg;
}

static void remove_tree(const char *path)
{
  g_autoptr(GDir) dir = g_dir_open(path, 0, NULL);
  if (dir != NULL) {
    const char *name;
    while ((name = g_dir_read_name(dir)) != NULL) {
      g_autofree char *child = g_build_filename(path, name, NULL);
      if (g_file_test(child, G_FILE_TEST_IS_DIR) && !g_file_test(child, G_FILE_TEST_IS_SYMLINK))
        remove_tree(child);
      else
        g_unlink(child);
    }
  }
  g_rmdir(path);
}

/* The demo's users, one per role a visitor wants to try, with random passwords printed on stderr
 * (stdout's first line stays the URL, which scripts read). */
static bool demo_users(Daemon *d, GError **error)
{
  static const struct {
    const char *name, *role;
  } users[] = {
    {"admin", "admin"},           {"supervisor", "supervisor"}, {"manager", "hall_manager"},
    {"investigator", "investigator"}, {"auditor", "auditor"},
  };
  if (!hw_auth_init(error))
    return false;
  for (size_t i = 0; i < G_N_ELEMENTS(users); i++) {
    g_autofree char *pw = hw_auth_password_generate();
    g_autofree char *hash = hw_auth_password_hash(pw, error);
    if (hash == NULL ||
        !hw_store_user_add(d->store, users[i].name, users[i].role, hash, NULL, 0, NULL, error))
      return false;
    g_printerr("demo user %-12s (%s): password %s\n", users[i].name, users[i].role, pw);
  }
  return true;
}

static int run(Daemon *d)
{
  g_autoptr(GError) error = NULL;
  HwConfig *cfg = d->config;

  d->store = hw_store_open(cfg->database_path, &error);
  if (d->store == NULL) {
    g_printerr("hallwatchd: %s\n", error->message);
    return 1;
  }
  if (!apply_clocks(d->store, cfg, &error)) { /* exchange */
    g_printerr("hallwatchd: %s\n", error->message);
    return 1;
  }
  /* audit: the appliance key next to the database, and the first row of this run. Without the
   * key the log could not be signed: refuse to run rather than record untraceably. */
  g_autofree char *key_path = hw_key_path_for_database(cfg->database_path);
  bool key_created = false;
  d->key = hw_key_load_or_create(key_path, &key_created, &error);
  if (d->key == NULL) {
    g_printerr("hallwatchd: %s\n", error->message);
    return 1;
  }
  if (key_created)
    g_message("audit: made the appliance key %s (public key %s)", key_path,
              hw_key_public_hex(d->key));
  d->audit = hw_audit_new(d->store);
  {
    g_autofree char *detail =
        g_strdup_printf("{\"version\":\"%s\",\"pid\":%d,\"cameras\":%zu,\"key_created\":%s}",
                        HW_VERSION, (int)getpid(), cfg->n_cameras, key_created ? "true" : "false");
    audit_system(d, "daemon.start", detail);
  }
  audit_sign(d); /* also covers rows a crashed run or a one-shot tool left unsigned */
  /* end audit */
  /* calendar: the shipped holiday arrangements, imported once into a new database */
  {
    bool seeded = false;
    if (!hw_calendar_seed_shipped(d->store, &seeded, &error)) {
      g_printerr("hallwatchd: calendar: %s\n", error->message);
      return 1;
    }
    if (seeded) {
      g_autofree char *detail =
          g_strdup_printf("{\"source\":\"%s\"}", hw_calendar_shipped_name());
      audit_system(d, "calendar.seed", detail);
      g_message("calendar: imported the shipped holidays %s", hw_calendar_shipped_name());
    }
    d->calendar = hw_calendar_source_new(d->store, cfg->hall_timezone);
    g_autoptr(HwCalendar) cal = hw_calendar_source_get(d->calendar, &error);
    if (cal == NULL) {
      g_printerr("hallwatchd: calendar: %s\n", error->message);
      return 1;
    }
    int year, month, day;
    hw_date_to_ymd(hw_calendar_date_of(cal, hw_time_now()), &year, &month, &day);
    if (!hw_calendar_has_year(cal, year))
      g_warning("calendar: no holidays are known for %d, so deadlines count Monday to Friday "
                "only; import the State Council's arrangement (hallwatchd calendar import)",
                year);
  }

  /* settings: the interface's [warnings] and [retention] values over the file's */
  settings_keep_file(d, cfg);
  settings_overlay(d, cfg);

  cfg->recorder.footage_dir = cfg->footage_dir;
  d->recorder = hw_recorder_new(d->store, &cfg->recorder, &error);
  if (d->recorder == NULL) {
    g_printerr("hallwatchd: %s\n", error->message);
    return 1;
  }
  if (d->demo_server != NULL && !demo_users(d, &error)) {
    g_printerr("hallwatchd: demo users: %s\n", error->message);
    return 1;
  }
  HwHttpOptions http_opt;
  hw_http_options_init(&http_opt);
  http_opt.host = cfg->http_host;
  http_opt.port = cfg->http_port;
  http_opt.status_fn = status_fn;
  http_opt.status_user = d;
  http_opt.store = d->store;
  http_opt.app = d;
  http_opt.session_idle_ns = cfg->auth_session_idle_ns;
  http_opt.session_max_ns = cfg->auth_session_max_ns;
  http_opt.lockout_after = cfg->auth_lockout_after;
  http_opt.lockout_for_ns = cfg->auth_lockout_for_ns;
  http_opt.audit = d->audit; /* audit: sign-in, sign-out, token changes */
  http_opt.tls_cert_path = cfg->http_tls_cert; /* tls: HTTPS only when both are set */
  http_opt.tls_key_path = cfg->http_tls_key;
  http_opt.calendar = d->calendar; /* cases: due dates in the case API */
  /* www: the web interface's files */
  g_autofree char *www_dir = cfg->http_www_dir ? g_strdup(cfg->http_www_dir) : default_www_dir();
  g_autofree char *www_index = g_build_filename(www_dir, "index.html", NULL);
  if (!g_file_test(www_index, G_FILE_TEST_IS_REGULAR))
    g_warning("the web interface is missing: no %s (build it with cmake --build, or set [http] "
              "www_dir); the API works without it",
              www_index);
  http_opt.www_dir = www_dir;
  /* cameras: credentials of API cameras are sealed with <database>.secret */
  g_autofree char *secret_path = hw_secret_path_for_database(cfg->database_path);
  d->secret = hw_secret_load_or_create(secret_path, &error);
  if (d->secret == NULL) {
    g_printerr("hallwatchd: %s\n", error->message);
    return 1;
  }
  d->cam_hooks = (HwCameraHooks){.config_cameras = config_cameras,
                                 .changed = cameras_changed,
                                 .user = d,
                                 .audit = d->audit,
                                 .secret = d->secret,
                                 .footage_dir = cfg->footage_dir,
                                 .retention = retention_in_force};
  http_opt.cameras = &d->cam_hooks;
  http_opt.live = hw_recorder_live(d->recorder); /* live view: GET /api/v1/live */

  /* export: packages go to <footage>/../exports; interrupted jobs are failed, queued ones run */
  g_autofree char *exports_dir = hw_export_jobs_default_dir(cfg->footage_dir);
  d->exports = hw_export_jobs_new(d->store, d->key, d->audit, cfg->footage_dir, exports_dir,
                                  HW_VERSION, &error);
  if (d->exports == NULL) {
    g_printerr("hallwatchd: %s\n", error->message);
    return 1;
  }
  http_opt.exports = d->exports;
  /* POST /api/v1/exports/verify streams an uploaded package to a temporary file there */
  http_opt.upload_dir = exports_dir;
  http_opt.upload_max = cfg->exports_verify_max_bytes;
  d->footage_rolls = cfg->footage_rolls;
  d->footage_rolls.stages =
      g_memdup2(cfg->footage_rolls.stages, cfg->footage_rolls.n * sizeof(HwFootageStageRolls));
  http_opt.footage_rolls = &d->footage_rolls;
  /* warnings: every open case evaluated once at start, then by event and timer */
  d->warnings = hw_warnings_new(d->store, d->calendar, &cfg->warning_rules, NULL, NULL);
  hw_warnings_set_wake(d->warnings, warnings_wake, d);
  d->warnings_start = g_thread_new("warnings-start", warnings_start, d);
  http_opt.warnings = d->warnings;
  d->settings_hooks = (HwSettingsHooks){.file_value = settings_file_value,
                                        .changed = settings_changed,
                                        .user = d};
  http_opt.settings = &d->settings_hooks;
  warnings_arm(d);
  d->http = hw_http_new(&http_opt, &error);
  if (d->http == NULL) {
    g_printerr("hallwatchd: %s\n", error->message);
    return 1;
  }
  apply_cameras(d); /* cameras: config file + store */

  if (d->demo_server != NULL && d->demo_feed_ms > 0) { /* cases: the demo department feed */
    g_autofree char **cams = g_new0(char *, cfg->n_cameras + 1);
    for (size_t i = 0; i < cfg->n_cameras; i++)
      cams[i] = cfg->cameras[i]->id;
    d->demo_feed = hw_demo_feed_start(d->store, hw_http_port(d->http), (const char *const *)cams,
                                      (guint)d->demo_feed_ms, &error);
    if (d->demo_feed == NULL) {
      g_printerr("hallwatchd: demo feed: %s\n", error->message);
      return 1;
    }
  }
  if (d->demo_server != NULL) {
    printf("http://127.0.0.1:%d/\n", hw_http_port(d->http));
    fflush(stdout);
  } else {
    bool v6 = strchr(cfg->http_host, ':') != NULL;
    g_message("listening on %s://%s%s%s:%d/", hw_http_is_tls(d->http) ? "https" : "http",
              v6 ? "[" : "", cfg->http_host, v6 ? "]" : "", hw_http_port(d->http));
  }

  d->loop = g_main_loop_new(NULL, FALSE);
  g_unix_signal_add(SIGTERM, on_term, d);
  g_unix_signal_add(SIGINT, on_term, d);
  g_unix_signal_add(SIGHUP, on_hup, d);
  uint64_t wd_usec = 0;
  if (sd_watchdog_enabled(0, &wd_usec) > 0 && wd_usec > 0)
    g_timeout_add((guint)(wd_usec / 2000), watchdog_ping, d);
  g_timeout_add_seconds(5, update_status, d);
  g_timeout_add_seconds((guint)(cfg->audit_sign_interval_ns / HW_NS_PER_S), audit_sign_tick,
                        d); /* audit */
  sd_notify(0, "READY=1");
  update_status(d);

  g_main_loop_run(d->loop);

  g_clear_pointer(&d->demo_feed, hw_demo_feed_stop); /* cases: before the server it posts to */
  /* Stop taking requests, then finish the recordings: the last fragments are written, files
   * fsynced, the index committed. */
  g_clear_pointer(&d->http, hw_http_free);
  g_clear_pointer(&d->exports, hw_export_jobs_free); /* export: a running job is cancelled */
  g_clear_pointer(&d->recorder, hw_recorder_free);
  audit_system(d, "daemon.stop", NULL); /* audit: the last row, then its head signed */
  audit_sign(d);
  g_message("stopped cleanly");
  return 0;
}

int main(int argc, char **argv)
{
  setlocale(LC_ALL, "");
  /* Every camera has its own reading thread; glibc would give each its own malloc arena, and the
   * arenas' fragmentation costs megabytes of RSS per camera (docs/performance.md). */
  mallopt(M_ARENA_MAX, 2);
  /* Subcommands: `hallwatchd <command> …`. */
  if (argc > 1 && strcmp(argv[1], "user") == 0)
    return hw_cli_user(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "audit") == 0)
    return hw_cli_audit(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "calendar") == 0)
    return hw_cli_calendar(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "import") == 0)
    return hw_cli_import(argc - 1, argv + 1);

  if (argc > 1 && strcmp(argv[1], "verify") == 0) /* export: an evidence package */
    return hw_cli_verify(argc - 1, argv + 1);
  if (argc > 1 && strcmp(argv[1], "key") == 0) /* export: the appliance key */
    return hw_cli_key(argc - 1, argv + 1);
  g_autofree char *config_path = NULL;
  gboolean check = FALSE, demo = FALSE, version = FALSE;
  int port = 8080;
  int demo_feed_ms = 4000; /* cases */
  GOptionEntry entries[] = {
      {"config", 'c', 0, G_OPTION_ARG_FILENAME, &config_path, "Configuration file", "FILE"},
      {"check-config", 0, 0, G_OPTION_ARG_NONE, &check, "Validate the configuration and exit",
       NULL},
      {"demo", 0, 0, G_OPTION_ARG_NONE, &demo,
       "Run the demo: built-in cameras, a temporary store, nothing to configure", NULL},
      {"port", 'p', 0, G_OPTION_ARG_INT, &port, "HTTP port of the demo (default 8080, 0: any)",
       "N"},
      {"demo-feed-interval", 0, 0, G_OPTION_ARG_INT, &demo_feed_ms,
       "Demo: milliseconds between new cases of the simulated departments (default 4000, 0: none)",
       "MS"},
      {"version", 0, 0, G_OPTION_ARG_NONE, &version, "Print the version and exit", NULL},
      {NULL, 0, 0, 0, NULL, NULL, NULL},
  };
  g_autoptr(GOptionContext) ctx = g_option_context_new("- HallWatch service-hall recorder");
  g_option_context_add_main_entries(ctx, entries, NULL);
  g_option_context_add_group(ctx, gst_init_get_option_group());
  g_autoptr(GError) error = NULL;
  if (!g_option_context_parse(ctx, &argc, &argv, &error)) {
    g_printerr("hallwatchd: %s\n", error->message);
    return 2;
  }
  if (version) {
    printf("hallwatchd %s\n", HW_VERSION);
    return 0;
  }
  if (!demo && config_path == NULL) {
    g_printerr("hallwatchd: give --config FILE, or --demo (see --help)\n");
    return 2;
  }
  if (port < 0 || port > 65535) {
    g_printerr("hallwatchd: --port must be 0..65535, got %d\n", port);
    return 2;
  }

  if (demo_feed_ms < 0 || demo_feed_ms > 3600000) {
    g_printerr("hallwatchd: --demo-feed-interval must be 0..3600000 ms, got %d\n", demo_feed_ms);
    return 2;
  }

  Daemon d = {0};
  d.demo_feed_ms = demo_feed_ms; /* cases */
  g_mutex_init(&d.cam_lock); /* cameras */
  if (demo) {
    gst_init(NULL, NULL);
    d.config = demo_setup(&d, port, &error);
  } else {
    d.config_path = g_strdup(config_path);
    d.config = hw_config_load(config_path, &error);
  }
  if (d.config == NULL) {
    g_printerr("hallwatchd: %s\n", error->message);
    return 1;
  }
  for (size_t i = 0; d.config->warnings && d.config->warnings[i]; i++)
    g_warning("%s", d.config->warnings[i]);
  if (check) {
    printf("%s: OK (%zu cameras)\n", config_path ? config_path : "demo", d.config->n_cameras);
    hw_config_free(d.config);
    g_free(d.config_path);
    return 0;
  }
  if (g_strcmp0(d.config->log_level, "debug") == 0)
    g_log_set_debug_enabled(TRUE);

  gst_init(NULL, NULL);
  int rc = run(&d);

  g_clear_pointer(&d.demo_feed, hw_demo_feed_stop); /* cases */
  g_clear_pointer(&d.http, hw_http_free);
  g_clear_pointer(&d.exports, hw_export_jobs_free); /* export */
  g_clear_pointer(&d.recorder, hw_recorder_free);
  g_clear_handle_id(&d.warnings_timer, g_source_remove); /* warnings */
  if (d.warnings_start != NULL) {
    hw_warnings_cancel(d.warnings);
    g_thread_join(g_steal_pointer(&d.warnings_start));
  }
  g_clear_pointer(&d.warnings, hw_warnings_free);
  g_clear_pointer(&d.calendar, hw_calendar_source_free); /* calendar */
  g_clear_pointer(&d.audit, hw_audit_free); /* audit */
  g_clear_pointer(&d.key, hw_key_free);
  g_clear_pointer(&d.secret, hw_secret_free); /* cameras */
  g_clear_pointer(&d.store, hw_store_close);
  g_clear_pointer(&d.demo_server, hw_rtsp_server_free);
  if (d.demo_dir != NULL) {
    remove_tree(d.demo_dir);
    g_free(d.demo_dir);
  }
  g_clear_pointer(&d.loop, g_main_loop_unref);
  hw_config_free(d.config);
  g_free(d.footage_rolls.stages);
  g_free(d.config_path);
  return rc;
}
