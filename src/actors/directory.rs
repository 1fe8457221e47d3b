//! The directory of venues: every venue's settings and last seq in memory,
//! so that `GET /venues` (listing and discovery, API v1.1 §2) wakes no
//! venue actor and reads no store. It starts from the store and is kept
//! current by the store writer, which shows it every durable event before
//! publishing it: a venue created or changed is listed as soon as the
//! change is acknowledged.

use std::collections::BTreeMap;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, RwLock};

use crate::domain::{Change, Event, VenueId, VenueSearch, VenueSettings};

struct Entry {
    settings: Arc<VenueSettings>,
    /// Moves with every event; a read lock of the map is enough for that.
    seq: AtomicU64,
}

/// A venue as listed.
#[derive(Clone, Debug)]
pub struct Listed {
    pub id: VenueId,
    pub settings: Arc<VenueSettings>,
    pub seq: u64,
    /// With a `near` search: how far it is.
    pub distance_km: Option<f64>,
}

/// Where a page of a search starts: after this venue in id order, or, for
/// `near` searches (nearest first), after this distance and id.
#[derive(Clone, Debug, PartialEq)]
pub enum After {
    Id(VenueId),
    Distance(f64, VenueId),
}

#[derive(Default)]
pub struct Directory {
    venues: RwLock<BTreeMap<VenueId, Entry>>,
}

impl Directory {
    /// A directory of these venues.
    pub fn new(listings: Vec<(VenueId, VenueSettings, u64)>) -> Self {
        let venues = listings
            .into_iter()
            .map(|(id, settings, seq)| {
                let entry = Entry {
                    settings: Arc::new(settings),
                    seq: AtomicU64::new(seq),
                };
                (id, entry)
            })
            .collect();
        Self {
            venues: RwLock::new(venues),
        }
    }

    /// Takes in a durable event: a venue's new settings, or its new seq.
    pub fn observe(&self, event: &Event) {
        if let Change::VenueUpdated(settings) = &event.change {
            let entry = Entry {
                settings: Arc::new(settings.as_ref().clone()),
                seq: AtomicU64::new(event.seq),
            };
            let mut venues = self.venues.write().unwrap_or_else(|e| e.into_inner());
            venues.insert(event.venue_id.clone(), entry);
            return;
        }
        let venues = self.venues.read().unwrap_or_else(|e| e.into_inner());
        if let Some(entry) = venues.get(&event.venue_id) {
            entry.seq.fetch_max(event.seq, Ordering::Relaxed);
        }
    }

    /// Up to `limit` venues matching `search` after `after`: in id order,
    /// or nearest first (then by id) when the search has `near`.
    pub fn search(&self, search: &VenueSearch, after: Option<&After>, limit: usize) -> Vec<Listed> {
        let venues = self.venues.read().unwrap_or_else(|e| e.into_inner());
        let listed = |(id, entry): (&VenueId, &Entry), distance_km| Listed {
            id: id.clone(),
            settings: entry.settings.clone(),
            seq: entry.seq.load(Ordering::Relaxed),
            distance_km,
        };
        let matching = |(_, entry): &(&VenueId, &Entry)| {
            let s = &entry.settings;
            search.matches(&s.name, s.kind, &s.details)
        };
        if search.near.is_none() {
            let start = match after {
                Some(After::Id(id)) => std::ops::Bound::Excluded(id.clone()),
                _ => std::ops::Bound::Unbounded,
            };
            return venues
                .range((start, std::ops::Bound::Unbounded))
                .filter_map(|pair| matching(&pair).map(|d| listed(pair, d)))
                .take(limit)
                .collect();
        }
        let mut found: Vec<Listed> = venues
            .iter()
            .filter_map(|pair| matching(&pair).map(|d| listed(pair, d)))
            .filter(|l| match after {
                Some(After::Distance(km, id)) => {
                    let d = l.distance_km.unwrap_or(f64::MAX);
                    d > *km || (d == *km && l.id > *id)
                }
                _ => true,
            })
            .collect();
        found.sort_by(|a, b| {
            let (da, db) = (
                a.distance_km.unwrap_or(f64::MAX),
                b.distance_km.unwrap_or(f64::MAX),
            );
            da.total_cmp(&db).then_with(|| a.id.cmp(&b.id))
        });
        found.truncate(limit);
        found
    }
}
