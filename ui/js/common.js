// common.js: what every view shares: problems shown, announcements, the hash.
import { ApiError } from './api.js';
import { h } from './dom.js';
import { problemText, t } from './i18n.js';
import { setZone, getZone } from './format.js';

// A problem as people read it: the code's text in their language, the
// server's English detail beside it, and the code itself for support.
export function problem(err) {
  const code = err instanceof ApiError ? err.code : 'internal';
  const detail = err instanceof ApiError ? err.detail : String(err);
  return h('div', { class: 'problem', role: 'alert' }, [
    h('strong', {}, [problemText(code)]), ' ',
    detail ? h('span', { lang: 'en', class: 'detail' }, [detail]) : null, ' ',
    h('code', {}, [code]),
  ]);
}

// Times and dates from here on in the zone of a programme (its `timezone`),
// and the footer naming it: each programme has its own, and a view of a
// phase shows that phase's programme's times.
export function useZone(name) {
  if (name) setZone(name);
  const z = document.getElementById('zone');
  if (z) z.textContent = t('zone', { zone: getZone().name, label: getZone().label });
}

export function announce(msg) {
  const s = document.getElementById('status');
  s.textContent = msg;
}

// Sets the hash without a new render (a view remembering its own state).
export function setParams(view, params) {
  const q = new URLSearchParams(params).toString();
  history.replaceState(null, '', `#/${view}${q ? `?${q}` : ''}`);
}


// Team colours, in the order of the team ids: dark enough for white text
// on them (contrast 4.5:1 at least, checked by the browser test) and told
// apart by hue for the common colour-vision deficiencies (after Okabe and Ito).
export const PALETTE = ['#1b5e9e', '#a63f12', '#1e6b45', '#7a3d98', '#8a5a00', '#006a80',
  '#a02c68', '#4a5361'];

export function teamColours(ids) {
  const m = new Map();
  [...new Set(ids)].sort().forEach((id, i) => m.set(id, PALETTE[i % PALETTE.length]));
  return m;
}

// The phase a view shows: the one in the hash, else the one running now
// (else the latest to start).
export function pickPhase(phases, wanted) {
  if (wanted && phases.some((p) => p.id === wanted)) return phases.find((p) => p.id === wanted);
  const today = new Date().toISOString().slice(0, 10);
  const running = phases.filter((p) => p.starts_on <= today && today < p.ends_on);
  const list = running.length ? running : phases;
  return [...list].sort((a, b) => (a.starts_on < b.starts_on ? 1 : -1))[0] || null;
}
