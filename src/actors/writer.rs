//! The store writer: one task that group-commits. Venues hand it their
//! events and go on serving; it takes everything waiting, stores it in one
//! transaction and one sync (on the blocking pool), publishes the events,
//! then answers each venue. A burst of a thousand changes costs a handful of
//! syncs.
//!
//! The sync runs in `spawn_blocking` rather than on a thread of our own so
//! that tokio knows I/O is in flight: with paused time (tests) the clock
//! then does not jump ahead while a commit is on its way to disk.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::actors::EngineError;
use crate::domain::Event;
use crate::store::{Commit, Store, StoreError};

/// Most commits in one transaction: bounds a transaction's size and the
/// wait of the first commit in it, while still amortising the sync.
pub const MAX_BATCH: usize = 4096;

/// Whether the engine may acknowledge writes. Atomics because every venue
/// thread reads it and only the writer (or shutdown) sets it.
#[derive(Debug, Default)]
pub struct Health {
    failed: AtomicBool,
    closing: AtomicBool,
}

impl Health {
    /// True until a sync fails or shutdown begins.
    pub fn accepts_writes(&self) -> bool {
        !self.failed.load(Ordering::Acquire) && !self.closing.load(Ordering::Acquire)
    }

    /// True once a sync has failed.
    pub fn has_failed(&self) -> bool {
        self.failed.load(Ordering::Acquire)
    }

    pub(crate) fn close(&self) {
        self.closing.store(true, Ordering::Release);
    }
}

/// Counters for benchmarks, tests and metrics.
#[derive(Debug, Default)]
pub struct WriterStats {
    /// Transactions committed (one sync each).
    pub syncs: AtomicU64,
    /// Venue commits stored.
    pub commits: AtomicU64,
}

/// Work that must see the store with no commit in progress (a backup).
pub type Exclusive = Box<dyn FnOnce(&Store) + Send>;

enum Job {
    Commit(Commit, oneshot::Sender<Result<(), EngineError>>),
    Exclusive(Exclusive),
    Stop,
}

/// The handle venues submit to. An unbounded channel because every venue
/// already bounds its own mailbox; the writer must never refuse a change a
/// venue has applied.
#[derive(Clone)]
pub struct StoreWriter {
    tx: mpsc::UnboundedSender<Job>,
}

/// Publishes events once durable. A broadcast channel: a subscriber that
/// lags loses events and learns so (`Lagged`), it never slows the writer.
pub type EventBus = broadcast::Sender<Arc<Event>>;

impl StoreWriter {
    /// Starts the writer task on the current runtime.
    pub fn spawn(
        store: Arc<Store>,
        bus: EventBus,
        health: Arc<Health>,
        stats: Arc<WriterStats>,
    ) -> (Self, JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let task = tokio::spawn(run(rx, store, bus, health, stats));
        (Self { tx }, task)
    }

    /// Queues a commit; the receiver answers once it is durable (or failed).
    pub fn submit(&self, commit: Commit) -> oneshot::Receiver<Result<(), EngineError>> {
        let (done, rx) = oneshot::channel();
        // A send fails only after stop; the dropped sender answers Unavailable.
        let _ = self.tx.send(Job::Commit(commit, done));
        rx
    }

    /// Runs `work` on the blocking pool between two group commits: the
    /// store it sees is exactly the acknowledged state at that point.
    pub fn exclusive(&self, work: Exclusive) {
        let _ = self.tx.send(Job::Exclusive(work));
    }

    /// Asks the task to finish what is queued and exit.
    pub fn stop(&self) {
        let _ = self.tx.send(Job::Stop);
    }
}

async fn run(
    mut rx: mpsc::UnboundedReceiver<Job>,
    store: Arc<Store>,
    bus: EventBus,
    health: Arc<Health>,
    stats: Arc<WriterStats>,
) {
    let mut stopping = false;
    while !stopping {
        let Some(first) = rx.recv().await else { break };
        let mut jobs = Vec::new();
        let mut exclusive = None;
        let mut next = Some(first);
        while let Some(job) = next {
            match job {
                Job::Commit(commit, done) => jobs.push((commit, done)),
                // Commit what came before it, then run it; later jobs wait.
                Job::Exclusive(work) => exclusive = Some(work),
                Job::Stop => stopping = true,
            }
            let more = jobs.len() < MAX_BATCH && exclusive.is_none() && !stopping;
            next = if more { rx.try_recv().ok() } else { None };
        }
        commit_batch(jobs, &store, &bus, &health, &stats).await;
        if let Some(work) = exclusive {
            let store = store.clone();
            let _ = tokio::task::spawn_blocking(move || work(&store)).await;
        }
    }
}

/// Stores one group of commits in one transaction with one sync, publishes
/// their events, then answers each venue.
async fn commit_batch(
    jobs: Vec<(Commit, oneshot::Sender<Result<(), EngineError>>)>,
    store: &Arc<Store>,
    bus: &EventBus,
    health: &Health,
    stats: &WriterStats,
) {
    if jobs.is_empty() {
        return;
    }
    if health.has_failed() {
        // Never store anything after a failed sync: the venues' memory may
        // be ahead of the disk. Refuse, so nothing more is acknowledged.
        for (_, done) in jobs {
            let _ = done.send(Err(EngineError::Unavailable));
        }
        return;
    }
    let (commits, dones): (Vec<Commit>, Vec<_>) = jobs.into_iter().unzip();
    let store = store.clone();
    metrics::histogram!("store_commit_batch_size").record(commits.len() as f64);
    let synced = tokio::task::spawn_blocking(move || {
        let started = std::time::Instant::now();
        let result = store.commit(&commits);
        metrics::histogram!("store_commit_seconds").record(started.elapsed().as_secs_f64());
        (result, commits)
    })
    .await;
    let (result, commits) = match synced {
        Ok(done) => done,
        Err(panic) => (
            Err(StoreError::Engine(format!("the commit panicked: {panic}"))),
            Vec::new(),
        ),
    };
    match result {
        Ok(()) => {
            stats.syncs.fetch_add(1, Ordering::Relaxed);
            stats
                .commits
                .fetch_add(commits.len() as u64, Ordering::Relaxed);
            for event in commits.into_iter().flat_map(|c| c.events) {
                count(&event);
                // No subscriber is not an error.
                let _ = bus.send(Arc::new(event));
            }
            for done in dones {
                let _ = done.send(Ok(()));
            }
        }
        Err(e) => {
            tracing::error!(error = %e, "store commit failed; refusing all further writes");
            metrics::counter!("store_commit_failures_total").increment(1);
            health.failed.store(true, Ordering::Release);
            for done in dones {
                let _ = done.send(Err(EngineError::Unavailable));
            }
        }
    }
}

/// Business counters, from durable events only.
fn count(event: &Event) {
    use crate::domain::Change;
    let name = match event.change {
        Change::BookingCreated(_) => "bookings_created_total",
        Change::BookingCancelled(_) => "bookings_cancelled_total",
        Change::HoldCreated(_) => "holds_created_total",
        Change::HoldExpired(_) => "holds_expired_total",
        _ => return,
    };
    metrics::counter!(name).increment(1);
}
