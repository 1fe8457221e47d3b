//! The SSRF guard of production deliveries (API v1.1 §7): a destination
//! that resolves to a loopback, private, link-local or metadata address is
//! refused when the webhook is made and again at every delivery. The
//! second check is in the HTTP client's own resolver, so the address
//! checked is the address connected to (a DNS answer that changes between
//! check and use, "rebinding", cannot slip through).

use std::net::{IpAddr, SocketAddr};
use std::sync::Arc;
use std::time::Duration;

use reqwest::dns::{Addrs, Name, Resolve, Resolving};

use crate::domain::webhooks::{Url, is_forbidden};

/// Resolves with the system resolver and keeps only allowed addresses.
struct Guarded;

impl Resolve for Guarded {
    fn resolve(&self, name: Name) -> Resolving {
        let host = name.as_str().to_string();
        Box::pin(async move {
            let allowed = allowed_addresses(&host, 0).await?;
            Ok(Box::new(allowed.into_iter()) as Addrs)
        })
    }
}

/// `host`'s addresses, or why none may be used.
async fn allowed_addresses(
    host: &str,
    port: u16,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    if let Ok(ip) = host.parse::<IpAddr>() {
        return if is_forbidden(ip) {
            Err(forbidden(host).into())
        } else {
            Ok(vec![SocketAddr::new(ip, port)])
        };
    }
    let found: Vec<SocketAddr> = tokio::net::lookup_host((host, port)).await?.collect();
    if found.is_empty() {
        return Err(format!("{host} has no address").into());
    }
    // One forbidden answer taints the name: a client picks any of them.
    if found.iter().any(|a| is_forbidden(a.ip())) {
        return Err(forbidden(host).into());
    }
    Ok(found)
}

fn forbidden(host: &str) -> String {
    format!("{host} resolves to a loopback, private, link-local or metadata address")
}

/// The deliveries' HTTP client: no redirects (a 3xx is a failed attempt,
/// never a hop to somewhere else), the contract's timeout, and the guard
/// when `guard`.
pub fn client(guard: bool, timeout: Duration) -> anyhow::Result<reqwest::Client> {
    let mut builder = crate::tls::client()
        .timeout(timeout)
        .connect_timeout(timeout)
        .redirect(reqwest::redirect::Policy::none())
        .pool_max_idle_per_host(2);
    if guard {
        builder = builder.dns_resolver(Arc::new(Guarded));
    }
    Ok(builder.build()?)
}

/// Checks a destination when a webhook is made: every address it resolves
/// to must be allowed.
pub async fn check_destination(url: &Url) -> Result<(), String> {
    allowed_addresses(&url.host, url.port)
        .await
        .map(|_| ())
        .map_err(|e| e.to_string())
}

/// An IP-literal host is not resolved, so the client's resolver never sees
/// it: deliveries check it here.
pub fn literal_allowed(url: &str) -> bool {
    crate::domain::webhooks::check_url(url, true).is_ok_and(|u| {
        u.host
            .parse::<IpAddr>()
            .map_or(true, |ip| !is_forbidden(ip))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn names_and_literals_of_forbidden_addresses_are_refused_at_delivery() {
        // What the client's resolver answers for a name (localhost is in
        // /etc/hosts, so no DNS server is needed).
        let err = Guarded
            .resolve("localhost".parse().unwrap())
            .await
            .err()
            .unwrap();
        assert!(err.to_string().contains("loopback"), "{err}");
        assert!(allowed_addresses("10.0.0.1", 443).await.is_err());
        assert!(allowed_addresses("93.184.216.34", 443).await.is_ok());
        // IP literals never reach the resolver: checked before sending.
        assert!(!literal_allowed("https://127.0.0.1/hook"));
        assert!(!literal_allowed("https://[::ffff:169.254.169.254]/latest"));
        assert!(literal_allowed("https://93.184.216.34/hook"));
        assert!(literal_allowed("https://hooks.example.com/hook"));
    }
}
