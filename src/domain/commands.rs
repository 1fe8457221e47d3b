//! The commands a venue executes and what it answers. Each command carries
//! the ids it will create: choosing ids needs randomness, which the domain
//! leaves to its callers.

use jiff::Timestamp;

use crate::domain::{
    Booking, BookingId, Caller, Channel, DomainError, EntryChange, EntryId, Event, Guest, Hold,
    HoldId, ResourceId, ServiceId, Transition, UserId, VenuePatch, VenueSettings,
};

/// Lock capacity for a while.
#[derive(Clone, Debug)]
pub struct PlaceHold {
    pub id: HoldId,
    pub caller: Caller,
    pub start: Timestamp,
    pub party_size: u32,
    pub ttl_seconds: u32,
    /// Required when the venue has services.
    pub service_id: Option<ServiceId>,
    /// Staff only: place it even past the venue's pacing.
    pub override_pacing: bool,
}

/// What a new booking takes: a start and party, or an existing hold.
#[derive(Clone, Debug)]
pub enum BookingTarget {
    Start {
        start: Timestamp,
        party_size: u32,
    },
    Hold(HoldId),
    /// A walk-in with no start: the grid start at or before now, seated at
    /// once (API v1.1 §3).
    Now {
        party_size: u32,
    },
}

/// Book, directly or by converting a hold.
#[derive(Clone, Debug)]
pub struct CreateBooking {
    pub id: BookingId,
    pub caller: Caller,
    pub target: BookingTarget,
    pub note: Option<String>,
    /// The guest as the body names them (a customer may name another).
    pub guest: Guest,
    /// The caller's account name and phone: a customer's own booking is
    /// for them unless the body says otherwise.
    pub account: Guest,
    /// Anything but `Online` is a booking staff make for a guest.
    pub channel: Channel,
    /// Required when the venue has services (a hold brings its own).
    pub service_id: Option<ServiceId>,
    /// Staff only: book even past the venue's pacing.
    pub override_pacing: bool,
}

/// Move a booking, resize its party, or change its note.
#[derive(Clone, Debug)]
pub struct Reschedule {
    pub id: BookingId,
    pub caller: Caller,
    pub start: Option<Timestamp>,
    pub party_size: Option<u32>,
    /// `Some("")` clears the note.
    pub note: Option<String>,
    /// When given, must equal the booking's current version.
    pub version: Option<u32>,
    /// Move it to this resource (staff only, API v1.1 §3).
    pub resource_id: Option<ResourceId>,
    /// Staff only: move it even past the venue's pacing.
    pub override_pacing: bool,
}

/// Everything a venue can be asked to change.
#[derive(Clone, Debug)]
pub enum Command {
    PlaceHold(PlaceHold),
    ReleaseHold {
        id: HoldId,
        caller: Caller,
    },
    CreateBooking(CreateBooking),
    Transition {
        id: BookingId,
        caller: Caller,
        to: Transition,
    },
    Reschedule(Reschedule),
    UpdateVenue {
        caller: Caller,
        patch: Box<VenuePatch>,
    },
    SetStaff {
        caller: Caller,
        user: UserId,
        member: bool,
    },
    /// Release every hold whose time is up (the venue's timer sends this).
    ExpireHolds,
    JoinWaitlist(Box<JoinWaitlist>),
    /// `DELETE /waitlist/{id}`: the owner or staff take the entry off.
    LeaveWaitlist {
        id: EntryId,
        caller: Caller,
    },
    /// `POST /waitlist/{id}/decline`: the offer goes to the next in line.
    DeclineOffer {
        id: EntryId,
        caller: Caller,
    },
    /// The owner invites a friend to a booking (API v1.1 §6).
    Invite {
        id: BookingId,
        caller: Caller,
        user: UserId,
        name: Option<String>,
        /// Whether the two are friends (the accounts service knows).
        friends: bool,
    },
    /// The invitee accepts or declines.
    AnswerInvitation {
        id: BookingId,
        caller: Caller,
        accept: bool,
    },
    /// The owner or the invitee withdraws an invitation.
    RemoveInvitation {
        id: BookingId,
        caller: Caller,
        user: UserId,
    },
}

/// Join a venue's waitlist for a window of starts on one date.
#[derive(Clone, Debug)]
pub struct JoinWaitlist {
    pub id: EntryId,
    pub caller: Caller,
    pub date: jiff::civil::Date,
    pub party_size: u32,
    pub earliest: Timestamp,
    pub latest: Timestamp,
    pub service_id: Option<ServiceId>,
    pub note: Option<String>,
    /// Staff only: a guest without an account (a walk-in list).
    pub guest: Option<Guest>,
    /// The caller's account name and phone, a customer's entry's defaults.
    pub account: Guest,
}

/// A successful command's answer.
#[derive(Clone, Debug, PartialEq)]
pub enum Reply {
    Hold(Hold),
    Booking(Booking),
    Venue(Box<VenueSettings>),
    /// A waitlist entry, with its position.
    Entry(Box<EntryChange>),
    /// A booking and the invitee a change was about.
    Invitation(Box<Booking>, UserId),
    /// The command had nothing to answer with (a release, an expiry sweep).
    Done,
}

/// What executing a command produced: the events to persist and publish
/// (possibly some even when the command was refused: holds that expired
/// before it ran), and the answer.
#[derive(Debug)]
pub struct Outcome {
    pub events: Vec<Event>,
    pub reply: Result<Reply, DomainError>,
}
