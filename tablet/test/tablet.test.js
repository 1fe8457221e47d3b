// The tablet end to end in headless Chromium (Debian's, driven by
// playwright-core), against the real server: live bookings, seating,
// catch-up after a lost connection, phone bookings in both views, table
// moves, the waitlist's live offers, the covers header, reports with
// their CSV, and both languages with nothing untranslated.
// TABLET_SCREENSHOTS=<dir> also writes the README's screenshots there.

import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { BookingClient } from '../../clients/js/src/index.js';
import { ADMIN, startServer } from '../../clients/js/test/server.js';

let server;
let browser;
let admin;
const shots = process.env.TABLET_SCREENSHOTS;
/** The README's screenshots (plus tablet-phone). */
const README_SHOTS = ['tablet-timeline-en', 'tablet-list-en', 'tablet-waitlist-en', 'tablet-reports-zh'];
const tomorrow = new Date(Date.now() + 8 * 3600_000 + 86_400_000).toISOString().slice(0, 10);
const at = (hhmm) => `${tomorrow}T${hhmm}:00+08:00`;
const lunchAndDinner = [['11:00', '14:00'], ['17:00', '22:00']];
const week = (periods) => Object.fromEntries(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => [d, periods]));

before(async () => {
  server = await startServer();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  admin = new BookingClient({ baseUrl: server.baseUrl });
  await admin.login(ADMIN);
});

after(async () => {
  await browser?.close();
  server?.stop();
});

let n = 0;
/** A venue with a staff account; returns { venue, email, password }. */
async function venueWithStaff(settings) {
  n += 1;
  const venue = await admin.createVenue({
    name: 'Lotus Garden', timezone: 'Asia/Shanghai', slot_minutes: 15, booking_minutes: 90, min_notice_minutes: 0, ...settings,
  });
  const staff = new BookingClient({ baseUrl: server.baseUrl });
  const email = `staff${n}@tablet.example`;
  const { user } = await staff.register({ email, password: 'tablet-password' });
  await admin.addStaff(venue.id, user.id);
  return { venue, email, password: 'tablet-password' };
}

async function customer(name) {
  n += 1;
  const c = new BookingClient({ baseUrl: server.baseUrl });
  await c.register({ email: `guest${n}@tablet.example`, password: 'guest-password', name });
  return c;
}

/** Signs in on a fresh page, on tomorrow's sheet. */
async function open({ email, password }, { viewport = { width: 1280, height: 800 }, locale = 'en-US' } = {}) {
  const context = await browser.newContext({ viewport, locale, acceptDownloads: true });
  const page = await context.newPage();
  page.on('pageerror', (e) => { throw e; });
  await page.goto(`${server.baseUrl}/tablet/`);
  await page.fill('input[name=email]', email);
  await page.fill('input[name=password]', password);
  await page.click('button[type=submit]');
  await page.waitForSelector('#sheet:not([hidden])');
  await page.fill('#date', tomorrow);
  await page.dispatchEvent('#date', 'change');
  await page.waitForSelector(`body[data-loaded="${tomorrow}"]`);
  return page;
}

const covers = (page, kind) => page.locator(`[data-covers="${kind}"] strong`).innerText();

test('staff run the service from the tablet: live changes, seating, catch-up', async () => {
  const day = [['00:00', '24:00']];
  const { venue, ...login } = await venueWithStaff({
    opening_hours: week(day),
    resources: [
      { id: 't2', name: 'Table 2', capacity: 2, mode: 'exclusive' },
      { id: 't4', name: 'Table 4', capacity: 4, mode: 'exclusive' },
      { id: 'bar', name: 'Bar', capacity: 10, mode: 'shared' },
    ],
  });
  const guest = await customer('Ann');
  const page = await open(login);

  // A booking made elsewhere appears without a reload, with the guest's name.
  const first = await guest.book(venue.id, { start: at('18:00'), partySize: 2, note: 'window seat, a birthday: please bring the cake at nine' });
  const block = page.locator(`[data-booking="${first.id}"][data-status="confirmed"]`);
  await block.waitFor();
  assert.match(await block.innerText(), /Ann/);
  assert.equal(await covers(page, 'seated'), '0');
  assert.equal(await covers(page, 'remaining'), '2');

  // Seat it; the covers header follows. The full note is in the details.
  await block.click();
  assert.match(await page.locator('.full-note').innerText(), /bring the cake at nine/);
  await page.click('[data-action="seat"]');
  await page.waitForSelector(`[data-booking="${first.id}"][data-status="seated"]`);
  assert.equal((await admin.booking(first.id)).status, 'seated');
  assert.equal(await covers(page, 'seated'), '2');
  assert.equal(await covers(page, 'remaining'), '0');

  // Cut the connection: a banner shows; bookings made meanwhile arrive on reconnection.
  await page.evaluate(() => window.bookingFeed.socket.close());
  await page.waitForSelector('#banner:not([hidden])');
  const missed = await guest.book(venue.id, { start: at('19:00'), partySize: 4 });
  await page.waitForSelector(`[data-booking="${missed.id}"]`);
  await page.waitForSelector('#banner', { state: 'hidden' });

  // A refused action is shown plainly: with live updates stopped, the sheet
  // still offers Seat for a booking that was cancelled elsewhere.
  await page.click(`[data-booking="${missed.id}"]`);
  await page.evaluate(() => window.bookingFeed.close());
  await admin.cancel(missed.id);
  await page.click('[data-action="seat"]');
  await page.waitForFunction(() => document.getElementById('error').textContent.includes('cancelled'));
  await page.context().close();
});

test('a phone booking appears in both views, and a party moves to another table', async () => {
  const { venue, ...login } = await venueWithStaff({
    opening_hours: week(lunchAndDinner),
    resources: [
      { id: 't2', name: 'Table 2', capacity: 2, mode: 'exclusive' },
      { id: 't4', name: 'Table 4', capacity: 4, mode: 'exclusive' },
    ],
  });
  const page = await open(login);
  // The closed afternoon is folded: lunch and dinner share the width.
  assert.equal(await page.locator('.fold').count(), 1);
  await page.click('#phone-booking');
  await page.waitForSelector('#phone-form');
  await page.fill('#phone-form input[name=name]', 'Mr Wang');
  await page.fill('#phone-form input[name=phone]', '+8613800138000');
  await page.selectOption('#phone-form select[name=start]', at('19:00'));
  await page.click('[data-action="book"]');
  const row = page.locator('.row[data-resource="t2"] .block');
  await row.waitFor();
  assert.match(await row.innerText(), /Mr Wang/);
  const id = await row.getAttribute('data-booking');
  const made = await admin.booking(id);
  assert.equal(made.channel, 'phone');
  assert.equal(made.guest.phone, '+8613800138000');
  await page.click('[data-view="list"]');
  const line = page.locator(`tr[data-booking="${id}"]`);
  assert.match(await line.innerText(), /Mr Wang[\s\S]*\+8613800138000/);

  // Move it to table 4 from the details.
  await line.click();
  await page.selectOption('#move-to', 't4');
  await page.click('[data-action="move"]');
  await page.click('[data-view="timeline"]');
  await page.waitForSelector(`.row[data-resource="t4"] [data-booking="${id}"]`);
  assert.equal((await admin.booking(id)).resource_id, 't4');
  assert.equal(await page.locator(`.row[data-resource="t2"] [data-booking="${id}"]`).count(), 0);
  await page.context().close();
});

test('a cancellation becomes a waitlist offer on the panel, counting down', async () => {
  const { venue, ...login } = await venueWithStaff({
    opening_hours: week(lunchAndDinner),
    resources: [{ id: 't2', name: 'Table 2', capacity: 2, mode: 'exclusive' }],
  });
  const ann = await customer('Ann');
  const bob = await customer('Bob');
  const booked = await ann.book(venue.id, { start: at('18:00'), partySize: 2 });
  await bob.joinWaitlist(venue.id, { date: tomorrow, partySize: 2, earliest: at('18:00'), latest: at('18:00') });
  const page = await open(login);
  await page.click('[data-view="waitlist"]');
  await page.waitForSelector('#waitlist [data-status="waiting"]');
  await ann.cancel(booked.id);
  const offered = page.locator('#waitlist [data-status="offered"]');
  await offered.waitFor();
  assert.match(await offered.innerText(), /Bob/);
  const first = await offered.locator('.countdown').innerText();
  await page.waitForFunction((was) => document.querySelector('.countdown')?.textContent !== was, first);
  assert.match(first, /18:00.*\d+:\d\d/);
  await page.context().close();
});

test('reports draw a chart and download the CSV with a row per day', async () => {
  const { venue, ...login } = await venueWithStaff({
    opening_hours: week(lunchAndDinner),
    resources: [{ id: 't4', name: 'Table 4', capacity: 4, mode: 'exclusive' }],
  });
  const page = await open(login);
  await page.click('[data-view="reports"]');
  await page.waitForSelector('#reports svg.chart');
  assert.equal(await page.locator('#reports .bar-covers').count(), 14);
  const [download] = await Promise.all([page.waitForEvent('download'), page.click('#csv')]);
  const csv = await readFile(await download.path(), 'utf8');
  const lines = csv.trim().split(/\r?\n/);
  assert.equal(lines.length, 15, csv);
  assert.match(lines[0], /^date,bookings,covers/);
  await page.context().close();
  assert.ok(venue.id);
});

/** Visible text that came neither from the catalogue nor from the server. */
const untranslated = () => {
  const bad = [];
  const walk = document.createTreeWalker(document.body, NodeFilter.SHOW_TEXT);
  while (walk.nextNode()) {
    const node = walk.currentNode;
    const p = node.parentElement;
    if (!node.textContent.trim() || !p || p.closest('[hidden]')) continue;
    const box = p.getBoundingClientRect();
    if (!box.width && !box.height && p.tagName !== 'OPTION') continue;
    if (!p.closest('[data-i18n],[data-t],[data-value]')) bad.push(node.textContent.trim());
  }
  return bad;
};

test('both languages: switched, remembered, and nothing visible untranslated', async () => {
  const { venue, ...login } = await venueWithStaff({
    name: 'Lotus Garden', opening_hours: week(lunchAndDinner),
    resources: [
      { id: 't1', name: 'Table 1', capacity: 2, mode: 'exclusive' },
      { id: 't2', name: 'Table 2', capacity: 4, mode: 'exclusive' },
      { id: 't3', name: 'Table 3', capacity: 4, mode: 'exclusive' },
      { id: 't4', name: 'Table 4', capacity: 6, mode: 'exclusive' },
      { id: 't5', name: 'Table 5', capacity: 6, mode: 'exclusive' },
    ],
    combinations: [{ id: 't4+t5', resources: ['t4', 't5'] }],
  });
  const names = ['Li Na', 'Zhang Wei', 'Wang Fang', 'Chen Jie', 'Liu Yang', 'Zhao Lei', 'Sun Li', 'Zhou Min'];
  const guests = await Promise.all(names.map((name) => customer(name)));
  const plan = [['12:00', 2, 'Window seat please'], ['12:30', 4], ['17:30', 4, 'Birthday: cake at 19:00, candles ready'], ['18:00', 2], ['18:00', 6], ['18:30', 4], ['19:30', 10, 'Company dinner'], ['20:00', 2]];
  const made = [];
  for (const [i, [hhmm, party, note]] of plan.entries()) made.push(await guests[i].book(venue.id, { start: at(hhmm), partySize: party, note }));
  await admin.seat(made[0].id);
  await admin.seat(made[1].id);
  await admin.complete(made[1].id);
  await admin.noShow(made[7].id);
  await guests[7].joinWaitlist(venue.id, { date: tomorrow, partySize: 2, earliest: at('18:00'), latest: at('19:00') });
  await guests[1].joinWaitlist(venue.id, { date: tomorrow, partySize: 4, earliest: at('19:00'), latest: at('20:00') });

  const page = await open(login, { locale: 'en-US' });
  // The check finds stray text (it is not vacuous).
  const stray = await page.evaluate((walker) => {
    const p = document.createElement('p');
    p.textContent = 'stray text';
    document.getElementById('view').append(p);
    // eslint-disable-next-line no-new-func
    const found = new Function(`return (${walker})()`)();
    p.remove();
    return found;
  }, untranslated.toString());
  assert.deepEqual(stray, ['stray text']);
  const check = async (where) => {
    for (const view of ['timeline', 'list', 'waitlist', 'reports']) {
      await page.click(`[data-view="${view}"]`);
      if (view === 'reports') {
        // A fortnight around tomorrow, where this test's bookings are.
        const shift = (d) => new Date(Date.parse(`${tomorrow}T12:00:00Z`) + d * 86_400_000).toISOString().slice(0, 10);
        await page.waitForSelector('#reports svg.chart');
        await page.fill('#reports input[name=from]', shift(-7));
        await page.fill('#reports input[name=to]', shift(6));
        await page.click('#reports button[type=submit]');
        await page.waitForSelector(`#reports rect[data-date="${tomorrow}"][data-covers="6"]`);
      }
      await page.waitForTimeout(100);
      if (view === 'timeline') await page.click(`[data-booking="${made[2].id}"]`);
      const bad = await page.evaluate(untranslated);
      assert.deepEqual(bad, [], `${where}, ${view}`);
      const name = `tablet-${view}-${where}`;
      if (shots && README_SHOTS.includes(name)) await page.screenshot({ path: join(shots, `${name}.png`) });
    }
    await page.click('#phone-booking');
    await page.waitForSelector('#phone-form');
    assert.deepEqual(await page.evaluate(untranslated), [], `${where}, phone booking`);
    await page.click('#dialog button.quiet');
  };
  assert.equal(await page.locator('[data-view="list"]').innerText(), 'Arrivals');
  await check('en');
  await page.selectOption('#lang', 'zh-CN');
  assert.equal(await page.locator('[data-view="list"]').innerText(), '到店列表');
  assert.equal(await page.evaluate(() => document.documentElement.lang), 'zh-CN');
  await check('zh');
  // The catalogues have the same keys.
  const [en, zh] = await page.evaluate(async () => {
    const m = await import('/tablet/i18n.js');
    return [m.keys('en'), m.keys('zh-CN')];
  });
  assert.deepEqual([...zh].sort(), [...en].sort());
  // Remembered: a reload stays in Chinese.
  await page.reload();
  await page.waitForSelector('#sheet:not([hidden])');
  assert.equal(await page.locator('[data-view="list"]').innerText(), '到店列表');
  await page.context().close();

  // A browser in Chinese starts in Chinese, and on a phone the current
  // service fits the screen (no sideways scrolling).
  const phone = await open(login, { viewport: { width: 390, height: 844 }, locale: 'zh-CN' });
  assert.equal(await phone.locator('[data-view="list"]').innerText(), '到店列表');
  assert.ok(await phone.evaluate(() => document.getElementById('timeline').scrollWidth <= window.innerWidth));
  const box = await phone.locator('.block').first().boundingBox();
  assert.ok(box && box.width >= 40 && box.height >= 40, JSON.stringify(box));
  if (shots) await phone.screenshot({ path: join(shots, 'tablet-phone.png'), fullPage: true });
  await phone.context().close();
});
