/* Loading hallwatch.conf: a line scan of our own (GKeyFile reports no line numbers and merges
 * duplicate sections and keys silently), then GKeyFile for the values, then validation of each
 * key against the fixed schema below. Unknown sections and keys are errors, never ignored. */
#include "daemon/hw_config.h"
#include "cases/hw_exchange.h"

#include <errno.h>
#include <math.h>
#include <gio/gio.h>
#include <glib/gstdio.h>
#include <stdarg.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

G_DEFINE_QUARK(hw-config-error-quark, hw_config_error)

#define CAMERA_PREFIX "camera."
#define CAMERA_ID_MAX 63
#define RETAIN_DAYS_MAX 36500 /* a hundred years; anything above is a typo */

/* The schema: every section and the keys it accepts. Camera sections are "camera.<id>". */
static const char *const storage_keys[] = {"footage", "database", NULL};
static const char *const http_keys[] = {"listen", "tls_cert", "tls_key", "www_dir", NULL};
static const char *const log_keys[] = {"level", NULL};
static const char *const auth_keys[] = {"session_idle", "session_max", "lockout_after", "lockout_for",
                                        NULL};
static const char *const audit_keys[] = {"sign_interval", NULL};
static const char *const hall_keys[] = {"timezone", NULL};
static const char *const warnings_keys[] = {
  "promised_near", "promised_late", "statutory_late", "stage_order", "fee_above_standard",
  "rejection_without_reason", "stage_long", "complaint", "near_share", "near_days",
  "stage_long_days", "hold_pre", "hold_post", NULL};
static const char *const recording_keys[] = {"file_span",   "fragment_max",   "stall_timeout",
                                             "clock_bound", "index_interval", "capture", NULL};
static const char *const reconnect_keys[] = {"backoff_min", "backoff_max", "backoff_reset", NULL};
static const char *const exports_keys[] = {"verify_max_bytes", NULL};
static const char *const retention_keys[] = {"days", "bytes", "min_free", "interval", NULL};
static const char *const camera_keys[] = {"name",    "url",     "substream_url", "username",
                                          "password", "transport", "clock",       "enabled",
                                          "retain_days", "retain_bytes", NULL};

static const struct {
  const char *name;
  const char *const *keys;
} fixed_sections[] = {
  {"storage", storage_keys},     {"http", http_keys},           {"log", log_keys},
  {"recording", recording_keys}, {"reconnect", reconnect_keys}, {"retention", retention_keys},
  {"audit", audit_keys},         {"auth", auth_keys},           {"hall", hall_keys},
  {"warnings", warnings_keys},   {"exports", exports_keys},
};

/* [exchange]: only "clock_offset.<department>" keys (any department code). */
#define CLOCK_OFFSET_PREFIX "clock_offset."
/* [footage]: the longest pre- or post-roll (an export covers at most one hour). */
#define FOOTAGE_ROLL_MAX (INT64_C(3600) * HW_NS_PER_S)
#define CLOCK_OFFSET_MAX (INT64_C(24) * 3600 * HW_NS_PER_S)

static const char *const log_levels[] = {"error", "warning", "info", "debug", NULL};

/* What the line scan learnt: where each section and key is, and the sections in file order. */
typedef struct {
  const char *path;
  GKeyFile *kf;
  GHashTable *section_lines; /* name → line */
  GHashTable *key_lines;     /* "section\nkey" → line (a newline cannot occur in either) */
  GPtrArray *sections;       /* names, file order, owned */
} Scan;

static void scan_clear(Scan *s)
{
  g_clear_pointer(&s->kf, g_key_file_unref);
  g_clear_pointer(&s->section_lines, g_hash_table_unref);
  g_clear_pointer(&s->key_lines, g_hash_table_unref);
  g_clear_pointer(&s->sections, g_ptr_array_unref);
}
G_DEFINE_AUTO_CLEANUP_CLEAR_FUNC(Scan, scan_clear)

static int scan_section_line(const Scan *s, const char *section)
{
  return GPOINTER_TO_INT(g_hash_table_lookup(s->section_lines, section));
}

static int scan_key_line(const Scan *s, const char *section, const char *key)
{
  g_autofree char *k = g_strconcat(section, "\n", key, NULL);
  return GPOINTER_TO_INT(g_hash_table_lookup(s->key_lines, k));
}

/* Sets error to "<path>:<line>: [<section>] <key>: <message>"; the line is the key's if it is
 * in the file, else the section's, else left out. Returns FALSE so callers can `return fail(…)`. */
static gboolean G_GNUC_PRINTF(6, 7) fail(const Scan *s, GError **error, HwConfigError code,
                                          const char *section, const char *key, const char *fmt, ...)
{
  va_list ap;
  va_start(ap, fmt);
  g_autofree char *msg = g_strdup_vprintf(fmt, ap);
  va_end(ap);

  int line = 0;
  if (section && key)
    line = scan_key_line(s, section, key);
  if (section && line == 0)
    line = scan_section_line(s, section);

  g_autoptr(GString) out = g_string_new(s->path);
  if (line > 0)
    g_string_append_printf(out, ":%d", line);
  g_string_append(out, ": ");
  if (section) {
    g_string_append_printf(out, "[%s]", section);
    g_string_append(out, key ? " " : ": ");
  }
  if (key)
    g_string_append_printf(out, "%s: ", key);
  g_string_append(out, msg);
  g_set_error_literal(error, HW_CONFIG_ERROR, code, out->str);
  return FALSE;
}

static gboolean fail_line(const Scan *s, GError **error, HwConfigError code, int line,
                          const char *msg)
{
  g_set_error(error, HW_CONFIG_ERROR, code, "%s:%d: %s", s->path, line, msg);
  return FALSE;
}

/* Mirrors GKeyFile's line grammar (checked against GLib 2.74): leading blanks are skipped, '#'
 * starts a comment line, "[name]" may be followed only by blanks, everything else must be
 * "key = value". Stricter than GKeyFile where it would merge silently. */
static gboolean scan_text(Scan *s, const char *text, GError **error)
{
  g_auto(GStrv) lines = g_strsplit(text, "\n", -1);
  const char *section = NULL;

  for (int i = 0; lines[i]; i++) {
    int lineno = i + 1;
    char *line = lines[i];
    size_t len = strlen(line);
    if (len > 0 && line[len - 1] == '\r')
      line[--len] = '\0';
    if (!g_utf8_validate(line, (gssize)len, NULL))
      return fail_line(s, error, HW_CONFIG_ERROR_SYNTAX, lineno, "not valid UTF-8");

    const char *p = line;
    while (g_ascii_isspace(*p))
      p++;
    if (*p == '\0' || *p == '#')
      continue;

    if (*p == '[') {
      const char *end = strchr(p, ']');
      const char *rest = end ? end + 1 : NULL;
      while (rest && (*rest == ' ' || *rest == '\t'))
        rest++;
      if (!end || *rest != '\0' || end == p + 1 || memchr(p + 1, '[', (size_t)(end - p - 1)))
        return fail_line(s, error, HW_CONFIG_ERROR_SYNTAX, lineno,
                         "expected a section header like [storage], alone on its line "
                         "(comments go on their own line)");
      char *name = g_strndup(p + 1, (size_t)(end - p - 1));
      int first = scan_section_line(s, name);
      if (first > 0) {
        g_autofree char *msg =
          g_strdup_printf("[%s]: section given twice (first on line %d)", name, first);
        g_free(name);
        return fail_line(s, error, HW_CONFIG_ERROR_DUPLICATE, lineno, msg);
      }
      g_ptr_array_add(s->sections, name);
      g_hash_table_insert(s->section_lines, name, GINT_TO_POINTER(lineno));
      section = name;
      continue;
    }

    const char *eq = strchr(p, '=');
    const char *kend = eq;
    while (kend && kend > p && g_ascii_isspace(kend[-1]))
      kend--;
    if (!eq || kend == p)
      return fail_line(s, error, HW_CONFIG_ERROR_SYNTAX, lineno,
                       "expected key = value, a [section] or a # comment");
    if (!section)
      return fail_line(s, error, HW_CONFIG_ERROR_SYNTAX, lineno,
                       "key before the first [section]");

    g_autofree char *key = g_strndup(p, (size_t)(kend - p));
    char *k = g_strconcat(section, "\n", key, NULL);
    int first = GPOINTER_TO_INT(g_hash_table_lookup(s->key_lines, k));
    if (first > 0) {
      g_free(k);
      g_autofree char *msg = g_strdup_printf("[%s] %s: key given twice (first on line %d)",
                                             section, key, first);
      return fail_line(s, error, HW_CONFIG_ERROR_DUPLICATE, lineno, msg);
    }
    g_hash_table_insert(s->key_lines, k, GINT_TO_POINTER(lineno));
  }
  return TRUE;
}

static gboolean str_in(const char *s, const char *const *list)
{
  for (size_t i = 0; list[i]; i++)
    if (strcmp(s, list[i]) == 0)
      return TRUE;
  return FALSE;
}

static gboolean check_keys(const Scan *s, const char *section, const char *const *allowed,
                           GError **error)
{
  g_auto(GStrv) keys = g_key_file_get_keys(s->kf, section, NULL, NULL);
  for (size_t i = 0; keys && keys[i]; i++) {
    if (!str_in(keys[i], allowed)) {
      g_autofree char *known = g_strjoinv(", ", (char **)allowed);
      return fail(s, error, HW_CONFIG_ERROR_UNKNOWN, section, keys[i], "unknown key (known: %s)",
                  known);
    }
  }
  /* GKeyFile hides "key[locale]" entries from get_keys; the scan saw them, so look there. */
  GHashTableIter it;
  gpointer k;
  g_hash_table_iter_init(&it, s->key_lines);
  size_t slen = strlen(section);
  while (g_hash_table_iter_next(&it, &k, NULL)) {
    const char *full = k;
    if (strncmp(full, section, slen) == 0 && full[slen] == '\n' && !str_in(full + slen + 1, allowed))
      return fail(s, error, HW_CONFIG_ERROR_UNKNOWN, section, full + slen + 1, "unknown key");
  }
  return TRUE;
}

/* Optional string value: TRUE with *ret NULL when absent or empty. */
static gboolean get_string(const Scan *s, const char *section, const char *key, char **ret,
                           GError **error)
{
  *ret = NULL;
  if (!g_key_file_has_key(s->kf, section, key, NULL))
    return TRUE;
  g_autoptr(GError) local = NULL;
  /* GLib 2.74 returns a value and sets an error for a bad escape: the error is what counts. */
  char *v = g_key_file_get_string(s->kf, section, key, &local);
  if (local) {
    g_free(v);
    return fail(s, error, HW_CONFIG_ERROR_INVALID, section, key,
                "invalid escape sequence (write \\\\ for a backslash)");
  }
  if (*v == '\0')
    g_clear_pointer(&v, g_free);
  *ret = v;
  return TRUE;
}

gboolean hw_config_parse_duration(const char *s, int64_t *ret_ns)
{
  if (!s || !g_ascii_isdigit(*s))
    return FALSE;
  uint64_t n = 0;
  const char *p = s;
  for (; g_ascii_isdigit(*p); p++) {
    if (n > (UINT64_MAX - 9) / 10)
      return FALSE;
    n = n * 10 + (uint64_t)(*p - '0');
  }
  int64_t unit;
  if (strcmp(p, "ms") == 0)
    unit = HW_NS_PER_MS;
  else if (strcmp(p, "s") == 0)
    unit = HW_NS_PER_S;
  else if (strcmp(p, "m") == 0)
    unit = 60 * HW_NS_PER_S;
  else if (strcmp(p, "h") == 0)
    unit = 3600 * HW_NS_PER_S;
  else if (*p == '\0' && n == 0)
    unit = 1; /* "0" needs no unit */
  else
    return FALSE;
  if (n > (uint64_t)(INT64_MAX / unit))
    return FALSE;
  *ret_ns = (int64_t)n * unit;
  return TRUE;
}

gboolean hw_config_parse_size(const char *s, int64_t *ret_bytes)
{
  if (!s || !g_ascii_isdigit(*s))
    return FALSE;
  uint64_t n = 0;
  const char *p = s;
  for (; g_ascii_isdigit(*p); p++) {
    if (n > (UINT64_MAX - 9) / 10)
      return FALSE;
    n = n * 10 + (uint64_t)(*p - '0');
  }
  int shift = 0;
  switch (g_ascii_toupper(*p)) {
  case 'K': shift = 10; p++; break;
  case 'M': shift = 20; p++; break;
  case 'G': shift = 30; p++; break;
  case 'T': shift = 40; p++; break;
  default: break;
  }
  if (shift && (*p == 'i' || *p == 'I') && (p[1] == 'B' || p[1] == 'b'))
    p++;
  if (*p == 'B' || *p == 'b')
    p++;
  if (*p != '\0')
    return FALSE;
  if (n > ((uint64_t)INT64_MAX >> shift))
    return FALSE;
  *ret_bytes = (int64_t)(n << shift);
  return TRUE;
}

/* Duration key: absent leaves *ret as is (the default); present must parse and be > 0. */
static gboolean get_duration(const Scan *s, const char *section, const char *key, int64_t *ret,
                             GError **error)
{
  g_autofree char *v = NULL;
  if (!get_string(s, section, key, &v, error))
    return FALSE;
  if (!v)
    return TRUE;
  int64_t ns;
  if (!hw_config_parse_duration(v, &ns))
    return fail(s, error, HW_CONFIG_ERROR_INVALID, section, key,
                "expected a duration like 500ms, 10s, 5m or 1h, got '%s'", v);
  if (ns <= 0)
    return fail(s, error, HW_CONFIG_ERROR_INVALID, section, key, "must be more than 0, got '%s'", v);
  *ret = ns;
  return TRUE;
}

/* Size key: absent leaves *ret as is; 0 is allowed (it means "no limit" wherever sizes appear). */
static gboolean get_size(const Scan *s, const char *section, const char *key, int64_t *ret,
                         GError **error)
{
  g_autofree char *v = NULL;
  if (!get_string(s, section, key, &v, error))
    return FALSE;
  if (!v)
    return TRUE;
  if (!hw_config_parse_size(v, ret))
    return fail(s, error, HW_CONFIG_ERROR_INVALID, section, key,
                "expected a size like 500G, 10M or a number of bytes, got '%s'", v);
  return TRUE;
}

static gboolean get_days(const Scan *s, const char *section, const char *key, int64_t *ret,
                         GError **error)
{
  g_autofree char *v = NULL;
  if (!get_string(s, section, key, &v, error))
    return FALSE;
  if (!v)
    return TRUE;
  gint64 n;
  if (!g_ascii_string_to_signed(v, 10, 0, RETAIN_DAYS_MAX, &n, NULL))
    return fail(s, error, HW_CONFIG_ERROR_INVALID, section, key,
                "expected a number of days from 0 to %d, got '%s'", RETAIN_DAYS_MAX, v);
  *ret = n;
  return TRUE;
}

static gboolean get_bool(const Scan *s, const char *section, const char *key, bool *ret,
                         GError **error)
{
  g_autofree char *v = NULL;
  if (!get_string(s, section, key, &v, error))
    return FALSE;
  if (!v)
    return TRUE;
  if (strcmp(v, "true") == 0 || strcmp(v, "yes") == 0 || strcmp(v, "1") == 0)
    *ret = true;
  else if (strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0)
    *ret = false;
  else
    return fail(s, error, HW_CONFIG_ERROR_INVALID, section, key,
                "expected true or false, got '%s'", v);
  return TRUE;
}

static gboolean get_path(const Scan *s, const char *section, const char *key, char **ret,
                         GError **error)
{
  g_autofree char *v = NULL;
  if (!get_string(s, section, key, &v, error))
    return FALSE;
  if (!v)
    return TRUE;
  if (!g_path_is_absolute(v))
    return fail(s, error, HW_CONFIG_ERROR_INVALID, section, key,
                "expected an absolute path, got '%s'", v);
  g_free(*ret);
  *ret = g_steal_pointer(&v);
  return TRUE;
}

/* [http] tls_cert and tls_key: both or neither, absolute, readable by this process. Whether they
 * hold PEM is checked by the HTTP server, which parses them (its message names the file). */
static gboolean parse_tls(const Scan *s, HwConfig *c, GError **error)
{
  if (!get_path(s, "http", "tls_cert", &c->http_tls_cert, error) ||
      !get_path(s, "http", "tls_key", &c->http_tls_key, error))
    return FALSE;
  if (!c->http_tls_cert != !c->http_tls_key)
    return fail(s, error, HW_CONFIG_ERROR_MISSING, "http",
                c->http_tls_cert ? "tls_key" : "tls_cert",
                "tls_cert and tls_key go together: give both or neither");
  const char *keys[] = {"tls_cert", "tls_key"};
  const char *paths[] = {c->http_tls_cert, c->http_tls_key};
  for (size_t i = 0; i < 2 && c->http_tls_cert; i++) {
    if (!g_file_test(paths[i], G_FILE_TEST_IS_REGULAR))
      return fail(s, error, HW_CONFIG_ERROR_INVALID, "http", keys[i], "%s: no such file", paths[i]);
    if (g_access(paths[i], R_OK) != 0)
      return fail(s, error, HW_CONFIG_ERROR_INVALID, "http", keys[i], "%s: cannot be read: %s",
                  paths[i], g_strerror(errno));
  }
  return TRUE;
}

/* "host:port" or "[v6]:port". Beyond loopback only with TLS: the session cookie is Secure there,
 * and browsers drop Secure cookies over plain HTTP, so sign-in would silently fail. Call after
 * parse_tls. */
static gboolean parse_listen(const Scan *s, HwConfig *c, GError **error)
{
  g_autofree char *v = NULL;
  if (!get_string(s, "http", "listen", &v, error))
    return FALSE;
  if (!v)
    return TRUE;

  g_autofree char *host = NULL;
  /* Declared before the first goto: its cleanup runs at bad_syntax too. */
  g_autoptr(GInetAddress) addr = NULL;
  const char *port;
  if (v[0] == '[') {
    const char *close = strchr(v, ']');
    if (!close || close[1] != ':')
      goto bad_syntax;
    host = g_strndup(v + 1, (size_t)(close - v - 1));
    port = close + 2;
  } else {
    const char *colon = strrchr(v, ':');
    if (!colon || strchr(v, ':') != colon)
      goto bad_syntax;
    host = g_strndup(v, (size_t)(colon - v));
    port = colon + 1;
  }
  if (*host == '\0')
    goto bad_syntax;

  guint64 portnum;
  if (!g_ascii_string_to_unsigned(port, 10, 1, 65535, &portnum, NULL))
    return fail(s, error, HW_CONFIG_ERROR_INVALID, "http", "listen",
                "port must be a number from 1 to 65535, got '%s'", port);

  if (g_ascii_strcasecmp(host, "localhost") == 0) {
    g_free(host);
    host = g_strdup("127.0.0.1");
  }
  addr = g_inet_address_new_from_string(host);
  if (!addr)
    return fail(s, error, HW_CONFIG_ERROR_INVALID, "http", "listen",
                "host must be an IP address (or localhost), got '%s'", host);
  if (!g_inet_address_get_is_loopback(addr) && !c->http_tls_cert)
    return fail(s, error, HW_CONFIG_ERROR_INVALID, "http", "listen",
                "listen beyond loopback needs tls_cert and tls_key (browsers drop Secure cookies "
                "on plain HTTP), got '%s'", v);

  g_free(c->http_host);
  c->http_host = g_steal_pointer(&host);
  c->http_port = (int)portnum;
  return TRUE;

bad_syntax:
  return fail(s, error, HW_CONFIG_ERROR_INVALID, "http", "listen",
              "expected host:port like 127.0.0.1:8080 or [::1]:8080, got '%s'", v);
}

static gboolean valid_camera_id(const char *id)
{
  size_t n = strlen(id);
  if (n == 0 || n > CAMERA_ID_MAX)
    return FALSE;
  for (size_t i = 0; i < n; i++)
    if (!g_ascii_isalnum(id[i]) && id[i] != '.' && id[i] != '_' && id[i] != '-')
      return FALSE;
  return TRUE;
}

static gboolean check_rtsp_url(const Scan *s, const char *section, const char *key, const char *url,
                               GError **error)
{
  g_autoptr(GUri) uri = g_uri_parse(url, G_URI_FLAGS_ENCODED, NULL);
  const char *scheme = uri ? g_uri_get_scheme(uri) : NULL;
  if (!scheme || (g_ascii_strcasecmp(scheme, "rtsp") != 0 && g_ascii_strcasecmp(scheme, "rtsps") != 0))
    return fail(s, error, HW_CONFIG_ERROR_INVALID, section, key,
                "expected an rtsp:// or rtsps:// URL, got '%s'", url);
  if (!g_uri_get_host(uri) || *g_uri_get_host(uri) == '\0')
    return fail(s, error, HW_CONFIG_ERROR_INVALID, section, key, "URL has no host");
  /* Credentials in the URL would travel wherever the URL is shown or logged. The message must
   * not echo the URL here: it holds the password. */
  if (g_uri_get_userinfo(uri))
    return fail(s, error, HW_CONFIG_ERROR_INVALID, section, key,
                "put credentials in username and password, not in the URL");
  return TRUE;
}

static gboolean parse_camera(const Scan *s, const char *section, HwCameraConfig **ret,
                             GError **error)
{
  const char *id = section + strlen(CAMERA_PREFIX);
  if (!valid_camera_id(id))
    return fail(s, error, HW_CONFIG_ERROR_INVALID, section, NULL,
                "camera id must be 1 to %d characters of A-Z a-z 0-9 . _ -", CAMERA_ID_MAX);
  if (!check_keys(s, section, camera_keys, error))
    return FALSE;

  g_autoptr(HwCameraConfig) cam = g_new0(HwCameraConfig, 1);
  cam->id = g_strdup(id);
  cam->source = g_strdup("config");
  cam->transport = HW_TRANSPORT_TCP;
  cam->clock = HW_CLOCK_LOCAL;
  cam->enabled = true;

  if (!get_string(s, section, "name", &cam->name, error) ||
      !get_string(s, section, "url", &cam->url, error) ||
      !get_string(s, section, "substream_url", &cam->substream_url, error) ||
      !get_string(s, section, "username", &cam->username, error) ||
      !get_string(s, section, "password", &cam->password, error) ||
      !get_bool(s, section, "enabled", &cam->enabled, error) ||
      !get_days(s, section, "retain_days", &cam->retain_days, error) ||
      !get_size(s, section, "retain_bytes", &cam->retain_bytes, error))
    return FALSE;
  if (!cam->name)
    cam->name = g_strdup(id);

  if (!cam->url)
    return fail(s, error, HW_CONFIG_ERROR_MISSING, section, "url",
                "missing; every camera needs an rtsp:// URL");
  if (!check_rtsp_url(s, section, "url", cam->url, error))
    return FALSE;
  if (cam->substream_url && !check_rtsp_url(s, section, "substream_url", cam->substream_url, error))
    return FALSE;
  if (cam->username && !cam->password)
    return fail(s, error, HW_CONFIG_ERROR_MISSING, section, "username",
                "username without password");
  if (cam->password && !cam->username)
    return fail(s, error, HW_CONFIG_ERROR_MISSING, section, "password",
                "password without username");

  g_autofree char *transport = NULL, *clock = NULL;
  if (!get_string(s, section, "transport", &transport, error) ||
      !get_string(s, section, "clock", &clock, error))
    return FALSE;
  if (transport) {
    if (strcmp(transport, "tcp") == 0)
      cam->transport = HW_TRANSPORT_TCP;
    else if (strcmp(transport, "udp") == 0)
      cam->transport = HW_TRANSPORT_UDP;
    else
      return fail(s, error, HW_CONFIG_ERROR_INVALID, section, "transport",
                  "expected tcp or udp, got '%s'", transport);
  }
  if (clock) {
    if (strcmp(clock, "local") == 0)
      cam->clock = HW_CLOCK_LOCAL;
    else if (strcmp(clock, "camera") == 0)
      cam->clock = HW_CLOCK_CAMERA;
    else
      return fail(s, error, HW_CONFIG_ERROR_INVALID, section, "clock",
                  "expected local or camera, got '%s'", clock);
  }
  *ret = g_steal_pointer(&cam);
  return TRUE;
}

static gboolean parse_recorder(const Scan *s, HwRecorderOptions *o, GError **error)
{
  if (!get_duration(s, "recording", "file_span", &o->file_span_ns, error) ||
      !get_duration(s, "recording", "fragment_max", &o->fragment_max_ns, error) ||
      !get_duration(s, "recording", "stall_timeout", &o->stall_timeout_ns, error) ||
      !get_duration(s, "recording", "clock_bound", &o->clock_bound_ns, error) ||
      !get_duration(s, "recording", "index_interval", &o->index_interval_ns, error) ||
      !get_duration(s, "reconnect", "backoff_min", &o->backoff_min_ns, error) ||
      !get_duration(s, "reconnect", "backoff_max", &o->backoff_max_ns, error) ||
      !get_duration(s, "reconnect", "backoff_reset", &o->backoff_reset_ns, error) ||
      !get_days(s, "retention", "days", &o->retain_days, error) ||
      !get_size(s, "retention", "bytes", &o->retain_bytes, error) ||
      !get_size(s, "retention", "min_free", &o->min_free_bytes, error) ||
      !get_duration(s, "retention", "interval", &o->retention_interval_ns, error))
    return FALSE;

  g_autofree char *capture = NULL;
  if (!get_string(s, "recording", "capture", &capture, error))
    return FALSE;
  if (capture != NULL) {
    if (strcmp(capture, "libav") == 0)
      o->capture = HW_CAPTURE_LIBAV;
    else if (strcmp(capture, "gstreamer") == 0)
      o->capture = HW_CAPTURE_GSTREAMER;
    else
      return fail(s, error, HW_CONFIG_ERROR_INVALID, "recording", "capture",
                  "expected libav or gstreamer, got '%s'", capture);
  }

  /* Pairs that only make sense in one order; the message points at whichever key is set. */
  if (o->fragment_max_ns > o->file_span_ns) {
    const char *key = scan_key_line(s, "recording", "fragment_max") ? "fragment_max" : "file_span";
    return fail(s, error, HW_CONFIG_ERROR_INVALID, "recording", key,
                "fragment_max must not be longer than file_span");
  }
  if (o->backoff_min_ns > o->backoff_max_ns) {
    const char *key = scan_key_line(s, "reconnect", "backoff_min") ? "backoff_min" : "backoff_max";
    return fail(s, error, HW_CONFIG_ERROR_INVALID, "reconnect", key,
                "backoff_min must not be longer than backoff_max");
  }
  return TRUE;
}

/* [auth]: sign-in limits. Bounds keep a typo from making sessions eternal or lock-outs useless. */
static gboolean parse_auth(const Scan *s, HwConfig *c, GError **error)
{
  if (!get_duration(s, "auth", "session_idle", &c->auth_session_idle_ns, error) ||
      !get_duration(s, "auth", "session_max", &c->auth_session_max_ns, error) ||
      !get_duration(s, "auth", "lockout_for", &c->auth_lockout_for_ns, error))
    return FALSE;
  if (c->auth_session_idle_ns < HW_NS_PER_S)
    return fail(s, error, HW_CONFIG_ERROR_INVALID, "auth", "session_idle", "must be at least 1s");
  if (c->auth_session_max_ns > INT64_C(7) * 24 * 3600 * HW_NS_PER_S)
    return fail(s, error, HW_CONFIG_ERROR_INVALID, "auth", "session_max", "must be at most 168h");
  if (c->auth_session_idle_ns > c->auth_session_max_ns) {
    const char *key = scan_key_line(s, "auth", "session_idle") ? "session_idle" : "session_max";
    return fail(s, error, HW_CONFIG_ERROR_INVALID, "auth", key,
                "session_idle must not be longer than session_max");
  }
  g_autofree char *after = NULL;
  if (!get_string(s, "auth", "lockout_after", &after, error))
    return FALSE;
  if (after) {
    gint64 n;
    if (!g_ascii_string_to_signed(after, 10, 1, 100, &n, NULL))
      return fail(s, error, HW_CONFIG_ERROR_INVALID, "auth", "lockout_after",
                  "expected a number of failed sign-ins from 1 to 100, got '%s'", after);
    c->auth_lockout_after = (int)n;
  }
  return TRUE;
}

/* A whole number key of [warnings] within lo..hi. */
static gboolean get_warn_int(const Scan *s, const char *key, int lo, int hi, int *ret,
                             GError **error)
{
  g_autofree char *v = NULL;
  if (!get_string(s, "warnings", key, &v, error))
    return FALSE;
  gint64 n;
  if (v && !g_ascii_string_to_signed(v, 10, lo, hi, &n, NULL))
    return fail(s, error, HW_CONFIG_ERROR_INVALID, "warnings", key,
                "expected a number of working days from %d to %d, got '%s'", lo, hi, v);
  if (v)
    *ret = (int)n;
  return TRUE;
}

/* [warnings]: each rule on or off (true/false), the yellow thresholds and the footage rolls. */
static gboolean parse_warnings(const Scan *s, HwWarningsConfig *w, GError **error)
{
  struct {
    const char *key;
    bool *on;
  } rules[] = {{"promised_near", &w->promised_near},
               {"promised_late", &w->promised_late},
               {"statutory_late", &w->statutory_late},
               {"stage_order", &w->stage_order},
               {"fee_above_standard", &w->fee_above_standard},
               {"rejection_without_reason", &w->rejection_without_reason},
               {"stage_long", &w->stage_long},
               {"complaint", &w->complaint}};
  for (size_t i = 0; i < G_N_ELEMENTS(rules); i++)
    if (!get_bool(s, "warnings", rules[i].key, rules[i].on, error))
      return FALSE;
  g_autofree char *share = NULL;
  if (!get_string(s, "warnings", "near_share", &share, error))
    return FALSE;
  if (share) {
    /* "2/3" or a decimal such as 0.75, strictly between 0 and 1 */
    double v = -1;
    char *end = NULL;
    const char *slash = strchr(share, '/');
    if (slash) {
      gint64 a, b;
      g_autofree char *num = g_strndup(share, (gsize)(slash - share));
      if (g_ascii_string_to_signed(num, 10, 1, 1000, &a, NULL) &&
          g_ascii_string_to_signed(slash + 1, 10, 1, 1000, &b, NULL))
        v = (double)a / (double)b;
    } else {
      v = g_ascii_strtod(share, &end);
      if (end == share || *end != '\0')
        v = -1;
    }
    if (!(v > 0 && v < 1))
      return fail(s, error, HW_CONFIG_ERROR_INVALID, "warnings", "near_share",
                  "expected a share of the limit between 0 and 1 such as 2/3 or 0.75, got '%s'",
                  share);
    w->near_share = v;
  }
  if (!get_warn_int(s, "near_days", 0, 365, &w->near_days, error) ||
      !get_warn_int(s, "stage_long_days", 1, 365, &w->stage_long_days, error) ||
      !get_duration(s, "warnings", "hold_pre", &w->hold_pre_ns, error) ||
      !get_duration(s, "warnings", "hold_post", &w->hold_post_ns, error))
    return FALSE;
  if (w->hold_pre_ns > INT64_C(3600) * HW_NS_PER_S)
    return fail(s, error, HW_CONFIG_ERROR_INVALID, "warnings", "hold_pre", "must be at most 1h");
  if (w->hold_post_ns > INT64_C(3600) * HW_NS_PER_S)
    return fail(s, error, HW_CONFIG_ERROR_INVALID, "warnings", "hold_post", "must be at most 1h");
  return TRUE;
}

static void config_init_defaults(HwConfig *c)
{
  hw_warnings_config_init(&c->warning_rules);
  c->footage_dir = g_strdup(HW_CONFIG_DEFAULT_FOOTAGE);
  c->footage_rolls.pre_ns = HW_FOOTAGE_PRE_ROLL_DEFAULT;
  c->footage_rolls.post_ns = HW_FOOTAGE_POST_ROLL_DEFAULT;
  c->database_path = g_strdup(HW_CONFIG_DEFAULT_DATABASE);
  c->http_host = g_strdup(HW_CONFIG_DEFAULT_HTTP_HOST);
  c->http_port = HW_CONFIG_DEFAULT_HTTP_PORT;
  c->log_level = g_strdup(HW_CONFIG_DEFAULT_LOG_LEVEL);
  c->audit_sign_interval_ns = HW_CONFIG_DEFAULT_AUDIT_SIGN_INTERVAL;
  c->auth_session_idle_ns = HW_CONFIG_DEFAULT_SESSION_IDLE;
  c->auth_session_max_ns = HW_CONFIG_DEFAULT_SESSION_MAX;
  c->auth_lockout_after = HW_CONFIG_DEFAULT_LOCKOUT_AFTER;
  c->auth_lockout_for_ns = HW_CONFIG_DEFAULT_LOCKOUT_FOR;
  c->hall_timezone = g_strdup(HW_CONFIG_DEFAULT_TIMEZONE);
  c->exports_verify_max_bytes = HW_CONFIG_DEFAULT_VERIFY_MAX_BYTES;
  hw_recorder_options_init(&c->recorder);
  c->recorder.footage_dir = c->footage_dir;
}

HwConfig *hw_config_new_default(void)
{
  HwConfig *c = g_new0(HwConfig, 1);
  config_init_defaults(c);
  c->warnings = g_new0(char *, 1);
  return c;
}

void hw_config_free(HwConfig *config)
{
  if (!config)
    return;
  g_free(config->footage_dir);
  g_free(config->database_path);
  g_free(config->http_host);
  g_free(config->http_tls_cert);
  g_free(config->http_tls_key);
  g_free(config->http_www_dir);
  g_free(config->log_level);
  g_free(config->hall_timezone);
  for (size_t i = 0; i < config->n_cameras; i++)
    hw_camera_config_free(config->cameras[i]);
  g_free(config->cameras);
  g_strfreev(config->warnings);
  g_strfreev(config->exchange_departments);
  g_free(config->exchange_clock_offsets_ns);
  g_free(config->footage_rolls.stages);
  g_free(config);
}

gboolean hw_config_parse_offset(const char *s, int64_t *ret_ns)
{
  if (!s)
    return FALSE;
  int sign = *s == '-' ? -1 : 1;
  if (*s == '-' || *s == '+')
    s++;
  int64_t v;
  if (!hw_config_parse_duration(s, &v))
    return FALSE;
  *ret_ns = sign * v;
  return TRUE;
}

/* [exchange] clock_offset.<department> = <signed duration>: what to add to the times a
 * department reports to get the appliance's time (its clock 2 s fast: -2s). */
static gboolean parse_exchange(const Scan *s, HwConfig *c, GError **error)
{
  if (!g_key_file_has_group(s->kf, "exchange"))
    return TRUE;
  g_auto(GStrv) keys = g_key_file_get_keys(s->kf, "exchange", NULL, NULL);
  size_t n = keys ? g_strv_length(keys) : 0;
  c->exchange_departments = g_new0(char *, n + 1);
  c->exchange_clock_offsets_ns = g_new0(int64_t, n + 1);
  for (size_t i = 0; i < n; i++) {
    const char *dept = keys[i] + strlen(CLOCK_OFFSET_PREFIX);
    if (!g_str_has_prefix(keys[i], CLOCK_OFFSET_PREFIX) || *dept == '\0' || strlen(dept) > 63 ||
        strspn(dept, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789._-") !=
          strlen(dept))
      return fail(s, error, HW_CONFIG_ERROR_UNKNOWN, "exchange", keys[i],
                  "unknown key (known: clock_offset.<department code>, the code 1 to 63 "
                  "characters of A-Z a-z 0-9 . _ -)");
    g_autofree char *v = NULL;
    if (!get_string(s, "exchange", keys[i], &v, error))
      return FALSE;
    int64_t ns = 0;
    if (!v || !hw_config_parse_offset(v, &ns) || ns < -CLOCK_OFFSET_MAX || ns > CLOCK_OFFSET_MAX)
      return fail(s, error, HW_CONFIG_ERROR_INVALID, "exchange", keys[i],
                  "expected a signed duration within 24h such as -2s or +1500ms, got '%s'",
                  v ? v : "");
    c->exchange_departments[c->n_exchange_clocks] = g_strdup(dept);
    c->exchange_clock_offsets_ns[c->n_exchange_clocks++] = ns;
  }
  return TRUE;
}

/* [footage] pre_roll / post_roll (0 to 1h; defaults 30s / 120s) and pre_roll.<stage type> /
 * post_roll.<stage type> for one stage type (the other roll of that type stays the default). */
static gboolean parse_footage(const Scan *s, HwConfig *c, GError **error)
{
  HwFootageRolls *r = &c->footage_rolls;
  if (!g_key_file_has_group(s->kf, "footage"))
    return TRUE;
  g_auto(GStrv) keys = g_key_file_get_keys(s->kf, "footage", NULL, NULL);
  size_t n = keys ? g_strv_length(keys) : 0;
  r->stages = g_new0(HwFootageStageRolls, n + 1);
  /* the defaults first: a stage type's other roll is the section's default */
  for (int pass = 0; pass < 2; pass++)
    for (size_t i = 0; i < n; i++) {
      const char *k = keys[i];
      bool pre = g_str_has_prefix(k, "pre_roll"), post = g_str_has_prefix(k, "post_roll");
      const char *rest = k + (pre ? strlen("pre_roll") : post ? strlen("post_roll") : 0);
      const char *stage = *rest == '.' ? rest + 1 : NULL;
      bool known = (pre || post) && (*rest == '\0' || stage != NULL);
      if (known && stage != NULL) {
        known = false;
        for (const char *const *st = hw_exchange_stage_names(); *st; st++)
          known |= strcmp(*st, stage) == 0;
      }
      if (!known)
        return fail(s, error, HW_CONFIG_ERROR_UNKNOWN, "footage", k,
                    "unknown key (known: pre_roll, post_roll, pre_roll.<stage type>, "
                    "post_roll.<stage type>, the stage types of the exchange API such as "
                    "ticket_called or accepted)");
      if ((pass == 0) != (stage == NULL))
        continue;
      g_autofree char *v = NULL;
      if (!get_string(s, "footage", k, &v, error))
        return FALSE;
      int64_t ns = 0;
      if (!v || !hw_config_parse_duration(v, &ns) || ns > FOOTAGE_ROLL_MAX)
        return fail(s, error, HW_CONFIG_ERROR_INVALID, "footage", k,
                    "expected a duration from 0s to 1h such as 30s or 2m, got '%s'", v ? v : "");
      if (stage == NULL) {
        *(pre ? &r->pre_ns : &r->post_ns) = ns;
        continue;
      }
      size_t j = 0;
      while (j < r->n && strcmp(r->stages[j].stage, stage) != 0)
        j++;
      if (j == r->n) {
        g_strlcpy(r->stages[j].stage, stage, sizeof r->stages[j].stage);
        r->stages[j].pre_ns = r->pre_ns;
        r->stages[j].post_ns = r->post_ns;
        r->n++;
      }
      *(pre ? &r->stages[j].pre_ns : &r->stages[j].post_ns) = ns;
    }
  return TRUE;
}

static gboolean parse_all(const Scan *s, HwConfig *c, GPtrArray *cameras, GError **error)
{
  for (size_t i = 0; i < s->sections->len; i++) {
    const char *name = s->sections->pdata[i];
    if (g_str_has_prefix(name, CAMERA_PREFIX))
      continue;
    /* parse_exchange and parse_footage check their keys */
    gboolean known = strcmp(name, "exchange") == 0 || strcmp(name, "footage") == 0;
    for (size_t j = 0; j < G_N_ELEMENTS(fixed_sections); j++) {
      if (strcmp(name, fixed_sections[j].name) == 0) {
        if (!check_keys(s, name, fixed_sections[j].keys, error))
          return FALSE;
        known = TRUE;
      }
    }
    if (!known) {
      /* The list is the table's, so a new section is named here without anyone remembering. */
      g_autoptr(GString) names = g_string_new(NULL);
      for (size_t j = 0; j < G_N_ELEMENTS(fixed_sections); j++)
        g_string_append_printf(names, "%s, ", fixed_sections[j].name);
      return fail(s, error, HW_CONFIG_ERROR_UNKNOWN, name, NULL,
                  "unknown section (known: %sexchange, footage, camera.<id>)", names->str);
    }
  }

  if (!get_path(s, "storage", "footage", &c->footage_dir, error) ||
      !get_path(s, "storage", "database", &c->database_path, error) ||
      !parse_tls(s, c, error) || !parse_listen(s, c, error) ||
      !get_path(s, "http", "www_dir", &c->http_www_dir, error))
    return FALSE;
  c->recorder.footage_dir = c->footage_dir;

  g_autofree char *level = NULL;
  if (!get_string(s, "log", "level", &level, error))
    return FALSE;
  if (level) {
    if (!str_in(level, log_levels))
      return fail(s, error, HW_CONFIG_ERROR_INVALID, "log", "level",
                  "expected error, warning, info or debug, got '%s'", level);
    g_free(c->log_level);
    c->log_level = g_steal_pointer(&level);
  }

  if (!parse_recorder(s, &c->recorder, error))
    return FALSE;

  /* [audit]: a head signed too rarely leaves a long unsigned tail; too often fills audit_heads. */
  if (!get_duration(s, "audit", "sign_interval", &c->audit_sign_interval_ns, error))
    return FALSE;
  if (c->audit_sign_interval_ns < INT64_C(10) * HW_NS_PER_S ||
      c->audit_sign_interval_ns > INT64_C(24) * 3600 * HW_NS_PER_S)
    return fail(s, error, HW_CONFIG_ERROR_INVALID, "audit", "sign_interval",
                "must be between 10s and 24h");

  /* [exports]: below 1M not even a short clip verifies; beyond 1T is a typo */
  if (!get_size(s, "exports", "verify_max_bytes", &c->exports_verify_max_bytes, error))
    return FALSE;
  if (c->exports_verify_max_bytes < (INT64_C(1) << 20) ||
      c->exports_verify_max_bytes > (INT64_C(1) << 40))
    return fail(s, error, HW_CONFIG_ERROR_INVALID, "exports", "verify_max_bytes",
                "must be between 1M and 1T");

  if (!parse_auth(s, c, error) || !parse_exchange(s, c, error) ||
      !parse_warnings(s, &c->warning_rules, error) || !parse_footage(s, c, error))
    return FALSE;

  /* [hall] timezone: the civil dates of deadlines (a due date ends at 24:00 there). A name this
   * system's tzdata does not know is refused now, not when the first deadline is computed. */
  g_autofree char *tz = NULL;
  if (!get_string(s, "hall", "timezone", &tz, error))
    return FALSE;
  if (tz) {
    GTimeZone *zone = *tz ? g_time_zone_new_identifier(tz) : NULL;
    if (zone == NULL)
      return fail(s, error, HW_CONFIG_ERROR_INVALID, "hall", "timezone",
                  "expected an IANA time zone name such as Asia/Shanghai, got '%s'", tz);
    g_time_zone_unref(zone);
    g_free(c->hall_timezone);
    c->hall_timezone = g_steal_pointer(&tz);
  }

  for (size_t i = 0; i < s->sections->len; i++) {
    const char *name = s->sections->pdata[i];
    if (!g_str_has_prefix(name, CAMERA_PREFIX))
      continue;
    HwCameraConfig *cam = NULL;
    if (!parse_camera(s, name, &cam, error))
      return FALSE;
    g_ptr_array_add(cameras, cam);
  }
  return TRUE;
}

HwConfig *hw_config_load(const char *path, GError **error)
{
  g_return_val_if_fail(path != NULL, NULL);
  g_return_val_if_fail(error == NULL || *error == NULL, NULL);

  g_autofree char *text = NULL;
  gsize len = 0;
  g_autoptr(GError) local = NULL;
  if (!g_file_get_contents(path, &text, &len, &local)) {
    g_set_error(error, HW_CONFIG_ERROR, HW_CONFIG_ERROR_READ, "%s: %s", path, local->message);
    return NULL;
  }
  if (memchr(text, '\0', len)) {
    g_set_error(error, HW_CONFIG_ERROR, HW_CONFIG_ERROR_SYNTAX, "%s: contains a NUL byte", path);
    return NULL;
  }

  g_auto(Scan) s = {
    .path = path,
    .kf = g_key_file_new(),
    .section_lines = g_hash_table_new(g_str_hash, g_str_equal),
    .key_lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
    .sections = g_ptr_array_new_with_free_func(g_free),
  };
  if (!scan_text(&s, text, error))
    return NULL;
  /* The scan accepts a subset of what GKeyFile accepts, so this fails only on what the scan
   * does not model (e.g. control characters in a section name). */
  if (!g_key_file_load_from_data(s.kf, text, len, G_KEY_FILE_NONE, &local)) {
    g_set_error(error, HW_CONFIG_ERROR, HW_CONFIG_ERROR_SYNTAX, "%s: %s", path, local->message);
    return NULL;
  }

  g_autoptr(HwConfig) c = g_new0(HwConfig, 1);
  config_init_defaults(c);
  g_autoptr(GPtrArray) cameras = g_ptr_array_new_with_free_func((GDestroyNotify)hw_camera_config_free);
  if (!parse_all(&s, c, cameras, error))
    return NULL;

  g_autoptr(GPtrArray) warnings = g_ptr_array_new_with_free_func(g_free);
  gboolean has_password = FALSE;
  for (size_t i = 0; i < cameras->len; i++)
    has_password |= ((HwCameraConfig *)cameras->pdata[i])->password != NULL;
  GStatBuf st;
  if (has_password && g_stat(path, &st) == 0 && (st.st_mode & S_IROTH))
    g_ptr_array_add(warnings, g_strdup_printf("%s: readable by every user but holds camera "
                                              "passwords; chmod o-r it",
                                              path));
  if (c->http_tls_key && g_stat(c->http_tls_key, &st) == 0 && (st.st_mode & S_IROTH))
    g_ptr_array_add(warnings, g_strdup_printf("%s: the TLS private key is readable by every user; "
                                              "chmod o-r it",
                                              c->http_tls_key));
  g_ptr_array_add(warnings, NULL);
  c->warnings = (char **)g_ptr_array_free(g_steal_pointer(&warnings), FALSE);

  c->n_cameras = cameras->len;
  g_ptr_array_set_free_func(cameras, NULL);
  c->cameras = (HwCameraConfig **)g_ptr_array_free(g_steal_pointer(&cameras), FALSE);
  return g_steal_pointer(&c);
}

/* ---- settings the web interface may change -------------------------------------------------- */

static const HwConfigSetting settings[] = {
  {"warnings.promised_near", "bool", "true/false"},
  {"warnings.near_share", "share", "0 < x < 1"},
  {"warnings.near_days", "days", "0..365"},
  {"warnings.promised_late", "bool", "true/false"},
  {"warnings.statutory_late", "bool", "true/false"},
  {"warnings.stage_order", "bool", "true/false"},
  {"warnings.fee_above_standard", "bool", "true/false"},
  {"warnings.rejection_without_reason", "bool", "true/false"},
  {"warnings.stage_long", "bool", "true/false"},
  {"warnings.stage_long_days", "days", "1..365"},
  {"warnings.complaint", "bool", "true/false"},
  {"warnings.hold_pre", "duration", "1ms..1h"},
  {"warnings.hold_post", "duration", "1ms..1h"},
  {"retention.days", "days", "0..36500"},
  {"retention.bytes", "size", ">= 0"},
  {"retention.min_free", "size", ">= 0"},
};

const HwConfigSetting *hw_config_settings(size_t *ret_n)
{
  *ret_n = G_N_ELEMENTS(settings);
  return settings;
}

const HwConfigSetting *hw_config_setting_find(const char *name)
{
  for (size_t i = 0; name && i < G_N_ELEMENTS(settings); i++)
    if (strcmp(settings[i].name, name) == 0)
      return &settings[i];
  return NULL;
}

gboolean hw_config_overlay(HwConfig *config, const char *origin, const char *const *names,
                           const char *const *values, size_t n, GError **error)
{
  g_return_val_if_fail(config != NULL && origin != NULL, FALSE);
  g_auto(Scan) s = {
    .path = origin,
    .kf = g_key_file_new(),
    .section_lines = g_hash_table_new(g_str_hash, g_str_equal),
    .key_lines = g_hash_table_new_full(g_str_hash, g_str_equal, g_free, NULL),
    .sections = g_ptr_array_new_with_free_func(g_free),
  };
  for (size_t i = 0; i < n; i++) {
    const char *dot = strchr(names[i], '.');
    if (hw_config_setting_find(names[i]) == NULL || dot == NULL) {
      g_set_error(error, HW_CONFIG_ERROR, HW_CONFIG_ERROR_UNKNOWN,
                  "%s: %s: not a setting the interface may change", origin, names[i]);
      return FALSE;
    }
    g_autofree char *section = g_strndup(names[i], (gsize)(dot - names[i]));
    /* set_value, not set_string: the value is taken as the file's text, escapes and all */
    g_key_file_set_value(s.kf, section, dot + 1, values[i]);
  }
  /* The file's own getters: absent keys keep config's values, present ones meet the same
   * syntax and limits as in hallwatch.conf. */
  return get_days(&s, "retention", "days", &config->recorder.retain_days, error) &&
         get_size(&s, "retention", "bytes", &config->recorder.retain_bytes, error) &&
         get_size(&s, "retention", "min_free", &config->recorder.min_free_bytes, error) &&
         parse_warnings(&s, &config->warning_rules, error);
}

/* n with the largest unit that divides it: units[i] is 1 << shifts[i] or a multiple. */
static char *format_units(int64_t n, const int64_t *mult, const char *const *units, size_t k)
{
  for (size_t i = 0; i < k; i++)
    if (n != 0 && mult[i] > 1 && n % mult[i] == 0)
      return g_strdup_printf("%" G_GINT64_FORMAT "%s", n / mult[i], units[i]);
  return g_strdup_printf("%" G_GINT64_FORMAT "%s", n / mult[k - 1], n ? units[k - 1] : "");
}

static char *format_duration(int64_t ns)
{
  static const int64_t mult[] = {INT64_C(3600) * HW_NS_PER_S, 60 * HW_NS_PER_S, HW_NS_PER_S,
                                 HW_NS_PER_MS};
  static const char *const units[] = {"h", "m", "s", "ms"};
  return format_units(ns, mult, units, G_N_ELEMENTS(mult));
}

static char *format_size(int64_t bytes)
{
  static const int64_t mult[] = {INT64_C(1) << 40, INT64_C(1) << 30, INT64_C(1) << 20,
                                 INT64_C(1) << 10, 1};
  static const char *const units[] = {"T", "G", "M", "K", ""};
  return format_units(bytes, mult, units, G_N_ELEMENTS(mult));
}

/* A share as the file would say it: a small fraction ("2/3") when it is one, else a decimal. */
static char *format_share(double v)
{
  for (int b = 2; b <= 12; b++)
    for (int a = 1; a < b; a++)
      if (fabs(v - (double)a / b) < 1e-9)
        return g_strdup_printf("%d/%d", a, b);
  char buf[G_ASCII_DTOSTR_BUF_SIZE];
  return g_strdup(g_ascii_formatd(buf, sizeof buf, "%.6g", v));
}

char *hw_config_setting_format(const HwConfig *config, const char *name)
{
  const HwWarningsConfig *w = &config->warning_rules;
  const struct {
    const char *key;
    const bool *on;
  } bools[] = {{"warnings.promised_near", &w->promised_near},
               {"warnings.promised_late", &w->promised_late},
               {"warnings.statutory_late", &w->statutory_late},
               {"warnings.stage_order", &w->stage_order},
               {"warnings.fee_above_standard", &w->fee_above_standard},
               {"warnings.rejection_without_reason", &w->rejection_without_reason},
               {"warnings.stage_long", &w->stage_long},
               {"warnings.complaint", &w->complaint}};
  for (size_t i = 0; i < G_N_ELEMENTS(bools); i++)
    if (strcmp(name, bools[i].key) == 0)
      return g_strdup(*bools[i].on ? "true" : "false");
  if (strcmp(name, "warnings.near_share") == 0)
    return format_share(w->near_share);
  if (strcmp(name, "warnings.near_days") == 0)
    return g_strdup_printf("%d", w->near_days);
  if (strcmp(name, "warnings.stage_long_days") == 0)
    return g_strdup_printf("%d", w->stage_long_days);
  if (strcmp(name, "warnings.hold_pre") == 0)
    return format_duration(w->hold_pre_ns);
  if (strcmp(name, "warnings.hold_post") == 0)
    return format_duration(w->hold_post_ns);
  if (strcmp(name, "retention.days") == 0)
    return g_strdup_printf("%" G_GINT64_FORMAT, config->recorder.retain_days);
  if (strcmp(name, "retention.bytes") == 0)
    return format_size(config->recorder.retain_bytes);
  if (strcmp(name, "retention.min_free") == 0)
    return format_size(config->recorder.min_free_bytes);
  return NULL;
}
