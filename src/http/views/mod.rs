//! The response bodies of the API as typed structs. Each derives
//! `Serialize` for the wire and `ToSchema` for the OpenAPI document, so the
//! document is made from the same types the handlers answer with and
//! cannot drift from them. Conversions from the domain live beside each
//! type; instants are rendered in the venue's zone (`created_at` and
//! `updated_at` in UTC), as `dto` explains.

mod account;
mod booking;
mod names;
mod staff;
mod venue;

pub use account::*;
pub use booking::*;
pub use names::*;
pub use staff::*;
pub use venue::*;

use serde::Serialize;
use utoipa::ToSchema;

/// The list envelope: a page of items and the cursor of the next page
/// (`null` on the last one).
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    pub next_cursor: Option<String>,
}

/// The `data` of an event: the booking, hold, venue or waitlist entry after
/// the change, as the REST API shows it.
#[derive(Debug, Serialize, ToSchema)]
#[serde(untagged)]
pub enum EventData {
    Booking(BookingView),
    Hold(HoldView),
    Venue(Box<VenueView>),
    Entry(EntryView),
}

/// A view as a JSON value, for what stores or nests one (idempotency
/// records, webhook bodies). Serializing these structs cannot fail: every
/// map key is a string.
pub fn to_json(view: impl Serialize) -> serde_json::Value {
    serde_json::to_value(view).unwrap_or_default()
}

impl<T: ToSchema> Page<T> {
    pub fn new(items: Vec<T>, next_cursor: Option<String>) -> Self {
        Page { items, next_cursor }
    }
}
