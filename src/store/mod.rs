//! The durable store: the only code that touches redb or sled.
//!
//! A venue's change is stored as its events: each is appended to the venue's
//! log (kept for replay, up to `keep_events` per venue) and applied to the
//! records it concerns (settings, bookings, holds, the user index), all in
//! one atomic, durable engine batch per group commit. Recovery reads the
//! records back and rebuilds each venue.

pub mod backup;
mod engine;
pub mod faults;
pub mod files;
pub mod keys;
mod redb_engine;
mod sled_engine;

use std::path::Path;

use jiff::Timestamp;
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use engine::{KvEngine, KvRead, Op, Table};
pub use redb_engine::RedbEngine;
pub use sled_engine::SledEngine;

use crate::domain::{
    Booking, BookingId, Change, Event, Hold, UserId, Venue, VenueId, VenueSettings,
};

/// Why the store failed. Any of these stops the engine from acknowledging writes.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Engine(String),
    #[error("corrupt record: {0}")]
    Corrupt(String),
}

/// Which embedded engine to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// fsync on commit: survives a power cut. The default.
    #[default]
    Redb,
    /// `sync_file_range` on flush: survives a killed process only.
    Sled,
}

/// One venue's share of a group commit, plus any auxiliary writes that must
/// land atomically with it (an idempotency record with its booking).
#[derive(Clone, Debug, Default)]
pub struct Commit {
    pub events: Vec<Event>,
    pub aux: Vec<AuxOp>,
}

/// A write to the auxiliary key space.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum AuxOp {
    Put {
        space: u8,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Delete {
        space: u8,
        key: Vec<u8>,
    },
}

/// A venue as stored: enough to rebuild it.
#[derive(Debug)]
pub struct StoredVenue {
    pub settings: VenueSettings,
    pub seq: u64,
    pub bookings: Vec<Booking>,
    pub holds: Vec<Hold>,
}

impl StoredVenue {
    /// The in-memory venue these records describe.
    pub fn into_venue(self, id: VenueId) -> Venue {
        Venue::restore(id, self.settings, self.seq, self.bookings, self.holds)
    }
}

/// A stored auxiliary entry: (key within its space, value).
pub type AuxEntry = (Vec<u8>, Vec<u8>);

/// The auxiliary space of the write probe (`Store::probe`).
const PROBE_SPACE: u8 = 0xff;

/// The booking store over one engine.
pub struct Store {
    kv: Box<dyn KvEngine>,
    keep_events: u64,
}

fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).unwrap() // unwrap: postcard serializes every type of ours; it fails only on unsupported serde features (which tests would show at once).
}

fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn aux_key(space: u8, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 1);
    k.push(space);
    k.extend_from_slice(key);
    k
}

impl Store {
    /// Opens the chosen engine under `data_dir`, creating it if needed.
    /// `keep_events` (at least 1) bounds each venue's replay log.
    pub fn open(kind: EngineKind, data_dir: &Path, keep_events: u64) -> Result<Self, StoreError> {
        Ok(Self::with_engine(
            Self::open_engine(kind, data_dir)?,
            keep_events,
        ))
    }

    /// Where an engine keeps its files inside a data directory.
    pub fn engine_path(kind: EngineKind, data_dir: &Path) -> std::path::PathBuf {
        match kind {
            EngineKind::Redb => data_dir.join("booking.redb"),
            EngineKind::Sled => data_dir.join("sled"),
        }
    }

    /// The bare engine of a data directory (made private to its owner);
    /// refuses a directory whose restore has not finished.
    pub fn open_engine(kind: EngineKind, data_dir: &Path) -> Result<Box<dyn KvEngine>, StoreError> {
        files::private_dir(data_dir)?;
        if data_dir.join(files::RESTORE_MARKER).exists() {
            return Err(StoreError::Engine(format!(
                "a restore into {} did not finish (the file {} is there); \
                 restore again into an empty directory, or remove the directory",
                data_dir.display(),
                files::RESTORE_MARKER
            )));
        }
        let path = Self::engine_path(kind, data_dir);
        let kv: Box<dyn KvEngine> = match kind {
            EngineKind::Redb => Box::new(RedbEngine::open(&path)?),
            EngineKind::Sled => Box::new(SledEngine::open(&path)?),
        };
        files::private_tree(&path)?;
        Ok(kv)
    }

    /// A consistent read view that writers do not wait for, if the engine
    /// has one (see `KvEngine::snapshot`).
    pub fn snapshot(&self) -> Result<Option<Box<dyn KvRead>>, StoreError> {
        self.kv.snapshot()
    }

    /// A store over any engine.
    pub fn with_engine(kv: Box<dyn KvEngine>, keep_events: u64) -> Self {
        Self {
            kv,
            keep_events: keep_events.max(1),
        }
    }

    /// The engine's name.
    pub fn engine_name(&self) -> &'static str {
        self.kv.name()
    }

    /// Stores a group of venue changes in one atomic, durable batch.
    #[tracing::instrument(skip_all, fields(commits = batch.len()))]
    pub fn commit(&self, batch: &[Commit]) -> Result<(), StoreError> {
        let mut ops =
            Vec::with_capacity(batch.iter().map(|c| c.events.len() * 3 + c.aux.len()).sum());
        for commit in batch {
            self.commit_ops(commit, &mut ops);
        }
        self.kv.apply(&ops)
    }

    fn commit_ops(&self, commit: &Commit, ops: &mut Vec<Op>) {
        for aux in &commit.aux {
            ops.push(match aux {
                AuxOp::Put { space, key, value } => Op::Put {
                    table: Table::Aux,
                    key: aux_key(*space, key),
                    value: value.clone(),
                },
                AuxOp::Delete { space, key } => Op::Delete {
                    table: Table::Aux,
                    key: aux_key(*space, key),
                },
            });
        }
        let (Some(first), Some(last)) = (commit.events.first(), commit.events.last()) else {
            return;
        };
        let venue = &first.venue_id;
        for event in &commit.events {
            ops.push(Op::Put {
                table: Table::Events,
                key: keys::event(venue, event.seq),
                value: encode(event),
            });
            ops.push(record_op(event));
            index_ops(event, ops);
        }
        ops.push(Op::Put {
            table: Table::VenueSeqs,
            key: keys::top(venue.as_str()),
            value: keys::seq_value(last.seq),
        });
        // Drop the events that fall out of the kept window with this commit:
        // one delete per event appended, so the log costs O(1) per change.
        let kept_from = |seq: u64| seq.saturating_sub(self.keep_events) + 1;
        for seq in kept_from(first.seq - 1)..kept_from(last.seq) {
            ops.push(Op::Delete {
                table: Table::Events,
                key: keys::event(venue, seq),
            });
        }
    }

    /// Every stored venue id, in key order.
    pub fn venue_ids(&self) -> Result<Vec<VenueId>, StoreError> {
        self.venue_ids_after(None, usize::MAX)
    }

    /// A venue's records, or `None` if it was never stored.
    #[tracing::instrument(skip(self), fields(venue_id = %id))]
    pub fn load_venue(&self, id: &VenueId) -> Result<Option<StoredVenue>, StoreError> {
        let Some(settings) = self.kv.get(Table::Venues, id.as_str().as_bytes())? else {
            return Ok(None);
        };
        let settings: VenueSettings = decode("venue", &settings)?;
        let seq = self.kv.get(Table::VenueSeqs, id.as_str().as_bytes())?;
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
        self.kv
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
        self.kv.scan(Table::Events, &from, &to, &mut |_, v| {
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
        self.kv.scan(Table::Events, &from, &to, &mut |k, _| {
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
            self.kv.scan(
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
                self.kv.apply(&old)?;
            }
        }
        Ok(dropped)
    }

    /// Where a booking or hold lives.
    pub fn venue_of(&self, record: &str) -> Result<Option<VenueId>, StoreError> {
        let venue = self.kv.get(Table::RecordVenues, record.as_bytes())?;
        Ok(venue.map(|v| VenueId::from(String::from_utf8_lossy(&v).as_ref())))
    }

    /// A booking as last stored (every acknowledged change is in it).
    pub fn booking(&self, venue: &VenueId, id: &BookingId) -> Result<Option<Booking>, StoreError> {
        let bytes = self
            .kv
            .get(Table::Bookings, &keys::child(venue.as_str(), id.as_str()))?;
        bytes.map(|b| decode("booking", &b)).transpose()
    }

    /// Venues that listed the user as staff at some point (check each venue's
    /// current list before trusting one).
    pub fn staff_venue_hints(&self, user: &UserId) -> Result<Vec<VenueId>, StoreError> {
        let (from, to) = keys::children(user.as_str());
        let mut out = Vec::new();
        self.kv.scan(Table::StaffOf, &from, &to, &mut |k, _| {
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
        self.kv
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
        self.kv.scan(Table::UserBookings, &from, &to, &mut |k, v| {
            let booking = String::from_utf8_lossy(keys::child_part(k));
            out.push((
                BookingId::from(booking.as_ref()),
                VenueId::from(String::from_utf8_lossy(v).as_ref()),
            ));
            out.len() < limit
        })?;
        Ok(out)
    }

    /// A small durable write that tells whether the disk takes writes
    /// again after a failed sync.
    pub fn probe(&self) -> Result<(), StoreError> {
        let now = Timestamp::now().as_microsecond().to_be_bytes().to_vec();
        self.kv.apply(&[Op::Put {
            table: Table::Aux,
            key: aux_key(PROBE_SPACE, b"probe"),
            value: now,
        }])
    }

    /// Up to `limit` of a user's bookings that match `filter`, oldest
    /// first, after the booking `after`; and whether more match. One call
    /// walks the user's index in pages, so a filter that matches little
    /// costs one store pass, not a request per booking.
    pub fn user_bookings_matching(
        &self,
        user: &UserId,
        filter: &crate::domain::BookingFilter,
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
        self.kv.get(Table::Aux, &aux_key(space, key))
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
        self.kv.scan(Table::Aux, &from, &to, &mut |k, v| {
            out.push((k[1..].to_vec(), v.to_vec()));
            out.len() < limit
        })?;
        Ok(out)
    }
}

/// The index writes an event implies: on creation, who owns a booking and
/// where a booking or hold lives; on a venue change, its staff.
fn index_ops(event: &Event, ops: &mut Vec<Op>) {
    let venue = keys::top(event.venue_id.as_str());
    match &event.change {
        Change::BookingCreated(b) => {
            ops.push(Op::Put {
                table: Table::UserBookings,
                key: keys::child(b.user_id.as_str(), b.id.as_str()),
                value: venue.clone(),
            });
            ops.push(Op::Put {
                table: Table::RecordVenues,
                key: keys::top(b.id.as_str()),
                value: venue,
            });
        }
        Change::HoldCreated(h) => ops.push(Op::Put {
            table: Table::RecordVenues,
            key: keys::top(h.id.as_str()),
            value: venue,
        }),
        Change::VenueUpdated(s) => {
            for user in &s.staff {
                ops.push(Op::Put {
                    table: Table::StaffOf,
                    key: keys::child(user.as_str(), event.venue_id.as_str()),
                    value: Vec::new(),
                });
            }
        }
        _ => {}
    }
}

/// The record write an event implies.
fn record_op(event: &Event) -> Op {
    let venue = event.venue_id.as_str();
    match &event.change {
        Change::BookingCreated(b) | Change::BookingUpdated(b) | Change::BookingCancelled(b) => {
            Op::Put {
                table: Table::Bookings,
                key: keys::child(venue, b.id.as_str()),
                value: encode(b),
            }
        }
        Change::HoldCreated(h) | Change::HoldReleased(h) | Change::HoldExpired(h) => Op::Put {
            table: Table::Holds,
            key: keys::child(venue, h.id.as_str()),
            value: encode(h),
        },
        Change::VenueUpdated(s) => Op::Put {
            table: Table::Venues,
            key: keys::top(venue),
            value: encode(s),
        },
    }
}
