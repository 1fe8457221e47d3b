//! Bookings per second through the engine (actors, group commit, store):
//! through one venue, and spread over 1,000 venues, on redb in memory (the
//! engine and its log on tmpfs: no disk), redb on disk, and sled. `cargo bench --bench engine`

use std::sync::Arc;
use std::time::{Duration, Instant};

use booking_engine::actors::{Engine, EngineOptions};
use booking_engine::clock::SystemClock;
use booking_engine::demo;
use booking_engine::domain::{
    self, BookingId, BookingTarget, Caller, Resource, ResourceId, ResourceMode, VenueId,
    VenueSettings,
};
use booking_engine::ids::new_id;
use booking_engine::store::{EngineKind, RedbEngine, Store, StoreOptions};
use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use futures::future::join_all;
use jiff::{SignedDuration, Timestamp};

/// Bookings in flight per measured round.
const ROUND: usize = 20_000;

/// Ten shared rooms of 1,000: room for every booking of a round at few starts.
fn roomy() -> VenueSettings {
    let mut s = demo::restaurant_settings(Vec::new());
    s.resources = (0..10)
        .map(|i| Resource {
            id: ResourceId::from(format!("hall{i}").as_str()),
            name: format!("Hall {i}"),
            capacity: 1000,
            min_party: 1,
            mode: ResourceMode::Shared,
        })
        .collect();
    s
}

/// Start `i` of 5 windows a day over the next 10 days, from tomorrow.
fn start(now: Timestamp, i: usize) -> Timestamp {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let tomorrow = now.to_zoned(tz.clone()).date().tomorrow().unwrap();
    let midnight = tomorrow.to_zoned(tz).unwrap().timestamp();
    let window = [11 * 60, 12 * 60 + 30, 17 * 60, 18 * 60 + 30, 20 * 60][i % 5];
    midnight
        + SignedDuration::from_hours(24 * ((i / 5) % 10) as i64)
        + SignedDuration::from_mins(window)
}

fn store(kind: &str, dir: &std::path::Path) -> Store {
    match kind {
        // The log on tmpfs when there is one: syncs cost nothing there.
        "memory" => {
            let shm = std::path::Path::new("/dev/shm");
            let log = if shm.is_dir() {
                shm.join(format!("booking-bench-{}", new_id()))
            } else {
                dir.join("log")
            };
            Store::with_engine(
                Box::new(RedbEngine::in_memory().unwrap()),
                &log,
                StoreOptions::default(),
            )
            .unwrap()
        }
        "redb" => Store::open(EngineKind::Redb, dir, 10_000).unwrap(),
        _ => Store::open(EngineKind::Sled, dir, 10_000).unwrap(),
    }
}

/// Runs `ROUND` concurrent bookings over `venues` fresh venues; returns the time taken.
async fn round(engine: &Engine, venues: usize) -> Duration {
    let mut ids: Vec<VenueId> = Vec::with_capacity(venues);
    for chunk in (0..venues).collect::<Vec<_>>().chunks(250) {
        let created = join_all(chunk.iter().map(|_| engine.create_venue(roomy()))).await;
        ids.extend(created.into_iter().map(|r| r.unwrap().0));
    }
    let now = engine.now();
    let messages: Vec<(VenueId, domain::Command)> = (0..ROUND)
        .map(|i| {
            let booking = domain::CreateBooking {
                guest: Default::default(),
                account: Default::default(),
                channel: Default::default(),
                service_id: None,
                override_pacing: false,
                id: BookingId::from(new_id().as_str()),
                caller: Caller::user("bench"),
                target: BookingTarget::Start {
                    start: start(now, i / venues),
                    party_size: 1,
                },
                note: None,
            };
            (
                ids[i % venues].clone(),
                domain::Command::CreateBooking(booking),
            )
        })
        .collect();
    let started = Instant::now();
    let results = join_all(
        messages
            .into_iter()
            .map(|(v, m)| async move { engine.execute(&v, m).await }),
    )
    .await;
    let elapsed = started.elapsed();
    let failed = results.iter().filter(|r| r.is_err()).count();
    assert_eq!(failed, 0, "{:?}", results.iter().find(|r| r.is_err()));
    elapsed
}

fn engine_bench(c: &mut Criterion) {
    let mut group = c.benchmark_group("engine");
    group.throughput(Throughput::Elements(ROUND as u64));
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(15));
    for kind in ["memory", "redb", "sled"] {
        for venues in [1, 1000] {
            let system = actix_rt::System::new();
            let dir = tempfile::tempdir().unwrap();
            let engine = system.block_on(async {
                Arc::new(Engine::start(
                    store(kind, dir.path()),
                    Arc::new(SystemClock),
                    EngineOptions::default(),
                ))
            });
            let name = format!("{kind}, {venues} venue(s), {ROUND} bookings");
            group.bench_function(name, |b| {
                b.iter_custom(|iters| {
                    let engine = engine.clone();
                    system.block_on(async move {
                        let mut total = Duration::ZERO;
                        for _ in 0..iters {
                            total += round(&engine, venues).await;
                        }
                        total
                    })
                })
            });
            system.block_on(async { engine.shutdown().await });
        }
    }
    group.finish();
}

criterion_group!(benches, engine_bench);
criterion_main!(benches);
