// HallWatch live view in the browser: one WebSocket per page (GET /api/v1/live) carrying every
// tile's camera, each tile fed through Media Source Extensions without any transcoding. Wire
// protocol: docs/live.md. ES module, no dependencies.
//
//   import { LiveClient } from './live.js';
//   const live = new LiveClient('/api/v1/live');          // one per page, however many tiles
//   const tile = live.attach(videoElement, 'window-03');  // sub-stream when the camera has one
//   tile.addEventListener('status', (e) => show(e.detail)); // {state, message, stream, codec}
//   tile.captureTime();   // Date: wall-clock capture time of the frame on screen, or null
//   tile.latency();       // seconds from that capture time to now, or null
//   videoElement.dataset.captureMs // the same capture time (ms since the epoch), per frame shown
//   tile.detach();        // or live.close() for all
//
// Tile states: 'connecting', 'playing', 'unsupported' (the browser cannot decode the codec; the
// message says so and the other stream — the H.264 sub-stream — is tried when there is one; once
// it plays the state is 'playing' again and the message still says why), 'offline', 'error'.
// Messages are zh-CN first, English second.

const MSG_INIT = 1;
const MSG_CHUNK = 2;
const TIMESCALE = 90000;
const ascii = new TextDecoder();

/** @param {string} url a ws(s):// URL, or a path resolved against the page (http→ws, https→wss) */
function wsUrl(url) {
  if (/^wss?:\/\//.test(url)) return url;
  const u = new URL(url, globalThis.location.href);
  u.protocol = u.protocol === 'https:' ? 'wss:' : 'ws:';
  return u.toString();
}

function mimeOf(codec) {
  return `video/mp4; codecs="${codec}"`;
}

/** Whether this browser's MSE can play an RFC 6381 codec string ("avc1.64001f", "hvc1.1.6.L93.90"). */
export function canPlay(codec) {
  return Boolean(codec) && typeof MediaSource !== 'undefined' && MediaSource.isTypeSupported(mimeOf(codec));
}

/** One camera shown in one <video>; made by LiveClient.attach. Emits 'status' events. */
export class LiveTile extends EventTarget {
  constructor(client, video, camera, options) {
    super();
    this.client = client;
    this.video = video;
    this.camera = camera;
    this.want = options.stream || 'auto';
    this.stream = null; // 'main' | 'sub' once subscribed
    this.codec = null; // codec string of the init segment in use
    this.streams = null; // {main: {codec, mime, width, height} | null, sub: …} from the server
    this.state = 'connecting';
    this._queue = []; // ArrayBuffers waiting for the SourceBuffer
    this._map = []; // {start, end, wall}: media seconds → capture time (ms since epoch)
    this._frameMediaTime = null;
    this._jumped = false;
    this._detached = false;
    this._openMedia();
    this._watchFrames();
  }

  /** The wall-clock capture time of the frame on screen (Date), or null before the first one. */
  captureTime() {
    const t = this._frameMediaTime ?? this.video.currentTime;
    for (let i = this._map.length - 1; i >= 0; i--) {
      const m = this._map[i];
      if (t >= m.start - 0.001) return t < m.end + 0.5 ? new Date(m.wall + (t - m.start) * 1000) : null;
    }
    return null;
  }

  /** Seconds between the shown frame's capture time and now (this machine's clock), or null. */
  latency() {
    const c = this.captureTime();
    return c ? (Date.now() - c.getTime()) / 1000 : null;
  }

  /** Stops this tile: unsubscribes, frees the MediaSource. */
  detach() {
    if (this._detached) return;
    this._detached = true;
    this.client._detach(this);
    this._closeMedia();
  }

  _status(state, message = '') {
    this.state = state;
    this.dispatchEvent(new CustomEvent('status', {
      detail: { state, message, stream: this.stream, codec: this.codec, camera: this.camera },
    }));
  }

  _openMedia() {
    this._ms = new MediaSource();
    this._sb = null;
    this._url = URL.createObjectURL(this._ms);
    this.video.muted = true;
    this.video.playsInline = true;
    this.video.src = this._url;
    this._ms.addEventListener('sourceopen', () => this._pump(), { once: true });
  }

  _closeMedia() {
    if (this._url) URL.revokeObjectURL(this._url);
    this._url = null;
    this._ms = null;
    this._sb = null;
    this._queue = [];
    this._map = [];
    this.video.removeAttribute('src');
    this.video.load();
  }

  _watchFrames() {
    if (!this.video.requestVideoFrameCallback) return;
    const cb = (_now, meta) => {
      this._frameMediaTime = meta.mediaTime;
      const c = this.captureTime(); // on the element too (data-capture-ms), for tests and tools
      if (c) this.video.dataset.captureMs = String(c.getTime());
      if (!this._detached) this.video.requestVideoFrameCallback(cb);
    };
    this.video.requestVideoFrameCallback(cb);
  }

  // server → tile ---------------------------------------------------------------------------

  _onSubscribed(msg) {
    this.stream = msg.stream;
    this.streams = msg.streams;
    // An H.265 main stream this browser cannot decode: take the H.264 sub-stream at once.
    const main = msg.streams && msg.streams.main;
    if (this.want !== 'sub' && msg.stream === 'main' && main && main.mime && !canPlay(main.mime)) {
      this._tryOther(main.mime);
    }
  }

  _tryOther(codec) {
    const other = this.stream === 'main' ? 'sub' : 'main';
    const o = this.streams && this.streams[other];
    const msg = `无法播放：此浏览器不支持 ${codec} / This browser cannot play ${codec}`;
    if (o && o.mime && canPlay(o.mime)) {
      this._note = `${msg}；改用${other === 'sub' ? '子码流' : '主码流'} / showing the ${other} stream instead`;
      this._status('unsupported', this._note);
      if (this.want !== other) {
        this.want = other;
        this.client._send({ op: 'subscribe', camera: this.camera, stream: other });
      }
      return true;
    }
    this._status('unsupported', other === 'sub'
      ? `${msg}；该摄像机没有可播放的子码流 / and the camera has no playable sub-stream`
      : msg);
    return false;
  }

  _onInit(codec, data) {
    if (!canPlay(codec)) {
      this.codec = codec;
      this._tryOther(codec);
      return;
    }
    if (this._sb && this.codec !== codec) {
      // Another codec (stream switched, camera reconfigured): changeType where the browser has it.
      if (this._sb.changeType) this._sb.changeType(mimeOf(codec));
      else { this._closeMedia(); this._openMedia(); }
    }
    this.codec = codec;
    this._queue.push({ data, init: true, codec });
    this._pump();
  }

  _onChunk(wallMs, decodeTime, duration, data) {
    const start = decodeTime / TIMESCALE;
    this._map.push({ start, end: start + duration / TIMESCALE, wall: wallMs });
    if (this._map.length > 600) this._map.splice(0, this._map.length - 600);
    this._queue.push({ data });
    this._pump();
  }

  // MSE -----------------------------------------------------------------------------------------

  _pump() {
    const ms = this._ms;
    if (!ms || ms.readyState !== 'open' || this._queue.length === 0) return;
    if (!this._sb) {
      const first = this._queue.find((q) => q.init);
      if (!first) { this._queue = []; return; } // chunks before any init: useless
      try {
        this._sb = ms.addSourceBuffer(mimeOf(first.codec));
      } catch (e) {
        this._status('unsupported', `无法播放 / cannot play: ${e.message}`);
        return;
      }
      this._sb.mode = 'segments';
      this._sb.addEventListener('updateend', () => { this._afterAppend(); this._pump(); });
      this._sb.addEventListener('error', () => this._status('error', '解码失败 / decoding failed'));
    }
    if (this._sb.updating) return;
    const next = this._queue.shift();
    try {
      this._sb.appendBuffer(next.data);
    } catch (e) {
      if (e.name === 'QuotaExceededError') {
        this._queue.unshift(next);
        this._trim(true);
      } else {
        this._status('error', `解码失败 / decoding failed: ${e.message}`);
      }
    }
  }

  _afterAppend() {
    const v = this.video;
    const b = v.buffered;
    if (b.length === 0) return;
    const end = b.end(b.length - 1);
    const lag = end - v.currentTime;
    // Start, a gap after a skip, or too far behind: go to the live edge.
    if (!this._jumped || lag > this.client.maxLag || (v.currentTime < b.start(b.length - 1) && lag > 0.05)) {
      v.currentTime = Math.max(b.start(b.length - 1), end - this.client.targetLag);
      this._jumped = true;
    }
    if (v.paused) v.play().catch(() => {});
    // After a switch to the other stream, 'playing' keeps saying why (e.g. no H.265 here).
    if (this.state !== 'playing') this._status('playing', this._note || '');
    this._trim(false);
  }

  _trim(force) {
    const sb = this._sb;
    const v = this.video;
    if (!sb || sb.updating || v.buffered.length === 0) return;
    const start = v.buffered.start(0);
    if (force || v.currentTime - start > 30) {
      try { sb.remove(start, Math.max(start + 0.1, v.currentTime - 10)); } catch (_) { /* retried */ }
    }
  }
}

/** One WebSocket for all the tiles of a page (Chromium allows 6 HTTP/1.1 connections per host). */
export class LiveClient {
  /**
   * @param {string} url '/api/v1/live' or a ws(s):// URL
   * @param {{maxLag?: number, targetLag?: number, reconnect?: boolean}} options
   *   maxLag: seconds behind the newest picture before jumping to it (default 1); between
   *     targetLag + 0.25 s and that, the tile plays 10 % faster until it is back;
   *   targetLag: how far behind the newest picture a tile plays (default 0.2 s);
   *   reconnect: reopen and resubscribe after a dropped connection (default true).
   */
  constructor(url = '/api/v1/live', options = {}) {
    this.url = wsUrl(url);
    this.maxLag = options.maxLag ?? 1.0;
    this.targetLag = options.targetLag ?? 0.2;
    this.reconnect = options.reconnect ?? true;
    this.tiles = new Map(); // camera → LiveTile
    this._ws = null;
    this._backoff = 1000;
    this._closed = false;
    this._timer = setInterval(() => this._tick(), 250);
  }

  /**
   * Shows camera in video (muted, inline). One tile per camera per client: attaching the same
   * camera again replaces the earlier tile.
   * @param {HTMLVideoElement} video
   * @param {string} camera camera id
   * @param {{stream?: 'auto'|'main'|'sub'}} options 'auto' (default): the sub-stream if any
   * @returns {LiveTile}
   */
  attach(video, camera, options = {}) {
    const old = this.tiles.get(camera);
    if (old) old.detach();
    const tile = new LiveTile(this, video, camera, options);
    this.tiles.set(camera, tile);
    this._connect();
    this._send({ op: 'subscribe', camera, stream: tile.want });
    return tile;
  }

  /** Closes the connection and every tile. */
  close() {
    this._closed = true;
    clearInterval(this._timer);
    for (const t of [...this.tiles.values()]) t.detach();
    if (this._ws) this._ws.close(1000);
    this._ws = null;
  }

  _detach(tile) {
    if (this.tiles.get(tile.camera) !== tile) return;
    this.tiles.delete(tile.camera);
    this._send({ op: 'unsubscribe', camera: tile.camera });
  }

  _connect() {
    if (this._ws || this._closed) return;
    const ws = new WebSocket(this.url);
    ws.binaryType = 'arraybuffer';
    this._ws = ws;
    this._pending = [];
    ws.onopen = () => {
      this._backoff = 1000;
      for (const m of this._pending) ws.send(m);
      this._pending = [];
    };
    ws.onmessage = (e) => (typeof e.data === 'string' ? this._onText(e.data) : this._onBinary(e.data));
    ws.onclose = () => {
      this._ws = null;
      if (this._closed || !this.reconnect) return;
      for (const t of this.tiles.values()) t._status('connecting', '连接中断，正在重连 / connection lost, reconnecting');
      setTimeout(() => {
        if (this._closed || this.tiles.size === 0) return;
        this._connect();
        for (const t of this.tiles.values()) this._send({ op: 'subscribe', camera: t.camera, stream: t.want });
      }, this._backoff);
      this._backoff = Math.min(this._backoff * 2, 10000);
    };
  }

  _send(obj) {
    const text = JSON.stringify(obj);
    if (this._ws && this._ws.readyState === WebSocket.OPEN) this._ws.send(text);
    else if (this._ws) this._pending.push(text);
  }

  _onText(text) {
    let m;
    try { m = JSON.parse(text); } catch (_) { return; }
    const tile = m.camera ? this.tiles.get(m.camera) : null;
    if (!tile) return;
    if (m.op === 'subscribed') tile._onSubscribed(m);
    else if (m.op === 'error') {
      const state = m.code === 'offline' ? 'offline' : 'error';
      const zh = { offline: '摄像机离线', not_found: '无此摄像机或无权查看', audit_failed: '审计日志无法记录，画面不予显示' }[m.code] || '错误';
      tile._status(state, `${zh} / ${m.message}`);
    }
  }

  _onBinary(buf) {
    const v = new DataView(buf);
    const type = v.getUint8(0);
    const idLen = v.getUint8(1);
    const camera = ascii.decode(new Uint8Array(buf, 2, idLen));
    const tile = this.tiles.get(camera);
    if (!tile) return;
    let off = 2 + idLen;
    if (type === MSG_INIT) {
      const n = v.getUint8(off);
      const codec = ascii.decode(new Uint8Array(buf, off + 1, n));
      off += 1 + n + 4; // codec, then width and height (u16 each)
      tile._onInit(codec, buf.slice(off));
    } else if (type === MSG_CHUNK) {
      const wallMs = Number(v.getBigUint64(off + 1) / 1000000n);
      const decodeTime = Number(v.getBigUint64(off + 9));
      const duration = v.getUint32(off + 17);
      tile._onChunk(wallMs, decodeTime, duration, buf.slice(off + 21));
    }
  }

  _tick() {
    for (const t of this.tiles.values()) {
      const v = t.video;
      const b = v.buffered;
      if (b.length === 0) continue;
      const end = b.end(b.length - 1);
      const lag = end - v.currentTime;
      // Stuck before a gap (after a skip) or drifted far behind: jump to the live edge. A little
      // behind: play 10 % faster until back near it, which no one notices, instead of jumping.
      if (lag > this.maxLag || (v.readyState < 3 && v.currentTime < b.start(b.length - 1))) {
        v.currentTime = Math.max(b.start(b.length - 1), end - this.targetLag);
        v.playbackRate = 1;
      } else if (lag > this.targetLag + 0.25) {
        v.playbackRate = 1.1;
      } else if (lag < this.targetLag + 0.05) {
        v.playbackRate = 1;
      }
    }
  }
}
