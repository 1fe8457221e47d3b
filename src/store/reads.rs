//! The store's reads. Each first waits for the checkpointer to apply every
//! batch acknowledged before it (`Progress::caught_up`), so a read never
//! misses a write its caller was told is stored.

use jiff::Timestamp;
use serde::de::DeserializeOwned;

use crate::domain::{
    Booking, BookingFilter, BookingId, Event, UserId, Venue, VenueId, VenueSettings,
};
use crate::store::{
    AuxEntry, KvEngine, Op, Store, StoreError, StoredVenue, Table, aux_key, decode, keys,
};

impl Store {
    /// The engine once it holds every acknowledged write.
    fn view(&self) -> Result<&dyn KvEngine, StoreError> {
        self.core.progress.caught_up()?;
        Ok(self.core.kv.as_ref())
    }

    /// Every stored venue id, in key order.
    pub fn venue_ids(&self) -> Result<Vec<VenueId>, StoreError> {
        self.venue_ids_after(None, usize::MAX)
    }

    /// A venue's records, or `None` if it was never stored.
    #[tracing::instrument(skip(self), fields(venue_id = %id))]
    pub fn load_venue(&self, id: &VenueId) -> Result<Option<StoredVenue>, StoreError> {
        let Some(settings) = self.view()?.get(Table::Venues, id.as_str().as_bytes())? else {
            return Ok(None);
        };
        let settings: VenueSettings = decode("venue", &settings)?;
        let seq = self.view()?.get(Table::VenueSeqs, id.as_str().as_bytes())?;
        let seq = seq
            .as_deref()
            .and_then(keys::seq_from)
            .ok_or_else(|| StoreError::Corrupt(format!("venue {id} has no seq")))?;
        let bookings = self.children(Table::Bookings, id.as_str(), "booking")?;
        let holds = self.children(Table::Holds, id.as_str(), "hold")?;
        Ok(Some(StoredVenue {
            settings,
            seq,
            bookings,
            holds,
        }))
    }

    /// Rebuilds every stored venue.
    pub fn load_all(&self) -> Result<Vec<Venue>, StoreError> {
        let mut venues = Vec::new();
        for id in self.venue_ids()? {
            if let Some(stored) = self.load_venue(&id)? {
                venues.push(stored.into_venue(id));
            }
        }
        Ok(venues)
    }

    fn children<T: DeserializeOwned>(
        &self,
        table: Table,
        parent: &str,
        what: &str,
    ) -> Result<Vec<T>, StoreError> {
        let (from, to) = keys::children(parent);
        let mut out = Vec::new();
        let mut bad = None;
        self.view()?
            .scan(table, &from, &to, &mut |_, v| match decode(what, v) {
                Ok(record) => {
                    out.push(record);
                    true
                }
                Err(e) => {
                    bad = Some(e);
                    false
                }
            })?;
        bad.map_or(Ok(out), Err)
    }

    /// Up to `limit` of a venue's events with `seq > after`, in order.
    pub fn events_after(
        &self,
        venue: &VenueId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        let from = keys::event(venue, after.saturating_add(1));
        let (_, to) = keys::children(venue.as_str());
        let mut out = Vec::new();
        let mut bad = None;
        self.view()?.scan(Table::Events, &from, &to, &mut |_, v| {
            match decode("event", v) {
                Ok(e) => out.push(e),
                Err(e) => bad = Some(e),
            }
            bad.is_none() && out.len() < limit
        })?;
        bad.map_or(Ok(out), Err)
    }

    /// The oldest kept event's seq of a venue (replay is possible after `seq - 1`).
    pub fn oldest_event(&self, venue: &VenueId) -> Result<Option<u64>, StoreError> {
        let (from, to) = keys::children(venue.as_str());
        let mut first = None;
        self.view()?.scan(Table::Events, &from, &to, &mut |k, _| {
            first = keys::event_seq(k);
            false
        })?;
        Ok(first)
    }

    /// Drops every venue's events older than `cutoff` (the age half of the
    /// replay window; `keep_events` is the count half). A venue's log is in
    /// time order, so each scan stops at its first young event. Returns how
    /// many events were dropped.
    pub fn prune_events_before(&self, cutoff: Timestamp) -> Result<usize, StoreError> {
        let mut dropped = 0;
        for venue in self.venue_ids()? {
            let (from, to) = keys::children(venue.as_str());
            let mut old = Vec::new();
            let mut bad = None;
            self.view()?.scan(
                Table::Events,
                &from,
                &to,
                &mut |k, v| match decode::<Event>("event", v) {
                    Ok(e) if e.at < cutoff => {
                        old.push(Op::Delete {
                            table: Table::Events,
                            key: k.to_vec(),
                        });
                        true
                    }
                    Ok(_) => false,
                    Err(e) => {
                        bad = Some(e);
                        false
                    }
                },
            )?;
            if let Some(e) = bad {
                return Err(e);
            }
            dropped += old.len();
            if !old.is_empty() {
                self.view()?.apply(&old)?;
            }
        }
        Ok(dropped)
    }

    /// Where a booking or hold lives.
    pub fn venue_of(&self, record: &str) -> Result<Option<VenueId>, StoreError> {
        let venue = self.view()?.get(Table::RecordVenues, record.as_bytes())?;
        Ok(venue.map(|v| VenueId::from(String::from_utf8_lossy(&v).as_ref())))
    }

    /// A booking as last stored (every acknowledged change is in it).
    pub fn booking(&self, venue: &VenueId, id: &BookingId) -> Result<Option<Booking>, StoreError> {
        let bytes = self
            .view()?
            .get(Table::Bookings, &keys::child(venue.as_str(), id.as_str()))?;
        bytes.map(|b| decode("booking", &b)).transpose()
    }

    /// Venues that listed the user as staff at some point (check each venue's
    /// current list before trusting one).
    pub fn staff_venue_hints(&self, user: &UserId) -> Result<Vec<VenueId>, StoreError> {
        let (from, to) = keys::children(user.as_str());
        let mut out = Vec::new();
        self.view()?.scan(Table::StaffOf, &from, &to, &mut |k, _| {
            out.push(VenueId::from(
                String::from_utf8_lossy(keys::child_part(k)).as_ref(),
            ));
            true
        })?;
        Ok(out)
    }

    /// Up to `limit` venue ids after `after`, in id order (time order: ids are UUIDv7).
    pub fn venue_ids_after(
        &self,
        after: Option<&VenueId>,
        limit: usize,
    ) -> Result<Vec<VenueId>, StoreError> {
        let from = match after {
            Some(id) => {
                let mut k = keys::top(id.as_str());
                k.push(0);
                k
            }
            None => Vec::new(),
        };
        let mut ids = Vec::new();
        self.view()?
            .scan(Table::VenueSeqs, &from, &[0xff], &mut |k, _| {
                ids.push(VenueId::from(String::from_utf8_lossy(k).as_ref()));
                ids.len() < limit
            })?;
        Ok(ids)
    }

    /// A user's bookings as (booking, venue), oldest first, after a cursor.
    pub fn user_bookings(
        &self,
        user: &UserId,
        after: Option<&BookingId>,
        limit: usize,
    ) -> Result<Vec<(BookingId, VenueId)>, StoreError> {
        let (from, to) = keys::children(user.as_str());
        let from = match after {
            Some(b) => {
                let mut k = keys::child(user.as_str(), b.as_str());
                k.push(0);
                k
            }
            None => from,
        };
        let mut out = Vec::new();
        self.view()?
            .scan(Table::UserBookings, &from, &to, &mut |k, v| {
                let booking = String::from_utf8_lossy(keys::child_part(k));
                out.push((
                    BookingId::from(booking.as_ref()),
                    VenueId::from(String::from_utf8_lossy(v).as_ref()),
                ));
                out.len() < limit
            })?;
        Ok(out)
    }

    /// Up to `limit` of a user's bookings that match `filter`, oldest
    /// first, after the booking `after`; and whether more match. One call
    /// walks the user's index in pages, so a filter that matches little
    /// costs one store pass, not a request per booking.
    pub fn user_bookings_matching(
        &self,
        user: &UserId,
        filter: &BookingFilter,
        after: Option<&BookingId>,
        limit: usize,
    ) -> Result<(Vec<Booking>, bool), StoreError> {
        const PAGE: usize = 200;
        let mut cursor = after.cloned();
        let mut out = Vec::new();
        loop {
            let batch = self.user_bookings(user, cursor.as_ref(), PAGE)?;
            for (id, venue) in &batch {
                let Some(b) = self.booking(venue, id)? else {
                    continue;
                };
                if filter.matches(&b) {
                    if out.len() == limit {
                        return Ok((out, true));
                    }
                    out.push(b);
                }
            }
            match batch.last() {
                Some((id, _)) if batch.len() == PAGE => cursor = Some(id.clone()),
                _ => return Ok((out, false)),
            }
        }
    }

    /// One auxiliary value.
    pub fn aux_get(&self, space: u8, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.view()?.get(Table::Aux, &aux_key(space, key))
    }

    /// Up to `limit` (key, value) pairs of an auxiliary space in key
    /// order, after the key `after` (for sweeps that walk a space in pages).
    pub fn aux_page(
        &self,
        space: u8,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<AuxEntry>, StoreError> {
        let start = aux_key(space, &[]);
        let to = keys::prefix_end(&start);
        let from = match after {
            Some(key) => {
                let mut k = aux_key(space, key);
                k.push(0);
                k
            }
            None => start,
        };
        let mut out = Vec::new();
        self.view()?.scan(Table::Aux, &from, &to, &mut |k, v| {
            out.push((k[1..].to_vec(), v.to_vec()));
            out.len() < limit
        })?;
        Ok(out)
    }
}
