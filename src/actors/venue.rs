//! The venue actor: owns one `Venue` in memory and is its only writer, so a
//! venue's commands are serialized by its mailbox. A handler makes one call
//! into the domain, hands the events to the store writer and replies once
//! they are durable; the mailbox keeps flowing meanwhile (the reply is a
//! spawned future), so a hot venue's changes share syncs.

use std::cell::Cell;
use std::future::Future;
use std::pin::Pin;
use std::rc::Rc;
use std::sync::{Arc, Weak};
use std::time::Duration;

use actix::prelude::*;
use jiff::Timestamp;

use crate::actors::EngineError;
use crate::actors::registry::Registry;
use crate::actors::writer::{Health, StoreWriter};
use crate::clock::Clock;
use crate::domain::{Command, Outcome, Reply, Venue};
use crate::store::{AuxOp, Commit};

/// What every venue actor shares.
pub struct Shared {
    pub writer: StoreWriter,
    pub health: Arc<Health>,
    pub clock: Arc<dyn Clock>,
    pub registry: Weak<Registry>,
    /// A venue idle this long, with no live hold and nothing in flight,
    /// leaves memory; the next request brings it back from the store.
    pub idle_after: Duration,
    /// Finished bookings and ended holds leave memory this long after
    /// their end (they stay in the store).
    pub retain_finished: jiff::SignedDuration,
    /// See `EngineOptions::offer_seconds`.
    pub offer_seconds: Option<u32>,
    /// Adds the outbox's records to each commit (set once the outbox runs).
    pub planner: Arc<std::sync::OnceLock<Arc<dyn Planner>>>,
}

/// What must be stored with a venue's events in the same commit, beyond
/// them: the outbox's queue records (API v1.1 §7).
pub trait Planner: Send + Sync {
    fn plan(
        &self,
        events: &[crate::domain::Event],
        settings: &crate::domain::VenueSettings,
    ) -> Vec<AuxOp>;
}

/// Mailbox size of a venue: senders wait beyond it (backpressure). Large
/// enough that a hot venue's burst queues instead of bouncing, small enough
/// to bound memory per venue.
pub const MAILBOX_CAPACITY: usize = 1024;

/// The longest the expiry timer sleeps before looking at the clock again.
const MAX_TIMER: Duration = Duration::from_secs(30);

/// How often a venue checks whether it has been idle long enough to leave.
const IDLE_CHECK: Duration = Duration::from_secs(30);

/// A reply that resolves once the change is durable.
pub type Pending<T> = Pin<Box<dyn Future<Output = Result<T, EngineError>>>>;

/// Extra records to store in the same commit as a successful change (an
/// idempotency record with the booking it answers), made from the reply.
#[derive(Clone)]
pub struct RecordWith(pub Arc<RecordFn>);

/// Makes the extra records from the reply and the venue's settings.
/// It returns (the request's idempotency slot, the stored response).
pub type RecordFn =
    dyn Fn(&Reply, &crate::domain::VenueSettings) -> (Vec<u8>, Vec<u8>) + Send + Sync;

/// The auxiliary key space of idempotency records.
pub const IDEMPOTENCY_SPACE: u8 = 5;

impl std::fmt::Debug for RecordWith {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecordWith(..)")
    }
}

/// The actor of one venue: its writer, or on a cluster node that does not
/// hold the venue's lease, a read-only copy that answers queries (and
/// leaves when another node's event makes it stale).
pub struct VenueActor {
    pub(crate) venue: Venue,
    shared: Arc<Shared>,
    /// False for a read-only copy: it runs no command and no timer.
    writes: bool,
    /// Commits handed to the writer and not yet answered. `Rc<Cell>`: the
    /// reply futures run on this actor's own arbiter thread.
    in_flight: Rc<Cell<usize>>,
    last_active: tokio::time::Instant,
    /// The armed expiry timer and the instant it is for.
    timer: Option<(Timestamp, SpawnHandle)>,
    /// Never let `now` go backwards, even if the wall clock does: hold
    /// expiry must be monotonic for the ledgers to stay consistent...
    last_now: Timestamp,
    /// ...and never stand still while real time passes: after the wall
    /// clock jumps back, `now` goes on from `last_now` by the monotonic
    /// clock, so holds still expire on time.
    last_tick: tokio::time::Instant,
}

impl VenueActor {
    pub fn new(venue: Venue, shared: Arc<Shared>, writes: bool) -> Self {
        Self {
            venue,
            shared,
            writes,
            in_flight: Rc::new(Cell::new(0)),
            last_active: tokio::time::Instant::now(),
            timer: None,
            last_now: Timestamp::MIN,
            last_tick: tokio::time::Instant::now(),
        }
    }

    pub(crate) fn now(&mut self) -> Timestamp {
        let tick = tokio::time::Instant::now();
        let elapsed = jiff::SignedDuration::try_from(tick - self.last_tick)
            .unwrap_or(jiff::SignedDuration::ZERO);
        self.last_tick = tick;
        let carried = self
            .last_now
            .saturating_add(elapsed)
            .unwrap_or(self.last_now);
        self.last_now = carried.max(self.shared.clock.now());
        self.last_now
    }

    /// Executes a command and returns the reply, pending durability.
    pub(crate) fn run(&mut self, command: Command, ctx: &mut Context<Self>) -> Pending<Reply> {
        self.run_with(command, None, ctx)
    }

    /// As `run`, storing `record`'s writes with the change when it succeeds.
    pub(crate) fn run_with(
        &mut self,
        command: Command,
        record: Option<RecordWith>,
        ctx: &mut Context<Self>,
    ) -> Pending<Reply> {
        let _span = tracing::debug_span!("venue_command", venue_id = %self.venue.id()).entered();
        if !self.writes || !self.shared.health.accepts_writes() {
            return Box::pin(async { Err(EngineError::Unavailable) });
        }
        let now = self.now();
        self.last_active = tokio::time::Instant::now();
        let Outcome { events, reply } = self.venue.execute(command, now);
        let mut aux = match (&reply, record) {
            (Ok(r), Some(record)) => {
                let (key, value) = (record.0)(r, self.venue.settings());
                vec![AuxOp::Put {
                    space: IDEMPOTENCY_SPACE,
                    key,
                    value,
                }]
            }
            _ => Vec::new(),
        };
        if let Some(planner) = self.shared.planner.get() {
            aux.extend(planner.plan(&events, self.venue.settings()));
        }
        let durable = self.persist(Commit { events, aux });
        self.arm_timer(ctx);
        Box::pin(async move {
            if let Some(durable) = durable {
                durable.await?;
            }
            Ok(reply?)
        })
    }

    fn persist(
        &mut self,
        commit: Commit,
    ) -> Option<impl Future<Output = Result<(), EngineError>> + use<>> {
        if commit.events.is_empty() {
            return None;
        }
        let rx = self.shared.writer.submit(commit);
        let in_flight = self.in_flight.clone();
        in_flight.set(in_flight.get() + 1);
        Some(async move {
            let result = rx.await.unwrap_or(Err(EngineError::Unavailable));
            in_flight.set(in_flight.get() - 1);
            result
        })
    }

    /// Keeps one timer armed for the next hold expiry.
    fn arm_timer(&mut self, ctx: &mut Context<Self>) {
        let next = self.venue.next_expiry();
        if self.timer.as_ref().map(|t| t.0) == next {
            return;
        }
        if let Some((_, handle)) = self.timer.take() {
            ctx.cancel_future(handle);
        }
        if let Some(at) = next {
            // Capped: a wall clock that jumps ahead (or a test clock) is
            // noticed within `MAX_TIMER`, not after hours of sleeping.
            let wait = at.duration_since(self.now()).unsigned_abs().min(MAX_TIMER);
            let handle = ctx.run_later(wait, |act, ctx| {
                act.timer = None;
                let expired = act.run(Command::ExpireHolds, ctx);
                actix::spawn(async move {
                    if let Err(e) = expired.await {
                        tracing::warn!(error = %e, "storing hold expiries failed");
                    }
                });
            });
            self.timer = Some((at, handle));
        }
    }

    fn maybe_passivate(&mut self, ctx: &mut Context<Self>) {
        let idle = self.last_active.elapsed() >= self.shared.idle_after;
        if idle && self.in_flight.get() == 0 && self.venue.next_expiry().is_none() {
            if let Some(registry) = self.shared.registry.upgrade() {
                registry.forget(self.venue.id(), &ctx.address());
            }
            tracing::debug!(venue_id = %self.venue.id(), "venue passivated");
            ctx.stop();
        }
    }
}

/// Stop now (the registry has already forgotten this actor).
#[derive(Message)]
#[rtype(result = "()")]
pub struct Leave;

impl Handler<Leave> for VenueActor {
    type Result = ();

    fn handle(&mut self, _: Leave, ctx: &mut Context<Self>) {
        ctx.stop();
    }
}

impl Actor for VenueActor {
    type Context = Context<Self>;

    fn started(&mut self, ctx: &mut Self::Context) {
        ctx.set_mailbox_capacity(MAILBOX_CAPACITY);
        self.venue.retain_finished(self.shared.retain_finished);
        self.venue.set_offer_seconds(self.shared.offer_seconds);
        ctx.run_interval(
            IDLE_CHECK.min(self.shared.idle_after),
            Self::maybe_passivate,
        );
        if !self.writes {
            return;
        }
        // Holds that expired while the venue was away are swept (and pushed)
        // by this first run.
        let start = self.run(Command::ExpireHolds, ctx);
        actix::spawn(async move {
            let _ = start.await;
        });
    }
}
