// 审计日志 (auditor only): the hash-chained log, filtered by time, actor, action and object,
// newest first, and the chain's verification (GET /api/v1/audit/verify) at the top.
import { api } from '../api.js';
import { field, h, mount } from '../dom.js';
import { formatTime, zonedToIso } from '../fmt.js';
import { t } from '../i18n.js';

const PAGE = 1000; // the API's largest page
const MAX_ROWS = 20000; // read at most this many matching rows; narrow the filter for older ones
const SHOW = 300; // rows drawn at once ("more" draws the next)

function detailText(d) {
  if (d === null || d === undefined || d === '') return '';
  return typeof d === 'string' ? d : JSON.stringify(d);
}

export function render(root, ctx) {
  const verify = h('div', { id: 'audit-verify', class: 'panel' }, h('p', { class: 'muted' }, t('audit.verifying')));
  const from = h('input', { type: 'datetime-local', id: 'audit-from' });
  const to = h('input', { type: 'datetime-local', id: 'audit-to' });
  const actor = h('input', { id: 'audit-actor', value: ctx.params.get('actor') || '' });
  const action = h('input', { id: 'audit-action', placeholder: 'camera. / auth.login', value: ctx.params.get('action') || '' });
  const object = h('input', { id: 'audit-object', placeholder: 'camera:cam-1' });
  const out = h('div', { id: 'audit-rows' });
  const status = h('p', { class: 'muted small', id: 'audit-status' });

  async function runVerify() {
    try {
      const r = await api.get('/api/v1/audit/verify');
      mount(verify, h('div', { class: r.ok ? 'verify verify-ok' : 'verify verify-bad', 'data-verify': r.ok ? 'ok' : 'bad' },
        h('strong', {}, t(r.ok ? 'audit.verify_ok' : 'audit.verify_bad')),
        h('p', {}, t('audit.verify_facts', { rows: r.rows, last: r.last_seq, heads: r.signed_heads, signed: r.last_signed_seq, at: formatTime(r.last_signed_at) })),
        r.unsigned_rows ? h('p', { class: 'small' }, t('audit.verify_unsigned', { n: r.unsigned_rows, since: formatTime(r.unsigned_since) })) : null,
        r.first_bad_seq ? h('p', { class: 'error-text' }, t('audit.verify_first_bad', { seq: r.first_bad_seq })) : null,
        (r.problems || []).map((p) => h('p', { class: 'error-text small' }, p)),
        (r.notes || []).map((p) => h('p', { class: 'small muted' }, p)),
        h('p', { class: 'small muted' }, t('audit.public_key', { key: r.public_key || '—' }))));
    } catch (e) {
      mount(verify, h('p', { class: 'error-text' }, t('common.load_failed', { message: e.message })));
    }
  }

  async function search() {
    const q = new URLSearchParams({ limit: String(PAGE) });
    const f = zonedToIso(from.value);
    const tt = zonedToIso(to.value);
    if (f) q.set('from', f);
    if (tt) q.set('to', tt);
    if (actor.value.trim()) q.set('actor', actor.value.trim());
    if (action.value.trim()) q.set('action', action.value.trim());
    if (object.value.trim()) q.set('object', object.value.trim());
    status.textContent = t('common.loading');
    let rows = [];
    try {
      let after = 0;
      for (;;) {
        if (after) q.set('after', String(after));
        const r = await api.get('/api/v1/audit?' + q);
        rows = rows.concat(r.rows);
        if (r.next_after === null || rows.length >= MAX_ROWS) break;
        after = r.next_after;
      }
    } catch (e) {
      status.textContent = e.field ? t('common.field_error', { field: e.field, message: e.message }) : e.message;
      return;
    }
    rows.reverse();
    status.textContent = t(rows.length >= MAX_ROWS ? 'audit.count_capped' : 'audit.count', { n: rows.length });
    const tbody = h('tbody');
    let shown = 0;
    const more = h('button', { type: 'button', id: 'audit-more', onclick: () => drawMore() }, t('audit.more'));
    function drawMore() {
      for (const r of rows.slice(shown, shown + SHOW)) {
        tbody.append(h('tr', { 'data-seq': r.seq, 'data-action': r.action },
          h('td', { class: 'num' }, r.seq), h('td', { class: 'nowrap' }, formatTime(r.time)),
          h('td', {}, r.actor, r.role ? h('div', { class: 'small muted' }, t('role.' + r.role, {}, r.role)) : null),
          h('td', { class: 'small' }, r.address), h('td', {}, h('code', {}, r.action)),
          h('td', {}, r.object_type ? `${r.object_type}:${r.object_id}` : ''),
          h('td', { class: 'small detail' }, detailText(r.detail))));
      }
      shown = Math.min(rows.length, shown + SHOW);
      more.hidden = shown >= rows.length;
    }
    mount(out, rows.length === 0 ? h('p', { class: 'muted' }, t('audit.none')) :
      [h('table', { class: 'table audit-table' },
        h('thead', {}, h('tr', {}, [t('audit.seq'), t('audit.time'), t('audit.actor'), t('audit.address'), t('audit.action'), t('audit.object'), t('audit.detail')].map((x) => h('th', {}, x)))),
        tbody), more]);
    drawMore();
  }

  mount(root,
    h('h1', {}, t('nav.audit')),
    verify,
    h('form', { class: 'inline-form filters', id: 'audit-filter', onsubmit: (ev) => { ev.preventDefault(); search(); } },
      field(t('audit.from'), from), field(t('audit.to'), to), field(t('audit.actor'), actor),
      field(t('audit.action'), action, t('audit.action_hint')), field(t('audit.object'), object, t('audit.object_hint')),
      h('button', { type: 'submit', class: 'primary', id: 'audit-search' }, t('audit.search')),
      h('button', { type: 'button', onclick: () => { runVerify(); } }, t('audit.verify_again'))),
    status, out);
  runVerify();
  search();
}
