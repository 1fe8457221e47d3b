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
        HttpResponse::build(self.status).json(json!({
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
            DomainError::SlotUnavailable => (StatusCode::CONFLICT, "slot_unavailable", json!({})),
            DomainError::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", json!({})),
            DomainError::Forbidden(_) => (StatusCode::FORBIDDEN, "forbidden", json!({})),
            DomainError::Conflict(_) => (StatusCode::CONFLICT, "conflict", json!({})),
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
            EngineError::Store(cause) => {
                tracing::error!(error = %cause, "store read failed");
                Self::new(
                    StatusCode::INTERNAL_SERVER_ERROR,
                    "internal",
                    "internal error",
                )
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
        ];
        for (e, status, code) in cases {
            let api = ApiError::from(e);
            assert_eq!((api.status.as_u16(), api.code), (status, code));
        }
        let internal = ApiError::from(EngineError::Store(crate::store::StoreError::Engine(
            "disk on fire".into(),
        )));
        assert_eq!(
            (internal.status.as_u16(), internal.message.as_str()),
            (500, "internal error")
        );
    }
}
