//! Venue placement: one lease per venue in a JetStream key-value bucket,
//! `<stream>_leases` (owner node and its address; the key's revision is
//! the epoch), backed by one heartbeat per node in `<stream>_nodes`, a
//! bucket whose `max_age` is the lease lifetime. A lease is good while its
//! owner's heartbeat is there; a node renews only its heartbeat, so the
//! cost of leases is one write per node per round, whatever the number of
//! venues. A node that stops renewing (killed, frozen, cut off) loses its
//! heartbeat after `TTL`, with no clock of ours involved, and then any
//! node may take its venues' keys over (`update` on the revision read,
//! which fails if another node was first). A free key is taken with
//! `create`, which fails if it exists; a venue leaving memory deletes it.
//!
//! A node whose heartbeat lapsed finds out when renewing it fails: it
//! drops every lease it thought it held (any may have been taken) and
//! starts a new heartbeat. Leases place venues; they do not make writes
//! safe. A node stopped past its lease may still append once it wakes,
//! and the stream refuses it (see the module above): the log fences, the
//! lease only says where to go.
//!
//! The same bucket holds job leases (`job.<name>`): which node runs a
//! cluster-wide job, the outbox's deliveries.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};
use std::time::{Duration, Instant};

use async_nats::jetstream::{
    self,
    kv::{self, CreateErrorKind, Operation, UpdateErrorKind},
};
use serde::{Deserialize, Serialize};

use super::lock;
use crate::domain::VenueId;
use crate::store::{LostSink, Placement, StoreError};

/// How long a heartbeat lasts without renewal: a node that died is
/// replaced within this (plus the taker's next request).
pub(super) const TTL: Duration = Duration::from_secs(5);

/// How often a node renews its heartbeat: three tries before it lapses.
const RENEW: Duration = Duration::from_millis(1500);

/// A heartbeat renewed longer ago than this is not trusted by its node
/// for writing: it may be about to lapse (or have lapsed while this
/// process was stopped), so the node asks the bucket again.
const TRUSTED: Duration = Duration::from_millis(3500);

/// How long another node's lease is believed without asking again (a
/// stale belief costs a request sent to the old owner, which refuses it).
const FOREIGN: Duration = Duration::from_secs(2);

/// How long one bucket request may take before it counts as unreachable.
const REQUEST: Duration = Duration::from_secs(3);

/// What a lease's value (and a heartbeat's) says.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
struct Holder {
    node: String,
    url: String,
}

/// This node's leases, its heartbeat and its view of the others'.
pub(super) struct Leases {
    kv: kv::Store,
    nodes: kv::Store,
    node: String,
    url: Mutex<String>,
    /// The heartbeat's revision and when the write that made it was sent.
    beat: Mutex<Option<(u64, Instant)>>,
    /// Held keys and their revisions.
    held: Mutex<HashMap<String, u64>>,
    foreign: Mutex<HashMap<String, (String, Instant)>>,
    lost: OnceLock<LostSink>,
    /// When this node last asked for each job's lease.
    asked: Mutex<HashMap<String, Instant>>,
}

/// The two buckets (created if missing, with the stream's replicas). Their
/// streams are made here as `create_key_value` would make them: that call
/// first asks for the account's limits, whose answer from Debian's
/// nats-server 2.9 the client cannot read.
pub(super) async fn open(
    js: &jetstream::Context,
    stream: &str,
    replicas: usize,
) -> Result<(kv::Store, kv::Store), String> {
    let leases = bucket(
        js,
        &format!("{stream}_leases"),
        "which node writes each venue",
        None,
        replicas,
    )
    .await?;
    let nodes = bucket(
        js,
        &format!("{stream}_nodes"),
        "each live node's heartbeat",
        Some(TTL),
        replicas,
    )
    .await?;
    Ok((leases, nodes))
}

async fn bucket(
    js: &jetstream::Context,
    name: &str,
    description: &str,
    max_age: Option<Duration>,
    replicas: usize,
) -> Result<kv::Store, String> {
    let config = jetstream::stream::Config {
        name: format!("KV_{name}"),
        description: Some(description.into()),
        subjects: vec![format!("$KV.{name}.>")],
        max_messages_per_subject: 1,
        max_age: max_age.unwrap_or_default(),
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
        .map_err(|e| format!("NATS: create the bucket {name}: {e}"))?;
    js.get_key_value(name)
        .await
        .map_err(|e| format!("NATS: open the bucket {name}: {e}"))
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

/// A bucket request, bounded by `REQUEST`.
async fn asked<T, E: std::fmt::Display>(
    what: &str,
    request: impl Future<Output = Result<T, E>>,
) -> Result<Result<T, E>, StoreError> {
    tokio::time::timeout(REQUEST, request)
        .await
        .map_err(|e| cannot(what, e))
}

impl Leases {
    pub(super) fn new(kv: kv::Store, nodes: kv::Store, node: String) -> Self {
        Self {
            kv,
            nodes,
            node,
            url: Mutex::new(String::new()),
            beat: Mutex::new(None),
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

    /// True while this node's heartbeat is recent.
    fn alive(&self) -> bool {
        lock(&self.beat).is_some_and(|(_, at)| at.elapsed() < TRUSTED)
    }

    /// True while this node holds `venue`'s lease, renewed recently.
    pub(super) fn holds(&self, venue: &VenueId) -> bool {
        self.fresh(&venue_key(venue))
    }

    fn fresh(&self, key: &str) -> bool {
        self.alive() && lock(&self.held).contains_key(key)
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

    /// True if `node`'s heartbeat is there.
    async fn beating(&self, node: &str) -> Result<bool, StoreError> {
        let entry = asked("read a heartbeat", self.nodes.entry(node))
            .await?
            .map_err(|e| cannot("read a heartbeat", e))?;
        Ok(entry.is_some_and(|e| e.operation == Operation::Put))
    }

    /// Who holds `key`, taking it if it is free or its holder is gone.
    async fn claim(&self, key: String) -> Result<Placement, StoreError> {
        if self.fresh(&key) {
            return Ok(Placement::Here);
        }
        if let Some((url, at)) = lock(&self.foreign).get(&key)
            && at.elapsed() < FOREIGN
        {
            return Ok(Placement::Elsewhere(url.clone()));
        }
        // Just started, or just woken after its heartbeat lapsed: the
        // renewal task makes a new one within a round.
        let deadline = Instant::now() + 2 * RENEW;
        while !self.alive() && Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        if !self.alive() {
            return Err(StoreError::Unreachable(
                "NATS: this node has no current heartbeat; it takes no lease".into(),
            ));
        }
        for _ in 0..3 {
            let entry = asked("read a lease", self.kv.entry(key.clone()))
                .await?
                .map_err(|e| cannot("read a lease", e))?;
            let current = entry
                .filter(|e| e.operation == Operation::Put)
                .map(|e| (serde_json::from_slice::<Holder>(&e.value).ok(), e.revision));
            let take_over = match current {
                None => None,
                Some((Some(holder), revision)) if holder.node == self.node => {
                    lock(&self.held).insert(key, revision);
                    return Ok(Placement::Here);
                }
                // Our own earlier run (same address), or an unreadable value.
                Some((Some(holder), revision))
                    if !holder.url.is_empty() && holder.url == self.me().url =>
                {
                    Some(revision)
                }
                Some((None, revision)) => Some(revision),
                Some((Some(holder), revision)) => {
                    if self.beating(&holder.node).await? {
                        lock(&self.foreign).insert(key, (holder.url.clone(), Instant::now()));
                        return Ok(Placement::Elsewhere(holder.url));
                    }
                    Some(revision)
                }
            };
            let written = match take_over {
                None => {
                    match asked("take a lease", self.kv.create(&key, self.value().into())).await? {
                        Ok(revision) => revision,
                        Err(e) if e.kind() == CreateErrorKind::AlreadyExists => continue,
                        Err(e) => return Err(cannot("take a lease", e)),
                    }
                }
                Some(revision) => {
                    let update = self.kv.update(&key, self.value().into(), revision);
                    match asked("take a lease over", update).await? {
                        Ok(revision) => revision,
                        Err(e) if e.kind() == UpdateErrorKind::WrongLastRevision => continue,
                        Err(e) => return Err(cannot("take a lease over", e)),
                    }
                }
            };
            lock(&self.foreign).remove(&key);
            lock(&self.held).insert(key, written);
            return Ok(Placement::Here);
        }
        Err(StoreError::Unreachable(
            "NATS: a lease changed hands three times while taking it".into(),
        ))
    }

    /// Gives up `venue`'s lease (if still ours), so any node may take it.
    pub(super) async fn release(&self, venue: &VenueId) {
        let key = venue_key(venue);
        let Some(revision) = lock(&self.held).remove(&key) else {
            return;
        };
        let deleting = self.kv.delete_expect_revision(&key, Some(revision));
        if let Ok(Err(e)) = tokio::time::timeout(REQUEST, deleting).await {
            tracing::debug!(venue_id = %venue, error = %e, "giving up a lease failed; it stays until taken over");
        }
    }

    /// Renews the heartbeat, forever. A renewal refused (the heartbeat
    /// lapsed, others may have taken this node's leases) drops every
    /// lease and starts a new heartbeat.
    pub(super) async fn renew(self: std::sync::Arc<Self>) {
        let mut every = tokio::time::interval(RENEW);
        every.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            every.tick().await;
            let sent = Instant::now();
            let last = *lock(&self.beat);
            let renewed = match last {
                Some((revision, _)) => {
                    let update = self.nodes.update(&self.node, self.value().into(), revision);
                    match tokio::time::timeout(REQUEST, update).await {
                        Ok(Ok(revision)) => Some(revision),
                        Ok(Err(e)) if e.kind() == UpdateErrorKind::WrongLastRevision => {
                            self.lapsed();
                            None
                        }
                        Ok(Err(e)) => {
                            tracing::warn!(error = %e, "renewing this node's heartbeat failed; trying again");
                            continue;
                        }
                        Err(_) => {
                            tracing::warn!(
                                "renewing this node's heartbeat timed out; trying again"
                            );
                            continue;
                        }
                    }
                }
                None => None,
            };
            let revision = match renewed {
                Some(revision) => revision,
                None => {
                    // A new heartbeat: `put`, not `create`, in case the
                    // last one is still there (a renewal lost in flight).
                    let put = self.nodes.put(&self.node, self.value().into());
                    match tokio::time::timeout(REQUEST, put).await {
                        Ok(Ok(revision)) => revision,
                        _ => {
                            tracing::warn!("starting this node's heartbeat failed; trying again");
                            continue;
                        }
                    }
                }
            };
            *lock(&self.beat) = Some((revision, sent));
        }
    }

    /// The heartbeat lapsed: every lease may be another node's now.
    fn lapsed(&self) {
        let dropped: Vec<String> = lock(&self.held).drain().map(|(k, _)| k).collect();
        *lock(&self.beat) = None;
        tracing::warn!(
            leases = dropped.len(),
            "this node's heartbeat lapsed: its leases are given up"
        );
        if let Some(lost) = self.lost.get() {
            for key in &dropped {
                if let Some(venue) = key.strip_prefix("venue.") {
                    lost(&VenueId::from(venue));
                }
            }
        }
    }
}
