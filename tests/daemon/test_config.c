/* Tests of daemon/hw_config: the example file validates, defaults apply, and every kind of
 * mistake an operator can make comes back as "<file>:<line>: [<section>] <key>: <what>". */
#include "daemon/hw_config.h"

#include <glib/gstdio.h>
#include <string.h>

typedef struct {
  char *dir;
  char *path;
} Fixture;

static void fixture_setup(Fixture *f, gconstpointer data)
{
  f->dir = g_dir_make_tmp("hw-config-XXXXXX", NULL);
  g_assert_nonnull(f->dir);
  f->path = g_build_filename(f->dir, "hallwatch.conf", NULL);
}

static void fixture_teardown(Fixture *f, gconstpointer data)
{
  g_unlink(f->path);
  g_rmdir(f->dir);
  g_free(f->path);
  g_free(f->dir);
}

static HwConfig *load_text(Fixture *f, const char *text, GError **error)
{
  g_assert_true(g_file_set_contents(f->path, text, -1, NULL));
  return hw_config_load(f->path, error);
}

/* Loads text, expects failure with exactly "<path>:<expected>" as the message. */
static void assert_error(Fixture *f, const char *text, HwConfigError code, const char *expected)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HwConfig) c = load_text(f, text, &error);
  g_assert_null(c);
  g_assert_nonnull(error);
  g_autofree char *want = g_strdup_printf("%s:%s", f->path, expected);
  g_assert_cmpstr(error->message, ==, want);
  g_assert_error(error, HW_CONFIG_ERROR, (gint)code);
}

#define CAM "[camera.w1]\nurl = rtsp://192.0.2.1/s\n"

static void test_example_loads(void)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HwConfig) c = hw_config_load(HW_CONFIG_EXAMPLE, &error);
  g_assert_no_error(error);
  g_assert_nonnull(c);
  g_assert_cmpstr(c->footage_dir, ==, "/var/lib/hallwatch/footage");
  g_assert_cmpstr(c->database_path, ==, "/var/lib/hallwatch/hallwatch.db");
  g_assert_cmpstr(c->recorder.footage_dir, ==, c->footage_dir);
  g_assert_cmpstr(c->http_host, ==, "127.0.0.1");
  g_assert_cmpint(c->http_port, ==, 8080);
  g_assert_cmpstr(c->log_level, ==, "info");
  g_assert_cmpint(c->recorder.file_span_ns, ==, 60 * HW_NS_PER_S);
  g_assert_cmpint(c->recorder.fragment_max_ns, ==, 2 * HW_NS_PER_S);
  g_assert_cmpint(c->recorder.stall_timeout_ns, ==, 10 * HW_NS_PER_S);
  g_assert_cmpint(c->recorder.clock_bound_ns, ==, 2 * HW_NS_PER_S);
  g_assert_cmpint(c->recorder.index_interval_ns, ==, 500 * HW_NS_PER_MS);
  g_assert_cmpint(c->recorder.backoff_min_ns, ==, 1 * HW_NS_PER_S);
  g_assert_cmpint(c->recorder.backoff_max_ns, ==, 30 * HW_NS_PER_S);
  g_assert_cmpint(c->recorder.backoff_reset_ns, ==, 60 * HW_NS_PER_S);
  g_assert_cmpint(c->recorder.retain_days, ==, 30);
  g_assert_cmpint(c->recorder.retain_bytes, ==, 0);
  g_assert_cmpint(c->recorder.min_free_bytes, ==, INT64_C(1) << 30);
  g_assert_cmpint(c->recorder.retention_interval_ns, ==, 10 * HW_NS_PER_S);

  g_assert_cmpuint(c->n_cameras, ==, 1);
  const HwCameraConfig *cam = c->cameras[0];
  g_assert_cmpstr(cam->id, ==, "window-01");
  g_assert_cmpstr(cam->name, ==, "Window 01");
  g_assert_cmpstr(cam->url, ==, "rtsp://192.0.2.10:554/Streaming/Channels/101");
  g_assert_cmpstr(cam->substream_url, ==, "rtsp://192.0.2.10:554/Streaming/Channels/102");
  g_assert_cmpstr(cam->username, ==, "admin");
  g_assert_cmpstr(cam->password, ==, "secret");
  g_assert_cmpstr(cam->source, ==, "config");
  g_assert_cmpint(cam->transport, ==, HW_TRANSPORT_TCP);
  g_assert_cmpint(cam->clock, ==, HW_CLOCK_LOCAL);
  g_assert_true(cam->enabled);
  g_assert_cmpint(cam->retain_days, ==, 0);
  g_assert_cmpint(cam->retain_bytes, ==, 0);
}

/* The example claims to show every default: loading it must equal loading nothing. */
static void test_example_shows_defaults(void)
{
  g_autoptr(HwConfig) ex = hw_config_load(HW_CONFIG_EXAMPLE, NULL);
  g_autoptr(HwConfig) def = hw_config_new_default();
  g_assert_nonnull(ex);
  HwRecorderOptions a = ex->recorder, b = def->recorder;
  a.footage_dir = b.footage_dir = NULL;
  g_assert_cmpmem(&a, sizeof a, &b, sizeof b);
  g_assert_cmpstr(ex->footage_dir, ==, def->footage_dir);
  g_assert_cmpstr(ex->database_path, ==, def->database_path);
  g_assert_cmpstr(ex->http_host, ==, def->http_host);
  g_assert_cmpint(ex->http_port, ==, def->http_port);
  g_assert_cmpstr(ex->log_level, ==, def->log_level);
  g_assert_cmpstr(ex->hall_timezone, ==, def->hall_timezone);
  g_assert_cmpmem(&ex->warning_rules, sizeof ex->warning_rules, &def->warning_rules,
                  sizeof def->warning_rules);
}

static void test_defaults_applied(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HwConfig) c = load_text(f, "# nothing but a camera\n" CAM, &error);
  g_assert_no_error(error);
  HwRecorderOptions want;
  hw_recorder_options_init(&want);
  want.footage_dir = c->recorder.footage_dir;
  g_assert_cmpmem(&c->recorder, sizeof want, &want, sizeof want);
  g_assert_cmpstr(c->footage_dir, ==, HW_CONFIG_DEFAULT_FOOTAGE);
  g_assert_cmpstr(c->database_path, ==, HW_CONFIG_DEFAULT_DATABASE);
  g_assert_cmpstr(c->http_host, ==, "127.0.0.1");
  g_assert_cmpint(c->http_port, ==, 8080);
  g_assert_cmpstr(c->log_level, ==, "info");
  g_assert_cmpuint(c->n_cameras, ==, 1);
  const HwCameraConfig *cam = c->cameras[0];
  g_assert_cmpstr(cam->id, ==, "w1");
  g_assert_cmpstr(cam->name, ==, "w1");
  g_assert_null(cam->substream_url);
  g_assert_null(cam->username);
  g_assert_null(cam->password);
  g_assert_cmpint(cam->transport, ==, HW_TRANSPORT_TCP);
  g_assert_cmpint(cam->clock, ==, HW_CLOCK_LOCAL);
  g_assert_true(cam->enabled);
  g_assert_cmpstr(cam->source, ==, "config");
  g_assert_nonnull(c->warnings);
  g_assert_null(c->warnings[0]);
}

static void test_empty_file(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HwConfig) c = load_text(f, "", &error);
  g_assert_no_error(error);
  g_assert_cmpuint(c->n_cameras, ==, 0);
}

static void test_values_override(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HwConfig) c = load_text(f,
                                    "[http]\nlisten = [::1]:9000\n"
                                    "[recording]\nfile_span = 5m\nindex_interval = 250ms\n"
                                    "[reconnect]\nbackoff_max = 1h\n"
                                    "[retention]\nbytes = 500G\nmin_free = 10M\ndays = 7\n"
                                    "[log]\nlevel = debug\n"
                                    "[camera.b]\nurl = rtsps://cam.example/x\ntransport = udp\n"
                                    "clock = camera\nenabled = false\nretain_bytes = 123\n"
                                    "[camera.a]\nurl = rtsp://[2001:db8::1]:554/x\n",
                                    &error);
  g_assert_no_error(error);
  g_assert_cmpstr(c->http_host, ==, "::1");
  g_assert_cmpint(c->http_port, ==, 9000);
  g_assert_cmpint(c->recorder.file_span_ns, ==, 300 * HW_NS_PER_S);
  g_assert_cmpint(c->recorder.index_interval_ns, ==, 250 * HW_NS_PER_MS);
  g_assert_cmpint(c->recorder.backoff_max_ns, ==, 3600 * HW_NS_PER_S);
  g_assert_cmpint(c->recorder.retain_bytes, ==, INT64_C(500) << 30);
  g_assert_cmpint(c->recorder.min_free_bytes, ==, INT64_C(10) << 20);
  g_assert_cmpint(c->recorder.retain_days, ==, 7);
  g_assert_cmpstr(c->log_level, ==, "debug");
  g_assert_cmpuint(c->n_cameras, ==, 2);
  /* file order, not sorted */
  g_assert_cmpstr(c->cameras[0]->id, ==, "b");
  g_assert_cmpint(c->cameras[0]->transport, ==, HW_TRANSPORT_UDP);
  g_assert_cmpint(c->cameras[0]->clock, ==, HW_CLOCK_CAMERA);
  g_assert_false(c->cameras[0]->enabled);
  g_assert_cmpint(c->cameras[0]->retain_bytes, ==, 123);
  g_assert_cmpstr(c->cameras[1]->id, ==, "a");
}

static void test_parse_duration(void)
{
  int64_t v = -1;
  g_assert_true(hw_config_parse_duration("500ms", &v));
  g_assert_cmpint(v, ==, 500 * HW_NS_PER_MS);
  g_assert_true(hw_config_parse_duration("0", &v));
  g_assert_cmpint(v, ==, 0);
  g_assert_true(hw_config_parse_duration("2h", &v));
  g_assert_cmpint(v, ==, 7200 * HW_NS_PER_S);
  v = 42;
  const char *bad[] = {"", "10", "s", "-1s", "1.5s", "10 s", "10sec", "1d", "99999999999999999999h",
                       "9999999999999h"};
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
    g_assert_false(hw_config_parse_duration(bad[i], &v));
  g_assert_cmpint(v, ==, 42);
}

static void test_parse_size(void)
{
  int64_t v = -1;
  g_assert_true(hw_config_parse_size("123", &v));
  g_assert_cmpint(v, ==, 123);
  g_assert_true(hw_config_parse_size("10M", &v));
  g_assert_cmpint(v, ==, INT64_C(10) << 20);
  g_assert_true(hw_config_parse_size("5GiB", &v));
  g_assert_cmpint(v, ==, INT64_C(5) << 30);
  g_assert_true(hw_config_parse_size("2tb", &v));
  g_assert_cmpint(v, ==, INT64_C(2) << 40);
  v = 42;
  const char *bad[] = {"", "G", "-1", "1.5G", "10 M", "10X", "9000000000T", "1GG"};
  for (size_t i = 0; i < G_N_ELEMENTS(bad); i++)
    g_assert_false(hw_config_parse_size(bad[i], &v));
  g_assert_cmpint(v, ==, 42);
}

static void test_error_transport(Fixture *f, gconstpointer data)
{
  assert_error(f, "[storage]\n\n[camera.window-01]\nurl = rtsp://192.0.2.10/x\ntransport = tpc\n",
               HW_CONFIG_ERROR_INVALID,
               "5: [camera.window-01] transport: expected tcp or udp, got 'tpc'");
}

static void test_error_clock(Fixture *f, gconstpointer data)
{
  assert_error(f, CAM "clock = gps\n", HW_CONFIG_ERROR_INVALID,
               "3: [camera.w1] clock: expected local or camera, got 'gps'");
}

static void test_error_unknown_key(Fixture *f, gconstpointer data)
{
  assert_error(f, "[recording]\nfile_span = 60s\nfile_spam = 30s\n", HW_CONFIG_ERROR_UNKNOWN,
               "3: [recording] file_spam: unknown key (known: file_span, fragment_max, "
               "stall_timeout, clock_bound, index_interval, capture)");
}

static void test_error_unknown_camera_key(Fixture *f, gconstpointer data)
{
  assert_error(f, CAM "pasword = x\n", HW_CONFIG_ERROR_UNKNOWN,
               "3: [camera.w1] pasword: unknown key (known: name, url, substream_url, username, "
               "password, transport, clock, enabled, retain_days, retain_bytes)");
}

static void test_error_locale_key(Fixture *f, gconstpointer data)
{
  assert_error(f, CAM "name[fr] = Guichet\n", HW_CONFIG_ERROR_UNKNOWN,
               "3: [camera.w1] name[fr]: unknown key");
}

static void test_error_unknown_section(Fixture *f, gconstpointer data)
{
  assert_error(f, "[storage]\n[recordng]\nfile_span = 1s\n", HW_CONFIG_ERROR_UNKNOWN,
               "2: [recordng]: unknown section (known: storage, http, log, recording, reconnect, "
               "retention, audit, auth, hall, warnings, exports, exchange, footage, camera.<id>)");
}

static void test_error_camera_id(Fixture *f, gconstpointer data)
{
  assert_error(f, "[camera.win dow]\nurl = rtsp://h/x\n", HW_CONFIG_ERROR_INVALID,
               "1: [camera.win dow]: camera id must be 1 to 63 characters of A-Z a-z 0-9 . _ -");
  assert_error(f, "\n[camera.]\nurl = rtsp://h/x\n", HW_CONFIG_ERROR_INVALID,
               "2: [camera.]: camera id must be 1 to 63 characters of A-Z a-z 0-9 . _ -");
  g_autofree char *long_id = g_strnfill(64, 'a');
  g_autofree char *text = g_strdup_printf("[camera.%s]\nurl = rtsp://h/x\n", long_id);
  g_autofree char *want =
    g_strdup_printf("1: [camera.%s]: camera id must be 1 to 63 characters of A-Z a-z 0-9 . _ -",
                    long_id);
  assert_error(f, text, HW_CONFIG_ERROR_INVALID, want);
}

static void test_error_url(Fixture *f, gconstpointer data)
{
  assert_error(f, "[camera.w1]\nurl = http://192.0.2.1/x\n", HW_CONFIG_ERROR_INVALID,
               "2: [camera.w1] url: expected an rtsp:// or rtsps:// URL, got 'http://192.0.2.1/x'");
  assert_error(f, CAM "substream_url = 192.0.2.1/y\n", HW_CONFIG_ERROR_INVALID,
               "3: [camera.w1] substream_url: expected an rtsp:// or rtsps:// URL, got "
               "'192.0.2.1/y'");
  assert_error(f, "[camera.w1]\nname = x\n", HW_CONFIG_ERROR_MISSING,
               "1: [camera.w1] url: missing; every camera needs an rtsp:// URL");
}

/* The message must not echo a URL that carries a password. */
static void test_error_url_credentials(Fixture *f, gconstpointer data)
{
  assert_error(f, "[camera.w1]\nurl = rtsp://admin:hunter2@192.0.2.1/x\n", HW_CONFIG_ERROR_INVALID,
               "2: [camera.w1] url: put credentials in username and password, not in the URL");
}

static void test_error_credentials_pair(Fixture *f, gconstpointer data)
{
  assert_error(f, CAM "username = admin\n", HW_CONFIG_ERROR_MISSING,
               "3: [camera.w1] username: username without password");
  assert_error(f, CAM "\npassword = s\n", HW_CONFIG_ERROR_MISSING,
               "4: [camera.w1] password: password without username");
}

static void test_error_duration(Fixture *f, gconstpointer data)
{
  assert_error(f, "[reconnect]\nbackoff_min = 10\n", HW_CONFIG_ERROR_INVALID,
               "2: [reconnect] backoff_min: expected a duration like 500ms, 10s, 5m or 1h, got '10'");
  assert_error(f, "[recording]\nstall_timeout = 0\n", HW_CONFIG_ERROR_INVALID,
               "2: [recording] stall_timeout: must be more than 0, got '0'");
  assert_error(f, "[recording]\nfragment_max = 2m\n", HW_CONFIG_ERROR_INVALID,
               "2: [recording] fragment_max: fragment_max must not be longer than file_span");
  assert_error(f, "[reconnect]\nbackoff_max = 500ms\n", HW_CONFIG_ERROR_INVALID,
               "2: [reconnect] backoff_max: backoff_min must not be longer than backoff_max");
}

static void test_error_size(Fixture *f, gconstpointer data)
{
  assert_error(f, "[retention]\nmin_free = 5 GB\n", HW_CONFIG_ERROR_INVALID,
               "2: [retention] min_free: expected a size like 500G, 10M or a number of bytes, got "
               "'5 GB'");
  assert_error(f, "[retention]\ndays = -1\n", HW_CONFIG_ERROR_INVALID,
               "2: [retention] days: expected a number of days from 0 to 36500, got '-1'");
  assert_error(f, CAM "enabled = maybe\n", HW_CONFIG_ERROR_INVALID,
               "3: [camera.w1] enabled: expected true or false, got 'maybe'");
}

static void test_error_listen(Fixture *f, gconstpointer data)
{
  assert_error(f, "[http]\nlisten = 0.0.0.0:8080\n", HW_CONFIG_ERROR_INVALID,
               "2: [http] listen: listen beyond loopback needs tls_cert and tls_key (browsers drop "
               "Secure cookies on plain HTTP), got '0.0.0.0:8080'");
  assert_error(f, "[http]\nlisten = [2001:db8::1]:8080\n", HW_CONFIG_ERROR_INVALID,
               "2: [http] listen: listen beyond loopback needs tls_cert and tls_key (browsers drop "
               "Secure cookies on plain HTTP), got '[2001:db8::1]:8080'");
  assert_error(f, "[http]\nlisten = 127.0.0.1:70000\n", HW_CONFIG_ERROR_INVALID,
               "2: [http] listen: port must be a number from 1 to 65535, got '70000'");
  assert_error(f, "[http]\nlisten = 127.0.0.1:0\n", HW_CONFIG_ERROR_INVALID,
               "2: [http] listen: port must be a number from 1 to 65535, got '0'");
  assert_error(f, "[http]\nlisten = 8080\n", HW_CONFIG_ERROR_INVALID,
               "2: [http] listen: expected host:port like 127.0.0.1:8080 or [::1]:8080, got '8080'");
  assert_error(f, "[http]\nlisten = ::1:8080\n", HW_CONFIG_ERROR_INVALID,
               "2: [http] listen: expected host:port like 127.0.0.1:8080 or [::1]:8080, got "
               "'::1:8080'");
  assert_error(f, "[http]\nlisten = hallwatch.local:8080\n", HW_CONFIG_ERROR_INVALID,
               "2: [http] listen: host must be an IP address (or localhost), got "
               "'hallwatch.local'");

  g_autoptr(HwConfig) c = load_text(f, "[http]\nlisten = localhost:81\n", NULL);
  g_assert_nonnull(c);
  g_assert_cmpstr(c->http_host, ==, "127.0.0.1");
  g_assert_cmpint(c->http_port, ==, 81);
}

static void test_error_storage(Fixture *f, gconstpointer data)
{
  assert_error(f, "[storage]\nfootage = footage\n", HW_CONFIG_ERROR_INVALID,
               "2: [storage] footage: expected an absolute path, got 'footage'");
  assert_error(f, "[log]\nlevel = verbose\n", HW_CONFIG_ERROR_INVALID,
               "2: [log] level: expected error, warning, info or debug, got 'verbose'");
}

/* GKeyFile would merge these silently; the scan must refuse them. */
static void test_duplicate_section(Fixture *f, gconstpointer data)
{
  assert_error(f, CAM "[storage]\n" CAM, HW_CONFIG_ERROR_DUPLICATE,
               "4: [camera.w1]: section given twice (first on line 1)");
}

static void test_duplicate_key(Fixture *f, gconstpointer data)
{
  assert_error(f, CAM "transport = udp\nurl = rtsp://192.0.2.2/s\n", HW_CONFIG_ERROR_DUPLICATE,
               "4: [camera.w1] url: key given twice (first on line 2)");
  /* "url=" and "url  =" are the same key to GKeyFile */
  assert_error(f, "[storage]\nfootage=/a\n  footage  = /b\n", HW_CONFIG_ERROR_DUPLICATE,
               "3: [storage] footage: key given twice (first on line 2)");
}

static void test_error_syntax(Fixture *f, gconstpointer data)
{
  assert_error(f, "footage = /x\n[storage]\n", HW_CONFIG_ERROR_SYNTAX,
               "1: key before the first [section]");
  assert_error(f, "[storage]\nthis is not a pair\n", HW_CONFIG_ERROR_SYNTAX,
               "2: expected key = value, a [section] or a # comment");
  assert_error(f, "[storage]\n= /x\n", HW_CONFIG_ERROR_SYNTAX,
               "2: expected key = value, a [section] or a # comment");
  assert_error(f, "[camera.w1]   # window one\nurl = rtsp://h/x\n", HW_CONFIG_ERROR_SYNTAX,
               "1: expected a section header like [storage], alone on its line (comments go on "
               "their own line)");
  assert_error(f, "[storage\n", HW_CONFIG_ERROR_SYNTAX,
               "1: expected a section header like [storage], alone on its line (comments go on "
               "their own line)");
  assert_error(f, "[storage]\r\nfootage = /x\r\n\xff\n", HW_CONFIG_ERROR_SYNTAX,
               "3: not valid UTF-8");
  assert_error(f, CAM "name = bad \\q escape\n", HW_CONFIG_ERROR_INVALID,
               "3: [camera.w1] name: invalid escape sequence (write \\\\ for a backslash)");
  assert_error(f, CAM "username = u\npassword = trailing\\\n", HW_CONFIG_ERROR_INVALID,
               "4: [camera.w1] password: invalid escape sequence (write \\\\ for a backslash)");
}

static void test_missing_file(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HwConfig) c = hw_config_load(f->path, &error);
  g_assert_null(c);
  g_assert_error(error, HW_CONFIG_ERROR, HW_CONFIG_ERROR_READ);
  g_assert_true(g_str_has_prefix(error->message, f->path));
}

static void test_world_readable_password_warns(Fixture *f, gconstpointer data)
{
  g_autoptr(HwConfig) c = load_text(f, CAM "username = u\npassword = p\n", NULL);
  g_assert_nonnull(c);
  g_assert_cmpint(g_chmod(f->path, 0644), ==, 0);
  g_clear_pointer(&c, hw_config_free);
  c = hw_config_load(f->path, NULL);
  g_assert_nonnull(c->warnings[0]);
  g_assert_nonnull(strstr(c->warnings[0], "chmod o-r"));
  g_assert_null(strstr(c->warnings[0], "p\n"));
  g_assert_cmpint(g_chmod(f->path, 0640), ==, 0);
  g_clear_pointer(&c, hw_config_free);
  c = hw_config_load(f->path, NULL);
  g_assert_null(c->warnings[0]);
}

/* [audit] sign_interval: 5m by default (and in the example), overridable, bounded 10s..24h. */
static void test_audit_sign_interval(Fixture *f, gconstpointer data)
{
  g_autoptr(HwConfig) def = hw_config_new_default();
  g_assert_cmpint(def->audit_sign_interval_ns, ==, 5 * 60 * HW_NS_PER_S);
  g_autoptr(HwConfig) ex = hw_config_load(HW_CONFIG_EXAMPLE, NULL);
  g_assert_nonnull(ex);
  g_assert_cmpint(ex->audit_sign_interval_ns, ==, def->audit_sign_interval_ns);
  g_autoptr(GError) error = NULL;
  g_autoptr(HwConfig) c = load_text(f, "[audit]\nsign_interval = 30s\n", &error);
  g_assert_no_error(error);
  g_assert_cmpint(c->audit_sign_interval_ns, ==, 30 * HW_NS_PER_S);
  assert_error(f, "[audit]\nsign_interval = 5s\n", HW_CONFIG_ERROR_INVALID,
               "2: [audit] sign_interval: must be between 10s and 24h");
  assert_error(f, "[audit]\nsign_interval = 25h\n", HW_CONFIG_ERROR_INVALID,
               "2: [audit] sign_interval: must be between 10s and 24h");
  assert_error(f, "[audit]\nsign_interval = often\n", HW_CONFIG_ERROR_INVALID,
               "2: [audit] sign_interval: expected a duration like 500ms, 10s, 5m or 1h, got "
               "'often'");
  assert_error(f, "[audit]\nsigning = 5m\n", HW_CONFIG_ERROR_UNKNOWN,
               "2: [audit] signing: unknown key (known: sign_interval)");
}

/* [footage] pre_roll / post_roll and their per-stage-type variants: 30 s / 120 s when absent;
 * a stage type's roll not given is the section's default; errors name the file and line. */
/* [exports] verify_max_bytes: 4 GiB unless set, a size within 1M..1T. */
static void test_exports(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HwConfig) none = load_text(f, "[storage]\n", &error);
  g_assert_no_error(error);
  g_assert_cmpint(none->exports_verify_max_bytes, ==, INT64_C(4) << 30);
  g_autoptr(HwConfig) c = load_text(f, "[exports]\nverify_max_bytes = 30M\n", &error);
  g_assert_no_error(error);
  g_assert_cmpint(c->exports_verify_max_bytes, ==, 30 << 20);
  assert_error(f, "[exports]\nverify_max_bytes = 1000\n", HW_CONFIG_ERROR_INVALID,
               "2: [exports] verify_max_bytes: must be between 1M and 1T");
  assert_error(f, "[exports]\nverify_max = 1G\n", HW_CONFIG_ERROR_UNKNOWN,
               "2: [exports] verify_max: unknown key (known: verify_max_bytes)");
}

static void test_footage(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HwConfig) none = load_text(f, "[storage]\n", &error);
  g_assert_no_error(error);
  g_assert_cmpint(none->footage_rolls.pre_ns, ==, 30 * HW_NS_PER_S);
  g_assert_cmpint(none->footage_rolls.post_ns, ==, 120 * HW_NS_PER_S);
  g_assert_cmpuint(none->footage_rolls.n, ==, 0);
  g_autoptr(HwConfig) c = load_text(f,
                                    "[footage]\npost_roll.completed = 5m\npre_roll = 10s\n"
                                    "pre_roll.ticket_called = 0s\npost_roll.ticket_called = 1m\n",
                                    &error);
  g_assert_no_error(error);
  const HwFootageRolls *r = &c->footage_rolls;
  g_assert_cmpint(r->pre_ns, ==, 10 * HW_NS_PER_S);
  g_assert_cmpint(r->post_ns, ==, 120 * HW_NS_PER_S);
  g_assert_cmpuint(r->n, ==, 2);
  g_assert_cmpstr(r->stages[0].stage, ==, "completed");
  g_assert_cmpint(r->stages[0].pre_ns, ==, 10 * HW_NS_PER_S); /* the section's default */
  g_assert_cmpint(r->stages[0].post_ns, ==, 300 * HW_NS_PER_S);
  g_assert_cmpstr(r->stages[1].stage, ==, "ticket_called");
  g_assert_cmpint(r->stages[1].pre_ns, ==, 0);
  g_assert_cmpint(r->stages[1].post_ns, ==, 60 * HW_NS_PER_S);
  assert_error(f, "[footage]\npre_roll = 2h\n", HW_CONFIG_ERROR_INVALID,
               "2: [footage] pre_roll: expected a duration from 0s to 1h such as 30s or 2m, got "
               "'2h'");
  assert_error(f, "[footage]\n\npost_roll.accepted = soon\n", HW_CONFIG_ERROR_INVALID,
               "3: [footage] post_roll.accepted: expected a duration from 0s to 1h such as 30s or "
               "2m, got 'soon'");
  assert_error(f, "[footage]\npre_roll.acepted = 1s\n", HW_CONFIG_ERROR_UNKNOWN,
               "2: [footage] pre_roll.acepted: unknown key (known: pre_roll, post_roll, "
               "pre_roll.<stage type>, post_roll.<stage type>, the stage types of the exchange "
               "API such as ticket_called or accepted)");
  assert_error(f, "[footage]\npreroll = 1s\n", HW_CONFIG_ERROR_UNKNOWN,
               "2: [footage] preroll: unknown key (known: pre_roll, post_roll, "
               "pre_roll.<stage type>, post_roll.<stage type>, the stage types of the exchange "
               "API such as ticket_called or accepted)");
}

/* [exchange] clock_offset.<department>: signed durations within 24h, one key per department. */
static void test_exchange(Fixture *f, gconstpointer data)
{
  g_autoptr(GError) error = NULL;
  g_autoptr(HwConfig) c = load_text(f,
                                    "[exchange]\nclock_offset.440303-MZJ = -2s\n"
                                    "clock_offset.GA = +1500ms\nclock_offset.x.y_z = 0\n",
                                    &error);
  g_assert_no_error(error);
  g_assert_cmpuint(c->n_exchange_clocks, ==, 3);
  int64_t want[] = {-2 * HW_NS_PER_S, 1500 * HW_NS_PER_MS, 0};
  const char *depts[] = {"440303-MZJ", "GA", "x.y_z"};
  for (size_t i = 0; i < 3; i++) {
    g_assert_cmpstr(c->exchange_departments[i], ==, depts[i]);
    g_assert_cmpint(c->exchange_clock_offsets_ns[i], ==, want[i]);
  }
  g_assert_null(c->exchange_departments[3]);
  g_autoptr(HwConfig) none = load_text(f, "", NULL);
  g_assert_cmpuint(none->n_exchange_clocks, ==, 0);
  assert_error(f, "[exchange]\nclock_offset.GA = 25h\n", HW_CONFIG_ERROR_INVALID,
               "2: [exchange] clock_offset.GA: expected a signed duration within 24h such as -2s "
               "or +1500ms, got '25h'");
  assert_error(f, "[exchange]\nclock_offset.GA = -2\n", HW_CONFIG_ERROR_INVALID,
               "2: [exchange] clock_offset.GA: expected a signed duration within 24h such as -2s "
               "or +1500ms, got '-2'");
  assert_error(f, "[exchange]\nclock_ofset.GA = 1s\n", HW_CONFIG_ERROR_UNKNOWN,
               "2: [exchange] clock_ofset.GA: unknown key (known: clock_offset.<department code>, "
               "the code 1 to 63 characters of A-Z a-z 0-9 . _ -)");
  assert_error(f, "[exchange]\nclock_offset.G A = 1s\n", HW_CONFIG_ERROR_UNKNOWN,
               "2: [exchange] clock_offset.G A: unknown key (known: clock_offset.<department "
               "code>, the code 1 to 63 characters of A-Z a-z 0-9 . _ -)");
}

/* [http] tls_cert/tls_key: both or neither, absolute, readable; with them any listen address.
 * Whether the files hold PEM is the server's check (tests/web/test_tls.c). */
static void test_tls(Fixture *f, gconstpointer data)
{
  g_autofree char *cert = g_build_filename(f->dir, "cert.pem", NULL);
  g_autofree char *key = g_build_filename(f->dir, "key.pem", NULL);
  g_assert_true(g_file_set_contents(cert, "cert", -1, NULL));
  g_assert_true(g_file_set_contents(key, "key", -1, NULL));
  g_chmod(key, 0600);

  g_autoptr(HwConfig) def = hw_config_new_default();
  g_assert_null(def->http_tls_cert);
  g_assert_null(def->http_tls_key);
  g_autoptr(HwConfig) ex = hw_config_load(HW_CONFIG_EXAMPLE, NULL);
  g_assert_null(ex->http_tls_cert); /* the example shows the keys commented out */

  g_autofree char *both = g_strdup_printf("[http]\nlisten = 0.0.0.0:8443\ntls_cert = %s\n"
                                          "tls_key = %s\n", cert, key);
  g_autoptr(HwConfig) c = load_text(f, both, NULL);
  g_assert_nonnull(c);
  g_assert_cmpstr(c->http_tls_cert, ==, cert);
  g_assert_cmpstr(c->http_tls_key, ==, key);
  g_assert_cmpstr(c->http_host, ==, "0.0.0.0");
  g_assert_cmpint(c->http_port, ==, 8443);
  g_assert_null(c->warnings[0]);

  g_autofree char *v6 = g_strdup_printf("[http]\nlisten = [2001:db8::1]:443\ntls_cert = %s\n"
                                        "tls_key = %s\n", cert, key);
  g_autoptr(HwConfig) c6 = load_text(f, v6, NULL);
  g_assert_nonnull(c6);
  g_assert_cmpstr(c6->http_host, ==, "2001:db8::1");

  g_autofree char *only_cert = g_strdup_printf("[http]\ntls_cert = %s\n", cert);
  assert_error(f, only_cert, HW_CONFIG_ERROR_MISSING,
               "1: [http] tls_key: tls_cert and tls_key go together: give both or neither");
  g_autofree char *only_key = g_strdup_printf("[http]\ntls_key = %s\n", key);
  assert_error(f, only_key, HW_CONFIG_ERROR_MISSING,
               "1: [http] tls_cert: tls_cert and tls_key go together: give both or neither");
  assert_error(f, "[http]\ntls_cert = cert.pem\ntls_key = key.pem\n", HW_CONFIG_ERROR_INVALID,
               "2: [http] tls_cert: expected an absolute path, got 'cert.pem'");
  g_autofree char *gone = g_strdup_printf("[http]\ntls_cert = %s\ntls_key = %s/nokey.pem\n", cert,
                                          f->dir);
  g_autofree char *gone_msg = g_strdup_printf("3: [http] tls_key: %s/nokey.pem: no such file", f->dir);
  assert_error(f, gone, HW_CONFIG_ERROR_INVALID, gone_msg);

  /* A key every user may read still loads, with a warning. */
  g_chmod(key, 0644);
  g_autoptr(HwConfig) loose = load_text(f, both, NULL);
  g_assert_nonnull(loose);
  g_assert_nonnull(loose->warnings[0]);
  g_assert_nonnull(strstr(loose->warnings[0], "TLS private key is readable by every user"));
  g_unlink(cert);
  g_unlink(key);
}

/* [http] www_dir: the web interface's folder, an absolute path; unset means the daemon's own
 * default (daemon/main.c), which the example shows commented out. */
static void test_www_dir(Fixture *f, gconstpointer data)
{
  g_autoptr(HwConfig) def = hw_config_new_default();
  g_assert_null(def->http_www_dir);
  g_autoptr(HwConfig) ex = hw_config_load(HW_CONFIG_EXAMPLE, NULL);
  g_assert_nonnull(ex);
  g_assert_null(ex->http_www_dir);
  g_autoptr(HwConfig) c = load_text(f, "[http]\nwww_dir = /usr/share/hallwatch/www\n", NULL);
  g_assert_nonnull(c);
  g_assert_cmpstr(c->http_www_dir, ==, "/usr/share/hallwatch/www");
  assert_error(f, "[http]\nwww_dir = www\n", HW_CONFIG_ERROR_INVALID,
               "2: [http] www_dir: expected an absolute path, got 'www'");
}

static void test_auth(Fixture *f, gconstpointer data)
{
  g_autoptr(HwConfig) def = hw_config_new_default();
  g_assert_cmpint(def->auth_session_idle_ns, ==, 30 * 60 * HW_NS_PER_S);
  g_assert_cmpint(def->auth_session_max_ns, ==, 12 * 3600 * HW_NS_PER_S);
  g_assert_cmpint(def->auth_lockout_after, ==, 5);
  g_assert_cmpint(def->auth_lockout_for_ns, ==, 15 * 60 * HW_NS_PER_S);
  g_autoptr(HwConfig) ex = hw_config_load(HW_CONFIG_EXAMPLE, NULL);
  g_assert_nonnull(ex);
  g_assert_cmpint(ex->auth_session_idle_ns, ==, def->auth_session_idle_ns);
  g_assert_cmpint(ex->auth_session_max_ns, ==, def->auth_session_max_ns);
  g_assert_cmpint(ex->auth_lockout_after, ==, def->auth_lockout_after);
  g_assert_cmpint(ex->auth_lockout_for_ns, ==, def->auth_lockout_for_ns);

  g_autoptr(GError) error = NULL;
  g_autoptr(HwConfig) c = load_text(
    f, "[auth]\nsession_idle = 2s\nsession_max = 1h\nlockout_after = 3\nlockout_for = 1m\n", &error);
  g_assert_no_error(error);
  g_assert_cmpint(c->auth_session_idle_ns, ==, 2 * HW_NS_PER_S);
  g_assert_cmpint(c->auth_session_max_ns, ==, 3600 * HW_NS_PER_S);
  g_assert_cmpint(c->auth_lockout_after, ==, 3);
  g_assert_cmpint(c->auth_lockout_for_ns, ==, 60 * HW_NS_PER_S);

  assert_error(f, "[auth]\nsession_idle = 500ms\n", HW_CONFIG_ERROR_INVALID,
               "2: [auth] session_idle: must be at least 1s");
  assert_error(f, "[auth]\nsession_idle = 2h\nsession_max = 1h\n", HW_CONFIG_ERROR_INVALID,
               "2: [auth] session_idle: session_idle must not be longer than session_max");
  assert_error(f, "[auth]\nsession_max = 200h\n", HW_CONFIG_ERROR_INVALID,
               "2: [auth] session_max: must be at most 168h");
  assert_error(f, "[auth]\nlockout_after = 0\n", HW_CONFIG_ERROR_INVALID,
               "2: [auth] lockout_after: expected a number of failed sign-ins from 1 to 100, got '0'");
  assert_error(f, "[auth]\nlockout_for = soon\n", HW_CONFIG_ERROR_INVALID,
               "2: [auth] lockout_for: expected a duration like 500ms, 10s, 5m or 1h, got 'soon'");
  assert_error(f, "[auth]\npassword = x\n", HW_CONFIG_ERROR_UNKNOWN,
               "2: [auth] password: unknown key (known: session_idle, session_max, lockout_after, "
               "lockout_for)");
}

/* [hall] timezone: the default, a valid zone, and names tzdata does not know. */
static void test_hall_timezone(Fixture *f, gconstpointer data)
{
  g_autoptr(HwConfig) def = hw_config_new_default();
  g_assert_cmpstr(def->hall_timezone, ==, "Asia/Shanghai");
  g_autoptr(GError) error = NULL;
  g_autoptr(HwConfig) c = load_text(f, "[hall]\ntimezone = Asia/Urumqi\n", &error);
  g_assert_no_error(error);
  g_assert_cmpstr(c->hall_timezone, ==, "Asia/Urumqi");
  assert_error(f, "[hall]\ntimezone = Asia/Beijing\n", HW_CONFIG_ERROR_INVALID,
               "2: [hall] timezone: expected an IANA time zone name such as Asia/Shanghai, got "
               "'Asia/Beijing'");
  assert_error(f, "[hall]\ncode = A\n", HW_CONFIG_ERROR_UNKNOWN,
               "2: [hall] code: unknown key (known: timezone)");
}

/* [warnings]: defaults, each kind of value, and errors naming file, line, section and key. */
static void test_warnings(Fixture *f, gconstpointer data)
{
  g_autoptr(HwConfig) def = hw_config_new_default();
  g_assert_true(def->warning_rules.promised_near && def->warning_rules.complaint);
  g_assert_cmpfloat_with_epsilon(def->warning_rules.near_share, 2.0 / 3, 1e-12);
  g_assert_cmpint(def->warning_rules.near_days, ==, 1);
  g_assert_cmpint(def->warning_rules.hold_pre_ns, ==, 30 * HW_NS_PER_S);
  g_assert_cmpint(def->warning_rules.hold_post_ns, ==, 120 * HW_NS_PER_S);
  g_autoptr(GError) error = NULL;
  g_autoptr(HwConfig) c =
    load_text(f,
              "[warnings]\nstage_long = false\nnear_share = 0.75\nnear_days = 2\n"
              "stage_long_days = 8\nhold_pre = 1m\nhold_post = 5m\n",
              &error);
  g_assert_no_error(error);
  g_assert_false(c->warning_rules.stage_long);
  g_assert_true(c->warning_rules.stage_order);
  g_assert_cmpfloat(c->warning_rules.near_share, ==, 0.75);
  g_assert_cmpint(c->warning_rules.near_days, ==, 2);
  g_assert_cmpint(c->warning_rules.stage_long_days, ==, 8);
  g_assert_cmpint(c->warning_rules.hold_pre_ns, ==, 60 * HW_NS_PER_S);
  g_assert_cmpint(c->warning_rules.hold_post_ns, ==, 300 * HW_NS_PER_S);
  g_autoptr(HwConfig) c2 = load_text(f, "[warnings]\nnear_share = 3/4\n", &error);
  g_assert_no_error(error);
  g_assert_cmpfloat(c2->warning_rules.near_share, ==, 0.75);
  assert_error(f, "[warnings]\nnear_share = 1\n", HW_CONFIG_ERROR_INVALID,
               "2: [warnings] near_share: expected a share of the limit between 0 and 1 such as "
               "2/3 or 0.75, got '1'");
  assert_error(f, "[warnings]\nnear_share = 2/0\n", HW_CONFIG_ERROR_INVALID,
               "2: [warnings] near_share: expected a share of the limit between 0 and 1 such as "
               "2/3 or 0.75, got '2/0'");
  assert_error(f, "[warnings]\n\nstage_order = maybe\n", HW_CONFIG_ERROR_INVALID,
               "3: [warnings] stage_order: expected true or false, got 'maybe'");
  assert_error(f, "[warnings]\nnear_days = -1\n", HW_CONFIG_ERROR_INVALID,
               "2: [warnings] near_days: expected a number of working days from 0 to 365, got "
               "'-1'");
  assert_error(f, "[warnings]\nstage_long_days = 0\n", HW_CONFIG_ERROR_INVALID,
               "2: [warnings] stage_long_days: expected a number of working days from 1 to 365, "
               "got '0'");
  assert_error(f, "[warnings]\nhold_post = 2h\n", HW_CONFIG_ERROR_INVALID,
               "2: [warnings] hold_post: must be at most 1h");
  assert_error(f, "[warnings]\nred = true\n", HW_CONFIG_ERROR_UNKNOWN,
               "2: [warnings] red: unknown key (known: promised_near, promised_late, "
               "statutory_late, stage_order, fee_above_standard, rejection_without_reason, "
               "stage_long, complaint, near_share, near_days, stage_long_days, hold_pre, "
               "hold_post)");
}

/* The interface's settings go through the file's parsers: same limits, messages naming the key,
 * and every editable key written back as the file would hold it (and read back the same). */
static void test_settings(void)
{
  g_autoptr(HwConfig) c = hw_config_new_default();
  const char *names[] = {"warnings.fee_above_standard", "warnings.near_share", "retention.days",
                         "retention.min_free", "warnings.hold_pre"};
  const char *values[] = {"false", "3/4", "7", "2G", "90s"};
  g_autoptr(GError) error = NULL;
  g_assert_true(hw_config_overlay(c, "settings", names, values, 5, &error));
  g_assert_no_error(error);
  g_assert_false(c->warning_rules.fee_above_standard);
  g_assert_cmpfloat(c->warning_rules.near_share, ==, 0.75);
  g_assert_cmpint(c->recorder.retain_days, ==, 7);
  g_assert_cmpint(c->recorder.min_free_bytes, ==, INT64_C(2) << 30);
  const char *want[] = {"false", "3/4", "7", "2G", "90s"};
  for (size_t i = 0; i < G_N_ELEMENTS(names); i++) {
    g_autofree char *v = hw_config_setting_format(c, names[i]);
    g_assert_cmpstr(v, ==, want[i]);
  }
  /* every key's default survives format → overlay unchanged */
  g_autoptr(HwConfig) def = hw_config_new_default();
  size_t n = 0;
  const HwConfigSetting *all = hw_config_settings(&n);
  g_assert_cmpuint(n, ==, 16);
  for (size_t i = 0; i < n; i++) {
    g_autofree char *v = hw_config_setting_format(def, all[i].name);
    const char *nm = all[i].name, *vv = v;
    g_autoptr(HwConfig) back = hw_config_new_default();
    g_assert_true(hw_config_overlay(back, "settings", &nm, &vv, 1, NULL));
    g_autofree char *again = hw_config_setting_format(back, all[i].name);
    g_assert_cmpstr(again, ==, v);
  }
  const char *bad_n[] = {"warnings.near_days"}, *bad_v[] = {"400"};
  g_assert_false(hw_config_overlay(c, "settings", bad_n, bad_v, 1, &error));
  g_assert_error(error, HW_CONFIG_ERROR, HW_CONFIG_ERROR_INVALID);
  g_assert_cmpstr(error->message, ==,
                  "settings: [warnings] near_days: expected a number of working days from 0 to "
                  "365, got '400'");
  g_clear_error(&error);
  const char *other_n[] = {"http.listen"}, *other_v[] = {"0.0.0.0:80"};
  g_assert_false(hw_config_overlay(c, "settings", other_n, other_v, 1, &error));
  g_assert_error(error, HW_CONFIG_ERROR, HW_CONFIG_ERROR_UNKNOWN);
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define FT(name, fn) g_test_add("/daemon/config/" name, Fixture, NULL, fixture_setup, fn, fixture_teardown)
  g_test_add_func("/daemon/config/example_loads", test_example_loads);
  g_test_add_func("/daemon/config/example_shows_defaults", test_example_shows_defaults);
  g_test_add_func("/daemon/config/parse_duration", test_parse_duration);
  g_test_add_func("/daemon/config/parse_size", test_parse_size);
  g_test_add_func("/daemon/config/settings", test_settings);
  FT("defaults_applied", test_defaults_applied);
  FT("empty_file", test_empty_file);
  FT("values_override", test_values_override);
  FT("error_transport", test_error_transport);
  FT("error_clock", test_error_clock);
  FT("error_unknown_key", test_error_unknown_key);
  FT("error_unknown_camera_key", test_error_unknown_camera_key);
  FT("error_locale_key", test_error_locale_key);
  FT("error_unknown_section", test_error_unknown_section);
  FT("error_camera_id", test_error_camera_id);
  FT("error_url", test_error_url);
  FT("error_url_credentials", test_error_url_credentials);
  FT("error_credentials_pair", test_error_credentials_pair);
  FT("error_duration", test_error_duration);
  FT("error_size", test_error_size);
  FT("error_listen", test_error_listen);
  FT("error_storage", test_error_storage);
  FT("duplicate_section", test_duplicate_section);
  FT("duplicate_key", test_duplicate_key);
  FT("error_syntax", test_error_syntax);
  FT("missing_file", test_missing_file);
  FT("world_readable_password_warns", test_world_readable_password_warns);
  FT("audit_sign_interval", test_audit_sign_interval);
  FT("auth", test_auth);
  FT("tls", test_tls);
  FT("hall_timezone", test_hall_timezone);
  FT("exchange", test_exchange);
  FT("footage", test_footage);
  FT("exports", test_exports);
  FT("www_dir", test_www_dir);
  FT("warnings", test_warnings);
  return g_test_run();
}
