//! The edges of the floor rules (API v1.1 §4): a buffer that would overrun
//! the close, a combination whose member is taken, pacing at the interval
//! boundary, a service whose only doctor is booked.

use jiff::civil::date;

use super::Venue;
use super::test_support::*;
use crate::domain::commands::{BookingTarget, Command, CreateBooking, PlaceHold};
use crate::domain::settings::{ResourceMode, VenueSettings};
use crate::domain::{
    Booking, BookingId, Caller, Combination, DomainError, HoldId, Pacing, Reply, Resource,
    ResourceId, Service, ServiceId, VenueId,
};

fn venue_with(f: impl FnOnce(&mut VenueSettings)) -> Venue {
    let mut s = crate::domain::settings::tests::restaurant();
    f(&mut s);
    s.validate().unwrap();
    Venue::create(VenueId::from("v1"), s, now()).unwrap().0
}

fn without_bar(s: &mut VenueSettings) {
    s.resources.retain(|r| r.mode == ResourceMode::Exclusive);
}

fn placed(v: &mut Venue, cmd: Command) -> Result<Booking, DomainError> {
    match v.execute(cmd, now()).reply {
        Ok(Reply::Booking(b)) => Ok(b),
        Ok(other) => panic!("{other:?}"),
        Err(e) => Err(e),
    }
}

fn on(v: &mut Venue, id: &str, start: &str, party: u32) -> Result<String, DomainError> {
    placed(v, book(id, id, start, party)).map(|b| b.resource_id.to_string())
}

fn day() -> jiff::civil::Date {
    date(2026, 12, 24)
}

fn field(r: Result<impl std::fmt::Debug, DomainError>) -> String {
    match r {
        Err(DomainError::Invalid { field, .. }) => field,
        other => panic!("expected a validation error, got {other:?}"),
    }
}

#[test]
fn a_buffer_keeps_the_table_after_each_booking_and_must_fit_before_the_close() {
    let mut v = venue_with(|s| {
        without_bar(s);
        s.buffer_minutes = 30;
    });
    assert_eq!(
        on(&mut v, "a", "2026-12-24T18:00:00+08:00", 2).unwrap(),
        "t2"
    );
    // t2 is turned over until 20:00: a couple at 19:30 gets the next table.
    assert_eq!(
        on(&mut v, "b", "2026-12-24T19:30:00+08:00", 2).unwrap(),
        "t4"
    );
    assert_eq!(
        on(&mut v, "c", "2026-12-24T20:00:00+08:00", 2).unwrap(),
        "t2"
    );
    // A new booking's buffer must clear the next one too: 17:00 on t2
    // would turn over until 19:00, into a at 18:00; t4 is clear until b.
    assert_eq!(
        on(&mut v, "d", "2026-12-24T17:00:00+08:00", 2).unwrap(),
        "t4"
    );
    // The end is the booking's own; the buffer is not part of it.
    let a = v.booking(&BookingId::from("a")).unwrap();
    assert_eq!(a.end, at("2026-12-24T19:30:00+08:00"));
    assert_eq!(a.buffer_minutes, 30);
    // 20:30 + 90 minutes is the 22:00 close: the buffer would overrun it,
    // so with only tables that start is not on the grid at all.
    let grid = v.availability(day(), 2, None, now()).unwrap();
    assert_eq!(
        grid.last().map(|s| s.start),
        Some(at("2026-12-24T20:00:00+08:00"))
    );
    assert_eq!(
        field(on(&mut v, "e", "2026-12-24T20:30:00+08:00", 2)),
        "start"
    );
}

#[test]
fn a_buffer_that_overruns_the_close_leaves_the_start_to_shared_resources() {
    let mut v = venue_with(|s| s.buffer_minutes = 30);
    // With the bar (shared: no buffer), 20:30 stays on the grid for it alone.
    assert_eq!(
        on(&mut v, "a", "2026-12-24T20:30:00+08:00", 2).unwrap(),
        "bar"
    );
    let bar = v.booking(&BookingId::from("a")).unwrap();
    assert_eq!(bar.buffer_minutes, 0);
    let slot = v
        .availability(day(), 2, None, now())
        .unwrap()
        .into_iter()
        .find(|s| s.start == at("2026-12-24T20:30:00+08:00"))
        .unwrap();
    assert_eq!((slot.max_party, slot.available), (8, true));
}

fn combined(s: &mut VenueSettings) {
    without_bar(s);
    let combo = |id: &str, members: [&str; 2], min_party, capacity| Combination {
        id: ResourceId::from(id),
        resources: members.iter().map(|m| ResourceId::from(*m)).collect(),
        min_party,
        capacity,
    };
    s.combinations = vec![
        combo("t4+t6", ["t4", "t6"], 7, 10),
        combo("t2+t4", ["t2", "t4"], 1, 6),
    ];
}

#[test]
fn a_combination_takes_every_member_and_is_refused_when_one_is_taken() {
    let mut v = venue_with(combined);
    let fresh = v.availability(day(), 8, None, now()).unwrap();
    assert!(fresh.iter().all(|s| s.max_party == 10 && s.available));
    assert_eq!(
        on(&mut v, "a", "2026-12-24T18:00:00+08:00", 8).unwrap(),
        "t4+t6"
    );
    // Its members are taken: nothing for four or six overlaps it.
    assert_eq!(
        on(&mut v, "b", "2026-12-24T18:30:00+08:00", 4),
        Err(DomainError::SlotUnavailable)
    );
    assert_eq!(
        on(&mut v, "c", "2026-12-24T18:30:00+08:00", 2).unwrap(),
        "t2"
    );
    // A member booked alone blocks the combination around it.
    assert_eq!(
        on(&mut v, "e", "2026-12-25T20:00:00+08:00", 5).unwrap(),
        "t6"
    );
    assert_eq!(
        on(&mut v, "f", "2026-12-25T19:00:00+08:00", 8),
        Err(DomainError::SlotUnavailable)
    );
    let at_seven = v
        .availability(date(2026, 12, 25), 8, None, now())
        .unwrap()
        .into_iter()
        .find(|s| s.start == at("2026-12-25T19:00:00+08:00"))
        .unwrap();
    assert_eq!((at_seven.max_party, at_seven.available), (6, false));
}

#[test]
fn single_tables_come_first_then_the_smallest_combination() {
    let mut v = venue_with(combined);
    assert_eq!(
        on(&mut v, "a", "2026-12-24T18:00:00+08:00", 5).unwrap(),
        "t6"
    );
    // t6 taken: the smallest combination that holds five is t2+t4 (6), not t4+t6.
    assert_eq!(
        on(&mut v, "b", "2026-12-24T18:00:00+08:00", 5).unwrap(),
        "t2+t4"
    );
    // Both combinations share t4, now taken.
    assert_eq!(
        on(&mut v, "c", "2026-12-24T18:00:00+08:00", 5),
        Err(DomainError::SlotUnavailable)
    );
}

fn paced(s: &mut VenueSettings) {
    s.pacing = Some(Pacing {
        minutes: 30,
        max_covers: 6,
    });
}

#[test]
fn pacing_counts_arrivals_per_interval_from_the_opening() {
    let mut v = venue_with(paced);
    on(&mut v, "a", "2026-12-24T17:00:00+08:00", 2).unwrap();
    on(&mut v, "b", "2026-12-24T17:15:00+08:00", 4).unwrap();
    // 17:00-17:30 has its six covers; 17:30 is the next interval.
    assert_eq!(
        on(&mut v, "c", "2026-12-24T17:15:00+08:00", 1),
        Err(DomainError::SlotUnavailable)
    );
    on(&mut v, "d", "2026-12-24T17:30:00+08:00", 4).unwrap();
    let slots = v.availability(day(), 2, None, now()).unwrap();
    let max = |t: &str| slots.iter().find(|s| s.start == at(t)).unwrap().max_party;
    assert_eq!(max("2026-12-24T17:00:00+08:00"), 0);
    assert_eq!(max("2026-12-24T17:15:00+08:00"), 0);
    assert_eq!(max("2026-12-24T17:45:00+08:00"), 2);
    assert_eq!(max("2026-12-24T18:00:00+08:00"), 6);
    // A hold counts as an arrival too.
    let hold = Command::PlaceHold(PlaceHold {
        id: HoldId::from("h"),
        caller: Caller::user("ann"),
        start: at("2026-12-24T17:45:00+08:00"),
        party_size: 2,
        ttl_seconds: 300,
        service_id: None,
        override_pacing: false,
    });
    assert!(v.execute(hold, now()).reply.is_ok());
    assert_eq!(
        on(&mut v, "e", "2026-12-24T17:30:00+08:00", 1),
        Err(DomainError::SlotUnavailable)
    );
    // More than the interval's covers is never bookable.
    assert_eq!(
        field(on(&mut v, "f", "2026-12-25T18:00:00+08:00", 7)),
        "party_size"
    );
}

fn staff_booking(id: &str, start: &str, party: u32, caller: Caller) -> Command {
    Command::CreateBooking(CreateBooking {
        guest: Default::default(),
        account: Default::default(),
        channel: Default::default(),
        service_id: None,
        override_pacing: true,
        id: BookingId::from(id),
        caller,
        target: BookingTarget::Start {
            start: at(start),
            party_size: party,
        },
        note: None,
    })
}

#[test]
fn staff_book_past_pacing_and_customers_may_not_ask_to() {
    let mut v = venue_with(paced);
    on(&mut v, "a", "2026-12-24T17:00:00+08:00", 6).unwrap();
    let start = "2026-12-24T17:00:00+08:00";
    assert!(matches!(
        placed(&mut v, staff_booking("b", start, 2, Caller::user("ann"))),
        Err(DomainError::Forbidden(_))
    ));
    assert!(placed(&mut v, staff_booking("c", start, 2, Caller::admin("root"))).is_ok());
}

fn clinic(s: &mut VenueSettings) {
    let doctor = |id: &str| Resource {
        id: ResourceId::from(id),
        name: id.into(),
        capacity: 1,
        min_party: 1,
        mode: ResourceMode::Exclusive,
    };
    s.resources = vec![doctor("dr_li"), doctor("dr_wu")];
    s.booking_minutes = 30;
    s.services = vec![
        Service {
            id: ServiceId::from("consult"),
            name: "Consultation".into(),
            minutes: 30,
            resources: Some(vec![ResourceId::from("dr_li")]),
        },
        Service {
            id: ServiceId::from("checkup"),
            name: "Check-up".into(),
            minutes: 15,
            resources: None,
        },
    ];
}

fn visit(id: &str, start: &str, service: Option<&str>) -> Command {
    Command::CreateBooking(CreateBooking {
        guest: Default::default(),
        account: Default::default(),
        channel: Default::default(),
        service_id: service.map(ServiceId::from),
        override_pacing: false,
        id: BookingId::from(id),
        caller: Caller::user(id),
        target: BookingTarget::Start {
            start: at(start),
            party_size: 1,
        },
        note: None,
    })
}

#[test]
fn a_service_whose_only_doctor_is_booked_is_unavailable_while_others_are_not() {
    let mut v = venue_with(clinic);
    let eleven = "2026-12-24T11:00:00+08:00";
    let first = placed(&mut v, visit("a", eleven, Some("consult"))).unwrap();
    assert_eq!(first.resource_id.as_str(), "dr_li");
    assert_eq!(first.end, at("2026-12-24T11:30:00+08:00"));
    assert_eq!(first.service_id, Some(ServiceId::from("consult")));
    assert_eq!(
        placed(&mut v, visit("b", eleven, Some("consult"))),
        Err(DomainError::SlotUnavailable)
    );
    let checkup = placed(&mut v, visit("c", eleven, Some("checkup"))).unwrap();
    assert_eq!(checkup.resource_id.as_str(), "dr_wu");
    assert_eq!(checkup.end, at("2026-12-24T11:15:00+08:00"));
    let consult = ServiceId::from("consult");
    let slots = v.availability(day(), 1, Some(&consult), now()).unwrap();
    let slot = |t: &str| slots.iter().find(|s| s.start == at(t)).unwrap().available;
    assert!(!slot(eleven));
    assert!(slot("2026-12-24T11:30:00+08:00"));
    // The service is required, and must be one of the venue's.
    assert_eq!(
        field(placed(&mut v, visit("d", eleven, None))),
        "service_id"
    );
    assert_eq!(
        field(placed(&mut v, visit("e", eleven, Some("x")))),
        "service_id"
    );
    assert_eq!(field(v.availability(day(), 1, None, now())), "service_id");
}

/// A change that breaks one rule.
type Breaks = fn(&mut VenueSettings);

#[test]
fn each_broken_floor_rule_names_its_field() {
    let broken: [(&str, Breaks); 8] = [
        ("buffer_minutes", |s| s.buffer_minutes = 10),
        ("buffer_minutes", |s| s.buffer_minutes = 255),
        ("pacing.minutes", |s| {
            s.pacing = Some(Pacing {
                minutes: 20,
                max_covers: 5,
            })
        }),
        ("pacing.max_covers", |s| {
            s.pacing = Some(Pacing {
                minutes: 15,
                max_covers: 0,
            })
        }),
        ("combinations[0].id", |s| {
            combined(s);
            s.combinations[0].id = ResourceId::from("t2");
        }),
        ("combinations[0].resources", |s| {
            combined(s);
            s.combinations[0].resources = vec![ResourceId::from("t4")];
        }),
        ("services[0].minutes", |s| {
            clinic(s);
            s.services[0].minutes = 20;
        }),
        ("services[0].resources", |s| {
            clinic(s);
            s.services[0].resources = Some(vec![ResourceId::from("dr_who")]);
        }),
    ];
    for (want, breaks) in broken {
        let mut s = crate::domain::settings::tests::restaurant();
        breaks(&mut s);
        assert_eq!(field(s.validate()), want);
    }
    // A combination may not include a shared resource.
    let mut s = crate::domain::settings::tests::restaurant();
    s.combinations = vec![Combination {
        id: ResourceId::from("t2+bar"),
        resources: vec![ResourceId::from("t2"), ResourceId::from("bar")],
        min_party: 1,
        capacity: 12,
    }];
    assert_eq!(field(s.validate()), "combinations[0].resources");
}

#[test]
fn a_later_buffer_strands_nothing_and_a_move_keeps_the_service() {
    let mut v = venue_with(without_bar);
    // Back to back on t2, with no buffer between them.
    assert_eq!(
        on(&mut v, "a", "2026-12-24T17:00:00+08:00", 2).unwrap(),
        "t2"
    );
    assert_eq!(
        on(&mut v, "b", "2026-12-24T18:30:00+08:00", 2).unwrap(),
        "t2"
    );
    let patch = crate::domain::VenuePatch {
        buffer_minutes: Some(30),
        ..Default::default()
    };
    let out = v.execute(
        Command::UpdateVenue {
            caller: Caller::admin("root"),
            patch: Box::new(patch),
        },
        now(),
    );
    assert!(out.reply.is_ok(), "{:?}", out.reply);
    assert_eq!(v.booking(&BookingId::from("a")).unwrap().buffer_minutes, 0);
    // New placements carry the new buffer.
    assert_eq!(
        on(&mut v, "c", "2026-12-24T11:00:00+08:00", 2).unwrap(),
        "t2"
    );
    assert_eq!(
        on(&mut v, "d", "2026-12-24T12:00:00+08:00", 2).unwrap(),
        "t4"
    );
    assert_eq!(v.booking(&BookingId::from("c")).unwrap().buffer_minutes, 30);

    let mut clinic = venue_with(clinic);
    placed(
        &mut clinic,
        visit("e", "2026-12-24T11:00:00+08:00", Some("consult")),
    )
    .unwrap();
    let moved = placed(
        &mut clinic,
        Command::Reschedule(crate::domain::Reschedule {
            id: BookingId::from("e"),
            caller: Caller::user("e"),
            start: Some(at("2026-12-24T12:00:00+08:00")),
            party_size: None,
            note: None,
            version: None,
            resource_id: None,
            override_pacing: false,
        }),
    )
    .unwrap();
    assert_eq!(
        (
            moved.service_id.clone(),
            moved.resource_id.as_str(),
            moved.end
        ),
        (
            Some(ServiceId::from("consult")),
            "dr_li",
            at("2026-12-24T12:30:00+08:00")
        )
    );
}
