//! Webhooks (API v1.1 §7): a venue's endpoints, their deliveries log and
//! manual retry. Admin or the venue's staff; anyone else gets 403 on the
//! venue's list (the venue is public) and 404 on a webhook by id (its id
//! is not).

use actix_web::{HttpRequest, HttpResponse, web};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use utoipa::ToSchema;

use crate::actors::messages::GetVenue;
use crate::domain::webhooks::Webhook;
use crate::domain::{VenueId, Zone};
use crate::http::extract::{Auth, JsonBody, Page, page_of, query};
use crate::http::views::{AttemptView, WebhookView};
use crate::http::{ApiError, AppState};

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookIn {
    url: String,
    events: Vec<String>,
    description: Option<String>,
}

/// The venue's zone if the caller manages it, else `refused`.
async fn managed(
    state: &AppState,
    auth: &Auth,
    venue: &VenueId,
    refused: ApiError,
) -> Result<Zone, ApiError> {
    let (settings, _) = state.engine.ask(venue, GetVenue).await?;
    if settings.managed_by(&auth.caller()) {
        Ok(settings.timezone)
    } else {
        Err(refused)
    }
}

/// A webhook the caller manages (404 for anyone else), with its zone.
async fn own_hook(state: &AppState, auth: &Auth, id: &str) -> Result<(Webhook, Zone), ApiError> {
    let hook = state
        .outbox
        .endpoints()
        .get(id)
        .ok_or_else(|| ApiError::not_found("webhook"))?;
    let zone = managed(state, auth, &hook.venue_id, ApiError::not_found("webhook")).await?;
    Ok(((*hook).clone(), zone))
}

fn staff_only() -> ApiError {
    ApiError::forbidden("only the venue's staff manage its webhooks")
}

/// `POST /venues/{id}/webhooks`: the secret is in this answer only.
pub async fn create(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonBody<WebhookIn>,
) -> Result<HttpResponse, ApiError> {
    let venue = VenueId::from(path.as_str());
    let zone = managed(&state, &auth, &venue, staff_only()).await?;
    let b = body.value;
    let hook = state
        .outbox
        .create(&venue, b.url, b.events, b.description)
        .await?;
    let mut out = WebhookView::new(&hook, &zone);
    out.secret = Some(hook.secret.clone());
    Ok(HttpResponse::Created().json(out))
}

/// `GET /venues/{id}/webhooks` (no secrets).
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let venue = VenueId::from(path.as_str());
    let zone = managed(&state, &auth, &venue, staff_only()).await?;
    let items: Vec<WebhookView> = state
        .outbox
        .endpoints()
        .of_venue(&venue)
        .iter()
        .map(|h| WebhookView::new(h, &zone))
        .collect();
    Ok(HttpResponse::Ok().json(page_of(items, None)))
}

/// `DELETE /webhooks/{id}`: deliveries stop; its queue and log go.
pub async fn delete(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let (hook, _) = own_hook(&state, &auth, &path).await?;
    state.outbox.delete(&hook.id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /webhooks/{id}/deliveries`: one row per attempt, newest first.
pub async fn deliveries(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (hook, zone) = own_hook(&state, &auth, &path).await?;
    let page = Page::from(&query(&req)?)?;
    let after = page
        .cursor
        .as_deref()
        .map(|c| {
            URL_SAFE_NO_PAD
                .decode(c)
                .ok()
                .filter(|k| k.starts_with(&crate::outbox::records::prefix(&hook.id)))
                .ok_or_else(|| ApiError::invalid("cursor", "is not a cursor of this list"))
        })
        .transpose()?;
    let (rows, more) = state.outbox.attempts(&hook.id, after, page.limit).await?;
    let next = more
        .then(|| rows.last().map(|(k, _)| URL_SAFE_NO_PAD.encode(k)))
        .flatten();
    let items = rows
        .iter()
        .map(|(_, a)| AttemptView::new(a, &zone))
        .collect();
    Ok(HttpResponse::Ok().json(page_of(items, next)))
}

/// `POST /webhooks/{id}/deliveries/{delivery_id}/retry` → 202: the event
/// goes to the front of the endpoint's queue (409 while it is still
/// being tried).
pub async fn retry(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, delivery) = path.into_inner();
    let (hook, zone) = own_hook(&state, &auth, &id).await?;
    let attempt = state.outbox.retry(&hook.id, &delivery).await?;
    let mut out = AttemptView::new(&attempt, &zone);
    out.status = "queued";
    Ok(HttpResponse::Accepted().json(out))
}
