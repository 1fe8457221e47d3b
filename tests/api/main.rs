//! One integration test binary (links once): the real engine on a temporary
//! store, the real server on port 0, real HTTP.

mod fake_wechat;
mod helpers;

mod auth;
mod authz;
mod backup;
mod bookings;
mod cluster;
mod discovery;
mod engine;
mod floor;
mod floor_rules;
mod friends;
mod guests;
mod hardening;
mod health;
mod invitations;
mod load;
mod operations;
mod policies;
mod process;
mod receiver;
mod recovery;
mod reminders;
mod reports;
mod retention;
mod schedule;
mod soak;
mod sweeps;
mod venues;
mod waitlist;
mod webhooks;
mod wechat;
mod ws;
