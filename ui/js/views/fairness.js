// fairness.js: a phase's fairness report: every team's window on one time
// axis, entitled / delivered / lost / used unit-hours as bars, make-ups and
// overrides with their reasons, the verdict and the digest; the report as
// JSON (the very reply shown) or CSV (the same kept report, by as_of and at).
import { all, get } from '../api.js';
import { h, s, clear, table } from '../dom.js';
import { t } from '../i18n.js';
import * as f from '../format.js';
import { setParams, teamColours, pickPhase, problem, useZone } from '../common.js';

const RULES = ['equal_period', 'equal_resource', 'equal_delivery'];
const METRICS = [
  { k: 'entitled_unit_hours', cls: 'm-entitled', colour: '#4a5361' },
  { k: 'delivered_unit_hours', cls: 'm-delivered', colour: '#1b5e9e' },
  { k: 'lost_unit_hours', cls: 'm-lost', colour: '#a63f12' },
  { k: 'used_unit_hours', cls: 'm-used', colour: '#1e6b45' },
];

function verdictMark(ok) {
  return h('span', { class: ok ? 'ok' : 'bad' }, [ok ? `✓ ${t('fair.holds')}` : `✗ ${t('fair.broken')}`]);
}

function download(name, type, text) {
  const a = h('a', { href: URL.createObjectURL(new Blob([text], { type })), download: name });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 0);
}

function windowsChart(rep, makeups, colours, width) {
  const rows = rep.teams;
  const starts = rows.map((r) => Date.parse(r.window.start));
  const ends = rows.map((r) => Date.parse(r.window.end)).concat(makeups.map((m) => Date.parse(m.end)));
  const from = Math.min(...starts);
  const to = Math.max(...ends);
  const pad = (to - from) * 0.02;
  const lx = 110;
  const W = width - lx - 16;
  const x = (ms) => lx + ((ms - from + pad) / (to - from + 2 * pad)) * W;
  const rh = 34;
  const H = rows.length * rh + 40;
  const svg = s('svg', { class: 'windows', width, height: H, viewBox: `0 0 ${width} ${H}`, role: 'img', 'aria-labelledby': 'win-title' }, [
    s('title', { id: 'win-title' }, [t('fair.windows_alt', { n: rows.length, days: rep.period_days })]),
  ]);
  const mon = f.months();
  let { y, m } = f.local(from);
  for (let ms = f.fromLocal(y, m, 1); ms < to + pad; ms = f.fromLocal(y, m, 1)) {
    if (ms > from - pad) {
      svg.append(s('line', { x1: x(ms), x2: x(ms), y1: 4, y2: H - 24, class: 'grid' }));
      svg.append(s('text', { x: x(ms) + 3, y: H - 8, class: 'tick' }, [m === 1 ? `${y} ${mon[0]}` : mon[m - 1]]));
    }
    m += 1;
    if (m > 12) { m = 1; y += 1; }
  }
  rows.forEach((r, i) => {
    const y0 = 8 + i * rh;
    const s0 = Date.parse(r.window.start);
    const e0 = Date.parse(r.window.end);
    const cut = r.ended_at ? Date.parse(r.ended_at) : null;
    const c = colours.get(r.team) || '#4a5361';
    svg.append(s('text', { x: 4, y: y0 + 17, class: 'row-label' }, [r.team]));
    const label = t('fair.window_label', { team: r.team, start: r.window.start_date, end: r.window.end_date, days: r.days });
    svg.append(s('g', { class: 'window', 'data-team': r.team }, [
      s('title', {}, [label]),
      s('rect', { x: x(s0), y: y0, width: x(cut && cut < e0 ? cut : e0) - x(s0), height: 22, fill: c, rx: 2 }),
      cut && cut < e0 ? s('rect', { x: x(cut), y: y0, width: x(e0) - x(cut), height: 22, class: 'window-cut', stroke: c }) : null,
      // On the bar when it has room; beside a short (cut) one, in ink.
      x(cut && cut < e0 ? cut : e0) - x(s0) > 160
        ? s('text', { x: x(s0) + 6, y: y0 + 16, class: 'bar-label' }, [t('ndays', { n: r.days })])
        : s('text', { x: x(cut) + 6, y: y0 + 16 }, [`${t('ndays', { n: r.days })} · ${t(`state.${r.state}`)} ${f.date(r.ended_at)}`]),
    ]));
    for (const mk of makeups.filter((g) => g.team === r.team)) {
      const ms = Date.parse(mk.start);
      const me = Date.parse(mk.end);
      svg.append(s('g', { class: 'makeup', 'data-grant': mk.id }, [
        s('title', {}, [t('fair.makeup_label', { id: mk.id, cards: f.int(mk.cards), start: f.when(mk.start), end: f.when(mk.end) })]),
        s('rect', { x: x(ms), y: y0 - 2, width: Math.max(4, x(me) - x(ms)), height: 26, class: 'makeup-rect' }),
      ]));
    }
  });
  const at = Date.parse(rep.at);
  svg.append(s('line', { x1: x(at), x2: x(at), y1: 2, y2: H - 22, class: 'now' }));
  svg.append(s('text', { x: x(at) + 3, y: H - 26, class: 'now-label' }, [t('fair.at')]));
  return svg;
}

function barsChart(rep, width) {
  const max = Math.max(1, ...rep.teams.flatMap((r) => METRICS.map((m) => r[m.k] || 0)));
  const lx = 110;
  const W = width - lx - 150;
  const bh = 12;
  const gh = METRICS.length * (bh + 3) + 14;
  const H = rep.teams.length * gh + 8;
  const svg = s('svg', { class: 'bars', width, height: H, viewBox: `0 0 ${width} ${H}`, role: 'img', 'aria-labelledby': 'bars-title' }, [
    s('title', { id: 'bars-title' }, [t('fair.bars_alt')]),
  ]);
  rep.teams.forEach((r, i) => {
    const y0 = 6 + i * gh;
    svg.append(s('text', { x: 4, y: y0 + 2 * (bh + 3), class: 'row-label' }, [r.team]));
    METRICS.forEach((m, j) => {
      const v = r[m.k] || 0;
      const w = (v / max) * W;
      const yy = y0 + j * (bh + 3);
      svg.append(s('rect', { x: lx, y: yy, width: Math.max(v > 0 ? 1 : 0, w), height: bh, fill: m.colour }));
      svg.append(s('text', { x: lx + w + 4, y: yy + bh - 2, class: 'val' }, [`${t(`metric.${m.k}`)} ${f.uh(v)}`]));
    });
  });
  return svg;
}

export async function render(root, ctx, params) {
  const phase = pickPhase(ctx.phases, params.get('phase'));
  root.append(h('h1', {}, [t('nav.fairness'), phase ? ` — ${phase.id}` : '']));
  if (!phase) {
    root.append(h('p', {}, [t('nophase')]));
    return;
  }
  useZone(phase.timezone);
  if (ctx.phases.length > 1) {
    const sel = h('select', { id: 'phase', name: 'phase' }, ctx.phases.map((p) => h('option', { value: p.id, selected: p.id === phase.id }, [`${p.id} (${p.starts_on})`])));
    sel.addEventListener('change', () => {
      setParams('fairness', { phase: sel.value });
      render(clear(root), ctx, new URLSearchParams({ phase: sel.value }));
    });
    root.append(h('div', { class: 'controls' }, [h('label', { for: 'phase' }, [t('phase')]), sel]));
  }
  const raw = await get(`/v1/phases/${encodeURIComponent(phase.id)}/fairness`, {}, { asText: true });
  const rep = JSON.parse(raw);
  const [grants, teams] = await Promise.all([all('/v1/grants', { phase: phase.id }), all('/v1/teams')]);
  const colours = teamColours(teams.map((x) => x.id));
  const makeups = grants.filter((g) => g.kind === 'compensation');
  const pools = [...new Set(makeups.map((g) => g.pool))];
  const outages = (await Promise.all(pools.map((p) => all(`/v1/pools/${encodeURIComponent(p)}/outages`)))).flat();
  const width = Math.max(640, Math.min(1200, root.clientWidth - 16 || 1100));
  const sum = rep.summary;
  const fair = RULES.every((r) => sum[r]);

  const csvBtn = h('button', { type: 'button', id: 'dl-csv' }, [t('fair.csv')]);
  csvBtn.addEventListener('click', async () => {
    try {
      // The same kept report as the JSON shown: its sequence and instant.
      const csv = await get(`/v1/phases/${encodeURIComponent(phase.id)}/fairness`,
        { format: 'csv', as_of: rep.audit_seq, at: rep.at }, { asText: true });
      download(`fairness-${phase.id}-${rep.audit_seq}.csv`, 'text/csv', csv);
    } catch (e) {
      csvBtn.after(problem(e));
    }
  });
  root.append(
    h('section', { class: `verdict ${fair ? 'fair' : 'unfair'}`, id: 'verdict', 'aria-labelledby': 'verdict-h' }, [
      h('h2', { id: 'verdict-h' }, [fair ? t('fair.verdict_fair') : t('fair.verdict_unfair')]),
      h('ul', { class: 'rules' }, RULES.map((r) => h('li', { 'data-rule': r, 'data-ok': String(sum[r]) }, [
        h('strong', {}, [t(`rule.${r}`)]), ' ', verdictMark(sum[r]),
        sum.unequal && sum.unequal[r] && sum.unequal[r].length ? ` (${sum.unequal[r].join(', ')})` : '',
      ]))),
      h('dl', { class: 'kv' }, [
        h('dt', {}, [t('fair.at_label')]), h('dd', { id: 'rep-at' }, [f.when(rep.at)]),
        h('dt', {}, [t('fair.period')]), h('dd', {}, [`${t('ndays', { n: rep.period_days })}`]),
        h('dt', {}, [t('fair.package')]), h('dd', {}, [`${f.int(rep.package.cards)} ${rep.package.card_model} · ${f.krw(rep.package.voucher_krw)}`]),
        h('dt', {}, [t('fair.jain')]), h('dd', { id: 'rep-jain' }, [String(sum.jain_index_delivered)]),
        h('dt', {}, [t('fair.maxdev')]), h('dd', {}, [`${sum.max_deviation_pct} %`]),
        h('dt', {}, [t('fair.common_day')]), h('dd', {}, [String(sum.common_day)]),
        h('dt', {}, [t('fair.audit_seq')]), h('dd', { id: 'rep-seq' }, [String(rep.audit_seq)]),
        h('dt', {}, [t('fair.digest')]), h('dd', {}, [h('code', { id: 'rep-digest', class: 'digest' }, [rep.digest])]),
        rep.signature ? h('dt', {}, [t('fair.signature')]) : null,
        rep.signature ? h('dd', {}, [`${rep.signature.alg} · ${rep.signature.key_id}`]) : null,
      ]),
      h('div', { class: 'controls no-print' }, [
        h('button', { type: 'button', id: 'dl-json', onclick: () => download(`fairness-${phase.id}-${rep.audit_seq}.json`, 'application/json', raw) }, [t('fair.json')]),
        csvBtn,
        h('button', { type: 'button', id: 'print', onclick: () => window.print() }, [t('fair.print')]),
      ]),
    ]),
    h('section', { 'aria-labelledby': 'win-h' }, [
      h('h2', { id: 'win-h' }, [t('fair.windows')]),
      h('p', { class: 'help' }, [t('fair.windows_help')]),
      // A phase no team has joined yet has no axis to draw.
      rep.teams.length ? windowsChart(rep, makeups, colours, width) : h('p', {}, [t('fair.no_teams')]),
    ]),
    h('section', { 'aria-labelledby': 'bars-h' }, [
      h('h2', { id: 'bars-h' }, [t('fair.unit_hours')]),
      rep.teams.length ? barsChart(rep, width) : null,
      table(t('fair.table'), [t('team'), t('state'), t('window'), t('fair.days'),
        ...METRICS.map((m) => ({ v: t(`metric.${m.k}`), num: true })),
        { v: t('metric.utilization'), num: true }, { v: t('metric.owed'), num: true },
        ...RULES.map((r) => t(`rule.${r}`))],
      rep.teams.map((r) => ({
        attrs: { 'data-team': r.team },
        cells: [{ v: r.team, th: true }, t(`state.${r.state}`), `${r.window.start_date} – ${r.window.end_date}`, String(r.days),
          ...METRICS.map((m) => ({ v: f.uh(r[m.k]), num: true, k: m.k })),
          { v: f.pct(r.utilization), num: true, k: 'utilization' }, { v: f.uh(r.owed_unit_hours), num: true, k: 'owed' },
          ...RULES.map((rule) => ({ v: verdictMark(r[rule]), k: rule }))],
      })), { id: 'fair-table' }),
    ]),
  );
  const overrides = [...rep.overrides, ...rep.teams.flatMap((r) => r.overrides || [])];
  const seen = new Set();
  const uniq = overrides.filter((o) => {
    const k = `${o.request_id}/${o.rule}/${o.team}`;
    if (seen.has(k)) return false;
    seen.add(k);
    return true;
  });
  root.append(h('section', { 'aria-labelledby': 'mk-h', id: 'makeups' }, [
    h('h2', { id: 'mk-h' }, [t('fair.makeups')]),
    makeups.length ? table(null, [t('cal.grant'), t('team'), t('pool'), t('cards'), t('start'), t('end'), t('fair.for')],
      makeups.map((g) => {
        const mine = grants.filter((x) => x.team === g.team && x.pool === g.pool && x.kind !== 'compensation');
        const why = outages.filter((o) => o.pool === g.pool && o.state !== 'cancelled' &&
          mine.some((x) => Date.parse(o.from) < Date.parse(x.end) && Date.parse(x.start) < Date.parse(o.to)));
        return { attrs: { 'data-grant': g.id }, cells: [g.id, g.team, g.pool, { v: f.int(g.cards), num: true }, f.when(g.start), f.when(g.end),
          why.length ? why.map((o) => t('fair.outage_reason', { id: o.id, reason: o.reason, start: f.date(o.from) })).join('; ') : '—'] };
      })) : h('p', {}, [t('fair.none')]),
  ]));
  root.append(h('section', { 'aria-labelledby': 'ov-h', id: 'overrides' }, [
    h('h2', { id: 'ov-h' }, [t('fair.overrides')]),
    uniq.length ? table(null, [t('team'), t('fair.rule'), t('fair.action'), t('reason'), t('fair.detail'), t('when')],
      uniq.map((o) => ({ attrs: { 'data-team': o.team || '', 'data-rule': o.rule },
        cells: [o.team || '—', t(`rule.${o.rule}`), o.action, { v: o.reason, k: 'reason' }, h('span', { lang: 'en' }, [o.detail]), f.when(o.at)] })),
      { id: 'override-table' }) : h('p', {}, [t('fair.none')]),
  ]));
  const breaks = rep.teams.flatMap((r) => (r.breaks || []).map((b) => [r.team, t(`rule.${b.rule}`), h('span', { lang: 'en' }, [b.detail])]));
  root.append(h('section', { 'aria-labelledby': 'br-h' }, [
    h('h2', { id: 'br-h' }, [t('fair.breaks')]),
    breaks.length ? table(null, [t('team'), t('fair.rule'), t('fair.detail')], breaks) : h('p', {}, [t('fair.none')]),
  ]));
}
