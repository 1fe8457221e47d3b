//! Venues, their staff, availability and the staff day sheet.

use actix_web::{HttpRequest, HttpResponse, web};
use serde_json::json;

use crate::actors::messages::{GetAvailability, GetVenue};
use crate::domain::guests::guest_id;
use crate::domain::settings::MAX_PARTY;
use crate::domain::{BookingStatus, Command, Reply, UserId, VenueId, VenuePatch, VenueSettings};
use crate::http::dto::{self, VenueIn, VenuePatchIn};
use crate::http::extract::{Auth, JsonBody, MaybeAuth, Page, page_of, query};
use crate::http::views::{AvailabilityView, BookingView, History, SlotView, VenueView};
use crate::http::{ApiError, AppState};

pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<VenueIn>,
) -> Result<HttpResponse, ApiError> {
    if !auth.is_admin() {
        return Err(ApiError::forbidden("only an admin may create venues"));
    }
    let settings = VenueSettings::try_from(body.value)?;
    existing_users(&state, settings.staff.iter())?;
    let (id, seq) = state.engine.create_venue(settings.clone()).await?;
    Ok(HttpResponse::Created().json(VenueView::new(&id, &settings, seq, true)))
}

/// Every id of a staff list must name an account (422 naming `staff[i]`).
fn existing_users<'a>(
    state: &AppState,
    ids: impl Iterator<Item = &'a UserId>,
) -> Result<(), ApiError> {
    for (i, id) in ids.enumerate() {
        if state.accounts.user(id)?.is_none() {
            return Err(ApiError::invalid(format!("staff[{i}]"), "is not a user"));
        }
    }
    Ok(())
}

pub async fn get(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = VenueId::from(path.as_str());
    let (settings, seq) = state.engine.ask(&id, GetVenue).await?;
    let show = settings.shows_staff_to(auth.caller().as_ref());
    Ok(HttpResponse::Ok().json(VenueView::new(&id, &settings, seq, show)))
}

pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonBody<VenuePatchIn>,
) -> Result<HttpResponse, ApiError> {
    let id = VenueId::from(path.as_str());
    let patch = VenuePatch::try_from(body.value)?;
    // Who may set `staff` is the venue's rule (domain); whether the ids are
    // accounts only the account service knows, so it is checked for admins.
    if let Some(staff) = patch.staff.as_ref().filter(|_| auth.is_admin()) {
        existing_users(&state, staff.iter())?;
    }
    let reply = state
        .engine
        .execute(
            &id,
            Command::UpdateVenue {
                caller: auth.caller(),
                patch: Box::new(patch),
            },
        )
        .await?;
    let (_, seq) = state.engine.ask(&id, GetVenue).await?;
    match reply {
        Reply::Venue(settings) => {
            Ok(HttpResponse::Ok().json(VenueView::new(&id, &settings, seq, true)))
        }
        other => Err(ApiError::internal(format!("unexpected reply {other:?}"))),
    }
}

async fn set_staff(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
    member: bool,
) -> Result<HttpResponse, ApiError> {
    let (venue, user) = path.into_inner();
    if !auth.is_admin() {
        return Err(ApiError::forbidden(
            "only an admin may change a venue's staff",
        ));
    }
    let user = UserId::from(user.as_str());
    if state.accounts.user(&user)?.is_none() {
        return Err(ApiError::not_found("user"));
    }
    state
        .engine
        .execute(
            &VenueId::from(venue.as_str()),
            Command::SetStaff {
                caller: auth.caller(),
                user,
                member,
            },
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

pub async fn add_staff(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    set_staff(state, auth, path, true).await
}

pub async fn remove_staff(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    set_staff(state, auth, path, false).await
}

/// Anyone; answered from the venue's memory.
pub async fn availability(
    state: web::Data<AppState>,
    _auth: MaybeAuth,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = VenueId::from(path.as_str());
    let q = query(&req)?;
    let date = required_date(&q)?;
    let party_size = match q.get("party_size") {
        Some(p) => p
            .parse::<u32>()
            .ok()
            .filter(|n| (1..=MAX_PARTY).contains(n))
            .ok_or_else(|| ApiError::invalid("party_size", "must be 1 to 1000"))?,
        None => return Err(ApiError::invalid("party_size", "is required")),
    };
    let service_id = q
        .get("service_id")
        .map(|s| crate::domain::ServiceId::from(s.as_str()));
    let ask = GetAvailability {
        date,
        party_size,
        service_id: service_id.clone(),
    };
    let (slots, seq) = state.engine.ask(&id, ask).await??;
    let zone = state.zones.get(&state.engine, &id).await?;
    Ok(HttpResponse::Ok().json(AvailabilityView {
        venue_id: id.to_string(),
        date: date.to_string(),
        timezone: zone.name().to_string(),
        party_size,
        seq,
        service_id: service_id.map(|s| s.to_string()),
        slots: slots.iter().map(|s| SlotView::new(s, &zone)).collect(),
    }))
}

/// The required `date` query parameter.
fn required_date(
    q: &std::collections::HashMap<String, String>,
) -> Result<jiff::civil::Date, ApiError> {
    let text = q
        .get("date")
        .ok_or_else(|| ApiError::invalid("date", "is required"))?;
    dto::parse_date("date", text)
}

/// Parses a `status` filter.
pub fn status_filter(
    q: &std::collections::HashMap<String, String>,
) -> Result<Option<BookingStatus>, ApiError> {
    let Some(text) = q.get("status") else {
        return Ok(None);
    };
    serde_json::from_value(json!(text)).map(Some).map_err(|_| {
        ApiError::invalid(
            "status",
            "must be pending, confirmed, seated, completed, cancelled or no_show",
        )
    })
}

/// The day sheet (staff): every booking of a local date, paginated.
pub async fn day_sheet(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let id = VenueId::from(path.as_str());
    let q = query(&req)?;
    let date = required_date(&q)?;
    let status = status_filter(&q)?;
    let page = Page::from(&q)?;
    let day = state.engine.day_sheet(&id, date, auth.caller()).await?;
    let zone = state.zones.get(&state.engine, &id).await?;
    let mut rows = day.iter().filter(|b| status.is_none_or(|s| b.status == s));
    if let Some(cursor) = &page.cursor {
        rows.by_ref().position(|b| b.id.as_str() == cursor);
    }
    let chosen: Vec<_> = rows.by_ref().take(page.limit).collect();
    let next = (chosen.len() == page.limit && rows.next().is_some())
        .then(|| chosen[chosen.len() - 1].id.to_string());
    // Each booking's guest with their history at the venue (API v1.1 §3).
    let guests = state.engine.guests(&id, auth.caller()).await?;
    let items = chosen
        .iter()
        .map(|b| {
            let mut item = BookingView::new(b, &zone);
            if let Some(g) = guests.get(&guest_id(b)) {
                item.guest.id = Some(g.id.clone());
                item.guest.history = Some(History::new(g, &zone));
            }
            item
        })
        .collect();
    Ok(HttpResponse::Ok().json(page_of(items, next)))
}
