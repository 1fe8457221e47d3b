// The timeline: one lane per table, the day's services side by side with
// the closed gaps between them folded away (or one service at a time).

import { el, tx, val } from './dom.js';
import { t } from './i18n.js';

const KEYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];
const toMin = (hhmm) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
/** Minutes since local midnight of an instant written in the venue's offset. */
export const minutes = (instant) => Number(instant.slice(11, 13)) * 60 + Number(instant.slice(14, 16));

/** The opening periods of a date, as [open, close] minutes. */
export function periods(venue, date) {
  if (venue.closures.includes(date)) return [];
  const key = KEYS[new Date(`${date}T12:00:00Z`).getUTCDay()];
  return (venue.opening_hours[key] || []).map(([a, b]) => [toMin(a), toMin(b)]);
}

const hhmm = (m) => `${String(Math.floor(m / 60) % 24).padStart(2, '0')}:${String(m % 60).padStart(2, '0')}`;

export const STATUSES = ['pending', 'confirmed', 'seated', 'completed', 'cancelled', 'no_show'];

/** The colour legend. */
export function legend() {
  return el('div', { class: 'legend', role: 'list' },
    tx('legend.title', {}, 'strong'),
    ...STATUSES.map((s) => el('span', { class: `chip status-${s}`, role: 'listitem' }, tx(`status.${s}`))),
    el('span', { class: 'chip hold', role: 'listitem' }, tx('status.hold')));
}

/**
 * Renders the lanes. `shown` is the index of the one service shown, or -1
 * for all; `onSelect(id)` opens a booking.
 */
export function timeline({ venue, date, bookings, holds, selected, shown, onSelect }) {
  const all = periods(venue, date);
  if (!all.length) return [tx('closed', {}, 'p', { class: 'empty' })];
  const segs = shown >= 0 && all[shown] ? [all[shown]] : all;
  const total = segs.reduce((n, [a, b]) => n + (b - a), 0);
  // Minutes on the folded axis: closed time takes no width.
  const axis = (m) => {
    let x = 0;
    for (const [a, b] of segs) {
      if (m <= a) return x;
      if (m < b) return x + (m - a);
      x += b - a;
    }
    return x;
  };
  const pct = (m) => `${(axis(m) / total) * 100}%`;
  const width = (a, b) => `${(Math.max(axis(b) - axis(a), 1) / total) * 100}%`;
  const marks = [];
  for (const [i, [a, b]] of segs.entries()) {
    if (i > 0) marks.push(el('span', { class: 'fold', style: { left: pct(a) } }));
    for (let m = Math.ceil(a / 60) * 60; m < b; m += 60) marks.push(val(hhmm(m), 'span', { class: 'tick', style: { left: pct(m) } }));
  }
  const inView = (start, end) => segs.some(([a, b]) => start < b && end > a);
  const rows = [el('div', { class: 'row ticks' }, el('div', { class: 'name' }), el('div', { class: 'lane' }, ...marks))];
  const members = new Map((venue.combinations || []).map((c) => [c.id, c.resources]));
  const sits = (rid, r) => rid === r.id || (members.get(rid) || []).includes(r.id);
  for (const r of venue.resources) {
    const blocks = [];
    for (const b of bookings.values()) {
      const start = minutes(b.start);
      const end = Math.max(minutes(b.end) || 24 * 60, start + 1);
      if (!sits(b.resource_id, r) || !inView(start, end)) continue;
      const combo = b.resource_id !== r.id;
      blocks.push(el('div', {
        class: `block status-${b.status}${selected === b.id ? ' selected' : ''}${combo ? ' combo' : ''}`,
        'data-booking': b.id,
        'data-status': b.status,
        title: b.note || null,
        style: { left: pct(Math.max(start, segs[0][0])), width: width(start, end) },
        onclick: () => onSelect(b.id),
      },
      val(b.guest?.name || t('card.unnamed'), 'strong', { class: 'who' }),
      el('span', { class: 'meta' }, tx('card.party', { n: b.party_size }), tx(`status.${b.status}`, {}, 'span', { class: 'st' })),
      b.note ? el('span', { class: 'note-icon', role: 'img', 'aria-label': t('card.note') }) : null));
    }
    for (const h of holds.values()) {
      const start = minutes(h.start);
      if (!sits(h.resource_id, r) || !inView(start, minutes(h.end))) continue;
      blocks.push(el('div', { class: 'block hold', 'data-hold': h.id, style: { left: pct(start), width: width(start, minutes(h.end)) } },
        tx('card.party', { n: h.party_size }), tx('status.hold', {}, 'span', { class: 'st' })));
    }
    rows.push(el('div', { class: 'row', 'data-resource': r.id },
      el('div', { class: 'name' }, val(r.name, 'strong'), val(r.capacity, 'span', { class: 'cap' })),
      el('div', { class: 'lane' }, ...blocks)));
  }
  return rows;
}

/** The service picker: all day, or one service (periods as "from–to"). */
export function servicePicker(venue, date, shown, onPick) {
  const all = periods(venue, date);
  if (all.length < 2) return [];
  const pick = (i, node) => el('button', { type: 'button', class: `seg${shown === i ? ' on' : ''}`, 'data-service': i, onclick: () => onPick(i) }, node);
  return [pick(-1, tx('service.all')), ...all.map(([a, b], i) => pick(i, tx('service.label', { from: hhmm(a), to: hhmm(b) })))];
}

/** The service under way or next at `nowMin` (phones show just that one). */
export function currentService(venue, date, nowMin) {
  const all = periods(venue, date);
  if (all.length < 2) return -1;
  const i = all.findIndex(([, b]) => nowMin < b);
  return i >= 0 ? i : all.length - 1;
}


