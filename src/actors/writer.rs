//! The store writer: one task that group-commits. Venues hand it their
//! events and go on serving; it takes everything waiting, appends it to the
//! log as one record with one sync (on the blocking pool), publishes the
//! events, then answers each venue. A burst of a thousand changes costs a
//! handful of syncs.
//!
//! The sync runs in `spawn_blocking` rather than on a thread of our own so
//! that tokio knows I/O is in flight: with paused time (tests) the clock
//! then does not jump ahead while a commit is on its way to disk.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};

use tokio::sync::{broadcast, mpsc, oneshot};
use tokio::task::JoinHandle;

use crate::actors::EngineError;
use crate::actors::directory::Directory;
use crate::domain::{Event, VenueId};
use crate::store::{Commit, Storage, StoreError};

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

    fn fail(&self) {
        self.failed.store(true, Ordering::Release);
    }

    fn recover(&self) {
        self.failed.store(false, Ordering::Release);
    }
}

/// How often a failed store is probed with a small write. A full disk is
/// freed by a person: a second is quick for them and nothing for the disk.
pub const PROBE_EVERY: std::time::Duration = std::time::Duration::from_secs(1);

/// Called when venues' memory may be ahead of what is stored: with `None`
/// when a sync failed (every resident venue leaves), with a venue when its
/// commit was refused because its log moved without it (that venue
/// leaves). The next request reloads from what is stored, and nothing
/// refused stays visible.
pub type OnFailure = Arc<std::sync::OnceLock<Box<dyn Fn(Option<&VenueId>) + Send + Sync>>>;

/// Marks the store failed if the writer task ends other than by `Stop`
/// (a panic): `/ready` must not stay 200 over a dead writer.
struct DeadWriter(Arc<Health>, bool);

impl Drop for DeadWriter {
    fn drop(&mut self) {
        if !self.1 {
            tracing::error!("the store writer stopped; refusing all writes");
            self.0.fail();
        }
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

/// Work run between two group commits, with no commit in progress; tests
/// use it to hold the writer as a slow disk would (backups no longer need
/// it: storage makes them consistent itself).
pub type Exclusive = Box<dyn FnOnce(&dyn Storage) + Send>;

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
        store: Arc<dyn Storage>,
        bus: EventBus,
        health: Arc<Health>,
        stats: Arc<WriterStats>,
        on_failure: OnFailure,
        directory: Arc<Directory>,
    ) -> (Self, JoinHandle<()>) {
        let (tx, rx) = mpsc::unbounded_channel();
        let writer = Writer {
            store,
            bus,
            directory,
            health,
            stats,
            on_failure,
        };
        let task = tokio::spawn(writer.run(rx));
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

/// The writer task's state.
struct Writer {
    store: Arc<dyn Storage>,
    bus: EventBus,
    /// Sees every durable event before the bus (and the caller) does.
    directory: Arc<Directory>,
    health: Arc<Health>,
    stats: Arc<WriterStats>,
    on_failure: OnFailure,
}

impl Writer {
    async fn run(self, mut rx: mpsc::UnboundedReceiver<Job>) {
        let mut guard = DeadWriter(self.health.clone(), false);
        let mut stopping = false;
        while !stopping {
            let first = if self.health.has_failed() {
                match tokio::time::timeout(PROBE_EVERY, rx.recv()).await {
                    Ok(job) => job,
                    Err(_) => {
                        self.probe().await;
                        continue;
                    }
                }
            } else {
                rx.recv().await
            };
            let Some(first) = first else { break };
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
            self.commit_batch(jobs).await;
            if let Some(work) = exclusive {
                let store = self.store.clone();
                let _ = tokio::task::spawn_blocking(move || work(store.as_ref())).await;
            }
        }
        guard.1 = true;
    }

    /// After a failed sync: a small durable write; once one succeeds (space
    /// is back), writes are accepted again. The venues were reloaded from
    /// the store when the sync failed, so memory and disk agree.
    async fn probe(&self) {
        let store = self.store.clone();
        let probed = tokio::task::spawn_blocking(move || store.probe()).await;
        if let Ok(Ok(())) = probed {
            tracing::info!("the store accepts writes again");
            metrics::counter!("store_recoveries_total").increment(1);
            self.health.recover();
        }
    }

    /// Stores one group of commits in one transaction with one sync,
    /// publishes their events, then answers each venue.
    async fn commit_batch(&self, jobs: Vec<(Commit, oneshot::Sender<Result<(), EngineError>>)>) {
        if jobs.is_empty() {
            return;
        }
        if self.health.has_failed() {
            // Never store anything after a failed sync until a probe has
            // succeeded: refuse, so nothing more is acknowledged.
            for (_, done) in jobs {
                let _ = done.send(Err(EngineError::Unavailable));
            }
            return;
        }
        let (commits, dones): (Vec<Commit>, Vec<_>) = jobs.into_iter().unzip();
        let venues: Vec<Option<VenueId>> = commits
            .iter()
            .map(|c| c.events.first().map(|e| e.venue_id.clone()))
            .collect();
        let store = self.store.clone();
        metrics::histogram!("store_commit_batch_size").record(commits.len() as f64);
        let count_commits = commits.len() as u64;
        let synced = tokio::task::spawn_blocking(move || {
            let started = std::time::Instant::now();
            let result = store.append(commits);
            metrics::histogram!("store_commit_seconds").record(started.elapsed().as_secs_f64());
            result
        })
        .await
        .unwrap_or_else(|panic| Err(StoreError::Engine(format!("the commit panicked: {panic}"))));
        match synced {
            Ok(committed) => {
                self.stats.syncs.fetch_add(1, Ordering::Relaxed);
                self.stats.commits.fetch_add(
                    count_commits - committed.refused.len() as u64,
                    Ordering::Relaxed,
                );
                for event in committed.events {
                    publish(&self.directory, &self.bus, event);
                }
                for venue in committed.refused.iter().filter_map(|&i| venues[i].as_ref()) {
                    // The venue's memory is ahead of a log that moved
                    // without it: it reloads from what is stored.
                    self.evict(Some(venue));
                }
                for (i, done) in dones.into_iter().enumerate() {
                    let answer = if committed.refused.contains(&i) {
                        Err(EngineError::Unavailable)
                    } else {
                        Ok(())
                    };
                    let _ = done.send(answer);
                }
            }
            Err(e) => {
                tracing::error!(error = %e, "store commit failed; refusing writes until a probe succeeds");
                metrics::counter!("store_commit_failures_total").increment(1);
                self.health.fail();
                // Before anyone hears "refused": the venues that applied
                // these changes in memory leave it.
                self.evict(None);
                for done in dones {
                    let _ = done.send(Err(EngineError::Unavailable));
                }
            }
        }
    }

    fn evict(&self, venue: Option<&VenueId>) {
        if let Some(evict) = self.on_failure.get() {
            evict(venue);
        }
    }
}

/// Makes a durable event known: counted, in the directory of venues, and
/// on the bus (no subscriber is not an error). Storage that publishes
/// itself (a cluster) comes here through its sink instead of the writer.
pub fn publish(directory: &Directory, bus: &EventBus, event: Arc<Event>) {
    count(&event);
    directory.observe(&event);
    let _ = bus.send(event);
}

/// Business counters, from durable events only.
fn count(event: &Event) {
    use crate::domain::Change;
    let name = match event.change {
        Change::BookingCreated(_) => "bookings_created_total",
        Change::BookingCancelled(_) => "bookings_cancelled_total",
        Change::HoldCreated(_) => "holds_created_total",
        Change::HoldExpired(_) => "holds_expired_total",
        Change::BookingReminded(_) => "reminders_total",
        _ => return,
    };
    metrics::counter!(name).increment(1);
}
