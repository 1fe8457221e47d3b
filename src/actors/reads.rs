//! The engine's store reads, for callers above it (HTTP, the WebSocket
//! session, the demo): each runs on the blocking pool, so a read that waits
//! for the disk never holds up a request thread, and no caller needs the
//! store itself.

use crate::actors::{Engine, EngineError};
use jiff::civil::Date;

use std::collections::{BTreeMap, HashMap};

use crate::actors::messages::{GetBooking, GetDayWindow, GetEntries, GetGuests, GetVenue, Sees};
use crate::domain::{
    Booking, BookingFilter, BookingId, Caller, DomainError, EntryChange, EntryId, Event, Seen,
    UserId, VenueId,
};
use crate::store::{AuxOp, Commit, Storage, StoreError};

impl Engine {
    async fn read<T: Send + 'static>(
        &self,
        read: impl FnOnce(&dyn Storage) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, EngineError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || read(store.as_ref()))
            .await
            .map_err(|_| EngineError::Unavailable)?
            .map_err(EngineError::from)
    }

    /// Up to `limit` venue ids after `after`, in id (creation) order.
    pub async fn venue_ids_after(
        &self,
        after: Option<VenueId>,
        limit: usize,
    ) -> Result<Vec<VenueId>, EngineError> {
        self.read(move |s| s.venue_ids_after(after.as_ref(), limit))
            .await
    }

    /// Up to `limit` of a user's bookings matching `filter` after `after`,
    /// oldest first, and whether more match.
    pub async fn user_bookings(
        &self,
        user: UserId,
        filter: BookingFilter,
        after: Option<BookingId>,
        limit: usize,
    ) -> Result<(Vec<Booking>, bool), EngineError> {
        self.read(move |s| s.user_bookings(&user, &filter, after.as_ref(), limit))
            .await
    }

    /// Bookings the user was invited to, as last stored.
    pub async fn user_invitations(&self, user: UserId) -> Result<Vec<Booking>, EngineError> {
        self.read(move |s| s.user_invitations(&user)).await
    }

    /// A customer's waitlist entries, newest first, with the positions of
    /// the waiting ones from their venues' memory.
    pub async fn user_waitlist(&self, caller: Caller) -> Result<Vec<EntryChange>, EngineError> {
        let user = caller.user.clone();
        let stored = self.read(move |s| s.user_waitlist(&user)).await?;
        let mut live: BTreeMap<VenueId, Vec<EntryId>> = BTreeMap::new();
        for e in stored.iter().filter(|e| e.status.is_live()) {
            live.entry(e.venue_id.clone())
                .or_default()
                .push(e.id.clone());
        }
        let mut current: HashMap<EntryId, EntryChange> = HashMap::new();
        for (venue, ids) in live {
            let caller = caller.clone();
            for e in self.ask(&venue, GetEntries { ids, caller }).await? {
                current.insert(e.entry.id.clone(), e);
            }
        }
        let mut out: Vec<EntryChange> = stored
            .into_iter()
            .map(|entry| {
                current.remove(&entry.id).unwrap_or(EntryChange {
                    entry,
                    position: None,
                    hold: None,
                })
            })
            .collect();
        out.sort_by(|a, b| {
            (b.entry.created_at, &b.entry.id).cmp(&(a.entry.created_at, &a.entry.id))
        });
        Ok(out)
    }

    /// The venue a booking or hold belongs to (ids are globally unique).
    pub async fn venue_of(&self, record: &str) -> Result<Option<VenueId>, EngineError> {
        let record = record.to_string();
        self.read(move |s| s.venue_of(&record)).await
    }

    /// Venues that listed the user as staff at some point; check each
    /// venue's current list before trusting one.
    pub async fn staff_venue_hints(&self, user: UserId) -> Result<Vec<VenueId>, EngineError> {
        self.read(move |s| s.staff_venue_hints(&user)).await
    }

    /// The oldest kept event's seq of a venue.
    pub async fn oldest_event(&self, venue: VenueId) -> Result<Option<u64>, EngineError> {
        self.read(move |s| s.oldest_event(&venue)).await
    }

    /// Up to `limit` of a venue's stored events after `seq`, in order.
    pub async fn events_after(
        &self,
        venue: VenueId,
        seq: u64,
        limit: usize,
    ) -> Result<Vec<Event>, EngineError> {
        self.read(move |s| s.events_after(&venue, seq, limit)).await
    }

    /// The idempotency record stored for a request's slot, if any.
    pub async fn idempotency_record(&self, slot: Vec<u8>) -> Result<Option<Vec<u8>>, EngineError> {
        use crate::actors::venue::IDEMPOTENCY_SPACE;
        self.read(move |s| s.aux_get(IDEMPOTENCY_SPACE, &slot))
            .await
    }

    /// Deletes the entries of an auxiliary space that `stale` says are
    /// past their time (idempotency records, spent refresh tokens): read
    /// in pages on the blocking pool, deleted through the store writer
    /// like every other write. Returns how many went.
    pub async fn sweep_aux(
        &self,
        space: u8,
        stale: impl Fn(&[u8]) -> bool + Send + Sync + 'static,
    ) -> Result<usize, EngineError> {
        /// Entries read (and at most deleted) per round trip.
        const PAGE: usize = 1000;
        let mut after: Option<Vec<u8>> = None;
        let mut removed = 0;
        loop {
            let from = after.clone();
            let page = self
                .read(move |s| s.aux_page(space, from.as_deref(), PAGE))
                .await?;
            let doomed: Vec<AuxOp> = page
                .iter()
                .filter(|(_, value)| stale(value))
                .map(|(key, _)| AuxOp::Delete {
                    space,
                    key: key.clone(),
                })
                .collect();
            if !doomed.is_empty() {
                removed += doomed.len();
                let commit = Commit {
                    events: Vec::new(),
                    aux: doomed,
                };
                self.writer()
                    .submit(commit)
                    .await
                    .map_err(|_| EngineError::Unavailable)??;
            }
            match page.last() {
                Some((key, _)) if page.len() == PAGE => after = Some(key.clone()),
                _ => return Ok(removed),
            }
        }
    }

    /// A booking the caller may see: from the venue while it holds it,
    /// else from the store (finished bookings leave venue memory), with the
    /// venue's rule of who may see it.
    pub async fn booking(
        &self,
        venue: &VenueId,
        id: BookingId,
        caller: Caller,
    ) -> Result<(Booking, Seen), EngineError> {
        let asked = self
            .ask(
                venue,
                GetBooking {
                    id: id.clone(),
                    caller: caller.clone(),
                },
            )
            .await?;
        match asked {
            Err(EngineError::Domain(DomainError::NotFound(what))) => {
                let key = venue.clone();
                let stored = self.read(move |s| s.booking(&key, &id)).await?;
                let Some(booking) = stored else {
                    return Err(DomainError::NotFound(what).into());
                };
                let asked = Sees {
                    caller,
                    booking: Box::new(booking.clone()),
                };
                match self.ask(venue, asked).await? {
                    Some(seen) => Ok((booking, seen)),
                    None => Err(DomainError::NotFound(what).into()),
                }
            }
            other => other,
        }
    }

    /// The day sheet of a local date (staff and admin): every booking that
    /// starts on it, by start then id, read through the store's by-start
    /// index; the venue only says which instants the date covers.
    pub async fn day_sheet(
        &self,
        venue: &VenueId,
        date: Date,
        caller: Caller,
    ) -> Result<Vec<Booking>, EngineError> {
        let (from, to) = self.ask(venue, GetDayWindow { date, caller }).await??;
        let key = venue.clone();
        self.read(move |s| s.bookings_starting(&key, from, to))
            .await
    }

    /// The venue's figures for `from..=to` (staff and admin, API v1.1 §8):
    /// read from the store and summed on the blocking pool, so a year of
    /// bookings never stalls the venue's actor.
    pub async fn report(
        &self,
        venue: &VenueId,
        (from, to): (Date, Date),
        caller: Caller,
    ) -> Result<(crate::domain::reports::Report, crate::domain::VenueSettings), EngineError> {
        use crate::domain::reports;
        reports::check_range(from, to)?;
        let (settings, _) = self.ask(venue, GetVenue).await?;
        if !settings.managed_by(&caller) {
            return Err(DomainError::Forbidden("only venue staff may see its reports").into());
        }
        let (start, end) = reports::range_instants(&settings, from, to)?;
        let key = venue.clone();
        self.read(move |s| {
            let bookings = s.bookings_starting(&key, start, end)?;
            Ok((reports::report(&settings, &bookings, from, to), settings))
        })
        .await
    }

    /// The venue's guests with their histories (staff and admin), from its
    /// guest book in memory.
    pub async fn guests(
        &self,
        venue: &VenueId,
        caller: Caller,
    ) -> Result<std::collections::BTreeMap<String, crate::domain::guests::GuestSummary>, EngineError>
    {
        self.ask(venue, GetGuests { caller }).await?
    }

    /// Every booking the venue ever had (staff and admin), read from the
    /// store on the blocking pool (finished bookings have left the venue's
    /// memory): one guest's bookings are found here.
    pub async fn venue_history(
        &self,
        venue: &VenueId,
        caller: Caller,
    ) -> Result<Vec<Booking>, EngineError> {
        let (settings, _) = self.ask(venue, GetVenue).await?;
        if !settings.managed_by(&caller) {
            return Err(DomainError::Forbidden("only the venue's staff see its guests").into());
        }
        let key = venue.clone();
        let stored = self.read(move |s| s.load_venue(&key)).await?;
        Ok(stored.map(|v| v.bookings).unwrap_or_default())
    }

    /// The store engine's name (`redb`, `sled`), for `/ready`.
    pub fn store_name(&self) -> &'static str {
        self.store.name()
    }
}
