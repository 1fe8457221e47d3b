//! Issue "Hardening": each attack or fault that was reproduced against the
//! shipped server, now refused. Numbers in the comments are the issue's.

use std::sync::Arc;
use std::time::Duration;

use booking_engine::settings::LimitSettings;
use booking_engine::store::faults::{Fault, FaultSwitch};
use booking_engine::store::{EngineKind, Store, StoreOptions};
use serde_json::json;
use tokio::io::{AsyncReadExt, AsyncWriteExt};

use crate::helpers::*;

fn tables() -> serde_json::Value {
    json!([
        {"id": "t2", "name": "Table 2", "capacity": 2, "min_party": 1, "mode": "exclusive"},
        {"id": "t4", "name": "Table 4", "capacity": 4, "min_party": 1, "mode": "exclusive"},
        {"id": "bar", "name": "Bar", "capacity": 10, "mode": "shared"}
    ])
}

fn port_of(app: &TestApp) -> u16 {
    app.address
        .trim_start_matches("http://127.0.0.1:")
        .split('/')
        .next()
        .unwrap()
        .parse()
        .unwrap()
}

// 1. Privilege escalation through PATCH /venues/{id}.
#[actix_rt::test]
async fn staff_cannot_appoint_staff_through_a_venue_patch_and_customers_never_see_the_list() {
    let app = spawn_app().await;
    let venue = app.create_venue(&restaurant(tables())).await;
    let (staff, staff_id) = app.register("host@example.com").await;
    let (customer, customer_id) = app.register("ann@example.com").await;
    app.appoint(&venue, &staff_id).await;
    let path = format!("/venues/{venue}");

    let r = app
        .patch(
            &path,
            Some(&staff),
            &json!({"staff": [staff_id, customer_id]}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 403);
    assert_eq!(body(r).await["error"]["code"], "forbidden");
    let sheet = format!("/venues/{venue}/bookings?date=2030-01-01");
    assert_eq!(
        app.get(&sheet, Some(&customer)).await.status().as_u16(),
        403
    );

    // The admin may, but only with real accounts.
    let r = app
        .patch(
            &path,
            Some(&app.admin),
            &json!({"staff": [staff_id, "made-up"]}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(body(r).await["error"]["details"]["field"], "staff[1]");
    for method in [reqwest::Method::PUT, reqwest::Method::DELETE] {
        let r = app
            .request(
                method.clone(),
                &format!("/venues/{venue}/staff/made-up"),
                Some(&app.admin),
                None,
            )
            .await;
        assert_eq!(r.status().as_u16(), 404, "{method}");
    }

    // Who works there is shown to admins and the venue's staff only.
    for (token, shown) in [
        (None, false),
        (Some(customer.as_str()), false),
        (Some(staff.as_str()), true),
        (Some(app.admin.as_str()), true),
    ] {
        let one = body(app.get(&path, token).await).await;
        assert_eq!(one.get("staff").is_some(), shown, "{token:?}");
        let list = body(app.get("/venues", token).await).await;
        assert_eq!(list["items"][0].get("staff").is_some(), shown, "{token:?}");
    }
}

// 2 and 14. The auth limit whatever the spelling; X-Forwarded-For only from trusted proxies.
#[actix_rt::test]
async fn the_auth_limit_holds_for_every_spelling_of_the_path() {
    let app = spawn_app_with(|s| {
        s.rate_limit = true;
        s.limits = LimitSettings {
            auth_per_minute: 3,
            ..LimitSettings::default()
        };
    })
    .await;
    let root = app.root();
    let spellings = [
        "/api/v1/auth/login",
        "/api/v1/%61uth/login",
        "/api/v1//auth/login",
        "/api/v1/auth/login/",
        "/api/v1/AUTH/login",
        "/api/v1/auth/%6Cogin",
    ];
    let guess = json!({"email": ADMIN_EMAIL, "password": "wrong-guess-1"});
    let mut statuses = Vec::new();
    for path in spellings.iter().chain(spellings.iter()) {
        let r = app.post(&format!("{root}{path}"), None, &guess).await;
        statuses.push(r.status().as_u16());
    }
    // The test's own admin login at start took one of the three.
    let admitted = statuses.iter().filter(|s| **s != 429).count();
    assert_eq!(admitted, 2, "{statuses:?}");
    // The right password does not get through either.
    let right = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD});
    let r = app
        .post(&format!("{root}/api/v1/%61uth/login"), None, &right)
        .await;
    assert_eq!(r.status().as_u16(), 429);
    assert!(r.headers().contains_key("Retry-After"));
}

async fn login_status(app: &TestApp, forwarded: &str) -> u16 {
    app.client
        .post(format!("{}/auth/login", app.address))
        .header("X-Forwarded-For", forwarded)
        .json(&json!({"email": "nobody@example.com", "password": "wrong-guess-1"}))
        .send()
        .await
        .unwrap()
        .status()
        .as_u16()
}

#[actix_rt::test]
async fn forwarded_for_is_believed_only_from_a_trusted_proxy() {
    let limited = |s: &mut booking_engine::settings::Settings| {
        s.rate_limit = true;
        s.limits.auth_per_minute = 2;
    };
    // No trusted proxy: a made-up header changes nothing.
    let app = spawn_app_with(limited).await;
    let got: Vec<u16> = futures::future::join_all(
        ["1.1.1.1", "2.2.2.2", "3.3.3.3"].map(|ip| login_status(&app, ip)),
    )
    .await;
    // The admin login at start took one of the address's two.
    assert_eq!(got.iter().filter(|s| **s == 429).count(), 2, "{got:?}");

    // Behind a trusted proxy each client has its own bucket, and the client
    // is the rightmost address the proxy did not add itself.
    let app = spawn_app_with(|s| {
        limited(s);
        s.trusted_proxies = vec!["127.0.0.1".into()];
    })
    .await;
    for _ in 0..2 {
        assert_eq!(login_status(&app, "9.9.9.9, 5.5.5.5").await, 401);
    }
    assert_eq!(
        login_status(&app, "6.6.6.6, 5.5.5.5").await,
        429,
        "the spoofed left part is ignored"
    );
    assert_eq!(login_status(&app, "7.7.7.7").await, 401);
    assert_eq!(login_status(&app, "5.5.5.5, 127.0.0.1").await, 429);
}

/// Peak resident memory of this process in KiB.
fn peak_rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap();
    status
        .lines()
        .find(|l| l.starts_with("VmHWM:"))
        .and_then(|l| l.split_whitespace().nth(1))
        .and_then(|n| n.parse().ok())
        .unwrap()
}

// 3. 300 concurrent logins, against the real binary.
#[actix_rt::test]
async fn three_hundred_concurrent_logins_stay_under_a_memory_ceiling() {
    let dir = tempfile::tempdir().unwrap();
    let server = crate::process::start(dir.path(), &[]).await;
    let api = format!("{}/api/v1", server.base);
    let client = booking_engine::tls::client().build().unwrap();
    let logins = (0..300).map(|_| {
        client
            .post(format!("{api}/auth/login"))
            .json(&json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}))
            .send()
    });
    let answers = futures::future::join_all(logins).await;
    let mut ok = 0;
    for a in answers {
        let a = a.unwrap();
        match a.status().as_u16() {
            200 => ok += 1,
            503 => assert!(a.headers().contains_key("Retry-After")),
            other => panic!("login answered {other}"),
        }
    }
    assert!(ok > 0);
    let peak = peak_rss_kib(server.child.id());
    // Unbounded, this took 7.5 GiB. Bounded: a few hashes of 19 MiB at once.
    assert!(peak < 256 * 1024, "peak RSS {peak} KiB (ceiling 256 MiB)");
    println!(
        "peak RSS with 300 concurrent logins: {} MiB, {ok} of 300 logged in",
        peak / 1024
    );
}

// 4. An email registered before it became the admin's is not promoted.
#[actix_rt::test]
async fn a_squatted_admin_email_is_not_promoted_and_the_server_refuses_to_start() {
    let dir = tempfile::tempdir().unwrap();
    let mut server = crate::process::start(dir.path(), &[]).await;
    let r = booking_engine::tls::client()
        .build()
        .unwrap()
        .post(format!("{}/api/v1/auth/register", server.base))
        .json(&json!({"email": "boss@example.com", "password": "password-123"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    server.child.kill().unwrap();
    server.child.wait().unwrap();
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_booking-engine"))
        .env_clear()
        .env("BOOKING_LISTEN", "127.0.0.1:0")
        .env("BOOKING_DATA_DIR", dir.path())
        .env(
            "BOOKING_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        )
        .env("BOOKING_ADMIN_EMAIL", "boss@example.com")
        .env("BOOKING_ADMIN_PASSWORD", "the-operators-password")
        .output()
        .unwrap();
    assert!(!output.status.success());
    let said = String::from_utf8_lossy(&output.stderr);
    assert!(
        said.contains("BOOKING_ADMIN_EMAIL") && said.contains("not promoted"),
        "{said}"
    );
}

// 5. Hoarding.
#[actix_rt::test]
async fn a_fourth_live_hold_of_one_customer_is_refused_and_staff_are_not_limited() {
    let app = spawn_app().await;
    let venue = app.create_venue(&restaurant(tables())).await;
    let (ann, _) = app.register("ann@example.com").await;
    let day = &evening_text(3)[..10];
    let hold = |time: &str| json!({"start": format!("{day}T{time}:00+08:00"), "party_size": 2});
    let path = format!("/venues/{venue}/holds");
    for time in ["17:00", "17:15", "17:30"] {
        assert_eq!(
            app.post(&path, Some(&ann), &hold(time))
                .await
                .status()
                .as_u16(),
            201
        );
    }
    let r = app.post(&path, Some(&ann), &hold("17:45")).await;
    assert_eq!(r.status().as_u16(), 409);
    let e = body(r).await;
    assert_eq!(
        (
            e["error"]["code"].as_str(),
            e["error"]["details"]["reason"].as_str()
        ),
        (Some("conflict"), Some("limit"))
    );
    for time in ["19:00", "19:15", "19:30", "19:45"] {
        assert_eq!(
            app.post(&path, Some(&app.admin), &hold(time))
                .await
                .status()
                .as_u16(),
            201
        );
    }
    let v = body(app.get(&format!("/venues/{venue}"), None).await).await;
    assert_eq!(v["max_live_holds_per_customer"], 3);
}

async fn faulty_app() -> (TestApp, FaultSwitch) {
    let dir = tempfile::tempdir().unwrap();
    let settings = test_settings(dir.path());
    let switch = FaultSwitch::default();
    let options = StoreOptions {
        keep_events: 100,
        faults: Some(switch.clone()),
        ..StoreOptions::default()
    };
    let store = Store::open_with(EngineKind::Redb, dir.path(), options).unwrap();
    let app = spawn_app_on_store(
        dir,
        settings,
        Arc::new(booking_engine::clock::SystemClock),
        store,
    )
    .await;
    (app, switch)
}

// 6. Disk full.
#[actix_rt::test]
async fn after_a_failed_sync_nothing_refused_is_visible_every_write_is_503_and_freed_space_heals() {
    let (app, disk) = faulty_app().await;
    let venue = app
        .create_venue(&restaurant(json!([
            {"id": "t2", "name": "Table 2", "capacity": 2, "min_party": 1, "mode": "exclusive"}
        ])))
        .await;
    let (ann, _) = app.register("ann@example.com").await;
    let start = evening_text(2);
    let date = &start[..10];
    let free = || async {
        let a = body(
            app.get(
                &format!("/venues/{venue}/availability?date={date}&party_size=2"),
                None,
            )
            .await,
        )
        .await;
        a["slots"]
            .as_array()
            .unwrap()
            .iter()
            .find(|s| s["start"] == start.as_str())
            .unwrap()["available"]
            .clone()
    };
    assert_eq!(free().await, json!(true));

    disk.fail_until_cleared(Fault::NoSpace);
    let book = json!({"start": start, "party_size": 2});
    let r = app
        .post(&format!("/venues/{venue}/bookings"), Some(&ann), &book)
        .await;
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(body(r).await["error"]["code"], "unavailable");
    assert_eq!(
        free().await,
        json!(true),
        "the refused booking holds no table"
    );
    let sheet = body(
        app.get(
            &format!("/venues/{venue}/bookings?date={date}"),
            Some(&app.admin),
        )
        .await,
    )
    .await;
    assert_eq!(sheet["items"], json!([]));
    // Account writes are refused too, with the same code.
    let r = app
        .post(
            "/auth/register",
            None,
            &json!({"email": "bob@example.com", "password": "password-123"}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(body(r).await["error"]["code"], "unavailable");
    let r = app
        .post(
            "/auth/login",
            None,
            &json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(
        app.get(&format!("{}/ready", app.root()), None)
            .await
            .status()
            .as_u16(),
        503
    );

    disk.clear();
    let mut ready = false;
    for _ in 0..100 {
        if app
            .get(&format!("{}/ready", app.root()), None)
            .await
            .status()
            .is_success()
        {
            ready = true;
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    assert!(ready, "freed space lets the server heal without a restart");
    let r = app
        .post(&format!("/venues/{venue}/bookings"), Some(&ann), &book)
        .await;
    assert_eq!(r.status().as_u16(), 201);
    assert_eq!(free().await, json!(false));
}

// 15b. A dead writer.
#[actix_rt::test]
async fn a_dead_writer_task_makes_the_server_unready_and_refuses_writes() {
    let app = spawn_app().await;
    app.engine.kill_writer();
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert_eq!(
        app.get(&format!("{}/ready", app.root()), None)
            .await
            .status()
            .as_u16(),
        503
    );
    let r = app
        .post(
            "/auth/register",
            None,
            &json!({"email": "bob@example.com", "password": "password-123"}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 503);
}

// 7. A hold whose interval is over cannot be converted (it panicked the venue).
#[actix_rt::test]
async fn converting_a_hold_whose_time_has_passed_is_410_and_the_venue_lives_on() {
    let clock = ManualClock::new();
    let app = spawn_app_on(
        tempfile::tempdir().unwrap(),
        |s| s.hold_ttl_seconds = 3 * 24 * 3600,
        clock.clone(),
    )
    .await;
    let venue = app.create_venue(&restaurant(tables())).await;
    let (ann, _) = app.register("ann@example.com").await;
    let start = evening_text(1);
    let r = app
        .post(
            &format!("/venues/{venue}/holds"),
            Some(&ann),
            &json!({"start": start, "party_size": 2}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let hold = body(r).await["id"].as_str().unwrap().to_string();
    clock.advance(jiff::SignedDuration::from_hours(48));
    let r = app
        .patch(
            &format!("/venues/{venue}"),
            Some(&app.admin),
            &json!({"name": "Renamed"}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    for _ in 0..2 {
        let r = app
            .post(
                &format!("/venues/{venue}/bookings"),
                Some(&ann),
                &json!({"hold_id": hold}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 410);
    }
    assert_eq!(
        app.get(&format!("/venues/{venue}"), None)
            .await
            .status()
            .as_u16(),
        200
    );
    let mine = body(app.get("/bookings", Some(&ann)).await).await;
    assert_eq!(mine["items"], json!([]));
}

// 15c. A backward clock jump.
#[actix_rt::test]
async fn holds_expire_on_time_after_the_wall_clock_jumps_back() {
    let clock = ManualClock::new();
    let app = spawn_app_on(
        tempfile::tempdir().unwrap(),
        |s| s.hold_ttl_seconds = 1,
        clock.clone(),
    )
    .await;
    let venue = app
        .create_venue(&restaurant(json!([
            {"id": "t2", "name": "Table 2", "capacity": 2, "min_party": 1, "mode": "exclusive"}
        ])))
        .await;
    let (ann, _) = app.register("ann@example.com").await;
    let start = evening_text(2);
    let r = app
        .post(
            &format!("/venues/{venue}/holds"),
            Some(&ann),
            &json!({"start": start, "party_size": 2}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    // Tokens are checked against real time: get bob's before the jump.
    let (bob, _) = app.register("bob@example.com").await;
    clock.advance(jiff::SignedDuration::from_hours(-1));
    let book = json!({"start": start, "party_size": 2});
    let mut status = 0;
    for _ in 0..40 {
        tokio::time::sleep(Duration::from_millis(100)).await;
        status = app
            .post(&format!("/venues/{venue}/bookings"), Some(&bob), &book)
            .await
            .status()
            .as_u16();
        if status == 201 {
            break;
        }
    }
    assert_eq!(
        status, 201,
        "the one-second hold expired although the wall clock went back an hour"
    );
}

// 11. A client's retried refresh.
#[actix_rt::test]
async fn two_concurrent_refreshes_with_one_token_get_the_same_pair_and_later_reuse_still_revokes() {
    let app = spawn_app().await;
    let r = app
        .post(
            "/auth/register",
            None,
            &json!({"email": "ann@example.com", "password": "password-123"}),
        )
        .await;
    let first = body(r).await["refresh_token"].as_str().unwrap().to_string();
    let spend = json!({"refresh_token": first});
    let refresh = || app.post("/auth/refresh", None, &spend);
    let (a, b) = futures::join!(refresh(), refresh());
    assert_eq!((a.status().as_u16(), b.status().as_u16()), (200, 200));
    let (a, b) = (body(a).await, body(b).await);
    assert_eq!(a["refresh_token"], b["refresh_token"]);
    assert_eq!(a["access_token"], b["access_token"]);
    // At most once more: a third presentation is reuse.
    assert_eq!(refresh().await.status().as_u16(), 401);
    let r = app
        .post(
            "/auth/refresh",
            None,
            &json!({"refresh_token": a["refresh_token"]}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 401, "the login was revoked");
}

async fn raw(port: u16, request: &[u8]) -> String {
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    tcp.write_all(request).await.unwrap();
    let mut out = Vec::new();
    let _ = tokio::time::timeout(Duration::from_secs(10), tcp.read_to_end(&mut out)).await;
    String::from_utf8_lossy(&out).into_owned()
}

// 12. Slow bodies and connections per address.
#[actix_rt::test]
async fn a_trickled_body_times_out_and_connections_per_address_are_capped() {
    let app = spawn_app_with(|s| {
        s.rate_limit = true;
        s.limits.connections_per_address = 4;
        s.limits.body_timeout_seconds = 1;
    })
    .await;
    let port = port_of(&app);
    let mut tcp = tokio::net::TcpStream::connect(("127.0.0.1", port))
        .await
        .unwrap();
    tcp.write_all(b"POST /api/v1/auth/register HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 100\r\n\r\n{").await.unwrap();
    let started = std::time::Instant::now();
    let mut out = vec![0u8; 4096];
    let mut got = String::new();
    while started.elapsed() < Duration::from_secs(8) {
        if tcp.write_all(b" ").await.is_err() {
            break;
        }
        match tokio::time::timeout(Duration::from_millis(500), tcp.read(&mut out)).await {
            Ok(Ok(n)) if n > 0 => {
                got.push_str(&String::from_utf8_lossy(&out[..n]));
                break;
            }
            Ok(_) => break,
            Err(_) => {}
        }
    }
    assert!(got.starts_with("HTTP/1.1 408"), "{got}");
    drop(tcp);

    // The test client's keep-alive connection (the admin login) is one of four.
    let mut held = Vec::new();
    for _ in 0..3 {
        held.push(
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .unwrap(),
        );
    }
    tokio::time::sleep(Duration::from_millis(100)).await;
    let over = raw(port, b"GET /health HTTP/1.1\r\nHost: x\r\n\r\n").await;
    assert!(over.starts_with("HTTP/1.1 429"), "{over}");
    assert!(
        over.to_ascii_lowercase().contains("connection: close"),
        "{over}"
    );
    held.pop();
    tokio::time::sleep(Duration::from_millis(100)).await;
    let fine = raw(
        port,
        b"GET /health HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
    )
    .await;
    assert!(fine.starts_with("HTTP/1.1 200"), "{fine}");
}

// 15d-h. Small ones, through the server.
#[actix_rt::test]
async fn offsets_arrays_odd_periods_methods_and_head_follow_the_contract() {
    let app = spawn_app().await;
    let venue = app.create_venue(&restaurant(tables())).await;
    let (ann, _) = app.register("ann@example.com").await;
    let start = evening_text(2).replace("+08:00", "+25:00");
    let r = app
        .post(
            &format!("/venues/{venue}/bookings"),
            Some(&ann),
            &json!({"start": start, "party_size": 2}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(body(r).await["error"]["details"]["field"], "start");

    let r = app
        .post(
            &format!("/venues/{venue}/bookings"),
            Some(&ann),
            &json!([evening_text(2), 2]),
        )
        .await;
    assert_eq!(r.status().as_u16(), 400);
    assert_eq!(body(r).await["error"]["code"], "malformed_request");

    let mut clinic =
        restaurant(json!([{"id": "dr_li", "name": "Dr Li", "capacity": 1, "mode": "exclusive"}]));
    clinic["slot_minutes"] = json!(45);
    clinic["booking_minutes"] = json!(45);
    let day = json!([["09:00", "17:00"]]);
    clinic["opening_hours"] = json!({"mon": day, "tue": day, "wed": day, "thu": day, "fri": day});
    let r = app.post("/venues", Some(&app.admin), &clinic).await;
    assert_eq!(r.status().as_u16(), 201, "{}", body(r).await);

    let r = app
        .request(reqwest::Method::DELETE, "/venues", Some(&app.admin), None)
        .await;
    assert_eq!(r.status().as_u16(), 405);
    let allow = r.headers()["Allow"].to_str().unwrap().to_string();
    assert_eq!(allow, "GET, HEAD, POST");
    assert_eq!(body(r).await["error"]["code"], "method_not_allowed");
    let r = app
        .request(
            reqwest::Method::PUT,
            &format!("{}/health", app.root()),
            None,
            None,
        )
        .await;
    assert_eq!(r.status().as_u16(), 405);

    for path in [
        "/tablet/",
        "/health",
        "/api/v1/venues",
        "/api/v1/openapi.json",
    ] {
        let r = app
            .request(
                reqwest::Method::HEAD,
                &format!("{}{path}", app.root()),
                None,
                None,
            )
            .await;
        assert_eq!(r.status().as_u16(), 200, "HEAD {path}");
    }
}

#[cfg(unix)]
fn mode(path: &std::path::Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

// 9. Files readable by every local user.
#[cfg(unix)]
#[actix_rt::test]
async fn the_store_the_secret_and_backups_are_private_to_their_owner() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    std::fs::create_dir(&data).unwrap();
    std::fs::set_permissions(&data, std::fs::Permissions::from_mode(0o755)).unwrap();
    // An old secret file left readable by everyone.
    std::fs::write(data.join("jwt_secret"), "s".repeat(48)).unwrap();
    std::fs::set_permissions(
        data.join("jwt_secret"),
        std::fs::Permissions::from_mode(0o644),
    )
    .unwrap();
    let (keep, data_dir) = (dir, data.clone());
    let app = spawn_app_on(
        tempfile::tempdir().unwrap(),
        move |s| s.data_dir = data_dir,
        Arc::new(booking_engine::clock::SystemClock),
    )
    .await;
    assert_eq!(mode(&data), 0o700);
    assert_eq!(mode(&data.join("booking.redb")), 0o600);
    assert_eq!(mode(&data.join("jwt_secret")), 0o600);
    let backup = keep.path().join("out.backup");
    app.engine.backup(backup.clone()).await.unwrap();
    assert_eq!(mode(&backup), 0o600);
    // A restore's store and directory are private too.
    let restored = keep.path().join("restored");
    booking_engine::store::backup::restore(&backup, EngineKind::Redb, &restored, &mut |_| {})
        .unwrap();
    assert_eq!(mode(&restored), 0o700);
    assert_eq!(mode(&restored.join("booking.redb")), 0o600);
}

// 8. A half-finished restore is never served.
#[actix_rt::test]
async fn a_restore_that_did_not_finish_is_refused_at_start_and_a_finished_one_leaves_no_marker() {
    let app = spawn_app().await;
    app.create_venue(&restaurant(tables())).await;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("b.backup");
    app.engine.backup(file.clone()).await.unwrap();
    let target = dir.path().join("restored");
    let n = booking_engine::store::backup::restore(&file, EngineKind::Redb, &target, &mut |_| {})
        .unwrap();
    assert!(n > 0);
    let names: Vec<_> = std::fs::read_dir(&target)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(names, ["booking.redb"], "no marker, no scratch directory");
    // A restore cut short (a full disk, a kill) leaves its marker; the
    // server refuses the directory and says why.
    let cut = dir.path().join("cut");
    std::fs::create_dir(&cut).unwrap();
    std::fs::write(cut.join(booking_engine::store::files::RESTORE_MARKER), "").unwrap();
    let mut settings = test_settings(&cut);
    settings.listen = "127.0.0.1:0".into();
    let err = booking_engine::startup::Application::build(&settings)
        .await
        .err()
        .unwrap();
    assert!(format!("{err:#}").contains("restore"), "{err:#}");
    assert!(!cut.join("booking.redb").exists());
    // And a second restore refuses to run over it.
    assert!(
        booking_engine::store::backup::restore(&file, EngineKind::Redb, &cut, &mut |_| {}).is_err()
    );
}

// 15a. A damaged length in a backup.
#[test]
fn a_backup_stating_a_four_gibibyte_key_is_refused_without_reading_it() {
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("bad.backup");
    let mut bytes = b"BOOKING-ENGINE-BACKUP 1\n".to_vec();
    bytes.push(1);
    bytes.extend_from_slice(&u32::MAX.to_be_bytes());
    std::fs::write(&file, bytes).unwrap();
    let err = booking_engine::store::backup::verify(&file).unwrap_err();
    assert!(err.to_string().contains("implausibly large"), "{err}");
}

// 10. A backup does not stop writes.
#[actix_rt::test]
async fn bookings_go_on_while_a_backup_is_written() {
    let app = spawn_app().await;
    let venue = app
        .create_venue(&restaurant(json!([
            {"id": "bar", "name": "Bar", "capacity": 1000, "mode": "shared"}
        ])))
        .await;
    let (ann, _) = app.register("ann@example.com").await;
    let dir = tempfile::tempdir().unwrap();
    let engine = app.engine.clone();
    let file = dir.path().join("b.backup");
    let backup = actix_web::rt::spawn(async move { engine.backup(file).await });
    let path = format!("/venues/{venue}/bookings");
    for _ in 0..5 {
        let r = app
            .post(
                &path,
                Some(&ann),
                &json!({"start": evening_text(2), "party_size": 1}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 201);
    }
    assert!(backup.await.unwrap().unwrap() > 0);
}

// 15i. The binary's help.
#[test]
fn help_and_version_exit_zero_and_every_subcommand_has_help() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["backup", "--help"],
        &["restore", "--help"],
    ] {
        let out = std::process::Command::new(env!("CARGO_BIN_EXE_booking-engine"))
            .args(args)
            .output()
            .unwrap();
        assert!(out.status.success(), "{args:?}");
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_booking-engine"))
        .arg("--no-such-flag")
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
}

/// A valid backup of `n` auxiliary records, written as the format says.
fn synthetic_backup(path: &std::path::Path, n: u64) {
    use sha2::{Digest, Sha256};
    let mut bytes = b"BOOKING-ENGINE-BACKUP 1\n".to_vec();
    for i in 0..n {
        let key = format!("\u{9}filler-{i:012}").into_bytes();
        let value = vec![b'x'; 200];
        bytes.push(7); // the aux table
        bytes.extend_from_slice(&(key.len() as u32).to_be_bytes());
        bytes.extend_from_slice(&key);
        bytes.extend_from_slice(&(value.len() as u32).to_be_bytes());
        bytes.extend_from_slice(&value);
    }
    bytes.push(0);
    bytes.extend_from_slice(&n.to_be_bytes());
    let digest = Sha256::digest(&bytes);
    bytes.extend_from_slice(&digest);
    std::fs::write(path, bytes).unwrap();
}

// 8, for real: the restore process killed half-way.
#[test]
fn a_restore_killed_half_way_leaves_a_directory_no_server_opens() {
    use std::io::BufRead;
    let dir = tempfile::tempdir().unwrap();
    let file = dir.path().join("big.backup");
    synthetic_backup(&file, 60_000);
    let target = dir.path().join("data");
    let mut restore = std::process::Command::new(env!("CARGO_BIN_EXE_booking-engine"))
        .env_clear()
        .env(
            "BOOKING_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        )
        .args(["restore", "--from"])
        .arg(&file)
        .arg("--data-dir")
        .arg(&target)
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Killed once it has written its first batches.
    let progress = std::io::BufReader::new(restore.stderr.take().unwrap());
    let first = progress
        .lines()
        .map_while(Result::ok)
        .find(|l| l.contains("records"));
    restore.kill().unwrap();
    let status = restore.wait().unwrap();
    assert!(
        first.is_some() && !status.success(),
        "the restore was cut short"
    );
    assert!(
        target
            .join(booking_engine::store::files::RESTORE_MARKER)
            .exists()
    );
    assert!(
        !target.join("booking.redb").exists(),
        "nothing half-made is in place"
    );

    let serve = std::process::Command::new(env!("CARGO_BIN_EXE_booking-engine"))
        .env_clear()
        .env("BOOKING_LISTEN", "127.0.0.1:0")
        .env("BOOKING_DATA_DIR", &target)
        .env(
            "BOOKING_CONFIG_DIR",
            concat!(env!("CARGO_MANIFEST_DIR"), "/config"),
        )
        .output()
        .unwrap();
    assert!(!serve.status.success());
    let said = String::from_utf8_lossy(&serve.stderr);
    assert!(
        said.contains("restore") && said.contains("did not finish"),
        "{said}"
    );

    // Restored again into a fresh directory, it completes and serves.
    let fresh = dir.path().join("fresh");
    let n = booking_engine::store::backup::restore(&file, EngineKind::Redb, &fresh, &mut |_| {})
        .unwrap();
    assert_eq!(n, 60_000);
}
