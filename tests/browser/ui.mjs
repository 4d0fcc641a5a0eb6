// The web interface as its users meet it, in Debian's chromium (headless, one browser, pages one
// after another) against the hallwatchd that tests/browser/test_browser.c started. Usage:
//   node ui.mjs PARAMS.json    ({base, users:[{name, role, password, hall}], rtsp_a, rtsp_b, rtsp_wall,
//                               chromium, screenshots, ui_dir})
// Each step prints what it checks; the first failure takes a screenshot (failure-*.png), prints
// why and exits 1. Screenshots of every page at 1920x1080 go to params.screenshots.
import { mkdirSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { run as liveWallPixels } from './steps_media.mjs';
import { run as settingsSteps } from './steps_settings.mjs';

import { run as dashboardSteps } from './steps_dashboard.mjs';

import { run as casesSteps } from './steps_cases.mjs';
import { readStamp } from './stamp.mjs';

if (Number(process.versions.node.split('.')[0]) < 20) {
  console.log(`SKIP browser.ui: playwright-core needs Node.js 20 or newer, this is ${process.version}`);
  process.exit(77);
}
const P = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { chromium } = await import(pathToFileURL(join(P.ui_dir, 'node_modules/playwright-core/index.mjs')).href);
const HALL_ZONE = 'Asia/Shanghai'; // the halls carry no zone of their own yet: the default
const WAIT = 20000; // generous, bounded: 2 shared cores
const pw = Object.fromEntries(P.users.map((u) => [u.name, u.password]));

// What each role must see in the navigation, and nothing else (the test's own list, not nav.js's).
const PAGES_OF = {
  admin: ['dashboard', 'cameras', 'users', 'tokens', 'calendar', 'settings'],
  auditor: ['audit'],
  supervisor: ['dashboard', 'cases', 'live', 'footage', 'calendar', 'reports'],
  hall_manager: ['dashboard', 'live', 'footage', 'cameras'],
  investigator: ['cases', 'live', 'footage', 'exports'],
  viewer: ['reports'],
};

// this run's screenshots only: a failure.png or a page's picture from an earlier run would mislead
mkdirSync(P.screenshots, { recursive: true });
for (const f of readdirSync(P.screenshots)) if (/\.(png|zip)$/.test(f)) rmSync(join(P.screenshots, f));

let page = null;
let step = '';
const problems = [];
function check(cond, what) {
  if (!cond) throw new Error(what);
}
function log(s) {
  console.log(`# ${s}`);
}
async function shot(name) {
  await page.screenshot({ path: join(P.screenshots, name + '.png') });
}

// ---- the API directly (seeding, and the answers the page must agree with) ------------------
async function apiSession(user) {
  const r = await fetch(P.base + '/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: user, password: pw[user] }) });
  check(r.status === 200, `API sign-in of ${user}: ${r.status}`);
  const cookie = r.headers.get('set-cookie').split(';')[0];
  const { csrf_token: csrf } = await r.json();
  return async (method, path, body) => {
    const resp = await fetch(P.base + path, { method, headers: { Cookie: cookie, 'X-CSRF-Token': csrf, 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : undefined });
    const json = await resp.json();
    if (resp.status >= 300) throw new Error(`${method} ${path}: ${resp.status} ${JSON.stringify(json)}`);
    return json;
  };
}

function zoned(iso) { // the same formatting as src/fmt.js, computed independently
  const p = Object.fromEntries(new Intl.DateTimeFormat('en-US', { timeZone: HALL_ZONE, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', second: '2-digit' })
    .formatToParts(new Date(iso)).map((x) => [x.type, x.value]));
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

// ---- the browser ---------------------------------------------------------------------------
const browser = await chromium.launch({
  executablePath: P.chromium,
  headless: true,
  timeout: 60000,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-extensions', '--mute-audio'],
});
// The browser's own zone is far from the hall's: a time shown in the browser's zone would differ.
async function newPage() {
  const ctx = await browser.newContext({ viewport: { width: 1920, height: 1080 }, locale: 'zh-CN', timezoneId: 'America/New_York' });
  const p = await ctx.newPage();
  p.setDefaultTimeout(WAIT);
  p.on('pageerror', (e) => problems.push(`${step}: uncaught error in the page: ${e.message}`));
  p.on('console', (m) => {
    if (/Content.Security.Policy|Refused to/i.test(m.text())) problems.push(`${step}: CSP violation: ${m.text()}`);
  });
  return p;
}

async function signIn(user, password = pw[user]) {
  await page.goto(P.base + '/');
  await page.waitForSelector('#username');
  await page.fill('#username', user);
  await page.fill('#password', password);
  await page.click('#signin-submit');
}

async function signInOk(user) {
  await signIn(user);
  await page.waitForSelector('nav.sidenav a[data-page]');
}

async function navIds() {
  return page.$$eval('nav.sidenav a[data-page]', (as) => as.map((a) => a.dataset.page));
}

async function main() {
  // 0. seed through the API: two halls, a camera in hall-2, a window in hall-1
  step = 'seed';
  const mgr = await apiSession('manager');
  await mgr('POST', '/api/v1/halls', { code: 'hall-1', name: '一号大厅' });
  await mgr('POST', '/api/v1/halls', { code: 'hall-2', name: '二号大厅' });
  await mgr('POST', '/api/v1/cameras', { id: 'cam-h2', name: '二号厅 3 号窗口', url: P.rtsp_b, hall: 'hall-2' });
  await mgr('POST', '/api/v1/windows', { hall: 'hall-1', code: '1', name: '综合受理', departments: ['tax'] });
  log('seeded halls hall-1, hall-2, camera cam-h2 (hall-2), window hall-1/1');

  page = await newPage();

  // 1. the sign-in page renders fast, and says clearly what went wrong
  step = 'first render';
  await page.goto(P.base + '/'); // warm: the modules are fetched once
  const t0 = Date.now();
  await page.goto(P.base + '/');
  await page.waitForSelector('#username');
  const firstRender = Date.now() - t0;
  log(`sign-in page rendered in ${firstRender} ms`);
  check(firstRender < 1000, `the sign-in page took ${firstRender} ms to render (want < 1 s on loopback)`);
  await shot('signin');

  step = 'wrong password';
  await signIn('manager1', 'not-the-password');
  await page.waitForSelector('#signin-message[data-code]');
  const wrong = await page.textContent('#signin-message');
  check(wrong.includes('用户名或密码错误'), `wrong password message: "${wrong}"`);
  log(`wrong password: "${wrong}"`);
  await shot('signin-wrong-password');

  step = 'locked account';
  for (let i = 0; i < 5; i++) {
    await fetch(P.base + '/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'locked', password: 'wrong-' + i }) });
  }
  await signIn('locked'); // the right password, too late
  await page.waitForSelector('#signin-message[data-code="account_locked"]');
  const locked = await page.textContent('#signin-message');
  check(locked.includes('锁定') && /\d{4}-\d{2}-\d{2} \d{2}:\d{2}/.test(locked), `locked message: "${locked}"`);
  log(`locked account: "${locked}"`);
  await shot('signin-locked');

  step = 'language switch';
  await page.click('.lang-switch button[data-lang="en"]');
  await page.waitForSelector('#signin-submit:has-text("Sign in")');
  await page.reload();
  await page.waitForSelector('#signin-submit:has-text("Sign in")'); // remembered
  await shot('signin-en');
  await page.click('.lang-switch button[data-lang="zh-CN"]');
  await page.waitForSelector('#signin-submit:has-text("登录")');
  log('English switch works and is remembered; back to 中文');

  // 2. every role sees its pages and no other; a page of another role is not reachable by URL
  for (const [role, want] of Object.entries(PAGES_OF)) {
    const user = P.users.find((u) => u.role === role && !u.hall && u.name !== 'locked').name;
    step = `pages of ${role}`;
    await signInOk(user);
    const got = await navIds();
    check(JSON.stringify(got) === JSON.stringify(want), `${role} sees ${got.join(',')}, want ${want.join(',')}`);
    for (const id of got) {
      await page.goto(`${P.base}/#/${id}`);
      await page.waitForSelector(`nav a[data-page="${id}"].active`);
      await page.waitForFunction(() => !document.querySelector('#page')?.textContent.includes('正在加载'), null, { timeout: WAIT }).catch(() => {});
      await page.waitForTimeout(400);
      await shot(`${role}-${id}`);
    }
    const foreign = Object.keys(PAGES_OF).flatMap((r) => PAGES_OF[r]).find((id) => !want.includes(id));
    await page.goto(`${P.base}/#/${foreign}`);
    await page.waitForFunction((w) => location.hash === '#/' + w, want[0]);
    log(`${role} (${user}) sees ${got.join(', ')}; #/${foreign} leads back to #/${want[0]}`);
    await page.click('#sign-out');
    await page.waitForSelector('#username');
  }

  // 3. a hall manager limited to hall-1 sees only hall-1, adds a camera there, sees it record
  step = 'hall-limited manager';
  await signInOk('manager1');
  check((await page.textContent('#who')).includes('hall-1'), 'the top bar names the hall scope');
  await page.goto(`${P.base}/#/cameras`);
  await page.waitForSelector('#camera-list');
  await page.waitForFunction(() => document.querySelector('#camera-list p, #camera-list table'));
  check(await page.locator('tr[data-camera="cam-h2"]').count() === 0, 'manager1 sees hall-2\'s camera');
  await page.goto(`${P.base}/#/cameras?tab=halls`);
  await page.waitForSelector('tr[data-hall="hall-1"]');
  check(await page.locator('tr[data-hall="hall-2"]').count() === 0, 'manager1 sees hall-2');
  log('manager1 sees hall-1 only, and no camera of hall-2');

  step = 'add a camera';
  await page.goto(`${P.base}/#/cameras`);
  await page.click('#add-camera');
  await page.fill('#cam-id', 'cam-1');
  await page.fill('#cam-name', '一号厅 1 号窗口');
  await page.fill('#cam-url', P.rtsp_a);
  check(await page.$eval('#cam-hall', (s) => [...s.options].map((o) => o.value).join(',')) === 'hall-1', 'the hall choices of manager1 are hall-1 only');
  await page.click('#cam-test');
  await page.waitForSelector('[data-test="ok"]', { timeout: 30000 });
  const codec = await page.textContent('#test-codec');
  const resolution = await page.textContent('#test-resolution');
  const snapW = await page.$eval('#test-snapshot', (img) => img.complete ? img.naturalWidth : 0);
  check(codec === 'h264' && resolution === '320x240' && snapW === 320, `test connection: ${codec} ${resolution}, snapshot ${snapW}px wide`);
  log(`test connection: ${codec} ${resolution}, snapshot ${snapW} px wide`);
  await shot('hall_manager-camera-test');
  await page.click('#cam-save');
  await page.waitForSelector('#camera-dialog', { state: 'detached' });
  try {
    await page.waitForSelector('tr[data-camera="cam-1"] [data-health="recording"]', { timeout: 60000 });
  } catch (e) {
    // Say what the daemon thinks of the camera, so a failure here can be told from a page bug.
    const state = await page.evaluate(() => fetch('/api/v1/cameras').then((r) => r.text())).catch((x) => String(x));
    throw new Error(`${e.message}\n/api/v1/cameras said: ${state}`);
  }
  log('cam-1 is shown recording');
  const cams = await page.evaluate(() => fetch('/api/v1/cameras').then((r) => r.json()));
  const cam1 = cams.find((c) => c.id === 'cam-1' && c.stream === 'main');
  const since = zoned(cam1.state_since);
  const shown = await page.textContent('tr[data-camera="cam-1"] .since');
  check(shown.includes(since), `the recording state's time "${shown}" is not ${since} (${HALL_ZONE})`);
  log(`state since ${since} shown in the hall's zone (browser in America/New_York)`);
  await shot('hall_manager-cameras-recording');

  step = 'window mapping';
  await page.goto(`${P.base}/#/cameras?tab=windows`);
  await page.waitForSelector('tr[data-window] button[data-action="map"]');
  await page.click('tr[data-window] button[data-action="map"]');
  await page.check('#map-cameras input[value="cam-1"]');
  check(await page.locator('#map-cameras input[value="cam-h2"]').count() === 0, 'hall-2\'s camera offered for a hall-1 window');
  await page.click('#map-save');
  await page.waitForSelector('tr[data-window] .window-cameras:has-text("cam-1")');
  await page.click('tr[data-window] button[data-action="history"]');
  await page.waitForSelector('#history-results li:has-text("cam-1")');
  await page.fill('#history-at', '2020-01-01T08:00');
  await page.click('#history-ask');
  await page.waitForSelector('#history-results li:has-text("2020-01-01 08:00:00")');
  const past = await page.textContent('#history-results li:first-child');
  check(!past.includes('cam-1'), `in 2020 the window had no camera, the page says "${past}"`);
  log('window hall-1/1 → cam-1 now; none on 2020-01-01 08:00 (hall time)');
  await shot('hall_manager-window-history');
  await page.keyboard.press('Escape');
  await page.click('#sign-out');
  await page.waitForSelector('#username');

  // 4. a supervisor's dashboard shows both halls' cameras recording
  step = 'supervisor dashboard';
  await signInOk('supervisor');
  await page.waitForSelector('tr[data-camera="cam-1"] [data-health="recording"]');
  await page.waitForSelector('tr[data-camera="cam-h2"] [data-health="recording"]', { timeout: 45000 });
  await page.waitForTimeout(300);
  await shot('supervisor-dashboard-recording');
  log('the supervisor\'s dashboard shows cam-1 and cam-h2 recording');
  await page.click('#sign-out');
  await page.waitForSelector('#username');

  // 4b. the live wall plays 16 cameras at once over one WebSocket, each tile labelled and badged
  step = 'live wall';
  const wallIds = P.rtsp_wall.map((_, i) => `wall-${String(i + 1).padStart(2, '0')}`);
  for (const [i, url] of P.rtsp_wall.entries()) {
    const hall = i % 2 ? 'hall-2' : 'hall-1';
    await mgr('POST', '/api/v1/cameras', { id: wallIds[i], name: `墙 ${i + 1}`, url, hall });
    const w = await mgr('POST', '/api/v1/windows', { hall, code: String(21 + i), name: `窗口${21 + i}`, departments: ['tax'] });
    await mgr('PUT', `/api/v1/windows/${w.id}/cameras`, { cameras: [wallIds[i]] });
  }
  log(`added ${wallIds.length} cameras at 160x120 for the wall, each mapped to a window`);
  await signInOk('supervisor');
  await page.goto(`${P.base}/#/live?n=16`);
  await page.waitForSelector('#live-wall[data-n="16"]');
  await page.waitForFunction(() => document.querySelectorAll('#live-wall .tile[data-camera]').length === 16);
  const tileIds = await page.$$eval('#live-wall .tile[data-camera]', (ts) => ts.map((x) => x.dataset.camera));
  check(new Set(tileIds).size === 16, `16 distinct cameras on the wall, got ${tileIds.join(',')}`);
  check(await page.locator('#live-next').count() === 1, 'the 18 cameras make a second page of the 16-tile wall');
  // each tile says where it is: hall name, window, its departments, camera name, and a health badge
  const labels = await page.$$eval('#live-wall .tile[data-camera]', (ts) => ts.map((x) => ({ id: x.dataset.camera, text: x.querySelector('.tile-label').textContent, health: x.querySelector('[data-health]')?.dataset.health })));
  for (const l of labels.filter((x) => x.id.startsWith('wall-'))) {
    const i = Number(l.id.slice(5)) - 1;
    const hallName = i % 2 ? '二号大厅' : '一号大厅';
    check(l.text.includes(hallName) && l.text.includes(`${21 + i} 号窗口（窗口${21 + i}） · tax`) && l.text.includes(`墙 ${i + 1}`) && l.health, `tile ${l.id} label "${l.text}" badge ${l.health}`);
  }
  await page.waitForFunction(() => [...document.querySelectorAll('#live-wall .tile[data-camera]')].every((x) => x.dataset.state === 'playing'), null, { timeout: 60000 })
    .catch(async () => { throw new Error('not every tile plays: ' + (await page.$$eval('#live-wall .tile[data-camera]', (ts) => ts.map((x) => `${x.dataset.camera}=${x.dataset.state}`).join(' ')))); });
  const times = () => page.$$eval('#live-wall .tile[data-camera] video', (vs) => vs.map((v) => v.currentTime));
  const t1 = await times();
  await page.waitForTimeout(3000);
  const t2 = await times();
  const advanced = t2.map((x, i) => x - t1[i]);
  check(advanced.every((d) => d > 1), `currentTime must advance in every tile over 3 s: ${advanced.map((d) => d.toFixed(2)).join(' ')}`);
  const sizes = await page.$$eval('#live-wall .tile[data-camera] video', (vs) => vs.map((v) => `${v.videoWidth}x${v.videoHeight}`));
  check(sizes.every((x) => x !== '0x0'), `every tile shows a picture: ${sizes.join(' ')}`);
  await page.waitForFunction(() => [...document.querySelectorAll('#live-wall .tile[data-camera] [data-health]')].every((x) => x.dataset.health === 'recording'), null, { timeout: 30000 });
  await liveWallPixels({ page, check, log, tiles: tileIds });
  log(`16 tiles play at once, badges say recording; currentTime advanced ${Math.min(...advanced).toFixed(2)}..${Math.max(...advanced).toFixed(2)} s over 3 s`);
  await shot('supervisor-live-wall-16');
  // click a tile: it fills the wall; Esc brings the wall back
  await page.click('#live-wall .tile[data-camera="wall-01"]');
  await page.waitForSelector('#live-wall .tile.enlarged[data-camera="wall-01"]');
  const big = await page.$eval('#live-wall .tile.enlarged', (x) => x.getBoundingClientRect().width);
  const wallW = await page.$eval('#live-wall', (x) => x.getBoundingClientRect().width);
  check(big > wallW * 0.9, `the enlarged tile is ${big} px wide, the wall ${wallW}`);
  await shot('supervisor-live-enlarged');
  await page.keyboard.press('Escape');
  await page.waitForSelector('#live-wall .tile.enlarged', { state: 'detached' });
  log(`a click enlarges a tile (${Math.round(big)} px of ${Math.round(wallW)}), Esc restores the wall`);
  // full screen for a video-wall display: the wall alone fills the screen, its 16 tiles still play
  await page.click('#live-fullscreen');
  await page.waitForFunction(() => document.fullscreenElement && document.fullscreenElement.id === 'live-wall');
  const fsBox = await page.$eval('#live-wall', (x) => { const r = x.getBoundingClientRect(); return { w: r.width, h: r.height, vw: window.innerWidth, vh: window.innerHeight }; });
  check(fsBox.w === fsBox.vw && fsBox.h === fsBox.vh, `full screen: the wall is ${fsBox.w}x${fsBox.h} of ${fsBox.vw}x${fsBox.vh}`);
  const fsTimes = () => page.$$eval('#live-wall .tile[data-camera] video', (vs) => vs.map((v) => v.currentTime));
  const fs0 = await fsTimes();
  await page.waitForTimeout(1000);
  const fs1 = await fsTimes();
  check(fs0.length === 16 && fs1.every((x, i) => x > fs0[i]), `in full screen every tile plays: ${fs0.length} tiles`);
  await shot('supervisor-live-fullscreen');
  await page.evaluate(() => document.exitFullscreen());
  await page.waitForFunction(() => !document.fullscreenElement);
  log(`full screen: the wall fills ${fsBox.w}x${fsBox.h}, all 16 tiles play on`);
  await page.click('.layout-switch button[data-layout="4"]');
  await page.waitForFunction(() => document.querySelectorAll('#live-wall .tile[data-camera]').length === 4);
  await page.click('#live-next');
  await page.waitForFunction(() => location.hash.includes('p=1'));
  await page.waitForFunction(() => document.querySelectorAll('#live-wall .tile[data-camera]').length === 4);
  log('the 4-tile layout pages through the cameras');
  await page.click('#sign-out');
  await page.waitForSelector('#username');
  for (const id of wallIds) await mgr('DELETE', `/api/v1/cameras/${id}`); // lighter for what follows
  await dashboardSteps({ page, P, apiSession, check, log, shot, signInOk, setStep: (s) => { step = s; }, HALL_ZONE });

  // 4c. the footage browser: cam-1 from a random instant T. The first picture is the frame
  // captured at T (read from the barcode the test camera burns into every frame, on a canvas);
  // it plays on; the capture time under the video matches the frame's own; a drag on the timeline
  // seeks within the same playback session.
  step = 'footage playback';
  const sup = await apiSession('supervisor');
  const iso = (ms) => new Date(ms).toISOString();
  let cov, span;
  for (let waited = 0; waited < 30000; waited += 1000) { // cam-1 has recorded since the camera step
    cov = await sup('GET', `/api/v1/cameras/cam-1/footage?from=${iso(Date.now() - 600000)}&to=${iso(Date.now())}`);
    span = cov.covered.map((x) => [Date.parse(x.from), Date.parse(x.to)]).sort((x, y) => (y[1] - y[0]) - (x[1] - x[0]))[0];
    if (span && span[1] - span[0] > 14000) break;
    await new Promise((r) => setTimeout(r, 1000));
  }
  check(span && span[1] - span[0] > 14000, `cam-1 has a recorded span over 14 s: ${JSON.stringify(cov.covered)}`);
  const T = span[0] + 2000 + Math.floor(Math.random() * (span[1] - span[0] - 8000));
  const rangeFrom = span[0] - 60000;
  const rangeTo = Date.now();
  await signInOk('supervisor');
  await page.goto(`${P.base}/#/footage?camera=cam-1&from=${iso(rangeFrom)}&to=${iso(rangeTo)}&t=${iso(T)}`);
  await page.waitForSelector('#footage-timeline .seg-covered');
  check(await page.locator('#footage-gaps li[data-reason]').count() > 0, 'the minute before cam-1 recorded is listed as a gap with its reason');
  await page.waitForFunction(() => document.querySelector('#footage-video').readyState >= 2 && document.querySelector('#footage-time').dataset.ms, null, { timeout: 30000 });
  await page.waitForTimeout(300);
  const readFrame = () => readStamp(page, '#footage-video', '#footage-time');
  const f0 = await readFrame();
  check(!f0.error, `reading the first frame's barcode: ${f0.error}`);
  log(`first frame ${f0.w}x${f0.hh}: barcode ${iso(f0.captured)}, T ${iso(T)} (${(f0.captured - T).toFixed(1)} ms), page shows "${f0.text}"`);
  check(Math.abs(f0.captured - T) <= 45, `the first frame was captured ${(f0.captured - T).toFixed(1)} ms from T (want within one frame, 40 ms, + 5 ms stamp tolerance)`);
  check(Math.abs(f0.shown - f0.captured) <= 45, `the page shows ${iso(f0.shown)} under a frame captured at ${iso(f0.captured)}`);
  check(f0.text.startsWith(zoned(iso(f0.captured)).slice(0, 16)), `the shown time "${f0.text}" is not in the hall's zone (${zoned(iso(f0.captured))})`);
  const shownStream = await page.$eval('#footage-stream', (x) => ({ text: x.textContent, stream: document.querySelector('#footage-video').dataset.stream }));
  check(shownStream.stream === 'main' && shownStream.text === '主码流', `the page says which stream it shows (cam-1's main stream is H.264): ${JSON.stringify(shownStream)}`);
  await shot('supervisor-footage-at-T');
  await page.evaluate(() => document.querySelector('#footage-video').play());
  await page.waitForTimeout(2500);
  await page.evaluate(() => new Promise((res) => {
    const v = document.querySelector('#footage-video');
    v.pause();
    v.addEventListener('seeked', () => requestAnimationFrame(() => requestAnimationFrame(res)), { once: true });
    v.currentTime = v.currentTime; // present exactly the frame at the paused position
  }));
  await page.waitForTimeout(200);
  const f1 = await readFrame();
  check(!f1.error, `reading the barcode after playing: ${f1.error}`);
  check(f1.currentTime - f0.currentTime > 1.5 && f1.captured - f0.captured > 1500, `playback advanced ${(f1.currentTime - f0.currentTime).toFixed(2)} s (capture ${(f1.captured - f0.captured).toFixed(0)} ms)`);
  check(Math.abs(f1.shown - f1.captured) <= 45, `after playing the page shows ${iso(f1.shown)} under a frame captured at ${iso(f1.captured)}`);
  log(`played ${(f1.currentTime - f0.currentTime).toFixed(2)} s; the page's capture time is ${(f1.shown - f1.captured).toFixed(1)} ms from the barcode's`);
  // a drag on the timeline plays from where it is released
  const T2 = span[0] + Math.floor((span[1] - span[0]) * 0.25);
  const box = await page.locator('#footage-timeline').boundingBox();
  let playlists = 0;
  // the open playlist: hls.js reloads it while its range reaches now (an EVENT playlist, the same
  // session); any other playlist URL is a new session
  const openPlaylist = await page.evaluate(() => performance.getEntriesByType('resource').map((e) => e.name).filter((u) => u.includes('/playback.m3u8')).pop());
  const countPlaylists = (r) => { if (r.url().includes('/playback.m3u8') && r.url() !== openPlaylist) playlists++; };
  page.on('request', countPlaylists);
  await page.mouse.move(box.x + box.width * 0.1, box.y + box.height / 2); // drag from the left
  await page.mouse.down();
  await page.mouse.move(box.x + box.width * ((T2 - rangeFrom) / (rangeTo - rangeFrom)), box.y + box.height / 2, { steps: 8 });
  await page.mouse.up();
  await page.waitForFunction((t2) => Math.abs(Number(document.querySelector('#footage-video').dataset.start) - t2) < 1000, T2);
  await page.waitForFunction(() => { const v = document.querySelector('#footage-video'); return !v.paused && v.currentTime > 0 && v.readyState >= 3; }, null, { timeout: 30000 });
  const c0 = await page.evaluate(() => document.querySelector('#footage-video').currentTime);
  await page.waitForTimeout(1500);
  const f2 = await readFrame();
  check(!f2.error && f2.currentTime - c0 > 0.8, `after the timeline click, currentTime ${c0} → ${f2.currentTime} (${f2.error || 'ok'})`);
  check(Math.abs(f2.captured - T2) < 6000 && f2.captured > T2 - 1500, `a click at ${iso(T2)} plays footage captured at ${iso(f2.captured)}`);
  page.off('request', countPlaylists);
  check(playlists === 0, `seeking within the open session asked for ${playlists} new playlist(s) (each one a new audited session)`);
  log(`a drag on the timeline to ${zoned(iso(T2))} plays from there, in the same playback session (frame captured ${((f2.captured - T2) / 1000).toFixed(2)} s later after 1.5 s of play)`);
  await shot('supervisor-footage-timeline');
  // by window and day: window 1 of hall-1 is covered by cam-1; its whole day (hall zone) on the
  // timeline, and a click plays the camera of that window
  const win1 = (await sup('GET', '/api/v1/windows')).find((w) => w.hall === 'hall-1' && w.code === '1');
  const T3 = Math.floor((span[0] + span[1]) / 2);
  const day = zoned(iso(T3)).slice(0, 10);
  await page.selectOption('#footage-camera', `window:${win1.id}`);
  await page.fill('#footage-day', day);
  await page.click('#footage-whole-day');
  await page.waitForSelector('#footage-window-note[data-camera="cam-1"]');
  await page.waitForSelector('#footage-timeline .seg-covered');
  const hashQ = new URLSearchParams((await page.evaluate(() => location.hash)).split('?')[1]);
  check(hashQ.get('window') === String(win1.id) && zoned(hashQ.get('from')) === `${day} 00:00:00` &&
    Date.parse(hashQ.get('to')) - Date.parse(hashQ.get('from')) === 24 * 3600 * 1000,
  `the whole day of ${day} for window ${win1.id}: ${hashQ}`);
  const note = await page.textContent('#footage-window-note');
  check(note.includes('cam-1'), `the page says which camera covered the window: "${note}"`);
  // a link to an instant of that day opens paused on the frame captured then (the playlist spans
  // 12 h of the day around it)
  await page.goto(`${P.base}/#/footage?${hashQ}&t=${iso(T3)}`);
  await page.waitForSelector('#footage-window-note[data-camera="cam-1"]');
  await page.waitForFunction((t3) => document.querySelector('#footage-video').readyState >= 2 && Math.abs(Number(document.querySelector('#footage-time').dataset.ms) - t3) < 1000, T3, { timeout: 30000 });
  await page.waitForTimeout(300);
  const f3 = await readFrame();
  check(!f3.error && Math.abs(f3.captured - T3) <= 45, `window ${win1.id} on ${day} at ${iso(T3)} shows the frame captured at ${iso(f3.captured)} (${f3.error || 'ok'})`);
  log(`window ${win1.id} (hall-1/1) → cam-1; the whole day ${day} on the timeline; at ${zoned(iso(T3))} the first picture was captured ${(f3.captured - T3).toFixed(1)} ms from it`);
  await shot('supervisor-footage-window-day');
  await page.click('#sign-out');
  await page.waitForSelector('#username');

  const caseAudit = await casesSteps({ page, P, apiSession, check, log, shot, signInOk, setStep: (s) => { step = s; } }); // 4d. the case pages

  // 5. the admin makes a department token, sees it once, revokes it
  step = 'tokens';
  await signInOk('admin');
  await page.goto(`${P.base}/#/tokens`);
  await page.fill('#token-department', 'tax');
  await page.fill('#token-name', '税务局审批系统');
  await page.click('#token-create');
  await page.waitForSelector('#token-value');
  const token = await page.textContent('#token-value');
  check(token.startsWith('hwt_') && token.length > 20, `token shown: "${token}"`);
  await shot('admin-token-created');
  const ping = await fetch(P.base + '/api/v1/exchange/ping', { headers: { Authorization: 'Bearer ' + token } });
  check(ping.status === 200, `the new token does not work: ${ping.status}`);
  await page.reload();
  await page.waitForSelector('tr[data-token]');
  check(!(await page.content()).includes(token), 'the token is shown again after a reload');
  await page.click('tr[data-token] button[data-action="revoke"]');
  await page.click('#revoke-confirm');
  await page.waitForSelector('tr[data-token].revoked');
  const after = await fetch(P.base + '/api/v1/exchange/ping', { headers: { Authorization: 'Bearer ' + token } });
  check(after.status === 401, `the revoked token still works: ${after.status}`);
  log('token created, shown once, works, revoked, refused');
  await shot('admin-tokens');
  await page.click('#sign-out');
  await page.waitForSelector('#username');

  // 5b. the admin creates a user (password shown once), who signs in with it; changes the role;
  // resets the password: the new one works, the old one no longer does
  step = 'users';
  await signInOk('admin');
  await page.goto(`${P.base}/#/users`);
  await page.waitForSelector('tr[data-user="admin"]');
  await page.fill('#user-name', 'newsup');
  await page.fill('#user-display', '新监察员');
  await page.selectOption('#user-role', 'supervisor');
  await page.fill('#user-halls', 'hall-1');
  await page.click('#user-create');
  await page.waitForSelector('#user-password');
  const newPw = await page.textContent('#user-password');
  check(newPw.length >= 12, `generated password shown: "${newPw}"`);
  await page.waitForSelector('tr[data-user="newsup"][data-role="supervisor"]');
  check((await page.textContent('tr[data-user="newsup"]')).includes('hall-1'), 'the new user\'s hall scope is listed');
  await shot('admin-user-created');
  await page.click('#user-password-done');
  check(!(await page.content()).includes(newPw), 'the password is still on the page after "saved"');
  await page.click('#sign-out');
  await page.waitForSelector('#username');
  pw.newsup = newPw;
  await signInOk('newsup');
  check(JSON.stringify(await navIds()) === JSON.stringify(PAGES_OF.supervisor), `newsup sees ${await navIds()}`);
  check((await page.textContent('#who')).includes('hall-1'), 'newsup is limited to hall-1');
  // the cases list: hall-1's only; a case of hall-2 (steps_cases.mjs) is not found even by number
  const h2 = (await (await apiSession('supervisor'))('GET', '/api/v1/cases?hall=hall-2')).cases;
  check(h2.length > 0, 'the unrestricted supervisor finds no case of hall-2 to compare with');
  await page.goto(`${P.base}/#/cases`);
  await page.waitForSelector('#cases-list tr[data-case]');
  const halls = await page.$$eval('#cases-list tr[data-case]', (rows) => [...new Set(rows.map((r) => r.dataset.hall))]);
  check(halls.length === 1 && halls[0] === 'hall-1', `newsup's case list shows halls ${halls}`);
  await page.goto(`${P.base}/#/cases?number=${encodeURIComponent(h2[0].case_number)}`);
  await page.waitForFunction(() => document.querySelector('#cases-list') && /没有符合条件的办件|No cases match/.test(document.querySelector('#cases-list').textContent));
  await shot('supervisor-hall1-cases');
  log(`admin created newsup (supervisor, hall-1); the password shown once signs in; its case list shows hall-1 only, ${h2[0].case_number} of hall-2 is not found`);
  await page.click('#sign-out');
  await page.waitForSelector('#username');
  await signInOk('admin');
  await page.goto(`${P.base}/#/users`);
  await page.click('tr[data-user="newsup"] button[data-action="edit"]');
  await page.selectOption('#edit-role', 'investigator');
  await page.click('#edit-save');
  await page.waitForSelector('tr[data-user="newsup"][data-role="investigator"]');
  await page.click('tr[data-user="newsup"] button[data-action="reset"]');
  await page.click('#reset-confirm');
  await page.waitForSelector('#user-password');
  const resetPw = await page.textContent('#user-password');
  check(resetPw !== newPw, 'the reset password is new');
  await shot('admin-user-reset');
  const login = (password) => fetch(P.base + '/api/v1/auth/login', { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ username: 'newsup', password }) });
  check((await login(newPw)).status === 401, 'the old password still works after a reset');
  const ok = await login(resetPw);
  check(ok.status === 200 && (await ok.json()).role === 'investigator', 'the reset password does not sign in as an investigator');
  log('role changed to investigator; the reset password works, the old one is refused');
  await page.click('#sign-out');
  await page.waitForSelector('#username');

  // 5c. an investigator exports 8 s of cam-1, sees it finish, downloads the package, verifies it
  // by job id and as an uploaded file (and a package with one byte flipped fails), releases the hold
  step = 'exports';
  await signInOk('investigator');
  await page.goto(`${P.base}/#/exports`);
  await page.waitForSelector('#export-camera option[value="cam-1"]', { state: 'attached' });
  const exTo = Date.now() - 8000, exFrom = exTo - 8000;
  const local = (ms) => zoned(iso(ms)).replace(' ', 'T');
  await page.selectOption('#export-camera', 'cam-1');
  await page.fill('#export-from', local(exFrom));
  await page.fill('#export-to', local(exTo));
  await page.fill('#export-case', 'TEST-0001');
  await page.click('#export-create');
  await page.waitForSelector('tr[data-export]');
  const jobId = await page.$eval('tr[data-export]', (tr) => tr.dataset.export);
  await page.waitForSelector(`tr[data-export="${jobId}"][data-state="done"]`, { timeout: 60000 });
  check(await page.locator(`tr[data-export="${jobId}"][data-held="true"]`).count() === 1, 'the finished export is shown held');
  const job = await page.evaluate((id) => fetch('/api/v1/exports/' + id).then((r) => r.json()), jobId);
  check(Math.abs(Date.parse(job.from) - Math.floor(exFrom / 1000) * 1000) < 1000 && job.case === 'TEST-0001', `the job is for the typed range in the hall's zone: ${job.from} (${iso(exFrom)})`);
  await shot('investigator-export-done');
  const [download] = await Promise.all([page.waitForEvent('download'), page.click(`tr[data-export="${jobId}"] [data-action="download"]`)]);
  const zipPath = join(P.screenshots, `export-${jobId}.zip`);
  await download.saveAs(zipPath);
  const zipSize = statSync(zipPath).size;
  check(zipSize === job.result.size, `downloaded ${zipSize} bytes, the job says ${job.result.size}`);
  await page.click(`tr[data-export="${jobId}"] [data-action="verify"]`);
  await page.waitForSelector('#verify-result [data-ok="true"]');
  await page.setInputFiles('#verify-file', zipPath);
  await page.click('#verify-upload');
  await page.waitForSelector(`#verify-result [data-ok="true"]:has-text("export-${jobId}.zip")`);
  const zip = readFileSync(zipPath);
  const bad = Buffer.from(zip);
  bad[Math.floor(bad.length / 2)] ^= 0xff; // inside footage.mp4 (stored, not deflated)
  await page.setInputFiles('#verify-file', { name: 'tampered.zip', mimeType: 'application/zip', buffer: bad });
  await page.click('#verify-upload');
  await page.waitForSelector('#verify-result [data-ok="false"]:has-text("tampered.zip")');
  const problem = await page.textContent('#verify-result');
  log(`export #${jobId} done (${zipSize} bytes), downloaded, verifies by id and uploaded; a flipped byte: "${problem.slice(0, 120)}"`);
  await shot('investigator-export-verify-tampered');
  await page.click(`tr[data-export="${jobId}"] [data-action="release"]`);
  await page.click('#release-confirm');
  await page.waitForSelector(`tr[data-export="${jobId}"][data-held="false"]`);
  log('the hold is released');
  // handed over: the package is deleted from the appliance, the job stays listed and says so
  await page.click(`tr[data-export="${jobId}"] [data-action="delete"]`);
  await page.click('#delete-confirm');
  await page.waitForSelector(`tr[data-export="${jobId}"] [data-deleted]`);
  check(await page.locator(`tr[data-export="${jobId}"] [data-action="download"]`).count() === 0, 'a deleted package still offers its download');
  const gone = await page.evaluate((id) => fetch(`/api/v1/exports/${id}/download`).then((r) => r.status), jobId);
  check(gone === 410, `the deleted package's download answered ${gone}, want 410`);
  log(`the package is deleted (download 410): "${await page.textContent(`tr[data-export="${jobId}"] [data-deleted]`)}"`);
  await shot('investigator-exports');
  await page.click('#sign-out');
  await page.waitForSelector('#username');

  step = 'calendar and settings';
  await settingsSteps({ page, P, apiSession, check, log, shot, signInOk });

  // 6. the auditor sees all of it in the log, and a sound chain
  step = 'audit';
  await signInOk('auditor');
  await page.waitForSelector('[data-verify="ok"]');
  await page.waitForSelector('#audit-rows tr[data-seq]');
  const rows = await page.$$eval('#audit-rows tr[data-seq]', (trs) => trs.map((tr) => tr.textContent));
  const has = (action, ...parts) => rows.some((r) => r.includes(action) && parts.every((p) => r.includes(p)));
  const want = [
    ['camera.change', 'manager1', 'camera:cam-1', '"op":"add"'],
    ['window.cameras', 'manager1', 'cam-1'],
    ['footage.view', 'supervisor', 'camera:cam-1', '"what":"playback"'],
    ['camera.change', 'manager', 'camera:cam-h2'],
    ['token.change', 'admin', '"op":"create"'],
    ['token.change', 'admin', '"op":"revoke"'],
    ['user.change', 'admin', 'newsup', '"op":"add"'],
    ['export.create', 'investigator', 'TEST-0001'],
    ['export.download', 'investigator'],
    ['export.release', 'investigator'],
    ['export.delete', 'investigator'],
    ['user.change', 'admin', 'newsup', '"op":"passwd"'],
    ['auth.login_failed', 'manager1', 'wrong_password'],
    ['auth.login_failed', 'locked', 'locked'],
    ['calendar.set', 'admin', '-03-10', '测试假日'],
    ['settings.change', 'admin', 'retention.days'],
    ...caseAudit,
  ];
  for (const w of want) check(has(...w), `the audit log lacks ${w.join(' ')}`);
  log(`the audit log shows ${want.length} kinds of action by manager1, manager, admin, failed sign-ins; chain verifies`);
  await shot('auditor-audit');
  await page.fill('#audit-actor', 'manager1');
  await page.fill('#audit-action', 'camera.');
  await page.click('#audit-search');
  await page.waitForFunction(() => document.querySelector('#audit-status')?.textContent.match(/\d/) && document.querySelectorAll('#audit-rows tr[data-seq]').length > 0);
  const filtered = await page.$$eval('#audit-rows tr[data-seq]', (trs) => trs.map((tr) => tr.dataset.action + ' ' + tr.children[2].textContent));
  check(filtered.every((r) => r.startsWith('camera.') && r.includes('manager1')), `filtered rows: ${filtered.join(' | ')}`);
  log(`filter actor=manager1 action=camera.: ${filtered.length} row(s), all matching`);
  await shot('auditor-audit-filtered');
}

let failed = false;
try {
  await main();
  if (problems.length) throw new Error(problems.join('\n'));
} catch (e) {
  failed = true;
  console.log(`FAIL at "${step}": ${e.message}`);
  if (page) await page.screenshot({ path: join(P.screenshots, 'failure.png') }).catch(() => {});
}
await browser.close();
console.log(failed ? '0 passed, 1 failed' : `browser.ui: all steps passed; screenshots in ${P.screenshots}`);
process.exit(failed ? 1 : 0);
