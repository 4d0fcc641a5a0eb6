// Building the page: h() makes elements from data without ever parsing it as HTML, so a camera
// name or an audit detail can hold anything and still be shown as text. No innerHTML anywhere.

// h('button', {class: 'primary', onclick: f}, label): attributes starting with "on" become
// listeners, `dataset`/`style` objects are merged, null/false attributes and children are skipped,
// strings and numbers become text nodes, arrays are flattened.
export function h(tag, attrs, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else if (k === 'dataset' || k === 'style') Object.assign(el[k], v);
    else if (k === 'value' || k === 'checked' || k === 'disabled' || k === 'selected') el[k] = v;
    else el.setAttribute(k, v === true ? '' : String(v));
  }
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children) {
    if (c === null || c === undefined || c === false) continue;
    if (Array.isArray(c)) append(el, c);
    else el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

// Replaces the children of el.
export function mount(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

// A <select> of [value, label] pairs.
export function select(attrs, options, current) {
  return h('select', attrs, options.map(([v, label]) => h('option', { value: v, selected: v === current }, label)));
}

// A labelled form field: label text, the control, and an optional hint.
export function field(label, control, hint) {
  return h('label', { class: 'field' }, h('span', { class: 'field-label' }, label), control,
    hint ? h('span', { class: 'field-hint' }, hint) : null);
}

// A modal dialog (the native <dialog>); returns it open. close() removes it.
export function dialog(title, body, actions) {
  const d = h('dialog', { class: 'dialog' },
    h('h2', {}, title), h('div', { class: 'dialog-body' }, body),
    h('div', { class: 'dialog-actions' }, actions));
  d.addEventListener('close', () => d.remove());
  document.body.append(d);
  d.showModal();
  return d;
}
