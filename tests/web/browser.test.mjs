// The page in a real browser: playwright-core driving Debian's chromium against the real
// stack tests/web/run.sh starts (server, deptsim, PostgreSQL), axe-core on every page.
// Sign-in is by access key until the OpenID provider runs in the tests (see web/js/auth.js).
// Prints one line per test and, last, "N passed, N failed". Screenshots and measurements go
// to GP_WEB_SHOTS.
import { chromium } from 'playwright-core';
import AxeBuilder from '@axe-core/playwright';
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';

const env = process.env;
const BASE = env.GP_WEB_URL;
const SHOTS = env.GP_WEB_SHOTS;
const CONTROL = env.GP_WEB_SIM_CONTROL;
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
  if (opts.clock) await page.clock.install();
  if (opts.route) await opts.route(page);
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

async function signIn(page, token) {
  await page.fill('#access-key', token);
  await page.click('#key-form button[type=submit]');
  await page.waitForSelector('#sign-out');
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

  const page = await newPage(WIDE);
  await test('sign-in page: access key refused, then accepted as a job-centre caseworker', async () => {
    await axe(page, 'sign-in');
    await page.fill('#access-key', 'gpt_not_a_key');
    await page.click('#key-form button[type=submit]');
    await page.waitForSelector('#key-error:not([hidden])');
    await signIn(page, env.GP_WEB_TOKEN_CASEWORKER);
    assert.match(await page.textContent('#user'), /Jobcenter/);
    assert.equal(await page.inputValue('#purpose'), 'rehabilitation');
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
      }, [METTE, env.GP_WEB_TOKEN_CASEWORKER]);
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
    await signIn(narrow, env.GP_WEB_TOKEN_CASEWORKER);
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
      }, [METTE, env.GP_WEB_TOKEN_CASEWORKER]));
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

  await test('sign-out clears everything', async () => {
    await page.click('#sign-out');
    await page.waitForSelector('#signed-out');
    assert.equal(await page.locator('#citizen').count(), 0);
    assert.doesNotMatch(await page.content(), /120384|Jobcenter, demo/);
  });
  await page.context().close();

  await test('a coordinator breaks the glass, with the server\'s field errors and a countdown', async () => {
    const p = await newPage(WIDE);
    await signIn(p, env.GP_WEB_TOKEN_COORDINATOR);
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
    await signIn(p, env.GP_WEB_TOKEN_ANALYST);
    await p.waitForSelector('#search-form');
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

  await test('the citizen\'s page (role citizen simulated: /v1/me answered as a citizen)', async () => {
    // Until the citizen role exists (issue 13), /v1/me is answered here as it will be for a
    // citizen; every other call goes to the real server with the caseworker's key. This
    // proves the page's shape, not the server's policy for citizens.
    for (const [vp, name] of [[WIDE, 'citizen-1280'], [NARROW, 'citizen-390']]) {
      const p = await newPage(vp, {
        route: (pg) => pg.route('**/v1/me', (r) => r.fulfill({
          status: 200, contentType: 'application/json',
          body: JSON.stringify({ client_id: 99, name: 'Mette Lund Sørensen', role: 'citizen', department: null, default_purpose: null, purposes: [], cpr: METTE }),
        })),
      });
      await signIn(p, env.GP_WEB_TOKEN_CASEWORKER);
      await p.waitForSelector('#mine-plate .gp-tile');
      await p.waitForSelector('#mine-timeline #tl-svg');
      await p.waitForSelector('#mine-log #log-table tbody tr');
      await axe(p, name);
      await shot(p, name);
      await p.context().close();
    }
  });

  await test('the idle timeout signs out and clears the page', async () => {
    const p = await newPage(WIDE, { clock: true });
    await signIn(p, env.GP_WEB_TOKEN_CASEWORKER);
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
