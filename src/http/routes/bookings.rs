//! Bookings: create, list the caller's own, read, change, and the status
//! transitions.

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::actors::messages::Execute;
use crate::domain::{
    self, BookingFilter, BookingId, BookingTarget, Channel, Command, Guest, HoldId, Reply,
    Transition, VenueId, VenueSettings,
};
use crate::http::dto;
use crate::http::extract::{Auth, JsonBody, Page, page_of, query};
use crate::http::idempotency::Once;
use crate::http::routes::venues::status_filter;
use crate::http::views::{self, BookingView};
use crate::http::{ApiError, AppState};
use crate::ids::new_id;

#[derive(Deserialize, ToSchema)]
pub struct BookingIn {
    start: Option<String>,
    party_size: Option<u32>,
    hold_id: Option<String>,
    note: Option<String>,
    #[serde(default)]
    guest: GuestIn,
    #[serde(default)]
    #[schema(value_type = crate::http::views::ChannelName)]
    channel: Channel,
    /// Required at a venue with services (API v1.1 §4).
    service_id: Option<String>,
    /// Staff only: book past the venue's pacing.
    #[serde(default)]
    override_pacing: bool,
}

/// `guest` in a booking or waitlist body (API v1.1 §3).
#[derive(Default, Deserialize, ToSchema)]
pub struct GuestIn {
    name: Option<String>,
    phone: Option<String>,
}

impl GuestIn {
    /// The guest as the domain checks it.
    pub fn to_guest(&self) -> Guest {
        Guest {
            name: self.name.clone(),
            phone: self.phone.clone(),
        }
    }
}

#[derive(Deserialize, ToSchema)]
pub struct BookingPatch {
    start: Option<String>,
    party_size: Option<u32>,
    note: Option<String>,
    version: Option<u32>,
    resource_id: Option<String>,
    #[serde(default)]
    override_pacing: bool,
}

fn render(reply: &Reply, settings: &VenueSettings) -> serde_json::Value {
    match reply {
        Reply::Booking(b) => views::to_json(BookingView::new(b, &settings.timezone)),
        _ => serde_json::Value::Null,
    }
}

async fn respond(
    state: &AppState,
    venue: &VenueId,
    status: StatusCode,
    reply: Reply,
) -> Result<HttpResponse, ApiError> {
    let zone = state.zones.get(&state.engine, venue).await?;
    match reply {
        Reply::Booking(b) => Ok(HttpResponse::build(status).json(BookingView::new(&b, &zone))),
        other => Err(ApiError::internal(format!("unexpected reply {other:?}"))),
    }
}

fn target(b: &BookingIn) -> Result<BookingTarget, ApiError> {
    match (&b.hold_id, &b.start, b.party_size) {
        (None, None, Some(party_size)) if b.channel == Channel::WalkIn => {
            Ok(BookingTarget::Now { party_size })
        }
        (Some(hold), None, None) => Ok(BookingTarget::Hold(HoldId::from(hold.as_str()))),
        (Some(_), _, _) => Err(ApiError::invalid(
            "hold_id",
            "book either a hold_id or a start and party_size, not both",
        )),
        (None, Some(start), Some(party_size)) => Ok(BookingTarget::Start {
            start: dto::parse_instant("start", start)?,
            party_size,
        }),
        (None, None, _) => Err(ApiError::invalid("start", "is required (or a hold_id)")),
        (None, Some(_), None) => Err(ApiError::invalid("party_size", "is required")),
    }
}

pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    req: HttpRequest,
    body: JsonBody<BookingIn>,
) -> Result<HttpResponse, ApiError> {
    let venue = VenueId::from(path.as_str());
    let b = &body.value;
    let guest = Guest {
        name: b.guest.name.clone(),
        phone: b.guest.phone.clone(),
    };
    // The account's name and phone, the defaults of a customer's own
    // booking (the domain applies them); from memory.
    let account = if b.channel == Channel::Online && (guest.name.is_none() || guest.phone.is_none())
    {
        let c = state.accounts.contact(&auth.user()).await?;
        Guest {
            name: c.name,
            phone: c.phone,
        }
    } else {
        Guest::default()
    };
    let booking = domain::CreateBooking {
        id: BookingId::from(new_id().as_str()),
        caller: auth.caller(),
        target: target(b)?,
        note: b.note.clone(),
        guest,
        account,
        channel: b.channel,
        service_id: b.service_id.as_deref().map(domain::ServiceId::from),
        override_pacing: b.override_pacing,
    };
    let (user, now) = (auth.user(), state.engine.now());
    let run = |record| {
        let command = Command::CreateBooking(booking);
        state.engine.execute(&venue, Execute { command, record })
    };
    let result = match state
        .idempotency
        .once(&state.engine, &user, &req, &body.raw, now, render, run)
        .await?
    {
        Once::Replayed(response) => return Ok(response),
        Once::Ran(result) => result,
    };
    respond(&state, &venue, StatusCode::CREATED, result?).await
}

/// The caller's own bookings, oldest first; filters `status`, `from`
/// (inclusive) and `to` (exclusive) on the start.
pub async fn list_own(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let q = query(&req)?;
    let page = Page::from(&q)?;
    let status = status_filter(&q)?;
    let from = q
        .get("from")
        .map(|t| dto::parse_instant("from", t))
        .transpose()?;
    let to = q
        .get("to")
        .map(|t| dto::parse_instant("to", t))
        .transpose()?;
    let filter = BookingFilter { status, from, to };
    let after = page.cursor.as_deref().map(BookingId::from);
    let (bookings, more) = state
        .engine
        .user_bookings(auth.user(), filter, after, page.limit)
        .await?;
    let mut items = Vec::with_capacity(bookings.len());
    for b in &bookings {
        let zone = state.zones.get(&state.engine, &b.venue_id).await?;
        items.push(BookingView::new(b, &zone));
    }
    let next = more
        .then(|| bookings.last().map(|b| b.id.to_string()))
        .flatten();
    Ok(HttpResponse::Ok().json(page_of(items, next)))
}

async fn venue_of(state: &AppState, id: &BookingId) -> Result<VenueId, ApiError> {
    state
        .engine
        .venue_of(id.as_str())
        .await?
        .ok_or_else(|| ApiError::not_found("booking"))
}

pub async fn get(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = BookingId::from(path.as_str());
    let venue = venue_of(&state, &id).await?;
    let (booking, seen) = state.engine.booking(&venue, id, auth.caller()).await?;
    let zone = state.zones.get(&state.engine, &venue).await?;
    Ok(HttpResponse::Ok().json(BookingView::seen(&booking, &zone, seen)))
}

pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonBody<BookingPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = BookingId::from(path.as_str());
    let venue = venue_of(&state, &id).await?;
    let b = body.value;
    let start = b
        .start
        .as_deref()
        .map(|s| dto::parse_instant("start", s))
        .transpose()?;
    let change = domain::Reschedule {
        id,
        caller: auth.caller(),
        start,
        party_size: b.party_size,
        note: b.note,
        version: b.version,
        resource_id: b.resource_id.as_deref().map(domain::ResourceId::from),
        override_pacing: b.override_pacing,
    };
    let reply = state
        .engine
        .execute(&venue, Command::Reschedule(change))
        .await?;
    respond(&state, &venue, StatusCode::OK, reply).await
}

macro_rules! transition {
    ($name:ident, $to:ident) => {
        pub async fn $name(
            state: web::Data<AppState>,
            auth: Auth,
            path: web::Path<String>,
        ) -> Result<HttpResponse, ApiError> {
            let id = BookingId::from(path.as_str());
            let venue = venue_of(&state, &id).await?;
            let reply = state
                .engine
                .execute(
                    &venue,
                    Command::Transition {
                        id,
                        caller: auth.caller(),
                        to: Transition::$to,
                    },
                )
                .await?;
            respond(&state, &venue, StatusCode::OK, reply).await
        }
    };
}

transition!(cancel, Cancel);
transition!(confirm, Confirm);
transition!(seat, Seat);
transition!(complete, Complete);
transition!(no_show, NoShow);
