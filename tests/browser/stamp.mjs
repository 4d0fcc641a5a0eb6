// The test camera's barcode (demo/hw_stamp.c) read from the pixels of a <video> on a canvas, in
// the page: the footage browser's and the case view's checks that the picture on screen is the
// frame captured when the page says, and the live wall's tiles (installStampReader). Evaluated as an expression string, so the page's CSP
// (no eval) is not involved.

// Runs in the page: the capture instant of the picture video shows now, or {error}.
function stampOf(v) {
  const w = v.videoWidth, hh = v.videoHeight;
  if (!w || !hh) return { error: 'no picture' };
  const c = document.createElement('canvas');
  c.width = w; c.height = hh;
  const g = c.getContext('2d', { willReadFrequently: true });
  g.drawImage(v, 0, 0, w, hh);
  const d = g.getImageData(0, 0, w, hh).data;
  // demo/hw_stamp.c's reader: 2 rows x 32 cells in the top band, 2 guard cells per row,
  // 52 value bits (µs since the epoch) then a CRC-8/ATM of them.
  const cellW = Math.floor(w / 32), rowH = Math.max(Math.floor(hh / 32), 8);
  const mean = (row, col) => {
    const x0 = col * cellW + Math.floor(cellW / 4), x1 = Math.max(x0 + 1, col * cellW + Math.floor((3 * cellW + 3) / 4));
    const y0 = row * rowH + Math.floor(rowH / 4), y1 = row * rowH + Math.floor((3 * rowH + 3) / 4);
    let sum = 0, n = 0;
    for (let y = y0; y < y1; y++) for (let x = x0; x < x1; x++, n++) { const i = (y * w + x) * 4; sum += 0.299 * d[i] + 0.587 * d[i + 1] + 0.114 * d[i + 2]; }
    return sum / n;
  };
  const bits = [];
  for (let row = 0; row < 2; row++) {
    const white = mean(row, row === 0 ? 0 : 1), black = mean(row, row === 0 ? 1 : 0);
    if (white - black < 100) return { error: `no stamp (guards ${white.toFixed(0)}/${black.toFixed(0)})` };
    for (let col = 2; col < 32; col++) bits.push(mean(row, col) > (white + black) / 2 ? 1 : 0);
  }
  let value = 0, crc = 0;
  bits.slice(0, 52).forEach((b) => { value = value * 2 + b; });
  bits.slice(52).forEach((b) => { crc = crc * 2 + b; });
  let c8 = 0;
  for (let i = 6; i >= 0; i--) {
    c8 ^= Math.floor(value / 2 ** (8 * i)) % 256;
    for (let k = 0; k < 8; k++) c8 = (c8 & 0x80) ? ((c8 << 1) ^ 0x07) & 0xff : (c8 << 1) & 0xff;
  }
  if (c8 !== crc) return { error: 'stamp checksum mismatch' };
  return { captured: value / 1000, currentTime: v.currentTime, w, hh };
}

const q = (s) => JSON.stringify(s);

// The barcode of the picture in video (a selector) now, with the capture time the page shows in
// timeSel (its data-ms and text): {captured, shown, text, currentTime, w, hh} or {error}.
export function readStamp(page, video, timeSel) {
  return page.evaluate(`(() => {
    const r = (${stampOf})(document.querySelector(${q(video)}));
    const el = document.querySelector(${q(timeSel)});
    return r.error ? r : { ...r, shown: Number(el.dataset.ms), text: el.textContent };
  })()`);
}

// Arms a reader of the next picture video presents (requestVideoFrameCallback): the first frame
// of a playback that starts playing at once, read when it is on screen. firstStamp() gets it.
export function armFirstStamp(page, video) {
  return page.evaluate(`(() => {
    const v = document.querySelector(${q(video)});
    window.__hwFirstStamp = new Promise((res) => {
      const once = () => v.requestVideoFrameCallback(() => {
        const r = (${stampOf})(v);
        if (r.error === 'no picture') once(); else res(r);
      });
      once();
    });
  })()`);
}

export function firstStamp(page) {
  return page.evaluate('window.__hwFirstStamp');
}

// Makes the reader window.hwStampOf in the page, for code that reads a stamp inside its own page
// function (a requestVideoFrameCallback: steps_media.mjs, bench/media_browser.mjs).
export async function installStampReader(page) {
  await page.evaluate(`window.hwStampOf = ${stampOf}`);
}
