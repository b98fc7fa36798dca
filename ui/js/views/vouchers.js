// vouchers.js: every team's voucher (budget, held, settled, refunded,
// returned, available), the ledger's journal with filters, and whether the
// ledger verifies.
import { all, get } from '../api.js';
import { h, clear, table } from '../dom.js';
import { t } from '../i18n.js';
import * as f from '../format.js';
import { setParams } from '../common.js';

const COLS = ['budget', 'held', 'settled', 'refunded', 'returned', 'available'];
const KINDS = ['open', 'hold', 'settle', 'void', 'expire', 'refund', 'return'];

export async function render(root, ctx, params) {
  root.append(h('h1', {}, [t('nav.vouchers')]));
  const [teams, verify] = await Promise.all([all('/v1/teams'), get('/v1/vouchers/verify')]);
  root.append(h('section', { class: `verify ${verify.ok ? 'fair' : 'unfair'}`, id: 'ledger-verify', 'data-ok': String(verify.ok), 'aria-labelledby': 'lv-h' }, [
    h('h2', { id: 'lv-h' }, [t('vouchers.verify')]),
    h('p', { class: 'big' }, [verify.ok ? `✓ ${t('vouchers.verify_ok', { accounts: verify.accounts, transfers: verify.transfers })}`
      : `✗ ${t('vouchers.verify_bad')}`]),
    verify.error ? h('p', { lang: 'en' }, [verify.error]) : null,
  ]));
  const rows = [];
  for (const tm of teams) {
    for (const v of await all(`/v1/teams/${encodeURIComponent(tm.id)}/vouchers`)) rows.push({ team: tm.id, ...v });
  }
  const total = Object.fromEntries(COLS.map((c) => [c, rows.reduce((a, r) => a + r[`${c}_krw`], 0)]));
  root.append(h('section', { 'aria-labelledby': 'vb-h' }, [
    h('h2', { id: 'vb-h' }, [t('vouchers.balances')]),
    table(null, [t('team'), t('phase'), t('state'), ...COLS.map((c) => ({ v: t(`money.${c}`), num: true }))],
      rows.map((r) => ({ attrs: { 'data-team': r.team, 'data-phase': r.phase }, cells: [{ v: r.team, th: true }, r.phase, t(`vstate.${r.state}`),
        ...COLS.map((c) => ({ v: f.krw(r[`${c}_krw`]), num: true, k: c }))] }))
        .concat([{ attrs: { class: 'total', 'data-team': '' }, cells: [{ v: t('total'), th: true }, '', '', ...COLS.map((c) => ({ v: f.krw(total[c]), num: true, k: c }))] }]),
      { id: 'voucher-table' }),
  ]));

  // The journal, filtered by the API (team, phase, kind), a page at a time.
  const form = h('form', { class: 'filters', id: 'journal-filters' }, [
    h('label', { for: 'f-team' }, [t('team')]),
    h('select', { id: 'f-team', name: 'team' }, [h('option', { value: '' }, [t('all')]), ...teams.map((x) => h('option', { value: x.id, selected: params.get('team') === x.id }, [x.id]))]),
    h('label', { for: 'f-phase' }, [t('phase')]),
    h('select', { id: 'f-phase', name: 'phase' }, [h('option', { value: '' }, [t('all')]), ...ctx.phases.map((p) => h('option', { value: p.id, selected: params.get('phase') === p.id }, [p.id]))]),
    h('label', { for: 'f-kind' }, [t('kind')]),
    h('select', { id: 'f-kind', name: 'kind' }, [h('option', { value: '' }, [t('all')]), ...KINDS.map((k) => h('option', { value: k, selected: params.get('kind') === k }, [t(`trkind.${k}`)]))]),
    h('button', { type: 'submit' }, [t('filter')]),
  ]);
  const out = h('div', { id: 'journal' });
  const more = h('button', { type: 'button', id: 'journal-more', hidden: true }, [t('more')]);
  let next = null;
  let shown = [];
  const load = async (reset) => {
    const fd = new FormData(form);
    const q = { team: fd.get('team'), phase: fd.get('phase'), kind: fd.get('kind') };
    if (reset) {
      shown = [];
      next = null;
      setParams('vouchers', Object.fromEntries(Object.entries(q).filter(([, v]) => v)));
    }
    const page = await get('/v1/vouchers/transfers', { ...q, limit: 100, after: next || undefined });
    shown = shown.concat(page.items);
    next = page.next;
    more.hidden = !next;
    clear(out).append(shown.length ? table(t('vouchers.journal_caption', { n: shown.length }), [t('transfer'), t('kind'), t('when'), t('team'), t('phase'), { v: t('amount'), num: true }, t('debit'), t('credit'), t('ref')],
      shown.map((x) => ({ attrs: { 'data-kind': x.kind }, cells: [x.id, t(`trkind.${x.kind}`), f.when(x.at), x.team || '—', x.phase || '—', { v: f.krw(x.amount_krw), num: true, k: 'amount' }, x.debit, x.credit, x.ref || '—'] })),
      { id: 'journal-table' }) : h('p', {}, [t('none')]));
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); load(true); });
  more.addEventListener('click', () => load(false));
  root.append(h('section', { 'aria-labelledby': 'j-h' }, [h('h2', { id: 'j-h' }, [t('vouchers.journal')]), form, out, more]));
  await load(true);
}
