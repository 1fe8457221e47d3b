import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { ApiError, BookingClient, fetchTransport, wxTransport } from '../src/index.js';
import { ADMIN, evening, restaurant, startServer } from './server.js';

let server;
let venue;

before(async () => {
  server = await startServer();
  const admin = new BookingClient({ baseUrl: server.baseUrl });
  await admin.login(ADMIN);
  const v = await admin.createVenue(restaurant([
    { id: 't4', name: 'Table 4', capacity: 4, mode: 'exclusive' },
    { id: 'bar', name: 'Bar', capacity: 10, mode: 'shared' },
  ]));
  venue = v.id;
});

after(() => server?.stop());

test('a customer registers, books, reads, reschedules and cancels', async () => {
  const sessions = [];
  const client = new BookingClient({ baseUrl: server.baseUrl, onSession: (s) => sessions.push(s) });
  await client.register({ email: 'ann@js.example', password: 'password-123' });
  assert.equal(sessions.length, 1);
  assert.equal((await client.me()).email, 'ann@js.example');
  const day = evening(2).slice(0, 10);
  const slots = (await client.availability(venue, day, 4)).slots;
  assert.equal(slots.length, 22);
  const booked = await client.book(venue, { start: evening(2), partySize: 4, note: 'window' });
  assert.equal(booked.status, 'confirmed');
  assert.deepEqual(await client.booking(booked.id), booked);
  assert.equal((await client.bookings()).items.length, 1);
  const moved = await client.reschedule(booked.id, { start: evening(3), version: 1 });
  assert.equal(moved.version, 2);
  assert.equal((await client.cancel(booked.id)).status, 'cancelled');
});

test('errors carry the contract codes', async () => {
  const client = new BookingClient({ baseUrl: server.baseUrl });
  await client.register({ email: 'bob@js.example', password: 'password-123' });
  await assert.rejects(client.book(venue, { start: evening(2).replace('18:00', '18:05'), partySize: 2 }), (e) => e instanceof ApiError && e.status === 422 && e.code === 'validation_failed' && e.details.field === 'start');
  await assert.rejects(client.booking('no-such-booking'), (e) => e.code === 'not_found');
  await client.book(venue, { start: evening(4), partySize: 10 });
  await client.book(venue, { start: evening(4), partySize: 4 });
  await assert.rejects(client.book(venue, { start: evening(4), partySize: 2 }), (e) => e.status === 409 && e.code === 'slot_unavailable');
});

test('a hold converts into a booking and a converted hold cannot be released', async () => {
  const client = new BookingClient({ baseUrl: server.baseUrl });
  await client.register({ email: 'cat@js.example', password: 'password-123' });
  const hold = await client.placeHold(venue, { start: evening(5), partySize: 2 });
  const booked = await client.book(venue, { holdId: hold.id });
  assert.equal(booked.start, hold.start);
  await assert.rejects(client.releaseHold(hold.id), (e) => e.code === 'conflict');
});

test('an expired or revoked access token is refreshed once and the call goes through', async () => {
  const client = new BookingClient({ baseUrl: server.baseUrl });
  const session = await client.register({ email: 'dan@js.example', password: 'password-123' });
  client.session = { ...session, access_token: 'expired.or.forged' };
  assert.equal((await client.me()).email, 'dan@js.example');
  assert.notEqual(client.session.refresh_token, session.refresh_token, 'the refresh token rotated');
  // Concurrent calls share one refresh.
  client.session = { ...client.session, access_token: 'expired.again' };
  const all = await Promise.all([client.me(), client.me(), client.bookings()]);
  assert.equal(all[0].email, 'dan@js.example');
  // A used refresh token logs out.
  const stale = { ...client.session, access_token: 'x', refresh_token: session.refresh_token };
  const other = new BookingClient({ baseUrl: server.baseUrl, session: stale });
  await assert.rejects(other.me(), (e) => e.status === 401);
  assert.equal(other.session, null);
});

test('a booking retried after a lost response keeps its Idempotency-Key and books once', async () => {
  const real = fetchTransport();
  let dropped = 0;
  const keys = [];
  const flaky = {
    async request(req) {
      const response = await real.request(req);
      if (req.method === 'POST' && req.url.endsWith('/bookings')) {
        keys.push(req.headers['Idempotency-Key']);
        if (dropped === 0) {
          dropped += 1;
          throw new Error('connection reset after the request was sent');
        }
      }
      return response;
    },
  };
  const client = new BookingClient({ baseUrl: server.baseUrl, transport: flaky, retryDelayMs: 10 });
  await client.register({ email: 'eve@js.example', password: 'password-123' });
  const booked = await client.book(venue, { start: evening(6), partySize: 2 });
  assert.equal(keys.length, 2);
  assert.equal(keys[0], keys[1]);
  assert.equal((await client.bookings()).items.length, 1);
  assert.equal((await client.bookings()).items[0].id, booked.id);
});

test('the wx adapter speaks wx.request', async () => {
  const calls = [];
  const fakeWx = {
    request({ url, method, header, data, success, fail }) {
      calls.push({ url, method, header });
      fetch(url, { method, headers: header, body: data })
        .then(async (r) => success({ statusCode: r.status, header: Object.fromEntries(r.headers), data: await r.text() }))
        .catch((e) => fail({ errMsg: String(e) }));
    },
  };
  const client = new BookingClient({ baseUrl: server.baseUrl, transport: wxTransport(fakeWx) });
  await client.register({ email: 'fay@js.example', password: 'password-123' });
  const booked = await client.book(venue, { start: evening(7), partySize: 2 });
  assert.equal(booked.status, 'confirmed');
  assert.ok(calls.some((c) => c.method === 'POST' && c.header['Idempotency-Key']));
  assert.ok(calls.some((c) => c.header.Authorization?.startsWith('Bearer ')));
  const failing = new BookingClient({ baseUrl: 'http://127.0.0.1:9', transport: wxTransport({ request: ({ fail }) => fail({ errMsg: 'request:fail' }) }) });
  await assert.rejects(failing.venues(), (e) => e.name === 'NetworkError');
});

test('loginWithWechat trades a wx.login code for a session; updateMe sets the phone', async () => {
  // A stand-in for WeChat's jscode2session, which tests cannot reach.
  const { createServer } = await import('node:http');
  const fake = createServer((req, res) => {
    const url = new URL(req.url, 'http://fake');
    const ok = url.pathname === '/sns/jscode2session' && url.searchParams.get('secret') === 'js-secret';
    const code = url.searchParams.get('js_code');
    res.setHeader('Content-Type', 'text/plain');
    res.end(JSON.stringify(ok && code.startsWith('code-')
      ? { openid: `o-${code}`, session_key: 'never-shown' }
      : { errcode: 40029, errmsg: 'invalid code' }));
  });
  await new Promise((ok) => fake.listen(0, '127.0.0.1', ok));
  const wechat = await startServer({
    BOOKING_WECHAT__APPID: 'wx-js', BOOKING_WECHAT__SECRET: 'js-secret',
    BOOKING_WECHAT__API_BASE: `http://127.0.0.1:${fake.address().port}`,
  });
  try {
    const wx = { login: ({ success }) => success({ code: 'code-amy', errMsg: 'login:ok' }) };
    const client = new BookingClient({ baseUrl: wechat.baseUrl });
    const session = await client.loginWithWechat(wx);
    assert.equal(session.user.has_wechat, true);
    assert.equal(session.user.email, null);
    assert.ok(!JSON.stringify(session).includes('never-shown'));
    const me = await client.updateMe({ name: 'Amy', phone: '+8613800138000' });
    assert.equal(me.phone, '+8613800138000');
    assert.equal((await client.updateMe({ phone: null })).phone, null);
    // The same WeChat user again: the same account.
    const again = await new BookingClient({ baseUrl: wechat.baseUrl }).loginWithWechat(wx);
    assert.equal(again.user.id, session.user.id);
    const refused = { login: ({ success }) => success({ code: 'stolen', errMsg: 'login:ok' }) };
    await assert.rejects(new BookingClient({ baseUrl: wechat.baseUrl }).loginWithWechat(refused), (e) => e instanceof ApiError && e.status === 401);
    const broken = { login: ({ fail }) => fail({ errMsg: 'login:fail auth deny' }) };
    await assert.rejects(client.loginWithWechat(broken), /auth deny/);
  } finally {
    wechat.stop();
    fake.close();
  }
});

test('staff book a guest by phone, seat a walk-in now and move a party to another table', async () => {
  const admin = new BookingClient({ baseUrl: server.baseUrl });
  await admin.login(ADMIN);
  const day = [['00:00', '24:00']];
  const allDay = { ...restaurant([
    { id: 'a', name: 'A', capacity: 4, mode: 'exclusive' },
    { id: 'b', name: 'B', capacity: 4, mode: 'exclusive' },
  ]), booking_minutes: 15, opening_hours: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day } };
  const v = await admin.createVenue(allDay);
  const phone = await admin.bookForGuest(v.id, { start: evening(2), partySize: 2, guest: { name: 'Mr Wang', phone: '+8613800138000' } });
  assert.equal(phone.user_id, null);
  assert.equal(phone.channel, 'phone');
  assert.equal(phone.guest.name, 'Mr Wang');
  const walkIn = await admin.walkIn(v.id, { partySize: 2 });
  assert.equal(walkIn.status, 'seated');
  const other = walkIn.resource_id === 'a' ? 'b' : 'a';
  const moved = await admin.reschedule(walkIn.id, { resourceId: other });
  assert.equal(moved.resource_id, other);
  const customer = new BookingClient({ baseUrl: server.baseUrl });
  await customer.register({ email: 'guest-js@js.example', password: 'password-123' });
  await assert.rejects(customer.walkIn(v.id, { partySize: 2 }), (e) => e instanceof ApiError && e.status === 403);
});

test('a calendar books by service, and staff book past pacing', async () => {
  const admin = new BookingClient({ baseUrl: server.baseUrl });
  await admin.login(ADMIN);
  const clinic = await admin.createVenue({
    ...restaurant([
      { id: 'dr_li', name: 'Dr Li', capacity: 1, mode: 'exclusive' },
      { id: 'dr_wu', name: 'Dr Wu', capacity: 1, mode: 'exclusive' },
    ]),
    kind: 'calendar',
    booking_minutes: 30,
    services: [
      { id: 'consult', name: 'Consultation', minutes: 30, resources: ['dr_li'] },
      { id: 'checkup', name: 'Check-up', minutes: 15 },
    ],
    pacing: { minutes: 30, max_covers: 1 },
  });
  const ann = new BookingClient({ baseUrl: server.baseUrl });
  await ann.register({ email: 'clinic-js@js.example', password: 'password-123' });
  const day = evening(2).slice(0, 10);
  await assert.rejects(ann.availability(clinic.id, day, 1), (e) => e.status === 422 && e.details.field === 'service_id');
  assert.equal((await ann.availability(clinic.id, day, 1, 'consult')).service_id, 'consult');
  const hold = await ann.placeHold(clinic.id, { start: evening(2), partySize: 1, serviceId: 'consult' });
  assert.equal(hold.service_id, 'consult');
  const booked = await ann.book(clinic.id, { holdId: hold.id });
  assert.equal(booked.resource_id, 'dr_li');
  // 18:00-18:30 has its one arrival; Dr Wu is free at 18:15, but only staff
  // may book past the pacing.
  const quarter = evening(2).replace('18:00', '18:15');
  const checkup = { start: quarter, partySize: 1, serviceId: 'checkup' };
  await assert.rejects(ann.book(clinic.id, checkup), (e) => e.code === 'slot_unavailable');
  await assert.rejects(ann.book(clinic.id, { ...checkup, overridePacing: true }), (e) => e.status === 403);
  const squeezed = await admin.bookForGuest(clinic.id, { ...checkup, guest: { name: 'Mr Wang' }, overridePacing: true });
  assert.equal(squeezed.resource_id, 'dr_wu');
});

test('the waitlist offers a freed table to the first in line, who books it', async () => {
  const admin = new BookingClient({ baseUrl: server.baseUrl });
  await admin.login(ADMIN);
  const v = await admin.createVenue(restaurant([{ id: 't1', name: 'T1', capacity: 2, mode: 'exclusive' }]));
  const start = evening(2);
  const zed = new BookingClient({ baseUrl: server.baseUrl });
  await zed.register({ email: 'zed-wl@js.example', password: 'password-123' });
  const taken = await zed.book(v.id, { start, partySize: 2 });
  const ann = new BookingClient({ baseUrl: server.baseUrl });
  await ann.register({ email: 'ann-wl@js.example', password: 'password-123' });
  const entry = await ann.joinWaitlist(v.id, { date: start.slice(0, 10), partySize: 2, earliest: start, latest: start });
  assert.equal(entry.status, 'waiting');
  assert.equal(entry.position, 1);
  await zed.cancel(taken.id);
  const [offered] = (await ann.waitlist()).items;
  assert.equal(offered.status, 'offered');
  const booked = await ann.book(v.id, { holdId: offered.offer.hold_id });
  assert.equal(booked.start, start);
  assert.equal((await ann.waitlist()).items[0].status, 'booked');
  const list = await admin.venueWaitlist(v.id, { date: start.slice(0, 10) });
  assert.equal(list.items.length, 1);
  await assert.rejects(ann.leaveWaitlist(entry.id), (e) => e.status === 409);
});

test('friends share a booking and see it in their schedules', async () => {
  const admin = new BookingClient({ baseUrl: server.baseUrl });
  await admin.login(ADMIN);
  const v = await admin.createVenue(restaurant([{ id: 't4', name: 'T4', capacity: 4, mode: 'exclusive' }]));
  const ann = new BookingClient({ baseUrl: server.baseUrl });
  await ann.register({ email: 'ann-social@js.example', password: 'password-123' });
  const bob = new BookingClient({ baseUrl: server.baseUrl });
  await bob.register({ email: 'bob-social@js.example', password: 'password-123' });
  const asked = await ann.addFriend((await bob.me()).friend_code);
  assert.equal(asked.status, 'pending');
  assert.equal((await bob.friendRequests()).items[0].direction, 'incoming');
  await bob.acceptFriend(asked.id);
  const bobId = (await bob.me()).id;
  assert.equal((await ann.friends()).items[0].user_id, bobId);
  const booked = await ann.book(v.id, { start: evening(2), partySize: 2 });
  assert.equal((await ann.invite(booked.id, bobId)).status, 'invited');
  assert.equal((await bob.invitations()).items[0].booking_id, booked.id);
  assert.equal((await bob.acceptInvitation(booked.id)).status, 'accepted');
  const item = await bob.addScheduleItem({ title: 'Gym', start: evening(1), end: evening(1).replace('T18:00', 'T19:00') });
  assert.equal(item.version, 1);
  const now = Date.now();
  const from = new Date(now - 3600_000).toISOString();
  const to = new Date(now + 30 * 86_400_000).toISOString();
  const kinds = (await bob.schedule(from, to)).items.map((i) => i.kind);
  assert.deepEqual(kinds, ['personal', 'shared']);
  const { url } = await bob.calendarFeed();
  assert.match(url, /\/calendar\/.+\.ics$/);
  await bob.removeInvitation(booked.id, bobId);
  await assert.rejects(bob.booking(booked.id), (e) => e.status === 404);
});

test('staff add a webhook; its deliveries verify with the secret; the log shows them', async () => {
  const { createServer } = await import('node:http');
  const { verifySignature } = await import('../src/webhooks.js');
  const got = [];
  const receiver = createServer((req, res) => {
    let raw = '';
    req.on('data', (c) => { raw += c; });
    req.on('end', () => {
      got.push({ raw, signature: req.headers['booking-signature'], id: req.headers['booking-event-id'] });
      res.writeHead(204).end();
    });
  });
  await new Promise((ok) => receiver.listen(0, '127.0.0.1', ok));
  try {
    const admin = new BookingClient({ baseUrl: server.baseUrl });
    await admin.login(ADMIN);
    const url = `http://127.0.0.1:${receiver.address().port}/hook`;
    const hook = await admin.createWebhook(venue, { url, events: ['booking.created'], description: 'POS' });
    assert.match(hook.secret, /^whsec_/);
    assert.equal((await admin.webhooks(venue)).items[0].secret, undefined);
    const customer = new BookingClient({ baseUrl: server.baseUrl });
    await customer.register({ email: 'hooked@js.example', password: 'password-123' });
    const booked = await customer.book(venue, { start: evening(9), partySize: 2 });
    for (let i = 0; i < 200 && got.length === 0; i += 1) await new Promise((ok) => setTimeout(ok, 25));
    assert.equal(got.length, 1);
    assert.ok(verifySignature(hook.secret, got[0].signature, got[0].raw));
    assert.ok(!verifySignature('whsec_wrong', got[0].signature, got[0].raw));
    assert.ok(!verifySignature(hook.secret, got[0].signature, got[0].raw, { now: Date.now() / 1000 + 3600 }));
    const delivery = JSON.parse(got[0].raw);
    assert.equal(delivery.type, 'booking.created');
    assert.equal(delivery.data.id, booked.id);
    assert.equal(delivery.id, got[0].id);
    const log = await admin.webhookDeliveries(hook.id);
    assert.equal(log.items[0].status, 'delivered');
    assert.equal(log.items[0].status_code, 204);
    await admin.deleteWebhook(hook.id);
    assert.equal((await admin.webhooks(venue)).items.length, 0);
  } finally {
    receiver.close();
  }
});
