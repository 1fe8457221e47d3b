//! What surrounds the API: rate limits, security headers, CORS, the OpenAPI
//! document, and holds expiring under a test clock.

use jiff::SignedDuration;
use serde_json::{Value, json};

use booking_engine::settings::LimitSettings;

use crate::helpers::*;

#[actix_rt::test]
async fn past_its_rate_a_client_gets_429_with_retry_after() {
    let app = spawn_app_with(|s| {
        s.rate_limit = true;
        s.limits = LimitSettings {
            per_second: 1,
            burst: 3,
            auth_per_minute: 2,
            ..LimitSettings::default()
        };
    })
    .await;
    let statuses: Vec<u16> = futures::future::join_all((0..4).map(|_| app.get("/venues", None)))
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 200).count(),
        3,
        "{statuses:?}"
    );
    let limited = app.get("/venues", None).await;
    assert_eq!(limited.status().as_u16(), 429);
    assert!(
        limited
            .headers()
            .get("Retry-After")
            .and_then(|v| v.to_str().ok()?.parse::<u64>().ok())
            .is_some_and(|s| s >= 1)
    );
    assert_eq!(body(limited).await["error"]["code"], "rate_limited");
    // A user with a token has a budget of their own.
    assert_eq!(
        app.get("/venues", Some(&app.admin)).await.status().as_u16(),
        200
    );
    // Auth has its own, per minute: the admin's login used one of two.
    let login = json!({"email": ADMIN_EMAIL, "password": ADMIN_PASSWORD});
    assert_eq!(
        app.post("/auth/login", None, &login)
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        app.post("/auth/login", None, &login)
            .await
            .status()
            .as_u16(),
        429
    );
}

#[actix_rt::test]
async fn responses_carry_security_headers_and_cors_only_for_configured_origins() {
    let app = spawn_app().await;
    let r = app.get("/venues", None).await;
    assert_eq!(r.headers()["x-content-type-options"], "nosniff");
    assert_eq!(r.headers()["x-frame-options"], "DENY");
    assert!(r.headers().get("access-control-allow-origin").is_none());

    let app = spawn_app_with(|s| s.cors_origins = vec!["https://app.example".into()]).await;
    let preflight = app
        .client
        .request(reqwest::Method::OPTIONS, format!("{}/venues", app.address))
        .header("Origin", "https://app.example")
        .header("Access-Control-Request-Method", "POST")
        .send()
        .await
        .unwrap();
    assert_eq!(preflight.status().as_u16(), 200);
    assert_eq!(
        preflight.headers()["access-control-allow-origin"],
        "https://app.example"
    );
}

#[actix_rt::test]
async fn the_openapi_document_lists_every_path_of_the_contract() {
    let app = spawn_app().await;
    let doc = body(app.get("/openapi.json", None).await).await;
    let contract = [
        ("post", "/auth/register"),
        ("post", "/auth/login"),
        ("post", "/auth/refresh"),
        ("get", "/me"),
        ("post", "/venues"),
        ("get", "/venues"),
        ("get", "/venues/{id}"),
        ("patch", "/venues/{id}"),
        ("put", "/venues/{id}/staff/{user_id}"),
        ("delete", "/venues/{id}/staff/{user_id}"),
        ("get", "/venues/{id}/availability"),
        ("post", "/venues/{id}/holds"),
        ("delete", "/holds/{id}"),
        ("post", "/venues/{id}/bookings"),
        ("get", "/bookings"),
        ("get", "/bookings/{id}"),
        ("patch", "/bookings/{id}"),
        ("post", "/bookings/{id}/cancel"),
        ("post", "/bookings/{id}/confirm"),
        ("post", "/bookings/{id}/seat"),
        ("post", "/bookings/{id}/complete"),
        ("post", "/bookings/{id}/no-show"),
        ("get", "/venues/{id}/bookings"),
    ];
    for (method, path) in contract {
        let op = &doc["paths"][format!("/api/v1{path}")][method];
        assert!(op.is_object(), "{method} {path} is missing");
        assert!(op["responses"]["422"]["$ref"].is_string());
    }
}

/// Every `$ref` in a JSON value, for checking that each resolves.
fn refs(value: &Value, out: &mut Vec<String>) {
    match value {
        Value::Object(map) => {
            if let Some(Value::String(r)) = map.get("$ref") {
                out.push(r.clone());
            }
            map.values().for_each(|v| refs(v, out));
        }
        Value::Array(items) => items.iter().for_each(|v| refs(v, out)),
        _ => {}
    }
}

#[actix_rt::test]
async fn every_documented_operation_is_served_and_typed() {
    let app = spawn_app().await;
    let doc = body(app.get("/openapi.json", None).await).await;
    let paths = doc["paths"].as_object().unwrap();
    let mut operations = 0;
    for (path, item) in paths {
        for (method, op) in item.as_object().unwrap() {
            operations += 1;
            // Served: the route exists and takes this method, whatever the
            // answer for a made-up id (no "route not found", no 405).
            let url = format!("{}{}", app.root(), path.replace(['{', '}'], ""));
            let m = reqwest::Method::from_bytes(method.to_uppercase().as_bytes()).unwrap();
            let r = app.request(m, &url, None, None).await;
            let status = r.status().as_u16();
            assert_ne!(status, 405, "{method} {path} is documented but not served");
            if status == 404 {
                let b = body(r).await;
                assert_ne!(b["error"]["message"], "route not found", "{method} {path}");
            }
            // Typed: an id, a tag, and a schema for every JSON success body.
            assert!(op["operationId"].is_string(), "{method} {path}");
            let (code, ok) = op["responses"]
                .as_object()
                .unwrap()
                .iter()
                .find(|(code, _)| code.starts_with('2') || code.as_str() == "101")
                .unwrap();
            if !matches!(code.as_str(), "204" | "202" | "101") && ok["content"].is_object() {
                let media = ok["content"].as_object().unwrap();
                assert!(
                    media.values().all(|m| m["schema"].is_object()),
                    "{method} {path}: success body has no schema"
                );
            }
            if method == "post" || method == "patch" {
                let needs_body = op["requestBody"].is_object();
                let takes_none = [
                    "/cancel",
                    "/confirm",
                    "/seat",
                    "/complete",
                    "/no-show",
                    "/accept",
                    "/decline",
                    "/retry",
                    "/friend-code",
                    "/calendar-feed",
                ]
                .iter()
                .any(|end| path.ends_with(end));
                assert!(
                    needs_body || takes_none,
                    "{method} {path} documents no body"
                );
            }
        }
    }
    assert!(operations >= 60, "only {operations} operations");
    let mut all = Vec::new();
    refs(&doc, &mut all);
    assert!(all.len() > 100);
    for r in all {
        let mut at = &doc;
        for part in r.trim_start_matches("#/").split('/') {
            at = &at[part];
        }
        assert!(at.is_object(), "{r} does not resolve");
    }
    // The WebSocket frames are in the components.
    for frame in ["ClientFrame", "ServerFrame"] {
        assert!(doc["components"]["schemas"][frame].is_object(), "{frame}");
    }
}

#[actix_rt::test]
async fn an_expired_hold_cannot_be_converted_and_its_capacity_is_back() {
    let clock = ManualClock::new();
    let app = spawn_app_with_clock(clock.clone()).await;
    let venue = app
        .create_venue(&restaurant(
            json!([{"id": "t1", "name": "T1", "capacity": 2, "mode": "exclusive"}]),
        ))
        .await;
    let (ann, _) = app.register("ann@example.com").await;
    let (bob, _) = app.register("bob@example.com").await;
    let start = evening_text(2);
    let r = app
        .post(
            &format!("/venues/{venue}/holds"),
            Some(&ann),
            &json!({"start": start, "party_size": 2}),
        )
        .await;
    let hold = body(r).await["id"].as_str().unwrap().to_string();
    let taken = app
        .post(
            &format!("/venues/{venue}/bookings"),
            Some(&bob),
            &json!({"start": start, "party_size": 2}),
        )
        .await;
    assert_eq!(taken.status().as_u16(), 409);

    clock.advance(SignedDuration::from_secs(301));
    let r = app
        .post(
            &format!("/venues/{venue}/bookings"),
            Some(&ann),
            &json!({"hold_id": hold}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 410);
    assert_eq!(body(r).await["error"]["code"], "hold_expired");
    let free = app
        .post(
            &format!("/venues/{venue}/bookings"),
            Some(&bob),
            &json!({"start": start, "party_size": 2}),
        )
        .await;
    assert_eq!(free.status().as_u16(), 201);
}

#[actix_rt::test]
async fn metrics_count_requests_bookings_and_conflicts_and_every_response_has_a_request_id() {
    let app = spawn_app().await;
    let venue = app
        .create_venue(&restaurant(
            json!([{"id": "t1", "name": "T1", "capacity": 2, "mode": "exclusive"}]),
        ))
        .await;
    let (ann, _) = app.register("ann@example.com").await;
    let booking = json!({"start": evening_text(2), "party_size": 2});
    let first = app
        .post(&format!("/venues/{venue}/bookings"), Some(&ann), &booking)
        .await;
    assert_eq!(first.status().as_u16(), 201);
    assert!(first.headers().get("x-request-id").is_some());
    assert_eq!(
        app.post(&format!("/venues/{venue}/bookings"), Some(&ann), &booking)
            .await
            .status()
            .as_u16(),
        409
    );
    let echoed = app
        .client
        .get(format!("{}/venues", app.address))
        .header("X-Request-Id", "trace-me-42")
        .send()
        .await
        .unwrap();
    assert_eq!(echoed.headers()["x-request-id"], "trace-me-42");

    let text = app
        .get(&format!("{}/metrics", app.root()), None)
        .await
        .text()
        .await
        .unwrap();
    for needle in [
        "http_requests_total{method=\"POST\",route=\"/api/v1/venues/{id}/bookings\",status=\"201\"}",
        "http_requests_total{method=\"POST\",route=\"/api/v1/venues/{id}/bookings\",status=\"409\"}",
        "http_request_duration_seconds_bucket",
        "bookings_created_total",
        "booking_conflicts_total",
        "store_commit_seconds_bucket",
        "store_commit_batch_size",
        "venues_resident",
        "venue_messages_waiting",
    ] {
        assert!(text.contains(needle), "{needle} missing from:\n{text}");
    }
}

#[actix_rt::test]
async fn ready_is_503_once_the_engine_stops_accepting_writes() {
    let app = spawn_app().await;
    assert_eq!(
        app.get(&format!("{}/ready", app.root()), None)
            .await
            .status()
            .as_u16(),
        200
    );
    app.engine.shutdown().await;
    let r = app.get(&format!("{}/ready", app.root()), None).await;
    assert_eq!(r.status().as_u16(), 503);
    assert_eq!(body(r).await["ready"], false);
}

#[actix_rt::test]
async fn the_tablet_is_served_from_the_binary() {
    let app = spawn_app().await;
    let page = app.get(&format!("{}/tablet/", app.root()), None).await;
    assert_eq!(page.status().as_u16(), 200);
    assert!(
        page.headers()["content-security-policy"]
            .to_str()
            .unwrap()
            .contains("script-src 'self'")
    );
    // The markup carries catalogue keys; the strings come from i18n.js.
    assert!(
        page.text()
            .await
            .unwrap()
            .contains(r#"data-i18n="login.title""#)
    );
    let catalogue = app
        .get(&format!("{}/tablet/i18n.js", app.root()), None)
        .await;
    assert!(catalogue.text().await.unwrap().contains("Staff sign-in"));
    for file in [
        "app.js",
        "style.css",
        "dom.js",
        "timeline.js",
        "panels.js",
        "reports.js",
        "lib/index.js",
        "lib/live.js",
        "lib/client.js",
    ] {
        let r = app
            .get(&format!("{}/tablet/{file}", app.root()), None)
            .await;
        assert_eq!(r.status().as_u16(), 200, "{file}");
    }
    assert_eq!(
        app.get(&format!("{}/tablet/../Cargo.toml", app.root()), None)
            .await
            .status()
            .as_u16(),
        404
    );
    let no_follow = booking_engine::tls::client()
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .unwrap();
    let r = no_follow
        .get(format!("{}/tablet", app.root()))
        .send()
        .await
        .unwrap();
    assert_eq!(
        (
            r.status().as_u16(),
            r.headers()["location"].to_str().unwrap()
        ),
        (308, "/tablet/")
    );
}
