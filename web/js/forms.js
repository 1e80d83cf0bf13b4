// Form fields in the design system's markup, and the server's field errors shown at the field
// they name (problem+json errors[] {field, reason}).
import { h, uid, replace } from './dom.js';
import { t } from './i18n.js';

// A labelled control. control: an element (input, select, textarea) or a fieldset builder.
export function field({ label, hint, control, name }) {
  const id = control.id || uid('f');
  control.id = id;
  const errId = `${id}-error`;
  const hintId = hint ? `${id}-hint` : null;
  control.setAttribute('aria-describedby', [hintId, errId].filter(Boolean).join(' '));
  const err = h('span', { class: 'form-error-message', id: errId, hidden: true });
  const group = h('div', { class: 'form-group', dataset: { field: name || '' } },
    h('label', { class: 'form-label', for: id }, label),
    hint ? h('span', { class: 'form-hint', id: hintId }, hint) : null,
    err, control);
  return group;
}

// A group of checkboxes (a fieldset with a legend) named name, values [{value, label}].
export function checkboxes({ legend, name, values, checked = [] }) {
  const errId = uid('e');
  const err = h('span', { class: 'form-error-message', id: errId, hidden: true });
  return h('fieldset', { class: 'form-group', dataset: { field: name }, 'aria-describedby': errId },
    h('legend', { class: 'form-label' }, legend), err,
    h('ul', { class: 'nobullet-list' }, values.map((v) => {
      const id = uid('c');
      return h('li', { class: 'form-check' },
        h('input', { type: 'checkbox', class: 'form-checkbox', id, name, value: v.value, checked: checked.includes(v.value) }),
        h('label', { for: id }, v.label));
    })));
}

export function select({ name, options, value, required }) {
  return h('select', { class: 'form-select', name, required },
    options.map((o) => h('option', { value: o.value, selected: o.value === value }, o.label)));
}

export function input(attrs) {
  return h('input', { class: 'form-input', ...attrs });
}

export function clearErrors(form) {
  for (const g of form.querySelectorAll('.form-error')) g.classList.remove('form-error');
  for (const e of form.querySelectorAll('.form-error-message')) { e.hidden = true; e.textContent = ''; }
  for (const c of form.querySelectorAll('[aria-invalid]')) c.removeAttribute('aria-invalid');
  const sum = form.querySelector('.gp-form-summary');
  if (sum) sum.remove();
}

// Shows err (an ApiError) in form: each field error at the group whose data-field is the
// field's name or its first part ("scope.areas" -> "scope.areas", else "scope"); anything
// else in a summary at the top. Focuses the first field in error.
export function showErrors(form, err) {
  clearErrors(form);
  const loose = [];
  let first = null;
  for (const fe of err.fields) {
    const name = String(fe.field || '');
    const g = form.querySelector(`[data-field="${CSS.escape(name)}"]`) ||
      form.querySelector(`[data-field="${CSS.escape(name.split('.').pop())}"]`) ||
      form.querySelector(`[data-field="${CSS.escape(name.split('.')[0])}"]`);
    if (!g) { loose.push(`${name}: ${fe.reason}`); continue; }
    g.classList.add('form-error');
    const m = g.querySelector('.form-error-message');
    m.hidden = false;
    m.textContent = fe.reason;
    const c = g.querySelector('input, select, textarea');
    if (c) { c.setAttribute('aria-invalid', 'true'); first = first || c; }
  }
  if (!err.fields.length || loose.length) {
    const box = h('div', { class: 'alert alert-error gp-form-summary', role: 'alert' },
      h('div', { class: 'alert-body' },
        h('p', { class: 'alert-heading' }, t('form_errors')),
        h('p', { class: 'alert-text' }, loose.length ? loose.join('; ') : err.message)));
    form.prepend(box);
  }
  if (first) first.focus();
}

export function formValues(form) {
  const o = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    if (el.type === 'checkbox') {
      o[el.name] = o[el.name] || [];
      if (el.checked) o[el.name].push(el.value);
    } else {
      o[el.name] = el.value;
    }
  }
  return o;
}

export function note(el, text, kind = 'success') {
  replace(el, h('div', { class: `alert alert-${kind}`, role: 'status' },
    h('div', { class: 'alert-body' }, h('p', { class: 'alert-text' }, text))));
}
