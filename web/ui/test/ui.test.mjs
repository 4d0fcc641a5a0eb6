// Unit tests of the interface's plain modules under Node (no browser): the translation table
// covers every key built at run time, the navigation gives each role its pages, and times are
// read and shown in the hall's time zone. ctest runs this as web.ui.unit.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatTime, isoToZoned, zonedToIso } from '../src/fmt.js';
import { LANGS, TABLE } from '../src/i18n.js';
import { PAGES, pagesFor, parseHash } from '../src/nav.js';
import { dayKind, monthWeeks } from '../src/pages/calendar.js';
import { RETENTION, RULES, THRESHOLDS, changes } from '../src/pages/settings.js';
import { STATES } from '../src/cases.js';

const ROLES = ['admin', 'auditor', 'supervisor', 'hall_manager', 'investigator', 'viewer'];

test('every key built at run time is in the table, in both languages', () => {
  const keys = [
    ...PAGES.map((p) => 'nav.' + p.id),
    ...PAGES.filter((p) => p.slot).map((p) => 'slot.' + p.id),
    ...ROLES.map((r) => 'role.' + r),
    ...['recording', 'reconnecting', 'down', 'disabled', 'starting'].map((x) => 'health.' + x),
    ...LANGS.map((l) => 'lang.' + l),
    ...STATES.map((x) => 'stage.' + x),
    ...['yellow', 'red'].map((x) => 'level.' + x),
    ...['very_satisfied', 'satisfied', 'basically_satisfied', 'dissatisfied', 'very_dissatisfied'].map((x) => 'rating.' + x),
    ...['in_person', 'phone', 'web', 'letter', 'other'].map((x) => 'channel.' + x),
    ...['promised_near', 'promised_late', 'statutory_late', 'stage_long', 'stage_order', 'fee_above_standard', 'rejection_without_reason', 'complaint'].map((x) => 'rule.' + x),
    ...['no_window', 'unknown_window', 'no_camera'].map((x) => 'case.no_footage_' + x),
    ...['promised', 'statutory'].map((x) => 'case.limit_' + x),
    ...['cameras', 'halls', 'windows'].map((x) => 'cameras.tab_' + x),
    ...['connecting', 'playing', 'offline', 'unsupported', 'error'].map((x) => 'live.state_' + x),
    ...['queued', 'running', 'done', 'failed'].map((x) => 'exports.state_' + x),
    ...[1, 2, 3, 4, 5, 6, 7].map((w) => 'calendar.wd' + w),
    ...['work', 'rest', 'holiday', 'workday'].map((k) => 'calendar.kind_' + k),
    ...['default', 'config', 'interface'].map((s) => 'settings.source_' + s),
    ...RULES.flatMap((k) => ['settings.rule_' + k, 'settings.rule_' + k + '_when']),
    ...THRESHOLDS.flatMap((k) => ['settings.key_' + k, 'settings.key_' + k + '_hint']),
    ...RETENTION.flatMap((k) => ['settings.retention_' + k, 'settings.retention_' + k + '_hint']),
    ...['camera_unreachable', 'auth_refused', 'stream_stalled', 'stream_error', 'daemon_down', 'disk_floor', 'clock_step', 'storage_error', 'expired', 'pending', 'not_recorded'].map((x) => 'footage.reason_' + x),
  ];
  for (const k of keys) {
    assert.ok(TABLE[k], `missing ${k}`);
    assert.equal(TABLE[k].length, LANGS.length, k);
  }
  assert.equal(LANGS[0], 'zh-CN', 'Chinese comes first');
});

test('each role sees only its pages; the viewer sees reports only, the auditor the audit log only', () => {
  assert.deepEqual(pagesFor('viewer').map((p) => p.id), ['reports']);
  assert.deepEqual(pagesFor('auditor').map((p) => p.id), ['audit']);
  assert.ok(pagesFor('hall_manager').some((p) => p.id === 'cameras'));
  assert.ok(!pagesFor('supervisor').some((p) => p.id === 'audit' || p.id === 'tokens'));
  assert.ok(!pagesFor('admin').some((p) => p.id === 'audit'), 'separation of duties');
  for (const r of ROLES) assert.ok(pagesFor(r).length > 0, `${r} has a page`);
  for (const p of PAGES) assert.ok(p.slot || p.module, `${p.id} has a module or is a slot`);
  assert.deepEqual([...new Set(PAGES.map((p) => p.id))].length, PAGES.length, 'ids are unique');
});

test('hash routes parse into a page id and parameters', () => {
  const r = parseHash('#/cameras?tab=windows');
  assert.equal(r.id, 'cameras');
  assert.equal(r.params.get('tab'), 'windows');
  assert.equal(parseHash('#/../x').id, null);
  assert.equal(parseHash('').id, null);
});

test('times are shown and read in the hall time zone', () => {
  assert.equal(formatTime('2026-03-01T00:30:05Z', 'Asia/Shanghai'), '2026-03-01 08:30:05');
  assert.equal(formatTime('2026-03-01T00:30:05Z', 'UTC'), '2026-03-01 00:30:05');
  assert.equal(formatTime(null), '—');
  assert.equal(zonedToIso('2026-03-01T08:30', 'Asia/Shanghai'), '2026-03-01T00:30:00.000Z');
  assert.equal(zonedToIso('2026-03-01T08:30', 'UTC'), '2026-03-01T08:30:00.000Z');
  // across a daylight-saving change (a zone the appliance might be configured with)
  assert.equal(zonedToIso('2026-07-01T12:00', 'Europe/Berlin'), '2026-07-01T10:00:00.000Z');
  assert.equal(zonedToIso('2026-01-01T12:00', 'Europe/Berlin'), '2026-01-01T11:00:00.000Z');
  assert.equal(zonedToIso('not a time', 'UTC'), null);
  assert.equal(isoToZoned('2026-03-01T00:30:00Z', 'Asia/Shanghai'), '2026-03-01T08:30');
});

test('the calendar lays months out Monday first and marks holidays, make-up days and weekends', () => {
  const feb = monthWeeks(2026, 2); // 2026-02-01 is a Sunday
  assert.deepEqual(feb[0], [null, null, null, null, null, null, 1]);
  assert.equal(feb.flat().filter(Boolean).length, 28);
  const entries = new Map([['2026-02-17', { kind: 'holiday' }], ['2026-02-14', { kind: 'workday' }]]);
  assert.equal(dayKind('2026-02-17', entries), 'holiday'); // a Tuesday off
  assert.equal(dayKind('2026-02-14', entries), 'workday'); // a Saturday worked
  assert.equal(dayKind('2026-02-15', entries), 'rest');
  assert.equal(dayKind('2026-02-16', entries), 'work');
});

test('the settings page sends only the values changed, by section', () => {
  const loaded = { 'warnings.complaint': true, 'warnings.near_days': '1', 'retention.days': '30' };
  assert.deepEqual(changes(loaded, { 'warnings.complaint': false, 'warnings.near_days': '1', 'retention.days': ' 60 ' }),
    { warnings: { complaint: false }, retention: { days: '60' } });
  assert.deepEqual(changes(loaded, { ...loaded }), {});
});

test('the warnings chart stacks each department’s levels on a round axis', async () => {
  const { layoutStacked, niceStep } = await import('../src/chart.js');
  assert.equal(niceStep(7), 2);
  assert.equal(niceStep(40), 10);
  assert.equal(niceStep(0), 1);
  const cats = [{ key: 'A' }, { key: 'B' }];
  const series = [{ key: 'yellow' }, { key: 'red' }];
  const data = { A: { yellow: 3, red: 4 }, B: { yellow: 0, red: 1 } };
  const L = layoutStacked(cats, series, (c, s) => data[c.key][s.key], { width: 400, height: 240 });
  assert.equal(L.top, 8); // 7 rounded up to the step of 2
  assert.deepEqual(L.bars.map((b) => b.total), [7, 1]);
  const [y, r] = L.bars[0].segments;
  assert.equal(y.y + y.height, L.baseline, 'yellow sits on the baseline');
  assert.ok(Math.abs(r.y + r.height - y.y) < 1e-9, 'red sits on yellow');
  assert.ok(Math.abs(r.height / y.height - 4 / 3) < 1e-9, 'heights follow the counts');
  assert.ok(L.bars[1].x > L.bars[0].x + L.bars[0].width, 'bars do not overlap');
});

test('a day in a sentence is shown in the hall zone, with the year only when not this year', async () => {
  const { formatDay } = await import('../src/fmt.js');
  const now = Date.parse('2026-11-28T00:00:00Z');
  assert.equal(formatDay('2026-10-11T17:00:00Z', 'Asia/Shanghai', now), '10月12日');
  assert.equal(formatDay('2025-10-11T17:00:00Z', 'Asia/Shanghai', now), '2025年10月12日');
});
