//! A person's schedule (API v1.1 §6): personal items, the merged schedule
//! of bookings, shared bookings and items, and the secret calendar feed.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};
use jiff::{SignedDuration, Timestamp};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::actors::messages::GetVenue;
use crate::domain::social::{self, ScheduleItem};
use crate::domain::{
    Booking, BookingFilter, BookingStatus, DomainError, InviteStatus, Patch, Seen, UserId, VenueId,
};
use crate::http::dto::{self, utc};
use crate::http::extract::{Auth, JsonBody, query};
use crate::http::views::{BookingView, FeedView, Page, ScheduleItemView, ScheduleLineView};
use crate::http::{ApiError, AppState, ical};
use crate::ids::new_id;

#[derive(Deserialize, ToSchema)]
pub struct ItemIn {
    title: String,
    start: String,
    end: String,
    note: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct ItemPatch {
    title: Option<String>,
    start: Option<String>,
    end: Option<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    note: Patch<String>,
}

/// `POST /me/schedule` → 201.
pub async fn add(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<ItemIn>,
) -> Result<HttpResponse, ApiError> {
    let b = body.value;
    let (start, end) = (
        dto::parse_instant("start", &b.start)?,
        dto::parse_instant("end", &b.end)?,
    );
    social::check_item(&b.title, start, end, b.note.as_deref())?;
    let item = ScheduleItem {
        id: new_id(),
        title: b.title.trim().to_string(),
        start,
        end,
        note: b.note.filter(|n| !n.is_empty()),
        version: 1,
    };
    let stored = item.clone();
    state
        .accounts
        .edit_schedule(&auth.user(), move |items| {
            items.push(stored);
            Ok(())
        })
        .await?;
    Ok(HttpResponse::Created().json(ScheduleItemView::new(&item)))
}

/// `PATCH /me/schedule/{id}` → 200 (a new `version`).
pub async fn update(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonBody<ItemPatch>,
) -> Result<HttpResponse, ApiError> {
    let b = body.value;
    let start = b
        .start
        .as_deref()
        .map(|s| dto::parse_instant("start", s))
        .transpose()?;
    let end = b
        .end
        .as_deref()
        .map(|s| dto::parse_instant("end", s))
        .transpose()?;
    let id = path.into_inner();
    let item = state
        .accounts
        .edit_schedule(&auth.user(), move |items| {
            let item = items
                .iter_mut()
                .find(|i| i.id == id)
                .ok_or(DomainError::NotFound("schedule item"))?;
            let mut next = item.clone();
            if let Some(t) = b.title {
                next.title = t.trim().to_string();
            }
            next.start = start.unwrap_or(next.start);
            next.end = end.unwrap_or(next.end);
            next.note = b.note.apply(next.note).filter(|n| !n.is_empty());
            social::check_item(&next.title, next.start, next.end, next.note.as_deref())?;
            next.version += 1;
            *item = next.clone();
            Ok(next)
        })
        .await?;
    Ok(HttpResponse::Ok().json(ScheduleItemView::new(&item)))
}

/// `DELETE /me/schedule/{id}` → 204.
pub async fn remove(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = path.into_inner();
    state
        .accounts
        .edit_schedule(&auth.user(), move |items| {
            let before = items.len();
            items.retain(|i| i.id != id);
            if items.len() == before {
                return Err(DomainError::NotFound("schedule item"));
            }
            Ok(())
        })
        .await?;
    Ok(HttpResponse::NoContent().finish())
}

/// One line of a schedule.
struct Line {
    kind: &'static str,
    start: Timestamp,
    end: Timestamp,
    title: String,
    booking: Option<(Booking, Seen)>,
    item: Option<ScheduleItem>,
    location: Option<String>,
}

/// The venue's name and address, once per venue per request.
async fn venue_of(
    state: &AppState,
    cache: &mut HashMap<VenueId, (String, Option<String>)>,
    id: &VenueId,
) -> Result<(String, Option<String>), ApiError> {
    if let Some(v) = cache.get(id) {
        return Ok(v.clone());
    }
    let (settings, _) = state.engine.ask(id, GetVenue).await?;
    let v = (settings.name.clone(), settings.details.address.clone());
    cache.insert(id.clone(), v.clone());
    Ok(v)
}

/// The caller's bookings, accepted shared bookings and personal items
/// starting in `[from, to)`, by start. Cancelled bookings only if asked
/// (the feed shows them, the schedule does not: §12).
async fn lines(
    state: &AppState,
    user: &UserId,
    (from, to): (Timestamp, Timestamp),
    cancelled: bool,
) -> Result<Vec<Line>, ApiError> {
    let mut venues = HashMap::new();
    let mut out = Vec::new();
    let filter = BookingFilter {
        status: None,
        from: Some(from),
        to: Some(to),
    };
    let (own, _) = state
        .engine
        .user_bookings(user.clone(), filter, None, 10_000)
        .await?;
    let shared = state.engine.user_invitations(user.clone()).await?;
    let shared = shared
        .into_iter()
        .filter(|b| {
            b.invitees
                .iter()
                .any(|i| &i.user_id == user && i.status == InviteStatus::Accepted)
        })
        .filter(|b| filter.matches(b.status, b.start));
    let all = own
        .into_iter()
        .map(|b| ("booking", Seen::Owner, b))
        .chain(shared.map(|b| ("shared", Seen::Invitee, b)));
    for (kind, seen, b) in all {
        if b.status == BookingStatus::Cancelled && !cancelled {
            continue;
        }
        let (name, address) = venue_of(state, &mut venues, &b.venue_id).await?;
        out.push(Line {
            kind,
            start: b.start,
            end: b.end,
            title: format!("{name} · party of {}", b.party_size),
            location: address,
            booking: Some((b, seen)),
            item: None,
        });
    }
    for i in state.accounts.social(user)?.items {
        if i.start >= from && i.start < to {
            out.push(Line {
                kind: "personal",
                start: i.start,
                end: i.end,
                title: i.title.clone(),
                booking: None,
                item: Some(i),
                location: None,
            });
        }
    }
    out.sort_by_key(|l| l.start);
    Ok(out)
}

/// `GET /me/schedule?from=&to=` (RFC 3339; `from` inclusive, `to`
/// exclusive; at most 92 days apart).
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let q = query(&req)?;
    let bound = |f: &'static str| -> Result<Timestamp, ApiError> {
        let text = q
            .get(f)
            .ok_or_else(|| ApiError::invalid(f, "is required"))?;
        dto::parse_instant(f, text)
    };
    let (from, to) = (bound("from")?, bound("to")?);
    social::check_window(from, to)?;
    let mut items = Vec::new();
    for l in lines(&state, &auth.user(), (from, to), false).await? {
        let mut v = ScheduleLineView {
            kind: l.kind,
            start: utc(l.start),
            end: utc(l.end),
            title: l.title.clone(),
            booking: None,
            item: l.item.as_ref().map(ScheduleItemView::new),
        };
        if let Some((b, seen)) = &l.booking {
            let zone = state.zones.get(&state.engine, &b.venue_id).await?;
            v.start = dto::local(b.start, &zone);
            v.end = dto::local(b.end, &zone);
            v.booking = Some(BookingView::seen(b, &zone, *seen));
        }
        items.push(v);
    }
    Ok(HttpResponse::Ok().json(Page::new(items, None)))
}

/// The feed's URL for a token: absolute with `BOOKING_PUBLIC_URL`.
fn feed_url(state: &AppState, token: &str) -> String {
    let path = format!("/api/v1/calendar/{token}.ics");
    match &state.public_url {
        Some(base) => format!("{}{path}", base.trim_end_matches('/')),
        None => path,
    }
}

/// `POST /me/calendar-feed` → 201 `{url}`; again: a new URL, the old one 404.
pub async fn new_feed(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    let token = state.accounts.new_feed(&auth.user()).await?;
    Ok(HttpResponse::Created().json(FeedView {
        url: feed_url(&state, &token),
    }))
}

/// `DELETE /me/calendar-feed` → 204.
pub async fn revoke_feed(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    state.accounts.revoke_feed(&auth.user()).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /calendar/{token}.ics` (no bearer token: the URL is the secret):
/// the last 30 and next 365 days as `text/calendar`.
pub async fn feed(
    state: web::Data<AppState>,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let token = path
        .strip_suffix(".ics")
        .ok_or_else(|| ApiError::not_found("calendar feed"))?;
    let user = state
        .accounts
        .feed_owner(token)?
        .ok_or_else(|| ApiError::not_found("calendar feed"))?;
    let now = state.engine.now();
    let window = (
        now - SignedDuration::from_hours(24 * 30),
        now + SignedDuration::from_hours(24 * 365),
    );
    let lines = lines(&state, &user, window, true).await?;
    let events: Vec<ical::Event<'_>> = lines
        .iter()
        .map(|l| match (&l.booking, &l.item) {
            (Some((b, _)), _) => ical::Event {
                uid: format!("booking-{}@booking-engine", b.id),
                start: b.start,
                end: b.end,
                summary: &l.title,
                location: l.location.as_deref(),
                description: b.note.as_deref(),
                status: match b.status {
                    BookingStatus::Cancelled => "CANCELLED",
                    BookingStatus::Pending => "TENTATIVE",
                    _ => "CONFIRMED",
                },
                sequence: b.version,
                updated: b.updated_at,
            },
            (_, Some(i)) => ical::Event {
                uid: format!("item-{}@booking-engine", i.id),
                start: i.start,
                end: i.end,
                summary: &l.title,
                location: None,
                description: i.note.as_deref(),
                status: "CONFIRMED",
                sequence: i.version,
                updated: now,
            },
            (None, None) => unreachable!("a line is a booking or an item"),
        })
        .collect();
    Ok(HttpResponse::Ok()
        .content_type("text/calendar; charset=utf-8")
        .insert_header(("Cache-Control", "private, max-age=300"))
        .body(ical::calendar("Bookings", &events, now)))
}
