/** Hash router: each page is its own chunk (a page loads only the libraries it draws with). */
import './style.css';
import { apiKey } from './api';
import { clear, h } from './dom';

type Page = {
  render(root: HTMLElement, params: URLSearchParams, arg: string | undefined, signal: AbortSignal): Promise<void>;
};

const pages: Record<string, () => Promise<Page>> = {
  '': () => import('./pages/scores'),
  runs: () => import('./pages/runs'),
  run: () => import('./pages/run'),
  study: () => import('./pages/study'),
  models: () => import('./pages/models'),
  comparisons: () => import('./pages/comparisons'),
  toy: () => import('./pages/toy'),
};

let current: AbortController | null = null;

async function route(): Promise<void> {
  current?.abort();
  const ctrl = new AbortController();
  current = ctrl;
  // A chart tooltip open when the page changes would float over the next page.
  document.getElementById('vg-tooltip-element')?.classList.remove('visible');
  const [pathPart, query = ''] = location.hash.replace(/^#\/?/, '').split('?');
  const [name, arg] = pathPart.split('/');
  const root = document.getElementById('page')!;
  for (const a of document.querySelectorAll<HTMLAnchorElement>('#nav a')) {
    const target = a.getAttribute('href')!.replace(/^#\/?/, '');
    a.classList.toggle('active', target === name || (['run', 'study'].includes(name) && target === 'runs'));
  }
  const load = pages[name];
  if (!load) {
    clear(root, h('p', { class: 'error' }, `No page "${name}".`));
    return;
  }
  clear(root, h('p', { class: 'muted' }, 'Loading…'));
  try {
    const page = await load();
    if (ctrl.signal.aborted) return;
    const el = h('div', { class: 'page', 'data-page': name || 'scores' });
    await page.render(el, new URLSearchParams(query), arg ? decodeURIComponent(arg) : undefined, ctrl.signal);
    if (!ctrl.signal.aborted) clear(root, el);
  } catch (err) {
    if (!ctrl.signal.aborted)
      clear(root, h('p', { class: 'error' }, `Could not load this page: ${(err as Error).message}`));
  }
}

/** The API-key box: writes ask for a key; it is kept in sessionStorage only. */
function renderKey(): void {
  const box = document.getElementById('key')!;
  if (apiKey.get()) {
    clear(
      box,
      h('span', { class: 'muted' }, 'API key set '),
      h('button', { type: 'button', class: 'link', onclick: () => (apiKey.clear(), renderKey()) }, 'forget'),
    );
  } else {
    const input = h('input', {
      type: 'password',
      placeholder: 'API key (for writes)',
      'aria-label': 'API key',
      autocomplete: 'off',
    });
    const form = h(
      'form',
      {
        onsubmit: (e: Event) => (e.preventDefault(), input.value.trim() && apiKey.set(input.value.trim()), renderKey()),
      },
      input,
      h('button', { type: 'submit' }, 'Use'),
    );
    clear(box, form);
  }
}

window.addEventListener('apikey', renderKey);
window.addEventListener('hashchange', route);
renderKey();
void route();
