//! The engine end to end: real actors, the real writer, a real store.

use std::sync::Arc;
use std::sync::atomic::Ordering;
use std::time::Duration;

use booking_engine::actors::messages::GetBooking;
use booking_engine::actors::{Engine, EngineError, EngineOptions};
use booking_engine::clock::TokioClock;
use booking_engine::domain::{self, Caller, Change, DomainError, HoldId, Reply};
use booking_engine::ids::new_id;
use booking_engine::store::{EngineKind, Store};
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
    // The log's sync can be quicker than a venue's turn (tmpfs), and then
    // each commit gets its own: hold the writer (as a slow disk would)
    // while the venue applies the burst, so what waits is one group.
    let (release, held) = std::sync::mpsc::channel::<()>();
    t.engine.writer().exclusive(Box::new(move |_| {
        let _ = held.recv_timeout(Duration::from_secs(10));
    }));
    let releaser = tokio::spawn(async move {
        tokio::time::sleep(Duration::from_millis(500)).await;
        let _ = release.send(());
    });
    assert_eq!(race(&t.engine, &venue, 1000, start, 1).await, (1000, 0));
    releaser.await.unwrap();
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
        service_id: None,
        override_pacing: false,
    };
    t.engine
        .execute(&venue, domain::Command::PlaceHold(hold.clone()))
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
    assert_eq!(again.unwrap().0, booked);
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

#[actix_rt::test]
async fn after_a_failed_sync_nothing_refused_stays_and_a_probe_lets_writes_back() {
    use booking_engine::store::StoreOptions;
    use booking_engine::store::faults::{Fault, FaultSwitch};
    let dir = tempfile::tempdir().unwrap();
    let disk = FaultSwitch::default();
    let store = Store::open_with(
        EngineKind::Redb,
        dir.path(),
        StoreOptions {
            keep_events: 100,
            faults: Some(disk.clone()),
            ..StoreOptions::default()
        },
    )
    .unwrap();
    let engine = Engine::start(
        store,
        Arc::new(booking_engine::clock::SystemClock),
        options(2),
    );
    let venue = venue(&engine, bar_only(2)).await;
    let start = evening(engine.now(), 3);
    engine
        .execute(&venue, booking("ann", start, 1))
        .await
        .unwrap();
    assert!(engine.is_ready());

    disk.fail_until_cleared(Fault::NoSpace);
    let failed = engine.execute(&venue, booking("bob", start, 1)).await;
    assert!(
        matches!(failed, Err(EngineError::Unavailable)),
        "{failed:?}"
    );
    assert!(!engine.is_ready());
    // The refused booking left no trace: its seat is free in memory too.
    let free = engine
        .ask(
            &venue,
            booking_engine::actors::messages::GetAvailability {
                date: engine
                    .store()
                    .load_venue(&venue)
                    .unwrap()
                    .unwrap()
                    .settings
                    .local_date(start),
                party_size: 1,
                service_id: None,
            },
        )
        .await
        .unwrap()
        .unwrap();
    let slot = free.0.iter().find(|s| s.start == start).unwrap();
    assert_eq!(slot.max_party, 1, "one seat of two is taken, by ann only");

    // While the disk is full, everything is refused.
    let refused = engine.execute(&venue, booking("cat", start, 1)).await;
    assert!(
        matches!(refused, Err(EngineError::Unavailable)),
        "{refused:?}"
    );

    // Space is back: a probe succeeds within a few seconds and writes resume.
    disk.clear();
    let mut ready = false;
    for _ in 0..100 {
        if engine.is_ready() {
            ready = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    assert!(ready, "the engine accepts writes again once the disk does");
    engine
        .execute(&venue, booking("dan", start, 1))
        .await
        .unwrap();
    let stored = engine.store().load_venue(&venue).unwrap().unwrap();
    let users: Vec<_> = stored
        .bookings
        .iter()
        .map(|b| b.user_id.as_ref().unwrap().to_string())
        .collect();
    assert_eq!(users.len(), 2, "{users:?}");
    assert!(!users.contains(&"bob".to_string()) && !users.contains(&"cat".to_string()));
}
