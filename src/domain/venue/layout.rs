//! How a venue's resources are arranged for allocation: one ledger each, a
//! lookup by id, and the order in which they are tried.

use std::collections::HashMap;

use crate::domain::ResourceId;
use crate::domain::ledger::{ClaimKey, Ledger};
use crate::domain::settings::{Resource, ResourceMode, VenueSettings};

/// Per-resource ledgers in the order of `VenueSettings::resources`.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    pub ledgers: Vec<Ledger>,
    pub index: HashMap<ResourceId, usize>,
    /// Exclusive resources by ascending capacity (best fit), then shared ones
    /// by ascending capacity: a couple gets a table for two before the bar.
    pub preference: Vec<usize>,
}

/// Where a claim sits, so it can be taken back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ClaimRef {
    pub resource: usize,
    pub key: ClaimKey,
}

impl Layout {
    pub fn new(settings: &VenueSettings) -> Self {
        let resources = &settings.resources;
        let mut preference: Vec<usize> = (0..resources.len()).collect();
        preference.sort_by_key(|&i| {
            (
                resources[i].mode == ResourceMode::Shared,
                resources[i].capacity,
                i,
            )
        });
        Self {
            ledgers: resources
                .iter()
                .map(|r| match r.mode {
                    ResourceMode::Shared => Ledger::shared(),
                    ResourceMode::Exclusive => Ledger::default(),
                })
                .collect(),
            index: resources
                .iter()
                .enumerate()
                .map(|(i, r)| (r.id.clone(), i))
                .collect(),
            preference,
        }
    }

    /// Whether `resource` can take a party of `party` on `[start, end)` at `now`.
    pub fn fits(
        &self,
        resource: &Resource,
        i: usize,
        start: i64,
        end: i64,
        party: u32,
        now: i64,
    ) -> bool {
        resource.seats(party)
            && match resource.mode {
                ResourceMode::Exclusive => self.ledgers[i].is_free(start, end, now),
                ResourceMode::Shared => {
                    self.ledgers[i].peak(start, end, now) + party <= resource.capacity
                }
            }
    }

    /// The largest party `resource` could still take on `[start, end)`.
    pub fn room(&self, resource: &Resource, i: usize, start: i64, end: i64, now: i64) -> u32 {
        match resource.mode {
            ResourceMode::Exclusive if self.ledgers[i].is_free(start, end, now) => {
                resource.capacity
            }
            ResourceMode::Exclusive => 0,
            ResourceMode::Shared => resource
                .capacity
                .saturating_sub(self.ledgers[i].peak(start, end, now)),
        }
    }
}
