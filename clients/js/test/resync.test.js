import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { BookingClient, LiveFeed, webSocketFactory } from '../src/index.js';
import { ADMIN, evening, restaurant, startServer } from './server.js';

let server;

// A server that keeps only the last two events of a venue.
before(async () => { server = await startServer({ BOOKING_STORE__KEEP_EVENTS: '2' }); });
after(() => server?.stop());

test('missing more than the kept history gives resync, and the feed goes on from there', async () => {
  const admin = new BookingClient({ baseUrl: server.baseUrl });
  await admin.login(ADMIN);
  const venue = (await admin.createVenue(restaurant([{ id: 'hall', name: 'Hall', capacity: 50, mode: 'shared' }]))).id;
  const sockets = [];
  const factory = webSocketFactory();
  const resyncs = [];
  const feed = new LiveFeed({
    baseUrl: server.baseUrl,
    token: () => admin.accessToken,
    socket: (url, token) => { const s = factory(url, token); sockets.push(s); return s; },
    onResync: (topic) => resyncs.push(topic),
    backoff: { initial: 400, max: 1000 },
  });
  const seqs = [];
  const topic = `venue:${venue}:bookings`;
  feed.subscribe(topic, {}, (frame) => seqs.push(frame.seq));
  const until = async (check) => {
    const deadline = Date.now() + 10_000;
    while (!check()) {
      assert.ok(Date.now() < deadline, 'timed out');
      await new Promise((r) => setTimeout(r, 20));
    }
  };
  await until(() => feed.topics.get(topic).lastSeq !== undefined);
  sockets.at(-1).close();
  for (let d = 2; d < 6; d += 1) await admin.book(venue, { start: evening(d), partySize: 1 });
  await until(() => resyncs.length === 1);
  assert.deepEqual(resyncs, [topic]);
  // After the resync it follows live again.
  await until(() => feed.topics.get(topic).lastSeq !== undefined);
  await admin.book(venue, { start: evening(7), partySize: 1 });
  await until(() => seqs.length === 1);
  feed.close();
});
