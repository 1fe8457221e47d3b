//! What the venue's staff read: guests, reports and webhooks.

use serde::Serialize;
use utoipa::ToSchema;

use crate::domain::guests::GuestSummary;
use crate::domain::reports::Counts;
use crate::domain::webhooks::Webhook;
use crate::domain::{BookingStatus, Zone};
use crate::http::dto::local;
use crate::http::views::{BookingView, OutcomeName};
use crate::outbox::records::Attempt;

/// A guest's record at a venue.
#[derive(Debug, Serialize, ToSchema)]
pub struct History {
    /// Completed bookings.
    pub visits: u32,
    pub no_shows: u32,
    pub cancellations: u32,
    /// The start of the latest completed booking.
    pub last_visit: Option<String>,
    /// Live bookings that start after now.
    pub upcoming: u32,
}

impl History {
    pub fn new(g: &GuestSummary, zone: &Zone) -> Self {
        History {
            visits: g.visits,
            no_shows: g.no_shows,
            cancellations: g.cancellations,
            last_visit: g.last_visit.map(|t| local(t, zone)),
            upcoming: g.upcoming,
        }
    }
}

/// A guest as the host sees them; with their bookings here in
/// `GET /venues/{id}/guests/{guest_id}`.
#[derive(Debug, Serialize, ToSchema)]
pub struct GuestSummaryView {
    pub id: String,
    pub user_id: Option<String>,
    pub name: Option<String>,
    pub phone: Option<String>,
    pub visits: u32,
    pub no_shows: u32,
    pub cancellations: u32,
    pub last_visit: Option<String>,
    pub upcoming: u32,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub bookings: Option<Vec<BookingView>>,
}

impl GuestSummaryView {
    pub fn new(g: &GuestSummary, zone: &Zone) -> Self {
        GuestSummaryView {
            id: g.id.clone(),
            user_id: g.user_id.as_ref().map(ToString::to_string),
            name: g.name.clone(),
            phone: g.phone.clone(),
            visits: g.visits,
            no_shows: g.no_shows,
            cancellations: g.cancellations,
            last_visit: g.last_visit.map(|t| local(t, zone)),
            upcoming: g.upcoming,
            bookings: None,
        }
    }
}

/// Bookings per status.
#[derive(Debug, Serialize, ToSchema)]
pub struct ByStatus {
    pub pending: u64,
    pub confirmed: u64,
    pub seated: u64,
    pub completed: u64,
    pub cancelled: u64,
    pub no_show: u64,
}

/// The figures of a day or of a range.
#[derive(Debug, Serialize, ToSchema)]
pub struct CountsView {
    /// Bookings starting then, cancelled ones too.
    pub bookings: u64,
    /// Party sizes of the bookings seated or completed.
    pub covers: u64,
    pub by_status: ByStatus,
    pub no_show_rate: f64,
    pub cancellation_rate: f64,
    /// Booked seat-minutes over open seat-minutes, 0 to 1.
    pub occupancy: f64,
}

impl CountsView {
    pub fn new(c: &Counts) -> Self {
        CountsView {
            bookings: c.bookings,
            covers: c.covers,
            by_status: ByStatus {
                pending: c.count(BookingStatus::Pending),
                confirmed: c.count(BookingStatus::Confirmed),
                seated: c.count(BookingStatus::Seated),
                completed: c.count(BookingStatus::Completed),
                cancelled: c.count(BookingStatus::Cancelled),
                no_show: c.count(BookingStatus::NoShow),
            },
            no_show_rate: c.no_show_rate(),
            cancellation_rate: c.cancellation_rate(),
            occupancy: c.occupancy(),
        }
    }
}

/// The busiest start of a day.
#[derive(Debug, Serialize, ToSchema)]
pub struct PeakView {
    pub start: String,
    pub covers: u64,
}

/// One day of a report.
#[derive(Debug, Serialize, ToSchema)]
pub struct DayView {
    pub date: String,
    #[serde(flatten)]
    pub counts: CountsView,
    pub peak: Option<PeakView>,
}

/// `GET /venues/{id}/stats`.
#[derive(Debug, Serialize, ToSchema)]
pub struct StatsView {
    pub venue_id: String,
    pub from: String,
    pub to: String,
    pub days: Vec<DayView>,
    pub totals: CountsView,
}

/// A webhook endpoint. The signing secret appears only in the answer that
/// created it.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookView {
    pub id: String,
    pub venue_id: String,
    pub url: String,
    /// Event names or patterns like `booking.*`.
    pub events: Vec<String>,
    pub description: String,
    pub created_at: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
}

impl WebhookView {
    pub fn new(h: &Webhook, zone: &Zone) -> Self {
        WebhookView {
            id: h.id.clone(),
            venue_id: h.venue_id.to_string(),
            url: h.url.clone(),
            events: h.events.clone(),
            description: h.description.clone(),
            created_at: local(h.created_at, zone),
            secret: None,
        }
    }
}

/// One delivery attempt of an event to a webhook.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptView {
    pub id: String,
    pub event: String,
    pub seq: u64,
    pub attempt: u32,
    /// The receiver's HTTP status, if it answered.
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
    pub at: String,
    #[schema(value_type = OutcomeName)]
    pub status: &'static str,
}

impl AttemptView {
    pub fn new(a: &Attempt, zone: &Zone) -> Self {
        AttemptView {
            id: a.id.clone(),
            event: a.event.clone(),
            seq: a.seq,
            attempt: a.attempt,
            status_code: a.status_code,
            error: a.error.clone(),
            duration_ms: a.duration_ms,
            at: local(a.at, zone),
            status: a.outcome.as_str(),
        }
    }
}
