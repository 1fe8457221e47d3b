// booking-engine-client: a dependency-free ES module for the booking
// engine's API (docs/api.md in this repository), for the WeChat
// mini-program, browsers and Node 20+.

export { BookingClient, newIdempotencyKey, wxLoginCode } from './client.js';
export { ApiError, NetworkError } from './errors.js';
export { fetchTransport, wxTransport } from './transports.js';
export { LiveFeed, availabilityView, webSocketFactory, wxSocketFactory } from './live.js';
