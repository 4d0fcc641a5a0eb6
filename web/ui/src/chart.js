// A stacked bar chart drawn as hand-written SVG (no chart library): one bar per category (e.g. a
// department), one stacked segment per series (e.g. yellow and red warnings), each labelled with
// its count, the totals above the bars, a y axis with a few round ticks. For people who cannot see
// it the figure has a title and a table of the same numbers (visually hidden, read by screen
// readers); a segment with a link (href) is an SVG <a>, reachable by keyboard.
// layoutStacked() is the pure geometry, tested under Node (test/ui.test.mjs).
import { h } from './dom.js';

const NS = 'http://www.w3.org/2000/svg';

// svg('rect', {x: 1}, children…): like h() in the SVG namespace (text children as text nodes).
function svg(tag, attrs, ...children) {
  const el = document.createElementNS(NS, tag);
  for (const [k, v] of Object.entries(attrs || {})) {
    if (v === null || v === undefined || v === false) continue;
    if (k.startsWith('on') && typeof v === 'function') el.addEventListener(k.slice(2), v);
    else el.setAttribute(k, String(v));
  }
  for (const c of children.flat()) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
  return el;
}

// A round step for an axis up to max with about n ticks: 1, 2, 5 × 10^k.
export function niceStep(max, n = 4) {
  if (!(max > 0)) return 1;
  const raw = max / n;
  const p = 10 ** Math.floor(Math.log10(raw));
  const m = raw / p;
  return Math.max(1, (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * p);
}

// The geometry of the chart in a width × height box: {top (the axis' maximum), ticks: [{value, y}],
// bars: [{key, x, width, total, segments: [{series, value, y, height}]}]}. values(c, s) gives the
// number of category c in series s; segments stack in the order of series, from the bottom.
export function layoutStacked(categories, series, values, { width, height, left = 36, bottom = 40, top = 20 }) {
  const totals = categories.map((c) => series.reduce((a, s) => a + (values(c, s) || 0), 0));
  const step = niceStep(Math.max(0, ...totals));
  const axisTop = Math.max(step, Math.ceil(Math.max(0, ...totals) / step) * step);
  const plotH = height - bottom - top;
  const y = (v) => top + plotH - (plotH * v) / axisTop;
  const slot = (width - left) / Math.max(1, categories.length);
  const barW = Math.min(64, slot * 0.6);
  const ticks = [];
  for (let v = 0; v <= axisTop; v += step) ticks.push({ value: v, y: y(v) });
  const bars = categories.map((c, i) => {
    let base = 0;
    const segments = series.map((s) => {
      const v = values(c, s) || 0;
      const seg = { series: s.key, value: v, y: y(base + v), height: y(base) - y(base + v) };
      base += v;
      return seg;
    });
    return { key: c.key, x: left + slot * i + (slot - barW) / 2, width: barW, total: totals[i], segments };
  });
  return { top: axisTop, ticks, bars, baseline: y(0) };
}

// The chart as a <figure>: opts {title, categories: [{key, label}], series: [{key, label, color,
// text}], values(c, s), href(c, s) → string|null, width, height, empty (text when no category),
// id}. Segments carry data-category, data-series and data-count (tests read them).
export function stackedBarChart(opts) {
  const { title, categories, series, values, href, width = 560, height = 260, empty, id } = opts;
  const titleId = `${id || 'chart'}-title`;
  const fig = h('figure', { class: 'chart', id });
  fig.append(h('figcaption', { id: titleId, class: 'chart-title' }, title));
  if (categories.length === 0) {
    fig.append(h('p', { class: 'muted chart-empty' }, empty || ''));
    return fig;
  }
  const L = layoutStacked(categories, series, values, { width, height });
  const root = svg('svg', { viewBox: `0 0 ${width} ${height}`, width: '100%', role: 'img', 'aria-labelledby': titleId, class: 'chart-svg' });
  root.append(svg('title', {}, title));
  for (const tk of L.ticks) {
    root.append(svg('line', { x1: 32, x2: width, y1: tk.y, y2: tk.y, class: tk.value ? 'chart-grid' : 'chart-baseline' }));
    root.append(svg('text', { x: 28, y: tk.y + 4, 'text-anchor': 'end', class: 'chart-tick' }, tk.value));
  }
  L.bars.forEach((b, i) => {
    const c = categories[i];
    b.segments.forEach((sg, k) => {
      if (!sg.value) return;
      const s = series[k];
      const label = `${c.label} · ${s.label}: ${sg.value}`;
      const rect = svg('rect', { x: b.x, y: sg.y, width: b.width, height: Math.max(1, sg.height), fill: s.color,
        class: `chart-seg seg-${s.key}`, 'data-category': c.key, 'data-series': s.key, 'data-count': sg.value },
      svg('title', {}, label));
      const count = sg.height >= 14 ? svg('text', { x: b.x + b.width / 2, y: sg.y + sg.height / 2 + 4, 'text-anchor': 'middle',
        class: 'chart-count', fill: s.text || '#fff' }, sg.value) : null;
      const link = href ? href(c, s) : null;
      root.append(link ? svg('a', { href: link, 'aria-label': label, class: 'chart-link' }, rect, count) : svg('g', {}, rect, count));
    });
    root.append(svg('text', { x: b.x + b.width / 2, y: (b.segments.length ? b.segments[b.segments.length - 1].y : L.baseline) - 5,
      'text-anchor': 'middle', class: 'chart-total' }, b.total));
    root.append(svg('text', { x: b.x + b.width / 2, y: height - 22, 'text-anchor': 'middle', class: 'chart-label' }, c.label));
  });
  // the legend, under the labels
  let lx = 40;
  for (const s of series) {
    root.append(svg('rect', { x: lx, y: height - 12, width: 10, height: 10, fill: s.color }));
    root.append(svg('text', { x: lx + 14, y: height - 3, class: 'chart-legend' }, s.label));
    lx += 34 + 13 * s.label.length;
  }
  fig.append(root);
  fig.append(h('table', { class: 'visually-hidden' },
    h('caption', {}, title),
    h('thead', {}, h('tr', {}, h('th', {}, ''), series.map((s) => h('th', {}, s.label)))),
    h('tbody', {}, categories.map((c) => h('tr', {}, h('th', {}, c.label), series.map((s) => h('td', {}, values(c, s) || 0)))))));
  return fig;
}
