//! Live push with a real WebSocket client.

use std::sync::atomic::Ordering;
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;

use crate::helpers::*;

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub(crate) struct Ws(Socket);

pub(crate) async fn connect(app: &TestApp, token: Option<&str>) -> Ws {
    connect_to(&app.address, token).await
}

/// A socket to the server whose API root is `api` (`http://…/api/v1`).
pub(crate) async fn connect_to(api: &str, token: Option<&str>) -> Ws {
    let url = format!("{}/ws", api.replacen("http", "ws", 1));
    let mut request = url.into_client_request().unwrap();
    if let Some(t) = token {
        request
            .headers_mut()
            .insert("Authorization", format!("Bearer {t}").parse().unwrap());
    }
    let (socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the upgrade succeeds");
    Ws(socket)
}

impl Ws {
    pub(crate) async fn send(&mut self, frame: Value) {
        self.0.send(Message::text(frame.to_string())).await.unwrap();
    }

    /// The next JSON frame (pings answered by the client library).
    pub(crate) async fn next(&mut self) -> Value {
        self.next_within(10).await.expect("a frame within 10 s")
    }

    /// The next JSON frame, if one comes within `secs`.
    pub(crate) async fn next_within(&mut self, secs: u64) -> Option<Value> {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(secs);
        loop {
            let msg = tokio::time::timeout_at(deadline, self.0.next())
                .await
                .ok()?
                .expect("the socket is open")
                .unwrap();
            if let Message::Text(text) = msg {
                return Some(serde_json::from_str(&text).unwrap());
            }
        }
    }

    /// The code of the close frame the server sends next (within 10 s),
    /// skipping other frames; None if the socket ends without one.
    pub(crate) async fn close_code(&mut self) -> Option<CloseCode> {
        tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match self.0.next().await {
                    Some(Ok(Message::Close(frame))) => return frame.map(|f| f.code),
                    Some(Ok(_)) => continue,
                    _ => return None,
                }
            }
        })
        .await
        .expect("a close frame within 10 s")
    }

    pub(crate) async fn subscribe(&mut self, frame: Value) -> Value {
        self.send(frame).await;
        let answer = self.next().await;
        assert_eq!(answer["type"], "subscribed", "{answer}");
        answer
    }
}

struct World {
    app: TestApp,
    venue: String,
    staff: String,
    ann: String,
}

async fn world_with(adjust: impl FnOnce(&mut booking_engine::settings::Settings)) -> World {
    let app = spawn_app_with(adjust).await;
    let venue = app.create_venue(&restaurant(json!([{"id": "t1", "name": "T1", "capacity": 4, "mode": "exclusive"}, {"id": "bar", "name": "Bar", "capacity": 10, "mode": "shared"}]))).await;
    let (staff, staff_id) = app.register("staff@example.com").await;
    app.request(
        reqwest::Method::PUT,
        &format!("/venues/{venue}/staff/{staff_id}"),
        Some(&app.admin),
        None,
    )
    .await;
    let (ann, _) = app.register("ann@example.com").await;
    World {
        app,
        venue,
        staff,
        ann,
    }
}

impl World {
    async fn book(&self, days: i64, party: u32) -> Value {
        let r = self
            .app
            .post(
                &format!("/venues/{}/bookings", self.venue),
                Some(&self.ann),
                &json!({"start": evening_text(days), "party_size": party}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 201);
        body(r).await
    }

    fn bookings_topic(&self) -> String {
        format!("venue:{}:bookings", self.venue)
    }
}

#[actix_rt::test]
async fn a_booking_made_over_rest_reaches_staff_and_anonymous_availability_subscribers() {
    let w = world_with(|_| {}).await;
    let mut staff = connect(&w.app, Some(&w.staff)).await;
    let subscribed = staff
        .subscribe(json!({"type": "subscribe", "topic": w.bookings_topic()}))
        .await;
    let seq = subscribed["seq"].as_u64().unwrap();
    let mut anon = connect(&w.app, None).await;
    let date = &evening_text(2)[..10];
    let topic = format!("venue:{}:availability", w.venue);
    anon.subscribe(json!({"type": "subscribe", "topic": topic, "date": date, "party_size": 4}))
        .await;

    // Ten fill the bar: where it overlaps, only the table for four is left.
    let booked = w.book(2, 10).await;
    let event = staff.next().await;
    assert_eq!(
        (
            event["type"].as_str(),
            event["event"].as_str(),
            event["seq"].as_u64()
        ),
        (Some("event"), Some("booking.created"), Some(seq + 1))
    );
    assert_eq!(event["data"], booked);
    let change = anon.next().await;
    assert_eq!(
        (
            change["type"].as_str(),
            change["topic"].as_str(),
            change["party_size"].as_u64()
        ),
        (Some("availability"), Some(topic.as_str()), Some(4))
    );
    let slots = change["slots"].as_array().unwrap();
    assert!(!slots.is_empty());
    assert!(
        slots.iter().any(|s| s["start"] == booked["start"]
            && s["max_party"] == 4
            && s["available"] == true),
        "{change}"
    );
    assert!(
        slots
            .iter()
            .all(|s| s["start"].as_str().unwrap().starts_with(date))
    );
}

#[actix_rt::test]
async fn a_resumed_subscription_gets_exactly_the_missed_events_then_live_ones() {
    let w = world_with(|_| {}).await;
    let mut staff = connect(&w.app, Some(&w.staff)).await;
    staff
        .subscribe(json!({"type": "subscribe", "topic": w.bookings_topic()}))
        .await;
    w.book(2, 2).await;
    let last_seen = staff.next().await["seq"].as_u64().unwrap();
    drop(staff);

    for days in 3..6 {
        w.book(days, 2).await;
    }
    let mut again = connect(&w.app, Some(&w.staff)).await;
    again
        .subscribe(json!({"type": "subscribe", "topic": w.bookings_topic(), "since": last_seen}))
        .await;
    for expected in last_seen + 1..=last_seen + 3 {
        let e = again.next().await;
        assert_eq!(
            (e["seq"].as_u64(), e["event"].as_str()),
            (Some(expected), Some("booking.created")),
            "{e}"
        );
    }
    w.book(6, 2).await;
    let live = again.next().await;
    assert_eq!(
        live["seq"].as_u64(),
        Some(last_seen + 4),
        "live after the replay, no gap, no repeat"
    );
}

#[actix_rt::test]
async fn since_older_than_the_kept_history_asks_for_a_resync() {
    let w = world_with(|s| s.store.keep_events = 3).await;
    for days in 2..7 {
        w.book(days, 2).await;
    }
    let mut staff = connect(&w.app, Some(&w.staff)).await;
    staff
        .send(json!({"type": "subscribe", "topic": w.bookings_topic(), "since": 1}))
        .await;
    let answer = staff.next().await;
    assert_eq!(
        (answer["type"].as_str(), answer["topic"].as_str()),
        (Some("resync"), Some(w.bookings_topic().as_str()))
    );
    // A since within the window works.
    let seq = body(w.app.get(&format!("/venues/{}", w.venue), None).await).await["seq"]
        .as_u64()
        .unwrap();
    staff
        .subscribe(json!({"type": "subscribe", "topic": w.bookings_topic(), "since": seq - 2}))
        .await;
    assert_eq!(staff.next().await["seq"].as_u64(), Some(seq - 1));
    assert_eq!(staff.next().await["seq"].as_u64(), Some(seq));
}

#[actix_rt::test]
async fn a_subscriber_that_never_reads_is_dropped_while_another_keeps_receiving() {
    let w = world_with(|s| s.ws.queue = 8).await;
    // Big frames fill the socket buffers quickly: a venue of 300 resources
    // with long names makes every venue.updated event about 45 KB.
    let resources: Vec<Value> = (0..300).map(|i| json!({"id": format!("r{i}"), "name": format!("{i:0>100}"), "capacity": 4, "mode": "exclusive"})).collect();
    let r = w
        .app
        .patch(
            &format!("/venues/{}", w.venue),
            Some(&w.app.admin),
            &json!({"resources": resources}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let mut slow = connect(&w.app, Some(&w.staff)).await;
    slow.subscribe(json!({"type": "subscribe", "topic": w.bookings_topic()}))
        .await;
    let mut fast = connect(&w.app, Some(&w.staff)).await;
    let first = fast
        .subscribe(json!({"type": "subscribe", "topic": w.bookings_topic()}))
        .await["seq"]
        .as_u64()
        .unwrap();
    // About 20 MB of frames: twice what default socket buffers (4 + 6 MB) hold.
    const CHANGES: u64 = 450;
    let reader = tokio::spawn(async move {
        let mut seqs = Vec::new();
        while (seqs.len() as u64) < CHANGES {
            seqs.push(fast.next().await["seq"].as_u64().unwrap());
        }
        seqs
    });
    for i in 0..CHANGES {
        let r = w
            .app
            .patch(
                &format!("/venues/{}", w.venue),
                Some(&w.staff),
                &json!({"name": format!("Lotus {i}")}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 200, "changes keep succeeding");
    }
    let seqs = reader.await.unwrap();
    assert_eq!(
        seqs,
        (first + 1..=first + CHANGES).collect::<Vec<_>>(),
        "the fast subscriber got everything in order"
    );
    assert_eq!(
        w.app.state.hub.stats.slow_dropped.load(Ordering::Relaxed),
        1
    );
    // The slow one, reading at last, finds its connection closed.
    let ended = tokio::time::timeout(Duration::from_secs(20), async {
        while let Some(msg) = slow.0.next().await {
            match msg {
                Ok(Message::Close(frame)) => return frame.map(|f| f.code),
                Ok(_) => continue,
                Err(_) => return None,
            }
        }
        None
    })
    .await
    .expect("the slow connection ends");
    assert!(
        matches!(
            ended,
            None | Some(CloseCode::Again) | Some(CloseCode::Policy)
        ),
        "{ended:?}"
    );
}

#[actix_rt::test]
async fn a_customer_cannot_follow_a_venues_bookings_and_errors_leave_the_socket_usable() {
    let w = world_with(|_| {}).await;
    let mut ann = connect(&w.app, Some(&w.ann)).await;
    ann.send(json!({"type": "subscribe", "topic": w.bookings_topic()}))
        .await;
    assert_eq!(ann.next().await["code"], "forbidden");
    ann.0.send(Message::text("{not json")).await.unwrap();
    assert_eq!(ann.next().await["code"], "malformed_request");
    ann.send(json!({"type": "dance"})).await;
    assert_eq!(ann.next().await["type"], "error");
    ann.send(json!({"type": "subscribe", "topic": "venue:x:holds"}))
        .await;
    assert_eq!(ann.next().await["code"], "validation_failed");
    ann.send(json!({"type": "ping"})).await;
    assert_eq!(ann.next().await, json!({"type": "pong"}));
    // Her own bookings she may follow; someone else's never reach her.
    ann.subscribe(json!({"type": "subscribe", "topic": "user:bookings"}))
        .await;
    let (bob, _) = w.app.register("bob@example.com").await;
    w.app
        .post(
            &format!("/venues/{}/bookings", w.venue),
            Some(&bob),
            &json!({"start": evening_text(3), "party_size": 2}),
        )
        .await;
    let mine = w.book(2, 2).await;
    let e = ann.next().await;
    assert_eq!(
        (e["topic"].as_str(), e["data"]["id"].clone()),
        (Some("user:bookings"), mine["id"].clone())
    );
    let mut anon = connect(&w.app, None).await;
    anon.send(json!({"type": "subscribe", "topic": "user:bookings"}))
        .await;
    assert_eq!(anon.next().await["code"], "forbidden");
}

#[actix_rt::test]
async fn a_bad_token_refuses_the_upgrade_and_a_query_token_works() {
    let w = world_with(|_| {}).await;
    let url = format!(
        "{}/ws?access_token=forged",
        w.app.address.replacen("http", "ws", 1)
    );
    let refused = tokio_tungstenite::connect_async(url).await;
    assert!(
        matches!(refused, Err(tokio_tungstenite::tungstenite::Error::Http(ref r)) if r.status().as_u16() == 401),
        "{refused:?}"
    );
    let url = format!(
        "{}/ws?access_token={}",
        w.app.address.replacen("http", "ws", 1),
        w.staff
    );
    let (socket, _) = tokio_tungstenite::connect_async(url).await.unwrap();
    let mut staff = Ws(socket);
    staff
        .subscribe(json!({"type": "subscribe", "topic": w.bookings_topic()}))
        .await;
}

#[actix_rt::test]
async fn an_expired_hold_is_pushed_and_its_capacity_comes_back() {
    let w = world_with(|s| s.hold_ttl_seconds = 1).await;
    let mut staff = connect(&w.app, Some(&w.staff)).await;
    staff
        .subscribe(json!({"type": "subscribe", "topic": w.bookings_topic()}))
        .await;
    let start = evening_text(2);
    let r = w
        .app
        .post(
            &format!("/venues/{}/holds", w.venue),
            Some(&w.ann),
            &json!({"start": start, "party_size": 10}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let hold = body(r).await;
    assert_eq!(staff.next().await["event"], "hold.created");
    // The venue's own timer expires it one second later.
    let expired = staff.next().await;
    assert_eq!(
        (
            expired["event"].as_str(),
            expired["data"]["id"].clone(),
            expired["data"]["status"].as_str()
        ),
        (Some("hold.expired"), hold["id"].clone(), Some("expired"))
    );
    let a = body(
        w.app
            .get(
                &format!(
                    "/venues/{}/availability?date={}&party_size=10",
                    w.venue,
                    &start[..10]
                ),
                None,
            )
            .await,
    )
    .await;
    let slot = a["slots"]
        .as_array()
        .unwrap()
        .iter()
        .find(|s| s["start"] == start.as_str())
        .unwrap()
        .clone();
    assert_eq!(
        (slot["max_party"].as_u64(), slot["available"].as_bool()),
        (Some(10), Some(true))
    );
}

/// One raw HTTP/1.1 request on a fresh connection; the whole answer,
/// read until the server closes.
async fn raw(app: &TestApp, request: &str) -> String {
    use tokio::io::{AsyncReadExt, AsyncWriteExt};
    let host = app.address.trim_start_matches("http://");
    let host = &host[..host.find('/').unwrap()];
    let mut tcp = tokio::net::TcpStream::connect(host).await.unwrap();
    tcp.write_all(request.as_bytes()).await.unwrap();
    let mut answer = Vec::new();
    tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut answer))
        .await
        .expect("the server closes after answering")
        .unwrap();
    String::from_utf8_lossy(&answer).into_owned()
}

// Requests that ask to switch protocols go through the upgrade service:
// anything but the WebSocket route gets its usual answer, then the
// connection closes (the client asked to leave HTTP).
#[actix_rt::test]
async fn upgrade_requests_elsewhere_get_the_routes_own_answers() {
    let w = world_with(|_| {}).await;
    let health = raw(
        &w.app,
        "GET /health HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
    )
    .await;
    assert!(health.starts_with("HTTP/1.1 200"), "{health}");
    assert!(
        health.contains("x-content-type-options: nosniff"),
        "{health}"
    );
    let key = "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13";
    let elsewhere = raw(
        &w.app,
        &format!("GET /api/v1/nowhere HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n{key}\r\n\r\n"),
    )
    .await;
    assert!(elsewhere.starts_with("HTTP/1.1 404"), "{elsewhere}");
    assert!(elsewhere.contains("\"not_found\""), "{elsewhere}");
    let refused = raw(
        &w.app,
        &format!("GET /api/v1/ws?access_token=forged HTTP/1.1\r\nHost: x\r\nConnection: Upgrade\r\nUpgrade: websocket\r\n{key}\r\n\r\n"),
    )
    .await;
    assert!(refused.starts_with("HTTP/1.1 401"), "{refused}");
    // The WebSocket route answers 101 with the accept key of RFC 6455.
    let mut socket = connect(&w.app, None).await;
    socket.send(json!({"type": "ping"})).await;
    assert_eq!(socket.next().await["type"], "pong");
}

#[actix_rt::test]
async fn shutdown_closes_sockets_with_1001() {
    let w = world_with(|_| {}).await;
    let mut staff = connect(&w.app, Some(&w.staff)).await;
    staff
        .subscribe(json!({"type": "subscribe", "topic": w.bookings_topic()}))
        .await;
    w.app.shut_down();
    let closed = staff.close_code().await;
    assert_eq!(closed, Some(CloseCode::Away));
}

#[actix_rt::test]
async fn a_frame_over_the_limit_closes_the_socket_with_1009_and_others_go_on() {
    let w = world_with(|_| {}).await;
    let mut big = connect(&w.app, None).await;
    let mut other = connect(&w.app, None).await;
    let padding = "x".repeat(booking_engine::http::ws::MAX_FRAME_BYTES + 1);
    big.0
        .send(Message::text(
            json!({"type": "ping", "pad": padding}).to_string(),
        ))
        .await
        .unwrap();
    let closed = big.close_code().await;
    assert_eq!(closed, Some(CloseCode::Size));
    other.send(json!({"type": "ping"})).await;
    assert_eq!(other.next().await["type"], "pong");
}

/// A token of the same user as `token` that expires `seconds` from now.
fn expiring(w: &World, token: &str, seconds: u64) -> String {
    let tokens = w.app.state.accounts.tokens();
    let claims = tokens.verify(token).unwrap();
    let now = jiff::Timestamp::now().as_second() as u64;
    tokens.issue(&claims.sub, claims.role, now + seconds - tokens.access_ttl)
}

#[actix_rt::test]
async fn when_the_sockets_token_expires_staff_and_user_topics_end_and_availability_goes_on() {
    let w = world_with(|_| {}).await;
    let short = expiring(&w, &w.staff, 2);
    let mut socket = connect(&w.app, Some(&short)).await;
    socket
        .subscribe(json!({"type": "subscribe", "topic": w.bookings_topic()}))
        .await;
    socket
        .subscribe(json!({"type": "subscribe", "topic": "user:bookings"}))
        .await;
    let availability = format!("venue:{}:availability", w.venue);
    let date = &evening_text(2)[..10];
    socket
        .subscribe(
            json!({"type": "subscribe", "topic": availability, "date": date, "party_size": 4}),
        )
        .await;
    let mut ended = Vec::new();
    for _ in 0..2 {
        let frame = socket.next().await;
        assert_eq!(
            (frame["type"].as_str(), frame["code"].as_str()),
            (Some("error"), Some("token_expired")),
            "{frame}"
        );
        assert!(frame["message"].as_str().is_some_and(|m| !m.is_empty()));
        ended.push(frame["topic"].as_str().unwrap().to_string());
    }
    ended.sort();
    let mut want = vec![w.bookings_topic(), "user:bookings".to_string()];
    want.sort();
    assert_eq!(ended, want);
    // The staff topic sends nothing more; availability still does.
    w.book(2, 10).await;
    let frame = socket.next().await;
    assert_eq!(frame["type"], "availability", "{frame}");
    // Topics that need a token are refused until an auth frame.
    socket
        .send(json!({"type": "subscribe", "topic": w.bookings_topic()}))
        .await;
    assert_eq!(socket.next().await["code"], "forbidden");
}

#[actix_rt::test]
async fn an_auth_frame_renews_the_socket_only_with_a_token_of_the_same_user() {
    let w = world_with(|_| {}).await;
    let short = expiring(&w, &w.staff, 3);
    let mut socket = connect(&w.app, Some(&short)).await;
    socket
        .subscribe(json!({"type": "subscribe", "topic": w.bookings_topic()}))
        .await;
    // Another user's token, or garbage: refused, nothing changes.
    for token in [w.ann.as_str(), "not-a-token"] {
        socket
            .send(json!({"type": "auth", "access_token": token}))
            .await;
        let frame = socket.next().await;
        assert_eq!(
            (frame["type"].as_str(), frame["code"].as_str()),
            (Some("error"), Some("unauthorized")),
            "{frame}"
        );
    }
    socket
        .send(json!({"type": "auth", "access_token": w.staff}))
        .await;
    let authed = socket.next().await;
    assert_eq!(authed["type"], "authed", "{authed}");
    let expires: jiff::Timestamp = authed["expires_at"].as_str().unwrap().parse().unwrap();
    assert!(expires > jiff::Timestamp::now() + jiff::SignedDuration::from_secs(60));
    // Past the old expiry the staff topic still delivers.
    tokio::time::sleep(Duration::from_secs(4)).await;
    let booked = w.book(2, 2).await;
    let event = socket.next().await;
    assert_eq!(
        (event["type"].as_str(), event["data"]["id"].as_str()),
        (Some("event"), booked["id"].as_str()),
        "{event}"
    );

    // An anonymous socket gets an identity with an auth frame.
    let mut anon = connect(&w.app, None).await;
    anon.send(json!({"type": "subscribe", "topic": "user:bookings"}))
        .await;
    assert_eq!(anon.next().await["code"], "forbidden");
    anon.send(json!({"type": "auth", "access_token": w.ann}))
        .await;
    assert_eq!(anon.next().await["type"], "authed");
    anon.subscribe(json!({"type": "subscribe", "topic": "user:bookings"}))
        .await;
}

#[actix_rt::test]
async fn availability_subscriptions_for_unknown_venues_or_left_quiet_ones_leave_nothing_behind() {
    let w = world_with(|_| {}).await;
    let mut anon = connect(&w.app, None).await;
    let date = &evening_text(2)[..10];
    let mut codes = std::collections::BTreeMap::<String, usize>::new();
    for i in 0..60 {
        anon.send(json!({"type": "subscribe", "topic": format!("venue:nope-{i}:availability"), "date": date, "party_size": 2})).await;
        *codes
            .entry(anon.next().await["code"].as_str().unwrap().to_string())
            .or_default() += 1;
    }
    // A burst of 32, then 10 a second: the rest are refused unasked.
    assert!(
        codes.get("not_found").is_some_and(|n| *n >= 32),
        "{codes:?}"
    );
    assert!(
        codes.get("rate_limited").is_some_and(|n| *n >= 10),
        "{codes:?}"
    );
    assert_eq!(
        w.app.state.hub.watched_venues(),
        0,
        "no watch for ids that are not venues"
    );
    tokio::time::sleep(Duration::from_secs(1)).await;

    // A quiet venue's group ends when its last member leaves, not at the
    // venue's next change.
    let topic = format!("venue:{}:availability", w.venue);
    for party in 1..=5 {
        anon.subscribe(
            json!({"type": "subscribe", "topic": topic, "date": date, "party_size": party}),
        )
        .await;
    }
    assert_eq!(w.app.state.groups.len(), 1);
    anon.send(json!({"type": "unsubscribe", "topic": topic}))
        .await;
    let mut left = 1;
    for _ in 0..100 {
        left = w.app.state.groups.len();
        if left == 0 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    assert_eq!(left, 0);
}
