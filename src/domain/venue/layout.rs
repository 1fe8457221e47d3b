//! How a venue's floor is arranged for allocation: one ledger per
//! resource, the combinations of tables booked together, which resources
//! serve each service, the arrivals that pacing counts, and the order in
//! which places are tried (API v1.1 §12: exclusive single resources by best
//! fit, then shared ones, then combinations by capacity, members, order).

use std::collections::{BTreeMap, HashMap};

use crate::domain::ResourceId;
use crate::domain::ledger::{ClaimKey, Ledger};
use crate::domain::settings::{ResourceMode, VenueSettings};

/// Where a placement sits: one resource, or a combination of several.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) enum Place {
    /// Index into `VenueSettings::resources`.
    Resource(usize),
    /// Index into `VenueSettings::combinations`.
    Combination(usize),
}

/// A combination with its members resolved to resource indexes.
#[derive(Clone, Debug)]
struct Combo {
    members: Vec<usize>,
    min_party: u32,
    capacity: u32,
}

/// What one placement asks of the floor, in whole seconds.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Ask {
    pub start: i64,
    pub end: i64,
    /// Where an exclusive resource's claim ends (`end` plus the buffer);
    /// none when the buffer would overrun the close, and exclusive
    /// resources cannot take the placement at all.
    pub exclusive_end: Option<i64>,
    pub party: u32,
    /// The service's index in `VenueSettings::services`; none serves all.
    pub service: Option<usize>,
    pub now: i64,
}

/// Where a claim sits, so it can be taken back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct ClaimRef {
    pub place: Place,
    pub key: ClaimKey,
}

/// The geometry of one claim: its interval, the end of its buffer on
/// exclusive resources, its party and, for holds, when it stops counting.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Span {
    pub start: i64,
    pub end: i64,
    pub buffered_end: i64,
    pub party: u32,
    pub until: i64,
}

/// A live claim's party and `until`, for pacing.
type Arrival = (u32, i64);

/// Ledgers, combinations and eligibility of one venue's floor.
#[derive(Clone, Debug)]
pub(crate) struct Layout {
    ledgers: Vec<Ledger>,
    modes: Vec<ResourceMode>,
    capacities: Vec<u32>,
    min_parties: Vec<u32>,
    /// `0..n`, so a single resource's members are a slice of it.
    identity: Vec<usize>,
    index: HashMap<ResourceId, Place>,
    combos: Vec<Combo>,
    /// The order in which places are tried.
    pub preference: Vec<Place>,
    /// Per service (settings order), whether each resource serves it.
    served: Vec<Vec<bool>>,
    /// Every live claim by start, for pacing.
    arrivals: BTreeMap<(i64, ClaimKey), Arrival>,
}

impl Layout {
    pub fn new(settings: &VenueSettings) -> Self {
        let resources = &settings.resources;
        let mut index: HashMap<ResourceId, Place> = resources
            .iter()
            .enumerate()
            .map(|(i, r)| (r.id.clone(), Place::Resource(i)))
            .collect();
        let combos: Vec<Combo> = settings
            .combinations
            .iter()
            .map(|c| Combo {
                members: c
                    .resources
                    .iter()
                    .filter_map(|m| match index.get(m) {
                        Some(Place::Resource(i)) => Some(*i),
                        _ => None,
                    })
                    .collect(),
                min_party: c.min_party,
                capacity: c.capacity,
            })
            .collect();
        for (j, c) in settings.combinations.iter().enumerate() {
            index.insert(c.id.clone(), Place::Combination(j));
        }
        let mut singles: Vec<usize> = (0..resources.len()).collect();
        singles.sort_by_key(|&i| {
            (
                resources[i].mode == ResourceMode::Shared,
                resources[i].capacity,
                i,
            )
        });
        let mut joined: Vec<usize> = (0..combos.len()).collect();
        joined.sort_by_key(|&j| (combos[j].capacity, combos[j].members.len(), j));
        let preference = singles
            .into_iter()
            .map(Place::Resource)
            .chain(joined.into_iter().map(Place::Combination))
            .collect();
        Self {
            ledgers: resources
                .iter()
                .map(|r| match r.mode {
                    ResourceMode::Shared => Ledger::shared(),
                    ResourceMode::Exclusive => Ledger::default(),
                })
                .collect(),
            modes: resources.iter().map(|r| r.mode).collect(),
            capacities: resources.iter().map(|r| r.capacity).collect(),
            min_parties: resources.iter().map(|r| r.min_party_for_mode()).collect(),
            identity: (0..resources.len()).collect(),
            index,
            combos,
            preference,
            served: settings
                .services
                .iter()
                .map(|s| resources.iter().map(|r| s.served_by(&r.id)).collect())
                .collect(),
            arrivals: BTreeMap::new(),
        }
    }

    /// The place a resource or combination id names.
    pub fn place_of(&self, id: &ResourceId) -> Option<Place> {
        self.index.get(id).copied()
    }

    /// The resources a place occupies.
    pub fn members(&self, place: Place) -> &[usize] {
        match place {
            Place::Resource(i) => &self.identity[i..=i],
            Place::Combination(j) => &self.combos[j].members,
        }
    }

    /// Whether the place is one shared resource.
    pub fn is_shared(&self, place: Place) -> bool {
        matches!(place, Place::Resource(i) if self.modes[i] == ResourceMode::Shared)
    }

    /// Whether every resource of the place serves the service.
    pub fn serves(&self, place: Place, service: Option<usize>) -> bool {
        let Some(s) = service else { return true };
        let served = &self.served[s];
        match place {
            Place::Resource(i) => served[i],
            Place::Combination(j) => self.combos[j].members.iter().all(|&m| served[m]),
        }
    }

    /// The party sizes a place ever takes, whatever is booked.
    pub fn bounds(&self, place: Place) -> (u32, u32) {
        match place {
            Place::Resource(i) => (self.min_parties[i], self.capacities[i]),
            Place::Combination(j) => (self.combos[j].min_party, self.combos[j].capacity),
        }
    }

    /// Whether the place seats this party (size and service only).
    pub fn seats(&self, place: Place, party: u32, service: Option<usize>) -> bool {
        let (min, max) = self.bounds(place);
        (min..=max).contains(&party) && self.serves(place, service)
    }

    /// Whether the place can take the ask now.
    pub fn fits(&self, place: Place, ask: &Ask) -> bool {
        self.seats(place, ask.party, ask.service) && self.room(place, ask) >= ask.party
    }

    /// The largest party the place could still take for the ask's interval
    /// and service (its own minimum aside).
    pub fn room(&self, place: Place, ask: &Ask) -> u32 {
        if !self.serves(place, ask.service) {
            return 0;
        }
        match place {
            Place::Resource(i) if self.modes[i] == ResourceMode::Shared => {
                self.capacities[i].saturating_sub(self.ledgers[i].peak(ask.start, ask.end, ask.now))
            }
            Place::Resource(i) => match ask.exclusive_end {
                Some(e) if self.ledgers[i].is_free(ask.start, e, ask.now) => self.capacities[i],
                _ => 0,
            },
            Place::Combination(j) => {
                let c = &self.combos[j];
                let free = ask.exclusive_end.is_some_and(|e| {
                    c.members
                        .iter()
                        .all(|&m| self.ledgers[m].is_free(ask.start, e, ask.now))
                });
                if free { c.capacity } else { 0 }
            }
        }
    }

    /// Records a claim on every resource of the place, and its arrival.
    pub fn insert(&mut self, place: Place, key: ClaimKey, s: Span) {
        for k in 0..self.members(place).len() {
            let m = self.members(place)[k];
            let end = match self.modes[m] {
                ResourceMode::Exclusive => s.buffered_end,
                ResourceMode::Shared => s.end,
            };
            self.ledgers[m].insert(key, s.start, end, s.party, s.until);
        }
        self.arrivals.insert((s.start, key), (s.party, s.until));
    }

    /// Forgets a claim.
    pub fn remove(&mut self, claim: ClaimRef, start: i64) {
        for k in 0..self.members(claim.place).len() {
            let m = self.members(claim.place)[k];
            self.ledgers[m].remove(claim.key, start);
        }
        self.arrivals.remove(&(start, claim.key));
    }

    /// The parties of live claims starting in `[from, to)` at `now`.
    pub fn arrivals(&self, from: i64, to: i64, now: i64) -> u32 {
        self.arrivals
            .range((from, 0)..(to, 0))
            .filter(|(_, (_, until))| *until > now)
            .map(|(_, (party, _))| *party)
            .sum()
    }
}
