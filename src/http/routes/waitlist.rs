//! The waitlist (API v1.1 §5): join, the caller's entries, a date's list
//! for staff, leave, decline an offer.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::actors::messages::{Execute, GetWaitlist};
use crate::domain::{self, Command, EntryChange, EntryId, Guest, Reply, VenueId, VenueSettings};
use crate::http::dto;
use crate::http::extract::{Auth, JsonBody, Page, page_of_keyed, query};
use crate::http::idempotency::Once;
use crate::http::routes::bookings::GuestIn;
use crate::http::views::{self, EntryView};
use crate::http::{ApiError, AppState};
use crate::ids::new_id;

#[derive(Deserialize, ToSchema)]
pub struct EntryIn {
    date: String,
    party_size: u32,
    earliest: String,
    latest: String,
    service_id: Option<String>,
    note: Option<String>,
    /// Staff: a guest without an account.
    guest: Option<GuestIn>,
}

fn render(reply: &Reply, settings: &VenueSettings) -> serde_json::Value {
    match reply {
        Reply::Entry(e) => views::to_json(EntryView::new(e, &settings.timezone)),
        _ => serde_json::Value::Null,
    }
}

/// `POST /venues/{id}/waitlist` (honours `Idempotency-Key`).
pub async fn join(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    req: HttpRequest,
    body: JsonBody<EntryIn>,
) -> Result<HttpResponse, ApiError> {
    let venue = VenueId::from(path.as_str());
    let b = &body.value;
    let c = state.accounts.contact(&auth.user()).await?;
    let join = domain::JoinWaitlist {
        id: EntryId::from(new_id().as_str()),
        caller: auth.caller(),
        date: dto::parse_date("date", &b.date)?,
        party_size: b.party_size,
        earliest: dto::parse_instant("earliest", &b.earliest)?,
        latest: dto::parse_instant("latest", &b.latest)?,
        service_id: b.service_id.as_deref().map(domain::ServiceId::from),
        note: b.note.clone(),
        guest: b.guest.as_ref().map(GuestIn::to_guest),
        account: Guest {
            name: c.name,
            phone: c.phone,
        },
    };
    let (user, now) = (auth.user(), state.engine.now());
    let run = |record| {
        let command = Command::JoinWaitlist(Box::new(join));
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
    let zone = state.zones.get(&state.engine, &venue).await?;
    match result? {
        Reply::Entry(e) => Ok(HttpResponse::Created().json(EntryView::new(&e, &zone))),
        other => Err(ApiError::internal(format!("unexpected reply {other:?}"))),
    }
}

/// `GET /waitlist`: the caller's entries, every status, newest first.
pub async fn list_own(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = Page::from(&query(&req)?)?;
    let entries = state.engine.user_waitlist(auth.caller()).await?;
    paged(&state, entries, page).await
}

/// `GET /venues/{id}/waitlist?date=` (staff): position order, with guests.
pub async fn list_venue(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let venue = VenueId::from(path.as_str());
    let q = query(&req)?;
    let page = Page::from(&q)?;
    let date = q
        .get("date")
        .ok_or_else(|| ApiError::invalid("date", "is required"))?;
    let date = dto::parse_date("date", date)?;
    let caller = auth.caller();
    let entries = state
        .engine
        .ask(&venue, GetWaitlist { date, caller })
        .await??;
    paged(&state, entries, page).await
}

/// One page of entries, cursor = the last entry's id.
async fn paged(
    state: &AppState,
    entries: Vec<EntryChange>,
    page: Page,
) -> Result<HttpResponse, ApiError> {
    let mut items = Vec::with_capacity(entries.len());
    for e in &entries {
        let zone = state.zones.get(&state.engine, &e.entry.venue_id).await?;
        items.push((e.entry.id.to_string(), EntryView::new(e, &zone)));
    }
    Ok(HttpResponse::Ok().json(page_of_keyed(items, &page)))
}

/// The venue of an entry; a stranger's probe is a plain 404.
async fn venue_of(state: &AppState, id: &EntryId) -> Result<VenueId, ApiError> {
    state
        .engine
        .venue_of(id.as_str())
        .await?
        .ok_or_else(|| ApiError::not_found("waitlist entry"))
}

/// `DELETE /waitlist/{id}` (owner or staff) → 204.
pub async fn leave(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = EntryId::from(path.as_str());
    let venue = venue_of(&state, &id).await?;
    let caller = auth.caller();
    state
        .engine
        .execute(&venue, Command::LeaveWaitlist { id, caller })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `POST /waitlist/{id}/decline` (owner or staff) → 200 with the entry.
pub async fn decline(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = EntryId::from(path.as_str());
    let venue = venue_of(&state, &id).await?;
    let caller = auth.caller();
    let reply = state
        .engine
        .execute(&venue, Command::DeclineOffer { id, caller })
        .await?;
    let zone = state.zones.get(&state.engine, &venue).await?;
    match reply {
        Reply::Entry(e) => Ok(HttpResponse::Ok().json(EntryView::new(&e, &zone))),
        other => Err(ApiError::internal(format!("unexpected reply {other:?}"))),
    }
}
