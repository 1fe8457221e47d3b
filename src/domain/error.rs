//! The domain's one error type: what went wrong in booking terms. It knows
//! nothing of HTTP; `http::error` maps each variant to a status and a code.

use crate::domain::{BookingId, HoldId};

/// Why a command was refused. A refused command changes nothing.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// The input can never be accepted as given; `field` names the culprit.
    #[error("{field}: {reason}")]
    Invalid { field: String, reason: String },
    /// The start is bookable in principle but its capacity is taken.
    #[error("no capacity left for that start and party size")]
    SlotUnavailable,
    /// The thing does not exist or the caller may not see it.
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The caller sees the thing but may not do this to it.
    #[error("{0}")]
    Forbidden(&'static str),
    /// Illegal state transition or stale version.
    #[error("{0}")]
    Conflict(String),
    /// A venue change would leave live bookings or holds without a place.
    #[error("the change would strand {} booking(s) and {} hold(s)", bookings.len(), holds.len())]
    Strands {
        bookings: Vec<BookingId>,
        holds: Vec<HoldId>,
    },
    /// A per-customer limit of the venue is reached (`details.reason:
    /// "limit"` on the wire); staff are never limited.
    #[error("{0}")]
    Limit(String),
    /// Too close to the start for a customer to cancel or move it
    /// (`details.reason: "cutoff"`); staff are exempt.
    #[error("{0}")]
    Cutoff(String),
    /// The hold to convert has already expired.
    #[error("the hold has expired")]
    HoldExpired,
}

impl DomainError {
    /// An `Invalid` error for one field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid {
            field: field.into(),
            reason: reason.into(),
        }
    }
}
