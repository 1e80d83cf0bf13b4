// The citizen's other views: cases, recommendations, consents/blocks/break-glass, the access
// log, the analyst's CPR list, and the citizen's own page.
import { h, replace, announce } from './dom.js';
import { t, label, fmtDate, fmtDateTime, fmtCpr, getLang } from './i18n.js';
import { api, cprPath, ApiError } from './api.js';
import { field, checkboxes, select, input, showErrors, clearErrors, formValues, note } from './forms.js';

export const AREAS = ['employment', 'social', 'family', 'health_municipal', 'health_regional'];
// What a citizen may consent to sharing for: her rehabilitation, a coordinated effort.
const CITIZEN_PURPOSES = ['rehabilitation', 'coordinated_effort'];
export const DEPARTMENTS = ['job_centre', 'social_services', 'family', 'municipal_health', 'region'];

export function errorBox(err) {
  const why = err instanceof ApiError && err.status === 0 ? t('network_error') : err.message;
  return h('div', { class: 'alert alert-error', role: 'alert' },
    h('div', { class: 'alert-body' }, h('p', { class: 'alert-text' }, t('error', { why }))));
}

function loc(x) {
  if (!x) return '';
  if (typeof x === 'string') return x;
  return getLang() === 'en' ? (x.en || x.da) : (x.da || x.en);
}

function ctLabel(ct) {
  return ct ? (getLang() === 'en' ? ct.label_en : ct.label_da) : '';
}

// ---- cases: filters and cursor paging ----

export function mountCases(el, ctx) {
  const st = { area: '', status: '', cursors: [null], page: 0 };
  const list = h('div', { id: 'cases-list' });
  const form = h('form', { class: 'gp-filters', onsubmit: (e) => { e.preventDefault(); st.cursors = [null]; st.page = 0; load(); } },
    field({ label: t('filter_area'), control: select({ name: 'area', options: [{ value: '', label: t('all') }, ...AREAS.map((a) => ({ value: a, label: label('area', a) }))] }) }),
    field({ label: t('filter_status'), control: select({ name: 'status', options: [{ value: '', label: t('all') }, ...['open', 'planned', 'closed'].map((s) => ({ value: s, label: label('rstatus', s) }))] }) }),
    h('button', { type: 'submit', class: 'button button-secondary gp-small' }, t('search')));
  form.addEventListener('change', () => form.requestSubmit());
  async function load() {
    const v = formValues(form);
    const q = new URLSearchParams({ limit: '10' });
    if (v.area) q.set('area', v.area);
    if (v.status) q.set('status', v.status);
    if (st.cursors[st.page]) q.set('cursor', st.cursors[st.page]);
    replace(list, h('p', { class: 'gp-muted' }, t('loading')));
    try {
      const r = await api(`${cprPath(ctx.cpr)}/cases?${q}`);
      st.cursors[st.page + 1] = r.next_cursor;
      replace(list,
        h('div', { class: 'table--responsive-scroll', tabindex: '0' }, h('table', { class: 'table table--compact', id: 'cases-table' },
          h('caption', {}, `${t('cases_title')} · ${t('page_n', { n: st.page + 1 })}`),
          h('thead', {}, h('tr', {}, [t('case_type'), t('area'), t('status'), t('period'), t('legal_basis'), t('caseworker')].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, r.cases.length ? r.cases.map((c) => h('tr', { id: `case-${c.id}`, dataset: { record: c.id }, tabindex: '-1' },
            h('td', {}, c.title && c.visibility === 'full' ? `${ctLabel(c.case_type)} – ${c.title}` : ctLabel(c.case_type)),
            h('td', {}, label('area', c.area)), h('td', {}, label('rstatus', c.status)),
            h('td', {}, `${fmtDate(c.start_date)}${c.end_date ? `–${fmtDate(c.end_date)}` : ''}`),
            h('td', {}, c.legal_basis || ''),
            h('td', {}, c.caseworker ? `${c.caseworker.name || ''}${c.caseworker.contact ? `, ${c.caseworker.contact}` : ''}` : '')))
            : h('tr', {}, h('td', { colspan: 6 }, t('none')))))),
        r.existence && r.existence.length ? h('p', { class: 'gp-muted' }, t('existence_areas', { areas: r.existence.map((a) => label('area', a)).join(', ') })) : null,
        h('div', { class: 'gp-pager' },
          h('button', { type: 'button', class: 'button button-secondary gp-small', disabled: st.page === 0, onclick: () => { st.page -= 1; load(); } }, t('prev_page')),
          h('button', { type: 'button', class: 'button button-secondary gp-small', id: 'cases-next', disabled: !r.next_cursor, onclick: () => { st.page += 1; load(); } }, t('next_page'))));
      if (ctx.highlight) {
        const row = list.querySelector(`[data-record="${ctx.highlight}"]`);
        if (row) { row.classList.add('gp-highlight'); row.focus(); }
        ctx.highlight = null;
      }
    } catch (e) {
      replace(list, errorBox(e));
    }
  }
  replace(el, h('h2', { class: 'h3' }, t('cases_title')), form, list);
  load();
}

// ---- recommendations: evidence links jump to the event ----

export async function mountRecs(el, ctx) {
  replace(el, h('h2', { class: 'h3' }, t('recs_title')), h('p', { class: 'gp-muted' }, t('loading')));
  try {
    const r = await api(`${cprPath(ctx.cpr)}/recommendations`);
    replace(el, h('h2', { class: 'h3' }, t('recs_title')),
      r.recommendations.length ? h('ul', { class: 'gp-recs nobullet-list' }, r.recommendations.map((x) => h('li', { class: `gp-rec gp-rec--${x.priority}` },
        h('h3', { class: 'h5' }, loc(x.title)),
        h('p', { class: 'gp-small-text' }, h('strong', {}, t(`priority_${x.priority}`)),
          x.area ? ` · ${label('area', x.area)}` : '', x.department ? ` · ${label('dept', x.department)}` : ''),
        h('p', {}, loc(x.reason)),
        x.evidence && x.evidence.length ? h('p', { class: 'gp-small-text' }, `${t('evidence')}: `,
          x.evidence.map((id, i) => [i ? ', ' : '', h('a', {
            href: '#', class: 'gp-evidence', dataset: { record: id },
            onclick: (e) => { e.preventDefault(); ctx.jumpTo(id); },
          }, t('evidence_link', { id }))])) : null)))
        : h('p', {}, t('none')));
  } catch (e) {
    replace(el, errorBox(e));
  }
}

// ---- consents, blocks, break-glass ----

function statusText(x) {
  return x.status === 'withdrawn' || x.withdrawn_at ? t('withdrawn') : (x.status || t('active'));
}

function ruleRow(kind, x, ctx, describe) {
  const active = !(x.status === 'withdrawn' || x.withdrawn_at || x.status === 'expired');
  return h('li', { class: 'gp-rule', dataset: { id: x.id, status: x.status || '' } },
    h('p', {}, h('strong', {}, describe(x)), ` · ${statusText(x)}`,
      x.valid_from ? ` · ${t('valid_from')} ${fmtDate(x.valid_from)}` : '',
      x.valid_until ? ` · ${t('valid_until')} ${fmtDate(x.valid_until)}` : ''),
    active && ctx.canWithdraw ? h('button', {
      type: 'button', class: 'button button-secondary gp-small', 'aria-label': `${t('withdraw')}: ${describe(x)}`,
      onclick: async (e) => {
        e.target.disabled = true;
        try {
          await api(`/v1/${kind}/${x.id}/withdraw`, { method: 'POST', body: { reason: t('withdraw_reason') } });
          announce(t('withdrawn'));
          ctx.changed();
        } catch (err) {
          e.target.disabled = false;
          e.target.after(errorBox(err));
        }
      },
    }, t('withdraw')) : null);
}

const consentText = (x) => `${label('purpose', x.purpose)}: ${(x.scope?.areas || []).map((a) => label('area', a)).join(', ')}${x.form ? ` (${label('form', x.form)})` : ''}`;
const blockText = (x) => {
  const s = x.scope || {};
  const v = s.kind === 'area' ? label('area', s.value) : s.kind === 'department' ? label('dept', s.value) : s.value;
  return `${label('kind', s.kind)}: ${v || '—'}`;
};

export async function mountSharing(el, ctx) {
  const consents = h('div', { id: 'consents' });
  const blocks = h('div', { id: 'blocks' });
  const overrides = h('div', { id: 'overrides' });
  replace(el, consents, blocks, ctx.role === 'coordinator' ? overrides : null);
  const base = cprPath(ctx.cpr);
  const changed = () => { ctx.changed(); mountSharing(el, ctx); };
  const rctx = { canWithdraw: true, changed };
  try {
    const [c, b] = await Promise.all([api(`${base}/consents`), api(`${base}/blocks`)]);
    // Consents
    // A citizen gives her own consent, digitally (the only form hers may have), and says what
    // for; a caseworker records one on her behalf, for the purpose chosen in the header, with
    // where the signed form is kept (written) or how she gave it (oral).
    const citizen = ctx.role === 'citizen';
    const cform = h('form', { class: 'gp-form', id: 'consent-form', novalidate: true });
    cform.append(...[
      citizen ? field({ label: t('consent_purpose'), hint: t('consent_purpose_hint'), name: 'purpose', control: select({ name: 'purpose', options: CITIZEN_PURPOSES.map((p) => ({ value: p, label: label('purpose', p) })) }) }) : null,
      checkboxes({ legend: t('consent_areas'), name: 'scope.areas', values: AREAS.map((a) => ({ value: a, label: label('area', a) })), checked: ctx.preselect ? [ctx.preselect] : [] }),
      citizen ? null : field({ label: t('consent_form'), name: 'form', control: select({ name: 'form', options: ['written', 'oral', 'digital'].map((f) => ({ value: f, label: label('form', f) })) }) }),
      citizen ? null : field({ label: t('evidence_ref'), hint: t('evidence_ref_hint'), name: 'evidence_ref', control: input({ type: 'text', name: 'evidence_ref' }) }),
      citizen ? null : field({ label: t('consent_note'), hint: t('consent_note_hint'), name: 'note', control: input({ type: 'text', name: 'note' }) }),
      field({ label: `${t('valid_from')} ${t('optional')}`, name: 'valid_from', control: input({ type: 'date', name: 'valid_from' }) }),
      field({ label: `${t('valid_until')} ${t('optional')}`, name: 'valid_until', control: input({ type: 'date', name: 'valid_until' }) }),
      h('button', { type: 'submit', class: 'button button-primary' }, t('save'))].filter(Boolean));
    const cnote = h('div');
    cform.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(cform);
      const v = formValues(cform);
      const body = citizen
        ? { purpose: v.purpose, scope: { areas: v['scope.areas'] }, form: 'digital' }
        : { purpose: ctx.purpose(), scope: { areas: v['scope.areas'] }, form: v.form };
      if (v.evidence_ref) body.evidence_ref = v.evidence_ref;
      if (v.note) body.note = v.note;
      if (v.valid_from) body.valid_from = v.valid_from;
      if (v.valid_until) body.valid_until = v.valid_until;
      try {
        await api(`${base}/consents`, { method: 'POST', body });
        ctx.preselect = null;
        announce(t('saved'));
        changed();
      } catch (err) {
        showErrors(cform, err);
      }
    });
    replace(consents, h('h2', { class: 'h3' }, t('consents_title')),
      c.consents.length ? h('ul', { class: 'nobullet-list gp-rules', id: 'consent-list' }, c.consents.map((x) => ruleRow('consents', x, rctx, consentText))) : h('p', { id: 'consent-list' }, t('none')),
      h('details', { class: 'gp-details', open: !!ctx.preselect }, h('summary', {}, t('new_consent')), cnote, cform));
    if (ctx.preselect) cform.querySelector('input:checked')?.focus();
    // Blocks
    const bform = h('form', { class: 'gp-form', id: 'block-form', novalidate: true });
    const valueSel = select({ name: 'scope.value', options: AREAS.map((a) => ({ value: a, label: label('area', a) })) });
    const kindSel = select({ name: 'scope.kind', options: ['area', 'department', 'case_type'].map((k) => ({ value: k, label: label('kind', k) })) });
    const caseInput = input({ type: 'text', name: 'scope.value', autocomplete: 'off' });
    const valueGroup = field({ label: t('block_value'), name: 'value', control: valueSel });
    kindSel.addEventListener('change', () => {
      const k = kindSel.value;
      const ctl = k === 'case_type' ? caseInput : valueSel;
      if (k !== 'case_type') replace(valueSel, (k === 'area' ? AREAS : DEPARTMENTS).map((v) => h('option', { value: v }, label(k === 'area' ? 'area' : 'dept', v))));
      const old = valueGroup.querySelector('select, input');
      if (old !== ctl) { ctl.id = old.id; ctl.setAttribute('aria-describedby', old.getAttribute('aria-describedby')); old.replaceWith(ctl); }
    });
    bform.append(
      field({ label: t('block_kind'), name: 'kind', control: kindSel }), valueGroup,
      field({ label: `${t('valid_until')} ${t('optional')}`, name: 'valid_until', control: input({ type: 'date', name: 'valid_until' }) }),
      field({ label: `${t('block_reason')} ${t('optional')}`, name: 'reason', control: input({ type: 'text', name: 'reason', maxlength: 255 }) }),
      h('button', { type: 'submit', class: 'button button-primary' }, t('save')));
    bform.addEventListener('submit', async (e) => {
      e.preventDefault();
      clearErrors(bform);
      const v = formValues(bform);
      const body = { scope: { kind: v['scope.kind'], value: v['scope.value'] } };
      if (v.valid_until) body.valid_until = v.valid_until;
      if (v.reason) body.reason = v.reason;
      try {
        await api(`${base}/blocks`, { method: 'POST', body });
        announce(t('saved'));
        changed();
      } catch (err) {
        showErrors(bform, err);
      }
    });
    replace(blocks, h('h2', { class: 'h3' }, t('blocks_title')),
      b.blocks.length ? h('ul', { class: 'nobullet-list gp-rules', id: 'block-list' }, b.blocks.map((x) => ruleRow('blocks', x, rctx, blockText))) : h('p', { id: 'block-list' }, t('none')),
      h('details', { class: 'gp-details' }, h('summary', {}, t('new_block')), bform));
    void cnote;
  } catch (e) {
    replace(consents, errorBox(e));
  }
  if (ctx.role === 'coordinator') mountOverrides(overrides, ctx);
}

function mountOverrides(el, ctx) {
  const form = h('form', { class: 'gp-form', id: 'override-form', novalidate: true },
    h('p', { class: 'gp-muted' }, t('override_help')),
    field({ label: t('reason_code'), name: 'reason_code', control: select({ name: 'reason_code', options: ['acute_risk', 'child_welfare', 'legal_obligation'].map((r) => ({ value: r, label: label('reason', r) })) }) }),
    field({ label: t('note'), name: 'note', control: h('textarea', { class: 'form-input', name: 'note', rows: 3, maxlength: 500 }) }),
    field({ label: t('minutes'), name: 'minutes', control: input({ type: 'number', name: 'minutes', min: 1, max: 60, value: '15', inputmode: 'numeric' }) }),
    h('button', { type: 'submit', class: 'button button-primary' }, t('new_override')));
  const status = h('div', { id: 'override-status' });
  form.addEventListener('submit', async (e) => {
    e.preventDefault();
    clearErrors(form);
    const v = formValues(form);
    const body = { reason_code: v.reason_code, note: v.note };
    if (v.minutes) body.minutes = Number(v.minutes);
    try {
      const o = await api(`${cprPath(ctx.cpr)}/overrides`, { method: 'POST', body });
      countdown(status, o.expires_at, ctx);
      ctx.changed();
    } catch (err) {
      showErrors(form, err);
    }
  });
  replace(el, h('h2', { class: 'h3' }, t('overrides_title')), status, h('details', { class: 'gp-details' }, h('summary', {}, t('new_override')), form));
}

let countdownTimer = null;
export function stopCountdown() { clearInterval(countdownTimer); countdownTimer = null; }

function countdown(el, expiresAt, ctx) {
  stopCountdown();
  const end = Date.parse(expiresAt);
  const text = h('strong', { id: 'override-left' });
  replace(el, h('div', { class: 'alert alert-warning gp-glass', role: 'status' },
    h('div', { class: 'alert-body' }, h('p', { class: 'alert-text' }, text))));
  let announced = -1;
  const tick = () => {
    const left = Math.max(0, Math.round((end - Date.now()) / 1000));
    const mm = String(Math.floor(left / 60)).padStart(2, '0');
    const ss = String(left % 60).padStart(2, '0');
    text.textContent = left > 0 ? t('override_active', { left: `${mm}:${ss}` }) : t('override_over');
    const minute = Math.ceil(left / 60);
    if (minute !== announced) { announced = minute; announce(text.textContent); }
    if (left === 0) { stopCountdown(); ctx.changed(); }
  };
  tick();
  countdownTimer = setInterval(tick, 1000);
}

// ---- the access log ----

// others: the citizen's own page, where her own look-ups (role citizen) are left out, so that
// the page's own reads do not push who else looked off the list.
export function mountLog(el, ctx, { path, title, others = false } = {}) {
  const body = h('tbody');
  const more = h('button', { type: 'button', class: 'button button-secondary gp-small', hidden: true }, t('more'));
  const none = h('p', { class: 'gp-muted', hidden: true }, t('mine_log_none'));
  let cursor = null;
  let shown = 0;
  async function load() {
    try {
      // With her own rows left out a page may show nothing: read on, a few pages at most.
      for (let pages = 0; pages < (others ? 5 : 1); pages++) {
        const q = new URLSearchParams({ limit: others ? '50' : '20' });
        if (cursor) q.set('cursor', cursor);
        const r = await api(`${path || `${cprPath(ctx.cpr)}/access-log`}?${q}`);
        const before = shown;
        for (const x of r.entries) {
          if (others && x.role === 'citizen') continue;
          shown += 1;
          body.append(h('tr', { class: x.override_used ? 'gp-row-glass' : '' },
            h('td', {}, fmtDateTime(x.at)), h('td', {}, x.client || ''), h('td', {}, label('role', x.role)),
            h('td', {}, label('dept', x.department)), h('td', {}, label('purpose', x.purpose)),
            h('td', {}, x.override_used ? `⚠ ${t('yes')}` : t('no'))));
        }
        cursor = r.next_cursor;
        if (shown > before || !cursor) break;
      }
      more.hidden = !cursor;
      none.hidden = !(others && shown === 0 && !cursor);
    } catch (e) {
      el.append(errorBox(e));
    }
  }
  more.addEventListener('click', load);
  replace(el, h('h2', { class: 'h3' }, title || t('log_title')),
    others ? h('p', { class: 'gp-muted' }, t('mine_log_hint')) : null,
    h('div', { class: 'table--responsive-scroll', tabindex: '0' }, h('table', { class: 'table table--compact', id: 'log-table' },
      h('thead', {}, h('tr', {}, [t('at'), t('who'), t('role'), t('department'), t('why'), t('override_used')].map((c) => h('th', { scope: 'col' }, c)))),
      body)), none, more);
  load();
}

// ---- the analyst's CPR list ----

export function mountSearch(el) {
  const results = h('div', { id: 'search-results', 'aria-live': 'polite' });
  const form = h('form', { class: 'gp-form', id: 'search-form', novalidate: true },
    checkboxes({ legend: t('search_areas'), name: 'areas', values: AREAS.map((a) => ({ value: a, label: label('area', a) })) }),
    h('div', { class: 'gp-row' },
      field({ label: t('min_areas'), name: 'min_areas', control: input({ type: 'number', name: 'min_areas', value: '2', min: 1, max: 32, inputmode: 'numeric' }) }),
      field({ label: t('min_departments'), name: 'min_departments', control: input({ type: 'number', name: 'min_departments', value: '1', min: 1, max: 32, inputmode: 'numeric' }) }),
      field({ label: t('age_min'), name: 'age_min', control: input({ type: 'number', name: 'age_min', min: 0, max: 150, inputmode: 'numeric' }) }),
      field({ label: t('age_max'), name: 'age_max', control: input({ type: 'number', name: 'age_max', min: 0, max: 150, inputmode: 'numeric' }) })),
    h('div', { class: 'form-check' }, h('input', { type: 'checkbox', class: 'form-checkbox', id: 'ongoing', name: 'ongoing_only', value: 'yes', checked: true }),
      h('label', { for: 'ongoing' }, t('ongoing_only'))),
    h('button', { type: 'submit', class: 'button button-primary' }, t('search')));
  const pages = [null];
  let page = 0;
  let criteria = null;
  async function run() {
    const body = { ...criteria, limit: 10 };
    if (pages[page]) body.cursor = pages[page];
    try {
      const r = await api('/v1/target-group/searches', { method: 'POST', body });
      pages[page + 1] = r.next_cursor;
      replace(results, h('h2', { class: 'h4' }, `${t('candidates')} · ${t('page_n', { n: page + 1 })}`),
        r.candidates.length ? h('div', { class: 'table--responsive-scroll', tabindex: '0' }, h('table', { class: 'table table--compact', id: 'search-table' },
          h('thead', {}, h('tr', {}, [t('cpr_label'), t('age'), t('reasons'), t('services')].map((c) => h('th', { scope: 'col' }, c)))),
          h('tbody', {}, r.candidates.map((c) => h('tr', {},
            h('td', {}, fmtCpr(c.cpr)), h('td', {}, c.age ?? ''),
            h('td', {}, `${c.reasons.areas.map((a) => label('area', a)).join(', ')}; ${c.reasons.departments.map((d) => label('dept', d)).join(', ')}`),
            h('td', {}, h('ul', { class: 'gp-list' }, c.services.map((s) => h('li', {}, `${ctLabel(s.case_type)}${s.legal_basis ? ` (${s.legal_basis})` : ''}${s.caseworker?.name ? `, ${s.caseworker.name}` : ''}`)))))))))
          : h('p', {}, t('candidates_none')),
        h('div', { class: 'gp-pager' },
          h('button', { type: 'button', class: 'button button-secondary gp-small', disabled: page === 0, onclick: () => { page -= 1; run(); } }, t('prev_page')),
          h('button', { type: 'button', class: 'button button-secondary gp-small', id: 'search-next', disabled: !r.next_cursor, onclick: () => { page += 1; run(); } }, t('next_page'))));
    } catch (err) {
      showErrors(form, err);
    }
  }
  form.addEventListener('submit', (e) => {
    e.preventDefault();
    clearErrors(form);
    const v = formValues(form);
    criteria = { min_areas: Number(v.min_areas || 2), min_departments: Number(v.min_departments || 1), ongoing_only: v.ongoing_only.length > 0 };
    if (v.areas.length) criteria.areas = v.areas;
    if (v.age_min !== '') criteria.age_min = Number(v.age_min);
    if (v.age_max !== '') criteria.age_max = Number(v.age_max);
    pages.length = 1;
    page = 0;
    run();
  });
  replace(el, h('h1', { class: 'h2' }, t('search_title')), form, results);
}

export { note };
