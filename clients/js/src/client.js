// The REST half of the API: accounts (email or WeChat sign-in) with
// automatic refresh, venues, staff, availability, holds, bookings and their
// transitions, the day sheet.

import { ApiError, NetworkError } from './errors.js';
import { fetchTransport } from './transports.js';

/**
 * @typedef {{access_token: string, refresh_token: string, expires_in: number, user: object}} Session
 * @typedef {{items: object[], next_cursor: string | null}} Page
 * @typedef {{limit?: number, cursor?: string}} PageQuery
 */

/** How many times a create is retried after a network error, 5xx or 429. */
const CREATE_ATTEMPTS = 3;

/** A time-ordered-enough random key: one per booking attempt, kept across its retries. */
export function newIdempotencyKey() {
  const random = globalThis.crypto?.randomUUID?.() ?? `${Math.random().toString(36).slice(2)}${Math.random().toString(36).slice(2)}`;
  return `${Date.now().toString(36)}-${random}`;
}

function query(params) {
  const pairs = Object.entries(params).filter(([, v]) => v !== undefined && v !== null);
  return pairs.length ? `?${pairs.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(String(v))}`).join('&')}` : '';
}

const sleep = (ms) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * A fresh `wx.login()` code (valid once, for five minutes).
 * @param {any} wx the mini-program's global `wx`
 * @returns {Promise<string>}
 */
export function wxLoginCode(wx) {
  return new Promise((resolve, reject) => {
    wx.login({
      success(res) {
        if (res && res.code) resolve(res.code);
        else reject(new Error((res && res.errMsg) || 'wx.login gave no code'));
      },
      fail(err) {
        reject(new Error((err && err.errMsg) || 'wx.login failed'));
      },
    });
  });
}

export class BookingClient {
  /**
   * @param {{baseUrl: string, transport?: import('./transports.js').Transport,
   *   session?: Session | null, onSession?: (session: Session | null) => void,
   *   retryDelayMs?: number}} options
   *   `baseUrl` is the server's root (`https://book.example.com`); `onSession`
   *   hears every new token pair (store it) and `null` when the login is gone.
   */
  constructor({ baseUrl, transport = fetchTransport(), session = null, onSession = () => {}, retryDelayMs = 200 }) {
    this.api = `${baseUrl.replace(/\/$/, '')}/api/v1`;
    this.transport = transport;
    this.session = session;
    this.onSession = onSession;
    this.retryDelayMs = retryDelayMs;
    /** @type {Promise<void> | null} one refresh at a time, shared by callers */
    this.refreshing = null;
  }

  /** The current access token, if logged in. */
  get accessToken() {
    return this.session?.access_token ?? null;
  }

  /**
   * One request. A 401 with a session triggers one refresh and one retry.
   * @returns {Promise<any>} the parsed body (null for 204)
   */
  async request(method, path, { body, auth = true, headers = {}, raw = false, retried = false } = {}) {
    /** @type {Record<string, string>} */
    const h = { Accept: 'application/json', ...headers };
    if (body !== undefined) h['Content-Type'] = 'application/json';
    if (auth && this.accessToken) h.Authorization = `Bearer ${this.accessToken}`;
    let response;
    try {
      response = await this.transport.request({ method, url: `${this.api}${path}`, headers: h, body: body === undefined ? undefined : JSON.stringify(body) });
    } catch (e) {
      throw new NetworkError(e instanceof Error ? e.message : String(e));
    }
    if (response.status === 401 && auth && this.session?.refresh_token && !retried) {
      await this.refreshOnce();
      return this.request(method, path, { body, auth, headers, raw, retried: true });
    }
    if (raw && response.status < 400) return response.body;
    const parsed = response.body ? JSON.parse(response.body) : null;
    if (response.status >= 400) {
      const e = parsed?.error ?? {};
      const error = new ApiError(response.status, e.code ?? 'unknown', e.message ?? `HTTP ${response.status}`, e.details ?? {});
      if (response.headers['retry-after']) error.retryAfterSeconds = Number(response.headers['retry-after']);
      throw error;
    }
    return parsed;
  }

  /** Refreshes the token pair; concurrent callers share one refresh. */
  refreshOnce() {
    if (!this.refreshing) {
      this.refreshing = this.refresh().finally(() => { this.refreshing = null; });
    }
    return this.refreshing;
  }

  /** A create (hold, booking) with one Idempotency-Key across its retries. */
  async create(path, body, idempotencyKey = newIdempotencyKey()) {
    let last;
    for (let attempt = 0; attempt < CREATE_ATTEMPTS; attempt += 1) {
      try {
        return await this.request('POST', path, { body, headers: { 'Idempotency-Key': idempotencyKey } });
      } catch (e) {
        last = e;
        if (!e.retryable) throw e;
        await sleep(((e.retryAfterSeconds ?? 0) * 1000) || this.retryDelayMs * 2 ** attempt);
      }
    }
    throw last;
  }

  setSession(session) {
    this.session = session;
    this.onSession(session);
    return session;
  }

  // Accounts.

  /** @returns {Promise<Session>} */
  async register({ email, password, name }) {
    return this.setSession(await this.request('POST', '/auth/register', { body: { email, password, name }, auth: false }));
  }

  /** @returns {Promise<Session>} */
  async login({ email, password }) {
    return this.setSession(await this.request('POST', '/auth/login', { body: { email, password }, auth: false }));
  }

  /**
   * Signs in with WeChat: a `wx.login()` code, traded by the server for the
   * user's account (made on first sign-in). The mini-program's usual login.
   * @param {any} wx the mini-program's global `wx`
   * @returns {Promise<Session>}
   */
  async loginWithWechat(wx) {
    const code = await wxLoginCode(wx);
    return this.setSession(await this.request('POST', '/auth/wechat', { body: { code }, auth: false }));
  }

  /** Links WeChat to the account logged in now (by email). @param {any} wx */
  async linkWechat(wx) {
    const code = await wxLoginCode(wx);
    return this.request('POST', '/me/wechat', { body: { code } });
  }

  /**
   * Changes the caller's name or phone; `null` clears, an omitted key stays.
   * @param {{name?: string | null, phone?: string | null}} patch
   */
  updateMe(patch) {
    return this.request('PATCH', '/me', { body: patch });
  }

  /** Trades the refresh token for a new pair; a refused one logs out. */
  async refresh() {
    try {
      this.setSession(await this.request('POST', '/auth/refresh', { body: { refresh_token: this.session?.refresh_token }, auth: false }));
    } catch (e) {
      if (e instanceof ApiError && e.status === 401) this.setSession(null);
      throw e;
    }
  }

  logout() {
    this.setSession(null);
  }

  me() {
    return this.request('GET', '/me');
  }

  // Venues and staff.

  /** @param {PageQuery} [q] @returns {Promise<Page>} */
  venues(q = {}) {
    return this.request('GET', `/venues${query(q)}`, { auth: false });
  }

  venue(id) {
    return this.request('GET', `/venues/${encodeURIComponent(id)}`, { auth: false });
  }

  createVenue(venue) {
    return this.request('POST', '/venues', { body: venue });
  }

  updateVenue(id, patch) {
    return this.request('PATCH', `/venues/${encodeURIComponent(id)}`, { body: patch });
  }

  addStaff(venueId, userId) {
    return this.request('PUT', `/venues/${encodeURIComponent(venueId)}/staff/${encodeURIComponent(userId)}`);
  }

  removeStaff(venueId, userId) {
    return this.request('DELETE', `/venues/${encodeURIComponent(venueId)}/staff/${encodeURIComponent(userId)}`);
  }

  /**
   * A day's starts for a party; `serviceId` is required at a venue with services.
   * @param {string} venueId @param {string} date YYYY-MM-DD @param {number} partySize @param {string} [serviceId]
   */
  availability(venueId, date, partySize, serviceId) {
    return this.request('GET', `/venues/${encodeURIComponent(venueId)}/availability${query({ date, party_size: partySize, service_id: serviceId })}`, { auth: false });
  }

  /** The venue's guests with their history (staff). @param {{q?: string} & PageQuery} [q] */
  guests(venueId, q = {}) {
    return this.request('GET', `/venues/${encodeURIComponent(venueId)}/guests${query(q)}`);
  }

  /** One guest with their bookings at this venue (staff). */
  guest(venueId, guestId) {
    return this.request('GET', `/venues/${encodeURIComponent(venueId)}/guests/${encodeURIComponent(guestId)}`);
  }

  /** The staff day sheet. @param {{date: string, status?: string} & PageQuery} q */
  daySheet(venueId, q) {
    return this.request('GET', `/venues/${encodeURIComponent(venueId)}/bookings${query(q)}`);
  }

  // Holds and bookings.

  /**
   * `serviceId` is required at a venue with services; `overridePacing` is for staff.
   * @param {{start: string, partySize: number, serviceId?: string, overridePacing?: boolean}} hold
   * @param {{idempotencyKey?: string}} [o]
   */
  placeHold(venueId, { start, partySize, serviceId, overridePacing }, o = {}) {
    const body = { start, party_size: partySize, service_id: serviceId, override_pacing: overridePacing };
    return this.create(`/venues/${encodeURIComponent(venueId)}/holds`, body, o.idempotencyKey);
  }

  releaseHold(id) {
    return this.request('DELETE', `/holds/${encodeURIComponent(id)}`);
  }

  /**
   * Books a start and party, or converts a hold. The Idempotency-Key is made
   * here once and reused on every retry of this attempt.
   * A hold brings its own service; otherwise `serviceId` is required at a
   * venue with services. `overridePacing` is for staff.
   * @param {{start?: string, partySize?: number, holdId?: string, note?: string,
   *   serviceId?: string, overridePacing?: boolean}} b
   * @param {{idempotencyKey?: string}} [o]
   */
  book(venueId, { start, partySize, holdId, note, serviceId, overridePacing }, o = {}) {
    const body = holdId
      ? { hold_id: holdId, note }
      : { start, party_size: partySize, note, service_id: serviceId, override_pacing: overridePacing };
    return this.create(`/venues/${encodeURIComponent(venueId)}/bookings`, body, o.idempotencyKey);
  }

  /** The caller's bookings. @param {{status?: string, from?: string, to?: string} & PageQuery} [q] */
  bookings(q = {}) {
    return this.request('GET', `/bookings${query(q)}`);
  }

  booking(id) {
    return this.request('GET', `/bookings/${encodeURIComponent(id)}`);
  }

  /**
   * Staff: a booking for a guest who may have no account (a phone call, a
   * walk-in). `guest.name` is required; `channel` is 'phone', 'walk_in' or
   * 'staff'. A 'walk_in' without `start` is seated now (see `walkIn`).
   * @param {{start?: string, partySize: number, guest: {name: string, phone?: string},
   *   channel?: 'phone' | 'walk_in' | 'staff', note?: string, serviceId?: string,
   *   overridePacing?: boolean}} booking
   * @param {{idempotencyKey?: string}} [o]
   */
  bookForGuest(venueId, { start, partySize, guest, channel = 'phone', note, serviceId, overridePacing }, o = {}) {
    const body = { start, party_size: partySize, guest, channel, note, service_id: serviceId, override_pacing: overridePacing };
    return this.create(`/venues/${encodeURIComponent(venueId)}/bookings`, body, o.idempotencyKey);
  }

  /** Staff: seats a party at the door now (the current grid start). */
  walkIn(venueId, { partySize, guest = { name: 'Walk-in' }, note, serviceId, overridePacing }, o = {}) {
    return this.bookForGuest(venueId, { partySize, guest, channel: 'walk_in', note, serviceId, overridePacing }, o);
  }

  /**
   * Moves, resizes or annotates a booking atomically; `resourceId` (staff
   * only) moves it to another table or room.
   * @param {{start?: string, partySize?: number, note?: string, version?: number,
   *   resourceId?: string, overridePacing?: boolean}} change
   */
  reschedule(id, { start, partySize, note, version, resourceId, overridePacing }) {
    const body = { start, party_size: partySize, note, version, resource_id: resourceId, override_pacing: overridePacing };
    return this.request('PATCH', `/bookings/${encodeURIComponent(id)}`, { body });
  }

  cancel(id) { return this.transition(id, 'cancel'); }
  confirm(id) { return this.transition(id, 'confirm'); }
  seat(id) { return this.transition(id, 'seat'); }
  complete(id) { return this.transition(id, 'complete'); }
  noShow(id) { return this.transition(id, 'no-show'); }

  transition(id, action) {
    return this.request('POST', `/bookings/${encodeURIComponent(id)}/${action}`, { body: {} });
  }

  // The waitlist.

  /**
   * Joins a venue's waitlist for a window of starts on one date. When a
   * start frees up the venue offers it: the entry becomes `offered` with
   * `offer.hold_id`, which `book(venueId, { holdId })` turns into a booking
   * (pushed as `waitlist.offered` on `user:bookings`). Staff may pass
   * `guest` to list someone without an account.
   * @param {{date: string, partySize: number, earliest: string, latest: string,
   *   serviceId?: string, note?: string, guest?: {name: string, phone?: string}}} entry
   * @param {{idempotencyKey?: string}} [o]
   */
  joinWaitlist(venueId, { date, partySize, earliest, latest, serviceId, note, guest }, o = {}) {
    const body = { date, party_size: partySize, earliest, latest, service_id: serviceId, note, guest };
    return this.create(`/venues/${encodeURIComponent(venueId)}/waitlist`, body, o.idempotencyKey);
  }

  /** The caller's entries, every status, newest first. @param {PageQuery} [q] */
  waitlist(q = {}) {
    return this.request('GET', `/waitlist${query(q)}`);
  }

  /** Staff: a date's waitlist in position order. @param {{date: string} & PageQuery} q */
  venueWaitlist(venueId, q) {
    return this.request('GET', `/venues/${encodeURIComponent(venueId)}/waitlist${query(q)}`);
  }

  /** Leaves the waitlist (an offer's hold is given back). */
  leaveWaitlist(id) {
    return this.request('DELETE', `/waitlist/${encodeURIComponent(id)}`);
  }

  /** Declines an offer: it goes to the next in line. */
  declineOffer(id) {
    return this.request('POST', `/waitlist/${encodeURIComponent(id)}/decline`, { body: {} });
  }

  // Friends.

  /** A new friend code (the old one stops working). */
  newFriendCode() {
    return this.request('POST', '/me/friend-code', { body: {} });
  }

  /** Asks the owner of a friend code to be friends (accepts theirs if they asked first). */
  addFriend(friendCode) {
    return this.request('POST', '/friends/requests', { body: { friend_code: friendCode } });
  }

  /** Pending requests, each with `direction: 'incoming' | 'outgoing'`. @param {PageQuery} [q] */
  friendRequests(q = {}) {
    return this.request('GET', `/friends/requests${query(q)}`);
  }

  acceptFriend(requestId) {
    return this.request('POST', `/friends/requests/${encodeURIComponent(requestId)}/accept`, { body: {} });
  }

  declineFriend(requestId) {
    return this.request('POST', `/friends/requests/${encodeURIComponent(requestId)}/decline`, { body: {} });
  }

  /** @param {PageQuery} [q] */
  friends(q = {}) {
    return this.request('GET', `/friends${query(q)}`);
  }

  removeFriend(userId) {
    return this.request('DELETE', `/friends/${encodeURIComponent(userId)}`);
  }

  // Shared bookings.

  /** The booking's customer invites a friend (at most party size - 1). */
  invite(bookingId, userId) {
    return this.request('POST', `/bookings/${encodeURIComponent(bookingId)}/invitations`, { body: { user_id: userId } });
  }

  acceptInvitation(bookingId) {
    return this.request('POST', `/bookings/${encodeURIComponent(bookingId)}/invitations/accept`, { body: {} });
  }

  declineInvitation(bookingId) {
    return this.request('POST', `/bookings/${encodeURIComponent(bookingId)}/invitations/decline`, { body: {} });
  }

  /** The customer withdraws an invitation, or the invitee leaves. */
  removeInvitation(bookingId, userId) {
    return this.request('DELETE', `/bookings/${encodeURIComponent(bookingId)}/invitations/${encodeURIComponent(userId)}`);
  }

  /** The caller's pending invitations, each with the booking. @param {PageQuery} [q] */
  invitations(q = {}) {
    return this.request('GET', `/me/invitations${query(q)}`);
  }

  // The schedule (日程).

  /** @param {{title: string, start: string, end: string, note?: string}} item */
  addScheduleItem({ title, start, end, note }) {
    return this.request('POST', '/me/schedule', { body: { title, start, end, note } });
  }

  /** `note: null` clears it. @param {{title?: string, start?: string, end?: string, note?: string | null}} change */
  updateScheduleItem(id, change) {
    return this.request('PATCH', `/me/schedule/${encodeURIComponent(id)}`, { body: change });
  }

  removeScheduleItem(id) {
    return this.request('DELETE', `/me/schedule/${encodeURIComponent(id)}`);
  }

  /**
   * Bookings, shared bookings and personal items starting in [from, to),
   * by start (RFC 3339 instants, at most 92 days apart).
   */
  schedule(from, to) {
    return this.request('GET', `/me/schedule${query({ from, to })}`);
  }

  /** A secret calendar-feed URL for the phone's calendar (a second call rotates it). */
  calendarFeed() {
    return this.request('POST', '/me/calendar-feed', { body: {} });
  }

  revokeCalendarFeed() {
    return this.request('DELETE', '/me/calendar-feed');
  }

  /** The calendar feed's text (iCalendar), from the URL `calendarFeed` gave. */
  calendar(feedUrl) {
    const path = feedUrl.slice(feedUrl.indexOf('/calendar/'));
    return this.request('GET', path, { auth: false, raw: true, headers: { Accept: 'text/calendar' } });
  }

  // Reports and webhooks (staff).

  /** Daily figures, `from` to `to` inclusive (YYYY-MM-DD, at most 366 days). */
  stats(venueId, from, to) {
    return this.request('GET', `/venues/${encodeURIComponent(venueId)}/stats${query({ from, to })}`);
  }

  /** The same figures as CSV text (one line per day, API v1.1 §12). */
  statsCsv(venueId, from, to) {
    return this.request('GET', `/venues/${encodeURIComponent(venueId)}/stats${query({ from, to })}`, { raw: true, headers: { Accept: 'text/csv' } });
  }

  /**
   * The request that streams a backup of the whole store (admin). A backup
   * is large and binary: give this to a streaming HTTP client (curl, a
   * Node stream) rather than reading it into memory.
   * @returns {{method: 'GET', url: string, headers: Record<string, string>}}
   */
  backupRequest() {
    return { method: 'GET', url: `${this.api}/admin/backup`, headers: { Authorization: `Bearer ${this.accessToken}` } };
  }

  /**
   * Adds a webhook endpoint. The answer's `secret` is shown only here: keep
   * it to verify `Booking-Signature` (see `verifySignature`).
   * @param {{url: string, events: string[], description?: string}} hook
   */
  createWebhook(venueId, { url, events, description }) {
    return this.request('POST', `/venues/${encodeURIComponent(venueId)}/webhooks`, {
      body: { url, events, description },
    });
  }

  /** The venue's webhooks (without secrets). */
  webhooks(venueId) {
    return this.request('GET', `/venues/${encodeURIComponent(venueId)}/webhooks`);
  }

  deleteWebhook(id) {
    return this.request('DELETE', `/webhooks/${encodeURIComponent(id)}`);
  }

  /** A webhook's delivery attempts, newest first. @param {PageQuery} [q] */
  webhookDeliveries(id, q = {}) {
    return this.request('GET', `/webhooks/${encodeURIComponent(id)}/deliveries${query(q)}`);
  }

  /** Delivers an attempt's event again (409 while it is still being tried). */
  retryDelivery(id, deliveryId) {
    const path = `/webhooks/${encodeURIComponent(id)}/deliveries/${encodeURIComponent(deliveryId)}/retry`;
    return this.request('POST', path, { body: {} });
  }
}
