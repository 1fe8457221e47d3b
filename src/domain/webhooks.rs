//! Webhook rules (API v1.1 §7), pure: which events an endpoint takes, what
//! a valid endpoint is, when a failed delivery is tried again and when it
//! is given up, and which addresses a delivery may never reach.

use std::net::IpAddr;
use std::time::Duration;

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::time::micros;
use crate::domain::{DomainError, VenueId};

/// Every event a webhook can take, as `Change::name` spells them.
pub const EVENT_NAMES: &[&str] = &[
    "booking.created",
    "booking.invited",
    "booking.updated",
    "booking.cancelled",
    "booking.reminder",
    "hold.created",
    "hold.released",
    "hold.expired",
    "venue.updated",
    "waitlist.joined",
    "waitlist.offered",
    "waitlist.booked",
    "waitlist.missed",
    "waitlist.left",
];

/// Most webhooks per venue: each one is a delivery queue and a task.
pub const MAX_PER_VENUE: usize = 16;
/// Most patterns per webhook.
pub const MAX_PATTERNS: usize = 32;
/// Longest URL accepted.
pub const MAX_URL_CHARS: usize = 2048;
/// Longest description accepted.
pub const MAX_DESCRIPTION_CHARS: usize = 500;
/// How long a delivery is retried (API v1.1 §7).
pub const RETRY_FOR: jiff::SignedDuration = jiff::SignedDuration::from_hours(24);
/// The longest wait between two attempts.
pub const MAX_BACKOFF: Duration = Duration::from_secs(3600);

/// A venue's webhook endpoint. The secret is kept to sign with; it is
/// shown once, when the endpoint is created.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Webhook {
    pub id: String,
    pub venue_id: VenueId,
    pub url: String,
    pub events: Vec<String>,
    pub description: String,
    pub secret: String,
    #[serde(with = "micros")]
    pub created_at: Timestamp,
}

impl Webhook {
    /// Whether an event of this name goes to this endpoint.
    pub fn takes(&self, event: &str) -> bool {
        self.events.iter().any(|p| pattern_matches(p, event))
    }
}

/// `*`, `family.*` or an exact name.
pub fn pattern_matches(pattern: &str, event: &str) -> bool {
    match pattern.strip_suffix(".*") {
        _ if pattern == "*" => true,
        Some(family) => event
            .strip_prefix(family)
            .is_some_and(|rest| rest.starts_with('.')),
        None => pattern == event,
    }
}

/// Checks the `events` of a new endpoint: 1 to 32 patterns, each matching
/// at least one event this server emits.
pub fn check_events(events: &[String]) -> Result<(), DomainError> {
    if events.is_empty() || events.len() > MAX_PATTERNS {
        return Err(DomainError::invalid("events", "must list 1 to 32 patterns"));
    }
    for (i, p) in events.iter().enumerate() {
        if !EVENT_NAMES.iter().any(|name| pattern_matches(p, name)) {
            return Err(DomainError::invalid(
                format!("events[{i}]"),
                "is not an event name, a family pattern such as booking.*, or *",
            ));
        }
    }
    Ok(())
}

/// Checks an endpoint URL's shape (its addresses are checked with DNS by
/// the caller): `https`, or `http` where plain HTTP is allowed; a host; no
/// credentials; not too long.
pub fn check_url(url: &str, allow_http: bool) -> Result<Url, DomainError> {
    let bad = |reason: &str| DomainError::invalid("url", reason.to_string());
    if url.chars().count() > MAX_URL_CHARS {
        return Err(bad("must be at most 2048 characters"));
    }
    let (scheme, rest) = url
        .split_once("://")
        .ok_or_else(|| bad("must be an absolute http(s) URL"))?;
    let https = match scheme.to_ascii_lowercase().as_str() {
        "https" => true,
        "http" if allow_http => false,
        "http" => return Err(bad("must use https")),
        _ => return Err(bad("must be an absolute http(s) URL")),
    };
    let authority = rest.split(['/', '?', '#']).next().unwrap_or("");
    if authority.contains('@') {
        return Err(bad("must not carry credentials"));
    }
    let (host, port) = split_host(authority).ok_or_else(|| bad("has no valid host"))?;
    if url.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err(bad("must not contain spaces or control characters"));
    }
    Ok(Url {
        host,
        port: port.unwrap_or(if https { 443 } else { 80 }),
    })
}

/// The host and port of a checked URL.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Url {
    pub host: String,
    pub port: u16,
}

fn split_host(authority: &str) -> Option<(String, Option<u16>)> {
    let (host, port) = if let Some(rest) = authority.strip_prefix('[') {
        let (host, after) = rest.split_once(']')?;
        host.parse::<std::net::Ipv6Addr>().ok()?;
        (host, after.strip_prefix(':'))
    } else {
        match authority.rsplit_once(':') {
            Some((h, p)) => (h, Some(p)),
            None => (authority, None),
        }
    };
    let port = match port {
        Some(p) => Some(p.parse::<u16>().ok().filter(|p| *p > 0)?),
        None => None,
    };
    let valid = !host.is_empty()
        && host.len() <= 253
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b"-._:".contains(&b));
    valid.then(|| (host.to_ascii_lowercase(), port))
}

/// Addresses a production delivery must never reach: loopback, private,
/// link-local (cloud metadata lives there), shared, unspecified,
/// multicast, and IPv6 forms of them.
pub fn is_forbidden(ip: IpAddr) -> bool {
    match ip {
        IpAddr::V4(v4) => {
            let [a, b, ..] = v4.octets();
            v4.is_loopback()
                || v4.is_private()
                || v4.is_link_local()
                || v4.is_unspecified()
                || v4.is_broadcast()
                || v4.is_multicast()
                || v4.is_documentation()
                || a == 0
                || (a == 100 && (64..128).contains(&b)) // shared (CGNAT)
                || a >= 240
        }
        IpAddr::V6(v6) => {
            if let Some(v4) = v6.to_ipv4_mapped() {
                return is_forbidden(IpAddr::V4(v4));
            }
            let first = v6.segments()[0];
            v6.is_loopback()
                || v6.is_unspecified()
                || v6.is_multicast()
                || (first & 0xfe00) == 0xfc00 // unique local (fd00:ec2::254 is a metadata address)
                || (first & 0xffc0) == 0xfe80 // link-local
                || first == 0x2001 && v6.segments()[1] == 0x0db8 // documentation
                || first == 0x0064 && v6.segments()[1] == 0xff9b // NAT64 of anything
        }
    }
}

/// The wait before attempt `attempt + 1` after `attempt` failures: `base`
/// doubled per failure, at most an hour, times `jitter` (0.5 to 1.5, drawn
/// by the caller so that this stays pure).
pub fn backoff(base: Duration, attempt: u32, jitter: f64) -> Duration {
    let doubled = base.saturating_mul(1u32 << attempt.saturating_sub(1).min(20));
    doubled
        .min(MAX_BACKOFF)
        .mul_f64(jitter.clamp(0.5, 1.5))
        .min(MAX_BACKOFF)
}

/// Whether a delivery queued at `queued` may still be tried at `now`.
pub fn still_retried(queued: Timestamp, now: Timestamp) -> bool {
    now.duration_since(queued) < RETRY_FOR
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn patterns_match_families_names_and_everything() {
        assert!(pattern_matches("*", "booking.created"));
        assert!(pattern_matches("booking.*", "booking.reminder"));
        assert!(!pattern_matches("booking.*", "bookings.created"));
        assert!(!pattern_matches("book.*", "booking.created"));
        assert!(pattern_matches("waitlist.offered", "waitlist.offered"));
        assert!(!pattern_matches("waitlist.offered", "waitlist.missed"));
        assert!(check_events(&["booking.*".into(), "waitlist.offered".into()]).is_ok());
        assert!(check_events(&[]).is_err());
        let err = check_events(&["booking.created".into(), "bookings.*".into()]).unwrap_err();
        assert!(err.to_string().contains("events[1]"), "{err}");
    }

    #[test]
    fn urls_need_a_host_and_https_unless_allowed() {
        assert_eq!(
            check_url("https://hooks.example.com/in?x=1", false).unwrap(),
            Url {
                host: "hooks.example.com".into(),
                port: 443
            }
        );
        assert_eq!(
            check_url("http://127.0.0.1:8080/h", true).unwrap().port,
            8080
        );
        assert_eq!(check_url("http://[::1]:9/", true).unwrap().host, "::1");
        for bad in [
            "http://example.com/",
            "ftp://example.com/",
            "example.com/h",
            "https://user:pw@example.com/",
            "https:///path",
            "https://exa mple.com/",
            "https://example.com:0/",
            "https://example.com:99999/",
        ] {
            assert!(check_url(bad, false).is_err(), "{bad}");
        }
    }

    #[test]
    fn private_loopback_and_metadata_addresses_are_forbidden() {
        for ip in [
            "127.0.0.1",
            "10.1.2.3",
            "172.16.0.1",
            "192.168.1.1",
            "169.254.169.254",
            "100.64.0.1",
            "0.0.0.0",
            "::1",
            "fe80::1",
            "fd00:ec2::254",
            "::ffff:127.0.0.1",
            "::ffff:10.0.0.1",
        ] {
            assert!(is_forbidden(ip.parse().unwrap()), "{ip}");
        }
        for ip in ["93.184.216.34", "2606:4700::1111", "8.8.8.8"] {
            assert!(!is_forbidden(ip.parse().unwrap()), "{ip}");
        }
    }

    #[test]
    fn backoff_doubles_to_an_hour_and_retries_last_a_day() {
        let base = Duration::from_secs(1);
        let waits: Vec<u64> = (1..=4).map(|a| backoff(base, a, 1.0).as_secs()).collect();
        assert_eq!(waits, [1, 2, 4, 8]);
        assert_eq!(backoff(base, 40, 1.5), MAX_BACKOFF);
        assert_eq!(backoff(base, 3, 0.5), Duration::from_secs(2));
        let t = Timestamp::from_second(1_000_000).unwrap();
        assert!(still_retried(t, t + jiff::SignedDuration::from_hours(23)));
        assert!(!still_retried(t, t + jiff::SignedDuration::from_hours(24)));
    }
}
