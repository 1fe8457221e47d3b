//! The venue's guests with their histories (API v1.1 §3), from its guest
//! book: kept current by every booking change, so the guest list and the
//! day sheet's histories read memory, not the store.

use std::collections::BTreeMap;

use jiff::Timestamp;

use super::Venue;
use crate::domain::guests::GuestSummary;
use crate::domain::{Caller, DomainError};

impl Venue {
    /// Every guest of the venue with their history (staff and admin).
    pub fn guests(
        &self,
        caller: &Caller,
        now: Timestamp,
    ) -> Result<BTreeMap<String, GuestSummary>, DomainError> {
        if !self.manages(caller) {
            return Err(DomainError::Forbidden(
                "only the venue's staff see its guests",
            ));
        }
        Ok(self
            .guests
            .summaries(self.bookings.values().map(|e| &e.record), now))
    }
}

#[cfg(test)]
mod tests {
    use super::super::test_support::*;
    use crate::domain::{BookingId, Caller, Command, Transition};

    #[test]
    fn a_guests_history_outlives_their_bookings_leaving_memory() {
        let mut v = venue();
        assert!(
            v.execute(book("b1", "ann", "2026-12-24T18:00:00+08:00", 2), now())
                .reply
                .is_ok()
        );
        for to in [Transition::Seat, Transition::Complete] {
            let step = Command::Transition {
                id: BookingId::from("b1"),
                caller: Caller::admin("root"),
                to,
            };
            assert!(v.execute(step, now()).reply.is_ok());
        }
        // Days after its end it leaves memory; the visit stays counted.
        let later = at("2027-01-10T12:00:00+08:00");
        assert!(v.age_out(later) > 0);
        assert!(v.bookings().next().is_none());
        let guests = v.guests(&Caller::admin("root"), later).unwrap();
        assert_eq!(guests["u.ann"].visits, 1);
        assert!(v.guests(&Caller::user("ann"), later).is_err(), "staff only");
    }
}
