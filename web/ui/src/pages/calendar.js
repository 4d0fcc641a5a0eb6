// 工作日历 (admin; supervisors read it): the working-day calendar deadlines are counted by. A
// year of months, each day marked as a working day, a rest day, a holiday (放假) or a make-up
// working day (调休上班); an admin clicks a day to set or clear its entry (PUT/DELETE
// /api/v1/calendar/{date}) and imports a calendar file (POST /api/v1/calendar/import, the format
// of cases/calendar/*.txt). Every change is audited by the server.
import { api, seg } from '../api.js';
import { dialog, field, h, mount, select } from '../dom.js';
import { isoToZoned } from '../fmt.js';
import { t } from '../i18n.js';

const pad = (n) => String(n).padStart(2, '0');
export const dateOf = (y, m, d) => `${y}-${pad(m)}-${pad(d)}`;

// The kind of a date: an entry's ("holiday"/"workday") or the plain week's ("work"/"rest").
export function dayKind(date, entries) {
  const e = entries.get(date);
  if (e) return e.kind;
  const [y, m, d] = date.split('-').map(Number);
  const wd = new Date(Date.UTC(y, m - 1, d)).getUTCDay();
  return wd === 0 || wd === 6 ? 'rest' : 'work';
}

// The weeks of a month, Monday first: arrays of 7 day numbers (null outside the month).
export function monthWeeks(y, m) {
  const first = (new Date(Date.UTC(y, m - 1, 1)).getUTCDay() + 6) % 7;
  const days = new Date(Date.UTC(y, m, 0)).getUTCDate();
  const cells = Array(first).fill(null).concat(Array.from({ length: days }, (_, i) => i + 1));
  while (cells.length % 7) cells.push(null);
  const weeks = [];
  for (let i = 0; i < cells.length; i += 7) weeks.push(cells.slice(i, i + 7));
  return weeks;
}

function errorNear(el, e) {
  el.textContent = e.message || String(e);
}

export function render(root, ctx) {
  const admin = ctx.me.role === 'admin';
  const today = isoToZoned(new Date()).slice(0, 10);
  let year = Number(ctx.params.get('year')) || Number(today.slice(0, 4));
  const grid = h('div', { class: 'cal-year', id: 'cal-year' });
  const err = h('p', { class: 'form-error', role: 'alert', id: 'cal-error' });
  const notice = h('p', { class: 'notice', role: 'status', id: 'cal-notice' });
  const title = h('h2', { id: 'cal-title' });
  let entries = new Map();

  async function draw() {
    err.textContent = '';
    title.textContent = t('calendar.year', { year });
    try {
      const r = await api.get('/api/v1/calendar?year=' + year);
      entries = new Map(r.days.map((d) => [d.date, d]));
    } catch (e) {
      err.textContent = t('common.load_failed', { message: e.message });
      return;
    }
    const counts = { holiday: 0, workday: 0 };
    entries.forEach((e) => { counts[e.kind] = (counts[e.kind] || 0) + 1; });
    mount(grid, Array.from({ length: 12 }, (_, i) => month(i + 1)),
      h('p', { class: 'muted small cal-count' }, t('calendar.count', { holidays: counts.holiday, workdays: counts.workday })));
  }

  function month(m) {
    return h('div', { class: 'cal-month', 'data-month': m },
      h('h3', {}, t('calendar.month', { month: m })),
      h('table', { class: 'cal-table' },
        h('thead', {}, h('tr', {}, [1, 2, 3, 4, 5, 6, 7].map((w) => h('th', {}, t('calendar.wd' + w))))),
        h('tbody', {}, monthWeeks(year, m).map((week) => h('tr', {}, week.map((d) => {
          if (d === null) return h('td', {});
          const date = dateOf(year, m, d);
          const kind = dayKind(date, entries);
          const e = entries.get(date);
          return h('td', {},
            h('button', {
              type: 'button', class: `cal-day cal-${kind}${date === today ? ' cal-today' : ''}`,
              'data-date': date, 'data-kind': kind, disabled: !admin,
              title: e ? `${date} ${t('calendar.kind_' + kind)}：${e.name}` : `${date} ${t('calendar.kind_' + kind)}`,
              onclick: () => edit(date),
            }, String(d)));
        }))))));
  }

  function edit(date) {
    const e = entries.get(date);
    const plain = dayKind(date, new Map());
    const kind = select({ id: 'cal-kind' }, [['holiday', t('calendar.kind_holiday')], ['workday', t('calendar.kind_workday')]],
      e ? e.kind : plain === 'rest' ? 'workday' : 'holiday');
    const name = h('input', { id: 'cal-name', value: e ? e.name : '', maxlength: 127, placeholder: t('calendar.name_example') });
    const kindErr = h('span', { class: 'form-error field-error', id: 'cal-kind-error' });
    const nameErr = h('span', { class: 'form-error field-error', id: 'cal-name-error' });
    const derr = h('p', { class: 'form-error', role: 'alert' });
    const d = dialog(t('calendar.edit_title', { date }),
      h('div', { class: 'form-grid', id: 'cal-dialog' },
        h('p', { class: 'muted span-2' }, t('calendar.plain_is', { kind: t('calendar.kind_' + plain) })),
        h('div', {}, field(t('calendar.kind'), kind), kindErr),
        h('div', {}, field(t('calendar.name'), name), nameErr), h('div', { class: 'span-2' }, derr)),
      [h('button', { type: 'button', onclick: () => d.close() }, t('common.cancel')),
        e ? h('button', { type: 'button', class: 'danger', id: 'cal-clear', onclick: async () => {
          try {
            await api.del('/api/v1/calendar/' + seg(date));
            d.close();
            notice.textContent = t('calendar.cleared', { date });
            draw();
          } catch (x) {
            errorNear(derr, x);
          }
        } }, t('calendar.clear')) : null,
        h('button', { type: 'button', class: 'primary', id: 'cal-save', onclick: async () => {
          kindErr.textContent = nameErr.textContent = derr.textContent = '';
          try {
            await api.put('/api/v1/calendar/' + seg(date), { kind: kind.value, name: name.value.trim() });
            d.close();
            notice.textContent = t('calendar.saved', { date, kind: t('calendar.kind_' + kind.value) });
            draw();
          } catch (x) {
            errorNear(x.field === 'kind' ? kindErr : x.field === 'name' ? nameErr : derr, x);
          }
        } }, t('common.save'))]);
  }

  // Import: a file chosen here or text pasted, all or nothing; the error names the bad line.
  const text = h('textarea', { id: 'cal-import-text', rows: 6, placeholder: '2027-01-01 holiday 元旦' });
  const file = h('input', { type: 'file', id: 'cal-import-file', accept: '.txt,text/plain', onchange: async () => {
    if (file.files[0]) text.value = await file.files[0].text();
  } });
  const replace = h('input', { type: 'checkbox', id: 'cal-import-replace' });
  const importErr = h('span', { class: 'form-error field-error', id: 'cal-import-error', role: 'alert' });
  const importForm = h('form', { class: 'panel cal-import', id: 'cal-import', onsubmit: async (ev) => {
    ev.preventDefault();
    importErr.textContent = '';
    try {
      const r = await api.post('/api/v1/calendar/import', { text: text.value, replace_years: replace.checked });
      notice.textContent = t('calendar.imported', { n: r.imported, years: r.years.join(', ') });
      text.value = '';
      draw();
    } catch (x) {
      errorNear(importErr, x);
    }
  } }, h('h2', {}, t('calendar.import')), h('p', { class: 'muted small' }, t('calendar.import_hint')),
  field(t('calendar.import_file'), file), field(t('calendar.import_text'), text), importErr,
  h('label', { class: 'check' }, replace, t('calendar.replace_years')),
  h('div', {}, h('button', { type: 'submit', class: 'primary', id: 'cal-import-go' }, t('calendar.import_go'))));

  const go = (dy) => { year += dy; draw(); };
  mount(root,
    h('h1', {}, t('nav.calendar')),
    h('p', { class: 'muted' }, t(admin ? 'calendar.intro_admin' : 'calendar.intro')),
    h('div', { class: 'toolbar' },
      h('div', { class: 'cal-nav' },
        h('button', { type: 'button', id: 'cal-prev', onclick: () => go(-1) }, '‹ ' + t('calendar.prev')),
        title,
        h('button', { type: 'button', id: 'cal-next', onclick: () => go(1) }, t('calendar.next') + ' ›')),
      h('div', { class: 'cal-legend' }, ['work', 'rest', 'holiday', 'workday'].map((k) =>
        h('span', { class: 'cal-key' }, h('span', { class: `cal-swatch cal-${k}` }), t('calendar.kind_' + k))))),
    notice, err, grid, admin ? importForm : null);
  draw();
}
