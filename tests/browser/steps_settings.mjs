// browser.ui steps of the admin's calendar and settings pages (issue 6): a date marked a holiday
// in the calendar page is what GET /api/v1/calendar reports, an import's bad line is shown next
// to the field; in the settings page a retention value and a warning rule are saved, kept after
// a reload with their source shown as the interface, an invalid value shows the field's error,
// and "back to the file's value" returns a key to the file. The auditor step of ui.mjs then
// finds calendar.set and settings.change rows.
// ctx: {page, P, apiSession, check, log, shot, signInOk}
export async function run({ page, P, apiSession, check, log, shot, signInOk }) {
  const api = await apiSession('admin');
  await signInOk('admin');

  // the calendar: next year has no shipped entries; mark a Wednesday a holiday
  const year = Number((await api('GET', '/api/v1/calendar')).days.at(-1)?.date.slice(0, 4) || new Date().getFullYear()) + 1;
  const date = `${year}-03-10`;
  await page.goto(`${P.base}/#/calendar?year=${year}`);
  await page.waitForSelector(`#cal-year button[data-date="${date}"][data-kind="work"]`);
  await page.fill('#cal-import-text', `${year}-13-01 holiday 不存在的日期`);
  await page.click('#cal-import-go');
  await page.waitForFunction(() => document.querySelector('#cal-import-error')?.textContent.trim().length > 0);
  const importErr = await page.textContent('#cal-import-error');
  check(/13-01|line|行/.test(importErr), `the import error does not name the bad line: "${importErr}"`);
  await page.click(`#cal-year button[data-date="${date}"]`);
  await page.waitForSelector('#cal-dialog');
  await page.selectOption('#cal-kind', 'holiday');
  await page.fill('#cal-name', '测试假日');
  await page.click('#cal-save');
  await page.waitForSelector(`#cal-year button[data-date="${date}"][data-kind="holiday"]`);
  const listed = (await api('GET', `/api/v1/calendar?year=${year}`)).days.find((d) => d.date === date);
  check(listed && listed.kind === 'holiday' && listed.name === '测试假日', `GET /api/v1/calendar reports ${JSON.stringify(listed)} for ${date}`);
  log(`calendar: ${date} marked a holiday in the page, the API reports it; a bad import line: "${importErr.slice(0, 80)}"`);
  await shot('admin-calendar');

  // settings: an invalid value is named next to its field, and nothing is saved
  await page.goto(`${P.base}/#/settings`);
  await page.waitForSelector('#set-retention-days');
  const before = await api('GET', '/api/v1/settings');
  const value = (s, name) => s.settings.find((x) => x.name === name);
  await page.fill('#set-warnings-near_days', '400');
  await page.fill('#set-retention-days', '45');
  await page.click('#settings-save');
  await page.waitForFunction(() => document.querySelector('[data-error="warnings.near_days"]')?.textContent.trim().length > 0);
  const fieldErr = await page.textContent('[data-error="warnings.near_days"]');
  const unchanged = await api('GET', '/api/v1/settings');
  check(value(unchanged, 'retention.days').value === value(before, 'retention.days').value, 'a refused PATCH changed retention.days');
  log(`settings: near_days=400 refused next to the field: "${fieldErr.slice(0, 90)}"`);

  // a retention value and a rule saved, kept after a reload, shown as set in the interface
  await page.fill('#set-warnings-near_days', value(before, 'warnings.near_days').value);
  await page.uncheck('#set-warnings-fee_above_standard');
  await page.click('#settings-save');
  await page.waitForFunction(() => document.querySelector('#settings-notice')?.textContent.trim().length > 0);
  await page.reload();
  await page.waitForSelector('#set-retention-days');
  check(await page.inputValue('#set-retention-days') === '45', 'retention.days is not 45 after a reload');
  check(!(await page.isChecked('#set-warnings-fee_above_standard')), 'fee_above_standard is on again after a reload');
  for (const name of ['retention.days', 'warnings.fee_above_standard'])
    check(await page.locator(`tr[data-setting="${name}"] [data-source="interface"]`).count() === 1, `${name} is not shown as set in the interface`);
  const saved = await api('GET', '/api/v1/settings');
  check(value(saved, 'retention.days').value === '45' && value(saved, 'warnings.fee_above_standard').value === 'false', 'GET /api/v1/settings does not report the saved values');
  log('settings: retention.days=45 and fee_above_standard off saved, kept after a reload, source shown as the interface');
  await shot('admin-settings');

  // back to the file's value: the rule follows the file (the default: on) again
  await page.click('tr[data-setting="warnings.fee_above_standard"] [data-restore]');
  await page.waitForSelector('tr[data-setting="warnings.fee_above_standard"] [data-source="default"]');
  check(await page.isChecked('#set-warnings-fee_above_standard'), 'fee_above_standard is not back on');
  log('settings: fee_above_standard back to the file\'s value');
  await page.click('#sign-out');
  await page.waitForSelector('#username');
}
