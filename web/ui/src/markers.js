// The footage timeline's stage markers: the stage events at the windows a camera covered in the
// range (GET /api/v1/cameras/{id}/events, through the window→camera history), each a mark on the
// timeline bar; hovering shows the case number, the stage and the time, a click plays from it.
// Self-contained so the footage page needs one call: drawStageMarkers(bar, range, pct, play).
import { api, seg } from './api.js';
import { stageName } from './cases.js';
import { h } from './dom.js';
import { formatTime } from './fmt.js';
import { t } from './i18n.js';

// Replaces the markers on bar for range {camera, from, to} (ms); pct(ms) places an instant on the
// bar, play(ms) plays from it. The roles that may not read cases (403) get no markers; returns
// the number drawn.
export async function drawStageMarkers(bar, range, pct, play) {
  for (const el of [...bar.querySelectorAll('.timeline-marker')]) el.remove();
  let r;
  try {
    r = await api.get(`/api/v1/cameras/${seg(range.camera)}/events?from=${seg(new Date(range.from).toISOString())}&to=${seg(new Date(range.to).toISOString())}`);
  } catch (e) {
    if (e.status === 403) return 0;
    throw e;
  }
  for (const e of r.events) {
    const ms = Date.parse(e.time);
    const label = t('markers.title', { number: e.case_number, stage: stageName(e.stage), time: formatTime(ms) });
    bar.append(h('div', {
      class: 'timeline-marker', style: { left: pct(ms) }, title: label, 'aria-label': label, role: 'button', tabindex: 0,
      'data-case': e.case_number, 'data-stage': e.stage, 'data-time': e.time,
      // the bar plays from where a drag ends: a marker's press is its own
      onpointerdown: (ev) => ev.stopPropagation(),
      onclick: (ev) => { ev.stopPropagation(); play(ms); },
      onkeydown: (ev) => { if (ev.key === 'Enter') play(ms); },
    }));
  }
  return r.events.length;
}
