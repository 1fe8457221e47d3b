//! Webhooks (API v1.1 §7) through the real server, delivered to a real
//! receiver on port 0: signatures, order through failures, a receiver
//! that was down, one that hangs, the deliveries log and manual retry.

use serde_json::{Value, json};

use crate::helpers::{
    TestApp, body, evening_text, numbered_tables as tables, restaurant, spawn_app_with,
};
use crate::receiver::{self, Receiver, verify};

/// A server retrying quickly (50 ms, doubling) with a 1.5 s timeout.
async fn quick_app() -> TestApp {
    spawn_app_with(|s| {
        s.webhooks.retry_base_ms = 50;
        s.webhooks.timeout_ms = 1500;
    })
    .await
}

/// Adds a webhook for `events`; returns (its id, its secret).
async fn add_hook(app: &TestApp, venue: &str, to: &Receiver, events: Value) -> (String, String) {
    let r = app
        .post(
            &format!("/venues/{venue}/webhooks"),
            Some(&app.admin),
            &json!({"url": to.url, "events": events, "description": "the POS"}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let b = body(r).await;
    let secret = b["secret"].as_str().unwrap().to_string();
    assert!(secret.starts_with("whsec_"), "{secret}");
    (b["id"].as_str().unwrap().to_string(), secret)
}

async fn book(app: &TestApp, venue: &str, token: &str) -> String {
    let r = app
        .post(
            &format!("/venues/{venue}/bookings"),
            Some(token),
            &json!({"start": evening_text(2), "party_size": 2}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    body(r).await["id"].as_str().unwrap().to_string()
}

fn seqs(got: &[receiver::Received]) -> Vec<u64> {
    got.iter()
        .map(|r| r.body["seq"].as_u64().unwrap())
        .collect()
}

#[actix_rt::test]
async fn deliveries_are_signed_and_keep_their_order_through_three_failures() {
    let app = quick_app().await;
    let venue = app.create_venue(&restaurant(tables(4))).await;
    let (ann, _) = app.register("ann@example.com").await;
    let hook = receiver::start();
    let (id, secret) = add_hook(&app, &venue, &hook, json!(["booking.*"])).await;
    // The list shows it without its secret.
    let listed = body(
        app.get(&format!("/venues/{venue}/webhooks"), Some(&app.admin))
            .await,
    )
    .await;
    assert_eq!(listed["items"][0]["id"], id.as_str());
    assert!(listed["items"][0].get("secret").is_none());
    assert_eq!(listed["items"][0]["events"], json!(["booking.*"]));

    hook.fail_next(3);
    let mut booked = Vec::new();
    for _ in 0..3 {
        booked.push(book(&app, &venue, &ann).await);
    }
    let got = hook.wait_for(3, 20).await;
    assert_eq!(got.len(), 3, "every booking arrived: {:?}", hook.all());
    let s = seqs(&got);
    assert!(s.windows(2).all(|w| w[0] < w[1]), "in seq order: {s:?}");
    // Three failed attempts, then each event once, in order: the first
    // event was the one retried.
    let all = hook.all();
    assert_eq!(all.iter().filter(|r| r.status == 500).count(), 3);
    assert!(all[..3].iter().all(|r| r.event_id == got[0].event_id));
    for (r, booking) in got.iter().zip(&booked) {
        assert!(
            verify(&secret, &r.signature, &r.raw),
            "signed: {}",
            r.signature
        );
        assert!(!verify("whsec_wrong", &r.signature, &r.raw));
        assert_eq!(r.content_type, "application/json");
        assert_eq!(r.body["type"], "booking.created");
        assert_eq!(r.body["venue_id"], venue.as_str());
        assert_eq!(r.body["id"], r.event_id.as_str());
        assert_eq!(r.body["data"]["id"], booking.as_str());
        assert!(r.body["created_at"].is_string());
    }

    // The log: one row per attempt, newest first.
    let log = body(
        app.get(&format!("/webhooks/{id}/deliveries"), Some(&app.admin))
            .await,
    )
    .await;
    let rows = log["items"].as_array().unwrap();
    assert_eq!(rows.len(), 6, "{log}");
    let oldest = &rows[5];
    assert_eq!(
        (oldest["attempt"].as_u64(), oldest["status_code"].as_u64()),
        (Some(1), Some(500))
    );
    assert_eq!(oldest["status"], "retrying");
    assert_eq!(rows[0]["status_code"], 200);
    assert_eq!(rows[0]["status"], "delivered");
    // Paginated: two pages of three.
    let first = body(
        app.get(
            &format!("/webhooks/{id}/deliveries?limit=3"),
            Some(&app.admin),
        )
        .await,
    )
    .await;
    let cursor = first["next_cursor"].as_str().unwrap().to_string();
    let second = body(
        app.get(
            &format!("/webhooks/{id}/deliveries?limit=3&cursor={cursor}"),
            Some(&app.admin),
        )
        .await,
    )
    .await;
    assert_eq!(second["items"][0]["id"], rows[3]["id"]);
    assert!(second["next_cursor"].is_null());

    // A manual retry sends a delivered event again, with the same id.
    let delivered = rows[0]["id"].as_str().unwrap();
    let r = app
        .post(
            &format!("/webhooks/{id}/deliveries/{delivered}/retry"),
            Some(&app.admin),
            &json!({}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 202);
    let again_for = rows[0]["seq"].as_u64().unwrap();
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while hook.all().len() < 7 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let last = hook.all().last().cloned().unwrap();
    assert_eq!(last.body["seq"].as_u64(), Some(again_for));
    let r = app
        .post(
            &format!("/webhooks/{id}/deliveries/no-such/retry"),
            Some(&app.admin),
            &json!({}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 404);
}

#[actix_rt::test]
async fn a_receiver_that_was_down_gets_everything_in_order_when_it_returns() {
    let app = quick_app().await;
    let venue = app.create_venue(&restaurant(tables(5))).await;
    let (ann, _) = app.register("ann@example.com").await;
    let hook = receiver::start();
    let (id, _) = add_hook(&app, &venue, &hook, json!(["*"])).await;
    hook.set_down(true);
    for _ in 0..5 {
        book(&app, &venue, &ann).await;
    }
    // Retried while down; a retry of the delivery being retried is refused.
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while hook.all().len() < 2 && std::time::Instant::now() < deadline {
        tokio::time::sleep(std::time::Duration::from_millis(20)).await;
    }
    let log = body(
        app.get(&format!("/webhooks/{id}/deliveries"), Some(&app.admin))
            .await,
    )
    .await;
    let retrying = log["items"][0]["id"].as_str().unwrap().to_string();
    let r = app
        .post(
            &format!("/webhooks/{id}/deliveries/{retrying}/retry"),
            Some(&app.admin),
            &json!({}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 409);
    assert_eq!(body(r).await["error"]["code"], "conflict");
    assert!(hook.delivered().is_empty());
    hook.set_down(false);
    let got = hook.wait_for(5, 20).await;
    assert_eq!(got.len(), 5);
    let s = seqs(&got);
    assert!(s.windows(2).all(|w| w[0] < w[1]), "in order: {s:?}");
    // Only booking events were made after the webhook.
    assert!(got.iter().all(|r| r.body["type"] == "booking.created"));
}

#[actix_rt::test]
async fn a_hanging_receiver_does_not_delay_another_endpoint() {
    let app = quick_app().await;
    let venue = app.create_venue(&restaurant(tables(2))).await;
    let (ann, _) = app.register("ann@example.com").await;
    let stuck = receiver::start();
    stuck.set_hang(true);
    let healthy = receiver::start();
    add_hook(&app, &venue, &stuck, json!(["booking.created"])).await;
    add_hook(&app, &venue, &healthy, json!(["booking.created"])).await;
    let started = std::time::Instant::now();
    book(&app, &venue, &ann).await;
    book(&app, &venue, &ann).await;
    let got = healthy.wait_for(2, 10).await;
    assert_eq!(got.len(), 2);
    // Well inside the stuck endpoint's 1.5 s timeout for the first event.
    assert!(
        started.elapsed() < std::time::Duration::from_millis(1400),
        "{:?}",
        started.elapsed()
    );
    assert!(stuck.delivered().is_empty());
}

#[actix_rt::test]
async fn webhooks_are_checked_and_bounded_and_deleting_one_stops_it() {
    let app = quick_app().await;
    let venue = app.create_venue(&restaurant(tables(1))).await;
    let hook = receiver::start();
    let path = format!("/venues/{venue}/webhooks");
    let cases = [
        (json!({"url": "ftp://x.example/", "events": ["*"]}), "url"),
        (json!({"url": hook.url, "events": []}), "events"),
        (
            json!({"url": hook.url, "events": ["booking.*", "nope.*"]}),
            "events[1]",
        ),
        (
            json!({"url": hook.url, "events": ["*"], "description": "x".repeat(501)}),
            "description",
        ),
    ];
    for (payload, field) in cases {
        let r = app.post(&path, Some(&app.admin), &payload).await;
        assert_eq!(r.status().as_u16(), 422, "{payload}");
        assert_eq!(body(r).await["error"]["details"]["field"], field);
    }
    let r = app
        .post(&path, Some(&app.admin), &json!({"url": hook.url}))
        .await;
    assert_eq!(r.status().as_u16(), 422, "events is required");
    assert_eq!(body(r).await["error"]["details"]["field"], "events");
    assert!(
        body(app.get(&path, Some(&app.admin)).await).await["items"]
            .as_array()
            .unwrap()
            .is_empty()
    );
    let mut ids = Vec::new();
    for _ in 0..16 {
        ids.push(
            add_hook(&app, &venue, &hook, json!(["booking.created"]))
                .await
                .0,
        );
    }
    let r = app
        .post(
            &path,
            Some(&app.admin),
            &json!({"url": hook.url, "events": ["*"]}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 409, "at most 16 per venue");
    for id in &ids {
        assert_eq!(
            app.delete(&format!("/webhooks/{id}"), Some(&app.admin))
                .await
                .status()
                .as_u16(),
            204
        );
    }
    assert_eq!(
        app.delete(&format!("/webhooks/{}", ids[0]), Some(&app.admin))
            .await
            .status()
            .as_u16(),
        404
    );
    let (ann, _) = app.register("ann@example.com").await;
    book(&app, &venue, &ann).await;
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    assert!(hook.all().is_empty(), "deleted webhooks deliver nothing");
}

#[actix_rt::test]
async fn production_refuses_plain_http_and_private_destinations() {
    let app = spawn_app_with(|s| {
        s.env = booking_engine::settings::Environment::Production;
        s.jwt_secret = Some("a-production-secret-of-enough-length-0123456789".into());
        s.rate_limit = true;
        s.limits.per_second = 1000;
        s.limits.burst = 1000;
        s.limits.auth_per_minute = 1000;
    })
    .await;
    let venue = app.create_venue(&restaurant(tables(1))).await;
    let path = format!("/venues/{venue}/webhooks");
    for url in [
        "http://hooks.example.com/in",
        "https://127.0.0.1/in",
        "https://10.0.0.5/in",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/in",
        "https://localhost/in",
    ] {
        let r = app
            .post(
                &path,
                Some(&app.admin),
                &json!({"url": url, "events": ["*"]}),
            )
            .await;
        assert_eq!(r.status().as_u16(), 422, "{url}");
        assert_eq!(body(r).await["error"]["details"]["field"], "url", "{url}");
    }
}
