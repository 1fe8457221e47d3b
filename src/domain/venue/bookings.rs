//! Creating bookings (directly or from a hold), moving them through the
//! status machine, and rescheduling them atomically.

use jiff::Timestamp;

use super::{Access, Entry, MAX_NOTE_CHARS, Venue};
use crate::domain::commands::{BookingTarget, CreateBooking, Reply, Reschedule};
use crate::domain::time::add_minutes;
use crate::domain::{
    Booking, BookingId, BookingStatus, Caller, Change, DomainError, Event, HoldId, HoldStatus,
    Transition,
};

fn check_note(note: Option<String>) -> Result<Option<String>, DomainError> {
    match note {
        Some(n) if n.chars().count() > MAX_NOTE_CHARS => Err(DomainError::invalid(
            "note",
            "must be at most 1000 characters",
        )),
        Some(n) if n.is_empty() => Ok(None),
        other => Ok(other),
    }
}

impl Venue {
    pub(super) fn create_booking(
        &mut self,
        c: CreateBooking,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let note = check_note(c.note)?;
        if self.bookings.contains_key(&c.id) {
            return Err(DomainError::Conflict(format!(
                "booking {} already exists",
                c.id
            )));
        }
        let status = if self.settings.auto_confirm {
            BookingStatus::Confirmed
        } else {
            BookingStatus::Pending
        };
        let (index, start, end, party) = match c.target {
            BookingTarget::Start { start, party_size } => {
                let minutes = self.settings.booking_minutes;
                self.check_start(start, party_size, minutes, now)?;
                let end = add_minutes(start, minutes);
                let index = self
                    .allocate(start, end, party_size, now)
                    .ok_or(DomainError::SlotUnavailable)?;
                (index, start, end, party_size)
            }
            BookingTarget::Hold(hold_id) => {
                let (index, start, end, party) = self.convertible(&hold_id, &c.caller)?;
                let hold = self.finish_hold(&hold_id, HoldStatus::Converted);
                events.push(self.emit(now, Change::HoldReleased(hold)));
                (index, start, end, party)
            }
        };
        let claim = self.claim(index, start, end, party, None);
        let booking = Booking {
            id: c.id,
            venue_id: self.id.clone(),
            user_id: c.caller.user,
            resource_id: self.settings.resources[index].id.clone(),
            start,
            end,
            party_size: party,
            status,
            note,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        self.bookings.insert(
            booking.id.clone(),
            Entry {
                record: booking.clone(),
                claim: Some(claim),
            },
        );
        events.push(self.emit(now, Change::BookingCreated(booking.clone())));
        Ok(Reply::Booking(booking))
    }

    /// Checks that the caller may convert this hold now; returns where it sits.
    fn convertible(
        &self,
        id: &HoldId,
        caller: &Caller,
    ) -> Result<(usize, Timestamp, Timestamp, u32), DomainError> {
        let entry = self
            .holds
            .get(id)
            .filter(|e| e.record.user_id == caller.user);
        let entry = entry.ok_or(DomainError::NotFound("hold"))?;
        let h = &entry.record;
        match h.status {
            HoldStatus::Active => {}
            HoldStatus::Expired => return Err(DomainError::HoldExpired),
            HoldStatus::Converted => {
                return Err(DomainError::Conflict(
                    "the hold was already converted into a booking".into(),
                ));
            }
            HoldStatus::Released => {
                return Err(DomainError::Conflict("the hold was released".into()));
            }
        }
        // unwrap: an active hold always holds a claim on a resource of the venue.
        let index = entry.claim.map(|c| c.resource).unwrap();
        Ok((index, h.start, h.end, h.party_size))
    }

    pub(super) fn transition(
        &mut self,
        id: &BookingId,
        caller: &Caller,
        to: Transition,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let entry = self
            .bookings
            .get(id)
            .ok_or(DomainError::NotFound("booking"))?;
        match self.access(caller, &entry.record.user_id) {
            Access::None => return Err(DomainError::NotFound("booking")),
            Access::Own if !to.owner_may() => {
                return Err(DomainError::Forbidden("only venue staff may do that"));
            }
            _ => {}
        }
        let status = to.apply(entry.record.status)?;
        // unwrap: looked up just above; nothing removed it since.
        let entry = self.bookings.get_mut(id).unwrap();
        let b = &mut entry.record;
        b.status = status;
        b.version += 1;
        b.updated_at = now;
        let (booking, claim) = (
            b.clone(),
            if status.takes_capacity() {
                None
            } else {
                entry.claim.take()
            },
        );
        self.unclaim(claim, booking.start);
        let change = if to == Transition::Cancel {
            Change::BookingCancelled(booking.clone())
        } else {
            Change::BookingUpdated(booking.clone())
        };
        events.push(self.emit(now, change));
        Ok(Reply::Booking(booking))
    }

    /// New capacity is taken and the old released together, or nothing changes.
    pub(super) fn reschedule(
        &mut self,
        c: Reschedule,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let entry = self
            .bookings
            .get(&c.id)
            .ok_or(DomainError::NotFound("booking"))?;
        if self.access(&c.caller, &entry.record.user_id) == Access::None {
            return Err(DomainError::NotFound("booking"));
        }
        let old = entry.record.clone();
        if let Some(v) = c.version.filter(|v| *v != old.version) {
            return Err(DomainError::Conflict(format!(
                "stale version {v}: the booking is at version {}",
                old.version
            )));
        }
        let note = match c.note {
            Some(n) => check_note(Some(n))?,
            None => old.note.clone(),
        };
        let start = c.start.unwrap_or(old.start);
        let party = c.party_size.unwrap_or(old.party_size);
        let moves = start != old.start || party != old.party_size;
        if !old.status.takes_capacity() || (moves && old.status == BookingStatus::Seated) {
            return Err(DomainError::Conflict(format!(
                "a {} booking cannot be changed",
                old.status.as_str()
            )));
        }
        if !moves && note == old.note {
            return Ok(Reply::Booking(old));
        }
        let mut booking = old;
        if moves {
            let minutes = self.settings.booking_minutes;
            self.check_start(start, party, minutes, now)?;
            let end = add_minutes(start, minutes);
            let old_claim = self.bookings[&c.id].claim;
            let index = self.try_move(
                old_claim,
                booking.start,
                booking.end,
                booking.party_size,
                start,
                end,
                party,
                now,
            )?;
            // unwrap: the booking exists (looked up above).
            self.bookings.get_mut(&c.id).unwrap().claim =
                Some(self.claim(index, start, end, party, None));
            booking.resource_id = self.settings.resources[index].id.clone();
            (booking.start, booking.end, booking.party_size) = (start, end, party);
        }
        booking.note = note;
        booking.version += 1;
        booking.updated_at = now;
        // unwrap: the booking exists (looked up above).
        self.bookings.get_mut(&c.id).unwrap().record = booking.clone();
        events.push(self.emit(now, Change::BookingUpdated(booking.clone())));
        Ok(Reply::Booking(booking))
    }

    /// Takes the old claim away and finds room for the new interval; puts the
    /// old claim back if there is none.
    #[allow(clippy::too_many_arguments)]
    fn try_move(
        &mut self,
        old: Option<super::ClaimRef>,
        old_start: Timestamp,
        old_end: Timestamp,
        old_party: u32,
        start: Timestamp,
        end: Timestamp,
        party: u32,
        now: Timestamp,
    ) -> Result<usize, DomainError> {
        self.unclaim(old, old_start);
        match self.allocate(start, end, party, now) {
            Some(index) => Ok(index),
            None => {
                if let Some(c) = old {
                    self.layout.ledgers[c.resource].insert(
                        c.key,
                        old_start.as_second(),
                        old_end.as_second(),
                        old_party,
                        i64::MAX,
                    );
                }
                Err(DomainError::SlotUnavailable)
            }
        }
    }
}
