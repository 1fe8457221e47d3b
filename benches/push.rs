//! Live push at scale: N subscribers of one venue's bookings (10,000 by
//! default), the time from a booking's acknowledgement to its event at the
//! last subscriber, and the server's memory per idle connection.
//! The server is the real binary in its own process (so its memory is its
//! own); this process is the clients. `cargo bench --bench push [-- N]`

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const BOOKINGS: usize = 20;

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

async fn json_call(
    client: &reqwest::Client,
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    body: Value,
) -> Value {
    let mut req = client.request(method, url).json(&body);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    req.send().await.unwrap().json().await.unwrap()
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let dir = tempfile::tempdir().unwrap();
    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let mut server = Command::new(env!("CARGO_BIN_EXE_booking-engine"))
        .env_clear()
        .env("BOOKING_LISTEN", format!("127.0.0.1:{port}"))
        .env("BOOKING_DATA_DIR", dir.path())
        .env(
            "BOOKING_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        )
        .env("BOOKING_ADMIN_EMAIL", "admin@bench.example")
        .env("BOOKING_ADMIN_PASSWORD", "bench-password")
        .env("BOOKING_RATE_LIMIT", "off")
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    let base = format!("http://127.0.0.1:{port}/api/v1");
    let client = reqwest::Client::new();
    while client
        .get(format!("http://127.0.0.1:{port}/health"))
        .send()
        .await
        .is_err()
    {
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let login = json_call(
        &client,
        reqwest::Method::POST,
        format!("{base}/auth/login"),
        None,
        json!({"email": "admin@bench.example", "password": "bench-password"}),
    )
    .await;
    let token = login["access_token"].as_str().unwrap().to_string();
    let day = json!([["00:00", "24:00"]]);
    let venue = json_call(&client, reqwest::Method::POST, format!("{base}/venues"), Some(&token), json!({
        "name": "Bench Hall", "timezone": "Asia/Shanghai", "slot_minutes": 60, "booking_minutes": 60,
        "opening_hours": {"mon": day, "tue": day, "wed": day, "thu": day, "fri": day, "sat": day, "sun": day},
        "resources": [{"id": "hall", "name": "Hall", "capacity": 1000, "mode": "shared"}],
    }))
    .await;
    let venue = venue["id"].as_str().unwrap().to_string();
    tokio::time::sleep(Duration::from_millis(500)).await;
    let before = rss_kib(server.id());

    let (tx, mut receipts) = mpsc::unbounded_channel::<(u64, Instant)>();
    let (ready_tx, mut ready) = mpsc::unbounded_channel::<()>();
    let topic = format!("venue:{venue}:bookings");
    let connected = Instant::now();
    for chunk in 0..n.div_ceil(250) {
        let mut batch = Vec::new();
        for _ in 0..250.min(n - chunk * 250) {
            let (tx, ready_tx, topic, token) =
                (tx.clone(), ready_tx.clone(), topic.clone(), token.clone());
            let url = format!("ws://127.0.0.1:{port}/api/v1/ws");
            batch.push(tokio::spawn(async move {
                let mut request = url.into_client_request().unwrap();
                request
                    .headers_mut()
                    .insert("Authorization", format!("Bearer {token}").parse().unwrap());
                let (mut socket, _) = tokio_tungstenite::connect_async(request)
                    .await
                    .expect("connect");
                socket
                    .send(Message::text(
                        json!({"type": "subscribe", "topic": topic}).to_string(),
                    ))
                    .await
                    .unwrap();
                tokio::spawn(async move {
                    while let Some(Ok(msg)) = socket.next().await {
                        let Message::Text(text) = msg else { continue };
                        let at = Instant::now();
                        if text.contains("\"subscribed\"") {
                            let _ = ready_tx.send(());
                        } else if let Some(i) = text.rfind("\"seq\":") {
                            let digits: String = text[i + 6..]
                                .chars()
                                .take_while(char::is_ascii_digit)
                                .collect();
                            let _ = tx.send((digits.parse().unwrap_or(0), at));
                        }
                    }
                });
            }));
        }
        for task in batch {
            task.await.unwrap();
        }
    }
    for _ in 0..n {
        ready.recv().await.unwrap();
    }
    println!(
        "{n} subscribers connected and subscribed in {:.2} s",
        connected.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = rss_kib(server.id());
    println!(
        "server RSS: {before} KiB before, {idle} KiB with {n} idle subscribers: {:.1} KiB per connection",
        (idle.saturating_sub(before)) as f64 / n as f64
    );

    let seq0 = json_call(
        &client,
        reqwest::Method::GET,
        format!("{base}/venues/{venue}"),
        None,
        json!(null),
    )
    .await["seq"]
        .as_u64()
        .unwrap();
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let tomorrow = jiff::Timestamp::now()
        .to_zoned(tz)
        .date()
        .tomorrow()
        .unwrap();
    let (mut to_last_from_ack, mut to_last_from_send, mut deliveries) =
        (Vec::new(), Vec::new(), Vec::new());
    for k in 0..BOOKINGS {
        let start = format!("{tomorrow}T{:02}:00:00+08:00", k % 24);
        let sent = Instant::now();
        let r = client
            .post(format!("{base}/venues/{venue}/bookings"))
            .bearer_auth(&token)
            .json(&json!({"start": start, "party_size": 1}))
            .send()
            .await
            .unwrap();
        let acked = Instant::now();
        assert_eq!(r.status().as_u16(), 201);
        let seq = seq0 + 1 + k as u64;
        let mut got = 0;
        let mut last = acked;
        let deadline = Instant::now() + Duration::from_secs(30);
        while got < n {
            let Ok(Some((s, at))) = tokio::time::timeout(
                deadline.saturating_duration_since(Instant::now()),
                receipts.recv(),
            )
            .await
            else {
                panic!("only {got} of {n} subscribers got seq {seq}");
            };
            if s == seq {
                got += 1;
                last = last.max(at);
                deliveries.push(at.saturating_duration_since(acked).as_secs_f64() * 1000.0);
            }
        }
        to_last_from_ack.push(last.saturating_duration_since(acked).as_secs_f64() * 1000.0);
        to_last_from_send.push(last.saturating_duration_since(sent).as_secs_f64() * 1000.0);
        tokio::time::sleep(Duration::from_millis(150)).await;
    }
    for v in [
        &mut to_last_from_ack,
        &mut to_last_from_send,
        &mut deliveries,
    ] {
        v.sort_by(f64::total_cmp);
    }
    println!(
        "{BOOKINGS} bookings to {n} subscribers: acknowledgement -> last subscriber p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; request sent -> last subscriber p50 {:.1} ms, p99 {:.1} ms",
        percentile(&to_last_from_ack, 0.5),
        percentile(&to_last_from_ack, 0.99),
        to_last_from_ack[to_last_from_ack.len() - 1],
        percentile(&to_last_from_send, 0.5),
        percentile(&to_last_from_send, 0.99),
    );
    println!(
        "every delivery ({}): acknowledgement -> subscriber p50 {:.1} ms, p99 {:.1} ms",
        deliveries.len(),
        percentile(&deliveries, 0.5),
        percentile(&deliveries, 0.99),
    );
    server.kill().unwrap();
    server.wait().unwrap();
}
