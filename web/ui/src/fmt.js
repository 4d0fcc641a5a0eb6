// Times as a person in the hall reads them: every instant the API gives (RFC 3339, UTC) is shown
// in the hall's time zone, and every time typed into a form is read in that zone. A hall object
// may carry "time_zone" (IANA name); otherwise the appliance default applies (the session's
// "time_zone" if the API gives one, else Asia/Shanghai: the halls are in China).
import { lang, t } from './i18n.js';

export const DEFAULT_ZONE = 'Asia/Shanghai';
let defaultZone = DEFAULT_ZONE;
const hallZones = new Map();

function validZone(z) {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: z });
    return true;
  } catch {
    return false;
  }
}

export function setDefaultZone(z) {
  defaultZone = z && validZone(z) ? z : DEFAULT_ZONE;
}

// Remembers the zones of halls from GET /api/v1/halls.
export function learnHalls(halls) {
  for (const hall of halls || []) if (hall.time_zone && validZone(hall.time_zone)) hallZones.set(hall.code, hall.time_zone);
}

// The zone of a hall code (null/undefined: the appliance default).
export function zoneOf(hall) {
  return (hall && hallZones.get(hall)) || defaultZone;
}

const partsCache = new Map();
function parts(ms, zone) {
  let f = partsCache.get(zone);
  if (!f) {
    f = new Intl.DateTimeFormat('en-US', {
      timeZone: zone, hourCycle: 'h23', year: 'numeric', month: '2-digit', day: '2-digit',
      hour: '2-digit', minute: '2-digit', second: '2-digit',
    });
    partsCache.set(zone, f);
  }
  const o = {};
  for (const p of f.formatToParts(new Date(ms))) o[p.type] = p.value;
  return o;
}

function toMs(v) {
  if (v === null || v === undefined || v === '') return NaN;
  return v instanceof Date ? v.getTime() : typeof v === 'number' ? v : Date.parse(v);
}

// "2026-03-01 08:30:05" in the zone (the same digits in every language: they are read by people
// comparing them with the time burnt into the picture). '—' for no time.
export function formatTime(v, zone = defaultZone) {
  const ms = toMs(v);
  if (!Number.isFinite(ms)) return '—';
  const p = parts(ms, zone);
  return `${p.year}-${p.month}-${p.day} ${p.hour}:${p.minute}:${p.second}`;
}

// A day in the zone as a sentence names it: "10月12日" / "12 Oct", with the year when it is not
// the current one ("2025年10月12日" / "12 Oct 2025"). '—' for no time.
export function formatDay(v, zone = defaultZone, now = Date.now()) {
  const ms = toMs(v);
  if (!Number.isFinite(ms)) return '—';
  const withYear = parts(ms, zone).year !== parts(now, zone).year;
  return new Intl.DateTimeFormat(lang() === 'en' ? 'en-GB' : 'zh-CN', {
    timeZone: zone, day: 'numeric', month: lang() === 'en' ? 'short' : 'long', year: withYear ? 'numeric' : undefined,
  }).format(new Date(ms));
}

// The zone's offset from UTC in ms at instant ms.
function offsetMs(ms, zone) {
  const p = parts(ms, zone);
  return Date.UTC(+p.year, +p.month - 1, +p.day, +p.hour, +p.minute, +p.second) - Math.floor(ms / 1000) * 1000;
}

// A datetime-local value ("2026-03-01T08:30") read as wall time in zone → RFC 3339 UTC, or null.
export function zonedToIso(local, zone = defaultZone) {
  const m = /^(\d{4})-(\d{2})-(\d{2})T(\d{2}):(\d{2})(?::(\d{2}))?$/.exec(local || '');
  if (!m) return null;
  const wall = Date.UTC(+m[1], +m[2] - 1, +m[3], +m[4], +m[5], +(m[6] || 0));
  let ms = wall - offsetMs(wall, zone);
  ms = wall - offsetMs(ms, zone); // once more, for an instant across an offset change
  return new Date(ms).toISOString();
}

// An instant → the datetime-local value of its wall time in zone ("2026-03-01T08:30").
export function isoToZoned(v, zone = defaultZone) {
  const ms = toMs(v);
  if (!Number.isFinite(ms)) return '';
  const p = parts(ms, zone);
  return `${p.year}-${p.month}-${p.day}T${p.hour}:${p.minute}`;
}

// "3 分钟前" / "3 min ago": how long ago an instant was, coarse.
export function ago(v, now = Date.now()) {
  const ms = toMs(v);
  if (!Number.isFinite(ms)) return '';
  const s = Math.max(0, Math.round((now - ms) / 1000));
  if (s < 60) return t('time.seconds_ago', { n: s });
  if (s < 3600) return t('time.minutes_ago', { n: Math.floor(s / 60) });
  if (s < 86400) return t('time.hours_ago', { n: Math.floor(s / 3600) });
  return t('time.days_ago', { n: Math.floor(s / 86400) });
}

export function bitrate(bps) {
  if (bps === null || bps === undefined || !Number.isFinite(bps)) return '—';
  return bps >= 1e6 ? `${(bps / 1e6).toFixed(1)} Mbit/s` : `${Math.round(bps / 1e3)} kbit/s`;
}

export function bytes(n) {
  if (n === null || n === undefined || !Number.isFinite(n)) return '—';
  const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) {
    n /= 1024;
    i++;
  }
  return `${i ? n.toFixed(1) : n} ${units[i]}`;
}
