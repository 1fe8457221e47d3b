//! On a cluster, a venue's holds expire by its writer's timer. If the
//! writer dies, nothing would expire them (and push `hold.expired`) until
//! some request brought the venue back. So every node notes the live holds
//! it sees go by in the stream, and the holder of the `holds` job lease
//! looks now and then for holds well past their expiry: it makes itself
//! those venues' writer if their owner is gone, and activating a writer
//! expires what is overdue (`VenueActor::started`). A venue whose owner
//! is alive is left to it.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use jiff::{SignedDuration, Timestamp};

use crate::actors::registry::Registry;
use crate::clock::Clock;
use crate::domain::{Change, Event, HoldId, VenueId};
use crate::store::Storage;

/// How often the job's holder looks.
const EVERY: Duration = Duration::from_secs(5);

/// How late a hold must be before its venue counts as orphaned: its own
/// writer's timer gets this long first.
const GRACE: SignedDuration = SignedDuration::from_secs(5);

/// The job lease's name.
const JOB: &str = "holds";

/// Live holds seen in the stream, by venue.
#[derive(Default)]
pub struct LiveHolds {
    venues: Mutex<HashMap<VenueId, BTreeMap<HoldId, Timestamp>>>,
}

impl LiveHolds {
    /// Takes in an event of any node.
    pub fn observe(&self, event: &Event) {
        let venues = || self.venues.lock().unwrap_or_else(|p| p.into_inner());
        match &event.change {
            Change::HoldCreated(h) => {
                venues()
                    .entry(h.venue_id.clone())
                    .or_default()
                    .insert(h.id.clone(), h.expires_at);
            }
            Change::HoldReleased(h) | Change::HoldExpired(h) => {
                let mut venues = venues();
                if let Some(holds) = venues.get_mut(&h.venue_id) {
                    holds.remove(&h.id);
                    if holds.is_empty() {
                        venues.remove(&h.venue_id);
                    }
                }
            }
            _ => {}
        }
    }

    /// Venues with a hold that should have expired before `cutoff`.
    fn overdue(&self, cutoff: Timestamp) -> Vec<VenueId> {
        let venues = self.venues.lock().unwrap_or_else(|p| p.into_inner());
        venues
            .iter()
            .filter(|(_, holds)| holds.values().any(|at| *at < cutoff))
            .map(|(venue, _)| venue.clone())
            .collect()
    }
}

/// Forever: on the job's holder, takes over venues with overdue holds.
pub(super) async fn sweep(
    live: Arc<LiveHolds>,
    registry: Arc<Registry>,
    store: Arc<dyn Storage>,
    clock: Arc<dyn Clock>,
) {
    loop {
        tokio::time::sleep(EVERY).await;
        if !store.leads(JOB) {
            continue;
        }
        let cutoff = clock.now().saturating_sub(GRACE).unwrap_or(Timestamp::MIN);
        for venue in live.overdue(cutoff) {
            match registry.writer(&venue).await {
                Ok(_) => {
                    tracing::debug!(venue_id = %venue, "a venue with overdue holds has its writer here")
                }
                // Its owner is alive and will expire them; or the cluster
                // did not answer: next round.
                Err(e) => {
                    tracing::debug!(venue_id = %venue, error = %e, "overdue holds left to their venue's writer")
                }
            }
        }
    }
}
