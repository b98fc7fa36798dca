// format.js: instants in the programme's zone with the zone named, won with
// grouping, unit-hours and ratios, in the page's language.
import { lang } from './i18n.js';

let zone = { name: 'Asia/Seoul', offset: 9 * 3600, label: 'KST' };

// Seconds east of UTC of a zone as grantd names it: UTC, a zone without
// daylight saving time (Asia/Seoul), or +HH:MM.
function offsetOf(name) {
  if (name === 'UTC') return 0;
  const m = /^([+-])(\d\d):(\d\d)$/.exec(name);
  if (m) return (m[1] === '-' ? -1 : 1) * (Number(m[2]) * 3600 + Number(m[3]) * 60);
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone: name, timeZoneName: 'longOffset',
  }).formatToParts(new Date()).find((p) => p.type === 'timeZoneName');
  const g = /GMT([+-])(\d\d):?(\d\d)?/.exec(parts ? parts.value : '');
  return g ? (g[1] === '-' ? -1 : 1) * (Number(g[2]) * 3600 + Number(g[3] || 0) * 60) : 0;
}

export function setZone(name) {
  const offset = offsetOf(name);
  const hh = String(Math.floor(Math.abs(offset) / 3600)).padStart(2, '0');
  const mm = String(Math.floor(Math.abs(offset) % 3600 / 60)).padStart(2, '0');
  const label = name === 'Asia/Seoul' ? 'KST' : name === 'UTC' ? 'UTC'
    : `UTC${offset < 0 ? '-' : '+'}${hh}:${mm}`;
  zone = { name, offset, label };
}

export function getZone() {
  return zone;
}

// The local calendar fields of an instant (ms or ISO string) in the zone.
export function local(t) {
  const ms = typeof t === 'number' ? t : Date.parse(t);
  const d = new Date(ms + zone.offset * 1000);
  return {
    y: d.getUTCFullYear(), m: d.getUTCMonth() + 1, d: d.getUTCDate(),
    H: d.getUTCHours(), M: d.getUTCMinutes(), dow: d.getUTCDay(),
  };
}

// The instant (ms) of a local time in the zone.
export function fromLocal(y, m, d, H = 0, M = 0) {
  return Date.UTC(y, m - 1, d, H, M) - zone.offset * 1000;
}

const p2 = (n) => String(n).padStart(2, '0');

export function date(t) {
  if (t === undefined || t === null) return '—';
  const l = local(t);
  return `${l.y}-${p2(l.m)}-${p2(l.d)}`;
}

// "2026-03-01 09:00 KST"
export function when(t) {
  if (t === undefined || t === null) return '—';
  const l = local(t);
  return `${l.y}-${p2(l.m)}-${p2(l.d)} ${p2(l.H)}:${p2(l.M)} ${zone.label}`;
}

export function hm(t) {
  const l = local(t);
  return `${p2(l.H)}:${p2(l.M)}`;
}

const grouping = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

// ₩10,000,000,000: the won has no minor unit; grouped by thousands.
export function krw(n) {
  if (n === undefined || n === null) return '—';
  return (n < 0 ? '-₩' : '₩') + grouping.format(Math.abs(n));
}

// 100억 원, 1조 2,000억 원: how Korean readers say large sums (for titles).
export function krwKo(n) {
  const jo = Math.floor(n / 1e12);
  const eok = Math.floor((n % 1e12) / 1e8);
  const rest = n % 1e8;
  const parts = [];
  if (jo) parts.push(`${grouping.format(jo)}조`);
  if (eok) parts.push(`${grouping.format(eok)}억`);
  if (rest || !parts.length) parts.push(grouping.format(rest));
  return `${parts.join(' ')} 원`;
}

// Unit-hours: grouped, one decimal at most.
export function uh(n) {
  if (n === undefined || n === null) return '—';
  return new Intl.NumberFormat('en-US', { maximumFractionDigits: 1 }).format(n);
}

export function int(n) {
  return grouping.format(n);
}

export function pct(r) {
  if (r === undefined || r === null) return '—';
  return `${(r * 100).toFixed(1)} %`;
}

export function months() {
  return lang() === 'ko'
    ? ['1월', '2월', '3월', '4월', '5월', '6월', '7월', '8월', '9월', '10월', '11월', '12월']
    : ['Jan', 'Feb', 'Mar', 'Apr', 'May', 'Jun', 'Jul', 'Aug', 'Sep', 'Oct', 'Nov', 'Dec'];
}
