// 视频墙 (supervisor, hall manager, investigator): 1, 4, 9 or 16 cameras live at once, all over one
// WebSocket (src/live.js), each tile labelled with hall, window, the window's departments and the
// camera, with a health badge and the window's current case (the latest accepted there today,
// GET /api/v1/status/windows: for the roles that read cases), both refreshed every few seconds.
// Click a tile to enlarge it (click again or Esc to go back). More cameras than tiles: pages.
// The layout and the page are in the fragment (#/live?n=16&p=0), so a wall screen can be bookmarked.
import { api } from '../api.js';
import { h, mount } from '../dom.js';
import { healthBadge, mainStreams } from '../health.js';
import { t } from '../i18n.js';
import { LiveClient } from '../live.js';

const LAYOUTS = [1, 4, 9, 16];
const REFRESH_MS = 5000; // the health badges

export function render(root, ctx) {
  const wanted = Number(ctx.params.get('n'));
  let n = LAYOUTS.includes(wanted) ? wanted : 0; // 0: chosen from the number of cameras
  let pageNo = Math.max(0, Number(ctx.params.get('p')) || 0);
  let cams = [];
  let halls = {};
  let windows = {};
  let current = {}; // window id → its current case (or null)
  let enlarged = null;
  const tiles = new Map(); // camera id → {el, badge, caseEl, tile}
  const readsCases = ['supervisor', 'investigator'].includes(ctx.me && ctx.me.role);
  const live = new LiveClient('/api/v1/live');

  const layoutBar = h('div', { class: 'layout-switch', role: 'group', 'aria-label': t('live.layout') });
  const pager = h('div', { class: 'pager' });
  const status = h('p', { class: 'muted small', id: 'live-status' });
  const grid = h('div', { class: 'wall', id: 'live-wall' });
  mount(root,
    h('div', { class: 'toolbar' }, h('h1', {}, t('nav.live')), h('div', { class: 'toolbar-right' }, pager, layoutBar,
      h('button', { type: 'button', id: 'live-fullscreen', title: t('live.fullscreen_hint'), onclick: fullscreen }, t('live.fullscreen')))),
    status, grid);

  function go() {
    ctx.navigate(`#/live?n=${n}&p=${pageNo}`);
  }

  function label(c) {
    const hall = c.hall ? (halls[c.hall] || c.hall) : t('live.no_hall');
    const ws = c.windows || [];
    const win = ws.map((w) => (windows[w.id] ? t('live.window_named', { code: w.code, name: windows[w.id].name }) : t('live.window', { code: w.code }))).join('、');
    const depts = [...new Set(ws.flatMap((w) => (windows[w.id] && windows[w.id].departments) || []))].join('、');
    return [hall, win || t('live.no_window'), c.name || c.id, depts];
  }

  // "受理中 440303…0123 社会团体成立登记": the current case of the camera's windows (the first one).
  function caseText(c) {
    const cur = (c.windows || []).map((w) => current[w.id]).find(Boolean);
    return cur ? t('live.current_case', { number: cur.case_number, item: cur.item_name }) : '';
  }

  function drawBars() {
    mount(layoutBar, LAYOUTS.map((k) => h('button', { type: 'button', 'data-layout': k, class: k === n ? 'active' : '',
      title: t('live.layout_n', { n: k }), onclick: () => { n = k; pageNo = 0; go(); } }, String(k))));
    const pages = Math.max(1, Math.ceil(cams.length / n));
    pageNo = Math.min(pageNo, pages - 1);
    mount(pager, pages < 2 ? null : [
      h('button', { type: 'button', id: 'live-prev', disabled: pageNo === 0, onclick: () => { pageNo--; go(); } }, t('live.prev')),
      h('span', { class: 'small' }, t('live.page', { page: pageNo + 1, pages })),
      h('button', { type: 'button', id: 'live-next', disabled: pageNo >= pages - 1, onclick: () => { pageNo++; go(); } }, t('live.next'))]);
  }

  // The wall alone on the whole screen (a video-wall display); Esc or the button again leaves.
  function fullscreen() {
    if (document.fullscreenElement) document.exitFullscreen().catch(() => {});
    else grid.requestFullscreen().catch((e) => { status.textContent = t('live.fullscreen_failed', { message: e.message }); });
  }

  function toggle(id) {
    enlarged = enlarged === id ? null : id;
    grid.classList.toggle('has-enlarged', enlarged !== null);
    for (const [cid, x] of tiles) x.el.classList.toggle('enlarged', cid === enlarged);
  }

  function drawTiles() {
    const shown = cams.slice(pageNo * n, pageNo * n + n);
    grid.dataset.n = String(n);
    grid.style.setProperty('--cols', String(Math.sqrt(n)));
    for (const [id, x] of tiles) {
      if (!shown.some((c) => c.id === id)) { x.tile.detach(); tiles.delete(id); }
    }
    const els = shown.map((c) => {
      let x = tiles.get(c.id);
      if (!x) {
        const video = h('video', { muted: true, autoplay: true, playsinline: true });
        const msg = h('div', { class: 'tile-message' }, t('live.connecting'));
        const badge = h('span', { class: 'tile-badge' });
        const caseEl = h('span', { class: 'tile-case' });
        const [hall, win, name, depts] = label(c);
        const el = h('div', { class: 'tile', 'data-camera': c.id, 'data-state': 'connecting', tabindex: 0,
          title: t('live.enlarge'), onclick: () => toggle(c.id), onkeydown: (e) => { if (e.key === 'Enter') toggle(c.id); } },
        video, msg,
        h('div', { class: 'tile-label' },
          h('span', { class: 'tile-where' }, h('span', { class: 'tile-hall' }, hall), ' · ', h('span', { class: 'tile-window' }, win),
            depts ? [' · ', h('span', { class: 'tile-dept', title: t('live.departments') }, depts)] : null),
          h('span', { class: 'tile-name' }, name), badge, caseEl));
        const tile = live.attach(video, c.id);
        tile.addEventListener('status', (e) => {
          el.dataset.state = e.detail.state;
          msg.textContent = e.detail.state === 'playing' ? (e.detail.message || '') : (e.detail.message || t('live.state_' + e.detail.state));
        });
        x = { el, badge, caseEl, tile };
        tiles.set(c.id, x);
      }
      mount(x.badge, healthBadge(c));
      x.caseEl.textContent = caseText(c);
      return x.el;
    });
    for (let i = shown.length; i < n; i++) els.push(h('div', { class: 'tile tile-empty' }, t('live.empty')));
    mount(grid, els);
    if (enlarged && !tiles.has(enlarged)) toggle(enlarged);
  }

  const onKey = (e) => { if (e.key === 'Escape' && enlarged) toggle(enlarged); };
  document.addEventListener('keydown', onKey);

  let timer = null;
  let stopped = false;
  let first = true;
  async function refresh() {
    try {
      const [c, hl, w, cur] = await Promise.all([api.get('/api/v1/cameras'), api.get('/api/v1/halls'), api.get('/api/v1/windows'),
        readsCases ? api.get('/api/v1/status/windows').catch(() => []) : []]);
      if (stopped) return;
      current = Object.fromEntries(cur.map((x) => [x.id, x.current_case]));
      halls = Object.fromEntries(hl.map((x) => [x.code, x.name]));
      windows = Object.fromEntries(w.map((x) => [x.id, x]));
      cams = mainStreams(c).filter((x) => x.enabled !== false)
        .sort((a, b) => (a.hall || '').localeCompare(b.hall || '') || a.id.localeCompare(b.id));
      if (first && !n) n = LAYOUTS.find((k) => k >= cams.length) || 16;
      first = false;
      drawBars();
      drawTiles();
      status.textContent = cams.length === 0 ? t('live.no_cameras') : t('live.count', { n: cams.length });
    } catch (e) {
      status.textContent = t('common.load_failed', { message: e.message });
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  }
  if (n) drawBars();
  refresh();
  return () => {
    stopped = true;
    clearTimeout(timer);
    document.removeEventListener('keydown', onKey);
    live.close();
  };
}
