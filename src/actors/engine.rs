//! The engine: the store, its writer, the venue registry and the event bus,
//! behind one handle that the HTTP layer (and tests) talk to.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use actix::prelude::*;
use futures::StreamExt;
use tokio::sync::broadcast;
use tokio::task::JoinHandle;

use crate::actors::EngineError;
use crate::actors::directory::{After, Directory, Listed};
use crate::actors::messages::Execute;
use crate::actors::orphans::LiveHolds;
use crate::actors::registry::Registry;
use crate::actors::venue::{Planner, Shared, VenueActor};
use crate::actors::writer::{EventBus, Health, OnFailure, StoreWriter, WriterStats};
use crate::clock::Clock;
use crate::domain::{Event, Reply, Venue, VenueId, VenueSearch, VenueSettings};
use crate::ids::new_id;
use crate::store::{Commit, Storage};

/// Tunables of the engine.
#[derive(Clone, Debug)]
pub struct EngineOptions {
    /// Hold lifetime (API.md: 300 s by default).
    pub hold_ttl_seconds: u32,
    /// How long a venue stays in memory without requests.
    pub idle_after: Duration,
    /// Threads that run venue actors; 0 runs them on the caller's arbiter
    /// (tests with paused time need that).
    pub arbiters: usize,
    /// Events a bus subscriber may fall behind before it lags.
    pub bus_capacity: usize,
    /// Events older than this leave the replay log (API.md: 7 days).
    pub event_max_age: Duration,
    /// Finished records leave venue memory this long after their end.
    pub retain_finished: Duration,
    /// Overrides every venue's waitlist offer lifetime (seconds).
    pub offer_seconds: Option<u32>,
}

/// How often old events are pruned; the age limit is in days, so hourly
/// keeps the log within an hour of it at the cost of one scan an hour.
const PRUNE_EVERY: Duration = Duration::from_secs(3600);

impl Default for EngineOptions {
    fn default() -> Self {
        Self {
            hold_ttl_seconds: 300,
            idle_after: Duration::from_secs(600),
            arbiters: std::thread::available_parallelism().map_or(2, |n| n.get()),
            bus_capacity: 65_536,
            event_max_age: Duration::from_secs(7 * 24 * 3600),
            retain_finished: Duration::from_secs(48 * 3600),
            offer_seconds: None,
        }
    }
}

/// The running engine.
pub struct Engine {
    planner: Arc<std::sync::OnceLock<Arc<dyn Planner>>>,
    registry: Arc<Registry>,
    directory: Arc<Directory>,
    pub(super) store: Arc<dyn Storage>,
    writer: StoreWriter,
    health: Arc<Health>,
    stats: Arc<WriterStats>,
    bus: EventBus,
    clock: Arc<dyn Clock>,
    options: EngineOptions,
    /// The writer task and the venue arbiters, taken at shutdown.
    threads: Mutex<(Option<JoinHandle<()>>, Vec<Arbiter>)>,
    pruner: JoinHandle<()>,
    /// On a cluster: takes over venues whose writer died with live holds.
    orphans: Option<JoinHandle<()>>,
}

/// Drops events past the age limit, now and then every `PRUNE_EVERY`.
async fn prune_old_events(store: Arc<dyn Storage>, clock: Arc<dyn Clock>, max_age: Duration) {
    let max_age = jiff::SignedDuration::try_from(max_age).unwrap_or(jiff::SignedDuration::MAX);
    loop {
        let cutoff = clock
            .now()
            .saturating_sub(max_age)
            .unwrap_or(jiff::Timestamp::MIN);
        let store = store.clone();
        match tokio::task::spawn_blocking(move || store.prune_events_before(cutoff)).await {
            Ok(Ok(0)) => {}
            Ok(Ok(n)) => tracing::info!(events = n, "pruned events past the replay window"),
            Ok(Err(e)) => tracing::warn!(error = %e, "pruning old events failed"),
            Err(e) => tracing::warn!(error = %e, "pruning old events panicked"),
        }
        tokio::time::sleep(PRUNE_EVERY).await;
    }
}

impl Engine {
    /// Starts the writer and the venue arbiters. Call inside an actix system
    /// (the writer task runs on the caller's runtime).
    pub fn start(store: impl Storage, clock: Arc<dyn Clock>, options: EngineOptions) -> Engine {
        let store: Arc<dyn Storage> = Arc::new(store);
        let (bus, _) = broadcast::channel(options.bus_capacity.max(1));
        let health = Arc::new(Health::default());
        let stats = Arc::new(WriterStats::default());
        let on_failure = OnFailure::default();
        let planner = Arc::new(std::sync::OnceLock::new());
        let listings = store.venue_listings().unwrap_or_else(|e| {
            tracing::error!(error = %e, "could not list the stored venues; GET /venues starts empty");
            Vec::new()
        });
        let directory = Arc::new(Directory::new(listings));
        let (writer, thread) = StoreWriter::spawn(
            store.clone(),
            bus.clone(),
            health.clone(),
            stats.clone(),
            on_failure.clone(),
            directory.clone(),
        );
        let arbiters: Vec<Arbiter> = (0..options.arbiters).map(|_| Arbiter::new()).collect();
        let registry = Arc::new(Registry::new(
            store.clone(),
            arbiters.iter().map(|a| a.handle()).collect(),
        ));
        let evict = Arc::downgrade(&registry);
        let _ = on_failure.set(Box::new(move |venue| {
            if let Some(registry) = evict.upgrade() {
                match venue {
                    Some(id) => registry.evict(id),
                    None => registry.evict_all(),
                }
            }
        }));
        let live = Arc::new(LiveHolds::default());
        {
            // A cluster's storage publishes every event, other nodes' too;
            // another node's write makes this node's copy of the venue stale.
            let (directory, bus, live) = (directory.clone(), bus.clone(), live.clone());
            let stale = Arc::downgrade(&registry);
            store.follow(Box::new(move |event, foreign| {
                if foreign && let Some(registry) = stale.upgrade() {
                    registry.evict(&event.venue_id);
                }
                live.observe(&event);
                crate::actors::writer::publish(&directory, &bus, event);
            }));
            // A lease lost (it lapsed, another node took it): this node's
            // actor of that venue must not write again.
            let lost = Arc::downgrade(&registry);
            store.on_lost(Box::new(move |venue| {
                if let Some(registry) = lost.upgrade() {
                    registry.evict(venue);
                }
            }));
        }
        // A venue made on another node between the listing above and the
        // sink is in neither: list again, now that events arrive.
        if store.clustered() {
            match store.venue_listings() {
                Ok(listings) => directory.merge(listings),
                Err(e) => tracing::warn!(error = %e, "listing the venues again failed"),
            }
        }
        registry.set_shared(Arc::new(Shared {
            writer: writer.clone(),
            health: health.clone(),
            clock: clock.clone(),
            registry: Arc::downgrade(&registry),
            idle_after: options.idle_after,
            retain_finished: jiff::SignedDuration::try_from(options.retain_finished)
                .unwrap_or(jiff::SignedDuration::MAX),
            offer_seconds: options.offer_seconds,
            planner: planner.clone(),
        }));
        let orphans = store.clustered().then(|| {
            actix::spawn(crate::actors::orphans::sweep(
                live,
                registry.clone(),
                store.clone(),
                clock.clone(),
            ))
        });
        let pruner = actix::spawn(prune_old_events(
            store.clone(),
            clock.clone(),
            options.event_max_age,
        ));
        Engine {
            planner,
            directory,
            pruner,
            orphans,
            registry,
            store,
            writer,
            health,
            stats,
            bus,
            clock,
            options,
            threads: Mutex::new((Some(thread), arbiters)),
        }
    }

    /// Hands venues the outbox's planner (once; later calls are ignored).
    pub fn set_planner(&self, planner: Arc<dyn Planner>) {
        let _ = self.planner.set(planner);
    }

    /// Creates a venue; answers once its creation is durable.
    pub async fn create_venue(
        &self,
        settings: VenueSettings,
    ) -> Result<(VenueId, u64), EngineError> {
        if !self.health.accepts_writes() {
            return Err(EngineError::Unavailable);
        }
        let id = VenueId::from(new_id().as_str());
        let (venue, event) = Venue::create(id.clone(), settings, self.clock.now())?;
        self.registry.claim_new(&id).await?;
        let seq = event.seq;
        self.writer
            .submit(Commit {
                events: vec![event],
                aux: Vec::new(),
            })
            .await
            .unwrap_or(Err(EngineError::Unavailable))?;
        self.registry.install(venue);
        Ok((id, seq))
    }

    /// Sends a message to a venue, activating it if needed. A venue that
    /// passivated between lookup and send never saw the message, so it is
    /// sent again to the reactivated venue.
    pub async fn ask<M>(&self, venue: &VenueId, msg: M) -> Result<M::Result, EngineError>
    where
        M: Message + Send + Clone + 'static,
        M::Result: Send,
        VenueActor: Handler<M>,
    {
        self.send(venue, msg, false).await
    }

    /// As `ask`, to the venue's writer when `write` (a cluster node that
    /// is not the writer answers `Elsewhere`).
    async fn send<M>(&self, venue: &VenueId, msg: M, write: bool) -> Result<M::Result, EngineError>
    where
        M: Message + Send + Clone + 'static,
        M::Result: Send,
        VenueActor: Handler<M>,
    {
        for _ in 0..3 {
            let addr = if write {
                self.registry.writer(venue).await?
            } else {
                self.registry.get(venue).await?
            };
            // Messages sent to venues and not yet answered: the sum of the
            // venues' mailbox depths (and their replies' waits).
            let waiting = metrics::gauge!("venue_messages_waiting");
            waiting.increment(1.0);
            let answer = addr.send(msg.clone()).await;
            waiting.decrement(1.0);
            match answer {
                Ok(result) => return Ok(result),
                Err(MailboxError::Closed) => self.registry.forget(venue, &addr),
                Err(MailboxError::Timeout) => return Err(EngineError::Unavailable),
            }
        }
        Err(EngineError::Unavailable)
    }

    /// Executes a command at a venue; answers once its change is durable.
    pub async fn execute(
        &self,
        venue: &VenueId,
        command: impl Into<Execute>,
    ) -> Result<Reply, EngineError> {
        self.send(venue, command.into(), true).await?
    }

    /// Activates every stored venue, so that holds left live by the last run
    /// expire (and are pushed) on time. Returns how many venues were loaded.
    pub async fn warm_up(&self) -> Result<usize, EngineError> {
        let store = self.store.clone();
        let ids = tokio::task::spawn_blocking(move || store.venue_ids())
            .await
            .map_err(|_| EngineError::Unavailable)??;
        // A few at a time: each is read and rebuilt on a blocking thread.
        let at_once = 2 * std::thread::available_parallelism().map_or(2, |n| n.get());
        let mut activations = futures::stream::iter(&ids)
            .map(|id| self.registry.get(id))
            .buffer_unordered(at_once);
        while let Some(activated) = activations.next().await {
            activated?;
        }
        Ok(ids.len())
    }

    /// Writes a backup of exactly the acknowledged state to `path` (mode
    /// 0600); returns the number of records. With redb it reads a snapshot
    /// and writes go on meanwhile; with sled appends wait for as long as
    /// the export takes.
    pub async fn backup(&self, path: std::path::PathBuf) -> Result<u64, EngineError> {
        let store = self.store.clone();
        tokio::task::spawn_blocking(move || store.backup(&path))
            .await
            .map_err(|_| EngineError::Unavailable)?
            .map_err(EngineError::from)
    }

    /// Venues matching a search, from memory (API v1.1 §2): no actor is
    /// woken and no store read.
    pub fn find_venues(
        &self,
        search: &VenueSearch,
        after: Option<&After>,
        limit: usize,
    ) -> Vec<Listed> {
        self.directory.search(search, after, limit)
    }

    /// Every durable event from now on, in commit order.
    pub fn subscribe(&self) -> broadcast::Receiver<Arc<Event>> {
        self.bus.subscribe()
    }

    /// True while the store is open, no sync has failed and the
    /// checkpointer keeps up.
    pub fn is_ready(&self) -> bool {
        self.health.accepts_writes() && !self.store.is_failing()
    }

    /// True on a cluster node: requests for venues other nodes write are
    /// sent on to them.
    pub fn clustered(&self) -> bool {
        self.store.clustered()
    }

    /// Tells the cluster where this node serves HTTP (its leases say so).
    pub fn serve_at(&self, url: &str) {
        self.store.serve_at(url);
    }

    /// Makes this node the venue's writer if it may be (activating it),
    /// or says which node is (`Elsewhere`): for changes that are not
    /// venue commands but must happen where the venue is written.
    pub async fn write_here(&self, venue: &VenueId) -> Result<(), EngineError> {
        self.registry.writer(venue).await.map(|_| ())
    }

    /// True if this node runs the cluster's one copy of `job` now.
    pub fn leads(&self, job: &str) -> bool {
        self.store.leads(job)
    }

    /// The store, for reads that need no venue (replay, listings).
    pub fn store(&self) -> &Arc<dyn Storage> {
        &self.store
    }

    /// The store writer, for writes that belong to no venue (accounts):
    /// they are refused with everything else after a failed sync.
    pub fn writer(&self) -> &StoreWriter {
        &self.writer
    }

    /// Fault injection for tests: ends the writer task abruptly, as a
    /// panic in it would. The engine must then refuse writes and not be ready.
    #[doc(hidden)]
    pub fn kill_writer(&self) {
        let threads = self.threads.lock().unwrap_or_else(|e| e.into_inner());
        if let Some(writer) = &threads.0 {
            writer.abort();
        }
    }

    /// Writer counters (syncs, commits).
    pub fn stats(&self) -> &WriterStats {
        &self.stats
    }

    /// How many venues are in memory.
    pub fn resident_venues(&self) -> usize {
        self.registry.resident()
    }

    /// The configured hold lifetime.
    pub fn hold_ttl_seconds(&self) -> u32 {
        self.options.hold_ttl_seconds
    }

    /// The engine's clock.
    pub fn now(&self) -> jiff::Timestamp {
        self.clock.now()
    }

    /// Stops acknowledging writes, stores everything already applied, and
    /// stops the writer and the venue threads.
    pub async fn shutdown(&self) {
        self.pruner.abort();
        if let Some(orphans) = &self.orphans {
            orphans.abort();
        }
        self.health.close();
        self.writer.stop();
        let (thread, arbiters) = {
            let mut threads = self.threads.lock().unwrap(); // unwrap: the lock is only taken here and never held across a panic.
            (threads.0.take(), std::mem::take(&mut threads.1))
        };
        if let Some(writer) = thread {
            let _ = writer.await;
        }
        for arbiter in arbiters {
            arbiter.stop();
        }
    }
}
