// 实时监控 (supervisor, hall manager, admin): open warnings by level and department as a stacked
// bar chart (a supervisor's click on a bar opens the cases with that warning), cases in progress
// and due today with the due ones listed, camera health, disk use and the retention horizon
// ("录像保留至 10月12日"). One timer refreshes every panel every few seconds without a reload,
// and stops when the page is left. Each panel asks its own route (docs/dashboard.md) and only
// the roles that route allows: a panel another role cannot read is not shown.
import { api } from '../api.js';
import { stackedBarChart } from '../chart.js';
import { h, mount } from '../dom.js';
import { bitrate, bytes, formatDay, formatTime, zoneOf } from '../fmt.js';
import { healthBadge, healthOf, mainStreams } from '../health.js';
import { t } from '../i18n.js';

const REFRESH_MS = 5000;
const GROUPS = ['recording', 'reconnecting', 'down', 'disabled', 'starting'];
const LEVELS = [
  { key: 'yellow', color: '#e0a800', text: '#3b2f00' },
  { key: 'red', color: '#c62828', text: '#fff' },
];

// Which panels a role sees: the routes' permissions (web/routes.c).
const PANELS = {
  warnings: ['supervisor', 'hall_manager'],
  cases: ['supervisor'],
  storage: ['supervisor', 'hall_manager', 'admin'],
};

function drawHealth(counts, list, cams) {
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
}

// GET /api/v1/warnings/summary → the chart; a supervisor's bars link to the case list.
function drawWarnings(el, s, linked) {
  const series = LEVELS.map((l) => ({ ...l, label: t('dashboard.level_' + l.key) }));
  const cats = s.departments.map((d) => ({ key: d.department, label: d.department, row: d }));
  mount(el,
    h('p', { class: 'small', id: 'warnings-total', 'data-yellow': s.total.yellow, 'data-red': s.total.red },
      t('dashboard.warnings_total', s.total)),
    stackedBarChart({
      id: 'warnings-chart', title: t('dashboard.warnings_chart'), categories: cats, series,
      values: (c, l) => c.row[l.key], empty: t('dashboard.warnings_none'),
      href: linked ? (c, l) => `#/cases?warning=${l.key}&department=${encodeURIComponent(c.key)}` : null,
    }),
    linked && cats.length ? h('p', { class: 'muted small' }, t('dashboard.warnings_click')) : null);
}

// GET /api/v1/cases/summary → the two counts and the cases due today, each linking to its view.
function drawCases(el, s) {
  const depts = Object.entries(s.in_progress.by_department);
  const due = s.due.cases;
  mount(el,
    h('div', { class: 'health-counts' },
      h('div', { class: 'count', id: 'cases-in-progress', 'data-count': s.in_progress.total },
        h('span', { class: 'count-n' }, s.in_progress.total), h('span', { class: 'count-label' }, t('dashboard.in_progress'))),
      h('div', { class: 'count count-due', id: 'cases-due-today', 'data-count': s.due.total },
        h('span', { class: 'count-n' }, s.due.total), h('span', { class: 'count-label' }, t('dashboard.due_today')))),
    depts.length ? h('p', { class: 'small muted' }, t('dashboard.by_department'),
      depts.map(([d, n]) => t('dashboard.department_counts', { department: d, n, due: s.due.by_department[d] || 0 })).join(' · ')) : null,
    due.length === 0 ? h('p', { class: 'muted' }, t('dashboard.due_none')) :
      h('ul', { class: 'due-list', id: 'due-list' }, due.map((c) => h('li', { 'data-case': c.id },
        h('a', { href: `#/case?id=${c.id}` }, c.case_number),
        c.warning_level !== 'none' ? h('span', { class: `level-dot level-${c.warning_level}`, title: t('dashboard.level_' + c.warning_level) }) : null,
        ' ', c.item_name, h('span', { class: 'muted small' }, ` · ${c.department} · ${t('dashboard.due_at', { day: formatDay(Date.parse(c.due_at) - 1, zoneOf(c.hall)) })}`)))),
    s.due.total > due.length ? h('p', { class: 'muted small' }, t('dashboard.due_more', { n: s.due.total - due.length })) : null);
}

function retentionText(r) {
  if (!r) return null;
  const rules = [r.days ? t('dashboard.retention_days', { n: r.days }) : null,
    r.bytes ? t('dashboard.retention_bytes', { bytes: bytes(r.bytes) }) : null,
    r.min_free_bytes ? t('dashboard.retention_min_free', { bytes: bytes(r.min_free_bytes) }) : null].filter(Boolean);
  return t('dashboard.retention', { rules: rules.length ? rules.join('，') : t('dashboard.retention_none') });
}

// GET /api/v1/status/storage → the disk bar, the horizon sentence, totals, the rules in force.
function drawStorage(el, s) {
  const d = s.disk;
  const share = d && d.total_bytes ? Math.round((100 * d.used_bytes) / d.total_bytes) : null;
  const oldest = s.footage.oldest;
  mount(el,
    d ? h('div', { class: 'meter-block' },
      h('div', { class: `meter${share >= 90 ? ' meter-bad' : share >= 75 ? ' meter-warn' : ''}`, id: 'disk-meter', role: 'meter',
        'aria-valuemin': 0, 'aria-valuemax': 100, 'aria-valuenow': share, 'aria-label': t('dashboard.disk') },
      h('div', { class: 'meter-fill', style: { width: `${share}%` } })),
      h('p', { class: 'small', id: 'disk-text' }, t('dashboard.disk_use', { used: bytes(d.used_bytes), total: bytes(d.total_bytes), share, free: bytes(d.free_bytes) })))
      : h('p', { class: 'muted' }, t('dashboard.disk_unknown')),
    h('p', { class: 'horizon', id: 'retention-horizon', 'data-oldest': oldest || '' },
      oldest ? t('dashboard.horizon', { date: formatDay(oldest) }) : t('dashboard.horizon_none')),
    h('p', { class: 'small muted' }, t('dashboard.footage_totals', { files: s.footage.files, bytes: bytes(s.footage.bytes), held: bytes(s.held.bytes) })),
    s.retention ? h('p', { class: 'small muted', id: 'retention-rules' }, retentionText(s.retention)) : null,
    s.cameras.length > 1 ? h('details', { class: 'small' }, h('summary', {}, t('dashboard.horizon_camera')),
      h('ul', {}, s.cameras.map((c) => h('li', { 'data-camera': c.camera }, `${c.camera}: ${formatDay(c.oldest, zoneOf(c.hall))} · ${bytes(c.bytes)}`)))) : null);
}

export function render(root, ctx) {
  const role = ctx.me && ctx.me.role;
  const sees = (panel) => PANELS[panel].includes(role);
  const counts = h('div', { class: 'health-counts', id: 'health-counts' });
  const list = h('div', { id: 'camera-health' });
  const updated = h('p', { class: 'muted small', id: 'dashboard-updated' });
  const warnings = h('div', { id: 'dashboard-warnings' });
  const cases = h('div', { id: 'dashboard-cases' });
  const storage = h('div', { id: 'dashboard-storage' });
  const panel = (id, title, body) => h('section', { class: 'panel', 'data-panel': id }, h('h2', {}, title), body);
  // a row of two panels side by side; one alone takes the width
  const row = (...panels) => {
    const shown = panels.filter(Boolean);
    return shown.length ? h('div', { class: shown.length > 1 ? 'grid-2' : '' }, shown) : null;
  };
  mount(root,
    h('h1', {}, t('nav.dashboard')),
    row(sees('warnings') ? panel('warnings', t('dashboard.warnings'), warnings) : null,
      sees('cases') ? panel('cases', t('dashboard.cases'), cases) : null),
    row(panel('health', t('dashboard.camera_health'), [counts, list]),
      sees('storage') ? panel('storage', t('dashboard.storage'), storage) : null),
    updated);

  // Each panel from its own route; one that fails says so in place and the others still draw.
  const sources = [
    { on: true, path: '/api/v1/cameras', draw: (c) => drawHealth(counts, list, mainStreams(c)), el: list },
    { on: sees('warnings'), path: '/api/v1/warnings/summary', draw: (s) => drawWarnings(warnings, s, role === 'supervisor'), el: warnings },
    { on: sees('cases'), path: '/api/v1/cases/summary', draw: (s) => drawCases(cases, s), el: cases },
    { on: sees('storage'), path: '/api/v1/status/storage', draw: (s) => drawStorage(storage, s), el: storage },
  ].filter((x) => x.on);

  let timer = null;
  let stopped = false;
  async function refresh() {
    const got = await Promise.allSettled(sources.map((x) => api.get(x.path)));
    if (stopped) return;
    let failed = null;
    got.forEach((r, i) => {
      const x = sources[i];
      if (r.status === 'fulfilled') {
        // Drawn again only when the answer changed: a focused bar or an open list stays as it is.
        const text = JSON.stringify(r.value);
        if (text !== x.last) x.draw(r.value);
        x.last = text;
      } else {
        x.last = null;
        failed = r.reason;
        mount(x.el, h('p', { class: 'error-text' }, t('common.load_failed', { message: r.reason.message })));
      }
    });
    updated.textContent = failed ? t('common.load_failed', { message: failed.message }) : t('dashboard.updated', { time: formatTime(Date.now()) });
    timer = setTimeout(refresh, REFRESH_MS);
  }
  refresh();
  return () => { stopped = true; clearTimeout(timer); };
}
