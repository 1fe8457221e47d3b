//! The venue actor's messages, one per operation, named as verbs. Commands
//! go through `VenueActor::run`; queries answer from memory.

use actix::prelude::*;
use jiff::civil::Date;

use crate::actors::EngineError;
use crate::actors::venue::{Pending, RecordWith, VenueActor};
use crate::domain::{
    self, Booking, BookingId, Caller, Command, Hold, HoldId, Reply, SlotAvailability, Transition,
    UserId, VenuePatch, VenueSettings,
};

macro_rules! command {
    ($(#[$doc:meta])* $name:ident { $($field:ident : $ty:ty),* $(,)? } => |$m:ident| $cmd:expr) => {
        $(#[$doc])*
        #[derive(Clone, Debug)]
        pub struct $name { $(pub $field: $ty),* }

        impl Message for $name {
            type Result = Result<Reply, EngineError>;
        }

        impl Handler<$name> for VenueActor {
            type Result = Pending<Reply>;

            fn handle(&mut self, $m: $name, ctx: &mut Context<Self>) -> Self::Result {
                let command = $cmd;
                self.run(command, ctx)
            }
        }
    };
}

command!(
    /// Release a hold (owner or staff).
    ReleaseHold { id: HoldId, caller: Caller } => |m| Command::ReleaseHold { id: m.id, caller: m.caller }
);
command!(
    /// Cancel a booking (owner or staff).
    CancelBooking { id: BookingId, caller: Caller } => |m| Command::Transition { id: m.id, caller: m.caller, to: Transition::Cancel }
);
command!(
    /// Confirm a pending booking (staff).
    ConfirmBooking { id: BookingId, caller: Caller } => |m| Command::Transition { id: m.id, caller: m.caller, to: Transition::Confirm }
);
command!(
    /// Seat a confirmed booking (staff).
    SeatBooking { id: BookingId, caller: Caller } => |m| Command::Transition { id: m.id, caller: m.caller, to: Transition::Seat }
);
command!(
    /// Complete a seated booking (staff).
    CompleteBooking { id: BookingId, caller: Caller } => |m| Command::Transition { id: m.id, caller: m.caller, to: Transition::Complete }
);
command!(
    /// Mark a confirmed booking as a no-show (staff).
    MarkNoShow { id: BookingId, caller: Caller } => |m| Command::Transition { id: m.id, caller: m.caller, to: Transition::NoShow }
);
command!(
    /// Move, resize or annotate a booking atomically.
    RescheduleBooking { change: domain::Reschedule } => |m| Command::Reschedule(m.change)
);
command!(
    /// Change the venue's settings (staff or admin).
    UpdateVenue { caller: Caller, patch: VenuePatch } => |m| Command::UpdateVenue { caller: m.caller, patch: Box::new(m.patch) }
);
command!(
    /// Add or remove a staff member (admin).
    SetStaff { caller: Caller, user: UserId, member: bool } => |m| Command::SetStaff { caller: m.caller, user: m.user, member: m.member }
);
command!(
    /// Sweep holds whose time is up (the venue's timer does this by itself).
    ExpireHolds {} => |_m| Command::ExpireHolds
);

/// Lock capacity for the configured hold lifetime.
#[derive(Clone, Debug)]
pub struct PlaceHold {
    pub hold: domain::PlaceHold,
    /// Stored with the hold when it is placed (idempotency).
    pub record: Option<RecordWith>,
}

/// Book directly or by converting a hold.
#[derive(Clone, Debug)]
pub struct CreateBooking {
    pub booking: domain::CreateBooking,
    /// Stored with the booking when it is made (idempotency).
    pub record: Option<RecordWith>,
}

impl Message for PlaceHold {
    type Result = Result<Reply, EngineError>;
}

impl Message for CreateBooking {
    type Result = Result<Reply, EngineError>;
}

impl Handler<PlaceHold> for VenueActor {
    type Result = Pending<Reply>;

    fn handle(&mut self, m: PlaceHold, ctx: &mut Context<Self>) -> Self::Result {
        self.run_with(Command::PlaceHold(m.hold), m.record, ctx)
    }
}

impl Handler<CreateBooking> for VenueActor {
    type Result = Pending<Reply>;

    fn handle(&mut self, m: CreateBooking, ctx: &mut Context<Self>) -> Self::Result {
        self.run_with(Command::CreateBooking(m.booking), m.record, ctx)
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
