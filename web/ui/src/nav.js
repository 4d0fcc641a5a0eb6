// The pages of the interface and who sees them: one row per page. To add a page, write
// src/pages/<id>.js (export function render(root, ctx), optionally returning a cleanup function),
// add its row here, and its strings ("nav.<id>" and its own "<id>.*" keys) to src/i18n.js.
// The roles here only choose what the navigation offers; what a role may do is decided by the
// server's route table (web/routes.c), so a page shown by mistake still gets 403 from the API.
// A row with slot: true is a page whose API is not there yet: it shows a marked placeholder.
// A row with hidden: true is reached by links only (a case, a staff member), not offered in the
// navigation; its parent's entry is highlighted while it is open.

export const PAGES = [
  { id: 'dashboard', roles: ['supervisor', 'hall_manager', 'admin'], module: './pages/dashboard.js' },
  { id: 'cases', roles: ['supervisor', 'investigator'], module: './pages/cases.js' },
  { id: 'case', roles: ['supervisor', 'investigator'], module: './pages/case.js', hidden: true, parent: 'cases' },
  { id: 'staff', roles: ['supervisor', 'investigator'], module: './pages/staff.js', hidden: true, parent: 'cases' },
  { id: 'live', roles: ['supervisor', 'hall_manager', 'investigator'], module: './pages/live.js' },
  { id: 'footage', roles: ['supervisor', 'hall_manager', 'investigator'], module: './pages/footage.js' },
  { id: 'cameras', roles: ['hall_manager', 'admin'], module: './pages/cameras.js' },
  { id: 'exports', roles: ['investigator'], module: './pages/exports.js' },
  { id: 'users', roles: ['admin'], module: './pages/users.js' },
  { id: 'tokens', roles: ['admin'], module: './pages/tokens.js' },
  { id: 'calendar', roles: ['admin', 'supervisor'], module: './pages/calendar.js' },
  { id: 'settings', roles: ['admin'], module: './pages/settings.js' },
  { id: 'reports', roles: ['supervisor', 'viewer'], slot: true },
  { id: 'audit', roles: ['auditor'], module: './pages/audit.js' },
];

export function pagesFor(role) {
  return PAGES.filter((p) => p.roles.includes(role));
}

// "#/cameras?hall=h1" → {id: 'cameras', params: URLSearchParams}
export function parseHash(hash) {
  const m = /^#\/([a-z0-9_-]+)(?:\?(.*))?$/.exec(hash || '');
  return m ? { id: m[1], params: new URLSearchParams(m[2] || '') } : { id: null, params: new URLSearchParams() };
}
