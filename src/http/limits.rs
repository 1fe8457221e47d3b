//! Rate limits (governor, a GCRA): per user with a valid token, else per
//! client address; `POST /auth/*` has its own, stricter per-address limit.

use std::net::IpAddr;
use std::num::NonZeroU32;

use actix_web::HttpRequest;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use serde_json::json;

use crate::accounts::Tokens;
use crate::http::ApiError;
use crate::http::extract::bearer;
use crate::settings::LimitSettings;

/// Keyed limiters. Governor's keyed limiters are lock-free per key (dashmap).
pub struct Limits {
    general: DefaultKeyedRateLimiter<String>,
    auth: DefaultKeyedRateLimiter<IpAddr>,
}

fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

impl Limits {
    pub fn new(s: &LimitSettings) -> Self {
        let general = Quota::per_second(nonzero(s.per_second)).allow_burst(nonzero(s.burst));
        let auth = Quota::per_minute(nonzero(s.auth_per_minute));
        Self {
            general: RateLimiter::keyed(general),
            auth: RateLimiter::keyed(auth),
        }
    }

    /// Admits the request or says how long to wait.
    pub fn check(&self, req: &HttpRequest, tokens: &Tokens) -> Result<(), ApiError> {
        let ip = req
            .peer_addr()
            .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
        let verdict = if req.path().starts_with("/api/v1/auth/") {
            self.auth.check_key(&ip)
        } else {
            let key = match bearer(req).and_then(|t| tokens.verify(t)) {
                Some(claims) => format!("user:{}", claims.sub),
                None => format!("addr:{ip}"),
            };
            self.general.check_key(&key)
        };
        verdict.map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            let seconds = wait.as_secs() + u64::from(wait.subsec_nanos() > 0);
            let mut e = ApiError::new(
                actix_web::http::StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "too many requests; retry later",
            );
            e.details = json!({"retry_after_seconds": seconds.max(1)});
            e
        })
    }
}
