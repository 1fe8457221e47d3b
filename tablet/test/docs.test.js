// The API reference at /api/docs/ in headless Chromium with the network
// cut off except for the server itself: Swagger UI's files come from the
// binary, it reads the server's OpenAPI document and lists every
// operation. TABLET_SCREENSHOTS=<dir> also writes docs/api-docs.png.

import assert from 'node:assert/strict';
import { join } from 'node:path';
import { after, before, test } from 'node:test';

import { chromium } from 'playwright-core';

import { startServer } from '../../clients/js/test/server.js';

let server;
let browser;

before(async () => {
  server = await startServer();
  browser = await chromium.launch({
    executablePath: process.env.CHROMIUM_BIN ?? '/usr/bin/chromium',
    args: ['--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
});

after(async () => {
  await browser?.close();
  server?.stop();
});

test('the API reference renders offline and lists every operation', async () => {
  const doc = await (await fetch(`${server.baseUrl}/api/v1/openapi.json`)).json();
  const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
  assert.ok(operations >= 60, `${operations} operations`);

  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  const page = await context.newPage();
  const origin = new URL(server.baseUrl).origin;
  const refused = [];
  // Offline: anything not from the server fails, as it would without a network.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith(origin) || url.startsWith('data:')) return route.continue();
    refused.push(url);
    return route.abort('internetdisconnected');
  });
  const errors = [];
  page.on('pageerror', (e) => errors.push(e));

  await page.goto(`${server.baseUrl}/api/docs`);
  assert.equal(new URL(page.url()).pathname, '/api/docs/');
  await page.waitForSelector('.opblock', { timeout: 20_000 });
  const shown = await page.locator('.opblock').count();
  assert.equal(shown, operations, 'every operation is listed');
  assert.ok(await page.getByText('booking-engine').first().isVisible());
  assert.deepEqual(refused, [], 'nothing is fetched from outside');
  assert.deepEqual(errors, []);

  if (process.env.TABLET_SCREENSHOTS) {
    await page.screenshot({ path: join(process.env.TABLET_SCREENSHOTS, 'api-docs.png') });
  }
  await context.close();
});
