//! The checkpointer: one thread that materializes what the log holds into
//! the key-value engine (records, indexes, the replay log a WebSocket client
//! resumes from), off the acknowledgement path.
//!
//! Each round applies every batch waiting, as one engine transaction that
//! is visible at once but not synced; every `every` it syncs the engine (a
//! checkpoint), and then the log segments the checkpoint covers are deleted.
//! Under load a round holds many group commits, so a venue's B-tree leaf is
//! rewritten once for many bookings instead of once per sync.
//!
//! Reads wait until every batch acknowledged before they started has been
//! applied ([`Progress::caught_up`]): what a client was told is stored, it
//! reads back, though the engine lags the log by a round.

use std::collections::VecDeque;
use std::sync::mpsc::{Receiver, RecvTimeoutError};
use std::sync::{Arc, Condvar, Mutex};
use std::time::{Duration, Instant};

use crate::store::log::Log;
use crate::store::{Core, Logged, StoreError};

/// Batches the engine may lag the log by before appends wait: bounds the
/// checkpointer's queue (memory) and the time a read may wait.
pub const MAX_LAG: u64 = 8192;

/// Longest a read waits for the checkpointer before it fails (503): only a
/// stuck or failing engine is that slow.
const READ_WAIT: Duration = Duration::from_secs(10);

/// Pause before retrying a round the engine refused (a full disk).
const RETRY_AFTER: Duration = Duration::from_secs(1);

/// Batches applied in one engine transaction at most.
const ROUND: usize = 4096;

/// How long a batch may wait to be applied when no read waits for it: a
/// round then holds many group commits, and the engine's B-tree pages are
/// rewritten (and checksummed) once per round rather than once per sync.
/// Profiled under the spread load, per-sync rounds cost the checkpointer a
/// quarter of the two cores.
const ROUND_EVERY: Duration = Duration::from_millis(500);

/// How often a waiting round looks for readers that need it now.
const TICK: Duration = Duration::from_millis(2);

#[derive(Debug, Default)]
struct State {
    /// The last LSN made durable in the log.
    appended: u64,
    /// The last LSN applied to the engine (visible to reads).
    applied: u64,
    /// The last LSN the engine has synced.
    checkpointed: u64,
    /// Why the engine refused the last round, while it does.
    failed: Option<String>,
    /// Reads waiting for a batch to be applied.
    waiting: usize,
}

/// Where the log and the engine stand; shared by the writer (appends),
/// the checkpointer (applies) and readers (wait).
#[derive(Debug, Default)]
pub struct Progress {
    state: Mutex<State>,
    moved: Condvar,
}

impl Progress {
    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.state.lock().unwrap_or_else(|p| p.into_inner())
    }

    /// At open: the log and the engine agree at `lsn`.
    pub fn start(&self, lsn: u64) {
        let mut s = self.lock();
        s.appended = lsn;
        s.applied = lsn;
        s.checkpointed = lsn;
    }

    /// Blocks while the engine is [`MAX_LAG`] batches behind; refuses while
    /// it fails (a write must not be acknowledged that nothing will apply).
    pub fn room_to_append(&self) -> Result<(), StoreError> {
        let mut s = self.lock();
        loop {
            if let Some(why) = &s.failed {
                return Err(StoreError::Engine(format!("checkpoint: {why}")));
            }
            if s.appended - s.applied < MAX_LAG {
                return Ok(());
            }
            s = self
                .moved
                .wait_timeout(s, RETRY_AFTER)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
    }

    pub fn appended(&self, lsn: u64) {
        self.lock().appended = lsn;
    }

    fn applied(&self, lsn: u64) {
        let mut s = self.lock();
        s.applied = lsn;
        s.failed = None;
        self.moved.notify_all();
    }

    fn failed(&self, why: String) {
        self.lock().failed = Some(why);
        self.moved.notify_all();
    }

    /// Waits until every batch appended before this call is applied.
    pub fn caught_up(&self) -> Result<(), StoreError> {
        let mut s = self.lock();
        let target = s.appended;
        if s.applied >= target {
            return Ok(());
        }
        let deadline = Instant::now() + READ_WAIT;
        s.waiting += 1;
        while s.applied < target {
            let left = deadline.saturating_duration_since(Instant::now());
            if left.is_zero() {
                s.waiting -= 1;
                return Err(StoreError::Engine(
                    "the checkpointer is behind; try again".into(),
                ));
            }
            s = self
                .moved
                .wait_timeout(s, left)
                .unwrap_or_else(|p| p.into_inner())
                .0;
        }
        s.waiting -= 1;
        Ok(())
    }

    /// True while a read waits for the checkpointer: apply now.
    fn has_readers_waiting(&self) -> bool {
        self.lock().waiting > 0
    }

    /// (appended, applied, checkpointed), for metrics and tests.
    pub fn positions(&self) -> (u64, u64, u64) {
        let s = self.lock();
        (s.appended, s.applied, s.checkpointed)
    }

    /// True while the engine refuses the checkpointer's rounds.
    pub fn is_failing(&self) -> bool {
        self.lock().failed.is_some()
    }
}

/// What the store writer hands the checkpointer.
pub enum Job {
    Batch(Logged),
    /// Apply everything sent before, checkpoint now, then answer.
    Checkpoint(std::sync::mpsc::Sender<bool>),
    Stop,
}

/// The checkpointer's loop; returns after `Stop` once everything is
/// applied and checkpointed (or the engine keeps failing at shutdown).
pub fn run(core: Arc<Core>, log: Arc<Mutex<Log>>, jobs: Receiver<Job>, every: Duration) {
    let mut pending: VecDeque<Logged> = VecDeque::new();
    // When the oldest pending batch arrived.
    let mut oldest = Instant::now();
    let mut last_checkpoint = Instant::now();
    let mut stopping = false;
    let mut asked: Vec<std::sync::mpsc::Sender<bool>> = Vec::new();
    loop {
        let wait = if pending.is_empty() {
            every.saturating_sub(last_checkpoint.elapsed())
        } else {
            TICK
        };
        let mut next = if stopping {
            None
        } else {
            Some(jobs.recv_timeout(wait.max(Duration::from_millis(1))))
        };
        while let Some(received) = next.take() {
            match received {
                Ok(Job::Batch(batch)) => {
                    if pending.is_empty() {
                        oldest = Instant::now();
                    }
                    pending.push_back(batch);
                }
                Ok(Job::Checkpoint(answer)) => asked.push(answer),
                Ok(Job::Stop) | Err(RecvTimeoutError::Disconnected) => stopping = true,
                Err(RecvTimeoutError::Timeout) => break,
            }
            if pending.len() < ROUND && asked.is_empty() && !stopping {
                next = jobs.try_recv().ok().map(Ok);
            }
        }
        let due = stopping
            || !asked.is_empty()
            || pending.len() >= ROUND
            || oldest.elapsed() >= ROUND_EVERY
            || core.progress.has_readers_waiting();
        if !pending.is_empty() && due {
            let round: Vec<Logged> = pending.drain(..pending.len().min(ROUND)).collect();
            oldest = Instant::now();
            let started = Instant::now();
            match core.materialize(&round) {
                Ok(lsn) => {
                    metrics::histogram!("store_apply_seconds")
                        .record(started.elapsed().as_secs_f64());
                    metrics::histogram!("store_apply_batches").record(round.len() as f64);
                    core.progress.applied(lsn);
                }
                Err(e) => {
                    tracing::error!(error = %e, "applying the log to the store failed; retrying");
                    metrics::counter!("store_apply_failures_total").increment(1);
                    core.progress.failed(e.to_string());
                    for batch in round.into_iter().rev() {
                        pending.push_front(batch);
                    }
                    if stopping {
                        // The log keeps them; the next start replays them.
                        return;
                    }
                    std::thread::sleep(RETRY_AFTER);
                    continue;
                }
            }
        }
        if !pending.is_empty() {
            continue;
        }
        if stopping || !asked.is_empty() || last_checkpoint.elapsed() >= every {
            let synced = checkpoint(&core, &log);
            last_checkpoint = Instant::now();
            for answer in asked.drain(..) {
                let _ = answer.send(synced);
            }
            if stopping {
                return;
            }
        }
    }
}

/// Syncs the engine and drops the log segments it now covers; false if
/// the engine refused the sync.
fn checkpoint(core: &Core, log: &Mutex<Log>) -> bool {
    let (_, applied, checkpointed) = core.progress.positions();
    if applied == checkpointed {
        return true;
    }
    let started = Instant::now();
    tracing::debug!(lsn = applied, "checkpoint begins");
    if let Err(e) = core.kv.sync() {
        tracing::error!(error = %e, "checkpoint failed; the log keeps everything");
        metrics::counter!("store_checkpoint_failures_total").increment(1);
        return false;
    }
    core.progress.lock().checkpointed = applied;
    metrics::histogram!("store_checkpoint_seconds").record(started.elapsed().as_secs_f64());
    let trimmed = log.lock().unwrap_or_else(|p| p.into_inner()).trim(applied);
    if let Err(e) = trimmed {
        tracing::warn!(error = %e, "trimming the log failed; it is retried at the next checkpoint");
    }
    true
}
