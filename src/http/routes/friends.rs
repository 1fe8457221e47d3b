//! Friends (API v1.1 §6): friend codes, requests, friendships.

use actix_web::{HttpRequest, HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::domain::UserId;
use crate::domain::social::FriendRequest;
use crate::http::dto::utc;
use crate::http::extract::{Auth, JsonBody, Page, page_of_keyed as paged, query};
use crate::http::views::{FriendCodeView, FriendRequestView, FriendView, PersonView};
use crate::http::{ApiError, AppState};

#[derive(Deserialize, ToSchema)]
pub struct RequestIn {
    friend_code: String,
}

/// `{user_id, name}` of one side.
fn person(state: &AppState, id: &UserId) -> Result<PersonView, ApiError> {
    Ok(PersonView {
        user_id: id.to_string(),
        name: state.accounts.name_of(id)?,
    })
}

fn request_json(state: &AppState, r: &FriendRequest) -> Result<FriendRequestView, ApiError> {
    Ok(FriendRequestView::new(
        r,
        person(state, &r.from)?,
        person(state, &r.to)?,
    ))
}

/// `POST /me/friend-code`: a fresh code; the old one no longer finds you.
pub async fn new_code(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    let code = state.accounts.new_friend_code(&auth.user()).await?;
    Ok(HttpResponse::Ok().json(FriendCodeView { friend_code: code }))
}

/// `POST /friends/requests {friend_code}` → 201.
pub async fn ask(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<RequestIn>,
) -> Result<HttpResponse, ApiError> {
    let r = state
        .accounts
        .ask_friend(&auth.user(), &body.value.friend_code)
        .await?;
    Ok(HttpResponse::Created().json(request_json(&state, &r)?))
}

/// `GET /friends/requests`: pending ones, incoming and outgoing.
pub async fn requests(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = Page::from(&query(&req)?)?;
    let me = auth.user();
    let mut items = Vec::new();
    for r in state.accounts.requests_of(&me)? {
        let mut v = request_json(&state, &r)?;
        v.direction = Some(if r.to == me { "incoming" } else { "outgoing" });
        items.push((r.id.clone(), v));
    }
    Ok(HttpResponse::Ok().json(paged(items, &page)))
}

async fn answer(
    state: web::Data<AppState>,
    auth: Auth,
    id: &str,
    accept: bool,
) -> Result<HttpResponse, ApiError> {
    let r = state
        .accounts
        .answer_friend(&auth.user(), id, accept)
        .await?;
    Ok(HttpResponse::Ok().json(request_json(&state, &r)?))
}

pub async fn accept(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    answer(state, auth, &path, true).await
}

pub async fn decline(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    answer(state, auth, &path, false).await
}

/// `GET /friends` → `{items: [{user_id, name, since}]}`, paginated.
pub async fn list(
    state: web::Data<AppState>,
    auth: Auth,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let page = Page::from(&query(&req)?)?;
    let mut items = Vec::new();
    for f in state.accounts.social(&auth.user())?.friends {
        let name = state.accounts.name_of(&f.user_id)?;
        let v = FriendView {
            user_id: f.user_id.to_string(),
            name,
            since: utc(f.since),
        };
        items.push((f.user_id.to_string(), v));
    }
    Ok(HttpResponse::Ok().json(paged(items, &page)))
}

/// `DELETE /friends/{user_id}` → 204 (both sides).
pub async fn remove(
    state: web::Data<AppState>,
    auth: Auth,
    path: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let other = UserId::from(path.as_str());
    state.accounts.unfriend(&auth.user(), &other).await?;
    Ok(HttpResponse::NoContent().finish())
}
