//! The one error table: every failure becomes the API's error body with a
//! stable code (`codes::ErrorCode`, which carries its status). 5xx bodies
//! say "internal error"; the cause is logged once, here.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};

use crate::actors::EngineError;
use crate::domain::DomainError;
pub use crate::http::codes::ErrorCode;

/// An error as the client sees it.
#[derive(Debug)]
pub struct ApiError {
    pub code: ErrorCode,
    pub message: String,
    pub details: Value,
    /// Another cluster node writes the venue: the request is sent on to
    /// it (`http::forward`) and this error is never seen by the client
    /// unless that fails.
    pub owner: Option<String>,
}

impl ApiError {
    /// An error with empty details.
    pub fn new(code: ErrorCode, message: impl Into<String>) -> Self {
        Self {
            code,
            message: message.into(),
            details: json!({}),
            owner: None,
        }
    }

    /// Its HTTP status (the code's).
    pub fn status(&self) -> StatusCode {
        self.code.status()
    }

    /// `404 not_found`.
    pub fn not_found(what: &str) -> Self {
        Self::new(ErrorCode::NotFound, format!("{what} not found"))
    }

    /// `422 validation_failed` naming the field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        let (field, reason) = (field.into(), reason.into());
        Self {
            code: ErrorCode::ValidationFailed,
            message: format!("{field}: {reason}"),
            details: json!({"field": field, "reason": reason}),
            owner: None,
        }
    }

    /// `400 malformed_request`.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::MalformedRequest, message)
    }

    /// `401 unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Unauthorized, message)
    }

    /// `403 forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(ErrorCode::Forbidden, message)
    }

    /// `413 payload_too_large`.
    pub fn too_large() -> Self {
        Self::new(
            ErrorCode::PayloadTooLarge,
            "request bodies are limited to 64 KiB",
        )
    }

    /// `408 request_timeout`: the body did not arrive in time.
    pub fn body_timeout() -> Self {
        Self::new(
            ErrorCode::RequestTimeout,
            "the request body did not arrive in time",
        )
    }

    /// `429 rate_limited` with `Retry-After: seconds`.
    pub fn rate_limited(message: impl Into<String>, seconds: u64) -> Self {
        let mut e = Self::new(ErrorCode::RateLimited, message);
        e.details = json!({"retry_after_seconds": seconds.max(1)});
        e
    }

    /// `500 internal`; the cause is logged once, here, and never sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(ErrorCode::Internal, "internal error")
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status().as_u16(),
            self.code,
            self.message
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status()
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status());
        if let Some(seconds) = self
            .details
            .get("retry_after_seconds")
            .and_then(Value::as_u64)
        {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        if let Some(owner) = &self.owner {
            response.insert_header((crate::http::forward::OWNER_HEADER, owner.as_str()));
        }
        response.json(json!({
            "error": {"code": self.code, "message": self.message, "details": self.details}
        }))
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let message = e.to_string();
        let (code, details) = match e {
            DomainError::Invalid { field, reason } => (
                ErrorCode::ValidationFailed,
                json!({"field": field, "reason": reason}),
            ),
            DomainError::SlotUnavailable => {
                metrics::counter!("booking_conflicts_total").increment(1);
                (ErrorCode::SlotUnavailable, json!({}))
            }
            DomainError::NotFound(_) => (ErrorCode::NotFound, json!({})),
            DomainError::Forbidden(_) => (ErrorCode::Forbidden, json!({})),
            DomainError::Conflict(_) => (ErrorCode::Conflict, json!({})),
            DomainError::Limit(_) => (ErrorCode::Conflict, json!({"reason": "limit"})),
            DomainError::Cutoff(_) => (ErrorCode::Conflict, json!({"reason": "cutoff"})),
            DomainError::Strands { bookings, holds } => (
                ErrorCode::Conflict,
                json!({"bookings": bookings, "holds": holds}),
            ),
            DomainError::HoldExpired => (ErrorCode::HoldExpired, json!({})),
        };
        Self {
            code,
            message,
            details,
            owner: None,
        }
    }
}

impl From<crate::accounts::AccountError> for ApiError {
    fn from(e: crate::accounts::AccountError) -> Self {
        use crate::accounts::AccountError as A;
        match e {
            A::EmailTaken | A::Conflict(_) => Self::new(ErrorCode::Conflict, e.to_string()),
            A::WeChat(w) => w.into(),
            A::Invalid { field, reason } => Self::invalid(field, reason),
            A::BadCredentials | A::BadRefreshToken => Self::unauthorized(e.to_string()),
            A::Store(cause) => Self::internal(cause),
            A::Unavailable => EngineError::Unavailable.into(),
            A::Busy => {
                let mut e = Self::new(ErrorCode::Unavailable, e.to_string());
                e.details = json!({"retry_after_seconds": 2});
                e
            }
            A::Internal(cause) => Self::internal(cause),
            A::Social(rule) => rule.into(),
            A::RateLimited(seconds) => Self::rate_limited(e.to_string(), seconds),
        }
    }
}

/// API v1.1 §1's errcode rows.
impl From<crate::accounts::wechat::WeChatError> for ApiError {
    fn from(e: crate::accounts::wechat::WeChatError) -> Self {
        use crate::accounts::wechat::{RETRY_AFTER_SECONDS, WeChatError as W};
        let message = e.to_string();
        match e {
            W::BadCode => Self::unauthorized(message),
            W::TooFrequent => Self::rate_limited(message, RETRY_AFTER_SECONDS),
            W::Blocked => Self::forbidden(message),
            W::NotConfigured => Self::new(ErrorCode::Unavailable, message),
            W::Upstream(_) => {
                let mut e = Self::new(ErrorCode::Unavailable, message);
                e.details = json!({"retry_after_seconds": RETRY_AFTER_SECONDS});
                e
            }
        }
    }
}

impl From<crate::outbox::OutboxError> for ApiError {
    fn from(e: crate::outbox::OutboxError) -> Self {
        match e {
            crate::outbox::OutboxError::Domain(d) => d.into(),
            crate::outbox::OutboxError::Engine(e) => e.into(),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Domain(d) => d.into(),
            EngineError::VenueNotFound => Self::not_found("venue"),
            EngineError::Unavailable => Self::new(
                ErrorCode::Unavailable,
                "the service is not accepting writes right now",
            ),
            EngineError::Store(cause) => Self::internal(cause),
            EngineError::Elsewhere(owner) => {
                let mut e = Self::new(
                    ErrorCode::Unavailable,
                    "the node that writes this venue cannot be reached; try again",
                );
                e.details = json!({"retry_after_seconds": 1});
                e.owner = Some(owner);
                e
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_domain_error_has_its_contract_status_and_code() {
        let cases = [
            (DomainError::invalid("start", "x"), 422, "validation_failed"),
            (DomainError::SlotUnavailable, 409, "slot_unavailable"),
            (DomainError::NotFound("booking"), 404, "not_found"),
            (DomainError::Forbidden("no"), 403, "forbidden"),
            (DomainError::Conflict("no".into()), 409, "conflict"),
            (
                DomainError::Strands {
                    bookings: vec![],
                    holds: vec![],
                },
                409,
                "conflict",
            ),
            (DomainError::HoldExpired, 410, "hold_expired"),
            (DomainError::Limit("x".into()), 409, "conflict"),
        ];
        for (e, status, code) in cases {
            let api = ApiError::from(e);
            assert_eq!((api.status().as_u16(), api.code.as_str()), (status, code));
        }
        let internal = ApiError::internal("disk on fire");
        assert_eq!(
            (internal.status().as_u16(), internal.message.as_str()),
            (500, "internal error")
        );
    }
}
