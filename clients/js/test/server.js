// Starts the real booking-engine binary for the tests: a free port, a
// temporary data directory, an admin, no rate limits.

import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const repo = resolve(here, '../../..');
export const ADMIN = { email: 'admin@js.example', password: 'js-admin-password' };

function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.on('error', fail);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

/** @returns {Promise<{baseUrl: string, stop: () => void}>} */
export async function startServer(extraEnv = {}) {
  const binary = process.env.BOOKING_ENGINE_BIN ?? join(repo, 'target/debug/booking-engine');
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'booking-js-'));
  const child = spawn(binary, [], {
    env: {
      BOOKING_LISTEN: `127.0.0.1:${port}`,
      BOOKING_DATA_DIR: dataDir,
      BOOKING_CONFIG_DIR: join(repo, 'config'),
      BOOKING_ADMIN_EMAIL: ADMIN.email,
      BOOKING_ADMIN_PASSWORD: ADMIN.password,
      BOOKING_RATE_LIMIT: 'off',
      RUST_LOG: 'warn',
      ...extraEnv,
    },
    stdio: 'ignore',
  });
  const baseUrl = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      if ((await fetch(`${baseUrl}/health`)).ok) break;
    } catch {
      // not up yet
    }
    if (Date.now() > deadline) throw new Error(`the server (${binary}) did not start`);
    await new Promise((r) => setTimeout(r, 50));
  }
  return {
    baseUrl,
    stop() {
      child.kill('SIGKILL');
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The demo restaurant with the given resources, as a POST /venues body. */
export function restaurant(resources) {
  const day = [['11:00', '14:00'], ['17:00', '22:00']];
  return {
    name: 'Lotus Garden', timezone: 'Asia/Shanghai', slot_minutes: 15, booking_minutes: 90,
    opening_hours: { mon: day, tue: day, wed: day, thu: day, fri: day, sat: day, sun: day },
    resources,
  };
}

/** 18:00 in Shanghai `days` days from today, as API.md writes instants. */
export function evening(days) {
  const shanghai = new Date(Date.now() + 8 * 3600_000 + days * 86_400_000);
  return `${shanghai.toISOString().slice(0, 10)}T18:00:00+08:00`;
}
