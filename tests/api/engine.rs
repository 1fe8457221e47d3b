//! The engine end to end: real actors, the real writer, a real store.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use booking_engine::actors::messages::{GetBooking, PlaceHold};
use booking_engine::actors::{Engine, EngineError, EngineOptions, TokioClock, new_id};
use booking_engine::domain::{self, Caller, Change, DomainError, HoldId, Reply};
use booking_engine::store::{EngineKind, KvEngine, Op, RedbEngine, Store, StoreError, Table};
use futures::future::join_all;
use jiff::Timestamp;

use crate::helpers::*;

async fn race(
    engine: &Engine,
    venue: &domain::VenueId,
    racers: usize,
    start: Timestamp,
    party: u32,
) -> (usize, usize) {
    let attempts =
        (0..racers).map(|i| engine.execute(venue, booking(&format!("racer{i}"), start, party)));
    let results = join_all(attempts).await;
    let won = results.iter().filter(|r| r.is_ok()).count();
    let lost = results
        .iter()
        .filter(|r| matches!(r, Err(EngineError::Domain(DomainError::SlotUnavailable))))
        .count();
    (won, lost)
}

#[actix_rt::test]
async fn a_hundred_racers_for_the_last_table_give_one_booking_and_99_refusals() {
    for kind in [EngineKind::Redb, EngineKind::Sled] {
        let t = start_engine(kind, options(2));
        let venue = venue(&t.engine, one_table()).await;
        let start = evening(t.engine.now(), 3);
        assert_eq!(
            race(&t.engine, &venue, 100, start, 2).await,
            (1, 99),
            "{kind:?}"
        );
        let stored = t.engine.store().load_venue(&venue).unwrap().unwrap();
        assert_eq!(stored.bookings.len(), 1, "{kind:?}");
    }
}

#[actix_rt::test]
async fn forty_racers_for_a_shared_pool_of_ten_give_exactly_ten() {
    let t = start_engine(EngineKind::Redb, options(2));
    let venue = venue(&t.engine, bar_only(10)).await;
    let start = evening(t.engine.now(), 3);
    assert_eq!(race(&t.engine, &venue, 40, start, 1).await, (10, 30));
}

#[actix_rt::test]
async fn a_burst_of_a_thousand_bookings_costs_a_handful_of_syncs() {
    let t = start_engine(EngineKind::Redb, options(2));
    let venue = venue(&t.engine, bar_only(1000)).await;
    let start = evening(t.engine.now(), 3);
    let before = t.engine.stats().syncs.load(Ordering::Relaxed);
    assert_eq!(race(&t.engine, &venue, 1000, start, 1).await, (1000, 0));
    let syncs = t.engine.stats().syncs.load(Ordering::Relaxed) - before;
    assert!(syncs <= 100, "1,000 bookings took {syncs} syncs");
}

#[actix_rt::test]
async fn events_are_published_in_seq_order_only_once_stored() {
    let t = start_engine(EngineKind::Redb, options(2));
    let mut bus = t.engine.subscribe();
    let venue = venue(&t.engine, bar_only(100)).await;
    let start = evening(t.engine.now(), 3);
    let store = t.engine.store().clone();
    let watcher = tokio::spawn(async move {
        let mut seqs = Vec::new();
        while seqs.len() < 51 {
            let event = bus.recv().await.unwrap();
            // Published only after the sync: the store already has it.
            let stored = store
                .events_after(&event.venue_id, event.seq - 1, 1)
                .unwrap();
            assert_eq!(stored.first().map(|e| e.seq), Some(event.seq));
            seqs.push(event.seq);
        }
        seqs
    });
    assert_eq!(race(&t.engine, &venue, 50, start, 1).await, (50, 0));
    let seqs = watcher.await.unwrap();
    assert_eq!(seqs, (1..=51).collect::<Vec<u64>>());
}

#[actix_rt::test]
async fn an_expired_hold_is_pushed_and_its_capacity_comes_back_by_the_venues_own_timer() {
    tokio::time::pause();
    let clock = Arc::new(TokioClock::starting_at(Timestamp::now()));
    let t = start_engine_with(EngineKind::Redb, options(0), clock);
    let venue = venue(&t.engine, one_table()).await;
    let start = evening(t.engine.now(), 3);
    let mut bus = t.engine.subscribe();
    let hold = domain::PlaceHold {
        id: HoldId::from(new_id().as_str()),
        caller: Caller::user("ann"),
        start,
        party_size: 2,
        ttl_seconds: t.engine.hold_ttl_seconds(),
    };
    t.engine
        .execute(
            &venue,
            PlaceHold {
                hold: hold.clone(),
                record: None,
            },
        )
        .await
        .unwrap();
    let full = availability_on_day_of(&t.engine, &venue, start).await;
    assert!(full.iter().any(|s| s.start == start && s.max_party == 0));
    assert_eq!(bus.recv().await.unwrap().change.name(), "hold.created");

    // Nothing but the passing of (paused) time: the venue's timer fires.
    tokio::time::advance(Duration::from_secs(301)).await;
    let event = bus.recv().await.unwrap();
    assert!(
        matches!(event.change, Change::HoldExpired(ref h) if h.id == hold.id),
        "{event:?}"
    );

    let free = availability_on_day_of(&t.engine, &venue, start).await;
    assert!(free.iter().any(|s| s.start == start && s.max_party == 4));
    let stored = t.engine.store().load_venue(&venue).unwrap().unwrap();
    assert_eq!(stored.holds[0].status, domain::HoldStatus::Expired);
}

#[actix_rt::test]
async fn an_idle_venue_leaves_memory_and_comes_back_from_the_store_intact() {
    tokio::time::pause();
    let clock = Arc::new(TokioClock::starting_at(Timestamp::now()));
    let opts = EngineOptions {
        idle_after: Duration::from_secs(60),
        ..options(0)
    };
    let t = start_engine_with(EngineKind::Redb, opts, clock);
    let venue = venue(&t.engine, one_table()).await;
    let start = evening(t.engine.now(), 3);
    let Reply::Booking(booked) = t
        .engine
        .execute(&venue, booking("ann", start, 2))
        .await
        .unwrap()
    else {
        panic!()
    };
    assert_eq!(t.engine.resident_venues(), 1);

    tokio::time::sleep(Duration::from_secs(120)).await;
    assert_eq!(t.engine.resident_venues(), 0);

    let again = t
        .engine
        .ask(
            &venue,
            GetBooking {
                id: booked.id.clone(),
                caller: Caller::user("ann"),
            },
        )
        .await
        .unwrap();
    assert_eq!(again.unwrap(), booked);
    assert_eq!(t.engine.resident_venues(), 1);
    // Its capacity is still taken after the round trip.
    let refused = t.engine.execute(&venue, booking("bob", start, 2)).await;
    assert!(
        matches!(
            refused,
            Err(EngineError::Domain(DomainError::SlotUnavailable))
        ),
        "{refused:?}"
    );
}

/// A real redb engine whose commits can be made to fail, as a full disk would.
struct FailingDisk {
    inner: RedbEngine,
    broken: Arc<AtomicBool>,
}

impl KvEngine for FailingDisk {
    fn apply(&self, ops: &[Op]) -> Result<(), StoreError> {
        if self.broken.load(Ordering::SeqCst) {
            return Err(StoreError::Engine("No space left on device".into()));
        }
        self.inner.apply(ops)
    }
    fn get(&self, table: Table, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.inner.get(table, key)
    }
    fn scan(
        &self,
        table: Table,
        from: &[u8],
        to: &[u8],
        visit: &mut dyn FnMut(&[u8], &[u8]) -> bool,
    ) -> Result<(), StoreError> {
        self.inner.scan(table, from, to, visit)
    }
    fn name(&self) -> &'static str {
        "redb"
    }
}

#[actix_rt::test]
async fn after_a_failed_sync_nothing_more_is_acknowledged_and_the_engine_is_not_ready() {
    let dir = tempfile::tempdir().unwrap();
    let broken = Arc::new(AtomicBool::new(false));
    let kv = FailingDisk {
        inner: RedbEngine::open(&dir.path().join("db.redb")).unwrap(),
        broken: broken.clone(),
    };
    let engine = Engine::start(
        Store::with_engine(Box::new(kv), 100),
        Arc::new(booking_engine::actors::SystemClock),
        options(2),
    );
    let venue = venue(&engine, bar_only(10)).await;
    let start = evening(engine.now(), 3);
    engine
        .execute(&venue, booking("ann", start, 1))
        .await
        .unwrap();
    assert!(engine.is_ready());

    broken.store(true, Ordering::SeqCst);
    let failed = engine.execute(&venue, booking("bob", start, 1)).await;
    assert!(
        matches!(failed, Err(EngineError::Unavailable)),
        "{failed:?}"
    );
    assert!(!engine.is_ready());

    // Even with the disk back, the engine refuses rather than store changes
    // made after the failure.
    broken.store(false, Ordering::SeqCst);
    let refused = engine.execute(&venue, booking("cat", start, 1)).await;
    assert!(
        matches!(refused, Err(EngineError::Unavailable)),
        "{refused:?}"
    );
    let stored = engine.store().load_venue(&venue).unwrap().unwrap();
    assert_eq!(stored.bookings.len(), 1);
}
