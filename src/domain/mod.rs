//! The booking rules: venues, the slot grid, capacity, the booking status
//! machine and the events a change produces. Pure and synchronous: no actix,
//! tokio, store or HTTP here, and every function that needs the time takes
//! `now`.

mod booking;
pub mod commands;
pub mod details;
mod error;
mod event;
pub mod floor;
pub mod grid;
pub mod guest;
pub mod guests;
mod ids;
mod ledger;
mod patch;
pub mod reports;
pub mod settings;
pub mod social;
pub mod time;
mod venue;
pub mod waitlist;
pub mod webhooks;

pub use booking::{
    Booking, BookingFilter, BookingStatus, Hold, HoldStatus, InviteStatus, Invitee, Seen,
    Transition,
};
pub use commands::{
    BookingTarget, Command, CreateBooking, JoinWaitlist, Outcome, PlaceHold, Reply, Reschedule,
};
pub use details::{DetailsPatch, Location, VenueDetails, VenueSearch};
pub use error::DomainError;
pub use event::{Change, Event};
pub use floor::{Combination, Pacing, Service};
pub use guest::{Channel, Guest};
pub use ids::{BookingId, Caller, EntryId, HoldId, ResourceId, ServiceId, UserId, VenueId};
pub use patch::Patch;
pub use settings::{
    Period, Resource, ResourceMode, VenueKind, VenuePatch, VenueSettings, WeeklyHours, Zone,
};
pub use venue::{MAX_NOTE_CHARS, SlotAvailability, Venue, retention_cutoff};
pub use waitlist::{EntryChange, EntryStatus, Offer, WaitlistEntry};
