// team.js: one team as its own token sees it: its window and days left, its
// cards by pool, quota and utilization over time, the idle flag, its voucher,
// holds and settlements.  A team token is shown its own team and nothing else
// (the API refuses it the others; this page does not even ask), except the
// phase's redacted summary -- every team's window and delivered unit-hours --
// where the programme's configuration allows it (the API decides).
import { all, get, ApiError } from '../api.js';
import { h, s, clear, table } from '../dom.js';
import { t } from '../i18n.js';
import * as f from '../format.js';
import { setParams, pickPhase, useZone } from '../common.js';

const DAY = 86400000;

async function enrolledPhases(ctx, team) {
  const out = [];
  for (const p of ctx.phases) {
    try {
      out.push({ phase: p, enr: await get(`/v1/phases/${encodeURIComponent(p.id)}/enrollments/${encodeURIComponent(team)}`) });
    } catch (e) {
      if (!(e instanceof ApiError && e.status === 404)) throw e;
    }
  }
  return out;
}

// Every team's window and delivered unit-hours (GET /v1/phases/{phase}/summary),
// or null where the token may not see them: a team token is refused (403)
// unless the programme lets teams see each other (programme.team_phase_summary).
async function phaseSummary(phase) {
  try {
    return await get(`/v1/phases/${encodeURIComponent(phase)}/summary`);
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) return null;
    throw e;
  }
}

// Utilization week by week: the quota at each week's end, differenced.
async function weekly(team, phase, q) {
  const s0 = Date.parse(q.window.start);
  // To the last local midnight: agents report a day's usage the next
  // morning, so the day under way would always look idle.
  const l = f.local(q.at);
  const end = Math.min(f.fromLocal(l.y, l.m, l.d), Date.parse(q.window.end));
  if (end <= s0) return [];
  const weeks = Math.ceil((end - s0) / (7 * DAY));
  const step = Math.max(1, Math.ceil(weeks / 26)) * 7 * DAY;
  const ats = [];
  for (let a = s0 + step; a < end; a += step) ats.push(a);
  ats.push(end);
  const qs = await Promise.all(ats.map((a) => get(`/v1/teams/${encodeURIComponent(team)}/quota`, { phase, at: new Date(a).toISOString() })));
  let prev = { used: 0, delivered: 0, at: s0 };
  return qs.map((x, i) => {
    const d = x.unit_hours.delivered - prev.delivered;
    const u = x.unit_hours.used - prev.used;
    const p = { from: prev.at, to: ats[i], util: d > 0 ? u / d : 0 };
    prev = { used: x.unit_hours.used, delivered: x.unit_hours.delivered, at: ats[i] };
    return p;
  });
}

function utilChart(points, width) {
  const lx = 44;
  const W = width - lx - 12;
  const H = 150;
  const top = 10;
  const n = points.length;
  const bw = W / Math.max(1, n);
  const y = (r) => top + H - Math.min(1.2, r) / 1.2 * H;
  const svg = s('svg', { class: 'util', width, height: H + 40, viewBox: `0 0 ${width} ${H + 40}`, role: 'img', 'aria-labelledby': 'util-title' }, [
    s('title', { id: 'util-title' }, [t('team.util_alt', { list: points.map((p) => `${f.date(p.to)} ${f.pct(p.util)}`).join(', ') })]),
  ]);
  for (const r of [0, 0.25, 0.5, 0.75, 1]) {
    svg.append(s('line', { x1: lx, x2: lx + W, y1: y(r), y2: y(r), class: 'grid' }));
    svg.append(s('text', { x: 4, y: y(r) + 4, class: 'tick' }, [`${r * 100} %`]));
  }
  points.forEach((p, i) => {
    const x0 = lx + i * bw + 2;
    svg.append(s('g', { class: 'week' }, [
      s('title', {}, [`${f.date(p.from)} – ${f.date(p.to)}: ${f.pct(p.util)}`]),
      s('rect', { x: x0, y: y(p.util), width: Math.max(2, bw - 4), height: y(0) - y(p.util), class: p.util < 0.3 ? 'low' : 'util-bar' }),
    ]));
    if (bw > 44) svg.append(s('text', { x: x0, y: H + top + 16, class: 'tick' }, [f.date(p.to).slice(5)]));
  });
  return svg;
}

export async function render(root, ctx, params) {
  let teamId = ctx.role === 'team' ? ctx.team : params.get('team');
  let teams = [];
  if (ctx.role !== 'team') {
    teams = await all('/v1/teams');
    if (!teams.some((x) => x.id === teamId)) teamId = teams.length ? teams[0].id : null;
  }
  if (!teamId) {
    root.append(h('h1', {}, [t('nav.team')]), h('p', {}, [t('team.none')]));
    return;
  }
  const team = ctx.role === 'team' ? (await get(`/v1/teams/${encodeURIComponent(teamId)}`)) : teams.find((x) => x.id === teamId);
  root.append(h('h1', {}, [t('nav.team'), ' — ', team.id, h('span', { class: 'sub' }, [` ${team.name}`])]));
  const phases = await enrolledPhases(ctx, teamId);
  const cur = pickPhase(phases.map((x) => x.phase), params.get('phase'));
  const controls = h('div', { class: 'controls' });
  const rerender = (p) => {
    setParams('team', p);
    render(clear(root), ctx, new URLSearchParams(p));
  };
  if (ctx.role !== 'team') {
    const sel = h('select', { id: 'team-select', name: 'team' }, teams.map((x) => h('option', { value: x.id, selected: x.id === teamId }, [x.id])));
    sel.addEventListener('change', () => rerender({ team: sel.value }));
    controls.append(h('label', { for: 'team-select' }, [t('team')]), sel);
  }
  if (phases.length > 1) {
    const sel = h('select', { id: 'phase', name: 'phase' }, phases.map((x) => h('option', { value: x.phase.id, selected: x.phase.id === cur.id }, [x.phase.id])));
    sel.addEventListener('change', () => rerender({ team: teamId, phase: sel.value }));
    controls.append(h('label', { for: 'phase' }, [t('phase')]), sel);
  }
  root.append(controls);
  if (!cur) {
    root.append(h('p', {}, [t('team.not_enrolled')]));
    return;
  }
  useZone(cur.timezone);
  const q = await get(`/v1/teams/${encodeURIComponent(teamId)}/quota`, { phase: cur.id });
  const [holds, transfers, points, sum] = await Promise.all([
    all('/v1/vouchers/holds', { team: teamId, phase: cur.id }),
    all('/v1/vouchers/transfers', { team: teamId, phase: cur.id }),
    weekly(teamId, cur.id, q),
    phaseSummary(cur.id),
  ]);
  const width = Math.max(600, Math.min(1100, root.clientWidth - 16 || 1000));
  const w = q.window;
  const uh = q.unit_hours;
  const v = q.voucher;
  root.append(
    h('div', { class: 'cards' }, [
      h('section', { class: 'card', 'aria-labelledby': 'win-h', id: 'team-window' }, [
        h('h2', { id: 'win-h' }, [t('team.window')]),
        h('p', { class: 'big' }, [`${w.start_date} – ${w.end_date}`]),
        h('p', {}, [t('team.days', { days: w.days, elapsed: w.days_elapsed, left: w.days_left })]),
        h('progress', { max: w.days, value: w.days_elapsed, 'aria-label': t('team.progress') }),
        h('dl', { class: 'kv' }, [
          h('dt', {}, [t('state')]), h('dd', { id: 'team-state' }, [t(`state.${q.state}`)]),
          h('dt', {}, [t('team.days_left')]), h('dd', { id: 'days-left' }, [String(w.days_left)]),
          h('dt', {}, [t('team.evaluation')]), h('dd', {}, [cur.evaluation_on || '—']),
          w.ended_at ? h('dt', {}, [t('team.ended')]) : null, w.ended_at ? h('dd', {}, [f.when(w.ended_at)]) : null,
        ]),
      ]),
      h('section', { class: 'card', 'aria-labelledby': 'idle-h', id: 'team-idle' }, [
        h('h2', { id: 'idle-h' }, [t('team.idle')]),
        h('p', { class: `big ${q.idle.flagged ? 'bad' : 'ok'}`, id: 'idle-flag', 'data-flagged': String(q.idle.flagged) }, [
          q.idle.flagged ? `⚠ ${t('team.idle_yes')}` : `✓ ${t('team.idle_no')}`]),
        q.idle.since ? h('p', {}, [t('team.idle_since', { since: f.when(q.idle.since) })]) : null,
      ]),
      h('section', { class: 'card', 'aria-labelledby': 'v-h', id: 'team-voucher' }, [
        h('h2', { id: 'v-h' }, [t('team.voucher')]),
        h('p', { class: 'big', id: 'available', title: f.krwKo(v.available_krw) }, [f.krw(v.available_krw), h('span', { class: 'sub' }, [` ${t('available')}`])]),
        h('dl', { class: 'kv' }, ['budget', 'held', 'settled', 'refunded', 'returned'].flatMap((k) => [
          h('dt', {}, [t(`money.${k}`)]), h('dd', { class: 'num', 'data-k': k, title: f.krwKo(v[`${k}_krw`]) }, [f.krw(v[`${k}_krw`])]),
        ])),
      ]),
    ]),
    sum ? h('section', { 'aria-labelledby': 'sum-h', id: 'team-summary' }, [
      h('h2', { id: 'sum-h' }, [t('team.summary', { phase: cur.id })]),
      h('p', { class: 'help' }, [t('team.summary_help')]),
      table(null, [t('team'), t('state'), t('start'), t('end'), { v: t('fair.days'), num: true }, { v: t('uh.delivered'), num: true }],
        sum.teams.map((r) => ({
          attrs: { 'data-team': r.team, 'aria-current': r.team === teamId ? 'true' : undefined },
          cells: [{ v: r.team === teamId ? `${r.team} ${t('team.summary_own')}` : r.team, th: true }, t(`state.${r.state}`),
            r.window.start_date, r.window.end_date, { v: f.int(r.window.days), num: true, k: 'days' },
            { v: f.uh(r.delivered_unit_hours), num: true, k: 'delivered' }],
        })),
        { id: 'summary-table' }),
    ]) : null,
    h('section', { 'aria-labelledby': 'pools-h' }, [
      h('h2', { id: 'pools-h' }, [t('team.cards')]),
      q.grants.length ? table(null, [t('pool'), t('team.model'), { v: t('cards'), num: true }, { v: t('units'), num: true }, t('kind'), t('start'), t('end')],
        q.grants.map((g) => ({ attrs: { 'data-pool': g.pool }, cells: [g.pool, g.card_model, { v: f.int(g.cards), num: true, k: 'cards' }, { v: f.int(g.units), num: true }, t(`grantkind.${g.kind}`), f.when(g.start), f.when(g.end)] })),
        { id: 'team-grants' }) : h('p', {}, [t('team.no_cards')]),
    ]),
    h('section', { 'aria-labelledby': 'q-h' }, [
      h('h2', { id: 'q-h' }, [t('team.quota')]),
      table(null, ['entitled', 'granted', 'delivered', 'lost', 'owed', 'used', 'flagged'].map((k) => ({ v: t(`uh.${k}`), num: true })).concat([{ v: t('metric.utilization'), num: true }]),
        [['entitled', 'granted', 'delivered', 'lost', 'owed', 'used', 'flagged'].map((k) => ({ v: f.uh(uh[k]), num: true, k })).concat([{ v: f.pct(uh.utilization), num: true, k: 'utilization' }])],
        { id: 'team-quota' }),
      h('h3', {}, [t('team.util_time')]),
      points.length ? utilChart(points, width) : h('p', {}, [t('none')]),
    ]),
    h('section', { 'aria-labelledby': 'holds-h' }, [
      h('h2', { id: 'holds-h' }, [t('team.holds')]),
      holds.length ? table(null, [t('hold'), t('state'), t('supplier'), { v: t('amount'), num: true }, { v: t('money.settled'), num: true }, t('created'), t('expires'), t('memo')],
        holds.map((x) => ({ attrs: { 'data-hold': x.id }, cells: [x.id, t(`holdstate.${x.state}`), x.supplier, { v: f.krw(x.amount_krw), num: true }, { v: x.settled_krw !== undefined ? f.krw(x.settled_krw) : '—', num: true }, f.when(x.created_at), x.state === 'pending' ? f.when(x.expires_at) : '—', x.memo || ''] })),
        { id: 'team-holds' }) : h('p', {}, [t('none')]),
    ]),
    h('section', { 'aria-labelledby': 'tr-h' }, [
      h('h2', { id: 'tr-h' }, [t('team.journal')]),
      table(null, [t('transfer'), t('kind'), t('when'), { v: t('amount'), num: true }, t('debit'), t('credit'), t('ref')],
        transfers.map((x) => [x.id, t(`trkind.${x.kind}`), f.when(x.at), { v: f.krw(x.amount_krw), num: true }, x.debit, x.credit, x.ref || '—']), { id: 'team-transfers' }),
    ]),
  );
}
