//! Creating bookings (directly or from a hold), moving them through the
//! status machine, and rescheduling them atomically.

use jiff::Timestamp;

use super::{Access, Entry, MAX_NOTE_CHARS, Venue};
use crate::domain::commands::{BookingTarget, CreateBooking, Reply, Reschedule};
use crate::domain::time::add_minutes;
use crate::domain::{
    Booking, BookingId, BookingStatus, Caller, Change, DomainError, Event, Guest, HoldId,
    HoldStatus, Transition,
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
        let staff_booking = c.channel.staff_only();
        if staff_booking && !self.manages(&c.caller) {
            return Err(DomainError::Forbidden(
                "only venue staff may book through this channel",
            ));
        }
        let guest = if staff_booking {
            c.guest
        } else {
            Guest {
                name: c.guest.name.or(c.account.name),
                phone: c.guest.phone.or(c.account.phone),
            }
        };
        let guest = guest.checked(staff_booking)?;
        if !staff_booking {
            // Creating a booking and converting a hold both count.
            self.check_active_limit(&c.caller, now)?;
        }
        if self.bookings.contains_key(&c.id) {
            return Err(DomainError::Conflict(format!(
                "booking {} already exists",
                c.id
            )));
        }
        let mut status = if self.settings.auto_confirm {
            BookingStatus::Confirmed
        } else {
            BookingStatus::Pending
        };
        let (index, start, end, party) = match c.target {
            BookingTarget::Now { party_size } => {
                if c.channel != crate::domain::Channel::WalkIn {
                    return Err(DomainError::invalid("start", "is required"));
                }
                status = BookingStatus::Seated;
                let (start, end) = self.walk_in_now(party_size, now)?;
                let index = self
                    .allocate(start, end, party_size, now)
                    .ok_or(DomainError::SlotUnavailable)?;
                (index, start, end, party_size)
            }
            BookingTarget::Start { start, party_size } => {
                let minutes = self.settings.length_for(party_size);
                self.check_start(start, party_size, minutes, now)?;
                let end = add_minutes(start, minutes);
                let index = self
                    .allocate(start, end, party_size, now)
                    .ok_or(DomainError::SlotUnavailable)?;
                (index, start, end, party_size)
            }
            BookingTarget::Hold(hold_id) => {
                let (index, start, end, party) = self.convertible(&hold_id, &c.caller, now)?;
                let hold = self.finish_hold(&hold_id, HoldStatus::Converted);
                events.push(self.emit(now, Change::HoldReleased(hold)));
                (index, start, end, party)
            }
        };
        let claim = self.claim(index, start, end, party, None);
        let booking = Booking {
            id: c.id,
            venue_id: self.id.clone(),
            user_id: (!staff_booking).then(|| c.caller.user.clone()),
            guest,
            channel: c.channel,
            created_by: c.caller.user,
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
        now: Timestamp,
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
        // A live hold whose interval is over has no claim (a venue change
        // re-placed only what is still ahead): it can no longer become a
        // booking, which would end before it was made.
        match entry.claim {
            Some(claim) if h.end > now => Ok((claim.resource, h.start, h.end, h.party_size)),
            _ => Err(DomainError::HoldExpired),
        }
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
        match self.access(caller, entry.record.user_id.as_ref()) {
            Access::None => return Err(DomainError::NotFound("booking")),
            Access::Own if !to.owner_may() => {
                return Err(DomainError::Forbidden("only venue staff may do that"));
            }
            Access::Own => self.check_cutoff(caller, entry.record.start, now)?,
            _ => {}
        }
        let status = to.apply(entry.record.status)?;
        let entry = self.bookings.get_mut(id).unwrap(); // unwrap: looked up just above; nothing removed it since.
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
        let access = self.access(&c.caller, entry.record.user_id.as_ref());
        if access == Access::None {
            return Err(DomainError::NotFound("booking"));
        }
        if c.resource_id.is_some() && access != Access::Manage {
            return Err(DomainError::Forbidden(
                "only venue staff may move a booking to another resource",
            ));
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
        let target = match &c.resource_id {
            Some(id) => Some(*self.layout.index.get(id).ok_or_else(|| {
                DomainError::invalid("resource_id", "is not a resource of this venue")
            })?),
            None => None,
        };
        let relocates = target.is_some_and(|i| self.settings.resources[i].id != old.resource_id);
        let resizes = start != old.start || party != old.party_size;
        let moves = resizes || relocates;
        if !old.status.takes_capacity() || (resizes && old.status == BookingStatus::Seated) {
            return Err(DomainError::Conflict(format!(
                "a {} booking cannot be changed",
                old.status.as_str()
            )));
        }
        if !moves && note == old.note {
            return Ok(Reply::Booking(old));
        }
        if resizes {
            // Judged against the current start; a note alone is no move.
            self.check_cutoff(&c.caller, old.start, now)?;
        }
        let mut booking = old;
        if moves {
            let minutes = self.settings.length_for(party);
            let seated = booking.status == BookingStatus::Seated;
            // A new start or size must be bookable; moving tables alone
            // keeps the time, inside the notice or not.
            if resizes {
                self.check_start(start, party, minutes, now)?;
            }
            let end = if resizes {
                add_minutes(start, minutes)
            } else {
                booking.end
            };
            let old_claim = self.bookings[&c.id].claim;
            // A seated party moves tables from now to its end (API v1.1 §12).
            let checked_from = if seated { now.max(start) } else { start };
            let index = self.try_move(
                old_claim,
                (booking.start, booking.end, booking.party_size),
                (start, end, party),
                checked_from,
                target,
                now,
            )?;
            self.bookings.get_mut(&c.id).unwrap().claim =  // unwrap: the booking exists (looked up above).
                Some(self.claim(index, start, end, party, None));
            booking.resource_id = self.settings.resources[index].id.clone();
            (booking.start, booking.end, booking.party_size) = (start, end, party);
        }
        booking.note = note;
        booking.version += 1;
        booking.updated_at = now;
        self.bookings.get_mut(&c.id).unwrap().record = booking.clone(); // unwrap: the booking exists (looked up above).
        events.push(self.emit(now, Change::BookingUpdated(booking.clone())));
        Ok(Reply::Booking(booking))
    }

    /// Takes the old claim away and finds room for the new interval (from
    /// `checked_from` on, on `only` if given); puts the old claim back if
    /// there is none.
    fn try_move(
        &mut self,
        old: Option<super::ClaimRef>,
        (old_start, old_end, old_party): (Timestamp, Timestamp, u32),
        (_, end, party): (Timestamp, Timestamp, u32),
        checked_from: Timestamp,
        only: Option<usize>,
        now: Timestamp,
    ) -> Result<usize, DomainError> {
        self.unclaim(old, old_start);
        // A reschedule keeps its resource if it still fits there, else
        // takes what the allocator picks (API v1.1 §12).
        let found = match only.or(old.map(|c| c.resource)) {
            Some(i) if self.fits_on(i, checked_from, end, party, now) => Some(i),
            _ if only.is_some() => None,
            _ => self.allocate(checked_from, end, party, now),
        };
        match found {
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

#[cfg(test)]
mod tests {
    use crate::domain::commands::{BookingTarget, Command, CreateBooking, Reply, Reschedule};
    use crate::domain::venue::test_support::*;
    use crate::domain::{
        BookingId, BookingStatus, Caller, DomainError, HoldId, Transition, UserId, VenuePatch,
    };

    const EVE: &str = "2026-12-24T18:00:00+08:00";

    fn convert(id: &str, user: &str, hold: &str) -> Command {
        Command::CreateBooking(CreateBooking {
            guest: Default::default(),
            account: Default::default(),
            channel: Default::default(),
            id: BookingId::from(id),
            caller: Caller::user(user),
            target: BookingTarget::Hold(HoldId::from(hold)),
            note: None,
        })
    }

    fn booked(out: crate::domain::Outcome) -> crate::domain::Booking {
        match out.reply {
            Ok(Reply::Booking(b)) => b,
            other => panic!("expected a booking, got {other:?}"),
        }
    }

    #[test]
    fn a_hold_converts_once_for_its_owner_only() {
        let mut v = venue();
        v.execute(hold("h1", "ann", EVE, 6), now());
        assert_eq!(
            v.execute(convert("b1", "bob", "h1"), now()).reply,
            Err(DomainError::NotFound("hold"))
        );
        let out = v.execute(convert("b1", "ann", "h1"), now());
        assert_eq!(
            out.events
                .iter()
                .map(|e| e.change.name())
                .collect::<Vec<_>>(),
            ["hold.released", "booking.created"]
        );
        let b = booked(out);
        assert_eq!((b.resource_id.as_str(), b.party_size), ("t6", 6));
        assert!(matches!(
            v.execute(convert("b2", "ann", "h1"), now()).reply,
            Err(DomainError::Conflict(_))
        ));
        let release = Command::ReleaseHold {
            id: HoldId::from("h1"),
            caller: Caller::user("ann"),
        };
        assert!(matches!(
            v.execute(release, now()).reply,
            Err(DomainError::Conflict(_))
        ));
    }

    #[test]
    fn an_expired_hold_cannot_be_converted() {
        let mut v = venue();
        v.execute(hold("h1", "ann", EVE, 2), now());
        let later = now() + jiff::SignedDuration::from_secs(301);
        assert_eq!(
            v.execute(convert("b1", "ann", "h1"), later).reply,
            Err(DomainError::HoldExpired)
        );
    }

    #[test]
    fn a_reschedule_into_a_full_slot_changes_nothing() {
        let mut v = venue();
        let mine = booked(v.execute(book("mine", "ann", EVE, 6), now()));
        // Fill every place a party of six could go at 20:00: t6 and the bar.
        booked(v.execute(book("t6", "bob", "2026-12-24T20:00:00+08:00", 6), now()));
        booked(v.execute(book("bar", "bob", "2026-12-24T20:00:00+08:00", 6), now()));
        let seq = v.seq();
        let mv = |start: &str| {
            Command::Reschedule(Reschedule {
                resource_id: None,
                id: BookingId::from("mine"),
                caller: Caller::user("ann"),
                start: Some(at(start)),
                party_size: None,
                note: None,
                version: Some(1),
            })
        };
        assert_eq!(
            v.execute(mv("2026-12-24T20:00:00+08:00"), now()).reply,
            Err(DomainError::SlotUnavailable)
        );
        assert_eq!(
            (v.seq(), v.booking(&BookingId::from("mine"))),
            (seq, Some(&mine))
        );
        // Moving over part of its own old interval works: its old claim does
        // not block it.
        let moved = booked(v.execute(mv("2026-12-24T17:00:00+08:00"), now()));
        assert_eq!(
            (moved.version, moved.start, moved.resource_id.as_str()),
            (2, at("2026-12-24T17:00:00+08:00"), "t6")
        );
        // Its old interval is free again: t6 takes a party of six at 18:30,
        // which the old 18:00-19:30 claim would have blocked.
        let other = booked(v.execute(book("other", "cat", "2026-12-24T18:30:00+08:00", 6), now()));
        assert_eq!(other.resource_id.as_str(), "t6");
        // A stale version is a conflict.
        assert!(matches!(
            v.execute(mv("2026-12-24T11:00:00+08:00"), now()).reply,
            Err(DomainError::Conflict(_))
        ));
    }

    #[test]
    fn owners_cancel_staff_run_the_service_strangers_see_nothing() {
        let mut v = venue();
        v.execute(
            Command::SetStaff {
                caller: Caller::admin("root"),
                user: UserId::from("sam"),
                member: true,
            },
            now(),
        );
        booked(v.execute(book("b1", "ann", EVE, 2), now()));
        let t = |who: Caller, to| Command::Transition {
            id: BookingId::from("b1"),
            caller: who,
            to,
        };
        assert_eq!(
            v.execute(t(Caller::user("eve"), Transition::Cancel), now())
                .reply,
            Err(DomainError::NotFound("booking"))
        );
        assert!(matches!(
            v.execute(t(Caller::user("ann"), Transition::Seat), now())
                .reply,
            Err(DomainError::Forbidden(_))
        ));
        let seated = booked(v.execute(t(Caller::user("sam"), Transition::Seat), now()));
        assert_eq!((seated.status, seated.version), (BookingStatus::Seated, 2));
        assert!(matches!(
            v.execute(t(Caller::user("ann"), Transition::Cancel), now())
                .reply,
            Err(DomainError::Conflict(_))
        ));
        let done = booked(v.execute(t(Caller::user("sam"), Transition::Complete), now()));
        assert_eq!(done.status, BookingStatus::Completed);
        // Reads follow the same rules: strangers see nothing, only staff see the day.
        let id = BookingId::from("b1");
        assert_eq!(
            v.booking_for(&id, &Caller::user("eve")),
            Err(DomainError::NotFound("booking"))
        );
        assert!(v.booking_for(&id, &Caller::user("ann")).is_ok());
        let day = jiff::civil::date(2026, 12, 24);
        assert!(matches!(
            v.day_window(day, &Caller::user("ann")),
            Err(DomainError::Forbidden(_))
        ));
        let (from, to) = v.day_window(day, &Caller::user("sam")).unwrap();
        assert!(from <= v.booking(&id).unwrap().start && v.booking(&id).unwrap().start < to);
        assert_eq!(
            to.duration_since(from),
            jiff::SignedDuration::from_hours(24)
        );
        // Completed gives the table back.
        booked(v.execute(book("b2", "bob", EVE, 2), now()));
    }

    #[test]
    fn without_auto_confirm_a_booking_starts_pending_and_still_takes_capacity() {
        let mut v = venue();
        let patch = VenuePatch {
            auto_confirm: Some(false),
            ..Default::default()
        };
        v.execute(
            Command::UpdateVenue {
                caller: Caller::admin("root"),
                patch: Box::new(patch),
            },
            now(),
        );
        assert_eq!(
            booked(v.execute(book("b1", "ann", EVE, 6), now())).status,
            BookingStatus::Pending
        );
        booked(v.execute(book("b2", "ann", EVE, 6), now())); // the bar
        assert_eq!(
            v.execute(book("b3", "ann", EVE, 6), now()).reply,
            Err(DomainError::SlotUnavailable)
        );
    }

    #[test]
    fn starts_that_can_never_be_booked_are_invalid_and_name_the_field() {
        let mut v = venue();
        let field = |out: crate::domain::Outcome| match out.reply {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        assert_eq!(
            field(v.execute(book("b", "a", "2026-12-24T18:05:00+08:00", 2), now())),
            "start"
        );
        assert_eq!(
            field(v.execute(book("b", "a", "2026-12-19T18:00:00+08:00", 2), now())),
            "start"
        );
        assert_eq!(
            field(v.execute(book("b", "a", "2027-02-19T18:00:00+08:00", 2), now())),
            "start"
        );
        assert_eq!(
            field(v.execute(book("b", "a", EVE, 0), now())),
            "party_size"
        );
        assert_eq!(
            field(v.execute(book("b", "a", EVE, 11), now())),
            "party_size"
        );
        assert_eq!(
            field(v.execute(book("b", "a", EVE, 1001), now())),
            "party_size"
        );
        assert_eq!(v.seq(), 1, "nothing changed");
    }

    #[test]
    fn staff_move_a_party_to_another_table_inside_the_minimum_notice() {
        let mut v = venue();
        v.settings.min_notice_minutes = 120;
        assert!(
            v.execute(book("b1", "ann", "2026-12-24T18:00:00+08:00", 2), now())
                .reply
                .is_ok()
        );
        let resource = v.bookings().next().unwrap().resource_id.clone();
        let other = v
            .settings()
            .resources
            .iter()
            .find(|r| {
                r.id != resource && r.seats(2) && r.mode == crate::domain::ResourceMode::Exclusive
            })
            .unwrap()
            .id
            .clone();
        let an_hour_before = at("2026-12-24T17:00:00+08:00");
        let moved = v
            .execute(
                Command::Reschedule(crate::domain::Reschedule {
                    id: BookingId::from("b1"),
                    caller: Caller::admin("root"),
                    start: None,
                    party_size: None,
                    note: None,
                    version: None,
                    resource_id: Some(other.clone()),
                }),
                an_hour_before,
            )
            .reply;
        let Ok(crate::domain::Reply::Booking(b)) = moved else {
            panic!("{moved:?}")
        };
        assert_eq!(b.resource_id, other);
    }
}
