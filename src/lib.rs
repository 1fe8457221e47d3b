//! The booking engine.
//!
//! Dependencies point one way only: `domain <- store <- actors <- http`.
//!
//! - [`domain`]: the booking rules, pure and synchronous. Imports nothing of
//!   actix, tokio, redb, sled or HTTP; takes `now` as an argument.
//! - [`store`]: the only code that touches the disk: the `Storage` trait
//!   (the boundary, in the domain's terms), and `Store`, a write-ahead log
//!   (the system of record, one append and one sync per group commit)
//!   checkpointed into redb or sled in the background; `NatsStore`, the
//!   same boundary over a NATS JetStream cluster. Imports `domain` only.
//! - [`actors`]: one actix actor per venue (the only writer of its state), the
//!   registry, the store writer and the event bus. No business rule here.
//! - [`http`]: actix-web routes, DTOs (request types, typed response views
//!   with their OpenAPI schemas), the API reference page and the error
//!   table. Talks to the engine handle (`actors::Engine`) only; never
//!   imports `store`.
//! - [`settings`], [`telemetry`], [`startup`]: configuration, logs, and the
//!   assembly of the whole application from an already-bound listener.
//! - [`clock`], [`ids`]: where `now` and fresh ids come from; small and
//!   free of the actors, so that accounts and the load tool can use them.
//! - [`accounts`]: users, password hashes, tokens; writes go through the
//!   engine's store writer.
//! - [`commands`]: the binary's `backup` and `restore`.
//! - [`tls`]: the rustls provider (graviola, pure Rust) of every HTTP client.
//! - [`demo`]: the demo restaurant.
//! - [`load`]: the load generator behind `booking-load` (an HTTP client of
//!   the server; it uses nothing of the engine but [`ids`] and [`tls`]).

pub mod accounts;
pub mod actors;
pub mod clock;
pub mod commands;
pub mod demo;
pub mod domain;
pub mod http;
pub mod ids;
pub mod load;
pub mod outbox;
pub mod settings;
pub mod startup;
pub mod store;
pub mod telemetry;
pub mod tls;
