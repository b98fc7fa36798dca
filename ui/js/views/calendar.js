// calendar.js: the capacity calendar: for each pool, its grants over time
// coloured by team, outages hatched, free capacity as a band below; zoom from
// a year to a day; a grant or an outage clicked (or Enter on it) shows its details.
import { all, get } from '../api.js';
import { h, s, clear } from '../dom.js';
import { t } from '../i18n.js';
import * as f from '../format.js';
import { setParams, teamColours, announce } from '../common.js';

const DAY = 86400000;
const ZOOMS = [
  { id: 'year', days: 365 },
  { id: 'quarter', days: 91 },
  { id: 'month', days: 30 },
  { id: 'week', days: 7 },
  { id: 'day', days: 1 },
];

// About how wide a bar's label is drawn (12 px, semibold): Hangul and other
// wide characters a full 12 px, the rest about 6.5.
function textWidth(str) {
  let w = 0;
  for (const c of str) w += c.codePointAt(0) >= 0x1100 ? 12 : 6.5;
  return w;
}

function localMidnight(ms) {
  const l = f.local(ms);
  return f.fromLocal(l.y, l.m, l.d);
}

// Where the view starts by default: the first of the month of the earliest
// phase's start, so that a year shows a whole phase.
function defaultStart(ctx) {
  const starts = ctx.phases.map((p) => p.starts_on).sort();
  if (!starts.length) return localMidnight(Date.now() - 30 * DAY);
  const [y, m] = starts[0].split('-').map(Number);
  return f.fromLocal(y, m, 1);
}

// Ticks for the span: months for a year, weeks for a quarter, days, hours.
function ticks(from, to, zoom) {
  const out = [];
  const mon = f.months();
  if (zoom === 'year') {
    let { y, m } = f.local(from);
    for (let ms = f.fromLocal(y, m, 1); ms < to; ms = f.fromLocal(y, m, 1)) {
      if (ms >= from) out.push({ ms, label: m === 1 ? `${y} ${mon[0]}` : mon[m - 1], major: m === 1 });
      m += 1;
      if (m > 12) { m = 1; y += 1; }
    }
  } else if (zoom === 'day') {
    for (let ms = from; ms <= to; ms += 3 * 3600000) out.push({ ms, label: f.hm(ms) });
  } else {
    const step = zoom === 'quarter' ? 7 : zoom === 'month' ? 3 : 1;
    for (let ms = from; ms < to; ms += step * DAY) {
      const l = f.local(ms);
      out.push({ ms, label: `${mon[l.m - 1]} ${l.d}`, major: l.d === 1 });
    }
  }
  return out;
}

// Offsets in cards that keep overlapping grants apart, first fit from 0.
function stack(grants) {
  const placed = [];
  for (const g of [...grants].sort((a, b) => a.s - b.s || b.cards - a.cards)) {
    const over = placed.filter((p) => p.s < g.e && g.s < p.e);
    const cands = [0, ...over.map((p) => p.off + p.cards)].sort((a, b) => a - b);
    g.off = cands.find((o) => over.every((p) => o + g.cards <= p.off || p.off + p.cards <= o));
    placed.push(g);
  }
  return placed;
}

function detailsOf(kind, item, pool) {
  const rows = kind === 'grant' ? [
    [t('cal.grant'), item.id], [t('team'), item.team], [t('pool'), pool.id],
    [t('phase'), item.phase], [t('cards'), `${f.int(item.cards)} ${item.card_model}`],
    [t('units'), f.int(item.units)], [t('start'), f.when(item.start)], [t('end'), f.when(item.end)],
    [t('kind'), t(`grantkind.${item.kind}`)],
    item.planned_end ? [t('cal.planned_end'), f.when(item.planned_end)] : null,
  ] : [
    [t('cal.outage'), item.id], [t('pool'), pool.id], [t('cards'), f.int(item.cards)],
    [t('start'), f.when(item.from)], [t('end'), f.when(item.to)], [t('reason'), item.reason],
    [t('state'), item.state],
  ];
  return h('dl', { class: 'kv' }, rows.filter(Boolean).flatMap(([k, v]) => [h('dt', {}, [k]), h('dd', {}, [v])]));
}

function chart(pool, segs, grants, outages, from, to, zoom, width, colours, show) {
  const left = 8;
  const W = width - left - 8;
  const H = 150;
  const band = 30;
  const top = 8;
  const x = (ms) => left + Math.max(0, Math.min(W, ((ms - from) / (to - from)) * W));
  const gs = stack(grants.map((g) => ({ ...g, s: Date.parse(g.start), e: Date.parse(g.end) })));
  const maxCards = Math.max(pool.cards, ...gs.map((g) => g.off + g.cards));
  const y = (c) => top + H - (c / maxCards) * H;
  const id = `hatch-${pool.id}`;
  const svg = s('svg', {
    class: 'cal', width, height: top + H + band + 34, viewBox: `0 0 ${width} ${top + H + band + 34}`,
    role: 'group', 'aria-label': t('cal.chart', { pool: pool.id, cards: f.int(pool.cards) }),
  }, [
    s('defs', {}, [s('pattern', { id, width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' }, [
      s('rect', { width: 8, height: 8, fill: '#fff4f2' }),
      s('line', { x1: 0, y1: 0, x2: 0, y2: 8, stroke: '#b3261e', 'stroke-width': 3 }),
    ])]),
    s('rect', { x: left, y: top, width: W, height: H, class: 'cal-bg' }),
  ]);
  for (const tk of ticks(from, to, zoom)) {
    svg.append(s('line', { x1: x(tk.ms), x2: x(tk.ms), y1: top, y2: top + H + band, class: tk.major ? 'grid major' : 'grid' }));
    svg.append(s('text', { x: x(tk.ms) + 3, y: top + H + band + 16, class: 'tick' }, [tk.label]));
  }
  for (const g of gs) {
    if (g.e <= from || g.s >= to) continue;
    const x0 = x(g.s);
    const w = Math.max(2, x(g.e) - x0);
    const label = t('cal.grant_label', {
      id: g.id, team: g.team, cards: f.int(g.cards), start: f.when(g.start), end: f.when(g.end),
    });
    // The words on the bar are words of its name too (WCAG 2.5.3, label in name):
    // "lg-ai · 768" in a name "Grant gr_1: lg-ai, 768 cards, ...", "lg-ai · 카드 768장"
    // in "할당 gr_1: lg-ai, 카드 768장, ...".  Drawn where the bar is wide enough for them.
    const barText = t('cal.bar_label', { team: g.team, cards: f.int(g.cards) });
    const node = s('g', { class: 'grant', tabindex: 0, role: 'button', 'aria-label': label, 'data-grant': g.id, 'data-team': g.team }, [
      s('title', {}, [label]),
      s('rect', { x: x0, y: y(g.off + g.cards), width: w, height: Math.max(2, y(g.off) - y(g.off + g.cards)), fill: colours.get(g.team) || '#4a5361', rx: 2 }),
      w > Math.max(70, textWidth(barText) + 8) ? s('text', { x: x0 + 6, y: y(g.off + g.cards) + 16, class: 'bar-label' }, [barText]) : null,
    ]);
    const open = () => show(detailsOf('grant', g, pool), node);
    node.addEventListener('click', open);
    node.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); open(); }
    });
    svg.append(node);
  }
  for (const o of outages) {
    const s0 = Date.parse(o.from);
    const e0 = Date.parse(o.to);
    if (o.state === 'cancelled' || e0 <= from || s0 >= to) continue;
    const label = t('cal.outage_label', { cards: f.int(o.cards), start: f.when(o.from), end: f.when(o.to), reason: o.reason });
    const node = s('g', { class: 'outage', tabindex: 0, role: 'button', 'aria-label': label, 'data-outage': o.id }, [
      s('title', {}, [label]),
      s('rect', { x: x(s0), y: y(pool.cards), width: Math.max(3, x(e0) - x(s0)), height: y(pool.cards - o.cards) - y(pool.cards), fill: `url(#${id})`, class: 'outage-rect' }),
    ]);
    const open = () => show(detailsOf('outage', o, pool), node);
    node.addEventListener('click', open);
    node.addEventListener('keydown', (ev) => {
      if (ev.key === 'Enter' || ev.key === ' ') { ev.preventDefault(); open(); }
    });
    svg.append(node);
  }
  // Free capacity: the band under the chart, as tall as the share left free.
  const by = top + H + 4;
  for (const sg of segs) {
    const s0 = Math.max(from, Date.parse(sg.from));
    const e0 = Math.min(to, Date.parse(sg.to));
    if (e0 <= s0) continue;
    const hh = (band - 6) * (sg.capacity ? sg.free / sg.capacity : 0);
    const text = t('cal.free_label', { free: f.int(sg.free), capacity: f.int(sg.capacity), start: f.when(sg.from), end: f.when(sg.to) });
    svg.append(s('g', { class: 'free', 'data-free': sg.free }, [
      s('title', {}, [text]),
      s('rect', { x: x(s0), y: by + (band - 6) - hh, width: Math.max(1, x(e0) - x(s0)), height: hh, class: 'free-rect' }),
      x(e0) - x(s0) > 60 ? s('text', { x: x(s0) + 4, y: by + band - 9, class: 'free-label' }, [f.int(sg.free)]) : null,
    ]));
  }
  svg.append(s('line', { x1: left, x2: left + W, y1: by + band - 6, y2: by + band - 6, class: 'axis' }));
  const now = Date.now();
  if (now > from && now < to) {
    svg.append(s('line', { x1: x(now), x2: x(now), y1: top - 4, y2: top + H + band, class: 'now' }));
    svg.append(s('text', { x: x(now) + 3, y: top + 10, class: 'now-label' }, [t('now')]));
  }
  return svg;
}

export async function render(root, ctx, params) {
  const zoom = ZOOMS.find((z) => z.id === params.get('zoom')) || ZOOMS[0];
  const from = Number(params.get('from')) || defaultStart(ctx);
  const to = from + zoom.days * DAY;
  const go = (z, start) => {
    setParams('calendar', { zoom: z.id, from: start });
    render(clear(root), ctx, new URLSearchParams({ zoom: z.id, from: start }));
  };
  const zoomTo = (z) => {
    const mid = (from + to) / 2;
    go(z, localMidnight(mid - (z.days * DAY) / 2 + (z.days === 1 ? DAY / 2 : 0)));
  };
  const select = h('select', { id: 'zoom', name: 'zoom' }, ZOOMS.map((z) => h('option', { value: z.id, selected: z === zoom }, [t(`zoom.${z.id}`)])));
  select.addEventListener('change', () => zoomTo(ZOOMS.find((z) => z.id === select.value)));
  const step = zoom.days * DAY;
  root.append(
    h('h1', {}, [t('nav.calendar')]),
    h('div', { class: 'controls', role: 'toolbar', 'aria-label': t('cal.controls') }, [
      h('label', { for: 'zoom' }, [t('cal.zoom')]), select,
      h('button', { type: 'button', id: 'cal-prev', onclick: () => go(zoom, from - step) }, [t('cal.prev')]),
      h('button', { type: 'button', id: 'cal-today', onclick: () => go(zoom, localMidnight(Date.now() - step / 2 + (zoom.days === 1 ? DAY / 2 : 0))) }, [t('cal.today')]),
      h('button', { type: 'button', id: 'cal-next', onclick: () => go(zoom, from + step) }, [t('cal.next')]),
      h('button', { type: 'button', id: 'cal-in', disabled: zoom === ZOOMS[ZOOMS.length - 1], onclick: () => zoomTo(ZOOMS[ZOOMS.indexOf(zoom) + 1]) }, [t('cal.zoom_in')]),
      h('button', { type: 'button', id: 'cal-out', disabled: zoom === ZOOMS[0], onclick: () => zoomTo(ZOOMS[ZOOMS.indexOf(zoom) - 1]) }, [t('cal.zoom_out')]),
      h('span', { class: 'range', id: 'cal-range' }, [`${f.when(from)} – ${f.when(to)}`]),
    ]),
    h('p', { class: 'help' }, [t('cal.help')]),
  );
  const [pools, grants, teams] = await Promise.all([all('/v1/pools'), all('/v1/grants'), all('/v1/teams')]);
  const colours = teamColours(teams.map((x) => x.id));
  const detail = h('section', { class: 'detail', id: 'cal-detail', 'aria-live': 'polite', 'aria-labelledby': 'cal-detail-h' }, [
    h('h2', { id: 'cal-detail-h' }, [t('cal.details')]), h('p', { class: 'help' }, [t('cal.details_none')]),
  ]);
  const close = h('button', { type: 'button', id: 'cal-detail-close', class: 'close' }, [t('close')]);
  let origin = null;
  const show = (dl, node) => {
    origin = node;
    clear(detail).append(h('h2', { id: 'cal-detail-h' }, [t('cal.details')]), dl, close);
    detail.classList.add('open');
    // Keep what was chosen in view above the panel (focus not obscured).
    requestAnimationFrame(() => node.scrollIntoView({ block: 'center' }));
    announce(dl.textContent);
  };
  // Closing gives the focus back to the grant or outage it came from.
  close.addEventListener('click', () => {
    detail.classList.remove('open');
    if (origin) origin.focus();
  });
  detail.addEventListener('keydown', (ev) => {
    if (ev.key === 'Escape') close.click();
  });
  root.append(h('ul', { class: 'legend', 'aria-label': t('legend') }, [
    ...[...colours].map(([team, c]) => h('li', {}, [svgSwatch(c), team])),
    h('li', {}, [svgHatch(), t('cal.outage')]),
    h('li', {}, [svgSwatch('#9fd3b0'), t('cal.free')]),
  ]));
  const width = Math.max(640, Math.min(1400, root.clientWidth - 16 || 1200));
  const per = await Promise.all(pools.map(async (p) => {
    const [tl, outs] = await Promise.all([
      get(`/v1/pools/${encodeURIComponent(p.id)}/timeline`, { from: new Date(from).toISOString(), to: new Date(to).toISOString() }),
      all(`/v1/pools/${encodeURIComponent(p.id)}/outages`),
    ]);
    return { p, segs: tl.segments, outs };
  }));
  for (const { p, segs, outs } of per) {
    const mine = grants.filter((g) => g.pool === p.id);
    root.append(h('section', { class: 'pool', 'data-pool': p.id, 'aria-labelledby': `pool-${p.id}` }, [
      h('h2', { id: `pool-${p.id}` }, [p.id, ' ', h('span', { class: 'sub' }, [
        t('cal.pool_sub', { provider: p.provider, site: p.site, cards: f.int(p.cards), model: p.card_model }),
      ])]),
      chart(p, segs, mine, outs, from, to, zoom.id, width, colours, show),
    ]));
  }
  root.append(detail);
}

function svgSwatch(c) {
  return s('svg', { width: 14, height: 14, 'aria-hidden': 'true', class: 'swatch' }, [s('rect', { width: 14, height: 14, fill: c, rx: 2 })]);
}

function svgHatch() {
  return s('svg', { width: 14, height: 14, 'aria-hidden': 'true', class: 'swatch' }, [
    s('rect', { width: 14, height: 14, fill: '#fff4f2', stroke: '#b3261e' }),
    s('path', { d: 'M0 14 L14 0 M-4 4 L4 -4 M10 18 L18 10', stroke: '#b3261e', 'stroke-width': 2 }),
  ]);
}
