//! `Idempotency-Key` on the POSTs that create a hold or a booking: the first
//! successful response is kept 24 h (in the store, written in the same
//! commit as the change) and replayed for the same key and user; the same
//! key with another request is `idempotency_key_reused`.

use std::sync::Arc;

use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use dashmap::DashMap;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};
use tokio::sync::{Mutex, OwnedMutexGuard};

use crate::actors::Engine;
use crate::actors::EngineError;
use crate::actors::venue::RecordWith;
use crate::domain::time::micros;
use crate::domain::{Reply, UserId, VenueSettings};
use crate::http::{ApiError, ErrorCode};

/// How long a response is replayed (API.md).
pub const KEEP: SignedDuration = SignedDuration::from_hours(24);

#[derive(Serialize, Deserialize)]
struct Record {
    fingerprint: Vec<u8>,
    status: u16,
    body: Vec<u8>,
    #[serde(with = "micros")]
    created_at: Timestamp,
}

/// Per-key locks so that concurrent copies of one request run once. A
/// `DashMap` of tokio mutexes: held across the venue's commit.
#[derive(Default)]
pub struct Idempotency {
    locks: DashMap<Vec<u8>, Arc<Mutex<()>>>,
}

/// A request that carries a key, holding that key's lock.
struct Keyed {
    slot: Vec<u8>,
    fingerprint: Vec<u8>,
    _guard: OwnedMutexGuard<()>,
}

/// Renders a reply as the response body, the same way the handler does.
pub type Render = fn(&Reply, &VenueSettings) -> serde_json::Value;

/// What a creating request came to.
pub enum Once {
    /// The kept response of an earlier copy of this request.
    Replayed(HttpResponse),
    /// The command's own result.
    Ran(Result<Reply, EngineError>),
}

/// What to do with a keyed request.
enum Decision {
    /// Run it, recording the response with `Keyed::record`.
    Run(Keyed),
    /// Answer with the kept response.
    Replay(HttpResponse),
}

/// The `Idempotency-Key` header, checked: 1-255 printable ASCII characters.
fn key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    let Some(value) = req.headers().get("Idempotency-Key") else {
        return Ok(None);
    };
    let text = value
        .to_str()
        .ok()
        .filter(|t| (1..=255).contains(&t.len()) && t.bytes().all(|b| (0x20..=0x7e).contains(&b)));
    text.map(|t| Some(t.to_string())).ok_or_else(|| {
        ApiError::invalid(
            "Idempotency-Key",
            "must be 1 to 255 printable ASCII characters",
        )
    })
}

impl Idempotency {
    /// Runs a creating command under the request's `Idempotency-Key`, if
    /// any: `run` gets the record to store with the change; a kept response
    /// is replayed instead of running it again.
    #[allow(clippy::too_many_arguments)]
    pub async fn once<F, Fut>(
        &self,
        engine: &Engine,
        user: &UserId,
        req: &HttpRequest,
        body: &[u8],
        now: Timestamp,
        render: Render,
        run: F,
    ) -> Result<Once, ApiError>
    where
        F: FnOnce(Option<RecordWith>) -> Fut,
        Fut: std::future::Future<Output = Result<Reply, EngineError>>,
    {
        let keyed = match key(req)? {
            Some(k) => match self.begin(engine, user, &k, req, body, now).await? {
                Decision::Replay(response) => return Ok(Once::Replayed(response)),
                Decision::Run(keyed) => Some(keyed),
            },
            None => None,
        };
        let record = keyed
            .as_ref()
            .map(|k| k.record(StatusCode::CREATED, now, render));
        let result = run(record).await;
        if let Some(k) = keyed {
            self.finish(k);
        }
        Ok(Once::Ran(result))
    }

    /// Takes the key's lock, then replays a kept response or says to run.
    async fn begin(
        &self,
        engine: &Engine,
        user: &UserId,
        key: &str,
        req: &HttpRequest,
        body: &[u8],
        now: Timestamp,
    ) -> Result<Decision, ApiError> {
        let mut slot = user.as_str().as_bytes().to_vec();
        slot.push(0);
        slot.extend_from_slice(key.as_bytes());
        let mut hasher = Sha256::new();
        hasher.update(req.method().as_str());
        hasher.update([0]);
        hasher.update(req.path());
        hasher.update([0]);
        hasher.update(body);
        let fingerprint = hasher.finalize().to_vec();
        let lock = self.locks.entry(slot.clone()).or_default().clone();
        let guard = lock.lock_owned().await;
        if let Some(bytes) = engine.idempotency_record(slot.clone()).await? {
            let record: Option<Record> = postcard::from_bytes(&bytes).ok();
            if let Some(record) =
                record.filter(|r| r.created_at.saturating_add(KEEP).unwrap_or(Timestamp::MAX) > now)
            {
                if record.fingerprint != fingerprint {
                    return Err(ApiError::new(
                        ErrorCode::IdempotencyKeyReused,
                        "this Idempotency-Key was used with a different request",
                    ));
                }
                let status = StatusCode::from_u16(record.status).unwrap_or(StatusCode::OK);
                return Ok(Decision::Replay(
                    HttpResponse::build(status)
                        .content_type("application/json")
                        .insert_header(("Idempotent-Replayed", "true"))
                        .body(record.body),
                ));
            }
        }
        Ok(Decision::Run(Keyed {
            slot,
            fingerprint,
            _guard: guard,
        }))
    }

    /// Drops the lock entry of a finished key when nobody else waits on it.
    fn finish(&self, keyed: Keyed) {
        let slot = keyed.slot.clone();
        drop(keyed);
        self.locks
            .remove_if(&slot, |_, lock| Arc::strong_count(lock) == 1);
    }
}

/// Forgets idempotency records older than `KEEP` (they are no longer
/// replayed). Returns how many went.
pub async fn sweep(engine: &Engine, now: Timestamp) -> Result<usize, EngineError> {
    let space = crate::actors::venue::IDEMPOTENCY_SPACE;
    engine
        .sweep_aux(space, move |value| {
            postcard::from_bytes::<Record>(value).map_or(true, |r| {
                r.created_at.saturating_add(KEEP).unwrap_or(Timestamp::MAX) <= now
            })
        })
        .await
}

impl Keyed {
    /// The record to store with the change: `render` makes the response
    /// body from the reply, exactly as the handler will send it.
    pub fn record(
        &self,
        status: StatusCode,
        now: Timestamp,
        render: fn(&Reply, &VenueSettings) -> serde_json::Value,
    ) -> RecordWith {
        let (slot, fingerprint) = (self.slot.clone(), self.fingerprint.clone());
        RecordWith(Arc::new(move |reply, settings| {
            let record = Record {
                fingerprint: fingerprint.clone(),
                status: status.as_u16(),
                body: render(reply, settings).to_string().into_bytes(),
                created_at: now,
            };
            let value = postcard::to_stdvec(&record).unwrap(); // unwrap: the record always serializes.
            (slot.clone(), value)
        }))
    }
}
