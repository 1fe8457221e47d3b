//! The WebSocket frames of API.md: one JSON object per text frame.

use std::sync::Arc;

use crate::http::ErrorCode;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::{UserId, VenueId};
use crate::http::views::EventData;
use crate::http::ws::schema::ServerFrame;

/// What a client may send.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ClientFrame {
    Subscribe(Subscription),
    Unsubscribe {
        topic: String,
    },
    Ping,
    /// A fresh token of the same user (or a first one for an anonymous
    /// socket): the socket is bound to its expiry from now on.
    Auth {
        access_token: String,
    },
}

/// A `subscribe` frame's fields.
#[derive(Debug, Deserialize, ToSchema)]
pub struct Subscription {
    pub topic: String,
    /// Availability only.
    pub date: Option<String>,
    /// Availability only.
    pub party_size: Option<u32>,
    /// Availability only; required at a venue with services.
    pub service_id: Option<String>,
    /// Bookings topics: resume after this seq.
    pub since: Option<u64>,
}

/// A topic a client can subscribe to.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub enum Topic {
    /// Every change of a venue (staff and admin).
    VenueBookings(VenueId),
    /// The availability of a venue for a date and party size (anyone).
    VenueAvailability(VenueId),
    /// The caller's own bookings.
    UserBookings,
}

impl Topic {
    /// Parses `venue:{id}:bookings`, `venue:{id}:availability`, `user:bookings`.
    pub fn parse(text: &str) -> Option<Topic> {
        if text == "user:bookings" {
            return Some(Topic::UserBookings);
        }
        let rest = text.strip_prefix("venue:")?;
        let (id, kind) = rest.rsplit_once(':')?;
        if id.is_empty() || id.contains(':') {
            return None;
        }
        match kind {
            "bookings" => Some(Topic::VenueBookings(VenueId::from(id))),
            "availability" => Some(Topic::VenueAvailability(VenueId::from(id))),
            _ => None,
        }
    }
}

/// A frame on its way to one or many clients: rendered once, shared.
#[derive(Clone, Debug)]
pub struct Frame {
    /// The topic it belongs to (the client's own spelling).
    pub topic: Arc<str>,
    /// The venue seq it carries; 0 for frames without one.
    pub seq: u64,
    /// Refcounted: one buffer shared by every subscriber of the frame.
    pub text: tokio_tungstenite::tungstenite::Utf8Bytes,
    /// The subscription is over once this frame is sent (resync, forbidden).
    pub ends: bool,
}

/// Whom a subscription serves.
#[derive(Clone, Debug)]
pub struct Viewer {
    pub user: Option<UserId>,
    pub admin: bool,
}

impl Viewer {
    /// The domain's caller, when logged in.
    pub fn caller(&self) -> Option<crate::domain::Caller> {
        let user = self.user.clone()?;
        Some(crate::domain::Caller {
            user,
            admin: self.admin,
        })
    }
}

pub fn subscribed(topic: &str, seq: u64) -> String {
    ServerFrame::Subscribed { topic, seq }.text()
}

pub fn event(topic: &str, seq: u64, event: &str, data: &EventData) -> String {
    ServerFrame::Event {
        topic,
        seq,
        event,
        data,
    }
    .text()
}

pub fn resync(topic: &str) -> String {
    ServerFrame::Resync { topic }.text()
}

pub fn error(code: ErrorCode, message: &str) -> String {
    ServerFrame::Error {
        code: code.as_str(),
        message,
        topic: None,
    }
    .text()
}

/// A topic that ended because the socket's token expired.
pub fn token_expired(topic: &str) -> String {
    ServerFrame::Error {
        code: ErrorCode::TokenExpired.as_str(),
        message: "your access token expired; send an auth frame with a fresh one and subscribe again",
        topic: Some(topic),
    }
    .text()
}

/// The answer to an accepted `auth` frame.
pub fn authed(expires_at: &str) -> String {
    ServerFrame::Authed { expires_at }.text()
}

pub fn pong() -> String {
    ServerFrame::Pong.text()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn topics_parse_exactly() {
        assert_eq!(
            Topic::parse("venue:v1:bookings"),
            Some(Topic::VenueBookings(VenueId::from("v1")))
        );
        assert_eq!(
            Topic::parse("venue:v1:availability"),
            Some(Topic::VenueAvailability(VenueId::from("v1")))
        );
        assert_eq!(Topic::parse("user:bookings"), Some(Topic::UserBookings));
        for bad in [
            "venue::bookings",
            "venue:v1:holds",
            "venue:a:b:bookings",
            "user:other",
            "bookings",
        ] {
            assert_eq!(Topic::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn client_frames_parse_by_type() {
        let f: ClientFrame =
            serde_json::from_str(r#"{"type":"subscribe","topic":"venue:v:bookings","since":3}"#)
                .unwrap();
        assert!(matches!(
            f,
            ClientFrame::Subscribe(Subscription { since: Some(3), .. })
        ));
        assert!(matches!(
            serde_json::from_str(r#"{"type":"ping"}"#).unwrap(),
            ClientFrame::Ping
        ));
        assert!(serde_json::from_str::<ClientFrame>(r#"{"type":"dance"}"#).is_err());
    }
}
