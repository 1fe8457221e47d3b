//! What a change produces: events, each with the venue's next sequence number.
//! The store keeps them (the log WebSocket clients resume from) and applies
//! them to its records; the bus pushes them once durable.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::time::micros;
use crate::domain::{Booking, EntryChange, Hold, VenueId, VenueSettings};

/// One change of a venue.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Event {
    pub venue_id: VenueId,
    /// The venue's own counter: 1 for its creation, then +1 per change.
    pub seq: u64,
    #[serde(with = "micros")]
    pub at: Timestamp,
    pub change: Change,
}

/// The change itself, carrying the record as it is after the change.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Change {
    BookingCreated(Booking),
    /// A friend was invited (pushed to them too, API v1.1 §12).
    BookingInvited(Booking),
    BookingUpdated(Booking),
    BookingCancelled(Booking),
    /// Its reminder is due (API v1.1 §7): the booking is unchanged but for
    /// the reminder, which is now sent.
    BookingReminded(Booking),
    HoldCreated(Hold),
    /// Released by its owner or staff, or converted into a booking.
    HoldReleased(Hold),
    HoldExpired(Hold),
    /// Created or changed; carries the whole settings.
    VenueUpdated(Box<VenueSettings>),
    WaitlistJoined(Box<EntryChange>),
    /// An offer's hold was placed for the entry (in the same change that
    /// freed the capacity).
    WaitlistOffered(Box<EntryChange>),
    /// The offer became a booking (its `booking.created` follows).
    WaitlistBooked(Box<EntryChange>),
    /// The offer lapsed or was declined, or the window passed.
    WaitlistMissed(Box<EntryChange>),
    WaitlistLeft(Box<EntryChange>),
}

impl Change {
    /// The event name of API.md's live push.
    pub fn name(&self) -> &'static str {
        match self {
            Change::BookingCreated(_) => "booking.created",
            Change::BookingInvited(_) => "booking.invited",
            Change::BookingUpdated(_) => "booking.updated",
            Change::BookingCancelled(_) => "booking.cancelled",
            Change::BookingReminded(_) => "booking.reminder",
            Change::HoldCreated(_) => "hold.created",
            Change::HoldReleased(_) => "hold.released",
            Change::HoldExpired(_) => "hold.expired",
            Change::VenueUpdated(_) => "venue.updated",
            Change::WaitlistJoined(_) => "waitlist.joined",
            Change::WaitlistOffered(_) => "waitlist.offered",
            Change::WaitlistBooked(_) => "waitlist.booked",
            Change::WaitlistMissed(_) => "waitlist.missed",
            Change::WaitlistLeft(_) => "waitlist.left",
        }
    }

    /// The waitlist entry this change is about, if any.
    pub fn entry(&self) -> Option<&EntryChange> {
        match self {
            Change::WaitlistJoined(e)
            | Change::WaitlistOffered(e)
            | Change::WaitlistBooked(e)
            | Change::WaitlistMissed(e)
            | Change::WaitlistLeft(e) => Some(e),
            _ => None,
        }
    }

    /// The booking this change is about, if any.
    pub fn booking(&self) -> Option<&Booking> {
        match self {
            Change::BookingCreated(b)
            | Change::BookingInvited(b)
            | Change::BookingUpdated(b)
            | Change::BookingCancelled(b)
            | Change::BookingReminded(b) => Some(b),
            _ => None,
        }
    }

    /// The hold this change is about, if any.
    pub fn hold(&self) -> Option<&Hold> {
        match self {
            Change::HoldCreated(h) | Change::HoldReleased(h) | Change::HoldExpired(h) => Some(h),
            _ => None,
        }
    }
}
