// audit.js: the audit trail newest first, filtered by actor, action, target
// and date, and the state of its hash chain.  The API lists entries oldest
// first from a sequence number, so the page reads the newest PAGE entries
// (after = newest - PAGE) and older ones on demand, and filters what it has
// read; the filters say how far back they reach.
import { get } from '../api.js';
import { h, clear, table } from '../dom.js';
import { t } from '../i18n.js';
import * as f from '../format.js';

const PAGE = 1000;
const SHOWN = 500;	// rows drawn at most: the filters narrow the rest

export async function render(root) {
  root.append(h('h1', {}, [t('nav.audit')]));
  const v = await get('/v1/audit/verify');
  root.append(h('section', { class: `verify ${v.ok ? 'fair' : 'unfair'}`, id: 'chain', 'data-ok': String(v.ok), 'aria-labelledby': 'ch-h' }, [
    h('h2', { id: 'ch-h' }, [t('audit.chain')]),
    h('p', { class: 'big' }, [v.ok ? `✓ ${t('audit.chain_ok', { n: f.int(v.entries) })}` : `✗ ${t('audit.chain_bad')}`]),
    v.head ? h('p', {}, [t('audit.head'), ' ', h('code', { class: 'digest' }, [v.head])]) : null,
    v.error ? h('p', { lang: 'en' }, [v.error]) : null,
    h('p', { class: 'help' }, [t('audit.chain_help')]),
  ]));
  let entries = [];
  let oldest = v.entries + 1;
  const readOlder = async () => {
    const after = Math.max(0, oldest - 1 - PAGE);
    const page = await get('/v1/audit', { after, limit: Math.min(PAGE, oldest - 1 - after) });
    entries = entries.concat(page.items.reverse());
    oldest = after + 1;
  };
  if (v.entries > 0) await readOlder();
  const actors = () => [...new Set(entries.map((e) => e.actor))].sort();
  const actions = () => [...new Set(entries.map((e) => e.action))].sort();
  const field = (id, label, input) => h('div', { class: 'field' }, [h('label', { for: id }, [label]), input]);
  const actor = h('select', { id: 'a-actor', name: 'actor' });
  const action = h('select', { id: 'a-action', name: 'action' });
  const target = h('input', { id: 'a-target', name: 'target', type: 'search', placeholder: 'pool/…' });
  const since = h('input', { id: 'a-from', name: 'from', type: 'date' });
  const until = h('input', { id: 'a-to', name: 'to', type: 'date' });
  const fill = (sel, list) => {
    const keep = sel.value;
    clear(sel).append(h('option', { value: '' }, [t('all')]), ...list.map((x) => h('option', { value: x, selected: x === keep }, [x])));
  };
  const form = h('form', { class: 'filters', id: 'audit-filters' }, [
    field('a-actor', t('audit.actor'), actor), field('a-action', t('audit.action'), action),
    field('a-target', t('audit.target'), target), field('a-from', t('audit.from'), since),
    field('a-to', t('audit.to'), until), h('button', { type: 'submit' }, [t('filter')]),
  ]);
  const out = h('div', { id: 'audit-list' });
  const reach = h('p', { class: 'help', id: 'audit-reach' });
  const cut = h('p', { class: 'help', id: 'audit-cut', hidden: true });
  const older = h('button', { type: 'button', id: 'audit-older' }, [t('audit.older')]);
  const show = () => {
    fill(actor, actors());
    fill(action, actions());
    const d0 = since.value ? Date.parse(`${since.value}T00:00:00Z`) - f.getZone().offset * 1000 : -Infinity;
    const d1 = until.value ? Date.parse(`${until.value}T00:00:00Z`) - f.getZone().offset * 1000 + 86400000 : Infinity;
    const match = entries.filter((e) => (!actor.value || e.actor === actor.value) &&
      (!action.value || e.action === action.value) &&
      (!target.value || (e.target || '').includes(target.value)) &&
      Date.parse(e.at) >= d0 && Date.parse(e.at) < d1);
    const rows = match.slice(0, SHOWN);
    reach.textContent = t('audit.reach', { n: f.int(entries.length), seq: oldest, shown: rows.length });
    cut.hidden = match.length <= SHOWN;
    cut.textContent = cut.hidden ? '' : t('audit.cut', { shown: f.int(SHOWN), n: f.int(match.length) });
    older.hidden = oldest <= 1;
    clear(out).append(rows.length ? table(null, [{ v: '#', num: true }, t('when'), t('audit.actor'), t('audit.action'), t('audit.target'), t('reason'), t('audit.detail')],
      rows.map((e) => ({ attrs: { 'data-seq': e.seq }, cells: [{ v: String(e.seq), num: true }, f.when(e.at), e.actor, e.action, e.target || '—', e.reason || '—',
        h('details', {}, [h('summary', {}, [t('audit.show')]), h('pre', { lang: 'en' }, [JSON.stringify(e.detail, null, 1)])])] })),
      { id: 'audit-table' }) : h('p', {}, [t('none')]));
  };
  form.addEventListener('submit', (ev) => { ev.preventDefault(); show(); });
  older.addEventListener('click', async () => { await readOlder(); show(); });
  root.append(h('section', { 'aria-labelledby': 'tr-h' }, [h('h2', { id: 'tr-h' }, [t('audit.trail')]), form, reach, cut, out, older]));
  show();
}
