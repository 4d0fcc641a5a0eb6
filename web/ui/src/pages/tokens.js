// 部门接口令牌 (admin): the departments' API tokens. A new token is shown once, right after it is
// made (the server keeps only its hash); revoking one is immediate and cannot be undone.
import { api } from '../api.js';
import { dialog, field, h, mount } from '../dom.js';
import { formatTime } from '../fmt.js';
import { t } from '../i18n.js';

export function render(root) {
  const list = h('div', { id: 'token-list' });
  const err = h('p', { class: 'form-error', role: 'alert' });
  const dept = h('input', { id: 'token-department', placeholder: 'tax', pattern: '[A-Za-z0-9._-]{1,63}' });
  const name = h('input', { id: 'token-name', placeholder: t('tokens.name_example') });
  const fresh = h('div', { id: 'token-fresh' });

  async function draw() {
    try {
      const tokens = await api.get('/api/v1/tokens');
      tokens.sort((a, b) => (a.revoked ? 1 : 0) - (b.revoked ? 1 : 0) || b.id - a.id);
      mount(list, tokens.length === 0 ? h('p', { class: 'muted' }, t('tokens.none')) :
        h('table', { class: 'table' },
          h('thead', {}, h('tr', {}, [t('tokens.department'), t('tokens.name'), t('tokens.created'), t('tokens.state'), ''].map((x) => h('th', {}, x)))),
          h('tbody', {}, tokens.map((x) => h('tr', { 'data-token': x.id, class: x.revoked ? 'revoked' : '' },
            h('td', {}, x.department), h('td', {}, x.name), h('td', {}, formatTime(x.created)),
            h('td', {}, x.revoked ? t('tokens.revoked_at', { time: formatTime(x.revoked) }) : h('span', { class: 'health health-recording' }, h('span', { class: 'dot' }), t('tokens.valid'))),
            h('td', { class: 'actions' }, x.revoked ? null : h('button', { type: 'button', class: 'danger', 'data-action': 'revoke', onclick: () => revoke(x) }, t('tokens.revoke'))))))));
    } catch (e) {
      err.textContent = t('common.load_failed', { message: e.message });
    }
  }

  function revoke(x) {
    const d = dialog(t('tokens.revoke_title'), h('p', {}, t('tokens.revoke_confirm', { name: x.name, department: x.department })),
      [h('button', { type: 'button', onclick: () => d.close() }, t('common.cancel')),
        h('button', { type: 'button', class: 'danger', id: 'revoke-confirm', onclick: async () => {
          try {
            await api.del('/api/v1/tokens/' + x.id);
          } catch (e) {
            err.textContent = e.message;
          }
          d.close();
          draw();
        } }, t('tokens.revoke'))]);
  }

  mount(root,
    h('h1', {}, t('nav.tokens')),
    h('p', { class: 'muted' }, t('tokens.intro')),
    h('form', { class: 'inline-form', id: 'token-form', onsubmit: async (ev) => {
      ev.preventDefault();
      try {
        const r = await api.post('/api/v1/tokens', { department: dept.value.trim(), name: name.value.trim() });
        err.textContent = '';
        dept.value = name.value = '';
        const value = h('code', { id: 'token-value', class: 'secret' }, r.token);
        mount(fresh, h('div', { class: 'once' },
          h('strong', {}, t('tokens.shown_once')), h('p', {}, t('tokens.created_for', { name: r.name, department: r.department })), value,
          h('div', {}, h('button', { type: 'button', onclick: async (e) => {
            try {
              await navigator.clipboard.writeText(r.token);
              e.target.textContent = t('tokens.copied');
            } catch {
              getSelection().selectAllChildren(value);
            }
          } }, t('tokens.copy')), h('button', { type: 'button', onclick: () => mount(fresh) }, t('tokens.done')))));
        draw();
      } catch (e) {
        err.textContent = e.field ? t('common.field_error', { field: e.field, message: e.message }) : e.message;
      }
    } }, h('h2', {}, t('tokens.create')), field(t('tokens.department'), dept, t('tokens.department_hint')), field(t('tokens.name'), name),
    h('button', { type: 'submit', class: 'primary', id: 'token-create' }, t('tokens.create'))),
    err, fresh, list);
  draw();
}
