// The REST client. The access token lives only in this module's memory; the refresh token is the
// HttpOnly cookie the server sets for browsers (contract v1.1), which no script can read. Nothing
// is ever written to localStorage or sessionStorage.

const BROWSER = { 'X-Conclave-Client': 'browser' };

export class ApiError extends Error {
  constructor(status, problem) {
    super(problem?.detail || problem?.title || `Request failed (${status})`);
    this.status = status;
    this.problem = problem || {};
    this.type = problem?.type || '';
    this.errors = problem?.errors || [];
  }

  // The message for a form: the field errors when the server named them.
  describe() {
    if (this.errors.length) {
      return this.errors.map((e) => (e.field ? `${e.field}: ${e.message || e.detail || 'invalid'}` : e.message || e.detail)).join('; ');
    }
    return this.message;
  }

  get reauthenticationRequired() {
    return this.status === 403 && this.type.endsWith('reauthentication_required');
  }
}

let accessToken = null;
let refreshTimer = null;
let refreshing = null;
const signedOutListeners = new Set();

export function onSignedOut(listener) {
  signedOutListeners.add(listener);
}

export function currentAccessToken() {
  return accessToken;
}

function adopt(pair) {
  accessToken = pair.access_token;
  clearTimeout(refreshTimer);
  // Renew a minute before expiry so a socket reconnect or a request never meets a stale token.
  const seconds = Math.max(30, (pair.expires_in || 900) - 60);
  refreshTimer = setTimeout(() => refresh().catch(() => {}), seconds * 1000);
  return pair;
}

function forget() {
  accessToken = null;
  clearTimeout(refreshTimer);
}

async function send(method, path, body, { auth = true, headers = {} } = {}) {
  const init = { method, headers: { Accept: 'application/json', ...headers }, credentials: 'same-origin', cache: 'no-store' };
  if (body !== undefined) {
    init.headers['Content-Type'] = 'application/json';
    init.body = JSON.stringify(body);
  }
  if (auth && accessToken) init.headers.Authorization = `Bearer ${accessToken}`;
  const response = await fetch(path, init);
  if (response.status === 204) return null;
  const type = response.headers.get('Content-Type') || '';
  const data = type.includes('json') ? await response.json().catch(() => null) : null;
  if (!response.ok) throw new ApiError(response.status, data);
  return data;
}

// Exchanges the refresh cookie for a new access token; one exchange at a time, because the server
// treats a second use of the same refresh token as theft and ends the session.
export function refresh() {
  if (!refreshing) {
    refreshing = send('POST', '/api/v1/auth/refresh', undefined, { auth: false, headers: BROWSER })
      .then(adopt)
      .catch((error) => {
        if (error.status === 401 || error.status === 403) {
          forget();
          signedOutListeners.forEach((listener) => listener());
        }
        throw error;
      })
      .finally(() => {
        refreshing = null;
      });
  }
  return refreshing;
}

export async function api(method, path, body) {
  if (!accessToken) await refresh();
  try {
    return await send(method, path, body);
  } catch (error) {
    if (error.status !== 401) throw error;
    await refresh();
    return send(method, path, body);
  }
}

export async function login(email, password) {
  const result = await send('POST', '/api/v1/auth/login', { email, password }, { auth: false, headers: BROWSER });
  return result.mfa_required ? result : adopt(result);
}

export async function secondFactor(mfaToken, code) {
  return adopt(await send('POST', '/api/v1/auth/mfa', { mfa_token: mfaToken, code }, { auth: false, headers: BROWSER }));
}

export async function passkeyLogin(email) {
  const options = await send('POST', '/api/v1/auth/webauthn/login/options', email ? { email } : {}, { auth: false });
  const publicKey = PublicKeyCredential.parseRequestOptionsFromJSON(options.publicKey);
  const credential = await navigator.credentials.get({ publicKey });
  return adopt(await send('POST', '/api/v1/auth/webauthn/login/verify',
    { ceremony_id: options.ceremony_id, credential: credential.toJSON() }, { auth: false, headers: BROWSER }));
}

export async function acceptInvite(token, signup) {
  const path = `/api/v1/invites/${encodeURIComponent(token)}/accept`;
  if (signup) return send('POST', path, signup, { auth: false, headers: BROWSER });
  return api('POST', path);
}

export async function logout() {
  try {
    await send('POST', '/api/v1/auth/logout', undefined, { headers: BROWSER });
  } finally {
    forget();
  }
}

export function adoptTokens(pair) {
  if (pair?.access_token) adopt(pair);
}

// Follows next_cursor until the list ends (bounded, so a huge list cannot hang the page).
export async function listAll(path, maxPages = 20) {
  const items = [];
  let cursor = '';
  for (let page = 0; page < maxPages; page += 1) {
    const joiner = path.includes('?') ? '&' : '?';
    const result = await api('GET', `${path}${joiner}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    items.push(...result.data);
    if (!result.next_cursor) break;
    cursor = result.next_cursor;
  }
  return items;
}
