// Unit tests of the interface's plain modules under Node (no browser): the translation table
// covers every key built at run time, the navigation gives each role its pages, and times are
// read and shown in the hall's time zone. ctest runs this as web.ui.unit.
import assert from 'node:assert/strict';
import { test } from 'node:test';

import { formatTime, isoToZoned, zonedToIso } from '../src/fmt.js';
import { LANGS, TABLE } from '../src/i18n.js';
import { PAGES, pagesFor, parseHash } from '../src/nav.js';
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
    ...['promised_near', 'promised_late', 'statutory_late', 'stage_long', 'stage_order', 'fee_above_standard', 'rejection_without_reason', 'complaint'].map((x) => 'rule.' + x),
    ...['no_window', 'unknown_window', 'no_camera'].map((x) => 'case.no_footage_' + x),
    ...['promised', 'statutory'].map((x) => 'case.limit_' + x),
    ...['cameras', 'halls', 'windows'].map((x) => 'cameras.tab_' + x),
    ...['connecting', 'playing', 'offline', 'unsupported', 'error'].map((x) => 'live.state_' + x),
    ...['queued', 'running', 'done', 'failed'].map((x) => 'exports.state_' + x),
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
