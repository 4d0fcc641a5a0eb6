/* media.footage.*: coverage and playlists from a real index (SQLite file in a temporary folder),
 * and web.range.*: the HTTP Range parser. No daemon, no sockets: these run under valgrind too. */
#include <glib.h>
#include <glib/gstdio.h>
#include <string.h>

#include "media/hw_footage.h"
#include "web/internal.h"

#define S HW_NS_PER_S
#define MS HW_NS_PER_MS
static const hw_time_ns B = INT64_C(1800000000) * S; /* an arbitrary base instant */

typedef struct {
  char *dir, *path;
  HwStore *store;
  int n_files;
} Fx;

static void fx_set_up(Fx *fx, gconstpointer data)
{
  (void)data;
  fx->dir = g_dir_make_tmp("hw-footage-XXXXXX", NULL);
  fx->path = g_build_filename(fx->dir, "index.db", NULL);
  g_autoptr(GError) e = NULL;
  fx->store = hw_store_open(fx->path, &e);
  g_assert_no_error(e);
}

static void fx_tear_down(Fx *fx, gconstpointer data)
{
  (void)data;
  hw_store_close(fx->store);
  g_autofree char *wal = g_strconcat(fx->path, "-wal", NULL), *shm = g_strconcat(fx->path, "-shm", NULL);
  g_unlink(wal);
  g_unlink(shm);
  g_unlink(fx->path);
  g_rmdir(fx->dir);
  g_free(fx->path);
  g_free(fx->dir);
}

/* A file of camera "c" from start with n fragments of dur each (the first `nonkey` of them after
 * the first do not start on a keyframe); returns its id. */
static int64_t add_file_of(Fx *fx, const char *stream, const char *codec, hw_time_ns start, int n,
                           int64_t dur, int nonkey);

static int64_t add_file(Fx *fx, hw_time_ns start, int n, int64_t dur, int nonkey)
{
  return add_file_of(fx, "main", "h264", start, n, dur, nonkey);
}

static int64_t add_file_of(Fx *fx, const char *stream, const char *codec, hw_time_ns start, int n,
                           int64_t dur, int nonkey)
{
  HwStoreFile f = {.width = 320, .height = 240, .start_ns = start, .init_size = 700, .run_id = 1};
  g_strlcpy(f.camera, "c", sizeof f.camera);
  g_strlcpy(f.stream, stream, sizeof f.stream);
  g_snprintf(f.path, sizeof f.path, "c/%d-%s.mp4", fx->n_files++, stream);
  g_strlcpy(f.codec, codec, sizeof f.codec);
  g_strlcpy(f.clock_mode, "local", sizeof f.clock_mode);
  int64_t id = 0;
  g_autoptr(GError) e = NULL;
  g_assert_true(hw_store_file_insert(fx->store, &f, &id, &e));
  g_autofree HwStoreFragment *frags = g_new0(HwStoreFragment, n);
  int64_t off = 700;
  for (int i = 0; i < n; i++) {
    frags[i] = (HwStoreFragment){.file_id = id, .seq = i, .offset = off, .length = 1000 + i,
                                 .start_ns = start + i * dur, .duration_ns = dur, .frames = 25,
                                 .keyframe_start = !(i >= 1 && i <= nonkey)};
    off += frags[i].length;
  }
  g_assert_true(hw_store_fragments_append(fx->store, frags, (size_t)n, &e));
  g_assert_no_error(e);
  return id;
}

static void outage(Fx *fx, hw_time_ns from, hw_time_ns to, HwOutageReason r)
{
  int64_t id;
  g_assert_true(hw_store_outage_open(fx->store, "c", "main", from, r, "why", &id, NULL));
  if (to)
    g_assert_true(hw_store_outage_close(fx->store, id, to, NULL));
}

/* The coverage of [from, to) at now as text: "+a-b" for covered, "reason:a-b" for gaps, seconds
 * after B, so a whole answer is checked in one comparison. */
static char *coverage_text(Fx *fx, hw_time_ns from, hw_time_ns to, hw_time_ns now)
{
  HwFootageCoverage c;
  g_autoptr(GError) e = NULL;
  g_assert_true(hw_footage_coverage(fx->store, "c", "main", from, to, now, &c, &e));
  GString *s = g_string_new(NULL);
  size_t i = 0, j = 0;
  while (i < c.n_covered || j < c.n_gaps) {
    bool cov = j >= c.n_gaps || (i < c.n_covered && c.covered[i].from_ns < c.gaps[j].from_ns);
    hw_time_ns a = cov ? c.covered[i].from_ns : c.gaps[j].from_ns;
    hw_time_ns b = cov ? c.covered[i].to_ns : c.gaps[j].to_ns;
    g_string_append_printf(s, "%s%s:%g-%g", s->len ? " " : "", cov ? "+" : c.gaps[j].reason,
                           (double)(a - B) / S, (double)(b - B) / S);
    cov ? i++ : j++;
  }
  if (c.truncated)
    g_string_append_printf(s, " …%g", (double)(c.next_from_ns - B) / S);
  hw_footage_coverage_clear(&c);
  return g_string_free(s, FALSE);
}

static void test_coverage_reasons(Fx *fx, gconstpointer data)
{
  (void)data;
  add_file(fx, B, 5, 2 * S, 0);                        /* 0-10: retention deletes it below */
  int64_t first = add_file(fx, B + 10 * S, 5, 2 * S, 0); /* 10-20 */
  add_file(fx, B + 20 * S + 3 * MS, 5, 2 * S, 0);      /* 20-30, a new file of the same run */
  outage(fx, B + 30 * S, B + 40 * S - 50 * MS, HW_OUTAGE_CAMERA_UNREACHABLE);
  add_file(fx, B + 40 * S, 5, 2 * S, 0);               /* 40-50 */
  /* 50-60: nothing says why */
  outage(fx, B + 60 * S, B + 70 * S, HW_OUTAGE_DAEMON_DOWN);
  add_file(fx, B + 70 * S, 5, 2 * S, 0);               /* 70-80 */
  outage(fx, B + 80 * S, 0, HW_OUTAGE_STREAM_STALLED); /* still open */

  /* before the camera's first file nothing expired: it was not recorded */
  g_autofree char *before = coverage_text(fx, B - 10 * S, B + 5 * S, B + 100 * S);
  g_assert_cmpstr(before, ==, "not_recorded:-10-0 +:0-5");
  /* retention deletes the first file (hw_store_file_expire): up to its end the footage expired */
  g_autoptr(GError) ee = NULL;
  HwStoreFile oldest;
  g_assert_true(hw_store_file_get(fx->store, first - 1, &oldest, &ee));
  g_assert_true(hw_store_file_expire(fx->store, oldest.id, &ee));
  g_assert_no_error(ee);
  g_autofree char *all = coverage_text(fx, B - 10 * S, B + 100 * S, B + 100 * S);
  g_assert_cmpstr(all, ==, "expired:-10-10 +:10-30.003 camera_unreachable:30.003-40 +:40-50 "
                           "not_recorded:50-60 daemon_down:60-70 +:70-80 stream_stalled:80-100");
  /* the file and its row went together; an unknown id changes nothing */
  g_assert_false(hw_store_file_expire(fx->store, oldest.id, &ee));
  g_assert_error(ee, HW_STORE_ERROR, HW_STORE_ERROR_NOT_FOUND);
  hw_time_ns until = 0;
  g_assert_true(hw_store_expired_until(fx->store, "c", &until, NULL));
  g_assert_cmpint(until, ==, B + 10 * S);
  /* a range in the middle of a file is clipped to it */
  g_autofree char *mid = coverage_text(fx, B + 15 * S, B + 45 * S, B + 100 * S);
  g_assert_cmpstr(mid, ==, "+:15-30.003 camera_unreachable:30.003-40 +:40-45");
  /* the live edge: the end of a range reaching now is "pending", a future end is cut at now */
  g_autofree char *live = coverage_text(fx, B + 75 * S, B + 200 * S, B + 84 * S);
  g_assert_cmpstr(live, ==, "+:75-80 stream_stalled:80-84");
  g_autofree char *pending = coverage_text(fx, B + 75 * S, B + 200 * S, B + 83 * S);
  g_assert_cmpstr(pending, ==, "+:75-80 stream_stalled:80-83");
  HwFootageCoverage c;
  g_autoptr(GError) e = NULL;
  g_assert_false(hw_footage_coverage(fx->store, "c", "main", B + 5 * S, B + 5 * S, B, &c, &e));
  g_assert_error(e, HW_FOOTAGE_ERROR, HW_FOOTAGE_ERROR_RANGE);
}

static void test_coverage_pending_and_unknown(Fx *fx, gconstpointer data)
{
  (void)data;
  add_file(fx, B + 10 * S, 5, 2 * S, 0); /* 10-20, the index's last fragment */
  g_autofree char *p = coverage_text(fx, B + 10 * S, B + 30 * S, B + 23 * S);
  g_assert_cmpstr(p, ==, "+:10-20 pending:20-23");
  g_autofree char *n = coverage_text(fx, B + 10 * S, B + 30 * S, B + 40 * S);
  g_assert_cmpstr(n, ==, "+:10-20 not_recorded:20-30");
  /* a camera with no footage at all: nothing expired, nothing covered */
  HwFootageCoverage c;
  g_assert_true(hw_footage_coverage(fx->store, "nobody", "main", B, B + S, B + 10 * S, &c, NULL));
  g_assert_cmpuint(c.n_covered, ==, 0);
  g_assert_cmpuint(c.n_gaps, ==, 1);
  g_assert_cmpstr(c.gaps[0].reason, ==, "not_recorded");
  hw_footage_coverage_clear(&c);
}

static void test_coverage_bounded(Fx *fx, gconstpointer data)
{
  (void)data;
  /* more separate pieces than one answer holds: it stops and says where to go on */
  g_assert_true(hw_store_begin(fx->store, NULL));
  for (int i = 0; i < HW_FOOTAGE_ITEMS_MAX / 2 + 10; i++)
    add_file(fx, B + i * 2 * S, 1, S, 0);
  g_assert_true(hw_store_commit(fx->store, NULL));
  HwFootageCoverage c;
  g_assert_true(hw_footage_coverage(fx->store, "c", "main", B, B + 100000 * S, B + 100000 * S, &c,
                                    NULL));
  g_assert_true(c.truncated);
  g_assert_cmpuint(c.n_covered, ==, HW_FOOTAGE_ITEMS_MAX / 2);
  g_assert_cmpuint(c.n_covered + c.n_gaps, <=, HW_FOOTAGE_ITEMS_MAX);
  g_assert_cmpint(c.next_from_ns, ==, B + (HW_FOOTAGE_ITEMS_MAX / 2) * 2 * S);
  g_assert_cmpint(c.gaps[c.n_gaps - 1].to_ns, ==, c.next_from_ns);
  hw_footage_coverage_clear(&c);
}

static int count(const char *text, const char *needle)
{
  int n = 0;
  for (const char *p = text; (p = strstr(p, needle)) != NULL; p += strlen(needle))
    n++;
  return n;
}

static void test_playlist_structure(Fx *fx, gconstpointer data)
{
  (void)data;
  int64_t f1 = add_file(fx, B + 10 * S, 5, 2 * S, 0); /* 10-20 */
  int64_t f2 = add_file(fx, B + 30 * S, 5, 2 * S, 0); /* 30-40, after a gap */
  HwPlaylist p;
  g_autoptr(GError) e = NULL;
  /* from 13 s: the fragment at 12 s (its keyframe) opens the playlist; start 33.5 s is 1.5 s
   * into the second file's second fragment: after 4 fragments of the first file and 1 of the
   * second, 2 s each (the gap takes no time) */
  g_assert_true(hw_playback_playlist(fx->store, "c", "main", B + 13 * S, B + 35 * S,
                                     B + 33 * S + 500 * MS, B + 100 * S, "/p/x/", &p, &e));
  g_assert_no_error(e);
  g_assert_cmpuint(p.n_files, ==, 2);
  g_assert_cmpuint(p.n_segments, ==, 7);
  g_assert_cmpint(p.first_ns, ==, B + 12 * S);
  g_assert_cmpint(p.end_ns, ==, B + 36 * S);
  g_assert_true(p.complete);
  g_assert_cmpfloat_with_epsilon(p.start_offset_s, 11.5, 1e-9);
  g_assert_true(g_str_has_prefix(p.text, "#EXTM3U\n#EXT-X-VERSION:7\n#EXT-X-TARGETDURATION:2\n"));
  g_assert_nonnull(strstr(p.text, "#EXT-X-PLAYLIST-TYPE:VOD\n"));
  g_assert_nonnull(strstr(p.text, "#EXT-X-START:TIME-OFFSET=11.500,PRECISE=YES\n"));
  g_autofree char *map1 = g_strdup_printf("#EXT-X-MAP:URI=\"/p/x/%" G_GINT64_FORMAT ".mp4\",BYTERANGE=\"700@0\"\n", f1);
  g_autofree char *map2 = g_strdup_printf("#EXT-X-DISCONTINUITY\n#EXT-X-MAP:URI=\"/p/x/%" G_GINT64_FORMAT ".mp4\"", f2);
  g_assert_nonnull(strstr(p.text, map1));
  g_assert_nonnull(strstr(p.text, map2));
  /* the first segment: the fragment at 12 s, seq 1, at byte 700 + 1000 */
  g_autofree char *seg1 = g_strdup_printf(
    "#EXT-X-PROGRAM-DATE-TIME:2027-01-15T08:00:12.000Z\n#EXTINF:2.000000,\n"
    "#EXT-X-BYTERANGE:1001@1700\n/p/x/%" G_GINT64_FORMAT ".mp4\n", f1);
  g_assert_nonnull(strstr(p.text, seg1));
  g_assert_cmpint(count(p.text, "#EXTINF:"), ==, 7);
  g_assert_cmpint(count(p.text, "#EXT-X-BYTERANGE:"), ==, 7);
  g_assert_cmpint(count(p.text, "#EXT-X-PROGRAM-DATE-TIME:"), ==, 7);
  g_assert_cmpint(count(p.text, "#EXT-X-DISCONTINUITY\n"), ==, 1);
  g_assert_true(g_str_has_suffix(p.text, "#EXT-X-ENDLIST\n"));
  hw_playlist_clear(&p);

  /* a range the footage has not reached yet: an EVENT playlist the player reloads */
  g_assert_true(hw_playback_playlist(fx->store, "c", "main", B + 35 * S, B + 60 * S, B + 35 * S,
                                     B + 41 * S, "/p/x/", &p, NULL));
  g_assert_false(p.complete);
  g_assert_nonnull(strstr(p.text, "#EXT-X-PLAYLIST-TYPE:EVENT\n"));
  g_assert_null(strstr(p.text, "#EXT-X-ENDLIST"));
  hw_playlist_clear(&p);

  /* nothing in the gap; a range too long; an empty range */
  g_clear_error(&e);
  g_assert_false(hw_playback_playlist(fx->store, "c", "main", B + 21 * S, B + 29 * S, B + 21 * S,
                                      B + 100 * S, "/p/x/", &p, &e));
  g_assert_error(e, HW_FOOTAGE_ERROR, HW_FOOTAGE_ERROR_NO_FOOTAGE);
  g_clear_error(&e);
  g_assert_false(hw_playback_playlist(fx->store, "c", "main", B, B + HW_PLAYBACK_RANGE_MAX + 1, B,
                                      B, "/p/x/", &p, &e));
  g_assert_error(e, HW_FOOTAGE_ERROR, HW_FOOTAGE_ERROR_RANGE);
}

static void test_playlist_keyframe_before(Fx *fx, gconstpointer data)
{
  (void)data;
  /* a GOP longer than a fragment: fragments 1 and 2 do not start on a keyframe */
  add_file(fx, B, 5, 2 * S, 2);
  HwPlaylist p;
  g_assert_true(hw_playback_playlist(fx->store, "c", "main", B + 5 * S, B + 6 * S, B + 5 * S,
                                     B + 100 * S, "/p/", &p, NULL));
  g_assert_cmpint(p.first_ns, ==, B); /* back to fragment 0, the keyframe fragment 2 needs */
  g_assert_cmpuint(p.n_segments, ==, 3);
  g_assert_cmpfloat_with_epsilon(p.start_offset_s, 5.0, 1e-9);
  g_assert_null(strstr(p.text, "#EXT-X-INDEPENDENT-SEGMENTS"));
  hw_playlist_clear(&p);
}

static void test_window_links(Fx *fx, gconstpointer data)
{
  (void)data;
  HwStoreHall hall = {.code = "h1", .name = "Hall 1"};
  g_assert_true(hw_store_hall_add(fx->store, &hall, NULL));
  HwStoreWindow w = {.hall = "h1", .code = "7", .name = "Window 7", .departments = "[]"};
  int64_t wid = 0;
  g_autoptr(GError) e = NULL;
  g_assert_true(hw_store_window_add(fx->store, &w, &wid, &e));
  const char *first[] = {"c"}, *second[] = {"d"};
  g_assert_true(hw_store_window_set_cameras(fx->store, wid, first, 1, B, &e));
  g_assert_true(hw_store_window_set_cameras(fx->store, wid, second, 1, B + 50 * S, &e));
  add_file(fx, B, 50, 2 * S, 0); /* camera c recorded 0-100 s */

  /* an interaction from 45 s to 55 s: c covered the window at its start, d at its end */
  HwFootageLink *links = NULL;
  size_t n = 0;
  g_assert_true(hw_footage_for_window(fx->store, wid, B + 45 * S, B + 55 * S,
                                      HW_FOOTAGE_PRE_ROLL_DEFAULT, HW_FOOTAGE_POST_ROLL_DEFAULT,
                                      B + 1000 * S, &links, &n, &e));
  g_assert_no_error(e);
  g_assert_cmpuint(n, ==, 2);
  g_assert_cmpstr(links[0].camera, ==, "c");
  g_assert_cmpstr(links[1].camera, ==, "d");
  g_assert_cmpint(links[0].from_ns, ==, B + 15 * S);
  g_assert_cmpint(links[0].to_ns, ==, B + 175 * S);
  g_assert_cmpuint(links[0].coverage.n_covered, ==, 1);
  g_assert_cmpint(links[0].coverage.covered[0].to_ns, ==, B + 100 * S);
  g_assert_cmpstr(links[0].coverage.gaps[0].reason, ==, "not_recorded");
  g_assert_cmpuint(links[1].coverage.n_covered, ==, 0); /* d never recorded: said, not hidden */
  hw_footage_links_free(links, n);

  /* a single event (an evaluation press) at 60 s: only d */
  g_assert_true(hw_footage_for_window(fx->store, wid, B + 60 * S, B + 60 * S, 0, 0, B + 1000 * S,
                                      &links, &n, &e));
  g_assert_cmpuint(n, ==, 1);
  g_assert_cmpstr(links[0].camera, ==, "d");
  hw_footage_links_free(links, n);
  /* before any mapping: no camera */
  g_assert_true(hw_footage_for_window(fx->store, wid, B - 10 * S, B - 5 * S, 0, 0, B, &links, &n,
                                      &e));
  g_assert_cmpuint(n, ==, 0);
  g_assert_null(links);
  g_assert_false(hw_footage_for_window(fx->store, wid, B, B - 1, 0, 0, B, &links, &n, &e));
  g_assert_error(e, HW_FOOTAGE_ERROR, HW_FOOTAGE_ERROR_RANGE);
}

static void test_choose_stream(Fx *fx, gconstpointer data)
{
  (void)data;
  add_file_of(fx, "main", "h264", B, 5, 2 * S, 0);        /* 0-10: H.264 main */
  add_file_of(fx, "main", "h265", B + 10 * S, 5, 2 * S, 0); /* 10-20: H.265 main */
  add_file_of(fx, "sub", "h264", B + 10 * S, 5, 2 * S, 0);  /* with an H.264 sub-stream */
  add_file_of(fx, "main", "h265", B + 20 * S, 5, 2 * S, 0); /* 20-30: H.265 main, no sub */
  const char *st = NULL;
  g_assert_true(hw_playback_choose_stream(fx->store, "c", B, B + 5 * S, &st, NULL));
  g_assert_cmpstr(st, ==, "main");
  g_assert_true(hw_playback_choose_stream(fx->store, "c", B + 11 * S, B + 15 * S, &st, NULL));
  g_assert_cmpstr(st, ==, "sub");
  g_assert_true(hw_playback_choose_stream(fx->store, "c", B + 21 * S, B + 25 * S, &st, NULL));
  g_assert_cmpstr(st, ==, "main"); /* nothing better: the main stream, and the page says so */
}

/* ---- HTTP Range ------------------------------------------------------------------------------ */

static void test_range(void)
{
  static const struct {
    const char *header;
    uint64_t size;
    HwRangeResult result;
    uint64_t first, len;
  } cases[] = {
    {NULL, 100, HW_RANGE_NONE, 0, 0},
    {"bytes=0-0", 100, HW_RANGE_OK, 0, 1},              /* first byte */
    {"bytes=40-59", 100, HW_RANGE_OK, 40, 20},          /* middle */
    {"bytes=99-99", 100, HW_RANGE_OK, 99, 1},           /* last byte */
    {"bytes=90-", 100, HW_RANGE_OK, 90, 10},            /* open end */
    {"bytes=-10", 100, HW_RANGE_OK, 90, 10},            /* suffix */
    {"bytes=-1000", 100, HW_RANGE_OK, 0, 100},          /* suffix longer than the resource */
    {"bytes=95-1000", 100, HW_RANGE_OK, 95, 5},         /* past the end: cut */
    {" BYTES=0-1 ", 100, HW_RANGE_OK, 0, 2},            /* case and blanks */
    {"bytes=100-", 100, HW_RANGE_UNSATISFIABLE, 0, 0},  /* starts at the end */
    {"bytes=200-300", 100, HW_RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=-0", 100, HW_RANGE_UNSATISFIABLE, 0, 0},
    {"bytes=0-", 0, HW_RANGE_UNSATISFIABLE, 0, 0},      /* empty resource */
    {"bytes=5-2", 100, HW_RANGE_INVALID, 0, 0},
    {"bytes=abc", 100, HW_RANGE_INVALID, 0, 0},
    {"bytes=1-2x", 100, HW_RANGE_INVALID, 0, 0},
    {"bytes=-", 100, HW_RANGE_INVALID, 0, 0},
    {"bytes=99999999999999999999-", 100, HW_RANGE_INVALID, 0, 0}, /* overflow */
    {"bytes=0-1,5-6", 100, HW_RANGE_NONE, 0, 0},        /* several: the whole resource */
    {"items=0-1", 100, HW_RANGE_NONE, 0, 0},            /* another unit: ignored */
  };
  for (size_t i = 0; i < G_N_ELEMENTS(cases); i++) {
    uint64_t first = 0, len = 0;
    HwRangeResult r = hw_web_parse_range(cases[i].header, cases[i].size, &first, &len);
    g_test_message("%s", cases[i].header ? cases[i].header : "(none)");
    g_assert_cmpint(r, ==, cases[i].result);
    if (r == HW_RANGE_OK) {
      g_assert_cmpuint(first, ==, cases[i].first);
      g_assert_cmpuint(len, ==, cases[i].len);
    }
  }
}

int main(int argc, char **argv)
{
  g_test_init(&argc, &argv, NULL);
#define ADD(name, fn) g_test_add(name, Fx, NULL, fx_set_up, fn, fx_tear_down)
  ADD("/media/footage/coverage-reasons", test_coverage_reasons);
  ADD("/media/footage/coverage-pending-and-unknown", test_coverage_pending_and_unknown);
  ADD("/media/footage/coverage-bounded", test_coverage_bounded);
  ADD("/media/footage/playlist-structure", test_playlist_structure);
  ADD("/media/footage/playlist-keyframe-before", test_playlist_keyframe_before);
  ADD("/media/footage/window-links", test_window_links);
  ADD("/media/footage/choose-stream", test_choose_stream);
  g_test_add_func("/web/range/parse", test_range);
  return g_test_run();
}
