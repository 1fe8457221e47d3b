// The reports page (API v1.1 §8): covers and no-shows per day as an SVG
// the page draws itself, the totals, and the CSV the server makes.

import { button, el, tx, val } from './dom.js';
import { day, number, percent, t } from './i18n.js';

const SVG = 'http://www.w3.org/2000/svg';
const svg = (tag, attrs = {}, ...children) => {
  const node = document.createElementNS(SVG, tag);
  for (const [k, v] of Object.entries(attrs)) node.setAttribute(k, v);
  node.append(...children);
  return node;
};

/** Bars of covers with no-shows stacked on top, one pair per day. */
export function chart(days) {
  const W = 960;
  const H = 280;
  const pad = { l: 48, r: 12, t: 16, b: 48 };
  const max = Math.max(1, ...days.map((d) => d.covers + (d.by_status.no_show || 0)));
  const step = (W - pad.l - pad.r) / Math.max(days.length, 1);
  const y = (v) => pad.t + (H - pad.t - pad.b) * (1 - v / max);
  const bars = [];
  for (const [i, d] of days.entries()) {
    const x = pad.l + i * step + step * 0.15;
    const w = step * 0.7;
    const noShows = d.by_status.no_show || 0;
    bars.push(svg('rect', { x, y: y(d.covers), width: w, height: y(0) - y(d.covers), class: 'bar-covers', 'data-date': d.date, 'data-covers': d.covers }));
    if (noShows) bars.push(svg('rect', { x, y: y(d.covers + noShows), width: w, height: y(0) - y(noShows), class: 'bar-no-shows', 'data-no-shows': noShows }));
    // A label where there is room for one (every day, or every few).
    if (i % Math.ceil(56 / step) === 0) {
      bars.push(svg('text', { x: x + w / 2, y: H - pad.b + 18, 'text-anchor': 'middle', class: 'axis', 'data-value': '' }, day(d.date)));
    }
  }
  const grid = [...new Set([0, Math.round(max / 2), max])].map((v) => {
    return svg('g', {}, svg('line', { x1: pad.l, x2: W - pad.r, y1: y(v), y2: y(v), class: 'grid' }),
      svg('text', { x: pad.l - 6, y: y(v) + 5, 'text-anchor': 'end', class: 'axis', 'data-value': '' }, number(v)));
  });
  return svg('svg', { viewBox: `0 0 ${W} ${H}`, class: 'chart', role: 'img', 'aria-label': `${t('reports.covers')} / ${t('reports.no_shows')}` }, ...grid, ...bars);
}

/** The page: range, chart with its key, totals, CSV download. */
export function reportsPage({ from, to, report, onShow, onCsv }) {
  const range = el('form', { class: 'range', onsubmit: (e) => { e.preventDefault(); const f = new FormData(e.target); onShow(f.get('from'), f.get('to')); } },
    el('label', {}, tx('reports.from'), el('input', { type: 'date', name: 'from', value: from, required: true })),
    el('label', {}, tx('reports.to'), el('input', { type: 'date', name: 'to', value: to, required: true })),
    el('button', { type: 'submit' }, tx('reports.show')),
    button('reports.csv', onCsv, { class: 'quiet', id: 'csv' }));
  if (!report) return [tx('reports.title', {}, 'h2'), range];
  const k = report.totals;
  const totals = el('dl', { class: 'totals' },
    tx('reports.bookings', {}, 'dt'), el('dd', {}, val(number(k.bookings))),
    tx('reports.covers', {}, 'dt'), el('dd', {}, val(number(k.covers))),
    tx('reports.no_show_rate', {}, 'dt'), el('dd', {}, val(percent(k.no_show_rate))),
    tx('reports.occupancy', {}, 'dt'), el('dd', {}, val(percent(k.occupancy))));
  const key = el('div', { class: 'legend' }, el('span', { class: 'chip key-covers' }, tx('reports.covers')), el('span', { class: 'chip key-no-shows' }, tx('reports.no_shows')));
  return [tx('reports.title', {}, 'h2'), range, key, chart(report.days), tx('reports.totals', {}, 'h3'), totals];
}

/** Fetches the CSV with the staff token and hands it to the browser as a download. */
export async function downloadCsv(baseUrl, token, venueId, from, to) {
  const url = `${baseUrl}/api/v1/venues/${encodeURIComponent(venueId)}/stats?from=${from}&to=${to}`;
  const r = await fetch(url, { headers: { Accept: 'text/csv', Authorization: `Bearer ${token}` } });
  if (!r.ok) throw new Error(`${r.status}`);
  const blob = await r.blob();
  const a = el('a', { href: URL.createObjectURL(blob), download: `stats-${from}-${to}.csv` });
  document.body.append(a);
  a.click();
  setTimeout(() => { URL.revokeObjectURL(a.href); a.remove(); }, 1000);
}
