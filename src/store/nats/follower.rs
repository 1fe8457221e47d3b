//! The follower: reads the whole stream in order into the node's mirror
//! and hands every event to the engine. One task per node, so a venue's
//! events are applied and published in `seq` order.

use std::sync::{Arc, OnceLock};
use std::time::Duration;

use async_nats::jetstream::{self, consumer};
use futures::{FutureExt, StreamExt};

use std::collections::HashMap;

use super::{
    APPLIED_KEY, Applied, MIRROR_SPACE, NODE_HEADER, lock, position, position_bytes, venue_key,
};
use crate::domain::VenueId;
use crate::store::{AuxOp, Commit, EventSink, Storage, Store};

/// How long the follower waits for a message before it checks that the
/// stream has not moved on without it.
const QUIET: Duration = Duration::from_secs(2);

/// Most messages applied to the mirror in one local write.
const ROUND: usize = 1024;

/// Where events go once applied; set by the engine when it starts.
#[derive(Clone, Default)]
pub(super) struct Sink(Arc<OnceLock<EventSink>>);

impl Sink {
    pub(super) fn set(&self, sink: EventSink) {
        let _ = self.0.set(sink);
    }
}

pub(super) struct Follower {
    pub js: jetstream::Context,
    pub stream: String,
    pub mirror: Arc<Store>,
    pub applied: Arc<Applied>,
    pub node: String,
    pub sink: Sink,
    /// The last stream sequence the mirror already holds.
    pub from: u64,
}

/// One stream message, decoded.
struct Received {
    stream_seq: u64,
    commits: Vec<Commit>,
    foreign: bool,
}

/// Follows the stream until the runtime stops; a failure to apply stops
/// it for good and marks storage failed (nothing more is acknowledged).
pub(super) async fn run(follower: Follower) {
    let mut from = follower.from;
    loop {
        match follow(&follower, from).await {
            Ok(_) => {}
            Err(Fatal(why)) => {
                tracing::error!(error = %why, "the mirror cannot apply the stream; refusing writes");
                *lock(&follower.applied.failed) = Some(why);
                follower.applied.moved.notify_all();
                return;
            }
        }
        // The consumer ended (a server went away): start one again.
        tokio::time::sleep(Duration::from_millis(200)).await;
        from = *lock(&follower.applied.seq);
    }
}

/// An error after which the mirror cannot go on.
struct Fatal(String);

/// Consumes from `from + 1` until the consumer fails; returns where it got.
async fn follow(f: &Follower, from: u64) -> Result<u64, Fatal> {
    let deliver = if from == 0 {
        consumer::DeliverPolicy::All
    } else {
        consumer::DeliverPolicy::ByStartSequence {
            start_sequence: from + 1,
        }
    };
    let stream = match f.js.get_stream(&f.stream).await {
        Ok(s) => s,
        Err(e) => {
            tracing::warn!(error = %e, "NATS: the stream is not reachable; retrying");
            return Ok(from);
        }
    };
    let config = consumer::pull::OrderedConfig {
        deliver_policy: deliver,
        ..Default::default()
    };
    let messages = match stream.create_consumer(config).await {
        Ok(c) => c.messages().await,
        Err(e) => {
            tracing::warn!(error = %e, "NATS: could not follow the stream; retrying");
            return Ok(from);
        }
    };
    let mut messages = match messages {
        Ok(m) => m,
        Err(e) => {
            tracing::warn!(error = %e, "NATS: could not follow the stream; retrying");
            return Ok(from);
        }
    };
    let mut last = from;
    loop {
        let first = match tokio::time::timeout(QUIET, messages.next()).await {
            Ok(Some(first)) => first,
            Ok(None) => return Ok(last),
            Err(_) => {
                // Quiet, or stuck: a consumer whose server died can wait
                // a long time before it notices. If the stream has moved
                // past the mirror, follow again from where it is.
                if behind(f, last).await {
                    tracing::warn!(
                        applied = last,
                        "NATS: the stream moved on without this follower; following again"
                    );
                    return Ok(last);
                }
                continue;
            }
        };
        let mut round = Vec::new();
        let mut next = Some(first);
        while let Some(item) = next {
            match item {
                Ok(message) => round.push(decode(&message, &f.node)?),
                Err(e) => {
                    tracing::warn!(error = %e, "NATS: the stream consumer failed; following again");
                    apply(f, round).await?;
                    return Ok(*lock(&f.applied.seq));
                }
            }
            next = if round.len() < ROUND {
                messages.next().now_or_never().flatten()
            } else {
                None
            };
        }
        last = apply(f, round).await?;
    }
}

/// Whether the stream holds messages after `applied` (false if it cannot
/// be asked: the consumer may be fine, only the question failed).
async fn behind(f: &Follower, applied: u64) -> bool {
    let asked = tokio::time::timeout(QUIET, f.js.get_stream(&f.stream)).await;
    matches!(asked, Ok(Ok(s)) if s.cached_info().state.last_sequence > applied)
}

fn decode(message: &jetstream::Message, node: &str) -> Result<Received, Fatal> {
    let stream_seq = message
        .info()
        .map_err(|e| Fatal(format!("a stream message without its sequence: {e}")))?
        .stream_sequence;
    let commits: Vec<Commit> = postcard::from_bytes(&message.payload)
        .map_err(|e| Fatal(format!("stream message {stream_seq} is not a commit: {e}")))?;
    let origin = message
        .headers
        .as_ref()
        .and_then(|h| h.get(NODE_HEADER))
        .map(|v| v.as_str().to_string());
    Ok(Received {
        stream_seq,
        commits,
        foreign: origin.as_deref() != Some(node),
    })
}

/// True if a claim of the message finds its key holding another value.
fn claims_taken(
    f: &Follower,
    indexed: &HashMap<(u8, Vec<u8>), Option<Vec<u8>>>,
    received: &Received,
) -> Result<bool, Fatal> {
    for op in received.commits.iter().flat_map(|c| &c.aux) {
        let AuxOp::Claim { space, key, value } = op else {
            continue;
        };
        let current = match indexed.get(&(*space, key.clone())) {
            Some(current) => current.clone(),
            None => f
                .mirror
                .aux_get(*space, key)
                .map_err(|e| Fatal(format!("read the mirror: {e}")))?,
        };
        if current.is_some_and(|c| c != *value) {
            return Ok(true);
        }
    }
    Ok(false)
}

/// Applies a round of messages to the mirror in one local write (with the
/// mirror's new position), then publishes their events and moves `applied`.
async fn apply(f: &Follower, round: Vec<Received>) -> Result<u64, Fatal> {
    let Some(last) = round.last().map(|r| r.stream_seq) else {
        return Ok(*lock(&f.applied.seq));
    };
    let mut commits = Vec::new();
    let mut foreign = Vec::new();
    // Each venue's (seq, stream sequence of its subject's last message)
    // as this round leaves it.
    let mut positions: HashMap<VenueId, (u64, u64)> = HashMap::new();
    let mut void = Vec::new();
    // Unique index entries (and deletes) this round wrote before the
    // message at hand: the mirror does not hold them yet.
    let mut indexed: HashMap<(u8, Vec<u8>), Option<Vec<u8>>> = HashMap::new();
    for received in round {
        // A message holds one venue's commits, in seq order, or none.
        let venue = received
            .commits
            .iter()
            .find_map(|c| c.events.first())
            .map(|e| e.venue_id.clone());
        if let Some(venue) = venue {
            let at = match positions.get(&venue) {
                Some(p) => *p,
                None => position(&f.applied, &f.mirror, &venue)
                    .map_err(|e| Fatal(format!("read the mirror: {e}")))?,
            };
            let mut seq = at.0;
            let follows = received.commits.iter().all(|c| match c.events.first() {
                Some(first) if first.venue_id == venue && first.seq == seq + 1 => {
                    seq = c.events.last().map_or(seq, |e| e.seq);
                    true
                }
                Some(_) => false,
                None => true,
            });
            if !follows {
                // The deterministic rule that fences: every node applies
                // the stream in the same order and keeps only commits that
                // follow their venue's seq, so all agree which write won.
                // JetStream's expected-subject-sequence check already
                // refuses most stale writes, but it is not enough alone:
                // nats-server 2.9 clustered can accept two concurrent
                // publishes with the same expectation (nats-server#4320).
                if !received.foreign {
                    void.push(received.stream_seq);
                }
                positions.insert(venue, (at.0, received.stream_seq));
                continue;
            }
            positions.insert(venue, (seq, received.stream_seq));
        } else if claims_taken(f, &indexed, &received)? {
            // The same rule for unique indexes: the first claim of an
            // email (or openid) in stream order wins on every node.
            if !received.foreign {
                void.push(received.stream_seq);
            }
            continue;
        }
        for op in received.commits.iter().flat_map(|c| &c.aux) {
            match op {
                AuxOp::Claim { space, key, value } => {
                    indexed.insert((*space, key.clone()), Some(value.clone()));
                }
                AuxOp::Delete { space, key } => {
                    indexed.insert((*space, key.clone()), None);
                }
                AuxOp::Put { .. } => {}
            }
        }
        for commit in received.commits {
            foreign.extend(std::iter::repeat_n(received.foreign, commit.events.len()));
            commits.push(commit);
        }
    }
    let mut book = Commit::default();
    for (venue, (seq, stream_seq)) in &positions {
        book.aux.push(AuxOp::Put {
            space: MIRROR_SPACE,
            key: venue_key(venue),
            value: position_bytes(*seq, *stream_seq),
        });
    }
    book.aux.push(AuxOp::Put {
        space: MIRROR_SPACE,
        key: APPLIED_KEY.to_vec(),
        value: last.to_be_bytes().to_vec(),
    });
    commits.push(book);
    let mirror = f.mirror.clone();
    let committed = tokio::task::spawn_blocking(move || mirror.append(commits))
        .await
        .map_err(|e| Fatal(format!("the mirror's write panicked: {e}")))?
        .map_err(|e| Fatal(format!("the mirror's write failed: {e}")))?;
    if !committed.refused.is_empty() {
        return Err(Fatal(format!(
            "the mirror refused {} commits of the stream up to {last}: it does not match the stream",
            committed.refused.len()
        )));
    }
    lock(&f.applied.venues).extend(positions);
    lock(&f.applied.void).extend(void);
    if let Some(sink) = f.sink.0.get() {
        // The mirror refused nothing, so its events are the round's, in order.
        for (event, foreign) in committed.events.into_iter().zip(foreign) {
            sink(event, foreign);
        }
    }
    *lock(&f.applied.seq) = last;
    f.applied.moved.notify_all();
    Ok(last)
}
