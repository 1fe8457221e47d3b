//! `GET /api/v1/ws`: live push over WebSocket. The route checks the
//! caller and answers 101; the upgrade service (`http::upgrade`) then
//! hands the bare socket to a tokio-tungstenite session with small
//! buffers. One task per connection reads client frames and writes the
//! frames the hub queues for it; replay with `since` reads the store's
//! event log.

mod availability;
mod hub;
pub mod protocol;
pub(crate) mod schema;

use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;

use actix_web::rt::net::TcpStream;
use actix_web::{HttpRequest, HttpResponse, web};
use futures::{SinkExt, StreamExt};
use tokio::sync::{Notify, mpsc};
use tokio::time::Instant;
use tokio_tungstenite::WebSocketStream;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::protocol::{CloseFrame, Role as Side, WebSocketConfig};
use tokio_tungstenite::tungstenite::{self, Message, Utf8Bytes};

pub use availability::Groups;
pub use hub::{Hub, webhook_body};
use hub::{Sub, event_frame};
use protocol::{ClientFrame, Frame, Subscription, Topic, Viewer};

use crate::accounts::Role;
use crate::actors::EngineError;
use crate::actors::messages::GetVenue;
use crate::domain::settings::MAX_PARTY;
use crate::domain::{Caller, DomainError, ServiceId, UserId, VenueId};
use crate::http::ErrorCode;
use crate::http::extract::{bearer, query};
use crate::http::limits::{ConnectionSlot, nonzero};
use crate::http::{ApiError, AppState, dto};

/// How often the server pings: often enough to keep proxies' idle timers
/// (commonly 60 s) from cutting a quiet connection.
pub const PING_EVERY: Duration = Duration::from_secs(15);
/// A client silent this long (not even a pong) is gone.
pub const IDLE_TIMEOUT: Duration = Duration::from_secs(45);
/// Subscriptions one connection may hold: a tablet needs a handful.
pub const MAX_SUBSCRIPTIONS: usize = 32;
/// Largest client frame: client frames are small JSON objects.
pub const MAX_FRAME_BYTES: usize = 16 * 1024;
/// Subscribe frames a connection may send per second, after a burst of
/// `MAX_SUBSCRIPTIONS` (a tablet subscribing everything at once): each
/// one asks a venue or reads the store.
pub const SUBSCRIBES_PER_SECOND: u32 = 10;
/// Events read from the store per replay page.
const REPLAY_PAGE: usize = 500;
/// How long a closing handshake may wait for a slow client.
const CLOSE_WAIT: Duration = Duration::from_secs(5);
/// The socket's read buffer to start with: client frames are small JSON
/// objects (it grows for a larger one, up to `MAX_FRAME_BYTES`).
const READ_BUFFER: usize = 2048;

/// Bytes of frames gathered before the socket writes them out (a batch
/// ends sooner with a flush): kept small, since the buffer's allocation
/// stays with the connection.
const WRITE_BATCH: usize = 4096;
/// Queued frames written in one batch before the connection looks at its
/// other duties (a client's frames, pings) again.
const QUEUED_BATCH: usize = 32;

type Socket = WebSocketStream<TcpStream>;

/// Checks the caller and answers 101; a token that is present and invalid
/// is a 401. The session starts once the upgrade service has written the
/// answer and holds the socket (`Accepted::start`).
pub async fn upgrade(
    req: HttpRequest,
    state: web::Data<AppState>,
) -> Result<HttpResponse, ApiError> {
    let (viewer, expires) = viewer(&req, &state)?;
    let mut response = actix_http::ws::handshake(req.head())
        .map_err(|e| ApiError::malformed(e.to_string()))?
        .finish();
    response.extensions_mut().insert(Accepted {
        state: state.into_inner(),
        viewer,
        expires,
        slot: req.conn_data::<ConnectionSlot>().cloned(),
    });
    Ok(HttpResponse::from(response).map_into_boxed_body())
}

/// A socket the route accepted, until the upgrade service hands it over.
pub struct Accepted {
    state: Arc<AppState>,
    viewer: Viewer,
    expires: Option<u64>,
    slot: Option<ConnectionSlot>,
}

impl Accepted {
    /// Runs the session on `io`, of which `read` was already read past the
    /// HTTP request (a client may send its first frame at once).
    pub async fn start(self, io: TcpStream, read: bytes::BytesMut) {
        let config = WebSocketConfig::default()
            .read_buffer_size(READ_BUFFER)
            // Frames are batched only when several are ready at once
            // (`on_frames`, replay pages); every batch ends with a flush.
            .write_buffer_size(WRITE_BATCH)
            .max_frame_size(Some(MAX_FRAME_BYTES))
            .max_message_size(Some(MAX_FRAME_BYTES));
        let socket =
            WebSocketStream::from_partially_read(io, read.to_vec(), Side::Server, Some(config))
                .await;
        let state = self.state;
        let (tx, rx) = mpsc::channel(state.ws_queue.max(1));
        let id = state.hub.connection_id();
        let mut connection = Connection {
            state,
            viewer: self.viewer,
            socket,
            _slot: self.slot,
            id,
            tx,
            rx,
            slow: Arc::new(Notify::new()),
            subs: HashMap::new(),
            bound: None,
            expires: None,
            subscribes: governor::RateLimiter::direct(
                governor::Quota::per_second(nonzero(SUBSCRIBES_PER_SECOND))
                    .allow_burst(nonzero(MAX_SUBSCRIPTIONS as u32)),
            ),
        };
        connection.bind(self.expires);
        connection.run().await;
    }
}

/// The caller of a socket and when their token expires (seconds since the
/// epoch); anonymous without a token.
fn viewer(req: &HttpRequest, state: &AppState) -> Result<(Viewer, Option<u64>), ApiError> {
    let token = match bearer(req) {
        Some(t) => Some(t.to_string()),
        None if req.headers().contains_key("Authorization") => {
            return Err(ApiError::unauthorized("use Authorization: Bearer <token>"));
        }
        None => query(req)?.get("access_token").cloned(),
    };
    match token {
        None => Ok((anonymous(), None)),
        Some(t) => token_viewer(state, &t)
            .map(|(viewer, exp)| (viewer, Some(exp)))
            .ok_or_else(|| ApiError::unauthorized("the token is invalid or expired")),
    }
}

fn anonymous() -> Viewer {
    Viewer {
        user: None,
        admin: false,
    }
}

/// The viewer a valid token names, with its expiry.
fn token_viewer(state: &AppState, token: &str) -> Option<(Viewer, u64)> {
    let claims = state.accounts.tokens().verify(token)?;
    let viewer = Viewer {
        user: Some(UserId::from(claims.sub.as_str())),
        admin: claims.role == Role::Admin,
    };
    Some((viewer, claims.exp))
}

/// The instant (tokio's clock) at which a token expiring at `exp` (wall
/// seconds) runs out.
fn deadline(exp: u64) -> Instant {
    let now = jiff::Timestamp::now().as_second().max(0) as u64;
    Instant::now() + Duration::from_secs(exp.saturating_sub(now))
}

/// What a subscription is, to undo it.
enum Kind {
    Bookings(VenueId),
    User(UserId),
    Availability(availability::Key),
}

struct Active {
    kind: Kind,
    /// Queued event frames up to this seq were already sent (replay seam).
    sent_up_to: u64,
}

/// Why a connection ends.
enum End {
    Gone,
    Slow,
    Shutdown,
    Idle,
    TooBig,
}

enum Step {
    Expired,
    Slow,
    Shutdown,
    Incoming(Option<Result<Message, tungstenite::Error>>),
    Outgoing(Option<Frame>),
    Tick,
}

struct Connection {
    state: Arc<AppState>,
    viewer: Viewer,
    socket: Socket,
    /// Counts this socket against its address's cap while it is open.
    _slot: Option<ConnectionSlot>,
    id: u64,
    /// The queue the hub fills; bounded, so a client that cannot keep up
    /// is noticed instead of buffering without end.
    tx: mpsc::Sender<Frame>,
    rx: mpsc::Receiver<Frame>,
    slow: Arc<Notify>,
    subs: HashMap<Arc<str>, Active>,
    /// The user the socket belongs to once a token named one: a later
    /// `auth` frame must be for the same user.
    bound: Option<UserId>,
    /// When the current token expires (API v1.1 §9).
    expires: Option<Instant>,
    /// Paces subscribe frames (a GCRA: one atomic per connection).
    subscribes: governor::DefaultDirectRateLimiter,
}

impl Connection {
    async fn run(mut self) {
        let open = metrics::gauge!("ws_connections");
        open.increment(1.0);
        self.serve().await;
        open.decrement(1.0);
    }

    async fn serve(&mut self) {
        let mut ping = tokio::time::interval_at(Instant::now() + PING_EVERY, PING_EVERY);
        let mut heard = Instant::now();
        let mut shutdown = self.state.shutdown.subscribe();
        let end = loop {
            if *shutdown.borrow() {
                break End::Shutdown;
            }
            let expiry = self.expires;
            let step = tokio::select! {
                biased;
                _ = self.slow.notified() => Step::Slow,
                () = tokio::time::sleep_until(expiry.unwrap_or_else(Instant::now)), if expiry.is_some() => Step::Expired,
                _ = shutdown.changed() => Step::Shutdown,
                msg = self.socket.next() => Step::Incoming(msg),
                frame = self.rx.recv() => Step::Outgoing(frame),
                _ = ping.tick() => Step::Tick,
            };
            let ended = match step {
                // Boxed: the futures of rare steps (a client's frame, an
                // expiry) hold engine and store calls; inline they would
                // size every idle connection's task for them (measured
                // with massif: the task was 3.7 KiB a connection).
                Step::Expired => Box::pin(self.expire()).await,
                Step::Slow => Some(End::Slow),
                Step::Shutdown => Some(End::Shutdown),
                Step::Incoming(msg) => {
                    heard = Instant::now();
                    Box::pin(self.on_message(msg)).await
                }
                Step::Outgoing(Some(frame)) => self.on_frames(frame).await,
                Step::Outgoing(None) => Some(End::Gone),
                Step::Tick if heard.elapsed() > IDLE_TIMEOUT => Some(End::Idle),
                Step::Tick => self
                    .socket
                    .send(Message::Ping(Default::default()))
                    .await
                    .err()
                    .map(|_| End::Gone),
            };
            if let Some(end) = ended {
                break end;
            }
        };
        let keys: Vec<Arc<str>> = self.subs.keys().cloned().collect();
        for topic in keys {
            self.unsubscribe(&topic);
        }
        let (code, why) = match end {
            End::Gone => return,
            End::Slow => {
                self.state
                    .hub
                    .stats
                    .slow_dropped
                    .fetch_add(1, std::sync::atomic::Ordering::Relaxed);
                (CloseCode::Again, "you cannot keep up; reconnect with since")
            }
            End::Shutdown => (CloseCode::Away, "the server is shutting down"),
            End::Idle => (CloseCode::Normal, "idle timeout"),
            End::TooBig => (CloseCode::Size, "frame too large"),
        };
        let reason = CloseFrame {
            code,
            reason: why.into(),
        };
        let _ = tokio::time::timeout(CLOSE_WAIT, self.socket.close(Some(reason))).await;
    }

    async fn on_message(
        &mut self,
        msg: Option<Result<Message, tungstenite::Error>>,
    ) -> Option<End> {
        match msg {
            None => Some(End::Gone),
            Some(Ok(Message::Close(_))) => {
                // tungstenite queued the closing reply: send it.
                let _ = tokio::time::timeout(CLOSE_WAIT, self.socket.flush()).await;
                Some(End::Gone)
            }
            Some(Err(tungstenite::Error::Capacity(_))) => Some(End::TooBig),
            Some(Err(_)) => Some(End::Gone),
            // tungstenite queued the pong: send it now, not with the next frame.
            Some(Ok(Message::Ping(_))) => self.socket.flush().await.err().map(|_| End::Gone),
            Some(Ok(Message::Pong(_) | Message::Frame(_))) => None,
            Some(Ok(Message::Binary(_))) => {
                self.error(ErrorCode::MalformedRequest, "send text frames of JSON")
                    .await
            }
            Some(Ok(Message::Text(text))) => {
                match serde_json::from_str::<ClientFrame>(text.as_str()) {
                    Err(e) => {
                        self.error(
                            ErrorCode::MalformedRequest,
                            &format!("not a frame this server understands: {e}"),
                        )
                        .await
                    }
                    Ok(ClientFrame::Ping) => self.send(protocol::pong()).await,
                    Ok(ClientFrame::Auth { access_token }) => self.auth(&access_token).await,
                    Ok(ClientFrame::Unsubscribe { topic }) => {
                        self.unsubscribe(&topic);
                        None
                    }
                    Ok(ClientFrame::Subscribe { .. }) if self.subscribes.check().is_err() => {
                        self.error(
                            ErrorCode::RateLimited,
                            "too many subscribe frames; slow down",
                        )
                        .await
                    }
                    Ok(ClientFrame::Subscribe(frame)) => self.subscribe(frame).await,
                }
            }
        }
    }

    /// Binds the socket to a token's expiry and remembers its user.
    fn bind(&mut self, exp: Option<u64>) {
        self.expires = exp.map(deadline);
        if self.bound.is_none() {
            self.bound = self.viewer.user.clone();
        }
    }

    /// The `auth` frame: a fresh token of the same user renews the socket;
    /// another user's, or an invalid one, changes nothing.
    async fn auth(&mut self, token: &str) -> Option<End> {
        let fresh = token_viewer(&self.state, token)
            .filter(|(v, _)| self.bound.is_none() || v.user == self.bound);
        let Some((viewer, exp)) = fresh else {
            return self
                .error(
                    ErrorCode::Unauthorized,
                    "not a valid token of this socket's user; nothing changed",
                )
                .await;
        };
        self.viewer = viewer;
        self.bind(Some(exp));
        let at = jiff::Timestamp::from_second(exp as i64).unwrap_or(jiff::Timestamp::MAX);
        let text = dto::utc(at);
        self.send(protocol::authed(&text)).await
    }

    /// The token ran out: the topics that needed it end with
    /// `token_expired`; availability goes on; the socket is anonymous
    /// until an `auth` frame.
    async fn expire(&mut self) -> Option<End> {
        self.expires = None;
        self.viewer = anonymous();
        let ended: Vec<Arc<str>> = self
            .subs
            .iter()
            .filter(|(_, a)| matches!(a.kind, Kind::Bookings(_) | Kind::User(_)))
            .map(|(topic, _)| topic.clone())
            .collect();
        for topic in ended {
            self.unsubscribe(&topic);
            if let Some(end) = self.send(protocol::token_expired(&topic)).await {
                return Some(end);
            }
        }
        None
    }

    /// Writes a queued frame and what is already queued behind it (up to
    /// `QUEUED_BATCH`), then flushes once: a burst leaves in a few writes,
    /// not one per frame.
    async fn on_frames(&mut self, first: Frame) -> Option<End> {
        let mut next = Some(first);
        let mut taken = 0;
        while let Some(frame) = next.take() {
            if let Some(text) = self.admit(frame)
                && let Some(end) = self.write(text).await
            {
                return Some(end);
            }
            taken += 1;
            if taken < QUEUED_BATCH {
                next = self.rx.try_recv().ok();
            }
        }
        self.flush().await
    }

    /// A queued frame's text, unless the replay seam or an unsubscribe
    /// makes it stale.
    fn admit(&mut self, frame: Frame) -> Option<Utf8Bytes> {
        match self.subs.get(&frame.topic) {
            Some(active) if frame.seq != 0 && frame.seq <= active.sent_up_to => return None,
            None => return None,
            _ => {}
        }
        if frame.ends {
            self.subs.remove(&frame.topic);
        }
        Some(frame.text)
    }

    /// Writes a frame now.
    async fn send(&mut self, text: impl Into<Utf8Bytes>) -> Option<End> {
        match self.write(text).await {
            None => self.flush().await,
            end => end,
        }
    }

    /// Adds a frame to the socket's write buffer (written out once it holds
    /// `WRITE_BATCH`); a slow signal interrupts a write the client does not
    /// take.
    async fn write(&mut self, text: impl Into<Utf8Bytes>) -> Option<End> {
        tokio::select! {
            fed = self.socket.feed(Message::Text(text.into())) => fed.err().map(|_| End::Gone),
            _ = self.slow.notified() => Some(End::Slow),
        }
    }

    /// Writes out what `write` buffered.
    async fn flush(&mut self) -> Option<End> {
        tokio::select! {
            flushed = self.socket.flush() => flushed.err().map(|_| End::Gone),
            _ = self.slow.notified() => Some(End::Slow),
        }
    }

    async fn error(&mut self, code: ErrorCode, message: &str) -> Option<End> {
        self.send(protocol::error(code, message)).await
    }

    fn unsubscribe(&mut self, topic: &str) {
        let Some(active) = self.subs.remove(topic) else {
            return;
        };
        match active.kind {
            Kind::Bookings(venue) => self.state.hub.remove_bookings(&venue, self.id),
            Kind::User(user) => self.state.hub.remove_user(&user, self.id),
            Kind::Availability(key) => self.state.groups.leave(&key, self.id),
        }
    }

    async fn subscribe(&mut self, frame: Subscription) -> Option<End> {
        let Subscription {
            topic,
            date,
            party_size,
            service_id,
            since,
        } = frame;
        let Some(parsed) = Topic::parse(&topic) else {
            return self
                .error(
                    ErrorCode::ValidationFailed,
                    "topic must be venue:{id}:bookings, venue:{id}:availability or user:bookings",
                )
                .await;
        };
        self.unsubscribe(&topic);
        if self.subs.len() >= MAX_SUBSCRIPTIONS {
            return self
                .error(
                    ErrorCode::ValidationFailed,
                    &format!("at most {MAX_SUBSCRIPTIONS} subscriptions per connection"),
                )
                .await;
        }
        let topic: Arc<str> = topic.into();
        let sub = Sub {
            conn: self.id,
            topic: topic.clone(),
            tx: self.tx.clone(),
            slow: self.slow.clone(),
            viewer: self.viewer.clone(),
        };
        match parsed {
            Topic::UserBookings => {
                let Some(user) = self.viewer.user.clone() else {
                    return self
                        .error(ErrorCode::Forbidden, "log in to follow your bookings")
                        .await;
                };
                self.state.hub.add_user(&user, sub);
                self.subs.insert(
                    topic.clone(),
                    Active {
                        kind: Kind::User(user),
                        sent_up_to: 0,
                    },
                );
                self.send(protocol::subscribed(&topic, 0)).await
            }
            Topic::VenueAvailability(venue) => {
                let service = service_id.as_deref().map(ServiceId::from);
                self.subscribe_availability(topic, (venue, date, party_size, service), sub)
                    .await
            }
            Topic::VenueBookings(venue) => self.subscribe_bookings(topic, venue, since, sub).await,
        }
    }

    async fn subscribe_availability(
        &mut self,
        topic: Arc<str>,
        (venue, date, party, service): (VenueId, Option<String>, Option<u32>, Option<ServiceId>),
        sub: Sub,
    ) -> Option<End> {
        let date = match date.as_deref().map(|d| dto::parse_date("date", d)) {
            Some(Ok(d)) => d,
            _ => {
                return self
                    .error(
                        ErrorCode::ValidationFailed,
                        "date: a date as YYYY-MM-DD is required",
                    )
                    .await;
            }
        };
        let Some(party) = party.filter(|p| (1..=MAX_PARTY).contains(p)) else {
            return self
                .error(
                    ErrorCode::ValidationFailed,
                    "party_size: 1 to 1000 is required",
                )
                .await;
        };
        let key = (venue, date, party, service);
        let s = &self.state;
        match s
            .groups
            .join(&s.engine, &s.hub, &s.zones, key.clone(), sub)
            .await
        {
            Ok(seq) => {
                self.subs.insert(
                    topic.clone(),
                    Active {
                        kind: Kind::Availability(key),
                        sent_up_to: 0,
                    },
                );
                self.send(protocol::subscribed(&topic, seq)).await
            }
            Err(EngineError::VenueNotFound) => {
                self.error(ErrorCode::NotFound, "venue not found").await
            }
            Err(EngineError::Domain(DomainError::Invalid { field, reason })) => {
                self.error(ErrorCode::ValidationFailed, &format!("{field}: {reason}"))
                    .await
            }
            Err(e) => {
                tracing::warn!(error = %e, "availability subscription failed");
                self.error(ErrorCode::Internal, "internal error").await
            }
        }
    }

    /// Staff and admin only. Registers first, then replays from the store,
    /// so that together they miss nothing; the seam is deduplicated by seq.
    async fn subscribe_bookings(
        &mut self,
        topic: Arc<str>,
        venue: VenueId,
        since: Option<u64>,
        sub: Sub,
    ) -> Option<End> {
        let Some(user) = self.viewer.user.clone() else {
            return self
                .error(
                    ErrorCode::Forbidden,
                    "only venue staff may follow a venue's bookings",
                )
                .await;
        };
        self.state.hub.add_bookings(&venue, sub);
        self.subs.insert(
            topic.clone(),
            Active {
                kind: Kind::Bookings(venue.clone()),
                sent_up_to: u64::MAX,
            },
        );
        let (settings, now) = match self.state.engine.ask(&venue, GetVenue).await {
            Ok(v) => v,
            Err(e) => {
                self.unsubscribe(&topic);
                return match e {
                    EngineError::VenueNotFound => {
                        self.error(ErrorCode::NotFound, "venue not found").await
                    }
                    _ => self.error(ErrorCode::Internal, "internal error").await,
                };
            }
        };
        if !settings.managed_by(&Caller {
            user,
            admin: self.viewer.admin,
        }) {
            self.unsubscribe(&topic);
            return self
                .error(
                    ErrorCode::Forbidden,
                    "only venue staff may follow a venue's bookings",
                )
                .await;
        }
        let Some(since) = since else {
            self.subs.insert(
                topic.clone(),
                Active {
                    kind: Kind::Bookings(venue),
                    sent_up_to: now,
                },
            );
            return self.send(protocol::subscribed(&topic, now)).await;
        };
        let oldest = self
            .state
            .engine
            .oldest_event(venue.clone())
            .await
            .ok()
            .flatten();
        let missed_forgotten = since < now && oldest.is_none_or(|o| o > since + 1);
        if since > now || missed_forgotten {
            self.unsubscribe(&topic);
            return self.send(protocol::resync(&topic)).await;
        }
        if let Some(end) = self.send(protocol::subscribed(&topic, now)).await {
            return Some(end);
        }
        let mut last = since;
        loop {
            let page = self
                .state
                .engine
                .events_after(venue.clone(), last, REPLAY_PAGE)
                .await
                .unwrap_or_default();
            for event in &page {
                if let Some(end) = self
                    .write(event_frame(&topic, event, &settings.timezone).text)
                    .await
                {
                    return Some(end);
                }
                last = event.seq;
            }
            if let Some(end) = self.flush().await {
                return Some(end);
            }
            if page.len() < REPLAY_PAGE {
                break;
            }
        }
        self.subs.insert(
            topic,
            Active {
                kind: Kind::Bookings(venue),
                sent_up_to: last,
            },
        );
        None
    }
}
