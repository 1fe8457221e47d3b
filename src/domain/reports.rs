//! A venue's daily figures (API v1.1 §8, readings in §11 and §12), computed
//! from its settings and the bookings that start in the range: pure, so it
//! runs off the venue's actor on whatever the store read.

use jiff::Timestamp;
use jiff::civil::Date;

use crate::domain::{Booking, BookingStatus, VenueSettings};

/// Most days one report may cover.
pub const MAX_REPORT_DAYS: i64 = 366;

/// The statuses, in the order reports list them.
pub const STATUSES: [BookingStatus; 6] = [
    BookingStatus::Pending,
    BookingStatus::Confirmed,
    BookingStatus::Seated,
    BookingStatus::Completed,
    BookingStatus::Cancelled,
    BookingStatus::NoShow,
];

/// Counts that add up over days; the rates are derived from them.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Counts {
    /// Every booking starting that day, cancelled ones too.
    pub bookings: u64,
    /// Party sizes of bookings seated or completed.
    pub covers: u64,
    /// Bookings per status, in `STATUSES` order.
    pub by_status: [u64; 6],
    /// Σ party × minutes of bookings not cancelled.
    pub seat_minutes: u64,
    /// Σ capacity × open minutes over the resources.
    pub available_seat_minutes: u64,
}

impl Counts {
    /// The bookings with status `s`.
    pub fn count(&self, s: BookingStatus) -> u64 {
        self.by_status[STATUSES.iter().position(|x| *x == s).unwrap_or(0)]
    }

    /// no-shows / (completed + no-shows); 0 without either.
    pub fn no_show_rate(&self) -> f64 {
        ratio(
            self.count(BookingStatus::NoShow),
            self.count(BookingStatus::Completed) + self.count(BookingStatus::NoShow),
        )
    }

    /// cancelled / bookings; 0 without bookings.
    pub fn cancellation_rate(&self) -> f64 {
        ratio(self.count(BookingStatus::Cancelled), self.bookings)
    }

    /// Booked seat-minutes over available ones, 0 to 1.
    pub fn occupancy(&self) -> f64 {
        ratio(self.seat_minutes, self.available_seat_minutes).min(1.0)
    }

    fn add(&mut self, other: &Counts) {
        self.bookings += other.bookings;
        self.covers += other.covers;
        for (a, b) in self.by_status.iter_mut().zip(other.by_status) {
            *a += b;
        }
        self.seat_minutes += other.seat_minutes;
        self.available_seat_minutes += other.available_seat_minutes;
    }
}

fn ratio(a: u64, b: u64) -> f64 {
    if b == 0 { 0.0 } else { a as f64 / b as f64 }
}

/// One day's figures.
#[derive(Clone, Debug, PartialEq)]
pub struct Day {
    pub date: Date,
    pub counts: Counts,
    /// The grid start with the most covers in progress (earliest on ties);
    /// none on a day without bookings in progress.
    pub peak: Option<(Timestamp, u64)>,
}

/// A report over `from..=to`.
#[derive(Clone, Debug, PartialEq)]
pub struct Report {
    pub days: Vec<Day>,
    pub totals: Counts,
}

/// Checks a report's range: `from` not after `to`, at most 366 days.
pub fn check_range(from: Date, to: Date) -> Result<(), crate::domain::DomainError> {
    if to < from {
        return Err(crate::domain::DomainError::invalid(
            "to",
            "must not be before from",
        ));
    }
    let days = (to - from).get_days() as i64 + 1;
    if days > MAX_REPORT_DAYS {
        return Err(crate::domain::DomainError::invalid(
            "to",
            "a report covers at most 366 days",
        ));
    }
    Ok(())
}

/// The instants `[start of from, start of the day after to)` in the zone.
pub fn range_instants(
    settings: &VenueSettings,
    from: Date,
    to: Date,
) -> Result<(Timestamp, Timestamp), crate::domain::DomainError> {
    let tz = settings.timezone.tz();
    let start = |d: Date| {
        d.to_zoned(tz.clone())
            .map(|z| z.timestamp())
            .map_err(|_| crate::domain::DomainError::invalid("to", "out of range"))
    };
    let after = to
        .tomorrow()
        .map_err(|_| crate::domain::DomainError::invalid("to", "out of range"))?;
    Ok((start(from)?, start(after)?))
}

/// The report of the dates `from..=to` from the bookings starting in them.
pub fn report(settings: &VenueSettings, bookings: &[Booking], from: Date, to: Date) -> Report {
    let capacity: u64 = settings
        .resources
        .iter()
        .map(|r| u64::from(r.capacity))
        .sum();
    let mut days = Vec::new();
    let mut totals = Counts::default();
    let mut date = from;
    while date <= to {
        let today: Vec<&Booking> = bookings
            .iter()
            .filter(|b| settings.local_date(b.start) == date)
            .collect();
        let mut c = Counts::default();
        for b in &today {
            c.bookings += 1;
            let i = STATUSES.iter().position(|s| *s == b.status).unwrap_or(0);
            c.by_status[i] += 1;
            if matches!(b.status, BookingStatus::Seated | BookingStatus::Completed) {
                c.covers += u64::from(b.party_size);
            }
            if b.status != BookingStatus::Cancelled {
                let minutes = b.end.duration_since(b.start).as_mins().max(0) as u64;
                c.seat_minutes += u64::from(b.party_size) * minutes;
            }
        }
        let open: u64 = if settings.closures.contains(&date) {
            0
        } else {
            settings
                .opening_hours
                .on(date.weekday())
                .iter()
                .map(|p| u64::from(p.close - p.open))
                .sum()
        };
        c.available_seat_minutes = capacity * open;
        let peak = peak(settings, &today, date);
        totals.add(&c);
        days.push(Day {
            date,
            counts: c,
            peak,
        });
        match date.tomorrow() {
            Ok(next) => date = next,
            Err(_) => break,
        }
    }
    Report { days, totals }
}

/// The busiest grid start of a day by covers in progress (bookings not
/// cancelled), the earliest on ties.
fn peak(settings: &VenueSettings, today: &[&Booking], date: Date) -> Option<(Timestamp, u64)> {
    let live: Vec<&&Booking> = today
        .iter()
        .filter(|b| b.status != BookingStatus::Cancelled)
        .collect();
    if live.is_empty() {
        return None;
    }
    let mut best: Option<(Timestamp, u64)> = None;
    for start in settings.day_grid_for(date, settings.slot_minutes) {
        let covers: u64 = live
            .iter()
            .filter(|b| b.start <= start && start < b.end)
            .map(|b| u64::from(b.party_size))
            .sum();
        if covers > 0 && best.is_none_or(|(_, c)| covers > c) {
            best = Some((start, covers));
        }
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::venue::test_support::*;
    use crate::domain::{BookingId, Caller, Command, Transition};

    #[test]
    fn a_day_counts_rates_occupancy_and_its_peak() {
        let mut v = venue();
        for (id, t, p) in [
            ("a", "18:00", 2),
            ("b", "18:30", 4),
            ("c", "19:00", 6),
            ("d", "12:00", 2),
        ] {
            let out = v.execute(book(id, id, &format!("2026-12-24T{t}:00+08:00"), p), now());
            assert!(out.reply.is_ok(), "{:?}", out.reply);
        }
        let run = |v: &mut crate::domain::Venue, id: &str, to| {
            let out = v.execute(
                Command::Transition {
                    id: BookingId::from(id),
                    caller: Caller::admin("root"),
                    to,
                },
                now(),
            );
            assert!(out.reply.is_ok(), "{:?}", out.reply);
        };
        run(&mut v, "a", Transition::Seat);
        run(&mut v, "a", Transition::Complete);
        run(&mut v, "b", Transition::NoShow);
        run(&mut v, "d", Transition::Cancel);
        let bookings: Vec<Booking> = v.bookings().cloned().collect();
        let day = jiff::civil::date(2026, 12, 24);
        let r = report(v.settings(), &bookings, day, day.tomorrow().unwrap());
        assert_eq!(r.days.len(), 2);
        let d = &r.days[0].counts;
        assert_eq!((d.bookings, d.covers), (4, 2));
        assert_eq!(d.by_status, [0, 1, 0, 1, 1, 1]);
        assert_eq!(d.no_show_rate(), 0.5);
        assert_eq!(d.cancellation_rate(), 0.25);
        // (2 + 4 + 6) × 90 seat-minutes of (2 + 4 + 6 + 10) × 480 open.
        assert!((d.occupancy() - (12.0 * 90.0) / (22.0 * 480.0)).abs() < 1e-9);
        // 19:00-19:30 has all three parties in progress: 12 covers.
        assert_eq!(r.days[0].peak, Some((at("2026-12-24T19:00:00+08:00"), 12)));
        assert_eq!(r.days[1].peak, None);
        assert_eq!(r.totals.bookings, 4);
        assert_eq!(r.totals.cancellation_rate(), 0.25);
    }
}
