//! The engine's error: a domain refusal, or the engine unable to serve.

use crate::domain::DomainError;
use crate::store::StoreError;

/// Why an engine call failed.
#[derive(Debug, Clone, thiserror::Error)]
pub enum EngineError {
    /// The venue refused the command; nothing changed.
    #[error(transparent)]
    Domain(#[from] DomainError),
    /// No venue with that id.
    #[error("venue not found")]
    VenueNotFound,
    /// A store sync failed earlier, or the engine is shutting down: nothing
    /// more is acknowledged.
    #[error("the engine is not accepting writes")]
    Unavailable,
    /// Reading the store failed.
    #[error(transparent)]
    Store(StoreError),
    /// Another node of the cluster writes this venue; it serves HTTP at
    /// this base URL (the HTTP layer sends the request there).
    #[error("the venue is written by the node at {0}")]
    Elsewhere(String),
}

impl From<StoreError> for EngineError {
    /// Storage that did not answer in time (a cluster) is "try again"
    /// (503), not a fault (500).
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Unreachable(why) => {
                tracing::warn!(error = %why, "storage did not answer");
                EngineError::Unavailable
            }
            other => EngineError::Store(other),
        }
    }
}
