#!/usr/bin/env node
// scripts/idp/idp.mjs: a local OpenID Connect provider for the demo and the tests, on loopback.
//
// Usage: node scripts/idp/idp.mjs --port PORT --state DIR [--audience URI]
//                                 [--redirect-uri URL]... [--test-clients]
//
// It is the npm package oidc-provider (an OpenID Certified implementation) with demo users, not
// a mock: discovery, JWKS, the authorization code flow with PKCE (for the web page), client
// credentials (for scripts), JWT access tokens (RFC 9068) for the resource `--audience`
// (default urn:glasplade), and RP-initiated logout (the page's sign-out ends the session here).
// The issuer is http://127.0.0.1:PORT. --redirect-uri (repeatable; default
// http://127.0.0.1:8080/) is where the page's client may come back to after sign-in and after
// sign-out: the page's own address, `<server>/`.
//
// Users (login = client id; password and client secret: demo):
//   caseworker-jobcentre, caseworker-social, caseworker-family, caseworker-health,
//   caseworker-region, coordinator, analyst, auditor, admin, citizen-mette, citizen-sofie.
// Scripts get a user's token with client credentials as that user's client; the browser signs
// in as the user through the public client glasplade-web (PKCE, no secret). Their groups map
// to Glasplade roles through scripts/idp/role-map.json; the citizens carry a `cpr` claim.
//
// --test-clients adds the users the integration tests need: intern (a group nothing maps),
// citizen-badcpr (a CPR claim that is no CPR), short-lived (2-second tokens), not-yet (tokens
// valid from an hour on), other-audience (tokens for another resource), es256 and ps256 (the
// other two algorithms).
//
// Keys live in DIR/keys.json (made on first start). SIGHUP rotates: a new RSA key signs from
// then on, the previous one is still published. SIGUSR2 retires the keys that no longer sign.
// Either way the provider goes on answering on the same port. It prints one JSON line
// {"msg":"listening",...} on stdout when ready, and one per rotation.
import { randomBytes, generateKeyPairSync } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:http';
import { join } from 'node:path';
import Provider, { errors } from 'oidc-provider';

const args = process.argv.slice(2);
function opt(name, def) {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : def;
}
const port = Number(opt('--port', process.env.GLASPLADE_IDP_PORT || '7200'));
const stateDir = opt('--state', 'var/idp');
const audience = opt('--audience', 'urn:glasplade');
const testClients = args.includes('--test-clients');
const redirectUris = args.flatMap((a, i) => (a === '--redirect-uri' ? [args[i + 1]] : []));
if (!redirectUris.length) redirectUris.push('http://127.0.0.1:8080/');
const issuer = `http://127.0.0.1:${port}`;
const PASSWORD = 'demo';

// The demo population's people. groups are what a municipality's directory would send; the
// citizens are two of the demo citizens of cmd/deptsim (README: demo citizens).
const users = {
  'caseworker-jobcentre': { name: 'Karen Holm', groups: ['glasplade-sagsbehandler', 'afd-jobcenter'] },
  'caseworker-social': { name: 'Lars Nielsen', groups: ['glasplade-sagsbehandler', 'afd-social'] },
  'caseworker-family': { name: 'Anne Vestergaard', groups: ['glasplade-sagsbehandler', 'afd-familie'] },
  'caseworker-health': { name: 'Peter Dahl', groups: ['glasplade-sagsbehandler', 'afd-sundhed'] },
  'caseworker-region': { name: 'Sara Kjær', groups: ['glasplade-sagsbehandler', 'afd-region'] },
  coordinator: { name: 'Jens Bach', groups: ['glasplade-koordinator', 'afd-social'] },
  analyst: { name: 'Ida Berg', groups: ['glasplade-analytiker'] },
  auditor: { name: 'Ole Friis', groups: ['glasplade-revisor'] },
  admin: { name: 'Nina Holt', groups: ['glasplade-admin'] },
  'citizen-mette': { name: 'Mette Lund Sørensen', cpr: '1203849318' },
  'citizen-sofie': { name: 'Sofie Mikkelsen', cpr: '1402959302' },
};
const testUsers = {
  intern: { name: 'Per Praktikant', groups: ['praktikant'] },
  'citizen-badcpr': { name: 'Nobody', cpr: '3213849318' },
  'short-lived': { ...users['caseworker-jobcentre'], ttl: 2 },
  'not-yet': { ...users['caseworker-jobcentre'], nbfIn: 3600 },
  'other-audience': { ...users['caseworker-jobcentre'], resource: 'urn:another-service' },
  es256: { ...users['caseworker-jobcentre'], alg: 'ES256' },
  ps256: { ...users['caseworker-jobcentre'], alg: 'PS256' },
};
if (testClients) Object.assign(users, testUsers);

// ---- keys ----

function newKey(kind) {
  const { privateKey } =
    kind === 'EC'
      ? generateKeyPairSync('ec', { namedCurve: 'P-256' })
      : generateKeyPairSync('rsa', { modulusLength: 2048 });
  const jwk = privateKey.export({ format: 'jwk' });
  return { ...jwk, kid: randomBytes(8).toString('hex'), use: 'sig' };
}
mkdirSync(stateDir, { recursive: true });
const keyFile = join(stateDir, 'keys.json');
let keys = existsSync(keyFile) ? JSON.parse(readFileSync(keyFile, 'utf8')).keys : null;
if (!keys) {
  keys = [newKey('RSA'), newKey('EC')];
  writeFileSync(keyFile, JSON.stringify({ keys }), { mode: 0o600 });
}

// ---- the provider ----

function userOf(token) {
  return users[token.accountId || token.clientId];
}

function makeProvider() {
  const clients = [
    {
      client_id: 'glasplade-web',
      token_endpoint_auth_method: 'none', // a public client: PKCE instead of a secret
      grant_types: ['authorization_code', 'refresh_token'],
      response_types: ['code'],
      redirect_uris: redirectUris,
      // RP-initiated logout: the page's sign-out ends the session here and comes back.
      post_logout_redirect_uris: redirectUris,
    },
    ...Object.keys(users).map((id) => ({
      client_id: id,
      client_secret: PASSWORD,
      grant_types: ['client_credentials'],
      response_types: [],
      redirect_uris: [],
    })),
  ];
  const provider = new Provider(issuer, {
    clients,
    jwks: { keys },
    cookies: { keys: [randomBytes(16).toString('hex')] },
    pkce: { required: () => true },
    clientBasedCORS: () => true,
    claims: { openid: ['sub'], profile: ['name'] },
    scopes: ['openid', 'profile', 'offline_access'],
    async findAccount(ctx, id) {
      if (!users[id]) return undefined;
      return { accountId: id, claims: () => ({ sub: id, name: users[id].name }) };
    },
    interactions: { url: (ctx, interaction) => `/interaction/${interaction.uid}` },
    // The provider's own pages, in the demo's words and without the default pages' web fonts
    // (no request leaves loopback).
    renderError(ctx, out) {
      ctx.type = 'html';
      ctx.body = page('Fejl', `<p role="alert">${escapeHtml(out.error_description || out.error)}</p>`);
    },
    features: {
      devInteractions: { enabled: false },
      rpInitiatedLogout: {
        enabled: true,
        logoutSource(ctx, form) {
          ctx.body = page('Log ud', `${form}<p>Vil du logge ud af kommunens login?</p>
<button type="submit" form="op.logoutForm" name="logout" value="yes" autofocus>Ja, log mig ud</button>
<button type="submit" form="op.logoutForm">Nej, forbliv logget ind</button>`);
        },
        postLogoutSuccessSource(ctx) {
          ctx.body = page('Logget ud', '<p role="status">Du er logget ud af kommunens login.</p>');
        },
      },
      clientCredentials: { enabled: true },
      resourceIndicators: {
        enabled: true,
        defaultResource: (ctx, client, oneOf) => {
          if (oneOf) return oneOf;
          return users[client.clientId]?.resource || audience;
        },
        useGrantedResource: () => true,
        getResourceServerInfo: (ctx, resource, client) => {
          const u = users[client.clientId] || {};
          if (resource !== audience && resource !== u.resource) {
            throw new errors.InvalidTarget();
          }
          return {
            scope: 'glasplade',
            audience: resource,
            accessTokenTTL: u.ttl || 600,
            accessTokenFormat: 'jwt',
            jwt: { sign: { alg: u.alg || 'RS256' } },
          };
        },
      },
    },
    // What Glasplade maps (scripts/idp/role-map.json): the person's name, groups, and for a
    // citizen the CPR number, in the access token itself.
    extraTokenClaims(ctx, token) {
      const u = userOf(token);
      if (!u) return undefined;
      const extra = { name: u.name };
      if (u.groups) extra.groups = u.groups;
      if (u.cpr) extra.cpr = u.cpr;
      return extra;
    },
    formats: {
      customizers: {
        jwt(ctx, token, jwt) {
          const u = userOf(token);
          if (u?.nbfIn) jwt.payload.nbf = Math.floor(Date.now() / 1000) + u.nbfIn;
        },
      },
    },
    ttl: {
      AccessToken: (ctx, token, client) => users[client?.clientId]?.ttl || 600,
      ClientCredentials: (ctx, token, client) => users[client?.clientId]?.ttl || 600,
      Grant: 3600,
      Session: 3600,
    },
  });
  return provider;
}

let provider = makeProvider();

// ---- sign-in pages (the provider's own devInteractions accept any password) ----

const STYLE = `body{font-family:system-ui,sans-serif;color:#1a1a1a;max-width:28rem;margin:3rem auto;
padding:0 1rem}label{display:block;margin:1rem 0 .25rem;font-weight:600}input{display:block;
width:100%;box-sizing:border-box;margin-top:.25rem;padding:.5rem;font-size:1rem;
border:2px solid #1a1a1a;border-radius:4px}button{margin:1.25rem .5rem 0 0;padding:.6rem 1.2rem;
font-size:1rem;font-weight:600;border:2px solid #1a1a1a;border-radius:4px;background:#1a1a1a;
color:#fff;cursor:pointer}button+button{background:#fff;color:#1a1a1a}.hint{color:#454545}`;

function page(title, body) {
  return `<!doctype html><html lang="da"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>${title}</title>
<style>${STYLE}</style></head>
<body><main><h1>Glasplade demo: ${title.toLowerCase()}</h1>${body}</main></body></html>`;
}

function html(res, status, body) {
  res.writeHead(status, { 'content-type': 'text/html; charset=utf-8', 'cache-control': 'no-store' });
  res.end(page('Log ind', body));
}

function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

async function readForm(req) {
  let body = '';
  for await (const chunk of req) {
    body += chunk;
    if (body.length > 10000) throw new Error('too large');
  }
  return new URLSearchParams(body);
}

async function interaction(req, res) {
  const url = new URL(req.url, issuer);
  const details = await provider.interactionDetails(req, res);
  const { uid, prompt, params } = details;
  if (prompt.name === 'login' && req.method === 'POST' && url.pathname.endsWith('/login')) {
    const form = await readForm(req);
    const login = form.get('login');
    if (users[login] && form.get('password') === PASSWORD) {
      await provider.interactionFinished(req, res, { login: { accountId: login } }, {
        mergeWithLastSubmission: false,
      });
      return;
    }
    html(res, 401, `<p role="alert">Forkert bruger eller adgangskode.</p>${loginForm(uid, params)}`);
    return;
  }
  if (prompt.name === 'login') {
    html(res, 200, loginForm(uid, params));
    return;
  }
  if (prompt.name === 'consent') {
    // Glasplade's own page is a first-party client: consent is given for the person.
    const grant = details.grantId
      ? await provider.Grant.find(details.grantId)
      : new provider.Grant({ accountId: details.session.accountId, clientId: params.client_id });
    const d = prompt.details;
    if (d.missingOIDCScope) grant.addOIDCScope(d.missingOIDCScope.join(' '));
    if (d.missingOIDCClaims) grant.addOIDCClaims(d.missingOIDCClaims);
    for (const [indicator, scope] of Object.entries(d.missingResourceScopes || {})) {
      grant.addResourceScope(indicator, scope.join(' '));
    }
    const grantId = await grant.save();
    await provider.interactionFinished(req, res, { consent: { grantId } }, {
      mergeWithLastSubmission: true,
    });
    return;
  }
  html(res, 400, '<p>Ukendt trin.</p>');
}

function loginForm(uid, params) {
  const hint = params.login_hint ? ` value="${escapeHtml(params.login_hint)}"` : '';
  return `<form method="post" action="/interaction/${escapeHtml(uid)}/login">
<label>Bruger <input name="login" autocomplete="username" required${hint}></label>
<label>Adgangskode <input name="password" type="password" autocomplete="current-password" required></label>
<button type="submit">Log ind</button></form>
<p class="hint">Demo-brugere (adgangskode demo): ${Object.keys(users).join(', ')}.</p>`;
}

const server = createServer((req, res) => {
  if (req.url.startsWith('/interaction/')) {
    interaction(req, res).catch((err) => {
      if (!res.headersSent) html(res, 400, `<p>${escapeHtml(err.message)}</p>`);
    });
    return;
  }
  provider.callback()(req, res);
});

function say(obj) {
  process.stdout.write(`${JSON.stringify(obj)}\n`);
}

function rotate(retire) {
  const rsa = keys.filter((k) => k.kty === 'RSA');
  const ec = keys.filter((k) => k.kty === 'EC');
  keys = retire ? [rsa[0], ec[0]] : [newKey('RSA'), rsa[0], ec[0]];
  writeFileSync(keyFile, JSON.stringify({ keys }), { mode: 0o600 });
  provider = makeProvider();
  say({ msg: retire ? 'retired' : 'rotated', kids: keys.map((k) => k.kid) });
}
process.on('SIGHUP', () => rotate(false));
process.on('SIGUSR2', () => rotate(true));
process.on('SIGTERM', () => server.close(() => process.exit(0)));
process.on('SIGINT', () => server.close(() => process.exit(0)));

server.listen(port, '127.0.0.1', () => {
  say({ msg: 'listening', issuer, port, audience, kids: keys.map((k) => k.kid) });
});
