/* Coverage (covered ranges and explained gaps) and HLS playlists of byte ranges, both read from
 * the recording index only: no footage file is opened here. docs/playback.md says why HLS. */
#include "media/hw_footage.h"

#include <math.h>
#include <string.h>

G_DEFINE_QUARK(hw-footage-error-quark, hw_footage_error)

static void store_failed(GError **error, GError *e)
{
  g_set_error(error, HW_FOOTAGE_ERROR, HW_FOOTAGE_ERROR_STORE, "the index could not be read: %s",
              e ? e->message : "unknown error");
}

/* ---- coverage -------------------------------------------------------------------------------- */

typedef struct {
  GArray *covered; /* HwFootageRange */
  size_t cap;
  bool truncated;
  hw_time_ns stop_at; /* the start of the first span not taken when truncated */
} SpanWalk;

static bool on_span(int64_t file_id, hw_time_ns start, hw_time_ns end, void *user)
{
  (void)file_id;
  SpanWalk *w = user;
  if (w->covered->len > 0) {
    HwFootageRange *last = &g_array_index(w->covered, HwFootageRange, w->covered->len - 1);
    if (start <= last->to_ns + HW_FOOTAGE_JOIN_NS) {
      last->to_ns = MAX(last->to_ns, end);
      return true;
    }
    if (w->covered->len >= w->cap) {
      w->truncated = true;
      w->stop_at = start;
      return false;
    }
  }
  HwFootageRange r = {start, end};
  g_array_append_val(w->covered, r);
  return true;
}

static bool is_unexplained(const HwFootageGap *g)
{
  return strcmp(g->reason, "not_recorded") == 0;
}

/* Appends a piece of a gap, merging it with the previous one when they touch and say the same,
 * and folding slivers nothing explains (the few ms between an outage's end and the first
 * fragment after it) into their neighbour. */
static void push_gap(GArray *gaps, hw_time_ns from, hw_time_ns to, const char *reason,
                     const char *detail)
{
  if (to <= from)
    return;
  HwFootageGap g = {.from_ns = from, .to_ns = to};
  g_strlcpy(g.reason, reason, sizeof g.reason);
  g_strlcpy(g.detail, detail ? detail : "", sizeof g.detail);
  if (gaps->len > 0) {
    HwFootageGap *last = &g_array_index(gaps, HwFootageGap, gaps->len - 1);
    if (last->to_ns == from) {
      if ((strcmp(last->reason, g.reason) == 0 && strcmp(last->detail, g.detail) == 0) ||
          (is_unexplained(&g) && to - from < HW_FOOTAGE_JOIN_NS)) {
        last->to_ns = to;
        return;
      }
      if (is_unexplained(last) && last->to_ns - last->from_ns < HW_FOOTAGE_JOIN_NS) {
        g.from_ns = last->from_ns;
        *last = g;
        return;
      }
    }
  }
  g_array_append_val(gaps, g);
}

/* A piece no outage explains: expired before the end of the newest file retention deleted,
 * pending at the live edge, not recorded otherwise (before a camera's first recording too). */
static void push_unexplained(GArray *gaps, hw_time_ns from, hw_time_ns to, hw_time_ns expired,
                             hw_time_ns now)
{
  if (expired > 0 && from < expired) {
    hw_time_ns cut = MIN(to, expired);
    push_gap(gaps, from, cut, "expired", NULL);
    from = cut;
  }
  if (from >= to)
    return;
  if (to >= now - HW_FOOTAGE_PENDING_NS && now - from <= HW_FOOTAGE_PENDING_NS)
    push_gap(gaps, from, to, "pending", NULL);
  else
    push_gap(gaps, from, to, "not_recorded", NULL);
}

static hw_time_ns outage_end(const HwStoreOutage *o, hw_time_ns now)
{
  return o->end_ns == 0 ? MAX(now, o->start_ns) : o->end_ns;
}

/* Tiles the gap [a, b) with the outages o (sorted by start) that overlap it. Gaps come in time
 * order, so *lo skips for good the outages that ended before this gap: linear overall. */
static void explain_gap(GArray *gaps, hw_time_ns a, hw_time_ns b, const HwStoreOutage *o,
                        size_t n_o, size_t *lo, hw_time_ns expired, hw_time_ns now)
{
  while (*lo < n_o && outage_end(&o[*lo], now) <= a)
    (*lo)++;
  hw_time_ns c = a;
  for (size_t i = *lo; i < n_o && c < b && o[i].start_ns < b; i++) {
    hw_time_ns oend = outage_end(&o[i], now);
    if (oend <= c)
      continue;
    if (o[i].start_ns > c) {
      push_unexplained(gaps, c, o[i].start_ns, expired, now);
      c = o[i].start_ns;
    }
    hw_time_ns e = MIN(b, oend);
    push_gap(gaps, c, e, o[i].reason, o[i].detail);
    c = e;
  }
  if (c < b)
    push_unexplained(gaps, c, b, expired, now);
}

bool hw_footage_coverage(HwStore *store, const char *camera, const char *stream, hw_time_ns from,
                         hw_time_ns to, hw_time_ns now, HwFootageCoverage *ret, GError **error)
{
  g_return_val_if_fail(store && camera && stream && ret, false);
  if (from >= to) {
    g_set_error(error, HW_FOOTAGE_ERROR, HW_FOOTAGE_ERROR_RANGE, "from must be before to");
    return false;
  }
  hw_time_ns end = MIN(to, now);
  g_autoptr(GError) e = NULL;
  hw_time_ns oldest = 0, expired = 0;
  if (!hw_store_usage(store, camera, NULL, &oldest, &e) ||
      !hw_store_expired_until(store, camera, &expired, &e)) {
    store_failed(error, e);
    return false;
  }
  SpanWalk w = {g_array_new(FALSE, TRUE, sizeof(HwFootageRange)), HW_FOOTAGE_ITEMS_MAX / 2, false,
                0};
  GArray *gaps = g_array_new(FALSE, TRUE, sizeof(HwFootageGap));
  g_autofree HwStoreOutage *outages = NULL;
  size_t n_out = 0;
  if (end > from && !hw_store_file_spans(store, camera, stream, from, end, on_span, &w, &e))
    goto fail;
  if (w.truncated)
    end = w.stop_at;
  if (end > from && !hw_store_outages_in_range(store, camera, stream, from, end, &outages, &n_out,
                                               &e))
    goto fail;

  /* The spans were asked for by overlap: clip them to the range, then tile it with gaps. */
  hw_time_ns cursor = from;
  size_t lo = 0;
  for (guint i = 0; i < w.covered->len; i++) {
    HwFootageRange *r = &g_array_index(w.covered, HwFootageRange, i);
    r->from_ns = MAX(r->from_ns, from);
    r->to_ns = MIN(r->to_ns, end);
    if (r->from_ns > cursor)
      explain_gap(gaps, cursor, r->from_ns, outages, n_out, &lo, expired, now);
    cursor = MAX(cursor, r->to_ns);
  }
  if (cursor < end)
    explain_gap(gaps, cursor, end, outages, n_out, &lo, expired, now);

  /* lengths first: the order in which an initializer list is evaluated is unspecified */
  size_t n_covered = w.covered->len, n_gaps = gaps->len;
  *ret = (HwFootageCoverage){
    .n_covered = n_covered,
    .covered = (HwFootageRange *)(void *)g_array_free(w.covered, FALSE),
    .n_gaps = n_gaps,
    .gaps = (HwFootageGap *)(void *)g_array_free(gaps, FALSE),
    .to_ns = MAX(end, from),
    .oldest_ns = oldest,
    .truncated = w.truncated,
    .next_from_ns = w.truncated ? end : 0,
  };
  return true;

fail:
  store_failed(error, e);
  g_array_free(w.covered, TRUE);
  g_array_free(gaps, TRUE);
  return false;
}

void hw_footage_coverage_clear(HwFootageCoverage *c)
{
  g_clear_pointer(&c->covered, g_free);
  g_clear_pointer(&c->gaps, g_free);
  c->n_covered = c->n_gaps = 0;
}

/* ---- linking --------------------------------------------------------------------------------- */

void hw_footage_rolls_for(const HwFootageRolls *r, const char *stage, int64_t *ret_pre_ns,
                          int64_t *ret_post_ns)
{
  *ret_pre_ns = r ? r->pre_ns : HW_FOOTAGE_PRE_ROLL_DEFAULT;
  *ret_post_ns = r ? r->post_ns : HW_FOOTAGE_POST_ROLL_DEFAULT;
  for (size_t i = 0; r && i < r->n; i++)
    if (strcmp(r->stages[i].stage, stage) == 0) {
      *ret_pre_ns = r->stages[i].pre_ns;
      *ret_post_ns = r->stages[i].post_ns;
    }
}

void hw_footage_links_free(HwFootageLink *links, size_t n)
{
  for (size_t i = 0; links && i < n; i++)
    hw_footage_coverage_clear(&links[i].coverage);
  g_free(links);
}

bool hw_footage_for_window(HwStore *store, int64_t window_id, hw_time_ns from, hw_time_ns to,
                           int64_t pre_roll_ns, int64_t post_roll_ns, hw_time_ns now,
                           HwFootageLink **ret, size_t *ret_n, GError **error)
{
  g_return_val_if_fail(store && ret && ret_n, false);
  if (to < from || pre_roll_ns < 0 || post_roll_ns < 0) {
    g_set_error(error, HW_FOOTAGE_ERROR, HW_FOOTAGE_ERROR_RANGE,
                to < from ? "the interaction ends before it starts" : "a roll is negative");
    return false;
  }
  g_autoptr(GError) e = NULL;
  g_auto(GStrv) at_from = NULL, at_to = NULL;
  if (!hw_store_cameras_for_window_at(store, window_id, from, &at_from, &e) ||
      !hw_store_cameras_for_window_at(store, window_id, to, &at_to, &e)) {
    store_failed(error, e);
    return false;
  }
  /* both lists are sorted by id: merge them without duplicates */
  GArray *links = g_array_new(FALSE, TRUE, sizeof(HwFootageLink));
  size_t i = 0, j = 0;
  while (at_from[i] || at_to[j]) {
    int c = !at_from[i] ? 1 : !at_to[j] ? -1 : strcmp(at_from[i], at_to[j]);
    const char *cam = c <= 0 ? at_from[i] : at_to[j];
    HwFootageLink l = {.from_ns = from - pre_roll_ns, .to_ns = to + post_roll_ns};
    g_strlcpy(l.camera, cam, sizeof l.camera);
    if (l.to_ns <= l.from_ns)
      l.to_ns = l.from_ns + 1;
    if (!hw_footage_coverage(store, cam, "main", l.from_ns, l.to_ns, now, &l.coverage, error)) {
      hw_footage_links_free((HwFootageLink *)(void *)links->data, links->len);
      g_array_free(links, FALSE);
      return false;
    }
    g_array_append_val(links, l);
    i += c <= 0;
    j += c >= 0;
  }
  *ret_n = links->len;
  *ret = links->len ? (HwFootageLink *)(void *)g_array_free(links, FALSE)
                    : (g_array_free(links, TRUE), NULL);
  return true;
}

/* ---- playback -------------------------------------------------------------------------------- */

void hw_playlist_clear(HwPlaylist *p)
{
  g_clear_pointer(&p->text, g_free);
}

bool hw_playback_playlist(HwStore *store, const char *camera, const char *stream, hw_time_ns from,
                          hw_time_ns to, hw_time_ns start, hw_time_ns now,
                          const char *file_url_prefix, HwPlaylist *ret, GError **error)
{
  g_return_val_if_fail(store && camera && stream && file_url_prefix && ret, false);
  if (from >= to || to - from > HW_PLAYBACK_RANGE_MAX) {
    g_set_error(error, HW_FOOTAGE_ERROR, HW_FOOTAGE_ERROR_RANGE,
                from >= to ? "from must be before to" : "a playback range is at most %d hours",
                (int)(HW_PLAYBACK_RANGE_MAX / (3600 * HW_NS_PER_S)));
    return false;
  }
  start = CLAMP(start, from, to - 1);
  g_autoptr(GError) e = NULL;
  g_autofree HwStoreFile *files = NULL;
  size_t n_files = 0;
  if (!hw_store_files_in_range(store, camera, stream, from, to, &files, &n_files, &e)) {
    store_failed(error, e);
    return false;
  }

  HwPlaylist p = {0};
  g_autoptr(GString) body = g_string_new(NULL);
  double max_dur = 0, position = 0;
  bool start_found = false, independent = true;
  char when[40];
  for (size_t i = 0; i < n_files; i++) {
    g_autofree HwStoreFragment *frags = NULL;
    size_t n = 0;
    if (!hw_store_fragments_in_range(store, files[i].id, from, to, true, &frags, &n, &e)) {
      store_failed(error, e);
      return false;
    }
    if (n == 0)
      continue;
    if (p.n_files == 0) {
      p.first_ns = frags[0].start_ns;
      g_strlcpy(p.codec, files[i].codec, sizeof p.codec);
    } else {
      g_string_append(body, "#EXT-X-DISCONTINUITY\n");
    }
    p.n_files++;
    g_string_append_printf(body, "#EXT-X-MAP:URI=\"%s%" G_GINT64_FORMAT ".mp4\",BYTERANGE=\"%"
                           G_GINT64_FORMAT "@0\"\n",
                           file_url_prefix, files[i].id, files[i].init_size);
    for (size_t k = 0; k < n; k++) {
      const HwStoreFragment *f = &frags[k];
      double dur = (double)f->duration_ns / (double)HW_NS_PER_S;
      if (!start_found && start < f->start_ns + f->duration_ns) {
        /* start inside this fragment, or in the gap before it: play from its beginning */
        position += start > f->start_ns ? (double)(start - f->start_ns) / (double)HW_NS_PER_S : 0;
        p.start_offset_s = position;
        start_found = true;
      } else if (!start_found) {
        position += dur;
      }
      max_dur = MAX(max_dur, dur);
      independent &= f->keyframe_start;
      g_string_append_printf(body,
                             "#EXT-X-PROGRAM-DATE-TIME:%s\n#EXTINF:%.6f,\n#EXT-X-BYTERANGE:%"
                             G_GINT64_FORMAT "@%" G_GINT64_FORMAT "\n%s%" G_GINT64_FORMAT ".mp4\n",
                             hw_time_format(f->start_ns, when, sizeof when), dur, f->length,
                             f->offset, file_url_prefix, files[i].id);
      p.n_segments++;
      p.end_ns = f->start_ns + f->duration_ns;
    }
  }
  if (p.n_segments == 0) {
    g_set_error(error, HW_FOOTAGE_ERROR, HW_FOOTAGE_ERROR_NO_FOOTAGE,
                "no footage of %s (%s) in this range", camera, stream);
    return false;
  }
  if (!start_found)
    p.start_offset_s = position; /* start after the last footage: its end */
  /* Nothing more will come into the range once it lies in the past, or once the stream's
   * indexed footage already reaches past its end. */
  hw_time_ns last_end = 0;
  if (!hw_store_last_end(store, camera, stream, &last_end, &e)) {
    store_failed(error, e);
    return false;
  }
  p.complete = to <= now - HW_FOOTAGE_PENDING_NS || last_end >= to;

  GString *text = g_string_new("#EXTM3U\n#EXT-X-VERSION:7\n");
  g_string_append_printf(text, "#EXT-X-TARGETDURATION:%d\n", MAX(2, (int)ceil(max_dur)));
  g_string_append(text, "#EXT-X-MEDIA-SEQUENCE:0\n#EXT-X-DISCONTINUITY-SEQUENCE:0\n");
  g_string_append_printf(text, "#EXT-X-PLAYLIST-TYPE:%s\n", p.complete ? "VOD" : "EVENT");
  if (independent)
    g_string_append(text, "#EXT-X-INDEPENDENT-SEGMENTS\n");
  g_string_append_printf(text, "#EXT-X-START:TIME-OFFSET=%.3f,PRECISE=YES\n", p.start_offset_s);
  g_string_append_len(text, body->str, (gssize)body->len);
  if (p.complete)
    g_string_append(text, "#EXT-X-ENDLIST\n");
  p.text = g_string_free(text, FALSE);
  *ret = p;
  return true;
}

/* The codec of the first file of camera/stream overlapping [from, to), "" if none. */
static bool first_codec(HwStore *store, const char *camera, const char *stream, hw_time_ns from,
                        hw_time_ns to, char ret[16], GError **error)
{
  g_autofree HwStoreFile *files = NULL;
  size_t n = 0;
  g_autoptr(GError) e = NULL;
  if (!hw_store_files_in_range(store, camera, stream, from, to, &files, &n, &e)) {
    store_failed(error, e);
    return false;
  }
  g_strlcpy(ret, n > 0 ? files[0].codec : "", 16);
  return true;
}

bool hw_playback_choose_stream(HwStore *store, const char *camera, hw_time_ns from, hw_time_ns to,
                               const char **ret, GError **error)
{
  g_return_val_if_fail(store && camera && ret, false);
  char main_codec[16], sub_codec[16];
  if (!first_codec(store, camera, "main", from, to, main_codec, error))
    return false;
  *ret = "main";
  if (strcmp(main_codec, "h265") != 0)
    return true;
  if (!first_codec(store, camera, "sub", from, to, sub_codec, error))
    return false;
  if (strcmp(sub_codec, "h264") == 0)
    *ret = "sub";
  return true;
}
