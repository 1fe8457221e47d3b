//! How a venue's floor is described beyond its resources (API v1.1 §4):
//! the buffer after each booking, pacing of arrivals, tables combined for
//! larger parties, and the services a calendar offers. Only the settings
//! and their rules live here; the allocator that uses them is
//! `venue::layout`.

use std::collections::{BTreeSet, HashMap};

use serde::{Deserialize, Serialize};

use crate::domain::settings::{MAX_PARTY, ResourceMode, VenueSettings};
use crate::domain::{DomainError, ResourceId, ServiceId};

/// The longest buffer accepted (API v1.1 §4).
pub const MAX_BUFFER_MINUTES: u32 = 240;
/// Most combinations one venue may list.
pub const MAX_COMBINATIONS: usize = 200;
/// Most services one venue may list.
pub const MAX_SERVICES: usize = 100;
const MINUTES_PER_DAY: u32 = 1440;

/// At most `max_covers` guests may arrive in each `minutes` counted from a
/// period's opening, so the kitchen copes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pacing {
    pub minutes: u32,
    pub max_covers: u32,
}

/// 2 to 4 exclusive resources booked together as one.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Combination {
    pub id: ResourceId,
    pub resources: Vec<ResourceId>,
    /// The smallest party it takes (the members' own minimum does not apply).
    pub min_party: u32,
    /// The largest party it takes (defaults to the members' sum).
    pub capacity: u32,
}

/// Something a calendar offers: its own length and who may serve it.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub id: ServiceId,
    pub name: String,
    pub minutes: u32,
    /// The resources that serve it; `None` means every resource.
    pub resources: Option<Vec<ResourceId>>,
}

impl Service {
    /// Whether `resource` serves it.
    pub fn served_by(&self, resource: &ResourceId) -> bool {
        self.resources
            .as_ref()
            .is_none_or(|list| list.contains(resource))
    }
}

/// Whether an id is 1 to 64 of the characters a resource id may use;
/// combinations may also use `+` (`t1+t2`).
pub fn valid_id(id: &str, plus: bool) -> bool {
    (1..=64).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-' || (plus && b == b'+'))
}

impl VenueSettings {
    /// The service a request names, which is required exactly when the
    /// venue has services.
    pub fn service(&self, id: Option<&ServiceId>) -> Result<Option<&Service>, DomainError> {
        match id {
            None if self.services.is_empty() => Ok(None),
            None => Err(DomainError::invalid(
                "service_id",
                "is required: this venue books by service",
            )),
            Some(id) => self
                .services
                .iter()
                .find(|s| &s.id == id)
                .map(Some)
                .ok_or_else(|| {
                    DomainError::invalid("service_id", "is not a service of this venue")
                }),
        }
    }

    /// Checks buffer, pacing, combinations and services.
    pub(crate) fn validate_floor(&self) -> Result<(), DomainError> {
        let on_grid = |m: u32| m.is_multiple_of(self.slot_minutes);
        if self.buffer_minutes > MAX_BUFFER_MINUTES || !on_grid(self.buffer_minutes) {
            return Err(DomainError::invalid(
                "buffer_minutes",
                "must be 0 to 240 and a multiple of slot_minutes",
            ));
        }
        if let Some(p) = self.pacing {
            if p.minutes == 0 || p.minutes > MINUTES_PER_DAY || !on_grid(p.minutes) {
                return Err(DomainError::invalid(
                    "pacing.minutes",
                    "must be a positive multiple of slot_minutes, at most 1440",
                ));
            }
            if !(1..=100_000).contains(&p.max_covers) {
                return Err(DomainError::invalid(
                    "pacing.max_covers",
                    "must be 1 to 100000",
                ));
            }
        }
        self.validate_combinations()?;
        self.validate_services()
    }

    fn validate_combinations(&self) -> Result<(), DomainError> {
        if self.combinations.len() > MAX_COMBINATIONS {
            return Err(DomainError::invalid("combinations", "at most 200"));
        }
        let resources: HashMap<&ResourceId, ResourceMode> =
            self.resources.iter().map(|r| (&r.id, r.mode)).collect();
        let mut seen = BTreeSet::new();
        for (i, c) in self.combinations.iter().enumerate() {
            let field = |f: &str| format!("combinations[{i}].{f}");
            if !valid_id(c.id.as_str(), true) {
                return Err(DomainError::invalid(
                    field("id"),
                    "must be 1 to 64 of A-Z a-z 0-9 _ - +",
                ));
            }
            if resources.contains_key(&c.id) || !seen.insert(&c.id) {
                return Err(DomainError::invalid(
                    field("id"),
                    "must differ from every resource and combination id",
                ));
            }
            if !(2..=4).contains(&c.resources.len()) {
                return Err(DomainError::invalid(
                    field("resources"),
                    "must list 2 to 4 resources",
                ));
            }
            let mut members = BTreeSet::new();
            for m in &c.resources {
                match resources.get(m) {
                    Some(ResourceMode::Exclusive) if members.insert(m) => {}
                    Some(ResourceMode::Exclusive) => {
                        return Err(DomainError::invalid(
                            field("resources"),
                            format!("lists {m} twice"),
                        ));
                    }
                    Some(ResourceMode::Shared) => {
                        return Err(DomainError::invalid(
                            field("resources"),
                            format!("{m} is shared; only exclusive resources combine"),
                        ));
                    }
                    None => {
                        return Err(DomainError::invalid(
                            field("resources"),
                            format!("{m} is not a resource of this venue"),
                        ));
                    }
                }
            }
            if !(1..=MAX_PARTY).contains(&c.capacity) {
                return Err(DomainError::invalid(field("capacity"), "must be 1 to 1000"));
            }
            if !(1..=c.capacity).contains(&c.min_party) {
                return Err(DomainError::invalid(
                    field("min_party"),
                    "must be 1 to capacity",
                ));
            }
        }
        Ok(())
    }

    fn validate_services(&self) -> Result<(), DomainError> {
        if self.services.len() > MAX_SERVICES {
            return Err(DomainError::invalid("services", "at most 100"));
        }
        let mut seen = BTreeSet::new();
        for (i, s) in self.services.iter().enumerate() {
            let field = |f: &str| format!("services[{i}].{f}");
            if !valid_id(s.id.as_str(), false) || !seen.insert(&s.id) {
                return Err(DomainError::invalid(
                    field("id"),
                    "must be 1 to 64 of A-Z a-z 0-9 _ -, unique",
                ));
            }
            let name = s.name.trim().chars().count();
            if name == 0 || name > 200 {
                return Err(DomainError::invalid(
                    field("name"),
                    "must be 1 to 200 characters",
                ));
            }
            if s.minutes == 0
                || s.minutes > MINUTES_PER_DAY
                || !s.minutes.is_multiple_of(self.slot_minutes)
            {
                return Err(DomainError::invalid(
                    field("minutes"),
                    "must be a positive multiple of slot_minutes, at most 1440",
                ));
            }
            if let Some(list) = &s.resources {
                if list.is_empty() {
                    return Err(DomainError::invalid(
                        field("resources"),
                        "must list at least one resource (omit it for all)",
                    ));
                }
                if let Some(m) = list
                    .iter()
                    .find(|m| !self.resources.iter().any(|r| &&r.id == m))
                {
                    return Err(DomainError::invalid(
                        field("resources"),
                        format!("{m} is not a resource of this venue"),
                    ));
                }
            }
        }
        Ok(())
    }

    /// Gives every combination without a capacity (0) the sum of its
    /// members' capacities, the default of API v1.1 §11.
    pub fn resolve_combinations(&mut self) {
        for c in &mut self.combinations {
            if c.capacity == 0 {
                c.capacity = c
                    .resources
                    .iter()
                    .filter_map(|m| self.resources.iter().find(|r| &r.id == m))
                    .map(|r| r.capacity)
                    .sum::<u32>()
                    .min(MAX_PARTY);
            }
        }
    }
}
