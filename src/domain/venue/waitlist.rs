//! The waitlist (API v1.1 §5): entries join in order; whenever capacity is
//! given back, the venue offers it, in the same change, to the first waiting
//! entry whose window has a start that now fits, as a hold for that entry.
//! A declined or lapsed offer makes the entry `missed` and goes to the next
//! one; a window that passes makes a waiting entry `missed`.

use jiff::Timestamp;

use super::placement::Want;
use super::{Access, Entry, Venue};
use crate::domain::commands::{JoinWaitlist, Reply};
use crate::domain::time::add_minutes;
use crate::domain::{
    Caller, Change, DomainError, EntryChange, EntryId, EntryStatus, Event, Guest, Hold, HoldStatus,
    Offer, WaitlistEntry,
};

impl Venue {
    pub(super) fn join_waitlist(
        &mut self,
        c: JoinWaitlist,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let note = super::bookings::check_note(c.note)?;
        let service = self.service_index(c.service_id.as_ref())?;
        self.check_party(c.party_size, service)?;
        if !self.within_horizon(c.date, now) {
            return Err(DomainError::invalid(
                "date",
                "must be today or a later date within the booking horizon",
            ));
        }
        for (field, at) in [("earliest", c.earliest), ("latest", c.latest)] {
            if self.settings.local_date(at) != c.date {
                return Err(DomainError::invalid(field, "must be an instant on `date`"));
            }
        }
        if c.latest < c.earliest {
            return Err(DomainError::invalid(
                "latest",
                "must not be before earliest",
            ));
        }
        if c.latest < now {
            return Err(DomainError::invalid("latest", "has already passed"));
        }
        let staff = self.manages(&c.caller);
        let for_guest = staff && c.guest.is_some();
        let guest = match c.guest {
            Some(g) if for_guest => g,
            given => {
                let g = given.unwrap_or_default();
                Guest {
                    name: g.name.or(c.account.name),
                    phone: g.phone.or(c.account.phone),
                }
            }
        };
        let guest = guest.checked(for_guest)?;
        if self.entries.contains_key(&c.id) {
            return Err(DomainError::Conflict(format!(
                "waitlist entry {} already exists",
                c.id
            )));
        }
        if !staff {
            self.check_entry_limit(&c.caller)?;
        }
        let entry = WaitlistEntry {
            id: c.id,
            venue_id: self.id.clone(),
            user_id: (!for_guest).then(|| c.caller.user.clone()),
            guest,
            created_by: c.caller.user,
            date: c.date,
            party_size: c.party_size,
            earliest: c.earliest,
            latest: c.latest,
            service_id: c.service_id,
            note,
            status: EntryStatus::Waiting,
            offer: None,
            number: self.seq + 1,
            created_at: now,
            updated_at: now,
        };
        let id = entry.id.clone();
        self.track_waiting(&entry);
        self.entries.insert(id.clone(), entry);
        let change = self.entry_change(&id, None);
        events.push(self.emit(now, Change::WaitlistJoined(Box::new(change))));
        // A window with a free start now is offered at once (the round at
        // the end of this command).
        self.freed = true;
        Ok(Reply::Entry(Box::new(self.entry_change(&id, None))))
    }

    /// At most `max_waitlist_entries_per_customer` live entries per customer.
    fn check_entry_limit(&self, caller: &Caller) -> Result<(), DomainError> {
        let max = self.settings.max_waitlist_entries_per_customer;
        if max == 0 {
            return Ok(());
        }
        let live = self
            .entries
            .values()
            .filter(|e| e.user_id.as_ref() == Some(&caller.user) && e.status.is_live())
            .count();
        if live >= max as usize {
            return Err(DomainError::Limit(format!(
                "at most {max} live waitlist entries per customer at this venue"
            )));
        }
        Ok(())
    }

    /// `DELETE /waitlist/{id}`: a waiting or offered entry leaves (an offer's
    /// hold is given back); leaving twice is fine, a booked entry cannot.
    pub(super) fn leave_waitlist(
        &mut self,
        id: &EntryId,
        caller: &Caller,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let entry = self.entry_seen_by(id, caller)?;
        match entry.status {
            EntryStatus::Left | EntryStatus::Missed => return Ok(Reply::Done),
            EntryStatus::Booked => {
                return Err(DomainError::Conflict(
                    "the entry was booked: cancel the booking instead".into(),
                ));
            }
            EntryStatus::Waiting | EntryStatus::Offered => {}
        }
        let ended = (EntryStatus::Left, HoldStatus::Released);
        self.finish_entry(id, ended, Change::WaitlistLeft, now, events);
        Ok(Reply::Done)
    }

    /// `POST /waitlist/{id}/decline`: the offer goes to the next in line.
    pub(super) fn decline_offer(
        &mut self,
        id: &EntryId,
        caller: &Caller,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> Result<Reply, DomainError> {
        let entry = self.entry_seen_by(id, caller)?;
        if entry.status != EntryStatus::Offered {
            return Err(DomainError::Conflict(format!(
                "a {} entry has no offer to decline",
                entry.status.as_str()
            )));
        }
        let ended = (EntryStatus::Missed, HoldStatus::Released);
        let change = self.finish_entry(id, ended, Change::WaitlistMissed, now, events);
        Ok(Reply::Entry(Box::new(change)))
    }

    /// The entry if the caller owns it or manages the venue.
    fn entry_seen_by(&self, id: &EntryId, caller: &Caller) -> Result<&WaitlistEntry, DomainError> {
        self.entries
            .get(id)
            .filter(|e| self.access(caller, e.user_id.as_ref()) != Access::None)
            .ok_or(DomainError::NotFound("waitlist entry"))
    }

    /// Ends a live entry (see `end_entry`) and emits its event, built by
    /// `as_change`; answers the change (its `hold` is the offer's, if any).
    pub(super) fn finish_entry(
        &mut self,
        id: &EntryId,
        (status, hold_status): (EntryStatus, HoldStatus),
        as_change: fn(Box<EntryChange>) -> Change,
        now: Timestamp,
        events: &mut Vec<Event>,
    ) -> EntryChange {
        let hold = self.end_entry(id, status, hold_status, now);
        let change = self.entry_change(id, hold);
        events.push(self.emit(now, as_change(Box::new(change.clone()))));
        change
    }

    /// Ends a live entry; gives an offer's hold back with `hold_status`
    /// (released, expired or converted) and answers it.
    pub(super) fn end_entry(
        &mut self,
        id: &EntryId,
        status: EntryStatus,
        hold_status: HoldStatus,
        now: Timestamp,
    ) -> Option<Hold> {
        let entry = self.entries.get(id)?.clone();
        self.untrack_waiting(&entry);
        let hold = match &entry.offer {
            Some(offer) if entry.status == EntryStatus::Offered => self
                .holds
                .get(&offer.hold_id)
                .filter(|h| h.record.status == HoldStatus::Active)
                .map(|h| h.record.id.clone())
                .map(|hold_id| self.finish_hold(&hold_id, hold_status)),
            _ => None,
        };
        let e = self.entries.get_mut(id)?;
        e.status = status;
        e.updated_at = now;
        self.note_finished_entry(id);
        hold
    }

    /// The entry as a change carries it: with its position now.
    pub(super) fn entry_change(&self, id: &EntryId, hold: Option<Hold>) -> EntryChange {
        let entry = self.entries[id].clone();
        EntryChange {
            position: self.position(&entry),
            entry,
            hold,
        }
    }

    /// 1-based among the waiting entries of its date, first come first
    /// served; none unless waiting.
    pub fn position(&self, entry: &WaitlistEntry) -> Option<u32> {
        if entry.status != EntryStatus::Waiting {
            return None;
        }
        let ahead = self
            .waiting
            .range(..(entry.number, entry.id.clone()))
            .filter(|(_, id)| self.entries.get(id).is_some_and(|e| e.date == entry.date))
            .count();
        Some(ahead as u32 + 1)
    }

    pub(super) fn track_waiting(&mut self, e: &WaitlistEntry) {
        if e.status == EntryStatus::Waiting {
            self.waiting.insert((e.number, e.id.clone()));
            self.windows.insert((e.latest, e.id.clone()));
        }
    }

    fn untrack_waiting(&mut self, e: &WaitlistEntry) {
        self.waiting.remove(&(e.number, e.id.clone()));
        self.windows.remove(&(e.latest, e.id.clone()));
    }

    /// Waiting entries whose window has passed become `missed`.
    pub(super) fn miss_passed(&mut self, now: Timestamp, events: &mut Vec<Event>) {
        while let Some((latest, id)) = self.windows.first().cloned() {
            if latest >= now {
                break;
            }
            let ended = (EntryStatus::Missed, HoldStatus::Released);
            self.finish_entry(&id, ended, Change::WaitlistMissed, now, events);
        }
    }

    /// Offers freed capacity to waiting entries, first come first served:
    /// each gets the earliest start of its window that fits it now. Runs
    /// at the end of every command that gave capacity back (or added an
    /// entry), in the same change.
    pub(super) fn offer_round(&mut self, now: Timestamp, events: &mut Vec<Event>) {
        if !std::mem::take(&mut self.freed) || self.waiting.is_empty() {
            return;
        }
        let order: Vec<EntryId> = self.waiting.iter().map(|(_, id)| id.clone()).collect();
        for id in order {
            let entry = &self.entries[&id];
            // A customer already at the booking limit could not book it.
            if let Some(user) = &entry.user_id
                && self
                    .check_active_limit(&Caller::user(user.clone()), now)
                    .is_err()
            {
                continue;
            }
            if let Some(want) = self.find_offer(entry, now) {
                self.make_offer(&id, want, now, events);
            }
        }
    }

    /// The earliest start of the entry's window that it could book now.
    fn find_offer(&self, e: &WaitlistEntry, now: Timestamp) -> Option<Want> {
        let service = match &e.service_id {
            Some(id) => Some(self.settings.services.iter().position(|s| &s.id == id)?),
            None if !self.settings.services.is_empty() => return None,
            None => None,
        };
        let minutes = self.minutes_for(e.party_size, service);
        let grid = self
            .settings
            .day_grid_for(e.date, self.grid_minutes(minutes, e.party_size, service));
        grid.into_iter()
            .filter(|s| (e.earliest..=e.latest).contains(s))
            .map(|start| Want {
                start,
                party: e.party_size,
                service,
                minutes,
            })
            .find(|w| {
                self.check_start(w.start, w.party, (minutes, service), now)
                    .is_ok()
                    && self.pacing_allows(w.start, w.party, now)
                    && self.allocate(&self.ask(*w, now)).is_some()
            })
    }

    /// Places the offer's hold for the entry and marks it `offered`.
    fn make_offer(&mut self, id: &EntryId, want: Want, now: Timestamp, events: &mut Vec<Event>) {
        let Some(place) = self.allocate(&self.ask(want, now)) else {
            return;
        };
        let entry = self.entries[id].clone();
        let lifetime = self
            .offer_seconds
            .unwrap_or(self.settings.waitlist_offer_minutes * 60);
        let expires_at = now
            .saturating_add(jiff::SignedDuration::from_secs(i64::from(lifetime)))
            .unwrap_or(Timestamp::MAX);
        let end = add_minutes(want.start, want.minutes);
        let hold = Hold {
            id: entry.offer_hold_id(),
            venue_id: self.id.clone(),
            user_id: entry.user_id.clone().unwrap_or(entry.created_by.clone()),
            resource_id: self.place_id(place),
            start: want.start,
            end,
            party_size: want.party,
            service_id: entry.service_id.clone(),
            buffer_minutes: self.buffer_on(place),
            offer_for: Some(id.clone()),
            expires_at,
            status: HoldStatus::Active,
            created_at: now,
        };
        let geometry = (hold.start, end, hold.buffer_minutes, hold.party_size);
        let claim = self.claim(place, geometry, Some(expires_at));
        self.expiries.insert((expires_at, hold.id.clone()));
        self.holds.insert(
            hold.id.clone(),
            Entry {
                record: hold.clone(),
                claim: Some(claim),
            },
        );
        self.untrack_waiting(&entry);
        let e = self.entries.get_mut(id).unwrap(); // unwrap: cloned from the map just above.
        e.status = EntryStatus::Offered;
        e.updated_at = now;
        e.offer = Some(Offer {
            hold_id: hold.id.clone(),
            start: hold.start,
            resource_id: hold.resource_id.clone(),
            expires_at,
        });
        let change = self.entry_change(id, Some(hold));
        events.push(self.emit(now, Change::WaitlistOffered(Box::new(change))));
    }

    /// A staff list of a date's entries: waiting ones in position order,
    /// then the rest, newest first (staff only).
    pub fn waitlist(
        &self,
        date: jiff::civil::Date,
        caller: &Caller,
    ) -> Result<Vec<EntryChange>, DomainError> {
        if !self.manages(caller) {
            return Err(DomainError::Forbidden(
                "only venue staff may see the waitlist",
            ));
        }
        let mut list: Vec<&WaitlistEntry> =
            self.entries.values().filter(|e| e.date == date).collect();
        list.sort_by_key(|e| {
            let waiting = e.status == EntryStatus::Waiting;
            (
                !waiting,
                if waiting {
                    e.number as i64
                } else {
                    -(e.number as i64)
                },
            )
        });
        Ok(list
            .into_iter()
            .map(|e| self.entry_change(&e.id, None))
            .collect())
    }

    /// One entry as its owner or the venue's staff see it, from memory.
    pub fn entry_for(&self, id: &EntryId, caller: &Caller) -> Result<EntryChange, DomainError> {
        let id = self.entry_seen_by(id, caller)?.id.clone();
        Ok(self.entry_change(&id, None))
    }

    /// Sets the lifetime of offers in seconds, overriding the venue's
    /// `waitlist_offer_minutes` (an operations setting, for tests and demos).
    pub fn set_offer_seconds(&mut self, seconds: Option<u32>) {
        self.offer_seconds = seconds;
    }
}
