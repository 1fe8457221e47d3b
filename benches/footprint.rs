//! One-shot measurements that criterion's repetition does not suit:
//! recovery time for 100,000 and 1,000,000 stored bookings, and memory of
//! 100,000 resident venues. `cargo bench --bench footprint`
//! (`-- quick` for 100,000 bookings and 10,000 venues only, `-- recovery`
//! for the 1,000,000-booking recovery only).

use std::sync::Arc;
use std::time::Instant;

use booking_engine::actors::{Engine, EngineOptions};
use booking_engine::clock::SystemClock;
use booking_engine::demo;
use booking_engine::domain::{
    BookingId, BookingTarget, Caller, Command, CreateBooking, Resource, ResourceId, ResourceMode,
    Transition, Venue, VenueId,
};
use booking_engine::store::{Commit, EngineKind, Storage, Store, StoreOptions};
use jiff::{SignedDuration, Timestamp};

#[path = "support/counting.rs"]
mod counting;

use counting::live;

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

fn now() -> Timestamp {
    "2026-12-01T09:00:00+08:00".parse().unwrap()
}

/// An id as the engine makes them (a UUID), numbered: `kind` tells
/// venues, bookings and users apart.
fn engine_id(kind: u8, n: usize) -> String {
    uuid::Uuid::from_u128(((kind as u128) << 120) | n as u128).to_string()
}

/// A venue able to take 1,000 bookings at a handful of starts.
fn venue_settings() -> booking_engine::domain::VenueSettings {
    let mut s = demo::restaurant_settings(Vec::new());
    s.resources = vec![Resource {
        id: ResourceId::from("hall"),
        name: "Hall".into(),
        capacity: 1000,
        min_party: 1,
        mode: ResourceMode::Shared,
    }];
    s
}

/// Stores `bookings` bookings over 1,000 venues (1,000 each at most);
/// checkpoints before the last `tail` venues' when `tail` is given.
fn fill(store: &Store, bookings: usize, tail: Option<usize>) {
    let venues = bookings.div_ceil(1000);
    let mut pending: Vec<Commit> = Vec::new();
    for v in 0..venues {
        if tail.is_some_and(|t| v + t == venues) {
            store.append(std::mem::take(&mut pending)).unwrap();
            store.checkpoint().unwrap();
        }
        let (mut venue, created) = Venue::create(
            VenueId::from(engine_id(1, v).as_str()),
            venue_settings(),
            now(),
        )
        .unwrap();
        pending.push(Commit {
            events: vec![created],
            aux: vec![],
        });
        let base: Timestamp = "2026-12-02T17:00:00+08:00".parse().unwrap();
        for i in 0..1000.min(bookings - v * 1000) {
            let start = base + SignedDuration::from_hours(24 * (i % 50) as i64);
            let cmd = Command::CreateBooking(CreateBooking {
                guest: Default::default(),
                account: Default::default(),
                channel: Default::default(),
                service_id: None,
                override_pacing: false,
                id: BookingId::from(engine_id(2, v * 1000 + i).as_str()),
                caller: Caller::user(engine_id(3, i % 97).as_str()),
                target: BookingTarget::Start {
                    start,
                    party_size: 2,
                },
                note: (i % 4 == 0).then(|| "window seat".to_string()),
            });
            let out = venue.execute(cmd, now());
            assert!(out.reply.is_ok(), "{:?}", out.reply);
            pending.push(Commit {
                events: out.events,
                aux: vec![],
            });
        }
        if pending.len() >= 20_000 {
            store.append(std::mem::take(&mut pending)).unwrap();
        }
    }
    store.append(pending).unwrap();
}

/// The environment that makes this bench play the child of `recovery`.
const CHILD: &str = "FOOTPRINT_RECOVERY_CHILD";

/// Venues (of 1,000 bookings) written after the last checkpoint: about 5 s
/// of bookings at the spread load's rate, the default checkpoint interval.
const TAIL_VENUES: usize = 50;

/// In the child: store the bookings with a checkpoint before the last
/// `TAIL_VENUES` venues, then end on the spot, as a killed server would
/// (no shutdown checkpoint).
fn fill_then_die(dir: &str, bookings: usize) -> ! {
    let options = StoreOptions {
        checkpoint_every: std::time::Duration::from_secs(3600),
        ..StoreOptions::default()
    };
    let store = Store::open_with(EngineKind::Redb, std::path::Path::new(dir), options).unwrap();
    let started = Instant::now();
    fill(&store, bookings, Some(TAIL_VENUES.min(bookings / 2000)));
    println!(
        "stored {bookings} bookings in {:.1} s",
        started.elapsed().as_secs_f64()
    );
    std::process::exit(0);
}

fn recovery(bookings: usize) {
    let dir = tempfile::tempdir().unwrap();
    let status = std::process::Command::new(std::env::current_exe().unwrap())
        .env(CHILD, format!("{}:{bookings}", dir.path().display()))
        .status()
        .unwrap();
    assert!(status.success(), "the child failed to store: {status}");
    // What the server does at start: open the store (replaying the log's
    // tail), then the engine's warm-up activates every venue as an actor.
    let system = actix_rt::System::new();
    let (opened, elapsed, venues) = system.block_on(async {
        let started = Instant::now();
        let store = Store::open(EngineKind::Redb, dir.path(), 10_000).unwrap();
        let opened = started.elapsed();
        let engine = Engine::start(store, Arc::new(SystemClock), EngineOptions::default());
        let venues = engine.warm_up().await.unwrap();
        let elapsed = started.elapsed();
        engine.shutdown().await;
        (opened, elapsed, venues)
    });
    // Every booking is there; and the same rebuild in one thread, from
    // the store alone, for comparison.
    let store = Store::open(EngineKind::Redb, dir.path(), 10_000).unwrap();
    let started = Instant::now();
    let all = store.load_all().unwrap();
    let alone = started.elapsed();
    let count: usize = all.iter().map(|v| v.bookings().count()).sum();
    assert_eq!((count, venues), (bookings, bookings.div_ceil(1000)));
    let tail = TAIL_VENUES.min(bookings / 2000) * 1000;
    println!(
        "recovery: {bookings} bookings in {venues} venues ({tail} of them in the log after the \
         last checkpoint) open and every venue resident in {:.3} s ({:.3} s to open and replay \
         the log, {:.0} bookings/s); rebuilding them from the store in one thread, \
         without actors: {:.3} s",
        elapsed.as_secs_f64(),
        opened.as_secs_f64(),
        bookings as f64 / elapsed.as_secs_f64(),
        alone.as_secs_f64()
    );
}

/// One venue over `days` days of 100 bookings a day, each booked the day
/// before, half completed and half cancelled once over: the heap of the
/// venue (counting allocator) as history grows. Finished bookings leave
/// memory two days after their end, so the figure should stay flat.
fn venue_over_history(days: usize) {
    let base: Timestamp = "2026-12-01T09:00:00+08:00".parse().unwrap();
    let day = |d: usize| base + SignedDuration::from_hours(24 * d as i64);
    let before = live();
    let (mut venue, _) =
        Venue::create(VenueId::from("venue-history"), venue_settings(), base).unwrap();
    let mut n = 0usize;
    let mut marks = Vec::new();
    for d in 0..days {
        let now = day(d);
        for i in 0..100 {
            let id = BookingId::from(format!("b{n:07}").as_str());
            n += 1;
            let start = day(d + 1)
                + SignedDuration::from_hours(8)
                + SignedDuration::from_mins(30 * (i % 6));
            let out = venue.execute(
                Command::CreateBooking(CreateBooking {
                    guest: Default::default(),
                    account: Default::default(),
                    channel: Default::default(),
                    service_id: None,
                    override_pacing: false,
                    id,
                    caller: Caller::user(format!("user-{}", i % 97).as_str()),
                    target: BookingTarget::Start {
                        start,
                        party_size: 2,
                    },
                    note: (i % 4 == 0).then(|| "window seat".to_string()),
                }),
                now,
            );
            assert!(out.reply.is_ok(), "{:?}", out.reply);
        }
        // Yesterday's bookings: half completed, half cancelled.
        if d > 0 {
            for k in n - 200..n - 100 {
                let id = BookingId::from(format!("b{k:07}").as_str());
                let steps: &[Transition] = if k % 2 == 0 {
                    &[Transition::Seat, Transition::Complete]
                } else {
                    &[Transition::Cancel]
                };
                for to in steps {
                    let out = venue.execute(
                        Command::Transition {
                            id: id.clone(),
                            caller: Caller::admin("admin"),
                            to: *to,
                        },
                        now + SignedDuration::from_hours(8),
                    );
                    assert!(out.reply.is_ok(), "{:?}", out.reply);
                }
            }
        }
        if [100, 250, 365, 500, 1000].contains(&(d + 1)) {
            let (resident, _) = venue.resident();
            marks.push((n, resident, live() - before));
        }
    }
    for (booked, resident, bytes) in marks {
        println!(
            "venue over history: {booked} bookings made, {resident} resident, heap {:.1} KiB",
            bytes as f64 / 1024.0
        );
    }
}

fn resident_venues(n: usize) {
    // The domain state alone.
    let before = live();
    let venues: Vec<Venue> = (0..n)
        .map(|i| {
            Venue::create(
                VenueId::from(format!("venue-{i:07}").as_str()),
                demo::restaurant_settings(Vec::new()),
                now(),
            )
            .unwrap()
            .0
        })
        .collect();
    let domain_bytes = (live() - before) as f64 / n as f64;
    drop(venues);

    // Whole actors, activated from a store by the engine's warm-up.
    let dir = tempfile::tempdir().unwrap();
    {
        let store = Store::open(EngineKind::Redb, dir.path(), 10_000).unwrap();
        let commits: Vec<Commit> = (0..n)
            .map(|i| Commit {
                events: vec![
                    Venue::create(
                        VenueId::from(format!("venue-{i:07}").as_str()),
                        demo::restaurant_settings(Vec::new()),
                        now(),
                    )
                    .unwrap()
                    .1,
                ],
                aux: vec![],
            })
            .collect();
        store.append(commits).unwrap();
    }
    let system = actix_rt::System::new();
    system.block_on(async {
        let store = Store::open(EngineKind::Redb, dir.path(), 10_000).unwrap();
        let engine = Engine::start(store, Arc::new(SystemClock), EngineOptions::default());
        let before = live();
        let started = Instant::now();
        assert_eq!(engine.warm_up().await.unwrap(), n);
        let elapsed = started.elapsed();
        let actor_bytes = (live() - before) as f64 / n as f64;
        println!(
            "memory: {n} resident venues: {:.0} bytes each as actors (heap, including the store's read cache), {domain_bytes:.0} bytes of domain state each; activated in {:.2} s",
            actor_bytes,
            elapsed.as_secs_f64()
        );
        engine.shutdown().await;
    });
}

fn main() {
    if let Ok(child) = std::env::var(CHILD) {
        let (dir, bookings) = child.rsplit_once(':').unwrap();
        fill_then_die(dir, bookings.parse().unwrap());
    }
    // `cargo bench` passes `--bench`; anything else named `quick` shortens the run.
    let quick = std::env::args().any(|a| a == "quick");
    // `-- recovery`: only the 1,000,000-booking recovery (to profile it).
    if std::env::args().any(|a| a == "recovery") {
        recovery(1_000_000);
        return;
    }
    recovery(100_000);
    if !quick {
        recovery(1_000_000);
    }
    venue_over_history(if quick { 365 } else { 1000 });
    resident_venues(if quick { 10_000 } else { 100_000 });
}
