// The one way the interface talks to hallwatchd: same-origin fetch with the session cookie, the
// CSRF token (given at sign-in, again by /api/v1/auth/me) on every state change, JSON both ways,
// and the API's error shape {"error":{code,message,field}} turned into an ApiError.

let csrfToken = null;
const expiredListeners = [];

export function setCsrf(token) {
  csrfToken = token || null;
}

// f() is called when a request answers 401 (signed out elsewhere, expired): the app shows sign-in.
export function onSessionExpired(f) {
  expiredListeners.push(f);
}

export class ApiError extends Error {
  constructor(status, code, message, field, headers) {
    super(message || code);
    this.status = status; // HTTP status, 0 when the server could not be reached
    this.code = code; // the API's snake_case code ("bad_credentials", "network", …)
    this.field = field || null;
    this.headers = headers || null;
  }
}

const TIMEOUT_MS = 30000; // the camera test alone may take 10 s on the server

// request('POST', '/api/v1/cameras', {…}) → the parsed JSON (or a Blob for images).
// A Blob or File body is sent as it is (streamed by the browser), with opts.contentType.
// Throws ApiError. opts.quiet401: do not tell the app about a 401 (the sign-in form's own).
export async function request(method, path, body, opts = {}) {
  const headers = { Accept: 'application/json' };
  const raw = typeof Blob !== 'undefined' && body instanceof Blob;
  if (method !== 'GET' && method !== 'HEAD' && csrfToken) headers['X-CSRF-Token'] = csrfToken;
  if (body !== undefined) headers['Content-Type'] = raw ? opts.contentType || 'application/octet-stream' : 'application/json';
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort(), opts.timeoutMs || TIMEOUT_MS);
  let resp;
  try {
    resp = await fetch(path, {
      method,
      headers,
      body: body === undefined || raw ? body : JSON.stringify(body),
      credentials: 'same-origin',
      cache: 'no-store',
      signal: ctl.signal,
    });
  } catch (e) {
    throw new ApiError(0, 'network', String(e && e.message || e));
  } finally {
    clearTimeout(timer);
  }
  const type = resp.headers.get('Content-Type') || '';
  if (resp.ok) {
    if (type.startsWith('application/json')) return resp.json();
    return resp.blob();
  }
  let err = { code: 'http_' + resp.status, message: resp.statusText };
  if (type.startsWith('application/json')) {
    try {
      err = (await resp.json()).error || err;
    } catch { /* keep the status text */ }
  }
  if (resp.status === 401 && !opts.quiet401) expiredListeners.forEach((f) => f(err.code));
  throw new ApiError(resp.status, err.code, err.message, err.field, resp.headers);
}

export const api = {
  get: (path, opts) => request('GET', path, undefined, opts),
  post: (path, body, opts) => request('POST', path, body === undefined ? {} : body, opts),
  put: (path, body) => request('PUT', path, body),
  patch: (path, body) => request('PATCH', path, body),
  del: (path) => request('DELETE', path),
};

// A path segment from an id typed by a person (camera ids are [A-Za-z0-9._-], but be safe).
export const seg = (s) => encodeURIComponent(String(s));
