//! Every error code of the API, with its status, written once (as
//! meilisearch's `make_error_codes!`). REST bodies, WebSocket error frames,
//! rate limits and idempotency all name codes from here; the OpenAPI
//! document lists them from `ErrorCode::ALL`.

use actix_web::http::StatusCode;

macro_rules! error_codes {
    ($( $(#[$doc:meta])* $variant:ident = $code:literal, $status:ident; )*) => {
        /// A stable, `snake_case` error code.
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub enum ErrorCode {
            $( $(#[$doc])* $variant, )*
        }

        impl ErrorCode {
            /// Every code, in the table's order.
            pub const ALL: &'static [ErrorCode] = &[$( ErrorCode::$variant, )*];

            /// The code as clients see it.
            pub fn as_str(self) -> &'static str {
                match self { $( ErrorCode::$variant => $code, )* }
            }

            /// The HTTP status that goes with it.
            pub fn status(self) -> StatusCode {
                match self { $( ErrorCode::$variant => StatusCode::$status, )* }
            }
        }
    };
}

error_codes! {
    /// Bad JSON, a wrong type, a body that is not an object.
    MalformedRequest = "malformed_request", BAD_REQUEST;
    /// Missing, invalid or expired token.
    Unauthorized = "unauthorized", UNAUTHORIZED;
    /// WebSocket frames only: the socket's token expired, so the topics
    /// that needed it ended (send an `auth` frame, then subscribe again).
    TokenExpired = "token_expired", UNAUTHORIZED;
    Forbidden = "forbidden", FORBIDDEN;
    /// Also what a caller gets for what they may not see.
    NotFound = "not_found", NOT_FOUND;
    /// The path exists, the method does not (with `Allow`).
    MethodNotAllowed = "method_not_allowed", METHOD_NOT_ALLOWED;
    /// The body did not arrive in time (an addition to the contract's table).
    RequestTimeout = "request_timeout", REQUEST_TIMEOUT;
    /// No capacity for that start and party.
    SlotUnavailable = "slot_unavailable", CONFLICT;
    /// Illegal transition, stale version, a per-customer limit.
    Conflict = "conflict", CONFLICT;
    HoldExpired = "hold_expired", GONE;
    PayloadTooLarge = "payload_too_large", PAYLOAD_TOO_LARGE;
    /// A missing or invalid field, named in the details.
    ValidationFailed = "validation_failed", UNPROCESSABLE_ENTITY;
    /// The same `Idempotency-Key` with another request.
    IdempotencyKeyReused = "idempotency_key_reused", UNPROCESSABLE_ENTITY;
    /// With `Retry-After`.
    RateLimited = "rate_limited", TOO_MANY_REQUESTS;
    /// Nothing internal is said.
    Internal = "internal", INTERNAL_SERVER_ERROR;
    /// The store refused a write, or logins queue too long: retry later.
    Unavailable = "unavailable", SERVICE_UNAVAILABLE;
}

impl std::fmt::Display for ErrorCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(self.as_str())
    }
}

impl serde::Serialize for ErrorCode {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(self.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn codes_are_unique_snake_case_with_error_statuses() {
        let mut seen = std::collections::HashSet::new();
        for code in ErrorCode::ALL {
            let text = code.as_str();
            assert!(seen.insert(text), "{text} twice");
            assert!(
                text.bytes().all(|b| b.is_ascii_lowercase() || b == b'_'),
                "{text}"
            );
            assert!(code.status().is_client_error() || code.status().is_server_error());
        }
    }
}
