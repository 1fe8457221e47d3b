//! Venue placement: one lease per venue in a JetStream key-value bucket,
//! `<stream>_leases`. The bucket's `max_age` is the lease's lifetime, so a
//! lease nobody renews is gone after it, with no clock of ours involved;
//! its key's revision is the epoch. A node takes a free lease on first use
//! (`create`, which fails if the key exists), renews the ones it holds
//! (`update` on the revision it last wrote, which fails if anyone took the
//! lease meanwhile) and gives one up when its venue leaves memory.
//!
//! Leases place venues; they do not make writes safe. A node stopped past
//! its lease may still append once it wakes, and the stream refuses it
//! (see the module above): the log fences, the lease only says where to go.
//!
//! The same bucket holds job leases (`job.<name>`): which node runs a
//! cluster-wide job, the outbox's deliveries.

use std::collections::HashMap;
use std::sync::{Arc, Mutex, OnceLock};
use std::time::{Duration, Instant};

use async_nats::jetstream::{
    self,
    kv::{self, CreateErrorKind, Operation, UpdateErrorKind},
};
use futures::StreamExt;
use serde::{Deserialize, Serialize};

use super::lock;
use crate::domain::VenueId;
use crate::store::{LostSink, Placement, StoreError};

/// How long a lease lasts without renewal: a node that died is replaced
/// within this (plus one renewal round of the taker).
pub(super) const TTL: Duration = Duration::from_secs(5);

/// How often the holder renews: three tries before the lease lapses.
const RENEW: Duration = Duration::from_millis(1500);

/// A lease renewed longer ago than this is not trusted by its holder for
/// writing: it may be about to lapse (or have lapsed while this process
/// was stopped), so the holder asks the bucket again.
const TRUSTED: Duration = Duration::from_millis(3500);

/// How long another node's lease is believed without asking again.
const FOREIGN: Duration = Duration::from_millis(500);

/// How many renewals are in flight at once.
const RENEWING: usize = 64;

/// How long one bucket request may take before it counts as unreachable.
const REQUEST: Duration = Duration::from_secs(3);

/// What a lease's value says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Holder {
    node: String,
    url: String,
}

/// A lease this node holds.
#[derive(Clone, Copy, Debug)]
struct Held {
    revision: u64,
    /// When the renewal that wrote `revision` was sent.
    renewed: Instant,
}

/// This node's leases and its view of the others'.
pub(super) struct Leases {
    kv: kv::Store,
    node: String,
    url: Mutex<String>,
    held: Mutex<HashMap<String, Held>>,
    foreign: Mutex<HashMap<String, (String, Instant)>>,
    lost: OnceLock<LostSink>,
    /// When this node last asked for each job's lease.
    asked: Mutex<HashMap<String, Instant>>,
}

/// The bucket's name for a stream.
pub(super) fn bucket(stream: &str) -> String {
    format!("{stream}_leases")
}

/// The bucket (created if missing, with the stream's replicas). Its
/// stream is made here as `create_key_value` would make it: that call
/// first asks for the account's limits, whose answer from Debian's
/// nats-server 2.9 the client cannot read.
pub(super) async fn open(
    js: &jetstream::Context,
    stream: &str,
    replicas: usize,
) -> Result<kv::Store, String> {
    let name = bucket(stream);
    let config = jetstream::stream::Config {
        name: format!("KV_{name}"),
        description: Some("which node writes each venue".into()),
        subjects: vec![format!("$KV.{name}.>")],
        max_messages_per_subject: 1,
        max_age: TTL,
        storage: jetstream::stream::StorageType::File,
        allow_rollup: true,
        deny_delete: true,
        allow_direct: true,
        discard: jetstream::stream::DiscardPolicy::New,
        num_replicas: replicas.max(1),
        ..Default::default()
    };
    js.get_or_create_stream(config)
        .await
        .map_err(|e| format!("NATS: create the lease bucket: {e}"))?;
    js.get_key_value(name)
        .await
        .map_err(|e| format!("NATS: open the lease bucket: {e}"))
}

fn venue_key(venue: &VenueId) -> String {
    format!("venue.{}", venue.as_str())
}

fn job_key(job: &str) -> String {
    format!("job.{job}")
}

fn cannot(what: &str, e: impl std::fmt::Display) -> StoreError {
    StoreError::Unreachable(format!("NATS: {what}: {e}"))
}

impl Leases {
    pub(super) fn new(kv: kv::Store, node: String) -> Self {
        Self {
            kv,
            node,
            url: Mutex::new(String::new()),
            held: Mutex::new(HashMap::new()),
            foreign: Mutex::new(HashMap::new()),
            lost: OnceLock::new(),
            asked: Mutex::new(HashMap::new()),
        }
    }

    pub(super) fn serve_at(&self, url: &str) {
        *lock(&self.url) = url.trim_end_matches('/').to_string();
    }

    pub(super) fn on_lost(&self, sink: LostSink) {
        let _ = self.lost.set(sink);
    }

    fn me(&self) -> Holder {
        Holder {
            node: self.node.clone(),
            url: lock(&self.url).clone(),
        }
    }

    fn value(&self) -> Vec<u8> {
        serde_json::to_vec(&self.me()).unwrap_or_default() // serializing two strings cannot fail
    }

    /// True while this node holds `venue`'s lease, renewed recently.
    pub(super) fn holds(&self, venue: &VenueId) -> bool {
        self.fresh(&venue_key(venue))
    }

    fn fresh(&self, key: &str) -> bool {
        lock(&self.held)
            .get(key)
            .is_some_and(|h| h.renewed.elapsed() < TRUSTED)
    }

    /// True if this node holds `job`'s lease, renewed recently.
    pub(super) fn leads_now(&self, job: &str) -> bool {
        self.fresh(&job_key(job))
    }

    /// True at most once per `FOREIGN` per job: whether to ask for its
    /// lease again (callers ask often; the bucket need not hear each).
    pub(super) fn may_ask(&self, job: &str) -> bool {
        let mut asked = lock(&self.asked);
        match asked.get(job) {
            Some(at) if at.elapsed() < FOREIGN => false,
            _ => {
                asked.insert(job.to_string(), Instant::now());
                true
            }
        }
    }

    /// True if this node runs `job` (taking its lease if it is free).
    pub(super) async fn leads(&self, job: &str) -> bool {
        matches!(self.claim(job_key(job)).await, Ok(Placement::Here))
    }

    pub(super) async fn place(&self, venue: &VenueId) -> Result<Placement, StoreError> {
        self.claim(venue_key(venue)).await
    }

    /// Who holds `key`, taking it if it is free.
    async fn claim(&self, key: String) -> Result<Placement, StoreError> {
        if self.fresh(&key) {
            return Ok(Placement::Here);
        }
        if let Some((url, at)) = lock(&self.foreign).get(&key)
            && at.elapsed() < FOREIGN
        {
            return Ok(Placement::Elsewhere(url.clone()));
        }
        for _ in 0..3 {
            let sent = Instant::now();
            let entry = tokio::time::timeout(REQUEST, self.kv.entry(key.clone()))
                .await
                .map_err(|e| cannot("read a lease", e))?
                .map_err(|e| cannot("read a lease", e))?;
            let current = entry
                .filter(|e| e.operation == Operation::Put)
                .map(|e| (serde_json::from_slice::<Holder>(&e.value).ok(), e.revision));
            let written = match current {
                None => {
                    match tokio::time::timeout(REQUEST, self.kv.create(&key, self.value().into()))
                        .await
                    {
                        Ok(Ok(revision)) => Ok(revision),
                        Ok(Err(e)) if e.kind() == CreateErrorKind::AlreadyExists => continue,
                        Ok(Err(e)) => return Err(cannot("take a lease", e)),
                        Err(e) => return Err(cannot("take a lease", e)),
                    }
                }
                Some((Some(holder), revision)) if holder.node == self.node => Ok(revision),
                Some((Some(holder), _)) if holder.url != self.me().url || holder.url.is_empty() => {
                    Err(holder.url)
                }
                // Our own earlier run (same address, new node id) or an
                // unreadable value: take it over in place.
                Some((_, revision)) => {
                    match tokio::time::timeout(
                        REQUEST,
                        self.kv.update(&key, self.value().into(), revision),
                    )
                    .await
                    {
                        Ok(Ok(revision)) => Ok(revision),
                        Ok(Err(e)) if e.kind() == UpdateErrorKind::WrongLastRevision => continue,
                        Ok(Err(e)) => return Err(cannot("take a lease", e)),
                        Err(e) => return Err(cannot("take a lease", e)),
                    }
                }
            };
            return Ok(match written {
                Ok(revision) => {
                    lock(&self.foreign).remove(&key);
                    lock(&self.held).insert(
                        key,
                        Held {
                            revision,
                            renewed: sent,
                        },
                    );
                    Placement::Here
                }
                Err(url) => {
                    lock(&self.foreign).insert(key, (url.clone(), Instant::now()));
                    Placement::Elsewhere(url)
                }
            });
        }
        Err(StoreError::Unreachable(
            "NATS: a lease changed hands three times while taking it".into(),
        ))
    }

    /// Stops renewing `venue`'s lease and deletes it (if still ours).
    pub(super) async fn release(&self, venue: &VenueId) {
        let key = venue_key(venue);
        let Some(held) = lock(&self.held).remove(&key) else {
            return;
        };
        let deleting = self.kv.delete_expect_revision(&key, Some(held.revision));
        if let Ok(Err(e)) = tokio::time::timeout(REQUEST, deleting).await {
            tracing::debug!(venue_id = %venue, error = %e, "giving up a lease failed; it lapses");
        }
    }

    /// Renews every held lease, forever; reports the ones taken over.
    pub(super) async fn renew(self: Arc<Self>) {
        let mut every = tokio::time::interval(RENEW);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let round: Vec<(String, Held)> = lock(&self.held)
                .iter()
                .map(|(k, h)| (k.clone(), *h))
                .collect();
            let value: Vec<u8> = self.value();
            let results: Vec<_> = futures::stream::iter(round)
                .map(|(key, held)| {
                    let (kv, value) = (self.kv.clone(), value.clone().into());
                    async move {
                        let sent = Instant::now();
                        let result =
                            tokio::time::timeout(REQUEST, kv.update(&key, value, held.revision))
                                .await;
                        (key, held, sent, result)
                    }
                })
                .buffer_unordered(RENEWING)
                .collect()
                .await;
            for (key, was, sent, result) in results {
                match result {
                    Ok(Ok(revision)) => {
                        let mut held = lock(&self.held);
                        // Released (or replaced) meanwhile: leave it.
                        if held.get(&key).is_some_and(|h| h.revision == was.revision) {
                            held.insert(
                                key,
                                Held {
                                    revision,
                                    renewed: sent,
                                },
                            );
                        }
                    }
                    Ok(Err(e)) if e.kind() == UpdateErrorKind::WrongLastRevision => {
                        let gone = {
                            let mut held = lock(&self.held);
                            let ours = held.get(&key).is_some_and(|h| h.revision == was.revision);
                            if ours {
                                held.remove(&key);
                            }
                            ours
                        };
                        if gone {
                            tracing::warn!(lease = %key, "lease lost: it lapsed, or another node took it");
                            if let (Some(venue), Some(lost)) =
                                (key.strip_prefix("venue."), self.lost.get())
                            {
                                lost(&VenueId::from(venue));
                            }
                        }
                    }
                    Ok(Err(e)) => {
                        tracing::warn!(lease = %key, error = %e, "renewing a lease failed; trying again")
                    }
                    Err(_) => {
                        tracing::warn!(lease = %key, "renewing a lease timed out; trying again")
                    }
                }
            }
        }
    }
}
