//! One webhook's delivery task: its queue's head, one attempt at a time,
//! each attempt recorded in the same write that advances the queue.

use std::sync::{Arc, Weak};
use std::time::{Duration, Instant};

use hmac::{Hmac, Mac};
use sha2::Sha256;

use super::records::{self, Attempt, Outcome, Queued};
use super::{MAX_ATTEMPTS_KEPT, Outbox, POLL, Worker, count};
use crate::domain::webhooks::{self, Webhook};
use crate::domain::{Event, Zone};
use crate::store::AuxOp;

/// How long the task waits after its own write failed (storage trouble).
const STORE_RETRY: Duration = Duration::from_secs(1);
/// Attempts between two trims of the deliveries log.
const TRIM_EVERY: u32 = 50;
/// Longest error text kept per attempt.
const MAX_ERROR_CHARS: usize = 300;

/// The stable id of an event's deliveries: receivers deduplicate by it.
pub fn event_id(event: &Event) -> String {
    format!("evt_{}_{}", event.venue_id, event.seq)
}

/// `t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`: the
/// secret string's UTF-8 bytes are the key (API v1.1 §11).
pub fn signature(secret: &str, t: i64, body: &str) -> String {
    let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).unwrap(); // unwrap: HMAC takes keys of any length.
    mac.update(t.to_string().as_bytes());
    mac.update(b".");
    mac.update(body.as_bytes());
    let hex: String = mac
        .finalize()
        .into_bytes()
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect();
    format!("t={t},v1={hex}")
}

/// Runs until the webhook is deleted or the outbox dropped.
pub(super) async fn run(outbox: Weak<Outbox>, id: String, me: Arc<Worker>) {
    let mut not_before: Option<tokio::time::Instant> = None;
    let mut since_trim = 0u32;
    loop {
        let Some(o) = outbox.upgrade() else { return };
        let Some(hook) = o.endpoints.get(&id) else {
            return;
        };
        if !o.delivers() {
            // Another cluster node delivers; `refresh` wakes this task
            // when this node takes over.
            drop(o);
            tokio::select! {
                () = tokio::time::sleep(POLL) => {}
                () = me.wake.notified() => {}
            }
            continue;
        }
        if let Some(at) = not_before.filter(|at| *at > tokio::time::Instant::now()) {
            drop(o);
            // New events do not cut a backoff short; deletion does.
            tokio::select! {
                () = tokio::time::sleep_until(at) => {}
                () = me.wake.notified() => {}
            }
            continue;
        }
        not_before = None;
        let head = match o.scan(records::QUEUE, &id, 1).await {
            Ok(rows) => rows.into_iter().next(),
            Err(e) => {
                tracing::warn!(webhook_id = %id, error = %e, "reading the webhook queue failed");
                drop(o);
                tokio::time::sleep(STORE_RETRY).await;
                continue;
            }
        };
        let Some((key, value)) = head else {
            drop(o);
            tokio::select! {
                () = me.wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
            continue;
        };
        let Some(queued) = records::decode::<Queued>(&value) else {
            tracing::error!(webhook_id = %id, "an unreadable queue record was dropped");
            let _ = o
                .write(vec![AuxOp::Delete {
                    space: records::QUEUE,
                    key,
                }])
                .await;
            continue;
        };
        let (attempt, retry) = o.deliver(&hook, &key, queued).await;
        since_trim += 1;
        if since_trim >= TRIM_EVERY {
            since_trim = 0;
            o.trim_log(&id).await;
        }
        match attempt {
            Ok(()) => not_before = retry.map(|d| tokio::time::Instant::now() + d),
            Err(()) => not_before = Some(tokio::time::Instant::now() + STORE_RETRY),
        }
    }
}

impl Outbox {
    /// One attempt of the queue's head, recorded. Returns whether the
    /// record was stored and, on a failure to retry, the backoff.
    async fn deliver(
        &self,
        hook: &Webhook,
        key: &[u8],
        mut queued: Queued,
    ) -> (Result<(), ()>, Option<Duration>) {
        let started = Instant::now();
        let result = match self.permits.acquire().await {
            Ok(_permit) => self.post(hook, &queued).await,
            Err(_) => Err((None, "the outbox is closing".to_string())),
        };
        let duration_ms = started.elapsed().as_millis() as u64;
        queued.attempts += 1;
        let now = self.engine.now();
        let outcome = match &result {
            Ok(_) => Outcome::Delivered,
            Err(_) if webhooks::still_retried(queued.queued_at, now) => Outcome::Retrying,
            Err(_) => Outcome::Failed,
        };
        count("webhook", outcome);
        let (status_code, error) = match result {
            Ok(code) => (Some(code), None),
            Err((code, error)) => (code, Some(error.chars().take(MAX_ERROR_CHARS).collect())),
        };
        let attempt = Attempt {
            id: crate::ids::new_id(),
            venue_id: queued.event.venue_id.clone(),
            event: queued.event.change.name().to_string(),
            seq: queued.event.seq,
            attempt: queued.attempts,
            status_code,
            error,
            duration_ms,
            at: now,
            outcome,
        };
        let mut ops = vec![AuxOp::Put {
            space: records::ATTEMPTS,
            key: records::attempt_key(&hook.id, now, &attempt.id),
            value: records::encode(&attempt),
        }];
        ops.push(match outcome {
            Outcome::Retrying => AuxOp::Put {
                space: records::QUEUE,
                key: key.to_vec(),
                value: records::encode(&queued),
            },
            Outcome::Delivered | Outcome::Failed => AuxOp::Delete {
                space: records::QUEUE,
                key: key.to_vec(),
            },
        });
        // Deleted while the attempt was out: its queue is gone, keep it so.
        if self.endpoints.get(&hook.id).is_none() {
            return (Ok(()), None);
        }
        if outcome == Outcome::Failed {
            tracing::warn!(webhook_id = %hook.id, seq = attempt.seq, attempts = attempt.attempt, "a webhook delivery failed for good after 24 hours");
        }
        let stored = self.write(ops).await.map_err(|e| {
            tracing::warn!(webhook_id = %hook.id, error = %e, "recording a webhook attempt failed; it will be made again");
        });
        let jitter = 0.5 + f64::from(rand_byte()) / 255.0;
        let retry = (outcome == Outcome::Retrying)
            .then(|| webhooks::backoff(self.settings.retry_base(), queued.attempts, jitter));
        (stored, retry)
    }

    /// POSTs the signed event: `Ok(status)` for a 2xx in time, else the
    /// status (if any) and what went wrong.
    async fn post(&self, hook: &Webhook, queued: &Queued) -> Result<u16, (Option<u16>, String)> {
        if self.guarded && !super::guard::literal_allowed(&hook.url) {
            return Err((None, "the destination is a forbidden address".into()));
        }
        let zone = Zone::parse(&queued.zone).map_err(|e| (None, e))?;
        let body = (self.render)(&queued.event, &zone).to_string();
        let t = self.engine.now().as_second();
        let response = self
            .http
            .post(&hook.url)
            .header("Content-Type", "application/json")
            .header("Booking-Event-Id", event_id(&queued.event))
            .header("Booking-Signature", signature(&hook.secret, t, &body))
            .header(
                "User-Agent",
                concat!("booking-engine/", env!("CARGO_PKG_VERSION")),
            )
            .body(body)
            .send()
            .await
            .map_err(|e| (None, describe(&e)))?;
        let status = response.status().as_u16();
        if response.status().is_success() {
            Ok(status)
        } else {
            Err((Some(status), format!("answered {status}")))
        }
    }

    /// Keeps a webhook's deliveries log to its newest `MAX_ATTEMPTS_KEPT`.
    async fn trim_log(&self, id: &str) {
        let Ok(rows) = self.scan(records::ATTEMPTS, id, usize::MAX).await else {
            return;
        };
        let ops: Vec<AuxOp> = rows
            .into_iter()
            .skip(MAX_ATTEMPTS_KEPT)
            .map(|(key, _)| AuxOp::Delete {
                space: records::ATTEMPTS,
                key,
            })
            .collect();
        if !ops.is_empty() {
            let _ = self.write(ops).await;
        }
    }
}

/// A transport error as the deliveries log says it (never the URL's
/// query, which may carry a receiver's token).
fn describe(e: &reqwest::Error) -> String {
    let what = if e.is_timeout() {
        "timed out"
    } else if e.is_connect() {
        "could not connect"
    } else if e.is_redirect() {
        "redirected (redirects are not followed)"
    } else {
        "failed"
    };
    let mut source = std::error::Error::source(e);
    let mut cause = String::new();
    while let Some(s) = source {
        cause = s.to_string();
        source = s.source();
    }
    if cause.is_empty() {
        what.to_string()
    } else {
        format!("{what}: {cause}")
    }
}

pub(super) fn rand_byte() -> u8 {
    let mut b = [0u8; 1];
    let _ = getrandom::fill(&mut b);
    b[0]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_signature_is_stripe_style_hmac_of_time_dot_body() {
        // Computed independently: printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac whsec_test
        let sig = signature("whsec_test", 1_700_000_000, r#"{"a":1}"#);
        assert_eq!(
            sig,
            "t=1700000000,v1=38877139021993b830af32feea6e18a8da83eb2f6e49ee50bd9e4cf4ca4d3789"
        );
        assert_ne!(sig, signature("whsec_other", 1_700_000_000, r#"{"a":1}"#));
    }
}
