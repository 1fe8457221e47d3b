//! Reminders (API v1.1 §7): once per booking, re-planned on a move, none
//! for a cancelled booking or one made inside the window.

use jiff::SignedDuration;

use super::Venue;
use super::test_support::*;
use crate::domain::commands::{Command, Reschedule};
use crate::domain::{BookingId, Caller, Transition, VenueId};

/// 2026-12-24 at 18:00 and 19:00 in Shanghai; `now()` is four days before.
const EVE: &str = "2026-12-24T18:00:00+08:00";
const LATER: &str = "2026-12-24T19:00:00+08:00";

fn venue_reminding(minutes: u32) -> Venue {
    let mut s = crate::domain::settings::tests::restaurant();
    s.reminder_minutes = minutes;
    s.validate().unwrap();
    Venue::create(VenueId::from("v1"), s, now()).unwrap().0
}

fn reminders(out: &crate::domain::Outcome) -> Vec<&str> {
    out.events
        .iter()
        .filter(|e| e.change.name() == "booking.reminder")
        .map(|e| e.change.booking().unwrap().id.as_str())
        .collect()
}

fn tick(v: &mut Venue, at: &str) -> crate::domain::Outcome {
    v.execute(Command::ExpireHolds, at.parse().unwrap())
}

#[test]
fn a_reminder_comes_once_at_its_time_and_across_a_restore() {
    let mut v = venue_reminding(120);
    v.execute(book("b1", "ann", EVE, 2), now()).reply.unwrap();
    let due = at(EVE) - SignedDuration::from_mins(120);
    assert_eq!(v.next_expiry(), Some(due));
    assert!(reminders(&tick(&mut v, "2026-12-24T15:59:59+08:00")).is_empty());
    // A restore from the stored records plans the same reminder.
    let stored: Vec<_> = v.bookings().cloned().collect();
    let mut again = Venue::restore(
        v.id().clone(),
        v.settings().clone(),
        v.seq(),
        stored,
        vec![],
    );
    for venue in [&mut v, &mut again] {
        let out = tick(venue, "2026-12-24T16:00:00+08:00");
        assert_eq!(reminders(&out), ["b1"]);
        assert!(reminders(&tick(venue, "2026-12-24T16:30:00+08:00")).is_empty());
        assert_eq!(venue.next_expiry(), None);
    }
    // Once sent, a restore plans nothing.
    let stored: Vec<_> = v.bookings().cloned().collect();
    let restored = Venue::restore(
        v.id().clone(),
        v.settings().clone(),
        v.seq(),
        stored,
        vec![],
    );
    assert_eq!(restored.planned_reminders(), 0);
}

#[test]
fn a_moved_booking_is_reminded_for_its_new_start_only() {
    let mut v = venue_reminding(60);
    v.execute(book("b1", "ann", EVE, 2), now()).reply.unwrap();
    let move_it = Command::Reschedule(Reschedule {
        id: BookingId::from("b1"),
        caller: Caller::user("ann"),
        start: Some(at(LATER)),
        party_size: None,
        note: None,
        version: None,
        resource_id: None,
        override_pacing: false,
    });
    v.execute(move_it, now()).reply.unwrap();
    // The old due instant (17:00) passes without a reminder...
    assert!(reminders(&tick(&mut v, "2026-12-24T17:00:00+08:00")).is_empty());
    // ...the new one (18:00) brings it.
    assert_eq!(
        reminders(&tick(&mut v, "2026-12-24T18:00:00+08:00")),
        ["b1"]
    );
}

#[test]
fn none_for_a_cancelled_booking_or_one_made_inside_the_window() {
    let mut v = venue_reminding(60);
    v.execute(book("b1", "ann", EVE, 2), now()).reply.unwrap();
    let cancel = Command::Transition {
        id: BookingId::from("b1"),
        caller: Caller::user("ann"),
        to: Transition::Cancel,
    };
    v.execute(cancel, now()).reply.unwrap();
    // Made at 17:30 for 18:00 with a 60-minute lead: inside the window.
    let inside = at("2026-12-24T17:30:00+08:00");
    v.execute(book("b2", "bob", EVE, 2), inside).reply.unwrap();
    assert!(
        v.booking(&BookingId::from("b2"))
            .unwrap()
            .reminder_at
            .is_none()
    );
    assert!(reminders(&tick(&mut v, "2026-12-24T18:00:00+08:00")).is_empty());
}

#[test]
fn a_venue_without_reminders_plans_none() {
    let mut v = venue_reminding(0);
    v.execute(book("b1", "ann", EVE, 2), now()).reply.unwrap();
    assert_eq!(v.planned_reminders(), 0);
    assert_eq!(v.next_expiry(), None);
}
