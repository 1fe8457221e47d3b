//! Recovery: what was acknowledged is exactly what comes back, for both
//! engines, after a process that dies without any clean shutdown.

use booking_engine::actors::Engine;
use booking_engine::demo;
use booking_engine::domain::{
    self, Booking, BookingId, BookingTarget, Caller, Command, CreateBooking, Hold, HoldId,
    PlaceHold, Reschedule, Transition, Venue, VenueId,
};
use booking_engine::store::{Commit, EngineKind, Storage, Store};
use jiff::{SignedDuration, Timestamp};

use crate::helpers::*;

/// A deterministic history: two venues, bookings, holds, a conversion, a
/// cancellation, a reschedule and a venue change; returns the venues and
/// the commits (in order) that produced them.
fn history() -> (Vec<Venue>, Vec<Commit>) {
    let now: Timestamp = "2026-12-20T09:00:00+08:00".parse().unwrap();
    let mut commits = Vec::new();
    let mut venues = Vec::new();
    for v in 0..2 {
        let id = VenueId::from(format!("venue-{v}").as_str());
        let (mut venue, created) =
            Venue::create(id, demo::restaurant_settings(Vec::new()), now).unwrap();
        commits.push(Commit {
            events: vec![created],
            aux: vec![],
        });
        let mut run = |venue: &mut Venue, cmd: Command| {
            let out = venue.execute(cmd, now);
            assert!(out.reply.is_ok(), "{:?}", out.reply);
            commits.push(Commit {
                events: out.events,
                aux: vec![],
            });
        };
        for i in 0..40u32 {
            // At most two bookings share a day and a time: always room.
            let time = ["17:00", "18:30", "20:00"][(i / 8 % 3) as usize];
            let start: Timestamp = format!("2026-12-{:02}T{time}:00+08:00", 21 + i % 8)
                .parse()
                .unwrap();
            let target = BookingTarget::Start {
                start,
                party_size: 1 + i % 4,
            };
            let id = BookingId::from(format!("b{v}-{i:03}").as_str());
            let note = (i % 5 == 0).then(|| format!("note {i}"));
            run(
                &mut venue,
                Command::CreateBooking(CreateBooking {
                    guest: Default::default(),
                    account: Default::default(),
                    channel: Default::default(),
                    service_id: None,
                    override_pacing: false,
                    id,
                    caller: Caller::user(format!("u{}", i % 7).as_str()),
                    target,
                    note,
                }),
            );
        }
        for h in 0..3 {
            let start: Timestamp = "2026-12-29T12:00:00+08:00".parse().unwrap();
            let id = HoldId::from(format!("h{v}-{h}").as_str());
            run(
                &mut venue,
                Command::PlaceHold(PlaceHold {
                    id,
                    caller: Caller::user("u1"),
                    start,
                    party_size: 2,
                    ttl_seconds: 300,
                    service_id: None,
                    override_pacing: false,
                }),
            );
        }
        let hold = BookingTarget::Hold(HoldId::from(format!("h{v}-0").as_str()));
        run(
            &mut venue,
            Command::CreateBooking(CreateBooking {
                guest: Default::default(),
                account: Default::default(),
                channel: Default::default(),
                service_id: None,
                override_pacing: false,
                id: BookingId::from(format!("b{v}-hold").as_str()),
                caller: Caller::user("u1"),
                target: hold,
                note: None,
            }),
        );
        run(
            &mut venue,
            Command::Transition {
                id: BookingId::from(format!("b{v}-003").as_str()),
                caller: Caller::user("u3"),
                to: Transition::Cancel,
            },
        );
        let moved = "2026-12-30T19:00:00+08:00".parse().unwrap();
        run(
            &mut venue,
            Command::Reschedule(Reschedule {
                resource_id: None,
                override_pacing: false,
                id: BookingId::from(format!("b{v}-004").as_str()),
                caller: Caller::admin("root"),
                start: Some(moved),
                party_size: Some(3),
                note: None,
                version: Some(1),
            }),
        );
        run(
            &mut venue,
            Command::SetStaff {
                caller: Caller::admin("root"),
                user: "staff-1".into(),
                member: true,
            },
        );
        venues.push(venue);
    }
    (venues, commits)
}

fn sorted_bookings(v: &Venue) -> Vec<Booking> {
    let mut b: Vec<Booking> = v.bookings().cloned().collect();
    b.sort_by(|x, y| x.id.cmp(&y.id));
    b
}

fn sorted_holds(v: &Venue) -> Vec<Hold> {
    let mut h: Vec<Hold> = v.holds().cloned().collect();
    h.sort_by(|x, y| x.id.cmp(&y.id));
    h
}

fn assert_same(recovered: &[Venue], expected: &[Venue], kind: EngineKind) {
    assert_eq!(recovered.len(), expected.len(), "{kind:?}");
    for (r, e) in recovered.iter().zip(expected) {
        assert_eq!(r.id(), e.id(), "{kind:?}");
        assert_eq!(r.seq(), e.seq(), "{kind:?}");
        assert_eq!(r.settings(), e.settings(), "{kind:?}");
        assert_eq!(sorted_bookings(r), sorted_bookings(e), "{kind:?}");
        assert_eq!(sorted_holds(r), sorted_holds(e), "{kind:?}");
        let now: Timestamp = "2026-12-20T09:00:00+08:00".parse().unwrap();
        for day in 21..=30 {
            let date = jiff::civil::date(2026, 12, day);
            assert_eq!(
                r.availability(date, 2, None, now).unwrap(),
                e.availability(date, 2, None, now).unwrap(),
                "{kind:?} {date}"
            );
        }
    }
}

/// Set in the child process that stores the history and dies.
const CHILD_DIR: &str = "BOOKING_TEST_CRASH_DIR";
const CHILD_ENGINE: &str = "BOOKING_TEST_CRASH_ENGINE";
const THIS_TEST: &str =
    "recovery::acknowledged_writes_survive_a_process_killed_without_shutdown_for_both_engines";

/// In the child: store the history, then end the process on the spot. No
/// destructor runs, no database is closed, nothing is flushed but what each
/// commit made durable before it returned.
fn store_then_die(dir: &str, engine: &str, commits: &[Commit]) -> ! {
    let kind = if engine == "sled" {
        EngineKind::Sled
    } else {
        EngineKind::Redb
    };
    let store = Store::open(kind, std::path::Path::new(dir), 10_000).unwrap();
    // A few commits alone, the rest grouped, as the writer would.
    for group in commits.chunks(7) {
        store.append(group.to_vec()).unwrap();
    }
    std::process::exit(0);
}

#[test]
fn acknowledged_writes_survive_a_process_killed_without_shutdown_for_both_engines() {
    let (expected, commits) = history();
    if let (Ok(dir), Ok(engine)) = (std::env::var(CHILD_DIR), std::env::var(CHILD_ENGINE)) {
        store_then_die(&dir, &engine, &commits);
    }
    for (kind, name) in [(EngineKind::Redb, "redb"), (EngineKind::Sled, "sled")] {
        let dir = tempfile::tempdir().unwrap();
        // This same test in a fresh process (fork would inherit other tests'
        // locks), told by the environment to play the child.
        let status = std::process::Command::new(std::env::current_exe().unwrap())
            .args(["--exact", THIS_TEST, "--test-threads=1", "--nocapture"])
            .env(CHILD_DIR, dir.path())
            .env(CHILD_ENGINE, name)
            .status()
            .unwrap();
        assert!(
            status.success(),
            "the child failed to store ({name}): {status}"
        );
        let store = Store::open(kind, dir.path(), 10_000).unwrap();
        let recovered = store.load_all().unwrap();
        assert_same(&recovered, &expected, kind);
        // The replay log has every event, in order.
        let events = store.events_after(expected[0].id(), 0, 10_000).unwrap();
        assert_eq!(
            events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            (1..=expected[0].seq()).collect::<Vec<_>>()
        );
    }
}

#[test]
fn the_replay_log_keeps_only_the_configured_number_of_events() {
    let (expected, commits) = history();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(EngineKind::Redb, dir.path(), 10).unwrap();
    for group in commits.chunks(3) {
        store.append(group.to_vec()).unwrap();
    }
    let v = expected[0].id();
    let seq = expected[0].seq();
    assert_eq!(store.oldest_event(v).unwrap(), Some(seq - 9));
    let kept = store.events_after(v, 0, 100).unwrap();
    assert_eq!(
        kept.iter().map(|e| e.seq).collect::<Vec<_>>(),
        (seq - 9..=seq).collect::<Vec<_>>()
    );
    // Records are not pruned with the log.
    assert_same(&store.load_all().unwrap(), &expected, EngineKind::Redb);
}

#[test]
fn events_past_the_age_limit_leave_the_replay_log_but_records_stay() {
    let (expected, commits) = history();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(EngineKind::Sled, dir.path(), 10_000).unwrap();
    store.append(commits.clone()).unwrap();
    // Every event of the history is at 09:00 on 2026-12-20.
    let at: Timestamp = "2026-12-20T09:00:00+08:00".parse().unwrap();
    assert_eq!(store.prune_events_before(at).unwrap(), 0);
    let total: u64 = expected.iter().map(|v| v.seq()).sum();
    assert_eq!(
        store
            .prune_events_before(at + SignedDuration::from_secs(1))
            .unwrap() as u64,
        total
    );
    assert_eq!(store.oldest_event(expected[0].id()).unwrap(), None);
    assert_same(&store.load_all().unwrap(), &expected, EngineKind::Sled);
}

#[actix_rt::test]
async fn a_restarted_engine_serves_exactly_what_the_last_one_acknowledged() {
    for kind in [EngineKind::Redb, EngineKind::Sled] {
        let t = start_engine(kind, options(2));
        let venue = venue(&t.engine, demo::restaurant_settings(Vec::new())).await;
        let start = evening(t.engine.now(), 2);
        let mut booked = Vec::new();
        for i in 0..12 {
            let at = start + SignedDuration::from_mins(15 * (i % 6));
            if let Ok(domain::Reply::Booking(b)) =
                t.engine.execute(&venue, booking("ann", at, 2)).await
            {
                booked.push(b);
            }
        }
        assert!(booked.len() >= 6, "{kind:?}: {}", booked.len());
        t.engine
            .execute(
                &venue,
                Command::Transition {
                    id: booked[0].id.clone(),
                    caller: Caller::user("ann"),
                    to: Transition::Cancel,
                },
            )
            .await
            .unwrap();
        let before = availability_on_day_of(&t.engine, &venue, start).await;
        t.engine.shutdown().await;
        let dir = t.dir;
        drop(t.engine);

        let store = reopen(kind, dir.path());
        let again = Engine::start(
            store,
            std::sync::Arc::new(booking_engine::clock::SystemClock),
            options(2),
        );
        assert_eq!(again.warm_up().await.unwrap(), 1);
        let after = availability_on_day_of(&again, &venue, start).await;
        assert_eq!(after, before, "{kind:?}");
        let stored = again.store().load_venue(&venue).unwrap().unwrap();
        assert_eq!(stored.bookings.len(), booked.len(), "{kind:?}");
        // The directory of venues (GET /venues) starts from the store.
        let listed = again.find_venues(&domain::VenueSearch::default(), None, 10);
        assert_eq!(listed.len(), 1, "{kind:?}");
        assert_eq!((&listed[0].id, listed[0].seq), (&venue, stored.seq));
        assert_eq!(
            stored
                .bookings
                .iter()
                .filter(|b| b.status == domain::BookingStatus::Cancelled)
                .count(),
            1
        );
        again.shutdown().await;
    }
}

#[test]
fn an_append_that_does_not_follow_its_venues_stored_seq_is_refused_and_changes_nothing() {
    let (_, commits) = history();
    let dir = tempfile::tempdir().unwrap();
    let v = VenueId::from("venue-0");
    {
        let store = Store::open(EngineKind::Redb, dir.path(), 10_000).unwrap();
        assert!(
            store
                .append(vec![commits[0].clone()])
                .unwrap()
                .refused
                .is_empty()
        );
        // The creation again (seq 1 after 1) and a gap (seq 3 after 1) are
        // refused; the commit that follows (seq 2) in the same batch is kept.
        let mixed = vec![commits[0].clone(), commits[2].clone(), commits[1].clone()];
        let appended = store.append(mixed).unwrap();
        assert_eq!(appended.refused, vec![0, 1]);
        assert_eq!(
            appended.events.iter().map(|e| e.seq).collect::<Vec<_>>(),
            vec![2],
            "only the kept commit's events are published"
        );
    }
    let store = Store::open(EngineKind::Redb, dir.path(), 10_000).unwrap();
    let stored = store.load_venue(&v).unwrap().unwrap();
    assert_eq!(stored.seq, 2);
    assert_eq!(stored.bookings.len(), 1);
    let events = store.events_after(&v, 0, 100).unwrap();
    assert_eq!(events.iter().map(|e| e.seq).collect::<Vec<_>>(), vec![1, 2]);
    assert!(
        store
            .append(vec![commits[2].clone()])
            .unwrap()
            .refused
            .is_empty()
    );
}

#[test]
fn a_day_sheet_reads_the_by_start_index_and_a_moved_booking_leaves_its_old_day() {
    let (_, commits) = history();
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(EngineKind::Sled, dir.path(), 10_000).unwrap();
    store.append(commits).unwrap();
    let v = VenueId::from("venue-0");
    let day = |d: &str| -> Vec<String> {
        let from: Timestamp = format!("{d}T00:00:00+08:00").parse().unwrap();
        let to = from + SignedDuration::from_hours(24);
        store
            .bookings_starting(&v, from, to)
            .unwrap()
            .iter()
            .map(|b| b.id.to_string())
            .collect()
    };
    // b0-004 (17:00 on the 25th) moved to the 30th at 19:00.
    assert_eq!(day("2026-12-25"), ["b0-028", "b0-012", "b0-036", "b0-020"]);
    assert_eq!(day("2026-12-30"), ["b0-004"]);
    assert!(day("2026-12-31").is_empty());
}
