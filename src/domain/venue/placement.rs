//! Where a placement goes (API v1.1 §4): the interval it asks for with its
//! buffer, the place the allocator picks, the claim it takes, and pacing.

use jiff::Timestamp;

use super::Venue;
use super::layout::{Ask, ClaimRef, Place, Span};
use crate::domain::time::add_minutes;
use crate::domain::{Caller, DomainError, ResourceId, ServiceId};

/// What a placement is for: its start, party, service and length.
#[derive(Clone, Copy, Debug)]
pub(super) struct Want {
    pub start: Timestamp,
    pub party: u32,
    pub service: Option<usize>,
    pub minutes: u32,
}

impl Venue {
    /// The index of the service a request names (required exactly when
    /// the venue has services).
    pub(super) fn service_index(
        &self,
        id: Option<&ServiceId>,
    ) -> Result<Option<usize>, DomainError> {
        let found = self.settings.service(id)?;
        Ok(found.and_then(|s| self.settings.services.iter().position(|x| x.id == s.id)))
    }

    /// A placement's length: its service's, else its party's turn row.
    pub(super) fn minutes_for(&self, party: u32, service: Option<usize>) -> u32 {
        self.settings
            .length_of(party, service.map(|i| &self.settings.services[i]))
    }

    /// The length that decides whether a start is on the party's grid: with
    /// a buffer, it must fit before the close too, unless a shared resource
    /// (which has no buffer) could take the party (API v1.1 §12).
    pub(super) fn grid_minutes(&self, minutes: u32, party: u32, service: Option<usize>) -> u32 {
        let buffer = self.settings.buffer_minutes;
        let shared_could = self
            .layout
            .preference
            .iter()
            .any(|&p| self.layout.is_shared(p) && self.layout.seats(p, party, service));
        if buffer == 0 || shared_could {
            minutes
        } else {
            minutes + buffer
        }
    }

    /// What a placement asks of the floor; exclusive resources cannot take
    /// it when its buffer would overrun the period's close.
    pub(super) fn ask(&self, w: Want, now: Timestamp) -> Ask {
        let end = add_minutes(w.start, w.minutes);
        let buffer = self.settings.buffer_minutes;
        let exclusive_end = if buffer == 0 {
            Some(end.as_second())
        } else {
            self.settings
                .locate(w.start, w.minutes + buffer)
                .ok()
                .map(|_| add_minutes(end, buffer).as_second())
        };
        Ask {
            start: w.start.as_second(),
            end: end.as_second(),
            exclusive_end,
            party: w.party,
            service: w.service,
            now: now.as_second(),
        }
    }

    /// The preferred place with room for the ask, if any.
    pub(super) fn allocate(&self, ask: &Ask) -> Option<Place> {
        self.layout
            .preference
            .iter()
            .copied()
            .find(|&p| self.layout.fits(p, ask))
    }

    /// The id a booking shows for a place.
    pub(super) fn place_id(&self, place: Place) -> ResourceId {
        match place {
            Place::Resource(i) => self.settings.resources[i].id.clone(),
            Place::Combination(j) => self.settings.combinations[j].id.clone(),
        }
    }

    /// The buffer a placement on `place` carries: none on a shared resource.
    pub(super) fn buffer_on(&self, place: Place) -> u32 {
        if self.layout.is_shared(place) {
            0
        } else {
            self.settings.buffer_minutes
        }
    }

    /// Records a claim; `until` is a hold's expiry.
    pub(super) fn claim(
        &mut self,
        place: Place,
        (start, end, buffer, party): (Timestamp, Timestamp, u32, u32),
        until: Option<Timestamp>,
    ) -> ClaimRef {
        self.next_claim += 1;
        let key = self.next_claim;
        let span = Span {
            start: start.as_second(),
            end: end.as_second(),
            buffered_end: add_minutes(end, buffer).as_second(),
            party,
            until: until.map_or(i64::MAX, |t| t.as_second()),
        };
        self.layout.insert(place, key, span);
        ClaimRef { place, key }
    }

    /// Records the claim of a stored record on the place its id names.
    pub(super) fn claim_stored(
        &mut self,
        id: &ResourceId,
        geometry: (Timestamp, Timestamp, u32, u32),
        until: Option<Timestamp>,
    ) -> Option<ClaimRef> {
        let place = self.layout.place_of(id)?;
        Some(self.claim(place, geometry, until))
    }

    pub(super) fn unclaim(&mut self, claim: Option<ClaimRef>, start: Timestamp) {
        if let Some(c) = claim {
            self.layout.remove(c, start.as_second());
            // Capacity came back: the waitlist is offered it this change.
            self.freed = true;
        }
    }

    /// Refuses `override_pacing` from anyone but staff.
    pub(super) fn check_override(&self, caller: &Caller, wants: bool) -> Result<(), DomainError> {
        if wants && !self.manages(caller) {
            return Err(DomainError::Forbidden(
                "only venue staff may book past the venue's pacing",
            ));
        }
        Ok(())
    }

    /// Whether a party may still arrive at `start` under the venue's pacing.
    pub(super) fn pacing_allows(&self, start: Timestamp, party: u32, now: Timestamp) -> bool {
        self.pacing_room(start, now)
            .is_none_or(|room| party <= room)
    }

    /// The covers still free in the pacing interval of `start`; none when
    /// the venue does not pace. Intervals count from the opening of the
    /// period `start` lies in, in real minutes.
    pub(super) fn pacing_room(&self, start: Timestamp, now: Timestamp) -> Option<u32> {
        let pacing = self.settings.pacing?;
        let tz = self.settings.timezone.tz();
        let local = tz.to_datetime(start);
        let minute = local.hour() as u32 * 60 + local.minute() as u32;
        let period = self
            .settings
            .opening_hours
            .on(local.date().weekday())
            .iter()
            .find(|p| p.open <= minute && minute < p.close)?;
        let into = (minute - period.open) % pacing.minutes;
        let from = start.as_second() - i64::from(into) * 60;
        let to = from + i64::from(pacing.minutes) * 60;
        let taken = self.layout.arrivals(from, to, now.as_second());
        Some(pacing.max_covers.saturating_sub(taken))
    }
}
