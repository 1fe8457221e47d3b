//! The venue registry: venue id to actor address. A missing venue is
//! activated from the store on first use (as TiKV's router creates a missing
//! region's state machine); an idle one removes itself. On a cluster, a
//! venue whose lease another node holds is activated as a read-only copy,
//! and writes to it are refused with the writer's address.

use std::sync::Arc;

use actix::prelude::*;
use dashmap::DashMap;
use tokio::sync::OnceCell;

use crate::actors::EngineError;
use crate::actors::venue::{Shared, VenueActor};
use crate::domain::{Venue, VenueId};
use crate::store::{Placement, Storage};

/// A resident venue: its actor, and whether it is the venue's writer.
#[derive(Clone)]
struct Resident {
    addr: Addr<VenueActor>,
    writes: bool,
}

/// Venue id to actor. A `DashMap` because every HTTP worker thread looks
/// venues up concurrently and sharded locks keep those lookups apart; the
/// per-venue `OnceCell` makes exactly one caller load a missing venue while
/// the others wait for it, without holding a map lock across the load.
pub struct Registry {
    venues: DashMap<VenueId, Arc<OnceCell<Resident>>>,
    store: Arc<dyn Storage>,
    arbiters: Vec<ArbiterHandle>,
    shared: std::sync::OnceLock<Arc<Shared>>,
}

impl Registry {
    /// A registry starting venue actors on `arbiters` (spread by id hash),
    /// or on the caller's arbiter when there are none.
    pub fn new(store: Arc<dyn Storage>, arbiters: Vec<ArbiterHandle>) -> Self {
        Self {
            venues: DashMap::new(),
            store,
            arbiters,
            shared: std::sync::OnceLock::new(),
        }
    }

    pub(crate) fn set_shared(&self, shared: Arc<Shared>) {
        let _ = self.shared.set(shared);
    }

    /// The venue's actor for queries (its writer or a read-only copy),
    /// activating it from the store if needed.
    pub async fn get(&self, id: &VenueId) -> Result<Addr<VenueActor>, EngineError> {
        Ok(self.activate(id).await?.addr)
    }

    /// The venue's writer, activating it if this node may write it: it
    /// holds the venue's lease, or takes it now. Another node's lease is
    /// `Elsewhere` (a read-only copy here leaves for the writer to load).
    pub async fn writer(&self, id: &VenueId) -> Result<Addr<VenueActor>, EngineError> {
        if let Some(r) = self.venues.get(id).and_then(|c| c.get().cloned())
            && r.writes
            && self.store.holds(id)
        {
            return Ok(r.addr);
        }
        match self.place(id).await? {
            Placement::Elsewhere(url) => Err(EngineError::Elsewhere(url)),
            Placement::Here => {
                let resident = self.activate(id).await?;
                if resident.writes {
                    return Ok(resident.addr);
                }
                // A copy made while another node held the lease.
                self.evict(id);
                let resident = self.activate(id).await?;
                if resident.writes {
                    Ok(resident.addr)
                } else {
                    Err(EngineError::Unavailable)
                }
            }
        }
    }

    async fn place(&self, id: &VenueId) -> Result<Placement, EngineError> {
        if !self.store.clustered() {
            return Ok(Placement::Here);
        }
        let (store, key) = (self.store.clone(), id.clone());
        Ok(tokio::task::spawn_blocking(move || store.place(&key))
            .await
            .map_err(|_| EngineError::Unavailable)??)
    }

    async fn activate(&self, id: &VenueId) -> Result<Resident, EngineError> {
        let cell = self.venues.entry(id.clone()).or_default().clone();
        let result = cell
            .get_or_try_init(|| async {
                let writes = self.place(id).await? == Placement::Here;
                // What has long finished stays in the store only.
                let shared = self.shared.get().unwrap(); // unwrap: set before any venue is requested (see `start`).
                let cutoff =
                    crate::domain::retention_cutoff(shared.clock.now(), shared.retain_finished);
                let store = self.store.clone();
                let key = id.clone();
                // Read and rebuilt on the blocking pool: the warm-up
                // activates several venues at once, one per thread.
                let venue = tokio::task::spawn_blocking(move || {
                    let stored = store.load_venue(&key)?;
                    Ok::<_, EngineError>(stored.map(|s| s.into_venue(key, cutoff)))
                })
                .await
                .map_err(|_| EngineError::Unavailable)??;
                let venue = venue.ok_or(EngineError::VenueNotFound)?;
                Ok(Resident {
                    addr: self.start(venue, writes),
                    writes,
                })
            })
            .await;
        match result {
            Ok(resident) => Ok(resident.clone()),
            Err(e) => {
                // Do not keep empty cells for ids that do not exist.
                self.venues
                    .remove_if(id, |_, c| Arc::ptr_eq(c, &cell) && c.get().is_none());
                Err(e)
            }
        }
    }

    /// Registers a venue that was just created (and stored) in this
    /// process, as its writer.
    pub fn install(&self, venue: Venue) -> Addr<VenueActor> {
        let id = venue.id().clone();
        let addr = self.start(venue, true);
        let cell = OnceCell::new();
        let _ = cell.set(Resident {
            addr: addr.clone(),
            writes: true,
        });
        self.venues.insert(id, Arc::new(cell));
        addr
    }

    /// Forgets a venue's actor if it is still this one (it stopped); a
    /// writer gives up its lease, so that any node may take the venue.
    pub fn forget(&self, id: &VenueId, addr: &Addr<VenueActor>) {
        let removed = self
            .venues
            .remove_if(id, |_, c| c.get().is_some_and(|r| r.addr == *addr));
        if let Some((_, cell)) = removed
            && cell.get().is_some_and(|r| r.writes)
        {
            self.store.release(id);
        }
    }

    /// Where a new venue's id is placed: this node takes its lease before
    /// the venue is stored.
    pub async fn claim_new(&self, id: &VenueId) -> Result<(), EngineError> {
        match self.place(id).await? {
            Placement::Here => Ok(()),
            Placement::Elsewhere(_) => Err(EngineError::Unavailable),
        }
    }

    /// Drops every resident venue (a sync failed: their memory may hold
    /// changes the store refused). The next request reloads each from the
    /// store; the old actors stop once their mailboxes are done.
    pub fn evict_all(&self) {
        self.venues.retain(|_, cell| {
            if let Some(r) = cell.get() {
                r.addr.do_send(crate::actors::venue::Leave);
            }
            false
        });
        tracing::warn!("every venue left memory; they reload from the store");
    }

    /// Drops one venue's actor (its memory is stale: its log moved
    /// without it); the next request reloads it from the store.
    pub fn evict(&self, id: &VenueId) {
        if let Some((_, cell)) = self.venues.remove(id)
            && let Some(r) = cell.get()
        {
            r.addr.do_send(crate::actors::venue::Leave);
        }
    }

    /// How many venues are resident.
    pub fn resident(&self) -> usize {
        self.venues.len()
    }

    fn start(&self, venue: Venue, writes: bool) -> Addr<VenueActor> {
        let shared = self.shared.get().unwrap().clone(); // unwrap: the engine sets `shared` right after creating the registry, before any venue can be requested.
        if self.arbiters.is_empty() {
            return VenueActor::new(venue, shared, writes).start();
        }
        let i = hash(venue.id()) % self.arbiters.len();
        // The actor is built on its own thread: it holds thread-local state.
        VenueActor::start_in_arbiter(&self.arbiters[i], move |_| {
            VenueActor::new(venue, shared, writes)
        })
    }
}

fn hash(id: &VenueId) -> usize {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(id) as usize
}
