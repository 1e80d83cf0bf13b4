// The glass plate: one tile per area (its visibility in words, counts, case types, contacts),
// one chip per source (status, latency, age), the completeness, and a banner when the answer
// is partial. It is drawn again from each line of the streamed press, so each source appears
// as it answers.
import { h, replace } from './dom.js';
import { t, label, fmtDate, fmtAge } from './i18n.js';

const AREA_ORDER = ['employment', 'social', 'family', 'health_municipal', 'health_regional'];
const STATUS_ICON = {
  ok: '✓', pending: '…', timeout: '!', error: '!', unavailable: '!', circuit_open: '!',
  blocked: '–', stale: '↺',
};

function order(a, b) {
  const ia = AREA_ORDER.indexOf(a);
  const ib = AREA_ORDER.indexOf(b);
  return (ia < 0 ? 99 : ia) - (ib < 0 ? 99 : ib) || a.localeCompare(b);
}

function sourceName(s) {
  return label('dept', s.department);
}

function chip(s) {
  const bits = [t(`status_${s.status}`)];
  if (s.latency_ms !== null && s.latency_ms !== undefined && s.status !== 'pending') {
    bits.push(t('latency', { ms: Math.round(s.latency_ms) }));
  }
  if (s.status !== 'pending' && s.status !== 'blocked') bits.push(fmtAge(s.age_s));
  return h('li', {
    class: `gp-chip gp-chip--${s.status}${s.stale ? ' gp-chip--stale' : ''}`,
    dataset: { source: s.id, status: s.status },
    title: s.error || undefined,
  },
  h('span', { class: 'gp-chip__icon', 'aria-hidden': 'true' }, STATUS_ICON[s.status] || '•'),
  h('span', { class: 'gp-chip__name' }, `${sourceName(s)}:`),
  h('span', { class: 'gp-chip__status' }, bits.join(' · ')),
  s.error && s.status !== 'pending' ? h('span', { class: 'sr-only' }, ` (${s.error})`) : null);
}

function counts(st) {
  if (!st) return null;
  const parts = [];
  for (const k of ['open', 'planned', 'closed']) if (st[k]) parts.push(`${st[k]} ${t(k)}`);
  return parts.join(', ');
}

function tile(area, a, sources, ctx) {
  const id = `tile-${area}`;
  const mine = sources.filter((s) => s.area === area);
  const waiting = mine.some((s) => s.status === 'pending');
  const heading = h('h3', { class: 'gp-tile__title', id: `${id}-h` }, label('area', area));
  if (!a) {
    // No data (yet) in this area.
    return h('section', {
      class: `gp-tile gp-tile--${waiting ? 'waiting' : 'empty'}`, id, 'aria-labelledby': `${id}-h`,
      'aria-busy': waiting ? 'true' : 'false', dataset: { area, state: waiting ? 'waiting' : 'empty' },
    }, heading, h('p', { class: 'gp-muted' }, waiting ? t('tile_waiting') : t('tile_nothing')));
  }
  const vis = a.visibility;
  const body = [];
  body.push(h('p', { class: `gp-vis gp-vis--${vis}` },
    h('span', { class: 'gp-vis__badge' }, t(`vis_${vis}_short`)), ' ', t(`vis_${vis}`)));
  if (a.stale) body.push(h('p', { class: 'gp-stale' }, '↺ ', t('stale')));
  if (vis === 'existence') {
    body.push(h('p', {}, t(ctx.citizen ? 'existence_body_mine' : 'existence_body')));
    if (ctx.canConsent) {
      body.push(h('button', {
        type: 'button', class: 'button button-secondary gp-small',
        onclick: () => ctx.onConsent(area),
      }, t('ask_consent')));
    }
  }
  if (a.status) {
    body.push(h('p', { class: 'gp-counts' }, counts(a.status)));
  }
  if (a.case_types && a.case_types.length) {
    body.push(h('h4', { class: 'gp-tile__sub' }, t('case_types')),
      h('ul', { class: 'gp-list' }, a.case_types.map((c) => h('li', {},
        h('span', {}, ctx.lang() === 'en' ? c.label_en : c.label_da),
        c.legal_basis ? h('span', { class: 'gp-muted' }, ` · ${c.legal_basis}`) : null,
        h('span', { class: 'gp-muted' }, ` · ${counts(c)}`)))));
  }
  if (a.departments && a.departments.length) {
    body.push(h('p', { class: 'gp-small-text' }, `${t('departments')}: `,
      a.departments.map((d) => label('dept', d)).join(', ')));
  }
  if (a.latest && (a.latest.start_date || a.latest.document_date)) {
    const bits = [];
    if (a.latest.start_date) bits.push(`${t('latest_start')} ${fmtDate(a.latest.start_date)}`);
    if (a.latest.end_date) bits.push(`${t('latest_end')} ${fmtDate(a.latest.end_date)}`);
    body.push(h('p', { class: 'gp-small-text' }, bits.join(' · ')));
  }
  if (a.contacts && a.contacts.length) {
    body.push(h('h4', { class: 'gp-tile__sub' }, t('contacts')),
      h('ul', { class: 'gp-list gp-contacts' }, a.contacts.slice(0, 3).map((c) =>
        h('li', {}, h('strong', {}, c.name), c.contact ? h('span', {}, ` · ${c.contact}`) : null))));
  }
  if (a.data_types && a.data_types.length) {
    body.push(h('p', { class: 'gp-small-text' }, `${t('data_types')}: ${a.data_types.join(', ')}`));
  }
  return h('section', {
    class: `gp-tile gp-tile--${vis}${a.stale ? ' gp-tile--stale' : ''}`, id,
    'aria-labelledby': `${id}-h`, 'aria-busy': waiting ? 'true' : 'false',
    dataset: { area, state: 'filled', visibility: vis },
  }, heading, body);
}

// Draws the plate for one overview (a line of the stream, or the final answer).
export function drawPlate(el, ov, ctx) {
  const sources = ov.sources || [];
  const pending = sources.filter((s) => s.status === 'pending');
  const missing = ov.status === 'partial' || ov.status === 'failed'
    ? sources.filter((s) => s.status !== 'ok' && s.status !== 'blocked' && s.status !== 'pending')
    : [];
  const areas = new Map((ov.areas || []).map((a) => [a.area, a]));
  const names = new Set([...areas.keys(), ...sources.filter((s) => s.status !== 'blocked').map((s) => s.area)]);
  const tiles = [...names].sort(order).map((area) => tile(area, areas.get(area), sources, ctx));
  const answered = ov.completeness ? ov.completeness.answered : 0;
  const asked = ov.completeness ? ov.completeness.asked : sources.length;

  const banner = [];
  if (missing.length) {
    banner.push(h('div', { class: `alert alert-${ov.status === 'failed' ? 'error' : 'warning'} gp-partial`, role: 'alert', id: 'partial-banner' },
      h('div', { class: 'alert-body' },
        h('p', { class: 'alert-heading' }, t(ov.status === 'failed' ? 'failed_title' : 'partial_title')),
        h('p', { class: 'alert-text' }, t('partial_body', {
          names: missing.map((s) => `${sourceName(s)} (${t(`status_${s.status}`)})`).join(', '),
        })),
        h('button', { type: 'button', class: 'button button-secondary gp-small', onclick: ctx.onAskAgain }, t('ask_again')))));
  }
  replace(el,
    h('section', { class: 'gp-sources', 'aria-labelledby': 'sources-h' },
      h('h2', { class: 'h4', id: 'sources-h' }, t('sources')),
      h('p', { class: 'gp-completeness', id: 'completeness', dataset: { status: ov.status } },
        t('completeness', { a: answered, n: asked }),
        pending.length ? h('span', { class: 'gp-muted' }, ` · ${t('waiting_for', { names: pending.map(sourceName).join(', ') })}`) : null,
        !pending.length && ov.status === 'complete' ? h('span', { class: 'gp-muted' }, ` · ${t('complete_note')}`) : null),
      h('ul', { class: 'gp-chips', 'aria-label': t('sources') }, sources.map(chip))),
    banner,
    ov.redacted ? h('p', { class: 'gp-muted gp-small-text' }, t('redacted_note')) : null,
    tiles.length ? h('div', { class: 'gp-tiles' }, tiles) : h('p', {}, t('no_data')));
}
