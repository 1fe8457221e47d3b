//! WeChat subscribe messages for reminders (API v1.1 §7), through the same
//! `api_base` as sign-in. The access token is cached until five minutes
//! before it expires and fetched again once when WeChat calls it invalid
//! (40001) or expired (42001). 43101 (the user has not subscribed) is
//! recorded and not retried; anything else is retried like a webhook.
//! URLs of this module carry the app secret or the access token: none is
//! ever logged.

use std::collections::HashMap;
use std::sync::Weak;
use std::time::Duration;

use serde::Deserialize;
use serde_json::{Value, json};
use tokio::sync::Mutex;

use super::records::{self, Outcome, Queued};
use super::{Outbox, POLL};
use crate::domain::webhooks;
use crate::domain::{Booking, Change, Zone};
use crate::settings::WeChatSettings;
use crate::store::AuxOp;

/// How long WeChat may take to answer.
const TIMEOUT: Duration = Duration::from_secs(10);
/// A token is renewed this long before WeChat says it expires.
const EARLY: Duration = Duration::from_secs(300);
/// Longest `thing` value WeChat takes.
const THING_CHARS: usize = 20;

/// The client of WeChat's message API.
pub struct Sender {
    http: reqwest::Client,
    appid: String,
    secret: String,
    api_base: String,
    token: Mutex<Option<(String, tokio::time::Instant)>>,
}

/// Why a message was not sent.
enum Failure {
    /// 43101: the customer has not subscribed to the template.
    NotSubscribed,
    /// Anything else, retried.
    Retry(String),
}

#[derive(Deserialize)]
struct TokenAnswer {
    #[serde(default)]
    errcode: i64,
    access_token: Option<String>,
    expires_in: Option<u64>,
}

#[derive(Deserialize)]
struct SendAnswer {
    #[serde(default)]
    errcode: i64,
}

impl Sender {
    /// A sender when WeChat is configured (appid and secret), else none.
    pub fn new(settings: &WeChatSettings) -> anyhow::Result<Option<Self>> {
        let (Some(appid), Some(secret)) = (
            settings.appid.clone().filter(|s| !s.is_empty()),
            settings.secret.clone().filter(|s| !s.is_empty()),
        ) else {
            return Ok(None);
        };
        let http = crate::tls::client()
            .timeout(TIMEOUT)
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(Some(Self {
            http,
            appid,
            secret,
            api_base: settings.api_base.trim_end_matches('/').to_string(),
            token: Mutex::new(None),
        }))
    }

    async fn access_token(&self, fresh: bool) -> Result<String, String> {
        let mut cached = self.token.lock().await;
        if !fresh
            && let Some((token, until)) = cached.as_ref()
            && tokio::time::Instant::now() < *until
        {
            return Ok(token.clone());
        }
        let answer: TokenAnswer = self
            .http
            .get(format!("{}/cgi-bin/token", self.api_base))
            .query(&[
                ("grant_type", "client_credential"),
                ("appid", &self.appid),
                ("secret", &self.secret),
            ])
            .send()
            .await
            .map_err(|e| format!("token: {}", e.without_url()))?
            .json()
            .await
            .map_err(|e| format!("token: {}", e.without_url()))?;
        let (Some(token), 0) = (answer.access_token, answer.errcode) else {
            return Err(format!("token: errcode {}", answer.errcode));
        };
        let lifetime = Duration::from_secs(answer.expires_in.unwrap_or(7200));
        let until = tokio::time::Instant::now() + lifetime.saturating_sub(EARLY);
        *cached = Some((token.clone(), until));
        Ok(token)
    }

    async fn send(&self, message: &Value) -> Result<(), Failure> {
        let mut fresh = false;
        loop {
            let token = self.access_token(fresh).await.map_err(Failure::Retry)?;
            let answer: SendAnswer = self
                .http
                .post(format!("{}/cgi-bin/message/subscribe/send", self.api_base))
                .query(&[("access_token", token.as_str())])
                .json(message)
                .send()
                .await
                .map_err(|e| Failure::Retry(format!("send: {}", e.without_url())))?
                .json()
                .await
                .map_err(|e| Failure::Retry(format!("send: {}", e.without_url())))?;
            match answer.errcode {
                0 => return Ok(()),
                43101 => return Err(Failure::NotSubscribed),
                40001 | 42001 if !fresh => fresh = true,
                code => return Err(Failure::Retry(format!("send: errcode {code}"))),
            }
        }
    }
}

/// The message of a reminder (API v1.1 §7).
fn message(openid: &str, template: &str, venue: &str, b: &Booking, zone: &Zone) -> Value {
    let cut = |s: &str| s.chars().take(THING_CHARS).collect::<String>();
    let start = b.start.to_zoned(zone.tz().clone());
    let note = b
        .note
        .as_deref()
        .filter(|n| !n.trim().is_empty())
        .unwrap_or("—");
    json!({
        "touser": openid,
        "template_id": template,
        "page": format!("pages/booking/detail?id={}", b.id),
        "data": {
            "thing1": {"value": cut(venue)},
            "time2": {"value": start.strftime("%Y-%m-%d %H:%M").to_string()},
            "number3": {"value": b.party_size.to_string()},
            "thing4": {"value": cut(note)},
        }
    })
}

/// Sends every queued reminder message, retrying failures with backoff.
pub(super) async fn run(outbox: Weak<Outbox>) {
    // Backoffs by queue key: a failing message waits without holding back
    // the others.
    let mut not_before: HashMap<Vec<u8>, tokio::time::Instant> = HashMap::new();
    loop {
        let Some(o) = outbox.upgrade() else { return };
        if !o.delivers() {
            tokio::select! {
                () = o.wechat_wake.notified() => {}
                () = tokio::time::sleep(POLL) => {}
            }
            continue;
        }
        let rows = super::read_space(&o.engine, records::WECHAT)
            .await
            .unwrap_or_default();
        let now = tokio::time::Instant::now();
        not_before.retain(|k, _| rows.iter().any(|(key, _)| key == k));
        let due: Vec<_> = rows
            .into_iter()
            .filter(|(k, _)| not_before.get(k).is_none_or(|at| *at <= now))
            .collect();
        for (key, value) in due {
            if let Some(wait) = o.send_one(&key, &value).await {
                not_before.insert(key, tokio::time::Instant::now() + wait);
            }
        }
        let next = not_before.values().min().copied();
        let sleep = next.map_or(POLL, |at| at.saturating_duration_since(now).min(POLL));
        tokio::select! {
            () = o.wechat_wake.notified() => {}
            () = tokio::time::sleep(sleep) => {}
        }
    }
}

impl Outbox {
    /// One attempt of one message; the backoff if it is to be retried.
    async fn send_one(&self, key: &[u8], value: &[u8]) -> Option<Duration> {
        let sender = self.wechat.as_ref()?;
        let delete = AuxOp::Delete {
            space: records::WECHAT,
            key: key.to_vec(),
        };
        let Some(mut queued) = records::decode::<Queued>(value) else {
            let _ = self.write(vec![delete]).await;
            return None;
        };
        let (Change::BookingReminded(b), Some(template)) = (&queued.event.change, &queued.template)
        else {
            let _ = self.write(vec![delete]).await;
            return None;
        };
        // An account read: off the runtime's threads.
        let (lookup, owner) = (self.openid.clone(), b.user_id.clone());
        let openid = tokio::task::spawn_blocking(move || owner.as_ref().and_then(|u| lookup(u)))
            .await
            .ok()
            .flatten();
        let Some(openid) = openid else {
            // Not a WeChat customer: nothing to send, nothing to retry.
            let _ = self.write(vec![delete]).await;
            return None;
        };
        let zone = Zone::parse(&queued.zone).ok()?;
        let body = message(&openid, template, &queued.venue_name, b, &zone);
        let result = sender.send(&body).await;
        queued.attempts += 1;
        let (outcome, label) = match &result {
            Ok(()) => (Outcome::Delivered, "delivered"),
            Err(Failure::NotSubscribed) => (Outcome::Failed, "not_subscribed"),
            Err(Failure::Retry(_))
                if webhooks::still_retried(queued.queued_at, self.engine.now()) =>
            {
                (Outcome::Retrying, "retrying")
            }
            Err(Failure::Retry(_)) => (Outcome::Failed, "failed"),
        };
        metrics::counter!("outbox_deliveries_total", "channel" => "wechat", "outcome" => label)
            .increment(1);
        if let Err(Failure::Retry(why)) = &result {
            tracing::warn!(booking_id = %b.id, attempts = queued.attempts, error = %why, "a WeChat reminder was not sent");
        }
        if let Err(Failure::NotSubscribed) = &result {
            tracing::info!(booking_id = %b.id, "the customer has not subscribed to reminders (43101); not retried");
        }
        let op = if outcome == Outcome::Retrying {
            AuxOp::Put {
                space: records::WECHAT,
                key: key.to_vec(),
                value: records::encode(&queued),
            }
        } else {
            delete
        };
        let _ = self.write(vec![op]).await;
        let jitter = 0.5 + f64::from(super::worker::rand_byte()) / 255.0;
        (outcome == Outcome::Retrying)
            .then(|| webhooks::backoff(self.settings.retry_base(), queued.attempts, jitter))
    }
}
