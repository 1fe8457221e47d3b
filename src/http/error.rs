//! The one error table: every failure becomes API.md's error body with a
//! stable code and its status. 5xx bodies say "internal error"; the cause is
//! logged once, here.

use actix_web::http::StatusCode;
use actix_web::{HttpResponse, ResponseError};
use serde_json::{Value, json};

use crate::actors::EngineError;
use crate::domain::DomainError;

/// An error as the client sees it.
#[derive(Debug)]
pub struct ApiError {
    pub status: StatusCode,
    pub code: &'static str,
    pub message: String,
    pub details: Value,
}

impl ApiError {
    /// An error with empty details.
    pub fn new(status: StatusCode, code: &'static str, message: impl Into<String>) -> Self {
        Self {
            status,
            code,
            message: message.into(),
            details: json!({}),
        }
    }

    /// `404 not_found`.
    pub fn not_found(what: &str) -> Self {
        Self::new(
            StatusCode::NOT_FOUND,
            "not_found",
            format!("{what} not found"),
        )
    }

    /// `422 validation_failed` naming the field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        let (field, reason) = (field.into(), reason.into());
        Self {
            status: StatusCode::UNPROCESSABLE_ENTITY,
            code: "validation_failed",
            message: format!("{field}: {reason}"),
            details: json!({"field": field, "reason": reason}),
        }
    }

    /// `400 malformed_request`.
    pub fn malformed(message: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "malformed_request", message)
    }

    /// `401 unauthorized`.
    pub fn unauthorized(message: impl Into<String>) -> Self {
        Self::new(StatusCode::UNAUTHORIZED, "unauthorized", message)
    }

    /// `403 forbidden`.
    pub fn forbidden(message: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "forbidden", message)
    }

    /// `413 payload_too_large`.
    pub fn too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "payload_too_large",
            "request bodies are limited to 64 KiB",
        )
    }

    /// `408 request_timeout`: the body did not arrive in time (an addition
    /// to the contract's table, like `unavailable`).
    pub fn body_timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "request_timeout",
            "the request body did not arrive in time",
        )
    }

    /// `500 internal`; the cause is logged once, here, and never sent.
    pub fn internal(cause: impl std::fmt::Display) -> Self {
        tracing::error!(error = %cause, "internal error");
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "internal error",
        )
    }
}

impl std::fmt::Display for ApiError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} {}: {}",
            self.status.as_u16(),
            self.code,
            self.message
        )
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.status
    }

    fn error_response(&self) -> HttpResponse {
        let mut response = HttpResponse::build(self.status);
        if let Some(seconds) = self
            .details
            .get("retry_after_seconds")
            .and_then(Value::as_u64)
        {
            response.insert_header(("Retry-After", seconds.to_string()));
        }
        response.json(json!({
            "error": {"code": self.code, "message": self.message, "details": self.details}
        }))
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        let message = e.to_string();
        let (status, code, details) = match e {
            DomainError::Invalid { field, reason } => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                json!({"field": field, "reason": reason}),
            ),
            DomainError::SlotUnavailable => {
                metrics::counter!("booking_conflicts_total").increment(1);
                (StatusCode::CONFLICT, "slot_unavailable", json!({}))
            }
            DomainError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", json!({})),
            DomainError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", json!({})),
            DomainError::Conflict(_) => (StatusCode::CONFLICT, "conflict", json!({})),
            DomainError::Limit(_) => (StatusCode::CONFLICT, "conflict", json!({"reason": "limit"})),
            DomainError::Strands { bookings, holds } => (
                StatusCode::CONFLICT,
                "conflict",
                json!({"bookings": bookings, "holds": holds}),
            ),
            DomainError::HoldExpired => (StatusCode::GONE, "hold_expired", json!({})),
        };
        Self {
            status,
            code,
            message,
            details,
        }
    }
}

impl From<crate::accounts::AccountError> for ApiError {
    fn from(e: crate::accounts::AccountError) -> Self {
        use crate::accounts::AccountError as A;
        match e {
            A::EmailTaken => Self::new(StatusCode::CONFLICT, "conflict", e.to_string()),
            A::Invalid { field, reason } => Self::invalid(field, reason),
            A::BadCredentials | A::BadRefreshToken => Self::unauthorized(e.to_string()),
            A::Store(cause) => Self::internal(cause),
            A::Unavailable => EngineError::Unavailable.into(),
            A::Busy => {
                let mut e = Self::new(
                    StatusCode::SERVICE_UNAVAILABLE,
                    "unavailable",
                    e.to_string(),
                );
                e.details = json!({"retry_after_seconds": 2});
                e
            }
            A::Internal(cause) => Self::internal(cause),
        }
    }
}

impl From<EngineError> for ApiError {
    fn from(e: EngineError) -> Self {
        match e {
            EngineError::Domain(d) => d.into(),
            EngineError::VenueNotFound => Self::not_found("venue"),
            // An addition to API.md's table: retrying later may succeed.
            EngineError::Unavailable => Self::new(
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "the service is not accepting writes right now",
            ),
            EngineError::Store(cause) => Self::internal(cause),
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
            assert_eq!((api.status.as_u16(), api.code), (status, code));
        }
        let internal = ApiError::internal("disk on fire");
        assert_eq!(
            (internal.status.as_u16(), internal.message.as_str()),
            (500, "internal error")
        );
    }
}
