//! The venue actor's messages: `Execute` carries every command (through
//! `VenueActor::run_with`); the queries, named as verbs, answer from memory.

use std::collections::BTreeMap;

use crate::domain::guests::GuestSummary;
use actix::prelude::*;
use jiff::Timestamp;
use jiff::civil::Date;

use crate::actors::EngineError;
use crate::actors::venue::{Pending, RecordWith, VenueActor};
use crate::domain::{
    Booking, BookingId, Caller, Command, EntryChange, EntryId, Hold, HoldId, Reply, Seen,
    ServiceId, SlotAvailability, VenueSettings,
};

/// Every change of a venue: one domain command, and optionally the
/// idempotency record to store in the same commit when it succeeds. One
/// message for all commands, so that a new command touches the domain and a
/// route, nothing in between.
#[derive(Clone, Debug)]
pub struct Execute {
    pub command: Command,
    pub record: Option<RecordWith>,
}

impl Execute {
    /// A command with nothing stored beside it.
    pub fn new(command: Command) -> Self {
        Self {
            command,
            record: None,
        }
    }
}

impl From<Command> for Execute {
    fn from(command: Command) -> Self {
        Self::new(command)
    }
}

impl Message for Execute {
    type Result = Result<Reply, EngineError>;
}

impl Handler<Execute> for VenueActor {
    type Result = Pending<Reply>;

    fn handle(&mut self, m: Execute, ctx: &mut Context<Self>) -> Self::Result {
        self.run_with(m.command, m.record, ctx)
    }
}

/// The venue's settings and latest seq.
#[derive(Clone, Debug, Message)]
#[rtype(result = "(VenueSettings, u64)")]
pub struct GetVenue;

impl Handler<GetVenue> for VenueActor {
    type Result = MessageResult<GetVenue>;

    fn handle(&mut self, _: GetVenue, _: &mut Context<Self>) -> Self::Result {
        MessageResult((self.venue.settings().clone(), self.venue.seq()))
    }
}

/// A day's availability for a party size, with the seq it reflects.
#[derive(Clone, Debug, Message)]
#[rtype(result = "Result<(Vec<SlotAvailability>, u64), EngineError>")]
pub struct GetAvailability {
    pub date: Date,
    pub party_size: u32,
    pub service_id: Option<ServiceId>,
}

impl Handler<GetAvailability> for VenueActor {
    type Result = Result<(Vec<SlotAvailability>, u64), EngineError>;

    fn handle(&mut self, m: GetAvailability, _: &mut Context<Self>) -> Self::Result {
        let now = self.now();
        let slots = self
            .venue
            .availability(m.date, m.party_size, m.service_id.as_ref(), now)
            .map_err(EngineError::Domain)?;
        Ok((slots, self.venue.seq()))
    }
}

/// A booking the caller may see, and how they see it.
#[derive(Clone, Debug, Message)]
#[rtype(result = "Result<(Booking, Seen), EngineError>")]
pub struct GetBooking {
    pub id: BookingId,
    pub caller: Caller,
}

impl Handler<GetBooking> for VenueActor {
    type Result = Result<(Booking, Seen), EngineError>;

    fn handle(&mut self, m: GetBooking, _: &mut Context<Self>) -> Self::Result {
        let (b, seen) = self.venue.booking_for(&m.id, &m.caller)?;
        Ok((b.clone(), seen))
    }
}

/// A hold the caller may see.
#[derive(Clone, Debug, Message)]
#[rtype(result = "Result<Hold, EngineError>")]
pub struct GetHold {
    pub id: HoldId,
    pub caller: Caller,
}

impl Handler<GetHold> for VenueActor {
    type Result = Result<Hold, EngineError>;

    fn handle(&mut self, m: GetHold, _: &mut Context<Self>) -> Self::Result {
        Ok(self.venue.hold_for(&m.id, &m.caller)?.clone())
    }
}

/// The instants of a local date, if the caller may see its day sheet.
#[derive(Clone, Debug, Message)]
#[rtype(result = "Result<(Timestamp, Timestamp), EngineError>")]
pub struct GetDayWindow {
    pub date: Date,
    pub caller: Caller,
}

impl Handler<GetDayWindow> for VenueActor {
    type Result = Result<(Timestamp, Timestamp), EngineError>;

    fn handle(&mut self, m: GetDayWindow, _: &mut Context<Self>) -> Self::Result {
        Ok(self.venue.day_window(m.date, &m.caller)?)
    }
}

/// The venue's guests with their histories, if the caller is its staff.
#[derive(Clone, Debug, Message)]
#[rtype(result = "Result<BTreeMap<String, GuestSummary>, EngineError>")]
pub struct GetGuests {
    pub caller: Caller,
}

impl Handler<GetGuests> for VenueActor {
    type Result = Result<BTreeMap<String, GuestSummary>, EngineError>;

    fn handle(&mut self, m: GetGuests, _: &mut Context<Self>) -> Self::Result {
        let now = self.now();
        Ok(self.venue.guests(&m.caller, now)?)
    }
}

/// A date's waitlist (staff): waiting entries in position order, then the rest.
#[derive(Clone, Debug, Message)]
#[rtype(result = "Result<Vec<EntryChange>, EngineError>")]
pub struct GetWaitlist {
    pub date: Date,
    pub caller: Caller,
}

impl Handler<GetWaitlist> for VenueActor {
    type Result = Result<Vec<EntryChange>, EngineError>;

    fn handle(&mut self, m: GetWaitlist, _: &mut Context<Self>) -> Self::Result {
        Ok(self.venue.waitlist(m.date, &m.caller)?)
    }
}

/// Those of the entries that are in memory and the caller may see, with
/// their positions now.
#[derive(Clone, Debug, Message)]
#[rtype(result = "Vec<EntryChange>")]
pub struct GetEntries {
    pub ids: Vec<EntryId>,
    pub caller: Caller,
}

impl Handler<GetEntries> for VenueActor {
    type Result = MessageResult<GetEntries>;

    fn handle(&mut self, m: GetEntries, _: &mut Context<Self>) -> Self::Result {
        MessageResult(
            m.ids
                .iter()
                .filter_map(|id| self.venue.entry_for(id, &m.caller).ok())
                .collect(),
        )
    }
}

/// How the caller sees a booking read from the store after it left
/// memory, if at all (the venue's rule, with its current staff).
#[derive(Clone, Debug, Message)]
#[rtype(result = "Option<Seen>")]
pub struct Sees {
    pub caller: Caller,
    pub booking: Box<Booking>,
}

impl Handler<Sees> for VenueActor {
    type Result = Option<Seen>;

    fn handle(&mut self, m: Sees, _: &mut Context<Self>) -> Option<Seen> {
        self.venue.sees(&m.caller, &m.booking)
    }
}

/// Resident bookings and holds of the venue (memory tests, metrics).
#[derive(Clone, Copy, Debug, Message)]
#[rtype(result = "Resident")]
pub struct GetResident;

/// Bookings and holds a venue holds in memory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, MessageResponse)]
pub struct Resident {
    pub bookings: usize,
    pub holds: usize,
}

impl Handler<GetResident> for VenueActor {
    type Result = Resident;

    fn handle(&mut self, _: GetResident, _: &mut Context<Self>) -> Resident {
        let (bookings, holds) = self.venue.resident();
        Resident { bookings, holds }
    }
}
