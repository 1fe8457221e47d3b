//! What the outbox stores, in the store's auxiliary spaces. Keys sort the
//! way the outbox reads them: a webhook's queue by venue `seq` (its
//! delivery order), its attempts newest first.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::domain::time::micros;
use crate::domain::{Event, VenueId};

/// Webhook id → `Webhook`.
pub const WEBHOOKS: u8 = 12;
/// Webhook id, 0, seq (8 bytes, big-endian) → `Queued`.
pub const QUEUE: u8 = 13;
/// Webhook id, 0, inverted micros (8), attempt id → `Attempt`.
pub const ATTEMPTS: u8 = 14;
/// Venue id, 0, seq → `Queued` (WeChat reminder messages).
pub const WECHAT: u8 = 15;

/// An event waiting for one destination, written in the commit that
/// stores the event itself.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Queued {
    pub event: Event,
    /// The venue's zone then (instants in the body are local to it).
    pub zone: String,
    /// The venue's name then (WeChat messages show it).
    pub venue_name: String,
    /// WeChat only: the template of the message.
    pub template: Option<String>,
    #[serde(with = "micros")]
    pub queued_at: Timestamp,
    /// Attempts made so far.
    pub attempts: u32,
}

/// How an attempt ended, as the deliveries log shows it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Outcome {
    Delivered,
    /// Failed; it will be tried again.
    Retrying,
    /// Failed for the last time (24 h passed, or not retried by rule).
    Failed,
}

impl Outcome {
    /// As the deliveries log and the metrics spell it.
    pub fn as_str(self) -> &'static str {
        match self {
            Outcome::Delivered => "delivered",
            Outcome::Retrying => "retrying",
            Outcome::Failed => "failed",
        }
    }
}

/// One attempt of one delivery.
#[derive(Clone, Debug, Serialize, Deserialize)]
pub struct Attempt {
    pub id: String,
    pub venue_id: VenueId,
    pub event: String,
    pub seq: u64,
    pub attempt: u32,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: u64,
    #[serde(with = "micros")]
    pub at: Timestamp,
    pub outcome: Outcome,
}

/// `owner`, 0: the prefix of every key of one webhook (or venue).
pub fn prefix(owner: &str) -> Vec<u8> {
    let mut k = Vec::with_capacity(owner.len() + 17);
    k.extend_from_slice(owner.as_bytes());
    k.push(0);
    k
}

/// A queue key: `owner`, 0, seq.
pub fn queue_key(owner: &str, seq: u64) -> Vec<u8> {
    let mut k = prefix(owner);
    k.extend_from_slice(&seq.to_be_bytes());
    k
}

/// The seq of a queue key.
pub fn seq_of(key: &[u8]) -> Option<u64> {
    let tail: [u8; 8] = key.get(key.len().checked_sub(8)?..)?.try_into().ok()?;
    Some(u64::from_be_bytes(tail))
}

/// An attempt key: newest first within the webhook.
pub fn attempt_key(webhook: &str, at: Timestamp, id: &str) -> Vec<u8> {
    let mut k = prefix(webhook);
    let inverted = u64::MAX - u64::try_from(at.as_microsecond()).unwrap_or(0);
    k.extend_from_slice(&inverted.to_be_bytes());
    k.extend_from_slice(id.as_bytes());
    k
}

pub fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).unwrap() // unwrap: postcard serializes every type of ours.
}

pub fn decode<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Option<T> {
    postcard::from_bytes(bytes).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn queue_keys_sort_by_seq_and_attempts_newest_first() {
        assert!(queue_key("w1", 2) < queue_key("w1", 10));
        assert!(queue_key("w1", u64::MAX) < queue_key("w10", 0));
        assert_eq!(seq_of(&queue_key("w1", 77)), Some(77));
        let early = Timestamp::from_second(100).unwrap();
        let late = Timestamp::from_second(200).unwrap();
        assert!(attempt_key("w1", late, "a") < attempt_key("w1", early, "b"));
        assert!(attempt_key("w1", late, "a").starts_with(&prefix("w1")));
    }
}
