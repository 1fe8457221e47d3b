//! The real binary: `--demo` as a newcomer runs it, and durability across
//! `kill -9`.

use std::io::{BufRead, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use serde_json::json;

use crate::helpers::{ADMIN_EMAIL, ADMIN_PASSWORD, body, evening_text, restaurant};

/// A server process and the lines it prints.
pub(crate) struct Process {
    pub child: Child,
    pub base: String,
    lines: mpsc::Receiver<String>,
}

/// A server a test started never outlives it, whether the test passed,
/// failed or forgot (runs of the suite used to leave servers behind).
impl Drop for Process {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub(crate) fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

/// Starts `booking-engine` on a free port over `dir` and waits until it answers.
pub(crate) async fn start(dir: &Path, args: &[&str]) -> Process {
    start_with(dir, args, &[]).await
}

/// As `start`, with more environment variables (later ones win).
pub(crate) async fn start_with(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Process {
    launch(dir, args, env, None).await
}

/// As `start_with`; with `soft_nofile`, the child starts with that soft
/// open-files limit (as under a default `ulimit -n`).
async fn launch(
    dir: &Path,
    args: &[&str],
    env: &[(&str, &str)],
    soft_nofile: Option<u64>,
) -> Process {
    let port = free_port();
    let mut command = Command::new(env!("CARGO_BIN_EXE_booking-engine"));
    if let Some(soft) = soft_nofile {
        use std::os::unix::process::CommandExt;
        // SAFETY: between fork and exec only async-signal-safe calls
        // (getrlimit, setrlimit) on a struct of our own.
        unsafe {
            command.pre_exec(move || {
                let mut limit = libc::rlimit {
                    rlim_cur: 0,
                    rlim_max: 0,
                };
                libc::getrlimit(libc::RLIMIT_NOFILE, &mut limit);
                limit.rlim_cur = (soft as libc::rlim_t).min(limit.rlim_max);
                libc::setrlimit(libc::RLIMIT_NOFILE, &limit);
                Ok(())
            });
        }
    }
    let mut child = command
        .args(args)
        .env_clear()
        .env("BOOKING_LISTEN", format!("127.0.0.1:{port}"))
        .env("BOOKING_DATA_DIR", dir)
        .env(
            "BOOKING_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        )
        .env("BOOKING_ADMIN_EMAIL", ADMIN_EMAIL)
        .env("BOOKING_ADMIN_PASSWORD", ADMIN_PASSWORD)
        .env("BOOKING_RATE_LIMIT", "off")
        .env("RUST_LOG", "warn")
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(if std::env::var_os("TEST_SERVER_LOG").is_some() {
            Stdio::inherit()
        } else {
            Stdio::null()
        })
        .spawn()
        .expect("the binary starts");
    let stdout = child.stdout.take().unwrap();
    let (tx, lines) = mpsc::channel();
    let echo = std::env::var_os("TEST_SERVER_LOG").is_some();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if echo {
                eprintln!("[{port}] {line}");
            }
            let _ = tx.send(line);
        }
    });
    let base = format!("http://127.0.0.1:{port}");
    let client = booking_engine::tls::client().build().unwrap();
    let deadline = Instant::now() + Duration::from_secs(30);
    loop {
        if client
            .get(format!("{base}/health"))
            .send()
            .await
            .is_ok_and(|r| r.status().is_success())
        {
            break;
        }
        assert!(Instant::now() < deadline, "the server did not start");
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    Process { child, base, lines }
}

pub(crate) async fn call(
    method: reqwest::Method,
    url: String,
    token: Option<&str>,
    payload: Option<serde_json::Value>,
    key: Option<&str>,
) -> reqwest::Response {
    let mut req = booking_engine::tls::client()
        .build()
        .unwrap()
        .request(method, url);
    if let Some(t) = token {
        req = req.bearer_auth(t);
    }
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    if let Some(p) = payload {
        req = req.json(&p);
    }
    req.send().await.unwrap()
}

/// Logs in as the configured admin; returns the access token.
pub(crate) async fn admin_token(api: &str) -> String {
    let login = call(
        reqwest::Method::POST,
        format!("{api}/auth/login"),
        None,
        Some(json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD})),
        None,
    )
    .await;
    body(login).await["access_token"]
        .as_str()
        .unwrap()
        .to_string()
}

/// Creates the demo restaurant with these resources; returns its id.
pub(crate) async fn create_venue(api: &str, admin: &str, resources: serde_json::Value) -> String {
    let venue = call(
        reqwest::Method::POST,
        format!("{api}/venues"),
        Some(admin),
        Some(restaurant(resources)),
        None,
    )
    .await;
    body(venue).await["id"].as_str().unwrap().to_string()
}

#[actix_rt::test]
async fn an_acknowledged_booking_and_its_idempotent_replay_survive_kill_9() {
    let dir = tempfile::tempdir().unwrap();
    let mut first = start(dir.path(), &[]).await;
    let api = format!("{}/api/v1", first.base);
    let admin = admin_token(&api).await;
    let venue = create_venue(
        &api,
        &admin,
        json!([{"id": "t1", "name": "T1", "capacity": 4, "mode": "exclusive"}]),
    )
    .await;
    let reg = call(
        reqwest::Method::POST,
        format!("{api}/auth/register"),
        None,
        Some(json!({"email": "ann@example.com", "password": "password-123"})),
        None,
    )
    .await;
    let ann = body(reg).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();
    let payload = json!({"start": evening_text(2), "party_size": 2});
    let r = call(
        reqwest::Method::POST,
        format!("{api}/venues/{venue}/bookings"),
        Some(&ann),
        Some(payload.clone()),
        Some("once"),
    )
    .await;
    assert_eq!(r.status().as_u16(), 201);
    let booked = body(r).await;

    // SIGKILL right after the acknowledgement: no shutdown of any kind.
    first.child.kill().unwrap();
    first.child.wait().unwrap();

    let mut second = start(dir.path(), &[]).await;
    let api = format!("{}/api/v1", second.base);
    let id = booked["id"].as_str().unwrap();
    let r = call(
        reqwest::Method::GET,
        format!("{api}/bookings/{id}"),
        Some(&ann),
        None,
        None,
    )
    .await;
    assert_eq!(r.status().as_u16(), 200, "the booking survived");
    assert_eq!(body(r).await, booked);
    let r = call(
        reqwest::Method::POST,
        format!("{api}/venues/{venue}/bookings"),
        Some(&ann),
        Some(payload),
        Some("once"),
    )
    .await;
    assert_eq!(r.status().as_u16(), 201, "replayed");
    assert_eq!(body(r).await, booked);
    let mine = call(
        reqwest::Method::GET,
        format!("{api}/bookings"),
        Some(&ann),
        None,
        None,
    )
    .await;
    assert_eq!(
        body(mine).await["items"].as_array().unwrap().len(),
        1,
        "and not booked twice"
    );
    // The table is still taken.
    let other = call(
        reqwest::Method::POST,
        format!("{api}/venues/{venue}/bookings"),
        Some(&ann),
        Some(json!({"start": evening_text(2), "party_size": 2})),
        None,
    )
    .await;
    assert_eq!(other.status().as_u16(), 409);
    second.child.kill().unwrap();
    second.child.wait().unwrap();
}

#[actix_rt::test]
async fn the_demo_prints_accounts_and_a_booking_request_that_works() {
    let dir = tempfile::tempdir().unwrap();
    let mut demo = start(dir.path(), &["--demo"]).await;
    let mut printed = Vec::new();
    let deadline = Instant::now() + Duration::from_secs(30);
    while !printed.iter().any(|l: &String| l.contains("-d '")) {
        let line = demo
            .lines
            .recv_timeout(deadline.saturating_duration_since(Instant::now()))
            .expect("the demo prints its instructions");
        printed.push(line);
    }
    let text = printed.join("\n");
    let find = |prefix: &str, until: char| -> String {
        let at = text
            .find(prefix)
            .unwrap_or_else(|| panic!("{prefix:?} in {text}"))
            + prefix.len();
        text[at..].chars().take_while(|c| *c != until).collect()
    };
    let url = find("curl -X POST ", ' ');
    let token = find("Authorization: Bearer ", '\'');
    let payload: serde_json::Value = serde_json::from_str(&find("-d '", '\'')).unwrap();
    assert!(
        text.contains("staff@demo.example") && text.contains("guest@demo.example"),
        "{text}"
    );
    let r = call(
        reqwest::Method::POST,
        url,
        Some(&token),
        Some(payload),
        None,
    )
    .await;
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(body(r).await["status"], "confirmed");
    // The printed near query finds both demo restaurants, nearest first.
    let near = text
        .lines()
        .filter_map(|l| l.trim().strip_prefix("curl '"))
        .find(|l| l.contains("near="))
        .map(|l| l.trim_end_matches('\'').to_string())
        .unwrap_or_else(|| panic!("a near query in {text}"));
    let r = call(reqwest::Method::GET, near, None, None, None).await;
    let found = body(r).await;
    let names: Vec<&str> = found["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|v| v["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, ["Lotus Garden", "Red Lantern"]);
    demo.child.kill().unwrap();
    demo.child.wait().unwrap();
}

#[test]
fn production_without_a_secret_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(env!("CARGO_BIN_EXE_booking-engine"))
        .env_clear()
        .env("BOOKING_ENV", "production")
        .env("BOOKING_LISTEN", "127.0.0.1:0")
        .env("BOOKING_DATA_DIR", dir.path())
        .env(
            "BOOKING_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        )
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(said.contains("BOOKING_JWT_SECRET"), "{said}");
    assert!(
        !dir.path().join("jwt_secret").exists(),
        "no secret was made up"
    );
}

#[actix_rt::test]
async fn production_logs_are_json_with_request_ids_and_never_show_secrets() {
    let dir = tempfile::tempdir().unwrap();
    let secret = "0123456789abcdef0123456789abcdef-test-secret";
    let env = [
        ("BOOKING_ENV", "production"),
        ("BOOKING_JWT_SECRET", secret),
        ("RUST_LOG", "debug"),
        // Production refuses to run without rate limits.
        ("BOOKING_RATE_LIMIT", "on"),
    ];
    let mut server = start_with(dir.path(), &[], &env).await;
    let api = format!("{}/api/v1", server.base);
    let password = "Sup3r-secret-passw0rd";
    let reg = call(
        reqwest::Method::POST,
        format!("{api}/auth/register"),
        None,
        Some(json!({"email": "ann@example.com", "password": password})),
        None,
    )
    .await;
    let session = body(reg).await;
    let token = session["access_token"].as_str().unwrap().to_string();
    call(
        reqwest::Method::GET,
        format!("{api}/me"),
        Some(&token),
        None,
        None,
    )
    .await;
    tokio::time::sleep(Duration::from_millis(300)).await;
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let lines: Vec<String> = server.lines.try_iter().collect();
    assert!(!lines.is_empty());
    for line in &lines {
        assert!(
            serde_json::from_str::<serde_json::Value>(line).is_ok(),
            "not JSON: {line}"
        );
        for secret_text in [
            password,
            token.as_str(),
            session["refresh_token"].as_str().unwrap(),
            secret,
        ] {
            assert!(!line.contains(secret_text), "a secret in the logs: {line}");
        }
    }
    assert!(
        lines
            .iter()
            .any(|l| l.contains("\"request_id\"") && l.contains("request done")),
        "{lines:?}"
    );
}

#[actix_rt::test]
async fn the_backup_and_restore_commands_carry_a_running_servers_bookings_to_a_new_store() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = start(dir.path(), &[]).await;
    let api = format!("{}/api/v1", server.base);
    let admin = admin_token(&api).await;
    let venue = create_venue(
        &api,
        &admin,
        json!([{"id": "t1", "name": "T1", "capacity": 4, "mode": "exclusive"}]),
    )
    .await;
    let booked = call(
        reqwest::Method::POST,
        format!("{api}/venues/{venue}/bookings"),
        Some(&admin),
        Some(json!({"start": evening_text(2), "party_size": 2})),
        None,
    )
    .await;
    let booked = body(booked).await;

    let file = dir.path().join("saved.backup");
    let cli = |args: &[&str], data: &Path| {
        Command::new(env!("CARGO_BIN_EXE_booking-engine"))
            .args(args)
            .env_clear()
            .env("BOOKING_DATA_DIR", data)
            .env(
                "BOOKING_CONFIG_DIR",
                concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
            )
            .env("BOOKING_ADMIN_EMAIL", ADMIN_EMAIL)
            .env("BOOKING_ADMIN_PASSWORD", ADMIN_PASSWORD)
            .output()
            .unwrap()
    };
    let out = cli(
        &[
            "backup",
            "--to",
            file.to_str().unwrap(),
            "--url",
            &server.base,
        ],
        dir.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    server.child.kill().unwrap();
    server.child.wait().unwrap();

    let restored = tempfile::tempdir().unwrap();
    let out = cli(
        &[
            "restore",
            "--from",
            file.to_str().unwrap(),
            "--data-dir",
            restored.path().to_str().unwrap(),
        ],
        restored.path(),
    );
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    let mut again = start(restored.path(), &[]).await;
    let api = format!("{}/api/v1", again.base);
    let admin = admin_token(&api).await;
    let id = booked["id"].as_str().unwrap();
    let got = call(
        reqwest::Method::GET,
        format!("{api}/bookings/{id}"),
        Some(&admin),
        None,
        None,
    )
    .await;
    assert_eq!(got.status().as_u16(), 200);
    assert_eq!(body(got).await["start"], booked["start"]);
    again.child.kill().unwrap();
    again.child.wait().unwrap();
}

#[actix_rt::test]
async fn sigterm_under_load_loses_no_acknowledged_booking() {
    let dir = tempfile::tempdir().unwrap();
    let (mut server, api, admin, venue) = start_with_a_hall(dir.path(), &[]).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let clients = book_until(&api, &admin, &venue, &stop);
    tokio::time::sleep(Duration::from_millis(700)).await;
    let term = Command::new("kill")
        .args(["-TERM", &server.child.id().to_string()])
        .status()
        .unwrap();
    assert!(term.success());
    let exited = tokio::task::spawn_blocking(move || server.child.wait().unwrap())
        .await
        .unwrap();
    assert!(exited.success(), "a clean exit after SIGTERM: {exited}");
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let mut ids = Vec::new();
    for c in clients {
        ids.extend(c.await.unwrap());
    }
    assert!(ids.len() > 10, "the load ran: {}", ids.len());

    let mut again = all_there(dir.path(), &[], &ids, "after SIGTERM").await;
    again.child.kill().unwrap();
    again.child.wait().unwrap();
}

/// A server with one shared hall of 1,000: (server, api base, admin token, venue).
async fn start_with_a_hall(dir: &Path, env: &[(&str, &str)]) -> (Process, String, String, String) {
    let server = start_with(dir, &[], env).await;
    let api = format!("{}/api/v1", server.base);
    let admin = admin_token(&api).await;
    let venue = create_venue(
        &api,
        &admin,
        json!([{"id": "hall", "name": "Hall", "capacity": 1000, "mode": "shared"}]),
    )
    .await;
    (server, api, admin, venue)
}

/// Books from 4 clients until told to stop; returns the ids acknowledged.
fn book_until(
    api: &str,
    admin: &str,
    venue: &str,
    stop: &std::sync::Arc<std::sync::atomic::AtomicBool>,
) -> Vec<tokio::task::JoinHandle<Vec<String>>> {
    (0..4)
        .map(|c| {
            let (api, admin, venue, stop) = (
                api.to_string(),
                admin.to_string(),
                venue.to_string(),
                stop.clone(),
            );
            tokio::spawn(async move {
                let client = booking_engine::tls::client().build().unwrap();
                let mut acknowledged = Vec::new();
                let mut i = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let start = evening_text(2 + (c + 4 * i) % 40);
                    i += 1;
                    let sent = client
                        .post(format!("{api}/venues/{venue}/bookings"))
                        .bearer_auth(&admin)
                        .json(&json!({"start": start, "party_size": 1}))
                        .send()
                        .await;
                    let Ok(r) = sent else { break };
                    if r.status().as_u16() != 201 {
                        continue;
                    }
                    // A 201 whose body the kill cut off cannot be checked by id.
                    match r.json::<serde_json::Value>().await {
                        Ok(b) => acknowledged.push(b["id"].as_str().unwrap().to_string()),
                        Err(_) => break,
                    }
                }
                acknowledged
            })
        })
        .collect()
}

/// Every id is there, through the API of a server started on `dir`.
async fn all_there(dir: &Path, env: &[(&str, &str)], ids: &[String], what: &str) -> Process {
    let server = start_with(dir, &[], env).await;
    let api = format!("{}/api/v1", server.base);
    let admin = admin_token(&api).await;
    for id in ids {
        let r = call(
            reqwest::Method::GET,
            format!("{api}/bookings/{id}"),
            Some(&admin),
            None,
            None,
        )
        .await;
        assert_eq!(r.status().as_u16(), 200, "{what}: booking {id} lost");
    }
    server
}

#[actix_rt::test]
async fn kill_9_mid_checkpoint_and_mid_append_loses_no_acknowledged_booking_on_either_engine() {
    for engine in ["redb", "sled"] {
        let dir = tempfile::tempdir().unwrap();
        let env = [
            ("BOOKING_STORE__ENGINE", engine),
            ("BOOKING_STORE__CHECKPOINT_SECONDS", "1"),
            ("RUST_LOG", "warn,booking_engine::store=debug"),
        ];
        let (mut server, api, admin, venue) = start_with_a_hall(dir.path(), &env).await;

        // 1. Killed the moment a checkpoint under load begins its sync.
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let clients = book_until(&api, &admin, &venue, &stop);
        tokio::time::sleep(Duration::from_millis(300)).await;
        while server.lines.try_recv().is_ok() {}
        let lines = std::mem::replace(&mut server.lines, mpsc::channel().1);
        let seen = tokio::task::spawn_blocking(move || {
            let deadline = Instant::now() + Duration::from_secs(10);
            while let Ok(line) = lines.recv_timeout(deadline - Instant::now()) {
                if line.contains("checkpoint begins") {
                    return true;
                }
            }
            false
        });
        assert!(
            seen.await.unwrap(),
            "{engine}: no checkpoint began under load"
        );
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let mut ids = Vec::new();
        for c in clients {
            ids.extend(c.await.unwrap());
        }
        assert!(ids.len() > 10, "{engine}: the load ran: {}", ids.len());
        let mut checked = all_there(dir.path(), &env, &ids, "after a kill mid-checkpoint").await;
        checked.child.kill().unwrap();
        checked.child.wait().unwrap();

        // 2. Killed while appends stream in: the writer is in a write or
        // a sync nearly all the time under this load. No checkpoint after
        // the start's: everything acknowledged is in the log's tail.
        let rare = [
            ("BOOKING_STORE__ENGINE", engine),
            ("BOOKING_STORE__CHECKPOINT_SECONDS", "3600"),
            ("RUST_LOG", "warn,booking_engine::store=info"),
        ];
        let mut server = start_with(dir.path(), &[], &rare).await;
        let api = format!("{}/api/v1", server.base);
        let admin = admin_token(&api).await;
        let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
        let clients = book_until(&api, &admin, &venue, &stop);
        tokio::time::sleep(Duration::from_millis(700)).await;
        server.child.kill().unwrap();
        server.child.wait().unwrap();
        stop.store(true, std::sync::atomic::Ordering::Relaxed);
        let before = ids.len();
        for c in clients {
            ids.extend(c.await.unwrap());
        }
        assert!(ids.len() > before + 10, "{engine}: the second load ran");
        let mut last = all_there(dir.path(), &rare, &ids, "after a kill mid-append").await;
        let replayed = last
            .lines
            .try_iter()
            .any(|l| l.contains("replayed the log"));
        assert!(replayed, "{engine}: the restart replayed the log's tail");
        last.child.kill().unwrap();
        last.child.wait().unwrap();
    }
}

#[actix_rt::test]
async fn webhook_deliveries_pending_at_kill_9_all_arrive_after_the_restart() {
    let dir = tempfile::tempdir().unwrap();
    let env = [("BOOKING_WEBHOOKS__RETRY_BASE_MS", "50")];
    let mut first = start_with(dir.path(), &[], &env).await;
    let api = format!("{}/api/v1", first.base);
    let admin = admin_token(&api).await;
    let tables: Vec<serde_json::Value> = (1..=8)
        .map(|i| json!({"id": format!("t{i}"), "name": format!("T{i}"), "capacity": 4, "mode": "exclusive"}))
        .collect();
    let venue = create_venue(&api, &admin, json!(tables)).await;
    let hook = crate::receiver::start();
    hook.set_down(true);
    let r = call(
        reqwest::Method::POST,
        format!("{api}/venues/{venue}/webhooks"),
        Some(&admin),
        Some(json!({"url": hook.url, "events": ["booking.created"]})),
        None,
    )
    .await;
    assert_eq!(r.status().as_u16(), 201);
    let mut booked = Vec::new();
    for _ in 0..8 {
        let r = call(
            reqwest::Method::POST,
            format!("{api}/venues/{venue}/bookings"),
            Some(&admin),
            Some(json!({"start": evening_text(2), "party_size": 2, "guest": {"name": "Walk", "phone": "+8613800000000"}})),
            None,
        )
        .await;
        assert_eq!(r.status().as_u16(), 201);
        booked.push(body(r).await["id"].as_str().unwrap().to_string());
    }
    // SIGKILL with every delivery still pending (the receiver is down).
    first.child.kill().unwrap();
    first.child.wait().unwrap();
    assert!(hook.delivered().is_empty());
    hook.set_down(false);
    let second = start_with(dir.path(), &[], &env).await;
    let got = hook.wait_for(8, 30).await;
    let mut delivered: Vec<String> = got
        .iter()
        .map(|r| r.body["data"]["id"].as_str().unwrap().to_string())
        .collect();
    let seqs: Vec<u64> = got
        .iter()
        .map(|r| r.body["seq"].as_u64().unwrap())
        .collect();
    assert!(seqs.windows(2).all(|w| w[0] < w[1]), "in order: {seqs:?}");
    delivered.sort();
    booked.sort();
    assert_eq!(
        delivered, booked,
        "every acknowledged booking was delivered"
    );
    drop(second);
}

/// The soft and hard "Max open files" of a process.
fn open_files(pid: u32) -> (String, String) {
    let limits = std::fs::read_to_string(format!("/proc/{pid}/limits")).unwrap();
    let line = limits
        .lines()
        .find(|l| l.starts_with("Max open files"))
        .unwrap()
        .to_string();
    let cols: Vec<&str> = line.split_whitespace().collect();
    (cols[3].to_string(), cols[4].to_string())
}

#[actix_rt::test]
async fn the_server_raises_its_open_files_limit_to_the_hard_limit() {
    let dir = tempfile::tempdir().unwrap();
    let server = launch(dir.path(), &[], &[], Some(256)).await;
    let (soft, hard) = open_files(server.child.id());
    assert_eq!(soft, hard, "raised from 256 to the hard limit");
    assert_ne!(soft, "256");
}
