// main.js: sign-in, who the token is, the views and the language switch.
import * as auth from './auth.js';
import * as live from './live.js';
import { get, all, ApiError } from './api.js';
import { h, clear } from './dom.js';
import { t, lang, setLang, translatePage } from './i18n.js';
import { problem, announce, useZone } from './common.js';
import * as calendar from './views/calendar.js';
import * as fairness from './views/fairness.js';
import * as team from './views/team.js';
import * as vouchers from './views/vouchers.js';
import * as audit from './views/audit.js';

const views = { calendar, fairness, team, vouchers, audit };
const main = () => document.getElementById('main');
let ctx = null;
let changes = 0;	// events since the view on screen was drawn

// The button that says the view is out of date, and redraws it.
function showChanges() {
  const b = document.getElementById('changes');
  b.hidden = changes === 0;
  b.textContent = t('live.changes', { n: changes });
}

function onLiveEvent() {
  if (changes++ === 0) announce(t('live.stale'));
  showChanges();
}

// Which role the token has and, for a team token, which team: the API has
// no "who am I", so it is read from what the token may see.
async function identify(secret) {
  const teams = await get('/v1/teams', { limit: 1000 }, { secret });
  try {
    await get('/v1/pools', { limit: 1 }, { secret });
    return { role: 'staff' };
  } catch (e) {
    if (e instanceof ApiError && e.status === 403) {
      if (teams.items.length !== 1) throw e;
      return { role: 'team', team: teams.items[0].id };
    }
    throw e;
  }
}

async function loadContext() {
  const w = auth.who();
  const programs = await all('/v1/programs');
  const phases = [];
  for (const p of programs) {
    for (const ph of await all(`/v1/programs/${encodeURIComponent(p.id)}/phases`)) {
      phases.push({ ...ph, timezone: p.timezone });
    }
  }
  // Views of no one phase (calendar, vouchers, audit) use the first
  // programme's zone; a phase's view switches to its own programme's.
  const zone = programs.length ? programs[0].timezone : null;
  return { ...w, programs, phases, zone };
}

function showSignIn(err) {
  document.getElementById('nav').hidden = true;
  document.getElementById('signout').hidden = true;
  document.getElementById('who').textContent = '';
  main().removeAttribute('data-ready');
  const m = clear(main());
  const input = h('input', {
    id: 'token', name: 'token', type: 'password', autocomplete: 'off', spellcheck: 'false',
    required: true, 'aria-describedby': 'token-help',
  });
  const form = h('form', { class: 'signin', id: 'signin', novalidate: true }, [
    h('h1', { 'data-i18n': 'signin.title' }, [t('signin.title')]),
    h('p', { id: 'token-help', class: 'help' }, [t('signin.help')]),
    h('label', { for: 'token' }, [t('signin.token')]),
    input,
    h('button', { type: 'submit', class: 'primary' }, [t('signin.submit')]),
    h('div', { id: 'signin-error' }, [err ? problem(err) : null]),
  ]);
  form.addEventListener('submit', async (ev) => {
    ev.preventDefault();
    const secret = input.value.trim();
    input.value = '';
    if (!secret) return;
    try {
      const w = await identify(secret);
      auth.signIn(secret);
      auth.setWho(w);
      ctx = null;
      // The view's hash, without a hashchange: route() runs once.
      history.replaceState(null, '', w.role === 'team' ? '#/team' : '#/calendar');
      await route();
    } catch (e) {
      const box = clear(document.getElementById('signin-error'));
      box.append(problem(e));
      input.focus();
    }
  });
  m.append(form);
  input.focus();
}

function parseHash() {
  const [path, query] = location.hash.replace(/^#\/?/, '').split('?');
  return { view: path || '', params: new URLSearchParams(query || '') };
}

async function route() {
  if (!auth.token()) {
    showSignIn();
    return;
  }
  try {
    if (!ctx) {
      ctx = await loadContext();
      live.start(onLiveEvent);
    }
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      auth.signOut();
      ctx = null;
      showSignIn(e);
      return;
    }
    clear(main()).append(problem(e));
    return;
  }
  const role = ctx.role;
  const nav = document.getElementById('nav');
  nav.hidden = false;
  for (const li of nav.querySelectorAll('li')) {
    li.hidden = !li.dataset.roles.split(' ').includes(role);
  }
  document.getElementById('signout').hidden = false;
  document.getElementById('who').textContent =
    role === 'team' ? t('who.team', { team: ctx.team }) : t('who.staff');
  useZone(ctx.zone);
  main().removeAttribute('data-ready');
  let { view, params } = parseHash();
  const allowed = role === 'team' ? ['team'] : Object.keys(views);
  if (!allowed.includes(view)) {
    view = allowed[0];
    history.replaceState(null, '', `#/${view}`);
  }
  for (const a of nav.querySelectorAll('a')) {
    if (a.dataset.view === view) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
  // Each route renders into a box of its own: a slower, older render that
  // finishes after a newer one began writes into a box no longer shown.
  const m = h('div', { class: 'view', 'data-view': view });
  clear(main()).append(m);
  m.setAttribute('aria-busy', 'true');
  try {
    await views[view].render(m, ctx, params);
    document.title = `${t(`nav.${view}`)} — grantd`;
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) {
      auth.signOut();
      ctx = null;
      showSignIn(e);
      return;
    }
    m.append(problem(e));
  } finally {
    m.removeAttribute('aria-busy');
    if (m.isConnected) main().setAttribute('data-ready', view);
  }
  changes = 0;
  showChanges();
  const h1 = m.querySelector('h1');
  if (h1 && document.activeElement && document.activeElement.closest('nav')) {
    h1.setAttribute('tabindex', '-1');
    h1.focus();
  }
}

function start() {
  setLang(lang());
  for (const b of document.querySelectorAll('[data-lang]')) {
    b.addEventListener('click', () => {
      setLang(b.dataset.lang);
      route();
    });
  }
  document.getElementById('changes').addEventListener('click', () => route());
  document.getElementById('signout').addEventListener('click', () => {
    live.stop();
    auth.signOut();
    ctx = null;
    history.replaceState(null, '', '#/');
    showSignIn();
    announce(t('signedout'));
  });
  window.addEventListener('hashchange', route);
  get('/v1/health').then((hl) => {
    document.getElementById('version').textContent = `grantd ${hl.version}`;
  }).catch(() => {});
  translatePage();
  route();
}

start();
