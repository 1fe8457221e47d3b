// booking-engine-client: a dependency-free ES module for the booking
// engine's API (../../../shared/API.md), for the WeChat mini-program,
// browsers and Node 20+.

export { BookingClient, newIdempotencyKey } from './client.js';
export { ApiError, NetworkError } from './errors.js';
export { fetchTransport, wxTransport } from './transports.js';
export { LiveFeed, availabilityView, webSocketFactory, wxSocketFactory } from './live.js';
