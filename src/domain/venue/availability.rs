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
        let n = now.as_second();
        self.settings
            .day_grid(date)
            .into_iter()
            .map(|start| {
                if start < earliest {
                    return SlotAvailability {
                        start,
                        max_party: 0,
                        available: false,
                    };
                }
                let end = add_minutes(start, self.settings.booking_minutes);
                let (s, e) = (start.as_second(), end.as_second());
                let (mut max_party, mut available) = (0, false);
                for (i, r) in self.settings.resources.iter().enumerate() {
                    let room = self.layout.room(r, i, s, e, n);
                    max_party = max_party.max(room);
                    available |= r.seats(party) && room >= party;
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
