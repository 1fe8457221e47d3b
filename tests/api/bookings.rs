//! Holds and bookings over HTTP: the whole life of a booking, who may see
//! and do what, and every input error.

use futures::future::join_all;
use serde_json::{Value, json};

use crate::helpers::*;

fn resources() -> Value {
    json!([
        {"id": "t2", "name": "Table 2", "capacity": 2, "min_party": 1, "mode": "exclusive"},
        {"id": "t6", "name": "Table 6", "capacity": 6, "min_party": 3, "mode": "exclusive"},
        {"id": "bar", "name": "Bar", "capacity": 10, "mode": "shared"}
    ])
}

struct World {
    app: TestApp,
    venue: String,
    ann: String,
    bob: String,
    staff: String,
}

async fn world() -> World {
    let app = spawn_app().await;
    let venue = app.create_venue(&restaurant(resources())).await;
    let (ann, _) = app.register("ann@example.com").await;
    let (bob, _) = app.register("bob@example.com").await;
    let (staff, staff_id) = app.register("staff@example.com").await;
    let put = app
        .request(
            reqwest::Method::PUT,
            &format!("/venues/{venue}/staff/{staff_id}"),
            Some(&app.admin),
            None,
        )
        .await;
    assert_eq!(put.status().as_u16(), 204);
    World {
        app,
        venue,
        ann,
        bob,
        staff,
    }
}

impl World {
    async fn book(&self, token: &str, body: Value) -> reqwest::Response {
        self.app
            .post(
                &format!("/venues/{}/bookings", self.venue),
                Some(token),
                &body,
            )
            .await
    }
}

#[actix_rt::test]
async fn a_booking_is_created_read_listed_and_cancelled_by_its_owner() {
    let w = world().await;
    let start = evening_text(2);
    let r = w
        .book(
            &w.ann,
            json!({"start": start, "party_size": 4, "note": "window seat"}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let b = body(r).await;
    assert_eq!(
        (
            b["status"].as_str(),
            b["resource_id"].as_str(),
            b["version"].as_u64()
        ),
        (Some("confirmed"), Some("t6"), Some(1))
    );
    assert_eq!(b["start"], start.as_str());
    assert_eq!(
        b["end"].as_str().unwrap(),
        format!("{}T19:30:00+08:00", &start[..10])
    );
    assert!(b["created_at"].as_str().unwrap().ends_with('Z'));
    let id = b["id"].as_str().unwrap();

    assert_eq!(
        body(w.app.get(&format!("/bookings/{id}"), Some(&w.ann)).await).await,
        b
    );
    assert_eq!(
        w.app
            .get(&format!("/bookings/{id}"), Some(&w.bob))
            .await
            .status()
            .as_u16(),
        404,
        "someone else's booking does not exist"
    );
    assert_eq!(
        w.app
            .get(&format!("/bookings/{id}"), Some(&w.staff))
            .await
            .status()
            .as_u16(),
        200
    );
    assert_eq!(
        w.app
            .get(&format!("/bookings/{id}"), Some(&w.app.admin))
            .await
            .status()
            .as_u16(),
        200
    );

    let mine = body(w.app.get("/bookings", Some(&w.ann)).await).await;
    assert_eq!(mine["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        body(w.app.get("/bookings", Some(&w.bob)).await).await["items"],
        json!([])
    );
    let filtered = body(w.app.get("/bookings?status=cancelled", Some(&w.ann)).await).await;
    assert_eq!(filtered["items"], json!([]));
    let from = urlencode(&start);
    assert_eq!(
        body(
            w.app
                .get(&format!("/bookings?from={from}"), Some(&w.ann))
                .await
        )
        .await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    assert_eq!(
        body(
            w.app
                .get(&format!("/bookings?to={from}"), Some(&w.ann))
                .await
        )
        .await["items"],
        json!([])
    );

    assert_eq!(
        w.app
            .post(&format!("/bookings/{id}/cancel"), Some(&w.bob), &json!({}))
            .await
            .status()
            .as_u16(),
        404
    );
    let r = w
        .app
        .post(&format!("/bookings/{id}/cancel"), Some(&w.ann), &json!({}))
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let c = body(r).await;
    assert_eq!(
        (c["status"].as_str(), c["version"].as_u64()),
        (Some("cancelled"), Some(2))
    );
    let again = w
        .app
        .post(&format!("/bookings/{id}/cancel"), Some(&w.ann), &json!({}))
        .await;
    assert_eq!(again.status().as_u16(), 409);
    assert_eq!(body(again).await["error"]["code"], "conflict");
}

fn urlencode(s: &str) -> String {
    s.replace('+', "%2B").replace(':', "%3A")
}

#[actix_rt::test]
async fn staff_run_the_service_and_customers_may_only_cancel() {
    let w = world().await;
    let b = body(
        w.book(&w.ann, json!({"start": evening_text(2), "party_size": 2}))
            .await,
    )
    .await;
    let id = b["id"].as_str().unwrap();
    let act = |who: &str, what: &str| {
        let (app, who, path) = (&w.app, who.to_string(), format!("/bookings/{id}/{what}"));
        async move { app.post(&path, Some(&who), &json!({})).await }
    };
    assert_eq!(act(&w.ann, "seat").await.status().as_u16(), 403);
    assert_eq!(act(&w.bob, "seat").await.status().as_u16(), 404);
    assert_eq!(
        act(&w.staff, "confirm").await.status().as_u16(),
        409,
        "already confirmed"
    );
    assert_eq!(body(act(&w.staff, "seat").await).await["status"], "seated");
    assert_eq!(act(&w.staff, "no-show").await.status().as_u16(), 409);
    assert_eq!(
        body(act(&w.staff, "complete").await).await["status"],
        "completed"
    );

    let b = body(
        w.book(&w.ann, json!({"start": evening_text(3), "party_size": 2}))
            .await,
    )
    .await;
    let id = b["id"].as_str().unwrap().to_string();
    let r = w
        .app
        .post(
            &format!("/bookings/{id}/no-show"),
            Some(&w.staff),
            &json!({}),
        )
        .await;
    assert_eq!(body(r).await["status"], "no_show");

    let date = &evening_text(2)[..10];
    let sheet = w
        .app
        .get(
            &format!("/venues/{}/bookings?date={date}", w.venue),
            Some(&w.staff),
        )
        .await;
    assert_eq!(sheet.status().as_u16(), 200);
    assert_eq!(body(sheet).await["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        w.app
            .get(
                &format!("/venues/{}/bookings?date={date}", w.venue),
                Some(&w.ann)
            )
            .await
            .status()
            .as_u16(),
        403
    );
}

#[actix_rt::test]
async fn a_reschedule_is_atomic_and_checks_the_version() {
    let w = world().await;
    let six = evening_text(2);
    let eight = six.replace("T18:00", "T20:00");
    let b = body(w.book(&w.ann, json!({"start": six, "party_size": 4})).await).await;
    let id = b["id"].as_str().unwrap();
    // Fill t6 and the bar at 20:00 for a party of four.
    w.book(&w.bob, json!({"start": eight, "party_size": 6}))
        .await;
    w.book(&w.bob, json!({"start": eight, "party_size": 8}))
        .await;
    let r = w
        .app
        .patch(
            &format!("/bookings/{id}"),
            Some(&w.ann),
            &json!({"start": eight, "version": 1}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 409);
    assert_eq!(body(r).await["error"]["code"], "slot_unavailable");
    assert_eq!(
        body(w.app.get(&format!("/bookings/{id}"), Some(&w.ann)).await).await,
        b,
        "nothing changed"
    );
    // 17:00 overlaps only its own old interval, which does not block it.
    let seven = six.replace("T18:00", "T17:00");
    let r = w
        .app
        .patch(
            &format!("/bookings/{id}"),
            Some(&w.ann),
            &json!({"start": seven, "party_size": 3, "version": 1}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let moved = body(r).await;
    assert_eq!(
        (
            moved["start"].as_str(),
            moved["party_size"].as_u64(),
            moved["version"].as_u64()
        ),
        (Some(seven.as_str()), Some(3), Some(2))
    );
    let stale = w
        .app
        .patch(
            &format!("/bookings/{id}"),
            Some(&w.ann),
            &json!({"note": "late", "version": 1}),
        )
        .await;
    assert_eq!(stale.status().as_u16(), 409);
    assert_eq!(body(stale).await["error"]["code"], "conflict");
}

#[actix_rt::test]
async fn holds_are_placed_converted_by_their_owner_and_released() {
    let w = world().await;
    let start = evening_text(2);
    let r = w
        .app
        .post(
            &format!("/venues/{}/holds", w.venue),
            Some(&w.ann),
            &json!({"start": start, "party_size": 2}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let h = body(r).await;
    assert!(h["expires_at"].as_str().unwrap().ends_with("+08:00"));
    let hold = h["id"].as_str().unwrap();
    let r = w.book(&w.bob, json!({"hold_id": hold})).await;
    assert_eq!(r.status().as_u16(), 404, "another user's hold");
    let r = w
        .book(&w.ann, json!({"hold_id": hold, "note": "birthday"}))
        .await;
    assert_eq!(r.status().as_u16(), 201);
    let b = body(r).await;
    assert_eq!(
        (
            b["start"].as_str(),
            b["resource_id"].as_str(),
            b["note"].as_str()
        ),
        (
            Some(start.as_str()),
            h["resource_id"].as_str(),
            Some("birthday")
        )
    );
    assert_eq!(
        w.book(&w.ann, json!({"hold_id": hold}))
            .await
            .status()
            .as_u16(),
        409
    );
    let del = w
        .app
        .request(
            reqwest::Method::DELETE,
            &format!("/holds/{hold}"),
            Some(&w.ann),
            None,
        )
        .await;
    assert_eq!(
        del.status().as_u16(),
        409,
        "a converted hold cannot be released"
    );

    let r = w
        .app
        .post(
            &format!("/venues/{}/holds", w.venue),
            Some(&w.ann),
            &json!({"start": start, "party_size": 2}),
        )
        .await;
    let other = body(r).await["id"].as_str().unwrap().to_string();
    let del = |who: String| {
        let (app, path) = (&w.app, format!("/holds/{other}"));
        async move {
            app.request(reqwest::Method::DELETE, &path, Some(&who), None)
                .await
                .status()
                .as_u16()
        }
    };
    assert_eq!(del(w.bob.clone()).await, 404);
    assert_eq!(del(w.ann.clone()).await, 204);
    assert_eq!(del(w.ann.clone()).await, 204, "again");
    assert_eq!(
        w.app
            .request(reqwest::Method::DELETE, "/holds/nope", Some(&w.ann), None)
            .await
            .status()
            .as_u16(),
        404
    );
}

#[actix_rt::test]
async fn bad_input_gets_the_contracts_error_and_changes_nothing() {
    let w = world().await;
    let venue = &w.venue;
    let day = &evening_text(2)[..10];
    let cases: Vec<(Value, u16, &str, Option<&str>)> = vec![
        (
            json!({"start": format!("{day}T18:05:00+08:00"), "party_size": 2}),
            422,
            "validation_failed",
            Some("start"),
        ),
        (
            json!({"start": "2020-01-01T18:00:00+08:00", "party_size": 2}),
            422,
            "validation_failed",
            Some("start"),
        ),
        (
            json!({"start": evening_text(90), "party_size": 2}),
            422,
            "validation_failed",
            Some("start"),
        ),
        (
            json!({"start": format!("{day} 18:00:00+08:00"), "party_size": 2}),
            422,
            "validation_failed",
            Some("start"),
        ),
        (
            json!({"start": evening_text(2), "party_size": 0}),
            422,
            "validation_failed",
            Some("party_size"),
        ),
        (
            json!({"start": evening_text(2), "party_size": -1}),
            422,
            "validation_failed",
            Some("party_size"),
        ),
        (
            json!({"start": evening_text(2), "party_size": 11}),
            422,
            "validation_failed",
            Some("party_size"),
        ),
        (
            json!({"start": evening_text(2), "party_size": 1_000_000_000_000u64}),
            422,
            "validation_failed",
            Some("party_size"),
        ),
        (
            json!({"start": evening_text(2), "party_size": "two"}),
            400,
            "malformed_request",
            None,
        ),
        (
            json!({"party_size": 2}),
            422,
            "validation_failed",
            Some("start"),
        ),
        (
            json!({"start": evening_text(2)}),
            422,
            "validation_failed",
            Some("party_size"),
        ),
    ];
    for (payload, status, code, field) in cases {
        let r = w.book(&w.ann, payload.clone()).await;
        assert_eq!(r.status().as_u16(), status, "{payload}");
        let e = body(r).await;
        assert_eq!(e["error"]["code"], code, "{payload}");
        if let Some(f) = field {
            assert_eq!(e["error"]["details"]["field"], f, "{payload}");
        }
    }
    let raw = |text: &'static str| {
        w.app
            .client
            .post(format!("{}/venues/{venue}/bookings", w.app.address))
            .bearer_auth(&w.ann)
            .header("Content-Type", "application/json")
            .body(text)
            .send()
    };
    let r = raw("{\"start\": ").await.unwrap();
    assert_eq!(
        (r.status().as_u16(), body(r).await["error"]["code"].clone()),
        (400, json!("malformed_request"))
    );
    let huge = format!("{{\"note\": \"{}\"}}", "x".repeat(70 * 1024));
    let r = w
        .app
        .client
        .post(format!("{}/venues/{venue}/bookings", w.app.address))
        .bearer_auth(&w.ann)
        .header("Content-Type", "application/json")
        .body(huge)
        .send()
        .await
        .unwrap();
    assert_eq!(
        (r.status().as_u16(), body(r).await["error"]["code"].clone()),
        (413, json!("payload_too_large"))
    );
    let r = w
        .app
        .post(
            "/venues/nope/bookings",
            Some(&w.ann),
            &json!({"start": evening_text(2), "party_size": 2}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 404);
    assert_eq!(
        w.book("", json!({"start": evening_text(2), "party_size": 2}))
            .await
            .status()
            .as_u16(),
        401
    );
    // Nothing was booked by any of it.
    assert_eq!(
        body(w.app.get("/bookings", Some(&w.ann)).await).await["items"],
        json!([])
    );
    let v = body(w.app.get(&format!("/venues/{venue}"), None).await).await;
    assert_eq!(v["seq"], 2, "only the staff change happened");
}

#[actix_rt::test]
async fn a_hundred_racers_for_the_last_table_get_one_201_and_99_409s() {
    let app = spawn_app().await;
    let venue = app
        .create_venue(&restaurant(
            json!([{"id": "t1", "name": "Last table", "capacity": 4, "mode": "exclusive"}]),
        ))
        .await;
    let mut tokens = Vec::new();
    for i in 0..10 {
        tokens.push(app.register(&format!("racer{i}@example.com")).await.0);
    }
    let start = evening_text(3);
    let path = format!("/venues/{venue}/bookings");
    let payload = json!({"start": start, "party_size": 2});
    let racers = (0..100).map(|i| app.post(&path, Some(&tokens[i % 10]), &payload));
    let statuses: Vec<u16> = join_all(racers)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        1,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        99,
        "{statuses:?}"
    );
}

#[actix_rt::test]
async fn forty_racers_for_a_shared_pool_of_ten_get_exactly_ten() {
    let app = spawn_app().await;
    let venue = app
        .create_venue(&restaurant(
            json!([{"id": "class", "name": "Class", "capacity": 10, "mode": "shared"}]),
        ))
        .await;
    let (token, _) = app.register("racer@example.com").await;
    let start = evening_text(3);
    let path = format!("/venues/{venue}/bookings");
    let payload = json!({"start": start, "party_size": 1});
    let racers = (0..40).map(|_| app.post(&path, Some(&token), &payload));
    let statuses: Vec<u16> = join_all(racers)
        .await
        .iter()
        .map(|r| r.status().as_u16())
        .collect();
    assert_eq!(
        statuses.iter().filter(|s| **s == 201).count(),
        10,
        "{statuses:?}"
    );
    assert_eq!(
        statuses.iter().filter(|s| **s == 409).count(),
        30,
        "{statuses:?}"
    );
}

#[actix_rt::test]
async fn an_idempotency_key_replays_the_first_response_and_refuses_another_request() {
    let w = world().await;
    let path = format!("{}/venues/{}/bookings", w.app.address, w.venue);
    let payload = json!({"start": evening_text(2), "party_size": 2});
    let send = |key: &str, payload: &Value| {
        w.app
            .client
            .post(&path)
            .bearer_auth(&w.ann)
            .header("Idempotency-Key", key)
            .json(payload)
            .send()
    };
    // Concurrent copies make one booking and all get its response.
    let copies: Vec<_> = join_all((0..8).map(|_| send("key-1", &payload))).await;
    let mut bodies = Vec::new();
    for r in copies {
        let r = r.unwrap();
        assert_eq!(r.status().as_u16(), 201);
        bodies.push(body(r).await);
    }
    assert!(bodies.iter().all(|b| *b == bodies[0]));
    assert_eq!(
        body(w.app.get("/bookings", Some(&w.ann)).await).await["items"]
            .as_array()
            .unwrap()
            .len(),
        1
    );
    // Same key, another body.
    let r = send("key-1", &json!({"start": evening_text(3), "party_size": 2}))
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 422);
    assert_eq!(body(r).await["error"]["code"], "idempotency_key_reused");
    // The same key from another user is another key.
    let r = w
        .app
        .client
        .post(&path)
        .bearer_auth(&w.bob)
        .header("Idempotency-Key", "key-1")
        .json(&payload)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status().as_u16(), 201);
    // Errors are not kept: a retry after one is a new attempt.
    let full = json!({"start": evening_text(2), "party_size": 11});
    assert_eq!(send("key-2", &full).await.unwrap().status().as_u16(), 422);
    assert_eq!(
        send("key-2", &json!({"start": evening_text(2), "party_size": 2}))
            .await
            .unwrap()
            .status()
            .as_u16(),
        201
    );
    let bad_key = w
        .app
        .client
        .post(&path)
        .bearer_auth(&w.ann)
        .header("Idempotency-Key", "")
        .json(&payload)
        .send()
        .await
        .unwrap();
    assert_eq!(bad_key.status().as_u16(), 422);
}

#[actix_rt::test]
async fn without_auto_confirm_staff_confirm_pending_bookings() {
    let w = world().await;
    let r = w
        .app
        .patch(
            &format!("/venues/{}", w.venue),
            Some(&w.staff),
            &json!({"auto_confirm": false}),
        )
        .await;
    assert_eq!(r.status().as_u16(), 200);
    let b = body(
        w.book(&w.ann, json!({"start": evening_text(2), "party_size": 2}))
            .await,
    )
    .await;
    assert_eq!(b["status"], "pending");
    let id = b["id"].as_str().unwrap();
    assert_eq!(
        w.app
            .post(&format!("/bookings/{id}/confirm"), Some(&w.ann), &json!({}))
            .await
            .status()
            .as_u16(),
        403
    );
    let r = w
        .app
        .post(
            &format!("/bookings/{id}/confirm"),
            Some(&w.staff),
            &json!({}),
        )
        .await;
    assert_eq!(body(r).await["status"], "confirmed");
}

#[actix_rt::test]
async fn lists_page_with_a_cursor_and_filter_by_status() {
    let w = world().await;
    let mut ids = Vec::new();
    for days in 2..7 {
        let b = body(
            w.book(
                &w.ann,
                json!({"start": evening_text(days), "party_size": 2}),
            )
            .await,
        )
        .await;
        ids.push(b["id"].as_str().unwrap().to_string());
    }
    w.app
        .post(
            &format!("/bookings/{}/cancel", ids[1]),
            Some(&w.ann),
            &json!({}),
        )
        .await;
    let mut seen = Vec::new();
    let mut cursor: Option<String> = None;
    loop {
        let path = match &cursor {
            Some(c) => format!("/bookings?limit=2&cursor={c}"),
            None => "/bookings?limit=2".to_string(),
        };
        let page = body(w.app.get(&path, Some(&w.ann)).await).await;
        seen.extend(
            page["items"]
                .as_array()
                .unwrap()
                .iter()
                .map(|b| b["id"].as_str().unwrap().to_string()),
        );
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen, ids, "every booking once, oldest first");
    let confirmed = body(
        w.app
            .get("/bookings?status=confirmed&limit=200", Some(&w.ann))
            .await,
    )
    .await;
    assert_eq!(confirmed["items"].as_array().unwrap().len(), 4);
    assert_eq!(
        w.app
            .get("/bookings?status=lost", Some(&w.ann))
            .await
            .status()
            .as_u16(),
        422
    );
    assert_eq!(
        w.app
            .get("/bookings?limit=201", Some(&w.ann))
            .await
            .status()
            .as_u16(),
        422
    );

    // The day sheet pages too, and filters by status.
    let day = &evening_text(2)[..10];
    for _ in 0..2 {
        w.book(&w.bob, json!({"start": evening_text(2), "party_size": 1}))
            .await;
    }
    let sheet = |q: String| {
        let (app, staff, venue) = (&w.app, w.staff.clone(), w.venue.clone());
        async move {
            body(
                app.get(
                    &format!("/venues/{venue}/bookings?date={day}{q}"),
                    Some(&staff),
                )
                .await,
            )
            .await
        }
    };
    let first = sheet("&limit=2".into()).await;
    assert_eq!(first["items"].as_array().unwrap().len(), 2);
    let rest = sheet(format!(
        "&limit=2&cursor={}",
        first["next_cursor"].as_str().unwrap()
    ))
    .await;
    assert_eq!(
        (
            rest["items"].as_array().unwrap().len(),
            rest["next_cursor"].clone()
        ),
        (1, json!(null))
    );
    assert_eq!(sheet("&status=cancelled".into()).await["items"], json!([]));
}
