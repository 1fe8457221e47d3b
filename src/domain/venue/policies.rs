//! A venue's customer policies (API v1.1 §4): the cancel cut-off and the
//! limit on live bookings per customer. Staff and admins are exempt.

use jiff::Timestamp;

use super::Venue;
use crate::domain::{BookingStatus, Caller, DomainError};

impl Venue {
    /// Refuses a customer's cancel or move of a booking starting at
    /// `start` once it is later than `cancel_cutoff_minutes` before it.
    /// The cut-off minute itself is still in time.
    pub(super) fn check_cutoff(
        &self,
        caller: &Caller,
        start: Timestamp,
        now: Timestamp,
    ) -> Result<(), DomainError> {
        let cutoff = self.settings.cancel_cutoff_minutes;
        if cutoff == 0 || self.manages(caller) {
            return Ok(());
        }
        let deadline = start
            .saturating_sub(jiff::SignedDuration::from_mins(i64::from(cutoff)))
            .unwrap_or(Timestamp::MIN);
        if now > deadline {
            return Err(DomainError::Cutoff(format!(
                "it is less than {cutoff} minutes before the start: ask the venue"
            )));
        }
        Ok(())
    }

    /// Refuses one more live booking to a customer who has
    /// `max_active_bookings_per_customer` already: `pending`/`confirmed`
    /// bookings of theirs at this venue that start after `now`.
    pub(super) fn check_active_limit(
        &self,
        caller: &Caller,
        now: Timestamp,
    ) -> Result<(), DomainError> {
        let limit = self.settings.max_active_bookings_per_customer;
        if limit == 0 || self.manages(caller) {
            return Ok(());
        }
        let active = self
            .bookings
            .values()
            .map(|e| &e.record)
            .filter(|b| b.user_id.as_ref() == Some(&caller.user))
            .filter(|b| matches!(b.status, BookingStatus::Pending | BookingStatus::Confirmed))
            .filter(|b| b.start > now)
            .count();
        if active >= limit as usize {
            return Err(DomainError::Limit(format!(
                "at most {limit} upcoming bookings per customer at this venue"
            )));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use super::*;
    use crate::domain::{BookingId, Command, Transition};

    fn cancel(id: &str, who: Caller) -> Command {
        Command::Transition {
            id: BookingId::from(id),
            caller: who,
            to: Transition::Cancel,
        }
    }

    #[test]
    fn the_cutoff_minute_itself_is_still_in_time_and_staff_are_exempt() {
        let mut v = venue();
        v.settings.cancel_cutoff_minutes = 120;
        let start = "2026-12-24T18:00:00+08:00";
        for id in ["b1", "b2", "b3"] {
            assert!(v.execute(book(id, "ann", start, 2), now()).reply.is_ok());
        }
        let on_the_minute = at("2026-12-24T16:00:00+08:00");
        let a_minute_late = at("2026-12-24T16:01:00+08:00");
        let late = v
            .execute(cancel("b1", Caller::user("ann")), a_minute_late)
            .reply;
        assert!(matches!(late, Err(DomainError::Cutoff(_))), "{late:?}");
        assert!(
            v.execute(cancel("b1", Caller::user("ann")), on_the_minute)
                .reply
                .is_ok()
        );
        assert!(
            v.execute(cancel("b2", Caller::admin("root")), a_minute_late)
                .reply
                .is_ok()
        );
        // Moving it counts, a note does not.
        let move_it = |note: Option<&str>, start: Option<&str>| {
            Command::Reschedule(crate::domain::Reschedule {
                id: BookingId::from("b3"),
                caller: Caller::user("ann"),
                start: start.map(at),
                party_size: None,
                note: note.map(String::from),
                version: None,
                resource_id: None,
                override_pacing: false,
            })
        };
        let moved = v
            .execute(
                move_it(None, Some("2026-12-24T19:00:00+08:00")),
                a_minute_late,
            )
            .reply;
        assert!(matches!(moved, Err(DomainError::Cutoff(_))), "{moved:?}");
        assert!(
            v.execute(move_it(Some("late, sorry"), None), a_minute_late)
                .reply
                .is_ok()
        );
    }

    #[test]
    fn the_active_limit_counts_live_future_bookings_of_that_customer_only() {
        let mut v = venue();
        v.settings.max_active_bookings_per_customer = 2;
        let days = ["2026-12-24", "2026-12-25", "2026-12-26"];
        let start = |d: &str| format!("{d}T18:00:00+08:00");
        assert!(
            v.execute(book("a1", "ann", &start(days[0]), 2), now())
                .reply
                .is_ok()
        );
        assert!(
            v.execute(book("a2", "ann", &start(days[1]), 2), now())
                .reply
                .is_ok()
        );
        let third = v
            .execute(book("a3", "ann", &start(days[2]), 2), now())
            .reply;
        assert!(matches!(third, Err(DomainError::Limit(_))), "{third:?}");
        assert!(
            v.execute(book("b1", "bob", &start(days[2]), 2), now())
                .reply
                .is_ok()
        );
        // A cancelled one no longer counts; nor does one that has started.
        assert!(
            v.execute(cancel("a1", Caller::user("ann")), now())
                .reply
                .is_ok()
        );
        assert!(
            v.execute(book("a3", "ann", &start(days[2]), 2), now())
                .reply
                .is_ok()
        );
        let later = at("2026-12-25T20:00:00+08:00");
        assert!(
            v.execute(book("a4", "ann", "2026-12-27T18:00:00+08:00", 2), later)
                .reply
                .is_ok()
        );
    }
}
