//! Venue time zones for rendering instants, cached: asked of the venue on a
//! miss, refreshed from every `venue.updated` on the event bus.

use std::sync::Arc;

use dashmap::DashMap;
use tokio::sync::broadcast::error::RecvError;

use crate::actors::Engine;
use crate::actors::messages::GetVenue;
use crate::domain::{Change, VenueId, Zone};
use crate::http::ApiError;

/// Venue id to zone. A `DashMap`: read by every worker, written rarely.
#[derive(Default)]
pub struct Zones {
    map: DashMap<VenueId, Zone>,
}

impl Zones {
    /// The venue's zone (404 for an unknown venue).
    pub async fn get(&self, engine: &Engine, venue: &VenueId) -> Result<Zone, ApiError> {
        if let Some(zone) = self.map.get(venue) {
            return Ok(zone.clone());
        }
        let (settings, _) = engine.ask(venue, GetVenue).await?;
        self.map.insert(venue.clone(), settings.timezone.clone());
        Ok(settings.timezone)
    }

    /// Keeps the cache fresh from the bus until the engine stops.
    pub fn follow(self: &Arc<Self>, engine: &Engine) {
        let mut rx = engine.subscribe();
        let zones = self.clone();
        actix_web::rt::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(event) => {
                        if let Change::VenueUpdated(s) = &event.change {
                            zones.map.insert(event.venue_id.clone(), s.timezone.clone());
                        }
                    }
                    // Missed events may have changed zones: start over.
                    Err(RecvError::Lagged(_)) => zones.map.clear(),
                    Err(RecvError::Closed) => break,
                }
            }
        });
    }
}
