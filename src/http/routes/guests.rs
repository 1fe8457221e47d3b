//! `GET /venues/{id}/guests` and `/guests/{guest_id}` (staff, API v1.1 §3):
//! the venue's guests with their history, kept by the venue (its guest
//! book, in memory); one guest's bookings are read from the store.

use actix_web::{HttpRequest, HttpResponse, web};

use crate::domain::VenueId;
use crate::domain::guests::{GuestSummary, guest_id};
use crate::http::extract::{Auth, Page, page_of, query};
use crate::http::views::{BookingView, GuestSummaryView};
use crate::http::{ApiError, AppState};

pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let venue = VenueId::from(path.as_str());
    let q = query(&req)?;
    let page = Page::from(&q)?;
    let search = q
        .get("q")
        .map(|t| t.trim().to_lowercase())
        .filter(|t| !t.is_empty());
    if search.as_ref().is_some_and(|t| t.chars().count() > 200) {
        return Err(ApiError::invalid("q", "must be at most 200 characters"));
    }
    let guests = state.engine.guests(&venue, auth.caller()).await?;
    let zone = state.zones.get(&state.engine, &venue).await?;
    let mut rows = guests
        .values()
        .filter(|g| search.as_deref().is_none_or(|t| g.matches(t)))
        .filter(|g| page.cursor.as_deref().is_none_or(|c| g.id.as_str() > c));
    let chosen: Vec<&GuestSummary> = rows.by_ref().take(page.limit).collect();
    let next = (chosen.len() == page.limit && rows.next().is_some())
        .then(|| chosen[chosen.len() - 1].id.clone());
    let items = chosen
        .iter()
        .map(|g| GuestSummaryView::new(g, &zone))
        .collect();
    Ok(HttpResponse::Ok().json(page_of(items, next)))
}

pub async fn get(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (venue, wanted) = path.into_inner();
    let venue = VenueId::from(venue.as_str());
    let mut guests = state.engine.guests(&venue, auth.caller()).await?;
    let guest = guests
        .remove(&wanted)
        .ok_or_else(|| ApiError::not_found("guest"))?;
    let history = state.engine.venue_history(&venue, auth.caller()).await?;
    let zone = state.zones.get(&state.engine, &venue).await?;
    let mut theirs: Vec<_> = history.iter().filter(|b| guest_id(b) == wanted).collect();
    theirs.sort_by(|a, b| b.start.cmp(&a.start).then_with(|| a.id.cmp(&b.id)));
    let mut body = GuestSummaryView::new(&guest, &zone);
    body.bookings = Some(theirs.iter().map(|b| BookingView::new(b, &zone)).collect());
    Ok(HttpResponse::Ok().json(body))
}
