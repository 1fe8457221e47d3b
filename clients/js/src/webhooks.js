// Verifying webhook deliveries on a Node receiver (a server, not the
// mini-program: it imports node:crypto, so it is its own entry point,
// `booking-engine-client/webhooks`).

import { createHmac, timingSafeEqual } from 'node:crypto';

/**
 * Checks a `Booking-Signature: t=<unix seconds>,v1=<hex>` header against the
 * raw request body (the bytes as received, before any JSON parsing) and the
 * webhook's secret: v1 must be HMAC-SHA256(secret, `${t}.${body}`), and t
 * within `toleranceSeconds` of now (a replayed old delivery fails).
 * @param {string} secret the `whsec_…` string shown when the webhook was made
 * @param {string} header
 * @param {string | Uint8Array} rawBody
 * @param {{toleranceSeconds?: number, now?: number}} [o]
 * @returns {boolean}
 */
export function verifySignature(secret, header, rawBody, { toleranceSeconds = 300, now = Date.now() / 1000 } = {}) {
  const parts = Object.fromEntries(
    String(header ?? '').split(',').map((p) => p.split('=', 2)).filter((p) => p.length === 2),
  );
  const t = Number(parts.t);
  if (!Number.isFinite(t) || !/^[0-9a-f]{64}$/.test(parts.v1 ?? '')) return false;
  if (Math.abs(now - t) > toleranceSeconds) return false;
  const body = typeof rawBody === 'string' ? rawBody : Buffer.from(rawBody).toString('utf8');
  const expected = createHmac('sha256', secret).update(`${parts.t}.${body}`).digest();
  return timingSafeEqual(expected, Buffer.from(parts.v1, 'hex'));
}
