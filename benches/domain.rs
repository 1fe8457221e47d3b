//! The domain alone: placing bookings, and a day's availability for a venue
//! with 30 tables, plain and with the floor rules of API v1.1 §4 (15 table
//! pairs combinable for 5-8, pacing of 40 covers per 15 minutes), in the
//! same run so the ratio is what to read. `cargo bench --bench domain`

use std::hint::black_box;

use booking_engine::demo;
use booking_engine::domain::{
    BookingId, BookingTarget, Caller, Combination, Command, CreateBooking, Pacing, ResourceId,
    Venue, VenueId,
};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};

#[path = "support/counting.rs"]
mod counting;

#[global_allocator]
static GLOBAL: counting::Counting = counting::Counting;

const BATCH: usize = 1000;

fn now() -> Timestamp {
    "2026-12-01T09:00:00+08:00".parse().unwrap()
}

fn venue(tables: usize, floor: bool) -> Venue {
    let mut settings = demo::tables_settings(tables);
    if floor {
        settings.combinations = (0..tables / 2)
            .map(|i| Combination {
                id: ResourceId::from(format!("t{}+t{}", 2 * i, 2 * i + 1).as_str()),
                resources: vec![
                    ResourceId::from(format!("t{}", 2 * i).as_str()),
                    ResourceId::from(format!("t{}", 2 * i + 1).as_str()),
                ],
                min_party: 5,
                capacity: 8,
            })
            .collect();
        settings.pacing = Some(Pacing {
            minutes: 15,
            max_covers: 40,
        });
    }
    Venue::create(VenueId::from("bench"), settings, now())
        .unwrap()
        .0
}

/// The two venues every figure is taken for.
const FLOORS: [(&str, bool); 2] = [("plain", false), ("combinations+pacing", true)];

/// Non-overlapping 90-minute windows of the demo hours: 11:00, 12:30,
/// 17:00, 18:30, 20:00, over the next 60 days.
fn start(i: usize) -> Timestamp {
    let day: Timestamp = "2026-12-02T00:00:00+08:00".parse().unwrap();
    let window = [11 * 60, 12 * 60 + 30, 17 * 60, 18 * 60 + 30, 20 * 60][i % 5];
    day + SignedDuration::from_hours(24 * ((i / 5) % 60) as i64) + SignedDuration::from_mins(window)
}

fn bookings(n: usize) -> Vec<Command> {
    (0..n)
        .map(|i| {
            Command::CreateBooking(CreateBooking {
                guest: Default::default(),
                account: Default::default(),
                channel: Default::default(),
                service_id: None,
                override_pacing: false,
                id: BookingId::from(format!("b{i:08}").as_str()),
                caller: Caller::user("bench"),
                target: BookingTarget::Start {
                    start: start(i),
                    party_size: 2,
                },
                note: None,
            })
        })
        .collect()
}

/// Allocation calls per booking placed and per day of availability, for
/// each floor: counts that the machine's noise cannot move.
fn allocations() {
    for (name, floor) in FLOORS {
        let mut venue = venue(30, floor);
        let commands = bookings(BATCH);
        let before = counting::calls();
        for command in commands {
            black_box(venue.execute(command, now()));
        }
        let per_booking = (counting::calls() - before) as f64 / BATCH as f64;
        let date = jiff::civil::date(2026, 12, 2);
        let before = counting::calls();
        black_box(venue.availability(date, 2, None, now()).unwrap());
        let per_day = counting::calls() - before;
        eprintln!(
            "allocations, 30 tables, {name}: {per_booking:.1} per booking placed, {per_day} per day of availability"
        );
    }
}

fn place_bookings(c: &mut Criterion) {
    allocations();
    let mut group = c.benchmark_group("domain");
    group.throughput(Throughput::Elements(BATCH as u64));
    for (name, floor) in FLOORS {
        let empty = venue(30, floor);
        group.bench_function(format!("place 1000 bookings, 30 tables, {name}"), |b| {
            b.iter_batched(
                || (empty.clone(), bookings(BATCH)),
                |(mut venue, commands)| {
                    for command in commands {
                        let out = venue.execute(command, now());
                        assert!(out.reply.is_ok());
                        black_box(out);
                    }
                    venue
                },
                BatchSize::LargeInput,
            )
        });
    }
    group.finish();
}

fn availability(c: &mut Criterion) {
    for (name, floor) in FLOORS {
        let mut venue = venue(30, floor);
        // Half the tables taken at every window of the first day.
        for (i, command) in bookings(75).into_iter().enumerate() {
            let Command::CreateBooking(mut b) = command else {
                unreachable!()
            };
            b.target = BookingTarget::Start {
                start: start(i % 5),
                party_size: 2,
            };
            let out = venue.execute(Command::CreateBooking(b), now());
            assert!(out.reply.is_ok(), "{:?}", out.reply);
        }
        let date = jiff::civil::date(2026, 12, 2);
        assert_eq!(venue.availability(date, 2, None, now()).unwrap().len(), 22);
        c.bench_function(
            &format!("domain/availability of a day, 30 tables, {name}"),
            |b| b.iter(|| black_box(venue.availability(black_box(date), 2, None, now()))),
        );
    }
}

criterion_group!(benches, place_bookings, availability);
criterion_main!(benches);
