// The hash router of the single-page UI and the login form shown when the server answers 401.
import { ApiError, getMlx, getToken, setToken } from './api.js';
import { errorLine, h, mount } from './dom.js';
import { renderCompare } from './pages/compare.js';
import { renderExperiments } from './pages/experiments.js';
import { renderModel, renderModels } from './pages/models.js';
import { renderRun } from './pages/run.js';
import { renderAllRuns, renderRuns } from './pages/runs.js';
import { renderVersion } from './pages/version.js';

const ROUTES = [
  [/^\/?$/, () => (location.hash = '#/experiments')],
  [/^\/experiments$/, renderExperiments, 'experiments'],
  [/^\/experiments\/([^/]+)$/, renderRuns, 'experiments'],
  [/^\/runs$/, renderAllRuns, 'experiments'],
  [/^\/runs\/([^/]+)$/, renderRun, 'experiments'],
  [/^\/compare$/, renderCompare, 'experiments'],
  [/^\/models$/, renderModels, 'models'],
  [/^\/models\/([^/]+)$/, renderModel, 'models'],
  [/^\/models\/([^/]+)\/versions\/([^/]+)$/, renderVersion, 'models'],
];

const app = document.getElementById('app');
let generation = 0;

/** The current route: path segments decoded, query as URLSearchParams. */
export function currentRoute() {
  const raw = location.hash.replace(/^#/, '') || '/';
  const [p, q = ''] = raw.split('?');
  return { path: p, query: new URLSearchParams(q) };
}

/** Page renderers call this to know whether the user has navigated away meanwhile. */
export const isCurrent = (gen) => gen === generation;

async function route() {
  const gen = ++generation;
  const { path, query } = currentRoute();
  const hit = ROUTES.find(([re]) => re.test(path));
  for (const a of document.querySelectorAll('[data-nav]')) a.classList.toggle('active', !!hit && a.dataset.nav === hit[2]);
  if (!hit) {
    mount(app, h('h1', null, 'Not found'), h('p', null, 'No page at ', h('code', null, path), '. ', h('a', { href: '#/experiments' }, 'Experiments')));
    return;
  }
  const args = path.match(hit[0]).slice(1).map(decodeURIComponent);
  const target = h('div', { class: 'page' });
  mount(app, h('p', { class: 'muted loading' }, 'Loading…'));
  try {
    await hit[1](target, args, query, gen);
    if (gen === generation) {
      mount(app, target);
      document.title = `${target.querySelector('h1')?.textContent ?? 'mlx'} · mlx`;
    }
  } catch (err) {
    if (gen !== generation) return;
    if (err instanceof ApiError && err.status === 401) showLogin();
    else mount(app, h('h1', null, 'Error'), errorLine(err.message ?? String(err)));
    if (!(err instanceof ApiError)) console.error(err);
  }
}

function showLogin() {
  const refused = getToken() !== '';
  const input = h('input', { type: 'password', id: 'token', name: 'token', autocomplete: 'current-password', required: true, autofocus: true });
  const form = h(
    'form',
    {
      class: 'login card',
      id: 'login',
      onsubmit: (e) => {
        e.preventDefault();
        setToken(input.value.trim());
        updateHeader();
        route();
      },
    },
    h('h1', null, 'Log in'),
    h('p', null, 'This server needs an access token (the one given to ', h('code', null, 'mlx server --token'), ').'),
    refused ? errorLine('The server refused that token.') : null,
    h('label', { for: 'token' }, 'Token'),
    input,
    h('button', { type: 'submit' }, 'Log in'),
  );
  mount(app, form);
  input.focus();
}

async function updateHeader() {
  const info = document.getElementById('server-info');
  const logout = document.getElementById('logout');
  logout.hidden = getToken() === '';
  try {
    const s = await getMlx('server-info');
    info.textContent = `mlx ${s.mlx_version ?? ''} · ${s.store ?? ''}`;
  } catch {
    info.textContent = '';
  }
}

document.getElementById('logout').addEventListener('click', () => {
  setToken('');
  updateHeader();
  route();
});
window.addEventListener('hashchange', route);
updateHeader();
route();
