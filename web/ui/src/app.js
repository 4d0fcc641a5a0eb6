// The app shell: who is signed in (GET /api/v1/auth/me), the sign-in page otherwise, the
// navigation of the role's pages (src/nav.js), the language switch, and the hash router that
// loads each page's module on first use.
import { api, onSessionExpired, setCsrf } from './api.js';
import { h, mount } from './dom.js';
import { setDefaultZone, zoneOf } from './fmt.js';
import { LANGS, lang, setLang, t } from './i18n.js';
import { PAGES, pagesFor, parseHash } from './nav.js';
import { renderSignIn } from './signin.js';

const root = document.getElementById('app');
root.classList.remove('boot');
let me = null; // {user, role, halls, departments, csrf_token, time_zone?}
let cleanup = null;
let notice = null; // a message for the sign-in page (session expired)

function langSwitch() {
  return h('div', { class: 'lang-switch', role: 'group', 'aria-label': t('app.language') },
    LANGS.map((l) => h('button', {
      type: 'button', class: l === lang() ? 'active' : '', 'data-lang': l,
      onclick: () => { setLang(l); render(); },
    }, t('lang.' + l))));
}

async function signOut() {
  try {
    await api.post('/api/v1/auth/logout');
  } catch { /* the session is over either way */ }
  me = null;
  setCsrf(null);
  location.hash = '';
  render();
}

function shell(pages, current) {
  const main = h('main', { id: 'page', class: 'page', tabindex: '-1' });
  const scope = me.halls ? t('app.scope_halls', { halls: me.halls.join(', ') }) : null;
  const el = h('div', { class: 'shell' },
    h('header', { class: 'topbar' },
      h('div', { class: 'brand' }, h('img', { src: '/ui/icon.svg', alt: '', width: 28, height: 28 }),
        h('span', {}, t('app.title'))),
      h('div', { class: 'topbar-right' },
        langSwitch(),
        h('span', { class: 'who', id: 'who' }, `${me.user} · ${t('role.' + me.role)}`, scope ? ` · ${scope}` : ''),
        h('button', { type: 'button', class: 'link', id: 'sign-out', onclick: signOut }, t('app.sign_out')))),
    h('nav', { class: 'sidenav', 'aria-label': t('app.navigation') },
      h('ul', {}, pages.filter((p) => !p.hidden).map((p) => h('li', {},
        h('a', { href: '#/' + p.id, 'data-page': p.id, class: p.id === current.nav ? 'active' : '', 'aria-current': p.id === current.id ? 'page' : null },
          t('nav.' + p.id), p.slot ? h('span', { class: 'badge slot-badge' }, t('app.slot_badge')) : null))))),
    main,
    h('footer', { class: 'footer' }, t('app.footer_zone', { zone: zoneOf(null) })));
  mount(root, el);
  return main;
}

async function showPage() {
  if (cleanup) {
    try { cleanup(); } catch { /* a page's cleanup must not stop the next page */ }
    cleanup = null;
  }
  const pages = pagesFor(me.role);
  const { id, params } = parseHash(location.hash);
  const page = pages.find((p) => p.id === id);
  if (!page) {
    if (pages.length) location.replace('#/' + pages[0].id);
    else mount(root, h('p', { class: 'error' }, t('app.no_pages')));
    return;
  }
  document.title = `${t('nav.' + page.id)} · ${t('app.title')}`;
  const main = shell(pages, { id: page.id, nav: page.parent || page.id });
  const ctx = { me, params, navigate: (hash) => { location.hash = hash; } };
  try {
    const mod = await import(page.slot ? './pages/slot.js' : page.module);
    if (parseHash(location.hash).id !== page.id) return; // navigated away meanwhile
    cleanup = (await mod.render(main, ctx, page)) || null;
  } catch (e) {
    mount(main, h('p', { class: 'error' }, t('app.page_failed', { message: e.message || String(e) })));
  }
}

async function render() {
  document.documentElement.lang = lang();
  if (!me) {
    document.title = `${t('signin.title')} · ${t('app.title')}`;
    renderSignIn(root, { notice, langSwitch, onSignedIn: async (login) => {
      setCsrf(login.csrf_token);
      notice = null;
      await loadMe();
      render();
    } });
    return;
  }
  await showPage();
}

async function loadMe() {
  try {
    me = await api.get('/api/v1/auth/me', { quiet401: true });
    setCsrf(me.csrf_token);
    setDefaultZone(me.time_zone);
  } catch (e) {
    me = null;
    if (e.status !== 401) notice = t('signin.server_unreachable');
  }
}

onSessionExpired((code) => {
  if (!me) return;
  me = null;
  setCsrf(null);
  notice = t(code === 'session_expired' ? 'signin.session_expired' : 'signin.signed_out');
  render();
});

window.addEventListener('hashchange', () => { if (me) showPage(); });

export const _pages = PAGES; // for the browser tests' sanity checks
await loadMe();
render();
