//! The storage boundary, in the domain's terms: what the engine needs from
//! durable storage, and nothing of how it is kept. [`crate::store::Store`]
//! (a write-ahead log checkpointed into redb or sled) is one implementation;
//! a distributed log (the NATS issue) is meant to be another. Its rules:
//!
//! - `append` is durable when it returns `Ok`, and all of a batch or none
//!   of it is kept. Each commit's first event names the venue's expected
//!   last `seq` (one less than its own); a commit that does not follow what
//!   is stored is refused, not applied: the log itself fences a second
//!   writer of a venue.
//! - A read sees every append acknowledged before it began.

use std::sync::Arc;

use jiff::Timestamp;

use crate::domain::{
    Booking, BookingFilter, BookingId, Event, UserId, Venue, VenueId, VenueSettings,
};
use crate::store::{AuxEntry, Commit, Committed, StoreError, StoredVenue};

/// Where storage that publishes events itself hands each one, in order:
/// the event, and whether another node wrote it (this node's copy of that
/// venue is then stale).
pub type EventSink = Box<dyn Fn(Arc<Event>, bool) + Send + Sync>;

/// Where storage that places venues on nodes reports a venue this node
/// no longer writes (its lease lapsed and another node took it).
pub type LostSink = Box<dyn Fn(&VenueId) + Send + Sync>;

/// Which node writes a venue. One node writes everything; a cluster gives
/// each venue to one node at a time (a lease), and the others send its
/// writes there.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Placement {
    /// This node (it holds the venue's lease, or there is only one node).
    Here,
    /// Another node, serving HTTP at this base URL.
    Elsewhere(String),
}

/// Durable storage for venues, their events and the auxiliary records
/// (accounts, refresh tokens, idempotency responses).
pub trait Storage: Send + Sync + 'static {
    /// The implementation's name, for `/ready` and logs.
    fn name(&self) -> &'static str;

    /// Stores a group of venue changes durably, in order; see the module
    /// for what is refused.
    fn append(&self, batch: Vec<Commit>) -> Result<Committed, StoreError>;

    /// Storage that learns of writes it did not make (a cluster's other
    /// nodes) hands every event to `sink` as it lands, its own included;
    /// its `append` then returns no events, so that none is published
    /// twice. Single-node storage ignores it: the writer publishes.
    fn follow(&self, _sink: EventSink) {}

    /// Which node writes the venue, taking its lease for this node if
    /// nobody holds it: placement on first use. May ask the cluster.
    fn place(&self, _venue: &VenueId) -> Result<Placement, StoreError> {
        Ok(Placement::Here)
    }

    /// True while this node's lease of the venue is current, from memory
    /// (no I/O): the check before every write of a resident venue.
    fn holds(&self, _venue: &VenueId) -> bool {
        true
    }

    /// Gives up this node's lease of the venue (it left memory), so that
    /// another node may take it at once.
    fn release(&self, _venue: &VenueId) {}

    /// Storage with leases reports each venue this node lost to `sink`.
    fn on_lost(&self, _sink: LostSink) {}

    /// Where this node serves HTTP: what its leases tell the others.
    fn serve_at(&self, _url: &str) {}

    /// True if this node runs the cluster's one copy of `job` now (the
    /// outbox's deliveries); always on a single node.
    fn leads(&self, _job: &str) -> bool {
        true
    }

    /// True if other nodes may write (placement and forwarding apply).
    fn clustered(&self) -> bool {
        false
    }

    /// A small durable write: does storage take writes again (after a
    /// failed one)?
    fn probe(&self) -> Result<(), StoreError>;

    /// Makes everything appended so far part of the checkpoint that a
    /// restart starts from (done in the background anyway).
    fn checkpoint(&self) -> Result<(), StoreError>;

    /// True while storage cannot keep up with what it acknowledged (its
    /// background work fails): no write should be accepted.
    fn is_failing(&self) -> bool;

    /// A venue as stored (snapshot and tail applied), or `None`.
    fn load_venue(&self, id: &VenueId) -> Result<Option<StoredVenue>, StoreError>;

    /// Every stored venue's settings and last seq, in id order: what the
    /// engine's directory of venues starts from.
    fn venue_listings(&self) -> Result<Vec<(VenueId, VenueSettings, u64)>, StoreError>;

    /// Every stored venue id, in id order.
    fn venue_ids(&self) -> Result<Vec<VenueId>, StoreError> {
        self.venue_ids_after(None, usize::MAX)
    }

    /// Rebuilds every stored venue (recovery checks and benchmarks; the
    /// engine activates venues one by one).
    fn load_all(&self) -> Result<Vec<Venue>, StoreError> {
        let mut venues = Vec::new();
        for id in self.venue_ids()? {
            if let Some(stored) = self.load_venue(&id)? {
                venues.push(stored.into_venue(id, jiff::Timestamp::MIN));
            }
        }
        Ok(venues)
    }

    /// Up to `limit` venue ids after `after`, in id (creation) order.
    fn venue_ids_after(
        &self,
        after: Option<&VenueId>,
        limit: usize,
    ) -> Result<Vec<VenueId>, StoreError>;

    /// Up to `limit` of a venue's kept events with `seq > after`, in order.
    fn events_after(
        &self,
        venue: &VenueId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError>;

    /// The oldest kept event's seq of a venue (replay is possible after
    /// `seq - 1`).
    fn oldest_event(&self, venue: &VenueId) -> Result<Option<u64>, StoreError>;

    /// Drops every venue's events older than `cutoff`; how many went.
    fn prune_events_before(&self, cutoff: Timestamp) -> Result<usize, StoreError>;

    /// Where a booking, hold or waitlist entry lives (ids are globally unique).
    fn venue_of(&self, record: &str) -> Result<Option<VenueId>, StoreError>;

    /// Every booking the user was ever invited to, as last stored (the
    /// caller checks the invitation's status on each).
    fn user_invitations(&self, user: &UserId) -> Result<Vec<Booking>, StoreError>;

    /// Every waitlist entry of a customer, as last stored, in id (time) order.
    fn user_waitlist(
        &self,
        user: &crate::domain::UserId,
    ) -> Result<Vec<crate::domain::WaitlistEntry>, StoreError>;

    /// A booking as last stored.
    fn booking(&self, venue: &VenueId, id: &BookingId) -> Result<Option<Booking>, StoreError>;

    /// Up to `limit` of a user's bookings matching `filter`, oldest first,
    /// after the booking `after`; and whether more match.
    fn user_bookings(
        &self,
        user: &UserId,
        filter: &BookingFilter,
        after: Option<&BookingId>,
        limit: usize,
    ) -> Result<(Vec<Booking>, bool), StoreError>;

    /// A venue's bookings starting in `[from, to)`, in every status, by
    /// start then id: a day sheet, read through the by-start index.
    fn bookings_starting(
        &self,
        venue: &VenueId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Booking>, StoreError>;

    /// Venues that listed the user as staff at some point (a hint: check
    /// each venue's current list).
    fn staff_venue_hints(&self, user: &UserId) -> Result<Vec<VenueId>, StoreError>;

    /// One auxiliary record (an account by email, a refresh token, an
    /// idempotency response).
    fn aux_get(&self, space: u8, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError>;

    /// Up to `limit` records of an auxiliary space in key order after
    /// `after`, for sweeps.
    fn aux_page(
        &self,
        space: u8,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<AuxEntry>, StoreError>;

    /// Writes a consistent copy of every acknowledged record to `path`
    /// (mode 0600, synced); returns how many records. Appends may wait
    /// while it runs where storage has no snapshots.
    fn backup(&self, path: &std::path::Path) -> Result<u64, StoreError>;
}
