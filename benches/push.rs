//! Live push at scale: N subscribers of one venue's bookings (10,000 by
//! default), the time from a booking's acknowledgement to its event at the
//! last subscriber, and the server's memory per idle connection.
//! The server is the real binary in its own process (so its memory is its
//! own); this process is the clients. `cargo bench --bench push [-- N]`
//!
//! In the same run, the same client code measures a **bare broadcaster**:
//! this bench binary again, in its own process, as a tokio-tungstenite
//! server with no auth, no JSON logic and no store, that writes one frame to
//! every subscribed socket when a control socket asks. It is what this
//! machine can do at best; the bench prints both and their ratio.
//!
//! `cargo bench --bench push -- idle 50000` only connects and subscribes,
//! and reports memory: past 20,000 the clients connect from 127.0.0.2,
//! 127.0.0.3, ... (one source address has about 28,000 ports), and the
//! shell needs an open-files hard limit above N (`ulimit -Hn`).

use std::future::Future;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::protocol::WebSocketConfig;

const BOOKINGS: usize = 20;

/// Client sockets per source address.
const PER_SOURCE: usize = 20_000;

/// The environment that makes this binary the bare broadcaster (its port).
const BARE: &str = "PUSH_BENCH_BARE_PORT";

fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next()?.parse().ok())
        .unwrap_or(0)
}

/// Counts the server's socket-writing syscalls while `work` runs, with
/// `perf stat` on its tracepoints: a count the machine's noise does not
/// move. None without perf (or without permission to trace).
async fn sends_during<F: Future<Output = ()>>(pid: u32, work: F) -> Option<u64> {
    // Sockets are written with send/sendmsg/writev; plain `write` is
    // also the runtimes' wake-ups (eventfd), so it is left out.
    let events = "syscalls:sys_enter_sendto,syscalls:sys_enter_sendmsg,syscalls:sys_enter_writev";
    let perf = Command::new("perf")
        .args(["stat", "-x", ",", "-e", events, "-p", &pid.to_string()])
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .ok()?;
    tokio::time::sleep(Duration::from_millis(500)).await;
    work.await;
    tokio::time::sleep(Duration::from_millis(200)).await;
    // SAFETY: a signal to the child we started.
    unsafe {
        libc::kill(perf.id() as libc::pid_t, libc::SIGINT);
    }
    let out = perf.wait_with_output().ok()?;
    let text = String::from_utf8_lossy(&out.stderr);
    let counts: Vec<u64> = text
        .lines()
        .filter_map(|l| l.split(',').next()?.trim().parse().ok())
        .collect();
    (counts.len() == 3).then(|| counts.iter().sum())
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
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

/// What one side measured.
struct Figures {
    connect_s: f64,
    rss_per_connection_kib: f64,
    /// The server's whole RSS with every subscriber connected and idle.
    rss_kib: u64,
    /// Trigger sent -> last subscriber, sorted (ms).
    to_last_from_send: Vec<f64>,
    /// Trigger acknowledged -> last subscriber, sorted (ms).
    to_last_from_ack: Vec<f64>,
    /// Trigger acknowledged -> each subscriber, sorted (ms).
    deliveries: Vec<f64>,
}

impl Figures {
    fn print(&self, name: &str, n: usize) {
        if self.deliveries.is_empty() {
            println!(
                "{name}: {n} idle subscribers connected and subscribed in {:.2} s; {:.1} KiB RSS per connection, {:.0} MiB in all",
                self.connect_s,
                self.rss_per_connection_kib,
                self.rss_kib as f64 / 1024.0
            );
            return;
        }
        let (ack, send, each) = (
            &self.to_last_from_ack,
            &self.to_last_from_send,
            &self.deliveries,
        );
        println!(
            "{name}: {n} subscribers connected and subscribed in {:.2} s; {:.1} KiB RSS per idle connection",
            self.connect_s, self.rss_per_connection_kib
        );
        println!(
            "{name}: {BOOKINGS} events to {n} subscribers: acknowledgement -> last subscriber p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms; sent -> last subscriber p50 {:.1} ms, p99 {:.1} ms",
            percentile(ack, 0.5),
            percentile(ack, 0.99),
            ack[ack.len() - 1],
            percentile(send, 0.5),
            percentile(send, 0.99),
        );
        println!(
            "{name}: every delivery ({}): acknowledgement -> subscriber p50 {:.1} ms, p99 {:.1} ms",
            each.len(),
            percentile(each, 0.5),
            percentile(each, 0.99),
        );
    }
}

/// Connects `n` subscribers to `ws` (with a bearer token if given), each
/// sending `subscribe` for `topic`; then fires `BOOKINGS` events through
/// `fire(k)` (which returns when the trigger was sent and acknowledged)
/// and times every subscriber's receipt of seq `first_seq + k`, `events`
/// times.
#[allow(clippy::too_many_arguments)]
async fn measure<F, Fut>(
    ws: &str,
    token: Option<&str>,
    topic: &str,
    n: usize,
    events: usize,
    server: u32,
    first_seq: u64,
    mut fire: F,
) -> Figures
where
    F: FnMut(usize) -> Fut,
    Fut: Future<Output = (Instant, Instant)>,
{
    let before = rss_kib(server);
    let (tx, mut receipts) = mpsc::unbounded_channel::<(u64, Instant)>();
    let (ready_tx, mut ready) = mpsc::unbounded_channel::<()>();
    let connected = Instant::now();
    for chunk in 0..n.div_ceil(250) {
        let mut batch = Vec::new();
        for _ in 0..250.min(n - chunk * 250) {
            let (tx, ready_tx, topic) = (tx.clone(), ready_tx.clone(), topic.to_string());
            let source = (chunk * 250) / PER_SOURCE;
            let token = token.map(str::to_string);
            let url = ws.to_string();
            batch.push(tokio::spawn(async move {
                let mut request = url.into_client_request().unwrap();
                if let Some(token) = token {
                    request
                        .headers_mut()
                        .insert("Authorization", format!("Bearer {token}").parse().unwrap());
                }
                let mut socket = open(request, source).await;
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
    let connect_s = connected.elapsed().as_secs_f64();
    tokio::time::sleep(Duration::from_secs(1)).await;
    let idle = rss_kib(server);
    let (mut to_last_from_ack, mut to_last_from_send, mut deliveries) =
        (Vec::new(), Vec::new(), Vec::new());
    for k in 0..events {
        let (sent, acked) = fire(k).await;
        let seq = first_seq + k as u64;
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
    Figures {
        connect_s,
        rss_per_connection_kib: idle.saturating_sub(before) as f64 / n as f64,
        rss_kib: idle,
        to_last_from_send,
        to_last_from_ack,
        deliveries,
    }
}

/// A client socket to `request`'s port on loopback, from 127.0.0.`1 + source`,
/// with small buffers (the clients' memory is not measured, but 50,000 of
/// tungstenite's default 128 KiB would be 6 GiB).
async fn open(
    request: tokio_tungstenite::tungstenite::handshake::client::Request,
    source: usize,
) -> tokio_tungstenite::WebSocketStream<tokio::net::TcpStream> {
    let port = request.uri().port_u16().unwrap();
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    {
        // The port is picked at connect, not at bind: bind's search for a
        // free port grows with the ports in use (a 19,800-socket run took
        // 23 s instead of 4).
        use std::os::fd::AsRawFd;
        let on: libc::c_int = 1;
        // SAFETY: a socket option on our own socket, from a value we own.
        let set = unsafe {
            libc::setsockopt(
                socket.as_raw_fd(),
                libc::IPPROTO_IP,
                libc::IP_BIND_ADDRESS_NO_PORT,
                (&on as *const libc::c_int).cast(),
                std::mem::size_of::<libc::c_int>() as libc::socklen_t,
            )
        };
        assert_eq!(set, 0, "IP_BIND_ADDRESS_NO_PORT");
    }
    socket
        .bind(([127, 0, 0, 1 + source as u8], 0).into())
        .unwrap();
    let stream = socket
        .connect(([127, 0, 0, 1], port).into())
        .await
        .expect("connect");
    let config = WebSocketConfig::default()
        .read_buffer_size(4096)
        .write_buffer_size(0);
    tokio_tungstenite::client_async_with_config(request, stream, Some(config))
        .await
        .expect("upgrade")
        .0
}

/// The bare broadcaster: every socket that sends anything but `fire` is a
/// subscriber (answered `subscribed`); `fire <seq>` writes one frame to
/// every subscriber, then answers `fired` to the socket that asked.
async fn bare_server(port: u16) {
    // The same listen queue as the server's (std's 128 drops SYNs when
    // 250 clients connect at once).
    let socket = tokio::net::TcpSocket::new_v4().unwrap();
    socket.set_reuseaddr(true).unwrap();
    socket.bind(([127, 0, 0, 1], port).into()).unwrap();
    let listener = socket.listen(4096).unwrap();
    let subscribers: Arc<Mutex<Vec<mpsc::UnboundedSender<Message>>>> = Arc::default();
    loop {
        let Ok((stream, _)) = listener.accept().await else {
            continue;
        };
        let subscribers = subscribers.clone();
        tokio::spawn(async move {
            // Small buffers (tungstenite's default is 128 KiB each way), so
            // its memory per connection is a floor, not a default.
            let config = WebSocketConfig::default()
                .read_buffer_size(4096)
                .write_buffer_size(0);
            let Ok(socket) =
                tokio_tungstenite::accept_async_with_config(stream, Some(config)).await
            else {
                return;
            };
            let (mut sink, mut stream) = socket.split();
            let (tx, mut rx) = mpsc::unbounded_channel::<Message>();
            tokio::spawn(async move {
                while let Some(frame) = rx.recv().await {
                    if sink.send(frame).await.is_err() {
                        break;
                    }
                }
            });
            while let Some(Ok(Message::Text(text))) = stream.next().await {
                if let Some(seq) = text.strip_prefix("fire ") {
                    let frame = Message::text(format!("{{\"type\":\"event\",\"seq\":{seq}}}"));
                    for s in subscribers.lock().unwrap().iter() {
                        let _ = s.send(frame.clone());
                    }
                    let _ = tx.send(Message::text("fired"));
                } else {
                    subscribers.lock().unwrap().push(tx.clone());
                    let _ = tx.send(Message::text("{\"type\":\"subscribed\"}"));
                }
            }
        });
    }
}

/// Runs the bare broadcaster in a process of its own; waits until it listens.
async fn spawn_bare() -> (Child, u16) {
    let port = free_port();
    let child = Command::new(std::env::current_exe().unwrap())
        .env(BARE, port.to_string())
        .stdout(Stdio::null())
        .spawn()
        .unwrap();
    while tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .is_err()
    {
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    (child, port)
}

/// Ours: the real binary, one venue, bookings over REST as the trigger.
async fn ours(n: usize, events: usize) -> Figures {
    let dir = tempfile::tempdir().unwrap();
    let port = free_port();
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
    let client = booking_engine::tls::client().build().unwrap();
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
    let seq0 = venue_seq(&client, &base, &venue).await;
    tokio::time::sleep(Duration::from_millis(500)).await;
    let tz = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
    let tomorrow = jiff::Timestamp::now()
        .to_zoned(tz)
        .date()
        .tomorrow()
        .unwrap();
    let book = |k: usize| {
        let (client, base, venue, token) =
            (client.clone(), base.clone(), venue.clone(), token.clone());
        async move {
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
            (sent, acked)
        }
    };
    let figures = measure(
        &format!("ws://127.0.0.1:{port}/api/v1/ws"),
        Some(&token),
        &format!("venue:{venue}:bookings"),
        n,
        events,
        server.id(),
        seq0 + 1,
        book,
    )
    .await;
    if events > 0 {
        replay(port, &token, &venue, seq0, events, server.id()).await;
    }
    server.kill().unwrap();
    server.wait().unwrap();
    figures
}

async fn venue_seq(client: &reqwest::Client, base: &str, venue: &str) -> u64 {
    json_call(
        client,
        reqwest::Method::GET,
        format!("{base}/venues/{venue}"),
        None,
        json!(null),
    )
    .await["seq"]
        .as_u64()
        .unwrap()
}

/// A socket that resumes with `since` and gets the `events` it missed in
/// one go: the server's write syscalls for it (the 101, `subscribed`, the
/// replayed events), against one per frame unbatched.
async fn replay(port: u16, token: &str, venue: &str, since: u64, events: usize, server: u32) {
    let mut request = format!("ws://127.0.0.1:{port}/api/v1/ws")
        .into_client_request()
        .unwrap();
    request
        .headers_mut()
        .insert("Authorization", format!("Bearer {token}").parse().unwrap());
    let work = async {
        let mut socket = open(request, 0).await;
        let topic = format!("venue:{venue}:bookings");
        let frame = json!({"type": "subscribe", "topic": topic, "since": since});
        socket.send(Message::text(frame.to_string())).await.unwrap();
        let mut frames = 0;
        while frames < events + 1 {
            if let Some(Ok(Message::Text(_))) = socket.next().await {
                frames += 1;
            }
        }
    };
    match sends_during(server, work).await {
        Some(n) => println!(
            "booking engine: a resumed subscription got `subscribed` and {events} replayed events in {n} socket writes by the server, the 101 included"
        ),
        None => println!("booking engine: replay writes not counted (needs perf with tracepoints)"),
    }
}

/// The bare broadcaster, driven by the same `measure`.
async fn bare(n: usize, events: usize) -> Figures {
    let (mut server, port) = spawn_bare().await;
    let url = format!("ws://127.0.0.1:{port}/");
    let (control, _) = tokio_tungstenite::connect_async(url.as_str())
        .await
        .unwrap();
    let control = Arc::new(tokio::sync::Mutex::new(control));
    let fire = |k: usize| {
        let control = control.clone();
        async move {
            let mut control = control.lock().await;
            let sent = Instant::now();
            control
                .send(Message::text(format!("fire {}", k + 1)))
                .await
                .unwrap();
            while let Some(Ok(msg)) = control.next().await {
                if matches!(&msg, Message::Text(t) if t.as_str() == "fired") {
                    break;
                }
            }
            (sent, Instant::now())
        }
    };
    let figures = measure(&url, None, "bare", n, events, server.id(), 1, fire).await;
    server.kill().unwrap();
    server.wait().unwrap();
    figures
}

#[tokio::main(flavor = "multi_thread", worker_threads = 2)]
async fn main() {
    if let Ok(port) = std::env::var(BARE) {
        bare_server(port.parse().unwrap()).await;
        return;
    }
    let n: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(10_000);
    let events = if std::env::args().any(|a| a == "idle") {
        0
    } else {
        BOOKINGS
    };
    // This process holds the clients' sockets, the server (which inherits
    // the limit) as many.
    let (_, files) = booking_engine::startup::raise_open_files().unwrap_or((0, 0));
    assert!(
        files as usize > n + 100,
        "{n} connections need an open-files hard limit above {} (ulimit -Hn)",
        n + 100
    );
    let bare = bare(n, events).await;
    bare.print("bare broadcaster", n);
    let ours = ours(n, events).await;
    ours.print("booking engine", n);
    if events == 0 {
        println!(
            "ratio booking engine / bare: RSS per connection {:.1}x; connect+subscribe {:.1}x",
            ours.rss_per_connection_kib / bare.rss_per_connection_kib.max(0.001),
            ours.connect_s / bare.connect_s.max(0.001),
        );
        return;
    }
    let p99 = |f: &Figures| percentile(&f.to_last_from_send, 0.99);
    let p50 = |f: &Figures| percentile(&f.to_last_from_send, 0.5);
    println!(
        "ratio booking engine / bare, sent -> last of {n}: p50 {:.1}x, p99 {:.1}x; RSS per connection {:.1}x; connect+subscribe {:.1}x",
        p50(&ours) / p50(&bare).max(0.001),
        p99(&ours) / p99(&bare).max(0.001),
        ours.rss_per_connection_kib / bare.rss_per_connection_kib.max(0.001),
        ours.connect_s / bare.connect_s.max(0.001),
    );
}
