// browser.ui steps of the supervisors' dashboard (issue 6), run by ui.mjs after the live wall
// step (cam-1 records and covers window hall-1/1 of department tax). A department's system posts
// cases through the exchange API (a fee above the standard: an instant red warning; a 0-day
// promise: due today); the supervisor's dashboard shows the same counts as the API in its chart,
// the case due today with its link, the storage panel with a horizon date; a new warning changes
// the chart without a reload; the live wall tile of cam-1 names its window's current case; the
// footage timeline of cam-1 carries the stage markers, and a click on one plays from it.
//
// ctx: {page, P, apiSession, check, log, shot, signInOk, setStep, HALL_ZONE}
export async function run(ctx) {
  const { page, P, apiSession, check, log, shot, signInOk, setStep, HALL_ZONE } = ctx;
  const iso = (ms) => new Date(ms).toISOString();

  setStep('dashboard: seed cases');
  const admin = await apiSession('admin');
  const { token } = await admin('POST', '/api/v1/tokens', { department: 'tax', name: '税务局审批系统（看板测试）' });
  const batch = async (records) => {
    const r = await fetch(P.base + '/api/v1/exchange/batch', { method: 'POST', headers: { Authorization: 'Bearer ' + token, 'Content-Type': 'application/json' }, body: JSON.stringify({ records }) });
    check(r.status === 200, `exchange batch: ${r.status} ${await r.text()}`);
  };
  const caseAt = (number, at, promised, fee) => [
    { type: 'case', department: 'tax', case_number: number, version: 1, item_code: 'TAX-01', item_name: `发票领用 ${number}`,
      applicant_type: 'company', applicant_name: '某公司', hall: 'hall-1', window: '1', accepted_at: iso(at), acceptance: 'accepted',
      statutory_limit: 20, statutory_limit_unit: 'working_days', promised_limit: promised, promised_limit_unit: 'working_days',
      fee_charged_fen: fee, fee_standard_fen: 1000, secrecy: 'none' },
    { type: 'stage_event', department: 'tax', case_number: number, event_id: `${number}-acc`, stage: 'accepted', time: iso(at),
      operator_id: 'T001', operator_name: '王芳', hall: 'hall-1', window: '1' }];
  const t0 = Date.now() - 90000;
  await batch([...caseAt('TAX-D1', t0, 0, 5000), ...caseAt('TAX-D2', t0 + 20000, 10, 1000)]);
  log('the tax department posted TAX-D1 (fee above the standard, promised 0 days) and TAX-D2 at hall-1 window 1');

  const sup = await apiSession('supervisor');
  const warn = await sup('GET', '/api/v1/warnings/summary');
  const cases = await sup('GET', '/api/v1/cases/summary');
  const storage = await sup('GET', '/api/v1/status/storage');
  const tax = warn.departments.find((d) => d.department === 'tax');
  check(tax && tax.red >= 1, `the API counts tax's red warnings: ${JSON.stringify(warn)}`);
  const d1 = cases.due.cases.find((c) => c.case_number === 'TAX-D1');
  check(d1, `TAX-D1 is due today (${cases.date}): ${JSON.stringify(cases.due)}`);
  check(storage.footage.oldest, `the storage status has a horizon: ${JSON.stringify(storage.footage)}`);

  setStep('dashboard: counts');
  await signInOk('supervisor');
  await page.goto(`${P.base}/#/dashboard`);
  const seg = (level) => `#warnings-chart rect[data-category="tax"][data-series="${level}"]`;
  await page.waitForSelector(seg('red'));
  for (const level of ['yellow', 'red']) {
    const shown = tax[level] ? Number(await page.getAttribute(seg(level), 'data-count')) : 0;
    check(shown === tax[level], `the chart shows ${shown} ${level} warnings of tax, the API ${tax[level]}`);
  }
  check(Number(await page.getAttribute('#warnings-total', 'data-red')) === warn.total.red, 'the total of red warnings differs from the API');
  check(Number(await page.getAttribute('#cases-due-today', 'data-count')) === cases.due.total, 'the due-today count differs from the API');
  check(Number(await page.getAttribute('#cases-in-progress', 'data-count')) === cases.in_progress.total, 'the in-progress count differs from the API');
  check(await page.locator(`#due-list a[href="#/case?id=${d1.id}"]:has-text("TAX-D1")`).count() === 1, 'TAX-D1 is not listed due today with its link');
  const day = new Intl.DateTimeFormat('zh-CN', { timeZone: HALL_ZONE, month: 'long', day: 'numeric' }).format(new Date(storage.footage.oldest));
  const horizon = await page.textContent('#retention-horizon');
  check(horizon.includes('录像保留至') && horizon.includes(day), `the horizon sentence "${horizon}" (oldest ${storage.footage.oldest}: ${day})`);
  check(await page.locator('#disk-meter .meter-fill').count() === 1, 'no disk bar');
  check(await page.locator('#warnings-chart table.visually-hidden td').count() > 0, 'the chart has no table for screen readers');
  log(`dashboard: tax ${tax.yellow} yellow / ${tax.red} red as the API; ${cases.due.total} due today with TAX-D1 linked; ${cases.in_progress.total} in progress; "${horizon}"`);
  await page.waitForTimeout(300);
  await shot('supervisor-dashboard');

  setStep('dashboard: updates without reload');
  await page.evaluate(() => { window.__notReloaded = true; });
  const t3 = Date.now() - 5000;
  await batch(caseAt('TAX-D3', t3, 10, 9000));
  await page.waitForFunction(([sel, n]) => Number(document.querySelector(sel)?.dataset.count) === n, [seg('red'), tax.red + 1], { timeout: 15000 });
  check(await page.evaluate(() => window.__notReloaded === true), 'the page was reloaded');
  log(`a new red warning (TAX-D3) shows as ${tax.red + 1} red for tax without a reload`);
  await page.click(seg('red')); // the bar's segment is a link
  await page.waitForFunction(() => location.hash === '#/cases?warning=red&department=tax');
  log('a click on the red bar opens #/cases?warning=red&department=tax');

  setStep('live wall: current case');
  await page.goto(`${P.base}/#/live?n=4`);
  await page.waitForSelector('#live-wall .tile[data-camera="cam-1"] .tile-case:not(:empty)');
  const label = await page.textContent('#live-wall .tile[data-camera="cam-1"] .tile-case');
  check(label.includes('TAX-D3') && label.includes('发票领用'), `cam-1's tile names "${label}", want the latest case at its window, TAX-D3`);
  log(`the live wall tile of cam-1 says "${label}"`);
  await shot('supervisor-live-current-case');

  setStep('footage: stage markers');
  await page.goto(`${P.base}/#/footage?camera=cam-1&from=${iso(t0 - 120000)}&to=${iso(Date.now())}`);
  // TAX-D3: the earlier cases may have been accepted before window 1 had cam-1 (the mapping's
  // history decides which camera saw which event)
  const marker = '#footage-timeline .timeline-marker[data-case="TAX-D3"]';
  await page.waitForSelector(marker);
  const title = await page.getAttribute(marker, 'title');
  check(title.includes('TAX-D3') && title.includes('受理'), `the marker's hover text "${title}"`);
  await page.click(marker);
  await page.waitForFunction((t) => Math.abs(Number(document.querySelector('#footage-video').dataset.start) - t) < 1000, t3);
  log(`cam-1's timeline marks the stages at its window while it covered it ("${title}"); a click plays from ${iso(t3)}`);
  await shot('supervisor-footage-markers');
  await page.click('#sign-out');
  await page.waitForSelector('#username');
}
