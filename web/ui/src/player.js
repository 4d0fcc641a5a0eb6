// Recorded playback in a <video>: one hls.js session per playlist (docs/playback.md: HLS byte-range
// playlists of the stored fMP4 files, every fragment with its EXT-X-PROGRAM-DATE-TIME), used by
// the footage browser and the case view. The playlist's EXT-X-START makes the first picture the
// frame captured at its start; a seek to an instant the open playlist covers stays in the same
// playback session (no new playlist, no new audit row); the capture time of the frame on screen
// comes from hls.playingDate.
import { formatTime } from './fmt.js';
import { t } from './i18n.js';
import Hls from './vendor/hls.light.min.mjs';

export const FRAME_S = 0.04; // one frame at the cameras' usual 25 fps: the step of ← / →

// "2026-11-28 12:00:05.120": the capture time to the millisecond, in the hall's zone.
export function preciseTime(ms, zone) {
  return `${formatTime(ms, zone)}.${String(Math.floor(ms) % 1000).padStart(3, '0')}`;
}

// The label of the stream a playlist shows (its X-HallWatch-Stream header): the main stream, or
// the sub-stream when the browser cannot play the main one (H.265) and the sub-stream is H.264.
export function streamLabel(stream) {
  return stream === 'sub' ? t('player.stream_sub') : stream === 'main' ? t('player.stream_main') : '';
}

// createPlayer(video, {onTime(ms), onError(code, details), onStream(stream)}): onTime is called
// with the capture time (ms since the epoch) whenever the picture's changes; onError on a fatal
// playback error (code: the HTTP status of the failed request, or 0), after which the session is
// closed; onStream with the stream each playlist shows ("main" or "sub", video.dataset.stream).
export function createPlayer(video, { onTime, onError, onStream } = {}) {
  let hls = null;
  let raf = 0;
  let shown = null;

  function stop() {
    cancelAnimationFrame(raf);
    if (hls) hls.destroy();
    hls = null;
    shown = null;
  }

  function tick() {
    const d = hls && hls.playingDate;
    if (d && video.readyState >= 2 && d.getTime() !== shown) {
      shown = d.getTime();
      if (onTime) onTime(shown);
    }
    raf = requestAnimationFrame(tick);
  }

  // Opens playlist url (its start query decides the first picture); autoplay false shows that
  // frame paused.
  function load(url, autoplay) {
    stop();
    hls = new Hls({ startPosition: -1, enableWorker: false, lowLatencyMode: false });
    hls.on(Hls.Events.MANIFEST_PARSED, () => { if (autoplay) video.play().catch(() => {}); });
    hls.on(Hls.Events.MANIFEST_LOADED, (_e, d) => {
      const n = d.networkDetails; // the XMLHttpRequest (or a fetch Response) of the playlist
      const s = n && (typeof n.getResponseHeader === 'function' ? n.getResponseHeader('X-HallWatch-Stream') : n.headers && n.headers.get('X-HallWatch-Stream'));
      video.dataset.stream = s || '';
      if (onStream) onStream(s || '');
    });
    hls.on(Hls.Events.ERROR, (_e, d) => {
      if (!d.fatal) return;
      stop();
      if (onError) onError((d.response && d.response.code) || 0, d.details);
    });
    hls.loadSource(url);
    hls.attachMedia(video);
    raf = requestAnimationFrame(tick);
  }

  // Where capture instant ms lies in the loaded playlist (media seconds): the next fragment's
  // start when ms falls in a gap; null when the playlist does not reach it.
  function positionOf(ms) {
    const lv = hls && hls.levels && hls.levels[hls.currentLevel >= 0 ? hls.currentLevel : 0];
    const frags = lv && lv.details ? lv.details.fragments : [];
    for (const f of frags) {
      if (!f.programDateTime) continue;
      if (ms < f.programDateTime) return f.start;
      if (ms < f.programDateTime + f.duration * 1000) return f.start + (ms - f.programDateTime) / 1000;
    }
    return null;
  }

  // Whether the open playlist holds capture instant ms (from its first fragment to its end).
  function covers(ms) {
    const lv = hls && hls.levels && hls.levels[hls.currentLevel >= 0 ? hls.currentLevel : 0];
    const frags = lv && lv.details ? lv.details.fragments.filter((f) => f.programDateTime) : [];
    if (!frags.length) return false;
    const last = frags[frags.length - 1];
    return frags[0].programDateTime <= ms && ms < last.programDateTime + last.duration * 1000;
  }

  // Seeks within the open session to capture instant ms; false when its playlist does not
  // cover it (the caller loads a new one).
  function seek(ms, autoplay) {
    const pos = positionOf(ms);
    if (pos === null) return false;
    video.currentTime = pos;
    if (autoplay) video.play().catch(() => {});
    return true;
  }

  // The keys every player page shares: space play/pause, ← / → one frame back/forward (paused).
  function key(e) {
    if (e.key === ' ') {
      if (video.paused) video.play().catch(() => {});
      else video.pause();
    } else if (e.key === 'ArrowLeft' || e.key === 'ArrowRight') {
      video.pause();
      video.currentTime = Math.max(0, video.currentTime + (e.key === 'ArrowLeft' ? -FRAME_S : FRAME_S));
    } else {
      return false;
    }
    e.preventDefault();
    return true;
  }

  return { load, seek, covers, positionOf, stop, key, get active() { return hls !== null; } };
}
