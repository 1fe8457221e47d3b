// The tablet end to end in headless Chromium (Debian's, driven by
// playwright-core): sign in, see a booking made over REST appear without a
// reload, seat it, cut the connection and see the catch-up.

import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { BookingClient } from '../../clients/js/src/index.js';
import { ADMIN, startServer } from '../../clients/js/test/server.js';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test('staff run the service from the tablet', async () => {
  const admin = new BookingClient({ baseUrl: server.baseUrl });
  await admin.login(ADMIN);
  const day = [['00:00', '24:00']];
  const venue = await admin.createVenue({
    name: 'Lotus Garden', timezone: 'Asia/Shanghai', slot_minutes: 15, booking_minutes: 90,
    opening_hours: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day },
    resources: [
      { id: 't2', name: 'Table 2', capacity: 2, mode: 'exclusive' },
      { id: 't4', name: 'Table 4', capacity: 4, mode: 'exclusive' },
      { id: 'bar', name: 'Bar', capacity: 10, mode: 'shared' },
    ],
  });
  const staff = new BookingClient({ baseUrl: server.baseUrl });
  const { user } = await staff.register({ email: 'staff@tablet.example', password: 'tablet-password' });
  await admin.addStaff(venue.id, user.id);
  const guest = new BookingClient({ baseUrl: server.baseUrl });
  await guest.register({ email: 'guest@tablet.example', password: 'guest-password' });
  const tomorrow = new Date(Date.now() + 8 * 3600_000 + 86_400_000).toISOString().slice(0, 10);

  const page = await browser.newPage({ viewport: { width: 1280, height: 800 } });
  await page.goto(`${server.baseUrl}/tablet/`);
  await page.fill('input[name=email]', 'staff@tablet.example');
  await page.fill('input[name=password]', 'tablet-password');
  await page.click('button[type=submit]');
  await page.waitForSelector('#sheet:not([hidden])');
  await page.fill('#date', tomorrow);
  await page.dispatchEvent('#date', 'change');
  await page.waitForSelector('.row .name');

  // A booking made elsewhere appears without a reload.
  const first = await guest.book(venue.id, { start: `${tomorrow}T18:00:00+08:00`, partySize: 2, note: 'window' });
  await page.waitForSelector(`[data-booking="${first.id}"][data-status="confirmed"]`);

  // Seat it from the sheet; the sheet shows it once the server answered.
  await page.click(`[data-booking="${first.id}"]`);
  await page.click('[data-action="seat"]');
  await page.waitForSelector(`[data-booking="${first.id}"][data-status="seated"]`);
  assert.equal((await admin.booking(first.id)).status, 'seated');

  // Cut the connection: a banner shows; bookings made meanwhile arrive on reconnection.
  await page.evaluate(() => window.bookingFeed.socket.close());
  await page.waitForSelector('#banner:not([hidden])');
  const missed = await guest.book(venue.id, { start: `${tomorrow}T19:00:00+08:00`, partySize: 4 });
  await page.waitForSelector(`[data-booking="${missed.id}"]`);
  await page.waitForSelector('#banner', { state: 'hidden' });
  if (process.env.TABLET_SCREENSHOT) {
    await page.click(`[data-booking="${first.id}"]`);
    await page.screenshot({ path: process.env.TABLET_SCREENSHOT });
  }

  // On a phone the same sheet works: the timeline scrolls sideways and the
  // blocks stay large enough to tap.
  await page.setViewportSize({ width: 390, height: 844 });
  const block = await page.locator(`[data-booking="${first.id}"]`).boundingBox();
  assert.ok(block && block.width >= 24 && block.height >= 40, JSON.stringify(block));
  assert.ok(await page.evaluate(() => document.getElementById('timeline').scrollWidth > window.innerWidth));
  await page.setViewportSize({ width: 1280, height: 800 });

  // A refused action is shown plainly: with live updates stopped, the sheet
  // still offers Seat for a booking that was cancelled elsewhere.
  await page.click(`[data-booking="${missed.id}"]`);
  await page.evaluate(() => window.bookingFeed.close());
  await admin.cancel(missed.id);
  await page.click('[data-action="seat"]');
  await page.waitForFunction(() => document.getElementById('error').textContent.includes('cancelled'));

});
