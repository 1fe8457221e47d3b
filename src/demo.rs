//! The demo restaurant that `--demo` creates on an empty store, also used as
//! the standard venue of tests and benchmarks.

use std::collections::BTreeSet;

use crate::domain::{
    Location, Period, Resource, ResourceId, ResourceMode, UserId, VenueDetails, VenueKind,
    VenueSettings, WeeklyHours, Zone,
};

/// Where the demo venues are: the Bund, Shanghai.
pub const BUND: (f64, f64) = (31.2400, 121.4900);

/// What the demo prints and customers read about Lotus Garden.
pub fn lotus_details() -> VenueDetails {
    VenueDetails {
        description: Some("Cantonese classics and dim sum by the river.".into()),
        address: Some("88 Zhongshan East 1st Rd, Huangpu, Shanghai".into()),
        phone: Some("+862163210000".into()),
        cuisine: Some("Cantonese".into()),
        tags: vec!["dim sum".into(), "river view".into()],
        price_level: Some(3),
        location: Some(Location {
            lat: BUND.0,
            lng: BUND.1,
        }),
        images: Vec::new(),
    }
}

/// The demo's second restaurant, "Red Lantern", 4.6 km west of the first:
/// a Sichuan kitchen with eight tables of four, open 17:00-23:00.
pub fn lantern_settings() -> VenueSettings {
    let mut s = tables_settings(8);
    s.name = "Red Lantern".into();
    s.opening_hours = every_day(&[("17:00", "23:00")]);
    s.details = VenueDetails {
        description: Some("Sichuan hot pot and small plates.".into()),
        address: Some("1 Nanjing West Rd, Jing'an, Shanghai".into()),
        cuisine: Some("Sichuan".into()),
        tags: vec!["spicy".into(), "hot pot".into()],
        price_level: Some(2),
        location: Some(Location {
            lat: 31.2230,
            lng: 121.4450,
        }),
        ..VenueDetails::default()
    };
    s
}

/// "Lotus Garden" in Shanghai: open 11:00-14:00 and 17:00-22:00 every day,
/// 15-minute grid, 90-minute bookings, tables for 2, 4 and 6 and a shared
/// bar of 10.
pub fn restaurant_settings(staff: Vec<UserId>) -> VenueSettings {
    let table = |id: &str, name: &str, capacity, min_party| Resource {
        id: ResourceId::from(id),
        name: name.into(),
        capacity,
        min_party,
        mode: ResourceMode::Exclusive,
    };
    let resources = vec![
        table("t2", "Table 2", 2, 1),
        table("t4", "Table 4", 4, 2),
        table("t6", "Table 6", 6, 3),
        Resource {
            id: ResourceId::from("bar"),
            name: "Bar".into(),
            capacity: 10,
            min_party: 1,
            mode: ResourceMode::Shared,
        },
    ];
    VenueSettings {
        name: "Lotus Garden".into(),
        kind: VenueKind::Restaurant,
        timezone: Zone::parse("Asia/Shanghai").unwrap(), // unwrap: the zone is in the bundled IANA database.
        slot_minutes: 15,
        booking_minutes: 90,
        horizon_days: 60,
        min_notice_minutes: 0,
        auto_confirm: true,
        opening_hours: every_day(&[("11:00", "14:00"), ("17:00", "22:00")]),
        closures: BTreeSet::new(),
        resources,
        staff: staff.into_iter().collect(),
        max_live_holds_per_customer: crate::domain::settings::DEFAULT_MAX_LIVE_HOLDS,
        cancel_cutoff_minutes: 0,
        turn_minutes: Vec::new(),
        buffer_minutes: 0,
        pacing: None,
        combinations: Vec::new(),
        services: Vec::new(),
        waitlist_offer_minutes: crate::domain::settings::DEFAULT_OFFER_MINUTES,
        max_waitlist_entries_per_customer: crate::domain::settings::DEFAULT_MAX_WAITLIST_ENTRIES,
        reminder_minutes: 0,
        wechat_reminder_template_id: None,
        max_active_bookings_per_customer: 0,
        details: Default::default(),
    }
}

/// The same periods on all seven days.
pub fn every_day(periods: &[(&str, &str)]) -> WeeklyHours {
    let day: Vec<Period> = periods
        .iter()
        .map(|(o, c)| Period::parse(o, c).unwrap()) // unwrap: callers pass well-formed literal times.
        .collect();
    WeeklyHours(std::array::from_fn(|_| day.clone()))
}

/// A venue of `tables` exclusive tables of four, for benchmarks and load.
pub fn tables_settings(tables: usize) -> VenueSettings {
    let mut s = restaurant_settings(Vec::new());
    s.resources = (0..tables)
        .map(|i| Resource {
            id: ResourceId::from(format!("t{i}").as_str()),
            name: format!("Table {i}"),
            capacity: 4,
            min_party: 1,
            mode: ResourceMode::Exclusive,
        })
        .collect();
    s
}

/// Tomorrow's local date in Shanghai and 19:00 on it, as API.md writes them.
pub fn tomorrow_evening(now: jiff::Timestamp) -> (String, String) {
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap(); // unwrap: the zone is bundled and the date arithmetic stays in range.
    let date = now.to_zoned(tz).date().tomorrow().unwrap(); // unwrap: tomorrow is far from the end of time.
    (date.to_string(), format!("{date}T19:00:00+08:00"))
}
