//! The venue registry: venue id to actor address. A missing venue is
//! activated from the store on first use (as TiKV's router creates a missing
//! region's state machine); an idle one removes itself.

use std::sync::Arc;

use actix::prelude::*;
use dashmap::DashMap;
use tokio::sync::OnceCell;

use crate::actors::EngineError;
use crate::actors::venue::{Shared, VenueActor};
use crate::domain::{Venue, VenueId};
use crate::store::Storage;

/// Venue id to actor. A `DashMap` because every HTTP worker thread looks
/// venues up concurrently and sharded locks keep those lookups apart; the
/// per-venue `OnceCell` makes exactly one caller load a missing venue while
/// the others wait for it, without holding a map lock across the load.
pub struct Registry {
    venues: DashMap<VenueId, Arc<OnceCell<Addr<VenueActor>>>>,
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

    /// The venue's actor, activating it from the store if needed.
    pub async fn get(&self, id: &VenueId) -> Result<Addr<VenueActor>, EngineError> {
        let cell = self.venues.entry(id.clone()).or_default().clone();
        let result = cell
            .get_or_try_init(|| async {
                let store = self.store.clone();
                let key = id.clone();
                let stored = tokio::task::spawn_blocking(move || store.load_venue(&key))
                    .await
                    .map_err(|_| EngineError::Unavailable)??;
                let stored = stored.ok_or(EngineError::VenueNotFound)?;
                // What has long finished stays in the store only.
                let shared = self.shared.get().unwrap(); // unwrap: set before any venue is requested (see `start`).
                let cutoff =
                    crate::domain::retention_cutoff(shared.clock.now(), shared.retain_finished);
                Ok(self.start(stored.into_venue(id.clone(), cutoff)))
            })
            .await;
        match result {
            Ok(addr) => Ok(addr.clone()),
            Err(e) => {
                // Do not keep empty cells for ids that do not exist.
                self.venues
                    .remove_if(id, |_, c| Arc::ptr_eq(c, &cell) && c.get().is_none());
                Err(e)
            }
        }
    }

    /// Registers a venue that was just created (and stored) in this process.
    pub fn install(&self, venue: Venue) -> Addr<VenueActor> {
        let id = venue.id().clone();
        let addr = self.start(venue);
        let cell = OnceCell::new();
        let _ = cell.set(addr.clone());
        self.venues.insert(id, Arc::new(cell));
        addr
    }

    /// Forgets a venue's actor if it is still this one (it stopped).
    pub fn forget(&self, id: &VenueId, addr: &Addr<VenueActor>) {
        self.venues.remove_if(id, |_, c| c.get() == Some(addr));
    }

    /// Drops every resident venue (a sync failed: their memory may hold
    /// changes the store refused). The next request reloads each from the
    /// store; the old actors stop once their mailboxes are done.
    pub fn evict_all(&self) {
        self.venues.retain(|_, cell| {
            if let Some(addr) = cell.get() {
                addr.do_send(crate::actors::venue::Leave);
            }
            false
        });
        tracing::warn!("every venue left memory; they reload from the store");
    }

    /// Drops one venue's actor (its memory is stale: its log moved
    /// without it); the next request reloads it from the store.
    pub fn evict(&self, id: &VenueId) {
        if let Some((_, cell)) = self.venues.remove(id)
            && let Some(addr) = cell.get()
        {
            addr.do_send(crate::actors::venue::Leave);
        }
    }

    /// How many venues are resident.
    pub fn resident(&self) -> usize {
        self.venues.len()
    }

    fn start(&self, venue: Venue) -> Addr<VenueActor> {
        let shared = self.shared.get().unwrap().clone(); // unwrap: the engine sets `shared` right after creating the registry, before any venue can be requested.
        if self.arbiters.is_empty() {
            return VenueActor::new(venue, shared).start();
        }
        let i = hash(venue.id()) % self.arbiters.len();
        // The actor is built on its own thread: it holds thread-local state.
        VenueActor::start_in_arbiter(&self.arbiters[i], move |_| VenueActor::new(venue, shared))
    }
}

fn hash(id: &VenueId) -> usize {
    use std::hash::{BuildHasher, BuildHasherDefault, DefaultHasher};
    BuildHasherDefault::<DefaultHasher>::default().hash_one(id) as usize
}
