//! The venue actor's messages: `Execute` carries every command (through
//! `VenueActor::run_with`); the queries, named as verbs, answer from memory.

use actix::prelude::*;
use jiff::civil::Date;

use crate::actors::EngineError;
use crate::actors::venue::{Pending, RecordWith, VenueActor};
use crate::domain::{
    Booking, BookingId, Caller, Command, Hold, HoldId, Reply, SlotAvailability, VenueSettings,
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
#[rtype(result = "(Vec<SlotAvailability>, u64)")]
pub struct GetAvailability {
    pub date: Date,
    pub party_size: u32,
}

impl Handler<GetAvailability> for VenueActor {
    type Result = MessageResult<GetAvailability>;

    fn handle(&mut self, m: GetAvailability, _: &mut Context<Self>) -> Self::Result {
        let now = self.now();
        MessageResult((
            self.venue.availability(m.date, m.party_size, now),
            self.venue.seq(),
        ))
    }
}

/// A booking the caller may see.
#[derive(Clone, Debug, Message)]
#[rtype(result = "Result<Booking, EngineError>")]
pub struct GetBooking {
    pub id: BookingId,
    pub caller: Caller,
}

impl Handler<GetBooking> for VenueActor {
    type Result = Result<Booking, EngineError>;

    fn handle(&mut self, m: GetBooking, _: &mut Context<Self>) -> Self::Result {
        Ok(self.venue.booking_for(&m.id, &m.caller)?.clone())
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

/// The day sheet of a local date (staff and admin).
#[derive(Clone, Debug, Message)]
#[rtype(result = "Result<Vec<Booking>, EngineError>")]
pub struct GetDaySheet {
    pub date: Date,
    pub caller: Caller,
}

impl Handler<GetDaySheet> for VenueActor {
    type Result = Result<Vec<Booking>, EngineError>;

    fn handle(&mut self, m: GetDaySheet, _: &mut Context<Self>) -> Self::Result {
        let day = self.venue.day_sheet(m.date, &m.caller)?;
        Ok(day.into_iter().cloned().collect())
    }
}
