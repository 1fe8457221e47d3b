// Live subscriptions that survive network loss: reconnect with backoff,
// resubscribe with `since` set to the last seq seen, drop duplicates, and
// hand `resync` to the caller (who refetches). Plus a live availability view.

/**
 * @typedef {{send(text: string): void, close(code?: number): void,
 *   onopen: (() => void) | null, onmessage: ((text: string) => void) | null,
 *   onclose: ((code: number) => void) | null}} LiveSocket
 * @typedef {(url: string, token: string | null) => LiveSocket} SocketFactory
 */

/**
 * Standard WebSocket (browsers; Node 22+, or Node 20 with --experimental-websocket).
 * The token goes in the `access_token` query: browsers cannot set headers.
 * @param {typeof WebSocket} [WebSocketImpl]
 * @returns {SocketFactory}
 */
export function webSocketFactory(WebSocketImpl = globalThis.WebSocket) {
  return (url, token) => {
    const ws = new WebSocketImpl(token ? `${url}?access_token=${encodeURIComponent(token)}` : url);
    /** @type {LiveSocket} */
    const socket = { send: (t) => ws.send(t), close: (code) => ws.close(code ?? 1000), onopen: null, onmessage: null, onclose: null };
    ws.onopen = () => socket.onopen?.();
    ws.onmessage = (e) => socket.onmessage?.(typeof e.data === 'string' ? e.data : String(e.data));
    ws.onclose = (e) => socket.onclose?.(e.code);
    return socket;
  };
}

/**
 * The mini-program's wx.connectSocket, with the token as a header.
 * @param {any} wx
 * @returns {SocketFactory}
 */
export function wxSocketFactory(wx) {
  return (url, token) => {
    const task = wx.connectSocket({ url, header: token ? { Authorization: `Bearer ${token}` } : {} });
    /** @type {LiveSocket} */
    const socket = { send: (data) => task.send({ data }), close: (code) => task.close({ code: code ?? 1000 }), onopen: null, onmessage: null, onclose: null };
    task.onOpen(() => socket.onopen?.());
    task.onMessage((m) => socket.onmessage?.(String(m.data)));
    task.onClose((e) => socket.onclose?.(e?.code ?? 1006));
    task.onError(() => {});
    return socket;
  };
}

/** Reconnect delays: 250 ms doubling to 10 s, with jitter so clients spread out. */
const BACKOFF_MS = { initial: 250, max: 10_000 };

export class LiveFeed {
  /**
   * A socket is bound to its token's expiry: with `renew` (a fresh access
   * token, e.g. `() => client.refreshOnce().then(() => client.accessToken)`)
   * the feed renews it a minute before it runs out and, should the server
   * end a topic with `token_expired`, renews and subscribes again.
   * @param {{baseUrl: string, token?: () => string | null, socket: SocketFactory,
   *   renew?: (() => Promise<string | null>) | null,
   *   onResync?: (topic: string) => void, onState?: (state: 'open' | 'closed') => void,
   *   backoff?: {initial: number, max: number}}} options
   */
  constructor({ baseUrl, token = () => null, socket, renew = null, onResync = () => {}, onState = () => {}, backoff = BACKOFF_MS }) {
    this.url = `${baseUrl.replace(/^http/, 'ws').replace(/\/$/, '')}/api/v1/ws`;
    this.token = token;
    this.renew = renew;
    /** Topics the server ended with `token_expired`, subscribed again once authed. */
    this.expired = new Set();
    this.renewTimer = null;
    this.factory = socket;
    this.onResync = onResync;
    this.onState = onState;
    this.backoff = backoff;
    /** @type {Map<string, {frame: object, handler: (frame: object) => void, lastSeq?: number}>} */
    this.topics = new Map();
    /** Highest seq seen per venue, for user:bookings (events of many venues). */
    this.venueSeqs = new Map();
    this.attempt = 0;
    this.stopped = false;
    this.socket = null;
    this.connect();
  }

  /**
   * Follows a topic; `handler` gets each `event` / `availability` frame once.
   * @param {string} topic e.g. `venue:{id}:bookings`, `venue:{id}:availability`, `user:bookings`
   * @param {{date?: string, party_size?: number, service_id?: string, since?: number}} params
   */
  subscribe(topic, params, handler) {
    const entry = { frame: { type: 'subscribe', topic, ...params }, handler, lastSeq: params.since, onSubscribed: params.onSubscribed };
    delete entry.frame.onSubscribed;
    this.topics.set(topic, entry);
    this.sendSubscribe(entry);
  }

  unsubscribe(topic) {
    this.topics.delete(topic);
    this.send({ type: 'unsubscribe', topic });
  }

  close() {
    this.stopped = true;
    clearTimeout(this.renewTimer);
    this.socket?.close(1000);
  }

  /** Sends an `auth` frame with a fresh token from `renew`. */
  async reauth() {
    if (!this.renew || this.stopped) return;
    try {
      const token = await this.renew();
      if (token) this.send({ type: 'auth', access_token: token });
    } catch {
      // logged out: the topics that need a token stay ended
    }
  }

  /** After `authed`: renew a minute before expiry, and resubscribe what ended. */
  authed(frame) {
    clearTimeout(this.renewTimer);
    const left = Date.parse(frame.expires_at) - Date.now();
    if (this.renew && Number.isFinite(left)) {
      this.renewTimer = setTimeout(() => this.reauth(), Math.max(1_000, left - 60_000));
    }
    for (const topic of this.expired) {
      const entry = this.topics.get(topic);
      if (entry) this.sendSubscribe(entry);
    }
    this.expired.clear();
  }

  connect() {
    if (this.stopped) return;
    const socket = this.factory(this.url, this.token());
    this.socket = socket;
    socket.onopen = () => {
      this.attempt = 0;
      this.onState('open');
      // Learn the token's expiry (the `authed` answer) to renew in time.
      const token = this.token();
      if (token && this.renew) this.send({ type: 'auth', access_token: token });
      for (const entry of this.topics.values()) this.sendSubscribe(entry);
    };
    socket.onmessage = (text) => this.receive(text);
    socket.onclose = () => {
      if (this.socket !== socket) return;
      this.socket = null;
      this.onState('closed');
      if (this.stopped) return;
      const delay = Math.min(this.backoff.max, this.backoff.initial * 2 ** this.attempt);
      this.attempt += 1;
      setTimeout(() => this.connect(), delay / 2 + Math.random() * (delay / 2));
    };
  }

  send(frame) {
    try {
      this.socket?.send(JSON.stringify(frame));
    } catch {
      // not open yet: subscriptions are sent again on open
    }
  }

  sendSubscribe(entry) {
    const frame = { ...entry.frame };
    // Resume where we left off: the server replays what we missed.
    if (frame.topic.endsWith(':bookings') && frame.topic.startsWith('venue:') && entry.lastSeq !== undefined) frame.since = entry.lastSeq;
    else delete frame.since;
    this.send(frame);
  }

  receive(text) {
    let frame;
    try {
      frame = JSON.parse(text);
    } catch {
      return;
    }
    if (frame.type === 'authed') {
      this.authed(frame);
      return;
    }
    const entry = frame.topic ? this.topics.get(frame.topic) : undefined;
    if (!entry) return;
    switch (frame.type) {
      case 'error':
        if (frame.code === 'token_expired') {
          this.expired.add(frame.topic);
          this.reauth();
        }
        break;
      case 'subscribed':
        if (entry.lastSeq === undefined && frame.topic.startsWith('venue:')) entry.lastSeq = frame.seq;
        entry.onSubscribed?.(frame);
        break;
      case 'event': {
        const venue = frame.data?.venue_id ?? frame.topic;
        const last = frame.topic === 'user:bookings' ? this.venueSeqs.get(venue) : entry.lastSeq;
        if (last !== undefined && frame.seq <= last) return; // a duplicate at a seam
        if (frame.topic === 'user:bookings') this.venueSeqs.set(venue, frame.seq);
        else entry.lastSeq = frame.seq;
        entry.handler(frame);
        break;
      }
      case 'availability':
        entry.handler(frame);
        break;
      case 'resync':
        // Too far behind: refetch over REST, then follow from now on.
        entry.lastSeq = undefined;
        this.onResync(frame.topic);
        this.sendSubscribe(entry);
        break;
      default:
        break;
    }
  }
}

/**
 * A day's availability kept equal to the server's: fetched over REST on
 * every (re)subscription, then changed by the pushed differences.
 * @param {import('./client.js').BookingClient} client
 * @param {LiveFeed} feed
 * @param {(slots: object[]) => void} onChange gets the whole day after every change
 * @param {{serviceId?: string}} [o] the service, at a venue with services
 */
export function availabilityView(client, feed, venueId, date, partySize, onChange, { serviceId } = {}) {
  /** @type {Map<string, object>} */
  let slots = new Map();
  const publish = () => onChange([...slots.values()]);
  const refetch = async () => {
    const day = await client.availability(venueId, date, partySize, serviceId);
    slots = new Map(day.slots.map((s) => [s.start, s]));
    publish();
  };
  feed.subscribe(`venue:${venueId}:availability`, {
    date,
    party_size: partySize,
    service_id: serviceId,
    // Each (re)subscription is a new baseline: changes while offline are not replayed.
    onSubscribed: () => { refetch().catch(() => {}); },
  }, (frame) => {
    for (const s of frame.slots) slots.set(s.start, { ...slots.get(s.start), ...s });
    publish();
  });
  return { refetch, current: () => [...slots.values()] };
}
