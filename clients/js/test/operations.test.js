// The SDK covers the whole API: every operation of the server's own
// OpenAPI document has a client method (src/operations.js), and the
// methods added for the staff and admin routes work against the binary.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import * as sdk from '../src/index.js';
import { OPERATIONS } from '../src/operations.js';
import { ADMIN, evening, restaurant, startServer } from './server.js';

let server;

before(async () => {
  server = await startServer();
});

after(() => server?.stop());

test('every operation of the document has a client method', async () => {
  const doc = await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).json();
  const ids = Object.values(doc.paths).flatMap((item) => Object.values(item).map((op) => op.operationId));
  assert.ok(ids.length >= 60);
  for (const id of ids) {
    const name = OPERATIONS[id];
    assert.ok(name, `${id} has no client method in src/operations.js`);
    const callable = typeof sdk.BookingClient.prototype[name] === 'function' || typeof sdk[name] === 'function';
    assert.ok(callable, `${id}: ${name} is not a method of BookingClient nor an export`);
  }
  assert.deepEqual(Object.keys(OPERATIONS).filter((id) => !ids.includes(id)), [], 'no stale entries');
});

test('guests, CSV figures, the calendar feed and a backup through the client', async () => {
  const admin = new sdk.BookingClient({ baseUrl: server.baseUrl });
  await admin.login(ADMIN);
  const venue = await admin.createVenue(restaurant([{ id: 't1', name: 'T1', capacity: 4, mode: 'exclusive' }]));
  const ann = new sdk.BookingClient({ baseUrl: server.baseUrl });
  await ann.register({ email: 'ann@ops.example', password: 'password-123', name: 'Ann' });
  const booked = await ann.book(venue.id, { start: evening(2), partySize: 2 });

  const guests = await admin.guests(venue.id);
  assert.equal(guests.items.length, 1);
  assert.equal(guests.items[0].name, 'Ann');
  const guest = await admin.guest(venue.id, guests.items[0].id);
  assert.deepEqual(guest.bookings.map((b) => b.id), [booked.id]);

  const day = evening(2).slice(0, 10);
  const csv = await admin.statsCsv(venue.id, day, day);
  const lines = csv.trim().split('\r\n');
  assert.match(lines[0], /^date,bookings,covers,/);
  assert.match(lines[1], new RegExp(`^${day},1,0,`));

  const { url } = await ann.calendarFeed();
  const ics = await ann.calendar(url);
  assert.match(ics, /BEGIN:VCALENDAR/);
  assert.match(ics, /BEGIN:VEVENT/);

  const req = admin.backupRequest();
  const backup = await fetch(req.url, { headers: req.headers });
  assert.equal(backup.status, 200);
  assert.ok((await backup.arrayBuffer()).byteLength > 0);
});
