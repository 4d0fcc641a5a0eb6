/* The fMP4 box writer and the scanner that reads recordings back (recovery, re-indexing).
 * Boxes follow ISO/IEC 14496-12; avcC/hvcC come verbatim from the parsers' codec_data. */
#include "capture/hw_fmp4.h"

#include <errno.h>
#include <string.h>
#include <unistd.h>

/* ---- big-endian writers ---------------------------------------------------------------------- */

static void put8(GByteArray *b, uint8_t v) { g_byte_array_append(b, &v, 1); }

static void put16(GByteArray *b, uint16_t v)
{
  uint8_t x[2] = {v >> 8, v & 0xff};
  g_byte_array_append(b, x, 2);
}

static void put24(GByteArray *b, uint32_t v)
{
  uint8_t x[3] = {(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff};
  g_byte_array_append(b, x, 3);
}

static void put32(GByteArray *b, uint32_t v)
{
  uint8_t x[4] = {v >> 24, (v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff};
  g_byte_array_append(b, x, 4);
}

static void put64(GByteArray *b, uint64_t v)
{
  put32(b, (uint32_t)(v >> 32));
  put32(b, (uint32_t)v);
}

static void putn(GByteArray *b, const void *p, size_t n) { g_byte_array_append(b, p, (guint)n); }

static void put_zeros(GByteArray *b, size_t n)
{
  static const uint8_t z[64];
  while (n > 0) {
    size_t k = MIN(n, sizeof z);
    g_byte_array_append(b, z, (guint)k);
    n -= k;
  }
}

static void patch32(GByteArray *b, size_t at, uint32_t v)
{
  b->data[at] = v >> 24;
  b->data[at + 1] = (v >> 16) & 0xff;
  b->data[at + 2] = (v >> 8) & 0xff;
  b->data[at + 3] = v & 0xff;
}

/* Opens a box: writes a placeholder size and the type; box_end patches the size. */
static size_t box_begin(GByteArray *b, const char type[4])
{
  size_t at = b->len;
  put32(b, 0);
  putn(b, type, 4);
  return at;
}

static size_t fullbox_begin(GByteArray *b, const char type[4], uint8_t version, uint32_t flags)
{
  size_t at = box_begin(b, type);
  put8(b, version);
  put24(b, flags);
  return at;
}

static void box_end(GByteArray *b, size_t at) { patch32(b, at, (uint32_t)(b->len - at)); }

static const uint32_t unity_matrix[9] = {0x00010000, 0, 0, 0, 0x00010000, 0, 0, 0, 0x40000000};

static void put_matrix(GByteArray *b)
{
  for (int i = 0; i < 9; i++)
    put32(b, unity_matrix[i]);
}

/* ---- init segment ---------------------------------------------------------------------------- */

static void write_dinf(GByteArray *b)
{
  size_t dinf = box_begin(b, "dinf");
  size_t dref = fullbox_begin(b, "dref", 0, 0);
  put32(b, 1);
  size_t url = fullbox_begin(b, "url ", 0, 1); /* flag 1: media is in this file */
  box_end(b, url);
  box_end(b, dref);
  box_end(b, dinf);
}

static void write_empty_tables(GByteArray *b)
{
  size_t x = fullbox_begin(b, "stts", 0, 0);
  put32(b, 0);
  box_end(b, x);
  x = fullbox_begin(b, "stsc", 0, 0);
  put32(b, 0);
  box_end(b, x);
  x = fullbox_begin(b, "stsz", 0, 0);
  put32(b, 0);
  put32(b, 0);
  box_end(b, x);
  x = fullbox_begin(b, "stco", 0, 0);
  put32(b, 0);
  box_end(b, x);
}

static void write_tkhd(GByteArray *b, uint32_t track, bool audio, int width, int height)
{
  size_t x = fullbox_begin(b, "tkhd", 0, 0x7); /* enabled, in movie, in preview */
  put32(b, 0);                                   /* creation */
  put32(b, 0);                                   /* modification */
  put32(b, track);
  put32(b, 0); /* reserved */
  put32(b, 0); /* duration: fragments carry it */
  put_zeros(b, 8);
  put16(b, 0);                  /* layer */
  put16(b, audio ? 1 : 0);      /* alternate group */
  put16(b, audio ? 0x0100 : 0); /* volume */
  put16(b, 0);
  put_matrix(b);
  put32(b, audio ? 0 : (uint32_t)width << 16);
  put32(b, audio ? 0 : (uint32_t)height << 16);
  box_end(b, x);
}

static void write_mdhd_hdlr(GByteArray *b, uint32_t timescale, bool audio)
{
  size_t x = fullbox_begin(b, "mdhd", 0, 0);
  put32(b, 0);
  put32(b, 0);
  put32(b, timescale);
  put32(b, 0);
  put16(b, 0x55c4); /* language "und" */
  put16(b, 0);
  box_end(b, x);
  x = fullbox_begin(b, "hdlr", 0, 0);
  put32(b, 0);
  putn(b, audio ? "soun" : "vide", 4);
  put_zeros(b, 12);
  const char *name = audio ? "HallWatch audio" : "HallWatch video";
  putn(b, name, strlen(name) + 1);
  box_end(b, x);
}

static void write_video_entry(GByteArray *b, const HwFmp4Tracks *t, bool h265)
{
  size_t x = box_begin(b, h265 ? "hvc1" : "avc1");
  put_zeros(b, 6);
  put16(b, 1); /* data reference index */
  put_zeros(b, 16);
  put16(b, (uint16_t)t->width);
  put16(b, (uint16_t)t->height);
  put32(b, 0x00480000); /* 72 dpi */
  put32(b, 0x00480000);
  put32(b, 0);
  put16(b, 1); /* frame count */
  put_zeros(b, 32); /* compressor name */
  put16(b, 0x0018);
  put16(b, 0xffff);
  size_t c = box_begin(b, h265 ? "hvcC" : "avcC");
  putn(b, t->codec_data, t->codec_data_len);
  box_end(b, c);
  box_end(b, x);
}

/* MPEG-4 descriptor length, always in the 4-byte form that every reader accepts. */
static void put_desc_len(GByteArray *b, uint32_t len)
{
  put8(b, 0x80 | ((len >> 21) & 0x7f));
  put8(b, 0x80 | ((len >> 14) & 0x7f));
  put8(b, 0x80 | ((len >> 7) & 0x7f));
  put8(b, len & 0x7f);
}

static void write_audio_entry(GByteArray *b, const HwFmp4Tracks *t)
{
  size_t x = box_begin(b, "mp4a");
  put_zeros(b, 6);
  put16(b, 1);
  put_zeros(b, 8);
  put16(b, (uint16_t)t->audio_channels);
  put16(b, 16);
  put16(b, 0);
  put16(b, 0);
  put32(b, t->audio_rate < 65536 ? t->audio_rate << 16 : 0);
  size_t e = fullbox_begin(b, "esds", 0, 0);
  uint32_t dsi = (uint32_t)t->audio_config_len;
  uint32_t dcd = 13 + 5 + dsi;
  uint32_t es = 3 + 5 + dcd + 5 + 1;
  put8(b, 0x03);
  put_desc_len(b, es);
  put16(b, HW_FMP4_AUDIO_TRACK);
  put8(b, 0);
  put8(b, 0x04);
  put_desc_len(b, dcd);
  put8(b, 0x40); /* MPEG-4 audio */
  put8(b, 0x15); /* audio stream */
  put24(b, 0);
  put32(b, 0);
  put32(b, 0);
  put8(b, 0x05);
  put_desc_len(b, dsi);
  putn(b, t->audio_config, dsi);
  put8(b, 0x06);
  put_desc_len(b, 1);
  put8(b, 0x02);
  box_end(b, e);
  box_end(b, x);
}

static void write_trak(GByteArray *b, const HwFmp4Tracks *t, bool audio, bool h265)
{
  size_t trak = box_begin(b, "trak");
  write_tkhd(b, audio ? HW_FMP4_AUDIO_TRACK : HW_FMP4_VIDEO_TRACK, audio, t->width, t->height);
  size_t mdia = box_begin(b, "mdia");
  write_mdhd_hdlr(b, audio ? t->audio_rate : HW_FMP4_VIDEO_TIMESCALE, audio);
  size_t minf = box_begin(b, "minf");
  if (audio) {
    size_t x = fullbox_begin(b, "smhd", 0, 0);
    put32(b, 0);
    box_end(b, x);
  } else {
    size_t x = fullbox_begin(b, "vmhd", 0, 1);
    put_zeros(b, 8);
    box_end(b, x);
  }
  write_dinf(b);
  size_t stbl = box_begin(b, "stbl");
  size_t stsd = fullbox_begin(b, "stsd", 0, 0);
  put32(b, 1);
  if (audio)
    write_audio_entry(b, t);
  else
    write_video_entry(b, t, h265);
  box_end(b, stsd);
  write_empty_tables(b);
  box_end(b, stbl);
  box_end(b, minf);
  box_end(b, mdia);
  box_end(b, trak);
}

static void write_trex(GByteArray *b, uint32_t track, uint32_t default_flags)
{
  size_t x = fullbox_begin(b, "trex", 0, 0);
  put32(b, track);
  put32(b, 1); /* sample description index */
  put32(b, 0);
  put32(b, 0);
  put32(b, default_flags);
  box_end(b, x);
}

#define SAMPLE_FLAGS_SYNC 0x02000000u     /* depends on no other sample */
#define SAMPLE_FLAGS_NON_SYNC 0x01010000u /* depends on others, not a sync sample */

bool hw_fmp4_write_init(GByteArray *out, const HwFmp4Tracks *t)
{
  bool h265 = strcmp(t->codec, "h265") == 0;
  if (!h265 && strcmp(t->codec, "h264") != 0)
    return false;
  if (t->codec_data == NULL || t->codec_data_len == 0 || t->width <= 0 || t->height <= 0)
    return false;
  if (t->has_audio && (t->audio_config == NULL || t->audio_rate == 0 || t->audio_channels <= 0))
    return false;

  size_t ftyp = box_begin(out, "ftyp");
  putn(out, "iso6", 4);
  put32(out, 0);
  putn(out, "iso6", 4);
  putn(out, "isom", 4);
  putn(out, "mp41", 4);
  putn(out, h265 ? "hvc1" : "avc1", 4);
  box_end(out, ftyp);

  size_t moov = box_begin(out, "moov");
  size_t mvhd = fullbox_begin(out, "mvhd", 0, 0);
  put32(out, 0);
  put32(out, 0);
  put32(out, 1000);
  put32(out, 0);
  put32(out, 0x00010000); /* rate 1.0 */
  put16(out, 0x0100);     /* volume 1.0 */
  put_zeros(out, 10);
  put_matrix(out);
  put_zeros(out, 24);
  put32(out, t->has_audio ? 3 : 2); /* next track id */
  box_end(out, mvhd);
  write_trak(out, t, false, h265);
  if (t->has_audio)
    write_trak(out, t, true, false);
  size_t mvex = box_begin(out, "mvex");
  write_trex(out, HW_FMP4_VIDEO_TRACK, SAMPLE_FLAGS_NON_SYNC);
  if (t->has_audio)
    write_trex(out, HW_FMP4_AUDIO_TRACK, SAMPLE_FLAGS_SYNC);
  box_end(out, mvex);
  box_end(out, moov);
  return true;
}

/* ---- fragments ------------------------------------------------------------------------------- */

/* Writes one traf; returns the position of trun's data_offset field for patching. */
static size_t write_traf(GByteArray *b, uint32_t track, uint64_t decode_time,
                         const HwFmp4Sample *s, size_t n, bool video)
{
  size_t traf = box_begin(b, "traf");
  size_t x = fullbox_begin(b, "tfhd", 0, 0x020000); /* default-base-is-moof */
  put32(b, track);
  box_end(b, x);
  x = fullbox_begin(b, "tfdt", 1, 0);
  put64(b, decode_time);
  box_end(b, x);

  bool has_cts = false;
  for (size_t i = 0; video && i < n; i++)
    has_cts |= s[i].cts != 0;
  uint32_t flags = 0x000001 | 0x000100 | 0x000200; /* data offset, duration, size */
  if (video)
    flags |= 0x000400; /* per-sample flags */
  if (has_cts)
    flags |= 0x000800;
  x = fullbox_begin(b, "trun", has_cts ? 1 : 0, flags);
  put32(b, (uint32_t)n);
  size_t data_offset_at = b->len;
  put32(b, 0);
  for (size_t i = 0; i < n; i++) {
    put32(b, s[i].duration);
    put32(b, s[i].size);
    if (video)
      put32(b, s[i].key ? SAMPLE_FLAGS_SYNC : SAMPLE_FLAGS_NON_SYNC);
    if (has_cts)
      put32(b, (uint32_t)s[i].cts);
  }
  box_end(b, x);
  box_end(b, traf);
  return data_offset_at;
}

void hw_fmp4_write_fragment_header(GByteArray *out, uint32_t seq, hw_time_ns wall,
                                   uint64_t video_decode_time, const HwFmp4Sample *video,
                                   size_t n_video, uint64_t audio_decode_time,
                                   const HwFmp4Sample *audio, size_t n_audio)
{
  size_t prft = fullbox_begin(out, "prft", 1, 0);
  put32(out, HW_FMP4_VIDEO_TRACK);
  put64(out, hw_time_to_ntp64(wall));
  put64(out, video_decode_time);
  box_end(out, prft);

  size_t moof = box_begin(out, "moof");
  size_t x = fullbox_begin(out, "mfhd", 0, 0);
  put32(out, seq);
  box_end(out, x);
  size_t voff = write_traf(out, HW_FMP4_VIDEO_TRACK, video_decode_time, video, n_video, true);
  size_t aoff = 0;
  if (n_audio > 0)
    aoff = write_traf(out, HW_FMP4_AUDIO_TRACK, audio_decode_time, audio, n_audio, false);
  box_end(out, moof);

  uint64_t payload = 0;
  for (size_t i = 0; i < n_video; i++)
    payload += video[i].size;
  uint64_t video_bytes = payload;
  for (size_t i = 0; i < n_audio; i++)
    payload += audio[i].size;
  size_t moof_size = out->len - moof;
  patch32(out, voff, (uint32_t)(moof_size + 8));
  if (n_audio > 0)
    patch32(out, aoff, (uint32_t)(moof_size + 8 + video_bytes));
  put32(out, (uint32_t)(payload + 8));
  putn(out, "mdat", 4);
}

/* ---- scanning -------------------------------------------------------------------------------- */

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] << 24 | p[1] << 16 | p[2] << 8 | p[3]; }
static uint64_t rd64(const uint8_t *p) { return (uint64_t)rd32(p) << 32 | rd32(p + 4); }
static uint16_t rd16(const uint8_t *p) { return (uint16_t)(p[0] << 8 | p[1]); }

/* Finds the first child box of the given type in [p, p+len); returns its payload or NULL. */
static const uint8_t *find_box(const uint8_t *p, size_t len, const char type[4], size_t *ret_len)
{
  size_t off = 0;
  while (off + 8 <= len) {
    uint32_t sz = rd32(p + off);
    if (sz < 8 || off + sz > len)
      return NULL;
    if (memcmp(p + off + 4, type, 4) == 0) {
      *ret_len = sz - 8;
      return p + off + 8;
    }
    off += sz;
  }
  return NULL;
}

static bool read_full(int fd, void *buf, size_t len, off_t at)
{
  uint8_t *p = buf;
  while (len > 0) {
    ssize_t r = pread(fd, p, len, at);
    if (r < 0 && errno == EINTR)
      continue;
    if (r <= 0)
      return false;
    p += r;
    len -= (size_t)r;
    at += r;
  }
  return true;
}

/* Reads codec, size and timescale of the video track (and the audio codec) from moov. */
static bool parse_moov(const uint8_t *moov, size_t len, HwFmp4Scan *scan)
{
  size_t off = 0;
  while (off + 8 <= len) {
    uint32_t sz = rd32(moov + off);
    if (sz < 8 || off + sz > len)
      return false;
    if (memcmp(moov + off + 4, "trak", 4) == 0) {
      size_t n, m, k, s, d;
      const uint8_t *mdia = find_box(moov + off + 8, sz - 8, "mdia", &n);
      const uint8_t *mdhd = mdia ? find_box(mdia, n, "mdhd", &m) : NULL;
      const uint8_t *hdlr = mdia ? find_box(mdia, n, "hdlr", &k) : NULL;
      const uint8_t *minf = mdia ? find_box(mdia, n, "minf", &s) : NULL;
      const uint8_t *stbl = minf ? find_box(minf, s, "stbl", &s) : NULL;
      const uint8_t *stsd = stbl ? find_box(stbl, s, "stsd", &d) : NULL;
      if (mdhd == NULL || hdlr == NULL || stsd == NULL || m < 16 || k < 12 || d < 16)
        return false;
      const uint8_t *entry = stsd + 8;
      if (memcmp(hdlr + 8, "vide", 4) == 0) {
        scan->video_timescale = rd32(mdhd + 12);
        if (memcmp(entry + 4, "avc1", 4) == 0 || memcmp(entry + 4, "avc3", 4) == 0)
          g_strlcpy(scan->codec, "h264", sizeof scan->codec);
        else if (memcmp(entry + 4, "hvc1", 4) == 0 || memcmp(entry + 4, "hev1", 4) == 0)
          g_strlcpy(scan->codec, "h265", sizeof scan->codec);
        if (d >= 8 + 36) {
          scan->width = rd16(entry + 8 + 24);
          scan->height = rd16(entry + 8 + 26);
        }
      } else if (memcmp(hdlr + 8, "soun", 4) == 0 && memcmp(entry + 4, "mp4a", 4) == 0) {
        g_strlcpy(scan->audio_codec, "aac", sizeof scan->audio_codec);
      }
    }
    off += sz;
  }
  return scan->codec[0] != '\0' && scan->video_timescale > 0;
}

/* Reads the video traf of a moof: decode time, sample count, total duration, first sample key. */
static bool parse_moof(const uint8_t *moof, size_t len, uint32_t timescale, HwFmp4Fragment *f)
{
  size_t n;
  const uint8_t *mfhd = find_box(moof, len, "mfhd", &n);
  if (mfhd == NULL || n < 8)
    return false;
  f->seq = rd32(mfhd + 4);
  size_t off = 0;
  while (off + 8 <= len) {
    uint32_t sz = rd32(moof + off);
    if (sz < 8 || off + sz > len)
      return false;
    if (memcmp(moof + off + 4, "traf", 4) == 0) {
      const uint8_t *traf = moof + off + 8;
      size_t tl = sz - 8, hl, dl, rl;
      const uint8_t *tfhd = find_box(traf, tl, "tfhd", &hl);
      const uint8_t *tfdt = find_box(traf, tl, "tfdt", &dl);
      const uint8_t *trun = find_box(traf, tl, "trun", &rl);
      if (tfhd == NULL || hl < 8 || rd32(tfhd + 4) != HW_FMP4_VIDEO_TRACK) {
        off += sz;
        continue;
      }
      if (tfdt == NULL || trun == NULL || rl < 8)
        return false;
      f->decode_time = tfdt[0] == 1 ? rd64(tfdt + 4) : rd32(tfdt + 4);
      uint32_t flags = rd32(trun) & 0xffffff;
      uint32_t count = rd32(trun + 4);
      size_t p = 8;
      if (flags & 0x1)
        p += 4;
      uint32_t first_flags = 0;
      bool has_first = flags & 0x4;
      if (has_first) {
        first_flags = rd32(trun + p);
        p += 4;
      }
      size_t per = 4 * (!!(flags & 0x100) + !!(flags & 0x200) + !!(flags & 0x400) + !!(flags & 0x800));
      if (!(flags & 0x100) || p + per * count > rl)
        return false;
      uint64_t dur = 0;
      for (uint32_t i = 0; i < count; i++) {
        const uint8_t *s = trun + p + per * i;
        dur += rd32(s);
        if (i == 0 && !has_first && (flags & 0x400))
          first_flags = rd32(s + 4 * (!!(flags & 0x100) + !!(flags & 0x200)));
      }
      f->frames = (int32_t)count;
      f->duration_ns = (int64_t)(dur * HW_NS_PER_S / timescale);
      f->keyframe_start = (first_flags & 0x00010000) == 0;
      return true;
    }
    off += sz;
  }
  return false;
}

bool hw_fmp4_scan_fd(int fd, HwFmp4Scan *ret, GError **error)
{
  HwFmp4Scan scan = {0};
  off_t end = lseek(fd, 0, SEEK_END);
  if (end < 0) {
    g_set_error(error, G_IO_ERROR, g_io_error_from_errno(errno), "cannot size file: %s",
                g_strerror(errno));
    return false;
  }
  scan.file_size = end;
  GArray *frags = g_array_new(FALSE, TRUE, sizeof(HwFmp4Fragment));
  int64_t off = 0;
  bool have_moov = false;
  HwFmp4Fragment cur = {0};
  bool in_fragment = false;
  const char *problem = NULL;

  while (off + 8 <= end) {
    uint8_t hdr[16];
    if (!read_full(fd, hdr, 8, off)) {
      problem = "read failed";
      break;
    }
    uint64_t sz = rd32(hdr);
    size_t hlen = 8;
    if (sz == 1) {
      if (off + 16 > end || !read_full(fd, hdr + 8, 8, off + 8))
        break;
      sz = rd64(hdr + 8);
      hlen = 16;
    }
    if (sz < hlen || (int64_t)sz > end - off)
      break; /* torn tail */
    if (memcmp(hdr + 4, "ftyp", 4) == 0) {
      /* nothing to read */
    } else if (memcmp(hdr + 4, "moov", 4) == 0) {
      if (sz > 16 * 1024 * 1024) {
        problem = "moov larger than 16 MiB";
        break;
      }
      g_autofree uint8_t *buf = g_malloc(sz);
      if (!read_full(fd, buf, sz, off) || !parse_moov(buf + 8, sz - 8, &scan)) {
        problem = "moov unreadable or without an H.264/H.265 video track";
        break;
      }
      have_moov = true;
      scan.init_size = off + (int64_t)sz;
      scan.valid_size = scan.init_size;
    } else if (!have_moov) {
      problem = "no moov before the first fragment";
      break;
    } else if (memcmp(hdr + 4, "prft", 4) == 0) {
      uint8_t p[28];
      if (sz < 8 + 20 || !read_full(fd, p, 20, off + 8))
        break;
      memset(&cur, 0, sizeof cur);
      cur.offset = off;
      cur.wall_ns = hw_time_from_ntp64(rd64(p + 8));
      in_fragment = true;
    } else if (memcmp(hdr + 4, "moof", 4) == 0) {
      if (sz > 4 * 1024 * 1024)
        break;
      if (!in_fragment) {
        memset(&cur, 0, sizeof cur);
        cur.offset = off;
      }
      g_autofree uint8_t *buf = g_malloc(sz);
      if (!read_full(fd, buf, sz, off) ||
          !parse_moof(buf + 8, sz - 8, scan.video_timescale, &cur))
        break;
      in_fragment = true;
    } else if (memcmp(hdr + 4, "mdat", 4) == 0) {
      if (in_fragment) {
        cur.length = off + (int64_t)sz - cur.offset;
        g_array_append_val(frags, cur);
        scan.valid_size = off + (int64_t)sz;
        in_fragment = false;
      }
    }
    off += (int64_t)sz;
  }

  if (!have_moov) {
    g_array_free(frags, TRUE);
    g_set_error(error, G_IO_ERROR, G_IO_ERROR_INVALID_DATA, "not a HallWatch recording: %s",
                problem ? problem : "no ftyp/moov init segment");
    return false;
  }
  scan.n_fragments = frags->len;
  scan.fragments = (HwFmp4Fragment *)g_array_free(frags, FALSE);
  *ret = scan;
  return true;
}

void hw_fmp4_scan_clear(HwFmp4Scan *scan)
{
  g_clear_pointer(&scan->fragments, g_free);
  scan->n_fragments = 0;
}
