import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BookingClient, LiveFeed, availabilityView, webSocketFactory, wxSocketFactory } from '../src/index.js';
import { ADMIN, evening, restaurant, startServer } from './server.js';

let server;
let admin;
let guest;

before(async () => {
  server = await startServer();
  admin = new BookingClient({ baseUrl: server.baseUrl });
  await admin.login(ADMIN);
  guest = new BookingClient({ baseUrl: server.baseUrl });
  await guest.register({ email: 'live@js.example', password: 'password-123' });
});

after(() => server?.stop());

async function newVenue() {
  return (await admin.createVenue(restaurant([{ id: 'hall', name: 'Hall', capacity: 50, mode: 'shared' }]))).id;
}

/** Resolves once `check()` holds (polling), or fails after 10 s. */
async function until(check, what) {
  const deadline = Date.now() + 10_000;
  while (!check()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a feed whose connection drops mid-stream gets every seq exactly once, in order', async () => {
  const venue = await newVenue();
  const sockets = [];
  const factory = webSocketFactory();
  const feed = new LiveFeed({
    baseUrl: server.baseUrl,
    token: () => admin.accessToken,
    socket: (url, token) => { const s = factory(url, token); sockets.push(s); return s; },
    backoff: { initial: 300, max: 1000 },
  });
  const seqs = [];
  feed.subscribe(`venue:${venue}:bookings`, {}, (frame) => seqs.push(frame.seq));
  await until(() => feed.topics.get(`venue:${venue}:bookings`).lastSeq !== undefined, 'the subscription');
  for (let d = 2; d < 4; d += 1) await guest.book(venue, { start: evening(d), partySize: 1 });
  await until(() => seqs.length === 2, 'two live events');

  sockets.at(-1).close(); // the network goes away...
  for (let d = 4; d < 7; d += 1) await guest.book(venue, { start: evening(d), partySize: 1 }); // ...while bookings go on
  await until(() => sockets.length === 2 && seqs.length === 5, 'the missed events after reconnecting');
  await guest.book(venue, { start: evening(7), partySize: 1 });
  await until(() => seqs.length === 6, 'a live event after the replay');
  feed.close();
  const first = seqs[0];
  assert.deepEqual(seqs, [first, first + 1, first + 2, first + 3, first + 4, first + 5]);
});

test('a live availability view stays equal to the server', async () => {
  const venue = await newVenue();
  const date = evening(2).slice(0, 10);
  const feed = new LiveFeed({ baseUrl: server.baseUrl, socket: webSocketFactory() });
  let latest = [];
  const view = availabilityView(guest, feed, venue, date, 30, (slots) => { latest = slots; });
  await until(() => latest.length === 22, 'the first snapshot');
  await guest.book(venue, { start: evening(2), partySize: 25 });
  await guest.book(venue, { start: evening(2).replace('18:00', '18:30'), partySize: 10 });
  const server_ = () => guest.availability(venue, date, 30);
  const expected = (await server_()).slots;
  await until(() => JSON.stringify(view.current()) === JSON.stringify(expected), 'the view to match the server');
  assert.ok(expected.some((s) => !s.available), 'the bookings changed something');
  feed.close();
});

test('the wx socket adapter follows a topic through wx.connectSocket', async () => {
  const venue = await newVenue();
  const opened = [];
  const fakeWx = {
    connectSocket({ url, header }) {
      opened.push(header);
      const token = header.Authorization?.slice('Bearer '.length);
      const ws = new WebSocket(token ? `${url}?access_token=${token}` : url);
      const handlers = {};
      ws.onopen = () => handlers.open?.();
      ws.onmessage = (e) => handlers.message?.({ data: e.data });
      ws.onclose = (e) => handlers.close?.({ code: e.code });
      return {
        send: ({ data }) => ws.send(data),
        close: ({ code }) => ws.close(code),
        onOpen: (f) => { handlers.open = f; },
        onMessage: (f) => { handlers.message = f; },
        onClose: (f) => { handlers.close = f; },
        onError: () => {},
      };
    },
  };
  const feed = new LiveFeed({ baseUrl: server.baseUrl, token: () => admin.accessToken, socket: wxSocketFactory(fakeWx) });
  const events = [];
  feed.subscribe(`venue:${venue}:bookings`, {}, (frame) => events.push(frame.event));
  await until(() => feed.topics.get(`venue:${venue}:bookings`).lastSeq !== undefined, 'the subscription');
  await guest.book(venue, { start: evening(3), partySize: 2 });
  await until(() => events.length === 1, 'the event');
  assert.equal(events[0], 'booking.created');
  assert.ok(opened[0].Authorization.startsWith('Bearer '));
  feed.close();
});

test('the feed renews its token before expiry and resubscribes topics that ended with token_expired', async () => {
  const sent = [];
  let socket;
  const factory = () => {
    socket = { send: (t) => sent.push(JSON.parse(t)), close: () => {}, onopen: null, onmessage: null, onclose: null };
    return socket;
  };
  let renewed = 0;
  const feed = new LiveFeed({
    baseUrl: 'http://127.0.0.1:1',
    token: () => 'first',
    renew: async () => { renewed += 1; return `fresh-${renewed}`; },
    socket: factory,
  });
  feed.subscribe('venue:v1:bookings', {}, () => {});
  socket.onopen();
  assert.deepEqual(sent.find((f) => f.type === 'auth'), { type: 'auth', access_token: 'first' });
  // The server says the token lasts 61 s more: renewal comes a minute early.
  socket.onmessage(JSON.stringify({ type: 'authed', expires_at: new Date(Date.now() + 61_000).toISOString() }));
  await until(() => renewed === 1, 'the renewal');
  await until(() => sent.some((f) => f.type === 'auth' && f.access_token === 'fresh-1'), 'the auth frame');
  // A topic ended anyway: renew, then subscribe again once authed.
  socket.onmessage(JSON.stringify({ type: 'error', code: 'token_expired', topic: 'venue:v1:bookings', message: 'expired' }));
  await until(() => renewed === 2, 'the second renewal');
  const before = sent.filter((f) => f.type === 'subscribe').length;
  socket.onmessage(JSON.stringify({ type: 'authed', expires_at: new Date(Date.now() + 900_000).toISOString() }));
  assert.equal(sent.filter((f) => f.type === 'subscribe').length, before + 1);
  feed.close();
});
