// 实时监控: camera health (recording / reconnecting / down, since when), refreshed every few
// seconds without a reload. The warnings, cases and storage panels are slots until their APIs
// exist (cases: the exchange issue; disk use and retention horizon: a storage status route).
import { api } from '../api.js';
import { h, mount } from '../dom.js';
import { bitrate, formatTime } from '../fmt.js';
import { healthBadge, healthOf, mainStreams } from '../health.js';
import { t } from '../i18n.js';

const REFRESH_MS = 5000;
const GROUPS = ['recording', 'reconnecting', 'down', 'disabled', 'starting'];

function slotPanel(id, titleKey, textKey) {
  return h('section', { class: 'panel slot-panel', 'data-slot': id },
    h('h2', {}, t(titleKey)), h('span', { class: 'badge slot-badge' }, t('app.slot_badge')),
    h('p', { class: 'muted' }, t(textKey)));
}

export function render(root) {
  const counts = h('div', { class: 'health-counts', id: 'health-counts' });
  const list = h('div', { id: 'camera-health' });
  const updated = h('p', { class: 'muted small', id: 'dashboard-updated' });
  mount(root,
    h('h1', {}, t('nav.dashboard')),
    h('div', { class: 'grid-2' },
      h('section', { class: 'panel' }, h('h2', {}, t('dashboard.camera_health')), counts, list, updated),
      h('div', { class: 'stack' },
        slotPanel('storage', 'dashboard.storage', 'dashboard.storage_slot'),
        slotPanel('warnings', 'dashboard.warnings', 'dashboard.warnings_slot'),
        slotPanel('cases', 'dashboard.cases', 'dashboard.cases_slot'))));

  let timer = null;
  let stopped = false;
  async function refresh() {
    try {
      const cams = mainStreams(await api.get('/api/v1/cameras'));
      const by = Object.fromEntries(GROUPS.map((g) => [g, 0]));
      cams.forEach((c) => by[healthOf(c)]++);
      mount(counts, GROUPS.filter((g) => g !== 'starting' || by[g]).map((g) =>
        h('div', { class: `count count-${g}`, 'data-health': g },
          h('span', { class: 'count-n' }, by[g]), h('span', { class: 'count-label' }, t('health.' + g)))));
      // Problems first, then the rest by id.
      const order = { down: 0, reconnecting: 1, starting: 2, disabled: 3, recording: 4 };
      cams.sort((a, b) => order[healthOf(a)] - order[healthOf(b)] || a.id.localeCompare(b.id));
      mount(list, cams.length === 0 ? h('p', { class: 'muted' }, t('dashboard.no_cameras')) :
        h('table', { class: 'table' },
          h('thead', {}, h('tr', {}, [t('cameras.col_camera'), t('cameras.col_hall'), t('cameras.col_health'), t('cameras.col_stream')].map((x) => h('th', {}, x)))),
          h('tbody', {}, cams.map((c) => h('tr', { 'data-camera': c.id },
            h('td', {}, h('strong', {}, c.name || c.id), c.name ? h('span', { class: 'muted small' }, ` ${c.id}`) : null),
            h('td', {}, c.hall || '—'),
            h('td', {}, healthBadge(c), c.last_error && healthOf(c) !== 'recording' ? h('div', { class: 'small error-text' }, c.last_error) : null),
            h('td', { class: 'small' }, [c.codec, c.resolution, c.fps ? `${c.fps.toFixed(0)} fps` : null, c.bitrate_bps ? bitrate(c.bitrate_bps) : null].filter(Boolean).join(' · ') || '—'))))));
      updated.textContent = t('dashboard.updated', { time: formatTime(Date.now()) });
    } catch (e) {
      updated.textContent = t('common.load_failed', { message: e.message });
    }
    if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
  }
  refresh();
  return () => { stopped = true; clearTimeout(timer); };
}
