//! Request extractors: the caller from the bearer token, JSON bodies with
//! API.md's error codes, and pagination.

use std::collections::HashMap;
use std::future::{Ready, ready};

use actix_web::dev::Payload;
use actix_web::{FromRequest, HttpRequest, web};
use futures::future::LocalBoxFuture;
use serde::de::DeserializeOwned;
use utoipa::ToSchema;

use crate::accounts::{Claims, Role};
use crate::domain::{Caller, UserId};
use crate::http::{ApiError, AppState, MAX_BODY_BYTES, views};

/// An authenticated caller (401 without a valid token).
pub struct Auth(pub Claims);

impl Auth {
    /// The domain's view of the caller.
    pub fn caller(&self) -> Caller {
        Caller {
            user: UserId::from(self.0.sub.as_str()),
            admin: self.0.role == Role::Admin,
        }
    }

    /// The caller's user id.
    pub fn user(&self) -> UserId {
        UserId::from(self.0.sub.as_str())
    }

    /// Whether the caller is an admin.
    pub fn is_admin(&self) -> bool {
        self.0.role == Role::Admin
    }
}

/// For routes open to anyone: no token is fine, but a token that is
/// present and invalid (forged, expired) is still a 401.
pub struct MaybeAuth(pub Option<Auth>);

impl MaybeAuth {
    /// The caller, if a token came with the request.
    pub fn caller(&self) -> Option<Caller> {
        self.0.as_ref().map(Auth::caller)
    }
}

/// The bearer token of a request, if any.
pub fn bearer(req: &HttpRequest) -> Option<&str> {
    let header = req.headers().get("Authorization")?.to_str().ok()?;
    let (scheme, token) = header.split_once(' ')?;
    scheme
        .eq_ignore_ascii_case("bearer")
        .then_some(token.trim())
}

fn claims(req: &HttpRequest) -> Result<Option<Claims>, ApiError> {
    let Some(token) = bearer(req) else {
        return if req.headers().contains_key("Authorization") {
            Err(ApiError::unauthorized("use Authorization: Bearer <token>"))
        } else {
            Ok(None)
        };
    };
    let state = req.app_data::<web::Data<AppState>>().unwrap(); // unwrap: the app always has its state.
    match state.accounts.tokens().verify(token) {
        Some(c) => Ok(Some(c)),
        None => Err(ApiError::unauthorized("the token is invalid or expired")),
    }
}

impl FromRequest for Auth {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(claims(req).and_then(|c| {
            c.map(Auth)
                .ok_or_else(|| ApiError::unauthorized("this needs a bearer token"))
        }))
    }
}

impl FromRequest for MaybeAuth {
    type Error = ApiError;
    type Future = Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        ready(claims(req).map(|c| MaybeAuth(c.map(Auth))))
    }
}

/// A JSON body: bad JSON or a wrong type is `malformed_request`; a missing
/// or invalid field is `validation_failed` naming it; over 64 KiB is
/// `payload_too_large`. Keeps the raw bytes for idempotency fingerprints.
pub struct JsonBody<T> {
    pub value: T,
    pub raw: web::Bytes,
}

impl<T: DeserializeOwned + 'static> FromRequest for JsonBody<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let too_long = req
            .headers()
            .get("Content-Length")
            .and_then(|v| v.to_str().ok()?.parse::<usize>().ok())
            .is_some_and(|n| n > MAX_BODY_BYTES);
        let body = web::Bytes::from_request(req, payload);
        let state = req.app_data::<web::Data<AppState>>().unwrap(); // unwrap: the app always has its state.
        let deadline = state.body_timeout;
        Box::pin(async move {
            if too_long {
                return Err(ApiError::too_large());
            }
            let raw = actix_web::rt::time::timeout(deadline, body)
                .await
                .map_err(|_| ApiError::body_timeout())?
                .map_err(|e| match e.as_response_error().status_code().as_u16() {
                    413 => ApiError::too_large(),
                    _ => ApiError::malformed(format!("could not read the body: {e}")),
                })?;
            let value = parse_json(&raw)?;
            Ok(JsonBody { value, raw })
        })
    }
}

/// Deserializes with the path of a failing field in the error. Every body
/// of the API is an object: anything else (an array serde would read
/// positionally, a string, a number) is `malformed_request`.
pub fn parse_json<T: DeserializeOwned>(raw: &[u8]) -> Result<T, ApiError> {
    if raw.iter().find(|b| !b.is_ascii_whitespace()) != Some(&b'{') {
        return Err(ApiError::malformed("the body must be a JSON object"));
    }
    let mut de = serde_json::Deserializer::from_slice(raw);
    let value = serde_path_to_error::deserialize(&mut de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        let text = inner.to_string();
        match inner.classify() {
            serde_json::error::Category::Data if text.starts_with("missing field") => {
                let field = text.split('`').nth(1).unwrap_or("?");
                let field = if path == "." {
                    field.to_string()
                } else {
                    format!("{path}.{field}")
                };
                ApiError::invalid(field, "is required")
            }
            serde_json::error::Category::Data if !text.starts_with("invalid type") => {
                ApiError::invalid(path, text)
            }
            serde_json::error::Category::Data => {
                let mut e = ApiError::malformed(format!("{path}: {text}"));
                e.details = serde_json::json!({"field": path});
                e
            }
            _ => ApiError::malformed(format!("the body is not valid JSON: {text}")),
        }
    })?;
    de.end()
        .map_err(|_| ApiError::malformed("trailing characters after the JSON body"))?;
    Ok(value)
}

/// `?limit=&cursor=`: `limit` 1-200, 50 by default.
pub struct Page {
    pub limit: usize,
    pub cursor: Option<String>,
}

/// The default and largest page sizes of API.md.
pub const DEFAULT_LIMIT: usize = 50;
pub const MAX_LIMIT: usize = 200;

/// Query parameters as text (actix's `Query` would turn a bad one into a
/// generic 400; API.md wants 422 naming it).
pub fn query(req: &HttpRequest) -> Result<HashMap<String, String>, ApiError> {
    web::Query::<HashMap<String, String>>::from_query(req.query_string())
        .map(|q| q.into_inner())
        .map_err(|_| ApiError::malformed("the query string is not valid"))
}

impl Page {
    pub fn from(q: &HashMap<String, String>) -> Result<Self, ApiError> {
        let limit = match q.get("limit") {
            None => DEFAULT_LIMIT,
            Some(l) => l
                .parse::<usize>()
                .ok()
                .filter(|n| (1..=MAX_LIMIT).contains(n))
                .ok_or_else(|| ApiError::invalid("limit", "must be 1 to 200"))?,
        };
        let cursor = q.get("cursor").filter(|c| !c.is_empty()).cloned();
        Ok(Page { limit, cursor })
    }
}

/// One page of a whole list held in memory, each item with its cursor key:
/// the items after the one whose key is the cursor, and the next cursor.
pub fn page_of_keyed<T: ToSchema>(items: Vec<(String, T)>, page: &Page) -> views::Page<T> {
    let mut rows = items.into_iter();
    if let Some(cursor) = &page.cursor {
        rows.by_ref().position(|(k, _)| &k == cursor);
    }
    let chosen: Vec<(String, T)> = rows.by_ref().take(page.limit).collect();
    let next = (chosen.len() == page.limit && rows.next().is_some())
        .then(|| chosen[chosen.len() - 1].0.clone());
    page_of(chosen.into_iter().map(|(_, v)| v).collect(), next)
}

/// The list envelope of API.md.
pub fn page_of<T: ToSchema>(items: Vec<T>, next_cursor: Option<String>) -> views::Page<T> {
    views::Page::new(items, next_cursor)
}
