//! A venue's settings: zone, slot grid, opening hours, closures, resources
//! and staff, with every rule that makes them coherent. HTTP parses each
//! field with the helpers here, then `VenueSettings::validate` checks the
//! whole; a venue never holds settings that failed it.

use std::collections::BTreeSet;
use std::sync::Arc;

use jiff::civil::{Date, Weekday};
use jiff::tz::TimeZone;
use serde::{Deserialize, Deserializer, Serialize, Serializer};

use crate::domain::details::{DetailsPatch, VenueDetails};
use crate::domain::floor::{Combination, Pacing, Service};
use crate::domain::{DomainError, ResourceId, UserId};

/// The largest party the engine will consider; the contract's upper bound.
pub const MAX_PARTY: u32 = 1000;
/// Most resources one venue may have; bounds the work of one availability query.
pub const MAX_RESOURCES: usize = 500;
/// Most closure dates one venue may list.
pub const MAX_CLOSURES: usize = 1000;
const MINUTES_PER_DAY: u32 = 1440;

/// Restaurant or calendar: only changes how clients present the venue.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum VenueKind {
    Restaurant,
    Calendar,
}

impl VenueKind {
    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Restaurant => "restaurant",
            Self::Calendar => "calendar",
        }
    }
}

/// How a resource's capacity is used.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ResourceMode {
    /// One booking at a time (a table, a doctor).
    Exclusive,
    /// Parties add up to the capacity in every slot (a bar, a class).
    Shared,
}

impl ResourceMode {
    /// The contract's spelling.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Exclusive => "exclusive",
            Self::Shared => "shared",
        }
    }
}

/// Something a booking occupies.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Resource {
    pub id: ResourceId,
    pub name: String,
    pub capacity: u32,
    /// Smallest party an exclusive resource accepts; always 1 for shared ones.
    pub min_party: u32,
    pub mode: ResourceMode,
}

impl Resource {
    /// The smallest party this resource takes (shared ones take any).
    pub fn min_party_for_mode(&self) -> u32 {
        match self.mode {
            ResourceMode::Exclusive => self.min_party,
            ResourceMode::Shared => 1,
        }
    }

    /// Whether a party of this size may ever use this resource.
    pub fn seats(&self, party: u32) -> bool {
        party <= self.capacity
            && match self.mode {
                ResourceMode::Exclusive => party >= self.min_party,
                ResourceMode::Shared => party >= 1,
            }
    }
}

/// One opening period of a day, in minutes after local midnight; `close`
/// may be 1440 (`24:00`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
pub struct Period {
    pub open: u32,
    pub close: u32,
}

impl Period {
    /// Parses `["HH:MM", "HH:MM"]`; `24:00` is accepted as a close only.
    pub fn parse(open: &str, close: &str) -> Result<Self, String> {
        let open = parse_hhmm(open, false)?;
        let close = parse_hhmm(close, true)?;
        if open >= close {
            return Err(format!(
                "opens at {} but closes at {}",
                fmt_hhmm(open),
                fmt_hhmm(close)
            ));
        }
        Ok(Self { open, close })
    }

    /// The period as `["HH:MM", "HH:MM"]`.
    pub fn render(&self) -> [String; 2] {
        [fmt_hhmm(self.open), fmt_hhmm(self.close)]
    }
}

fn parse_hhmm(text: &str, allow_midnight_close: bool) -> Result<u32, String> {
    let bad = || format!("{text:?} is not a time of day as HH:MM");
    let (h, m) = text.split_once(':').ok_or_else(bad)?;
    if h.len() != 2 || m.len() != 2 {
        return Err(bad());
    }
    let h: u32 = h.parse().map_err(|_| bad())?;
    let m: u32 = m.parse().map_err(|_| bad())?;
    match (h, m) {
        (24, 0) if allow_midnight_close => Ok(MINUTES_PER_DAY),
        (0..=23, 0..=59) => Ok(h * 60 + m),
        _ => Err(bad()),
    }
}

fn fmt_hhmm(minutes: u32) -> String {
    format!("{:02}:{:02}", minutes / 60, minutes % 60)
}

/// A turn time (API v1.1 §4): parties up to `max_party` stay `minutes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct TurnRow {
    pub max_party: u32,
    pub minutes: u32,
}

/// Most turn rows a venue may list.
pub const MAX_TURN_ROWS: usize = 20;

/// Opening periods for each weekday, Monday first.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct WeeklyHours(pub [Vec<Period>; 7]);

impl WeeklyHours {
    /// The periods of one weekday.
    pub fn on(&self, day: Weekday) -> &[Period] {
        &self.0[day.to_monday_zero_offset() as usize]
    }

    /// Sets the periods of one weekday.
    pub fn set(&mut self, day: Weekday, periods: Vec<Period>) {
        self.0[day.to_monday_zero_offset() as usize] = periods;
    }
}

/// Parses `mon`..`sun` (as API.md spells weekdays).
pub fn parse_weekday(text: &str) -> Option<Weekday> {
    Some(match text {
        "mon" => Weekday::Monday,
        "tue" => Weekday::Tuesday,
        "wed" => Weekday::Wednesday,
        "thu" => Weekday::Thursday,
        "fri" => Weekday::Friday,
        "sat" => Weekday::Saturday,
        "sun" => Weekday::Sunday,
        _ => return None,
    })
}

/// The weekday keys of API.md, Monday first.
pub const WEEKDAY_KEYS: [&str; 7] = ["mon", "tue", "wed", "thu", "fri", "sat", "sun"];

/// An IANA time zone with the name it was given. Stored as its name.
#[derive(Clone, Debug)]
pub struct Zone {
    name: Arc<str>,
    tz: TimeZone,
}

impl Zone {
    /// Looks the name up in the bundled IANA database.
    pub fn parse(name: &str) -> Result<Self, String> {
        let tz = TimeZone::get(name).map_err(|_| format!("{name:?} is not an IANA time zone"))?;
        Ok(Self {
            name: name.into(),
            tz,
        })
    }

    /// The IANA name.
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The rules for converting instants.
    pub fn tz(&self) -> &TimeZone {
        &self.tz
    }
}

impl PartialEq for Zone {
    fn eq(&self, other: &Self) -> bool {
        self.name == other.name
    }
}
impl Eq for Zone {}

impl Serialize for Zone {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&self.name)
    }
}

impl<'de> Deserialize<'de> for Zone {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let name = String::deserialize(d)?;
        Zone::parse(&name).map_err(serde::de::Error::custom)
    }
}

/// Everything that describes a venue; validated as a whole.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct VenueSettings {
    pub name: String,
    pub kind: VenueKind,
    pub timezone: Zone,
    pub slot_minutes: u32,
    pub booking_minutes: u32,
    pub horizon_days: u32,
    pub min_notice_minutes: u32,
    pub auto_confirm: bool,
    pub opening_hours: WeeklyHours,
    pub closures: BTreeSet<Date>,
    pub resources: Vec<Resource>,
    pub staff: BTreeSet<UserId>,
    /// Live holds one customer may have at the venue (0: no limit). Staff
    /// are exempt. Without it one customer could hold a whole venue.
    pub max_live_holds_per_customer: u32,
    /// A customer's cancel or reschedule later than this many minutes
    /// before the start is refused (0: no cut-off). Staff are exempt.
    pub cancel_cutoff_minutes: u32,
    /// Live future bookings one customer may have at the venue (0: no
    /// limit).
    pub max_active_bookings_per_customer: u32,
    /// How long a party stays, by size; larger parties (and every party
    /// without rows) stay `booking_minutes`.
    pub turn_minutes: Vec<TurnRow>,
    /// How long an exclusive resource stays taken after each booking.
    pub buffer_minutes: u32,
    /// How many guests may arrive per interval, if limited.
    pub pacing: Option<Pacing>,
    /// Exclusive resources that may be booked together.
    pub combinations: Vec<Combination>,
    /// What a calendar offers; when any, every placement names one.
    pub services: Vec<Service>,
    /// How long a waitlist offer's hold lasts (1-60 minutes).
    pub waitlist_offer_minutes: u32,
    /// Live waitlist entries one customer may have here (0: no limit).
    pub max_waitlist_entries_per_customer: u32,
    /// `booking.reminder` this many minutes before each live booking's
    /// start (0: none), API v1.1 §7.
    pub reminder_minutes: u32,
    /// The WeChat subscribe-message template of reminders, if any.
    pub wechat_reminder_template_id: Option<String>,
    /// What customers read about the venue (API v1.1 §2).
    pub details: VenueDetails,
}

/// The longest cut-off accepted: a year.
pub const MAX_CUTOFF_MINUTES: u32 = 366 * 24 * 60;
/// The largest `max_active_bookings_per_customer` accepted.
pub const MAX_ACTIVE_BOOKINGS_LIMIT: u32 = 1000;

/// The longest `reminder_minutes` accepted: a week.
pub const MAX_REMINDER_MINUTES: u32 = 7 * 24 * 60;

/// The default of `waitlist_offer_minutes` (API v1.1 §5).
pub const DEFAULT_OFFER_MINUTES: u32 = 10;
/// The default of `max_waitlist_entries_per_customer` (API v1.1 §12).
pub const DEFAULT_MAX_WAITLIST_ENTRIES: u32 = 3;

/// The default of `max_live_holds_per_customer` (API v1.1 §4): enough to
/// compare a few starts, too few to hoard.
pub const DEFAULT_MAX_LIVE_HOLDS: u32 = 3;
/// The largest `max_live_holds_per_customer` accepted.
pub const MAX_LIVE_HOLDS_LIMIT: u32 = 1000;

/// A partial change of settings (`PATCH /venues/{id}`); `None` keeps the value.
#[derive(Clone, Debug, Default)]
pub struct VenuePatch {
    pub name: Option<String>,
    pub kind: Option<VenueKind>,
    pub timezone: Option<Zone>,
    pub slot_minutes: Option<u32>,
    pub booking_minutes: Option<u32>,
    pub horizon_days: Option<u32>,
    pub min_notice_minutes: Option<u32>,
    pub auto_confirm: Option<bool>,
    pub opening_hours: Option<WeeklyHours>,
    pub closures: Option<BTreeSet<Date>>,
    pub resources: Option<Vec<Resource>>,
    pub staff: Option<BTreeSet<UserId>>,
    pub max_live_holds_per_customer: Option<u32>,
    pub cancel_cutoff_minutes: Option<u32>,
    pub max_active_bookings_per_customer: Option<u32>,
    pub turn_minutes: Option<Vec<TurnRow>>,
    pub buffer_minutes: Option<u32>,
    pub pacing: crate::domain::Patch<Pacing>,
    pub combinations: Option<Vec<Combination>>,
    pub services: Option<Vec<Service>>,
    pub waitlist_offer_minutes: Option<u32>,
    pub max_waitlist_entries_per_customer: Option<u32>,
    pub reminder_minutes: Option<u32>,
    pub wechat_reminder_template_id: crate::domain::Patch<String>,
    pub details: DetailsPatch,
}

impl VenueSettings {
    /// These settings with a patch applied (not yet validated).
    pub fn patched(&self, p: VenuePatch) -> Self {
        let s = self.clone();
        let mut next = Self {
            name: p.name.unwrap_or(s.name),
            kind: p.kind.unwrap_or(s.kind),
            timezone: p.timezone.unwrap_or(s.timezone),
            slot_minutes: p.slot_minutes.unwrap_or(s.slot_minutes),
            booking_minutes: p.booking_minutes.unwrap_or(s.booking_minutes),
            horizon_days: p.horizon_days.unwrap_or(s.horizon_days),
            min_notice_minutes: p.min_notice_minutes.unwrap_or(s.min_notice_minutes),
            auto_confirm: p.auto_confirm.unwrap_or(s.auto_confirm),
            opening_hours: p.opening_hours.unwrap_or(s.opening_hours),
            closures: p.closures.unwrap_or(s.closures),
            resources: p.resources.unwrap_or(s.resources),
            staff: p.staff.unwrap_or(s.staff),
            max_live_holds_per_customer: p
                .max_live_holds_per_customer
                .unwrap_or(s.max_live_holds_per_customer),
            cancel_cutoff_minutes: p.cancel_cutoff_minutes.unwrap_or(s.cancel_cutoff_minutes),
            max_active_bookings_per_customer: p
                .max_active_bookings_per_customer
                .unwrap_or(s.max_active_bookings_per_customer),
            turn_minutes: p.turn_minutes.unwrap_or(s.turn_minutes),
            buffer_minutes: p.buffer_minutes.unwrap_or(s.buffer_minutes),
            pacing: p.pacing.apply(s.pacing),
            combinations: p.combinations.unwrap_or(s.combinations),
            services: p.services.unwrap_or(s.services),
            waitlist_offer_minutes: p.waitlist_offer_minutes.unwrap_or(s.waitlist_offer_minutes),
            max_waitlist_entries_per_customer: p
                .max_waitlist_entries_per_customer
                .unwrap_or(s.max_waitlist_entries_per_customer),
            reminder_minutes: p.reminder_minutes.unwrap_or(s.reminder_minutes),
            wechat_reminder_template_id: p
                .wechat_reminder_template_id
                .apply(s.wechat_reminder_template_id),
            details: s.details.patched(p.details),
        };
        next.resolve_combinations();
        next
    }

    /// Checks every rule of API.md's venue section; the first broken one is
    /// reported with the field it concerns.
    pub fn validate(&self) -> Result<(), DomainError> {
        let invalid = DomainError::invalid;
        let name_len = self.name.trim().chars().count();
        if name_len == 0 || name_len > 200 {
            return Err(invalid("name", "must be 1 to 200 characters"));
        }
        let slot = self.slot_minutes;
        if slot == 0 || slot > MINUTES_PER_DAY || !MINUTES_PER_DAY.is_multiple_of(slot) {
            return Err(invalid("slot_minutes", "must divide 1440"));
        }
        let len = self.booking_minutes;
        if len == 0 || !len.is_multiple_of(slot) || len > MINUTES_PER_DAY {
            return Err(invalid(
                "booking_minutes",
                "must be a positive multiple of slot_minutes, at most 1440",
            ));
        }
        if !(1..=730).contains(&self.horizon_days) {
            return Err(invalid("horizon_days", "must be 1 to 730"));
        }
        if self.min_notice_minutes > self.horizon_days * MINUTES_PER_DAY {
            return Err(invalid(
                "min_notice_minutes",
                "must not exceed the booking horizon",
            ));
        }
        if self.max_live_holds_per_customer > MAX_LIVE_HOLDS_LIMIT {
            return Err(invalid(
                "max_live_holds_per_customer",
                "must be 0 (no limit) to 1000",
            ));
        }
        if self.cancel_cutoff_minutes > MAX_CUTOFF_MINUTES {
            return Err(invalid(
                "cancel_cutoff_minutes",
                "must be 0 (no cut-off) to 527040 (a year)",
            ));
        }
        if self.max_active_bookings_per_customer > MAX_ACTIVE_BOOKINGS_LIMIT {
            return Err(invalid(
                "max_active_bookings_per_customer",
                "must be 0 (no limit) to 1000",
            ));
        }
        if !(1..=60).contains(&self.waitlist_offer_minutes) {
            return Err(invalid("waitlist_offer_minutes", "must be 1 to 60"));
        }
        if self.max_waitlist_entries_per_customer > MAX_ACTIVE_BOOKINGS_LIMIT {
            return Err(invalid(
                "max_waitlist_entries_per_customer",
                "must be 0 (no limit) to 1000",
            ));
        }
        if self.reminder_minutes > MAX_REMINDER_MINUTES {
            return Err(invalid(
                "reminder_minutes",
                "must be 0 (no reminders) to 10080 (a week)",
            ));
        }
        if let Some(t) = &self.wechat_reminder_template_id {
            let ok = (1..=128).contains(&t.len())
                && t.bytes()
                    .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_');
            if !ok {
                return Err(invalid(
                    "wechat_reminder_template_id",
                    "must be 1 to 128 of A-Z a-z 0-9 _ -",
                ));
            }
        }
        self.validate_turns()?;
        self.details.validate()?;
        self.validate_hours()?;
        if self.closures.len() > MAX_CLOSURES {
            return Err(invalid("closures", "at most 1000 dates"));
        }
        self.validate_resources()?;
        self.validate_floor()
    }

    /// A party's length: the first turn row that holds it, else
    /// `booking_minutes` (fixed on the booking when made or moved).
    pub fn length_for(&self, party: u32) -> u32 {
        self.turn_minutes
            .iter()
            .find(|r| r.max_party >= party)
            .map_or(self.booking_minutes, |r| r.minutes)
    }

    /// A placement's length: the service's, else the party's turn row.
    pub fn length_of(&self, party: u32, service: Option<&Service>) -> u32 {
        service.map_or_else(|| self.length_for(party), |s| s.minutes)
    }

    /// The party sizes that share a length for a service (one class:
    /// every party takes the service's minutes) or for none (turn rows).
    pub fn length_classes_for(&self, service: Option<&Service>) -> Vec<(u32, u32, u32)> {
        match service {
            Some(s) => vec![(1, MAX_PARTY, s.minutes)],
            None => self.length_classes(),
        }
    }

    /// The party sizes that share a length, smallest first:
    /// `(smallest, largest, minutes)`.
    pub fn length_classes(&self) -> Vec<(u32, u32, u32)> {
        let mut classes = Vec::with_capacity(self.turn_minutes.len() + 1);
        let mut from = 1;
        for r in &self.turn_minutes {
            classes.push((from, r.max_party, r.minutes));
            from = r.max_party + 1;
        }
        if from <= MAX_PARTY {
            classes.push((from, MAX_PARTY, self.booking_minutes));
        }
        classes
    }

    fn validate_turns(&self) -> Result<(), DomainError> {
        if self.turn_minutes.len() > MAX_TURN_ROWS {
            return Err(DomainError::invalid("turn_minutes", "at most 20 rows"));
        }
        let mut last = 0;
        for (i, r) in self.turn_minutes.iter().enumerate() {
            if r.max_party <= last || r.max_party > MAX_PARTY {
                return Err(DomainError::invalid(
                    format!("turn_minutes[{i}].max_party"),
                    "rows must be sorted by max_party, each 1 to 1000 and larger than the last",
                ));
            }
            last = r.max_party;
            if r.minutes == 0
                || r.minutes > MINUTES_PER_DAY
                || !r.minutes.is_multiple_of(self.slot_minutes)
            {
                return Err(DomainError::invalid(
                    format!("turn_minutes[{i}].minutes"),
                    "must be a positive multiple of slot_minutes, at most 1440",
                ));
            }
        }
        Ok(())
    }

    fn validate_hours(&self) -> Result<(), DomainError> {
        for (key, periods) in WEEKDAY_KEYS.iter().zip(&self.opening_hours.0) {
            let field = || format!("opening_hours.{key}");
            let mut sorted = periods.clone();
            sorted.sort();
            for p in &sorted {
                if p.open >= p.close || p.close > MINUTES_PER_DAY {
                    return Err(DomainError::invalid(
                        field(),
                        "a period must open before it closes",
                    ));
                }
            }
            if sorted.windows(2).any(|w| w[1].open < w[0].close) {
                return Err(DomainError::invalid(field(), "periods overlap"));
            }
        }
        Ok(())
    }

    fn validate_resources(&self) -> Result<(), DomainError> {
        if self.resources.is_empty() || self.resources.len() > MAX_RESOURCES {
            return Err(DomainError::invalid(
                "resources",
                "must list 1 to 500 resources",
            ));
        }
        let mut seen = BTreeSet::new();
        for (i, r) in self.resources.iter().enumerate() {
            let field = |f: &str| format!("resources[{i}].{f}");
            let id = r.id.as_str();
            if !crate::domain::floor::valid_id(id, false) {
                return Err(DomainError::invalid(
                    field("id"),
                    "must be 1 to 64 of A-Z a-z 0-9 _ -",
                ));
            }
            if !seen.insert(id) {
                return Err(DomainError::invalid(
                    field("id"),
                    format!("duplicate resource id {id:?}"),
                ));
            }
            let name_len = r.name.trim().chars().count();
            if name_len == 0 || name_len > 200 {
                return Err(DomainError::invalid(
                    field("name"),
                    "must be 1 to 200 characters",
                ));
            }
            if !(1..=MAX_PARTY).contains(&r.capacity) {
                return Err(DomainError::invalid(field("capacity"), "must be 1 to 1000"));
            }
            let min_ok = match r.mode {
                ResourceMode::Exclusive => (1..=r.capacity).contains(&r.min_party),
                ResourceMode::Shared => r.min_party == 1,
            };
            if !min_ok {
                return Err(DomainError::invalid(
                    field("min_party"),
                    "must be 1 to capacity (and 1 for shared resources)",
                ));
            }
        }
        Ok(())
    }

    /// Whether the caller manages this venue: an admin, or on its current
    /// staff list. The one place this rule lives.
    pub fn managed_by(&self, caller: &crate::domain::Caller) -> bool {
        caller.admin || self.is_staff(&caller.user)
    }

    /// Whether the venue's staff list may be shown to this caller (API v1.1
    /// §10: to admins and the venue's own staff; anonymous callers and
    /// customers never see who works there).
    pub fn shows_staff_to(&self, caller: Option<&crate::domain::Caller>) -> bool {
        caller.is_some_and(|c| self.managed_by(c))
    }

    /// Whether this user is on the venue's staff list.
    pub fn is_staff(&self, user: &UserId) -> bool {
        self.staff.contains(user)
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// A restaurant in Shanghai open 11–14 and 17–22 every day, with tables
    /// of 2, 4 and 6 and a shared bar of 10. Used by tests across the crate.
    pub fn restaurant() -> VenueSettings {
        crate::demo::restaurant_settings(Vec::new())
    }

    #[test]
    fn times_of_day_parse_and_render() {
        let p = Period::parse("17:00", "24:00").unwrap();
        assert_eq!((p.open, p.close), (1020, 1440));
        assert_eq!(p.render(), ["17:00".to_string(), "24:00".to_string()]);
        assert!(Period::parse("24:00", "24:00").is_err());
        assert!(Period::parse("7:00", "09:00").is_err());
        assert!(Period::parse("12:00", "11:00").is_err());
        assert!(Period::parse("10:60", "11:00").is_err());
    }

    #[test]
    fn unknown_zones_are_refused() {
        assert!(Zone::parse("Asia/Shanghai").is_ok());
        assert!(Zone::parse("Mars/Olympus").is_err());
    }

    #[test]
    fn the_demo_restaurant_is_valid() {
        restaurant().validate().unwrap();
    }

    #[test]
    fn periods_may_open_on_any_minute_and_the_grid_steps_from_the_opening() {
        // A 9-17 clinic with 45-minute slots: 17:00 is not a multiple of 45.
        let mut s = restaurant();
        s.slot_minutes = 45;
        s.booking_minutes = 45;
        s.opening_hours = WeeklyHours::default();
        s.opening_hours.set(
            Weekday::Tuesday,
            vec![Period::parse("09:00", "17:00").unwrap()],
        );
        s.validate().unwrap();
        let grid = s.day_grid(jiff::civil::date(2026, 12, 22));
        assert_eq!(
            grid.len(),
            10,
            "09:00, 09:45, ... 15:45 (16:30 would end at 17:15)"
        );
        let last = s.timezone.tz().to_datetime(grid[9]);
        assert_eq!((last.hour(), last.minute()), (15, 45));
    }

    fn field_of(s: &VenueSettings) -> String {
        match s.validate() {
            Err(DomainError::Invalid { field, .. }) => field,
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn each_broken_rule_names_its_field() {
        let mut s = restaurant();
        s.slot_minutes = 7;
        assert_eq!(field_of(&s), "slot_minutes");

        let mut s = restaurant();
        s.booking_minutes = 100;
        assert_eq!(field_of(&s), "booking_minutes");

        let mut s = restaurant();
        s.horizon_days = 0;
        assert_eq!(field_of(&s), "horizon_days");

        let mut s = restaurant();
        s.opening_hours.set(
            Weekday::Monday,
            vec![
                Period::parse("11:00", "14:00").unwrap(),
                Period::parse("13:00", "15:00").unwrap(),
            ],
        );
        assert_eq!(field_of(&s), "opening_hours.mon");

        let mut s = restaurant();
        s.max_live_holds_per_customer = MAX_LIVE_HOLDS_LIMIT + 1;
        assert_eq!(field_of(&s), "max_live_holds_per_customer");

        let mut s = restaurant();
        s.resources[0].capacity = 0;
        assert_eq!(field_of(&s), "resources[0].capacity");

        let mut s = restaurant();
        s.resources[1].id = s.resources[0].id.clone();
        assert_eq!(field_of(&s), "resources[1].id");

        let mut s = restaurant();
        s.resources[0].id = ResourceId::from("table 1");
        assert_eq!(field_of(&s), "resources[0].id");

        let mut s = restaurant();
        s.resources.clear();
        assert_eq!(field_of(&s), "resources");
    }
}
