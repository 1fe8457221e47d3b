//! Availability subscriptions, grouped by (venue, date, party size): each
//! group recomputes once per venue change and sends every member the same
//! frame listing only the starts whose `max_party` or `available` changed.

use std::sync::{Arc, Mutex};

use dashmap::DashMap;
use dashmap::mapref::entry::Entry;
use jiff::civil::Date;

use crate::actors::messages::GetAvailability;
use crate::actors::{Engine, EngineError};
use crate::domain::{ServiceId, SlotAvailability, VenueId};
use crate::http::views::SlotView;
use crate::http::ws::hub::{Hub, Sub};
use crate::http::ws::protocol::Frame;
use crate::http::ws::schema::ServerFrame;
use crate::http::zones::Zones;

/// A group: venue, date, party size and service.
pub type Key = (VenueId, Date, u32, Option<ServiceId>);

/// Locks a group's state; a panic elsewhere while it was held leaves data
/// that is still consistent (each update is one assignment), so poisoning
/// is ignored rather than spread.
fn lock<T>(m: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

struct Group {
    /// Locked briefly by joins, leaves and the group's own task.
    members: Mutex<Vec<Sub>>,
    /// The availability last sent (or seen), and its seq.
    snapshot: Mutex<(u64, Vec<SlotAvailability>)>,
    /// Woken when the last member leaves, so that a group of a quiet venue
    /// ends then rather than at the venue's next change.
    emptied: tokio::sync::Notify,
}

/// Every live availability group.
#[derive(Default)]
pub struct Groups {
    map: DashMap<Key, Arc<Group>>,
}

impl Groups {
    /// Adds a member; returns the seq its baseline reflects.
    pub async fn join(
        self: &Arc<Self>,
        engine: &Arc<Engine>,
        hub: &Hub,
        zones: &Arc<Zones>,
        key: Key,
        sub: Sub,
    ) -> Result<u64, EngineError> {
        loop {
            let group = match self.map.get(&key).map(|g| g.clone()) {
                Some(group) => group,
                None => self.start(engine, hub, zones, &key).await?,
            };
            lock(&group.members).push(sub.clone());
            // A group whose task just ended (no members left) is gone from
            // the map: join a new one instead.
            if self.map.get(&key).is_some_and(|g| Arc::ptr_eq(&g, &group)) {
                return Ok(lock(&group.snapshot).0);
            }
            lock(&group.members).retain(|s| s.conn != sub.conn);
        }
    }

    /// Creates the group of `key` (or finds the one a concurrent join made).
    async fn start(
        self: &Arc<Self>,
        engine: &Arc<Engine>,
        hub: &Hub,
        zones: &Arc<Zones>,
        key: &Key,
    ) -> Result<Arc<Group>, EngineError> {
        // The venue first: an id that is not a venue leaves nothing behind.
        let (slots, seq) = engine.ask(&key.0, ask(key)).await??;
        let mut changes = hub.changes(&key.0);
        if *changes.borrow() > seq {
            // A change landed between the snapshot and the watch: recompute.
            changes.mark_changed();
        }
        let fresh = Arc::new(Group {
            members: Mutex::new(Vec::new()),
            snapshot: Mutex::new((seq, slots)),
            emptied: tokio::sync::Notify::new(),
        });
        Ok(match self.map.entry(key.clone()) {
            Entry::Occupied(e) => e.get().clone(),
            Entry::Vacant(e) => {
                e.insert(fresh.clone());
                actix_web::rt::spawn(follow(
                    self.clone(),
                    engine.clone(),
                    zones.clone(),
                    key.clone(),
                    fresh.clone(),
                    changes,
                ));
                fresh
            }
        })
    }

    /// How many groups are live.
    pub fn len(&self) -> usize {
        self.map.len()
    }

    /// Whether no group is live.
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// Removes a connection's membership.
    pub fn leave(&self, key: &Key, conn: u64) {
        if let Some(group) = self.map.get(key) {
            let mut members = lock(&group.members);
            members.retain(|s| s.conn != conn);
            if members.is_empty() {
                group.emptied.notify_one();
            }
        }
    }
}

/// The question a group asks its venue.
fn ask(key: &Key) -> GetAvailability {
    GetAvailability {
        date: key.1,
        party_size: key.2,
        service_id: key.3.clone(),
    }
}

/// The group's task: on every change of its venue, recompute and send the difference.
async fn follow(
    groups: Arc<Groups>,
    engine: Arc<Engine>,
    zones: Arc<Zones>,
    key: Key,
    group: Arc<Group>,
    mut changes: tokio::sync::watch::Receiver<u64>,
) {
    let topic: Arc<str> = format!("venue:{}:availability", key.0).into();
    loop {
        tokio::select! {
            changed = changes.changed() => if changed.is_err() { break },
            () = group.emptied.notified() => {}
        }
        let members_left = {
            let mut members = lock(&group.members);
            members.retain(|s| !s.tx.is_closed());
            !members.is_empty()
        };
        if !members_left {
            break;
        }
        let Ok(Ok((slots, seq))) = engine.ask(&key.0, ask(&key)).await else {
            continue;
        };
        let Ok(zone) = zones.get(&engine, &key.0).await else {
            continue;
        };
        let changed: Vec<&SlotAvailability> = {
            let snapshot = lock(&group.snapshot);
            slots
                .iter()
                .filter(|now| !snapshot.1.iter().any(|before| before == *now))
                .collect()
        };
        if !changed.is_empty() {
            let text = ServerFrame::Availability {
                topic: &topic,
                seq,
                date: key.1.to_string(),
                party_size: key.2,
                service_id: key.3.as_ref().map(|s| s.as_str()),
                slots: changed.iter().map(|s| SlotView::new(s, &zone)).collect(),
            }
            .text();
            let frame = Frame {
                topic: topic.clone(),
                seq,
                text: text.into(),
                ends: false,
            };
            for member in lock(&group.members).iter() {
                member.push(frame.clone());
            }
        }
        *lock(&group.snapshot) = (seq, slots);
    }
    groups.map.remove_if(&key, |_, g| Arc::ptr_eq(g, &group));
}
