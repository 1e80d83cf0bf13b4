// The page: sign-in, then the view of the signed-in role — the caseworker's (and
// coordinator's) CPR button with plate, timeline, cases, recommendations, consents and the
// access log; the analyst's CPR list; the citizen's own page. The CPR lives in this module's
// memory only: never in the address bar, the history, the title or any storage.
import { h, replace, announce } from './dom.js';
import { t, label, setLang, getLang, onLang, fmtDate, fmtCpr } from './i18n.js';
import * as auth from './auth.js';
import { api, setPurpose, getPurpose, onAuthLost, cprPath, streamOverview, ApiError } from './api.js';
import { parseCpr } from './cpr.js';
import { drawPlate } from './plate.js';
import { drawTimeline } from './timeline.js';
import { mountCases, mountRecs, mountSharing, mountLog, mountSearch, errorBox, stopCountdown } from './views.js';

const main = document.getElementById('main');
const userNav = document.getElementById('user');
let config = { oidc: null };
let me = null; // GET /v1/me
let signOutReason = null;
let view = null; // {cpr, citizen, overview, tab, ...}
let streamAbort = null;

// ---- header ----

function drawHeader() {
  document.getElementById('skip').textContent = t('skip');
  const langBtn = h('button', {
    type: 'button', class: 'button button-unstyled gp-lang', lang: getLang() === 'da' ? 'en' : 'da',
    'aria-label': t('lang_switch_label'), onclick: () => setLang(getLang() === 'da' ? 'en' : 'da'),
  }, t('lang_switch'));
  if (!me) {
    replace(userNav, langBtn);
    return;
  }
  const purposes = me.purposes || [];
  const sel = purposes.length ? h('select', {
    class: 'form-select gp-inline-select', id: 'purpose',
    onchange: (e) => { setPurpose(e.target.value); if (view && view.cpr) press('auto'); },
  }, purposes.map((p) => h('option', { value: p, selected: p === getPurpose() }, label('purpose', p)))) : null;
  replace(userNav,
    h('span', { class: 'gp-who' }, h('span', { class: 'sr-only' }, `${t('signed_in_as')} `),
      h('strong', {}, me.name), ` · ${label('role', me.role)}`, me.department ? ` · ${label('dept', me.department)}` : ''),
    sel ? h('span', { class: 'gp-purpose' }, h('label', { for: 'purpose', class: 'gp-inline-label' }, `${t('purpose')}:`), sel) : null,
    langBtn,
    h('button', { type: 'button', class: 'button button-secondary gp-small', id: 'sign-out', onclick: () => auth.signOut() }, t('sign_out')));
}

// ---- sign-in ----

function drawSignIn(message) {
  document.title = `${t('sign_in_title')} · Glasplade`;
  const keyInput = h('input', { class: 'form-input', type: 'password', id: 'access-key', name: 'key', autocomplete: 'off', spellcheck: 'false', 'aria-describedby': 'key-hint key-error' });
  const keyErr = h('span', { class: 'form-error-message', id: 'key-error', hidden: true });
  const keyGroup = h('div', { class: 'form-group' },
    h('label', { class: 'form-label', for: 'access-key' }, t('key_label')),
    h('span', { class: 'form-hint', id: 'key-hint' }, t('sign_in_key_help')), keyErr, keyInput);
  const form = h('form', { id: 'key-form', novalidate: true }, keyGroup,
    h('button', { type: 'submit', class: 'button button-secondary' }, t('sign_in_key')));
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    try {
      me = await auth.signInWithKey(keyInput.value, () => api('/v1/me', { noPurpose: true }));
      keyInput.value = '';
      started();
    } catch (err) {
      keyGroup.classList.add('form-error');
      keyErr.hidden = false;
      keyErr.textContent = err.message === 'key_required' ? t('key_required') : t('key_invalid');
      keyInput.setAttribute('aria-invalid', 'true');
      keyInput.focus();
    }
  });
  replace(main,
    h('h1', {}, t('sign_in_title')),
    message ? h('div', { class: 'alert alert-info', role: 'status', id: 'signed-out' }, h('div', { class: 'alert-body' }, h('p', { class: 'alert-text' }, message))) : null,
    h('section', { class: 'gp-card', 'aria-labelledby': 'idp-h' },
      h('h2', { class: 'h4', id: 'idp-h' }, t('sign_in_idp')),
      config.oidc
        ? [h('p', {}, t('sign_in_idp_help')), h('button', {
          type: 'button', class: 'button button-primary', id: 'sign-in-oidc',
          onclick: () => auth.beginOidc(config.oidc).catch((err) => drawSignIn(t('oidc_failed', { why: err.message }))),
        }, t('sign_in_idp'))]
        : h('p', { class: 'gp-muted' }, t('sign_in_idp_none'))),
    h('section', { class: 'gp-card', 'aria-labelledby': 'key-h' },
      h('h2', { class: 'h4', id: 'key-h' }, t('sign_in_key')), form));
}

auth.onSessionEnd((why) => {
  // Everything the page showed goes with the session.
  me = null;
  view = null;
  if (streamAbort) streamAbort.abort();
  stopCountdown();
  setPurpose(null);
  signOutReason = why === 'idle' ? t('signed_out_idle', { min: auth.idleMinutes() })
    : why === 'expired' ? t('signed_out_expired') : t('signed_out');
  drawHeader();
  drawSignIn(signOutReason);
});
onAuthLost(() => { if (me) auth.signOut(); });

function started() {
  setPurpose(me.default_purpose || (me.purposes || [])[0] || null);
  drawHeader();
  route();
}

function route() {
  if (me.role === 'citizen') drawMine();
  else if (me.role === 'analyst') { document.title = `${t('tab_search')} · Glasplade`; mountSearch(main); }
  else if (me.role === 'caseworker' || me.role === 'coordinator') drawCaseworker();
  else replace(main, h('p', {}, label('role', me.role)));
  main.focus();
}

// ---- the caseworker ----

function cprForm() {
  const inputEl = h('input', {
    class: 'form-input input-width-m', id: 'cpr', name: 'cpr', type: 'text', inputmode: 'numeric',
    autocomplete: 'off', spellcheck: 'false', maxlength: 11, 'aria-describedby': 'cpr-hint cpr-error cpr-info',
  });
  const err = h('span', { class: 'form-error-message', id: 'cpr-error', hidden: true });
  const info = h('span', { class: 'form-hint', id: 'cpr-info', 'aria-live': 'polite' });
  const group = h('div', { class: 'form-group gp-cpr-group' },
    h('label', { class: 'form-label', for: 'cpr' }, t('cpr_label')),
    h('span', { class: 'form-hint', id: 'cpr-hint' }, t('cpr_hint')), err,
    h('div', { class: 'gp-cpr-row' }, inputEl, h('button', { type: 'submit', class: 'button button-primary', id: 'press' }, t('press'))), info);
  const showErr = (key, text) => {
    group.classList.toggle('form-error', !!key);
    err.hidden = !key;
    err.textContent = key ? (text || t(key)) : '';
    if (key) inputEl.setAttribute('aria-invalid', 'true');
    else inputEl.removeAttribute('aria-invalid');
  };
  inputEl.addEventListener('input', () => {
    const r = parseCpr(inputEl.value);
    // As typed: say what is wrong as soon as more typing cannot mend it.
    showErr(!r.ok && !r.partial ? r.error : null);
    info.textContent = r.ok ? t('cpr_ok', { date: fmtDate(r.birth), age: ageOf(r.birth), sex: t(r.female ? 'sex_female' : 'sex_male') }) : '';
  });
  const form = h('form', { id: 'cpr-form', novalidate: true, autocomplete: 'off' }, group);
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    const r = parseCpr(inputEl.value);
    if (!r.ok) { showErr(r.error); inputEl.focus(); return; }
    showErr(null);
    open(r.digits, (key, text) => showErr(key, text));
  });
  return form;
}

function ageOf(birth) {
  const now = new Date();
  const b = new Date(`${birth}T00:00:00`);
  let a = now.getFullYear() - b.getFullYear();
  if (now.getMonth() < b.getMonth() || (now.getMonth() === b.getMonth() && now.getDate() < b.getDate())) a -= 1;
  return a;
}

const TABS = ['plate', 'timeline', 'cases', 'recs', 'sharing', 'log'];

function drawCaseworker() {
  document.title = 'Glasplade';
  view = { cpr: null, tab: 'plate' };
  replace(main, h('h1', { class: 'sr-only' }, 'Glasplade'), cprForm(), h('div', { id: 'citizen' }));
}

async function open(cpr, showErr) {
  const box = document.getElementById('citizen');
  view = { cpr, tab: 'plate', ctx: {} };
  let citizen;
  try {
    citizen = await api(cprPath(cpr));
  } catch (e) {
    if (e instanceof ApiError && e.fields.some((f) => f.field === 'cpr')) {
      showErr('x', e.fields.find((f) => f.field === 'cpr').reason);
      return;
    }
    replace(box, errorBox(e));
    return;
  }
  view.citizen = citizen;
  const panel = h('div', { id: 'panel', class: 'gp-panel', role: 'tabpanel', tabindex: '-1' });
  const tabs = h('div', { class: 'gp-tabs', role: 'tablist', 'aria-label': t('tabs_label') },
    TABS.map((k) => h('button', {
      type: 'button', role: 'tab', id: `tab-${k}`, class: 'gp-tab', 'aria-selected': String(k === view.tab),
      'aria-controls': 'panel', tabindex: k === view.tab ? '0' : '-1',
      onclick: () => show(k),
      onkeydown: (e) => {
        const i = TABS.indexOf(k);
        let j = null;
        if (e.key === 'ArrowRight') j = (i + 1) % TABS.length;
        else if (e.key === 'ArrowLeft') j = (i + TABS.length - 1) % TABS.length;
        if (j !== null) { e.preventDefault(); show(TABS[j]); document.getElementById(`tab-${TABS[j]}`).focus(); }
      },
    }, t(`tab_${k}`))));
  replace(box,
    h('section', { class: 'gp-citizen', 'aria-labelledby': 'citizen-h' },
      h('h2', { class: 'h3', id: 'citizen-h' }, `${t('citizen')} ${fmtCpr(cpr)}`,
        h('span', { class: 'gp-muted gp-small-text' }, ` · ${t('cpr_ok', { date: fmtDate(citizen.birth_date), age: citizen.age, sex: t(citizen.sex === 'female' ? 'sex_female' : 'sex_male') })}`)),
      h('div', { class: 'gp-actions' }, h('button', {
        type: 'button', class: 'button button-secondary gp-small', id: 'ask-again', title: t('ask_again_help'),
        onclick: () => press('always'),
      }, t('ask_again')))),
    tabs, panel);
  view.panel = panel;
  show('plate');
}

function show(tab) {
  if (!view || !view.panel) return;
  view.tab = tab;
  for (const k of TABS) {
    const b = document.getElementById(`tab-${k}`);
    b.setAttribute('aria-selected', String(k === tab));
    b.tabIndex = k === tab ? 0 : -1;
  }
  view.panel.setAttribute('aria-labelledby', `tab-${tab}`);
  const ctx = {
    cpr: view.cpr, role: me.role, purpose: getPurpose, lang: getLang,
    changed: () => { view.stale = true; },
    jumpTo: (id) => jumpTo(id), preselect: view.preselect, highlight: view.highlight,
  };
  if (tab === 'plate') {
    if (view.overview && !view.stale) drawPlateNow();
    else press('auto');
  } else if (tab === 'timeline') loadTimeline();
  else if (tab === 'cases') mountCases(view.panel, ctx);
  else if (tab === 'recs') mountRecs(view.panel, ctx);
  else if (tab === 'sharing') { mountSharing(view.panel, ctx); view.preselect = null; }
  else if (tab === 'log') mountLog(view.panel, ctx);
}

function plateCtx() {
  return {
    lang: getLang, canConsent: true,
    onAskAgain: () => press('always'),
    onConsent: (area) => { view.preselect = area; show('sharing'); },
  };
}

function drawPlateNow() {
  if (view.tab === 'plate' && view.overview) drawPlate(view.panel, view.overview, plateCtx());
}

// The CPR button: the streamed press; the plate is drawn again as each source answers.
async function press(refresh) {
  if (!view || !view.cpr) return;
  if (streamAbort) streamAbort.abort();
  const ac = new AbortController();
  streamAbort = ac;
  view.stale = false;
  if (view.tab !== 'plate') show('plate');
  performance.clearMarks();
  performance.mark('gp-press');
  let firstTile = false;
  try {
    const last = await streamOverview(view.cpr, refresh, (line) => {
      if (ac.signal.aborted) return;
      view.overview = line.overview;
      drawPlateNow();
      if (!firstTile && (line.overview.areas || []).length && line.settled.length) {
        firstTile = true;
        performance.mark('gp-first-tile');
      }
      if (line.event === 'overview') {
        performance.mark('gp-last-tile');
        announce(t('completeness', line.overview.completeness ? { a: line.overview.completeness.answered, n: line.overview.completeness.asked } : { a: 0, n: 0 }));
      }
    }, ac.signal);
    void last;
  } catch (e) {
    if (e.name === 'AbortError') return;
    if (view && view.panel) replace(view.panel, errorBox(e));
  }
}

async function loadTimeline() {
  replace(view.panel, h('p', { class: 'gp-muted' }, t('loading')));
  try {
    const [tl, recs] = await Promise.all([
      api(`${cprPath(view.cpr)}/timeline`),
      api(`${cprPath(view.cpr)}/recommendations`).catch(() => null),
    ]);
    view.timeline = tl;
    view.tlctx = view.tlctx || {};
    view.tlctx.recs = recs ? recs.recommendations : null;
    drawTimeline(view.panel, tl, view.tlctx);
    if (view.focusRecord) {
      const svg = document.getElementById('tl-svg');
      if (!(svg && svg.focusRecord && svg.focusRecord(view.focusRecord))) {
        view.highlight = view.focusRecord;
        view.focusRecord = null;
        show('cases');
        return;
      }
      view.focusRecord = null;
    }
  } catch (e) {
    replace(view.panel, errorBox(e));
  }
}

function jumpTo(id) {
  view.focusRecord = id;
  show('timeline');
  document.getElementById('tab-timeline').setAttribute('aria-selected', 'true');
}

// ---- the citizen's own page ----

async function drawMine() {
  document.title = `${t('mine_title')} · Glasplade`;
  const cpr = me.cpr;
  const held = h('section', { id: 'mine-held', 'aria-labelledby': 'mine-held-h' });
  const tl = h('section', { id: 'mine-timeline' });
  const log = h('section', { id: 'mine-log' });
  const sharing = h('section', { id: 'mine-sharing', 'aria-labelledby': 'mine-sharing-h' });
  replace(main, h('h1', {}, t('mine_title')), h('p', {}, t('mine_intro')), held, tl, sharing, log);
  view = { cpr, tab: 'mine', panel: held };
  const ctx = { cpr, role: 'citizen', purpose: getPurpose, lang: getLang, changed: () => drawMine(), jumpTo: () => {} };
  try {
    const last = await streamOverview(cpr, 'auto', () => {});
    replace(held, h('h2', { class: 'h3', id: 'mine-held-h' }, t('mine_held')), h('div', { id: 'mine-plate' }));
    drawPlate(held.querySelector('#mine-plate'), last.overview, { lang: getLang, canConsent: false, citizen: true, onAskAgain: () => drawMine() });
    const timeline = await api(`${cprPath(cpr)}/timeline`);
    drawTimeline(tl, timeline, {});
  } catch (e) {
    replace(held, errorBox(e));
  }
  const sh = h('div');
  replace(sharing, h('h2', { class: 'h3', id: 'mine-sharing-h' }, t('mine_sharing')), sh);
  mountSharing(sh, ctx);
  mountLog(log, ctx, { title: t('mine_log'), others: true });
}

// ---- boot ----

onLang(() => {
  drawHeader();
  if (!me) drawSignIn(signOutReason);
  else if (view && view.cpr && me.role !== 'citizen') {
    const box = document.getElementById('citizen');
    const cpr = view.cpr;
    const tab = view.tab;
    drawCaseworker();
    const input = document.getElementById('cpr');
    input.value = fmtCpr(cpr);
    open(cpr, () => {}).then(() => { if (tab !== 'plate') show(tab); });
    void box;
  } else route();
});

async function boot() {
  try {
    const r = await fetch('/web/config.json', { credentials: 'omit', cache: 'no-store' });
    config = await r.json();
  } catch {
    config = { oidc: null };
  }
  if (config.idle_timeout_s) auth.setIdleTimeout(config.idle_timeout_s * 1000);
  const langParam = new URLSearchParams(location.search).get('lang');
  setLang(langParam === 'en' ? 'en' : 'da');
  if (auth.returnedFromSignOut()) signOutReason = t('signed_out');
  try {
    if (await auth.completeOidc(config.oidc)) {
      me = await api('/v1/me', { noPurpose: true });
      started();
      return;
    }
  } catch (e) {
    drawHeader();
    drawSignIn(t('oidc_failed', { why: e.message }));
    return;
  }
  drawHeader();
  drawSignIn(signOutReason);
}

boot();
