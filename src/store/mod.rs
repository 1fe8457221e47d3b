//! The durable store: the only code that touches redb, sled or the log.
//!
//! The write-ahead log is the system of record. A group commit is one
//! record appended to the log and one `fdatasync`; that is all the
//! acknowledgement waits for. A checkpointer thread then applies the batch
//! to the key-value engine (records, indexes, each venue's replay log of its
//! last `keep_events` events), syncs the engine now and then, and trims the
//! log behind it. Recovery is the engine as of its last checkpoint plus a
//! replay of the log after it.
//!
//! Appends carry each venue's expected last `seq` (the seq before a commit's
//! first event); a commit that does not follow what is stored is refused,
//! so a second writer of a venue can never interleave with the first.

pub mod backup;
mod checkpoint;
mod engine;
pub mod faults;
pub mod files;
pub mod keys;
mod local;
mod log;
mod materialize;
pub mod nats;
mod redb_engine;
mod sled_engine;
mod storage;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::mpsc::Sender;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

pub use engine::{KvEngine, KvRead, Op, Table};
pub use nats::NatsStore;
pub use redb_engine::RedbEngine;
pub use sled_engine::SledEngine;
pub use storage::{EventSink, LostSink, Placement, Storage};

use crate::domain::{Booking, Event, Hold, Venue, VenueId, VenueSettings};
use checkpoint::{Job, Progress};
use faults::FaultSwitch;
use log::Log;

/// Why the store failed. Any of these stops the engine from acknowledging writes.
#[derive(Debug, Clone, thiserror::Error)]
pub enum StoreError {
    #[error("{0}")]
    Engine(String),
    #[error("corrupt record: {0}")]
    Corrupt(String),
    /// Storage elsewhere (a cluster) did not answer in time: try again
    /// (503), not a fault of the request or of the data (500).
    #[error("{0}")]
    Unreachable(String),
}

/// Which embedded engine to use.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum EngineKind {
    /// fsync on checkpoint: survives a power cut. The default.
    #[default]
    Redb,
    /// `sync_file_range` on checkpoint: survives a killed process only.
    Sled,
    /// A NATS JetStream cluster (`nats` settings); the node keeps a redb
    /// mirror of it in its data directory.
    Nats,
}

/// One venue's share of a group commit, plus any auxiliary writes that must
/// land atomically with it (an idempotency record with its booking).
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
pub struct Commit {
    pub events: Vec<Event>,
    pub aux: Vec<AuxOp>,
}

/// A write to the auxiliary key space.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum AuxOp {
    Put {
        space: u8,
        key: Vec<u8>,
        value: Vec<u8>,
    },
    Delete {
        space: u8,
        key: Vec<u8>,
    },
    /// A put into a unique index (an email, an openid): the key may hold
    /// this value or none. A cluster refuses the whole commit if another
    /// node's write gave the key another value first; one node already
    /// checks under a lock before it writes, so it stores a plain put.
    Claim {
        space: u8,
        key: Vec<u8>,
        value: Vec<u8>,
    },
}

/// A venue as stored: enough to rebuild it.
#[derive(Debug)]
pub struct StoredVenue {
    pub settings: VenueSettings,
    pub seq: u64,
    pub bookings: Vec<Booking>,
    pub holds: Vec<Hold>,
    pub entries: Vec<crate::domain::WaitlistEntry>,
}

impl StoredVenue {
    /// The in-memory venue these records describe, without the finished
    /// records that ended before `cutoff` (`Timestamp::MIN`: all of them).
    pub fn into_venue(self, id: VenueId, cutoff: jiff::Timestamp) -> Venue {
        // Finished bookings stay out of memory; their guests' histories not.
        let guests = crate::domain::guests::GuestBook::from_history(&self.bookings);
        let bookings = self
            .bookings
            .into_iter()
            .filter(|b| b.resident_after(cutoff))
            .collect();
        let holds = self
            .holds
            .into_iter()
            .filter(|h| h.resident_after(cutoff))
            .collect();
        let entries = self
            .entries
            .into_iter()
            .filter(|e| e.resident_after(cutoff))
            .collect();
        Venue::restore_with_guests(id, self.settings, self.seq, bookings, holds, guests)
            .with_entries(entries)
    }
}

/// A stored auxiliary entry: (key within its space, value).
pub type AuxEntry = (Vec<u8>, Vec<u8>);

/// The auxiliary space of the store's own bookkeeping: the last LSN the
/// engine holds, written in the same transaction as what it covers.
const META_SPACE: u8 = 0xfe;
const APPLIED_LSN: &[u8] = b"applied_lsn";
const FORMAT_KEY: &[u8] = b"format";

/// The layout of the records this binary reads and writes. Records are
/// postcard, which is compact because it is not self-describing: a field
/// added to a stored type (a booking, a venue's settings, an event) changes
/// the layout, and this number goes up with it. A store of another layout
/// is refused at open with a message, never misread.
/// 2: venues' public details, bookings' guests and channels (API v1.1 §2-3).
/// 3: venues' cancel cut-off and active-booking limit (API v1.1 §4).
/// 4: venues' turn times.
/// 5: buffers, pacing, combinations, services; bookings' and holds'
///    service and buffer.
/// 6: the waitlist: entries, offers' holds, venues' waitlist settings.
/// 7: bookings' invited friends.
/// 8: reminders (venues' lead and WeChat template, bookings' due instant).
/// 9: engine-chosen ids in 17 bytes rather than 36 (`domain::ids`); log
///    appends padded to a page (`log`). Both read format 8 as it is, so a
///    format 8 store is opened and stamped 9.
pub const FORMAT: u64 = 9;

/// The formats this binary reads as they are, and stamps [`FORMAT`].
const READS: &[u64] = &[8];

/// Refuses a store of a layout this binary does not read, before its log
/// is touched (opening the log cuts what it cannot read at the end).
fn refuse_other_format(core: &Core) -> Result<(), StoreError> {
    match core.format()? {
        Some(found) if found != FORMAT && !READS.contains(&found) => {
            Err(format_refused(format!("format {found}")))
        }
        _ => Ok(()),
    }
}

fn format_refused(found: String) -> StoreError {
    StoreError::Engine(format!(
        "this store's records are in {found}; this binary reads format {FORMAT}. \
         Run the binary that wrote it, or start on an empty data directory"
    ))
}

/// After [`refuse_other_format`] and the log's open: stamps a new store,
/// or one of a format read as it is, with `FORMAT`; refuses a store with
/// records and no format.
fn check_format(core: &Core, fresh: bool) -> Result<(), StoreError> {
    match core.format()? {
        Some(FORMAT) => Ok(()),
        None if !fresh => Err(format_refused(
            "format 1 (before formats were numbered)".into(),
        )),
        _ => {
            core.kv.apply(&[Op::Put {
                table: Table::Aux,
                key: aux_key(META_SPACE, FORMAT_KEY),
                value: FORMAT.to_be_bytes().to_vec(),
            }])?;
            core.kv.sync()
        }
    }
}

/// How the store is opened.
#[derive(Clone, Debug)]
pub struct StoreOptions {
    /// Events kept per venue for replay (at least 1).
    pub keep_events: u64,
    /// How often the engine is synced and the log trimmed. Longer: fewer
    /// engine writes per booking, a longer log to replay after a crash.
    pub checkpoint_every: Duration,
    /// Tests only: makes the log's syncs fail on demand.
    pub faults: Option<FaultSwitch>,
}

impl Default for StoreOptions {
    fn default() -> Self {
        Self {
            keep_events: 10_000,
            checkpoint_every: Duration::from_secs(5),
            faults: None,
        }
    }
}

/// A logged batch on its way to the engine.
pub struct Logged {
    lsn: u64,
    events: Vec<Arc<Event>>,
    aux: Vec<AuxOp>,
}

impl Logged {
    /// A stored batch's events (shared, to publish) and auxiliary writes.
    fn new(lsn: u64, commits: Vec<Commit>) -> Self {
        let mut events = Vec::new();
        let mut aux = Vec::new();
        for commit in commits {
            events.extend(commit.events.into_iter().map(Arc::new));
            aux.extend(commit.aux);
        }
        Self { lsn, events, aux }
    }
}

/// What the checkpointer and readers share.
pub struct Core {
    kv: Box<dyn KvEngine>,
    keep_events: u64,
    progress: Progress,
}

impl Core {
    /// Applies a round of logged batches in one engine transaction, with
    /// the last LSN it covers; returns that LSN.
    fn materialize(&self, round: &[Logged]) -> Result<u64, StoreError> {
        let Some(last) = round.last() else {
            return Ok(0);
        };
        let mut ops = Vec::with_capacity(round.iter().map(|b| b.events.len() * 5 + 1).sum());
        let mut seqs: HashMap<&VenueId, u64> = HashMap::new();
        for batch in round {
            ops.extend(batch.aux.iter().map(materialize::aux_op));
            for event in &batch.events {
                materialize::event_ops(event, self.keep_events, &mut ops);
                seqs.insert(&event.venue_id, event.seq);
            }
        }
        ops.extend(seqs.into_iter().map(|(v, seq)| materialize::seq_op(v, seq)));
        ops.push(Op::Put {
            table: Table::Aux,
            key: aux_key(META_SPACE, APPLIED_LSN),
            value: last.lsn.to_be_bytes().to_vec(),
        });
        self.kv.apply(&ops)?;
        Ok(last.lsn)
    }

    /// The last LSN the engine holds (0 for a new store).
    fn format(&self) -> Result<Option<u64>, StoreError> {
        let value = self.kv.get(Table::Aux, &aux_key(META_SPACE, FORMAT_KEY))?;
        Ok(value.as_deref().and_then(keys::seq_from))
    }

    fn applied_lsn(&self) -> Result<u64, StoreError> {
        let value = self.kv.get(Table::Aux, &aux_key(META_SPACE, APPLIED_LSN))?;
        Ok(value.as_deref().and_then(keys::seq_from).unwrap_or(0))
    }
}

/// What a group commit stored: its events, ready to publish, and the
/// indexes (in the batch) of commits refused because they did not follow
/// their venue's stored seq.
pub struct Committed {
    pub events: Vec<Arc<Event>>,
    pub refused: Vec<usize>,
}

/// The booking store: the log, the engine, the checkpointer between them.
pub struct Store {
    core: Arc<Core>,
    log: Arc<Mutex<Log>>,
    jobs: Sender<Job>,
    checkpointer: Option<std::thread::JoinHandle<()>>,
    /// Each venue's last appended seq, for venues appended since open
    /// (others: the engine's, which the open's replay made current).
    last_seqs: Mutex<HashMap<VenueId, u64>>,
}

pub(crate) fn encode<T: Serialize>(value: &T) -> Vec<u8> {
    postcard::to_stdvec(value).unwrap() // unwrap: postcard serializes every type of ours; it fails only on unsupported serde features (which tests would show at once).
}

fn decode<T: DeserializeOwned>(what: &str, bytes: &[u8]) -> Result<T, StoreError> {
    postcard::from_bytes(bytes).map_err(|e| StoreError::Corrupt(format!("{what}: {e}")))
}

fn aux_key(space: u8, key: &[u8]) -> Vec<u8> {
    let mut k = Vec::with_capacity(key.len() + 1);
    k.push(space);
    k.extend_from_slice(key);
    k
}

/// Batches replayed per engine transaction at open.
const REPLAY_ROUND: usize = 4096;

impl Store {
    /// Opens the chosen engine and the log under `data_dir`, creating them
    /// if needed. `keep_events` (at least 1) bounds each venue's replay log.
    pub fn open(kind: EngineKind, data_dir: &Path, keep_events: u64) -> Result<Self, StoreError> {
        let options = StoreOptions {
            keep_events,
            ..StoreOptions::default()
        };
        Self::open_with(kind, data_dir, options)
    }

    /// As [`Store::open`], with every option.
    pub fn open_with(
        kind: EngineKind,
        data_dir: &Path,
        options: StoreOptions,
    ) -> Result<Self, StoreError> {
        let kv = Self::open_engine(kind, data_dir)?;
        Self::with_engine(kv, &Self::log_path(data_dir), options)
    }

    /// Where an engine keeps its files inside a data directory.
    pub fn engine_path(kind: EngineKind, data_dir: &Path) -> PathBuf {
        match kind {
            EngineKind::Redb | EngineKind::Nats => data_dir.join("booking.redb"),
            EngineKind::Sled => data_dir.join("sled"),
        }
    }

    /// Where the write-ahead log lives inside a data directory.
    pub fn log_path(data_dir: &Path) -> PathBuf {
        data_dir.join("log")
    }

    /// The bare engine of a data directory (made private to its owner);
    /// refuses a directory whose restore has not finished.
    pub fn open_engine(kind: EngineKind, data_dir: &Path) -> Result<Box<dyn KvEngine>, StoreError> {
        files::private_dir(data_dir)?;
        if data_dir.join(files::RESTORE_MARKER).exists() {
            return Err(StoreError::Engine(format!(
                "a restore into {} did not finish (the file {} is there); \
                 restore again into an empty directory, or remove the directory",
                data_dir.display(),
                files::RESTORE_MARKER
            )));
        }
        let path = Self::engine_path(kind, data_dir);
        let kv: Box<dyn KvEngine> = match kind {
            EngineKind::Redb | EngineKind::Nats => Box::new(RedbEngine::open(&path)?),
            EngineKind::Sled => Box::new(SledEngine::open(&path)?),
        };
        files::private_tree(&path)?;
        Ok(kv)
    }

    /// A store over any engine with its log in `log_dir`: replays the log
    /// after the engine's last checkpoint, checkpoints, and starts the
    /// checkpointer.
    pub fn with_engine(
        kv: Box<dyn KvEngine>,
        log_dir: &Path,
        options: StoreOptions,
    ) -> Result<Self, StoreError> {
        let core = Core {
            kv,
            keep_events: options.keep_events.max(1),
            progress: Progress::default(),
        };
        let checkpoint = core.applied_lsn()?;
        refuse_other_format(&core)?;
        let (mut log, tail) = Log::open(log_dir, checkpoint, options.faults)?;
        check_format(&core, checkpoint == 0 && tail.is_empty())?;
        let replayed = replay(&core, tail)?;
        let lsn = replayed.unwrap_or(checkpoint);
        if replayed.is_some() {
            core.kv.sync()?;
        }
        log.trim(lsn)?;
        core.progress.start(lsn);
        let core = Arc::new(core);
        let log = Arc::new(Mutex::new(log));
        let (jobs, rx) = std::sync::mpsc::channel();
        let checkpointer = {
            let (core, log) = (core.clone(), log.clone());
            let every = options.checkpoint_every;
            std::thread::Builder::new()
                .name("checkpointer".into())
                .spawn(move || checkpoint::run(core, log, rx, every))
                .map_err(|e| StoreError::Engine(format!("start the checkpointer: {e}")))?
        };
        Ok(Self {
            core,
            log,
            jobs,
            checkpointer: Some(checkpointer),
            last_seqs: Mutex::new(HashMap::new()),
        })
    }

    /// A consistent read view that writers do not wait for, if the engine
    /// has one (see `KvEngine::snapshot`), holding every acknowledged write.
    fn snapshot(&self) -> Result<Option<Box<dyn KvRead>>, StoreError> {
        self.core.progress.caught_up()?;
        self.core.kv.snapshot()
    }

    /// The live engine as a read view, holding every acknowledged write:
    /// consistent only where no commit runs concurrently (the writer's
    /// exclusive slot); a snapshot is consistent anywhere.
    fn live_view(&self) -> Result<&dyn KvRead, StoreError> {
        self.core.progress.caught_up()?;
        Ok(self.core.kv.as_ref())
    }

    /// A venue's seq as the engine holds it (0: never stored).
    fn stored_seq(&self, venue: &VenueId) -> Result<u64, StoreError> {
        let value = self
            .core
            .kv
            .get(Table::VenueSeqs, venue.as_str().as_bytes())?;
        Ok(value.as_deref().and_then(keys::seq_from).unwrap_or(0))
    }
}

/// Applies the log's batches after the checkpoint; the last LSN, if any.
fn replay(core: &Core, tail: Vec<log::Batch>) -> Result<Option<u64>, StoreError> {
    let Some(last) = tail.last().map(|b| b.lsn) else {
        return Ok(None);
    };
    let started = std::time::Instant::now();
    let count = tail.len();
    let mut round = Vec::with_capacity(REPLAY_ROUND.min(count));
    for batch in tail {
        round.push(Logged::new(batch.lsn, batch.commits));
        if round.len() == REPLAY_ROUND {
            core.materialize(&round)?;
            round.clear();
        }
    }
    core.materialize(&round)?;
    tracing::info!(
        batches = count,
        elapsed_ms = started.elapsed().as_millis() as u64,
        "replayed the log after the last checkpoint"
    );
    Ok(Some(last))
}

impl Drop for Store {
    /// Lets the checkpointer apply and checkpoint everything, so that a
    /// clean stop leaves nothing to replay.
    fn drop(&mut self) {
        let _ = self.jobs.send(Job::Stop);
        if let Some(thread) = self.checkpointer.take() {
            let _ = thread.join();
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// sled releases its directory lock when its background flusher lets
    /// go of the database, a moment after the last handle is dropped.
    fn open_engine(kind: EngineKind, dir: &Path) -> Box<dyn KvEngine> {
        for _ in 0..100 {
            if let Ok(kv) = Store::open_engine(kind, dir) {
                return kv;
            }
            std::thread::sleep(std::time::Duration::from_millis(20));
        }
        Store::open_engine(kind, dir).unwrap()
    }

    /// `Store::open`, waiting out sled's lock the same way.
    fn open_store(kind: EngineKind, dir: &Path) -> Result<Store, String> {
        for _ in 0..100 {
            match Store::open(kind, dir, 10) {
                Err(e) if e.to_string().to_lowercase().contains("lock") => {
                    std::thread::sleep(std::time::Duration::from_millis(20));
                }
                other => return other.map_err(|e| e.to_string()),
            }
        }
        Store::open(kind, dir, 10).map_err(|e| e.to_string())
    }

    fn set_format(kind: EngineKind, dir: &Path, value: Option<u64>) {
        let kv = open_engine(kind, dir);
        let key = aux_key(META_SPACE, FORMAT_KEY);
        let op = match value {
            Some(v) => Op::Put {
                table: Table::Aux,
                key,
                value: v.to_be_bytes().to_vec(),
            },
            None => Op::Delete {
                table: Table::Aux,
                key,
            },
        };
        kv.apply(&[op]).unwrap();
        kv.sync().unwrap();
    }

    #[test]
    fn a_store_of_another_record_format_is_refused_with_a_reason() {
        for kind in [EngineKind::Redb, EngineKind::Sled] {
            let dir = tempfile::tempdir().unwrap();
            drop(open_store(kind, dir.path()).unwrap());
            // Reopening the store it stamped is fine.
            drop(open_store(kind, dir.path()).unwrap());
            set_format(kind, dir.path(), Some(FORMAT + 1));
            // What this binary cannot read at the log's end stays there.
            let segment = std::fs::read_dir(Store::log_path(dir.path()))
                .unwrap()
                .next()
                .unwrap()
                .unwrap()
                .path();
            let mut bytes = std::fs::read(&segment).unwrap();
            bytes.extend_from_slice(&[9; 5]);
            std::fs::write(&segment, &bytes).unwrap();
            let err = open_store(kind, dir.path()).err().unwrap();
            assert!(err.contains(&format!("format {}", FORMAT + 1)), "{err}");
            assert_eq!(std::fs::read(&segment).unwrap(), bytes);
            // Format 8 reads as it is, and is stamped with this one.
            set_format(kind, dir.path(), Some(8));
            drop(open_store(kind, dir.path()).unwrap());
            assert_eq!(
                open_engine(kind, dir.path())
                    .get(Table::Aux, &aux_key(META_SPACE, FORMAT_KEY))
                    .unwrap(),
                Some(FORMAT.to_be_bytes().to_vec())
            );
            // No format on an empty store: stamped now. On a store with data
            // (a checkpoint taken): written before formats were numbered.
            set_format(kind, dir.path(), None);
            drop(open_store(kind, dir.path()).unwrap());
            set_format(kind, dir.path(), None);
            let kv = open_engine(kind, dir.path());
            kv.apply(&[Op::Put {
                table: Table::Aux,
                key: aux_key(META_SPACE, APPLIED_LSN),
                value: 7u64.to_be_bytes().to_vec(),
            }])
            .unwrap();
            kv.sync().unwrap();
            drop(kv);
            let err = open_store(kind, dir.path()).err().unwrap();
            assert!(err.contains("before formats were numbered"), "{err}");
        }
    }
}
