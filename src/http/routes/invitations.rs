//! Shared bookings (API v1.1 §6): invitations to a booking.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::{BookingId, Command, InviteStatus, Reply, Seen, UserId, VenueId};
use crate::http::extract::{Auth, JsonBody, Page, page_of_keyed, query};
use crate::http::views::{BookingView, InvitationView};
use crate::http::{ApiError, AppState};

#[derive(Deserialize, ToSchema)]
pub struct InviteIn {
    user_id: String,
}

async fn venue_of(state: &AppState, id: &BookingId) -> Result<VenueId, ApiError> {
    state
        .engine
        .venue_of(id.as_str())
        .await?
        .ok_or_else(|| ApiError::not_found("booking"))
}

fn answered(reply: Reply, created: bool) -> Result<HttpResponse, ApiError> {
    match reply {
        Reply::Invitation(b, user) => {
            let body = InvitationView::new(&b, &user);
            Ok(if created {
                HttpResponse::Created().json(body)
            } else {
                HttpResponse::Ok().json(body)
            })
        }
        other => Err(ApiError::internal(format!("unexpected reply {other:?}"))),
    }
}

/// `POST /bookings/{id}/invitations {user_id}` (the booking's customer) → 201.
pub async fn invite(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
    body: JsonBody<InviteIn>,
) -> Result<HttpResponse, ApiError> {
    let id = BookingId::from(path.as_str());
    let venue = venue_of(&state, &id).await?;
    let user = UserId::from(body.value.user_id.as_str());
    // Friendship is the accounts' to know; the venue decides the rest.
    let friends = state.accounts.are_friends(&auth.user(), &user)?;
    let name = state.accounts.name_of(&user)?;
    let command = Command::Invite {
        id,
        caller: auth.caller(),
        user,
        name,
        friends,
    };
    answered(state.engine.execute(&venue, command).await?, true)
}

async fn answer(
    state: &AppState,
    auth: Auth,
    id: &str,
    accept: bool,
) -> Result<HttpResponse, ApiError> {
    let id = BookingId::from(id);
    let venue = venue_of(state, &id).await?;
    let command = Command::AnswerInvitation {
        id,
        caller: auth.caller(),
        accept,
    };
    answered(state.engine.execute(&venue, command).await?, false)
}

pub async fn accept(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    answer(&state, auth, &path, true).await
}

pub async fn decline(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    answer(&state, auth, &path, false).await
}

/// `DELETE /bookings/{id}/invitations/{user_id}` (owner or invitee) → 204.
pub async fn remove(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<(String, String)>,
) -> Result<HttpResponse, ApiError> {
    let (id, user) = path.into_inner();
    let id = BookingId::from(id.as_str());
    let venue = venue_of(&state, &id).await?;
    let command = Command::RemoveInvitation {
        id,
        caller: auth.caller(),
        user: UserId::from(user.as_str()),
    };
    state.engine.execute(&venue, command).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// `GET /me/invitations`: the caller's pending invitations, each with the
/// booking as an invitee sees it.
pub async fn pending(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = Page::from(&query(&req)?)?;
    let me = auth.user();
    let mut items = Vec::new();
    for b in state.engine.user_invitations(me.clone()).await? {
        let pending = b
            .invitees
            .iter()
            .any(|i| i.user_id == me && i.status == InviteStatus::Invited);
        if !pending || !b.status.takes_capacity() {
            continue;
        }
        let zone = state.zones.get(&state.engine, &b.venue_id).await?;
        let mut item = InvitationView::new(&b, &me);
        item.booking = Some(BookingView::seen(&b, &zone, Seen::Invitee));
        items.push((b.id.to_string(), item));
    }
    Ok(HttpResponse::Ok().json(page_of_keyed(items, &page)))
}
