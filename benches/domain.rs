//! The domain alone: placing bookings, and a day's availability for a venue
//! with 30 tables. `cargo bench --bench domain`

use std::hint::black_box;

use booking_engine::demo;
use booking_engine::domain::{
    BookingId, BookingTarget, Caller, Command, CreateBooking, Venue, VenueId,
};
use criterion::{BatchSize, Criterion, Throughput, criterion_group, criterion_main};
use jiff::{SignedDuration, Timestamp};

const BATCH: usize = 1000;

fn now() -> Timestamp {
    "2026-12-01T09:00:00+08:00".parse().unwrap()
}

fn venue(tables: usize) -> Venue {
    Venue::create(VenueId::from("bench"), demo::tables_settings(tables), now())
        .unwrap()
        .0
}

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

fn place_bookings(c: &mut Criterion) {
    let empty = venue(30);
    let mut group = c.benchmark_group("domain");
    group.throughput(Throughput::Elements(BATCH as u64));
    group.bench_function("place 1000 bookings, 30 tables", |b| {
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
    group.finish();
}

fn availability(c: &mut Criterion) {
    let mut venue = venue(30);
    // Half the tables taken at every window of the first day.
    for (i, command) in bookings(75).into_iter().enumerate() {
        let Command::CreateBooking(mut b) = command else {
            unreachable!()
        };
        b.target = BookingTarget::Start {
            start: start(i % 5),
            party_size: 2,
        };
        assert!(
            venue
                .execute(Command::CreateBooking(b), now())
                .reply
                .is_ok()
        );
    }
    let date = jiff::civil::date(2026, 12, 2);
    assert_eq!(venue.availability(date, 2, now()).len(), 22);
    c.bench_function("domain/availability of a day, 30 tables", |b| {
        b.iter(|| black_box(venue.availability(black_box(date), 2, now())))
    });
}

criterion_group!(benches, place_bookings, availability);
criterion_main!(benches);
