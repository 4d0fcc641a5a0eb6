// bench/media's browser part: Debian's chromium (headless, playwright-core) signs in, opens the
// live wall with N tiles and, for S seconds, reads the barcode stamp of presented frames in every
// tile (every 5th frame, requestVideoFrameCallback + canvas: tests/browser/stamp.mjs) against the
// frame's expected display time. Prints one JSON object: latencies (ms) and per-tile counts.
//   node media_browser.mjs PARAMS.json   ({base, username, password, chromium, ui_dir, n, seconds})
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { installStampReader } from '../tests/browser/stamp.mjs';

const P = JSON.parse(readFileSync(process.argv[2], 'utf8'));
const { chromium } = await import(pathToFileURL(join(P.ui_dir, 'node_modules/playwright-core/index.mjs')).href);
const browser = await chromium.launch({
  executablePath: P.chromium, headless: true, timeout: 60000,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--disable-extensions', '--mute-audio'],
});
try {
  const page = await (await browser.newContext({ viewport: { width: 1920, height: 1080 } })).newPage();
  page.setDefaultTimeout(60000);
  await page.goto(P.base + '/');
  await page.fill('#username', P.username);
  await page.fill('#password', P.password);
  await page.click('#signin-submit');
  await page.waitForSelector('nav.sidenav a[data-page]');
  await page.goto(`${P.base}/#/live?n=${P.n}`);
  await page.waitForFunction((n) => document.querySelectorAll('#live-wall .tile[data-camera]').length === n, P.n);
  await page.waitForFunction(() => [...document.querySelectorAll('#live-wall .tile[data-camera]')].every((x) => x.dataset.state === 'playing'));
  await page.waitForTimeout(2000); // past the joining burst
  await installStampReader(page);
  const r = await page.evaluate((seconds) => new Promise((done) => {
    const vs = [...document.querySelectorAll('#live-wall .tile[data-camera] video')];
    const lat = [], perTile = vs.map(() => ({ frames: 0, read: 0, unreadable: 0, t0: 0, t1: 0 }));
    const end = performance.now() + seconds * 1000;
    vs.forEach((v, i) => {
      perTile[i].t0 = v.currentTime;
      const cb = (_now, meta) => {
        const s = perTile[i];
        if (performance.now() > end) { s.t1 = v.currentTime; return; }
        if (s.frames++ % 5 === 0) {
          const st = window.hwStampOf(v);
          if (st.error) s.unreadable++;
          else { s.read++; lat.push(performance.timeOrigin + meta.expectedDisplayTime - st.captured); }
        }
        v.requestVideoFrameCallback(cb);
      };
      v.requestVideoFrameCallback(cb);
    });
    setTimeout(() => done({ lat, perTile: perTile.map((s, i) => ({ ...s, t1: s.t1 || vs[i].currentTime })) }), seconds * 1000 + 500);
  }), P.seconds);
  const lat = r.lat.sort((a, b) => a - b);
  const q = (p) => lat[Math.min(lat.length - 1, Math.round(p * (lat.length - 1)))];
  console.log(JSON.stringify({
    tiles: P.n, seconds: P.seconds, frames_read: lat.length,
    unreadable: r.perTile.reduce((a, s) => a + s.unreadable, 0),
    stamp_to_displayed: lat.length ? { median_ms: q(0.5), p95_ms: q(0.95), max_ms: lat[lat.length - 1], n: lat.length } : null,
    current_time_advance_s: r.perTile.map((s) => Number((s.t1 - s.t0).toFixed(2))),
  }));
} finally {
  await browser.close();
}
