//! `POST /venues/{id}/holds`, `DELETE /holds/{id}`.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::actors::messages::Execute;
use crate::domain::{self, Command, HoldId, Reply, VenueId, VenueSettings};
use crate::http::dto;
use crate::http::extract::{Auth, JsonBody};
use crate::http::idempotency::Once;
use crate::http::views::{self, HoldView};
use crate::http::{ApiError, AppState};
use crate::ids::new_id;

#[derive(Deserialize, ToSchema)]
pub struct HoldIn {
    start: String,
    party_size: u32,
    /// Required at a venue with services (API v1.1 §4).
    service_id: Option<String>,
    /// Staff only: hold past the venue's pacing.
    #[serde(default)]
    override_pacing: bool,
}

fn render(reply: &Reply, settings: &VenueSettings) -> serde_json::Value {
    match reply {
        Reply::Hold(h) => views::to_json(HoldView::new(h, &settings.timezone)),
        _ => serde_json::Value::Null,
    }
}

pub async fn place(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    req: HttpRequest,
    body: JsonBody<HoldIn>,
) -> Result<HttpResponse, ApiError> {
    let venue = VenueId::from(path.as_str());
    let start = dto::parse_instant("start", &body.value.start)?;
    let hold = domain::PlaceHold {
        id: HoldId::from(new_id().as_str()),
        caller: auth.caller(),
        start,
        party_size: body.value.party_size,
        ttl_seconds: state.engine.hold_ttl_seconds(),
        service_id: body
            .value
            .service_id
            .as_deref()
            .map(domain::ServiceId::from),
        override_pacing: body.value.override_pacing,
    };
    let (user, now) = (auth.user(), state.engine.now());
    let run = |record| {
        let command = Command::PlaceHold(hold);
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
    let (settings, reply) = (state.zones.get(&state.engine, &venue).await?, result?);
    match reply {
        Reply::Hold(h) => Ok(HttpResponse::Created().json(HoldView::new(&h, &settings))),
        other => Err(ApiError::internal(format!("unexpected reply {other:?}"))),
    }
}

/// Owner or staff; 204 again for a released or expired hold.
pub async fn release(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let id = HoldId::from(path.as_str());
    let venue = state
        .engine
        .venue_of(id.as_str())
        .await?
        .ok_or_else(|| ApiError::not_found("hold"))?;
    state
        .engine
        .execute(
            &venue,
            Command::ReleaseHold {
                id,
                caller: auth.caller(),
            },
        )
        .await?;
    Ok(HttpResponse::NoContent().finish())
}
