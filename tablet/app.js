// The venue tablet: staff sign in, pick a venue and a date, and run the
// service from one screen: a timeline or arrivals list, the shift's
// covers, the waitlist with live offers, phone bookings, walk-ins, table
// moves, and reports. Built on clients/js (served under lib/); every
// change made elsewhere arrives over the live feed.

import { BookingClient, LiveFeed, webSocketFactory } from './lib/index.js';
import { $, button, el, option, tx } from './dom.js';
import { LANGUAGES, language, onLanguage, setLanguage, setZone, t, todayIn, translateStatic } from './i18n.js';
import { arrivals, countdown, coversBar, details, phoneForm, waitlist } from './panels.js';
import { downloadCsv, reportsPage } from './reports.js';
import { currentService, legend, servicePicker, timeline } from './timeline.js';

const client = new BookingClient({
  baseUrl: location.origin,
  session: JSON.parse(sessionStorage.getItem('session') || 'null'),
  onSession: (s) => (s ? sessionStorage.setItem('session', JSON.stringify(s)) : sessionStorage.removeItem('session')),
});

/** What the screen shows. */
const state = {
  venue: null, date: null, bookings: new Map(), holds: new Map(), entries: [],
  selected: null, feed: null, view: 'timeline', shown: -1, dialog: null,
  report: null, from: null, to: null, errorKey: null, errorText: null,
};
const VIEWS = ['timeline', 'list', 'waitlist', 'reports'];
const localDay = (instant) => instant.slice(0, 10);
const phone = () => window.matchMedia('(max-width: 700px)').matches;

/** Errors: the server's message (its language) inside a translated frame. */
function showError(e) {
  state.errorText = e ? (e.message || String(e)) : null;
  paintError();
}
function paintError() {
  $('error').replaceChildren(...(state.errorText ? [tx('error.generic', { message: state.errorText })] : []));
}

let bannerKey = null;
function banner(key) {
  bannerKey = key;
  $('banner').hidden = !key;
  $('banner').replaceChildren(...(key ? [tx(key)] : []));
}

$('lang').replaceChildren(...LANGUAGES.map(([code, name]) => option(code, name, false)));
$('lang').value = language();
$('lang').addEventListener('change', (e) => setLanguage(e.target.value));
onLanguage(() => { render(); paintError(); if (bannerKey) banner(bannerKey); });
translateStatic();
document.documentElement.lang = language();

$('login-form').addEventListener('submit', async (event) => {
  event.preventDefault();
  const form = new FormData(event.target);
  $('login-error').replaceChildren();
  try {
    await client.login({ email: form.get('email'), password: form.get('password') });
    await start();
  } catch (e) {
    $('login-error').replaceChildren(e.status === 401 ? tx('login.wrong') : tx('login.failed'));
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
    $('login-error').replaceChildren(tx('login.not_staff'));
    return;
  }
  $('venue').replaceChildren(...venues.map((v) => option(v.id, v.name, false)));
  await selectVenue(venues[0].id);
  // Shown once today's sheet is in: a date picked earlier would be
  // overwritten by selectVenue's "today".
  $('login').hidden = true;
  $('sheet').hidden = false;
}

$('venue').addEventListener('change', (e) => selectVenue(e.target.value).catch(showError));
$('date').addEventListener('change', (e) => { state.date = e.target.value; loadDay().catch(showError); });

async function selectVenue(id) {
  state.venue = await client.venue(id);
  setZone(state.venue.timezone);
  state.date = todayIn(state.venue.timezone);
  $('date').value = state.date;
  await loadDay();
  follow();
}

/** The day sheet and the waitlist over REST (every page). */
async function loadDay() {
  showError(null);
  // A later pick of venue or date wins: an answer for an earlier one is dropped.
  const asked = `${state.venue.id}/${state.date}`;
  const current = () => asked === `${state.venue.id}/${state.date}`;
  const rows = [];
  let cursor;
  do {
    const page = await client.daySheet(state.venue.id, { date: state.date, limit: 200, cursor });
    rows.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  const entries = await fetchWaitlist();
  if (!current()) return;
  state.bookings = new Map(rows.map((b) => [b.id, b]));
  state.holds.clear();
  // On a phone, the service under way (or next) fits the screen.
  const now = new Date();
  const nowMin = Number(new Intl.DateTimeFormat('en-GB', { timeZone: state.venue.timezone, hour: '2-digit', hour12: false }).format(now)) * 60;
  state.shown = phone() ? currentService(state.venue, state.date, state.date === todayIn(state.venue.timezone) ? nowMin : 0) : -1;
  state.entries = entries;
  render();
  // For tests and automation: which date the screen shows, once loaded.
  document.body.dataset.loaded = state.date;
}

async function loadWaitlist() {
  state.entries = await fetchWaitlist();
}

async function fetchWaitlist() {
  const items = [];
  let cursor;
  do {
    const page = await client.venueWaitlist(state.venue.id, { date: state.date, limit: 200, cursor });
    items.push(...page.items);
    cursor = page.next_cursor ?? undefined;
  } while (cursor);
  return items;
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

let wasLost = false;
let clearBanner;
function connection(s) {
  clearTimeout(clearBanner);
  if (s === 'closed') {
    wasLost = true;
    banner('banner.lost');
  } else if (wasLost) {
    wasLost = false;
    banner('banner.back');
    clearBanner = setTimeout(() => banner(null), 2000);
  }
}

function apply({ event, data }) {
  if (event === 'venue.updated') {
    state.venue = data;
  } else if (event.startsWith('booking.')) {
    if (localDay(data.start) === state.date) keep(data);
    else state.bookings.delete(data.id);
  } else if (event.startsWith('hold.')) {
    if (data.status === 'active' && localDay(data.start) === state.date) state.holds.set(data.id, data);
    else state.holds.delete(data.id);
  } else if (event.startsWith('waitlist.')) {
    loadWaitlist().then(render).catch(showError);
    return;
  }
  render();
}

/** Puts a booking on the sheet. Only the day sheet carries guest history
 * (live events and action answers do not): what it had is kept. */
function keep(booking) {
  const history = state.bookings.get(booking.id)?.guest?.history;
  if (history && booking.guest) booking.guest.history = history;
  state.bookings.set(booking.id, booking);
}

function select(id) {
  state.selected = id;
  render();
}

function render() {
  if (!state.venue) return;
  $('views').replaceChildren(...VIEWS.map((v) => el('button', {
    type: 'button', class: `seg${state.view === v ? ' on' : ''}`, 'data-view': v, onclick: () => switchView(v),
  }, tx(`view.${v}`))));
  $('covers').replaceChildren(...coversBar(state.bookings));
  const walkParty = el('input', { id: 'walk-in-party', type: 'number', min: 1, max: 1000, value: 2, 'aria-label': t('walk_in.party') });
  $('tools').replaceChildren(
    ...(state.view === 'timeline' ? servicePicker(state.venue, state.date, state.shown, (i) => { state.shown = i; render(); }) : []),
    el('span', { class: 'spacer' }),
    button('action.phone', () => openPhone(2), { id: 'phone-booking' }),
    walkParty,
    button('action.walk_in', () => walkIn(Number(walkParty.value)), { id: 'walk-in' }));
  const view = $('view');
  if (state.view === 'timeline') {
    view.replaceChildren(legend(), el('div', { id: 'timeline', class: 'timeline' },
      ...timeline({ ...state, onSelect: select })));
  } else if (state.view === 'list') {
    view.replaceChildren(el('div', { class: 'list' }, ...arrivals(state.bookings, state.venue.resources, select)));
  } else if (state.view === 'waitlist') {
    view.replaceChildren(el('section', { id: 'waitlist', class: 'panel' }, tx('waitlist.title', {}, 'h2'), ...waitlist(state.entries)));
  } else {
    view.replaceChildren(el('section', { id: 'reports', class: 'panel' }, ...reportsPage({
      from: state.from, to: state.to, report: state.report,
      onShow: (from, to) => loadReport(from, to),
      onCsv: () => downloadCsv(location.origin, client.accessToken, state.venue.id, state.from, state.to).catch(showError),
    })));
  }
  renderDetails();
  renderDialog();
}

function switchView(v) {
  state.view = v;
  state.selected = null;
  if (v === 'reports' && !state.report) {
    const today = todayIn(state.venue.timezone);
    const from = new Date(Date.parse(`${today}T12:00:00Z`) - 13 * 86_400_000).toISOString().slice(0, 10);
    loadReport(from, today);
    return;
  }
  render();
}

async function loadReport(from, to) {
  state.from = from;
  state.to = to;
  try {
    state.report = await client.stats(state.venue.id, from, to);
    showError(null);
  } catch (e) {
    showError(e);
  }
  render();
}

/** Runs a staff action and shows its result (or the server's refusal). */
async function run(button, work) {
  button.disabled = true;
  try {
    const updated = await work();
    if (updated?.id && localDay(updated.start) === state.date) keep(updated);
    showError(null);
    render();
    return updated;
  } catch (err) {
    showError(err);
    button.disabled = false;
    return null;
  }
}

function renderDetails() {
  const panel = $('details');
  const b = state.selected && state.bookings.get(state.selected);
  panel.hidden = !b;
  if (!b) return;
  panel.replaceChildren(...details(b, state.venue, {
    act: (action, btn) => run(btn, () => client[action === 'no-show' ? 'noShow' : action](b.id)),
    move: (resourceId, btn) => run(btn, () => client.reschedule(b.id, { resourceId })),
    close: () => select(null),
  }));
}

async function openPhone(party) {
  try {
    const a = await client.availability(state.venue.id, state.date, party);
    state.dialog = { party, slots: a.slots.filter((s) => s.available).map((s) => s.start) };
    showError(null);
  } catch (e) {
    showError(e);
  }
  render();
}

function renderDialog() {
  const panel = $('dialog');
  panel.hidden = !state.dialog;
  if (!state.dialog) return;
  panel.replaceChildren(...phoneForm({
    ...state.dialog,
    onParty: (n) => openPhone(n),
    onClose: () => { state.dialog = null; render(); },
    onSubmit: async (form) => {
      const btn = panel.querySelector('[data-action=book]');
      const booked = await run(btn, () => client.bookForGuest(state.venue.id, {
        start: form.get('start'),
        partySize: Number(form.get('party')),
        guest: { name: form.get('name'), phone: form.get('phone') || undefined },
        note: form.get('note') || undefined,
      }));
      if (booked) { state.dialog = null; state.selected = booked.id; render(); }
    },
  }));
}

async function walkIn(party) {
  const today = todayIn(state.venue.timezone);
  try {
    // Seated at the current grid start by the server (channel walk_in).
    const seated = await client.walkIn(state.venue.id, { partySize: party, guest: { name: t('channel.walk_in') } });
    if (state.date === today) state.bookings.set(seated.id, seated);
    showError(null);
    render();
  } catch (e) {
    showError(e);
  }
}

// Offers count down on the waitlist (only the countdowns are redrawn,
// so a form being filled in is left alone).
setInterval(() => {
  for (const node of document.querySelectorAll('.countdown[data-expires]')) node.replaceWith(countdown(node.dataset.start, node.dataset.expires));
}, 1000);

if (client.accessToken) start().catch(() => client.logout());
