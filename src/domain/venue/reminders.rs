//! Reminders (API v1.1 §7): `reminder_minutes` before a live booking's
//! start the venue emits `booking.reminder`, once. Planned like a hold's
//! expiry: the due instant is on the booking (so it survives restarts) and
//! in an index the owner's timer follows; sent means cleared.

use jiff::Timestamp;

use super::Venue;
use crate::domain::time::minutes;
use crate::domain::{Booking, BookingStatus, Change, Event};

/// Whether a booking in this state still gets its reminder.
pub(super) fn wants(booking: &Booking) -> bool {
    matches!(
        booking.status,
        BookingStatus::Pending | BookingStatus::Confirmed
    )
}

impl Venue {
    /// Plans the reminder of a booking made or moved at `now`: due
    /// `reminder_minutes` before its start, none when that is already past
    /// (made inside the window) or the venue sends none.
    pub(super) fn plan_reminder(&mut self, mut booking: Booking, now: Timestamp) -> Booking {
        let lead = self.settings.reminder_minutes;
        booking.reminder_at = None;
        if lead > 0 && wants(&booking) {
            let due = booking.start - minutes(lead);
            if due > now {
                booking.reminder_at = Some(due);
                self.reminders.insert((due, booking.id.clone()));
            }
        }
        booking
    }

    /// Emits every reminder due by `now` whose booking still wants it.
    pub(super) fn remind_due(&mut self, now: Timestamp, events: &mut Vec<Event>) {
        while let Some((at, id)) = self.reminders.first().cloned() {
            if at > now {
                break;
            }
            self.reminders.pop_first();
            let Some(entry) = self.bookings.get_mut(&id) else {
                continue;
            };
            let b = &mut entry.record;
            // Cancelled, finished or moved since it was planned.
            if b.reminder_at != Some(at) || !wants(b) {
                continue;
            }
            b.reminder_at = None;
            let booking = b.clone();
            let event = self.emit(now, Change::BookingReminded(booking));
            events.push(event);
        }
    }

    /// How many reminders are planned (tests and metrics).
    pub fn planned_reminders(&self) -> usize {
        self.reminders.len()
    }
}
