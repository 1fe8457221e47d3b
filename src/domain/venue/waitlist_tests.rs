//! The waitlist's rules (API v1.1 §5) on one table for two.

use jiff::{SignedDuration, Timestamp};

use super::Venue;
use super::test_support::*;
use crate::domain::commands::{BookingTarget, Command, CreateBooking, JoinWaitlist};
use crate::domain::settings::VenueSettings;
use crate::domain::{
    BookingId, Caller, Change, DomainError, EntryId, EntryStatus, Guest, HoldId, Reply, Transition,
    VenueId,
};

const EVE: &str = "2026-12-24T18:00:00+08:00";

fn one_table() -> Venue {
    let mut s: VenueSettings = crate::domain::settings::tests::restaurant();
    s.resources.retain(|r| r.id.as_str() == "t2");
    s.validate().unwrap();
    Venue::create(VenueId::from("v1"), s, now()).unwrap().0
}

fn join(id: &str, user: &str, from: &str, to: &str) -> Command {
    Command::JoinWaitlist(Box::new(JoinWaitlist {
        id: EntryId::from(id),
        caller: Caller::user(user),
        date: jiff::civil::date(2026, 12, 24),
        party_size: 2,
        earliest: at(from),
        latest: at(to),
        service_id: None,
        note: None,
        guest: None,
        account: Guest::default(),
    }))
}

fn status(v: &Venue, id: &str) -> EntryStatus {
    v.waitlist_entry(&EntryId::from(id)).unwrap().status
}

fn names(out: &crate::domain::Outcome) -> Vec<&'static str> {
    out.events.iter().map(|e| e.change.name()).collect()
}

fn convert(id: &str, user: Caller, hold: HoldId) -> Command {
    Command::CreateBooking(CreateBooking {
        guest: Default::default(),
        account: Default::default(),
        channel: Default::default(),
        service_id: None,
        override_pacing: false,
        id: BookingId::from(id),
        caller: user,
        target: BookingTarget::Hold(hold),
        note: None,
    })
}

fn offer_of(v: &Venue, id: &str) -> HoldId {
    v.waitlist_entry(&EntryId::from(id))
        .unwrap()
        .offer
        .clone()
        .unwrap()
        .hold_id
}

#[test]
fn freed_capacity_goes_to_each_in_line_in_turn() {
    let mut v = one_table();
    assert!(v.execute(book("b0", "zed", EVE, 2), now()).reply.is_ok());
    for (id, user) in [("w1", "ann"), ("w2", "bob"), ("w3", "cat")] {
        let out = v.execute(join(id, user, EVE, EVE), now());
        assert_eq!(names(&out), ["waitlist.joined"], "the start is full");
    }
    let pos = |v: &Venue, id: &str| v.position(v.waitlist_entry(&EntryId::from(id)).unwrap());
    assert_eq!(
        (pos(&v, "w1"), pos(&v, "w2"), pos(&v, "w3")),
        (Some(1), Some(2), Some(3))
    );

    // The cancellation and the offer are one change.
    let cancel = Command::Transition {
        id: BookingId::from("b0"),
        caller: Caller::user("zed"),
        to: Transition::Cancel,
    };
    let out = v.execute(cancel, now());
    assert_eq!(names(&out), ["booking.cancelled", "waitlist.offered"]);
    let Change::WaitlistOffered(offered) = &out.events[1].change else {
        unreachable!()
    };
    assert_eq!(offered.entry.id.as_str(), "w1");
    let hold = offered.hold.clone().unwrap();
    assert_eq!((hold.start, hold.user_id.as_str()), (at(EVE), "ann"));
    assert_eq!(hold.expires_at, now() + SignedDuration::from_mins(10));
    assert_eq!(
        (pos(&v, "w2"), pos(&v, "w3")),
        (Some(1), Some(2)),
        "positions move"
    );
    // Nobody else can take it, and the availability says so.
    assert_eq!(
        v.execute(book("b1", "eve", EVE, 2), now()).reply,
        Err(DomainError::SlotUnavailable)
    );
    let day = v
        .availability(jiff::civil::date(2026, 12, 24), 2, None, now())
        .unwrap();
    assert!(!day.iter().find(|s| s.start == at(EVE)).unwrap().available);

    // w1 declines: w2 is offered in the same change.
    let decline = Command::DeclineOffer {
        id: EntryId::from("w1"),
        caller: Caller::user("ann"),
    };
    let out = v.execute(decline.clone(), now());
    assert_eq!(names(&out), ["waitlist.missed", "waitlist.offered"]);
    assert!(matches!(out.reply, Ok(Reply::Entry(ref e)) if e.entry.status == EntryStatus::Missed));
    assert!(matches!(
        v.execute(decline, now()).reply,
        Err(DomainError::Conflict(_))
    ));
    assert_eq!(status(&v, "w2"), EntryStatus::Offered);

    // w2 lets it lapse: w3 is offered when it does.
    let lapsed = now() + SignedDuration::from_mins(10);
    assert_eq!(v.next_expiry(), Some(lapsed));
    let out = v.execute(Command::ExpireHolds, lapsed);
    assert_eq!(names(&out), ["waitlist.missed", "waitlist.offered"]);
    assert_eq!(status(&v, "w2"), EntryStatus::Missed);

    // Only w3 converts its offer; it books the table.
    let hold = offer_of(&v, "w3");
    let stolen = v.execute(convert("b2", Caller::user("ann"), hold.clone()), lapsed);
    assert_eq!(stolen.reply, Err(DomainError::NotFound("hold")));
    let out = v.execute(convert("b3", Caller::user("cat"), hold), lapsed);
    assert_eq!(names(&out), ["waitlist.booked", "booking.created"]);
    assert_eq!(status(&v, "w3"), EntryStatus::Booked);
    let left = Command::LeaveWaitlist {
        id: EntryId::from("w3"),
        caller: Caller::user("cat"),
    };
    assert!(matches!(
        v.execute(left, lapsed).reply,
        Err(DomainError::Conflict(_))
    ));
}

#[test]
fn a_free_start_is_offered_at_once_and_the_earliest_of_the_window_first() {
    let mut v = one_table();
    let out = v.execute(
        join(
            "w1",
            "ann",
            "2026-12-24T18:00:00+08:00",
            "2026-12-24T19:00:00+08:00",
        ),
        now(),
    );
    assert_eq!(names(&out), ["waitlist.joined", "waitlist.offered"]);
    let Ok(Reply::Entry(e)) = out.reply else {
        panic!()
    };
    assert_eq!(
        e.entry.status,
        EntryStatus::Offered,
        "the answer shows the offer"
    );
    assert_eq!(e.entry.offer.unwrap().start, at(EVE));
    // Releasing the offer's hold is a decline.
    let release = Command::ReleaseHold {
        id: offer_of(&v, "w1"),
        caller: Caller::user("ann"),
    };
    let out = v.execute(release, now());
    assert_eq!(names(&out), ["waitlist.missed"]);
    assert_eq!(status(&v, "w1"), EntryStatus::Missed);
}

#[test]
fn an_offer_does_not_count_as_a_hold_and_a_customer_at_the_limit_is_skipped() {
    let mut v = one_table();
    v.execute(join("w1", "ann", EVE, EVE), now());
    // Three holds of her own on top of the offer.
    for (i, t) in ["11:00", "12:30", "17:00"].iter().enumerate() {
        let out = v.execute(
            hold(
                &format!("h{i}"),
                "ann",
                &format!("2026-12-25T{t}:00+08:00"),
                2,
            ),
            now(),
        );
        assert!(out.reply.is_ok(), "{:?}", out.reply);
    }
    let mut limited = one_table();
    limited.settings.max_active_bookings_per_customer = 1;
    assert!(
        limited
            .execute(book("b0", "ann", "2026-12-25T18:00:00+08:00", 2), now())
            .reply
            .is_ok()
    );
    assert!(
        limited
            .execute(book("b1", "zed", EVE, 2), now())
            .reply
            .is_ok()
    );
    limited.execute(join("w1", "ann", EVE, EVE), now());
    limited.execute(join("w2", "bob", EVE, EVE), now());
    let cancel = Command::Transition {
        id: BookingId::from("b1"),
        caller: Caller::user("zed"),
        to: Transition::Cancel,
    };
    limited.execute(cancel, now());
    assert_eq!(
        status(&limited, "w1"),
        EntryStatus::Waiting,
        "ann could not book it"
    );
    assert_eq!(status(&limited, "w2"), EntryStatus::Offered);
}

#[test]
fn a_passed_window_is_missed_on_time_and_entries_are_limited() {
    let mut v = one_table();
    assert!(v.execute(book("b0", "zed", EVE, 2), now()).reply.is_ok());
    v.execute(join("w1", "ann", EVE, EVE), now());
    assert_eq!(
        v.next_expiry(),
        Some(at(EVE) + SignedDuration::from_secs(1))
    );
    let out = v.execute(Command::ExpireHolds, at(EVE) + SignedDuration::from_secs(1));
    assert_eq!(names(&out), ["waitlist.missed"]);
    assert_eq!(v.next_expiry(), None);

    let mut v = one_table();
    assert!(v.execute(book("b0", "zed", EVE, 2), now()).reply.is_ok());
    for id in ["a", "b", "c"] {
        assert!(v.execute(join(id, "ann", EVE, EVE), now()).reply.is_ok());
    }
    assert!(matches!(
        v.execute(join("d", "ann", EVE, EVE), now()).reply,
        Err(DomainError::Limit(_))
    ));
    // Leaving frees a place; leaving twice is fine.
    let leave = Command::LeaveWaitlist {
        id: EntryId::from("a"),
        caller: Caller::user("ann"),
    };
    assert_eq!(names(&v.execute(leave.clone(), now())), ["waitlist.left"]);
    assert_eq!(v.execute(leave, now()).reply, Ok(Reply::Done));
    assert!(v.execute(join("d", "ann", EVE, EVE), now()).reply.is_ok());
    // A stranger sees none of it.
    let probe = Command::LeaveWaitlist {
        id: EntryId::from("b"),
        caller: Caller::user("eve"),
    };
    assert_eq!(
        v.execute(probe, now()).reply,
        Err(DomainError::NotFound("waitlist entry"))
    );
}

#[test]
fn a_window_must_lie_on_its_date() {
    let mut v = one_table();
    let field = |out: crate::domain::Outcome| match out.reply {
        Err(DomainError::Invalid { field, .. }) => field,
        other => panic!("{other:?}"),
    };
    assert_eq!(
        field(v.execute(join("a", "ann", "2026-12-25T18:00:00+08:00", EVE), now())),
        "earliest"
    );
    assert_eq!(
        field(v.execute(join("a", "ann", EVE, "2026-12-24T17:00:00+08:00"), now())),
        "latest"
    );
    assert_eq!(v.seq(), 1, "nothing changed");
}

#[test]
fn staff_list_a_guest_and_book_its_offer_for_them() {
    let mut v = one_table();
    assert!(v.execute(book("b0", "zed", EVE, 2), now()).reply.is_ok());
    let Command::JoinWaitlist(mut j) = join("w1", "root", EVE, EVE) else {
        unreachable!()
    };
    j.caller = Caller::admin("root");
    j.guest = Some(Guest {
        name: Some("Mr Wang".into()),
        phone: None,
    });
    assert!(v.execute(Command::JoinWaitlist(j), now()).reply.is_ok());
    let entry = v.waitlist_entry(&EntryId::from("w1")).unwrap();
    assert_eq!(entry.user_id, None);
    let cancel = Command::Transition {
        id: BookingId::from("b0"),
        caller: Caller::user("zed"),
        to: Transition::Cancel,
    };
    v.execute(cancel, now());
    let out = v.execute(
        convert("b1", Caller::admin("root"), offer_of(&v, "w1")),
        now(),
    );
    let Ok(Reply::Booking(b)) = out.reply else {
        panic!("{:?}", out.reply)
    };
    assert_eq!(
        (b.user_id, b.guest.name.as_deref()),
        (None, Some("Mr Wang"))
    );
    assert_eq!(b.channel, crate::domain::Channel::Staff);
}

#[test]
fn an_offer_survives_a_rebuild_and_still_lapses_on_time() {
    let mut v = one_table();
    assert!(v.execute(book("b0", "zed", EVE, 2), now()).reply.is_ok());
    v.execute(join("w1", "ann", EVE, EVE), now());
    v.execute(join("w2", "bob", EVE, EVE), now());
    let cancel = Command::Transition {
        id: BookingId::from("b0"),
        caller: Caller::user("zed"),
        to: Transition::Cancel,
    };
    v.execute(cancel, now());
    let rebuilt = Venue::restore(
        v.id().clone(),
        v.settings().clone(),
        v.seq(),
        v.bookings().cloned().collect(),
        v.holds().cloned().collect(),
    )
    .with_entries(v.waitlist_entries().cloned().collect());
    let mut r = rebuilt;
    let later: Timestamp = now() + SignedDuration::from_mins(10);
    assert_eq!(r.next_expiry(), Some(later));
    let out = r.execute(Command::ExpireHolds, later);
    assert_eq!(names(&out), ["waitlist.missed", "waitlist.offered"]);
    assert_eq!(status(&r, "w2"), EntryStatus::Offered);
}
