//! The outbox (API v1.1 §7): signed webhooks and WeChat reminder messages.
//!
//! Nothing can be lost between a change and its delivery because the two
//! are one write: when a venue commits events, [`Endpoints::plan`] adds a
//! queue record per matching webhook to the same commit, so the queue is
//! exactly as durable as the event (kill -9 included). A task per webhook
//! then delivers its queue in `seq` order, one at a time, and records
//! every attempt; a failing or hanging endpoint holds back only itself.
//! The event bus only wakes the tasks; a wake-up lost to a lagging bus is
//! caught by the poll every task does anyway.

mod guard;
pub mod records;
mod wechat;
mod worker;

pub use worker::{event_id, signature};

use std::sync::{Arc, Weak};
use std::time::Duration;

use dashmap::DashMap;
use jiff::Timestamp;
use serde_json::Value;
use tokio::sync::{Notify, Semaphore};

use crate::actors::{Engine, EngineError};
use crate::domain::webhooks::{self, Webhook};
use crate::domain::{Change, DomainError, Event, UserId, VenueId, VenueSettings, Zone};
use crate::settings::{WeChatSettings, WebhookSettings};
use crate::store::{AuxOp, Commit};
use records::{Attempt, Outcome, Queued};

/// Renders an event's delivery body (`{id, type, venue_id, seq,
/// created_at, data}`); given by the HTTP layer, which owns the shapes.
pub type RenderFn = dyn Fn(&Event, &Zone) -> Value + Send + Sync;
/// A customer's WeChat openid, if they signed in with WeChat.
pub type OpenIdFn = dyn Fn(&UserId) -> Option<String> + Send + Sync;

/// Why an outbox request failed.
#[derive(Debug, thiserror::Error)]
pub enum OutboxError {
    #[error(transparent)]
    Domain(#[from] DomainError),
    #[error(transparent)]
    Engine(#[from] EngineError),
}

/// Every webhook, by id and by venue: read by venues as they commit
/// (to plan), written when a webhook is made or removed.
#[derive(Default)]
pub struct Endpoints {
    by_id: DashMap<String, Arc<Webhook>>,
    by_venue: DashMap<VenueId, Vec<Arc<Webhook>>>,
    /// Whether WeChat messages can be sent at all (configured).
    wechat: bool,
}

impl crate::actors::venue::Planner for Endpoints {
    fn plan(&self, events: &[Event], settings: &VenueSettings) -> Vec<AuxOp> {
        Endpoints::plan(self, events, settings)
    }
}

impl Endpoints {
    /// The queue records of a venue's new events: one per matching
    /// webhook, and a WeChat message per reminder where the venue has a
    /// template. Called by the venue actor for the commit that stores them.
    pub fn plan(&self, events: &[Event], settings: &VenueSettings) -> Vec<AuxOp> {
        let Some(first) = events.first() else {
            return Vec::new();
        };
        let hooks = self.by_venue.get(&first.venue_id);
        let template = settings
            .wechat_reminder_template_id
            .as_ref()
            .filter(|_| self.wechat);
        if hooks.is_none() && template.is_none() {
            return Vec::new();
        }
        let queued = |event: &Event, template: Option<String>| Queued {
            event: event.clone(),
            zone: settings.timezone.name().to_string(),
            venue_name: settings.name.clone(),
            template,
            queued_at: event.at,
            attempts: 0,
        };
        let mut ops = Vec::new();
        for event in events {
            let name = event.change.name();
            for hook in hooks.iter().flat_map(|h| h.iter()) {
                if hook.takes(name) {
                    ops.push(AuxOp::Put {
                        space: records::QUEUE,
                        key: records::queue_key(&hook.id, event.seq),
                        value: records::encode(&queued(event, None)),
                    });
                }
            }
            if let (Some(t), Change::BookingReminded(b)) = (template, &event.change)
                && b.user_id.is_some()
            {
                ops.push(AuxOp::Put {
                    space: records::WECHAT,
                    key: records::queue_key(event.venue_id.as_str(), event.seq),
                    value: records::encode(&queued(event, Some(t.clone()))),
                });
            }
        }
        ops
    }

    fn insert(&self, hook: Arc<Webhook>) {
        self.by_venue
            .entry(hook.venue_id.clone())
            .or_default()
            .push(hook.clone());
        self.by_id.insert(hook.id.clone(), hook);
    }

    fn remove(&self, id: &str) -> Option<Arc<Webhook>> {
        let (_, hook) = self.by_id.remove(id)?;
        if let Some(mut list) = self.by_venue.get_mut(&hook.venue_id) {
            list.retain(|h| h.id != id);
        }
        self.by_venue.remove_if(&hook.venue_id, |_, l| l.is_empty());
        Some(hook)
    }

    /// A webhook by id.
    pub fn get(&self, id: &str) -> Option<Arc<Webhook>> {
        self.by_id.get(id).map(|h| h.clone())
    }

    /// A venue's webhooks, oldest first.
    pub fn of_venue(&self, venue: &VenueId) -> Vec<Arc<Webhook>> {
        let mut list = self
            .by_venue
            .get(venue)
            .map(|l| l.clone())
            .unwrap_or_default();
        list.sort_by(|a, b| a.id.cmp(&b.id));
        list
    }
}

/// A webhook's delivery task: woken by new events, retries and removal.
struct Worker {
    wake: Notify,
}

/// The outbox service.
pub struct Outbox {
    engine: Arc<Engine>,
    endpoints: Arc<Endpoints>,
    settings: WebhookSettings,
    /// Production refuses http destinations...
    production: bool,
    /// ...and private ones, unless allowed.
    guarded: bool,
    http: reqwest::Client,
    /// Deliveries in flight across every endpoint.
    permits: Semaphore,
    workers: DashMap<String, Arc<Worker>>,
    render: Arc<RenderFn>,
    wechat: Option<wechat::Sender>,
    wechat_wake: Notify,
    openid: Arc<OpenIdFn>,
    /// Webhooks deleted through this node and maybe still in the store
    /// `refresh` reads (their deletion is being written).
    deleted: DashMap<String, ()>,
}

/// Records read per page when the outbox scans the store.
const PAGE: usize = 256;
/// Most attempts kept in a webhook's deliveries log; older ones go.
pub const MAX_ATTEMPTS_KEPT: usize = 1000;

impl Outbox {
    /// Loads every webhook, hands the engine the planner, and starts a
    /// delivery task per webhook plus the WeChat task. Call on the runtime
    /// that should run deliveries.
    pub async fn start(
        engine: Arc<Engine>,
        settings: WebhookSettings,
        wechat: &WeChatSettings,
        production: bool,
        render: Arc<RenderFn>,
        openid: Arc<OpenIdFn>,
    ) -> anyhow::Result<Arc<Self>> {
        let wechat = wechat::Sender::new(wechat)?;
        let endpoints = Arc::new(Endpoints {
            wechat: wechat.is_some(),
            ..Endpoints::default()
        });
        for (_, value) in read_space(&engine, records::WEBHOOKS).await? {
            if let Some(hook) = records::decode::<Webhook>(&value) {
                endpoints.insert(Arc::new(hook));
            }
        }
        engine.set_planner(endpoints.clone());
        let guarded = production && !settings.allow_private;
        let http = guard::client(guarded, settings.timeout())?;
        let outbox = Arc::new(Self {
            guarded,
            permits: Semaphore::new(settings.concurrency.max(1)),
            engine,
            endpoints,
            settings,
            production,
            http,
            workers: DashMap::new(),
            render,
            wechat,
            wechat_wake: Notify::new(),
            openid,
            deleted: DashMap::new(),
        });
        for hook in outbox.endpoints.by_id.iter() {
            outbox.spawn_worker(&hook.id);
        }
        if outbox.wechat.is_some() {
            tokio::spawn(wechat::run(Arc::downgrade(&outbox)));
        }
        tokio::spawn(follow_bus(Arc::downgrade(&outbox)));
        if outbox.engine.clustered() {
            tokio::spawn(refresh(Arc::downgrade(&outbox)));
        }
        Ok(outbox)
    }

    /// True if this node delivers now: always on one node; on a cluster
    /// only the holder of the outbox's lease, so that each queued record
    /// is sent once (again only if the holder dies mid-delivery).
    fn delivers(&self) -> bool {
        self.engine.leads(LEAD_JOB)
    }

    /// The registry venues plan with.
    pub fn endpoints(&self) -> &Endpoints {
        &self.endpoints
    }

    fn spawn_worker(self: &Arc<Self>, id: &str) {
        let worker = Arc::new(Worker {
            wake: Notify::new(),
        });
        self.workers.insert(id.to_string(), worker.clone());
        tokio::spawn(worker::run(Arc::downgrade(self), id.to_string(), worker));
    }

    fn wake(&self, webhook: &str) {
        if let Some(w) = self.workers.get(webhook) {
            w.wake.notify_one();
        }
    }

    /// `POST /venues/{id}/webhooks`, for a caller the venue lets manage it
    /// (the HTTP layer checks that). Returns the webhook with its secret.
    pub async fn create(
        self: &Arc<Self>,
        venue: &VenueId,
        url: String,
        events: Vec<String>,
        description: Option<String>,
    ) -> Result<Webhook, OutboxError> {
        let checked = webhooks::check_url(&url, !self.production)?;
        webhooks::check_events(&events)?;
        let description = description.unwrap_or_default();
        if description.chars().count() > webhooks::MAX_DESCRIPTION_CHARS {
            return Err(
                DomainError::invalid("description", "must be at most 500 characters").into(),
            );
        }
        if self.guarded {
            guard::check_destination(&checked)
                .await
                .map_err(|reason| DomainError::invalid("url", reason))?;
        }
        // Made where the venue is written, so that its very next commit
        // plans deliveries to it (the other nodes learn of it by `refresh`).
        self.engine.write_here(venue).await?;
        if self.endpoints.of_venue(venue).len() >= webhooks::MAX_PER_VENUE {
            return Err(DomainError::Limit(format!(
                "a venue has at most {} webhooks; delete one first",
                webhooks::MAX_PER_VENUE
            ))
            .into());
        }
        let hook = Webhook {
            id: crate::ids::new_id(),
            venue_id: venue.clone(),
            url,
            events,
            description,
            secret: new_secret(),
            created_at: self.engine.now(),
        };
        self.write(vec![AuxOp::Put {
            space: records::WEBHOOKS,
            key: hook.id.as_bytes().to_vec(),
            value: records::encode(&hook),
        }])
        .await?;
        // Planned from here on: deliveries start after creation (§11).
        self.endpoints.insert(Arc::new(hook.clone()));
        self.spawn_worker(&hook.id);
        Ok(hook)
    }

    /// `DELETE /webhooks/{id}`: the webhook, its queue and its log go.
    pub async fn delete(&self, id: &str) -> Result<(), OutboxError> {
        let Some(venue) = self.endpoints.get(id).map(|h| h.venue_id.clone()) else {
            return Err(DomainError::NotFound("webhook").into());
        };
        self.engine.write_here(&venue).await?;
        self.deleted.insert(id.to_string(), ());
        let Some(hook) = self.endpoints.remove(id) else {
            return Err(DomainError::NotFound("webhook").into());
        };
        if let Some((_, w)) = self.workers.remove(id) {
            w.wake.notify_one();
        }
        let mut ops = vec![AuxOp::Delete {
            space: records::WEBHOOKS,
            key: hook.id.as_bytes().to_vec(),
        }];
        for space in [records::QUEUE, records::ATTEMPTS] {
            for (key, _) in self.scan(space, &hook.id, usize::MAX).await? {
                ops.push(AuxOp::Delete { space, key });
            }
        }
        self.write(ops).await
    }

    /// A page of a webhook's attempts, newest first, after `cursor`.
    pub async fn attempts(
        &self,
        id: &str,
        after: Option<Vec<u8>>,
        limit: usize,
    ) -> Result<(Vec<(Vec<u8>, Attempt)>, bool), OutboxError> {
        let page = read_range(
            &self.engine,
            records::ATTEMPTS,
            records::prefix(id),
            after,
            limit + 1,
        )
        .await?;
        let mut rows: Vec<(Vec<u8>, Attempt)> = page
            .into_iter()
            .filter_map(|(k, v)| records::decode(&v).map(|a| (k, a)))
            .collect();
        let more = rows.len() > limit;
        rows.truncate(limit);
        Ok((rows, more))
    }

    /// `POST /webhooks/{id}/deliveries/{delivery}/retry`: the attempt's
    /// event is queued again, unless it is still queued (409).
    pub async fn retry(&self, id: &str, delivery: &str) -> Result<Attempt, OutboxError> {
        let hook = self
            .endpoints
            .get(id)
            .ok_or(DomainError::NotFound("webhook"))?;
        let attempt = self
            .scan(records::ATTEMPTS, id, usize::MAX)
            .await?
            .into_iter()
            .filter_map(|(_, v)| records::decode::<Attempt>(&v))
            .find(|a| a.id == delivery)
            .ok_or(DomainError::NotFound("delivery"))?;
        let key = records::queue_key(id, attempt.seq);
        if self.read(records::QUEUE, key.clone()).await?.is_some() {
            return Err(DomainError::Conflict(
                "this delivery is still being tried; wait for it to end".into(),
            )
            .into());
        }
        let store = self.engine.store().clone();
        let (venue, seq) = (hook.venue_id.clone(), attempt.seq);
        let event = tokio::task::spawn_blocking(move || store.events_after(&venue, seq - 1, 1))
            .await
            .map_err(|_| EngineError::Unavailable)?
            .map_err(EngineError::from)?
            .into_iter()
            .find(|e| e.seq == seq)
            .ok_or_else(|| {
                DomainError::Conflict(
                    "the event is older than the history this server keeps".into(),
                )
            })?;
        let (settings, _) = self
            .engine
            .ask(&hook.venue_id, crate::actors::messages::GetVenue)
            .await?;
        let queued = Queued {
            event,
            zone: settings.timezone.name().to_string(),
            venue_name: settings.name,
            template: None,
            queued_at: self.engine.now(),
            attempts: 0,
        };
        self.write(vec![AuxOp::Put {
            space: records::QUEUE,
            key,
            value: records::encode(&queued),
        }])
        .await?;
        self.wake(id);
        Ok(attempt)
    }

    /// Undelivered records (webhooks and WeChat) and the oldest one's age
    /// in seconds, for `/metrics`.
    pub async fn backlog(&self) -> Result<(usize, u64), OutboxError> {
        let now = self.engine.now();
        let mut depth = 0;
        let mut oldest: Option<Timestamp> = None;
        for space in [records::QUEUE, records::WECHAT] {
            for (_, v) in read_space(&self.engine, space).await? {
                depth += 1;
                if let Some(q) = records::decode::<Queued>(&v) {
                    oldest = Some(oldest.map_or(q.queued_at, |o| o.min(q.queued_at)));
                }
            }
        }
        let age = oldest.map_or(0, |o| now.duration_since(o).as_secs().max(0) as u64);
        Ok((depth, age))
    }

    async fn write(&self, ops: Vec<AuxOp>) -> Result<(), OutboxError> {
        if !self.engine.is_ready() {
            return Err(EngineError::Unavailable.into());
        }
        let commit = Commit {
            events: Vec::new(),
            aux: ops,
        };
        match self.engine.writer().submit(commit).await {
            Ok(Ok(())) => Ok(()),
            Ok(Err(e)) => Err(e.into()),
            Err(_) => Err(EngineError::Unavailable.into()),
        }
    }

    async fn read(&self, space: u8, key: Vec<u8>) -> Result<Option<Vec<u8>>, OutboxError> {
        let store = self.engine.store().clone();
        Ok(
            tokio::task::spawn_blocking(move || store.aux_get(space, &key))
                .await
                .map_err(|_| EngineError::Unavailable)?
                .map_err(EngineError::from)?,
        )
    }

    /// Up to `limit` records of `owner` in a space, in key order.
    async fn scan(
        &self,
        space: u8,
        owner: &str,
        limit: usize,
    ) -> Result<Vec<(Vec<u8>, Vec<u8>)>, OutboxError> {
        Ok(read_range(&self.engine, space, records::prefix(owner), None, limit).await?)
    }
}

/// Every record of an auxiliary space.
async fn read_space(engine: &Engine, space: u8) -> Result<Vec<(Vec<u8>, Vec<u8>)>, EngineError> {
    read_range(engine, space, Vec::new(), None, usize::MAX).await
}

/// Up to `limit` records of a space whose keys start with `prefix`, in key
/// order, after the key `after` (from the prefix's first key without one),
/// read page by page on the blocking pool.
async fn read_range(
    engine: &Engine,
    space: u8,
    prefix: Vec<u8>,
    after: Option<Vec<u8>>,
    limit: usize,
) -> Result<Vec<(Vec<u8>, Vec<u8>)>, EngineError> {
    let store = engine.store().clone();
    tokio::task::spawn_blocking(move || {
        let mut out: Vec<(Vec<u8>, Vec<u8>)> = Vec::new();
        // `aux_page` starts just after its key; every owner prefix ends in
        // the 0 separator, so the owner itself is the key just before it.
        let mut cursor = after.or_else(|| prefix.split_last().map(|(_, owner)| owner.to_vec()));
        loop {
            let page = store.aux_page(space, cursor.as_deref(), PAGE)?;
            let short = page.len() < PAGE;
            for (k, v) in page {
                if !k.starts_with(&prefix) {
                    return Ok(out);
                }
                cursor = Some(k.clone());
                out.push((k, v));
                if out.len() >= limit {
                    return Ok(out);
                }
            }
            if short {
                return Ok::<_, crate::store::StoreError>(out);
            }
        }
    })
    .await
    .map_err(|_| EngineError::Unavailable)?
    .map_err(EngineError::from)
}

/// `whsec_` and 32 random bytes, base64url (API v1.1 §7).
fn new_secret() -> String {
    use base64::Engine as _;
    let mut bytes = [0u8; 32];
    getrandom::fill(&mut bytes).unwrap(); // unwrap: the OS random source does not fail on Linux once booted.
    format!(
        "whsec_{}",
        base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes)
    )
}

/// Wakes the tasks an event concerns; all of them when the bus lagged.
async fn follow_bus(outbox: Weak<Outbox>) {
    let Some(mut rx) = outbox.upgrade().map(|o| o.engine.subscribe()) else {
        return;
    };
    loop {
        let received = rx.recv().await;
        let Some(outbox) = outbox.upgrade() else {
            return;
        };
        match received {
            Ok(event) => {
                if let Some(hooks) = outbox.endpoints.by_venue.get(&event.venue_id) {
                    for hook in hooks.iter().filter(|h| h.takes(event.change.name())) {
                        outbox.wake(&hook.id);
                    }
                }
                if matches!(event.change, Change::BookingReminded(_)) {
                    outbox.wechat_wake.notify_one();
                }
            }
            Err(tokio::sync::broadcast::error::RecvError::Lagged(_)) => {
                for w in outbox.workers.iter() {
                    w.wake.notify_one();
                }
                outbox.wechat_wake.notify_one();
            }
            Err(tokio::sync::broadcast::error::RecvError::Closed) => return,
        }
    }
}

/// How long an idle task sleeps before looking at its queue anyway.
const POLL: Duration = Duration::from_secs(30);

/// The cluster-wide job lease of the outbox's deliveries.
const LEAD_JOB: &str = "outbox";

/// How often a cluster node re-reads the webhooks (and a node that does
/// not deliver asks whether it should).
const REFRESH: Duration = Duration::from_secs(1);

/// On a cluster, webhooks made or deleted through another node reach this
/// one through the store: every `REFRESH`, the stored list replaces the
/// one in memory (new ones get a task, deleted ones lose it).
async fn refresh(outbox: Weak<Outbox>) {
    let mut leading = false;
    loop {
        tokio::time::sleep(REFRESH).await;
        let Some(o) = outbox.upgrade() else { return };
        // Taken before the read: a webhook made here after it is not
        // taken for one deleted elsewhere.
        let known: Vec<String> = o.endpoints.by_id.iter().map(|h| h.key().clone()).collect();
        let Ok(rows) = read_space(&o.engine, records::WEBHOOKS).await else {
            continue;
        };
        let stored: Vec<Webhook> = rows
            .into_iter()
            .filter_map(|(_, v)| records::decode::<Webhook>(&v))
            .collect();
        let ids: std::collections::HashSet<&str> = stored.iter().map(|s| s.id.as_str()).collect();
        o.deleted.retain(|id, _| ids.contains(id.as_str()));
        let gone: Vec<String> = known
            .into_iter()
            .filter(|id| !ids.contains(id.as_str()))
            .collect();
        for id in gone {
            o.endpoints.remove(&id);
            if let Some((_, w)) = o.workers.remove(&id) {
                w.wake.notify_one();
            }
        }
        for hook in stored {
            if o.endpoints.get(&hook.id).is_none() && !o.deleted.contains_key(&hook.id) {
                let id = hook.id.clone();
                o.endpoints.insert(Arc::new(hook));
                o.spawn_worker(&id);
            }
        }
        // A node that just took the lease starts at once.
        let now_leading = o.delivers();
        if now_leading && !leading {
            for w in o.workers.iter() {
                w.wake.notify_one();
            }
            o.wechat_wake.notify_one();
        }
        leading = now_leading;
    }
}

/// Counts an attempt's outcome for `/metrics`.
fn count(channel: &'static str, outcome: Outcome) {
    metrics::counter!("outbox_deliveries_total", "channel" => channel, "outcome" => outcome.as_str())
        .increment(1);
}
