//! The slot grid of a local date, and where an instant sits on it.
//!
//! A start is a local wall-clock time a whole number of `slot_minutes` after
//! a period opens; the booking it begins lasts `booking_minutes` of real time
//! and must end by the period's close. Local times are turned into instants
//! with the venue's IANA rules: a time skipped by a daylight-saving gap has no
//! instant, a time repeated by a fold has two.

use jiff::Timestamp;
use jiff::civil::{Date, DateTime, Time};
use jiff::tz::AmbiguousOffset;

use crate::domain::settings::{Period, VenueSettings};
use crate::domain::time::add_minutes;

/// Why an instant is not a start of the grid.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum OffGrid {
    /// The local date is a closure date.
    Closed,
    /// No opening period of that day has this start.
    NotOnGrid,
}

impl OffGrid {
    /// Human text for error messages.
    pub fn reason(self) -> &'static str {
        match self {
            OffGrid::Closed => "the venue is closed on that date",
            OffGrid::NotOnGrid => "not a start on the venue's slot grid",
        }
    }
}

/// The instants a local wall-clock time denotes: none in a gap, two in a fold.
fn instants(settings: &VenueSettings, dt: DateTime) -> impl Iterator<Item = Timestamp> {
    let offsets = match settings.timezone.tz().to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } => [Some(offset), None],
        AmbiguousOffset::Gap { .. } => [None, None],
        AmbiguousOffset::Fold { before, after } => [Some(before), Some(after)],
    };
    offsets
        .into_iter()
        .flatten()
        .filter_map(move |offset| offset.to_timestamp(dt).ok())
}

/// The instant a period closes. In a gap or a fold the offset after the
/// transition is taken: the earlier instant in a gap, the later in a fold,
/// which is what a clock on the wall shows at closing time.
fn close_instant(settings: &VenueSettings, date: Date, close: u32) -> Option<Timestamp> {
    let dt = local(date, close)?;
    let offset = match settings.timezone.tz().to_ambiguous_timestamp(dt).offset() {
        AmbiguousOffset::Unambiguous { offset } => offset,
        AmbiguousOffset::Gap { after, .. } | AmbiguousOffset::Fold { after, .. } => after,
    };
    offset.to_timestamp(dt).ok()
}

/// The local date-time `minutes` after midnight of `date` (1440 is the next midnight).
fn local(date: Date, minutes: u32) -> Option<DateTime> {
    if minutes >= 1440 {
        return Some(date.tomorrow().ok()?.to_datetime(Time::midnight()));
    }
    let time = Time::new((minutes / 60) as i8, (minutes % 60) as i8, 0, 0).ok()?;
    Some(date.to_datetime(time))
}

impl VenueSettings {
    /// Every start of the date's grid, in order. A closure date has none.
    pub fn day_grid(&self, date: Date) -> Vec<Timestamp> {
        self.day_grid_for(date, self.booking_minutes)
    }

    /// The grid of a date for bookings of `minutes` (a party's length:
    /// API v1.1 §11, a start where the length does not fit is not on it).
    pub fn day_grid_for(&self, date: Date, minutes: u32) -> Vec<Timestamp> {
        let mut starts = Vec::new();
        if self.closures.contains(&date) {
            return starts;
        }
        for period in self.opening_hours.on(date.weekday()) {
            let Some(close) = close_instant(self, date, period.close) else {
                continue;
            };
            let mut m = period.open;
            // Filter on real instants, not wall-clock arithmetic: across a
            // daylight-saving change the two differ by the shift.
            while m < period.close {
                if let Some(dt) = local(date, m) {
                    starts.extend(instants(self, dt).filter(|s| add_minutes(*s, minutes) <= close));
                }
                m += self.slot_minutes;
            }
        }
        starts.sort();
        starts.dedup();
        starts
    }

    /// The local date of `start` if it is a start of that date's grid for a
    /// booking of `minutes` (a booking keeps its own length when the venue's
    /// changes).
    pub fn locate(&self, start: Timestamp, minutes: u32) -> Result<Date, OffGrid> {
        let dt = self.timezone.tz().to_datetime(start);
        let date = dt.date();
        if self.closures.contains(&date) {
            return Err(OffGrid::Closed);
        }
        if dt.second() != 0 || dt.subsec_nanosecond() != 0 {
            return Err(OffGrid::NotOnGrid);
        }
        let m = dt.hour() as u32 * 60 + dt.minute() as u32;
        let fits = |p: &&Period| {
            p.open <= m
                && m < p.close
                && (m - p.open).is_multiple_of(self.slot_minutes)
                && close_instant(self, date, p.close)
                    .is_some_and(|close| add_minutes(start, minutes) <= close)
        };
        match self.opening_hours.on(date.weekday()).iter().find(fits) {
            Some(_) => Ok(date),
            None => Err(OffGrid::NotOnGrid),
        }
    }

    /// The venue's local date of an instant.
    pub fn local_date(&self, ts: Timestamp) -> Date {
        self.timezone.tz().to_datetime(ts).date()
    }
}

#[cfg(test)]
mod tests {
    use jiff::civil::{Weekday, date};

    use super::*;
    use crate::domain::settings::{Zone, tests::restaurant};

    fn ts(s: &str) -> Timestamp {
        s.parse().unwrap()
    }

    fn every_day(settings: &mut VenueSettings, open: &str, close: &str) {
        let p = Period::parse(open, close).unwrap();
        for i in 0..7 {
            settings.opening_hours.0[i] = vec![p];
        }
    }

    #[test]
    fn a_day_lists_every_start_whose_booking_ends_by_the_close() {
        let s = restaurant(); // 11-14 and 17-22, 15-minute grid, 90-minute bookings
        let grid = s.day_grid(date(2026, 12, 24));
        // 11:00..=12:30 is 7 starts, 17:00..=20:30 is 15 starts.
        assert_eq!(grid.len(), 22);
        assert_eq!(grid[0], ts("2026-12-24T11:00:00+08:00"));
        assert_eq!(grid[6], ts("2026-12-24T12:30:00+08:00"));
        assert_eq!(grid[21], ts("2026-12-24T20:30:00+08:00"));
    }

    #[test]
    fn a_closure_date_has_no_grid() {
        let mut s = restaurant();
        s.closures.insert(date(2026, 12, 25));
        assert!(s.day_grid(date(2026, 12, 25)).is_empty());
        assert_eq!(
            s.locate(ts("2026-12-25T18:00:00+08:00"), 90),
            Err(OffGrid::Closed)
        );
    }

    #[test]
    fn a_period_closing_at_midnight_keeps_its_late_starts() {
        let mut s = restaurant();
        every_day(&mut s, "20:00", "24:00");
        let grid = s.day_grid(date(2026, 12, 24));
        assert_eq!(grid.last(), Some(&ts("2026-12-24T22:30:00+08:00")));
    }

    #[test]
    fn locate_accepts_grid_starts_and_refuses_the_rest() {
        let s = restaurant();
        let d = date(2026, 12, 24);
        for start in s.day_grid(d) {
            assert_eq!(s.locate(start, 90), Ok(d));
        }
        for bad in [
            "2026-12-24T18:05:00+08:00", // off the 15-minute grid
            "2026-12-24T21:00:00+08:00", // would end after 22:00
            "2026-12-24T15:00:00+08:00", // between periods
            "2026-12-24T18:00:30+08:00", // seconds
        ] {
            assert_eq!(s.locate(ts(bad), 90), Err(OffGrid::NotOnGrid), "{bad}");
        }
        // Any offset denotes the same instant.
        assert_eq!(s.locate(ts("2026-12-24T10:00:00Z"), 90), Ok(d));
    }

    fn new_york_night_owl() -> VenueSettings {
        let mut s = restaurant();
        s.timezone = Zone::parse("America/New_York").unwrap();
        s.slot_minutes = 30;
        s.booking_minutes = 60;
        every_day(&mut s, "00:00", "04:00");
        s
    }

    #[test]
    fn a_skipped_hour_has_no_starts() {
        // 2026-03-08: New York jumps from 02:00 to 03:00.
        let s = new_york_night_owl();
        let d = date(2026, 3, 8);
        assert_eq!(d.weekday(), Weekday::Sunday);
        let local: Vec<String> = s
            .day_grid(d)
            .iter()
            .map(|t| s.timezone.tz().to_datetime(*t).time().to_string())
            .collect();
        // 02:00 and 02:30 do not exist; 01:30 EST + 60 minutes is 03:30 EDT,
        // inside the 04:00 close; 03:30 EDT would end at 04:30.
        assert_eq!(
            local,
            ["00:00:00", "00:30:00", "01:00:00", "01:30:00", "03:00:00"]
        );
        assert_eq!(
            s.locate(ts("2026-03-08T03:30:00-04:00"), 60),
            Err(OffGrid::NotOnGrid)
        );
    }

    #[test]
    fn a_repeated_hour_gives_two_distinct_instants() {
        // 2026-11-01: New York repeats 01:00-02:00.
        let s = new_york_night_owl();
        let grid = s.day_grid(date(2026, 11, 1));
        let at_one_thirty: Vec<_> = grid
            .iter()
            .filter(|t| s.timezone.tz().to_datetime(**t).time() == Time::constant(1, 30, 0, 0))
            .collect();
        assert_eq!(at_one_thirty.len(), 2);
        assert_eq!(
            at_one_thirty[1].as_second() - at_one_thirty[0].as_second(),
            3600
        );
        for start in &grid {
            assert!(s.locate(*start, 60).is_ok());
        }
    }
}
