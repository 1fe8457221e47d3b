//! The local store's side of the storage boundary. Every read first
//! waits for the checkpointer to apply each batch acknowledged before it
//! (`Progress::caught_up`), so a read never misses a write its caller was
//! told is stored.

use std::collections::HashMap;
use std::path::Path;

use jiff::Timestamp;
use serde::de::DeserializeOwned;

use crate::domain::{
    Booking, BookingFilter, BookingId, Event, UserId, VenueId, VenueSettings, WaitlistEntry,
};
use crate::store::checkpoint::Job;
use crate::store::materialize::UserEntry;
use crate::store::{
    AuxEntry, Commit, Committed, KvEngine, KvRead, Logged, Op, Storage, Store, StoreError,
    StoredVenue, Table, aux_key, backup, decode, files, keys,
};

impl Storage for Store {
    /// The engine's name.
    fn name(&self) -> &'static str {
        self.core.kv.name()
    }

    /// True while the engine refuses the checkpointer (the log still takes
    /// writes, but none are accepted until it catches up).
    fn is_failing(&self) -> bool {
        self.core.progress.is_failing()
    }

    /// Stores a group of venue changes durably: one log record, one sync.
    /// Returns their events (shared with the checkpointer) and the commits
    /// refused because they did not follow their venue's stored seq.
    #[tracing::instrument(skip_all, fields(commits = batch.len()))]
    fn append(&self, mut batch: Vec<Commit>) -> Result<Committed, StoreError> {
        self.core.progress.room_to_append()?;
        let mut seqs = self.last_seqs.lock().unwrap_or_else(|p| p.into_inner());
        let mut staged: HashMap<VenueId, u64> = HashMap::new();
        let mut refused = Vec::new();
        for (i, commit) in batch.iter().enumerate() {
            let (Some(first), Some(last)) = (commit.events.first(), commit.events.last()) else {
                continue;
            };
            let venue = &first.venue_id;
            let stored = match staged.get(venue).or(seqs.get(venue)) {
                Some(seq) => *seq,
                None => self.stored_seq(venue)?,
            };
            if first.seq != stored + 1 {
                tracing::error!(venue_id = %venue, expected = stored, got = first.seq - 1, "append refused: the venue's log moved");
                refused.push(i);
                continue;
            }
            staged.insert(venue.clone(), last.seq);
        }
        for i in refused.iter().rev() {
            batch.remove(*i);
        }
        let lsn = self
            .log
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .append(&batch)?;
        seqs.extend(staged);
        drop(seqs);
        self.core.progress.appended(lsn);
        let logged = Logged::new(lsn, batch);
        let events = logged.events.clone();
        // The checkpointer stops only when the store drops.
        let _ = self.jobs.send(Job::Batch(logged));
        Ok(Committed { events, refused })
    }

    /// Applies every acknowledged batch and syncs the engine now (the
    /// checkpointer does it every `checkpoint_every` by itself): for the
    /// `backup` of an engine's files, benchmarks and tests.
    fn checkpoint(&self) -> Result<(), StoreError> {
        let (answer, done) = std::sync::mpsc::channel();
        self.jobs
            .send(Job::Checkpoint(answer))
            .map_err(|_| StoreError::Engine("the checkpointer has stopped".into()))?;
        match done.recv() {
            Ok(true) => Ok(()),
            Ok(false) => Err(StoreError::Engine("the checkpoint's sync failed".into())),
            Err(_) => Err(StoreError::Engine("the checkpointer has stopped".into())),
        }
    }

    /// A small durable write that tells whether the disk takes writes
    /// again after a failed sync.
    fn probe(&self) -> Result<(), StoreError> {
        self.append(Vec::new()).map(|_| ())
    }

    /// A venue's records, or `None` if it was never stored.
    #[tracing::instrument(skip(self), fields(venue_id = %id))]
    fn load_venue(&self, id: &VenueId) -> Result<Option<StoredVenue>, StoreError> {
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
        let entries = self.children(Table::Waitlist, id.as_str(), "waitlist entry")?;
        Ok(Some(StoredVenue {
            settings,
            seq,
            bookings,
            holds,
            entries,
        }))
    }

    fn venue_listings(&self) -> Result<Vec<(VenueId, VenueSettings, u64)>, StoreError> {
        let view = self.view()?;
        let mut raw = Vec::new();
        view.scan(Table::Venues, &[], &[0xff], &mut |k, v| {
            raw.push((k.to_vec(), v.to_vec()));
            true
        })?;
        raw.into_iter()
            .map(|(k, v)| {
                let id = VenueId::from(String::from_utf8_lossy(&k).as_ref());
                let settings: VenueSettings = decode("venue", &v)?;
                let seq = view
                    .get(Table::VenueSeqs, &k)?
                    .as_deref()
                    .and_then(keys::seq_from)
                    .ok_or_else(|| StoreError::Corrupt(format!("venue {id} has no seq")))?;
                Ok((id, settings, seq))
            })
            .collect()
    }

    /// Up to `limit` venue ids after `after`, in id order (time order: ids are UUIDv7).
    fn venue_ids_after(
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

    /// Up to `limit` of a venue's events with `seq > after`, in order.
    fn events_after(
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
    fn oldest_event(&self, venue: &VenueId) -> Result<Option<u64>, StoreError> {
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
    fn prune_events_before(&self, cutoff: Timestamp) -> Result<usize, StoreError> {
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
    fn venue_of(&self, record: &str) -> Result<Option<VenueId>, StoreError> {
        let venue = self.view()?.get(Table::RecordVenues, record.as_bytes())?;
        Ok(venue.map(|v| VenueId::from(String::from_utf8_lossy(&v).as_ref())))
    }

    fn user_invitations(&self, user: &UserId) -> Result<Vec<Booking>, StoreError> {
        let (from, to) = keys::children(user.as_str());
        let mut refs = Vec::new();
        self.view()?
            .scan(Table::UserInvitations, &from, &to, &mut |k, v| {
                let booking = String::from_utf8_lossy(keys::child_part(k)).into_owned();
                refs.push((booking, String::from_utf8_lossy(v).into_owned()));
                true
            })?;
        let mut out = Vec::with_capacity(refs.len());
        for (booking, venue) in refs {
            if let Some(b) = self.booking(
                &VenueId::from(venue.as_str()),
                &BookingId::from(booking.as_str()),
            )? {
                out.push(b);
            }
        }
        Ok(out)
    }

    fn user_waitlist(&self, user: &UserId) -> Result<Vec<WaitlistEntry>, StoreError> {
        let (from, to) = keys::children(user.as_str());
        let mut refs = Vec::new();
        self.view()?
            .scan(Table::UserWaitlist, &from, &to, &mut |k, v| {
                let entry = String::from_utf8_lossy(keys::child_part(k)).into_owned();
                refs.push((entry, String::from_utf8_lossy(v).into_owned()));
                true
            })?;
        let mut out = Vec::with_capacity(refs.len());
        for (entry, venue) in refs {
            let key = keys::child(&venue, &entry);
            if let Some(bytes) = self.view()?.get(Table::Waitlist, &key)? {
                out.push(decode("waitlist entry", &bytes)?);
            }
        }
        Ok(out)
    }

    /// A booking as last stored (every acknowledged change is in it).
    fn booking(&self, venue: &VenueId, id: &BookingId) -> Result<Option<Booking>, StoreError> {
        let bytes = self
            .view()?
            .get(Table::Bookings, &keys::child(venue.as_str(), id.as_str()))?;
        bytes.map(|b| decode("booking", &b)).transpose()
    }

    /// Up to `limit` of a user's bookings that match `filter`, oldest
    /// first, after the booking `after`; and whether more match. One call
    /// walks the user's index in pages, so a filter that matches little
    /// costs one store pass, not a request per booking.
    fn user_bookings(
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
            let batch = self.user_index(user, cursor.as_ref(), PAGE)?;
            for (id, entry) in &batch {
                // The index entry answers the filter; only matches are read.
                let start = jiff::Timestamp::from_microsecond(entry.start)
                    .map_err(|e| StoreError::Corrupt(format!("user index entry: {e}")))?;
                if !filter.matches(entry.status, start) {
                    continue;
                }
                if out.len() == limit {
                    return Ok((out, true));
                }
                if let Some(b) = self.booking(&entry.venue, id)? {
                    out.push(b);
                }
            }
            match batch.last() {
                Some((id, _)) if batch.len() == PAGE => cursor = Some(id.clone()),
                _ => return Ok((out, false)),
            }
        }
    }

    /// Venues that listed the user as staff at some point (check each venue's
    /// current list before trusting one).
    fn staff_venue_hints(&self, user: &UserId) -> Result<Vec<VenueId>, StoreError> {
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

    /// One auxiliary value.
    fn aux_get(&self, space: u8, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.view()?.get(Table::Aux, &aux_key(space, key))
    }

    /// Up to `limit` (key, value) pairs of an auxiliary space in key
    /// order, after the key `after` (for sweeps that walk a space in pages).
    fn aux_page(
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

    fn bookings_starting(
        &self,
        venue: &VenueId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Booking>, StoreError> {
        let (start, end) = (keys::start_bound(venue, from), keys::start_bound(venue, to));
        let prefix = venue.as_str().len() + 1;
        let mut found = Vec::new();
        self.view()?
            .scan(Table::Starts, &start, &end, &mut |k, _| {
                found.extend(keys::start_parts(k, prefix));
                true
            })?;
        let mut out = Vec::with_capacity(found.len());
        for (at, id) in found {
            // An entry a move left behind names a start the booking left.
            if let Some(b) = self.booking(venue, &id)?.filter(|b| b.start == at) {
                out.push(b);
            }
        }
        out.sort_by(|a, b| (a.start, &a.id).cmp(&(b.start, &b.id)));
        Ok(out)
    }

    fn backup(&self, path: &Path) -> Result<u64, StoreError> {
        let write = |view: &dyn KvRead| -> Result<u64, StoreError> {
            let file = files::create_private(path)?;
            let count = backup::export(view, &file, &mut |_| {})?;
            file.sync_all()
                .map_err(|e| StoreError::Engine(format!("sync the backup: {e}")))?;
            Ok(count)
        };
        if let Some(view) = self.snapshot()? {
            return write(view.as_ref());
        }
        // No snapshots (sled): appends wait while the engine is read.
        let _appends = self.last_seqs.lock().unwrap_or_else(|p| p.into_inner());
        write(self.live_view()?)
    }
}

impl Store {
    /// The engine once it holds every acknowledged write.
    fn view(&self) -> Result<&dyn KvEngine, StoreError> {
        self.core.progress.caught_up()?;
        Ok(self.core.kv.as_ref())
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

    /// A user's bookings as (booking, venue), oldest first, after a cursor.
    fn user_index(
        &self,
        user: &UserId,
        after: Option<&BookingId>,
        limit: usize,
    ) -> Result<Vec<(BookingId, UserEntry)>, StoreError> {
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
        let mut bad = None;
        self.view()?
            .scan(Table::UserBookings, &from, &to, &mut |k, v| {
                let booking = String::from_utf8_lossy(keys::child_part(k));
                match decode("user index entry", v) {
                    Ok(entry) => out.push((BookingId::from(booking.as_ref()), entry)),
                    Err(e) => bad = Some(e),
                }
                bad.is_none() && out.len() < limit
            })?;
        bad.map_or(Ok(out), Err)
    }
}
