// Camera health as both the dashboard and the cameras page show it: the recorder's state
// (GET /api/v1/cameras "state") grouped the way a hall manager thinks of it.
import { h } from './dom.js';
import { ago, formatTime, zoneOf } from './fmt.js';
import { t } from './i18n.js';

// recording → ok; connecting/reconnecting → trying; error → down; disabled → off; null → starting.
export function healthOf(cam) {
  switch (cam.enabled === false ? 'disabled' : cam.state) {
    case 'recording': return 'recording';
    case 'connecting':
    case 'reconnecting': return 'reconnecting';
    case 'error': return 'down';
    case 'disabled': return 'disabled';
    default: return 'starting';
  }
}

// A coloured badge with the state and since when (in the camera's hall's zone).
export function healthBadge(cam) {
  const hl = healthOf(cam);
  const since = cam.state_since ? t('health.since', { time: formatTime(cam.state_since, zoneOf(cam.hall)), ago: ago(cam.state_since) }) : '';
  return h('span', { class: `health health-${hl}`, 'data-health': hl, title: cam.last_error || '' },
    h('span', { class: 'dot' }), t('health.' + hl), since ? h('span', { class: 'since' }, since) : null);
}

// Only the main stream of each camera (the list has one row per stream).
export const mainStreams = (cams) => cams.filter((c) => !c.stream || c.stream === 'main');
