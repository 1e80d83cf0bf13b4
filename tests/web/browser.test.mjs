// The page in a real browser: playwright-core driving Debian's chromium against the real
// stack tests/web/run.sh starts (server, deptsim, PostgreSQL, the demo identity provider),
// axe-core on every page. People sign in at the provider as its demo users do (the page's
// button, the provider's form, back with a code: authorization code with PKCE); one test signs
// in with an integration's access key. Prints one line per test and, last, "N passed, N
// failed". Screenshots and measurements go to GP_WEB_SHOTS.
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const env = process.env;
const BASE = env.GP_WEB_URL;
const SHOTS = env.GP_WEB_SHOTS;
const CONTROL = env.GP_WEB_SIM_CONTROL;
const IDP = env.GP_WEB_IDP_URL;
const METTE = '1203849318'; // all five systems
const SOFIE = '1402959302'; // colliding efforts
const WIDE = { width: 1280, height: 800 };
const NARROW = { width: 390, height: 844 };

const results = [];
const measurements = { axe: {}, press: [], overview_ms: [], page_weight: {} };
let browser;

async function test(name, fn) {
  const t0 = Date.now();
  try {
    await fn();
    results.push({ name, ok: true });
    console.log(`ok   ${name} (${Date.now() - t0} ms)`);
  } catch (e) {
    results.push({ name, ok: false });
    console.log(`FAIL ${name}: ${e.stack || e.message}`);
  }
}

async function newPage(viewport = WIDE, opts = {}) {
  const ctx = await browser.newContext({ viewport, locale: 'da-DK', timezoneId: 'Europe/Copenhagen' });
  const page = await ctx.newPage();
  page.errors = [];
  page.on('pageerror', (e) => page.errors.push(e.message));
  page.on('console', (m) => { if (m.type() === 'error') page.errors.push(m.text()); });
  // The bearer token the page last sent to the API, as it sent it (the page keeps it in a
  // module's variable, out of reach of the page's other scripts and of this test's evaluate).
  page.bearer = null;
  page.on('request', (r) => {
    const a = r.headers().authorization;
    if (a && r.url().startsWith(`${BASE}/v1/`)) page.bearer = a.replace(/^Bearer /, '');
  });
  if (opts.clock) await page.clock.install();
  await page.goto(`${BASE}/`);
  page.historyAtLoad = await page.evaluate(() => history.length);
  return page;
}

// Zero serious or critical violations, recorded per page state.
async function axe(page, name) {
  const r = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const bad = r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical');
  measurements.axe[name] = {
    violations: r.violations.map((v) => `${v.id} (${v.impact}, ${v.nodes.length})`),
    passes: r.passes.length,
  };
  assert.equal(bad.length, 0, `axe on ${name}: ${bad.map((v) => `${v.id}: ${v.help} — ${v.nodes.slice(0, 3).map((n) => n.target.join(' ')).join('; ')}`).join(' | ')}`);
}

async function shot(page, name) {
  await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: false });
}

async function signInWithKey(page, token) {
  await page.fill('#access-key', token);
  await page.click('#key-form button[type=submit]');
  await page.waitForSelector('#sign-out');
}

// Signs in at the identity provider as a person does: the page's button, the provider's own
// form (a demo user, password demo), back to the page with a code it exchanges (PKCE). Then
// the address is the page's own again and nothing of the sign-in is left where a script reads.
async function signInAt(page, user, { shotAs } = {}) {
  await page.click('#sign-in-oidc');
  await page.waitForURL(`${IDP}/interaction/**`);
  if (shotAs) {
    await shot(page, shotAs);
    await axe(page, 'provider-sign-in');
  }
  await page.fill('input[name=login]', user);
  await page.fill('input[name=password]', 'demo');
  await page.click('button[type=submit]');
  await page.waitForSelector('#sign-out');
  assert.equal(page.url(), `${BASE}/`, 'the code or state is left in the address');
  page.historyAtLoad = await page.evaluate(() => history.length);
  await assertNothingStored(page);
  const c = claims(page.bearer);
  assert.equal(c.iss, IDP, 'the page calls with something else than the provider\'s token');
  assert.equal(c.sub, user);
  assert.equal(c.client_id, 'glasplade-web');
}

// The claims of a JWT, unchecked (the server checks them; this only reads what it was given).
function claims(jwt) {
  return JSON.parse(Buffer.from(String(jwt).split('.')[1] || '', 'base64url').toString() || '{}');
}

// Tokens in memory only: no storage, and no cookie a script can read (the provider's session
// cookies share the host, 127.0.0.1, and must be HttpOnly).
async function assertNothingStored(page) {
  const s = await page.evaluate(() => ({
    local: localStorage.length, session: sessionStorage.length, cookie: document.cookie,
  }));
  assert.deepEqual(s, { local: 0, session: 0, cookie: '' });
  for (const c of await page.context().cookies(BASE)) {
    assert.ok(c.httpOnly, `the cookie ${c.name} can be read by scripts`);
  }
}

async function lookUp(page, cpr) {
  await page.fill('#cpr', `${cpr.slice(0, 6)}-${cpr.slice(6)}`);
  await page.click('#press');
  await page.waitForSelector('#completeness[data-status=complete], #completeness[data-status=partial]', { timeout: 15000 });
}

async function control(method, p, body) {
  const r = await fetch(`${CONTROL}${p}`, { method, body: body ? JSON.stringify(body) : undefined });
  assert.ok(r.ok, `deptsim ${method} ${p}: ${r.status}`);
}

async function tabTo(page, tab) {
  await page.click(`#tab-${tab}`);
}

// The CPR is nowhere but in the page's memory: not the address, the title, the history or any
// storage.
async function assertCprNowhere(page, cpr) {
  const where = await page.evaluate(() => ({
    href: location.href, title: document.title, history: history.length,
    local: JSON.stringify({ ...localStorage }), session: JSON.stringify({ ...sessionStorage }),
    cookie: document.cookie,
  }));
  for (const [k, v] of Object.entries(where)) {
    assert.ok(!String(v).includes(cpr) && !String(v).includes(`${cpr.slice(0, 6)}-`), `the CPR is in ${k}: ${v}`);
  }
  assert.equal(where.local, '{}');
  assert.equal(where.session, '{}');
  assert.equal(where.cookie, '');
  assert.equal(where.history, page.historyAtLoad, 'the page added history entries');
}

async function main() {
  browser = await chromium.launch({ executablePath: env.GP_WEB_CHROMIUM || '/usr/bin/chromium', args: ['--no-sandbox'] });

  await test('the page is served with a strict CSP, no-referrer, nosniff; assets cached by content hash', async () => {
    const r = await fetch(`${BASE}/`);
    const csp = r.headers.get('content-security-policy');
    assert.match(csp, /script-src 'self';/);
    assert.match(csp, /style-src 'self';/);
    assert.doesNotMatch(csp, /unsafe-inline|unsafe-eval/);
    // The page fetches the provider's discovery document and token endpoint: its origin, no other
    assert.ok(csp.includes(`connect-src 'self' ${IDP};`), csp);
    const cfg = await (await fetch(`${BASE}/web/config.json`)).json();
    assert.deepEqual(cfg.oidc, { issuer: IDP, client_id: 'glasplade-web', scope: 'openid profile' });
    assert.equal(r.headers.get('referrer-policy'), 'no-referrer');
    assert.equal(r.headers.get('x-content-type-options'), 'nosniff');
    assert.equal(r.headers.get('cache-control'), 'no-cache');
    const html = await r.text();
    assert.doesNotMatch(html, /<script(?![^>]*\bsrc=)[^>]*>|\bstyle=|\bon[a-z]+=/i, 'inline script or style in the page');
    const js = html.match(/src="(\/web\/[0-9a-f]{16}\/js\/app\.js)"/)[1];
    const a = await fetch(`${BASE}${js}`);
    assert.equal(a.status, 200);
    assert.match(a.headers.get('cache-control'), /max-age=31536000, immutable/);
    for (const bad of ['/web/x/../../etc/passwd', `${js.replace('app.js', '..%2fapp.js')}`, '/web/0000000000000000/js/app.js']) {
      const b = await fetch(`${BASE}${bad}`);
      // not found, or refused before routing (strict HTTP: an encoded slash is a 400): never a file
      assert.ok(b.status === 404 || b.status === 400, `${bad}: ${b.status}`);
    }
  });

  await test('an integration\'s access key: refused, then accepted; sign-out clears it', async () => {
    const p = await newPage(WIDE);
    await axe(p, 'sign-in');
    assert.equal(await p.locator('#sign-in-oidc').count(), 1, 'the provider is not offered');
    await p.fill('#access-key', 'gpt_not_a_key');
    await p.click('#key-form button[type=submit]');
    await p.waitForSelector('#key-error:not([hidden])');
    await signInWithKey(p, env.GP_WEB_TOKEN_CASEWORKER);
    assert.match(await p.textContent('#user'), /Jobcenter, demo sagsbehandler/);
    assert.equal(await p.inputValue('#purpose'), 'rehabilitation');
    assert.equal(p.bearer, env.GP_WEB_TOKEN_CASEWORKER);
    await assertNothingStored(p);
    await p.click('#sign-out');
    await p.waitForSelector('#signed-out');
    assert.equal(p.url(), `${BASE}/`, 'a key\'s sign-out went somewhere');
    assert.equal(await p.locator('#access-key').inputValue(), '');
    await p.context().close();
  });

  await test('the way back from the provider: a wrong state or issuer is refused, no code exchanged', async () => {
    const p = await newPage(WIDE);
    const exchanged = [];
    p.on('request', (r) => { if (r.url().startsWith(`${IDP}/token`)) exchanged.push(r.url()); });
    const pending = { verifier: 'v'.repeat(43), state: 'the-state', nonce: 'n', issuer: IDP };
    for (const [q, why] of [['code=c&state=another', /state mismatch/], [`code=c&state=the-state&iss=${encodeURIComponent('http://127.0.0.1:9')}`, /issuer mismatch/]]) {
      await p.evaluate((v) => sessionStorage.setItem('glasplade.oidc.pending', v), JSON.stringify(pending));
      await p.goto(`${BASE}/?${q}`);
      await p.waitForSelector('#signed-out');
      assert.match(await p.textContent('#signed-out'), why);
      assert.equal(p.url(), `${BASE}/`, 'the code is left in the address');
      assert.equal(await p.locator('#sign-out').count(), 0);
      await assertNothingStored(p);
    }
    assert.deepEqual(exchanged, []);
    await p.context().close();
  });

  const page = await newPage(WIDE);
  await test('sign in at the identity provider as a job-centre caseworker (code + PKCE)', async () => {
    await signInAt(page, 'caseworker-jobcentre', { shotAs: 'provider-sign-in-1280' });
    assert.match(await page.textContent('#user'), /Karen Holm.*Jobcenter/);
    assert.equal(await page.inputValue('#purpose'), 'rehabilitation');
    assert.deepEqual(claims(page.bearer).groups, ['glasplade-sagsbehandler', 'afd-jobcenter']);
  });

  await test('the CPR field validates as typed, with the server\'s messages', async () => {
    await page.fill('#cpr', '121384');
    assert.equal(await page.textContent('#cpr-error'), 'Måneden skal være 01-12.');
    await page.fill('#cpr', '3102849318');
    assert.equal(await page.textContent('#cpr-error'), 'Den dag findes ikke i den måned.');
    await page.fill('#cpr', '12038x');
    assert.equal(await page.textContent('#cpr-error'), 'Kun cifrene 0-9 og én bindestreg er tilladt.');
    await page.fill('#cpr', '1203');
    assert.equal(await page.isHidden('#cpr-error'), true, 'a message while the number is still being typed');
    await page.fill('#cpr', '1203849318');
    assert.match(await page.textContent('#cpr-info'), /Født 12\.03\.1984/);
  });

  await test('press the all-departments citizen: five sources, five tiles, as each answers', async () => {
    await lookUp(page, METTE);
    await page.waitForSelector('#completeness[data-status=complete]');
    assert.equal(await page.locator('.gp-chip[data-status=ok]').count(), 5);
    assert.equal(await page.locator('.gp-tile[data-state=filled]').count(), 5);
    assert.equal(await page.getAttribute('.gp-tile[data-area=employment]', 'data-visibility'), 'full');
    assert.match(await page.textContent('.gp-tile[data-area=social]'), /Kun at der findes data her/);
    await assertCprNowhere(page, METTE);
    await shot(page, 'plate-1280');
    await axe(page, 'plate');
  });

  await test('press timing: first tile, last tile, and the overview\'s own latency', async () => {
    for (let i = 0; i < 5; i++) {
      await page.click('#ask-again');
      await page.waitForFunction(() => performance.getEntriesByName('gp-last-tile').length > 0);
      const m = await page.evaluate(() => {
        const p = performance.getEntriesByName('gp-press')[0].startTime;
        const f = performance.getEntriesByName('gp-first-tile')[0];
        const l = performance.getEntriesByName('gp-last-tile')[0];
        return { first_ms: f ? f.startTime - p : null, last_ms: l.startTime - p };
      });
      measurements.press.push(m);
      const o = await page.evaluate(async ([cpr, tok]) => {
        const t0 = performance.now();
        const r = await fetch(`/v1/citizens/${cpr}/overview?refresh=always`, { headers: { Authorization: `Bearer ${tok}` } });
        await r.json();
        return performance.now() - t0;
      }, [METTE, page.bearer]);
      measurements.overview_ms.push(o);
    }
    assert.ok(measurements.press.every((m) => m.first_ms !== null && m.first_ms <= m.last_ms));
  });

  await test('register a consent: the social tile opens; withdraw it: it closes', async () => {
    await page.click('.gp-tile[data-area=social] button');
    await page.waitForSelector('#consent-form');
    assert.equal(await page.isChecked('#consent-form input[value=social]'), true);
    // The server's field error, at the field
    await page.fill('#consent-form input[name=evidence_ref]', 'ESDH 2026-117');
    await page.fill('#consent-form input[name=valid_from]', '2026-06-01');
    await page.fill('#consent-form input[name=valid_until]', '2026-01-01');
    await page.click('#consent-form button[type=submit]');
    await page.waitForSelector('#consent-form .form-error .form-error-message:not([hidden])');
    await axe(page, 'sharing-with-field-error');
    await page.fill('#consent-form input[name=valid_until]', '');
    await page.fill('#consent-form input[name=valid_from]', '');
    await page.click('#consent-form button[type=submit]');
    await page.waitForSelector('#consent-list li');
    await tabTo(page, 'plate');
    await page.waitForSelector('#completeness[data-status=complete]');
    await page.waitForSelector('.gp-tile[data-area=social][data-visibility=full]');
    await page.evaluate(() => document.getElementById('citizen-h').scrollIntoView());
    await shot(page, 'plate-consent-1280');
    await page.evaluate(() => window.scrollTo(0, 0));
    await tabTo(page, 'sharing');
    await page.click('#consent-list li button');
    await page.waitForSelector('#consent-list li[data-status=withdrawn]');
    await tabTo(page, 'plate');
    await page.waitForSelector('.gp-tile[data-area=social][data-visibility=existence]');
  });

  await test('cases with filters and paging, recommendations, the access log', async () => {
    await tabTo(page, 'cases');
    await page.waitForSelector('#cases-table tbody tr');
    await page.selectOption('select[name=area]', 'employment');
    await page.waitForSelector('#cases-table caption');
    await page.click('#cases-next');
    await page.waitForSelector('#cases-table caption:has-text("Side 2")');
    await axe(page, 'cases');
    await tabTo(page, 'recs');
    await page.waitForSelector('.gp-recs, #panel p');
    await axe(page, 'recommendations');
    await tabTo(page, 'log');
    await page.waitForSelector('#log-table tbody tr');
    await axe(page, 'access-log');
  });

  await test('the colliding-efforts citizen: the timeline shows the collision', async () => {
    await lookUp(page, SOFIE);
    await tabTo(page, 'sharing');
    await page.click('#consents details summary');
    await page.click('#consent-form label:has-text("Voksen-social")');
    await page.click('#consent-form label:has-text("Regional sundhed")');
    await page.fill('#consent-form input[name=evidence_ref]', 'ESDH 2026-118');
    await page.click('#consent-form button[type=submit]');
    await page.waitForSelector('#consent-list li');
    await tabTo(page, 'timeline');
    await page.waitForSelector('#tl-svg');
    await page.waitForSelector('#tl-svg .gp-tl-collision');
    const items = await page.locator('#tl-collisions li').allTextContents();
    assert.ok(items.some((x) => /Døgnbehandling/.test(x) && /Kursus/.test(x) && /Virksomhedspraktik/.test(x)), items.join(' | '));
    await page.selectOption('#tl-zoom', '2026');
    await page.evaluate(() => document.getElementById('citizen-h').scrollIntoView());
    await shot(page, 'timeline-1280');
    await page.evaluate(() => window.scrollTo(0, 0));
    await axe(page, 'timeline');
    // Keyboard: the first event takes focus; arrows move
    await page.focus('#tl-svg g.gp-ev[tabindex="0"]');
    const before = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
    await page.keyboard.press('ArrowRight');
    const after = await page.evaluate(() => document.activeElement.getAttribute('aria-label'));
    assert.notEqual(before, after);
    await page.keyboard.press('Enter');
    assert.match(await page.textContent('#tl-details'), /Detaljer/);
    await page.click('#tl-toggle');
    assert.ok(await page.locator('#tl-table tbody tr').count() > 3);
    await axe(page, 'timeline-table');
    await page.click('#tl-toggle');
  });

  await test('at 390 px: the plate and the timeline', async () => {
    const narrow = await newPage(NARROW);
    await signInAt(narrow, 'caseworker-jobcentre');
    await lookUp(narrow, METTE);
    await narrow.waitForSelector('#completeness[data-status=complete]');
    const overflow = await narrow.evaluate(() => document.documentElement.scrollWidth - document.documentElement.clientWidth);
    assert.ok(overflow <= 0, `the page scrolls sideways by ${overflow} px`);
    await narrow.evaluate(() => document.getElementById('sources-h').scrollIntoView());
    await shot(narrow, 'plate-390');
    await axe(narrow, 'plate-390');
    await lookUp(narrow, SOFIE);
    await tabTo(narrow, 'timeline');
    await narrow.waitForSelector('#tl-svg .gp-tl-collision');
    await narrow.selectOption('#tl-zoom', '2026');
    await narrow.evaluate(() => document.querySelector('.gp-toolbar').scrollIntoView());
    await shot(narrow, 'timeline-390');
    await narrow.context().close();
  });

  await test('freeze one system: the partial banner, while the other four tiles fill', async () => {
    await lookUp(page, METTE);
    await control('PUT', '/faults/region', { hang: true });
    try {
      await page.click('#ask-again');
      // Four answer while the region hangs: their tiles fill, the region still waits
      await page.waitForFunction(() => document.querySelectorAll('.gp-chip[data-status=ok]').length === 4 &&
        document.querySelector('.gp-chip[data-source=region]')?.dataset.status === 'pending', null, { timeout: 5000 });
      assert.equal(await page.locator('.gp-tile[data-state=filled]').count(), 5);
      await shot(page, 'plate-waiting-1280');
      await page.waitForSelector('#partial-banner', { timeout: 10000 });
      measurements.frozen = await page.evaluate(() => {
        const p = performance.getEntriesByName('gp-press')[0].startTime;
        return {
          first_tile_ms: Math.round(performance.getEntriesByName('gp-first-tile')[0].startTime - p),
          last_tile_ms: Math.round(performance.getEntriesByName('gp-last-tile')[0].startTime - p),
        };
      });
      measurements.frozen.overview_ms = Math.round(await page.evaluate(async ([cpr, tok]) => {
        const t0 = performance.now();
        const r = await fetch(`/v1/citizens/${cpr}/overview?refresh=always`, { headers: { Authorization: `Bearer ${tok}` } });
        await r.json();
        return performance.now() - t0;
      }, [METTE, page.bearer]));
      assert.equal(await page.getAttribute('.gp-chip[data-source=region]', 'data-status'), 'timeout');
      assert.match(await page.textContent('#partial-banner'), /Regionen/);
      await shot(page, 'plate-partial-1280');
      await axe(page, 'plate-partial');
    } finally {
      await control('DELETE', '/faults');
    }
  });

  await test('the language switches to English and back', async () => {
    await page.click('.gp-lang');
    await page.waitForSelector('#tab-plate:has-text("Overview")');
    assert.equal(await page.getAttribute('html', 'lang'), 'en');
    await page.click('.gp-lang');
    await page.waitForSelector('#tab-plate:has-text("Overblik")');
  });

  await test('sign-out clears everything and ends the provider\'s session', async () => {
    await page.click('#sign-out');
    // RP-initiated logout: the provider asks, ends its session and sends the browser back
    await page.waitForURL(`${IDP}/session/end**`);
    await axe(page, 'provider-sign-out');
    await page.click('button[name=logout]');
    await page.waitForSelector('#signed-out');
    assert.equal(page.url(), `${BASE}/`);
    assert.equal(await page.locator('#citizen').count(), 0);
    assert.doesNotMatch(await page.content(), /120384|Karen Holm/);
    await assertNothingStored(page);
    // Signing in again asks for the password: a live provider session would send the page
    // straight back, signed in.
    await page.click('#sign-in-oidc');
    await page.waitForURL(`${IDP}/interaction/**`);
    await page.waitForSelector('input[name=password]');
  });
  await page.context().close();

  await test('a coordinator breaks the glass, with the server\'s field errors and a countdown', async () => {
    const p = await newPage(WIDE);
    await signInAt(p, 'coordinator');
    assert.match(await p.textContent('#user'), /Jens Bach.*Socialforvaltning/i);
    assert.equal(await p.inputValue('#purpose'), 'coordinated_effort');
    await lookUp(p, METTE);
    await tabTo(p, 'sharing');
    await p.click('#overrides summary');
    await p.fill('#override-form input[name=minutes]', '90');
    await p.fill('#override-form textarea[name=note]', 'Akut henvendelse fra borgerens læge');
    await p.click('#override-form button[type=submit]');
    await p.waitForSelector('#override-form .form-error .form-error-message:not([hidden])');
    await p.fill('#override-form input[name=minutes]', '2');
    await p.click('#override-form button[type=submit]');
    await p.waitForSelector('#override-left');
    const first = await p.textContent('#override-left');
    assert.match(first, /\d\d:\d\d/);
    await p.waitForTimeout(1500);
    const later = await p.textContent('#override-left');
    assert.notEqual(first, later, 'the countdown does not count');
    await axe(p, 'break-glass');
    await shot(p, 'break-glass-1280');
    await p.context().close();
  });

  await test('an analyst searches the CPR list', async () => {
    const p = await newPage(WIDE);
    await signInAt(p, 'analyst');
    await p.waitForSelector('#search-form');
    // DKFDS draws a checkbox's box where its input sits: beside its label, not in a corner
    const [box, lab] = [await p.locator('#ongoing').boundingBox(), await p.locator('label[for=ongoing]').boundingBox()];
    assert.ok(Math.abs(box.x - lab.x) < 8 && Math.abs(box.y - lab.y) < 24, `the box at ${box.x},${box.y}, its label at ${lab.x},${lab.y}`);
    await p.fill('#search-form input[name=min_areas]', '2');
    await p.click('#search-form button[type=submit]');
    await p.waitForSelector('#search-table tbody tr');
    assert.ok(await p.locator('#search-table tbody tr').count() > 0);
    await axe(p, 'cpr-list');
    await shot(p, 'cpr-list-1280');
    if (await p.isEnabled('#search-next')) {
      await p.click('#search-next');
      await p.waitForSelector('#search-results h2:has-text("Side 2")');
    }
    await p.context().close();
  });

  await test('a citizen signs in at the provider and sees her own data, and only hers', async () => {
    for (const [vp, name] of [[WIDE, 'citizen-1280'], [NARROW, 'citizen-390']]) {
      const p = await newPage(vp);
      const asked = [];
      p.on('request', (r) => {
        const u = new URL(r.url());
        if (u.origin === BASE && u.pathname.startsWith('/v1/')) asked.push(u.pathname);
      });
      await signInAt(p, 'citizen-mette');
      assert.equal(claims(p.bearer).cpr, METTE, 'the provider\'s token carries no CPR');
      assert.match(await p.textContent('#user'), /Mette Lund Sørensen/);
      await p.waitForSelector('#mine-plate .gp-tile');
      await p.waitForSelector('#mine-timeline #tl-svg');
      await p.waitForSelector('#mine-log #log-table tbody tr');
      await p.waitForSelector('#mine-sharing #consent-list');
      assert.equal(await p.locator('#cpr').count(), 0, 'a citizen is offered a CPR field');
      // The main landmark has focus after sign-in, with no frame round the whole page
      assert.equal(await p.evaluate(() => document.activeElement.id), 'main');
      assert.equal(await p.evaluate(() => getComputedStyle(document.activeElement).outlineStyle), 'none');
      // Who looked, and why: the caseworker and the coordinator of the tests above, by name
      // (her own look-ups left out), the coordinator's break-glass marked
      const log = await p.textContent('#mine-log tbody');
      assert.match(log, /Karen Holm/);
      assert.match(log, /Jens Bach/);
      assert.doesNotMatch(log, /Mette Lund Sørensen/);
      assert.ok(await p.locator('#mine-log tr.gp-row-glass').count() > 0, 'the break-glass is not marked');
      // The consent the caseworker registered and withdrew above
      assert.match(await p.textContent('#mine-sharing #consent-list'), /Tilbagekaldt/);
      // Every call the page made was about her
      assert.ok(asked.includes(`/v1/citizens/${METTE}/overview/stream`), asked.join(' '));
      const others = asked.filter((x) => x.startsWith('/v1/citizens/') && !x.startsWith(`/v1/citizens/${METTE}/`));
      assert.deepEqual(others, []);
      await axe(p, name);
      await shot(p, name);
      if (vp === WIDE) {
        // She blocks the family department's data herself, and withdraws the block again
        await p.click('#blocks details summary');
        await p.selectOption('#block-form select[name="scope.value"]', 'family');
        await p.click('#block-form button[type=submit]');
        await p.waitForSelector('#block-list li[data-status=active] button');
        await p.click('#block-list li[data-status=active] button');
        await p.waitForSelector('#block-list li[data-status=withdrawn]');
        // She gives her consent herself - digitally, for her rehabilitation, to the social
        // services' data - and withdraws it again; the form asks her no caseworker's questions
        await p.click('#consents details summary');
        assert.equal(await p.locator('#consent-form [name=evidence_ref]').count(), 0);
        assert.equal(await p.locator('#consent-form [name=form]').count(), 0);
        await p.selectOption('#consent-form select[name=purpose]', 'rehabilitation');
        await p.check('#consent-form input[value=social]');
        await p.click('#consent-form button[type=submit]');
        await p.waitForSelector('#consent-list li[data-status=active]');
        const mine = await p.textContent('#consent-list li[data-status=active]');
        assert.match(mine, /Rehabilitering/);
        assert.match(mine, /Digitalt/i);
        await axe(p, 'citizen-consent');
        await p.click('#consent-list li[data-status=active] button');
        await p.waitForFunction(() => !document.querySelector('#consent-list li[data-status=active]'));
        await p.evaluate(() => document.getElementById('mine-sharing').scrollIntoView());
        await shot(p, 'citizen-sharing-log-1280');
        // The page's own token, as it sent it: her data, and nobody else's
        const tok = p.bearer;
        const call = (path) => fetch(`${BASE}${path}`, { headers: { Authorization: `Bearer ${tok}` } });
        assert.equal((await call(`/v1/citizens/${METTE}/overview`)).status, 200);
        for (const path of [`/v1/citizens/${SOFIE}/overview`, `/v1/citizens/${SOFIE}/timeline`,
          `/v1/citizens/${SOFIE}/access-log`, `/v1/citizens/${SOFIE}/consents`,
          `/v1/citizens/${METTE}/recommendations`]) {
          const r = await call(path);
          assert.equal(r.status, 403, `${path} answered ${r.status} to the citizen`);
        }
      }
      await p.context().close();
    }
  });

  await test('the idle timeout signs out and clears the page', async () => {
    const p = await newPage(WIDE, { clock: true });
    await signInAt(p, 'caseworker-jobcentre');
    await lookUp(p, METTE);
    await p.clock.fastForward('16:00');
    await p.waitForSelector('#signed-out');
    assert.match(await p.textContent('#signed-out'), /15 minutter/);
    assert.equal(await p.locator('#citizen').count(), 0);
    await assertCprNowhere(p, METTE);
    await p.context().close();
  });

  await test('page weight: our JS and CSS within 150 KB; the design system counted apart', async () => {
    const html = await (await fetch(`${BASE}/`)).text();
    const build = html.match(/\/web\/([0-9a-f]{16})\//)[1];
    const root = path.resolve(path.dirname(new URL(import.meta.url).pathname), '../../web');
    let own = 0;
    const walk = (d) => {
      for (const f of fs.readdirSync(d, { withFileTypes: true })) {
        const p = path.join(d, f.name);
        if (f.isDirectory()) walk(p);
        else if (/\.(js|css)$/.test(f.name)) own += fs.statSync(p).size;
      }
    };
    walk(root);
    const p = await newPage(WIDE);
    const sizes = await p.evaluate(() => performance.getEntriesByType('resource').map((r) => ({ name: r.name, size: r.decodedBodySize })));
    const ds = sizes.filter((s) => s.name.includes('/dkfds/')).reduce((a, s) => a + s.size, 0);
    const mine = sizes.filter((s) => !s.name.includes('/dkfds/') && s.name.includes(`/web/${build}/`)).reduce((a, s) => a + s.size, 0);
    measurements.page_weight = { own_js_css_files_bytes: own, own_loaded_bytes: mine, design_system_loaded_bytes: ds };
    await p.context().close();
    assert.ok(own <= 150 * 1024, `our JS and CSS weigh ${own} bytes`);
  });

  await browser.close();
  const med = (a) => { const s = [...a].sort((x, y) => x - y); return s[Math.floor(s.length / 2)]; };
  if (measurements.press.length) {
    measurements.summary = {
      first_tile_median_ms: Math.round(med(measurements.press.map((m) => m.first_ms))),
      last_tile_median_ms: Math.round(med(measurements.press.map((m) => m.last_ms))),
      overview_median_ms: Math.round(med(measurements.overview_ms)),
    };
    measurements.summary.first_ratio = +(measurements.summary.first_tile_median_ms / measurements.summary.overview_median_ms).toFixed(2);
    measurements.summary.last_ratio = +(measurements.summary.last_tile_median_ms / measurements.summary.overview_median_ms).toFixed(2);
  }
  fs.writeFileSync(path.join(SHOTS, 'measurements.json'), `${JSON.stringify(measurements, null, 2)}\n`);
  console.log(`measurements: ${JSON.stringify(measurements.summary || {})} frozen ${JSON.stringify(measurements.frozen || {})} weight ${JSON.stringify(measurements.page_weight)}`);
  const passed = results.filter((r) => r.ok).length;
  console.log(`${passed} passed, ${results.length - passed} failed`);
  process.exit(passed === results.length ? 0 : 1);
}

main().catch(async (e) => {
  console.log(`FAIL setup: ${e.stack || e.message}`);
  if (browser) await browser.close();
  console.log(`0 passed, 1 failed`);
  process.exit(1);
});
