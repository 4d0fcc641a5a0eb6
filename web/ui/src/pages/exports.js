// 证据导出 (investigator): export a camera range as a signed evidence package (docs/evidence.md),
// follow the job's progress, download the zip, verify a package (a job's, by its id, or one
// uploaded from this computer), release the hold that keeps retention from deleting the footage, and
// delete a package once handed over (the job stays listed, marked; the hold is released on its own).
import { api, seg } from '../api.js';
import { dialog, field, h, mount } from '../dom.js';
import { bytes, formatTime, isoToZoned, zonedToIso } from '../fmt.js';
import { mainStreams } from '../health.js';
import { t } from '../i18n.js';

const POLL_MS = 1500;
const UPLOAD_TIMEOUT_MS = 30 * 60 * 1000; // a package of a few GiB over a slow hall network
const STATES = ['queued', 'running', 'done', 'failed'];

// "2026-11-28T12:00:05" from a datetime-local with seconds, in the hall's zone → RFC 3339
function inputTime(ms) {
  return isoToZoned(ms) + ':' + String(new Date(ms).getUTCSeconds()).padStart(2, '0');
}

export function render(root, ctx) {
  const camSel = h('select', { id: 'export-camera' });
  const now = Date.now();
  const fromIn = h('input', { type: 'datetime-local', step: 1, id: 'export-from', value: inputTime(now - 5 * 60000) });
  const toIn = h('input', { type: 'datetime-local', step: 1, id: 'export-to', value: inputTime(now - 60000) });
  const caseIn = h('input', { id: 'export-case' });
  const stageIn = h('input', { id: 'export-stage' });
  const err = h('p', { class: 'form-error', role: 'alert', id: 'export-error' });
  const list = h('div', { id: 'export-list' });
  const verifyOut = h('div', { id: 'verify-result' });
  const fileIn = h('input', { type: 'file', id: 'verify-file', accept: '.zip,application/zip' });
  const keyOut = h('p', { class: 'muted small', id: 'export-key' });

  let timer = null;
  let stopped = false;

  function showVerify(what, r) {
    mount(verifyOut, h('div', { class: `verify ${r.ok ? 'verify-ok' : 'verify-bad'}`, 'data-ok': String(r.ok) },
      h('strong', {}, r.ok ? t('exports.verify_ok', { what }) : t('exports.verify_bad', { what })),
      h('p', { class: 'small' }, t(r.signature_ok ? 'exports.signature_ok' : 'exports.signature_bad'), ' · ',
        t(r.key_trusted ? 'exports.key_trusted' : 'exports.key_untrusted')),
      r.problems && r.problems.length ? h('ul', { class: 'problems' }, r.problems.map((p) => h('li', {}, typeof p === 'string' ? p : JSON.stringify(p)))) : null,
      r.checked && r.checked.length ? h('p', { class: 'muted small' }, t('exports.checked', { n: r.checked.length })) : null));
  }

  async function verifyJob(x) {
    try {
      showVerify(t('exports.job', { id: x.id }), await api.post('/api/v1/exports/verify', { id: x.id }));
    } catch (e) {
      err.textContent = e.message;
    }
  }

  function release(x) {
    const d = dialog(t('exports.release_title'), h('p', {}, t('exports.release_confirm', { id: x.id, camera: x.camera })),
      [h('button', { type: 'button', onclick: () => d.close() }, t('common.cancel')),
        h('button', { type: 'button', class: 'danger', id: 'release-confirm', onclick: async () => {
          try {
            await api.post(`/api/v1/exports/${seg(x.id)}/release`, {});
          } catch (e) {
            err.textContent = e.message;
          }
          d.close();
          draw();
        } }, t('exports.release'))]);
  }

  // deletes the package from the appliance once it has been handed over; the job stays listed
  function removePackage(x) {
    const d = dialog(t('exports.delete_title'), h('p', {}, t('exports.delete_confirm', { id: x.id, camera: x.camera })),
      [h('button', { type: 'button', onclick: () => d.close() }, t('common.cancel')),
        h('button', { type: 'button', class: 'danger', id: 'delete-confirm', onclick: async () => {
          try {
            await api.del(`/api/v1/exports/${seg(x.id)}`);
          } catch (e) {
            err.textContent = e.message;
          }
          d.close();
          draw();
        } }, t('exports.delete'))]);
  }

  function stateCell(x) {
    const st = STATES.includes(x.state) ? x.state : 'failed';
    return h('td', { class: 'state', 'data-state': x.state },
      h('span', { class: `job-state job-${st}` }, t('exports.state_' + st)),
      x.state === 'running' || x.state === 'queued' ? h('progress', { max: 100, value: x.progress || 0 }) : null,
      x.state === 'running' ? ` ${x.progress || 0}%` : null,
      x.error ? h('div', { class: 'small error-text' }, x.error) : null);
  }

  async function draw() {
    clearTimeout(timer);
    let busy = false;
    try {
      const jobs = (await api.get('/api/v1/exports')).exports.sort((a, b) => b.id - a.id);
      busy = jobs.some((x) => x.state === 'queued' || x.state === 'running');
      mount(list, jobs.length === 0 ? h('p', { class: 'muted' }, t('exports.none')) :
        h('table', { class: 'table' },
          h('thead', {}, h('tr', {}, [t('exports.id'), t('exports.camera'), t('exports.range'), t('exports.case'), t('exports.state'), t('exports.result'), t('exports.hold'), ''].map((c) => h('th', {}, c)))),
          h('tbody', {}, jobs.map((x) => h('tr', { 'data-export': x.id, 'data-state': x.state, 'data-held': String(x.held) },
            h('td', {}, `#${x.id}`), h('td', {}, x.camera),
            h('td', { class: 'nowrap' }, formatTime(x.from), h('br'), formatTime(x.to)),
            h('td', {}, [x.case, x.stage].filter(Boolean).join(' / ') || '—'),
            stateCell(x),
            h('td', { class: 'small' }, x.result ? [bytes(x.result.size), h('br'), h('code', { class: 'hash', title: x.result.sha256 }, x.result.sha256.slice(0, 16) + '…'),
              x.result.gaps ? h('div', { class: 'error-text' }, t('exports.gaps', { n: x.result.gaps })) : null,
              x.deleted ? h('div', { class: 'muted', 'data-deleted': x.deleted }, t('exports.deleted_at', { time: formatTime(x.deleted), user: x.deleted_by })) : null] : '—'),
            h('td', {}, x.held ? h('span', { class: 'badge held' }, t('exports.held')) : (x.hold_released ? t('exports.released_at', { time: formatTime(x.hold_released) }) : '—')),
            h('td', { class: 'actions' },
              // a done job whose package is still here (result.download is null once deleted)
              ...(x.result?.download ? [
                h('a', { class: 'button', href: x.result.download, download: `hallwatch-export-${x.id}.zip`, 'data-action': 'download' }, t('exports.download')),
                h('button', { type: 'button', 'data-action': 'verify', onclick: () => verifyJob(x) }, t('exports.verify')),
                h('button', { type: 'button', class: 'danger', 'data-action': 'delete', onclick: () => removePackage(x) }, t('exports.delete'))] : []),
              x.held && x.state !== 'queued' && x.state !== 'running' ? h('button', { type: 'button', class: 'danger', 'data-action': 'release', onclick: () => release(x) }, t('exports.release')) : null))))));
    } catch (e) {
      err.textContent = t('common.load_failed', { message: e.message });
    }
    if (!stopped) timer = setTimeout(draw, busy ? POLL_MS : 10000);
  }

  mount(root,
    h('h1', {}, t('nav.exports')),
    h('p', { class: 'muted' }, t('exports.intro')),
    h('form', { class: 'inline-form', id: 'export-form', onsubmit: async (ev) => {
      ev.preventDefault();
      const from = zonedToIso(fromIn.value), to = zonedToIso(toIn.value);
      if (!from || !to || Date.parse(to) <= Date.parse(from)) return void (err.textContent = t('exports.bad_range'));
      try {
        const body = { camera: camSel.value, from, to };
        if (caseIn.value.trim()) body.case = caseIn.value.trim();
        if (stageIn.value.trim()) body.stage = stageIn.value.trim();
        await api.post('/api/v1/exports', body);
        err.textContent = '';
        draw();
      } catch (e) {
        err.textContent = e.field ? t('common.field_error', { field: e.field, message: e.message }) : e.message;
      }
    } }, h('h2', {}, t('exports.create')),
    field(t('exports.camera'), camSel), field(t('exports.from'), fromIn), field(t('exports.to'), toIn),
    field(t('exports.case'), caseIn, t('exports.optional')), field(t('exports.stage'), stageIn, t('exports.optional')),
    h('button', { type: 'submit', class: 'primary', id: 'export-create' }, t('exports.create'))),
    err, list,
    h('section', { class: 'panel', id: 'verify-panel' }, h('h2', {}, t('exports.verify_title')),
      h('p', { class: 'muted small' }, t('exports.verify_intro')),
      h('div', { class: 'inline-row' }, fileIn,
        h('button', { type: 'button', id: 'verify-upload', onclick: async () => {
          const f = fileIn.files && fileIn.files[0];
          if (!f) return void (err.textContent = t('exports.pick_file'));
          // The zip itself as the body: the server streams it to a temporary file (no size
          // limit here but the appliance's [exports] verify_max_bytes, 4 GiB unless changed).
          try {
            showVerify(f.name, await api.post('/api/v1/exports/verify', f,
              { contentType: 'application/zip', timeoutMs: UPLOAD_TIMEOUT_MS }));
            err.textContent = '';
          } catch (e) {
            err.textContent = e.status === 413 ? t('exports.too_big', { size: bytes(f.size) }) : e.message;
          }
        } }, t('exports.verify_file'))),
      verifyOut, keyOut));

  (async () => {
    try {
      const cams = mainStreams(await api.get('/api/v1/cameras')).sort((a, b) => a.id.localeCompare(b.id));
      const want = ctx.params.get('camera');
      mount(camSel, cams.map((c) => h('option', { value: c.id, selected: c.id === want }, `${c.name || c.id} (${c.id})`)));
      const k = await api.get('/api/v1/key');
      keyOut.textContent = t('exports.key', { fingerprint: k.fingerprint || k.hex || '' });
    } catch (e) {
      err.textContent = t('common.load_failed', { message: e.message });
    }
  })();
  draw();
  return () => { stopped = true; clearTimeout(timer); };
}
