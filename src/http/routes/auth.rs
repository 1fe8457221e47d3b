//! `POST /auth/register`, `/auth/login`, `/auth/refresh`, `/auth/wechat`,
//! `GET`/`PATCH /me`, `POST /me/wechat`.

use actix_web::{HttpResponse, web};
use serde::Deserialize;
use utoipa::ToSchema;

use crate::actors::messages::GetVenue;
use crate::domain::Patch;
use crate::http::extract::{Auth, JsonBody};
use crate::http::views::{SessionView, UserView};
use crate::http::{ApiError, AppState};

#[derive(Deserialize, ToSchema)]
pub struct Register {
    email: String,
    password: String,
    name: Option<String>,
}

#[derive(Deserialize, ToSchema)]
pub struct Login {
    email: String,
    password: String,
}

#[derive(Deserialize, ToSchema)]
pub struct Refresh {
    refresh_token: String,
}

#[derive(Deserialize, ToSchema)]
pub struct WeChatCode {
    code: String,
}

#[derive(Deserialize, ToSchema)]
pub struct ProfilePatch {
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    name: Patch<String>,
    #[serde(default)]
    #[schema(value_type = Option<String>)]
    phone: Patch<String>,
}

pub async fn register(
    state: web::Data<AppState>,
    body: JsonBody<Register>,
) -> Result<HttpResponse, ApiError> {
    let b = body.value;
    let session = state
        .accounts
        .register(&b.email, &b.password, b.name)
        .await?;
    Ok(HttpResponse::Created().json(SessionView::new(&session)))
}

pub async fn login(
    state: web::Data<AppState>,
    body: JsonBody<Login>,
) -> Result<HttpResponse, ApiError> {
    let session = state
        .accounts
        .login(&body.value.email, &body.value.password)
        .await?;
    Ok(HttpResponse::Ok().json(SessionView::new(&session)))
}

pub async fn refresh(
    state: web::Data<AppState>,
    body: JsonBody<Refresh>,
) -> Result<HttpResponse, ApiError> {
    let session = state.accounts.refresh(&body.value.refresh_token).await?;
    Ok(HttpResponse::Ok().json(SessionView::new(&session)))
}

/// 201 when the account was made now, 200 when it existed.
pub async fn wechat(
    state: web::Data<AppState>,
    body: JsonBody<WeChatCode>,
) -> Result<HttpResponse, ApiError> {
    let (session, created) = state.accounts.sign_in_wechat(&body.value.code).await?;
    let mut response = if created {
        HttpResponse::Created()
    } else {
        HttpResponse::Ok()
    };
    Ok(response.json(SessionView::new(&session)))
}

pub async fn link_wechat(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<WeChatCode>,
) -> Result<HttpResponse, ApiError> {
    let user = state
        .accounts
        .link_wechat(&auth.user(), &body.value.code)
        .await?;
    Ok(HttpResponse::Ok().json(UserView::new(&user)))
}

pub async fn update_me(
    state: web::Data<AppState>,
    auth: Auth,
    body: JsonBody<ProfilePatch>,
) -> Result<HttpResponse, ApiError> {
    let b = body.value;
    let user = state
        .accounts
        .update_profile(&auth.user(), b.name, b.phone)
        .await?;
    Ok(HttpResponse::Ok().json(UserView::new(&user)))
}

/// The caller, with the venues whose current staff list names them.
pub async fn me(state: web::Data<AppState>, auth: Auth) -> Result<HttpResponse, ApiError> {
    let user = state
        .accounts
        .user(&auth.user())?
        .ok_or_else(|| ApiError::unauthorized("the account no longer exists"))?;
    let mut staff_of = Vec::new();
    for venue in state.engine.staff_venue_hints(user.id.clone()).await? {
        match state.engine.ask(&venue, GetVenue).await {
            Ok((settings, _)) if settings.is_staff(&user.id) => staff_of.push(venue),
            _ => {}
        }
    }
    let mut body = UserView::new(&user);
    body.staff_of = Some(staff_of.iter().map(ToString::to_string).collect());
    Ok(HttpResponse::Ok().json(body))
}
