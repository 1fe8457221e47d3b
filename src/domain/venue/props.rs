//! Property tests: for random sequences of holds, bookings, cancellations,
//! reschedules, conversions and the passing of time, no resource is ever over
//! capacity and availability always equals a brute-force recomputation from
//! the live records.

use jiff::civil::{Date, date};
use jiff::{SignedDuration, Timestamp};
use proptest::prelude::*;

use super::Venue;
use crate::domain::commands::{BookingTarget, Command, CreateBooking, PlaceHold, Reschedule};
use crate::domain::settings::ResourceMode;
use crate::domain::venue::test_support;
use crate::domain::{BookingId, Caller, HoldId, Transition};

const DAYS: [Date; 2] = [date(2026, 12, 24), date(2026, 12, 25)];

#[derive(Clone, Debug)]
enum Op {
    Book {
        user: u8,
        day: usize,
        slot: usize,
        party: u32,
    },
    Hold {
        user: u8,
        day: usize,
        slot: usize,
        party: u32,
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
}

fn op() -> impl Strategy<Value = Op> {
    let user = 0u8..3;
    let party = 1u32..12;
    prop_oneof![
        4 => (user.clone(), 0..2usize, 0..30usize, party.clone()).prop_map(|(user, day, slot, party)| Op::Book { user, day, slot, party }),
        3 => (user.clone(), 0..2usize, 0..30usize, party.clone()).prop_map(|(user, day, slot, party)| Op::Hold { user, day, slot, party }),
        2 => (0..40usize, user).prop_map(|(hold, user)| Op::Convert { hold, user }),
        1 => (0..40usize).prop_map(|hold| Op::Release { hold }),
        2 => (0..40usize, 0..2usize, 0..30usize, party).prop_map(|(booking, day, slot, party)| Op::Move { booking, day, slot, party }),
        2 => (0..40usize, 0..5usize).prop_map(|(booking, to)| Op::Change { booking, to }),
        1 => (0u32..400).prop_map(|minutes| Op::Wait { minutes }),
    ]
}

struct World {
    venue: Venue,
    now: Timestamp,
    holds: Vec<HoldId>,
    bookings: Vec<BookingId>,
}

impl World {
    fn start(&self, day: usize, slot: usize) -> Timestamp {
        let grid = self.venue.settings().day_grid(DAYS[day]);
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
            } => {
                let id = BookingId::from(format!("b{}", self.bookings.len()).as_str());
                self.bookings.push(id.clone());
                let target = BookingTarget::Start {
                    start: self.start(day, slot),
                    party_size: party,
                };
                Command::CreateBooking(CreateBooking {
                    guest: Default::default(),
                    account: Default::default(),
                    channel: Default::default(),
                    id,
                    caller: caller(user),
                    target,
                    note: None,
                })
            }
            Op::Hold {
                user,
                day,
                slot,
                party,
            } => {
                let id = HoldId::from(format!("h{}", self.holds.len()).as_str());
                self.holds.push(id.clone());
                Command::PlaceHold(PlaceHold {
                    id,
                    caller: caller(user),
                    start: self.start(day, slot),
                    party_size: party,
                    ttl_seconds: 300,
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
            Op::Wait { minutes } => {
                self.now += SignedDuration::from_mins(i64::from(minutes));
                Command::ExpireHolds
            }
            _ => Command::ExpireHolds,
        };
        let seq = self.venue.seq();
        let out = self.venue.execute(cmd, self.now);
        let seqs: Vec<u64> = out.events.iter().map(|e| e.seq).collect();
        assert_eq!(
            seqs,
            (seq + 1..=self.venue.seq()).collect::<Vec<_>>(),
            "events carry the next numbers"
        );
    }

    /// Live claims as (resource index, start, end, party).
    fn live(&self) -> Vec<(usize, i64, i64, u32)> {
        let index = |id: &crate::domain::ResourceId| {
            self.venue
                .settings()
                .resources
                .iter()
                .position(|r| &r.id == id)
                .unwrap()
        };
        let b = self
            .venue
            .bookings()
            .filter(|b| b.status.takes_capacity())
            .map(|b| (index(&b.resource_id), b.start, b.end, b.party_size));
        let h = self
            .venue
            .holds()
            .filter(|h| h.is_live(self.now))
            .map(|h| (index(&h.resource_id), h.start, h.end, h.party_size));
        b.chain(h)
            .map(|(i, s, e, p)| (i, s.as_second(), e.as_second(), p))
            .collect()
    }

    /// The load on a resource at one instant, counted from the records.
    fn load_at(live: &[(usize, i64, i64, u32)], r: usize, t: i64) -> u32 {
        live.iter()
            .filter(|c| c.0 == r && c.1 <= t && t < c.2)
            .map(|c| c.3)
            .sum()
    }

    fn check(&self) {
        let live = self.live();
        let resources = &self.venue.settings().resources;
        for &(r, s, _, _) in &live {
            let cap = match resources[r].mode {
                ResourceMode::Exclusive => live
                    .iter()
                    .filter(|c| c.0 == r && c.1 <= s && s < c.2)
                    .count() as u32,
                ResourceMode::Shared => Self::load_at(&live, r, s),
            };
            let limit = if resources[r].mode == ResourceMode::Exclusive {
                1
            } else {
                resources[r].capacity
            };
            assert!(
                cap <= limit,
                "resource {} over capacity at {s}",
                resources[r].id
            );
        }
        for day in DAYS {
            for party in [1, 2, 5, 8] {
                let got = self.venue.availability(day, party, self.now);
                let settings = self.venue.settings();
                let grid = settings.day_grid_for(day, settings.length_for(party));
                assert_eq!(got.len(), grid.len());
                for slot in got {
                    let mut max = 0;
                    let mut avail = false;
                    // Every length class (turn times) whose length fits here.
                    for (smallest, largest, minutes) in settings.length_classes() {
                        if slot.start < self.now || settings.locate(slot.start, minutes).is_err() {
                            continue;
                        }
                        let (s, e) = (
                            slot.start.as_second(),
                            slot.start.as_second() + i64::from(minutes) * 60,
                        );
                        {
                            for (i, r) in resources.iter().enumerate() {
                                let points = std::iter::once(s).chain(
                                    live.iter()
                                        .filter(|c| c.0 == i && s < c.1 && c.1 < e)
                                        .map(|c| c.1),
                                );
                                let peak = points
                                    .map(|t| Self::load_at(&live, i, t))
                                    .max()
                                    .unwrap_or(0);
                                let room = match r.mode {
                                    ResourceMode::Exclusive if peak == 0 => r.capacity,
                                    ResourceMode::Exclusive => 0,
                                    ResourceMode::Shared => r.capacity - peak,
                                }
                                .min(largest);
                                if room >= smallest.max(r.min_party_for_mode()) {
                                    max = max.max(room);
                                }
                                avail |= (smallest..=largest).contains(&party)
                                    && r.seats(party)
                                    && room >= party;
                            }
                        }
                    }
                    assert_eq!(
                        (slot.max_party, slot.available),
                        (max, avail),
                        "at {} for {party}",
                        slot.start
                    );
                }
            }
        }
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 64, ..ProptestConfig::default() })]

    #[test]
    fn capacity_is_never_exceeded_and_availability_matches_the_records(ops in prop::collection::vec(op(), 1..60), turns in any::<bool>()) {
        let mut venue = test_support::venue();
        if turns {
            // Couples stay an hour, parties up to 5 two, larger ones 90 minutes.
            venue = venue.with_turns(vec![
                crate::domain::settings::TurnRow { max_party: 2, minutes: 60 },
                crate::domain::settings::TurnRow { max_party: 5, minutes: 120 },
            ]);
        }
        let mut world = World { venue, now: test_support::now(), holds: vec![], bookings: vec![] };
        for op in ops {
            world.apply(op);
            world.check();
        }
        // A venue rebuilt from its records is the same venue.
        let v = &world.venue;
        let rebuilt = Venue::restore(v.id().clone(), v.settings().clone(), v.seq(), v.bookings().cloned().collect(), v.holds().cloned().collect());
        for day in DAYS {
            prop_assert_eq!(rebuilt.availability(day, 2, world.now), v.availability(day, 2, world.now));
        }
    }
}
