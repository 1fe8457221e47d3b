//! Rate limits (governor, a GCRA): per user with a valid token, else per
//! client address; `POST /auth/*` has its own, stricter per-address limit.
//! The route is judged as the router decodes it (percent-escapes, `//`, a
//! trailing slash, letter case all count as the same route), and the client
//! address comes from `X-Forwarded-For` only behind a trusted proxy.

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use actix_web::HttpRequest;
use dashmap::DashMap;
use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};
use ipnet::IpNet;

use crate::accounts::Tokens;
use crate::http::ApiError;
use crate::http::extract::bearer;
use crate::settings::LimitSettings;

/// Keyed limiters. Governor's keyed limiters are lock-free per key (dashmap).
pub struct Limits {
    general: DefaultKeyedRateLimiter<String>,
    auth: DefaultKeyedRateLimiter<IpAddr>,
}

/// A count for a governor quota (0 is taken as 1).
pub(crate) fn nonzero(n: u32) -> NonZeroU32 {
    NonZeroU32::new(n.max(1)).unwrap_or(NonZeroU32::MIN)
}

/// The path as the router matches it, folded: `/api/v1/%61uth//Login/`
/// becomes `/api/v1/auth/login`.
pub fn canonical_path(req: &HttpRequest) -> String {
    // `match_info().path()` is the URL actix-web decoded for routing.
    let decoded = req.match_info().as_str();
    let mut out = String::with_capacity(decoded.len());
    for segment in decoded.split('/').filter(|s| !s.is_empty()) {
        out.push('/');
        out.push_str(&segment.to_ascii_lowercase());
    }
    if out.is_empty() {
        out.push('/');
    }
    out
}

/// Whether a request is one of the sign-in routes, whatever its spelling:
/// `/auth/*` (password guessing) and `/me/wechat` (each one spends the
/// app's WeChat quota, which is per app, not per user).
fn is_auth_route(req: &HttpRequest) -> bool {
    let path = canonical_path(req);
    path.starts_with("/api/v1/auth/") || path == "/api/v1/me/wechat"
}

/// Who the client is: the peer, or behind trusted proxies the rightmost
/// `X-Forwarded-For` address that is not itself a trusted proxy.
pub fn client_ip(req: &HttpRequest, trusted: &[IpNet]) -> IpAddr {
    let peer = req
        .peer_addr()
        .map_or(IpAddr::from([0, 0, 0, 0]), |a| a.ip());
    let is_trusted = |ip: &IpAddr| trusted.iter().any(|net| net.contains(ip));
    if !is_trusted(&peer) {
        return peer;
    }
    let hops: Vec<IpAddr> = req
        .headers()
        .get_all("X-Forwarded-For")
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .filter_map(|s| s.trim().parse().ok())
        .collect();
    hops.into_iter()
        .rev()
        .find(|ip| !is_trusted(ip))
        .unwrap_or(peer)
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
    pub fn check(&self, req: &HttpRequest, ip: IpAddr, tokens: &Tokens) -> Result<(), ApiError> {
        let verdict = if is_auth_route(req) {
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
            ApiError::rate_limited("too many requests; retry later", seconds)
        })
    }

    /// Forgets keys whose limits have fully recovered, so that the key maps
    /// stay as small as the set of recently active clients.
    pub fn sweep(&self) {
        self.general.retain_recent();
        self.auth.retain_recent();
    }
}

/// Open connections per client address. A connection over the cap is
/// answered 429 and closed; the count drops when a connection ends.
#[derive(Default)]
pub struct Connections {
    open: DashMap<IpAddr, Arc<AtomicUsize>>,
}

/// Held by a connection (in its extensions) for as long as it is open; a
/// WebSocket keeps a clone once its socket leaves the HTTP dispatcher.
#[derive(Clone)]
pub struct ConnectionSlot {
    _held: Arc<Held>,
    /// This connection is over the cap: its requests are refused.
    pub over: bool,
}

/// One count of an address's open connections, given back on drop.
struct Held(Arc<AtomicUsize>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Ordering::AcqRel);
    }
}

impl Connections {
    /// Counts a new connection from `ip` against `cap`.
    pub fn open(&self, ip: IpAddr, cap: usize) -> ConnectionSlot {
        let count = self.open.entry(ip).or_default().clone();
        let n = count.fetch_add(1, Ordering::AcqRel) + 1;
        ConnectionSlot {
            _held: Arc::new(Held(count)),
            over: n > cap,
        }
    }

    /// Forgets addresses with no open connection.
    pub fn sweep(&self) {
        self.open.retain(|_, n| n.load(Ordering::Acquire) > 0);
    }

    /// The answer to a request on a connection over the cap.
    pub fn refused() -> ApiError {
        ApiError::rate_limited("too many connections from this address", 1)
    }
}
