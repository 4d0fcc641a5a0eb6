// The sign-in page: POST /api/v1/auth/login, and a clear message for each refusal the server
// gives (web/auth.c): wrong name or password, account locked (until when), too many failures
// from this address, the audit log unable to record the sign-in.
import { api } from './api.js';
import { h, mount } from './dom.js';
import { formatTime } from './fmt.js';
import { t } from './i18n.js';

// The message for a refused sign-in (an ApiError).
export function signInMessage(e) {
  const retry = Number(e.headers && e.headers.get('Retry-After'));
  const until = Number.isFinite(retry) && retry > 0 ? formatTime(Date.now() + retry * 1000) : null;
  switch (e.code) {
    case 'bad_credentials': return t('signin.bad_credentials');
    case 'account_locked': return until ? t('signin.locked_until', { until }) : t('signin.locked');
    case 'rate_limited': return until ? t('signin.rate_limited_until', { until }) : t('signin.rate_limited');
    case 'invalid_field': return t('signin.missing_fields');
    case 'audit_failed': return t('signin.audit_failed');
    case 'network': return t('signin.server_unreachable');
    default: return t('signin.failed', { message: e.message });
  }
}

export function renderSignIn(root, { notice, langSwitch, onSignedIn }) {
  const user = h('input', { id: 'username', name: 'username', autocomplete: 'username', required: true, autofocus: true });
  const pass = h('input', { id: 'password', name: 'password', type: 'password', autocomplete: 'current-password', required: true });
  const msg = h('p', { id: 'signin-message', class: notice ? 'notice' : 'error', role: 'alert' }, notice || '');
  const button = h('button', { type: 'submit', class: 'primary', id: 'signin-submit' }, t('signin.submit'));
  const form = h('form', { class: 'signin-form', novalidate: true, onsubmit: async (ev) => {
    ev.preventDefault();
    if (!user.value || !pass.value) {
      msg.className = 'error';
      msg.textContent = t('signin.missing_fields');
      return;
    }
    button.disabled = true;
    msg.className = 'notice';
    msg.textContent = t('signin.checking');
    try {
      const login = await api.post('/api/v1/auth/login', { username: user.value, password: pass.value }, { quiet401: true });
      await onSignedIn(login);
    } catch (e) {
      msg.className = 'error';
      msg.textContent = signInMessage(e);
      msg.dataset.code = e.code;
      pass.value = '';
      pass.focus();
      button.disabled = false;
    }
  } },
  h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('signin.username')), user),
  h('label', { class: 'field' }, h('span', { class: 'field-label' }, t('signin.password')), pass),
  msg, button);
  mount(root, h('div', { class: 'signin' },
    h('div', { class: 'signin-card' },
      h('div', { class: 'signin-head' }, h('img', { src: '/ui/icon.svg', alt: '', width: 40, height: 40 }),
        h('div', {}, h('h1', {}, t('app.title')), h('p', { class: 'muted' }, t('signin.subtitle')))),
      form,
      h('div', { class: 'signin-foot' }, langSwitch()))));
  user.focus();
}
