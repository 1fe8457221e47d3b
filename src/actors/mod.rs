//! Thin shells around the domain: one actix actor per venue (the only
//! writer of its state), the registry that activates and passivates them,
//! the group-committing store writer and the event bus. No business rule
//! lives here: a handler calls the domain once, persists, replies, publishes.

pub mod directory;
mod engine;
mod error;
pub mod messages;
mod orphans;
mod reads;
mod registry;
pub mod venue;
pub mod writer;

pub use engine::{Engine, EngineOptions};
pub use error::EngineError;
pub use venue::VenueActor;
