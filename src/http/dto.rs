//! Wire shapes of API.md and their conversions. Instants are rendered in
//! the venue's time zone (`created_at`/`updated_at` in UTC); input instants
//! may use any offset but must use the `T` form.

use std::collections::{BTreeMap, BTreeSet};

use jiff::Timestamp;
use jiff::civil::Date;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use crate::domain::settings::{TurnRow, parse_weekday};
use crate::domain::{
    Combination, Pacing, Patch, Period, Resource, ResourceId, ResourceMode, Service, UserId,
    VenueKind, VenuePatch, VenueSettings, WeeklyHours, Zone,
};
use crate::http::ApiError;
use crate::http::details::{DetailsIn, DetailsPatchIn};

/// An instant in a zone, as RFC 3339 with the zone's offset.
pub fn local(ts: Timestamp, zone: &Zone) -> String {
    ts.to_zoned(zone.tz().clone())
        .strftime("%Y-%m-%dT%H:%M:%S%:z")
        .to_string()
}

/// An instant in UTC, RFC 3339 with `Z`.
pub fn utc(ts: Timestamp) -> String {
    ts.strftime("%Y-%m-%dT%H:%M:%S%.6fZ").to_string()
}

/// Whether an RFC 3339 instant's offset lies within ±23:59 (jiff accepts
/// up to ±25:59:59, RFC 3339 only two-digit hours of a real zone).
fn offset_in_range(text: &str) -> bool {
    if text.ends_with(['Z', 'z']) {
        return true;
    }
    let Some(at) = text.rfind(['+', '-']).filter(|&i| i > 10) else {
        return false;
    };
    let offset = &text[at + 1..];
    let mut parts = offset.split(':');
    let hours = parts.next().and_then(|h| h.parse::<u32>().ok());
    let minutes = parts.next().and_then(|m| m.parse::<u32>().ok());
    matches!((hours, minutes, parts.next()), (Some(h), Some(m), None) if h <= 23 && m <= 59)
}

/// Parses an input instant: RFC 3339, `T` form, an offset within ±23:59.
pub fn parse_instant(field: &str, text: &str) -> Result<Timestamp, ApiError> {
    let t_form = text.as_bytes().get(10) == Some(&b'T');
    match text.parse::<Timestamp>() {
        Ok(ts) if t_form && offset_in_range(text) => Ok(ts),
        _ => Err(ApiError::invalid(
            field,
            "must be an RFC 3339 instant with an offset, like 2026-12-24T18:30:00+08:00",
        )),
    }
}

/// Parses a local date `YYYY-MM-DD`.
pub fn parse_date(field: &str, text: &str) -> Result<Date, ApiError> {
    match text.parse::<Date>() {
        Ok(d) if text.len() == 10 => Ok(d),
        _ => Err(ApiError::invalid(field, "must be a date as YYYY-MM-DD")),
    }
}

/// A resource in a request.
#[derive(Debug, Deserialize, Serialize, ToSchema)]
pub struct ResourceIn {
    pub id: String,
    pub name: String,
    pub capacity: u32,
    pub min_party: Option<u32>,
    #[schema(value_type = crate::http::views::ResourceModeName)]
    pub mode: ResourceMode,
}

/// `POST /venues`.
#[derive(Debug, Deserialize, ToSchema)]
pub struct VenueIn {
    pub name: String,
    #[serde(default = "restaurant")]
    #[schema(value_type = crate::http::views::VenueKindName)]
    pub kind: VenueKind,
    pub timezone: String,
    pub slot_minutes: u32,
    pub booking_minutes: u32,
    #[serde(default = "sixty")]
    pub horizon_days: u32,
    #[serde(default)]
    pub min_notice_minutes: u32,
    #[serde(default = "yes")]
    pub auto_confirm: bool,
    pub opening_hours: BTreeMap<String, Vec<[String; 2]>>,
    #[serde(default)]
    pub closures: Vec<String>,
    pub resources: Vec<ResourceIn>,
    #[serde(default)]
    pub staff: Vec<String>,
    #[serde(default = "default_max_live_holds")]
    pub max_live_holds_per_customer: u32,
    #[serde(default)]
    pub cancel_cutoff_minutes: u32,
    #[serde(default)]
    pub max_active_bookings_per_customer: u32,
    #[serde(default)]
    #[schema(value_type = Vec<crate::http::views::TurnRowView>)]
    pub turn_minutes: Vec<TurnRow>,
    #[serde(default)]
    pub buffer_minutes: u32,
    #[schema(value_type = Option<crate::http::views::PacingView>)]
    pub pacing: Option<Pacing>,
    #[serde(default)]
    pub combinations: Vec<CombinationIn>,
    #[serde(default)]
    #[schema(value_type = Vec<crate::http::views::ServiceView>)]
    pub services: Vec<Service>,
    #[serde(default = "default_offer_minutes")]
    pub waitlist_offer_minutes: u32,
    #[serde(default = "default_max_entries")]
    pub max_waitlist_entries_per_customer: u32,
    #[serde(default)]
    pub reminder_minutes: u32,
    pub wechat_reminder_template_id: Option<String>,
    #[serde(flatten)]
    pub details: DetailsIn,
}

/// A combination in a request: `min_party` defaults to 1 and `capacity`
/// to the members' sum (API v1.1 §11).
#[derive(Debug, Deserialize, ToSchema)]
pub struct CombinationIn {
    pub id: String,
    pub resources: Vec<String>,
    pub min_party: Option<u32>,
    pub capacity: Option<u32>,
}

/// Combinations as the domain takes them: an omitted capacity is 0 until
/// `VenueSettings::resolve_combinations` sums the members; an explicit 0
/// is refused here.
fn combinations(raw: Vec<CombinationIn>) -> Result<Vec<Combination>, ApiError> {
    raw.into_iter()
        .enumerate()
        .map(|(i, c)| {
            if c.capacity == Some(0) {
                return Err(ApiError::invalid(
                    format!("combinations[{i}].capacity"),
                    "must be 1 to 1000",
                ));
            }
            Ok(Combination {
                id: ResourceId::from(c.id.as_str()),
                resources: c
                    .resources
                    .iter()
                    .map(|m| ResourceId::from(m.as_str()))
                    .collect(),
                min_party: c.min_party.unwrap_or(1),
                capacity: c.capacity.unwrap_or(0),
            })
        })
        .collect()
}

fn default_offer_minutes() -> u32 {
    crate::domain::settings::DEFAULT_OFFER_MINUTES
}

fn default_max_entries() -> u32 {
    crate::domain::settings::DEFAULT_MAX_WAITLIST_ENTRIES
}

fn default_max_live_holds() -> u32 {
    crate::domain::settings::DEFAULT_MAX_LIVE_HOLDS
}

fn restaurant() -> VenueKind {
    VenueKind::Restaurant
}
fn sixty() -> u32 {
    60
}
fn yes() -> bool {
    true
}

/// `PATCH /venues/{id}`: every field optional.
#[derive(Debug, Default, Deserialize, ToSchema)]
pub struct VenuePatchIn {
    pub name: Option<String>,
    #[schema(value_type = Option<crate::http::views::VenueKindName>)]
    pub kind: Option<VenueKind>,
    pub timezone: Option<String>,
    pub slot_minutes: Option<u32>,
    pub booking_minutes: Option<u32>,
    pub horizon_days: Option<u32>,
    pub min_notice_minutes: Option<u32>,
    pub auto_confirm: Option<bool>,
    pub opening_hours: Option<BTreeMap<String, Vec<[String; 2]>>>,
    pub closures: Option<Vec<String>>,
    pub resources: Option<Vec<ResourceIn>>,
    pub staff: Option<Vec<String>>,
    pub max_live_holds_per_customer: Option<u32>,
    pub cancel_cutoff_minutes: Option<u32>,
    pub max_active_bookings_per_customer: Option<u32>,
    #[schema(value_type = Option<Vec<crate::http::views::TurnRowView>>)]
    pub turn_minutes: Option<Vec<TurnRow>>,
    pub buffer_minutes: Option<u32>,
    /// `null` clears pacing.
    #[serde(default)]
    #[schema(value_type = Option<crate::http::views::PacingView>)]
    pub pacing: Patch<Pacing>,
    pub combinations: Option<Vec<CombinationIn>>,
    #[schema(value_type = Option<Vec<crate::http::views::ServiceView>>)]
    pub services: Option<Vec<Service>>,
    pub waitlist_offer_minutes: Option<u32>,
    pub max_waitlist_entries_per_customer: Option<u32>,
    pub reminder_minutes: Option<u32>,
    /// `null` clears it.
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    pub wechat_reminder_template_id: Patch<String>,
    #[serde(flatten)]
    pub details: DetailsPatchIn,
}

fn zone(text: &str) -> Result<Zone, ApiError> {
    Zone::parse(text).map_err(|reason| ApiError::invalid("timezone", reason))
}

fn hours(raw: &BTreeMap<String, Vec<[String; 2]>>) -> Result<WeeklyHours, ApiError> {
    let mut hours = WeeklyHours::default();
    for (key, periods) in raw {
        let day = parse_weekday(key).ok_or_else(|| {
            ApiError::invalid(
                format!("opening_hours.{key}"),
                "is not a weekday (mon..sun)",
            )
        })?;
        let parsed = periods
            .iter()
            .enumerate()
            .map(|(i, [open, close])| {
                Period::parse(open, close)
                    .map_err(|r| ApiError::invalid(format!("opening_hours.{key}[{i}]"), r))
            })
            .collect::<Result<Vec<_>, _>>()?;
        hours.set(day, parsed);
    }
    Ok(hours)
}

fn closures(raw: &[String]) -> Result<BTreeSet<Date>, ApiError> {
    raw.iter()
        .enumerate()
        .map(|(i, d)| parse_date(&format!("closures[{i}]"), d))
        .collect()
}

fn resources(raw: Vec<ResourceIn>) -> Vec<Resource> {
    raw.into_iter()
        .map(|r| Resource {
            id: ResourceId::from(r.id.as_str()),
            name: r.name,
            capacity: r.capacity,
            min_party: r.min_party.unwrap_or(1),
            mode: r.mode,
        })
        .collect()
}

fn staff(raw: Vec<String>) -> BTreeSet<UserId> {
    raw.iter().map(|u| UserId::from(u.as_str())).collect()
}

impl TryFrom<VenueIn> for VenueSettings {
    type Error = ApiError;

    fn try_from(v: VenueIn) -> Result<Self, ApiError> {
        let mut settings = VenueSettings {
            combinations: combinations(v.combinations)?,
            resources: resources(v.resources),
            buffer_minutes: v.buffer_minutes,
            pacing: v.pacing,
            services: v.services,
            waitlist_offer_minutes: v.waitlist_offer_minutes,
            max_waitlist_entries_per_customer: v.max_waitlist_entries_per_customer,
            reminder_minutes: v.reminder_minutes,
            wechat_reminder_template_id: v.wechat_reminder_template_id,
            timezone: zone(&v.timezone)?,
            opening_hours: hours(&v.opening_hours)?,
            closures: closures(&v.closures)?,
            name: v.name,
            kind: v.kind,
            slot_minutes: v.slot_minutes,
            booking_minutes: v.booking_minutes,
            horizon_days: v.horizon_days,
            min_notice_minutes: v.min_notice_minutes,
            auto_confirm: v.auto_confirm,
            staff: staff(v.staff),
            max_live_holds_per_customer: v.max_live_holds_per_customer,
            cancel_cutoff_minutes: v.cancel_cutoff_minutes,
            max_active_bookings_per_customer: v.max_active_bookings_per_customer,
            turn_minutes: v.turn_minutes,
            details: v.details.try_into()?,
        };
        settings.resolve_combinations();
        settings.validate()?;
        Ok(settings)
    }
}

impl TryFrom<VenuePatchIn> for VenuePatch {
    type Error = ApiError;

    fn try_from(v: VenuePatchIn) -> Result<Self, ApiError> {
        Ok(VenuePatch {
            timezone: v.timezone.as_deref().map(zone).transpose()?,
            opening_hours: v.opening_hours.as_ref().map(hours).transpose()?,
            closures: v.closures.as_deref().map(closures).transpose()?,
            name: v.name,
            kind: v.kind,
            slot_minutes: v.slot_minutes,
            booking_minutes: v.booking_minutes,
            horizon_days: v.horizon_days,
            min_notice_minutes: v.min_notice_minutes,
            auto_confirm: v.auto_confirm,
            resources: v.resources.map(resources),
            staff: v.staff.map(staff),
            max_live_holds_per_customer: v.max_live_holds_per_customer,
            cancel_cutoff_minutes: v.cancel_cutoff_minutes,
            max_active_bookings_per_customer: v.max_active_bookings_per_customer,
            turn_minutes: v.turn_minutes,
            buffer_minutes: v.buffer_minutes,
            pacing: v.pacing,
            combinations: v.combinations.map(combinations).transpose()?,
            services: v.services,
            waitlist_offer_minutes: v.waitlist_offer_minutes,
            max_waitlist_entries_per_customer: v.max_waitlist_entries_per_customer,
            reminder_minutes: v.reminder_minutes,
            wechat_reminder_template_id: v.wechat_reminder_template_id,
            details: v.details.try_into()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instants_need_the_t_form_and_an_offset() {
        assert!(parse_instant("start", "2026-12-24T18:30:00+08:00").is_ok());
        assert!(parse_instant("start", "2026-12-24T10:30:00Z").is_ok());
        assert!(parse_instant("start", "2026-12-24 18:30:00+08:00").is_err());
        assert!(parse_instant("start", "2026-12-24T18:30:00").is_err());
        assert!(parse_instant("start", "tomorrow").is_err());
        assert!(parse_instant("start", "2026-12-24T18:30:00-23:59").is_ok());
        assert!(parse_instant("start", "2026-12-24T18:30:00.5+05:45").is_ok());
        for bad in ["+25:00", "+24:00", "-24:30", "+08:60"] {
            let text = format!("2026-12-24T18:30:00{bad}");
            assert!(parse_instant("start", &text).is_err(), "{text}");
        }
    }

    #[test]
    fn instants_render_in_the_venues_zone() {
        let zone = Zone::parse("Asia/Shanghai").unwrap();
        let ts: Timestamp = "2026-12-24T10:30:00Z".parse().unwrap();
        assert_eq!(local(ts, &zone), "2026-12-24T18:30:00+08:00");
        assert_eq!(utc(ts), "2026-12-24T10:30:00.000000Z");
    }
}
