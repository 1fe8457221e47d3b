//! The WebSocket protocol for the OpenAPI document: the frames a client
//! sends and the server answers, as schemas (OpenAPI has no words for a
//! socket, so `GET /ws` describes it in prose and points at these).

use serde::Serialize;
use utoipa::ToSchema;

use crate::http::routes::openapi::{Schemas, schema_of};
use crate::http::views::{EventData, SlotView};
use crate::http::ws::protocol::ClientFrame;

/// The prose of `GET /ws`.
pub const DESCRIPTION: &str = "Upgrade to a WebSocket. Every frame is one JSON object. \
The client sends `ClientFrame`s (subscribe, unsubscribe, ping, auth); the server answers \
with `ServerFrame`s. Topics: `venue:{id}:bookings` (staff), `venue:{id}:availability` \
(anyone, with date and party_size), `user:bookings` (the caller). Events carry the venue's \
`seq`; subscribe with `since` to replay what you missed, or get `resync` when it is \
older than the kept history. A socket's staff and user subscriptions end with \
`token_expired` when its token expires unless it sends `auth` with a fresh one.";

/// What the server sends: one of these per text frame, tagged by `type`.
/// `protocol` writes every frame through this enum, so the document shows
/// exactly what goes on the wire.
#[derive(Serialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ServerFrame<'a> {
    /// A subscription is live from `seq` on.
    Subscribed {
        topic: &'a str,
        seq: u64,
    },
    /// One change of a topic, in `seq` order; `event` is like
    /// `booking.created` or `hold.expired`.
    Event {
        topic: &'a str,
        seq: u64,
        event: &'a str,
        data: &'a EventData,
    },
    /// The starts of an availability topic whose availability changed.
    Availability {
        topic: &'a str,
        seq: u64,
        date: String,
        party_size: u32,
        service_id: Option<&'a str>,
        slots: Vec<SlotView>,
    },
    /// `since` is older than the kept history: read the state again.
    Resync {
        topic: &'a str,
    },
    /// `code` from the error table; `topic` when one subscription ended
    /// (`token_expired`).
    Error {
        code: &'a str,
        message: &'a str,
        #[serde(skip_serializing_if = "Option::is_none")]
        topic: Option<&'a str>,
    },
    /// An `auth` frame was accepted; the socket lives until `expires_at`.
    Authed {
        expires_at: &'a str,
    },
    Pong,
}

impl ServerFrame<'_> {
    /// The frame's text.
    pub fn text(&self) -> String {
        serde_json::to_string(self).unwrap_or_default()
    }
}

/// Adds the frames to the document's components.
pub fn frames(out: &mut Schemas) {
    schema_of::<ClientFrame>(out);
    schema_of::<ServerFrame>(out);
}
