// 办件查询 (supervisor, investigator): search and filter the cases (GET /api/v1/cases, every
// argument it takes), sorted by accepted time (newest first, or oldest) or by the promised due
// date (sort=due: the running cases, overdue and soonest due first, or latest), paged with the
// API's keyset cursor. The filters and the sort live in the fragment (#/cases?warning=red&…), so a
// reload or a link keeps them; a row opens the case view.
import { api } from '../api.js';
import { field, h, mount, select } from '../dom.js';
import { formatDay, formatTime, isoToZoned, zoneOf, zonedToIso } from '../fmt.js';
import { t } from '../i18n.js';
import { applicantText, keysetPager, levelBadge, pagerBar, STATES, stageName } from '../cases.js';

const LIMIT = 50;
const TEXT = ['number', 'department', 'item', 'hall', 'window', 'operator'];

// The promised due date (a limit ends at 24:00 of it, so the day is that of the instant before),
// red once passed; '—' for a case not running or stopped by a supplement or special procedure.
function dueCell(c, now) {
  if (!c.promised_due_at) return h('td', { class: 'muted' }, '—');
  const due = Date.parse(c.promised_due_at);
  const late = due <= now;
  return h('td', { class: 'nowrap' + (late ? ' overdue' : ''), 'data-due': c.promised_due_at, title: late ? t('cases.overdue') : '' },
    formatDay(due - 1, zoneOf(c.hall)), late ? h('span', { class: 'small' }, ' · ' + t('cases.overdue')) : null);
}

export function render(root, ctx) {
  const p = ctx.params;
  const inputs = Object.fromEntries(TEXT.map((k) => [k, h('input', { id: 'cases-' + k, value: p.get(k) || '', size: k === 'number' ? 24 : 12 })]));
  inputs.window.placeholder = t('cases.window_hint');
  inputs.window.title = t('cases.window_hint');
  const state = select({ id: 'cases-state' }, [['', t('cases.any')], ...STATES.map((s) => [s, stageName(s)])], p.get('state') || '');
  const warning = select({ id: 'cases-warning' }, [['', t('cases.any')], ['yellow', t('level.yellow')], ['red', t('level.red')]], p.get('warning') || '');
  const from = h('input', { type: 'datetime-local', id: 'cases-from', value: isoToZoned(p.get('accepted_from')) });
  const to = h('input', { type: 'datetime-local', id: 'cases-to', value: isoToZoned(p.get('accepted_to')) });
  // by accepted time newest first, or by due date soonest first, unless the fragment says otherwise
  const sort = p.get('sort') === 'due' ? 'due' : 'accepted';
  const order = p.get('order') === 'asc' || p.get('order') === 'desc' ? p.get('order') : sort === 'due' ? 'asc' : 'desc';
  const err = h('p', { class: 'form-error', role: 'alert', id: 'cases-error' });
  const list = h('div', { id: 'cases-list' }, h('p', { class: 'muted' }, t('common.loading')));
  const pager = keysetPager();

  // The form's filters into the fragment: the page is drawn again from it.
  function hashOf(o, by = sort) {
    const q = new URLSearchParams();
    for (const k of TEXT) if (inputs[k].value.trim()) q.set(k, inputs[k].value.trim());
    if (state.value) q.set('state', state.value);
    if (warning.value) q.set('warning', warning.value);
    const f = zonedToIso(from.value), tt = zonedToIso(to.value);
    if (f) q.set('accepted_from', f);
    if (tt) q.set('accepted_to', tt);
    if (by === 'due') q.set('sort', 'due');
    const ord = o || (by === sort ? order : null);
    if (ord && ord !== (by === 'due' ? 'asc' : 'desc')) q.set('order', ord);
    return '#/cases' + (q.toString() ? '?' + q : '');
  }

  async function draw() {
    const q = new URLSearchParams();
    for (const k of [...TEXT, 'state', 'warning', 'accepted_from', 'accepted_to']) if (p.get(k)) q.set(k, p.get(k));
    if (sort === 'due') q.set('sort', 'due');
    q.set('order', order);
    q.set('limit', String(LIMIT));
    if (pager.cursor) q.set('cursor', pager.cursor);
    try {
      const r = await api.get('/api/v1/cases?' + q);
      err.textContent = '';
      // a column header sorts by its time; the sorted one's header reverses the order
      const flip = order === 'asc' ? 'desc' : 'asc';
      const sortBtn = (by, id, label, hint) => h('button', { type: 'button', class: 'link sort', id, title: t(hint),
        'data-active': String(sort === by), onclick: () => ctx.navigate(sort === by ? hashOf(flip) : hashOf(null, by)) },
      t(label), sort === by ? (order === 'asc' ? ' ↑' : ' ↓') : '');
      const ariaSort = (by) => (sort === by ? (order === 'asc' ? 'ascending' : 'descending') : 'none');
      const now = Date.now();
      mount(list,
        r.cases.length === 0 ? h('p', { class: 'muted', id: 'cases-none' }, t('cases.none')) :
          h('table', { class: 'table cases-table' },
            h('thead', {}, h('tr', {}, h('th', {}, t('cases.number')), h('th', {}, t('cases.department')), h('th', {}, t('cases.item')),
              h('th', {}, t('cases.applicant')), h('th', {}, t('cases.hall_window')),
              h('th', { 'aria-sort': ariaSort('accepted') }, sortBtn('accepted', 'cases-sort', 'cases.accepted_at', 'cases.sort_hint')),
              h('th', { 'aria-sort': ariaSort('due') }, sortBtn('due', 'cases-sort-due', 'cases.due_at', 'cases.sort_due_hint')),
              h('th', {}, t('cases.state')), h('th', {}, t('cases.warning')))),
            h('tbody', {}, r.cases.map((c) => h('tr', { class: 'clickable', 'data-case': c.id, 'data-number': c.case_number, 'data-hall': c.hall || '', onclick: () => ctx.navigate(`#/case?id=${c.id}`) },
              h('td', { class: 'nowrap' }, h('a', { href: `#/case?id=${c.id}` }, c.case_number)),
              h('td', {}, c.department),
              h('td', {}, c.item_name, h('div', { class: 'muted small' }, c.item_code)),
              h('td', {}, applicantText(c.applicant)),
              h('td', { class: 'nowrap' }, [c.hall, c.window].filter(Boolean).join(' / ') || '—'),
              h('td', { class: 'nowrap' }, formatTime(c.accepted_at, zoneOf(c.hall))),
              dueCell(c, now),
              h('td', {}, stageName(c.state), h('div', { class: 'muted small' }, formatTime(c.state_at, zoneOf(c.hall)))),
              h('td', {}, levelBadge(c.warning_level)))))),
        h('div', { class: 'toolbar' }, h('span', { class: 'muted small', id: 'cases-page-note' }, t(sort === 'due' ? 'cases.page_note_due' : 'cases.page_note', { n: r.cases.length })),
          pagerBar(pager, r.next_cursor, draw, 'cases')));
    } catch (e) {
      err.textContent = e.field ? t('common.field_error', { field: e.field, message: e.message }) : t('common.load_failed', { message: e.message });
      mount(list);
    }
  }

  mount(root,
    h('h1', {}, t('nav.cases')),
    h('form', { class: 'inline-form filters', id: 'cases-form', onsubmit: (e) => { e.preventDefault(); ctx.navigate(hashOf()); } },
      field(t('cases.number'), inputs.number), field(t('cases.department'), inputs.department), field(t('cases.item'), inputs.item),
      field(t('cases.hall'), inputs.hall), field(t('cases.window'), inputs.window),
      field(t('cases.operator'), inputs.operator), field(t('cases.state'), state), field(t('cases.warning'), warning),
      field(t('cases.accepted_from'), from), field(t('cases.accepted_to'), to),
      h('button', { type: 'submit', class: 'primary', id: 'cases-search' }, t('cases.search')),
      h('button', { type: 'button', id: 'cases-clear', onclick: () => ctx.navigate('#/cases') }, t('cases.clear'))),
    err, list);
  draw();
}
