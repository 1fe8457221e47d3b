//! The hub: one task reads durable events off the engine's bus, renders each
//! frame once, and hands it to every subscriber's bounded queue without
//! waiting. A subscriber whose queue is full is told to go (it is slow); it
//! never slows the venue, the store writer or anyone else.

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use dashmap::DashMap;
use serde_json::Value;
use tokio::sync::broadcast::error::RecvError;
use tokio::sync::mpsc::error::TrySendError;
use tokio::sync::{Notify, mpsc, watch};

use crate::actors::Engine;
use crate::domain::{Change, Event, UserId, VenueId, Zone};
use crate::http::ErrorCode;
use crate::http::dto;
use crate::http::views::{BookingView, EntryView, EventData, HoldView, VenueView};
use crate::http::ws::protocol::{self, Frame, Viewer};
use crate::http::zones::Zones;

/// One subscription of one connection, as the hub sees it.
#[derive(Clone)]
pub struct Sub {
    /// The connection it belongs to.
    pub conn: u64,
    pub topic: Arc<str>,
    pub tx: mpsc::Sender<Frame>,
    /// Rung when the connection's queue is full.
    pub slow: Arc<Notify>,
    pub viewer: Viewer,
}

impl Sub {
    /// Queues a frame without waiting; false if the subscriber is gone or slow.
    pub fn push(&self, frame: Frame) -> bool {
        match self.tx.try_send(frame) {
            Ok(()) => true,
            Err(TrySendError::Full(_)) => {
                self.slow.notify_one();
                false
            }
            Err(TrySendError::Closed(_)) => false,
        }
    }
}

/// Counters for tests and metrics.
#[derive(Default)]
pub struct HubStats {
    /// Connections closed because they could not keep up.
    pub slow_dropped: AtomicU64,
    /// Frames handed to subscriber queues.
    pub delivered: AtomicU64,
}

/// Who listens to what. `DashMap`s: connections register from every
/// worker thread while the hub task reads them.
#[derive(Default)]
pub struct Hub {
    bookings: DashMap<VenueId, Vec<Sub>>,
    users: DashMap<UserId, Vec<Sub>>,
    /// Every venue change bumps its watch; availability groups wait on it.
    changes: DashMap<VenueId, watch::Sender<u64>>,
    next_conn: AtomicU64,
    pub stats: HubStats,
}

/// The `data` of an event frame.
pub fn event_data(event: &Event, zone: &Zone) -> EventData {
    match &event.change {
        Change::BookingCreated(b)
        | Change::BookingInvited(b)
        | Change::BookingUpdated(b)
        | Change::BookingCancelled(b)
        | Change::BookingReminded(b) => EventData::Booking(BookingView::new(b, zone)),
        Change::HoldCreated(h) | Change::HoldReleased(h) | Change::HoldExpired(h) => {
            EventData::Hold(HoldView::new(h, zone))
        }
        // Only staff (and admins) follow a venue's topic.
        Change::VenueUpdated(s) => EventData::Venue(Box::new(VenueView::new(
            &event.venue_id,
            s,
            event.seq,
            true,
        ))),
        Change::WaitlistJoined(e)
        | Change::WaitlistOffered(e)
        | Change::WaitlistBooked(e)
        | Change::WaitlistMissed(e)
        | Change::WaitlistLeft(e) => EventData::Entry(EntryView::new(e, zone)),
    }
}

/// A webhook delivery's body (API v1.1 §7): the event with its id, `data`
/// as on the WebSocket.
pub fn webhook_body(event: &Event, zone: &Zone) -> Value {
    serde_json::json!({
        "id": crate::outbox::event_id(event),
        "type": event.change.name(),
        "venue_id": event.venue_id,
        "seq": event.seq,
        "created_at": dto::local(event.at, zone),
        "data": event_data(event, zone),
    })
}

/// The event frame of a topic.
pub fn event_frame(topic: &Arc<str>, event: &Event, zone: &Zone) -> Frame {
    let text = protocol::event(
        topic,
        event.seq,
        event.change.name(),
        &event_data(event, zone),
    );
    Frame {
        topic: topic.clone(),
        seq: event.seq,
        text: text.into(),
        ends: false,
    }
}

impl Hub {
    /// A fresh connection id.
    pub fn connection_id(&self) -> u64 {
        self.next_conn.fetch_add(1, Ordering::Relaxed)
    }

    pub fn add_bookings(&self, venue: &VenueId, sub: Sub) {
        self.bookings.entry(venue.clone()).or_default().push(sub);
    }

    pub fn add_user(&self, user: &UserId, sub: Sub) {
        self.users.entry(user.clone()).or_default().push(sub);
    }

    /// Forgets a connection's subscription to a venue's bookings.
    pub fn remove_bookings(&self, venue: &VenueId, conn: u64) {
        remove(&self.bookings, venue, conn);
    }

    /// Forgets a connection's subscription to its user's bookings.
    pub fn remove_user(&self, user: &UserId, conn: u64) {
        remove(&self.users, user, conn);
    }

    /// How many venues have a change watch (each one a venue that exists).
    pub fn watched_venues(&self) -> usize {
        self.changes.len()
    }

    /// A receiver that changes with every event of the venue.
    pub fn changes(&self, venue: &VenueId) -> watch::Receiver<u64> {
        self.changes
            .entry(venue.clone())
            .or_insert_with(|| watch::channel(0).0)
            .subscribe()
    }

    /// Reads the bus until the engine stops.
    pub fn run(self: &Arc<Self>, engine: Arc<Engine>, zones: Arc<Zones>) {
        let hub = self.clone();
        let mut rx = engine.subscribe();
        actix_web::rt::spawn(async move {
            loop {
                match rx.recv().await {
                    Ok(event) => hub.dispatch(&engine, &zones, &event).await,
                    Err(RecvError::Lagged(missed)) => hub.lost(missed),
                    Err(RecvError::Closed) => break,
                }
            }
        });
    }

    async fn dispatch(&self, engine: &Engine, zones: &Zones, event: &Event) {
        let venue = &event.venue_id;
        let zone = match &event.change {
            Change::VenueUpdated(s) => s.timezone.clone(),
            _ => match zones.get(engine, venue).await {
                Ok(z) => z,
                Err(e) => {
                    tracing::warn!(venue_id = %venue, error = %e, "no zone for an event; not pushed");
                    return;
                }
            },
        };
        if let Some(mut subs) = self.bookings.get_mut(venue) {
            if let Change::VenueUpdated(settings) = &event.change {
                // Rights follow the venue's current staff list.
                subs.retain(|s| {
                    let allowed = s.viewer.caller().is_some_and(|c| settings.managed_by(&c));
                    if !allowed {
                        let text = protocol::error(
                            ErrorCode::Forbidden,
                            "you are no longer staff of this venue",
                        );
                        s.push(Frame {
                            topic: s.topic.clone(),
                            seq: 0,
                            text: text.into(),
                            ends: true,
                        });
                    }
                    allowed
                });
            }
            if let Some(first) = subs.first() {
                let frame = event_frame(&first.topic, event, &zone);
                self.deliver(&mut subs, &frame);
            }
        }
        // The customer's own topic: their bookings, and their waitlist
        // entries (a guest's entry is on the venue's topic only).
        let owner = match (event.change.booking(), event.change.entry()) {
            (Some(b), _) => b.user_id.as_ref(),
            (_, Some(e)) => e.entry.user_id.as_ref(),
            _ => None,
        };
        if let Some(owner) = owner
            && let Some(mut subs) = self.users.get_mut(owner)
        {
            let frame = event_frame(&Arc::from("user:bookings"), event, &zone);
            self.deliver(&mut subs, &frame);
        }
        if let Some(b) = event.change.booking() {
            self.to_invitees(event, b, &zone);
        }
        if let Some(tx) = self.changes.get(venue) {
            tx.send_replace(event.seq);
        }
    }

    /// A shared booking's events reach its accepted invitees (as they may
    /// see it: no phone), and `booking.invited` the friend just invited.
    fn to_invitees(&self, event: &Event, b: &crate::domain::Booking, zone: &Zone) {
        let invited = matches!(event.change, Change::BookingInvited(_))
            .then(|| b.invitees.last())
            .flatten();
        let guests = b
            .invitees
            .iter()
            .filter(|i| i.status == crate::domain::InviteStatus::Accepted)
            .chain(invited);
        let topic: Arc<str> = Arc::from("user:bookings");
        let mut frame = None;
        for guest in guests {
            if let Some(mut subs) = self.users.get_mut(&guest.user_id) {
                let frame = frame.get_or_insert_with(|| {
                    let data = EventData::Booking(BookingView::seen(
                        b,
                        zone,
                        crate::domain::Seen::Invitee,
                    ));
                    let text = protocol::event(&topic, event.seq, event.change.name(), &data);
                    Frame {
                        topic: topic.clone(),
                        seq: event.seq,
                        text: text.into(),
                        ends: false,
                    }
                });
                self.deliver(&mut subs, frame);
            }
        }
    }

    fn deliver(&self, subs: &mut Vec<Sub>, frame: &Frame) {
        subs.retain(|s| !s.tx.is_closed());
        for s in subs.iter() {
            if s.push(frame.clone()) {
                self.stats.delivered.fetch_add(1, Ordering::Relaxed);
            }
        }
    }

    /// The hub fell behind the bus and events were lost for everyone:
    /// every event subscriber must refetch and subscribe again.
    fn lost(&self, missed: u64) {
        tracing::warn!(
            missed,
            "the push hub lagged behind the event bus; asking subscribers to resync"
        );
        resync_all(&self.bookings);
        resync_all(&self.users);
        for tx in self.changes.iter() {
            tx.send_modify(|_| {});
        }
    }
}

fn remove<K: std::hash::Hash + Eq + Clone>(map: &DashMap<K, Vec<Sub>>, key: &K, conn: u64) {
    if let Some(mut subs) = map.get_mut(key) {
        subs.retain(|s| s.conn != conn);
    }
    map.remove_if(key, |_, subs| subs.is_empty());
}

fn resync_all<K: std::hash::Hash + Eq + Clone>(map: &DashMap<K, Vec<Sub>>) {
    for subs in map.iter() {
        for s in subs.iter() {
            s.push(Frame {
                topic: s.topic.clone(),
                seq: 0,
                text: protocol::resync(&s.topic).into(),
                ends: true,
            });
        }
    }
    map.clear();
}
