// Sign-in. Two ways, one session:
//
//  - OpenID Connect, authorization code with PKCE (RFC 7636), against the issuer and client id
//    the server names in /web/config.json: the page fetches the issuer's discovery document,
//    sends the browser to its authorization endpoint, and on the way back exchanges the code
//    at its token endpoint (a public client: no secret). Only the PKCE verifier, the state and
//    the nonce cross the redirect, in sessionStorage, and are removed the moment the page is
//    back; the tokens never leave this module's memory.
//  - An integration access key (a static token of `glasplade token create`) pasted into a
//    password field: for integrators (people sign in at the provider).
//
// Either way the access token lives in a variable of this module: never in localStorage,
// sessionStorage or a cookie, and gone with the tab. Sign-out and an idle timeout clear it,
// and everything the page shows with it (the app reloads its view from nothing).
const PKCE_KEY = 'glasplade.oidc.pending'; // {verifier, state, nonce, issuer}: not a token
const IDLE_MS_DEFAULT = 15 * 60 * 1000;

let session = null; // {token, kind: 'oidc'|'key', expiresAt, idToken, clientId, endSession}
let idleTimer = null;
let idleMs = IDLE_MS_DEFAULT;
let onEnd = () => {};

export function token() {
  if (session && session.expiresAt && Date.now() >= session.expiresAt) {
    end('expired');
    return null;
  }
  return session ? session.token : null;
}

export function kind() { return session ? session.kind : null; }

// Called with 'signout', 'idle' or 'expired' when a session ends.
export function onSessionEnd(f) { onEnd = f; }

export function setIdleTimeout(ms) { idleMs = ms > 0 ? ms : IDLE_MS_DEFAULT; }
export function idleMinutes() { return Math.round(idleMs / 60000); }

function armIdle() {
  clearTimeout(idleTimer);
  if (session) idleTimer = setTimeout(() => end('idle'), idleMs);
}

for (const ev of ['pointerdown', 'keydown', 'wheel', 'touchstart']) {
  addEventListener(ev, () => { if (session) armIdle(); }, { passive: true, capture: true });
}

function start(s) {
  session = s;
  armIdle();
}

function end(why) {
  const was = session;
  session = null;
  clearTimeout(idleTimer);
  onEnd(why, was);
}

// Coming back from the provider's sign-out carries this state (and nothing else of ours).
const SIGNED_OUT = 'signed-out';

export function signOut() {
  const was = session;
  end('signout');
  // The provider's session too, when it offers the way (RP-initiated logout): it asks the
  // person, ends its session and sends the browser back to the page.
  if (was && was.kind === 'oidc' && was.endSession) {
    const u = new URL(was.endSession);
    if (was.idToken) u.searchParams.set('id_token_hint', was.idToken);
    u.searchParams.set('client_id', was.clientId);
    u.searchParams.set('post_logout_redirect_uri', `${location.origin}/`);
    u.searchParams.set('state', SIGNED_OUT);
    location.assign(u.toString());
  }
}

// True when this load is the way back from the provider's sign-out (the address is cleaned).
export function returnedFromSignOut() {
  const q = new URL(location.href).searchParams;
  if (q.get('state') !== SIGNED_OUT || q.has('code') || q.has('error')) return false;
  history.replaceState(null, '', '/');
  return true;
}

// ---- the access key ----

// Checks the key against the server (GET /v1/me) and starts the session with it.
export async function signInWithKey(key, whoami) {
  const k = String(key || '').trim();
  if (!k) throw new Error('key_required');
  start({ token: k, kind: 'key', expiresAt: null });
  try {
    return await whoami();
  } catch (e) {
    session = null;
    clearTimeout(idleTimer);
    throw e;
  }
}

// ---- OpenID Connect ----

function b64url(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

function randomString(n = 32) {
  return b64url(crypto.getRandomValues(new Uint8Array(n)));
}

async function challengeOf(verifier) {
  const d = await crypto.subtle.digest('SHA-256', new TextEncoder().encode(verifier));
  return b64url(new Uint8Array(d));
}

async function discover(issuer) {
  const base = issuer.replace(/\/+$/, '');
  const r = await fetch(`${base}/.well-known/openid-configuration`, { credentials: 'omit' });
  if (!r.ok) throw new Error(`discovery ${r.status}`);
  const doc = await r.json();
  if (doc.issuer !== issuer && doc.issuer !== base) throw new Error('issuer mismatch');
  return doc;
}

function redirectUri() { return `${location.origin}/`; }

// Sends the browser to the provider. cfg: {issuer, client_id, scope}.
export async function beginOidc(cfg) {
  const meta = await discover(cfg.issuer);
  const verifier = randomString(48);
  const state = randomString(16);
  const nonce = randomString(16);
  sessionStorage.setItem(PKCE_KEY, JSON.stringify({ verifier, state, nonce, issuer: cfg.issuer }));
  const u = new URL(meta.authorization_endpoint);
  u.searchParams.set('response_type', 'code');
  u.searchParams.set('client_id', cfg.client_id);
  u.searchParams.set('redirect_uri', redirectUri());
  u.searchParams.set('scope', cfg.scope || 'openid');
  u.searchParams.set('state', state);
  u.searchParams.set('nonce', nonce);
  u.searchParams.set('code_challenge', await challengeOf(verifier));
  u.searchParams.set('code_challenge_method', 'S256');
  location.assign(u.toString());
}

function jwtPayload(jwt) {
  const p = String(jwt || '').split('.')[1];
  if (!p) return {};
  const s = atob(p.replace(/-/g, '+').replace(/_/g, '/'));
  return JSON.parse(decodeURIComponent(Array.from(s, (c) => `%${c.charCodeAt(0).toString(16).padStart(2, '0')}`).join('')));
}

// On the way back from the provider: true when this load was a redirect back and the session
// started; false when it was not one. Throws (with the provider's words) when it failed. The
// code and state are removed from the address bar and the history at once.
export async function completeOidc(cfg) {
  const here = new URL(location.href);
  const code = here.searchParams.get('code');
  const state = here.searchParams.get('state');
  const error = here.searchParams.get('error');
  if (!code && !error) return false;
  history.replaceState(null, '', '/');
  const pending = JSON.parse(sessionStorage.getItem(PKCE_KEY) || 'null');
  sessionStorage.removeItem(PKCE_KEY);
  if (error) throw new Error(here.searchParams.get('error_description') || error);
  if (!pending || pending.state !== state || !cfg || pending.issuer !== cfg.issuer) {
    throw new Error('state mismatch');
  }
  // RFC 9207: the answer names the issuer that gave it (a mix-up defence).
  const iss = here.searchParams.get('iss');
  if (iss !== null && iss !== cfg.issuer && iss !== cfg.issuer.replace(/\/+$/, '')) {
    throw new Error('issuer mismatch');
  }
  const meta = await discover(cfg.issuer);
  const body = new URLSearchParams({
    grant_type: 'authorization_code', code, redirect_uri: redirectUri(),
    client_id: cfg.client_id, code_verifier: pending.verifier,
  });
  const r = await fetch(meta.token_endpoint, {
    method: 'POST', body, credentials: 'omit',
    headers: { 'Content-Type': 'application/x-www-form-urlencoded' },
  });
  const tok = await r.json().catch(() => ({}));
  if (!r.ok || !tok.access_token) throw new Error(tok.error_description || tok.error || `token ${r.status}`);
  // The ID token came straight from the token endpoint over TLS (OIDC Core 3.1.3.7): its
  // claims are checked, its signature is the server's business with the access token.
  if (tok.id_token) {
    const c = jwtPayload(tok.id_token);
    const aud = Array.isArray(c.aud) ? c.aud : [c.aud];
    if (c.nonce !== pending.nonce || !aud.includes(cfg.client_id) ||
        (c.iss !== cfg.issuer && c.iss !== cfg.issuer.replace(/\/+$/, ''))) {
      throw new Error('id token does not match this sign-in');
    }
  }
  start({
    token: tok.access_token, kind: 'oidc', idToken: tok.id_token || null, clientId: cfg.client_id,
    expiresAt: tok.expires_in ? Date.now() + tok.expires_in * 1000 : null,
    endSession: meta.end_session_endpoint || null,
  });
  return true;
}
