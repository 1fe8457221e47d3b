//! A day's availability, answered from memory.

use jiff::Timestamp;
use jiff::civil::Date;

use super::Venue;
use super::placement::Want;
use crate::domain::time::add_minutes;
use crate::domain::{DomainError, ServiceId};

/// One start of the grid with what can still be booked there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SlotAvailability {
    pub start: Timestamp,
    /// The largest party still bookable here; 0 when full, past or inside the notice.
    pub max_party: u32,
    /// Whether the asked party size can be booked here.
    pub available: bool,
}

impl Venue {
    /// Every start of the date's grid for the party (and service: required
    /// when the venue has services); empty for a date in the past or beyond
    /// the horizon.
    pub fn availability(
        &self,
        date: Date,
        party: u32,
        service: Option<&ServiceId>,
        now: Timestamp,
    ) -> Result<Vec<SlotAvailability>, DomainError> {
        let service = self.service_index(service)?;
        if !self.within_horizon(date, now) {
            return Ok(Vec::new());
        }
        let earliest = add_minutes(now, self.settings.min_notice_minutes);
        let classes = self
            .settings
            .length_classes_for(service.map(|i| &self.settings.services[i]));
        let minutes = self.minutes_for(party, service);
        let grid = self
            .settings
            .day_grid_for(date, self.grid_minutes(minutes, party, service));
        let slots = grid
            .into_iter()
            .map(|start| {
                if start < earliest {
                    return SlotAvailability {
                        start,
                        max_party: 0,
                        available: false,
                    };
                }
                let paced = self.pacing_room(start, now).unwrap_or(u32::MAX);
                let (mut max_party, mut available) = (0, false);
                // Each length class (turn times) is its own interval; a
                // class whose length does not fit before the close offers
                // nothing at this start.
                for &(smallest, largest, minutes) in &classes {
                    if self.settings.locate(start, minutes).is_err() {
                        continue;
                    }
                    let want = Want {
                        start,
                        party,
                        service,
                        minutes,
                    };
                    let ask = self.ask(want, now);
                    let in_class = (smallest..=largest).contains(&party);
                    for &place in &self.layout.preference {
                        let (min, _) = self.layout.bounds(place);
                        let room = self.layout.room(place, &ask).min(largest).min(paced);
                        if room >= smallest.max(min) {
                            max_party = max_party.max(room);
                        }
                        available |=
                            in_class && room >= party && self.layout.seats(place, party, service);
                    }
                }
                SlotAvailability {
                    start,
                    max_party,
                    available,
                }
            })
            .collect();
        Ok(slots)
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::date;

    use crate::domain::venue::test_support::*;

    #[test]
    fn a_booked_table_lowers_max_party_only_where_it_overlaps() {
        let mut v = venue();
        let day = date(2026, 12, 24);
        let before = v.availability(day, 2, None, now()).unwrap();
        assert_eq!(before.len(), 22);
        assert!(before.iter().all(|s| s.max_party == 10 && s.available));
        // Take the bar entirely: max_party falls to 6 (the largest table) for
        // the starts whose 90 minutes overlap 18:00-19:30.
        v.execute(book("b1", "ann", "2026-12-24T18:00:00+08:00", 10), now());
        let after = v.availability(day, 2, None, now()).unwrap();
        let changed: Vec<_> = after
            .iter()
            .filter(|s| s.max_party == 6)
            .map(|s| s.start)
            .collect();
        // The evening grid opens at 17:00, so that is the first start hit.
        assert_eq!(changed.first(), Some(&at("2026-12-24T17:00:00+08:00")));
        assert_eq!(changed.last(), Some(&at("2026-12-24T19:15:00+08:00")));
    }

    #[test]
    fn past_dates_and_dates_beyond_the_horizon_are_empty() {
        let v = venue();
        assert!(
            v.availability(date(2026, 12, 19), 2, None, now())
                .unwrap()
                .is_empty()
        );
        assert!(
            !v.availability(date(2027, 2, 18), 2, None, now())
                .unwrap()
                .is_empty()
        ); // today + 60
        assert!(
            v.availability(date(2027, 2, 19), 2, None, now())
                .unwrap()
                .is_empty()
        );
    }

    #[test]
    fn starts_already_past_today_show_zero() {
        let v = venue();
        let noon = at("2026-12-20T12:00:00+08:00");
        let today = v.availability(date(2026, 12, 20), 2, None, noon).unwrap();
        assert!(
            today
                .iter()
                .filter(|s| s.start < noon)
                .all(|s| s.max_party == 0 && !s.available)
        );
        assert!(
            today
                .iter()
                .filter(|s| s.start >= noon)
                .all(|s| s.max_party == 10)
        );
    }
}

#[cfg(test)]
mod turn_tests {
    use jiff::civil::date;

    use crate::domain::settings::TurnRow;
    use crate::domain::venue::test_support::*;
    use crate::domain::{DomainError, Reply};

    /// Couples stay 60 minutes, larger parties 90 (`booking_minutes`).
    fn with_turns() -> crate::domain::Venue {
        let mut v = venue();
        v.settings.turn_minutes = vec![TurnRow {
            max_party: 2,
            minutes: 60,
        }];
        v.settings.validate().unwrap();
        v
    }

    #[test]
    fn a_partys_length_comes_from_its_turn_row_and_the_grid_follows_it() {
        let mut v = with_turns();
        let couple = v
            .execute(book("b1", "ann", "2026-12-24T18:00:00+08:00", 2), now())
            .reply;
        let Ok(Reply::Booking(b)) = couple else {
            panic!("{couple:?}")
        };
        assert_eq!(b.end, at("2026-12-24T19:00:00+08:00"));
        let four = v
            .execute(book("b2", "bob", "2026-12-24T18:00:00+08:00", 4), now())
            .reply;
        let Ok(Reply::Booking(b)) = four else {
            panic!("{four:?}")
        };
        assert_eq!(b.end, at("2026-12-24T19:30:00+08:00"));
        // 21:00 fits a couple's hour before the 22:00 close, not 90 minutes.
        let day = date(2026, 12, 24);
        let late = at("2026-12-24T21:00:00+08:00");
        assert!(
            v.availability(day, 2, None, now())
                .unwrap()
                .iter()
                .any(|s| s.start == late)
        );
        assert!(
            !v.availability(day, 4, None, now())
                .unwrap()
                .iter()
                .any(|s| s.start == late)
        );
        let refused = v
            .execute(book("b3", "cat", "2026-12-24T21:00:00+08:00", 4), now())
            .reply;
        assert!(
            matches!(refused, Err(DomainError::Invalid { ref field, .. }) if field == "start"),
            "{refused:?}"
        );
        assert!(
            v.execute(book("b4", "dan", "2026-12-24T21:00:00+08:00", 2), now())
                .reply
                .is_ok()
        );
    }

    #[test]
    fn turn_rows_must_be_sorted_and_on_the_grid() {
        let mut v = with_turns();
        v.settings.turn_minutes.push(TurnRow {
            max_party: 2,
            minutes: 90,
        });
        assert!(v.settings.validate().is_err());
        v.settings.turn_minutes = vec![TurnRow {
            max_party: 4,
            minutes: 50,
        }];
        let err = v.settings.validate().unwrap_err();
        assert!(
            matches!(err, DomainError::Invalid { ref field, .. } if field == "turn_minutes[0].minutes"),
            "{err:?}"
        );
    }
}
