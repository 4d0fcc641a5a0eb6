// What the case pages share (pages/cases.js, case.js, staff.js): the names of stages and states,
// the warning badge, the applicant as the API gives it (masked for supervisors), and a keyset
// pager that keeps the cursors of the pages before (the API pages forward only).
import { h } from './dom.js';
import { t } from './i18n.js';

// The stage names of the exchange format (docs/exchange/openapi.yaml), in the order of a case.
export const STAGES = ['ticket_called', 'submitted', 'pre_accepted', 'accepted', 'undertaken', 'reviewed', 'approved',
  'returned', 'supplement_requested', 'supplement_received', 'special_procedure_started', 'special_procedure_ended',
  'completed', 'certificate_collected'];
export const STATES = ['registered', ...STAGES];

export const stageName = (s) => t('stage.' + s, null, s);

// The warning level as a coloured badge ('none' as a quiet dash).
export function levelBadge(level) {
  if (level !== 'yellow' && level !== 'red') return h('span', { class: 'muted', 'data-level': 'none' }, '—');
  return h('span', { class: `level level-${level}`, 'data-level': level }, t('level.' + level));
}

// "张** · 居民身份证 4401**********1234" with a 已脱敏 marker when masked.
export function applicantText(a) {
  if (!a) return '—';
  return h('span', { class: 'applicant', 'data-masked': String(!!a.masked) },
    h('span', { class: 'applicant-name' }, a.name),
    a.id_number ? h('span', { class: 'muted small' }, ` · ${a.id_type ? a.id_type + ' ' : ''}${a.id_number}`) : null,
    a.masked ? h('span', { class: 'badge masked', title: t('cases.masked_hint') }, t('cases.masked')) : null);
}

// Keyset paging: next() with the answer's next_cursor, back() to the page before.
export function keysetPager() {
  const before = []; // the cursors of the pages before this one ('' for the first)
  let cursor = '';
  return {
    get cursor() { return cursor; },
    get hasBack() { return before.length > 0; },
    next(c) { before.push(cursor); cursor = c; },
    back() { cursor = before.pop() || ''; },
    reset() { before.length = 0; cursor = ''; },
  };
}

// The pager's buttons: ‹ previous, page n, next ›.
export function pagerBar(pager, nextCursor, go, idPrefix) {
  return h('div', { class: 'pager', id: idPrefix + '-pager' },
    h('button', { type: 'button', id: idPrefix + '-prev', disabled: !pager.hasBack, onclick: () => { pager.back(); go(); } }, t('cases.prev')),
    h('button', { type: 'button', id: idPrefix + '-next', disabled: !nextCursor, onclick: () => { pager.next(nextCursor); go(); } }, t('cases.next')));
}
