// The venue tablet: staff sign in, pick a venue and a date, and run the
// service from a live timeline. Built on clients/js (served under lib/).

import { BookingClient, LiveFeed, webSocketFactory } from './lib/index.js';

const $ = (id) => document.getElementById(id);
const client = new BookingClient({
  baseUrl: location.origin,
  session: JSON.parse(sessionStorage.getItem('session') || 'null'),
  onSession: (s) => (s ? sessionStorage.setItem('session', JSON.stringify(s)) : sessionStorage.removeItem('session')),
});

/** What the sheet shows. */
const state = { venue: null, date: null, bookings: new Map(), holds: new Map(), selected: null, feed: null };
const ACTIONS = { pending: ['confirm', 'cancel'], confirmed: ['seat', 'no-show', 'cancel'], seated: ['complete'] };
const LABELS = { confirm: 'Confirm', cancel: 'Cancel', seat: 'Seat', 'no-show': 'No-show', complete: 'Complete' };
const KEYS = ['sun', 'mon', 'tue', 'wed', 'thu', 'fri', 'sat'];

const minutes = (instant) => Number(instant.slice(11, 13)) * 60 + Number(instant.slice(14, 16));
const localDay = (instant) => instant.slice(0, 10);
const todayIn = (tz) => new Intl.DateTimeFormat('en-CA', { timeZone: tz, year: 'numeric', month: '2-digit', day: '2-digit' }).format(new Date());
const showError = (e) => { $('error').textContent = e ? (e.message || String(e)) : ''; };
const banner = (text) => { $('banner').hidden = !text; $('banner').textContent = text || ''; };

function el(tag, attrs = {}, ...children) {
  const node = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (k === 'style') Object.assign(node.style, v);
    else if (k.startsWith('on')) node.addEventListener(k.slice(2), v);
    else node.setAttribute(k, v);
  }
  node.append(...children);
  return node;
}

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  $('login-error').textContent = '';
  try {
    await client.login({ email: form.get('email'), password: form.get('password') });
    await start();
  } catch (e) {
    $('login-error').textContent = e.status === 401 ? 'Wrong email or password.' : (e.message || 'Sign-in failed.');
  }
});

$('logout').addEventListener('click', () => {
  state.feed?.close();
  client.logout();
  location.reload();
});

async function start() {
  const me = await client.me();
  const venues = me.role === 'admin' ? (await client.venues({ limit: 200 })).items : await Promise.all(me.staff_of.map((id) => client.venue(id)));
  if (!venues.length) {
    $('login-error').textContent = 'This account is not staff of any venue.';
    return;
  }
  $('login').hidden = true;
  $('sheet').hidden = false;
  $('venue').replaceChildren(...venues.map((v) => el('option', { value: v.id }, v.name)));
  await selectVenue(venues[0].id);
}

$('venue').addEventListener('change', (e) => selectVenue(e.target.value).catch(showError));
$('date').addEventListener('change', (e) => { state.date = e.target.value; loadDay().catch(showError); });

async function selectVenue(id) {
  state.venue = await client.venue(id);
  state.date = todayIn(state.venue.timezone);
  $('date').value = state.date;
  await loadDay();
  follow();
}

/** The day sheet over REST (every status, every page). */
async function loadDay() {
  showError(null);
  const rows = [];
  let cursor;
  do {
    const page = await client.daySheet(state.venue.id, { date: state.date, limit: 200, cursor });
    rows.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  state.bookings = new Map(rows.map((b) => [b.id, b]));
  state.holds.clear();
  render();
}

/** Live updates; the feed catches up by itself after a lost connection. */
function follow() {
  state.feed?.close();
  state.feed = new LiveFeed({
    baseUrl: location.origin,
    token: () => client.accessToken,
    renew: () => client.refreshOnce().then(() => client.accessToken),
    socket: webSocketFactory(),
    onResync: () => loadDay().catch(showError),
    onState: (s) => connection(s),
  });
  window.bookingFeed = state.feed;
  state.feed.subscribe(`venue:${state.venue.id}:bookings`, {}, (frame) => apply(frame));
}

/** The banner says when the sheet may be stale and, briefly, when it is live again. */
let wasLost = false;
let clearBanner;
function connection(s) {
  clearTimeout(clearBanner);
  if (s === 'closed') {
    wasLost = true;
    banner('Connection lost. Reconnecting...');
  } else if (wasLost) {
    wasLost = false;
    banner('Back online. Caught up.');
    clearBanner = setTimeout(() => banner(null), 2000);
  }
}

function apply({ event, data }) {
  if (event === 'venue.updated') {
    state.venue = data;
  } else if (event.startsWith('booking.')) {
    if (localDay(data.start) === state.date) state.bookings.set(data.id, data);
    else state.bookings.delete(data.id);
  } else if (event.startsWith('hold.')) {
    if (data.status === 'active' && localDay(data.start) === state.date) state.holds.set(data.id, data);
    else state.holds.delete(data.id);
  }
  render();
}

function render() {
  const v = state.venue;
  const periods = v.opening_hours[KEYS[new Date(`${state.date}T12:00:00Z`).getUTCDay()]] || [];
  const toMin = (hhmm) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));
  const open = Math.min(...periods.map((p) => toMin(p[0])), 24 * 60);
  const close = Math.max(...periods.map((p) => toMin(p[1])), 0);
  const timeline = $('timeline');
  if (!periods.length || v.closures.includes(state.date)) {
    timeline.replaceChildren(el('p', { class: 'empty' }, 'Closed on this date.'));
    return;
  }
  const span = close - open;
  const at = (m) => `${((m - open) / span) * 100}%`;
  const ticks = [];
  for (let m = Math.ceil(open / 60) * 60; m < close; m += 60) ticks.push(el('span', { class: 'tick', style: { left: at(m) } }, `${String(m / 60).padStart(2, '0')}:00`));
  const rows = [el('div', { class: 'row ticks' }, el('div', { class: 'name' }, ''), el('div', { class: 'lane' }, ...ticks))];
  // A booking on a combination of tables shows on each member's row.
  const members = new Map((v.combinations || []).map((c) => [c.id, c.resources]));
  const sits = (resourceId, r) => resourceId === r.id || (members.get(resourceId) || []).includes(r.id);
  for (const r of v.resources) {
    const blocks = [];
    for (const b of state.bookings.values()) {
      if (!sits(b.resource_id, r)) continue;
      const start = minutes(b.start);
      const end = Math.max(minutes(b.end) || 24 * 60, start + 1);
      blocks.push(el('div', {
        class: `block status-${b.status}${state.selected === b.id ? ' selected' : ''}`,
        'data-booking': b.id,
        'data-status': b.status,
        style: { left: at(start), width: `${((end - start) / span) * 100}%` },
        onclick: () => select(b.id),
      }, `${b.guest?.name ? `${b.guest.name} · ` : ''}${b.party_size} · ${b.status}${b.note ? ` · ${b.note}` : ''}`));
    }
    for (const h of state.holds.values()) {
      if (!sits(h.resource_id, r)) continue;
      const start = minutes(h.start);
      blocks.push(el('div', { class: 'block hold', 'data-hold': h.id, style: { left: at(start), width: `${((minutes(h.end) - start) / span) * 100}%` } }, `${h.party_size} · held`));
    }
    rows.push(el('div', { class: 'row' }, el('div', { class: 'name' }, `${r.name} (${r.capacity})`), el('div', { class: 'lane' }, ...blocks)));
  }
  timeline.replaceChildren(...rows);
  renderDetails();
}

function select(id) {
  state.selected = id;
  render();
}

function renderDetails() {
  const panel = $('details');
  const b = state.selected && state.bookings.get(state.selected);
  if (!b) {
    panel.hidden = true;
    return;
  }
  panel.hidden = false;
  const actions = (ACTIONS[b.status] || []).map((action) => el('button', {
    type: 'button',
    'data-action': action,
    onclick: async (e) => {
      e.target.disabled = true;
      try {
        const method = action === 'no-show' ? 'noShow' : action;
        const updated = await client[method](b.id);
        state.bookings.set(updated.id, updated);
        showError(null);
        render();
      } catch (err) {
        showError(err);
        e.target.disabled = false;
      }
    },
  }, LABELS[action]));
  panel.replaceChildren(
    el('h2', {}, `${b.start.slice(11, 16)}-${b.end.slice(11, 16)} · party of ${b.party_size}`),
    el('div', {}, `Status: ${b.status}${b.note ? ` · ${b.note}` : ''}`),
    el('div', { class: 'guest' }, `Guest: ${b.guest?.name ?? 'unnamed'}${b.guest?.phone ? ` · ${b.guest.phone}` : ''} · ${b.channel ?? 'online'}`),
    el('div', { class: 'actions' }, ...actions, el('button', { type: 'button', class: 'quiet', onclick: () => select(null) }, 'Close')),
  );
}

$('walk-in').addEventListener('click', async () => {
  const party = Number($('walk-in-party').value);
  const today = todayIn(state.venue.timezone);
  try {
    // Seated at the current grid start by the server (channel walk_in).
    const seated = await client.walkIn(state.venue.id, { partySize: party, guest: { name: 'Walk-in' } });
    if (state.date === today) state.bookings.set(seated.id, seated);
    showError(null);
    render();
  } catch (e) {
    showError(e);
  }
});

if (client.accessToken) start().catch(() => client.logout());
