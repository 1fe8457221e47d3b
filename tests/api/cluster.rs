//! Many nodes on NATS JetStream: three real nats-servers clustered on
//! loopback, three real engine nodes (the binary) over them, real HTTP and
//! WebSocket clients talking to any node.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use futures::future::join_all;
use serde_json::{Value, json};

use crate::helpers::{body, evening_text};
use crate::process::{Process, admin_token, call, create_venue, free_port, start_with};
use crate::ws::connect_to;

/// A JWT secret every node shares, so a token from one is good on all.
const SECRET: &str = "cluster-test-secret-0123456789abcdef-0123456789";

/// Where Debian puts `nats-server`; installed from Debian when missing
/// (`cargo test` needs nothing set up by hand; `.ci/run` installs it too).
fn nats_server() -> PathBuf {
    static FOUND: std::sync::OnceLock<PathBuf> = std::sync::OnceLock::new();
    FOUND
        .get_or_init(|| {
            let find = || {
                ["/usr/sbin/nats-server", "/usr/bin/nats-server"]
                    .into_iter()
                    .map(PathBuf::from)
                    .find(|p| p.exists())
            };
            if let Some(path) = find() {
                return path;
            }
            let install = |args: &[&str]| {
                Command::new("apt-get")
                    .args(args)
                    .stdout(Stdio::null())
                    .status()
                    .is_ok_and(|s| s.success())
            };
            if !install(&["install", "-y", "-q", "nats-server"]) {
                install(&["update", "-q"]);
                install(&["install", "-y", "-q", "nats-server"]);
            }
            find().expect("nats-server is installed (apt-get install nats-server)")
        })
        .clone()
}

/// Three nats-servers in one JetStream cluster.
pub(crate) struct Nats {
    servers: Vec<Child>,
    pub urls: Vec<String>,
    _dir: tempfile::TempDir,
}

impl Drop for Nats {
    fn drop(&mut self) {
        for s in &mut self.servers {
            let _ = s.kill();
            let _ = s.wait();
        }
    }
}

impl Nats {
    pub(crate) fn start(n: usize) -> Self {
        let binary = nats_server();
        let dir = tempfile::tempdir().unwrap();
        let clients: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let routes: Vec<u16> = (0..n).map(|_| free_port()).collect();
        let route_list = routes
            .iter()
            .map(|p| format!("nats-route://127.0.0.1:{p}"))
            .collect::<Vec<_>>()
            .join(", ");
        let servers = (0..n)
            .map(|i| {
                let store = dir.path().join(format!("n{i}"));
                let config = format!(
                    "server_name: n{i}\nlisten: 127.0.0.1:{}\n\
                     jetstream {{ store_dir: \"{}\" }}\n\
                     cluster {{ name: booking, listen: 127.0.0.1:{}, routes: [{route_list}] }}\n",
                    clients[i],
                    store.display(),
                    routes[i]
                );
                let file = dir.path().join(format!("n{i}.conf"));
                std::fs::write(&file, config).unwrap();
                Command::new(&binary)
                    .arg("-c")
                    .arg(&file)
                    .stdout(Stdio::null())
                    .stderr(Stdio::null())
                    .spawn()
                    .expect("nats-server starts")
            })
            .collect();
        let urls = clients
            .iter()
            .map(|p| format!("nats://127.0.0.1:{p}"))
            .collect();
        Self {
            servers,
            urls,
            _dir: dir,
        }
    }
}

/// An engine node over the cluster, talking first to NATS server `first`,
/// with `more` settings.
async fn node(dir: &Path, nats: &Nats, first: usize, more: &[(&str, &str)]) -> Process {
    let mut urls = nats.urls.clone();
    urls.rotate_left(first);
    let url = urls.join(",");
    let mut settings = vec![
        ("BOOKING_STORE__ENGINE", "nats"),
        ("BOOKING_NATS__URL", url.as_str()),
        ("BOOKING_NATS__REPLICAS", "3"),
        ("BOOKING_JWT_SECRET", SECRET),
    ];
    settings.extend_from_slice(more);
    start_with(dir, &[], &settings).await
}

/// Three servers and three nodes (started one after the other: the first
/// creates the stream and the admin, the others find them).
pub(crate) struct Cluster {
    pub nodes: Vec<Process>,
    _nats: Nats,
    _dirs: Vec<tempfile::TempDir>,
}

impl Cluster {
    pub(crate) async fn start() -> Self {
        Self::start_with(&[]).await
    }

    /// As `start`, every node with more settings.
    pub(crate) async fn start_with(more: &[(&str, &str)]) -> Self {
        let nats = Nats::start(3);
        let dirs: Vec<tempfile::TempDir> = (0..3).map(|_| tempfile::tempdir().unwrap()).collect();
        let mut nodes = Vec::new();
        for (i, dir) in dirs.iter().enumerate() {
            nodes.push(node(dir.path(), &nats, i, more).await);
        }
        Self {
            nodes,
            _nats: nats,
            _dirs: dirs,
        }
    }

    pub(crate) fn api(&self, i: usize) -> String {
        format!("{}/api/v1", self.nodes[i].base)
    }
}

async fn register(api: &str, email: &str) -> String {
    let r = call(
        reqwest::Method::POST,
        format!("{api}/auth/register"),
        None,
        Some(json!({"email": email, "password": "password-123"})),
        None,
    )
    .await;
    assert_eq!(r.status().as_u16(), 201, "register {email} on {api}");
    body(r).await["access_token"].as_str().unwrap().to_string()
}

async fn book(api: &str, token: &str, venue: &str, start: &str) -> reqwest::Response {
    call(
        reqwest::Method::POST,
        format!("{api}/venues/{venue}/bookings"),
        Some(token),
        Some(json!({"start": start, "party_size": 2})),
        None,
    )
    .await
}

async fn get(api: &str, token: &str, path: &str) -> (u16, Value) {
    let r = call(
        reqwest::Method::GET,
        format!("{api}{path}"),
        Some(token),
        None,
        None,
    )
    .await;
    (r.status().as_u16(), body(r).await)
}

fn tables(n: usize) -> Value {
    (1..=n)
        .map(|i| json!({"id": format!("t{i}"), "name": format!("T{i}"), "capacity": 4, "mode": "exclusive"}))
        .collect()
}

#[actix_rt::test]
async fn a_booking_through_one_node_is_read_and_pushed_on_the_others_and_any_node_may_write_next() {
    let cluster = Cluster::start().await;
    let (one, two, three) = (cluster.api(0), cluster.api(1), cluster.api(2));
    let admin = admin_token(&one).await;
    let venue = create_venue(&one, &admin, tables(3)).await;
    // An account made on one node signs in on another.
    register(&two, "ann@example.com").await;
    let login = call(
        reqwest::Method::POST,
        format!("{three}/auth/login"),
        None,
        Some(json!({"email": "ann@example.com", "password": "password-123"})),
        None,
    )
    .await;
    assert_eq!(login.status().as_u16(), 200);
    let ann = body(login).await["access_token"]
        .as_str()
        .unwrap()
        .to_string();

    let mut staff = connect_to(&three, Some(&admin)).await;
    let subscribed = staff
        .subscribe(json!({"type": "subscribe", "topic": format!("venue:{venue}:bookings")}))
        .await;
    let seq = subscribed["seq"].as_u64().unwrap();

    let r = book(&one, &ann, &venue, &evening_text(2)).await;
    assert_eq!(r.status().as_u16(), 201);
    let booked = body(r).await;
    let event = staff.next().await;
    assert_eq!(
        (event["event"].as_str(), event["seq"].as_u64()),
        (Some("booking.created"), Some(seq + 1)),
        "{event}"
    );
    assert_eq!(event["data"], booked, "pushed on node 3 as node 1 answered");
    let id = booked["id"].as_str().unwrap();
    for api in [&two, &three] {
        let (status, seen) = get(api, &ann, &format!("/bookings/{id}")).await;
        assert_eq!((status, &seen), (200, &booked), "read on {api}");
    }

    // Node 2 books next, then node 1 again: node 1 holds the venue's
    // lease (it created it), so node 2 sends the request on to it; seq
    // counts on with no gap.
    for (i, api) in [&two, &one].into_iter().enumerate() {
        let r = book(api, &ann, &venue, &evening_text(3 + i as i64)).await;
        assert_eq!(r.status().as_u16(), 201, "booked through {api}");
        let event = staff.next().await;
        assert_eq!(event["seq"].as_u64(), Some(seq + 2 + i as u64), "{event}");
    }
    assert_eq!(
        forwarded(&cluster, 1).await,
        1,
        "node 2 sent its booking on"
    );
    assert_eq!(forwarded(&cluster, 0).await, 0, "node 1 wrote its own");

    // A retried request keeps its Idempotency-Key across nodes: the
    // second copy, through node 3, replays the booking made through node 2.
    let keyed = |api: String| {
        let (ann, venue) = (ann.clone(), venue.clone());
        async move {
            let r = call(
                reqwest::Method::POST,
                format!("{api}/venues/{venue}/bookings"),
                Some(&ann),
                Some(json!({"start": evening_text(5), "party_size": 2})),
                Some("retry-across-nodes"),
            )
            .await;
            (r.status().as_u16(), body(r).await)
        }
    };
    let (first, made) = keyed(two.clone()).await;
    assert_eq!(first, 201, "{made}");
    let (again, replayed) = keyed(three.clone()).await;
    assert_eq!((again, &replayed), (201, &made), "replayed through node 3");
    let (status, mine) = get(&three, &ann, "/bookings").await;
    assert_eq!(status, 200);
    assert_eq!(mine["items"].as_array().unwrap().len(), 4, "{mine}");
}

/// Requests node `i` sent on to another node and had answered.
async fn forwarded(cluster: &Cluster, i: usize) -> u64 {
    let text = reqwest::get(format!("{}/metrics", cluster.nodes[i].base))
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    text.lines()
        .find(|l| l.starts_with(r#"requests_forwarded_total{outcome="answered"}"#))
        .and_then(|l| l.rsplit(' ').next()?.parse().ok())
        .unwrap_or(0)
}

#[actix_rt::test]
async fn sixty_racers_over_three_nodes_for_one_table_get_exactly_one_201() {
    let cluster = Cluster::start().await;
    let apis: Vec<String> = (0..3).map(|i| cluster.api(i)).collect();
    let admin = admin_token(&apis[0]).await;
    let venue = create_venue(&apis[0], &admin, tables(1)).await;
    let mut tokens = Vec::new();
    for i in 0..6 {
        tokens.push(register(&apis[i % 3], &format!("racer{i}@example.com")).await);
    }
    // Every node has the venue in memory before the race.
    for api in &apis {
        let r = call(
            reqwest::Method::GET,
            format!("{api}/venues/{venue}"),
            None,
            None,
            None,
        )
        .await;
        assert_eq!(r.status().as_u16(), 200);
    }
    let start = evening_text(2);
    let racers = (0..60).map(|i| book(&apis[i % 3], &tokens[i % 6], &venue, &start));
    let answers = join_all(racers).await;
    let mut statuses = Vec::new();
    let mut won = Vec::new();
    for r in answers {
        let status = r.status().as_u16();
        statuses.push(status);
        if status == 201 {
            won.push(body(r).await);
        } else if status >= 500 {
            eprintln!("{status}: {}", body(r).await);
        }
    }
    assert_eq!(won.len(), 1, "one table, one booking: {statuses:?}");
    assert!(
        statuses.iter().all(|s| [201, 409, 503].contains(s)),
        "losers are told the table is taken, or to try again: {statuses:?}"
    );
    // Every node agrees: the one booking, nothing else, and the table stays taken.
    let id = won[0]["id"].as_str().unwrap();
    for (i, api) in apis.iter().enumerate() {
        let (status, seen) = get(api, &admin, &format!("/bookings/{id}")).await;
        assert_eq!((status, &seen), (200, &won[0]), "node {i}");
        let r = book(api, &tokens[0], &venue, &start).await;
        assert_eq!(r.status().as_u16(), 409, "node {i} sees the table taken");
    }
    let date = &start[..10];
    let (status, sheet) = get(
        &apis[2],
        &admin,
        &format!("/venues/{venue}/bookings?date={date}"),
    )
    .await;
    assert_eq!(status, 200, "{sheet}");
    assert_eq!(sheet["items"].as_array().unwrap().len(), 1, "{sheet}");
}

impl Nats {
    /// SIGKILL one server: no goodbye to its peers or clients.
    fn kill(&mut self, i: usize) {
        let _ = self.servers[i].kill();
        let _ = self.servers[i].wait();
    }
}

/// A booking attempt that may meet a dead node: its status, or none if
/// the connection failed, and the booking if it was acknowledged.
async fn try_book(api: &str, token: &str, venue: &str, start: &str) -> Option<(u16, Value)> {
    let client = booking_engine::tls::client()
        .timeout(std::time::Duration::from_secs(30))
        .build()
        .unwrap();
    let r = client
        .post(format!("{api}/venues/{venue}/bookings"))
        .bearer_auth(token)
        .json(&json!({"start": start, "party_size": 2}))
        .send()
        .await
        .ok()?;
    let status = r.status().as_u16();
    Some((status, r.json().await.unwrap_or(Value::Null)))
}

/// Every acknowledged booking is there, as acknowledged, through `api`;
/// and no two of them hold one table at one start.
async fn all_there(api: &str, token: &str, acked: &[Value]) {
    let mut taken = std::collections::HashSet::new();
    for booked in acked {
        let id = booked["id"].as_str().unwrap();
        let (status, seen) = get(api, token, &format!("/bookings/{id}")).await;
        assert_eq!(
            (status, &seen),
            (200, booked),
            "acknowledged {id}, read on {api}"
        );
        let key = (
            booked["start"].to_string(),
            booked["resource_id"].to_string(),
        );
        assert!(taken.insert(key), "two bookings hold one table: {booked}");
    }
}

/// Books until one is acknowledged or `within` passes (a cluster may be
/// electing a new leader for a moment).
async fn book_within(api: &str, token: &str, venue: &str, start: &str, within: u64) -> Value {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(within);
    loop {
        match try_book(api, token, venue, start).await {
            Some((201, booked)) => return booked,
            other => assert!(
                std::time::Instant::now() < deadline,
                "no booking through {api} within {within}s: {other:?}"
            ),
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[actix_rt::test]
async fn kill_9_of_a_node_under_load_loses_no_acknowledged_booking_and_another_serves_the_venue() {
    let mut cluster = Cluster::start().await;
    let (one, two) = (cluster.api(0), cluster.api(1));
    let admin = admin_token(&one).await;
    let venue = create_venue(&one, &admin, tables(60)).await;
    let ann = register(&one, "ann@example.com").await;
    let start = evening_text(2);
    let load: Vec<_> = (0..40)
        .map(|_| {
            let (api, token, venue, start) =
                (one.clone(), ann.clone(), venue.clone(), start.clone());
            actix_rt::spawn(async move { try_book(&api, &token, &venue, &start).await })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(150)).await;
    cluster.nodes[0].child.kill().unwrap();
    cluster.nodes[0].child.wait().unwrap();
    let mut acked = Vec::new();
    for task in load {
        if let Some((201, booked)) = task.await.unwrap() {
            acked.push(booked);
        }
    }
    // The venue is served by another node at once, and everything node 1
    // acknowledged before it died is there.
    acked.push(book_within(&two, &ann, &venue, &start, 10).await);
    for api in [cluster.api(1), cluster.api(2)] {
        all_there(&api, &admin, &acked).await;
    }
}

#[actix_rt::test]
async fn kill_9_of_one_of_three_nats_servers_and_bookings_go_on_through_every_node() {
    let mut cluster = Cluster::start().await;
    let apis: Vec<String> = (0..3).map(|i| cluster.api(i)).collect();
    let admin = admin_token(&apis[0]).await;
    let venue = create_venue(&apis[0], &admin, tables(10)).await;
    let ann = register(&apis[1], "ann@example.com").await;
    let start = evening_text(2);
    let mut acked = vec![book_within(&apis[0], &ann, &venue, &start, 5).await];
    // Node 1 talks to server 0 first: it must move to another. The
    // cluster elects new leaders and the followers' consumers are made
    // again: ~14 s on an idle machine, over 30 s beside the whole suite,
    // hence the long window (a bound on recovery is not what is tested).
    cluster._nats.kill(0);
    for _ in 0..2 {
        for api in &apis {
            acked.push(book_within(api, &ann, &venue, &start, 90).await);
        }
    }
    for api in &apis {
        all_there(api, &admin, &acked).await;
    }
}

/// A lease nobody renews lapses after this (`store::nats::leases::TTL`,
/// 5 s), plus a second for the renewal round and the test's own pace.
const LEASE_LAPSES: std::time::Duration = std::time::Duration::from_secs(6);

#[actix_rt::test]
async fn a_stopped_owner_whose_lease_lapsed_is_fenced_when_it_wakes_and_never_answers_a_false_201()
{
    let cluster = Cluster::start().await;
    let (one, two) = (cluster.api(0), cluster.api(1));
    let admin = admin_token(&one).await;
    // Node 1 creates the venue, so it holds its lease: it is the writer.
    let venue = create_venue(&one, &admin, tables(1)).await;
    let ann = register(&one, "ann@example.com").await;
    let bob = register(&two, "bob@example.com").await;
    let start = evening_text(2);
    let (status, _) = get(&one, &admin, &format!("/venues/{venue}")).await;
    assert_eq!(status, 200);
    // Requests on their way into node 1 as it freezes: some may be in its
    // actor or on their way to the stream, some still in its socket.
    let frozen: Vec<_> = (0..5)
        .map(|_| {
            let (api, token, venue, start) =
                (one.clone(), ann.clone(), venue.clone(), start.clone());
            actix_rt::spawn(async move { try_book(&api, &token, &venue, &start).await })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(5)).await;
    let pid = cluster.nodes[0].child.id() as i32;
    // SAFETY: signals to a child process of ours.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    // Its lease lapses; node 2 takes it over and books the one table
    // (unless node 1 acknowledged a booking before it froze).
    tokio::time::sleep(LEASE_LAPSES).await;
    let through_two = try_book(&two, &bob, &venue, &start).await;
    unsafe { libc::kill(pid, libc::SIGCONT) };
    let mut won = Vec::new();
    let mut answers = vec![through_two.clone()];
    for task in frozen {
        answers.push(task.await.unwrap());
    }
    for answer in &answers {
        match answer {
            Some((201, booked)) => won.push(booked.clone()),
            // 408: node 1 had a request's head when it froze, and its
            // body timer ran on while it was stopped.
            Some((408 | 409 | 503, _)) => {}
            other => panic!("an answer that is neither a booking nor a refusal: {other:?}"),
        }
    }
    assert_eq!(won.len(), 1, "one table, one booking: {answers:?}");
    // Node 1, awake, lost the lease: the venue is served by node 2, and
    // a request to node 1 is answered by node 2 (409: the table is taken).
    // (It may first answer 503 while it renews its heartbeat.)
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    let again = loop {
        let again = try_book(&one, &ann, &venue, &start).await;
        if again.as_ref().map(|(s, _)| *s) != Some(503) || std::time::Instant::now() > deadline {
            break again;
        }
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    };
    assert_eq!(again.map(|(s, _)| s), Some(409), "node 1 after waking");
    assert!(
        forwarded(&cluster, 0).await >= 1,
        "node 1 sent it on to node 2, the venue's writer now"
    );
    for api in [&one, &two, &cluster.api(2)] {
        all_there(api, &admin, &won).await;
        let date = &start[..10];
        let (_, sheet) = get(
            api,
            &admin,
            &format!("/venues/{venue}/bookings?date={date}"),
        )
        .await;
        assert_eq!(
            sheet["items"].as_array().unwrap().len(),
            1,
            "{api}: {sheet}"
        );
    }
}

#[actix_rt::test]
async fn one_email_registered_on_three_nodes_at_once_makes_one_account() {
    let cluster = Cluster::start().await;
    let apis: Vec<String> = (0..3).map(|i| cluster.api(i)).collect();
    // Every email is tried on every node at once, each node with its own
    // password, so the one that signs in says whose account it is.
    let emails: Vec<String> = (0..20).map(|n| format!("twin{n}@example.com")).collect();
    let tries = emails.iter().flat_map(|email| {
        apis.iter().enumerate().map(move |(i, api)| {
            call(
                reqwest::Method::POST,
                format!("{api}/auth/register"),
                None,
                Some(json!({"email": email, "password": format!("password-{i}-123")})),
                None,
            )
        })
    });
    let statuses: Vec<u16> = join_all(tries)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    for (n, email) in emails.iter().enumerate() {
        let mine = &statuses[n * 3..n * 3 + 3];
        let won: Vec<usize> = (0..3).filter(|i| mine[*i] == 201).collect();
        assert_eq!(won.len(), 1, "one account for {email}: {mine:?}");
        assert!(
            mine.iter().all(|s| [201, 409].contains(s)),
            "the others are told the email is taken: {mine:?}"
        );
        // The winner's password signs in (on a node taken in turn), a
        // loser's does not.
        let api = &apis[n % 3];
        for (i, expected) in [(won[0], 200), ((won[0] + 1) % 3, 401)] {
            let login = call(
                reqwest::Method::POST,
                format!("{api}/auth/login"),
                None,
                Some(json!({"email": email, "password": format!("password-{i}-123")})),
                None,
            )
            .await;
            assert_eq!(
                login.status().as_u16(),
                expected,
                "{email}, password {i}, on {api}"
            );
        }
    }
}

#[actix_rt::test]
async fn a_webhook_made_through_any_node_gets_each_event_once() {
    let cluster = Cluster::start().await;
    let apis: Vec<String> = (0..3).map(|i| cluster.api(i)).collect();
    let admin = admin_token(&apis[0]).await;
    let venue = create_venue(&apis[0], &admin, tables(6)).await;
    let ann = register(&apis[1], "ann@example.com").await;
    let to = crate::receiver::start();
    // The first attempts fail: retries are where two deliverers would
    // each send the head of the queue again.
    to.fail_next(2);
    // Made through node 2 (node 1 writes the venue: it is sent on there).
    let r = call(
        reqwest::Method::POST,
        format!("{}/venues/{venue}/webhooks", apis[1]),
        Some(&admin),
        Some(json!({"url": to.url, "events": ["booking.created"]})),
        None,
    )
    .await;
    assert_eq!(r.status().as_u16(), 201);
    let hook = body(r).await["id"].as_str().unwrap().to_string();
    // Every node learns of it from the store (and has a task for it).
    for api in &apis {
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        loop {
            let (status, list) = get(api, &admin, &format!("/venues/{venue}/webhooks")).await;
            assert_eq!(status, 200);
            let items = list["items"].as_array().unwrap();
            if items.iter().any(|h| h["id"] == hook.as_str()) {
                break;
            }
            assert!(std::time::Instant::now() < deadline, "{api}: {list}");
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    }
    let start = evening_text(2);
    let mut ids = Vec::new();
    for i in 0..6 {
        let r = book(&apis[i % 3], &ann, &venue, &start).await;
        assert_eq!(r.status().as_u16(), 201);
        ids.push(body(r).await["id"].as_str().unwrap().to_string());
    }
    to.wait_for(6, 30).await;
    // Every node has a task for the webhook; one delivers. Nothing twice.
    tokio::time::sleep(std::time::Duration::from_secs(3)).await;
    let got = to.all();
    let mut delivered: Vec<String> = got
        .iter()
        .filter(|g| g.status == 200)
        .map(|g| g.body["data"]["id"].as_str().unwrap_or("").to_string())
        .collect();
    delivered.sort();
    ids.sort();
    assert_eq!(delivered, ids, "each booking once");
    // One node made every attempt: the others' tasks for the webhook
    // waited (without the lease, they retried the failing head too).
    let mut attempting = Vec::new();
    for (i, node) in cluster.nodes.iter().enumerate() {
        let text = reqwest::get(format!("{}/metrics", node.base))
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        if text
            .lines()
            .any(|l| l.starts_with(r#"outbox_deliveries_total{channel="webhook""#))
        {
            attempting.push(i);
        }
    }
    assert_eq!(attempting.len(), 1, "nodes that sent: {attempting:?}");
}

#[actix_rt::test]
async fn a_hold_left_live_by_a_killed_writer_still_expires_and_is_pushed() {
    let mut cluster = Cluster::start_with(&[("BOOKING_HOLD_TTL_SECONDS", "2")]).await;
    let (one, two) = (cluster.api(0), cluster.api(1));
    let admin = admin_token(&one).await;
    // Node 1 makes the venue: it writes it, and its timer would expire holds.
    let venue = create_venue(&one, &admin, tables(1)).await;
    let ann = register(&one, "ann@example.com").await;
    let mut staff = connect_to(&two, Some(&admin)).await;
    staff
        .subscribe(json!({"type": "subscribe", "topic": format!("venue:{venue}:bookings")}))
        .await;
    let r = call(
        reqwest::Method::POST,
        format!("{one}/venues/{venue}/holds"),
        Some(&ann),
        Some(json!({"start": evening_text(2), "party_size": 2})),
        None,
    )
    .await;
    assert_eq!(r.status().as_u16(), 201);
    let hold = body(r).await;
    assert_eq!(staff.next().await["event"], "hold.created");
    cluster.nodes[0].child.kill().unwrap();
    cluster.nodes[0].child.wait().unwrap();
    // Nobody touches the venue; another node still expires the hold once
    // node 1's heartbeat is gone (5 s), and node 2's subscriber is told.
    let id = hold["id"].as_str().unwrap();
    let expired = staff
        .next_within(40)
        .await
        .expect("hold.expired within 40 s of the writer's death");
    assert_eq!(
        (expired["event"].as_str(), expired["data"]["id"].as_str()),
        (Some("hold.expired"), Some(id)),
        "{expired}"
    );
}
