// booking-engine-client/webhooks: for a Node receiver of webhook deliveries.

/**
 * Checks `Booking-Signature: t=<unix seconds>,v1=<hex>` against the raw
 * body and the webhook's secret, and that t is within the tolerance.
 */
export function verifySignature(
  secret: string,
  header: string | null | undefined,
  rawBody: string | Uint8Array,
  o?: { toleranceSeconds?: number; now?: number },
): boolean;
