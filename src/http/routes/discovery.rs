//! `GET /venues`: the venue list and discovery (API v1.1 §2), answered from
//! the engine's in-memory directory: `q`, `kind`, `tag`, `near` with
//! `radius_km` (nearest first, each with `distance_km`), paginated.

use std::collections::HashMap;

use actix_web::{HttpRequest, HttpResponse, web};

use crate::actors::directory::After;
use crate::domain::details::{DEFAULT_RADIUS_KM, MAX_RADIUS_KM};
use crate::domain::{Location, VenueId, VenueKind, VenueSearch};
use crate::http::extract::{MaybeAuth, Page, page_of, query};
use crate::http::views::VenueView;
use crate::http::{ApiError, AppState};

/// Longest `q` or `tag` accepted: longer than any name or tag can match.
const MAX_TEXT: usize = 200;

fn text(q: &HashMap<String, String>, key: &str) -> Result<Option<String>, ApiError> {
    match q.get(key).map(|t| t.trim()).filter(|t| !t.is_empty()) {
        Some(t) if t.chars().count() > MAX_TEXT => {
            Err(ApiError::invalid(key, "must be at most 200 characters"))
        }
        other => Ok(other.map(str::to_lowercase)),
    }
}

fn kind(q: &HashMap<String, String>) -> Result<Option<VenueKind>, ApiError> {
    q.get("kind")
        .map(|k| match k.as_str() {
            "restaurant" => Ok(VenueKind::Restaurant),
            "calendar" => Ok(VenueKind::Calendar),
            _ => Err(ApiError::invalid("kind", "must be restaurant or calendar")),
        })
        .transpose()
}

fn near(q: &HashMap<String, String>) -> Result<Option<(Location, f64)>, ApiError> {
    let radius = q
        .get("radius_km")
        .map(|r| {
            r.parse::<f64>()
                .ok()
                .filter(|r| r.is_finite() && *r > 0.0 && *r <= MAX_RADIUS_KM)
                .ok_or_else(|| ApiError::invalid("radius_km", "must be above 0 and at most 100"))
        })
        .transpose()?;
    let Some(point) = q.get("near") else {
        return match radius {
            Some(_) => Err(ApiError::invalid("radius_km", "needs near=lat,lng")),
            None => Ok(None),
        };
    };
    let bad = || ApiError::invalid("near", "must be lat,lng in degrees");
    let (lat, lng) = point.split_once(',').ok_or_else(bad)?;
    let lat: f64 = lat.trim().parse().map_err(|_| bad())?;
    let lng: f64 = lng.trim().parse().map_err(|_| bad())?;
    let at = Location::new(lat, lng, "near")?;
    Ok(Some((at, radius.unwrap_or(DEFAULT_RADIUS_KM))))
}

/// The cursor of a page: the last venue's id, or for a `near` search its
/// distance (exactly, as the bits of the float) and id.
fn cursor(raw: Option<&str>, near: bool) -> Result<Option<After>, ApiError> {
    let Some(raw) = raw else { return Ok(None) };
    if !near {
        return Ok(Some(After::Id(VenueId::from(raw))));
    }
    let bad = || ApiError::invalid("cursor", "is not a cursor of this search");
    let (bits, id) = raw.split_once('~').ok_or_else(bad)?;
    let km = f64::from_bits(bits.parse().map_err(|_| bad())?);
    Ok(Some(After::Distance(km, VenueId::from(id))))
}

pub async fn list(
    state: web::Data<AppState>,
    auth: MaybeAuth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let q = query(&req)?;
    let page = Page::from(&q)?;
    let search = VenueSearch {
        text: text(&q, "q")?,
        kind: kind(&q)?,
        tag: text(&q, "tag")?,
        near: near(&q)?,
    };
    let after = cursor(page.cursor.as_deref(), search.near.is_some())?;
    let found = state
        .engine
        .find_venues(&search, after.as_ref(), page.limit + 1);
    let more = found.len() > page.limit;
    let caller = auth.caller();
    let items = found
        .iter()
        .take(page.limit)
        .map(|l| {
            let show = l.settings.shows_staff_to(caller.as_ref());
            let mut item = VenueView::new(&l.id, &l.settings, l.seq, show);
            item.distance_km = l.distance_km.map(|km| (km * 1000.0).round() / 1000.0);
            item
        })
        .collect();
    let next = more.then(|| {
        let last = &found[page.limit - 1];
        match last.distance_km {
            Some(km) => format!("{}~{}", km.to_bits(), last.id),
            None => last.id.to_string(),
        }
    });
    Ok(HttpResponse::Ok().json(page_of(items, next)))
}
