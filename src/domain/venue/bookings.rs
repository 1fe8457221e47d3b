//! Creating bookings (directly or from a hold), moving them through the
//! status machine, and rescheduling them atomically.

use jiff::Timestamp;

use super::layout::{ClaimRef, Place};
use super::placement::Want;
use super::{Access, Entry, MAX_NOTE_CHARS, Venue};
use crate::domain::commands::{BookingTarget, CreateBooking, Reply, Reschedule};
use crate::domain::time::add_minutes;
use crate::domain::{
    Booking, BookingId, BookingStatus, Caller, Change, DomainError, EntryStatus, Event, Guest,
    HoldId, HoldStatus, Transition,
};

pub(super) fn check_note(note: Option<String>) -> Result<Option<String>, DomainError> {
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
        let mut note = check_note(c.note)?;
        let mut channel = c.channel;
        let mut staff_booking = channel.staff_only();
        if staff_booking && !self.manages(&c.caller) {
            return Err(DomainError::Forbidden(
                "only venue staff may book through this channel",
            ));
        }
        let mut guest = c.guest;
        // An offer to a waitlist entry brings the entry's note; an offer to
        // a guest staff listed is booked by staff for that guest (§12).
        if let BookingTarget::Hold(h) = &c.target
            && let Some(entry) = self.offered_entry(h)
        {
            note = note.or(entry.note.clone());
            if entry.user_id.is_none() && self.manages(&c.caller) {
                (staff_booking, channel) = (true, crate::domain::Channel::Staff);
                guest = entry.guest.clone();
            }
        }
        let guest = if staff_booking {
            guest
        } else {
            Guest {
                name: guest.name.or(c.account.name),
                phone: guest.phone.or(c.account.phone),
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
        self.check_override(&c.caller, c.override_pacing)?;
        let pace = |v: &Venue, start, party| {
            if c.override_pacing || v.pacing_allows(start, party, now) {
                Ok(())
            } else {
                Err(DomainError::SlotUnavailable)
            }
        };
        let (place, start, end, party, service_id) = match c.target {
            BookingTarget::Now { party_size } => {
                if c.channel != crate::domain::Channel::WalkIn {
                    return Err(DomainError::invalid("start", "is required"));
                }
                status = BookingStatus::Seated;
                let service = self.service_index(c.service_id.as_ref())?;
                let want = self.walk_in_now(party_size, service, now)?;
                pace(self, want.start, party_size)?;
                let place = self
                    .allocate(&self.ask(want, now))
                    .ok_or(DomainError::SlotUnavailable)?;
                let end = add_minutes(want.start, want.minutes);
                (place, want.start, end, party_size, c.service_id)
            }
            BookingTarget::Start { start, party_size } => {
                let service = self.service_index(c.service_id.as_ref())?;
                let minutes = self.minutes_for(party_size, service);
                self.check_start(start, party_size, (minutes, service), now)?;
                pace(self, start, party_size)?;
                let want = Want {
                    start,
                    party: party_size,
                    service,
                    minutes,
                };
                let place = self
                    .allocate(&self.ask(want, now))
                    .ok_or(DomainError::SlotUnavailable)?;
                (
                    place,
                    start,
                    add_minutes(start, minutes),
                    party_size,
                    c.service_id,
                )
            }
            BookingTarget::Hold(hold_id) => {
                let (place, start, end, party) = self.convertible(&hold_id, &c.caller, now)?;
                let offered = self.holds[&hold_id].record.offer_for.clone();
                let hold = match &offered {
                    // A booked offer is the entry's event (API v1.1 §11).
                    Some(entry) => {
                        let ended = (EntryStatus::Booked, HoldStatus::Converted);
                        let change =
                            self.finish_entry(entry, ended, Change::WaitlistBooked, now, events);
                        change
                            .hold
                            .unwrap_or_else(|| self.finish_hold(&hold_id, HoldStatus::Converted))
                    }
                    None => {
                        let hold = self.finish_hold(&hold_id, HoldStatus::Converted);
                        events.push(self.emit(now, Change::HoldReleased(hold.clone())));
                        hold
                    }
                };
                (place, start, end, party, hold.service_id)
            }
        };
        let buffer = self.buffer_on(place);
        let claim = self.claim(place, (start, end, buffer, party), None);
        let booking = Booking {
            id: c.id,
            venue_id: self.id.clone(),
            user_id: (!staff_booking).then(|| c.caller.user.clone()),
            guest,
            channel,
            created_by: c.caller.user,
            resource_id: self.place_id(place),
            start,
            end,
            party_size: party,
            status,
            note,
            service_id,
            invitees: Vec::new(),
            buffer_minutes: buffer,
            reminder_at: None,
            version: 1,
            created_at: now,
            updated_at: now,
        };
        let booking = self.plan_reminder(booking, now);
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

    /// The waitlist entry a hold was offered to, if it is an offer.
    fn offered_entry(&self, hold: &HoldId) -> Option<&crate::domain::WaitlistEntry> {
        let entry = self.holds.get(hold)?.record.offer_for.as_ref()?;
        self.entries.get(entry)
    }

    /// Checks that the caller may convert this hold now; returns where it sits.
    fn convertible(
        &self,
        id: &HoldId,
        caller: &Caller,
        now: Timestamp,
    ) -> Result<(Place, Timestamp, Timestamp, u32), DomainError> {
        let guest_offer = |h: &crate::domain::Hold| {
            self.manages(caller)
                && self
                    .offered_entry(&h.id)
                    .is_some_and(|e| e.user_id.is_none())
        };
        let entry = self
            .holds
            .get(id)
            .filter(|e| e.record.user_id == caller.user || guest_offer(&e.record));
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
            Some(claim) if h.end > now => Ok((claim.place, h.start, h.end, h.party_size)),
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
            Access::None if entry.record.has_guest(&caller.user) => {
                return Err(DomainError::Forbidden(
                    "an invited friend cannot change the booking",
                ));
            }
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
        if access == Access::None && entry.record.has_guest(&c.caller.user) {
            return Err(DomainError::Forbidden(
                "an invited friend cannot change the booking",
            ));
        }
        if access == Access::None {
            return Err(DomainError::NotFound("booking"));
        }
        if c.party_size
            .is_some_and(|p| (p.saturating_sub(1) as usize) < entry.record.invited())
        {
            return Err(DomainError::Limit(format!(
                "{} friends are invited: the party cannot be smaller than {}",
                entry.record.invited(),
                entry.record.invited() + 1
            )));
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
        self.check_override(&c.caller, c.override_pacing)?;
        let target = match &c.resource_id {
            Some(id) => Some(self.layout.place_of(id).ok_or_else(|| {
                DomainError::invalid("resource_id", "is not a resource of this venue")
            })?),
            None => None,
        };
        let relocates = target.is_some_and(|p| self.place_id(p) != old.resource_id);
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
            let service = match &booking.service_id {
                Some(id) => self.settings.services.iter().position(|s| &s.id == id),
                None => None,
            };
            if resizes && booking.service_id.is_some() && service.is_none() {
                return Err(DomainError::invalid(
                    "service_id",
                    "the booking's service is no longer offered",
                ));
            }
            // A new start or size is placed as new: its length from today's
            // settings, the start bookable. Moving tables alone keeps the
            // time and length, inside the notice or not.
            let minutes = if resizes {
                let minutes = self.minutes_for(party, service);
                self.check_start(start, party, (minutes, service), now)?;
                minutes
            } else {
                u32::try_from(booking.end.duration_since(booking.start).as_mins()).unwrap_or(0)
            };
            let end = add_minutes(start, minutes);
            let old_claim = self.bookings[&c.id].claim;
            let want = Want {
                start,
                party,
                service,
                minutes,
            };
            let mut ask = self.ask(want, now);
            // A seated party moves tables from now to its end (API v1.1 §12).
            if booking.status == BookingStatus::Seated {
                ask.start = ask.start.max(now.as_second());
            }
            let was = (
                booking.start,
                booking.end,
                booking.buffer_minutes,
                booking.party_size,
            );
            let pace = (resizes && !c.override_pacing).then_some(start);
            let place = self.try_move(old_claim, was, &ask, target, pace, now)?;
            let buffer = self.buffer_on(place);
            self.bookings.get_mut(&c.id).unwrap().claim =  // unwrap: the booking exists (looked up above).
                Some(self.claim(place, (start, end, buffer, party), None));
            booking.resource_id = self.place_id(place);
            booking.buffer_minutes = buffer;
            let moved = start != booking.start;
            (booking.start, booking.end, booking.party_size) = (start, end, party);
            if moved {
                booking = self.plan_reminder(booking, now);
            }
        }
        booking.note = note;
        booking.version += 1;
        booking.updated_at = now;
        self.bookings.get_mut(&c.id).unwrap().record = booking.clone(); // unwrap: the booking exists (looked up above).
        events.push(self.emit(now, Change::BookingUpdated(booking.clone())));
        Ok(Reply::Booking(booking))
    }

    /// Takes the old claim away and finds room for the ask (on `only` if
    /// given, within pacing at `pace` if given); puts the old claim back if
    /// there is none.
    fn try_move(
        &mut self,
        old: Option<ClaimRef>,
        was: (Timestamp, Timestamp, u32, u32),
        ask: &super::layout::Ask,
        only: Option<Place>,
        pace: Option<Timestamp>,
        now: Timestamp,
    ) -> Result<Place, DomainError> {
        self.unclaim(old, was.0);
        let paced = pace.is_none_or(|start| self.pacing_allows(start, ask.party, now));
        // A reschedule keeps its place if it still fits there, else takes
        // what the allocator picks (API v1.1 §12).
        let found = match only.or(old.map(|c| c.place)) {
            _ if !paced => None,
            Some(p) if self.layout.fits(p, ask) => Some(p),
            _ if only.is_some() => None,
            _ => self.allocate(ask),
        };
        match found {
            Some(place) => Ok(place),
            None => {
                if let Some(c) = old {
                    let (start, end, buffer, party) = was;
                    let span = super::layout::Span {
                        start: start.as_second(),
                        end: end.as_second(),
                        buffered_end: add_minutes(end, buffer).as_second(),
                        party,
                        until: i64::MAX,
                    };
                    self.layout.insert(c.place, c.key, span);
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
            service_id: None,
            override_pacing: false,
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
                override_pacing: false,
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
                    override_pacing: false,
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
