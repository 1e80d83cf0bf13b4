// The timeline: an SVG with one lane per department, periods as bars, single events as
// marks, periods with no effort shaded, and efforts of different departments that overlap
// marked; zoom by year; arrow keys move between events; the same events as a table.
import { h, replace, announce } from './dom.js';
import { t, label, fmtDate, getLang } from './i18n.js';

const DEPT_ORDER = ['job_centre', 'social_services', 'family', 'municipal_health', 'region'];
const DAY = 86400000;
const TOP = 28;

const ms = (d) => Date.parse(`${d}T00:00:00Z`);
const iso = (m) => new Date(m).toISOString().slice(0, 10);
const today = () => iso(Date.now());

function name(ev) {
  const ct = ev.case_type ? (getLang() === 'en' ? ev.case_type.label_en : ev.case_type.label_da) : '';
  return ev.title || ct || label('kind', ev.kind);
}

// Efforts and cases with a start are periods (a case until its end, or today while open);
// the closing of a case and documents are single marks.
function isPeriod(ev) {
  return (ev.kind === 'activity' || ev.kind === 'encounter' || ev.kind === 'case_opened') && ev.start;
}

function span(ev) {
  const s = ev.start || ev.date;
  const e = ev.end || (ev.ongoing || ev.status === 'open' ? today() : s);
  return [ms(s), Math.max(ms(e), ms(s))];
}

// What collides, as the server judges it: each colliding_efforts recommendation names a
// residential effort and what starts during it (evidence: record ids). The band runs from
// each one's start to the end of the earlier of the two.
export function collisionsFromRecs(events, recs) {
  const byId = (id) => events.find((e) => String(e.record_id) === String(id) && isPeriod(e));
  const out = [];
  for (const r of recs) {
    if (r.code !== 'colliding_efforts') continue;
    const evs = (r.evidence || []).map(byId).filter(Boolean);
    if (evs.length < 2) continue;
    // The residential one: the period that holds every other's start, longest first.
    const sorted = [...evs].sort((a, b) => (span(b)[1] - span(b)[0]) - (span(a)[1] - span(a)[0]));
    const home = sorted.find((c) => evs.every((e) => e === c || (span(e)[0] >= span(c)[0] && span(e)[0] <= span(c)[1]))) || sorted[0];
    for (const e of evs) {
      if (e === home) continue;
      const from = Math.max(span(e)[0], span(home)[0]);
      const to = Math.max(from + DAY, Math.min(span(e)[1], span(home)[1]));
      out.push({ a: home, b: e, from, to, reason: r.reason });
    }
  }
  return out;
}

// Without the server's recommendations: efforts (not cases) of different departments whose
// periods overlap by a day or more.
export function collisions(events) {
  const periods = events.filter((e) => isPeriod(e) && e.kind !== 'case_opened');
  const out = [];
  for (let i = 0; i < periods.length; i++) {
    for (let j = i + 1; j < periods.length; j++) {
      const a = periods[i];
      const b = periods[j];
      if (a.department === b.department) continue;
      const [as, ae] = span(a);
      const [bs, be] = span(b);
      const from = Math.max(as, bs);
      const to = Math.min(ae, be);
      if (to - from >= DAY) out.push({ a, b, from, to });
    }
  }
  return out;
}

export function drawTimeline(el, tl, ctx) {
  const events = (tl.events || []).filter((e) => e.date || e.start);
  const years = new Set();
  for (const e of events) {
    const [s, en] = span(e);
    for (let y = new Date(s).getUTCFullYear(); y <= new Date(en).getUTCFullYear(); y++) years.add(y);
  }
  const state = { zoom: ctx.zoom || 'all', table: !!ctx.table };
  const chartBox = h('div', { class: 'gp-tl-box' });
  const details = h('div', { class: 'gp-tl-details', 'aria-live': 'polite', id: 'tl-details' });
  const yearSel = h('select', {
    class: 'form-select gp-inline-select', id: 'tl-zoom',
    onchange: (e) => { state.zoom = e.target.value; ctx.zoom = state.zoom; draw(); },
  }, h('option', { value: 'all' }, t('zoom_all')),
  [...years].sort().map((y) => h('option', { value: String(y), selected: String(y) === state.zoom }, String(y))));
  const toggle = h('button', {
    type: 'button', class: 'button button-secondary gp-small', id: 'tl-toggle', 'aria-pressed': String(state.table),
    onclick: () => { state.table = !state.table; ctx.table = state.table; draw(); },
  });
  const cols = ctx.recs ? collisionsFromRecs(events, ctx.recs) : collisions(events);
  // The server's reason, once per recommendation, for the list under the chart.
  const reasons = [...new Set(cols.map((c) => c.reason).filter(Boolean))];

  function draw() {
    toggle.textContent = state.table ? t('as_chart') : t('as_table');
    toggle.setAttribute('aria-pressed', String(state.table));
    replace(chartBox, state.table ? table(events) : chart(events, tl.gaps || [], cols, state.zoom, details, tl.existence, el.clientWidth));
  }

  replace(el,
    h('h2', { class: 'h3' }, t('timeline_title')),
    h('div', { class: 'gp-toolbar' },
      h('label', { for: 'tl-zoom', class: 'form-label gp-inline-label' }, t('zoom')), yearSel, toggle),
    tl.existence && tl.existence.length
      ? h('p', { class: 'gp-muted' }, t('existence_areas', { areas: tl.existence.map((a) => label('area', a)).join(', ') }))
      : null,
    chartBox, details,
    h('h3', { class: 'h4' }, t('collisions')),
    reasons.length
      ? h('ul', { class: 'gp-collisions', id: 'tl-collisions' }, reasons.map((r) => h('li', {},
        h('span', { 'aria-hidden': 'true', class: 'gp-warn-icon' }, '⚠ '), getLang() === 'en' ? (r.en || r.da) : (r.da || r.en))))
      : cols.length
      ? h('ul', { class: 'gp-collisions', id: 'tl-collisions' }, cols.map((c) => h('li', {},
        h('span', { 'aria-hidden': 'true', class: 'gp-warn-icon' }, '⚠ '),
        t('collision_item', {
          a: name(c.a), da: label('dept', c.a.department), b: name(c.b), db: label('dept', c.b.department),
          from: fmtDate(iso(c.from)), to: fmtDate(iso(c.to)),
        }))))
      : h('p', { id: 'tl-collisions' }, t('no_collisions')),
    h('h3', { class: 'h4' }, t('gaps')),
    (tl.gaps || []).length
      ? h('ul', {}, tl.gaps.map((g) => h('li', {}, t('gap_item', { from: fmtDate(g.from), to: fmtDate(g.to) }))))
      : h('p', {}, t('no_gaps')));
  draw();
}

function table(events) {
  const rows = [...events].sort((a, b) => (a.start || a.date).localeCompare(b.start || b.date));
  return h('div', { class: 'table--responsive-scroll', tabindex: '0' },
    h('table', { class: 'table table--compact', id: 'tl-table' },
      h('caption', { class: 'sr-only' }, t('timeline_title')),
      h('thead', {}, h('tr', {}, [t('period'), t('kind'), t('department'), t('title'), t('status')].map((c) => h('th', { scope: 'col' }, c)))),
      h('tbody', {}, rows.map((e) => h('tr', { dataset: { record: e.record_id } },
        h('td', {}, periodText(e)), h('td', {}, label('kind', e.kind)),
        h('td', {}, label('dept', e.department)), h('td', {}, name(e)),
        h('td', {}, label('rstatus', e.status)))))));
}

function periodText(e) {
  if (isPeriod(e)) return `${fmtDate(e.start)}–${e.end ? fmtDate(e.end) : t('ongoing')}`;
  return fmtDate(e.date || e.start);
}

function chart(events, gaps, cols, zoom, details, existence, width) {
  // Drawn at the width it is shown at, so that its text keeps its size on a phone: lane names
  // go above the bars there.
  const W = Math.max(340, Math.min(1400, Math.round(width || 1000)));
  const narrow = W < 600;
  const LEFT = narrow ? 8 : 170;
  const depts = [...new Set(events.map((e) => e.department))]
    .sort((a, b) => (DEPT_ORDER.indexOf(a) + 1 || 99) - (DEPT_ORDER.indexOf(b) + 1 || 99));
  let lo;
  let hi;
  if (zoom !== 'all') {
    lo = ms(`${zoom}-01-01`);
    hi = ms(`${Number(zoom) + 1}-01-01`);
  } else {
    lo = Math.min(...events.map((e) => span(e)[0]));
    hi = Math.max(...events.map((e) => span(e)[1]), Date.now());
    lo -= 15 * DAY;
    hi += 15 * DAY;
  }
  if (!events.length || !(hi > lo)) return h('p', {}, t('none'));
  const x = (m) => LEFT + ((Math.min(Math.max(m, lo), hi) - lo) / (hi - lo)) * (W - LEFT - 10);
  const inView = (s, e) => e >= lo && s <= hi;
  // Each lane: single events on the first row, periods packed into rows below so that no two
  // bars of a department overlap.
  const lanes = depts.map((d) => {
    const evs = events.filter((e) => e.department === d).sort((a, b) => span(a)[0] - span(b)[0]);
    const ends = [];
    const row = new Map();
    for (const e of evs) {
      if (!isPeriod(e)) continue;
      const [s0, e0] = span(e);
      let r = ends.findIndex((end) => end < s0);
      if (r < 0) { r = ends.length; ends.push(0); }
      ends[r] = e0 + DAY;
      row.set(e, r);
    }
    return { d, evs, row, rows: Math.max(1, ends.length) };
  });
  const hidden = existence || [];
  let yAt = TOP;
  for (const l of lanes) { l.y = yAt; l.top = narrow ? 18 : 0; l.h = 30 + l.top + l.rows * 16; yAt += l.h; }
  const hiddenTop = yAt;
  yAt += hidden.length * 30;
  const height = yAt + 10;
  const svg = h('svg:svg', {
    viewBox: `0 0 ${W} ${height}`, class: 'gp-tl', role: 'group', id: 'tl-svg',
    'aria-label': t('timeline_title'), 'aria-describedby': 'tl-help',
  }, h('svg:defs', {}, h('svg:pattern', { id: 'gp-hatch', width: 8, height: 8, patternUnits: 'userSpaceOnUse', patternTransform: 'rotate(45)' },
    h('svg:line', { x1: 0, y1: 0, x2: 0, y2: 8, class: 'gp-hatch-line' }))));
  // Year ticks
  const y0 = new Date(lo).getUTCFullYear();
  const y1 = new Date(hi).getUTCFullYear();
  for (let y = y0; y <= y1 + 1; y++) {
    const m = ms(`${y}-01-01`);
    if (m < lo || m > hi) continue;
    svg.append(h('svg:line', { x1: x(m), x2: x(m), y1: TOP - 6, y2: height - 6, class: 'gp-tl-tick' }));
    if (x(m) < W - 40 && zoom === 'all') svg.append(h('svg:text', { x: x(m) + 3, y: TOP - 10, class: 'gp-tl-year' }, String(y)));
  }
  if (zoom !== 'all') {
    const monthName = new Intl.DateTimeFormat(getLang() === 'en' ? 'en-GB' : 'da-DK', { month: 'short', timeZone: 'UTC' });
    for (let mo = 0; mo < 12; mo++) {
      const m = ms(`${zoom}-${String(mo + 1).padStart(2, '0')}-01`);
      if (mo) svg.append(h('svg:line', { x1: x(m), x2: x(m), y1: TOP, y2: height - 6, class: 'gp-tl-tick gp-tl-tick--month' }));
      if (!narrow || mo % 3 === 0) svg.append(h('svg:text', { x: x(m) + 3, y: TOP - 10, class: 'gp-tl-year' }, mo ? monthName.format(new Date(m)) : `${monthName.format(new Date(m))} ${zoom}`));
    }
  }
  // Lanes
  lanes.forEach((l, i) => {
    svg.append(h('svg:rect', { x: 0, y: l.y, width: W, height: l.h, class: i % 2 ? 'gp-tl-lane gp-tl-lane--odd' : 'gp-tl-lane' }),
      h('svg:text', { x: 8, y: l.y + (narrow ? 14 : 20), class: 'gp-tl-label' }, label('dept', l.d)));
  });
  // Areas the caller may know only exist: a hatched lane each, nothing of what is in it.
  hidden.forEach((a, i) => {
    const y = hiddenTop + i * 30;
    svg.append(h('svg:rect', { x: LEFT, y: y + 5, width: W - LEFT - 10, height: 20, class: 'gp-tl-hidden' }),
      h('svg:text', { x: LEFT + 8, y: y + 19, class: 'gp-tl-hidden-text' }, narrow ? `${label('area', a)}: ${t('hidden_lane')}` : t('hidden_lane')));
    if (!narrow) svg.append(h('svg:text', { x: 8, y: y + 19, class: 'gp-tl-label' }, label('area', a)));
  });
  // Gaps: no effort at all
  for (const g of gaps) {
    const s = ms(g.from);
    const e = ms(g.to) + DAY;
    if (!inView(s, e)) continue;
    svg.append(h('svg:rect', { x: x(s), y: TOP, width: Math.max(2, x(e) - x(s)), height: hiddenTop - TOP, class: 'gp-tl-gap' },
      h('svg:title', {}, `${t('gaps')}: ${fmtDate(g.from)}–${fmtDate(g.to)}`)));
  }
  // Collisions: a band over both lanes where two departments' efforts overlap
  for (const c of cols) {
    if (!inView(c.from, c.to)) continue;
    const la = lanes.find((l) => l.d === c.a.department);
    const lb = lanes.find((l) => l.d === c.b.department);
    const top = Math.min(la.y, lb.y) + 2;
    const bottom = Math.max(la.y + la.h, lb.y + lb.h) - 2;
    svg.append(h('svg:rect', { x: x(c.from), y: top, width: Math.max(3, x(c.to) - x(c.from)), height: bottom - top, class: 'gp-tl-collision' },
      h('svg:title', {}, t('collision_item', { a: name(c.a), da: label('dept', c.a.department), b: name(c.b), db: label('dept', c.b.department), from: fmtDate(iso(c.from)), to: fmtDate(iso(c.to)) }))),
    h('svg:text', { x: x(c.from) + 2, y: top + 12, class: 'gp-tl-collision-mark', 'aria-hidden': 'true' }, '⚠'));
  }
  // Events: per lane, in time order; roving tabindex
  const nodes = [];
  lanes.forEach((l, li) => {
    nodes[li] = [];
    l.evs.forEach((e, k) => {
      const [s, en] = span(e);
      const collides = cols.some((c) => c.a === e || c.b === e);
      const text = `${label('kind', e.kind)}: ${name(e)}, ${periodText(e)}, ${label('dept', e.department)}${collides ? `, ${t('collisions')}` : ''}`;
      const g = h('svg:g', {
        class: `gp-ev gp-ev--${e.area}${collides ? ' gp-ev--collides' : ''}${inView(s, en) ? '' : ' gp-ev--out'}`,
        tabindex: '-1', role: 'img', 'aria-label': text, dataset: { record: e.record_id, lane: li, idx: k },
      });
      if (isPeriod(e)) {
        g.append(h('svg:rect', { x: x(s), y: l.y + l.top + 26 + l.row.get(e) * 16, width: Math.max(4, x(en) - x(s)), height: 12, rx: 3, class: 'gp-ev__bar' }));
      } else {
        const cx = x(s);
        g.append(h('svg:path', { d: `M${cx} ${l.y + l.top + 8} l6 7 l-6 7 l-6 -7 z`, class: 'gp-ev__mark' }));
      }
      g.append(h('svg:title', {}, text));
      g.addEventListener('keydown', (ev) => move(ev, li, k));
      g.addEventListener('click', () => { focus(li, k); show(e, text); });
      g.addEventListener('focus', () => g.classList.add('gp-ev--focus'));
      g.addEventListener('blur', () => g.classList.remove('gp-ev--focus'));
      nodes[li][k] = { g, e, text };
      svg.append(g);
    });
  });
  const firstLane = nodes.findIndex((l) => l && l.length);
  if (firstLane >= 0) nodes[firstLane][0].g.setAttribute('tabindex', '0');

  function focus(li, k) {
    for (const l of nodes) for (const n of l || []) n.g.setAttribute('tabindex', '-1');
    const n = nodes[li][k];
    n.g.setAttribute('tabindex', '0');
    n.g.focus();
    return n;
  }
  function show(e, text) {
    replace(details, h('p', {}, h('strong', {}, `${t('details')}: `), text,
      e.case_type && e.case_type.code ? ` · ${t('case_type')}: ${getLang() === 'en' ? e.case_type.label_en : e.case_type.label_da}` : '',
      e.status ? ` · ${t('status')}: ${label('rstatus', e.status)}` : ''));
  }
  function move(ev, li, k) {
    let nl = li;
    let nk = k;
    if (ev.key === 'ArrowRight') nk = Math.min(k + 1, nodes[li].length - 1);
    else if (ev.key === 'ArrowLeft') nk = Math.max(k - 1, 0);
    else if (ev.key === 'ArrowDown' || ev.key === 'ArrowUp') {
      const dir = ev.key === 'ArrowDown' ? 1 : -1;
      for (nl = li + dir; nl >= 0 && nl < nodes.length && !(nodes[nl] && nodes[nl].length); nl += dir);
      if (nl < 0 || nl >= nodes.length) return;
      const t0 = span(nodes[li][k].e)[0];
      nk = 0;
      nodes[nl].forEach((n, i) => { if (Math.abs(span(n.e)[0] - t0) < Math.abs(span(nodes[nl][nk].e)[0] - t0)) nk = i; });
    } else if (ev.key === 'Home') nk = 0;
    else if (ev.key === 'End') nk = nodes[li].length - 1;
    else if (ev.key === 'Enter' || ev.key === ' ') {
      ev.preventDefault();
      show(nodes[li][k].e, nodes[li][k].text);
      return;
    } else return;
    ev.preventDefault();
    const n = focus(nl, nk);
    announce(n.text);
  }
  svg.focusRecord = (id) => {
    for (let li = 0; li < nodes.length; li++) {
      for (let k = 0; k < (nodes[li] || []).length; k++) {
        if (String(nodes[li][k].e.record_id) === String(id)) {
          const n = focus(li, k);
          show(n.e, n.text);
          return true;
        }
      }
    }
    return false;
  };
  return h('div', { class: 'gp-tl-scroll', tabindex: '0', 'aria-label': t('timeline_title') },
    h('p', { class: 'sr-only', id: 'tl-help' }, t('timeline_help')), svg,
    h('p', { class: 'gp-small-text gp-muted gp-tl-legend' },
      h('span', { class: 'gp-legend gp-legend--gap', 'aria-hidden': 'true' }), ` ${t('gaps')}  `,
      h('span', { class: 'gp-legend gp-legend--collision', 'aria-hidden': 'true' }), ` ${t('collisions')}`));
}
