//! Property tests: random venues (turn times, buffers, pacing, table
//! combinations, services) and random sequences of holds, bookings,
//! cancellations, reschedules, conversions and the passing of time. After
//! every step: no exclusive resource (a combination's members included) is
//! ever claimed twice at once, buffers included; no shared resource is over
//! capacity; no pacing interval is over its covers unless staff overrode
//! it there; and availability equals a brute-force recount from the live
//! records, which shares none of the allocator's indexes.

use jiff::civil::{Date, date};
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

use super::Venue;
use crate::domain::commands::{
    BookingTarget, Command, CreateBooking, JoinWaitlist, PlaceHold, Reschedule,
};
use crate::domain::settings::{MAX_PARTY, ResourceMode, TurnRow, VenueSettings};
use crate::domain::venue::test_support;
use crate::domain::{
    BookingId, Caller, Combination, EntryId, EntryStatus, HoldId, Pacing, Resource, ResourceId,
    Service, ServiceId, Transition, VenueId,
};

const DAYS: [Date; 2] = [date(2026, 12, 24), date(2026, 12, 25)];

#[derive(Clone, Debug)]
enum Op {
    Book {
        user: u8,
        day: usize,
        slot: usize,
        party: u32,
        service: usize,
        /// Booked by staff past pacing.
        overrides: bool,
    },
    Hold {
        user: u8,
        day: usize,
        slot: usize,
        party: u32,
        service: usize,
    },
    Convert {
        hold: usize,
        user: u8,
    },
    Release {
        hold: usize,
    },
    Move {
        booking: usize,
        day: usize,
        slot: usize,
        party: u32,
    },
    Change {
        booking: usize,
        to: usize,
    },
    Wait {
        minutes: u32,
    },
    /// Join the waitlist for `span` grid starts from `slot`.
    Join {
        user: u8,
        day: usize,
        slot: usize,
        span: usize,
        party: u32,
        service: usize,
    },
    Leave {
        entry: usize,
    },
    Decline {
        entry: usize,
    },
}

fn op() -> impl Strategy<Value = Op> {
    let user = 0u8..3;
    let party = 1u32..12;
    let at = (0..2usize, 0..30usize);
    prop_oneof![
        4 => (user.clone(), prop_oneof![at.clone(), (0..2usize, 0..8usize)], party.clone(), 0..2usize, prop::bool::weighted(0.15)).prop_map(|(user, (day, slot), party, service, overrides)| Op::Book { user, day, slot, party, service, overrides }),
        3 => (user.clone(), at.clone(), party.clone(), 0..2usize).prop_map(|(user, (day, slot), party, service)| Op::Hold { user, day, slot, party, service }),
        2 => (0..40usize, user.clone()).prop_map(|(hold, user)| Op::Convert { hold, user }),
        1 => (0..40usize).prop_map(|hold| Op::Release { hold }),
        2 => (0..40usize, at, party).prop_map(|(booking, (day, slot), party)| Op::Move { booking, day, slot, party }),
        2 => (0..40usize, 0..5usize).prop_map(|(booking, to)| Op::Change { booking, to }),
        1 => (0u32..400).prop_map(|minutes| Op::Wait { minutes }),
        3 => (user.clone(), (0..2usize, 0..8usize), 0..8usize, 1u32..4, 0..2usize).prop_map(|(user, (day, slot), span, party, service)| Op::Join { user, day, slot, span, party, service }),
        1 => (0..40usize).prop_map(|entry| Op::Leave { entry }),
        1 => (0..40usize).prop_map(|entry| Op::Decline { entry }),
    ]
}

/// Which floor rules a random venue has.
#[derive(Clone, Copy, Debug)]
struct Floor {
    turns: bool,
    buffer: u32,
    pacing: Option<(u32, u32)>,
    combinations: bool,
    services: bool,
    /// Two tables for two only: full often, so the waitlist waits.
    tiny: bool,
}

fn floor() -> impl Strategy<Value = Floor> {
    (
        any::<bool>(),
        prop_oneof![Just(0u32), Just(15), Just(30)],
        prop_oneof![Just(None), Just(Some((15u32, 8u32))), Just(Some((30, 12)))],
        any::<bool>(),
        prop::bool::weighted(0.3),
        prop::bool::weighted(0.4),
    )
        .prop_map(
            |(turns, buffer, pacing, combinations, services, tiny)| Floor {
                turns,
                buffer,
                pacing,
                combinations: combinations && !tiny,
                services: services && !tiny,
                tiny,
            },
        )
}

/// The demo restaurant with a second table for two and for four, and the
/// floor's rules.
fn settings(f: Floor) -> VenueSettings {
    let mut s = crate::domain::settings::tests::restaurant();
    for (id, capacity, min_party) in [("t2b", 2, 1), ("t4b", 4, 2)] {
        s.resources.push(Resource {
            id: ResourceId::from(id),
            name: id.into(),
            capacity,
            min_party,
            mode: ResourceMode::Exclusive,
        });
    }
    if f.turns {
        s.turn_minutes = vec![
            TurnRow {
                max_party: 2,
                minutes: 60,
            },
            TurnRow {
                max_party: 5,
                minutes: 120,
            },
        ];
    }
    s.buffer_minutes = f.buffer;
    s.pacing = f.pacing.map(|(minutes, max_covers)| Pacing {
        minutes,
        max_covers,
    });
    if f.combinations {
        let combo = |id: &str, members: &[&str], min_party, capacity| Combination {
            id: ResourceId::from(id),
            resources: members.iter().map(|m| ResourceId::from(*m)).collect(),
            min_party,
            capacity,
        };
        s.combinations = vec![
            combo("t2+t4", &["t2", "t4"], 3, 6),
            combo("t4+t4b", &["t4", "t4b"], 5, 8),
            combo("t6+t4b+t2b", &["t6", "t4b", "t2b"], 7, 12),
        ];
    }
    if f.services {
        s.services = vec![
            Service {
                id: ServiceId::from("short"),
                name: "Short".into(),
                minutes: 30,
                resources: Some(vec!["t2".into(), "t2b".into(), "t4".into(), "bar".into()]),
            },
            Service {
                id: ServiceId::from("long"),
                name: "Long".into(),
                minutes: 60,
                resources: None,
            },
        ];
    }
    if f.tiny {
        s.resources
            .retain(|r| ["t2", "t2b"].contains(&r.id.as_str()));
    }
    s.validate().unwrap();
    s
}

/// One live claim counted from a record.
#[derive(Clone, Debug)]
struct Live {
    members: Vec<usize>,
    start: i64,
    end: i64,
    buffered_end: i64,
    party: u32,
    overridden: bool,
}

struct World {
    venue: Venue,
    now: Timestamp,
    holds: Vec<HoldId>,
    bookings: Vec<BookingId>,
    /// Bookings placed by staff past pacing.
    overridden: Vec<BookingId>,
    entries: Vec<EntryId>,
}

impl World {
    fn settings(&self) -> &VenueSettings {
        self.venue.settings()
    }

    fn service(&self, pick: usize) -> Option<ServiceId> {
        let services = &self.settings().services;
        (!services.is_empty()).then(|| services[pick % services.len()].id.clone())
    }

    fn start(&self, day: usize, slot: usize) -> Timestamp {
        let grid = self.settings().day_grid_for(DAYS[day], 30);
        grid[slot % grid.len()]
    }

    fn apply(&mut self, op: Op) {
        let caller = |u: u8| Caller::user(format!("u{u}").as_str());
        let cmd = match op {
            Op::Book {
                user,
                day,
                slot,
                party,
                service,
                overrides,
            } => {
                let id = BookingId::from(format!("b{}", self.bookings.len()).as_str());
                self.bookings.push(id.clone());
                if overrides {
                    self.overridden.push(id.clone());
                }
                let target = BookingTarget::Start {
                    start: self.start(day, slot),
                    party_size: party,
                };
                Command::CreateBooking(CreateBooking {
                    guest: Default::default(),
                    account: Default::default(),
                    channel: Default::default(),
                    service_id: self.service(service),
                    override_pacing: overrides,
                    id,
                    caller: if overrides {
                        Caller::admin("root")
                    } else {
                        caller(user)
                    },
                    target,
                    note: None,
                })
            }
            Op::Hold {
                user,
                day,
                slot,
                party,
                service,
            } => {
                let id = HoldId::from(format!("h{}", self.holds.len()).as_str());
                self.holds.push(id.clone());
                Command::PlaceHold(PlaceHold {
                    id,
                    caller: caller(user),
                    start: self.start(day, slot),
                    party_size: party,
                    ttl_seconds: 300,
                    service_id: self.service(service),
                    override_pacing: false,
                })
            }
            Op::Convert { hold, user } if !self.holds.is_empty() => {
                let id = BookingId::from(format!("b{}", self.bookings.len()).as_str());
                self.bookings.push(id.clone());
                let target = BookingTarget::Hold(self.holds[hold % self.holds.len()].clone());
                Command::CreateBooking(CreateBooking {
                    guest: Default::default(),
                    account: Default::default(),
                    channel: Default::default(),
                    service_id: None,
                    override_pacing: false,
                    id,
                    caller: caller(user),
                    target,
                    note: None,
                })
            }
            Op::Release { hold } if !self.holds.is_empty() => Command::ReleaseHold {
                id: self.holds[hold % self.holds.len()].clone(),
                caller: Caller::admin("root"),
            },
            Op::Move {
                booking,
                day,
                slot,
                party,
            } if !self.bookings.is_empty() => Command::Reschedule(Reschedule {
                resource_id: None,
                override_pacing: false,
                id: self.bookings[booking % self.bookings.len()].clone(),
                caller: Caller::admin("root"),
                start: Some(self.start(day, slot)),
                party_size: Some(party),
                note: None,
                version: None,
            }),
            Op::Change { booking, to } if !self.bookings.is_empty() => {
                let to = [
                    Transition::Cancel,
                    Transition::Confirm,
                    Transition::Seat,
                    Transition::Complete,
                    Transition::NoShow,
                ][to];
                Command::Transition {
                    id: self.bookings[booking % self.bookings.len()].clone(),
                    caller: Caller::admin("root"),
                    to,
                }
            }
            Op::Join {
                user,
                day,
                slot,
                span,
                party,
                service,
            } => {
                let id = EntryId::from(format!("w{}", self.entries.len()).as_str());
                self.entries.push(id.clone());
                let grid = self.settings().day_grid_for(DAYS[day], 30);
                let from = slot % grid.len();
                let to = (from + span).min(grid.len() - 1);
                Command::JoinWaitlist(Box::new(JoinWaitlist {
                    id,
                    caller: caller(user),
                    date: DAYS[day],
                    party_size: party,
                    earliest: grid[from],
                    latest: grid[to],
                    service_id: self.service(service),
                    note: None,
                    guest: None,
                    account: Default::default(),
                }))
            }
            Op::Leave { entry } if !self.entries.is_empty() => Command::LeaveWaitlist {
                id: self.entries[entry % self.entries.len()].clone(),
                caller: Caller::admin("root"),
            },
            Op::Decline { entry } if !self.entries.is_empty() => Command::DeclineOffer {
                id: self.entries[entry % self.entries.len()].clone(),
                caller: Caller::admin("root"),
            },
            Op::Wait { minutes } => {
                self.now += SignedDuration::from_mins(i64::from(minutes));
                Command::ExpireHolds
            }
            _ => Command::ExpireHolds,
        };
        let seq = self.venue.seq();
        let out = self.venue.execute(cmd, self.now);
        self.check_offers(&out);
        let seqs: Vec<u64> = out.events.iter().map(|e| e.seq).collect();
        assert_eq!(
            seqs,
            (seq + 1..=self.venue.seq()).collect::<Vec<_>>(),
            "events carry the next numbers"
        );
    }

    /// The resources a booking's `resource_id` occupies.
    fn members(&self, id: &ResourceId) -> Vec<usize> {
        let s = self.settings();
        let index = |id: &ResourceId| s.resources.iter().position(|r| &r.id == id).unwrap();
        match s.combinations.iter().find(|c| &c.id == id) {
            Some(c) => c.resources.iter().map(index).collect(),
            None => vec![index(id)],
        }
    }

    /// Live claims, counted from the records alone.
    fn live(&self) -> Vec<Live> {
        let mut live = Vec::new();
        for b in self.venue.bookings().filter(|b| b.status.takes_capacity()) {
            live.push(Live {
                members: self.members(&b.resource_id),
                start: b.start.as_second(),
                end: b.end.as_second(),
                buffered_end: b.end.as_second() + i64::from(b.buffer_minutes) * 60,
                party: b.party_size,
                overridden: self.overridden.contains(&b.id),
            });
        }
        for h in self.venue.holds().filter(|h| h.is_live(self.now)) {
            live.push(Live {
                members: self.members(&h.resource_id),
                start: h.start.as_second(),
                end: h.end.as_second(),
                buffered_end: h.end.as_second() + i64::from(h.buffer_minutes) * 60,
                party: h.party_size,
                overridden: false,
            });
        }
        live
    }

    /// The end of a claim on resource `r`: exclusive ones keep the buffer.
    fn end_on(&self, c: &Live, r: usize) -> i64 {
        match self.settings().resources[r].mode {
            ResourceMode::Exclusive => c.buffered_end,
            ResourceMode::Shared => c.end,
        }
    }

    /// The load on shared resource `r` at instant `t`.
    fn load_at(live: &[Live], r: usize, t: i64) -> u32 {
        live.iter()
            .filter(|c| c.members.contains(&r) && c.start <= t && t < c.end)
            .map(|c| c.party)
            .sum()
    }

    /// The pacing interval `[from, to)` of a grid start, by wall clock.
    fn interval(&self, start: i64) -> Option<(i64, i64)> {
        let s = self.settings();
        let p = s.pacing?;
        let ts = Timestamp::from_second(start).unwrap();
        let local = s.timezone.tz().to_datetime(ts);
        let m = local.hour() as u32 * 60 + local.minute() as u32;
        let period = s
            .opening_hours
            .on(local.date().weekday())
            .iter()
            .find(|x| x.open <= m && m < x.close)?;
        let from = start - i64::from((m - period.open) % p.minutes) * 60;
        Some((from, from + i64::from(p.minutes) * 60))
    }

    fn check_claims(&self, live: &[Live]) {
        let s = self.settings();
        for (i, r) in s.resources.iter().enumerate() {
            let on: Vec<&Live> = live.iter().filter(|c| c.members.contains(&i)).collect();
            for a in &on {
                match r.mode {
                    ResourceMode::Exclusive => {
                        let overlapping = on
                            .iter()
                            .filter(|b| b.start < self.end_on(a, i) && a.start < self.end_on(b, i))
                            .count();
                        assert_eq!(overlapping, 1, "{} claimed twice near {}", r.id, a.start);
                    }
                    ResourceMode::Shared => {
                        assert!(
                            Self::load_at(live, i, a.start) <= r.capacity,
                            "{} over",
                            r.id
                        );
                    }
                }
            }
        }
        if let Some(p) = s.pacing {
            for c in live {
                let (from, to) = self.interval(c.start).unwrap();
                let inside: Vec<&Live> = live
                    .iter()
                    .filter(|x| from <= x.start && x.start < to)
                    .collect();
                if inside.iter().any(|x| x.overridden) {
                    continue;
                }
                let covers: u32 = inside.iter().map(|x| x.party).sum();
                assert!(covers <= p.max_covers, "pacing exceeded at {from}");
            }
        }
    }

    /// The largest party `place` could take at `[s, e)` (exclusive end `xe`).
    fn room(&self, live: &[Live], members: &[usize], (s, e, xe): (i64, i64, Option<i64>)) -> u32 {
        let settings = self.settings();
        if let [i] = members
            && settings.resources[*i].mode == ResourceMode::Shared
        {
            let points = std::iter::once(s).chain(
                live.iter()
                    .filter(|c| c.members.contains(i) && s < c.start && c.start < e)
                    .map(|c| c.start),
            );
            let peak = points
                .map(|t| Self::load_at(live, *i, t))
                .max()
                .unwrap_or(0);
            return settings.resources[*i].capacity.saturating_sub(peak);
        }
        let Some(xe) = xe else { return 0 };
        let free = members.iter().all(|&m| {
            !live
                .iter()
                .any(|c| c.members.contains(&m) && c.start < xe && s < self.end_on(c, m))
        });
        if !free {
            return 0;
        }
        match members {
            [i] => settings.resources[*i].capacity,
            _ => u32::MAX, // the caller knows the combination's capacity
        }
    }

    /// Every place as (members, min party, capacity, id).
    fn places(&self) -> Vec<(Vec<usize>, u32, u32, ResourceId)> {
        let s = self.settings();
        let singles = s
            .resources
            .iter()
            .enumerate()
            .map(|(i, r)| (vec![i], r.min_party_for_mode(), r.capacity, r.id.clone()));
        let combos = s
            .combinations
            .iter()
            .map(|c| (self.members(&c.id), c.min_party, c.capacity, c.id.clone()));
        singles.chain(combos).collect()
    }

    fn check_availability(&self, live: &[Live]) {
        let s = self.settings();
        let services: Vec<Option<&Service>> = if s.services.is_empty() {
            vec![None]
        } else {
            s.services.iter().map(Some).collect()
        };
        let serves = |svc: Option<&Service>, members: &[usize]| {
            svc.is_none_or(|x| members.iter().all(|&m| x.served_by(&s.resources[m].id)))
        };
        for day in DAYS {
            for svc in &services {
                for party in [1, 2, 5, 8] {
                    let id = svc.map(|x| x.id.clone());
                    let got = self
                        .venue
                        .availability(day, party, id.as_ref(), self.now)
                        .unwrap();
                    let minutes = s.length_of(party, *svc);
                    let shared_could = s.resources.iter().any(|r| {
                        r.mode == ResourceMode::Shared
                            && r.seats(party)
                            && serves(
                                *svc,
                                &[s.resources.iter().position(|x| x.id == r.id).unwrap()],
                            )
                    });
                    let grid_minutes = if s.buffer_minutes == 0 || shared_could {
                        minutes
                    } else {
                        minutes + s.buffer_minutes
                    };
                    let grid = s.day_grid_for(day, grid_minutes);
                    assert_eq!(got.len(), grid.len());
                    for slot in got {
                        let (max, avail) = self.recount(live, slot.start, party, *svc);
                        assert_eq!(
                            (slot.max_party, slot.available),
                            (max, avail),
                            "at {} for {party} ({svc:?})",
                            slot.start
                        );
                    }
                }
            }
        }
    }

    /// One start's `max_party` and `available`, by brute force.
    fn recount(
        &self,
        live: &[Live],
        start: Timestamp,
        party: u32,
        svc: Option<&Service>,
    ) -> (u32, bool) {
        let s = self.settings();
        if start < self.now {
            return (0, false);
        }
        let paced = match self.interval(start.as_second()) {
            Some((from, to)) => {
                let taken: u32 = live
                    .iter()
                    .filter(|c| from <= c.start && c.start < to)
                    .map(|c| c.party)
                    .sum();
                s.pacing.unwrap().max_covers.saturating_sub(taken)
            }
            None => u32::MAX,
        };
        let classes = match svc {
            Some(x) => vec![(1, MAX_PARTY, x.minutes)],
            None => s.length_classes(),
        };
        let (mut max, mut avail) = (0, false);
        for (smallest, largest, minutes) in classes {
            if s.locate(start, minutes).is_err() {
                continue;
            }
            let st = start.as_second();
            let e = st + i64::from(minutes) * 60;
            let xe = s
                .locate(start, minutes + s.buffer_minutes)
                .ok()
                .map(|_| e + i64::from(s.buffer_minutes) * 60);
            for (members, min, capacity, _) in self.places() {
                let eligible =
                    svc.is_none_or(|x| members.iter().all(|&m| x.served_by(&s.resources[m].id)));
                if !eligible {
                    continue;
                }
                let room = self.room(live, &members, (st, e, xe)).min(capacity);
                let room = room.min(largest).min(paced);
                if room >= smallest.max(min) {
                    max = max.max(room);
                }
                avail |= (smallest..=largest).contains(&party)
                    && (min..=capacity).contains(&party)
                    && room >= party;
            }
        }
        (max, avail)
    }

    fn check(&self) {
        let live = self.live();
        self.check_claims(&live);
        self.check_availability(&live);
        self.check_nobody_waits_for_a_free_start(&live);
    }

    /// First come, first served: no entry still waiting after a change
    /// could have taken the very place an offer of that change gave a
    /// later entry (same service and length, a party no larger that the
    /// place seats, the offered start in its window).
    fn check_offers(&self, out: &crate::domain::Outcome) {
        let s = self.settings();
        for event in &out.events {
            let crate::domain::Change::WaitlistOffered(offered) = &event.change else {
                continue;
            };
            let later = &offered.entry;
            let offer = later.offer.as_ref().unwrap();
            let min_party = match s.combinations.iter().find(|c| c.id == offer.resource_id) {
                Some(c) => c.min_party,
                None => s
                    .resources
                    .iter()
                    .find(|r| r.id == offer.resource_id)
                    .unwrap()
                    .min_party_for_mode(),
            };
            let svc = |id: &Option<ServiceId>| {
                id.as_ref()
                    .and_then(|id| s.services.iter().find(|x| &x.id == id))
            };
            let length = |party| s.length_of(party, svc(&later.service_id));
            for e in self.venue.waitlist_entries() {
                let passed_over = e.status == EntryStatus::Waiting
                    && e.number < later.number
                    && e.date == later.date
                    && e.service_id == later.service_id
                    && (min_party..=later.party_size).contains(&e.party_size)
                    && length(e.party_size) == length(later.party_size)
                    && (e.earliest..=e.latest).contains(&offer.start);
                assert!(!passed_over, "{} was passed over for {}", e.id, later.id);
            }
        }
    }

    /// After every change, a waiting entry has no start in its window that
    /// it could book: it would have been offered it.
    fn check_nobody_waits_for_a_free_start(&self, live: &[Live]) {
        let s = self.settings();
        for e in self.venue.waitlist_entries() {
            if e.status != EntryStatus::Waiting {
                continue;
            }
            let svc = e
                .service_id
                .as_ref()
                .and_then(|id| s.services.iter().find(|x| &x.id == id));
            for start in s.day_grid_for(e.date, 15) {
                if start < self.now || !(e.earliest..=e.latest).contains(&start) {
                    continue;
                }
                let bookable = self
                    .venue
                    .availability(e.date, e.party_size, e.service_id.as_ref(), self.now)
                    .unwrap()
                    .iter()
                    .any(|slot| slot.start == start && slot.available);
                let (_, recount) = self.recount(live, start, e.party_size, svc);
                assert!(
                    !(bookable && recount),
                    "{} waits while {start} is free for it",
                    e.id
                );
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 96, ..ProptestConfig::default() })]

    #[test]
    fn capacity_buffers_and_pacing_hold_and_availability_matches_the_records(ops in prop::collection::vec(op(), 1..60), floor in floor()) {
        let (venue, _) = Venue::create(VenueId::from("v1"), settings(floor), test_support::now()).unwrap();
        let mut world = World { venue, now: test_support::now(), holds: vec![], bookings: vec![], overridden: vec![], entries: vec![] };
        for op in ops {
            world.apply(op);
            world.check();
        }
        // A venue rebuilt from its records is the same venue.
        let v = &world.venue;
        let rebuilt = Venue::restore(v.id().clone(), v.settings().clone(), v.seq(), v.bookings().cloned().collect(), v.holds().cloned().collect())
            .with_entries(v.waitlist_entries().cloned().collect());
        let service = world.service(0);
        for day in DAYS {
            prop_assert_eq!(
                rebuilt.availability(day, 2, service.as_ref(), world.now),
                v.availability(day, 2, service.as_ref(), world.now)
            );
        }
    }
}
