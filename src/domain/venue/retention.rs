//! Finished records leave a venue's memory: a cancelled, completed or
//! no-show booking and an ended hold (released, expired, converted) hold no
//! capacity, so once they ended long enough ago (`retain`, two days by
//! default) the venue forgets them. They stay in storage, readable by id,
//! in lists and day sheets. A venue's memory is then its live and recent
//! records, not its history.
//!
//! Finished records are kept by end time, as active holds are by expiry,
//! so each command looks at the due ones only.

use jiff::{SignedDuration, Timestamp};

use crate::domain::venue::Venue;
use crate::domain::{Booking, BookingId, Change, EntryId, Hold, HoldId, HoldStatus, WaitlistEntry};

/// How long after its end a finished record stays in memory by default.
pub const DEFAULT_RETAIN: SignedDuration = SignedDuration::from_hours(48);

/// The end before which a finished record is forgotten at `now`.
pub fn retention_cutoff(now: Timestamp, retain: SignedDuration) -> Timestamp {
    now.saturating_sub(retain).unwrap_or(Timestamp::MIN)
}

/// A finished record, as the index of finished records names it.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub(super) enum Finished {
    Booking(BookingId),
    Hold(HoldId),
    Entry(EntryId),
}

impl Booking {
    /// Whether a stored booking belongs in memory when its venue is
    /// rebuilt: it holds capacity, or it ended at or after `cutoff`.
    pub fn resident_after(&self, cutoff: Timestamp) -> bool {
        self.status.takes_capacity() || self.end >= cutoff
    }
}

impl Hold {
    /// As [`Booking::resident_after`], for a hold.
    pub fn resident_after(&self, cutoff: Timestamp) -> bool {
        self.status == HoldStatus::Active || self.end >= cutoff
    }
}

impl WaitlistEntry {
    /// As [`Booking::resident_after`], for a waitlist entry: live, or its
    /// window ended at or after `cutoff`.
    pub fn resident_after(&self, cutoff: Timestamp) -> bool {
        self.status.is_live() || self.latest >= cutoff
    }
}

impl Venue {
    /// A finished entry leaves memory like a booking, by its window's end.
    pub(super) fn note_finished_entry(&mut self, id: &EntryId) {
        if let Some(e) = self.entries.get(id) {
            self.finished
                .insert((e.latest, Finished::Entry(id.clone())));
        }
    }

    /// Sets how long finished records stay in memory after their end.
    pub fn retain_finished(&mut self, retain: SignedDuration) {
        self.retain = retain;
    }

    /// Records that finished records of a change are to leave memory later.
    pub(super) fn note_finished(&mut self, change: &Change) {
        match change {
            Change::BookingUpdated(b) | Change::BookingCancelled(b)
                if !b.status.takes_capacity() =>
            {
                self.finished
                    .insert((b.end, Finished::Booking(b.id.clone())));
            }
            Change::HoldReleased(h) | Change::HoldExpired(h) => {
                self.finished.insert((h.end, Finished::Hold(h.id.clone())));
            }
            _ => {}
        }
    }

    /// Forgets the finished records that ended more than `retain` before
    /// `now`; returns how many. Nothing else changes: none holds capacity.
    pub(super) fn age_out(&mut self, now: Timestamp) -> usize {
        let cutoff = retention_cutoff(now, self.retain);
        let mut gone = 0;
        while let Some((end, _)) = self.finished.first() {
            if *end >= cutoff {
                break;
            }
            let Some((_, record)) = self.finished.pop_first() else {
                break;
            };
            gone += match record {
                Finished::Booking(id) => self.bookings.remove(&id).is_some(),
                Finished::Hold(id) => self.holds.remove(&id).is_some(),
                Finished::Entry(id) => self.entries.remove(&id).is_some(),
            } as usize;
        }
        gone
    }

    /// Resident bookings and holds, for metrics and the memory tests.
    pub fn resident(&self) -> (usize, usize) {
        (self.bookings.len(), self.holds.len())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::venue::test_support::{at, book, venue};
    use crate::domain::{BookingStatus, Caller, Command, Transition};

    #[test]
    fn a_finished_booking_leaves_memory_after_the_retention_and_a_live_one_never() {
        let mut v = venue();
        v.retain_finished(SignedDuration::from_hours(1));
        let now = at("2026-12-01T09:00:00+08:00");
        for (id, user) in [("b1", "ann"), ("b2", "bob")] {
            let out = v.execute(book(id, user, "2026-12-02T18:00:00+08:00", 2), now);
            assert!(out.reply.is_ok(), "{:?}", out.reply);
        }
        let cancel = Command::Transition {
            id: BookingId::from("b1"),
            caller: Caller::user("ann"),
            to: Transition::Cancel,
        };
        assert!(v.execute(cancel, now).reply.is_ok());
        assert_eq!(
            v.booking(&BookingId::from("b1")).unwrap().status,
            BookingStatus::Cancelled
        );
        let end = v.booking(&BookingId::from("b1")).unwrap().end;

        // Any command after the end plus the retention: b1 goes, b2 stays.
        let refused = Command::ExpireHolds;
        v.execute(refused.clone(), end + SignedDuration::from_mins(59));
        assert_eq!(v.resident(), (2, 0), "not yet");
        v.execute(refused, end + SignedDuration::from_mins(61));
        assert_eq!(v.resident(), (1, 0));
        assert!(v.booking(&BookingId::from("b1")).is_none());
        assert!(
            v.booking(&BookingId::from("b2")).is_some(),
            "it still holds its table"
        );
    }

    #[test]
    fn only_records_that_hold_capacity_or_ended_recently_are_resident() {
        let mut v = venue();
        let now = at("2026-12-01T09:00:00+08:00");
        v.execute(book("b1", "ann", "2026-12-02T18:00:00+08:00", 2), now);
        let mut b = v.booking(&BookingId::from("b1")).unwrap().clone();
        let after = b.end + SignedDuration::from_secs(1);
        assert!(b.resident_after(after), "pending: holds a table");
        b.status = BookingStatus::Completed;
        assert!(!b.resident_after(after));
        assert!(b.resident_after(b.end));
    }
}
