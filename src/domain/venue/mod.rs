//! A venue's whole booking state and the one entry point that changes it,
//! [`Venue::execute`]. The actor that owns a `Venue` is its only writer.

mod availability;
mod bookings;
mod changes;
#[cfg(test)]
mod floor_tests;
mod guest_book;
mod holds;
mod invitations;
mod layout;
mod placement;
mod policies;
#[cfg(test)]
mod props;
#[cfg(test)]
mod reminder_tests;
mod reminders;
mod retention;
mod waitlist;
#[cfg(test)]
mod waitlist_tests;
mod walk_in;

use std::collections::{BTreeSet, HashMap};

use jiff::Timestamp;
use jiff::civil::Date;

pub use availability::SlotAvailability;
use layout::{ClaimRef, Layout};
use retention::Finished;
pub use retention::{DEFAULT_RETAIN, retention_cutoff};

use crate::domain::commands::{Command, Outcome};
use crate::domain::guests::GuestBook;
use crate::domain::ledger::ClaimKey;
use crate::domain::settings::MAX_PARTY;
use crate::domain::time::{add_minutes, stored_precision};
use crate::domain::{
    Booking, BookingId, Caller, Change, DomainError, EntryId, EntryStatus, Event, Hold, HoldId,
    HoldStatus, UserId, VenueId, VenueSettings, WaitlistEntry,
};

/// A record together with the capacity claim it holds, if any.
#[derive(Clone, Debug)]
struct Entry<T> {
    record: T,
    claim: Option<ClaimRef>,
}

/// What a caller may do with a booking or hold.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Access {
    /// Venue staff or admin.
    Manage,
    /// The record's owner.
    Own,
    /// Neither: the record does not exist for this caller.
    None,
}

/// The booking state of one venue, held in memory.
#[derive(Clone, Debug)]
pub struct Venue {
    id: VenueId,
    settings: VenueSettings,
    seq: u64,
    bookings: HashMap<BookingId, Entry<Booking>>,
    holds: HashMap<HoldId, Entry<Hold>>,
    layout: Layout,
    /// Active holds by expiry, so the sweep looks at the due ones only.
    expiries: BTreeSet<(Timestamp, HoldId)>,
    /// Finished bookings and ended holds by end, to leave memory.
    finished: BTreeSet<(Timestamp, Finished)>,
    /// How long finished records stay after their end.
    retain: jiff::SignedDuration,
    next_claim: ClaimKey,
    /// Every guest's history here, finished bookings included.
    guests: GuestBook,
    /// Waitlist entries: live ones, and finished ones until they age out.
    entries: HashMap<EntryId, WaitlistEntry>,
    /// Waiting entries, first come first served.
    waiting: BTreeSet<(u64, EntryId)>,
    /// Waiting entries by the end of their window, to miss them on time.
    windows: BTreeSet<(Timestamp, EntryId)>,
    /// Capacity was given back since the last offer round.
    freed: bool,
    /// Overrides `waitlist_offer_minutes` (seconds), see `set_offer_seconds`.
    offer_seconds: Option<u32>,
    /// Planned reminders by due instant. An entry whose booking no longer
    /// wants it (cancelled, moved) is skipped when it comes due.
    reminders: BTreeSet<(Timestamp, BookingId)>,
}

/// The most characters a booking note may have.
pub const MAX_NOTE_CHARS: usize = 1000;

impl Venue {
    /// A new venue; its creation is event 1.
    pub fn create(
        id: VenueId,
        settings: VenueSettings,
        now: Timestamp,
    ) -> Result<(Venue, Event), DomainError> {
        settings.validate()?;
        let now = stored_precision(now);
        let mut venue = Self::restore(id, settings, 0, Vec::new(), Vec::new());
        let event = venue.emit(now, Change::VenueUpdated(Box::new(venue.settings.clone())));
        Ok((venue, event))
    }

    /// Rebuilds a venue from stored records, trusting that they were valid
    /// when stored (they were: only `execute` produces them).
    pub fn restore(
        id: VenueId,
        settings: VenueSettings,
        seq: u64,
        bookings: Vec<Booking>,
        holds: Vec<Hold>,
    ) -> Venue {
        let guests = GuestBook::from_history(&bookings);
        Self::restore_with_guests(id, settings, seq, bookings, holds, guests)
    }

    /// [`Venue::restore`] with a guest book the caller built, from more
    /// history than the bookings kept in memory (the store's).
    pub fn restore_with_guests(
        id: VenueId,
        settings: VenueSettings,
        seq: u64,
        bookings: Vec<Booking>,
        holds: Vec<Hold>,
        guests: GuestBook,
    ) -> Venue {
        let mut venue = Venue {
            id,
            layout: Layout::new(&settings),
            settings,
            seq,
            bookings: HashMap::with_capacity(bookings.len()),
            holds: HashMap::with_capacity(holds.len()),
            expiries: BTreeSet::new(),
            finished: BTreeSet::new(),
            retain: DEFAULT_RETAIN,
            next_claim: 0,
            guests,
            entries: HashMap::new(),
            waiting: BTreeSet::new(),
            windows: BTreeSet::new(),
            freed: false,
            offer_seconds: None,
            reminders: BTreeSet::new(),
        };
        for booking in bookings {
            let claim = if booking.status.takes_capacity() {
                venue.claim_stored(
                    &booking.resource_id,
                    (
                        booking.start,
                        booking.end,
                        booking.buffer_minutes,
                        booking.party_size,
                    ),
                    None,
                )
            } else {
                venue
                    .finished
                    .insert((booking.end, Finished::Booking(booking.id.clone())));
                None
            };
            if let Some(at) = booking.reminder_at.filter(|_| reminders::wants(&booking)) {
                venue.reminders.insert((at, booking.id.clone()));
            }
            venue.bookings.insert(
                booking.id.clone(),
                Entry {
                    record: booking,
                    claim,
                },
            );
        }
        for hold in holds {
            let claim = if hold.status == HoldStatus::Active {
                venue.expiries.insert((hold.expires_at, hold.id.clone()));
                venue.claim_stored(
                    &hold.resource_id,
                    (hold.start, hold.end, hold.buffer_minutes, hold.party_size),
                    Some(hold.expires_at),
                )
            } else {
                venue
                    .finished
                    .insert((hold.end, Finished::Hold(hold.id.clone())));
                None
            };
            venue.holds.insert(
                hold.id.clone(),
                Entry {
                    record: hold,
                    claim,
                },
            );
        }
        venue
    }

    /// Runs one command at `now`. Holds due by `now` are expired first, so
    /// their events come before the command's. A refused command changes
    /// nothing else.
    pub fn execute(&mut self, command: Command, now: Timestamp) -> Outcome {
        let now = stored_precision(now);
        let mut events = Vec::new();
        self.expire_due(now, &mut events);
        self.miss_passed(now, &mut events);
        self.remind_due(now, &mut events);
        self.age_out(now);
        let mut reply = match command {
            Command::PlaceHold(c) => self.place_hold(c, now, &mut events),
            Command::ReleaseHold { id, caller } => {
                self.release_hold(&id, &caller, now, &mut events)
            }
            Command::CreateBooking(c) => self.create_booking(c, now, &mut events),
            Command::Transition { id, caller, to } => {
                self.transition(&id, &caller, to, now, &mut events)
            }
            Command::Reschedule(c) => self.reschedule(c, now, &mut events),
            Command::UpdateVenue { caller, patch } => {
                self.update(&caller, *patch, now, &mut events)
            }
            Command::SetStaff {
                caller,
                user,
                member,
            } => self.set_staff(&caller, user, member, now, &mut events),
            Command::ExpireHolds => Ok(crate::domain::Reply::Done),
            Command::JoinWaitlist(c) => self.join_waitlist(*c, now, &mut events),
            Command::LeaveWaitlist { id, caller } => {
                self.leave_waitlist(&id, &caller, now, &mut events)
            }
            Command::DeclineOffer { id, caller } => {
                self.decline_offer(&id, &caller, now, &mut events)
            }
            Command::Invite {
                id,
                caller,
                user,
                name,
                friends,
            } => self.invite((&id, &caller), (user, name, friends), now, &mut events),
            Command::AnswerInvitation { id, caller, accept } => {
                self.answer_invitation(&id, &caller, accept, now, &mut events)
            }
            Command::RemoveInvitation { id, caller, user } => {
                self.remove_invitation(&id, &caller, &user, now, &mut events)
            }
        };
        // Capacity given back goes to the waitlist in this same change.
        self.offer_round(now, &mut events);
        if let Ok(crate::domain::Reply::Entry(e)) = &mut reply {
            // A new entry may have been offered at once.
            **e = self.entry_change(&e.entry.id, None);
        }
        Outcome { events, reply }
    }

    /// The venue's id.
    pub fn id(&self) -> &VenueId {
        &self.id
    }

    /// The venue's current settings.
    pub fn settings(&self) -> &VenueSettings {
        &self.settings
    }

    /// The sequence number of the venue's latest event.
    pub fn seq(&self) -> u64 {
        self.seq
    }

    /// A booking, whoever may see it (internal reads, tests, recovery).
    pub fn booking(&self, id: &BookingId) -> Option<&Booking> {
        self.bookings.get(id).map(|e| &e.record)
    }

    /// A hold, in any status, whoever may see it.
    pub fn hold(&self, id: &HoldId) -> Option<&Hold> {
        self.holds.get(id).map(|e| &e.record)
    }

    /// A booking as the caller may see it, and how: someone else's is not
    /// found, so ids cannot be probed; an accepted invitee sees it too.
    pub fn booking_for(
        &self,
        id: &BookingId,
        caller: &Caller,
    ) -> Result<(&Booking, crate::domain::Seen), DomainError> {
        self.booking(id)
            .and_then(|b| self.sees(caller, b).map(|seen| (b, seen)))
            .ok_or(DomainError::NotFound("booking"))
    }

    /// A hold as the caller may see it.
    pub fn hold_for(&self, id: &HoldId, caller: &Caller) -> Result<&Hold, DomainError> {
        self.hold(id)
            .filter(|h| self.may_see(caller, Some(&h.user_id)))
            .ok_or(DomainError::NotFound("hold"))
    }

    /// The instants `[from, to)` of a local date, for its day sheet (staff
    /// and admin only): the sheet is every booking starting in them, read
    /// from storage's by-start index rather than from memory, which holds
    /// only live and recent records.
    pub fn day_window(
        &self,
        date: Date,
        caller: &Caller,
    ) -> Result<(Timestamp, Timestamp), DomainError> {
        if !self.manages(caller) {
            return Err(DomainError::Forbidden(
                "only venue staff may see the day sheet",
            ));
        }
        let tz = self.settings.timezone.tz();
        let start = |d: Date| {
            d.to_zoned(tz.clone())
                .map(|z| z.timestamp())
                .map_err(|_| DomainError::invalid("date", "out of range"))
        };
        let next = date
            .tomorrow()
            .map_err(|_| DomainError::invalid("date", "out of range"))?;
        Ok((start(date)?, start(next)?))
    }

    /// Every booking, in no particular order.
    pub fn bookings(&self) -> impl Iterator<Item = &Booking> {
        self.bookings.values().map(|e| &e.record)
    }

    /// Every hold, in no particular order.
    pub fn holds(&self) -> impl Iterator<Item = &Hold> {
        self.holds.values().map(|e| &e.record)
    }

    /// When the owner's timer must next run: the next hold (or offer)
    /// expiry, or just after the next waiting entry's window ends.
    pub fn next_expiry(&self) -> Option<Timestamp> {
        let hold = self.expiries.first().map(|(at, _)| *at);
        let window = self
            .windows
            .first()
            .map(|(latest, _)| *latest + jiff::SignedDuration::from_secs(1));
        let reminder = self.reminders.first().map(|(at, _)| *at);
        hold.into_iter().chain(window).chain(reminder).min()
    }

    /// A waitlist entry, whoever may see it (internal reads, tests).
    pub fn waitlist_entry(&self, id: &EntryId) -> Option<&WaitlistEntry> {
        self.entries.get(id)
    }

    /// Every waitlist entry in memory, in no particular order.
    pub fn waitlist_entries(&self) -> impl Iterator<Item = &WaitlistEntry> {
        self.entries.values()
    }

    /// The same venue with its stored waitlist entries (offers' holds are
    /// among its holds already).
    pub fn with_entries(mut self, entries: Vec<WaitlistEntry>) -> Self {
        for e in entries {
            self.track_waiting(&e);
            if !e.status.is_live() {
                self.finished
                    .insert((e.latest, Finished::Entry(e.id.clone())));
            }
            self.entries.insert(e.id.clone(), e);
        }
        // Capacity may have been given back while the venue was away.
        self.freed = true;
        self
    }

    /// Whether the caller may see a record owned by `owner`.
    /// `owner` is none for a guest booked by staff: only staff see it.
    pub fn may_see(&self, caller: &Caller, owner: Option<&UserId>) -> bool {
        self.access(caller, owner) != Access::None
    }

    /// Whether the caller manages this venue (staff or admin).
    pub fn manages(&self, caller: &Caller) -> bool {
        self.settings.managed_by(caller)
    }

    fn access(&self, caller: &Caller, owner: Option<&UserId>) -> Access {
        if self.manages(caller) {
            Access::Manage
        } else if owner == Some(&caller.user) {
            Access::Own
        } else {
            Access::None
        }
    }

    fn emit(&mut self, now: Timestamp, change: Change) -> Event {
        self.seq += 1;
        self.note_finished(&change);
        if let Some(b) = change.booking() {
            self.guests.observe(b);
        }
        Event {
            venue_id: self.id.clone(),
            seq: self.seq,
            at: now,
            change,
        }
    }

    /// Checks that a party may start at `start` for `minutes` (of a
    /// service), as API.md orders it: anything that can never be booked is
    /// `Invalid`.
    fn check_start(
        &self,
        start: Timestamp,
        party: u32,
        (minutes, service): (u32, Option<usize>),
        now: Timestamp,
    ) -> Result<(), DomainError> {
        self.check_party(party, service)?;
        if start < now {
            return Err(DomainError::invalid("start", "is in the past"));
        }
        if start < add_minutes(now, self.settings.min_notice_minutes) {
            return Err(DomainError::invalid(
                "start",
                format!(
                    "is inside the minimum notice of {} minutes",
                    self.settings.min_notice_minutes
                ),
            ));
        }
        if !self.within_horizon(self.settings.local_date(start), now) {
            return Err(DomainError::invalid(
                "start",
                "is beyond the booking horizon",
            ));
        }
        self.settings
            .locate(start, self.grid_minutes(minutes, party, service))
            .map(|_| ())
            .map_err(|off| DomainError::invalid("start", off.reason()))
    }

    /// A party size the venue can ever seat (for the service, if any):
    /// some resource or combination takes it, and pacing lets it arrive.
    fn check_party(&self, party: u32, service: Option<usize>) -> Result<(), DomainError> {
        if !(1..=MAX_PARTY).contains(&party) {
            return Err(DomainError::invalid("party_size", "must be 1 to 1000"));
        }
        let seated = self
            .layout
            .preference
            .iter()
            .any(|&p| self.layout.seats(p, party, service));
        if !seated {
            return Err(DomainError::invalid(
                "party_size",
                format!(
                    "no resource or combination of this venue seats a party of {party} for this"
                ),
            ));
        }
        if let Some(p) = self.settings.pacing.filter(|p| party > p.max_covers) {
            return Err(DomainError::invalid(
                "party_size",
                format!(
                    "is more than the {} covers the venue paces per interval",
                    p.max_covers
                ),
            ));
        }
        Ok(())
    }

    /// Whether a local date lies in `[today, today + horizon_days]`.
    fn within_horizon(&self, date: Date, now: Timestamp) -> bool {
        let today = self.settings.local_date(now);
        let last = today
            .checked_add(jiff::Span::new().days(i64::from(self.settings.horizon_days)))
            .unwrap_or(Date::MAX);
        (today..=last).contains(&date)
    }

    /// Expires every active hold due by `now`.
    fn expire_due(&mut self, now: Timestamp, events: &mut Vec<Event>) {
        while let Some((at, id)) = self.expiries.first().cloned() {
            if at > now {
                break;
            }
            self.expiries.pop_first();
            let Some(entry) = self.holds.get_mut(&id) else {
                continue;
            };
            // A lapsed offer is the entry's: it is missed, and the hold's
            // expiry is in its event (API v1.1 §11).
            if let Some(offered) = entry.record.offer_for.clone() {
                let ended = (EntryStatus::Missed, HoldStatus::Expired);
                self.finish_entry(&offered, ended, Change::WaitlistMissed, now, events);
                continue;
            }
            entry.record.status = HoldStatus::Expired;
            let (claim, start, hold) =
                (entry.claim.take(), entry.record.start, entry.record.clone());
            self.unclaim(claim, start);
            let event = self.emit(now, Change::HoldExpired(hold));
            events.push(event);
        }
    }
}

#[cfg(test)]
pub(crate) mod test_support {
    use jiff::Timestamp;

    use super::*;
    use crate::domain::commands::{BookingTarget, CreateBooking, PlaceHold};

    /// 2026-12-20 09:00 in Shanghai: four days before the test dates.
    pub fn now() -> Timestamp {
        "2026-12-20T09:00:00+08:00".parse().unwrap()
    }

    pub fn at(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    pub fn venue() -> Venue {
        let (v, _) = Venue::create(
            VenueId::from("v1"),
            crate::domain::settings::tests::restaurant(),
            now(),
        )
        .unwrap();
        v
    }

    pub fn book(id: &str, user: &str, start: &str, party: u32) -> Command {
        Command::CreateBooking(CreateBooking {
            guest: Default::default(),
            account: Default::default(),
            channel: Default::default(),
            service_id: None,
            override_pacing: false,
            id: BookingId::from(id),
            caller: Caller::user(user),
            target: BookingTarget::Start {
                start: at(start),
                party_size: party,
            },
            note: None,
        })
    }

    pub fn hold(id: &str, user: &str, start: &str, party: u32) -> Command {
        Command::PlaceHold(PlaceHold {
            id: HoldId::from(id),
            caller: Caller::user(user),
            start: at(start),
            party_size: party,
            ttl_seconds: 300,
            service_id: None,
            override_pacing: false,
        })
    }
}
