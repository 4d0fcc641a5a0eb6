// browser.ui, the case pages (web/ui/src/pages/cases.js, case.js, staff.js): a department's system
// posts a case through the exchange API, accepted at hall-1's window 1 (cam-1, mapped in step 3)
// with a fee above the standard, so a red warning is raised at once. A supervisor finds it by
// warning level (applicant masked), opens it, clicks 受理: the first picture is the frame captured
// at the stage's time (the camera's barcode, on a canvas), it plays, the time under the picture is
// the frame's own; ] plays the next stage; sends a correction notice and closes the warning; the
// staff page lists the operator's events. An investigator sees the applicant in full and is
// offered the stage's export. ctx: {page, P, apiSession, check, log, shot, signInOk, setStep}; returns what the audit
// step must find.
import { armFirstStamp, firstStamp, readStamp } from './stamp.mjs';

const FRAME_MS = 45; // one frame at 25 fps, + 5 ms for the stamp (as the footage step)
const iso = (ms) => new Date(ms).toISOString();

export async function run(ctx) {
  const { page, P, apiSession, check, log, shot, signInOk, setStep } = ctx;
  setStep('cases: seed');
  const admin = await apiSession('admin');
  const { token } = await admin('POST', '/api/v1/tokens', { department: 'tax', name: 'case view test' });
  const now = Date.now();
  const number = `TAX-CV-${now}`;
  // within what cam-1 has recorded (since step 3: maybe only ~25 s when the machine is fast)
  const at = { ticket_called: now - 12000, accepted: now - 9000, undertaken: now - 5000, reviewed: now - 2000 };
  const ev = (stage, extra) => ({ type: 'stage_event', department: 'tax', case_number: number, event_id: `${number}-${stage}`,
    stage, time: iso(at[stage]), operator_id: 'TAX007', operator_name: '王小明', hall: 'hall-1', window: '1', ...extra });
  const batch = { records: [
    { type: 'case', department: 'tax', case_number: number, version: 1, item_code: 'TAX-001', item_name: '税务登记',
      applicant_type: 'person', applicant_name: '张三丰', applicant_id_type: '居民身份证', applicant_id_number: '440102199001011234',
      hall: 'hall-1', window: '1', queue_ticket: 'A001', accepted_at: iso(at.accepted), acceptance: 'accepted',
      statutory_limit: 20, statutory_limit_unit: 'working_days', promised_limit: 10, promised_limit_unit: 'working_days',
      fee_charged_fen: 5000, fee_standard_fen: 2000, secrecy: 'none' },
    ev('ticket_called', { queue_ticket: 'A001' }),
    ev('accepted', { opinion: '材料齐全，予以受理' }),
    ev('undertaken', { opinion: '已转承办科室' }),
    // reviewed in the back office: no window, so no footage, and the page must say why
    ev('reviewed', { hall: null, window: null, operator_id: 'TAX008', operator_name: '李审核' }),
    // the applicant's 不满意 press at the window, between 受理 and 承办: listed with its clip
    { type: 'evaluation', department: 'tax', event_id: `${number}-pj`, case_number: number, time: iso(at.undertaken - 1500),
      hall: 'hall-1', window: '1', operator_id: 'TAX007', rating: 'dissatisfied' },
    // a case of hall-2: a supervisor limited to hall-1 (newsup, step 5b) must not see it
    { type: 'case', department: 'tax', case_number: `${number}-H2`, version: 1, item_code: 'TAX-002', item_name: '发票领用',
      applicant_type: 'person', applicant_name: '李四', applicant_id_type: '居民身份证', applicant_id_number: '440102199202021234',
      hall: 'hall-2', accepted_at: iso(at.accepted), acceptance: 'accepted',
      statutory_limit: 20, statutory_limit_unit: 'working_days', promised_limit: 10, promised_limit_unit: 'working_days',
      fee_charged_fen: 0, fee_standard_fen: 0, secrecy: 'none' },
  ] };
  const resp = await fetch(P.base + '/api/v1/exchange/batch', { method: 'POST', headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' }, body: JSON.stringify(batch) });
  check(resp.status === 200, `the exchange batch: ${resp.status} ${await resp.text()}`);
  const sup = await apiSession('supervisor');
  const found = await sup('GET', `/api/v1/cases?number=${number}`);
  check(found.cases.length === 1 && found.cases[0].warning_level === 'red', `the case is stored with a red warning: ${JSON.stringify(found.cases)}`);
  const id = found.cases[0].id;
  // wait until cam-1's footage of both stages is indexed (a fragment is indexed within ~6 s)
  let fs;
  const covered = (f) => f && f.cameras.some((c) => c.camera === 'cam-1' && c.covered.some((x) => x.from_ns / 1e6 <= f.time_ns / 1e6 && f.time_ns / 1e6 < x.to_ns / 1e6));
  for (let waited = 0; waited < 20000; waited += 500) {
    fs = await sup('GET', `/api/v1/cases/${id}/footage`);
    if (['accepted', 'undertaken'].every((s) => covered(fs.stages.find((f) => f.stage === s)))) break;
    await new Promise((r) => setTimeout(r, 500));
  }
  check(['accepted', 'undertaken'].every((s) => covered(fs.stages.find((f) => f.stage === s))), `cam-1 covers the stages: ${JSON.stringify(fs.stages)}`);
  const stageId = Object.fromEntries(fs.stages.map((f) => [f.stage, f.id]));
  log(`case ${number} (#${id}) posted by tax's system: red fee_above_standard warning, cam-1 footage at its stages`);

  setStep('cases: list');
  await signInOk('supervisor');
  await page.goto(`${P.base}/#/cases?warning=red`);
  const row = `#cases-list tr[data-case="${id}"]`;
  await page.waitForSelector(row);
  check(await page.$eval('#cases-warning', (s) => s.value) === 'red', 'the warning filter is kept from the URL');
  check(await page.locator(`#cases-list tr[data-case] [data-level]:not([data-level="red"])`).count() === 0, 'warning=red lists a case that is not red');
  const app = await page.textContent(`${row} .applicant`);
  check(await page.locator(`${row} .applicant[data-masked="true"]`).count() === 1 && app.includes('张**') && !app.includes('张三丰') &&
    app.includes('4401**********1234') && app.includes('已脱敏'), `a supervisor sees the applicant masked: "${app}"`);
  await shot('supervisor-cases-list');
  log(`the list filtered by warning=red shows it, applicant "${app}"`);
  // sorted by the promised due date: running cases only, soonest first; a second click reverses
  const dues = () => page.$$eval('#cases-list tr[data-case] td[data-due]', (tds) => tds.map((td) => Date.parse(td.dataset.due)));
  const sorted = (a, dir) => a.every((v, i) => i === 0 || dir * (v - a[i - 1]) >= 0);
  await page.click('#cases-sort-due');
  await page.waitForFunction(() => location.hash.includes('sort=due') && document.querySelector('#cases-page-note')?.textContent.includes('承诺期限'));
  await page.waitForSelector(row);
  const up = await dues();
  check(up.length === await page.locator('#cases-list tr[data-case]').count(), 'sorted by due date, a listed case has no due date');
  check(sorted(up, 1), `sorted by due date, soonest first: ${up.map((v) => new Date(v).toISOString())}`);
  check(await page.$eval('#cases-warning', (s) => s.value) === 'red', 'the warning filter is kept when sorting');
  await page.click('#cases-sort-due');
  await page.waitForFunction(() => location.hash.includes('order=desc') && document.querySelector('#cases-sort-due')?.textContent.includes('↓'));
  await page.waitForSelector(row);
  const down = await dues();
  check(sorted(down, -1) && down.length === up.length, `reversed: ${down.map((v) => new Date(v).toISOString())}`);
  await shot('supervisor-cases-by-due');
  await page.click('#cases-sort');
  await page.waitForFunction(() => !location.hash.includes('sort=due') && document.querySelector('#cases-sort')?.textContent.includes('↓'));
  await page.waitForSelector(row);
  log(`sorted by promised due date: ${up.length} running red case(s) soonest first, then reversed; back to accepted time`);

  setStep('cases: case view');
  const t0 = Date.now();
  await page.click(`${row} td:nth-child(3)`);
  await page.waitForSelector('#case-stages li.stage[data-stage="accepted"]');
  const firstRender = Date.now() - t0;
  check(firstRender < 1000, `the case view took ${firstRender} ms to render (want < 1 s on loopback)`);
  const facts = await page.textContent('#case-facts');
  check(facts.includes(number) && facts.includes('¥50.00') && facts.includes('¥20.00') && facts.includes('A001'), `case facts: ${facts}`);
  check(await page.locator('#case-limits [data-limit="promised"]').count() === 1, 'the promised limit is shown');
  const why = await page.textContent('#case-stages li.stage[data-stage="reviewed"] .why[data-why="no_window"]');
  check(why.includes('未记录窗口'), `a stage without a window says why it has no footage: "${why}"`);
  log(`case view rendered in ${firstRender} ms`);

  // the playlist the player has open: hls.js reloads it while its range reaches into the future
  // (an EVENT playlist, the same session); any other playlist URL is a new session
  let openPlaylist = null;
  const notePlaylist = (r) => { if (r.url().includes('/playback.m3u8')) openPlaylist = openPlaylist || r.url(); };
  page.on('request', notePlaylist);
  await armFirstStamp(page, '#case-video');
  await page.click('#case-stages li.stage[data-stage="accepted"] .stage-name');
  const f0 = await firstStamp(page);
  check(!f0.error, `reading the first frame of 受理: ${f0.error}`);
  check(Math.abs(f0.captured - at.accepted) <= FRAME_MS, `the first frame of 受理 was captured ${(f0.captured - at.accepted).toFixed(1)} ms from the stage time (want within one frame)`);
  log(`click 受理: first frame captured ${(f0.captured - at.accepted).toFixed(1)} ms from the stage time ${iso(at.accepted)}`);
  await page.waitForFunction(() => { const v = document.querySelector('#case-video'); return !v.paused && v.currentTime > 0 && v.readyState >= 3; }, null, { timeout: 30000 });
  const c0 = await page.evaluate(() => document.querySelector('#case-video').currentTime);
  await page.waitForTimeout(1500);
  const c1 = await page.evaluate(() => document.querySelector('#case-video').currentTime);
  check(c1 - c0 > 0.8, `the video plays: currentTime ${c0} → ${c1}`);
  check(await page.locator('#case-stages li.stage.current[data-stage="accepted"]').count() === 1, 'the playing stage 受理 is highlighted');
  await shot('supervisor-case-view');
  await page.evaluate(() => new Promise((res) => {
    const v = document.querySelector('#case-video');
    v.pause();
    v.addEventListener('seeked', () => requestAnimationFrame(() => requestAnimationFrame(res)), { once: true });
    v.currentTime = v.currentTime; // present exactly the frame at the paused position
  }));
  await page.waitForTimeout(200);
  const f1 = await readStamp(page, '#case-video', '#case-time');
  check(!f1.error, `reading the barcode after playing: ${f1.error}`);
  check(Math.abs(f1.shown - f1.captured) <= FRAME_MS, `the page shows ${iso(f1.shown)} under a frame captured at ${iso(f1.captured)}`);
  log(`plays (${(c1 - c0).toFixed(2)} s in 1.5 s); the time under the picture "${f1.text}" is ${(f1.shown - f1.captured).toFixed(1)} ms from the barcode's`);

  page.off('request', notePlaylist);
  let playlists = 0;
  const countPlaylists = (r) => { if (r.url().includes('/playback.m3u8') && r.url() !== openPlaylist) playlists++; };
  page.on('request', countPlaylists);
  await page.focus('#case-stages li.stage[data-stage="accepted"]');
  await page.keyboard.press(']');
  await page.waitForSelector('#case-stages li.stage.current[data-stage="undertaken"]');
  check(await page.$eval('#case-video', (v) => v.dataset.stage) === String(stageId.undertaken), '] plays the next stage');
  await page.waitForFunction(() => { const v = document.querySelector('#case-video'); return !v.paused && v.readyState >= 3; }, null, { timeout: 30000 });
  await page.waitForTimeout(500);
  const f2 = await readStamp(page, '#case-video', '#case-time');
  check(!f2.error && f2.captured >= at.undertaken - FRAME_MS && f2.captured < at.undertaken + 3000, `after ] the picture was captured at ${iso(f2.captured)}, the stage at ${iso(at.undertaken)} (${f2.error || 'ok'})`);
  page.off('request', countPlaylists);
  check(playlists === 0, `] asked for ${playlists} new playlist(s): the open session covers the next stage (each playlist is an audited session)`);
  log(`] highlights and plays 承办 (frame ${((f2.captured - at.undertaken) / 1000).toFixed(2)} s after its time, ${playlists} new playlist(s))`);

  // the evaluation is listed beside the stages and plays its window's footage from its time
  const evAt = at.undertaken - 1500;
  const evItem = '#case-feedback li.stage[data-kind="evaluation"]';
  check((await page.textContent(evItem)).includes('不满意'), `the evaluation is listed: "${await page.textContent('#case-feedback')}"`);
  await page.click(`${evItem} .stage-name`);
  await page.waitForFunction((t0) => { const v = document.querySelector('#case-video'); return Math.abs(Number(v.dataset.start) - t0) < 1 && !v.paused && v.readyState >= 3; }, evAt, { timeout: 30000 });
  await page.waitForTimeout(300);
  const f3 = await readStamp(page, '#case-video', '#case-time');
  check(!f3.error && f3.captured >= evAt - FRAME_MS && f3.captured < evAt + 3000, `the evaluation plays footage captured at ${iso(f3.captured)}, it was pressed at ${iso(evAt)} (${f3.error || 'ok'})`);
  log(`the 不满意 evaluation plays its window's footage (frame ${((f3.captured - evAt) / 1000).toFixed(2)} s after its time)`);

  setStep('cases: warning');
  const w = `#case-warnings li.warning[data-rule="fee_above_standard"]`;
  await page.waitForSelector(`${w}[data-state="open"] button[data-action="notice"]`);
  const noticeText = '请于三个工作日内退还多收费用并说明原因';
  await page.click(`${w} button[data-action="notice"]`);
  await page.fill('#warning-text', noticeText);
  await page.click('#warning-submit');
  await page.waitForSelector(`${w} .notices li[data-notice]:has-text("${noticeText}")`);
  const note = '已核实：多收 30 元，部门已退还';
  await page.click(`${w} button[data-action="close"]`);
  await page.fill('#warning-text', note);
  await page.click('#warning-submit');
  await page.waitForSelector(`${w}[data-state="closed"] .history li[data-action="closed"]:has-text("${note}")`);
  check(await page.locator('.case-head [data-level="none"]').count() === 1, 'the case is no longer marked red once its only warning is closed');
  check((await page.textContent(`${w} .closed-note`)).includes(note), 'the close note is shown on the closed warning');
  log('a correction notice is sent; the red warning is closed with its note, both in its history');

  setStep('cases: staff');
  await page.click('#case-stages li.stage[data-stage="accepted"] a.operator');
  await page.waitForSelector('#staff-table tr[data-event]');
  const evs = await page.$$eval('#staff-table tr[data-event]', (trs) => trs.map((x) => x.dataset.event));
  check(['ticket_called', 'accepted', 'undertaken'].every((s) => evs.includes(String(stageId[s]))), `the staff page lists TAX007's events: ${evs}`);
  check((await page.textContent('#staff-title')).includes('王小明'), 'the staff page names the person');
  await shot('supervisor-staff');
  await page.click(`#staff-table tr[data-event="${stageId.accepted}"] [data-action="play"]`);
  await page.waitForFunction((sid) => document.querySelector('#case-video')?.dataset.stage === String(sid), stageId.accepted);
  await page.waitForFunction(() => document.querySelector('#case-video').readyState >= 2 && document.querySelector('#case-time').dataset.ms);
  log(`the staff page lists ${evs.length} event(s) of 王小明; "play" opens the case view at 受理`);
  await page.click('#sign-out');
  await page.waitForSelector('#username');

  setStep('cases: investigator');
  await signInOk('investigator');
  await page.goto(`${P.base}/#/case?id=${id}`);
  await page.waitForSelector('#case-facts .applicant');
  const full = await page.textContent('#case-facts .applicant');
  check(full.includes('张三丰') && full.includes('440102199001011234') && !full.includes('已脱敏'), `an investigator sees the applicant in full: "${full}"`);
  // (not clicked: its job would run beside step 5c's export, whose range ends in the future)
  check(await page.locator('#case-stages li.stage[data-stage="accepted"] [data-action="export"]').count() === 1, 'an investigator is offered 导出此阶段');
  log(`an investigator sees "${full}" and is offered 导出此阶段 on the stages with footage`);
  await page.click('#sign-out');
  await page.waitForSelector('#username');
  // what the auditor must find (step 6)
  return [['warning.close', 'supervisor', note], ['notice.send', 'supervisor', noticeText]];
}
