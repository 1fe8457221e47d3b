// The host stand's other views: the covers header, arrivals by time, the
// waitlist with live offers, a booking's details with its actions, and
// the phone-booking form.

import { button, el, option, tx, val } from './dom.js';
import { number, t, time } from './i18n.js';

const LIVE = ['pending', 'confirmed', 'seated', 'completed'];

/** Covers of the shift: booked, seated now, still to arrive, walk-ins. */
export function covers(bookings) {
  const sum = (f) => [...bookings.values()].filter(f).reduce((n, b) => n + b.party_size, 0);
  return {
    booked: sum((b) => LIVE.includes(b.status)),
    seated: sum((b) => b.status === 'seated'),
    remaining: sum((b) => b.status === 'pending' || b.status === 'confirmed'),
    walk_ins: sum((b) => b.channel === 'walk_in' && LIVE.includes(b.status)),
  };
}

export function coversBar(bookings) {
  const c = covers(bookings);
  return Object.entries(c).map(([k, n]) => el('div', { class: 'cover', 'data-covers': k },
    tx(`covers.${k}`, {}, 'span', { class: 'label' }),
    el('strong', {}, val(number(n))),
    tx('covers.unit', { n: '' }, 'span', { class: 'unit' })));
}

/** Tags a host reads at a glance, from the guest's history here. */
function tags(b) {
  const h = b.guest?.history;
  const out = [tx(`channel.${b.channel || 'online'}`, {}, 'span', { class: 'tag' })];
  if (h) {
    if (h.visits === 0) out.push(tx('tag.first_visit', {}, 'span', { class: 'tag' }));
    if (h.visits >= 3) out.push(tx('tag.regular', {}, 'span', { class: 'tag good' }));
    if (h.no_shows > 0) out.push(tx('tag.no_shows', {}, 'span', { class: 'tag bad' }));
  }
  return out;
}

function history(b) {
  const h = b.guest?.history;
  if (!h) return [];
  return [tx('details.visits', { n: h.visits }), tx('details.no_shows', { n: h.no_shows }, 'span', { class: h.no_shows ? 'bad' : '' })];
}

/** Arrivals by time. */
export function arrivals(bookings, resources, onSelect) {
  const rows = [...bookings.values()].sort((a, b) => a.start.localeCompare(b.start) || a.id.localeCompare(b.id));
  if (!rows.length) return [tx('list.empty', {}, 'p', { class: 'empty' })];
  const name = (id) => resources.find((r) => r.id === id)?.name ?? id;
  const head = ['time', 'guest', 'phone', 'party', 'table', 'status', 'notes', 'tags', 'history'].map((k) => tx(`list.${k}`, {}, 'th'));
  const body = rows.map((b) => el('tr', { 'data-booking': b.id, 'data-status': b.status, onclick: () => onSelect(b.id) },
    el('td', {}, val(time(b.start))),
    el('td', {}, b.guest?.name ? val(b.guest.name, 'strong') : tx('card.unnamed')),
    el('td', {}, b.guest?.phone ? val(b.guest.phone) : null),
    el('td', {}, val(number(b.party_size))),
    el('td', {}, val(name(b.resource_id))),
    el('td', {}, tx(`status.${b.status}`, {}, 'span', { class: `chip status-${b.status}` })),
    el('td', { class: 'notes' }, b.note ? val(b.note) : null),
    el('td', {}, ...tags(b)),
    el('td', { class: 'history' }, ...history(b))));
  return [el('table', { class: 'arrivals' }, el('thead', {}, el('tr', {}, ...head)), el('tbody', {}, ...body))];
}

const left = (expires, now) => {
  const s = Math.max(0, Math.round((Date.parse(expires) - now) / 1000));
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
};

/** The waitlist in position order, offers with their countdown. */
export function waitlist(entries, now = Date.now()) {
  if (!entries.length) return [tx('waitlist.empty', {}, 'p', { class: 'empty' })];
  return [el('ol', { class: 'waitlist' }, ...entries.map((e) => el('li', { 'data-entry': e.id, 'data-status': e.status, class: `entry ${e.status}` },
    e.position ? tx('waitlist.position', { n: e.position }, 'span', { class: 'pos' }) : null,
    e.guest?.name ? val(e.guest.name, 'strong') : tx('card.unnamed', {}, 'strong'),
    tx('card.party', { n: e.party_size }),
    tx('waitlist.window', { from: time(e.earliest), to: time(e.latest) }),
    tx(`waitlist.status.${e.status}`, {}, 'span', { class: 'chip' }),
    e.offer && e.status === 'offered' ? countdown(e.offer.start, e.offer.expires_at, now) : null)))];
}

/** An offer's start and the time left to take it. */
export function countdown(start, expires, now = Date.now()) {
  return tx('waitlist.offered', { time: time(start), left: left(expires, now) }, 'span', { class: 'countdown', 'data-start': start, 'data-expires': expires });
}

const ACTIONS = { pending: ['confirm', 'cancel'], confirmed: ['seat', 'no-show', 'cancel'], seated: ['complete'] };

/** A booking's details, its transitions and the table picker. */
export function details(b, venue, { act, move, close }) {
  const places = [...venue.resources.map((r) => [r.id, r.name]), ...(venue.combinations || []).map((c) => [c.id, c.id])];
  const picker = el('select', { id: 'move-to', 'aria-label': t('details.move_to') },
    ...places.map(([id, name]) => {
      const o = option(id, name, false);
      if (id === b.resource_id) o.selected = true;
      return o;
    }));
  const canMove = ['pending', 'confirmed', 'seated'].includes(b.status);
  return [
    el('h2', {}, tx('details.time', { from: time(b.start), to: time(b.end) }), val(' · '), tx('card.party', { n: b.party_size })),
    el('div', {}, tx(`status.${b.status}`, {}, 'span', { class: `chip status-${b.status}` })),
    el('dl', {},
      tx('details.guest', {}, 'dt'), el('dd', {}, b.guest?.name ? val(b.guest.name) : tx('card.unnamed')),
      b.guest?.phone ? tx('details.phone', {}, 'dt') : null, b.guest?.phone ? el('dd', {}, val(b.guest.phone)) : null,
      tx('details.channel', {}, 'dt'), el('dd', {}, tx(`channel.${b.channel || 'online'}`)),
      b.guest?.history ? tx('details.history', {}, 'dt') : null, b.guest?.history ? el('dd', {}, ...history(b)) : null,
      b.note ? tx('card.note', {}, 'dt') : null, b.note ? el('dd', { class: 'full-note' }, val(b.note)) : null),
    el('div', { class: 'actions' },
      ...(ACTIONS[b.status] || []).map((a) => button(`action.${a}`, (e) => act(a, e.currentTarget), { 'data-action': a })),
      button('action.close', close, { class: 'quiet' })),
    canMove ? el('div', { class: 'move' }, tx('details.move_to', {}, 'label', { for: 'move-to' }), picker,
      button('action.move', (e) => move(picker.value, e.currentTarget), { 'data-action': 'move' })) : null,
  ];
}

/** The phone-booking form; `slots` are the party's available starts. */
export function phoneForm({ slots, party, onParty, onSubmit, onClose }) {
  const form = el('form', { id: 'phone-form', onsubmit: (e) => { e.preventDefault(); onSubmit(new FormData(e.target)); } },
    tx('phone.title', {}, 'h2'),
    el('label', {}, tx('phone.name'), el('input', { name: 'name', required: true, maxlength: 200 })),
    el('label', {}, tx('phone.phone'), el('input', { name: 'phone', type: 'tel', maxlength: 40 })),
    el('label', {}, tx('phone.party'), el('input', { name: 'party', type: 'number', min: 1, max: 1000, value: party, onchange: (e) => onParty(Number(e.target.value)) })),
    el('label', {}, tx('phone.start'), el('select', { name: 'start', required: true }, ...slots.map((s) => option(s, time(s), false)))),
    el('label', {}, tx('phone.note'), el('input', { name: 'note', maxlength: 1000 })),
    el('div', { class: 'actions' }, el('button', { type: 'submit', 'data-action': 'book' }, tx('action.save')), button('action.close', onClose, { class: 'quiet' })));
  return [form];
}
