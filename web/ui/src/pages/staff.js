// 经办人记录 (supervisor, investigator; #/staff?op=OPERATOR_ID, reached from the case view): one
// person's stage events across cases and departments in the caller's scope (GET /api/v1/staff/
// {operator_id}/events), paged with the API's keyset cursor; each links its case and plays the
// case view from that stage.
import { api, seg } from '../api.js';
import { field, h, mount, select } from '../dom.js';
import { formatTime, zoneOf } from '../fmt.js';
import { t } from '../i18n.js';
import { keysetPager, pagerBar, stageName } from '../cases.js';

const LIMIT = 50;

export function render(root, ctx) {
  const op = ctx.params.get('op') || '';
  const order = ctx.params.get('order') === 'asc' ? 'asc' : 'desc';
  const title = h('h1', { id: 'staff-title' }, t('staff.title', { who: op }));
  const err = h('p', { class: 'form-error', role: 'alert', id: 'staff-error' });
  const list = h('div', { id: 'staff-list' }, h('p', { class: 'muted' }, t('common.loading')));
  const pager = keysetPager();
  const orderSel = select({ id: 'staff-order', onchange: () => ctx.navigate(`#/staff?op=${seg(op)}&order=${orderSel.value}`) },
    [['desc', t('staff.newest')], ['asc', t('staff.oldest')]], order);

  async function draw() {
    if (!op) return void mount(list, h('p', { class: 'muted' }, t('staff.no_operator')));
    const q = new URLSearchParams({ order, limit: String(LIMIT) });
    if (pager.cursor) q.set('cursor', pager.cursor);
    try {
      const r = await api.get(`/api/v1/staff/${seg(op)}/events?${q}`);
      const name = r.events.find((e) => e.operator_name);
      title.textContent = t('staff.title', { who: name ? `${name.operator_name}（${op}）` : op });
      mount(list, r.events.length === 0 ? h('p', { class: 'muted' }, t('staff.none')) :
        h('table', { class: 'table', id: 'staff-table' },
          h('thead', {}, h('tr', {}, [t('staff.time'), t('staff.stage'), t('cases.number'), t('cases.department'), t('cases.hall_window'), t('staff.opinion'), ''].map((x) => h('th', {}, x)))),
          h('tbody', {}, r.events.map((e) => h('tr', { 'data-event': e.id, 'data-case': e.case_id },
            h('td', { class: 'nowrap' }, formatTime(e.time, zoneOf(e.hall))),
            h('td', {}, stageName(e.stage)),
            h('td', { class: 'nowrap' }, h('a', { href: `#/case?id=${e.case_id}` }, e.case_number)),
            h('td', {}, e.department),
            h('td', { class: 'nowrap' }, [e.hall, e.window].filter(Boolean).join(' / ') || '—'),
            h('td', { class: 'small' }, e.opinion || ''),
            h('td', { class: 'actions' }, h('a', { class: 'button', 'data-action': 'play', href: `#/case?id=${e.case_id}&stage=${e.id}` }, '▶ ', t('staff.play'))))))),
      h('div', { class: 'toolbar' }, h('span', {}), pagerBar(pager, r.next_cursor, draw, 'staff')));
    } catch (e) {
      err.textContent = t('common.load_failed', { message: e.message });
      mount(list);
    }
  }

  mount(root, title, h('p', { class: 'muted' }, t('staff.intro')),
    h('div', { class: 'inline-form filters' }, field(t('staff.order'), orderSel)), err, list);
  draw();
}
