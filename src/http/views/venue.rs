//! A venue as the API shows it, and the pieces of its settings.

use std::collections::BTreeMap;

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::settings::WEEKDAY_KEYS;
use crate::domain::{Period, ResourceMode, VenueId, VenueSettings};
use crate::http::views::{ResourceModeName, VenueKindName};

/// Something a booking occupies: a table, a doctor, a room, a class.
#[derive(Debug, Serialize, ToSchema)]
pub struct ResourceView {
    pub id: String,
    pub name: String,
    pub capacity: u32,
    /// Exclusive resources only: the smallest party it takes.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub min_party: Option<u32>,
    #[schema(value_type = ResourceModeName)]
    pub mode: &'static str,
}

/// Parties up to `max_party` stay `minutes`.
#[derive(Debug, Serialize, ToSchema)]
pub struct TurnRowView {
    pub max_party: u32,
    pub minutes: u32,
}

/// At most `max_covers` guests arrive in each `minutes` from a period's opening.
#[derive(Debug, Serialize, ToSchema)]
pub struct PacingView {
    pub minutes: u32,
    pub max_covers: u32,
}

/// 2 to 4 exclusive resources booked together as one.
#[derive(Debug, Serialize, ToSchema)]
pub struct CombinationView {
    pub id: String,
    pub resources: Vec<String>,
    pub min_party: u32,
    pub capacity: u32,
}

/// Something a calendar offers: its own length and who may serve it.
#[derive(Debug, Serialize, ToSchema)]
pub struct ServiceView {
    pub id: String,
    pub name: String,
    pub minutes: u32,
    /// The resources that serve it; `null` means every resource.
    pub resources: Option<Vec<String>>,
}

/// A point on the map (WGS-84 degrees).
#[derive(Debug, Serialize, ToSchema)]
pub struct LocationView {
    pub lat: f64,
    pub lng: f64,
}

/// A venue: its rules, its floor and its public details.
#[derive(Debug, Serialize, ToSchema)]
pub struct VenueView {
    pub id: String,
    pub name: String,
    #[schema(value_type = VenueKindName)]
    pub kind: &'static str,
    /// An IANA zone, like `Asia/Shanghai`.
    pub timezone: String,
    pub slot_minutes: u32,
    pub booking_minutes: u32,
    pub horizon_days: u32,
    pub min_notice_minutes: u32,
    pub auto_confirm: bool,
    pub max_live_holds_per_customer: u32,
    pub cancel_cutoff_minutes: u32,
    pub max_active_bookings_per_customer: u32,
    pub turn_minutes: Vec<TurnRowView>,
    pub buffer_minutes: u32,
    pub pacing: Option<PacingView>,
    pub combinations: Vec<CombinationView>,
    pub services: Vec<ServiceView>,
    pub waitlist_offer_minutes: u32,
    pub max_waitlist_entries_per_customer: u32,
    pub reminder_minutes: u32,
    pub wechat_reminder_template_id: Option<String>,
    /// Weekday (`mon`..`sun`) to periods `["HH:MM", "HH:MM"]`; a close
    /// before the open runs past midnight.
    #[schema(value_type = BTreeMap<String, Vec<Vec<String>>>)]
    pub opening_hours: BTreeMap<&'static str, Vec<[String; 2]>>,
    /// Closed local dates, `YYYY-MM-DD`.
    pub closures: Vec<String>,
    pub resources: Vec<ResourceView>,
    /// The venue's last sequence number.
    pub seq: u64,
    pub description: Option<String>,
    pub address: Option<String>,
    pub phone: Option<String>,
    pub cuisine: Option<String>,
    pub tags: Vec<String>,
    /// 1 to 4.
    pub price_level: Option<u8>,
    pub location: Option<LocationView>,
    pub images: Vec<String>,
    /// Staff user ids: shown to the venue's staff and admins only.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub staff: Option<Vec<String>>,
    /// Discovery with `near`: kilometres from that point.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub distance_km: Option<f64>,
}

fn strings<T: ToString>(items: impl IntoIterator<Item = T>) -> Vec<String> {
    items.into_iter().map(|i| i.to_string()).collect()
}

impl VenueView {
    /// `staff` only where `show_staff` (see `VenueSettings::shows_staff_to`).
    pub fn new(id: &VenueId, s: &VenueSettings, seq: u64, show_staff: bool) -> Self {
        let d = &s.details;
        VenueView {
            id: id.to_string(),
            name: s.name.clone(),
            kind: s.kind.as_str(),
            timezone: s.timezone.name().to_string(),
            slot_minutes: s.slot_minutes,
            booking_minutes: s.booking_minutes,
            horizon_days: s.horizon_days,
            min_notice_minutes: s.min_notice_minutes,
            auto_confirm: s.auto_confirm,
            max_live_holds_per_customer: s.max_live_holds_per_customer,
            cancel_cutoff_minutes: s.cancel_cutoff_minutes,
            max_active_bookings_per_customer: s.max_active_bookings_per_customer,
            turn_minutes: s
                .turn_minutes
                .iter()
                .map(|t| TurnRowView {
                    max_party: t.max_party,
                    minutes: t.minutes,
                })
                .collect(),
            buffer_minutes: s.buffer_minutes,
            pacing: s.pacing.map(|p| PacingView {
                minutes: p.minutes,
                max_covers: p.max_covers,
            }),
            combinations: s
                .combinations
                .iter()
                .map(|c| CombinationView {
                    id: c.id.to_string(),
                    resources: strings(&c.resources),
                    min_party: c.min_party,
                    capacity: c.capacity,
                })
                .collect(),
            services: s
                .services
                .iter()
                .map(|v| ServiceView {
                    id: v.id.to_string(),
                    name: v.name.clone(),
                    minutes: v.minutes,
                    resources: v.resources.as_ref().map(strings),
                })
                .collect(),
            waitlist_offer_minutes: s.waitlist_offer_minutes,
            max_waitlist_entries_per_customer: s.max_waitlist_entries_per_customer,
            reminder_minutes: s.reminder_minutes,
            wechat_reminder_template_id: s.wechat_reminder_template_id.clone(),
            opening_hours: WEEKDAY_KEYS
                .iter()
                .zip(&s.opening_hours.0)
                .map(|(k, ps)| (*k, ps.iter().map(Period::render).collect()))
                .collect(),
            closures: strings(&s.closures),
            resources: s
                .resources
                .iter()
                .map(|r| ResourceView {
                    id: r.id.to_string(),
                    name: r.name.clone(),
                    capacity: r.capacity,
                    min_party: (r.mode == ResourceMode::Exclusive).then_some(r.min_party),
                    mode: r.mode.as_str(),
                })
                .collect(),
            seq,
            description: d.description.clone(),
            address: d.address.clone(),
            phone: d.phone.clone(),
            cuisine: d.cuisine.clone(),
            tags: d.tags.clone(),
            price_level: d.price_level,
            location: d.location.map(|l| LocationView {
                lat: l.lat,
                lng: l.lng,
            }),
            images: d.images.clone(),
            staff: show_staff.then(|| strings(&s.staff)),
            distance_km: None,
        }
    }
}
