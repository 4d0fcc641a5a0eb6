// 录像回放 (supervisor, hall manager, investigator): pick a camera, or a window (the camera that
// covered it then, through the window→camera history), and a day or a time range; the timeline
// shows what is recorded and every gap with its reason (GET /api/v1/cameras/{id}/footage); a click
// or a drag on it plays from that instant through hls.js (HLS byte-range playlists,
// docs/playback.md), seeking within the open playback session when it covers the instant (one
// audit row per session), and the true capture time of the frame on screen is shown under the
// picture (hls.playingDate, from the playlist's EXT-X-PROGRAM-DATE-TIME). The fragment holds the
// choice (#/footage?camera=…|window=…&from=…&to=…&t=…), so a link opens paused on the frame
// captured at t. A timeline spans at most a day; a playlist at most 12 h of it, around the instant.
import { api, seg } from '../api.js';
import { field, h, mount } from '../dom.js';
import { formatTime, isoToZoned, zonedToIso } from '../fmt.js';
import { mainStreams } from '../health.js';
import { t } from '../i18n.js';
import { drawStageMarkers } from '../markers.js';
import { createPlayer, preciseTime, streamLabel } from '../player.js';

const HOUR = 3600 * 1000;
const MAX_RANGE = 25 * HOUR; // a day's timeline (25 h on a daylight-saving day)
const PLAY_SPAN = 12 * HOUR; // a playlist's limit (HW_PLAYBACK_RANGE_MAX)
const REASONS = ['camera_unreachable', 'auth_refused', 'stream_stalled', 'stream_error', 'daemon_down',
  'disk_floor', 'clock_step', 'storage_error', 'expired', 'pending', 'not_recorded'];

export function render(root, ctx) {
  const p = ctx.params;
  const camSel = h('select', { id: 'footage-camera' });
  const now = Date.now();
  const fromIn = h('input', { type: 'datetime-local', id: 'footage-from', value: isoToZoned(p.get('from') || now - HOUR) });
  const toIn = h('input', { type: 'datetime-local', id: 'footage-to', value: isoToZoned(p.get('to') || now + 60000) });
  const dayIn = h('input', { type: 'date', id: 'footage-day', value: fromIn.value.slice(0, 10) });
  const windowNote = h('p', { class: 'muted', id: 'footage-window-note' });
  const err = h('p', { class: 'form-error', role: 'alert', id: 'footage-error' });
  const bar = h('div', { class: 'timeline-bar', id: 'footage-timeline', title: t('footage.click_to_play') });
  const cursor = h('div', { class: 'timeline-cursor' });
  const axis = h('div', { class: 'timeline-axis' });
  const gapList = h('ul', { class: 'gap-list', id: 'footage-gaps' });
  const video = h('video', { id: 'footage-video', controls: true, muted: true, playsinline: true });
  const timeOut = h('div', { class: 'capture-time', id: 'footage-time' }, '—');
  const info = h('p', { class: 'muted small', id: 'footage-info' });
  const streamOut = h('span', { class: 'stream-label', id: 'footage-stream' });
  let range = null; // {camera, from, to} in ms, as drawn
  let startedAt = 0; // the instant the open playlist was asked for
  const player = createPlayer(video, {
    onTime: (ms) => {
      timeOut.dataset.ms = String(ms);
      timeOut.textContent = preciseTime(ms);
      if (range && ms >= range.from && ms <= range.to) cursor.style.left = pct(ms);
    },
    onStream: (s) => { streamOut.textContent = streamLabel(s); },
    onError: (code, details) => {
      err.textContent = code === 404 ? t('footage.no_footage_here', { time: formatTime(startedAt) }) : t('footage.play_failed', { message: details });
    },
  });

  mount(root,
    h('h1', {}, t('nav.footage')),
    h('form', { class: 'inline-form filters', id: 'footage-form', onsubmit: (e) => { e.preventDefault(); choose(); } },
      field(t('footage.camera'), camSel), field(t('footage.day'), dayIn),
      h('button', { type: 'button', id: 'footage-whole-day', onclick: wholeDay }, t('footage.whole_day')),
      field(t('footage.from'), fromIn), field(t('footage.to'), toIn),
      h('button', { type: 'submit', class: 'primary', id: 'footage-show' }, t('footage.show'))),
    err, windowNote,
    h('section', { class: 'panel' },
      h('h2', {}, t('footage.timeline')),
      h('div', { class: 'timeline' }, bar, axis),
      h('div', { class: 'legend small muted' },
        h('span', { class: 'sw sw-covered' }), t('footage.legend_covered'),
        h('span', { class: 'sw sw-gap' }), t('footage.legend_gap')),
      gapList),
    h('section', { class: 'panel player' }, video,
      h('div', { class: 'capture-row' }, h('span', { class: 'muted' }, t('footage.capture_time')), timeOut, streamOut), info));
  bar.append(cursor);

  // The form's choice into the fragment: the page is drawn again from it.
  function choose() {
    const from = zonedToIso(fromIn.value);
    const to = zonedToIso(toIn.value);
    if (!camSel.value) return void (err.textContent = t('footage.pick_camera'));
    if (!from || !to || Date.parse(to) <= Date.parse(from)) return void (err.textContent = t('footage.bad_range'));
    if (Date.parse(to) - Date.parse(from) > MAX_RANGE) return void (err.textContent = t('footage.range_too_long'));
    const what = camSel.value.startsWith('window:') ? `window=${seg(camSel.value.slice(7))}` : `camera=${seg(camSel.value)}`;
    ctx.navigate(`#/footage?${what}&from=${seg(from)}&to=${seg(to)}`);
  }

  // The day picked, midnight to midnight in the hall's zone.
  function wholeDay() {
    const d = dayIn.value;
    if (!/^\d{4}-\d{2}-\d{2}$/.test(d)) return void (err.textContent = t('footage.bad_day'));
    const next = new Date(Date.UTC(+d.slice(0, 4), +d.slice(5, 7) - 1, +d.slice(8, 10) + 1)).toISOString().slice(0, 10);
    fromIn.value = `${d}T00:00`;
    toIn.value = `${next}T00:00`;
    choose();
  }

  const pct = (ms) => `${(100 * (ms - range.from)) / (range.to - range.from)}%`;

  async function drawTimeline(camera, from, to) {
    const c = await api.get(`/api/v1/cameras/${seg(camera)}/footage?from=${seg(new Date(from).toISOString())}&to=${seg(new Date(to).toISOString())}`);
    range = { camera, from, to: Math.max(from + 1000, c.to_ns / 1e6), covered: c.covered };
    for (const el of [...bar.querySelectorAll('.seg')]) el.remove();
    for (const x of c.covered) {
      const a = Date.parse(x.from), b = Date.parse(x.to);
      bar.append(h('div', { class: 'seg seg-covered', style: { left: pct(a), width: `calc(${pct(b)} - ${pct(a)})` }, title: `${formatTime(a)} – ${formatTime(b)}` }));
    }
    for (const g of c.gaps) {
      const a = Date.parse(g.from), b = Date.parse(g.to);
      bar.append(h('div', { class: `seg seg-gap gap-${g.reason}`, 'data-reason': g.reason, style: { left: pct(a), width: `calc(${pct(b)} - ${pct(a)})` },
        title: `${reasonText(g.reason)} ${formatTime(a)} – ${formatTime(b)}` }));
    }
    mount(axis, [0, 0.25, 0.5, 0.75, 1].map((f) => h('span', { style: { left: `${f * 100}%` } }, formatTime(range.from + f * (range.to - range.from)).slice(11))));
    mount(gapList, c.gaps.length === 0 ? h('li', { class: 'muted' }, c.covered.length ? t('footage.no_gaps') : t('footage.nothing')) :
      c.gaps.map((g) => h('li', { 'data-reason': g.reason },
        h('strong', {}, reasonText(g.reason)), ' ', `${formatTime(g.from)} – ${formatTime(g.to)}`, g.detail ? h('span', { class: 'muted' }, ` (${g.detail})`) : null)));
    if (c.truncated) gapList.append(h('li', { class: 'muted' }, t('footage.truncated')));
    drawStageMarkers(bar, range, pct, (ms) => playFrom(ms, true)).catch(() => {}); // the markers are a help, not the page
  }

  function reasonText(r) {
    return REASONS.includes(r) ? t('footage.reason_' + r) : r;
  }

  // Plays range.camera from instant ms (autoplay false: shows the frame captured at ms, paused).
  function playFrom(ms, autoplay) {
    err.textContent = '';
    startedAt = ms;
    const [a, b] = playSpan(ms);
    const q = `from=${seg(new Date(a).toISOString())}&to=${seg(new Date(b).toISOString())}&start=${seg(new Date(ms).toISOString())}&stream=h264`;
    player.load(`/api/v1/cameras/${seg(range.camera)}/playback.m3u8?${q}`, autoplay);
    video.dataset.start = String(ms);
    info.textContent = t('footage.playing_from', { time: preciseTime(ms) });
    cursor.style.left = pct(ms);
  }

  // The part of the timeline one playlist spans: all of it up to 12 h, else 12 h around ms.
  function playSpan(ms) {
    if (range.to - range.from <= PLAY_SPAN) return [range.from, range.to];
    const b = Math.min(range.to, Math.max(ms, range.from) + PLAY_SPAN / 2);
    return [Math.max(range.from, b - PLAY_SPAN), b];
  }

  // Seeks within the playing session when it covers ms (no new playlist, no new audit row);
  // otherwise opens one from ms.
  function seekTo(ms) {
    if (!player.seek(ms, true)) return playFrom(ms, true);
    video.dataset.start = String(ms);
    info.textContent = t('footage.playing_from', { time: preciseTime(ms) });
  }

  // Click or drag on the timeline: the cursor follows, the release seeks.
  const at = (e) => {
    const r = bar.getBoundingClientRect();
    const f = Math.min(1, Math.max(0, (e.clientX - r.left) / r.width));
    return Math.round(range.from + f * (range.to - range.from));
  };
  let dragging = false;
  bar.addEventListener('pointerdown', (e) => {
    if (!range) return;
    dragging = true;
    bar.setPointerCapture(e.pointerId);
    cursor.style.left = pct(at(e));
  });
  bar.addEventListener('pointermove', (e) => {
    if (!range) return;
    bar.title = `${formatTime(at(e))} · ${t('footage.click_to_play')}`;
    if (dragging) cursor.style.left = pct(at(e));
  });
  bar.addEventListener('pointerup', (e) => {
    if (!dragging) return;
    dragging = false;
    seekTo(at(e));
  });

  (async () => {
    try {
      const [camList, winList, hallList] = await Promise.all([api.get('/api/v1/cameras'), api.get('/api/v1/windows'), api.get('/api/v1/halls')]);
      const cams = mainStreams(camList).sort((a, b) => a.id.localeCompare(b.id));
      const hallName = new Map(hallList.map((x) => [x.code, x.name || x.code]));
      const wins = winList.slice().sort((a, b) => a.hall.localeCompare(b.hall) || a.code.localeCompare(b.code, undefined, { numeric: true }));
      const winLabel = (w) => t('footage.window_label', { hall: hallName.get(w.hall) || w.hall, code: w.code, name: w.name || '' });
      const wantWindow = p.get('window');
      let want = p.get('camera') || (!wantWindow && cams[0] && cams[0].id) || '';
      mount(camSel,
        h('optgroup', { label: t('footage.cameras') }, cams.map((c) => h('option', { value: c.id, selected: !wantWindow && c.id === want }, `${c.name || c.id} (${c.id})`))),
        wins.length ? h('optgroup', { label: t('footage.windows') }, wins.map((w) => h('option', { value: `window:${w.id}`, selected: String(w.id) === wantWindow }, winLabel(w)))) : null);
      if (!cams.length) return void (err.textContent = t('footage.no_cameras'));
      if (!want && !wantWindow) return;
      const from = Date.parse(p.get('from')), to = Date.parse(p.get('to'));
      if (!Number.isFinite(from) || !Number.isFinite(to) || to <= from) return void (err.textContent = t('footage.bad_range'));
      if (wantWindow) {
        // the camera that covered the window at the instant asked for (else the range's end, or now)
        const w = wins.find((x) => String(x.id) === wantWindow);
        const at = Number.isFinite(Date.parse(p.get('t'))) ? Date.parse(p.get('t')) : Math.min(to, Date.now());
        const r = await api.get(`/api/v1/windows/${seg(wantWindow)}/cameras?at=${seg(new Date(at).toISOString())}`);
        const label = w ? winLabel(w) : wantWindow;
        if (!r.cameras.length) return void (err.textContent = t('footage.window_no_camera', { window: label, time: formatTime(at) }));
        want = r.cameras[0];
        const q = `from=${seg(p.get('from'))}&to=${seg(p.get('to'))}`;
        mount(windowNote, t('footage.window_camera', { window: label, time: formatTime(at), camera: want }),
          r.cameras.length > 1 ? [' ', t('footage.window_others'), ...r.cameras.slice(1).map((c) => [' ', h('a', { href: `#/footage?camera=${seg(c)}&${q}` }, c)])] : null);
        windowNote.dataset.camera = want;
      }
      await drawTimeline(want, from, to);
      const at = Date.parse(p.get('t'));
      if (Number.isFinite(at)) playFrom(at, false);
    } catch (e) {
      err.textContent = t('common.load_failed', { message: e.message });
    }
  })();
  return player.stop;
}
