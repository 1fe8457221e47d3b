//! Storage on NATS JetStream, for running many nodes (`store.engine =
//! "nats"`). We do not write consensus: JetStream's replicated stream is
//! the cluster's log, and its optimistic concurrency per subject fences
//! writers.
//!
//! - Every venue has a subject of its own in one stream
//!   (`<prefix>.venue.<id>`). A group commit publishes each venue's share
//!   as one message carrying `Nats-Expected-Last-Subject-Sequence`: the
//!   stream sequence of the last message of that venue this node has
//!   applied. If anyone else wrote the venue since, JetStream refuses the
//!   message and the commit is refused: a stale writer can never
//!   interleave, whatever the clocks say. Writes without a venue
//!   (accounts, refresh tokens) go to `<prefix>.aux`.
//! - Every node follows the whole stream into a local mirror, a
//!   [`Store`] in its data directory, and reads from it. An append returns
//!   only once the mirror has applied it, and a read first waits for the
//!   mirror to reach the stream's last sequence: a read on any node sees
//!   every write acknowledged on any node before it began.
//! - Every event reaches the node's engine through the follower, its own
//!   and other nodes' alike ([`Storage::follow`]): WebSocket subscribers on
//!   any node see every venue, in `seq` order.
//! - The mirror records how far it got, in the same local write as what it
//!   applied: a restarted node resumes from there, not from the start.

mod follower;
mod leases;

use std::collections::HashMap;
use std::path::Path;
use std::sync::{Arc, Condvar, Mutex};
use std::time::Duration;

use async_nats::jetstream::{self, context::PublishErrorKind, stream};
use jiff::Timestamp;

use crate::domain::{Booking, BookingFilter, BookingId, Event, UserId, VenueId, VenueSettings};
use crate::store::{
    AuxEntry, AuxOp, Commit, Committed, EngineKind, Placement, Storage, Store, StoreError,
    StoreOptions, StoredVenue, encode,
};
use serde::Deserialize;

/// The auxiliary space of the mirror's own bookkeeping: how far into the
/// stream it is, and each venue's last (seq, stream sequence).
const MIRROR_SPACE: u8 = 0xfd;
const APPLIED_KEY: &[u8] = b"applied";

/// The message header naming the node that published a message.
const NODE_HEADER: &str = "Booking-Node";

/// Largest message we publish; a venue's larger share of a group commit
/// goes as several messages, each fenced on the one before.
const MAX_MESSAGE: usize = 512 * 1024;

/// How long a read or an append waits for the mirror to catch up before
/// it is answered `unavailable`.
const CATCH_UP: Duration = Duration::from_secs(10);

/// How long a starting node waits for the cluster to serve the stream.
const STREAM_READY: Duration = Duration::from_secs(30);

/// Where the mirror is, shared by the follower (which moves it) and the
/// readers and appenders (which wait for it).
#[derive(Default)]
struct Applied {
    /// The last stream sequence applied to the mirror.
    seq: Mutex<u64>,
    moved: Condvar,
    /// Each venue's last applied seq, and the stream sequence of the last
    /// message on its subject (which a void one may be); venues not in it
    /// are read from the mirror.
    venues: Mutex<HashMap<VenueId, (u64, u64)>>,
    /// Why the follower stopped, if it did: nothing is acknowledged then.
    failed: Mutex<Option<String>>,
    /// Stream sequences of this node's messages the mirror found void
    /// (they did not follow their venue's seq), until `append` reads them.
    void: Mutex<std::collections::HashSet<u64>>,
}

impl Applied {
    fn wait_for(&self, target: u64) -> Result<(), StoreError> {
        let deadline = std::time::Instant::now() + CATCH_UP;
        let mut seq = self.seq.lock().unwrap_or_else(|p| p.into_inner());
        while *seq < target {
            if let Some(why) = self
                .failed
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .clone()
            {
                return Err(StoreError::Engine(why));
            }
            let left = deadline.saturating_duration_since(std::time::Instant::now());
            if left.is_zero() {
                return Err(StoreError::Unreachable(format!(
                    "the local mirror is at stream sequence {} and did not reach {target} in {}s",
                    *seq,
                    CATCH_UP.as_secs()
                )));
            }
            seq = self
                .moved
                .wait_timeout(seq, left.min(Duration::from_millis(200)))
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        Ok(())
    }
}

/// The JetStream cluster of `store.engine = "nats"`: `BOOKING_NATS__*`.
#[derive(Clone, Debug, Deserialize)]
#[serde(default)]
pub struct NatsSettings {
    /// `BOOKING_NATS__URL`: the servers, comma-separated; the client
    /// moves to another when one goes away.
    pub url: String,
    /// The stream holding every venue's log (and the accounts'); its
    /// name is also the prefix of its subjects.
    pub stream: String,
    /// Copies of the stream the cluster keeps (3 on three servers: one
    /// may die and nothing acknowledged is lost).
    pub replicas: usize,
    /// `BOOKING_NATS__ADVERTISE`: the base URL other nodes reach this one
    /// at, to send on requests for the venues it writes. By default
    /// `http://` and the address it listens on (127.0.0.1 if that is
    /// 0.0.0.0: set it when the nodes are on several machines).
    pub advertise: Option<String>,
}

impl Default for NatsSettings {
    fn default() -> Self {
        Self {
            url: "nats://127.0.0.1:4222".into(),
            stream: "BOOKING".into(),
            replicas: 1,
            advertise: None,
        }
    }
}

impl NatsSettings {
    /// The subjects' first token.
    pub fn subject_prefix(&self) -> String {
        self.stream.clone()
    }

    /// The servers of `url`, one per entry.
    pub fn servers(&self) -> Vec<String> {
        self.url
            .split(',')
            .map(str::trim)
            .filter(|s| !s.is_empty())
            .map(String::from)
            .collect()
    }
}

/// Storage on a JetStream stream, read through a local mirror.
pub struct NatsStore {
    mirror: Arc<Store>,
    js: jetstream::Context,
    stream: String,
    prefix: String,
    node: String,
    applied: Arc<Applied>,
    sink: follower::Sink,
    leases: Arc<leases::Leases>,
    /// The client's own runtime: storage calls are synchronous and come
    /// from any thread; they hand work to it and wait.
    runtime: Option<tokio::runtime::Runtime>,
}

impl NatsStore {
    /// Connects to the servers in `settings.url`, creates the stream if it
    /// is missing, opens the mirror under `data_dir` and starts following.
    pub fn open(
        settings: &NatsSettings,
        data_dir: &Path,
        options: StoreOptions,
    ) -> Result<Self, StoreError> {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(2)
            .thread_name("nats")
            .enable_all()
            .build()
            .map_err(|e| StoreError::Engine(format!("start the NATS runtime: {e}")))?;
        let mut runtime = Some(runtime);
        let opened = Self::open_on(&mut runtime, settings, data_dir, options);
        if let (Err(_), Some(runtime)) = (&opened, runtime) {
            // Called from async code (the actix thread): a runtime
            // dropped there panics instead of saying what failed.
            runtime.shutdown_background();
        }
        opened
    }

    fn open_on(
        slot: &mut Option<tokio::runtime::Runtime>,
        settings: &NatsSettings,
        data_dir: &Path,
        options: StoreOptions,
    ) -> Result<Self, StoreError> {
        let runtime = slot.as_ref().unwrap(); // unwrap: `open` passes a runtime.
        let mirror = Arc::new(Store::open_with(EngineKind::Redb, data_dir, options)?);
        let stream_name = settings.stream.clone();
        let prefix = settings.subject_prefix();
        let config = stream::Config {
            name: stream_name.clone(),
            subjects: vec![format!("{prefix}.>")],
            num_replicas: settings.replicas.max(1),
            storage: stream::StorageType::File,
            ..Default::default()
        };
        let (url, servers) = (settings.url.clone(), settings.servers());
        let (bucket_stream, replicas) = (stream_name.clone(), settings.replicas);
        let (js, buckets) = run_on(runtime, async move {
            let client = async_nats::ConnectOptions::new()
                .name("booking-engine")
                .retry_on_initial_connect()
                .connection_timeout(Duration::from_secs(5))
                .connect(servers)
                .await
                .map_err(|e| StoreError::Engine(format!("connect to NATS at {url}: {e}")))?;
            let js = jetstream::new(client);
            // A cluster that just started elects its JetStream leader
            // first: until then every request fails, so ask again.
            let deadline = std::time::Instant::now() + STREAM_READY;
            loop {
                match js.get_or_create_stream(config.clone()).await {
                    Ok(_) => break,
                    Err(e) if std::time::Instant::now() < deadline => {
                        tracing::info!(error = %e, "NATS: waiting for the stream");
                        tokio::time::sleep(Duration::from_millis(250)).await;
                    }
                    Err(e) => {
                        return Err(StoreError::Engine(format!("NATS: create the stream: {e}")));
                    }
                }
            }
            let buckets = leases::open(&js, &bucket_stream, replicas)
                .await
                .map_err(StoreError::Engine)?;
            Ok::<_, StoreError>((js, buckets))
        })?;
        let applied = Arc::new(Applied::default());
        let start = match mirror.aux_get(MIRROR_SPACE, APPLIED_KEY)? {
            Some(v) => crate::store::keys::seq_from(&v).unwrap_or(0),
            None => 0,
        };
        *applied.seq.lock().unwrap_or_else(|p| p.into_inner()) = start;
        let node = uuid::Uuid::now_v7().to_string();
        let sink = follower::Sink::default();
        let leases = Arc::new(leases::Leases::new(buckets.0, buckets.1, node.clone()));
        runtime.spawn(leases.clone().renew());
        runtime.spawn(follower::run(follower::Follower {
            js: js.clone(),
            stream: stream_name.clone(),
            mirror: mirror.clone(),
            applied: applied.clone(),
            node: node.clone(),
            sink: sink.clone(),
            from: start,
        }));
        let store = Self {
            mirror,
            js,
            stream: stream_name,
            prefix,
            node,
            applied,
            sink,
            leases,
            runtime: slot.take(),
        };
        // Serve nothing older than what the cluster acknowledged.
        store.caught_up()?;
        Ok(store)
    }

    /// Runs `work` on the client's runtime and waits for it, from any
    /// thread (the engine's blocking pool, or the actix thread at start).
    fn run<T: Send + 'static>(&self, work: impl Future<Output = T> + Send + 'static) -> T {
        run_on(self.runtime.as_ref().unwrap(), work) // unwrap: taken only in drop.
    }

    /// The stream's last sequence, asked of the cluster.
    fn last_sequence(&self) -> Result<u64, StoreError> {
        let (js, name) = (self.js.clone(), self.stream.clone());
        self.run(async move {
            let info = tokio::time::timeout(CATCH_UP, js.get_stream(name)).await;
            match info {
                Ok(Ok(stream)) => Ok(stream.cached_info().state.last_sequence),
                Ok(Err(e)) => Err(StoreError::Unreachable(format!("NATS: stream info: {e}"))),
                Err(_) => Err(StoreError::Unreachable(
                    "NATS: stream info timed out".into(),
                )),
            }
        })
    }

    /// Waits until the mirror holds everything the stream held when called.
    fn caught_up(&self) -> Result<(), StoreError> {
        let last = self.last_sequence()?;
        self.applied.wait_for(last)
    }

    /// A venue's last applied (seq, stream sequence), (0, 0) if never written.
    fn venue_position(&self, venue: &VenueId) -> Result<(u64, u64), StoreError> {
        position(&self.applied, &self.mirror, venue)
    }

    fn subject(&self, venue: &VenueId) -> String {
        format!("{}.venue.{}", self.prefix, venue.as_str())
    }
}

/// A mutex's value; one poisoned by a panicking holder is used as it was
/// (every write under these locks is a single assignment or insert).
fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(|p| p.into_inner())
}

/// A venue's (seq, stream sequence of its subject's last message) as the
/// mirror holds it; (0, 0) if never written.
fn position(applied: &Applied, mirror: &Store, venue: &VenueId) -> Result<(u64, u64), StoreError> {
    if let Some(p) = lock(&applied.venues).get(venue) {
        return Ok(*p);
    }
    let stored = mirror.aux_get(MIRROR_SPACE, &venue_key(venue))?;
    Ok(stored.as_deref().map(position_from).unwrap_or((0, 0)))
}

/// Runs `work` on `runtime` and waits for it on this thread, which may be
/// one driving another runtime (`block_on` would panic there).
fn run_on<T: Send + 'static>(
    runtime: &tokio::runtime::Runtime,
    work: impl Future<Output = T> + Send + 'static,
) -> T {
    let (tx, rx) = std::sync::mpsc::sync_channel(1);
    runtime.spawn(async move {
        let _ = tx.send(work.await);
    });
    rx.recv().unwrap() // unwrap: the task always sends unless its runtime is gone, which only drop does.
}

/// The mirror key of a venue's position.
fn venue_key(venue: &VenueId) -> Vec<u8> {
    let mut key = b"v/".to_vec();
    key.extend_from_slice(venue.as_str().as_bytes());
    key
}

fn position_bytes(seq: u64, stream_seq: u64) -> Vec<u8> {
    let mut v = seq.to_be_bytes().to_vec();
    v.extend_from_slice(&stream_seq.to_be_bytes());
    v
}

fn position_from(bytes: &[u8]) -> (u64, u64) {
    let half = |b: &[u8]| crate::store::keys::seq_from(b).unwrap_or(0);
    if bytes.len() < 16 {
        return (0, 0);
    }
    (half(&bytes[..8]), half(&bytes[8..16]))
}

/// One venue's (or the auxiliary subject's) share of a group commit.
struct Share {
    subject: String,
    /// The stream sequence the first message expects the subject at;
    /// `None` for the auxiliary subject, which is not fenced.
    expect: Option<u64>,
    /// The batch indexes of its commits, and the commits.
    commits: Vec<(usize, Commit)>,
}

impl Share {
    /// Its commits as messages of at most `MAX_MESSAGE` bytes, each with
    /// the batch indexes it carries.
    fn messages(self) -> Vec<(Vec<usize>, Vec<u8>)> {
        let mut out: Vec<(Vec<usize>, Vec<Commit>)> = Vec::new();
        let mut size = 0;
        for (i, commit) in self.commits {
            let len = encode(&commit).len();
            match out.last_mut() {
                Some((ids, group)) if size + len <= MAX_MESSAGE => {
                    ids.push(i);
                    group.push(commit);
                    size += len;
                }
                _ => {
                    out.push((vec![i], vec![commit]));
                    size = len;
                }
            }
        }
        out.into_iter().map(|(ids, g)| (ids, encode(&g))).collect()
    }
}

/// How one share's publishing ended.
#[derive(Default)]
struct Published {
    /// Messages the stream took: the batch indexes each carries, and its
    /// stream sequence (still void if the mirror finds it does not follow).
    stored: Vec<(Vec<usize>, u64)>,
    /// Batch indexes JetStream refused: the subject moved (another writer).
    refused: Vec<usize>,
    /// The cluster did not answer: nothing may be acknowledged.
    failed: Option<String>,
}

async fn publish(js: jetstream::Context, node: String, share: Share) -> Published {
    let fenced = share.expect.is_some();
    let mut expect = share.expect.unwrap_or(0);
    let subject = share.subject.clone();
    let messages = share.messages();
    let mut out = Published::default();
    let mut iter = messages.into_iter();
    while let Some((ids, payload)) = iter.next() {
        let mut message = jetstream::message::PublishMessage::build()
            .payload(payload.into())
            .header(NODE_HEADER, node.as_str());
        if fenced {
            message = message.expected_last_subject_sequence(expect);
        }
        let ack = match js.send_publish(subject.clone(), message).await {
            Ok(future) => tokio::time::timeout(CATCH_UP, future).await,
            Err(e) => {
                out.failed = Some(format!("NATS publish: {e}"));
                return out;
            }
        };
        match ack {
            Ok(Ok(ack)) => {
                expect = ack.sequence;
                out.stored.push((ids, ack.sequence));
            }
            Ok(Err(e)) if e.kind() == PublishErrorKind::WrongLastSequence => {
                out.refused = ids;
                out.refused.extend(iter.flat_map(|(ids, _)| ids));
                return out;
            }
            Ok(Err(e)) => {
                out.failed = Some(format!("NATS publish: {e}"));
                return out;
            }
            Err(_) => {
                out.failed = Some("NATS publish: no answer in time".into());
                return out;
            }
        }
    }
    out
}

impl Storage for NatsStore {
    fn name(&self) -> &'static str {
        "nats"
    }

    fn append(&self, batch: Vec<Commit>) -> Result<Committed, StoreError> {
        if let Some(why) = lock(&self.applied.failed).clone() {
            return Err(StoreError::Engine(why));
        }
        let mut shares: Vec<Share> = Vec::new();
        let mut by_venue: HashMap<VenueId, usize> = HashMap::new();
        let mut refused = Vec::new();
        let mut aux = Share {
            subject: format!("{}.aux", self.prefix),
            expect: None,
            commits: Vec::new(),
        };
        for (i, commit) in batch.into_iter().enumerate() {
            let Some(first) = commit.events.first() else {
                if commit
                    .aux
                    .iter()
                    .any(|op| matches!(op, AuxOp::Claim { .. }))
                {
                    // A claim alone in its message: the follower voids a
                    // message whole, and only this commit may lose.
                    shares.push(Share {
                        subject: aux.subject.clone(),
                        expect: None,
                        commits: vec![(i, commit)],
                    });
                } else {
                    aux.commits.push((i, commit));
                }
                continue;
            };
            let venue = first.venue_id.clone();
            let share = match by_venue.get(&venue) {
                Some(&at) => &mut shares[at],
                None => {
                    let (seq, stream_seq) = self.venue_position(&venue)?;
                    if first.seq != seq + 1 {
                        tracing::warn!(venue_id = %venue, stored = seq, got = first.seq - 1, "append refused: this node's copy of the venue is stale");
                        refused.push(i);
                        continue;
                    }
                    by_venue.insert(venue.clone(), shares.len());
                    shares.push(Share {
                        subject: self.subject(&venue),
                        expect: Some(stream_seq),
                        commits: Vec::new(),
                    });
                    shares.last_mut().unwrap() // unwrap: pushed just above.
                }
            };
            share.commits.push((i, commit));
        }
        if !aux.commits.is_empty() {
            shares.push(aux);
        }
        let (js, node) = (self.js.clone(), self.node.clone());
        let outcomes = self.run(async move {
            let publishing = shares
                .into_iter()
                .map(|share| publish(js.clone(), node.clone(), share));
            futures::future::join_all(publishing).await
        });
        let mut stored = Vec::new();
        let mut failure = None;
        for outcome in outcomes {
            if !outcome.refused.is_empty() {
                tracing::warn!(
                    commits = outcome.refused.len(),
                    "append refused: another node wrote the venue"
                );
            }
            refused.extend(outcome.refused);
            stored.extend(outcome.stored);
            failure = failure.or(outcome.failed);
        }
        // Acknowledge only what this node can read back (and has published).
        let highest = stored.iter().map(|(_, seq)| *seq).max().unwrap_or(0);
        self.applied.wait_for(highest)?;
        // JetStream's own check is not enough to fence (see `follower`):
        // what the mirror found void was another writer's loss.
        let mut void = lock(&self.applied.void);
        for (ids, seq) in stored {
            if void.remove(&seq) {
                tracing::warn!(
                    commits = ids.len(),
                    stream_seq = seq,
                    "append void: another node wrote the venue first"
                );
                refused.extend(ids);
            }
        }
        drop(void);
        if let Some(why) = failure {
            return Err(StoreError::Engine(why));
        }
        refused.sort_unstable();
        Ok(Committed {
            events: Vec::new(),
            refused,
        })
    }

    fn follow(&self, sink: crate::store::EventSink) {
        self.sink.set(sink);
    }

    fn place(&self, venue: &VenueId) -> Result<Placement, StoreError> {
        if self.leases.holds(venue) {
            return Ok(Placement::Here);
        }
        let (leases, venue) = (self.leases.clone(), venue.clone());
        self.run(async move { leases.place(&venue).await })
    }

    fn holds(&self, venue: &VenueId) -> bool {
        self.leases.holds(venue)
    }

    fn release(&self, venue: &VenueId) {
        let (leases, venue) = (self.leases.clone(), venue.clone());
        if let Some(runtime) = &self.runtime {
            runtime.spawn(async move { leases.release(&venue).await });
        }
    }

    fn on_lost(&self, sink: crate::store::LostSink) {
        self.leases.on_lost(sink);
    }

    fn serve_at(&self, url: &str) {
        self.leases.serve_at(url);
    }

    /// Answers from memory; when this node does not lead, it asks for
    /// the job's lease in the background, for the next call.
    fn leads(&self, job: &str) -> bool {
        if self.leases.leads_now(job) {
            return true;
        }
        if !self.leases.may_ask(job) {
            return false;
        }
        let (leases, job) = (self.leases.clone(), job.to_string());
        if let Some(runtime) = &self.runtime {
            runtime.spawn(async move { leases.leads(&job).await });
        }
        false
    }

    fn clustered(&self) -> bool {
        true
    }

    fn probe(&self) -> Result<(), StoreError> {
        self.caught_up()
    }

    fn checkpoint(&self) -> Result<(), StoreError> {
        self.mirror.checkpoint()
    }

    fn is_failing(&self) -> bool {
        lock(&self.applied.failed).is_some() || self.mirror.is_failing()
    }

    fn load_venue(&self, id: &VenueId) -> Result<Option<StoredVenue>, StoreError> {
        self.caught_up()?;
        self.mirror.load_venue(id)
    }

    fn venue_listings(&self) -> Result<Vec<(VenueId, VenueSettings, u64)>, StoreError> {
        self.caught_up()?;
        self.mirror.venue_listings()
    }

    fn venue_ids_after(
        &self,
        after: Option<&VenueId>,
        limit: usize,
    ) -> Result<Vec<VenueId>, StoreError> {
        self.caught_up()?;
        self.mirror.venue_ids_after(after, limit)
    }

    fn events_after(
        &self,
        venue: &VenueId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Event>, StoreError> {
        self.caught_up()?;
        self.mirror.events_after(venue, after, limit)
    }

    fn oldest_event(&self, venue: &VenueId) -> Result<Option<u64>, StoreError> {
        self.mirror.oldest_event(venue)
    }

    fn prune_events_before(&self, cutoff: Timestamp) -> Result<usize, StoreError> {
        // Each node prunes its own mirror; the stream keeps the history.
        self.mirror.prune_events_before(cutoff)
    }

    fn venue_of(&self, record: &str) -> Result<Option<VenueId>, StoreError> {
        self.caught_up()?;
        self.mirror.venue_of(record)
    }

    fn user_invitations(&self, user: &UserId) -> Result<Vec<Booking>, StoreError> {
        self.caught_up()?;
        self.mirror.user_invitations(user)
    }

    fn user_waitlist(
        &self,
        user: &UserId,
    ) -> Result<Vec<crate::domain::WaitlistEntry>, StoreError> {
        self.caught_up()?;
        self.mirror.user_waitlist(user)
    }

    fn booking(&self, venue: &VenueId, id: &BookingId) -> Result<Option<Booking>, StoreError> {
        self.caught_up()?;
        self.mirror.booking(venue, id)
    }

    fn user_bookings(
        &self,
        user: &UserId,
        filter: &BookingFilter,
        after: Option<&BookingId>,
        limit: usize,
    ) -> Result<(Vec<Booking>, bool), StoreError> {
        self.caught_up()?;
        self.mirror.user_bookings(user, filter, after, limit)
    }

    fn bookings_starting(
        &self,
        venue: &VenueId,
        from: Timestamp,
        to: Timestamp,
    ) -> Result<Vec<Booking>, StoreError> {
        self.caught_up()?;
        self.mirror.bookings_starting(venue, from, to)
    }

    fn staff_venue_hints(&self, user: &UserId) -> Result<Vec<VenueId>, StoreError> {
        self.caught_up()?;
        self.mirror.staff_venue_hints(user)
    }

    fn aux_get(&self, space: u8, key: &[u8]) -> Result<Option<Vec<u8>>, StoreError> {
        self.caught_up()?;
        self.mirror.aux_get(space, key)
    }

    fn aux_page(
        &self,
        space: u8,
        after: Option<&[u8]>,
        limit: usize,
    ) -> Result<Vec<AuxEntry>, StoreError> {
        self.caught_up()?;
        self.mirror.aux_page(space, after, limit)
    }

    fn backup(&self, path: &Path) -> Result<u64, StoreError> {
        self.caught_up()?;
        self.mirror.backup(path)
    }
}

impl Drop for NatsStore {
    /// Stops the follower and the client without blocking (drop may run
    /// on an async thread); the mirror then checkpoints as it closes.
    fn drop(&mut self) {
        if let Some(runtime) = self.runtime.take() {
            runtime.shutdown_background();
        }
    }
}
