//! A day's availability, answered from memory.

use jiff::Timestamp;
use jiff::civil::Date;

use super::Venue;
use crate::domain::time::add_minutes;

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
    /// Every start of the date's grid; empty for a date in the past or
    /// beyond the horizon.
    pub fn availability(&self, date: Date, party: u32, now: Timestamp) -> Vec<SlotAvailability> {
        if !self.within_horizon(date, now) {
            return Vec::new();
        }
        let earliest = add_minutes(now, self.settings.min_notice_minutes);
        let classes = self.settings.length_classes();
        self.settings
            .day_grid_for(date, self.settings.length_for(party))
            .into_iter()
            .map(|start| {
                if start < earliest {
                    return SlotAvailability {
                        start,
                        max_party: 0,
                        available: false,
                    };
                }
                let (mut max_party, mut available) = (0, false);
                // Each length class (turn times) is its own interval; a
                // class whose length does not fit before the close offers
                // nothing at this start.
                for &(smallest, largest, minutes) in &classes {
                    if self.settings.locate(start, minutes).is_err() {
                        continue;
                    }
                    let fits = |p: u32| (smallest..=largest).contains(&p);
                    let (s, e) = (start.as_second(), add_minutes(start, minutes).as_second());
                    for (i, r) in self.settings.resources.iter().enumerate() {
                        let room = self.layout.room(r, i, s, e, now.as_second()).min(largest);
                        if room >= smallest.max(r.min_party_for_mode()) {
                            max_party = max_party.max(room);
                        }
                        available |= fits(party) && r.seats(party) && room >= party;
                    }
                }
                SlotAvailability {
                    start,
                    max_party,
                    available,
                }
            })
            .collect()
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
        let before = v.availability(day, 2, now());
        assert_eq!(before.len(), 22);
        assert!(before.iter().all(|s| s.max_party == 10 && s.available));
        // Take the bar entirely: max_party falls to 6 (the largest table) for
        // the starts whose 90 minutes overlap 18:00-19:30.
        v.execute(book("b1", "ann", "2026-12-24T18:00:00+08:00", 10), now());
        let after = v.availability(day, 2, now());
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
        assert!(v.availability(date(2026, 12, 19), 2, now()).is_empty());
        assert!(!v.availability(date(2027, 2, 18), 2, now()).is_empty()); // today + 60
        assert!(v.availability(date(2027, 2, 19), 2, now()).is_empty());
    }

    #[test]
    fn starts_already_past_today_show_zero() {
        let v = venue();
        let noon = at("2026-12-20T12:00:00+08:00");
        let today = v.availability(date(2026, 12, 20), 2, noon);
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
            v.availability(day, 2, now())
                .iter()
                .any(|s| s.start == late)
        );
        assert!(
            !v.availability(day, 4, now())
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
