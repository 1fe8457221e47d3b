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

    /// Adds listings read after events started to arrive (a cluster node
    /// at start): a venue made elsewhere in between is added, and an
    /// entry is replaced only by a newer listing.
    pub fn merge(&self, listings: Vec<(VenueId, VenueSettings, u64)>) {
        let mut venues = self.venues.write().unwrap_or_else(|e| e.into_inner());
        for (id, settings, seq) in listings {
            let newer = venues
                .get(&id)
                .is_none_or(|e| e.seq.load(Ordering::Relaxed) < seq);
            if newer {
                let entry = Entry {
                    settings: Arc::new(settings),
                    seq: AtomicU64::new(seq),
                };
                venues.insert(id, entry);
            }
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

#[cfg(test)]
mod tests {
    use super::*;

    fn listing(id: &str, name: &str, seq: u64) -> (VenueId, VenueSettings, u64) {
        let mut settings = crate::demo::tables_settings(1);
        settings.name = name.into();
        (VenueId::from(id), settings, seq)
    }

    #[test]
    fn a_later_listing_adds_what_was_missed_and_replaces_only_older_entries() {
        let directory = Directory::new(vec![listing("a", "Old A", 3), listing("b", "B", 9)]);
        directory.merge(vec![
            listing("a", "New A", 5),
            listing("b", "Stale B", 2),
            listing("c", "Made elsewhere", 1),
        ]);
        let found: Vec<(String, String, u64)> = directory
            .search(&VenueSearch::default(), None, 10)
            .into_iter()
            .map(|l| (l.id.as_str().to_string(), l.settings.name.clone(), l.seq))
            .collect();
        assert_eq!(
            found,
            [
                ("a".into(), "New A".into(), 5),
                ("b".into(), "B".into(), 9),
                ("c".into(), "Made elsewhere".into(), 1),
            ]
        );
    }
}
