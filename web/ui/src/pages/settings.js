// 预警规则与保存期限 (admin): the [warnings] and [retention] keys changed at runtime
// (GET/PATCH /api/v1/settings, docs/settings.md). Each value shows where it comes from (the
// default, the configuration file, or this page) and can be returned to the file's value; a
// change applies without a restart. The server validates with the configuration file's parser,
// so an error names the key and says what the file would accept.
import { api } from '../api.js';
import { h, mount } from '../dom.js';
import { formatTime } from '../fmt.js';
import { t } from '../i18n.js';

// The rules in the order of docs/warnings.md's table, then the thresholds, then retention.
export const RULES = ['promised_near', 'promised_late', 'statutory_late', 'stage_long', 'stage_order',
  'fee_above_standard', 'rejection_without_reason', 'complaint'];
export const THRESHOLDS = ['near_share', 'near_days', 'stage_long_days', 'hold_pre', 'hold_post'];
export const RETENTION = ['days', 'bytes', 'min_free'];

// The PATCH body of the values that differ from what was loaded: {warnings: {...}, retention: {...}}.
export function changes(loaded, current) {
  const body = {};
  for (const [name, v] of Object.entries(current)) {
    if (loaded[name] === undefined || String(loaded[name]) === String(v)) continue;
    const [section, key] = name.split('.');
    (body[section] = body[section] || {})[key] = typeof v === 'boolean' ? v : String(v).trim();
  }
  return body;
}

export function render(root) {
  const err = h('p', { class: 'form-error', role: 'alert', id: 'settings-error' });
  const notice = h('p', { class: 'notice', role: 'status', id: 'settings-notice' });
  const body = h('div', { id: 'settings-body' });
  let loaded = {}; // name → value as loaded (booleans for rules)
  const controls = {}; // name → input
  const errors = {}; // name → the error span next to the field

  function valueOf(s) {
    return s.type === 'bool' ? s.value === 'true' : s.value;
  }

  function source(s) {
    return h('span', { class: `badge source source-${s.source}`, 'data-source': s.source }, t('settings.source_' + s.source));
  }

  function restore(s) {
    if (s.source !== 'interface') return null;
    return h('button', { type: 'button', class: 'link', 'data-restore': s.name, onclick: () => save({ [s.section]: { [s.key]: null } }, 'settings.restored') },
      t('settings.restore'));
  }

  function row(s, label, hint) {
    const input = s.type === 'bool'
      ? h('input', { type: 'checkbox', checked: s.value === 'true', id: 'set-' + s.name.replace('.', '-'), 'data-name': s.name })
      : h('input', { value: s.value, id: 'set-' + s.name.replace('.', '-'), 'data-name': s.name, class: 'set-value' });
    controls[s.name] = input;
    errors[s.name] = h('span', { class: 'form-error field-error', 'data-error': s.name });
    return h('tr', { 'data-setting': s.name },
      h('td', {}, h('strong', {}, label), h('div', { class: 'muted small' }, hint)),
      h('td', { class: 'nowrap' }, s.type === 'bool' ? h('label', { class: 'check' }, input, t('settings.on')) : input,
        errors[s.name]),
      h('td', { class: 'nowrap' }, source(s),
        h('div', { class: 'muted small' }, s.source === 'interface'
          ? t('settings.set_by', { who: s.updated_by, time: formatTime(s.updated), file: s.file_value })
          : t('settings.limits', { limits: s.limits }))),
      h('td', { class: 'actions' }, restore(s)));
  }

  function table(head, rows) {
    return h('table', { class: 'table settings-table' },
      h('thead', {}, h('tr', {}, [head, t('settings.value'), t('settings.source'), ''].map((x) => h('th', {}, x)))),
      h('tbody', {}, rows));
  }

  async function draw() {
    let list;
    try {
      list = (await api.get('/api/v1/settings')).settings;
    } catch (e) {
      err.textContent = t('common.load_failed', { message: e.message });
      return;
    }
    const by = Object.fromEntries(list.map((s) => [s.name, s]));
    loaded = Object.fromEntries(list.map((s) => [s.name, valueOf(s)]));
    const w = (k) => by['warnings.' + k];
    const r = (k) => by['retention.' + k];
    mount(body, h('div', { class: 'settings-grid' },
      h('section', { class: 'panel', id: 'settings-rules' }, h('h2', {}, t('settings.rules')),
        h('p', { class: 'muted small' }, t('settings.rules_intro')),
        table(t('settings.rule'), RULES.filter(w).map((k) => row(w(k), t('settings.rule_' + k), t('settings.rule_' + k + '_when'))))),
      h('div', {},
        h('section', { class: 'panel', id: 'settings-retention' }, h('h2', {}, t('settings.retention')),
          h('p', { class: 'muted small' }, t('settings.retention_intro')),
          table(t('settings.key'), RETENTION.filter(r).map((k) => row(r(k), t('settings.retention_' + k), t('settings.retention_' + k + '_hint'))))),
        h('section', { class: 'panel', id: 'settings-thresholds' }, h('h2', {}, t('settings.thresholds')),
          table(t('settings.key'), THRESHOLDS.filter(w).map((k) => row(w(k), t('settings.key_' + k), t('settings.key_' + k + '_hint'))))))),
      h('div', { class: 'settings-actions' },
        h('button', { type: 'button', class: 'primary', id: 'settings-save', onclick: () => {
          const current = Object.fromEntries(Object.entries(controls).map(([n, c]) => [n, c.type === 'checkbox' ? c.checked : c.value]));
          const patch = changes(loaded, current);
          if (!Object.keys(patch).length) {
            notice.textContent = t('settings.nothing');
            return;
          }
          save(patch, 'settings.saved');
        } }, t('common.save'))));
  }

  async function save(patch, done) {
    err.textContent = notice.textContent = '';
    Object.values(errors).forEach((e) => { e.textContent = ''; });
    try {
      await api.patch('/api/v1/settings', patch);
      await draw();
      notice.textContent = t(done);
    } catch (e) {
      const near = e.field && errors[e.field];
      if (near) {
        near.textContent = e.message;
        controls[e.field].focus();
      }
      err.textContent = e.field ? t('settings.invalid', { field: e.field }) : e.message;
    }
  }

  mount(root, h('h1', {}, t('nav.settings')), h('p', { class: 'muted' }, t('settings.intro')), notice, err, body);
  draw();
}
