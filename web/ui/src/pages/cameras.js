// 摄像机管理 (hall managers, admins): the cameras with their health, add / edit / disable, the
// connection test with its snapshot and stream facts, the latest picture; halls; windows and the
// window→camera mapping with its history (which cameras covered a window at a given time).
// Everything goes through /api/v1/cameras, /halls, /windows; scope is the server's business.
import { api, seg } from '../api.js';
import { dialog, field, h, mount, select } from '../dom.js';
import { bitrate, formatTime, isoToZoned, learnHalls, zonedToIso, zoneOf } from '../fmt.js';
import { healthBadge, mainStreams } from '../health.js';
import { t } from '../i18n.js';

const REFRESH_MS = 4000;
const TABS = ['cameras', 'halls', 'windows'];

// The error of a form: the API's message, tied to its field when it names one.
function showError(box, e) {
  box.className = 'form-error';
  box.textContent = e.field ? t('common.field_error', { field: e.field, message: e.message }) : e.message;
}

function facts(x) {
  return [x.codec, x.resolution, x.fps ? `${Number(x.fps).toFixed(0)} fps` : null,
    x.bitrate_bps ? bitrate(x.bitrate_bps) : null, x.audio_codec || x.audio ? t('cameras.audio', { codec: x.audio_codec || x.audio }) : null]
    .filter(Boolean).join(' · ');
}

// The result of POST …/test into box: the snapshot and the stream facts, or why it failed.
function showTest(box, r) {
  if (!r.ok) {
    mount(box, h('div', { class: 'test-result test-failed', 'data-test': 'failed' },
      h('strong', {}, t('cameras.test_failed')), h('p', {}, t('cameras.test_reason.' + r.reason, {}, r.reason)), h('p', { class: 'small muted' }, r.message)));
    return;
  }
  mount(box, h('div', { class: 'test-result test-ok', 'data-test': 'ok' },
    r.snapshot_jpeg_base64 ? h('img', { class: 'snapshot', id: 'test-snapshot', alt: t('cameras.snapshot_alt'), src: 'data:image/jpeg;base64,' + r.snapshot_jpeg_base64 }) : null,
    h('dl', { class: 'facts' },
      h('dt', {}, t('cameras.codec')), h('dd', { id: 'test-codec' }, r.codec),
      h('dt', {}, t('cameras.resolution')), h('dd', { id: 'test-resolution' }, r.resolution),
      h('dt', {}, t('cameras.fps')), h('dd', {}, r.fps ? Number(r.fps).toFixed(1) : '—'),
      h('dt', {}, t('cameras.audio_label')), h('dd', {}, r.audio || t('cameras.no_audio')))));
}

export function render(root, ctx) {
  const canChange = ctx.me.role === 'hall_manager' || ctx.me.role === 'admin';
  const canSee = ctx.me.role !== 'admin'; // snapshots are footage: not for admins (web/routes.c)
  const tab = TABS.includes(ctx.params.get('tab')) ? ctx.params.get('tab') : 'cameras';
  const body = h('div', { id: 'cameras-body' });
  mount(root,
    h('h1', {}, t('nav.cameras')),
    h('div', { class: 'tabs', role: 'tablist' }, TABS.map((x) => h('a', {
      href: '#/cameras?tab=' + x, role: 'tab', 'data-tab': x, class: x === tab ? 'active' : '', 'aria-selected': x === tab ? 'true' : 'false',
    }, t('cameras.tab_' + x)))),
    body);
  let halls = [];
  const loadHalls = async () => {
    halls = await api.get('/api/v1/halls');
    learnHalls(halls);
    return halls;
  };
  const hallOptions = (withNone) => [...(withNone ? [['', t('cameras.no_hall')]] : []), ...halls.map((x) => [x.code, x.name ? `${x.name} (${x.code})` : x.code])];
  const unscoped = !ctx.me.halls;

  if (tab === 'halls') return renderHalls();
  if (tab === 'windows') return renderWindows();
  return renderCameras();

  // ---- cameras ----------------------------------------------------------------------------------
  function renderCameras() {
    const filter = select({ id: 'hall-filter', onchange: () => draw() }, [['', t('cameras.all_halls')]], '');
    const table = h('div', { id: 'camera-list' });
    const status = h('p', { class: 'muted small' });
    mount(body,
      h('div', { class: 'toolbar' }, field(t('cameras.filter_hall'), filter),
        canChange ? h('button', { type: 'button', class: 'primary', id: 'add-camera', onclick: () => editCamera(null) }, t('cameras.add')) : null),
      table, status);
    let cams = [];
    let timer = null;
    let stopped = false;

    function draw() {
      const want = filter.value;
      const shown = cams.filter((c) => !want || c.hall === want);
      mount(table, shown.length === 0 ? h('p', { class: 'muted' }, t('cameras.none')) :
        h('table', { class: 'table' },
          h('thead', {}, h('tr', {}, [t('cameras.col_camera'), t('cameras.col_hall'), t('cameras.col_health'), t('cameras.col_stream'), t('cameras.col_windows'), ''].map((x) => h('th', {}, x)))),
          h('tbody', {}, shown.map((c) => h('tr', { 'data-camera': c.id },
            h('td', {}, h('strong', {}, c.name || c.id), h('div', { class: 'small muted' }, c.id, c.source === 'config' ? ` · ${t('cameras.from_config')}` : '')),
            h('td', {}, c.hall || '—'),
            h('td', {}, healthBadge(c), c.last_error && c.state !== 'recording' ? h('div', { class: 'small error-text' }, c.last_error) : null),
            h('td', { class: 'small' }, facts(c) || '—'),
            h('td', { class: 'small' }, (c.windows || []).map((w) => `${w.hall}/${w.code}`).join(', ') || '—'),
            h('td', { class: 'actions' },
              canChange && c.source !== 'config' ? h('button', { type: 'button', 'data-action': 'edit', onclick: () => editCamera(c) }, t('common.edit')) : null,
              canChange && c.source !== 'config' ? h('button', { type: 'button', 'data-action': 'toggle', onclick: () => toggle(c) }, t(c.enabled === false ? 'cameras.enable' : 'cameras.disable')) : null,
              canChange ? h('button', { type: 'button', 'data-action': 'test', onclick: () => testSaved(c) }, t('cameras.test')) : null,
              canSee ? h('button', { type: 'button', 'data-action': 'snapshot', onclick: () => snapshot(c) }, t('cameras.latest_picture')) : null))))));
    }

    async function refresh() {
      try {
        if (!halls.length) {
          await loadHalls();
          const cur = filter.value;
          mount(filter, [['', t('cameras.all_halls')], ...hallOptions(false)].map(([v, l]) => h('option', { value: v, selected: v === cur }, l)));
        }
        cams = mainStreams(await api.get('/api/v1/cameras')).sort((a, b) => a.id.localeCompare(b.id));
        status.textContent = '';
        if (!document.querySelector('dialog[open]')) draw(); // do not redraw under an open form
      } catch (e) {
        status.textContent = t('common.load_failed', { message: e.message });
      }
      if (!stopped) timer = setTimeout(refresh, REFRESH_MS);
    }

    async function toggle(c) {
      try {
        await api.patch('/api/v1/cameras/' + seg(c.id), { enabled: c.enabled === false });
        clearTimeout(timer);
        refresh();
      } catch (e) {
        status.textContent = e.message;
      }
    }

    async function editCamera(c) {
      if (!halls.length) { // the list's first load may still be on its way
        try {
          await loadHalls();
        } catch (e) {
          status.textContent = t('common.load_failed', { message: e.message });
          return;
        }
      }
      const isNew = !c;
      const err = h('p', { class: 'form-error', role: 'alert' });
      const id = h('input', { name: 'id', id: 'cam-id', value: c ? c.id : '', disabled: !isNew, required: true, pattern: '[A-Za-z0-9._-]{1,63}' });
      const name = h('input', { name: 'name', id: 'cam-name', value: c ? c.name || '' : '' });
      const url = h('input', { name: 'url', id: 'cam-url', value: c ? c.url || '' : '', placeholder: 'rtsp://192.0.2.10:554/stream1', required: true });
      const user = h('input', { name: 'username', id: 'cam-username', autocomplete: 'off', placeholder: c && c.has_credentials ? t('cameras.unchanged') : '' });
      const pass = h('input', { name: 'password', id: 'cam-password', type: 'password', autocomplete: 'new-password', placeholder: c && c.has_credentials ? t('cameras.unchanged') : '' });
      const transport = select({ name: 'transport', id: 'cam-transport' }, [['tcp', 'TCP'], ['udp', 'UDP']], c ? c.transport : 'tcp');
      const hall = select({ name: 'hall', id: 'cam-hall' }, hallOptions(unscoped), c ? c.hall || '' : (halls[0] && !unscoped ? halls[0].code : ''));
      const enabled = h('input', { type: 'checkbox', id: 'cam-enabled', checked: c ? c.enabled !== false : true });
      const retain = h('input', { type: 'number', id: 'cam-retain', min: 0, max: 36500, value: c ? c.retain_days || 0 : 0 });
      const result = h('div', { id: 'test-result', 'aria-live': 'polite' });
      const testBtn = h('button', { type: 'button', id: 'cam-test', onclick: async () => {
        if (!id.value || !url.value) { err.textContent = t('cameras.need_id_url'); return; }
        testBtn.disabled = true;
        mount(result, h('p', { class: 'muted' }, t('cameras.testing')));
        const probe = { url: url.value, transport: transport.value };
        if (user.value) probe.username = user.value;
        if (pass.value) probe.password = pass.value;
        try {
          showTest(result, await api.post(`/api/v1/cameras/${seg(id.value)}/test`, probe));
        } catch (e) {
          mount(result, h('p', { class: 'form-error' }, e.message));
        }
        testBtn.disabled = false;
      } }, t('cameras.test'));
      const save = h('button', { type: 'button', class: 'primary', id: 'cam-save', onclick: async () => {
        const b = { name: name.value, url: url.value.trim(), transport: transport.value, enabled: enabled.checked, retain_days: Number(retain.value) || 0, hall: hall.value || null };
        if (isNew) b.id = id.value.trim();
        if (user.value || pass.value) { b.username = user.value; b.password = pass.value; }
        save.disabled = true;
        try {
          if (isNew) await api.post('/api/v1/cameras', b);
          else await api.patch('/api/v1/cameras/' + seg(c.id), b);
          d.close();
          clearTimeout(timer);
          refresh();
        } catch (e) {
          showError(err, e);
          save.disabled = false;
        }
      } }, t('common.save'));
      const d = dialog(t(isNew ? 'cameras.add_title' : 'cameras.edit_title', { id: c ? c.id : '' }),
        h('div', { class: 'form-grid' },
          field(t('cameras.id'), id, isNew ? t('cameras.id_hint') : null), field(t('cameras.name'), name),
          field(t('cameras.url'), url, t('cameras.url_hint')), field(t('cameras.transport'), transport),
          field(t('cameras.username'), user), field(t('cameras.password'), pass, t('cameras.password_hint')),
          field(t('cameras.hall'), hall), field(t('cameras.retain_days'), retain, t('cameras.retain_hint')),
          h('label', { class: 'check' }, enabled, t('cameras.enabled')),
          h('div', { class: 'span-2' }, testBtn, result), h('div', { class: 'span-2' }, err)),
        [h('button', { type: 'button', onclick: () => d.close() }, t('common.cancel')), save]);
      d.id = 'camera-dialog';
    }

    async function testSaved(c) {
      const result = h('div', { id: 'test-result' }, h('p', { class: 'muted' }, t('cameras.testing')));
      const d = dialog(t('cameras.test_title', { id: c.id }), result, [h('button', { type: 'button', onclick: () => d.close() }, t('common.close'))]);
      try {
        showTest(result, await api.post(`/api/v1/cameras/${seg(c.id)}/test`, {}));
      } catch (e) {
        mount(result, h('p', { class: 'form-error' }, e.message));
      }
    }

    async function snapshot(c) {
      const box = h('div', {}, h('p', { class: 'muted' }, t('common.loading')));
      const d = dialog(t('cameras.latest_picture_title', { id: c.name || c.id }), box, [h('button', { type: 'button', onclick: () => d.close() }, t('common.close'))]);
      try {
        const blob = await api.get(`/api/v1/cameras/${seg(c.id)}/snapshot`);
        const src = URL.createObjectURL(blob);
        d.addEventListener('close', () => URL.revokeObjectURL(src));
        mount(box, h('img', { class: 'snapshot', id: 'latest-snapshot', src, alt: t('cameras.snapshot_alt') }), h('p', { class: 'small muted' }, t('cameras.snapshot_audited')));
      } catch (e) {
        mount(box, h('p', { class: 'form-error' }, e.code === 'no_footage' ? t('cameras.no_footage') : e.message));
      }
    }

    refresh();
    return () => { stopped = true; clearTimeout(timer); };
  }

  // ---- halls ------------------------------------------------------------------------------------
  function renderHalls() {
    const list = h('div', { id: 'hall-list' });
    const err = h('p', { class: 'form-error', role: 'alert' });
    const code = h('input', { id: 'hall-code', placeholder: 'hall-1', pattern: '[A-Za-z0-9._-]{1,63}' });
    const name = h('input', { id: 'hall-name', placeholder: t('cameras.hall_name_example') });
    async function draw() {
      try {
        await loadHalls();
        mount(list, halls.length === 0 ? h('p', { class: 'muted' }, t('cameras.no_halls')) :
          h('table', { class: 'table' }, h('thead', {}, h('tr', {}, h('th', {}, t('cameras.hall_code')), h('th', {}, t('cameras.hall_name')), h('th', {}, t('cameras.time_zone')))),
            h('tbody', {}, halls.map((x) => h('tr', { 'data-hall': x.code }, h('td', {}, x.code), h('td', {}, x.name || '—'), h('td', {}, zoneOf(x.code)))))));
      } catch (e) {
        showError(err, e);
      }
    }
    mount(body, list, canChange && unscoped ? h('form', { class: 'inline-form', id: 'hall-form', onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        await api.post('/api/v1/halls', { code: code.value.trim(), name: name.value });
        code.value = name.value = '';
        err.textContent = '';
        draw();
      } catch (e) {
        showError(err, e);
      }
    } }, h('h2', {}, t('cameras.add_hall')), field(t('cameras.hall_code'), code), field(t('cameras.hall_name'), name),
    h('button', { type: 'submit', class: 'primary' }, t('common.add'))) : null, err);
    draw();
  }

  // ---- windows and their cameras ---------------------------------------------------------------
  function renderWindows() {
    const list = h('div', { id: 'window-list' });
    const err = h('p', { class: 'form-error', role: 'alert' });
    let cams = [];
    async function draw() {
      try {
        await loadHalls();
        cams = mainStreams(await api.get('/api/v1/cameras'));
        const windows = await api.get('/api/v1/windows');
        const now = await Promise.all(windows.map((w) => api.get(`/api/v1/windows/${w.id}/cameras`).then((r) => r.cameras, () => null)));
        mount(list, windows.length === 0 ? h('p', { class: 'muted' }, t('cameras.no_windows')) :
          h('table', { class: 'table' },
            h('thead', {}, h('tr', {}, [t('cameras.col_hall'), t('cameras.window_code'), t('cameras.window_name'), t('cameras.departments'), t('cameras.cameras_now'), ''].map((x) => h('th', {}, x)))),
            h('tbody', {}, windows.map((w, i) => h('tr', { 'data-window': w.id },
              h('td', {}, w.hall), h('td', {}, w.code), h('td', {}, w.name || '—'), h('td', {}, (w.departments || []).join(', ') || '—'),
              h('td', { class: 'window-cameras' }, now[i] === null ? '?' : now[i].join(', ') || t('cameras.no_camera')),
              h('td', { class: 'actions' },
                canChange ? h('button', { type: 'button', 'data-action': 'map', onclick: () => mapWindow(w, now[i] || []) }, t('cameras.change_cameras')) : null,
                h('button', { type: 'button', 'data-action': 'history', onclick: () => history(w) }, t('cameras.history'))))))));
      } catch (e) {
        showError(err, e);
      }
    }
    const hall = select({ id: 'window-hall' }, [], '');
    const code = h('input', { id: 'window-code', placeholder: '7' });
    const name = h('input', { id: 'window-name', placeholder: t('cameras.window_name_example') });
    const deps = h('input', { id: 'window-departments', placeholder: 'tax, market' });
    mount(body, list, canChange ? h('form', { class: 'inline-form', id: 'window-form', onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        await api.post('/api/v1/windows', { hall: hall.value, code: code.value.trim(), name: name.value,
          departments: deps.value.split(/[,，\s]+/).filter(Boolean) });
        code.value = name.value = deps.value = '';
        err.textContent = '';
        draw();
      } catch (e) {
        showError(err, e);
      }
    } }, h('h2', {}, t('cameras.add_window')), field(t('cameras.hall'), hall), field(t('cameras.window_code'), code),
    field(t('cameras.window_name'), name), field(t('cameras.departments'), deps, t('cameras.departments_hint')),
    h('button', { type: 'submit', class: 'primary' }, t('common.add'))) : null, err);
    loadHalls().then(() => mount(hall, hallOptions(false).map(([v, l]) => h('option', { value: v }, l)))).catch((e) => showError(err, e));
    draw();

    function mapWindow(w, current) {
      const zone = zoneOf(w.hall);
      const inHall = cams.filter((c) => !c.hall || c.hall === w.hall);
      const boxes = inHall.map((c) => h('label', { class: 'check' }, h('input', { type: 'checkbox', value: c.id, checked: current.includes(c.id) }), `${c.name || c.id} (${c.id})`));
      const from = h('input', { type: 'datetime-local', id: 'map-from', value: isoToZoned(Date.now(), zone) });
      const e2 = h('p', { class: 'form-error', role: 'alert' });
      const d = dialog(t('cameras.map_title', { window: `${w.hall}/${w.code}` }),
        h('div', {}, h('p', { class: 'muted' }, t('cameras.map_help')),
          h('div', { class: 'checks', id: 'map-cameras' }, boxes.length ? boxes : h('p', { class: 'muted' }, t('cameras.none'))),
          field(t('cameras.map_from'), from, t('cameras.in_zone', { zone })), e2),
        [h('button', { type: 'button', onclick: () => d.close() }, t('common.cancel')),
          h('button', { type: 'button', class: 'primary', id: 'map-save', onclick: async () => {
            const ids = boxes.map((b) => b.querySelector('input')).filter((x) => x.checked).map((x) => x.value);
            const at = zonedToIso(from.value, zone);
            try {
              await api.put(`/api/v1/windows/${w.id}/cameras`, at ? { cameras: ids, from: at } : { cameras: ids });
              d.close();
              draw();
            } catch (e) {
              showError(e2, e);
            }
          } }, t('common.save'))]);
    }

    function history(w) {
      const zone = zoneOf(w.hall);
      const at = h('input', { type: 'datetime-local', id: 'history-at', value: isoToZoned(Date.now(), zone) });
      const out = h('ul', { class: 'history', id: 'history-results' });
      const e2 = h('p', { class: 'form-error' });
      const ask = async () => {
        const iso = zonedToIso(at.value, zone);
        if (!iso) return;
        try {
          const r = await api.get(`/api/v1/windows/${w.id}/cameras?at=${encodeURIComponent(iso)}`);
          out.prepend(h('li', {}, h('strong', {}, formatTime(r.at, zone)), ' → ', r.cameras.join(', ') || t('cameras.no_camera')));
        } catch (e) {
          showError(e2, e);
        }
      };
      const d = dialog(t('cameras.history_title', { window: `${w.hall}/${w.code}` }),
        h('div', {}, h('p', { class: 'muted' }, t('cameras.history_help')),
          h('div', { class: 'inline-form' }, field(t('cameras.history_at'), at, t('cameras.in_zone', { zone })),
            h('button', { type: 'button', class: 'primary', id: 'history-ask', onclick: ask }, t('cameras.history_ask'))), out, e2),
        [h('button', { type: 'button', onclick: () => d.close() }, t('common.close'))]);
      ask();
    }
  }
}
