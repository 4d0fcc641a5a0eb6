// Live wall from the pixels (issue 5), after browser.ui's step 4b has 16 tiles playing: every
// tile's picture changes, and for a few tiles the capture time read from the frame's barcode
// (stamp.mjs) matches the capture time the tile reports for that frame (the video's
// data-capture-ms, set by src/live.js for each presented frame) within about a frame, and the
// frame is on screen less than 3 s after it was captured.
import { installStampReader } from './stamp.mjs';

const FRAME_MS = 100; // the wall's test cameras run at 10 fps
const LATENCY_MAX_MS = 3000; // the glass-to-glass target

export async function run({ page, check, log, tiles }) {
  // Two grabs of every tile a second apart, compared below the stamp band (the barcode alone
  // changes with every frame): the mean absolute difference of luma per tile.
  const change = await page.$$eval('#live-wall .tile[data-camera] video', async (vs) => {
    const grab = (v) => {
      const w = v.videoWidth, hh = v.videoHeight, band = 2 * Math.max(Math.floor(hh / 32), 8);
      const c = document.createElement('canvas');
      c.width = w; c.height = hh;
      const g = c.getContext('2d', { willReadFrequently: true });
      g.drawImage(v, 0, 0, w, hh);
      const d = g.getImageData(0, band, w, hh - band).data, y = new Float32Array(d.length / 4);
      for (let i = 0; i < y.length; i++) y[i] = 0.299 * d[4 * i] + 0.587 * d[4 * i + 1] + 0.114 * d[4 * i + 2];
      return y;
    };
    const a = vs.map(grab);
    await new Promise((r) => setTimeout(r, 1000));
    return vs.map((v, k) => {
      const b = grab(v);
      if (b.length !== a[k].length || b.length === 0) return -1;
      let sum = 0;
      for (let i = 0; i < b.length; i++) sum += Math.abs(b[i] - a[k][i]);
      return sum / b.length;
    });
  });
  check(change.length === tiles.length && change.every((x) => x > 0.5),
    `the picture must change in every tile over 1 s (mean luma difference below the stamp): ${change.map((x) => x.toFixed(1)).join(' ')}`);

  // In a requestVideoFrameCallback the canvas gets the frame being presented; the tile's own
  // callback (registered first) has set data-capture-ms for it by the next task.
  await installStampReader(page);
  const picked = tiles.filter((_, i) => i % 5 === 0); // 4 of 16
  const rows = [];
  for (const id of picked) {
    for (let k = 0; k < 3; k++) {
      const r = await page.$eval(`#live-wall .tile[data-camera="${id}"] video`, (v) => new Promise((res) => {
        const timer = setTimeout(() => res({ error: 'no frame presented in 5 s' }), 5000);
        v.requestVideoFrameCallback(() => {
          const s = window.hwStampOf(v), at = Date.now();
          setTimeout(() => { clearTimeout(timer); res({ ...s, at, tileMs: Number(v.dataset.captureMs) }); }, 0);
        });
      }));
      check(!r.error, `tile ${id}: reading the barcode of a presented frame: ${r.error}`);
      rows.push({ id, off: r.tileMs - r.captured, latency: r.at - r.captured });
    }
  }
  const worst = Math.max(...rows.map((r) => Math.abs(r.off)));
  const lat = rows.map((r) => r.latency).sort((a, b) => a - b);
  for (const r of rows) {
    check(Number.isFinite(r.off) && Math.abs(r.off) <= FRAME_MS + 10,
      `tile ${r.id}: the tile reports a capture time ${r.off.toFixed(0)} ms from the frame's barcode (want within one frame, ${FRAME_MS} ms)`);
    check(r.latency < LATENCY_MAX_MS, `tile ${r.id}: the frame on screen was captured ${r.latency.toFixed(0)} ms ago (want < ${LATENCY_MAX_MS} ms)`);
  }
  log(`live pixels: every tile's picture changed over 1 s (mean luma diff ${Math.min(...change).toFixed(1)}..${Math.max(...change).toFixed(1)}); ` +
    `${rows.length} presented frames of ${picked.join(', ')}: tile capture time vs barcode worst ${worst.toFixed(0)} ms, ` +
    `barcode → on screen ${lat[0].toFixed(0)}..${lat[lat.length - 1].toFixed(0)} ms (median ${lat[Math.floor(lat.length / 2)].toFixed(0)})`);
}
